"""The workshop agenda walked in the web form's consultant view (form/walk.py), in-process through
Starlette's TestClient: `workshop agenda`'s items in its order, one at a time, with the answers,
a consensus recorded as the consultant view records one, the item settled, the time against the
estimate; nothing of it for a respondent's token."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from starlette.testclient import TestClient

from dsm_assess.capture.intake import store_answers
from dsm_assess.deliver.agenda import build_agenda
from dsm_assess.form.tokens import issue_form_token
from dsm_assess.form.walk import ACTION, WHY, Stop, Walk, pace
from dsm_assess.form.web import FormSite, create_app
from dsm_assess.scoring.assessment import load_assessment
from dsm_assess.store.answers import Answer
from dsm_assess.store.sqlite import open_store

from .conftest import PAT, SAM

CONSULTANT = "consultant-secret-0123456789abcdef"
START = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


class Clock:
    """The workshop's clock, moved by the test."""

    def __init__(self):
        self.at = START

    def __call__(self) -> dt.datetime:
        return self.at


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def scene(fw, acme, root):
    """Sam and Pat disagree on two incident criteria and one service desk criterion; Pat's N
    comes with a comment."""
    asked = [c for c in acme.criteria_for(fw, acme.respondent(SAM))]
    inc, sdk = [c for c in asked if c.startswith("PR.INC.")], [c for c in asked if c.startswith("PR.SDK.")]
    answers = [Answer(SAM, inc[0], "F", evidence="Major incident log"), Answer(PAT, inc[0], "N",
                                                                                comment="Only the desk logs them"),
               Answer(SAM, inc[1], "F"), Answer(PAT, inc[1], "P"), Answer(SAM, sdk[0], "L"), Answer(PAT, sdk[0], "N")]
    with open_store(root / "acme") as st:
        store_answers(st, fw, answers, source="test")
    return acme


@pytest.fixture
def client(fw, scene, root, clock):
    return TestClient(create_app(FormSite(fw, "acme", root, consultant_token=CONSULTANT, now=clock)),
                      base_url="http://10.1.2.3:8866")


def page(client, **params):
    return client.get("/", params={"token": CONSULTANT, **params})


def consensus(root):
    with open_store(root / "acme") as st:
        return st.consensus().set_index("criterion_id")


def built(client, minutes: str = "90"):
    return client.post("/", data={"token": CONSULTANT, "action": "agenda", "minutes": minutes},
                       follow_redirects=False)


def test_the_walk_is_the_agenda_of_workshop_agenda_in_its_order_with_its_cut_off(client, cli, fw, root, clock):
    first = page(client, agenda="0")
    assert first.status_code == 200 and "Build the agenda" in first.text and "No agenda built yet" in first.text
    response = built(client, "10")
    assert response.status_code == 303 and response.headers["location"] == f"?token={CONSULTANT}&agenda=1"
    expected = json.loads(cli("workshop", "agenda", "acme", "--root", root, "--minutes", "10", "--format",
                              "json").stdout)
    overview = page(client, agenda="0").text
    listed = re.findall(r"agenda=(\d+)\"[^>]*>([A-Z.0-9]+)</a>", overview)
    assert [cid for _, cid in listed] == [i["criterion"] for i in expected["items"]]
    assert [int(n) for n, _ in listed] == list(range(1, len(listed) + 1))
    # the cut-off line sits after the items that fit in the minutes
    assert expected["items_within"] < len(expected["items"])
    before, after = overview.split("Cut-off: 10 minutes. What follows waits for another session.")
    assert expected["items"][expected["items_within"] - 1]["criterion"] in before
    assert expected["items"][expected["items_within"]]["criterion"] in after
    assert f"{len(expected['items'])} items, about {expected['minutes_needed']} minutes needed" in overview


