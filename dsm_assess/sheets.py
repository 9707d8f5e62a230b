"""Layout helpers shared by every workbook the kit writes (questionnaires, the bank export)."""

from __future__ import annotations

import math


def safe_set(cell, value) -> None:
    """Write a value so no spreadsheet evaluates it: text that looks like a formula stays text."""
    cell.value = value
    if isinstance(value, str) and cell.data_type == "f":
        cell.data_type = "s"


def row_height(texts_and_widths) -> float:
    """Height (points) that shows wrapped text in full: spreadsheets do not grow rows written by a library."""
    lines = max((math.ceil(len(str(t)) * 1.1 / max(w - 1, 1)) for t, w in texts_and_widths if t), default=1)
    return 15.0 * max(lines, 1) + 2


def fit_to_page_width(ws) -> None:
    """Printed, a sheet is landscape and one page wide, however many pages long."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
