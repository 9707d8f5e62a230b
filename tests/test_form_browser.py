"""The web form in a real browser: `dsm-assess form serve` on a generated engagement (not the demo),
headless Chromium through Playwright. Screenshots of both views are left in the test's folder."""

from __future__ import annotations

import datetime as dt
import http.client
import json
import os
import re
import shutil
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from dsm_assess.demo.generate import generate_engagement
from dsm_assess.engagement.edit import add_respondent, save_engagement
from dsm_assess.engagement.spec import load_engagement
from dsm_assess.form import REFUSAL, issue_form_token
from dsm_assess.scoring.assessment import load_assessment

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
CONSULTANT = "browser-test-consultant-0123456789"
SLUG = "harbourline"
NEW = "robin.new@harbourline.example.com"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory, fw, dsm_assess_process):
    """The form for a generated engagement, with one respondent who has not answered yet (Service desk only)."""
    folder = tmp_path_factory.mktemp("form")
    root = folder / "engagements"
    eng = generate_engagement(fw, SLUG, respondents=3, seed=4, profile="quick-scan", client="Harbourline Ferries",
                              root=root)
    eng.deadline = dt.date.today() + dt.timedelta(days=14)
    save_engagement(eng, root)
    add_respondent(fw, SLUG, "Robin New", NEW, "service desk lead", ["PR.SDK"], root)
    port = free_port()
    env = {**os.environ, "DSM_ASSESS_ROOT": str(root)}
    server = subprocess.Popen([*dsm_assess_process, "form", "serve", SLUG, "--port", str(port),
                               "--consultant-token", CONSULTANT], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(base, timeout=1)
            except urllib.error.HTTPError:
                break  # the refusal: it is up
            except OSError:
                time.sleep(0.25)
        else:
            pytest.fail("the form did not start")
        yield base, root, folder
    finally:
        server.terminate()
        out, _ = server.communicate(timeout=20)
    assert f"{base}?token={CONSULTANT}" in out  # the consultant's link was printed


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def scored_answers(cli, root, criterion: str) -> int:
    """How many answers `dsm-assess score` counts for a criterion."""
    out = cli("score", SLUG, "--root", root, "--format", "json")
    assert out.exit_code == 0, out.output
    return next(c["answers"] for c in json.loads(out.stdout)["criteria"] if c["id"] == criterion)


def test_a_respondent_answers_in_words_resumes_and_score_counts_it(served, browser, fw, cli):
    base, root, folder = served
    token = issue_form_token(SLUG, NEW, root, fw)
    asked = [c for c in load_engagement(SLUG, root, fw).criteria_for(fw) if c.startswith("PR.SDK.")]
    counted = scored_answers(cli, root, asked[0])
    page = browser.new_page()
    page.goto(f"{base}?token={token}")
    assert page.get_by_role("heading", name="Welcome, Robin New").is_visible()
    assert "Harbourline Ferries" in page.content()
    nav = page.get_by_role("navigation", name="Your subjects").inner_text()
    assert fw.get("PR.SDK").name in nav and fw.get("PR.INC").name not in nav
    page.get_by_role("link", name=f"Start with {fw.get('PR.SDK').name}").click()
    assert page.get_by_text(f"Statement 1 of {len(asked)}").is_visible()
    page.get_by_label("How sure are you? (optional)").select_option("4")
    page.get_by_label("Evidence you could show (optional)").fill("Desk dashboard, shown in the workshop")
    page.get_by_label("Largely achieved (L)").check()          # saved at once, in words with its code
    page.get_by_text("Saved.").wait_for(timeout=5000)
    page.get_by_label("Not applicable (NA)").check()          # the reason shows only now
    assert page.get_by_label("Why it does not apply (needed with Not applicable)").is_visible()
    page.get_by_label("Largely achieved (L)").check()
    assert not page.get_by_label("Why it does not apply (needed with Not applicable)").is_visible()
    page.get_by_role("button", name="Save and next").click()
    page.get_by_text("Your answer to statement 1 is saved.").wait_for()
    assert page.get_by_text(f"Statement 2 of {len(asked)}").is_visible()
    text = page.inner_text("body")
    assert "score" not in text.lower() and "level" not in text.lower()
    page.reload()                                               # reloading resumes: the same statement
    assert page.get_by_text(f"Statement 2 of {len(asked)}").is_visible()
    page.goto(f"{base}?token={token}")
    assert "1 of" in page.get_by_role("navigation", name="Your subjects").inner_text()
    page.get_by_role("link", name=f"Continue with {fw.get('PR.SDK').name}").click()
    assert page.get_by_text(f"Statement 2 of {len(asked)}").is_visible()  # where they left off
    page.goto(f"{base}?token={token}&s=PR.SDK&n=1")
    assert page.get_by_label("Largely achieved (L)").is_checked()
    assert page.get_by_label("Evidence you could show (optional)").input_value() == (
        "Desk dashboard, shown in the workshop")
    page.close()
    assert scored_answers(cli, root, asked[0]) == counted + 1
    answers = load_assessment(SLUG, root, fw=fw).answers
    assert list(answers[answers["respondent"] == NEW]["criterion_id"]) == [asked[0]]


def test_the_keyboard_reaches_and_operates_every_control_with_visible_focus(served, browser, fw):
    base, root, _ = served
    token = issue_form_token(SLUG, NEW, root, fw)
    page = browser.new_page()
    page.goto(f"{base}?token={token}&s=PR.SDK&n=2")
    reached = []
    for _ in range(40):  # past the last control focus leaves the page (the body): that is skipped
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement === document.body"):
            continue
        reached.append(page.evaluate("""() => { const e = document.activeElement;
            const s = getComputedStyle(e); const text = e.textContent.trim().slice(0, 30);
            return [['A', 'BUTTON', 'SUMMARY'].includes(e.tagName) ? text : e.id,
            s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2]; }"""))
    names = [n for n, _ in reached]
    for control in ("Skip to the content", "rating-N", "confidence", "evidence", "comment", "Save and go back",
                    "Save and next"):
        assert control in names, (control, names)
    assert all(visible for _, visible in reached), reached
    page.focus("#rating-N")                         # the rating group is one tab stop ...
    page.keyboard.press("ArrowDown")                # ... and its arrow keys choose, as in any form
    page.get_by_text("Saved.").wait_for(timeout=5000)
    assert page.get_by_label("Partially achieved (P)").is_checked()
    page.close()


def test_tokens_other_than_an_issued_one_and_other_subjects_show_only_the_refusal(served, browser, fw):
    base, root, _ = served
    token = issue_form_token(SLUG, NEW, root, fw)
    page = browser.new_page()
    for url in (base, f"{base}?token=", f"{base}?token=wrong-token-0123456789abcd", f"{base}?token={token.upper()}",
                f"{base}?token={token}&s=PR.INC&n=1"):
        page.goto(url)
        assert page.inner_text("body").strip() == f"Link not valid\n\n{REFUSAL}", url
    page.close()


def test_headers_a_visitor_sends_change_nothing(served, browser, fw):
    base, root, _ = served
    token = issue_form_token(SLUG, NEW, root, fw)
    context = browser.new_context(extra_http_headers={"X-Forwarded-For": "127.0.0.1", "X-Forwarded-Host": "localhost"})
    page = context.new_page()
    page.goto(f"{base}?token={token}")
    assert page.get_by_role("heading", name="Welcome, Robin New").is_visible()
    assert "Consultant" not in page.content()
    page.goto(base)
    assert REFUSAL in page.inner_text("body")
    context.close()
    # Chromium will not send a Host header of the page's choosing; a script can, so send it raw.
    address = urlsplit(base)
    for path in (f"/?token={token}", "/", "/?token="):
        conn = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        conn.request("GET", path, headers={"Host": "localhost", "X-Forwarded-For": "127.0.0.1"})
        body = conn.getresponse().read().decode()
        conn.close()
        if token not in path:
            assert REFUSAL in body
        else:
            assert "Welcome, Robin New" in body and "Consultant" not in body


def test_the_consultant_sees_everyone_records_a_consensus_and_both_views_are_pictured(served, browser, fw):
    base, root, folder = served
    eng = load_engagement(SLUG, root, fw)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}?token={CONSULTANT}")
    table = page.get_by_role("table").inner_text()
    assert all(r.name in table for r in eng.respondents)
    page.get_by_role("link", name=fw.get("PR.SDK").name).first.click()
    first = [c for c in eng.criteria_for(fw) if c.startswith("PR.SDK.")][0]
    page.get_by_label("Agreed rating").first.select_option("L")
    page.get_by_label("Rationale (needed)").first.fill("Agreed in the workshop: the dashboard is used daily")
    page.get_by_role("button", name="Record the consensus").first.click()
    page.get_by_text(f"Recorded the consensus on {first}.").wait_for()
    assert "score" in page.inner_text("body")
    page.screenshot(path=folder / "consultant.png", full_page=False)
    page.close()
    token = issue_form_token(SLUG, NEW, root, fw)
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}?token={token}&s=PR.SDK&n=1")
    page.get_by_label("Not applicable (NA)").check()
    page.screenshot(path=folder / "respondent.png", full_page=True)
    page.close()
    assert load_assessment(SLUG, root, fw=fw).consensus.set_index("criterion_id").loc[first, "rating"] == "L"
    shots = os.environ.get("DSM_FORM_SCREENSHOTS")
    if shots:
        for name in ("consultant.png", "respondent.png"):
            shutil.copy(folder / name, Path(shots) / name)


