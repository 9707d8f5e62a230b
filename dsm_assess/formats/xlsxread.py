"""A bounded, streaming, values-only reader of .xlsx workbooks that come back from outside.

A full spreadsheet library builds every cell of a sheet in memory, so one stray cell at row
1,048,576 costs gigabytes. This reader streams one sheet part at a time and hands back only the
cells that hold a value, row by row; the caller reads the rows a questionnaire can hold and
stops. Combined with the part-size limits of xlsxsafe.py (checked first), no workbook costs more
than a few seconds and a few hundred MB.

Values come back as a spreadsheet stores them: text (shared or inline, with Excel's `_xHHHH_`
escapes decoded), int or float, bool, an error such as `#N/A` as text, and a formula as its
text starting with "=". Parts with a DTD, or in an encoding other than UTF-8, are refused, so
entity expansion never happens.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path
from xml.etree.ElementTree import ParseError, XMLPullParser

from defusedxml.ElementTree import fromstring

CHUNK = 1 << 16
# Transitional (what Excel writes) and Strict OOXML spell the spreadsheet namespace differently.
NAMESPACES = ("http://schemas.openxmlformats.org/spreadsheetml/2006/main", "http://purl.oclc.org/ooxml/spreadsheetml/main")
_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_DECLARED = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
REL_TYPES = ("/worksheet", "/sharedStrings")


class XlsxError(Exception):
    """The package is not a workbook this reader can read; the message says why."""


def _local(tag: str) -> str:
    return tag[tag.rfind("}") + 1:]


def _tags(*names: str) -> dict[str, str]:
    """Full tag -> local name, in every spreadsheet namespace: a dict lookup per element is the
    cheapest test on the hot path (thousands of elements per sheet)."""
    return {f"{{{ns}}}{n}" if ns else n: n for n in names for ns in (*NAMESPACES, "")}


_ROW, _SI = _tags("row"), _tags("si")
_CELL_CHILD, _TEXT_CHILD, _RUN_CHILD = _tags("v", "f", "is"), _tags("t", "r"), _tags("t")


def unescape(text: str) -> str:
    """Excel's `_xHHHH_` escapes decoded: `_x000D_` is a carriage return, `_x005F_x0041_` is `_x0041_`."""
    return _ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text) if "_x" in text else text


@lru_cache(maxsize=4096)
def column_number(letters: str) -> int:
    """`A` -> 1, `I` -> 9, `AA` -> 27."""
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _text(el) -> str:
    """The text of a string item (`<si>` or `<is>`): its runs, without phonetic guides."""
    parts = []
    for child in el:
        name = _TEXT_CHILD.get(child.tag)
        if name == "t":
            parts.append(child.text or "")
        elif name == "r":
            parts += [t.text or "" for t in child if t.tag in _RUN_CHILD]
    return unescape("".join(parts))


