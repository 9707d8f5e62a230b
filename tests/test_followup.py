"""The adaptive path: a screening, a follow-up decided from its answers, and scores that know how
deep each subject was asked (capture/followup.py, scoring/depth.py)."""

from __future__ import annotations

import json

import openpyxl
import pytest

from dsm_assess.capture.followup import DISAGREEMENT_STEPS, plan_follow_up
from dsm_assess.capture.intake import store_answers
from dsm_assess.capture.workbook import COL, FIRST_ROW
from dsm_assess.engagement.edit import add_respondent, new_engagement
from dsm_assess.engagement.spec import engagement_dir, load_engagement
from dsm_assess.scoring import rules
from dsm_assess.scoring.assessment import load_assessment
from dsm_assess.store.answers import Answer
from dsm_assess.store.sqlite import init_store, open_store

SAM, PAT = "sam@scr.example.com", "pat@scr.example.com"


@pytest.fixture
def scr(fw, root):
    """Engagement `scr` (screening) over five subjects: Sam answers two of them, Pat all five."""
    new_engagement(fw, "scr", "Screen Ltd", "screening", root=root,
                   scope=["PR.INC", "PR.CHG", "PR.SDK", "PR.PRB", "PR.SLM"])
    add_respondent(fw, "scr", "Sam Desk", SAM, "service desk lead", ["PR.INC", "PR.SDK"], root)
    add_respondent(fw, "scr", "Pat Ops", PAT, "operations manager", [], root)
    init_store(engagement_dir("scr", root), "scr")
    return load_engagement("scr", root, fw)


def screen(fw, root, who: str, ratings: dict[str, tuple[str, str]]) -> None:
    """`who` answers the screening: subject -> (level-2 rating, level-3 rating)."""
    picked = {(fw.get(i).subject, fw.get(i).level): i for i in fw.profiles["screening"]}
    answers = [Answer(who, picked[(s, lv)], r) for s, pair in ratings.items()
               for lv, r in zip((2, 3), pair, strict=True)]
    with open_store(engagement_dir("scr", root), "scr") as st:
        store_answers(st, fw, answers, source="test")


def plans(fw, eng, root):
    with open_store(engagement_dir("scr", root), "scr") as st:
        return {p.email: {s.subject: s for s in p.subjects} for p in plan_follow_up(fw, eng, st.current_answers(),
                                                                                     st.consensus())}


def test_follow_up_asks_deeper_only_where_the_screening_calls_for_it(fw, root, scr):
    screen(fw, root, PAT, {"PR.INC": ("F", "L"),   # level 3 largely achieved: levels 4 and 5
                           "PR.CHG": ("N", "P"),   # level 2 clearly not achieved: nothing more
                           "PR.SDK": ("DK", "P"),  # level 2 unknown: the rest of level 2
                           "PR.PRB": ("F", "P"),   # decided by the screening: nothing more
                           "PR.SLM": ("L", "F")})
    screen(fw, root, SAM, {"PR.INC": ("F", "F"), "PR.SDK": ("F", "N")})
    got = plans(fw, scr, root)
    inc = [c.id for c in fw.criteria if c.subject == "PR.INC" and c.level >= 4]
    assert got[PAT]["PR.INC"].new == inc and got[SAM]["PR.INC"].new == inc
    assert got[PAT]["PR.CHG"].new == [] and "level 2 not achieved" in got[PAT]["PR.CHG"].reasons[0]
    rest = [c.id for c in fw.criteria if c.subject == "PR.SDK" and c.level == 2
            and c.id not in fw.profiles["screening"]]
    assert got[PAT]["PR.SDK"].new == rest
    assert got[PAT]["PR.PRB"].new == [] and got[PAT]["PR.PRB"].reasons == ["level decided by the screening: "
                                                                           "nothing more to ask"]
    # Sam's level 3 of PR.SDK is N, Pat's P: one step apart is no disagreement; Sam's own F and N
    # at levels 2 and 3 are different levels, not a disagreement either
    assert got[SAM]["PR.SDK"].new == []


def test_a_disagreement_between_respondents_asks_the_rest_of_that_level_of_both(fw, root, scr):
    screen(fw, root, PAT, {"PR.INC": ("F", "N")})
    screen(fw, root, SAM, {"PR.INC": ("F", "L")})  # level 3: N against L, two steps apart
    got = plans(fw, scr, root)
    rest3 = [c.id for c in fw.criteria if c.subject == "PR.INC" and c.level == 3
             and c.id not in fw.profiles["screening"]]
    assert got[PAT]["PR.INC"].new == rest3
    assert got[SAM]["PR.INC"].new[:len(rest3)] == rest3  # and Sam, at L, also levels 4 and 5
    assert "level 3 answers disagree: the rest of level 3 asked" in got[SAM]["PR.INC"].reasons


