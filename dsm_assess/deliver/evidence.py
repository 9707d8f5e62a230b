"""The client's own words per subject, for the full report's appendix.

`subjects_evidence()` gathers, for every assessed subject of the scope: each criterion with its
rating and the evidence named; respondents' comments (attributed by role, or by name and role
when the engagement's `report: name_respondents` says so); the reasons given for N/A; the
criteria someone did not know, as evidence still to find; the workshop's consensus rationales;
the disagreements still open (each rating by role); and advice ("how to do better") only for
criteria not yet achieved. Subjects without enough answers are listed once, with why, instead.
Text goes out exactly as it came in.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from dsm_assess.core.frames import pd
from dsm_assess.engagement.spec import EngagementSpec
from dsm_assess.framework.model import Framework
from dsm_assess.scoring.rules import MIN_COVERAGE, Scores

RATING_WORDS = {"N": "not achieved", "P": "partially", "L": "largely", "F": "fully"}


@dataclass
class Said:
    """Something a person said about a criterion: who (role, or name and role), about what, what."""

    who: str
    criterion: str   # its id: the statement is in the table above
    text: str


@dataclass
class SubjectEvidence:
    id: str
    name: str
    level: int | None
    score: float | None
    rows: list[list[str]] = field(default_factory=list)      # topic, criterion, rating, evidence
    comments: list[Said] = field(default_factory=list)
    na_reasons: list[Said] = field(default_factory=list)
    to_find: list[Said] = field(default_factory=list)        # who did not know, about which criterion
    consensus: list[Said] = field(default_factory=list)      # who: the rating agreed
    disagreements: list[Said] = field(default_factory=list)  # text: each rating by role
    advice: list[Said] = field(default_factory=list)         # who: the rating; text: how to do better


@dataclass
class NotAssessed:
    id: str
    name: str
    why: str


def _text(value) -> str:
    return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value).strip()


def rating_text(status: str, rating, consensus: bool) -> str:
    """A criterion's combined rating in words a reader keeps on one line."""
    if status == "n/a":
        return "N/A"
    if status == "no data":
        return "not rated"
    return f"{rating}{' (agreed)' if consensus else ''}"


def subjects_evidence(fw: Framework, eng: EngagementSpec, scores: Scores, answers: pd.DataFrame,
                      consensus: pd.DataFrame) -> tuple[list[SubjectEvidence], list[NotAssessed]]:
    """Per subject of the scope, in scope order: what the client said, or why it is not assessed.
    `answers` are the current answers with their text (one row per respondent and criterion);
    `consensus` the workshop's values with their rationale."""
    people = {r.email: (f"{r.name} ({r.role})" if eng.report.name_respondents else f"the {r.role}")
              for r in eng.respondents}
    by_id = {c.id: c for c in fw.criteria}

    def who(email: str) -> str:
        return people.get(email, "a respondent no longer listed")

    def named(cid: str) -> str:
        return f"{cid}: {by_id[cid].statement}"

    said: dict[str, list] = {}
    for r in answers.itertuples() if len(answers) else ():
        said.setdefault(r.criterion_id, []).append(r)
    agreed = {r.criterion_id: r for r in consensus.itertuples()} if len(consensus) else {}
    crit = scores.criteria
    asked = {s for r in eng.respondents for s in eng.subjects_of(r)}
    out: list[SubjectEvidence] = []
    missing: list[NotAssessed] = []
    subjects = scores.subjects.set_index("id")
    for sid, rows in crit.groupby(crit["subject"].astype(str), sort=False):
        s = subjects.loc[sid]
        if bool(s["insufficient"]):
            missing.append(NotAssessed(sid, str(s["name"]), _why_not(sid, s, rows, asked)))
            continue
        topics = {t.id: (i, t.name) for i, t in enumerate(fw.get_subject(sid).topics)}
        ordered = sorted(rows.itertuples(), key=lambda r: (topics.get(by_id[r.id].topic, (len(topics), ""))[0],
                                                            r.level, r.id))
        ev = SubjectEvidence(sid, str(s["name"]), int(s["level"]), float(s["score"]))
        for r in ordered:
            mine = said.get(r.id, [])
            given = "; ".join(dict.fromkeys(t for t in (_text(a.evidence) for a in mine) if t))
            ev.rows.append([topics.get(by_id[r.id].topic, (0, ""))[1], named(r.id),
                            rating_text(r.status, r.rating, r.consensus_applied), given or "none named"])
            for a in mine:
                if _text(a.comment):
                    ev.comments.append(Said(who(a.respondent), r.id, _text(a.comment)))
                if a.rating == "NA" and _text(a.na_reason):
                    ev.na_reasons.append(Said(who(a.respondent), r.id, _text(a.na_reason)))
                if a.rating == "DK":
                    ev.to_find.append(Said(who(a.respondent), r.id, by_id[r.id].evidence[0]))
            if r.id in agreed and _text(agreed[r.id].rationale):
                ev.consensus.append(Said(f"agreed {agreed[r.id].rating}", r.id,
                                         _text(agreed[r.id].rationale)))
            if r.disagreement and not r.resolved:
                ratings = ", ".join(f"{a.rating} from {who(a.respondent)}" for a in mine if a.rating in RATING_WORDS)
                ev.disagreements.append(Said("", r.id, ratings))
            if r.status != "n/a" and str(r.rating) != "F":
                ev.advice.append(Said(rating_text(r.status, r.rating, r.consensus_applied), r.id,
                                      by_id[r.id].improve))
        out.append(ev)
    return out, missing


def _why_not(sid: str, s, rows: pd.DataFrame, asked: set[str]) -> str:
    if sid not in asked:
        return "no respondent was asked about it"
    applicable = int((rows["status"] != "n/a").sum())
    rated = int((rows["status"] == "rated").sum())
    if rated == 0:
        return "no answers came back"
    return (f"too few answers: {rated} of {applicable} criteria rated, and at least "
            f"{MIN_COVERAGE:.0%} are needed to score it")
