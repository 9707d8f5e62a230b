"""Load and validate the framework, question bank and initiative library under questionnaires/.

`load_framework()` reads every YAML file, checks schemas, ids, references, counts and the
initiatives' dependencies, and returns one immutable `Framework`. All problems found are raised
together as `FrameworkInvalid`, each naming its file, line and YAML path.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from functools import cached_property
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, model_validator

from dsm_assess.core import cache, scale
from dsm_assess.core.errors import FrameworkInvalid, NotFound, Problem
from dsm_assess.core.paths import questionnaires_dir
from dsm_assess.core.scale import Rating
from dsm_assess.formats import yamlfile
from dsm_assess.formats.yamlfile import YamlDoc, read_yaml
from dsm_assess.framework import glossary as glossary_module
from dsm_assess.framework.glossary import Glossary, GlossaryFile, GlossaryTerm

GROUPS = ("general", "service", "technical")
LEVELS = (2, 3, 4, 5)
# What the source frameworks fix: a framework with other counts is not the one we assess against.
EXPECTED = {
    "areas": 7,
    "practices": {"general": 14, "service": 17, "technical": 3},
    "value_chain_activities": 6,
    "dimensions": 4,
    "capabilities": 5,
    "operating_model": 6,
    "toll_gates": 7,
}
INITIATIVE_TYPES = ("quick-win", "foundation", "transformation")
CRITERION_ID = re.compile(r"^(?P<subject>(?:PR|DSM)\.[A-Z]+)\.L(?P<level>[2-5])\.(?P<n>\d{2})$")

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Slug = Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")]


default_questionnaires = questionnaires_dir  # where the framework lives (paths.py decides)


class Item(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: Text
    name: Text


class Described(Item):
    description: Text


class Activity(Described):
    pass


class Dimension(Described):
    pass


class CapabilityLevel(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    level: int = Field(ge=1, le=5)
    name: Text
    meaning: Text


class Area(Described):
    id: Annotated[str, StringConstraints(pattern=r"^DSM\.[A-Z]+$")]


class Practice(Item):
    id: Annotated[str, StringConstraints(pattern=r"^PR\.[A-Z]+$")]
    group: Literal["general", "service", "technical"]
    purpose: Text
    value_chain: dict[str, Literal["high", "medium", "none"]]
    # Activity -> why its value departs from the file's reading rule (an expert override).
    value_chain_overrides: dict[str, Text] = {}


class Capability(Described):
    practices: tuple[str, ...]
    areas: tuple[str, ...] = ()


class OperatingModelElement(Described):
    areas: tuple[str, ...] = ()


class Control(Described):
    # The least adherence any delivery stage may set, and why (regulation binds from discovery on).
    at_least: Literal["optional", "recommended", "mandatory"] | None = None
    at_least_why: Text | None = None

    @model_validator(mode="after")
    def _floor_says_why(self) -> Control:
        if (self.at_least is None) != (self.at_least_why is None):
            raise ValueError("at_least and at_least_why go together: a floor on adherence says why")
        return self


class Judged(BaseModel):
    """An item the kit partly decided itself where its source is silent: `kit_judgement` maps each
    such field to why, so that what is the paper's and what is the kit's can be told apart."""

    kit_judgement: dict[str, Text] = {}

    @model_validator(mode="after")
    def _judged_fields_exist(self) -> Judged:
        unknown = sorted(set(self.kit_judgement) - set(type(self).model_fields) - {"id", "kit_judgement"})
        if unknown:
            raise ValueError(f"kit_judgement names {', '.join(map(repr, unknown))}, which "
                             f"{'is not a field' if len(unknown) == 1 else 'are not fields'} of this item")
        return self

    def basis(self, field: str) -> str:
        """Where a field's value comes from: "kit judgement" or "paper"."""
        return "kit judgement" if field in self.kit_judgement else "paper"

    def basis_text(self) -> str:
        """The item's basis in a phrase: "paper", or "paper, except stage (kit judgement)"."""
        judged = ", ".join(self.kit_judgement)
        return f"paper, except {judged} (kit judgement)" if judged else "paper"


class DeliveryStage(Described):
    control_weight: Literal["light", "moderate", "full"]


class DataEntity(Described):
    kinds: tuple[str, ...] = ()
    related: tuple[str, ...] = ()


class LifecycleStage(Item):
    pass


class Role(Judged, Item):
    responsibility: Text


class ItspmProcess(Judged, Described):
    owner: str
    practices: tuple[str, ...] = ()


class TollGate(Judged, Item):
    id: Annotated[str, StringConstraints(pattern=r"^TG[1-9]$")]
    stage: str
    decides: Text
    inputs: tuple[Text, ...]
    optional: bool = False
    when_skipped: Text | None = None  # what happens to its artefacts when an optional gate is skipped
    on_success: Text
    on_failure: Text


class Criterion(BaseModel):
    """One statement a respondent rates; its subject and level are read from its id."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: Annotated[str, StringConstraints(pattern=CRITERION_ID.pattern)]
    statement: Text
    guidance: Text
    evidence: tuple[Text, ...] = Field(min_length=1, max_length=4)
    improve: Text
    dimension: str
    informs: tuple[str, ...] = ()
    topic: Slug | None = None            # one of its subject's topics (bank 2.0 on)
    applies_when: Slug | None = None     # a condition from bank.yaml; asked only where it holds
    profiles: tuple[Slug, ...] = ()      # profiles that choose this criterion by hand
    capability: Slug | None = None       # its capability family (bank.yaml), which sets its level (2.1 on)
    capability_reason: Text | None = None  # why it sits at another level than its family's

    # Cached: scoring reads them for every criterion of every engagement it scores.
    @cached_property
    def subject(self) -> str:
        return CRITERION_ID.match(self.id)["subject"]

    @cached_property
    def level(self) -> int:
        return int(CRITERION_ID.match(self.id)["level"])


class Topic(BaseModel):
    """Something a subject must get right; every criterion names one, so coverage can be seen."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: Slug
    name: Text


