"""The team store under load and faults, on a real server: processes importing and answering at
once lose nothing, a client killed mid-transaction leaves no partial file, a server restart is
one clear line and the rerun finishes the job."""

from __future__ import annotations

import subprocess
import sys

import openpyxl
import pytest

from dsm_assess.core.errors import DsmError
from dsm_assess.engagement.spec import engagement_dir
from dsm_assess.store.backend import open_store

from .conftest import PAT, SAM, export_book

FORM = """
import sys
from pathlib import Path
from dsm_assess.form import WorkshopForm
root, who, subject = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
form = WorkshopForm("acme", root)
criteria = [c for c in form.eng.criteria_for(form.fw) if c.startswith(subject + ".")][:8]
for cid in criteria:
    assert form.answer(cid, "L", who=who, evidence=f"seen {cid}"), form.message.value
print(len(criteria))
"""


def _book(fw, eng, root, tmp_path, email, sheet, rating, name):
    path = export_book(fw, eng, email, tmp_path / name, root)
    wb = openpyxl.load_workbook(path)
    for r in range(4, 8):
        wb[sheet][f"E{r}"] = rating
    wb.save(path)
    return path


def _audit_rows(root) -> int:
    """Audit rows so far (setting the engagement up records its own)."""
    with open_store(engagement_dir("acme", root), "acme") as store:
        return store.count("audit")


def test_six_processes_importing_and_answering_at_once_lose_nothing(pg_store, fw, acme, root, tmp_path,
                                                                   dsm_assess_process):
    set_up = _audit_rows(root)
    a = _book(fw, acme, root, tmp_path, SAM, "PR.INC", "F", "a")
    b = _book(fw, acme, root, tmp_path, PAT, "PR.ARC", "L", "b")
    c = _book(fw, acme, root, tmp_path, PAT, "PR.INC", "P", "c")
    cli = [*dsm_assess_process, "questionnaire", "import", "acme", "--root", str(root)]
    form = [sys.executable, "-c", FORM, str(root)]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for cmd in ([*cli, str(a)], [*cli, str(b)], [*cli, str(a)], [*cli, str(c)],
                         [*form, SAM, "PR.SDK"], [*form, SAM, "PR.SRM"])]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0] * 6, [o[1][-1500:] for o in outs]
    formed = int(outs[4][0]) + int(outs[5][0])
    assert formed >= 6  # every criterion of two subjects in the quick scan, up to 8 each
    with open_store(engagement_dir("acme", root), "acme") as store:
        assert sorted(store.imports()["file_name"]) == sorted(p.name for p in (a, b, c))  # a stored once
        history = store.history()
        assert len(history) == 3 * 4 + formed
        assert history.groupby("source").size().to_dict() == {"workbook": 12, "form": formed}
        got = store.current_answers()
        by = got.groupby(["respondent"]).size().to_dict()
        assert by == {SAM: 4 + formed, PAT: 8}
        assert set(got.loc[got["respondent"] == SAM, "evidence"].dropna()) == {
            f"seen {cid}" for cid in history.loc[history["source"] == "form", "criterion_id"]}
        # per import: stored + answers; the tokens; the form's saves
        assert store.count("audit") == set_up + 3 * 2 + 3 + formed
    inbox = engagement_dir("acme", root) / "inbox"
    assert len([p for p in inbox.iterdir() if not p.name.startswith(".")]) == 3


KILLED = """
import os, signal, sys
from pathlib import Path
from dsm_assess.capture import intake as capture
from dsm_assess.store import base
from dsm_assess.store.backend import open_store
from dsm_assess.engagement.spec import engagement_dir, load_engagement
from dsm_assess.framework.model import load_framework

root, path = Path(sys.argv[1]), Path(sys.argv[2])
real = base.Store.record_answers
def half_then_die(self, answers, **kw):  # the import row and some answers are in, uncommitted
    real(self, list(answers)[:2], **kw)
    os.kill(os.getpid(), signal.SIGKILL)
base.Store.record_answers = half_then_die
fw = load_framework()
eng = load_engagement("acme", root, fw)
with open_store(engagement_dir("acme", root), "acme") as st:
    capture.import_file(path, fw, eng, st, "workbook", root)
"""


