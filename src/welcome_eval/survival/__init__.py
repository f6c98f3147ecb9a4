"""Stage 2, durations: how long newcomers stay.

``retention``: the front door -- register stays, Kaplan–Meier, log-rank, Cox, competing
risks (as R's survival package), re-exported from the modules by topic: ``stays``,
``competing_risks`` and the private ``_kaplan_meier``, ``_logrank`` and ``_cox`` (private
so that ``survival.cox`` is the function, not a module of the same name);
``retention_duckdb``: the same stays computed in DuckDB for extracts larger than memory;
``programme_effect``: arrival cohorts and group-time effects.
"""

from __future__ import annotations

from welcome_eval._lazy import attach
from welcome_eval.survival._cox import CoxResult, cox
from welcome_eval.survival._kaplan_meier import (
    KaplanMeier,
    fit_kaplan_meier,
    kaplan_meier,
    median_stay,
    retention_at,
)
from welcome_eval.survival._logrank import LogRank, logrank
from welcome_eval.survival.competing_risks import cumulative_incidence
from welcome_eval.survival.stays import register_stays

_SUBMODULES = (
    "competing_risks",
    "programme_effect",
    "retention",
    "retention_duckdb",
    "stays",
)

__all__ = [
    "CoxResult",
    "KaplanMeier",
    "LogRank",
    "competing_risks",
    "cox",
    "cumulative_incidence",
    "fit_kaplan_meier",
    "kaplan_meier",
    "logrank",
    "median_stay",
    "programme_effect",
    "register_stays",
    "retention",
    "retention_at",
    "retention_duckdb",
    "stays",
]

__getattr__, __dir__ = attach(__name__, _SUBMODULES)