class Retired(BaseModel):
    """A criterion id no longer asked, and what became of it (see docs/question-bank.md)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: Annotated[str, StringConstraints(pattern=CRITERION_ID.pattern)]
    kind: Literal["same", "replaced", "split", "merged", "dropped"]
    replaced_by: tuple[str, ...] = ()
    since: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]  # the bank version that retired it
    reason: Text

    @model_validator(mode="after")
    def _replacements(self) -> Retired:
        want = {"same": (1, 1), "replaced": (1, 1), "split": (2, None), "merged": (1, 1), "dropped": (0, 0)}[self.kind]
        n = len(self.replaced_by)
        if n < want[0] or (want[1] is not None and n > want[1]):
            raise ValueError(f"a {self.kind!r} retirement needs " + {
                "same": "exactly one id in replaced_by", "replaced": "exactly one id in replaced_by",
                "split": "two or more ids in replaced_by",
                "merged": "exactly one id in replaced_by", "dropped": "no replaced_by"}[self.kind])
        return self


class CapabilityFamily(BaseModel):
    """One kind of capability (delegation, self-service, benchmarking...) and the level it belongs at, so
    the same capability is asked at the same level in every subject."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: Slug
    name: Text
    level: Annotated[int, Field(ge=2, le=5)]
    description: Text


class Condition(BaseModel):
    """When a conditional criterion applies, and what an engagement says when it does not."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: Slug
    applies_when: Text   # "suppliers are involved": shown next to N/A in the questionnaire
    not_held: Text       # "no external suppliers are involved": what a declaration states


class SubjectFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    subject: str
    audiences: tuple[Text, ...] = Field(min_length=1)
    topics: tuple[dict, ...] = ()
    criteria: tuple[dict, ...]
    retired: tuple[dict, ...] = ()


class ScalePoint(BaseModel):
    """One answer option. `credit` is the share of a criterion it counts as achieved."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    code: Rating
    label: Text
    plain: Text
    band: str | None = None
    credit: float | None = Field(default=None, ge=0, le=1)
    needs_reason: bool = False


class Profile(BaseModel):
    """A selection of criteria: every one (`all`), the first N per subject and level, or a list."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: Annotated[str, StringConstraints(pattern=r"^[a-z][a-z0-9-]*$")]
    name: Text
    description: Text
    all: bool = False
    first_per_level: int | None = Field(default=None, ge=1)
    criteria: tuple[str, ...] = ()
    tagged: bool = False  # the criteria that name this profile in their `profiles`
    # or: the criteria of an earlier profile (`of`) at some of its levels only (`levels`)
    of: str | None = None
    levels: tuple[Annotated[int, Field(ge=2, le=5)], ...] = ()
    # `questionnaire follow-up` builds on an engagement using this profile (the adaptive path)
    follow_up: bool = False
    covers_every_level: bool = False
    spread: bool = False  # lint: different topics within a subject, every dimension across the bank
    max_criteria: int | None = Field(default=None, ge=1)
    # lint: every subject keeps a criterion at each of these levels, and none of them rests on
    # conditional criteria alone (a screening must decide them wherever it is used)
    decides_levels: tuple[Annotated[int, Field(ge=2, le=5)], ...] = ()


Amount = Annotated[int | float, Field(gt=0, le=1000)]


class Initiative(BaseModel):
    """An improvement a client can undertake; once delivered, it achieves its criteria."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: Annotated[str, StringConstraints(pattern=r"^IN\.[A-Z]+\.[A-Z0-9]+$")]
    title: Text
    description: Text
    criteria: tuple[str, ...] = Field(min_length=1)
    effort: Amount    # person-weeks of work in total
    duration: Amount  # typical elapsed weeks
    type: Literal["quick-win", "foundation", "transformation"]
    owner: Text       # the role that leads it
    polism: tuple[str, ...] = ()
    areas: tuple[str, ...] = ()
    depends_on: tuple[str, ...] = ()
    # what its effort grows with (docs/question-bank.md, "Sizing initiatives"); `effort` is for the
    # reference organisation, `fixed` does not scale
    basis: Literal["fixed", "per-service", "per-supplier", "per-integration", "per-site", "per-staff"] = "fixed"

    @property
    def subjects(self) -> tuple[str, ...]:
        """The subjects whose criteria it achieves, in the order its criteria first name them: shared
        work (a portal for the desk, requests and the catalogue) serves several and is budgeted once."""
        return tuple(dict.fromkeys(c.rsplit(".", 2)[0] for c in self.criteria))


# An organisation's size drivers, as `size:` in engagement.yaml and `reference_size:` name them, and
# the driver each basis of estimate grows with.
SIZE_DRIVERS = ("staff_in_it", "services", "suppliers", "sites", "integrations")
BASIS_DRIVER = {"per-staff": "staff_in_it", "per-service": "services", "per-supplier": "suppliers",
                "per-site": "sites", "per-integration": "integrations"}
LIBRARY_FILE = "library.yaml"  # in initiatives/: what holds for the library as a whole


