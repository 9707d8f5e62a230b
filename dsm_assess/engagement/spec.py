"""Engagements: one folder per client under the engagements root, described by engagement.yaml.

engagements/<slug>/
  engagement.yaml     client, scope, profile, respondents, business context, targets, size
                      (changed only through engagement/edit.py)
  responses.sqlite    the response store (store.py), made with the engagement
  outbox/             questionnaires sent out
  returned/           where returned files are saved before they are imported
  inbox/              returned files stored, kept exactly as received
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, EmailStr, Field, Strict, StringConstraints, field_validator
from pydantic_core import PydanticCustomError

from dsm_assess.core.errors import DsmError, InvalidInput, NotFound, Problem
from dsm_assess.core.paths import engagements_root
from dsm_assess.core.text import text_problem
from dsm_assess.formats.yamlfile import YamlDoc, display_path, read_yaml, yaml_path
from dsm_assess.framework.model import Framework

SLUG = re.compile(r"[a-z0-9][a-z0-9-]{0,62}")  # always used with fullmatch: "evil\n" is not a slug
# Names Windows keeps for devices: a folder so named cannot be copied to a Windows machine.
RESERVED = re.compile(r"(con|prn|aux|nul|com[0-9]|lpt[0-9])")


def slug_problem(slug: str) -> str | None:
    """Why `slug` cannot name an engagement folder, or None."""
    if not SLUG.fullmatch(slug):
        return "use lowercase letters, digits and hyphens, starting with a letter or digit (at most 63)"
    if RESERVED.fullmatch(slug):
        return f"{slug!r} names a device on Windows, where the folder could not be copied; choose another name"
    return None


def _keepable(value: str) -> str:
    why = text_problem(value, multiline=True)
    if why:
        raise ValueError(f"{why}; type it again as plain text")
    return value


# Text the kit can write to every output (core/text.py), not blank.
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1), AfterValidator(_keepable)]


class Contact(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: Text
    email: EmailStr


class Respondent(BaseModel):
    """Someone who answers; `subjects` empty means the whole scope."""

    model_config = ConfigDict(extra="forbid")
    name: Text
    email: EmailStr
    role: Text
    subjects: list[str] = []

    @field_validator("email")
    @classmethod
    def _lower(cls, v: str) -> str:
        return v.lower()


class Target(BaseModel):
    """A target capability level set by hand; it overrides a derived one and says why."""

    model_config = ConfigDict(extra="forbid")
    level: int = Field(ge=1, le=5)
    reason: Text


class NotHeld(BaseModel):
    """A declaration that a bank condition does not hold for some subjects of this client: the
    criteria that apply only under it are not asked there (docs/question-bank.md)."""

    model_config = ConfigDict(extra="forbid")
    condition: str
    subjects: list[str] = Field(min_length=1)
    reason: Text


FIRST_DATE, LAST_DATE = dt.date(1990, 1, 1), dt.date(2199, 12, 31)  # beyond: a mistyped year


def _iso_date(value: object) -> object:
    """A date as YYYY-MM-DD (YAML may hand over a date already); anything else names the format."""
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        if FIRST_DATE <= value <= LAST_DATE:
            return value
        raise PydanticCustomError("date", "{value} is out of range: an assessment's dates fall between {first} "
                                  "and {last}", {"value": str(value), "first": str(FIRST_DATE),
                                                 "last": str(LAST_DATE)})
    if isinstance(value, str) and len(value) == 10:
        try:
            parsed = dt.date.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None:
            return _iso_date(parsed)
    raise PydanticCustomError("date", "'{value}' is not a date; use the form YYYY-MM-DD (e.g. 2026-12-18)",
                              {"value": str(value)})


class ReportSettings(BaseModel):
    """How the reports treat this client: when a report is ready to leave, and who is named."""

    model_config = ConfigDict(extra="forbid")
    # The share of the scope's subjects that must be scored before a report goes out without a warning.
    min_coverage: float = Field(default=0.8, ge=0, le=1)
    # Comments are attributed by role; a client that agrees to it may have its people named.
    name_respondents: bool = False


Count = Annotated[int, Strict(), Field(ge=0, le=10_000_000)]  # a whole number as typed: 12, never "12" or 12.5


class Size(BaseModel):
    """The client's size drivers, which scale the initiatives estimated per service, supplier and so on
    (docs/question-bank.md, "Sizing initiatives"); a figure left out is the reference organisation's."""

    model_config = ConfigDict(extra="forbid")
    staff_in_it: Count | None = None    # people working in IT, employees and contractors
    services: Count | None = None       # business services in the service catalogue
    suppliers: Count | None = None      # IT suppliers under contract
    sites: Count | None = None          # locations with their own IT support or infrastructure
    integrations: Count | None = None   # interfaces between systems


