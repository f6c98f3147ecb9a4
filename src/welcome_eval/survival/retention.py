r"""Survival analysis of programme retention, checked against R's survival package.

How long do newcomers stay in the region, in the programme, in a job? This
module answers such time-to-event questions for right-censored data (someone
who is still there at the end of follow-up is *censored*): Kaplan–Meier
curves (:func:`kaplan_meier`), log-rank tests (:func:`logrank`), Cox
proportional hazards models with clustered (household) standard errors,
strata, counting-process (start, stop] data and the test of proportional
hazards (:func:`cox`), and Aalen–Johansen cumulative incidence for competing
events such as "moved away" versus "stayed, but left the programme"
(:func:`cumulative_incidence`).

Every function takes a tidy :class:`pandas.DataFrame` with one row per person
(or per person and period for (start, stop] data), the name of the duration
column and of the event column (1 = event, 0 = censored; for competing risks
0 = censored and 1, 2, … the causes). Rows with a missing value in any column
a function uses are left out, as R's ``na.omit`` does; the number is reported
as ``n_missing``. Nothing is printed or rounded.

The results agree with R 4.2 and survival 3.5 (``tests/reference/survival.R``
on the ``lung``, ``veteran``, ``mgus2`` and ``rats`` data of the survival
package): Kaplan–Meier estimates, Greenwood standard errors and "log"
intervals, ``summary(fit, times)`` and ``quantile(fit)``; ``survdiff``;
``coxph`` (Efron and Breslow ties, ``cluster()``, ``strata()``,
``Surv(start, stop, event)``) with ``concordance`` and ``cox.zph``; and the
multi-state ``survfit`` for competing risks. Cox models are fitted by
Newton–Raphson as statsmodels' :class:`~statsmodels.duration.hazard_regression.PHReg`
does (same start, step and tolerance; the last step, of at most 1e-12, is not
taken); the likelihood, the robust variance,
concordance and proportional-hazards test follow the algorithms of the survival
package (Therneau 2023), implemented here with numpy: cumulative sums over the
sorted event times, O(n log n).

This module is the front door: it re-exports the public names of the modules that
implement them, by topic --
:mod:`~welcome_eval.survival.stays` (:func:`register_stays`, the register's codes),
:mod:`~welcome_eval.survival._kaplan_meier` (:func:`kaplan_meier`,
:func:`fit_kaplan_meier`, :func:`median_stay`, :func:`retention_at`),
:mod:`~welcome_eval.survival._logrank` (:func:`logrank`),
:mod:`~welcome_eval.survival._cox` (:func:`cox`) and
:mod:`~welcome_eval.survival.competing_risks` (:func:`cumulative_incidence`).

References
----------
Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from incomplete
observations. *JASA* 53, 457–481. — Cox, D. R. (1972). Regression models and
life-tables. *JRSS B* 34, 187–220. — Therneau, T. M. & Grambsch, P. M. (2000).
*Modeling Survival Data: Extending the Cox Model*. Springer. — Therneau, T. M.
(2023). A package for survival analysis in R. R package version 3.5-3,
<https://CRAN.R-project.org/package=survival>.
"""

from __future__ import annotations

from welcome_eval._lazy import public_dir
from welcome_eval.survival._common import ALL, Data
from welcome_eval.survival._cox import MAX_ITERATIONS, TIES, ZPH_TRANSFORMS, CoxResult, cox
from welcome_eval.survival._kaplan_meier import (
    QUANTILE_TOLERANCE,
    KaplanMeier,
    fit_kaplan_meier,
    kaplan_meier,
    median_stay,
    retention_at,
)
from welcome_eval.survival._logrank import LogRank, logrank
from welcome_eval.survival.competing_risks import cumulative_incidence
from welcome_eval.survival.stays import (
    DAYS_PER_YEAR,
    DEATH,
    END_TYPES,
    LEAVES_REGION,
    STAY_COLUMNS,
    WITHIN_REGION,
    register_stays,
)

__all__ = [
    "ALL",
    "DAYS_PER_YEAR",
    "DEATH",
    "END_TYPES",
    "LEAVES_REGION",
    "MAX_ITERATIONS",
    "QUANTILE_TOLERANCE",
    "STAY_COLUMNS",
    "TIES",
    "WITHIN_REGION",
    "ZPH_TRANSFORMS",
    "CoxResult",
    "Data",
    "KaplanMeier",
    "LogRank",
    "cox",
    "cumulative_incidence",
    "fit_kaplan_meier",
    "kaplan_meier",
    "logrank",
    "median_stay",
    "register_stays",
    "retention_at",
]
__dir__ = public_dir(__all__)
