"""Target operating model design: the `tom:` section of engagement.yaml.

The Digital Service Management model is a matrix: product teams (the vertical) consume standard
capabilities (the horizontal), under four controls whose adherence tightens as a product moves
from discovery to live. Around it the consultant designs sourcing, the ITSPM roles and
toll-gate forums, the POLISM canvas and where the DSM data model is recorded today.

- `load_tom()` validates the section with located problems (file, line, YAML path);
- `propose()` fills what the consultant has not set from the assessment, never overwriting;
- `check()` reports inconsistencies as findings, each with its rule and where it is;
- `links()` says which parts of the operating model closing a gap (or an initiative) changes.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, StringConstraints, field_validator

from dsm_assess.core.errors import InvalidInput
from dsm_assess.engagement.spec import EngagementSpec, engagement_file
from dsm_assess.formats.yamlfile import YamlDoc, read_yaml
from dsm_assess.framework.model import Framework

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Key = Annotated[str, StringConstraints(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
Adherence = Literal["mandatory", "recommended", "optional"]
Sourcing = Literal["insourced", "outsourced", "multi-sourced"]
Agreement = Literal["SLA", "OLA", "UC"]
STRICTNESS = {"optional": 0, "recommended": 1, "mandatory": 2}
# Why an agreement other than an underpinning contract cannot hold a supplier.
NOT_A_SUPPLIER_CONTRACT = {"OLA": "an OLA is an agreement between internal teams",
                           "SLA": "an SLA is what a provider agrees with its own customers"}
NOT_RECORDED = {"", "nowhere", "none", "not recorded"}
# Controls expected by stage when the consultant has not set them: little is mandatory while a
# team explores (discovery, alpha), everything once a product is live. A control's `at_least`
# (dsm.yaml) holds at every stage: policies and standards carry regulation, mandatory throughout.
DEFAULT_ADHERENCE = {
    "light": {"CTL.STRATEGY": "recommended", "CTL.GOVERNANCE": "optional", "CTL.PROCESSES": "optional",
              "CTL.POLICIES": "mandatory"},
    "moderate": {"CTL.STRATEGY": "recommended", "CTL.GOVERNANCE": "recommended", "CTL.PROCESSES": "recommended",
                 "CTL.POLICIES": "mandatory"},
    "full": {"CTL.STRATEGY": "mandatory", "CTL.GOVERNANCE": "mandatory", "CTL.PROCESSES": "mandatory",
             "CTL.POLICIES": "mandatory"},
}
JUDGED_ROLES = "its remit is the kit's judgement, not the ITSPM paper's"
OWNER_FROM_LEVEL = 2     # a practice targeted at this level or above needs an owning role (the ladder's level 2)
DATA_FROM_LEVEL = 3      # a Data area target from which every data model entity must be recorded


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Product(_Model):
    """A product team: the vertical of the DSM matrix."""

    id: Key
    name: Text
    type: Literal["application", "end-user", "site", "project"]
    owner: str | None = None
    stage: Literal["discovery", "alpha", "beta", "live"]
    consumes: dict[str, Literal["shared", "product", "supplier"]] = {}


class Capability(_Model):
    """A standard capability (technology, people or service) that product teams consume."""

    id: Key
    name: Text
    kind: Literal["technology", "people", "service"]
    provider: str | None = None
    sourcing: Sourcing | None = None
    supplier: str | None = None
    agreement: Agreement | None = None


class PracticeSourcing(_Model):
    sourcing: Sourcing
    supplier: str | None = None
    agreement: Agreement | None = None


class TollGateForum(_Model):
    forum: str | None = None
    criteria: str | None = None
    on_success: str | None = None
    on_failure: str | None = None
    skipped: bool = False  # only an optional gate (TG2) may be skipped


class Canvas(_Model):
    today: str | None = None
    target: str | None = None


class Tom(_Model):
    """The target operating model a consultant designs (all sections optional)."""

    products: list[Product] = []
    capabilities: list[Capability] = []
    controls: dict[str, dict[str, Adherence]] = {}
    practice_sourcing: dict[str, PracticeSourcing] = {}
    roles: dict[str, str | None] = {}            # ITSPM role id -> who holds it
    practice_owners: dict[str, str | None] = {}  # practice id -> the role that owns it
    toll_gates: dict[str, TollGateForum] = {}
    polism: dict[str, Canvas] = {}
    data_model: dict[str, str | None] = {}       # DSM data model entity -> where it is recorded today
    questions: list[str] = []                    # open questions the proposal raised

    @field_validator("data_model", "roles", "practice_owners", mode="before")
    @classmethod
    def _blank_is_none(cls, value):
        return {k: (v if v not in ("",) else None) for k, v in value.items()} if isinstance(value, dict) else value


@dataclass(frozen=True)
class Finding:
    """One inconsistency in the design: which rule, where (YAML path, file, line), what."""

    rule: str
    where: str
    message: str
    file: str
    line: int | None

    def __str__(self) -> str:
        place = f"{self.file}:{self.line}" if self.line else self.file
        return f"{place}: {self.where}: {self.message} [{self.rule}]"


def _stage_id(stage: str) -> str:
    return f"STG.{stage.upper()}"


def _doc(slug: str, root) -> YamlDoc:
    return read_yaml(engagement_file(slug, root))


def load_tom(fw: Framework, eng: EngagementSpec, root: str | Path | None = None,
             doc: YamlDoc | None = None) -> tuple[Tom, YamlDoc]:
    """The validated `tom:` section and its document (for lines; read again unless given);
    every problem reported together."""
    doc = doc or _doc(eng.slug, root)
    raw = eng.tom or {}
    tom = doc.validate(Tom, raw, ["tom"])
    problems = list(doc.problems)
    if tom is not None:
        problems += _reference_problems(fw, tom, doc)
    if problems:
        raise InvalidInput(problems, f"the tom: section of {doc.name} is not valid")
    return tom, doc


def _reference_problems(fw: Framework, tom: Tom, doc: YamlDoc) -> list:
    out = []
    caps = {c.id for c in tom.capabilities}
    ids = [p.id for p in tom.products] + [c.id for c in tom.capabilities]
    for i, pid in enumerate(ids):
        if ids.index(pid) != i:
            section = "products" if i < len(tom.products) else "capabilities"
            j = i if i < len(tom.products) else i - len(tom.products)
            out.append(doc.problem(["tom", section, j, "id"], f"id {pid!r} is used twice"))
    for i, p in enumerate(tom.products):
        out += [doc.problem(["tom", "products", i, "consumes", c], f"unknown capability {c!r}; define it under "
                                                                     "tom.capabilities") for c in p.consumes
                if c not in caps]
    known = {
        "controls": ({c.id for c in fw.controls}, "DSM control"),
        "practice_sourcing": ({p.id for p in fw.practices}, "practice"),
        "practice_owners": ({p.id for p in fw.practices}, "practice"),
        "roles": ({r.id for r in fw.roles}, "ITSPM role"),
        "toll_gates": ({g.id for g in fw.toll_gates}, "toll-gate"),
        "polism": ({e.id for e in fw.operating_model}, "operating-model element"),
        "data_model": ({d.id for d in fw.data_model}, "DSM data model entity"),
    }
    for section, (allowed, what) in known.items():
        out += [doc.problem(["tom", section, k], f"unknown {what} {k!r}") for k in getattr(tom, section)
                if k not in allowed]
    stages = {s.id for s in fw.delivery_stages}
    for ctl, by_stage in tom.controls.items():
        out += [doc.problem(["tom", "controls", ctl, s], f"unknown delivery stage {s!r}; one of "
                                                          f"{', '.join(sorted(stages))}") for s in by_stage
                if s not in stages]
    optional = {g.id for g in fw.toll_gates if g.optional}
    out += [doc.problem(["tom", "toll_gates", g, "skipped"], f"{g} is not an optional toll-gate; it cannot be "
                                                             "skipped") for g, t in tom.toll_gates.items()
            if t.skipped and g not in optional]
    return out


# ---- checking ----------------------------------------------------------------------------------

def check(fw: Framework, tom: Tom, doc: YamlDoc, targets: dict[str, int | None]) -> list[Finding]:
    """Every inconsistency of the design; `targets` maps subject id -> target level (or None)."""
    out: list[Finding] = []

    def find(rule: str, loc: list, message: str) -> None:
        p = doc.problem(["tom", *loc], message)
        out.append(Finding(rule, p.where, message, p.file, p.line))

    for i, p in enumerate(tom.products):
        if not (p.owner or "").strip():
            find("product-owner", ["products", i, "owner"], f"product team {p.name!r} has no owner")
    live = [p.name for p in tom.products if p.stage == "live"]
    governance = tom.controls.get("CTL.GOVERNANCE", {})
    if live and governance.get("STG.LIVE") == "optional":
        find("live-governance", ["controls", "CTL.GOVERNANCE", "STG.LIVE"],
             f"governance is optional for live products ({', '.join(live)}); it should be mandatory once live")
    order = [s.id for s in fw.delivery_stages]
    for ctl in fw.controls:
        by_stage = tom.controls.get(ctl.id, {})
        for stage in (s for s in order if ctl.at_least and s in by_stage):
            if STRICTNESS[by_stage[stage]] < STRICTNESS[ctl.at_least]:
                find("control-minimum", ["controls", ctl.id, stage],
                     f"{ctl.name} is {by_stage[stage]} at the {_name(fw, stage)} stage but must be {ctl.at_least} at "
                     f"every stage: {ctl.at_least_why}")
    for ctl, by_stage in tom.controls.items():
        set_stages = [s for s in order if s in by_stage]
        for early, late in zip(set_stages, set_stages[1:], strict=False):
            if STRICTNESS[by_stage[late]] < STRICTNESS[by_stage[early]]:
                find("controls-tighten", ["controls", ctl, late],
                     f"{_name(fw, ctl)} is {by_stage[late]} at the {_name(fw, late)} stage but "
                     f"{by_stage[early]} at {_name(fw, early)}: controls should tighten as a product moves towards "
                     "live, never loosen")
    for i, c in enumerate(tom.capabilities):
        if not (c.provider or "").strip():
            find("capability-provider", ["capabilities", i, "provider"], f"capability {c.name!r} has no provider")
        _sourcing(find, f"capability {c.name!r}", c, ["capabilities", i])
    for pid, s in tom.practice_sourcing.items():
        _sourcing(find, fw.get(pid).name, s, ["practice_sourcing", pid])
    for gate in fw.toll_gates:
        t = tom.toll_gates.get(gate.id)
        if t is not None and t.skipped:
            continue
        if t is None or not (t.forum or "").strip():
            find("toll-gate-forum", ["toll_gates", gate.id, "forum"] if t else ["toll_gates"],
                 f"toll-gate {gate.name} ({gate.id}) has no forum that decides it")
    for p in fw.practices:
        target = targets.get(p.id)
        if target is not None and target >= OWNER_FROM_LEVEL and not (tom.practice_owners.get(p.id) or "").strip():
            find("practice-owner", ["practice_owners", p.id] if p.id in tom.practice_owners else ["practice_owners"],
                 f"{p.name} is targeted at level {target} but no role owns it")
    data_target = targets.get("DSM.DATA")
    if data_target is not None and data_target >= DATA_FROM_LEVEL:
        for entity in fw.data_model:
            where = tom.data_model.get(entity.id)
            if (where or "").strip().lower() in NOT_RECORDED:
                find("data-entity", ["data_model", entity.id] if entity.id in tom.data_model else ["data_model"],
                     f"nobody records {entity.name} while the Data area is targeted at level {data_target}")
    return out


def _sourcing(find, label: str, s: Capability | PracticeSourcing, loc: list) -> None:
    """A supplier is held to an underpinning contract (UC); an insourced provider names no supplier
    and no UC (an OLA binds internal teams)."""
    supplier = (s.supplier or "").strip()
    if s.sourcing in ("outsourced", "multi-sourced"):
        with_whom = repr(supplier) if supplier else "its supplier"
        if not s.agreement:
            find("outsourced-agreement", [*loc, "agreement"],
                 f"{label} is {s.sourcing} but has no underpinning contract (UC) with {with_whom}")
        elif s.agreement != "UC":
            find("outsourced-agreement", [*loc, "agreement"],
                 f"{label} is {s.sourcing} under an {s.agreement}, but {NOT_A_SUPPLIER_CONTRACT[s.agreement]}: "
                 f"{with_whom} should be held to an underpinning contract (UC)")
        if not supplier:
            find("outsourced-supplier", [*loc, "supplier"], f"{label} is {s.sourcing} but names no supplier")
    elif s.sourcing == "insourced" and supplier:
        find("sourcing-contradiction", [*loc, "supplier"], f"{label} is insourced but names supplier {supplier!r}: "
                                                           "which is it?")
    elif s.sourcing == "insourced" and s.agreement == "UC":
        find("sourcing-contradiction", [*loc, "agreement"],
             f"{label} is insourced but held by an underpinning contract (UC), which is made with a supplier: "
             "which is it?")


def _name(fw: Framework, item_id: str) -> str:
    """An item's name for a reader (its id when the framework does not know it)."""
    item = fw.index.get(item_id)
    return getattr(item, "name", item_id)


