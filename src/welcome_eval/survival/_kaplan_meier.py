r"""Kaplan–Meier retention curves, medians and retention at given times, as R's ``survfit``.

:func:`fit_kaplan_meier` gives a :class:`KaplanMeier` result (the curves with Greenwood
standard errors and R's intervals, :meth:`~KaplanMeier.survival_at`,
:meth:`~KaplanMeier.quantile`, :meth:`~KaplanMeier.median`); :func:`kaplan_meier` the same
estimates as a tidy table, :func:`median_stay` the median per group and
:func:`retention_at` the retention at one time per group, for reports. ``data`` may be a
DataFrame, or a Parquet path or DuckDB relation counted in DuckDB
(:mod:`welcome_eval.survival.retention_duckdb`). Documented, with the references, at the
front door :mod:`welcome_eval.survival.retention`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd

from welcome_eval._checks import check_conf_level as _check_conf_level
from welcome_eval._checks import renamed_arguments
from welcome_eval._display import Summary, SummaryRepr, ci_label, integer, interval, number
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.survival import retention_duckdb
from welcome_eval.survival._common import (
    ALL,
    Data,
    as_durations,
    as_events,
    check_frame,
    check_times,
    check_unique_columns,
    complete_rows,
    group_levels,
    log_interval,
)

__all__ = [
    "QUANTILE_TOLERANCE",
    "KaplanMeier",
    "fit_kaplan_meier",
    "kaplan_meier",
    "median_stay",
    "retention_at",
]

#: Relative tolerance R's ``quantile.survfit`` uses to decide that a curve is *at* p.
QUANTILE_TOLERANCE = math.sqrt(np.finfo(float).eps)


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


@dataclass(frozen=True, eq=False, repr=False)
class KaplanMeier(SummaryRepr):
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

    def _summary(self) -> Summary:
        medians = self.median()
        by = f", nach {self.group}" if self.group is not None else ""
        return Summary(
            "KaplanMeier",
            f"Kaplan–Meier-Kurven: {self.duration} bis {self.event}{by}",
            [
                (
                    "Personen",
                    f"{integer(self.n)} (wegen fehlender Werte ausgelassen: "
                    f"{integer(self.n_missing)})",
                ),
                ("Kurven", integer(medians.shape[0])),
                ("Tabelle", f"{integer(len(self.table))} Zeilen (je Kurve und Zeitpunkt)"),
            ],
            columns=["Gruppe", "Personen", "Ereignisse", "Median", ci_label(self.conf_level)],
            rows=[
                [
                    str(row["group"]),
                    integer(row["n"]),
                    integer(row["n_events"]),
                    number(row["median"], 2),
                    interval(row["ci_low"], row["ci_high"], 2),
                ]
                for row in medians.to_dict("records")
            ],
        )

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
        requested = check_times(times)
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
    check_unique_columns(data, columns)
    frame, n_missing = complete_rows(data, columns)
    if len(frame) == 0:
        raise ValueError("no rows left after leaving out missing values; nothing to estimate")
    time = as_durations(frame[duration], role="duration")
    status = as_events(frame[event])
    labels = [ALL] if by is None else group_levels(frame[by])
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
    time = as_durations(counts["time"].rename(duration), role="duration", rows=rows)
    status = as_events(counts["event"].rename(event))
    labels = [ALL] if by is None else group_levels(counts["group"])
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


def _value_labels(
    by: str, *, labels: Mapping[Hashable, str] | None, codebook: Codebook | None
) -> Mapping[Hashable, str] | None:
    """The labels of the values of ``by``: given, or the codebook's for a coded item."""
    if labels is not None:
        if not isinstance(labels, Mapping):
            raise TypeError(
                f"labels must map each value of {by!r} to its label, e.g. {{1: 'ja'}}, "
                f"got {type(labels).__name__}"
            )
        return labels
    if codebook is not None and by in codebook and codebook[by].values:
        return codebook[by].values
    return None


def _labelled(groups: list, by: str, names: Mapping[Hashable, str] | None) -> list:
    """``groups`` (values of ``by``) named by ``names``, in the same order."""
    if names is None:
        return groups
    unnamed = [value for value in groups if value not in names]
    if unnamed:
        raise ValueError(
            f"no label for the value(s) {', '.join(map(str, unnamed[:5]))} of column {by!r}; "
            "give labels for every value (or leave labels out to show the values)"
        )
    named = [str(names[value]) for value in groups]
    if len(set(named)) < len(named):
        raise ValueError(
            f"two values of column {by!r} have the same label; the curves would be mixed up"
        )
    return named


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
    labels: Mapping[Hashable, str] | None = None,
    codebook: Codebook | None = None,
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
    labels : mapping, optional
        A label for each value of ``by`` (``{0: "nein", 1: "ja"}``): the groups are
        named by them, in the same order, also in a figure drawn from the table.
    codebook : Codebook, optional
        The survey's codebook: when ``by`` is one of its coded items and no ``labels``
        are given, its value labels name the groups (``by="fachkraft"`` gives "nein",
        "ja", "unbekannt" instead of 0.0, 1.0, 2.0).

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
    value_labels = labels
    if retention_duckdb.is_lazy(data):
        labels, curves, n_used, n_missing = _km_counted(
            retention_duckdb.relation(data), duration=duration, event=event, by=by
        )
    else:
        labels, curves, n_used, n_missing = _km_in_memory(
            check_frame(data), duration=duration, event=event, by=by
        )
    if by is not None:
        labels = _labelled(labels, by, _value_labels(by, labels=value_labels, codebook=codebook))
    parts = []
    for label, curve in zip(labels, curves, strict=True):
        low, high = log_interval(curve["survival"], curve["se_log"], conf_level, conf_type)
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
        times=None if times is None else tuple(check_times(times).tolist()),
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
    labels: Mapping[Hashable, str] | None = None,
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    """Kaplan–Meier estimates as a tidy table (formulas: :func:`fit_kaplan_meier`).

    Returns one row per observed time with ``time``, ``n_risk``, ``n_event``,
    ``n_censor``, ``survival``, ``se`` (of the survival), ``se_log`` (R's
    ``std.err``), ``ci_low``, ``ci_high``, and ``group`` first when ``by`` is
    given. With ``times``: one row per requested time and group, the step
    function evaluated there (as R's ``summary(fit, times = ...)``; NaN after a
    curve's last observation, where R prints nothing). ``data`` may be a DataFrame,
    a Parquet path or a DuckDB relation (counted in DuckDB: :func:`fit_kaplan_meier`);
    ``labels`` or ``codebook`` name the groups as there.

    Examples
    --------
    >>> df = pd.DataFrame({"years": [1, 2, 2, 3, 4, 5], "left": [1, 1, 0, 1, 0, 1]})
    >>> kaplan_meier(df, duration="years", event="left", times=[2])[["time", "survival"]]
       time  survival
    0   2.0  0.666667
    """
    fit = fit_kaplan_meier(
        data,
        duration=duration,
        event=event,
        by=by,
        conf_type=conf_type,
        conf_level=conf_level,
        labels=labels,
        codebook=codebook,
    )
    if times is None:
        table = fit.table
    else:
        requested = check_times(times)
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