MESSAGE_SECTIONS = ("key messages", "recommendations", "decisions", "next steps")


class Message(BaseModel):
    """A consultant's own message in the executive report: added to a section, or replacing one
    the kit generated (by its id, shown in the report's notes)."""

    model_config = ConfigDict(extra="forbid")
    text: Text
    section: Literal["key messages", "recommendations", "decisions", "next steps"] = "key messages"
    replaces: str | None = None


class EngagementSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    slug: str
    client: Text
    sector: Annotated[str, AfterValidator(_keepable)] = ""
    assessment_date: dt.date
    deadline: dt.date | None = None
    contact: Contact | None = None
    profile: Text = "quick-scan"
    bank_version: Text
    upgraded_from: str | None = None  # the bank version `engagement upgrade` moved it from
    scope: list[str] = Field(min_length=1)  # an assessment of nothing would report nothing
    # Subjects of the scope asked every criterion of the bank, whatever the profile (a quick scan
    # with full depth where the client's attention is).
    full_depth: list[str] = []
    respondents: list[Respondent] = []
    # How much the business depends on each digital capability (CAP.* id -> 1..5).
    business_context: dict[str, Annotated[int, Field(ge=1, le=5)]] = {}
    targets: dict[str, Target] = {}
    # An earlier assessment of the same client (an engagement folder beside this one), for trend.
    previous: str | None = None
    # Sections validated by the stage that reads them (planning.py, tom.py), with their own
    # located problems: the engagement only carries them.
    planning: dict = {}
    tom: dict = {}
    # Bank conditions that do not hold for some subjects (e.g. no external suppliers).
    conditions: list[NotHeld] = []
    # Criteria asked of each respondent (e-mail) beyond the profile, chosen by `questionnaire
    # follow-up` from the screening answers: kept here, beside the profile and scope they extend,
    # so that exports, imports, status, the form and scoring all read one asked set.
    follow_up: dict[str, list[str]] = {}
    report: ReportSettings = ReportSettings()
    # How big the client is, for sizing the roadmap's initiatives (optional: the reference otherwise).
    size: Size | None = None
    # The consultant's messages for the executive report (added to or replacing generated ones).
    messages: list[Message] = []

    @field_validator("assessment_date", "deadline", mode="before")
    @classmethod
    def _dates(cls, v: object) -> object:
        return v if v is None else _iso_date(v)

    @field_validator("slug")
    @classmethod
    def _slug(cls, v: str) -> str:
        why = slug_problem(v)
        if why:
            raise ValueError(why)
        return v

    def respondent(self, email: str) -> Respondent:
        for r in self.respondents:
            if r.email == email.lower():
                return r
        raise NotFound(f"engagement {self.slug!r} has no respondent {email!r}")

    def subjects_of(self, respondent: Respondent) -> list[str]:
        return [s for s in self.scope if not respondent.subjects or s in respondent.subjects]

    def criteria_for(self, fw: Framework, respondent: Respondent | None = None) -> list[str]:
        """Criterion ids this engagement asks (of one respondent, if given), in bank order."""
        subjects = set(self.subjects_of(respondent) if respondent else self.scope)
        excluded = self.excluded(fw)
        deep = subjects & set(self.full_depth)
        profile = set(fw.profiles[self.profile])
        if respondent:
            profile |= set(self.follow_up.get(respondent.email, ()))
        else:
            profile.update(*self.follow_up.values())
        return [c.id for c in fw.criteria if c.id not in excluded
                and (c.subject in deep or (c.id in profile and c.subject in subjects))]

    def excluded(self, fw: Framework) -> dict[str, NotHeld]:
        """Criterion id -> the declaration that leaves it out: it applies only under a condition this
        client has declared does not hold for its subject."""
        if not self.conditions:
            return {}
        not_held = {(d.condition, s): d for d in self.conditions for s in d.subjects}
        return {c.id: not_held[(c.applies_when, c.subject)] for c in fw.criteria
                if c.applies_when and (c.applies_when, c.subject) in not_held}


