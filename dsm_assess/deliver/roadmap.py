"""Presenting the roadmap: the JSON object scripts rely on, CSV files, and the text a consultant reads."""

from __future__ import annotations

import math
from pathlib import Path

from dsm_assess.core.frames import pd
from dsm_assess.formats.sheets import csv_safe
from dsm_assess.planning.plan import Roadmap
from dsm_assess.planning.value import plan_value


def roadmap_json(plan: Roadmap) -> dict:
    """The plan as the `roadmap --json` object: waves, initiatives (those starting within the
    plan's waves; `effort` and `duration` sized for the client, `basis`, `reference_effort` and
    `reference_duration` what they were sized from; `subjects` every subject whose criteria it
    achieves; `depends_on` lists the ones of the plan each waits for, `serves` the gaps it serves
    with their priority, `waits_for` what it waits for), projection (wave 0 is the assessment as
    it stands), open gaps (with `kind`, `initiatives`, `criteria`, `waits_for`), `value`: what the
    plan buys (see `value_json`), and `size`: each size driver's figure, the reference's, and
    whether engagement.yaml gave it."""
    in_plan = {p.id for p in plan.initiatives}
    return {
        "waves": [{"index": w.index, "start": w.start.isoformat(), "end": w.end.isoformat(),
                   "capacity": w.capacity, "effort": round(w.effort, 2),
                   "unused": round(max(0.0, w.capacity - w.effort), 2)} for w in plan.waves],
        "initiatives": [{"id": p.id, "title": p.initiative.title, "wave": p.wave, "start": p.start.isoformat(),
                         "end": p.end.isoformat(), "effort": p.initiative.effort,
                         "depends_on": [d for d in p.initiative.depends_on if d in in_plan],
                         "closes": list(p.closes), "serves": _serves(plan, p),
                         "waits_for": [d for d in p.initiative.depends_on if d in in_plan],
                         "needed_by": list(p.needed_by), "pinned": p.pinned, "delivered": p.delivered,
                         **_estimate_json(plan, p)}
                        for p in plan.initiatives],
        "projection": [{"wave": int(r.wave), "subject": r.subject, "level": _int(r.level), "score": _round(r.score)}
                       for r in plan.projection.itertuples()],
        "open_gaps": [{"subject": g.subject, "reason": g.reason, "kind": g.kind, "initiatives": list(g.initiatives),
                       "criteria": list(g.criteria), "waits_for": list(g.waits_for)} for g in plan.open_gaps],
        "value": value_json(plan),
        "size": size_json(plan),
    }


def _estimate_json(plan: Roadmap, p) -> dict:
    """What an initiative's effort was sized from, and the subjects it serves (new keys only)."""
    e = plan.sizing.estimates.get(p.id) if plan.sizing else None
    i = p.initiative
    return {"duration": i.duration, "basis": i.basis,
            "reference_effort": e.reference_effort if e else i.effort,
            "reference_duration": e.reference_duration if e else i.duration, "subjects": list(i.subjects)}


def size_json(plan: Roadmap) -> dict:
    """Each size driver: the figure the plan was sized for, the reference organisation's, and
    whether engagement.yaml gave it (else the reference figure was used)."""
    s = plan.sizing
    if s is None:
        return {}
    return {d: {"value": v, "reference": s.reference.get(d), "given": d in s.given} for d, v in s.figures.items()}


def _serves(plan: Roadmap, p) -> list[dict]:
    """The gaps an initiative serves: subject, its priority (band and score), the criteria."""
    out: dict[str, dict] = {}
    for cid in p.criteria:
        sid = cid.rsplit(".", 2)[0]
        g = plan.gates.get(sid)
        item = out.setdefault(sid, {"subject": sid, "priority": _round(g.priority if g else None, 2),
                                    "target": g.target if g else None, "criteria": []})
        item["criteria"].append(cid)
    return list(out.values())


def value_json(plan: Roadmap) -> dict:
    """What the plan buys: `weighted` (priority-weighted levels gained up to target, what the
    planner maximises), `levels_gained` per subject (`subject`, `from`, `to`, `target`), the
    subjects `brought_to_target`, `criteria_achieved`, `mean_score` before and after, person-weeks
    `used` and `unused` per wave, the planner's `method` and `status`, and `next_horizon` (for
    each further wave, the initiatives that would start and the subjects that would rise)."""
    v = plan_value(plan)
    return {
        "weighted": v.weighted, "levels_gained": [{"subject": g.subject, "from": g.before, "to": g.after,
                                                   "target": g.target} for g in v.gains],
        "subjects_raised": len(v.gains), "brought_to_target": v.brought_to_target,
        "at_target": {"before": v.at_target_before, "after": v.at_target_after, "of": v.with_target},
        "criteria_achieved": v.criteria_achieved,
        "mean_score": {"before": _round(v.mean_before), "after": _round(v.mean_after)},
        "used": v.used, "unused": v.unused, "method": plan.method, "status": plan.status,
        "next_horizon": [{"wave": h["wave"], "initiatives": h["initiatives"],
                          "levels": [{"subject": sid, "from": a, "to": b} for sid, (a, b) in h["levels"].items()]}
                         for h in plan.next_horizon],
    }


