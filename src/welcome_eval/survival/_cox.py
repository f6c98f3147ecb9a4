"""Cox proportional hazards models, as R's ``coxph``, with ``cox.zph``.

:func:`cox` fits the model (Efron or Breslow ties, ``cluster()`` robust standard errors,
``strata()``, counting-process (start, stop] data) by Newton–Raphson and returns a
:class:`CoxResult` with the coefficients, log likelihoods, concordance and
:meth:`~CoxResult.proportional_hazards_test` (R's ``cox.zph``). The risk-set sums, the
information, the score residuals and the concordance counts are private to this module.
Documented, with the references, at the front door :mod:`welcome_eval.survival.retention`.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import stats as _sps

from welcome_eval._checks import check_conf_level as _check_conf_level
from welcome_eval._display import Summary, SummaryRepr, ci_label, integer, number, p_value
from welcome_eval.survival._common import (
    as_durations,
    as_events,
    as_names,
    check_frame,
    check_unique_columns,
    complete_rows,
    group_levels,
    strata_codes,
    z_quantile,
)

__all__ = [
    "MAX_ITERATIONS",
    "TIES",
    "ZPH_TRANSFORMS",
    "CoxResult",
    "cox",
]

#: Ways of handling tied event times in :func:`cox`, as R's ``coxph(ties = ...)``.
TIES = ("efron", "breslow")
#: Time transforms of :meth:`CoxResult.proportional_hazards_test`, as R's ``cox.zph``.
ZPH_TRANSFORMS = ("km", "rank", "identity", "log")
#: Newton-Raphson iterations allowed in :func:`cox` (it stops when no
#: coefficient changes by more than 1e-12; R's coxph allows 20 and stops earlier).
MAX_ITERATIONS = 100


def _column_rank(x: np.ndarray) -> int:
    """``np.linalg.matrix_rank(x)``, skipping the slow SVD of a tall x that is clearly of
    full column rank: the eigenvalues of xᵀx (accurate to ~p·eps·λmax) are the squared
    singular values, so λmin > 1e-6 λmax means smin > 1e-3 smax, far above matrix_rank's
    threshold smax·max(n, p)·eps."""
    if x.shape[0] > x.shape[1] > 0 and max(x.shape) * np.finfo(float).eps < 1e-6:
        eig = np.linalg.eigvalsh(x.T @ x)
        if np.isfinite(eig).all() and eig[0] > 1e-6 * eig[-1] > 0:
            return x.shape[1]
    return int(np.linalg.matrix_rank(x))


def _design(
    frame: pd.DataFrame, covariates: Sequence[str], order: np.ndarray | None = None
) -> tuple[np.ndarray, list, dict]:
    """Model matrix with R's treatment coding: names, and the columns of each covariate.

    With ``order`` the rows are taken in that order. The matrix is in Fortran order
    (columns contiguous), as the model code wants it: filled column by column, which is
    several times faster than stacking and then reordering the rows.
    """
    blocks, names, terms = [], [], {}
    for covariate in covariates:
        values = frame[covariate]
        categorical = (
            isinstance(values.dtype, pd.CategoricalDtype)
            or pd.api.types.is_bool_dtype(values)
            or not pd.api.types.is_numeric_dtype(values)
        )
        start = len(names)
        if categorical:
            levels = group_levels(values)
            if len(levels) < 2:
                raise ValueError(
                    f"covariate {covariate!r} has a single level ({levels[0]!r}) in the rows "
                    "used; drop it or check the data"
                )
            for level in levels[1:]:
                blocks.append((values == level).to_numpy(dtype=float))
                names.append(f"{covariate}{level}")
        else:
            blocks.append(values.to_numpy(dtype=float))
            names.append(covariate)
        terms[covariate] = list(range(start, len(names)))
    x = np.empty((len(frame), len(blocks)), order="F")
    for j, column in enumerate(blocks):
        if order is None:
            x[:, j] = column
        else:
            np.take(column, order, out=x[:, j])
    if not np.isfinite(x).all():
        raise ValueError("covariates contain infinite values")
    return x, names, terms


def _event_order(stop: np.ndarray, status: np.ndarray, strata: np.ndarray) -> np.ndarray:
    """Row order by stratum, time and event (censored first): ``np.lexsort((status, stop,
    strata))``, faster without strata. With at most 32,768 distinct times (register data
    in days: under 6,000 in 16 years) the times are coded by a hash table and ranked, and
    2 · rank + event is sorted as 16-bit integers by numpy's stable radix sort -- the
    same order as lexsort, 3-4 times faster. With more distinct times: one argsort of a
    64-bit key, the bits of the float (>= 0, so they sort as the float) shifted left by
    one with the event in the lowest bit (rows that agree in time and event may then
    come in another order than lexsort's; the results differ only by rounding)."""
    if len(stop) == 0 or strata.max() != strata.min():
        return np.lexsort((status, stop, strata))
    codes, uniques = pd.factorize(stop)
    if 2 * len(uniques) <= 2**16:
        rank = np.empty(len(uniques), dtype=np.int64)
        rank[np.argsort(uniques)] = np.arange(len(uniques))
        key = (rank[codes] * 2 + status).astype(np.uint16)
        return np.argsort(key, kind="stable")
    bits = np.add(stop, 0.0).view(np.uint64)  # + 0.0 turns -0.0 into +0.0
    return np.argsort(np.left_shift(bits, np.uint64(1)) | status.astype(np.uint64))


@dataclass(frozen=True, eq=False)
class _CoxData:
    """Rows of a Cox model, with the risk sets R uses: at risk at t if start < t <= stop."""

    start: np.ndarray
    stop: np.ndarray
    event: np.ndarray
    x: np.ndarray
    strata: np.ndarray
    cluster: np.ndarray | None

    def event_times(self) -> Iterator[tuple[float, np.ndarray, np.ndarray]]:
        """(t, rows at risk, rows with an event at t) for each event time within each stratum.

        A slow reference (one pass over the rows per event time); the model code uses the
        vectorised :attr:`index`.
        """
        for s in np.unique(self.strata):
            rows = np.flatnonzero(self.strata == s)
            start, stop, event = self.start[rows], self.stop[rows], self.event[rows]
            for t in np.unique(stop[event == 1]):
                risk = (start < t) & (stop >= t)
                dead = (stop == t) & (event == 1)
                yield float(t), rows[risk], rows[dead]

    @functools.cached_property
    def index(self) -> _RiskIndex:
        """The risk sets as index ranges (built once per model)."""
        return _RiskIndex.build(self)

    @functools.cached_property
    def xc(self) -> np.ndarray:
        """x centred at its column means (risk-set moments do not depend on the centring)."""
        # in Fortran order (columns contiguous), as bincount and the products want them
        return np.subtract(self.x, self.x.mean(axis=0), out=np.empty(self.x.shape, order="F"))

    @functools.cached_property
    def workspace(self) -> np.ndarray:
        """Scratch (n + 1) x (p + 1) array (Fortran order; last row 0), reused: fresh memory
        is slow."""
        work = np.empty((self.x.shape[0] + 1, self.x.shape[1] + 1), order="F")
        work[-1] = 0.0
        return work

    @functools.cached_property
    def steps_cache(self) -> dict:
        """:func:`_steps` by (β, ties): β = 0 and β̂ are each used several times."""
        return {}

    @functools.cached_property
    def information_cache(self) -> dict:
        """:func:`_information` by (β, ties): at β = 0 for the rank check and the first
        Newton step, at β̂ for the last step and the variance."""
        return {}


def _grouped(
    where: np.ndarray, weights: np.ndarray, size: int, rows: np.ndarray | None = None
) -> np.ndarray:
    """Sums of the rows of ``weights`` (n x k; or of ``weights[rows]``) by group ``where``
    (0 … size - 1). Column by column: fastest for a Fortran-ordered ``weights``."""
    out = np.empty((size, weights.shape[1]))
    for j in range(weights.shape[1]):
        column = weights[:, j] if rows is None else weights[:, j][rows]
        out[:, j] = np.bincount(where, weights=column, minlength=size)
    return out


@dataclass(frozen=True, eq=False)
class _RiskIndex:
    """The event times of all strata in one array (stratum by stratum, times ascending).

    Row i is at risk at the event times ``lo[i] <= e < hi[i]`` (those of its stratum in
    (start, stop]); a row with an event has it at ``hi[i] - 1``. Sums over risk sets are
    cumulative sums along the event times, restarting in each stratum, as in R's
    ``coxfit6``/``agfit4``.
    """

    n_times: int
    bounds: np.ndarray  # first event time of each stratum, and n_times at the end
    first: np.ndarray  # first event time of each row's stratum
    lo: np.ndarray
    hi: np.ndarray
    dead: np.ndarray  # rows with an event
    dead_at: np.ndarray  # their event times
    n_dead: np.ndarray  # events at each event time
    has_entry: bool

    @staticmethod
    def build(data: _CoxData) -> _RiskIndex:
        strata = np.asarray(data.strata, dtype=np.int64)
        died = data.event == 1
        n = len(data.stop)
        has_entry = bool(np.isfinite(data.start).any())
        times = np.concatenate((data.stop, data.start)) if has_entry else data.stop
        if not has_entry and n and (times[1:] >= times[:-1]).all():
            # sorted (one stratum, as cox() orders the rows): codes without another sort
            new = np.empty(n, dtype=bool)
            new[0] = True
            np.not_equal(times[1:], times[:-1], out=new[1:])
            values, codes = times[new], np.cumsum(new) - 1
        else:
            values, codes = np.unique(times, return_inverse=True)
        codes = codes.astype(np.int64)
        width = len(values) + 1
        n_strata = int(strata.max()) + 1
        stop_keys = strata * width + codes[:n]
        start_keys = strata * width + codes[n:] if has_entry else None
        if n_strata * width <= max(4 * n, 10**7):
            # a table of all (stratum, time) keys: number of event keys <= each key
            present = np.zeros(n_strata * width, dtype=bool)
            present[stop_keys[died]] = True
            below = np.cumsum(present)
            keys = np.flatnonzero(present)
            bounds = np.concatenate(([0], below[np.arange(1, n_strata + 1) * width - 1]))
            hi = below[stop_keys]
            lo = below[start_keys] if has_entry else bounds[strata]
        else:
            keys = np.unique(stop_keys[died])
            bounds = np.searchsorted(keys, np.arange(n_strata + 1) * width, side="left")
            hi = np.searchsorted(keys, stop_keys, side="right")
            lo = np.searchsorted(keys, start_keys, side="right") if has_entry else bounds[strata]
        first = bounds[strata]
        dead = np.flatnonzero(died)
        dead_at = hi[dead] - 1
        return _RiskIndex(
            n_times=len(keys),
            bounds=bounds,
            first=first,
            lo=lo,
            hi=hi,
            dead=dead,
            dead_at=dead_at,
            n_dead=np.bincount(dead_at, minlength=len(keys)).astype(float),
            has_entry=has_entry,
        )

    def _cumulate(self, values: np.ndarray, *, reverse: bool) -> np.ndarray:
        """Cumulative sums (n_times x k) along the event times within each stratum."""
        out = np.empty_like(values)
        for a, b in zip(self.bounds[:-1], self.bounds[1:], strict=True):
            if b > a:
                if reverse:
                    out[a:b] = np.cumsum(values[a:b][::-1], axis=0)[::-1]
                else:
                    out[a:b] = np.cumsum(values[a:b], axis=0)
        return out

    @functools.cached_property
    def _entering(self) -> tuple[np.ndarray | None, np.ndarray, np.ndarray | None, np.ndarray]:
        """Rows at risk at some event time, their last event time; rows entering late, the
        event time before their first (None: all rows)."""
        used = self.hi > self.lo
        rows = None if used.all() else np.flatnonzero(used)
        last = self.hi - 1 if rows is None else self.hi[rows] - 1
        late = np.flatnonzero(used & (self.lo > self.first))
        return rows, last, late, self.lo[late] - 1

    @functools.cached_property
    def segments(self) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
        """For rows sorted by time and event -- as :func:`cox` passes them -- without late
        entry and all at risk at some event time: each event time's rows are a run of
        censored rows, its events, and censored rows up to the next event time. Returns
        the first row of each of the three runs (for ``np.add.reduceat`` on n + 1 rows,
        the last one zero) and whether the first and the third run are empty; None when
        the rows are not so ordered."""
        rows, last, _, _ = self._entering
        n_dead = self.n_dead.astype(np.int64)
        if self.has_entry or rows is not None or self.n_times == 0:
            return None
        if (np.diff(last) < 0).any():
            return None
        offsets = np.cumsum(n_dead) - n_dead
        dead_start = self.dead[offsets]
        if (
            self.dead - dead_start[self.dead_at]
            != np.arange(len(self.dead)) - offsets[self.dead_at]
        ).any():
            return None  # the events of an event time are not consecutive rows
        first = np.searchsorted(last, np.arange(self.n_times), side="left")
        dead_end = dead_start + n_dead
        following = np.append(first[1:], len(last))
        starts = np.column_stack((first, dead_start, dead_end)).ravel()
        return starts, first == dead_start, dead_end == following

    def risk_sums(self, weights: np.ndarray) -> np.ndarray:
        """Sums of the rows of ``weights`` (n x k) over the risk set of each event time."""
        rows, last, late, before = self._entering
        total = self._cumulate(_grouped(last, weights, self.n_times, rows), reverse=True)
        if self.has_entry and len(late):
            total -= self._cumulate(_grouped(before, weights, self.n_times, late), reverse=True)
        return total

    @functools.cached_property
    def efron(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Efron's sub-steps: event time, weight (1) and downweight k / d of each."""
        d = self.n_dead
        counts = d.astype(np.int64)
        at = np.repeat(np.arange(self.n_times), counts)
        k = np.arange(len(at)) - np.repeat(np.cumsum(counts) - counts, counts)
        return at, np.ones(len(at)), k / d[at]

    def window_sums(self, per_time: np.ndarray) -> np.ndarray:
        """For each row, the sum of ``per_time`` (n_times x k) over its risk window."""
        cum = self._cumulate(per_time, reverse=False)
        if not self.has_entry and self._entering[0] is None:  # all at risk from the start
            return cum[self.hi - 1]
        used = self.hi > self.lo
        out = np.zeros((len(self.hi), per_time.shape[1]))
        out[used] = cum[self.hi[used] - 1]
        if self.has_entry:
            late = used & (self.lo > self.first)
            out[late] -= cum[self.lo[late] - 1]
        return out


@dataclass(frozen=True, eq=False)
class _Steps:
    """The (Efron) sub-steps of all event times at β: R's ``coxfit6``/``agfit4`` sums.

    At event time e with risk-set sums R (of r) and A (of r x) and event sums D, A₂,
    Efron's k-th sub-step (downweight f = k/d) has denominator R - f D and mean
    (A - f A₂) / (R - f D) = μ + B / (R - f D) with μ = A₂ / D (the events' mean) and
    B = A - R μ, so sums over the sub-steps reduce to per-event-time sums of
    w / den, w f / den, w / den² and w f / den² (w: 1, or d for Breslow's single step).
    """

    r: np.ndarray  # exp(x β - shift)
    shift: float  # max of x β
    dead_eta: float  # sum of x β over the rows with an event
    xc: np.ndarray  # x centred (the moments below do not depend on the centring)
    at: np.ndarray  # event time of each step
    weight: np.ndarray  # 1 (Efron), or d (Breslow / single event)
    denom: np.ndarray  # sum of r over the (downweighted) risk set of each step
    mu: np.ndarray  # event times x p
    b: np.ndarray  # event times x p
    s1: np.ndarray  # Σ w / den per event time
    s2: np.ndarray  # Σ w f / den
    q1: np.ndarray  # Σ w / den²
    q2: np.ndarray  # Σ w f / den²

    def mean_sums(self, g: np.ndarray) -> np.ndarray:
        """Σ over steps of g(t) · w · mean (a p-vector)."""
        return (g * self.s1) @ self.b + (g * self.weight_sums) @ self.mu

    @functools.cached_property
    def weight_sums(self) -> np.ndarray:
        return np.bincount(self.at, weights=self.weight, minlength=len(self.s1))


def _linear_predictor(
    x: np.ndarray, beta: np.ndarray, means: np.ndarray | None = None
) -> np.ndarray:
    """x β − Σ β·mean, as R's ``coxph.fit`` forms ``linear.predictors``, bit-identical on
    every machine.

    ``x @ beta`` goes through the BLAS, whose kernels (chosen per processor, per
    block of rows) may round two identical rows differently; the concordance then
    counts a tie as a concordant pair (issue 11). Here each row is summed over the
    columns in a fixed order with element-wise IEEE operations (as the reference
    BLAS loop R's ``x %*% coef`` calls), so identical covariate rows give identical
    predictors on any processor, SIMD width or thread count. The centring constant
    is summed exactly (``math.fsum``).
    """
    x = np.asarray(x, dtype=float)
    beta = np.asarray(beta, dtype=float)
    lp = np.zeros(x.shape[0])
    term = np.empty(x.shape[0])
    for j in range(x.shape[1]):
        np.multiply(x[:, j], beta[j], out=term)
        np.add(lp, term, out=lp)
    if means is not None:
        lp -= math.fsum(float(b) * float(m) for b, m in zip(beta, means, strict=True))
    return lp


def _steps(data: _CoxData, beta: np.ndarray, ties: str) -> _Steps:
    key = (np.asarray(beta, dtype=float).tobytes(), ties)
    cache = data.steps_cache
    if key not in cache:
        if len(cache) >= 4:
            cache.pop(next(iter(cache)))
        cache[key] = _compute_steps(data, beta, ties)
    return cache[key]


def _compute_steps(data: _CoxData, beta: np.ndarray, ties: str) -> _Steps:
    index = data.index
    n_times = index.n_times
    eta = _linear_predictor(data.x, beta)
    dead_eta = float(eta[index.dead].sum())
    shift = float(eta.max())
    r = np.exp(np.subtract(eta, shift, out=eta), out=eta)  # in place: fresh memory is slow
    xc = data.xc
    rx = data.workspace[:-1]
    rx[:, 0] = r
    np.multiply(xc, r[:, None], out=rx[:, 1:])
    segments = index.segments
    if segments is not None:  # rows sorted by event time: sums over contiguous runs
        starts, none_before, none_after = segments
        sums = np.add.reduceat(data.workspace, starts, axis=0)  # its last row is 0
        dead_sums = sums[1::3]
        before = np.where(none_before[:, None], 0.0, sums[0::3])
        after = np.where(none_after[:, None], 0.0, sums[2::3])
        risk = index._cumulate(before + dead_sums + after, reverse=True)
    else:
        risk = index.risk_sums(rx)
        dead_sums = _grouped(index.dead_at, rx, n_times, index.dead)
    d0 = dead_sums[:, 0]
    # mean of the events (0 if all their r underflow: then A₂ = 0 too and any μ works)
    mu = np.divide(
        dead_sums[:, 1:], d0[:, None], out=np.zeros_like(dead_sums[:, 1:]), where=d0[:, None] > 0
    )
    b = risk[:, 1:] - risk[:, :1] * mu
    if ties == "breslow":
        at, weight, f = np.arange(n_times), index.n_dead, np.zeros(n_times)
        denom = risk[:, 0]
    else:
        at, weight, f = index.efron
        counts = index.n_dead.astype(np.int64)  # the steps are in order of event time
        denom = np.repeat(risk[:, 0], counts) - f * np.repeat(d0, counts)
    per_step = np.empty((len(denom), 4), order="F")
    w_den = np.divide(weight, denom, out=per_step[:, 0])
    np.divide(w_den, denom, out=per_step[:, 2])  # w / den²
    np.multiply(w_den, f, out=per_step[:, 1])
    np.multiply(per_step[:, 2], f, out=per_step[:, 3])
    # sums over each event time's steps (every event time has at least one)
    sums = np.add.reduceat(per_step, np.searchsorted(at, np.arange(n_times)), axis=0)
    return _Steps(
        r=r,
        shift=shift,
        dead_eta=dead_eta,
        xc=xc,
        at=at,
        weight=weight,
        denom=denom,
        mu=mu,
        b=b,
        s1=sums[:, 0],
        s2=sums[:, 1],
        q1=sums[:, 2],
        q2=sums[:, 3],
    )


def _information_parts(
    data: _CoxData, steps: _Steps, powers: Sequence[np.ndarray]
) -> list[np.ndarray]:
    """Σ over event times of g(t) · information(t) for each per-event-time factor g.

    information(t) = Σ_steps w (C / den - mean meanᵀ) with C the (downweighted) sum of
    r x xᵀ: the first part is a weighted xᵀx over the rows, the second in μ and B.
    """
    index = data.index
    xc, r, mu, b = steps.xc, steps.r, steps.mu, steps.b
    out = []
    for g in powers:
        row_w = r * index.window_sums((g * steps.s1)[:, None])[:, 0]
        row_w[index.dead] -= r[index.dead] * (g * steps.s2)[index.dead_at]
        if (row_w >= 0).all():  # as (√w x)ᵀ(√w x): BLAS's symmetric product, faster
            weighted = np.multiply(xc, np.sqrt(row_w)[:, None], out=data.workspace[:-1, 1:])
            second = weighted.T @ weighted
        else:
            weighted = np.multiply(xc, row_w[:, None], out=data.workspace[:-1, 1:])
            second = weighted.T @ xc
        cross = (mu * (g * steps.s1)[:, None]).T @ b
        means = (
            (mu * (g * steps.weight_sums)[:, None]).T @ mu
            + cross
            + cross.T
            + (b * (g * steps.q1)[:, None]).T @ b
        )
        out.append(second - means)
    return out


def _information(data: _CoxData, beta: np.ndarray, ties: str) -> np.ndarray:
    """Observed information (minus the Hessian of the log partial likelihood)."""
    key = (np.asarray(beta, dtype=float).tobytes(), ties)
    cache = data.information_cache
    if key not in cache:
        if len(cache) >= 4:
            cache.pop(next(iter(cache)))
        steps = _steps(data, beta, ties)
        cache[key] = _information_parts(data, steps, [np.ones(data.index.n_times)])[0]
    return cache[key]


def _loglik(data: _CoxData, steps: _Steps, beta: np.ndarray) -> float:
    """Log partial likelihood (Efron or Breslow) at β, as R's ``fit$loglik``."""
    return float(steps.dead_eta - steps.weight @ (np.log(steps.denom) + steps.shift))


def _fit_newton(data: _CoxData, ties: str) -> np.ndarray:
    """Maximum partial-likelihood β by Newton–Raphson from β = 0 (statsmodels' PHReg
    ``fit(method="newton", tol=1e-12, ridge_factor=0)`` up to the last step): stops when
    the next step would change no coefficient by more than 1e-12 and returns the β at
    which score and information were last evaluated -- that step is not taken (as R's
    coxph returns the β of its last evaluation), so the information, the sums and the
    log likelihood at β̂ are already computed (cached) and need no further pass over the
    rows. Raises LinAlgError after :data:`MAX_ITERATIONS` steps, for a singular
    information or a non-finite step (monotone likelihood)."""
    p = data.x.shape[1]
    beta = np.zeros(p)
    dead = data.index.dead
    ones = np.ones(data.index.n_times)
    dead_sum = data.xc[dead].sum(axis=0)
    start_info = None
    with np.errstate(all="ignore"):
        for _ in range(MAX_ITERATIONS):
            steps = _steps(data, beta, ties)
            score = dead_sum - steps.mean_sums(ones)
            info = _information(data, beta, ties)
            if start_info is None:
                start_info = np.diag(info).copy()
            change = np.linalg.solve(info, score)
            if not np.isfinite(change).all():
                raise np.linalg.LinAlgError("non-finite Newton step")
            if not np.any(np.abs(change) > 1e-12):
                # a coefficient that ran off to infinity leaves the score exactly 0 once
                # exp(x β) underflows, with (numerically) no information left about it
                np.linalg.cholesky(info)
                if np.any(np.diag(info) <= 1e-10 * start_info):
                    raise np.linalg.LinAlgError("information vanished")
                return beta
            beta = beta + change
            if not np.isfinite(beta).all():
                raise np.linalg.LinAlgError("non-finite Newton step")
    raise np.linalg.LinAlgError("no convergence")


def _score_residuals(data: _CoxData, beta: np.ndarray, ties: str) -> np.ndarray:
    """Score residuals per row, as R's ``residuals(fit, type = "score")`` (coxscore2/agscore3).

    Each row at risk gets -(x - x̄) r dΛ at every (Efron sub-)step; a row with an event
    also gets its share of x - x̄ (all of it with Breslow ties, 1/d per step with Efron's)
    and back the downweighted part f r dΛ (x - x̄) of the hazard.
    """
    index = data.index
    s = _steps(data, beta, ties)
    p = data.x.shape[1]
    # per event time: Σ dΛ, Σ dΛ mean, Σ f dΛ, Σ f dΛ mean (dΛ = w / den)
    per_time = np.column_stack(
        (
            s.s1,
            s.mu * s.s1[:, None] + s.b * s.q1[:, None],
            s.s2,
            s.mu * s.s2[:, None] + s.b * s.q2[:, None],
        )
    )
    window = index.window_sums(per_time[:, : p + 1])
    resid = -s.r[:, None] * (s.xc * window[:, :1] - window[:, 1:])
    mean_bar = (s.mu * s.weight_sums[:, None] + s.b * s.s1[:, None]) / index.n_dead[:, None]
    dead, at = index.dead, index.dead_at
    xd, rd = s.xc[dead], s.r[dead][:, None]
    resid[dead] += (
        xd - mean_bar[at] + rd * (xd * per_time[at, p + 1 : p + 2] - per_time[at, p + 2 :])
    )
    return resid


def _rank_counts(
    pos: np.ndarray,
    rank: np.ndarray,
    upto: np.ndarray,
    q_rank: np.ndarray,
    q_low: np.ndarray,
    q_high: np.ndarray,
) -> np.ndarray:
    """For each query: the points with ``pos < upto`` and rank in [q_low, q_rank),
    == q_rank and in (q_rank, q_high) (columns 0, 1, 2).

    Offline dominance counting: the prefix [0, upto) is split into dyadic blocks of
    positions (one per set bit of ``upto``); at each block size the points are sorted by
    (block, rank) once and counted with binary searches. O(n log n log T).
    """
    counts = np.zeros((len(upto), 3), dtype=np.int64)
    if len(pos) == 0 or len(upto) == 0:
        return counts
    width = int(max(rank.max(), q_high.max())) + 2
    # queries in rank order: then a stable sort by block gives sorted needles, which
    # make the binary searches cache-friendly (several times faster)
    by_rank = np.argsort(q_rank, kind="stable")
    upto, q_rank = upto[by_rank], q_rank[by_rank]
    q_low, q_high = q_low[by_rank], q_high[by_rank]
    single = bool((q_low == 0).all() and (q_high >= width - 2).all())  # one stratum
    less, equal, within = (np.zeros(len(upto), dtype=np.int64) for _ in range(3))
    for level in range(int(upto.max()).bit_length()):
        ask = np.flatnonzero((upto >> level) & 1)
        if len(ask) == 0:
            continue
        point_block = pos >> level
        keys = np.sort(point_block * width + rank)
        block = (upto[ask] >> level) - 1
        small = block.max() < 2**16
        order = np.argsort(block.astype(np.uint16) if small else block, kind="stable")
        ask, block = ask[order], block[order]
        base = block * width
        lower = np.searchsorted(keys, base + q_rank[ask], side="left")
        upper = np.searchsorted(keys, base + q_rank[ask], side="right")
        if single:  # the whole block: from its size
            size = np.bincount(point_block, minlength=int(block.max()) + 1)
            begin = np.cumsum(size) - size
            first, end = begin[block], begin[block] + size[block]
        else:
            first = np.searchsorted(keys, base + q_low[ask], side="left")
            end = np.searchsorted(keys, base + q_high[ask], side="left")
        less[ask] += lower - first
        equal[ask] += upper - lower
        within[ask] += end - first
    counts[by_rank, 0] = less
    counts[by_rank, 1] = equal
    counts[by_rank, 2] = within - less - equal
    return counts


def _concordance(data: _CoxData, lp: np.ndarray) -> tuple[float, float, np.ndarray]:
    """Harrell's C of the linear predictor and its infinitesimal-jackknife SE (R's coxph).

    Comparable pairs: an event at t and someone still at risk after t (or
    censored at t), in the same stratum; higher risk for the earlier event is
    concordant, equal linear predictors count 1/2. Returns C, its standard
    error and the counts (concordant, discordant, tied on x).

    Each row is compared at the event times of its risk window but its own (an event
    row is not compared with the events at its own time): for the events, the rows at
    risk with a lower, equal, higher linear predictor; for every row, the events in its
    window with a higher, equal, lower one — counted by :func:`_rank_counts` on ranks of
    (stratum, linear predictor).
    """
    index = data.index
    n = len(lp)
    strata = np.asarray(data.strata, dtype=np.int64)
    order = np.lexsort((lp, strata))
    s_sorted, lp_sorted = strata[order], lp[order]
    new = np.ones(n, dtype=bool)
    new[1:] = (s_sorted[1:] != s_sorted[:-1]) | (lp_sorted[1:] != lp_sorted[:-1])
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.cumsum(new) - 1
    n_strata = int(strata.max()) + 1
    low = np.full(n_strata, np.iinfo(np.int64).max)
    np.minimum.at(low, strata, rank)
    high = np.zeros(n_strata, dtype=np.int64)
    np.maximum.at(high, strata, rank + 1)
    q_low, q_high = low[strata], high[strata]
    # a row is compared at event times lo <= e < end (its own event time excluded)
    end = index.hi - (data.event == 1)
    dead, at = index.dead, index.dead_at
    # events: rows with lo <= e (entered) minus rows with end <= e (gone) -> lower/equal/higher
    args = (rank[dead], q_low[dead], q_high[dead])
    ev = _rank_counts(end, rank, at + 1, *args)
    ev = -ev
    if index.has_entry:
        ev += _rank_counts(index.lo, rank, at + 1, *args)
    else:  # everybody in the stratum has entered
        ev += _rank_counts(np.zeros(n, np.int64), rank, np.ones(len(dead), np.int64), *args)
    # every row: events at lo <= e < end with a higher/equal/lower linear predictor
    args = (rank, q_low, q_high)
    other = _rank_counts(at, rank[dead], end, *args)
    if index.has_entry:
        other -= _rank_counts(at, rank[dead], index.lo, *args)
    conc, disc, tied = (other[:, 2]).astype(float), other[:, 0].astype(float), other[:, 1]
    tied = tied.astype(float)
    conc[dead] += ev[:, 0]
    disc[dead] += ev[:, 2]
    tied[dead] += ev[:, 1]
    # every pair is counted once for each of its two members
    n_conc, n_disc, n_tied = conc.sum() / 2, disc.sum() / 2, tied.sum() / 2
    npair = n_conc + n_disc + n_tied
    if npair == 0:  # no comparable pairs (e.g. a single event, nobody else at risk)
        return math.nan, math.nan, np.zeros(3)
    somers = (n_conc - n_disc) / npair
    dfbeta = (conc - disc) / npair - somers / npair * (conc + disc + tied)
    if data.cluster is not None:
        dfbeta = np.bincount(data.cluster, weights=dfbeta)
    se = math.sqrt(float((dfbeta**2).sum()) / 4)
    return (somers + 1) / 2, se, np.array([n_conc, n_disc, n_tied])


def _km_left(time: np.ndarray, data: _CoxData) -> np.ndarray:
    """1 − S(t−) of the pooled Kaplan–Meier curve (R's cox.zph ``transform = "km"``)."""
    times = np.unique(data.stop)
    stops, starts = np.sort(data.stop), np.sort(data.start)
    # at risk at t: stop >= t minus start >= t (start < stop, so the second set is a subset)
    at_risk = np.searchsorted(starts, times, side="left") - np.searchsorted(
        stops, times, side="left"
    )
    deaths = np.sort(data.stop[data.event == 1])
    d = np.searchsorted(deaths, times, side="right") - np.searchsorted(deaths, times, side="left")
    surv = np.cumprod(1 - d / at_risk)
    k = np.searchsorted(times, time, side="left")  # number of curve times < t
    return 1.0 - np.concatenate(([1.0], surv))[k]


# ---------------------------------------------------------------------------
# Cox model


def _p_text(p: float) -> str:
    text = p_value(p)
    return text if text.startswith("<") else f"= {text}"


@dataclass(frozen=True, eq=False, repr=False)
class CoxResult(SummaryRepr):
    """Result of :func:`cox`, as R's ``summary(coxph(...))``.

    Attributes
    ----------
    coefficients : pandas.DataFrame
        One row per model term: ``term`` (R's names: covariate, or covariate
        and level for categorical covariates), ``coef``, ``se`` (model-based),
        ``robust_se`` (only with ``cluster``), ``z``, ``p_value``,
        ``hazard_ratio``, ``hr_low``, ``hr_high``. With ``cluster``, ``z``,
        ``p_value`` and the interval use the robust standard error, as R does.
    loglik, loglik_null : float
        Log partial likelihood at the estimate and at β = 0 (R's ``fit$loglik``).
    concordance, concordance_se : float
        Harrell's C (R's ``concordance`` in ``summary``) and its standard error
        (infinitesimal jackknife; summed by cluster with ``cluster``).
    n : int
        Rows used (people, or periods for (start, stop] data).
    n_events : int
        Number of events.
    n_missing : int
        Rows left out for a missing value.
    ties : str
        ``"efron"`` or ``"breslow"``.
    conf_level : float
        Level of the hazard-ratio intervals.
    covariance : pandas.DataFrame
        Variance matrix of the coefficients used for ``z`` and the intervals
        (robust with ``cluster``).
    """

    coefficients: pd.DataFrame
    loglik: float
    loglik_null: float
    n: int
    n_events: int
    n_missing: int
    ties: str
    conf_level: float
    covariance: pd.DataFrame
    _data: _CoxData = field(repr=False)
    _terms: dict = field(repr=False)

    def _summary(self) -> Summary:
        # the concordance is left out: computing it costs about as much as the fit
        test = self.lr_test
        ties = "Efron" if self.ties == "efron" else "Breslow"
        return Summary(
            "CoxResult",
            f"Cox-Modell (proportionale Hazards, Bindungen nach {ties})",
            [
                ("Zeilen", f"{integer(self.n)} (ausgelassen: {integer(self.n_missing)})"),
                ("Ereignisse", integer(self.n_events)),
                (
                    "Likelihood-Quotienten-Test",
                    f"χ² = {number(test['statistic'], 2)}, df = {test['df']}, "
                    f"p {_p_text(test['p_value'])}",
                ),
            ],
            columns=["Term", "Hazard Ratio", ci_label(self.conf_level), "p"],
            rows=[
                [
                    str(row["term"]),
                    number(row["hazard_ratio"], 3),
                    f"{number(row['hr_low'], 3)} bis {number(row['hr_high'], 3)}",
                    p_value(row["p_value"]),
                ]
                for row in self.coefficients.to_dict("records")
            ],
        )

    @functools.cached_property
    def _concordance(self) -> tuple[float, float, np.ndarray]:
        # computed on first use: on large data it costs about as much as the fit
        beta = self.coefficients["coef"].to_numpy()
        lp = _linear_predictor(self._data.x, beta, self._data.x.mean(axis=0))
        concordance, concordance_se, counts = _concordance(self._data, lp)
        return float(concordance), float(concordance_se), counts

    @property
    def concordance(self) -> float:
        """Harrell's C (R's ``concordance`` in ``summary``), computed on first access."""
        return self._concordance[0]

    @property
    def concordance_se(self) -> float:
        """Infinitesimal-jackknife standard error of :attr:`concordance`."""
        return self._concordance[1]

    @property
    def concordance_counts(self) -> dict[str, int]:
        """Pairs behind :attr:`concordance`: concordant, discordant and tied on the linear
        predictor (R's ``fit$concordance[c("concordant", "discordant", "tied.x")]``).

        A tie is an exact tie of the linear predictors as R computes them, which
        :func:`_linear_predictor` reproduces bit for bit on every processor.
        """
        concordant, discordant, tied = self._concordance[2]
        return {"concordant": int(concordant), "discordant": int(discordant), "tied_x": int(tied)}

    @property
    def params(self) -> pd.DataFrame:
        """Coefficients indexed by term: ``coef``, ``se`` (robust when clustered, the
        one the inference uses), ``hr``, ``ci_low``, ``ci_high`` (of the hazard
        ratio) and ``p``."""
        table = self.coefficients.set_index("term")
        se = table["robust_se"] if "robust_se" in table else table["se"]
        return pd.DataFrame(
            {
                "coef": table["coef"],
                "se": se,
                "hr": table["hazard_ratio"],
                "ci_low": table["hr_low"],
                "ci_high": table["hr_high"],
                "p": table["p_value"],
            }
        )

    @property
    def lr_test(self) -> dict[str, float]:
        """Likelihood-ratio test of all coefficients against β = 0, as R's
        ``summary(coxph)``: ``statistic`` = 2 (ℓ(β̂) − ℓ(0)), ``df``, ``p_value``."""
        statistic = 2.0 * (self.loglik - self.loglik_null)
        df = len(self.coefficients)
        return {"statistic": statistic, "df": df, "p_value": float(_sps.chi2.sf(statistic, df))}

    def proportional_hazards_test(self, transform: str = "km") -> pd.DataFrame:
        r"""Test of proportional hazards per covariate and globally, as R's ``cox.zph(fit)``.

        Score test (Grambsch & Therneau 1994; survival ≥ 3.0) of
        :math:`\gamma = 0` in the model with the added terms
        :math:`\gamma^\top x \, g(t)`, evaluated at the fitted β and γ = 0,
        where :math:`g(t)` is the transformed event time centred at its mean
        over the events (``"km"``: 1 − KM(t−) of the pooled data, R's default;
        ``"rank"``, ``"identity"``, ``"log"``). With the score
        :math:`U = (0, U_\gamma)` and the joint information :math:`I` of
        (β, γ), the statistic of a covariate with columns *j* is
        :math:`U_j^\top [I_{(\beta, j)}]^{-1} U_j` with df = number of columns
        (a categorical covariate is tested as one term); ``GLOBAL`` tests all.

        Returns columns ``term``, ``chisq``, ``df``, ``p_value``.

        References
        ----------
        Grambsch, P. M. & Therneau, T. M. (1994). Proportional hazards tests
        and diagnostics based on weighted residuals. *Biometrika* 81, 515–526.

        Examples
        --------
        >>> df = pd.DataFrame({"t": [5, 8, 3, 9, 12, 4, 7, 10, 2, 6],
        ...                    "e": [1, 1, 1, 0, 1, 1, 0, 1, 1, 1],
        ...                    "x": [1.0, 0, 1, 0, 0, 1, 0, 1, 1, 0]})
        >>> zph = cox(df, duration="t", event="e", covariates=["x"]).proportional_hazards_test()
        >>> zph["term"].tolist(), round(float(zph["chisq"].iloc[0]), 6)
        (['x', 'GLOBAL'], 1.181105)
        """
        if transform not in ZPH_TRANSFORMS:
            raise ValueError(
                f"transform must be one of {', '.join(ZPH_TRANSFORMS)}, got {transform!r}"
            )
        data = self._data
        beta = self.coefficients["coef"].to_numpy()
        times = data.stop
        if transform == "km":
            g = _km_left(times, data)
        elif transform == "rank":
            g = _sps.rankdata(times)
        elif transform == "log":
            g = np.log(times)
        else:
            g = times.astype(float)
        g = g - g[data.event == 1].mean()
        p = data.x.shape[1]
        index = data.index
        steps = _steps(data, beta, self.ties)
        g_time = np.zeros(index.n_times)  # g at each event time (the same for its events)
        g_time[index.dead_at] = g[index.dead]
        u = np.zeros(2 * p)
        u[p:] = g[index.dead] @ steps.xc[index.dead] - steps.mean_sums(g_time)
        i0, i1, i2 = _information_parts(
            data, steps, [np.ones(index.n_times), g_time, g_time * g_time]
        )
        imat = np.block([[i0, i1], [i1.T, i2]])
        rows = []
        for term, columns in self._terms.items():
            keep = list(range(p)) + [p + j for j in columns]
            uu = u[keep]
            stat = float(uu @ np.linalg.solve(imat[np.ix_(keep, keep)], uu))
            rows.append((term, stat, len(columns)))
        rows.append(("GLOBAL", float(u @ np.linalg.solve(imat, u)), p))
        frame = pd.DataFrame(rows, columns=["term", "chisq", "df"])
        frame["p_value"] = _sps.chi2.sf(frame["chisq"], frame["df"])
        return frame

    def to_frame(self) -> pd.DataFrame:
        """Model-level results as a one-row frame: ``n``, ``n_events``, ``loglik``,
        ``loglik_null``, ``concordance``, ``concordance_se``, ``ties``, ``conf_level``
        (the coefficients are :attr:`coefficients`).

        Examples
        --------
        >>> df = pd.DataFrame({"t": [5, 8, 3, 9, 12, 4, 7, 10, 2, 6],
        ...                    "e": [1, 1, 1, 0, 1, 1, 0, 1, 1, 1],
        ...                    "x": [1.0, 0, 1, 0, 0, 1, 0, 1, 1, 0]})
        >>> cox(df, duration="t", event="e", covariates=["x"]).to_frame()[["n", "n_events"]]
            n  n_events
        0  10         8
        """
        fields = (
            "n",
            "n_events",
            "loglik",
            "loglik_null",
            "concordance",
            "concordance_se",
            "ties",
            "conf_level",
        )
        return pd.DataFrame([{name: getattr(self, name) for name in fields}])


def cox(
    data: pd.DataFrame,
    *,
    duration: str,
    event: str,
    covariates: Sequence[str] | str,
    ties: str = "efron",
    cluster: str | None = None,
    strata: str | Sequence[str] | None = None,
    conf_level: float = 0.95,
    entry: str | None = None,
    start: str | None = None,
) -> CoxResult:
    r"""Cox proportional hazards model, as R's ``coxph``.

    The hazard of person *i* is :math:`h_0(t) \exp(x_i^\top \beta)`; β
    maximises the log partial likelihood

    .. math::

        \ell(\beta) = \sum_{\text{events } i} \Bigl( x_i^\top\beta -
        \log \sum_{j \in R(t_i)} e^{x_j^\top\beta} \Bigr)

    over the risk sets :math:`R(t)` (with Efron's or Breslow's correction for
    tied event times), fitted by Newton–Raphson from β = 0 until the next step
    would change no coefficient by more than 1e-12 (statsmodels'
    :class:`~statsmodels.duration.hazard_regression.PHReg` with ``method="newton"``,
    ``tol=1e-12``, which then still takes that step). The model-based
    variance is the inverse information. With ``cluster`` (e.g. household:
    members of one household are not independent) the robust variance is
    :math:`D^\top D`, where the rows of *D* are the per-cluster sums of the
    dfbeta residuals (score residuals × inverse information) — R's
    ``coxph(..., cluster = household)`` (Lin & Wei 1989). Hazard-ratio
    intervals are :math:`\exp(\hat\beta \pm z\,\text{se})`.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per person, or per person and period with ``start``.
    duration : str
        Time of the event or censoring (the *stop* time with ``start``).
    event : str
        1 = event, 0 = censored (with ``start``: event at the end of the period).
    covariates : sequence of str
        Numeric columns enter as they are; categorical, string and bool columns
        are coded as indicators of each level against the first (R's treatment
        coding; level order as in :func:`kaplan_meier`), named column + level
        (``"celltypesmallcell"``), only levels present in the rows used.
    ties : {"efron", "breslow"}
        Approximation for tied event times (R's default: Efron).
    cluster : str, optional
        Column identifying clusters (households) for robust standard errors.
    strata : str or sequence of str, optional
        Columns whose combinations get separate baseline hazards (R's
        ``strata()``).
    conf_level : float
        Level of the hazard-ratio intervals.
    entry : str, optional
        Column with the time the row enters observation (R's
        ``Surv(start, stop, event)``); ``start`` is the same keyword under its
        older name.
    start : str, optional
        Start of each period for counting-process data (R's
        ``Surv(start, stop, event)``): the row is at risk at times *t* with
        start < t ≤ stop — for covariates that change over time, one row per
        person and period.

    Returns
    -------
    CoxResult
        Coefficients, log likelihoods, concordance and
        :meth:`~CoxResult.proportional_hazards_test`.

    References
    ----------
    Cox, D. R. (1972). *JRSS B* 34, 187–220. — Efron, B. (1977). The
    efficiency of Cox's likelihood function for censored data. *JASA* 72,
    557–565. — Lin, D. Y. & Wei, L. J. (1989). The robust inference for the
    Cox proportional hazards model. *JASA* 84, 1074–1078. — Harrell, F. E.,
    Lee, K. L. & Mark, D. B. (1996). Multivariable prognostic models.
    *Statistics in Medicine* 15, 361–387. — Andersen, P. K. & Gill, R. D.
    (1982). Cox's regression model for counting processes. *Annals of
    Statistics* 10, 1100–1120.

    Examples
    --------
    >>> df = pd.DataFrame({"t": [5, 8, 3, 9, 12, 4, 7, 10, 2, 6],
    ...                    "e": [1, 1, 1, 0, 1, 1, 0, 1, 1, 1],
    ...                    "x": [1.0, 0, 1, 0, 0, 1, 0, 1, 1, 0]})
    >>> fit = cox(df, duration="t", event="e", covariates=["x"])
    >>> round(float(fit.coefficients["coef"].iloc[0]), 6), fit.n_events
    (1.603189, 8)
    >>> round(fit.concordance, 6)
    0.74359
    """
    data = check_frame(data)
    _check_conf_level(conf_level)
    if ties not in TIES:
        raise ValueError(f"ties must be one of {', '.join(TIES)}, got {ties!r}")
    covariates_ = as_names(covariates, role="covariates")
    if not covariates_:
        raise ValueError("covariates is empty; pass at least one column")
    strata_ = as_names(strata, role="strata")
    if entry is not None and start is not None and entry != start:
        raise ValueError("give the entry column once: entry= (or its older name start=)")
    start = entry if entry is not None else start
    extra = [c for c in (start, cluster) if c is not None]
    columns = [duration, event, *covariates_, *strata_, *extra]
    check_unique_columns(data, columns)
    frame, n_missing = complete_rows(data, columns)
    if len(frame) == 0:
        raise ValueError("no rows left after leaving out missing values; nothing to fit")
    stop = as_durations(frame[duration], role="duration")
    status = as_events(frame[event])
    if start is not None:
        begin = as_durations(frame[start], role="start")
        if (begin >= stop).any():
            raise ValueError(
                f"start column {start!r} must be before {duration!r} in every row; "
                f"{int((begin >= stop).sum())} row(s) have start >= stop"
            )
    else:
        begin = np.full(len(stop), -np.inf)
    if status.sum() == 0:
        raise ValueError("there are no events in the rows used; a Cox model needs events")
    scode = strata_codes(frame, strata_)
    ccode = pd.factorize(frame[cluster], sort=True)[0] if cluster is not None else None
    # rows in the order of stratum, time, event (censored first): risk-set sums run over
    # contiguous rows (results do not depend on the order of the rows)
    order = _event_order(stop, status, scode)
    x, names, terms = _design(frame, covariates_, order)
    stop, status = stop[order], status[order]
    begin = begin[order] if start is not None else begin  # else all -inf
    scode = scode[order] if strata_ else scode  # else all 0
    ccode = ccode[order] if ccode is not None else None
    cdata = _CoxData(
        start=begin,
        stop=stop,
        event=status,
        x=x,
        strata=scode,
        cluster=ccode,
    )
    if _column_rank(cdata.xc) < x.shape[1]:  # xc: x - x.mean(axis=0)
        raise ValueError(
            f"the covariates {', '.join(names)} are collinear (or one is constant); "
            "R would give NA for a coefficient — drop the redundant column"
        )
    if np.linalg.matrix_rank(_information(cdata, np.zeros(x.shape[1]), ties)) < x.shape[1]:
        raise ValueError(
            f"the covariates {', '.join(names)} carry no information on some coefficient "
            "(a covariate constant within every stratum or among everybody at risk at the "
            "event times); drop it"
        )
    not_converged = (
        "the Cox model did not converge: a coefficient runs off to infinity (monotone "
        "likelihood, e.g. a level of a covariate in which everybody, or nobody, had the "
        "event first; R's coxph warns 'coefficient may be infinite'). Merge sparse levels "
        "or drop the covariate"
    )
    zero = np.zeros(x.shape[1])
    loglik_null = _loglik(cdata, _steps(cdata, zero, ties), zero)
    try:
        beta = _fit_newton(cdata, ties)
    except np.linalg.LinAlgError as error:
        raise ValueError(not_converged) from error
    naive = np.linalg.inv(_information(cdata, beta, ties))
    se = np.sqrt(np.diag(naive))
    coefficients = pd.DataFrame({"term": names, "coef": beta, "se": se})
    covariance = naive
    if ccode is not None:
        dfbeta = _score_residuals(cdata, beta, ties) @ naive
        collapsed = np.vstack(
            [np.bincount(ccode, weights=dfbeta[:, j]) for j in range(x.shape[1])]
        ).T
        covariance = collapsed.T @ collapsed
        coefficients["robust_se"] = np.sqrt(np.diag(covariance))
    used_se = np.sqrt(np.diag(covariance))
    z = z_quantile(conf_level)
    coefficients["z"] = beta / used_se
    coefficients["p_value"] = 2 * _sps.norm.sf(np.abs(coefficients["z"]))
    coefficients["hazard_ratio"] = np.exp(beta)
    coefficients["hr_low"] = np.exp(beta - z * used_se)
    coefficients["hr_high"] = np.exp(beta + z * used_se)
    return CoxResult(
        coefficients=coefficients,
        loglik=_loglik(cdata, _steps(cdata, beta, ties), beta),
        loglik_null=loglik_null,
        n=len(frame),
        n_events=int(status.sum()),
        n_missing=n_missing,
        ties=ties,
        conf_level=float(conf_level),
        covariance=pd.DataFrame(covariance, index=names, columns=names),
        _data=cdata,
        _terms=terms,
    )
