"""Report figures for the retention analysis: arrivals, retention curves, retention per
municipality, event study.

Companions of :mod:`welcome_eval.survival.retention` and
:mod:`welcome_eval.survival.programme_effect`,
in the style of :mod:`welcome_eval.present.figures`: each function takes a tidy table plus
column names, draws into ``ax`` (a new, suitably sized figure if ``ax`` is None) and
returns the :class:`~matplotlib.axes.Axes`. Axis labels are German, numbers German
(``45 %``), colours from seaborn's colour-blind-safe ``colorblind`` palette; importing
the module changes no global matplotlib state.

Examples
--------
>>> table = pd.DataFrame({"group": ["a", "a", "b", "b"], "time": [0.0, 2.0, 0.0, 2.0],
...                       "survival": [1.0, 0.8, 1.0, 0.6]})
>>> ax = retention_curves(table)
>>> ax.get_xlabel()
'Jahre seit dem Zuzug'
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes

from welcome_eval._checks import check_columns
from welcome_eval.present.figures._base import (
    GermanFormatter,
    legend_below,
    new_axes,
    palette,
)

__all__ = ["arrivals_plot", "event_study_plot", "retention_by_area_plot", "retention_curves"]

#: Colour of estimates flagged as unreliable.
UNRELIABLE_COLOR = "#9a9a9a"


def arrivals_plot(
    table: pd.DataFrame,
    *,
    x: str = "year",
    y: str = "n",
    hue: str = "district",
    ax: Axes | None = None,
    ylabel: str = "Zugezogene Personen",
) -> Axes:
    """Stacked bars: newcomers per year, split by ``hue`` (e.g. district).

    Examples
    --------
    >>> t = pd.DataFrame({"year": [2020, 2020, 2021], "district": ["A", "B", "A"],
    ...                   "n": [5, 3, 4]})
    >>> len(arrivals_plot(t).patches)
    4
    """
    check_columns(table, [x, y, hue], "table", require_rows=True)
    wide = table.pivot_table(index=x, columns=hue, values=y, aggfunc="sum", fill_value=0)
    if ax is None:
        ax = new_axes(9, 4.2)
    bottom = np.zeros(len(wide))
    positions = np.arange(len(wide))
    for color, column in zip(palette(wide.shape[1]), wide.columns, strict=True):
        values = wide[column].to_numpy(dtype=float)
        ax.bar(positions, values, bottom=bottom, color=color, label=str(column), width=0.8)
        bottom += values
    ax.set_xticks(positions, [str(v) for v in wide.index], rotation=0)
    ax.tick_params(axis="x", labelsize=9)
    ax.yaxis.set_major_formatter(GermanFormatter())
    ax.set_xlabel("Jahr des Zuzugs")
    ax.set_ylabel(ylabel)
    ax.grid(axis="x", visible=False)
    legend_below(ax, ncol=min(wide.shape[1], 5), offset_points=30)
    return ax


def retention_curves(
    table: pd.DataFrame,
    *,
    x: str = "time",
    y: str = "survival",
    hue: str | None = "group",
    low: str | None = None,
    high: str | None = None,
    ax: Axes | None = None,
    xlabel: str = "Jahre seit dem Zuzug",
    ylabel: str = "Anteil noch da",
    max_time: float | None = None,
    legend: bool = True,
    labels: Mapping[Hashable, str] | None = None,
) -> Axes:
    """Step curves (Kaplan–Meier, cumulative incidence) with optional interval bands.

    ``table`` has one row per curve (``hue``) and time, as
    :attr:`welcome_eval.survival.retention.KaplanMeier.table` or
    :func:`welcome_eval.survival.retention.cumulative_incidence`; each curve starts where its
    first row is (a Kaplan–Meier curve is drawn from 1 at time 0). The y axis is in
    percent. The legend names each curve by its ``hue`` value, or by its label in
    ``labels`` (e.g. the codebook's value labels, ``codebook["fachkraft"].values``) where
    it has one; a curve fitted with ``labels=`` or ``codebook=`` is named already.

    Examples
    --------
    >>> t = pd.DataFrame({"group": ["x", "x"], "time": [1.0, 3.0], "survival": [0.9, 0.7],
    ...                   "ci_low": [0.8, 0.6], "ci_high": [1.0, 0.8]})
    >>> ax = retention_curves(t, low="ci_low", high="ci_high")
    >>> ax.get_ylabel()
    'Anteil noch da'
    """
    check_columns(table, [x, y, hue, low, high], "table", require_rows=True)
    if ax is None:
        ax = new_axes(8, 4.5)
    names = labels or {}
    labels = list(dict.fromkeys(table[hue])) if hue is not None else [None]
    for color, label in zip(palette(len(labels)), labels, strict=True):
        curve = table if label is None else table[table[hue] == label]
        curve = curve.sort_values(x)
        if max_time is not None:
            curve = curve[curve[x] <= max_time]
        t = curve[x].to_numpy(dtype=float)
        v = curve[y].to_numpy(dtype=float)
        if y == "survival" and (len(t) == 0 or t[0] > 0):  # a KM curve starts at 1
            t, v = np.concatenate(([0.0], t)), np.concatenate(([1.0], v))
            if low is not None:
                curve = pd.concat(
                    [pd.DataFrame({x: [0.0], low: [1.0], high: [1.0]}), curve], ignore_index=True
                )
        if max_time is not None and len(t):
            t, v = np.concatenate((t, [max_time])), np.concatenate((v, [v[-1]]))
        name = None if label is None else str(names.get(label, label))
        ax.step(t, v, where="post", color=color, label=name)
        if low is not None and high is not None:
            lo = curve[low].to_numpy(dtype=float)
            hi = curve[high].to_numpy(dtype=float)
            tt = curve[x].to_numpy(dtype=float)
            ax.fill_between(tt, lo, hi, step="post", color=color, alpha=0.18, linewidth=0)
    ax.yaxis.set_major_formatter(GermanFormatter(as_percent=True))
    ax.xaxis.set_major_formatter(GermanFormatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_xlim(left=0, right=max_time)
    if legend and hue is not None and len(labels) > 1:
        legend_below(ax, ncol=min(len(labels), 4), offset_points=32)
    return ax


def event_study_plot(
    table: pd.DataFrame,
    *,
    x: str = "event_time",
    y: str = "att",
    low: str = "ci_low",
    high: str = "ci_high",
    phase: str | None = "phase",
    reliable: str | None = "reliable",
    ax: Axes | None = None,
    xlabel: str = "Zuzugsjahrgang relativ zum ersten vollen Teilnahmejahr",
    ylabel: str = "Effekt (Prozentpunkte)",
) -> Axes:
    """Event-study curve: effect by event time with intervals, in percentage points.

    Effects on a share (0–1) are drawn ×100. Post-treatment estimates (``phase`` =
    ``"post"``) are dark, anticipation estimates (partly exposed cohorts) lighter, the
    earlier placebo estimates grey; unreliable ones (``reliable`` False) hollow.

    Examples
    --------
    >>> t = pd.DataFrame({"event_time": [-2, 0, 1], "att": [0.0, 0.02, 0.03],
    ...                   "ci_low": [-0.01, 0.0, 0.01], "ci_high": [0.01, 0.04, 0.05],
    ...                   "phase": ["pre", "post", "post"], "reliable": [True, True, False]})
    >>> event_study_plot(t).get_ylabel()
    'Effekt (Prozentpunkte)'
    """
    check_columns(table, [x, y, low, high, phase, reliable], "table", require_rows=True)
    if ax is None:
        ax = new_axes(8, 4.2)
    colors = palette(3)
    styles = {
        "pre": ("#6f6f6f", "vor dem Beitritt (Placebo)"),
        "anticipation": (colors[1], "teilweise nach dem Beitritt"),
        "post": (colors[0], "nach dem Beitritt"),
    }
    data = table.copy()
    data["_phase"] = data[phase] if phase is not None else "post"
    data["_ok"] = data[reliable].astype(bool) if reliable is not None else True
    ax.axhline(0, color="#444444", linewidth=0.9)
    ax.axvline(-0.5, color="#444444", linewidth=0.8, linestyle="--")
    for key, (color, label) in styles.items():
        part = data[data["_phase"] == key]
        if part.empty:
            continue
        xs = part[x].to_numpy(dtype=float)
        ys = part[y].to_numpy(dtype=float) * 100
        err = np.vstack(
            [ys - part[low].to_numpy(float) * 100, part[high].to_numpy(float) * 100 - ys]
        )
        ax.errorbar(xs, ys, yerr=err, fmt="none", ecolor=color, elinewidth=1.4, capsize=3)
        ok = part["_ok"].to_numpy()
        ax.scatter(xs[ok], ys[ok], color=color, s=36, zorder=3, label=label)
        if (~ok).any():
            ax.scatter(
                xs[~ok],
                ys[~ok],
                facecolor="white",
                edgecolor=color,
                s=36,
                zorder=3,
                linewidth=1.4,
                label=f"{label}, unsicher",
            )
    ax.set_xticks(sorted(data[x].unique()))
    ax.yaxis.set_major_formatter(GermanFormatter())
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.grid(axis="x", visible=False)
    legend_below(ax, ncol=2, offset_points=30)
    return ax


def retention_by_area_plot(
    table: pd.DataFrame,
    *,
    y: str = "name",
    estimate: str = "survival",
    low: str = "ci_low",
    high: str = "ci_high",
    hue: str | None = "district",
    reference: float | None = None,
    reference_label: str = "Südwestfalen",
    ax: Axes | None = None,
    xlabel: str = "Anteil noch in der Region",
) -> Axes:
    """Dot plot: retention (a share) per area with interval whiskers, grouped by ``hue``.

    One row per area (e.g. municipality, from :func:`welcome_eval.survival.retention.retention_at`
    after disclosure control), sorted by ``hue`` and, within it, by the estimate
    (highest first); colours by ``hue`` (e.g. district), groups in the order in which
    they first come in ``table`` (as :func:`retention_curves` colours them, for a table
    sorted by district: the same colour for a district). Rows whose estimate is missing
    -- hidden by disclosure control, or no one observed that long -- are left out. An
    optional dashed line marks ``reference`` (e.g. the region as a whole). The x axis
    is in percent.

    Examples
    --------
    >>> t = pd.DataFrame({"name": ["Olpe", "Attendorn", "Brilon"],
    ...                   "district": ["Kreis Olpe", "Kreis Olpe", "Hochsauerlandkreis"],
    ...                   "survival": [0.8, 0.85, float("nan")],
    ...                   "ci_low": [0.7, 0.8, float("nan")], "ci_high": [0.9, 0.9, float("nan")]})
    >>> ax = retention_by_area_plot(t, reference=0.82)
    >>> [label.get_text() for label in ax.get_yticklabels()]
    ['Attendorn', 'Olpe']
    """
    check_columns(table, [y, estimate, low, high, hue], "table", require_rows=True)
    shown = table[table[estimate].notna()].copy()
    groups = list(dict.fromkeys(shown[hue])) if hue is not None else [None]
    if hue is not None:  # groups in the order they come (e.g. the districts' order)
        shown["_group"] = shown[hue].map({group: k for k, group in enumerate(groups)})
        shown = shown.sort_values(["_group", estimate], ascending=[True, False], kind="stable")
    else:
        shown = shown.sort_values(estimate, ascending=False, kind="stable")
    if ax is None:
        ax = new_axes(7.5, 0.24 * max(len(shown), 1) + 1.6)
    positions = np.arange(len(shown))
    colors = dict(zip(groups, palette(len(groups)), strict=True))
    for group in groups:
        mine = np.ones(len(shown), bool) if group is None else (shown[hue] == group).to_numpy()
        est = shown[estimate].to_numpy(dtype=float)[mine]
        err = np.vstack(
            [
                est - shown[low].to_numpy(dtype=float)[mine],
                shown[high].to_numpy(dtype=float)[mine] - est,
            ]
        )
        ax.errorbar(
            est,
            positions[mine],
            xerr=err,
            fmt="o",
            color=colors[group],
            ecolor=colors[group],
            elinewidth=1.3,
            capsize=2,
            markersize=4.5,
            label=None if group is None else str(group),
        )
    if reference is not None:
        ax.axvline(reference, color="#444444", linewidth=0.9, linestyle="--")
        ax.annotate(
            reference_label,
            xy=(reference, 1.0),
            xycoords=("data", "axes fraction"),
            xytext=(3, 3),
            textcoords="offset points",
            fontsize=8,
            color="#444444",
        )
    ax.set_yticks(positions, [str(v) for v in shown[y]])
    ax.tick_params(axis="y", labelsize=8)
    ax.set_ylim(len(shown) - 0.5, -0.5)
    ax.xaxis.set_major_formatter(GermanFormatter(as_percent=True))
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    if hue is not None and len(groups) > 1:
        legend_below(ax, ncol=min(len(groups), 3), offset_points=30)
    return ax
