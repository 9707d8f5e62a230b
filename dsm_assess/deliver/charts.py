"""Charts of an assessment, for the Word report and for notebooks (the same functions).

Each chart is a function that takes the scores (or the plan, or the operating model) and returns
a matplotlib Figure with a title and alt text (`alt_text(fig)`), drawn with the brand's palette
and font, readable when printed in greyscale (light and dark tones, hatching, markers), and
saved at 200 dpi or more by `save()`.

The charts of the report have fixed margins, in inches, sized to what surrounds the plot (the
title, tick labels measured from the longest ones, legends outside the plot): a layout engine
measures every text of a figure once more before drawing it, which was a third of the time a
batch spent on each report. Charts whose surroundings vary more (trend, DSM matrix, benchmark)
keep matplotlib's constrained layout.
"""

from __future__ import annotations

import functools
import io
import struct
import textwrap
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib
import matplotlib.dates
import matplotlib.patches
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.lines import Line2D
from matplotlib.textpath import text_to_path

from dsm_assess.core.frames import pd
from dsm_assess.deliver.brand import Brand  # noqa: E402

DPI = 200
_ALT = "dsm_alt_text"


@dataclass(frozen=True)
class Style:
    """The brand's palette and font as charts use them."""

    primary: str = "#1F4E79"    # dark: current state
    secondary: str = "#9DC3E6"  # light: target
    accent: str = "#C55A11"     # gaps, warnings
    grey: str = "#7F7F7F"
    font: str = "DejaVu Sans"
    extra: tuple[str, ...] = field(default=("#2E75B6", "#548235", "#BF9000", "#7030A0"))

    @classmethod
    def from_brand(cls, brand: Brand | None) -> Style:
        if brand is None:
            return cls()
        c = brand.colours
        return cls(primary=f"#{c.primary}", secondary=f"#{c.secondary}", accent=f"#{c.accent}", grey=f"#{c.grey}",
                   font=brand.font)


def alt_text(fig) -> str:
    """The description of a chart for readers who cannot see it (Word's alt text)."""
    return getattr(fig, _ALT, "")


# How the report's pictures are drawn. At print resolution FreeType's hinting (snapping each glyph
# to the pixel grid, which sharpens text on screens) changes nothing a reader can see, and it was
# a tenth of the time a batch spent on each report.
PRINT = {"text.hinting": "no_hinting"}


def draw(fig) -> None:
    """Draw the figure at DPI as the report prints it (once: runs the layout engine, if any, with
    the renderer that paints)."""
    fig.set_dpi(DPI)
    with matplotlib.rc_context(PRINT):
        fig.canvas.draw()


def png(fig, target) -> None:
    """Write the chart as an opaque (RGB) PNG at DPI, drawn once: `savefig` would draw a figure
    that has a layout engine twice (once to measure, once to paint). The pixels are the same as
    `savefig`'s with the same settings; every chart has a white background, so no alpha channel
    is needed."""
    draw(fig)
    data = encode_png(np.asarray(fig.canvas.buffer_rgba())[..., :3], DPI)
    if hasattr(target, "write"):
        target.write(data)
    else:
        Path(target).write_bytes(data)


def encode_png(rgb: np.ndarray, dpi: int = DPI) -> bytes:
    """An RGB image (height x width x 3 bytes) as a PNG file at `dpi`, lossless. Every row after the first
    is stored as its difference from the row above (PNG's "Up" filter), which turns a chart's flat
    areas into zeros, then deflated at the fastest level: the same size as Pillow's PNG at its
    fastest, in a third of the time (Pillow tries every filter on every row)."""
    height, width, _ = rgb.shape
    rows = rgb.reshape(height, width * 3)
    filtered = np.empty((height, width * 3 + 1), np.uint8)
    filtered[0, 0], filtered[1:, 0] = 0, 2  # filter type of each row: none, then Up
    filtered[0, 1:] = rows[0]
    np.subtract(rows[1:], rows[:-1], out=filtered[1:, 1:], dtype=np.uint8, casting="unsafe")  # modulo 256

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)  # 8 bits, RGB, deflate, no interlace
    per_metre = round(dpi / 0.0254)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"pHYs", struct.pack(">IIB", per_metre, per_metre, 1))
            + chunk(b"IDAT", zlib.compress(filtered.tobytes(), 1)) + chunk(b"IEND", b""))


