"""The client's own words in the full report: comments, N/A reasons, evidence to find, rationales."""

from __future__ import annotations

import re

from dsm_assess.api import Engagement
from dsm_assess.capture.intake import record_consensus
from dsm_assess.deliver.evidence import subjects_evidence
from dsm_assess.engagement.spec import engagement_dir, engagement_file, load_engagement
from dsm_assess.store.sqlite import open_store


def flat(text: str) -> str:
    """PDF text as one line of words (pdftotext wraps and lays out columns)."""
    return re.sub(r"\s+", " ", text)


def test_the_demos_comments_and_na_reasons_are_in_the_full_report(demo_rendered):
    root, _, _, pages = demo_rendered
    with open_store(engagement_dir("demo", root), "demo") as store:
        answers = store.current_answers()
    text = flat(" ".join(pages["full"]))
    comments = set(answers["comment"].dropna())
    reasons = set(answers["na_reason"].dropna())
    assert len(comments) >= 5 and reasons
    for said in comments | reasons:
        assert flat(f"“{said}”") in text, said


def test_comments_are_attributed_by_role_unless_the_engagement_names_people(demo_rendered, fw):
    root = demo_rendered[0]
    inputs = Engagement("demo", root, framework=fw).gather()
    args = (fw, inputs.engagement, inputs.scores, inputs.evidence, inputs.assessment.consensus)
    assessed, _ = subjects_evidence(*args)
    roles = {f"the {r.role}" for r in inputs.engagement.respondents}
    said = [c for s in assessed for c in s.comments]
    assert said and all(c.who in roles for c in said)
    named = inputs.engagement.model_copy(update={"report": inputs.engagement.report.model_copy(
        update={"name_respondents": True})})
    assessed, _ = subjects_evidence(fw, named, *args[2:])
    people = {f"{r.name} ({r.role})" for r in named.respondents}
    assert all(c.who in people for s in assessed for c in s.comments)


def test_consensus_rationales_open_disagreements_and_dont_knows_are_listed(demo_rendered, fw):
    inputs = Engagement("demo", demo_rendered[0], framework=fw).gather()
    assessed, missing = subjects_evidence(fw, inputs.engagement, inputs.scores, inputs.evidence,
                                          inputs.assessment.consensus)
    assert not missing
    agreed = {c.criterion: c.text for s in assessed for c in s.consensus}
    consensus = inputs.assessment.consensus
    assert agreed == dict(zip(consensus["criterion_id"], consensus["rationale"], strict=True))
    crit = inputs.scores.criteria
    still_open = set(crit.loc[crit["disagreement"] & ~crit["resolved"], "id"])
    assert {d.criterion for s in assessed for d in s.disagreements} == still_open
    dk = inputs.evidence[inputs.evidence["rating"].eq("DK")]
    assert len([t for s in assessed for t in s.to_find]) == len(dk)
    # advice only where not achieved
    advised = {a.criterion for s in assessed for a in s.advice}
    achieved = set(crit.loc[crit["rating"].astype(str).eq("F") | crit["status"].eq("n/a"), "id"])
    assert advised and not advised & achieved
    assert advised == set(crit["id"]) - achieved


def test_subjects_without_enough_answers_are_listed_once_with_why(acme, root, fw):
    eng = load_engagement("acme", root, fw)
    path = engagement_file("acme", root)
    # nobody is asked about change enablement
    text = path.read_text(encoding="utf-8").replace("  subjects: []\n", "  subjects: [PR.INC, PR.SDK]\n")
    path.write_text(text, encoding="utf-8")
    with open_store(engagement_dir("acme", root), "acme") as store:
        for cid in [c for c in eng.criteria_for(fw) if c.startswith("PR.INC.")]:
            record_consensus(fw, eng, store, cid, "P", "Agreed in the workshop.")
        record_consensus(fw, eng, store, next(c for c in eng.criteria_for(fw) if c.startswith("PR.SDK.")), "L",
                         "Agreed in the workshop.")
    inputs = Engagement("acme", root, framework=fw).gather()
    assessed, missing = subjects_evidence(fw, inputs.engagement, inputs.scores, inputs.evidence,
                                          inputs.assessment.consensus)
    assert [s.id for s in assessed] == ["PR.INC"]
    why = {m.id: m.why for m in missing}
    assert len(why) == len(eng.scope) - 1
    assert why["PR.CHG"] == "no respondent was asked about it"
    assert why["PR.SRM"] == "no answers came back"
    sdk = len([c for c in eng.criteria_for(fw) if c.startswith("PR.SDK.")])
    assert why["PR.SDK"] == f"too few answers: 1 of {sdk} criteria rated, and at least 50% are needed to score it"
