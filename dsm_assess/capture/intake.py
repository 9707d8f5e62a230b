"""Bringing answers in: validate each returned file completely, then store it all or nothing.

Import runs in two steps. `parse_file` is pure: it reads and checks one file against the
framework and the engagement and returns a picklable `ParsedFile`, so that many files are
parsed at once in worker processes (`import_files`). `store_parsed` then runs in this process,
one transaction per file: it admits a workbook only if its questionnaire token was issued to
its respondent, works out what the respondent withdrew, keeps the received file in inbox/ and
appends the answers.

The received file is kept unchanged in the engagement's inbox/, written under a temporary name
and renamed once the store has committed, so inbox/ and the store always agree; a file already
stored (same sha256) changes nothing; a later file from the same respondent supersedes their
earlier answers while the store keeps the history. A rating that was filled in the
questionnaire's last known state (as exported with `--prefill`, or as last imported with the
same token) and is blank now withdraws that answer; a rating blank in both changes nothing.
A file with no rating at all stores nothing and withdraws nothing.
Questionnaires go out through `export_questionnaire`, which records their token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field, replace
from pathlib import Path

from dsm_assess.core.errors import DsmError, Problem
from dsm_assess.engagement.spec import EngagementSpec, Respondent, engagement_dir
from dsm_assess.formats.yamlfile import display_path
from dsm_assess.framework.model import Framework
from dsm_assess.store.answers import (
    TEXT_FIELDS,
    Answer,
    Parsed,
    check_answer,
    clean_text,
    is_blank,
    parse_rating,
    rating_lookup,
)
from dsm_assess.store.base import Store

PARTIAL = ".partial"  # suffix of an inbox copy whose import has not committed yet
SHOWN = 10  # withdrawn criteria named in an import summary; the rest are counted
META_SHEET = "sheet _meta"


@dataclass
class ImportOutcome:
    """What happened to one file: `stored`, `unchanged` (seen before), `empty` (no answers, nothing
    stored) or `rejected`."""

    path: Path
    outcome: str
    rows: int = 0
    respondents: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    previous: dict | None = None
    warnings: list[str] = field(default_factory=list)
    withdrawn: list[str] = field(default_factory=list)
    changed: int | None = None  # of the answers stored, how many differ from what was current
    source: str = ""  # for `empty`: whose file it is, e.g. "the workbook from Sam Desk <sam@...>"

    def describe(self) -> str:
        name = display_path(self.path)
        if self.outcome == "stored":
            more = f" and {len(self.withdrawn) - SHOWN:,} more" if len(self.withdrawn) > SHOWN else ""
            gone = f"; withdrawn: {len(self.withdrawn)}, {', '.join(self.withdrawn[:SHOWN])}{more}" \
                if self.withdrawn else ""
            changed = f"; {self.changed} new or changed" if self.changed is not None and self.changed < self.rows \
                else ""
            return f"{name}: stored {self.rows} answers from {', '.join(self.respondents)}{changed}{gone}"
        if self.outcome == "unchanged":
            return (f"{name}: already imported on {self.previous['imported_at'][:19]} "
                    f"as {self.previous['file_name']}; nothing changed")
        if self.outcome == "empty":
            return f"{name}: nothing to store: {self.source} has no answers"
        return f"{name}: rejected, {len(self.problems)} problem(s); nothing stored"


@dataclass
class ParsedFile:
    """One file as read, before anything is stored (what a worker process sends back)."""

    path: Path
    kind: str
    sha256: str
    size: int
    parsed: Parsed
    saved: str | None = None  # when the workbook says it was last saved (its document properties)
    mtime: float = 0.0  # the file's own time

    @property
    def when(self) -> tuple[str, float]:
        """What orders two files of one respondent: the time saved, then the file's time."""
        return self.saved or "", self.mtime


Reader = Callable[[Path, Framework, EngagementSpec], Parsed]


