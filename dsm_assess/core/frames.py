"""pandas as the kit uses it: every module of the kit imports it from here.

The kit's frames are small (a row per answer, criterion or subject) and are built many times in a
command. For frames like these, pandas' Python-backed strings score an engagement about 40 % faster
than its default Arrow-backed ones (benchmarks/README.md, "Strings") and behave the same: one `str`
dtype, missing values as NaN. So the kit sets this once, where it first loads pandas.
"""

import pandas as pd

pd.set_option("mode.string_storage", "python")

__all__ = ["pd"]
