"""Cumulative incidence of competing events (Aalen–Johansen), as R's multi-state ``survfit``.

:func:`cumulative_incidence` estimates, per group, the probability of having had each
competing event (e.g. moved within the region, left the region, died) by each time, with
R's infinitesimal-jackknife standard errors and log intervals. Documented, with the
references, at the front door :mod:`welcome_eval.survival.retention`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from welcome_eval._checks import check_conf_level as _check_conf_level
from welcome_eval.survival._common import (
    ALL,
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
    "cumulative_incidence",
]


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
    data = check_frame(data)
    _check_conf_level(conf_level)
    columns = [duration, event] + ([group] if group is not None else [])
    check_unique_columns(data, columns)
    frame, _ = complete_rows(data, columns)
    if len(frame) == 0:
        raise ValueError("no rows left after leaving out missing values; nothing to estimate")
    time = as_durations(frame[duration], role="duration")
    status = as_events(frame[event], allowed="competing")
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
    labels = [ALL] if group is None else group_levels(frame[group])
    requested = None if times is None else check_times(times)
    parts = []
    for label in labels:
        mask = np.ones(len(frame), bool) if group is None else (frame[group] == label).to_numpy()
        fit = _aalen_johansen(time[mask], status[mask], codes)
        for j, code in enumerate(codes):
            incidence = fit["pstate"][:, j + 1]
            se = fit["std"][:, j + 1]
            with np.errstate(divide="ignore", invalid="ignore"):
                se_log = np.where(se == 0, 0.0, se / incidence)
            low, high = log_interval(incidence, se_log, conf_level)
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
