"""Effort of the adaptive path (a first round, then follow-ups) against the quick scan and the full bank.

For the demo client and generated engagements of each pattern (demo/generate.py), the simulated
respondents answer every criterion of the bank. Each way of asking then sees only what it would
have asked, and is scored on that:

- full bank: every criterion;
- quick scan: the `quick-scan` profile;
- adaptive: a first round (the `stepwise` or the `screening` profile), then `questionnaire
  follow-up` run again after every round of answers until it asks nothing more.

Printed per engagement: statements per respondent (mean) for each, how many subjects' levels equal
the full bank's, the mean absolute score difference, the subjects left screened and the follow-up
rounds. The goal (issue 31): at most half the quick scan's statements, with levels equal in at
least 90 % of subjects. `--curve` adds the trade-off of statements against agreement when a level
is taken as reached after only its first N criteria (`confirm`), which the kit itself never does.

    python benchmarks/bench_adaptive.py [--seeds 2] [--curve]
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from dsm_assess.capture.followup import plan_follow_up  # noqa: E402
from dsm_assess.demo import data as demo  # noqa: E402
from dsm_assess.demo.generate import PATTERNS, generate_engagement  # noqa: E402
from dsm_assess.engagement.spec import EngagementSpec, engagement_dir  # noqa: E402
from dsm_assess.framework.model import Framework, load_framework  # noqa: E402
from dsm_assess.scoring.depth import mark_depth  # noqa: E402
from dsm_assess.scoring.rules import score_engagement  # noqa: E402
from dsm_assess.store.sqlite import open_store  # noqa: E402

NO_CONSENSUS = pd.DataFrame({"criterion_id": [], "rating": []})
FIRST_ROUNDS = ("stepwise", "screening")
CURVE = (1, 2, 3, None)  # criteria of a level asked before it is taken as reached; None: every one


def asked_answers(fw: Framework, eng: EngagementSpec, every: pd.DataFrame) -> pd.DataFrame:
    """The answers a respondent gives when asked only what `eng` asks them."""
    keep = {(r.email, cid) for r in eng.respondents for cid in eng.criteria_for(fw, r)}
    mask = [(a, c) in keep for a, c in zip(every["respondent"], every["criterion_id"], strict=True)]
    return every[mask].reset_index(drop=True)


def statements(fw: Framework, eng: EngagementSpec) -> float:
    return float(np.mean([len(eng.criteria_for(fw, r)) for r in eng.respondents]))


def scored(fw: Framework, eng: EngagementSpec, answers: pd.DataFrame) -> pd.DataFrame:
    frame = answers[["respondent", "criterion_id", "rating"]].assign(confidence=pd.NA, has_evidence=False)
    s = mark_depth(score_engagement(fw, eng, frame, NO_CONSENSUS), fw, [eng])
    return s.subjects.set_index("id")


def compare(full: pd.DataFrame, other: pd.DataFrame) -> tuple[float, float]:
    """(share of subjects whose level equals the full bank's, mean absolute score difference)."""
    a, b = full["level"].astype("Float64"), other["level"].astype("Float64")
    equal = ((a == b).fillna(False) | (a.isna() & b.isna())).mean()
    return float(equal), float((full["score"] - other["score"]).abs().mean())


def adaptive(fw: Framework, base: EngagementSpec, every: pd.DataFrame, first: str,
             confirm: int | None = None) -> tuple[EngagementSpec, int]:
    """The engagement after its first round and every follow-up round (each answered by the same
    simulated respondents), and how many follow-up rounds asked something."""
    eng = base.model_copy(update={"profile": first, "full_depth": [], "follow_up": {}})
    rounds = 0
    while True:
        plans = plan_follow_up(fw, eng, asked_answers(fw, eng, every), confirm=confirm)
        if not any(p.new for p in plans):
            return eng, rounds
        asked = {email: list(ids) for email, ids in eng.follow_up.items()}
        for p in plans:
            asked.setdefault(p.email, []).extend(p.new)
        eng, rounds = eng.model_copy(update={"follow_up": asked}), rounds + 1


def measure(fw: Framework, base: EngagementSpec, every: pd.DataFrame, confirm: int | None = None,
            firsts: tuple[str, ...] = FIRST_ROUNDS) -> dict:
    full = base.model_copy(update={"profile": "full", "full_depth": [], "follow_up": {}})
    quick = base.model_copy(update={"profile": "quick-scan", "full_depth": [], "follow_up": {}})
    ref = scored(fw, full, asked_answers(fw, full, every))
    q = scored(fw, quick, asked_answers(fw, quick, every))
    out = {"full": statements(fw, full), "quick": statements(fw, quick), "quick_vs_full": compare(ref, q)}
    for first in firsts:
        eng, rounds = adaptive(fw, base, every, first, confirm)
        got = scored(fw, eng, asked_answers(fw, eng, every))
        start = base.model_copy(update={"profile": first, "full_depth": [], "follow_up": {}})
        out[first] = {"first": statements(fw, start), "asked": statements(fw, eng), "vs_full": compare(ref, got),
                      "screened": int(got["screened"].sum()), "rounds": rounds}
    return out


def demo_case(fw: Framework) -> tuple[EngagementSpec, pd.DataFrame]:
    rnd = demo.ROUNDS[-1]
    crowd = demo.people(fw, False)
    eng = demo.engagement_for(fw, rnd, crowd).model_copy(update={"profile": "full", "full_depth": []})
    rows = [(email, cid, a["rating"]) for email, mine in demo.answers_for(fw, eng, rnd, crowd).items()
            for cid, a in mine.items()]
    return eng, pd.DataFrame(rows, columns=["respondent", "criterion_id", "rating"])


def generated_case(fw: Framework, root: Path, pattern: str, seed: int) -> tuple[EngagementSpec, pd.DataFrame]:
    slug = f"{pattern}-{seed}"
    eng = generate_engagement(fw, slug, respondents=5, seed=seed, pattern=pattern, profile="full", root=root)
    with open_store(engagement_dir(slug, root), slug) as st:
        return eng, st.current_answers()


def summary(results: list[dict], first: str) -> tuple[float, float, float]:
    """Mean over engagements: (share of the quick scan's statements, levels equal, |score diff|)."""
    return (float(np.mean([m[first]["asked"] / m["quick"] for m in results])),
            float(np.mean([m[first]["vs_full"][0] for m in results])),
            float(np.mean([m[first]["vs_full"][1] for m in results])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=2, help="generated engagements per pattern")
    parser.add_argument("--curve", action="store_true", help="also the trade-off of statements against agreement")
    args = parser.parse_args()
    fw = load_framework()
    root = Path(tempfile.mkdtemp(prefix="dsm-bench-adaptive-"))
    cases = [("demo", *demo_case(fw))]
    try:
        for pattern in PATTERNS:
            for seed in range(1, args.seeds + 1):
                cases.append((f"{pattern} (seed {seed})", *generated_case(fw, root, pattern, seed)))
    finally:
        shutil.rmtree(root, ignore_errors=True)
    print(f"{'':22} {'':>5} {'':>6}  {'stepwise':^42}  {'screening':^42}  {'quick scan':^10}")
    head = f"{'first':>5} {'all':>4} {'/quick':>6} {'equal':>5} {'|diff|':>6} {'scr':>4} {'rnd':>3}"
    print(f"{'engagement':<22} {'full':>5} {'quick':>6}  {head}  {head}  {'equal':>5} {'|diff|':>6}")
    results = []
    for name, eng, every in cases:
        m = measure(fw, eng, every)
        results.append(m)
        cols = "  ".join(f"{a['first']:>5.0f} {a['asked']:>4.0f} {a['asked'] / m['quick']:>6.0%} "
                         f"{a['vs_full'][0]:>5.0%} {a['vs_full'][1]:>6.2f} {a['screened']:>4} {a['rounds']:>3}"
                         for a in (m[f] for f in FIRST_ROUNDS))
        print(f"{name:<22} {m['full']:>5.0f} {m['quick']:>6.0f}  {cols}  "
              f"{m['quick_vs_full'][0]:>5.0%} {m['quick_vs_full'][1]:>6.2f}")
    print()
    for first in FIRST_ROUNDS:
        ratio, equal, diff = summary(results, first)
        print(f"mean, {first} first: {ratio:.0%} of the quick scan's statements; levels equal to the full bank's in "
              f"{equal:.0%} of subjects; |score diff| {diff:.2f} (goal: at most 50 %, at least 90 %)")
    quick_equal = np.mean([m["quick_vs_full"][0] for m in results])
    quick_diff = np.mean([m["quick_vs_full"][1] for m in results])
    print(f"mean, quick scan: 100 %; levels equal in {quick_equal:.0%}; |score diff| {quick_diff:.2f}")
    if not args.curve:
        return
    print("\ntrade-off: a level taken as reached after its first N criteria")
    for first in FIRST_ROUNDS:
        for confirm in CURVE:
            runs = [measure(fw, eng, every, confirm, (first,)) for _, eng, every in cases]
            ratio, equal, diff = summary(runs, first)
            print(f"  {first:<10} N = {'all' if confirm is None else confirm:<4} {ratio:>5.0%} of the quick scan, "
                  f"levels equal {equal:>4.0%}, |score diff| {diff:.2f}")


if __name__ == "__main__":
    main()
