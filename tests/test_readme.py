"""Every command in README.md runs, in order, in a copy of the project: the README cannot drift
from the code. A block that cannot run in a test says why in a comment right before it
(`<!-- not run: ... -->`), and only the few kinds of block listed here may."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest

from dsm_assess.capture.workbook import COL, FIRST_ROW

from .test_demo import PROJECT, project_copy

pytestmark = pytest.mark.e2e  # the whole pipeline: `pytest -m "not e2e"` leaves it out

FENCE = re.compile(r"(?:<!-- (?P<note>[^>]*?) -->\n)?```(?P<lang>sh|bash|console|python)\n(?P<body>.*?)```", re.S)
# The only blocks allowed not to run: the front door itself, servers and daemons, and conda.
NOT_RUN = {
    "make demo": "not run: a front-door command",
    "conda env create -f environment.yml && conda activate dsm-assess": "not run: needs conda",
    ".venv/bin/jupyter lab notebooks/": "not run: starts a JupyterLab server",
    ".venv/bin/jupyter lab notebooks/02_workshop_capture.ipynb": "not run: starts a JupyterLab server",
    "dsm-assess form serve acme --host 10.0.0.5 --port 8866": "not run: starts the form's web server",
    "dask scheduler": "not run: starts Dask scheduler and worker daemons",
    "export DSM_ASSESS_STORE=postgresql://dsm_admin@db.firm.example/dsm": "not run: needs the firm's PostgreSQL "
                                                                          "server",
}
FILL = "test: the respondents fill in their workbooks"


def blocks(text: str) -> list[tuple[str, str]]:
    """(note before it, commands) of every shell block, in order; a Python block runs as a
    script with the kit's interpreter."""
    return [(m["note"] or "", m["body"] if m["lang"] != "python" else f"python - <<'PY'\n{m['body']}PY\n")
            for m in FENCE.finditer(text)]


def first_command(body: str) -> str:
    line = next(ln for ln in body.splitlines() if ln.strip() and not ln.startswith("#"))
    return line.split("#")[0].strip()


def fill_returned(folder: Path, evidence: bool = True, edit=None) -> None:
    """What respondents do: answer every statement of each workbook in the engagement `folder`'s
    outbox not yet returned (F, F, L, L, P, P, N, ...; evidence on every third if `evidence`), let
    `edit(book, wb)` change it, and send it back to returned/."""
    ratings = ["F - Fully achieved", "L - Largely achieved", "P - Partially achieved", "N - Not achieved"]
    returned = folder / "returned"
    returned.mkdir(exist_ok=True)
    for book in sorted((folder / "outbox").glob("*.xlsx")):
        if (returned / book.name).exists():
            continue
        wb = openpyxl.load_workbook(book)
        for ws in wb.worksheets[1:]:
            for i, r in enumerate(range(FIRST_ROW, ws.max_row + 1)):
                if ws.cell(r, COL["id"]).value:
                    ws.cell(r, COL["rating"], ratings[min(i // 2, 3)])
                    if evidence:
                        ws.cell(r, COL["evidence"], "Procedure on the intranet" if i % 3 == 0 else None)
        if edit:
            edit(book, wb)
        wb.save(returned / book.name)


def test_only_servers_daemons_conda_and_the_front_door_are_left_out():
    skipped = {first_command(body): note for note, body in blocks((PROJECT / "README.md").read_text("utf-8"))
               if note.startswith("not run")}
    assert set(skipped) == set(NOT_RUN)
    for command, note in skipped.items():
        assert note.startswith(NOT_RUN[command]), (command, note)


def test_every_other_command_in_the_readme_runs_in_a_copy_of_the_project(tmp_path, dsm_assess_process):
    if not (PROJECT / ".git").exists():
        pytest.skip("not a git checkout")
    copy = project_copy(tmp_path / "clone")
    env = {"PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin", "HOME": str(tmp_path), "MPLBACKEND": "Agg",
           "LANG": os.environ.get("LANG", "C.UTF-8")}
    ran = 0
    every = blocks((PROJECT / "README.md").read_text("utf-8"))
    # `dsm-assess` first on PATH forks from a kit already imported; each command gets this environment
    env["PATH"] = f"{Path(dsm_assess_process[0]).parent}:{env['PATH']}"
    for note, body in every:
        if note.startswith("not run"):
            continue
        if note.startswith(FILL):
            fill_returned(copy / "engagements" / re.search(r"engagements/([a-z0-9-]+)/returned", note)[1])
        result = subprocess.run(["bash", "-e", "-o", "pipefail", "-c", body], cwd=copy, env=env,
                                capture_output=True, text=True, timeout=600)
        assert result.returncode == 0, f"{body}\n--- out\n{result.stdout[-2000:]}\n--- err\n{result.stderr[-2000:]}"
        assert "Traceback" not in result.stderr, body
        ran += 1
    assert ran == len(every) - len(NOT_RUN)
    assert (copy / "reports/acme/acme-full.docx").is_file() and (copy / "reports/acme/acme-executive.docx").is_file()
