"""The workshop form, driven from Python as a person would use it: the store holds what was entered."""

from __future__ import annotations

import pytest

from dsm_assess.form import CONSENSUS, REFUSAL, WorkshopForm, issue_form_token
from dsm_assess.store.sqlite import open_store

from .conftest import PAT, SAM


def test_answers_are_saved_as_they_are_given_and_the_form_resumes(fw, acme, root):
    form = WorkshopForm("acme", root, fw=fw)
    form.respondent.value = SAM
    first = form.current
    assert first.startswith("PR.INC.L2")
    form.confidence.value = 4
    form.evidence.value = "Ticket sample, March"
    form.rating.value = "L"                      # saved at once
    with open_store(root / "acme") as store:
        [a] = store.current_answer_objects()[SAM].values()
    assert (a.criterion_id, a.rating, a.confidence, a.evidence) == (first, "L", 4, "Ticket sample, March")
    with open_store(root / "acme") as store:
        assert set(store.history()["source"]) == {"form"}
    again = WorkshopForm("acme", root, fw=fw)   # a new kernel: resumes where it was
    again.respondent.value = SAM
    assert again.current != first and again.current.startswith("PR.INC")
    again.position.value = 0
    assert (again.rating.value, again.evidence.value) == ("L", "Ticket sample, March")


def test_na_without_a_reason_is_refused_with_a_visible_message(fw, acme, root):
    form = WorkshopForm("acme", root, fw=fw)
    form.respondent.value = SAM
    form.rating.value = "NA"
    assert "Not saved" in form.message.value and "no reason" in form.message.value
    with open_store(root / "acme") as store:
        assert store.count("answers") == 0
    form.na_reason.value = "We have no suppliers"
    with open_store(root / "acme") as store:
        [a] = store.current_answer_objects()[SAM].values()
    assert (a.rating, a.na_reason) == ("NA", "We have no suppliers")


def test_a_respondent_link_shows_only_their_subjects_and_saves_as_them(fw, acme, root):
    token = issue_form_token("acme", SAM, root, fw)
    form = WorkshopForm("acme", root, token, fw=fw)
    assert form.choices == [SAM] and form.respondent.disabled
    assert {v for _, v in form.subject.options} == {"PR.INC", "PR.SDK", "PR.SRM"}
    form.rating.value = "F"
    with open_store(root / "acme") as store:
        history = store.history()
    assert list(history["respondent"]) == [SAM] and list(history["source_ref"]) == [token]


@pytest.mark.parametrize("token", ["not-a-token", ""])
def test_a_wrong_or_missing_token_is_refused_and_shows_nobodys_answers(fw, acme, root, token):
    WorkshopForm("acme", root, fw=fw).respondent.value = PAT
    helper = WorkshopForm("acme", root, fw=fw)
    helper.respondent.value = PAT
    helper.evidence.value = "Pat's private note"
    helper.rating.value = "P"
    form = WorkshopForm("acme", root, token, fw=fw)
    assert form.refused and REFUSAL in form.widget.value and "Pat" not in form.widget.value


def test_the_consultant_records_a_consensus_with_its_rationale(fw, acme, root):
    form = WorkshopForm("acme", root, fw=fw)
    form.respondent.value = CONSENSUS
    cid = form.current
    form.rating.value = "L"
    assert "Not saved" in form.message.value  # a consensus needs its rationale
    form.comment.value = "Agreed after the demo of the tool"
    with open_store(root / "acme") as store:
        cons = store.consensus()
    assert (cons.iloc[0]["criterion_id"], cons.iloc[0]["rating"]) == (cid, "L")
    assert cons.iloc[0]["rationale"] == "Agreed after the demo of the tool"


def test_the_side_panel_shows_the_subject_and_the_others_answers(fw, acme, root):
    for who, rating in ((SAM, "N"), (PAT, "F")):
        form = WorkshopForm("acme", root, fw=fw)
        form.respondent.value = who
        form.subject.value = "PR.INC"
        form.position.value = 0
        form.rating.value = rating
    assert "Incident management" in form.panel.value
    assert f"{SAM}: N" in form.panel.value and f"{PAT}: F" in form.panel.value
    # the consultant also sees the readiness list that `report` and `status` give
    assert "Before a report goes out:" in form.panel.value
    assert "subjects have enough answers to score" in form.panel.value


def test_form_link_issues_a_token_that_opens_the_respondents_form(cli, fw, acme, root):
    import json
    data = json.loads(cli("form", "link", "acme", "--respondent", SAM.upper(), "--base-url",
                          "https://assess.example.com/form/", "--root", root, "--json").stdout)
    assert data["url"] == f"https://assess.example.com/form/?token={data['token']}"
    form = WorkshopForm("acme", root, data["token"], fw=fw)
    assert not form.refused and form.choices == [SAM]


def test_answer_fills_in_a_statement_and_saves_it_once(fw, acme, root):
    form = WorkshopForm("acme", root, fw=fw)
    target = [c.id for c in fw.criteria if c.subject == "PR.SDK" and c.id in acme.criteria_for(fw)][1]
    assert form.answer(target, "L", who=SAM, confidence=3, evidence="Desk dashboard", comment="Mostly")
    assert form.answer(target, "L", who=CONSENSUS, comment="Agreed in the room")
    with open_store(root / "acme") as store:
        history, cons = store.history(), store.consensus()
    assert len(history) == 1                                        # one answer, not one per field
    row = history.iloc[0]
    assert (row.respondent, row.criterion_id, row.rating, row.confidence, row.evidence, row.comment) == (
        SAM, target, "L", 3, "Desk dashboard", "Mostly")
    assert list(cons["criterion_id"]) == [target] and cons.iloc[0]["rationale"] == "Agreed in the room"
    assert not form.answer(target, "NA", who=SAM) and "Not saved" in form.message.value


def test_answers_entered_in_a_row_show_in_the_panel_once_the_row_ends(fw, acme, root):
    form = WorkshopForm("acme", root, fw=fw)
    ids = [c for c in acme.criteria_for(fw) if c.startswith("PR.INC.")][:2]
    form.answer(ids[0], "N", who=SAM)
    before = form.panel.value
    with form.held():
        for cid in ids:
            assert form.answer(cid, "F", who=PAT)
        assert form.panel.value == before                 # not worked out after every answer
    assert "insufficient data" in before and "Now: level 1" in form.panel.value
    assert "respondents disagree on 1 criterion" in form.panel.value  # Sam's N against Pat's F
    with open_store(root / "acme") as store:
        assert len(store.history()) == 3