class XlsxReader:
    """An open workbook: `sheetnames`, and `rows(name)` streaming one sheet. Use as a context manager."""

    def __init__(self, path: Path):
        self.zip = zipfile.ZipFile(path)
        try:
            self._parts = self._sheet_parts()
        except BaseException:
            self.zip.close()
            raise
        self._strings: list[str] | None = None

    def __enter__(self) -> XlsxReader:
        return self

    def __exit__(self, *exc) -> None:
        self.zip.close()

    @property
    def sheetnames(self) -> list[str]:
        return list(self._parts)

    def _xml(self, part: str):
        """A small part (workbook, relationships) parsed whole, refusing DTDs."""
        try:
            return fromstring(self.zip.read(part), forbid_dtd=True)
        except KeyError:
            raise XlsxError(f"part {part} is missing") from None
        except Exception as exc:  # defusedxml and expat raise several kinds; all mean the part is unreadable
            raise XlsxError(f"part {part} cannot be read ({type(exc).__name__}: {exc})") from None

    def _sheet_parts(self) -> dict[str, str]:
        """Sheet name -> its part, from the workbook and its relationships."""
        book = self._xml("xl/workbook.xml")
        try:
            rels = self._xml("xl/_rels/workbook.xml.rels")
        except XlsxError:
            rels = None
        targets, self._shared = {}, "xl/sharedStrings.xml"
        for rel in rels if rels is not None else ():
            target = rel.get("Target", "")
            part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            targets[rel.get("Id")] = part
            if rel.get("Type", "").endswith("/sharedStrings"):
                self._shared = part
        out = {}
        for el in book.iter():
            if _local(el.tag) == "sheet":
                rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
                out[el.get("name", "")] = targets.get(rid, "")
        return out

    def _elements(self, part: str, tags: dict[str, str]) -> Iterator[object]:
        """The elements of a part with one of `tags`, each once complete, streamed in chunks;
        refuses a DTD or an encoding other than UTF-8."""
        parser = XMLPullParser(events=("end",))
        try:
            with self.zip.open(part) as f:
                chunk = f.read(CHUNK)
                _refuse_dtd(chunk, part)
                while chunk:
                    parser.feed(chunk)
                    for _, el in parser.read_events():
                        if el.tag in tags:
                            yield el
                    chunk = f.read(CHUNK)
                parser.close()
                for _, el in parser.read_events():
                    if el.tag in tags:
                        yield el
        except KeyError:
            raise XlsxError(f"part {part} is missing") from None
        except ParseError as exc:
            raise XlsxError(f"part {part} is not well-formed XML ({exc})") from None

    def strings(self) -> list[str]:
        """The shared strings, read once, the first time a cell needs them."""
        if self._strings is None:
            self._strings = []
            if self._shared in self.zip.NameToInfo:
                for el in self._elements(self._shared, _SI):
                    self._strings.append(_text(el))
                    el.clear()
        return self._strings

    def rows(self, sheet: str, skip: frozenset[int] = frozenset()) -> Iterator[tuple[int, dict[int, object]]]:
        """(row number, {column number: value}) for each row of `sheet` holding a value, in order.

        Empty and formatted-only cells are left out, and so are the columns in `skip` (not even
        decoded: the questionnaire's own text); the caller may stop at any row.
        """
        part = self._parts.get(sheet)
        if not part:
            raise XlsxError(f"sheet {sheet!r} has no part in the package")
        row_number = 0
        for el in self._elements(part, _ROW):
            r = el.get("r")
            row_number = int(r) if r and r.isdigit() else row_number + 1
            cells: dict[int, object] = {}
            col = 0
            for c in el:
                ref = c.get("r")
                letters = ref.rstrip("0123456789") if ref else ""
                col = column_number(letters) if letters.isalpha() and letters.isupper() else col + 1
                if col in skip:
                    continue
                value = self._value(c)
                if value is not None and value != "":
                    cells[col] = value
            el.clear()
            if cells:
                yield row_number, cells

    def _value(self, c) -> object:
        t = c.get("t")
        v = f = inline = None
        for child in c:
            name = _CELL_CHILD.get(child.tag)
            if name == "v":
                v = child.text
            elif name == "f":
                f = child.text
            elif name == "is":
                inline = child
        if f:
            return "=" + unescape(f)  # a formula, kept as typed
        if t == "inlineStr":
            return _text(inline) if inline is not None else None
        if v is None:
            return None
        if t == "s":
            try:
                return self.strings()[int(v)]
            except (ValueError, IndexError):
                raise XlsxError(f"a cell refers to shared string {v!r}, which does not exist") from None
        if t in ("str", "e", "d"):
            return unescape(v)
        if t == "b":
            return v.strip() == "1"
        try:
            return float(v) if any(ch in v for ch in ".eEnN") else int(v)
        except ValueError:
            return v


def _refuse_dtd(head: bytes, part: str) -> None:
    """Refuse a part whose prolog holds a DTD (entity expansion) or that is not UTF-8 (so the check holds)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise XlsxError(f"part {part} is not UTF-8")
    text = head[3:] if head.startswith(b"\xef\xbb\xbf") else head
    declared = _DECLARED.match(text)
    if declared and declared.group(1).lower().replace(b"_", b"-") not in (b"utf-8", b"utf8"):
        raise XlsxError(f"part {part} is not UTF-8")
    root = _ROOT_START.search(text)
    if root is None or b"<!DOCTYPE" in text[:root.start()].upper():
        raise XlsxError(f"part {part} declares a DTD or has no content, which a workbook never does")
