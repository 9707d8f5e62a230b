"""The hostile corpus (tests/hostile.py): every file is refused with its location, or stored, and a
refused file changes nothing: no answer, no inbox copy."""

from __future__ import annotations

import pytest

from dsm_assess.capture.intake import import_file
from dsm_assess.engagement.spec import engagement_dir
from dsm_assess.store.sqlite import open_store

from .hostile import CASES, Corpus


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
