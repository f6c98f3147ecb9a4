"""Report figures: diverging Likert bars, interval plots, wave comparisons, NPS, heatmaps.

In the style of seaborn, every function takes tidy data (usually the output of
:mod:`welcome_eval.stats`) plus column names, draws into ``ax`` (a new, suitably
sized figure if ``ax`` is None) and returns the :class:`~matplotlib.axes.Axes`.
Intervals are always precomputed (Wilson, t, Welch …) and drawn as given; no
seaborn bootstrap error bars, which would be random and unseeded.

Numbers on axes and in bars are German (``45 %``, ``3,5``) via
:mod:`welcome_eval.present.german_format`. Importing this module changes no global
matplotlib state; call :func:`set_theme` once to apply the report look.

A private module: :mod:`welcome_eval.present.figures` re-exports its charts. The
drawing helpers that the report families' figure modules share (:func:`new_axes`,
:func:`legend_below`, :func:`ordered_unique`, :func:`text_color_for`,
:func:`wrap_label`, :func:`style_category_axis`, :func:`check_interval_columns`) have
public names here so that those modules import no underscore name; they are not part
of the package's API.

Examples
--------
>>> from welcome_eval import stats
>>> from welcome_eval.ingest.codebook import Codebook
>>> cb = Codebook.for_survey("kommunen")
>>> df = pd.DataFrame({"zuf_gesamt": [5.0, 4.0, 4.0, 2.0, 3.0]})
>>> dist = stats.likert_distribution(df, ["zuf_gesamt"], codebook=cb)
>>> ax = likert_diverging(dist)
>>> ax.get_xlabel() != "" or len(ax.patches) > 0
True
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Sequence

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import colors as mcolors
from matplotlib import ticker as mticker
from matplotlib.axes import Axes
from matplotlib.transforms import ScaledTranslation

from welcome_eval._checks import check_columns
from welcome_eval.present import german_format

__all__ = [
    "LABEL_WIDTH",
    "MIN_LABELLED_SHARE",
    "NEUTRAL_COLOR",
    "NPS_GROUPS",
    "GermanFormatter",
    "check_interval_columns",
    "heatmap",
    "interval_plot",
    "legend_below",
    "likert_diverging",
    "new_axes",
    "nps_bar",
    "ordered_unique",
    "palette",
    "set_theme",
    "style_category_axis",
    "text_color_for",
    "wave_comparison",
    "wrap_label",
]

#: Colour of the neutral middle category of odd Likert scales.
NEUTRAL_COLOR = "#c8c8c8"
#: Shares at least this large are written into their bar segment.
MIN_LABELLED_SHARE = 0.08
#: Width (characters) at which category labels on the y axis are wrapped.
LABEL_WIDTH = 32
#: German labels of the three NPS groups, in drawing order.
NPS_GROUPS = (
    ("detractors", "Kritiker (0–6)"),
    ("passives", "Passive (7–8)"),
    ("promoters", "Promotoren (9–10)"),
)


# ---------------------------------------------------------------------------
# theme and helpers


def set_theme() -> None:
    """Apply the report look: seaborn ``whitegrid``, readable sizes, ``colorblind`` palette.

    Calling it again gives the same state (idempotent). Nothing in this module
    changes global state on import.
    """
    sns.set_theme(
        context="notebook",
        style="whitegrid",
        palette="colorblind",
        font="sans-serif",
        rc={
            "axes.titlesize": 13,
            "axes.labelsize": 11,
            "xtick.labelsize": 10,
            "ytick.labelsize": 10,
            "legend.fontsize": 10,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "savefig.dpi": 150,
            "savefig.bbox": "tight",
            # Fixed ids in SVG exports, so a researcher's SVG figures are reproducible too.
            "svg.hashsalt": "welcome-eval",
        },
    )


class GermanFormatter(mticker.Formatter):
    """Tick formatter with decimal comma (``2,5``) or German percent (``45 %``).

    The number of decimals is the smallest that shows all tick values exactly
    (at most 4).

    Parameters
    ----------
    as_percent : bool
        Treat values as shares (0–1) and show them as percent.
    absolute : bool
        Show absolute values (for diverging charts, where left of zero is a
        share as well).
    """

    def __init__(self, *, as_percent: bool = False, absolute: bool = False) -> None:
        self.as_percent = as_percent
        self.absolute = absolute
        self.digits = 0

    def _scaled(self, value: float) -> float:
        value = abs(value) if self.absolute else value
        return value * 100 if self.as_percent else value

    def format_ticks(self, values: Sequence[float]) -> list[str]:
        scaled = [self._scaled(v) for v in values if np.isfinite(v)]
        self.digits = next(
            (d for d in range(5) if all(abs(v * 10**d - round(v * 10**d)) < 1e-6 for v in scaled)),
            4,
        )
        return [self(value) for value in values]

    def __call__(self, x: float, pos: int | None = None) -> str:
        value = abs(x) if self.absolute else x
        if self.as_percent:
            return german_format.percent(value, self.digits)
        return german_format.number(value, self.digits)


def palette(n: int) -> list:
    """``n`` colours of seaborn's colour-blind-safe ``colorblind`` palette (all report figures)."""
    return sns.color_palette("colorblind", n)


