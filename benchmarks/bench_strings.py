"""How pandas stores text, for the kit's frames: Python strings (what `core/frames.py` sets) against
pandas' default Arrow strings, on whole assessments (the store read and every view).

Two generated engagements, a quick scan and a full assessment; each is assessed under both
settings, and the scores must be equal before the times are printed (best of --repeat runs).
"""

from __future__ import annotations

import argparse
import tempfile
from functools import partial
from pathlib import Path

from timing import best_of  # noqa: I001 (benchmarks/ is on the path when run as a script)

from dsm_assess.api import Engagement
from dsm_assess.core.frames import pd
from dsm_assess.demo.generate import generate_engagement
from dsm_assess.framework.model import load_framework


def assess_with(storage: str, engagement: Engagement):
    with pd.option_context("mode.string_storage", storage):
        return engagement.assess().scores


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--repeat", type=int, default=20)
    args = ap.parse_args()
    fw = load_framework()
    root = Path(tempfile.mkdtemp()) / "engagements"
    for slug, profile, respondents in (("scan", "quick-scan", 4), ("full", "full", 8)):
        generate_engagement(fw, slug, respondents=respondents, seed=1, profile=profile, root=root)
        engagement = Engagement(slug, root, framework=fw)
        runs = {}
        for storage in ("pyarrow", "python"):
            assess_with(storage, engagement)  # warm: the framework's tables, the store's first read
            runs[storage] = best_of(args.repeat, partial(assess_with, storage, engagement))
        (arrow, a), (python, b) = runs["pyarrow"], runs["python"]
        for view in ("criteria", "subjects", "areas", "dimensions", "value_chain", "groups"):
            assert getattr(a, view).to_csv() == getattr(b, view).to_csv(), view  # the same table
        print(f"{profile:<11} ({respondents} respondents) assess(): Arrow strings {arrow * 1000:5.0f} ms, "
              f"Python strings {python * 1000:5.0f} ms ({arrow / python:.2f}x)")

if __name__ == "__main__":
    main()
