"""Maturity scoring: two views of every subject from one answer set, with targets, gaps and priorities.

Every rule here is written down, with a worked example, in docs/methodology.md. The work is
done on whole tables (pandas/numpy) keyed by engagement, so one call can score one engagement
or hundreds; `score_engagement` is the entry point for one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field

from .engagement import Engagement, Target
from .errors import InvalidInput
from .framework import LEVELS, Framework
from .yamlfile import read_yaml

STEP = {"N": 0, "P": 1, "L": 2, "F": 3}
LETTER = {v: k for k, v in STEP.items()}
MIN_COVERAGE = 0.5          # share of applicable criteria that must have data before a subject is scored
DISAGREEMENT_STEPS = 2      # answers this many scale steps apart count as disagreement
OVER_MATURITY_MARGIN = 1    # levels above target before effort is called misplaced
TARGET_FOR_DEMAND = {1: 2, 2: 2, 3: 3, 4: 4, 5: 4}
PRIORITY_BANDS = ((6.0, "High"), (2.5, "Medium"), (0.0, "Low"))
VALUE_CHAIN_WEIGHT = {"high": 2, "medium": 1, "none": 0}


class WhatIf(BaseModel):
    """Changes to try without touching the store (the `--what-if` file)."""

    model_config = ConfigDict(extra="forbid")
    targets: dict[str, Target] = {}
    business_context: dict[str, int] = Field(default_factory=dict)
    na: dict[str, str] = {}          # criterion id -> reason it does not apply
    consensus: dict[str, str] = {}   # criterion id -> rating the workshop might agree on


def load_what_if(path) -> WhatIf:
    doc = read_yaml(path)
    what = doc.validate(WhatIf, doc.data or {}, []) if not doc.problems else None
    if what is None:
        raise InvalidInput(doc.problems, f"{doc.name} is not a valid what-if file")
    bad = [doc.problem(["consensus", k], f"rating {v!r} is not one of N, P, L, F, NA, DK")
           for k, v in what.consensus.items() if v not in (*STEP, "NA", "DK")]
    if bad:
        raise InvalidInput(bad, f"{doc.name} is not a valid what-if file")
    return what


@dataclass
class Scores:
    """Everything scoring produces, as tidy tables, plus the headline figures."""

    criteria: pd.DataFrame
    subjects: pd.DataFrame
    groups: pd.DataFrame
    value_chain: pd.DataFrame
    areas: pd.DataFrame
    dimensions: pd.DataFrame
    headline: dict = field(default_factory=dict)

    TABLES = ("subjects", "criteria", "groups", "value_chain", "areas", "dimensions")

    def to_json(self) -> dict:
        return {"headline": self.headline, **{name: records(getattr(self, name)) for name in self.TABLES}}


def records(df: pd.DataFrame) -> list[dict]:
    """Rows as plain dicts with None for missing values and Python scalars (JSON-ready)."""
    out = []
    for row in df.to_dict(orient="records"):
        clean = {}
        for k, v in row.items():
            if isinstance(v, (list, tuple)):
                clean[k] = list(v)
            elif v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
                clean[k] = None
            elif isinstance(v, np.integer):
                clean[k] = int(v)
            elif isinstance(v, np.floating):
                clean[k] = round(float(v), 4)
            elif isinstance(v, np.bool_):
                clean[k] = bool(v)
            elif isinstance(v, float):
                clean[k] = round(v, 4)
            else:
                clean[k] = v
        out.append(clean)
    return out


def criterion_meta(fw: Framework) -> pd.DataFrame:
    kind = {s.id: s.kind for s in fw.subjects}
    return pd.DataFrame([{"criterion_id": c.id, "subject": c.subject, "kind": kind[c.subject], "level": c.level,
                          "dimension": c.dimension} for c in fw.criteria])


def credit_by_step(fw: Framework) -> dict[int, float]:
    return {STEP[p.code]: p.credit for p in fw.scale if p.code in STEP}


# ---- per criterion ----------------------------------------------------------------------------

def aggregate_criteria(asked: pd.DataFrame, answers: pd.DataFrame, consensus: pd.DataFrame,
                       meta: pd.DataFrame, credit: dict[int, float]) -> pd.DataFrame:
    """One row per (engagement, criterion) asked, aggregated across respondents.

    asked: engagement, criterion_id. answers: engagement, respondent, criterion_id, rating,
    evidence, confidence (current answers). consensus: engagement, criterion_id, rating.
    """
    keys = ["engagement", "criterion_id"]
    a = answers[["engagement", "criterion_id", "rating", "evidence", "confidence"]]
    step = a["rating"].map(STEP)
    rated = a.assign(step=step, evidenced=a["evidence"].fillna("").astype(str).str.strip().ne(""))[step.notna()]
    g = rated.groupby(keys, sort=False)
    agg = pd.DataFrame({
        "answers": g["step"].size(),
        "median_step": g["step"].quantile(0.5, interpolation="lower"),
        "spread": g["step"].max() - g["step"].min(),
        "dispersion": g["step"].std(ddof=0),
        "mean_confidence": g["confidence"].mean(),
        "evidenced": g["evidenced"].any(),
    }).reset_index()
    counts = a.assign(na=a["rating"].eq("NA"), dk=a["rating"].eq("DK")).groupby(keys, sort=False)[["na", "dk"]].sum()
    crit = (asked.merge(meta, on="criterion_id", how="left")
            .merge(agg, on=keys, how="left").merge(counts.reset_index(), on=keys, how="left"))
    for col in ("answers", "na", "dk"):
        crit[col] = crit[col].fillna(0).astype(int)
    crit["evidenced"] = crit["evidenced"].astype("boolean").fillna(False).astype(bool)

    cons = consensus[["engagement", "criterion_id", "rating"]].rename(columns={"rating": "consensus"})
    crit = crit.merge(cons, on=keys, how="left")
    has_cons = crit["consensus"].notna()
    cons_step = crit["consensus"].map(STEP)
    crit["step"] = np.where(has_cons, cons_step, crit["median_step"])
    crit["status"] = np.select(
        [has_cons & crit["consensus"].eq("NA"), crit["step"].notna(), ~has_cons & crit["na"].gt(0)],
        ["n/a", "rated", "n/a"], default="no data")
    crit["rating"] = crit["step"].map(LETTER).where(crit["status"].ne("n/a"), "NA")
    crit["credit"] = crit["step"].map(credit)
    crit["spread"] = crit["spread"].where(crit["answers"] > 0)
    crit["disagreement"] = crit["spread"].fillna(0) >= DISAGREEMENT_STEPS
    crit["unsupported"] = crit["step"].ge(2) & ~crit["evidenced"]
    crit["consensus_applied"] = has_cons
    return crit


# ---- per subject (or any grouping of criteria) ------------------------------------------------

def level_view(crit: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Gated level, continuous score and coverage for each group of criteria named by `keys`.

    A level with no applicable criteria (none asked, or all N/A) neither holds the group back
    nor is missing: it counts as fully achieved in both views.
    """
    c = crit.assign(applicable=crit["status"].ne("n/a"), has_data=crit["status"].eq("rated"))
    c = c.assign(floor=np.where(c["applicable"], c["step"].fillna(-1), np.inf),
                 earned=np.where(c["has_data"], c["credit"], 0.0))
    per = c.groupby([*keys, "level"], sort=False).agg(
        applicable=("applicable", "sum"), rated=("has_data", "sum"), floor=("floor", "min"), earned=("earned", "sum"))
    wide = per.unstack("level")
    groups = wide.index
    n = len(groups)

    def col(name: str, lv: int, fill: float) -> np.ndarray:
        return wide[(name, lv)].to_numpy(dtype=float, na_value=fill) if (name, lv) in wide.columns else np.full(n, fill)

    passed = np.ones(n, dtype=bool)
    level = np.ones(n, dtype=int)
    score = np.ones(n)
    applicable_total = np.zeros(n)
    rated_total = np.zeros(n)
    lower_all_f = np.ones(n, dtype=bool)
    for lv in LEVELS:
        applicable, rated = col("applicable", lv, 0), col("rated", lv, 0)
        floor, earned = col("floor", lv, np.inf), col("earned", lv, 0)
        vacuous = applicable == 0
        passed &= lower_all_f & (vacuous | (floor >= 2))
        level += passed
        # mean credit of the criteria with data; a level with no data at all earns nothing
        score += np.where(vacuous, 1.0, np.divide(earned, rated, out=np.zeros(n), where=rated > 0))
        lower_all_f = lower_all_f & (vacuous | (floor >= 3))
        applicable_total += applicable
        rated_total += rated
    coverage = np.divide(rated_total, applicable_total, out=np.zeros(n), where=applicable_total > 0)
    insufficient = (applicable_total == 0) | (coverage < MIN_COVERAGE)
    out = pd.DataFrame(index=groups).reset_index()
    out["level"] = pd.array(np.where(insufficient, None, level), dtype="Int64")
    out["score"] = np.where(insufficient, np.nan, score)
    out["coverage"] = coverage
    out["insufficient"] = insufficient
    na_ids = crit[crit["status"].eq("n/a")].groupby(keys, sort=False)["criterion_id"].agg(list)
    out = out.merge(na_ids.rename("na_criteria").reset_index(), on=keys, how="left")
    out["na_criteria"] = out["na_criteria"].apply(lambda v: v if isinstance(v, list) else [])
    return out


