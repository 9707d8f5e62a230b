"""The response store: one SQLite database per engagement, append-only and audited.

Answers and consensus values are only ever inserted (triggers refuse UPDATE and DELETE); the
current answer of a respondent to a criterion is the latest row, unless that row is a
withdrawal (`withdrawn = 1`: the respondent cleared the answer), in which case there is none.
Every imported file is recorded with its hash, every questionnaire sent out with its issue
token, and every change is written to the audit log in the same transaction.
All SQL of the kit lives in this module.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import secrets
import sqlite3
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from dsm_assess.core.errors import DsmError
from dsm_assess.core.scale import RATINGS, sql_in
from dsm_assess.formats.yamlfile import display_path
from dsm_assess.store.answers import Answer

BUSY_SECONDS = 60  # how long a writer waits for another process's transaction before giving up


def _append_only(table: str) -> str:
    """Triggers that refuse to change or remove a row once written."""
    return "\n".join(
        f"CREATE TRIGGER {table}_append_only_{op[0].lower()} BEFORE {op} ON {table} "
        f"BEGIN SELECT RAISE(ABORT, 'rows of {table} are append-only'); END;" for op in ("UPDATE", "DELETE"))


# Numbered migrations; each runs once, in order, and is recorded in schema_migrations.
MIGRATIONS: list[tuple[int, str]] = [
    (1, """
    CREATE TABLE imports (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        file_name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size INTEGER NOT NULL,
        kind TEXT NOT NULL,
        respondent TEXT,
        imported_at TEXT NOT NULL,
        rows INTEGER NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('stored', 'rejected')),
        detail TEXT
    );
    CREATE INDEX imports_sha ON imports (sha256, outcome);

    CREATE TABLE answers (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        engagement TEXT NOT NULL,
        respondent TEXT NOT NULL,
        criterion_id TEXT NOT NULL,
        rating TEXT NOT NULL CHECK ({rating_check}),
        na_reason TEXT,
        confidence INTEGER CHECK (confidence BETWEEN 1 AND 5),
        evidence TEXT,
        comment TEXT,
        bank_version TEXT NOT NULL,
        source TEXT NOT NULL,
        source_ref TEXT,
        import_id INTEGER REFERENCES imports (id),
        recorded_at TEXT NOT NULL,
        CHECK (rating <> 'NA' OR length(trim(coalesce(na_reason, ''))) > 0)
    );
    CREATE INDEX answers_latest ON answers (respondent, criterion_id, id);
    {append_only_answers}

    CREATE TABLE consensus (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        criterion_id TEXT NOT NULL,
        rating TEXT NOT NULL CHECK ({rating_check}),
        rationale TEXT NOT NULL CHECK (length(trim(rationale)) > 0),
        recorded_by TEXT NOT NULL,
        recorded_at TEXT NOT NULL
    );
    {append_only_consensus}

    CREATE TABLE audit (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL
    );

    CREATE VIEW current_answers AS
        SELECT a.* FROM answers a
        JOIN (SELECT MAX(id) AS id FROM answers GROUP BY respondent, criterion_id) latest USING (id);
    CREATE VIEW current_consensus AS
        SELECT c.* FROM consensus c
        JOIN (SELECT MAX(id) AS id FROM consensus GROUP BY criterion_id) latest USING (id);
    """.format(append_only_answers=_append_only("answers"), append_only_consensus=_append_only("consensus"),
           rating_check=sql_in("rating"))),
    # Questionnaires sent out (workbooks now, the workshop form's links later), each with a random
    # token that admits the returned file; withdrawals; the token and problem count of imports.
    (2, """
    CREATE TABLE questionnaires (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        token TEXT NOT NULL UNIQUE,
        respondent TEXT NOT NULL,
        subjects TEXT NOT NULL,
        bank_version TEXT NOT NULL,
        channel TEXT NOT NULL,
        filled TEXT NOT NULL DEFAULT '',
        issued_at TEXT NOT NULL,
        issued_by TEXT NOT NULL
    );
    {append_only_questionnaires}

    ALTER TABLE imports ADD COLUMN token TEXT;
    ALTER TABLE imports ADD COLUMN problem_count INTEGER;
    CREATE INDEX imports_token ON imports (token, outcome, id);

    ALTER TABLE answers ADD COLUMN withdrawn INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn IN (0, 1));
    CREATE INDEX answers_import ON answers (import_id);

    DROP VIEW current_answers;
    CREATE VIEW current_answers AS
        SELECT a.* FROM answers a
        JOIN (SELECT MAX(id) AS id FROM answers GROUP BY respondent, criterion_id) latest USING (id)
        WHERE NOT a.withdrawn;
    """.format(append_only_questionnaires=_append_only("questionnaires"))),
]

ANSWER_FIELDS = ("respondent", "criterion_id", "rating", "na_reason", "confidence", "evidence", "comment")
# The latest row per respondent and criterion (the index answers_latest covers the grouping),
# unless it is a withdrawal.
_CURRENT = ("FROM answers WHERE id IN (SELECT MAX(id) FROM answers GROUP BY respondent, criterion_id)"
            " AND NOT withdrawn")
WITHDRAWN_CODE = -1  # the rating code `scoring_rows` gives a withdrawal
MAX_DETAIL = 4000    # characters of a rejected import's problems kept in the store
DETAIL_PROBLEMS = 20  # ... and at most this many of them: the count says how many there were


# The rating as its position in RATINGS: a small integer costs Python less to receive than a string.
_RATING_CODE = "CASE rating " + " ".join(f"WHEN '{r}' THEN {i}" for i, r in enumerate(RATINGS)) + " END"


def _busy(exc: sqlite3.Error) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


class StoreBusy(DsmError):
    """Another process held the store's write lock for longer than we wait."""

    def __init__(self, path: Path):
        super().__init__(f"the response store {display_path(path)} is busy: another process has held its write "
                         f"lock for over {BUSY_SECONDS} s (an import or a notebook still writing?); nothing was "
                         "changed: try again once it has finished")


