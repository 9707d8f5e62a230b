"""Presenting scores: JSON for scripts, CSV files, and the text tables a consultant reads."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np

from dsm_assess.core.frames import pd
from dsm_assess.core.present import band, gap, level, notes, score, text
from dsm_assess.formats.sheets import csv_safe
from dsm_assess.scoring.rules import METHODOLOGY_VERSION, PREVIOUS_METHODOLOGY, Scores

# What a what-if shows per subject, before and after.
WHAT_IF_COLUMNS = ("level", "score", "target", "gap", "priority")


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


def with_before(scores: Scores, before: Scores) -> pd.DataFrame:
    """The subjects table of a what-if with, per subject, `<column>_before` for level, score,
    target, gap and priority, and `changed` (any of them differs)."""
    changes = what_if_changes(before, scores, everything=True).set_index("id")
    subjects = scores.subjects
    extra = {f"{c}_before": subjects["id"].map(changes[f"{c}_before"]) for c in WHAT_IF_COLUMNS}
    extra["level_before"] = extra["level_before"].astype("Int64")
    extra["target_before"] = extra["target_before"].astype("Int64")
    extra["gap_before"] = extra["gap_before"].astype("Int64")
    return subjects.assign(**extra, changed=subjects["id"].map(changes["changed"]).fillna(False).astype(bool))


def scores_json(scores: Scores, what_if: dict | None = None, before: Scores | None = None) -> dict:
    """One engagement's scores as the `score --json` object scripts rely on. With a what-if,
    `what_if` holds the changes and each subject carries level, score, target, gap and priority
    before the change (`level_before`, ...) and whether any of them changed (`changed`)."""
    out = {"methodology_version": METHODOLOGY_VERSION}
    if what_if is not None:
        out["what_if"] = what_if
    subjects = scores.subjects if before is None else with_before(scores, before)
    return {**out, "headline": scores.headline,
            **{name: records(subjects if name == "subjects" else getattr(scores, name)) for name in Scores.TABLES}}


def short(text: str, width: int) -> str:
    """`text` in at most `width` characters, cut at a word with an ellipsis: never mid-word."""
    return textwrap.shorten(text, width, placeholder=" …")


def write_csv(scores: Scores, out_dir: Path, prefix: str, what_if: str | None = None,
              before: Scores | None = None) -> list[Path]:
    """Each table to `<out_dir>/<prefix>-<table>.csv`; returns the paths written. A what-if's
    files carry its name in a `what_if` column of every table, and the subjects table the values
    before it (see `with_before`), so a renamed file still says what it is."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in Scores.TABLES:
        path = out_dir / f"{prefix}-{name}.csv"
        df = with_before(scores, before) if name == "subjects" and before is not None else getattr(scores, name)
        df = df.assign(methodology_version=METHODOLOGY_VERSION)
        if what_if is not None:
            df.insert(0, "what_if", what_if)
        for col in df.columns:
            if df[col].map(lambda v: isinstance(v, list)).any():
                df[col] = df[col].map(lambda v: ", ".join(map(str, v)) if isinstance(v, list) else v)
        csv_safe(df).to_csv(path, index=False)
        paths.append(path)
    return paths


def headline_table(scores: Scores, title: str = "") -> str:
    """The subjects table a consultant reads first: level, score (with its don't-know band),
    target, gap, priority, and the notes on each subject."""
    lines = [title] if title else []
    lines.append(f"{'subject':<10} {'name':<36} {'level':>5} {'score':>5} {'dk band':>11} {'target':>6} {'gap':>4}"
                 "  priority")
    for r in scores.subjects.itertuples():
        flag = "".join(f" ({n})" for n in notes(r))
        lines.append(f"{r.id:<10} {short(r.name, 36):<36} {level(r.level):>5} {score(r.score, 2):>5} "
                     f"{band(r.score_low, r.score_high, 2):>11} {level(r.target):>6} "
                     f"{gap(r.gap):>4}  {r.priority or '-'}{flag}")
    h = scores.headline
    lines.append("")
    lines.append(f"{h['scored']} of {h['subjects']} subjects scored, mean score {h['score']}, median level "
                 f"{level(h['median_level'])}; {h['below_target']} below target, {h['on_target']} on target, "
                 f"{h['over_target']} over target; {h['bridged']} bridged; priorities: "
                 + ", ".join(f"{n} {b}" for b, n in h["priorities"].items())
                 + f"; {h['disagreements']} open disagreements ({h['resolved_disagreements']} settled)")
    lines.append(f"methodology {METHODOLOGY_VERSION} (docs/methodology.md)")
    return "\n".join(lines)


