"""The kit's own report template (reports/templates/default.docx), built from code.

A consultancy replaces the .docx with its own: the report uses only the style names defined here
(headings, captions, the cover, the table style, the table-of-contents entries), never direct
formatting, so any template that defines these styles brands the whole report. Run
`make template` after changing this file; the built file is committed.
"""

from __future__ import annotations

from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import parse_xml
from docx.oxml.ns import nsdecls
from docx.shared import Cm, Pt, RGBColor

# Style names the report relies on (besides the built-in Title, Heading 1-3, Caption, Normal, List Bullet).
COVER_TITLE, COVER_SUBTITLE, COVER_NOTE = "Cover Title", "Cover Subtitle", "Cover Note"
TABLE_STYLE = "DSM Table"
TOC_STYLES = ("TOC 1", "TOC 2")
FONT = "Arial"
PRIMARY, ACCENT = "1F4E79", "C55A11"


def _paragraph_style(doc, name: str, size: float, bold=False, colour: str | None = None, base="Normal",
                     space_after=6.0, align=None, italic=False):
    styles = doc.styles
    style = styles[name] if name in [s.name for s in styles] else styles.add_style(name, WD_STYLE_TYPE.PARAGRAPH)
    style.base_style = styles[base] if base else None
    font = style.font
    font.name, font.size, font.bold, font.italic = FONT, Pt(size), bold, italic
    if colour:
        font.color.rgb = RGBColor.from_string(colour)
    style.paragraph_format.space_after = Pt(space_after)
    if align is not None:
        style.paragraph_format.alignment = align
    return style


def _table_style(doc) -> None:
    """A table style with a shaded header row, thin borders and a little cell padding."""
    xml = f"""
    <w:style {nsdecls('w')} w:type="table" w:customStyle="1" w:styleId="DSMTable">
      <w:name w:val="{TABLE_STYLE}"/>
      <w:basedOn w:val="TableNormal"/>
      <w:uiPriority w:val="40"/>
      <w:pPr><w:spacing w:before="20" w:after="20"/></w:pPr>
      <w:rPr><w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}"/><w:sz w:val="17"/></w:rPr>
      <w:tblPr>
        <w:tblBorders>
          <w:top w:val="single" w:sz="4" w:color="BFBFBF"/><w:left w:val="single" w:sz="4" w:color="BFBFBF"/>
          <w:bottom w:val="single" w:sz="4" w:color="BFBFBF"/><w:right w:val="single" w:sz="4" w:color="BFBFBF"/>
          <w:insideH w:val="single" w:sz="4" w:color="BFBFBF"/><w:insideV w:val="single" w:sz="4" w:color="BFBFBF"/>
        </w:tblBorders>
        <w:tblCellMar><w:left w:w="80" w:type="dxa"/><w:right w:w="80" w:type="dxa"/></w:tblCellMar>
      </w:tblPr>
      <w:tblStylePr w:type="firstRow">
        <w:rPr><w:b/><w:color w:val="FFFFFF"/></w:rPr>
        <w:tcPr><w:shd w:val="clear" w:color="auto" w:fill="{PRIMARY}"/></w:tcPr>
      </w:tblStylePr>
    </w:style>"""
    doc.styles.element.append(parse_xml(xml))


def build_template(path: Path) -> Path:
    """Write the default template: page set-up, fonts, colours and every style the report uses."""
    doc = Document()
    section = doc.sections[0]
    section.page_height, section.page_width = Cm(29.7), Cm(21.0)  # A4
    section.left_margin = section.right_margin = Cm(2.2)
    section.top_margin, section.bottom_margin = Cm(2.2), Cm(2.0)
    normal = doc.styles["Normal"]
    normal.font.name, normal.font.size = FONT, Pt(10)
    normal.paragraph_format.space_after = Pt(6)
    for level, size in ((1, 16), (2, 13), (3, 11)):
        _paragraph_style(doc, f"Heading {level}", size, bold=True, colour=PRIMARY, base=None,
                         space_after=6).paragraph_format.space_before = Pt(14 if level == 1 else 10)
    _paragraph_style(doc, "Title", 24, bold=True, colour=PRIMARY, base=None)
    _paragraph_style(doc, "Caption", 8.5, italic=True, colour="595959")
    _paragraph_style(doc, COVER_TITLE, 28, bold=True, colour=PRIMARY, space_after=12)
    _paragraph_style(doc, COVER_SUBTITLE, 16, colour="404040", space_after=30)
    _paragraph_style(doc, COVER_NOTE, 10, colour="595959", space_after=4)
    for i, name in enumerate(TOC_STYLES):
        _paragraph_style(doc, name, 10, bold=(i == 0), space_after=2).paragraph_format.left_indent = Cm(0.6 * i)
    _paragraph_style(doc, "Footer", 8, colour="7F7F7F", align=WD_ALIGN_PARAGRAPH.CENTER)
    _table_style(doc)
    path.parent.mkdir(parents=True, exist_ok=True)
    doc.save(path)
    return path


if __name__ == "__main__":
    from dsm_assess.core.paths import reports_dir

    print(build_template(reports_dir() / "templates" / "default.docx"))
