"""Conditional criteria: shown with their condition, and declared once per engagement where the
condition does not hold, with the same effect on scores as every respondent answering N/A."""

from __future__ import annotations

import openpyxl
import pytest
import yaml

from dsm_assess.capture.intake import store_answers
from dsm_assess.core.errors import InvalidInput
from dsm_assess.demo.generate import generate_engagement
from dsm_assess.engagement.edit import edit_engagement
from dsm_assess.engagement.spec import engagement_dir, engagement_file, load_engagement
from dsm_assess.formats.yamledit import dump_yaml, load_yaml
from dsm_assess.framework.model import read_framework
from dsm_assess.scoring.assessment import load_assessment
from dsm_assess.store.answers import Answer
from dsm_assess.store.sqlite import open_store

from .conftest import export_book


@pytest.fixture
def conditional(questionnaires):
    """A copy of the bank where PR.INC's second level 3 criterion applies only with suppliers."""
    path = questionnaires / "bank" / "subjects" / "PR.INC.yaml"
    data = yaml.safe_load(path.read_text())
    target = [c for c in data["criteria"] if ".L3." in c["id"] and not c.get("applies_when")][1]
    for c in data["criteria"]:
        c.pop("applies_when", None)  # only the one chosen here is conditional
    target["applies_when"] = "suppliers"
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))
    fw, problems = read_framework(questionnaires)
    assert fw is not None, problems
    return fw, target["id"]


def declare(root, slug, subjects, condition="suppliers"):
    edit_engagement(None, slug, lambda d: d.update(conditions=[
        {"condition": condition, "subjects": subjects, "reason": "No external suppliers take part."}]),
        action="condition declared", root=root)


def hand_edit(path, change):
    """Edit the file as a consultant would by hand: no checks."""
    data = load_yaml(path.read_text(), path)
    change(data)
    path.write_text(dump_yaml(data))


def test_declared_condition_leaves_its_criteria_unasked(conditional, root):
    fw, cid = conditional
    generate_engagement(fw, "acme", respondents=2, seed=1, profile="full", root=root)
    assert cid in load_engagement("acme", root, fw).criteria_for(fw)
    declare(root, "acme", ["PR.INC"])
    eng = load_engagement("acme", root, fw)
    assert cid not in eng.criteria_for(fw)
    assert all(c.subject != "PR.INC" or c.id in eng.criteria_for(fw) or c.id == cid
               for c in fw.criteria)
    declare(root, "acme", ["PR.CHG"])  # declared for another subject: PR.INC is asked again
    assert cid in load_engagement("acme", root, fw).criteria_for(fw)


def test_declaration_scores_as_every_respondent_answering_na(conditional, root):
    fw, cid = conditional
    for slug in ("declared", "answered"):
        generate_engagement(fw, slug, respondents=3, seed=5, profile="full", root=root, client="Same client")
    declare(root, "declared", ["PR.INC"])
    eng = load_engagement("answered", root, fw)
    with open_store(engagement_dir("answered", root), "answered") as st:
        store_answers(st, fw, [Answer(r.email, cid, "NA", na_reason="No external suppliers take part.")
                               for r in eng.respondents], source="test")
    a = load_assessment("declared", root, fw=fw).scores.subjects.set_index("id")
    b = load_assessment("answered", root, fw=fw).scores.subjects.set_index("id")
    assert a.loc["PR.INC", ["level", "score"]].tolist() == b.loc["PR.INC", ["level", "score"]].tolist()


def test_questionnaire_shows_the_condition_next_to_na(conditional, acme, root, tmp_path):
    fw, cid = conditional
    from .conftest import PAT
    edit_engagement(fw, "acme", lambda d: d.update(profile="full"), action="profile", root=root)
    eng = load_engagement("acme", root, fw)
    wb = openpyxl.load_workbook(export_book(fw, eng, PAT, tmp_path / "out", root))
    cells = [c.value for row in wb["PR.INC"].iter_rows() if row[0].value == cid for c in row]
    when = next(k.applies_when for k in fw.conditions if k.id == fw.get(cid).applies_when)
    assert any(isinstance(v, str) and f"Applies only where {when}; if not, answer Not applicable" in v
               for v in cells), cells


def test_unknown_condition_or_subject_outside_scope_is_a_located_problem(conditional, root):
    fw, _ = conditional
    generate_engagement(fw, "acme", respondents=1, seed=1, root=root)
    hand_edit(engagement_file("acme", root), lambda d: d.update(scope=["PR.INC"], respondents=d["respondents"][:0],
                                                                conditions=[{"condition": "no-such", "subjects":
                                                                             ["PR.CHG"], "reason": "x"}]))
    with pytest.raises(InvalidInput) as err:
        load_engagement("acme", root, fw)
    text = str(err.value)
    assert "conditions[0].condition" in text and "unknown condition 'no-such'" in text
    assert "conditions[0].subjects[0]" in text and "'PR.CHG' is not in the engagement's scope" in text


def test_condition_command_declares_and_clears(cli, conditional, root, tmp_path):
    fw, cid = conditional
    generate_engagement(fw, "acme", respondents=1, seed=1, profile="full", root=root)
    q = tmp_path / "questionnaires"
    res = cli("engagement", "condition", "acme", "suppliers", "--not-held", "pr.inc", "--reason",
              "No external suppliers take part.", "--root", root, "--questionnaires", q)
    assert res.exit_code == 0, res.output
    assert "1 criteria not asked" in res.output
    assert cid not in load_engagement("acme", root, fw).criteria_for(fw)
    res = cli("engagement", "condition", "acme", "suppliers", "--clear", "--root", root, "--questionnaires", q)
    assert res.exit_code == 0 and cid in load_engagement("acme", root, fw).criteria_for(fw)
    res = cli("engagement", "condition", "acme", "weather", "--clear", "--root", root, "--questionnaires", q)
    assert res.exit_code == 1 and "unknown condition 'weather'; one of suppliers" in res.stderr
