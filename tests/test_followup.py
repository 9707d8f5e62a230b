"""The adaptive path: a screening, a follow-up decided from its answers, and scores that know how
deep each subject was asked (capture/followup.py, scoring/depth.py)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from types import SimpleNamespace

import openpyxl
import pandas as pd
import pytest

from dsm_assess.capture.followup import (
    CLIMB,
    DECIDED,
    NA,
    NO_DATA,
    NOT_ANSWERED,
    NOT_REACHED,
    PENDING,
    REST,
    TOP,
    WAITING,
    climb,
    plan_follow_up,
    reading,
)
from dsm_assess.capture.intake import store_answers
from dsm_assess.capture.workbook import COL, FIRST_ROW
from dsm_assess.engagement.edit import add_respondent, new_engagement
from dsm_assess.engagement.spec import engagement_dir, load_engagement
from dsm_assess.scoring import rules
from dsm_assess.scoring.assessment import load_assessment
from dsm_assess.store.answers import Answer
from dsm_assess.store.sqlite import init_store, open_store

from .conftest import PAT as ACME_PAT
from .conftest import SAM as ACME_SAM
from .test_readme import fill_returned

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


def ids(fw, subject: str, level: int, *, but: tuple[str, ...] = ()) -> list[str]:
    """A subject's criteria of one level in bank order, less those given."""
    return [c.id for c in fw.criteria if c.subject == subject and c.level == level and c.id not in but]


def first(fw, subject: str, level: int) -> str:
    return next(i for i in fw.profiles["screening"] if i.startswith(f"{subject}.L{level}."))


def answer(fw, root, answers: list[Answer]) -> None:
    with open_store(engagement_dir("scr", root), "scr") as st:
        store_answers(st, fw, answers, source="test")


# ---- the rules, on hand-made levels: a2, b2, c2 at level 2, a3, b3 at level 3, a4 at level 4 ----
LEVELS = {2: [SimpleNamespace(id=i) for i in ("a2", "b2", "c2")], 3: [SimpleNamespace(id=i) for i in ("a3", "b3")],
          4: [SimpleNamespace(id="a4")]}
S = {"N": 0, "P": 1, "L": 2, "F": 3}


def step(asked: dict[str, str | None], confirm: int | None = None):
    """climb() on answers given as codes: N/P/L/F, NA, DK (no data), or None (asked, nobody answered)."""
    read = {k: PENDING if v is None else NA if v == "NA" else None if v == "DK" else S[v] for k, v in asked.items()}
    return climb(LEVELS, set(asked), read, confirm)


def test_a_level_below_largely_settles_the_subject_on_one_statement():
    assert step({"a2": "P"}) == (NOT_REACHED.format(lv=2), [], True)
    assert step({"a2": "N", "a3": "F"}) == (NOT_REACHED.format(lv=2), [], True)  # level 3 cannot count


def test_a_level_at_least_largely_achieved_so_far_asks_the_rest_of_it():
    assert step({"a2": "L"}) == (REST.format(lv=2), ["b2", "c2"], False)
    # a screening's level-3 answer waits until level 2 is settled, whatever it is
    assert step({"a2": "F", "a3": "N"}) == (REST.format(lv=2), ["b2", "c2"], False)
    assert step({"a2": "DK"})[1] == ["b2", "c2"]   # unknown: the rest of the level may settle it
    assert step({"a2": "NA"})[1] == ["b2", "c2"]   # agreed not to apply: the rest still applies


def test_a_level_reached_but_not_fully_achieved_asks_nothing_above_it():
    assert step({"a2": "F", "b2": "L", "c2": "F"}) == (DECIDED.format(lv=2), [], True)
    assert step({"a2": "F", "b2": "F", "c2": "F", "a3": "L", "b3": "F"}) == (DECIDED.format(lv=3), [], True)


def test_every_criterion_fully_achieved_climbs_to_the_next_level_whole():
    assert step({"a2": "F", "b2": "F", "c2": "F"}) == (CLIMB.format(lv=3), ["a3", "b3"], False)
    assert step({"a2": "F", "b2": "NA", "c2": "F", "a3": "F", "b3": "F"}) == (CLIMB.format(lv=4), ["a4"], False)
    assert step({"a2": "F", "b2": "F", "c2": "F", "a3": "F", "b3": "F", "a4": "L"}) == (TOP, [], True)


