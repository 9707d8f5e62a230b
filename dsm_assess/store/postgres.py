"""The team store: every engagement of a firm in one PostgreSQL database.

Each row names its engagement. The database itself guards the history and who sees it:
triggers refuse to change or remove answers, consensus values, questionnaires and imports;
row-level security shows a consultant only the engagements they are assigned to (`grant`,
`revoke`), and the form's server role writes answers for its one engagement only. Numbered
migrations create the tables, the triggers, the two group roles (`dsm_consultant`, `dsm_form`)
and the policies; they are run by the database's owner (`dsm-assess store migrate`).

A transaction takes the engagement's advisory lock, so writers to one engagement queue as they
do on SQLite (BEGIN IMMEDIATE) and a file is stored once however many processes import it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
from psycopg import errors as pg_errors
from psycopg import sql as pg_sql
from psycopg.conninfo import conninfo_to_dict

from dsm_assess.core.errors import DsmError
from dsm_assess.core.scale import sql_in
from dsm_assess.store.base import BUSY_SECONDS, Store, now
from dsm_assess.store.codes import (
    CRITERION_KEY_LIMIT,
    PACKED_SQL,
    RESPONDENT_KEY_LIMIT,
    parse_bytes,
)

CONSULTANT_ROLE = "dsm_consultant"
FORM_ROLE = "dsm_form"
_HISTORY = ("imports", "questionnaires", "answers", "consensus", "audit")
_APPEND_ONLY = ("imports", "questionnaires", "answers", "consensus", "audit")
_MIGRATION_LOCK = 7_351_021  # the advisory lock that lets one process migrate at a time
_CURRENT: set[str] = set()  # store URLs found at the kit's schema version in this process


def _policies() -> str:
    """Row-level security: a row is seen and written only by those assigned to its engagement."""
    assigned = "engagement IN (SELECT engagement FROM assignments WHERE member = current_user)"
    out = [f"ALTER TABLE {t} ENABLE ROW LEVEL SECURITY;\n"
           f"CREATE POLICY {t}_assigned ON {t} USING ({assigned}) WITH CHECK ({assigned});" for t in _HISTORY]
    out.append("ALTER TABLE engagements ENABLE ROW LEVEL SECURITY;\n"
               "CREATE POLICY engagements_assigned ON engagements USING "
               "(slug IN (SELECT engagement FROM assignments WHERE member = current_user));")
    out.append("ALTER TABLE assignments ENABLE ROW LEVEL SECURITY;\n"
               "CREATE POLICY assignments_own ON assignments USING (member = current_user);")
    return "\n".join(out)


def _append_only() -> str:
    return "\n".join(
        f"CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t} FOR EACH ROW EXECUTE FUNCTION "
        f"dsm_append_only();\nCREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION dsm_append_only();" for t in _APPEND_ONLY)


def _role(name: str) -> str:
    return (f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN "
            f"CREATE ROLE {name} NOLOGIN; END IF; END $$;")


# Numbered migrations; each runs once, in order, and is recorded in schema_migrations. The
# tables hold the same columns as SQLite's (migrations 1 and 2 there) plus their engagement.
MIGRATIONS: list[tuple[int, str]] = [
    (1, f"""
    CREATE TABLE engagements (
        slug TEXT PRIMARY KEY,
        created_at TEXT NOT NULL,
        created_by TEXT NOT NULL
    );
    CREATE TABLE assignments (
        engagement TEXT NOT NULL REFERENCES engagements (slug),
        member TEXT NOT NULL,
        granted_at TEXT NOT NULL,
        granted_by TEXT NOT NULL,
        PRIMARY KEY (engagement, member)
    );
    CREATE TABLE imports (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        file_name TEXT NOT NULL,
        sha256 TEXT NOT NULL,
        size BIGINT NOT NULL,
        kind TEXT NOT NULL,
        respondent TEXT,
        imported_at TEXT NOT NULL,
        rows INTEGER NOT NULL,
        outcome TEXT NOT NULL CHECK (outcome IN ('stored', 'rejected')),
        detail TEXT,
        token TEXT,
        problem_count INTEGER,
        engagement TEXT NOT NULL REFERENCES engagements (slug)
    );
    CREATE INDEX imports_sha ON imports (engagement, sha256, outcome);
    CREATE INDEX imports_token ON imports (engagement, token, outcome, id);
    CREATE TABLE answers (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        engagement TEXT NOT NULL REFERENCES engagements (slug),
        respondent TEXT NOT NULL,
        criterion_id TEXT NOT NULL,
        rating TEXT NOT NULL CHECK ({sql_in("rating")}),
        na_reason TEXT,
        confidence INTEGER CHECK (confidence BETWEEN 1 AND 5),
        evidence TEXT,
        comment TEXT,
        bank_version TEXT NOT NULL,
        source TEXT NOT NULL,
        source_ref TEXT,
        import_id BIGINT REFERENCES imports (id),
        recorded_at TEXT NOT NULL,
        withdrawn SMALLINT NOT NULL DEFAULT 0 CHECK (withdrawn IN (0, 1)),
        CHECK (rating <> 'NA' OR length(trim(coalesce(na_reason, ''))) > 0)
    );
    CREATE INDEX answers_latest ON answers (engagement, respondent, criterion_id, id);
    CREATE INDEX answers_import ON answers (import_id);
    CREATE TABLE consensus (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        criterion_id TEXT NOT NULL,
        rating TEXT NOT NULL CHECK ({sql_in("rating")}),
        rationale TEXT NOT NULL CHECK (length(trim(rationale)) > 0),
        recorded_by TEXT NOT NULL,
        recorded_at TEXT NOT NULL,
        engagement TEXT NOT NULL REFERENCES engagements (slug)
    );
    CREATE INDEX consensus_engagement ON consensus (engagement, criterion_id, id);
    CREATE TABLE audit (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        at TEXT NOT NULL,
        actor TEXT NOT NULL,
        action TEXT NOT NULL,
        detail TEXT NOT NULL,
        engagement TEXT NOT NULL REFERENCES engagements (slug)
    );
    CREATE INDEX audit_engagement ON audit (engagement, id);
    CREATE TABLE questionnaires (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        token TEXT NOT NULL UNIQUE,
        respondent TEXT NOT NULL,
        subjects TEXT NOT NULL,
        bank_version TEXT NOT NULL,
        channel TEXT NOT NULL,
        filled TEXT NOT NULL DEFAULT '',
        issued_at TEXT NOT NULL,
        issued_by TEXT NOT NULL,
        engagement TEXT NOT NULL REFERENCES engagements (slug)
    );

    -- Only `purge_engagement`, run by the owner, may remove rows: of the one engagement it names.
    CREATE FUNCTION dsm_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' AND OLD.engagement = current_setting('dsm.purging', true) THEN
            RETURN OLD;
        END IF;
        RAISE EXCEPTION 'rows of % are append-only', TG_TABLE_NAME;
    END $$;
    {_append_only()}

    -- A consultant who creates an engagement is assigned to it; joining one needs a grant.
    CREATE FUNCTION dsm_create_engagement(p_slug TEXT, p_at TEXT) RETURNS BOOLEAN
    LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
    BEGIN
        IF EXISTS (SELECT FROM engagements WHERE slug = p_slug) THEN
            RETURN false;
        END IF;
        INSERT INTO engagements VALUES (p_slug, p_at, session_user);
        INSERT INTO assignments VALUES (p_slug, session_user, p_at, session_user);
        RETURN true;
    END $$;
    REVOKE ALL ON FUNCTION dsm_create_engagement(TEXT, TEXT) FROM PUBLIC;

    {_role(CONSULTANT_ROLE)}
    {_role(FORM_ROLE)}
    GRANT SELECT ON schema_migrations, engagements, assignments, {", ".join(_HISTORY)}
        TO {CONSULTANT_ROLE}, {FORM_ROLE};
    GRANT INSERT ON {", ".join(_HISTORY)} TO {CONSULTANT_ROLE};
    GRANT INSERT ON answers, consensus, questionnaires, audit TO {FORM_ROLE};
    GRANT EXECUTE ON FUNCTION dsm_create_engagement(TEXT, TEXT) TO {CONSULTANT_ROLE};
    {_policies()}
    """),
    # Answers read column-wise (codes.py): each row keys its respondent (the engagement's own)
    # and criterion (shared: bank ids are no client's data) into a key table and keeps `packed`,
    # computed by the database, also in an index that an index-only scan reads in row order. A
    # row inserted without keys gets them from the trigger; keys given are checked. The owner
    # alone may run this (it rewrites the answers).
    (2, f"""
    CREATE TABLE respondent_keys (
        id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY CHECK (id < {RESPONDENT_KEY_LIMIT}),
        respondent TEXT NOT NULL,
        engagement TEXT NOT NULL REFERENCES engagements (slug),
        UNIQUE (engagement, respondent)
    );
    CREATE TABLE criterion_keys (
        id INTEGER GENERATED ALWAYS AS IDENTITY PRIMARY KEY CHECK (id < {CRITERION_KEY_LIMIT}),
        criterion_id TEXT NOT NULL UNIQUE
    );
    INSERT INTO respondent_keys (engagement, respondent)
        SELECT engagement, respondent FROM answers GROUP BY engagement, respondent ORDER BY MIN(id);
    INSERT INTO criterion_keys (criterion_id) SELECT criterion_id FROM answers GROUP BY criterion_id ORDER BY MIN(id);

    -- The keys are checked by the trigger answers_keys (that they name the row's respondent and
    -- criterion, not only that they exist); the key tables are append-only.
    ALTER TABLE answers
        ADD COLUMN respondent_key BIGINT,
        ADD COLUMN criterion_key INTEGER,
        ADD COLUMN packed BIGINT GENERATED ALWAYS AS ({PACKED_SQL}) STORED;
    ALTER TABLE answers DISABLE TRIGGER answers_append_only;
    UPDATE answers a SET respondent_key = r.id, criterion_key = c.id FROM respondent_keys r, criterion_keys c
        WHERE r.engagement = a.engagement AND r.respondent = a.respondent AND c.criterion_id = a.criterion_id;
    ALTER TABLE answers ENABLE TRIGGER answers_append_only;
    ALTER TABLE answers ALTER COLUMN respondent_key SET NOT NULL, ALTER COLUMN criterion_key SET NOT NULL;
    CREATE INDEX answers_packed ON answers (engagement, id) INCLUDE (packed);

    CREATE FUNCTION dsm_answer_keys() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF NEW.respondent_key IS NULL THEN
            INSERT INTO respondent_keys (engagement, respondent) VALUES (NEW.engagement, NEW.respondent)
                ON CONFLICT DO NOTHING;
            SELECT id INTO NEW.respondent_key FROM respondent_keys
                WHERE engagement = NEW.engagement AND respondent = NEW.respondent;
        END IF;
        IF NEW.criterion_key IS NULL THEN
            INSERT INTO criterion_keys (criterion_id) VALUES (NEW.criterion_id) ON CONFLICT DO NOTHING;
            SELECT id INTO NEW.criterion_key FROM criterion_keys WHERE criterion_id = NEW.criterion_id;
        END IF;
        PERFORM FROM respondent_keys r, criterion_keys c
            WHERE r.id = NEW.respondent_key AND r.engagement = NEW.engagement AND r.respondent = NEW.respondent
            AND c.id = NEW.criterion_key AND c.criterion_id = NEW.criterion_id;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'an answer''s respondent_key and criterion_key must name its respondent and criterion';
        END IF;
        RETURN NEW;
    END $$;
    CREATE TRIGGER answers_keys BEFORE INSERT ON answers FOR EACH ROW EXECUTE FUNCTION dsm_answer_keys();

    -- Key tables are append-only too; only the owner's purge of an engagement removes its respondents.
    CREATE TRIGGER respondent_keys_append_only BEFORE UPDATE OR DELETE ON respondent_keys FOR EACH ROW
        EXECUTE FUNCTION dsm_append_only();
    CREATE TRIGGER respondent_keys_no_truncate BEFORE TRUNCATE ON respondent_keys FOR EACH STATEMENT
        EXECUTE FUNCTION dsm_append_only();
    CREATE FUNCTION dsm_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION 'rows of % are append-only', TG_TABLE_NAME;
    END $$;
    CREATE TRIGGER criterion_keys_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON criterion_keys
        FOR EACH STATEMENT EXECUTE FUNCTION dsm_refuse_change();

    ALTER TABLE respondent_keys ENABLE ROW LEVEL SECURITY;
    CREATE POLICY respondent_keys_assigned ON respondent_keys
        USING (engagement IN (SELECT engagement FROM assignments WHERE member = current_user))
        WITH CHECK (engagement IN (SELECT engagement FROM assignments WHERE member = current_user));
    GRANT SELECT, INSERT ON respondent_keys, criterion_keys TO {CONSULTANT_ROLE}, {FORM_ROLE};
    """),
]


def _target(url: str) -> str:
    """Where a URL points, for messages: host (or socket folder), port and database, never a password."""
    try:
        info = conninfo_to_dict(url)
    except psycopg.ProgrammingError:
        return "the store URL"
    host = info.get("host") or "localhost"
    port = f":{info['port']}" if info.get("port") else ""
    return f"database {info.get('dbname') or info.get('user') or '(default)'} on {host}{port}"


def connect(url: str) -> psycopg.Connection:
    """A connection in autocommit mode (transactions are opened explicitly), or one clear line
    saying which server and what to check."""
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=10)
    except psycopg.ProgrammingError as exc:
        raise DsmError(f"the store URL is not valid ({_first_line(exc)}): write it as "
                       "postgresql://USER@HOST:PORT/DATABASE") from None
    except psycopg.OperationalError as exc:
        raise DsmError(f"cannot connect to the team store, {_target(url)}: {_first_line(exc)}; check that the "
                       "server is running and reachable, the host, port and database in the store URL, and your "
                       "user name and password (~/.pgpass or PGPASSWORD)") from None


def _first_line(exc: Exception) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[-1] if lines else type(exc).__name__


_NAMED = re.compile(r"(?<![:\w]):(\w+)")


@contextmanager
def _errors(where: str, slug: str | None = None) -> Iterator[None]:
    """Database errors a user can do something about, as one line."""
    try:
        yield
    except pg_errors.InsufficientPrivilege as exc:
        who = f"engagement {slug!r}" if slug else "this"
        raise DsmError(f"the team store ({where}) refused: {_first_line(exc)}; you may not change {who} there: "
                       f"ask its administrator (`dsm-assess store grant {slug or 'SLUG'} --consultant YOU`)") from None
    except (psycopg.OperationalError, pg_errors.AdminShutdown) as exc:
        raise DsmError(f"lost the connection to the team store, {where}: {_first_line(exc)}; nothing half-done "
                       "was kept: check that the server is running, then run the command again") from None


class PostgresStore(Store):
    """One engagement's rows in the team store."""

    shared = True

    def __init__(self, url: str, engagement: str, *, create: bool = False, conn: psycopg.Connection | None = None):
        self.url = url
        self.where = _target(url)
        self.engagement = engagement
        self._own = conn is None  # a connection given is shared: its owner closes it
        self.db = conn or connect(url)
        self._depth = 0
        try:
            with _errors(self.where, engagement):
                if url not in _CURRENT:  # once per process: the schema does not go back
                    migrate(self.db, self.where, only_check=True)
                    _CURRENT.add(url)
                if create:
                    self.db.execute("SELECT dsm_create_engagement(%s, %s)", (engagement, now()))
                if self.db.execute("SELECT 1 FROM engagements WHERE slug = %s", (engagement,)).fetchone() is None:
                    raise DsmError(
                        f"engagement {engagement!r} is not in the team store ({self.where}), or you are not assigned "
                        f"to it: ask its administrator (`dsm-assess store grant {engagement} --consultant YOU`), or "
                        f"create it there with `dsm-assess engagement init-store {engagement}`")
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        if self._own:
            self.db.close()

    def _execute(self, sql: str, params: dict | None = None):
        with _errors(self.where, self.engagement):
            return self.db.execute(_NAMED.sub(r"%(\1)s", sql), params or {})

    def _executemany(self, sql: str, rows: list[dict]) -> None:
        with _errors(self.where, self.engagement), self.db.cursor() as cur:
            cur.executemany(_NAMED.sub(r"%(\1)s", sql), rows)

    # Each row's packed integer as its 8 bytes, all joined into one byte string that is received
    # in binary: no text to parse, no Python object per row (COPY TO STDOUT would send one
    # message per row, which the client library hands over one at a time). The index
    # answers_packed gives the rows in order without visiting the table once vacuum has seen them.
    PACKED_READ = ("SELECT string_agg(int8send(packed), ''::bytea) FROM (SELECT packed FROM answers"
                   " WHERE engagement = %s ORDER BY id) AS rows")

    def _packed_answers(self):
        with _errors(self.where, self.engagement):
            return parse_bytes(self.db.execute(self.PACKED_READ, (self.engagement,), binary=True).fetchone()[0])

    @contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """All or nothing under the engagement's advisory lock: commits on success, rolls back on
        any exception (and the server rolls back a client that disappears)."""
        if self._depth:
            yield self.db
            return
        self._depth = 1
        try:
            with _errors(self.where, self.engagement), self.db.transaction():
                self.db.execute(f"SET LOCAL lock_timeout = '{BUSY_SECONDS}s'")
                self.db.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (f"dsm:{self.engagement}",))
                yield self.db
        finally:
            self._depth = 0

    def purge(self) -> None:
        """Remove this engagement and its whole history (the demo's fresh start). Only the
        database's owner may: the triggers let nobody else delete a row."""
        with self.transaction():
            self.db.execute("SELECT set_config('dsm.purging', %s, true)", (self.engagement,))
            for table in (*reversed(_HISTORY), "respondent_keys", "assignments", "engagements"):
                column = "slug" if table == "engagements" else "engagement"
                self.db.execute(f"DELETE FROM {table} WHERE {column} = %s", (self.engagement,))


