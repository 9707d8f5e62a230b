"""The web form's access rules and pages, in-process (Starlette's TestClient): only a token opens
anything, the token decides whose view it is, and answers are stored as the token's respondent."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from starlette.testclient import TestClient

from dsm_assess.form import REFUSAL, issue_form_token
from dsm_assess.form.tokens import issue_form_token as issue
from dsm_assess.form.web import FormSite, create_app
from dsm_assess.store.sqlite import open_store

from .conftest import PAT, SAM

CONSULTANT = "consultant-secret-0123456789abcdef"


@pytest.fixture
def site(fw, acme, root):
    return FormSite(fw, "acme", root, consultant_token=CONSULTANT)


@pytest.fixture
def client(site):
    return TestClient(create_app(site), base_url="http://10.1.2.3:8866")


@pytest.fixture
def sam(fw, acme, root):
    return issue("acme", SAM, root, fw)


def refused(response) -> bool:
    return response.status_code == 403 and REFUSAL in response.text and "Sam" not in response.text


def test_the_base_address_and_every_token_that_was_not_issued_get_the_same_refusal(client, sam):
    bodies = set()
    for query in ("", "?token=", "?token=%20", "?token=not-a-token", "?token=" + "x" * 32, f"?token={sam.upper()}",
                  f"?token=%20{sam}", f"?token={sam}%20", f"?token={sam[:-1]}", f"?token={CONSULTANT.upper()}",
                  f"?token={sam}%00", "?token=%C3%A9" * 20):
        response = client.get("/" + query)
        assert refused(response), query
        bodies.add(response.text)
    assert len(bodies) == 1  # one page: nothing tells a near miss from nonsense
    assert refused(client.post("/", data={"token": sam.lower() if sam != sam.lower() else sam + "x",
                                           "s": "PR.INC", "n": "1", "rating": "F"}))


def test_no_header_opens_the_consultants_view(client, sam):
    for headers in ({"Host": "localhost"}, {"Host": "127.0.0.1"}, {"X-Forwarded-For": "127.0.0.1"},
                    {"X-Forwarded-Host": "localhost", "X-Real-IP": "127.0.0.1", "Forwarded": "for=127.0.0.1"}):
        assert refused(client.get("/", headers=headers))
        assert refused(client.get("/?token=", headers=headers))
        mine = client.get(f"/?token={sam}", headers=headers)
        assert mine.status_code == 200 and "Welcome, Sam Desk" in mine.text
        assert "Pat Ops" not in mine.text and "Consultant" not in mine.text


def test_a_respondent_sees_only_their_subjects_and_cannot_open_others(client, sam, fw, acme):
    page = client.get(f"/?token={sam}").text
    assert "Welcome, Sam Desk" in page and "Acme Ltd" in page and "DSM Assessment Kit" in page  # the brand's firm
    assert "Largely achieved (L)</b>: Mostly" in page and "saved as you give it" in page
    names = {fw.get(s).name for s in ("PR.INC", "PR.SDK", "PR.SRM")}
    assert all(n in page for n in names)
    others = [s for s in acme.scope if s not in {"PR.INC", "PR.SDK", "PR.SRM"}]
    assert fw.get(others[0]).name not in page
    assert refused(client.get(f"/?token={sam}&s={others[0]}&n=1"))
    assert refused(client.get(f"/?token={sam}&s=PR.INC&n=999"))
    assert refused(client.post("/", data={"token": sam, "s": others[0], "n": "1", "rating": "F"}))


def test_a_statement_page_counts_from_one_names_the_ratings_in_words_and_shows_no_score(client, sam, fw, acme):
    asked = [c for c in acme.criteria_for(fw, acme.respondent(SAM)) if c.startswith("PR.INC.")]
    page = client.get(f"/?token={sam}&s=PR.INC&n=1").text
    assert f"Statement 1 of {len(asked)}" in page
    for words in ("Fully achieved (F)", "Largely achieved (L)", "Partially achieved (P)", "Not achieved (N)",
                  "Not applicable (NA)", "Don&#39;t know (DK)"):
        assert words in page
    assert fw.get("PR.INC").name in page and "Acme Ltd" in page
    assert not re.search(r"\bscore\b|\blevel \d|PR\.INC\.L\d", page, re.I)
    assert '<label class="field" for="na_reason">' in page and 'id="na_reason"' in page


def test_an_answer_is_stored_as_the_tokens_respondent_whatever_the_page_sends(client, sam, root, fw, acme):
    first = [c for c in acme.criteria_for(fw, acme.respondent(SAM)) if c.startswith("PR.INC.")][0]
    response = client.post("/", data={"token": sam, "s": "PR.INC", "n": "1", "rating": "L", "respondent": PAT,
                                      "evidence": "Ticket sample, March", "confidence": "4", "go": "next"},
                           follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("?token=")
    with open_store(root / "acme") as store:
        history = store.history()
    assert list(history["respondent"]) == [SAM] and list(history["criterion_id"]) == [first]
    row = history.iloc[0]
    assert (row.rating, row.evidence, row.confidence, row.source) == ("L", "Ticket sample, March", 4, "form")
    again = client.get(f"/?token={sam}&s=PR.INC&n=1").text  # reopened: the answer is shown
    assert 'value="L"\n               checked' in again and "Ticket sample, March" in again
    assert "1 of" in client.get(f"/?token={sam}").text


def test_na_without_a_reason_is_refused_in_words_and_nothing_is_stored(client, sam, root):
    response = client.post("/", data={"token": sam, "s": "PR.INC", "n": "1", "rating": "NA"},
                           headers={"Accept": "application/json"})
    out = response.json()
    assert out["saved"] is False and "no reason" in out["problems"][0] and "PR.INC" not in out["problems"][0]
    page = client.post("/", data={"token": sam, "s": "PR.INC", "n": "1", "rating": "NA", "evidence": "kept"})
    assert page.status_code == 400 and "Not saved" in page.text and "kept" in page.text
    with open_store(root / "acme") as store:
        assert store.count("answers") == 0
    ok = client.post("/", data={"token": sam, "s": "PR.INC", "n": "1", "rating": "NA", "na_reason": "No desk"},
                     headers={"Accept": "application/json"}).json()
    assert ok == {"saved": True, "problems": []}


def test_after_the_deadline_a_respondent_reads_their_answers_but_cannot_change_them(fw, acme, root, sam):
    today = [dt.date(2026, 1, 10)]
    site = FormSite(fw, "acme", root, consultant_token=CONSULTANT, today=lambda: today[0])
    from dsm_assess.engagement.edit import save_engagement
    acme.deadline = dt.date(2026, 1, 31)
    save_engagement(acme, root)
    client = TestClient(create_app(site))
    assert client.post("/", data={"token": sam, "s": "PR.INC", "n": "1", "rating": "F"},
                       headers={"Accept": "application/json"}).json()["saved"]
    today[0] = dt.date(2026, 2, 1)
    page = client.get(f"/?token={sam}&s=PR.INC&n=1").text
    assert "deadline (1 February 2026)" not in page and "31 January 2026" in page
    assert "<fieldset disabled" in page and "Save and next" not in page and 'checked' in page
    late = client.post("/", data={"token": sam, "s": "PR.INC", "n": "1", "rating": "N"},
                       headers={"Accept": "application/json"}).json()
    assert not late["saved"] and "deadline has passed" in late["problems"][0]
    with open_store(root / "acme") as store:
        assert list(store.history()["rating"]) == ["F"]


def test_the_consultants_link_shows_everyone_and_records_a_consensus(client, sam, root, fw, acme):
    client.post("/", data={"token": sam, "s": "PR.INC", "n": "1", "rating": "P", "evidence": "Desk log"})
    overview = client.get(f"/?token={CONSULTANT}").text
    assert "Sam Desk" in overview and "Pat Ops" in overview and "1 of" in overview
    subject = client.get(f"/?token={CONSULTANT}&s=PR.INC").text
    first = [c for c in acme.criteria_for(fw, acme.respondent(SAM)) if c.startswith("PR.INC.")][0]
    assert first in subject and "Desk log" in subject and ("level" in subject or "insufficient" in subject)
    missing = client.post("/", data={"token": CONSULTANT, "criterion": first, "rating": "L", "rationale": ""})
    assert "Not recorded" in missing.text
    done = client.post("/", data={"token": CONSULTANT, "criterion": first, "rating": "L",
                                  "rationale": "Agreed in the workshop"})
    assert "Recorded the consensus" in done.text
    with open_store(root / "acme") as store:
        cons = store.consensus()
    assert (cons.iloc[0]["criterion_id"], cons.iloc[0]["rating"], cons.iloc[0]["rationale"]) == (
        first, "L", "Agreed in the workshop")


def test_a_respondents_token_cannot_record_a_consensus(client, sam, root, fw, acme):
    first = acme.criteria_for(fw, acme.respondent(SAM))[0]
    client.post("/", data={"token": sam, "criterion": first, "rating": "L", "rationale": "mine"})
    with open_store(root / "acme") as store:
        assert store.count("consensus") == 0


def test_a_workbook_token_or_a_removed_respondent_opens_nothing(client, fw, acme, root):
    with open_store(root / "acme") as store:
        workbook = store.issue_token(SAM, ["PR.INC"], fw.bank_version, channel="workbook")
    assert refused(client.get(f"/?token={workbook}"))
    pat = issue_form_token("acme", PAT, root, fw)
    assert client.get(f"/?token={pat}").status_code == 200
    from dsm_assess.engagement.edit import save_engagement
    acme.respondents = [r for r in acme.respondents if r.email != PAT]
    save_engagement(acme, root)
    assert refused(client.get(f"/?token={pat}"))


def test_every_page_forbids_framing_referrers_and_caching(client, sam):
    for response in (client.get("/"), client.get(f"/?token={sam}"), client.get(f"/?token={CONSULTANT}")):
        assert response.headers["referrer-policy"] == "no-referrer"
        assert response.headers["cache-control"] == "no-store"
        assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_a_respondents_own_answers_are_read_without_anyone_elses(fw, acme, root):
    from dsm_assess.capture.intake import store_answers
    from dsm_assess.store.answers import Answer
    cid = acme.criteria_for(fw, acme.respondent(SAM))[0]
    with open_store(root / "acme") as store:
        store_answers(store, fw, [Answer(SAM, cid, "P"), Answer(PAT, cid, "F")], source="form")
        store_answers(store, fw, [Answer(SAM, cid, "L", evidence="later")], source="form")
        mine = store.answers_of(SAM.upper())
        assert mine == {cid: store.current_answer_objects()[SAM][cid]}
    assert (mine[cid].rating, mine[cid].evidence) == ("L", "later")


def test_form_link_takes_only_an_http_or_https_base_address(cli, fw, acme, root):
    for bad in ("ftp://assess.example.com/", "javascript:alert(1)", "assess.example.com", "https://x/?a=1"):
        result = cli("form", "link", "acme", "--respondent", SAM, "--base-url", bad, "--root", root)
        assert result.exit_code == 1 and "--base-url" in result.stderr and "Traceback" not in result.output
    with open_store(root / "acme") as store:
        assert store.count("questionnaires") == 0  # nothing issued for a link that was refused
    ok = cli("form", "link", "acme", "--respondent", SAM, "--base-url", "https://assess.example.com/form", "--root",
             root)
    assert ok.exit_code == 0 and ok.stdout.startswith("https://assess.example.com/form/?token=")


def test_form_serve_refuses_a_weak_consultant_token_and_an_unknown_engagement(cli, acme, root):
    weak = cli("form", "serve", "acme", "--consultant-token", "secret", "--root", root)
    assert weak.exit_code == 1 and "--consultant-token" in weak.stderr
    unknown = cli("form", "serve", "nowhere", "--root", root)
    assert unknown.exit_code == 1 and "nowhere" in unknown.stderr and "Traceback" not in unknown.output


def test_form_serve_prints_the_consultants_link_and_stops_cleanly_on_ctrl_c(acme, root, sam):
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = subprocess.Popen([sys.executable, "-m", "dsm_assess", "form", "serve", "acme", "--port", str(port),
                               "--root", str(root)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        link = None
        for line in server.stdout:
            if "consultant's link" in line:
                link = line.split(": ", 1)[1].strip()
                break
        assert link and link.startswith(f"http://127.0.0.1:{port}/?token=")
        for _ in range(100):
            try:
                page = urllib.request.urlopen(link, timeout=2).read().decode()
                break
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.1)
        assert "Sam Desk" in page and "Pat Ops" in page
        mine = urllib.request.urlopen(f"http://127.0.0.1:{port}/?token={sam}", timeout=5).read().decode()
        assert "Welcome, Sam Desk" in mine
        server.send_signal(signal.SIGINT)
        out, err = server.communicate(timeout=20)
    finally:
        server.kill() if server.poll() is None else None
    assert server.returncode == 0 and "Traceback" not in err and "The form is stopped." in out


def test_an_oversized_post_is_refused_and_stores_nothing(client, sam, root):
    response = client.post("/", data={"token": sam, "s": "PR.INC", "n": "1", "rating": "F", "comment": "x" * 300_000})
    assert response.status_code == 413
    with open_store(root / "acme") as store:
        assert store.count("answers") == 0


def test_a_store_that_cannot_be_read_gives_a_try_again_page_not_a_traceback(site, sam, monkeypatch):
    from dsm_assess.core.errors import DsmError

    def broken(*_):
        raise DsmError("the response store is busy")
    monkeypatch.setattr(site, "holder", broken)
    response = TestClient(create_app(site), raise_server_exceptions=False).get(f"/?token={sam}")
    assert response.status_code == 503 and "try again" in response.text and "Traceback" not in response.text


def test_a_conditional_statement_says_when_it_applies_beside_the_na_reason(client, fw, acme, root):
    pat = issue_form_token("acme", PAT, root, fw)
    asked = acme.criteria_for(fw, acme.respondent(PAT))
    by_id = {c.id: c for c in fw.criteria}
    cid = next(c for c in asked if by_id[c].applies_when)
    subject = by_id[cid].subject
    number = [c for c in asked if by_id[c].subject == subject].index(cid) + 1
    page = client.get(f"/?token={pat}&s={subject}&n={number}").text
    when = next(k.applies_when for k in fw.conditions if k.id == by_id[cid].applies_when)
    na = page[page.index('<div id="na"'):page.index('for="confidence"')]
    assert f"applies only where {when}" in na and 'aria-describedby="condition"' in na
