"""Excel questionnaires: one workbook per respondent out, and every answer back in.

A workbook has an Instructions sheet, one sheet per subject (named by its id), a Glossary sheet
of the terms its statements and guidance use (each criterion's guidance names them) and a very hidden
`_meta` sheet that says which engagement, respondent, bank version and criteria it was made for,
the questionnaire's issue token (recorded in the store when it is exported, see capture.py) and
a checksum so that accidental edits are detected. Only the answer cells are unlocked.
Reading a returned workbook streams only the cells a questionnaire can hold (xlsxread.py),
checks everything and reports every problem of the file together; it stores nothing.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
import zipfile
import zlib
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
from openpyxl.workbook.protection import WorkbookProtection
from openpyxl.worksheet.datavalidation import DataValidation

from dsm_assess.core.errors import DsmError, Problem
from dsm_assess.core.text import xml_safe_problem
from dsm_assess.engagement.spec import EngagementSpec, Respondent
from dsm_assess.formats.sheets import fit_to_page_width, row_height, safe_set
from dsm_assess.formats.xlsxread import XlsxError, XlsxReader
from dsm_assess.formats.xlsxsafe import check_xlsx_file
from dsm_assess.formats.yamlfile import display_path
from dsm_assess.framework.glossary import GlossaryTerm, term_list
from dsm_assess.framework.model import Framework
from dsm_assess.store.answers import (
    TEXT_FIELDS,
    Answer,
    Parsed,
    RowReader,
    dropdown_labels,
    is_blank,
    rating_words,
)

FORMAT = "dsm-assess questionnaire 1"
META = "_meta"
INSTRUCTIONS = "Instructions"
GLOSSARY = "Glossary"
TITLE_ROW, HINT_ROW, HEADER_ROW = 1, 2, 3
FIRST_ROW = HEADER_ROW + 1
# (header, width, answer column?). The widths add up to 168 characters, so that a sheet printed
# one page wide on A4 landscape keeps its 11 pt text at 9 pt or more; long text wraps instead.
COLUMNS = [
    ("Id", 13, False), ("Level", 6, False), ("Statement", 36, False), ("What fully achieved looks like", 32, False),
    ("Rating", 19, True), ("N/A reason", 16, True), ("Confidence (1-5)", 10, True), ("Evidence", 18, True),
    ("Comment", 18, True),
]
COL = {name: i + 1 for i, name in enumerate(["id", "level", "statement", "guidance", "rating", "na_reason",
                                             "confidence", "evidence", "comment"])}
LETTER = {k: openpyxl.utils.get_column_letter(v) for k, v in COL.items()}
ANSWER_KEYS = ("rating", "na_reason", "confidence", "evidence", "comment")
OWN_TEXT = frozenset(COL[k] for k in ("level", "statement", "guidance"))  # the kit's text: never read back
SLACK_ROWS = 20   # rows below a sheet's last question still read (a blank line, a stray note)
META_ROWS = 500   # the hidden sheet has a few rows per subject; nothing beyond this is read
HEADER_FILL = PatternFill("solid", fgColor="1F4E79")
ANSWER_FILL = PatternFill("solid", fgColor="FFF8E1")
THIN = Side(style="thin", color="BFBFBF")


def ids_checksum(engagement: str, respondent: str, bank_version: str, sheets: dict[str, list[str]],
                 token: str | None = None) -> str:
    """A check on the hidden sheet against accidental edits (anyone can recompute it: the issue
    token recorded in the store is what admits a workbook)."""
    payload = "|".join([FORMAT, engagement, respondent, bank_version,
                        *(f"{s}:{','.join(ids)}" for s, ids in sheets.items()), *([token] if token else [])])
    return hashlib.sha256(payload.encode()).hexdigest()


def questionnaire_sheets(fw: Framework, eng: EngagementSpec, respondent: Respondent,
                         only: set[str] | None = None) -> dict[str, list[str]]:
    """Subject -> the criterion ids the respondent is asked (of `only`, if given), in bank order: one
    sheet each."""
    subject_of = fw.subject_of
    sheets: dict[str, list[str]] = {}
    for cid in eng.criteria_for(fw, respondent):
        if only is None or cid in only:
            sheets.setdefault(subject_of[cid], []).append(cid)
    return sheets


def export_workbook(fw: Framework, eng: EngagementSpec, respondent: Respondent, out_dir: Path,
                    prefill: dict[str, Answer] | None = None, *, token: str, sheets: dict[str, list[str]],
                    hints: dict[str, str] | None = None, suffix: str = "") -> Path:
    """Write the respondent's questionnaire; returns its path. `prefill`: criterion id -> answer;
    `sheets`: subject -> criterion ids (`questionnaire_sheets`); `hints`: criterion id -> a note
    shown under its guidance (e.g. the answer to the retired criterion it replaces); `suffix` ends
    the file name (a follow-up's "-follow-up", beside the first questionnaire).

    `token` is the questionnaire's issue token; use `capture.export_questionnaire`, which issues
    and records it, so that the returned workbook is admitted.
    """
    by_id = {c.id: c for c in fw.criteria}
    for cid, answer in (prefill or {}).items():
        for key, what in TEXT_FIELDS.items():
            why = xml_safe_problem(getattr(answer, key) or "")
            if why:
                raise DsmError(f"cannot write the questionnaire of {respondent.email}: the stored {what} of {cid} "
                               f"{why}; record a corrected answer first")
    labels = dropdown_labels(fw)
    terms = glossary_of(fw, [by_id[i] for ids in sheets.values() for i in ids])
    wb = openpyxl.Workbook()
    _instructions(wb.active, fw, eng, respondent, sheets, labels, bool(terms))
    for subject, ids in sheets.items():
        _subject_sheet(wb.create_sheet(subject), fw, subject, [by_id[i] for i in ids], labels, prefill or {},
                       hints or {})
    if terms:
        _glossary_sheet(wb.create_sheet(GLOSSARY), terms)
    _meta(wb, eng, respondent, sheets, token)
    wb.security = WorkbookProtection(lockStructure=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / f"{eng.slug}-{person_part(respondent)}{suffix}{'-prefilled' if prefill else ''}.xlsx"
    tmp = path.with_suffix(".xlsx.tmp")
    wb.save(tmp)
    tmp.replace(path)
    return path


def _subject_sheet(ws, fw: Framework, subject: str, criteria: list, labels: dict[str, str],
                   prefill: dict[str, Answer], hints: dict[str, str]) -> None:
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
    # A warning, not a stop: the instructions invite typed words ("Mostly"), which the import reads;
    # a strict list would refuse them in Excel.
    rating_dv = DataValidation(type="list", formula1='"' + ",".join(labels.values()) + '"', allow_blank=True,
                               showErrorMessage=True, errorStyle="warning", errorTitle="Rating",
                               error="Not one of the list's ratings. The words on the Instructions sheet (such as "
                                     f"{_example_word(fw)}) are read too: choose Yes to keep what you typed.")
    conf_dv = DataValidation(type="list", formula1='"1,2,3,4,5"', allow_blank=True,
                             showErrorMessage=True, errorTitle="Confidence",
                             error="Confidence is a whole number from 1 (a guess) to 5 (certain).")
    ws.add_data_validation(rating_dv)
    ws.add_data_validation(conf_dv)
    for r, c in enumerate(criteria, start=FIRST_ROW):
        safe_set(ws.cell(r, COL["id"]), c.id)
        ws.cell(r, COL["level"], c.level)
        safe_set(ws.cell(r, COL["statement"]), c.statement)
        safe_set(ws.cell(r, COL["guidance"]), _with_terms(fw, c, fw.guidance(c, hints.get(c.id))))
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


def glossary_of(fw: Framework, criteria: list) -> list[tuple[GlossaryTerm, list[str]]]:
    """The glossary terms the criteria's statements and guidance use, alphabetically, each with the
    ids of the criteria that use it."""
    used: dict[str, tuple[GlossaryTerm, list[str]]] = {}
    for c in criteria:
        for term in fw.glossary.used_in(c.statement, c.guidance):
            used.setdefault(term.term, (term, []))[1].append(c.id)
    return sorted(used.values(), key=lambda t: t[0].term.casefold())


def _with_terms(fw: Framework, c, guidance: str) -> str:
    """The guidance cell, ending with the glossary terms the criterion uses (explained on the Glossary
    sheet), so that a respondent finds them from the row they are reading."""
    terms = fw.glossary.used_in(c.statement, c.guidance)
    if not terms:
        return guidance
    return f"{guidance}\n\nTerms explained on the {GLOSSARY} sheet: {term_list(terms)}."


def _glossary_sheet(ws, terms: list[tuple[GlossaryTerm, list[str]]]) -> None:
    """The terms this questionnaire uses, what each means and which statements use it; read only."""
    widths = [("Term", 34), ("What it means", 90), ("Used in", 30)]
    ws.cell(TITLE_ROW, 1, "Terms used in this questionnaire").font = Font(bold=True, size=14)
    for j, (header, width) in enumerate(widths, start=1):
        cell = ws.cell(HEADER_ROW, j, header)
        cell.font, cell.fill = Font(bold=True, color="FFFFFF"), HEADER_FILL
        ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width = width
    for r, (term, ids) in enumerate(terms, start=FIRST_ROW):
        for j, value in enumerate((term.term, term.definition, ", ".join(ids)), start=1):
            safe_set(ws.cell(r, j), value)
            ws.cell(r, j).alignment = Alignment(wrap_text=True, vertical="top")
        ws.cell(r, 1).font = Font(bold=True)
        ws.row_dimensions[r].height = row_height((ws.cell(r, j).value, w) for j, (_, w) in enumerate(widths, start=1))
    ws.freeze_panes = ws.cell(FIRST_ROW, 1)
    fit_to_page_width(ws)
    ws.protection.sheet = True


def _example_word(fw: Framework) -> str:
    """One of the words a respondent may type instead of picking a rating, quoted."""
    words = [w for ws in rating_words(fw).values() for w in ws]
    return f'"{words[0]}"' if words else "a rating's name"


def _instructions(ws, fw: Framework, eng: EngagementSpec, respondent: Respondent, sheets: dict, labels: dict,
                  glossary: bool = False) -> None:
    names = {s.id: s for s in fw.subjects}
    ws.title = INSTRUCTIONS
    ws.column_dimensions["A"].width = 26
    ws.column_dimensions["B"].width = 90
    safe_set(ws["A1"], f"IT service management assessment for {eng.client}")
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
        ("Sending it again", "If you change this workbook after returning it and send it again, your ratings "
                             "replace the earlier ones, and a rating you cleared withdraws your earlier answer."),
        ("Please do not", "rename or delete sheets, or change the Id column: the answers are matched to the "
                          "statements by their ids. Keep your notes in the yellow columns: text elsewhere is "
                          "not read."),
        *([("Terms you may not know", f"The {GLOSSARY} sheet explains them; the guidance of each statement names "
                                      "the ones it uses.")] if glossary else []),
        ("", ""),
        ("Rating", "What it means"),
    ]
    words = rating_words(fw)
    rows += [(labels[p.code], f"{p.plain}" + (f" (achieved {p.band})" if p.band else "")
              + ". You may also type: " + " / ".join(words[p.code])) for p in fw.scale]
    for i, (a, b) in enumerate(rows, start=3):
        safe_set(ws.cell(i, 1), a)  # names and roles are the client's own text: never a formula
        safe_set(ws.cell(i, 2), b)
        ws.cell(i, 1).font = Font(bold=True)
        ws.cell(i, 1).alignment = Alignment(vertical="top")
        ws.cell(i, 2).alignment = Alignment(wrap_text=True, vertical="top")
        ws.row_dimensions[i].height = row_height([(b, 90)])
    fit_to_page_width(ws)
    ws.protection.sheet = True


def _meta(wb, eng: EngagementSpec, respondent: Respondent, sheets: dict[str, list[str]], token: str) -> None:
    ws = wb.create_sheet(META)
    ws.sheet_state = "veryHidden"
    rows = [("format", FORMAT), ("engagement", eng.slug), ("respondent", respondent.email),
            ("bank_version", eng.bank_version), ("profile", eng.profile),
            ("exported_at", dt.datetime.now(dt.UTC).isoformat(timespec="seconds")), ("token", token),
            ("checksum", ids_checksum(eng.slug, respondent.email, eng.bank_version, sheets, token))]
    rows += [("sheet", s, ",".join(ids)) for s, ids in sheets.items()]
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row, start=1):
            safe_set(ws.cell(r, c), value)
    ws.protection.sheet = True




_MODIFIED = re.compile(rb"<dcterms:modified[^>]*>\s*([0-9T:.Z+-]{10,40})\s*</dcterms:modified>")


def person_part(respondent: Respondent) -> str:
    """The respondent as a file name shows them: their name in plain letters ("sam-desk"), else
    the part of their e-mail before the @; never a character a file system refuses."""
    plain = unicodedata.normalize("NFKD", respondent.name).encode("ascii", "ignore").decode().lower()
    word = re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:60].strip("-")
    if not word:
        word = re.sub(r"[^a-z0-9]+", "-", respondent.email.split("@")[0].lower()).strip("-")[:60] or "respondent"
    return word


def saved_at(path: Path) -> str | None:
    """When the workbook was last saved, as its document properties say (ISO 8601), or None."""
    try:
        with zipfile.ZipFile(path) as z:
            info = z.getinfo("docProps/core.xml")
            if info.file_size > 1 << 16:  # a sound properties part is a few hundred bytes
                return None
            found = _MODIFIED.search(z.read(info))
    except (KeyError, OSError, zipfile.BadZipFile):
        return None
    return found.group(1).decode() if found else None


def read_workbook(path: Path, fw: Framework, eng: EngagementSpec) -> Parsed:
    """Validate a returned workbook fully; nothing is stored here.

    Only the rows and columns a questionnaire can hold are read; a value far outside them is a
    located problem, a formatted but empty cell anywhere costs nothing.
    """
    res = Parsed()
    name = display_path(path)
    why = check_xlsx_file(path)
    if why:
        res.add([Problem(name, "", why)])
        return res
    try:
        with XlsxReader(path) as book:
            _read_book(book, fw, eng, name, res)
    except (zipfile.BadZipFile, EOFError, zlib.error) as exc:  # a damaged part, found as it is read
        res.add([Problem(name, "", f"corrupt workbook: {exc}")], keep=True)
    except (XlsxError, OSError, ValueError) as exc:
        res.add([Problem(name, "", f"cannot be read as an Excel workbook ({exc})")], keep=True)
    return res


def _read_book(book: XlsxReader, fw: Framework, eng: EngagementSpec, name: str, res: Parsed) -> None:
    def problem(where: str, message: str) -> None:
        res.add([Problem(name, where, message)])

    meta = _read_meta(book, problem)
    if meta is None:
        return
    if meta["engagement"] != eng.slug:
        problem(f"sheet {META}", f"this workbook belongs to engagement {meta['engagement']!r}, not {eng.slug!r}")
        return
    try:
        respondent = eng.respondent(meta["respondent"])
    except DsmError:
        problem(f"sheet {META}", f"respondent {meta['respondent']!r} is not part of engagement {eng.slug!r}")
        return
    res.respondent, res.token, res.subjects = respondent.email, meta["token"], list(meta["sheets"])
    if meta["bank_version"] != fw.bank_version:
        problem(f"sheet {META}", f"made with question bank {meta['bank_version']}, but this kit has "
                                 f"{fw.bank_version}: export a fresh questionnaire")
        return
    known = {c.id for c in fw.criteria}
    asked = set(eng.criteria_for(fw, respondent))
    reader = RowReader(fw)
    for sheet, ids in meta["sheets"].items():
        if sheet not in book.sheetnames:
            problem(f"sheet {sheet}", "sheet is missing (renamed or deleted?); its answers cannot be matched")
            continue
        unknown = [i for i in ids if i not in known]
        if unknown:
            problem(f"sheet {META}", f"criteria {', '.join(unknown)} are not in the question bank")
            continue
        not_asked = [i for i in ids if i not in asked]
        if not_asked:
            problem(f"sheet {sheet}", f"{respondent.email} is not asked {', '.join(not_asked)} in engagement "
                                      f"{eng.slug!r} (subjects changed since the export?): export a fresh "
                                      "questionnaire")
            continue
        _read_sheet(book, sheet, ids, respondent.email, reader, name, res, problem)
        if res.full:
            return


def _read_meta(book: XlsxReader, problem) -> dict | None:
    if META not in book.sheetnames:
        problem("", f"not a questionnaire exported by this kit: its hidden sheet {META!r} is missing")
        return None
    kv, sheets = {}, {}
    for r, cells in book.rows(META):
        if r > META_ROWS:
            break
        key = cells.get(1)
        if key == "sheet":
            sheets[str(cells.get(2, ""))] = str(cells.get(3, "")).split(",")
        elif isinstance(key, str):
            kv[key] = str(cells[2]) if 2 in cells else None
    if kv.get("format") != FORMAT or not all(kv.get(k) for k in ("engagement", "respondent", "bank_version")):
        problem(f"sheet {META}", "not a questionnaire exported by this kit (its identification is missing)")
        return None
    meta = {"engagement": kv["engagement"], "respondent": kv["respondent"], "bank_version": kv["bank_version"],
            "token": kv.get("token"), "sheets": sheets}
    if kv.get("checksum") != ids_checksum(meta["engagement"], meta["respondent"], meta["bank_version"], sheets,
                                          meta["token"]):
        problem(f"sheet {META}", "the hidden identification sheet was altered; export a fresh questionnaire")
        return None
    return meta


def _read_sheet(book: XlsxReader, sheet: str, ids: list[str], respondent: str, reader: RowReader, name: str,
                res: Parsed, problem) -> None:
    """Read one subject sheet's rows, stopping at the first value far below its questions."""
    expected = set(ids)
    seen: dict[str, int] = {}
    last_question = FIRST_ROW + len(ids) - 1
    header_ok = None
    wide_reported = False
    for r, cells in book.rows(sheet, skip=OWN_TEXT):
        if r < HEADER_ROW:
            continue
        if header_ok is None:
            header_ok = r == HEADER_ROW and cells.get(COL["rating"]) == "Rating" and cells.get(COL["id"]) == "Id"
            if not header_ok:
                break
            continue
        if r > last_question + SLACK_ROWS:
            col = min(cells)
            problem(f"sheet {sheet}, cell {openpyxl.utils.get_column_letter(col)}{r}",
                    f"a value far below the questions (they end at row {last_question}) would not be read; "
                    "clear it or move it into a Comment cell")
            break
        wide = [c for c in cells if c > len(COL)]
        if wide and not wide_reported:
            problem(f"sheet {sheet}, cell {openpyxl.utils.get_column_letter(wide[0])}{r}",
                    f"text right of the {COLUMNS[-1][0]} column would not be read; move it into the "
                    f"{COLUMNS[-1][0]} cell or clear it")
            wide_reported = True
        values = {k: cells.get(j) for k, j in COL.items()}
        cid = values["id"]
        if cid is None and all(is_blank(values[k]) for k in ANSWER_KEYS):
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
        row = reader.read(values, cid, respondent, name, lambda key, r=r: f"sheet {sheet}, cell {LETTER[key]}{r}")
        res.notes += row.notes
        res.warnings += row.warnings
        res.add(row.problems)
        if row.answer:
            res.answers.append(row.answer)
        elif row.blank:
            res.blank.append(cid)
        if res.full:
            return
    if not header_ok:
        problem(f"sheet {sheet}, row {HEADER_ROW}", "the header row was changed or columns were moved")
        return
    for cid in ids:
        if cid not in seen:
            problem(f"sheet {sheet}", f"criterion {cid} is missing (row deleted?)")
