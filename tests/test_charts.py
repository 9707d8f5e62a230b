"""The report's charts: everything drawn inside the figure, written as opaque PNGs at 200 dpi."""

from __future__ import annotations

import io
import re

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from PIL import Image

from dsm_assess.api import Engagement
from dsm_assess.deliver import charts
from dsm_assess.demo.generate import generate_engagement


@pytest.fixture(scope="module")
def inputs(tmp_path_factory, fw):
    """A large engagement: every subject, many gaps, so many initiatives with long titles."""
    root = tmp_path_factory.mktemp("charts") / "engagements"
    generate_engagement(fw, "big", respondents=4, seed=3, profile="full", pattern="struggling", root=root)
    return Engagement("big", root, framework=fw).gather()


def report_charts(inputs):
    style = charts.Style()
    return {"areas": charts.area_bars(inputs.scores, style),
            **{f"radar {g}": charts.practice_radar(inputs.scores, g, style)
               for g in ("general", "service", "technical")},
            "value chain": charts.value_chain_heatmap(inputs.framework, inputs.scores, style),
            "disagreement": charts.disagreement(inputs.scores, style=style),
            "gantt": charts.gantt(inputs.plan, style), "projection": charts.projection(inputs.plan, style)}


def test_every_text_of_a_report_chart_is_inside_its_figure(inputs):
    assert len(inputs.plan.initiatives) >= 15  # long tick labels on the Gantt chart's left
    for name, fig in report_charts(inputs).items():
        charts.draw(fig)
        renderer = fig.canvas.get_renderer()
        drawn, (width, height) = fig.get_tightbbox(renderer), fig.get_size_inches()  # inches
        assert drawn.x0 >= 0 and drawn.y0 >= 0 and drawn.x1 <= width and drawn.y1 <= height, (name, drawn)
        for ax in fig.axes:  # tick labels left of the plot never run into it
            low, high = sorted(ax.get_ylim())
            for label in ax.get_yticklabels() if ax.name == "rectilinear" else []:
                if label.get_text() and low <= label.get_position()[1] <= high and label.get_position()[0] == 0:
                    assert label.get_window_extent(renderer).x1 <= ax.bbox.x0 + 1, (name, label.get_text())
        plt.close(fig)


def test_a_chart_is_an_opaque_png_at_200_dpi_with_savefigs_pixels(inputs):
    fig = charts.area_bars(inputs.scores)
    ours, theirs = io.BytesIO(), io.BytesIO()
    charts.png(fig, ours)
    hinting = matplotlib.rcParams["text.hinting"]
    with matplotlib.rc_context(charts.PRINT):
        fig.savefig(theirs, format="png", dpi=200)
    plt.close(fig)
    image = Image.open(ours)
    assert image.mode == "RGB" and image.size == (7.5 * 200, 4.2 * 200)
    assert [round(d) for d in image.info["dpi"]] == [200, 200]
    assert np.array_equal(np.asarray(image), np.asarray(Image.open(theirs).convert("RGB")))
    assert matplotlib.rcParams["text.hinting"] == hinting  # a notebook's own charts keep their settings


def test_gantt_labels_shorten_long_titles_at_a_word(inputs):
    fig = charts.gantt(inputs.plan)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    plt.close(fig)
    titles = [p.initiative.title for p in inputs.plan.initiatives]
    assert len(labels) == len(titles) and any(len(t) > 40 for t in titles)
    for label, title, item in zip(labels, titles, inputs.plan.initiatives, strict=True):
        ident, shown = label.split("  ", 1)
        assert ident == item.id and len(shown) <= 40
        if len(title) <= 40:
            assert shown == title
        else:  # whole words, then an ellipsis: never "capability l"
            kept = shown.removesuffix(" …")
            assert shown.endswith(" …") and title.startswith(kept) and title[len(kept)] in " ,;"


def test_the_area_chart_labels_each_gap_in_levels_as_the_tables_do(inputs):
    fig = charts.area_bars(inputs.scores)
    labels = [t.get_text() for t in fig.axes[0].texts if t.get_text()]  # the arrows have no text
    legend = [t.get_text() for t in fig.axes[0].get_legend().get_texts()]
    plt.close(fig)
    areas = inputs.scores.subjects[inputs.scores.subjects["kind"].eq("area")]
    expected = [f"+{int(g)}" for g in areas["gap"] if not pd.isna(g) and g > 0]
    assert expected and labels == expected
    assert [t for t in legend if t != "don't-know band"] == ["current score", "target level", "gap to target (levels)"]


