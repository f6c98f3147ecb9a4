"""Input checks and small helpers shared by the survival modules.

Private to :mod:`welcome_eval.survival`: the names are public so that the modules of the
package (:mod:`~welcome_eval.survival.stays`, :mod:`~welcome_eval.survival._kaplan_meier`,
:mod:`~welcome_eval.survival._logrank`, :mod:`~welcome_eval.survival._cox`,
:mod:`~welcome_eval.survival.competing_risks`) can import them; users call those modules'
functions, which check their input with these.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

import duckdb
import numpy as np
import pandas as pd
from scipy import stats as _sps

from welcome_eval._checks import check_columns
from welcome_eval.survival import retention_duckdb

__all__ = [
    "ALL",
    "Data",
    "as_durations",
    "as_events",
    "as_names",
    "check_frame",
    "check_times",
    "check_unique_columns",
    "complete_rows",
    "group_levels",
    "log_interval",
    "strata_codes",
    "z_quantile",
]


#: What ``data`` may be for the functions that count (Kaplan–Meier, medians, retention at
#: given times): a DataFrame, or a Parquet file / DuckDB relation counted in DuckDB.
Data = pd.DataFrame | str | os.PathLike | duckdb.DuckDBPyRelation

#: Group label of the single curve when no ``group`` is given.
ALL = "all"


def check_frame(data: object) -> pd.DataFrame:
    """``data`` itself if it is a DataFrame; TypeError for a Parquet path or relation."""
    if retention_duckdb.is_lazy(data):
        raise TypeError(
            f"data is a {type(data).__name__}: this function needs the rows in memory; pass a "
            "pandas DataFrame of the columns used (kaplan_meier, fit_kaplan_meier, median_stay, "
            "retention_at and register_stays also accept a Parquet path or a duckdb relation)"
        )
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    return data


def as_names(value: str | Sequence[str] | None, *, role: str) -> list[str]:
    """One column name or several as a list (empty for ``None``)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    names = list(value)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"{role} must be column names (str), got {name!r}")
    return names


def check_unique_columns(data: pd.DataFrame, columns: Sequence[str]) -> None:
    """``data`` is a DataFrame holding each of ``columns`` once (``check_columns``)."""
    check_columns(data, columns, unique=True)


def complete_rows(data: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """The rows without a missing value in ``columns`` and the number left out."""
    columns = list(dict.fromkeys(columns))
    keep = data[columns].notna().all(axis=1).to_numpy()
    return data.loc[keep, columns], int((~keep).sum())


def as_durations(values: pd.Series, *, role: str, rows: np.ndarray | None = None) -> np.ndarray:
    """The times as float, checked; ``rows``: rows behind each value (counted data)."""
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        raise ValueError(
            f"{role} column {values.name!r} has dtype {values.dtype}; expected numeric times "
            "(e.g. years or days since arrival)"
        )
    x = values.to_numpy(dtype=float)
    count = np.ones(len(x), dtype=np.int64) if rows is None else np.asarray(rows)
    if not np.isfinite(x).all():
        raise ValueError(
            f"{role} column {values.name!r} contains {int(count[~np.isfinite(x)].sum())} "
            "infinite value(s)"
        )
    if (x < 0).any():
        raise ValueError(
            f"{role} column {values.name!r} has {int(count[x < 0].sum())} negative value(s) "
            f"(smallest {x.min():g}); times must be >= 0 — check the start and end dates"
        )
    return x


def as_events(values: pd.Series, *, allowed: str = "binary") -> np.ndarray:
    """The event column as int: 0/1, or 0, 1, 2, … for competing risks."""
    name = values.name
    if pd.api.types.is_bool_dtype(values):
        return values.to_numpy(dtype=int)
    if not pd.api.types.is_numeric_dtype(values):
        raise ValueError(
            f"event column {name!r} has dtype {values.dtype}; expected 1 = event, 0 = censored"
        )
    x = values.to_numpy(dtype=float)
    whole = np.isfinite(x) & (x == np.round(x)) & (x >= 0)
    if allowed == "binary":
        bad = sorted(set(x[~np.isin(x, (0.0, 1.0))].tolist()))
        if bad:
            shown = ", ".join(f"{v:g}" for v in bad[:10])
            raise ValueError(
                f"event column {name!r} must be coded 1 = event, 0 = censored; found {shown}. "
                "Recode first (e.g. R's lung data: status - 1)"
            )
    elif not whole.all():
        bad = sorted(set(x[~whole].tolist()))
        shown = ", ".join(f"{v:g}" for v in bad[:10])
        raise ValueError(
            f"event column {name!r} must be coded 0 = censored and 1, 2, … = the competing "
            f"events; found {shown}"
        )
    return x.astype(int)


def group_levels(values: pd.Series) -> list:
    """Levels in R's factor order: categories as given, otherwise sorted values."""
    present = pd.unique(values)
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [level for level in values.cat.categories if level in set(present)]
    try:
        return sorted(present)
    except TypeError:
        return sorted(present, key=str)


def strata_codes(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Integer codes of the combinations of ``columns`` (0 for all rows if none)."""
    if not columns:
        return np.zeros(len(frame), dtype=int)
    return frame.groupby(list(columns), sort=True, observed=True).ngroup().to_numpy()


def z_quantile(conf_level: float) -> float:
    """The normal quantile of a two-sided interval at ``conf_level``."""
    return float(_sps.norm.ppf(1 - (1 - conf_level) / 2))


def log_interval(
    p: np.ndarray, se_log: np.ndarray, conf_level: float, conf_type: str = "log"
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise interval of S as R's ``survfit`` ``conf.type`` (se_log = R's ``std.err``).

    ``log`` (R's default): exp(log p ± z·se), upper limit at most 1, NaN at p = 0;
    ``log-log``: exp(−exp(log(−log p) ± z·se / log p)), NaN at p = 0 or 1;
    ``plain``: p ± z·se·p cut to [0, 1].
    """
    z = z_quantile(conf_level)
    with np.errstate(divide="ignore", invalid="ignore"):
        if conf_type == "log":
            logp = np.where(p > 0, np.log(np.where(p > 0, p, 1.0)), np.nan)
            return np.exp(logp - z * se_log), np.minimum(np.exp(logp + z * se_log), 1.0)
        if conf_type == "log-log":
            inner = np.where((p > 0) & (p < 1), p, np.nan)
            loglog = np.log(-np.log(inner))
            a = np.exp(-np.exp(loglog + z * se_log / np.log(inner)))
            b = np.exp(-np.exp(loglog - z * se_log / np.log(inner)))
            return np.minimum(a, b), np.maximum(a, b)
        if conf_type == "plain":
            return np.clip(p - z * se_log * p, 0, 1), np.clip(p + z * se_log * p, 0, 1)
    raise ValueError(f"conf_type must be 'log', 'log-log' or 'plain', got {conf_type!r}")


def check_times(times: Sequence[float] | float) -> np.ndarray:
    """Requested times, sorted, as a float array (one or more finite numbers)."""
    requested = np.sort(np.atleast_1d(np.asarray(times, dtype=float)))
    if requested.ndim != 1 or len(requested) == 0 or not np.isfinite(requested).all():
        raise ValueError(f"times must be one or more finite numbers, got {times!r}")
    return requested
