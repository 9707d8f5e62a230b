"""The roadmap: which initiatives, in which waves, reaching which levels by when.

`plan_roadmap()` reads an assessment's scores (gaps, priorities, the criteria not yet achieved)
and the planning parameters, chooses and places the initiatives of the library that buy the
most maturity for the capacity (planning/solver.py, on the gates of planning/gates.py; the
greedy priority-ordered scheduler below is the fallback and the benchmark's baseline), projects
the level and score of every subject after each wave by scoring the engagement again
(`scoring.score_many`) with the delivered initiatives' criteria fully achieved, and says why each
gap left open stays open (planning/reasons.py). The rules, with a worked example, are in
docs/methodology.md ("The roadmap").

Parameters come from the `planning:` section of engagement.yaml (`read_settings`, with located
problems) and may be overridden one by one (`parameters`), as the command line does.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import heapq
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from dsm_assess.core.errors import DsmError, InvalidInput, NotFound
from dsm_assess.core.frames import pd
from dsm_assess.core.present import frame_html, html_escape, plural
from dsm_assess.engagement.edit import edit_engagement
from dsm_assess.engagement.spec import EngagementSpec, engagement_file, load_engagement
from dsm_assess.formats.yamledit import section
from dsm_assess.formats.yamlfile import YamlDoc, display_path, read_yaml
from dsm_assess.framework.model import Framework, Initiative, dependency_cycles
from dsm_assess.planning.gates import SubjectGates, level_with, subject_gates
from dsm_assess.planning.reasons import OpenGap, held_back, open_gaps
from dsm_assess.planning.sizing import Sizing, size_library
from dsm_assess.planning.solver import Problem, fill, prune, solve
from dsm_assess.scoring.assessment import Assessment
from dsm_assess.scoring.rules import NA, score_many

DEFAULT_WAVES = 4
DEFAULT_WAVE_WEEKS = 12
DEFAULT_CAPACITY = 40       # person-weeks a wave: three to four people on improvement work for 12 weeks
MAX_WAVES = 40
MIN_CAPACITY = 1  # person-weeks a wave: below one, every initiative would spread over hundreds of waves
# A plan starts inside these dates: with at most MAX_WAVES waves of 52 weeks it ends long before
# dates run out, and a date typed with the wrong year is caught.
FIRST_START, LAST_START = dt.date(2000, 1, 1), dt.date(2199, 12, 31)
TYPE_ORDER = {"quick-win": 0, "foundation": 1, "transformation": 2}  # quick wins early
EPS = 1e-9                  # loads are sums of fractions: compare with a little slack


class PlanningSettings(BaseModel):
    """The `planning:` section of engagement.yaml; every field may be left out."""

    model_config = ConfigDict(extra="forbid")
    start: dt.date | None = None    # first day of wave 1
    wave_weeks: int = Field(DEFAULT_WAVE_WEEKS, ge=1, le=52)
    waves: int = Field(DEFAULT_WAVES, ge=1, le=MAX_WAVES)
    capacity: Annotated[int | float, Field(ge=MIN_CAPACITY, le=100_000)] = DEFAULT_CAPACITY  # person-weeks a wave
    pinned: dict[str, Annotated[int, Field(ge=1, le=MAX_WAVES)] | None] = {}   # id -> wave, or None: any wave
    excluded: list[str] = []

    @field_validator("start")
    @classmethod
    def _bounded(cls, v: dt.date | None) -> dt.date | None:
        if v is not None and not FIRST_START <= v <= LAST_START:
            raise ValueError(f"{v} is out of range: a plan starts between {FIRST_START} and {LAST_START} "
                             f"(it spans at most {MAX_WAVES} waves of up to 52 weeks)")
        return v


_WEEK = [dt.timedelta(days=d) for d in range(7)]


@dataclass(frozen=True)
class Parameters:
    """Everything the planner needs besides the assessment, resolved."""

    start: dt.date
    wave_weeks: int
    waves: int
    capacity: float
    pinned: dict[str, int | None]
    excluded: tuple[str, ...]


def read_settings(source: Path | YamlDoc, fw: Framework) -> PlanningSettings:
    """The planning section of an engagement.yaml (its path, or the document already parsed),
    checked against the initiative library.

    Raises `InvalidInput` naming file, line and YAML path of every problem: a wrong field, an
    unknown initiative (with the nearest known ids), or one both pinned and excluded.
    """
    doc = source if isinstance(source, YamlDoc) else read_yaml(Path(source))
    raw = doc.data.get("planning") if isinstance(doc.data, dict) else None
    settings = doc.validate(PlanningSettings, raw or {}, ["planning"]) if not doc.problems else None
    problems = list(doc.problems)
    if settings is not None:
        ids = [i.id for i in fw.initiatives]

        def resolve(loc: list, iid: str) -> str:
            try:
                return fw.resolve(iid, "initiative", among=ids)
            except NotFound as exc:
                problems.append(doc.problem(loc, str(exc)))
                return iid

        # ids as the library spells them (`in.inc.major` -> `IN.INC.MAJOR`)
        settings.pinned = {resolve(["planning", "pinned", i], i): w for i, w in settings.pinned.items()}
        settings.excluded = [resolve(["planning", "excluded", j], i) for j, i in enumerate(settings.excluded)]
        for j, iid in enumerate(settings.excluded):
            if iid in settings.pinned:
                problems.append(doc.problem(["planning", "excluded", j], f"{iid} is also pinned; keep one of the two"))
    if problems:
        raise InvalidInput(problems, f"{doc.name} is not valid")
    return settings


def parameters(settings: PlanningSettings, eng: EngagementSpec, *, start: dt.date | None = None,
               waves: int | None = None, capacity: float | None = None,
               wave_weeks: int | None = None) -> Parameters:
    """The settings with the values given here laid over them (the command line wins).

    The start defaults to the first Monday after the engagement's deadline (or, without one,
    after its assessment date). A value out of range is a `DsmError` naming it.
    """
    given = {"start": start, "waves": waves, "capacity": capacity, "wave_weeks": wave_weeks}
    try:
        merged = PlanningSettings.model_validate(
            {**settings.model_dump(), **{k: v for k, v in given.items() if v is not None}})
    except ValidationError as exc:
        err = exc.errors()[0]
        raise DsmError(f"{'.'.join(map(str, err['loc']))}: {err['msg'][0].lower() + err['msg'][1:]}") from None
    if merged.start is None:
        base = eng.deadline or eng.assessment_date
        start = base + dt.timedelta(days=7 - base.weekday())
        while any(dt.date(start.year + (m == 1 and start.month == 12), m, d) - start in _WEEK
                  for m, d in ((12, 25), (1, 1))):
            start += dt.timedelta(days=7)  # no plan opens in the week of Christmas or New Year
        merged.start = min(max(start, FIRST_START), LAST_START)
    return Parameters(start=merged.start, wave_weeks=merged.wave_weeks, waves=merged.waves,
                      capacity=merged.capacity, pinned=dict(merged.pinned), excluded=tuple(merged.excluded))


def set_pin(fw: Framework, slug: str, initiative: str, wave: int | None = None, *, remove: bool = False,
            root: str | Path | None = None) -> tuple[str, str]:
    """Pin an initiative to the plan (to start in `wave`, or in whichever wave it fits), or take
    the pin away; a pinned initiative is no longer excluded. Edits `planning.pinned` of
    engagement.yaml keeping its comments; returns the initiative id and the file."""
    iid = _initiative_id(fw, initiative)
    path = engagement_file(slug, root)
    load_engagement(slug, root, fw)

    def change(data) -> None:
        planning = section(data, "planning")
        if remove:
            if iid not in (planning.get("pinned") or {}):
                raise DsmError(f"{iid} is not pinned in {display_path(path)}")
            del planning["pinned"][iid]
        else:
            section(planning, "pinned")[iid] = wave
            if iid in (planning.get("excluded") or []):
                planning["excluded"].remove(iid)
        _tidy_and_check(planning, path)

    edit_engagement(fw, slug, change, root=root, action="roadmap unpinned" if remove else "roadmap pinned",
                    detail={"initiative": iid} if remove else {"initiative": iid, "wave": wave})
    return iid, display_path(path)


def set_excluded(fw: Framework, slug: str, initiative: str, excluded: bool = True, *,
                 root: str | Path | None = None) -> tuple[str, str]:
    """Keep an initiative out of the plan (or allow it again); an excluded initiative is no longer
    pinned. Edits `planning.excluded` of engagement.yaml keeping its comments; returns the
    initiative id and the file."""
    from ruamel.yaml.comments import CommentedSeq

    iid = _initiative_id(fw, initiative)
    path = engagement_file(slug, root)
    load_engagement(slug, root, fw)

    def change(data) -> None:
        planning = section(data, "planning")
        listed = planning.get("excluded") or []
        if not excluded:
            if iid not in listed:
                raise DsmError(f"{iid} is not excluded in {display_path(path)}")
            listed.remove(iid)
        elif iid not in listed:
            if not isinstance(planning.get("excluded"), list):
                planning["excluded"] = CommentedSeq()
            planning["excluded"].append(iid)
        if excluded and iid in (planning.get("pinned") or {}):
            del planning["pinned"][iid]
        _tidy_and_check(planning, path)

    edit_engagement(fw, slug, change, root=root, action="roadmap excluded" if excluded else "roadmap included",
                    detail={"initiative": iid})
    return iid, display_path(path)


def set_settings(fw: Framework, slug: str, values: dict, *, root: str | Path | None = None) -> str:
    """Write planning parameters (start, waves, capacity, wave_weeks) into `planning:` of
    engagement.yaml, keeping its comments; returns the file. A value out of range changes nothing."""
    path = engagement_file(slug, root)
    load_engagement(slug, root, fw)

    def change(data) -> None:
        planning = section(data, "planning")
        for key, value in values.items():
            planning[key] = value
        _tidy_and_check(planning, path)

    edit_engagement(fw, slug, change, root=root, action="planning set",
                    detail={k: str(v) if isinstance(v, dt.date) else v for k, v in values.items()})
    return display_path(path)


def _initiative_id(fw: Framework, initiative: str) -> str:
    return fw.resolve(initiative, "initiative", among=[i.id for i in fw.initiatives])


def _tidy_and_check(planning: dict, path: Path) -> None:
    """Drop emptied lists, and refuse to write a planning section that would not validate."""
    for key in ("pinned", "excluded"):
        if key in planning and not planning[key]:
            del planning[key]
    try:
        PlanningSettings.model_validate(dict(planning))
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(map(str, ("planning", *err["loc"])))
        raise DsmError(f"{display_path(path)}: {where}: {err['msg'][0].lower() + err['msg'][1:]}; "
                       f"fix it by hand first") from None


# ---- the plan ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Wave:
    """One wave of the plan: its dates, its capacity and the work that falls in it."""

    index: int
    start: dt.date
    end: dt.date
    capacity: float
    effort: float       # person-weeks of the plan's work that falls in this wave


@dataclass(frozen=True)
class Planned:
    """One selected initiative and where it landed (waves after the last one included). `wave`,
    `end_wave`, `start` and `end` are None for one that cannot end within the plan's waves even
    with unlimited capacity: it is not scheduled."""

    initiative: Initiative
    wave: int | None          # the wave it starts in
    end_wave: int | None      # the wave it ends in
    start: dt.date | None
    end: dt.date | None
    loads: tuple[float, ...]  # person-weeks in each wave from `wave` on
    closes: tuple[str, ...]   # subjects below target whose missing criteria it achieves
    criteria: tuple[str, ...]  # those missing criteria
    needed_by: tuple[str, ...]  # initiatives of the plan that wait for it
    pinned: bool
    delivered: bool           # ends within the plan's waves
    reason: str | None        # why not delivered: capacity, horizon or dependency
    detail: str = ""          # the same in words

    @property
    def id(self) -> str:
        return self.initiative.id

    def why(self) -> str:
        """Why it is in the plan, in words."""
        parts = []
        if self.criteria:
            by_subject: dict[str, list[str]] = {}
            for cid in self.criteria:
                subject, level, n = cid.rsplit(".", 2)
                by_subject.setdefault(subject, []).append(f"{level}.{n}")
            parts.append("; ".join(f"{s} {', '.join(c)}" for s, c in by_subject.items()))
        if self.needed_by:
            parts.append("needed by " + ", ".join(self.needed_by))
        if self.pinned:
            parts.append("pinned")
        return "; ".join(parts)


@dataclass
class Roadmap:
    """A plan: its waves, every initiative selected and where it landed, the projection and the
    gaps left open (roadmap.py presents it)."""

    parameters: Parameters
    waves: list[Wave]
    planned: list[Planned]        # every selected initiative, in the order the planner placed them
    projection: pd.DataFrame      # wave (0 = now), subject, level, score, target, gap
    open_gaps: list[OpenGap]
    in_place: tuple[str, ...]     # prerequisites already achieved, so not scheduled
    method: str = "greedy"        # solver or greedy (the solver falls back to greedy when it finds no plan)
    status: str = "greedy"        # optimal (proved best), feasible (best found within the bound) or greedy
    gates: dict[str, SubjectGates] = dataclasses.field(default_factory=dict)  # subjects below target
    next_horizon: list[dict] = dataclasses.field(default_factory=list)       # what further waves would buy
    sizing: Sizing | None = None  # the size the efforts were scaled for; each Planned holds the scaled initiative

    def __repr__(self) -> str:
        p = self.parameters
        effort = sum(i.initiative.effort for i in self.initiatives)
        return (f"Roadmap: {plural(len(self.initiatives), 'initiative')} ({effort:g} person-weeks) in "
                f"{plural(p.waves, 'wave')} of {p.wave_weeks} weeks from {p.start:%Y-%m-%d}, capacity "
                f"{p.capacity:g} person-weeks a wave; {plural(len(self.open_gaps), 'gap')} left open")

    def _repr_html_(self) -> str:
        rows = pd.DataFrame([{"initiative": i.id, "title": i.initiative.title, "wave": i.wave,
                              "effort": i.initiative.effort, "closes": ", ".join(i.closes) or "prerequisite"}
                             for i in self.initiatives[:12]])
        table = frame_html(rows.set_index("initiative"), more=len(self.initiatives) - 12) if len(rows) else ""
        return f"<p>{html_escape(repr(self))}</p>" + table

    @property
    def initiatives(self) -> list[Planned]:
        """The initiatives that start within the plan's waves, by start wave."""
        inside = [p for p in self.planned if p.wave is not None and p.wave <= self.parameters.waves]
        return sorted(inside, key=lambda p: p.wave)


