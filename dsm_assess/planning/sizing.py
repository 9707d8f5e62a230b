"""Initiatives sized for the client: the library's estimates scaled by the engagement's size drivers.

Every effort and duration in the initiative library is estimated for the reference organisation
of `initiatives/library.yaml` (250 IT staff, 60 services, 25 suppliers, 3 sites, 40 integrations).
An initiative's `basis` says what its work grows with; `size_estimate` is the one formula every
planner and every output uses (docs/question-bank.md, "Sizing initiatives"; docs/methodology.md,
"The roadmap").
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from dsm_assess.core.errors import DsmError
from dsm_assess.engagement.spec import Size
from dsm_assess.framework.model import BASIS_DRIVER, SIZE_DRIVERS, Initiative, ReferenceSize

# Work grows more slowly than what it covers: the second hundred services reuse the method, tools,
# templates and people the first hundred paid for, so twice the services cost about 1.74 times
# the effort (2 ** 0.8), not twice. Elapsed time grows more slowly still (2 ** 0.4, about 1.32),
# because a larger organisation puts more people on the work in parallel.
EFFORT_EXPONENT = 0.8
DURATION_EXPONENT = 0.4
SMALLEST = 0.5  # weeks or person-weeks: estimates are kept to half weeks, and no work takes nothing

# How a driver reads in a sentence, one and many.
DRIVER_WORDS = {"staff_in_it": ("person in IT", "people in IT"), "services": ("service", "services"),
                "suppliers": ("supplier", "suppliers"), "sites": ("site", "sites"),
                "integrations": ("integration", "integrations")}


def size_estimate(effort: float, duration: float, basis: str, client: int | None,
                  reference: int | None) -> tuple[float, float]:
    """The effort (person-weeks) and duration (weeks) of an initiative estimated at `effort` and
    `duration` for the reference organisation, for a client with `client` units of what its `basis`
    counts against `reference` units in the reference organisation.

    `fixed` work does not scale. Work `per-X` scales effort by (client / reference) ** 0.8 and
    duration by (client / reference) ** 0.4 (economies of scale, see EFFORT_EXPONENT), each
    rounded to the nearest half week (halves round up) and at least half a week. A client figure
    of None is the reference's own: the factor is 1. Example: 10 person-weeks per service, 120
    services against 60: 10 * 2 ** 0.8 = 17.41, so 17.5.
    """
    if basis == "fixed":
        return effort, duration
    if basis not in BASIS_DRIVER:
        raise DsmError(f"unknown basis of estimate {basis!r}; one of fixed, {', '.join(BASIS_DRIVER)}")
    if reference is None or reference <= 0:
        raise DsmError(f"an initiative sized {basis} needs the reference organisation's size "
                       "(reference_size in initiatives/library.yaml)")
    ratio = 1.0 if client is None else client / reference
    return _half_weeks(effort * ratio ** EFFORT_EXPONENT), _half_weeks(duration * ratio ** DURATION_EXPONENT)


def _half_weeks(x: float) -> float:
    return max(SMALLEST, math.floor(x * 2 + 0.5) / 2)


@dataclass(frozen=True)
class Estimate:
    """One initiative's estimate for this client, and what it was scaled from."""

    basis: str                    # fixed, per-service, ...
    driver: str | None            # the size driver it grows with (None: fixed)
    client: int | None            # the figure used for the client (the reference's when not given)
    reference: int | None         # the reference organisation's figure
    given: bool                   # the client's figure was given in engagement.yaml
    reference_effort: float
    reference_duration: float
    effort: float
    duration: float

    def describe(self) -> str:
        """The basis of estimate in words, as the backlog shows it."""
        if self.driver is None:
            return (f"fixed: {self.effort:g} person-weeks over {self.duration:g} weeks whatever the organisation's "
                    "size")
        one, many = DRIVER_WORDS[self.driver]
        whose = "" if self.given else ", the reference figure (none given)"
        return (f"{self.basis.replace('-', ' ')}: {self.client:,} {one if self.client == 1 else many}{whose} against "
                f"{self.reference:,} in the reference organisation; {self.reference_effort:g} person-weeks over "
                f"{self.reference_duration:g} weeks there, {self.effort:g} over {self.duration:g} here")


