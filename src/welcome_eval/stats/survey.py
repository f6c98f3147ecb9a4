r"""Design-based estimation for weighted survey samples, checked against R's survey package.

A :class:`Design` describes how the sample was drawn: weights, optional
strata, optional clusters (primary sampling units, PSUs) and optional finite
population corrections. Its methods estimate means, totals, proportions,
quantiles and domain means with standard errors from Taylor linearisation,
exactly as R's ``survey`` package does for a ``svydesign(ids, strata,
weights, fpc)`` object (survey 4.1-1 under R 4.2.2; see
``tests/reference/survey_design.R``). :func:`rake` and :meth:`Design.rake`
adjust weights to known population margins by iterative proportional fitting;
the raked design keeps the calibration in its standard errors, as R's
``rake()`` does.

Linearisation (Binder 1983; Wolter 2007, ch. 6; Lumley 2010, ch. 2): every
estimator :math:`\hat\theta` is turned into per-row influence values
:math:`z_i` (for the mean :math:`z_i = w_i (y_i - \hat{\bar y}) / \sum_j w_j`;
for the total :math:`z_i = w_i y_i`). With PSU totals
:math:`t_{hc} = \sum_{i \in (h, c)} z_i` of the :math:`n_h` PSUs of stratum
*h*, their mean :math:`\bar t_h` and the population number of PSUs
:math:`N_h`

.. math::

    \widehat{\operatorname{Var}}(\hat\theta) = \sum_h \Bigl(1 - \frac{n_h}{N_h}\Bigr)
    \frac{n_h}{n_h - 1} \sum_{c=1}^{n_h} (t_{hc} - \bar t_h)^2

(the "ultimate cluster" estimator; without ``fpc`` the first factor is 1).
Nothing is printed or rounded.

References
----------
Binder, D. A. (1983). On the variances of asymptotically normal estimators
from complex surveys. *International Statistical Review* 51, 279–292. —
Wolter, K. M. (2007). *Introduction to Variance Estimation* (2nd ed.).
Springer. — Lumley, T. (2004). Analysis of complex survey samples. *Journal of
Statistical Software* 9(8). — Lumley, T. (2010). *Complex Surveys: A Guide to
Analysis Using R*. Wiley. — Lumley, T. (2021). survey: analysis of complex
survey samples. R package version 4.1-1, <https://CRAN.R-project.org/package=survey>.
"""

from __future__ import annotations

import copy
import math
from collections.abc import Hashable, Mapping
from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats as _sps

from welcome_eval._checks import check_conf_level as _check_conf_level
from welcome_eval._checks import renamed_arguments
from welcome_eval._display import (
    Summary,
    SummaryRepr,
    ci_label,
    integer,
    significant,
    significant_interval,
)
from welcome_eval._lazy import public_dir

__all__ = ["Design", "Estimate", "rake"]
__dir__ = public_dir(__all__)

#: Values of ``lonely_psu``, as R's ``options(survey.lonely.psu = ...)``.
LONELY_PSU_OPTIONS: tuple[str, ...] = ("fail", "certainty", "remove", "adjust", "average")

#: Interval methods of :meth:`Design.proportion`.
PROPORTION_METHODS: tuple[str, ...] = ("logit", "wald")

#: Backfitting sweeps R's ``svyrecvar()`` makes over the margins of a raked design.
RAKING_RESIDUAL_SWEEPS = 10
#: German names of the statistics, for showing an :class:`Estimate` in a notebook.
_STATISTIC_NAMES = {
    "mean": "Mittelwert",
    "total": "Summe",
    "proportion": "Anteil",
    "quantile": "Quantil",
}


# ---------------------------------------------------------------------------
# result type


@dataclass(frozen=True, repr=False)
class Estimate(SummaryRepr):
    """One design-based estimate with its standard error and interval.

    Attributes
    ----------
    variable : str
        Column the estimate refers to.
    statistic : str
        ``"mean"``, ``"total"``, ``"proportion"`` or ``"quantile"``.
    estimate : float
        Point estimate.
    se : float
        Linearisation standard error (for quantiles the Woodruff standard
        error, as R's ``SE(svyquantile(...))``).
    ci_low, ci_high : float
        Confidence limits.
    deff : float
        Design effect as R's ``deff = TRUE`` (``NaN`` where R gives none, e.g.
        for quantiles).
    n : int
        Number of rows that entered the estimate (non-missing values).
    conf_level : float
        Confidence level of the interval.
    detail : str
        Settings that qualify the statistic (quantile, category, interval method).

    Examples
    --------
    >>> est = Estimate("y", "mean", 2.0, 0.5, 1.0, 3.0, 1.2, 10, 0.95)
    >>> est.to_frame()[["variable", "estimate", "se"]].to_dict("records")
    [{'variable': 'y', 'estimate': 2.0, 'se': 0.5}]
    """

    variable: str
    statistic: str
    estimate: float
    se: float
    ci_low: float
    ci_high: float
    deff: float
    n: int
    conf_level: float
    detail: str = ""

    def _summary(self) -> Summary:
        name = _STATISTIC_NAMES.get(self.statistic, self.statistic)
        return Summary(
            "Estimate",
            f"{name} von {self.variable}" + (f" ({self.detail})" if self.detail else ""),
            [
                ("Schätzwert", significant(self.estimate, 4)),
                ("Standardfehler", significant(self.se, 3)),
                (ci_label(self.conf_level), significant_interval(self.ci_low, self.ci_high)),
                ("Designeffekt", significant(self.deff, 3)),
                ("Fälle", integer(self.n)),
            ],
        )

    def to_frame(self) -> pd.DataFrame:
        """The estimate as a one-row tidy :class:`pandas.DataFrame`.

        Columns are the attributes in declaration order: ``variable``,
        ``statistic``, ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``deff``,
        ``n``, ``conf_level``, ``detail``.

        Examples
        --------
        >>> Estimate("y", "total", 20.0, 4.0, 12.0, 28.0, 1.0, 5, 0.95).to_frame().shape
        (1, 10)
        """
        return pd.DataFrame([asdict(self)])


# ---------------------------------------------------------------------------
# input checks


def _check_frame(data: object) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if len(data) == 0:
        raise ValueError("data has no rows; a design needs at least two sampled units")
    return data


def _column(data: pd.DataFrame, column: object, *, role: str) -> pd.Series:
    if not isinstance(column, str):
        raise TypeError(f"{role} must be a column name (str), got {column!r}")
    if column not in data.columns:
        known = ", ".join(map(str, data.columns[:20])) + (", …" if data.shape[1] > 20 else "")
        raise KeyError(f"{role} column {column!r} not found in data; available columns: {known}")
    values = data[column]
    if isinstance(values, pd.DataFrame):
        raise ValueError(f"{role} column {column!r} appears more than once in data")
    return values