METHODS = ("solver", "greedy")
NEXT_WAVES = 2      # the "next horizon": what this many further waves would buy
NEXT_SEARCH, NEXT_POLISH = 0.5, 0.1   # its bound, deterministic seconds: the plan itself is kept


def plan_roadmap(assessment: Assessment, params: Parameters,
                 initiatives: Sequence[Initiative] | None = None, *, method: str = "solver") -> Roadmap:
    """Plan the roadmap of a scored assessment; the same inputs always give the same plan.

    `method` "solver" chooses and places the initiatives that buy the most maturity
    (planning/solver.py) and falls back to "greedy" (today's priority-ordered scheduler) when the
    search finds no plan. `initiatives` replaces the framework's library (tests use a small
    hand-made one); either is first sized for the engagement's `size:` (planning/sizing.py), so
    every initiative of the plan carries the effort and duration estimated for this client. Raises
    `DsmError` for a library with a dependency cycle or an unknown dependency, for pinned or
    excluded ids the library does not have, and for pins that cannot be kept (a pinned initiative
    whose prerequisites cannot end before its wave, or pins that overfill a wave).
    """
    if method not in METHODS:
        raise DsmError(f"unknown planning method {method!r}; use one of {', '.join(METHODS)}")
    library = tuple(assessment.framework.initiatives if initiatives is None else initiatives)
    # every planner, and everything that shows the plan, works on the estimates sized for this client
    library, sizing = size_library(library, assessment.engagement.size, assessment.framework.reference_size)
    _check_library(library, params)
    # the greedy plan first: it reports pins that cannot be kept, and the search starts from it
    greedy = _State.of(assessment, library, params)
    greedy.select()
    order = greedy.order()
    greedy.schedule(order)
    state, status, problem = greedy, "greedy", None
    if method == "solver":
        candidate = _State.of(assessment, library, params)
        candidate.candidates()
        problem = candidate.problem()
        hint = {i: s.start for i, s in greedy.slots.items() if greedy.delivered(i) or i in params.pinned}
        solution = solve(problem, hint)
        if solution is not None:
            starts = fill(problem, prune(problem, solution.starts))
            order = candidate.place(starts)
            state, status = candidate, solution.status
    projection = _project(assessment, params, state)
    planned = state.planned(order)
    return Roadmap(parameters=params, waves=state.wave_list(), planned=planned,
                   projection=projection, open_gaps=open_gaps(state, projection),
                   in_place=tuple(sorted(state.in_place)), method="greedy" if status == "greedy" else "solver",
                   status=status, gates=state.gates,
                   next_horizon=_next_horizon(state, problem, planned) if status != "greedy" else [], sizing=sizing)


