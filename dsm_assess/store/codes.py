"""Answers as integers: the column of each answer row that scoring reads, and how it is read back.

Each answer row carries, beside its words, a respondent key and a criterion key (into the
store's `respondent_keys` and `criterion_keys` tables) and `packed`: the five numbers scoring
needs in one 64-bit integer, `PACKED_SQL` of the row (computed by PostgreSQL; given by the kit
and checked by SQLite), kept in a narrow index ordered by row id. The column reader has the
database join those integers, oldest row first, into one text (SQLite) or one byte string
(PostgreSQL) that NumPy splits: a million answers reach Python as one value, never as a million
rows. `codes_frame` turns them into scoring's answer frame.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from dsm_assess.core.scale import RATINGS

if TYPE_CHECKING:  # pandas loads when answers are read, not for every command
    import pandas as pd

# The rating codes `packed` holds. A stored code never changes meaning: this list is only ever
# appended to, whatever order the scale lists its ratings in.
STORED_RATINGS = ("N", "P", "L", "F", "NA", "DK")
_RATING_CODE = "CASE rating " + " ".join(f"WHEN '{r}' THEN {i}" for i, r in enumerate(STORED_RATINGS)) + " END"
_EVIDENCED = "CASE WHEN evidence IS NOT NULL AND length(trim(evidence)) > 0 THEN 1 ELSE 0 END"

WITHDRAWN_CODE = -1  # the rating code a withdrawal reads as

# `packed`, lowest bits first: evidenced (1), confidence 0-5 (3), rating code + 1 with 0 for a
# withdrawal (3), criterion key (20), respondent key (the rest). The key tables refuse keys that
# would not fit. The migrations that create the column embed this expression: it never changes
# (a new layout would be a new migration, rewriting the column).
_CONFIDENCE_AT, _CODE_AT, _CRITERION_AT, _RESPONDENT_AT = 1, 4, 7, 27
CRITERION_KEY_LIMIT = 1 << (_RESPONDENT_AT - _CRITERION_AT)
RESPONDENT_KEY_LIMIT = 1 << 32
# Both databases give <<, | and & one precedence, applied left to right: every part is bracketed.
PACKED_SQL = (f"(respondent_key << {_RESPONDENT_AT}) | (criterion_key << {_CRITERION_AT})"
              f" | ((CASE WHEN withdrawn = 1 THEN 0 ELSE ({_RATING_CODE}) + 1 END) << {_CODE_AT})"
              f" | (coalesce(confidence, 0) << {_CONFIDENCE_AT}) | ({_EVIDENCED})")



def pack(row: dict) -> int:
    """`PACKED_SQL` of an answer row (a dict of its columns), for a store whose database checks
    the value rather than computing it."""
    code = 0 if row.get("withdrawn") else STORED_RATINGS.index(row["rating"]) + 1
    evidence = row.get("evidence")
    evidenced = int(evidence is not None and evidence.strip(" ") != "")  # SQL's trim() removes spaces only
    return ((row["respondent_key"] << _RESPONDENT_AT) | (row["criterion_key"] << _CRITERION_AT)
            | (code << _CODE_AT) | ((row.get("confidence") or 0) << _CONFIDENCE_AT) | evidenced)


# stored code + 1 (0: withdrawn) -> position in the scale's RATINGS (WITHDRAWN_CODE: withdrawn)
_TO_RATING = np.array([WITHDRAWN_CODE, *(RATINGS.index(r) for r in STORED_RATINGS)], dtype=np.int8)


@dataclass
class AnswerCodes:
    """Every answer row of one store, oldest first, as its `packed` integer, with the key
    tables that name their respondents and criteria."""

    packed: np.ndarray             # int64, one per answer row
    respondent_keys: np.ndarray    # int64, sorted
    respondents: np.ndarray        # the respondent of each key (object)
    criterion_keys: np.ndarray     # int64, sorted
    criteria: np.ndarray           # the criterion id of each key (object)

    @classmethod
    def from_rows(cls, packed: np.ndarray, respondents: list[tuple], criteria: list[tuple]) -> AnswerCodes:
        """From the packed column and the (key, text) rows of the two key tables."""
        def table(rows):
            rows = sorted(rows)
            return (np.array([k for k, _ in rows], dtype=np.int64),
                    np.array([t for _, t in rows], dtype=object))
        return cls(np.asarray(packed, dtype=np.int64), *table(respondents), *table(criteria))


def parse_joined(text: str | None) -> np.ndarray:
    """The packed integers from SQLite's group_concat of them (None when there are no rows)."""
    if not text:
        return np.zeros(0, dtype=np.int64)
    return np.fromstring(text, dtype=np.int64, sep=",")


