"""`bank lint`: the shipped bank passes, and each rule catches the problem it exists for."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from dsm_assess.framework.lint import check_criterion, lint_bank
from dsm_assess.framework.model import read_framework


def subject_file(questionnaires, subject):
    return questionnaires / "bank" / "subjects" / f"{subject}.yaml"


def change(questionnaires, subject, fn):
    """Load one subject file, let `fn` change its data, write it back."""
    path = subject_file(questionnaires, subject)
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True))


def criterion(data, cid):
    return next(c for c in data["criteria"] if c["id"] == cid)


def without_initiatives(questionnaires):
    """Drop the initiative library from a copy whose bank loses criteria the library refers to."""
    shutil.rmtree(questionnaires / "initiatives")


def found(questionnaires, rule):
    return [str(p) for p in lint_bank(questionnaires) if p.rule == rule]


def test_shipped_bank_has_no_problems():
    assert [str(p) for p in lint_bank()] == []


def test_too_few_criteria_at_a_level(questionnaires):
    without_initiatives(questionnaires)
    def one_at_level_4(d):  # retirements pointing at the removed criteria go with them
        gone = {c["id"] for c in d["criteria"] if c["id"].startswith("PR.KM.L4.") and c["id"] != "PR.KM.L4.02"}
        d.update(criteria=[c for c in d["criteria"] if c["id"] not in gone],
                 retired=[r for r in d["retired"] if not gone & set(r.get("replaced_by", []))])
    change(questionnaires, "PR.KM", one_at_level_4)
    msgs = found(questionnaires, "counts")
    assert any("PR.KM.yaml: PR.KM: 1 criteria at level 4; at least 2 are needed" in m for m in msgs), msgs
    # 14 criteria are left, which is enough in total: only the level is reported
    assert not any("criteria; at least 10 are needed" in m for m in msgs), msgs


def test_too_few_criteria_in_all(questionnaires):
    without_initiatives(questionnaires)
    def two_per_level(d):  # enough at every level, too few in all
        kept = {lv: [c for c in d["criteria"] if f".L{lv}." in c["id"]][:2] for lv in (2, 3, 4, 5)}
        d.update(criteria=[c for cs in kept.values() for c in cs], retired=[])
    change(questionnaires, "PR.KM", two_per_level)
    msgs = found(questionnaires, "counts")
    assert msgs == [m for m in msgs if "PR.KM" in m]
    assert any("PR.KM: 8 criteria; at least 10 are needed" in m for m in msgs), msgs
    assert not any("criteria at level" in m for m in msgs), msgs


def test_subject_without_a_file(questionnaires):
    without_initiatives(questionnaires)
    subject_file(questionnaires, "DSM.TOOLS").unlink()
    msgs = found(questionnaires, "coverage")
    assert any("DSM.TOOLS: subject Tools has no criteria" in m for m in msgs), msgs


def test_missing_required_field(questionnaires):
    change(questionnaires, "PR.INC", lambda d: criterion(d, "PR.INC.L3.02").pop("guidance"))
    msgs = found(questionnaires, "schema")
    assert any("PR.INC.yaml:" in m and "criteria[4].guidance: required field is missing" in m for m in msgs), msgs


def test_unknown_dimension_and_area(questionnaires):
    def breaks(d):
        criterion(d, "PR.INC.L2.01")["dimension"] = "DIM.MAGIC"
        criterion(d, "PR.INC.L2.02")["informs"] = ["DSM.NOWHERE"]
    change(questionnaires, "PR.INC", breaks)
    msgs = found(questionnaires, "schema")
    assert any("criteria[0].dimension: unknown dimension 'DIM.MAGIC'" in m for m in msgs), msgs
    assert any("criteria[1].informs[0]: unknown DSM area 'DSM.NOWHERE'" in m for m in msgs), msgs


def test_duplicate_statement(questionnaires):
    first = yaml.safe_load(subject_file(questionnaires, "PR.INC").read_text())["criteria"][0]
    other = yaml.safe_load(subject_file(questionnaires, "PR.PRB").read_text())["criteria"][0]["id"]
    change(questionnaires, "PR.PRB", lambda d: criterion(d, other).update(statement=first["statement"]))
    msgs = found(questionnaires, "duplicate")
    assert any(f"{other}: statement is the same as {first['id']}'s" in m for m in msgs), msgs


def test_near_duplicate_statement_with_another_practice_name(questionnaires):
    change(questionnaires, "PR.INC", lambda d: criterion(d, "PR.INC.L4.04").update(
        statement="Problem management performance is measured against agreed targets every month."))
    change(questionnaires, "PR.PRB", lambda d: criterion(d, "PR.PRB.L4.09").update(
        statement="Incident management performance is measured against agreed targets each month."))
    msgs = found(questionnaires, "near-duplicate")
    assert len(msgs) == 1 and "PR.PRB.L4.09" in msgs[0] and "PR.INC.L4.04" in msgs[0], msgs






def test_retired_id_still_asked_does_not_load(questionnaires):
    def retire(d):
        d.setdefault("retired", []).append({"id": d["criteria"][0]["id"], "kind": "dropped", "since": "2.0.0",
                                            "reason": "No longer asked."})
    change(questionnaires, "PR.INC", retire)
    fw, problems = read_framework(questionnaires)
    first = yaml.safe_load(subject_file(questionnaires, "PR.INC").read_text())["criteria"][0]["id"]
    assert fw is None and any(f"{first!r} is retired but still asked" in str(p) for p in problems), problems










def test_topic_without_criterion_and_criterion_without_topic(questionnaires):
    def edit_topics(d):
        d["topics"] = [*d.get("topics", []), {"id": "unasked", "name": "Something nobody asks"}]
        d["criteria"][0].pop("topic", None)
    change(questionnaires, "PR.INC", edit_topics)
    msgs = found(questionnaires, "topics")
    first = yaml.safe_load(subject_file(questionnaires, "PR.INC").read_text())["criteria"][0]["id"]
    assert any("PR.INC: topic 'unasked' (Something nobody asks) has no criterion" in m for m in msgs), msgs
    assert any(f"{first}: no topic" in m for m in msgs), msgs


def test_unknown_topic_does_not_load(questionnaires):
    change(questionnaires, "PR.INC", lambda d: d["criteria"][0].update(topic="no-such-topic"))
    fw, problems = read_framework(questionnaires)
    assert fw is None and any("unknown topic of PR.INC 'no-such-topic'" in str(p) for p in problems), problems


def test_subject_missing_a_dimension(questionnaires):
    def one_dimension(d):
        for c in d["criteria"]:
            c["dimension"] = "DIM.VALUE"
    change(questionnaires, "PR.INC", one_dimension)
    msgs = [m for m in found(questionnaires, "dimensions") if "PR.INC.yaml" in m]
    assert len(msgs) == 3 and all("PR.INC: no criterion about" in m for m in msgs), msgs
    assert not [m for m in found(questionnaires, "dimensions") if "PR.CHG.yaml" in m]


def test_spread_profile_asks_one_topic_twice(questionnaires):
    def same_topic(d):
        picked = [c for c in d["criteria"] if "quick-scan" in c.get("profiles", [])]
        picked[1]["topic"] = picked[0]["topic"]
    change(questionnaires, "PR.INC", same_topic)
    assert any("asks PR.INC's topic" in m for m in found(questionnaires, "profile"))


def test_spread_profile_leaves_out_a_dimension(questionnaires):
    for path in (questionnaires / "bank" / "subjects").glob("*.yaml"):
        change(questionnaires, path.stem, lambda d: [c.update(dimension="DIM.VALUE") for c in d["criteria"]
                                                     if "quick-scan" in c.get("profiles", []) and
                                                     c["dimension"] == "DIM.PARTNERS"])
    msgs = found(questionnaires, "profile")
    assert any("quick-scan: asks 0 criteria about" in m and "at least 21 of 164" in m for m in msgs), msgs




def test_profile_that_breaks_its_promises(questionnaires):
    without_initiatives(questionnaires)
    prof = questionnaires / "bank" / "profiles.yaml"
    prof.write_text(prof.read_text().replace("max_criteria: 164", "max_criteria: 150"))
    change(questionnaires, "PR.SD", lambda d: d.update(criteria=[
        {**c, "id": c["id"].replace(".L5.01", ".L5.04")} if c["id"] == "PR.SD.L5.01" else c for c in d["criteria"]]))
    msgs = found(questionnaires, "profile")
    assert any("quick-scan: selects 164 criteria; at most 150" in m for m in msgs), msgs
    assert not any("has no criterion of PR.SD" in m for m in msgs)  # first_per_level picks .02 instead


def test_profile_missing_levels(questionnaires):
    prof = questionnaires / "bank" / "profiles.yaml"
    prof.write_text(prof.read_text() + """  - id: tiny
    name: Tiny
    description: Too small to cover anything.
    criteria: [PR.INC.L2.01, PR.INC.L3.01]
    covers_every_level: true
