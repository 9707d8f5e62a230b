"""The embedded response store: one SQLite database per engagement, in its folder.

What a store does is written once, in `base.Store`; this module holds SQLite's schema (numbered
migrations, triggers that refuse to change or remove an answer), its write lock (BEGIN
IMMEDIATE, so that a second writer waits for the first) and where the file lives.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from dsm_assess.core.errors import DsmError
from dsm_assess.core.scale import sql_in
from dsm_assess.formats.yamlfile import display_path
from dsm_assess.store.base import (  # noqa: F401 (names this module has always offered)
    ANSWER_FIELDS,
    BUSY_SECONDS,
    DETAIL_PROBLEMS,
    MAX_DETAIL,
    WITHDRAWN_CODE,
    Store,
    actor,
    now,
    scoring_columns,
    scoring_frame,
)
from dsm_assess.store.codes import (
    CRITERION_KEY_LIMIT,
    PACKED_SQL,
    RESPONDENT_KEY_LIMIT,
    parse_joined,
)

if TYPE_CHECKING:  # pandas loads when answers are read, not for every command
    import pandas as pd


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
    # Answers read column-wise (codes.py): each row keys its respondent and criterion into a key
    # table and keeps `packed`, in an index of its own. The kit gives `packed` and a CHECK holds
    # it to the row: SQLite 3.40 reads a computed column's index only together with the table,
    # which costs a third more. The answers are copied to a new table, ids unchanged, as SQLite
    # adds a column with such a CHECK only to a new table.
    (3, """
    CREATE TABLE respondent_keys (
        id INTEGER PRIMARY KEY CHECK (id < {respondent_limit}),
        respondent TEXT NOT NULL UNIQUE
    );
    {append_only_respondent_keys}
    CREATE TABLE criterion_keys (
        id INTEGER PRIMARY KEY CHECK (id < {criterion_limit}),
        criterion_id TEXT NOT NULL UNIQUE
    );
    {append_only_criterion_keys}
    INSERT INTO respondent_keys (respondent) SELECT respondent FROM answers GROUP BY respondent ORDER BY MIN(id);
    INSERT INTO criterion_keys (criterion_id) SELECT criterion_id FROM answers GROUP BY criterion_id ORDER BY MIN(id);

    CREATE TABLE answers_keyed (
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
        withdrawn INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn IN (0, 1)),
        respondent_key INTEGER NOT NULL,  -- the trigger answers_keys checks both keys
        criterion_key INTEGER NOT NULL,
        packed INTEGER NOT NULL CHECK (packed = ({packed})),
        CHECK (rating <> 'NA' OR length(trim(coalesce(na_reason, ''))) > 0)
    );
    INSERT INTO answers_keyed (id, engagement, respondent, criterion_id, rating, na_reason, confidence, evidence,
                               comment, bank_version, source, source_ref, import_id, recorded_at, withdrawn,
                               respondent_key, criterion_key, packed)
        SELECT id, engagement, respondent, criterion_id, rating, na_reason, confidence, evidence, comment,
               bank_version, source, source_ref, import_id, recorded_at, withdrawn, respondent_key, criterion_key,
               {packed}
        FROM (SELECT a.*, r.id AS respondent_key, c.id AS criterion_key
              FROM answers a JOIN respondent_keys r ON r.respondent = a.respondent
              JOIN criterion_keys c ON c.criterion_id = a.criterion_id) ORDER BY id;
    DROP VIEW current_answers;
    DROP TABLE answers;
    ALTER TABLE answers_keyed RENAME TO answers;
    CREATE INDEX answers_latest ON answers (respondent, criterion_id, id);
    CREATE INDEX answers_import ON answers (import_id);
    CREATE INDEX answers_packed ON answers (id, packed);
    {append_only_answers}
    CREATE TRIGGER answers_keys BEFORE INSERT ON answers
        WHEN NOT EXISTS (SELECT 1 FROM respondent_keys WHERE id = NEW.respondent_key
                         AND respondent = NEW.respondent)
          OR NOT EXISTS (SELECT 1 FROM criterion_keys WHERE id = NEW.criterion_key
                         AND criterion_id = NEW.criterion_id)
    BEGIN SELECT RAISE(ABORT, 'an answer''s respondent_key and criterion_key must name its respondent and criterion');
    END;
    CREATE VIEW current_answers AS
        SELECT a.* FROM answers a
        JOIN (SELECT MAX(id) AS id FROM answers GROUP BY respondent, criterion_id) latest USING (id)
        WHERE NOT a.withdrawn;
    """.format(append_only_respondent_keys=_append_only("respondent_keys"),
               append_only_criterion_keys=_append_only("criterion_keys"), append_only_answers=_append_only("answers"),
               rating_check=sql_in("rating"), packed=PACKED_SQL,
               respondent_limit=RESPONDENT_KEY_LIMIT, criterion_limit=CRITERION_KEY_LIMIT)),
]



def _busy(exc: sqlite3.Error) -> bool:
    return "locked" in str(exc) or "busy" in str(exc)


class NewerStore(DsmError):
    """The store was made by a newer kit (a schema version this one does not know)."""

    def __init__(self, path: Path, found: int, known: int):
        super().__init__(f"{display_path(path)} was made with a newer kit (store schema {found}, this kit knows up "
                         f"to {known}): upgrade the kit; nothing was read or changed")


class StoreBusy(DsmError):
    """Another process held the store's write lock for longer than we wait."""

    def __init__(self, path: Path):
        super().__init__(f"the response store {display_path(path)} is busy: another process has held its write "
                         f"lock for over {BUSY_SECONDS} s (an import or a notebook still writing?); nothing was "
                         "changed: try again once it has finished")