def test_a_statement_nobody_answered_yet_waits_unless_another_already_settles_the_level():
    assert step({"a2": "F", "b2": "F", "c2": None}) == (WAITING.format(lv=2), [], False)
    assert step({"a2": "F", "b2": "N", "c2": None}) == (NOT_REACHED.format(lv=2), [], True)


def test_a_level_whose_every_statement_is_asked_and_one_has_no_rating_goes_to_the_workshop():
    assert step({"a2": "F", "b2": "DK", "c2": "F"}) == (NO_DATA.format(lv=2), [], True)


def test_confirm_takes_a_level_as_reached_after_its_first_n_criteria():
    assert step({"a2": "L"}, confirm=2) == (REST.format(lv=2), ["b2"], False)
    assert step({"a2": "F", "b2": "F"}, confirm=2) == (CLIMB.format(lv=3), ["a3", "b3"], False)
    assert step({"a2": "L", "b2": "F"}, confirm=2) == (DECIDED.format(lv=2), [], True)


def test_a_criterion_is_read_as_scoring_reads_it():
    assert reading(["L", "F"]) == 2 and reading(["N", "L", "F"]) == 2 and reading(["P", "P", "F", "F"]) == 1
    assert reading(["NA", "P"]) == 1 and reading(["NA", "NA"]) == NA and reading(["NA", "DK"]) is None
    assert reading(["DK"]) is None
    assert reading(["N", "F"], consensus="L") == 2 and reading(["F"], consensus="NA") == NA
    assert reading(["F"], consensus="DK") is None


def test_the_reading_equals_scorings_aggregate_on_every_pattern_of_two_answers(fw, acme, root):
    codes = ["N", "P", "L", "F", "NA", "DK"]
    crit = acme.criteria_for(fw)
    patterns = list(itertools.product(codes, repeat=2))
    answers = [Answer(who, cid, r) for cid, pair in zip(crit, patterns, strict=False)
               for who, r in zip((ACME_SAM, ACME_PAT), pair, strict=True)]
    frame = pd.DataFrame([(a.respondent, a.criterion_id, a.rating) for a in answers],
                         columns=["respondent", "criterion_id", "rating"])
    table = rules.score_engagement(fw, acme, frame.assign(confidence=pd.NA, has_evidence=False),
                                   pd.DataFrame({"criterion_id": [], "rating": []})).criteria.set_index("id")
    for cid, pair in zip(crit, patterns, strict=False):
        row = table.loc[cid]
        want = NA if row["status"] == rules.NA else S.get(str(row["rating"]))
        assert reading(list(pair)) == want, (pair, want)


# ---- the rules on an engagement: everyone of a subject is asked the same ----

def test_both_respondents_of_a_subject_get_the_rest_of_a_level_their_answers_leave_open(fw, root, scr):
    screen(fw, root, PAT, {"PR.INC": ("F", "N"),   # level 2 open: the rest of it, for Pat and Sam
                           "PR.CHG": ("P", "F"),   # level 2 not reached: nothing more
                           "PR.SDK": ("F", "F"),
                           "PR.PRB": ("DK", "P"),  # level 2 unknown: the rest of it
                           "PR.SLM": ("L", "F")})
    screen(fw, root, SAM, {"PR.INC": ("L", "L"), "PR.SDK": ("P", "F")})  # PR.SDK: F and P read as P
    got = plans(fw, scr, root)
    rest = ids(fw, "PR.INC", 2, but=(first(fw, "PR.INC", 2),))
    assert got[PAT]["PR.INC"].new == rest and got[SAM]["PR.INC"].new == rest
    assert got[PAT]["PR.INC"].reasons == [REST.format(lv=2)]
    assert got[PAT]["PR.CHG"].new == [] and got[PAT]["PR.CHG"].settled
    assert got[PAT]["PR.CHG"].reasons == [NOT_REACHED.format(lv=2)]
    assert got[PAT]["PR.SDK"].new == [] and got[SAM]["PR.SDK"].new == []  # a split vote never rounds up
    assert got[PAT]["PR.PRB"].new == ids(fw, "PR.PRB", 2, but=(first(fw, "PR.PRB", 2),))