def test_an_item_shows_the_answers_records_a_consensus_as_the_consultant_view_does_and_is_settled(
        client, fw, scene, root):
    built(client)
    with open_store(root / "acme") as st:
        agenda = build_agenda(load_assessment("acme", root, fw=fw), st.current_answers(), 90)
    cid = scene.criteria_for(fw, scene.respondent(SAM))[0]   # Sam F with evidence, Pat N with a comment
    n = next(i for i, item in enumerate(agenda.items, 1) if item.criterion == cid)
    item = page(client, agenda=str(n)).text
    assert f"Item {n} of {len(agenda.items)}: {cid}" in item and fw.get(cid).statement in item
    assert "Not settled yet." in item and f"On the agenda because {WHY[agenda.items[n - 1].kinds[0]]}" in item
    assert re.search(r"<td>Sam Desk</td><td>Fully achieved \(F\)</td>\s*<td>Major incident log</td>", item)
    assert re.search(r"<td>Pat Ops</td><td>Not achieved \(N\)</td>\s*<td>Only the desk logs them</td>", item)
    done = client.post("/", data={"token": CONSULTANT, "criterion": cid, "rating": "L",
                                  "rationale": "Agreed: logged for the desk's calls only", "agenda": str(n)})
    assert done.status_code == 200 and f"Recorded the consensus on {cid}: settled." in done.text
    assert "<b>Settled</b>: Largely achieved (L). Agreed: logged for the desk&#39;s calls only" in done.text
    row = consensus(root).loc[cid]
    assert (row["rating"], row["rationale"], row["recorded_by"]) == (
        "L", "Agreed: logged for the desk's calls only", "consultant (web form)")
    # a fresh agenda drops the settled item; the one being walked keeps its order and marks it
    with open_store(root / "acme") as st:
        fresh = build_agenda(load_assessment("acme", root, fw=fw), st.current_answers(), 90)
    assert cid not in [i.criterion for i in fresh.items]
    overview = page(client, agenda="0").text
    order = re.findall(r"agenda=\d+\"[^>]*>([A-Z.0-9]+)</a>", overview)
    assert order == [i.criterion for i in agenda.items]
    assert re.search(rf">{re.escape(cid)}</a>\s*<span class=\"count\">[^<]*: <b>settled</b>", overview)
    assert f"1 of {len(agenda.items)} settled" in overview
    second = page(client, agenda=str(n + 1)).text
    assert f"Item {n + 1} of {len(agenda.items)}: {agenda.items[n].criterion}" in second
    assert f'agenda={n}" rel="prev">Previous item' in second and f'agenda={n + 2}" rel="next">Next item' in second


def test_a_consensus_the_consultant_view_would_refuse_is_refused_here_and_what_was_typed_stays(client, root):
    built(client)
    cid = re.search(r"Item 1 of \d+: ([A-Z.0-9]+)", page(client, agenda="1").text)[1]
    for data, why in (({"rating": "F", "rationale": ""}, "a consensus needs a rating and a rationale"),
                      ({"rating": "", "rationale": "We agree"}, "a consensus needs a rating and a rationale"),
                      ({"rating": "X", "rationale": "We agree"}, "X")):
        refused = client.post("/", data={"token": CONSULTANT, "criterion": cid, "agenda": "1", **data})
        assert refused.status_code == 400 and "Not recorded:" in refused.text and why in refused.text
        assert "Item 1 of" in refused.text  # the same item, not the subject page
        if data["rationale"]:
            assert 'value="We agree"' in refused.text
        if data["rating"] == "F":
            assert '<option value="F" selected>' in refused.text
    assert cid not in consensus(root).index


