"""One answer model and one row reader for every channel (workbook, CSV, form).

`Answer` is one rating by one respondent of one criterion; `Parsed` is what a reader makes of a
returned file. `RowReader.read()` turns the cells of one row, as people type them, into an
`Answer`, with notes on what it normalised and a located problem for everything it cannot accept.
Nothing here touches the store: capture.py is the only module that writes answers.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from .errors import Problem
from .framework import Framework
from .scale import RATINGS

MAX_TEXT = 10_000  # characters per free-text field; longer is refused with its location
TEXT_FIELDS = {"na_reason": "N/A reason", "evidence": "evidence", "comment": "comment"}
FIELDS = ("rating", "na_reason", "confidence", "evidence", "comment")
_SPACES = re.compile(r"\s+")
_ALIASES = {
    "n/a": "NA", "na": "NA", "not applicable": "NA", "dk": "DK", "don't know": "DK", "dont know": "DK",
    "do not know": "DK", "unknown": "DK",
}


@dataclass(frozen=True)
class Answer:
    """One rating by one respondent of one criterion."""

    respondent: str
    criterion_id: str
    rating: str
    na_reason: str | None = None
    confidence: int | None = None
    evidence: str | None = None
    comment: str | None = None


@dataclass
class Parsed:
    """A reader's verdict on a file; `answers` only count when `problems` is empty."""

    answers: list[Answer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    respondent: str | None = None


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


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def parse_rating(value: object, lookup: dict[str, str], exact: set[str]) -> tuple[str | None, bool]:
    """(code, normalised) for a typed rating; (None, False) when blank.

    `normalised` is True when the value was not typed exactly as offered (a code or dropdown
    label), so the caller can say what it read it as.
    """
    if _blank(value):
        return None, False
    text = str(value)
    code = lookup.get(_fold(text))
    if code is None:
        raise ValueError(f"rating {text!r} is not one of {', '.join(RATINGS)} (or the labels in the list)")
    return code, text not in exact


def parse_confidence(value: object) -> int | None:
    if _blank(value):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        number = None
    if number is None or number != number or number in (float("inf"), float("-inf")) \
            or number != int(number) or not 1 <= number <= 5:
        raise ValueError(f"confidence must be a whole number from 1 to 5, not {value!r}")
    return int(number)


def clean_text(value: object, what: str) -> str | None:
    """Free text exactly as typed (even if it looks like a formula); None when blank or only spaces."""
    if _blank(value):
        return None
    text = str(value)
    if len(text) > MAX_TEXT:
        raise ValueError(f"{what} is {len(text):,} characters; at most {MAX_TEXT:,}")
    return text


class RowReader:
    """Reads the answer cells of one row the same way for every channel."""

    def __init__(self, fw: Framework):
        self.lookup = rating_lookup(fw)
        self.exact = set(dropdown_labels(fw).values()) | {p.code for p in fw.scale}

    def read(self, values: dict[str, object], cid: str, respondent: str, file: str,
             where: Callable[[str], str]) -> tuple[Answer | None, list[str], list[Problem]]:
        """(answer or None, notes, problems) for one row; `where(field)` names a field's cell.

        Every problem of the row is reported, not just the first. A row with no rating stores
        nothing (a note says so when it carries other text).
        """
        notes: list[str] = []
        problems: list[Problem] = []
        try:
            rating, normalised = parse_rating(values.get("rating"), self.lookup, self.exact)
            if normalised:
                notes.append(f"{where('rating')}: {values['rating']!r} read as {rating}")
        except ValueError as exc:
            problems.append(Problem(file, where("rating"), str(exc)))
            rating = None
        fields: dict[str, object] = {}
        for key, what in TEXT_FIELDS.items():
            try:
                fields[key] = clean_text(values.get(key), what)
            except ValueError as exc:
                problems.append(Problem(file, where(key), str(exc)))
        try:
            fields["confidence"] = parse_confidence(values.get("confidence"))
        except ValueError as exc:
            problems.append(Problem(file, where("confidence"), str(exc)))
        if rating == "NA" and "na_reason" in fields and not fields["na_reason"]:
            problems.append(Problem(file, where("na_reason"),
                                    f"{cid} is rated N/A but has no reason; say why it does not apply"))
        if problems:
            return None, notes, problems
        if rating is None:
            if any(fields.get(k) for k in ("evidence", "comment", "confidence", "na_reason")):
                notes.append(f"{where('rating')}: {cid} has notes but no rating; not stored")
            return None, notes, []
        if rating != "NA" and fields["na_reason"]:
            notes.append(f"{where('na_reason')}: {cid} has an N/A reason but is rated {rating}; "
                         "the reason is kept as typed")
        return Answer(respondent, cid, rating, fields["na_reason"], fields["confidence"], fields["evidence"],
                      fields["comment"]), notes, []
