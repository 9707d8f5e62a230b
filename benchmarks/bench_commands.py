"""Start-up and command times, each as a whole process (what a consultant waits for).

`dsm-assess --help`, `framework check`, `score` of a generated 10-respondent full-profile
engagement, and `load_framework()` in-process with and without the on-disk cache.
Best of five runs each.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent / "dsm-assess"


def best_of(n: int, fn) -> float:
    times = []
    for _ in range(n):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def command(*args: str) -> float:
    return best_of(5, lambda: subprocess.run([str(BIN), *args], check=True, capture_output=True))


def main() -> None:
    from dsm_assess.framework import model as framework
    with tempfile.TemporaryDirectory() as root:
        subprocess.run([str(BIN), "engagement", "generate", "big", "--respondents", "10", "--profile", "full",
                        "--root", root], check=True, capture_output=True)
        print(f"dsm-assess --help:           {command('--help') * 1000:5.0f} ms")
        print(f"dsm-assess framework check:  {command('framework', 'check') * 1000:5.0f} ms")
        print(f"dsm-assess score (10 x 492): {command('score', 'big', '--root', root) * 1000:5.0f} ms")

    def load(cache: bool):
        framework._LOADED.clear()
        if cache:
            os.environ.pop("DSM_ASSESS_NO_CACHE", None)
        else:
            os.environ["DSM_ASSESS_NO_CACHE"] = "1"
        framework.load_framework()

    load(True)  # make sure the cache exists
    print(f"load_framework(), cached:    {best_of(5, lambda: load(True)) * 1000:5.0f} ms")
    print(f"load_framework(), uncached:  {best_of(5, lambda: load(False)) * 1000:5.0f} ms")


if __name__ == "__main__":
    main()
