"""Drivers of an ordinal outcome: proportional-odds regression and importance–performance.

Which aspects of the welcome programme go together with a high intention to
stay (or overall satisfaction, recommendation …)? The outcome is an ordered
rating (e.g. 1–5), so the model is the proportional-odds (cumulative logit)
model of McCullagh (1980), fitted by maximum likelihood with
:class:`statsmodels.miscmodels.ordinal_model.OrderedModel`. The
parametrisation is that of R's ``MASS::polr``:

.. math::

    \\operatorname{logit} P(Y \\le j \\mid x) = \\zeta_j - x'\\beta,
    \\qquad j = 1, \\dots, J - 1,

so a positive coefficient makes the higher outcome categories more likely,
and :math:`e^{\\beta}` is the odds ratio of "higher rather than lower" for one
unit more of the predictor. ``tests/reference/ordinal.R`` fits the textbook
example (``MASS::housing``) with ``polr``; the tests require agreement to 1e-6
(estimates) and 1e-4 (standard errors).

Functions take a wave's tidy data (one row per respondent, one column per
item, missing answers as ``NaN``) and return tidy :class:`pandas.DataFrame`
objects; nothing is rounded.
"""

from __future__ import annotations

import itertools
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as _sps
from statsmodels.miscmodels.ordinal_model import OrderedModel
from statsmodels.tools.numdiff import approx_fprime
from statsmodels.tools.sm_exceptions import ConvergenceWarning, HessianInversionWarning

from welcome_eval._checks import check_columns
from welcome_eval._display import Summary, SummaryRepr, ci_label, integer, number, p_value
from welcome_eval._lazy import public_dir
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.stats._common import as_item_list, numeric_column, valid_answers

__all__ = ["QUADRANTS", "DriverResult", "importance_performance", "ordinal_drivers"]
__dir__ = public_dir(__all__)

#: Quadrant labels of the importance–performance analysis (Martilla & James 1977),
#: keyed by (importance high, performance high), in the usual German wording.
QUADRANTS: dict[tuple[bool, bool], str] = {
    (True, True): "Stärken bewahren",  # keep up the good work
    (True, False): "Handlungsbedarf",  # concentrate here
    (False, True): "Mögliche Überversorgung",  # possible overkill
    (False, False): "Geringe Priorität",  # low priority
}

_COEFFICIENT_COLUMNS = ["term", "coef", "se", "z", "p_value", "odds_ratio", "or_low", "or_high"]
_THRESHOLD_COLUMNS = ["threshold", "lower_level", "upper_level", "estimate", "se"]
#: Gradient tolerance of BFGS on the mean log-likelihood (statsmodels minimises -loglike / n).
_GTOL = 1e-9
#: A fit counts as converged if BFGS says so, or if it stopped for loss of floating-point
#: precision with every component of the mean score below this.
_SCORE_TOL = 1e-6
#: A standard error above this (log-odds scale) signals (quasi-)complete separation.
_SE_LIMIT = 50.0


