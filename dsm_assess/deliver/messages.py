"""A point of view for the executive report: key messages, recommendations, decisions, next steps.

`point_of_view()` writes every sentence from the numbers the report's tables show (scores to one
decimal, whole levels), the engagement's business context and the roadmap. Each generated message
has a fixed id; a consultant adds messages, or replaces one by its id, in engagement.yaml:

    messages:
      - text: "The service desk is the council's strongest asset; build on it."
      - {section: decisions, replaces: capacity, text: "Fund a second service desk analyst."}

and the report marks those as the consultant's. Unassessed subjects are never counted as reaching
a target, nor named as strong or weak.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dsm_assess.core.errors import InvalidInput, Problem
from dsm_assess.core.frames import pd
from dsm_assess.deliver.views import level, score
from dsm_assess.engagement.spec import MESSAGE_SECTIONS, EngagementSpec
from dsm_assess.framework.model import Framework
from dsm_assess.scoring.rules import Scores

PREPARE_WEEKS = 2  # decisions are asked for this long before the first wave starts


@dataclass(frozen=True)
class Message:
    id: str
    section: str        # one of MESSAGE_SECTIONS
    text: str
    consultant: bool = False


def count(n: int, one: str, many: str | None = None) -> str:
    """`1 subject`, `3 subjects`."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def reaching(projection: pd.DataFrame, wave: int) -> tuple[int, int]:
    """(subjects at or above target, subjects with a target and a level) at the end of `wave`:
    a subject without a level (not assessed) never counts as reaching its target."""
    p = projection[projection["wave"].eq(wave) & projection["target"].notna() & projection["level"].notna()]
    return int((p["level"] >= p["target"]).sum()), len(p)


def point_of_view(fw: Framework, eng: EngagementSpec, scores: Scores, plan=None,
                  findings: list | None = None) -> dict[str, list[Message]]:
    """Section -> messages, in MESSAGE_SECTIONS order, the consultant's merged in."""
    out = {section: [] for section in MESSAGE_SECTIONS}
    for m in _key_messages(fw, eng, scores, plan) + _recommendations(fw, scores, plan) \
            + _decisions(fw, eng, scores, plan, findings or []) + _next_steps(fw, scores, plan):
        out[m.section].append(m)
    return _merge(eng, out)


def _key_messages(fw: Framework, eng: EngagementSpec, scores: Scores, plan) -> list[Message]:
    s, h = scores.subjects, scores.headline
    scored = s[~s["insufficient"]].sort_values(["score", "id"])
    out = []

    def key(mid: str, text: str) -> None:
        out.append(Message(mid, "key messages", text))

    if not len(scored):
        key("overall", f"None of the {count(h['subjects'], 'subject')} assessed has enough answers to score yet.")
        return out
    below = s[s["gap"].fillna(0) > 0]
    key("overall", f"{eng.client} works at capability level {level(h['median_level'])} (the median) with a mean "
                   f"score of {score(h['score'])} of 5 across the {count(len(scored), 'subject')} scored; "
                   f"{len(below)} of them {'is' if len(below) == 1 else 'are'} below the level the business needs."
                   + (f" {count(h['insufficient'], 'subject')} had too few answers to score." if h["insufficient"]
                      else ""))
    if len(scored) >= 4:
        strong = [f"{r.name} ({score(r.score)})" for r in scored.tail(2)[::-1].itertuples()]
        weak = [f"{r.name} ({score(r.score)})" for r in scored.head(2).itertuples()]
        key("strengths", f"The strongest subjects are {_names(strong)}; the weakest are {_names(weak)}.")
    if eng.business_context and len(below):
        top = max(eng.business_context.values())
        caps = [fw.get(c).name.lower() for c, v in eng.business_context.items() if v == top]
        needed = below.sort_values(["demand", "gap", "priority_score"], ascending=False).head(3)
        gaps = [f"{r.name} (level {level(r.level)} against {level(r.target)})" for r in needed.itertuples()]
        key("business", f"The business depends most on {_names(caps)} ({top} of 5); the gaps that matter most "
                        f"for it are in {_names(gaps)}.")
    if plan is not None and plan.initiatives:
        w = plan.parameters.waves
        now, _ = reaching(plan.projection, 0)
        then, total = reaching(plan.projection, w)
        effort = sum(p.initiative.effort for p in plan.initiatives)
        p = plan.projection
        before, after = p.loc[p["wave"].eq(0), "score"].mean(), p.loc[p["wave"].eq(w), "score"].mean()
        start = p[p["wave"].eq(0)].set_index("subject")["level"]
        end = p[p["wave"].eq(w)].set_index("subject")["level"]
        raised = int((end.reindex(start.index) > start).fillna(False).sum())
        key("roadmap", f"The roadmap's {count(len(plan.initiatives), 'initiative')} ({effort:g} person-weeks over "
                       f"{count(w, 'wave')}, to {plan.waves[-1].end:%d %B %Y}) would raise "
                       f"{count(raised, 'subject')} by at least one level, bring {then} of {total} "
                       f"subjects to their target (today {now}) and lift the mean score from {score(before)} "
                       f"to {score(after)}.")
    over = s[s["over_maturity"].fillna(False).astype(bool)]
    if len(over):
        names = [f"{r.name} (level {level(r.level)}, target {level(r.target)})" for r in over.itertuples()]
        key("over-maturity", f"Effort may be misplaced where practice runs ahead of need: {_names(names)}.")
    return out


