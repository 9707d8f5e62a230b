"""The response store: migrations, append-only answers, current answers, consensus, audit, concurrency."""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import pytest

from dsm_assess.answers import Answer
from dsm_assess.store import MIGRATIONS, open_store


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
from dsm_assess.answers import Answer
from dsm_assess.store import open_store
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
    from dsm_assess import store as store_module

    with open_store(tmp_path / "acme") as store:
        store.record_answers([Answer("a@x.com", "PR.INC.L2.01", "F")], bank_version="1.0.0", source="t")
    upgraded = [*MIGRATIONS, (MIGRATIONS[-1][0] + 1, "CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT);")]
    monkeypatch.setattr(store_module, "MIGRATIONS", upgraded)
    with open_store(tmp_path / "acme") as store:
        assert store.schema_version() == upgraded[-1][0]
        assert store.db.execute("SELECT COUNT(*) FROM notes").fetchone()[0] == 0
        assert store.current_answers()["rating"].tolist() == ["F"]


def test_a_damaged_store_is_a_clear_error_and_is_left_as_it_is(tmp_path):
    from dsm_assess.errors import DsmError

    path = tmp_path / "acme" / "responses.sqlite"
    path.parent.mkdir()
    path.write_bytes(b"not a database at all" * 100)
    with pytest.raises(DsmError, match=r"responses\.sqlite is not a usable response store"):
        open_store(tmp_path / "acme")
    assert path.read_bytes() == b"not a database at all" * 100
