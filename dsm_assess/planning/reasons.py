"""Why a subject is still below target after the last wave: one closed list of reasons.

For every criterion that stands between the subject and its target (planning/gates.py) and that
the plan does not achieve, the reason is the first that holds of the initiatives that could
achieve it:

- `unreachable`: no initiative in the library achieves it;
- `excluded`: every one that does is excluded, or waits for an excluded one;
- `capacity`: one of them could end within the plan's waves with unlimited person-weeks (pins
  kept): more capacity would close it;
- `dependency`: one could end in time with unlimited person-weeks if it did not wait for a
  pinned initiative (named, with its wave), or were not pinned late itself;
- `horizon`: none can end within the plan's waves even with unlimited capacity: more waves would.

A subject gets one entry for each reason that applies to it, naming the initiatives and criteria.
"""

from __future__ import annotations

from dataclasses import dataclass

from dsm_assess.core.frames import pd

REASONS = ("capacity", "horizon", "dependency", "excluded", "unreachable")


@dataclass(frozen=True)
class OpenGap:
    """A subject still below target after the last wave, and one reason why."""

    subject: str
    kind: str                     # one of REASONS
    detail: str
    initiatives: tuple[str, ...]
    criteria: tuple[str, ...]
    waits_for: tuple[str, ...] = ()   # dependency: the pinned initiatives it waits for

    @property
    def reason(self) -> str:
        return f"{self.kind}: {self.detail}"


def open_gaps(state, projection: pd.DataFrame) -> list[OpenGap]:
    """Every subject below target after the last wave of the plan `state` holds (plan.py's
    planner state), with each reason that applies, in the framework's order."""
    p = state.params
    # the gap, not the level: a target on a level without applicable criteria is reached without
    # that level ever being claimed (methodology 2.1)
    last = projection[projection["wave"] == p.waves].set_index("subject")["gap"]
    achieved = state.achieved_by(p.waves)
    serving: dict[str, list[str]] = {}
    for iid, i in state.library.items():
        for c in i.criteria:
            serving.setdefault(c, []).append(iid)
    memo: dict = {}
    free: dict[str, int] = {}
    pinned: dict[str, int] = {}

    def prerequisites(iid: str) -> list[str]:
        """What it waits for: its prerequisites not already in place, and pinned ones in any case
        (the plan holds them, so what depends on them waits for them)."""
        return [d for d in state.library[iid].depends_on if d in p.pinned or not state.already_in_place(d)]

    def end(iid: str, pins: bool) -> int:
        """Earliest wave it could end in with unlimited person-weeks (with or without the pins)."""
        table = pinned if pins else free
        if iid not in table:
            deps = prerequisites(iid)
            start = max([1] + [end(d, pins) + 1 for d in deps])
            if pins and p.pinned.get(iid) is not None:
                start = max(start, p.pinned[iid])
            table[iid] = start + state.natural_span(iid) - 1
        return table[iid]

    def late_pins(iid: str) -> list[str]:
        """The pinned initiatives (itself or a prerequisite) that keep it from ending in time."""
        out = []
        if p.pinned.get(iid) is not None and end(iid, True) > end(iid, False):
            out.append(iid)
        for d in prerequisites(iid):
            if end(d, True) > end(d, False):
                out += late_pins(d)
        return list(dict.fromkeys(out))

    out = []
    for sid, g in state.gates.items():
        left = last.get(sid)
        if left is not None and not pd.isna(left) and left <= 0:
            continue
        needs = g.needs[g.target]
        why: dict[str, tuple[list[str], list[str]]] = {}

        def add(kind: str, iid: str | None, cid: str, why=why) -> None:
            ids, crits = why.setdefault(kind, ([], []))
            if iid and iid not in ids:
                ids.append(iid)
            crits.append(cid)

        if needs is None:
            add("unreachable", None, f"{sid}.L{g.target}")
        for cid in sorted(needs or (), key=lambda c: (state.level.get(c, 0), c)):
            if cid in achieved:
                continue
            ways = serving.get(cid, [])
            open_ways = [i for i in ways if state.blocker(i, memo) is None]
            if not ways:
                add("unreachable", None, cid)
            elif not open_ways:
                add("excluded", state.blocker(ways[0], memo), cid)
            else:
                best = min(open_ways, key=lambda i: (end(i, True), state.position[i]))
                if end(best, True) <= p.waves:
                    add("capacity", best, cid)
                else:
                    best = min(open_ways, key=lambda i: (end(i, False), state.position[i]))
                    add("dependency" if end(best, False) <= p.waves else "horizon", best, cid)
        for kind in REASONS:
            if kind in why:
                ids, crits = why[kind]
                waits = tuple(dict.fromkeys(w for i in ids for w in late_pins(i))) if kind == "dependency" else ()
                out.append(OpenGap(sid, kind, _explain(state, kind, ids, crits, waits, end), tuple(ids),
                                   tuple(crits), waits))
    return out


def waves_of(p) -> str:
    return f"{p.waves} wave{'s' if p.waves != 1 else ''}"


def held_back(p, kind: str, ids: list[str]) -> str | None:
    """Why initiatives do not make the plan for lack of room or time, in the words both the plan's
    held-back work and the open gaps use; None for the other kinds."""
    names = ", ".join(ids)
    if kind == "capacity":
        return f"{names} {'does' if len(ids) == 1 else 'do'} not fit in {waves_of(p)} of {p.capacity:g} person-weeks"
    if kind == "horizon":
        return f"{names} cannot end within {waves_of(p)} of {p.wave_weeks} weeks, even with unlimited capacity"
    return None


def _explain(state, kind: str, ids: list[str], crits: list[str], waits: tuple[str, ...], end) -> str:
    p = state.params
    names = ", ".join(ids)
    one = len(ids) == 1
    waves = waves_of(p)
    if kind == "capacity":
        return held_back(p, kind, ids)
    if kind == "horizon":
        return f"{held_back(p, kind, ids)} (the earliest by wave {max(end(i, True) for i in ids)})"
    if kind == "dependency":
        pins = ", ".join(f"{w} (pinned to wave {p.pinned[w]})" for w in waits)
        return (f"{names} {'waits' if one else 'wait'} for {pins}, so cannot end within {waves}; "
                f"pin earlier to let it in")
    if kind == "excluded":
        return f"{', '.join(crits)} can only be achieved through {names}, which {'is' if one else 'are'} excluded"
    return f"no initiative in the library achieves {', '.join(crits)}"
