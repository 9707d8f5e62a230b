"""One answer model and one row reader for every channel (workbook, CSV, form).

`Answer` is one rating by one respondent of one criterion; `Parsed` is what a reader makes of a
returned file. `RowReader.read()` turns the cells of one row, as people type them, into an
`Answer`, with notes on what it normalised and a located problem for everything it cannot accept.
Nothing here touches the store: capture.py is the only module that writes answers.

Text policy, the same for every channel: free text is stored exactly as typed (never stripped
or re-spaced), up to `MAX_TEXT` characters per field; text holding a character that XML 1.0
cannot carry (most control characters, lone surrogates) is refused with its location, so that
everything stored can be written to a workbook or a Word report unchanged.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, fields
from operator import attrgetter

from dsm_assess.core.errors import BadValue, Problem
from dsm_assess.core.scale import RATINGS
from dsm_assess.core.text import xml_safe_problem
from dsm_assess.framework.model import Framework

MAX_TEXT = 10_000  # characters per free-text field; longer is refused with its location
MAX_PROBLEMS = 100  # problems kept per file; the rest are counted, so a hostile file stays small
TEXT_FIELDS = {"na_reason": "N/A reason", "evidence": "evidence", "comment": "comment"}
FIELDS = ("rating", "na_reason", "confidence", "evidence", "comment")
_SPACES = re.compile(r"\s+")
# Words a respondent may type for a rating besides its code, label and the Instructions sheet's
# wording. The parser reads them from here and the Instructions sheet lists them from here.
EXTRA_WORDS: dict[str, tuple[str, ...]] = {
    "F": ("fully", "yes"),
    "L": ("largely", "mostly"),
    "P": ("partially", "partly", "sometimes"),
    "N": ("not achieved", "no"),
    "NA": ("n/a", "not applicable", "does not apply"),
    "DK": ("don't know", "dont know", "do not know", "unknown"),
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


_answer_fields = attrgetter(*(f.name for f in fields(Answer)))


@dataclass
class Parsed:
    """A reader's verdict on a file; `answers` only count when `problems` is empty.

    `blank` lists the criteria the file holds with no rating (a withdrawal when the same
    questionnaire had them filled before); `token` is the questionnaire's issue token, if any.
    At most `MAX_PROBLEMS` problems are kept (use `add`); `omitted` counts the rest.
    """

    answers: list[Answer] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    respondent: str | None = None
    warnings: list[str] = field(default_factory=list)
    blank: list[str] = field(default_factory=list)
    token: str | None = None
    subjects: list[str] = field(default_factory=list)
    omitted: int = 0

    def __getstate__(self) -> dict:
        # Answers cross from a worker process as plain tuples: pickling them as objects costs 3x more.
        return {**self.__dict__, "answers": list(map(_answer_fields, self.answers))}

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state, answers=[Answer(*t) for t in state["answers"]])

    def add(self, problems: Iterable[Problem], keep: bool = False) -> None:
        """Keep problems up to `MAX_PROBLEMS` (or always, with `keep`: why reading stopped), count the rest."""
        for p in problems:
            if keep or len(self.problems) < MAX_PROBLEMS:
                self.problems.append(p)
            else:
                self.omitted += 1

    @property
    def full(self) -> bool:
        """True once no more problems would be kept: a reader may stop there."""
        return len(self.problems) >= MAX_PROBLEMS

    def all_problems(self, file: str) -> list[Problem]:
        """The problems kept, with one more line saying how many were left out."""
        if not self.omitted:
            return list(self.problems)
        return [*self.problems, Problem(file, "", f"and {self.omitted:,} more problem(s) not listed")]


@dataclass
class Row:
    """What `RowReader.read` makes of one row: an answer, or why not."""

    answer: Answer | None = None
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)

    @property
    def blank(self) -> bool:
        """No rating and nothing wrong: the row gives no answer."""
        return self.answer is None and not self.problems


def dropdown_labels(fw: Framework) -> dict[str, str]:
    """Code -> the label a respondent picks in a workbook, e.g. 'F - Fully achieved'."""
    return {p.code: f"{p.code} - {p.label}" for p in fw.scale}


def plain_lead(plain: str) -> str:
    """The short answer that opens a rating's plain wording: 'Mostly: it happens ...' -> 'Mostly'."""
    return re.split(r"[:(]", plain, maxsplit=1)[0].strip()


def rating_words(fw: Framework) -> dict[str, list[str]]:
    """Code -> what a respondent may type for it (besides the dropdown label), as the Instructions
    sheet lists it: the code, the label, the lead of the plain wording and `EXTRA_WORDS`."""
    out = {}
    for p in fw.scale:
        words: dict[str, str] = {}
        for w in (p.code, p.label, plain_lead(p.plain), *EXTRA_WORDS.get(p.code, ())):
            words.setdefault(_fold(w), w)
        out[p.code] = list(words.values())
    return out


