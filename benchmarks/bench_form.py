"""The web form under load: `dsm-assess form serve` on a generated engagement of 100 respondents.

1. 30 respondents open their links at once (30 concurrent HTTP clients, plus 3 real headless
   Chromium browsers opening theirs at the same moment): time to the first statement (the
   introduction, then statement 1, as a respondent clicks through), then each saves one answer
   (time until the save is confirmed).
2. 100 respondents over a simulated hour, compressed into `--minutes` (default 1): each comes in
   at a random moment, answers a few statements with pauses, leaves, comes back and answers more.
   Nothing may be lost: every save confirmed must be a row in the store.
The server's memory (resident, with its children) is sampled throughout; the peak is printed.

    python benchmarks/bench_form.py [--minutes 1] [--browsers 3]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dsm_assess.demo.generate import generate_engagement  # noqa: E402
from dsm_assess.engagement.edit import save_engagement  # noqa: E402
from dsm_assess.form.tokens import issue_form_token  # noqa: E402
from dsm_assess.framework.model import load_framework  # noqa: E402
from dsm_assess.store.sqlite import open_store  # noqa: E402

SLUG = "loadtest"
CONSULTANT = "bench-consultant-token-0123456789"
RATINGS = ["N", "P", "L", "F", "DK"]
SUBJECT_LINK = re.compile(r'href="\?token=[^&"]+&amp;s=([A-Z.]+)&amp;n=(\d+)"')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Memory(threading.Thread):
    """Samples the server's resident memory (with any children) until stopped; keeps the peak."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.proc, self.peak, self.running = psutil.Process(pid), 0, True

    def run(self) -> None:
        while self.running:
            try:
                rss = self.proc.memory_info().rss + sum(c.memory_info().rss for c in self.proc.children(True))
            except psutil.Error:
                return
            self.peak = max(self.peak, rss)
            time.sleep(0.1)


async def open_and_save(client: httpx.AsyncClient, base: str, token: str, rating: str) -> tuple[float, float]:
    """(seconds to the first statement, seconds to a confirmed save) for one respondent."""
    start = time.perf_counter()
    intro = await client.get(f"{base}?token={token}")
    intro.raise_for_status()
    subject, n = SUBJECT_LINK.search(intro.text).groups()
    first = await client.get(f"{base}?token={token}&s={subject}&n={n}")
    assert "Statement " in first.text, first.text[:200]
    opened = time.perf_counter() - start
    start = time.perf_counter()
    saved = await client.post(base, data={"token": token, "s": subject, "n": n, "rating": rating},
                              headers={"Accept": "application/json"})
    assert saved.json()["saved"], saved.text
    return opened, time.perf_counter() - start


def browsers_open(base: str, tokens: list[str], gate: threading.Event, out: list[float]) -> None:
    from playwright.sync_api import sync_playwright
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        pages = [browser.new_page() for _ in tokens]
        gate.wait()
        start = time.perf_counter()
        for page, token in zip(pages, tokens, strict=True):  # one after another, all started at the gate
            page.goto(f"{base}?token={token}")
            page.get_by_role("navigation", name="Your subjects").get_by_role("link").first.click()
            page.get_by_text(re.compile(r"Statement \d+ of \d+")).wait_for()
            out.append(time.perf_counter() - start)
        browser.close()


async def burst(base: str, tokens: list[str], browser_tokens: list[str]) -> dict:
    gate, browser_times = threading.Event(), []
    thread = None
    if browser_tokens:
        thread = threading.Thread(target=browsers_open, args=(base, browser_tokens, gate, browser_times))
        thread.start()
        time.sleep(5)  # let Chromium start before the gate opens
    limits = httpx.Limits(max_connections=len(tokens))
    async with httpx.AsyncClient(timeout=60, limits=limits) as client:
        gate.set()
        results = await asyncio.gather(*(open_and_save(client, base, t, RATINGS[i % 4])
                                         for i, t in enumerate(tokens)))
    if thread:
        thread.join()
    return {"open": [r[0] for r in results], "save": [r[1] for r in results], "browsers": browser_times}