def engagement_dir(slug: str, root: str | Path | None = None) -> Path:
    why = slug_problem(slug) if isinstance(slug, str) else "not text"
    if why:
        raise DsmError(f"invalid engagement name {str(slug)[:80]!r}: {why}")
    return engagements_root(root) / slug


def engagement_file(slug: str, root: str | Path | None = None) -> Path:
    return engagement_dir(slug, root) / "engagement.yaml"


def _reference_problems(data: dict, fw: Framework) -> list[tuple[list, str]]:
    """(YAML location, message) for each reference from engagement data (as read, or dumped from
    the model) that the framework does not know; read from the raw data so that unknown ids are
    reported together with every other problem of the file."""
    data = data if isinstance(data, dict) else {}
    subjects = {s.id for s in fw.subjects}
    out: list[tuple[list, str]] = []

    def listed(key) -> list:
        value = data.get(key)
        return value if isinstance(value, list) else []

    def keyed(key) -> dict:
        value = data.get(key)
        return value if isinstance(value, dict) else {}

    profile = data.get("profile", "quick-scan")
    if isinstance(profile, str) and profile not in fw.profiles:
        out.append((["profile"], f"unknown profile {profile!r}; one of {', '.join(fw.profiles)}"))
    scope = listed("scope")
    out += [(["scope", i], f"unknown subject {s!r}") for i, s in enumerate(scope) if s not in subjects]
    out += [(["full_depth", i], f"{s!r} is not in the engagement's scope") for i, s in enumerate(listed("full_depth"))
            if s not in scope]
    seen = set()
    for i, r in enumerate(listed("respondents")):
        r = r if isinstance(r, dict) else {}
        email = str(r.get("email", "")).lower()
        if email and email in seen:
            out.append((["respondents", i, "email"], f"respondent {email} is listed twice"))
        seen.add(email)
        own = r.get("subjects") if isinstance(r.get("subjects"), list) else []
        out += [(["respondents", i, "subjects", j], f"{s!r} is not in the engagement's scope")
                for j, s in enumerate(own) if s not in scope]
    caps = {c.id for c in fw.capabilities}
    out += [(["business_context", c], f"unknown digital capability {c!r}") for c in keyed("business_context")
            if c not in caps]
    out += [(["targets", s], f"unknown subject {s!r}") for s in keyed("targets") if s not in subjects]
    conditions = {c.id for c in fw.conditions}
    for i, d in enumerate(listed("conditions")):
        d = d if isinstance(d, dict) else {}
        if "condition" in d and d["condition"] not in conditions:
            out.append((["conditions", i, "condition"], f"unknown condition {d['condition']!r}; one of "
                        f"{', '.join(sorted(conditions)) or '(none in this bank)'}"))
        own = d.get("subjects") if isinstance(d.get("subjects"), list) else []
        out += [(["conditions", i, "subjects", j], f"{s!r} is not in the engagement's scope")
                for j, s in enumerate(own) if s not in scope]
    emails = {str(r.get("email", "")).lower() for r in listed("respondents") if isinstance(r, dict)}
    known = {c.id for c in fw.criteria}
    for email, ids in keyed("follow_up").items():
        if str(email).lower() not in emails:
            out.append((["follow_up", email], f"{email} is not a respondent of this engagement"))
        for j, cid in enumerate(ids if isinstance(ids, list) else []):
            if cid not in known:
                out.append((["follow_up", email, j], f"unknown criterion {cid!r}"))
    version = data.get("bank_version")
    if isinstance(version, str) and _newer(version, fw.bank_version):
        out.append((["bank_version"], f"{version} was made with a newer kit (this kit's question bank is "
                                      f"{fw.bank_version}): upgrade the kit"))
    previous = data.get("previous")
    if previous is not None and (not isinstance(previous, str) or not SLUG.fullmatch(previous)
                                 or previous == data.get("slug")):
        out.append((["previous"], "name an earlier engagement of the same client (its folder name)"))
    return out


