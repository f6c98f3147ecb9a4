"""Descriptive statistics for Likert and rating items, checked against R.

A flat, functional API in the style of pingouin: every function takes a wave's
tidy data (a wide :class:`pandas.DataFrame` with one row per respondent and one
column per item id, substantive answer codes as float, missing codes already
turned into ``NaN``) and returns a tidy :class:`pandas.DataFrame` with one row
per item. Nothing is printed or rounded; formatting belongs to the report
layer (:mod:`welcome_eval.german_format`).

Functions that need item labels or the valid codes of a scale take the
survey's :class:`~welcome_eval.codebook.Codebook` as the keyword argument
``codebook``. The reference values in ``tests/reference/likert_basics.json``
are computed with base R (``tests/reference/likert_basics.R``) and the tests
require agreement to 1e-10 relative tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats as _sps
from statsmodels.stats.proportion import proportion_confint

from welcome_eval import german_format
from welcome_eval.codebook import Codebook

__all__ = [
    "describe_change",
    "likert_distribution",
    "mean_ci",
    "nps",
    "top_box",
    "wave_change",
]

#: Interval methods of :func:`top_box` and the statsmodels method behind each.
PROPORTION_METHODS: dict[str, str] = {"wilson": "wilson", "clopper-pearson": "beta"}


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
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(data).__name__}")
    missing = [column for column in columns if column not in data.columns]
    if missing:
        known = ", ".join(map(str, data.columns[:20])) + (", …" if data.shape[1] > 20 else "")
        raise KeyError(
            f"column(s) {', '.join(map(repr, missing))} not found in {what}; "
            f"available columns: {known}"
        )


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


def _check_conf_level(conf_level: float) -> None:
    if not (isinstance(conf_level, int | float) and 0 < conf_level < 1):
        raise ValueError(f"conf_level must be between 0 and 1 (e.g. 0.95), got {conf_level!r}")


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

    Returns
    -------
    pandas.DataFrame
        One row per item with ``item``, ``item_label``, ``n`` (valid answers),
        ``count`` (answers in the box), ``share``, ``ci_low``, ``ci_high`` and
        ``method``. Items without valid answers get ``NaN`` share and interval.

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and
    statistical inference. *JASA* 22, 209–212. — Clopper, C. J. & Pearson, E. S.
    (1934). The use of confidence or fiducial limits illustrated in the case of
    the binomial. *Biometrika* 26, 404–413. — Brown, L. D., Cai, T. T. &
    DasGupta, A. (2001). Interval estimation for a binomial proportion.
    *Statistical Science* 16, 101–133.

    Examples
    --------
    >>> cb = Codebook.for_survey("kommunen")
    >>> df = pd.DataFrame({"zuf_gesamt": [5.0, 4.0, 4.0, 2.0]})
    >>> tb = top_box(df, ["zuf_gesamt"], codebook=cb)
    >>> tb[["count", "n", "share"]].to_dict("records")
    [{'count': 3, 'n': 4, 'share': 0.75}]
    """
    items = _as_item_list(items)
    _check_columns(data, items)
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
    return pd.DataFrame(
        rows,
        columns=["item", "item_label", "n", "count", "share", "ci_low", "ci_high", "method"],
    )


# ---------------------------------------------------------------------------
# means


def mean_ci(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    r"""Mean of each item with a t confidence interval.

    .. math::

        \bar x \pm t_{n-1,\,(1+\text{conf\_level})/2} \; \frac{s}{\sqrt n},
        \qquad s^2 = \frac{1}{n-1}\sum_i (x_i - \bar x)^2

    as R's ``t.test(x)$conf.int``. Missing answers (``NaN``) are left out.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide tidy data (see :func:`likert_distribution`).
    items : sequence of str
        Numeric columns of ``data``.
    conf_level : float, default 0.95
        Confidence level of the interval.

    Returns
    -------
    pandas.DataFrame
        One row per item with ``item``, ``n``, ``mean``, ``sd`` (ddof = 1),
        ``se``, ``ci_low`` and ``ci_high``. With fewer than two answers the
        standard deviation and the interval are ``NaN``.

    References
    ----------
    Student (1908). The probable error of a mean. *Biometrika* 6, 1–25. —
    Agresti, A. (2018). *Statistical Methods for the Social Sciences* (5th ed.),
    ch. 5. Pearson.

    Examples
    --------
    >>> df = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0]})
    >>> mean_ci(df, ["x"])[["n", "mean", "sd"]].iloc[0].tolist()
    [4.0, 2.5, 1.2909944487358056]
    """
    items = _as_item_list(items)
    _check_columns(data, items)
    _check_conf_level(conf_level)
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


# ---------------------------------------------------------------------------
# net promoter score


def nps(values: pd.Series, *, conf_level: float = 0.95) -> pd.DataFrame:
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
    if n == 0:
        promoters = passives = detractors = score = se = low = high = np.nan
    else:
        promoters = float((valid >= 9).mean())
        passives = float(((valid >= 7) & (valid <= 8)).mean())
        detractors = float((valid <= 6).mean())
        score = 100 * (promoters - detractors)
        variance = promoters + detractors - (promoters - detractors) ** 2
        se = 100 * math.sqrt(max(variance, 0.0) / n)
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
        if n_c > 1 and n_p > 1:
            v_c = cur.var(ddof=1) / n_c
            v_p = prev.var(ddof=1) / n_p
            se = math.sqrt(v_c + v_p)
            if se > 0:
                df = (v_c + v_p) ** 2 / (v_c**2 / (n_c - 1) + v_p**2 / (n_p - 1))
                half = _sps.t.ppf((1 + conf_level) / 2, df) * se
                low, high = difference - half, difference + half
                p_value = float(2 * _sps.t.sf(abs(difference / se), df))
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
