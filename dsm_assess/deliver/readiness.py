"""Is a document ready to leave? What a partner checks before a report goes to the client.

`readiness()` lists what stands in the way, each as a `Check` with a kind (for --json) and one
line of text: no answers at all, too few subjects scored for the engagement's threshold
(`report: min_coverage`), scope subjects no respondent is asked, open operating-model findings,
open disagreements, and a what-if scenario in the scores. `report`, `batch` and `status` print
the same list; a report with no answers is refused unless it is a draft.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

from dsm_assess.core.errors import DsmError
from dsm_assess.framework.model import Framework
from dsm_assess.scoring.assessment import Assessment

KINDS = ("no-answers", "coverage", "no-respondent", "tom-findings", "disagreements", "what-if")


@dataclass(frozen=True)
class Check:
    """One reason a document is not ready to leave: `kind` is one of KINDS."""

    kind: str
    message: str

    def as_dict(self) -> dict:
        return asdict(self)


def _plural(n: int, one: str, many: str | None = None) -> str:
    return f"{n} {one if n == 1 else (many or one + 's')}"


def readiness(assessment: Assessment, findings: list | None = None, scenario: str | None = None) -> list[Check]:
    """What stands between this assessment and a document a client may read, in KINDS order
    (empty: ready). `findings` are the operating model's open design findings; `scenario` names
    the what-if applied to the scores, if any."""
    eng, fw, s = assessment.engagement, assessment.framework, assessment.scores
    out: list[Check] = []
    if not has_answers(assessment):
        out.append(Check("no-answers", f"{eng.client} has no answers yet: every score would be empty"))
    else:
        scored, total = int((~s.subjects["insufficient"]).sum()), len(s.subjects)
        share = scored / total if total else 0.0
        if share < eng.report.min_coverage:
            out.append(Check("coverage", f"only {scored} of {total} subjects have enough answers to score "
                                         f"({share:.0%}; the engagement asks for {eng.report.min_coverage:.0%})"))
    asked = {sub for r in eng.respondents for sub in eng.subjects_of(r)}
    nobody = [sub for sub in eng.scope if sub not in asked]
    if nobody:
        names = ", ".join(fw.get(sub).name for sub in nobody)
        out.append(Check("no-respondent", f"{_plural(len(nobody), 'subject')} of the scope "
                                          f"{'has' if len(nobody) == 1 else 'have'} no respondent: {names}"))
    if findings:
        out.append(Check("tom-findings", f"the target operating model has {_plural(len(findings), 'open finding')} "
                                         "(tom check)"))
    open_ = int(s.headline.get("disagreements", 0) or 0)
    if open_:
        out.append(Check("disagreements", f"respondents disagree on {_plural(open_, 'criterion', 'criteria')} "
                                          "that no workshop has settled"))
    if assessment.what_if is not None:
        out.append(Check("what-if", f"the scores include a what-if scenario ({scenario or 'unnamed'}), not only "
                                    "the answers given"))
    return out


def has_answers(assessment: Assessment) -> bool:
    """Whether anything was answered or agreed (a what-if alone is not an answer)."""
    return len(assessment.answers) > 0 or len(assessment.consensus) > 0


def refuse_if_empty(assessment: Assessment, draft: bool) -> None:
    """Raise the user's mistake of sending a report with no answers, unless it is a draft."""
    if not draft and not has_answers(assessment):
        slug = assessment.engagement.slug
        raise DsmError(f"engagement {slug!r} has no answers yet, so its report would be empty: import the returned "
                       f"questionnaires first (or write a marked draft with --draft)")


def check_engagement(slug: str, root: str | Path | None = None, fw: Framework | None = None) -> list[Check]:
    """`readiness()` of an engagement as stored: scored, and its operating model checked."""
    from dsm_assess.scoring.assessment import load_assessment
    a = load_assessment(slug, root, fw=fw)
    findings = []
    if a.engagement.tom:
        from dsm_assess.planning.tom import check, load_tom, targets_of
        try:
            tom, doc = load_tom(a.framework, a.engagement, root)
        except DsmError as err:  # readiness reports a design that does not validate; it does not stop
            out = readiness(a, [])
            problems = getattr(err, "problems", None) or [err]
            out.insert(_at(out, "tom-findings"), Check("tom-findings", "the target operating model does not "
                                                                       f"validate: {problems[0]} (tom check)"))
            return out
        findings = check(a.framework, tom, doc, targets_of(a.scores.subjects))
    return readiness(a, findings)


def _at(checks: list[Check], kind: str) -> int:
    """Where a check of `kind` goes to keep KINDS order."""
    rank = KINDS.index(kind)
    return next((i for i, c in enumerate(checks) if KINDS.index(c.kind) > rank), len(checks))


def marking(draft: bool, scenario: str | None) -> str:
    """The line every page of a document carries when it is not final ("" when it is)."""
    parts = (["Draft"] if draft else []) + ([f"Scenario: {scenario}"] if scenario else [])
    return " · ".join(parts)