def test_a_subject_in_full_depth_is_asked_in_full_already(fw, root, scr):
    from dsm_assess.engagement.edit import edit_engagement
    edit_engagement(fw, "scr", lambda d: d.update(full_depth=["PR.INC"]), action="test", root=root)
    eng = load_engagement("scr", root, fw)
    screen(fw, root, PAT, {"PR.INC": ("F", "F")})
    assert plans(fw, eng, root)[PAT]["PR.INC"].new == []
    asked = eng.criteria_for(fw, eng.respondent(PAT))
    assert set(c.id for c in fw.criteria if c.subject == "PR.INC") <= set(asked)


def test_cli_records_what_it_asks_and_writes_only_the_new_statements(cli, fw, root, scr):
    screen(fw, root, PAT, {"PR.INC": ("F", "L"), "PR.CHG": ("N", "N")})
    result = cli("questionnaire", "follow-up", "scr", "--root", root, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    pat = next(r for r in data["respondents"] if r["email"] == PAT)
    inc = [c.id for c in fw.criteria if c.subject == "PR.INC" and c.level >= 4]
    assert pat["statements"] == len(inc)
    by = {s["id"]: s for s in pat["subjects"]}
    assert by["PR.INC"]["criteria"] == inc and by["PR.SLM"]["reasons"] == ["screening not answered yet"]
    # kept in engagement.yaml: every later step reads the one asked set
    eng = load_engagement("scr", root, fw)
    assert eng.follow_up == {PAT: inc}
    assert set(inc) <= set(eng.criteria_for(fw, eng.respondent(PAT))) and not set(inc) & set(
        eng.criteria_for(fw, eng.respondent(SAM)))
    book = openpyxl.load_workbook(pat["workbook"])
    ids = [ws.cell(r, COL["id"]).value for ws in book.worksheets[1:] if ws.title == "PR.INC"
           for r in range(FIRST_ROW, ws.max_row + 1)
           if ws.cell(r, COL["id"]).value]
    assert ids == inc and [n for n in book.sheetnames[1:-1] if n != "Glossary"] == ["PR.INC"]
    assert pat["workbook"].endswith("-follow-up.xlsx")
    status = json.loads(cli("status", "scr", "--root", root, "--json").stdout)
    pat_status = next(r for r in status["respondents"] if r["email"] == PAT)
    assert pat_status["expected"] == 10 + len(inc)
    again = json.loads(cli("questionnaire", "follow-up", "scr", "--root", root, "--json").stdout)
    assert all(r["statements"] == 0 for r in again["respondents"])  # asked once, never twice


def test_follow_up_of_an_engagement_that_did_not_screen_is_one_clear_line(cli, acme, root):
    result = cli("questionnaire", "follow-up", "acme", "--root", root)
    assert result.exit_code == 1
    assert "uses the 'quick-scan' profile; a follow-up reads the answers of a screening" in result.stderr
    assert "Traceback" not in result.output


def test_a_screened_subject_is_marked_and_its_level_never_above_what_was_asked(cli, fw, root, scr):
    screen(fw, root, PAT, {"PR.INC": ("F", "F"), "PR.CHG": ("F", "F"), "PR.SDK": ("F", "P"),
                           "PR.PRB": ("N", "N"), "PR.SLM": ("F", "F")})
    screen(fw, root, SAM, {"PR.INC": ("F", "F"), "PR.SDK": ("F", "P")})
    s = load_assessment("scr", root, fw=fw).scores.subjects.set_index("id")
    assert s.loc["PR.CHG", "screened"] and s.loc["PR.CHG", "asked_to"] == 3 and s.loc["PR.CHG", "level"] == 3
    assert s.loc["PR.SDK", "level"] == 2 and s.loc["PR.PRB", "level"] == 1
    # follow-up asks PR.INC's levels 4 and 5; fully achieved there, the subject reaches level 5
    assert cli("questionnaire", "follow-up", "scr", "--root", root).exit_code == 0
    deep = [c.id for c in fw.criteria if c.subject == "PR.INC" and c.level >= 4]
    with open_store(engagement_dir("scr", root), "scr") as st:
        store_answers(st, fw, [Answer(w, cid, "F") for w in (PAT, SAM) for cid in deep], source="test")
    data = json.loads(cli("score", "scr", "--root", root, "--format", "json").stdout)
    by = {r["id"]: r for r in data["subjects"]}
    assert by["PR.INC"]["screened"] is False and by["PR.INC"]["asked_to"] == 5 and by["PR.INC"]["level"] == 5
    assert by["PR.SDK"]["screened"] is True and by["PR.SDK"]["level"] == 2
    # PR.CHG's levels 4 and 5 are asked now and not yet answered: no longer screened, and not
    # scored until enough of its follow-up is back (coverage below a half)
    assert by["PR.CHG"]["screened"] is False and by["PR.CHG"]["level"] is None
    table = cli("score", "scr", "--root", root).stdout
    assert "level 2 from a screening: levels above 3 not asked" in table


def test_follow_up_counts_a_disagreement_as_scoring_does():
    assert DISAGREEMENT_STEPS == rules.DISAGREEMENT_STEPS


def test_screening_follow_up_agenda_consensus_report_end_to_end(cli, fw, root, tmp_path):
    """The adaptive path as the README runs it: each step's files are the next step's input."""
    def ok(*args):
        result = cli(*args, "--root", root)
        assert result.exit_code == 0, result.output
        return result.stdout

    def fill(slug):
        """Respondents answer every statement of each workbook not yet returned: F, F, L, L, P, P, N, ..."""
        ratings = ["F - Fully achieved", "L - Largely achieved", "P - Partially achieved", "N - Not achieved"]
        returned = root / slug / "returned"
        returned.mkdir(exist_ok=True)
        for book in sorted((root / slug / "outbox").glob("*.xlsx")):
            if (returned / book.name).exists():
                continue
            wb = openpyxl.load_workbook(book)
            for ws in wb.worksheets[1:]:
                for i, r in enumerate(range(FIRST_ROW, ws.max_row + 1)):
                    if ws.cell(r, COL["id"]).value:
                        ws.cell(r, COL["rating"], ratings[min(i // 2, 3)])
            if "sam" in book.name and "PR.INC" in wb.sheetnames and not book.stem.endswith("follow-up"):
                wb["PR.INC"].cell(FIRST_ROW, COL["rating"], "N - Not achieved")  # Sam and Pat disagree
            wb.save(returned / book.name)

    ok("engagement", "new", "ad", "--client", "Adaptive Ltd", "--profile", "screening")
    ok("engagement", "add-respondent", "ad", "--name", "Sam Desk", "--email", SAM, "--role", "desk lead",
       "--subjects", "PR.INC,PR.SDK")
    ok("engagement", "add-respondent", "ad", "--name", "Pat Ops", "--email", PAT, "--role", "operations")
    ok("business-context", "set", "ad", "CAP.OPERATE=5", "CAP.INVEST=3", "CAP.COCREATE=4", "CAP.DEVELOP=2",
       "CAP.COMPLY=3")
    ok("questionnaire", "export", "ad")
    fill("ad")
    ok("questionnaire", "import", "ad")
    plan = json.loads(ok("questionnaire", "follow-up", "ad", "--json"))
    pat = next(r for r in plan["respondents"] if r["email"] == PAT)
    # every screening sheet comes back F, F: level 3 largely achieved, so levels 4 and 5 everywhere;
    # PR.INC's level 2 is disputed (Sam N, Pat F): its rest too
    inc = next(x for x in pat["subjects"] if x["id"] == "PR.INC")
    assert inc["reasons"][0] == "level 2 answers disagree: the rest of level 2 asked"
    assert pat["statements"] == sum(c.level >= 4 for c in fw.criteria) + inc["statements"] - sum(
        c.level >= 4 for c in fw.criteria if c.subject == "PR.INC")
    fill("ad")
    ok("questionnaire", "import", "ad")
    status = json.loads(ok("status", "ad", "--json"))
    assert all(r["outstanding"] == 0 for r in status["respondents"])
    agenda = json.loads(ok("workshop", "agenda", "ad", "--minutes", "90", "--format", "json"))
    first = agenda["items"][0]
    assert first["criterion"] == "PR.INC.L2.01" and "open disagreement" in first["kinds"]
    assert {a["rating"] for a in first["answers"]} == {"N", "F"}
    first = first["criterion"]
    ok("consensus", "set", "ad", first, "F", "--rationale", "Agreed in the workshop")
    after = json.loads(ok("workshop", "agenda", "ad", "--format", "json"))
    assert first not in {i["criterion"] for i in after["items"] if "open disagreement" in i["kinds"]}
    scores = json.loads(ok("score", "ad", "--format", "json"))
    assert not any(s["screened"] for s in scores["subjects"])  # every subject was asked to level 5
    report = ok("report", "ad", "--out-dir", tmp_path).strip()
    assert report.endswith("ad-full.docx")


def test_the_report_says_which_levels_come_from_a_screening(cli, fw, root, scr, tmp_path):
    from docx import Document

    from dsm_assess.engagement.edit import edit_engagement
    # a practice of each group, for the report's charts
    edit_engagement(fw, "scr", lambda d: d["scope"].extend(["PR.ARC", "PR.DEP"]), action="test", root=root)
    screen(fw, root, PAT, {"PR.INC": ("F", "F"), "PR.CHG": ("F", "P"), "PR.SDK": ("F", "P"),
                           "PR.PRB": ("N", "N"), "PR.SLM": ("F", "F")})
    result = cli("report", "scr", "--root", root, "--out-dir", tmp_path)
    assert result.exit_code == 0, result.output
    path = result.stdout.strip()
    text = "\n".join(p.text for p in Document(path).paragraphs)
    assert "7 of 7 subjects were scored on a screening alone" in text
    assert "Change enablement: level 2 from a screening: levels above 3 not asked" in text
