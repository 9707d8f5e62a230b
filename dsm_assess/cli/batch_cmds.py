"""`batch`: regenerate every engagement's report, in parallel and resumable."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dsm_assess.cli.common import JsonOpt, OutDirOpt, RootOpt, app, echo_json


@app.command("batch")
def batch(
    targets: Annotated[list[str] | None, typer.Argument(metavar="[ROOT or SLUG]...",
                                                        help="Folders of engagements, or engagement names "
                                                             "(default: every engagement under --root).")] = None,
    jobs: Annotated[int | None, typer.Option("--jobs", min=1, help="Worker processes (default: the number of "
                                             "cores).", show_default=False)] = None,
    audience: Annotated[list[str] | None, typer.Option("--audience", help="executive, full or backlog; repeat "
                                                       "for several (default: full).", show_default=False)] = None,
    via_notebook: Annotated[bool, typer.Option("--via-notebook", help="Run notebook 03 with papermill per "
                                               "engagement and keep each executed notebook.")] = False,
    force: Annotated[bool, typer.Option("--force", help="Regenerate even what has not changed.")] = False,
    template: Annotated[Path | None, typer.Option("--template", help="Report template (.docx).",
                                                  show_default=False)] = None,
    executor: Annotated[str, typer.Option("--executor", help="local (processes on this machine) or dask.")] = "local",
    scheduler: Annotated[str | None, typer.Option("--scheduler", help="Dask scheduler address, with "
                                                  "--executor dask.", show_default=False)] = None,
    to: OutDirOpt = None, root: RootOpt = None, as_json: JsonOpt = False,
) -> None:
    """Score, check and report every engagement; skip what has not changed. Exit 1 if any failed."""
    from tqdm import tqdm

    from dsm_assess import batch as batchmod
    from dsm_assess.core.errors import DsmError
    audiences = tuple(audience or ["full"])
    bad = [a for a in audiences if a not in ("executive", "full", "backlog")]
    if bad:
        raise DsmError(f"--audience {bad[0]!r}: one of executive, full, backlog")
    tasks = batchmod.tasks_for(targets or [], root, to, audiences=audiences, via_notebook=via_notebook,
                               force=force, template=str(template) if template else None)
    with tqdm(total=len(tasks), desc="engagements", unit="eng", disable=as_json, file=None) as bar:
        def progress(outcome) -> None:
            bar.set_postfix_str(f"{outcome.slug}: {outcome.status}")
            bar.update()

        outcomes = batchmod.run(tasks, jobs, executor, scheduler, progress)
    result = batchmod.summary(outcomes)
    if as_json:
        echo_json(result)
    else:
        for o in outcomes:
            line = f"{o.slug:<24} {o.status:<8} {o.seconds:6.1f} s"
            typer.echo(f"{line}  {o.error}" if o.error else line, err=o.status == "failed")
            for w in o.warnings:
                typer.echo(f"warning: {o.slug}: {w['message']}", err=True)
        typer.echo(f"{len(result['done'])} done, {len(result['skipped'])} skipped, {len(result['failed'])} failed")
    if result["failed"]:
        raise typer.Exit(1)
