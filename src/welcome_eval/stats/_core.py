"""Descriptive statistics for Likert and rating items, checked against R.

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
lacks). pingouin is imported on first use, not with this module: it adds about
0.7 s (scikit-learn, xarray).

Functions that need item labels or the valid codes of a scale take the
survey's :class:`~welcome_eval.ingest.codebook.Codebook` as the keyword argument
``codebook``. The reference values in ``tests/reference/likert_basics.json``
are computed with base R (``tests/reference/likert_basics.R``) and the tests
require agreement to 1e-10 relative tolerance.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from types import ModuleType
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _sps
from statsmodels.stats.proportion import proportion_confint

from welcome_eval._checks import check_columns, renamed_arguments
from welcome_eval._checks import check_conf_level as _check_conf_level
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.present import german_format

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
    "describe_change",
    "describe_comparison",
    "likert_distribution",
    "mean_ci",
    "median_ci",
    "nps",
    "p_adjust",
    "proportion_ci",
    "top_box",
    "trend_table",
    "wave_change",
]

#: Interval methods of :func:`top_box` and the statsmodels method behind each.
PROPORTION_METHODS: dict[str, str] = {"wilson": "wilson", "clopper-pearson": "beta"}
#: Interval methods of :func:`proportion_ci` and the statsmodels method behind each.
PROPORTION_CI_METHODS: dict[str, str] = {
    **PROPORTION_METHODS,
    "agresti-coull": "agresti_coull",
    "wald": "normal",
}


# ---------------------------------------------------------------------------
# pingouin


@contextmanager
def _pingouin() -> Iterator[ModuleType]:
    """pingouin, imported on first use, with all of its rounding switched off.

    ``import pingouin`` costs about 0.7 s (it imports scikit-learn and xarray), so
    it happens here and not when :mod:`welcome_eval.stats` is imported. pingouin
    rounds output columns by the global ``pingouin.options`` (by default
    ``round.column.CI95 = 2``: t intervals to two decimals, up to 5e-3 away from
    R). For the call every ``round`` option is cleared; the user's options are
    restored afterwards. Two warnings are silenced: scipy's "Precision loss …
    catastrophic cancellation", which fires on a group whose answers are all
    equal (the variance is exactly 0, nothing is lost), and pandas 3.1's
    deprecation of ``dropna(inplace=True)``, which :func:`pingouin.anova` uses
    (pandas 4 will remove it; the reference tests will then fail loudly).
    """
    import pingouin

    saved = dict(pingouin.options)
    pingouin.options.clear()
    pingouin.options.update({k: v for k, v in saved.items() if not k.startswith("round")})
    pingouin.options["round"] = None
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="Precision loss occurred in moment calculation"
            )
            warnings.filterwarnings(
                "ignore", message="The inplace keyword", category=DeprecationWarning
            )
            yield pingouin
    finally:
        pingouin.options.clear()
        pingouin.options.update(saved)


# ---------------------------------------------------------------------------
# input checks


def _as_item_list(items: Sequence[str] | str) -> list[str]:
    if isinstance(items, str):
        return [items]
    items = list(items)
    if not items:
        raise ValueError("items is empty; pass at least one item id (a column of data)")
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"item ids must be strings, got {item!r} ({type(item).__name__})")
    return items


def _check_columns(data: pd.DataFrame, columns: Sequence[str], *, what: str = "data") -> None:
    check_columns(data, columns, what)


def _numeric_column(data: pd.DataFrame, column: str, *, what: str = "data") -> pd.Series:
    values = data[column]
    if isinstance(values, pd.DataFrame):
        raise ValueError(f"column {column!r} appears more than once in {what}")
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        raise ValueError(
            f"column {column!r} in {what} has dtype {values.dtype}; expected numeric answer "
            "codes (float, missing codes as NaN)"
        )
    return values.astype(float)


def _weights_array(data: pd.DataFrame, weights: str) -> np.ndarray:
    """The weights column as a float array, checked like in :func:`likert_distribution`."""
    w = _numeric_column(data, weights)
    if w.isna().any() or not np.isfinite(w).all() or (w < 0).any():
        raise ValueError(
            f"weights column {weights!r} must be finite and non-negative without NaN; "
            f"found {int(w.isna().sum())} NaN and {int((w < 0).sum())} negative values"
        )
    return w.to_numpy()


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


def _valid_answers(data: pd.DataFrame, item: str, codebook: Codebook) -> pd.Series:
    """Non-missing answers of one item, checked against the item's valid codes."""
    values = _numeric_column(data, item)
    codes = codebook[item].valid_codes
    if not codes:
        raise ValueError(
            f"item {item!r} has no valid codes in codebook {codebook.survey!r} "
            f"(type {codebook[item].type!r}); only Likert, rating and categorical items qualify"
        )
    valid = values.dropna()
    unexpected = sorted(set(valid.unique()) - {float(code) for code in codes})
    if unexpected:
        shown = ", ".join(f"{value:g}" for value in unexpected[:10])
        raise ValueError(
            f"column {item!r} contains values that are not valid codes of the item "
            f"({shown}); valid codes are {codes}. Turn missing codes (e.g. -9, -99) "
            "into NaN before computing statistics."
        )
    return valid


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
    items = _as_item_list(items)
    _check_columns(data, items + ([weights] if weights is not None else []))
    w = None
    if weights is not None:
        w = _numeric_column(data, weights)
        if w.isna().any() or not np.isfinite(w).all() or (w < 0).any():
            raise ValueError(
                f"weights column {weights!r} must be finite and non-negative without NaN; "
                f"found {int(w.isna().sum())} NaN and {int((w < 0).sum())} negative values"
            )
    rows = []
    for item in items:
        meta = codebook[item]
        valid = _valid_answers(data, item, codebook)
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
    items = _as_item_list(items)
    _check_columns(data, items + ([weights] if weights is not None else []))
    w_all = _weights_array(data, weights) if weights is not None else None
    _check_conf_level(conf_level)
    if method not in PROPORTION_METHODS:
        raise ValueError(
            f"method must be one of {', '.join(map(repr, PROPORTION_METHODS))}, got {method!r}"
        )
    if isinstance(k, bool) or not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be a positive integer number of codes, got {k!r}")
    rows = []
    for item in items:
        meta = codebook[item]
        valid = _valid_answers(data, item, codebook)
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
    items = _as_item_list(items)
    _check_columns(data, items + ([weights] if weights is not None else []))
    _check_conf_level(conf_level)
    if weights is not None:
        return _weighted_mean_ci(data, items, _weights_array(data, weights), conf_level)
    rows = []
    for item in items:
        values = _numeric_column(data, item).dropna().to_numpy()
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
        values = _numeric_column(data, item).to_numpy()
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
    _check_conf_level(conf_level)
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
# change between waves