async def respondent_hour(client: httpx.AsyncClient, base: str, token: str, seconds: float, rng: random.Random,
                          saves: list[float]) -> int:
    """One respondent's visits over the compressed hour; returns how many saves were confirmed."""
    confirmed = 0
    await asyncio.sleep(rng.uniform(0, seconds * 0.5))
    for _visit in range(rng.randint(1, 3)):
        intro = await client.get(f"{base}?token={token}")
        links = SUBJECT_LINK.findall(intro.text)
        if not links:
            break
        subject, n = links[rng.randrange(len(links))]
        n = int(n)
        for _ in range(rng.randint(2, 6)):
            page = await client.get(f"{base}?token={token}&s={subject}&n={n}")
            if page.status_code != 200:
                break
            await asyncio.sleep(rng.uniform(0.2, 1.5) * seconds / 60)  # reading, thinking
            start = time.perf_counter()
            out = await client.post(base, data={"token": token, "s": subject, "n": str(n),
                                                "rating": rng.choice(RATINGS), "comment": f"visit {_visit}"},
                                    headers={"Accept": "application/json"})
            saves.append(time.perf_counter() - start)
            if out.json()["saved"]:
                confirmed += 1
            n += 1
        await asyncio.sleep(rng.uniform(0.05, 0.2) * seconds)  # away: a meeting, lunch
    return confirmed


def summary(values: list[float]) -> str:
    values = sorted(values)
    pick = lambda q: values[min(int(q * len(values)), len(values) - 1)]  # noqa: E731
    return f"median {pick(0.5):.2f} s, 95th {pick(0.95):.2f} s, worst {values[-1]:.2f} s (n={len(values)})"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--minutes", type=float, default=1.0, help="the simulated hour, compressed to this")
    ap.add_argument("--browsers", type=int, default=3, help="real Chromium browsers among the 30")
    args = ap.parse_args()
    fw = load_framework()
    folder = Path(tempfile.mkdtemp(prefix="bench-form-"))
    root = folder / "engagements"
    try:
        eng = generate_engagement(fw, SLUG, respondents=100, seed=3, profile="quick-scan", root=root)
        eng.deadline = None
        save_engagement(eng, root)
        tokens = [issue_form_token(SLUG, r.email, root, fw) for r in eng.respondents]
        with open_store(root / SLUG) as store:
            before = store.count("answers")
        port = free_port()
        base = f"http://127.0.0.1:{port}/"
        server = subprocess.Popen([sys.executable, "-m", "dsm_assess", "form", "serve", SLUG, "--port", str(port),
                                   "--consultant-token", CONSULTANT],
                                  env={**os.environ, "DSM_ASSESS_ROOT": str(root)}, stdout=subprocess.DEVNULL)
        try:
            for _ in range(200):
                try:
                    httpx.get(base, timeout=1)
                    break
                except httpx.TransportError:
                    time.sleep(0.1)
            memory = Memory(server.pid)
            memory.start()
            idle = psutil.Process(server.pid).memory_info().rss
            print(f"load average {os.getloadavg()[0]:.2f}, {psutil.cpu_count()} cores; server idle at "
                  f"{idle / 2**20:.0f} MB")
            b = args.browsers
            proc = psutil.Process(server.pid)
            cpu = sum(proc.cpu_times()[:2])
            result = asyncio.run(burst(base, tokens[b:30], tokens[:b]))
            cpu = sum(proc.cpu_times()[:2]) - cpu
            requests = 30 * 2 + len(result["save"])  # introduction and first statement each, and the saves
            print(f"30 opening at once ({30 - b} HTTP clients, {b} Chromium):")
            print(f"  first statement, HTTP clients: {summary(result['open'])}")
            if result["browsers"]:
                print(f"  first statement, Chromium:     {summary(result['browsers'])}")
            print(f"  save confirmed:                {summary(result['save'])}")
            print(f"  server CPU for the burst:      {cpu:.2f} s ({cpu / requests * 1000:.0f} ms a request, "
                  f"{requests} requests): the rest of the wait is the machine's other load")
            print(f"  server memory, peak so far:    {memory.peak / 2**20:.0f} MB")

            async def hour() -> tuple[int, list[float]]:
                rng, saves = random.Random(7), []
                async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=100)) as client:
                    done = await asyncio.gather(*(respondent_hour(client, base, t, args.minutes * 60,
                                                                  random.Random(rng.random()), saves)
                                                  for t in tokens))
                return sum(done), saves

            start = time.perf_counter()
            confirmed, saves = asyncio.run(hour())
            took = time.perf_counter() - start
            memory.running = False
            with open_store(root / SLUG) as store:
                stored = store.count("answers") - before - len(result["save"])
            print(f"100 respondents over an hour compressed to {took:.0f} s: {confirmed} saves confirmed, "
                  f"{stored} rows stored ({'nothing lost' if stored == confirmed else 'LOST ANSWERS'})")
            print(f"  save confirmed:                {summary(saves)}")
            print(f"  server memory, peak:           {memory.peak / 2**20:.0f} MB")
        finally:
            server.terminate()
            server.wait(timeout=20)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
