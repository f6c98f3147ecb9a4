"""Stage 2, durations: how long newcomers stay.

``retention``: register stays, Kaplan–Meier, log-rank, Cox, competing risks (as R's
survival package); ``retention_duckdb``: the same stays computed in DuckDB for extracts
larger than memory; ``programme_effect``: arrival cohorts and group-time effects.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from welcome_eval.survival.retention import (
    CoxResult,
    KaplanMeier,
    LogRank,
    cox,
    cumulative_incidence,
    fit_kaplan_meier,
    kaplan_meier,
    logrank,
    median_stay,
    register_stays,
    retention_at,
)

_SUBMODULES = ("programme_effect", "retention", "retention_duckdb")

__all__ = [
    "CoxResult",
    "KaplanMeier",
    "LogRank",
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
]


def __getattr__(name: str) -> ModuleType:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES})
