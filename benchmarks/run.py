"""`make bench`: every benchmark of the kit, one after the other (figures in benchmarks/README.md)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
BENCHMARKS = ["bench_commands.py", "bench_scoring.py", "bench_strings.py", "bench_import.py",
              "bench_planning.py", "bench_worker.py", "bench_batch.py", "bench_form.py", "bench_adaptive.py"]

if __name__ == "__main__":
    sys.path.insert(0, str(HERE))
    for name in BENCHMARKS:
        print(f"== {name}", flush=True)
        sys.argv = [name]
        runpy.run_path(str(HERE / name), run_name="__main__")
