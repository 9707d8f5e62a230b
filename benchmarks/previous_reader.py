"""The column reader the kit had before answers carried keys and codes: the database joins each
column into one text (respondent and criterion ids separated by character 31, the rating code,
confidence and evidence flag as three characters per row), Arrow splits and dictionary-encodes
the texts and NumPy reads the characters.

Kept only as the baseline `bench_store_read.py` measures the packed reader against; it reads the
words each answer row still keeps, so both run on the same stores in the same run.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from dsm_assess.store.base import Store, scoring_columns

# The subquery's order is the order the texts are joined in (SQLite 3.40 has no ORDER BY inside
# an aggregate); on PostgreSQL one sort in the subquery serves the three aggregates.
_SQL = {
    "sqlite": ("SELECT count(*), group_concat(respondent, char(31)), group_concat(criterion_id, char(31)),"
               " group_concat(char(49 + code, 48 + confidence, 48 + has_evidence), '')"
               " FROM (" + Store.SCORING_SQL + ")"),
    "postgres": ("SELECT count(*), string_agg(respondent, chr(31)), string_agg(criterion_id, chr(31)),"
                 " string_agg(chr(49 + code) || chr(48 + confidence) || chr(48 + has_evidence), '')"
                 " FROM (" + Store.SCORING_SQL + ") AS rows"),
}


def previous_table(store: Store) -> pa.Table:
    """`scoring_rows` of a store as an Arrow table of five columns, oldest row first."""
    n, respondents, criteria, numbers = store._q(_SQL["postgres" if store.shared else "sqlite"]).fetchone()

    def texts(joined: str | None):
        return pc.split_pattern(pa.array([joined]), "\x1f").flatten() if n else pa.array([], pa.string())

    digits = (np.frombuffer((numbers or "").encode("ascii"), np.uint8).astype(np.int8) - 48).reshape(-1, 3)
    return pa.table({"respondent": texts(respondents), "criterion_id": texts(criteria),
                     "code": digits[:, 0] - 1, "confidence": digits[:, 1], "has_evidence": digits[:, 2]})


def previous_frame(tables: list[pa.Table], slugs: list[str] | None = None, renames: dict[str, str] | None = None):
    """Scoring's answer frame from `previous_table` of each store (one per slug of `slugs`)."""
    sizes = [t.num_rows for t in tables] if slugs is not None else None
    table = pa.concat_tables(tables).combine_chunks()

    def encoded(name: str):
        column = pc.dictionary_encode(table.column(name)).combine_chunks()
        return column.indices.to_numpy(zero_copy_only=False), np.array(column.dictionary.to_pylist(), dtype=object)

    def numbers(name: str, dtype):
        return table.column(name).to_numpy().astype(dtype) if table.num_rows else np.zeros(0, dtype)

    return scoring_columns(encoded("respondent"), encoded("criterion_id"), numbers("code", np.int8),
                           numbers("confidence", float), numbers("has_evidence", bool), sizes, slugs, renames)
