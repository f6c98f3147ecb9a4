"""Stage 2, statistics on tidy survey data, each checked against R.

Likert summaries and proportions, reliability, comparisons between groups, waves and paired
municipalities (re-exported here), design-based estimation (``stats.survey``) and ordinal
driver models (``stats.drivers``).

The functions live in one module per topic: ``likert`` (distributions, top box, means,
medians, NPS), ``trends`` (waves), ``proportions``, ``reliability`` and ``comparisons``.
The German sentences that describe their results are in
:mod:`welcome_eval.present.sentences`.

A flat, functional API in the style of pingouin: every function takes a wave's
tidy data (a wide :class:`pandas.DataFrame` with one row per respondent and one
column per item id, substantive answer codes as float, missing codes already
turned into ``NaN``) and returns a tidy :class:`pandas.DataFrame` with one row
per item. Nothing is printed or rounded; formatting belongs to the report
layer (:mod:`welcome_eval.present.german_format`).

The tests and the multiplicity correction are computed by pingouin wherever it
gives R's result (Kruskal–Wallis, one-way ANOVA, Mann–Whitney, Wilcoxon signed
rank, Welch and paired t, raw Cronbach's alpha, Holm and BH); the rest (Feldt
interval, standardised alpha, ε², the descriptive intervals) is computed here,
and each docstring says why (the measured difference to R or what pingouin
lacks). pingouin is imported on first use, not with this package: it adds about
0.7 s (scikit-learn, xarray).

Functions that need item labels or the valid codes of a scale take the
survey's :class:`~welcome_eval.ingest.codebook.Codebook` as the keyword argument
``codebook``. The reference values in ``tests/reference/likert_basics.json``
are computed with base R (``tests/reference/likert_basics.R``) and the tests
require agreement to 1e-10 relative tolerance.
"""

from __future__ import annotations

from welcome_eval._lazy import attach
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
# The German sentences moved to present.sentences; the old names stay one release.
_MOVED = dict.fromkeys(("describe_change", "describe_comparison"), "welcome_eval.present.sentences")

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


__getattr__, __dir__ = attach(__name__, _SUBMODULES, moved=_MOVED)