def _numeric(values: pd.Series, *, role: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(values):
        return values.astype(float).to_numpy()
    if not pd.api.types.is_numeric_dtype(values):
        hint = " (for the share of a category use Design.proportion(var, category))"
        raise ValueError(
            f"{role} column {values.name!r} has dtype {values.dtype}; expected numbers"
            + (hint if role == "variable" else "")
        )
    return values.astype(float).to_numpy()


def _check_df(df: float | None) -> None:
    if df is not None and (isinstance(df, bool) or not isinstance(df, int | float) or df <= 0):
        raise ValueError(
            f"df must be None (R's default) or positive degrees of freedom (math.inf for "
            f"normal intervals), got {df!r}"
        )


def _critical(conf_level: float, df: float) -> float:
    """Two-sided critical value: normal for ``df = inf``, else Student's t (R's ``qt``)."""
    upper = (1 + conf_level) / 2
    if math.isinf(df):
        return float(_sps.norm.ppf(upper))
    return float(_sps.t.ppf(upper, df))


def _codes(values: pd.Series) -> tuple[np.ndarray, list]:
    """Integer codes and sorted labels of a grouping column without missing values."""
    codes, labels = pd.factorize(values, sort=True)
    return codes.astype(np.intp), list(labels)


# ---------------------------------------------------------------------------
# raking


def _margin_targets(
    data: pd.DataFrame, margins: Mapping[str, Mapping | pd.Series]
) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """Per margin: column name, category code per row and population count per code."""
    if not isinstance(margins, Mapping) or not margins:
        raise ValueError(
            "margins must be a non-empty mapping of column name to population counts, "
            "e.g. {'stype': {'E': 4421, 'H': 755, 'M': 1018}}"
        )
    result = []
    totals = {}
    for column, population in margins.items():
        values = _column(data, column, role="margin")
        if values.isna().any():
            raise ValueError(
                f"margin column {column!r} has {int(values.isna().sum())} missing values; "
                "every row needs a category to be raked"
            )
        if isinstance(population, pd.Series):
            population = population.to_dict()
        if not isinstance(population, Mapping) or not population:
            raise ValueError(
                f"population counts of margin {column!r} must be a non-empty mapping or Series "
                f"of category to count, got {population!r}"
            )
        counts = {}
        for category, count in population.items():
            if isinstance(count, bool) or not isinstance(count, int | float | np.number):
                raise ValueError(
                    f"population count of category {category!r} of margin {column!r} must be "
                    f"a number, got {count!r}"
                )
            if not math.isfinite(count) or count < 0:
                raise ValueError(
                    f"population count of category {category!r} of margin {column!r} must be "
                    f"finite and non-negative, got {count!r}"
                )
            counts[category] = float(count)
        sample_categories = pd.unique(values)
        unknown = [c for c in sample_categories if c not in counts or counts[c] == 0]
        if unknown:
            raise ValueError(
                f"categor{'y' if len(unknown) == 1 else 'ies'} "
                f"{', '.join(map(repr, unknown))} of margin {column!r} occur in the sample but "
                f"have no (positive) population count; population categories: "
                f"{', '.join(map(repr, counts))}"
            )
        present = set(sample_categories)
        unreached = [c for c, n in counts.items() if n > 0 and c not in present]
        if unreached:
            raise ValueError(
                f"population categor{'y' if len(unreached) == 1 else 'ies'} "
                f"{', '.join(map(repr, unreached))} of margin {column!r} "
                f"{'has' if len(unreached) == 1 else 'have'} no rows in the sample, so raking "
                "cannot reach the count; merge categories or drop them from the margin"
            )
        labels = [c for c, n in counts.items() if n > 0]
        index = pd.Index(labels)
        codes = index.get_indexer(values)
        result.append((column, codes.astype(np.intp), np.array([counts[c] for c in labels])))
        totals[column] = float(sum(counts.values()))
    first = next(iter(totals.values()))
    if any(not math.isclose(t, first, rel_tol=1e-9) for t in totals.values()):
        shown = ", ".join(f"{c!r}: {t:.10g}" for c, t in totals.items())
        raise ValueError(
            f"population margins must add up to the same total (the population size), got {shown}"
        )
    return result


def _margin_deviation(
    weights: np.ndarray, targets: list[tuple[str, np.ndarray, np.ndarray]]
) -> tuple[float, str]:
    """Largest relative deviation of weighted category totals from the population counts."""
    worst, where = 0.0, ""
    for column, codes, target in targets:
        sums = np.bincount(codes, weights=weights, minlength=len(target))
        deviation = np.abs(sums - target) / target
        j = int(np.argmax(deviation))
        if deviation[j] > worst or not where:
            worst, where = float(deviation[j]), column
    return worst, where


def _ipf(
    weights: np.ndarray,
    targets: list[tuple[str, np.ndarray, np.ndarray]],
    *,
    max_iter: int,
    tol: float,
    trim: tuple[float, float] | None = None,
) -> tuple[np.ndarray, list[np.ndarray]]:
    """Iterative proportional fitting; returns the weights and the weights after each margin
    step of the last cycle (R's ``attr(postStrata[[i]], "weights")``)."""
    if isinstance(max_iter, bool) or not isinstance(max_iter, int | np.integer) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}")
    if isinstance(tol, bool) or not isinstance(tol, int | float) or not tol > 0:
        raise ValueError(f"tol must be a positive number (e.g. 1e-10), got {tol!r}")
    if trim is not None and (
        not isinstance(trim, tuple | list)
        or len(trim) != 2
        or not all(isinstance(b, int | float) and not isinstance(b, bool) for b in trim)
        or not 0 <= trim[0] < 1 < trim[1]
    ):
        raise ValueError(
            "trim must be a pair (low, high) of bounds relative to the mean weight with "
            f"0 <= low < 1 < high, e.g. (0.2, 5.0); got {trim!r}"
        )
    w = weights.astype(float).copy()
    steps: list[np.ndarray] = []
    deviation, where = math.inf, ""
    for _ in range(int(max_iter)):
        steps = []
        for _column_name, codes, target in targets:
            sums = np.bincount(codes, weights=w, minlength=len(target))
            w = w * (target / sums)[codes]
            steps.append(w.copy())
        if trim is not None:
            mean = w.mean()
            w = np.clip(w, trim[0] * mean, trim[1] * mean)
        deviation, where = _margin_deviation(w, targets)
        if deviation <= tol:
            return w, steps
    raise ValueError(
        f"raking did not converge within max_iter={max_iter} cycles: the weighted totals of "
        f"margin {where!r} still differ from the population counts by {deviation:.3g} "
        f"(relative; tol={tol:g})"
        + (
            "; the trimming bounds may be too tight to meet all margins"
            if trim is not None
            else "; raise max_iter or check that the margins are compatible"
        )
    )


