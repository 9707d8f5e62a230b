"""Regenerate every client's report: in parallel, resumable, on one machine or a Dask cluster.

One task per engagement runs the whole pipeline (score, TOM check, charts, report; or notebook
03 through papermill) and opens only its own engagement folder. A manifest in each output folder
records the hash of everything the outputs depend on (the engagement's answers and settings,
the framework and bank, the methodology, the template and brand, the kit's version); an
engagement whose inputs have not changed since its last good run is skipped unless forced.
Reports are written atomically, so a run killed half-way leaves each report either old and
complete or new and complete, and running again finishes only what is missing.
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from importlib.metadata import version
from pathlib import Path

from dsm_assess.core.errors import DsmError
from dsm_assess.core.paths import engagements_root, notebook_03, questionnaires_dir, reports_dir
from dsm_assess.engagement.spec import engagement_dir, engagement_file
from dsm_assess.scoring.rules import METHODOLOGY_VERSION

MANIFEST = "manifest.json"


@dataclass(frozen=True)
class Task:
    """One engagement to regenerate (everything a worker needs, picklable)."""

    slug: str
    root: str
    out_dir: str
    audiences: tuple[str, ...] = ("full",)
    template: str | None = None
    via_notebook: bool = False
    force: bool = False


@dataclass
class Outcome:
    slug: str
    status: str                 # done, skipped or failed
    outputs: list[str] = field(default_factory=list)
    error: str = ""
    seconds: float = 0.0
    warnings: list[dict] = field(default_factory=list)  # readiness: {kind, message} each


def _digest_files(h, paths: Iterable[Path]) -> None:
    for path in sorted(paths):
        h.update(str(path.name).encode() + b"\0")
        h.update(path.read_bytes() if path.is_file() else b"(none)")


def inputs_hash(task: Task) -> str:
    """Everything an engagement's outputs depend on, as one hash."""
    from dsm_assess.core.paths import default_template
    from dsm_assess.store.backend import open_store

    h = hashlib.sha256()
    h.update(json.dumps({"kit": version("dsm-assess"), "methodology": METHODOLOGY_VERSION,
                         "audiences": task.audiences, "via_notebook": task.via_notebook}).encode())
    _digest_files(h, [engagement_file(task.slug, task.root)])
    with open_store(engagement_dir(task.slug, task.root), task.slug) as store:
        h.update(json.dumps(store.state()).encode())  # append-only: the last ids say what is stored
    _digest_files(h, questionnaires_dir().glob("*/**/*.yaml"))
    template = Path(task.template) if task.template else default_template()
    _digest_files(h, [template, template.with_name("brand.yaml")])
    if task.via_notebook:
        _digest_files(h, [notebook_03()])
    return h.hexdigest()


def _manifest(out: Path) -> dict:
    try:
        return json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def run_task(task: Task) -> Outcome:
    """Regenerate one engagement's outputs (in a worker process); never raises."""
    started = time.perf_counter()
    out = Path(task.out_dir)
    try:
        digest = inputs_hash(task)
        previous = _manifest(out)
        if (not task.force and previous.get("inputs") == digest
                and all((out / name).is_file() for name in previous.get("outputs", []))):
            return Outcome(task.slug, "skipped", previous["outputs"], seconds=time.perf_counter() - started,
                           warnings=previous.get("warnings", []))
        out.mkdir(parents=True, exist_ok=True)
        if task.via_notebook:
            from dsm_assess.deliver.readiness import check_engagement
            warnings = [c.as_dict() for c in check_engagement(task.slug, task.root)]
            outputs = _via_notebook(task, out)
        else:
            outputs, warnings = _direct(task, out)
        tmp = out / f".{MANIFEST}.{os.getpid()}.tmp"
        tmp.write_text(json.dumps({"slug": task.slug, "inputs": digest, "outputs": outputs,
                                   "warnings": warnings, "written_at": time.strftime("%Y-%m-%dT%H:%M:%S")},
                                  indent=2), encoding="utf-8")
        tmp.replace(out / MANIFEST)  # the manifest says "good" only once every output is in place
        return Outcome(task.slug, "done", outputs, seconds=time.perf_counter() - started, warnings=warnings)
    except Exception as exc:  # one engagement's failure never stops the others
        problems = getattr(exc, "problems", None)
        first = str(problems[0]) if problems else (str(exc).strip().splitlines() or [""])[0]
        kind = "" if isinstance(exc, DsmError) else f"{type(exc).__name__}: "
        return Outcome(task.slug, "failed", error=f"{kind}{first}", seconds=time.perf_counter() - started)


def _direct(task: Task, out: Path) -> tuple[list[str], list[dict]]:
    from dsm_assess.api import Engagement
    from dsm_assess.framework.model import load_framework

    e = Engagement(task.slug, task.root, framework=load_framework())  # memoised: once per worker process
    inputs = e.gather()
    warnings = [c.as_dict() for c in inputs.readiness()]
    return [e.report(audience, out, task.template, inputs=inputs).name for audience in task.audiences], warnings


def _via_notebook(task: Task, out: Path) -> list[str]:
    import papermill as pm

    written = []
    for audience in task.audiences:
        executed = out / f"{task.slug}-{audience}.ipynb"
        tmp = out / f".{executed.name}.tmp.ipynb"
        pm.execute_notebook(str(notebook_03()), str(tmp), progress_bar=False, cwd=str(notebook_03().parent),
                            parameters={"slug": task.slug, "root": task.root, "audience": audience,
                                        "output_dir": str(out), "template": task.template})
        tmp.replace(executed)
        written += [f"{task.slug}-{audience}.{'xlsx' if audience == 'backlog' else 'docx'}", executed.name]
    return written