@dataclass(frozen=True, eq=False, repr=False)
class DriverResult(SummaryRepr):
    """Result of :func:`ordinal_drivers`.

    Attributes
    ----------
    outcome : str
        Outcome column.
    levels : tuple
        Outcome categories in order (lowest first).
    coefficients : pandas.DataFrame
        One row per model term: ``term`` (the predictor, or
        ``predictor[level]`` for a category of a categorical predictor),
        ``coef`` (log odds ratio), ``se``, ``z``, ``p_value`` (two-sided Wald
        test), ``odds_ratio`` and its Wald interval ``or_low``, ``or_high``.
    thresholds : pandas.DataFrame
        The *J* − 1 cut points :math:`\\zeta_j` on the logit scale (R's
        ``zeta``): ``threshold`` (``"low|high"``), ``lower_level``,
        ``upper_level``, ``estimate`` and ``se``.
    n : int
        Respondents in the model (with frequency weights: their sum).
    converged : bool
        Whether the optimiser reported convergence.
    log_likelihood : float
        Maximised log-likelihood.
    conf_level : float
        Confidence level of the odds-ratio intervals.
    """

    outcome: str
    levels: tuple
    coefficients: pd.DataFrame
    thresholds: pd.DataFrame
    n: int
    converged: bool
    log_likelihood: float
    conf_level: float

    def _summary(self) -> Summary:
        levels = " < ".join(_level_text(level) for level in self.levels)
        return Summary(
            "DriverResult",
            f"Ordinale logistische Regression (proportionale Odds) von {self.outcome}",
            [
                ("Stufen", f"{len(self.levels)} ({levels})"),
                ("Fälle", integer(self.n)),
                ("Log-Likelihood", number(self.log_likelihood, 2)),
                ("konvergiert", "ja" if self.converged else "NEIN – Schätzungen nicht verwenden"),
            ],
            columns=["Term", "Odds Ratio", ci_label(self.conf_level), "p"],
            rows=[
                [
                    str(row["term"]),
                    number(row["odds_ratio"], 2),
                    f"{number(row['or_low'], 2)} bis {number(row['or_high'], 2)}",
                    p_value(row["p_value"]),
                ]
                for row in self.coefficients.to_dict("records")
            ],
        )

    def summary(self) -> str:
        """A short plain-text summary of the model (English, numbers rounded for reading).

        Examples
        --------
        >>> rng = np.random.default_rng(1)
        >>> x = rng.normal(size=300)
        >>> y = np.digitize(x + rng.logistic(size=300), [-1.0, 0.0, 1.0]) + 1.0
        >>> text = ordinal_drivers(
        ...     pd.DataFrame({"y": y, "x": x}), outcome="y", predictors=["x"]
        ... ).summary()
        >>> print(text.splitlines()[0])
        Proportional-odds (cumulative logit) model of 'y' (4 levels: 1 < 2 < 3 < 4)
        """
        level_text = " < ".join(_level_text(level) for level in self.levels)
        percent = f"{self.conf_level * 100:g}"
        lines = [
            f"Proportional-odds (cumulative logit) model of {self.outcome!r} "
            f"({len(self.levels)} levels: {level_text})",
            f"n = {self.n}, log-likelihood = {self.log_likelihood:.2f}, "
            f"converged: {'yes' if self.converged else 'NO - do not use these estimates'}",
            f"Odds ratios of a higher {self.outcome!r} per unit of each term, categories "
            f"against their reference category ({percent}% CI):",
        ]
        width = max(len(str(term)) for term in self.coefficients["term"])
        for row in self.coefficients.itertuples(index=False):
            p_text = "p < 0.001" if row.p_value < 0.001 else f"p = {row.p_value:.3f}"
            lines.append(
                f"  {row.term!s:<{width}}  OR {row.odds_ratio:.2f} "
                f"({row.or_low:.2f} to {row.or_high:.2f}), {p_text}"
            )
        lines.append(
            "OR > 1: higher values of the term go with higher outcome categories; "
            "OR < 1: with lower ones."
        )
        return "\n".join(lines)


def _level_text(level: object) -> str:
    if isinstance(level, float) and level.is_integer():
        return str(int(level))
    return str(level)


def _outcome_codes(values: pd.Series, outcome: str) -> tuple[np.ndarray, tuple]:
    """Integer codes 0 … J-1 of the outcome and its levels (lowest first)."""
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.cat.remove_unused_categories()
        levels = tuple(values.cat.categories)
        codes = values.cat.codes.to_numpy()
    else:
        if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            raise ValueError(
                f"outcome {outcome!r} has dtype {values.dtype}; expected numeric answer codes or "
                "an ordered pandas Categorical (pd.Categorical(..., categories=[...], "
                "ordered=True))"
            )
        numbers = values.astype(float).to_numpy()
        levels = tuple(float(v) for v in np.unique(numbers))
        codes = np.searchsorted(np.asarray(levels), numbers)
    if len(levels) < 2:
        raise ValueError(
            f"outcome {outcome!r} has {len(levels)} observed level(s) among the rows used; "
            "an ordinal model needs at least 2 (3 or more for distinct cut points)"
        )
    return codes.astype(int), levels


