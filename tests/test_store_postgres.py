"""The team store on a real PostgreSQL server: the same guarantees as the SQLite store,
enforced by the database, and access by assignment only."""

from __future__ import annotations

import pandas as pd
import psycopg
import pytest

from dsm_assess.core.errors import DsmError
from dsm_assess.store import postgres
from dsm_assess.store.answers import Answer
from dsm_assess.store.backend import init_store, open_store, store_url
from dsm_assess.store.postgres import MIGRATIONS, PostgresStore


def _answers(who: str, n: int = 3, rating: str = "F") -> list[Answer]:
    return [Answer(who, f"PR.INC.L2.{j:02d}", rating) for j in range(1, n + 1)]


def test_the_store_url_selects_the_team_store_and_migrations_are_recorded(pg_store, tmp_path):
    assert store_url() == pg_store
    assert init_store(tmp_path / "acme", "acme") is True
    assert init_store(tmp_path / "acme", "acme") is False  # already there: nothing changed
    with open_store(tmp_path / "acme", "acme") as store:
        assert isinstance(store, PostgresStore)
        assert store.schema_version() == MIGRATIONS[-1][0]
        assert postgres.migrate_url(pg_store) == []  # reopening or migrating again runs nothing twice


def test_a_missing_engagement_is_reported_not_created(pg_store, tmp_path):
    with pytest.raises(DsmError, match="engagement 'ghost' is not in the team store"):
        open_store(tmp_path / "ghost", "ghost")


def test_answers_are_append_only_in_the_database(pg_store, tmp_path):
    init_store(tmp_path, "acme")
    with open_store(tmp_path, "acme") as store:
        store.record_answers(_answers("a@x.com"), bank_version="1.0.0", source="test")
        store.set_consensus("PR.INC.L2.01", "L", "agreed")
        store.issue_token("a@x.com", ["PR.INC"], "1.0.0")
        store.record_import(file_name="a.xlsx", sha256="abc", size=1, kind="workbook", respondent=None, rows=0,
                            outcome="stored")
    with psycopg.connect(pg_store, autocommit=True) as conn:  # even the owner, below the kit
        for table in ("answers", "consensus", "audit", "imports", "questionnaires"):
            for sql in (f"UPDATE {table} SET engagement = engagement", f"DELETE FROM {table}",
                        f"TRUNCATE {table} CASCADE"):
                with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                    conn.execute(sql)
        assert conn.execute("SELECT count(*) FROM answers").fetchone()[0] == 3


def test_reads_and_writes_match_the_sqlite_store(pg_store, tmp_path):
    from dsm_assess.store.sqlite import open_store as open_sqlite

    init_store(tmp_path / "pg", "acme")
    stores = [open_store(tmp_path / "pg", "acme"), open_sqlite(tmp_path / "lite", "acme")]
    for store in stores:
        with store:
            token = store.issue_token("A@x.com", ["PR.INC"], "1.0.0", token="tok-1")
            import_id = store.record_import(file_name="a.xlsx", sha256="abc", size=10, kind="workbook",
                                            respondent="a@x.com", rows=3, outcome="stored", token=token)
            store.record_answers(_answers("a@x.com"), bank_version="1.0.0", source="workbook", import_id=import_id)
            store.record_answers([Answer("b@x.com", "PR.INC.L2.01", "NA", na_reason="no incidents")],
                                 bank_version="1.0.0", source="form")
            assert store.record_withdrawals("a@x.com", ["PR.INC.L2.02", "PR.INC.L2.99"], bank_version="1.0.0",
                                            source="workbook") == ["PR.INC.L2.02"]
            store.set_consensus("PR.INC.L2.01", "L", "first")
            store.set_consensus("PR.INC.L2.01", "P", "second")
            store.record_import(file_name="b.xlsx", sha256="bad", size=1, kind="workbook", respondent=None, rows=0,
                                outcome="rejected", problems=["x"] * 30)
            store.results = {
                "current": store.current_answers().values.tolist(),
                "objects": store.current_answer_objects(),
                "answered": store.answered("A@x.com"),
                "scoring": store.scoring_answers().astype(str).values.tolist(),
                "consensus": store.consensus()[["criterion_id", "rating", "rationale"]].values.tolist(),
                "consensus_history": store.consensus_history()["rating"].tolist(),
                "stored": {k: v for k, v in store.stored_import("abc").items() if k != "imported_at"},
                "rejected": store.stored_import("bad"),
                "holder": {k: v for k, v in store.token_holder(token).items() if k != "issued_at"},
                "last_filled": store.last_filled(token),
                "imports": store.imports()[["file_name", "outcome", "problem_count"]].astype(str).values.tolist(),
                "history": store.history("PR.INC.L2.02")[["rating", "withdrawn"]].values.tolist(),
                "audit": store.audit_log()["action"].tolist(),
                "last_audit": {k: v for k, v in store.last_audit("consensus set").items() if k != "at"},
                "no_audit": store.last_audit("never done"),
                "counts": {t: store.count(t) for t in ("answers", "consensus", "audit", "imports", "questionnaires")},
            }
    pg, lite = (s.results for s in stores)
    assert pg == lite
    assert pg["last_filled"] == {"PR.INC.L2.01", "PR.INC.L2.02", "PR.INC.L2.03"}
    assert pg["imports"][1] == ["b.xlsx", "rejected", "30.0"]
    assert pg["last_audit"]["detail"]["rationale"] == "second" and pg["no_audit"] is None


