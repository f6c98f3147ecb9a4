"""Descriptive statistics of Likert and rating items, checked against R.

Distributions (:func:`likert_distribution`), top-box shares with Wilson or
Clopper–Pearson intervals (:func:`top_box`), means with t intervals
(:func:`mean_ci`), medians with the order-statistic interval
(:func:`median_ci`) and the net promoter score (:func:`nps`). Each takes a
wave's wide tidy data and returns a tidy :class:`pandas.DataFrame`, one row per
item; with ``weights`` the intervals use Kish's effective sample size. The
reference values are computed with base R (``tests/reference/likert_basics.R``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import pandas as pd
from scipy import stats as _sps
from statsmodels.stats.proportion import proportion_confint

from welcome_eval._checks import check_columns, check_conf_level
from welcome_eval._lazy import public_dir
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.stats._common import (
    as_item_list,
    numeric_column,
    valid_answers,
    weights_array,
)
from welcome_eval.stats.proportions import PROPORTION_METHODS

__all__ = ["likert_distribution", "mean_ci", "median_ci", "nps", "top_box"]
__dir__ = public_dir(__all__)


def _kish_n_eff(w: np.ndarray) -> float:
    """Kish's effective sample size (Σw)² / Σw² (NaN if all weights are 0)."""
    total = float(w.sum())
    return total**2 / float((w**2).sum()) if total > 0 else math.nan


def _kish_proportion_ci(
    share: float, n_eff: float, method: str, conf_level: float
) -> tuple[float, float]:
    """Wilson or Clopper-Pearson interval of a weighted share with *n* = Kish's n_eff."""
    if math.isnan(share) or math.isnan(n_eff):
        return math.nan, math.nan
    a = (1 - conf_level) / 2
    if method == "wilson":
        z = float(_sps.norm.ppf((1 + conf_level) / 2))
        centre = (share + z**2 / (2 * n_eff)) / (1 + z**2 / n_eff)
        half = (
            z * math.sqrt(share * (1 - share) / n_eff + z**2 / (4 * n_eff**2)) / (1 + z**2 / n_eff)
        )
        low, high = centre - half, centre + half
    else:  # clopper-pearson with the non-integer count share * n_eff
        x = share * n_eff
        low = 0.0 if share == 0 else float(_sps.beta.ppf(a, x, n_eff - x + 1))
        high = 1.0 if share == 1 else float(_sps.beta.ppf(1 - a, x + 1, n_eff - x))
    # the limits are exactly 0 at share = 0 and 1 at share = 1
    if share == 0:
        low = 0.0
    if share == 1:
        high = 1.0
    return float(low), float(high)


# ---------------------------------------------------------------------------
# distributions and proportions