def rake(
    data: pd.DataFrame,
    *,
    weights: str,
    margins: Mapping[str, Mapping | pd.Series],
    max_iter: int = 100,
    tol: float = 1e-10,
    trim: tuple[float, float] | None = None,
) -> pd.Series:
    r"""Rake weights to population margins by iterative proportional fitting.

    Starting from the design weights :math:`w_i^{(0)}`, each cycle visits the
    margins in the given order and multiplies the weights of every category
    *c* of margin *m* by the ratio of its population count to its current
    weighted count:

    .. math::

        w_i \leftarrow w_i \, \frac{N_{mc}}{\sum_{j:\, x_{jm} = c} w_j}
        \quad \text{for } x_{im} = c .

    Cycles repeat until every weighted category total is within ``tol``
    (relative) of its population count (Deming & Stephan 1940). This is the
    weight computation of R's ``rake(design, list(~a, ~b), list(pop_a, pop_b))``
    run to convergence (R's default ``control = list(maxit = 10, epsilon = 1)``
    stops earlier).

    With ``trim = (low, high)`` the weights are clipped to
    ``[low * mean(w), high * mean(w)]`` after each full cycle, and the next
    cycle rakes the clipped weights again; convergence is judged on the clipped
    weights, so the result both respects the bounds and meets the margins (or
    raises if both cannot be had within ``max_iter`` cycles).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent.
    weights : str
        Column with the starting (design) weights: positive and finite.
    margins : mapping of str to mapping or pandas.Series
        For each margin column, the population count of each category, e.g.
        ``{"region": {"Nord": 1200, "Süd": 800}, "sex": pd.Series({"f": 1010, "m": 990})}``.
        Categories with a population count of 0 and no sample rows are ignored.
        All margins must add up to the same population size.
    max_iter : int, default 100
        Maximum number of raking cycles.
    tol : float, default 1e-10
        Convergence tolerance: largest relative deviation of a weighted
        category total from its population count.
    trim : tuple of float, optional
        Bounds ``(low, high)`` relative to the mean weight, with
        ``0 <= low < 1 < high``.

    Returns
    -------
    pandas.Series
        Raked weights, aligned with ``data.index`` and named like ``weights``.

    Raises
    ------
    ValueError
        If a sample category has no population count, a population category
        has no sample rows, a margin column has missing values, the margins add
        up to different totals, or raking does not converge within ``max_iter``
        cycles (the message gives the remaining relative deviation).
    KeyError
        If a column is not in ``data``.

    References
    ----------
    Deming, W. E. & Stephan, F. F. (1940). On a least squares adjustment of a
    sampled frequency table when the expected marginal totals are known.
    *Annals of Mathematical Statistics* 11, 427–444. — Deville, J.-C., Särndal,
    C.-E. & Sautory, O. (1993). Generalized raking procedures in survey
    sampling. *JASA* 88, 1013–1020. — Lumley (2010), *Complex Surveys*, ch. 7.

    Examples
    --------
    >>> df = pd.DataFrame({"sex": ["f", "f", "m", "m"], "age": ["y", "o", "y", "o"],
    ...                    "w": [1.0, 1.0, 1.0, 1.0]})
    >>> rake(df, weights="w", margins={"sex": {"f": 60, "m": 40},
    ...                                "age": {"y": 50, "o": 50}}).tolist()
    [30.0, 30.0, 20.0, 20.0]
    """
    _check_frame(data)
    w = _numeric(_column(data, weights, role="weights"), role="weights")
    _check_weights(w, weights)
    targets = _margin_targets(data, margins)
    raked, _steps = _ipf(w, targets, max_iter=max_iter, tol=tol, trim=trim)
    return pd.Series(raked, index=data.index, name=weights)


def _check_weights(w: np.ndarray, column: str) -> None:
    bad = ~np.isfinite(w) | (w <= 0)
    if bad.any():
        first = int(np.flatnonzero(bad)[0])
        raise ValueError(
            f"weights column {column!r} must be positive and finite; {int(bad.sum())} row(s) "
            f"are not (first at position {first}: {w[first]!r})"
        )


# ---------------------------------------------------------------------------
# weighted quantile


def _qrule_math(x: np.ndarray, w: np.ndarray, p: float) -> float:
    """Smallest x whose weighted CDF reaches p (R survey's ``qrule_math``)."""
    keep = w != 0
    x, w = x[keep], w[keep]
    order = np.argsort(x, kind="stable")
    xs = x[order]
    # R accumulates cumsum() and sum() in long double
    cumulative = np.cumsum(w[order], dtype=np.longdouble)
    cum = cumulative.astype(float)
    total = float(cumulative[-1])
    below = np.flatnonzero(cum <= p * total)
    if len(below) == 0:
        return float(xs[0])
    pos = int(below[-1])
    if p - cum[pos] / total == 0:
        return float(xs[pos])
    return float(xs[min(pos + 1, len(xs) - 1)])


# ---------------------------------------------------------------------------
# design


