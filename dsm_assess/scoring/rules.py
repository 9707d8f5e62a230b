"""Maturity scoring, the numeric core: two views of every subject from one answer set, with
targets, gaps, priorities and the roll-ups.

Every rule here is written down, with a worked example, in docs/methodology.md. The work is done
on whole tables (pandas/numpy) keyed by engagement, so one call scores one engagement or
hundreds in every view: `score_many` is the engine, `score_engagement` the one-engagement door.
Presenting the results (JSON, CSV, tables) is results.py's job; what-if changes are whatif.py's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, fields

import numpy as np

from dsm_assess.core.errors import DsmError
from dsm_assess.core.frames import pd
from dsm_assess.core.present import frame_html, headline_lines, html_escape
from dsm_assess.core.scale import DK_CODE, FULLY, LARGELY, N_STEPS, NA_CODE, RATINGS, STEPS
from dsm_assess.engagement.spec import EngagementSpec
from dsm_assess.framework.model import GROUPS, LEVELS, Framework
from dsm_assess.scoring.whatif import WhatIf, apply_what_if

# A criterion's status in `Scores.criteria`: agreed not to apply, rated, or not answered. Code
# compares with these names (and the boolean `achieved` column), never with the strings.
NA, RATED, NO_DATA = "n/a", "rated", "no data"
STATUSES = [NA, RATED, NO_DATA]

METHODOLOGY_VERSION = "2.1"  # docs/methodology.md; every output says which rules produced it
PREVIOUS_METHODOLOGY = "2.0"  # still computed, so a trend can tell a move by the rules from one by the answers
MIN_COVERAGE = 0.5          # share of applicable criteria with data below which a subject is not scored,
                            # and a level is unknown
DISAGREEMENT_STEPS = 2      # answers this many scale steps apart count as disagreement
OVER_MATURITY_MARGIN = 1    # levels above target before effort is called misplaced
TARGET_FOR_DEMAND = {1: 2, 2: 2, 3: 3, 4: 4, 5: 4}
DEFAULT_DEMAND = 3          # demand assumed for priority when no business context is recorded
PRIORITY_BANDS = ((6.0, "High"), (2.5, "Medium"), (0.0, "Low"))
VALUE_CHAIN_WEIGHT = {"high": 2, "medium": 1, "none": 0}
AREA_GROUP = "DSM area"     # the row of the group roll-up that holds the DSM areas

N_LEVELS = len(LEVELS)
_SLOTS = len(RATINGS) + 1   # counting slots per criterion: one per rating, one for unknown codes
_NO_STEP = -1               # the step of a criterion without an N/P/L/F rating


@dataclass
class Scores:
    """Everything scoring produces, as tidy tables. Tables scored for many engagements carry an
    `engagement` column; `for_engagement(slug)` gives one engagement's tables without it."""

    criteria: pd.DataFrame
    subjects: pd.DataFrame
    groups: pd.DataFrame
    value_chain: pd.DataFrame
    areas: pd.DataFrame
    dimensions: pd.DataFrame
    headlines: pd.DataFrame  # one row per engagement

    TABLES = ("subjects", "criteria", "groups", "value_chain", "areas", "dimensions")

    def for_engagement(self, slug: str) -> Scores:
        out = {}
        for f in fields(self):
            df = getattr(self, f.name)
            if "engagement" in df:
                df = df[df["engagement"] == slug].drop(columns="engagement").reset_index(drop=True)
            out[f.name] = df
        return Scores(**out)

    def __repr__(self) -> str:
        if len(self.headlines) != 1:
            return f"Scores of {len(self.headlines)} engagements, {len(self.subjects)} subject rows"
        return "\n".join(["Scores", *headline_lines(self.headline)])

    def _repr_html_(self) -> str:
        if len(self.headlines) != 1:
            return f"<p>{html_escape(repr(self))}</p>"
        lines = "<br>".join(html_escape(line) for line in headline_lines(self.headline))
        table = self.subjects[["id", "name", "level", "score", "target", "gap", "priority"]].head(12)
        return f"<p>{lines}</p>" + frame_html(table.set_index("id"), more=len(self.subjects) - 12)

    @property
    def headline(self) -> dict:
        """The organisation headline of a one-engagement result, as a plain dict."""
        if len(self.headlines) != 1:
            raise DsmError(f"{len(self.headlines)} engagements scored: use headlines")
        row = self.headlines.iloc[0].to_dict()
        priorities = {band: int(row.pop(f"priorities_{band}")) for _, band in PRIORITY_BANDS}
        out = {k: _plain(v) for k, v in row.items()}
        order = list(out)
        at = order.index("over_target") + 1
        return {**{k: out[k] for k in order[:at]}, "priorities": priorities, **{k: out[k] for k in order[at:]}}


def _plain(v):
    if v is None or v is pd.NA or (isinstance(v, float) and np.isnan(v)):
        return None
    if isinstance(v, np.integer):
        return int(v)
    if isinstance(v, np.floating):
        return float(v)
    return v


