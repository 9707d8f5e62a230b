"""Bringing answers in: validate a returned file completely, then store it all or nothing.

The received file is kept unchanged in the engagement's inbox/; a file already stored (same
sha256) changes nothing; a later file from the same respondent supersedes their earlier answers
while the store keeps the history.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .engagement import Engagement, engagement_dir
from .errors import Problem
from .framework import Framework
from .store import Answer, Store
from .workbook import read_workbook
from .yamlfile import display_path


@dataclass
class ImportOutcome:
    """What happened to one file: `stored`, `unchanged` (seen before) or `rejected`."""

    path: Path
    outcome: str
    rows: int = 0
    respondents: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    previous: dict | None = None

    def describe(self) -> str:
        name = display_path(self.path)
        if self.outcome == "stored":
            return f"{name}: stored {self.rows} answers from {', '.join(self.respondents)}"
        if self.outcome == "unchanged":
            return (f"{name}: already imported on {self.previous['imported_at'][:19]} "
                    f"as {self.previous['file_name']}; nothing changed")
        return f"{name}: rejected, {len(self.problems)} problem(s); nothing stored"


@dataclass
class Parsed:
    """A reader's verdict on a file; `answers` only count when `problems` is empty."""

    answers: list[Answer]
    notes: list[str]
    problems: list[Problem]


Reader = Callable[[Path, Framework, Engagement], Parsed]


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def import_file(path: Path, fw: Framework, eng: Engagement, store: Store, reader: Reader, kind: str,
                root: str | Path | None = None) -> ImportOutcome:
    """Validate then store one returned file (see module docstring)."""
    path = Path(path)
    if not path.is_file():
        return ImportOutcome(path, "rejected", problems=[Problem(display_path(path), "", "file not found")])
    digest = sha256_of(path)
    previous = store.stored_import(digest)
    if previous:
        return ImportOutcome(path, "unchanged", previous=previous)
    parsed = reader(path, fw, eng)
    size = path.stat().st_size
    if parsed.problems:
        store.record_import(file_name=path.name, sha256=digest, size=size, kind=kind, respondent=None, rows=0,
                            outcome="rejected", detail="\n".join(map(str, parsed.problems)))
        return ImportOutcome(path, "rejected", notes=parsed.notes, problems=parsed.problems)
    respondents = sorted({a.respondent for a in parsed.answers})
    inbox = engagement_dir(eng.slug, root) / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    kept = inbox / f"{dt.datetime.now():%Y%m%d-%H%M%S}-{digest[:12]}-{path.name}"
    with store.transaction():
        previous = store.stored_import(digest)  # another process may have stored it meanwhile
        if previous:
            return ImportOutcome(path, "unchanged", previous=previous)
        shutil.copy2(path, kept)
        try:
            import_id = store.record_import(file_name=path.name, sha256=digest, size=size, kind=kind,
                                            respondent=",".join(respondents), rows=len(parsed.answers),
                                            outcome="stored", detail=display_path(kept))
            store.record_answers(parsed.answers, bank_version=fw.bank_version, source=kind, source_ref=digest,
                                 import_id=import_id)
        except BaseException:
            kept.unlink(missing_ok=True)
            raise
    return ImportOutcome(path, "stored", rows=len(parsed.answers), respondents=respondents, notes=parsed.notes)


def read_returned_workbook(path: Path, fw: Framework, eng: Engagement) -> Parsed:
    res = read_workbook(path, fw, eng)
    return Parsed(res.answers, res.notes, res.problems)