""")
    msgs = found(questionnaires, "profile")
    assert any("tiny: has no criterion of PR.INC at level 4, 5" in m for m in msgs), msgs
    assert any("tiny: has no criterion of DSM.DATA at level 2, 3, 4, 5" in m for m in msgs), msgs


def test_screening_that_leaves_a_level_out_or_rests_it_on_a_condition(questionnaires):
    def untag(d):
        for c in d["criteria"]:
            if c["id"] == "PR.INC.L2.01":
                c["profiles"] = ["quick-scan"]
            if c["id"] == "PR.INC.L3.01":
                c["profiles"] = ["quick-scan"]
            if c["id"] == "PR.INC.L3.04":  # applies only where suppliers are involved
                c["profiles"] = ["screening"]
    change(questionnaires, "PR.INC", untag)
    msgs = found(questionnaires, "profile")
    assert any("screening: has no criterion of PR.INC at level 2" in m for m in msgs), msgs
    assert any("screening: decides PR.INC level 3 on conditional criteria alone (PR.INC.L3.04)" in m
               for m in msgs), msgs
    assert not any("PR.CHG" in m for m in msgs)


def test_a_profile_of_another_names_one_given_before_it_and_levels_go_with_of(questionnaires):
    from dsm_assess.framework.model import read_framework
    prof = questionnaires / "bank" / "profiles.yaml"
    prof.write_text(prof.read_text() + """  - id: deep
    name: Deep
    description: The quick scan's top two levels.
    of: quick-scan
    levels: [4, 5]
  - id: loose
    name: Loose
    description: Levels without a profile to choose from.
    all: true
    levels: [2]
  - id: early
    name: Early
    description: Names a profile given after it.
    of: later
  - id: later
    name: Later
    description: Every criterion.
    all: true
