"""The Word details the report needs that python-docx does not offer: a table of contents field
with its entries already filled in, header rows that repeat on every page, page-number fields,
alt text on pictures, and text that XML cannot hold. Everything that touches the XML is here, so
report.py speaks only of sections, tables and charts.
"""

from __future__ import annotations

import re

from docx.oxml import OxmlElement
from docx.oxml.ns import qn
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
    previous = first
    for i, (level, text) in enumerate(entries):
        paragraph = first if i == 0 else _insert_after(previous, "", styles[min(level, 2) - 1])
        if i == 0:
            paragraph.style = styles[min(level, 2) - 1]
        paragraph.add_run(text)
        previous = paragraph
    _end(previous.add_run())


def _insert_after(paragraph, text: str, style: str):
    """A new paragraph right after `paragraph` (python-docx only inserts before)."""
    new = OxmlElement("w:p")
    paragraph._p.addnext(new)
    out = Paragraph(new, paragraph._parent)
    out.style = style
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


def update_fields_on_open(document) -> None:
    """Ask Word to refresh fields (the TOC's page numbers) when the file is opened."""
    settings = document.settings.element
    update = OxmlElement("w:updateFields")
    update.set(qn("w:val"), "true")
    settings.append(update)