def likert_distribution(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    codebook: Codebook,
    weights: str | None = None,
) -> pd.DataFrame:
    r"""Frequency distribution of Likert (or rating) items over their valid codes.

    For item *j* and valid code *c*, with answers :math:`x_{ij}` and weights
    :math:`w_i` (all 1 without ``weights``)

    .. math::

        n_{jc} = \sum_i w_i \, [x_{ij} = c], \qquad
        n_j = \sum_c n_{jc}, \qquad
        \text{share}_{jc} = n_{jc} / n_j .

    Missing answers (``NaN``) are left out, so shares refer to valid answers
    and sum to 1 per item. Every valid code of the codebook appears, also when
    nobody chose it.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide tidy data: one row per respondent, one column per item id, answer
        codes as float, missing codes as ``NaN``.
    items : sequence of str
        Item ids (columns of ``data`` and items of ``codebook``).
    codebook : Codebook
        Provides the short label, the valid codes (scale order) and their labels.
    weights : str, optional
        Column with non-negative design or adjustment weights. ``n`` and
        ``n_valid`` are then sums of weights (weighted counts).

    Returns
    -------
    pandas.DataFrame
        One row per item × valid code, items in the given order and codes in
        scale order, with columns ``item``, ``item_label`` (short label),
        ``code`` (int), ``label`` (value label), ``n`` (count or weighted
        count), ``share`` (of the valid answers of the item; ``NaN`` if the item
        has none) and ``n_valid``.

    References
    ----------
    Agresti, A. (2018). *Statistical Methods for the Social Sciences* (5th ed.),
    ch. 3. Pearson. — Kish, L. (1965). *Survey Sampling*, ch. 11. Wiley.

    Examples
    --------
    >>> cb = Codebook.for_survey("kommunen")
    >>> df = pd.DataFrame({"zuf_gesamt": [5.0, 4.0, 4.0, float("nan")]})
    >>> dist = likert_distribution(df, ["zuf_gesamt"], codebook=cb)
    >>> dist[["code", "n", "share"]].tail(2).to_dict("list")
    {'code': [4, 5], 'n': [2, 1], 'share': [0.6666666666666666, 0.3333333333333333]}
    """
    items = as_item_list(items)
    check_columns(data, items + ([weights] if weights is not None else []))
    w = None
    if weights is not None:
        w = numeric_column(data, weights)
        if w.isna().any() or not np.isfinite(w).all() or (w < 0).any():
            raise ValueError(
                f"weights column {weights!r} must be finite and non-negative without NaN; "
                f"found {int(w.isna().sum())} NaN and {int((w < 0).sum())} negative values"
            )
    rows = []
    for item in items:
        meta = codebook[item]
        valid = valid_answers(data, item, codebook)
        # (weighted) number of answers per code; positional, so duplicate index labels are fine
        if w is None:
            counts = valid.value_counts()
        else:
            answered = data[item].notna().to_numpy()
            counts = pd.Series(w.to_numpy()[answered]).groupby(valid.to_numpy()).sum()
        n_valid = counts.sum()
        for code in meta.valid_codes:
            n = counts.get(float(code), 0)
            rows.append(
                {
                    "item": item,
                    "item_label": meta.short,
                    "code": int(code),
                    "label": meta.label_for(code),
                    "n": n,
                    "share": n / n_valid if n_valid > 0 else np.nan,
                    "n_valid": n_valid,
                }
            )
    result = pd.DataFrame(
        rows, columns=["item", "item_label", "code", "label", "n", "share", "n_valid"]
    )
    result["code"] = result["code"].astype("int64")
    numeric = "int64" if w is None else "float64"
    result["n"] = result["n"].astype(numeric)
    result["n_valid"] = result["n_valid"].astype(numeric)
    result["share"] = result["share"].astype("float64")
    return result


