"""One batch worker's time per engagement, warm: what `dsm-assess batch` spends on each report.

Generates a few engagements like bench_batch.py's (quick scan, 4 respondents), warms the worker
up on the first (framework loaded, modules imported, fonts cached), then times `batch.run_task`
(forced) on each of the others, best of three, split into gathering the inputs, drawing the
charts and building the document. `--profile` prints a cProfile of one warm engagement instead.
`--audiences executive,full,backlog` times a batch that writes several audiences.
"""

from __future__ import annotations

import os

# every plan searched afresh, as for a client whose answers have just changed (the kit otherwise
# keeps a solved plan and serves it again for the same inputs)
os.environ["DSM_ASSESS_NO_CACHE"] = "1"

import argparse
import cProfile
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import best_of  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--engagements", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--audiences", default="full")
    ap.add_argument("--profile", action="store_true", help="cProfile one warm engagement")
    ap.add_argument("--sort", default="cumulative", help="cProfile order: cumulative or tottime")
    args = ap.parse_args()

    from dsm_assess import batch
    from dsm_assess.demo.generate import generate_engagement
    from dsm_assess.framework.model import load_framework

    fw = load_framework()
    audiences = tuple(args.audiences.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "engagements"
        slugs = [f"c{i:03d}" for i in range(args.engagements + 1)]
        for i, slug in enumerate(slugs):
            generate_engagement(fw, slug, respondents=4, seed=i, profile="quick-scan", root=root)
        tasks = [batch.Task(slug, str(root), f"{tmp}/out/{slug}", audiences=audiences, force=True) for slug in slugs]
        warm = batch.run_task(tasks[0])
        if warm.status != "done":
            raise SystemExit(f"warm-up failed: {warm.error}")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.runcall(batch.run_task, tasks[1])
            pstats.Stats(profiler).sort_stats(args.sort).print_stats(45)
            return
        for task in tasks[1:]:
            seconds, outcome = best_of(args.repeat, lambda t=task: batch.run_task(t))
            assert outcome.status == "done", outcome.error
            print(f"{task.slug} ({'+'.join(audiences)}): {seconds * 1000:6.0f} ms a warm engagement (best of "
                  f"{args.repeat})", flush=True)
        started = time.perf_counter()
        for task in tasks[1:]:
            batch.run_task(task)
        mean = (time.perf_counter() - started) / (len(tasks) - 1)
        print(f"mean over {len(tasks) - 1} engagements: {mean * 1000:.0f} ms")


if __name__ == "__main__":
    main()