def new_axes(width: float, height: float) -> Axes:
    """A new figure of ``width`` × ``height`` inches (constrained layout) and its Axes."""
    _, ax = plt.subplots(figsize=(width, height), layout="constrained")
    return ax


def wrap_label(label: object) -> str:
    """A category label wrapped at :data:`LABEL_WIDTH` characters."""
    return textwrap.fill(str(label), LABEL_WIDTH)


def ordered_unique(values: pd.Series) -> list:
    """Categories in their categorical order, else in order of first appearance."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        present = set(values.dropna())
        return [c for c in values.cat.categories if c in present]
    return list(dict.fromkeys(values.dropna()))


def text_color_for(color: object) -> str:
    """White or near-black text, whichever reads better on a fill of ``color``."""
    r, g, b = mcolors.to_rgb(color)
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 else "#222222"


def legend_below(ax: Axes, *, ncol: int, offset_points: float = 26) -> None:
    """Legend centred under the x tick labels, in the order the artists were drawn."""
    transform = ax.transAxes + ScaledTranslation(0, -offset_points / 72, ax.figure.dpi_scale_trans)
    ax.legend(
        loc="upper center",
        bbox_to_anchor=(0.5, 0),
        bbox_transform=transform,
        ncol=ncol,
        frameon=False,
        handlelength=1.2,
        columnspacing=1.2,
        fontsize="small",
    )


def _label_segments(ax: Axes, lefts, widths, positions, color) -> None:
    text_color = text_color_for(color)
    for left, width, pos in zip(lefts, widths, positions, strict=True):
        if width >= MIN_LABELLED_SHARE:
            ax.text(
                left + width / 2,
                pos,
                german_format.percent(width),
                ha="center",
                va="center",
                fontsize=8.5,
                color=text_color,
                zorder=4,
                # hide the zero line behind labels of the split middle category
                bbox={"boxstyle": "square,pad=0.15", "facecolor": color, "edgecolor": "none"},
            )


def style_category_axis(ax: Axes, positions, labels) -> None:
    """Wrapped category labels on the y axis, first on top, without grid, ticks or spines."""
    ax.set_yticks(positions, [wrap_label(label) for label in labels])
    ax.set_ylim(len(positions) - 0.5, -0.5)  # first category on top
    ax.grid(axis="y", visible=False)
    ax.tick_params(axis="y", length=0)
    ax.set_ylabel("")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)


# ---------------------------------------------------------------------------
# Likert distributions


def likert_diverging(
    distribution: pd.DataFrame,
    *,
    item: str = "item_label",
    label: str = "label",
    share: str = "share",
    code: str = "code",
    ax: Axes | None = None,
    palette: str = "PuOr",
) -> Axes:
    """Diverging stacked bar chart of Likert distributions, one bar per item.

    Codes below the middle of the scale extend to the left of zero, codes above
    it to the right; on odd scales the middle code is split half/half around
    zero and drawn in neutral grey. Items are sorted by the share of the two
    highest codes (best on top); shares of at least 8 % are written into the
    segments. The legend lists the value labels in scale order below the plot.

    Parameters
    ----------
    distribution : pandas.DataFrame
        Tidy distribution, one row per item × code, e.g. from
        :func:`welcome_eval.stats.likert_distribution`.
    item, label, share, code : str
        Columns with the item name shown on the y axis, the value label, the
        share (0–1) and the answer code (defines the scale order).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; by default a new figure sized to the number of items.
    palette : str, default "PuOr"
        Diverging, colour-blind-safe colour map (low codes orange, high purple).

    Returns
    -------
    matplotlib.axes.Axes

    References
    ----------
    Robbins, N. B. & Heiberger, R. M. (2011). Plotting Likert and other rating
    scales. *JSM Proceedings, Section on Survey Research Methods*, 1058–1066.

    Examples
    --------
    >>> from welcome_eval import stats
    >>> from welcome_eval.ingest.codebook import Codebook
    >>> cb = Codebook.for_survey("kommunen")
    >>> df = pd.DataFrame({"zuf_gesamt": [5.0, 4.0, 4.0, 2.0],
    ...                    "zuf_beratung": [3.0, 4.0, 5.0, 5.0]})
    >>> dist = stats.likert_distribution(df, ["zuf_gesamt", "zuf_beratung"], codebook=cb)
    >>> ax = likert_diverging(dist)
    >>> len(ax.get_yticklabels())
    2
    """
    check_columns(distribution, [item, label, share, code], "distribution", require_rows=True)
    frame = distribution[[item, label, share, code]].copy()
    frame[share] = pd.to_numeric(frame[share], errors="raise").fillna(0.0)
    if (frame[share] < 0).any() or (frame[share] > 1 + 1e-9).any():
        raise ValueError(f"column {share!r} must hold shares between 0 and 1")
    if frame.duplicated([item, code]).any():
        raise ValueError(
            f"distribution has several rows for the same {item!r} and {code!r}; "
            "pass one row per item and answer code"
        )
    codes = sorted(frame[code].unique())
    if len(codes) < 2:
        raise ValueError(f"column {code!r} needs at least two answer codes for a Likert chart")
    items = ordered_unique(frame[item])
    for name, group in frame.groupby(item, sort=False, observed=True):
        if sorted(group[code]) != codes:
            raise ValueError(
                f"item {name!r} does not use the same answer codes as the others "
                f"({sorted(group[code])} vs. {codes}); plot different scales separately"
            )
    labels = [str(frame.loc[frame[code] == c, label].iloc[0]) for c in codes]
    shares = frame.pivot(index=item, columns=code, values=share).reindex(index=items)
    shares = shares[codes]

    n_codes = len(codes)
    n_low = n_codes // 2
    middle = n_codes // 2 if n_codes % 2 else None
    top2 = shares.iloc[:, -2:].sum(axis=1)
    order = top2.sort_values(ascending=False, kind="stable").index
    shares = shares.loc[order]
    values = shares.to_numpy(dtype=float)
    left_extent = values[:, :n_low].sum(axis=1)
    if middle is not None:
        left_extent = left_extent + values[:, middle] / 2
    right_extent = values.sum(axis=1) - left_extent

    colors = _likert_colors(palette, n_codes)
    if ax is None:
        ax = new_axes(8.5, 0.55 * len(order) + 1.9)
    labels, ncol = _fit_legend_labels(ax, labels)
    positions = np.arange(len(order))
    lefts = -left_extent
    for j in range(n_codes):
        widths = values[:, j]
        ax.barh(
            positions,
            widths,
            left=lefts,
            height=0.72,
            color=colors[j],
            edgecolor="white",
            linewidth=0.6,
            label=labels[j],
        )
        _label_segments(ax, lefts, widths, positions, colors[j])
        lefts = lefts + widths

    ax.axvline(0, color="#444444", linewidth=0.9, zorder=3)
    left_limit = math.ceil(max(float(left_extent.max()), 0.05) * 10 - 1e-9) / 10
    right_limit = math.ceil(max(float(right_extent.max()), 0.05) * 10 - 1e-9) / 10
    span = left_limit + right_limit
    ax.set_xlim(-left_limit - 0.02, right_limit + 0.02)
    ax.xaxis.set_major_locator(mticker.MultipleLocator(0.1 if span <= 0.8 else 0.2))
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: german_format.percent(abs(v))))
    ax.set_xlabel("")
    style_category_axis(ax, positions, list(order))
    ax.spines["bottom"].set_visible(False)
    legend_below(ax, ncol=ncol)
    return ax


def _likert_colors(palette: str, n_codes: int) -> list[tuple[float, float, float]]:
    """Colours for the codes of a diverging scale, leaving out the near-white centre.

    Low codes come from the first, high codes from the second half of the colour
    map; the middle code of odd scales is neutral grey.
    """
    cmap = sns.color_palette(palette, as_cmap=True)
    n_side = n_codes // 2
    low = np.linspace(0.1, 0.36, n_side) if n_side > 1 else np.array([0.2])
    positions = list(low) + ([0.5] if n_codes % 2 else []) + list(1 - low[::-1])
    colors = [tuple(float(c) for c in mcolors.to_rgb(cmap(p))) for p in positions]
    if n_codes % 2:
        colors[n_side] = mcolors.to_rgb(NEUTRAL_COLOR)
    return colors


def _two_lines(text: str, *, min_length: int = 12) -> str:
    """Break a long label at the space nearest to its middle."""
    spaces = [i for i, char in enumerate(text) if char == " "]
    if len(text) < min_length or not spaces:
        return text
    cut = min(spaces, key=lambda i: max(i, len(text) - i - 1))
    return text[:cut] + "\n" + text[cut + 1 :]


def _legend_width(labels: Sequence[str]) -> float:
    """Rough width in points of a one-row legend with "small" text."""
    return sum(max(map(len, text.split("\n"))) * 5.6 + 32 for text in labels)


def _fit_legend_labels(ax: Axes, labels: Sequence[str]) -> tuple[list[str], int]:
    """Labels and columns for a legend below the plot, keeping the scale order.

    One row if the labels fit the figure width; else the labels are wrapped
    onto two lines; else the legend gets two rows (filled column by column, so
    reading down the columns keeps the scale order).
    """
    available = ax.figure.get_figwidth() * 72 * 0.95
    labels = list(labels)
    if _legend_width(labels) <= available:
        return labels, len(labels)
    wrapped = [_two_lines(text) for text in labels]
    if _legend_width(wrapped) <= available:
        return wrapped, len(labels)
    return labels, math.ceil(len(labels) / 2)


# ---------------------------------------------------------------------------
# intervals


def check_interval_columns(table: pd.DataFrame, estimate: str, low: str, high: str) -> None:
    """Every row has ``low <= estimate <= high`` (numeric columns, 1e-12 slack)."""
    est, lo, hi = (pd.to_numeric(table[c], errors="raise") for c in (estimate, low, high))
    bad = (lo > est + 1e-12) | (est > hi + 1e-12)
    if bad.any():
        raise ValueError(
            f"every row needs {low!r} <= {estimate!r} <= {high!r}; "
            f"violated in row(s) {list(table.index[bad])[:5]}"
        )


def interval_plot(
    table: pd.DataFrame,
    *,
    y: str,
    estimate: str,
    low: str,
    high: str,
    ax: Axes | None = None,
    xlabel: str | None = None,
    as_percent: bool = False,
) -> Axes:
    """Point estimates with horizontal confidence-interval whiskers, one row per category.

    Use it for top-box shares with Wilson intervals (``as_percent=True``) or for
    means with t intervals, e.g. the output of :func:`welcome_eval.stats.top_box`
    or :func:`welcome_eval.stats.mean_ci`. Rows are drawn top to bottom in the
    order of ``table``.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per category.
    y : str
        Column with the category names (y axis).
    estimate, low, high : str
        Columns with the point estimate and the interval limits.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; by default a new figure.
    xlabel : str, optional
        German axis label, e.g. ``"Anteil (eher) zufrieden"``.
    as_percent : bool, default False
        Values are shares (0–1) shown as German percent.

    Returns
    -------
    matplotlib.axes.Axes

    References
    ----------
    Cleveland, W. S. (1985). *The Elements of Graphing Data*, ch. 3. Wadsworth.

    Examples
    --------
    >>> tb = pd.DataFrame({"item_label": ["Runder Tisch", "Beratung"], "share": [0.8, 0.6],
    ...                    "ci_low": [0.7, 0.45], "ci_high": [0.88, 0.73]})
    >>> ax = interval_plot(tb, y="item_label", estimate="share", low="ci_low", high="ci_high",
    ...                    as_percent=True)
    >>> bool(ax.get_xlim()[0] <= 0.45)
    True
    """
    check_columns(table, [y, estimate, low, high], "table", require_rows=True)
    check_interval_columns(table, estimate, low, high)
    est = table[estimate].to_numpy(dtype=float)
    lo = table[low].to_numpy(dtype=float)
    hi = table[high].to_numpy(dtype=float)
    if ax is None:
        ax = new_axes(7.5, 0.5 * len(table) + 1.3)
    positions = np.arange(len(table))
    color = sns.color_palette("colorblind")[0]
    ax.errorbar(
        est,
        positions,
        xerr=np.vstack([est - lo, hi - est]),
        fmt="o",
        color=color,
        ecolor=color,
        elinewidth=1.6,
        capsize=3,
        markersize=6,
    )
    style_category_axis(ax, positions, table[y].tolist())
    ax.xaxis.set_major_formatter(GermanFormatter(as_percent=as_percent))
    ax.set_xlabel(xlabel or "")
    return ax


def wave_comparison(
    table: pd.DataFrame,
    *,
    y: str,
    x: str,
    hue: str,
    low: str | None = None,
    high: str | None = None,
    ax: Axes | None = None,
    as_percent: bool = False,
) -> Axes:
    """Dot plot comparing a statistic across survey waves, one row per item.

    Items keep their order of first appearance (or categorical order) in
    ``table``; waves (``hue``) too, with one colour-blind-safe colour per wave
    and points dodged vertically so that whiskers do not overlap.

    Parameters
    ----------
    table : pandas.DataFrame
        Long table, one row per item × wave.
    y : str
        Column with the item names.
    x : str
        Column with the statistic (mean, share …).
    hue : str
        Column with the wave (e.g. ``"2023"``, ``"2024"``).
    low, high : str, optional
        Columns with interval limits; give both or neither.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; by default a new figure.
    as_percent : bool, default False
        Values are shares (0–1) shown as German percent.

    Returns
    -------
    matplotlib.axes.Axes

    References
    ----------
    Cleveland, W. S. & McGill, R. (1984). Graphical perception. *JASA* 79,
    531–554.

    Examples
    --------
    >>> long = pd.DataFrame({"item_label": ["A", "A", "B", "B"], "welle": ["2019", "2021"] * 2,
    ...                      "mean": [3.5, 3.8, 4.0, 4.1], "ci_low": [3.2, 3.5, 3.7, 3.9],
    ...                      "ci_high": [3.8, 4.1, 4.3, 4.3]})
    >>> ax = wave_comparison(long, y="item_label", x="mean", hue="welle", low="ci_low",
    ...                      high="ci_high")
    >>> [t.get_text() for t in ax.get_legend().get_texts()]
    ['2019', '2021']
    """
    if (low is None) != (high is None):
        raise ValueError("give both low and high (interval limits) or neither")
    check_columns(table, [y, x, hue, low, high], "table", require_rows=True)
    if table.duplicated([y, hue]).any():
        raise ValueError(f"table has several rows for the same {y!r} and {hue!r}")
    if low is not None and high is not None:
        check_interval_columns(table, x, low, high)
    items = ordered_unique(table[y])
    waves = ordered_unique(table[hue])
    colors = sns.color_palette("colorblind", len(waves))
    if ax is None:
        ax = new_axes(7.5, (0.35 + 0.15 * len(waves)) * len(items) + 1.6)
    dodge = min(0.6 / len(waves), 0.25)
    position = {name: i for i, name in enumerate(items)}
    for h, (wave, color) in enumerate(zip(waves, colors, strict=True)):
        rows = table[table[hue] == wave]
        pos = rows[y].map(position).to_numpy(dtype=float) + (h - (len(waves) - 1) / 2) * dodge
        values = rows[x].to_numpy(dtype=float)
        xerr = None
        if low is not None and high is not None:
            xerr = np.vstack(
                [
                    values - rows[low].to_numpy(dtype=float),
                    rows[high].to_numpy(dtype=float) - values,
                ]
            )
        ax.errorbar(
            values,
            pos,
            xerr=xerr,
            fmt="o",
            color=color,
            ecolor=color,
            elinewidth=1.4,
            capsize=2.5,
            markersize=6,
            label=str(wave),
        )
    style_category_axis(ax, np.arange(len(items)), items)
    ax.xaxis.set_major_formatter(GermanFormatter(as_percent=as_percent))
    ax.set_xlabel("")
    legend_below(ax, ncol=len(waves))
    return ax


# ---------------------------------------------------------------------------
# tables of groups (e.g. items by district)


def heatmap(
    table: pd.DataFrame,
    *,
    x: str,
    y: str,
    value: str,
    ax: Axes | None = None,
    as_percent: bool = False,
    digits: int | None = None,
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "crest",
    mark: str = ".",
    hidden_label: str = "nicht ausgewiesen",
    total: str | None = None,
) -> Axes:
    """Coloured grid of a value by two categories, each cell labelled with its German number.

    Made for results by group that went through disclosure control, e.g.
    the top-2 share of each item (rows, ``y``) in each district (columns,
    ``x``) taken from :attr:`SuppressedTable.table
    <welcome_eval.publish.disclosure.SuppressedTable.table>`: a missing value (a hidden
    cell, or a combination without data) is drawn as a light grey cell marked
    ``mark``, and a note below the plot explains the mark. Rows and columns
    keep their order of first appearance (or categorical order). The sequential
    colour map is colour-blind safe and the number in each cell is always
    written, so the figure reads without colour too.

    Parameters
    ----------
    table : pandas.DataFrame
        Tidy table, one row per ``y`` × ``x``.
    x, y : str
        Columns with the column and row categories.
    value : str
        Column with the value of each cell (``NaN`` = hidden).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; by default a new figure sized to the grid.
    as_percent : bool, default False
        Values are shares (0–1) shown as German percent.
    digits : int, optional
        Decimals in the cells (default 0 for percent, else 1).
    vmin, vmax : float, optional
        Limits of the colour scale (default: the range of the values).
    cmap : str, default "crest"
        Sequential seaborn colour map.
    mark, hidden_label : str
        Text of missing cells and the explanation printed below the plot.
    total : str, optional
        A column category holding totals (e.g. the whole region): drawn last,
        set apart by a gap and labelled in bold.

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> t = pd.DataFrame({"district": ["Olpe", "Soest", "Olpe", "Soest"],
    ...                   "item": ["A", "A", "B", "B"], "share": [0.6, 0.7, None, 0.5]})
    >>> ax = heatmap(t, x="district", y="item", value="share", as_percent=True)
    >>> [t.get_text() for t in ax.texts]
    ['60\u202f%', '70\u202f%', '.', '50\u202f%', '. = nicht ausgewiesen']
    """
    check_columns(table, [x, y, value], "table", require_rows=True)
    if table.duplicated([y, x]).any():
        raise ValueError(f"table has several rows for the same {y!r} and {x!r}")
    rows = ordered_unique(table[y])
    columns = ordered_unique(table[x])
    if total is not None and total in columns:
        columns = [c for c in columns if c != total] + [total]
    grid = (
        table.assign(**{value: pd.to_numeric(table[value], errors="raise")})
        .pivot(index=y, columns=x, values=value)
        .reindex(index=rows, columns=columns)
        .astype(float)
    )
    values = grid.to_numpy()
    finite = values[np.isfinite(values)]
    digits = (0 if as_percent else 1) if digits is None else digits
    low = vmin if vmin is not None else (float(finite.min()) if finite.size else 0.0)
    high = vmax if vmax is not None else (float(finite.max()) if finite.size else 1.0)
    if high <= low:
        high = low + (0.01 if as_percent else 0.1)
    if ax is None:
        ax = new_axes(0.95 * len(columns) + 3.2, 0.42 * len(rows) + 1.3)
    colormap = sns.color_palette(cmap, as_cmap=True)
    norm = mcolors.Normalize(vmin=low, vmax=high)
    gap = 0.25 if total is not None and columns[-1] == total else 0.0
    left = [j + (gap if gap and j == len(columns) - 1 else 0.0) for j in range(len(columns))]
    for i in range(len(rows)):
        for j in range(len(columns)):
            cell = values[i, j]
            hidden = not np.isfinite(cell)
            color = "#eeeeee" if hidden else colormap(norm(cell))
            ax.add_patch(
                plt.Rectangle((left[j], i), 1, 1, facecolor=color, edgecolor="white", linewidth=2)
            )
            if hidden:
                text = mark
            elif as_percent:
                text = german_format.percent(cell, digits)
            else:
                text = german_format.number(cell, digits)
            ax.text(
                left[j] + 0.5,
                i + 0.5,
                text,
                ha="center",
                va="center",
                fontsize=9,
                color="#444444" if hidden else text_color_for(color),
            )
    ax.set_xlim(0, len(columns) + gap)
    ax.set_ylim(len(rows), 0)
    ax.set_xticks(
        np.asarray(left) + 0.5,
        [textwrap.fill(str(c), 13, break_long_words=False) for c in columns],
        fontsize=9,
    )
    if gap:
        ax.get_xticklabels()[-1].set_fontweight("bold")
    ax.set_yticks(np.arange(len(rows)) + 0.5, [wrap_label(r) for r in rows], fontsize=9.5)
    ax.xaxis.tick_top()
    ax.tick_params(length=0)
    ax.grid(False)
    for side in ("top", "right", "left", "bottom"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel("")
    ax.set_ylabel("")
    if not np.isfinite(values).all():
        ax.text(
            0,
            -0.02,
            f"{mark} = {hidden_label}",
            transform=ax.transAxes,
            ha="left",
            va="top",
            fontsize="small",
            color="#444444",
        )
    return ax


# ---------------------------------------------------------------------------
# net promoter score


def nps_bar(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """One stacked bar of detractors, passives and promoters, with the NPS as title.

    Parameters
    ----------
    table : pandas.DataFrame
        One row with ``detractors``, ``passives``, ``promoters`` (shares) and
        ``nps``, e.g. from :func:`welcome_eval.stats.nps`; ``n`` is shown if
        present.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; by default a new, flat figure.

    Returns
    -------
    matplotlib.axes.Axes

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business
    Review* 81(12), 46–54.

    Examples
    --------
    >>> from welcome_eval import stats
    >>> ax = nps_bar(stats.nps(pd.Series([10.0, 9.0, 8.0, 3.0, 10.0])))
    >>> "NPS" in ax.get_title(loc="left") + ax.get_title()
    True
    """
    if isinstance(table, pd.Series):
        table = table.to_frame().T
    check_columns(table, [key for key, _ in NPS_GROUPS] + ["nps"], "table", require_rows=True)
    if len(table) != 1:
        raise ValueError(f"nps_bar() draws one NPS; table has {len(table)} rows")
    row = table.iloc[0]
    if ax is None:
        ax = new_axes(7.5, 2.1)
    palette = sns.color_palette("PuOr", 5)
    colors = [palette[0], mcolors.to_rgb(NEUTRAL_COLOR), palette[-1]]
    left = 0.0
    for (key, group_label), color in zip(NPS_GROUPS, colors, strict=True):
        width = float(row[key]) if pd.notna(row[key]) else 0.0
        ax.barh(
            [0], [width], left=left, height=0.6, color=color, edgecolor="white", label=group_label
        )
        _label_segments(ax, [left], [width], [0], color)
        left += width
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.5, 0.5)
    ax.set_yticks([])
    ax.xaxis.set_major_locator(mticker.MultipleLocator(0.2))
    ax.xaxis.set_major_formatter(GermanFormatter(as_percent=True))
    ax.grid(axis="y", visible=False)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.set_title(
        f"NPS: {german_format.signed(float(row['nps']), 0)}",
        loc="left",
        fontweight="bold",
    )
    if "n" in table.columns and pd.notna(row["n"]):
        ax.set_title(f"n = {german_format.integer(float(row['n']))}", loc="right", fontsize="small")
    legend_below(ax, ncol=3)
    return ax
