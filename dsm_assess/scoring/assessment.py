"""One engagement's assessment, loaded and scored: what notebooks, the demo and the CLI work from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from dsm_assess.engagement.spec import EngagementSpec, engagement_dir, load_engagement
from dsm_assess.framework.model import Framework, load_framework
from dsm_assess.scoring.rules import Scores, score_engagement
from dsm_assess.scoring.whatif import WhatIf, load_what_if
from dsm_assess.store.backend import open_store, open_stores


@dataclass
class Assessment:
    framework: Framework
    engagement: EngagementSpec
    answers: pd.DataFrame
    consensus: pd.DataFrame
    scores: Scores
    what_if: WhatIf | None = None

    def subject_table(self) -> pd.DataFrame:
        """The table a consultant reads first: one row per subject."""
        cols = ["id", "name", "level", "score", "coverage", "target", "gap", "priority", "over_maturity"]
        return self.scores.subjects[cols].set_index("id").round({"score": 2, "coverage": 2})

    def headline(self) -> pd.Series:
        h = {k: v for k, v in self.scores.headline.items() if not isinstance(v, dict)}
        h.update({f"{band} priorities": n for band, n in self.scores.headline["priorities"].items()})
        return pd.Series(h, name=self.engagement.client)


def load_assessment(slug: str, root: str | Path | None = None, questionnaires: Path | None = None,
                    what_if: Path | WhatIf | None = None, fw: Framework | None = None) -> Assessment:
    """Load an engagement and its current answers and score them (what-if applies in memory only)."""
    fw = fw or load_framework(questionnaires)
    eng = load_engagement(slug, root, fw)
    changes = load_what_if(what_if, fw) if isinstance(what_if, (str, Path)) else what_if
    with open_store(engagement_dir(slug, root), slug) as store:
        answers, consensus = store.scoring_answers(fw.same_as), carried_consensus(store.consensus(), fw)
    return Assessment(fw, eng, answers, consensus, score_engagement(fw, eng, answers, consensus, changes), changes)


def trend(earlier: Assessment, current: Assessment) -> pd.DataFrame:
    """`scoring.compare` of two assessments of the same client, with the subjects whose earlier
    answers the bank has since replaced, split, merged or dropped marked not comparable."""
    from dsm_assess.scoring.rules import compare
    answered = [*earlier.answers["criterion_id"].astype(str), *earlier.consensus["criterion_id"].astype(str)]
    return compare(earlier.scores, current.scores, current.framework.changed_subjects(answered))


def carried_consensus(consensus: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """Current consensus values with retired ids read as the ids that replaced them (`same` kind);
    a value agreed on the new id, being the later, wins."""
    if not fw.same_as or consensus.empty or not consensus["criterion_id"].isin(fw.same_as.keys()).any():
        return consensus
    out = consensus.assign(criterion_id=consensus["criterion_id"].replace(fw.same_as))
    return out.sort_values("id").drop_duplicates("criterion_id", keep="last").sort_values("criterion_id")


def score_engagements(slugs: list[str], root: str | Path | None = None, fw: Framework | None = None) -> Scores:
    """Many engagements read from their own stores and scored together, in every view."""
    from dsm_assess.scoring.rules import score_many
    from dsm_assess.store.base import scoring_table_frame
    fw = fw or load_framework()
    engagements = [load_engagement(slug, root, fw) for slug in slugs]
    tables, consensus = [], []
    for store in open_stores([(engagement_dir(slug, root), slug) for slug in slugs]):
        tables.append(store.scoring_table())  # column-wise: no Python object per answer
        consensus.append(carried_consensus(store.consensus(), fw)[["criterion_id", "rating"]].assign(
            engagement=store.engagement))
    return score_many(fw, engagements, scoring_table_frame(tables, list(slugs), fw.same_as),
                      pd.concat(consensus, ignore_index=True))
