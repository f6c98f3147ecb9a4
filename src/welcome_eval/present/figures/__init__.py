"""Figures in the reports' German style. Each takes tidy data and column names and
returns the Axes (as seaborn does).

The general charts are re-exported here; the report families' figures sit in one module
each: ``benchmark``, ``checklist``, ``drivers``, ``map``, ``programme``, ``quality``,
``retention``.
"""

from __future__ import annotations

from welcome_eval._lazy import attach
from welcome_eval.present.figures._base import (
    LABEL_WIDTH,
    MIN_LABELLED_SHARE,
    NEUTRAL_COLOR,
    NPS_GROUPS,
    GermanFormatter,
    heatmap,
    interval_plot,
    likert_diverging,
    nps_bar,
    palette,
    set_theme,
    wave_comparison,
)

_SUBMODULES = ("benchmark", "checklist", "drivers", "map", "programme", "quality", "retention")

__all__ = [
    "LABEL_WIDTH",
    "MIN_LABELLED_SHARE",
    "NEUTRAL_COLOR",
    "NPS_GROUPS",
    "GermanFormatter",
    "benchmark",
    "checklist",
    "drivers",
    "heatmap",
    "interval_plot",
    "likert_diverging",
    "map",
    "nps_bar",
    "palette",
    "programme",
    "quality",
    "retention",
    "set_theme",
    "wave_comparison",
]

__getattr__, __dir__ = attach(__name__, _SUBMODULES)