def test_a_failed_batch_leaves_nothing(pg_store, tmp_path):
    init_store(tmp_path, "acme")
    with open_store(tmp_path, "acme") as store:
        with pytest.raises(psycopg.errors.CheckViolation):
            store.record_answers([*_answers("a@x.com"), Answer("a@x.com", "PR.INC.L2.09", "NA")],
                                 bank_version="1.0.0", source="t")
        assert store.count("answers") == 0 and store.count("audit") == 0


def test_engagements_do_not_see_each_others_rows(pg_store, tmp_path):
    for slug, who in (("acme", "a@acme.com"), ("beta", "b@beta.com")):
        init_store(tmp_path, slug)
        with open_store(tmp_path, slug) as store:
            store.record_answers(_answers(who), bank_version="1.0.0", source="t")
            store.issue_token(who, ["PR.INC"], "1.0.0", token=f"tok-{slug}")
    with open_store(tmp_path, "acme") as store:
        assert set(store.current_answers()["respondent"]) == {"a@acme.com"}
        assert store.token_holder("tok-beta") is None
        assert store.count("questionnaires") == 1


def test_an_unreachable_server_is_one_line_naming_host_database_and_what_to_check(tmp_path):
    url = "postgresql://nobody@/nowhere?host=/nonexistent-socket-folder"
    with pytest.raises(DsmError) as exc:
        open_store(tmp_path, "acme", url=url)
    message = str(exc.value)
    assert "\n" not in message
    assert "database nowhere on /nonexistent-socket-folder" in message
    assert "check that the server is running" in message


def test_a_store_url_of_another_kind_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("DSM_ASSESS_STORE", "mysql://x/y")
    with pytest.raises(DsmError, match="'mysql' is not a store the kit knows"):
        open_store(tmp_path, "acme")


# ---- access control -------------------------------------------------------------------------

def _login(pg_cluster, name: str) -> None:
    """A consultant's login role on the cluster (created once), as an administrator makes it."""
    pg_cluster.psql(f"DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{name}') THEN "
                    f"CREATE ROLE {name} LOGIN; END IF; END $$;")


def _as(url: str, user: str) -> str:
    return url.replace("postgresql://dsm_admin@", f"postgresql://{user}@")