class NewerStore(DsmError):
    """The store was made by a newer kit (a schema version this one does not know)."""

    def __init__(self, path: Path, found: int, known: int):
        super().__init__(f"{display_path(path)} was made with a newer kit (store schema {found}, this kit knows up "
                         f"to {known}): upgrade the kit; nothing was read or changed")


def now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


@lru_cache(maxsize=1)
def actor() -> str:
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers and services
        return "unknown"


class Store:
    """An open response store. Use as a context manager, or call `close()`."""

    def __init__(self, path: Path, engagement: str):
        self.path = Path(path)
        self.engagement = engagement
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # Autocommit mode: transactions are opened explicitly with BEGIN IMMEDIATE, so that a
        # second writer waits for the first (busy timeout) instead of failing half-way.
        self.db = sqlite3.connect(self.path, timeout=BUSY_SECONDS, isolation_level=None)
        deadline = time.monotonic() + BUSY_SECONDS
        while True:
            try:
                self.db.execute(f"PRAGMA busy_timeout={BUSY_SECONDS * 1000}")
                self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA foreign_keys=ON")
                self._migrate()
                break
            except NewerStore:
                self.db.close()
                raise
            except sqlite3.OperationalError as exc:
                # Switching to WAL while another process creates the file can fail at once,
                # without waiting on the busy timeout: wait and try again.
                if _busy(exc) and time.monotonic() < deadline:
                    time.sleep(0.05)
                    continue
                self.db.close()
                if _busy(exc):
                    raise StoreBusy(self.path) from None
                raise DsmError(f"{self.path} is not a usable response store ({exc}); restore it from a backup") \
                    from None
            except sqlite3.DatabaseError as exc:
                self.db.close()
                raise DsmError(f"{self.path} is not a usable response store ({exc}); restore it from a backup") \
                    from None

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.db.close()

    # ---- schema ----
    def _migrate(self) -> None:
        with self.transaction():
            self.db.execute("CREATE TABLE IF NOT EXISTS schema_migrations "
                            "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            done = {v for (v,) in self.db.execute("SELECT version FROM schema_migrations")}
            known = max(v for v, _ in MIGRATIONS)
            if done and max(done) > known:
                # A newer kit changed the store in ways this one does not know: writing could break it.
                raise NewerStore(self.path, max(done), known)
            for version, sql in MIGRATIONS:
                if version not in done:
                    for statement in _statements(sql):
                        self.db.execute(statement)
                    self.db.execute("INSERT INTO schema_migrations VALUES (?, ?)", (version, now()))

    def schema_version(self) -> int:
        return self.db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0]

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """All or nothing: commits on success, rolls back on any exception."""
        if self.db.in_transaction:  # nested: the outer transaction decides
            yield self.db
            return
        try:
            self.db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _busy(exc):
                raise StoreBusy(self.path) from None
            raise
        try:
            yield self.db
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        self.db.execute("COMMIT")

    # ---- writing ----
    def audit(self, action: str, detail: dict, who: str | None = None) -> None:
        self.db.execute("INSERT INTO audit (at, actor, action, detail) VALUES (?, ?, ?, ?)",
                        (now(), who or actor(), action, json.dumps(detail, ensure_ascii=False, sort_keys=True)))

    def record_answers(self, answers: Iterable[Answer], *, bank_version: str, source: str,
                       source_ref: str | None = None, import_id: int | None = None, who: str | None = None) -> int:
        """Append answers in one transaction; returns how many were stored."""
        at = now()
        rows = [(self.engagement, a.respondent.lower(), a.criterion_id, a.rating, a.na_reason, a.confidence,
                 a.evidence, a.comment, bank_version, source, source_ref, import_id, at) for a in answers]
        with self.transaction():
            self.db.executemany(
                "INSERT INTO answers (engagement, respondent, criterion_id, rating, na_reason, confidence, evidence,"
                " comment, bank_version, source, source_ref, import_id, recorded_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows)
            respondents = sorted({r[1] for r in rows})
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
            current = {row[1]: row for row in self.db.execute(
                f"SELECT {', '.join(ANSWER_FIELDS)} {_CURRENT} AND respondent = ?", (respondent,))}
            gone = [cid for cid in dict.fromkeys(criteria) if cid in current]
            at = now()
            self.db.executemany(
                "INSERT INTO answers (engagement, respondent, criterion_id, rating, na_reason, bank_version, source,"
                " source_ref, import_id, recorded_at, withdrawn) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1)",
                [(self.engagement, respondent, cid, current[cid][2], current[cid][3], bank_version, source,
                  source_ref, import_id, at) for cid in gone])
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
            cur = self.db.execute(
                "INSERT INTO imports (file_name, sha256, size, kind, respondent, imported_at, rows, outcome, detail,"
                " token, problem_count) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (file_name, sha256, size, kind, respondent, now(), rows, outcome, detail, token, problem_count))
            self.audit(f"import {outcome}", {"file": file_name, "sha256": sha256, "rows": rows})
            return cur.lastrowid

    def stored_import(self, sha256: str) -> dict | None:
        """The earlier successful import of a file with this hash, if any."""
        row = self.db.execute("SELECT id, file_name, imported_at, rows FROM imports"
                              " WHERE sha256 = ? AND outcome = 'stored' ORDER BY id LIMIT 1", (sha256,)).fetchone()
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
            self.db.execute(
                "INSERT INTO questionnaires (token, respondent, subjects, bank_version, channel, filled, issued_at,"
                " issued_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (token, respondent.lower(), ",".join(subjects), bank_version, channel, ",".join(filled), now(),
                 who or actor()))
            self.audit("questionnaire issued", {"respondent": respondent.lower(), "channel": channel,
                                                "subjects": subjects, "prefilled": len(filled)}, who)
        return token

    def token_holder(self, token: str | None) -> dict | None:
        """The questionnaire a token was issued for (respondent, subjects, bank_version, channel,
        filled, issued_at), or None for a token this store never issued."""
        if not token:
            return None
        row = self.db.execute("SELECT respondent, subjects, bank_version, channel, filled, issued_at"
                              " FROM questionnaires WHERE token = ?", (token,)).fetchone()
        if row is None:
            return None
        return {"token": token, "respondent": row[0], "subjects": _split(row[1]), "bank_version": row[2],
                "channel": row[3], "filled": _split(row[4]), "issued_at": row[5]}

    def issued_tokens(self, channel: str) -> list[dict]:
        """Every token issued on `channel` with its respondent and subjects, oldest first (for a
        caller that compares a presented token against each in constant time)."""
        return [{"token": t, "respondent": r, "subjects": _split(s)} for t, r, s in self.db.execute(
            "SELECT token, respondent, subjects FROM questionnaires WHERE channel = ? ORDER BY id", (channel,))]

    def last_filled(self, token: str) -> set[str]:
        """The criteria answered in the last known state of a questionnaire: as last imported with
        this token, or else as it went out (filled in by `--prefill`)."""
        latest = self.db.execute("SELECT MAX(id) FROM imports WHERE token = ? AND outcome = 'stored'",
                                 (token,)).fetchone()[0]
        if latest is not None:
            return {cid for (cid,) in self.db.execute(
                "SELECT criterion_id FROM answers WHERE import_id = ? AND NOT withdrawn", (latest,))}
        holder = self.token_holder(token)
        return set(holder["filled"]) if holder else set()

    def set_consensus(self, criterion_id: str, rating: str, rationale: str, who: str | None = None) -> None:
        with self.transaction():
            self.db.execute("INSERT INTO consensus (criterion_id, rating, rationale, recorded_by, recorded_at)"
                            " VALUES (?, ?, ?, ?, ?)", (criterion_id, rating, rationale, who or actor(), now()))
            self.audit("consensus set", {"criterion_id": criterion_id, "rating": rating, "rationale": rationale},
                       who)

    # ---- reading ----
    def _frame(self, sql: str, params: tuple = ()) -> pd.DataFrame:
        return pd.read_sql_query(sql, self.db, params=params)

    def current_answers(self) -> pd.DataFrame:
        """The latest answer per respondent and criterion, every answer field."""
        rows = self.db.execute(f"SELECT {', '.join(ANSWER_FIELDS)} {_CURRENT} ORDER BY respondent, criterion_id"
                               ).fetchall()
        df = pd.DataFrame.from_records(rows, columns=list(ANSWER_FIELDS))
        return df.astype({"confidence": "Int64"})

    def answered(self, respondent: str | None) -> set[str]:
        """The criteria `respondent` has a current answer to."""
        return {cid for (cid,) in self.db.execute(f"SELECT criterion_id {_CURRENT} AND respondent = ?",
                                                  ((respondent or "").lower(),))}

    def current_answer_objects(self, respondents: Iterable[str] | None = None) -> dict[str, dict[str, Answer]]:
        """respondent -> criterion id -> their current `Answer` (e.g. to prefill a questionnaire),
        of every respondent or of those given."""
        out: dict[str, dict[str, Answer]] = {}
        only, params = "", ()
        if respondents is not None:
            params = tuple(respondents)
            only = f" AND respondent IN ({', '.join('?' * len(params))})"
        for row in self.db.execute(f"SELECT {', '.join(ANSWER_FIELDS)} {_CURRENT}{only} ORDER BY id", params):
            out.setdefault(row[0], {})[row[1]] = Answer(*row)
        return out

    def answers_of(self, respondent: str) -> dict[str, Answer]:
        """criterion id -> one respondent's current `Answer` (read through the respondent's index,
        without touching anyone else's rows)."""
        return {row[1]: Answer(*row) for row in self.db.execute(
            f"SELECT {', '.join(ANSWER_FIELDS)} FROM answers WHERE id IN (SELECT MAX(id) FROM answers"
            " WHERE respondent = ? GROUP BY criterion_id) AND NOT withdrawn ORDER BY id", (respondent.lower(),))}

    def scoring_rows(self) -> list[tuple]:
        """(respondent, criterion_id, rating code, confidence or 0, has_evidence) of every answer
        ever recorded, oldest first; the rating code is its position in the scale's RATINGS, or
        `WITHDRAWN_CODE` for a withdrawal. `scoring_frame` keeps each respondent's latest per
        criterion and drops withdrawals: that is cheaper in numpy than a GROUP BY here, and the
        history is short."""
        return self.db.execute(
            f"SELECT respondent, criterion_id, CASE WHEN withdrawn THEN {WITHDRAWN_CODE} ELSE {_RATING_CODE} END,"
            " coalesce(confidence, 0), evidence IS NOT NULL AND length(trim(evidence)) > 0 FROM answers ORDER BY id"
        ).fetchall()

    def scoring_answers(self, renames: dict[str, str] | None = None) -> pd.DataFrame:
        """The current answers in the form scoring counts fastest (see `scoring_frame`)."""
        return scoring_frame(self.scoring_rows(), renames=renames)

    def history(self, criterion_id: str | None = None) -> pd.DataFrame:
        """Every answer ever recorded (optionally for one criterion), oldest first."""
        if criterion_id:
            return self._frame("SELECT * FROM answers WHERE criterion_id = ? ORDER BY id", (criterion_id,))
        return self._frame("SELECT * FROM answers ORDER BY id")

    def consensus(self) -> pd.DataFrame:
        """The current consensus value per criterion."""
        return self._frame("SELECT * FROM current_consensus ORDER BY criterion_id")

    def consensus_history(self) -> pd.DataFrame:
        return self._frame("SELECT * FROM consensus ORDER BY id")

    def imports(self) -> pd.DataFrame:
        return self._frame("SELECT * FROM imports ORDER BY id")

    def audit_log(self) -> pd.DataFrame:
        return self._frame("SELECT * FROM audit ORDER BY id")

    def state(self) -> dict[str, int]:
        """The last row id of each table scoring reads: the tables are append-only, so equal
        states mean equal contents (batch runs use it to tell what changed)."""
        return {t: self.db.execute(f"SELECT coalesce(MAX(id), 0) FROM {t}").fetchone()[0]
                for t in ("answers", "consensus")}

    def count(self, table: str) -> int:
        assert table in {"answers", "imports", "consensus", "audit", "questionnaires"}
        return self.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


def scoring_frame(rows: list[tuple], sizes: list[int] | None = None,
                  slugs: list[str] | None = None, renames: dict[str, str] | None = None) -> pd.DataFrame:
    """`scoring_rows()` of one store (or of several, concatenated: `sizes` rows of each of
    `slugs`) as scoring's answer frame, keeping each respondent's latest answer per criterion
    (none where the latest is a withdrawal): engagement, respondent, criterion and rating as
    categoricals, confidence as float (NaN when not given), has_evidence as bool. `renames` reads
    answers on a retired id as answers on the id that replaced it (`Framework.same_as`)."""
    cells = np.array(rows, dtype=object).reshape(-1, 5)
    engagement = np.repeat(np.arange(len(sizes)), sizes) if sizes is not None else np.zeros(len(cells), dtype=int)
    respondent, respondents = pd.factorize(cells[:, 0])
    criterion, criteria = pd.factorize(cells[:, 1])
    if renames and any(c in renames for c in criteria):  # merge the codes of old and new ids
        codes, criteria = pd.factorize(np.array([renames.get(c, c) for c in criteria], dtype=object))
        criterion = codes[criterion]
    key = (engagement * max(len(respondents), 1) + respondent) * max(len(criteria), 1) + criterion
    _, last = np.unique(key[::-1], return_index=True)  # the first seen from the end is the latest
    keep = np.sort(len(key) - 1 - last)
    keep = keep[cells[keep, 2] != WITHDRAWN_CODE]  # a withdrawal is the latest row: the answer is gone
    confidence = cells[keep, 3].astype(float)
    confidence[confidence == 0] = np.nan
    out = {}
    if slugs is not None:
        out["engagement"] = pd.Categorical.from_codes(engagement[keep], categories=slugs)
    out.update({
        "respondent": pd.Categorical.from_codes(respondent[keep], categories=respondents),
        "criterion_id": pd.Categorical.from_codes(criterion[keep], categories=criteria),
        "rating": pd.Categorical.from_codes(cells[keep, 2].astype(np.int8), categories=RATINGS),
        "confidence": confidence,
        "has_evidence": cells[keep, 4].astype(bool),
    })
    return pd.DataFrame(out)


def _statements(sql: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return [s for s in out if s]


def _split(text: str) -> list[str]:
    return [t for t in text.split(",") if t]


def store_path(engagement_dir: Path) -> Path:
    return Path(engagement_dir) / "responses.sqlite"


def open_store(engagement_dir: Path, engagement: str | None = None, *, create: bool = False) -> Store:
    """Open (migrating if needed) the store of an engagement folder.

    An engagement folder (one with engagement.yaml) must already have its store unless `create`
    is given: a missing store is reported, never silently replaced by an empty one. Any other
    folder gets a new store when it has none (tests, benchmarks, tools).
    """
    engagement_dir = Path(engagement_dir)
    slug = engagement or engagement_dir.name
    path = store_path(engagement_dir)
    if path.is_dir():
        raise DsmError(f"{display_path(path)} is a folder, not a response store: move it away and put the "
                       f"store file back there (or run `dsm-assess engagement init-store {slug}` for a new one)")
    if not create and not path.exists() and (engagement_dir / "engagement.yaml").is_file():
        raise DsmError(f"no response store in {display_path(engagement_dir)}/: restore it or run "
                       f"`dsm-assess engagement init-store {slug}`")
    return Store(path, slug)


def init_store(engagement_dir: Path, engagement: str | None = None) -> bool:
    """Create an engagement's empty store; False (and nothing changed) when it already has one."""
    if store_path(engagement_dir).is_file():
        return False
    open_store(engagement_dir, engagement, create=True).close()
    return True
