"""`make demo`: run the pipeline on a sample engagement as far as the kit goes today.

The sample is generated afresh under reports/demo/ (never committed): a synthetic client with
six respondents, one of whom returns an Excel questionnaire that is imported like a real one.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import openpyxl
import papermill as pm

from . import framework
from .assessment import load_assessment
from .capture import export_questionnaire, import_file
from .engagement import engagement_dir, engagement_file, load_engagement
from .generate import generate_engagement
from .planning import parameters, plan_roadmap, read_settings
from .results import headline_table, write_csv
from .roadmap import write_roadmap_csv
from .status import progress, status_summary
from .store import open_store
from .workbook import FIRST_ROW

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "reports" / "demo"
SLUG = "demo"


def fill_like_a_client(path: Path) -> Path:
    """Answer every statement of a workbook the way a cautious respondent might."""
    wb = openpyxl.load_workbook(path)
    ratings = ["L - Largely achieved", "P - Partially achieved", "F - Fully achieved", "N - Not achieved"]
    for ws in wb.worksheets[1:]:
        if ws.sheet_state != "visible":
            continue
        for i, r in enumerate(range(FIRST_ROW, ws.max_row + 1)):
            ws.cell(r, 5, ratings[(i + r) % len(ratings)])
            ws.cell(r, 7, 3 + i % 3)
    returned = path.with_name("returned-" + path.name)
    wb.save(returned)
    return returned


def main() -> None:
    fw = framework.load_framework()
    s = framework.summary(fw)
    print(f"Framework {s['version']} / question bank {s['bank_version']}: {s['areas']} DSM areas, "
          f"{sum(s['practices'].values())} practices, {len(fw.criteria)} criteria, {s['toll_gates']} toll-gates.")

    root = OUT / "engagements"
    shutil.rmtree(root, ignore_errors=True)
    generate_engagement(fw, SLUG, respondents=6, seed=42, profile="quick-scan", client="Northwind Logistics",
                        root=root)
    eng = load_engagement(SLUG, root, fw)
    print(f"Sample engagement {eng.client!r}: {len(eng.respondents)} respondents, profile {eng.profile}.")

    # One respondent answers in Excel: export, fill in, import, exactly as with a client.
    person = eng.respondents[0]
    with open_store(engagement_dir(SLUG, root), SLUG) as store:
        book = export_questionnaire(fw, eng, person, engagement_dir(SLUG, root) / "outbox", store)
        outcome = import_file(fill_like_a_client(book), fw, eng, store, "workbook", root)
    print(f"Questionnaire for {person.name}: {outcome.describe()}")

    assessment = load_assessment(SLUG, root, fw=fw)
    with open_store(engagement_dir(SLUG, root), SLUG) as store:
        current = store.current_answers()
    for r in status_summary(progress(fw, eng, current))["respondents"]:
        print(f"  {r['name']:<20} answered {r['answered']:>3}, N/A {r['na']:>2}, don't know {r['dk']:>2}, "
              f"outstanding {r['outstanding']:>3}")
    print()
    print(headline_table(assessment.scores))
    written = write_csv(assessment.scores, OUT / "scores", SLUG)
    print(f"\nFull results ({len(written)} tables): {written[0].parent.relative_to(ROOT)}/")

    plan = plan_roadmap(assessment, parameters(read_settings(engagement_file(SLUG, root), fw), eng))
    p, last = plan.parameters, plan.projection[plan.projection["wave"] == plan.parameters.waves]
    print(f"\nRoadmap: {len(plan.initiatives)} initiatives in {p.waves} waves of {p.wave_weeks} weeks from {p.start} "
          f"at {p.capacity:g} person-weeks a wave; after wave {p.waves}, "
          f"{int((last['level'] >= last['target']).sum())} of {last['target'].notna().sum()} subjects on target, "
          f"{len({g.subject for g in plan.open_gaps})} gaps still open.")
    written = write_roadmap_csv(plan, OUT / "roadmap", SLUG)
    print(f"Roadmap tables: {written[0].parent.relative_to(ROOT)}/ (or `dsm-assess roadmap {SLUG} --root "
          f"{root.relative_to(ROOT)}`)")

    for name, params in (("01_framework_overview", {}), ("03_assessment_and_roadmap",
                                                         {"slug": SLUG, "root": str(root), "output_dir": str(OUT)})):
        out = OUT / f"{name}.ipynb"
        pm.execute_notebook(ROOT / "notebooks" / f"{name}.ipynb", out, parameters=params, progress_bar=True)
        print(f"Notebook: {out.relative_to(ROOT)}")
    print(f"Sample engagement folder: {engagement_dir(SLUG, root).relative_to(ROOT)}")


if __name__ == "__main__":
    main()