def test_the_time_used_is_read_against_the_estimate(client, fw, root, clock):
    built(client)
    with open_store(root / "acme") as st:
        stops = [s["criterion"] for s in st.last_audit(ACTION)["detail"]["items"]]
        walk_starts = [s["starts_at"] for s in st.last_audit(ACTION)["detail"]["items"]]
    assert walk_starts[0] == 0 and len(stops) >= 2
    clock.at = START + dt.timedelta(minutes=17, seconds=50)    # 17 whole minutes
    second = page(client, agenda="2").text
    planned = walk_starts[1]
    assert f"planned from minute {planned}" in second
    assert f"Time used so far: 17 of 90 min, {pace(17, planned)}." in second
    client.post("/", data={"token": CONSULTANT, "criterion": stops[0], "rating": "P", "rationale": "Agreed",
                           "agenda": "1"})
    overview = page(client, agenda="0").text
    estimate = walk_starts[1]  # the first item's minutes: the second starts when it ends
    assert f"the settled items were estimated at {estimate} min, so the room is {pace(17, estimate)}" in overview


def test_pace_says_how_far_behind_or_ahead_in_words():
    assert pace(23, 18) == "5 min behind the estimate"
    assert pace(10, 18) == "8 min ahead of the estimate"
    assert pace(6, 6) == "on the estimate"
    walk = Walk(90, START, (Stop("A", ("x",), 6, 0, True), Stop("B", ("y",), 3, 6, False)))
    assert walk.within == 1 and walk.needed == 9
    assert walk.used(START + dt.timedelta(seconds=59)) == 0 and walk.used(START - dt.timedelta(minutes=5)) == 0


def test_the_walk_is_kept_in_the_store_so_a_restarted_form_walks_the_same_one(client, fw, root, clock):
    built(client)
    order = re.findall(r"agenda=\d+\"[^>]*>([A-Z.0-9]+)</a>", page(client, agenda="0").text)
    again = TestClient(create_app(FormSite(fw, "acme", root, consultant_token=CONSULTANT, now=clock)))
    assert re.findall(r"agenda=\d+\"[^>]*>([A-Z.0-9]+)</a>", again.get(
        "/", params={"token": CONSULTANT, "agenda": "0"}).text) == order
    with open_store(root / "acme") as st:
        row = st.last_audit(ACTION)
    assert row["actor"] == "consultant (web form)" and row["detail"]["minutes"] == 90
    assert row["detail"]["started"] == START.isoformat()


def test_building_again_starts_a_new_walk_and_a_bad_length_builds_nothing(client, root, clock):
    for minutes in ("0", "-5", "ninety", "", "100000"):
        refused = built(client, minutes)
        assert refused.status_code == 400
        assert "Not built: give the length of the workshop in whole minutes, 1 to 1440." in refused.text
    with open_store(root / "acme") as st:
        assert st.last_audit(ACTION) is None
    built(client, "45")
    clock.at = START + dt.timedelta(minutes=30)
    built(client, "60")
    with open_store(root / "acme") as st:
        row = st.last_audit(ACTION)
        assert row["detail"]["minutes"] == 60 and row["detail"]["started"] == clock.at.isoformat()
        assert (st.audit_log()["action"] == ACTION).sum() == 2
    assert "Time used so far: 0 of 60 min" in page(client, agenda="1").text
    assert "The agenda has no item 9999." in page(client, agenda="9999").text


def test_a_respondent_never_reaches_the_agenda_and_its_pages_show_no_score(client, fw, scene, root):
    built(client)
    sam = issue_form_token("acme", SAM, root, fw)
    mine = client.get("/", params={"token": sam, "agenda": "1"})
    assert mine.status_code == 200 and "Welcome, Sam Desk" in mine.text and "Agenda" not in mine.text
    client.post("/", data={"token": sam, "action": "agenda", "minutes": "30"})
    with open_store(root / "acme") as st:
        assert st.last_audit(ACTION)["detail"]["minutes"] == 90  # Sam's post built nothing
    # the room may see the consultant's screen: no level or score of a subject on any agenda page
    assert re.search(r"score \d", page(client).text)  # (the subjects' list does show them)
    for n in range(0, 4):
        text = page(client, agenda=str(n)).text
        assert not re.search(r"score \d|level \d, score|insufficient data", text), n