def _newer(version: str, than: str) -> bool:
    from packaging.version import InvalidVersion, Version

    try:
        return Version(version) > Version(than)
    except InvalidVersion:
        return False


def check_against(eng: EngagementSpec, fw: Framework, path: Path, doc: YamlDoc | None = None) -> list[Problem]:
    """Problems with references from the engagement to the framework (with lines when `doc` is given)."""
    found = _reference_problems(eng.model_dump(mode="json"), fw)
    if doc is not None:
        return [doc.problem(loc, msg) for loc, msg in found]
    return [Problem(display_path(path), yaml_path(loc), msg) for loc, msg in found]


def _shorthand_targets(doc: YamlDoc) -> tuple[object, list[Problem]]:
    """A manual target must say why: `PR.SDK: 4` is refused with a message that says so (and is left
    out of the data validated next, so that every other problem is still reported)."""
    data = doc.data
    targets = data.get("targets") if isinstance(data, dict) else None
    if not isinstance(targets, dict):
        return data, []
    problems, kept = [], {}
    for key, value in targets.items():
        if isinstance(value, dict):
            kept[key] = value
        else:
            problems.append(doc.problem(["targets", key], f"manual target for {key} needs a reason: write "
                                                          f"`{key}: {{level: {value}, reason: \"...\"}}`"))
    return {**data, "targets": kept}, problems


def validate_doc(doc: YamlDoc, slug: str, fw: Framework | None) -> tuple[EngagementSpec | None, list[Problem]]:
    """The engagement a parsed engagement.yaml describes, or None and every problem found in it."""
    path = doc.path
    if doc.data is None and not doc.problems:
        return None, [Problem(display_path(path), "", "the file is empty (or only comments); it should describe "
                              "the engagement: slug, client, assessment_date, bank_version, scope, ...")]
    data, problems = _shorthand_targets(doc)
    eng = doc.validate(EngagementSpec, data, []) if data is not None else None
    problems = list(doc.problems) + problems
    if fw is not None:
        problems += [doc.problem(loc, msg) for loc, msg in _reference_problems(data, fw)]
    if problems:
        eng = None
    if eng is not None and eng.slug != slug:
        problems.append(doc.problem(["slug"], f"says {eng.slug!r} but the folder is {slug!r}"))
    return (None if problems else eng), problems


def load_engagement(slug: str, root: str | Path | None = None, fw: Framework | None = None) -> EngagementSpec:
    """Read and validate engagement.yaml; raises `InvalidInput` naming file and field."""
    return read_engagement(slug, root, fw)[0]


def read_engagement(slug: str, root: str | Path | None = None,
                    fw: Framework | None = None) -> tuple[EngagementSpec, YamlDoc]:
    """`load_engagement` and the parsed document, so that its other sections (planning:, tom:)
    are validated from the same parse, with their lines."""
    path = engagement_file(slug, root)
    if not path.exists():
        raise NotFound(f"no engagement {slug!r} under {display_path(engagements_root(root))} "
                       f"(expected {display_path(path)})")
    doc = read_yaml(path)
    eng, problems = validate_doc(doc, slug, fw)
    if problems:
        raise InvalidInput(problems, f"{display_path(path)} is not valid")
    return eng, doc


def first_error(exc: ValueError) -> str:
    errors = getattr(exc, "errors", None)
    if not errors:
        return str(exc)
    e = errors()[0]
    return f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
