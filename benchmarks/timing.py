"""What the benchmark scripts share."""

from __future__ import annotations

import time


def best_of(repeat: int, fn):
    """Fastest of `repeat` runs (seconds) and the last result."""
    times, result = [], None
    for _ in range(repeat):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return min(times), result