def findings_json(findings: list[Finding]) -> dict:
    """The `tom check --json` object scripts rely on: `findings`, each with rule, where, message."""
    return {"findings": [asdict(f) for f in findings]}


# ---- proposing ---------------------------------------------------------------------------------

def proposal(fw: Framework, tom: Tom, subjects) -> dict:
    """What `propose` would add, as plain data, from the assessment's subject table (id, level,
    score, target, gap): only keys the consultant has not set."""
    by_id = {r["id"]: r for r in subjects.to_dict(orient="records")}
    add: dict = {}
    controls = {}
    for stage in fw.delivery_stages:
        for ctl in fw.controls:
            if stage.id not in tom.controls.get(ctl.id, {}):
                controls.setdefault(ctl.id, {})[stage.id] = _adherence(ctl, stage.control_weight)
    if controls:
        add["controls"] = controls
    gates = {}
    for gate in fw.toll_gates:
        if gate.id not in tom.toll_gates:
            gates[gate.id] = {"forum": None, "criteria": f"{gate.decides} Inputs: {'; '.join(gate.inputs)}.",
                              "on_success": gate.on_success, "on_failure": gate.on_failure}
    if gates:
        add["toll_gates"] = gates
    roles = {r.id: None for r in fw.roles if r.id not in tom.roles}
    if roles:
        add["roles"] = roles
    # a slot for every practice `check` wants an owner for: targeted at OWNER_FROM_LEVEL or more
    owners = {p.id: None for p in fw.practices if p.id not in tom.practice_owners
              and _known(by_id.get(p.id, {}).get("target")) and by_id[p.id]["target"] >= OWNER_FROM_LEVEL}
    if owners:
        add["practice_owners"] = owners
    canvas = {}
    for element in fw.operating_model:
        if element.id not in tom.polism:
            today = "; ".join(_describe(by_id.get(a), fw.get(a).name) for a in element.areas)
            canvas[element.id] = {"today": f"Assessed: {today}." if today else "Not covered by the assessment.",
                                  "target": None}
    if canvas:
        add["polism"] = canvas
    entities = {e.id: None for e in fw.data_model if e.id not in tom.data_model}
    if entities:
        add["data_model"] = entities
    questions = _questions(fw, tom, by_id)
    if questions:
        add["questions"] = questions
    return add


