"""Confidence intervals for a binomial proportion, checked against R.

:func:`proportion_ci` offers the Wilson, Clopper–Pearson, Agresti–Coull and
Wald intervals, all computed by
:func:`statsmodels.stats.proportion.proportion_confint`; the tests compare them
with R (``tests/reference/reliability.R``). :data:`PROPORTION_METHODS` are the
two interval methods that :func:`welcome_eval.stats.top_box` offers.
"""

from __future__ import annotations

import numpy as np
from statsmodels.stats.proportion import proportion_confint

from welcome_eval._checks import renamed_arguments
from welcome_eval._lazy import public_dir

__all__ = ["PROPORTION_CI_METHODS", "PROPORTION_METHODS", "proportion_ci"]
__dir__ = public_dir(__all__)

#: Interval methods of :func:`welcome_eval.stats.top_box` and the statsmodels method behind each.
PROPORTION_METHODS: dict[str, str] = {"wilson": "wilson", "clopper-pearson": "beta"}
#: Interval methods of :func:`proportion_ci` and the statsmodels method behind each.
PROPORTION_CI_METHODS: dict[str, str] = {
    **PROPORTION_METHODS,
    "agresti-coull": "agresti_coull",
    "wald": "normal",
}


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
