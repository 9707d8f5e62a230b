"""The scoring rules as a straightforward per-answer Python loop: the yardstick the vectorised
code is measured against and checked to agree with. It follows docs/methodology.md, sections 2
and 3, computing the same per-criterion and per-subject results as `score_many`."""

from __future__ import annotations

import math
import statistics
from collections import defaultdict

STEP = {"N": 0, "P": 1, "L": 2, "F": 3}
LETTER = "NPLF"
LEVELS = (2, 3, 4, 5)


def loop_score(asked, answers, consensus, meta, credit, min_coverage=0.5, disagreement=2):
    """asked: (engagement, criterion) pairs; answers: (engagement, respondent, criterion, rating,
    evidence, confidence) rows; consensus: {(engagement, criterion): rating};
    meta: {criterion: (subject, level)}. Returns (criteria, subjects):
    criteria {(engagement, criterion): dict}, subjects {(engagement, subject): (level, score, coverage)}."""
    by_criterion = defaultdict(list)
    for eng, _resp, cid, rating, evidence, confidence in answers:
        by_criterion[eng, cid].append((rating, evidence, confidence))

    criteria = {}
    per_level = defaultdict(lambda: {lv: {"applicable": 0, "rated": 0, "floor": math.inf, "earned": 0.0}
                                     for lv in LEVELS})
    for eng, cid in asked:
        given = by_criterion.get((eng, cid), [])
        steps = [STEP[r] for r, _, _ in given if r in STEP]
        confidences = [c for r, _, c in given if r in STEP and c is not None and not math.isnan(c)]
        evidenced = any(r in STEP and isinstance(e, str) and e.strip() for r, e, _ in given)
        na = sum(r == "NA" for r, _, _ in given)
        cons = consensus.get((eng, cid))
        if cons is not None:
            status, step = ("n/a", None) if cons == "NA" else ("no data", None) if cons == "DK" else \
                ("rated", STEP[cons])
        elif steps:
            status, step = "rated", statistics.median_low(steps)
        else:
            status, step = ("n/a" if na else "no data"), None
        spread = max(steps) - min(steps) if steps else None
        criteria[eng, cid] = {
            "answers": len(steps), "na": na, "dk": sum(r == "DK" for r, _, _ in given),
            "rating": "NA" if status == "n/a" else (LETTER[step] if step is not None else None),
            "status": status, "spread": spread,
            "dispersion": statistics.pstdev(steps) if steps else None,
            "mean_confidence": statistics.fmean(confidences) if confidences else None,
            "disagreement": (spread or 0) >= disagreement,
            "unsupported": step is not None and step >= 2 and not evidenced,
        }
        subject, level = meta[cid]
        cell = per_level[eng, subject][level]
        if status == "n/a":
            continue
        cell["applicable"] += 1
        if status == "rated":
            cell["rated"] += 1
            cell["earned"] += credit[step]
            cell["floor"] = min(cell["floor"], step)
        else:
            cell["floor"] = min(cell["floor"], -1)

    subjects = {}
    for key, levels in per_level.items():
        level, score, passed, lower_all_f, applicable, rated = 1, 1.0, True, True, 0, 0
        for lv in LEVELS:
            c = levels[lv]
            vacuous = c["applicable"] == 0
            passed = passed and lower_all_f and (vacuous or c["floor"] >= 2)
            level += passed
            score += 1.0 if vacuous else (c["earned"] / c["rated"] if c["rated"] else 0.0)
            lower_all_f = lower_all_f and (vacuous or c["floor"] >= 3)
            applicable += c["applicable"]
            rated += c["rated"]
        coverage = rated / applicable if applicable else 0.0
        insufficient = applicable == 0 or coverage < min_coverage
        subjects[key] = (None, None, coverage) if insufficient else (level, score, coverage)
    return criteria, subjects
