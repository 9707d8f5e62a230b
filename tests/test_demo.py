"""`make demo` end to end, in a temporary copy of the project: the committed demo engagement is
imported into a fresh store, scored, planned, design-checked and reported, and the reports say
what the demo data implies."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest
from docx import Document

from dsm_assess.demo import run as demo
from dsm_assess.demo.data import AGREED, contested
from dsm_assess.scoring.assessment import load_assessment
from dsm_assess.store.sqlite import open_store

pytestmark = pytest.mark.e2e  # the whole pipeline: `pytest -m "not e2e"` leaves it out

PROJECT = Path(__file__).resolve().parent.parent


def project_copy(dest: Path) -> Path:
    """The project's files as a fresh clone would have them (tracked and new, never ignored ones)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=PROJECT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = PROJECT / name
        (dest / name).parent.mkdir(parents=True, exist_ok=True)
        if source.is_symlink():  # the package's links to the files it ships
            (dest / name).symlink_to(os.readlink(source))
        elif source.is_file():
            shutil.copy2(source, dest / name)
    return dest


@pytest.fixture(scope="module")
def run(made_demo):
    """The test run's one `make demo` (conftest.made_demo): the project copy and its result."""
    copy, code, out, err = made_demo
    return copy, subprocess.CompletedProcess([], code, out, err)


def text_of(path: Path) -> str:
    doc = Document(str(path))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


def test_make_demo_runs_cleanly_and_says_where_everything_is(run):
    copy, result = run
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert result.stderr == ""                                   # no warning, no traceback
    out = result.stdout
    for written in ("reports/demo/demo-full.docx", "reports/demo/demo-executive.docx",
                    "reports/demo/demo-backlog.xlsx", "reports/demo/03_assessment_and_roadmap.ipynb"):
        assert written in out and (copy / written).is_file(), written
    assert "Headline: mean score" in out and "Top gaps:" in out and "initiatives in 4 waves" in out


def test_the_demos_kernel_is_shut_down_without_a_ctrl_c(tmp_path, monkeypatch):
    # jupyter_client interrupts a kernel before it asks it to shut down; a kernel still tidying up
    # after the last cell logs that as an error on `make demo`'s stderr (seen on a loaded machine)
    import asyncio

    from jupyter_client.manager import AsyncKernelManager

    sent = []

    async def interrupt(self):
        sent.append(self.shutting_down)

    monkeypatch.setattr(AsyncKernelManager, "_async_interrupt_kernel", interrupt)
    manager = demo.kernel_manager(str(tmp_path))()
    assert (manager.transport, manager.ip) == ("ipc", str(tmp_path / "kernel"))
    for shutting_down in (False, True):  # a user's interrupt still reaches the kernel; shutting down does not
        manager.shutting_down = shutting_down
        asyncio.run(manager._async_interrupt_kernel())
    assert sent == [False]


def test_the_summary_quoted_in_the_readme_is_what_the_demo_prints(run):
    readme = (PROJECT / "README.md").read_text()
    quoted = re.search(r"```\n(Headline: .*?)```", readme, re.S).group(1).splitlines()
    printed = run[1].stdout.splitlines()
    for line in quoted:   # a line ending in " ..." is shortened in the README
        assert any(p == line or line.endswith(" ...") and p.startswith(line[:-4]) for p in printed), line


def test_the_answers_come_from_returned_workbooks_and_one_workshop_with_the_patterns_of_a_real_client(run, fw):
    copy, _ = run
    root = copy / "engagements"
    with open_store(root / "demo", "demo") as store:
        history, current, consensus = store.history(), store.current_answers(), store.consensus()
    assert set(history["source"]) == {"workbook", "form"}
    assert history.loc[history["source"].eq("workbook"), "respondent"].nunique() >= 8
    assert history["withdrawn"].sum() == 1                      # the corrected workbook withdrew one answer
    assert len(consensus) == AGREED
    assert current["rating"].eq("NA").any() and current.loc[current["rating"].eq("NA"), "na_reason"].notna().all()
    assert current["rating"].eq("DK").any()
    a = load_assessment("demo", root)
    h = a.scores.headline
    assert h["unsupported"] > 0 and h["resolved_disagreements"] == AGREED
    disputed, crit = contested(fw, a.engagement), a.scores.criteria.set_index("id")
    assert crit.loc[disputed[:AGREED], "resolved"].all()        # settled by the workshop's consensus
    assert crit.loc[disputed[AGREED:], "disagreement"].all() and h["disagreements"] >= len(disputed) - AGREED
    s = a.scores.subjects.set_index("id")
    assert s.loc["PR.INC", "score"] > s["score"].median() and s.loc["PR.SDK", "score"] > s["score"].median()
    assert s.loc["PR.PFM", "score"] < s["score"].median() and s.loc["PR.MR", "score"] < s["score"].median()
    asked = set(a.engagement.criteria_for(fw))
    assert all(c.id in asked for c in fw.criteria if c.subject in a.engagement.full_depth)
    arc_quick = next(i for i in fw.profiles["quick-scan"] if i.startswith("PR.ARC.L3"))
    assert arc_quick in asked and sum(c.subject == "PR.ARC" for c in fw.criteria) > sum(
        i.startswith("PR.ARC.") for i in asked)                 # quick scan elsewhere