def test_a_consensus_reads_before_the_answers(fw, root, scr):
    screen(fw, root, PAT, {"PR.SDK": ("F", "F")})
    screen(fw, root, SAM, {"PR.SDK": ("P", "F")})
    with open_store(engagement_dir("scr", root), "scr") as st:
        st.set_consensus(first(fw, "PR.SDK", 2), "F", "Agreed in the workshop")
    assert plans(fw, scr, root)[PAT]["PR.SDK"].new == ids(fw, "PR.SDK", 2, but=(first(fw, "PR.SDK", 2),))


def test_a_respondent_who_answers_later_catches_up_while_the_subject_is_open(fw, root, scr):
    from dsm_assess.capture.followup import record_follow_up
    screen(fw, root, PAT, {"PR.INC": ("F", "F")})
    got = plans(fw, scr, root)
    assert got[SAM]["PR.INC"].reasons == [NOT_ANSWERED] and got[SAM]["PR.INC"].new == []
    with open_store(engagement_dir("scr", root), "scr") as st:
        record_follow_up("scr", root, plan_follow_up(fw, scr, st.current_answers(), st.consensus()), fw)
    eng = load_engagement("scr", root, fw)
    screen(fw, root, SAM, {"PR.INC": ("F", "F")})
    rest = ids(fw, "PR.INC", 2, but=(first(fw, "PR.INC", 2),))
    got = plans(fw, eng, root)
    assert got[SAM]["PR.INC"].new == rest and got[PAT]["PR.INC"].new == []  # Pat's answers are awaited
    assert got[PAT]["PR.INC"].reasons == [WAITING.format(lv=2)]
    screen(fw, root, SAM, {"PR.SDK": ("N", "N")})
    answer(fw, root, [Answer(PAT, rest[0], "N")])  # now settled: Sam is asked nothing more
    got = plans(fw, eng, root)
    assert got[SAM]["PR.INC"].new == [] and got[SAM]["PR.INC"].settled


def test_a_subject_in_full_depth_is_asked_in_full_already(fw, root, scr):
    from dsm_assess.engagement.edit import edit_engagement
    edit_engagement(fw, "scr", lambda d: d.update(full_depth=["PR.INC"]), action="test", root=root)
    eng = load_engagement("scr", root, fw)
    screen(fw, root, PAT, {"PR.INC": ("F", "F")})
    assert plans(fw, eng, root)[PAT]["PR.INC"].new == []
    asked = eng.criteria_for(fw, eng.respondent(PAT))
    assert set(c.id for c in fw.criteria if c.subject == "PR.INC") <= set(asked)


def test_stepwise_asks_level_2_first_and_climbs_a_level_at_a_time(cli, fw, root):
    new_engagement(fw, "stp", "Step Ltd", "stepwise", root=root, scope=["PR.INC", "PR.CHG"])
    add_respondent(fw, "stp", "Pat Ops", PAT, "operations manager", [], root)
    init_store(engagement_dir("stp", root), "stp")
    eng = load_engagement("stp", root, fw)
    assert eng.criteria_for(fw) == [first(fw, "PR.CHG", 2), first(fw, "PR.INC", 2)]

    def run(ratings: dict[str, str]) -> dict:
        with open_store(engagement_dir("stp", root), "stp") as st:
            store_answers(st, fw, [Answer(PAT, cid, r) for cid, r in ratings.items()], source="test")
        result = cli("questionnaire", "follow-up", "stp", "--root", root, "--json")
        assert result.exit_code == 0, result.output
        return {s["id"]: s for s in json.loads(result.stdout)["respondents"][0]["subjects"]}

    got = run({first(fw, "PR.INC", 2): "F", first(fw, "PR.CHG", 2): "P"})
    rest = ids(fw, "PR.INC", 2, but=(first(fw, "PR.INC", 2),))
    assert got["PR.INC"]["criteria"] == rest and not got["PR.INC"]["settled"]
    assert got["PR.CHG"]["criteria"] == [] and got["PR.CHG"]["settled"]
    got = run({cid: "F" for cid in rest})
    assert got["PR.INC"]["criteria"] == ids(fw, "PR.INC", 3)  # level 3 whole: none of it was asked
    assert got["PR.INC"]["reasons"] == [CLIMB.format(lv=3)]


