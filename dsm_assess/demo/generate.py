"""Synthetic engagements with plausible answers, the same for the same seed.

Tests, benchmarks and the demo use these instead of each building their own data. Each subject
gets a hidden "true" maturity; a criterion is more likely achieved the further its level sits
below it; respondents differ by a personal bias and noise, so some disagree.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from pathlib import Path

import numpy as np

from dsm_assess.capture.intake import store_answers
from dsm_assess.core.errors import DsmError
from dsm_assess.engagement.edit import new_engagement, save_engagement
from dsm_assess.engagement.spec import Contact, EngagementSpec, Respondent, engagement_dir
from dsm_assess.framework.model import Framework, load_framework
from dsm_assess.scoring.assessment import Assessment, load_assessment
from dsm_assess.store.answers import Answer
from dsm_assess.store.backend import open_store

PATTERNS = {
    # name: (mean true maturity, spread between subjects)
    "typical": (2.6, 0.7),
    "mature": (3.8, 0.5),
    "struggling": (1.8, 0.4),
    "uneven": (3.0, 1.3),
}
FIRST = ["Alex", "Sam", "Priya", "Tom", "Maria", "Chen", "Fatima", "Jonas", "Aisha", "Liam", "Noor", "Olga"]
LAST = ["Morgan", "Patel", "Nowak", "Okafor", "Jensen", "Garcia", "Kim", "Dubois", "Haddad", "Silva"]
NA_REASONS = [
    "We have no suppliers involved in this area.",
    "All infrastructure is run by the cloud provider under its own terms.",
    "We do not develop software in house.",
    "Out of scope for this business unit.",
]
EVIDENCE = [
    "Procedure document on the intranet", "Monthly service report", "Screens from the ITSM tool",
    "Minutes of the weekly review", "Dashboard in the monitoring tool", "Signed supplier contract",
]
ANSWERS_PER_SUBJECT = 2


def generate_engagement(fw: Framework, slug: str, *, respondents: int = 5, seed: int = 1, pattern: str = "typical",
                        profile: str = "full", client: str | None = None,
                        root: str | Path | None = None) -> EngagementSpec:
    """Create engagement `slug` and fill its store; raises if it already exists."""
    if pattern not in PATTERNS:
        raise DsmError(f"unknown pattern {pattern!r}; one of {', '.join(PATTERNS)}")
    rng = np.random.default_rng(seed)
    subjects = list(fw.subjects)
    eng = new_engagement(fw, slug, client or f"Sample client {seed}", profile, root=root, sector="synthetic",
                         assessment_date=dt.date(2026, 1, 15), deadline=dt.date(2026, 2, 15),
                         contact=Contact(name="Assessment lead", email="lead@example.com"))
    people = []
    for i in range(respondents):
        name = f"{FIRST[(seed + i) % len(FIRST)]} {LAST[(seed * 7 + i) % len(LAST)]}"
        # Respondents are dealt subjects in turn, so that every subject is answered by at least
        # ANSWERS_PER_SUBJECT people and nobody, however many respondents, is left without subjects.
        own = [s.id for j, s in enumerate(subjects) if respondents <= ANSWERS_PER_SUBJECT
               or (j - i) % min(respondents, len(subjects)) < ANSWERS_PER_SUBJECT]
        role = subjects[i % len(subjects)].audiences[0] if subjects[i % len(subjects)].audiences else "IT manager"
        people.append(Respondent(name=name, email=f"{name.lower().replace(' ', '.')}.{i}@example.com",
                                 role=role, subjects=own))
    eng.respondents = people
    # How much this sample business leans on each digital capability, so targets can be derived.
    eng.business_context = {c.id: int(rng.integers(2, 6)) for c in fw.capabilities}
    save_engagement(eng, root)

    mean, spread = PATTERNS[pattern]
    truth = {s.id: float(np.clip(rng.normal(mean, spread), 1.0, 5.5)) for s in subjects}
    bias = rng.normal(0, 0.08, size=respondents)
    by_id = {c.id: c for c in fw.criteria}
    answers = []
    for i, person in enumerate(people):
        for cid in eng.criteria_for(fw, person):
            c = by_id[cid]
            u = rng.random()
            if u < 0.03:
                answers.append(Answer(person.email, cid, "DK"))
                continue
            if u < 0.045:
                reason = NA_REASONS[int(rng.integers(len(NA_REASONS)))]
                answers.append(Answer(person.email, cid, "NA", na_reason=reason))
                continue
            achieved = 1 / (1 + np.exp(-2.2 * (truth[c.subject] - c.level + 0.5)))
            x = achieved + bias[i] + rng.normal(0, 0.15)
            rating = "N" if x < 0.15 else "P" if x < 0.5 else "L" if x < 0.85 else "F"
            evidence = EVIDENCE[int(rng.integers(len(EVIDENCE)))] if rating in "LF" and rng.random() < 0.6 else None
            answers.append(Answer(person.email, cid, rating, confidence=int(rng.integers(2, 6)), evidence=evidence))
    with open_store(engagement_dir(slug, root), slug, create=True) as store:
        store_answers(store, fw, answers, source="generated", source_ref=f"seed={seed}")
    return eng


def sample_assessment(seed: int = 42, respondents: int = 6) -> Assessment:
    """A generated sample engagement, scored; its temporary folder is removed once it is loaded."""
    root = Path(tempfile.mkdtemp(prefix="dsm-sample-"))
    try:
        fw = load_framework()
        generate_engagement(fw, "sample", respondents=respondents, seed=seed, profile="quick-scan",
                            client="Sample client", root=root)
        return load_assessment("sample", root, fw=fw)
    finally:
        shutil.rmtree(root, ignore_errors=True)
