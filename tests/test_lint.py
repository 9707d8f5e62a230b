"""`bank lint`: the shipped bank passes, and each rule catches the problem it exists for."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml

from dsm_assess.framework.lint import lint_bank
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
    change(questionnaires, "PR.KM", lambda d: d.update(
        criteria=[c for c in d["criteria"] if not c["id"].startswith("PR.KM.L4.0") or c["id"] == "PR.KM.L4.01"]))
    msgs = found(questionnaires, "counts")
    assert any("PR.KM.yaml: PR.KM: 1 criteria at level 4; at least 2 are needed" in m for m in msgs), msgs
    # 10 criteria are left, which is enough in total: only the level is reported
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
    change(questionnaires, "PR.INC", lambda d: criterion(d, "PR.INC.L4.01").update(
        statement="Problem management performance is measured against agreed targets every month."))
    change(questionnaires, "PR.PRB", lambda d: criterion(d, "PR.PRB.L4.01").update(
        statement="Incident management performance is measured against agreed targets each month."))
    msgs = found(questionnaires, "near-duplicate")
    assert len(msgs) == 1 and "PR.PRB.L4.01" in msgs[0] and "PR.INC.L4.01" in msgs[0], msgs


@pytest.mark.parametrize("statement", ["Is every incident logged in one tool?",
                                       "Does the service desk log every incident in one tool."])
def test_statement_that_is_a_question(questionnaires, statement):
    change(questionnaires, "PR.INC", lambda d: criterion(d, "PR.INC.L2.01").update(statement=statement))
    assert any("PR.INC.L2.01: statement reads as a question" in m for m in found(questionnaires, "question"))


def test_statement_longer_than_200_characters(questionnaires):
    long = "Every incident is logged " + "with great care " * 12 + "in one tool."
    change(questionnaires, "PR.INC", lambda d: criterion(d, "PR.INC.L2.01").update(statement=long))
    msgs = found(questionnaires, "length")
    assert len(msgs) == 1 and f"PR.INC.L2.01: statement is {len(long)} characters; at most 200" in msgs[0], msgs


def test_retired_id_still_asked_does_not_load(questionnaires):
    def retire(d):
        d.setdefault("retired", []).append({"id": d["criteria"][0]["id"], "kind": "dropped", "since": "2.0.0",
                                            "reason": "No longer asked."})
    change(questionnaires, "PR.INC", retire)
    fw, problems = read_framework(questionnaires)
    first = yaml.safe_load(subject_file(questionnaires, "PR.INC").read_text())["criteria"][0]["id"]
    assert fw is None and any(f"{first!r} is retired but still asked" in str(p) for p in problems), problems


def first_statement(questionnaires, subject, statement, level=None):
    """Give the subject's first criterion (at `level`, if given) a new statement; returns its id."""
    data = yaml.safe_load(subject_file(questionnaires, subject).read_text())
    cid = next(c["id"] for c in data["criteria"] if level is None or f".L{level}." in c["id"])
    change(questionnaires, subject, lambda d: criterion(d, cid).update(statement=statement))
    return cid


@pytest.mark.parametrize("statement", [
    "Every incident is logged in one tool; each has a named owner.",
    "Every incident is logged in one tool and also reviewed weekly by the desk lead.",
    "Every incident is logged in one tool as well as being reviewed weekly.",
    "Every incident is logged in one tool, and each record has a named owner.",
    "Analysts must log every incident and must assign a named owner.",
])
def test_statement_holding_two_requirements(questionnaires, statement):
    cid = first_statement(questionnaires, "PR.INC", statement)
    assert any(f"{cid}: statement looks like two requirements" in m for m in found(questionnaires, "one-requirement"))


@pytest.mark.parametrize("statement", [
    "Each incident record holds the affected service, impact, urgency and a named owner.",
    "Analysts must log every incident in one tool, whichever channel it arrives through.",
])
def test_statement_naming_the_parts_of_one_requirement_passes(questionnaires, statement):
    cid = first_statement(questionnaires, "PR.INC", statement)
    assert not any(cid in m for m in found(questionnaires, "one-requirement"))


def test_level_5_statement_about_automation(questionnaires):
    cid = first_statement(questionnaires, "PR.INC", "Incident tickets are closed automatically by the tool.", level=5)
    assert any(f"{cid}: level 5 statement is about automation" in m for m in found(questionnaires, "ladder"))
    cid2 = first_statement(questionnaires, "PR.INC", "Incident tickets are routed automatically to resolvers.",
                           level=3)
    assert not any(cid2 in m for m in found(questionnaires, "ladder"))


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


def test_text_a_spreadsheet_would_evaluate(questionnaires):
    change(questionnaires, "PR.INC", lambda d: criterion(d, "PR.INC.L2.01").update(improve="=HYPERLINK(\"x\")"))
    assert any("PR.INC.L2.01" in m for m in found(questionnaires, "formula"))


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
    for old, new in (("criteria: [PR.RSK.L3.01, PR.RSK.L3.02, PR.RSK.L3.03, PR.RSK.L3.04]",
                      "criteria: [PR.RSK.L3.01, PR.RSK.L3.02, PR.RSK.L3.03]"),
                     ("criteria: [PR.RSK.L5.01, PR.RSK.L5.04]", "criteria: [PR.RSK.L3.04]"),
                     ("criteria: [PR.RSK.L4.01, PR.RSK.L4.02, PR.RSK.L4.03]",
                      "criteria: [PR.RSK.L4.01, PR.RSK.L4.02, PR.RSK.L4.03, PR.RSK.L5.01, PR.RSK.L5.04]")):
        assert old in text
        text = text.replace(old, new)
    path.write_text(text)  # IN.RSK.HORIZON now serves level 3.04 and waits on IN.RSK.KRI, levels 4 and 5
    msgs = found(questionnaires, "initiatives")
    assert len(msgs) == 1 and re.fullmatch(r"\S*initiatives/PR\.RSK\.yaml: IN\.RSK\.HORIZON: serves level 3 but "
                                           r"depends on IN\.RSK\.KRI, whose criteria are all at level 4 or above: .*",
                                           msgs[0]), msgs


def test_an_initiative_serving_levels_that_are_not_adjacent(questionnaires):
    path = questionnaires / "initiatives" / "PR.RSK.yaml"
    old = "criteria: [PR.RSK.L3.01, PR.RSK.L3.02, PR.RSK.L3.03, PR.RSK.L3.04]"
    assert old in path.read_text()
    path.write_text(path.read_text().replace(old, old[:-1] + ", PR.RSK.L5.01]"))
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
    assert msgs and all("retired since bank 2.0.0, but the bank is version 1.9.0" in m for m in msgs)


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