def test_cli_records_what_it_asks_and_writes_only_the_new_statements(cli, fw, root, scr):
    screen(fw, root, PAT, {"PR.INC": ("F", "L"), "PR.CHG": ("N", "N")})
    result = cli("questionnaire", "follow-up", "scr", "--root", root, "--json")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    pat = next(r for r in data["respondents"] if r["email"] == PAT)
    rest = ids(fw, "PR.INC", 2, but=(first(fw, "PR.INC", 2),))
    assert pat["statements"] == len(rest)
    by = {s["id"]: s for s in pat["subjects"]}
    assert by["PR.INC"]["criteria"] == rest and by["PR.SLM"]["reasons"] == [NOT_ANSWERED]
    assert by["PR.CHG"]["settled"] and not by["PR.INC"]["settled"]
    # kept in engagement.yaml: every later step reads the one asked set
    eng = load_engagement("scr", root, fw)
    assert eng.follow_up == {PAT: rest}
    assert set(rest) <= set(eng.criteria_for(fw, eng.respondent(PAT))) and not set(rest) & set(
        eng.criteria_for(fw, eng.respondent(SAM)))
    book = openpyxl.load_workbook(pat["workbook"])
    asked = [ws.cell(r, COL["id"]).value for ws in book.worksheets[1:] if ws.title == "PR.INC"
             for r in range(FIRST_ROW, ws.max_row + 1) if ws.cell(r, COL["id"]).value]
    assert asked == rest and [n for n in book.sheetnames[1:-1] if n != "Glossary"] == ["PR.INC"]
    assert pat["workbook"].endswith("-follow-up.xlsx")
    status = json.loads(cli("status", "scr", "--root", root, "--json").stdout)
    pat_status = next(r for r in status["respondents"] if r["email"] == PAT)
    assert pat_status["expected"] == 10 + len(rest)
    again = json.loads(cli("questionnaire", "follow-up", "scr", "--root", root, "--json").stdout)
    assert all(r["statements"] == 0 for r in again["respondents"])  # asked once, never twice
    # the next round, once they are answered: level 3 whole, in a workbook beside the first
    answer(fw, root, [Answer(PAT, cid, "F") for cid in rest] + [Answer(PAT, first(fw, "PR.INC", 2), "F")])
    later = json.loads(cli("questionnaire", "follow-up", "scr", "--root", root, "--json").stdout)
    pat = next(r for r in later["respondents"] if r["email"] == PAT)
    assert pat["statements"] == len(ids(fw, "PR.INC", 3, but=(first(fw, "PR.INC", 3),)))
    assert pat["workbook"].endswith("-follow-up-2.xlsx") and Path(pat["workbook"]).is_file()
    assert (Path(pat["workbook"]).parent / Path(pat["workbook"]).name.replace("-2.xlsx", ".xlsx")).is_file()


def test_follow_up_of_an_engagement_without_a_first_round_is_one_clear_line(cli, acme, root):
    result = cli("questionnaire", "follow-up", "acme", "--root", root)
    assert result.exit_code == 1
    assert ("uses the 'quick-scan' profile; a follow-up builds on the answers of a first round "
            "(screening or stepwise profile)") in result.stderr
    assert "Traceback" not in result.output


def test_a_screened_subject_is_marked_and_its_level_never_above_what_was_asked(cli, fw, root, scr):
    screen(fw, root, PAT, {"PR.INC": ("F", "F"), "PR.CHG": ("F", "F"), "PR.SDK": ("F", "P"),
                           "PR.PRB": ("N", "N"), "PR.SLM": ("F", "F")})
    screen(fw, root, SAM, {"PR.INC": ("F", "F"), "PR.SDK": ("F", "P")})
    s = load_assessment("scr", root, fw=fw).scores.subjects.set_index("id")
    assert s.loc["PR.CHG", "screened"] and s.loc["PR.CHG", "asked_to"] == 3 and s.loc["PR.CHG", "level"] == 3
    assert s.loc["PR.SDK", "level"] == 2 and s.loc["PR.PRB", "level"] == 1
    # PR.INC climbs round by round: all of level 2 and level 3 fully achieved, then levels 4 and 5
    for _ in range(4):
        assert cli("questionnaire", "follow-up", "scr", "--root", root).exit_code == 0
        eng = load_engagement("scr", root, fw)
        with open_store(engagement_dir("scr", root), "scr") as st:
            store_answers(st, fw, [Answer(w, cid, "F") for w in (PAT, SAM) for cid in eng.criteria_for(fw)
                                   if cid.startswith("PR.INC.") and w in {r.email for r in eng.respondents
                                                                          if "PR.INC" in eng.subjects_of(r)}],
                          source="test")
    data = json.loads(cli("score", "scr", "--root", root, "--format", "json").stdout)
    by = {r["id"]: r for r in data["subjects"]}
    assert by["PR.INC"]["screened"] is False and by["PR.INC"]["asked_to"] == 5 and by["PR.INC"]["level"] == 5
    assert by["PR.PRB"]["screened"] is True and by["PR.PRB"]["level"] == 1  # settled on level 2's N
    # PR.SDK's level 2 (F, F) waits for the rest of it: not scored until enough of it is back
    assert by["PR.SDK"]["screened"] is True and by["PR.SDK"]["level"] is None
    table = cli("score", "scr", "--root", root).stdout
    assert "level 1 from a screening: levels above 3 not asked" in table