def _adherence(ctl, weight: str) -> str:
    """The adherence proposed for a control at a stage of this weight: the default, lifted to the
    control's `at_least` where it has one."""
    default = DEFAULT_ADHERENCE[weight].get(ctl.id, "optional")
    return max(default, ctl.at_least or default, key=STRICTNESS.__getitem__)


def _known(v) -> bool:
    return v is not None and v == v and str(v) != "<NA>"


def _describe(row, name: str) -> str:
    if not row or not _known(row.get("level")):
        return f"{name} not scored"
    target = f", target {int(row['target'])}" if _known(row.get("target")) else ""
    return f"{name} level {int(row['level'])} (score {row['score']:.1f}{target})"


def _questions(fw: Framework, tom: Tom, by_id: dict) -> list[str]:
    """Sourcing questions where the Sourcing area is below target, or scores at level 2 or less."""
    asked = set(tom.questions)
    src = by_id.get("DSM.SRC", {})
    weak = _known(src.get("level")) and (src["level"] <= 2 or (_known(src.get("gap")) and src["gap"] > 0))
    out = []
    if weak:
        for c in tom.capabilities:
            if not c.sourcing:
                out.append(f"Sourcing: who provides {c.name} today, under which agreement (an OLA with an "
                           "internal team, an underpinning contract with a supplier), and should it stay that way?")
        out.append("Sourcing: which suppliers deliver parts of IT services today, and is each mapped to the "
                   "services it supports and to a contract with measurable targets?")
    return [q for q in out if q not in asked]


