"""Batch regeneration: every report, failures kept apart, resumable, incremental, on Dask too."""

from __future__ import annotations

import json
import os
import shutil
import unittest.mock

import pytest

from dsm_assess import batch
from dsm_assess.demo.generate import generate_engagement

pytestmark = pytest.mark.e2e  # the whole pipeline: `pytest -m "not e2e"` leaves it out


@pytest.fixture(scope="module")
def clients(tmp_path_factory, fw):
    root = tmp_path_factory.mktemp("batch") / "engagements"
    for i, slug in enumerate(("alpha", "bravo", "charlie")):
        generate_engagement(fw, slug, respondents=2, seed=i, profile="quick-scan", client=f"Client {slug}",
                            root=root)
    return root


@pytest.fixture(scope="module")
def batched(clients, tmp_path_factory):
    """The three clients (a copy) run once by a local batch of one job; the tests only read its
    outcomes and outputs (and the Dask test runs the same batch again beside them)."""
    base = tmp_path_factory.mktemp("batched")
    root = copy(clients, base)
    return root, base / "local", batch.run(batch.tasks_for([str(root)], None, base / "local"), jobs=1)


def copy(clients, tmp_path):
    root = tmp_path / "engagements"
    shutil.copytree(clients, root)
    return root


def test_every_report_is_written_and_a_broken_engagement_fails_alone(cli, clients, tmp_path):
    root = copy(clients, tmp_path)
    (root / "bravo" / "engagement.yaml").write_text("client: [unclosed\n", encoding="utf-8")
    result = cli("batch", root, "--out-dir", tmp_path / "out", "--jobs", "2")
    assert result.exit_code == 1
    lines = result.stdout.splitlines() + result.stderr.splitlines()
    bravo = next(line for line in lines if line.startswith("bravo"))
    assert "failed" in bravo and "bravo/engagement.yaml:2: YAML syntax error" in bravo
    for slug in ("alpha", "charlie"):
        assert (tmp_path / "out" / slug / f"{slug}-full.docx").is_file()
        assert json.loads((tmp_path / "out" / slug / "manifest.json").read_text())["outputs"] == [f"{slug}-full.docx"]
    assert not (tmp_path / "out" / "bravo" / "bravo-full.docx").exists()
    assert "2 done, 0 skipped, 1 failed" in result.stdout


def test_a_second_run_skips_all_and_a_change_regenerates_only_that_one(cli, batched, tmp_path):
    done_root, done_out, first = batched  # the first run, which wrote every report
    assert [(o.slug, o.status) for o in first] == [("alpha", "done"), ("bravo", "done"), ("charlie", "done")]
    root, out = tmp_path / "engagements", tmp_path / "out"  # a copy of its engagements and outputs
    shutil.copytree(done_root, root)
    shutil.copytree(done_out, out)
    again = json.loads(cli("batch", root, "--out-dir", out, "--json", "--jobs", "1").stdout)
    assert (again["done"], again["skipped"]) == ([], ["alpha", "bravo", "charlie"])
    assert cli("target", "set", "bravo", "PR.INC", "5", "--reason", "board", "--root", root).exit_code == 0
    third = json.loads(cli("batch", root, "--out-dir", out, "--json", "--jobs", "1").stdout)
    assert (third["done"], third["skipped"]) == (["bravo"], ["alpha", "charlie"])
    forced = json.loads(cli("batch", "alpha", "--root", root, "--out-dir", out, "--json", "--force").stdout)
    assert forced["done"] == ["alpha"]


def test_a_task_failing_mid_write_leaves_the_previous_report_and_manifest(clients, tmp_path, monkeypatch):
    root = copy(clients, tmp_path)
    [task] = batch.tasks_for(["alpha"], root, tmp_path / "out")
    assert batch.run_task(task).status == "done"
    report, manifest = tmp_path / "out" / "alpha" / "alpha-full.docx", tmp_path / "out" / "alpha" / "manifest.json"
    before = (report.read_bytes(), manifest.read_bytes())

    def dies(self, *args, **kwargs):
        raise OSError("disk full while writing")

    from docx.document import Document
    monkeypatch.setattr(Document, "save", dies)
    outcome = batch.run_task(batch.Task(**{**task.__dict__, "force": True}))
    assert outcome.status == "failed" and "disk full" in outcome.error
    assert (report.read_bytes(), manifest.read_bytes()) == before
    assert sorted(p.name for p in report.parent.iterdir()) == ["alpha-full.docx", "manifest.json"]