def test_the_executive_gaps_are_the_highest_priorities_and_hold_the_weakest_practice(run):
    copy, _ = run
    a = load_assessment("demo", copy / "engagements")
    s = a.scores.subjects.set_index("name")
    doc = Document(str(copy / "reports/demo/demo-executive.docx"))
    [gaps] = [t for t in doc.tables if [c.text for c in t.rows[0].cells][:3] == ["Subject", "Level", "Score"]]
    listed = [row.cells[0].text for row in gaps.rows[1:]]  # by name: the client reads no ids
    priority = s.loc[listed, "priority_score"].tolist()
    assert priority == sorted(priority, reverse=True)      # the gaps that matter most, first
    assert set(s.index[s["priority_score"].gt(priority[-1])]) <= set(listed)  # none higher left out
    with_gap = s[s["kind"].eq("practice") & s["gap"].fillna(0).gt(0)]
    assert with_gap["score"].idxmin() in listed


def test_the_deliberate_operating_model_flaws_are_among_the_findings_of_the_full_report(run, cli):
    copy, _ = run
    result = cli("tom", "check", "demo", "--root", copy / "engagements", "--json")
    assert result.exit_code == 1
    found = {(f["rule"], f["where"]) for f in json.loads(result.stdout)["findings"]}
    assert ("live-governance", "tom.controls.CTL.GOVERNANCE.STG.LIVE") in found
    assert any(rule == "outsourced-agreement" and where.startswith("tom.capabilities") for rule, where in found)
    # policies and standards left light in discovery and alpha: regulation binds at every stage
    assert {("control-minimum", f"tom.controls.CTL.POLICIES.{s}") for s in ("STG.DISCOVERY", "STG.ALPHA")} <= found
    full = text_of(copy / "reports/demo/demo-full.docx")
    assert "Design findings" in full
    # a sentence, capitalised
    assert "Capability 'Wide area network' is outsourced but has no underpinning contract (UC) with 'CountyNet'" in full
    assert "Policies and standards is optional at the Discovery stage but must be mandatory at every stage" in full
    assert "The remit of the IT service manager is our own judgement, not the ITSPM framework's." in full
    assert "Governance is optional for live products" in full
    assert "tom." not in full  # what is wrong, not where in the consultant's file


def test_the_full_report_shows_progress_since_the_assessment_a_year_before(run):
    copy, _ = run
    full = text_of(copy / "reports/demo/demo-full.docx")
    assert "Progress since the previous assessment (January 2025)" in full and "demo-2025" not in full
    before = load_assessment("demo-2025", copy / "engagements").scores.headline["score"]
    now = load_assessment("demo", copy / "engagements").scores.headline["score"]
    assert now > before


def test_running_the_demo_again_stores_nothing_twice_and_gives_the_same_report(run, tmp_path, monkeypatch):
    copy, _ = run
    root = tmp_path / "engagements"  # the run's engagements, stores and all (other tests read the run's own)
    shutil.copytree(copy / "engagements", root)
    monkeypatch.chdir(copy)

    def stored():
        with open_store(root / "demo", "demo") as store:
            return store.count("answers"), store.current_answers(), store.count("consensus")

    count, current, agreed = stored()
    again = demo.run(root, tmp_path / "reports", notebook=False)
    count2, current2, agreed2 = stored()
    assert (count2, agreed2) == (count, agreed)
    assert not current2.duplicated(["respondent", "criterion_id"]).any()
    assert current2.equals(current)
    assert parts(again.reports["executive"]) == parts(copy / "reports/demo/demo-executive.docx")


def parts(docx: Path) -> dict[str, bytes]:
    """A Word file's parts (the zip's entry dates are the time of writing, not the content)."""
    with zipfile.ZipFile(docx) as z:
        return {name: z.read(name) for name in z.namelist()}