def save(fig, path: Path) -> Path:
    png(fig, path)
    return path


def close(fig) -> None:
    """Let go of a chart's drawing (charts are not pyplot's: nothing else holds them)."""
    fig.clear()


class Chart(Figure):
    """A chart: a matplotlib Figure drawn on its own Agg canvas, never through pyplot, so that
    importing the charts leaves the notebook's backend alone; shown in a notebook as a PNG."""

    def _repr_png_(self) -> bytes:
        buffer = io.BytesIO()
        self.savefig(buffer, format="png", dpi=100)
        return buffer.getvalue()


_PAD = 0.04       # inches between the figure's edge and what is drawn next to it
_TICK = 0.1       # inches from an axis to its tick labels (tick length and padding)
_TITLE = 0.29     # inches above the plot for the title


def _figure(style: Style, title: str, alt: str, size=(7.5, 4.2), margins: tuple | None = None, **kw):
    """A figure and its axes; `margins` (left, right, bottom, top, in inches) fix where the plot
    goes, otherwise the constrained layout places it."""
    matplotlib.rcParams["font.family"] = [style.font, "DejaVu Sans"]
    fig = Chart(figsize=size, layout=None if margins else "constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots(**kw)
    if margins:
        _margins(fig, *margins)
    fig.suptitle(title, fontsize=12, fontweight="bold", color=style.primary, x=0.02, ha="left",
                 **({"y": 1 - _PAD / size[1], "va": "top"} if margins else {}))
    setattr(fig, _ALT, alt)
    return fig, ax


def _margins(fig, left: float, right: float, bottom: float, top: float) -> None:
    """Place the plot (every subplot) with margins in inches."""
    w, h = fig.get_size_inches()
    fig.subplots_adjust(left=left / w, right=1 - right / w, bottom=bottom / h, top=1 - top / h)


def _text_width(texts: list[str], fontsize: float, font: str) -> float:
    """Width in inches of the widest of `texts`, each measured (the longest by characters is not
    always the widest)."""
    return max((_width(str(t), fontsize, font) for t in set(texts)), default=0.0)


@functools.lru_cache(maxsize=8192)
def _width(text: str, fontsize: float, font: str) -> float:
    """Width of one text in inches; kept, because the same labels (practices, initiatives, criteria)
    come back in every engagement a batch worker draws."""
    prop = FontProperties(family=[font, "DejaVu Sans"], size=fontsize)
    return text_to_path.get_text_width_height_descent(text, prop, ismath=False)[0] / 72


def _num(v) -> float:
    return float("nan") if v is None or pd.isna(v) else float(v)


# ---- scores -------------------------------------------------------------------------------------

NOT_ASSESSED = "not assessed (too few answers)"


def _not_assessed_handle(style: Style):
    return matplotlib.patches.Patch(facecolor="white", edgecolor=style.grey, hatch="xx", label=NOT_ASSESSED)


def practice_radar(scores, group: str, style: Style = Style()):
    """Radar of one practice group's scores, current (solid, with radial whiskers for the
    don't-know band) against target (dashed); a practice without a score is a gap in the line and a
    hatched marker, never a number. Fewer than three practices are bars (a radar of two is a line)."""
    rows = scores.subjects[scores.subjects["group"].eq(group)]
    if len(rows) < 3:
        return subject_bars(rows, f"{group.capitalize()} management practices: score against target", style)
    labels = rows["id"].str.removeprefix("PR.").tolist()
    current = [_num(v) for v in rows["score"]]
    target = [_num(v) for v in rows["target"]]
    angles = np.linspace(0, 2 * np.pi, len(labels), endpoint=False).tolist()
    weakest = rows.dropna(subset=["score"]).sort_values("score").head(3)["name"].tolist()
    missing = [n for n, c in zip(rows["name"], current, strict=True) if np.isnan(c)]
    fig, ax = _figure(style, f"{group.capitalize()} management practices: score against target",
                      f"Radar chart of the {len(labels)} {group} management practices' scores (1 to 5) against "
                      f"their targets. Lowest: {', '.join(weakest) or 'none scored'}."
                      + (f" Not assessed: {', '.join(missing)}." if missing else ""), size=(6.2, 6.2),
                      margins=(0.33, 0.77, 0.5, 0.59), subplot_kw={"projection": "polar"})
    close = lambda v: [*v, v[0]]  # noqa: E731
    ax.plot(close(angles), close(current), color=style.primary, linewidth=2, marker="o", label="current score")
    if not missing:  # a filled shape across a missing score would draw a number that is not there
        ax.fill(close(angles), close(current), color=style.primary, alpha=0.15)
    for k, (a, c, h) in enumerate(_bands(rows, current)):  # radial whiskers: the don't-know band
        ax.plot([angles[a], angles[a]], [c, h], color=style.primary, linewidth=1.2, solid_capstyle="butt",
                label="don't-know band" if k == 0 else None)
    if not np.all(np.isnan(target)):
        ax.plot(close(angles), close(target), color=style.accent, linewidth=1.6, linestyle="--", marker="s",
                markersize=4, label="target level")
    gaps = [a for a, c in zip(angles, current, strict=True) if np.isnan(c)]
    if gaps:
        ax.scatter(gaps, [0.6] * len(gaps), marker="X", s=60, facecolors="white", edgecolors=style.grey,
                   hatch="xxxx", linewidths=0.8, zorder=4, label=NOT_ASSESSED)
    ax.set_xticks(angles, labels, fontsize=8)
    ax.set_ylim(0, 5)
    ax.set_yticks([1, 2, 3, 4, 5], ["1", "2", "3", "4", "5"], fontsize=7, color=style.grey)
    ax.legend(loc="lower right", bbox_to_anchor=(1.15, -0.08), fontsize=8, frameon=False)
    return fig


def _bands(rows: pd.DataFrame, current: list[float]) -> list[tuple[int, float, float]]:
    """(position, score, score with every don't-know fully achieved) of the rows with a band."""
    high = [_num(v) for v in rows["score_high"]] if "score_high" in rows else [np.nan] * len(current)
    return [(i, c, h) for i, (c, h) in enumerate(zip(current, high, strict=True))
            if not np.isnan(c) and not np.isnan(h) and h - c > 1e-9]


def subject_bars(rows: pd.DataFrame, title: str, style: Style = Style()):
    """A few subjects' scores as horizontal bars with their target levels; a subject without a score
    is a hatched empty bar labelled as not assessed."""
    names = rows["name"].tolist()
    current = [_num(v) for v in rows["score"]]
    target = [_num(v) for v in rows["target"]]
    y = np.arange(len(names))
    fig, ax = _figure(style, title, f"Bar chart of {len(names)} subjects' scores (1 to 5) against their targets: "
                      + "; ".join(f"{n} {'not assessed' if np.isnan(c) else f'{c:.1f}'}"
                                  for n, c in zip(names, current, strict=True)) + ".",
                      size=(7.5, 1.4 + 0.5 * len(names)),
                      margins=(_text_width(names, 9, style.font) + _TICK + _PAD, _PAD, 0.75, _TITLE))
    for i, (c, t) in enumerate(zip(current, target, strict=True)):
        if np.isnan(c):
            ax.barh(i, 5, 0.5, color="white", edgecolor=style.grey, hatch="xx", linewidth=0.6)
            ax.text(2.5, i, "not assessed", ha="center", va="center", fontsize=8, color=style.grey)
        else:
            ax.barh(i, c, 0.5, color=style.primary, edgecolor="black", linewidth=0.4)
        if not np.isnan(t):
            ax.plot([t, t], [i - 0.35, i + 0.35], color=style.accent, linewidth=2)
    ax.set_yticks(y, names, fontsize=9)
    ax.set_xlim(0, 5)
    ax.invert_yaxis()
    ax.set_xlabel("score / level")
    handles = [matplotlib.patches.Patch(facecolor=style.primary, edgecolor="black", label="current score"),
               Line2D([], [], color=style.accent, linewidth=2, label="target level")]
    if any(np.isnan(c) for c in current):
        handles.append(_not_assessed_handle(style))
    ax.legend(handles=handles, fontsize=8, frameon=False, ncols=3, loc="upper center", bbox_to_anchor=(0.5, -0.35))
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def area_bars(scores, style: Style = Style()):
    """The seven DSM areas: current score (with a whisker for its don't-know band), target level
    and gap."""
    rows = scores.subjects[scores.subjects["kind"].eq("area")]
    names = rows["name"].tolist()
    current = [_num(v) for v in rows["score"]]
    target = [_num(v) for v in rows["target"]]
    x = np.arange(len(names))
    gaps = [f"{n} (gap {int(g)})" for n, g in zip(names, rows["gap"], strict=True) if not pd.isna(g) and g > 0]
    fig, ax = _figure(style, "DSM areas: current score, target and gap",
                      "Bar chart of the seven Digital Service Management areas' current scores (1 to 5) next to "
                      f"their target levels. Below target: {', '.join(gaps) or 'none'}."
                      + (" Whiskers: the score were every don't-know answer fully achieved."
                         if _bands(rows, current) else ""),
                      margins=(0.42, _PAD, 0.26, _TITLE))
    ax.bar(x - 0.2, np.nan_to_num(current), 0.4, color=style.primary, label="current score", edgecolor="black",
           linewidth=0.4)
    missing = [i for i, c in enumerate(current) if np.isnan(c)]
    for i in missing:  # never a number: an empty hatched bar that says so
        ax.bar(i - 0.2, 5, 0.4, color="white", edgecolor=style.grey, hatch="xx", linewidth=0.6)
        ax.text(i - 0.2, 2.5, "not assessed", rotation=90, ha="center", va="center", fontsize=7, color=style.grey)
    ax.bar(x + 0.2, np.nan_to_num(target), 0.4, color=style.secondary, hatch="//", label="target level",
           edgecolor="black", linewidth=0.4)
    if bands := _bands(rows, current):  # whiskers up to the score with every don't-know fully achieved
        at, low, high = (np.array(v) for v in zip(*bands, strict=True))
        ax.errorbar(x[at] - 0.2, low, yerr=[np.zeros(len(at)), high - low], fmt="none", ecolor="black",
                    elinewidth=1, capsize=3, label="don't-know band")
    for i, (c, t, g) in enumerate(zip(current, target, rows["gap"], strict=True)):
        if not np.isnan(c) and not np.isnan(t) and t > c:
            ax.annotate("", xy=(i + 0.2, t), xytext=(i - 0.2, c),
                        arrowprops={"arrowstyle": "->", "color": style.accent, "linewidth": 1.2})
        if not pd.isna(g) and g > 0:   # the gap is counted in levels, as in the tables
            ax.text(i + 0.2, t + 0.06, f"+{int(g)}", ha="center", va="bottom", fontsize=8, color=style.accent,
                    fontweight="bold")
    ax.set_xticks(x, names, fontsize=9)
    ax.set_ylim(0, 5.2)
    ax.set_ylabel("level / score")
    handles, _ = ax.get_legend_handles_labels()
    gap = Line2D([], [], color=style.accent, linewidth=1.2, marker=">", markersize=4, label="gap to target (levels)")
    extra = [_not_assessed_handle(style)] if missing else []
    ax.legend(handles=[*handles, gap, *extra], fontsize=8, frameon=False, ncols=4 if extra else 3, loc="upper left")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def value_chain_heatmap(fw, scores, style: Style = Style()):
    """Value chain activities x practices: each practice's score where it contributes (darker is
    a higher score; hatched cells are high contribution)."""
    subj = scores.subjects.set_index("id")
    practices = [p for p in fw.practices if p.id in subj.index]
    acts = fw.activities
    grid = np.full((len(acts), len(practices)), np.nan)
    for j, p in enumerate(practices):
        for i, a in enumerate(acts):
            if p.value_chain[a.id] != "none":
                grid[i, j] = _num(subj.loc[p.id, "score"])
    fig, ax = _figure(style, "Value chain: practice scores where each practice contributes",
                      "Heat map of value chain activities (rows) against the 34 practices (columns); each cell "
                      "shows the practice's score where it contributes to the activity, darker for higher "
                      "scores; empty where it does not contribute.", size=(8.5, 3.4),
                      margins=(_text_width([a.name for a in acts], 8, style.font) + _TICK + _PAD, 0.75, 0.39, 0.31))
    # the lowest score is a clear tint, so that it never looks like an empty (no contribution) cell
    cmap = matplotlib.colors.LinearSegmentedColormap.from_list("brand", ["#C6DBEF", style.primary]) \
        .with_extremes(bad="#FFFFFF")
    image = ax.imshow(grid, cmap=cmap, vmin=1, vmax=5, aspect="auto")
    for i, a in enumerate(acts):
        for j, p in enumerate(practices):
            if p.value_chain[a.id] == "high":  # add_artist: inside the image, so no limits to update
                ax.add_artist(matplotlib.patches.Rectangle((j - 0.5, i - 0.5), 1, 1, fill=False, hatch="..",
                                                           edgecolor=style.grey, linewidth=0))
    # white lines between the cells (drawn as two line sets: far cheaper than minor ticks with a grid)
    ax.vlines(np.arange(len(practices) + 1) - 0.5, -0.5, len(acts) - 0.5, color="#FFFFFF", linewidth=1.2)
    ax.hlines(np.arange(len(acts) + 1) - 0.5, -0.5, len(practices) - 0.5, color="#FFFFFF", linewidth=1.2)
    ax.set_yticks(range(len(acts)), [a.name for a in acts], fontsize=8)
    ax.set_xticks(range(len(practices)), [p.id.removeprefix("PR.") for p in practices], fontsize=6.5,
                  rotation=90)
    w, h = fig.get_size_inches()
    box = ax.get_position()
    fig.colorbar(image, cax=fig.add_axes((1 - 0.69 / w, box.y0, 0.13 / w, box.height)), label="score")
    return fig


def disagreement(scores, top: int = 15, style: Style = Style()):
    """The most contested criteria: spread of the answers, open (dark) or settled (light, hatched)."""
    crit = scores.criteria[scores.criteria["disagreement"]].sort_values(
        ["spread", "dispersion"], ascending=False).head(top)
    names = scores.subjects.set_index("id")["name"]
    # the subject in words, then the criterion's own id to look it up in the appendix
    labels = [f"{names.get(str(sub), sub)} ({cid})" for sub, cid in zip(crit["subject"], crit["id"], strict=True)]
    fig, ax = _figure(style, "Where respondents disagree most",
                      f"Horizontal bars of the {len(crit)} criteria with the widest spread of answers (in scale "
                      f"steps, 0 to 3); {int((~crit['resolved']).sum()) if len(crit) else 0} are still open and "
                      f"{int(crit['resolved'].sum()) if len(crit) else 0} were settled by a workshop consensus.",
                      size=(7.5, max(2.2, 0.3 * len(crit) + 1)),
                      margins=(_text_width(labels, 8, style.font) + _TICK + 2 * _PAD, _PAD, 0.47, _TITLE))
    if crit.empty:
        ax.text(0.5, 0.5, "No criterion with a spread of two steps or more", ha="center", va="center")
        ax.set_axis_off()
        return fig
    y = np.arange(len(crit))[::-1]
    resolved = crit["resolved"].to_numpy(dtype=bool)
    ax.barh(y[~resolved], crit["spread"].to_numpy()[~resolved], color=style.primary, label="open")
    ax.barh(y[resolved], crit["spread"].to_numpy()[resolved], color=style.secondary, hatch="//",
            edgecolor="black", linewidth=0.4, label="settled by consensus")
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlim(0, 3.2)
    ax.set_xticks([0, 1, 2, 3])
    ax.set_xlabel("spread of answers (scale steps)")
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def trend(trend_table: pd.DataFrame, earlier: str, style: Style = Style()):
    """Score per subject now against an earlier assessment (arrows show the change)."""
    t = trend_table.dropna(subset=["score", "score_before"]).sort_values("score_change")
    fig, ax = _figure(style, f"Change since {earlier}",
                      f"Dot chart of {len(t)} subjects' scores before (hollow) and now (filled); "
                      f"{int((t['score_change'] > 0).sum())} improved, {int((t['score_change'] < 0).sum())} "
                      "declined.", size=(7.5, max(3, 0.18 * len(t) + 1)))
    y = np.arange(len(t))
    ax.hlines(y, t["score_before"], t["score"], color=style.grey, linewidth=1)
    ax.scatter(t["score_before"], y, facecolors="white", edgecolors=style.primary, label=f"{earlier}", zorder=3)
    ax.scatter(t["score"], y, color=style.primary, marker="D", s=18, label="now", zorder=3)
    ax.set_yticks(y, (t["name"] if "name" in t else t["id"]).tolist(), fontsize=6.5)  # names when given
    ax.set_xlim(1, 5)
    ax.legend(fontsize=8, frameon=False, loc="lower right")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


# ---- operating model ---------------------------------------------------------------------------

def dsm_matrix(tom, style: Style = Style()):
    """The DSM matrix: product teams against standard capabilities, and who provides each."""
    products, caps = tom.products, tom.capabilities
    marks = {"shared": ("S", style.primary, "white"), "product": ("P", style.secondary, "black"),
             "supplier": ("X", "#D9D9D9", "black")}
    fig, ax = _figure(style, "DSM matrix: who provides each standard capability",
                      f"Grid of {len(products)} product teams (rows) against {len(caps)} standard capabilities "
                      "(columns): S shared capability team, P the product team itself, X a supplier, blank not "
                      "consumed.", size=(max(5, 1.1 * len(caps) + 3), max(2, 0.45 * len(products) + 1.2)))
    for i, p in enumerate(products):
        for j, c in enumerate(caps):
            how = p.consumes.get(c.id)
            if how:
                letter, face, ink = marks[how]
                ax.add_patch(matplotlib.patches.Rectangle((j, i), 0.9, 0.8, color=face))
                ax.text(j + 0.45, i + 0.4, letter, ha="center", va="center", color=ink, fontweight="bold")
    ax.set_xlim(0, max(len(caps), 1))
    ax.set_ylim(max(len(products), 1), 0)
    ax.set_xticks(np.arange(len(caps)) + 0.45, [c.name for c in caps], fontsize=8, rotation=30, ha="right")
    ax.set_yticks(np.arange(len(products)) + 0.4, [f"{p.name} ({p.stage})" for p in products], fontsize=8)
    ax.tick_params(length=0)
    ax.spines[:].set_visible(False)
    meaning = {"shared": "S: a shared capability team", "product": "P: the product team itself",
               "supplier": "X: a supplier"}
    ax.legend(handles=[matplotlib.patches.Patch(facecolor=face, edgecolor="black", linewidth=0.3, label=meaning[k])
                       for k, (_, face, _) in marks.items()] + [matplotlib.patches.Patch(
                           facecolor="white", edgecolor="black", linewidth=0.3, label="blank: not consumed")],
              fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    return fig


def benchmark(portfolio, style: Style = Style()):
    """Each subject's spread of scores across clients (box), with the chosen client marked."""
    s = portfolio.scores
    data = [s.loc[i].dropna().to_numpy() for i in s.index]
    focus = f" with {portfolio.focus} marked" if portfolio.focus else ""
    fig, ax = _figure(style, f"Scores across {s.shape[1]} clients{focus}",
                      f"Box plot of each of the {len(s.index)} subjects' scores across {s.shape[1]} clients "
                      f"(box: middle half, line: median){focus}.", size=(10, 4.2))
    ax.boxplot(data, positions=range(len(data)), widths=0.6, patch_artist=True,
               boxprops={"facecolor": style.secondary, "edgecolor": style.primary},
               medianprops={"color": style.primary, "linewidth": 1.5}, flierprops={"markersize": 3})
    if portfolio.focus:
        ax.scatter(range(len(data)), s[portfolio.focus].to_numpy(), marker="D", color=style.accent, s=22,
                   zorder=3, label=portfolio.focus)
        ax.legend(fontsize=8, frameon=False, loc="upper right")
    ax.set_xticks(range(len(data)), [i.split(".", 1)[1] for i in s.index], rotation=90, fontsize=7)
    ax.set_ylim(1, 5)
    ax.set_ylabel("score")
    ax.spines[["top", "right"]].set_visible(False)
    return fig


# ---- roadmap -----------------------------------------------------------------------------------

def gantt(plan, style: Style = Style()):
    """The roadmap as a Gantt chart: one bar per initiative, waves shaded, quick wins hatched."""
    items = plan.initiatives
    waves = plan.waves
    labels = [f"{p.id}  {textwrap.shorten(p.initiative.title, 40, placeholder=' …')}" for p in items]
    fig, ax = _figure(style, f"Roadmap: {len(items)} initiatives in {len(waves)} waves",
                      f"Gantt chart of {len(items)} improvement initiatives over {len(waves)} waves from "
                      f"{waves[0].start:%d %B %Y} to {waves[-1].end:%d %B %Y}; bars run from each initiative's "
                      "start to its end, quick wins hatched, transformations darkest.",
                      size=(8, max(2.5, 0.22 * len(items) + 1.2)),
                      margins=(_text_width(labels, 6.5, style.font) + _TICK + _PAD, 0.24, 0.24, _TITLE))
    shade = {"quick-win": (style.secondary, "///"), "foundation": (style.extra[0], ""),
             "transformation": (style.primary, "")}
    for i, w in enumerate(waves):
        ax.axvspan(w.start, w.end, color="#F2F2F2" if i % 2 == 0 else "#FFFFFF", zorder=0)
        ax.text(w.start + (w.end - w.start) / 2, -0.9, f"wave {w.index}", ha="center", fontsize=7, color=style.grey)
    if items:  # one call for every bar: a call per bar costs a few milliseconds each
        faces, hatches = zip(*(shade.get(p.initiative.type, (style.grey, "")) for p in items), strict=True)
        ends = [min(p.end, waves[-1].end) if p.end else waves[-1].end for p in items]
        ax.barh(range(len(items)), [(end - p.start).days for end, p in zip(ends, items, strict=True)],
                left=[p.start for p in items], color=faces, hatch=hatches, edgecolor="black", linewidth=0.3)
    ax.set_yticks(range(len(items)), labels, fontsize=6.5)
    ax.set_ylim(len(items) - 0.4, -1.4)
    handles = [matplotlib.patches.Patch(facecolor=f, hatch=h, edgecolor="black", label=k)
               for k, (f, h) in shade.items()]
    # above the plot, right of the title: inside it, the legend would cover the last wave's bars
    ax.legend(handles=handles, fontsize=7, frameon=False, loc="lower right", bbox_to_anchor=(1, 1), ncols=3,
              borderaxespad=0.2)
    # at most seven dates along the axis, so that the labels never run into each other
    ax.xaxis.set_major_locator(matplotlib.dates.AutoDateLocator(minticks=3, maxticks=7))
    ax.xaxis.set_major_formatter(matplotlib.dates.DateFormatter("%b %Y"))
    ax.tick_params(axis="x", labelsize=7)
    ax.spines[["top", "right"]].set_visible(False)
    return fig


def projection(plan, style: Style = Style()):
    """The mean projected score after each wave, the levels gained since now (summed over the
    subjects), and how many subjects reach their target."""
    p = plan.projection
    waves = sorted(p["wave"].unique())
    mean = [p.loc[p["wave"].eq(w), "score"].mean() for w in waves]
    from dsm_assess.deliver.messages import reaching  # unassessed subjects never count as on target
    on = [reaching(p, w)[0] for w in waves]
    targeted = reaching(p, waves[0])[1]
    now = p[p["wave"].eq(waves[0])].set_index("subject")["level"]
    gained = [int((p[p["wave"].eq(w)].set_index("subject")["level"] - now).clip(lower=0).sum()) for w in waves]
    fig, ax = _figure(style, "Projected maturity after each wave",
                      f"Line chart of the mean score of all subjects now (wave 0) and after each of the "
                      f"{len(waves) - 1} waves, from {mean[0]:.1f} to {mean[-1]:.1f}; plain bars show the levels "
                      f"gained since now, {gained[-1]} by the last wave; dotted bars how many of the "
                      f"{targeted} assessed subjects with a target reach it, from {on[0]} to {on[-1]}.",
                      margins=(0.51, 0.56, 0.25, 0.34))
    x = np.arange(len(waves))
    ax.bar(x - 0.2, gained, width=0.4, color=style.primary, alpha=0.45, label="levels gained since now")
    for k, g in zip(x, gained, strict=True):
        if g:
            ax.annotate(str(g), (k - 0.2, g), textcoords="offset points", xytext=(0, 2), ha="center", fontsize=7)
    ax.bar(x + 0.2, on, width=0.4, color=style.secondary, hatch="..", edgecolor="black", linewidth=0.3,
           label="subjects on target", alpha=0.9)
    ax.set_ylabel("levels gained / subjects on target")
    ax.set_ylim(0, max(targeted, max(gained), 1) * 1.1)
    twin = ax.twinx()
    twin.plot(x, mean, color=style.primary, marker="o", linewidth=2, label="mean score (right axis)")
    for k, m in zip(x, mean, strict=True):
        twin.annotate(f"{m:.1f}", (k, m), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8)
    twin.set_ylim(1, 5)
    twin.set_ylabel("mean score")
    ax.set_xticks(x, ["now" if w == 0 else f"after wave {w}" for w in waves], fontsize=8)
    fig.legend(fontsize=8, frameon=False, loc="upper left", bbox_to_anchor=(0.08, 0.88))
    return fig