def top_box(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    codebook: Codebook,
    k: int = 2,
    bottom: bool = False,
    method: str = "wilson",
    conf_level: float = 0.95,
    weights: str | None = None,
) -> pd.DataFrame:
    r"""Share of the top-*k* (or bottom-*k*) answer codes with a confidence interval.

    With *x* answers among the highest *k* valid codes of the item out of *n*
    valid answers, :math:`\hat p = x / n`. Intervals:

    * ``"wilson"`` – the score interval (Wilson 1927), as R's
      ``prop.test(x, n, correct = FALSE)$conf.int``:

      .. math::

          \frac{\hat p + \frac{z^2}{2n} \pm z \sqrt{\frac{\hat p(1-\hat p)}{n}
          + \frac{z^2}{4n^2}}}{1 + \frac{z^2}{n}}, \qquad z = \Phi^{-1}\!\left(
          \tfrac{1 + \text{conf\_level}}{2}\right)

    * ``"clopper-pearson"`` – the exact interval from beta quantiles
      :math:`B(\alpha/2;\, x, n - x + 1)` and :math:`B(1 - \alpha/2;\, x + 1, n - x)`,
      as R's ``binom.test(x, n)$conf.int``.

    Both are computed by :func:`statsmodels.stats.proportion.proportion_confint`
    (methods ``"wilson"`` and ``"beta"``).

    *With weights* (``weights="w"``) the share is the weighted share
    :math:`\hat p_w = \sum_{i \in \text{box}} w_i / \sum_i w_i` over the valid
    answers, and the interval is the same formula with *n* replaced by Kish's
    effective sample size :math:`n_\text{eff} = (\sum_i w_i)^2 / \sum_i w_i^2`
    (for Clopper–Pearson with the non-integer count :math:`x = \hat p_w
    n_\text{eff}`; Kish 1992, Korn & Graubard 1998). This is a *descriptive*
    weighted estimate: the interval only accounts for the loss of precision
    through unequal weights, not for strata, clusters or calibration. For
    design-based standard errors use :class:`welcome_eval.stats.survey.Design`
    (``Design(data, weights=...).proportion(...)``).

    Parameters
    ----------
    data : pandas.DataFrame
        Wide tidy data (see :func:`likert_distribution`).
    items : sequence of str
        Item ids.
    codebook : Codebook
        Provides the valid codes (scale order) and short labels.
    k : int, default 2
        Number of codes counted from the top (or bottom) of the scale.
    bottom : bool, default False
        Count the lowest *k* codes instead of the highest.
    method : {"wilson", "clopper-pearson"}
        Interval method.
    conf_level : float, default 0.95
        Confidence level of the interval.
    weights : str, optional
        Column with non-negative weights (finite, no ``NaN``). Without it the
        result is unweighted, as before.

    Returns
    -------
    pandas.DataFrame
        One row per item with ``item``, ``item_label``, ``n`` (valid answers),
        ``count`` (answers in the box), ``share``, ``ci_low``, ``ci_high`` and
        ``method``. Items without valid answers get ``NaN`` share and interval.
        With ``weights``, ``n`` and ``count`` are sums of weights (float, as in
        :func:`likert_distribution`) and ``n_eff`` (Kish) follows ``count``.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. *JASA* 22, 209–212. — Clopper, C. J. & Pearson, E. S.
    (1934). The use of confidence or fiducial limits illustrated in the case of
    the binomial. *Biometrika* 26, 404–413. — Brown, L. D., Cai, T. T. &
    DasGupta, A. (2001). Interval estimation for a binomial proportion.
    *Statistical Science* 16, 101–133. — Kish, L. (1992). Weighting for unequal
    Pi. *Journal of Official Statistics* 8, 183–200. — Korn, E. L. & Graubard,
    B. I. (1998). Confidence intervals for proportions with small expected
    number of positive counts estimated from survey data. *Survey Methodology*
    24, 193–201.

    Examples
    --------
    >>> cb = Codebook.for_survey("kommunen")
    >>> df = pd.DataFrame({"zuf_gesamt": [5.0, 4.0, 4.0, 2.0]})
    >>> tb = top_box(df, ["zuf_gesamt"], codebook=cb)
    >>> tb[["count", "n", "share"]].to_dict("records")
    [{'count': 3, 'n': 4, 'share': 0.75}]
    >>> tbw = top_box(df.assign(w=[2.0, 1.0, 1.0, 0.0]), ["zuf_gesamt"], codebook=cb, weights="w")
    >>> tbw[["count", "n", "n_eff", "share"]].to_dict("records")
    [{'count': 4.0, 'n': 4.0, 'n_eff': 2.6666666666666665, 'share': 1.0}]
    """
    items = as_item_list(items)
    check_columns(data, items + ([weights] if weights is not None else []))
    w_all = weights_array(data, weights) if weights is not None else None
    check_conf_level(conf_level)
    if method not in PROPORTION_METHODS:
        raise ValueError(
            f"method must be one of {', '.join(map(repr, PROPORTION_METHODS))}, got {method!r}"
        )
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be a positive integer number of codes, got {k!r}")
    rows = []
    for item in items:
        meta = codebook[item]
        valid = valid_answers(data, item, codebook)
        codes = meta.valid_codes
        if k > len(codes):
            raise ValueError(f"k={k} is larger than the {len(codes)} valid codes of item {item!r}")
        box = codes[:k] if bottom else codes[-k:]
        if w_all is not None:
            w = w_all[data[item].notna().to_numpy()]
            in_box = valid.isin([float(code) for code in box]).to_numpy()
            total, count_w = float(w.sum()), float(w[in_box].sum())
            n_eff = _kish_n_eff(w)
            share = count_w / total if total > 0 else np.nan
            low, high = _kish_proportion_ci(share, n_eff, method, conf_level)
            rows.append(
                {
                    "item": item,
                    "item_label": meta.short,
                    "n": total,
                    "count": count_w,
                    "n_eff": n_eff,
                    "share": share,
                    "ci_low": low,
                    "ci_high": high,
                    "method": method,
                }
            )
            continue
        n = len(valid)
        count = int(valid.isin([float(code) for code in box]).sum())
        if n > 0:
            low, high = proportion_confint(
                count, n, alpha=1 - conf_level, method=PROPORTION_METHODS[method]
            )
            share = count / n
        else:
            low = high = share = np.nan
        rows.append(
            {
                "item": item,
                "item_label": meta.short,
                "n": n,
                "count": count,
                "share": share,
                "ci_low": float(low),
                "ci_high": float(high),
                "method": method,
            }
        )
    columns = ["item", "item_label", "n", "count", "share", "ci_low", "ci_high", "method"]
    if w_all is not None:
        columns.insert(4, "n_eff")
    return pd.DataFrame(rows, columns=columns)


