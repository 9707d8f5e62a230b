"""Scoring a million stored answers in every view: the kit's vectorised scorer against plain loops.

Builds 204 engagements x 10 respondents x every criterion of the bank (about 1,000,000 answers,
a third with evidence and a confidence), each in its own response store with its own business
context and a few manual targets, as in real use. Then, timing each phase on its own:

1. store read: the current answers of every store (SQL only);
2. conversion: those rows into one table of categoricals;
3. vectorised: `score_many` in every view (criteria, subjects with targets, gaps and priorities,
   groups, value chain, areas, dimensions, headline);
4. lean loop: the same views in plain Python with float arithmetic (`lean_score`), the baseline
   the speed-up is quoted against;
5. exact loop: criteria and subjects only, with the `statistics` module (`loop_score`).

All three agree on every number (checked); the times are the best of --repeat runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from loop_scoring import lean_score, loop_score  # noqa: I001 (benchmarks/ is on the path when run as a script)
from timing import best_of  # noqa: I001

from dsm_assess.capture.intake import store_answers
from dsm_assess.core.scale import RATINGS as SCALE
from dsm_assess.engagement.spec import EngagementSpec, Target
from dsm_assess.framework.model import load_framework
from dsm_assess.scoring.rules import credit_by_step, score_many
from dsm_assess.store.answers import Answer
from dsm_assess.store.sqlite import open_store, scoring_frame

RATINGS = np.array(["N", "P", "L", "F", "NA", "DK"])
WEIGHTS = np.array([0.2, 0.3, 0.25, 0.18, 0.03, 0.04])


def engagements(fw, n: int, seed: int) -> list[EngagementSpec]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        targets = {"PR.INC": Target(level=int(rng.integers(2, 6)), reason="board decision")} if i % 3 == 0 else {}
        out.append(EngagementSpec(slug=f"e{i:03d}", client=f"Client {i}", assessment_date=dt.date(2026, 1, 1),
                              bank_version=fw.bank_version, profile="full", scope=[s.id for s in fw.subjects],
                              business_context={c.id: int(rng.integers(1, 6)) for c in fw.capabilities},
                              targets=targets))
    return out


def fill_stores(fw, engs, respondents: int, seed: int, folder: Path, open_one=open_store) -> None:
    """Each engagement's answers into its store (`open_one(folder, slug)`: its SQLite file by default)."""
    rng = np.random.default_rng(seed)
    ids = [c.id for c in fw.criteria]
    for eng in engs:
        n = respondents * len(ids)
        ratings = rng.choice(RATINGS, size=n, p=WEIGHTS)
        extra = rng.random(n) < 0.33
        conf = rng.integers(1, 6, n)
        answers = [Answer(f"r{k // len(ids)}@bench.example.com", ids[k % len(ids)], str(r),
                          "not here" if r == "NA" else None, int(conf[k]) if extra[k] else None,
                          "Monthly service report" if extra[k] else None)
                   for k, r in enumerate(ratings)]
        with open_one(folder / eng.slug, eng.slug) as store:
            store_answers(store, fw, answers, source="bench")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--engagements", type=int, default=204)
    ap.add_argument("--respondents", type=int, default=10)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    fw = load_framework()
    engs = engagements(fw, args.engagements, args.seed)
    credit = credit_by_step(fw)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        fill_stores(fw, engs, args.respondents, args.seed, Path(tmp))
        print(f"generate + store: {time.perf_counter() - t:.1f} s")

        def read():
            rows, sizes = [], []
            for eng in engs:
                with open_store(Path(tmp) / eng.slug, eng.slug) as store:
                    got = store.scoring_rows()
                rows += got
                sizes.append(len(got))
            return rows, sizes

        read_time, (rows, sizes) = best_of(args.repeat, read)
    slugs = [e.slug for e in engs]
    convert_time, answers = best_of(args.repeat, lambda: scoring_frame(rows, sizes, slugs))
    consensus = pd.DataFrame({"engagement": [], "criterion_id": [], "rating": []})
    vec_time, scores = best_of(args.repeat, lambda: score_many(fw, engs, answers, consensus))

    asked = [(e.slug, cid) for e in engs for cid in e.criteria_for(fw)]
    owner = np.repeat(slugs, sizes)
    plain = [(slug, r, c, SCALE[x], "yes" if ev else None, conf or np.nan)
             for slug, (r, c, x, conf, ev) in zip(owner, rows, strict=True)]
    lean_time, (lean_crit, views) = best_of(args.repeat, lambda: lean_score(fw, engs, asked, plain, {}, credit))
    meta = {c.id: (c.subject, c.level) for c in fw.criteria}
    exact_time, (exact_crit, exact) = best_of(1, lambda: loop_score(asked, plain, {}, meta, credit))

    checked = check(fw, scores, lean_crit, views, exact_crit, exact)
    total = read_time + convert_time + vec_time
    print(f"answers: {len(rows):,} ({args.engagements} engagements x {args.respondents} respondents x "
          f"{len(fw.criteria)} criteria)")
    print(f"store read (SQL):          {read_time * 1000:6.0f} ms")
    print(f"to categoricals:           {convert_time * 1000:6.0f} ms")
    print(f"vectorised, every view:    {vec_time * 1000:6.0f} ms")
    print(f"read + score, every view:  {total * 1000:6.0f} ms")
    print(f"lean loop, every view:     {lean_time * 1000:6.0f} ms  ({lean_time / vec_time:.1f}x the vectorised)")
    print(f"exact loop, subjects only: {exact_time * 1000:6.0f} ms  ({exact_time / vec_time:.1f}x the vectorised)")
    print(f"results identical: {checked}")


