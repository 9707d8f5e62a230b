"""Shared fixtures: a private copy of the framework to break, and a CLI runner."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
import typer
import typer.testing
from typer.testing import CliRunner

from dsm_assess.cli import app
from dsm_assess.framework.model import default_questionnaires, load_framework

KIT_QUESTIONNAIRES = default_questionnaires()


@pytest.fixture(scope="session")
def fw():
    """The shipped framework and bank, loaded once."""
    return load_framework(KIT_QUESTIONNAIRES)


FIXTURES = Path(__file__).parent / "fixtures"


def _earlier_bank(dest: Path, version: str):
    """The kit's framework with an earlier question bank kept as a fixture (no initiative library)."""
    from dsm_assess.framework.model import read_framework

    shutil.copytree(KIT_QUESTIONNAIRES / "framework", dest / "framework")
    shutil.copytree(FIXTURES / f"bank-{version}" / "bank", dest / "bank")
    framework, problems = read_framework(dest)
    assert framework is not None, problems
    return framework


@pytest.fixture(scope="session")
def fw1(tmp_path_factory):
    """The 1.x bank: three criteria per subject and level, for hand-worked examples that must not
    move when the shipped bank changes, and for engagements answered on an earlier bank."""
    return _earlier_bank(tmp_path_factory.mktemp("bank-1"), "1.0")


@pytest.fixture(scope="session")
def fw2(tmp_path_factory):
    """The 2.0 bank, which the demo was answered on before bank 2.1."""
    return _earlier_bank(tmp_path_factory.mktemp("bank-2"), "2.0")


@pytest.fixture
def questionnaires(tmp_path: Path) -> Path:
    """A writable copy of the shipped questionnaires/ folder."""
    dest = tmp_path / "questionnaires"
    shutil.copytree(KIT_QUESTIONNAIRES, dest)
    return dest


def edit(path: Path, old: str, new: str) -> None:
    """Replace exactly one occurrence of `old` in a file (fails loudly if it is not there once)."""
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times in {path}"
    path.write_text(text.replace(old, new), encoding="utf-8")


# typer's test runner builds the whole command tree from the app on every invoke (about 60 ms of
# reading signatures), which `dsm-assess` pays once per process: build it once per test run.
_COMMANDS: dict[int, object] = {}


def _command_once(typer_app):
    if id(typer_app) not in _COMMANDS:
        _COMMANDS[id(typer_app)] = typer.main.get_command(typer_app)
    return _COMMANDS[id(typer_app)]


typer.testing._get_command = _command_once


@pytest.fixture
def cli():
    """Invoke the CLI in-process; returns click's Result (stdout and stderr kept apart)."""
    runner = CliRunner()

    def run(*args: str, **kwargs):
        return runner.invoke(app, [str(a) for a in args], **kwargs)

    return run


@pytest.fixture(scope="session")
def dsm_assess_process(tmp_path_factory):
    """`dsm-assess` as a command for tests that run it as processes of their own (many in a row,
    side by side, or to be interrupted): each forks from one kit already imported (tests/warm_cli.py), so all run
    with one hash seed (this process's, as xdist sets it, or 0)."""
    from .warm_cli import warm_cli

    seed = os.environ.get("PYTHONHASHSEED", "0")
    with warm_cli(tmp_path_factory.mktemp("warm"), {**os.environ, "PYTHONHASHSEED": seed}) as folder:
        yield [str(folder / "dsm-assess")]


SAM = "sam@acme.example.com"
PAT = "pat@acme.example.com"


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """An empty engagements root."""
    path = tmp_path / "engagements"
    path.mkdir()
    return path


def _make_acme(fw, root: Path) -> None:
    from dsm_assess.engagement.edit import add_respondent, new_engagement
    from dsm_assess.engagement.spec import engagement_dir
    from dsm_assess.store.backend import init_store

    new_engagement(fw, "acme", "Acme Ltd", "quick-scan", root=root)
    add_respondent(fw, "acme", "Sam Desk", SAM, "service desk lead", ["PR.INC", "PR.SDK", "PR.SRM"], root)
    add_respondent(fw, "acme", "Pat Ops", PAT, "operations manager", [], root)
    init_store(engagement_dir("acme", root), "acme")  # as `engagement new` does (in the team store if in force)