def roadmap_story(plan: Roadmap, names: dict[str, str] | None = None) -> list[str]:
    """What the plan buys, in the sentences a client reads (the CLI summary, the report and the
    demo use them): the work and its dates, the levels gained and the subjects brought to target,
    the criteria and the mean score, the capacity used and left, and what further waves would buy.
    `names` gives subjects their names (ids otherwise)."""
    def name(sid: str) -> str:
        return (names or {}).get(sid, sid)

    p = plan.parameters
    v = plan_value(plan)
    work = plan.initiatives
    if not work:
        return [f"The roadmap plans nothing: no initiative of the library lifts a subject below target within "
                f"{p.waves} wave{'s' if p.waves != 1 else ''}."]
    effort = sum(x.initiative.effort for x in work)
    out = [f"The roadmap schedules {len(work)} initiatives ({effort:g} person-weeks) in {p.waves} waves from "
           f"{plan.waves[0].start:%d %B %Y} to {plan.waves[-1].end:%d %B %Y}."]
    if v.gains:
        raised = ", ".join(f"{name(g.subject)} {g.before} to {g.after}" for g in v.gains)
        out.append(f"It raises {len(v.gains)} subject{'s' if len(v.gains) != 1 else ''} by a level or more "
                   f"({v.levels_gained} levels in all): {raised}.")
    else:
        out.append("It raises no subject by a level within the plan.")
    brought = _and([name(s) for s in v.brought_to_target])
    out.append(f"By then {v.at_target_after} of the {v.with_target} subjects with a target would reach it "
               f"(today {v.at_target_before})" + (f": it brings {brought} to target." if brought else "."))
    out.append(f"It achieves {v.criteria_achieved} criteria not achieved today, and the mean score would rise from "
               f"{v.mean_before:.1f} to {v.mean_after:.1f}.")
    used = ", ".join(f"{u:g}" for u in v.used)
    out.append(f"Person-weeks used per wave: {used} of {p.capacity:g}"
               + (f" ({sum(v.unused):g} left unused in all)." if sum(v.unused) > 0.005 else " (all used)."))
    further = [(h["wave"], h["levels"]) for h in plan.next_horizon if h["levels"]]
    if further:
        out.append(f"{_count(len(plan.next_horizon))} more waves would buy: " + "; ".join(
            f"by wave {k} " + ", ".join(f"{name(s)} {a} to {b}" for s, (a, b) in levels.items())
            for k, levels in further) + ".")
    elif plan.next_horizon:
        out.append(f"{_count(len(plan.next_horizon))} more waves would buy no further level with the work in the "
                   "library.")
    return out


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1] if items else ""


def _count(n: int) -> str:
    return {1: "One", 2: "Two", 3: "Three"}.get(n, str(n))


def _int(v) -> int | None:
    return None if v is None or pd.isna(v) else int(v)


def _round(v, digits: int = 4) -> float | None:
    return None if v is None or pd.isna(v) else round(float(v), digits)