def _next_horizon(state: _State, problem: Problem, planned: list[Planned]) -> list[dict]:
    """What NEXT_WAVES further waves would buy with the plan kept as it is: for each further
    wave, the initiatives that would start in it and the subjects that would rise (by the gates)."""
    p = state.params
    keep = {x.id: x.wave for x in planned if x.wave is not None}
    problem = dataclasses.replace(problem, waves=p.waves + NEXT_WAVES, pinned={**p.pinned, **keep})
    solution = solve(problem, keep, search=NEXT_SEARCH, polish=NEXT_POLISH)
    if solution is None:
        return []
    starts = fill(problem, prune(problem, solution.starts))
    out = []
    for k in range(p.waves + 1, p.waves + NEXT_WAVES + 1):
        before = _achieved(problem, starts, k - 1)
        after = _achieved(problem, starts, k)
        rises = {}
        for sid, g in state.gates.items():
            a, b = level_with(g, before), level_with(g, after)
            if b > a:
                rises[sid] = [a, b]
        out.append({"wave": k, "initiatives": sorted((i for i, s in starts.items() if s == k),
                                                     key=state.position.get),
                    "levels": rises})
    return out


def _achieved(problem, starts: dict[str, int], wave: int) -> set[str]:
    return {c for i, s in starts.items() if s + len(problem.loads[i]) - 1 <= wave for c in problem.serves[i]}


