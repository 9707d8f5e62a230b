"""Targets and business context, set without hand-editing YAML.

Each change is written into engagement.yaml in place (comments and order kept) and recorded in
the engagement's audit log. `target_list` says where every target comes from: set by hand (with
its reason) or derived from the business context (methodology section 4).
"""

from __future__ import annotations

from pathlib import Path

from dsm_assess.core.errors import DsmError
from dsm_assess.engagement.spec import engagement_dir, engagement_file, load_engagement
from dsm_assess.formats.yamledit import edit_yaml, section
from dsm_assess.framework.model import Framework
from dsm_assess.scoring.rules import TARGET_FOR_DEMAND, demand_per_subject
from dsm_assess.store.backend import open_store


def _audit(slug: str, root, action: str, detail: dict) -> None:
    with open_store(engagement_dir(slug, root), slug) as store, store.transaction():
        store.audit(action, detail)


def set_target(fw: Framework, slug: str, subject: str, level: int, reason: str, root: str | Path | None = None) -> str:
    """Set a manual target (it overrides a derived one and must say why); returns the subject id."""
    eng = load_engagement(slug, root, fw)
    subject = fw.resolve(subject, "subject", [s.id for s in fw.subjects])
    if not 1 <= level <= 5:
        raise DsmError(f"target level must be 1 to 5, not {level}")
    if not reason.strip():
        raise DsmError(f"manual target for {subject} needs a reason (--reason)")
    if subject not in eng.scope:
        raise DsmError(f"{subject} is not in the scope of engagement {slug!r}")

    def change(data) -> None:
        from ruamel.yaml.comments import CommentedMap
        entry = CommentedMap(level=level, reason=reason.strip())
        entry.fa.set_flow_style()
        section(data, "targets")[subject] = entry

    edit_yaml(engagement_file(slug, root), change)
    _audit(slug, root, "target set", {"subject": subject, "level": level, "reason": reason.strip()})
    return subject


def clear_target(fw: Framework, slug: str, subject: str, root: str | Path | None = None) -> str:
    """Remove a manual target, so the derived one (if any) applies again."""
    eng = load_engagement(slug, root, fw)
    subject = fw.resolve(subject, "subject", [s.id for s in fw.subjects])
    if subject not in eng.targets:
        raise DsmError(f"{subject} has no manual target in engagement {slug!r}")
    edit_yaml(engagement_file(slug, root), lambda data: data["targets"].pop(subject))
    _audit(slug, root, "target cleared", {"subject": subject, "was": eng.targets[subject].model_dump()})
    return subject


def set_business_context(fw: Framework, slug: str, ratings: dict[str, int], root: str | Path | None = None) -> dict:
    """Record how much the business depends on digital capabilities (CAP.* id -> 1..5)."""
    load_engagement(slug, root, fw)
    resolved = {}
    for cap, value in ratings.items():
        cap_id = fw.resolve(cap, "digital capability", [c.id for c in fw.capabilities])
        if not isinstance(value, int) or not 1 <= value <= 5:
            raise DsmError(f"{cap_id}: dependency must be a whole number from 1 to 5, not {value!r}")
        resolved[cap_id] = value
    edit_yaml(engagement_file(slug, root), lambda data: section(data, "business_context").update(resolved))
    _audit(slug, root, "business context set", resolved)
    return resolved


def target_list(fw: Framework, slug: str, root: str | Path | None = None) -> list[dict]:
    """Every subject in scope with a target: subject, level, source (manual/derived), reason."""
    eng = load_engagement(slug, root, fw)
    demand = demand_per_subject(fw, eng.business_context)
    supports = {s.id: [c.id for c in fw.capabilities if s.id in (*c.practices, *c.areas)
                       and c.id in eng.business_context] for s in fw.subjects}
    out = []
    for sid in eng.scope:
        if sid in eng.targets:
            t = eng.targets[sid]
            out.append({"subject": sid, "level": t.level, "source": "manual", "reason": t.reason})
        elif sid in demand:
            caps = [c for c in supports[sid] if eng.business_context[c] == demand[sid]]
            why = (f"demand {demand[sid]} from {', '.join(caps)}" if caps
                   else f"demand {demand[sid]}, the median of the business context (no rated capability maps it)")
            out.append({"subject": sid, "level": TARGET_FOR_DEMAND[demand[sid]], "source": "derived",
                        "reason": why})
    return out