def parse_bytes(data: bytes | None) -> np.ndarray:
    """The packed integers from PostgreSQL's string_agg of their int8send (big-endian) bytes."""
    if not data:
        return np.zeros(0, dtype=np.int64)
    return np.frombuffer(data, dtype=">i8").astype(np.int64)


def codes_frame(parts: AnswerCodes | list[AnswerCodes], slugs: list[str] | None = None,
                renames: dict[str, str] | None = None) -> pd.DataFrame:
    """Scoring's answer frame (see `base.scoring_frame`, which gives the same frame from row
    tuples) from the codes of one store, or of several, one per slug of `slugs`: each
    respondent's latest answer per criterion, none where the latest is a withdrawal."""
    from dsm_assess.core.frames import pd

    parts = [parts] if isinstance(parts, AnswerCodes) else list(parts)
    packed = np.concatenate([p.packed for p in parts]) if parts else np.zeros(0, dtype=np.int64)
    sizes = np.array([len(p.packed) for p in parts], dtype=np.int64)
    n = len(packed)
    stored = (packed >> _CODE_AT) & 7
    respondent_key, criterion_key = packed >> _RESPONDENT_AT, (packed >> _CRITERION_AT) & (CRITERION_KEY_LIMIT - 1)

    # Respondents are counted within their engagement: (engagement, respondent) pairs numbered
    # densely, so that the latest answer per pair and criterion is found with one bincount.
    pair = np.empty(n, dtype=np.int64)
    criterion = np.empty(n, dtype=np.int64)
    pair_names, criterion_names = [], []
    start = pairs = criteria_seen = 0
    for part, size in zip(parts, sizes, strict=True):
        rows = slice(start, start + size)
        pair[rows] = pairs + np.searchsorted(part.respondent_keys, respondent_key[rows])
        criterion[rows] = criteria_seen + np.searchsorted(part.criterion_keys, criterion_key[rows])
        pairs += len(part.respondent_keys)
        criteria_seen += len(part.criterion_keys)
        pair_names.append(part.respondents)
        criterion_names.append(part.criteria)
        start += size
    pair_names = np.concatenate(pair_names) if parts else np.zeros(0, dtype=object)
    criterion_names = np.concatenate(criterion_names) if parts else np.zeros(0, dtype=object)
    if renames:  # an answer on a retired id counts as one on the id that replaced it
        criterion_names = np.array([renames.get(c, c) for c in criterion_names], dtype=object)
    # One code per distinct text, in the order the rows first show it (as the row reader has it).
    criterion, criterion_ids = _by_first_use(criterion, criterion_names)
    respondent, respondent_names = _by_first_use(pair, pair_names)

    keep = _latest(pair * max(len(criterion_ids), 1) + criterion, pairs * max(len(criterion_ids), 1))
    code = _TO_RATING[stored[keep]]
    keep = keep[code != WITHDRAWN_CODE]  # the latest row is a withdrawal: the answer is gone
    code = code[code != WITHDRAWN_CODE]
    confidence = ((packed[keep] >> _CONFIDENCE_AT) & 7).astype(float)
    confidence[confidence == 0] = np.nan
    out = {}
    if slugs is not None:
        engagement = np.repeat(np.arange(len(parts)), sizes)
        out["engagement"] = pd.Categorical.from_codes(engagement[keep], categories=slugs)
    out.update({
        "respondent": pd.Categorical.from_codes(respondent[keep], categories=respondent_names),
        "criterion_id": pd.Categorical.from_codes(criterion[keep], categories=criterion_ids),
        "rating": pd.Categorical.from_codes(code, categories=RATINGS),
        "confidence": confidence,
        "has_evidence": (packed[keep] & 1).astype(bool),
    })
    return pd.DataFrame(out)


def _by_first_use(codes: np.ndarray, names: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`codes` (indices into `names`, which may repeat a text) renumbered by distinct text, in the
    order the rows first use them; and those texts."""
    from dsm_assess.core.frames import pd

    if not len(codes):
        return codes, np.array(pd.unique(names[:0]), dtype=object)
    used = pd.unique(codes)  # the codes in the order of first use
    text_code, texts = pd.factorize(names[used])
    lookup = np.full(len(names), -1, dtype=np.int64)
    lookup[used] = text_code
    return lookup[codes], np.asarray(texts, dtype=object)


def _latest(key: np.ndarray, size: int) -> np.ndarray:
    """Positions of the last row of each key (keys in 0..size-1), in row order."""
    n = len(key)
    counts = np.bincount(key, minlength=size)
    repeated = np.flatnonzero(counts[key] > 1)
    if not len(repeated):  # no answer was ever changed: every row is the latest
        return np.arange(n)
    last = np.full(size, -1, dtype=np.int64)
    np.maximum.at(last, key[repeated], repeated)
    latest = np.ones(n, dtype=bool)
    latest[repeated] = last[key[repeated]] == repeated
    return np.flatnonzero(latest)