def _design(data: pd.DataFrame, predictors: list[str]) -> pd.DataFrame:
    """Model matrix: numeric predictors as they are, categoricals as treatment dummies."""
    columns: dict[str, np.ndarray] = {}
    for predictor in predictors:
        values = data[predictor]
        if isinstance(values.dtype, pd.CategoricalDtype):
            values = values.cat.remove_unused_categories()
            categories = list(values.cat.categories)
            if len(categories) < 2:
                raise ValueError(
                    f"categorical predictor {predictor!r} has only one observed category "
                    f"({categories}) among the rows used; drop it"
                )
            for category in categories[1:]:  # first category = reference, as in R
                columns[f"{predictor}[{category}]"] = (values == category).to_numpy(float)
        elif pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            columns[predictor] = values.to_numpy(float)
        else:
            raise ValueError(
                f"predictor {predictor!r} has dtype {values.dtype}; use numeric codes or a "
                "pandas Categorical (its first category is the reference level)"
            )
    design = pd.DataFrame(columns, index=data.index)
    constant = [name for name in design.columns if design[name].nunique() < 2]
    if constant:
        raise ValueError(
            f"term(s) {', '.join(constant)} do not vary among the rows used; drop them"
        )
    return design


def _frequency_weights(data: pd.DataFrame, weights: str) -> np.ndarray:
    w = numeric_column(data, weights).to_numpy()
    if not np.isfinite(w).all() or (w < 0).any():
        raise ValueError(
            f"weights column {weights!r} must be finite and non-negative without NaN; found "
            f"{int(np.isnan(w).sum())} NaN and {int((w < 0).sum())} negative values"
        )
    if not np.array_equal(w, np.round(w)):
        raise NotImplementedError(
            f"weights column {weights!r} has non-integer values. ordinal_drivers() supports "
            "only integer frequency weights (how many identical respondents a row stands for), "
            "which it handles by repeating rows: statsmodels' OrderedModel has no weights. "
            "Design or calibration weights need a weighted pseudo-likelihood with design-based "
            "standard errors (e.g. R's survey::svyolr), which is not implemented here; fit "
            "unweighted or use such a tool."
        )
    return w.astype(np.int64)


class _CumulativeLogit(OrderedModel):
    """``OrderedModel`` (logit) with the analytic score, as the gradient of ``MASS::polr``.

    statsmodels differentiates the log-likelihood numerically, which limits how
    far BFGS can drive the gradient down. Here the score is exact and the Hessian
    is the central-difference Jacobian of the exact score (as R's ``optimHess``
    in ``polr(..., Hess = TRUE)``).
    """

    def score(self, params: np.ndarray) -> np.ndarray:
        params = np.asarray(params, dtype=float)
        q = self.k_levels - 1
        low, upp = self._bounds(params)
        prob = self.prob(low, upp) + 1e-20  # as in OrderedModel.loglikeobs: log(prob + 1e-20)
        pdf_low, pdf_upp = self.pdf(low), self.pdf(upp)  # 0 at the infinite outer bounds
        exog = np.asarray(self.exog, dtype=float)
        d_beta = -exog.T @ ((pdf_upp - pdf_low) / prob)
        # derivative with respect to the cut points: category y has bounds (c_{y-1}, c_y]
        d_cut = np.zeros(q)
        y = np.asarray(self.endog, dtype=int)
        np.add.at(d_cut, y[y < q], (pdf_upp / prob)[y < q])
        np.add.at(d_cut, y[y > 0] - 1, -(pdf_low / prob)[y > 0])
        theta = params[-q:]
        jacobian = np.zeros((q, q))
        jacobian[:, 0] = 1.0
        for j in range(1, q):
            jacobian[j:, j] = math.exp(theta[j])
        return np.concatenate([d_beta, d_cut @ jacobian])

    def hessian(self, params: np.ndarray) -> np.ndarray:
        hess = approx_fprime(np.asarray(params, dtype=float), self.score, centered=True)
        return (hess + hess.T) / 2


