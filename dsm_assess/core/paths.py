"""Where things are: the engagements root, the reports folder, and the files the kit ships.

Resolved in one place so that a command run from any folder, and a notebook kernel running in
notebooks/, find the same engagements and write to the same reports folder. The questionnaires,
the default report template and notebook 03 are read through `importlib.resources`, so an
installed wheel finds its own copies outside any checkout.
"""

from __future__ import annotations

import os
from importlib.resources import as_file, files
from pathlib import Path

# In a checkout these are links to the project's folders; in a wheel, copies (see pyproject.toml).
_SHIPPED = files("dsm_assess.resources")
_NOTEBOOK_03 = "03_assessment_and_roadmap.ipynb"


def _shipped(*parts: str) -> Path:
    # Files of an installed package are on disk (setuptools wheels are never zipped), so the
    # context manager returns the real path and removes nothing on exit.
    with as_file(_SHIPPED.joinpath(*parts)) as path:
        return Path(path)


def project_dir(start: Path | None = None) -> Path | None:
    """The kit's project folder (the one holding questionnaires/ and engagements/) at or above
    `start` (default: the working directory), else the checkout the kit runs from, else None (an
    installed kit used outside any project)."""
    here = (start or Path.cwd()).resolve()
    checkout = Path(__file__).resolve().parents[2]
    for folder in (here, *here.parents, checkout):
        if (folder / "questionnaires").is_dir() and (folder / "engagements").is_dir():
            return folder
    return None


def engagements_root(root: str | Path | None = None) -> Path:
    """--root if given, else $DSM_ASSESS_ROOT, else the project's engagements/ (else ./engagements)."""
    if root:
        return Path(root)
    if os.environ.get("DSM_ASSESS_ROOT"):
        return Path(os.environ["DSM_ASSESS_ROOT"])
    project = project_dir()
    return project / "engagements" if project else Path("engagements")


def reports_dir(slug: str | None = None) -> Path:
    """reports/ of the project (reports/SLUG/ for one engagement), whatever the working directory."""
    project = project_dir()
    base = project / "reports" if project else Path("reports")
    return base / slug if slug else base


def questionnaires_dir() -> Path:
    """$DSM_ASSESS_QUESTIONNAIRES, else the questionnaires the kit ships."""
    env = os.environ.get("DSM_ASSESS_QUESTIONNAIRES")
    return Path(env) if env else _shipped("questionnaires")


def default_template() -> Path:
    """The kit's own Word template; its brand.yaml lies beside it."""
    return _shipped("templates", "default.docx")


def notebook_03() -> Path:
    """Notebook 03 (assessment and roadmap), the one batch and the demo run per engagement."""
    return _shipped("notebooks", _NOTEBOOK_03)
