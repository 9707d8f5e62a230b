"""The answer scale, defined once: parsing, storage, scoring and the workbook all read it from here.

N, P, L and F are achievement *steps* (0-3, ISO/IEC 33020 bands); NA and DK are answers that
carry no step. The bank's `scale:` gives each code its wording and credit and is checked against
these codes when the framework loads.
"""

from __future__ import annotations

from enum import StrEnum


class Rating(StrEnum):
    N = "N"
    P = "P"
    L = "L"
    F = "F"
    NA = "NA"
    DK = "DK"


RATINGS: tuple[str, ...] = tuple(r.value for r in Rating)  # storage and counting order
STEPS: tuple[str, ...] = ("N", "P", "L", "F")             # achievement steps, index = step
N_STEPS = len(STEPS)
STEP = {code: i for i, code in enumerate(STEPS)}
NA_CODE = RATINGS.index("NA")  # position of NA and DK among RATINGS, for integer-coded counting
DK_CODE = RATINGS.index("DK")
LARGELY = STEP["L"]  # a level is reached when its criteria are at least largely achieved ...
FULLY = STEP["F"]    # ... and every lower level's criteria are fully achieved


def sql_in(column: str) -> str:
    """`column IN ('N', 'P', ...)`: the CHECK that keeps the store to this scale."""
    return f"{column} IN ({', '.join(repr(r) for r in RATINGS)})"
