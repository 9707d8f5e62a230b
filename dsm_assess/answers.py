"""Reading one answer's fields as people type them, whatever the channel (workbook, CSV, form).

Each function returns the clean value or raises `ValueError` with a message that can follow
"cell E7: " or "line 12, column rating: ".
"""

from __future__ import annotations

import re

from .framework import Framework

CODES = ("F", "L", "P", "N", "NA", "DK")
MAX_TEXT = 5000
_SPACES = re.compile(r"\s+")
_ALIASES = {
    "n/a": "NA", "na": "NA", "not applicable": "NA", "dk": "DK", "don't know": "DK", "dont know": "DK",
    "do not know": "DK", "unknown": "DK",
}


def dropdown_labels(fw: Framework) -> dict[str, str]:
    """Code -> the label a respondent picks in a workbook, e.g. 'F - Fully achieved'."""
    return {p.code: f"{p.code} - {p.label}" for p in fw.scale}


def rating_lookup(fw: Framework) -> dict[str, str]:
    """Every accepted spelling (folded) -> code: codes, labels, dropdown labels, plain wording."""
    out = {}
    for p in fw.scale:
        for form in (p.code, p.label, f"{p.code} - {p.label}", p.plain):
            out[_fold(form)] = p.code
    out.update({_fold(k): v for k, v in _ALIASES.items()})
    return out


def _fold(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", "-")
    return _SPACES.sub(" ", text).strip().casefold()


def parse_rating(value: object, lookup: dict[str, str], exact: set[str]) -> tuple[str | None, bool]:
    """(code, normalised) for a typed rating; (None, False) when blank.

    `normalised` is True when the value was not typed exactly as offered (a code or dropdown
    label), so the caller can say what it read it as.
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None, False
    text = str(value)
    code = lookup.get(_fold(text))
    if code is None:
        raise ValueError(f"rating {text!r} is not one of {', '.join(CODES)} (or the labels in the list)")
    return code, text not in exact


def parse_confidence(value: object) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        number = None
    if number is None or number != int(number) or not 1 <= number <= 5:
        raise ValueError(f"confidence must be a whole number from 1 to 5, not {value!r}")
    return int(number)


def clean_text(value: object, what: str) -> str | None:
    """Free text as typed (stored as text even if it looks like a formula); None when blank."""
    if value is None:
        return None
    text = str(value).strip()
    if len(text) > MAX_TEXT:
        raise ValueError(f"{what} is {len(text)} characters; at most {MAX_TEXT}")
    return text or None