def what_if_changes(before: Scores, after: Scores, everything: bool = False) -> pd.DataFrame:
    """Per subject, before and after a what-if: level, score, target, gap and priority; only the
    subjects where any of them changed unless `everything`."""
    cols = ["id", "name", *WHAT_IF_COLUMNS]
    merged = before.subjects[cols].merge(after.subjects[cols], on=["id", "name"], suffixes=("_before", ""))

    def differs(col: str) -> pd.Series:
        a, b = merged[f"{col}_before"], merged[col]
        both_missing = a.isna() & b.isna()
        if col == "score":
            return ~both_missing & ((a - b).abs().fillna(1) > 1e-9)
        return ~both_missing & (a.astype(object) != b.astype(object))

    merged["changed"] = pd.concat([differs(c) for c in WHAT_IF_COLUMNS], axis=1).any(axis=1)
    return merged if everything else merged[merged["changed"]].reset_index(drop=True)


def what_if_table(changes: pd.DataFrame, what_if: dict) -> str:
    """The what-if as a consultant reads it: what was tried, then before -> after per subject."""
    tried = "; ".join(f"{k}: {', '.join(map(str, v))}" for k, v in what_if.items()) or "no changes"
    lines = [f"WHAT-IF (nothing stored): {tried}"]
    if changes.empty:
        lines.append("no subject changes")
        return "\n".join(lines)
    lines.append(f"{'subject':<10} {'level':>8} {'score':>12} {'target':>8} {'gap':>9}  priority")

    for r in changes.to_dict(orient="records"):
        arrow = {col: f"{fmt(r[f'{col}_before'])} -> {fmt(r[col])}" for col, fmt in (
            ("level", level), ("score", lambda v: score(v, 2)), ("target", level), ("gap", gap),
            ("priority", text))}
        lines.append(f"{r['id']:<10} {arrow['level']:>8} {arrow['score']:>12} {arrow['target']:>8} {arrow['gap']:>9}  "
                     f"{arrow['priority']}")
    return "\n".join(lines)


def trend_table(trend: pd.DataFrame, earlier: str, notes: list[str] = ()) -> str:
    """Level and score per subject before -> after against an earlier assessment, and what makes
    the two not directly comparable."""
    lines = [f"trend against {earlier}:", f"  {'subject':<10} {'level':>8} {'score':>14} {'change':>7}"]
    for r in trend.itertuples():
        change = "-" if pd.isna(r.score_change) else f"{r.score_change:+.2f}"
        lines.append(f"  {r.id:<10} {level(r.level_before) + ' -> ' + level(r.level):>8} "
                     f"{score(r.score_before, 2) + ' -> ' + score(r.score, 2):>14} {change:>7}"
                     + ("" if getattr(r, "comparable", True) else "  not comparable")
                     + ("  moved by the rules" if getattr(r, "moved_by_rule", False) else ""))
    lines += [f"  note: {n}" for n in [*notes, *rule_notes(trend)]]
    return "\n".join(lines)


def rule_notes(trend: pd.DataFrame) -> list[str]:
    """One sentence per subject whose earlier level or score differs between the previous
    methodology and this one: that part of the change comes from the rules, not the answers."""
    if "moved_by_rule" not in trend:
        return []
    out = []
    for r in trend[trend["moved_by_rule"]].itertuples():
        out.append(f"{r.id} moved because of the rules, not the answers: the earlier assessment scores level "
                   f"{level(r.level_before_rule)} ({score(r.score_before_rule, 2)}) under methodology "
                   f"{PREVIOUS_METHODOLOGY} and {level(r.level_before)} ({score(r.score_before, 2)}) under "
                   f"{METHODOLOGY_VERSION}")
    return out


def comparability(fw, previous, current, trend: pd.DataFrame) -> list[str]:
    """What differs between two engagements' assessments besides the answers: profile, bank
    version, and criteria asked in only one (named as a profile or scope difference where that
    is all it is)."""
    notes = []
    if previous.profile != current.profile:
        notes.append(f"profiles differ: {previous.profile} before, {current.profile} now")
    if previous.bank_version != current.bank_version:
        notes.append(f"question bank versions differ: {previous.bank_version} before, {current.bank_version} now; "
                     "reworded criteria are matched through the bank's retired ids")
    for subject, ids in trend.attrs.get("not_comparable", {}).items():
        notes.append(f"{subject} is not comparable: the bank has since changed the meaning of "
                     + ", ".join(ids[:6]) + (", ..." if len(ids) > 6 else ""))
    for what, ids, other in (("added", trend.attrs["criteria_added"], previous),
                             ("dropped", trend.attrs["criteria_dropped"], current)):
        if not ids:
            continue
        in_profile = set(fw.profiles.get(other.profile, ()))
        profile_only = [i for i in ids if i not in in_profile]
        scope_only = [i for i in ids if i in in_profile and fw.subject_of.get(i) not in other.scope]
        rest = [i for i in ids if i not in set(profile_only) | set(scope_only)]
        for label, group in (("only a profile difference", profile_only), ("only a scope difference", scope_only),
                             ("changed in the question bank", rest)):
            if group:
                notes.append(f"{len(group)} criteria {what} ({label}): {', '.join(group[:8])}"
                             + (", ..." if len(group) > 8 else ""))
    return notes
