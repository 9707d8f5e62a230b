"""The glossary: terms a respondent may not know, with a plain definition, found in the bank's text.

`questionnaires/framework/glossary.yaml` lists each term with the spellings that name it
("underpinning contract", "UC") and a definition of two lines at most; `watch:` holds patterns of
jargon (`\\bOLA\\b`, `TG[1-7]`, any acronym) that `bank lint` reports where the glossary does not
define them, and `plain:` the words those patterns catch that need no definition (IT, HR).
The workbook, the web form and the report show the terms a text uses (`Glossary.used_in`).
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

MAX_DEFINITION = 220  # characters: two lines of a questionnaire's guidance column, or of the form

Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]


class GlossaryTerm(BaseModel):
    """One term, the spellings that name it in a text, and what it means in plain words."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    term: Text
    match: tuple[Text, ...] = Field(min_length=1)
    definition: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=MAX_DEFINITION,
                                                 pattern=r"^[^\n]*$")]


class GlossaryFile(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    terms: tuple[dict, ...] = ()
    watch: tuple[Text, ...] = ()
    plain: tuple[Text, ...] = ()


def _words(spelling: str) -> list[str]:
    return re.split(r"[\s-]+", spelling.strip())


def spelling_pattern(spelling: str) -> re.Pattern:
    """A spelling as it may appear in running text: whole words only (never part of `CI/CD` or of a
    longer word; "Beta-stage" names beta), a space or hyphen between words optional either way
    ("toll-gate", "toll gate", "tollgate"), a plural ending allowed. An acronym (all capitals) matches in
    capitals only, so `CI` never matches "ci"; anything else matches in any case."""
    words = _words(spelling)
    last = words[-1]
    ending = r"(?:y|ies)" if last[-1:] == "y" and not spelling.isupper() else ""
    stems = [*words[:-1], last[:-1] if ending else last]
    body = r"[\s-]?".join(re.escape(w) for w in stems) + (ending or r"(?:s|es)?")
    return re.compile(rf"(?<![\w/]){body}(?![\w/])", 0 if spelling.isupper() else re.IGNORECASE)


class Glossary(BaseModel):
    """The loaded glossary: its terms (in file order), the jargon to watch for, the plain words."""

    model_config = ConfigDict(frozen=True)
    terms: tuple[GlossaryTerm, ...] = ()
    watch: tuple[str, ...] = ()
    plain: tuple[str, ...] = ()

    @cached_property
    def _patterns(self) -> list[tuple[GlossaryTerm, re.Pattern, str]]:
        # with the spelling's first word in lower case: a text without it cannot match, and a
        # substring test is far cheaper than the pattern (lint runs every term over every text)
        return [(t, spelling_pattern(s), _words(s)[0][:-1].lower()) for t in self.terms for s in t.match]

    @cached_property
    def _watch(self) -> list[re.Pattern]:
        return [re.compile(w) for w in self.watch]

    @cached_property
    def _plain(self) -> frozenset[str]:
        return frozenset(self.plain)

    def spans(self, text: str) -> list[tuple[int, int, GlossaryTerm]]:
        """(start, end, term) of every glossary spelling in `text`, in order of appearance."""
        lower = text.lower()
        found = [(m.start(), m.end(), t) for t, p, first in self._patterns if first in lower for m in p.finditer(text)]
        return sorted(found, key=lambda f: (f[0], -f[1]))

    def used_in(self, *texts: str) -> list[GlossaryTerm]:
        """The terms `texts` use, each once, in the order they first appear."""
        out: dict[str, GlossaryTerm] = {}
        for text in texts:
            for _, _, term in self.spans(text or ""):
                out.setdefault(term.term, term)
        return list(out.values())

    def undefined(self, text: str) -> list[str]:
        """The jargon in `text` (what a `watch` pattern matches) that no glossary spelling covers and
        that is not a plain word, each once, in order."""
        jargon = [m for pattern in self._watch for m in pattern.finditer(text)
                  if m.group(0) not in self._plain and m.group(0).rstrip("s") not in self._plain]
        if not jargon:  # most texts: no need to find the glossary's spellings
            return []
        covered = [(a, b) for a, b, _ in self.spans(text)]
        return list(dict.fromkeys(m.group(0) for m in jargon
                                  if not any(a < m.end() and m.start() < b for a, b in covered)))


def term_list(terms: list[GlossaryTerm]) -> str:
    """Terms named in a sentence: "toll-gate; underpinning contract (UC)"."""
    return "; ".join(t.term for t in terms)
