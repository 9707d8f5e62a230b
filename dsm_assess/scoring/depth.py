"""How deep each subject was asked: a subject whose higher levels were never asked is `screened`.

The adaptive path (docs/methodology.md) starts with a short first round (the `screening` or
`stepwise` profile) and its follow-up climbs each subject's levels only as far as the answers
can still change the level. Where levels above some level were never asked, the subject's level
can be at most that level (a level without criteria asked is passed through but never claimed),
and its score counts nothing above: readers must see that this level comes from an adaptive
path, and that the score leaves out the levels never asked. This module adds two columns to the
subjects table after scoring, leaving the scoring rules themselves untouched:

- `asked_to`: the highest level whose criteria were asked in the subject;
- `screened`: the engagement used a profile that a follow-up builds on, and levels above
  `asked_to` exist in the bank but were not asked.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from dsm_assess.core.frames import pd
from dsm_assess.engagement.spec import EngagementSpec
from dsm_assess.framework.model import Framework
from dsm_assess.scoring.rules import Scores


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
    adaptive = profile.isin(list(fw.follow_up_profiles)).to_numpy()
    asked_to = top.reindex(index).to_numpy()
    bank_top = subjects["id"].map(pd.Series([c.level for c in fw.criteria], index=[c.subject for c in fw.criteria])
                                  .groupby(level=0).max()).to_numpy()
    asked_to = np.where(np.isnan(asked_to.astype(float)), 0, asked_to).astype(int)
    screened = adaptive & (asked_to < bank_top)
    level = subjects["level"].copy()
    capped = screened & level.notna().to_numpy() & (level.fillna(0).to_numpy() > asked_to)
    level[capped] = asked_to[capped]  # the scoring rules never claim an unasked level; this makes it a promise
    subjects = subjects.assign(level=level, asked_to=asked_to, screened=screened)
    return Scores(**{**scores.__dict__, "subjects": subjects})