# ---- targets, gaps, priorities -----------------------------------------------------------------

def demand_per_subject(fw: Framework, context: dict[str, int]) -> dict[str, int]:
    """How much the business leans on each subject: the highest importance among the digital
    capabilities the subject supports; subjects no rated capability maps get the median rating."""
    if not context:
        return {}
    default = int(np.floor(np.median(list(context.values()))))
    out: dict[str, int] = {}
    for cap in fw.capabilities:
        if cap.id in context:
            for s in (*cap.practices, *cap.areas):
                out[s] = max(out.get(s, 0), context[cap.id])
    return {s.id: out.get(s.id, default) for s in fw.subjects}


def apply_targets(subjects: pd.DataFrame, fw: Framework, eng: Engagement) -> pd.DataFrame:
    demand = demand_per_subject(fw, eng.business_context)
    s = subjects.copy()
    s["demand"] = s["subject"].map(demand).astype("Float64")
    derived = s["demand"].map(lambda d: TARGET_FOR_DEMAND.get(int(d)) if pd.notna(d) else None)
    manual = {k: t for k, t in eng.targets.items()}
    s["target"] = [manual[i].level if i in manual else d for i, d in zip(s["subject"], derived, strict=True)]
    s["target"] = pd.array(s["target"], dtype="Int64")
    s["target_source"] = [("manual" if i in manual else "derived" if pd.notna(d) else None)
                          for i, d in zip(s["subject"], derived, strict=True)]
    s["target_reason"] = [manual[i].reason if i in manual else None for i in s["subject"]]
    s["gap"] = (s["target"] - s["level"]).astype("Int64")
    s["over_maturity"] = (s["gap"] <= -OVER_MATURITY_MARGIN).fillna(False).astype(bool)
    weight = (s["demand"].fillna(3) / 5).astype(float)
    gap = s["gap"].astype("Float64")
    raw = ((1 + gap) ** 2 - 1) * weight
    s["priority_score"] = raw.where(gap > 0).astype(float)
    s["priority"] = pd.Series([_band(p) for p in s["priority_score"]], index=s.index, dtype=object)
    return s


