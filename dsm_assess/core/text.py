"""Which text the kit can carry: one rule for every field of every command and file.

Text must fit XML 1.0 (workbooks and Word reports are XML): no C0 control characters other than
tab, line feed and carriage return, no lone surrogates (what an argument holding invalid UTF-8
becomes), no non-characters U+FFFE and U+FFFF. Single-line fields (names, e-mail addresses,
reasons given on the command line) refuse tab, line feed and carriage return as well.
"""

from __future__ import annotations

import re

from dsm_assess.core.errors import DsmError

# Characters XML 1.0 cannot hold (its Char production): C0 controls other than tab, line feed and
# carriage return, lone surrogates, and the non-characters U+FFFE and U+FFFF.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_LINE_ILLEGAL = re.compile("[\x00-\x1f\x7f\ud800-\udfff\ufffe\uffff]")
_CONTROL_NAMES = {0x00: "null", 0x07: "bell", 0x08: "backspace", 0x09: "tab", 0x0A: "line feed",
                  0x0B: "vertical tab", 0x0C: "form feed", 0x0D: "carriage return", 0x1B: "escape",
                  0x1C: "file separator", 0x1D: "group separator", 0x1E: "record separator",
                  0x1F: "unit separator", 0x7F: "delete"}


def describe_char(char: str) -> str:
    """`U+000B (vertical tab)`: a character as a person can find it."""
    code = ord(char)
    if 0xD800 <= code <= 0xDFFF:
        name = "a lone surrogate"
    elif code in (0xFFFE, 0xFFFF):
        name = "a non-character"
    else:
        name = _CONTROL_NAMES.get(code, "a control character")
    return f"U+{code:04X} ({name})"


def xml_safe_problem(text: str) -> str | None:
    """Why `text` cannot be written to a workbook or Word document unchanged, or None if it can.

    Names the first character XML 1.0 cannot hold and where it is, e.g. "contains U+000B
    (vertical tab) at character 12". The Word report uses the same check.
    """
    bad = _XML_ILLEGAL.search(text)
    if bad is None:
        return None
    return f"contains {describe_char(bad.group())} at character {bad.start() + 1:,}, which a workbook cannot hold"


def text_problem(text: str, *, multiline: bool = False) -> str | None:
    """Why `text` cannot be kept as one field of the kit, or None if it can: a character XML cannot
    hold, or (unless `multiline`) a line break, tab or other control character."""
    bad = (_XML_ILLEGAL if multiline else _LINE_ILLEGAL).search(text)
    if bad is None:
        return None
    why = f"contains {describe_char(bad.group())} at character {bad.start() + 1:,}"
    return why + " (the text was not valid UTF-8)" if "\ud800" <= bad.group() <= "\udfff" else why


def check_text(text: str, what: str, *, multiline: bool = False) -> str:
    """`text` unchanged if the kit can carry it; else a `DsmError` naming `what` and the character."""
    why = text_problem(text, multiline=multiline)
    if why:
        raise DsmError(f"{what}: {why}; type it again as plain text")
    return text
