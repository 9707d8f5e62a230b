"""Excel questionnaires: one workbook per respondent out, and every answer back in.

A workbook has an Instructions sheet, one sheet per subject (named by its id) and a very hidden
`_meta` sheet that says which engagement, respondent, bank version and criteria it was made for,
with a checksum so that tampering is detected. Only the answer cells are unlocked.
Reading a returned workbook checks everything and reports every problem of the file together;
it stores nothing (see capture.py).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from .answers import Answer, Parsed, RowReader, dropdown_labels
from .engagement import Engagement, Respondent
from .errors import Problem
from .framework import Framework
from .sheets import fit_to_page_width, row_height, safe_set
from .xlsxsafe import check_xlsx_file
from .yamlfile import display_path

FORMAT = "dsm-assess questionnaire 1"
META = "_meta"
INSTRUCTIONS = "Instructions"
TITLE_ROW, HINT_ROW, HEADER_ROW = 1, 2, 3
FIRST_ROW = HEADER_ROW + 1
# (header, width, answer column?)
COLUMNS = [
    ("Id", 15, False), ("Level", 7, False), ("Statement", 58, False), ("What fully achieved looks like", 52, False),
    ("Rating", 24, True), ("N/A reason", 28, True), ("Confidence (1-5)", 12, True), ("Evidence", 40, True),
    ("Comment", 40, True),
]
COL = {name: i + 1 for i, name in enumerate(["id", "level", "statement", "guidance", "rating", "na_reason",
                                             "confidence", "evidence", "comment"])}
LETTER = {k: openpyxl.utils.get_column_letter(v) for k, v in COL.items()}
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
ANSWER_FILL = PatternFill("solid", fgColor="FFF8E1")
THIN = Side(style="thin", color="BFBFBF")


def ids_checksum(engagement: str, respondent: str, bank_version: str, sheets: dict[str, list[str]]) -> str:
    payload = "|".join([FORMAT, engagement, respondent, bank_version,
                        *(f"{s}:{','.join(ids)}" for s, ids in sheets.items())])
    return hashlib.sha256(payload.encode()).hexdigest()


def export_workbook(fw: Framework, eng: Engagement, respondent: Respondent, out_dir: Path,
                    prefill: dict[str, Answer] | None = None) -> Path:
    """Write the respondent's questionnaire; returns its path. `prefill`: criterion id -> answer."""
    by_id = {c.id: c for c in fw.criteria}
    sheets: dict[str, list[str]] = {}
    for cid in eng.criteria_for(fw, respondent):
        sheets.setdefault(by_id[cid].subject, []).append(cid)
    labels = dropdown_labels(fw)
    wb = openpyxl.Workbook()
    _instructions(wb.active, fw, eng, respondent, sheets, labels)
    for subject, ids in sheets.items():
        _subject_sheet(wb.create_sheet(subject), fw, subject, [by_id[i] for i in ids], labels, prefill or {})
    _meta(wb, eng, respondent, sheets)
    wb.security = WorkbookProtection(lockStructure=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{eng.slug}-{respondent.email.replace('@', '_at_')}.xlsx"
    tmp = path.with_suffix(".xlsx.tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path


def _subject_sheet(ws, fw: Framework, subject: str, criteria: list, labels: dict[str, str],
                   prefill: dict[str, Answer]) -> None:
    """One subject's statements, with only the answer cells unlocked."""
    purpose = getattr(fw.get(subject), "purpose", None) or fw.get(subject).description
    ws.cell(TITLE_ROW, 1, f"{fw.get(subject).name} ({subject})").font = Font(bold=True, size=14)
    ws.cell(HINT_ROW, 1, purpose).alignment = Alignment(wrap_text=True, vertical="top")
    ws.merge_cells(start_row=HINT_ROW, start_column=1, end_row=HINT_ROW, end_column=len(COLUMNS))
    ws.row_dimensions[HINT_ROW].height = row_height([(purpose, sum(w for _, w, _ in COLUMNS))])
    for j, (header, width, _) in enumerate(COLUMNS, start=1):
        cell = ws.cell(HEADER_ROW, j, header)
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), HEADER_FILL
        cell.alignment = Alignment(wrap_text=True, vertical="center")
        ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width = width
    ws.row_dimensions[HEADER_ROW].height = 32
    rating_dv = DataValidation(type="list", formula1='"' + ",".join(labels.values()) + '"', allow_blank=True,
                               showErrorMessage=True, errorTitle="Rating",
                               error="Pick a rating from the list.")
    conf_dv = DataValidation(type="list", formula1='"1,2,3,4,5"', allow_blank=True,
                             showErrorMessage=True, errorTitle="Confidence",
                             error="Confidence is a whole number from 1 (a guess) to 5 (certain).")
    ws.add_data_validation(rating_dv)
    ws.add_data_validation(conf_dv)
    for r, c in enumerate(criteria, start=FIRST_ROW):
        safe_set(ws.cell(r, COL["id"]), c.id)
        ws.cell(r, COL["level"], c.level)
        safe_set(ws.cell(r, COL["statement"]), c.statement)
        safe_set(ws.cell(r, COL["guidance"]), c.guidance)
        previous = prefill.get(c.id)
        if previous:
            safe_set(ws.cell(r, COL["rating"]), labels[previous.rating])
            safe_set(ws.cell(r, COL["na_reason"]), previous.na_reason)
            ws.cell(r, COL["confidence"], previous.confidence)
            safe_set(ws.cell(r, COL["evidence"]), previous.evidence)
            safe_set(ws.cell(r, COL["comment"]), previous.comment)
        ws.row_dimensions[r].height = row_height((ws.cell(r, j).value, w)
                                                  for j, (_, w, _) in enumerate(COLUMNS, start=1))
        for j, (_, _, answer) in enumerate(COLUMNS, start=1):
            cell = ws.cell(r, j)
            cell.alignment = Alignment(wrap_text=True, vertical="top")
            cell.border = Border(top=THIN, bottom=THIN, left=THIN, right=THIN)
            if answer:
                cell.protection = Protection(locked=False)
                cell.fill = ANSWER_FILL
    last = FIRST_ROW + len(criteria) - 1
    rating_dv.add(f"{LETTER['rating']}{FIRST_ROW}:{LETTER['rating']}{last}")
    conf_dv.add(f"{LETTER['confidence']}{FIRST_ROW}:{LETTER['confidence']}{last}")
    ws.freeze_panes = ws.cell(FIRST_ROW, COL["rating"])
    ws.print_title_rows = f"{HEADER_ROW}:{HEADER_ROW}"
    fit_to_page_width(ws)
    ws.protection.sheet = True
    ws.protection.formatRows = False  # let respondents resize rows to read long text
    ws.protection.formatColumns = False


def _instructions(ws, fw: Framework, eng: Engagement, respondent: Respondent, sheets: dict, labels: dict) -> None:
    names = {s.id: s for s in fw.subjects}
    ws.title = INSTRUCTIONS
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 90
    ws["A1"] = f"IT service management assessment for {eng.client}"
    ws["A1"].font = Font(bold=True, size=16)
    rows = [
        ("Prepared for", f"{respondent.name} ({respondent.role})"),
        ("Please return by", eng.deadline.isoformat() if eng.deadline else "the date agreed with your consultant"),
        ("Questions to", f"{eng.contact.name} <{eng.contact.email}>" if eng.contact else "your consultant"),
        ("Subjects in this workbook", "; ".join(f"{names[s].name} ({s})" for s in sheets)),
        ("Statements to rate", str(sum(len(v) for v in sheets.values()))),
        ("", ""),
        ("How to answer", "Each sheet covers one practice or area. For every statement, pick a Rating from the "
                          "list in the yellow column: how far the statement is true in your organisation today, "
                          "not how it should be. Add a confidence from 1 (a guess) to 5 (certain), and name the "
                          "evidence you could show (a document, report or tool screen). Leave a statement blank "
                          "if you prefer someone else to answer it."),
        ("Not applicable", "Choose NA only when the statement cannot apply to you, and say why in the N/A reason "
                           "column; a missing reason stops the workbook from being accepted."),
        ("Please do not", "rename or delete sheets, or change the Id column: the answers are matched to the "
                          "statements by their ids."),
        ("", ""),
        ("Rating", "What it means"),
    ]
    rows += [(labels[p.code], f"{p.plain}" + (f" (achieved {p.band})" if p.band else "")) for p in fw.scale]
    for i, (a, b) in enumerate(rows, start=3):
        ws.cell(i, 1, a).font = Font(bold=True)
        ws.cell(i, 1).alignment = Alignment(vertical="top")
        ws.cell(i, 2, b).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[i].height = row_height([(b, 90)])
    fit_to_page_width(ws)
    ws.protection.sheet = True


def _meta(wb, eng: Engagement, respondent: Respondent, sheets: dict[str, list[str]]) -> None:
    ws = wb.create_sheet(META)
    ws.sheet_state = "veryHidden"
    rows = [("format", FORMAT), ("engagement", eng.slug), ("respondent", respondent.email),
            ("bank_version", eng.bank_version), ("profile", eng.profile),
            ("exported_at", dt.datetime.now(dt.UTC).isoformat(timespec="seconds")),
            ("checksum", ids_checksum(eng.slug, respondent.email, eng.bank_version, sheets))]
    rows += [("sheet", s, ",".join(ids)) for s, ids in sheets.items()]
    for row in rows:
        ws.append(list(row))
    ws.protection.sheet = True


def read_workbook(path: Path, fw: Framework, eng: Engagement) -> Parsed:
    """Validate a returned workbook fully; nothing is stored here."""
    res = Parsed()
    name = display_path(path)

    def problem(where: str, message: str) -> None:
        res.problems.append(Problem(name, where, message))

    why = check_xlsx_file(path)
    if why:
        problem("", why)
        return res
    try:
        wb = openpyxl.load_workbook(path, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for damaged files; all mean the same to a user
        problem("", f"cannot be read as an Excel workbook ({type(exc).__name__}: {exc})")
        return res
    meta = _read_meta(wb, problem)
    if meta is None:
        return res
    if meta["engagement"] != eng.slug:
        problem(f"sheet {META}", f"this workbook belongs to engagement {meta['engagement']!r}, not {eng.slug!r}")
        return res
    try:
        respondent = eng.respondent(meta["respondent"])
    except Exception:
        problem(f"sheet {META}", f"respondent {meta['respondent']!r} is not part of engagement {eng.slug!r}")
        return res
    res.respondent = respondent.email
    if meta["bank_version"] != fw.bank_version:
        problem(f"sheet {META}", f"made with question bank {meta['bank_version']}, but this kit has "
                                 f"{fw.bank_version}: export a fresh questionnaire")
        return res
    known = {c.id for c in fw.criteria}
    reader = RowReader(fw)
    for sheet, ids in meta["sheets"].items():
        if sheet not in wb.sheetnames:
            problem(f"sheet {sheet}", "sheet is missing (renamed or deleted?); its answers cannot be matched")
            continue
        unknown = [i for i in ids if i not in known]
        if unknown:
            problem(f"sheet {META}", f"criteria {', '.join(unknown)} are not in the question bank")
            continue
        _read_sheet(wb[sheet], sheet, ids, respondent.email, reader, name, res, problem)
    return res


def _read_meta(wb, problem) -> dict | None:
    if META not in wb.sheetnames:
        problem("", f"not a questionnaire exported by this kit: its hidden sheet {META!r} is missing")
        return None
    rows = [[c for c in row] for row in wb[META].iter_rows(values_only=True)]
    kv = {r[0]: r[1] for r in rows if r and r[0] != "sheet"}
    sheets = {r[1]: (r[2] or "").split(",") for r in rows if r and r[0] == "sheet"}
    if kv.get("format") != FORMAT or not all(kv.get(k) for k in ("engagement", "respondent", "bank_version")):
        problem(f"sheet {META}", "not a questionnaire exported by this kit (its identification is missing)")
        return None
    meta = {"engagement": str(kv["engagement"]), "respondent": str(kv["respondent"]),
            "bank_version": str(kv["bank_version"]), "sheets": sheets}
    if kv.get("checksum") != ids_checksum(meta["engagement"], meta["respondent"], meta["bank_version"], sheets):
        problem(f"sheet {META}", "the hidden identification sheet was altered; export a fresh questionnaire")
        return None
    return meta


def _read_sheet(ws, sheet: str, ids: list[str], respondent: str, reader: RowReader, name: str, res: Parsed,
                problem) -> None:
    if ws.cell(HEADER_ROW, COL["rating"]).value != "Rating" or ws.cell(HEADER_ROW, COL["id"]).value != "Id":
        problem(f"sheet {sheet}, row {HEADER_ROW}", "the header row was changed or columns were moved")
        return
    expected = set(ids)
    seen: dict[str, int] = {}
    for r in range(FIRST_ROW, ws.max_row + 1):
        values = {k: ws.cell(r, j).value for k, j in COL.items()}
        cid = values["id"]
        if cid is None and all(values[k] in (None, "") for k in COL if k in ("rating", "evidence", "comment")):
            continue
        where = f"sheet {sheet}, cell {LETTER['id']}{r}"
        cid = str(cid).strip() if cid is not None else ""
        if cid not in expected:
            problem(where, f"id {cid!r} is not one this workbook was made with (was the Id column edited?)"
                    if cid else "the id is missing (was the Id column edited?)")
            continue
        if cid in seen:
            problem(where, f"id {cid} appears twice (also row {seen[cid]})")
            continue
        seen[cid] = r
        answer, notes, problems = reader.read(values, cid, respondent, name,
                                              lambda key, r=r: f"sheet {sheet}, cell {LETTER[key]}{r}")
        res.notes += notes
        res.problems += problems
        if answer:
            res.answers.append(answer)
    for cid in ids:
        if cid not in seen:
            problem(f"sheet {sheet}", f"criterion {cid} is missing (row deleted?)")
