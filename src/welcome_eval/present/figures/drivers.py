"""Report figures for driver analyses: odds ratios and the importance–performance chart.

Companions of :mod:`welcome_eval.stats.drivers`, in the style of
:mod:`welcome_eval.present.figures`: each function takes a tidy table (the output of
:func:`welcome_eval.stats.drivers.ordinal_drivers` or
:func:`welcome_eval.stats.drivers.importance_performance`) plus column names, draws
into ``ax`` (a new, suitably sized figure if ``ax`` is None) and returns the
:class:`~matplotlib.axes.Axes`. Numbers are German (``1,5``); importing the
module changes no global matplotlib state.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib import ticker as mticker
from matplotlib.axes import Axes

from welcome_eval._checks import check_columns
from welcome_eval.present import german_format
from welcome_eval.present.figures._base import (
    GermanFormatter,
    check_interval_columns,
    new_axes,
    style_category_axis,
    wrap_label,
)
from welcome_eval.stats.drivers import QUADRANTS

__all__ = ["importance_performance_plot", "odds_ratio_plot"]

#: Colour of odds ratios whose interval includes 1.
UNCLEAR_COLOR = "#9a9a9a"


def _or_ticks(low: float, high: float) -> list[float]:
    """Readable ticks for a log axis from ``low`` to ``high`` (1 always included)."""
    ratio = high / low
    base = (0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0, 50.0) if ratio > 30 else None
    candidates = base or (0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0, 32.0)
    ticks = [t for t in candidates if low <= t <= high]
    return ticks if 1.0 in ticks else sorted({*ticks, 1.0})


def _tick_text(value: float) -> str:
    """A tick value with as few decimals as it needs: ``0,25``, ``0,5``, ``2``."""
    digits = next((d for d in range(4) if abs(round(value, d) - value) < 1e-9), 3)
    return german_format.number(value, digits)


def odds_ratio_plot(
    table: pd.DataFrame,
    *,
    y: str = "label",
    estimate: str = "odds_ratio",
    low: str = "or_low",
    high: str = "or_high",
    ax: Axes | None = None,
    xlabel: str | None = "Odds Ratio (logarithmische Skala)",
) -> Axes:
    """Odds ratios with confidence intervals on a logarithmic axis, a line at 1.

    One row per term, drawn top to bottom in the order of ``table``. Terms
    whose interval excludes 1 are drawn in colour, the others in grey, so the
    clear effects stand out; odds ratios above 1 lie right of the line (the
    term goes with a *higher* outcome), below 1 left of it.

    Parameters
    ----------
    table : pandas.DataFrame
        One row per term, e.g. ``DriverResult.coefficients`` with a label column
        (:func:`welcome_eval.analysis.newcomers.driver_table`).
    y : str
        Column with the German term labels.
    estimate, low, high : str
        Columns with the odds ratio and its interval limits (all positive).
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; by default a new figure sized to the number of terms.
    xlabel : str, optional
        German axis label.

    Returns
    -------
    matplotlib.axes.Axes

    References
    ----------
    Cleveland, W. S. (1985). *The Elements of Graphing Data*, ch. 3
    (logarithmic scales for ratios). Wadsworth.

    Examples
    --------
    >>> t = pd.DataFrame({"label": ["Willkommen", "Freizeit"], "odds_ratio": [2.4, 0.95],
    ...                   "or_low": [2.0, 0.8], "or_high": [2.9, 1.1]})
    >>> ax = odds_ratio_plot(t)
    >>> ax.get_xscale(), [tick.get_text() for tick in ax.get_yticklabels()]
    ('log', ['Willkommen', 'Freizeit'])
    """
    check_columns(table, [y, estimate, low, high], "table", require_rows=True)
    check_interval_columns(table, estimate, low, high)
    est = table[estimate].to_numpy(dtype=float)
    lo = table[low].to_numpy(dtype=float)
    hi = table[high].to_numpy(dtype=float)
    if not (np.isfinite(lo).all() and np.isfinite(hi).all() and (lo > 0).all()):
        raise ValueError("odds ratios and their limits must be positive and finite")
    if ax is None:
        ax = new_axes(8.5, 0.42 * len(table) + 1.4)
    positions = np.arange(len(table))
    clear = (lo > 1) | (hi < 1)
    color = sns.color_palette("colorblind")[0]
    ax.axvline(1.0, color="#444444", linewidth=0.9, zorder=1)
    for mask, tone in ((clear, color), (~clear, UNCLEAR_COLOR)):
        if mask.any():
            ax.errorbar(
                est[mask],
                positions[mask],
                xerr=np.vstack([est[mask] - lo[mask], hi[mask] - est[mask]]),
                fmt="o",
                color=tone,
                ecolor=tone,
                elinewidth=1.6,
                capsize=3,
                markersize=6,
                zorder=3,
            )
    ax.set_xscale("log")
    left = min(float(lo.min()), 1.0) / 1.15
    right = max(float(hi.max()), 1.0) * 1.15
    ax.set_xlim(left, right)
    ax.xaxis.set_major_locator(mticker.FixedLocator(_or_ticks(left, right)))
    ax.xaxis.set_minor_locator(mticker.NullLocator())
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(lambda v, _: _tick_text(v)))
    style_category_axis(ax, positions, table[y].tolist())
    ax.set_xlabel(xlabel or "")
    return ax


def importance_performance_plot(
    table: pd.DataFrame,
    *,
    x: str = "performance",
    y: str = "importance",
    label: str = "item_label",
    ax: Axes | None = None,
    xlabel: str = "Leistung: mittlere Bewertung (1–5)",
    ylabel: str = "Wichtigkeit: Einfluss auf die Bleibeabsicht",
) -> Axes:
    """Importance–performance chart: one point per item, cross-hairs at the means.

    The x axis shows the performance (mean rating), the y axis the derived
    importance (e.g. the standardised log odds ratio from
    :func:`welcome_eval.stats.drivers.importance_performance`). Dashed lines at the
    mean importance and mean performance split the chart into the four
    quadrants of Martilla & James (1977), named in their corners
    (:data:`welcome_eval.stats.drivers.QUADRANTS`): top left "Handlungsbedarf"
    (important, rated low), top right "Stärken bewahren", bottom left "Geringe
    Priorität", bottom right "Mögliche Überversorgung".

    Parameters
    ----------
    table : pandas.DataFrame
        One row per item.
    x, y, label : str
        Columns with performance, importance and the German item label.
    ax : matplotlib.axes.Axes, optional
        Axes to draw into; by default a new, nearly square figure.
    xlabel, ylabel : str
        German axis labels.

    Returns
    -------
    matplotlib.axes.Axes

    References
    ----------
    Martilla, J. A. & James, J. C. (1977). Importance-performance analysis.
    *Journal of Marketing* 41(1), 77–79.

    Examples
    --------
    >>> t = pd.DataFrame({"item_label": ["Wohnen", "Arbeit", "Freizeit"],
    ...                   "performance": [3.2, 3.5, 3.8], "importance": [0.1, 0.5, 0.0]})
    >>> ax = importance_performance_plot(t)
    >>> len(ax.collections[0].get_offsets())
    3
    """
    check_columns(table, [x, y, label], "table", require_rows=True)
    px = pd.to_numeric(table[x], errors="raise").to_numpy(dtype=float)
    py = pd.to_numeric(table[y], errors="raise").to_numpy(dtype=float)
    if not (np.isfinite(px).all() and np.isfinite(py).all()):
        raise ValueError(f"columns {x!r} and {y!r} must be finite numbers")
    if ax is None:
        ax = new_axes(8.0, 6.0)
    mean_x, mean_y = float(px.mean()), float(py.mean())
    span_x = max(float(px.max() - px.min()), 0.4)
    span_y = max(float(py.max() - py.min()), 0.2)
    x_low, x_high = px.min() - 0.25 * span_x, px.max() + 0.45 * span_x
    y_low, y_high = py.min() - 0.22 * span_y, py.max() + 0.22 * span_y
    ax.set_xlim(x_low, x_high)
    ax.set_ylim(y_low, y_high)
    ax.axvline(mean_x, color="#777777", linestyle="--", linewidth=0.9, zorder=1)
    ax.axhline(mean_y, color="#777777", linestyle="--", linewidth=0.9, zorder=1)
    corners = {
        (True, False): (x_low, y_high, "left", "top"),
        (True, True): (x_high, y_high, "right", "top"),
        (False, False): (x_low, y_low, "left", "bottom"),
        (False, True): (x_high, y_low, "right", "bottom"),
    }
    pad_x, pad_y = 0.02 * (x_high - x_low), 0.02 * (y_high - y_low)
    for key, (cx, cy, ha, va) in corners.items():
        ax.text(
            cx + (pad_x if ha == "left" else -pad_x),
            cy + (pad_y if va == "bottom" else -pad_y),
            QUADRANTS[key],
            ha=ha,
            va=va,
            fontsize=10,
            color="#666666",
            fontstyle="italic",
        )
    color = sns.color_palette("colorblind")[0]
    ax.scatter(px, py, s=55, color=color, zorder=3)
    for xi, yi, text in zip(px, py, table[label], strict=True):
        # labels of points in the right part of the chart go to their left, so they stay inside
        left = xi > x_low + 0.6 * (x_high - x_low)
        ax.annotate(
            wrap_label(text),
            (xi, yi),
            xytext=(-7 if left else 7, 0),
            textcoords="offset points",
            ha="right" if left else "left",
            va="center",
            fontsize=9.5,
            zorder=4,
        )
    ax.xaxis.set_major_formatter(GermanFormatter())
    ax.yaxis.set_major_formatter(GermanFormatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(visible=False)
    return ax
