"""How deep each subject was asked: a subject scored on a screening's answers alone is `screened`.

A screening (docs/methodology.md, "The adaptive path") asks levels 2 and 3 of every subject, and
its follow-up asks levels 4 and 5 only where level 3 is largely achieved. Where levels above 3
were never asked, the subject's level can be at most 3 (a level without criteria asked is passed
through but never claimed), and its score counts nothing above: readers must see that this is
a level from a screening, not one the full bank would confirm. This module adds two columns to
the subjects table after scoring, leaving the scoring rules themselves untouched:

- `asked_to`: the highest level whose criteria were asked in the subject;
- `screened`: the engagement used the screening profile and levels above `asked_to` exist in
  the bank but were not asked.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from dsm_assess.engagement.spec import EngagementSpec
from dsm_assess.framework.model import Framework
from dsm_assess.scoring.rules import Scores

SCREENING = "screening"


def mark_depth(scores: Scores, fw: Framework, engagements: Sequence[EngagementSpec]) -> Scores:
    """`scores` with `asked_to` and `screened` on its subjects table (one or many engagements);
    a screened subject's level is never above `asked_to`."""
    subjects, crit = scores.subjects, scores.criteria
    many = "engagement" in subjects.columns
    keys = ["engagement", "subject"] if many else ["subject"]
    top = crit.assign(subject=crit["subject"].astype(str)).groupby(keys, observed=True)["level"].max()
    if many:
        index = pd.MultiIndex.from_arrays([subjects["engagement"].astype(str), subjects["id"]])
        top.index = pd.MultiIndex.from_arrays([top.index.get_level_values(0).astype(str),
                                               top.index.get_level_values(1)])
        profile = subjects["engagement"].astype(str).map({e.slug: e.profile for e in engagements})
    else:
        index = pd.Index(subjects["id"])
        profile = pd.Series([engagements[0].profile] * len(subjects), index=subjects.index)
    asked_to = top.reindex(index).to_numpy()
    bank_top = subjects["id"].map(pd.Series([c.level for c in fw.criteria], index=[c.subject for c in fw.criteria])
                                  .groupby(level=0).max()).to_numpy()
    asked_to = np.where(np.isnan(asked_to.astype(float)), 0, asked_to).astype(int)
    screened = (profile.to_numpy() == SCREENING) & (asked_to < bank_top)
    level = subjects["level"].copy()
    capped = screened & level.notna().to_numpy() & (level.fillna(0).to_numpy() > asked_to)
    level[capped] = asked_to[capped]  # the scoring rules never claim an unasked level; this makes it a promise
    subjects = subjects.assign(level=level, asked_to=asked_to, screened=screened)
    return Scores(**{**scores.__dict__, "subjects": subjects})