def test_a_dont_know_band_is_a_whisker_from_the_score_to_its_top(fw):
    from dsm_assess.demo.generate import sample_assessment

    scores = sample_assessment(seed=5, respondents=2).scores
    s = scores.subjects
    areas = s.index[s["kind"].eq("area")]
    s["score_high"] = s["score"]
    s.loc[areas[1], "score_high"] = s.loc[areas[1], "score"] + 0.8
    fig = charts.area_bars(scores)
    ax = fig.axes[0]
    [bars] = [c for c in ax.containers if isinstance(c, matplotlib.container.ErrorbarContainer)]
    [(bottom, top)] = [tuple(seg[:, 1]) for seg in bars.lines[2][0].get_segments()]
    assert (bottom, top) == (pytest.approx(s.loc[areas[1], "score"]), pytest.approx(s.loc[areas[1], "score"] + 0.8))
    assert "don't-know band" in [t.get_text() for t in ax.get_legend().get_texts()]
    plt.close(fig)
    s["score_high"] = s["score"]
    fig = charts.area_bars(scores)
    assert not [c for c in fig.axes[0].containers if isinstance(c, matplotlib.container.ErrorbarContainer)]
    plt.close(fig)


def _with_unscored(inputs, ids):
    from types import SimpleNamespace
    s = inputs.scores.subjects.copy()
    s.loc[s["id"].isin(ids), ["score", "level"]] = np.nan
    s.loc[s["id"].isin(ids), "insufficient"] = True
    return SimpleNamespace(subjects=s)


def legend_texts(fig) -> list[str]:
    return [t.get_text() for ax in fig.axes if ax.get_legend() for t in ax.get_legend().get_texts()]


def test_an_unscored_subject_is_never_drawn_as_a_number(inputs):
    scores = _with_unscored(inputs, ["DSM.DATA", "PR.ISM"])
    areas = charts.area_bars(scores)
    names = scores.subjects.loc[scores.subjects["kind"].eq("area"), "name"].tolist()
    current = [p for p in areas.axes[0].patches if p.get_facecolor()[:3] == matplotlib.colors.to_rgb(
        charts.Style().primary)]
    assert current[names.index("Data")].get_height() == 0     # no bar of a score it does not have
    assert charts.NOT_ASSESSED in legend_texts(areas)
    assert any(t.get_text() == "not assessed" for t in areas.axes[0].texts)
    radar = charts.practice_radar(scores, "general")
    general = scores.subjects[scores.subjects["group"].eq("general")]["id"].tolist()
    line = radar.axes[0].get_lines()[0]                          # the current score
    assert np.isnan(line.get_ydata()[general.index("PR.ISM")])  # a gap, not level 1
    assert charts.NOT_ASSESSED in legend_texts(radar)
    for fig in (areas, radar):
        charts.close(fig)


def test_fewer_than_three_practices_are_bars_not_a_radar(inputs):
    from types import SimpleNamespace
    s = inputs.scores.subjects
    two = SimpleNamespace(subjects=s[s["id"].isin(["PR.DEP", "PR.IPM"])].copy())
    two.subjects.loc[two.subjects["id"].eq("PR.IPM"), "score"] = np.nan
    fig = charts.practice_radar(two, "technical")
    assert fig.axes[0].name == "rectilinear"
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == two.subjects["name"].tolist()
    assert charts.NOT_ASSESSED in legend_texts(fig) and "target level" in legend_texts(fig)
    charts.close(fig)


def test_the_dsm_matrix_names_every_letter_and_contested_criteria_name_their_subject(inputs, demo_rendered, fw):
    demo = Engagement("demo", demo_rendered[0], framework=fw).gather()
    matrix = charts.dsm_matrix(demo.tom)
    assert legend_texts(matrix) == ["S: a shared capability team", "P: the product team itself", "X: a supplier",
                                    "blank: not consumed"]
    contested = charts.disagreement(demo.scores)
    labels = [t.get_text() for t in contested.axes[0].get_yticklabels()]
    assert labels and all(re.fullmatch(r"[A-Z][^()]+ \([A-Z]+\.[A-Z]+\.L\d\.\d\d\)", t) for t in labels)
    for fig in (matrix, contested):
        charts.close(fig)
