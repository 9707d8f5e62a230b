"""One engagement's assessment, loaded and scored: what notebooks, the demo and the CLI work from."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from .engagement import Engagement, engagement_dir, load_engagement
from .framework import Framework, load_framework
from .generate import generate_engagement
from .scoring import Scores, WhatIf, load_what_if, score_engagement
from .store import open_store


@dataclass
class Assessment:
    framework: Framework
    engagement: Engagement
    answers: pd.DataFrame
    consensus: pd.DataFrame
    scores: Scores

    def subject_table(self) -> pd.DataFrame:
        """The table a consultant reads first: one row per subject."""
        cols = ["id", "name", "level", "score", "coverage", "target", "gap", "priority", "over_maturity"]
        return self.scores.subjects[cols].set_index("id").round({"score": 2, "coverage": 2})

    def headline(self) -> pd.Series:
        h = {k: v for k, v in self.scores.headline.items() if not isinstance(v, dict)}
        h.update({f"{band} priorities": n for band, n in self.scores.headline["priorities"].items()})
        return pd.Series(h, name=self.engagement.client)


def load_assessment(slug: str, root: str | Path | None = None, questionnaires: Path | None = None,
                    what_if: Path | WhatIf | None = None) -> Assessment:
    """Load an engagement and its current answers and score them (what-if applies in memory only)."""
    fw = load_framework(questionnaires)
    eng = load_engagement(slug, root, fw)
    changes = load_what_if(what_if, fw) if isinstance(what_if, (str, Path)) else what_if
    with open_store(engagement_dir(slug, root), slug) as store:
        answers, consensus = store.current_answers(), store.consensus()
    return Assessment(fw, eng, answers, consensus, score_engagement(fw, eng, answers, consensus, changes))


def sample_assessment(seed: int = 42, respondents: int = 6, root: str | Path | None = None) -> Assessment:
    """A generated sample engagement (in a temporary folder unless `root` is given), scored."""
    root = Path(root) if root else Path(tempfile.mkdtemp(prefix="dsm-sample-"))
    generate_engagement(load_framework(), "sample", respondents=respondents, seed=seed, profile="quick-scan",
                        client="Sample client", root=root)
    return load_assessment("sample", root)
