"""Long-format CSV: export, import, located problems."""

from __future__ import annotations

import csv

from dsm_assess.capture import import_file
from dsm_assess.csvio import read_csv
from dsm_assess.engagement import engagement_dir
from dsm_assess.store import open_store

from .conftest import SAM


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
        outcome = import_file(path, fw, acme, store, "csv", root)
        assert store.count("answers") == 0
    assert outcome.outcome == "rejected"
    assert [p.where for p in outcome.problems] == [
        "line 3, column respondent", "line 4, column criterion_id", "line 5, column rating", "line 6, column na_reason",
        "line 7, column criterion_id"]


def test_csv_missing_columns(fw, acme, root, tmp_path):
    path = tmp_path / "answers.csv"
    path.write_text("who,what\nx,y\n", encoding="utf-8")
    [problem] = read_csv(path, fw, acme).problems
    assert problem.where == "line 1" and "respondent, criterion_id, rating" in problem.message