def _check_library(library: Sequence[Initiative], params: Parameters) -> None:
    """A library the planner can work with, and parameters that fit it (the loader checks the
    shipped library the same way; a library given in code is checked here)."""
    ids = {i.id for i in library}
    for i in library:
        for d in i.depends_on:
            if d not in ids:
                raise DsmError(f"initiative {i.id} depends on {d}, which is not in the library")
    cycles = dependency_cycles({i.id: i.depends_on for i in library})
    if cycles:
        raise DsmError("dependency cycle: " + " -> ".join(cycles[0]))
    for iid in (*params.pinned, *params.excluded):
        if iid not in ids:
            raise DsmError(f"unknown initiative {iid!r} in the planning parameters")
    for iid in params.excluded:
        if iid in params.pinned:
            raise DsmError(f"{iid} is both pinned and excluded")
    for iid, wave in params.pinned.items():
        if wave is not None and wave > params.waves:
            raise DsmError(f"{iid} is pinned to wave {wave}, but the plan has {params.waves} waves")


class _Slot:
    """Where the scheduler put one initiative: its start wave and per-wave loads, and the
    earliest wave it could start in with any capacity (as soon as its prerequisites could end)."""

    __slots__ = ("start", "loads", "earliest", "end")

    def __init__(self, start: int, loads: list[float], earliest: int):
        self.start, self.loads, self.earliest = start, loads, earliest
        self.end = start + len(loads) - 1

    def load(self, wave: int) -> float:
        k = wave - self.start
        return self.loads[k] if 0 <= k < len(self.loads) else 0.0


