"""The one way engagement.yaml is changed: locked, validated, and audited in the same step.

Every command and function that changes engagement.yaml (targets, business context, roadmap pins
and exclusions, the TOM proposal, conditions, respondents, the size, the bank upgrade, a new engagement)
goes through `edit_engagement` or `write_engagement`. Each of them

- holds an exclusive lock (fcntl, on `.engagement.lock` in the engagement folder) from reading
  the file to replacing it, so that two writers at once both keep their change;
- refuses text the kit cannot carry (an argument holding invalid UTF-8, a control character),
  naming the field;
- writes the new document to a temporary file and reads it back with the reader
  `load_engagement` uses, refusing it (and changing nothing) unless it validates whole;
- replaces the file and appends its audit row to the response store as one step: the audit row
  is committed only if the rename succeeded, and a failure after the rename puts the old file
  back.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from dsm_assess.core.errors import DsmError, InvalidInput, NotFound, Problem
from dsm_assess.core.paths import engagements_root
from dsm_assess.core.text import text_problem
from dsm_assess.engagement.spec import (
    Contact,
    EngagementSpec,
    ReportSettings,
    Respondent,
    Size,
    check_against,
    engagement_file,
    first_error,
    load_engagement,
    validate_doc,
)
from dsm_assess.formats.yamlfile import display_path, parse_yaml
from dsm_assess.framework.model import Framework
from dsm_assess.store.backend import open_store
from dsm_assess.store.base import Store

T = TypeVar("T")
LOCK_NAME = ".engagement.lock"
LOCK_SECONDS = 60  # how long an edit waits for another one to finish before giving up
HEADER = "# Engagement settings; edit with care, `dsm-assess engagement show` validates them.\n"


@contextmanager
def engagement_lock(folder: Path) -> Iterator[None]:
    """Hold the engagement's edit lock; a `DsmError` if another edit holds it for over LOCK_SECONDS."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / LOCK_NAME, "a+") as handle:
        deadline = time.monotonic() + LOCK_SECONDS
        while True:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise DsmError(f"{display_path(folder / 'engagement.yaml')} is being changed by another "
                                   f"command for over {LOCK_SECONDS} s; nothing was changed: try again once it "
                                   "has finished") from None
                time.sleep(0.02)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _text_problems(value: object, loc: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """(location, why) for every string of a document the kit cannot carry."""
    if isinstance(value, str):
        why = text_problem(value, multiline=True)
        if why:
            yield loc, why
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _text_problems(key, loc)
            yield from _text_problems(item, (*loc, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            yield from _text_problems(item, (*loc, i))


def _check_text(data: object, path: Path) -> None:
    found = list(_text_problems(data))
    if found:
        problems = [Problem(display_path(path), ".".join(map(str, loc)), f"{why}; type it again as plain text")
                    for loc, why in found]
        raise InvalidInput(problems, "not changed: text the kit cannot keep")


def _check_document(text: str, path: Path, slug: str, fw: Framework | None) -> None:
    """Refuse `text` unless `load_engagement` would accept it as the file at `path`."""
    doc = parse_yaml(text, path)
    problems = validate_doc(doc, slug, fw)[1]
    if problems:
        raise InvalidInput(problems, f"not changed: the change would leave {display_path(path)} invalid")
    # What is written must read back as what was meant: a string the kit's YAML 1.1 reader would
    # take for a boolean, a number or a date has to be quoted (formats/yamledit.py does so).


def _replace(folder: Path, path: Path, slug: str, new: str, old: str | None, action: str, detail: dict,
             also: Callable[[Store], None] | None, who: str | None) -> None:
    """Replace the file with `new` and append the audit row (after `also`) in one transaction."""
    tmp = folder / f".engagement.yaml.{os.getpid()}.tmp"
    store = open_store(folder, slug, create=old is None)  # a missing store is reported before any change
    try:
        with open(tmp, "w", encoding="utf-8") as out:
            out.write(new)
            out.flush()
            os.fsync(out.fileno())
        replaced = False
        try:
            with store.transaction():
                if also is not None:
                    also(store)
                store.audit(action, detail, who)
                os.replace(tmp, path)
                replaced = True
        except BaseException:
            if replaced:  # the audit row was not committed: the old file goes back
                _restore(path, old)
            raise
    except OSError as exc:
        raise DsmError(f"{display_path(path)}: cannot be written ({exc.strerror}); nothing was changed") from None
    except sqlite3.Error as exc:
        raise DsmError(f"{display_path(path)}: the change cannot be recorded in the response store ({exc}); "
                       "nothing was changed") from None
    finally:
        store.close()
        tmp.unlink(missing_ok=True)


def _restore(path: Path, old: str | None) -> None:
    if old is None:
        path.unlink(missing_ok=True)
        return
    back = path.with_name(f".engagement.yaml.{os.getpid()}.restore")
    back.write_text(old, encoding="utf-8")
    os.replace(back, path)


def edit_engagement(fw: Framework | None, slug: str, change: Callable[[dict], T], *, action: str,
                    detail: dict | Callable[[T], dict] | None = None, root: str | Path | None = None,
                    also: Callable[[Store], None] | None = None, who: str | None = None) -> T:
    """Apply `change` to engagement.yaml's top-level mapping (comments, order and layout kept) and
    save it with an audit row `action` / `detail`; returns what `change` returns.

    `change` may raise a `DsmError` to refuse; nothing is written then, nor when the data did not
    change. `also` runs inside the store transaction that records the audit row, so that what it
    stores and the new file are kept together or not at all.
    """
    from dsm_assess.formats.yamledit import dump_yaml, load_yaml

    path = engagement_file(slug, root)
    folder = path.parent
    if not path.is_file():
        raise NotFound(f"no engagement {slug!r} under {display_path(engagements_root(root))} "
                       f"(expected {display_path(path)})")
    with engagement_lock(folder):
        try:
            old = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise DsmError(f"{display_path(path)}: not UTF-8 text; fix it by hand first") from None
        data = load_yaml(old, path)
        result = change(data)
        _check_text(data, path)
        new = dump_yaml(data)
        if new == old:
            return result
        _check_document(new, path, slug, fw)
        info = detail(result) if callable(detail) else (detail or {})
        _replace(folder, path, slug, new, old, action, info, also, who)
    return result


def write_engagement(eng: EngagementSpec, root: str | Path | None = None, *, fw: Framework | None = None,
                     action: str = "engagement saved", create: bool = False) -> Path:
    """Write the whole engagement.yaml from `eng` (a new engagement, or one rewritten by a tool),
    under the same lock, checks and audit as `edit_engagement`; `create` refuses an existing one."""
    import yaml

    path = engagement_file(eng.slug, root)
    folder = path.parent
    data = eng.model_dump(mode="json", exclude_none=True)
    for later in ("planning", "tom", "follow_up", "messages"):  # sections the later stages add when used
        if not data[later]:
            del data[later]
    if data["report"] == ReportSettings().model_dump(mode="json"):
        del data["report"]
    _check_text(data, path)
    new = HEADER + yaml.safe_dump(data, sort_keys=False, allow_unicode=True)  # PyYAML: the reader's own YAML
    with engagement_lock(folder):
        old = path.read_text(encoding="utf-8") if path.is_file() else None
        if create and old is not None:
            raise DsmError(f"engagement {eng.slug!r} already exists ({display_path(path)})")
        _check_document(new, path, eng.slug, fw)
        _replace(folder, path, eng.slug, new, old, action, {"slug": eng.slug}, None, None)
    return path


def save_engagement(eng: EngagementSpec, root: str | Path | None = None) -> Path:
    """Write engagement.yaml from `eng` (see `write_engagement`)."""
    return write_engagement(eng, root)


def new_engagement(fw: Framework, slug: str, client: str, profile: str = "quick-scan", *,
                   root: str | Path | None = None, sector: str = "", scope: list[str] | None = None,
                   assessment_date: dt.date | None = None, deadline: dt.date | None = None,
                   contact: Contact | None = None) -> EngagementSpec:
    """Create engagements/<slug>/ with a validated engagement.yaml, its response store and the
    returned/ folder; refuses to overwrite one."""
    path = engagement_file(slug, root)
    if path.exists():
        raise DsmError(f"engagement {slug!r} already exists ({display_path(path)})")
    try:
        eng = EngagementSpec(slug=slug, client=client, sector=sector, profile=profile, bank_version=fw.bank_version,
                             assessment_date=assessment_date or dt.date.today(), deadline=deadline, contact=contact,
                             scope=scope or [s.id for s in fw.subjects])
    except ValueError as exc:
        raise DsmError(f"cannot create engagement {slug!r}: {first_error(exc)}") from None
    problems = check_against(eng, fw, path)
    if problems:
        raise InvalidInput(problems, f"cannot create engagement {slug!r}")
    write_engagement(eng, root, fw=fw, action="engagement created", create=True)
    (path.parent / "returned").mkdir(exist_ok=True)  # where the README says to save returned files
    return eng


def add_respondent(fw: Framework, slug: str, name: str, email: str, role: str, subjects: list[str] | None = None,
                   root: str | Path | None = None) -> Respondent:
    """Add a respondent to engagement.yaml (the consultant's comments and layout stay)."""
    eng = load_engagement(slug, root, fw)
    try:
        resp = Respondent(name=name, email=email, role=role, subjects=subjects or [])
    except ValueError as exc:
        raise DsmError(f"cannot add respondent: {first_error(exc)}") from None
    if any(r.email == resp.email for r in eng.respondents):
        raise DsmError(f"{resp.email} is already a respondent of {slug!r}")

    def append(data) -> None:
        if not isinstance(data.get("respondents"), list):
            data["respondents"] = []
        if any(str(r.get("email", "")).lower() == resp.email for r in data["respondents"] if isinstance(r, dict)):
            raise DsmError(f"{resp.email} is already a respondent of {slug!r}")
        data["respondents"].append(resp.model_dump(mode="json"))

    edit_engagement(fw, slug, append, action="respondent added", detail=resp.model_dump(mode="json"), root=root)
    return resp



def set_size(fw: Framework, slug: str, values: dict[str, int], *, clear: bool = False,
             root: str | Path | None = None) -> Size | None:
    """Set the client's size drivers in `size:` of engagement.yaml (the figures given replace those
    there, the others stay), or remove the section with `clear`; returns the size now recorded. A
    figure that is not a whole number of at least 0 changes nothing."""
    try:
        given = Size.model_validate(values)
    except ValueError as exc:
        raise DsmError(f"size: {first_error(exc)}") from None
    figures = given.model_dump(exclude_none=True)
    if clear == bool(figures):
        raise DsmError("give the figures to set (staff in IT, services, suppliers, sites, integrations), or clear "
                       "them, not both")

    def change(data) -> None:
        from dsm_assess.formats.yamledit import section

        if clear:
            data.pop("size", None)
            return
        section(data, "size").update(figures)

    edit_engagement(fw, slug, change, action="size cleared" if clear else "size set", detail=figures, root=root)
    return load_engagement(slug, root, fw).size