def propose(fw: Framework, eng: EngagementSpec, subjects, root: str | Path | None = None) -> dict:
    """Write the proposal into engagement.yaml without overwriting anything, keeping comments and
    order; returns what was added (empty when run again)."""
    from dsm_assess.engagement.edit import edit_engagement
    from dsm_assess.formats.yamledit import section

    tom, _ = load_tom(fw, eng, root)
    add = proposal(fw, tom, subjects)

    def change(data) -> None:
        target = section(data, "tom")
        for key, value in add.items():
            if key == "questions":
                target.setdefault(key, [])
                target[key].extend(value)
            elif key == "controls":
                controls = section(target, "controls")
                for ctl, stages in value.items():
                    section(controls, ctl).update(stages)
            else:
                section(target, key).update(value)

    if add:
        edit_engagement(fw, eng.slug, change, action="tom proposed", detail={"added": sorted(add)}, root=root)
    return add


# ---- what closing a gap changes ----------------------------------------------------------------

def elements_of(fw: Framework, subject: str) -> list[str]:
    """The operating-model elements (POLISM) a subject's improvement changes: for a DSM area, the
    elements built on it; for a practice, how its work is done (the Processes element) and the
    elements built on the areas a quarter or more of its criteria inform (the areas its work
    mostly touches), else on the one it informs most."""
    if subject.startswith("DSM."):
        areas = {subject}
    else:
        areas = {"DSM.PROC"}
        counts = Counter(a for c in fw.criteria if c.subject == subject for a in c.informs)
        total = sum(1 for c in fw.criteria if c.subject == subject)
        areas |= {a for a, n in counts.items() if n >= total / 4} or {a for a, _ in counts.most_common(1)}
    return [e.id for e in fw.operating_model if areas & set(e.areas)]