class _State:
    """The planner's working data for one plan."""

    @classmethod
    def of(cls, assessment: Assessment, library: Sequence[Initiative], params: Parameters) -> _State:
        s = cls()
        s.fw, s.params, s.library = assessment.framework, params, {i.id: i for i in library}
        s.position = {i.id: n for n, i in enumerate(library)}
        s.serving: dict[str, list[str]] = {}
        for i in library:
            for cid in i.criteria:
                s.serving.setdefault(cid, []).append(i.id)
        crit = assessment.scores.criteria
        s.level = dict(zip(crit["id"], crit["level"].astype(int), strict=True))
        s.subject = dict(zip(crit["id"], crit["subject"].astype(str), strict=True))
        achieved = crit["achieved"].to_numpy(dtype=bool)
        na = crit["status"].astype(object).eq(NA).to_numpy()
        s.asked = set(crit["id"])
        s.done = {cid for cid, a, n in zip(crit["id"], achieved, na, strict=True) if a or n}
        s.missing = [cid for cid in crit["id"] if cid not in s.done]   # not achieved: below F or no data
        subjects = assessment.scores.subjects
        gap = subjects["gap"].to_numpy(dtype=float, na_value=math.nan)
        rows = subjects[gap > 0]
        s.target = {r.id: int(r.target) for r in rows.itertuples()}
        s.priority = {r.id: 0.0 if pd.isna(r.priority_score) else float(r.priority_score) for r in rows.itertuples()}
        # priority bands ranked by the scores they hold, so the names can be whatever scoring calls them
        bands = rows.groupby("priority", dropna=True)["priority_score"].max().sort_values(ascending=False)
        rank = {band: n for n, band in enumerate(bands.index)}
        s.band = {r.id: rank.get(r.priority, len(rank)) for r in rows.itertuples()}
        s.no_band = len(rank)
        s.subject_order = {sid: n for n, sid in enumerate(subjects["id"])}
        # the criteria each subject below target lacks, up to its target
        s.needed = {sid: [cid for cid in s.missing if s.subject[cid] == sid and s.level[cid] <= t]
                    for sid, t in s.target.items()}
        s.gates = subject_gates(assessment)
        s.fixed_wave: dict[str, int] = {}   # pinned initiatives the solver's plan leaves ending after the last wave
        return s

    # ---- the solver's plan ----

    def candidates(self) -> None:
        """Every initiative that may be planned: those achieving a criterion that stands between a
        subject and its target (planning/gates.py), the pinned ones, and what they depend on
        that is not already in place; none that is, or waits for, an excluded one."""
        memo: dict = {}
        wanted = frozenset().union(*(g.wanted for g in self.gates.values()))
        self.chosen: dict[str, None] = {}
        for iid in self.params.pinned:
            if (b := self.blocker(iid, memo)) is not None:
                raise DsmError(f"{iid} is pinned but depends on {b}, which is excluded")
            self.chosen[iid] = None
        for iid in self.library:
            if wanted.intersection(self.library[iid].criteria) and self.blocker(iid, memo) is None:
                self.chosen[iid] = None
        self._close_over_prerequisites()
        self.serves = {i: tuple(c for c in self.library[i].criteria if c in wanted) for i in self.chosen}

    def _close_over_prerequisites(self, in_library_order: bool = True) -> None:
        """Add what the chosen initiatives wait for (unless already in place), and their dependencies."""
        self.in_place: set[str] = set()
        queue = list(self.chosen)
        while queue:
            for d in self.library[queue.pop(0)].depends_on:
                if d in self.chosen or d in self.in_place:
                    continue
                if self.already_in_place(d):
                    self.in_place.add(d)
                else:
                    self.chosen[d] = None
                    queue.append(d)
        if in_library_order:
            self.chosen = dict.fromkeys(sorted(self.chosen, key=self.position.get))
        self.deps = {i: [d for d in self.library[i].depends_on if d in self.chosen] for i in self.chosen}

    def problem(self) -> Problem:
        """The candidates as the solver sees them."""
        p = self.params
        return Problem(candidates=tuple(self.chosen), loads={i: self.profile(i) for i in self.chosen},
                       deps=self.deps, serves=self.serves, effort={i: self.library[i].effort for i in self.chosen},
                       gates=self.gates, pinned=p.pinned, waves=p.waves, capacity=p.capacity)

    def place(self, starts: dict[str, int]) -> list[str]:
        """Take the solver's starts as the plan: only what it planned is selected; returns the
        order to list them in (by start wave, then what something depends on first)."""
        self.chosen = {i: None for i in self.chosen if i in starts}
        self.deps = {i: [d for d in self.deps[i] if d in self.chosen] for i in self.chosen}
        self.serves = {i: self.serves[i] for i in self.chosen}
        span0 = {i: self.natural_span(i) for i in self.chosen}
        self.asap = {}
        for i in self._topological(lambda i: self.position[i]):
            self.asap[i] = max([1] + [self.asap[d] + span0[d] for d in self.deps[i]])
        self.slots = {i: _Slot(starts[i], self.profile(i), starts[i]) for i in self.chosen}
        self.fixed_wave = {i: w for i, w in starts.items() if i in self.params.pinned}
        self.dependents = {i: [j for j in self.chosen if i in self.deps[j]] for i in self.chosen}
        return self._topological(lambda i: (starts[i], self.position[i]))

    # ---- selection ----

    def blocker(self, iid: str, memo: dict | None = None) -> str | None:
        """The excluded initiative that keeps `iid` out (itself or a prerequisite), if any."""
        memo = {} if memo is None else memo
        if iid not in memo:
            memo[iid] = iid if iid in self.params.excluded else next(
                (b for d in self.library[iid].depends_on if (b := self.blocker(d, memo))), None)
        return memo[iid]

    def already_in_place(self, iid: str) -> bool:
        """Asked about, and every criterion of it that was asked is achieved (or not applicable)."""
        asked = [c for c in self.library[iid].criteria if c in self.asked]
        return bool(asked) and all(c in self.done for c in asked)

    def select(self) -> None:
        """The initiatives the plan needs: the pinned ones, then for each missing criterion of a
        subject below target (highest priority first) the initiative serving the most of what is
        still missing, then everything those depend on that is not already in place."""
        memo: dict = {}
        self.chosen: dict[str, None] = {}
        self.unserved: dict[str, str | None] = {}   # criterion -> the excluded initiative that blocks it
        for iid in self.params.pinned:
            if (b := self.blocker(iid, memo)) is not None:
                raise DsmError(f"{iid} is pinned but depends on {b}, which is excluded")
            self.chosen[iid] = None
        needed = [cid for sid in sorted(self.needed, key=lambda s: (-self.priority[s], self.subject_order[s]))
                  for cid in self.needed[sid]]
        wanted = set(needed)
        covered = {c for iid in self.chosen for c in self.library[iid].criteria}
        for cid in needed:
            if cid in covered:
                continue
            options = [i for i in self.serving.get(cid, ()) if self.blocker(i, memo) is None]
            if not options:
                blocked = [self.blocker(i, memo) for i in self.serving.get(cid, ())]
                self.unserved[cid] = blocked[0] if blocked else None
                continue
            best = min(options, key=lambda i: (-len(wanted.intersection(self.library[i].criteria) - covered),
                                               self.library[i].effort, self.position[i]))
            self.chosen[best] = None
            covered.update(self.library[best].criteria)
        self._close_over_prerequisites(in_library_order=False)
        self.serves = {i: tuple(c for c in self.library[i].criteria if c in wanted) for i in self.chosen}

    def order(self) -> list[str]:
        """The order the scheduler takes the initiatives in: what something depends on first;
        then pinned work (and what it needs), higher priority band, quick wins before foundations
        before transformations, higher priority score, lower level, library order."""
        dependents: dict[str, list[str]] = {i: [] for i in self.chosen}
        for i, ds in self.deps.items():
            for d in ds:
                dependents[d].append(i)
        topo = self._topological(lambda i: self.position[i])
        score = {i: max((self.priority[self.subject[c]] for c in self.serves[i]), default=0.0) for i in self.chosen}
        band = {i: min((self.band[self.subject[c]] for c in self.serves[i]), default=self.no_band)
                for i in self.chosen}
        pinned = {i: i in self.params.pinned for i in self.chosen}
        for i in reversed(topo):  # a prerequisite is as urgent as the most urgent work waiting for it
            for j in dependents[i]:
                score[i], band[i], pinned[i] = max(score[i], score[j]), min(band[i], band[j]), pinned[i] or pinned[j]
        levels = {i: min((self.level[c] for c in self.serves[i]), default=5) for i in self.chosen}
        self.dependents = dependents
        return self._topological(lambda i: (not pinned[i], band[i], TYPE_ORDER[self.library[i].type], -score[i],
                                             levels[i], self.position[i]))

    def _topological(self, key) -> list[str]:
        waiting = {i: len(ds) for i, ds in self.deps.items()}
        ready = [(key(i), i) for i, n in waiting.items() if n == 0]
        heapq.heapify(ready)
        out = []
        users: dict[str, list[str]] = {i: [] for i in self.chosen}
        for i, ds in self.deps.items():
            for d in ds:
                users[d].append(i)
        while ready:
            _, i = heapq.heappop(ready)
            out.append(i)
            for j in users[i]:
                waiting[j] -= 1
                if waiting[j] == 0:
                    heapq.heappush(ready, (key(j), j))
        return out

    # ---- scheduling ----

    def profile(self, iid: str) -> list[float]:
        """Person-weeks per wave from its start: at the pace its typical duration sets, or slower
        when that pace would need more than a wave's capacity (then it takes longer)."""
        i, w, c = self.library[iid], self.params.wave_weeks, self.params.capacity
        rate = min(i.effort / i.duration, c / w)   # person-weeks per week
        elapsed = i.effort / rate                   # weeks
        span = max(1, math.ceil(elapsed / w - EPS))
        return [rate * min(w, elapsed - k * w) for k in range(span)]

    def elapsed_days(self, iid: str) -> int:
        i, w, c = self.library[iid], self.params.wave_weeks, self.params.capacity
        return math.ceil(max(i.duration, i.effort * w / c) * 7 - EPS)

    def schedule(self, order: list[str]) -> None:
        """Place every selected initiative, pinned ones at their wave, the rest in `order` at the
        earliest wave after its prerequisites end where it fits. Placement goes on past the last
        wave, so that what does not fit still holds its place in the queue; what could not end
        within the plan even with unlimited capacity is not placed (unless pinned work needs it).

        A later initiative may start before an earlier one that is still waiting (overtake it)
        only if it would fit even with that one running beside it at its full pace, anywhere
        from the earliest wave it could start in with more capacity to its planned end. That
        keeps room for higher-priority work and makes the plan monotone: more capacity never
        makes any initiative start or end later.
        """
        p, cap = self.params, self.params.capacity
        span0 = {i: self.natural_span(i) for i in self.chosen}
        self.asap: dict[str, int] = {}
        for i in self._topological(lambda i: self.position[i]):
            self.asap[i] = max([1] + [self.asap[d] + span0[d] for d in self.deps[i]])
        self.slots: dict[str, _Slot] = {}
        fixed_load: dict[int, float] = {}
        for iid, wave in p.pinned.items():
            if wave is None:
                continue
            loads = self.profile(iid)
            self.slots[iid] = _Slot(wave, loads, wave)
            for k, load in enumerate(loads):
                fixed_load[wave + k] = fixed_load.get(wave + k, 0.0) + load
        for t, load in sorted(fixed_load.items()):
            if load > cap + EPS:
                raise DsmError(f"the pinned initiatives need {load:g} person-weeks in wave {t}, more than the "
                               f"capacity of {cap:g}")
        keep = set(p.pinned)   # pinned work, and what it needs, is scheduled whatever the horizon
        for iid in reversed(order):
            if iid in keep:
                keep.update(self.deps[iid])
        queued: list[_Slot] = []
        for iid in order:
            if iid in self.slots or (self.beyond_horizon(iid) and iid not in keep):
                continue
            loads = self.profile(iid)
            # a prerequisite beyond the horizon puts this one beyond it too: every prerequisite has a slot
            wave = max([1] + [self.slots[d].end + 1 for d in self.deps[iid]])
            while not self._fits(loads, wave, queued, fixed_load):
                wave += 1
            slot = _Slot(wave, loads, self.asap[iid])
            self.slots[iid] = slot
            queued.append(slot)
        for iid, wave in p.pinned.items():
            late = [d for d in self.deps[iid] if self.slots[d].end >= self.slots[iid].start]
            if wave is not None and late:
                raise DsmError(f"{iid} is pinned to wave {wave}, but {late[0]}, which it depends on, cannot end "
                               f"before wave {self.slots[late[0]].end + 1}; pin it later or pin {late[0]} earlier")

    def _fits(self, loads: list[float], wave: int, queued: list[_Slot], fixed_load: dict[int, float]) -> bool:
        cap = self.params.capacity
        overlapping = [s for s in queued if s.end >= wave]  # what ended before cannot be in the way
        for k, need in enumerate(loads):
            t = wave + k
            total = fixed_load.get(t, 0.0) + need
            for s in overlapping:
                if s.start <= wave:
                    total += s.load(t)
                elif s.earliest <= t <= s.end:   # waiting: with more capacity it could run here
                    total += s.loads[0]
            if total > cap + EPS:
                return False
        return True

    def natural_span(self, iid: str) -> int:
        """Waves it spans at the pace of its typical duration."""
        return max(1, math.ceil(self.library[iid].duration / self.params.wave_weeks - EPS))

    # ---- results ----

    def beyond_horizon(self, iid: str) -> bool:
        """Cannot end within the plan's waves even with unlimited capacity (so is not scheduled)."""
        return self.asap[iid] + self.natural_span(iid) - 1 > self.params.waves

    def delivered(self, iid: str) -> bool:
        return iid in self.slots and self.slots[iid].end <= self.params.waves

    def achieved_by(self, wave: int) -> set[str]:
        """The missing criteria the initiatives delivered by the end of `wave` achieve."""
        missing = set(self.missing)
        return {c for iid, s in self.slots.items() if s.end <= wave for c in self.library[iid].criteria
                if c in missing}

    def reason(self, iid: str) -> str | None:
        """Why a selected initiative is not delivered: horizon, dependency or capacity (None if it is)."""
        if self.delivered(iid):
            return None
        if iid in self.fixed_wave or self.beyond_horizon(iid):
            return "horizon"
        if any(not self.delivered(d) for d in self.deps[iid]):
            return "dependency"
        return "capacity"

    def planned(self, order: list[str]) -> list[Planned]:
        p = self.params
        out = []
        for iid in order:
            s = self.slots.get(iid)
            kind = self.reason(iid)
            start = p.start + dt.timedelta(weeks=p.wave_weeks * (s.start - 1)) if s else None
            out.append(Planned(
                initiative=self.library[iid], wave=s and s.start, end_wave=s and s.end, start=start,
                end=start and start + dt.timedelta(days=self.elapsed_days(iid) - 1), loads=tuple(s.loads) if s else (),
                closes=tuple(sorted({self.subject[c] for c in self.serves[iid]}, key=self.subject_order.get)),
                criteria=self.serves[iid], needed_by=tuple(self.dependents[iid]), pinned=iid in p.pinned,
                delivered=kind is None, reason=kind,
                detail=self._explain(kind, [iid], list(self.serves[iid])) if kind else ""))
        return out

    def wave_list(self) -> list[Wave]:
        p = self.params
        out = []
        for k in range(1, p.waves + 1):
            start = p.start + dt.timedelta(weeks=p.wave_weeks * (k - 1))
            out.append(Wave(k, start, start + dt.timedelta(weeks=p.wave_weeks, days=-1), p.capacity,
                            sum(s.load(k) for s in self.slots.values())))
        return out

    def _explain(self, kind: str, ids: list[str], crits: list[str]) -> str:
        """Why planned initiatives are held back (room and time in the words of an open gap: held_back)."""
        if kind in ("capacity", "horizon"):
            return held_back(self.params, kind, ids)
        if kind == "dependency":
            waits = sorted({d for i in ids for d in self.deps[i] if not self.delivered(d)}, key=self.position.get)
            return (f"{', '.join(ids)} {'waits' if len(ids) == 1 else 'wait'} for {', '.join(waits)}, which "
                    f"{'is' if len(waits) == 1 else 'are'} not delivered within the plan")
        raise ValueError(f"an initiative of the plan is held back by {kind!r}")  # reason() gives only these


