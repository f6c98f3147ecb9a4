"""Item means across waves: the trend table and the Welch comparison of two waves.

:func:`trend_table` stacks :func:`welcome_eval.stats.mean_ci` over the waves;
:func:`wave_change` compares two independent waves with Welch's t test
(:func:`pingouin.ttest`, unrounded), as R's ``t.test(var.equal = FALSE)``.
The plain-German sentence for a row of :func:`wave_change` is
:func:`welcome_eval.present.sentences.describe_change`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from welcome_eval._checks import check_columns, check_conf_level
from welcome_eval._lazy import public_dir
from welcome_eval.stats._common import as_item_list, lazy_pingouin, numeric_column
from welcome_eval.stats.likert import mean_ci

__all__ = ["trend_table", "wave_change"]
__dir__ = public_dir(__all__)


def trend_table(
    waves: Mapping[str, pd.DataFrame],
    items: Sequence[str],
    *,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """:func:`~welcome_eval.stats.mean_ci` of each item in each wave, stacked for a trend figure.

    Parameters
    ----------
    waves : mapping of str to pandas.DataFrame
        Wave id to that wave's wide tidy data, in time order.
    items : sequence of str
        Numeric columns present in every wave.
    conf_level : float, default 0.95
        Confidence level of the intervals.

    Returns
    -------
    pandas.DataFrame
        The columns of :func:`~welcome_eval.stats.mean_ci` plus ``wave`` (first), one row per wave
        and item, waves in the given order.

    Examples
    --------
    >>> a = pd.DataFrame({"x": [1.0, 2.0]})
    >>> b = pd.DataFrame({"x": [3.0, 5.0]})
    >>> trend_table({"2018": a, "2019": b}, ["x"])[["wave", "mean"]].to_dict("list")
    {'wave': ['2018', '2019'], 'mean': [1.5, 4.0]}
    """
    if not waves:
        raise ValueError("trend_table needs at least one wave")
    frames = [
        mean_ci(data, items, conf_level=conf_level).assign(wave=str(wave))
        for wave, data in waves.items()
    ]
    table = pd.concat(frames, ignore_index=True)
    return table[["wave", *[c for c in table.columns if c != "wave"]]]


def wave_change(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    items: Sequence[str],
    *,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    r"""Difference in item means between two independent waves (Welch t test).

    With means :math:`\bar x_c, \bar x_p`, variances :math:`s_c^2, s_p^2`
    (ddof = 1) and sizes :math:`n_c, n_p`

    .. math::

        d = \bar x_c - \bar x_p, \qquad
        \text{SE} = \sqrt{\frac{s_c^2}{n_c} + \frac{s_p^2}{n_p}}, \qquad
        \nu = \frac{\text{SE}^4}{\frac{(s_c^2/n_c)^2}{n_c - 1}
        + \frac{(s_p^2/n_p)^2}{n_p - 1}}

    (Welch–Satterthwaite), interval :math:`d \pm t_{\nu,(1+\text{conf\_level})/2}\,
    \text{SE}` and two-sided p-value :math:`2\,P(T_\nu > |d/\text{SE}|)`, as R's
    ``t.test(current, previous, var.equal = FALSE)``. The waves are treated as
    independent samples (different respondents).

    Interval and p-value are :func:`pingouin.ttest` with ``correction=True``
    (Welch), unrounded: pingouin rounds the interval to two decimals by
    default (4.5e-3 off R on these rows). Unrounded they differ from R by at most
    3.4e-15 (interval) and 5.5e-15 (p), relative, on the ``welch`` rows of
    ``tests/reference/likert_basics.json``.

    Parameters
    ----------
    current, previous : pandas.DataFrame
        Wide tidy data of the current and the previous wave.
    items : sequence of str
        Numeric columns present in both waves.
    conf_level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per item with ``item``, ``n_previous``, ``n_current``,
        ``mean_previous``, ``mean_current``, ``difference`` (current − previous),
        ``ci_low``, ``ci_high`` and ``p_value``. If a wave has fewer than two
        answers, or both waves have no variance, interval and p-value are ``NaN``.

    References
    ----------
    Welch, B. L. (1947). The generalization of "Student's" problem when several
    different population variances are involved. *Biometrika* 34, 28–35. —
    Satterthwaite, F. E. (1946). An approximate distribution of estimates of
    variance components. *Biometrics Bulletin* 2, 110–114.

    Examples
    --------
    >>> prev = pd.DataFrame({"x": [3.0, 4.0, 3.0, 2.0]})
    >>> cur = pd.DataFrame({"x": [4.0, 5.0, 4.0, 3.0, 4.0]})
    >>> wave_change(cur, prev, ["x"])[["n_previous", "n_current", "difference"]].to_dict("records")
    [{'n_previous': 4, 'n_current': 5, 'difference': 1.0}]
    """
    items = as_item_list(items)
    check_columns(current, items, what="current")
    check_columns(previous, items, what="previous")
    check_conf_level(conf_level)
    rows = []
    for item in items:
        cur = numeric_column(current, item, what="current").dropna().to_numpy()
        prev = numeric_column(previous, item, what="previous").dropna().to_numpy()
        n_c, n_p = len(cur), len(prev)
        mean_c = float(cur.mean()) if n_c else np.nan
        mean_p = float(prev.mean()) if n_p else np.nan
        difference = mean_c - mean_p
        low = high = p_value = np.nan
        if n_c > 1 and n_p > 1 and (cur.var(ddof=1) > 0 or prev.var(ddof=1) > 0):
            with lazy_pingouin() as pg:
                t_test = pg.ttest(cur, prev, correction=True, confidence=conf_level)
            interval = t_test.filter(regex=r"^CI\d+$").iloc[0, 0]
            low, high = float(interval[0]), float(interval[1])
            p_value = float(t_test["p_val"].iloc[0])
        rows.append(
            {
                "item": item,
                "n_previous": n_p,
                "n_current": n_c,
                "mean_previous": mean_p,
                "mean_current": mean_c,
                "difference": difference,
                "ci_low": low,
                "ci_high": high,
                "p_value": p_value,
            }
        )
    return pd.DataFrame(
        rows,
        columns=[
            "item",
            "n_previous",
            "n_current",
            "mean_previous",
            "mean_current",
            "difference",
            "ci_low",
            "ci_high",
            "p_value",
        ],
    )