def tables(plan: Roadmap) -> dict[str, pd.DataFrame]:
    """The plan as four tables: waves, initiatives (every one selected), projection, open gaps."""
    in_plan = {p.id for p in plan.planned}
    waves = pd.DataFrame([{"wave": w.index, "start": w.start, "end": w.end, "capacity": w.capacity,
                           "effort": round(w.effort, 2)} for w in plan.waves])
    estimates = plan.sizing.estimates if plan.sizing else {}
    initiatives = pd.DataFrame([{
        "id": p.id, "title": p.initiative.title, "type": p.initiative.type, "owner": p.initiative.owner,
        "wave": p.wave if p.wave is not None and p.wave <= plan.parameters.waves else None,
        "start": p.start, "end": p.end,
        "effort": p.initiative.effort, "depends_on": ", ".join(p.initiative.depends_on),
        "waits_for": ", ".join(d for d in p.initiative.depends_on if d in in_plan),
        "closes": ", ".join(p.closes), "criteria": ", ".join(p.criteria), "why": p.why(),
        "delivered": p.delivered, "left_out": p.reason or "", "detail": p.detail,
        "duration": p.initiative.duration, "basis": p.initiative.basis,
        "basis_of_estimate": estimates[p.id].describe() if p.id in estimates else p.initiative.basis,
        "subjects": ", ".join(p.initiative.subjects)} for p in plan.planned],
        columns=["id", "title", "type", "owner", "wave", "start", "end", "effort", "depends_on", "waits_for", "closes",
                 "criteria", "why", "delivered", "left_out", "detail", "duration", "basis", "basis_of_estimate",
                 "subjects"])
    initiatives["wave"] = initiatives["wave"].astype("Int64")
    projection = plan.projection.assign(**{c: plan.projection[c].astype("Int64") for c in ("level", "target", "gap")})
    gaps = pd.DataFrame([{"subject": g.subject, "reason": g.kind, "detail": g.detail,
                          "initiatives": ", ".join(g.initiatives), "criteria": ", ".join(g.criteria)}
                         for g in plan.open_gaps], columns=["subject", "reason", "detail", "initiatives", "criteria"])
    return {"waves": waves, "initiatives": initiatives, "projection": projection, "open-gaps": gaps}


def write_roadmap_csv(plan: Roadmap, out_dir: Path, prefix: str) -> list[Path]:
    """Each table to `<out_dir>/<prefix>-roadmap-<table>.csv`; returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, df in tables(plan).items():
        path = out_dir / f"{prefix}-roadmap-{name}.csv"
        csv_safe(df).to_csv(path, index=False)
        paths.append(path)
    return paths


def roadmap_table(plan: Roadmap, title: str) -> str:
    """The plan as a consultant reads it: each wave's initiatives and why, the projected level
    (score) per subject after each wave, and the gaps left open."""
    p = plan.parameters
    lines = [f"Roadmap for {title}: {p.waves} waves of {p.wave_weeks} weeks from {p.start}, "
             f"{p.capacity:g} person-weeks a wave", ""]
    lines += [*roadmap_story(plan)]
    if plan.sizing is not None and plan.initiatives:
        lines.append(plan.sizing.sentence([x.id for x in plan.initiatives]))
    lines.append("")
    by_wave: dict[int, list] = {}
    for item in plan.initiatives:
        by_wave.setdefault(item.wave, []).append(item)
    for w in plan.waves:
        lines.append(f"Wave {w.index}  {w.start} to {w.end}  {w.effort:.1f} of {w.capacity:g} person-weeks")
        for item in by_wave.get(w.index, []):
            i = item.initiative
            late = "" if item.delivered else "  (ends after the last wave)"
            lines.append(f"  {i.id:<20} {i.type:<14} {i.effort:>4g} pw  ends {item.end}{late}  {i.title}")
            sized = "" if i.basis == "fixed" else f"; sized {i.basis.replace('-', ' ')}"
            lines.append(f"  {'':<20} {item.why()}{sized}")
        if not by_wave.get(w.index):
            lines.append("  (nothing starts in this wave)")
    left = [x for x in plan.planned if x.wave is None or x.wave > p.waves]
    if left:
        counts = pd.Series([x.reason for x in left]).value_counts()
        lines.append("")
        lines.append(f"Not started within the plan: {len(left)} initiatives ("
                     + ", ".join(f"{n} {k}" for k, n in counts.items()) + ")")
    lines += ["", "Projected level (score) per subject after each wave:", _projection(plan)]
    subjects = list(dict.fromkeys(g.subject for g in plan.open_gaps))
    lines.append("")
    if subjects:
        lines.append(f"Open gaps after wave {p.waves}: {len(subjects)} subjects below target")
        for g in plan.open_gaps:
            lines.append(f"  {g.subject:<10} {g.reason}")
    else:
        lines.append(f"No open gaps: every subject reaches its target by wave {p.waves}.")
    return "\n".join(lines)


def _projection(plan: Roadmap) -> str:
    waves = range(plan.parameters.waves + 1)
    head = f"  {'subject':<10} {'target':>6}  " + "  ".join(f"{'now' if k == 0 else f'wave {k}':>10}" for k in waves)
    rows = [head]
    for subject, grp in plan.projection.groupby("subject", sort=False):
        cells = []
        for r in grp.sort_values("wave").itertuples():
            cells.append(f"{'-':>10}" if pd.isna(r.level) else f"{int(r.level)} ({r.score:4.2f})".rjust(10))
        target = grp["target"].iloc[0]
        rows.append(f"  {subject:<10} {'-' if math.isnan(target) else int(target):>6}  " + "  ".join(cells))
    return "\n".join(rows)
