"""Follow-up after a screening: from each respondent's screening answers, what to ask next.

A screening (the `screening` profile) asks the criteria that decide level 2 and level 3 of every
subject. The follow-up asks more only where those answers call for it, per subject and
respondent (docs/methodology.md, "The adaptive path"):

- level 3 at least largely achieved: the subject's level-4 and level-5 criteria;
- a level whose screening answers disagree (two or more scale steps apart, within the
  respondent's own answers or between respondents, and not settled by a consensus) or are
  unknown (don't know, or N/A on a criterion that always applies): the rest of that level;
- level 2 clearly not achieved (every level-2 screening answer N or P): nothing more, the rest of
  the subject waits for the next assessment;
- a subject in `full_depth` is asked in full already.

What is asked is kept in engagement.yaml under `follow_up:` (respondent e-mail -> criterion ids),
which `EngagementSpec.criteria_for` adds to the profile: exports, imports, status, the form and
scoring all read the one asked set. Criteria once asked stay asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from dsm_assess.core.errors import DsmError
from dsm_assess.core.scale import LARGELY, STEP
from dsm_assess.engagement.spec import EngagementSpec
from dsm_assess.framework.model import Framework

SCREENING = "screening"
# Answers this many steps apart are a disagreement: the same rule as scoring's
# DISAGREEMENT_STEPS (a test keeps the two equal; capture may not import scoring).
DISAGREEMENT_STEPS = 2

# Why a subject gets what it gets; the `reason` keys of `follow-up --json`.
DEEPER, DISAGREE, UNKNOWN, NOT_REACHED, DECIDED, FULL_DEPTH, NOT_ANSWERED = (
    "level 3 largely achieved: levels 4 and 5 asked",
    "level {lv} answers disagree: the rest of level {lv} asked",
    "level {lv} unknown: the rest of level {lv} asked",
    "level 2 not achieved: the rest waits for the next assessment",
    "level decided by the screening: nothing more to ask",
    "in full_depth: asked in full already",
    "screening not answered yet",
)


@dataclass
class SubjectDecision:
    subject: str
    reasons: list[str]
    new: list[str]  # criterion ids to ask now (not asked before)


@dataclass
class RespondentFollowUp:
    email: str
    name: str
    subjects: list[SubjectDecision] = field(default_factory=list)

    @property
    def new(self) -> list[str]:
        return [cid for s in self.subjects for cid in s.new]


def plan_follow_up(fw: Framework, eng: EngagementSpec, current: pd.DataFrame,
                   consensus: pd.DataFrame | None = None) -> list[RespondentFollowUp]:
    """Per respondent and subject, what to ask next and why, from the current answers
    (respondent, criterion_id, rating) and consensus values (criterion_id): criteria asked
    already are never proposed again."""
    if eng.profile != SCREENING:
        raise DsmError(f"engagement {eng.slug!r} uses the {eng.profile!r} profile; a follow-up reads the answers "
                       f"of a screening (profile: {SCREENING})")
    screening = set(fw.profiles[SCREENING])
    excluded = eng.excluded(fw)
    settled = set(consensus["criterion_id"].astype(str)) if consensus is not None and len(consensus) else set()
    ratings: dict[str, dict[str, str]] = {}
    for r in current.itertuples():
        ratings.setdefault(r.respondent, {})[r.criterion_id] = r.rating
    # Open disagreements between respondents, per screening criterion.
    steps: dict[str, list[int]] = {}
    for answers in ratings.values():
        for cid, rating in answers.items():
            if cid in screening and rating in STEP:
                steps.setdefault(cid, []).append(STEP[rating])
    split = {cid for cid, s in steps.items() if max(s) - min(s) >= DISAGREEMENT_STEPS and cid not in settled}

    out = []
    for resp in eng.respondents:
        asked = set(eng.criteria_for(fw, resp))
        mine = ratings.get(resp.email, {})
        plan = RespondentFollowUp(resp.email, resp.name)
        for subject in eng.subjects_of(resp):
            if subject in eng.full_depth:
                plan.subjects.append(SubjectDecision(subject, [FULL_DEPTH], []))
                continue
            pool = [c for c in fw.criteria if c.subject == subject and c.id not in excluded]
            reasons, levels = _decide(pool, screening, mine, split)
            new = [c.id for c in pool if c.level in levels and c.id not in asked]
            plan.subjects.append(SubjectDecision(subject, reasons, new))
        out.append(plan)
    return out


def _decide(pool: list, screening: set[str], mine: dict[str, str], split: set[str]) -> tuple[list[str], set[int]]:
    """(reasons, levels whose remaining criteria to ask) for one subject and respondent."""
    screened = {lv: [c for c in pool if c.level == lv and c.id in screening] for lv in (2, 3)}
    answers = {lv: [mine.get(c.id) for c in cs] for lv, cs in screened.items()}
    if not any(a is not None for a in answers[2] + answers[3]):
        return [NOT_ANSWERED], set()
    reasons, levels = [], set()

    def open_level(lv: int) -> bool:
        got = [a for a in answers[lv] if a is not None]
        rated = [STEP[a] for a in got if a in STEP]
        if len(got) < len(answers[lv]) or len(rated) < len(got):  # unanswered, DK or N/A
            reasons.append(UNKNOWN.format(lv=lv))
            return True
        if max(rated) - min(rated) >= DISAGREEMENT_STEPS or any(c.id in split for c in screened[lv]):
            reasons.append(DISAGREE.format(lv=lv))
            return True
        return False

    l2 = [STEP.get(a, -1) for a in answers[2]]
    if l2 and all(0 <= s < LARGELY for s in l2):  # clearly not achieved
        if any(c.id in split for c in screened[2]):
            reasons.append(DISAGREE.format(lv=2))
            levels.add(2)
        reasons.append(NOT_REACHED)
        return reasons, levels
    for lv in (2, 3):
        if open_level(lv):
            levels.add(lv)
    l3 = [STEP.get(a, -1) for a in answers[3]]
    if l3 and all(s >= LARGELY for s in l3):
        reasons.append(DEEPER)
        levels |= {4, 5}
    return reasons or [DECIDED], levels


def record_follow_up(slug: str, root: str | Path | None, plans: list[RespondentFollowUp],
                     fw: Framework | None = None) -> int:
    """Add the planned criteria to engagement.yaml's `follow_up:` (through the one edit path,
    audited); returns how many were added."""
    from dsm_assess.engagement.edit import edit_engagement
    from dsm_assess.formats.yamledit import section

    added = sum(len(p.new) for p in plans)
    if not added:
        return 0

    def change(data: dict) -> None:
        asked = section(data, "follow_up")
        for p in plans:
            if p.new:
                have = list(asked.get(p.email) or [])
                asked[p.email] = have + [cid for cid in p.new if cid not in have]

    edit_engagement(fw, slug, change, action="follow-up recorded", root=root,
                    detail={"criteria": added, "respondents": sum(1 for p in plans if p.new)})
    return added


def follow_up_summary(plans: list[RespondentFollowUp], workbooks: dict[str, str] | None = None) -> dict:
    """The `questionnaire follow-up --json` shape."""
    workbooks = workbooks or {}
    return {"respondents": [
        {"email": p.email, "name": p.name, "statements": len(p.new), "workbook": workbooks.get(p.email),
         "subjects": [{"id": s.subject, "statements": len(s.new), "reasons": s.reasons, "criteria": s.new}
                      for s in p.subjects]}
        for p in plans]}