# Why a gap the roadmap leaves open stays open, in the client's words (planning/reasons.py's list).
WHY_OPEN = {"unreachable": "no initiative in the library lifts it yet",
            "excluded": "the initiatives that would are excluded",
            "dependency": "its work waits for other initiatives first",
            "capacity": "more person-weeks a wave would reach it",
            "horizon": "more waves would reach it"}


def _recommendations(fw: Framework, scores: Scores, plan, top: int = 5) -> list[Message]:
    s = scores.subjects
    gaps = s[s["gap"].fillna(0) > 0].sort_values(["priority_score", "gap", "id"], ascending=[False, False, True])
    serving: dict[str, list] = {}
    for p in plan.initiatives if plan is not None else ():
        for sub in p.closes:
            serving.setdefault(sub, []).append(p)
    out = []
    for r in gaps.head(top).itertuples():
        work = [p for p in serving.get(r.id, []) if p.wave is not None]
        head = f"Raise {r.name} from level {level(r.level)} to {level(r.target)} ({r.priority} priority)"
        if work:
            first = min(work, key=lambda p: (p.wave, p.initiative.id))
            more = len(work) - 1
            text = (f"{head}: start with {first.initiative.title.lower()[:1]}{first.initiative.title[1:]} in "
                    f"wave {first.wave}" + (f", then {count(more, 'more initiative')}" if more else "") + ".")
        else:
            kinds = [g.kind for g in (plan.open_gaps if plan is not None else ()) if g.subject == r.id]
            why = next((WHY_OPEN[k] for k in WHY_OPEN if k in kinds), "")
            text = (f"{head}: this roadmap starts no work on it{f' ({why})' if why else ''}; "
                    "plan it with its owner.")
        out.append(Message(f"raise-{r.id}", "recommendations", text))
    return out


def _decisions(fw: Framework, eng: EngagementSpec, scores: Scores, plan, findings: list) -> list[Message]:
    s, out = scores.subjects, []
    derived = int(s["target_source"].eq("derived").sum())
    if derived:
        out.append(Message("targets", "decisions", f"Confirm the target levels: {count(derived, 'target')} "
                                                   "follow from the business context the assessment recorded; "
                                                   "agree them or set your own."))
    if plan is not None and plan.initiatives:
        p = plan.parameters
        short = len({g.subject for g in plan.open_gaps if g.kind == "capacity"})
        text = (f"Commit {p.capacity:g} person-weeks a wave for {count(p.waves, 'wave')} of {p.wave_weeks} weeks "
                f"from {p.start:%d %B %Y}")
        text += (f", or more: {count(short, 'subject')} stay below target because the work does not fit." if short
                 else ".")
        out.append(Message("capacity", "decisions", text))
    if findings:
        out.append(Message("operating-model", "decisions", f"Settle {count(len(findings), 'open question')} of "
                                                           "the target operating model (listed in the full "
                                                           "report)."))
    open_ = int(scores.headline.get("disagreements", 0) or 0)
    if open_:
        out.append(Message("disagreements", "decisions", f"Agree in a workshop the "
                                                         f"{count(open_, 'criterion', 'criteria')} on which your "
                                                         "people still disagree."))
    return out


def _next_steps(fw: Framework, scores: Scores, plan) -> list[Message]:
    if plan is None or not plan.initiatives:
        return []
    first = plan.waves[0]
    starting = [p for p in plan.initiatives if p.wave == 1]
    decide = first.start - dt.timedelta(weeks=PREPARE_WEEKS)
    out = [Message("decide", "next steps", f"By {decide:%d %B %Y}: the decisions above, and an owner named for "
                                          "each initiative of wave 1."),
           Message("wave-1", "next steps", f"{first.start:%d %B %Y}: wave 1 starts with "
                                          f"{count(len(starting), 'initiative')} ({first.effort:.1f} person-weeks)."),
           Message("review", "next steps", f"{first.end:%d %B %Y}: review what wave 1 delivered and confirm wave 2.")]
    last = plan.waves[-1].end
    out.append(Message("reassess", "next steps", f"{last:%d %B %Y}: assess again, on the same question bank, to "
                                                 "measure the progress."))
    return out


def _merge(eng: EngagementSpec, out: dict[str, list[Message]]) -> dict[str, list[Message]]:
    """The consultant's messages: replacing a generated one by id, or added to their section."""
    problems = []
    for n, m in enumerate(eng.messages):
        own = Message(m.replaces or f"consultant-{n + 1}", m.section, m.text, consultant=True)
        if m.replaces is None:
            out[m.section].append(own)
            continue
        ids = [x.id for x in out[m.section]]
        if m.replaces not in ids:
            problems.append(Problem(f"{eng.slug}/engagement.yaml", f"messages[{n}].replaces",
                                    f"no generated message {m.replaces!r} in {m.section}; one of "
                                    f"{', '.join(ids) or '(none)'}"))
            continue
        out[m.section][ids.index(m.replaces)] = own
    if problems:
        raise InvalidInput(problems, f"engagement {eng.slug!r}: messages")
    return out
