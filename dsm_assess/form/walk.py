"""The workshop agenda as the form's consultant view walks it, item by item.

The agenda is `workshop agenda`'s (`deliver.agenda.build_agenda`, the same order, minutes and
cut-off line), frozen when the consultant starts the walk: recording a consensus takes an item
off a freshly built agenda, and the one being walked must not reorder under the room's feet.
The frozen agenda and the time it started are kept in the engagement's audit log (one row, as
every change is), so a restarted server, or another consultant's browser, walks the same one.
An item is settled once its criterion has a consensus; the answers and the consensus shown are
always read fresh from the store.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from dsm_assess.deliver.agenda import DECIDES, DISAGREEMENT, DISPUTED_NA, UNKNOWN, Agenda

ACTION = "workshop agenda walked"  # the audit row that holds the walk
# Why an item is on the agenda, in the words the room hears.
WHY = {
    DISAGREEMENT: "the answers are two or more steps apart",
    DISPUTED_NA: "some say it does not apply, others rated it or do not know",
    UNKNOWN: "too few answers to tell whether its level is reached",
    DECIDES: "it decides a level of a high-priority gap",
}


@dataclass(frozen=True)
class Stop:
    """One agenda item as the walk keeps it."""

    criterion: str
    kinds: tuple[str, ...]
    minutes: int      # the estimate
    starts_at: int    # minutes into the workshop, by the estimates
    within: bool      # above the cut-off line


@dataclass(frozen=True)
class Walk:
    minutes: int      # what the workshop has
    started: dt.datetime
    stops: tuple[Stop, ...]

    @property
    def within(self) -> int:
        """How many items fit in the minutes (the cut-off line is after them)."""
        return sum(s.within for s in self.stops)

    @property
    def needed(self) -> int:
        return sum(s.minutes for s in self.stops)

    def used(self, now: dt.datetime) -> int:
        """Whole minutes since the walk started."""
        return max(int((now - self.started).total_seconds() // 60), 0)


def record(agenda: Agenda, started: dt.datetime) -> dict:
    """The audit detail that keeps a walk: the agenda's order, estimates and cut-off."""
    return {"minutes": agenda.minutes, "started": started.isoformat(),
            "items": [{"criterion": i.criterion, "kinds": i.kinds, "minutes": i.minutes, "starts_at": i.starts_at,
                       "within": i.within} for i in agenda.items]}


def read(detail: dict | None) -> Walk | None:
    """The walk an audit detail keeps (None if there is none)."""
    if not detail:
        return None
    stops = tuple(Stop(i["criterion"], tuple(i["kinds"]), int(i["minutes"]), int(i["starts_at"]), bool(i["within"]))
                  for i in detail["items"])
    return Walk(int(detail["minutes"]), dt.datetime.fromisoformat(detail["started"]), stops)


def pace(used: int, planned: int) -> str:
    """How the time used compares with the estimate, in words."""
    if used > planned:
        return f"{used - planned} min behind the estimate"
    if used < planned:
        return f"{planned - used} min ahead of the estimate"
    return "on the estimate"
