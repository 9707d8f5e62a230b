"""Where things are: the engagements root, the reports folder and the questionnaires folder.

Resolved in one place so that a command run from any folder, and a notebook kernel running in
notebooks/, find the same engagements and write to the same reports folder.
"""

from __future__ import annotations

import os
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent


def project_dir(start: Path | None = None) -> Path | None:
    """The kit's project folder (the one holding questionnaires/ and engagements/) at or above
    `start` (default: the working directory), else the folder the package was installed from."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / "questionnaires").is_dir() and (folder / "engagements").is_dir():
            return folder
    source = PACKAGE_DIR.parent
    return source if (source / "questionnaires").is_dir() else None


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
    """$DSM_ASSESS_QUESTIONNAIRES, else the questionnaires/ shipped beside the package."""
    env = os.environ.get("DSM_ASSESS_QUESTIONNAIRES")
    return Path(env) if env else PACKAGE_DIR.parent / "questionnaires"
