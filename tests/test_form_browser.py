"""The workshop form in a real browser: Voila serves notebook 02, headless Chromium answers one
statement through a respondent's link, and the store holds the answer."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from dsm_assess.demo.generate import generate_engagement
from dsm_assess.form import issue_form_token
from dsm_assess.store.sqlite import open_store

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "02_workshop_capture.ipynb"
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def voila(tmp_path, fw):
    root = tmp_path / "engagements"
    eng = generate_engagement(fw, "demo", respondents=2, seed=9, profile="quick-scan", root=root)
    port = free_port()
    env = {**os.environ, "DSM_ASSESS_ROOT": str(root), "JUPYTER_DATA_DIR": str(tmp_path / "jupyter")}
    server = subprocess.Popen([str(Path(sys.executable).parent / "voila"), str(NOTEBOOK), "--no-browser",
                               f"--port={port}", "--Voila.ip=127.0.0.1", "--Voila.port_retries=0"],
                              env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):  # poll a static file: polling "/" would start a kernel each time
            try:
                urllib.request.urlopen(f"{base}/voila/static/voila.js", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("Voila did not start")
        yield base, root, eng
    finally:
        server.terminate()
        server.wait(timeout=20)


def test_a_respondent_answers_one_statement_in_the_browser(voila, fw):
    from playwright.sync_api import sync_playwright
    base, root, eng = voila
    person = eng.respondents[0]
    token = issue_form_token("demo", person.email, root, fw)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
            "--disable-sync", "--no-first-run"])
        page = browser.new_page()
        page.goto(f"{base}/?token={token}")
        page.wait_for_selector("text=Answering as", timeout=90_000)
        statement = page.locator("b").filter(has_text="PR.").first.inner_text()
        page.locator("textarea").first.fill("Screens from the ITSM tool, shown in the workshop")
        page.locator("textarea").first.press("Tab")
        page.get_by_role("button", name="F", exact=True).click()
        page.wait_for_selector("text=Saved", timeout=30_000)
        browser.close()
    with open_store(root / "demo") as store:
        answer = store.current_answer_objects()[person.email][statement]
    assert (answer.rating, answer.evidence) == ("F", "Screens from the ITSM tool, shown in the workshop")
