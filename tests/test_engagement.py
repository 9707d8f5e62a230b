"""Engagements: creating, adding respondents, validation messages, the root option; consensus CLI."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

from dsm_assess.core.errors import InvalidInput
from dsm_assess.engagement.spec import engagement_file, load_engagement
from dsm_assess.store.sqlite import open_store

from .conftest import SAM

PROJECT = Path(__file__).resolve().parent.parent


def test_new_engagement_writes_a_valid_file(cli, fw, root):
    result = cli("engagement", "new", "acme", "--client", "Acme Ltd", "--profile", "full", "--sector", "Retail",
                 "--deadline", "2026-12-18", "--contact-name", "Jo Lead", "--contact-email", "jo@consult.example.com",
                 "--root", root)
    assert result.exit_code == 0, result.output
    data = yaml.safe_load(engagement_file("acme", root).read_text())
    assert data["client"] == "Acme Ltd" and data["profile"] == "full" and data["sector"] == "Retail"
    assert data["bank_version"] == fw.bank_version and data["deadline"] == "2026-12-18"
    assert len(data["scope"]) == 41 and data["respondents"] == []
    eng = load_engagement("acme", root, fw)
    assert len(eng.criteria_for(fw)) == len(fw.criteria)


def test_root_from_environment(cli, root, monkeypatch):
    monkeypatch.setenv("DSM_ASSESS_ROOT", str(root))
    assert cli("engagement", "new", "envco", "--client", "Env Co").exit_code == 0
    assert (root / "envco" / "engagement.yaml").exists()


def test_add_respondent_and_show(cli, root):
    cli("engagement", "new", "acme", "--client", "Acme Ltd", "--root", root)
    result = cli("engagement", "add-respondent", "acme", "--name", "Sam Desk", "--email", "Sam@Acme.Example.com",
                 "--role", "service desk lead", "--subjects", "PR.INC, PR.SDK", "--root", root)
    assert result.exit_code == 0
    data = json.loads(cli("engagement", "show", "acme", "--json", "--root", root).stdout)
    assert data["respondents"] == [{"name": "Sam Desk", "email": SAM, "role": "service desk lead",
                                    "subjects": ["PR.INC", "PR.SDK"]}]
    text = cli("engagement", "show", "acme", "--root", root).stdout
    assert "Sam Desk <sam@acme.example.com>, service desk lead: 2 subjects, 8 criteria" in text


@pytest.mark.parametrize("args, message", [
    (["--email", "not-an-email"], "email"),
    (["--subjects", "PR.NOPE"], "unknown subject 'PR.NOPE'; did you mean"),
    (["--email", SAM], "already a respondent"),
])
def test_add_respondent_errors(cli, acme, root, args, message):
    base = {"--name": "X", "--email": "x@acme.example.com", "--role": "r"}
    base.update(dict(zip(args[::2], args[1::2], strict=True)))
    result = cli("engagement", "add-respondent", "acme", *[v for kv in base.items() for v in kv], "--root", root)
    assert result.exit_code == 1 and message in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("args, message", [
    (["Bad Slug", "--client", "X"], "invalid engagement name 'Bad Slug'"),
    (["acme2", "--client", "X", "--profile", "huge"], "unknown profile 'huge'"),
    (["acme2", "--client", "X", "--scope", "PR.INC,PR.NOPE"], "unknown subject 'PR.NOPE'; did you mean"),
    (["acme2", "--client", "X", "--deadline", "next week"],
     "--deadline: 'next week' is not a date; use the form YYYY-MM-DD"),
    (["acme2", "--client", "X", "--deadline", "18/12/2026"], "--deadline: '18/12/2026' is not a date"),
    (["acme2", "--client", "X", "--deadline", "2026-13-45"], "--deadline: '2026-13-45' is not a date"),
])
def test_new_engagement_errors(cli, root, args, message):
    result = cli("engagement", "new", *args, "--root", root)
    assert result.exit_code == 1 and message in result.stderr, result.output


def test_existing_engagement_is_never_overwritten(cli, acme, root):
    before = engagement_file("acme", root).read_text()
    result = cli("engagement", "new", "acme", "--client", "Someone else", "--root", root)
    assert result.exit_code == 1 and "already exists" in result.stderr
    assert engagement_file("acme", root).read_text() == before


def test_hand_edited_file_errors_name_file_line_and_field(fw, acme, root):
    path = engagement_file("acme", root)
    text = path.read_text().replace(f"email: {SAM}", "email: sam-at-acme").replace("profile: quick-scan",
                                                                                    "profile: quick")
    path.write_text(text)
    with pytest.raises(InvalidInput) as exc:
        load_engagement("acme", root, fw)
    msgs = [str(p) for p in exc.value.problems]
    assert any(m.endswith("respondents[0].email: value is not a valid email address: An email address must have an "
                          "@-sign.") and "engagement.yaml:" in m for m in msgs), msgs
    path.write_text(path.read_text().replace("email: sam-at-acme", f"email: {SAM}"))
    with pytest.raises(InvalidInput, match=r"engagement\.yaml:\d+: profile: unknown profile 'quick'"):
        load_engagement("acme", root, fw)


def test_unknown_engagement(cli, root):
    result = cli("status", "nope", "--root", root)
    assert result.exit_code == 1 and "no engagement 'nope'" in result.stderr


def test_consensus_set_records_and_takes_history(cli, acme, root):
    ok = cli("consensus", "set", "acme", "PR.INC.L3.01", "l", "--rationale", "Workshop agreed", "--root", root)
    assert ok.exit_code == 0 and "PR.INC.L3.01: L" in ok.stdout
    cli("consensus", "set", "acme", "PR.INC.L3.01", "F", "--rationale", "Evidence seen", "--root", root)
    with open_store(root / "acme") as store:
        assert store.consensus()["rating"].tolist() == ["F"]
        assert store.consensus_history()["rationale"].tolist() == ["Workshop agreed", "Evidence seen"]
    shown = cli("consensus", "show", "acme", "--history", "--root", root).stdout
    assert "Workshop agreed" in shown and "Evidence seen" in shown


@pytest.mark.parametrize("criterion, rating, rationale, message", [
    ("PR.INC.L3.02", "F", "x", "not a criterion of engagement 'acme'"),  # not in the quick scan
    ("PR.INC.L3.01", "maybe", "x", "rating 'maybe' is not one of"),
    ("PR.INC.L3.01", "F", "  ", "needs a rating and a rationale"),
])
def test_consensus_errors(cli, acme, root, criterion, rating, rationale, message):
    result = cli("consensus", "set", "acme", criterion, rating, "--rationale", rationale, "--root", root)
    assert result.exit_code == 1 and message in result.stderr
    with open_store(root / "acme") as store:
        assert store.count("consensus") == 0


@pytest.mark.parametrize("text", ["", "# just a comment\n\n# and another\n"])
def test_an_empty_or_comment_only_engagement_file_is_one_located_error(cli, acme, root, text):
    engagement_file("acme", root).write_text(text)
    result = cli("engagement", "show", "acme", "--root", root)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "engagement.yaml: the file is empty (or only comments)" in result.stderr


@pytest.mark.parametrize("field, value, message", [
    ("deadline", "2026-13-45", "deadline: '2026-13-45' is not a date; use the form YYYY-MM-DD"),
    ("deadline", "18/12/2026", "deadline: '18/12/2026' is not a date; use the form YYYY-MM-DD"),
    ("assessment_date", "2026-02-30", "assessment_date: '2026-02-30' is not a date; use the form YYYY-MM-DD"),
    ("business_context", "{CAP.DATA: .inf}", "business_context.CAP.DATA: input should be a finite number"),
    ("business_context", "{CAP.DATA: .nan}", "business_context.CAP.DATA: input should be a finite number"),
    ("business_context", "{CAP.DATA: 1.0e+400}", "business_context.CAP.DATA: input should be a finite number"),
    ("business_context", "{CAP.DATA: 1e400}", "business_context.CAP.DATA: input should be a valid integer"),
    ("targets", "{PR.INC: {level: .inf, reason: x}}", "targets.PR.INC.level: input should be a finite number"),
])
def test_bad_dates_and_numbers_in_engagement_yaml_name_the_field_and_line(cli, acme, root, field, value, message):
    path = engagement_file("acme", root)
    path.write_text(path.read_text() + f"{field}: {value}\n" if field not in path.read_text()
                    else "\n".join(f"{field}: {value}" if line.startswith(f"{field}:") else line
                                   for line in path.read_text().splitlines()) + "\n")
    result = cli("status", "acme", "--root", root)
    assert result.exit_code == 1 and "Traceback" not in result.output, result.output
    assert re.search(rf"engagement\.yaml:\d+: {re.escape(message)}", result.stderr), result.stderr


def test_a_date_like_value_in_a_what_if_file_is_read_as_text_or_a_located_error(cli, root, tmp_path):
    cli("engagement", "generate", "acme", "--respondents", "2", "--seed", "5", "--root", root)
    plan = tmp_path / "what-if.yaml"
    plan.write_text("targets:\n  PR.INC: {level: 4, reason: 2026-13-45}\n")
    data = json.loads(cli("score", "acme", "--json", "--what-if", plan, "--root", root).stdout)
    assert next(s for s in data["subjects"] if s["id"] == "PR.INC")["target_reason"] == "2026-13-45"
    plan.write_text("targets:\n  PR.INC: 2026-13-45\n")
    bad = cli("score", "acme", "--what-if", plan, "--root", root)
    assert bad.exit_code == 1 and "Traceback" not in bad.output and "what-if.yaml:2: targets.PR.INC" in bad.stderr


def test_a_slug_with_a_trailing_newline_creates_nothing(cli, root):
    result = cli("engagement", "new", "evil\n", "--client", "X", "--root", root)
    assert result.exit_code == 1 and "invalid engagement name" in result.stderr
    assert list(root.iterdir()) == []


def test_a_new_engagement_has_its_store_and_a_missing_one_is_reported(cli, root):
    assert cli("engagement", "new", "acme", "--client", "Acme Ltd", "--root", root).exit_code == 0
    cli("engagement", "add-respondent", "acme", "--name", "Sam", "--email", SAM, "--role", "lead", "--root", root)
    store = root / "acme" / "responses.sqlite"
    assert store.is_file()
    assert cli("status", "acme", "--root", root).exit_code == 0
    store.unlink()
    for args in (["status", "acme"], ["questionnaire", "export", "acme"], ["score", "acme"]):
        result = cli(*args, "--root", root)
        assert result.exit_code == 1 and "Traceback" not in result.output, (args, result.output)
        assert "no response store in" in result.stderr and "`dsm-assess engagement init-store acme`" in result.stderr
        assert not store.exists()
    created = cli("engagement", "init-store", "acme", "--root", root)
    assert created.exit_code == 0 and "responses.sqlite, with no answers yet" in created.stdout
    again = cli("engagement", "init-store", "acme", "--root", root)
    assert again.exit_code == 0 and "already exists; nothing changed" in again.stdout
    assert cli("status", "acme", "--root", root).exit_code == 0


def test_a_store_path_that_is_a_folder_is_a_one_line_error(cli, acme, root):
    store = root / "acme" / "responses.sqlite"
    for leftover in root.glob("acme/responses.sqlite*"):
        leftover.unlink()
    store.mkdir()
    result = cli("status", "acme", "--root", root)
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "responses.sqlite is a folder, not a response store" in result.stderr


@pytest.mark.skipif(shutil.which("git") is None or not (PROJECT / ".git").exists(), reason="not a git checkout")
@pytest.mark.parametrize("path, ignored", [
    ("returned/acme-sam.xlsx", True), ("engagements/acme/returned/acme-sam.xlsx", True),
    ("notes/answers.csv", True), ("acme-report.docx", True), ("old/answers.xls", True),
    ("engagements/demo/outbox/demo-sam.xlsx", True), ("engagements/demo/inbox/20260126-abc-sam.xlsx", True),
    ("engagements/demo/responses.sqlite", True), ("engagements/demo-2025/responses.sqlite-wal", True),
    ("engagements/demo/returned/2026-01-26-sam.xlsx", False), ("engagements/demo-2025/returned/sam.xlsx", False),
    ("engagements/demo/engagement.yaml", False), ("engagements/demo-2025/sent.yaml", False),
    ("engagements/acme-2025/engagement.yaml", True), ("engagements/demo/answers.csv", True),
    ("reports/templates/report.docx", False),
    ("tests/fixtures/resaved.xlsx", False),
])
def test_client_files_stay_out_of_git_wherever_they_are_saved(path, ignored):
    checked = subprocess.run(["git", "check-ignore", "-q", "--no-index", path], cwd=PROJECT)
    assert (checked.returncode == 0) is ignored


def test_full_depth_subjects_are_asked_every_criterion_whatever_the_profile(fw, root):
    from dsm_assess.engagement.edit import new_engagement, save_engagement

    eng = new_engagement(fw, "deep", "Deep Ltd", "quick-scan", root=root)
    quick = set(eng.criteria_for(fw))
    eng.full_depth = ["PR.INC"]
    save_engagement(eng, root)
    deep = load_engagement("deep", root, fw)
    every_inc = {c.id for c in fw.criteria if c.subject == "PR.INC"}
    assert set(deep.criteria_for(fw)) == quick | every_inc and len(every_inc - quick) > 0
    assert deep.criteria_for(fw) == [c.id for c in fw.criteria if c.id in quick | every_inc]  # bank order


def test_a_full_depth_subject_outside_the_scope_is_named(fw, root):
    from dsm_assess.engagement.edit import new_engagement

    new_engagement(fw, "narrow", "Narrow Ltd", "quick-scan", root=root, scope=["PR.INC"])
    path = root / "narrow" / "engagement.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("full_depth: []", "full_depth: [PR.SDK]"),
                    encoding="utf-8")
    with pytest.raises(InvalidInput) as err:
        load_engagement("narrow", root, fw)
    problem = str(err.value.problems[0])
    assert "full_depth[0]" in problem and "not in the engagement's scope" in problem
