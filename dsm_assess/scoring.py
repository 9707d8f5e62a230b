"""Maturity scoring: two views of every subject from one answer set, with targets, gaps and priorities.

Every rule here is written down, with a worked example, in docs/methodology.md. The work is
done on whole tables (pandas/numpy) keyed by engagement, so one call can score one engagement
or hundreds; `score_engagement` is the entry point for one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from .engagement import Engagement, Target
from .errors import InvalidInput
from .framework import LEVELS, Framework
from .yamlfile import read_yaml

STEP = {"N": 0, "P": 1, "L": 2, "F": 3}
RATINGS = ["N", "P", "L", "F", "NA", "DK"]  # code order used by the counting below
MIN_COVERAGE = 0.5          # share of applicable criteria that must have data before a subject is scored
DISAGREEMENT_STEPS = 2      # answers this many scale steps apart count as disagreement
OVER_MATURITY_MARGIN = 1    # levels above target before effort is called misplaced
TARGET_FOR_DEMAND = {1: 2, 2: 2, 3: 3, 4: 4, 5: 4}
PRIORITY_BANDS = ((6.0, "High"), (2.5, "Medium"), (0.0, "Low"))
VALUE_CHAIN_WEIGHT = {"high": 2, "medium": 1, "none": 0}


Rating = Literal["N", "P", "L", "F", "NA", "DK"]


class WhatIf(BaseModel):
    """Changes to try without touching the store (the `--what-if` file)."""

    model_config = ConfigDict(extra="forbid")
    targets: dict[str, Target] = {}
    business_context: dict[str, Annotated[int, Field(ge=1, le=5)]] = {}
    na: dict[str, str] = {}           # criterion id -> reason it does not apply
    consensus: dict[str, Rating] = {}  # criterion id -> rating the workshop might agree on

    @field_validator("targets", mode="before")
    @classmethod
    def _plain_levels(cls, value):
        """`PR.INC: 4` is accepted as shorthand for a what-if target of level 4."""
        if isinstance(value, dict):
            return {k: {"level": v, "reason": "what-if"} if isinstance(v, int) else v for k, v in value.items()}
        return value


def load_what_if(path: Path, fw: Framework) -> WhatIf:
    """Read and check a what-if file against the framework; every problem is reported together."""
    doc = read_yaml(Path(path))
    what = doc.validate(WhatIf, doc.data or {}, []) if not doc.problems else None
    if what is None:
        raise InvalidInput(doc.problems, f"{doc.name} is not a valid what-if file")
    known = {"targets": {s.id for s in fw.subjects}, "business_context": {c.id for c in fw.capabilities},
             "na": {c.id for c in fw.criteria}, "consensus": {c.id for c in fw.criteria}}
    what_kind = {"targets": "subject", "business_context": "digital capability", "na": "criterion",
                 "consensus": "criterion"}
    bad = [doc.problem([section, key], f"unknown {what_kind[section]} {key!r}")
           for section, ids in known.items() for key in getattr(what, section) if key not in ids]
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
    """One row per criterion of the bank; subjects and dimensions as categoricals in framework order."""
    kind = {s.id: s.kind for s in fw.subjects}
    df = pd.DataFrame([{"criterion_id": c.id, "subject": c.subject, "kind": kind[c.subject], "level": c.level,
                        "dimension": c.dimension} for c in fw.criteria])
    df["subject"] = pd.Categorical(df["subject"], categories=[s.id for s in fw.subjects])
    df["dimension"] = pd.Categorical(df["dimension"], categories=[d.id for d in fw.dimensions])
    return df


def credit_by_step(fw: Framework) -> dict[int, float]:
    return {STEP[p.code]: p.credit for p in fw.scale if p.code in STEP}


# ---- per criterion ----------------------------------------------------------------------------

def _codes(values: pd.Series, categories) -> np.ndarray:
    """Integer codes of `values` within `categories` (-1 if absent); cheap when already categorical."""
    return pd.Categorical(values, categories=categories).codes.astype(np.int32)


def aggregate_criteria(asked: pd.DataFrame, answers: pd.DataFrame, consensus: pd.DataFrame,
                       meta: pd.DataFrame, credit: dict[int, float]) -> pd.DataFrame:
    """One row per (engagement, criterion) asked, aggregated across respondents.

    asked: engagement, criterion_id. answers: engagement, criterion_id, rating, evidence,
    confidence (current answers, one per respondent). consensus: engagement, criterion_id, rating.
    Counting is done with numpy on integer codes: a rating is one of six codes, so one bincount
    gives every criterion's count of N, P, L, F, NA and DK, and the lower median, spread and
    dispersion all follow from the four step counts.
    """
    crit_ids = meta["criterion_id"].to_numpy()
    engagements = np.asarray(pd.unique(asked["engagement"]), dtype=object)
    n_crit = len(crit_ids)
    size = len(engagements) * n_crit  # one slot per (engagement, criterion); slot `size` takes the rest

    def keys(frame: pd.DataFrame) -> np.ndarray:
        e, c = _codes(frame["engagement"], engagements), _codes(frame["criterion_id"], crit_ids)
        key = e * n_crit + c
        key[(e < 0) | (c < 0)] = size
        return key

    key = keys(answers)
    code = _codes(answers["rating"], RATINGS) & 7  # unknown (-1) becomes 7, an unused column
    tally = np.bincount(key * 8 + code, minlength=(size + 1) * 8).reshape(size + 1, 8)[:size]
    counts, na, dk = tally[:, :4], tally[:, RATINGS.index("NA")], tally[:, RATINGS.index("DK")]
    n = counts @ np.ones(4, dtype=np.int64)
    has = n > 0
    cum = counts.cumsum(axis=1)
    half = (n - 1) // 2 + 1
    # lower median: how many steps lie wholly below the middle answer
    median = np.where(has, (cum[:, 0] < half).astype(np.int64) + (cum[:, 1] < half) + (cum[:, 2] < half), -1)
    lo = np.where(has, np.argmax(counts > 0, axis=1), -1)
    hi = np.where(has, 3 - np.argmax(counts[:, ::-1] > 0, axis=1), -1)
    mean = np.divide(counts @ np.arange(4), n, out=np.zeros(size), where=has)
    var = np.divide(counts @ (np.arange(4) ** 2), n, out=np.zeros(size), where=has) - mean**2
    var = np.maximum(var, 0.0)  # rounding can leave -1e-17 where all answers agree

    # Evidence and confidence are given on few answers: work on those rows only.
    evidence = answers["evidence"]
    rows = np.flatnonzero(evidence.notna().to_numpy())
    rows = rows[(code[rows] < 4) & evidence.iloc[rows].astype(str).str.strip().ne("").to_numpy()]
    evidenced = np.bincount(key[rows], minlength=size + 1)[:size] > 0
    conf = pd.to_numeric(answers["confidence"], errors="coerce").to_numpy(dtype=float)
    rows = np.flatnonzero(~np.isnan(conf))
    rows = rows[code[rows] < 4]
    conf_n = np.bincount(key[rows], minlength=size + 1)[:size]
    conf_sum = np.bincount(key[rows], weights=conf[rows], minlength=size + 1)[:size]
    conf_mean = np.divide(conf_sum, conf_n, out=np.full(size, np.nan), where=conf_n > 0)

    cons_rating = np.full(size + 1, -1)
    if len(consensus):
        cons_rating[keys(consensus)] = _codes(consensus["rating"], RATINGS)
    cons_rating = cons_rating[:size]

    idx = keys(asked)
    idx = idx[idx < size]
    c_idx = idx % n_crit
    crit = meta.iloc[c_idx].reset_index(drop=True)
    crit.insert(0, "engagement", pd.Categorical.from_codes(idx // n_crit, categories=engagements))
    crit["answers"], crit["na"], crit["dk"] = n[idx], na[idx], dk[idx]
    crit["spread"] = np.where(has[idx], hi[idx] - lo[idx], np.nan)
    crit["dispersion"] = np.where(has[idx], np.sqrt(var[idx]), np.nan)
    crit["mean_confidence"] = conf_mean[idx]
    cons = cons_rating[idx]
    has_cons = cons >= 0
    cons_step = np.array([0, 1, 2, 3, -1, -1])[np.maximum(cons, 0)]
    final = np.where(has_cons, cons_step, median[idx])
    is_na = np.where(has_cons, cons == RATINGS.index("NA"), (final < 0) & (na[idx] > 0))
    crit["step"] = np.where(final >= 0, final, np.nan)
    crit["applicable"] = ~is_na
    crit["status"] = pd.Categorical.from_codes(np.where(is_na, 0, np.where(final >= 0, 1, 2)),
                                               categories=["n/a", "rated", "no data"])
    crit["rating"] = pd.Categorical.from_codes(np.where(is_na, 4, final), categories=[*STEP, "NA"])
    crit["credit"] = np.where(final >= 0, np.array([credit[i] for i in range(4)] + [np.nan])[final], np.nan)
    crit["disagreement"] = np.where(has[idx], hi[idx] - lo[idx], 0) >= DISAGREEMENT_STEPS
    crit["unsupported"] = (final >= 2) & ~evidenced[idx]
    crit["consensus_applied"] = has_cons
    return crit


# ---- per subject (or any grouping of criteria) ------------------------------------------------

def _group_codes(frame: pd.DataFrame, keys: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Group number of each row and the groups' key values, ordered by the keys' categories."""
    cats = [pd.Categorical(frame[k]) if not isinstance(frame[k].dtype, pd.CategoricalDtype) else frame[k].array
            for k in keys]
    combined = np.zeros(len(frame), dtype=np.int64)
    for c in cats:
        combined = combined * len(c.categories) + c.codes
    used, group = np.unique(combined, return_inverse=True)
    out, rest = {}, used
    for k, c in reversed(list(zip(keys, cats, strict=True))):
        out[k] = pd.Categorical.from_codes(rest % len(c.categories), categories=c.categories)
        rest = rest // len(c.categories)
    return group.reshape(-1), pd.DataFrame({k: out[k] for k in keys})