def migrate(conn: psycopg.Connection, where: str, *, only_check: bool = False) -> list[int]:
    """Run the migrations the database has not had yet; returns their numbers. With
    `only_check`, a database behind the kit is reported (its owner must migrate it) unless this
    connection may migrate it, in which case it does."""
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        exists = conn.execute("SELECT to_regclass('schema_migrations') IS NOT NULL").fetchone()[0]
        done = {v for (v,) in conn.execute("SELECT version FROM schema_migrations")} if exists else set()
        todo = [(v, sql) for v, sql in MIGRATIONS if v not in done]
        if not todo:
            return []
        try:
            if not exists:
                conn.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
            for version, sql in todo:
                conn.execute(sql)
                conn.execute("INSERT INTO schema_migrations VALUES (%s, %s)", (version, now()))
        except pg_errors.InsufficientPrivilege:
            verb = "is behind this version of the kit" if exists else "has no tables of the kit yet"
            raise DsmError(f"the team store ({where}) {verb}: its administrator must run `dsm-assess store migrate`"
                           + ("" if only_check else " as the database's owner")) from None
    return [v for v, _ in todo]


def migrate_url(url: str) -> list[int]:
    with connect(url) as conn:
        return migrate(conn, _target(url))


def grant(url: str, slug: str, member: str, *, form: bool = False) -> bool:
    """Assign a consultant (or, with `form`, the form server's role) to an engagement: they see
    and write its rows and no other's. False when already assigned."""
    where = _target(url)
    with connect(url) as conn, _errors(where, slug), conn.transaction():
        _known(conn, where, slug)
        if conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (member,)).fetchone() is None:
            raise DsmError(f"there is no database role {member!r} on {where}: create its login first "
                           f"(CREATE ROLE \"{member}\" LOGIN PASSWORD '...')")
        if form:
            other = conn.execute("SELECT engagement FROM assignments WHERE member = %s AND engagement <> %s",
                                 (member, slug)).fetchone()
            if other:
                raise DsmError(f"{member!r} already serves the form of engagement {other[0]!r}: a form's role "
                               "serves one engagement; create another role for this one")
        group = FORM_ROLE if form else CONSULTANT_ROLE
        conn.execute(pg_sql.SQL("GRANT {} TO {}").format(pg_sql.Identifier(group), pg_sql.Identifier(member)))
        added = conn.execute(
            "INSERT INTO assignments VALUES (%s, %s, %s, current_user) ON CONFLICT DO NOTHING RETURNING 1",
            (slug, member, now())).fetchone() is not None
        if added:
            conn.execute("INSERT INTO audit (at, actor, action, detail, engagement) VALUES (%s, current_user, %s, %s,"
                         " %s)", (now(), "access granted", json.dumps({"member": member, "form": form}), slug))
        return added