@pytest.fixture(scope="session")
def _acme_made(tmp_path_factory):
    """`acme` made once per framework (a module may test on another bank), in its own store file:
    most tests start from a copy of it."""
    made: dict[int, tuple[object, Path]] = {}  # the framework kept with it: its id stays its own

    def made_with(fw) -> Path:
        if id(fw) not in made:
            root = tmp_path_factory.mktemp("acme") / "engagements"
            with pytest.MonkeyPatch.context() as m:  # whichever test asks first, perhaps one with a team store
                m.delenv("DSM_ASSESS_STORE", raising=False)
                _make_acme(fw, root)
            made[id(fw)] = (fw, root / "acme")
        return made[id(fw)][1]

    return made_with


@pytest.fixture
def acme(fw, root, _acme_made):
    """Engagement `acme` (quick scan) with two respondents: Sam answers three subjects, Pat all."""
    from dsm_assess.engagement.spec import load_engagement

    if os.environ.get("DSM_ASSESS_STORE"):  # the team store in force: the engagement is made in it
        _make_acme(fw, root)
    else:
        shutil.copytree(_acme_made(fw), root / "acme")
    return load_engagement("acme", root, fw)


def export_book(fw, eng, email: str, out_dir: Path, root: Path, prefill=None) -> Path:
    """A respondent's questionnaire, exported and recorded as sent (so that it is admitted back)."""
    from dsm_assess.capture.intake import export_questionnaire
    from dsm_assess.engagement.spec import engagement_dir
    from dsm_assess.store.backend import open_store

    with open_store(engagement_dir(eng.slug, root), eng.slug) as store:
        return export_questionnaire(fw, eng, eng.respondent(email), out_dir, store, prefill)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """In CI (which installs every tool the tests need), a test skipped because a tool is not
    installed has verified nothing: report it as a failure instead."""
    outcome = yield
    report = outcome.get_result()
    if os.environ.get("CI") and report.skipped and "not installed" in str(report.longrepr):
        report.outcome = "failed"
        report.longrepr = f"skipped in CI, where every tool is installed: {report.longrepr}"


