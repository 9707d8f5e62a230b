"""Choosing and placing initiatives with a constraint solver (OR-Tools CP-SAT).

One boolean per (initiative, start wave); an initiative starts at most once, every prerequisite
ends in a wave before it starts, pinned ones start where pinned, and no wave carries more
person-weeks than its capacity. One boolean per (criterion, wave) says it is achieved by then
(some initiative serving it has ended), and one per (subject, level, wave) says the subject stands
at that level or above (every criterion of the level's gate achieved, planning/gates.py).

The objective is lexicographic, in two solves: first the most priority-weighted levels gained by
the last wave, then the most subjects brought to target, then the earliest delivery (the weighted
levels standing after every wave, summed); the second solve keeps that and achieves the most
criteria on the way to target for the fewest person-weeks, each initiative as early as it can.
The search is bounded by deterministic time with one worker, so the same inputs give the same
plan on every machine.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import ortools
from ortools.sat.python import cp_model

from dsm_assess.core import cache
from dsm_assess.planning.gates import SubjectGates

SCALE = 1000            # person-weeks to integers: a thousandth is finer than any input
PRIORITY_SCALE = 100    # priority scores are multiples of 0.2 (scoring/rules.py), exact in hundredths
SEARCH_LIMIT = 1.5      # deterministic seconds for the first solve (about as many seconds of work on one core)
POLISH_LIMIT = 0.3      # deterministic seconds for the second


@dataclass(frozen=True)
class Problem:
    """Everything the model needs, resolved by the planner."""

    candidates: Sequence[str]                  # initiatives that may be planned, in library order
    loads: Mapping[str, Sequence[float]]       # person-weeks per wave from its start
    deps: Mapping[str, Sequence[str]]          # prerequisites among the candidates
    serves: Mapping[str, Sequence[str]]        # criteria it achieves that stand between a subject and its target
    effort: Mapping[str, float]
    gates: Mapping[str, SubjectGates]
    pinned: Mapping[str, int | None]
    waves: int
    capacity: float


@dataclass(frozen=True)
class Solution:
    starts: dict[str, int]      # initiative -> start wave
    status: str                 # optimal or feasible


def weight(gates: SubjectGates) -> int:
    """The value of one level gained in this subject: its priority score (a gap always has one
    above zero), in hundredths."""
    return max(1, round(gates.priority * PRIORITY_SCALE))


def solve(problem: Problem, hint: Mapping[str, int] | None = None, *, search: float = SEARCH_LIMIT,
          polish: float = POLISH_LIMIT) -> Solution | None:
    """The best plan the bounded search finds (starting from `hint`, initiative -> start wave,
    where given), or None when it finds none (pins that cannot be kept, or nothing feasible
    found within the bound). `search` and `polish` bound the two solves in deterministic seconds.

    The search is deterministic, so its answer is kept (in this process and in the kit's cache)
    under a hash of everything it depends on: `roadmap`, `report` and `batch` on unchanged inputs
    do not search again."""
    if cache.cache_dir() is None:
        return _solve(problem, hint, search, polish)
    key = _key(problem, hint, search, polish)
    if key not in _SOLVED:
        found = cache.read(f"plan-{key}.pickle", dict)
        if found is None:
            found = {"solution": _solve(problem, hint, search, polish)}
            cache.write(f"plan-{key}.pickle", found)
        _SOLVED[key] = found["solution"]
    return _SOLVED[key]


_SOLVED: dict[str, Solution | None] = {}
_CODE = hashlib.sha256(Path(__file__).read_bytes() + ortools.__version__.encode()).hexdigest()


def _key(p: Problem, hint: Mapping[str, int] | None, search: float, polish: float) -> str:
    """Everything a solve depends on, in the order the model is built from it."""
    def plain(v):
        return sorted(v) if isinstance(v, (set, frozenset)) else list(v)

    doc = [_CODE, search, polish, p.waves, p.capacity, list(p.candidates),
           {k: plain(v) for k, v in p.loads.items()}, {k: plain(v) for k, v in p.deps.items()},
           {k: plain(v) for k, v in p.serves.items()}, dict(p.effort), dict(p.pinned), dict(hint or {}),
           {sid: [g.level, g.target, g.priority, [[lv, None if n is None else sorted(n)] for lv, n in g.needs.items()]]
            for sid, g in p.gates.items()}]
    return hashlib.sha256(json.dumps(doc).encode()).hexdigest()


def _solve(problem: Problem, hint: Mapping[str, int] | None, search: float, polish: float) -> Solution | None:
    p, waves = problem, problem.waves
    m = cp_model.CpModel()
    x: dict[str, dict[int, cp_model.IntVar]] = {}
    for iid in p.candidates:
        span = len(p.loads[iid])
        last = waves if iid in p.pinned else waves - span + 1   # pinned work may end after the last wave
        x[iid] = {t: m.new_bool_var(f"x[{iid},{t}]") for t in range(1, last + 1)}
    planned = {iid: sum(v.values()) for iid, v in x.items()}
    for iid in x:
        m.add(planned[iid] <= 1)
    for iid, wave in p.pinned.items():
        m.add(planned[iid] == 1)
        if wave is not None:
            if wave not in x[iid]:
                return None
            m.add(x[iid][wave] == 1)
    for iid in p.candidates:
        for d in p.deps[iid]:
            span_d = len(p.loads[d])
            m.add(planned[iid] <= planned[d])
            for t, var in x[iid].items():
                before = [x[d][s] for s in x[d] if s + span_d - 1 <= t - 1]
                m.add(var <= sum(before)) if before else m.add(var == 0)
    cap = round(p.capacity * SCALE)
    for t in range(1, waves + 1):
        terms = [(var, round(p.loads[iid][t - s] * SCALE)) for iid, v in x.items() for s, var in v.items()
                 if 0 <= t - s < len(p.loads[iid])]
        if terms:
            m.add(sum(var * load for var, load in terms) <= cap)

    def ended_by(iid: str, t: int):
        span = len(p.loads[iid])
        return [var for s, var in x[iid].items() if s + span - 1 <= t]

    serving: dict[str, list[str]] = {}
    for iid in p.candidates:
        for c in p.serves[iid]:
            serving.setdefault(c, []).append(iid)
    achieved: dict[tuple[str, int], cp_model.IntVar] = {}

    def criterion(c: str, t: int):
        if (c, t) not in achieved:
            var = achieved[c, t] = m.new_bool_var(f"c[{c},{t}]")
            ways = [v for iid in serving.get(c, ()) for v in ended_by(iid, t)]
            m.add(var <= sum(ways)) if ways else m.add(var == 0)
        return achieved[c, t]

    value, early, targets = [], [], []
    for sid, g in p.gates.items():
        w = weight(g)
        for t in range(1, waves + 1):
            previous = None
            for lv in sorted(g.needs):
                stands = m.new_bool_var(f"s[{sid},{lv},{t}]")
                needs = g.needs[lv]
                if needs is None:
                    m.add(stands == 0)
                else:
                    for c in sorted(needs):  # a set: its order would change with the hash seed
                        m.add(stands <= criterion(c, t))
                if previous is not None:
                    m.add(stands <= previous)
                previous = stands
                early.append(w * stands)
                if t == waves:
                    value.append(w * stands)
                    if lv == g.target:
                        targets.append(stands)
    crits = [criterion(c, waves) for c in sorted({c for g in p.gates.values() for c in g.wanted}) if c in serving]
    most_value = sum(weight(g) * len(g.needs) for g in p.gates.values())
    most_early = most_value * waves
    first = (sum(value) * (len(p.gates) + 1) + sum(targets)) * (most_early + 1) + sum(early)
    m.maximize(first)
    for iid, t in (hint or {}).items():
        if iid in x:
            for s, var in x[iid].items():
                m.add_hint(var, s == t)
    solver = cp_model.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = 0
    solver.parameters.max_deterministic_time = search
    status = solver.solve(m)
    if status not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return None
    optimal = status == cp_model.OPTIMAL
    best = round(solver.objective_value)
    starts = _starts(solver, x)
    # second solve: keep the first objective, then most criteria for the fewest person-weeks
    m.clear_hints()
    for iid, v in x.items():
        for t, var in v.items():
            m.add_hint(var, starts.get(iid) == t)
    m.add(first >= best)
    effort = sum(round(p.effort[iid] * SCALE) * planned[iid] for iid in p.candidates)
    most_effort = sum(round(p.effort[iid] * SCALE) for iid in p.candidates)
    # and, all else equal, each initiative as early as it can start
    soon = sum((waves + 1 - t) * var for v in x.values() for t, var in v.items())
    most_soon = (waves + 1) * len(p.candidates)
    m.maximize((sum(crits) * (most_effort + 1) - effort) * (most_soon + 1) + soon)
    solver.parameters.max_deterministic_time = polish
    status = solver.solve(m)
    if status in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        starts = _starts(solver, x)
        optimal = optimal and status == cp_model.OPTIMAL
    return Solution(starts, "optimal" if optimal else "feasible")


def _starts(solver: cp_model.CpSolver, x) -> dict[str, int]:
    return {iid: t for iid, v in x.items() for t, var in v.items() if solver.boolean_value(var)}


EPS = 1e-9


def _end(problem: Problem, iid: str, start: int) -> int:
    return start + len(problem.loads[iid]) - 1


def _first_achieved(problem: Problem, starts: Mapping[str, int], skip: str | None = None) -> dict[str, int]:
    """The wave by which each criterion is first achieved in the plan (within its waves)."""
    out: dict[str, int] = {}
    for iid, s in starts.items():
        end = _end(problem, iid, s)
        if iid == skip or end > problem.waves:
            continue
        for c in problem.serves[iid]:
            out[c] = min(out.get(c, end), end)
    return out


def prune(problem: Problem, starts: dict[str, int]) -> dict[str, int]:
    """Take out, latest first, every initiative that is not pinned, that nothing planned waits
    for, and whose criteria the rest of the plan achieves as early without it: nothing is
    planned for nothing, and the value stays the same."""
    starts = dict(starts)
    changed = True
    while changed:
        changed = False
        for iid in sorted(starts, key=lambda i: (-starts[i], i)):
            if iid in problem.pinned or any(iid in problem.deps[j] for j in starts):
                continue
            own, rest = _first_achieved(problem, {iid: starts[iid]}), _first_achieved(problem, starts, skip=iid)
            if all(c in rest and rest[c] <= w for c, w in own.items()):
                del starts[iid]
                changed = True
    return starts


def fill(problem: Problem, starts: dict[str, int]) -> dict[str, int]:
    """Use room the search left: wave by wave, start in it every initiative, not pinned, that
    would fit there with its prerequisites ended before it and would add value there (achieve a
    criterion the plan does not achieve, or achieve one earlier than the plan does), in library
    order; repeat until nothing moves. Only ever adds value."""
    p = problem
    starts = dict(starts)
    cap = p.capacity + EPS

    def load(t: int, skip: str | None = None) -> float:
        return sum(p.loads[i][t - s] for i, s in starts.items() if i != skip and 0 <= t - s < len(p.loads[i]))

    changed = True
    while changed:
        changed = False
        for t in range(1, p.waves + 1):
            for iid in p.candidates:
                if iid in p.pinned or starts.get(iid, p.waves + 1) <= t or _end(p, iid, t) > p.waves:
                    continue
                if any(d not in starts or _end(p, d, starts[d]) >= t for d in p.deps[iid]):
                    continue
                first = _first_achieved(p, starts)
                end = _end(p, iid, t)
                if not any(first.get(c, p.waves + 1) > end for c in p.serves[iid]):
                    continue
                if all(load(t + k, skip=iid) + need <= cap for k, need in enumerate(p.loads[iid])):
                    starts[iid] = t
                    changed = True
    return starts
