"""A report as PDF, by LibreOffice, with the contents page's page numbers filled in.

`to_pdf()` opens the .docx in a headless LibreOffice through its UNO bridge, updates the
document's indexes (the contents field) so that every entry has its page number, exports the
PDF, and writes the same page numbers into the .docx's contents entries: the file a client opens
in Word shows them without asking to update fields. LibreOffice's Python bridge (`uno`, in the
python3-uno package that comes with LibreOffice on Linux) runs in its own interpreter, never in
the kit's environment.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path

from docx import Document
from docx.enum.style import WD_STYLE_TYPE
from docx.enum.text import WD_TAB_ALIGNMENT, WD_TAB_LEADER
from docx.shared import Cm

from dsm_assess.core.errors import DsmError
from dsm_assess.deliver.template import TOC_STYLES

# Run by an interpreter that has LibreOffice's `uno`: start soffice on a private pipe and profile,
# update every index, export the PDF and print each contents line ("title<TAB>page").
_SCRIPT = r'''
import subprocess, sys, time
import uno
from com.sun.star.beans import PropertyValue

soffice, docx, pdf, profile, pipe = sys.argv[1:6]
office = subprocess.Popen([soffice, "--headless", "--invisible", "--norestore", "--nologo", "--nodefault",
                          "-env:UserInstallation=" + profile, "--accept=pipe,name=%s;urp;" % pipe],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
local = uno.getComponentContext()
resolver = local.ServiceManager.createInstanceWithContext("com.sun.star.bridge.UnoUrlResolver", local)
ctx = None
for _ in range(1200):
    try:
        ctx = resolver.resolve("uno:pipe,name=%s;urp;StarOffice.ComponentContext" % pipe)
        break
    except Exception:
        if office.poll() is not None:
            sys.exit("LibreOffice stopped before it could be reached")
        time.sleep(0.1)
if ctx is None:
    office.kill()
    sys.exit("LibreOffice did not answer within two minutes")


def prop(name, value):
    p = PropertyValue()
    p.Name, p.Value = name, value
    return p


desktop = ctx.ServiceManager.createInstanceWithContext("com.sun.star.frame.Desktop", ctx)
try:
    doc = desktop.loadComponentFromURL(uno.systemPathToFileUrl(docx), "_blank", 0, (prop("Hidden", True),))
    indexes = doc.getDocumentIndexes()
    lines = []
    for i in range(indexes.getCount()):
        index = indexes.getByIndex(i)
        index.update()
        lines += index.getAnchor().getString().splitlines()
    doc.storeToURL(uno.systemPathToFileUrl(pdf), (prop("FilterName", "writer_pdf_Export"),))
    doc.close(True)
finally:
    try:
        desktop.terminate()
    except Exception:
        pass
    try:
        office.wait(timeout=60)
    except subprocess.TimeoutExpired:
        office.kill()
sys.stdout.write("\n".join(lines))
'''


def _uno_python() -> str | None:
    """An interpreter that can import LibreOffice's `uno` module."""
    for candidate in (os.environ.get("DSM_ASSESS_UNO_PYTHON"), "/usr/bin/python3", shutil.which("python3")):
        if candidate and Path(candidate).is_file() and subprocess.run(
                [candidate, "-c", "import uno"], capture_output=True).returncode == 0:
            return candidate
    return None


def available() -> bool:
    """Whether LibreOffice and its Python bridge are installed here."""
    return shutil.which("soffice") is not None and _uno_python() is not None


def to_pdf(docx: Path, out_dir: Path | None = None, timeout: int = 600) -> Path:
    """Write DOCX's PDF next to it (or into `out_dir`) with the contents' page numbers, and put the
    same page numbers into the .docx's contents entries; returns the PDF's path."""
    docx = Path(docx).resolve()
    python, soffice = _uno_python(), shutil.which("soffice")
    if python is None or soffice is None:
        raise DsmError("a PDF needs LibreOffice with its Python bridge (Debian/Ubuntu: apt install libreoffice-writer "
                       "python3-uno)")
    pdf = (Path(out_dir).resolve() if out_dir else docx.parent) / f"{docx.stem}.pdf"
    with tempfile.TemporaryDirectory(prefix="dsm-lo-") as tmp:
        done = subprocess.run([python, "-c", _SCRIPT, soffice, str(docx), str(pdf),
                               Path(tmp, "profile").as_uri(), f"dsm-{uuid.uuid4().hex}"],
                              capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0 or not pdf.is_file():
        raise DsmError(f"LibreOffice could not convert {docx.name}: "
                       f"{(done.stderr.strip().splitlines() or ['no message'])[-1]}")
    number_contents(docx, _pages(done.stdout))
    return pdf


def _pages(text: str) -> list[tuple[str, str]]:
    """(title, page number) of each contents line that has one, in order."""
    out = []
    for line in text.splitlines():
        title, _, page = line.rpartition("\t")
        if title.strip() and page.strip().isdigit():
            out.append((title.strip(), page.strip()))
    return out


def number_contents(docx: Path, pages: list[tuple[str, str]]) -> None:
    """Give each contents entry of DOCX its page number (matched by title, in order), right-aligned
    after a dotted leader. Leaves the file as it is unless every entry is found."""
    doc = Document(str(docx))
    entries = [p for p in doc.paragraphs if p.style is not None and p.style.name in TOC_STYLES]
    numbers, at = [], 0
    for entry in entries:
        while at < len(pages) and pages[at][0] != entry.text.strip():
            at += 1
        if at == len(pages):
            return
        numbers.append(pages[at][1])
        at += 1
    if not entries:
        return
    width = doc.sections[0].page_width - doc.sections[0].left_margin - doc.sections[0].right_margin
    for name in TOC_STYLES:
        style = doc.styles[name] if name in [s.name for s in doc.styles if s.type == WD_STYLE_TYPE.PARAGRAPH] \
            else None
        if style is not None and not any(t.alignment == WD_TAB_ALIGNMENT.RIGHT for t in
                                         style.paragraph_format.tab_stops):
            style.paragraph_format.tab_stops.add_tab_stop(width or Cm(16.6), WD_TAB_ALIGNMENT.RIGHT,
                                                          WD_TAB_LEADER.DOTS)
    for paragraph, page in zip(entries, numbers, strict=True):
        runs = paragraph.runs
        # the last entry's run is followed by the field's end mark: put the number before it
        target = next((r for r in reversed(runs) if r.text), None)
        if target is not None:
            target.text = f"{target.text}\t{page}"
    tmp = docx.with_name(f".{docx.name}.numbered")
    doc.save(str(tmp))
    os.replace(tmp, docx)