def _band(p: float) -> str | None:
    if pd.isna(p):
        return None
    return next(name for floor, name in PRIORITY_BANDS if p >= floor)


# ---- the whole engagement ----------------------------------------------------------------------

def _frames(eng: Engagement, answers: pd.DataFrame, consensus: pd.DataFrame, what_if: WhatIf | None):
    answers = answers.assign(engagement=eng.slug)
    for col in ("evidence", "confidence"):
        if col not in answers:
            answers[col] = None
    consensus = consensus.assign(engagement=eng.slug)[["engagement", "criterion_id", "rating"]] \
        if len(consensus) else pd.DataFrame(columns=["engagement", "criterion_id", "rating"])
    if what_if:
        extra = [{"engagement": eng.slug, "criterion_id": c, "rating": "NA"} for c in what_if.na] + \
                [{"engagement": eng.slug, "criterion_id": c, "rating": r} for c, r in what_if.consensus.items()]
        if extra:
            override = pd.DataFrame(extra)
            consensus = pd.concat([consensus[~consensus["criterion_id"].isin(override["criterion_id"])], override])
        eng = eng.model_copy(update={"targets": {**eng.targets, **what_if.targets},
                                     "business_context": {**eng.business_context, **what_if.business_context}})
    return eng, answers, consensus


