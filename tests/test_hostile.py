"""The hostile corpus (tests/hostile.py): every file is refused with its location, or stored, and a
refused file changes nothing: no answer, no inbox copy."""

from __future__ import annotations

import sqlite3
from contextlib import closing

import pytest

from dsm_assess.capture.intake import import_file
from dsm_assess.engagement.spec import engagement_dir
from dsm_assess.store.sqlite import open_store

from .hostile import CASES, COMMANDS, Corpus


@pytest.mark.parametrize("name", sorted(CASES))
def test_hostile_file(name, fw, root, tmp_path):
    ctx = Corpus(fw, root, tmp_path / "files")
    eng = ctx.eng
    folder = engagement_dir("acme", root)
    with open_store(folder, "acme") as store:
        good = import_file(ctx.fill({("PR.INC", "E4"): "F", ("PR.INC", "G4"): 4}, "good.xlsx"), fw, eng, store,
                           "workbook", root)
        assert good.outcome == "stored"
        before, inbox = store.current_answers(), sorted((folder / "inbox").iterdir())
        case = CASES[name]
        outcome = import_file(case.build(ctx), fw, eng, store, case.kind, root)
        after = store.current_answers()
    assert outcome.outcome == case.expect, (outcome.describe(), [str(p) for p in outcome.problems])
    if case.expect == "rejected":
        messages = [str(p) for p in outcome.problems]
        assert any(case.message in m for m in messages), messages
        assert after.equals(before)
    else:
        assert case.message in outcome.describe()
    if case.expect != "stored":
        assert sorted((folder / "inbox").iterdir()) == inbox


def _stored(root) -> dict:
    """Everything kept under the engagements root: each file's bytes, each store's rows."""
    out = {}
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name == ".engagement.lock" or path.name.endswith(("-wal", "-shm")):
            continue
        if path.suffix == ".sqlite":
            with closing(sqlite3.connect(path)) as db:
                tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
                out[path] = {t: db.execute(f"SELECT * FROM {t} ORDER BY rowid").fetchall() for t in tables}
        else:
            out[path] = path.read_bytes()
    return out


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_hostile_command(name, cli, fw, root, tmp_path):
    assert Corpus(fw, root, tmp_path / "files").eng  # engagement `acme` with its store
    case = COMMANDS[name]
    if case.prepare:
        case.prepare(engagement_dir("acme", root))
    before = _stored(root)
    args = [a.replace("{root}", str(root)) for a in case.args]
    result = cli(*args, *(["--root", root] if args[0] not in ("bank", "batch") else []))
    assert result.exit_code == case.exit_code, (result.output, result.exception)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines and lines[0].startswith("error: ") and "Traceback" not in result.output
    assert case.message in result.stderr, result.stderr
    assert _stored(root) == before
