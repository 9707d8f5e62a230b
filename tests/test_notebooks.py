"""The notebooks, executed for real against a generated engagement, always in a temporary copy."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from dsm_assess.demo.generate import generate_engagement

pytestmark = pytest.mark.e2e  # the whole pipeline: `pytest -m "not e2e"` leaves it out

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
# nbformat and papermill are imported by the tests that run notebooks: loading nbformat's schema
# checker takes seconds, which the test run's other processes need not pay (`make test` leaves
# the nbval plugin out: the notebooks run under nbval in processes of their own, below)


@pytest.fixture(scope="module")
def world(tmp_path_factory, fw):
    """Two generated engagements under a temporary root, and a folder for outputs."""
    base = tmp_path_factory.mktemp("nb")
    root = base / "engagements"
    generate_engagement(fw, "demo", respondents=4, seed=3, profile="quick-scan", client="Demo Water", root=root)
    generate_engagement(fw, "northline", respondents=3, seed=4, profile="quick-scan", client="Northline Rail",
                        root=root)
    return base, root


def test_the_committed_notebooks_have_no_outputs_and_a_tagged_parameters_cell():
    for path in sorted(NOTEBOOKS.glob("*.ipynb")):  # as JSON: nbformat's schema check costs seconds
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        assert all(not c["outputs"] and c["execution_count"] is None for c in code), path
        assert "parameters" in code[0]["metadata"].get("tags", []), path
        assert nb["cells"][0]["cell_type"] == "markdown" and len(code) <= 12, path
        assert nb["metadata"]["kernelspec"]["name"] == "python3"


# Notebooks 03 and 04 run under papermill, where their outputs are checked as well: 03 as `make
# demo` runs it (and again in the README's walkthrough, for the executive audience), 04 below.
# nbval would only run them again.
NBVAL = {"01_framework_overview": {}, "02_workshop_capture": {"slug": "demo"}}
PAPERMILL = {"03_assessment_and_roadmap", "04_portfolio"}


def test_every_notebook_is_executed_by_a_test():
    assert {path.stem for path in NOTEBOOKS.glob("*.ipynb")} == set(NBVAL) | PAPERMILL


def test_the_other_notebooks_pass_nbval_in_a_temporary_copy(world):
    import nbformat
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    base, root = world
    copies, cells = [], 0
    for name, params in NBVAL.items():
        nb = parameterize_notebook(load_notebook_node(str(NOTEBOOKS / f"{name}.ipynb")),
                                   {**params, **({"root": str(root)} if name != "01_framework_overview" else {})})
        copies.append(base / f"{name}.ipynb")
        nbformat.write(nb, copies[-1])
        cells += sum(c.cell_type == "code" for c in nb.cells)
    # one pytest for both, with nbval alone: its start (and the suite's plugins') costs seconds
    plugins = ["-p", "no:cacheprovider", "-p", "no:hypothesispytest", "-p", "no:xdist"]
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", *plugins, "--nbval-lax", *map(str, copies)],
                            capture_output=True, text=True, cwd=base, timeout=600,
                            env={**os.environ, "MPLBACKEND": "Agg"})
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert f"{cells} passed" in result.stdout  # every code cell of both, the injected parameters too


@pytest.fixture(scope="module")
def executed_03(made_demo):
    """Notebook 03 as `make demo` runs it (conftest.made_demo): by papermill, with parameters, in the
    kernel's own (inline) matplotlib backend as in JupyterLab. (Its output folder, the executed
    notebook as JSON.)"""
    copy, code, _, err = made_demo
    assert code == 0, err[-3000:]
    out = copy / "reports" / "demo"
    return out, json.loads((out / "03_assessment_and_roadmap.ipynb").read_text(encoding="utf-8"))


def test_papermill_with_parameters_writes_the_report_and_the_executed_notebook(executed_03):
    out, nb = executed_03
    assert (out / "demo-full.docx").is_file()
    injected = next(c for c in nb["cells"] if "injected-parameters" in c["metadata"].get("tags", []))
    assert 'slug = "demo"' in "".join(injected["source"])
    # the text a reader sees (not the charts' PNG data, whose base64 may spell anything)
    shown = json.dumps([{k: v for k, v in o.get("data", o).items() if not k.startswith("image/")}
                        for c in nb["cells"] for o in c.get("outputs", [])])
    assert "NaN" not in shown and "&lt;NA&gt;" not in shown and "<NA>" not in shown
    assert "Fenmoor County Council" in shown


def test_notebook_03_keeps_every_chart_as_an_image(executed_03):
    """Every chart of notebook 03 is an image/png output, under the kernel's own (inline) backend:
    the charts never switch matplotlib to a backend that cannot display."""
    _, nb = executed_03
    outputs = [o for c in nb["cells"] for o in c.get("outputs", [])]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    # area bars, three radars, the value chain, disagreement, Gantt and projection
    assert len(images) == 8
    assert not any("<Figure size" in "".join(o.get("data", {}).get("text/plain", "")) and "image/png" not in
                   o.get("data", {}) for o in outputs)


def test_the_portfolio_shows_no_client_name(world):
    import papermill as pm

    base, root = world
    executed = base / "04-run.ipynb"
    pm.execute_notebook(str(NOTEBOOKS / "04_portfolio.ipynb"), str(executed), progress_bar=False,
                        parameters={"root": str(root), "focus": "demo"}, cwd=str(NOTEBOOKS))
    shown = json.dumps([c.get("outputs", []) for c in json.loads(executed.read_text(encoding="utf-8"))["cells"]])
    for identifying in ("Demo Water", "Northline Rail", "demo", "northline", "example.com"):
        assert identifying not in shown, identifying
    assert "Client A" in shown or "Client B" in shown  # the chosen client, by its label only
