"""Figures in the reports' German style. Each takes tidy data and column names and
returns the Axes (as seaborn does).

The general charts are re-exported here; the report families' figures sit in one module
each: ``benchmark``, ``checklist``, ``drivers``, ``map``, ``programme``, ``quality``,
``retention``.
"""

from __future__ import annotations

import importlib
from types import ModuleType

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


def __getattr__(name: str) -> ModuleType:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES})
