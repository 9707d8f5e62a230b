"""The demo's reports as LibreOffice lays them out: rows on one page, a numbered contents, client words."""

from __future__ import annotations

import re
import subprocess
from html import unescape

from docx import Document

from dsm_assess.deliver.template import TOC_STYLES


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def raw_pages(pdf) -> list[list[str]]:
    """Each page's words in drawing order, as poppler lists them block by block (LibreOffice draws a
    table cell by cell; a neighbouring short cell's words may come between a cell's lines)."""
    html = subprocess.run(["pdftotext", "-bbox-layout", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout
    return [words(" ".join(unescape(w) for w in re.findall(r"<word[^>]*>(.*?)</word>", page, re.S)))
            for page in re.findall(r"<page[^>]*>(.*?)</page>", html, re.S)]


def words(text: str) -> list[str]:
    """Words, with a hyphenated word's parts apart (a line may break after its hyphen)."""
    return [w for w in re.split(r"[\s\-‐]+", text) if w]


def within(words: list[str], page: list[str]) -> bool:
    """Whether `words` occur on `page` in order (other words may come between)."""
    it = iter(page)
    return all(w in it for w in words)


def test_every_table_row_starts_and_ends_on_one_page(demo_rendered):
    _, _, docs, _ = demo_rendered
    for audience, docx in docs.items():
        pages = raw_pages(docx.with_suffix(".pdf"))
        rows = [[words(c.text) for c in row.cells] for t in Document(str(docx)).tables for row in t.rows[1:]]
        assert len(rows) > 20
        # a split row has a cell whose words begin on one page and end on the next
        split = [r for r in rows if not any(all(within(cell, page) for cell in r) for page in pages)]
        assert not split, f"{audience}: {len(split)} rows not whole on one page, e.g. {split[:2]}"


def test_the_contents_has_page_numbers_in_the_pdf_and_in_the_docx(demo_rendered):
    _, _, docs, pages = demo_rendered
    contents = pages["full"][1]
    entries = [line for line in contents.splitlines()[1:] if line.strip() and "page" not in line]
    assert len(entries) >= 15
    numbered = [int(m.group(1)) for line in entries if (m := re.search(r"\.{3,}\s*(\d+)\s*$", line))]
    assert len(numbered) == len(entries) and numbered == sorted(numbered) and numbered[0] >= 3
    toc = [p.text for p in Document(str(docs["full"])).paragraphs if p.style.name in TOC_STYLES]
    assert all(re.search(r"\t\d+$", t) for t in toc)
    # what the docx says is where the PDF has it
    first = next(t for t in toc if t.startswith("Roadmap\t"))
    assert "Roadmap" in pages["full"][int(first.split("\t")[1]) - 1]
    settings = Document(str(docs["full"])).settings.element.xml
    assert "updateFields" not in settings  # Word does not ask to update fields on opening


def test_no_programmer_words_reach_the_client(demo_rendered):
    _, _, _, pages = demo_rendered
    for audience, text in pages.items():
        text = "\n".join(text)
        for bad in (r"\bNone\b", r"\bn/d\b", r"\bnan\b", r"<NA>", r"\btom\.\w+", r"\bdemo-2025\b", r"\(demo\)",
                    r"\bSTG\.\w+", r"\bCTL\.\w+", r"\b1 criteria\b", r"\b1 subjects\b"):
            assert not re.search(bad, text), f"{audience}: {bad} in the text"


def test_the_full_report_has_the_whole_operating_model(demo_rendered):
    text = flat(" ".join(demo_rendered[3]["full"]))
    for caption in ("Service lifecycle roles and who holds them", "Practice owners",
                    "Practices delivered with suppliers, and the agreements that govern them",
                    "The service data model: where each entity is recorded"):
        assert caption in text
    assert "IT asset management outsourced LicenceWise UC" in text


def test_report_pdf_writes_the_pdf_beside_the_docx(cli, demo_rendered, tmp_path):
    root = demo_rendered[0]
    result = cli("report", "demo", "--root", root, "--audience", "executive", "--out-dir", tmp_path, "--pdf")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.split() == [str(tmp_path / "demo-executive.docx"), str(tmp_path / "demo-executive.pdf")]
    assert (tmp_path / "demo-executive.pdf").read_bytes().startswith(b"%PDF")
    # readiness goes to stderr, the paths alone to stdout
    assert "warning: the target operating model has 5 open findings" in result.stderr
