"""Imports: several processes at once, one file stored once, consensus recorded through capture."""

from __future__ import annotations

import subprocess
import sys

import openpyxl

from dsm_assess.engagement import engagement_dir
from dsm_assess.store import open_store
from dsm_assess.workbook import export_workbook

from .conftest import PAT, SAM


def test_two_processes_importing_different_respondents_both_land(fw, acme, root, tmp_path):
    files = []
    for email, sheet in ((SAM, "PR.INC"), (PAT, "PR.ARC")):
        path = export_workbook(fw, acme, acme.respondent(email), tmp_path / "out")
        wb = openpyxl.load_workbook(path)
        for r in range(4, 8):
            wb[sheet][f"E{r}"] = "L"
        wb.save(path)
        files.append(path)
    exe = [sys.executable, "-m", "dsm_assess", "questionnaire", "import", "acme", "--root", str(root)]
    procs = [subprocess.Popen([*exe, str(f)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for f in files]
    outs = [p.communicate(timeout=120) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    with open_store(engagement_dir("acme", root)) as store:
        got = store.current_answers()
        assert got.groupby("respondent").size().to_dict() == {PAT: 4, SAM: 4}
        assert store.imports()["outcome"].tolist() == ["stored", "stored"]


def test_the_same_file_imported_by_two_processes_at_once_is_stored_once(fw, acme, root, tmp_path):
    path = export_workbook(fw, acme, acme.respondent(SAM), tmp_path / "out")
    wb = openpyxl.load_workbook(path)
    wb["PR.INC"]["E4"] = "F"
    wb.save(path)
    exe = [sys.executable, "-m", "dsm_assess", "questionnaire", "import", "acme", "--root", str(root), str(path)]
    procs = [subprocess.Popen(exe, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [p.communicate(timeout=120)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0]
    assert sorted("stored" if "stored 1 answers" in o else "unchanged" if "nothing changed" in o else o
                  for o in outs) == ["stored", "unchanged"]
    with open_store(engagement_dir("acme", root)) as store:
        assert store.count("answers") == 1 and store.imports()["outcome"].tolist() == ["stored"]
    assert len(list((engagement_dir("acme", root) / "inbox").iterdir())) == 1
