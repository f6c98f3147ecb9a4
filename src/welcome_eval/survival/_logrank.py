"""Log-rank test of equal survival in groups, optionally stratified, as R's ``survdiff``.

:func:`logrank` returns a :class:`LogRank` result (chi-square, df, p-value, the observed
and expected events per group and the variance of O − E). Documented, with the
references, at the front door :mod:`welcome_eval.survival.retention`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as _sps

from welcome_eval._display import Summary, SummaryRepr, integer, number, p_value
from welcome_eval.survival._common import (
    as_durations,
    as_events,
    as_names,
    check_frame,
    check_unique_columns,
    complete_rows,
    group_levels,
    strata_codes,
)

__all__ = [
    "LogRank",
    "logrank",
]


@dataclass(frozen=True, eq=False, repr=False)
class LogRank(SummaryRepr):
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

    def _summary(self) -> Summary:
        facts: list[tuple[str, object]] = [
            ("χ²", number(self.chi2, 2)),
            ("Freiheitsgrade", integer(self.df)),
            ("p", p_value(self.p_value)),
            ("Personen", f"{integer(self.n)} (ausgelassen: {integer(self.n_missing)})"),
        ]
        if self.strata:
            facts.append(("geschichtet nach", ", ".join(self.strata)))
        return Summary(
            "LogRank",
            "Log-Rank-Test auf gleiche Verweildauer in den Gruppen",
            facts,
            columns=["Gruppe", "Personen", "beobachtet", "erwartet"],
            rows=[
                [
                    str(row["group"]),
                    integer(row["n"]),
                    integer(row["observed"]),
                    number(row["expected"], 1),
                ]
                for row in self.table.to_dict("records")
            ],
        )

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
    data = check_frame(data)
    strata_ = as_names(strata, role="strata")
    columns = [duration, event, group, *strata_]
    check_unique_columns(data, columns)
    frame, n_missing = complete_rows(data, columns)
    time = as_durations(frame[duration], role="duration")
    status = as_events(frame[event])
    labels = group_levels(frame[group])
    if len(labels) < 2:
        raise ValueError(
            f"group column {group!r} has {len(labels)} group(s) after leaving out missing "
            "values; the log-rank test compares at least two"
        )
    gcode = pd.Categorical(frame[group], categories=labels).codes
    scode = strata_codes(frame, strata_)
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
