"""Progress per respondent and subject."""

from __future__ import annotations

import json

import openpyxl

from .conftest import PAT, SAM, export_book


def test_status_counts_by_respondent(cli, fw, acme, root, tmp_path):
    path = export_book(fw, acme, SAM, tmp_path, root)
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
