"""The response store: migrations, append-only answers, current answers, consensus, audit, concurrency."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pandas as pd
import pytest

from dsm_assess.store.answers import Answer
from dsm_assess.store.sqlite import MIGRATIONS, open_store


def test_schema_is_created_by_recorded_migrations(tmp_path):
    with open_store(tmp_path / "acme") as store:
        assert store.schema_version() == MIGRATIONS[-1][0]
        assert store.db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with open_store(tmp_path / "acme") as store:  # reopening runs nothing twice
        assert store.db.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0] == len(MIGRATIONS)


def test_answers_are_append_only(tmp_path):
    with open_store(tmp_path / "acme") as store:
        store.record_answers([Answer("a@x.com", "PR.INC.L2.01", "F")], bank_version="1.0.0", source="test")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.db.execute("UPDATE answers SET rating = 'N'")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.db.execute("DELETE FROM answers")
        assert store.current_answers()["rating"].tolist() == ["F"]


def test_current_answer_is_the_latest_per_respondent_and_criterion(tmp_path):
    with open_store(tmp_path / "acme") as store:
        for rating in "NPL":
            store.record_answers([Answer("a@x.com", "PR.INC.L2.01", rating)], bank_version="1.0.0", source="t")
        store.record_answers([Answer("b@x.com", "PR.INC.L2.01", "F"), Answer("a@x.com", "PR.INC.L2.02", "P")],
                             bank_version="1.0.0", source="t")
        got = store.current_answers()[["respondent", "criterion_id", "rating"]].values.tolist()
        assert got == [["a@x.com", "PR.INC.L2.01", "L"], ["a@x.com", "PR.INC.L2.02", "P"],
                       ["b@x.com", "PR.INC.L2.01", "F"]]
        assert store.history("PR.INC.L2.01")["rating"].tolist() == ["N", "P", "L", "F"]


def test_na_needs_a_reason_even_below_the_api(tmp_path):
    with open_store(tmp_path / "acme") as store, pytest.raises(sqlite3.IntegrityError):
        store.record_answers([Answer("a@x.com", "PR.INC.L2.01", "NA")], bank_version="1.0.0", source="t")
    with open_store(tmp_path / "acme") as store:
        assert store.count("answers") == 0 and store.count("audit") == 0  # the failed batch left nothing


def test_consensus_keeps_history_and_audits(tmp_path):
    with open_store(tmp_path / "acme") as store:
        store.set_consensus("PR.INC.L3.01", "L", "Agreed in workshop 1", who="jo")
        store.set_consensus("PR.INC.L3.01", "P", "Evidence showed gaps", who="jo")
        assert store.consensus()[["criterion_id", "rating"]].values.tolist() == [["PR.INC.L3.01", "P"]]
        assert store.consensus_history()["rating"].tolist() == ["L", "P"]
        log = store.audit_log()
        assert log["action"].tolist() == ["consensus set", "consensus set"]
        assert set(log["actor"]) == {"jo"} and "Evidence showed gaps" in log["detail"].iloc[1]


WRITER = """
import sys
from dsm_assess.store.answers import Answer
from dsm_assess.store.sqlite import open_store
with open_store(sys.argv[1]) as store:
    for i in range(40):
        store.record_answers([Answer(sys.argv[2], f"PR.INC.L2.{j:02d}", "F") for j in range(25)],
                             bank_version="1.0.0", source="t")