# ---------------------------------------------------------------------------
# means


def mean_ci(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    conf_level: float = 0.95,
    weights: str | None = None,
) -> pd.DataFrame:
    r"""Mean of each item with a t confidence interval.

    .. math::

        \bar x \pm t_{n-1,\,(1+\text{conf\_level})/2} \; \frac{s}{\sqrt n},
        \qquad s^2 = \frac{1}{n-1}\sum_i (x_i - \bar x)^2

    as R's ``t.test(x)$conf.int``. Missing answers (``NaN``) are left out.

    *With weights* (``weights="w"``) the mean is :math:`\bar x_w = \sum_i w_i x_i
    / \sum_i w_i` (R's ``weighted.mean``), and with Kish's effective sample
    size :math:`n_\text{eff} = (\sum_i w_i)^2 / \sum_i w_i^2`

    .. math::

        s_w^2 = \frac{\sum_i w_i (x_i - \bar x_w)^2}{\sum_i w_i}\,
        \frac{n_\text{eff}}{n_\text{eff} - 1}, \qquad
        \text{SE} = \frac{s_w}{\sqrt{n_\text{eff}}}, \qquad
        \bar x_w \pm t_{n_\text{eff}-1,\,(1+\text{conf\_level})/2}\,\text{SE}.

    With all weights 1 this is the unweighted interval. It is a *descriptive*
    weighted estimate: the interval only reflects the loss of precision through
    unequal weights, not the sampling design. For design-based standard errors
    use :class:`welcome_eval.stats.survey.Design` (``Design(data, weights=...).mean(...)``).

    *Not by pingouin.* pingouin has no interval of a mean and no weights. Its
    one-sample t test ``pingouin.ttest(x, 0)`` gives R's interval when its
    rounding is switched off (relative difference ≤ 1.6e-15 on the ``mean_ci``
    rows of ``tests/reference/likert_basics.json``; with its default rounding
    up to 4.6e-3 off), but it also computes power and a Bayes factor on every
    call: 5.5 ms per item against 0.75 ms here, and this function runs for
    every district and item of a report. For answers that are all equal it
    returns a ``NaN`` interval with three warnings; this function returns
    ``[mean, mean]``.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide tidy data (see :func:`likert_distribution`).
    items : sequence of str
        Numeric columns of ``data``.
    conf_level : float, default 0.95
        Confidence level of the interval.
    weights : str, optional
        Column with non-negative weights (finite, no ``NaN``). Without it the
        result is unweighted, as before.

    Returns
    -------
    pandas.DataFrame
        One row per item with ``item``, ``n``, ``mean``, ``sd`` (ddof = 1),
        ``se``, ``ci_low`` and ``ci_high``. With fewer than two answers the
        standard deviation and the interval are ``NaN``. With ``weights``,
        ``n`` is still the number of valid answers, ``n_eff`` (Kish) follows
        it, ``sd`` is :math:`s_w` and the interval is ``NaN`` unless
        :math:`n_\text{eff} > 1`.

    References
    ----------
    Student (1908). The probable error of a mean. *Biometrika* 6, 1–25. —
    Agresti, A. (2018). *Statistical Methods for the Social Sciences* (5th ed.),
    ch. 5. Pearson. — Kish, L. (1992). Weighting for unequal Pi. *Journal of
    Official Statistics* 8, 183–200.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    >>> mean_ci(df, ["x"])[["n", "mean", "sd"]].iloc[0].tolist()
    [4.0, 2.5, 1.2909944487358056]
    >>> weighted = mean_ci(df.assign(w=[1.0, 1.0, 1.0, 3.0]), ["x"], weights="w")
    >>> weighted[["mean", "n_eff"]].iloc[0].tolist()
    [3.0, 3.0]
    """
    items = as_item_list(items)
    check_columns(data, items + ([weights] if weights is not None else []))
    check_conf_level(conf_level)
    if weights is not None:
        return _weighted_mean_ci(data, items, weights_array(data, weights), conf_level)
    rows = []
    for item in items:
        values = numeric_column(data, item).dropna().to_numpy()
        n = len(values)
        mean = float(values.mean()) if n else np.nan
        sd = float(values.std(ddof=1)) if n > 1 else np.nan
        se = sd / math.sqrt(n) if n > 1 else np.nan
        if n > 1:
            half = _sps.t.ppf((1 + conf_level) / 2, n - 1) * se
            low, high = mean - half, mean + half
        else:
            low = high = np.nan
        rows.append(
            {"item": item, "n": n, "mean": mean, "sd": sd, "se": se, "ci_low": low, "ci_high": high}
        )
    return pd.DataFrame(rows, columns=["item", "n", "mean", "sd", "se", "ci_low", "ci_high"])