def test_one_engagements_data_never_appears_in_anothers_report(batched):
    from docx import Document
    _, out, _ = batched
    text = "\n".join(p.text for p in Document(out / "alpha" / "alpha-full.docx").paragraphs)
    assert "Client alpha" in text and "Client bravo" not in text and "Client charlie" not in text


def test_the_same_batch_on_a_dask_cluster_gives_the_same_outputs(batched, tmp_path):
    distributed = pytest.importorskip("distributed")
    root, local_out, local = batched
    # Dask sets PYTHONHASHSEED in this process's environment for its workers: put back afterwards,
    # or every later process this test process starts would inherit it
    with unittest.mock.patch.dict(os.environ), \
            distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,  # a process of its own
                                     dashboard_address=None) as lc:
        remote = batch.run(batch.tasks_for([str(root)], None, tmp_path / "dask"), executor="dask",
                           scheduler=lc.scheduler_address)
    assert [o.status for o in remote] == ["done"] * 3
    assert [o.outputs for o in remote] == [o.outputs for o in local]
    for slug in ("alpha", "bravo", "charlie"):
        a = json.loads((local_out / slug / "manifest.json").read_text())
        b = json.loads((tmp_path / "dask" / slug / "manifest.json").read_text())
        assert a["inputs"] == b["inputs"] and a["outputs"] == b["outputs"]


def _dies_on_b(task):
    """A worker that is killed outright while it runs engagement `b`; the others finish."""
    import os
    import signal

    from dsm_assess.batch import Outcome

    if task.slug == "b":
        os.kill(os.getpid(), signal.SIGKILL)
    return Outcome(task.slug, "done", [f"{task.slug}.docx"])


def test_a_killed_worker_fails_its_engagement_only(tmp_path, monkeypatch):
    from dsm_assess import batch

    monkeypatch.setattr(batch, "run_task", _dies_on_b)
    tasks = [batch.Task(slug, str(tmp_path), str(tmp_path / slug)) for slug in ("a", "b", "c", "d")]
    outcomes = batch.run(tasks, jobs=2)
    assert [(o.slug, o.status) for o in outcomes] == [("a", "done"), ("b", "failed"), ("c", "done"), ("d", "done")]
    assert "killed by signal 9" in outcomes[1].error
    assert batch.summary(outcomes)["failed"] == ["b"]


def test_partial_files_of_killed_runs_are_removed_by_the_next_run(clients, tmp_path):
    root = copy(clients, tmp_path)
    [task] = batch.tasks_for(["alpha"], root, tmp_path / "out")
    folder = tmp_path / "out" / "alpha"
    folder.mkdir(parents=True)
    dead = folder / ".alpha-full.docx.4194999.k2j3h4"  # no process has this id (above Linux's largest)
    mine = folder / f".alpha-full.docx.{os.getpid()}.x9y8z7"  # a run still writing keeps its file
    unnamed = folder / ".alpha-full.docx.q7w8e9"  # from a kit that did not name the process
    for path in (dead, mine, unnamed):
        path.write_bytes(b"PK partial")
    assert batch.run_task(task).status == "done"
    assert not dead.exists() and not unnamed.exists() and mine.exists()


SLOW_BATCH = """
import os, sys, time
from pathlib import Path
from dsm_assess import batch

def slow(task):
    (Path(sys.argv[1]) / f"{os.getpid()}.pid").write_text(task.slug)
    time.sleep(120)

batch.run_task = slow
batch.run([batch.Task(s, ".", ".") for s in "abcd"], jobs=2)
"""


def test_sigterm_stops_every_worker_the_batch_started(tmp_path):
    import signal
    import subprocess
    import sys
    import time

    script = tmp_path / "slow_batch.py"
    script.write_text(SLOW_BATCH, encoding="utf-8")
    proc = subprocess.Popen([sys.executable, str(script), str(tmp_path)], env={**os.environ},
                            stderr=subprocess.DEVNULL)
    for _ in range(600):  # until both workers have started
        if len(list(tmp_path.glob("*.pid"))) == 2:
            break
        time.sleep(0.1)
    workers = [int(p.stem) for p in tmp_path.glob("*.pid")]
    assert len(workers) == 2
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(60) != 0
    for pid in workers:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert len(list(tmp_path.glob("*.pid"))) == 2  # no further worker was started