def sha256_of(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def reader_for(kind: str) -> Reader:
    """The parser of a returned file: `workbook` (Excel questionnaire) or `csv` (long format)."""
    if kind == "workbook":
        from dsm_assess.capture.workbook import read_workbook
        return read_workbook
    from dsm_assess.capture.csvio import read_csv
    return read_csv


def parse_file(path: Path, kind: str, fw: Framework, eng: EngagementSpec, sha256: str | None = None) -> ParsedFile:
    """Read and check one file; stores nothing and needs no store (safe in a worker process)."""
    path = Path(path)
    stat = path.stat()
    parsed = reader_for(kind)(path, fw, eng)
    saved = None
    if kind == "workbook" and not parsed.problems:
        from dsm_assess.capture.workbook import saved_at
        saved = saved_at(path)
    return ParsedFile(path, kind, sha256 or sha256_of(path), stat.st_size, parsed, saved, stat.st_mtime)


# ---- parsing in worker processes ----
_WORKER: dict = {}


def _start_worker(fw: Framework, eng: EngagementSpec, kind: str) -> None:
    _WORKER.update(fw=fw, eng=eng, kind=kind)


def _parse_in_worker(job: tuple[Path, str]) -> ParsedFile:
    path, digest = job
    return parse_file(path, _WORKER["kind"], _WORKER["fw"], _WORKER["eng"], digest)


def _parsed(jobs: list[tuple[Path, str]], fw: Framework, eng: EngagementSpec, kind: str,
            workers: int | None) -> Iterator[ParsedFile]:
    """Parse files in order: in worker processes when there are several files and cores."""
    workers = min(len(jobs), workers or os.cpu_count() or 1)
    if workers <= 1:
        for path, digest in jobs:
            yield parse_file(path, kind, fw, eng, digest)
        return
    from concurrent.futures import ProcessPoolExecutor
    with ProcessPoolExecutor(workers, initializer=_start_worker, initargs=(fw, eng, kind)) as pool:
        yield from pool.map(_parse_in_worker, jobs, chunksize=max(1, min(8, len(jobs) // (4 * workers))))


def returned_files(folder: Path, kind: str = "workbook") -> list[Path]:
    """Every returned file of `kind` in an engagement's returned/ folder, in name order (the import
    orders one respondent's files by what they carry); a folder with none is a `DsmError`."""
    returned = folder / "returned"
    files = sorted(returned.glob("*.xlsx" if kind == "workbook" else "*.csv"))
    if not files:
        raise DsmError(f"no files given, and none in {display_path(returned)}/: save returned files there or "
                       "name them")
    return files


def import_files(paths: Iterable[Path], fw: Framework, eng: EngagementSpec, store: Store, kind: str = "workbook",
                 root: str | Path | None = None, *, workers: int | None = None,
                 progress: bool = False) -> Iterator[ImportOutcome]:
    """Import files in the order given, yielding each outcome as it is stored.

    Files are parsed in parallel (`workers` processes, default one per core) and stored here,
    one transaction per file. `progress` shows a bar over the files on stderr (when it is a
    terminal).
    """
    from tqdm import tqdm

    paths = [Path(p) for p in paths]
    reconcile_inbox(store, engagement_dir(eng.slug, root) / "inbox")
    early: dict[int, ImportOutcome] = {}
    jobs: list[tuple[Path, str]] = []
    for i, path in enumerate(paths):
        if not path.is_file():
            early[i] = ImportOutcome(path, "rejected", problems=[Problem(display_path(path), "", "file not found")])
            continue
        digest = sha256_of(path)
        previous = store.stored_import(digest)
        if previous:
            early[i] = ImportOutcome(path, "unchanged", previous=previous)
        else:
            jobs.append((path, digest))
    parsed = dict(zip((i for i in range(len(paths)) if i not in early), _parsed(jobs, fw, eng, kind, workers),
                      strict=True))
    order, refused, superseded = _in_order(parsed, len(paths))
    with tqdm(total=len(paths), unit="file", desc="import", file=sys.stderr,
              disable=None if progress else True, leave=False) as bar:
        for i in order:
            if i in early:
                outcome = early[i]
            elif i in refused:
                outcome = ImportOutcome(paths[i], "rejected", problems=[refused[i]])
            else:
                outcome = store_parsed(parsed[i], fw, eng, store, root)
                if i in superseded and outcome.outcome == "stored":
                    outcome.notes.append(superseded[i])
            yield outcome
            bar.update()


def _in_order(parsed: dict[int, ParsedFile], count: int) -> tuple[list[int], dict[int, Problem], dict[int, str]]:
    """The order to store one run's files in, with the files refused and the notes on what superseded what.

    Files of one respondent are stored in the order they were saved (then by the file's time),
    whatever their names say (`X (2).xlsx` sorts before `X.xlsx`), so that the last one saved
    wins. Two files of one respondent that carry different answers and whose order cannot be
    told are both refused: the kit does not guess which holds the final answers.
    """
    order = list(range(count))
    groups: dict[str, list[int]] = {}
    seen: set[str] = set()
    for i, pf in sorted(parsed.items()):
        if pf.sha256 in seen:  # the same file named twice: the second is found unchanged, in its place
            continue
        seen.add(pf.sha256)
        if pf.kind == "workbook" and pf.parsed.respondent and pf.parsed.answers and not pf.parsed.problems:
            groups.setdefault(pf.parsed.respondent, []).append(i)
    refused: dict[int, Problem] = {}
    superseded: dict[int, str] = {}
    for members in groups.values():
        if len(members) < 2:
            continue
        ranked = sorted(members, key=lambda i: parsed[i].when)
        for a, b in zip(ranked, ranked[1:], strict=False):
            first, second = parsed[a], parsed[b]
            if first.when == second.when and set(first.parsed.answers) != set(second.parsed.answers):
                for me, other in ((a, second), (b, first)):
                    refused[me] = Problem(display_path(parsed[me].path), "", (
                        f"{other.path.name} from the same respondent holds different answers, and which of the two "
                        f"is later cannot be told (both saved {_when(first)}); nothing stored from either: import "
                        "the one with the final answers on its own"))
        kept = [i for i in ranked if i not in refused]
        for earlier, later in zip(kept, kept[1:], strict=False):
            superseded[later] = (f"supersedes {parsed[earlier].path.name} (saved {_when(parsed[earlier])}; "
                                 f"this one saved {_when(parsed[later])})")
        slots = sorted(members)  # the group's files take the places its files held, in the order saved
        for slot, i in zip(slots, ranked, strict=True):
            order[slot] = i
    return order, refused, superseded


def _when(pf: ParsedFile) -> str:
    file_time = dt.datetime.fromtimestamp(int(pf.mtime)).isoformat(sep=" ")
    return f"{pf.saved.replace('T', ' ').rstrip('Z')}, file time {file_time}" if pf.saved else f"file time {file_time}"


def import_file(path: Path, fw: Framework, eng: EngagementSpec, store: Store, kind: str = "workbook",
                root: str | Path | None = None) -> ImportOutcome:
    """Validate then store one returned file (see module docstring)."""
    [outcome] = import_files([path], fw, eng, store, kind, root, workers=1)
    return outcome


def store_parsed(pf: ParsedFile, fw: Framework, eng: EngagementSpec, store: Store,
                 root: str | Path | None = None) -> ImportOutcome:
    """Store one parsed file in one transaction, or record why it was rejected."""
    name = display_path(pf.path)
    parsed = pf.parsed
    if pf.kind == "workbook" and parsed.respondent:
        parsed.add(_token_problems(parsed, store, name))
    if parsed.problems:
        problems = parsed.all_problems(name)
        store.record_import(file_name=pf.path.name, sha256=pf.sha256, size=pf.size, kind=pf.kind, respondent=None,
                            rows=0, outcome="rejected", token=parsed.token, problems=problems,
                            problem_count=len(parsed.problems) + parsed.omitted)
        return ImportOutcome(pf.path, "rejected", notes=parsed.notes, problems=problems, warnings=parsed.warnings)
    if not parsed.answers:
        # Never read as "withdraw everything": an unfilled copy (the outbox file, a blank reminder)
        # is far likelier than a respondent clearing every rating.
        return ImportOutcome(pf.path, "empty", notes=parsed.notes, warnings=parsed.warnings,
                             source=_source(pf.kind, parsed.respondent, eng))
    withdraw: list[str] = []
    if parsed.token and parsed.blank:
        candidates = store.last_filled(parsed.token) & set(parsed.blank)
        withdraw = sorted(candidates & store.answered(parsed.respondent)) if candidates else []
    respondents = sorted({a.respondent for a in parsed.answers})
    inbox = engagement_dir(eng.slug, root) / "inbox"
    inbox.mkdir(parents=True, exist_ok=True)
    kept = inbox / f"{dt.datetime.now():%Y%m%d-%H%M%S}-{pf.sha256[:12]}-{pf.path.name}"
    partial = kept.with_name(f".{kept.name}{PARTIAL}")
    try:
        # The copy is made under the store's write lock, so that no other process tidies it away
        # (`reconcile_inbox`) before this import commits.
        with store.transaction():
            previous = store.stored_import(pf.sha256)  # another process may have stored it meanwhile
            if previous:
                return ImportOutcome(pf.path, "unchanged", previous=previous)
            current = store.current_answer_objects(respondents)
            changed = sum(current.get(a.respondent, {}).get(a.criterion_id) != a for a in parsed.answers)
            shutil.copy2(pf.path, partial)
            import_id = store.record_import(file_name=pf.path.name, sha256=pf.sha256, size=pf.size, kind=pf.kind,
                                            respondent=",".join(respondents), rows=len(parsed.answers),
                                            outcome="stored", detail=display_path(kept), token=parsed.token)
            store.record_answers(parsed.answers, bank_version=fw.bank_version, source=pf.kind,
                                 source_ref=pf.sha256, import_id=import_id)
            withdrawn = store.record_withdrawals(parsed.respondent, withdraw, bank_version=fw.bank_version,
                                                 source=pf.kind, source_ref=pf.sha256,
                                                 import_id=import_id) if withdraw else []
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    # Only now, after the commit, does the copy get its name: inbox/ holds exactly the files stored.
    # (Another process's `reconcile_inbox` may have named it already.)
    with suppress(FileNotFoundError):
        partial.replace(kept)
    return ImportOutcome(pf.path, "stored", rows=len(parsed.answers), respondents=respondents, notes=parsed.notes,
                         warnings=parsed.warnings, withdrawn=withdrawn, changed=changed)


def _token_problems(parsed: Parsed, store: Store, name: str) -> list[Problem]:
    """Why the store does not admit this workbook: its token must have been issued to its respondent,
    for every subject it holds."""
    holder = store.token_holder(parsed.token)
    if not parsed.token:
        return [Problem(name, META_SHEET, "this questionnaire carries no issue token (exported by an older "
                                          "version of the kit?): export a fresh one with `questionnaire export`")]
    if holder is None:
        return [Problem(name, META_SHEET, "this questionnaire was not sent out from this engagement (its token is "
                                          "unknown here): export a fresh one with `questionnaire export`")]
    if holder["respondent"] != parsed.respondent:
        return [Problem(name, META_SHEET, f"this questionnaire was sent to {holder['respondent']}, "
                                          f"not to {parsed.respondent}")]
    return [Problem(name, f"sheet {s}", f"subject {s} was not in the questionnaire sent to {parsed.respondent}")
            for s in parsed.subjects if s not in holder["subjects"]]


def _source(kind: str, respondent: str | None, eng: EngagementSpec) -> str:
    if kind != "workbook" or not respondent:
        return "the file"
    person = eng.respondent(respondent)
    return f"the workbook from {person.name} <{person.email}>"


def reconcile_inbox(store: Store, inbox: Path) -> None:
    """Finish what an interrupted import left: an inbox copy whose import committed gets its name,
    one whose import never committed is removed."""
    if not inbox.is_dir() or not any(inbox.glob(f".*{PARTIAL}")):
        return
    with store.transaction():  # under the write lock: no import is half-way through meanwhile
        for partial in inbox.glob(f".*{PARTIAL}"):
            # an import that has committed names its copy outside the lock: it may do so meanwhile
            with suppress(FileNotFoundError):
                if store.stored_import(sha256_of(partial)):
                    partial.replace(partial.with_name(partial.name[1:-len(PARTIAL)]))
                else:
                    partial.unlink(missing_ok=True)


def export_questionnaire(fw: Framework, eng: EngagementSpec, respondent: Respondent, out_dir: Path, store: Store,
                         prefill: dict[str, Answer] | None = None, who: str | None = None,
                         only: set[str] | None = None, hints: dict[str, str] | None = None,
                         suffix: str = "") -> Path:
    """Write a respondent's Excel questionnaire and record its issue token (with the criteria it
    went out filled in), in one transaction: only a workbook recorded here is admitted back.
    `only` limits it to some criteria; `hints` adds a note under a criterion's guidance."""
    from dsm_assess.capture.workbook import export_workbook, questionnaire_sheets

    if eng.bank_version != fw.bank_version:  # it could never be imported back: answers are read on the kit's bank
        raise DsmError(f"engagement {eng.slug!r} is on question bank {eng.bank_version}, this kit has "
                       f"{fw.bank_version}: run `dsm-assess engagement upgrade {eng.slug}` first, then export")
    sheets = questionnaire_sheets(fw, eng, respondent, only)
    asked = {cid for ids in sheets.values() for cid in ids}
    prefill = {cid: a for cid, a in (prefill or {}).items() if cid in asked}
    with store.transaction():
        token = store.issue_token(respondent.email, list(sheets), eng.bank_version, filled=sorted(prefill), who=who)
        return export_workbook(fw, eng, respondent, out_dir, prefill, token=token, sheets=sheets, hints=hints,
                               suffix=suffix)


def store_answers(store: Store, fw: Framework, answers: list[Answer], source: str,
                  source_ref: str | None = None, who: str | None = None) -> int:
    """Append answers that did not come from a file (the workshop form, generated samples), under
    the same text rules as every file: nothing is stored if any answer breaks them."""
    problems = [p for a in answers for p in check_answer(a)]
    if problems:
        raise DsmError("answers not stored:\n" + "\n".join(problems))
    # Blank text (empty or only spaces) is no text, as in every file channel; the rest is kept as typed.
    answers = [replace(a, **{k: clean_text(getattr(a, k), k) for k in TEXT_FIELDS}) for a in answers]
    return store.record_answers(answers, bank_version=fw.bank_version, source=source, source_ref=source_ref,
                                who=who)


def carry_over(store: Store, fw: Framework, answers: list[Answer], consensus: list[tuple[str, str, str]],
               source_ref: str, who: str | None = None) -> None:
    """Store answers and consensus values an upgrade carries to new ids, all or nothing, exactly as
    they were recorded (the old rows stay in the history)."""
    with store.transaction():
        if answers:
            store.record_answers(answers, bank_version=fw.bank_version, source="upgrade", source_ref=source_ref,
                                 who=who)
        for criterion, rating, rationale in consensus:
            store.set_consensus(criterion, rating, rationale, who)


def record_consensus(fw: Framework, eng: EngagementSpec, store: Store, criterion: str, rating: str,
                     rationale: str, who: str | None = None) -> str:
    """Record the value a workshop agreed on for a criterion of this engagement; returns its code.
    The rationale is kept as typed."""
    if criterion not in set(eng.criteria_for(fw)):
        raise DsmError(f"{criterion!r} is not a criterion of engagement {eng.slug!r}")
    try:
        code, _ = parse_rating(rating, rating_lookup(fw), set())
        text = clean_text(rationale, "the rationale")
    except ValueError as exc:
        raise DsmError(str(exc)) from None
    if code is None or is_blank(text):
        raise DsmError("a consensus needs a rating and a rationale")
    store.set_consensus(criterion, code, text, who)
    return code
