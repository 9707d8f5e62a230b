"""What each level of each subject below target needs: the kit's gate rule turned into sets of criteria.

A subject reaches level L when the criteria of L are at least largely achieved and those of every
lower level fully achieved (scoring/rules.py, methodology section 3); a level whose criteria are
all not applicable is passed through but never claimed. A delivered initiative's criteria count
as fully achieved. So "the subject is at level L or above" holds exactly when every criterion of
`needs(subject, L)` is delivered, where the set holds the applicable criteria below the first
level at or above L that has applicable criteria and are not fully achieved, and those of that
level not at least largely achieved; a target on a level without applicable criteria needs only the
levels below it fully achieved. The planner and the reasons for open gaps both read it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from dsm_assess.core.frames import pd
from dsm_assess.core.scale import FULLY, LARGELY, STEP
from dsm_assess.framework.model import LEVELS
from dsm_assess.scoring.assessment import Assessment
from dsm_assess.scoring.rules import NA


@dataclass(frozen=True)
class SubjectGates:
    """One subject below target: where it stands, where it should be, what each level above needs."""

    subject: str
    level: int                                    # today
    target: int
    priority: float                               # the subject's priority score
    needs: dict[int, frozenset[str] | None]       # level (above today's, up to target) -> criteria; None: unreachable

    @property
    def wanted(self) -> frozenset[str]:
        """Every criterion that stands between the subject and its target."""
        return frozenset().union(*(n for n in self.needs.values() if n))


def subject_gates(assessment: Assessment) -> dict[str, SubjectGates]:
    """The gates of every subject below target (a known level under a known target), in the
    order of the framework."""
    crit = assessment.scores.criteria
    subjects = assessment.scores.subjects
    step = crit["rating"].astype(object).map(STEP).to_numpy(dtype=float, na_value=math.nan)  # NA, no data: nan
    applicable = ~crit["status"].astype(object).eq(NA).to_numpy()
    rows = pd.DataFrame({"id": crit["id"].astype(str).to_numpy(), "subject": crit["subject"].astype(str).to_numpy(),
                         "level": crit["level"].astype(int).to_numpy(), "step": step})[applicable]
    by_subject = {sid: grp for sid, grp in rows.groupby("subject", sort=False)}
    out = {}
    for r in subjects.itertuples():
        gap = r.gap
        if gap is None or pd.isna(gap) or int(gap) <= 0:
            continue
        grp = by_subject.get(r.id, rows.iloc[:0])
        present = sorted(set(grp["level"]))
        needs: dict[int, frozenset[str] | None] = {}
        for lv in range(int(r.level) + 1, int(r.target) + 1):
            if lv == int(r.target) and lv in LEVELS and lv not in present:
                # methodology 2.1: a target on a level without applicable criteria is reached once
                # every applicable criterion of the levels below it is fully achieved
                needs[lv] = frozenset(grp[(grp["level"] < lv) & ~(grp["step"] >= FULLY)]["id"])
                continue
            claimed = next((x for x in present if x >= lv), None)
            if claimed is None or lv not in LEVELS:
                needs[lv] = None
                continue
            below = grp[(grp["level"] < claimed) & ~(grp["step"] >= FULLY)]
            at = grp[(grp["level"] == claimed) & ~(grp["step"] >= LARGELY)]
            needs[lv] = frozenset(below["id"]) | frozenset(at["id"])
        priority = 0.0 if pd.isna(r.priority_score) else float(r.priority_score)
        out[r.id] = SubjectGates(r.id, int(r.level), int(r.target), priority, needs)
    return out


def level_with(gates: SubjectGates, achieved: set[str] | frozenset[str]) -> int:
    """The subject's level (up to its target) once the criteria `achieved` are fully achieved."""
    level = gates.level
    for lv in sorted(gates.needs):
        needs = gates.needs[lv]
        if needs is None or not needs <= achieved:
            break
        level = lv
    return level
