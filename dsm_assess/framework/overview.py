"""Tables that describe the framework itself, for notebooks and the report appendix."""

from __future__ import annotations

from pathlib import Path

from dsm_assess.core.frames import pd
from dsm_assess.framework.model import LEVELS, Framework, load_framework


def load(questionnaires: str | Path | None = None) -> Framework:
    return load_framework(Path(questionnaires) if questionnaires else None)


def summary_table(fw: Framework) -> pd.DataFrame:
    """One row per kind of framework item with its count."""
    rows = [
        ("DSM areas", len(fw.areas)),
        *[(f"{g} practices", sum(p.group == g for p in fw.practices)) for g in ("general", "service", "technical")],
        ("value chain activities", len(fw.activities)),
        ("dimensions", len(fw.dimensions)),
        ("digital capabilities", len(fw.capabilities)),
        ("operating model elements", len(fw.operating_model)),
        ("toll-gates", len(fw.toll_gates)),
        ("criteria", len(fw.criteria)),
    ]
    return pd.DataFrame(rows, columns=["item", "count"]).set_index("item")


def value_chain_table(fw: Framework) -> pd.DataFrame:
    """Practices as rows, value chain activities as columns, contribution as cell."""
    cols = [a.id for a in fw.activities]
    df = pd.DataFrame([{**{"practice": p.name, "group": p.group}, **p.value_chain} for p in fw.practices])
    return df.set_index("practice")[["group", *cols]]


def criteria_table(fw: Framework) -> pd.DataFrame:
    """Subjects as rows, capability levels as columns, number of criteria as cell."""
    counts = fw.criteria_counts()
    rows = [{"subject": s.id, "name": s.name, "kind": s.kind,
             **{f"L{lv}": counts.get(s.id, {}).get(str(lv), 0) for lv in LEVELS}} for s in fw.subjects]
    return pd.DataFrame(rows).set_index("subject")


CONTRIBUTION_COLOURS = {"high": "background-color: #1f4e79; color: white", "medium": "background-color: #9dc3e6",
                        "none": "color: #a6a6a6"}


def value_chain_heatmap(fw: Framework):
    """The value chain table coloured by contribution, as the practices paper draws its heat maps."""
    table = value_chain_table(fw)
    activities = [a.id for a in fw.activities]
    return table.style.map(lambda v: CONTRIBUTION_COLOURS.get(v, ""), subset=activities)


def initiatives_table(fw: Framework) -> pd.DataFrame:
    """Subjects as rows: how many initiatives of each type serve them, and their total effort."""
    subject_of = fw.subject_of
    rows = []
    for s in fw.subjects:
        mine = [i for i in fw.initiatives if any(subject_of.get(c) == s.id for c in i.criteria)]
        rows.append({"subject": s.id, "name": s.name,
                     **{t: sum(i.type == t for i in mine) for t in ("quick-win", "foundation", "transformation")},
                     "effort (person-weeks)": sum(i.effort for i in mine)})
    return pd.DataFrame(rows).set_index("subject")