def rating_lookup(fw: Framework) -> dict[str, str]:
    """Every accepted spelling (folded) -> code: dropdown labels, whole plain wording, `rating_words`."""
    out: dict[str, str] = {}
    words = rating_words(fw)
    for p in fw.scale:
        for form in (f"{p.code} - {p.label}", p.plain, *words[p.code]):
            key = _fold(form)
            if out.setdefault(key, p.code) != p.code:  # one spelling, two meanings: the list is wrong
                raise BadValue(f"{form!r} would mean both {out[key]} and {p.code}")
    return out


def _fold(text: str) -> str:
    text = text.replace("\u2019", "'").replace("\u2013", "-").replace("\u2014", "-")
    return _SPACES.sub(" ", text).strip().casefold()


def is_blank(value: object) -> bool:
    """Nothing typed: no value, or only whitespace."""
    return value is None or (isinstance(value, str) and not value.strip())


def parse_rating(value: object, lookup: dict[str, str], exact: set[str]) -> tuple[str | None, bool]:
    """(code, normalised) for a typed rating; (None, False) when blank.

    `normalised` is True when the value was not typed exactly as offered (a code or dropdown
    label), so the caller can say what it read it as.
    """
    if is_blank(value):
        return None, False
    text = str(value)
    code = lookup.get(_fold(text))
    if code is None:
        raise BadValue(f"rating {text!r} is not one of {', '.join(RATINGS)} (or the words on the Instructions "
                         "sheet)")
    return code, text not in exact


def parse_confidence(value: object) -> int | None:
    if is_blank(value):
        return None
    try:
        number = float(str(value).strip())
    except ValueError:
        number = None
    if number is None or number != number or number in (float("inf"), float("-inf")) \
            or number != int(number) or not 1 <= number <= 5:
        raise BadValue(f"confidence must be a whole number from 1 to 5, not {value!r}")
    return int(number)


def clean_text(value: object, what: str) -> str | None:
    """Free text exactly as typed (even if it looks like a formula); None when blank or only spaces.

    Raises `BadValue`, naming the field, for text over `MAX_TEXT` characters or holding a
    character a workbook cannot hold.
    """
    if is_blank(value):
        return None
    text = value if isinstance(value, str) else str(value)
    if len(text) > MAX_TEXT:
        raise BadValue(f"{what} is {len(text):,} characters; at most {MAX_TEXT:,}")
    why = xml_safe_problem(text)
    if why:
        raise BadValue(f"{what} {why}; remove it")
    return text


def check_answer(answer: Answer) -> list[str]:
    """What is wrong with an answer that did not come through a reader (the workshop form, a
    script): the same text rules as every file channel. Empty when it can be stored."""
    out = []
    for key, what in TEXT_FIELDS.items():
        value = getattr(answer, key)
        if value is not None:
            try:
                clean_text(value, what)
            except ValueError as exc:
                out.append(f"{answer.respondent}, {answer.criterion_id}: {exc}")
    return out


class RowReader:
    """Reads the answer cells of one row the same way for every channel."""

    def __init__(self, fw: Framework):
        self.lookup = rating_lookup(fw)
        self.exact = set(dropdown_labels(fw).values()) | {p.code for p in fw.scale}

    def read(self, values: dict[str, object], cid: str, respondent: str, file: str,
             where: Callable[[str], str]) -> Row:
        """The answer of one row, with notes, warnings and problems; `where(field)` names a field's cell.

        Every problem of the row is reported, not just the first. A row with no rating stores
        nothing (a note says so when it carries other text).
        """
        row = Row()
        try:
            rating, normalised = parse_rating(values.get("rating"), self.lookup, self.exact)
            if normalised:
                row.notes.append(f"{where('rating')}: {values['rating']!r} read as {rating}")
        except ValueError as exc:
            row.problems.append(Problem(file, where("rating"), str(exc)))
            rating = None
        fields: dict[str, object] = {}
        for key, what in TEXT_FIELDS.items():
            try:
                fields[key] = clean_text(values.get(key), what)
            except ValueError as exc:
                row.problems.append(Problem(file, where(key), str(exc)))
        try:
            fields["confidence"] = parse_confidence(values.get("confidence"))
        except ValueError as exc:
            row.problems.append(Problem(file, where("confidence"), str(exc)))
        if rating == "NA" and "na_reason" in fields and not fields["na_reason"]:
            row.problems.append(Problem(file, where("na_reason"),
                                        f"{cid} is rated N/A but has no reason; say why it does not apply"))
        if row.problems:
            return row
        if rating is None:
            if any(fields.get(k) for k in ("evidence", "comment", "confidence", "na_reason")):
                row.notes.append(f"{where('rating')}: {cid} has notes but no rating; not stored")
            return row
        if rating != "NA" and fields["na_reason"]:
            row.warnings.append(f"{where('na_reason')}: {cid} has an N/A reason but is rated {rating}, not N/A; "
                                "the reason is kept as typed")
        row.answer = Answer(respondent, cid, rating, fields["na_reason"], fields["confidence"], fields["evidence"],
                            fields["comment"])
        return row
