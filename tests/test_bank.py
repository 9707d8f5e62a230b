"""The shipped question bank: its counts, profiles and export."""

from __future__ import annotations

import csv
import json
import sqlite3
from collections import Counter

import openpyxl
import pytest

from dsm_assess.core.errors import FrameworkInvalid
from dsm_assess.core.scale import RATINGS, STEPS
from dsm_assess.framework.bank import COLUMNS
from dsm_assess.framework.model import load_framework
from dsm_assess.store.sqlite import open_store
from tests.conftest import edit


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
    assert all("quick-scan" in fw.get(i).profiles for i in ids)  # chosen by hand in the bank files


def test_screening_decides_level_2_and_3_of_every_subject_without_resting_on_a_condition(fw):
    chosen = [fw.get(i) for i in fw.profiles["screening"]]
    assert len(chosen) == 82 and {c.level for c in chosen} == {2, 3}
    per = Counter((c.subject, c.level) for c in chosen)
    assert len(per) == 41 * 2  # every subject, both levels
    assert not [c.id for c in chosen if c.applies_when]  # each level's pick applies to every client
    assert all("screening" in c.profiles for c in chosen)


def test_stepwise_is_the_screenings_level_2_criterion_of_every_subject(fw):
    assert fw.profiles["stepwise"] == tuple(i for i in fw.profiles["screening"] if fw.get(i).level == 2)
    assert len({fw.get(i).subject for i in fw.profiles["stepwise"]}) == 41
    assert fw.follow_up_profiles == {"screening", "stepwise"}  # what `questionnaire follow-up` builds on


def test_answer_scale_defined_once(fw):
    assert sorted(p.code for p in fw.scale) == sorted(RATINGS) and STEPS == ("N", "P", "L", "F")
    assert [p.code for p in fw.scale if p.needs_reason] == ["NA"]
    bands = {p.code: p.band for p in fw.scale}
    assert bands == {"F": ">85%", "L": ">50-85%", "P": ">15-50%", "N": "0-15%", "NA": None, "DK": None}


def test_a_bank_scale_that_misses_a_code_or_credits_out_of_order_does_not_load(questionnaires):
    bank = questionnaires / "bank" / "bank.yaml"
    edit(bank, "credit: 0.7", "credit: 0.2")  # L now earns less than P
    edit(bank, "  - code: DK\n", "  - code: NA\n")
    with pytest.raises(FrameworkInvalid) as err:
        load_framework(questionnaires)
    text = str(err.value)
    assert "answer code DK must appear exactly once" in text and "rising from N to F" in text


def test_the_store_refuses_a_rating_outside_the_scale(tmp_path):
    with open_store(tmp_path / "x") as store, pytest.raises(sqlite3.IntegrityError, match="CHECK constraint"):
        store.db.execute("INSERT INTO respondent_keys VALUES (1, 'a')")
        store.db.execute("INSERT INTO criterion_keys VALUES (1, 'PR.INC.L2.01')")
        store.db.execute("INSERT INTO answers (engagement, respondent, criterion_id, rating, bank_version, source,"
                         " recorded_at, respondent_key, criterion_key, packed) VALUES ('x', 'a', 'PR.INC.L2.01', 'X',"
                         " '1', 'test', 'now', 1, 1, 0)")


def test_framework_check_json_counts_the_bank(cli, fw):
    data = json.loads(cli("framework", "check", "--json").stdout)
    per_level = Counter(str(c.level) for c in fw.criteria if c.subject == "PR.INC")
    assert data["criteria"]["PR.INC"] == dict(sorted(per_level.items())) and min(per_level.values()) >= 2
    assert len(data["criteria"]) == 41
    assert data["profiles"] == {"full": len(fw.criteria), "quick-scan": 164, "screening": 82, "stepwise": 41}


def test_export_csv_has_every_criterion(cli, fw, tmp_path):
    out = tmp_path / f"question-bank-{fw.bank_version}.csv"
    result = cli("bank", "export", "--format", "csv", "--out-dir", tmp_path)
    assert result.exit_code == 0 and result.stdout.strip() == str(out)
    rows = list(csv.DictReader(out.open(encoding="utf-8")))
    assert [r["id"] for r in rows] == [c.id for c in fw.criteria]
    inc = next(r for r in rows if r["id"] == "PR.INC.L2.01")
    assert inc["subject_name"] == "Incident management" and inc["level"] == "2"
    assert inc["profiles"] == "full, quick-scan, screening, stepwise"
    c = fw.get("PR.INC.L2.01")
    assert inc["topic"] == next(t.name for t in fw.get_subject("PR.INC").topics if t.id == c.topic)
    conditional = next(x for x in fw.criteria if x.applies_when == "suppliers")
    row = next(r for r in rows if r["id"] == conditional.id)
    assert row["applies_when"] == next(k.applies_when for k in fw.conditions if k.id == "suppliers")


def test_export_xlsx_reads_back(cli, fw, tmp_path):
    out = tmp_path / f"question-bank-{fw.bank_version}.xlsx"
    assert cli("bank", "export", "--format", "xlsx", "--out-dir", tmp_path).exit_code == 0
    wb = openpyxl.load_workbook(out)
    ws = wb["Question bank"]
    assert [c.value for c in ws[1]] == COLUMNS
    assert ws.max_row == len(fw.criteria) + 1
    assert ws.freeze_panes == "B2"
    assert wb["About"]["B2"].value == fw.bank_version


def test_export_rejects_unknown_format(cli, tmp_path):
    result = cli("bank", "export", "--format", "pdf", "--out-dir", tmp_path)
    assert result.exit_code == 2 and "'pdf' is not one of" in result.stderr and "xlsx" in result.stderr
