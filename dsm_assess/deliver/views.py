"""Tables as a consultant reads them in a notebook: labelled columns, whole levels, scores to one
decimal, and a dash or "insufficient data" instead of NaN or <NA>."""

from __future__ import annotations

from dsm_assess.core.frames import pd
from dsm_assess.core.present import DASH, band, bridged, coverage, gap, level, notes, score, text
from dsm_assess.scoring.rules import Scores


def subjects(scores: Scores) -> pd.DataFrame:
    """One row per subject: level, score with its don't-know band, target, gap, priority, coverage,
    the reasons a claimed level bridges a passed-through one, the don't-knows as evidence to find,
    and a note."""
    s = scores.subjects
    rows = list(s.itertuples())
    return pd.DataFrame({
        "Subject": s["name"].to_numpy(), "Level": s["level"].map(level).to_numpy(),
        "Score": s["score"].map(score).to_numpy(),
        "Score band": [band(r.score_low, r.score_high) for r in rows],
        "Target": s["target"].map(level).to_numpy(),
        "Gap": s["gap"].map(gap).to_numpy(), "Priority": s["priority"].map(text).to_numpy(),
        "Coverage": s["coverage"].map(coverage).to_numpy(),
        "Bridged": [bridged(r) for r in rows],
        "Evidence to find": [", ".join(r.dk_criteria) or DASH for r in rows],
        "Note": [text("; ".join(notes(r))) for r in rows],
    }, index=pd.Index(s["id"].to_numpy(), name="Id"))


def headline(scores: Scores) -> pd.DataFrame:
    h = scores.headline
    rows = [("Subjects scored", f"{h['scored']} of {h['subjects']}"), ("Mean score", score(h["score"])),
            ("Median level", level(h["median_level"])), ("Below target", h["below_target"]),
            ("On target", h["on_target"]), ("Over target", h["over_target"]),
            ("Bridged (level claimed across one not applicable)", h["bridged"]),
            ("High / Medium / Low priorities", " / ".join(str(h["priorities"][b]) for b in ("High", "Medium", "Low"))),
            ("Open disagreements (settled)", f"{h['disagreements']} ({h['resolved_disagreements']})"),
            ("Unsupported L/F ratings", h["unsupported"])]
    return pd.DataFrame(rows, columns=["", h["client"]]).set_index("")


def areas(scores: Scores) -> pd.DataFrame:
    a = scores.areas
    return pd.DataFrame({"Area": a["name"].to_numpy(), "Own score": a["own_score"].map(score).to_numpy(),
                         "Combined level": a["combined_level"].map(level).to_numpy(),
                         "Combined score": a["combined_score"].map(score).to_numpy(),
                         "Linked practice criteria": a["linked_criteria"].to_numpy()}).set_index("Area")


def value_chain(scores: Scores) -> pd.DataFrame:
    v = scores.value_chain
    return pd.DataFrame({"Activity": v["name"].to_numpy(), "Score": v["score"].map(score).to_numpy(),
                         "Practices contributing": v["practices"].to_numpy()}).set_index("Activity")


def roadmap(plan) -> pd.DataFrame:
    """The planned initiatives in the order they start."""
    return pd.DataFrame([{"Initiative": p.id, "Title": p.initiative.title, "Wave": p.wave,
                          "From": f"{p.start:%d %b %Y}", "To": f"{p.end:%d %b %Y}",
                          "Effort (person-weeks)": p.initiative.effort,
                          "Closes gaps in": ", ".join(p.closes) or "prerequisite"} for p in plan.initiatives]
                        ).set_index("Initiative") if plan.initiatives else pd.DataFrame({"Initiative": []})
