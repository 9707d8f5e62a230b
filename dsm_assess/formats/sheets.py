"""Layout helpers shared by every workbook and CSV file the kit writes: text no spreadsheet evaluates."""

from __future__ import annotations

import math
import re

_STARTS_ESCAPE = re.compile(r"_(?=x[0-9A-Fa-f]{4}_)")  # an underscore a spreadsheet would read as an escape
PRINT_MARGIN_INCHES = 0.4  # left and right: narrow margins leave more of the page to the text


def xlsx_text(text: str) -> str:
    """Text as a workbook must store it for a spreadsheet to show it unchanged.

    Spreadsheets read `_xHHHH_` as an escaped character and XML turns a carriage return into a
    line feed, so both are written in Excel's own escape (`_x005F_` for the underscore,
    `_x000D_` for the carriage return); xlsxread.py decodes them on the way back.
    """
    if "_x" in text:
        text = _STARTS_ESCAPE.sub("_x005F_", text)
    return text.replace("\r", "_x000D_")


def safe_set(cell, value) -> None:
    """Write a value so no spreadsheet evaluates it: text that looks like a formula stays text,
    and every character comes back as written."""
    cell.value = xlsx_text(value) if isinstance(value, str) else value
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"


# Text a spreadsheet would evaluate when it opens a CSV file (`=`, `+`, `-`, `@`, tab, carriage
# return), or that looks marked already: marked with a leading apostrophe, which spreadsheets
# hide and the kit's CSV reader takes off again.
NEEDS_MARK = re.compile("'*[=+\\-@\t\r]")


def csv_text(text: str) -> str:
    """Text as a CSV cell must carry it so that no spreadsheet evaluates it."""
    return "'" + text if NEEDS_MARK.match(text) else text


def csv_safe(frame):
    """A copy of a table whose text cells are CSV-safe (numbers are left as they are)."""
    return frame.apply(lambda col: col.map(lambda v: csv_text(v) if isinstance(v, str) else v))


def row_height(texts_and_widths) -> float:
    """Height (points) that shows wrapped text in full: spreadsheets do not grow rows written by a library."""
    lines = max((math.ceil(len(str(t)) * 1.1 / max(w - 1, 1)) for t, w in texts_and_widths if t), default=1)
    return 15.0 * max(lines, 1) + 2


def fit_to_page_width(ws) -> None:
    """Printed, a sheet is A4 landscape with narrow side margins and one page wide, however many
    pages long: with the questionnaire's column widths that prints its 11 pt text at 9 pt or more."""
    from openpyxl.worksheet.page import PageMargins  # here: CSV and score output need no openpyxl

    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.page_margins = PageMargins(left=PRINT_MARGIN_INCHES, right=PRINT_MARGIN_INCHES, top=0.6, bottom=0.6)
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
