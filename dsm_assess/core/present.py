"""How levels, scores, gaps and notes are written, in one place for every output.

The CLI, notebooks, the form, the operating-model text, the report and the charts' labels all
format through these functions, so that "no score" reads the same everywhere (a dash, or "not
assessed" in sentences) and is never shown as a number.
"""

from __future__ import annotations

import math
from html import escape

DASH = "-"
NOT_ASSESSED = "not assessed"  # in sentences and legends, where a dash would read as a typo


def missing(v) -> bool:
    """None, NaN and pandas' NA: a value that was not computed."""
    if v is None:
        return True
    try:
        return bool(v != v) or (isinstance(v, float) and math.isnan(v))
    except (TypeError, ValueError):  # pandas.NA refuses bool()
        return True


def level(v) -> str:
    """A capability level as a whole number (`3`), or a dash."""
    return DASH if missing(v) else str(int(v))


def score(v, digits: int = 1) -> str:
    """A score to `digits` decimals (`2.4`), or a dash."""
    return DASH if missing(v) else f"{float(v):.{digits}f}"


def gap(v) -> str:
    """A gap in levels with its sign (`+2`, `0`, `-1`), or a dash."""
    return DASH if missing(v) else (f"+{int(v)}" if v > 0 else str(int(v)))


def text(v) -> str:
    """Any other cell: the text, or a dash for nothing."""
    if v is None or v == "" or (not isinstance(v, (list, str)) and missing(v)):
        return DASH
    return str(v)


def band(low, high, digits: int = 1) -> str:
    """The don't-know band of a score, `2.4–3.1`, or a dash when there is none (no DK answers)."""
    if missing(low) or missing(high) or round(high - low, digits) == 0:
        return DASH
    return f"{low:.{digits}f}–{high:.{digits}f}"


def coverage(v) -> str:
    """Coverage as a percentage; "n/a" for a subject whose criteria are all not applicable."""
    return "n/a" if missing(v) else f"{v:.0%}"


def bridged(r) -> str:
    """Why a level was claimed across passed-through levels ("level 3: <reason>"), or a dash."""
    return "; ".join(r.bridged_reasons) if getattr(r, "bridged", False) else DASH


def notes(r) -> list[str]:
    """The notes on one subject row: data, unknown levels, target reached through an N/A level,
    over target, a bridged level."""
    if r.insufficient:
        return ["insufficient data"]
    out = [f"level {', '.join(map(str, r.unknown_levels))} unknown"] if len(r.unknown_levels) else []
    if getattr(r, "target_na", False) and r.gap == 0:
        out.append(f"on target; level {int(r.target)} not applicable")
    if r.over_maturity:
        out.append("over target")
    if getattr(r, "bridged", False):
        out.append(f"bridged (level {', '.join(map(str, r.bridged_levels))} not applicable)")
    if getattr(r, "screened", False):
        out.append(screened(r.level, r.asked_to))
    return out


def screened(level, asked_to: int) -> str:
    """What a level from a screening means (methodology: the adaptive path)."""
    shown = "no level" if missing(level) else f"level {int(level)}"
    return f"{shown} from a screening: levels above {asked_to} not asked"


def plural(n: int, one: str, many: str | None = None) -> str:
    """`1 criterion`, `3 criteria`: the count with the right form of the noun."""
    return f"{n} {one if n == 1 else (many or one + 's')}"


def headline_lines(headline: dict) -> list[str]:
    """A scored engagement in three lines, for reprs and summaries."""
    h = headline
    return [f"{h['scored']} of {h['subjects']} subjects scored; mean score {score(h['score'], 2)} of 5, "
            f"median level {level(h['median_level'])}",
            f"{h['below_target']} below target, {h['on_target']} on target, {h['over_maturity']} over target",
            "priorities: " + ", ".join(f"{n} {band}" for band, n in h["priorities"].items())]


def frame_html(df, more: int = 0) -> str:
    """A small table for a notebook, with a line saying how many rows were left out."""
    tail = f"<p>… and {plural(more, 'more row')}</p>" if more > 0 else ""
    return df.to_html(escape=True, na_rep=DASH) + tail


def html_escape(value: str) -> str:
    return escape(value)