@dataclass(frozen=True)
class Sizing:
    """The size a plan was made for: each driver's figure, whether the engagement gave it, and each
    initiative's estimate."""

    figures: dict[str, int]       # driver -> the figure used
    reference: dict[str, int]     # driver -> the reference organisation's figure
    given: tuple[str, ...]        # the drivers engagement.yaml gives
    estimates: dict[str, Estimate]

    def sentence(self, ids: Sequence[str] | None = None) -> str:
        """What the efforts of the initiatives `ids` (default: all) were sized for, in one sentence;
        figures not given are said to be the reference organisation's."""
        chosen = [self.estimates[i] for i in (self.estimates if ids is None else ids) if i in self.estimates]
        drivers = [d for d in SIZE_DRIVERS if any(e.driver == d for e in chosen)]
        if not drivers:
            return "Every initiative's effort is fixed: it does not depend on the organisation's size."
        given = [self._words(d) for d in drivers if d in self.given]
        assumed = [self._words(d) for d in drivers if d not in self.given]
        parts = []
        if given:
            parts.append(f"sized for {_and(given)}")
        if assumed:
            parts.append(f"{'and ' if given else 'sized for '}{_and(assumed)}, the reference organisation's "
                         f"{'figure' if len(assumed) == 1 else 'figures'}, as engagement.yaml gives none "
                         "(dsm-assess engagement size)")
        scaled = sum(e.driver is not None for e in chosen)
        return (f"Efforts of the {scaled} initiative{'s' if scaled != 1 else ''} that grow with the organisation are "
                + " ".join(parts) + "; the others are fixed.")

    def _words(self, driver: str) -> str:
        one, many = DRIVER_WORDS[driver]
        n = self.figures[driver]
        return f"{n:,} {one if n == 1 else many}"


def describe_size(size: Size | None, reference: ReferenceSize | None) -> str:
    """The size drivers a plan will use, in words: the figures given, then the reference
    organisation's for the rest ("120 services; the reference organisation's for the rest: ...")."""
    given = size.model_dump(exclude_none=True) if size else {}
    ref = reference.model_dump() if reference else {}

    def words(d: str, n: int) -> str:
        return f"{n:,} {DRIVER_WORDS[d][0] if n == 1 else DRIVER_WORDS[d][1]}"

    told = ", ".join(words(d, given[d]) for d in SIZE_DRIVERS if d in given)
    rest = ", ".join(words(d, ref[d]) for d in SIZE_DRIVERS if d not in given and d in ref)
    if not rest:
        return told or "not given"
    return (f"{told}; " if told else "") + f"the reference organisation's for the rest: {rest}"


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def size_library(library: Sequence[Initiative], size: Size | None,
                 reference: ReferenceSize | None) -> tuple[tuple[Initiative, ...], Sizing]:
    """The library with each initiative's effort and duration sized for the client (`size`, from
    engagement.yaml; a driver it leaves out takes the reference figure), and what was used."""
    given = {d: v for d, v in (size.model_dump() if size else {}).items() if v is not None}
    ref = reference.model_dump() if reference else {}
    figures = {d: given.get(d, ref.get(d)) for d in SIZE_DRIVERS if d in given or d in ref}
    out, estimates = [], {}
    for i in library:
        driver = BASIS_DRIVER.get(i.basis)
        effort, duration = size_estimate(i.effort, i.duration, i.basis, given.get(driver),
                                         ref.get(driver) if driver else None)
        estimates[i.id] = Estimate(i.basis, driver, figures.get(driver) if driver else None,
                                   ref.get(driver) if driver else None, driver in given, i.effort, i.duration,
                                   effort, duration)
        out.append(i if (effort, duration) == (i.effort, i.duration)
                   else i.model_copy(update={"effort": effort, "duration": duration}))
    return tuple(out), Sizing(figures, ref, tuple(d for d in SIZE_DRIVERS if d in given), estimates)
