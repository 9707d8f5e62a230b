"""Scoring benchmark: about a million stored answers, vectorised scoring against a Python loop.

Run with `make bench`. Builds 204 engagements x 10 respondents x every criterion of the bank
(about 1,000,000 answers) in a real response store, reads the current answers back, then scores
them once with `score_many` and once with the per-answer loop, checks both agree, and prints
the times and the ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from loop_scoring import loop_score  # noqa: I001 (benchmarks/ is on the path when run as a script)

from dsm_assess.framework import load_framework
from dsm_assess.scoring import credit_by_step, score_many
from dsm_assess.store import Answer, open_store

RATINGS = np.array(["N", "P", "L", "F", "NA", "DK"])
WEIGHTS = np.array([0.2, 0.3, 0.25, 0.18, 0.03, 0.04])


def build(fw, engagements: int, respondents: int, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    ids = np.array([c.id for c in fw.criteria])
    n = engagements * respondents * len(ids)
    return pd.DataFrame({
        "engagement": np.repeat([f"e{i:03d}" for i in range(engagements)], respondents * len(ids)),
        "respondent": np.tile(np.repeat([f"r{j}@bench.example.com" for j in range(respondents)], len(ids)),
                              engagements),
        "criterion_id": np.tile(ids, engagements * respondents),
        "rating": rng.choice(RATINGS, size=n, p=WEIGHTS),
    })


def best_of(repeat: int, fn):
    """Fastest of `repeat` runs (seconds) and the last result: the usual way to time a function."""
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--engagements", type=int, default=204)
    ap.add_argument("--respondents", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    fw = load_framework()
    t0 = time.perf_counter()
    generated = build(fw, args.engagements, args.respondents, args.seed)
    with tempfile.TemporaryDirectory() as tmp:
        # One store per engagement, as in real use.
        for slug, rows in generated.groupby("engagement", sort=False):
            with open_store(Path(tmp) / slug, slug) as store:
                store.record_answers((Answer(r, c, x, "not here" if x == "NA" else None) for r, c, x in zip(
                    rows["respondent"], rows["criterion_id"], rows["rating"], strict=True)),
                    bank_version=fw.bank_version, source="bench")
        t1 = time.perf_counter()
        frames = []
        for slug in generated["engagement"].unique():
            with open_store(Path(tmp) / slug, slug) as store:
                frames.append(store.current_answers())
        # concat turns categoricals with different categories back into strings: re-categorise once
        answers = pd.concat(frames, ignore_index=True).astype(
            {c: "category" for c in ("engagement", "respondent", "criterion_id", "rating")})
        t2 = time.perf_counter()
    # A third of the rated answers carry evidence and a confidence, as in a real engagement.
    rng = np.random.default_rng(args.seed + 1)
    some = rng.random(len(answers)) < 0.33
    answers["evidence"] = np.where(some, "Monthly service report", None)
    answers["confidence"] = np.where(some, rng.integers(1, 6, len(answers)), np.nan)
    print(f"answers: {len(answers):,} ({args.engagements} engagements x {args.respondents} respondents x "
          f"{len(fw.criteria)} criteria)")
    print(f"generate + store: {t1 - t0:.2f} s; read current answers back: {t2 - t1:.2f} s")

    asked = answers[["engagement", "criterion_id"]].drop_duplicates()
    consensus = pd.DataFrame(columns=["engagement", "criterion_id", "rating"])
    meta = {c.id: (c.subject, c.level) for c in fw.criteria}
    credit = credit_by_step(fw)

    def vectorised():
        return score_many(fw, asked, answers, consensus, with_criteria=True)

    def loop():  # starts from the same loaded table and walks it answer by answer
        rows = answers[["engagement", "respondent", "criterion_id", "rating", "evidence", "confidence"]] \
            .itertuples(index=False, name=None)
        return loop_score(asked.itertuples(index=False, name=None), rows, {}, meta, credit)

    vec, (fast_crit, fast) = best_of(args.repeat, vectorised)
    slow_time, (slow_crit, slow) = best_of(args.repeat, loop)

    for r in fast.itertuples():
        level, score, _ = slow[r.engagement, r.subject]
        assert (None if pd.isna(r.level) else int(r.level)) == level, (r.engagement, r.subject)
        assert (score is None and np.isnan(r.score)) or abs(score - r.score) < 1e-9, (r.engagement, r.subject)
    assert len(slow) == len(fast) and len(slow_crit) == len(fast_crit)
    for r in fast_crit.itertuples():
        want = slow_crit[r.engagement, r.criterion_id]
        got = {"answers": r.answers, "na": r.na, "dk": r.dk, "status": r.status, "disagreement": r.disagreement,
               "unsupported": r.unsupported, "rating": None if pd.isna(r.rating) else r.rating,
               "spread": None if np.isnan(r.spread) else int(r.spread)}
        assert got == {k: want[k] for k in got}, (r.engagement, r.criterion_id, got, want)
        if want["dispersion"] is not None:
            assert abs(want["dispersion"] - r.dispersion) < 1e-9
    print(f"vectorised scoring: {vec * 1000:.0f} ms (best of {args.repeat})")
    print(f"python loop:        {slow_time * 1000:.0f} ms (best of {args.repeat})")
    print(f"speed-up:           {slow_time / vec:.1f}x  (results identical for {len(fast_crit):,} criteria and "
          f"{len(fast):,} subjects)")


if __name__ == "__main__":
    main()
