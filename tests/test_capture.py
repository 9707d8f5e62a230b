"""Imports from several processes at once, CSV round trip, status and the generator."""

from __future__ import annotations

import csv
import json
import subprocess
import sys

import openpyxl

from dsm_assess.capture import import_file
from dsm_assess.csvio import read_csv
from dsm_assess.engagement import engagement_dir, load_engagement
from dsm_assess.generate import generate_engagement
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


def test_csv_round_trip_with_formula_like_text(cli, fw, acme, root, tmp_path):
    assert cli("questionnaire", "export-csv", "acme", "--root", root, "--out-dir", tmp_path).exit_code == 0
    path = tmp_path / "acme-answers.csv"
    rows = list(csv.DictReader(path.open(encoding="utf-8")))
    assert len(rows) == len(acme.criteria_for(fw, acme.respondent(SAM))) + len(acme.criteria_for(fw))
    rows[0].update(rating="F", evidence="=1+1", confidence="4")
    rows[1].update(rating="Not applicable", na_reason="-handled by parent company")
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=rows[0].keys())
        w.writeheader()
        w.writerows(rows)
    result = cli("questionnaire", "import-csv", "acme", path, "--root", root)
    assert result.exit_code == 0, result.output
    assert "stored 2 answers" in result.stdout and "'Not applicable' read as NA" in result.stdout
    with open_store(engagement_dir("acme", root)) as store:
        got = store.current_answers().set_index("criterion_id")
    assert got.loc[rows[0]["criterion_id"], "evidence"] == "=1+1"
    assert got.loc[rows[1]["criterion_id"], "na_reason"] == "-handled by parent company"
    assert cli("questionnaire", "export-csv", "acme", "--root", root, "--out-dir", tmp_path / "2").exit_code == 0
    text = (tmp_path / "2" / "acme-answers.csv").read_text(encoding="utf-8")
    assert ",'=1+1," in text and "'-handled by parent company" in text


def test_bad_csv_rows_are_named_by_line_and_column(fw, acme, root, tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("respondent,criterion_id,rating,na_reason\n"
                    f"{SAM},PR.INC.L2.01,F,\n"
                    f"nobody@acme.example.com,PR.INC.L2.01,F,\n"
                    f"{SAM},PR.ARC.L2.01,F,\n"
                    f"{SAM},PR.INC.L3.01,maybe,\n"
                    f"{SAM},PR.INC.L4.01,NA,\n"
                    f"{SAM},PR.INC.L2.01,P,\n", encoding="utf-8")
    with open_store(engagement_dir("acme", root)) as store:
        outcome = import_file(path, fw, acme, store, read_csv, "csv", root)
        assert store.count("answers") == 0
    assert outcome.outcome == "rejected"
    assert [p.where for p in outcome.problems] == [
        "line 3, column respondent", "line 4, column criterion_id", "line 5", "line 6, column na_reason",
        "line 7, column criterion_id"]


def test_csv_missing_columns(fw, acme, root, tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("who,what\nx,y\n", encoding="utf-8")
    [problem] = read_csv(path, fw, acme).problems
    assert problem.where == "line 1" and "respondent, criterion_id, rating" in problem.message


def test_status_counts_by_respondent(cli, fw, acme, root, tmp_path):
    path = export_workbook(fw, acme, acme.respondent(SAM), tmp_path)
    wb = openpyxl.load_workbook(path)
    wb["PR.INC"]["E4"], wb["PR.INC"]["E5"] = "F", "DK"
    wb["PR.SDK"]["E4"], wb["PR.SDK"]["F4"] = "NA", "no desk"
    wb.save(path)
    assert cli("questionnaire", "import", "acme", path, "--root", root).exit_code == 0
    data = json.loads(cli("status", "acme", "--root", root, "--json").stdout)
    sam, pat = data["respondents"]
    # Sam: 3 subjects x 4 levels = 12 criteria in the quick scan; 1 rated, 1 DK, 1 N/A.
    assert {k: sam[k] for k in ("email", "answered", "outstanding", "na", "dk")} == {
        "email": SAM, "answered": 1, "outstanding": 9, "na": 1, "dk": 1}
    assert {k: pat[k] for k in ("email", "answered", "outstanding", "na", "dk")} == {
        "email": PAT, "answered": 0, "outstanding": 164, "na": 0, "dk": 0}
    inc = next(s for s in sam["subjects"] if s["id"] == "PR.INC")
    assert inc == {"id": "PR.INC", "expected": 4, "answered": 1, "na": 0, "dk": 1, "outstanding": 2}
    text = cli("status", "acme", "--root", root).stdout
    assert "Sam Desk" in text and "3/12" in text
    assert any(line.strip().startswith("PR.INC") and "2/4" in line and "don't know 1" in line
               for line in text.splitlines())
    assert "PR.INC" not in cli("status", "acme", "--root", root, "--no-subjects").stdout


def _answers(root, slug):
    with open_store(engagement_dir(slug, root)) as store:
        return store.current_answers().drop(columns=["id", "recorded_at", "engagement"])


def test_generator_is_deterministic_and_plausible(fw, root):
    generate_engagement(fw, "one", respondents=4, seed=7, root=root)
    generate_engagement(fw, "two", respondents=4, seed=7, root=root)
    generate_engagement(fw, "three", respondents=4, seed=8, root=root)
    a, b, c = _answers(root, "one"), _answers(root, "two"), _answers(root, "three")
    assert a.equals(b) and not a["rating"].equals(c["rating"])
    assert set(a["rating"]) == {"N", "P", "L", "F", "NA", "DK"}
    assert a.loc[a["rating"] == "NA", "na_reason"].notna().all()
    assert a["evidence"].notna().any()
    steps = a[a["rating"].isin(list("NPLF"))].assign(step=lambda d: d["rating"].astype(str).map("NPLF".index))
    spread = steps.groupby("criterion_id")["step"].agg(lambda s: s.max() - s.min())
    assert (spread >= 2).any()  # some respondents disagree
    assert steps.groupby("criterion_id").size().max() >= 2
    eng = load_engagement("one", root, fw)
    assert len(eng.respondents) == 4 and len({r.email for r in eng.respondents}) == 4


def test_generate_cli(cli, root):
    result = cli("engagement", "generate", "demo-x", "--respondents", "3", "--seed", "2", "--root", root)
    assert result.exit_code == 0
    data = json.loads(cli("status", "demo-x", "--root", root, "--json").stdout)
    assert len(data["respondents"]) == 3
    assert all(r["answered"] > 0 for r in data["respondents"])
    again = cli("engagement", "generate", "demo-x", "--root", root)
    assert again.exit_code == 1 and "already exists" in again.stderr


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
