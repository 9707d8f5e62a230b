"""Framework tables for notebooks."""

from __future__ import annotations

from dsm_assess.framework import overview


def test_value_chain_table_has_a_row_per_practice_and_a_column_per_activity(fw):
    table = overview.value_chain_table(fw)
    assert table.shape == (34, 1 + 6)
    assert table.loc["Incident management", "engage"] == "high"
    assert table.loc["Incident management", "plan"] == "none"


def test_heatmap_colours_cells_by_contribution(fw):
    html = overview.value_chain_heatmap(fw).to_html()
    assert html.count("background-color: #1f4e79") >= 1 and "background-color: #9dc3e6" in html


def test_criteria_table_counts_each_subject_per_level(fw):
    table = overview.criteria_table(fw)
    assert len(table) == 41
    per_level = [sum(c.subject == "PR.INC" and c.level == lv for c in fw.criteria) for lv in (2, 3, 4, 5)]
    assert table.loc["PR.INC", ["L2", "L3", "L4", "L5"]].tolist() == per_level and min(per_level) >= 2
    assert overview.summary_table(fw).loc["toll-gates", "count"] == 7


def test_initiatives_table_counts_every_initiative_by_the_subjects_it_serves(fw):
    table = overview.initiatives_table(fw)
    assert len(table) == 41 and (table[["quick-win", "foundation", "transformation"]].sum(axis=1) > 0).all()
    inc = [i for i in fw.initiatives if any(c.startswith("PR.INC.") for c in i.criteria)]
    assert table.loc["PR.INC", "effort (person-weeks)"] == sum(i.effort for i in inc)
