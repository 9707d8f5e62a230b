"""`make demo`: run the pipeline on the shipped demo as far as the kit goes today."""

from __future__ import annotations

from pathlib import Path

import papermill as pm

from . import framework

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    fw = framework.load_framework()
    s = framework.summary(fw)
    print(f"Framework {s['version']} / question bank {s['bank_version']}: {s['areas']} DSM areas, "
          f"{sum(s['practices'].values())} practices, {len(fw.criteria)} criteria, "
          f"{s['toll_gates']} toll-gates.")
    out = ROOT / "reports" / "demo"
    out.mkdir(parents=True, exist_ok=True)
    nb = out / "01_framework_overview.ipynb"
    pm.execute_notebook(ROOT / "notebooks" / "01_framework_overview.ipynb", nb, progress_bar=True)
    print(f"Framework overview notebook: {nb.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
