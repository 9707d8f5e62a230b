"""Guard rails for workbooks that come back from outside: size, zip-bomb, macro and format checks.

Everything here runs before a single cell is read, and bounds what reading can cost: the file,
each part and all parts together have a size limit far above any questionnaire, so that no file
costs more than a few seconds and a few hundred MB. xlsxread.py refuses XML with a DTD, so
entity expansion never happens.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from defusedxml.ElementTree import fromstring

MAX_FILE_BYTES = 20 * 1024 * 1024          # a questionnaire is well under 1 MB
MAX_PART_BYTES = 8 * 1024 * 1024           # one part (a sheet, the shared strings) once unpacked
MAX_UNCOMPRESSED_BYTES = 32 * 1024 * 1024  # all parts together, once unpacked
MAX_RATIO = 100                             # unpacked / packed for any part over 1 MB
MAX_PARTS = 5000
VBA_TYPES = ("vbaproject", "macroenabled")  # content types and relationship types that mean macros
CONTENT_TYPES = "[Content_Types].xml"
# Active content a questionnaire never holds, by the word its content type, relationship type or
# part folder carries: each can run code or fetch data when the workbook is opened.
ACTIVE = {"macrosheet": "an Excel 4.0 macro sheet", "externallink": "a link to another workbook or a DDE link",
          "oleobject": "an embedded OLE object", "embeddings/": "an embedded object", "activex": "an ActiveX control"}


def check_xlsx_file(path: Path) -> str | None:
    """Why `path` cannot be accepted as an .xlsx workbook, or None if it looks sound."""
    suffix = path.suffix.lower()
    if suffix == ".xlsm":
        return "macro-enabled workbooks (.xlsm) are not accepted: save it as an Excel Workbook (.xlsx)"
    if suffix == ".xls":
        return "the old Excel 97-2003 format (.xls) is not accepted: save it as an Excel Workbook (.xlsx)"
    if suffix == ".csv":
        return "this is a CSV file: use `questionnaire import-csv` for long-format CSV answers"
    if suffix != ".xlsx":
        return f"not an Excel workbook: expected a .xlsx file, got {suffix or 'no extension'}"
    if not path.is_file():
        return "file not found"
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        return f"file is {size / 1e6:.1f} MB; a questionnaire is never more than {MAX_FILE_BYTES // 2**20} MB"
    with path.open("rb") as f:
        head = f.read(4)
    if head != b"PK\x03\x04":
        kind = "an old .xls workbook renamed" if head == b"\xd0\xcf\x11\xe0" else "a CSV or other file renamed?"
        return f"not an Excel workbook: the file is not a zip package ({kind})"
    try:
        with zipfile.ZipFile(path) as z:
            infos = z.infolist()
            # Each part's CRC is checked when it is read (xlsxread.py); parts never read do not matter.
            return _check_parts(infos) or _check_macros(z, infos)
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError, ValueError) as exc:
        return f"corrupt workbook: the zip package cannot be read ({exc})"


def _check_parts(infos: list[zipfile.ZipInfo]) -> str | None:
    if len(infos) > MAX_PARTS:
        return f"workbook has {len(infos)} parts; refusing it as zip-bomb-like"
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        return (f"workbook unpacks to {total / 1e6:.0f} MB (a questionnaire is never more than "
                f"{MAX_UNCOMPRESSED_BYTES // 2**20} MB); refusing it as zip-bomb-like")
    for i in infos:
        if i.file_size > 2**20 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            return f"part {i.filename} expands {i.file_size // max(i.compress_size, 1)}x; refusing it as zip-bomb-like"
        if i.file_size > MAX_PART_BYTES:
            return (f"part {i.filename} unpacks to {i.file_size / 1e6:.0f} MB; no part of a questionnaire is more "
                    f"than {MAX_PART_BYTES // 2**20} MB (rows or cells far beyond the questions?)")
    names = {i.filename for i in infos}
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        return "the workbook contains macros: save it as an Excel Workbook (.xlsx) without macros"
    if CONTENT_TYPES not in names or "xl/workbook.xml" not in names:
        return "not an Excel workbook: the zip package has no workbook inside"
    return None


def _check_macros(z: zipfile.ZipFile, infos: list[zipfile.ZipInfo]) -> str | None:
    """Macros under any part name: a VBA or macro-enabled content type, or a relationship to a VBA project."""
    macro = "the workbook contains macros ({}): save it as an Excel Workbook (.xlsx) without macros"
    try:
        types = fromstring(z.read(CONTENT_TYPES), forbid_dtd=True)
    except Exception:  # any parse failure means the package is not a workbook we can trust
        return f"not an Excel workbook: its {CONTENT_TYPES} cannot be read"
    for el in types:
        if any(t in el.get("ContentType", "").lower() for t in VBA_TYPES):
            return macro.format(f"{el.get('PartName') or '*.' + el.get('Extension', '')} is a VBA project")
    active = "the workbook contains active content ({}): save a copy as a plain Excel Workbook (.xlsx) without it"
    for el in types:
        where = f"{el.get('ContentType', '')} {el.get('PartName', '')}".lower()
        for word, what in ACTIVE.items():
            if word in where:
                return active.format(f"{what}, {el.get('PartName') or '*.' + el.get('Extension', '')}")
    for info in infos:
        for word, what in ACTIVE.items():
            if word in info.filename.lower():
                return active.format(f"{what}, {info.filename}")
    for info in infos:
        if info.filename.endswith(".rels"):
            text = z.read(info).lower()
            if any(t.encode() in text for t in VBA_TYPES):
                return macro.format(f"{info.filename} refers to a VBA project")
            for word, what in ACTIVE.items():
                if f"/{word.rstrip('/')}".encode() in text:
                    return active.format(f"{what}, referred to by {info.filename}")
    return None
