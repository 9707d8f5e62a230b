"""What every response store does, whichever database holds it.

A backend (`sqlite.SqliteStore`, the embedded default, or `postgres.PostgresStore`, the team
store) supplies a connection, its transactions and its schema; the reading and writing below
is written once, in SQL both databases run. Queries use named parameters (`:eng`, `:token`);
`{E}` in a query stands for "rows of this engagement", which a database holding one engagement
(SQLite) leaves out.

Answers and consensus values are only ever inserted (the database refuses UPDATE and DELETE);
the current answer of a respondent to a criterion is the latest row, unless that row is a
withdrawal (`withdrawn = 1`: the respondent cleared the answer), in which case there is none.
Every imported file is recorded with its hash, every questionnaire sent out with its issue
token, and every change is written to the audit log in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import secrets
from collections.abc import Iterable, Iterator
from contextlib import AbstractContextManager
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from dsm_assess.core.scale import RATINGS
from dsm_assess.store.answers import Answer
from dsm_assess.store.codes import WITHDRAWN_CODE, AnswerCodes, codes_frame, pack

if TYPE_CHECKING:  # pandas loads when answers are read, not for every command
    import pandas as pd

BUSY_SECONDS = 60  # how long a writer waits for another process's transaction before giving up

ANSWER_FIELDS = ("respondent", "criterion_id", "rating", "na_reason", "confidence", "evidence", "comment")
MAX_DETAIL = 4000    # characters of a rejected import's problems kept in the store
DETAIL_PROBLEMS = 20  # ... and at most this many of them: the count says how many there were

# The columns of each table as every backend returns them (the team store's tables also name
# their engagement, which a reader of one engagement never needs).
COLUMNS = {
    "imports": ("id", "file_name", "sha256", "size", "kind", "respondent", "imported_at", "rows", "outcome", "detail",
                "token", "problem_count"),
    "answers": ("id", "engagement", "respondent", "criterion_id", "rating", "na_reason", "confidence", "evidence",
                "comment", "bank_version", "source", "source_ref", "import_id", "recorded_at", "withdrawn"),
    "consensus": ("id", "criterion_id", "rating", "rationale", "recorded_by", "recorded_at"),
    "audit": ("id", "at", "actor", "action", "detail"),
    "questionnaires": ("id", "token", "respondent", "subjects", "bank_version", "channel", "filled", "issued_at",
                       "issued_by"),
}
# The order a whole history is copied in: an answer names the import it came from.
HISTORY_TABLES = ("imports", "questionnaires", "answers", "consensus", "audit")

# The rating as its position in RATINGS: a small integer costs Python less to receive than a string.
_RATING_CODE = "CASE rating " + " ".join(f"WHEN '{r}' THEN {i}" for i, r in enumerate(RATINGS)) + " END"


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


@lru_cache(maxsize=1)
def actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers and services
        return "unknown"


class Store:
    """An open response store of one engagement. Use as a context manager, or call `close()`."""

    engagement: str
    where: str  # where it is, for messages: a file, or a server and database
    # True where one database holds many engagements, each row naming its own.
    shared: bool = False
    # True where the kit gives each answer's `packed` column and the database checks it, rather
    # than computing it (codes.py).
    gives_packed: bool = False

    # ---- what a backend supplies ----
    def _execute(self, sql: str, params: dict | None = None):
        """Run one query with named parameters; returns a cursor."""
        raise NotImplementedError

    def _executemany(self, sql: str, rows: list[dict]) -> None:
        raise NotImplementedError

    def transaction(self) -> AbstractContextManager:
        """All or nothing, holding the engagement's write lock: commits on success, rolls back on
        any exception; nested, the outer transaction decides."""
        raise NotImplementedError

    def close(self) -> None:
        raise NotImplementedError

    def schema_version(self) -> int:
        return self._execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0]

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # ---- helpers ----
    def _sql(self, sql: str) -> str:
        return sql.replace("{E}", "engagement = :eng AND " if self.shared else "")

    def _q(self, sql: str, **params):
        return self._execute(self._sql(sql), {"eng": self.engagement, **params})

    def _insert(self, table: str, rows: list[dict], returning: bool = False):
        """Append rows (dicts of column values) to `table`; with `returning`, one row and its new id."""
        if not rows:
            return None
        if table == "answers":
            rows = self._keyed(rows)
        cols = list(rows[0])
        if self.shared and "engagement" not in cols:
            cols.append("engagement")
            rows = [{**r, "engagement": self.engagement} for r in rows]
        sql = f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join(':' + c for c in cols)})"
        if returning:
            return self._execute(sql + " RETURNING id", rows[0]).fetchone()[0]
        self._executemany(sql, rows)
        return None

    def _keyed(self, rows: list[dict]) -> list[dict]:
        """Answer rows with the keys of their respondent and criterion (new ones are added to the
        key tables), which the column reader reads instead of the words; the database checks
        that each key names the row's respondent and criterion."""
        respondents = self._keys("respondent_keys", "respondent", {r["respondent"] for r in rows})
        criteria = self._keys("criterion_keys", "criterion_id", {r["criterion_id"] for r in rows})
        rows = [{**r, "respondent_key": respondents[r["respondent"]], "criterion_key": criteria[r["criterion_id"]]}
                for r in rows]
        if self.gives_packed:
            rows = [{**r, "packed": pack(r)} for r in rows]
        return rows

    def _keys(self, table: str, column: str, values: set[str]) -> dict[str, int]:
        """text -> key in a key table, adding the texts it lacks. Respondents are the engagement's
        own; criterion ids are shared by every engagement of a team store."""
        own = self.shared and table == "respondent_keys"
        where, params = ("WHERE engagement = :eng", {"eng": self.engagement}) if own else ("", {})
        known = dict(self._execute(f"SELECT {column}, id FROM {table} {where}", params).fetchall())
        missing = sorted(values - known.keys())
        if not missing:
            return known
        cols, marks = (f"{column}, engagement", ":value, :eng") if own else (column, ":value")
        # In sorted order: two writers adding the same texts queue instead of deadlocking; a text
        # another writer added meanwhile is left as it is.
        self._executemany(f"INSERT INTO {table} ({cols}) VALUES ({marks}) ON CONFLICT DO NOTHING",
                          [{"value": v, "eng": self.engagement} if own else {"value": v} for v in missing])
        return dict(self._execute(f"SELECT {column}, id FROM {table} {where}", params).fetchall())

    def _frame(self, sql: str, columns: tuple[str, ...], **params) -> pd.DataFrame:
        from dsm_assess.core.frames import pd

        rows = self._q(sql, **params).fetchall()
        return pd.DataFrame.from_records(rows, columns=list(columns))

    def _current(self, what: str = "") -> str:
        """The latest row per respondent and criterion, unless it is a withdrawal."""
        return (f"FROM answers WHERE {{E}} id IN (SELECT MAX(id) FROM answers WHERE {{E}} 1 = 1"
                f" GROUP BY respondent, criterion_id) AND withdrawn = 0 {what}")

    # ---- writing ----
    def audit(self, action: str, detail: dict, who: str | None = None) -> None:
        self._insert("audit", [{"at": now(), "actor": who or actor(), "action": action,
                                "detail": json.dumps(detail, ensure_ascii=False, sort_keys=True)}])

    def record_answers(self, answers: Iterable[Answer], *, bank_version: str, source: str,
                       source_ref: str | None = None, import_id: int | None = None, who: str | None = None) -> int:
        """Append answers in one transaction; returns how many were stored."""
        at = now()
        rows = [{"engagement": self.engagement, "respondent": a.respondent.lower(), "criterion_id": a.criterion_id,
                 "rating": a.rating, "na_reason": a.na_reason, "confidence": a.confidence, "evidence": a.evidence,
                 "comment": a.comment, "bank_version": bank_version, "source": source, "source_ref": source_ref,
                 "import_id": import_id, "recorded_at": at} for a in answers]
        with self.transaction():
            self._insert("answers", rows)
            respondents = sorted({r["respondent"] for r in rows})
            self.audit("answers recorded", {"count": len(rows), "source": source, "source_ref": source_ref,
                                            "respondents": respondents}, who)
        return len(rows)

    def record_withdrawals(self, respondent: str, criteria: Iterable[str], *, bank_version: str, source: str,
                           source_ref: str | None = None, import_id: int | None = None,
                           who: str | None = None) -> list[str]:
        """Append a withdrawal for each of `criteria` the respondent has a current answer to (a copy
        of that answer marked `withdrawn`, so the history says what was withdrawn); returns their ids."""
        respondent = respondent.lower()
        with self.transaction():
            current = {row[1]: row for row in self._q(
                f"SELECT {', '.join(ANSWER_FIELDS)} " + self._current("AND respondent = :who"), who=respondent)}
            gone = [cid for cid in dict.fromkeys(criteria) if cid in current]
            at = now()
            self._insert("answers", [
                {"engagement": self.engagement, "respondent": respondent, "criterion_id": cid,
                 "rating": current[cid][2], "na_reason": current[cid][3], "bank_version": bank_version,
                 "source": source, "source_ref": source_ref, "import_id": import_id, "recorded_at": at,
                 "withdrawn": 1} for cid in gone])
            if gone:
                self.audit("answers withdrawn", {"respondent": respondent, "criteria": gone, "source": source,
                                                 "source_ref": source_ref}, who)
        return gone

    def record_import(self, *, file_name: str, sha256: str, size: int, kind: str, respondent: str | None,
                      rows: int, outcome: str, detail: str | None = None, token: str | None = None,
                      problems: list | None = None, problem_count: int | None = None) -> int:
        """Record one import. For a rejected file give `problems`: the first `DETAIL_PROBLEMS` are
        kept (at most `MAX_DETAIL` characters) with their count, so a hostile file stays small."""
        if problems is not None:
            problem_count = len(problems) if problem_count is None else problem_count
            detail = "\n".join(map(str, problems[:DETAIL_PROBLEMS]))[:MAX_DETAIL]
        with self.transaction():
            new_id = self._insert("imports", [{
                "file_name": file_name, "sha256": sha256, "size": size, "kind": kind, "respondent": respondent,
                "imported_at": now(), "rows": rows, "outcome": outcome, "detail": detail, "token": token,
                "problem_count": problem_count}], returning=True)
            self.audit(f"import {outcome}", {"file": file_name, "sha256": sha256, "rows": rows})
            return new_id

    def stored_import(self, sha256: str) -> dict | None:
        """The earlier successful import of a file with this hash, if any."""
        row = self._q("SELECT id, file_name, imported_at, rows FROM imports"
                      " WHERE {E} sha256 = :sha AND outcome = 'stored' ORDER BY id LIMIT 1", sha=sha256).fetchone()
        return dict(zip(("id", "file_name", "imported_at", "rows"), row, strict=True)) if row else None

    # ---- questionnaires and their tokens ----
    def issue_token(self, respondent: str, subjects: Iterable[str], bank_version: str, *, channel: str = "workbook",
                    filled: Iterable[str] = (), who: str | None = None, token: str | None = None) -> str:
        """Record a questionnaire sent to `respondent` (its subjects, the bank version and the
        criteria it went out with answers filled in) and return its new random token.

        Only a returned file or form submission carrying a token issued to that respondent is
        admitted (see `token_holder`); an old token stays valid. `token` records a questionnaire
        sent earlier under a known token (a fresh store told what was sent, as the demo does).
        """
        token = token or secrets.token_urlsafe(24)
        subjects, filled = list(subjects), list(filled)
        with self.transaction():
            self._insert("questionnaires", [{
                "token": token, "respondent": respondent.lower(), "subjects": ",".join(subjects),
                "bank_version": bank_version, "channel": channel, "filled": ",".join(filled), "issued_at": now(),
                "issued_by": who or actor()}])
            self.audit("questionnaire issued", {"respondent": respondent.lower(), "channel": channel,
                                                "subjects": subjects, "prefilled": len(filled)}, who)
        return token

    def token_holder(self, token: str | None) -> dict | None:
        """The questionnaire a token was issued for (respondent, subjects, bank_version, channel,
        filled, issued_at), or None for a token this store never issued."""
        if not token:
            return None
        row = self._q("SELECT respondent, subjects, bank_version, channel, filled, issued_at"
                      " FROM questionnaires WHERE {E} token = :token", token=token).fetchone()
        if row is None:
            return None
        return {"token": token, "respondent": row[0], "subjects": _split(row[1]), "bank_version": row[2],
                "channel": row[3], "filled": _split(row[4]), "issued_at": row[5]}

    def issued_tokens(self, channel: str) -> list[dict]:
        """Every token issued on `channel` with its respondent and subjects, oldest first (for a
        caller that compares a presented token against each in constant time)."""
        return [{"token": t, "respondent": r, "subjects": _split(s)} for t, r, s in self._q(
            "SELECT token, respondent, subjects FROM questionnaires WHERE {E} channel = :channel ORDER BY id",
            channel=channel)]

    def last_filled(self, token: str) -> set[str]:
        """The criteria answered in the last known state of a questionnaire: as last imported with
        this token, or else as it went out (filled in by `--prefill`)."""
        latest = self._q("SELECT MAX(id) FROM imports WHERE {E} token = :token AND outcome = 'stored'",
                         token=token).fetchone()[0]
        if latest is not None:
            return {cid for (cid,) in self._q(
                "SELECT criterion_id FROM answers WHERE {E} import_id = :id AND withdrawn = 0", id=latest)}
        holder = self.token_holder(token)
        return set(holder["filled"]) if holder else set()

    def set_consensus(self, criterion_id: str, rating: str, rationale: str, who: str | None = None) -> None:
        with self.transaction():
            self._insert("consensus", [{"criterion_id": criterion_id, "rating": rating, "rationale": rationale,
                                        "recorded_by": who or actor(), "recorded_at": now()}])
            self.audit("consensus set", {"criterion_id": criterion_id, "rating": rating, "rationale": rationale},
                       who)

    # ---- reading ----
    def current_answers(self) -> pd.DataFrame:
        """The latest answer per respondent and criterion, every answer field."""
        df = self._frame(f"SELECT {', '.join(ANSWER_FIELDS)} " + self._current("ORDER BY respondent, criterion_id"),
                         ANSWER_FIELDS)
        return df.astype({"confidence": "Int64"})

    def answered(self, respondent: str | None) -> set[str]:
        """The criteria `respondent` has a current answer to."""
        return {cid for (cid,) in self._q("SELECT criterion_id " + self._current("AND respondent = :who"),
                                          who=(respondent or "").lower())}

    def current_answer_objects(self, respondents: Iterable[str] | None = None) -> dict[str, dict[str, Answer]]:
        """respondent -> criterion id -> their current `Answer` (e.g. to prefill a questionnaire),
        of every respondent or of those given."""
        wanted = None if respondents is None else {r.lower() for r in respondents}
        out: dict[str, dict[str, Answer]] = {}
        for row in self._q(f"SELECT {', '.join(ANSWER_FIELDS)} " + self._current("ORDER BY id")):
            if wanted is None or row[0] in wanted:
                out.setdefault(row[0], {})[row[1]] = Answer(*row)
        return out

    def answers_of(self, respondent: str) -> dict[str, Answer]:
        """criterion id -> one respondent's current `Answer`."""
        return {row[1]: Answer(*row) for row in self._q(
            f"SELECT {', '.join(ANSWER_FIELDS)} FROM answers WHERE {{E}} id IN (SELECT MAX(id) FROM answers"
            " WHERE {E} respondent = :who GROUP BY criterion_id) AND withdrawn = 0 ORDER BY id",
            who=respondent.lower())}

    SCORING_SQL = (f"SELECT respondent, criterion_id, CASE WHEN withdrawn = 1 THEN {WITHDRAWN_CODE} ELSE"
                   f" {_RATING_CODE} END AS code, coalesce(confidence, 0) AS confidence, CASE WHEN evidence IS NOT"
                   " NULL AND length(trim(evidence)) > 0 THEN 1 ELSE 0 END AS has_evidence"
                   " FROM answers WHERE {E} 1 = 1 ORDER BY id")

    def scoring_rows(self) -> list[tuple]:
        """(respondent, criterion_id, rating code, confidence or 0, has_evidence) of every answer
        ever recorded, oldest first; the rating code is its position in the scale's RATINGS, or
        `WITHDRAWN_CODE` for a withdrawal. `scoring_frame` keeps each respondent's latest per
        criterion and drops withdrawals: that is cheaper in numpy than a GROUP BY here, and the
        history is short."""
        return self._q(self.SCORING_SQL).fetchall()

    def _packed_answers(self) -> np.ndarray:
        """`codes.PACKED_SQL` of every answer row, oldest first (int64)."""
        raise NotImplementedError

    def scoring_codes(self) -> AnswerCodes:
        """Every answer row as `scoring_rows` gives it, column-wise: packed integers and the key
        tables that name their respondents and criteria (see codes.py)."""
        # The answers first: a key table read after them holds every key they name (a writer
        # adds keys before the answers that use them), perhaps more.
        return AnswerCodes.from_rows(
            self._packed_answers(),
            self._q("SELECT id, respondent FROM respondent_keys WHERE {E} 1 = 1").fetchall(),
            self._execute("SELECT id, criterion_id FROM criterion_keys").fetchall())

    def scoring_answers(self, renames: dict[str, str] | None = None) -> pd.DataFrame:
        """The current answers in the form scoring counts fastest (see `scoring_frame`)."""
        return codes_frame(self.scoring_codes(), renames=renames)

    def history(self, criterion_id: str | None = None) -> pd.DataFrame:
        """Every answer ever recorded (optionally for one criterion), oldest first."""
        cols = ", ".join(COLUMNS["answers"])
        if criterion_id:
            return self._frame(f"SELECT {cols} FROM answers WHERE {{E}} criterion_id = :cid ORDER BY id",
                               COLUMNS["answers"], cid=criterion_id)
        return self._frame(f"SELECT {cols} FROM answers WHERE {{E}} 1 = 1 ORDER BY id", COLUMNS["answers"])

    def consensus(self) -> pd.DataFrame:
        """The current consensus value per criterion."""
        cols = COLUMNS["consensus"]
        return self._frame(f"SELECT {', '.join(cols)} FROM consensus WHERE {{E}} id IN (SELECT MAX(id) FROM consensus"
                           " WHERE {E} 1 = 1 GROUP BY criterion_id) ORDER BY criterion_id", cols)

    def _table(self, table: str) -> pd.DataFrame:
        cols = COLUMNS[table]
        return self._frame(f"SELECT {', '.join(cols)} FROM {table} WHERE {{E}} 1 = 1 ORDER BY id", cols)

    def consensus_history(self) -> pd.DataFrame:
        return self._table("consensus")

    def imports(self) -> pd.DataFrame:
        return self._table("imports")

    def audit_log(self) -> pd.DataFrame:
        return self._table("audit")

    def last_audit(self, action: str) -> dict | None:
        """The latest audit row of one action (at, actor, detail read back from JSON), or None."""
        row = self._q("SELECT at, actor, detail FROM audit WHERE {E} action = :action ORDER BY id DESC LIMIT 1",
                      action=action).fetchone()
        return None if row is None else {"at": row[0], "actor": row[1], "detail": json.loads(row[2])}

    def state(self) -> dict[str, int]:
        """The last row id of each table scoring reads: the tables are append-only, so equal
        states mean equal contents (batch runs use it to tell what changed)."""
        return {t: self._q(f"SELECT coalesce(MAX(id), 0) FROM {t} WHERE {{E}} 1 = 1").fetchone()[0]
                for t in ("answers", "consensus")}

    def count(self, table: str) -> int:
        assert table in COLUMNS
        return self._q(f"SELECT COUNT(*) FROM {table} WHERE {{E}} 1 = 1").fetchone()[0]

    # ---- moving a whole history ----
    def history_rows(self) -> Iterator[tuple[str, list[dict]]]:
        """Every row of every table, oldest first, as (table, rows): what `store copy` moves."""
        for table in HISTORY_TABLES:
            cols = COLUMNS[table]
            rows = self._q(f"SELECT {', '.join(cols)} FROM {table} WHERE {{E}} 1 = 1 ORDER BY id").fetchall()
            yield table, [dict(zip(cols, r, strict=True)) for r in rows]

    def append_history(self, tables: Iterable[tuple[str, list[dict]]]) -> dict[str, int]:
        """Append a whole history read by `history_rows` (of this engagement, from another store),
        in one transaction and in its order; rows get this store's ids, answers keep the import
        they came from. Returns the rows copied per table."""
        copied: dict[str, int] = {}
        with self.transaction():
            import_ids: dict[int, int] = {}
            for table, rows in tables:
                for row in rows:
                    old = row.pop("id")
                    row.pop("engagement", None)
                    if table == "answers":
                        row["engagement"] = self.engagement
                        row["import_id"] = import_ids.get(row["import_id"]) if row["import_id"] else None
                    if table == "imports":
                        import_ids[old] = self._insert(table, [row], returning=True)
                if table != "imports":
                    self._insert(table, rows)
                copied[table] = len(rows)
        return copied


