"""Guard rails for workbooks that come back from outside: size, zip-bomb and format checks.

openpyxl parses the XML with defusedxml (installed with the kit), which refuses entity
expansion and external entities; this module refuses what should never reach the parser.
"""

from __future__ import annotations

import zipfile
from pathlib import Path

MAX_FILE_BYTES = 20 * 1024 * 1024          # a questionnaire is well under 1 MB
MAX_UNCOMPRESSED_BYTES = 200 * 1024 * 1024  # all parts together, once unpacked
MAX_RATIO = 100                             # unpacked / packed for any part over 1 MB
MAX_PARTS = 5000


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
            problem = _check_parts(infos)
            # CRCs are checked only once the sizes are known to be sane (testzip unpacks every part).
            bad = None if problem else z.testzip()
    except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError, ValueError) as exc:
        return f"corrupt workbook: the zip package cannot be read ({exc})"
    if problem:
        return problem
    if bad:
        return f"corrupt workbook: part {bad} is damaged"
    return None


def _check_parts(infos: list[zipfile.ZipInfo]) -> str | None:
    if len(infos) > MAX_PARTS:
        return f"workbook has {len(infos)} parts; refusing it as zip-bomb-like"
    total = sum(i.file_size for i in infos)
    if total > MAX_UNCOMPRESSED_BYTES:
        return f"workbook unpacks to {total / 1e6:.0f} MB; refusing it as zip-bomb-like"
    for i in infos:
        if i.file_size > 2**20 and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            return f"part {i.filename} expands {i.file_size // max(i.compress_size, 1)}x; refusing it as zip-bomb-like"
    names = {i.filename for i in infos}
    if any(n.lower().endswith("vbaproject.bin") for n in names):
        return "the workbook contains macros: save it as an Excel Workbook (.xlsx) without macros"
    if "[Content_Types].xml" not in names or "xl/workbook.xml" not in names:
        return "not an Excel workbook: the zip package has no workbook inside"
    return None
