"""Spreadsheet helpers: formula-safe writing and row heights."""

from __future__ import annotations

import openpyxl

from dsm_assess.formats.sheets import fit_to_page_width, row_height, safe_set


def test_formula_like_text_stays_text_and_other_values_keep_their_type():
    ws = openpyxl.Workbook().active
    for ref, value in (("A1", "=1+1"), ("A2", "+44 20 7946 0000"), ("A3", 42), ("A4", "plain")):
        safe_set(ws[ref], value)
    assert [ws[r].data_type for r in ("A1", "A2", "A3", "A4")] == ["s", "s", "n", "s"]
    assert ws["A1"].value == "=1+1"


def test_row_height_fits_the_longest_wrapped_text():
    # 100 characters in a column 21 wide: 100 x 1.1 / 20 = 5.5, so 6 lines of 15 points, plus 2.
    assert row_height([("x" * 100, 21), ("short", 10)]) == 6 * 15 + 2
    assert row_height([(None, 10), ("", 10)]) == 15 + 2


def test_printed_one_page_wide():
    ws = openpyxl.Workbook().active
    fit_to_page_width(ws)
    assert (ws.page_setup.orientation, ws.page_setup.fitToWidth, ws.page_setup.fitToHeight) == ("landscape", 1, 0)
    assert ws.sheet_properties.pageSetUpPr.fitToPage is True


def test_text_a_spreadsheet_would_read_as_an_escape_is_written_so_it_shows_unchanged():
    from dsm_assess.formats.sheets import xlsx_text
    from dsm_assess.formats.xlsxread import unescape

    assert xlsx_text("a_x0041_b") == "a_x005F_x0041_b"
    assert xlsx_text("cr\r\nlf") == "cr_x000D_\nlf"
    assert xlsx_text("_x_ and _x12_ stay") == "_x_ and _x12_ stay"
    for text in ("_x005F_x0041_", "__x0041__x0042_", "_x0041__x0042_", "x\r"):
        assert unescape(xlsx_text(text)) == text
