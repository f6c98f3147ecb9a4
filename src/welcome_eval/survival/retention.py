r"""Survival analysis of programme retention, checked against R's survival package.

How long do newcomers stay in the region, in the programme, in a job? This
module answers such time-to-event questions for right-censored data (someone
who is still there at the end of follow-up is *censored*): Kaplan–Meier
curves (:func:`kaplan_meier`), log-rank tests (:func:`logrank`), Cox
proportional hazards models with clustered (household) standard errors,
strata, counting-process (start, stop] data and the test of proportional
hazards (:func:`cox`), and Aalen–Johansen cumulative incidence for competing
events such as "moved away" versus "stayed, but left the programme"
(:func:`cumulative_incidence`).

Every function takes a tidy :class:`pandas.DataFrame` with one row per person
(or per person and period for (start, stop] data), the name of the duration
column and of the event column (1 = event, 0 = censored; for competing risks
0 = censored and 1, 2, … the causes). Rows with a missing value in any column
a function uses are left out, as R's ``na.omit`` does; the number is reported
as ``n_missing``. Nothing is printed or rounded.

The results agree with R 4.2 and survival 3.5 (``tests/reference/survival.R``
on the ``lung``, ``veteran``, ``mgus2`` and ``rats`` data of the survival
package): Kaplan–Meier estimates, Greenwood standard errors and "log"
intervals, ``summary(fit, times)`` and ``quantile(fit)``; ``survdiff``;
``coxph`` (Efron and Breslow ties, ``cluster()``, ``strata()``,
``Surv(start, stop, event)``) with ``concordance`` and ``cox.zph``; and the
multi-state ``survfit`` for competing risks. Cox models are fitted by
Newton–Raphson as statsmodels' :class:`~statsmodels.duration.hazard_regression.PHReg`
does (same start, step and tolerance; the last step, of at most 1e-12, is not
taken); the likelihood, the robust variance,
concordance and proportional-hazards test follow the algorithms of the survival
package (Therneau 2023), implemented here with numpy: cumulative sums over the
sorted event times, O(n log n).

References
----------
Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from incomplete
observations. *JASA* 53, 457–481. — Cox, D. R. (1972). Regression models and
life-tables. *JRSS B* 34, 187–220. — Therneau, T. M. & Grambsch, P. M. (2000).
*Modeling Survival Data: Extending the Cox Model*. Springer. — Therneau, T. M.
(2023). A package for survival analysis in R. R package version 3.5-3,
<https://CRAN.R-project.org/package=survival>.
"""

from __future__ import annotations

import datetime as dt
import functools
import math
import os
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import duckdb
import numpy as np
import pandas as pd
from scipy import stats as _sps

from welcome_eval._checks import check_columns, renamed_arguments
from welcome_eval._checks import check_conf_level as _check_conf_level
from welcome_eval.survival import retention_duckdb

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
    "register_stays",
    "retention_at",
]

#: What ``data`` may be for the functions that count (Kaplan–Meier, medians, retention at
#: given times): a DataFrame, or a Parquet file / DuckDB relation counted in DuckDB.
Data = pd.DataFrame | str | os.PathLike | duckdb.DuckDBPyRelation

#: Group label of the single curve when no ``group`` is given.
ALL = "all"
#: Ways of handling tied event times in :func:`cox`, as R's ``coxph(ties = ...)``.
TIES = ("efron", "breslow")
#: Time transforms of :meth:`CoxResult.proportional_hazards_test`, as R's ``cox.zph``.
ZPH_TRANSFORMS = ("km", "rank", "identity", "log")
#: Newton-Raphson iterations allowed in :func:`cox` (it stops when no
#: coefficient changes by more than 1e-12; R's coxph allows 20 and stops earlier).
MAX_ITERATIONS = 100
#: Relative tolerance R's ``quantile.survfit`` uses to decide that a curve is *at* p.
QUANTILE_TOLERANCE = math.sqrt(np.finfo(float).eps)
#: Destination codes of the register (``wegzug_ziel``, ``surveys/register/codebook.yaml``):
#: a move to another municipality of Südwestfalen ...
WITHIN_REGION = 1
#: ... moves out of the region (elsewhere in North Rhine-Westphalia, in Germany, abroad) ...
LEAVES_REGION = (2, 3, 4)
#: ... and death, a separate end.
DEATH = 5
#: Days per year: durations in years are days since the move-in / 365.25.
DAYS_PER_YEAR = 365.25
#: Columns added by :func:`register_stays`.
STAY_COLUMNS = ("days", "years", "left_region", "left_municipality", "end_type")
#: Codes of ``end_type`` (:func:`register_stays`), German labels for reports.
END_TYPES = {
    0: "noch gemeldet",
    1: "Umzug innerhalb der Region",
    2: "Wegzug aus der Region",
    3: "verstorben",
}


# ---------------------------------------------------------------------------
# input checks


def _check_frame(data: object) -> pd.DataFrame:
    if retention_duckdb.is_lazy(data):
        raise TypeError(
            f"data is a {type(data).__name__}: this function needs the rows in memory; pass a "
            "pandas DataFrame of the columns used (kaplan_meier, fit_kaplan_meier, median_stay, "
            "retention_at and register_stays also accept a Parquet path or a duckdb relation)"
        )
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    return data