def score_engagement(fw: Framework, eng: Engagement, answers: pd.DataFrame, consensus: pd.DataFrame,
                     what_if: WhatIf | None = None) -> Scores:
    """Score one engagement from its current answers and consensus values (store.py frames)."""
    eng, answers, consensus = _frames(eng, answers, consensus, what_if)
    asked = pd.DataFrame({"engagement": eng.slug, "criterion_id": eng.criteria_for(fw)})
    meta = criterion_meta(fw)
    crit = aggregate_criteria(asked, answers, consensus, meta, credit_by_step(fw))
    subjects = level_view(crit, ["engagement", "subject"])
    names = {s.id: s for s in fw.subjects}
    group = {p.id: p.group for p in fw.practices}
    subjects.insert(2, "name", subjects["subject"].map(lambda i: names[i].name))
    subjects.insert(3, "kind", subjects["subject"].map(lambda i: names[i].kind))
    subjects.insert(4, "group", subjects["subject"].map(group))
    subjects = apply_targets(subjects, fw, eng)
    order = {s.id: i for i, s in enumerate(fw.subjects)}
    subjects = subjects.sort_values("subject", key=lambda c: c.map(order)).reset_index(drop=True)

    out_subjects = subjects.drop(columns=["engagement"]).rename(columns={"subject": "id"})
    out_crit = crit[["criterion_id", "subject", "level", "dimension", "rating", "status", "answers", "na", "dk",
                     "spread", "dispersion", "disagreement", "mean_confidence", "unsupported", "consensus_applied"]] \
        .rename(columns={"criterion_id": "id"})
    return Scores(
        criteria=out_crit,
        subjects=out_subjects,
        groups=_groups(out_subjects),
        value_chain=_value_chain(fw, out_subjects),
        areas=_areas(fw, crit, out_subjects),
        dimensions=_dimensions(fw, crit),
        headline=_headline(eng, out_subjects, out_crit),
    )


def _groups(subjects: pd.DataFrame) -> pd.DataFrame:
    s = subjects.assign(group=subjects["group"].fillna("DSM area"),
                        on_target=(subjects["gap"] <= 0).fillna(False).astype(bool))
    return s.groupby("group", sort=False).agg(
        subjects=("id", "size"), scored=("score", "count"), score=("score", "mean"),
        level=("level", lambda v: v.astype(float).mean()), on_target=("on_target", "sum")).reset_index()


def _value_chain(fw: Framework, subjects: pd.DataFrame) -> pd.DataFrame:
    score = subjects.set_index("id")["score"]
    rows = []
    for act in fw.activities:
        w = pd.Series({p.id: VALUE_CHAIN_WEIGHT[p.value_chain[act.id]] for p in fw.practices}, dtype=float)
        s = score.reindex(w.index)
        used = w.where(s.notna(), 0.0)
        total = used.sum()
        rows.append({"activity": act.id, "name": act.name,
                     "score": float((s.fillna(0) * used).sum() / total) if total else np.nan,
                     "practices": int((used > 0).sum())})
    return pd.DataFrame(rows)


