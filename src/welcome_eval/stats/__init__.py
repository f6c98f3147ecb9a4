"""Stage 2, statistics on tidy survey data, each checked against R.

Likert summaries and proportions, reliability, comparisons between groups, waves and paired
municipalities (re-exported here), design-based estimation (``stats.survey``) and ordinal
driver models (``stats.drivers``).

The functions live in one module per topic: ``likert`` (distributions, top box, means,
medians, NPS), ``trends`` (waves), ``proportions``, ``reliability`` and ``comparisons``.
The German sentences that describe their results are in
:mod:`welcome_eval.present.sentences`.
"""

from __future__ import annotations

import importlib
from typing import Any

from welcome_eval.stats.comparisons import (
    CORRECTIONS,
    ETA_SQ_THRESHOLDS,
    R_THRESHOLDS,
    compare_groups,
    compare_independent,
    compare_paired,
    p_adjust,
)
from welcome_eval.stats.likert import likert_distribution, mean_ci, median_ci, nps, top_box
from welcome_eval.stats.proportions import PROPORTION_CI_METHODS, PROPORTION_METHODS, proportion_ci
from welcome_eval.stats.reliability import (
    NAN_POLICIES,
    AlphaResult,
    alpha_for_construct,
    cronbach_alpha,
)
from welcome_eval.stats.trends import trend_table, wave_change

_SUBMODULES = ("drivers", "survey")
# The sentences moved to present.sentences; notebooks still call stats.describe_change and
# stats.describe_comparison, and their output must not change, so both stay reachable here
# (imported lazily, so that importing stats does not import present).
_SENTENCES = ("describe_change", "describe_comparison")

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


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    if name in _SENTENCES:
        return getattr(importlib.import_module("welcome_eval.present.sentences"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES, *_SENTENCES})
