"""Regenerating many reports: a plain sequential papermill loop against `dsm-assess batch --jobs 2`.

Generates N engagements (quick-scan, 4 respondents), then times in one run (a) papermill
executing notebook 03 once per engagement, one after the other, and (b) `dsm-assess batch
--jobs 2 --force` over the same engagements, and records each one's peak memory (the largest
resident set of the process tree, sampled). Run with --engagements 25, 50 and 100 to see that
memory stays flat as the number grows.
"""

from __future__ import annotations

import os

# every plan searched afresh, as for a client whose answers have just changed (the kit otherwise
# keeps a solved plan and serves it again for the same inputs)
os.environ["DSM_ASSESS_NO_CACHE"] = "1"

import argparse
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

BIN = Path(sys.executable).parent
NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "03_assessment_and_roadmap.ipynb"


def peak_rss(cmd: list[str]) -> tuple[float, float]:
    """(seconds, peak MB summed over the process and its children) of running `cmd`."""
    import psutil

    start = time.perf_counter()
    proc = psutil.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    peak = 0.0
    done = threading.Event()

    def sample():
        nonlocal peak
        while not done.is_set():
            try:
                procs = [proc, *proc.children(recursive=True)]
                peak = max(peak, sum(p.memory_info().rss for p in procs if p.is_running()) / 2**20)
            except psutil.Error:
                pass
            time.sleep(0.05)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    proc.wait()
    done.set()
    thread.join()
    if proc.returncode:
        raise SystemExit(f"{cmd[:3]} failed with exit code {proc.returncode}")
    return time.perf_counter() - start, peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--engagements", type=int, default=25)
    ap.add_argument("--skip-papermill", action="store_true", help="time only the batch")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "engagements"
        for i in range(args.engagements):
            subprocess.run([BIN / "dsm-assess", "engagement", "generate", f"c{i:03d}", "--respondents", "4",
                            "--profile", "quick-scan", "--seed", str(i), "--root", root], check=True,
                           capture_output=True)
        loop = f"""
import papermill as pm, sys
for i in range({args.engagements}):
    slug = f"c{{i:03d}}"
    pm.execute_notebook({str(NOTEBOOK)!r}, f"{tmp}/pm/{{slug}}.ipynb", progress_bar=False, cwd={str(NOTEBOOK.parent)!r},
                        parameters={{"slug": slug, "root": {str(root)!r}, "output_dir": f"{tmp}/pm"}})
"""
        Path(tmp, "pm").mkdir()
        # this machine is shared: the load average says how much of the figures is other work
        print("load average at the start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
        if not args.skip_papermill:
            pm_time, pm_peak = peak_rss([sys.executable, "-c", loop])
            print(f"papermill loop:   {pm_time:7.1f} s  peak {pm_peak:6.0f} MB  ({args.engagements} engagements)")
        batch_time, batch_peak = peak_rss([str(BIN / "dsm-assess"), "batch", str(root), "--out-dir", f"{tmp}/batch",
                                           "--jobs", "2", "--force", "--json"])
        print(f"batch --jobs 2:   {batch_time:7.1f} s  peak {batch_peak:6.0f} MB")
        if not args.skip_papermill:
            print(f"speed-up:         {pm_time / batch_time:.1f}x")
        print("load average at the end:   {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
