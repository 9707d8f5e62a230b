"""Presenting the roadmap: the JSON object scripts rely on, CSV files, and the text a consultant reads."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd

from dsm_assess.formats.sheets import csv_safe
from dsm_assess.planning.plan import Roadmap


def roadmap_json(plan: Roadmap) -> dict:
    """The plan as the `roadmap --json` object: waves, initiatives (those starting within the
    plan's waves; `depends_on` lists the ones of the plan each waits for), projection (wave 0
    is the assessment as it stands) and open gaps."""
    in_plan = {p.id for p in plan.initiatives}
    return {
        "waves": [{"index": w.index, "start": w.start.isoformat(), "end": w.end.isoformat(),
                   "capacity": w.capacity, "effort": round(w.effort, 2)} for w in plan.waves],
        "initiatives": [{"id": p.id, "title": p.initiative.title, "wave": p.wave, "start": p.start.isoformat(),
                         "end": p.end.isoformat(), "effort": p.initiative.effort,
                         "depends_on": [d for d in p.initiative.depends_on if d in in_plan],
                         "closes": list(p.closes)} for p in plan.initiatives],
        "projection": [{"wave": int(r.wave), "subject": r.subject, "level": _int(r.level), "score": _round(r.score)}
                       for r in plan.projection.itertuples()],
        "open_gaps": [{"subject": g.subject, "reason": g.reason} for g in plan.open_gaps],
    }


def _int(v) -> int | None:
    return None if v is None or pd.isna(v) else int(v)


def _round(v, digits: int = 4) -> float | None:
    return None if v is None or pd.isna(v) else round(float(v), digits)


def tables(plan: Roadmap) -> dict[str, pd.DataFrame]:
    """The plan as four tables: waves, initiatives (every one selected), projection, open gaps."""
    waves = pd.DataFrame([{"wave": w.index, "start": w.start, "end": w.end, "capacity": w.capacity,
                           "effort": round(w.effort, 2)} for w in plan.waves])
    initiatives = pd.DataFrame([{
        "id": p.id, "title": p.initiative.title, "type": p.initiative.type, "owner": p.initiative.owner,
        "wave": p.wave if p.wave is not None and p.wave <= plan.parameters.waves else None,
        "start": p.start, "end": p.end,
        "effort": p.initiative.effort, "depends_on": ", ".join(p.initiative.depends_on),
        "closes": ", ".join(p.closes), "criteria": ", ".join(p.criteria), "why": p.why(),
        "delivered": p.delivered, "left_out": p.reason or "", "detail": p.detail} for p in plan.planned],
        columns=["id", "title", "type", "owner", "wave", "start", "end", "effort", "depends_on", "closes",
                 "criteria", "why", "delivered", "left_out", "detail"])
    initiatives["wave"] = initiatives["wave"].astype("Int64")
    projection = plan.projection.assign(level=plan.projection["level"].astype("Int64"),
                                        target=plan.projection["target"].astype("Int64"))
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
    by_wave: dict[int, list] = {}
    for item in plan.initiatives:
        by_wave.setdefault(item.wave, []).append(item)
    for w in plan.waves:
        lines.append(f"Wave {w.index}  {w.start} to {w.end}  {w.effort:.1f} of {w.capacity:g} person-weeks")
        for item in by_wave.get(w.index, []):
            i = item.initiative
            late = "" if item.delivered else "  (ends after the last wave)"
            lines.append(f"  {i.id:<20} {i.type:<14} {i.effort:>4g} pw  ends {item.end}{late}  {i.title}")
            lines.append(f"  {'':<20} {item.why()}")
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