class ReferenceSize(BaseModel):
    """The organisation the library's efforts and durations are estimated for (initiatives/library.yaml)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    staff_in_it: Annotated[int, Field(gt=0)]    # people working in IT, staff and contractors
    services: Annotated[int, Field(gt=0)]       # business services in the catalogue
    suppliers: Annotated[int, Field(gt=0)]      # IT suppliers under contract
    sites: Annotated[int, Field(gt=0)]          # locations with their own IT support or infrastructure
    integrations: Annotated[int, Field(gt=0)]   # interfaces between systems


class LibraryFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    reference_size: ReferenceSize


class InitiativeFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    subject: str
    initiatives: tuple[dict, ...]


class BankMeta(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    version: Annotated[str, StringConstraints(pattern=r"^\d+\.\d+\.\d+$")]
    scale: tuple[ScalePoint, ...]
    conditions: tuple[Condition, ...] = ()
    capability_families: tuple[CapabilityFamily, ...] = ()


class Subject(BaseModel):
    """A practice or a DSM area as something the bank asks about."""

    model_config = ConfigDict(frozen=True)
    id: str
    name: str
    kind: Literal["practice", "area"]
    audiences: tuple[str, ...] = ()
    topics: tuple[Topic, ...] = ()


class Framework(BaseModel):
    """The whole framework and bank, validated and immutable."""

    model_config = ConfigDict(frozen=True)
    version: str
    name: str = "DSM Assessment Framework"
    activities: tuple[Activity, ...]
    dimensions: tuple[Dimension, ...]
    capability_levels: tuple[CapabilityLevel, ...]
    areas: tuple[Area, ...]
    practices: tuple[Practice, ...]
    capabilities: tuple[Capability, ...]
    operating_model: tuple[OperatingModelElement, ...]
    controls: tuple[Control, ...]
    delivery_stages: tuple[DeliveryStage, ...]
    data_model: tuple[DataEntity, ...]
    lifecycle_stages: tuple[LifecycleStage, ...]
    roles: tuple[Role, ...]
    itspm_processes: tuple[ItspmProcess, ...]
    toll_gates: tuple[TollGate, ...]
    bank_version: str | None = None
    scale: tuple[ScalePoint, ...] = ()
    conditions: tuple[Condition, ...] = ()
    capability_families: tuple[CapabilityFamily, ...] = ()
    retired: tuple[Retired, ...] = ()
    audiences: dict[str, tuple[str, ...]] = {}
    topics: dict[str, tuple[Topic, ...]] = {}
    criteria: tuple[Criterion, ...] = ()
    profile_defs: tuple[Profile, ...] = ()
    initiatives: tuple[Initiative, ...] = ()
    # initiative id -> the subject whose file it is written in (it may serve other subjects too)
    initiative_home: dict[str, str] = {}
    reference_size: ReferenceSize | None = None   # what the library's efforts are estimated for
    glossary: Glossary = Glossary()

    @cached_property
    def index(self) -> dict[str, BaseModel]:
        """Every item by id."""
        out: dict[str, BaseModel] = {}
        for name in _ITEM_FIELDS:
            for item in getattr(self, name):
                out[item.id] = item
        return out

    @cached_property
    def subjects(self) -> tuple[Subject, ...]:
        """All subjects in framework order: practices, then DSM areas."""
        kinds = [(p, "practice") for p in self.practices] + [(a, "area") for a in self.areas]
        return tuple(
            Subject(id=i.id, name=i.name, kind=k, audiences=self.audiences.get(i.id, ()),
                    topics=self.topics.get(i.id, ()))
            for i, k in kinds
        )

    def get_subject(self, subject_id: str) -> Subject:
        """The subject (practice or DSM area) `subject_id`, matched as `resolve` matches; an unknown
        id raises `NotFound` naming the nearest subjects."""
        by_id = self._subjects_by_id
        return by_id[subject_id] if subject_id in by_id else by_id[self.resolve(subject_id, "subject", by_id)]

    @cached_property
    def _subjects_by_id(self) -> dict[str, Subject]:
        return {s.id: s for s in self.subjects}

    @cached_property
    def subject_of(self) -> dict[str, str]:
        """Criterion id -> its subject id."""
        return {c.id: c.subject for c in self.criteria}

    @cached_property
    def retired_by_id(self) -> dict[str, Retired]:
        """Retired criterion id -> what became of it."""
        return {r.id: r for r in self.retired}

    @cached_property
    def same_as(self) -> dict[str, str]:
        """Retired id -> the id asked today that asks the same thing (every step `same`): scoring
        reads an answer on the old id as one on the new, so reworded criteria keep their answers."""
        out = {}
        for gone in self.retired:
            kind, ids = self.successor(gone.id)
            if kind == "same":
                out[gone.id] = ids[0]
        return out

    def changed_subjects(self, answered: Iterable[str]) -> dict[str, list[str]]:
        """Subject -> the ids among `answered` (from any bank release) that were replaced, split,
        merged or dropped since: a score on those subjects means something else today."""
        out: dict[str, list[str]] = {}
        for cid in sorted(set(answered)):
            kind, _ = self.successor(cid)
            if kind in ("replaced", "split", "merged", "dropped"):
                out.setdefault(CRITERION_ID.match(cid)["subject"], []).append(cid)
        return out

    def guidance(self, criterion: Criterion, hint: str | None = None) -> str:
        """The guidance a respondent reads: with the condition under which the criterion applies (so
        N/A is the answer where it does not) and any hint."""
        parts = [criterion.guidance]
        if criterion.applies_when:
            when = next(k.applies_when for k in self.conditions if k.id == criterion.applies_when)
            parts.append(f"Applies only where {when}; if not, answer Not applicable and say so.")
        if hint:
            parts.append(hint)
        return "\n\n".join(parts)

    def successor(self, criterion_id: str) -> tuple[str, tuple[str, ...]]:
        """What an id from any release of the bank became in this one: ("current", (id,)) if it is
        still asked; else the kind of change and the ids asked today, following every later
        retirement. The kinds combine to the weakest: "same" only if every step asked the same
        thing, else the strongest change on the way (replaced < merged < split). ("unknown", ()) if this bank
        never had the id."""
        if criterion_id in self.subject_of:
            return "current", (criterion_id,)
        gone = self.retired_by_id.get(criterion_id)
        if gone is None:
            return "unknown", ()
        kinds, ids = [gone.kind], []
        for nxt in gone.replaced_by:
            kind, more = self.successor(nxt)
            if kind != "current":
                kinds.append(kind)
            ids += [i for i in more if i not in ids]
        if not ids:
            return "dropped", ()
        order = ("same", "replaced", "merged", "split")  # a branch dropped on the way does not weaken the rest
        return max((k for k in kinds if k in order), key=order.index), tuple(ids)

    @cached_property
    def profiles(self) -> dict[str, tuple[str, ...]]:
        """Profile id -> the criterion ids it selects, in bank order."""
        out: dict[str, tuple[str, ...]] = {}
        for p in self.profile_defs:  # in file order: a profile `of` another reads the one before it
            out[p.id] = _select(p, self.criteria, out)
        return out

    @cached_property
    def follow_up_profiles(self) -> frozenset[str]:
        """The profiles `questionnaire follow-up` builds on (the adaptive path)."""
        return frozenset(p.id for p in self.profile_defs if p.follow_up)

    @cached_property
    def initiatives_for(self) -> dict[str, tuple[str, ...]]:
        """Criterion id -> the ids of the initiatives that serve it, in library order."""
        out: dict[str, list[str]] = {}
        for initiative in self.initiatives:
            for cid in initiative.criteria:
                out.setdefault(cid, []).append(initiative.id)
        return {cid: tuple(ids) for cid, ids in out.items()}

    @cached_property
    def _folded(self) -> dict[str, str]:
        return {i.casefold(): i for i in self.index}

    def resolve(self, item_id: str, what: str = "framework item", among=None) -> str:
        """The exact id for `item_id`, matched case-insensitively (`pr.inc` -> `PR.INC`).

        `among` limits the ids accepted (e.g. the subjects). An unknown id raises `NotFound`
        naming the nearest known ids.
        """
        known = self.index if among is None else {i: None for i in among}
        if item_id in known:
            return item_id
        folded = {i.casefold(): i for i in known} if among is not None else self._folded
        exact = folded.get(item_id.strip().casefold())
        if exact:
            return exact
        gone = self.retired_by_id.get(item_id.strip().upper())
        if gone is not None:
            raise NotFound(f"{what} {gone.id} was retired in question bank {gone.since}: {describe_retired(gone)}")
        near = difflib.get_close_matches(item_id.strip().upper(), list(known), n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(near)}?" if near else ""
        raise NotFound(f"unknown {what} {item_id!r}{hint}")

    def get(self, item_id: str) -> BaseModel:
        return self.index[self.resolve(item_id)]

    def criteria_counts(self) -> dict[str, dict[str, int]]:
        """Subject id -> level ("2".."5") -> number of criteria."""
        out: dict[str, dict[str, int]] = {}
        for c in self.criteria:
            levels = out.setdefault(c.subject, {str(lv): 0 for lv in LEVELS})
            levels[str(c.level)] += 1
        return out


# (file under framework/, top-level key, model, Framework field)
_FRAMEWORK_LISTS = (
    ("framework.yaml", "value_chain_activities", Activity, "activities"),
    ("framework.yaml", "dimensions", Dimension, "dimensions"),
    ("framework.yaml", "capability_levels", CapabilityLevel, "capability_levels"),
    ("areas.yaml", "areas", Area, "areas"),
    ("practices.yaml", "practices", Practice, "practices"),
    ("capabilities.yaml", "capabilities", Capability, "capabilities"),
    ("operating_model.yaml", "elements", OperatingModelElement, "operating_model"),
    ("dsm.yaml", "controls", Control, "controls"),
    ("dsm.yaml", "delivery_stages", DeliveryStage, "delivery_stages"),
    ("dsm.yaml", "data_model", DataEntity, "data_model"),
    ("itspm.yaml", "lifecycle_stages", LifecycleStage, "lifecycle_stages"),
    ("itspm.yaml", "roles", Role, "roles"),
    ("itspm.yaml", "processes", ItspmProcess, "itspm_processes"),
    ("itspm.yaml", "toll_gates", TollGate, "toll_gates"),
)
# Every top-level key a framework file may have: anything else is a located problem.
_TOP_LEVEL_KEYS: dict[str, set[str]] = {}
for _file, _key, *_ in _FRAMEWORK_LISTS:
    _TOP_LEVEL_KEYS.setdefault(_file, set()).add(_key)
_TOP_LEVEL_KEYS["framework.yaml"] |= {"version", "name"}
# Framework fields whose items have ids, which `Framework.get` looks up.
_ITEM_FIELDS = tuple(name for *_, model, name in _FRAMEWORK_LISTS if "id" in model.model_fields) + (
    "criteria", "initiatives")


def _select(profile: Profile, criteria: tuple[Criterion, ...],
            earlier: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
    if profile.of:
        chosen = set(earlier.get(profile.of, ()))
        return tuple(c.id for c in criteria if c.id in chosen and (not profile.levels or c.level in profile.levels))
    if profile.all:
        return tuple(c.id for c in criteria)
    if profile.first_per_level:
        seen: Counter = Counter()
        out = []
        for c in criteria:  # bank order: within a subject and level, lowest number first
            if seen[(c.subject, c.level)] < profile.first_per_level:
                seen[(c.subject, c.level)] += 1
                out.append(c.id)
        return tuple(out)
    if profile.tagged:
        return tuple(c.id for c in criteria if profile.id in c.profiles)
    return profile.criteria


class _Reader:
    """Collects items and problems while reading; one instance per load."""

    def __init__(self, root: Path):
        self.root = root
        self.problems: list[Problem] = []
        self.docs: dict[str, YamlDoc] = {}
        # id -> (doc, yaml loc) of where it was defined, for reference and duplicate messages
        self.where: dict[str, tuple[YamlDoc, list]] = {}
        # ids of items that failed validation: already reported, so references to them are not
        self.broken_ids: set[str] = set()
        # bank criteria with the file and YAML path they came from, for reference checks
        self.bank_criteria: list[tuple[Criterion, YamlDoc, list]] = []
        self.bank_retired: list[tuple[Retired, YamlDoc, list, str]] = []
        # (subject, file) of each initiative file, for reference checks
        self.initiative_files: list[tuple[str, YamlDoc]] = []

    def doc(self, path: Path) -> YamlDoc:
        key = str(path)
        if key not in self.docs:
            self.docs[key] = doc = read_yaml(path)
            self.problems.extend(doc.problems)
            doc.problems = self.problems  # later validation problems land in the shared list
        return self.docs[key]

    def read_list(self, doc: YamlDoc, key: str, model: type[BaseModel]) -> list:
        if doc.data is None:
            return []
        items = (self.item(doc, model, raw, [key, i]) for i, raw in doc.items(key))
        return [item for item in items if item is not None]

    def item(self, doc: YamlDoc, model: type[BaseModel], raw: object, loc: list):
        """One item validated and its id registered; None (its id noted as broken) if invalid."""
        item = doc.validate(model, raw, loc)
        if item is None:
            if isinstance(raw, dict) and isinstance(raw.get("id"), str):
                self.broken_ids.add(raw["id"])
            return None
        self.register(doc, [*loc, "id"], getattr(item, "id", None))
        return item

    def known_keys(self, doc: YamlDoc, keys: set[str]) -> None:
        if isinstance(doc.data, dict):
            for key in doc.data:
                if key not in keys:
                    self.problems.append(doc.problem([key], f"unknown top-level key {key!r}; this file has "
                                                            f"{', '.join(sorted(keys))}"))
        elif doc.data is not None:
            self.problems.append(doc.problem([], "expected a mapping of " + ", ".join(sorted(keys))))

    def register(self, doc: YamlDoc, loc: list, item_id: str | None) -> None:
        if item_id is None:
            return
        if item_id in self.where:
            first, first_loc = self.where[item_id]
            self.problems.append(doc.problem(loc, f"duplicate id {item_id!r} (first defined at "
                                                  f"{first.name}:{first.line(first_loc)})"))
        else:
            self.where[item_id] = (doc, loc)

    def ref(self, doc: YamlDoc, loc: list, target: str, allowed: set[str], what: str) -> None:
        if target not in allowed and target not in self.broken_ids:
            self.problems.append(doc.problem(loc, f"unknown {what} {target!r}"))


def read_framework(root: Path | None = None) -> tuple[Framework | None, list[Problem]]:
    """Read and check everything; return the framework (None if invalid) and all problems."""
    root = Path(root) if root else default_questionnaires()
    r = _Reader(root)
    fw_dir = root / "framework"
    if not fw_dir.is_dir():
        return None, [Problem(str(fw_dir), "", "framework folder not found")]

    meta = r.doc(fw_dir / "framework.yaml")
    version = meta.data.get("version") if isinstance(meta.data, dict) else None
    if meta.data is not None and not isinstance(version, str):
        r.problems.append(meta.problem(["version"], "a version string such as \"1.0.0\" is required"))
    title = meta.data.get("name") if isinstance(meta.data, dict) else None
    fields = {name: r.read_list(r.doc(fw_dir / f), key, model) for f, key, model, name in _FRAMEWORK_LISTS}
    for file, keys in _TOP_LEVEL_KEYS.items():
        r.known_keys(r.doc(fw_dir / file), keys)
    if isinstance(title, str) and title.strip():
        fields["name"] = title.strip()
    fields.update(_read_glossary(r, fw_dir / "glossary.yaml"))
    fields.update(_read_bank(r, root / "bank"))
    fields.update(_read_initiatives(r, root / "initiatives"))
    if fields.get("criteria"):  # bank order follows the framework: practices, then areas
        order = {s.id: i for i, s in enumerate((*fields["practices"], *fields["areas"]))}
        fields["criteria"] = tuple(sorted(fields["criteria"], key=lambda c: (order.get(c.subject, len(order)), c.id)))
    _check_references(r, fields)
    _check_initiatives(r, fields)
    _check_counts(r, fields, fw_dir)
    if r.problems:
        return None, r.problems
    return Framework(version=version, **fields), []


_LOADED: dict[str, Framework] = {}
CACHE_FORMAT = "4"


def _fingerprint(root: Path) -> str:
    """A hash of every file the framework is read from, and of the code that reads them."""
    h = hashlib.sha256(CACHE_FORMAT.encode())
    for code in (__file__, yamlfile.__file__, scale.__file__, glossary_module.__file__):
        h.update(Path(code).read_bytes())
    for path in sorted(root.glob("*/**/*.yaml")):
        h.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def load_framework(root: Path | None = None) -> Framework:
    """The validated framework; raises `FrameworkInvalid` listing every problem.

    Loaded once per process for the same files, and cached on disk keyed by the hash of the files
    (and of the code that reads them), so that every command starts quickly. Any change to a
    file is a new key: the cache can never serve a stale framework.
    """
    root = Path(root) if root else default_questionnaires()
    try:
        key = _fingerprint(root)
    except OSError:
        key = None
    if key in _LOADED:
        return _LOADED[key]
    framework = cache.read(f"framework-{key}.pickle", Framework) if key else None
    if framework is None:
        framework, problems = read_framework(root)
        if problems:
            raise FrameworkInvalid(problems, f"the framework has {len(problems)} problem(s)")
        if key:
            cache.write(f"framework-{key}.pickle", framework)
    if key:
        _LOADED[key] = framework
    return framework


def _read_bank(r: _Reader, bank_dir: Path) -> dict:
    """The question bank, if there is one yet: metadata, profiles and one file per subject."""
    if not bank_dir.is_dir():
        return {}
    meta_doc = r.doc(bank_dir / "bank.yaml")
    meta = meta_doc.validate(BankMeta, meta_doc.data, []) if meta_doc.data is not None else None
    profiles_doc = r.doc(bank_dir / "profiles.yaml")
    profiles = r.read_list(profiles_doc, "profiles", Profile)
    r.known_keys(profiles_doc, {"profiles"})
    criteria, audiences, files, topics, retired = [], {}, {}, {}, []
    for path in sorted((bank_dir / "subjects").glob("*.yaml")):
        doc = r.doc(path)
        if doc.data is None:
            continue
        sf = doc.validate(SubjectFile, doc.data, [])
        if sf is None:
            continue
        if sf.subject in files:
            r.problems.append(doc.problem(["subject"], f"subject {sf.subject!r} is also given by {files[sf.subject]}"))
            continue
        audiences[sf.subject], files[sf.subject] = sf.audiences, doc.name
        topics[sf.subject] = tuple(t for i, raw in enumerate(sf.topics)
                                   if (t := doc.validate(Topic, raw, ["topics", i])) is not None)
        for i, raw in enumerate(sf.retired):
            if (gone := doc.validate(Retired, raw, ["retired", i])) is not None:
                retired.append((gone, doc, ["retired", i], sf.subject))
        for i, raw in enumerate(sf.criteria):
            c = r.item(doc, Criterion, raw, ["criteria", i])
            if c is None:
                continue
            if c.subject != sf.subject:
                r.problems.append(doc.problem(["criteria", i, "id"],
                                              f"id {c.id!r} does not belong to subject {sf.subject!r}"))
            criteria.append((c, doc, ["criteria", i]))
    r.bank_criteria, r.bank_retired = criteria, retired
    if meta:
        _check_scale(meta_doc, meta, r.problems)
    out = {"audiences": audiences, "topics": topics, "criteria": tuple(c for c, _, _ in criteria),
           "profile_defs": tuple(profiles), "retired": tuple(g for g, *_ in retired)}
    if meta:
        out.update(bank_version=meta.version, scale=meta.scale, conditions=meta.conditions,
                   capability_families=meta.capability_families)
    return out


def _read_glossary(r: _Reader, path: Path) -> dict:
    """The glossary, if there is one: its terms (each term and each spelling once), the jargon
    patterns to watch for (each a valid regular expression) and the plain words."""
    if not path.is_file():
        return {}
    doc = r.doc(path)
    r.known_keys(doc, set(GlossaryFile.model_fields))
    if not isinstance(doc.data, dict):
        return {}
    gf = doc.validate(GlossaryFile, {k: v for k, v in doc.data.items() if k in GlossaryFile.model_fields}, [])
    if gf is None:
        return {}
    terms, names, spellings = [], {}, {}
    for i, raw in enumerate(gf.terms):
        term = doc.validate(GlossaryTerm, raw, ["terms", i])
        if term is None:
            continue
        if term.term.casefold() in names:
            r.problems.append(doc.problem(["terms", i, "term"], f"term {term.term!r} is already defined "
                                                                 f"(terms[{names[term.term.casefold()]}])"))
            continue
        names[term.term.casefold()] = i
        for j, spelling in enumerate(term.match):
            key = spelling if spelling.isupper() else spelling.casefold()
            if key in spellings:
                r.problems.append(doc.problem(["terms", i, "match", j], f"spelling {spelling!r} already names "
                                              f"{spellings[key]!r}: a text must name one term"))
            spellings.setdefault(key, term.term)
        terms.append(term)
    for j, pattern in enumerate(gf.watch):
        try:
            re.compile(pattern)
        except re.error as exc:
            r.problems.append(doc.problem(["watch", j], f"not a regular expression ({exc})"))
    return {"glossary": Glossary(terms=tuple(terms), watch=gf.watch, plain=gf.plain)}


def _read_initiatives(r: _Reader, folder: Path) -> dict:
    """The initiative library, if there is one: one file per subject, each a list of initiatives
    (which may also serve other subjects' criteria), and library.yaml with the reference size."""
    if not folder.is_dir():
        return {}
    out, home, fields = [], {}, {}
    library = folder / LIBRARY_FILE
    if library.is_file():
        doc = r.doc(library)
        r.known_keys(doc, set(LibraryFile.model_fields))
        if isinstance(doc.data, dict):
            lib = doc.validate(LibraryFile, doc.data, [])
            if lib is not None:
                fields["reference_size"] = lib.reference_size
    for path in sorted(folder.glob("*.yaml")):
        if path.name == LIBRARY_FILE:
            continue
        doc = r.doc(path)
        if doc.data is None:
            continue
        r.known_keys(doc, set(InitiativeFile.model_fields))
        if not isinstance(doc.data, dict):
            continue
        lib = doc.validate(InitiativeFile, {k: v for k, v in doc.data.items() if k in InitiativeFile.model_fields}, [])
        if lib is None:
            continue
        r.initiative_files.append((lib.subject, doc))
        items = (r.item(doc, Initiative, raw, ["initiatives", i]) for i, raw in enumerate(lib.initiatives))
        for item in items:
            if item is not None:
                out.append(item)
                home[item.id] = lib.subject
    return {"initiatives": tuple(out), "initiative_home": home, **fields}


def _check_scale(doc: YamlDoc, meta: BankMeta, problems: list[Problem]) -> None:
    """Each answer code once; N, P, L, F with credits that never fall as the rating rises."""
    codes = [p.code for p in meta.scale]
    for code in ("N", "P", "L", "F", "NA", "DK"):
        if codes.count(code) != 1:
            problems.append(doc.problem(["scale"], f"answer code {code} must appear exactly once"))
    credits = {p.code: p.credit for p in meta.scale}
    ladder = [credits.get(c) for c in ("N", "P", "L", "F")]
    if None in ladder or ladder != sorted(ladder):
        problems.append(doc.problem(["scale"], "N, P, L and F each need a credit, rising from N to F"))


def _check_references(r: _Reader, f: dict) -> None:
    ids = lambda name: {i.id for i in f.get(name, ())}  # noqa: E731
    practices, areas = ids("practices"), ids("areas")
    activities, dims = ids("activities"), ids("dimensions")
    entities, stages, roles = ids("data_model"), ids("lifecycle_stages"), ids("roles")

    def check(field: str, attr: str, allowed: set[str], what: str) -> None:
        for item in f.get(field, ()):
            doc, loc = r.where[item.id]
            values = getattr(item, attr)
            if isinstance(values, str):
                r.ref(doc, [*loc[:-1], attr], values, allowed, what)
            for j, target in enumerate(() if isinstance(values, str) else values):
                r.ref(doc, [*loc[:-1], attr, j], target, allowed, what)

    check("capabilities", "practices", practices, "practice")
    check("capabilities", "areas", areas, "DSM area")
    check("operating_model", "areas", areas, "DSM area")
    check("data_model", "related", entities, "data model entity")
    check("itspm_processes", "owner", roles, "role")
    check("itspm_processes", "practices", practices, "practice")
    check("toll_gates", "stage", stages, "lifecycle stage")

    for p in f.get("practices", ()):
        doc, loc = r.where[p.id]
        for act in sorted(activities - set(p.value_chain)):
            r.problems.append(doc.problem([*loc[:-1], "value_chain"], f"no contribution given for activity {act!r}"))
        for act in sorted(set(p.value_chain) - activities):
            r.problems.append(doc.problem([*loc[:-1], "value_chain", act], f"unknown value chain activity {act!r}"))
        for act in sorted(set(p.value_chain_overrides) - activities):
            r.problems.append(doc.problem([*loc[:-1], "value_chain_overrides", act],
                                          f"unknown value chain activity {act!r}"))

    for c, doc, loc in r.bank_criteria:
        r.ref(doc, [*loc, "dimension"], c.dimension, dims, "dimension")
        for j, a in enumerate(c.informs):
            r.ref(doc, [*loc, "informs", j], a, areas, "DSM area")
        if c.subject not in practices | areas:
            r.ref(doc, [*loc, "id"], c.subject, practices | areas, "subject")
    criterion_ids = {c.id for c in f.get("criteria", ())}
    profile_ids, conditions = ids("profile_defs"), {c.id for c in f.get("conditions", ())}
    topics = {s: {t.id for t in ts} for s, ts in f.get("topics", {}).items()}
    families = {k.id for k in f.get("capability_families", ())}
    for c, doc, loc in r.bank_criteria:
        if c.topic is not None:
            r.ref(doc, [*loc, "topic"], c.topic, topics.get(c.subject, set()), f"topic of {c.subject}")
        if c.applies_when is not None:
            r.ref(doc, [*loc, "applies_when"], c.applies_when, conditions, "condition (see conditions in bank.yaml)")
        if c.capability is not None:
            r.ref(doc, [*loc, "capability"], c.capability, families, "capability family")
        for j, p in enumerate(c.profiles):
            r.ref(doc, [*loc, "profiles", j], p, profile_ids, "profile")
    before: set[str] = set()
    for p in f.get("profile_defs", ()):
        doc, loc = r.where[p.id]
        if p.of is not None:
            r.ref(doc, [*loc[:-1], "of"], p.of, before, "profile given before this one")
        before.add(p.id)
        for j, cid in enumerate(p.criteria):
            r.ref(doc, [*loc[:-1], "criteria", j], cid, criterion_ids, "criterion")
    _check_retired(r, criterion_ids)


def _check_retired(r: _Reader, current: set[str]) -> None:
    """A retired id belongs to its file's subject, is retired once and never reused, and what replaced it
    is asked today (or retired later, with its own entry)."""
    retired: dict[str, tuple[YamlDoc, list]] = {}
    for gone, doc, loc, subject in r.bank_retired:
        if CRITERION_ID.match(gone.id)["subject"] != subject:
            r.problems.append(doc.problem([*loc, "id"], f"id {gone.id!r} does not belong to subject {subject!r}"))
        if gone.id in retired:
            first, first_loc = retired[gone.id]
            r.problems.append(doc.problem([*loc, "id"], f"{gone.id!r} is retired twice (first at "
                                                        f"{first.name}:{first.line(first_loc)})"))
        retired[gone.id] = (doc, loc)
        if gone.id in current:
            r.problems.append(doc.problem([*loc, "id"], f"{gone.id!r} is retired but still asked; a retired id "
                                                        "is never used again"))
    for gone, doc, loc, _ in r.bank_retired:
        for j, new in enumerate(gone.replaced_by):
            if new not in current and new not in retired:
                r.problems.append(doc.problem([*loc, "replaced_by", j], f"unknown criterion {new!r}"))


def _check_initiatives(r: _Reader, f: dict) -> None:
    """Every reference from the initiative library resolves, and no initiative depends on itself."""
    subjects = {i.id for i in (*f.get("practices", ()), *f.get("areas", ()))}
    criteria = {c.id for c in f.get("criteria", ())}
    retired = {g.id for g in f.get("retired", ())}
    elements, areas = {e.id for e in f.get("operating_model", ())}, {a.id for a in f.get("areas", ())}
    initiatives = f.get("initiatives", ())
    known = {i.id for i in initiatives}
    for subject, doc in r.initiative_files:
        r.ref(doc, ["subject"], subject, subjects, "subject")
    for item in initiatives:
        doc, loc = r.where[item.id]
        at = loc[:-1]
        for field, allowed, what in (("criteria", criteria, "criterion"), ("areas", areas, "DSM area"),
                                     ("polism", elements, "operating model element"),
                                     ("depends_on", known, "initiative")):
            seen = set()
            for j, target in enumerate(getattr(item, field)):
                if target in seen:
                    r.problems.append(doc.problem([*at, field, j], f"{target!r} is listed twice"))
                elif field == "criteria" and target in retired and target not in allowed:
                    r.problems.append(doc.problem([*at, field, j], f"criterion {target!r} was retired"))
                else:
                    r.ref(doc, [*at, field, j], target, allowed, what)
                seen.add(target)
    if f.get("reference_size") is None:  # an effort that grows with size needs the size it was estimated for
        for item in initiatives:
            if item.basis != "fixed":
                doc, loc = r.where[item.id]
                r.problems.append(doc.problem([*loc[:-1], "basis"], f"{item.basis} needs the reference organisation's "
                                              f"size: add reference_size to initiatives/{LIBRARY_FILE}"))
    depends_on = {i.id: i.depends_on for i in initiatives}
    for cycle in dependency_cycles(depends_on):
        doc, loc = r.where[cycle[0]]
        j = depends_on[cycle[0]].index(cycle[1])
        r.problems.append(doc.problem([*loc[:-1], "depends_on", j], "dependency cycle: " + " -> ".join(cycle)))


def dependency_cycles(depends_on: Mapping[str, Iterable[str]]) -> list[list[str]]:
    """Each dependency cycle found, once, as the path that closes it: `["IN.A", "IN.B", "IN.A"]`.

    `depends_on` maps an id to the ids it depends on; ids it does not list are ignored. Ids are
    visited in the mapping's order, so the same input always names the same cycles the same way.
    """
    order = {k: n for n, k in enumerate(depends_on)}
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    found: list[list[str]] = []
    seen: set[tuple[str, ...]] = set()
    for root in depends_on:
        if state.get(root):
            continue
        path, stack = [root], [iter(depends_on[root])]
        state[root] = 1
        while stack:
            nxt = next(stack[-1], None)
            if nxt is None:
                state[path.pop()] = 2
                stack.pop()
            elif nxt not in depends_on or state.get(nxt) == 2:
                continue
            elif state.get(nxt) == 1:
                loop = path[path.index(nxt):]
                first = min(range(len(loop)), key=lambda k: order[loop[k]])
                loop = loop[first:] + loop[:first]
                if tuple(loop) not in seen:
                    seen.add(tuple(loop))
                    found.append([*loop, loop[0]])
            else:
                state[nxt] = 1
                path.append(nxt)
                stack.append(iter(depends_on[nxt]))
    return found


def _check_counts(r: _Reader, f: dict, fw_dir: Path) -> None:
    if r.broken_ids:  # counts are meaningless while items fail to load
        return
    for name, expected in EXPECTED.items():
        field = {"value_chain_activities": "activities"}.get(name, name)
        items = f[field]
        if isinstance(expected, dict):
            got = Counter(p.group for p in items)
            for group, n in expected.items():
                if got[group] != n:
                    r.problems.append(Problem(str(fw_dir / "practices.yaml"), "practices",
                                              f"{got[group]} {group} practices; the framework has {n}"))
        elif len(items) != expected:
            r.problems.append(Problem(str(fw_dir), name, f"{len(items)} found; the framework has {expected}"))


def summary(fw: Framework) -> dict:
    """The counts `framework check` reports; its `--json` shape is relied on by scripts."""
    return {
        "version": fw.version,
        "bank_version": fw.bank_version,
        "areas": len(fw.areas),
        "practices": {g: sum(p.group == g for p in fw.practices) for g in GROUPS},
        "value_chain": {p.id: dict(p.value_chain) for p in fw.practices},
        "dimensions": len(fw.dimensions),
        "capabilities": len(fw.capabilities),
        "operating_model_elements": len(fw.operating_model),
        "toll_gates": len(fw.toll_gates),
        "criteria": fw.criteria_counts(),
        "profiles": {name: len(ids) for name, ids in fw.profiles.items()},
        "initiatives": len(fw.initiatives),
    }


def describe_retired(gone: Retired) -> str:
    """What became of a retired criterion, in a sentence."""
    into = ", ".join(gone.replaced_by)
    kind = {"same": f"now asked as {into}", "replaced": f"replaced by {into}", "split": f"split into {into}",
            "merged": f"merged into {into}", "dropped": "no longer asked"}[gone.kind]
    return f"{kind} ({gone.reason})"


def topic_grid(fw: Framework, subject: str) -> list[dict]:
    """The subject's topics in order, each with its criterion ids per level: coverage at a glance."""
    grid = {t.id: {"topic": t.id, "name": t.name, "levels": {}} for t in fw.get_subject(subject).topics}
    for c in fw.criteria:
        if c.subject == subject and c.topic in grid:
            grid[c.topic]["levels"].setdefault(f"L{c.level}", []).append(c.id)
    return list(grid.values())


def describe(fw: Framework, item_id: str) -> dict:
    """One item as `framework show` prints it. Subjects also list audiences, criteria per level and
    the initiatives that serve them; criteria name their subject, level and initiatives; an
    initiative lists the levels it serves per subject and the initiatives that depend on it."""
    item = fw.get(item_id)
    item_id = item.id
    data = item.model_dump(mode="json")
    if isinstance(item, Judged):  # after the fields they speak of
        judged = data.pop("kit_judgement")
        data["basis"] = item.basis_text()
        if judged:
            data["kit_judgement"] = judged
    subject = next((s for s in fw.subjects if s.id == item_id), None)
    if subject:
        data["audiences"] = list(subject.audiences)
        data["criteria"] = fw.criteria_counts().get(item_id, {})
        data["topics"] = topic_grid(fw, item_id)
        data["initiatives"] = [i.id for i in fw.initiatives if any(fw.subject_of.get(c) == item_id for c in i.criteria)]
    if isinstance(item, Criterion):
        data.update(subject=item.subject, subject_name=fw.get(item.subject).name, level=item.level,
                    initiatives=list(fw.initiatives_for.get(item_id, ())))
    if isinstance(item, Initiative):
        serves: dict[str, list[int]] = {}
        for cid in item.criteria:
            c = fw.get(cid)
            serves.setdefault(c.subject, []).append(c.level)
        data["serves"] = {s: sorted(set(levels)) for s, levels in serves.items()}
        data["required_by"] = [i.id for i in fw.initiatives if item_id in i.depends_on]
    return data
