"""Report figures for the programme record (:mod:`welcome_eval.analysis.programme`).

Participation over time, coverage by group, round tables by role, attendance per
municipality and the costs per year. In the style of :mod:`welcome_eval.present.figures`: tidy
table plus column names in, :class:`~matplotlib.axes.Axes` out; German labels and
numbers, colour-blind-safe colours; a new figure when ``ax`` is None.

Examples
--------
>>> t = pd.DataFrame({"date": pd.to_datetime(["2018-01-31", "2018-02-28"]),
...                   "participating": [25, 30], "municipalities": [59, 59]})
>>> participation_line(t).get_ylabel()
'Teilnehmende Kommunen'
"""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import colors as mcolors
from matplotlib.axes import Axes

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

__all__ = [
    "attendance_heatmap",
    "costs_plot",
    "coverage_bars",
    "participation_line",
    "round_tables_plot",
]


def participation_line(
    table: pd.DataFrame,
    *,
    x: str = "date",
    y: str = "participating",
    total: str = "municipalities",
    milestones: pd.DataFrame | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Participating municipalities over time (step line), with the total as reference.

    ``milestones`` (e.g. :func:`welcome_eval.analysis.programme.participation_milestones`, columns
    ``date`` and ``in_record``) are marked with their count ("30 von 59").

    Examples
    --------
    >>> t = pd.DataFrame({"date": pd.to_datetime(["2018-01-31", "2018-03-31"]),
    ...                   "participating": [25, 30], "municipalities": [59, 59]})
    >>> m = pd.DataFrame({"date": pd.to_datetime(["2018-03-31"]), "in_record": [30]})
    >>> [t.get_text() for t in participation_line(t, milestones=m).texts]
    ['alle 59 Kommunen', '30 von 59']
    """
    check_columns(table, [x, y, total], "table", require_rows=True)
    if ax is None:
        ax = new_axes(9, 4.2)
    color = palette(1)[0]
    n_total = int(table[total].max())
    ax.step(table[x], table[y], where="post", color=color, lw=2.2)
    ax.axhline(n_total, color="#888888", lw=1, ls="--")
    ax.text(
        table[x].iloc[0],
        n_total + 0.8,
        f"alle {n_total} Kommunen",
        fontsize=9,
        color="#555555",
        va="bottom",
    )
    if milestones is not None:
        check_columns(milestones, ["date", "in_record"], "milestones", require_rows=True)
        for _, row in milestones.iterrows():
            ax.plot(row["date"], row["in_record"], "o", color=palette(2)[1], zorder=4)
            ax.annotate(
                f"{int(row['in_record'])} von {n_total}",
                (row["date"], row["in_record"]),
                xytext=(8, -14),
                textcoords="offset points",
                fontsize=9,
            )
    ax.set_ylim(0, n_total + 6)
    ax.yaxis.set_major_formatter(GermanFormatter())
    ax.xaxis.set_major_locator(mdates.YearLocator())
    ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y"))
    ax.set_xlabel("")
    ax.set_ylabel("Teilnehmende Kommunen")
    return ax


def coverage_bars(
    table: pd.DataFrame,
    *,
    y: str = "group",
    share: str = "share",
    count: str = "participating",
    total: str = "municipalities",
    ax: Axes | None = None,
    xlabel: str = "Anteil teilnehmender Kommunen",
) -> Axes:
    """Share of municipalities taking part per group, labelled "n von N".

    Examples
    --------
    >>> t = pd.DataFrame({"group": ["A", "B"], "share": [0.5, 0.25],
    ...                   "participating": [2, 1], "municipalities": [4, 4]})
    >>> [t.get_text() for t in coverage_bars(t).texts]
    ['2 von 4', '1 von 4']
    """
    check_columns(table, [y, share, count, total], "table", require_rows=True)
    labels = list(table[y])
    positions = np.arange(len(labels))
    if ax is None:
        ax = new_axes(8.5, 1.0 + 0.5 * len(labels))
    colors = ["#7f7f7f" if str(label) == "Südwestfalen" else palette(1)[0] for label in labels]
    values = table[share].to_numpy(dtype=float)
    ax.barh(positions, values, color=colors, height=0.65)
    for pos, value, n, big_n in zip(positions, values, table[count], table[total], strict=True):
        ax.text(value + 0.01, pos, f"{int(n)} von {int(big_n)}", va="center", fontsize=9)
    ax.set_yticks(positions, [wrap_label(label) for label in labels])
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlim(0, 1.12)
    ax.xaxis.set_major_formatter(GermanFormatter(as_percent=True))
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", length=0)
    return ax


def round_tables_plot(
    table: pd.DataFrame,
    *,
    x: str = "number",
    y: str = "persons",
    hue: str = "role",
    marks: pd.Series | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Participants per round table, stacked by role.

    ``marks`` (indexed by ``x``, e.g. "digital") are written above the bars.

    Examples
    --------
    >>> t = pd.DataFrame({"number": [1, 1, 2, 2], "role": ["a", "b", "a", "b"],
    ...                   "persons": [3, 2, 4, 1]})
    >>> len(round_tables_plot(t).patches)
    4
    """
    check_columns(table, [x, y, hue], "table", require_rows=True)
    roles = ordered_unique(table[hue])
    wide = table.pivot_table(index=x, columns=hue, values=y, aggfunc="sum", observed=True)
    wide = wide.reindex(columns=roles).fillna(0)
    if ax is None:
        ax = new_axes(10, 4.4)
    positions = np.arange(len(wide))
    bottom = np.zeros(len(wide))
    for color, role in zip(palette(len(roles)), roles, strict=True):
        values = wide[role].to_numpy(dtype=float)
        ax.bar(positions, values, bottom=bottom, color=color, width=0.8, label=str(role))
        bottom += values
    if marks is not None:
        for pos, key in zip(positions, wide.index, strict=True):
            text = marks.get(key)
            if isinstance(text, str) and text:
                ax.text(
                    pos,
                    bottom[pos] + 0.6,
                    text,
                    ha="center",
                    va="bottom",
                    fontsize=7.5,
                    rotation=90,
                    color="#444444",
                )
    ax.set_xticks(positions, [str(v) for v in wide.index])
    ax.tick_params(axis="x", labelsize=9)
    ax.set_ylim(0, bottom.max() * 1.25)
    ax.yaxis.set_major_formatter(GermanFormatter())
    ax.set_xlabel("Runder Tisch (Nummer)")
    ax.set_ylabel("Teilnehmende Personen")
    ax.grid(axis="x", visible=False)
    legend_below(ax, ncol=len(roles), offset_points=30)
    return ax


def attendance_heatmap(
    table: pd.DataFrame,
    *,
    x: str = "year",
    y: str = "name",
    value: str = "share",
    ax: Axes | None = None,
) -> Axes:
    """Share of round tables attended per municipality (rows) and year (columns).

    Empty cells: the municipality did not take part that year; NaN values that come
    from disclosure control are marked ".".

    Examples
    --------
    >>> t = pd.DataFrame({"name": ["a", "a", "b"], "year": [2018, 2019, 2019],
    ...                   "share": [0.5, 1.0, 0.0]})
    >>> len(attendance_heatmap(t).texts)
    3
    """
    check_columns(table, [x, y, value], "table", require_rows=True)
    rows = ordered_unique(table[y])
    columns = sorted(table[x].unique())
    wide = table.pivot_table(index=y, columns=x, values=value, aggfunc="first", dropna=False)
    present = table.assign(_one=1).pivot_table(index=y, columns=x, values="_one", aggfunc="size")
    wide = wide.reindex(index=rows, columns=columns)
    present = present.reindex(index=rows, columns=columns).notna().to_numpy()
    values = wide.to_numpy(dtype=float)
    if ax is None:
        ax = new_axes(1.8 + 0.8 * len(columns), 0.8 + 0.26 * len(rows))
    cmap = sns.color_palette("viridis", as_cmap=True).with_extremes(bad="white")
    norm = mcolors.Normalize(0, 1)
    image = ax.imshow(np.ma.masked_invalid(values), cmap=cmap, norm=norm, aspect="auto")
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            cell = values[i, j]
            if np.isnan(cell):
                if present[i, j]:
                    ax.text(j, i, german_format.HIDDEN_MARK, ha="center", va="center", fontsize=8)
                continue
            ax.text(
                j,
                i,
                german_format.percent(cell),
                ha="center",
                va="center",
                fontsize=7,
                color=text_color_for(cmap(norm(cell))),
            )
    ax.set_xticks(range(len(columns)), [str(c) for c in columns])
    ax.set_yticks(range(len(rows)), [str(r) for r in rows], fontsize=8)
    ax.tick_params(length=0)
    ax.xaxis.tick_top()
    ax.grid(False)
    for side in ax.spines.values():
        side.set_visible(False)
    bar = ax.figure.colorbar(image, ax=ax, fraction=0.04, pad=0.02)
    bar.set_label("Anteil besuchter Runder Tische")
    bar.ax.yaxis.set_major_formatter(GermanFormatter(as_percent=True))
    return ax


def costs_plot(
    table: pd.DataFrame,
    *,
    x: str = "year",
    parts: dict[str, str] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Programme costs per year, stacked by source (euro).

    ``parts`` maps columns to German labels (default: municipal contributions and
    regional funding of :func:`welcome_eval.analysis.programme.programme_costs`); a total row
    (``year == "gesamt"``) is left out.

    Examples
    --------
    >>> t = pd.DataFrame({"year": [2018, 2019, "gesamt"], "municipal": [10.0, 20.0, 30.0],
    ...                   "regional_funding": [5.0, 5.0, 10.0]})
    >>> len(costs_plot(t).patches)
    4
    """
    parts = parts or {
        "municipal": "Beiträge der Kommunen",
        "regional_funding": "Regionale Förderung",
    }
    check_columns(table, [x, *parts], "table", require_rows=True)
    data = table[table[x].astype(str) != "gesamt"]
    if ax is None:
        ax = new_axes(8.5, 4.2)
    positions = np.arange(len(data))
    bottom = np.zeros(len(data))
    for color, (column, label) in zip(palette(len(parts)), parts.items(), strict=True):
        values = data[column].to_numpy(dtype=float)
        ax.bar(positions, values, bottom=bottom, color=color, width=0.7, label=label)
        bottom += values
    ax.set_xticks(positions, [str(v) for v in data[x]])
    ax.yaxis.set_major_formatter(
        GermanFormatter() if bottom.max() < 10_000 else _ThousandsFormatter()
    )
    ax.set_ylabel("Euro" if bottom.max() < 10_000 else "Tausend Euro")
    ax.set_xlabel("")
    ax.grid(axis="x", visible=False)
    legend_below(ax, ncol=len(parts), offset_points=26)
    return ax


class _ThousandsFormatter(GermanFormatter):
    """Euro axis in thousands (``110`` for 110.000 €)."""

    def _scaled(self, value: float) -> float:
        return value / 1000

    def __call__(self, x: float, pos: int | None = None) -> str:
        return german_format.number(x / 1000, self.digits)