def level_view(crit: pd.DataFrame, keys: list[str]) -> pd.DataFrame:
    """Gated level, continuous score and coverage for each group of criteria named by `keys`.

    A level with no applicable criteria (none asked, or all N/A) neither holds the group back
    nor is missing: it counts as fully achieved in both views.
    """
    group, out = _group_codes(crit, keys)
    n = len(out)
    cell = group * 4 + (crit["level"].to_numpy() - LEVELS[0])
    applicable = crit["applicable"].to_numpy()
    step = crit["step"].to_numpy(dtype=float)
    has_data = ~np.isnan(step)

    def per_level(weights) -> np.ndarray:
        return np.bincount(cell, weights=weights, minlength=n * 4).reshape(n, 4)

    n_applicable, n_rated = per_level(applicable), per_level(has_data)
    earned = per_level(np.where(has_data, crit["credit"].to_numpy(dtype=float), 0.0))
    floor = np.full(n * 4, np.inf)
    # a criterion without data counts as not achieved (-1) in the gate
    np.minimum.at(floor, cell[applicable], np.nan_to_num(step[applicable], nan=-1.0))
    floor = floor.reshape(n, 4)

    passed, lower_all_f = np.ones(n, dtype=bool), np.ones(n, dtype=bool)
    level, score = np.ones(n, dtype=int), np.ones(n)
    for i in range(len(LEVELS)):
        vacuous = n_applicable[:, i] == 0
        passed &= lower_all_f & (vacuous | (floor[:, i] >= 2))
        level += passed
        # mean credit of the criteria with data; a level with no data at all earns nothing
        score += np.where(vacuous, 1.0, np.divide(earned[:, i], n_rated[:, i], out=np.zeros(n),
                                                  where=n_rated[:, i] > 0))
        lower_all_f &= vacuous | (floor[:, i] >= 3)
    applicable_total, rated_total = n_applicable.sum(axis=1), n_rated.sum(axis=1)
    coverage = np.divide(rated_total, applicable_total, out=np.zeros(n), where=applicable_total > 0)
    insufficient = (applicable_total == 0) | (coverage < MIN_COVERAGE)
    out["level"] = pd.array(np.where(insufficient, None, level), dtype="Int64")
    out["score"] = np.where(insufficient, np.nan, score)
    out["coverage"] = coverage
    out["insufficient"] = insufficient
    na_ids: dict[int, list[str]] = {}
    for g, cid in zip(group[~applicable], crit["criterion_id"].to_numpy()[~applicable], strict=True):
        na_ids.setdefault(int(g), []).append(cid)
    out["na_criteria"] = [na_ids.get(i, []) for i in range(n)]
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
    manual = eng.targets
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
    subjects = apply_targets(subjects, fw, eng)  # rows already in framework order (categorical subject)

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


def score_many(fw: Framework, asked: pd.DataFrame, answers: pd.DataFrame, consensus: pd.DataFrame,
               with_criteria: bool = False):
    """Gated level, score and coverage per (engagement, subject) for many engagements in one pass
    (and the per-criterion table too, with `with_criteria`).

    Frames as for `aggregate_criteria`, each with an `engagement` column; used by batch runs and
    the benchmark. Targets need each engagement's own context: use `score_engagement` for those.
    """
    crit = aggregate_criteria(asked, answers, consensus, criterion_meta(fw), credit_by_step(fw))
    subjects = level_view(crit, ["engagement", "subject"])
    return (crit, subjects) if with_criteria else subjects
