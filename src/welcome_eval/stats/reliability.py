"""Reliability of multi-item scales: Cronbach's alpha as ``psych::alpha`` computes it.

:func:`cronbach_alpha` returns an :class:`AlphaResult` (raw and standardised
alpha, the Feldt interval, Duhachek's standard error and the per-item table);
:func:`alpha_for_construct` takes a construct's items and reverse keys from the
codebook. Raw alpha is :func:`pingouin.cronbach_alpha`, the rest is computed
here; the reference values come from ``tests/reference/reliability.R``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats as _sps

from welcome_eval._checks import check_columns, renamed_arguments
from welcome_eval._display import Summary, SummaryRepr, ci_label, integer, interval, number
from welcome_eval._lazy import public_dir
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.stats._common import lazy_pingouin, numeric_column, valid_answers

__all__ = ["NAN_POLICIES", "AlphaResult", "alpha_for_construct", "cronbach_alpha"]
__dir__ = public_dir(__all__)

#: Missing-value handling of :func:`cronbach_alpha`.
NAN_POLICIES = ("pairwise", "listwise")


@dataclass(frozen=True, eq=False, repr=False)
class AlphaResult(SummaryRepr):
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

    def _summary(self) -> Summary:
        policy = "paarweise" if self.nan_policy == "pairwise" else "listenweise"
        return Summary(
            "AlphaResult",
            f"Cronbachs Alpha über {self.n_items} Items",
            [
                ("Alpha", number(self.alpha, 3)),
                (f"{ci_label(self.ci)} (Feldt)", interval(self.ci_low, self.ci_high, 3)),
                ("standardisiertes Alpha", number(self.std_alpha, 3)),
                ("Befragte", f"{integer(self.n)} (fehlende Werte {policy})"),
            ],
            columns=["Item", "Trennschärfe", "Alpha ohne Item"],
            rows=[
                [
                    str(row["item"]) + (" (umgepolt)" if row["reversed"] else ""),
                    number(row["r_drop"], 3),
                    number(row["alpha_if_deleted"], 3),
                ]
                for row in self.items.to_dict("records")
            ],
        )

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
    with lazy_pingouin() as pg:
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
    check_columns(items, reverse, what="items (reverse)")
    if nan_policy not in NAN_POLICIES:
        raise ValueError(
            f"nan_policy must be one of {', '.join(map(repr, NAN_POLICIES))}, got {nan_policy!r}"
        )
    if not (isinstance(conf_level, int | float) and 0 < conf_level < 1):
        raise ValueError(
            f"conf_level must be a confidence level between 0 and 1 (e.g. 0.95), got {conf_level!r}"
        )
    x = pd.DataFrame(
        {column: numeric_column(items, column, what="items").to_numpy() for column in columns},
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
    check_columns(data, items)
    for item in items:
        valid_answers(data, item, codebook)
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
