"""Follow-up after a first round: from the answers so far, what to ask next (the adaptive path).

A first round (a profile marked `follow_up`: the `screening`, or the shorter `stepwise`) asks the
criteria that decide the lowest levels. Each follow-up then climbs the gate of every subject
(docs/methodology.md, "The adaptive path"), reading each criterion as scoring does (a consensus
first, else the lower median of everyone's N/P/L/F answers; N/A only when agreed):

- a criterion of a level below L (not or partially achieved): the subject's level is settled
  below that level, nothing more is asked;
- a level with criteria not asked yet, and nothing below it falling short: the rest of that level
  (a level is only reached when every one of its criteria is at least largely achieved);
- a level all asked and reached, but not every criterion so far fully achieved: settled, since
  no higher level can count (a level needs every lower level fully achieved);
- every criterion so far fully achieved: the next level, the same way;
- a statement asked and not answered by anyone yet: wait for it.

Every respondent of a subject who has answered in it is asked the same statements, so that each
criterion is answered by everyone who covers its subject. A subject in `full_depth` is asked in
full already. What is asked is kept in engagement.yaml under `follow_up:` (respondent e-mail ->
criterion ids), which `EngagementSpec.criteria_for` adds to the profile: exports, imports,
status, the form and scoring all read the one asked set. Criteria once asked stay asked.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dsm_assess.core.errors import DsmError
from dsm_assess.core.frames import pd
from dsm_assess.core.scale import FULLY, LARGELY, STEP
from dsm_assess.engagement.spec import EngagementSpec
from dsm_assess.framework.model import Criterion, Framework

# Why a subject gets what it gets; the `reasons` of `follow-up --json`.
CLIMB, REST, NOT_REACHED, NO_DATA, DECIDED, TOP, WAITING, FULL_DEPTH, NOT_ANSWERED = (
    "levels below {lv} fully achieved: level {lv} asked",
    "level {lv} not settled by the answers so far: the rest of level {lv} asked",
    "level {lv} not reached: nothing above it can count, the rest waits for the next assessment",
    "level {lv} has statements nobody could rate: the workshop settles them",
    "level {lv} reached, not fully achieved: no higher level can count, nothing more to ask",
    "every level asked",
    "waiting for answers to level {lv}",
    "in full_depth: asked in full already",
    "not answered yet",
)
NA, PENDING = "NA", "pending"  # a criterion agreed not to apply; asked but nobody has answered


@dataclass
class SubjectDecision:
    subject: str
    reasons: list[str]
    new: list[str]  # criterion ids to ask now (not asked before)
    settled: bool = False  # the answers decide the subject's level: nothing more to ask


@dataclass
class RespondentFollowUp:
    email: str
    name: str
    subjects: list[SubjectDecision] = field(default_factory=list)

    @property
    def new(self) -> list[str]:
        return [cid for s in self.subjects for cid in s.new]


def reading(ratings: list[str], consensus: str | None = None) -> int | str | None:
    """One criterion as scoring reads it: the consensus if there is one, else the lower median
    step of the N/P/L/F answers (a split vote never rounds up); NA when it is agreed not to apply
    (only N/A answers, nobody who does not know); None without data."""
    if consensus is not None:
        return STEP.get(consensus, NA if consensus == NA else None)
    steps = sorted(STEP[r] for r in ratings if r in STEP)
    if steps:
        return steps[(len(steps) - 1) // 2]
    return NA if NA in ratings and "DK" not in ratings else None


def climb(levels: dict[int, list[Criterion]], asked: set[str], read: dict[str, int | str | None],
          confirm: int | None = None) -> tuple[str, list[str], bool]:
    """(reason, criteria to ask next, settled) for one subject: its criteria by level (the ones a
    first round asks first), those asked so far and their readings (PENDING if nobody answered).
    `confirm` caps the criteria of a level asked before it is taken as reached (the benchmark's
    trade-off of statements against agreement; by default every one is asked)."""
    short = False  # a criterion of a level climbed so far is not fully achieved
    for lv in sorted(levels):
        if short:
            return DECIDED.format(lv=lv - 1), [], True
        mine = [c.id for c in levels[lv] if c.id in asked]
        got = [v for cid in mine if (v := read.get(cid, PENDING)) != NA]
        if any(isinstance(v, int) and v < LARGELY for v in got):  # settles it, whatever is still out
            return NOT_REACHED.format(lv=lv), [], True
        if PENDING in got:
            return WAITING.format(lv=lv), [], False
        rest = [c.id for c in levels[lv] if c.id not in asked]
        if confirm is not None:
            rest = rest[:max(confirm - len(mine), 0)]
        if rest:
            return (REST if mine else CLIMB).format(lv=lv), rest, False
        if None in got:
            return NO_DATA.format(lv=lv), [], True
        short = any(v < FULLY for v in got)
    return TOP, [], True


def plan_follow_up(fw: Framework, eng: EngagementSpec, current: pd.DataFrame,
                   consensus: pd.DataFrame | None = None, confirm: int | None = None) -> list[RespondentFollowUp]:
    """Per respondent and subject, what to ask next and why, from the current answers
    (respondent, criterion_id, rating) and consensus values (criterion_id, rating): criteria
    asked already are never proposed again. `confirm`: see `climb`."""
    if eng.profile not in fw.follow_up_profiles:
        raise DsmError(f"engagement {eng.slug!r} uses the {eng.profile!r} profile; a follow-up builds on the "
                       f"answers of a first round ({' or '.join(sorted(fw.follow_up_profiles))} profile)")
    first = set(fw.profiles[eng.profile])
    excluded = eng.excluded(fw)
    agreed = {} if consensus is None or not len(consensus) else dict(
        zip(consensus["criterion_id"].astype(str), consensus["rating"].astype(str), strict=True))
    given: dict[str, list[str]] = {}
    answered: set[tuple[str, str]] = set()  # (respondent, subject) with an answer
    for who, cid, rating in zip(current["respondent"], current["criterion_id"], current["rating"], strict=True):
        given.setdefault(cid, []).append(rating)
        if cid in fw.index:
            answered.add((who, fw.get(cid).subject))
    asked_of = {r.email: set(eng.criteria_for(fw, r)) for r in eng.respondents}

    decisions: dict[str, tuple[str, set[str], bool]] = {}  # subject -> reason, what it asks in all, settled
    for subject in eng.scope:
        if subject in eng.full_depth:
            decisions[subject] = (FULL_DEPTH, set(), True)
            continue
        levels: dict[int, list[Criterion]] = {}
        for c in sorted((c for c in fw.criteria if c.subject == subject and c.id not in excluded),
                        key=lambda c: (c.id not in first, bool(c.applies_when))):
            levels.setdefault(c.level, []).append(c)
        asked = {cid for r in eng.respondents if subject in eng.subjects_of(r) for cid in asked_of[r.email]
                 if fw.get(cid).subject == subject}
        read = {cid: reading(given[cid], agreed.get(cid)) if cid in given or cid in agreed else PENDING
                for cid in asked}
        reason, new, settled = climb(levels, asked, read, confirm)
        decisions[subject] = (reason, set() if settled else asked | set(new), settled)

    out = []
    for resp in eng.respondents:
        plan = RespondentFollowUp(resp.email, resp.name)
        for subject in eng.subjects_of(resp):
            reason, wanted, settled = decisions[subject]
            if subject not in eng.full_depth and (resp.email, subject) not in answered:
                plan.subjects.append(SubjectDecision(subject, [NOT_ANSWERED], []))
                continue
            # in bank order; what others of the subject were asked before this respondent answered too
            new = [c.id for c in fw.criteria if c.id in wanted and c.id not in asked_of[resp.email]]
            plan.subjects.append(SubjectDecision(subject, [reason], new, settled))
        out.append(plan)
    return out


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
         "subjects": [{"id": s.subject, "statements": len(s.new), "reasons": s.reasons, "criteria": s.new,
                       "settled": s.settled}
                      for s in p.subjects]}
        for p in plans]}