def _as_names(value: str | Sequence[str] | None, *, role: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    names = list(value)
    for name in names:
        if not isinstance(name, str):
            raise TypeError(f"{role} must be column names (str), got {name!r}")
    return names


def _check_columns(data: pd.DataFrame, columns: Sequence[str]) -> None:
    check_columns(data, columns, unique=True)


def _complete_rows(data: pd.DataFrame, columns: Sequence[str]) -> tuple[pd.DataFrame, int]:
    """The rows without a missing value in ``columns`` and the number left out."""
    columns = list(dict.fromkeys(columns))
    keep = data[columns].notna().all(axis=1).to_numpy()
    return data.loc[keep, columns], int((~keep).sum())


def _durations(values: pd.Series, *, role: str, rows: np.ndarray | None = None) -> np.ndarray:
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


def _events(values: pd.Series, *, allowed: str = "binary") -> np.ndarray:
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


def _group_levels(values: pd.Series) -> list:
    """Levels in R's factor order: categories as given, otherwise sorted values."""
    present = pd.unique(values)
    if isinstance(values.dtype, pd.CategoricalDtype):
        return [level for level in values.cat.categories if level in set(present)]
    try:
        return sorted(present)
    except TypeError:
        return sorted(present, key=str)


def _strata_codes(frame: pd.DataFrame, columns: Sequence[str]) -> np.ndarray:
    """Integer codes of the combinations of ``columns`` (0 for all rows if none)."""
    if not columns:
        return np.zeros(len(frame), dtype=int)
    return frame.groupby(list(columns), sort=True, observed=True).ngroup().to_numpy()


def _z(conf_level: float) -> float:
    return float(_sps.norm.ppf(1 - (1 - conf_level) / 2))


def _log_interval(
    p: np.ndarray, se_log: np.ndarray, conf_level: float, conf_type: str = "log"
) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise interval of S as R's ``survfit`` ``conf.type`` (se_log = R's ``std.err``).

    ``log`` (R's default): exp(log p ± z·se), upper limit at most 1, NaN at p = 0;
    ``log-log``: exp(−exp(log(−log p) ± z·se / log p)), NaN at p = 0 or 1;
    ``plain``: p ± z·se·p cut to [0, 1].
    """
    z = _z(conf_level)
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


# ---------------------------------------------------------------------------
# Kaplan-Meier


def _check_times(times: Sequence[float] | float) -> np.ndarray:
    requested = np.sort(np.atleast_1d(np.asarray(times, dtype=float)))
    if requested.ndim != 1 or len(requested) == 0 or not np.isfinite(requested).all():
        raise ValueError(f"times must be one or more finite numbers, got {times!r}")
    return requested


def _km_curve(time: np.ndarray, event: np.ndarray) -> dict[str, np.ndarray]:
    """Kaplan–Meier estimate and Greenwood standard error of log S at every observed time."""
    times, inverse = np.unique(time, return_inverse=True)
    n_total = np.bincount(inverse, minlength=len(times)).astype(float)
    n_event = np.bincount(inverse, weights=event, minlength=len(times))
    return _km_from_counts(times, n_total, n_event)


def _km_from_counts(
    times: np.ndarray, n_total: np.ndarray, n_event: np.ndarray
) -> dict[str, np.ndarray]:
    """:func:`_km_curve` from the rows (``n_total``) and events at each distinct time
    (ascending): all Kaplan–Meier needs, so counted data give the same numbers."""
    n_risk = n_total.sum() - np.concatenate(([0.0], np.cumsum(n_total)[:-1]))
    surv = np.cumprod(1 - n_event / n_risk)
    with np.errstate(divide="ignore", invalid="ignore"):
        term = np.where(n_event > 0, n_event / (n_risk * (n_risk - n_event)), 0.0)
    se_log = np.sqrt(np.cumsum(term))
    return {
        "time": times,
        "n_risk": n_risk,
        "n_event": n_event,
        "n_censor": n_total - n_event,
        "survival": surv,
        "se_log": se_log,
    }


def _findq(x: np.ndarray, y: np.ndarray, p: float, tol: float) -> float:
    """R's ``survival:::findq``: the time at which the cumulative curve y reaches p."""
    finite = ~np.isnan(y)
    if not finite.any() or np.nanmax(y) < p:
        return math.nan
    xmax = x[-1]
    keep = ~pd.Series(y).duplicated().to_numpy()  # the first time each level is reached
    x, y = x[keep], y[keep]
    if p == 0:
        return float(x[0])
    ok = ~np.isnan(y)
    lo = np.flatnonzero(ok & (y + tol >= p))
    hi = np.flatnonzero(ok & (y - tol >= p))
    i1 = lo[0] if len(lo) and p >= np.nanmin(y) + tol else None
    i2 = hi[0] if len(hi) else None
    last = y[-1]
    if i1 is not None and not np.isnan(last) and abs(p - last) < tol:
        return float((x[i1] + xmax) / 2)
    if i1 is None or i2 is None:
        return math.nan
    return float((x[i1] + x[i2]) / 2)


@dataclass(frozen=True, eq=False)
class KaplanMeier:
    """Result of :func:`fit_kaplan_meier`: one Kaplan–Meier curve per group.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per group and observed time (event or censoring), as R's
        ``survfit`` object: ``group``, ``time``, ``n_risk``, ``n_event``,
        ``n_censor``, ``survival`` (S(t)), ``se_log`` (Greenwood standard error
        of −log S, R's ``fit$std.err``), ``se`` (= S·``se_log``, the standard
        error of S that R's ``summary(fit)`` prints as ``std.err``),
        ``ci_low`` and ``ci_high`` (R's default ``conf.type = "log"``; NaN
        where S = 0).
    conf_level : float
        Confidence level of the intervals.
    duration, event : str
        Column names used.
    group : str or None
        Grouping column (``None``: a single curve with group label ``"all"``).
    n : int
        Rows used.
    n_missing : int
        Rows left out for a missing value.
    times : tuple of float or None
        Default times of :meth:`survival_at` (the ``times`` argument of
        :func:`kaplan_meier`).
    """

    table: pd.DataFrame
    conf_level: float
    duration: str
    event: str
    group: str | None
    n: int
    n_missing: int
    times: tuple[float, ...] | None = None

    @property
    def groups(self) -> list:
        """Group labels in curve order."""
        return list(pd.unique(self.table["group"]))

    def _curves(self) -> Iterator[tuple[Hashable, pd.DataFrame]]:
        for label in self.groups:
            yield label, self.table[self.table["group"] == label]

    def survival_at(self, times: Sequence[float] | float | None = None) -> pd.DataFrame:
        """Survival (retention) at given times with intervals, as R's ``summary(fit, times)``.

        For each group and time t: ``n_risk`` = number still under
        observation at t (duration ≥ t), ``n_event`` and ``n_censor`` = events
        and censorings after the previous requested time up to t,
        ``survival`` = S(t) (the curve is a step function, right-continuous),
        ``se``, ``se_log``, ``ci_low``, ``ci_high`` as in :attr:`table`.
        Times are sorted; as with R's default ``extend = FALSE``, times after
        the last observed time of a group give no row for that group. Without
        ``times``, the times given to :func:`kaplan_meier` are used.

        Examples
        --------
        >>> df = pd.DataFrame({"years": [1, 2, 2, 3, 4, 5], "left": [1, 1, 0, 1, 0, 1]})
        >>> km = fit_kaplan_meier(df, duration="years", event="left")
        >>> km.survival_at([1.5, 3])[["time", "n_risk", "n_event", "n_censor"]]
           time  n_risk  n_event  n_censor
        0   1.5       5        1         0
        1   3.0       3        2         1
        """
        if times is None:
            if self.times is None:
                raise ValueError(
                    "no times given: pass times (e.g. [1, 2, 3, 5]) here or to fit_kaplan_meier()"
                )
            times = self.times
        requested = _check_times(times)
        rows = []
        for label, curve in self._curves():
            t = curve["time"].to_numpy()
            previous = -math.inf
            for when in requested:
                if when > t[-1]:
                    continue
                before = np.flatnonzero(t <= when)
                k = before[-1] if len(before) else None
                window = (t > previous) & (t <= when)
                n_risk = curve["n_risk"].to_numpy()[np.searchsorted(t, when, side="left")]
                row = {
                    "group": label,
                    "time": float(when),
                    "n_risk": int(n_risk),
                    "n_event": int(curve["n_event"].to_numpy()[window].sum()),
                    "n_censor": int(curve["n_censor"].to_numpy()[window].sum()),
                }
                if k is None:
                    row.update(survival=1.0, se=0.0, se_log=0.0, ci_low=1.0, ci_high=1.0)
                else:
                    record = curve.iloc[k]
                    row.update(
                        {c: float(record[c]) for c in ("survival", "se", "se_log")},
                        ci_low=float(record["ci_low"]),
                        ci_high=float(record["ci_high"]),
                    )
                rows.append(row)
                previous = when
        columns = ["group", "time", "n_risk", "n_event", "n_censor", "survival", "se", "se_log"]
        return pd.DataFrame(rows, columns=[*columns, "ci_low", "ci_high"])

    def quantile(self, probs: Sequence[float] | float = (0.25, 0.5, 0.75)) -> pd.DataFrame:
        r"""Quantiles of the survival time with intervals, as R's ``quantile(fit, probs)``.

        The p-quantile is the first time at which the curve reaches 1 − p,
        :math:`\min\{t : \hat S(t) \le 1 - p\}`; where the curve is flat at
        exactly 1 − p (within :data:`QUANTILE_TOLERANCE`) it is the midpoint of
        that flat stretch, and the limits are the same quantile of the lower
        and upper confidence curves (Brookmeyer & Crowley 1982). NaN where a
        curve never gets that low (e.g. the median when fewer than half left).

        Returns one row per group and probability: ``group``, ``prob``,
        ``time``, ``ci_low``, ``ci_high``.

        Examples
        --------
        >>> df = pd.DataFrame({"years": [1, 2, 2, 3, 4, 5], "left": [1, 1, 0, 1, 0, 1]})
        >>> km = fit_kaplan_meier(df, duration="years", event="left")
        >>> km.quantile([0.25, 0.5])[["prob", "time", "ci_low"]].to_dict("list")
        {'prob': [0.25, 0.5], 'time': [2.0, 3.0], 'ci_low': [1.0, 2.0]}
        """
        probs_ = np.atleast_1d(np.asarray(probs, dtype=float))
        if not ((probs_ >= 0) & (probs_ <= 1)).all():
            raise ValueError(f"probs must be between 0 and 1, got {probs!r}")
        rows = []
        for label, curve in self._curves():
            x = np.concatenate(([0.0], curve["time"].to_numpy()))
            ys = {
                name: np.concatenate(([0.0], 1 - curve[column].to_numpy()))
                for name, column in (("time", "survival"), ("low", "ci_low"), ("high", "ci_high"))
            }
            for p in probs_:
                rows.append(
                    {
                        "group": label,
                        "prob": float(p),
                        "time": _findq(x, ys["time"], p, QUANTILE_TOLERANCE),
                        "ci_low": _findq(x, ys["low"], p, QUANTILE_TOLERANCE),
                        "ci_high": _findq(x, ys["high"], p, QUANTILE_TOLERANCE),
                    }
                )
        return pd.DataFrame(rows, columns=["group", "prob", "time", "ci_low", "ci_high"])

    def median(self) -> pd.DataFrame:
        """Median survival time per group with its interval (R's ``print(fit)``).

        Columns ``group``, ``n``, ``n_events``, ``median``, ``ci_low``,
        ``ci_high`` (R's ``0.95LCL`` and ``0.95UCL``), computed as
        :meth:`quantile` at 0.5. (R's ``print`` uses a variant that differs
        only when a curve *ends* exactly at 0.5: it then gives that time, where
        ``quantile`` — and this method — give the midpoint to the last time.)

        Examples
        --------
        >>> df = pd.DataFrame({"years": [1, 2, 2, 3, 4, 5], "left": [1, 1, 0, 1, 0, 1]})
        >>> fit_kaplan_meier(df, duration="years", event="left").median()[["median", "ci_low"]]
           median  ci_low
        0     3.0     2.0
        """
        q = self.quantile([0.5]).rename(columns={"time": "median"}).drop(columns="prob")
        counts = self.table.groupby("group", sort=False).agg(
            n=("n_risk", "first"), n_events=("n_event", "sum")
        )
        q.insert(1, "n", counts["n"].to_numpy().astype(int))
        q.insert(2, "n_events", counts["n_events"].to_numpy().astype(int))
        return q

    def to_frame(self) -> pd.DataFrame:
        """One row per group: ``group``, ``n``, ``n_events``, ``median``, ``ci_low``,
        ``ci_high`` and ``conf_level`` (the curve itself is :attr:`table`).

        Examples
        --------
        >>> df = pd.DataFrame({"years": [1, 2, 2, 3, 4, 5], "left": [1, 1, 0, 1, 0, 1]})
        >>> fit_kaplan_meier(df, duration="years", event="left").to_frame().shape
        (1, 7)
        """
        return self.median().assign(conf_level=self.conf_level)


def _km_in_memory(
    data: pd.DataFrame, *, duration: str, event: str, by: str | None
) -> tuple[list, list[dict[str, np.ndarray]], int, int]:
    """Group labels, their curves (:func:`_km_curve`), rows used and left out."""
    columns = [duration, event] + ([by] if by is not None else [])
    _check_columns(data, columns)
    frame, n_missing = _complete_rows(data, columns)
    if len(frame) == 0:
        raise ValueError("no rows left after leaving out missing values; nothing to estimate")
    time = _durations(frame[duration], role="duration")
    status = _events(frame[event])
    labels = [ALL] if by is None else _group_levels(frame[by])
    if by is None:
        slices = [np.arange(len(frame))]
    else:  # rows of each group, in one pass (not one comparison of the column per group)
        found, uniques = pd.factorize(frame[by], use_na_sentinel=False)
        codes = pd.Index(labels).get_indexer(uniques)[found]
        # stable sort by group (a radix sort for 16-bit codes)
        order = np.argsort(codes.astype(np.int16) if len(labels) < 2**15 else codes, kind="stable")
        edges = np.searchsorted(codes[order], np.arange(len(labels) + 1))
        slices = np.split(order, edges[1:-1])
    curves = [_km_curve(time[rows], status[rows]) for rows in slices]
    return labels, curves, len(frame), n_missing


def _km_counted(
    rel: duckdb.DuckDBPyRelation, *, duration: str, event: str, by: str | None
) -> tuple[list, list[dict[str, np.ndarray]], int, int]:
    """As :func:`_km_in_memory`, from the rows per (group,) time and event that DuckDB
    counts over the relation (the same checks, on the distinct values)."""
    counts = retention_duckdb.survival_counts(rel, duration=duration, event=event, by=by)
    keys = ["time", "event"] + (["group"] if by is not None else [])
    complete = counts[keys].notna().all(axis=1).to_numpy()
    n_missing = int(counts.loc[~complete, "n"].sum())
    counts = counts[complete].reset_index(drop=True)
    if len(counts) == 0:
        raise ValueError("no rows left after leaving out missing values; nothing to estimate")
    rows = counts["n"].to_numpy(dtype=np.int64)
    time = _durations(counts["time"].rename(duration), role="duration", rows=rows)
    status = _events(counts["event"].rename(event))
    labels = [ALL] if by is None else _group_levels(counts["group"])
    codes = (
        np.zeros(len(counts), dtype=np.int64)
        if by is None
        else pd.Index(labels).get_indexer(counts["group"])
    )
    order = np.argsort(codes, kind="stable")
    edges = np.searchsorted(codes[order], np.arange(len(labels) + 1))
    curves = []
    for mine in np.split(order, edges[1:-1]):
        times, inverse = np.unique(time[mine], return_inverse=True)
        n_total = np.bincount(inverse, weights=rows[mine], minlength=len(times))
        n_event = np.bincount(inverse, weights=rows[mine] * status[mine], minlength=len(times))
        curves.append(_km_from_counts(times, n_total, n_event))
    return labels, curves, int(rows.sum()), n_missing


@renamed_arguments(level="conf_level")
def fit_kaplan_meier(
    data: Data,
    *,
    duration: str,
    event: str,
    by: str | None = None,
    times: Sequence[float] | None = None,
    conf_type: str = "log",
    conf_level: float = 0.95,
) -> KaplanMeier:
    r"""Kaplan–Meier retention curves with Greenwood standard errors, as R's ``survfit``.

    With :math:`n_j` people under observation just before the observed time
    :math:`t_j` and :math:`d_j` events at :math:`t_j`

    .. math::

        \hat S(t) = \prod_{t_j \le t} \Bigl(1 - \frac{d_j}{n_j}\Bigr), \qquad
        \widehat{\operatorname{se}}\bigl(-\log \hat S(t)\bigr) =
        \Bigl(\sum_{t_j \le t} \frac{d_j}{n_j (n_j - d_j)}\Bigr)^{1/2}

    (Greenwood's formula on the log scale: R's ``fit$std.err``, column
    ``se_log``). The standard error of :math:`\hat S` itself, R's
    ``summary(fit)$std.err``, is :math:`\hat S \cdot \text{se\_log}` (column
    ``se``). The interval is R's default ``conf.type = "log"``:
    :math:`\exp(\log \hat S \pm z \cdot \text{se\_log})`, the upper limit cut at 1.
    After a curve has dropped to 0 (the last person left with an event)
    ``se_log`` is infinite and ``se`` and the limits are NaN, as in R.

    Parameters
    ----------
    data : pandas.DataFrame, path or duckdb.DuckDBPyRelation
        One row per person. A Parquet file (``str`` or :class:`~pathlib.Path`; a
        directory: all its ``*.parquet`` files) or a DuckDB relation (e.g. from
        :func:`register_stays` on such a file) is not read into memory: DuckDB counts
        the rows per group, time and event status (:mod:`welcome_eval.survival.retention_duckdb`)
        and the curve is computed from the counts -- the same numbers as for a
        DataFrame, for extracts of any size. (Groups are then in the order of their
        sorted values: the categories of a categorical column are not kept in Parquet.)
    duration : str
        Column with the time under observation (≥ 0; e.g. years since arrival).
    event : str
        Column with 1 = event (e.g. moved away), 0 = censored (still there at
        the end of follow-up); bool is accepted.
    by : str, optional
        Column whose values define separate curves (order: categories of a
        categorical column, otherwise sorted values). A group without events
        gets a flat curve at 1 and a NaN median.
    times : sequence of float, optional
        Default times of :meth:`KaplanMeier.survival_at` (e.g. 1, 2, 3 and 5
        years); :attr:`KaplanMeier.table` always holds every observed time.
    conf_type : {"log", "log-log", "plain"}
        Interval type, as R's ``conf.type`` (default ``"log"``, R's default).
    conf_level : float
        Confidence level of the pointwise intervals.

    Returns
    -------
    KaplanMeier
        With :attr:`~KaplanMeier.table`, :meth:`~KaplanMeier.survival_at`,
        :meth:`~KaplanMeier.median`, :meth:`~KaplanMeier.quantile` and
        :meth:`~KaplanMeier.to_frame`.

    References
    ----------
    Kaplan, E. L. & Meier, P. (1958). *JASA* 53, 457–481. — Greenwood, M.
    (1926). The natural duration of cancer. *Reports on Public Health and
    Medical Subjects* 33. — Brookmeyer, R. & Crowley, J. (1982). A confidence
    interval for the median survival time. *Biometrics* 38, 29–41.

    Examples
    --------
    >>> df = pd.DataFrame({"years": [1, 2, 2, 3, 4, 5], "left": [1, 1, 0, 1, 0, 1]})
    >>> km = fit_kaplan_meier(df, duration="years", event="left")
    >>> km.table[["time", "n_risk", "n_event", "n_censor"]]
       time  n_risk  n_event  n_censor
    0   1.0       6        1         0
    1   2.0       5        1         1
    2   3.0       3        1         0
    3   4.0       2        0         1
    4   5.0       1        1         0
    >>> float(km.table["survival"].iloc[0])  # 5/6
    0.8333333333333334
    """
    _check_conf_level(conf_level)
    if conf_type not in ("log", "log-log", "plain"):
        raise ValueError(f"conf_type must be 'log', 'log-log' or 'plain', got {conf_type!r}")
    group = by
    if retention_duckdb.is_lazy(data):
        labels, curves, n_used, n_missing = _km_counted(
            retention_duckdb.relation(data), duration=duration, event=event, by=by
        )
    else:
        labels, curves, n_used, n_missing = _km_in_memory(
            _check_frame(data), duration=duration, event=event, by=by
        )
    parts = []
    for label, curve in zip(labels, curves, strict=True):
        low, high = _log_interval(curve["survival"], curve["se_log"], conf_level, conf_type)
        with np.errstate(invalid="ignore"):
            se = curve["survival"] * curve["se_log"]
        part = pd.DataFrame(
            {
                "group": [label] * len(curve["time"]),
                "time": curve["time"],
                "n_risk": curve["n_risk"].astype(int),
                "n_event": curve["n_event"].astype(int),
                "n_censor": curve["n_censor"].astype(int),
                "survival": curve["survival"],
                "se": se,
                "se_log": curve["se_log"],
                "ci_low": low,
                "ci_high": high,
            }
        )
        parts.append(part)
    table = pd.concat(parts, ignore_index=True)
    return KaplanMeier(
        table=table,
        conf_level=float(conf_level),
        duration=duration,
        event=event,
        group=group,
        n=n_used,
        n_missing=n_missing,
        times=None if times is None else tuple(_check_times(times).tolist()),
    )


@renamed_arguments(level="conf_level")
def kaplan_meier(
    data: Data,
    *,
    duration: str,
    event: str,
    by: str | None = None,
    times: Sequence[float] | None = None,
    conf_type: str = "log",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Kaplan–Meier estimates as a tidy table (formulas: :func:`fit_kaplan_meier`).

    Returns one row per observed time with ``time``, ``n_risk``, ``n_event``,
    ``n_censor``, ``survival``, ``se`` (of the survival), ``se_log`` (R's
    ``std.err``), ``ci_low``, ``ci_high``, and ``group`` first when ``by`` is
    given. With ``times``: one row per requested time and group, the step
    function evaluated there (as R's ``summary(fit, times = ...)``; NaN after a
    curve's last observation, where R prints nothing). ``data`` may be a DataFrame,
    a Parquet path or a DuckDB relation (counted in DuckDB: :func:`fit_kaplan_meier`).

    Examples
    --------
    >>> df = pd.DataFrame({"years": [1, 2, 2, 3, 4, 5], "left": [1, 1, 0, 1, 0, 1]})
    >>> kaplan_meier(df, duration="years", event="left", times=[2])[["time", "survival"]]
       time  survival
    0   2.0  0.666667
    """
    fit = fit_kaplan_meier(
        data, duration=duration, event=event, by=by, conf_type=conf_type, conf_level=conf_level
    )
    if times is None:
        table = fit.table
    else:
        requested = _check_times(times)
        found = fit.survival_at(requested)
        grid = pd.DataFrame(
            [(g, float(t)) for g in fit.groups for t in requested], columns=["group", "time"]
        )
        table = grid.merge(found, on=["group", "time"], how="left")
    return table.drop(columns="group") if by is None else table.reset_index(drop=True)


def median_stay(data: Data, *, duration: str, event: str, by: str | None = None) -> pd.DataFrame:
    """Median time to the event with its 95 % interval per group, as R's ``print(survfit)``.

    Columns ``n``, ``n_events``, ``median``, ``ci_low``, ``ci_high`` (NaN where
    the curve or its interval limit never reaches 0.5), with ``group`` first when
    ``by`` is given. Method: Brookmeyer & Crowley (1982) with R's log intervals.
    ``data`` as in :func:`fit_kaplan_meier` (also a Parquet path or DuckDB relation).

    Examples
    --------
    >>> df = pd.DataFrame({"years": [1, 2, 2, 3, 4, 5], "left": [1, 1, 0, 1, 0, 1]})
    >>> median_stay(df, duration="years", event="left")["median"].item()
    3.0
    """
    table = fit_kaplan_meier(data, duration=duration, event=event, by=by).to_frame()
    table = table.drop(columns="conf_level")
    return table.drop(columns="group") if by is None else table


@renamed_arguments(level="conf_level")
def retention_at(
    data: Data,
    *,
    duration: str,
    event: str,
    time: float,
    by: str | None = None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    r"""Retention at one time per group, with its interval: a tidy table for reports.

    The Kaplan–Meier estimate :math:`\hat S(t)` (:func:`fit_kaplan_meier`) at ``time``
    for each group, e.g. the share still in the region two years after the move-in per
    municipality, with the Greenwood standard error :math:`\hat S(t)\,\text{se\_log}(t)`
    and R's log interval :math:`\exp(\log \hat S(t) \pm z\,\text{se\_log}(t))` -- the
    values of R's ``summary(survfit(...), times = time)``. The column ``n`` (persons in
    the group) is the one to pass to disclosure control,
    ``privacy.protect(frame, counts="n")``.

    Parameters
    ----------
    data : pandas.DataFrame, path or duckdb.DuckDBPyRelation
        One row per person (a Parquet path or DuckDB relation is counted in DuckDB, as
        in :func:`fit_kaplan_meier`).
    duration, event : str
        Time under observation (≥ 0) and event (1 = event, 0 = censored) columns.
    time : float
        The time at which retention is read off (in the unit of ``duration``).
    by : str, optional
        Column defining the groups (e.g. the municipality key).
    conf_level : float
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per group (``group`` first when ``by`` is given): ``time``, ``n``
        (persons in the group, complete rows), ``n_risk`` (still under observation at
        ``time``: duration ≥ time), ``n_event`` (events up to ``time``), ``survival``,
        ``se`` (of the survival), ``ci_low``, ``ci_high``. Where a group's last
        observation is before ``time`` the curve is not defined there: ``n_risk`` = 0
        and ``survival``, ``se`` and the limits are NaN (R prints no row).

    References
    ----------
    Kaplan, E. L. & Meier, P. (1958). *JASA* 53, 457–481. — Therneau, T. M. &
    Grambsch, P. M. (2000). *Modeling Survival Data*. Springer, ch. 2.

    Examples
    --------
    >>> df = pd.DataFrame({"years": [1, 2, 2, 3, 4, 5, 1, 3],
    ...                    "left": [1, 1, 0, 1, 0, 1, 0, 1],
    ...                    "ags": ["A"] * 6 + ["B"] * 2})
    >>> retention_at(df, duration="years", event="left", time=2, by="ags")[
    ...     ["group", "n", "n_risk", "n_event", "survival"]]
      group  n  n_risk  n_event  survival
    0     A  6       5        2  0.666667
    1     B  2       1        0  1.000000
    """
    if isinstance(time, bool) or not isinstance(time, int | float | np.integer | np.floating):
        raise TypeError(f"time must be one number (e.g. 2 for two years), got {time!r}")
    if not (math.isfinite(float(time)) and float(time) >= 0):
        raise ValueError(f"time must be a finite number >= 0, got {time!r}")
    fit = fit_kaplan_meier(data, duration=duration, event=event, by=by, conf_level=conf_level)
    at = fit.survival_at([float(time)]).set_index("group")
    table = fit.table
    per_group = table.groupby("group", sort=False).agg(
        n=("n_risk", "first"), events=("n_event", "sum")
    )
    rows = []
    for label in fit.groups:
        found = label in at.index
        record = at.loc[label] if found else None
        n_event = int(
            table.loc[(table["group"] == label) & (table["time"] <= time), "n_event"].sum()
        )
        rows.append(
            {
                "group": label,
                "time": float(time),
                "n": int(per_group.loc[label, "n"]),
                "n_risk": int(record["n_risk"]) if found else 0,
                "n_event": n_event,
                "survival": float(record["survival"]) if found else math.nan,
                "se": float(record["se"]) if found else math.nan,
                "ci_low": float(record["ci_low"]) if found else math.nan,
                "ci_high": float(record["ci_high"]) if found else math.nan,
            }
        )
    result = pd.DataFrame(rows)
    return result.drop(columns="group") if by is None else result


# ---------------------------------------------------------------------------
# register extracts: stays from the dates


def _extract_timestamp(value: object) -> pd.Timestamp:
    if value is None:
        raise ValueError("extract_date is required (the manifest's fieldwork end, the Stichtag)")
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"extract_date must be a date, got {value!r}") from error
    if pd.isna(stamp):
        raise ValueError(f"extract_date must be a date, got {value!r}")
    return stamp.normalize()


def _register_rules(
    extract: pd.Timestamp, move_in: str, move_out: str, destination: str
) -> dict[str, str]:
    """The rules on the register dates (keys as in ``retention_duckdb.register_checks``)."""
    return {
        "no_move_in": f"have no move-in date (column {move_in!r} empty)",
        "after_extract": (
            f"have a move-in or move-out date ({move_in!r}, {move_out!r}) after the extract "
            f"date {extract:%d.%m.%Y}; pass the extract's own date (manifest fieldwork end)"
        ),
        "out_before_in": f"have a move-out date ({move_out!r}) before the move-in date",
        "unpaired": (
            f"have a move-out date without destination or a destination without move-out "
            f"date: {destination!r} and {move_out!r} must come together"
        ),
        "unknown_destination": (
            f"have a destination code ({destination!r}) other than 1-5 (codebook: "
            "1 Südwestfalen, 2 NRW, 3 Deutschland, 4 Ausland, 5 verstorben)"
        ),
    }


def _raise_register_problems(
    counts: Mapping[str, int], rules: Mapping[str, str], first_rows: Mapping[str, list]
) -> None:
    problems = []
    for key, rule in rules.items():
        if counts.get(key, 0):
            rows = first_rows.get(key)
            where = f" (first rows: {', '.join(map(str, rows))})" if rows else ""
            problems.append(f"{counts[key]} row(s) {rule}{where}")
    if problems:
        raise ValueError(
            "register: "
            + "; ".join(problems)
            + ". Validate the extract first (welcome_eval.read_wave quarantines such rows)"
        )


def _register_dates(
    data: pd.DataFrame,
    extract: pd.Timestamp,
    *,
    move_in: str = "einzug",
    move_out: str = "auszug",
    destination: str = "wegzug_ziel",
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Move-in (date), end of stay (move-out or extract date) and destination code (float,
    NaN while registered), after the checks of :func:`register_stays`."""
    _check_columns(data, [move_in, move_out, destination])
    start = pd.to_datetime(data[move_in]).dt.normalize()
    end = pd.to_datetime(data[move_out]).dt.normalize()
    code = pd.to_numeric(data[destination], errors="coerce").astype(float)
    masks = {
        "no_move_in": start.isna(),
        "after_extract": (start > extract) | (end > extract),
        "out_before_in": end < start,
        "unpaired": code.notna() != end.notna(),
        "unknown_destination": code.notna() & ~code.isin([1, 2, 3, 4, 5]),
    }
    counts = {key: int(mask.sum()) for key, mask in masks.items()}
    first_rows = {key: list(data.index[mask.to_numpy()][:5]) for key, mask in masks.items()}
    _raise_register_problems(
        counts, _register_rules(extract, move_in, move_out, destination), first_rows
    )
    return start, end.fillna(extract), code


def register_stays(
    data: Data,
    *,
    extract_date: dt.date | str | pd.Timestamp,
    move_in: str = "einzug",
    move_out: str = "auszug",
    destination: str = "wegzug_ziel",
) -> pd.DataFrame | duckdb.DuckDBPyRelation:
    """Durations and ends of the stays of a register extract, from its dates.

    Each row is a stay from the move-in to the move-out, or to the extract date
    (Stichtag) while the person is still registered (censored). Added columns:

    * ``days``: whole days from the move-in to the end of the stay (dates; a time of
      day is ignored),
    * ``years``: ``days / 365.25`` (:data:`DAYS_PER_YEAR`), the duration the reports use,
    * ``left_region``: 1 if the stay ended with a move out of Südwestfalen
      (destinations :data:`LEAVES_REGION`), else 0 -- a move to another municipality
      of the region, death and the extract date censor,
    * ``left_municipality``: 1 if it ended with any move (destinations 1-4), else 0,
    * ``end_type``: 0 still registered, 1 moved within the region, 2 left the region,
      3 died (:data:`END_TYPES`; the causes of :func:`cumulative_incidence`).

    The rows must follow the register's rules (as :func:`welcome_eval.read_wave`
    enforces): a move-in date, no date after the extract date, move-out not before
    move-in, a destination exactly when there is a move-out date, destinations 1-5;
    otherwise ValueError names the rule, the number of rows and the first row labels.

    For a Parquet path or a DuckDB relation the result is a DuckDB relation computing
    the same columns in SQL (same rules, same numbers: the days are integers and the
    division the same IEEE operation), to pass on to :func:`kaplan_meier`,
    :func:`retention_at` or :func:`median_stay` without reading the extract into memory;
    the checks run as one aggregate query.

    Parameters
    ----------
    data : pandas.DataFrame, path or duckdb.DuckDBPyRelation
        The register extract (one row per person and stay).
    extract_date : date
        The extract date (manifest ``fieldwork.end``); censors everyone still registered.
    move_in, move_out, destination : str
        Columns of the move-in date, move-out date (empty while registered) and
        destination code (``wegzug_ziel``).

    Returns
    -------
    pandas.DataFrame or duckdb.DuckDBPyRelation
        A copy of ``data`` with the five columns (replacing columns of those names).

    Examples
    --------
    >>> reg = pd.DataFrame({
    ...     "einzug": pd.to_datetime(["2015-03-01", "2016-06-01", "2020-01-01"]),
    ...     "auszug": pd.to_datetime(["2016-03-01", None, "2021-01-01"]),
    ...     "wegzug_ziel": [2, None, 1]})
    >>> register_stays(reg, extract_date="2021-12-31")[
    ...     ["days", "years", "left_region", "left_municipality", "end_type"]]
       days     years  left_region  left_municipality  end_type
    0   366  1.002053            1                  1         2
    1  2039  5.582478            0                  0         0
    2   366  1.002053            0                  1         1
    """
    extract = _extract_timestamp(extract_date)
    if retention_duckdb.is_lazy(data):
        rel = retention_duckdb.relation(data)
        counts = retention_duckdb.register_checks(
            rel, extract_date=extract, move_in=move_in, move_out=move_out, destination=destination
        )
        _raise_register_problems(
            counts, _register_rules(extract, move_in, move_out, destination), {}
        )
        return retention_duckdb.register_stays(
            rel,
            extract_date=extract,
            move_in=move_in,
            move_out=move_out,
            destination=destination,
            leaves_region=LEAVES_REGION,
            within_region=WITHIN_REGION,
            death=DEATH,
            days_per_year=DAYS_PER_YEAR,
            outputs=STAY_COLUMNS,
        )
    data = _check_frame(data)
    start, end, code = _register_dates(
        data, extract, move_in=move_in, move_out=move_out, destination=destination
    )
    days = (end - start).dt.days.to_numpy(dtype=np.int64)
    leaves = code.isin(LEAVES_REGION).to_numpy()
    end_type = np.select(
        [code.isna().to_numpy(), (code == WITHIN_REGION).to_numpy(), leaves],
        [0, 1, 2],
        default=3,
    ).astype(np.int64)
    out = data.copy()
    out["days"] = days
    out["years"] = days / DAYS_PER_YEAR
    out["left_region"] = leaves.astype(np.int64)
    out["left_municipality"] = (code.notna() & (code != DEATH)).to_numpy().astype(np.int64)
    out["end_type"] = end_type
    return out


# ---------------------------------------------------------------------------
# log-rank test


@dataclass(frozen=True, eq=False)
class LogRank:
    """Result of :func:`logrank`, as R's ``survdiff``.

    Attributes
    ----------
    chi2 : float
        Log-rank chi-square statistic.
    df : int
        Degrees of freedom: groups with expected events > 0, minus 1.
    p_value : float
        Upper tail of the chi-square distribution.
    table : pandas.DataFrame
        One row per group: ``group``, ``n``, ``observed``, ``expected``,
        ``(O-E)^2/E`` and ``(O-E)^2/V`` (V = the group's diagonal element of
        :attr:`variance`), the columns of R's ``print(survdiff(...))``.
    variance : pandas.DataFrame
        Variance matrix of O − E (R's ``fit$var``), rows and columns by group.
    strata : list of str
        Stratification columns (empty if none).
    n : int
        Rows used.
    n_missing : int
        Rows left out for a missing value.
    """

    chi2: float
    df: int
    p_value: float
    table: pd.DataFrame
    variance: pd.DataFrame
    strata: list[str]
    n: int
    n_missing: int

    @property
    def statistic(self) -> float:
        """The chi-square statistic (same as :attr:`chi2`)."""
        return self.chi2

    def to_frame(self) -> pd.DataFrame:
        """The test as a one-row frame: ``chi2``, ``df``, ``p_value``, ``n``, ``n_events``,
        ``strata`` (the per-group table is :attr:`table`).

        Examples
        --------
        >>> df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 1, 1, 0, 1],
        ...                    "g": ["a", "b", "a", "b", "a", "b"]})
        >>> list(logrank(df, duration="t", event="e", group="g").to_frame().columns)
        ['chi2', 'df', 'p_value', 'n', 'n_events', 'strata']
        """
        return pd.DataFrame(
            [
                {
                    "chi2": self.chi2,
                    "df": self.df,
                    "p_value": self.p_value,
                    "n": self.n,
                    "n_events": int(self.table["observed"].sum()),
                    "strata": ", ".join(self.strata),
                }
            ]
        )


def logrank(
    data: pd.DataFrame,
    *,
    duration: str,
    event: str,
    group: str,
    strata: str | Sequence[str] | None = None,
) -> LogRank:
    r"""Log-rank test of equal survival in the groups, as R's ``survdiff`` (rho = 0).

    At each event time *t* (within stratum *s*) with :math:`Y` people at risk,
    :math:`Y_g` of them in group *g*, and :math:`d` events

    .. math::

        E_g = \sum_{s,t} d \frac{Y_g}{Y}, \qquad
        V_{gh} = \sum_{s,t} \frac{d (Y - d)}{Y^2 (Y - 1)} Y_g (Y \delta_{gh} - Y_h),
        \qquad \chi^2 = (O - E)^\top V^{-} (O - E)

    where :math:`O_g` counts the events of group *g* and the generalised
    inverse drops the first group (and groups with :math:`E_g = 0`); df =
    groups with :math:`E_g > 0` − 1. With ``strata`` the sums run within the
    strata (R's ``survdiff(Surv(t, e) ~ g + strata(s))``). A group without
    events stays in the test with :math:`O_g = 0`.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person.
    duration, event : str
        Time column (≥ 0) and event column (1 = event, 0 = censored).
    group : str
        Column with the groups to compare (at least two).
    strata : str or sequence of str, optional
        Columns whose combinations define strata.

    Returns
    -------
    LogRank

    References
    ----------
    Mantel, N. (1966). Evaluation of survival data and two new rank order
    statistics arising in its consideration. *Cancer Chemotherapy Reports* 50,
    163–170. — Peto, R. & Peto, J. (1972). Asymptotically efficient rank
    invariant test procedures. *JRSS A* 135, 185–207.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 1, 1, 0, 1],
    ...                    "g": ["a", "b", "a", "b", "a", "b"]})
    >>> lr = logrank(df, duration="t", event="e", group="g")
    >>> lr.table[["group", "observed"]].to_dict("list")
    {'group': ['a', 'b'], 'observed': [2, 3]}
    >>> round(lr.chi2, 6), lr.df
    (0.073903, 1)
    """
    data = _check_frame(data)
    strata_ = _as_names(strata, role="strata")
    columns = [duration, event, group, *strata_]
    _check_columns(data, columns)
    frame, n_missing = _complete_rows(data, columns)
    time = _durations(frame[duration], role="duration")
    status = _events(frame[event])
    labels = _group_levels(frame[group])
    if len(labels) < 2:
        raise ValueError(
            f"group column {group!r} has {len(labels)} group(s) after leaving out missing "
            "values; the log-rank test compares at least two"
        )
    gcode = pd.Categorical(frame[group], categories=labels).codes
    scode = _strata_codes(frame, strata_)
    k = len(labels)
    observed = np.zeros(k)
    expected = np.zeros(k)
    variance = np.zeros((k, k))
    for s in np.unique(scode):
        ins = scode == s
        t_s, e_s, g_s = time[ins], status[ins], gcode[ins]
        event_times = np.unique(t_s[e_s == 1])
        if len(event_times) == 0:
            continue
        # at risk (time >= t) and events at t, per group: k x m
        at_risk = np.empty((k, len(event_times)))
        deaths = np.empty((k, len(event_times)))
        for g in range(k):
            tg = np.sort(t_s[g_s == g])
            at_risk[g] = len(tg) - np.searchsorted(tg, event_times, side="left")
            dg = np.sort(t_s[(g_s == g) & (e_s == 1)])
            deaths[g] = np.searchsorted(dg, event_times, "right") - np.searchsorted(
                dg, event_times, "left"
            )
        y = at_risk.sum(axis=0)
        d = deaths.sum(axis=0)
        observed += deaths.sum(axis=1)
        expected += (at_risk * (d / y)).sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            c = np.where(y > 1, d * (y - d) / (y**2 * (y - 1)), 0.0)
        variance += np.diag((at_risk * (c * y)).sum(axis=1)) - (at_risk * c) @ at_risk.T
    use = expected > 0
    df = int(use.sum()) - 1
    if df < 1:
        chi2 = 0.0
    else:
        idx = np.flatnonzero(use)[1:]
        diff = (observed - expected)[idx]
        chi2 = float(diff @ np.linalg.solve(variance[np.ix_(idx, idx)], diff))
    p_value = float(_sps.chi2.sf(chi2, df)) if df >= 1 else math.nan
    n_per_group = np.bincount(gcode, minlength=k)
    with np.errstate(divide="ignore", invalid="ignore"):
        table = pd.DataFrame(
            {
                "group": labels,
                "n": n_per_group.astype(int),
                "observed": observed.astype(int),
                "expected": expected,
                "(O-E)^2/E": (observed - expected) ** 2 / expected,
                "(O-E)^2/V": (observed - expected) ** 2 / np.diag(variance),
            }
        )
    return LogRank(
        chi2=chi2,
        df=df,
        p_value=p_value,
        table=table,
        variance=pd.DataFrame(variance, index=labels, columns=labels),
        strata=strata_,
        n=len(frame),
        n_missing=n_missing,
    )


# ---------------------------------------------------------------------------
# Cox model: design matrix and risk sets


def _column_rank(x: np.ndarray) -> int:
    """``np.linalg.matrix_rank(x)``, skipping the slow SVD of a tall x that is clearly of
    full column rank: the eigenvalues of xᵀx (accurate to ~p·eps·λmax) are the squared
    singular values, so λmin > 1e-6 λmax means smin > 1e-3 smax, far above matrix_rank's
    threshold smax·max(n, p)·eps."""
    if x.shape[0] > x.shape[1] > 0 and max(x.shape) * np.finfo(float).eps < 1e-6:
        eig = np.linalg.eigvalsh(x.T @ x)
        if np.isfinite(eig).all() and eig[0] > 1e-6 * eig[-1] > 0:
            return x.shape[1]
    return int(np.linalg.matrix_rank(x))


def _design(
    frame: pd.DataFrame, covariates: Sequence[str], order: np.ndarray | None = None
) -> tuple[np.ndarray, list, dict]:
    """Model matrix with R's treatment coding: names, and the columns of each covariate.

    With ``order`` the rows are taken in that order. The matrix is in Fortran order
    (columns contiguous), as the model code wants it: filled column by column, which is
    several times faster than stacking and then reordering the rows.
    """
    blocks, names, terms = [], [], {}
    for covariate in covariates:
        values = frame[covariate]
        categorical = (
            isinstance(values.dtype, pd.CategoricalDtype)
            or pd.api.types.is_bool_dtype(values)
            or not pd.api.types.is_numeric_dtype(values)
        )
        start = len(names)
        if categorical:
            levels = _group_levels(values)
            if len(levels) < 2:
                raise ValueError(
                    f"covariate {covariate!r} has a single level ({levels[0]!r}) in the rows "
                    "used; drop it or check the data"
                )
            for level in levels[1:]:
                blocks.append((values == level).to_numpy(dtype=float))
                names.append(f"{covariate}{level}")
        else:
            blocks.append(values.to_numpy(dtype=float))
            names.append(covariate)
        terms[covariate] = list(range(start, len(names)))
    x = np.empty((len(frame), len(blocks)), order="F")
    for j, column in enumerate(blocks):
        if order is None:
            x[:, j] = column
        else:
            np.take(column, order, out=x[:, j])
    if not np.isfinite(x).all():
        raise ValueError("covariates contain infinite values")
    return x, names, terms


def _event_order(stop: np.ndarray, status: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """Row order by stratum, time and event (censored first): ``np.lexsort((status, stop,
    strata))``, faster without strata. With at most 32,768 distinct times (register data
    in days: under 6,000 in 16 years) the times are coded by a hash table and ranked, and
    2 · rank + event is sorted as 16-bit integers by numpy's stable radix sort -- the
    same order as lexsort, 3-4 times faster. With more distinct times: one argsort of a
    64-bit key, the bits of the float (>= 0, so they sort as the float) shifted left by
    one with the event in the lowest bit (rows that agree in time and event may then
    come in another order than lexsort's; the results differ only by rounding)."""
    if len(stop) == 0 or strata.max() != strata.min():
        return np.lexsort((status, stop, strata))
    codes, uniques = pd.factorize(stop)
    if 2 * len(uniques) <= 2**16:
        rank = np.empty(len(uniques), dtype=np.int64)
        rank[np.argsort(uniques)] = np.arange(len(uniques))
        key = (rank[codes] * 2 + status).astype(np.uint16)
        return np.argsort(key, kind="stable")
    bits = np.add(stop, 0.0).view(np.uint64)  # + 0.0 turns -0.0 into +0.0
    return np.argsort(np.left_shift(bits, np.uint64(1)) | status.astype(np.uint64))


@dataclass(frozen=True, eq=False)
class _CoxData:
    """Rows of a Cox model, with the risk sets R uses: at risk at t if start < t <= stop."""

    start: np.ndarray
    stop: np.ndarray
    event: np.ndarray
    x: np.ndarray
    strata: np.ndarray
    cluster: np.ndarray | None

    def event_times(self) -> Iterator[tuple[float, np.ndarray, np.ndarray]]:
        """(t, rows at risk, rows with an event at t) for each event time within each stratum.

        A slow reference (one pass over the rows per event time); the model code uses the
        vectorised :attr:`index`.
        """
        for s in np.unique(self.strata):
            rows = np.flatnonzero(self.strata == s)
            start, stop, event = self.start[rows], self.stop[rows], self.event[rows]
            for t in np.unique(stop[event == 1]):
                risk = (start < t) & (stop >= t)
                dead = (stop == t) & (event == 1)
                yield float(t), rows[risk], rows[dead]

    @functools.cached_property
    def index(self) -> _RiskIndex:
        """The risk sets as index ranges (built once per model)."""
        return _RiskIndex.build(self)

    @functools.cached_property
    def xc(self) -> np.ndarray:
        """x centred at its column means (risk-set moments do not depend on the centring)."""
        # in Fortran order (columns contiguous), as bincount and the products want them
        return np.subtract(self.x, self.x.mean(axis=0), out=np.empty(self.x.shape, order="F"))

    @functools.cached_property
    def workspace(self) -> np.ndarray:
        """Scratch (n + 1) x (p + 1) array (Fortran order; last row 0), reused: fresh memory
        is slow."""
        work = np.empty((self.x.shape[0] + 1, self.x.shape[1] + 1), order="F")
        work[-1] = 0.0
        return work

    @functools.cached_property
    def steps_cache(self) -> dict:
        """:func:`_steps` by (β, ties): β = 0 and β̂ are each used several times."""
        return {}

    @functools.cached_property
    def information_cache(self) -> dict:
        """:func:`_information` by (β, ties): at β = 0 for the rank check and the first
        Newton step, at β̂ for the last step and the variance."""
        return {}


def _grouped(
    where: np.ndarray, weights: np.ndarray, size: int, rows: np.ndarray | None = None
) -> np.ndarray:
    """Sums of the rows of ``weights`` (n x k; or of ``weights[rows]``) by group ``where``
    (0 … size - 1). Column by column: fastest for a Fortran-ordered ``weights``."""
    out = np.empty((size, weights.shape[1]))
    for j in range(weights.shape[1]):
        column = weights[:, j] if rows is None else weights[:, j][rows]
        out[:, j] = np.bincount(where, weights=column, minlength=size)
    return out


@dataclass(frozen=True, eq=False)
class _RiskIndex:
    """The event times of all strata in one array (stratum by stratum, times ascending).

    Row i is at risk at the event times ``lo[i] <= e < hi[i]`` (those of its stratum in
    (start, stop]); a row with an event has it at ``hi[i] - 1``. Sums over risk sets are
    cumulative sums along the event times, restarting in each stratum, as in R's
    ``coxfit6``/``agfit4``.
    """

    n_times: int
    bounds: np.ndarray  # first event time of each stratum, and n_times at the end
    first: np.ndarray  # first event time of each row's stratum
    lo: np.ndarray
    hi: np.ndarray
    dead: np.ndarray  # rows with an event
    dead_at: np.ndarray  # their event times
    n_dead: np.ndarray  # events at each event time
    has_entry: bool

    @staticmethod
    def build(data: _CoxData) -> _RiskIndex:
        strata = np.asarray(data.strata, dtype=np.int64)
        died = data.event == 1
        n = len(data.stop)
        has_entry = bool(np.isfinite(data.start).any())
        times = np.concatenate((data.stop, data.start)) if has_entry else data.stop
        if not has_entry and n and (times[1:] >= times[:-1]).all():
            # sorted (one stratum, as cox() orders the rows): codes without another sort
            new = np.empty(n, dtype=bool)
            new[0] = True
            np.not_equal(times[1:], times[:-1], out=new[1:])
            values, codes = times[new], np.cumsum(new) - 1
        else:
            values, codes = np.unique(times, return_inverse=True)
        codes = codes.astype(np.int64)
        width = len(values) + 1
        n_strata = int(strata.max()) + 1
        stop_keys = strata * width + codes[:n]
        start_keys = strata * width + codes[n:] if has_entry else None
        if n_strata * width <= max(4 * n, 10**7):
            # a table of all (stratum, time) keys: number of event keys <= each key
            present = np.zeros(n_strata * width, dtype=bool)
            present[stop_keys[died]] = True
            below = np.cumsum(present)
            keys = np.flatnonzero(present)
            bounds = np.concatenate(([0], below[np.arange(1, n_strata + 1) * width - 1]))
            hi = below[stop_keys]
            lo = below[start_keys] if has_entry else bounds[strata]
        else:
            keys = np.unique(stop_keys[died])
            bounds = np.searchsorted(keys, np.arange(n_strata + 1) * width, side="left")
            hi = np.searchsorted(keys, stop_keys, side="right")
            lo = np.searchsorted(keys, start_keys, side="right") if has_entry else bounds[strata]
        first = bounds[strata]
        dead = np.flatnonzero(died)
        dead_at = hi[dead] - 1
        return _RiskIndex(
            n_times=len(keys),
            bounds=bounds,
            first=first,
            lo=lo,
            hi=hi,
            dead=dead,
            dead_at=dead_at,
            n_dead=np.bincount(dead_at, minlength=len(keys)).astype(float),
            has_entry=has_entry,
        )

    def _cumulate(self, values: np.ndarray, *, reverse: bool) -> np.ndarray:
        """Cumulative sums (n_times x k) along the event times within each stratum."""
        out = np.empty_like(values)
        for a, b in zip(self.bounds[:-1], self.bounds[1:], strict=True):
            if b > a:
                if reverse:
                    out[a:b] = np.cumsum(values[a:b][::-1], axis=0)[::-1]
                else:
                    out[a:b] = np.cumsum(values[a:b], axis=0)
        return out

    @functools.cached_property
    def _entering(self) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None, np.ndarray]:
        """Rows at risk at some event time, their last event time; rows entering late, the
        event time before their first (None: all rows)."""
        used = self.hi > self.lo
        rows = None if used.all() else np.flatnonzero(used)
        last = self.hi - 1 if rows is None else self.hi[rows] - 1
        late = np.flatnonzero(used & (self.lo > self.first))
        return rows, last, late, self.lo[late] - 1

    @functools.cached_property
    def segments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """For rows sorted by time and event -- as :func:`cox` passes them -- without late
        entry and all at risk at some event time: each event time's rows are a run of
        censored rows, its events, and censored rows up to the next event time. Returns
        the first row of each of the three runs (for ``np.add.reduceat`` on n + 1 rows,
        the last one zero) and whether the first and the third run are empty; None when
        the rows are not so ordered."""
        rows, last, _, _ = self._entering
        n_dead = self.n_dead.astype(np.int64)
        if self.has_entry or rows is not None or self.n_times == 0:
            return None
        if (np.diff(last) < 0).any():
            return None
        offsets = np.cumsum(n_dead) - n_dead
        dead_start = self.dead[offsets]
        if (
            self.dead - dead_start[self.dead_at]
            != np.arange(len(self.dead)) - offsets[self.dead_at]
        ).any():
            return None  # the events of an event time are not consecutive rows
        first = np.searchsorted(last, np.arange(self.n_times), side="left")
        dead_end = dead_start + n_dead
        following = np.append(first[1:], len(last))
        starts = np.column_stack((first, dead_start, dead_end)).ravel()
        return starts, first == dead_start, dead_end == following

    def risk_sums(self, weights: np.ndarray) -> np.ndarray:
        """Sums of the rows of ``weights`` (n x k) over the risk set of each event time."""
        rows, last, late, before = self._entering
        total = self._cumulate(_grouped(last, weights, self.n_times, rows), reverse=True)
        if self.has_entry and len(late):
            total -= self._cumulate(_grouped(before, weights, self.n_times, late), reverse=True)
        return total

    @functools.cached_property
    def efron(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Efron's sub-steps: event time, weight (1) and downweight k / d of each."""
        d = self.n_dead
        counts = d.astype(np.int64)
        at = np.repeat(np.arange(self.n_times), counts)
        k = np.arange(len(at)) - np.repeat(np.cumsum(counts) - counts, counts)
        return at, np.ones(len(at)), k / d[at]

    def window_sums(self, per_time: np.ndarray) -> np.ndarray:
        """For each row, the sum of ``per_time`` (n_times x k) over its risk window."""
        cum = self._cumulate(per_time, reverse=False)
        if not self.has_entry and self._entering[0] is None:  # all at risk from the start
            return cum[self.hi - 1]
        used = self.hi > self.lo
        out = np.zeros((len(self.hi), per_time.shape[1]))
        out[used] = cum[self.hi[used] - 1]
        if self.has_entry:
            late = used & (self.lo > self.first)
            out[late] -= cum[self.lo[late] - 1]
        return out


@dataclass(frozen=True, eq=False)
class _Steps:
    """The (Efron) sub-steps of all event times at β: R's ``coxfit6``/``agfit4`` sums.

    At event time e with risk-set sums R (of r) and A (of r x) and event sums D, A₂,
    Efron's k-th sub-step (downweight f = k/d) has denominator R - f D and mean
    (A - f A₂) / (R - f D) = μ + B / (R - f D) with μ = A₂ / D (the events' mean) and
    B = A - R μ, so sums over the sub-steps reduce to per-event-time sums of
    w / den, w f / den, w / den² and w f / den² (w: 1, or d for Breslow's single step).
    """

    r: np.ndarray  # exp(x β - shift)
    shift: float  # max of x β
    dead_eta: float  # sum of x β over the rows with an event
    xc: np.ndarray  # x centred (the moments below do not depend on the centring)
    at: np.ndarray  # event time of each step
    weight: np.ndarray  # 1 (Efron), or d (Breslow / single event)
    denom: np.ndarray  # sum of r over the (downweighted) risk set of each step
    mu: np.ndarray  # event times x p
    b: np.ndarray  # event times x p
    s1: np.ndarray  # Σ w / den per event time
    s2: np.ndarray  # Σ w f / den
    q1: np.ndarray  # Σ w / den²
    q2: np.ndarray  # Σ w f / den²

    def mean_sums(self, g: np.ndarray) -> np.ndarray:
        """Σ over steps of g(t) · w · mean (a p-vector)."""
        return (g * self.s1) @ self.b + (g * self.weight_sums) @ self.mu

    @functools.cached_property
    def weight_sums(self) -> np.ndarray:
        return np.bincount(self.at, weights=self.weight, minlength=len(self.s1))


def _linear_predictor(
    x: np.ndarray, beta: np.ndarray, means: np.ndarray | None = None
) -> np.ndarray:
    """x β − Σ β·mean, as R's ``coxph.fit`` forms ``linear.predictors``, bit-identical on
    every machine.

    ``x @ beta`` goes through the BLAS, whose kernels (chosen per processor, per
    block of rows) may round two identical rows differently; the concordance then
    counts a tie as a concordant pair (issue 11). Here each row is summed over the
    columns in a fixed order with element-wise IEEE operations (as the reference
    BLAS loop R's ``x %*% coef`` calls), so identical covariate rows give identical
    predictors on any processor, SIMD width or thread count. The centring constant
    is summed exactly (``math.fsum``).
    """
    x = np.asarray(x, dtype=float)
    beta = np.asarray(beta, dtype=float)
    lp = np.zeros(x.shape[0])
    term = np.empty(x.shape[0])
    for j in range(x.shape[1]):
        np.multiply(x[:, j], beta[j], out=term)
        np.add(lp, term, out=lp)
    if means is not None:
        lp -= math.fsum(float(b) * float(m) for b, m in zip(beta, means, strict=True))
    return lp


def _steps(data: _CoxData, beta: np.ndarray, ties: str) -> _Steps:
    key = (np.asarray(beta, dtype=float).tobytes(), ties)
    cache = data.steps_cache
    if key not in cache:
        if len(cache) >= 4:
            cache.pop(next(iter(cache)))
        cache[key] = _compute_steps(data, beta, ties)
    return cache[key]


def _compute_steps(data: _CoxData, beta: np.ndarray, ties: str) -> _Steps:
    index = data.index
    n_times = index.n_times
    eta = _linear_predictor(data.x, beta)
    dead_eta = float(eta[index.dead].sum())
    shift = float(eta.max())
    r = np.exp(np.subtract(eta, shift, out=eta), out=eta)  # in place: fresh memory is slow
    xc = data.xc
    rx = data.workspace[:-1]
    rx[:, 0] = r
    np.multiply(xc, r[:, None], out=rx[:, 1:])
    segments = index.segments
    if segments is not None:  # rows sorted by event time: sums over contiguous runs
        starts, none_before, none_after = segments
        sums = np.add.reduceat(data.workspace, starts, axis=0)  # its last row is 0
        dead_sums = sums[1::3]
        before = np.where(none_before[:, None], 0.0, sums[0::3])
        after = np.where(none_after[:, None], 0.0, sums[2::3])
        risk = index._cumulate(before + dead_sums + after, reverse=True)
    else:
        risk = index.risk_sums(rx)
        dead_sums = _grouped(index.dead_at, rx, n_times, index.dead)
    d0 = dead_sums[:, 0]
    # mean of the events (0 if all their r underflow: then A₂ = 0 too and any μ works)
    mu = np.divide(
        dead_sums[:, 1:], d0[:, None], out=np.zeros_like(dead_sums[:, 1:]), where=d0[:, None] > 0
    )
    b = risk[:, 1:] - risk[:, :1] * mu
    if ties == "breslow":
        at, weight, f = np.arange(n_times), index.n_dead, np.zeros(n_times)
        denom = risk[:, 0]
    else:
        at, weight, f = index.efron
        counts = index.n_dead.astype(np.int64)  # the steps are in order of event time
        denom = np.repeat(risk[:, 0], counts) - f * np.repeat(d0, counts)
    per_step = np.empty((len(denom), 4), order="F")
    w_den = np.divide(weight, denom, out=per_step[:, 0])
    np.divide(w_den, denom, out=per_step[:, 2])  # w / den²
    np.multiply(w_den, f, out=per_step[:, 1])
    np.multiply(per_step[:, 2], f, out=per_step[:, 3])
    # sums over each event time's steps (every event time has at least one)
    sums = np.add.reduceat(per_step, np.searchsorted(at, np.arange(n_times)), axis=0)
    return _Steps(
        r=r,
        shift=shift,
        dead_eta=dead_eta,
        xc=xc,
        at=at,
        weight=weight,
        denom=denom,
        mu=mu,
        b=b,
        s1=sums[:, 0],
        s2=sums[:, 1],
        q1=sums[:, 2],
        q2=sums[:, 3],
    )


def _information_parts(
    data: _CoxData, steps: _Steps, powers: Sequence[np.ndarray]
) -> list[np.ndarray]:
    """Σ over event times of g(t) · information(t) for each per-event-time factor g.

    information(t) = Σ_steps w (C / den - mean meanᵀ) with C the (downweighted) sum of
    r x xᵀ: the first part is a weighted xᵀx over the rows, the second in μ and B.
    """
    index = data.index
    xc, r, mu, b = steps.xc, steps.r, steps.mu, steps.b
    out = []
    for g in powers:
        row_w = r * index.window_sums((g * steps.s1)[:, None])[:, 0]
        row_w[index.dead] -= r[index.dead] * (g * steps.s2)[index.dead_at]
        if (row_w >= 0).all():  # as (√w x)ᵀ(√w x): BLAS's symmetric product, faster
            weighted = np.multiply(xc, np.sqrt(row_w)[:, None], out=data.workspace[:-1, 1:])
            second = weighted.T @ weighted
        else:
            weighted = np.multiply(xc, row_w[:, None], out=data.workspace[:-1, 1:])
            second = weighted.T @ xc
        cross = (mu * (g * steps.s1)[:, None]).T @ b
        means = (
            (mu * (g * steps.weight_sums)[:, None]).T @ mu
            + cross
            + cross.T
            + (b * (g * steps.q1)[:, None]).T @ b
        )
        out.append(second - means)
    return out


def _information(data: _CoxData, beta: np.ndarray, ties: str) -> np.ndarray:
    """Observed information (minus the Hessian of the log partial likelihood)."""
    key = (np.asarray(beta, dtype=float).tobytes(), ties)
    cache = data.information_cache
    if key not in cache:
        if len(cache) >= 4:
            cache.pop(next(iter(cache)))
        steps = _steps(data, beta, ties)
        cache[key] = _information_parts(data, steps, [np.ones(data.index.n_times)])[0]
    return cache[key]


def _loglik(data: _CoxData, steps: _Steps, beta: np.ndarray) -> float:
    """Log partial likelihood (Efron or Breslow) at β, as R's ``fit$loglik``."""
    return float(steps.dead_eta - steps.weight @ (np.log(steps.denom) + steps.shift))


def _fit_newton(data: _CoxData, ties: str) -> np.ndarray:
    """Maximum partial-likelihood β by Newton–Raphson from β = 0 (statsmodels' PHReg
    ``fit(method="newton", tol=1e-12, ridge_factor=0)`` up to the last step): stops when
    the next step would change no coefficient by more than 1e-12 and returns the β at
    which score and information were last evaluated -- that step is not taken (as R's
    coxph returns the β of its last evaluation), so the information, the sums and the
    log likelihood at β̂ are already computed (cached) and need no further pass over the
    rows. Raises LinAlgError after :data:`MAX_ITERATIONS` steps, for a singular
    information or a non-finite step (monotone likelihood)."""
    p = data.x.shape[1]
    beta = np.zeros(p)
    dead = data.index.dead
    ones = np.ones(data.index.n_times)
    dead_sum = data.xc[dead].sum(axis=0)
    start_info = None
    with np.errstate(all="ignore"):
        for _ in range(MAX_ITERATIONS):
            steps = _steps(data, beta, ties)
            score = dead_sum - steps.mean_sums(ones)
            info = _information(data, beta, ties)
            if start_info is None:
                start_info = np.diag(info).copy()
            change = np.linalg.solve(info, score)
            if not np.isfinite(change).all():
                raise np.linalg.LinAlgError("non-finite Newton step")
            if not np.any(np.abs(change) > 1e-12):
                # a coefficient that ran off to infinity leaves the score exactly 0 once
                # exp(x β) underflows, with (numerically) no information left about it
                np.linalg.cholesky(info)
                if np.any(np.diag(info) <= 1e-10 * start_info):
                    raise np.linalg.LinAlgError("information vanished")
                return beta
            beta = beta + change
            if not np.isfinite(beta).all():
                raise np.linalg.LinAlgError("non-finite Newton step")
    raise np.linalg.LinAlgError("no convergence")


def _score_residuals(data: _CoxData, beta: np.ndarray, ties: str) -> np.ndarray:
    """Score residuals per row, as R's ``residuals(fit, type = "score")`` (coxscore2/agscore3).

    Each row at risk gets -(x - x̄) r dΛ at every (Efron sub-)step; a row with an event
    also gets its share of x - x̄ (all of it with Breslow ties, 1/d per step with Efron's)
    and back the downweighted part f r dΛ (x - x̄) of the hazard.
    """
    index = data.index
    s = _steps(data, beta, ties)
    p = data.x.shape[1]
    # per event time: Σ dΛ, Σ dΛ mean, Σ f dΛ, Σ f dΛ mean (dΛ = w / den)
    per_time = np.column_stack(
        (
            s.s1,
            s.mu * s.s1[:, None] + s.b * s.q1[:, None],
            s.s2,
            s.mu * s.s2[:, None] + s.b * s.q2[:, None],
        )
    )
    window = index.window_sums(per_time[:, : p + 1])
    resid = -s.r[:, None] * (s.xc * window[:, :1] - window[:, 1:])
    mean_bar = (s.mu * s.weight_sums[:, None] + s.b * s.s1[:, None]) / index.n_dead[:, None]
    dead, at = index.dead, index.dead_at
    xd, rd = s.xc[dead], s.r[dead][:, None]
    resid[dead] += (
        xd - mean_bar[at] + rd * (xd * per_time[at, p + 1 : p + 2] - per_time[at, p + 2 :])
    )
    return resid


def _rank_counts(
    pos: np.ndarray,
    rank: np.ndarray,
    upto: np.ndarray,
    q_rank: np.ndarray,
    q_low: np.ndarray,
    q_high: np.ndarray,
) -> np.ndarray:
    """For each query: the points with ``pos < upto`` and rank in [q_low, q_rank),
    == q_rank and in (q_rank, q_high) (columns 0, 1, 2).

    Offline dominance counting: the prefix [0, upto) is split into dyadic blocks of
    positions (one per set bit of ``upto``); at each block size the points are sorted by
    (block, rank) once and counted with binary searches. O(n log n log T).
    """
    counts = np.zeros((len(upto), 3), dtype=np.int64)
    if len(pos) == 0 or len(upto) == 0:
        return counts
    width = int(max(rank.max(), q_high.max())) + 2
    # queries in rank order: then a stable sort by block gives sorted needles, which
    # make the binary searches cache-friendly (several times faster)
    by_rank = np.argsort(q_rank, kind="stable")
    upto, q_rank = upto[by_rank], q_rank[by_rank]
    q_low, q_high = q_low[by_rank], q_high[by_rank]
    single = bool((q_low == 0).all() and (q_high >= width - 2).all())  # one stratum
    less, equal, within = (np.zeros(len(upto), dtype=np.int64) for _ in range(3))
    for level in range(int(upto.max()).bit_length()):
        ask = np.flatnonzero((upto >> level) & 1)
        if len(ask) == 0:
            continue
        point_block = pos >> level
        keys = np.sort(point_block * width + rank)
        block = (upto[ask] >> level) - 1
        small = block.max() < 2**16
        order = np.argsort(block.astype(np.uint16) if small else block, kind="stable")
        ask, block = ask[order], block[order]
        base = block * width
        lower = np.searchsorted(keys, base + q_rank[ask], side="left")
        upper = np.searchsorted(keys, base + q_rank[ask], side="right")
        if single:  # the whole block: from its size
            size = np.bincount(point_block, minlength=int(block.max()) + 1)
            begin = np.cumsum(size) - size
            first, end = begin[block], begin[block] + size[block]
        else:
            first = np.searchsorted(keys, base + q_low[ask], side="left")
            end = np.searchsorted(keys, base + q_high[ask], side="left")
        less[ask] += lower - first
        equal[ask] += upper - lower
        within[ask] += end - first
    counts[by_rank, 0] = less
    counts[by_rank, 1] = equal
    counts[by_rank, 2] = within - less - equal
    return counts


def _concordance(data: _CoxData, lp: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Harrell's C of the linear predictor and its infinitesimal-jackknife SE (R's coxph).

    Comparable pairs: an event at t and someone still at risk after t (or
    censored at t), in the same stratum; higher risk for the earlier event is
    concordant, equal linear predictors count 1/2. Returns C, its standard
    error and the counts (concordant, discordant, tied on x).

    Each row is compared at the event times of its risk window but its own (an event
    row is not compared with the events at its own time): for the events, the rows at
    risk with a lower, equal, higher linear predictor; for every row, the events in its
    window with a higher, equal, lower one — counted by :func:`_rank_counts` on ranks of
    (stratum, linear predictor).
    """
    index = data.index
    n = len(lp)
    strata = np.asarray(data.strata, dtype=np.int64)
    order = np.lexsort((lp, strata))
    s_sorted, lp_sorted = strata[order], lp[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (s_sorted[1:] != s_sorted[:-1]) | (lp_sorted[1:] != lp_sorted[:-1])
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.cumsum(new) - 1
    n_strata = int(strata.max()) + 1
    low = np.full(n_strata, np.iinfo(np.int64).max)
    np.minimum.at(low, strata, rank)
    high = np.zeros(n_strata, dtype=np.int64)
    np.maximum.at(high, strata, rank + 1)
    q_low, q_high = low[strata], high[strata]
    # a row is compared at event times lo <= e < end (its own event time excluded)
    end = index.hi - (data.event == 1)
    dead, at = index.dead, index.dead_at
    # events: rows with lo <= e (entered) minus rows with end <= e (gone) -> lower/equal/higher
    args = (rank[dead], q_low[dead], q_high[dead])
    ev = _rank_counts(end, rank, at + 1, *args)
    ev = -ev
    if index.has_entry:
        ev += _rank_counts(index.lo, rank, at + 1, *args)
    else:  # everybody in the stratum has entered
        ev += _rank_counts(np.zeros(n, np.int64), rank, np.ones(len(dead), np.int64), *args)
    # every row: events at lo <= e < end with a higher/equal/lower linear predictor
    args = (rank, q_low, q_high)
    other = _rank_counts(at, rank[dead], end, *args)
    if index.has_entry:
        other -= _rank_counts(at, rank[dead], index.lo, *args)
    conc, disc, tied = (other[:, 2]).astype(float), other[:, 0].astype(float), other[:, 1]
    tied = tied.astype(float)
    conc[dead] += ev[:, 0]
    disc[dead] += ev[:, 2]
    tied[dead] += ev[:, 1]
    # every pair is counted once for each of its two members
    n_conc, n_disc, n_tied = conc.sum() / 2, disc.sum() / 2, tied.sum() / 2
    npair = n_conc + n_disc + n_tied
    if npair == 0:  # no comparable pairs (e.g. a single event, nobody else at risk)
        return math.nan, math.nan, np.zeros(3)
    somers = (n_conc - n_disc) / npair
    dfbeta = (conc - disc) / npair - somers / npair * (conc + disc + tied)
    if data.cluster is not None:
        dfbeta = np.bincount(data.cluster, weights=dfbeta)
    se = math.sqrt(float((dfbeta**2).sum()) / 4)
    return (somers + 1) / 2, se, np.array([n_conc, n_disc, n_tied])


def _km_left(time: np.ndarray, data: _CoxData) -> np.ndarray:
    """1 − S(t−) of the pooled Kaplan–Meier curve (R's cox.zph ``transform = "km"``)."""
    times = np.unique(data.stop)
    stops, starts = np.sort(data.stop), np.sort(data.start)
    # at risk at t: stop >= t minus start >= t (start < stop, so the second set is a subset)
    at_risk = np.searchsorted(starts, times, side="left") - np.searchsorted(
        stops, times, side="left"
    )
    deaths = np.sort(data.stop[data.event == 1])
    d = np.searchsorted(deaths, times, side="right") - np.searchsorted(deaths, times, side="left")
    surv = np.cumprod(1 - d / at_risk)
    k = np.searchsorted(times, time, side="left")  # number of curve times < t
    return 1.0 - np.concatenate(([1.0], surv))[k]


# ---------------------------------------------------------------------------
# Cox model


@dataclass(frozen=True, eq=False)
class CoxResult:
    """Result of :func:`cox`, as R's ``summary(coxph(...))``.

    Attributes
    ----------
    coefficients : pandas.DataFrame
        One row per model term: ``term`` (R's names: covariate, or covariate
        and level for categorical covariates), ``coef``, ``se`` (model-based),
        ``robust_se`` (only with ``cluster``), ``z``, ``p_value``,
        ``hazard_ratio``, ``hr_low``, ``hr_high``. With ``cluster``, ``z``,
        ``p_value`` and the interval use the robust standard error, as R does.
    loglik, loglik_null : float
        Log partial likelihood at the estimate and at β = 0 (R's ``fit$loglik``).
    concordance, concordance_se : float
        Harrell's C (R's ``concordance`` in ``summary``) and its standard error
        (infinitesimal jackknife; summed by cluster with ``cluster``).
    n : int
        Rows used (people, or periods for (start, stop] data).
    n_events : int
        Number of events.
    n_missing : int
        Rows left out for a missing value.
    ties : str
        ``"efron"`` or ``"breslow"``.
    conf_level : float
        Level of the hazard-ratio intervals.
    covariance : pandas.DataFrame
        Variance matrix of the coefficients used for ``z`` and the intervals
        (robust with ``cluster``).
    """

    coefficients: pd.DataFrame
    loglik: float
    loglik_null: float
    n: int
    n_events: int
    n_missing: int
    ties: str
    conf_level: float
    covariance: pd.DataFrame
    _data: _CoxData = field(repr=False)
    _terms: dict = field(repr=False)

    @functools.cached_property
    def _concordance(self) -> tuple[float, float, np.ndarray]:
        # computed on first use: on large data it costs about as much as the fit
        beta = self.coefficients["coef"].to_numpy()
        lp = _linear_predictor(self._data.x, beta, self._data.x.mean(axis=0))
        concordance, concordance_se, counts = _concordance(self._data, lp)
        return float(concordance), float(concordance_se), counts

    @property
    def concordance(self) -> float:
        """Harrell's C (R's ``concordance`` in ``summary``), computed on first access."""
        return self._concordance[0]

    @property
    def concordance_se(self) -> float:
        """Infinitesimal-jackknife standard error of :attr:`concordance`."""
        return self._concordance[1]

    @property
    def concordance_counts(self) -> dict[str, int]:
        """Pairs behind :attr:`concordance`: concordant, discordant and tied on the linear
        predictor (R's ``fit$concordance[c("concordant", "discordant", "tied.x")]``).

        A tie is an exact tie of the linear predictors as R computes them, which
        :func:`_linear_predictor` reproduces bit for bit on every processor.
        """
        concordant, discordant, tied = self._concordance[2]
        return {"concordant": int(concordant), "discordant": int(discordant), "tied_x": int(tied)}

    @property
    def params(self) -> pd.DataFrame:
        """Coefficients indexed by term: ``coef``, ``se`` (robust when clustered, the
        one the inference uses), ``hr``, ``ci_low``, ``ci_high`` (of the hazard
        ratio) and ``p``."""
        table = self.coefficients.set_index("term")
        se = table["robust_se"] if "robust_se" in table else table["se"]
        return pd.DataFrame(
            {
                "coef": table["coef"],
                "se": se,
                "hr": table["hazard_ratio"],
                "ci_low": table["hr_low"],
                "ci_high": table["hr_high"],
                "p": table["p_value"],
            }
        )

    @property
    def lr_test(self) -> dict[str, float]:
        """Likelihood-ratio test of all coefficients against β = 0, as R's
        ``summary(coxph)``: ``statistic`` = 2 (ℓ(β̂) − ℓ(0)), ``df``, ``p_value``."""
        statistic = 2.0 * (self.loglik - self.loglik_null)
        df = len(self.coefficients)
        return {"statistic": statistic, "df": df, "p_value": float(_sps.chi2.sf(statistic, df))}

    def proportional_hazards_test(self, transform: str = "km") -> pd.DataFrame:
        r"""Test of proportional hazards per covariate and globally, as R's ``cox.zph(fit)``.

        Score test (Grambsch & Therneau 1994; survival ≥ 3.0) of
        :math:`\gamma = 0` in the model with the added terms
        :math:`\gamma^\top x \, g(t)`, evaluated at the fitted β and γ = 0,
        where :math:`g(t)` is the transformed event time centred at its mean
        over the events (``"km"``: 1 − KM(t−) of the pooled data, R's default;
        ``"rank"``, ``"identity"``, ``"log"``). With the score
        :math:`U = (0, U_\gamma)` and the joint information :math:`I` of
        (β, γ), the statistic of a covariate with columns *j* is
        :math:`U_j^\top [I_{(\beta, j)}]^{-1} U_j` with df = number of columns
        (a categorical covariate is tested as one term); ``GLOBAL`` tests all.

        Returns columns ``term``, ``chisq``, ``df``, ``p_value``.

        References
        ----------
        Grambsch, P. M. & Therneau, T. M. (1994). Proportional hazards tests
        and diagnostics based on weighted residuals. *Biometrika* 81, 515–526.

        Examples
        --------
        >>> df = pd.DataFrame({"t": [5, 8, 3, 9, 12, 4, 7, 10, 2, 6],
        ...                    "e": [1, 1, 1, 0, 1, 1, 0, 1, 1, 1],
        ...                    "x": [1.0, 0, 1, 0, 0, 1, 0, 1, 1, 0]})
        >>> zph = cox(df, duration="t", event="e", covariates=["x"]).proportional_hazards_test()
        >>> zph["term"].tolist(), round(float(zph["chisq"].iloc[0]), 6)
        (['x', 'GLOBAL'], 1.181105)
        """
        if transform not in ZPH_TRANSFORMS:
            raise ValueError(
                f"transform must be one of {', '.join(ZPH_TRANSFORMS)}, got {transform!r}"
            )
        data = self._data
        beta = self.coefficients["coef"].to_numpy()
        times = data.stop
        if transform == "km":
            g = _km_left(times, data)
        elif transform == "rank":
            g = _sps.rankdata(times)
        elif transform == "log":
            g = np.log(times)
        else:
            g = times.astype(float)
        g = g - g[data.event == 1].mean()
        p = data.x.shape[1]
        index = data.index
        steps = _steps(data, beta, self.ties)
        g_time = np.zeros(index.n_times)  # g at each event time (the same for its events)
        g_time[index.dead_at] = g[index.dead]
        u = np.zeros(2 * p)
        u[p:] = g[index.dead] @ steps.xc[index.dead] - steps.mean_sums(g_time)
        i0, i1, i2 = _information_parts(
            data, steps, [np.ones(index.n_times), g_time, g_time * g_time]
        )
        imat = np.block([[i0, i1], [i1.T, i2]])
        rows = []
        for term, columns in self._terms.items():
            keep = list(range(p)) + [p + j for j in columns]
            uu = u[keep]
            stat = float(uu @ np.linalg.solve(imat[np.ix_(keep, keep)], uu))
            rows.append((term, stat, len(columns)))
        rows.append(("GLOBAL", float(u @ np.linalg.solve(imat, u)), p))
        frame = pd.DataFrame(rows, columns=["term", "chisq", "df"])
        frame["p_value"] = _sps.chi2.sf(frame["chisq"], frame["df"])
        return frame

    def to_frame(self) -> pd.DataFrame:
        """Model-level results as a one-row frame: ``n``, ``n_events``, ``loglik``,
        ``loglik_null``, ``concordance``, ``concordance_se``, ``ties``, ``conf_level``
        (the coefficients are :attr:`coefficients`).

        Examples
        --------
        >>> df = pd.DataFrame({"t": [5, 8, 3, 9, 12, 4, 7, 10, 2, 6],
        ...                    "e": [1, 1, 1, 0, 1, 1, 0, 1, 1, 1],
        ...                    "x": [1.0, 0, 1, 0, 0, 1, 0, 1, 1, 0]})
        >>> cox(df, duration="t", event="e", covariates=["x"]).to_frame()[["n", "n_events"]]
            n  n_events
        0  10         8
        """
        fields = (
            "n",
            "n_events",
            "loglik",
            "loglik_null",
            "concordance",
            "concordance_se",
            "ties",
            "conf_level",
        )
        return pd.DataFrame([{name: getattr(self, name) for name in fields}])


def cox(
    data: pd.DataFrame,
    *,
    duration: str,
    event: str,
    covariates: Sequence[str] | str,
    ties: str = "efron",
    cluster: str | None = None,
    strata: str | Sequence[str] | None = None,
    conf_level: float = 0.95,
    entry: str | None = None,
    start: str | None = None,
) -> CoxResult:
    r"""Cox proportional hazards model, as R's ``coxph``.

    The hazard of person *i* is :math:`h_0(t) \exp(x_i^\top \beta)`; β
    maximises the log partial likelihood

    .. math::

        \ell(\beta) = \sum_{\text{events } i} \Bigl( x_i^\top\beta -
        \log \sum_{j \in R(t_i)} e^{x_j^\top\beta} \Bigr)

    over the risk sets :math:`R(t)` (with Efron's or Breslow's correction for
    tied event times), fitted by Newton–Raphson from β = 0 until the next step
    would change no coefficient by more than 1e-12 (statsmodels'
    :class:`~statsmodels.duration.hazard_regression.PHReg` with ``method="newton"``,
    ``tol=1e-12``, which then still takes that step). The model-based
    variance is the inverse information. With ``cluster`` (e.g. household:
    members of one household are not independent) the robust variance is
    :math:`D^\top D`, where the rows of *D* are the per-cluster sums of the
    dfbeta residuals (score residuals × inverse information) — R's
    ``coxph(..., cluster = household)`` (Lin & Wei 1989). Hazard-ratio
    intervals are :math:`\exp(\hat\beta \pm z\,\text{se})`.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person, or per person and period with ``start``.
    duration : str
        Time of the event or censoring (the *stop* time with ``start``).
    event : str
        1 = event, 0 = censored (with ``start``: event at the end of the period).
    covariates : sequence of str
        Numeric columns enter as they are; categorical, string and bool columns
        are coded as indicators of each level against the first (R's treatment
        coding; level order as in :func:`kaplan_meier`), named column + level
        (``"celltypesmallcell"``), only levels present in the rows used.
    ties : {"efron", "breslow"}
        Approximation for tied event times (R's default: Efron).
    cluster : str, optional
        Column identifying clusters (households) for robust standard errors.
    strata : str or sequence of str, optional
        Columns whose combinations get separate baseline hazards (R's
        ``strata()``).
    conf_level : float
        Level of the hazard-ratio intervals.
    entry : str, optional
        Column with the time the row enters observation (R's
        ``Surv(start, stop, event)``); ``start`` is the same keyword under its
        older name.
    start : str, optional
        Start of each period for counting-process data (R's
        ``Surv(start, stop, event)``): the row is at risk at times *t* with
        start < t ≤ stop — for covariates that change over time, one row per
        person and period.

    Returns
    -------
    CoxResult
        Coefficients, log likelihoods, concordance and
        :meth:`~CoxResult.proportional_hazards_test`.

    References
    ----------
    Cox, D. R. (1972). *JRSS B* 34, 187–220. — Efron, B. (1977). The
    efficiency of Cox's likelihood function for censored data. *JASA* 72,
    557–565. — Lin, D. Y. & Wei, L. J. (1989). The robust inference for the
    Cox proportional hazards model. *JASA* 84, 1074–1078. — Harrell, F. E.,
    Lee, K. L. & Mark, D. B. (1996). Multivariable prognostic models.
    *Statistics in Medicine* 15, 361–387. — Andersen, P. K. & Gill, R. D.
    (1982). Cox's regression model for counting processes. *Annals of
    Statistics* 10, 1100–1120.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [5, 8, 3, 9, 12, 4, 7, 10, 2, 6],
    ...                    "e": [1, 1, 1, 0, 1, 1, 0, 1, 1, 1],
    ...                    "x": [1.0, 0, 1, 0, 0, 1, 0, 1, 1, 0]})
    >>> fit = cox(df, duration="t", event="e", covariates=["x"])
    >>> round(float(fit.coefficients["coef"].iloc[0]), 6), fit.n_events
    (1.603189, 8)
    >>> round(fit.concordance, 6)
    0.74359
    """
    data = _check_frame(data)
    _check_conf_level(conf_level)
    if ties not in TIES:
        raise ValueError(f"ties must be one of {', '.join(TIES)}, got {ties!r}")
    covariates_ = _as_names(covariates, role="covariates")
    if not covariates_:
        raise ValueError("covariates is empty; pass at least one column")
    strata_ = _as_names(strata, role="strata")
    if entry is not None and start is not None and entry != start:
        raise ValueError("give the entry column once: entry= (or its older name start=)")
    start = entry if entry is not None else start
    extra = [c for c in (start, cluster) if c is not None]
    columns = [duration, event, *covariates_, *strata_, *extra]
    _check_columns(data, columns)
    frame, n_missing = _complete_rows(data, columns)
    if len(frame) == 0:
        raise ValueError("no rows left after leaving out missing values; nothing to fit")
    stop = _durations(frame[duration], role="duration")
    status = _events(frame[event])
    if start is not None:
        begin = _durations(frame[start], role="start")
        if (begin >= stop).any():
            raise ValueError(
                f"start column {start!r} must be before {duration!r} in every row; "
                f"{int((begin >= stop).sum())} row(s) have start >= stop"
            )
    else:
        begin = np.full(len(stop), -np.inf)
    if status.sum() == 0:
        raise ValueError("there are no events in the rows used; a Cox model needs events")
    scode = _strata_codes(frame, strata_)
    ccode = pd.factorize(frame[cluster], sort=True)[0] if cluster is not None else None
    # rows in the order of stratum, time, event (censored first): risk-set sums run over
    # contiguous rows (results do not depend on the order of the rows)
    order = _event_order(stop, status, scode)
    x, names, terms = _design(frame, covariates_, order)
    stop, status = stop[order], status[order]
    begin = begin[order] if start is not None else begin  # else all -inf
    scode = scode[order] if strata_ else scode  # else all 0
    ccode = ccode[order] if ccode is not None else None
    cdata = _CoxData(
        start=begin,
        stop=stop,
        event=status,
        x=x,
        strata=scode,
        cluster=ccode,
    )
    if _column_rank(cdata.xc) < x.shape[1]:  # xc: x - x.mean(axis=0)
        raise ValueError(
            f"the covariates {', '.join(names)} are collinear (or one is constant); "
            "R would give NA for a coefficient — drop the redundant column"
        )
    if np.linalg.matrix_rank(_information(cdata, np.zeros(x.shape[1]), ties)) < x.shape[1]:
        raise ValueError(
            f"the covariates {', '.join(names)} carry no information on some coefficient "
            "(a covariate constant within every stratum or among everybody at risk at the "
            "event times); drop it"
        )
    not_converged = (
        "the Cox model did not converge: a coefficient runs off to infinity (monotone "
        "likelihood, e.g. a level of a covariate in which everybody, or nobody, had the "
        "event first; R's coxph warns 'coefficient may be infinite'). Merge sparse levels "
        "or drop the covariate"
    )
    zero = np.zeros(x.shape[1])
    loglik_null = _loglik(cdata, _steps(cdata, zero, ties), zero)
    try:
        beta = _fit_newton(cdata, ties)
    except np.linalg.LinAlgError as error:
        raise ValueError(not_converged) from error
    naive = np.linalg.inv(_information(cdata, beta, ties))
    se = np.sqrt(np.diag(naive))
    coefficients = pd.DataFrame({"term": names, "coef": beta, "se": se})
    covariance = naive
    if ccode is not None:
        dfbeta = _score_residuals(cdata, beta, ties) @ naive
        collapsed = np.vstack(
            [np.bincount(ccode, weights=dfbeta[:, j]) for j in range(x.shape[1])]
        ).T
        covariance = collapsed.T @ collapsed
        coefficients["robust_se"] = np.sqrt(np.diag(covariance))
    used_se = np.sqrt(np.diag(covariance))
    z = _z(conf_level)
    coefficients["z"] = beta / used_se
    coefficients["p_value"] = 2 * _sps.norm.sf(np.abs(coefficients["z"]))
    coefficients["hazard_ratio"] = np.exp(beta)
    coefficients["hr_low"] = np.exp(beta - z * used_se)
    coefficients["hr_high"] = np.exp(beta + z * used_se)
    return CoxResult(
        coefficients=coefficients,
        loglik=_loglik(cdata, _steps(cdata, beta, ties), beta),
        loglik_null=loglik_null,
        n=len(frame),
        n_events=int(status.sum()),
        n_missing=n_missing,
        ties=ties,
        conf_level=float(conf_level),
        covariance=pd.DataFrame(covariance, index=names, columns=names),
        _data=cdata,
        _terms=terms,
    )


# ---------------------------------------------------------------------------
# competing risks


def _aalen_johansen(
    time: np.ndarray, event: np.ndarray, causes: Sequence[int]
) -> dict[str, np.ndarray]:
    """Aalen–Johansen cumulative incidence of each cause and its infinitesimal-jackknife SE.

    States: 0 = event-free, then one absorbing state per cause. Follows R's
    ``survfitci``: p(t) = p(t−) H(t) and, per person, the influence
    U ← U H + p(t−)₀ · dH/dw.
    """
    n = len(time)
    k = len(causes)
    times = np.unique(time)
    p = np.zeros(k + 1)
    p[0] = 1.0
    influence = np.zeros((n, k + 1))
    at_risk = np.ones(n, dtype=bool)
    order = np.argsort(time, kind="stable")
    sorted_time = time[order]
    pstate = np.zeros((len(times), k + 1))
    std = np.zeros((len(times), k + 1))
    n_risk = np.zeros(len(times))
    n_event = np.zeros((len(times), k))
    position = 0
    for i, t in enumerate(times):
        end = np.searchsorted(sorted_time, t, side="right")
        here = order[position:end]
        position = end
        y = float(at_risk.sum())
        n_risk[i] = y
        counts = np.array([(event[here] == c).sum() for c in causes], dtype=float)
        n_event[i] = counts
        if counts.sum() > 0:
            h = counts / y  # transition probabilities 0 -> cause
            # U <- U H: only the event-free column moves mass
            u0 = influence[:, 0].copy()
            influence[:, 0] = u0 * (1 - h.sum())
            influence[:, 1:] += u0[:, None] * h[None, :]
            # + p0(t-) dH/dw_j for everybody at risk at t
            scale = p[0] / y
            risk = np.flatnonzero(at_risk)
            row_h = np.concatenate(([1 - h.sum()], h))
            influence[risk] -= row_h[None, :] * scale
            destination = np.zeros(n, dtype=int)
            for j, c in enumerate(causes):
                destination[here[event[here] == c]] = j + 1
            influence[risk, destination[risk]] += scale
            p = p[0] * row_h + np.concatenate(([0.0], p[1:]))
        pstate[i] = p
        std[i] = np.sqrt((influence**2).sum(axis=0))
        at_risk[here] = False
    return {"time": times, "n_risk": n_risk, "n_event": n_event, "pstate": pstate, "std": std}


def cumulative_incidence(
    data: pd.DataFrame,
    *,
    duration: str,
    event: str,
    causes: Mapping[int, str] | None = None,
    group: str | None = None,
    conf_level: float = 0.95,
    times: Sequence[float] | None = None,
) -> pd.DataFrame:
    r"""Aalen–Johansen cumulative incidence of competing events, as R's multi-state ``survfit``.

    With competing events (e.g. 1 = moved away, 2 = left the programme but
    stayed) 1 − KM of one cause overstates its probability. The cumulative
    incidence of cause *c*, the probability of having had event *c* by *t*, is

    .. math::

        F_c(t) = \sum_{t_j \le t} \hat S(t_j-) \frac{d_{cj}}{n_j},

    with :math:`\hat S` the Kaplan–Meier curve of "any event" and
    :math:`d_{cj}` the events of cause *c* at :math:`t_j` — R's
    ``survfit(Surv(time, factor(event)) ~ 1)`` (its ``pstate``). The standard
    error is R's infinitesimal-jackknife estimate :math:`(\sum_i U_i(t)^2)^{1/2}`
    with :math:`U_i` the derivative of :math:`F_c(t)` with respect to the case
    weight of person *i*; the interval is R's ``conf.type = "log"`` on
    :math:`F_c` (NaN while :math:`F_c = 0`).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person.
    duration : str
        Time of the first event or of censoring (≥ 0).
    event : str
        0 = censored, 1, 2, … = the competing events (integers).
    causes : mapping of int to str, optional
        Labels of the event codes (e.g. ``{1: "moved away", 2: "left"}``); by
        default the codes present, labelled by themselves. Codes present in
        the data but missing from ``causes`` are an error.
    group : str, optional
        Column defining separate estimates (order as in :func:`kaplan_meier`).
    conf_level : float
        Confidence level of the pointwise intervals.
    times : sequence of float, optional
        Evaluate the step functions at these times instead (as R's
        ``summary(fit, times = ...)``): one row per group, cause and requested time,
        with ``n_risk`` = still under observation at *t* (duration ≥ *t*) and
        ``n_event`` = events of the cause up to and including *t*; NaN estimates after
        a group's last observed time (R prints no row there).

    Returns
    -------
    pandas.DataFrame
        One row per group, observed time (event or censoring) and cause:
        ``group``, ``time``, ``cause`` (label), ``incidence``, ``se``,
        ``ci_low``, ``ci_high``, ``n_risk`` (at risk just before *t*) and
        ``n_event`` (events of this cause at *t*).

    References
    ----------
    Aalen, O. O. & Johansen, S. (1978). An empirical transition matrix for
    non-homogeneous Markov chains based on censored observations.
    *Scandinavian Journal of Statistics* 5, 141–150. — Therneau, T., Crowson,
    C. & Atkinson, E. (2023). Multi-state models and competing risks.
    Vignette "compete" of the R package survival.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 2, 0, 1, 2, 0]})
    >>> ci = cumulative_incidence(df, duration="t", event="e", causes={1: "moved", 2: "left"})
    >>> moved = ci[ci["cause"] == "moved"]
    >>> moved["time"].tolist(), moved["n_event"].tolist()
    ([1.0, 2.0, 3.0, 4.0, 5.0, 6.0], [1, 0, 0, 1, 0, 0])
    >>> round(float(moved["incidence"].iloc[-1]), 6)  # 1/6 + 2/3 · 1/3
    0.388889
    >>> at = cumulative_incidence(df, duration="t", event="e", causes={1: "moved", 2: "left"},
    ...                           times=[2.5])
    >>> at[["time", "cause", "n_risk", "n_event"]].to_dict("list")
    {'time': [2.5, 2.5], 'cause': ['moved', 'left'], 'n_risk': [4, 4], 'n_event': [1, 1]}
    """
    data = _check_frame(data)
    _check_conf_level(conf_level)
    columns = [duration, event] + ([group] if group is not None else [])
    _check_columns(data, columns)
    frame, _ = _complete_rows(data, columns)
    if len(frame) == 0:
        raise ValueError("no rows left after leaving out missing values; nothing to estimate")
    time = _durations(frame[duration], role="duration")
    status = _events(frame[event], allowed="competing")
    present = sorted(set(status[status > 0].tolist()))
    if causes is None:
        causes = {code: str(code) for code in present}
    else:
        causes = dict(causes)
        bad = [code for code in causes if not isinstance(code, int | np.integer) or code < 1]
        if bad:
            raise ValueError(f"causes must map event codes 1, 2, … to labels; got keys {bad}")
        unknown = [code for code in present if code not in causes]
        if unknown:
            raise ValueError(
                f"event column {event!r} contains code(s) {unknown} that are not in causes "
                f"({sorted(causes)}); add a label for each competing event"
            )
    codes = sorted(causes)
    labels = [ALL] if group is None else _group_levels(frame[group])
    requested = None if times is None else _check_times(times)
    parts = []
    for label in labels:
        mask = np.ones(len(frame), bool) if group is None else (frame[group] == label).to_numpy()
        fit = _aalen_johansen(time[mask], status[mask], codes)
        for j, code in enumerate(codes):
            incidence = fit["pstate"][:, j + 1]
            se = fit["std"][:, j + 1]
            with np.errstate(divide="ignore", invalid="ignore"):
                se_log = np.where(se == 0, 0.0, se / incidence)
            low, high = _log_interval(incidence, se_log, conf_level)
            columns = {
                "time": fit["time"],
                "incidence": incidence,
                "se": se,
                "ci_low": low,
                "ci_high": high,
                "n_risk": fit["n_risk"].astype(int),
                "n_event": fit["n_event"][:, j].astype(int),
            }
            if requested is not None:
                columns = _step_values(columns, requested, time[mask])
            parts.append(
                pd.DataFrame(
                    {
                        "group": [label] * len(columns["time"]),
                        "time": columns["time"],
                        "cause": causes[code],
                        **{key: value for key, value in columns.items() if key != "time"},
                    }
                )
            )
    return pd.concat(parts, ignore_index=True)


def _step_values(
    curve: Mapping[str, np.ndarray], requested: np.ndarray, durations: np.ndarray
) -> dict[str, np.ndarray]:
    """A cumulative-incidence curve evaluated at ``requested`` times (see its ``times``)."""
    observed = curve["time"]
    k = np.searchsorted(observed, requested, side="right") - 1  # last time <= t, -1: none
    after = requested > observed[-1]
    out: dict[str, np.ndarray] = {"time": requested.astype(float)}
    for key in ("incidence", "se", "ci_low", "ci_high"):
        before = 0.0 if key in ("incidence", "se") else math.nan
        values = np.where(k >= 0, curve[key][np.maximum(k, 0)], before)
        out[key] = np.where(after, math.nan, values)
    out["n_risk"] = len(durations) - np.searchsorted(np.sort(durations), requested, side="left")
    cumulative = np.concatenate(([0], np.cumsum(curve["n_event"])))
    out["n_event"] = cumulative[k + 1].astype(int)
    return out