def test_screening_follow_up_agenda_consensus_report_end_to_end(cli, fw, root, tmp_path):
    """The adaptive path as the README runs it: each step's files are the next step's input."""
    def ok(*args):
        result = cli(*args, "--root", root)
        assert result.exit_code == 0, result.output
        return result.stdout

    def disagree(book, wb):
        if "sam" in book.name and "PR.INC" in wb.sheetnames and "follow-up" not in book.stem:
            wb["PR.INC"].cell(FIRST_ROW, COL["rating"], "N - Not achieved")  # Sam and Pat disagree

    def fill(slug):
        fill_returned(root / slug, evidence=False, edit=disagree)

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
    by = {x["id"]: x for x in pat["subjects"]}
    # every screening sheet comes back F, F: the rest of level 2 everywhere, except PR.INC, whose
    # level-2 statement reads N (Sam N, Pat F: a split vote never rounds up)
    assert by["PR.INC"]["reasons"] == [NOT_REACHED.format(lv=2)] and by["PR.INC"]["settled"]
    assert by["PR.SDK"]["criteria"] == ids(fw, "PR.SDK", 2, but=(first(fw, "PR.SDK", 2),))
    assert pat["statements"] == sum(len(ids(fw, s, 2)) - 1 for s in by if s != "PR.INC")
    rounds = 1
    while any(r["statements"] for r in plan["respondents"]):  # each round answered F, F, L, L, ...
        fill("ad")
        ok("questionnaire", "import", "ad")
        plan, rounds = json.loads(ok("questionnaire", "follow-up", "ad", "--json")), rounds + 1
    # a level of three criteria comes back F, F, F (its first from the screening) and the climb goes
    # on; one of four comes back F, F, F, L: reached, not fully achieved, settled. The longest
    # climb (levels 2, 3 and 4 of three criteria each) takes three follow-ups and a last empty one.
    assert rounds == 4
    status = json.loads(ok("status", "ad", "--json"))
    assert all(r["outstanding"] == 0 for r in status["respondents"])
    agenda = json.loads(ok("workshop", "agenda", "ad", "--minutes", "90", "--format", "json"))
    top = agenda["items"][0]
    assert top["criterion"] == "PR.INC.L2.01" and "open disagreement" in top["kinds"]
    assert {a["rating"] for a in top["answers"]} == {"N", "F"}
    ok("consensus", "set", "ad", top["criterion"], "F", "--rationale", "Agreed in the workshop")
    after = json.loads(ok("workshop", "agenda", "ad", "--format", "json"))
    assert top["criterion"] not in {i["criterion"] for i in after["items"] if "open disagreement" in i["kinds"]}
    # the consensus reopens PR.INC's climb: the rest of its level 2, for both of its respondents
    reopened = json.loads(ok("questionnaire", "follow-up", "ad", "--json"))
    assert {r["email"]: r["statements"] for r in reopened["respondents"]} == {
        SAM: len(ids(fw, "PR.INC", 2)) - 1, PAT: len(ids(fw, "PR.INC", 2)) - 1}
    scores = json.loads(ok("score", "ad", "--format", "json"))
    sdk = next(s for s in scores["subjects"] if s["id"] == "PR.SDK")
    assert sdk["level"] == 2 and sdk["screened"] and sdk["asked_to"] == 3
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
