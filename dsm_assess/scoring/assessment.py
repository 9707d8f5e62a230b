"""One engagement's assessment, loaded and scored: what notebooks, the demo and the CLI work from."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dsm_assess.core.frames import pd
from dsm_assess.core.present import headline_lines, html_escape
from dsm_assess.engagement.spec import EngagementSpec, engagement_dir, load_engagement
from dsm_assess.framework.model import Framework, load_framework
from dsm_assess.scoring.depth import mark_depth
from dsm_assess.scoring.rules import Scores, score_engagement
from dsm_assess.scoring.whatif import WhatIf, apply_what_if, load_what_if
from dsm_assess.store.backend import open_store, open_stores


@dataclass
class Assessment:
    """One engagement scored. With a what-if, `engagement` and `consensus` are the effective ones
    (the what-if applied, once, here), so that everything downstream plans and reports on them."""

    framework: Framework
    engagement: EngagementSpec
    answers: pd.DataFrame
    consensus: pd.DataFrame
    scores: Scores
    what_if: WhatIf | None = None
    na_reasons: pd.DataFrame | None = None  # criterion_id, reason of the current N/A answers

    def __repr__(self) -> str:
        return "\n".join([f"Assessment of {self.engagement.client}" + (" (what-if)" if self.what_if else ""),
                          *headline_lines(self.scores.headline)])

    def _repr_html_(self) -> str:
        title = html_escape(self.engagement.client) + (" (what-if)" if self.what_if else "")
        return f"<p><b>Assessment of {title}</b></p>" + self.scores._repr_html_()

    def subject_table(self) -> pd.DataFrame:
        """The table a consultant reads first: one row per subject."""
        cols = ["id", "name", "level", "score", "coverage", "target", "gap", "priority", "over_maturity"]
        return self.scores.subjects[cols].set_index("id").round({"score": 2, "coverage": 2})

    def headline(self) -> pd.Series:
        h = {k: v for k, v in self.scores.headline.items() if not isinstance(v, dict)}
        h.update({f"{band} priorities": n for band, n in self.scores.headline["priorities"].items()})
        return pd.Series(h, name=self.engagement.client)


def load_assessment(slug: str, root: str | Path | None = None, questionnaires: Path | None = None,
                    what_if: Path | WhatIf | None = None, fw: Framework | None = None,
                    spec: EngagementSpec | None = None) -> Assessment:
    """Load an engagement (`spec` if already read) and its current answers and score them (a
    what-if applies in memory only)."""
    fw = fw or load_framework(questionnaires)
    eng = spec or load_engagement(slug, root, fw)
    changes = load_what_if(what_if, fw, eng) if isinstance(what_if, (str, Path)) else what_if
    with open_store(engagement_dir(slug, root), slug) as store:
        answers, consensus = store.scoring_answers(fw.same_as), carried_consensus(store.consensus(), fw)
        reasons = na_reasons(store.history(), fw)
    eng, consensus = apply_what_if(eng, consensus, changes)
    scores = mark_depth(score_engagement(fw, eng, answers, consensus, na_reasons=reasons), fw, [eng])
    return Assessment(fw, eng, answers, consensus, scores, changes, reasons)


def na_reasons(history: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """criterion_id, reason of every respondent's current N/A answer (retired ids read as their
    successors): what explains a level passed through."""
    if history.empty:
        return pd.DataFrame({"criterion_id": [], "reason": []}, dtype=object)
    h = history.assign(criterion_id=history["criterion_id"].replace(fw.same_as) if fw.same_as
                       else history["criterion_id"])
    latest = h.drop_duplicates(["respondent", "criterion_id"], keep="last")
    withdrawn = latest["withdrawn"].fillna(0).astype(bool) if "withdrawn" in latest else False
    current = latest[latest["rating"].eq("NA") & ~withdrawn]
    return current[["criterion_id", "na_reason"]].rename(columns={"na_reason": "reason"}).reset_index(drop=True)


def trend(earlier: Assessment, current: Assessment) -> pd.DataFrame:
    """`scoring.compare` of two assessments of the same client, with the subjects whose earlier
    answers the bank has since replaced, split, merged or dropped marked not comparable."""
    from dsm_assess.scoring.rules import PREVIOUS_METHODOLOGY, compare
    answered = [*earlier.answers["criterion_id"].astype(str), *earlier.consensus["criterion_id"].astype(str)]
    # the earlier assessment under the previous rules, as its report may have shown it: the
    # subjects that differ moved because of the rules, not the answers
    old_rules = score_engagement(earlier.framework, earlier.engagement, earlier.answers, earlier.consensus,
                                 earlier.what_if, earlier.na_reasons, methodology=PREVIOUS_METHODOLOGY)
    return compare(earlier.scores, current.scores, current.framework.changed_subjects(answered), old_rules)


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
    from dsm_assess.store.codes import codes_frame
    fw = fw or load_framework()
    engagements = [load_engagement(slug, root, fw) for slug in slugs]
    codes, consensus = [], []
    for store in open_stores([(engagement_dir(slug, root), slug) for slug in slugs]):
        codes.append(store.scoring_codes())  # column-wise: no Python object per answer
        consensus.append(carried_consensus(store.consensus(), fw)[["criterion_id", "rating"]].assign(
            engagement=store.engagement))
    scores = score_many(fw, engagements, codes_frame(codes, list(slugs), fw.same_as),
                        pd.concat(consensus, ignore_index=True))
    return mark_depth(scores, fw, engagements)