def test_an_unassigned_consultant_reads_nothing_and_writes_nothing(pg_cluster, pg_store, tmp_path, cli):
    for name in ("alice", "bob"):
        _login(pg_cluster, name)
    for slug in ("acme", "beta"):
        init_store(tmp_path, slug)
        with open_store(tmp_path, slug) as store:
            store.record_answers(_answers(f"x@{slug}.com"), bank_version="1.0.0", source="t")
            store.issue_token(f"x@{slug}.com", ["PR.INC"], "1.0.0")
            store.set_consensus("PR.INC.L2.01", "L", "agreed")
    assert cli("store", "grant", "acme", "--consultant", "alice").exit_code == 0
    assert cli("store", "grant", "beta", "--consultant", "bob").exit_code == 0

    with open_store(tmp_path, "acme", url=_as(pg_store, "alice")) as store:  # assigned: reads and writes
        assert store.count("answers") == 3
        store.record_answers(_answers("alice@acme.com", 1), bank_version="1.0.0", source="form")
    with pytest.raises(DsmError, match="not in the team store .*, or you are not assigned to it"):
        open_store(tmp_path, "acme", url=_as(pg_store, "bob"))
    # Below the kit, with bob's own connection: the database itself hides acme and refuses to write to it.
    with psycopg.connect(_as(pg_store, "bob"), autocommit=True) as conn:
        for table in ("answers", "consensus", "audit", "imports", "questionnaires", "engagements", "assignments"):
            column = "slug" if table == "engagements" else "engagement"
            assert conn.execute(f"SELECT count(*) FROM {table} WHERE {column} = 'acme'").fetchone()[0] == 0, table
        assert conn.execute("SELECT count(*) FROM answers").fetchone()[0] == 3  # beta's only
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
            conn.execute("INSERT INTO answers (engagement, respondent, criterion_id, rating, bank_version, source,"
                         " recorded_at) VALUES ('acme', 'bob@x.com', 'PR.INC.L2.01', 'F', '1.0.0', 't', 'now')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):  # nor assign himself
            conn.execute("INSERT INTO assignments VALUES ('acme', 'bob', 'now', 'bob')")
        with pytest.raises(psycopg.errors.InsufficientPrivilege):
            conn.execute("DELETE FROM assignments WHERE member = 'alice'")
    with psycopg.connect(pg_store, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM answers WHERE engagement = 'acme'").fetchone()[0] == 4

    result = cli("store", "revoke", "acme", "--consultant", "alice")
    assert result.exit_code == 0 and "no longer has access" in result.stdout
    with psycopg.connect(_as(pg_store, "alice"), autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM answers").fetchone()[0] == 0


def test_the_forms_role_writes_answers_for_its_engagement_only(pg_cluster, pg_store, tmp_path, cli):
    _login(pg_cluster, "form_acme")
    for slug in ("acme", "beta"):
        init_store(tmp_path, slug)
    assert cli("store", "grant", "acme", "--consultant", "form_acme", "--form").exit_code == 0
    refused = cli("store", "grant", "beta", "--consultant", "form_acme", "--form")
    assert refused.exit_code == 1 and "already serves the form of engagement 'acme'" in refused.stderr
    with open_store(tmp_path, "acme", url=_as(pg_store, "form_acme")) as store:
        token = store.issue_token("sam@acme.com", ["PR.INC"], "1.0.0", channel="form")
        store.record_answers(_answers("sam@acme.com"), bank_version="1.0.0", source="form", source_ref=token)
        store.set_consensus("PR.INC.L2.01", "L", "agreed in the room")
        with pytest.raises(DsmError, match="refused: permission denied for table imports"):
            store.record_import(file_name="a.xlsx", sha256="abc", size=1, kind="workbook", respondent=None,
                                rows=0, outcome="stored")
        assert store.count("answers") == 3 and store.count("imports") == 0
    with psycopg.connect(_as(pg_store, "form_acme"), autocommit=True) as conn, \
            pytest.raises(psycopg.errors.InsufficientPrivilege, match="row-level security"):
        conn.execute("INSERT INTO answers (engagement, respondent, criterion_id, rating, bank_version, source,"
                     " recorded_at) VALUES ('beta', 'x@x.com', 'PR.INC.L2.01', 'F', '1.0.0', 't', 'now')")


def test_a_consultant_cannot_migrate_and_is_told_who_can(pg_cluster, pg_store, tmp_path):
    _login(pg_cluster, "carol")
    with pytest.raises(DsmError, match=r"has no tables of the kit yet: its administrator must run `dsm-assess "
                                       r"store migrate`"):
        open_store(tmp_path, "acme", url=_as(pg_store, "carol"))


def test_store_commands_without_a_team_store_say_how_to_name_one(cli, monkeypatch):
    monkeypatch.delenv("DSM_ASSESS_STORE", raising=False)
    monkeypatch.chdir("/")
    result = cli("store", "migrate")
    assert result.exit_code == 1 and "no team store given: name it with --store" in result.stderr


def test_the_store_option_names_the_team_store_for_the_whole_run(cli, pg_store, monkeypatch):
    monkeypatch.setenv("DSM_ASSESS_STORE", "sqlite")  # restored after the test; --store overrides it
    result = cli("--store", pg_store, "store", "migrate", "--json")
    assert result.exit_code == 0, result.stderr
    assert f'"schema_version": {MIGRATIONS[-1][0]}' in result.stdout


def test_answers_read_column_wise_equal_the_row_reader_on_both_backends(pg_store, tmp_path):
    from dsm_assess.store.base import scoring_frame
    from dsm_assess.store.sqlite import open_store as open_sqlite

    init_store(tmp_path / "pg", "acme")
    for store in (open_store(tmp_path / "pg", "acme"), open_sqlite(tmp_path / "lite", "acme")):
        with store:
            assert store.scoring_answers().empty  # an empty store reads as no answers
            store.record_answers([Answer("a@x.com", "PR.INC.L2.01", "F", confidence=4, evidence="the log"),
                                  Answer("b@x.com", "PR.INC.L2.01", "P"), Answer("a@x.com", "PR.OLD.L2.01", "L"),
                                  Answer("b@x.com", "PR.INC.L2.02", "NA", na_reason="none")],
                                 bank_version="1.0.0", source="t")
            store.record_answers([Answer("a@x.com", "PR.INC.L2.01", "L")], bank_version="1.0.0", source="t")
            store.record_withdrawals("b@x.com", ["PR.INC.L2.01"], bank_version="1.0.0", source="t")
            renames = {"PR.OLD.L2.01": "PR.INC.L2.03"}
            rows = scoring_frame(store.scoring_rows(), renames=renames)
            columns = store.scoring_answers(renames=renames)
            pd.testing.assert_frame_equal(columns, rows)
            assert columns[["respondent", "criterion_id", "rating"]].astype(str).values.tolist() == [
                ["a@x.com", "PR.INC.L2.03", "L"], ["b@x.com", "PR.INC.L2.02", "NA"], ["a@x.com", "PR.INC.L2.01", "L"]]


def test_a_team_store_of_the_previous_schema_is_migrated_and_reads_back_the_same_answers(pg_store, tmp_path,
                                                                                        monkeypatch, cli):
    from dsm_assess.store.base import scoring_frame

    from .test_store import SCHEMA_2_HISTORY  # the same history, as the first team store schema held it

    monkeypatch.setattr(postgres, "MIGRATIONS", [m for m in MIGRATIONS if m[0] <= 1])
    before = {}
    for slug in ("acme", "beta"):  # one respondent in two engagements: keys are each engagement's own
        with PostgresStore(pg_store, slug, create=True) as old, old.db.cursor() as cur:
            assert old.schema_version() == 1
            import_id = cur.execute(
                "INSERT INTO imports (file_name, sha256, size, kind, respondent, imported_at, rows, outcome,"
                " engagement) VALUES ('a.xlsx', 'abc', 10, 'workbook', 'a@x.com', 'then', 1, 'stored', %s)"
                " RETURNING id",
                (slug,)).fetchone()[0]
            history = SCHEMA_2_HISTORY if slug == "acme" else SCHEMA_2_HISTORY[:2]
            cur.executemany(
                "INSERT INTO answers (engagement, respondent, criterion_id, rating, na_reason, confidence, evidence,"
                " comment, import_id, withdrawn, bank_version, source, recorded_at) VALUES (%s, %s, %s, %s, %s, %s,"
                " %s, %s, %s, %s, '1.0.0', 'workbook', 'then')",
                [(slug, *row[:7], import_id if row[7] else None, row[8]) for row in history])
            old.set_consensus("PR.INC.L2.01", "L", "agreed in the workshop")
            before[slug] = old.history(), old.current_answers(), old.scoring_rows(), old.consensus()
    monkeypatch.setattr(postgres, "MIGRATIONS", MIGRATIONS)

    result = cli("store", "migrate", "--json")
    assert result.exit_code == 0 and '"applied": [\n    2\n  ]' in result.stdout
    for slug in ("acme", "beta"):
        with open_store(tmp_path, slug) as store:
            assert store.schema_version() == MIGRATIONS[-1][0]
            pd.testing.assert_frame_equal(store.history(), before[slug][0])
            pd.testing.assert_frame_equal(store.current_answers(), before[slug][1])
            pd.testing.assert_frame_equal(store.consensus(), before[slug][3])
            pd.testing.assert_frame_equal(store.scoring_answers(), scoring_frame(before[slug][2]))
    with open_store(tmp_path, "acme") as store:
        assert store.scoring_answers()[["respondent", "criterion_id", "rating"]].astype(str).values.tolist() == [
            ["a@x.com", "PR.INC.L2.02", "NA"], ["a@x.com", "PR.INC.L2.01", "L"], ["b@x.com", "PR.INC.L2.03", "DK"],
            ["c@x.com", "PR.OLD.L2.01", "N"]]
        store.record_answers([Answer("b@x.com", "PR.INC.L2.01", "P")], bank_version="1.0.0", source="t")
        assert store.scoring_answers()["rating"].astype(str).tolist() == ["NA", "L", "DK", "N", "P"]
    with psycopg.connect(pg_store, autocommit=True) as conn:  # the guards hold on the new columns and tables
        for sql in ("UPDATE answers SET respondent_key = respondent_key", "DELETE FROM respondent_keys",
                    "UPDATE criterion_keys SET criterion_id = criterion_id"):
            with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
                conn.execute(sql)
        with pytest.raises(psycopg.errors.RaiseException, match="must name its respondent and criterion"):
            conn.execute("INSERT INTO answers (engagement, respondent, criterion_id, rating, bank_version, source,"
                         " recorded_at, respondent_key, criterion_key) SELECT 'beta', 'a@x.com', 'PR.INC.L2.01', 'N',"
                         " '1.0.0', 't', 'now', id, 1 FROM respondent_keys WHERE engagement = 'acme' AND"
                         " respondent = 'a@x.com'")
