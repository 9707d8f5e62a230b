"""The roadmap planner against the greedy scheduler it replaces, on generated engagements.

Generates --engagements engagements (every maturity pattern, both profiles, seeds in turn; three
respondents each), scores each once, and plans each at one of several capacities and wave
counts with both planners. Prints, per planner, the priority-weighted levels gained (what the
planner maximises), the subjects brought to target, the person-weeks left unused, and the time
per plan (`plan_roadmap`, projection included); then the engagements where the new planner buys
more, the same or less than the greedy one, and the slowest plan.
"""

from __future__ import annotations

import os

# every plan searched afresh, as for a client whose answers have just changed (the kit otherwise
# keeps a solved plan and serves it again for the same inputs)
os.environ["DSM_ASSESS_NO_CACHE"] = "1"

import argparse
import itertools
import tempfile
import time
from pathlib import Path

from dsm_assess.demo.generate import PATTERNS, generate_engagement
from dsm_assess.framework.model import load_framework
from dsm_assess.planning.plan import PlanningSettings, parameters, plan_roadmap
from dsm_assess.planning.value import plan_value
from dsm_assess.scoring.assessment import load_assessment

PLANS = [(40, 4), (20, 4), (60, 4), (30, 6), (100, 2)]   # (capacity, waves), in turn


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--engagements", type=int, default=50)
    args = ap.parse_args()
    fw = load_framework()
    kinds = itertools.cycle(itertools.product(PATTERNS, ("full", "quick-scan")))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for n in range(args.engagements):
            pattern, profile = next(kinds)
            slug = f"b{n}"
            generate_engagement(fw, slug, respondents=3, seed=n + 1, pattern=pattern, profile=profile,
                                root=Path(tmp))
            a = load_assessment(slug, Path(tmp), fw=fw)
            capacity, waves = PLANS[n % len(PLANS)]
            params = parameters(PlanningSettings(), a.engagement, capacity=capacity, waves=waves)
            row = {"engagement": f"{pattern}/{profile}/{capacity}x{waves}"}
            for method in ("greedy", "solver"):
                t = time.process_time()
                plan = plan_roadmap(a, params, method=method)
                seconds = time.process_time() - t
                v = plan_value(plan)
                row[method] = (v.weighted, len(v.brought_to_target), sum(v.unused), seconds, plan.status)
            rows.append(row)
            g, s = row["greedy"], row["solver"]
            print(f"{row['engagement']:<28} greedy {g[0]:7.1f} ({g[1]:2d} to target, {g[2]:6.1f} pw unused, "
                  f"{g[3]:.2f} s)  new {s[0]:7.1f} ({s[1]:2d}, {s[2]:6.1f} pw, {s[3]:.2f} s, {s[4]})", flush=True)
    total = {m: sum(r[m][0] for r in rows) for m in ("greedy", "solver")}
    better = sum(r["solver"][0] > r["greedy"][0] + 1e-9 for r in rows)
    same = sum(abs(r["solver"][0] - r["greedy"][0]) <= 1e-9 for r in rows)
    worse = len(rows) - better - same
    print()
    for m, label in (("greedy", "greedy"), ("solver", "new")):
        print(f"{label:<7} weighted levels {total[m]:8.1f}  brought to target {sum(r[m][1] for r in rows):4d}  "
              f"unused {sum(r[m][2] for r in rows):8.1f} pw  time per plan mean "
              f"{sum(r[m][3] for r in rows) / len(rows):.2f} s, max {max(r[m][3] for r in rows):.2f} s")
    print(f"new against greedy: {100 * (total['solver'] / total['greedy'] - 1):+.1f} % in total; more on {better}, "
          f"the same on {same}, less on {worse} of {len(rows)} engagements; "
          f"{sum(r['solver'][4] == 'optimal' for r in rows)} plans proved optimal")


if __name__ == "__main__":
    main()
