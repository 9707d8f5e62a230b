"""The Word details the report needs that python-docx does not offer: a table of contents field
with its entries already filled in, header rows that repeat on every page, page-number fields,
alt text on pictures, and text that XML cannot hold; and fast paths for what python-docx does
slowly (looking styles up by name, filling tables cell by cell). Everything that touches the XML
is here, so report.py speaks only of sections, tables and charts.
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from docx.enum.style import WD_STYLE_TYPE
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Cm
from docx.text.paragraph import Paragraph

# Characters XML 1.0 cannot hold. Capture refuses them on the way in; text stored before that
# rule shows them as a visible marker here rather than breaking the document.
_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_text(text: object) -> str:
    """Text as given, with any character XML cannot hold shown as [U+XXXX]."""
    return _ILLEGAL.sub(lambda m: f"[U+{ord(m.group()):04X}]", "" if text is None else str(text))


def _field(run, instruction: str) -> None:
    """A complex field (begin, instruction, separate) in `run`; the caller ends it."""
    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    begin.set(qn("w:dirty"), "true")  # Word refreshes it when the document opens
    instr = OxmlElement("w:instrText")
    instr.set(qn("xml:space"), "preserve")
    instr.text = f" {instruction} "
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    for element in (begin, instr, separate):
        run._r.append(element)


def _end(run) -> None:
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run._r.append(end)


def table_of_contents(placeholder, entries: list[tuple[int, str]], styles: tuple[str, str]) -> None:
    """Turn `placeholder` (an empty paragraph) into a TOC field whose entries are already written:
    Word refreshes the field (page numbers) on opening; a PDF made without Word shows the entries."""
    first = placeholder
    _field(first.add_run(), 'TOC \\o "1-2" \\h \\z \\u')
    ids = [placeholder.part.get_style_id(name, WD_STYLE_TYPE.PARAGRAPH) for name in styles]  # once each
    previous = first
    for i, (level, text) in enumerate(entries):
        paragraph = first if i == 0 else _insert_after(previous, "", ids[min(level, 2) - 1])
        if i == 0:
            paragraph._p.style = ids[min(level, 2) - 1]
        paragraph.add_run(text)
        previous = paragraph
    _end(previous.add_run())


def _insert_after(paragraph, text: str, style_id: str | None):
    """A new paragraph right after `paragraph` (python-docx only inserts before), in a style given
    by its id."""
    new = OxmlElement("w:p")
    paragraph._p.addnext(new)
    out = Paragraph(new, paragraph._parent)
    out._p.style = style_id
    if text:
        out.add_run(text)
    return out


def page_number(paragraph) -> None:
    """A PAGE field, e.g. in the footer."""
    run = paragraph.add_run()
    _field(run, "PAGE")
    paragraph.add_run("1")
    _end(paragraph.add_run())


def repeat_header(row) -> None:
    """Make a table's first row repeat at the top of every page the table runs onto."""
    tr_pr = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    tr_pr.append(header)


def keep_row_together(row) -> None:
    tr_pr = row._tr.get_or_add_trPr()
    cant = OxmlElement("w:cantSplit")
    cant.set(qn("w:val"), "true")
    tr_pr.append(cant)


def alt_text(inline_shape, text: str, title: str) -> None:
    """Word's alt text (description) and title of a picture."""
    doc_pr = inline_shape._inline.docPr
    doc_pr.set("descr", xml_text(text))
    doc_pr.set("title", xml_text(title))


# ---- fast paths --------------------------------------------------------------------------------

class StyleIds:
    """A document's style names resolved to style ids, each once: python-docx searches the whole
    of styles.xml every time a paragraph or table is given a style by name (about 1 ms)."""

    def __init__(self, document):
        self._part, self._ids = document.part, {}

    def __call__(self, name: str, kind: WD_STYLE_TYPE = WD_STYLE_TYPE.PARAGRAPH) -> str | None:
        if (name, kind) not in self._ids:
            self._ids[name, kind] = self._part.get_style_id(name, kind)
        return self._ids[name, kind]


def add_paragraph(document, text: str, style_id: str | None = None, styled: bool = False):
    """`document.add_paragraph(text, style)` with the style already resolved to its id (`styled`:
    a style was named, even if it is the default one): the same XML, without the look-up."""
    paragraph = document.add_paragraph(text)
    if styled:
        paragraph._p.style = style_id
    return paragraph


_BREAKS = re.compile(r"([\t\r\n])")


def _run(text: str) -> str:
    """A run holding `text` as python-docx writes it: a tab is <w:tab/>, a line break <w:br/>."""
    parts = []
    for piece in _BREAKS.split(text):
        if piece == "\t":
            parts.append("<w:tab/>")
        elif piece in ("\r", "\n"):
            parts.append("<w:br/>")
        elif piece:
            space = ' xml:space="preserve"' if len(piece.strip()) < len(piece) else ""
            parts.append(f"<w:t{space}>{escape(piece)}</w:t>")
    return f"<w:r>{''.join(parts)}</w:r>" if parts else "<w:r/>"


def add_table(document, columns: list[str], rows: list[list], widths_cm: list[float], style_id: str | None):
    """A table of text at the end of the document, with fixed column widths (set both on each cell,
    which Word reads, and on the grid, which LibreOffice reads), a header row that repeats on
    every page and rows that never split across a page break. The same XML as python-docx's
    add_table, cell.text and widths, written as one string and parsed once: python-docx takes
    about a millisecond a cell."""
    twips = [Cm(w).twips for w in widths_cm]
    cells = [f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{t}"/></w:tcPr><w:p>' for t in twips]
    # The header row and the first row keep with the row after them: a header is never left alone
    # at the foot of a page, and LibreOffice (7.4) loses the rest of a table of unsplittable rows
    # with a repeated header when it breaks the page right after the first row.
    kept = [f'<w:tc><w:tcPr><w:tcW w:type="dxa" w:w="{t}"/></w:tcPr><w:p><w:pPr><w:keepNext/></w:pPr>'
            for t in twips]

    def row(values, header: bool = False, keep: bool = False) -> str:
        if len(values) != len(cells):
            raise ValueError(f"a row of {len(values)} cells in a table of {len(cells)} columns")
        # No row is split across pages (cantSplit); the header row repeats on each page.
        props = '<w:trPr><w:cantSplit w:val="true"/>' + ('<w:tblHeader w:val="true"/>' if header else "") \
            + "</w:trPr>"
        return f"<w:tr>{props}" + "".join(f"{c}{_run(xml_text(v))}</w:p></w:tc>"
                                          for c, v in zip(kept if header or keep else cells, values, strict=True)) \
            + "</w:tr>"

    style = f'<w:tblStyle w:val="{escape(style_id)}"/>' if style_id else ""
    xml = (f"<w:tbl {nsdecls('w')}><w:tblPr>{style}<w:tblW w:type=\"auto\" w:w=\"0\"/>"
           '<w:tblLayout w:type="fixed"/><w:tblLook w:firstColumn="1" w:firstRow="1" w:lastColumn="0" '
           'w:lastRow="0" w:noHBand="0" w:noVBand="1" w:val="04A0"/></w:tblPr><w:tblGrid>'
           + "".join(f'<w:gridCol w:w="{t}"/>' for t in twips) + "</w:tblGrid>"
           + row(columns, header=True) + "".join(row(r, keep=i == 0 and len(rows) > 1) for i, r in enumerate(rows))
           + "</w:tbl>")
    tbl = parse_xml(xml)
    document.element.body._insert_tbl(tbl)
    return tbl