def _fit(codes: np.ndarray, design: pd.DataFrame):
    model = _CumulativeLogit(codes, design, distr="logit")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", HessianInversionWarning)
        return model.fit(method="bfgs", gtol=_GTOL, maxiter=2000, disp=False)


def ordinal_drivers(
    data: pd.DataFrame,
    *,
    outcome: str,
    predictors: Sequence[str],
    weights: str | None = None,
    conf_level: float = 0.95,
) -> DriverResult:
    r"""Proportional-odds (ordinal logistic) regression of an ordered outcome.

    The model, as R's ``MASS::polr`` (logistic link), is

    .. math::

        \operatorname{logit} P(Y \le j \mid x) = \zeta_j - x'\beta,
        \qquad \zeta_1 < \dots < \zeta_{J-1},

    fitted by maximum likelihood (statsmodels ``OrderedModel``, BFGS, with the
    analytic gradient of the log-likelihood as in ``polr``). ``converged`` is
    true if BFGS reports convergence or stops at the limit of floating-point
    precision with every component of the mean score below 1e-6; otherwise a
    :class:`RuntimeWarning` is issued. Standard errors come from the inverse of
    the Hessian (central differences of the analytic gradient, as R's
    ``optimHess``); intervals and p-values are Wald, :math:`\beta \pm z\,
    \text{SE}`, and ``odds_ratio`` is :math:`e^\beta` with interval
    :math:`e^{\beta \pm z\,\text{SE}}`. A standard error above 50 (log-odds)
    signals that a term separates outcome categories (the estimate drifts to
    infinity); a :class:`RuntimeWarning` names such terms.

    statsmodels estimates :math:`\zeta_1` and the log-increments
    :math:`\log(\zeta_j - \zeta_{j-1})` (which keeps the cut points ordered);
    ``thresholds`` reports the cut points themselves,
    :math:`\zeta_j = \zeta_1 + \sum_{l \le j} e^{\theta_l}`, with standard errors
    by the delta method — exactly what ``summary(polr(...))`` shows.

    Numeric predictors enter linearly (per unit). A pandas ``Categorical``
    predictor is coded with treatment contrasts, its first category being the
    reference (R's default); the terms are named ``predictor[category]``.
    Rows with a missing outcome, predictor or weight are left out (listwise);
    unobserved categories are dropped.

    *Weights.* ``OrderedModel`` takes no weights. Integer frequency weights
    (each row stands for *w* identical respondents, as ``Freq`` in
    ``MASS::housing``) are handled exactly by repeating each row *w* times;
    rows with weight 0 drop out. Non-integer (design/calibration) weights raise
    :class:`NotImplementedError`: they would need a pseudo-likelihood with
    design-based standard errors.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per respondent (or per cell with frequency weights).
    outcome : str
        Ordered outcome: numeric codes (levels = sorted distinct values) or an
        ordered pandas ``Categorical`` (levels = its categories in order).
    predictors : sequence of str
        Numeric or categorical predictor columns.
    weights : str, optional
        Column of integer frequency weights.
    conf_level : float, default 0.95
        Confidence level of the odds-ratio intervals.

    Returns
    -------
    DriverResult
        ``coefficients`` (``term``, ``coef``, ``se``, ``z``, ``p_value``,
        ``odds_ratio``, ``or_low``, ``or_high``), ``thresholds``, ``n``,
        ``converged``, ``log_likelihood`` and ``summary()``.

    Raises
    ------
    KeyError
        If a column is missing.
    ValueError
        For non-numeric, non-categorical columns, a predictor without variation,
        fewer than two outcome levels, invalid weights or options.
    NotImplementedError
        For non-integer weights.

    References
    ----------
    McCullagh, P. (1980). Regression models for ordinal data. *JRSS B* 42,
    109–142. — Agresti, A. (2010). *Analysis of Ordinal Categorical Data*
    (2nd ed.), ch. 3. Wiley. — Venables, W. N. & Ripley, B. D. (2002). *Modern
    Applied Statistics with S* (4th ed.), §7.3 (``polr``, ``housing``). Springer.

    Examples
    --------
    >>> rng = np.random.default_rng(1)
    >>> x = rng.normal(size=500)
    >>> y = np.digitize(1.5 * x + rng.logistic(size=500), [-1.0, 0.0, 1.0]) + 1.0
    >>> result = ordinal_drivers(pd.DataFrame({"y": y, "x": x}), outcome="y", predictors=["x"])
    >>> result.coefficients["term"].tolist(), result.n, result.converged
    (['x'], 500, True)
    >>> bool(result.coefficients["odds_ratio"].iloc[0] > 1)
    True
    >>> result.thresholds["threshold"].tolist()
    ['1|2', '2|3', '3|4']
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a pandas DataFrame, got {type(data).__name__}")
    if not isinstance(outcome, str):
        raise TypeError(f"outcome must be a column name (str), got {outcome!r}")
    predictors = as_item_list(predictors)
    if outcome in predictors:
        raise ValueError(f"outcome {outcome!r} is also listed as a predictor")
    if len(set(predictors)) != len(predictors):
        raise ValueError(f"predictors contain duplicates: {predictors}")
    if weights is not None and weights in [outcome, *predictors]:
        raise ValueError(f"weights column {weights!r} is also the outcome or a predictor")
    check_columns(data, [outcome, *predictors] + ([weights] if weights is not None else []))
    if not (isinstance(conf_level, int | float) and 0 < conf_level < 1):
        raise ValueError(f"conf_level must be between 0 and 1 (e.g. 0.95), got {conf_level!r}")

    used = [outcome, *predictors] + ([weights] if weights is not None else [])
    frame = data[used].dropna().reset_index(drop=True)
    if weights is not None:
        counts = _frequency_weights(frame, weights)
        frame = frame.loc[frame.index.repeat(counts)].reset_index(drop=True)
    if len(frame) == 0:
        raise ValueError("no rows left after removing missing values (and zero weights)")
    codes, levels = _outcome_codes(frame[outcome], outcome)
    design = _design(frame, predictors)
    if len(frame) <= design.shape[1] + len(levels) - 1:
        raise ValueError(
            f"{len(frame)} respondents are too few for {design.shape[1]} term(s) and "
            f"{len(levels) - 1} cut point(s)"
        )

    fitted = _fit(codes, design)
    params = np.asarray(fitted.params, dtype=float)
    cov = np.asarray(fitted.cov_params(), dtype=float)
    k = design.shape[1]

    coef = params[:k]
    se = np.sqrt(np.diag(cov)[:k])
    z_crit = _sps.norm.ppf((1 + conf_level) / 2)
    z = coef / se
    with np.errstate(over="ignore"):  # an odds ratio beyond 1e308 is inf
        coefficients = pd.DataFrame(
            {
                "term": list(design.columns),
                "coef": coef,
                "se": se,
                "z": z,
                "p_value": 2 * _sps.norm.sf(np.abs(z)),
                "odds_ratio": np.exp(coef),
                "or_low": np.exp(coef - z_crit * se),
                "or_high": np.exp(coef + z_crit * se),
            },
            columns=_COEFFICIENT_COLUMNS,
        )
    unstable = [term for term, s in zip(design.columns, se, strict=True) if not s < _SE_LIMIT]
    if unstable:
        warnings.warn(
            f"term(s) {', '.join(unstable)} have standard errors above {_SE_LIMIT:g} on the "
            f"log-odds scale: the term (almost) perfectly separates categories of {outcome!r}, "
            "so its estimate is not meaningful. Merge sparse categories or drop the term.",
            RuntimeWarning,
            stacklevel=2,
        )

    # cut points zeta_j = theta_1 + sum_{2 <= l <= j} exp(theta_l); delta method (MASS vcov.polr)
    theta = params[k:]
    q = len(theta)
    zeta = np.cumsum(np.concatenate([theta[:1], np.exp(theta[1:])]))
    jacobian = np.zeros((q, q))
    jacobian[:, 0] = 1.0
    for j in range(1, q):
        jacobian[j:, j] = math.exp(theta[j])
    zeta_cov = jacobian @ cov[k:, k:] @ jacobian.T
    thresholds = pd.DataFrame(
        {
            "threshold": [
                f"{_level_text(lo)}|{_level_text(hi)}" for lo, hi in itertools.pairwise(levels)
            ],
            "lower_level": list(levels[:-1]),
            "upper_level": list(levels[1:]),
            "estimate": zeta,
            "se": np.sqrt(np.diag(zeta_cov)),
        },
        columns=_THRESHOLD_COLUMNS,
    )
    mean_score = np.abs(fitted.model.score(params)).max() / len(frame)
    converged = bool(fitted.mle_retvals.get("converged", False)) or bool(
        np.isfinite(params).all() and mean_score < _SCORE_TOL
    )
    if not converged:
        warnings.warn(
            f"the ordinal model of {outcome!r} did not converge; its estimates are not "
            "reliable. Check for a predictor that (almost) perfectly separates outcome "
            "categories, sparse outcome categories, or too few respondents.",
            RuntimeWarning,
            stacklevel=2,
        )
    return DriverResult(
        outcome=outcome,
        levels=levels,
        coefficients=coefficients,
        thresholds=thresholds,
        n=len(frame),
        converged=converged,
        log_likelihood=float(fitted.llf),
        conf_level=float(conf_level),
    )


def importance_performance(
    data: pd.DataFrame,
    *,
    outcome: str,
    items: Sequence[str],
    codebook: Codebook | None = None,
) -> pd.DataFrame:
    r"""Importance–performance analysis of rating items for an ordinal outcome.

    *Importance* is derived, not asked: the coefficient of the item in one
    proportional-odds model of the outcome on all items together
    (:func:`ordinal_drivers`), with each item standardised to mean 0 and
    standard deviation 1 in the model sample,
    :math:`z_{ij} = (x_{ij} - \bar x_j) / s_j`. It is thus the change in the
    log odds of a higher outcome per standard deviation of the item, holding
    the other items fixed (``odds_ratio`` = :math:`e^{\text{importance}}`).
    The model uses respondents who answered the outcome and all items.

    *Performance* is the mean rating of the item over all its valid answers;
    ``top2_share`` is the share of answers in the two highest codes of the
    scale. With ``codebook`` the scale and its codes come from the codebook
    (and answers are checked against the valid codes); without it, the top of
    the scale is taken to be the highest value observed in any of the items
    and the top two codes are that value and the one below it.

    *Quadrants* (Martilla & James 1977) are split at the mean importance and
    the mean performance over the items (data-centred cross-hairs; values
    equal to the mean count as high): high importance and high performance
    ``"Stärken bewahren"``, high importance and low performance
    ``"Handlungsbedarf"``, low importance and high performance
    ``"Mögliche Überversorgung"``, low importance and low performance
    ``"Geringe Priorität"``.

    Parameters
    ----------
    data : pandas.DataFrame
        Wide tidy data of a wave.
    outcome : str
        Ordinal outcome column (numeric codes), e.g. intention to stay.
    items : sequence of str
        At least two rating items (numeric codes).
    codebook : Codebook, optional
        Provides valid codes (scale ends, top-2 box) and short labels.

    Returns
    -------
    pandas.DataFrame
        One row per item, in the given order: ``item``, ``importance``,
        ``performance``, ``top2_share``, ``quadrant``, then ``item_label``,
        ``odds_ratio`` (per SD), ``p_value``, ``n_valid`` (answers of the item)
        and ``n_model`` (respondents in the model).

    References
    ----------
    Martilla, J. A. & James, J. C. (1977). Importance-performance analysis.
    *Journal of Marketing* 41(1), 77–79. — Bacon, D. R. (2003). A comparison of
    approaches to importance-performance analysis. *International Journal of
    Market Research* 45(1), 55–71.

    Examples
    --------
    >>> rng = np.random.default_rng(7)
    >>> a = rng.integers(1, 6, size=400).astype(float)
    >>> b = rng.integers(1, 6, size=400).astype(float)
    >>> y = np.clip(np.round(a + rng.normal(scale=0.8, size=400)), 1, 5)
    >>> df = pd.DataFrame({"bleiben": y, "a": a, "b": b})
    >>> ipa = importance_performance(df, outcome="bleiben", items=["a", "b"])
    >>> ipa["item"].tolist(), bool(ipa["importance"].iloc[0] > ipa["importance"].iloc[1])
    (['a', 'b'], True)
    """
    items = as_item_list(items)
    if len(items) < 2:
        raise ValueError(
            f"importance_performance needs at least 2 items to compare, got {len(items)}"
        )
    if len(set(items)) != len(items):
        raise ValueError(f"items contain duplicates: {items}")
    if outcome in items:
        raise ValueError(f"outcome {outcome!r} is also listed as an item")
    check_columns(data, [outcome, *items])
    if codebook is not None:
        answers = {item: valid_answers(data, item, codebook) for item in items}
        if outcome in codebook and codebook[outcome].valid_codes:
            valid_answers(data, outcome, codebook)
        top_codes = {item: codebook[item].valid_codes[-2:] for item in items}
        labels = {item: codebook[item].short for item in items}
    else:
        answers = {item: numeric_column(data, item).dropna() for item in items}
        observed = [values.max() for values in answers.values() if len(values)]
        if not observed:
            raise ValueError(f"none of the items {items} has an answer")
        top = max(observed)
        top_codes = {item: [top - 1, top] for item in items}
        labels = {item: item for item in items}

    model_data = data[[outcome, *items]].dropna().reset_index(drop=True)
    standardised = pd.DataFrame({outcome: model_data[outcome]})
    for item in items:
        values = model_data[item].astype(float)
        sd = values.std(ddof=1)
        if not sd > 0:
            raise ValueError(
                f"item {item!r} does not vary among the {len(model_data)} respondents who "
                "answered the outcome and all items; its importance cannot be estimated"
            )
        standardised[item] = (values - values.mean()) / sd
    fit = ordinal_drivers(standardised, outcome=outcome, predictors=items)
    coefficients = fit.coefficients.set_index("term")

    rows = []
    for item in items:
        valid = answers[item]
        n_valid = len(valid)
        rows.append(
            {
                "item": item,
                "importance": float(coefficients.loc[item, "coef"]),
                "performance": float(valid.mean()) if n_valid else np.nan,
                "top2_share": (
                    float(valid.isin([float(c) for c in top_codes[item]]).mean())
                    if n_valid
                    else np.nan
                ),
                "item_label": labels[item],
                "odds_ratio": float(coefficients.loc[item, "odds_ratio"]),
                "p_value": float(coefficients.loc[item, "p_value"]),
                "n_valid": n_valid,
                "n_model": fit.n,
            }
        )
    table = pd.DataFrame(rows)
    importance_mean = table["importance"].mean()
    performance_mean = table["performance"].mean()
    table.insert(
        4,
        "quadrant",
        [
            QUADRANTS[(bool(imp >= importance_mean), bool(perf >= performance_mean))]
            for imp, perf in zip(table["importance"], table["performance"], strict=True)
        ],
    )
    return table
