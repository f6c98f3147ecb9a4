"""Report figures for the self-assessment checklist (:mod:`welcome_eval.analysis.checklist`).

In the style of :mod:`welcome_eval.present.figures`: each function takes a tidy table plus column
names, draws into ``ax`` (a new, suitably sized figure if ``ax`` is None) and returns the
:class:`~matplotlib.axes.Axes`. Labels are German, numbers German (``45 %``, ``3,5``),
colours colour-blind safe (seaborn ``colorblind`` and the perceptually uniform
``viridis``). Hidden (suppressed) values arrive as NaN and are drawn as grey cells with
the mark ".", never as a value.

Examples
--------
>>> t = pd.DataFrame({"district": ["K1", "K1", "K2", "K2"],
...                   "dimension_label": ["A", "B", "A", "B"],
...                   "mean_score": [40.0, 55.0, float("nan"), 61.0]})
>>> ax = heatmap(t)
>>> [label.get_text() for label in ax.get_xticklabels()]
['K1', 'K2']
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import colors as mcolors
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from welcome_eval._checks import check_columns
from welcome_eval.present import german_format
from welcome_eval.present.figures._base import (
    GermanFormatter,
    legend_below,
    new_axes,
    ordered_unique,
    palette,
    text_color_for,
    wrap_label,
)

__all__ = ["heatmap", "missing_items_plot", "position_plot", "progress_plot", "score_distribution"]

#: Colour of hidden cells.
HIDDEN_COLOR = "#e6e6e6"
#: Score axis: the checklist scores run from 0 to 100.
SCORE_LIMITS = (0, 100)


def heatmap(
    table: pd.DataFrame,
    *,
    x: str = "district",
    y: str = "dimension_label",
    value: str = "mean_score",
    ax: Axes | None = None,
    label: str = "Mittlerer Punktwert (0–100)",
) -> Axes:
    """Heat map of a score by two categories (e.g. dimensions × districts).

    Cells are coloured on a fixed 0–100 scale (``viridis``) and labelled with the value
    (no decimals); hidden cells (NaN) are grey and marked ".".

    Examples
    --------
    >>> t = pd.DataFrame({"district": ["K1"], "dimension_label": ["A"], "mean_score": [42.4]})
    >>> [t.get_text() for t in heatmap(t).texts]
    ['42']
    """
    check_columns(table, [x, y, value], "table", require_rows=True)
    columns = ordered_unique(table[x])
    rows = ordered_unique(table[y])
    wide = table.pivot_table(index=y, columns=x, values=value, aggfunc="first", dropna=False)
    wide = wide.reindex(index=rows, columns=columns)
    values = wide.to_numpy(dtype=float)
    if ax is None:
        ax = new_axes(3.2 + 1.75 * len(columns), 0.9 + 0.55 * len(rows))
    cmap = sns.color_palette("viridis", as_cmap=True).with_extremes(bad=HIDDEN_COLOR)
    norm = mcolors.Normalize(*SCORE_LIMITS)
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            cell = values[i, j]
            if np.isnan(cell):
                text, color = german_format.HIDDEN_MARK, "#444444"
            else:
                text, color = german_format.number(cell, 0), text_color_for(cmap(norm(cell)))
            ax.text(j, i, text, ha="center", va="center", fontsize=10, color=color)
    ax.set_xticks(range(len(columns)), [str(c).replace(" ", "\n") for c in columns])
    ax.set_yticks(range(len(rows)), [wrap_label(r) for r in rows])
    ax.tick_params(length=0)
    ax.grid(False)
    for side in ax.spines.values():
        side.set_visible(False)
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label(label)
    bar.ax.yaxis.set_major_formatter(GermanFormatter())
    return ax


def score_distribution(
    table: pd.DataFrame,
    *,
    x: str = "score",
    y: str = "dimension_label",
    hue: str | None = None,
    ax: Axes | None = None,
    xlabel: str = "Punktwert (0–100)",
) -> Axes:
    """Distribution of scores per category as horizontal box plots (quartiles, no dots).

    ``hue`` (e.g. ``"wave"``) draws one box per group side by side. Whiskers reach to
    1.5 IQR; single outlying values are not drawn, so no municipality stands out.

    Examples
    --------
    >>> t = pd.DataFrame({"dimension_label": ["A"] * 6, "score": [10, 20, 30, 40, 50, 60.0]})
    >>> tuple(float(v) for v in score_distribution(t).get_xlim())
    (0.0, 100.0)
    """
    check_columns(table, [x, y, hue], "table", require_rows=True)
    data = table.dropna(subset=[x])
    if data.empty:
        raise ValueError("no score to draw (all hidden or missing)")
    order = ordered_unique(table[y])
    hues = ordered_unique(table[hue]) if hue else None
    if ax is None:
        ax = new_axes(8.5, 0.9 + 0.5 * len(order) * (1 + 0.45 * (len(hues) - 1 if hues else 0)))
    groups = hues or [None]
    colors = palette(len(groups))
    width = 0.7 / len(groups)
    for k, (group, color) in enumerate(zip(groups, colors, strict=True)):
        part = data if group is None else data[data[hue] == group]
        offset = (k - (len(groups) - 1) / 2) * width
        boxes = [part.loc[part[y] == o, x].to_numpy(dtype=float) for o in order]
        keep = [j for j, b in enumerate(boxes) if len(b)]
        ax.boxplot(
            [boxes[j] for j in keep],
            positions=[j + offset for j in keep],
            orientation="horizontal",
            widths=width * 0.85,
            showfliers=False,
            patch_artist=True,
            boxprops={"facecolor": color, "edgecolor": "#333333", "linewidth": 1.1},
            medianprops={"color": "#222222", "linewidth": 1.6},
            whiskerprops={"color": "#333333"},
            capprops={"color": "#333333"},
        )
    ax.set_xlim(*SCORE_LIMITS)
    ax.xaxis.set_major_formatter(GermanFormatter())
    ax.set_yticks(range(len(order)), [wrap_label(o) for o in order])
    ax.set_ylim(len(order) - 0.5, -0.5)
    ax.set_xlabel(xlabel)
    ax.set_ylabel("")
    ax.grid(axis="y", visible=False)
    if hues:
        handles = [
            Patch(facecolor=c, edgecolor="#333333", label=str(h))
            for c, h in zip(palette(len(hues)), hues, strict=True)
        ]
        ax.legend(
            handles=handles,
            loc="upper center",
            bbox_to_anchor=(0.5, -0.14),
            ncol=len(hues),
            frameon=False,
            fontsize="small",
        )
    return ax


def position_plot(
    table: pd.DataFrame,
    *,
    y: str = "dimension_label",
    score: str = "score",
    q1: str = "peer_q1",
    median: str = "peer_median",
    q3: str = "peer_q3",
    ax: Axes | None = None,
    own_label: str = "Ihre Kommune",
) -> Axes:
    """ "Where I stand": one municipality's scores against the quartiles of its peers.

    Per row a grey bar spans the peers' middle half (first to third quartile) with a
    tick at their median, and a dot marks the municipality's own score. Rows whose peer
    values were hidden (NaN) show the dot only.

    Parameters
    ----------
    table
        :func:`welcome_eval.analysis.checklist.position` (after disclosure control).

    Examples
    --------
    >>> t = pd.DataFrame({"dimension_label": ["A", "B"], "score": [40.0, 70.0],
    ...                   "peer_q1": [30.0, float("nan")], "peer_median": [45.0, float("nan")],
    ...                   "peer_q3": [60.0, float("nan")]})
    >>> len(position_plot(t).patches)
    1
    """
    check_columns(table, [y, score, q1, median, q3], "table", require_rows=True)
    labels = list(table[y])
    positions = np.arange(len(labels))
    if ax is None:
        ax = new_axes(8.5, 1.3 + 0.55 * len(labels))
    peer_color, own_color = "#bdbdbd", palette(1)[0]
    for pos, (_, row) in zip(positions, table.iterrows(), strict=True):
        if pd.notna(row[q1]) and pd.notna(row[q3]):
            ax.barh(pos, row[q3] - row[q1], left=row[q1], height=0.5, color=peer_color, zorder=2)
        if pd.notna(row[median]):
            ax.plot([row[median]] * 2, [pos - 0.25, pos + 0.25], color="#333333", lw=2, zorder=3)
        if pd.notna(row[score]):
            ax.plot(
                row[score],
                pos,
                "o",
                color=own_color,
                markersize=9,
                zorder=4,
                markeredgecolor="white",
            )
            ax.annotate(
                german_format.number(row[score], 0),
                (row[score], pos),
                xytext=(0, 10),
                textcoords="offset points",
                ha="center",
                fontsize=8.5,
                bbox={"boxstyle": "round,pad=0.1", "facecolor": "white", "edgecolor": "none"},
                zorder=5,
            )
    ax.set_yticks(positions, [wrap_label(label) for label in labels])
    ax.set_ylim(len(labels) - 0.5, -0.6)
    ax.set_xlim(*SCORE_LIMITS)
    ax.xaxis.set_major_formatter(GermanFormatter())
    ax.set_xlabel("Punktwert (0–100)")
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", length=0)
    handles = [
        Line2D([], [], marker="o", ls="", color=own_color, markersize=8, label=own_label),
        Patch(facecolor=peer_color, label="mittlere Hälfte der anderen Kommunen"),
        Line2D([], [], color="#333333", lw=2, label="Median der anderen Kommunen"),
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12 - 0.2 / len(labels)),
        ncol=3,
        frameon=False,
        fontsize="small",
    )
    return ax


def missing_items_plot(
    table: pd.DataFrame,
    *,
    y: str = "item_label",
    missing: str = "share_missing",
    planned: str = "share_planned",
    ax: Axes | None = None,
) -> Axes:
    """Items most often not in place: a bar per item, the planned part drawn lighter.

    Examples
    --------
    >>> t = pd.DataFrame({"item_label": ["A", "B"], "share_missing": [0.6, 0.3],
    ...                   "share_planned": [0.2, 0.1]})
    >>> len(missing_items_plot(t).patches)
    4
    """
    check_columns(table, [y, missing, planned], "table", require_rows=True)
    labels = list(table[y])
    positions = np.arange(len(labels))
    if ax is None:
        ax = new_axes(8.5, 1.2 + 0.42 * len(labels))
    share_missing = table[missing].to_numpy(dtype=float)
    share_planned = table[planned].to_numpy(dtype=float)
    dark, light = palette(4)[3], mcolors.to_rgba(palette(4)[3], 0.45)
    ax.barh(
        positions, share_missing - share_planned, color=dark, height=0.65, label="nicht vorhanden"
    )
    ax.barh(
        positions,
        share_planned,
        left=share_missing - share_planned,
        color=light,
        height=0.65,
        label="geplant",
    )
    for pos, value in zip(positions, share_missing, strict=True):
        ax.text(value + 0.01, pos, german_format.percent(value), va="center", fontsize=8.5)
    ax.set_yticks(positions, [wrap_label(label) for label in labels])
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlim(0, min(1.0, max(0.1, float(np.nanmax(share_missing)) + 0.12)))
    ax.xaxis.set_major_formatter(GermanFormatter(as_percent=True))
    ax.set_xlabel("Anteil der Kommunen, bei denen das Angebot fehlt")
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", length=0)
    legend_below(ax, ncol=2, offset_points=30)
    return ax


def progress_plot(
    table: pd.DataFrame,
    *,
    x: str = "wave",
    y: str = "mean_score",
    hue: str = "dimension_label",
    ax: Axes | None = None,
) -> Axes:
    """Mean score per wave, one line per dimension (hidden values leave a gap).

    Examples
    --------
    >>> t = pd.DataFrame({"wave": ["2019", "2021"] * 2, "dimension_label": ["A", "A", "B", "B"],
    ...                   "mean_score": [30.0, 40.0, 50.0, 55.0]})
    >>> len(progress_plot(t).get_lines())
    2
    """
    check_columns(table, [x, y, hue], "table", require_rows=True)
    waves = ordered_unique(table[x].astype(str))
    groups = ordered_unique(table[hue])
    if ax is None:
        ax = new_axes(8.5, 4.6)
    positions = {w: k for k, w in enumerate(waves)}
    for color, group in zip(palette(len(groups)), groups, strict=True):
        part = table[table[hue] == group]
        xs = [positions[str(w)] for w in part[x]]
        ax.plot(xs, part[y].to_numpy(dtype=float), marker="o", color=color, label=str(group))
    ax.set_xticks(range(len(waves)), waves)
    ax.set_xlim(-0.3, len(waves) - 0.7)
    ax.set_ylim(*SCORE_LIMITS)
    ax.yaxis.set_major_formatter(GermanFormatter())
    ax.set_xlabel("Welle der Checkliste")
    ax.set_ylabel("Mittlerer Punktwert (0–100)")
    legend_below(ax, ncol=3, offset_points=30)
    return ax