def tab_to(page, selector: str, presses: int = 200) -> None:
    """Press Tab until `selector` has the focus, as a keyboard user would reach it."""
    for _ in range(presses):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement === document.querySelector(s)", selector):
            return
    pytest.fail(f"the keyboard never reached {selector}")


def test_the_consultant_walks_the_agenda_by_keyboard_and_settles_two_items(served, browser, fw, cli):
    base, root, folder = served
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.goto(f"{base}?token={CONSULTANT}")
    page.get_by_role("link", name="Workshop agenda").click()
    tab_to(page, "#minutes")
    page.keyboard.press("Control+A")
    page.keyboard.type("60")
    page.keyboard.press("Enter")                                # builds the agenda, opens its first item
    page.get_by_role("heading", name=re_item(1)).wait_for()
    expected = json.loads(cli("workshop", "agenda", SLUG, "--root", root, "--minutes", "60", "--format", "json")
                          .stdout)["items"]
    assert len(expected) >= 2
    settled = {}
    for n, rating in ((1, "L"), (2, "F")):
        cid = expected[n - 1]["criterion"]
        assert page.get_by_role("heading", name=f"Item {n} of {len(expected)}: {cid}").is_visible()
        assert page.get_by_text("Not settled yet.").is_visible()
        tab_to(page, "#rating")
        page.keyboard.type(rating)                               # a letter picks the rating, as in any list
        tab_to(page, "#rationale")
        page.keyboard.type(f"Agreed in the room on item {n}")
        page.keyboard.press("Enter")
        page.get_by_text(f"Recorded the consensus on {cid}: settled.").wait_for()
        assert page.locator("#settled").inner_text().startswith("Settled")
        text = page.inner_text("#content")
        assert not re.search(r"score \d|level \d, score", text)   # the room may be looking
        if n == 1:
            page.screenshot(path=folder / "agenda.png", full_page=False)
            tab_to(page, "a[rel=next]")
            page.keyboard.press("Enter")
            page.get_by_role("heading", name=re_item(2)).wait_for()
        settled[cid] = (rating, f"Agreed in the room on item {n}")
    nav = page.get_by_role("navigation", name="Agenda").inner_text()
    assert nav.count("settled") == 2
    page.close()
    agreed = load_assessment(SLUG, root, fw=fw).consensus.set_index("criterion_id")
    for cid, (rating, rationale) in settled.items():
        assert (agreed.loc[cid, "rating"], agreed.loc[cid, "rationale"]) == (rating, rationale)
    shots = os.environ.get("DSM_FORM_SCREENSHOTS")
    if shots:
        shutil.copy(folder / "agenda.png", Path(shots) / "agenda.png")


def re_item(n: int):
    return re.compile(rf"^Item {n} of \d+: ")
