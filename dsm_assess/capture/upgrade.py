"""Move an engagement to the current question bank without losing an answer.

The bank retires an id whenever a criterion's meaning changes and says what became of it (see
docs/question-bank.md). An upgrade reads each respondent's current answers and, through
`Framework.successor`:
- keeps answers on ids still asked (nothing to do);
- carries answers on ids that became the same question under a new id: a copy is stored on the
  new id with source "upgrade", and the old row stays in the history;
- leaves replaced, split and merged criteria to be asked again, with the old answers shown as hints in the
  next questionnaire;
- keeps answers on dropped ids in the history only.
Consensus values are carried the same way. Nothing stored is changed or removed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from dsm_assess.engagement.spec import EngagementSpec
from dsm_assess.framework.model import Framework
from dsm_assess.store.answers import Answer
from dsm_assess.store.base import Store

SOURCE = "upgrade"


@dataclass
class Upgrade:
    """What an upgrade does, before or after it is applied."""

    from_version: str
    to_version: str
    kept: int = 0                                            # answers on ids still asked
    carried: list[tuple[str, Answer]] = field(default_factory=list)  # (old id, answer on the new id)
    consensus: list[tuple[str, str, str, str]] = field(default_factory=list)  # (old, new, rating, rationale)
    reask: dict[str, dict[str, list[tuple[str, Answer]]]] = field(default_factory=dict)  # who -> new id -> olds
    dropped: list[tuple[str, str]] = field(default_factory=list)    # (respondent, old id)
    not_asked: list[tuple[str, str]] = field(default_factory=list)  # (respondent, new id outside their scope)

    @property
    def reask_count(self) -> int:
        return sum(len(ids) for ids in self.reask.values())

    def as_json(self) -> dict:
        return {
            "from": self.from_version, "to": self.to_version, "kept": self.kept,
            "carried": [{"respondent": a.respondent, "from": old, "to": a.criterion_id, "rating": a.rating}
                        for old, a in self.carried],
            "consensus": [{"from": old, "to": new, "rating": rating} for old, new, rating, _ in self.consensus],
            "reask": {who: {new: [old for old, _ in olds] for new, olds in ids.items()}
                      for who, ids in self.reask.items()},
            "dropped": [{"respondent": who, "criterion": old} for who, old in self.dropped],
            "not_asked": [{"respondent": who, "criterion": new} for who, new in self.not_asked],
        }


def plan_upgrade(fw: Framework, eng: EngagementSpec, store: Store) -> Upgrade:
    """What moving `eng` to `fw`'s bank would do; reads only. Running it again after the upgrade
    finds nothing more to carry: an answer already on the new id is never overwritten."""
    plan = Upgrade(eng.bank_version, fw.bank_version or "")
    asked = {r.email: set(eng.criteria_for(fw, r)) for r in eng.respondents}
    for who, answers in sorted(store.current_answer_objects().items()):
        for old, answer in answers.items():
            kind, new_ids = fw.successor(old)
            if kind == "current":
                plan.kept += 1
            elif kind == "same":
                (new,) = new_ids
                if new in answers:
                    continue  # answered on the new id already: that answer is the newer one
                if new not in asked.get(who, set()):
                    plan.not_asked.append((who, new))
                    continue
                plan.carried.append((old, replace(answer, criterion_id=new)))
            elif kind in ("replaced", "split", "merged"):
                for new in new_ids:
                    if new not in answers and new in asked.get(who, set()):
                        plan.reask.setdefault(who, {}).setdefault(new, []).append((old, answer))
            else:
                plan.dropped.append((who, old))
    consensus = store.consensus()
    agreed = set(consensus["criterion_id"])
    for row in consensus.itertuples():
        kind, new_ids = fw.successor(row.criterion_id)
        if kind == "same" and new_ids[0] not in agreed:
            plan.consensus.append((row.criterion_id, new_ids[0], row.rating, row.rationale))
    return plan


def reask_hints(fw: Framework, store: Store, respondent: str) -> dict[str, str]:
    """Criterion id -> a note of the respondent's answers to the retired criteria it replaces
    (split or merged), for a criterion they have not answered yet."""
    answers = store.current_answer_objects().get(respondent.lower(), {})
    labels = {p.code: p.label for p in fw.scale}
    out: dict[str, list[str]] = {}
    for old, answer in answers.items():
        kind, new_ids = fw.successor(old)
        if kind not in ("replaced", "split", "merged"):
            continue
        said = labels.get(answer.rating, answer.rating)
        if answer.comment:
            said += f" ({answer.comment})"
        for new in new_ids:
            if new not in answers:
                out.setdefault(new, []).append(f"{old}: {said}")
    return {new: "Your earlier answer to the question this replaces: " + "; ".join(notes)
            for new, notes in out.items()}


def apply_upgrade(fw: Framework, eng: EngagementSpec, store: Store, plan: Upgrade, engagement_yaml,
                  who: str | None = None) -> None:
    """Store what `plan` carries (one transaction) and record the new bank in engagement.yaml."""
    from dsm_assess.capture.intake import carry_over
    from dsm_assess.engagement.edit import edit_engagement

    def carry(into: Store) -> None:
        carry_over(into, fw, [a for _, a in plan.carried],
                   [(new, rating, why) for _, new, rating, why in plan.consensus],
                   source_ref=f"bank {plan.from_version} -> {plan.to_version}", who=who)

    if eng.bank_version == fw.bank_version:
        carry(store)
    else:
        def change(data) -> None:
            data["bank_version"] = fw.bank_version
            if "upgraded_from" not in data:  # next to the version it qualifies
                data.insert(list(data).index("bank_version") + 1, "upgraded_from", eng.bank_version)
            else:
                data["upgraded_from"] = eng.bank_version
        # The answers carried and the new bank version are kept together or not at all.
        edit_engagement(fw, eng.slug, change, root=Path(engagement_yaml).parent.parent, also=carry, who=who,
                        action="engagement upgraded", detail={"from": eng.bank_version, "to": fw.bank_version})
