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


def subject_note(insufficient: bool, unknown_levels, over_target: bool) -> str:
    """The note beside a subject's numbers: why a level is missing or what stands out."""
    if insufficient:
        return "insufficient data"
    if unknown_levels is not None and len(unknown_levels):
        return f"level {', '.join(map(str, unknown_levels))} unknown"
    return "over target" if over_target else ""


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