"""


def test_two_writers_at_once_both_land(tmp_path):
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / "acme"), who])
             for who in ("a@x.com", "b@x.com")]
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    with open_store(tmp_path / "acme") as store:
        assert store.count("answers") == 2 * 40 * 25
        assert store.count("audit") == 80


def test_a_new_migration_upgrades_an_existing_store_and_keeps_its_data(tmp_path, monkeypatch):
    from dsm_assess.store import sqlite as store_module

    with open_store(tmp_path / "acme") as store:
        store.record_answers([Answer("a@x.com", "PR.INC.L2.01", "F")], bank_version="1.0.0", source="t")
    upgraded = [*MIGRATIONS, (MIGRATIONS[-1][0] + 1, "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);")]
    monkeypatch.setattr(store_module, "MIGRATIONS", upgraded)
    with open_store(tmp_path / "acme") as store:
        assert store.schema_version() == upgraded[-1][0]
        assert store.db.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 0
        assert store.current_answers()["rating"].tolist() == ["F"]


def test_a_damaged_store_is_a_clear_error_and_is_left_as_it_is(tmp_path):
    from dsm_assess.core.errors import DsmError

    path = tmp_path / "acme" / "responses.sqlite"
    path.parent.mkdir()
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(DsmError, match=r"responses\.sqlite is not a usable response store"):
        open_store(tmp_path / "acme")
    assert path.read_bytes() == b"not a database at all" * 100


def _store_of_schema(folder, monkeypatch, version: int):
    """A store made by an earlier kit: only the migrations up to `version` run."""
    from dsm_assess.store import sqlite as store_module

    monkeypatch.setattr(store_module, "MIGRATIONS", [m for m in MIGRATIONS if m[0] <= version])
    store = open_store(folder)
    monkeypatch.setattr(store_module, "MIGRATIONS", MIGRATIONS)
    return store


# An answer history as the kit wrote it before answers carried keys and codes (schema 2): a
# revised answer, a reasoned N/A, a don't-know, a withdrawal, blank evidence, a comment, an import.
SCHEMA_2_HISTORY = [
    ("a@x.com", "PR.INC.L2.01", "P", None, 2, "ticket log", "since May", 1, 0),
    ("b@x.com", "PR.INC.L2.01", "F", None, None, None, None, None, 0),
    ("a@x.com", "PR.INC.L2.02", "NA", "no service desk", None, None, None, None, 0),
    ("a@x.com", "PR.INC.L2.01", "L", None, 4, "audit report", None, None, 0),
    ("b@x.com", "PR.INC.L2.03", "DK", None, None, None, "ask the CIO", None, 0),
    ("b@x.com", "PR.INC.L2.01", "F", None, None, None, None, None, 1),
    ("c@x.com", "PR.OLD.L2.01", "N", None, 1, "   ", None, None, 0),
]


def test_a_store_of_the_previous_schema_is_migrated_and_reads_back_the_same_answers(tmp_path, monkeypatch):
    from dsm_assess.store.base import scoring_frame

    with _store_of_schema(tmp_path / "acme", monkeypatch, 2) as old:
        assert old.schema_version() == 2
        old.db.execute("INSERT INTO imports (file_name, sha256, size, kind, respondent, imported_at, rows, outcome)"
                       " VALUES ('a.xlsx', 'abc', 10, 'workbook', 'a@x.com', 'then', 1, 'stored')")
        old.db.executemany(
            "INSERT INTO answers (engagement, respondent, criterion_id, rating, na_reason, confidence, evidence,"
            " comment, import_id, withdrawn, bank_version, source, recorded_at)"
            " VALUES ('acme', ?, ?, ?, ?, ?, ?, ?, ?, ?, '1.0.0', 'workbook', 'then')", SCHEMA_2_HISTORY)
        old.set_consensus("PR.INC.L2.01", "L", "agreed in the workshop")
        before = old.history(), old.current_answers(), old.scoring_rows(), old.consensus()
    with open_store(tmp_path / "acme") as store:  # opening migrates it
        assert store.schema_version() == MIGRATIONS[-1][0]
        pd.testing.assert_frame_equal(store.history(), before[0])
        pd.testing.assert_frame_equal(store.current_answers(), before[1])
        pd.testing.assert_frame_equal(store.consensus(), before[3])
        pd.testing.assert_frame_equal(store.scoring_answers(), scoring_frame(before[2]))
        current = store.scoring_answers()
        assert current[["respondent", "criterion_id", "rating"]].astype(str).values.tolist() == [
            ["a@x.com", "PR.INC.L2.02", "NA"], ["a@x.com", "PR.INC.L2.01", "L"], ["b@x.com", "PR.INC.L2.03", "DK"],
            ["c@x.com", "PR.OLD.L2.01", "N"]]
        assert current["confidence"].fillna(0).tolist() == [0, 4, 0, 1]
        assert current["has_evidence"].tolist() == [False, True, False, False]  # blank evidence is none
        # writing goes on where the history stopped, under the same guards
        store.record_answers([Answer("b@x.com", "PR.INC.L2.01", "P")], bank_version="1.0.0", source="t")
        assert store.history()["id"].tolist() == list(range(1, 9))
        assert store.record_withdrawals("a@x.com", ["PR.INC.L2.02"], bank_version="1.0.0", source="t") == \
            ["PR.INC.L2.02"]
        assert store.scoring_answers()[["respondent", "criterion_id", "rating"]].astype(str).values.tolist() == [
            ["a@x.com", "PR.INC.L2.01", "L"], ["b@x.com", "PR.INC.L2.03", "DK"], ["c@x.com", "PR.OLD.L2.01", "N"],
            ["b@x.com", "PR.INC.L2.01", "P"]]
        for sql in ("UPDATE answers SET rating = 'F'", "DELETE FROM answers", "DELETE FROM respondent_keys",
                    "UPDATE criterion_keys SET criterion_id = 'PR.INC.L2.09'"):
            with pytest.raises(sqlite3.IntegrityError, match="append-only"):
                store.db.execute(sql)


def test_an_answer_whose_keys_or_packed_numbers_contradict_its_words_is_refused_by_the_database(tmp_path):
    with open_store(tmp_path / "acme") as store:
        store.record_answers([Answer("a@x.com", "PR.INC.L2.01", "F"), Answer("b@x.com", "PR.INC.L2.02", "P")],
                             bank_version="1.0.0", source="t")
        with pytest.raises(sqlite3.IntegrityError, match="must name its respondent and criterion"):
            store.db.execute("INSERT INTO answers (engagement, respondent, criterion_id, rating, bank_version, source,"
                             " recorded_at, respondent_key, criterion_key, packed) VALUES ('acme', 'a@x.com',"
                             " 'PR.INC.L2.01', 'N', '1.0.0', 't', 'now', 2, 1, (2 << 27) | (1 << 7) | (1 << 4))")
        # numbers that say NA where the words say N
        with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed: packed"):
            store.db.execute("INSERT INTO answers (engagement, respondent, criterion_id, rating, bank_version, source,"
                             " recorded_at, respondent_key, criterion_key, packed) VALUES ('acme', 'a@x.com',"
                             " 'PR.INC.L2.01', 'N', '1.0.0', 't', 'now', 1, 1, (1 << 27) | (1 << 7) | (4 << 4))")
        assert store.count("answers") == 2


def test_a_store_of_the_first_schema_is_upgraded_with_its_answers_kept(tmp_path, monkeypatch):
    with _store_of_schema(tmp_path / "acme", monkeypatch, 1) as old:
        old.db.execute("INSERT INTO answers (engagement, respondent, criterion_id, rating, bank_version, source,"
                       " recorded_at) VALUES ('acme', 'a@x.com', 'PR.INC.L2.01', 'F', '1.0.0', 't', 'then')")
    with open_store(tmp_path / "acme") as store:
        assert store.schema_version() == MIGRATIONS[-1][0]
        assert store.current_answers()["rating"].tolist() == ["F"]
        assert store.history()["withdrawn"].tolist() == [0]
        store.record_withdrawals("a@x.com", ["PR.INC.L2.01"], bank_version="1.0.0", source="t")
        assert store.current_answers().empty and store.scoring_answers().empty


def _three_answers(store):
    store.record_answers([Answer("a@x.com", "PR.INC.L2.01", "F", evidence="doc"),
                          Answer("a@x.com", "PR.INC.L2.02", "NA", na_reason="no desk"),
                          Answer("b@x.com", "PR.INC.L2.01", "P", confidence=2)], bank_version="1.0.0", source="t")


def test_a_withdrawn_answer_is_absent_from_every_read_of_current_answers(tmp_path):
    from dsm_assess.store.sqlite import scoring_frame

    with open_store(tmp_path / "acme") as store:
        _three_answers(store)
        gone = store.record_withdrawals("A@x.com", ["PR.INC.L2.02", "PR.INC.L2.01", "PR.INC.L9.99"],
                                        bank_version="1.0.0", source="workbook", source_ref="abc")
        assert gone == ["PR.INC.L2.02", "PR.INC.L2.01"]  # an answer never given cannot be withdrawn
        assert store.current_answers()[["respondent", "criterion_id", "rating"]].values.tolist() == [
            ["b@x.com", "PR.INC.L2.01", "P"]]
        assert store.current_answer_objects() == {"b@x.com": {"PR.INC.L2.01": Answer("b@x.com", "PR.INC.L2.01", "P",
                                                                                       confidence=2)}}
        frame = scoring_frame(store.scoring_rows())
        assert frame[["respondent", "criterion_id"]].astype(str).values.tolist() == [["b@x.com", "PR.INC.L2.01"]]
        assert store.db.execute("SELECT COUNT(*) FROM current_answers").fetchone()[0] == 1
        assert store.answered("a@x.com") == set() and store.answered("b@x.com") == {"PR.INC.L2.01"}
        history = store.history()
        assert history[["criterion_id", "rating", "withdrawn"]].values.tolist()[-2:] == [
            ["PR.INC.L2.02", "NA", 1], ["PR.INC.L2.01", "F", 1]]  # says what was withdrawn
        assert history["na_reason"].iloc[-2] == "no desk"
        assert "answers withdrawn" in store.audit_log()["action"].tolist()
        store.record_answers([Answer("a@x.com", "PR.INC.L2.01", "L")], bank_version="1.0.0", source="t")
        assert store.current_answers()["rating"].tolist() == ["L", "P"]
        assert scoring_frame(store.scoring_rows())["rating"].astype(str).tolist() == ["P", "L"]


def test_issued_tokens_name_their_questionnaire_and_its_last_known_state(tmp_path):
    with open_store(tmp_path / "acme") as store:
        token = store.issue_token("Sam@X.com", ["PR.INC", "PR.SDK"], "1.0.0", filled=["PR.INC.L2.01"], who="jo")
        other = store.issue_token("sam@x.com", ["PR.INC"], "1.0.0")
        assert token != other and len(token) >= 32
        holder = store.token_holder(token)
        assert {k: holder[k] for k in ("respondent", "subjects", "bank_version", "channel", "filled")} == {
            "respondent": "sam@x.com", "subjects": ["PR.INC", "PR.SDK"], "bank_version": "1.0.0",
            "channel": "workbook", "filled": ["PR.INC.L2.01"]}
        assert store.token_holder("no-such-token") is None and store.token_holder(None) is None
        assert store.last_filled(token) == {"PR.INC.L2.01"} and store.last_filled(other) == set()
        import_id = store.record_import(file_name="a.xlsx", sha256="1", size=1, kind="workbook", respondent="sam@x.com",
                                        rows=1, outcome="stored", token=token)
        store.record_answers([Answer("sam@x.com", "PR.SDK.L2.01", "F")], bank_version="1.0.0", source="workbook",
                             import_id=import_id)
        assert store.last_filled(token) == {"PR.SDK.L2.01"}
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            store.db.execute("UPDATE questionnaires SET respondent = 'eve@x.com'")


def test_a_rejected_import_keeps_its_first_problems_and_their_count(tmp_path):
    with open_store(tmp_path / "acme") as store:
        store.record_import(file_name="bad.csv", sha256="1", size=1, kind="csv", respondent=None, rows=0,
                            outcome="rejected", problems=[f"line {n}: {'x' * 500}" for n in range(2, 1002)],
                            problem_count=5000)
        row = store.imports().iloc[0]
    assert row["problem_count"] == 5000 and len(row["detail"]) == 4000 and row["detail"].startswith("line 2: x")


def test_a_store_path_that_is_a_folder_is_a_clear_error(tmp_path):
    from dsm_assess.core.errors import DsmError

    (tmp_path / "acme" / "responses.sqlite").mkdir(parents=True)
    with pytest.raises(DsmError, match=r"responses\.sqlite is a folder, not a response store"):
        open_store(tmp_path / "acme")


def test_a_missing_store_of_an_engagement_is_reported_not_recreated(tmp_path):
    from dsm_assess.core.errors import DsmError
    from dsm_assess.store.sqlite import init_store

    folder = tmp_path / "acme"
    folder.mkdir()
    (folder / "engagement.yaml").write_text("slug: acme\n")
    with pytest.raises(DsmError, match=r"no response store in .*acme/: restore it or run "
                                       r"`dsm-assess engagement init-store acme`"):
        open_store(folder)
    assert not (folder / "responses.sqlite").exists()
    assert init_store(folder) is True and init_store(folder) is False
    with open_store(folder) as store:
        assert store.count("answers") == 0


def test_a_write_lock_held_past_the_timeout_says_so_and_to_try_again(tmp_path, monkeypatch):
    from dsm_assess.store import sqlite as store_module
    from dsm_assess.store.sqlite import StoreBusy

    with open_store(tmp_path / "acme"):
        pass
    monkeypatch.setattr(store_module, "BUSY_SECONDS", 0.2)
    holder = sqlite3.connect(tmp_path / "acme" / "responses.sqlite", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreBusy) as exc, open_store(tmp_path / "acme") as store:
            store.record_answers([Answer("a@x.com", "PR.INC.L2.01", "F")], bank_version="1.0.0", source="t")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    message = str(exc.value)
    assert "busy" in message and "write lock" in message and "try again" in message and "backup" not in message


def test_a_questionnaire_sent_earlier_can_be_recorded_under_its_known_token(tmp_path):
    from dsm_assess.store.sqlite import open_store

    with open_store(tmp_path, "acme", create=True) as store:
        token = store.issue_token("Sam@acme.com", ["PR.INC"], "1.0.0", token="known-token-1")
        holder = store.token_holder("known-token-1")
    assert token == "known-token-1"
    assert (holder["respondent"], holder["subjects"]) == ("sam@acme.com", ["PR.INC"])