def _weighted_mean_ci(
    data: pd.DataFrame, items: list[str], w_all: np.ndarray, conf_level: float
) -> pd.DataFrame:
    """The weighted branch of :func:`mean_ci` (Kish n_eff, t interval)."""
    rows = []
    for item in items:
        values = numeric_column(data, item).to_numpy()
        answered = ~np.isnan(values)
        x, w = values[answered], w_all[answered]
        total = float(w.sum())
        n_eff = _kish_n_eff(w)
        mean = float(np.sum(w * x) / total) if total > 0 else np.nan
        sd = se = low = high = np.nan
        if n_eff > 1:
            sd = math.sqrt(float(np.sum(w * (x - mean) ** 2)) / total * n_eff / (n_eff - 1))
            se = sd / math.sqrt(n_eff)
            half = float(_sps.t.ppf((1 + conf_level) / 2, n_eff - 1)) * se
            low, high = mean - half, mean + half
        rows.append(
            {
                "item": item,
                "n": int(answered.sum()),
                "n_eff": n_eff,
                "mean": mean,
                "sd": sd,
                "se": se,
                "ci_low": low,
                "ci_high": high,
            }
        )
    return pd.DataFrame(
        rows, columns=["item", "n", "n_eff", "mean", "sd", "se", "ci_low", "ci_high"]
    )


# ---------------------------------------------------------------------------
# net promoter score