def _areas(fw: Framework, crit: pd.DataFrame, subjects: pd.DataFrame) -> pd.DataFrame:
    """Each DSM area from its own criteria plus the practice criteria cross-linked to it."""
    informs = pd.DataFrame([{"criterion_id": c.id, "area": a} for c in fw.criteria for a in c.informs],
                           columns=["criterion_id", "area"])
    own = crit[crit["kind"].eq("area")].assign(area=lambda d: d["subject"])
    linked = crit.merge(informs, on="criterion_id")
    linked = linked[linked["kind"].eq("practice")]
    combined = level_view(pd.concat([own, linked], ignore_index=True), ["engagement", "area"])
    own_score = subjects.set_index("id")["score"]
    rows = []
    for a in fw.areas:
        row = combined[combined["area"].eq(a.id)]
        rows.append({"id": a.id, "name": a.name, "own_score": own_score.get(a.id, np.nan),
                     "linked_criteria": int(linked["area"].eq(a.id).sum()),
                     "combined_score": float(row["score"].iloc[0]) if len(row) else np.nan,
                     "combined_level": row["level"].iloc[0] if len(row) else pd.NA})
    return pd.DataFrame(rows)


def _dimensions(fw: Framework, crit: pd.DataFrame) -> pd.DataFrame:
    view = level_view(crit, ["engagement", "dimension"]).set_index("dimension")
    return pd.DataFrame([{"id": d.id, "name": d.name,
                          "score": view["score"].get(d.id, np.nan), "coverage": view["coverage"].get(d.id, np.nan)}
                         for d in fw.dimensions])


def _headline(eng: Engagement, subjects: pd.DataFrame, crit: pd.DataFrame) -> dict:
    scored = subjects[~subjects["insufficient"]]
    targeted = scored[scored["target"].notna()]
    return {
        "engagement": eng.slug, "client": eng.client,
        "subjects": int(len(subjects)), "scored": int(len(scored)),
        "insufficient": int(subjects["insufficient"].sum()),
        "score": round(float(scored["score"].mean()), 2) if len(scored) else None,
        "median_level": float(scored["level"].astype(float).median()) if len(scored) else None,
        "on_target": int((targeted["gap"] <= 0).sum()), "below_target": int((targeted["gap"] > 0).sum()),
        "over_maturity": int(subjects["over_maturity"].sum()),
        "priorities": {b: int(subjects["priority"].eq(b).sum()) for _, b in PRIORITY_BANDS},
        "disagreements": int(crit["disagreement"].sum()), "unsupported": int(crit["unsupported"].sum()),
    }


def compare(previous: Scores, current: Scores) -> pd.DataFrame:
    """Trend per subject between two assessments; criteria are matched across bank versions by id."""
    cols = ["id", "level", "score"]
    merged = previous.subjects[cols].merge(current.subjects[cols], on="id", how="outer", suffixes=("_before", ""))
    merged["score_change"] = merged["score"] - merged["score_before"]
    merged["level_change"] = (merged["level"] - merged["level_before"]).astype("Int64")
    before, now = set(previous.criteria["id"]), set(current.criteria["id"])
    merged.attrs["criteria_added"] = sorted(now - before)
    merged.attrs["criteria_dropped"] = sorted(before - now)
    return merged


def dump_what_if_example() -> str:
    return yaml.safe_dump({"targets": {"PR.INC": {"level": 4, "reason": "Customer-facing outages cost sales"}},
                           "business_context": {"CAP.OPERATE": 5}, "na": {"PR.SUP.L2.01": "No suppliers"},
                           "consensus": {"PR.INC.L3.01": "L"}}, sort_keys=False)


def write_csv(scores: Scores, out_dir, prefix: str) -> list:
    """Each table to `<out_dir>/<prefix>-<table>.csv`; returns the paths written."""
    from pathlib import Path

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
