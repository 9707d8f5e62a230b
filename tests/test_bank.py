"""The shipped question bank: its counts, profiles and export."""

from __future__ import annotations

import csv
import json
from collections import Counter

import openpyxl

from dsm_assess.bank import COLUMNS


def test_every_subject_has_at_least_10_criteria_and_2_per_level(fw):
    counts = fw.criteria_counts()
    assert set(counts) == {s.id for s in fw.subjects} and len(counts) == 41
    for subject, levels in counts.items():
        assert sum(levels.values()) >= 10, subject
        assert all(levels[lv] >= 2 for lv in ("2", "3", "4", "5")), subject


def test_every_subject_names_its_audiences(fw):
    assert all(1 <= len(s.audiences) <= 4 for s in fw.subjects)


def test_criteria_cross_links_point_at_other_areas(fw):
    for c in fw.criteria:
        assert c.subject not in c.informs
    assert sum(bool(c.informs) for c in fw.criteria) > len(fw.criteria) / 5


def test_full_profile_is_every_criterion(fw):
    assert fw.profiles["full"] == tuple(c.id for c in fw.criteria)


def test_quick_scan_covers_every_subject_at_every_level_with_one_criterion(fw):
    ids = fw.profiles["quick-scan"]
    per = Counter((c.subject, c.level) for c in fw.criteria if c.id in set(ids))
    assert len(per) == 41 * 4 and set(per.values()) == {1}
    assert len(ids) == 164
    assert all(i.endswith(".01") for i in ids)


def test_answer_scale_defined_once(fw):
    assert [p.code for p in fw.scale] == ["F", "L", "P", "N", "NA", "DK"]
    assert [p.code for p in fw.scale if p.needs_reason] == ["NA"]
    bands = {p.code: p.band for p in fw.scale}
    assert bands == {"F": ">85%", "L": ">50-85%", "P": ">15-50%", "N": "0-15%", "NA": None, "DK": None}


def test_framework_check_json_counts_the_bank(cli, fw):
    data = json.loads(cli("framework", "check", "--json").stdout)
    assert data["criteria"]["PR.INC"] == {"2": 3, "3": 3, "4": 3, "5": 3}
    assert len(data["criteria"]) == 41
    assert data["profiles"] == {"full": len(fw.criteria), "quick-scan": 164}


def test_export_csv_has_every_criterion(cli, fw, tmp_path):
    out = tmp_path / "bank.csv"
    result = cli("bank", "export", "--format", "csv", "--out", out)
    assert result.exit_code == 0 and result.stdout.strip() == str(out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["id"] for r in rows] == [c.id for c in fw.criteria]
    inc = next(r for r in rows if r["id"] == "PR.INC.L2.01")
    assert inc["subject_name"] == "Incident management" and inc["level"] == "2"
    assert inc["profiles"] == "full, quick-scan"


def test_export_xlsx_reads_back(cli, fw, tmp_path):
    out = tmp_path / "bank.xlsx"
    assert cli("bank", "export", "--format", "xlsx", "--out", out).exit_code == 0
    wb = openpyxl.load_workbook(out)
    ws = wb["Question bank"]
    assert [c.value for c in ws[1]] == COLUMNS
    assert ws.max_row == len(fw.criteria) + 1
    assert ws.freeze_panes == "B2"
    assert wb["About"]["B2"].value == fw.bank_version


def test_export_rejects_unknown_format(cli, tmp_path):
    result = cli("bank", "export", "--format", "pdf", "--out", tmp_path / "x.pdf")
    assert result.exit_code == 2 and "csv or xlsx" in result.stderr
