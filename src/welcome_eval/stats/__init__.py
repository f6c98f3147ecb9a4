"""Stage 2, statistics on tidy survey data, each checked against R.

Likert summaries and proportions, reliability, comparisons between groups, waves and paired
municipalities (re-exported here), design-based estimation (``stats.survey``) and ordinal
driver models (``stats.drivers``).
"""

from __future__ import annotations

import importlib
from types import ModuleType

from welcome_eval.stats._core import (
    CORRECTIONS,
    ETA_SQ_THRESHOLDS,
    NAN_POLICIES,
    PROPORTION_CI_METHODS,
    PROPORTION_METHODS,
    R_THRESHOLDS,
    AlphaResult,
    alpha_for_construct,
    compare_groups,
    compare_independent,
    compare_paired,
    cronbach_alpha,
    describe_change,
    describe_comparison,
    likert_distribution,
    mean_ci,
    median_ci,
    nps,
    p_adjust,
    proportion_ci,
    top_box,
    trend_table,
    wave_change,
)

_SUBMODULES = ("drivers", "survey")

__all__ = [
    "CORRECTIONS",
    "ETA_SQ_THRESHOLDS",
    "NAN_POLICIES",
    "PROPORTION_CI_METHODS",
    "PROPORTION_METHODS",
    "R_THRESHOLDS",
    "AlphaResult",
    "alpha_for_construct",
    "compare_groups",
    "compare_independent",
    "compare_paired",
    "cronbach_alpha",
    "describe_change",
    "describe_comparison",
    "drivers",
    "likert_distribution",
    "mean_ci",
    "median_ci",
    "nps",
    "p_adjust",
    "proportion_ci",
    "survey",
    "top_box",
    "trend_table",
    "wave_change",
]


def __getattr__(name: str) -> ModuleType:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES})
