"""The scoring rules as straightforward per-answer Python loops: the yardsticks the vectorised code
is measured against and checked to agree with. Both follow docs/methodology.md.

- `loop_score`: the per-criterion and per-subject rules written with the `statistics` module,
  as a first implementation would be (exact fractions make it slow).
- `lean_score`: the same rules with plain float arithmetic, and every view the kit reports
  (targets, gaps, priorities, groups, value chain, areas, dimensions, headline): the honest
  baseline the speed-up is quoted against.
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict

STEP = {"N": 0, "P": 1, "L": 2, "F": 3}
LETTER = "NPLF"
LEVELS = (2, 3, 4, 5)
TARGET_FOR_DEMAND = {1: 2, 2: 2, 3: 3, 4: 4, 5: 4}
WEIGHT = {"high": 2, "medium": 1, "none": 0}


def _criteria(asked, answers, consensus, stdev):
    """Per (engagement, criterion): the aggregate rating, counts, spread and flags."""
    by_criterion = defaultdict(list)
    for eng, _resp, cid, rating, evidence, confidence in answers:
        by_criterion[eng, cid].append((rating, evidence, confidence))
    out = {}
    for eng, cid in asked:
        given = by_criterion.get((eng, cid), [])
        steps = [STEP[r] for r, _, _ in given if r in STEP]
        confidences = [c for r, _, c in given if r in STEP and c is not None and not math.isnan(c)]
        evidenced = any(r in STEP and e for r, e, _ in given)
        na = sum(r == "NA" for r, _, _ in given)
        cons = consensus.get((eng, cid))
        if cons is not None:
            status, step = ("n/a", None) if cons == "NA" else ("no data", None) if cons == "DK" else \
                ("rated", STEP[cons])
        elif steps:
            status, step = "rated", sorted(steps)[(len(steps) - 1) // 2]
        else:  # N/A must be agreed: nobody rated it and nobody said they don't know
            dk = sum(r == "DK" for r, _, _ in given)
            status, step = ("n/a" if na and not dk else "no data"), None
        spread = max(steps) - min(steps) if steps else None
        out[eng, cid] = {
            "answers": len(steps), "na": na, "dk": sum(r == "DK" for r, _, _ in given),
            "rating": "NA" if status == "n/a" else (LETTER[step] if step is not None else None),
            "status": status, "step": step, "spread": spread,
            "dispersion": stdev(steps) if steps else None,
            "mean_confidence": sum(confidences) / len(confidences) if confidences else None,
            "disagreement": (spread or 0) >= 2,
            "unsupported": step is not None and step >= 2 and not evidenced,
        }
    return out


def _level_view(cells, credit, min_coverage=0.5):
    """cells: {group: {level: list of criterion results}} -> {group: (level, score, coverage,
    gate reach, levels without applicable criteria)} under methodology 2.1: no data earns 0; a
    level with no applicable criteria is passed through, never claimed, and carries the credit of
    the nearest assessed level below it (level 1 counting as 1.0; nothing with none above); no
    applicable level-2 criterion is insufficient data; a level with under half its criteria
    answered is unknown and stops the gate."""
    out = {}
    for key, levels in cells.items():
        crits = {lv: [c for c in levels.get(lv, []) if c["status"] != "n/a"] for lv in LEVELS}
        mean = {lv: sum(credit[c["step"]] for c in cs if c["step"] is not None) / len(cs)
                for lv, cs in crits.items() if cs}
        score, level, reach, passed, lower_all_f, applicable, rated = 1.0, 1, 1, True, True, 0, 0
        carried = 1.0
        for i, lv in enumerate(LEVELS):
            cs = crits[lv]
            if cs:
                score += mean[lv]
                carried = mean[lv]
            elif any(x in mean for x in LEVELS[i + 1:]):
                score += carried
            with_data = [c for c in cs if c["step"] is not None]
            floor = min((c["step"] if c["step"] is not None else -1 for c in cs), default=math.inf)
            unknown = bool(cs) and len(with_data) < min_coverage * len(cs)
            passed = passed and lower_all_f and (not cs or (not unknown and floor >= 2))
            if passed:
                reach = lv
                if cs:
                    level = lv
            lower_all_f = lower_all_f and (not cs or floor >= 3)
            applicable += len(cs)
            rated += len(with_data)
        coverage = rated / applicable if applicable else None
        na = [lv for lv in LEVELS if not crits[lv]]
        if applicable == 0 or coverage < min_coverage or LEVELS[0] in na:
            out[key] = (None, None, coverage, None, na)
        else:
            out[key] = (level, score, coverage, reach, na)
    return out


def loop_score(asked, answers, consensus, meta, credit):
    """The first implementation: per criterion and per subject, with `statistics.pstdev`."""
    criteria = _criteria(asked, answers, consensus, statistics.pstdev)
    cells = defaultdict(lambda: defaultdict(list))
    for (eng, cid), c in criteria.items():
        subject, level = meta[cid]
        cells[eng, subject][level].append(c)
    return criteria, _level_view(cells, credit)


def _pstdev(steps):
    mean = sum(steps) / len(steps)
    return max(sum(s * s for s in steps) / len(steps) - mean * mean, 0.0) ** 0.5


def lean_score(fw, engagements, asked, answers, consensus, credit):
    """Every view for every engagement, in plain Python; returns a dict of views keyed by engagement."""
    criteria = _criteria(asked, answers, consensus, _pstdev)
    meta = {c.id: c for c in fw.criteria}
    kind = {s.id: s.kind for s in fw.subjects}
    group = {p.id: p.group for p in fw.practices}
    by_subject, by_area, by_dim = (defaultdict(lambda: defaultdict(list)) for _ in range(3))
    for (eng, cid), c in criteria.items():
        m = meta[cid]
        by_subject[eng, m.subject][m.level].append(c)
        by_dim[eng, m.dimension][m.level].append(c)
        if kind[m.subject] == "area":
            by_area[eng, m.subject][m.level].append(c)
        else:
            for a in m.informs:
                by_area[eng, a][m.level].append(c)
    subjects, areas, dims = (_level_view(x, credit) for x in (by_subject, by_area, by_dim))

    views = {}
    for eng in engagements:
        context = eng.business_context
        demand = {}
        if context:
            default = math.floor(statistics.median(context.values()))
            for cap in fw.capabilities:
                if cap.id in context:
                    for s in (*cap.practices, *cap.areas):
                        demand[s] = max(demand.get(s, 0), context[cap.id])
            demand = {s.id: demand.get(s.id, default) for s in fw.subjects}
        rows = {}
        for s in fw.subjects:
            level, score, coverage, reach, na = subjects.get((eng.slug, s.id), (None, None, None, None, []))
            d = demand.get(s.id)
            target = eng.targets[s.id].level if s.id in eng.targets else TARGET_FOR_DEMAND.get(d) if d else None
            gap = target - level if target is not None and level is not None else None
            if gap is not None and gap > 0 and target in na and reach >= target:
                gap = 0  # a target on a level without applicable criteria, reached through the levels below
            weight = (d if d else 3) / 5
            priority = ((1 + gap) ** 2 - 1) * weight if gap and gap > 0 else None
            rows[s.id] = {"level": level, "score": score, "coverage": coverage, "target": target, "gap": gap,
                          "priority_score": priority, "over": gap is not None and gap <= -1}
        groups = defaultdict(list)
        for sid, r in rows.items():
            groups[group.get(sid, "DSM area")].append(r)
        group_scores = {g: _mean([r["score"] for r in rs]) for g, rs in groups.items()}
        value_chain = {}
        for act in fw.activities:
            num = den = 0.0
            for p in fw.practices:
                w, sc = WEIGHT[p.value_chain[act.id]], rows[p.id]["score"]
                if sc is not None:
                    num, den = num + w * sc, den + w
            value_chain[act.id] = num / den if den else None
        scored = [r for r in rows.values() if r["score"] is not None]
        targeted = [r for r in scored if r["target"] is not None]
        views[eng.slug] = {
            "subjects": rows, "groups": group_scores, "value_chain": value_chain,
            "areas": {a.id: areas.get((eng.slug, a.id), (None, None))[:2] for a in fw.areas},
            "dimensions": {d.id: dims.get((eng.slug, d.id), (None, None))[1] for d in fw.dimensions},
            "headline": {"scored": len(scored), "score": _mean([r["score"] for r in scored]),
                         "on_target": sum(r["gap"] == 0 for r in targeted),
                         "below_target": sum(r["gap"] > 0 for r in targeted),
                         "over_maturity": sum(r["gap"] < 0 for r in targeted)},
        }
    return criteria, views


def _mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None
