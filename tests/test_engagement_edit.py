"""engagement/edit.py: every change of engagement.yaml is locked, validated and audited in one step."""

from __future__ import annotations

import multiprocessing
import sqlite3

import pytest
import yaml

from dsm_assess.core.errors import DsmError, InvalidInput
from dsm_assess.engagement.edit import edit_engagement
from dsm_assess.engagement.spec import engagement_dir, engagement_file, load_engagement
from dsm_assess.planning.plan import set_pin
from dsm_assess.scoring.targets import set_business_context, set_target
from dsm_assess.store.sqlite import open_store

SUBJECTS = ["PR.INC", "PR.SDK", "PR.SRM", "PR.CHG"]


def _audit_rows(root) -> list[tuple[str, str]]:
    with open_store(engagement_dir("acme", root), "acme") as store:
        return [(r.action, r.detail) for r in store.audit_log().itertuples()]


def _edit_at_once(args):
    """One writer process: wait for the others, then make its edit."""
    barrier, fw, root, kind, i = args
    barrier.wait()
    if kind == "target":
        set_target(fw, "acme", SUBJECTS[i], 3 + i % 2, f"writer {i}", root)
    elif kind == "pin":
        set_pin(fw, "acme", "IN.DATA.MODEL", 2, root=root)
    else:
        set_business_context(fw, "acme", {"CAP.OPERATE": 5}, root)


def test_concurrent_writers_each_keep_their_edit(fw, acme, root):
    ctx = multiprocessing.get_context("fork")
    jobs = [("target", i) for i in range(4)] + [("pin", 0), ("context", 0)]
    barrier = ctx.Barrier(len(jobs))
    procs = [ctx.Process(target=_edit_at_once, args=((barrier, fw, root, kind, i),)) for kind, i in jobs]
    for p in procs:
        p.start()
    for p in procs:
        p.join(120)
    assert [p.exitcode for p in procs] == [0] * len(jobs)
    eng = load_engagement("acme", root, fw)
    assert {s: (t.level, t.reason) for s, t in eng.targets.items()} == {
        s: (3 + i % 2, f"writer {i}") for i, s in enumerate(SUBJECTS)}
    assert eng.planning["pinned"] == {"IN.DATA.MODEL": 2}
    assert eng.business_context == {"CAP.OPERATE": 5}
    actions = [a for a, _ in _audit_rows(root)]
    assert actions.count("target set") == 4 and "roadmap pinned" in actions and "business context set" in actions


def test_an_edit_that_would_leave_the_file_invalid_changes_nothing(fw, acme, root):
    path = engagement_file("acme", root)
    before, audit = path.read_bytes(), _audit_rows(root)
    with pytest.raises(InvalidInput) as err:
        edit_engagement(fw, "acme", lambda d: d.update(scope=["PR.NOPE"]), action="scope", root=root)
    assert "scope[0]: unknown subject 'PR.NOPE'" in str(err.value)
    assert path.read_bytes() == before and _audit_rows(root) == audit


def test_the_file_goes_back_when_its_audit_row_cannot_be_written(fw, acme, root, monkeypatch):
    path = engagement_file("acme", root)
    before = path.read_bytes()
    audit = _audit_rows(root)

    from contextlib import contextmanager

    from dsm_assess.store.sqlite import SqliteStore as Store

    @contextmanager
    def commit_fails(self):  # everything is done, the new file renamed into place, then COMMIT fails
        self.db.execute("BEGIN IMMEDIATE")
        yield self.db
        if path.read_bytes() == before:  # opening the store, not the edit
            self.db.execute("COMMIT")
            return
        self.db.execute("ROLLBACK")
        calls.append(path.read_bytes())
        raise sqlite3.OperationalError("disk I/O error")

    calls = []
    monkeypatch.setattr(Store, "transaction", commit_fails)
    with pytest.raises(DsmError, match="cannot be recorded in the response store"):
        set_target(fw, "acme", "PR.INC", 4, "why", root)
    monkeypatch.undo()
    assert calls[0] != before  # the new file was in place when the commit failed
    assert path.read_bytes() == before and _audit_rows(root) == audit


def test_a_store_missing_or_busy_leaves_the_file_unchanged(fw, acme, root, monkeypatch):
    path = engagement_file("acme", root)
    before = path.read_bytes()
    import dsm_assess.store.sqlite as sqlite_store

    monkeypatch.setattr(sqlite_store, "BUSY_SECONDS", 0.2)
    holder = sqlite3.connect(engagement_dir("acme", root) / "responses.sqlite", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(DsmError, match="busy"):
            set_target(fw, "acme", "PR.INC", 4, "why", root)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert path.read_bytes() == before
    (engagement_dir("acme", root) / "responses.sqlite").rename(root / "away.sqlite")
    with pytest.raises(DsmError, match="no response store"):
        set_target(fw, "acme", "PR.INC", 4, "why", root)
    assert path.read_bytes() == before


def test_comments_survive_an_edit_and_strings_read_back_as_written(fw, acme, root):
    path = engagement_file("acme", root)
    path.write_text("# kept\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    set_target(fw, "acme", "PR.INC", 3, "no", root)
    assert path.read_text(encoding="utf-8").startswith("# kept\n")
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["targets"]["PR.INC"]["reason"] == "no"


# Words YAML 1.1 (the kit's reader) takes for something other than text when they stand unquoted.
YAML_11_WORDS = ["no", "Yes", "On", "off", "null", "1e3", "0x10", "2026-01-01", "~", "NO", "y", "n", "yes",
                 "True", "FALSE", "Null", "1:20", ".inf", "-.5", "+1", "0o17", "0b101", "1_000", "2026-01-01 10:00",
                 "=", "<<"]


@pytest.mark.parametrize("word", YAML_11_WORDS)
def test_a_reason_reads_back_as_typed_whatever_yaml_11_would_make_of_it(word, cli, fw, acme, root):
    result = cli("target", "set", "acme", "PR.INC", "3", "--reason", word, "--root", root)
    assert result.exit_code == 0, result.output
    result = cli("engagement", "condition", "acme", "suppliers", "--not-held", "PR.SDK", "--reason", word,
                 "--root", root)
    assert result.exit_code == 0, result.output
    eng = load_engagement("acme", root, fw)
    assert eng.targets["PR.INC"].reason == word
    assert eng.conditions[0].reason == word
    data = yaml.safe_load(engagement_file("acme", root).read_text(encoding="utf-8"))
    assert data["targets"]["PR.INC"]["reason"] == word and data["conditions"][0]["reason"] == word