# ---- running many ------------------------------------------------------------------------------

def tasks_for(targets: list[str], root: str | Path | None, out_dir: Path | None, **options) -> list[Task]:
    """Tasks for each target: a folder of engagements (every one in it), or an engagement slug."""
    tasks: list[Task] = []
    for target in targets or [str(engagements_root(root))]:
        path = Path(target)
        if path.is_dir() and not (path / "engagement.yaml").is_file():
            base = path
            slugs = sorted(p.name for p in path.iterdir() if (p / "engagement.yaml").is_file())
        else:
            base = engagements_root(root)
            if not engagement_file(target, base).is_file():
                raise DsmError(f"{target!r} is neither a folder of engagements nor an engagement under {base}")
            slugs = [target]
        for slug in slugs:
            out = (Path(out_dir) / slug) if out_dir else reports_dir(slug)
            tasks.append(Task(slug, str(base), str(out), **options))
    if not tasks:
        raise DsmError(f"no engagements to run in {', '.join(map(str, targets or [engagements_root(root)]))}: "
                       "each is a folder holding engagement.yaml")
    if len({t.slug for t in tasks}) != len(tasks):
        raise DsmError("two engagements with the same name: run them in separate batches")
    return tasks


def run(tasks: list[Task], jobs: int | None = None, executor: str = "local", scheduler: str | None = None,
        progress: Callable | None = None) -> list[Outcome]:
    """Run every task; `progress(outcome)` is called as each one finishes."""
    jobs = jobs or os.cpu_count() or 1
    if executor == "dask":
        return _run_dask(tasks, scheduler, progress)
    if executor != "local":
        raise DsmError(f"unknown executor {executor!r}: local or dask")
    if jobs == 1 or len(tasks) == 1:
        out = []
        for task in tasks:
            out.append(run_task(task))
            if progress:
                progress(out[-1])
        return out
    return _run_local(tasks, min(jobs, len(tasks)), progress)


def _child(task: Task, conn) -> None:
    """One engagement in its own worker process: its outcome goes back through `conn`."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        conn.send(run_task(task))
    finally:
        conn.close()


def _run_local(tasks: list[Task], jobs: int, progress) -> list[Outcome]:
    """Each task in a worker process of its own, `jobs` at a time.

    A worker that dies (killed, out of memory) fails its engagement only, named with the signal
    that stopped it, and the others go on. Ctrl-C or SIGTERM stops every worker started here
    before the batch ends, so none goes on writing reports.
    """
    import multiprocessing as mp
    from multiprocessing.connection import wait

    ctx = mp.get_context("fork")  # the framework and libraries loaded here are shared, not loaded again
    pending, running, results = list(tasks), {}, {}

    def stop(signum, frame):
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        while pending or running:
            while pending and len(running) < jobs:
                task = pending.pop(0)
                receive, send = ctx.Pipe(duplex=False)
                proc = ctx.Process(target=_child, args=(task, send), daemon=True)
                proc.start()
                send.close()
                running[receive] = (task, proc)
            for receive in wait(list(running)):
                task, proc = running.pop(receive)
                try:
                    outcome = receive.recv()
                except EOFError:  # the worker died before it could answer
                    proc.join()
                    code = proc.exitcode
                    why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit code {code}"
                    outcome = Outcome(task.slug, "failed", error=f"the worker running it stopped ({why}); "
                                                                  "run the batch again to finish it")
                receive.close()
                proc.join()
                results[task.slug] = outcome
                if progress:
                    progress(outcome)
    finally:
        signal.signal(signal.SIGTERM, previous)
        for _, proc in running.values():
            proc.terminate()
        for _, proc in running.values():
            proc.join(10)
            if proc.is_alive():
                proc.kill()
    return [results[t.slug] for t in tasks]


def _collect(tasks: list[Task], finished, progress) -> list[Outcome]:
    """Outcomes in the tasks' order, reporting each as it finishes (whatever ran it)."""
    results: dict[str, Outcome] = {}
    for future in finished:
        outcome = future.result()
        results[outcome.slug] = outcome
        if progress:
            progress(outcome)
    return [results[t.slug] for t in tasks]


def _run_dask(tasks: list[Task], scheduler: str | None, progress) -> list[Outcome]:
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise DsmError("the dask executor needs the distributed extra: pip install 'dsm-assess[distributed]'") \
            from None
    if not scheduler:
        raise DsmError("--executor dask needs --scheduler ADDRESS (e.g. tcp://10.0.0.5:8786)")
    with Client(scheduler) as client:
        futures = client.map(run_task, tasks, key=[f"dsm-{t.slug}" for t in tasks], pure=False)
        return _collect(tasks, as_completed(futures), progress)


def summary(outcomes: list[Outcome]) -> dict:
    """The `batch --json` object: `done`, `skipped` and `failed` lists of slugs, `warnings` (slug ->
    readiness warnings, for the engagements that have any) and details."""
    return {status: [o.slug for o in outcomes if o.status == status] for status in ("done", "skipped", "failed")} \
        | {"warnings": {o.slug: o.warnings for o in outcomes if o.warnings}} \
        | {"details": [asdict(o) for o in outcomes]}