def nps(
    values: pd.Series, *, conf_level: float = 0.95, weights: pd.Series | None = None
) -> pd.DataFrame:
    r"""Net promoter score of a 0–10 recommendation question, with a normal interval.

    Answers 9–10 are promoters, 7–8 passives, 0–6 detractors. With the shares
    :math:`p_P` and :math:`p_D` among the *n* valid answers

    .. math::

        \text{NPS} = 100\,(p_P - p_D), \qquad
        \text{SE} = 100 \sqrt{\frac{p_P + p_D - (p_P - p_D)^2}{n}},

    (the multinomial variance of a difference of two shares) and the interval
    is :math:`\text{NPS} \pm z\,\text{SE}` with
    :math:`z = \Phi^{-1}((1 + \text{conf\_level})/2)`.

    Parameters
    ----------
    values : pandas.Series
        Answers on the 0–10 scale (whole numbers); ``NaN`` is left out.
    conf_level : float, default 0.95
        Confidence level of the interval.
    weights : pandas.Series, optional
        Weights aligned with ``values``. The shares are then weighted and the
        SE uses Kish's effective sample size
        :math:`n_\text{eff} = (\sum w)^2 / \sum w^2` in place of *n*: a
        descriptive interval; for design-based errors use
        :class:`welcome_eval.stats.survey.Design` with 0/1 promoter and detractor columns.

    Returns
    -------
    pandas.DataFrame
        One row with ``n``, ``promoters``, ``passives``, ``detractors`` (shares),
        ``nps`` (−100 to +100), ``se``, ``ci_low`` and ``ci_high``. Without
        valid answers everything but ``n`` is ``NaN``.

    Raises
    ------
    ValueError
        If a value is not a whole number between 0 and 10 (e.g. an unconverted
        missing code such as -99).

    References
    ----------
    Reichheld, F. F. (2003). The one number you need to grow. *Harvard Business
    Review* 81(12), 46–54. — Rocks, B. (2016). Interval estimation for the
    "net promoter score". *The American Statistician* 70(4), 365–372.

    Examples
    --------
    >>> nps(pd.Series([10, 9, 8, 3]))[["n", "nps"]].iloc[0].tolist()
    [4.0, 25.0]
    >>> weighted = nps(pd.Series([10, 9, 8, 3]), weights=pd.Series([1.0, 1.0, 1.0, 3.0]))
    >>> round(weighted["nps"].item(), 6)
    -16.666667
    """
    check_conf_level(conf_level)
    if isinstance(values, pd.DataFrame):
        raise TypeError("nps() takes one column (a Series), e.g. nps(data['weiterempfehlung'])")
    series = pd.Series(values)
    name = f"column {series.name!r}" if series.name is not None else "values"
    if pd.api.types.is_bool_dtype(series) or not pd.api.types.is_numeric_dtype(series):
        raise ValueError(f"{name} has dtype {series.dtype}; expected numbers on the 0–10 scale")
    valid = series.dropna().astype(float)
    bad = valid[(valid < 0) | (valid > 10) | (valid != np.round(valid))]
    if len(bad):
        shown = ", ".join(f"{value:g}" for value in sorted(bad.unique())[:10])
        raise ValueError(
            f"{name} must hold whole numbers from 0 to 10 for the NPS; found {shown}. "
            "Turn missing codes (e.g. -99) into NaN first."
        )
    n = len(valid)
    if weights is None:
        w = np.ones(n)
    else:
        w = pd.Series(weights).reindex(valid.index).to_numpy(dtype=float)
        if np.isnan(w).any() or (w <= 0).any() or not np.isfinite(w).all():
            raise ValueError("weights must be positive and finite for every valid answer")
    if n == 0:
        promoters = passives = detractors = score = se = low = high = np.nan
    else:
        total = w.sum()
        promoters = float(w[(valid >= 9).to_numpy()].sum() / total)
        passives = float(w[((valid >= 7) & (valid <= 8)).to_numpy()].sum() / total)
        detractors = float(w[(valid <= 6).to_numpy()].sum() / total)
        score = 100 * (promoters - detractors)
        variance = promoters + detractors - (promoters - detractors) ** 2
        size = n if weights is None else _kish_n_eff(w)
        se = 100 * math.sqrt(max(variance, 0.0) / size)
        z = _sps.norm.ppf((1 + conf_level) / 2)
        low, high = score - z * se, score + z * se
    return pd.DataFrame(
        [
            {
                "n": n,
                "promoters": promoters,
                "passives": passives,
                "detractors": detractors,
                "nps": score,
                "se": se,
                "ci_low": low,
                "ci_high": high,
            }
        ]
    )


# ---------------------------------------------------------------------------
# medians


def _order_statistic_index(n: int, conf_level: float) -> int:
    """R's ``qbinom((1 - conf_level) / 2, n, 0.5)``: the lower order statistic of the interval."""
    return int(_sps.binom.ppf((1 - conf_level) / 2, n, 0.5))


def _weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    """Smallest x whose weighted CDF reaches 0.5 (NaN without positive weight)."""
    order = np.argsort(x, kind="stable")
    # R's cumsum() and sum() accumulate in long double and return doubles
    cumulative = np.cumsum(w[order], dtype=np.longdouble)
    if len(cumulative) == 0 or not cumulative[-1] > 0:
        return math.nan
    total = float(cumulative[-1])
    reached = np.flatnonzero(cumulative.astype(float) >= 0.5 * total)
    return float(x[order][reached[0]])