class Design:
    r"""A survey design: weights, strata, clusters and finite population corrections.

    The Python counterpart of R's
    ``svydesign(ids = ~cluster, strata = ~strata, weights = ~weights, fpc = ~fpc)``
    (one stage; ``ids = ~1`` when ``cluster`` is ``None``). Standard errors come
    from Taylor linearisation with the "ultimate cluster" variance estimator
    (see the module docstring):

    .. math::

        \widehat{\operatorname{Var}}(\hat\theta) = \sum_h f_h \frac{n_h}{n_h - 1}
        \sum_{c} (t_{hc} - \bar t_h)^2, \qquad f_h = \frac{N_h - n_h}{N_h}

    where :math:`t_{hc}` is the sum of the influence values of PSU *c* in
    stratum *h*, :math:`n_h` the number of sampled PSUs and :math:`N_h` the
    population number of PSUs (``fpc``; :math:`f_h = 1` without it).

    Parameters
    ----------
    data : pandas.DataFrame
        One row per sampled unit (respondent).
    weights : str
        Column with sampling weights (inverse inclusion probabilities, summing
        to the population size for totals and design effects to be meaningful);
        positive and finite.
    strata : str, optional
        Column with the stratum of each row.
    cluster : str, optional
        Column with the primary sampling unit (cluster) of each row; every row
        is its own PSU when omitted.
    fpc : str, optional
        Finite population correction, constant within a stratum: the population
        size of the stratum (for a cluster design, the number of clusters in the
        population), or the sampling fraction when every value is at most 1, as
        in R's ``svydesign``.
    lonely_psu : {"fail", "certainty", "remove", "adjust", "average"}
        What to do with a stratum that holds a single PSU, as R's
        ``options(survey.lonely.psu = ...)`` (checked when a variance is
        computed, as in R): ``"fail"`` raises, ``"certainty"`` and
        ``"remove"`` let it contribute nothing, ``"adjust"`` centres its PSU
        total at zero (the population mean of the influence values) instead of
        at the stratum mean, ``"average"`` replaces its contribution by the
        average over the other strata. R's ``survey.adjust.domain.lonely``
        option is taken at its default (``FALSE``).
    nest : bool, default False
        Cluster ids are only unique within strata (R's ``nest = TRUE``).
        Without it, a cluster id found in two strata raises an error.

    Raises
    ------
    KeyError
        If a named column is not in ``data``.
    ValueError
        If weights are not positive and finite, strata or clusters have missing
        values, the fpc varies within a stratum, is smaller than the number of
        sampled PSUs, mixes population sizes and fractions, or the design has a
        single PSU.

    Notes
    -----
    Missing values in the analysis variable are dropped the way R does with
    ``na.rm = TRUE``: the estimate is computed on a subset of the design,
    which keeps the strata and the number of sampled PSUs of the full design
    (its rows simply contribute nothing), so this is domain estimation.
    Checked against survey 4.1-1 (R 4.2.2) on the ``api`` data: estimates,
    standard errors, intervals and design effects agree to 1e-9 relative
    (``tests/test_survey.py``).

    References
    ----------
    Lumley, T. (2004). Analysis of complex survey samples. *Journal of
    Statistical Software* 9(8). — Wolter, K. M. (2007). *Introduction to
    Variance Estimation* (2nd ed.), ch. 6. Springer. — Cochran, W. G. (1977).
    *Sampling Techniques* (3rd ed.), ch. 5 and 9A. Wiley.

    Examples
    --------
    >>> df = pd.DataFrame({"region": ["a", "a", "a", "b", "b", "b"],
    ...                    "w": [10.0, 10.0, 10.0, 20.0, 20.0, 20.0],
    ...                    "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
    >>> design = Design(df, weights="w", strata="region")
    >>> design.mean("y").estimate
    4.0
    >>> design.total("y").estimate
    360.0
    """

    def __init__(
        self,
        data: pd.DataFrame,
        *,
        weights: str,
        strata: str | None = None,
        cluster: str | None = None,
        fpc: str | None = None,
        lonely_psu: str = "fail",
        nest: bool = False,
    ) -> None:
        _check_frame(data)
        if lonely_psu not in LONELY_PSU_OPTIONS:
            raise ValueError(
                f"lonely_psu must be one of {', '.join(map(repr, LONELY_PSU_OPTIONS))} "
                f"(as R's survey.lonely.psu), got {lonely_psu!r}"
            )
        n = len(data)
        w = _numeric(_column(data, weights, role="weights"), role="weights")
        _check_weights(w, weights)

        if strata is None:
            strata_codes, strata_labels = np.zeros(n, dtype=np.intp), [1]
        else:
            values = _column(data, strata, role="strata")
            if values.isna().any():
                raise ValueError(
                    f"strata column {strata!r} has {int(values.isna().sum())} missing values"
                )
            strata_codes, strata_labels = _codes(values)

        if cluster is None:
            psu_codes = np.arange(n, dtype=np.intp)
        else:
            values = _column(data, cluster, role="cluster")
            if values.isna().any():
                raise ValueError(
                    f"cluster column {cluster!r} has {int(values.isna().sum())} missing values"
                )
            cluster_codes, cluster_labels = _codes(values)
            if nest:
                pairs = pd.DataFrame({"h": strata_codes, "c": cluster_codes})
                psu_codes = pairs.groupby(["h", "c"], sort=True).ngroup().to_numpy(np.intp)
            else:
                per_cluster = pd.Series(strata_codes).groupby(cluster_codes).nunique()
                if (per_cluster > 1).any():
                    bad = cluster_labels[int(per_cluster.index[per_cluster > 1][0])]
                    raise ValueError(
                        f"cluster {bad!r} of column {cluster!r} occurs in more than one stratum; "
                        "clusters must be nested in strata. If cluster ids restart within each "
                        "stratum, pass nest=True"
                    )
                psu_codes = cluster_codes
        if len(np.unique(psu_codes)) < 2:
            raise ValueError(
                "the design has only one primary sampling unit (cluster); its variance cannot "
                "be estimated"
            )

        # number of sampled PSUs per stratum
        n_psu = (
            pd.Series(psu_codes)
            .groupby(strata_codes)
            .nunique()
            .reindex(range(len(strata_labels)))
            .to_numpy(dtype=float)
        )
        popsize = None
        if fpc is not None:
            popsize = self._popsize(data, fpc, strata_codes, strata_labels, n_psu)

        self._data = data
        self._weights_column = weights
        self._strata_column = strata
        self._cluster_column = cluster
        self._fpc_column = fpc
        self._lonely_psu = lonely_psu
        self._w = w
        self._strata = strata_codes
        self._strata_labels = strata_labels
        self._psu = psu_codes
        self._n_psu = n_psu
        self._popsize = popsize
        # raking stages: list of [(category codes, weights after that margin step), ...]
        self._calibration: list[list[tuple[np.ndarray, np.ndarray]]] = []
        # per stratum: row positions and PSU codes 0..n_h-1 within the stratum
        self._stratum_rows = []
        for h in range(len(strata_labels)):
            rows = np.flatnonzero(strata_codes == h)
            local = pd.factorize(psu_codes[rows], sort=True)[0].astype(np.intp)
            self._stratum_rows.append((rows, local))

    @staticmethod
    def _popsize(
        data: pd.DataFrame,
        fpc: str,
        strata_codes: np.ndarray,
        strata_labels: list,
        n_psu: np.ndarray,
    ) -> np.ndarray:
        values = _numeric(_column(data, fpc, role="fpc"), role="fpc")
        if not np.isfinite(values).all() or (values <= 0).any():
            raise ValueError(
                f"fpc column {fpc!r} must hold positive finite numbers (population sizes, or "
                "sampling fractions when all are at most 1) without missing values"
            )
        per_stratum = pd.Series(values).groupby(strata_codes)
        varying = per_stratum.nunique()
        if (varying > 1).any():
            h = int(varying.index[varying > 1][0])
            raise ValueError(
                f"fpc column {fpc!r} varies within stratum {strata_labels[h]!r}; it must be "
                "constant within a stratum (the stratum's population size or sampling fraction)"
            )
        value = per_stratum.first().reindex(range(len(strata_labels))).to_numpy()
        if (values > 1).any():
            if (values < 1).any():
                raise ValueError(
                    f"fpc column {fpc!r} mixes population sizes (> 1) and sampling fractions "
                    "(< 1); use one or the other"
                )
            popsize = value
        elif (values < 1).any():
            popsize = n_psu / value
        else:
            raise ValueError(
                f"every value of fpc column {fpc!r} is 1, which is ambiguous (R's svydesign "
                "rejects it too); give population sizes or sampling fractions"
            )
        too_small = popsize < n_psu * (1 - 1e-12)
        if too_small.any():
            h = int(np.flatnonzero(too_small)[0])
            raise ValueError(
                f"fpc implies more than 100% sampling in stratum {strata_labels[h]!r}: "
                f"population size {popsize[h]:g} but {int(n_psu[h])} sampled PSUs"
            )
        return popsize

    # -- basic properties ---------------------------------------------------

    def __repr__(self) -> str:
        parts = [f"n={len(self._data)}", f"weights={self._weights_column!r}"]
        if self._strata_column is not None:
            parts.append(f"strata={self._strata_column!r} ({len(self._strata_labels)})")
        if self._cluster_column is not None:
            parts.append(f"cluster={self._cluster_column!r} ({len(np.unique(self._psu))})")
        if self._fpc_column is not None:
            parts.append(f"fpc={self._fpc_column!r}")
        if self._calibration:
            parts.append(f"raked on {len(self._calibration)} set(s) of margins")
        return f"Design({', '.join(parts)})"

    def _repr_html_(self) -> str:
        w = self._w
        facts: list[tuple[str, object]] = [
            ("Fälle", integer(len(self._data))),
            (
                "Gewichte",
                f"{self._weights_column} (Summe {significant(w.sum(), 4)}, "
                f"{significant(w.min(), 3)} bis {significant(w.max(), 3)})",
            ),
        ]
        if self._strata_column is not None:
            facts.append(("Schichten", f"{self._strata_column} ({len(self._strata_labels)})"))
        if self._cluster_column is not None:
            facts.append(("Cluster", f"{self._cluster_column} ({len(np.unique(self._psu))})"))
        if self._fpc_column is not None:
            facts.append(("Endlichkeitskorrektur", self._fpc_column))
        facts.append(
            ("Geraket", f"ja ({len(self._calibration)}×)" if self._calibration else "nein")
        )
        return Summary("Design", "Stichprobendesign", facts).html()

    @property
    def data(self) -> pd.DataFrame:
        """The data the design was built on (not copied; do not modify it)."""
        return self._data

    @property
    def weights(self) -> pd.Series:
        """Current weights (raked after :meth:`rake`), aligned with ``data.index``."""
        return pd.Series(self._w, index=self._data.index, name=self._weights_column)

    @property
    def calibrated(self) -> bool:
        """Whether the weights have been raked (R's ``is.calibrated``)."""
        return bool(self._calibration)

    def degf(self, mask: np.ndarray | None = None) -> int:
        """Design degrees of freedom: sampled PSUs minus strata (R's ``degf``).

        With ``mask`` (boolean, one value per row) only rows in the mask count,
        as for R's ``degf`` of a subset design.

        Examples
        --------
        >>> df = pd.DataFrame({"h": [1, 1, 2, 2], "w": [1.0, 1.0, 2.0, 2.0]})
        >>> Design(df, weights="w", strata="h").degf()
        2
        """
        inset = np.ones(len(self._w), dtype=bool) if mask is None else np.asarray(mask, bool)
        return int(len(np.unique(self._psu[inset])) - len(np.unique(self._strata[inset])))

    # -- variance -----------------------------------------------------------

    def _calibration_residuals(self, z: np.ndarray) -> np.ndarray:
        """Influence values after raking, as R's ``svyrecvar`` for ``postStrata`` of class
        ``raking``: ten backfitting sweeps of ``z - w * ave(z / w, margin)``."""
        for stage in self._calibration:
            for _ in range(RAKING_RESIDUAL_SWEEPS):
                for codes, psw in stage:
                    u = z / psw
                    sums = np.bincount(codes, weights=u)
                    counts = np.bincount(codes)
                    z = z - psw * (sums / counts)[codes]
        return z

    def _variance(self, z: np.ndarray, present: np.ndarray) -> float:
        """Ultimate-cluster variance of the influence values ``z``.

        ``present`` marks the rows of the (subset) design R would pass on:
        the domain rows for an uncalibrated design, all rows for a raked one.
        """
        z = self._calibration_residuals(z)
        total = 0.0
        n_strata = n_ok = 0
        for h, (rows, local) in enumerate(self._stratum_rows):
            keep = present[rows]
            if not keep.any():
                continue
            n_strata += 1
            n_h = self._n_psu[h]
            # R's onestrat: f = (N_h - n_h) / N_h, no contribution when f < 1e-7
            f = 1.0 if self._popsize is None else (self._popsize[h] - n_h) / self._popsize[h]
            if f < 1e-7:
                n_ok += 1
                continue
            t = np.bincount(local[keep], weights=z[rows][keep], minlength=int(n_h))
            n_sub = len(np.unique(local[keep]))
            scale = f * n_h / (n_h - 1) if n_h > 1 else f
            if self._lonely_psu != "adjust" or n_sub > 1 or n_h > 1:
                t = t - t.mean()
            if n_h == 1:
                if self._lonely_psu == "fail":
                    raise ValueError(
                        f"stratum {self._strata_labels[h]!r} has only one PSU (primary sampling "
                        "unit) at stage 1, so its variance cannot be estimated; choose "
                        "lonely_psu='certainty', 'remove', 'adjust' or 'average' (R's "
                        "options(survey.lonely.psu = ...))"
                    )
                if self._lonely_psu == "average":
                    continue
            n_ok += 1
            total += float(scale * np.dot(t, t))
        if n_ok == 0:
            return math.nan
        return total * n_strata / n_ok

    # -- estimation core ----------------------------------------------------

    def _domain(self, y: np.ndarray, mask: np.ndarray | None = None) -> tuple[np.ndarray, ...]:
        """Effective weights, values (NaN -> 0) and present rows of a subset design."""
        use = ~np.isnan(y)
        if mask is not None:
            use &= mask
        w = np.where(use, self._w, 0.0)
        present = np.ones(len(y), dtype=bool) if self.calibrated else use
        return w, np.where(use, y, 0.0), present, use

    def _mean_core(self, y: np.ndarray, mask: np.ndarray | None = None) -> tuple[float, ...]:
        """Mean, variance, design effect and n of ``y`` in a domain (R's svymean)."""
        w, y0, present, use = self._domain(y, mask)
        n = int(use.sum())
        if n == 0:
            return math.nan, math.nan, math.nan, 0
        psum = _rsum(w)
        mean = _rsum(y0 * w / psum)
        z = (y0 - mean) * w / psum
        variance = self._variance(z, present)
        # R: vsrs <- svyvar(x) * (psum - nobs) / (psum * nobs), svyvar with n / (n - 1)
        if psum < n or n < 2:
            deff = math.nan
        else:
            s2 = float(np.dot(w, (y0 - mean) ** 2) / psum) * n / (n - 1)
            vsrs = s2 * (psum - n) / (psum * n)
            deff = variance / vsrs if vsrs > 0 else math.inf
        return mean, variance, deff, n

    def _total_core(self, y: np.ndarray, mask: np.ndarray | None = None) -> tuple[float, ...]:
        """Total, variance, design effect and n of ``y`` in a domain (R's svytotal)."""
        w, y0, present, use = self._domain(y, mask)
        n = int(use.sum())
        total = _rsum(y0 * w)
        variance = self._variance(y0 * w, present) if n else math.nan
        psum = _rsum(w)
        if psum < n or n < 2:
            deff = math.nan
        else:
            mean = total / psum
            s2 = float(np.dot(w, (y0 - mean) ** 2) / psum) * n / (n - 1)
            vsrs = s2 * psum**2 * (psum - n) / (psum * n)
            deff = variance / vsrs if vsrs > 0 else math.inf
        return total, variance, deff, n

    def _values(self, var: str) -> np.ndarray:
        return _numeric(_column(self._data, var, role="variable"), role="variable")

    def _normal_estimate(
        self, var: str, statistic: str, core: tuple[float, ...], conf_level: float
    ) -> Estimate:
        value, variance, deff, n = core
        se = math.sqrt(variance) if variance >= 0 else math.nan
        half = _critical(conf_level, math.inf) * se
        return Estimate(var, statistic, value, se, value - half, value + half, deff, n, conf_level)

    # -- public estimators --------------------------------------------------

    def mean(self, var: str, *, conf_level: float = 0.95) -> Estimate:
        r"""Weighted mean with linearisation standard error, as R's ``svymean``.

        .. math::

            \hat{\bar y} = \frac{\sum_i w_i y_i}{\sum_i w_i}, \qquad
            z_i = \frac{w_i (y_i - \hat{\bar y})}{\sum_j w_j},

        the variance of :math:`\hat{\bar y}` is the design variance of the
        :math:`z_i` (class docstring) and the interval is
        :math:`\hat{\bar y} \pm z_{(1+\text{conf\_level})/2}\,\text{SE}` (R's
        ``confint()`` default). The design effect is R's ``deff = TRUE``:
        the variance divided by that of simple random sampling without
        replacement of the same size, :math:`s^2 (1 - n/\hat N)/n` with
        :math:`\hat N = \sum_i w_i` and the weighted variance
        :math:`s^2 = \frac{n}{n-1}\sum_i w_i (y_i - \hat{\bar y})^2 / \sum_i w_i`
        (Kish 1965). It is ``NaN`` when the weights sum to less than *n*.

        Parameters
        ----------
        var : str
            Numeric (or boolean) column; missing values are dropped as R's
            ``na.rm = TRUE`` (the estimate refers to the rows with a value).
        conf_level : float, default 0.95
            Confidence level of the normal interval.

        Returns
        -------
        Estimate

        References
        ----------
        Kish, L. (1965). *Survey Sampling*, § 8.2. Wiley. — Lumley (2010),
        *Complex Surveys*, § 2.2.

        Examples
        --------
        >>> df = pd.DataFrame({"region": ["a", "a", "a", "b", "b", "b"],
        ...                    "w": [10.0, 10.0, 10.0, 20.0, 20.0, 20.0],
        ...                    "y": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]})
        >>> est = Design(df, weights="w", strata="region").mean("y")
        >>> est.estimate, est.se
        (4.0, 0.4303314829119352)
        """
        _check_conf_level(conf_level)
        core = self._mean_core(self._values(var))
        return self._normal_estimate(var, "mean", core, conf_level)

    def total(self, var: str, *, conf_level: float = 0.95) -> Estimate:
        r"""Weighted total with linearisation standard error, as R's ``svytotal``.

        .. math::

            \hat Y = \sum_i w_i y_i, \qquad z_i = w_i y_i ,

        with the normal interval of R's ``confint()`` and the design effect of
        R's ``deff = TRUE``: the variance divided by
        :math:`\hat N^2 s^2 (1 - n/\hat N)/n` (see :meth:`mean`).

        Parameters
        ----------
        var : str
            Numeric (or boolean) column; missing values are dropped as R's
            ``na.rm = TRUE``.
        conf_level : float, default 0.95
            Confidence level of the normal interval.

        Returns
        -------
        Estimate

        References
        ----------
        Horvitz, D. G. & Thompson, D. J. (1952). A generalization of sampling
        without replacement from a finite universe. *JASA* 47, 663–685. —
        Lumley (2010), *Complex Surveys*, § 2.2.

        Examples
        --------
        >>> df = pd.DataFrame({"w": [10.0, 10.0, 20.0, 20.0], "y": [1.0, 3.0, 5.0, 7.0]})
        >>> Design(df, weights="w").total("y").estimate
        280.0
        """
        _check_conf_level(conf_level)
        core = self._total_core(self._values(var))
        return self._normal_estimate(var, "total", core, conf_level)

    @renamed_arguments(level="category")
    def proportion(
        self,
        var: str,
        category: Hashable | None = None,
        *,
        conf_level: float = 0.95,
        method: str = "logit",
        df: float | None = None,
    ) -> Estimate:
        r"""Share of rows where ``var == category``, with a logit or Wald interval.

        The share :math:`\hat p` is the weighted mean of the indicator
        :math:`[y_i = \text{category}]` (or of a 0/1 or boolean ``var`` when
        ``category`` is ``None``), its standard error and design effect those of
        :meth:`mean`. Intervals:

        * ``"logit"`` – as R's ``svyciprop(~I(var == category), design,
          method = "logit")``: a Wald interval on the logit scale transformed
          back,

          .. math::

              \operatorname{expit}\Bigl(\operatorname{logit}\hat p \pm
              t_{\text{df}} \frac{\text{SE}(\hat p)}{\hat p (1 - \hat p)}\Bigr);

          ``df = None`` uses R's default, the design degrees of freedom
          :meth:`degf` of the whole design (``math.inf`` gives normal quantiles).
          Undefined (``NaN``) when :math:`\hat p` is 0 or 1.
        * ``"wald"`` – :math:`\hat p \pm z\,\text{SE}`, R's
          ``confint(svymean(~I(var == category), design))``; ``df = None`` means
          normal quantiles.

        Parameters
        ----------
        var : str
            Column of ``data``. Rows where it is missing are dropped (R's
            ``na.rm = TRUE``).
        category : hashable, optional
            The category whose share is estimated. It must occur in ``var``
            (a typo would otherwise give a share of 0). Without it, ``var``
            must be boolean or hold only 0 and 1. Its old name ``level=`` still
            works for one release, with a ``DeprecationWarning`` (``level`` is
            the old name of ``conf_level`` elsewhere in the package).
        conf_level : float, default 0.95
            Confidence level of the interval.
        method : {"logit", "wald"}
            Interval method.
        df : float, optional
            Degrees of freedom of the interval (see above).

        Returns
        -------
        Estimate

        References
        ----------
        Korn, E. L. & Graubard, B. I. (1998). Confidence intervals for
        proportions with small expected number of positive counts estimated
        from survey data. *Survey Methodology* 24, 193–201. — Lumley (2010),
        *Complex Surveys*, § 2.3.

        Examples
        --------
        >>> df = pd.DataFrame({"w": [1.0, 1.0, 2.0, 4.0], "ok": ["yes", "no", "yes", "yes"]})
        >>> Design(df, weights="w").proportion("ok", "yes").estimate
        0.875
        """
        _check_conf_level(conf_level)
        _check_df(df)
        if method not in PROPORTION_METHODS:
            raise ValueError(
                f"method must be one of {', '.join(map(repr, PROPORTION_METHODS))}, got {method!r}"
            )
        values = _column(self._data, var, role="variable")
        missing = values.isna().to_numpy()
        if category is None:
            y = _numeric(values, role="variable")
            observed = set(np.unique(y[~missing]).tolist())
            if not observed <= {0.0, 1.0}:
                shown = ", ".join(f"{v:g}" for v in sorted(observed - {0.0, 1.0})[:10])
                raise ValueError(
                    f"column {var!r} is not a 0/1 or boolean variable (found {shown}); pass the "
                    "category whose share you want (category=...)"
                )
            detail_category = ""
        else:
            matches = values.eq(category).to_numpy(dtype=bool)
            if not matches.any():
                shown = ", ".join(map(repr, pd.unique(values.dropna())[:10]))
                raise ValueError(
                    f"category {category!r} does not occur in column {var!r} (values: {shown}); "
                    "check spelling and type"
                )
            y = np.where(missing, np.nan, matches.astype(float))
            detail_category = f"category={category!r}, "
        p, variance, deff, n = self._mean_core(y)
        se = math.sqrt(variance)
        if method == "wald":
            q = _critical(conf_level, math.inf if df is None else df)
            low, high = p - q * se, p + q * se
        else:
            ddf = self.degf() if df is None else df
            q = _critical(conf_level, ddf) if ddf > 0 else math.nan
            if 0 < p < 1:
                eta = math.log(p / (1 - p))
                half = q * se / (p * (1 - p))
                low, high = _expit(eta - half), _expit(eta + half)
            else:
                low = high = math.nan
            df = ddf
        detail = f"{detail_category}method={method!r}" + ("" if df is None else f", df={df:g}")
        return Estimate(var, "proportion", p, se, low, high, deff, n, conf_level, detail)

    def quantile(
        self, var: str, q: float, *, conf_level: float = 0.95, df: float | None = None
    ) -> Estimate:
        r"""Weighted quantile with a Woodruff interval, as R's ``svyquantile``.

        The estimate is the smallest observation whose weighted distribution
        function reaches *q* (R survey ≥ 4.1 ``qrule = "math"``):

        .. math::

            \hat Q(q) = \min\Bigl\{ y_i : \hat F(y_i) \ge q \Bigr\}, \qquad
            \hat F(y) = \frac{\sum_j w_j [y_j \le y]}{\sum_j w_j}.

        The interval is Woodruff's (1952), R's default
        ``interval.type = "mean"``: with :math:`\hat p = \hat F(\hat Q)` and its
        linearisation standard error (a :meth:`mean` of the indicator), the
        limits are :math:`\hat Q(\hat p \mp t_{\text{df}}\,\text{SE}(\hat p))`;
        a limit is ``NaN`` where the probability leaves [0, 1]. The standard
        error is R's ``(upper - lower) / (2 t_df)``. ``df = None`` is R's
        default, the design degrees of freedom of the rows with a value
        (``math.inf`` gives normal quantiles). The design effect is ``NaN``
        (R gives none).

        R's ``qrule_math`` returns the *second* smallest observation when *q*
        is below the weight share of the smallest one (a quirk of its internal
        ``qs``); this function returns the smallest, as the definition says.
        Elsewhere the results agree. (R survey 4.1-1 has no
        ``interval.type = "Wald"``; that belonged to the old ``svyquantile``.)

        Parameters
        ----------
        var : str
            Numeric column; missing values are dropped as R's ``na.rm = TRUE``.
        q : float
            Probability in [0, 1], e.g. 0.5 for the median.
        conf_level : float, default 0.95
            Confidence level of the interval.
        df : float, optional
            Degrees of freedom of the interval (see above).

        Returns
        -------
        Estimate

        References
        ----------
        Woodruff, R. S. (1952). Confidence intervals for medians and other
        position measures. *JASA* 47, 635–646. — Francisco, C. A. & Fuller,
        W. A. (1991). Quantile estimation with a complex survey design.
        *Annals of Statistics* 19, 454–469. — Lumley (2010), *Complex
        Surveys*, § 2.4.

        Examples
        --------
        >>> df = pd.DataFrame({"w": [1.0, 1.0, 1.0, 1.0, 4.0],
        ...                    "y": [1.0, 2.0, 3.0, 4.0, 5.0]})
        >>> Design(df, weights="w").quantile("y", 0.5).estimate
        4.0
        """
        _check_conf_level(conf_level)
        _check_df(df)
        if isinstance(q, bool) or not isinstance(q, int | float) or not 0 <= q <= 1:
            raise ValueError(f"q must be a probability between 0 and 1, got {q!r}")
        y = self._values(var)
        use = ~np.isnan(y)
        n = int(use.sum())
        if n == 0:
            nan = math.nan
            return Estimate(var, "quantile", nan, nan, nan, nan, nan, 0, conf_level, f"q={q:g}")
        ddf = self.degf(use) if df is None else df
        crit = _critical(conf_level, ddf) if ddf > 0 else math.nan
        w_use = np.where(use, self._w, 0.0)
        estimate = _qrule_math(y[use], w_use[use], q)
        indicator = np.where(use, (y <= estimate).astype(float), np.nan)
        p_hat, variance, _deff, _n = self._mean_core(indicator)
        se_p = math.sqrt(variance)
        p_low, p_high = p_hat - crit * se_p, p_hat + crit * se_p
        low = math.nan if not p_low >= 0 else _qrule_math(y[use], w_use[use], p_low)
        high = math.nan if not p_high <= 1 else _qrule_math(y[use], w_use[use], p_high)
        se = (high - low) / (2 * crit)
        detail = f"q={q:g}, df={ddf:g}"
        return Estimate(var, "quantile", estimate, se, low, high, math.nan, n, conf_level, detail)

    def by(
        self, var: str, group: str, stat: str = "mean", *, conf_level: float = 0.95
    ) -> pd.DataFrame:
        r"""Domain estimates for each level of ``group``, as R's ``svyby``.

        Each domain estimate uses the whole design, with influence values of
        zero outside the domain (Lumley 2010, § 2.3), so strata and PSUs
        without domain members still count — R's
        ``svyby(~var, ~group, design, svymean, deff = TRUE, na.rm = TRUE)``.
        Rows with a missing ``group`` belong to no domain; missing ``var``
        values are dropped.

        Parameters
        ----------
        var : str
            Numeric (or boolean) column.
        group : str
            Column defining the domains; levels come in the order of the
            categories of a categorical column, else sorted (as R's factor
            levels); levels without rows are left out.
        stat : {"mean", "total"}
            Statistic per domain (see :meth:`mean` and :meth:`total`).
        conf_level : float, default 0.95
            Confidence level of the normal intervals.

        Returns
        -------
        pandas.DataFrame
            One row per level with ``group``, ``estimate``, ``se``, ``ci_low``,
            ``ci_high``, ``deff`` and ``n`` (rows with a value in the domain).

        References
        ----------
        Lumley (2010), *Complex Surveys*, § 2.3 (domain estimation). —
        Cochran, W. G. (1977). *Sampling Techniques* (3rd ed.), § 2.13 and 5A.14.
        Wiley.

        Examples
        --------
        >>> df = pd.DataFrame({"g": ["x", "x", "y", "y"], "w": [1.0, 3.0, 2.0, 2.0],
        ...                    "y": [1.0, 5.0, 2.0, 4.0]})
        >>> Design(df, weights="w").by("y", "g")[["group", "estimate", "n"]].to_dict("list")
        {'group': ['x', 'y'], 'estimate': [4.0, 3.0], 'n': [2, 2]}
        """
        _check_conf_level(conf_level)
        cores = {"mean": self._mean_core, "total": self._total_core}
        if stat not in cores:
            raise ValueError(f"stat must be 'mean' or 'total', got {stat!r}")
        y = self._values(var)
        groups = _column(self._data, group, role="group")
        if isinstance(groups.dtype, pd.CategoricalDtype):
            present = set(groups.dropna())
            levels = [level for level in groups.cat.categories if level in present]
        else:
            levels = sorted(pd.unique(groups.dropna()))
        z = _critical(conf_level, math.inf)
        rows = []
        for level in levels:
            mask = groups.eq(level).to_numpy(dtype=bool)
            value, variance, deff, n = cores[stat](y, mask)
            se = math.sqrt(variance) if variance >= 0 else math.nan
            rows.append(
                {
                    "group": level,
                    "estimate": value,
                    "se": se,
                    "ci_low": value - z * se,
                    "ci_high": value + z * se,
                    "deff": deff,
                    "n": n,
                }
            )
        return pd.DataFrame(
            rows, columns=["group", "estimate", "se", "ci_low", "ci_high", "deff", "n"]
        )

    # -- calibration --------------------------------------------------------

    def rake(
        self,
        margins: Mapping[str, Mapping | pd.Series],
        *,
        max_iter: int = 100,
        tol: float = 1e-10,
    ) -> Design:
        r"""A design raked to population margins, with the raking kept in its variances.

        The weights are raked as by :func:`rake` (iterative proportional
        fitting to convergence). Standard errors then follow R's
        ``rake(design, list(~a, ~b), list(pop_a, pop_b))``: before the
        ultimate-cluster variance, the influence values are replaced by their
        residuals from the margin categories. With the weights
        :math:`w^{(m)}` after the step for margin *m* in the last raking cycle,
        each sweep sets, margin by margin,

        .. math::

            z_i \leftarrow z_i - w^{(m)}_i \,
            \operatorname{mean}_{j:\, x_{jm} = x_{im}} \bigl(z_j / w^{(m)}_j\bigr)

        (the unweighted mean over the sample rows of the category, R's
        ``ave()``), and R makes ten such sweeps (``RAKING_RESIDUAL_SWEEPS``);
        this backfitting approaches the residuals of a regression of the
        influence values on the margin indicators (Deville & Särndal 1992;
        Lumley 2010, ch. 7). Estimates on subsets (missing values, domains)
        keep all rows in the design, as R does for calibrated designs. A raked
        design can be raked again; each set of margins is kept.

        Parameters
        ----------
        margins : mapping of str to mapping or pandas.Series
            Population count per category for each margin column (see
            :func:`rake`).
        max_iter : int, default 100
            Maximum number of raking cycles.
        tol : float, default 1e-10
            Largest allowed relative deviation of a weighted category total from
            its population count.

        Returns
        -------
        Design
            A new design with the raked weights; this one is unchanged.

        References
        ----------
        Deville, J.-C. & Särndal, C.-E. (1992). Calibration estimators in
        survey sampling. *JASA* 87, 376–382. — Lumley (2010), *Complex
        Surveys*, § 7.2–7.3.

        Examples
        --------
        >>> df = pd.DataFrame({"sex": ["f", "f", "m", "m"], "age": ["y", "o", "y", "o"],
        ...                    "w": [1.0, 1.0, 1.0, 1.0], "y": [1.0, 2.0, 3.0, 4.0]})
        >>> raked = Design(df, weights="w").rake({"sex": {"f": 60, "m": 40},
        ...                                       "age": {"y": 50, "o": 50}})
        >>> raked.weights.tolist()
        [30.0, 30.0, 20.0, 20.0]
        >>> raked.mean("y").estimate
        2.3
        """
        targets = _margin_targets(self._data, margins)
        w, steps = _ipf(self._w, targets, max_iter=max_iter, tol=tol)
        new = copy.copy(self)
        new._w = w
        stage = [(codes, psw) for (_c, codes, _t), psw in zip(targets, steps, strict=True)]
        new._calibration = [*self._calibration, stage]
        return new


def _rsum(values: np.ndarray) -> float:
    """Sum accumulated in long double from first to last, as R's ``sum`` and ``colSums``.

    Matching R's rounding matters where R compares a result exactly, e.g. a
    share of 1 in the Woodruff interval of a quantile.
    """
    if len(values) == 0:
        return 0.0
    return float(np.cumsum(values, dtype=np.longdouble)[-1])


def _expit(eta: float) -> float:
    return 1.0 / (1.0 + math.exp(-eta))
