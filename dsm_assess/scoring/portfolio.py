"""All engagements under a root side by side: a cross-client benchmark of subject scores.

Anonymised by default: clients are shown as "Client A", "Client B", … in an order that does not
follow their names or folders, and nothing identifying (client name, folder, respondent) leaves
this module. One chosen client can be placed against the others.
"""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass
from pathlib import Path

from dsm_assess.core.errors import DsmError
from dsm_assess.core.frames import pd
from dsm_assess.core.paths import engagements_root
from dsm_assess.framework.model import Framework, load_framework
from dsm_assess.scoring.assessment import score_engagements


@dataclass
class Portfolio:
    scores: pd.DataFrame         # subject id (rows) x client label (columns): score
    labels: dict[str, str]       # engagement slug -> the label shown (kept here, never printed)
    focus: str | None            # the label of the chosen client, if any
    names: dict[str, str]        # subject id -> name

    def distribution(self) -> pd.DataFrame:
        """Per subject: how many clients were scored, and the spread of their scores."""
        s = self.scores
        out = pd.DataFrame({"Subject": [self.names[i] for i in s.index], "Clients": s.notna().sum(axis=1),
                            "Lowest": s.min(axis=1), "Lower quartile": s.quantile(0.25, axis=1),
                            "Median": s.median(axis=1), "Upper quartile": s.quantile(0.75, axis=1),
                            "Highest": s.max(axis=1)}, index=s.index)
        if self.focus:
            mine = s[self.focus]
            out[self.focus] = mine
            # share of the other clients the chosen one scores at or above
            others = s.drop(columns=self.focus)
            out["At or above (share of others)"] = [
                (others.loc[i].dropna() <= mine[i]).mean() if pd.notna(mine[i]) and others.loc[i].notna().any()
                else float("nan") for i in s.index]
        return out.round(2)


def engagement_slugs(root: str | Path | None = None) -> list[str]:
    base = engagements_root(root)
    return sorted(p.name for p in base.iterdir() if (p / "engagement.yaml").is_file()) if base.is_dir() else []


def _labels(slugs: list[str], anonymise: bool) -> dict[str, str]:
    if not anonymise:
        return {s: s for s in slugs}
    # order by a hash, so the letters say nothing about names, folders or when a client came
    order = sorted(slugs, key=lambda s: hashlib.sha256(s.encode()).hexdigest())
    letters = [a + b for a in ("", *string.ascii_uppercase) for b in string.ascii_uppercase]
    return {s: f"Client {letters[i]}" for i, s in enumerate(order)}


def build(root: str | Path | None = None, focus: str | None = None, anonymise: bool = True,
          fw: Framework | None = None) -> Portfolio:
    """Score every engagement under `root` together; `focus` (a slug) is the client to place."""
    fw = fw or load_framework()
    slugs = engagement_slugs(root)
    if not slugs:
        raise DsmError(f"no engagements under {engagements_root(root)}")
    if focus and focus not in slugs:
        raise DsmError(f"no engagement {focus!r} under {engagements_root(root)}")
    scores = score_engagements(slugs, root, fw)
    labels = _labels(slugs, anonymise)
    s = scores.subjects
    table = s.assign(client=s["engagement"].astype(str).map(labels)).pivot(index="id", columns="client",
                                                                         values="score")
    order = [x.id for x in fw.subjects]
    table = table.reindex(index=order, columns=sorted(table.columns, key=lambda c: (len(c), c)))
    return Portfolio(table, labels, labels.get(focus) if focus else None, {x.id: x.name for x in fw.subjects})