def median_ci(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    conf_level: float = 0.95,
    weights: str | None = None,
) -> pd.DataFrame:
    r"""Median of each item with the distribution-free order-statistic interval.

    *Unweighted.* The median is R's ``median(x)`` (the mean of the two middle
    values for even *n*). The interval inverts the sign test (Conover 1999,
    § 3.2): with :math:`x_{(1)} \le \dots \le x_{(n)}` the sorted answers and

    .. math::

        l = \min\{k : P(B \le k) \ge \alpha/2\}, \quad B \sim \text{Bin}(n, 1/2),
        \qquad \alpha = 1 - \text{conf\_level},

    i.e. ``l = qbinom(alpha / 2, n, 0.5)`` in R, the interval is
    :math:`[x_{(l)},\, x_{(n-l+1)}]`, with actual coverage
    :math:`1 - 2 P(B \le l - 1) \ge \text{conf\_level}`. This is the rule of
    ``DescTools::MedianCI(method = "exact")`` (via ``DescTools::SignTest``),
    the "SAS way". If :math:`l = 0` (e.g. *n* ≤ 5 at 95 %) no pair of order
    statistics reaches the level and the interval is ``NaN``. Ties are no
    problem: the limits are observed values, so for a 5-point item they are
    usually answer codes.

    *Weighted* (``weights="w"``): the weighted median, the smallest answer
    whose weighted distribution function reaches 0.5,
    :math:`\min\{x_i : \sum_j w_j [x_j \le x_i] \ge \tfrac12 \sum_j w_j\}`
    (R survey's ``qrule = "math"``), without an interval (``NaN``): the
    order-statistic interval has no weighted counterpart. Use
    :meth:`welcome_eval.stats.survey.Design.quantile` for a design-based (Woodruff)
    interval.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide tidy data (see :func:`likert_distribution`).
    items : sequence of str
        Numeric columns of ``data``; ``NaN`` is left out.
    conf_level : float, default 0.95
        Confidence level of the interval.
    weights : str, optional
        Column with non-negative weights (finite, no ``NaN``).

    Returns
    -------
    pandas.DataFrame
        One row per item with ``item``, ``n`` (valid answers), ``median``,
        ``ci_low`` and ``ci_high``. Without answers everything but ``n`` is
        ``NaN``.

    References
    ----------
    Conover, W. J. (1999). *Practical Nonparametric Statistics* (3rd ed.),
    § 3.2. Wiley. — Signorell, A. et al. (2022). *DescTools: Tools for
    Descriptive Statistics*, ``MedianCI``, ``SignTest``. R package. — Lumley,
    T. (2010). *Complex Surveys*, § 2.4. Wiley.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1.0, 2, 2, 3, 3, 3, 4, 4, 5, 5]})
    >>> median_ci(df, ["x"]).to_dict("records")
    [{'item': 'x', 'n': 10, 'median': 3.0, 'ci_low': 2.0, 'ci_high': 5.0}]
    >>> median_ci(df.assign(w=[5.0, 1, 1, 1, 1, 1, 1, 1, 1, 1]), ["x"], weights="w")["median"]
    0    2.0
    Name: median, dtype: float64
    """
    items = as_item_list(items)
    check_columns(data, items + ([weights] if weights is not None else []))
    check_conf_level(conf_level)
    w_all = weights_array(data, weights) if weights is not None else None
    rows = []
    for item in items:
        values = numeric_column(data, item).to_numpy()
        answered = ~np.isnan(values)
        x = values[answered]
        n = len(x)
        low = high = np.nan
        if w_all is not None:
            median = _weighted_median(x, w_all[answered])
        elif n == 0:
            median = np.nan
        else:
            median = float(np.median(x))
            k = _order_statistic_index(n, conf_level)
            if k >= 1:
                ordered = np.sort(x)
                low, high = float(ordered[k - 1]), float(ordered[n - k])
        rows.append({"item": item, "n": n, "median": median, "ci_low": low, "ci_high": high})
    return pd.DataFrame(rows, columns=["item", "n", "median", "ci_low", "ci_high"])
