"""Figures of the data-quality report: record outcomes, missing answers, weight classes.

Companions of :mod:`welcome_eval.analysis.quality`, in the style of
:mod:`welcome_eval.present.figures`: each function takes a tidy table plus column
names, draws into ``ax`` (a new, suitably sized figure if ``ax`` is None) and
returns the :class:`~matplotlib.axes.Axes`. Labels and numbers are German,
colours come from seaborn's colour-blind-safe ``colorblind`` palette, and
importing the module changes no global matplotlib state.

Every function draws values as given and leaves a hidden value (``NaN``, as
:func:`welcome_eval.publish.privacy.protect` leaves it) out, marking its place with the
point "." that the tables use, so a figure drawn from ``SuppressedTable.table``
shows no more than the table.

Examples
--------
>>> t = pd.DataFrame({"label": ["übernommen", "zurückgestellt"], "records": [48, 2]})
>>> ax = outcome_bars(t)
>>> len(ax.patches)
2
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import ticker as mticker
from matplotlib.axes import Axes

from welcome_eval._checks import check_columns
from welcome_eval.present import german_format
from welcome_eval.present.figures._base import (
    GermanFormatter,
    legend_below,
    new_axes,
    style_category_axis,
)

__all__ = ["missing_bars", "outcome_bars", "weight_distribution"]

#: Palette positions (seaborn "colorblind") of accepted, flagged and quarantined records:
#: bluish green, orange, vermillion.
OUTCOME_COLORS = (2, 1, 3)


def _mark_hidden(ax: Axes, x: float, y: float, **kwargs: object) -> None:
    ax.text(
        x,
        y,
        german_format.HIDDEN_MARK,
        ha="left",
        va="center",
        fontsize=11,
        color="#444444",
        **kwargs,
    )


def outcome_bars(
    table: pd.DataFrame,
    *,
    y: str = "label",
    x: str = "records",
    ax: Axes | None = None,
    xlabel: str = "Datensätze",
    colors: Sequence[object] | None = None,
) -> Axes:
    """Horizontal bars of counts, one per row, with the count written beside each bar.

    Made for :func:`welcome_eval.analysis.quality.outcome_counts` (without its total
    row): accepted, flagged and quarantined records in green, orange and
    vermillion. Any other table of counts per category works as well.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per category, drawn top to bottom.
    y, x : str
        Columns with the category label and the count.
    ax : matplotlib.axes.Axes, optional
    xlabel : str, default "Datensätze"
    colors : sequence of colours, optional
        One per row; default: :data:`OUTCOME_COLORS` of the ``colorblind``
        palette, repeated.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> t = pd.DataFrame({"label": ["a", "b", "c"], "records": [10, float("nan"), 0]})
    >>> [round(p.get_width()) for p in outcome_bars(t).patches]
    [10, 0]
    """
    check_columns(table, [y, x], "table", require_rows=True)
    values = table[x].to_numpy(dtype=float)
    if ax is None:
        ax = new_axes(7.5, 0.55 * len(table) + 1.2)
    palette = sns.color_palette("colorblind")
    if colors is None:
        colors = [palette[OUTCOME_COLORS[i % len(OUTCOME_COLORS)]] for i in range(len(table))]
    positions = np.arange(len(table))
    largest = np.nanmax(values) if np.isfinite(values).any() else 1.0
    offset = 0.01 * (largest or 1.0)
    for pos, value, color in zip(positions, values, colors, strict=True):
        if np.isnan(value):
            _mark_hidden(ax, offset, pos)
            continue
        ax.barh(pos, value, color=color, height=0.6)
        ax.text(
            value + offset,
            pos,
            german_format.integer(value),
            ha="left",
            va="center",
            fontsize=9.5,
            color="#222222",
        )
    style_category_axis(ax, positions, table[y].tolist())
    ax.set_xlim(0, (largest or 1.0) * 1.15)
    ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    ax.xaxis.set_major_formatter(GermanFormatter())
    ax.set_xlabel(xlabel)
    return ax


def missing_bars(
    table: pd.DataFrame,
    *,
    categories: Sequence[str],
    y: str = "item_label",
    n: str = "n",
    labels: Mapping[str, str] | None = None,
    ax: Axes | None = None,
    xlabel: str = "Anteil an allen übernommenen Datensätzen",
) -> Axes:
    """Stacked horizontal bars: the share of each kind of missing answer per item.

    Made for :func:`welcome_eval.analysis.quality.missing_by_item` with
    ``categories=quality.missing_categories(table)``: each bar is split into
    the missing codes and empty cells, as shares of ``n``; the rest of the
    100 % are valid answers.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per item, drawn top to bottom.
    categories : sequence of str
        Count columns to stack.
    y, n : str
        Columns with the item label and the number of records.
    labels : mapping, optional
        Legend label per category column (default: the column name).
    ax : matplotlib.axes.Axes, optional
    xlabel : str

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> t = pd.DataFrame({"item_label": ["A", "B"], "n": [20, 20],
    ...                   "weiß nicht": [2, 4], "no_answer": [1, 0]})
    >>> ax = missing_bars(t, categories=["weiß nicht", "no_answer"],
    ...                   labels={"no_answer": "ohne Angabe"})
    >>> [round(float(p.get_width()), 2) for p in ax.patches]
    [0.1, 0.2, 0.05, 0.0]
    """
    check_columns(table, [y, n, *categories], "table", require_rows=True)
    if not categories:
        raise ValueError("name at least one category column to stack")
    labels = dict(labels or {})
    if ax is None:
        ax = new_axes(8, 0.42 * len(table) + 1.8)
    palette = sns.color_palette("colorblind", len(categories))
    positions = np.arange(len(table))
    totals = table[n].to_numpy(dtype=float)
    left = np.zeros(len(table))
    hidden = np.zeros(len(table), dtype=bool)
    for color, column in zip(palette, categories, strict=True):
        shares = table[column].to_numpy(dtype=float) / np.where(totals > 0, totals, np.nan)
        hidden |= np.isnan(shares)
        widths = np.nan_to_num(shares)
        ax.barh(
            positions, widths, left=left, color=color, height=0.65, label=labels.get(column, column)
        )
        left += widths
    for pos in positions[hidden]:
        _mark_hidden(ax, 0.005, pos)
    style_category_axis(ax, positions, table[y].tolist())
    ax.set_xlim(0, max(0.05, float(np.nanmax(left)) * 1.1 if len(left) else 0.05))
    ax.xaxis.set_major_formatter(GermanFormatter(as_percent=True))
    ax.set_xlabel(xlabel)
    legend_below(ax, ncol=min(len(categories), 3), offset_points=34)
    return ax


def weight_distribution(
    table: pd.DataFrame,
    *,
    ax: Axes | None = None,
    ylabel: str = "Datensätze",
    xlabel: str = "Gewicht (Zahl der Personen, für die ein Datensatz steht)",
) -> Axes:
    """Bars of records per weight class, side by side for each set of weights.

    Made for :func:`welcome_eval.analysis.quality.weight_histogram` (after
    :func:`welcome_eval.publish.privacy.protect`): one row per class, drawn left to
    right in table order, one column per set of weights. Hidden counts
    (``NaN``) are marked with ".".

    Parameters
    ----------
    table : pandas.DataFrame
        Classes × sets of weights, counts.
    ax : matplotlib.axes.Axes, optional
    ylabel, xlabel : str

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> t = pd.DataFrame({"Design": [30, 10], "kalibriert": [12, float("nan")]},
    ...                  index=["0 bis unter 5", "5 und mehr"])
    >>> len(weight_distribution(t).patches)
    4
    """
    if not isinstance(table, pd.DataFrame) or table.empty or table.shape[1] == 0:
        raise ValueError("table must be a non-empty DataFrame of classes × sets of weights")
    if ax is None:
        ax = new_axes(max(7.5, 0.62 * len(table) + 2), 4.2)
    groups = list(table.columns)
    palette = sns.color_palette("colorblind", len(groups))
    width = 0.8 / len(groups)
    counts = table.to_numpy(dtype=float)
    largest = float(np.nanmax(counts)) if np.isfinite(counts).any() else 1.0
    for number, (group, color) in enumerate(zip(groups, palette, strict=True)):
        values = counts[:, number]
        positions = np.arange(len(table)) - 0.4 + width * (number + 0.5)
        ax.bar(positions, np.nan_to_num(values), width=width, color=color, label=str(group))
        for pos in positions[np.isnan(values)]:
            ax.text(
                pos,
                0.01 * largest,
                german_format.HIDDEN_MARK,
                ha="center",
                va="bottom",
                color="#444444",
            )
    ax.set_xticks(np.arange(len(table)), [str(c) for c in table.index], rotation=35, ha="right")
    ax.grid(axis="x", visible=False)
    ax.yaxis.set_major_formatter(GermanFormatter())
    ax.set_ylabel(ylabel)
    ax.set_xlabel(xlabel)
    ax.legend(frameon=False, loc="upper right")
    return ax
