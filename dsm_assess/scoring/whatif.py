"""What-if: changes to try on an engagement's scores without touching its store or its files.

A what-if file (YAML) may change targets, business context, N/A choices and consensus values;
`apply_what_if` returns the engagement and consensus table that scoring then works from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

from dsm_assess.core.errors import InvalidInput
from dsm_assess.core.frames import pd
from dsm_assess.core.scale import Rating
from dsm_assess.engagement.spec import EngagementSpec, Target
from dsm_assess.formats.yamlfile import read_yaml
from dsm_assess.framework.model import Framework


class WhatIf(BaseModel):
    """Changes to try without touching the store (the `--what-if` file)."""

    model_config = ConfigDict(extra="forbid")
    targets: dict[str, Target] = {}
    business_context: dict[str, Annotated[int, Field(ge=1, le=5)]] = {}
    na: dict[str, str] = {}             # criterion id -> reason it does not apply
    consensus: dict[str, Rating] = {}   # criterion id -> rating the workshop might agree on

    @field_validator("targets", mode="before")
    @classmethod
    def _plain_levels(cls, value):
        """`PR.INC: 4` is accepted as shorthand for a what-if target of level 4."""
        if isinstance(value, dict):
            return {k: {"level": v, "reason": "what-if"} if isinstance(v, int) else v for k, v in value.items()}
        return value

    @field_validator("na")
    @classmethod
    def _na_needs_a_reason(cls, value: dict[str, str]) -> dict[str, str]:
        """An N/A needs a reason here as it does in a workbook: it explains a bridged level."""
        empty = [cid for cid, reason in value.items() if not (reason or "").strip()]
        if empty:
            raise ValueError(f"N/A needs a reason: write `{empty[0]}: why it does not apply`")
        return {cid: reason.strip() for cid, reason in value.items()}

    def changes(self) -> dict:
        """The changes as plain data (what `score --json` reports under `what_if`)."""
        return self.model_dump(mode="json", exclude_defaults=True)


def load_what_if(path: Path, fw: Framework, eng: EngagementSpec | None = None) -> WhatIf:
    """Read and check a what-if file against the framework (and the engagement, when given: a
    target outside its scope is refused as `target set` refuses it, and a criterion it does not
    ask changes nothing); every problem is reported together."""
    doc = read_yaml(Path(path))
    na = (doc.data or {}).get("na") if isinstance(doc.data, dict) else None
    if isinstance(na, dict):  # said here, where the line of each empty reason is known
        doc.problems += [doc.problem(["na", cid], f"N/A needs a reason: write `{cid}: why it does not apply`")
                         for cid, why in na.items() if why is None or (isinstance(why, str) and not why.strip())]
    what = doc.validate(WhatIf, doc.data or {}, []) if not doc.problems else None
    if what is None:
        raise InvalidInput(doc.problems, f"{doc.name} is not a valid what-if file")
    known = {"targets": {s.id for s in fw.subjects}, "business_context": {c.id for c in fw.capabilities},
             "na": {c.id for c in fw.criteria}, "consensus": {c.id for c in fw.criteria}}
    what_kind = {"targets": "subject", "business_context": "digital capability", "na": "criterion",
                 "consensus": "criterion"}
    bad = [doc.problem([section, key], f"unknown {what_kind[section]} {key!r}")
           for section, ids in known.items() for key in getattr(what, section) if key not in ids]
    if eng is not None:
        bad += [doc.problem(["targets", key], f"{key} is not in the scope of engagement {eng.slug!r}")
                for key in what.targets if key in known["targets"] and key not in eng.scope]
    if eng is not None and not bad:
        asked = set(eng.criteria_for(fw))
        bad = [doc.problem([section, key], f"{key} is not asked in engagement {eng.slug!r} (outside its scope or "
                                           f"profile {eng.profile!r}): the what-if would change nothing")
               for section in ("na", "consensus") for key in getattr(what, section) if key not in asked]
    if bad:
        raise InvalidInput(bad, f"{doc.name} is not a valid what-if file")
    return what


def apply_what_if(eng: EngagementSpec, consensus: pd.DataFrame, what_if: WhatIf | None
                  ) -> tuple[EngagementSpec, pd.DataFrame]:
    """The engagement and consensus table with the what-if's changes applied (copies; nothing saved)."""
    if not what_if:
        return eng, consensus
    extra = [{"criterion_id": c, "rating": "NA", "rationale": why} for c, why in what_if.na.items()] + \
            [{"criterion_id": c, "rating": str(r), "rationale": "what-if"} for c, r in what_if.consensus.items()]
    if extra:
        override = pd.DataFrame(extra)
        kept = consensus[~consensus["criterion_id"].isin(override["criterion_id"])] if len(consensus) else None
        consensus = pd.concat([kept, override], ignore_index=True) if kept is not None and len(kept) else override
    eng = eng.model_copy(update={"targets": {**eng.targets, **what_if.targets},
                                 "business_context": {**eng.business_context, **what_if.business_context}})
    return eng, consensus