def once_per_run(tmp_path_factory, name: str, build):
    """`build(folder)`, which returns JSON-able data, run once per test run: under xdist the first
    worker to ask builds it in a folder all workers see, the others wait for it and read the same
    result. The pipelines behind it take a while; nothing a test changes may live in that folder."""
    import fcntl
    import json
    import tempfile

    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return build(tmp_path_factory.mktemp(name))
    shared = tmp_path_factory.getbasetemp().parent
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        done = shared / f"{name}.json"
        if not done.exists():
            done.write_text(json.dumps(build(Path(tempfile.mkdtemp(prefix=f"{name}-", dir=shared)))),
                            encoding="utf-8")
        return json.loads(done.read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def made_demo(tmp_path_factory):
    """One `python -m dsm_assess.demo.run` (what `make demo` runs) in a copy of the project, once
    per test run: (the copy, its exit code, stdout, stderr). Its engagements and reports are read
    by the demo, report, layout and evidence tests; a test that changes them works on a copy."""
    import subprocess
    import sys

    from tests.test_demo import PROJECT, project_copy

    if shutil.which("git") is None or not (PROJECT / ".git").exists():
        pytest.skip("not a git checkout")

    def build(base: Path):
        copy = project_copy(base / "clone")
        # as a user's shell, with the kit's cache of this run: the demo's plan is solved once, here
        env = {"PATH": str(Path(sys.executable).parent) + ":/usr/bin:/bin", "HOME": str(copy),
               "XDG_CACHE_HOME": os.environ.get("XDG_CACHE_HOME", str(Path.home() / ".cache"))}
        result = subprocess.run([sys.executable, "-m", "dsm_assess.demo.run"], cwd=copy, capture_output=True,
                                text=True, timeout=900, env=env)
        return str(copy), result.returncode, result.stdout, result.stderr

    copy, code, out, err = once_per_run(tmp_path_factory, "made-demo", build)
    return Path(copy), code, out, err


@pytest.fixture(scope="session")
def demo_rendered(made_demo, tmp_path_factory):
    """The demo's full and executive reports (of `made_demo`) rendered to PDF by LibreOffice once
    per test run. Returns (root, out folder, {audience: docx}, {audience: [page text, ...]});
    skips without soffice."""
    if shutil.which("soffice") is None or shutil.which("pdftotext") is None:
        pytest.skip("LibreOffice (soffice) or poppler (pdftotext) is not installed (apt-get install "
                    "libreoffice-writer-nogui poppler-utils)")
    from dsm_assess.deliver.pdf import available
    if not available():
        pytest.skip("LibreOffice's Python bridge is not installed (apt-get install python3-uno)")
    copy, code, _, err = made_demo
    assert code == 0, err[-3000:]
    root, out = copy / "engagements", copy / "reports" / "demo"
    docs = {a: out / f"demo-{a}.docx" for a in ("full", "executive")}
    pages = once_per_run(tmp_path_factory, "demo-rendered", lambda _: _render(docs))
    return root, out, docs, pages


def _render(docs: dict[str, Path]) -> dict[str, list[str]]:
    """Each report as a PDF beside it, and the text of its pages."""
    import subprocess

    from dsm_assess.deliver.pdf import to_pdf

    pages = {}
    for audience, docx in docs.items():
        to_pdf(docx)
        text = subprocess.run(["pdftotext", "-layout", str(docx.with_suffix(".pdf")), "-"], capture_output=True,
                              text=True, check=True).stdout
        pages[audience] = text.split("\f")[:-1] if text.endswith("\f") else text.split("\f")
    return pages


@pytest.fixture(scope="session")
def pg_cluster():
    """A PostgreSQL cluster of this test run (tests/pgcluster.py), stopped at the end; tests
    that need it are skipped where PostgreSQL is not installed."""
    from tests.pgcluster import start_cluster

    try:
        cluster = start_cluster()
    except RuntimeError as exc:
        pytest.skip(str(exc))
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_store(pg_cluster, monkeypatch):
    """A fresh team-store database for one test (its owner `dsm_admin`), in force through
    $DSM_ASSESS_STORE; returns its URL."""
    import uuid

    name = f"t{uuid.uuid4().hex[:12]}"
    pg_cluster.psql(f"CREATE DATABASE {name} OWNER dsm_admin")
    url = pg_cluster.url(database=name)
    monkeypatch.setenv("DSM_ASSESS_STORE", url)
    yield url
    pg_cluster.psql(f"DROP DATABASE {name} WITH (FORCE)")


# The modules with the longest tests (whole pipelines in a project copy, notebooks, a wheel in a fresh
# venv, Dask, planning searches) go first, each in its own order: under `-n auto --dist worksteal`
# a worker starts on them at once and the other takes the many short tests, so none of the long
# ones starts near the end of the run and leaves a worker idle.
LONG_FIRST = ("test_readme", "test_demo", "test_notebooks", "test_package", "test_batch", "test_store_copy",
              "test_planning")


def pytest_collection_modifyitems(config, items):
    def rank(item):
        name = item.path.stem if hasattr(item, "path") else ""
        return LONG_FIRST.index(name) if name in LONG_FIRST else len(LONG_FIRST)

    items.sort(key=rank)  # stable: the order within a module, and of the other modules, is kept


def pytest_collection_finish(session):
    """Less garbage collection in the test processes: the modules, fixtures and frameworks loaded by
    now live to the end, so they are frozen out of every collection, and collections run less often.
    Collecting took about a seventh of the tests' time (measured with gc.callbacks): as much as the
    frameworks and tables the tests build make the collector walk. Only speed changes, not what runs."""
    import gc

    gc.freeze()
    gc.set_threshold(20_000, 20, 20)
