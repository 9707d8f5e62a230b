"""The workbook reader the kit had before bounded parsing: openpyxl's full load, every cell in memory.

Kept only as the baseline `bench_import.py` measures the streaming reader against (the same
checks, the same row reader and the same token read, so that both do the same work).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl

from dsm_assess.capture.workbook import COL, FIRST_ROW, HEADER_ROW, LETTER, META
from dsm_assess.core.errors import Problem
from dsm_assess.engagement.spec import EngagementSpec
from dsm_assess.formats.xlsxsafe import check_xlsx_file
from dsm_assess.framework.model import Framework
from dsm_assess.store.answers import Parsed, RowReader


def read_workbook_full_load(path: Path, fw: Framework, eng: EngagementSpec) -> Parsed:
    """The earlier `read_workbook`: load the whole workbook, then walk every row up to `max_row`."""
    res = Parsed()
    name = str(path)
    why = check_xlsx_file(path)
    if why:
        res.add([Problem(name, "", why)])
        return res
    wb = openpyxl.load_workbook(path, data_only=False)
    rows = list(wb[META].iter_rows(values_only=True))
    kv = {r[0]: r[1] for r in rows if r and r[0] != "sheet"}
    sheets = {r[1]: (r[2] or "").split(",") for r in rows if r and r[0] == "sheet"}
    respondent = eng.respondent(kv["respondent"])
    res.respondent, res.token, res.subjects = respondent.email, kv.get("token"), list(sheets)
    reader = RowReader(fw)
    for sheet in sheets:
        ws = wb[sheet]
        if ws.cell(HEADER_ROW, COL["rating"]).value != "Rating":
            res.add([Problem(name, sheet, "header changed")])
            continue
        for r in range(FIRST_ROW, ws.max_row + 1):
            values = {k: ws.cell(r, j).value for k, j in COL.items()}
            cid = values["id"]
            if cid is None:
                continue
            row = reader.read(values, str(cid).strip(), respondent.email, name,
                              lambda key, r=r, sheet=sheet: f"sheet {sheet}, cell {LETTER[key]}{r}")
            res.add(row.problems)
            if row.answer:
                res.answers.append(row.answer)
            elif row.blank:
                res.blank.append(cid)
    return res
