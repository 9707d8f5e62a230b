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

from .answers import Answer, Parsed, parse_rating, rating_lookup
from .engagement import Engagement, engagement_dir
from .errors import DsmError, Problem
from .framework import Framework
from .store import Store
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


Reader = Callable[[Path, Framework, Engagement], Parsed]


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def import_file(path: Path, fw: Framework, eng: Engagement, store: Store, kind: str = "workbook",
                root: str | Path | None = None) -> ImportOutcome:
    """Validate then store one returned file (see module docstring)."""
    path = Path(path)
    if not path.is_file():
        return ImportOutcome(path, "rejected", problems=[Problem(display_path(path), "", "file not found")])
    digest = sha256_of(path)
    previous = store.stored_import(digest)
    if previous:
        return ImportOutcome(path, "unchanged", previous=previous)
    parsed = reader_for(kind)(path, fw, eng)
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


def store_answers(store: Store, fw: Framework, answers: list[Answer], source: str,
                  source_ref: str | None = None, who: str | None = None) -> int:
    """Append answers that did not come from a file (the workshop form, generated samples)."""
    return store.record_answers(answers, bank_version=fw.bank_version, source=source, source_ref=source_ref,
                                who=who)


def reader_for(kind: str) -> Reader:
    """The parser of a returned file: `workbook` (Excel questionnaire) or `csv` (long format)."""
    if kind == "workbook":
        from .workbook import read_workbook
        return read_workbook
    from .csvio import read_csv
    return read_csv


def record_consensus(fw: Framework, eng: Engagement, store: Store, criterion: str, rating: str,
                     rationale: str, who: str | None = None) -> str:
    """Record the value a workshop agreed on for a criterion of this engagement; returns its code."""
    if criterion not in set(eng.criteria_for(fw)):
        raise DsmError(f"{criterion!r} is not a criterion of engagement {eng.slug!r}")
    try:
        code, _ = parse_rating(rating, rating_lookup(fw), set())
    except ValueError as exc:
        raise DsmError(str(exc)) from None
    if code is None or not rationale.strip():
        raise DsmError("a consensus needs a rating and a rationale")
    store.set_consensus(criterion, code, rationale.strip(), who)
    return code