def criterion_meta(fw: Framework) -> pd.DataFrame:
    """One row per criterion of the bank; subjects and dimensions as categoricals in framework order."""
    kind = {s.id: s.kind for s in fw.subjects}
    df = pd.DataFrame([{"criterion_id": c.id, "subject": c.subject, "kind": kind[c.subject], "level": c.level,
                        "dimension": c.dimension} for c in fw.criteria])
    df["subject"] = pd.Categorical(df["subject"], categories=[s.id for s in fw.subjects])
    df["dimension"] = pd.Categorical(df["dimension"], categories=[d.id for d in fw.dimensions])
    return df


def credit_by_step(fw: Framework) -> np.ndarray:
    """Credit of each step (N, P, L, F) as the bank's scale gives it."""
    credit = {p.code: p.credit for p in fw.scale}
    return np.array([credit[code] for code in STEPS], dtype=float)


def answer_frame(answers: pd.DataFrame, slug: str | None = None) -> pd.DataFrame:
    """Answers as scoring reads them: engagement, respondent, criterion_id, rating, confidence,
    has_evidence. `has_evidence` is derived from an `evidence` text column when not given."""
    out = answers
    if slug is not None:
        out = out.assign(engagement=slug)
    if "has_evidence" not in out:
        ev = out["evidence"] if "evidence" in out else pd.Series(None, index=out.index, dtype=object)
        out = out.assign(has_evidence=ev.notna().to_numpy() & ev.astype(str).str.strip().ne("").to_numpy())
    if "confidence" not in out:
        out = out.assign(confidence=np.nan)
    return out


# ---- per criterion ----------------------------------------------------------------------------

def _ints(categorical: pd.Series) -> np.ndarray:
    """A categorical column's codes as int64: pandas stores them as int8 for up to 127 categories,
    which overflows as soon as codes are combined into keys."""
    return categorical.cat.codes.to_numpy().astype(np.int64)


def _codes(values: pd.Series, categories) -> np.ndarray:
    """Integer codes of `values` within `categories` (-1 if absent); cheap when already categorical."""
    return pd.Index(categories).get_indexer(values).astype(np.int64)


