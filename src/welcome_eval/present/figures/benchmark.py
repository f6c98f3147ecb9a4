"""Figures of the municipal benchmark reports: one municipality against its peers.

>>> import pandas as pd
>>> t = pd.DataFrame({"label": ["Wohnen", "Arbeit"], "value": [0.7, float("nan")],
...                   "ci_low": [0.5, float("nan")], "ci_high": [0.85, float("nan")],
...                   "q1": [0.4, 0.5], "median": [0.5, 0.6], "q3": [0.6, 0.7]})
>>> ax = peer_comparison(t)
>>> ax.get_xlabel()
'Anteil „trifft (eher) zu“ bzw. „(eher) zufrieden“'
"""

from __future__ import annotations

import textwrap

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import seaborn as sns
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from welcome_eval._checks import check_columns
from welcome_eval.present.figures._base import GermanFormatter

__all__ = ["MEDIAN_COLOR", "OWN_COLOR", "PEER_COLOR", "peer_comparison"]

#: Colour-blind-safe pair: the municipality (blue) against the peers (grey band).
OWN_COLOR = sns.color_palette("colorblind")[0]
PEER_COLOR = "#d9d9d9"
MEDIAN_COLOR = "#555555"


def peer_comparison(
    table: pd.DataFrame,
    *,
    label: str = "label",
    value: str = "value",
    low: str = "ci_low",
    high: str = "ci_high",
    q1: str = "q1",
    median: str = "median",
    q3: str = "q3",
    own_name: str = "Ihre Kommune",
    xlabel: str = "Anteil „trifft (eher) zu“ bzw. „(eher) zufrieden“",
    as_percent: bool = True,
    ax: Axes | None = None,
) -> Axes:
    """Each item as a row: the peers' middle half as a grey band with their
    median, the municipality's value as a dot with its 95 % interval.

    Takes the table from :func:`welcome_eval.analysis.benchmark.peer_position` after
    disclosure control (hidden own values are ``NaN`` and get no dot; the row
    says "nicht ausgewiesen", without saying why). Returns the Axes.
    """
    check_columns(table, [label, value, low, high, q1, median, q3], "table", require_rows=True)
    rows = table.reset_index(drop=True)
    if ax is None:
        _, ax = plt.subplots(figsize=(8, 0.55 * len(rows) + 1.4), layout="constrained")
    positions = np.arange(len(rows))[::-1]
    for y, (_, row) in zip(positions, rows.iterrows(), strict=True):
        if np.isfinite(row[q1]) and np.isfinite(row[q3]):
            ax.barh(y, row[q3] - row[q1], left=row[q1], height=0.5, color=PEER_COLOR, zorder=1)
            ax.plot([row[median]] * 2, [y - 0.25, y + 0.25], color=MEDIAN_COLOR, lw=2, zorder=2)
        if np.isfinite(row[value]):
            ax.errorbar(
                row[value],
                y,
                xerr=[[row[value] - row[low]], [row[high] - row[value]]],
                fmt="o",
                color=OWN_COLOR,
                ecolor=OWN_COLOR,
                capsize=3,
                markersize=7,
                zorder=3,
            )
        else:
            ax.text(0.01, y, "nicht ausgewiesen", va="center", fontsize=9, color="#555555")
    ax.set_yticks(positions, [textwrap.fill(str(t), 30) for t in rows[label]])
    ax.set_xlim(0, 1 if as_percent else None)
    ax.xaxis.set_major_formatter(GermanFormatter(as_percent=as_percent))
    ax.set_xlabel(xlabel)
    ax.grid(axis="y", visible=False)
    handles = [
        Line2D(
            [], [], marker="o", color=OWN_COLOR, linestyle="-", label=f"{own_name} (95-%-Intervall)"
        ),
        Patch(color=PEER_COLOR, label="mittlere Hälfte der anderen Kommunen"),
        Line2D([], [], color=MEDIAN_COLOR, lw=2, label="Median der anderen Kommunen"),
    ]
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.12 - 0.3 / len(rows)),
        ncol=2,
        frameon=False,
    )
    return ax
