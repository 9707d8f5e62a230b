"""What bench_import.py runs in a fresh process per file: one import, its time and the process's peak memory."""

from __future__ import annotations

import resource
import time
from pathlib import Path


def import_one(root: str, path: str, kind: str) -> dict:
    """Import one file into engagement `acme` under `root`; seconds, outcome and peak RSS (MB)."""
    from dsm_assess.capture.intake import import_file
    from dsm_assess.engagement.spec import engagement_dir, load_engagement
    from dsm_assess.framework.model import load_framework
    from dsm_assess.store.sqlite import open_store

    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t = time.perf_counter()
    fw = load_framework()
    eng = load_engagement("acme", root, fw)
    with open_store(engagement_dir("acme", root), "acme") as store:
        outcome = import_file(Path(path), fw, eng, store, kind, root)
    seconds = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    return {"seconds": seconds, "outcome": outcome.outcome, "peak_mb": peak / 1024,
            "own_mb": (peak - start_rss) / 1024}
