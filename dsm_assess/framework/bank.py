"""The question bank as one table, and its export for consultants to review (CSV or Excel)."""

from __future__ import annotations

from pathlib import Path

from openpyxl.styles import Alignment, Font, PatternFill

from dsm_assess.core.frames import pd
from dsm_assess.formats.sheets import csv_safe, fit_to_page_width, row_height, safe_set
from dsm_assess.framework.model import Framework

COLUMNS = ["id", "subject", "subject_name", "kind", "level", "topic", "statement", "guidance", "evidence",
           "improve", "dimension", "informs", "applies_when", "audiences", "profiles"]
WIDTHS = {"id": 15, "subject": 10, "subject_name": 26, "kind": 9, "level": 6, "topic": 22, "statement": 60,
          "guidance": 60, "evidence": 40, "improve": 50, "dimension": 13, "informs": 18, "applies_when": 22,
          "audiences": 30, "profiles": 16}


def bank_table(fw: Framework) -> pd.DataFrame:
    """One row per criterion with its subject's name and audiences and the profiles that use it."""
    subjects = {s.id: s for s in fw.subjects}
    in_profile = {name: set(ids) for name, ids in fw.profiles.items()}
    rows = []
    conditions = {k.id: k.applies_when for k in fw.conditions}
    for c in fw.criteria:
        s = subjects[c.subject]
        topics = {t.id: t.name for t in s.topics}
        rows.append({
            "id": c.id, "subject": s.id, "subject_name": s.name, "kind": s.kind, "level": c.level,
            "topic": topics.get(c.topic, ""), "applies_when": conditions.get(c.applies_when, ""),
            "statement": c.statement, "guidance": c.guidance, "evidence": "; ".join(c.evidence),
            "improve": c.improve, "dimension": c.dimension, "informs": ", ".join(c.informs),
            "audiences": ", ".join(s.audiences),
            "profiles": ", ".join(n for n, ids in in_profile.items() if c.id in ids),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def export_bank(fw: Framework, path: Path, fmt: str) -> Path:
    """Write the whole bank to `path` as `csv` or `xlsx`; returns the path written."""
    df = bank_table(fw)
    path.parent.mkdir(parents=True, exist_ok=True)
    if fmt == "csv":
        csv_safe(df).to_csv(path, index=False, encoding="utf-8")
        return path
    with pd.ExcelWriter(path, engine="openpyxl") as writer:
        df.to_excel(writer, sheet_name="Question bank", index=False)
        ws = writer.sheets["Question bank"]
        ws.freeze_panes = "B2"
        ws.auto_filter.ref = ws.dimensions
        for cell in ws[1]:
            cell.font = Font(bold=True, color="FFFFFF")
            cell.fill = PatternFill("solid", fgColor="1F4E79")
        for i, col in enumerate(COLUMNS, start=1):
            ws.column_dimensions[ws.cell(1, i).column_letter].width = WIDTHS[col]
        for row in ws.iter_rows(min_row=2):
            for cell in row:
                safe_set(cell, cell.value)
                cell.alignment = Alignment(wrap_text=True, vertical="top")
            ws.row_dimensions[row[0].row].height = row_height((c.value, WIDTHS[col]) for c, col in zip(
                row, COLUMNS, strict=True))
        ws.print_title_rows = "1:1"
        fit_to_page_width(ws)
        info = writer.book.create_sheet("About")
        info.append(["Framework version", fw.version])
        info.append(["Question bank version", fw.bank_version])
        info.append(["Criteria", len(df)])
        info.column_dimensions["A"].width = 24
    return path