def _same(a, b) -> bool:
    if a is None or (isinstance(a, float) and np.isnan(a)):
        return b is None or (isinstance(b, float) and np.isnan(b)) or b is pd.NA
    return b is not None and b is not pd.NA and abs(float(a) - float(b)) < 1e-9


def check(fw, scores, lean_crit, views, exact_crit, exact) -> str:
    """Assert the three implementations agree on every number; say how much was compared."""
    for r in scores.criteria.itertuples():
        want, exact_want = lean_crit[r.engagement, r.id], exact_crit[r.engagement, r.id]
        assert want["rating"] == exact_want["rating"] and _same(want["dispersion"], exact_want["dispersion"])
        for k in ("answers", "na", "dk", "spread", "dispersion", "mean_confidence"):
            assert _same(want[k], getattr(r, k)), (r.engagement, r.id, k)
        assert (want["disagreement"], want["unsupported"], want["status"]) == \
            (r.disagreement, r.unsupported, r.status), (r.engagement, r.id)
    for r in scores.subjects.itertuples():
        want = views[r.engagement]["subjects"][r.id]
        for k in ("level", "score", "coverage", "target", "gap", "priority_score"):
            assert _same(want[k], getattr(r, k)), (r.engagement, r.id, k, want[k], getattr(r, k))
        level, score, *_ = exact[r.engagement, r.id]
        assert _same(level, r.level) and _same(score, r.score)
    for r in scores.groups.itertuples():
        assert _same(views[r.engagement]["groups"][r.group], r.score)
    for r in scores.value_chain.itertuples():
        assert _same(views[r.engagement]["value_chain"][r.activity], r.score)
    for r in scores.areas.itertuples():
        level, score = views[r.engagement]["areas"][r.id]
        assert _same(level, r.combined_level) and _same(score, r.combined_score)
    for r in scores.dimensions.itertuples():
        assert _same(views[r.engagement]["dimensions"][r.id], r.score)
    for r in scores.headlines.itertuples():
        h = views[r.engagement]["headline"]
        assert (h["scored"], h["on_target"], h["below_target"], h["over_maturity"]) == \
            (r.scored, r.on_target, r.below_target, r.over_maturity)
        assert _same(round(h["score"], 2) if h["score"] is not None else None, r.score)
    return (f"{len(scores.criteria):,} criteria, {len(scores.subjects):,} subjects and every roll-up of "
            f"{len(scores.headlines)} engagements")


if __name__ == "__main__":
    main()