def test_a_client_killed_mid_transaction_leaves_no_partial_file(pg_store, fw, acme, root, tmp_path):
    from dsm_assess.capture.intake import import_file

    set_up = _audit_rows(root)
    book = _book(fw, acme, root, tmp_path, SAM, "PR.INC", "F", "a")
    proc = subprocess.run([sys.executable, "-c", KILLED, str(root), str(book)], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == -9, proc.stderr
    with open_store(engagement_dir("acme", root), "acme") as store:
        assert store.count("imports") == 0 and store.count("answers") == 0
        assert store.count("audit") == set_up + 1  # the token issued before; nothing of the import
        again = import_file(book, fw, acme, store, "workbook", root)  # the lock died with the client
        assert again.outcome == "stored" and store.count("answers") == 4


def test_a_server_restart_is_one_clear_line_and_the_rerun_finishes(pg_cluster, pg_store, fw, acme, root, tmp_path,
                                                                    cli):
    from dsm_assess.capture.intake import import_files

    books = [_book(fw, acme, root, tmp_path, who, sheet, "L", f"b{i}")
             for i, (who, sheet) in enumerate([(SAM, "PR.INC"), (PAT, "PR.ARC"), (PAT, "PR.INC")])]
    with open_store(engagement_dir("acme", root), "acme") as store:
        outcomes = import_files(books, fw, acme, store, "workbook", root, workers=1)
        assert next(outcomes).outcome == "stored"
        pg_cluster.restart()  # mid-batch
        with pytest.raises(DsmError) as exc:
            list(outcomes)
    message = str(exc.value)
    assert "\n" not in message and "lost the connection to the team store, database" in message
    assert "run the command again" in message
    result = cli("questionnaire", "import", "acme", "--root", root, *books)  # the rerun
    assert result.exit_code == 0, result.stderr
    with open_store(engagement_dir("acme", root), "acme") as store:
        assert store.imports()["outcome"].tolist() == ["stored"] * 3
        assert store.count("answers") == 12


def test_an_unreachable_server_is_one_line_from_any_command(cli, acme, root, monkeypatch):
    monkeypatch.setenv("DSM_ASSESS_STORE", "postgresql://kit@/firm?host=/nonexistent-socket-folder")
    result = cli("score", "acme", "--root", root)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert lines[0].startswith("error: cannot connect to the team store, database firm on /nonexistent-socket-folder")


def _waiting_on_a_lock(url: str) -> int:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock'").fetchone()[0]


def _report_parts(out, slug) -> dict[str, bytes]:
    """A report's parts, but for the package's own dates (when the file was written)."""
    import zipfile

    with zipfile.ZipFile(out / slug / f"{slug}-executive.docx") as z:
        return {name: z.read(name) for name in z.namelist() if name != "docProps/core.xml"}


def test_a_server_restart_mid_batch_fails_what_was_running_and_the_rerun_finishes_every_report(
        pg_cluster, pg_store, fw, tmp_path, dsm_assess_process):
    import json
    import time

    import psycopg

    from dsm_assess.demo.generate import generate_engagement

    root = tmp_path / "engagements"
    slugs = ("alpha", "bravo", "charlie")
    for i, slug in enumerate(slugs):  # their answers in the team store, their settings in their folders
        generate_engagement(fw, slug, respondents=2, seed=i, profile="screening", client=f"Client {slug}", root=root)

    def batch(out, *args):
        # every run with one hash seed (dsm_assess_process), so that nothing but the restart differs
        return subprocess.Popen([*dsm_assess_process, "batch", str(root), "--audience", "executive",
                                 "--out-dir", str(out), *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)

    calm = batch(tmp_path / "calm", "--jobs", "1")
    assert calm.wait(300) == 0, calm.communicate()[1]  # uninterrupted

    out = tmp_path / "out"
    holder = psycopg.connect(pg_store)  # a transaction that keeps every reader of answers waiting
    holder.execute("LOCK TABLE answers IN ACCESS EXCLUSIVE MODE")
    proc = batch(out, "--jobs", "2")
    for _ in range(600):  # until both workers are in the middle of an engagement
        if _waiting_on_a_lock(pg_store) == 2:
            break
        time.sleep(0.1)
    assert _waiting_on_a_lock(pg_store) == 2
    pg_cluster.restart()
    holder.close()
    stdout, stderr = proc.communicate(timeout=300)

    assert proc.returncode == 1 and "Traceback" not in stderr, stderr
    lines = [part.strip() for line in (stdout + stderr).splitlines() for part in line.split("\r")]
    failed = {words[0]: line for line in lines if (words := line.split())[:1] and words[0] in slugs
              and words[1] == "failed"}
    assert {"alpha", "bravo"} <= set(failed)  # the two that were running; charlie may have started too soon
    for line in failed.values():  # one line each: what happened, where, what to do
        assert "the team store, database" in line and ("run the command again" in line or "check that" in line)
    rerun = batch(out, "--json")
    report = json.loads(rerun.communicate(timeout=300)[0])
    assert (sorted(report["done"]), report["failed"]) == (sorted(failed), [])
    assert sorted(report["done"] + report["skipped"]) == sorted(slugs)
    for slug in slugs:  # the same reports as the uninterrupted run, from the same inputs
        before = json.loads((tmp_path / "calm" / slug / "manifest.json").read_text())
        after = json.loads((out / slug / "manifest.json").read_text())
        assert (after["inputs"], after["outputs"]) == (before["inputs"], before["outputs"])
        assert _report_parts(out, slug) == _report_parts(tmp_path / "calm", slug)
