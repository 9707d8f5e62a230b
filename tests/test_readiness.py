"""The guard before a document leaves: readiness checks, the refusal of an empty report, markings."""

from __future__ import annotations

import json

import openpyxl
import pytest
import yaml
from docx import Document

from dsm_assess.api import Engagement
from dsm_assess.capture.intake import record_consensus
from dsm_assess.deliver.readiness import check_engagement, marking
from dsm_assess.demo.generate import generate_engagement
from dsm_assess.engagement.spec import engagement_dir, engagement_file, load_engagement
from dsm_assess.store.sqlite import open_store


def kinds(checks) -> list[str]:
    return [c.kind for c in checks]


def headers(path) -> list[str]:
    return [s.header.paragraphs[0].text for s in Document(str(path)).sections]


def test_an_engagement_without_answers_is_not_ready(acme, root, fw):
    checks = check_engagement("acme", root, fw)
    assert kinds(checks) == ["no-answers"]
    assert "Acme Ltd has no answers yet" in checks[0].message


def test_report_without_answers_is_refused_unless_draft(cli, acme, root, tmp_path):
    tmp_path = tmp_path / "out"
    refused = cli("report", "acme", "--root", root, "--out-dir", tmp_path)
    assert refused.exit_code == 1
    assert "no answers yet" in refused.stderr and "--draft" in refused.stderr
    assert "Traceback" not in refused.stderr and not tmp_path.exists()
    draft = cli("report", "acme", "--root", root, "--out-dir", tmp_path, "--draft")
    assert draft.exit_code == 0, draft.stderr
    assert "warning: Acme Ltd has no answers yet" in draft.stderr
    assert all(h == "Draft" for h in headers(tmp_path / "acme-full.docx"))


def test_a_draft_backlog_is_marked_on_every_sheet(acme, root, tmp_path, fw):
    path = Engagement("acme", root, framework=fw).report("backlog", tmp_path, draft=True)
    book = openpyxl.load_workbook(path)
    assert all(ws.oddHeader.center.text == "Draft" for ws in book.worksheets)


def test_too_few_subjects_scored_is_below_the_engagements_threshold(acme, root, fw):
    eng = load_engagement("acme", root, fw)
    with open_store(engagement_dir("acme", root), "acme") as store:
        for cid in [c for c in eng.criteria_for(fw) if c.startswith("PR.INC.")]:
            record_consensus(fw, eng, store, cid, "F", "Agreed in the workshop.")
    checks = check_engagement("acme", root, fw)
    assert kinds(checks) == ["coverage"]
    assert checks[0].message == (f"only 1 of {len(eng.scope)} subjects have enough answers to score "
                                 f"({1 / len(eng.scope):.0%}; the engagement asks for 80%)")
    # a lower threshold set by the consultant is respected
    path = engagement_file("acme", root)
    path.write_text(path.read_text(encoding="utf-8") + "report:\n  min_coverage: 0.02\n", encoding="utf-8")
    assert check_engagement("acme", root, fw) == []


def test_scope_subjects_nobody_is_asked_are_named(fw, root):
    from dsm_assess.engagement.edit import add_respondent, new_engagement
    from dsm_assess.store.sqlite import init_store
    new_engagement(fw, "beta", "Beta plc", "quick-scan", root=root, scope=["PR.INC", "PR.SDK", "PR.CHG"])
    add_respondent(fw, "beta", "Sam Desk", "sam@beta.example.com", "service desk lead", ["PR.INC", "PR.SDK"], root)
    init_store(engagement_dir("beta", root), "beta")
    checks = check_engagement("beta", root, fw)
    assert checks[1].kind == "no-respondent"
    assert checks[1].message == "1 subject of the scope has no respondent: Change enablement"


@pytest.fixture(scope="module")
def answered(tmp_path_factory, fw):
    root = tmp_path_factory.mktemp("ready") / "engagements"
    generate_engagement(fw, "gen", respondents=4, seed=5, profile="quick-scan", client="Gen Water", root=root)
    # nobody is asked about incident management any more (their earlier answers stay in the store)
    path = engagement_file("gen", root)
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    for r in data["respondents"]:
        r["subjects"] = [s for s in r["subjects"] if s != "PR.INC"]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return root


def test_a_what_if_is_a_warning_and_marked_on_every_page(answered, tmp_path, fw):
    scenario = tmp_path / "more-desk.yaml"
    scenario.write_text("targets:\n  PR.SDK: 5\n", encoding="utf-8")
    inputs = Engagement("gen", answered, framework=fw).gather(scenario)
    assert "what-if" in kinds(inputs.readiness())
    path = Engagement("gen", answered, framework=fw).report("executive", tmp_path, inputs=inputs)
    assert set(headers(path)) == {"Scenario: more-desk"}
    plain = Engagement("gen", answered, framework=fw).report("executive", tmp_path / "plain")
    assert set(headers(plain)) == {""}
    assert marking(True, "more-desk") == "Draft · Scenario: more-desk"


def test_batch_json_and_status_json_carry_the_same_warnings(cli, answered, tmp_path, fw):
    expected = [c.as_dict() for c in check_engagement("gen", answered, fw)]
    assert "no-respondent" in kinds(check_engagement("gen", answered, fw))
    result = cli("batch", "gen", "--root", answered, "--out-dir", tmp_path, "--jobs", "1", "--audience",
                 "executive", "--json")
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["warnings"] == {"gen": expected}
    again = json.loads(cli("batch", "gen", "--root", answered, "--out-dir", tmp_path, "--jobs", "1", "--audience",
                           "executive", "--json").stdout)
    assert again["skipped"] == ["gen"] and again["warnings"] == {"gen": expected}  # kept in the manifest
    status = cli("status", "gen", "--root", answered, "--json")
    assert json.loads(status.stdout)["readiness"] == expected
    text = cli("status", "gen", "--root", answered, "--no-subjects")
    assert "Before a report goes out:" in text.stdout


def test_an_operating_model_that_does_not_validate_is_a_warning_not_a_failure(acme, root, fw, cli):
    path = engagement_file("acme", root)
    path.write_text(path.read_text(encoding="utf-8") + "tom:\n  products: [{name: X}]\n", encoding="utf-8")
    checks = check_engagement("acme", root, fw)
    assert kinds(checks) == ["no-answers", "tom-findings"]
    assert checks[1].message.startswith("the target operating model does not validate: ")
    assert cli("status", "acme", "--root", root).exit_code == 0