class SqliteStore(Store):
    """An engagement's own SQLite store. Use as a context manager, or call `close()`."""

    gives_packed = True

    def __init__(self, path: Path, engagement: str):
        self.path = Path(path)
        self.where = display_path(self.path)
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

    def close(self) -> None:
        self.db.close()

    def _execute(self, sql: str, params: dict | None = None):
        return self.db.execute(sql, params or {})

    def _executemany(self, sql: str, rows: list[dict]) -> None:
        self.db.executemany(sql, rows)

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

    def _frame(self, sql: str, columns: tuple[str, ...], **params) -> pd.DataFrame:
        from dsm_assess.core.frames import pd

        return pd.read_sql_query(self._sql(sql), self.db, params={"eng": self.engagement, **params})

    # The subquery's order is the order the numbers are joined in (SQLite 3.40 has no ORDER BY
    # inside an aggregate); the narrow index answers_packed serves it without reading the rows'
    # words. Not an ADBC driver: it would bring a second copy of SQLite into the process, and two
    # copies opening one database break each other's locks and WAL file.
    PACKED_READ = "SELECT group_concat(packed) FROM (SELECT packed FROM answers INDEXED BY answers_packed ORDER BY id)"

    def _packed_answers(self):
        return parse_joined(self.db.execute(self.PACKED_READ).fetchone()[0])


def _statements(sql: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies whole."""
    out, buf = [], ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            out.append(buf.strip())
            buf = ""
    return [s for s in out if s]


def store_path(engagement_dir: Path) -> Path:
    return Path(engagement_dir) / "responses.sqlite"


def open_store(engagement_dir: Path, engagement: str | None = None, *, create: bool = False) -> SqliteStore:
    """Open (migrating if needed) the SQLite store of an engagement folder.

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
    return SqliteStore(path, slug)


def init_store(engagement_dir: Path, engagement: str | None = None) -> bool:
    """Create an engagement's empty store; False (and nothing changed) when it already has one."""
    if store_path(engagement_dir).is_file():
        return False
    open_store(engagement_dir, engagement, create=True).close()
    return True
