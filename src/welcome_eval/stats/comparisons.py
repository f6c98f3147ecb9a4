"""Comparisons between groups, between two waves and of the same units in two waves.

:func:`compare_groups` (Kruskal–Wallis and one-way ANOVA),
:func:`compare_independent` (Mann–Whitney U) and :func:`compare_paired`
(Wilcoxon signed rank and paired t), with p-values adjusted across items by
:func:`p_adjust` (Holm or Benjamini–Hochberg, as R's ``p.adjust``). The tests
are computed by pingouin, unrounded; the reference values come from
``tests/reference/comparisons.R``. :data:`ETA_SQ_THRESHOLDS` and
:data:`R_THRESHOLDS` are Cohen's thresholds for the effect sizes; the
plain-German sentence for a row is
:func:`welcome_eval.present.sentences.describe_comparison`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from welcome_eval._checks import check_columns
from welcome_eval._lazy import public_dir
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.stats._common import (
    as_item_list,
    lazy_pingouin,
    numeric_column,
    valid_answers,
)

__all__ = [
    "CORRECTIONS",
    "ETA_SQ_THRESHOLDS",
    "R_THRESHOLDS",
    "compare_groups",
    "compare_independent",
    "compare_paired",
    "p_adjust",
]
__dir__ = public_dir(__all__)

#: Adjustments of :func:`p_adjust`, :func:`compare_groups`, :func:`compare_independent`
#: and :func:`compare_paired` and the :func:`pingouin.multicomp` method behind each
#: (R's ``p.adjust`` methods ``"holm"``, ``"BH"``, ``"none"``).
CORRECTIONS: dict[str, str | None] = {"holm": "holm", "fdr_bh": "fdr_bh", "none": None}
#: Cohen's (1988) thresholds for small, medium and large η² (also used for ε²).
ETA_SQ_THRESHOLDS = (0.01, 0.06, 0.14)
#: Cohen's (1988) thresholds for small, medium and large correlations (|r_rb|).
R_THRESHOLDS = (0.1, 0.3, 0.5)


def check_correction(correction: str) -> None:
    """Refuse a ``correction`` that is not a key of :data:`CORRECTIONS`.

    Shared with :func:`welcome_eval.present.sentences.describe_comparison`; not
    re-exported by :mod:`welcome_eval.stats`.
    """
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
    check_correction(correction)
    p = np.array(p_values, dtype=float)
    with lazy_pingouin() as pg:
        _, adjusted = pg.multicomp(p, method=CORRECTIONS[correction] or "none")
    return np.asarray(adjusted, dtype=float)


def _all_equal(values: np.ndarray) -> bool:
    return bool(np.all(values == values[0]))


def _kruskal_wallis(y: np.ndarray, codes: np.ndarray) -> tuple[float, float]:
    """H and p of R's ``kruskal.test`` by :func:`pingouin.kruskal`; NaN if all answers are equal."""
    if _all_equal(y):  # R: 0/0; pingouin would divide by a tie correction of 0
        return math.nan, math.nan
    with lazy_pingouin() as pg:
        row = pg.kruskal(pd.DataFrame({"y": y, "g": codes}), dv="y", between="g").iloc[0]
    return float(row["H"]), float(row["p_unc"])


def _one_way_anova(y: np.ndarray, codes: np.ndarray) -> tuple[float, float, float]:
    """F, p and η² of R's ``oneway.test(var.equal = TRUE)`` by :func:`pingouin.anova`.

    All answers equal: NaN (R: 0/0). No variance within the groups but between
    them: F = inf, p = 0 and η² = 1, as in R.
    """
    if _all_equal(y):
        return math.nan, math.nan, math.nan
    with lazy_pingouin() as pg, np.errstate(divide="ignore"):
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
    items = as_item_list(items)
    if not isinstance(group, str):
        raise TypeError(f"group must be a column name (str), got {group!r}")
    check_columns(data, [*items, group])
    check_correction(correction)
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
            valid_answers(data, item, codebook)
        values = numeric_column(data, item).to_numpy()
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
    with lazy_pingouin() as pg:
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
    items = as_item_list(items)
    check_columns(current, items, what="current")
    check_columns(previous, items, what="previous")
    check_correction(correction)
    rows = []
    for item in items:
        cur = numeric_column(current, item, what="current").dropna().to_numpy()
        prev = numeric_column(previous, item, what="previous").dropna().to_numpy()
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
        {item: numeric_column(frame, item, what=what).to_numpy() for item in items}
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
    with lazy_pingouin() as pg:
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
    items = as_item_list(items)
    if not isinstance(on, str):
        raise TypeError(f"on must be a column name (str), got {on!r}")
    check_columns(before, [*items, on], what="before")
    check_columns(after, [*items, on], what="after")
    check_correction(correction)
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
            with lazy_pingouin() as pg:
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