def aggregate_criteria(asked: pd.DataFrame, answers: pd.DataFrame, consensus: pd.DataFrame,
                       meta: pd.DataFrame, credit: np.ndarray) -> pd.DataFrame:
    """One row per (engagement, criterion) asked, aggregated across respondents.

    asked: engagement, criterion_id. answers: see `answer_frame` (one current answer per
    respondent). consensus: engagement, criterion_id, rating. Counting is done with numpy on
    integer codes: one bincount gives every criterion's count of N, P, L, F, NA and DK, and the
    lower median, spread and dispersion all follow from the four step counts.
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
    code = _codes(answers["rating"], RATINGS)
    code[code < 0] = len(RATINGS)  # an unknown rating is counted in the spare slot, never as a step
    tally = np.bincount(key * _SLOTS + code, minlength=(size + 1) * _SLOTS).reshape(size + 1, _SLOTS)[:size]
    counts, na, dk = tally[:, :N_STEPS], tally[:, NA_CODE], tally[:, DK_CODE]
    n = counts.sum(axis=1)
    has = n > 0
    median = lower_median(counts)  # a split vote never rounds up
    lo = np.where(has, np.argmax(counts > 0, axis=1), _NO_STEP)
    hi = np.where(has, N_STEPS - 1 - np.argmax(counts[:, ::-1] > 0, axis=1), _NO_STEP)
    steps = np.arange(N_STEPS)
    mean = np.divide(counts @ steps, n, out=np.zeros(size), where=has)
    var = np.divide(counts @ steps**2, n, out=np.zeros(size), where=has) - mean**2
    var = np.maximum(var, 0.0)  # rounding can leave -1e-17 where all answers agree

    rated = code < N_STEPS  # only evidence and confidence given with an N/P/L/F rating count
    rows = np.flatnonzero(rated & answers["has_evidence"].to_numpy(dtype=bool))
    evidenced = np.bincount(key[rows], minlength=size + 1)[:size] > 0
    conf = pd.to_numeric(answers["confidence"], errors="coerce").to_numpy(dtype=float)
    rows = np.flatnonzero(rated & ~np.isnan(conf))
    conf_n = np.bincount(key[rows], minlength=size + 1)[:size]
    conf_sum = np.bincount(key[rows], weights=conf[rows], minlength=size + 1)[:size]
    conf_mean = np.divide(conf_sum, conf_n, out=np.full(size, np.nan), where=conf_n > 0)

    cons_rating = np.full(size + 1, -1)
    if len(consensus):
        cons_rating[keys(consensus)] = _codes(consensus["rating"], RATINGS)
    cons_rating = cons_rating[:size]

    idx = keys(asked)
    idx = np.sort(idx[idx < size])  # per engagement in bank order, so every list of ids is too
    crit = meta.iloc[idx % n_crit].reset_index(drop=True)
    crit.insert(0, "engagement", pd.Categorical.from_codes(idx // n_crit, categories=engagements))
    crit["answers"], crit["na"], crit["dk"] = n[idx], na[idx], dk[idx]
    crit["spread"] = np.where(has[idx], hi[idx] - lo[idx], np.nan)
    crit["dispersion"] = np.where(has[idx], np.sqrt(var[idx]), np.nan)
    crit["mean_confidence"] = conf_mean[idx]
    cons = cons_rating[idx]
    has_cons = cons >= 0
    cons_step = np.where(cons < N_STEPS, cons, _NO_STEP)  # a consensus of NA or DK carries no step
    final = np.where(has_cons, cons_step, median[idx])
    # One respondent's N/A counts only when nobody rated the criterion and nobody said they don't
    # know; a consensus of NA always wins.
    is_na = np.where(has_cons, cons == NA_CODE, (final < 0) & (na[idx] > 0) & (dk[idx] == 0))
    crit["step"] = np.where(final >= 0, final, np.nan)
    crit["applicable"] = ~is_na
    crit["status"] = pd.Categorical.from_codes(np.where(is_na, 0, np.where(final >= 0, 1, 2)), categories=STATUSES)
    crit["achieved"] = final == FULLY  # fully achieved: what an initiative delivers and no gap needs
    crit["rating"] = pd.Categorical.from_codes(np.where(is_na, N_STEPS, final), categories=[*STEPS, "NA"])
    crit["credit"] = np.where(final >= 0, credit[np.maximum(final, 0)], np.nan)
    # a don't-know is evidence still to find: the score band reads it as fully achieved at the top
    crit["dk_open"] = (final < 0) & ~is_na & np.where(has_cons, cons == DK_CODE, dk[idx] > 0)
    crit["credit_high"] = np.where(final >= 0, crit["credit"], np.where(crit["dk_open"], credit[FULLY], np.nan))
    crit["disagreement"] = np.where(has[idx], hi[idx] - lo[idx], 0) >= DISAGREEMENT_STEPS
    crit["unsupported"] = (final >= LARGELY) & ~evidenced[idx]
    crit["consensus_applied"] = has_cons
    crit["resolved"] = has_cons  # a disagreement the workshop settled is not an open one
    # a consensus settles a disputed N/A (`resolved`), but the dispute stays visible
    crit["na_disputed"] = (na[idx] > 0) & ((n[idx] > 0) | (dk[idx] > 0))
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


def level_view(crit: pd.DataFrame, keys: list[str], methodology: str = METHODOLOGY_VERSION) -> pd.DataFrame:
    """Gated level, continuous score (with its don't-know band), coverage, unknown, not applicable
    and bridged levels for each group of criteria named by `keys` (a subject, a DSM area's
    combined view, a dimension); methodology section 3.

    A criterion without data is not achieved in both views (credit 0). A level with no
    applicable criteria is passed through by the gate but never claimed; it carries the credit
    of the nearest assessed level below it (level 1 counting as fully achieved) and earns
    nothing with no assessed level above it. A group without an applicable level-2 criterion has
    insufficient data. A level where fewer than half of the applicable criteria have data is
    unknown. `methodology="2.0"` gives the earlier rules (a passed-through level earned the lower
    of its neighbours' credits, and level 2 could be passed through), for trends across versions.
    """
    group, out = _group_codes(crit, keys)
    n = len(out)
    cell = group * N_LEVELS + (crit["level"].to_numpy() - LEVELS[0])
    applicable = crit["applicable"].to_numpy()
    step = crit["step"].to_numpy(dtype=float)
    has_data = ~np.isnan(step)

    def per_level(weights) -> np.ndarray:
        return np.bincount(cell, weights=weights, minlength=n * N_LEVELS).reshape(n, N_LEVELS)

    n_applicable, n_rated = per_level(applicable), per_level(has_data & applicable)
    earned = per_level(np.where(has_data & applicable, crit["credit"].to_numpy(dtype=float), 0.0))
    high = crit["credit_high"].to_numpy(dtype=float) if "credit_high" in crit else crit["credit"].to_numpy(dtype=float)
    earned_high = per_level(np.where(applicable, np.nan_to_num(high), 0.0))
    floor = np.full(n * N_LEVELS, np.inf)
    # a criterion without data counts as not achieved in the gate
    np.minimum.at(floor, cell[applicable], np.nan_to_num(step[applicable], nan=_NO_STEP))
    floor = floor.reshape(n, N_LEVELS)
    vacuous = n_applicable == 0
    unknown = ~vacuous & (n_rated < MIN_COVERAGE * n_applicable)

    passed, lower_all_f = np.ones(n, dtype=bool), np.ones(n, dtype=bool)
    level, reach = np.ones(n, dtype=int), np.ones(n, dtype=int)
    for i, lv in enumerate(LEVELS):
        passed &= lower_all_f & (vacuous[:, i] | (~unknown[:, i] & (floor[:, i] >= LARGELY)))
        level = np.where(passed & ~vacuous[:, i], lv, level)  # passed through, never claimed
        reach = np.where(passed, lv, reach)                    # the gate's top, passed-through levels too
        lower_all_f &= vacuous[:, i] | (floor[:, i] >= FULLY)
    applicable_total, rated_total = n_applicable.sum(axis=1), n_rated.sum(axis=1)
    coverage = np.divide(rated_total, applicable_total, out=np.full(n, np.nan), where=applicable_total > 0)
    insufficient = (applicable_total == 0) | (np.nan_to_num(coverage) < MIN_COVERAGE)
    if methodology != PREVIOUS_METHODOLOGY:
        insufficient |= vacuous[:, 0]  # level 2 is never passed through
    levels = np.array(LEVELS)
    bridged = vacuous & (levels[None, :] < level[:, None]) & ~insufficient[:, None]
    out["level"] = pd.array(np.where(insufficient, None, level), dtype="Int64")
    out["score"] = np.where(insufficient, np.nan, _score(earned, n_applicable, vacuous, methodology))
    score_high = np.where(insufficient, np.nan, _score(earned_high, n_applicable, vacuous, methodology))
    out["score_low"] = out["score"]
    out["score_high"] = score_high
    out["coverage"] = coverage
    out["insufficient"] = insufficient
    out["unknown_levels"] = [levels[row].tolist() for row in unknown]
    out["na_levels"] = [levels[row].tolist() for row in vacuous]
    out["bridged"] = bridged.any(axis=1)
    out["bridged_levels"] = [levels[row].tolist() for row in bridged]
    out["gate_reach"] = pd.array(np.where(insufficient, None, reach), dtype="Int64")
    ids = crit["criterion_id"].to_numpy()
    for column, mask in (("na_criteria", ~applicable),
                         ("dk_criteria", crit["dk_open"].to_numpy(dtype=bool) if "dk_open" in crit else None)):
        listed: dict[int, list[str]] = {}
        if mask is not None:
            for g, cid in zip(group[mask], ids[mask], strict=True):
                listed.setdefault(int(g), []).append(cid)
        out[column] = [listed.get(i, []) for i in range(n)]
    return out


def _score(earned: np.ndarray, n_applicable: np.ndarray, vacuous: np.ndarray, methodology: str) -> np.ndarray:
    """1 + the credits of levels 2-5, a passed-through level's credit imputed by the methodology's rule."""
    n = len(earned)
    credit = np.divide(earned, n_applicable, out=np.full(earned.shape, np.nan), where=~vacuous)
    # whether any assessed level lies above each level
    above_any = np.zeros_like(vacuous)
    above_any[:, :-1] = np.cumsum(~vacuous[:, ::-1], axis=1)[:, ::-1][:, 1:] > 0
    if methodology == PREVIOUS_METHODOLOGY:
        below, above = credit.copy(), credit.copy()  # nearest assessed level's credit on each side
        for i in range(1, N_LEVELS):
            below[:, i] = np.where(vacuous[:, i], below[:, i - 1], below[:, i])
            above[:, -1 - i] = np.where(vacuous[:, -1 - i], above[:, -i], above[:, -1 - i])
        imputed = np.fmin(below, above)
    else:
        imputed, carried = credit.copy(), np.ones(n)  # level 1 counts as fully achieved
        for i in range(N_LEVELS):
            carried = np.where(vacuous[:, i], carried, credit[:, i])
            imputed[:, i] = carried
    credit = np.where(vacuous, np.where(above_any, imputed, 0.0), credit)
    return 1.0 + credit.sum(axis=1)


# ---- targets, gaps, priorities -----------------------------------------------------------------

def demand_per_subject(fw: Framework, context: dict[str, int]) -> dict[str, int]:
    """How much the business leans on each subject: the highest importance among the digital
    capabilities the subject supports; subjects no rated capability maps get the median rating
    (rounded down)."""
    if not context:
        return {}
    row = _demand(fw, np.array([[context.get(c.id, np.nan) for c in fw.capabilities]], dtype=float))[0]
    return {s.id: int(d) for s, d in zip(fw.subjects, row, strict=True)}


def _demand(fw: Framework, context: np.ndarray) -> np.ndarray:
    """Demand per (engagement, subject) from business context per (engagement, capability) (NaN: not rated)."""
    supports = np.array([[s.id in (*c.practices, *c.areas) for s in fw.subjects] for c in fw.capabilities])
    rated = ~np.isnan(context)
    # highest rating among the rated capabilities each subject supports (0 where none)
    best = np.where(rated[:, :, None] & supports[None], np.nan_to_num(context)[:, :, None], 0).max(axis=1)
    # a subject no rated capability maps gets the median rating, rounded down; without any
    # business context there is no demand at all
    median = np.full(len(context), np.nan)
    some = rated.any(axis=1)
    median[some] = np.floor(np.nanmedian(context[some], axis=1))
    return np.where(best > 0, best, median[:, None])


def apply_targets(subjects: pd.DataFrame, fw: Framework, engagements: Sequence[EngagementSpec]) -> pd.DataFrame:
    """Demand, target (manual or derived), gap, over-maturity and priority for every subject row."""
    subject_ids = [s.id for s in fw.subjects]
    position = {s: j for j, s in enumerate(subject_ids)}
    by_slug = {e.slug: e for e in engagements}
    slugs = list(subjects["engagement"].cat.categories)
    context = np.array([[by_slug[e].business_context.get(c.id, np.nan) for c in fw.capabilities] for e in slugs],
                       dtype=float).reshape(len(slugs), len(fw.capabilities))
    demand = _demand(fw, context)
    manual = np.full(demand.shape, np.nan)
    reason = np.full(demand.shape, None, dtype=object)
    for i, slug in enumerate(slugs):
        for sid, t in by_slug[slug].targets.items():
            manual[i, position[sid]], reason[i, position[sid]] = t.level, t.reason
    e, j = _ints(subjects["engagement"]), _ints(subjects["subject"])
    d, m = demand[e, j], manual[e, j]
    for_demand = np.array([np.nan] + [TARGET_FOR_DEMAND[k] for k in range(1, 6)])
    derived = for_demand[np.nan_to_num(d).astype(int)]
    has_manual = ~np.isnan(m)
    target = np.where(has_manual, m, derived)
    level = subjects["level"].to_numpy(dtype=float, na_value=np.nan)
    # a target level without applicable criteria can never be claimed: it is reached when the gate
    # passes through it, i.e. every applicable criterion of levels 2 up to it is fully achieved
    target_na = np.array([t == t and int(t) in na for t, na in zip(target, subjects["na_levels"], strict=True)],
                         dtype=bool)
    reach = subjects["gate_reach"].to_numpy(dtype=float, na_value=np.nan)
    met_na = target_na & (np.nan_to_num(reach) >= target) & (level < target)
    gap = np.where(met_na, 0.0, target - level)
    s = subjects
    s["demand"] = pd.array(d, dtype="Float64")
    s["target"] = pd.array(np.where(np.isnan(target), None, target), dtype="Int64")
    s["target_source"] = pd.Series(np.where(has_manual, "manual", np.where(np.isnan(derived), None, "derived")),
                                   index=s.index, dtype=object)
    s["target_reason"] = pd.Series(reason[e, j], index=s.index, dtype=object)
    s["gap"] = pd.array(np.where(np.isnan(gap), None, gap), dtype="Int64")
    s["target_na"] = target_na
    s["over_maturity"] = gap <= -OVER_MATURITY_MARGIN
    weight = np.where(np.isnan(d), DEFAULT_DEMAND, d) / 5
    priority = np.where(gap > 0, ((1 + gap) ** 2 - 1) * weight, np.nan)
    s["priority_score"] = priority
    floors = [floor for floor, _ in PRIORITY_BANDS]
    band = np.select([priority >= f for f in floors], [name for _, name in PRIORITY_BANDS], default="")
    s["priority"] = pd.Series(np.where(np.isnan(priority), None, band), index=s.index, dtype=object)
    return s


# ---- whole engagements -------------------------------------------------------------------------

def asked_criteria(fw: Framework, engagements: Sequence[EngagementSpec]) -> pd.DataFrame:
    """(engagement, criterion_id) for every criterion each engagement asks."""
    slugs, ids = [], []
    for eng in engagements:
        asked = eng.criteria_for(fw)
        slugs += [eng.slug] * len(asked)
        ids += asked
    return pd.DataFrame({"engagement": pd.Categorical(slugs, categories=[e.slug for e in engagements]),
                         "criterion_id": ids})


def score_many(fw: Framework, engagements: Sequence[EngagementSpec], answers: pd.DataFrame,
               consensus: pd.DataFrame, na_reasons: pd.DataFrame | None = None,
               methodology: str = METHODOLOGY_VERSION) -> Scores:
    """Score many engagements at once, in every view.

    answers: current answers of all engagements (see `answer_frame`; with an `engagement`
    column); consensus: engagement, criterion_id, rating (and `rationale`, if known).
    na_reasons: engagement, criterion_id, reason of the current N/A answers (taken from an
    `na_reason` column of the answers when not given); they explain bridged levels. Each
    engagement's own scope, profile, targets and business context apply to it alone.
    `methodology` may name the previous version, to score under its rules.
    """
    engagements = list(engagements)
    if methodology not in (METHODOLOGY_VERSION, PREVIOUS_METHODOLOGY):
        raise ValueError(f"methodology {methodology!r}: this kit scores under {METHODOLOGY_VERSION} or "
                         f"{PREVIOUS_METHODOLOGY}")
    if len({e.slug for e in engagements}) != len(engagements):
        raise ValueError("each engagement may be scored only once per call")
    answers = answer_frame(answers)
    if not len(consensus):
        consensus = pd.DataFrame({"engagement": [], "criterion_id": [], "rating": []})
    asked = asked_criteria(fw, engagements)
    meta = criterion_meta(fw)
    crit = aggregate_criteria(asked, answers, consensus, meta, credit_by_step(fw))
    slugs = [e.slug for e in engagements]
    crit["engagement"] = crit["engagement"].cat.set_categories(slugs)

    subjects = level_view(crit, ["engagement", "subject"], methodology)
    subjects["subject"] = subjects["subject"].cat.set_categories([s.id for s in fw.subjects])
    info = {s.id: s for s in fw.subjects}
    group = {p.id: p.group for p in fw.practices}
    sid = subjects["subject"].astype(str)
    subjects.insert(2, "name", sid.map(lambda i: info[i].name))
    subjects.insert(3, "kind", sid.map(lambda i: info[i].kind))
    subjects.insert(4, "group", sid.map(group))
    subjects = apply_targets(subjects, fw, engagements)
    subjects = subjects.rename(columns={"subject": "id"})
    subjects["id"] = subjects["id"].astype(str)
    if na_reasons is None and "na_reason" in answers:
        na_reasons = answers.loc[answers["rating"].astype(str).eq("NA"), ["engagement", "criterion_id", "na_reason"]] \
            .rename(columns={"na_reason": "reason"})
    subjects["bridged_reasons"] = _bridged_reasons(fw, engagements, subjects, consensus, na_reasons)

    out_crit = crit[["engagement", "criterion_id", "subject", "level", "dimension", "rating", "status", "achieved",
                     "answers", "na", "dk", "spread", "dispersion", "disagreement", "resolved", "na_disputed",
                     "mean_confidence", "unsupported", "consensus_applied"]].rename(columns={"criterion_id": "id"})
    return Scores(
        criteria=out_crit,
        subjects=subjects,
        groups=_groups(subjects),
        value_chain=_value_chain(fw, subjects, slugs),
        areas=_areas(fw, crit, subjects, slugs, methodology),
        dimensions=_dimensions(fw, crit, slugs, methodology),
        headlines=_headlines(engagements, subjects, out_crit),
    )


def score_engagement(fw: Framework, eng: EngagementSpec, answers: pd.DataFrame, consensus: pd.DataFrame,
                     what_if: WhatIf | None = None, na_reasons: pd.DataFrame | None = None,
                     methodology: str = METHODOLOGY_VERSION) -> Scores:
    """Score one engagement from its current answers and consensus values (store.py frames);
    na_reasons: criterion_id, reason of its current N/A answers (see `score_many`)."""
    eng, consensus = apply_what_if(eng, consensus, what_if)
    consensus = consensus.assign(engagement=eng.slug) if len(consensus) else consensus
    if na_reasons is not None:
        na_reasons = na_reasons.assign(engagement=eng.slug)
    return score_many(fw, [eng], answer_frame(answers, eng.slug), consensus, na_reasons,
                      methodology).for_engagement(eng.slug)


def _bridged_reasons(fw: Framework, engagements: Sequence[EngagementSpec], subjects: pd.DataFrame,
                     consensus: pd.DataFrame, na_reasons: pd.DataFrame | None) -> list[list[str]]:
    """Per subject row, why each bridged level has no applicable criteria: the reasons given with
    the N/A answers or the agreed N/A, or the condition declared not to hold ("level 3: ...")."""
    out: list[list[str]] = [[] for _ in range(len(subjects))]
    rows = np.flatnonzero(subjects["bridged"].to_numpy(dtype=bool))
    if not len(rows):
        return out
    by_slug = {e.slug: e for e in engagements}
    agreed: dict[tuple[str, str], str] = {}
    if len(consensus) and "rationale" in consensus:
        na = consensus[consensus["rating"].astype(str).eq("NA")]
        agreed = {(str(e), str(c)): str(r) for e, c, r in zip(na["engagement"], na["criterion_id"], na["rationale"],
                                                              strict=True)}
    given: dict[tuple[str, str], list[str]] = {}
    if na_reasons is not None:
        for e, c, r in zip(na_reasons["engagement"], na_reasons["criterion_id"], na_reasons["reason"], strict=True):
            if isinstance(r, str) and r.strip() and r.strip() not in given.setdefault((str(e), str(c)), []):
                given[(str(e), str(c))].append(r.strip())
    for i in rows:
        slug, sid = str(subjects["engagement"].iloc[i]), subjects["id"].iloc[i]
        eng = by_slug[slug]
        excluded, asked = eng.excluded(fw), set(eng.criteria_for(fw))
        would_ask = set(fw.profiles[eng.profile]) if sid not in eng.full_depth else {c.id for c in fw.criteria}
        reasons: list[str] = []
        for lv in subjects["bridged_levels"].iloc[i]:
            said: list[str] = []
            any_asked = False
            for c in fw.criteria:
                if c.subject != sid or c.level != lv:
                    continue
                if c.id in asked:
                    any_asked = True
                    said += [agreed[(slug, c.id)]] if (slug, c.id) in agreed else given.get((slug, c.id), [])
                elif c.id in excluded and c.id in would_ask:
                    d = excluded[c.id]
                    said.append(f"condition {d.condition!r} does not hold: {d.reason}")
            said = list(dict.fromkeys(said)) or ["not applicable" if any_asked else "no criterion asked at this level"]
            reasons += [f"level {lv}: {r}" for r in said]
        out[i] = reasons
    return out


def _full(view: pd.DataFrame, keys: list[str], sizes: tuple[int, int], column: str) -> np.ndarray:
    """A `level_view` column laid out on every (engagement, key) pair, NaN where nothing was scored."""
    out = np.full(sizes[0] * sizes[1], np.nan)
    at = _ints(view[keys[0]]) * sizes[1] + _ints(view[keys[1]])
    out[at] = view[column].to_numpy(dtype=float, na_value=np.nan)
    return out


def _per_engagement(codes: np.ndarray, n: int, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(sum, count) of the non-missing `values` of each engagement."""
    ok = ~np.isnan(values)
    return (np.bincount(codes[ok], weights=values[ok], minlength=n), np.bincount(codes[ok], minlength=n))


def _mean(total: np.ndarray, count: np.ndarray) -> np.ndarray:
    return np.divide(total, count, out=np.full(len(total), np.nan), where=count > 0)


def _frame(slugs: list[str], names: list[tuple[str, str]], key: str, columns: dict) -> pd.DataFrame:
    """One row per (engagement, item): engagement, `key` (item id), name, then `columns`."""
    n = len(names)
    return pd.DataFrame({
        "engagement": pd.Categorical.from_codes(np.repeat(np.arange(len(slugs)), n), categories=slugs),
        key: np.tile([i for i, _ in names], len(slugs)), "name": np.tile([nm for _, nm in names], len(slugs)),
        **columns})


def _groups(subjects: pd.DataFrame) -> pd.DataFrame:
    """Per engagement and practice group (DSM areas as a fourth row): mean score and level, on target."""
    groups = [*GROUPS, AREA_GROUP]
    slugs = list(subjects["engagement"].cat.categories)
    g = _codes(subjects["group"].fillna(AREA_GROUP), groups)
    key = _ints(subjects["engagement"]) * len(groups) + g
    n = len(slugs) * len(groups)
    size = np.bincount(key, minlength=n)
    score = _per_engagement(key, n, subjects["score"].to_numpy(dtype=float))
    level = _per_engagement(key, n, subjects["level"].to_numpy(dtype=float, na_value=np.nan))
    on_target = np.bincount(key, weights=(subjects["gap"] <= 0).fillna(False).to_numpy(dtype=float), minlength=n)
    out = pd.DataFrame({
        "engagement": pd.Categorical.from_codes(np.repeat(np.arange(len(slugs)), len(groups)), categories=slugs),
        "group": np.tile(groups, len(slugs)), "subjects": size, "scored": score[1],
        "score": _mean(*score), "level": _mean(*level), "on_target": on_target.astype(int)})
    return out[size > 0].reset_index(drop=True)


def _value_chain(fw: Framework, subjects: pd.DataFrame, slugs: list[str]) -> pd.DataFrame:
    """Per engagement and activity: practice scores weighted by their contribution to the activity."""
    practices = [p.id for p in fw.practices]
    weights = np.array([[VALUE_CHAIN_WEIGHT[p.value_chain[a.id]] for a in fw.activities] for p in fw.practices],
                       dtype=float)
    score = np.full((len(slugs), len(practices)), np.nan)
    rows = subjects[subjects["kind"].eq("practice")]
    e = _ints(rows["engagement"])
    p = _codes(rows["id"], practices)
    score[e, p] = rows["score"].to_numpy(dtype=float)
    scored = ~np.isnan(score)
    num, den = np.nan_to_num(score) @ weights, scored @ weights
    count = scored.astype(int) @ (weights > 0).astype(int)
    return _frame(slugs, [(a.id, a.name) for a in fw.activities], "activity", {
        "score": np.divide(num, den, out=np.full_like(num, np.nan), where=den > 0).ravel(),
        "practices": count.ravel()})


def _areas(fw: Framework, crit: pd.DataFrame, subjects: pd.DataFrame, slugs: list[str],
           methodology: str = METHODOLOGY_VERSION) -> pd.DataFrame:
    """Each DSM area from its own criteria plus the practice criteria cross-linked to it."""
    area_ids = [a.id for a in fw.areas]
    informs = pd.DataFrame([{"criterion_id": c.id, "area": a} for c in fw.criteria for a in c.informs],
                           columns=["criterion_id", "area"])
    # only the columns level_view reads: the merge copies every column it is given
    read = ["engagement", "criterion_id", "level", "applicable", "step", "credit", "credit_high", "dk_open"]
    is_area = crit["kind"].eq("area")
    own = crit.loc[is_area, read].assign(area=crit.loc[is_area, "subject"].astype(str))
    linked = crit.loc[crit["kind"].eq("practice"), read].merge(informs, on="criterion_id")
    both = pd.concat([own, linked], ignore_index=True)
    both["area"] = pd.Categorical(both["area"], categories=area_ids)
    both["engagement"] = pd.Categorical(both["engagement"], categories=slugs)
    combined = level_view(both, ["engagement", "area"], methodology)
    sizes = (len(slugs), len(area_ids))
    own_rows = subjects[subjects["kind"].eq("area")]
    own_score = np.full(sizes[0] * sizes[1], np.nan)
    own_score[_ints(own_rows["engagement"]) * sizes[1]
              + _codes(own_rows["id"], area_ids)] = own_rows["score"].to_numpy(dtype=float)
    n_linked = np.bincount(_codes(linked["engagement"], slugs) * sizes[1] + _codes(linked["area"], area_ids),
                           minlength=sizes[0] * sizes[1])
    level = _full(combined, ["engagement", "area"], sizes, "level")
    return _frame(slugs, [(a.id, a.name) for a in fw.areas], "id", {
        "own_score": own_score, "linked_criteria": n_linked,
        "combined_score": _full(combined, ["engagement", "area"], sizes, "score"),
        "combined_level": pd.array(np.where(np.isnan(level), None, level), dtype="Int64")})


def _dimensions(fw: Framework, crit: pd.DataFrame, slugs: list[str],
                methodology: str = METHODOLOGY_VERSION) -> pd.DataFrame:
    view = level_view(crit, ["engagement", "dimension"], methodology)
    sizes = (len(slugs), len(fw.dimensions))
    level = _full(view, ["engagement", "dimension"], sizes, "level")
    return _frame(slugs, [(d.id, d.name) for d in fw.dimensions], "id", {
        "level": pd.array(np.where(np.isnan(level), None, level), dtype="Int64"),
        "score": _full(view, ["engagement", "dimension"], sizes, "score"),
        "coverage": _full(view, ["engagement", "dimension"], sizes, "coverage")})


def lower_median(counts: np.ndarray) -> np.ndarray:
    """Per row of counts of values 0..k-1, the lower median value (-1 for an empty row)."""
    n = counts.sum(axis=1)
    half = (n - 1) // 2 + 1
    return np.where(n > 0, (counts.cumsum(axis=1)[:, :-1] < half[:, None]).sum(axis=1), -1)


def _headlines(engagements: Sequence[EngagementSpec], subjects: pd.DataFrame, crit: pd.DataFrame) -> pd.DataFrame:
    slugs = [e.slug for e in engagements]
    n = len(slugs)
    e = _ints(subjects["engagement"])
    scored = ~subjects["insufficient"].to_numpy()
    gap = subjects["gap"].to_numpy(dtype=float, na_value=np.nan)
    level = subjects["level"].to_numpy(dtype=float, na_value=np.nan)
    targeted = scored & ~np.isnan(gap)

    def count(mask) -> np.ndarray:
        return np.bincount(e, weights=np.asarray(mask, dtype=float), minlength=n).astype(int)

    score = _mean(*_per_engagement(e, n, np.where(scored, subjects["score"].to_numpy(dtype=float), np.nan)))
    levels = np.zeros((n, 6), dtype=int)  # counts of scored subjects at levels 0..5 per engagement
    np.add.at(levels, (e[scored], level[scored].astype(int)), 1)
    median = lower_median(levels)
    ce = _ints(crit["engagement"])
    return pd.DataFrame({
        "engagement": slugs,
        "client": [eng.client for eng in engagements],
        "subjects": np.bincount(e, minlength=n),
        "scored": count(scored),
        "insufficient": count(~scored),
        "score": np.round(score, 2),
        "median_level": pd.array(np.where(median >= 0, median, None), dtype="Int64"),
        "on_target": count(targeted & (gap == 0)),
        "below_target": count(targeted & (gap > 0)),
        "over_maturity": count(targeted & (gap < 0)),
        "over_target": count(targeted & (gap < 0)),  # the same count, named as the tables name it
        **{f"priorities_{b}": count(subjects["priority"].eq(b)) for _, b in PRIORITY_BANDS},
        "disagreements": np.bincount(ce, weights=(crit["disagreement"] & ~crit["resolved"]).to_numpy(dtype=float),
                                     minlength=n).astype(int),
        "resolved_disagreements": np.bincount(ce, weights=(crit["disagreement"] & crit["resolved"])
                                              .to_numpy(dtype=float), minlength=n).astype(int),
        "unsupported": np.bincount(ce, weights=crit["unsupported"].to_numpy(dtype=float), minlength=n).astype(int),
        "bridged": count(scored & subjects["bridged"].to_numpy(dtype=bool)),
    })


# ---- trend -------------------------------------------------------------------------------------

def compare(previous: Scores, current: Scores, changed: Mapping[str, list[str]] | None = None,
            previous_rules: Scores | None = None) -> pd.DataFrame:
    """Trend per subject between two assessments: level and score before and after; criteria
    are matched by id (retired ids read as their `same` successors before scoring), and the ids
    present in only one are listed. `changed`: subject -> the earlier answers' ids that the bank
    has since replaced, split, merged or dropped (`Framework.changed_subjects`); those subjects are marked
    not comparable. `previous_rules`: the earlier assessment scored under the previous
    methodology, as its own report showed it; a subject whose level or score differs between the
    two is `moved_by_rule`, with `level_before_rule` and `score_before_rule` from that scoring."""
    cols = ["id", "level", "score"]
    merged = previous.subjects[cols].merge(current.subjects[cols], on="id", how="outer", suffixes=("_before", ""))
    if previous_rules is not None:
        old = previous_rules.subjects.set_index("id")
        merged["level_before_rule"] = merged["id"].map(old["level"]).astype("Int64")
        merged["score_before_rule"] = merged["id"].map(old["score"])
        level_moved = merged["level_before_rule"].astype(object).fillna(-1) != \
            merged["level_before"].astype(object).fillna(-1)
        score_moved = (merged["score_before_rule"].fillna(-1) - merged["score_before"].fillna(-1)).abs() > 1e-9
        merged["moved_by_rule"] = (level_moved | score_moved).to_numpy(dtype=bool)
    merged["score_change"] = merged["score"] - merged["score_before"]
    merged["level_change"] = (merged["level"] - merged["level_before"]).astype("Int64")
    merged["comparable"] = ~merged["id"].isin(list(changed or {}))
    before, now = set(previous.criteria["id"]), set(current.criteria["id"])
    merged.attrs["criteria_added"] = sorted(now - before)
    merged.attrs["criteria_dropped"] = sorted(before - now)
    merged.attrs["not_comparable"] = {s: list(ids) for s, ids in sorted((changed or {}).items())}
    return merged
