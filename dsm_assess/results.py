"""Presenting scores: JSON for scripts, CSV files, and the text tables a consultant reads."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .scoring import Scores


def records(df: pd.DataFrame) -> list[dict]:
    """Rows as plain dicts with None for missing values and Python scalars (JSON-ready)."""
    out = []
    for row in df.to_dict(orient="records"):
        clean = {}
        for k, v in row.items():
            if isinstance(v, (list, tuple)):
                clean[k] = list(v)
            elif v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
                clean[k] = None
            elif isinstance(v, np.integer):
                clean[k] = int(v)
            elif isinstance(v, (float, np.floating)):
                clean[k] = round(float(v), 4)
            elif isinstance(v, np.bool_):
                clean[k] = bool(v)
            else:
                clean[k] = v
        out.append(clean)
    return out


def scores_json(scores: Scores) -> dict:
    """One engagement's scores as the `score --json` object scripts rely on."""
    return {"headline": scores.headline, **{name: records(getattr(scores, name)) for name in Scores.TABLES}}


def write_csv(scores: Scores, out_dir: Path, prefix: str) -> list[Path]:
    """Each table to `<out_dir>/<prefix>-<table>.csv`; returns the paths written."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in Scores.TABLES:
        path = out_dir / f"{prefix}-{name}.csv"
        df = getattr(scores, name).copy()
        for col in df.columns:
            if df[col].map(lambda v: isinstance(v, list)).any():
                df[col] = df[col].map(lambda v: ", ".join(v) if isinstance(v, list) else v)
        df.to_csv(path, index=False)
        paths.append(path)
    return paths


def headline_table(scores: Scores) -> str:
    """The subjects table a consultant reads first: level, score, target, gap, priority."""
    lines = [f"{'subject':<10} {'name':<36} {'level':>5} {'score':>5} {'target':>6} {'gap':>4}  priority"]
    for r in scores.subjects.itertuples():
        level = "-" if pd.isna(r.level) else str(r.level)
        score = "  n/d" if pd.isna(r.score) else f"{r.score:5.2f}"
        target = "-" if pd.isna(r.target) else str(r.target)
        gap = "-" if pd.isna(r.gap) else f"{r.gap:+d}" if r.gap else "0"
        flag = " (over target)" if r.over_maturity else " (insufficient data)" if r.insufficient else ""
        lines.append(f"{r.id:<10} {r.name[:36]:<36} {level:>5} {score} {target:>6} {gap:>4}  "
                     f"{r.priority or '-'}{flag}")
    h = scores.headline
    lines.append("")
    lines.append(f"{h['scored']} of {h['subjects']} subjects scored, mean score {h['score']}, median level "
                 f"{h['median_level']}; {h['below_target']} below target, {h['on_target']} on target, "
                 f"{h['over_maturity']} over target; priorities: "
                 + ", ".join(f"{n} {b}" for b, n in h["priorities"].items()))
    return "\n".join(lines)


def trend_table(trend: pd.DataFrame, earlier: str) -> str:
    """Score change per subject against an earlier assessment, and the criteria added or dropped."""
    lines = [f"trend against {earlier}:"]
    for r in trend.itertuples():
        change = "-" if pd.isna(r.score_change) else f"{r.score_change:+.2f}"
        lines.append(f"  {r.id:<10} score {change:>6}")
    for what in ("added", "dropped"):
        ids = trend.attrs[f"criteria_{what}"]
        if ids:
            lines.append(f"  criteria {what} since {earlier}: {len(ids)} ({', '.join(ids[:10])}"
                         + (", ..." if len(ids) > 10 else "") + ")")
    return "\n".join(lines)
