"""Planning the roadmap of a 41-subject engagement with the full profile.

Generates one engagement (every subject, all 492 criteria, 8 respondents, the `struggling`
pattern so that most subjects have a gap), loads and scores it once, then times `plan_roadmap`
(selection, scheduling and the projection, one `score_many` call for every wave; best of
--repeat) at several capacities with the default four waves of 12 weeks, and the whole
`dsm-assess roadmap` command as a process (best of three).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from timing import best_of  # noqa: I001 (benchmarks/ is on the path when run as a script)

from dsm_assess.demo.generate import generate_engagement
from dsm_assess.framework.model import load_framework
from dsm_assess.planning.plan import PlanningSettings, parameters, plan_roadmap
from dsm_assess.scoring.assessment import load_assessment


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--respondents", type=int, default=8)
    ap.add_argument("--seed", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    fw = load_framework()
    with tempfile.TemporaryDirectory() as tmp:
        generate_engagement(fw, "bench", respondents=args.respondents, seed=args.seed, pattern="struggling",
                            profile="full", root=Path(tmp))
        load_time, assessment = best_of(1, lambda: load_assessment("bench", Path(tmp), fw=fw))
        command = [str(Path(sys.executable).parent / "dsm-assess"), "roadmap", "bench", "--root", tmp]
        process_time, _ = best_of(3, lambda: subprocess.run(command, check=True, capture_output=True))
    gaps = int((assessment.scores.subjects["gap"] > 0).sum())
    print(f"engagement: {len(assessment.scores.subjects)} subjects, {len(assessment.scores.criteria)} criteria, "
          f"{gaps} below target; load and score: {load_time * 1000:.0f} ms")
    for capacity in (20, 40, 100, 400):
        params = parameters(PlanningSettings(), assessment.engagement, capacity=capacity)
        seconds, plan = best_of(args.repeat, lambda p=params: plan_roadmap(assessment, p))
        print(f"plan at {capacity:>3} person-weeks a wave: {seconds * 1000:4.0f} ms  ({len(plan.planned)} selected, "
              f"{len(plan.initiatives)} in the plan, {len({g.subject for g in plan.open_gaps})} gaps left open)")
    print(f"dsm-assess roadmap (41 x 492), as a process: {process_time * 1000:.0f} ms")


if __name__ == "__main__":
    main()