def revoke(url: str, slug: str, member: str) -> bool:
    """Take a consultant (or form role) off an engagement; False when they were not on it."""
    where = _target(url)
    with connect(url) as conn, _errors(where, slug), conn.transaction():
        _known(conn, where, slug)
        gone = conn.execute("DELETE FROM assignments WHERE engagement = %s AND member = %s RETURNING 1",
                            (slug, member)).fetchone() is not None
        if gone:
            conn.execute("INSERT INTO audit (at, actor, action, detail, engagement) VALUES (%s, current_user, %s, %s,"
                         " %s)", (now(), "access revoked", json.dumps({"member": member}), slug))
        return gone


def members(url: str, slug: str) -> list[str]:
    where = _target(url)
    with connect(url) as conn, _errors(where, slug):
        _known(conn, where, slug)
        return [m for (m,) in conn.execute("SELECT member FROM assignments WHERE engagement = %s ORDER BY member",
                                           (slug,))]


def _known(conn: psycopg.Connection, where: str, slug: str) -> None:
    if conn.execute("SELECT 1 FROM engagements WHERE slug = %s", (slug,)).fetchone() is None:
        raise DsmError(f"engagement {slug!r} is not in the team store ({where}): create it there with "
                       f"`dsm-assess engagement init-store {slug}` or copy it with `dsm-assess store copy {slug}`")


def has_engagement(url: str, slug: str) -> bool:
    where = _target(url)
    with connect(url) as conn, _errors(where, slug):
        migrate(conn, where, only_check=True)
        return conn.execute("SELECT 1 FROM engagements WHERE slug = %s", (slug,)).fetchone() is not None