def trend_table(
    waves: Mapping[str, pd.DataFrame],
    items: Sequence[str],
    *,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """:func:`mean_ci` of each item in each wave, stacked for a trend figure.

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
        The columns of :func:`mean_ci` plus ``wave`` (first), one row per wave
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
    items = _as_item_list(items)
    _check_columns(current, items, what="current")
    _check_columns(previous, items, what="previous")
    _check_conf_level(conf_level)
    rows = []
    for item in items:
        cur = _numeric_column(current, item, what="current").dropna().to_numpy()
        prev = _numeric_column(previous, item, what="previous").dropna().to_numpy()
        n_c, n_p = len(cur), len(prev)
        mean_c = float(cur.mean()) if n_c else np.nan
        mean_p = float(prev.mean()) if n_p else np.nan
        difference = mean_c - mean_p
        low = high = p_value = np.nan
        if n_c > 1 and n_p > 1 and (cur.var(ddof=1) > 0 or prev.var(ddof=1) > 0):
            with _pingouin() as pg:
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


def _format_p(p: float, alpha: float) -> str:
    """``p = 0,03`` / ``p = 0,004`` / ``p < 0,001``, never rounding onto the other side of alpha."""
    if p < 0.001:
        return "p < " + german_format.number(0.001, 3)
    digits = 2 if p >= 0.01 else 3
    while digits < 4 and (round(p, digits) >= alpha) != (p >= alpha):
        digits += 1
    return "p = " + german_format.number(p, digits)


def describe_change(
    row: Mapping[str, object] | pd.Series,
    *,
    item_label: str | None = None,
    subject: str = "Die Zufriedenheit mit „{item_label}“",
    unit: str = "Punkte",
    digits: int = 1,
    conf_level: float = 0.95,
    alpha: float = 0.05,
) -> str:
    """One plain-German sentence describing one row of :func:`wave_change`.

    The direction follows the difference rounded to ``digits``: a difference
    that rounds to zero reads "hat sich kaum verändert". The difference is
    called "statistisch auffällig" if ``p_value < alpha``.

    Parameters
    ----------
    row : pandas.Series or mapping
        One row of :func:`wave_change` (``difference``, ``ci_low``, ``ci_high``,
        ``p_value``).
    item_label : str, optional
        German label of the item; defaults to ``row["item_label"]`` if present,
        else ``row["item"]``.
    subject : str
        Subject of the sentence; ``{item_label}`` is replaced by the label.
    unit : str, default "Punkte"
        Unit of the difference (scale points).
    digits : int, default 1
        Decimal places of difference and interval.
    conf_level : float, default 0.95
        Confidence level used in :func:`wave_change` (only for the wording).
    alpha : float, default 0.05
        Significance level.

    Returns
    -------
    str

    References
    ----------
    Wasserstein, R. L. & Lazar, N. A. (2016). The ASA statement on p-values.
    *The American Statistician* 70(2), 129–133.

    Examples
    --------
    >>> row = pd.Series({"difference": 0.31, "ci_low": 0.12, "ci_high": 0.5, "p_value": 0.012})
    >>> describe_change(row, item_label="Runder Tisch und Erfahrungsaustausch")
    'Die Zufriedenheit mit „Runder Tisch und Erfahrungsaustausch“ ist gegenüber der Vorwelle \
um 0,3 Punkte gestiegen (95-%-KI: 0,1 bis 0,5); der Unterschied ist statistisch auffällig \
(p = 0,01).'
    """
    for key in ("difference", "ci_low", "ci_high", "p_value"):
        if key not in row:
            raise KeyError(f"row has no {key!r}; pass one row of wave_change()")
    if item_label is None:
        item_label = str(row["item_label"] if "item_label" in row else row.get("item", ""))
    _check_conf_level(conf_level)
    diff = float(row["difference"])  # type: ignore[arg-type]
    low, high = float(row["ci_low"]), float(row["ci_high"])  # type: ignore[arg-type]
    p_value = float(row["p_value"])  # type: ignore[arg-type]
    head = subject.format(item_label=item_label)
    level = german_format.number(conf_level * 100, 0 if (conf_level * 100).is_integer() else 1)
    ci = (
        f"{level}-%-KI: {german_format.number(low, digits)} bis "
        f"{german_format.number(high, digits)}"
    )
    if math.isnan(diff):
        return f"{head} lässt sich nicht mit der Vorwelle vergleichen (zu wenige Antworten)."
    if round(abs(diff), digits) == 0:
        sentence = (
            f"{head} hat sich gegenüber der Vorwelle kaum verändert "
            f"(Differenz: {german_format.signed(diff, digits)} {unit}; {ci})"
        )
    else:
        verb = "gestiegen" if diff > 0 else "gesunken"
        sentence = (
            f"{head} ist gegenüber der Vorwelle um {german_format.number(abs(diff), digits)} "
            f"{unit} {verb} ({ci})"
        )
    if math.isnan(p_value):
        return sentence + "; ein Test auf einen Unterschied ist nicht möglich."
    if p_value < alpha:
        verdict = f"statistisch auffällig ({_format_p(p_value, alpha)})"
        return f"{sentence}; der Unterschied ist {verdict}."
    return sentence + "; der Unterschied ist statistisch nicht auffällig."


# ---------------------------------------------------------------------------
# binomial proportions


@renamed_arguments(level="conf_level")
def proportion_ci(
    successes: int,
    n: int,
    *,
    method: str = "wilson",
    conf_level: float = 0.95,
) -> tuple[float, float]:
    r"""Confidence interval for a binomial proportion :math:`\hat p = x / n`.

    With :math:`z = \Phi^{-1}((1 + \text{conf_level})/2)`:

    * ``"wilson"`` – score interval (Wilson 1927), as R's
      ``prop.test(x, n, correct = FALSE)$conf.int``:
      :math:`\bigl(\hat p + \tfrac{z^2}{2n} \pm z\sqrt{\hat p(1-\hat p)/n + z^2/(4n^2)}\bigr)
      / (1 + z^2/n)`.
    * ``"clopper-pearson"`` – exact interval from beta quantiles
      :math:`B(\alpha/2;\, x, n-x+1)` and :math:`B(1-\alpha/2;\, x+1, n-x)`, with
      limits 0 for *x* = 0 and 1 for *x* = *n*, as R's ``binom.test(x, n)$conf.int``.
    * ``"agresti-coull"`` – the Wald interval around the adjusted proportion
      (Agresti & Coull 1998): :math:`\tilde n = n + z^2`,
      :math:`\tilde p = (x + z^2/2)/\tilde n`,
      :math:`\tilde p \pm z\sqrt{\tilde p(1-\tilde p)/\tilde n}`.
    * ``"wald"`` – :math:`\hat p \pm z\sqrt{\hat p(1-\hat p)/n}`. Shown for
      comparison only: it undercovers badly for small *n* or extreme
      :math:`\hat p` and collapses to a single point for *x* = 0 or *x* = *n*
      (Brown, Cai & DasGupta 2001).

    Agresti–Coull and Wald limits are truncated to [0, 1], and every lower
    (upper) limit is exactly 0 (1) when *x* = 0 (*x* = *n*). All four are
    computed by :func:`statsmodels.stats.proportion.proportion_confint`
    (methods ``"wilson"``, ``"beta"``, ``"agresti_coull"``, ``"normal"``); the
    tests compare them with R (``tests/reference/reliability.R``).

    Parameters
    ----------
    successes : int
        Number of successes *x*, ``0 <= x <= n``.
    n : int
        Number of trials, at least 1.
    method : {"wilson", "clopper-pearson", "agresti-coull", "wald"}
        Interval method.
    conf_level : float, default 0.95
        Confidence level, between 0 and 1.

    Returns
    -------
    tuple of float
        ``(low, high)``.

    Raises
    ------
    ValueError
        If ``n`` is 0 (a proportion of nothing has no interval), ``successes``
        is outside 0 … ``n``, either is not a whole number, or ``method`` or
        ``conf_level`` is unknown or out of range.

    References
    ----------
    Wilson, E. B. (1927). *JASA* 22, 209–212. — Clopper, C. J. & Pearson, E. S.
    (1934). *Biometrika* 26, 404–413. — Agresti, A. & Coull, B. A. (1998).
    Approximate is better than "exact" for interval estimation of binomial
    proportions. *The American Statistician* 52, 119–126. — Brown, L. D.,
    Cai, T. T. & DasGupta, A. (2001). *Statistical Science* 16, 101–133.

    Examples
    --------
    >>> [round(limit, 6) for limit in proportion_ci(3, 10)]
    [0.107791, 0.603222]
    >>> [round(limit, 6) for limit in proportion_ci(0, 10, method="clopper-pearson")]
    [0.0, 0.308497]
    """
    for name, value in (("successes", successes), ("n", n)):
        if isinstance(value, bool) or not isinstance(value, int | np.integer):
            raise ValueError(f"{name} must be a whole number (int), got {value!r}")
    if n < 1:
        raise ValueError(
            f"n must be at least 1, got {n}; a proportion of zero answers has no interval"
        )
    if not 0 <= successes <= n:
        raise ValueError(f"successes must be between 0 and n={n}, got {successes}")
    if method not in PROPORTION_CI_METHODS:
        raise ValueError(
            f"method must be one of {', '.join(map(repr, PROPORTION_CI_METHODS))}, got {method!r}"
        )
    if not (isinstance(conf_level, int | float) and 0 < conf_level < 1):
        raise ValueError(f"conf_level must be between 0 and 1 (e.g. 0.95), got {conf_level!r}")
    low, high = proportion_confint(
        int(successes), int(n), alpha=1 - conf_level, method=PROPORTION_CI_METHODS[method]
    )
    # The Wilson limits are exactly 0 at x = 0 and 1 at x = n (as in R's prop.test);
    # the floating-point formula can land one ulp inside.
    if successes == 0:
        low = 0.0
    if successes == n:
        high = 1.0
    return float(low), float(high)


# ---------------------------------------------------------------------------
# reliability

#: Missing-value handling of :func:`cronbach_alpha`.
NAN_POLICIES = ("pairwise", "listwise")


@dataclass(frozen=True, eq=False)
class AlphaResult:
    """Result of :func:`cronbach_alpha`.

    Attributes
    ----------
    alpha : float
        Raw coefficient alpha from the covariance matrix (psych's ``raw_alpha``).
    std_alpha : float
        Standardised alpha from the correlation matrix (psych's ``std.alpha``).
    ci_low, ci_high : float
        Feldt et al. (1987) confidence interval of ``alpha`` (psych's ``$feldt``).
    ci : float
        Confidence level of the interval.
    ase : float
        Duhachek & Iacobucci (2004) asymptotic standard error of ``alpha``
        (psych's ``total$ase``); ``alpha ± z·ase`` is psych's "Duhachek" interval.
    n : int
        Respondents used (see :func:`cronbach_alpha` for the missing-value rule).
    n_items : int
        Number of items.
    mean, sd : float
        Mean and standard deviation (ddof = 1) of the scale score, the mean of
        the answered (reverse-keyed) items of each respondent (psych's
        ``total$mean`` and ``total$sd``).
    nan_policy : str
        ``"pairwise"`` or ``"listwise"``.
    items : pandas.DataFrame
        One row per item: ``item``, ``reversed`` (bool), ``n`` (answers),
        ``mean`` (after reverse keying), ``r_drop`` (correlation of the item
        with the sum of the other items, psych's ``r.drop``),
        ``alpha_if_deleted`` (raw alpha of the other items, psych's
        ``alpha.drop$raw_alpha``) and ``std_alpha_if_deleted``.
    """

    alpha: float
    std_alpha: float
    ci_low: float
    ci_high: float
    ci: float
    ase: float
    n: int
    n_items: int
    mean: float
    sd: float
    nan_policy: str
    items: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The scale-level results as a one-row :class:`pandas.DataFrame`.

        Columns ``alpha``, ``std_alpha``, ``ci_low``, ``ci_high``, ``ci``,
        ``ase``, ``n``, ``n_items``, ``mean``, ``sd`` and ``nan_policy``; the
        per-item table is :attr:`items`.

        Examples
        --------
        >>> df = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [2.0, 2, 3, 5, 4]})
        >>> list(cronbach_alpha(df).to_frame().columns[:4])
        ['alpha', 'std_alpha', 'ci_low', 'ci_high']
        """
        fields = (
            "alpha",
            "std_alpha",
            "ci_low",
            "ci_high",
            "ci",
            "ase",
            "n",
            "n_items",
            "mean",
            "sd",
            "nan_policy",
        )
        return pd.DataFrame([{name: getattr(self, name) for name in fields}])


def _raw_alpha(items: pd.DataFrame, nan_policy: str) -> float:
    """psych's ``raw_alpha`` by :func:`pingouin.cronbach_alpha` (its interval is not used)."""
    with _pingouin() as pg:
        alpha, _ = pg.cronbach_alpha(items, nan_policy=nan_policy)
    return float(alpha)


def _std_alpha(corr: np.ndarray) -> float:
    k = corr.shape[0]
    return float((1 - k / corr.sum()) * k / (k - 1))


@renamed_arguments(ci="conf_level")
def cronbach_alpha(
    items: pd.DataFrame,
    *,
    reverse: Sequence[str] = (),
    scale: tuple[float, float] | None = None,
    nan_policy: str = "pairwise",
    conf_level: float = 0.95,
) -> AlphaResult:
    r"""Cronbach's alpha of a multi-item scale, as ``psych::alpha`` computes it.

    With the item covariance matrix :math:`C` (*k* × *k*, ddof = 1), its
    correlation matrix :math:`R` (``cov2cor(C)``) and *n* respondents:

    .. math::

        \alpha = \frac{k}{k-1}\Bigl(1 - \frac{\operatorname{tr} C}{\sum_{ij} C_{ij}}\Bigr),
        \qquad
        \alpha_\text{std} = \frac{k}{k-1}\Bigl(1 - \frac{k}{\sum_{ij} R_{ij}}\Bigr).

    *By pingouin and by hand.* ``alpha`` and ``alpha_if_deleted`` are
    :func:`pingouin.cronbach_alpha`, which equals psych's ``raw_alpha`` (on
    ``tests/reference/reliability.json``: relative difference ≤ 1.2e-15 for
    alpha, ≤ 5.7e-15 for alpha if deleted, pairwise and listwise). Its
    interval is not used: pingouin rounds it to 3 decimals (off psych's Feldt
    limits by up to 4.7e-4: 0.000467 at the lower limit of ``agree_raw``,
    0.000419 at the upper limit of ``consc``) and in listwise mode it takes
    *n* as the row count *before* incomplete rows are dropped (``agree_listwise``:
    2800 instead of 2709 rows; before rounding its limits are then +3.0e-4 and
    −2.8e-4 off psych's, an interval too narrow). pingouin has no standardised alpha,
    no ``ase``, no ``r_drop`` and no item statistics, so these and the Feldt
    interval are computed here.

    *Interval.* ``psych::alpha`` (2.2.9) returns the Feldt interval as
    ``$feldt`` (from ``psych::alpha.ci``, printed first as "Feldt"); the
    Duhachek interval is only formed when printing, with a fixed 1.96. This
    function reports the Feldt interval (Feldt, Woodruff & Salih 1987), with
    :math:`F` quantiles on :math:`n-1` and :math:`(n-1)(k-1)` degrees of freedom:

    .. math::

        \bigl[\,1 - (1-\alpha)\,F_{1-p/2},\; 1 - (1-\alpha)\,F_{p/2}\,\bigr],
        \qquad p = 1 - \text{conf_level},

    and the Duhachek & Iacobucci (2004) standard error as ``ase``:
    :math:`\text{ase}^2 = Q/n`, :math:`Q = \frac{2k^2}{(k-1)^2 (\mathbf 1'C\mathbf 1)^3}
    \bigl[\mathbf 1'C\mathbf 1\,(\operatorname{tr}C^2 + (\operatorname{tr}C)^2)
    - 2\operatorname{tr}C\;\mathbf 1'C^2\mathbf 1\bigr]`.

    *Per item.* ``r_drop`` is the correlation of item *i* with the sum of the
    other items, :math:`(\sum_j C_{ij} - C_{ii}) / \sqrt{C_{ii}\,
    \sum_{j,l \ne i} C_{jl}}`; ``alpha_if_deleted`` is :math:`\alpha` of the
    other *k* − 1 items (``NaN`` for a two-item scale, where it is undefined;
    psych reports a different quantity there).

    *Reverse keying* follows psych: an item in ``reverse`` becomes
    :math:`(\min + \max) - x`, where min and max are those of the whole item
    matrix (all items, all respondents) unless ``scale=(min, max)`` is given.
    Alpha, ``r_drop`` and the interval depend only on which items are
    reversed; the means depend on the min and max used. Pass the scale's end
    points (or use :func:`alpha_for_construct`) so that an unused end category
    does not shift the means.

    *Missing answers.* ``"pairwise"`` (psych's default, ``use = "pairwise"``)
    computes every covariance from the respondents who answered both items;
    *n* is the number of respondents with at least one answer (psych counts all
    rows, also rows without any answer, so the two agree whenever no row is
    empty). ``"listwise"`` first drops every respondent with a missing answer,
    and *n* is the number of complete rows *after* dropping, also in the
    interval (pingouin 0.7 uses the row count before dropping there, see above;
    this function does not copy that).

    Parameters
    ----------
    items : pandas.DataFrame
        One column per item, one row per respondent, numeric answer codes with
        missing answers as ``NaN``. At least two items.
    reverse : sequence of str, optional
        Columns to reverse-key.
    scale : tuple of float, optional
        ``(min, max)`` of the answer scale for reverse keying; every answer
        must lie within it.
    nan_policy : {"pairwise", "listwise"}
        Handling of missing answers (see above).
    conf_level : float, default 0.95
        Confidence level of the Feldt interval.

    Returns
    -------
    AlphaResult
        ``alpha``, ``std_alpha``, ``ci_low``, ``ci_high``, ``ase``, ``n``,
        ``n_items``, ``mean``, ``sd`` and the per-item table ``items``;
        ``to_frame()`` gives the scale-level values as one row.

    Raises
    ------
    KeyError
        If an item of ``reverse`` is not a column of ``items``.
    ValueError
        For fewer than two items, non-numeric or infinite values, an item
        without variance, two items never answered together, fewer than two
        respondents, answers outside ``scale``, or an unknown ``nan_policy``.

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of
    tests. *Psychometrika* 16, 297–334. — Feldt, L. S., Woodruff, D. J. &
    Salih, F. A. (1987). Statistical inference for coefficient alpha.
    *Applied Psychological Measurement* 11, 93–103. — Duhachek, A. &
    Iacobucci, D. (2004). Alpha's standard error (ASE): an accurate and precise
    confidence interval estimate. *Journal of Applied Psychology* 89, 792–808.
    — Revelle, W. (2022). *psych*, version 2.2.9, function ``alpha``.

    Examples
    --------
    >>> df = pd.DataFrame(
    ...     {"a": [1.0, 2, 3, 4, 5, 2], "b": [2.0, 2, 3, 5, 4, 1], "c": [5.0, 4, 3, 2, 1, 4]}
    ... )
    >>> result = cronbach_alpha(df, reverse=["c"])
    >>> round(result.alpha, 4), result.n, result.n_items
    (0.9553, 6, 3)
    >>> result.items[["item", "reversed"]].to_dict("list")
    {'item': ['a', 'b', 'c'], 'reversed': [False, False, True]}
    """
    if not isinstance(items, pd.DataFrame):
        raise TypeError(
            f"items must be a pandas DataFrame with one column per item, got {type(items).__name__}"
        )
    columns = list(items.columns)
    if len(columns) < 2:
        raise ValueError(
            f"cronbach_alpha needs at least 2 items (columns), got {len(columns)}: "
            f"{', '.join(map(repr, columns)) or 'none'}"
        )
    duplicated = sorted({str(c) for c in items.columns[items.columns.duplicated()]})
    if duplicated:
        raise ValueError(f"item column(s) {', '.join(duplicated)} appear more than once in items")
    reverse = [reverse] if isinstance(reverse, str) else list(reverse)
    _check_columns(items, reverse, what="items (reverse)")
    if nan_policy not in NAN_POLICIES:
        raise ValueError(
            f"nan_policy must be one of {', '.join(map(repr, NAN_POLICIES))}, got {nan_policy!r}"
        )
    if not (isinstance(conf_level, int | float) and 0 < conf_level < 1):
        raise ValueError(
            f"conf_level must be a confidence level between 0 and 1 (e.g. 0.95), got {conf_level!r}"
        )
    x = pd.DataFrame(
        {column: _numeric_column(items, column, what="items").to_numpy() for column in columns},
        columns=columns,
    )
    infinite = [str(c) for c in columns if np.isinf(x[c]).any()]
    if infinite:
        raise ValueError(
            f"item(s) {', '.join(map(repr, infinite))} contain infinite values; use NaN"
        )

    # listwise: complete rows only; pairwise: rows with at least one answer
    x = x.dropna() if nan_policy == "listwise" else x[x.notna().any(axis=1)]
    x = x.reset_index(drop=True)
    n = len(x)
    if n < 2:
        raise ValueError(
            f"cronbach_alpha needs at least 2 respondents with answers, got {n} "
            f"(nan_policy={nan_policy!r})"
        )

    if scale is not None:
        if (
            not isinstance(scale, tuple | list)
            or len(scale) != 2
            or not all(isinstance(v, int | float | np.number) for v in scale)
            or not scale[0] < scale[1]
        ):
            raise ValueError(f"scale must be a pair (min, max) with min < max, got {scale!r}")
        low_end, high_end = float(scale[0]), float(scale[1])
        outside = [str(c) for c in columns if ((x[c] < low_end) | (x[c] > high_end)).any()]
        if outside:
            raise ValueError(
                f"item(s) {', '.join(map(repr, outside))} have answers outside scale={scale!r}; "
                "turn missing codes into NaN or pass the right scale"
            )
    else:
        low_end, high_end = float(np.nanmin(x.to_numpy())), float(np.nanmax(x.to_numpy()))
    for column in reverse:
        x[column] = (low_end + high_end) - x[column]

    cov = x.cov().to_numpy()  # pairwise complete observations, ddof = 1
    variances = np.diag(cov)
    flat = [str(c) for c, v in zip(columns, variances, strict=True) if not v > 0]
    if flat:
        raise ValueError(
            f"item(s) {', '.join(map(repr, flat))} have no variance (all answers equal or "
            "fewer than 2 answers); remove them from the scale"
        )
    if np.isnan(cov).any():
        i, j = np.argwhere(np.isnan(cov))[0]
        raise ValueError(
            f"items {columns[i]!r} and {columns[j]!r} were never answered together by two or "
            "more respondents; their covariance is undefined"
        )
    scale_sd = np.sqrt(variances)
    corr = cov / np.outer(scale_sd, scale_sd)
    np.fill_diagonal(corr, 1.0)
    k = len(columns)

    alpha = _raw_alpha(x, nan_policy)
    std_alpha = _std_alpha(corr)
    p = 1 - conf_level
    df1, df2 = n - 1, (n - 1) * (k - 1)
    ci_low = float(1 - (1 - alpha) * _sps.f.ppf(1 - p / 2, df1, df2))
    ci_high = float(1 - (1 - alpha) * _sps.f.ppf(p / 2, df1, df2))
    total, trace = cov.sum(), np.trace(cov)
    cov2 = cov @ cov
    q = (2 * k**2 / ((k - 1) ** 2 * total**3)) * (
        total * (np.trace(cov2) + trace**2) - 2 * trace * cov2.sum()
    )
    ase = float(math.sqrt(q / n))

    rows = []
    for i, column in enumerate(columns):
        keep = [j for j in range(k) if j != i]
        rest = cov[np.ix_(keep, keep)]
        r_drop = (cov[:, i].sum() - cov[i, i]) / math.sqrt(cov[i, i] * rest.sum())
        rows.append(
            {
                "item": column,
                "reversed": column in reverse,
                "n": int(x[column].notna().sum()),
                "mean": float(x[column].mean()),
                "r_drop": float(r_drop),
                "alpha_if_deleted": _raw_alpha(x.drop(columns=column), nan_policy)
                if k > 2
                else np.nan,
                "std_alpha_if_deleted": _std_alpha(corr[np.ix_(keep, keep)]) if k > 2 else np.nan,
            }
        )
    scores = x.mean(axis=1)  # NaN-skipping mean of the answered items
    return AlphaResult(
        alpha=alpha,
        std_alpha=std_alpha,
        ci_low=ci_low,
        ci_high=ci_high,
        ci=float(conf_level),
        ase=ase,
        n=n,
        n_items=k,
        mean=float(scores.mean()),
        sd=float(scores.std(ddof=1)),
        nan_policy=nan_policy,
        items=pd.DataFrame(
            rows,
            columns=[
                "item",
                "reversed",
                "n",
                "mean",
                "r_drop",
                "alpha_if_deleted",
                "std_alpha_if_deleted",
            ],
        ),
    )


def alpha_for_construct(
    data: pd.DataFrame,
    construct: str,
    *,
    codebook: Codebook,
    **kw: Any,
) -> AlphaResult:
    """:func:`cronbach_alpha` of the items of one construct of the codebook.

    Items are those with ``construct: <construct>`` in codebook order; items
    with ``reverse: true`` are reverse keyed on their scale,
    :math:`(\\min + \\max) - x` with the first and last valid code (the
    ``scale`` of :func:`cronbach_alpha`), so the result does not depend on which
    answers happen to occur. Answers are checked against the valid codes, so
    unconverted missing codes (e.g. -9) raise instead of distorting alpha.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide tidy data of a wave.
    construct : str
        Construct name as in the codebook.
    codebook : Codebook
        Provides the items, their reverse keys and valid codes.
    **kw
        ``nan_policy`` and ``ci`` of :func:`cronbach_alpha`. ``reverse`` and
        ``scale`` come from the codebook and cannot be passed.

    Returns
    -------
    AlphaResult

    Raises
    ------
    ValueError
        If the construct has fewer than two items, an answer is not a valid
        code, or the reverse-keyed items do not share one scale.

    Examples
    --------
    >>> cb = Codebook.for_survey("kommunen")
    >>> df = pd.DataFrame(
    ...     {item: [5.0, 4, 4, 2, 3] for item in cb.items_of(construct="bausteine")}
    ... ).assign(zuf_beratung=[4.0, 4, 3, 2, 2])
    >>> result = alpha_for_construct(df, "bausteine", codebook=cb)
    >>> result.n_items, round(result.alpha, 4)
    (6, 0.9931)
    """
    for key in ("reverse", "scale"):
        if key in kw:
            raise TypeError(
                f"alpha_for_construct() takes {key!r} from the codebook; "
                "call cronbach_alpha() directly to set it"
            )
    items = codebook.items_of(construct=construct)
    if len(items) < 2:
        known = ", ".join(codebook.constructs) or "none"
        raise ValueError(
            f"construct {construct!r} of codebook {codebook.survey!r} has {len(items)} item(s); "
            f"alpha needs at least 2 (constructs: {known})"
        )
    _check_columns(data, items)
    for item in items:
        _valid_answers(data, item, codebook)
    reverse = [item for item in items if codebook[item].reverse]
    scale = None
    if reverse:
        ends = {(codebook[i].valid_codes[0], codebook[i].valid_codes[-1]) for i in reverse}
        if len(ends) > 1:
            raise ValueError(
                f"the reverse-keyed items of construct {construct!r} ({', '.join(reverse)}) "
                f"use different scales {sorted(ends)}; give them one scale in the codebook"
            )
        low, high = ends.pop()
        scale = (float(low), float(high))
    return cronbach_alpha(data[items], reverse=reverse, scale=scale, **kw)


# ---------------------------------------------------------------------------
# medians

#: Adjustments of :func:`p_adjust`, :func:`compare_groups`, :func:`compare_independent`
#: and :func:`compare_paired` and the :func:`pingouin.multicomp` method behind each
#: (R's ``p.adjust`` methods ``"holm"``, ``"BH"``, ``"none"``).
CORRECTIONS: dict[str, str | None] = {"holm": "holm", "fdr_bh": "fdr_bh", "none": None}


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
    items = _as_item_list(items)
    _check_columns(data, items + ([weights] if weights is not None else []))
    _check_conf_level(conf_level)
    w_all = _weights_array(data, weights) if weights is not None else None
    rows = []
    for item in items:
        values = _numeric_column(data, item).to_numpy()
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


# ---------------------------------------------------------------------------
# comparisons: groups, two waves, the same municipalities in two waves


def _check_correction(correction: str) -> None:
    if correction not in CORRECTIONS:
        raise ValueError(
            f"correction must be one of {', '.join(map(repr, CORRECTIONS))}, got {correction!r}"
        )


def p_adjust(p_values: Sequence[float] | np.ndarray, correction: str = "holm") -> np.ndarray:
    """p-values adjusted for multiple testing, as R's ``p.adjust``, by :func:`pingouin.multicomp`.

    ``NaN`` stays ``NaN`` and is not counted among the tests, as in R.
    pingouin's Holm and Benjamini–Hochberg values equal R's
    ``p.adjust(p, "holm")`` and ``p.adjust(p, "BH")`` on every case of
    ``tests/reference/comparisons.json`` (relative difference ≤ 5e-13, which
    is that of the unadjusted p-values).

    Parameters
    ----------
    p_values : sequence of float
        Unadjusted p-values (``NaN`` for untested rows).
    correction : {"holm", "fdr_bh", "none"}
        Holm (1979), Benjamini & Hochberg (1995), or no adjustment (a copy).

    Returns
    -------
    numpy.ndarray
        Adjusted p-values in the order of ``p_values``.

    Raises
    ------
    ValueError
        For an unknown ``correction``.

    Examples
    --------
    >>> p_adjust([0.01, 0.04, float("nan"), 0.03]).tolist()
    [0.03, 0.06, nan, 0.06]
    >>> p_adjust([0.01, 0.04, 0.03], "fdr_bh").tolist()
    [0.03, 0.04, 0.04]
    """
    _check_correction(correction)
    p = np.array(p_values, dtype=float)
    with _pingouin() as pg:
        _, adjusted = pg.multicomp(p, method=CORRECTIONS[correction] or "none")
    return np.asarray(adjusted, dtype=float)


def _all_equal(values: np.ndarray) -> bool:
    return bool(np.all(values == values[0]))


def _kruskal_wallis(y: np.ndarray, codes: np.ndarray) -> tuple[float, float]:
    """H and p of R's ``kruskal.test`` by :func:`pingouin.kruskal`; NaN if all answers are equal."""
    if _all_equal(y):  # R: 0/0; pingouin would divide by a tie correction of 0
        return math.nan, math.nan
    with _pingouin() as pg:
        row = pg.kruskal(pd.DataFrame({"y": y, "g": codes}), dv="y", between="g").iloc[0]
    return float(row["H"]), float(row["p_unc"])


def _one_way_anova(y: np.ndarray, codes: np.ndarray) -> tuple[float, float, float]:
    """F, p and η² of R's ``oneway.test(var.equal = TRUE)`` by :func:`pingouin.anova`.

    All answers equal: NaN (R: 0/0). No variance within the groups but between
    them: F = inf, p = 0 and η² = 1, as in R.
    """
    if _all_equal(y):
        return math.nan, math.nan, math.nan
    with _pingouin() as pg, np.errstate(divide="ignore"):
        row = pg.anova(pd.DataFrame({"y": y, "g": codes}), dv="y", between="g").iloc[0]
    return float(row["F"]), float(row["p_unc"]), float(row["np2"])


def compare_groups(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    group: str,
    codebook: Codebook | None = None,
    correction: str = "holm",
) -> pd.DataFrame:
    r"""Compare items between groups (e.g. districts or size classes): Kruskal–Wallis and ANOVA.

    For each item, respondents with an answer and a group are used; *n* is
    their number, *k* the number of groups among them, :math:`n_g` and
    :math:`R_g` the size and rank sum (mid-ranks for ties) of group *g*.

    *Kruskal–Wallis* (as R's ``kruskal.test``, with tie correction; :math:`t`
    runs over the groups of tied answers):

    .. math::

        H = \frac{\frac{12}{n(n+1)} \sum_g \frac{R_g^2}{n_g} - 3(n+1)}
                 {1 - \sum t^3 - t \,/\, (n^3 - n)}, \qquad
        p = P(\chi^2_{k-1} \ge H), \qquad
        \varepsilon^2 = \frac{H}{(n^2 - 1)/(n + 1)} = \frac{H}{n - 1}

    (:math:`\varepsilon^2` after Tomczak & Tomczak 2014, between 0 and 1).

    *One-way ANOVA* with equal variances (as R's ``oneway.test(var.equal =
    TRUE)`` and ``summary(aov())``):

    .. math::

        F = \frac{SS_b / (k - 1)}{SS_w / (n - k)}, \quad
        SS_b = \sum_g n_g (\bar y_g - \bar y)^2, \quad
        SS_w = \sum_g \sum_{i \in g} (y_i - \bar y_g)^2, \quad
        \eta^2 = \frac{SS_b}{SS_b + SS_w}.

    *Adjusted p-values* across the items of the call (``p_kw_adj``,
    ``p_anova_adj``): Holm (1979) or Benjamini & Hochberg (1995) by
    :func:`p_adjust` (:func:`pingouin.multicomp`), equal to R's
    ``p.adjust(p, "holm")`` / ``p.adjust(p, "BH")``. Items with ``NaN``
    p-values are left out of the adjustment, as in R.

    *By pingouin.* ``H`` and ``p_kw`` are :func:`pingouin.kruskal`, ``F``,
    ``p_anova`` and ``eta_sq`` :func:`pingouin.anova` (its ``np2``, which is
    η² in a one-way design); on ``tests/reference/comparisons.json`` they
    differ from R by at most 2.1e-13 (H), 5e-13 (p_kw), 3.7e-15 (F),
    6.3e-14 (p_anova) and 5.8e-14 (η²), relative. ``epsilon_sq`` is computed
    here from H (pingouin has no ε²). When all answers of an item are equal,
    pingouin is not called: it would divide by a tie correction of 0.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide tidy data with one column per item and the group column.
    items : sequence of str
        Numeric item columns; ``NaN`` is left out.
    group : str
        Column with the group of each respondent (any type; ``NaN`` rows are
        left out).
    codebook : Codebook, optional
        If given, answers are checked against the valid codes and the short
        label is added as ``item_label``.
    correction : {"holm", "fdr_bh", "none"}
        Adjustment of the p-values across items.

    Returns
    -------
    pandas.DataFrame
        One row per item with ``item`` (and ``item_label`` with a codebook),
        ``n``, ``k``, ``H``, ``df``, ``p_kw``, ``epsilon_sq``, ``F``, ``df1``,
        ``df2``, ``p_anova``, ``eta_sq``, ``p_kw_adj`` and ``p_anova_adj``. If
        all answers of an item are equal, ``H``, ``F``, the p-values and the
        effect sizes are ``NaN``; if the groups differ but have no variance
        within, ``F`` is ``inf`` and ``p_anova`` 0 (as in R).

    Raises
    ------
    ValueError
        If an item has answers in fewer than two groups, or a group has only
        one answer to an item. A single answer carries no information about
        the spread within its group and lets one respondent decide the
        result; merge small groups or leave them out
        (``data[data[group] != "X"]``) before comparing. R would compute the
        tests anyway.
    KeyError
        If an item or the group column is missing.

    References
    ----------
    Kruskal, W. H. & Wallis, W. A. (1952). Use of ranks in one-criterion
    variance analysis. *JASA* 47, 583–621. — Tomczak, M. & Tomczak, E. (2014).
    The need to report effect size estimates revisited. *Trends in Sport
    Sciences* 21(1), 19–25. — Cohen, J. (1988). *Statistical Power Analysis for
    the Behavioral Sciences* (2nd ed.), ch. 8. Erlbaum. — Holm, S. (1979). A
    simple sequentially rejective multiple test procedure. *Scandinavian
    Journal of Statistics* 6, 65–70. — Benjamini, Y. & Hochberg, Y. (1995).
    Controlling the false discovery rate. *JRSS B* 57, 289–300.

    Examples
    --------
    >>> df = pd.DataFrame({
    ...     "kreis": ["A"] * 4 + ["B"] * 4,
    ...     "x": [1.0, 2, 2, 3, 3, 4, 4, 5],
    ... })
    >>> result = compare_groups(df, ["x"], group="kreis")
    >>> result[["n", "k", "df1", "df2"]].iloc[0].tolist()
    [8, 2, 1, 6]
    >>> round(float(result["eta_sq"].iloc[0]), 4)
    0.6667
    """
    items = _as_item_list(items)
    if not isinstance(group, str):
        raise TypeError(f"group must be a column name (str), got {group!r}")
    _check_columns(data, [*items, group])
    _check_correction(correction)
    if group in items:
        raise ValueError(f"column {group!r} is both an item and the group; pick another group")
    groups = data[group]
    if isinstance(groups, pd.DataFrame):
        raise ValueError(f"column {group!r} appears more than once in data")
    group_values = groups.to_numpy()
    has_group = groups.notna().to_numpy()
    rows = []
    for item in items:
        if codebook is not None:
            _valid_answers(data, item, codebook)
        values = _numeric_column(data, item).to_numpy()
        use = has_group & ~np.isnan(values)
        y = values[use]
        codes, labels = pd.factorize(pd.Series(group_values[use]))
        k = len(labels)
        if k < 2:
            raise ValueError(
                f"item {item!r} has answers in {k} group(s) of column {group!r}; "
                "a comparison needs answers in at least 2 groups"
            )
        sizes = np.bincount(codes, minlength=k)
        small = [str(labels[i]) for i in range(k) if sizes[i] < 2]
        if small:
            raise ValueError(
                f"group(s) {', '.join(map(repr, small))} of column {group!r} have only one "
                f"answer to item {item!r}; merge small groups or leave them out before "
                "comparing (every group needs at least 2 answers)"
            )
        h, p_kw = _kruskal_wallis(y, codes)
        n = len(y)
        df1, df2 = k - 1, n - k
        f_value, p_anova, eta_sq = _one_way_anova(y, codes)
        row: dict[str, Any] = {"item": item}
        if codebook is not None:
            row["item_label"] = codebook[item].short
        row.update(
            {
                "n": n,
                "k": k,
                "H": h,
                "df": k - 1,
                "p_kw": p_kw,
                "epsilon_sq": h / ((n**2 - 1) / (n + 1)),
                "F": f_value,
                "df1": df1,
                "df2": df2,
                "p_anova": p_anova,
                "eta_sq": eta_sq,
            }
        )
        rows.append(row)
    columns = ["item", "n", "k", "H", "df", "p_kw", "epsilon_sq", "F", "df1", "df2"]
    columns += ["p_anova", "eta_sq"]
    if codebook is not None:
        columns.insert(1, "item_label")
    result = pd.DataFrame(rows, columns=columns)
    result["p_kw_adj"] = p_adjust(result["p_kw"], correction)
    result["p_anova_adj"] = p_adjust(result["p_anova"], correction)
    return result


def _mann_whitney(current: np.ndarray, previous: np.ndarray) -> tuple[float, float, float]:
    """W (R's statistic, of ``current``), two-sided p and rank-biserial r, by pingouin.mwu."""
    if len(current) == 0 or len(previous) == 0:  # R stops with an error
        return math.nan, math.nan, math.nan
    with _pingouin() as pg:
        row = pg.mwu(current, previous, method="asymptotic").iloc[0]
    p_value = float(row["p_val"])
    if _all_equal(np.concatenate([current, previous])):
        p_value = math.nan  # R: z = 0/0; scipy (behind pingouin) gives 1
    return float(row["U_val"]), p_value, float(row["RBC"])


def compare_independent(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    items: Sequence[str],
    *,
    correction: str = "holm",
) -> pd.DataFrame:
    r"""Compare items between two independent samples (e.g. two waves): Mann–Whitney U.

    With the :math:`n_c` answers of ``current`` and the :math:`n_p` answers of
    ``previous`` ranked together (mid-ranks for ties), :math:`R_c` the rank sum
    of ``current`` and *t* running over the groups of tied answers:

    .. math::

        W = R_c - \frac{n_c(n_c + 1)}{2}, \qquad
        z = \frac{W - \frac{n_c n_p}{2} - \tfrac12\operatorname{sign}(W - \frac{n_c n_p}{2})}
                 {\sqrt{\frac{n_c n_p}{12}\Bigl(n_c + n_p + 1
                  - \frac{\sum t^3 - t}{(n_c + n_p)(n_c + n_p - 1)}\Bigr)}},
        \qquad p = 2\,\Phi(-|z|),

    i.e. the normal approximation with continuity *and* tie correction, as R's
    ``wilcox.test(current, previous, exact = FALSE, correct = TRUE)``; ``W`` is
    the statistic R reports (the U of ``current``). The rank-biserial
    correlation (Cureton 1956; Kerby 2014) is

    .. math::

        r_\text{rb} = 1 - \frac{2\,U_p}{n_c n_p} = \frac{2W}{n_c n_p} - 1,
        \qquad U_p = n_c n_p - W,

    positive when answers in ``current`` tend to be *higher* than in
    ``previous`` (+1: every current answer above every previous one). P-values
    are adjusted across items as in :func:`compare_groups` (``p_adj``).

    *By pingouin.* ``W``, ``p_value`` and ``rank_biserial`` are
    :func:`pingouin.mwu` with ``method="asymptotic"`` (R's ``exact = FALSE``;
    pingouin's default ``"auto"`` takes the exact distribution for small
    samples without ties). On ``tests/reference/comparisons.json`` W equals R's
    exactly, p and r differ by at most 6e-15, relative. One difference to R is
    kept: when all answers of both samples are equal, pingouin (scipy) gives
    p = 1, R gives ``NaN`` (its z is 0/0); this function gives ``NaN``.
    pingouin also computes the common-language effect size from all
    :math:`n_c n_p` pairs (memory :math:`8\,n_c n_p` bytes; 0.06 s for 1866 ×
    918 answers).

    Parameters
    ----------
    current, previous : pandas.DataFrame
        Wide tidy data of the two samples (different respondents).
    items : sequence of str
        Numeric columns present in both; ``NaN`` is left out.
    correction : {"holm", "fdr_bh", "none"}
        Adjustment of the p-values across items.

    Returns
    -------
    pandas.DataFrame
        One row per item with ``item``, ``n_previous``, ``n_current``, ``W``,
        ``p_value``, ``rank_biserial`` and ``p_adj``. If a sample has no
        answers (R stops with an error) everything but the counts is ``NaN``;
        if all answers are equal, ``p_value`` is ``NaN``.

    References
    ----------
    Mann, H. B. & Whitney, D. R. (1947). On a test of whether one of two random
    variables is stochastically larger than the other. *Annals of Mathematical
    Statistics* 18, 50–60. — Hollander, M., Wolfe, D. A. & Chicken, E. (2014).
    *Nonparametric Statistical Methods* (3rd ed.), § 4.1. Wiley. — Cureton,
    E. E. (1956). Rank-biserial correlation. *Psychometrika* 21, 287–290. —
    Kerby, D. S. (2014). The simple difference formula. *Comprehensive
    Psychology* 3, 11.IT.3.1.

    Examples
    --------
    >>> prev = pd.DataFrame({"x": [1.0, 2, 2, 3, 3]})
    >>> cur = pd.DataFrame({"x": [3.0, 4, 4, 5]})
    >>> compare_independent(cur, prev, ["x"])[["W", "rank_biserial"]].iloc[0].tolist()
    [19.0, 0.9]
    """
    items = _as_item_list(items)
    _check_columns(current, items, what="current")
    _check_columns(previous, items, what="previous")
    _check_correction(correction)
    rows = []
    for item in items:
        cur = _numeric_column(current, item, what="current").dropna().to_numpy()
        prev = _numeric_column(previous, item, what="previous").dropna().to_numpy()
        w_stat, p_value, r_rb = _mann_whitney(cur, prev)
        rows.append(
            {
                "item": item,
                "n_previous": len(prev),
                "n_current": len(cur),
                "W": w_stat,
                "p_value": p_value,
                "rank_biserial": r_rb,
            }
        )
    result = pd.DataFrame(
        rows, columns=["item", "n_previous", "n_current", "W", "p_value", "rank_biserial"]
    )
    result["p_adj"] = p_adjust(result["p_value"], correction)
    return result


def _per_key_means(frame: pd.DataFrame, on: str, items: list[str], what: str) -> pd.DataFrame:
    """Item means per key (NaN-skipping), keys sorted; rows without key are dropped."""
    keys = frame[on]
    if isinstance(keys, pd.DataFrame):
        raise ValueError(f"column {on!r} appears more than once in {what}")
    values = pd.DataFrame(
        {item: _numeric_column(frame, item, what=what).to_numpy() for item in items}
    )
    values[on] = keys.to_numpy()
    values = values[values[on].notna().to_numpy()]
    return values.groupby(on, sort=True)[items].mean()


def _wilcoxon_signed_rank(after: np.ndarray, before: np.ndarray) -> tuple[float, float, float]:
    """V, two-sided p and matched-pairs rank-biserial r by :func:`pingouin.wilcoxon`.

    Zero differences are dropped (Wilcoxon's rule, as R). pingouin reports the
    smaller of the two rank sums; R's V is the sum of the positive ranks, so V is
    the other one when r > 0 (rank sums are multiples of 0.5: exact in floats).
    """
    nonzero = int(np.count_nonzero(after - before))
    if nonzero == 0:  # R: V = 0 and p NaN; scipy would fail on no differences
        return 0.0, math.nan, math.nan
    with _pingouin() as pg:
        row = pg.wilcoxon(after, before, method="approx", zero_method="wilcox").iloc[0]
    smaller, r_rb = float(row["W_val"]), float(row["RBC"])
    v_stat = nonzero * (nonzero + 1) / 2 - smaller if r_rb > 0 else smaller
    return v_stat, float(row["p_val"]), r_rb


def compare_paired(
    before: pd.DataFrame,
    after: pd.DataFrame,
    items: Sequence[str],
    *,
    on: str,
    correction: str = "holm",
) -> pd.DataFrame:
    r"""Compare items for the same units (e.g. municipalities) in two waves: Wilcoxon and paired t.

    *Matching.* Rows of ``before`` and ``after`` are matched on the column
    ``on`` (e.g. the municipality key). If a key has several rows in a wave
    (several respondents of one municipality), their answers are **averaged
    per key first** (mean of the non-missing answers of each item), so every
    municipality counts once. Keys present in both waves with an answer to
    the item in both form the :math:`n` pairs; :math:`d_i = \text{after}_i -
    \text{before}_i`.

    *Wilcoxon signed-rank test*, as R's ``wilcox.test(after, before, paired =
    TRUE, exact = FALSE, correct = TRUE)``: zero differences are dropped
    (Wilcoxon's rule), the :math:`m` others are ranked by :math:`|d_i|`
    (mid-ranks for ties, *t* running over tied groups) and

    .. math::

        V = \sum_{d_i > 0} \operatorname{rank}|d_i|, \qquad
        z = \frac{V - \frac{m(m+1)}{4} - \tfrac12\operatorname{sign}(\cdot)}
                 {\sqrt{\frac{m(m+1)(2m+1)}{24} - \frac{\sum t^3 - t}{48}}}, \qquad
        p = 2\,\Phi(-|z|)

    (normal approximation with continuity and tie correction). The
    matched-pairs rank-biserial correlation (Kerby 2014) is
    :math:`r_\text{rb} = (T_+ - T_-) / (T_+ + T_-)` with :math:`T_+ = V` and
    :math:`T_- = m(m+1)/2 - V`: positive when values rose (+1: every non-zero
    difference positive).

    *Paired t test*, as R's ``t.test(after, before, paired = TRUE)``:
    :math:`\bar d \pm t_{n-1,0.975}\, s_d/\sqrt n` and
    :math:`p = 2 P(T_{n-1} > |\bar d \sqrt n / s_d|)`, over all *n* pairs
    (zeros included).

    ``p_adj`` is the Wilcoxon p adjusted across items as in :func:`compare_groups`.

    *By pingouin.* The Wilcoxon test is :func:`pingouin.wilcoxon` with
    ``method="approx"`` (R's ``exact = FALSE``; pingouin's default takes the
    exact distribution for up to 50 differences without ties or zeros), the t
    interval and ``p_t`` are :func:`pingouin.ttest` with ``paired=True``,
    unrounded (pingouin rounds the interval to two decimals by default). On
    ``tests/reference/comparisons.json`` they differ from R by at most 2.2e-16
    (V), 7.7e-15 (p_wilcoxon), 2.3e-14 (rank_biserial), 2.4e-14 (interval)
    and 4.5e-15 (p_t), relative. Cases R cannot test (no non-zero difference,
    fewer than two pairs, constant differences) are answered here without
    pingouin (see Returns).

    The differences are compared exactly, as R does by default: averages such as
    7/3 − 4/3 may differ from 1 in the last bit and then count as different
    values (R's ``digits.rank`` is not offered).

    Parameters
    ----------
    before, after : pandas.DataFrame
        Wide tidy data of the earlier and the later wave, both with the key
        column ``on``.
    items : sequence of str
        Numeric columns present in both; ``NaN`` is left out.
    on : str
        Key column that identifies the unit (rows with a missing key are
        dropped).
    correction : {"holm", "fdr_bh", "none"}
        Adjustment of the Wilcoxon p-values across items.

    Returns
    -------
    pandas.DataFrame
        One row per item with ``item``, ``n_pairs``, ``mean_difference``
        (after − before), ``ci_low``, ``ci_high`` (95 % t interval), ``p_t``,
        ``V``, ``p_wilcoxon``, ``rank_biserial`` and ``p_adj``. With fewer than
        two pairs or constant differences the t interval and ``p_t`` are
        ``NaN`` (R stops with an error); with no non-zero difference ``V`` is 0
        and ``p_wilcoxon`` and ``rank_biserial`` are ``NaN``.

    Raises
    ------
    KeyError
        If ``on`` or an item is missing from ``before`` or ``after``.
    ValueError
        If no key occurs in both waves (check that the keys have the same type
        and format, e.g. ``"05315000"`` vs ``5315000``).

    References
    ----------
    Wilcoxon, F. (1945). Individual comparisons by ranking methods.
    *Biometrics Bulletin* 1, 80–83. — Hollander, M., Wolfe, D. A. & Chicken, E.
    (2014). *Nonparametric Statistical Methods* (3rd ed.), § 3.1. Wiley. —
    Kerby, D. S. (2014). The simple difference formula. *Comprehensive
    Psychology* 3, 11.IT.3.1. — Student (1908). *Biometrika* 6, 1–25.

    Examples
    --------
    >>> before = pd.DataFrame({"ags": [1, 2, 3, 4, 5, 5], "x": [2.0, 3, 3, 4, 2, 4]})
    >>> after = pd.DataFrame({"ags": [1, 2, 3, 4, 5], "x": [3.0, 4, 3, 5, 4]})
    >>> result = compare_paired(before, after, ["x"], on="ags")
    >>> result[["n_pairs", "mean_difference", "V", "rank_biserial"]].to_dict("records")
    [{'n_pairs': 5, 'mean_difference': 0.8, 'V': 10.0, 'rank_biserial': 1.0}]
    """
    items = _as_item_list(items)
    if not isinstance(on, str):
        raise TypeError(f"on must be a column name (str), got {on!r}")
    _check_columns(before, [*items, on], what="before")
    _check_columns(after, [*items, on], what="after")
    _check_correction(correction)
    if on in items:
        raise ValueError(f"column {on!r} is both an item and the key 'on'; pick another key")
    means_before = _per_key_means(before, on, items, "before")
    means_after = _per_key_means(after, on, items, "after")
    common = means_before.index.intersection(means_after.index)
    if len(common) == 0:
        raise ValueError(
            f"no value of key column {on!r} occurs in both before and after; check that the "
            "keys have the same type and format in both waves"
        )
    means_before = means_before.loc[common]
    means_after = means_after.loc[common]
    rows = []
    for item in items:
        b = means_before[item].to_numpy(dtype=float)
        a = means_after[item].to_numpy(dtype=float)
        both = ~np.isnan(a) & ~np.isnan(b)
        d = a[both] - b[both]
        n = len(d)
        mean_difference = float(d.mean()) if n else math.nan
        low = high = p_t = math.nan
        if n > 1 and float(d.std(ddof=1)) > 0:
            with _pingouin() as pg:
                t_test = pg.ttest(a[both], b[both], paired=True, confidence=0.95).iloc[0]
            low, high = (float(limit) for limit in t_test["CI95"])
            p_t = float(t_test["p_val"])
        v_stat, p_wilcoxon, r_rb = _wilcoxon_signed_rank(a[both], b[both])
        rows.append(
            {
                "item": item,
                "n_pairs": n,
                "mean_difference": mean_difference,
                "ci_low": low,
                "ci_high": high,
                "p_t": p_t,
                "V": v_stat if n else math.nan,
                "p_wilcoxon": p_wilcoxon,
                "rank_biserial": r_rb,
            }
        )
    columns = ["item", "n_pairs", "mean_difference", "ci_low", "ci_high", "p_t", "V"]
    result = pd.DataFrame(rows, columns=[*columns, "p_wilcoxon", "rank_biserial"])
    result["p_adj"] = p_adjust(result["p_wilcoxon"], correction)
    return result


# ---------------------------------------------------------------------------
# plain-German sentences for comparisons

#: Cohen's (1988) thresholds for small, medium and large η² (also used for ε²).
ETA_SQ_THRESHOLDS = (0.01, 0.06, 0.14)
#: Cohen's (1988) thresholds for small, medium and large correlations (|r_rb|).
R_THRESHOLDS = (0.1, 0.3, 0.5)
_EFFECT_WORDS = ("vernachlässigbarer Effekt", "kleiner Effekt", "mittlerer Effekt", "großer Effekt")
_CORRECTION_WORDS = {
    "holm": " nach Holm-Korrektur",
    "fdr_bh": " nach Benjamini-Hochberg-Korrektur",
    "none": "",
}
_COMPARISON_KINDS = ("groups", "independent", "paired")


def _effect_phrase(symbol: str, value: float, thresholds: tuple[float, ...]) -> str:
    """``ε² = 0,08, mittlerer Effekt``; digits grow so rounding never crosses a threshold."""
    if math.isnan(value):
        return f"{symbol} nicht bestimmbar"
    size = abs(value)
    level = sum(size >= t for t in thresholds)
    digits = 2
    while digits < 4 and any((round(size, digits) >= t) != (size >= t) for t in thresholds):
        digits += 1
    return f"{symbol} = {german_format.number(value, digits)}, {_EFFECT_WORDS[level]}"


def describe_comparison(
    row: Mapping[str, object] | pd.Series,
    *,
    item_label: str | None = None,
    kind: str = "groups",
    alpha: float = 0.05,
    correction: str = "holm",
    test: str = "kruskal",
    between: str = "den Kreisen",
    subject: str = "Die Bewertung von „{item_label}“",
) -> str:
    """One plain-German sentence describing one row of a comparison.

    ``kind`` names the function that produced the row:

    * ``"groups"`` – :func:`compare_groups`: the Kruskal–Wallis test with
      ε² (``test="kruskal"``, default) or the one-way ANOVA with η²
      (``test="anova"``), between ``between`` (e.g. "den Größenklassen");
    * ``"independent"`` – :func:`compare_independent` (``current`` is the
      current wave, ``previous`` the previous one): Mann–Whitney U with the
      rank-biserial correlation *r*; the direction follows the sign of *r*;
    * ``"paired"`` – :func:`compare_paired` (the same municipalities in both
      waves): Wilcoxon signed-rank test with the matched-pairs rank-biserial *r*.

    A result is called "statistisch auffällig" if the *adjusted* p-value
    (``p_kw_adj``, ``p_anova_adj`` or ``p_adj``) is below ``alpha``; the
    sentence names the adjustment, so pass the ``correction`` used for the
    table. p-values are never rounded across ``alpha``.

    Effect sizes are worded with Cohen's (1988) thresholds: η² and ε² 0.01 /
    0.06 / 0.14 (ε² is read on the η² scale; Tomczak & Tomczak 2014), |r| 0.1 /
    0.3 / 0.5 for the rank-biserial correlation: below the first threshold
    "vernachlässigbarer", then "kleiner", "mittlerer", "großer Effekt".
    Values are shown with two decimals, more if two decimals would round
    across a threshold.

    Parameters
    ----------
    row : pandas.Series or mapping
        One row of :func:`compare_groups`, :func:`compare_independent` or
        :func:`compare_paired`.
    item_label : str, optional
        German label of the item; defaults to ``row["item_label"]`` if present,
        else ``row["item"]``.
    kind : {"groups", "independent", "paired"}
        Which comparison the row comes from.
    alpha : float, default 0.05
        Significance level for the adjusted p-value.
    correction : {"holm", "fdr_bh", "none"}
        The adjustment used for the table (only for the wording).
    test : {"kruskal", "anova"}
        Which test of a ``"groups"`` row to report.
    between : str, default "den Kreisen"
        The groups in the dative, for ``kind="groups"``.
    subject : str
        Subject of the sentence; ``{item_label}`` is replaced by the label.

    Returns
    -------
    str

    References
    ----------
    Cohen, J. (1988). *Statistical Power Analysis for the Behavioral Sciences*
    (2nd ed.), §§ 3.2, 8.2. Erlbaum. — Tomczak, M. & Tomczak, E. (2014).
    *Trends in Sport Sciences* 21(1), 19–25.

    Examples
    --------
    >>> row = pd.Series({"p_kw_adj": 0.012, "epsilon_sq": 0.08})
    >>> describe_comparison(row, item_label="Beratung durch die Agentur")
    'Die Bewertung von „Beratung durch die Agentur“ unterscheidet sich zwischen den Kreisen \
statistisch auffällig (Kruskal-Wallis-Test, p = 0,01 nach Holm-Korrektur; ε² = 0,08, \
mittlerer Effekt).'
    """
    if kind not in _COMPARISON_KINDS:
        raise ValueError(
            f"kind must be one of {', '.join(map(repr, _COMPARISON_KINDS))}, got {kind!r}"
        )
    _check_correction(correction)
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise ValueError(f"alpha must be between 0 and 1 (e.g. 0.05), got {alpha!r}")
    if kind == "groups":
        if test not in ("kruskal", "anova"):
            raise ValueError(f"test must be 'kruskal' or 'anova', got {test!r}")
        kruskal = test == "kruskal"
        p_key = "p_kw_adj" if kruskal else "p_anova_adj"
        effect_key = "epsilon_sq" if kruskal else "eta_sq"
        source = "compare_groups()"
    else:
        p_key, effect_key = "p_adj", "rank_biserial"
        source = f"compare_{kind}()"
    for key in (p_key, effect_key):
        if key not in row:
            raise KeyError(f"row has no {key!r}; pass one row of {source} (kind={kind!r})")
    if item_label is None:
        item_label = str(row["item_label"] if "item_label" in row else row.get("item", ""))
    head = subject.format(item_label=item_label)
    p_value = float(row[p_key])  # type: ignore[arg-type]
    effect = float(row[effect_key])  # type: ignore[arg-type]

    if kind == "groups":
        name = "Kruskal-Wallis-Test" if test == "kruskal" else "einfaktorielle Varianzanalyse"
        effect_text = _effect_phrase("ε²" if test == "kruskal" else "η²", effect, ETA_SQ_THRESHOLDS)
    else:
        name = "Mann-Whitney-U-Test" if kind == "independent" else "Wilcoxon-Vorzeichen-Rang-Test"
        effect_text = _effect_phrase("r", effect, R_THRESHOLDS)
    if math.isnan(p_value):
        if kind == "groups":
            return f"{head} lässt sich zwischen {between} nicht vergleichen (zu wenige Antworten)."
        if kind == "independent":
            return f"{head} lässt sich nicht mit der Vorwelle vergleichen (zu wenige Antworten)."
        return (
            f"{head} lässt sich bei denselben Kommunen nicht mit der Vorwelle vergleichen "
            "(zu wenige Paare mit einer Veränderung)."
        )
    details = f"({name}, {_format_p(p_value, alpha)}{_CORRECTION_WORDS[correction]}; {effect_text})"
    significant = p_value < alpha
    verdict = "statistisch auffällig" if significant else "statistisch nicht auffällig"
    if kind == "groups":
        return f"{head} unterscheidet sich zwischen {between} {verdict} {details}."
    same = " bei denselben Kommunen" if kind == "paired" else ""
    if significant and effect != 0 and not math.isnan(effect):
        direction = "höher" if effect > 0 else "niedriger"
        return (
            f"{head} fällt{same} in der aktuellen Welle statistisch auffällig {direction} aus "
            f"als in der Vorwelle {details}."
        )
    return (
        f"{head} unterscheidet sich{same} zwischen aktueller Welle und Vorwelle {verdict} "
        f"{details}."
    )
