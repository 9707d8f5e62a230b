"""The bounded streaming reader of returned workbooks: values as a spreadsheet stores them."""

from __future__ import annotations

import zipfile

import pytest

from dsm_assess.formats.xlsxread import XlsxError, XlsxReader, column_number, unescape

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def book(tmp_path, sheet: str, strings: str = "", head: str = '<?xml version="1.0" encoding="UTF-8"?>'):
    """A workbook written the way Excel writes one: shared strings, relative targets."""
    path = tmp_path / "book.xlsx"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("xl/workbook.xml", f'<workbook xmlns="{MAIN}" xmlns:r="{REL}"><sheets>'
                                      '<sheet name="Data" sheetId="1" r:id="rId1"/></sheets></workbook>')
        z.writestr("xl/_rels/workbook.xml.rels",
                   '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                   f'<Relationship Id="rId1" Type="{REL}/worksheet" Target="worksheets/s1.xml"/>'
                   f'<Relationship Id="rId2" Type="{REL}/sharedStrings" Target="/xl/strings.xml"/>'
                   "</Relationships>")
        z.writestr("xl/strings.xml", f'<sst xmlns="{MAIN}">{strings}</sst>')
        z.writestr("xl/worksheets/s1.xml",
                   f'{head}<worksheet xmlns="{MAIN}"><sheetData>{sheet}</sheetData></worksheet>')
    return path


def test_values_come_back_as_stored(tmp_path):
    strings = ("<si><t>plain</t></si>"
               "<si><r><t>rich </t></r><r><rPr><b/></rPr><t>text</t></r><rPh><t>ignored</t></rPh></si>"
               "<si><t>two_x000D_\nlines _x005F_x0041_</t></si>")
    sheet = ('<row r="2"><c r="A2" t="s"><v>0</v></c><c r="B2" t="s"><v>1</v></c><c r="C2" t="s"><v>2</v></c></row>'
             '<row r="3"><c r="A3"><v>3</v></c><c r="B3"><v>2.5</v></c><c r="C3" t="b"><v>1</v></c>'
             '<c r="D3" t="e"><v>#N/A</v></c><c r="E3"><f>1+1</f><v>2</v></c><c r="F3" t="str"><v>x</v></c></row>'
             '<row><c t="inlineStr"><is><t>no ref</t></is></c><c t="inlineStr"><is><t/></is></c><c s="1"/>'
             '<c t="inlineStr"><is><t>third</t></is></c></row>'
             '<row r="1048576"><c r="XFD1048576"><v>1E+400</v></c></row>')
    with XlsxReader(book(tmp_path, sheet, strings)) as x:
        assert x.sheetnames == ["Data"]
        rows = list(x.rows("Data"))
    assert rows[:3] == [
        (2, {1: "plain", 2: "rich text", 3: "two\r\nlines _x0041_"}),
        (3, {1: 3, 2: 2.5, 3: True, 4: "#N/A", 5: "=1+1", 6: "x"}),
        (4, {1: "no ref", 4: "third"}),  # an empty string and a formatted cell hold no value
    ]
    assert rows[3][0] == 1048576 and rows[3][1] == {16384: float("inf")}


def test_a_reader_may_stop_at_any_row(tmp_path):
    sheet = "".join(f'<row r="{r}"><c r="A{r}"><v>{r}</v></c></row>' for r in range(1, 1000))
    with XlsxReader(book(tmp_path, sheet)) as x:
        rows = x.rows("Data")
        assert [next(rows)[0] for _ in range(3)] == [1, 2, 3]
        rows.close()


@pytest.mark.parametrize("head, why", [
    ('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]>', "declares a DTD"),
    ('<?xml version="1.0" encoding="ISO-8859-1"?>', "is not UTF-8"),
    ("<!--" + "x" * 70_000 + "-->", "declares a DTD or has no content"),
])
def test_parts_a_workbook_never_has_are_refused(tmp_path, head, why):
    with XlsxReader(book(tmp_path, '<row r="1"><c r="A1"><v>1</v></c></row>', head=head)) as x, \
            pytest.raises(XlsxError, match=why):
        list(x.rows("Data"))


def test_broken_xml_and_missing_strings_are_refused(tmp_path):
    with XlsxReader(book(tmp_path, '<row r="1"><c r="A1"><v>1</v></row>')) as x, \
            pytest.raises(XlsxError, match="not well-formed"):
        list(x.rows("Data"))
    with XlsxReader(book(tmp_path, '<row r="1"><c r="A1" t="s"><v>7</v></c></row>')) as x, \
            pytest.raises(XlsxError, match="shared string '7', which does not exist"):
        list(x.rows("Data"))


def test_escapes_and_column_letters():
    assert unescape("a_x000B_b_x005F_x0041_") == "a\x0bb_x0041_"
    assert unescape("no escapes") == "no escapes"
    assert [column_number(c) for c in ("A", "I", "Z", "AA", "XFD")] == [1, 9, 26, 27, 16384]
