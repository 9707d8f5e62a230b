"""What a plan buys, read from its projection (the kit's own scoring of each wave).

The value the planner maximises is `weighted`: for every subject below target, the levels it
gains by the last wave up to its target, each weighted by the subject's priority score.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dsm_assess.core.frames import pd


@dataclass(frozen=True)
class SubjectGain:
    subject: str
    before: int
    after: int
    target: int | None
    priority: float        # 0 for a subject not below target

    @property
    def gained(self) -> int:
        return self.after - self.before


@dataclass(frozen=True)
class PlanValue:
    """What the plan buys by its last wave."""

    weighted: float                    # priority-weighted levels gained, up to target
    gains: list[SubjectGain]           # every subject that rises, in the framework's order
    brought_to_target: list[str]       # below target now, at or above it after the last wave
    at_target_before: int
    at_target_after: int
    with_target: int                   # subjects with a known level and target
    criteria_achieved: int             # criteria not achieved today that delivered initiatives achieve
    mean_before: float
    mean_after: float
    used: list[float]                  # person-weeks per wave
    unused: list[float]

    @property
    def levels_gained(self) -> int:
        return sum(g.gained for g in self.gains)


def plan_value(plan) -> PlanValue:
    """What `plan` (a Roadmap) buys, subject by subject, and the capacity it leaves unused."""
    proj = plan.projection
    last = plan.parameters.waves
    now = proj[proj["wave"] == 0].set_index("subject")
    end = proj[proj["wave"] == last].set_index("subject")
    gains, weighted, brought = [], 0.0, []
    before_ok = after_ok = with_target = 0
    for sid in now.index:
        a, b, t = now.at[sid, "level"], end.at[sid, "level"], now.at[sid, "target"]
        if pd.isna(a) or pd.isna(b):
            continue
        a, b = int(a), int(b)
        target = None if pd.isna(t) else int(t)
        g = plan.gates.get(sid)
        priority = g.priority if g else 0.0
        if target is not None:
            with_target += 1
            before_ok += a >= target
            after_ok += b >= target
            if a < target <= b:
                brought.append(sid)
            weighted += priority * max(0, min(b, target) - a)
        if b > a:
            gains.append(SubjectGain(sid, a, b, target, priority))
    achieved = {c for p in plan.planned if p.delivered for c in p.criteria}
    used = [round(w.effort, 2) for w in plan.waves]
    return PlanValue(
        weighted=round(weighted, 4), gains=gains, brought_to_target=brought, at_target_before=before_ok,
        at_target_after=after_ok, with_target=with_target, criteria_achieved=len(achieved),
        mean_before=_mean(now["score"]), mean_after=_mean(end["score"]), used=used,
        unused=[round(max(0.0, w.capacity - w.effort), 2) for w in plan.waves])


def _mean(scores: pd.Series) -> float:
    s = scores.dropna()
    return math.nan if s.empty else float(s.mean())