def gap_links(fw: Framework, subjects) -> list[dict]:
    """For each subject below target: the POLISM elements closing its gap changes."""
    out = []
    for r in subjects.to_dict(orient="records"):
        if _known(r.get("gap")) and r["gap"] > 0:
            out.append({"subject": r["id"], "gap": int(r["gap"]), "elements": elements_of(fw, r["id"])})
    return out


def initiative_links(fw: Framework, plan) -> list[dict]:
    """For each planned initiative: the operating-model elements it changes (from the library)."""
    return [{"initiative": p.id, "closes": list(p.closes), "elements": list(p.initiative.polism),
             "areas": list(p.initiative.areas)} for p in plan.initiatives]


def targets_of(subjects) -> dict[str, int | None]:
    return {r["id"]: (int(r["target"]) if _known(r.get("target")) else None)
            for r in subjects.to_dict(orient="records")}



def matrix(tom: Tom) -> list[list[str]]:
    """The DSM matrix as rows: a header of capabilities, then one row per product team with who
    provides each capability to it (shared, product, supplier, or blank)."""
    caps = [c.id for c in tom.capabilities]
    rows = [["product (stage)", *caps]]
    rows += [[f"{p.name} ({p.stage})", *[p.consumes.get(c, "") for c in caps]] for p in tom.products]
    return rows


def show_text(fw: Framework, tom: Tom) -> str:
    """The design as a consultant reads it in a terminal."""
    lines = ["DSM matrix (who provides each standard capability to each product team):"]
    grid = matrix(tom)
    widths = [max(len(r[i]) for r in grid) for i in range(len(grid[0]))]
    lines += ["  " + "  ".join(cell.ljust(w) for cell, w in zip(r, widths, strict=True)) for r in grid]
    stages = [s.id for s in fw.delivery_stages]
    lines += ["", "Controls by stage:", "  " + " " * 26 + "".join(s.removeprefix("STG.").lower().ljust(13)
                                                                  for s in stages)]
    for c in fw.controls:
        by = tom.controls.get(c.id, {})
        lines.append(f"  {c.name[:24]:<26}" + "".join((by.get(s) or "-").ljust(13) for s in stages))
    lines += ["", "Sourcing:"]
    lines += [f"  {c.name}: {c.sourcing or '?'}, provider {c.provider or '?'}"
              + (f", supplier {c.supplier}" if c.supplier else "") + (f" ({c.agreement})" if c.agreement else "")
              for c in tom.capabilities]
    lines += [f"  {fw.get(p).name}: {s.sourcing}" + (f", {s.supplier}" if s.supplier else "")
              + (f" ({s.agreement})" if s.agreement else "") for p, s in tom.practice_sourcing.items()]
    judged = [r for r in tom.roles if fw.get(r).kit_judgement]
    lines += ["", "Roles:"] + [f"  {fw.get(r).name}{' *' if r in judged else ''}: {who or '(to appoint)'}"
                               for r, who in tom.roles.items()]
    if judged:
        lines.append(f"  * {JUDGED_ROLES} (`dsm-assess framework show {judged[0]}` says why)")
    lines += [f"  owner of {fw.get(p).name}: {who or '(to appoint)'}" for p, who in tom.practice_owners.items()]
    lines += ["", "Toll-gates:"] + [f"  {g.id} {g.name}: " + (
        ("skipped" + (f" ({g.when_skipped})" if g.when_skipped else ""))
        if tom.toll_gates.get(g.id) and tom.toll_gates[g.id].skipped
        else (tom.toll_gates[g.id].forum or "(no forum)") if g.id in tom.toll_gates else "(not designed)")
        for g in fw.toll_gates]
    lines += ["", "POLISM canvas:"] + [f"  {fw.get(e).name}: today {c.today or '-'} | target {c.target or '-'}"
                                       for e, c in tom.polism.items()]
    if tom.questions:
        lines += ["", "Open questions:"] + [f"  - {q}" for q in tom.questions]
    return "\n".join(lines)