def scoring_frame(rows: list[tuple], sizes: list[int] | None = None,
                  slugs: list[str] | None = None, renames: dict[str, str] | None = None) -> pd.DataFrame:
    """`scoring_rows()` of one store (or of several, concatenated: `sizes` rows of each of
    `slugs`) as scoring's answer frame, keeping each respondent's latest answer per criterion
    (none where the latest is a withdrawal): engagement, respondent, criterion and rating as
    categoricals, confidence as float (NaN when not given), has_evidence as bool. `renames` reads
    answers on a retired id as answers on the id that replaced it (`Framework.same_as`)."""
    cells = np.array(rows, dtype=object).reshape(-1, 5)
    return scoring_columns(cells[:, 0], cells[:, 1], cells[:, 2].astype(np.int8), cells[:, 3].astype(float),
                           cells[:, 4].astype(bool), sizes, slugs, renames)


def scoring_columns(respondents, criteria, codes, confidence, evidence, sizes: list[int] | None = None,
                    slugs: list[str] | None = None, renames: dict[str, str] | None = None) -> pd.DataFrame:
    """`scoring_frame` from the five columns of `scoring_rows` (oldest row first) instead of row
    tuples; a text column may be given already encoded, as (codes, distinct values)."""
    from dsm_assess.core.frames import pd

    n = len(codes)
    engagement = np.repeat(np.arange(len(sizes)), sizes) if sizes is not None else np.zeros(n, dtype=int)
    respondent, respondent_names = respondents if isinstance(respondents, tuple) else pd.factorize(
        np.asarray(respondents, dtype=object))
    criterion, criterion_ids = criteria if isinstance(criteria, tuple) else pd.factorize(
        np.asarray(criteria, dtype=object))
    if renames and any(c in renames for c in criterion_ids):  # merge the codes of old and new ids
        merged, criterion_ids = pd.factorize(np.array([renames.get(c, c) for c in criterion_ids], dtype=object))
        criterion = merged[criterion]
    key = (engagement * max(len(respondent_names), 1) + respondent) * max(len(criterion_ids), 1) + criterion
    _, last = np.unique(key[::-1], return_index=True)  # the first seen from the end is the latest
    keep = np.sort(n - 1 - last)
    codes = np.asarray(codes, dtype=np.int8)
    keep = keep[codes[keep] != WITHDRAWN_CODE]  # a withdrawal is the latest row: the answer is gone
    conf = np.asarray(confidence, dtype=float)[keep]
    conf[conf == 0] = np.nan
    out = {}
    if slugs is not None:
        out["engagement"] = pd.Categorical.from_codes(engagement[keep], categories=slugs)
    out.update({
        "respondent": pd.Categorical.from_codes(respondent[keep], categories=respondent_names),
        "criterion_id": pd.Categorical.from_codes(criterion[keep], categories=criterion_ids),
        "rating": pd.Categorical.from_codes(codes[keep], categories=RATINGS),
        "confidence": conf,
        "has_evidence": np.asarray(evidence, dtype=bool)[keep],
    })
    return pd.DataFrame(out)


def _split(text: str) -> list[str]:
    return [t for t in text.split(",") if t]
