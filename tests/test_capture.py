"""Imports: several processes at once, one file stored once, consensus recorded through capture."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from dsm_assess.engagement.spec import engagement_dir
from dsm_assess.store.sqlite import open_store

from .conftest import PAT, SAM, export_book


def sam_rates_one(fw, acme, root, tmp_path) -> Path:
    """Sam's questionnaire, returned with one rating: F on the first statement of PR.INC."""
    path = export_book(fw, acme, SAM, tmp_path / "out", root)
    wb = openpyxl.load_workbook(path)
    wb["PR.INC"]["E4"] = "F"
    wb.save(path)
    return path


def test_two_processes_importing_different_respondents_both_land(fw, acme, root, tmp_path, dsm_assess_process):
    files = []
    for email, sheet in ((SAM, "PR.INC"), (PAT, "PR.ARC")):
        path = export_book(fw, acme, email, tmp_path / "out", root)
        wb = openpyxl.load_workbook(path)
        for r in range(4, 8):
            wb[sheet][f"E{r}"] = "L"
        wb.save(path)
        files.append(path)
    exe = [*dsm_assess_process, "questionnaire", "import", "acme", "--root", str(root)]
    procs = [subprocess.Popen([*exe, str(f)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for f in files]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    with open_store(engagement_dir("acme", root)) as store:
        got = store.current_answers()
        assert got.groupby("respondent").size().to_dict() == {PAT: 4, SAM: 4}
        assert store.imports()["outcome"].tolist() == ["stored", "stored"]


def test_the_same_file_imported_by_two_processes_at_once_is_stored_once(fw, acme, root, tmp_path,
                                                                         dsm_assess_process):
    path = sam_rates_one(fw, acme, root, tmp_path)
    exe = [*dsm_assess_process, "questionnaire", "import", "acme", "--root", str(root), str(path)]
    procs = [subprocess.Popen(exe, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert sorted("stored" if "stored 1 answers" in o else "unchanged" if "nothing changed" in o else o
                  for o in outs) == ["stored", "unchanged"]
    with open_store(engagement_dir("acme", root)) as store:
        assert store.count("answers") == 1 and store.imports()["outcome"].tolist() == ["stored"]
    assert len(list((engagement_dir("acme", root) / "inbox").iterdir())) == 1


KILLED = """
import os, signal, sys
from pathlib import Path
from dsm_assess.capture import intake as capture
from dsm_assess.store import sqlite as store
from dsm_assess.engagement.spec import engagement_dir, load_engagement
from dsm_assess.framework.model import load_framework

root, path, when = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3]
if when == "before commit":
    store.Store.record_answers = lambda *a, **k: os.kill(os.getpid(), signal.SIGKILL)
else:  # after the commit, before the inbox copy gets its name
    real = Path.replace
    Path.replace = lambda self, target: os.kill(os.getpid(), signal.SIGKILL) if self.name.endswith(
        capture.PARTIAL) else real(self, target)
fw = load_framework()
eng = load_engagement("acme", root, fw)
with store.open_store(engagement_dir("acme", root)) as st:
    capture.import_file(path, fw, eng, st, "workbook", root)
"""


@pytest.mark.parametrize("when", ["before commit", "after commit"])
def test_an_import_killed_midway_leaves_inbox_and_store_agreeing(fw, acme, root, tmp_path, when):
    from dsm_assess.capture.intake import import_file

    book = sam_rates_one(fw, acme, root, tmp_path)
    proc = subprocess.run([sys.executable, "-c", KILLED, str(root), str(book), when], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == -9, proc.stderr
    inbox = engagement_dir("acme", root) / "inbox"
    with open_store(engagement_dir("acme", root)) as store:
        stored = store.imports()
        assert [p.name for p in inbox.iterdir() if not p.name.startswith(".")] == []  # nothing claims an import
        assert len(stored) == (1 if when == "after commit" else 0)
        again = import_file(book, fw, acme, store, "workbook", root)  # the next import finishes the job
        assert again.outcome == ("unchanged" if when == "after commit" else "stored")
        kept = [str(inbox / p.name) for p in inbox.iterdir()]
        assert sorted(kept) == sorted(str(Path(d).resolve()) for d in store.imports()["detail"])


def test_an_import_naming_its_copy_while_another_tidies_the_inbox_fails_neither(fw, acme, root, tmp_path,
                                                                              monkeypatch):
    # an import names its inbox copy after its commit, outside the store's lock; another process's
    # import tidies the inbox under the lock, and may find that copy renamed under its hands
    from dsm_assess.capture import intake

    book = sam_rates_one(fw, acme, root, tmp_path)
    inbox = engagement_dir("acme", root) / "inbox"
    real_replace, real_hash = Path.replace, intake.sha256_of
    with monkeypatch.context() as m:  # the first import commits, and has not named its copy yet
        m.setattr(Path, "replace", lambda self, target: self if self.name.endswith(intake.PARTIAL)
                  else real_replace(self, target))
        with open_store(engagement_dir("acme", root)) as store:
            assert intake.import_file(book, fw, acme, store, "workbook", root).outcome == "stored"
    [partial] = inbox.iterdir()
    kept = partial.with_name(partial.name[1:-len(intake.PARTIAL)])

    def named_meanwhile(path):
        if path == partial:
            real_replace(partial, kept)  # what the first import does now, outside the lock
        return real_hash(path)

    monkeypatch.setattr(intake, "sha256_of", named_meanwhile)
    with open_store(engagement_dir("acme", root)) as store:
        intake.reconcile_inbox(store, inbox)
    assert [p.name for p in inbox.iterdir()] == [kept.name]


def test_files_parsed_in_worker_processes_are_stored_in_the_order_given(fw, acme, root, tmp_path):
    from dsm_assess.capture.intake import import_files

    books = []
    for i, (email, sheet, rating) in enumerate([(SAM, "PR.INC", "F"), (PAT, "PR.ARC", "L"), (SAM, "PR.INC", "x"),
                                                (SAM, "PR.INC", "P")]):
        path = export_book(fw, acme, email, tmp_path / f"out{i}", root)
        wb = openpyxl.load_workbook(path)
        wb[sheet]["E4"] = rating
        wb.save(path)
        books.append(path)
    with open_store(engagement_dir("acme", root)) as store:
        outcomes = list(import_files([*books, tmp_path / "missing.xlsx", books[0]], fw, acme, store, "workbook",
                                     root, workers=2))
        got = store.current_answers().set_index(["respondent", "criterion_id"])["rating"].to_dict()
    assert [o.outcome for o in outcomes] == ["stored", "stored", "rejected", "stored", "rejected", "unchanged"]
    assert [o.path for o in outcomes[:4]] == books
    assert got == {(PAT, "PR.ARC.L2.03"): "L", (SAM, "PR.INC.L2.01"): "P"}  # the later file of Sam wins


def test_answers_from_the_form_channel_follow_the_same_text_rules(fw, acme, root):
    from dsm_assess.capture.intake import store_answers
    from dsm_assess.core.errors import DsmError
    from dsm_assess.store.answers import Answer

    with open_store(engagement_dir("acme", root)) as store:
        for bad, what in (("a\x0cb", "U+000C (form feed)"), ("\ud800", "U+D800 (a lone surrogate)"),
                          ("x" * 10_001, "10,001 characters")):
            with pytest.raises(DsmError, match=re.escape(what)):
                store_answers(store, fw, [Answer(SAM, "PR.INC.L2.01", "F"), Answer(SAM, "PR.INC.L3.01", "F",
                                                                                     comment=bad)], source="form")
        assert store.count("answers") == 0
        store_answers(store, fw, [Answer(SAM, "PR.INC.L2.01", "F", evidence="  as typed ", comment="   ")],
                      source="form")
        [row] = store.current_answers().itertuples()
    assert (row.evidence, row.comment) == ("  as typed ", None)


def test_a_consensus_rationale_is_kept_as_typed_and_must_fit_a_report(cli, acme, root):
    ok = cli("consensus", "set", "acme", "PR.INC.L3.01", "L", "--rationale", " Agreed:\n see notes ", "--root", root)
    assert ok.exit_code == 0
    bad = cli("consensus", "set", "acme", "PR.INC.L3.01", "L", "--rationale", "a\x1bb", "--root", root)
    assert bad.exit_code == 1 and "--rationale: contains U+001B (escape)" in bad.stderr
    with open_store(engagement_dir("acme", root)) as store:
        assert store.consensus()["rationale"].tolist() == [" Agreed:\n see notes "]