def _project(assessment: Assessment, params: Parameters, state: _State) -> pd.DataFrame:
    """Level and score per subject now (wave 0) and after each wave, scored by the methodology's
    own rules with the criteria of the initiatives delivered by then fully achieved."""
    eng, consensus = assessment.engagement, assessment.consensus  # a what-if is in them already
    waves = range(params.waves + 1)
    slugs = [f"{eng.slug}@wave-{k}" for k in waves]
    engagements = [eng.model_copy(update={"slug": s}) for s in slugs]
    answers = pd.concat([assessment.answers.assign(engagement=s) for s in slugs], ignore_index=True)
    base = consensus[["criterion_id", "rating"]].astype({"criterion_id": object, "rating": object}) \
        if len(consensus) else pd.DataFrame({"criterion_id": [], "rating": []}, dtype=object)
    frames = []
    for k, s in zip(waves, slugs, strict=True):
        achieved = sorted(state.achieved_by(k))
        kept = base[~base["criterion_id"].isin(achieved)]
        frames.append(pd.concat([kept, pd.DataFrame({"criterion_id": achieved, "rating": "F"}, dtype=object)],
                                ignore_index=True).assign(engagement=s))
    scores = score_many(state.fw, engagements, answers, pd.concat(frames, ignore_index=True))
    subjects = scores.subjects
    wave_of = {s: k for k, s in zip(waves, slugs, strict=True)}
    return pd.DataFrame({
        "wave": subjects["engagement"].astype(str).map(wave_of).to_numpy(),
        "subject": subjects["id"].to_numpy(),
        "level": subjects["level"].to_numpy(dtype=float, na_value=math.nan),
        "score": subjects["score"].to_numpy(dtype=float, na_value=math.nan),
        "target": subjects["target"].to_numpy(dtype=float, na_value=math.nan),
        "gap": subjects["gap"].to_numpy(dtype=float, na_value=math.nan),
    }).sort_values(["wave"], kind="stable").reset_index(drop=True)