""")
    fw, problems = read_framework(questionnaires)
    assert [str(p) for p in problems if "later" in str(p)] and fw is None
    prof.write_text(prof.read_text().replace("    of: later\n", "    all: true\n"))
    fw, problems = read_framework(questionnaires)
    assert fw is not None, problems
    assert len(fw.profiles["deep"]) == 82 and {fw.get(i).level for i in fw.profiles["deep"]} == {4, 5}
    msgs = found(questionnaires, "profile")
    assert any("loose: levels chooses among another profile's criteria: give it with of" in m for m in msgs), msgs


def test_cli_lint_reports_and_exits_1(cli, questionnaires):
    change(questionnaires, "PR.INC", lambda d: criterion(d, "PR.INC.L2.01").update(statement="Is it logged?"))
    result = cli("bank", "lint", "--questionnaires", questionnaires)
    assert result.exit_code == 1
    assert "PR.INC.yaml: PR.INC.L2.01: statement reads as a question" in result.stdout
    result = cli("bank", "lint", "--json", "--questionnaires", questionnaires)
    data = json.loads(result.stdout)
    assert data["valid"] is False and data["problems"][0]["where"] == "PR.INC.L2.01"


def test_cli_lint_clean(cli):
    result = cli("bank", "lint")
    assert result.exit_code == 0
    assert "no problems" in result.stdout


def test_duplicate_subject_file(questionnaires):
    src = subject_file(questionnaires, "PR.INC")
    (src.parent / "PR.INC-copy.yaml").write_text(src.read_text())
    msgs = found(questionnaires, "schema")
    pattern = r"PR\.INC(-copy)?\.yaml:8: subject: subject 'PR\.INC' is also given by \S+PR\.INC(-copy)?\.yaml"
    assert any(re.search(pattern, m) for m in msgs), msgs


@pytest.mark.parametrize("old, new, message", [
    ("credit: 0.7", "credit: 0.2", "rising from N to F"),
    ("  - code: DK\n", "  - code: NA\n", "answer code DK must appear exactly once"),
])
def test_broken_answer_scale(questionnaires, old, new, message):
    meta = questionnaires / "bank" / "bank.yaml"
    meta.write_text(meta.read_text().replace(old, new))
    assert any(message in m for m in found(questionnaires, "schema"))


def test_shipped_initiatives_serve_every_criterion():
    assert [str(p) for p in lint_bank() if p.rule == "initiatives"] == []


def test_criterion_no_initiative_serves(questionnaires):
    path = questionnaires / "initiatives" / "PR.INC.yaml"
    path.write_text(path.read_text().replace("criteria: [PR.INC.L2.02, PR.INC.L2.03]", "criteria: [PR.INC.L2.02]"))
    msgs = found(questionnaires, "initiatives")
    assert len(msgs) == 1 and re.fullmatch(r"\S*initiatives/PR\.INC\.yaml: PR\.INC\.L2\.03: no initiative serves "
                                           r"this criterion; .*", msgs[0]), msgs


def test_an_initiative_that_waits_on_work_for_a_higher_level(questionnaires):
    path = questionnaires / "initiatives" / "PR.RSK.yaml"
    text = path.read_text()
    for old, new in (("criteria: [PR.RSK.L3.01, PR.RSK.L3.02, PR.RSK.L3.04, PR.RSK.L3.05, PR.RSK.L3.06]",
                      "criteria: [PR.RSK.L3.01, PR.RSK.L3.02, PR.RSK.L3.05, PR.RSK.L3.06]"),
                     ("criteria: [PR.RSK.L5.05, PR.RSK.L5.06]", "criteria: [PR.RSK.L3.04]"),
                     ("criteria: [PR.RSK.L4.01, PR.RSK.L4.04, PR.RSK.L4.05]",
                      "criteria: [PR.RSK.L4.01, PR.RSK.L4.04, PR.RSK.L4.05, PR.RSK.L5.05, PR.RSK.L5.06]")):
        assert old in text
        text = text.replace(old, new)
    path.write_text(text)  # IN.RSK.HORIZON now serves level 3.04 and waits on IN.RSK.KRI, levels 4 and 5
    msgs = found(questionnaires, "initiatives")
    assert len(msgs) == 1 and re.fullmatch(r"\S*initiatives/PR\.RSK\.yaml: IN\.RSK\.HORIZON: serves level 3 but "
                                           r"depends on IN\.RSK\.KRI, whose criteria are all at level 4 or above: .*",
                                           msgs[0]), msgs


def test_an_initiative_serving_levels_that_are_not_adjacent(questionnaires):
    path = questionnaires / "initiatives" / "PR.RSK.yaml"
    old = "criteria: [PR.RSK.L3.01, PR.RSK.L3.02, PR.RSK.L3.04, PR.RSK.L3.05, PR.RSK.L3.06]"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, old[:-1] + ", PR.RSK.L5.05]"))
    msgs = found(questionnaires, "initiatives")
    assert len(msgs) == 1 and re.fullmatch(r"\S*initiatives/PR\.RSK\.yaml: IN\.RSK\.APPETITE: serves levels 3, 5: "
                                           r"an initiative serves one level or two adjacent ones; move the level 5 "
                                           r"criteria to .*", msgs[0]), msgs


def test_no_initiative_library_at_all(questionnaires):
    without_initiatives(questionnaires)
    msgs = found(questionnaires, "initiatives")
    assert len(msgs) == 1 and "no initiative library" in msgs[0], msgs


def test_a_retirement_newer_than_the_bank_version(questionnaires):
    meta = questionnaires / "bank" / "bank.yaml"
    meta.write_text(re.sub(r'version: "[^"]+"', 'version: "1.9.0"', meta.read_text()))
    msgs = found(questionnaires, "retired")
    assert msgs and all(re.search(r"retired since bank 2\.[01]\.0, but the bank is version 1\.9\.0", m) for m in msgs)


def test_unknown_capability_family_does_not_load(questionnaires):
    change(questionnaires, "PR.INC", lambda d: d["criteria"][0].update(capability="telepathy"))
    fw, problems = read_framework(questionnaires)
    assert fw is None
    assert [(p.file.endswith("PR.INC.yaml"), p.where, p.message) for p in problems] == [
        (True, "criteria[0].capability", "unknown capability family 'telepathy'")]
    assert problems[0].line


# The rules a criterion keeps on its own: checked on one criterion of the shipped bank given new
# texts, without reading and linting a whole copy of the bank each time.

def broken(fw, level=2, **fields) -> list[str]:
    """'rule: message' for every rule the first PR.INC criterion at `level` breaks once `fields`
    replace its own."""
    c = next(c for c in fw.criteria if c.subject == "PR.INC" and c.level == level)
    return [f"{rule}: {message}" for rule, message in check_criterion(fw, c.model_copy(update=fields))]


def says(fw, text, level=2, **fields) -> bool:
    return any(text in m for m in broken(fw, level, **fields))


@pytest.mark.parametrize("statement", ["Is every incident logged in one tool?",
                                       "Does the service desk log every incident in one tool."])
def test_statement_that_is_a_question(fw, statement):
    assert says(fw, "question: statement reads as a question", statement=statement)


def test_statement_longer_than_200_characters(fw):
    long = "Every incident is logged " + "with great care " * 12 + "in one tool."
    assert says(fw, f"length: statement is {len(long)} characters; at most 200", statement=long)


def test_text_a_spreadsheet_would_evaluate(fw):
    assert says(fw, "formula: text starts with = + - or @", improve="=HYPERLINK(\"x\")")


@pytest.mark.parametrize(("statement", "two"), [
    ("Every incident is logged in one tool; each has a named owner.", True),
    ("Every incident is logged in one tool and also reviewed weekly by the desk lead.", True),
    ("Every incident is logged in one tool as well as being reviewed weekly.", True),
    ("Every incident is logged in one tool, and each record has a named owner.", True),
    ("Analysts must log every incident and must assign a named owner.", True),
    ("Every incident is logged in one tool and each major incident is reviewed within a week.", True),
    ("Changes are assessed for risk, with emergency changes reviewed by the board afterwards.", True),
    ("Each incident record holds the affected service, impact, urgency and a named owner.", False),
    ("Analysts must log every incident in one tool, whichever channel it arrives through.", False),
    ("Every reported metric has a written definition that all teams use.", False),
    ("Each record holds the affected service and the urgency a user gave.", False),
])
def test_statement_holding_two_requirements(fw, statement, two):
    found_two = [m for m in broken(fw, statement=statement, guidance="Records are complete.")
                 if m.startswith("one-requirement: statement")]
    assert bool(found_two) is two, found_two


def test_level_5_effect_clause_is_part_of_its_one_requirement(fw):
    assert [m for m in broken(fw, 5, capability="improvement-from-data", guidance="Reviews are held.", statement=(
        "Incident handling is changed from trend analysis of reassignments, with the effect on restoration time "
        "measured."))] == []


@pytest.mark.parametrize("statement", [
    "Incident practices are compared with peers every year.",            # no measured effect
    "Swarming is used for complex incidents, with the effect measured.",  # no data the change came from
])
def test_level_5_without_data_or_a_measured_effect(fw, statement):
    assert says(fw, "ladder: level 5 statement must name the data", 5, statement=statement)


def test_level_5_statement_about_automation(fw):
    closed = "Incident tickets are closed automatically by the tool."
    assert says(fw, "ladder: level 5 statement is about automation", 5, statement=closed)
    assert not says(fw, "ladder", 3, statement=closed)
    # the one automation level 5 asks for: the next step chosen from the practice's own data
    chosen = ("The next incident step to automate is chosen from volume and handling-time data, with the time "
              "saved measured.")
    assert says(fw, "ladder: level 5 statement is about automation", 5, statement=chosen, capability="records")
    assert not says(fw, "ladder", 5, statement=chosen, capability="automation-choice")


@pytest.mark.parametrize(("statement", "ok"), [
    ("Mean time to restore is reported monthly per service.", False),                    # no target
    ("Mean time to restore is reported monthly against a target.", False),               # nobody agreed it
    ("Mean time to restore is reported monthly against targets agreed with each service owner.", True),
    ("Open incidents near the limit set by the incident manager are flagged before they breach.", True),
])
def test_level_4_names_a_target_and_who_agreed_it(fw, statement, ok):
    assert says(fw, "ladder: level 4 statement must name a target", 4, statement=statement) is not ok


def test_guidance_that_adds_a_requirement(fw):
    assert says(fw, "one-requirement: guidance says 'must', 'should' or 'in addition'",
                guidance="Records are complete. In addition, the desk must review them weekly.")


def test_text_that_speaks_of_the_client(fw):
    assert says(fw, "voice: text speaks of 'the client'", improve="Ask the client's desk lead to route side channels.")


def test_capability_family_missing_or_at_another_level(fw):
    assert says(fw, "capability: no capability family", capability=None)
    assert says(fw, "capability: capability 'delegation' belongs at level 5, but this criterion is at level 3", 3,
                capability="delegation")
    assert not says(fw, "capability", 3, capability="delegation", capability_reason="Delegation here is one written "
                    "rule for every team, not widened on a record.")
    assert not says(fw, "capability", 3, capability="one-way")


def test_the_whole_bank_lint_applies_the_criterion_rules(questionnaires):
    change(questionnaires, "PR.INC", lambda d: d["criteria"][0].update(statement="Is every incident logged?"))
    first = yaml.safe_load(subject_file(questionnaires, "PR.INC").read_text())["criteria"][0]["id"]
    assert any(f"PR.INC.yaml: {first}: statement reads as a question" in m for m in found(questionnaires, "question"))


# ---- an initiative serving several subjects (a small library of its own on the 1.x bank) -------

def shared_library(tmp_path, initiatives: str, subject: str = "PR.INC"):
    """The kit's framework, the 1.x bank fixture and an initiative library of one file, `subject`'s."""
    from .conftest import KIT_QUESTIONNAIRES

    root = tmp_path / "q"
    shutil.copytree(KIT_QUESTIONNAIRES / "framework", root / "framework")
    shutil.copytree(Path(__file__).parent / "fixtures" / "bank-1.0" / "bank", root / "bank")
    (root / "initiatives").mkdir()
    shutil.copy(KIT_QUESTIONNAIRES / "initiatives" / "library.yaml", root / "initiatives")
    (root / "initiatives" / f"{subject}.yaml").write_text(f"subject: {subject}\ninitiatives:\n{initiatives}")
    return root


def one(iid: str, criteria: str) -> str:
    return (f"  - {{id: {iid}, title: Shared work, description: For the tests., criteria: [{criteria}], "
            "effort: 6, duration: 12, type: foundation, owner: tester}\n")


def about(root, iid: str) -> list[str]:
    return [str(p) for p in lint_bank(root) if p.where == iid]


def test_an_initiative_may_serve_criteria_of_several_subjects(tmp_path):
    from dsm_assess.framework.model import describe

    root = shared_library(tmp_path, one("IN.T.PORTAL", "PR.INC.L2.01, PR.PRB.L2.01, PR.PRB.L3.01"))
    fw, problems = read_framework(root)
    assert problems == []
    assert fw.initiative_home == {"IN.T.PORTAL": "PR.INC"} and fw.get("IN.T.PORTAL").subjects == ("PR.INC", "PR.PRB")
    assert describe(fw, "IN.T.PORTAL")["serves"] == {"PR.INC": [2], "PR.PRB": [2, 3]}
    assert "IN.T.PORTAL" in describe(fw, "PR.PRB")["initiatives"]   # listed under every subject it serves
    assert about(root, "IN.T.PORTAL") == []


def test_levels_an_initiative_serves_are_counted_across_its_subjects(tmp_path):
    root = shared_library(tmp_path, one("IN.T.PORTAL", "PR.INC.L2.01, PR.PRB.L4.01"))
    msgs = about(root, "IN.T.PORTAL")
    assert len(msgs) == 1 and re.fullmatch(r"\S*initiatives/PR\.INC\.yaml: IN\.T\.PORTAL: serves levels 2, 4 "
                                           r"\(PR\.INC 2; PR\.PRB 4\): an initiative serves one level or two adjacent "
                                           r"ones; .*", msgs[0]), msgs


def test_an_initiative_written_in_a_subject_file_it_does_not_serve(tmp_path):
    root = shared_library(tmp_path, one("IN.T.AWAY", "PR.PRB.L2.01, PR.SLM.L2.01"), subject="PR.INC")
    msgs = about(root, "IN.T.AWAY")
    assert msgs == [f"{msgs[0].split(':')[0]}: IN.T.AWAY: is written in PR.INC.yaml but serves only PR.PRB, PR.SLM: "
                    "move it to the file of a subject it serves"], msgs
    assert msgs[0].split(":")[0].endswith("initiatives/PR.INC.yaml")
