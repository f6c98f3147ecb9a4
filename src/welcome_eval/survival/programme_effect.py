r"""The programme effect on retention: staggered difference-in-differences and a Cox check.

Does a municipality keep more of its newcomers *in the region* once it has joined the
welcome programme? The municipalities joined at different dates (staggered adoption),
so the cohort-level analysis follows Callaway & Sant'Anna (2021):

* :func:`arrival_cohorts` -- municipal arrival-cohort outcomes from the register extract:
  per municipality and arrival year the number of newcomers and the share still in
  Südwestfalen ``horizon_years`` after their move-in, with the municipality's join year;
* :func:`group_time_effects` -- group-time average treatment effects ATT(g, t) with
  not-yet-treated and never-treated municipalities as controls, standard errors from a
  municipality-level multiplier bootstrap, and a ``reliable`` flag for cells with too
  few control municipalities;
* :func:`aggregate_effects` -- the event-study curve (by event time e = t − g) and one
  overall effect, with bootstrap intervals;
* :func:`twfe_effect` -- the naive two-way fixed-effects regression, to show beside it,
  and :func:`describe_programme_effect`, a German sentence on why the two differ;
* :func:`individual_cox_effect` -- the individual-level check: a Cox model of leaving the
  region with participation as a time-varying covariate, built on
  :func:`welcome_eval.survival.retention.cox`.

Outcome and competing ends
    "Retained" means *not moved out of the region* (destinations 2–4 of
    ``wegzug_ziel``): a move to another municipality of Südwestfalen (destination 1) is
    not a loss for the region and counts as retained. (The register extract does not
    link the new row of such a person, so a later departure from the region is not
    followed.) Persons who died within the horizon (destination 5) are *left out* of
    the cohort (neither retained nor lost), so the share is among those alive at the
    end of the horizon or who left alive. In the Cox model moves within the region,
    deaths and the extract date censor.

Timing of the effect
    Participation changes the hazard of leaving for *all person-time* after the join
    date, also of newcomers who arrived before. An arrival cohort of year y is observed
    over [y, y + horizon], so the cohorts of the ``horizon_years + 1`` years before the
    first full year of participation g are already partly exposed. Comparing with
    cohort g − 1 (the standard base period) would then understate the effect; pass
    ``anticipation=horizon_years + 1`` to :func:`group_time_effects` (Callaway &
    Sant'Anna's anticipation δ: base period g − δ − 1, the last cohort whose whole
    horizon ended before the join date). Event times −δ … −1 then show the partial
    exposure, and earlier event times are placebo (pre-trend) checks.

Validation
    There is no R implementation to compare with here (the R package ``did`` is not
    packaged for Debian, ``r-cran-did`` does not exist), so the check is recovery of a
    known effect: :mod:`welcome_eval.synth.register` plants a hazard ratio of 0.8 on
    leaving the region for person-time after the join date. ``tests/test_programme_effect.py``
    asserts that the Cox interval covers 0.8, that the overall ATT is positive, and that
    the placebo data (``effect=1.0``, identical random draws) give intervals covering 1
    and 0.

References
----------
Callaway, B. & Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time
periods. *Journal of Econometrics* 225, 200–230. — Goodman-Bacon, A. (2021).
Difference-in-differences with variation in treatment timing. *Journal of Econometrics*
225, 254–277. — Praestgaard, J. & Wellner, J. A. (1993). Exchangeably weighted
bootstraps of the general empirical process. *Annals of Probability* 21, 2053–2086. —
Andersen, P. K. & Gill, R. D. (1982). Cox's regression model for counting processes.
*Annals of Statistics* 10, 1100–1120.
"""

from __future__ import annotations

import datetime as dt
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

import duckdb
import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats as _sps

from welcome_eval._checks import check_columns
from welcome_eval._display import MAX_HTML_ROWS, Summary, SummaryRepr, ci_label, integer, number
from welcome_eval.present import german_format as de
from welcome_eval.survival import retention_duckdb, stays
from welcome_eval.survival._cox import CoxResult, cox

__all__ = [
    "GroupTimeEffects",
    "aggregate_effects",
    "arrival_cohorts",
    "describe_programme_effect",
    "group_time_effects",
    "individual_cox_effect",
    "twfe_effect",
]

#: Destination codes (``wegzug_ziel``) that mean "left the region".
LEAVES_REGION = stays.LEAVES_REGION
#: Destination code of a move to another municipality of the region.
WITHIN_REGION = stays.WITHIN_REGION
#: Destination code of a death.
DEATH = stays.DEATH
#: Bootstrap replicates of :func:`group_time_effects`.
N_BOOT = 999
#: Seed of the bootstrap multipliers (results are reproducible).
BOOT_SEED = 2021
#: Cells with fewer control municipalities are flagged ``reliable = False``.
MIN_CONTROL_UNITS = 5
#: Age groups at move-in used by :func:`individual_cox_effect` (lower bounds, labels).
AGE_GROUPS = ((0, "unter 18"), (18, "18–29"), (30, "30–44"), (45, "45–64"), (65, "65+"))
#: Default adjustment of :func:`individual_cox_effect`.
COX_COVARIATES = ("altersgruppe", "herkunft", "fachkraft", "kinder_im_haushalt")
CONTROLS = ("notyet", "never")

_DAYS_PER_YEAR = 365.25


# ---------------------------------------------------------------------------
# checks


def _check_frame(data: object, what: str) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(data).__name__}")
    return data


def _check_columns(data: pd.DataFrame, columns: Sequence[str], what: str) -> None:
    check_columns(data, columns, what)


def _timestamp(value: object, name: str) -> pd.Timestamp:
    if value is None:
        raise ValueError(f"{name} is required (e.g. the manifest's fieldwork end)")
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{name} must be a date, got {value!r}") from error
    if pd.isna(stamp):
        raise ValueError(f"{name} must be a date, got {value!r}")
    return stamp.normalize()


def _join_dates(participation: pd.DataFrame, unit: str) -> pd.Series:
    participation = _check_frame(participation, "participation")
    _check_columns(participation, [unit, "joined"], "participation")
    if participation[unit].duplicated().any():
        twice = sorted(participation.loc[participation[unit].duplicated(), unit].astype(str))
        raise ValueError(f"participation lists municipalities more than once: {twice[:5]}")
    joined = pd.to_datetime(participation["joined"], errors="coerce")
    return pd.Series(joined.to_numpy(), index=participation[unit].astype(str), name="joined")


def _register_parts(
    register: pd.DataFrame, extract_date: pd.Timestamp, unit: str
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Move-in, end of stay (move-out or extract date) and destination code (NaN: stays),
    checked by the rules of :func:`welcome_eval.survival.retention.register_stays`."""
    register = _check_frame(register, "register")
    _check_columns(register, [unit, "einzug", "auszug", "wegzug_ziel"], "register")
    return stays.register_dates(register, extract_date)


# ---------------------------------------------------------------------------
# arrival cohorts


def _cohort_counts(
    register: pd.DataFrame,
    extract: pd.Timestamp,
    *,
    horizon_years: int,
    last_cohort: int,
    unit: str,
) -> tuple[pd.DataFrame, list[str]]:
    """Per municipality and arrival year up to ``last_cohort``: ``n`` (not died within the
    horizon), ``n_left_region``, ``n_died``; and all municipality keys of the register."""
    move_in, end, destination = _register_parts(register, extract, unit)
    ags = register[unit].astype(str)
    horizon_end = move_in + pd.DateOffset(years=horizon_years)
    ended = end <= horizon_end
    left = ended & destination.isin(LEAVES_REGION).to_numpy()
    died = ended & (destination == DEATH).to_numpy()
    frame = pd.DataFrame(
        {
            unit: ags.to_numpy(),
            "cohort_year": move_in.dt.year.to_numpy(),
            "counted": (~died).to_numpy(),
            "left": left.to_numpy(),
            "died": died.to_numpy(),
        }
    )
    frame = frame[frame["cohort_year"] <= last_cohort]
    table = (
        frame.groupby([unit, "cohort_year"], sort=True)
        .agg(n=("counted", "sum"), n_left_region=("left", "sum"), n_died=("died", "sum"))
        .reset_index()
    )
    return table, sorted(set(ags))


def _cohort_counts_lazy(
    register: str | os.PathLike | duckdb.DuckDBPyRelation,
    extract: pd.Timestamp,
    *,
    horizon_years: int,
    last_cohort: int,
    unit: str,
) -> tuple[pd.DataFrame, list[str]]:
    """:func:`_cohort_counts` counted by DuckDB over a Parquet file or relation."""
    rel = retention_duckdb.relation(register)
    retention_duckdb.check_columns(rel, [unit, "einzug", "auszug", "wegzug_ziel"], "register")
    counts = retention_duckdb.register_checks(
        rel, extract_date=extract, move_in="einzug", move_out="auszug", destination="wegzug_ziel"
    )
    rules = stays.register_rules(extract, "einzug", "auszug", "wegzug_ziel")
    stays.raise_register_problems(counts, rules, {})
    return retention_duckdb.cohort_counts(
        rel,
        extract_date=extract,
        horizon_years=horizon_years,
        last_cohort=last_cohort,
        unit=unit,
        leaves_region=LEAVES_REGION,
        death=DEATH,
    )


def arrival_cohorts(
    register: pd.DataFrame | str | os.PathLike | duckdb.DuckDBPyRelation,
    participation: pd.DataFrame,
    *,
    horizon_years: int = 2,
    extract_date: dt.date | str | pd.Timestamp,
    unit: str = "ags",
) -> pd.DataFrame:
    r"""Municipal arrival cohorts: newcomers per year and the share still in the region.

    For municipality *i* and arrival year *y* (cohort), with :math:`n_{iy}` newcomers
    (persons) who did not die within the horizon,

    .. math::

        \text{retained}_{iy} = 1 - \frac{\#\{\text{moved out of the region within }
        h \text{ years of the move-in}\}}{n_{iy}},

    where "out of the region" = destinations 2–4; a move to another municipality of
    Südwestfalen counts as retained, and deaths within the horizon are left out of
    :math:`n_{iy}` (module docstring). Only cohorts observed for the full horizon are
    returned: 31 December of year *y* plus *h* years must be on or before the extract date.

    Parameters
    ----------
    register : pandas.DataFrame, path or duckdb.DuckDBPyRelation
        One row per person: ``ags``, ``einzug``, ``auszug`` (NaT: still registered),
        ``wegzug_ziel`` (codes of ``surveys/register/codebook.yaml``), e.g. a register
        wave's ``data`` or :func:`welcome_eval.synth.register.register_extract`. A
        Parquet file (or a directory of them) or a DuckDB relation is not read into
        memory: DuckDB checks the dates and counts per municipality and arrival year in
        SQL by the same rules (:mod:`welcome_eval.survival.retention_duckdb`), for extracts of
        any size; the result is the same table.
    participation : pandas.DataFrame
        ``ags`` and ``joined`` (join date, NaT = never), e.g.
        :func:`welcome_eval.analysis.programme.participation_record`. Participation is treated
        as absorbing (a ``left`` date is ignored: intention to treat).
    horizon_years : int, default 2
        Years after the move-in at which retention is measured.
    extract_date : date
        The extract date (Stichtag, the manifest's ``fieldwork.end``).
    unit : str, default "ags"
        Municipality column in both frames.

    Returns
    -------
    pandas.DataFrame
        One row per municipality and arrival year with at least one newcomer:
        ``ags``, ``cohort_year``, ``join_year`` (first *full* calendar year of
        participation: the join year if the municipality joined on 1 January, else the
        year after; NaN = never joined), ``n`` (newcomers counted), ``n_left_region``,
        ``n_died`` (left out of ``n``) and ``retained`` (share, 0–1).

    Examples
    --------
    >>> reg = pd.DataFrame({
    ...     "ags": ["A", "A", "A", "B"],
    ...     "einzug": pd.to_datetime(["2015-03-01", "2015-06-01", "2015-07-01", "2016-01-05"]),
    ...     "auszug": pd.to_datetime(["2016-01-01", "2016-02-01", None, "2016-05-01"]),
    ...     "wegzug_ziel": [2, 1, None, 5]})
    >>> part = pd.DataFrame({"ags": ["A", "B"], "joined": pd.to_datetime(["2017-05-01", None])})
    >>> arrival_cohorts(reg, part, extract_date="2020-12-31")
      ags  cohort_year  join_year  n  n_left_region  n_died  retained
    0   A         2015     2018.0  3              1       0  0.666667
    1   B         2016        NaN  0              0       1       NaN
    """
    if not isinstance(horizon_years, int | np.integer) or horizon_years < 1:
        raise ValueError(
            f"horizon_years must be a whole number of years >= 1, got {horizon_years!r}"
        )
    extract = _timestamp(extract_date, "extract_date")
    joined = _join_dates(participation, unit)
    last_cohort = (extract - pd.DateOffset(years=int(horizon_years))).year
    if (extract - pd.DateOffset(years=int(horizon_years))) < pd.Timestamp(last_cohort, 12, 31):
        last_cohort -= 1
    if retention_duckdb.is_lazy(register):
        table, units = _cohort_counts_lazy(
            register, extract, horizon_years=int(horizon_years), last_cohort=last_cohort, unit=unit
        )
    else:
        table, units = _cohort_counts(
            register, extract, horizon_years=int(horizon_years), last_cohort=last_cohort, unit=unit
        )
    unknown = sorted(set(units) - set(joined.index))
    if unknown:
        raise ValueError(
            f"municipalities {unknown[:5]} of the register are not in the participation record"
        )
    if table.empty:
        raise ValueError(
            f"no arrival cohort is observed for {horizon_years} full years before the extract "
            f"date {extract:%d.%m.%Y}; use a shorter horizon"
        )
    table = table.rename(columns={unit: "ags"}) if unit != "ags" else table
    table["cohort_year"] = table["cohort_year"].astype(np.int64)
    join = joined.reindex(table["ags"]).to_numpy()
    join = pd.DatetimeIndex(join)
    first_full = np.where((join.month == 1) & (join.day == 1), join.year, join.year + 1).astype(
        float
    )
    table.insert(2, "join_year", np.where(join.isna(), np.nan, first_full))
    for column in ("n", "n_left_region", "n_died"):
        table[column] = table[column].astype(int)
    table["retained"] = 1 - table["n_left_region"] / table["n"].where(table["n"] > 0)
    return table


# ---------------------------------------------------------------------------
# Callaway & Sant'Anna group-time effects


@dataclass(frozen=True, eq=False, repr=False)
class GroupTimeEffects(SummaryRepr):
    """Result of :func:`group_time_effects`.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per group g and period t: ``group``, ``time``, ``event_time`` (t − g),
        ``base_time``, ``phase`` (``"pre"``: placebo period before any exposure,
        ``"anticipation"``: within δ periods before g, ``"post"``: t ≥ g), ``att``,
        ``se`` (bootstrap), ``ci_low``, ``ci_high`` (att ± z·se), ``n_units`` (treated
        municipalities with outcomes at t and at the base period), ``n_control_units``,
        ``reliable`` (False with fewer than ``min_control_units`` controls or fewer
        than two treated municipalities: do not interpret such a cell).
    replicates : numpy.ndarray
        Bootstrap replicates of ``att``, shape (n_boot, rows of ``table``).
    group_weights : pandas.Series
        Total weight (cohort size) of each group's municipalities, for aggregation.
    group_weight_replicates : numpy.ndarray
        The same in every bootstrap replicate, shape (n_boot, groups).
    n_boot, seed : int
        Bootstrap replicates and seed.
    conf_level : float
        Level of the pointwise intervals.
    control : str
        ``"notyet"`` or ``"never"``.
    anticipation : int
        Periods of anticipation δ (base period g − δ − 1).
    min_control_units : int
        Threshold of ``reliable``.
    """

    table: pd.DataFrame
    replicates: np.ndarray
    group_weights: pd.Series
    group_weight_replicates: np.ndarray
    n_boot: int
    seed: int
    conf_level: float
    control: str
    anticipation: int
    min_control_units: int

    def _summary(self) -> Summary:
        table = self.table
        post = table[table["phase"] == "post"]
        controls = "noch nicht teilnehmende" if self.control == "notyet" else "nie teilnehmende"
        return Summary(
            "GroupTimeEffects",
            "Gruppen-Zeit-Effekte nach Callaway & Sant'Anna",
            [
                ("Beitrittsjahrgänge", integer(table["group"].nunique())),
                (
                    "Zellen",
                    f"{integer(len(table))}, davon {integer(len(post))} nach dem Beitritt, "
                    f"{integer((~table['reliable'].astype(bool)).sum())} nicht verlässlich",
                ),
                ("Vergleichsgruppe", f"{controls} Kommunen (mindestens {self.min_control_units})"),
                ("Antizipation", f"{self.anticipation} Perioden"),
                ("Bootstrap", f"{integer(self.n_boot)} Replikationen (Seed {self.seed})"),
            ],
            columns=["Gruppe", "Periode", "ATT", ci_label(self.conf_level), "verlässlich"],
            rows=[
                [
                    _period(row["group"]),
                    _period(row["time"]),
                    number(row["att"], 3),
                    f"{number(row['ci_low'], 3)} bis {number(row['ci_high'], 3)}",
                    "ja" if row["reliable"] else "nein",
                ]
                for row in post.head(MAX_HTML_ROWS).to_dict("records")
            ],
            total_rows=len(post),
        )


def _period(value: object) -> str:
    """A year or period as written (2016, not 2.016 or 2016.0)."""
    try:
        return str(int(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return str(value)


def _z(conf_level: float) -> float:
    return float(_sps.norm.ppf(1 - (1 - conf_level) / 2))


def group_time_effects(
    cohorts: pd.DataFrame,
    *,
    outcome: str = "retained",
    unit: str = "ags",
    time: str = "cohort_year",
    group: str = "join_year",
    control: str = "notyet",
    weights: str | None = "n",
    anticipation: int = 0,
    n_boot: int = N_BOOT,
    seed: int = BOOT_SEED,
    conf_level: float = 0.95,
    min_control_units: int = MIN_CONTROL_UNITS,
) -> GroupTimeEffects:
    r"""Group-time average treatment effects ATT(g, t) of Callaway & Sant'Anna (2021).

    Group g = units first treated in period g (``group`` NaN: never treated). Under
    unconditional parallel trends, with base period :math:`b = g - \delta - 1`
    (δ = ``anticipation``), the long-difference estimator is

    .. math::

        \widehat{ATT}(g, t) = \frac{\sum_{i \in G_g} w_i (Y_{it} - Y_{ib})}
        {\sum_{i \in G_g} w_i} - \frac{\sum_{i \in C_{g,t}} w_i (Y_{it} - Y_{ib})}
        {\sum_{i \in C_{g,t}} w_i},

    with controls :math:`C_{g,t}` = never-treated units plus, for ``control="notyet"``,
    units first treated after :math:`\max(t, b) + \delta` (not yet treated, nor
    anticipating, in either period); ``control="never"`` uses never-treated units only.
    For t < b the same long difference against the (universal) base period is a
    placebo check of parallel trends. Units lacking the outcome at t or b are left out
    of that cell. The unit weight :math:`w_i` is the mean of ``weights`` (cohort size)
    over the unit's periods, constant over time as the estimator requires.

    Standard errors: multiplier bootstrap at the unit (municipality) level: in each of
    ``n_boot`` replicates every unit's weight is multiplied by an independent
    Exponential(1) draw (the Bayesian or exchangeably weighted bootstrap, Praestgaard &
    Wellner 1993), which keeps all periods of a municipality together (clustered) and
    never leaves a cell empty. ``se`` is the standard deviation of the replicates; the
    pointwise interval is att ± z·se. A cell with fewer than ``min_control_units``
    control units gets ``reliable = False``: its interval cannot be trusted; so does a
    cell with a single treated municipality, which has no bootstrap variation of its own.

    Parameters
    ----------
    cohorts : pandas.DataFrame
        Tidy panel, one row per unit and period (e.g. :func:`arrival_cohorts`).
    outcome, unit, time, group : str
        Column names; ``time`` and ``group`` on the same (integer) scale.
    control : {"notyet", "never"}
        Control units, as ``control_group`` of R's ``did::att_gt``.
    weights : str or None, default "n"
        Column of sizes for weighting (None: every unit weighs the same).
    anticipation : int, default 0
        δ: periods before g in which the treatment may already act (base period
        g − δ − 1). For :func:`arrival_cohorts` use ``horizon_years + 1``.
    n_boot : int, default :data:`N_BOOT` (999)
        Bootstrap replicates.
    seed : int, default :data:`BOOT_SEED` (2021)
        Seed of the bootstrap multipliers.
    conf_level : float, default 0.95
        Level of the pointwise intervals.
    min_control_units : int, default :data:`MIN_CONTROL_UNITS` (5)
        Fewer control units make a cell unreliable.

    Returns
    -------
    GroupTimeEffects

    References
    ----------
    Callaway, B. & Sant'Anna, P. H. C. (2021). *Journal of Econometrics* 225, 200–230.

    Examples
    --------
    Two treated units gain 0.1 from period 3 on; everybody shares the trend 0.01 t:

    >>> rows = [(u, t, g, 0.5 + 0.01 * t + (0.1 if g == g and t >= g else 0.0))
    ...         for u, g in enumerate([3, 3, np.nan, np.nan, np.nan, np.nan, np.nan])
    ...         for t in range(1, 5)]
    >>> panel = pd.DataFrame(rows, columns=["ags", "cohort_year", "join_year", "retained"])
    >>> gt = group_time_effects(panel, weights=None, n_boot=99)
    >>> gt.table[["group", "time", "att", "n_control_units", "reliable"]].round(6)
       group  time  att  n_control_units  reliable
    0    3.0     1  0.0                5      True
    1    3.0     3  0.1                5      True
    2    3.0     4  0.1                5      True
    """
    cohorts = _check_frame(cohorts, "cohorts")
    columns = [unit, time, group, outcome] + ([weights] if weights is not None else [])
    _check_columns(cohorts, columns, "cohorts")
    if control not in CONTROLS:
        raise ValueError(f"control must be one of {', '.join(CONTROLS)}, got {control!r}")
    if not isinstance(anticipation, int | np.integer) or anticipation < 0:
        raise ValueError(f"anticipation must be a whole number >= 0, got {anticipation!r}")
    if not isinstance(n_boot, int | np.integer) or n_boot < 2:
        raise ValueError(f"n_boot must be a whole number >= 2, got {n_boot!r}")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be between 0 and 1 (e.g. 0.95), got {conf_level!r}")
    if cohorts.duplicated([unit, time]).any():
        raise ValueError(f"cohorts has more than one row per {unit} and {time}; aggregate first")
    groups_per_unit = cohorts.groupby(unit)[group].nunique(dropna=False)
    if (groups_per_unit > 1).any():
        bad = list(groups_per_unit[groups_per_unit > 1].index[:5])
        raise ValueError(f"{group!r} must be constant within each unit; it varies in {bad}")
    data = cohorts[columns].copy()
    data[outcome] = pd.to_numeric(data[outcome], errors="coerce")
    if weights is not None and (pd.to_numeric(data[weights], errors="coerce") < 0).any():
        raise ValueError(f"weights column {weights!r} has negative values")
    wide = data.pivot(index=unit, columns=time, values=outcome)
    units = wide.index
    unit_group = data.groupby(unit)[group].first().reindex(units).to_numpy(dtype=float)
    if weights is None:
        w = np.ones(len(units))
    else:
        w = data.groupby(unit)[weights].mean().reindex(units).to_numpy(dtype=float)
    periods = np.asarray(wide.columns, dtype=float)
    y = wide.to_numpy(dtype=float)
    never = np.isnan(unit_group)
    treated_groups = sorted(set(unit_group[~never].tolist()))
    if not treated_groups:
        raise ValueError(f"no unit is ever treated ({group!r} is missing everywhere)")
    if never.all() or (control == "never" and not never.any()):
        raise ValueError("there are no never-treated units to serve as controls")
    rng = np.random.default_rng(seed)
    multipliers = rng.exponential(1.0, size=(int(n_boot), len(units)))
    z = _z(conf_level)
    rows, reps = [], []
    for g in treated_groups:
        base = g - anticipation - 1
        if base not in periods:
            continue
        b = int(np.flatnonzero(periods == base)[0])
        members = unit_group == g
        for k, t in enumerate(periods):
            if k == b:
                continue
            later = max(t, base) + anticipation
            eligible = never.copy()
            if control == "notyet":
                eligible |= ~never & (unit_group > later) & (unit_group != g)
            diff = y[:, k] - y[:, b]
            ok = np.isfinite(diff) & (w > 0)
            treated = members & ok
            controls = eligible & ok
            n_t, n_c = int(treated.sum()), int(controls.sum())
            row = {
                "group": g,
                "time": periods[k],
                "event_time": periods[k] - g,
                "base_time": base,
                "phase": "post" if t >= g else ("anticipation" if t >= g - anticipation else "pre"),
                "n_units": n_t,
                "n_control_units": n_c,
            }
            if n_t == 0 or n_c == 0:
                row.update(att=math.nan, se=math.nan)
                reps.append(np.full(int(n_boot), math.nan))
            else:
                wd = np.where(ok, w * np.where(ok, diff, 0.0), 0.0)
                att = wd[treated].sum() / w[treated].sum() - wd[controls].sum() / w[controls].sum()
                boot = (multipliers[:, treated] @ wd[treated]) / (
                    multipliers[:, treated] @ w[treated]
                ) - (multipliers[:, controls] @ wd[controls]) / (
                    multipliers[:, controls] @ w[controls]
                )
                row.update(att=float(att), se=float(np.std(boot, ddof=1)))
                reps.append(boot)
            rows.append(row)
    if not rows:
        raise ValueError(
            f"no group has its base period (g − {anticipation} − 1) among the periods "
            f"{periods.min():g}–{periods.max():g}; use fewer anticipation periods"
        )
    table = pd.DataFrame(rows)
    table["ci_low"] = table["att"] - z * table["se"]
    table["ci_high"] = table["att"] + z * table["se"]
    table["reliable"] = (table["n_control_units"] >= min_control_units) & (table["n_units"] >= 2)
    if np.issubdtype(cohorts[time].dtype, np.integer):
        for column in ("time", "event_time", "base_time"):
            table[column] = table[column].astype(int)
    table = table[
        [
            "group",
            "time",
            "event_time",
            "base_time",
            "phase",
            "att",
            "se",
            "ci_low",
            "ci_high",
            "n_units",
            "n_control_units",
            "reliable",
        ]
    ]
    group_index = pd.Index(treated_groups, name="group")
    membership = np.column_stack([unit_group == g for g in treated_groups]).astype(float)
    group_weights = pd.Series(w @ membership, index=group_index, name="weight")
    return GroupTimeEffects(
        table=table,
        replicates=np.column_stack(reps),
        group_weights=group_weights,
        group_weight_replicates=(multipliers * w) @ membership,
        n_boot=int(n_boot),
        seed=int(seed),
        conf_level=float(conf_level),
        control=control,
        anticipation=int(anticipation),
        min_control_units=int(min_control_units),
    )


def aggregate_effects(effects: GroupTimeEffects, *, kind: str = "event") -> pd.DataFrame:
    r"""Event-study curve or overall effect from :func:`group_time_effects`.

    With :math:`p_g` the weight of group g (total cohort size of its municipalities):

    * ``kind="event"``: :math:`\theta(e) = \sum_g p_g\, ATT(g, g+e) / \sum_g p_g`
      over the groups observed at event time e (Callaway & Sant'Anna 2021, eq. 3.4);
    * ``kind="overall"``: the average of each group's post-treatment effects,
      :math:`\theta(g) = \text{mean}_{t \ge g} ATT(g, t)`, weighted by :math:`p_g`
      (their :math:`\theta^O_{sel}`, eq. 3.11).

    Standard errors come from the same bootstrap replicates (group weights
    re-drawn too), so the aggregates keep the clustering by municipality.
    ``n_unreliable_cells`` counts the cells that enter although flagged unreliable;
    the aggregate is ``reliable`` if every cell has enough control units and at least
    two treated municipalities enter in all (a single-municipality group is fine
    once it is averaged with others).

    Returns
    -------
    pandas.DataFrame
        ``kind="event"``: one row per event time: ``event_time``, ``phase``, ``att``,
        ``se``, ``ci_low``, ``ci_high``, ``n_groups``, ``n_cells``,
        ``n_unreliable_cells``, ``reliable``. ``kind="overall"``: one row with
        ``att``, ``se``, ``ci_low``, ``ci_high``, ``p_value`` (normal), ``n_groups``,
        ``n_cells``, ``n_unreliable_cells``, ``reliable``.

    Examples
    --------
    >>> rows = [(u, t, g, 0.5 + 0.01 * t + (0.1 if g == g and t >= g else 0.0))
    ...         for u, g in enumerate([3, 3, 4, np.nan, np.nan, np.nan, np.nan, np.nan])
    ...         for t in range(1, 6)]
    >>> panel = pd.DataFrame(rows, columns=["ags", "cohort_year", "join_year", "retained"])
    >>> gt = group_time_effects(panel, weights=None, n_boot=99)
    >>> aggregate_effects(gt, kind="event")[["event_time", "phase", "att"]].round(6)
       event_time phase  att
    0          -3   pre  0.0
    1          -2   pre  0.0
    2           0  post  0.1
    3           1  post  0.1
    4           2  post  0.1
    >>> round(float(aggregate_effects(gt, kind="overall")["att"].iloc[0]), 6)
    0.1
    """
    if not isinstance(effects, GroupTimeEffects):
        raise TypeError(
            f"effects must be the result of group_time_effects(), got {type(effects).__name__}"
        )
    if kind not in ("event", "overall"):
        raise ValueError(f'kind must be "event" or "overall", got {kind!r}')
    table = effects.table
    usable = table["att"].notna().to_numpy()
    groups = list(effects.group_weights.index)
    position = {g: j for j, g in enumerate(groups)}
    z = _z(effects.conf_level)
    p = effects.group_weights.to_numpy(dtype=float)
    p_boot = effects.group_weight_replicates

    def combine(cells: np.ndarray, cell_weights: np.ndarray, boot_weights: np.ndarray) -> dict:
        estimate = float(table["att"].to_numpy()[cells] @ cell_weights / cell_weights.sum())
        boot = (effects.replicates[:, cells] * boot_weights).sum(axis=1) / boot_weights.sum(axis=1)
        se = float(np.std(boot, ddof=1))
        unreliable = int((~table["reliable"].to_numpy()[cells]).sum())
        controls_ok = bool(
            (table["n_control_units"].to_numpy()[cells] >= effects.min_control_units).all()
        )
        treated_units = int(table.iloc[cells].groupby("group")["n_units"].max().sum())
        return {
            "att": estimate,
            "se": se,
            "ci_low": estimate - z * se,
            "ci_high": estimate + z * se,
            "n_groups": len(set(table["group"].to_numpy()[cells].tolist())),
            "n_cells": len(cells),
            "n_unreliable_cells": unreliable,
            "reliable": controls_ok and treated_units >= 2,
        }

    if kind == "event":
        rows = []
        for e in sorted(table.loc[usable, "event_time"].unique()):
            cells = np.flatnonzero(usable & (table["event_time"] == e).to_numpy())
            idx = [position[g] for g in table["group"].to_numpy()[cells]]
            phase = table["phase"].to_numpy()[cells][0]
            rows.append({"event_time": e, "phase": phase, **combine(cells, p[idx], p_boot[:, idx])})
        return pd.DataFrame(rows)
    post = usable & (table["phase"] == "post").to_numpy()
    if not post.any():
        raise ValueError("no post-treatment cell has an estimate; nothing to aggregate")
    # theta(g) = mean over the group's post cells: each cell weighs p_g / (cells of g)
    cells = np.flatnonzero(post)
    cell_groups = table["group"].to_numpy()[cells]
    per_group = pd.Series(cell_groups).value_counts()
    idx = [position[g] for g in cell_groups]
    share = np.array([1.0 / per_group[g] for g in cell_groups])
    result = combine(cells, p[idx] * share, p_boot[:, idx] * share)
    result["p_value"] = float(2 * _sps.norm.sf(abs(result["att"] / result["se"])))
    order = ["att", "se", "ci_low", "ci_high", "p_value", "n_groups", "n_cells"]
    return pd.DataFrame([result])[[*order, "n_unreliable_cells", "reliable"]]


# ---------------------------------------------------------------------------
# naive two-way fixed effects


def twfe_effect(
    cohorts: pd.DataFrame,
    *,
    outcome: str = "retained",
    unit: str = "ags",
    time: str = "cohort_year",
    group: str = "join_year",
    weights: str | None = "n",
    conf_level: float = 0.95,
) -> pd.DataFrame:
    r"""The naive two-way fixed-effects (TWFE) estimate, to show beside the ATT.

    Weighted least squares (statsmodels; OLS with ``weights=None``) of

    .. math:: Y_{it} = \alpha_i + \lambda_t + \beta D_{it} + \varepsilon_{it},
              \qquad D_{it} = 1\{t \ge g_i\},

    with unit and period dummies and standard errors clustered by unit (statsmodels'
    ``cov_type="cluster"``, with its small-sample correction). With staggered adoption
    β is a weighted average of all two-by-two comparisons, including ones that use
    already-treated units as controls; when effects change over time some weights are
    negative and β is biased (Goodman-Bacon 2021). It also counts partly exposed
    cohorts as untreated. It is shown for comparison only.

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``p_value``, ``n_obs``,
        ``n_units``.

    Examples
    --------
    >>> rows = [(u, t, g, 0.5 + 0.01 * t + (0.1 if g == g and t >= g else 0.0)
    ...          + 0.001 * ((u * 7 + t * 3) % 5))
    ...         for u, g in enumerate([3, 3, 4, np.nan, np.nan, np.nan])
    ...         for t in range(1, 6)]
    >>> panel = pd.DataFrame(rows, columns=["ags", "cohort_year", "join_year", "retained"])
    >>> round(float(twfe_effect(panel, weights=None)["estimate"].iloc[0]), 2)
    0.1
    """
    cohorts = _check_frame(cohorts, "cohorts")
    columns = [unit, time, group, outcome] + ([weights] if weights is not None else [])
    _check_columns(cohorts, columns, "cohorts")
    if not 0 < conf_level < 1:
        raise ValueError(f"conf_level must be between 0 and 1 (e.g. 0.95), got {conf_level!r}")
    data = cohorts[columns].copy()
    data[outcome] = pd.to_numeric(data[outcome], errors="coerce")
    data = data[data[outcome].notna()]
    if weights is not None:
        data = data[data[weights] > 0]
    if data.empty:
        raise ValueError("no rows with an outcome; nothing to estimate")
    g = data[group].to_numpy(dtype=float)
    treated = (~np.isnan(g) & (data[time].to_numpy(dtype=float) >= g)).astype(float)
    if treated.min() == treated.max():
        raise ValueError("the treatment indicator does not vary; TWFE needs treated and untreated")
    dummies = pd.get_dummies(
        data[[unit, time]].astype(str), drop_first=True, dtype=float
    ).to_numpy()
    x = np.column_stack([np.ones(len(data)), treated, dummies])
    codes = pd.factorize(data[unit])[0]
    model = (
        sm.WLS(data[outcome].to_numpy(dtype=float), x, weights=data[weights].to_numpy(float))
        if weights is not None
        else sm.OLS(data[outcome].to_numpy(dtype=float), x)
    )
    fit = model.fit(cov_type="cluster", cov_kwds={"groups": codes})
    estimate, se = float(fit.params[1]), float(fit.bse[1])
    z = _z(conf_level)
    return pd.DataFrame(
        [
            {
                "estimate": estimate,
                "se": se,
                "ci_low": estimate - z * se,
                "ci_high": estimate + z * se,
                "p_value": float(2 * _sps.norm.sf(abs(estimate / se))),
                "n_obs": len(data),
                "n_units": int(codes.max() + 1),
            }
        ]
    )


def _pp(value: float) -> str:
    return f"{de.signed(value * 100, 1)} Prozentpunkte"


def describe_programme_effect(overall: pd.DataFrame, twfe: pd.DataFrame) -> str:
    """A plain-German paragraph: the overall ATT, the TWFE estimate and why they differ.

    ``overall`` is :func:`aggregate_effects` with ``kind="overall"``, ``twfe`` the
    result of :func:`twfe_effect`; effects on a share are given in percentage points.

    Examples
    --------
    >>> overall = pd.DataFrame([{"att": 0.031, "ci_low": 0.012, "ci_high": 0.05,
    ...                          "reliable": True}])
    >>> twfe = pd.DataFrame([{"estimate": 0.018, "ci_low": 0.001, "ci_high": 0.035}])
    >>> describe_programme_effect(overall, twfe)[:80]
    'Nach dem Beitritt ihrer Kommune ändert sich der Anteil der Neubürgerinnen und Ne'
    """
    for frame, columns, what in (
        (overall, ["att", "ci_low", "ci_high"], "overall"),
        (twfe, ["estimate", "ci_low", "ci_high"], "twfe"),
    ):
        _check_frame(frame, what)
        _check_columns(frame, columns, what)
        if len(frame) != 1:
            raise ValueError(f"{what} must have exactly one row, got {len(frame)}")
    o, t = overall.iloc[0], twfe.iloc[0]
    clear = o["ci_low"] > 0 or o["ci_high"] < 0
    text = (
        f"Nach dem Beitritt ihrer Kommune ändert sich der Anteil der Neubürgerinnen und "
        f"Neubürger, die noch in der Region wohnen, im Mittel um {_pp(o['att'])} "
        f"(95-%-KI {de.interval(o['ci_low'] * 100, o['ci_high'] * 100)}). "
    )
    text += (
        "Das Intervall schließt null aus: Der Unterschied ist statistisch gesichert. "
        if clear
        else "Das Intervall schließt null ein: Ein Effekt ist mit diesen Daten nicht gesichert. "
    )
    if "reliable" in o and not bool(o["reliable"]):
        text += "Einige Vergleiche beruhen auf zu wenigen Vergleichskommunen. "
    text += (
        f"Die einfache Regression mit Kommunen- und Jahres-Effekten (TWFE) ergibt "
        f"{_pp(t['estimate'])} (95-%-KI {de.interval(t['ci_low'] * 100, t['ci_high'] * 100)}). "
        "Sie ist hier nur zum Vergleich angegeben: Weil die Kommunen zu verschiedenen "
        "Zeitpunkten beigetreten sind, vergleicht sie teilweise Kommunen, die später "
        "beigetreten sind, mit Kommunen, die schon länger teilnehmen, als wären diese "
        "unbehandelt. Wächst oder schwindet die Wirkung mit der Zeit, verzerrt das die "
        "Schätzung (Goodman-Bacon 2021). Außerdem zählt sie Zuzugsjahrgänge, die den Beitritt "
        "noch während der ersten Jahre erlebt haben, als unbehandelt. Der Schätzer nach "
        "Callaway und Sant'Anna (2021) vergleicht dagegen jede Beitrittsgruppe nur mit "
        "Kommunen, die zu dem Zeitpunkt noch nicht oder nie teilnehmen."
    )
    return text


# ---------------------------------------------------------------------------
# individual-level Cox model


def _age_group(age: pd.Series) -> pd.Categorical:
    bounds = [low for low, _ in AGE_GROUPS]
    labels = [label for _, label in AGE_GROUPS]
    codes = np.searchsorted(bounds, age.to_numpy(dtype=float), side="right") - 1
    values = np.where(age.notna(), np.array(labels, dtype=object)[np.clip(codes, 0, None)], None)
    return pd.Categorical(values, categories=labels)


def person_periods(
    register: pd.DataFrame,
    participation: pd.DataFrame,
    *,
    extract_date: dt.date | str | pd.Timestamp,
    unit: str = "ags",
    household: str = "haushalt_id",
    reference_persons: bool = False,
) -> pd.DataFrame:
    """Counting-process rows of the stays, split at the join date (for :func:`cox`).

    Time = years since the move-in (days / 365.25). Each stay (move-in to move-out or
    extract date) becomes one row (``start``, ``stop``] with ``participating`` 0/1, or
    two rows when the municipality joined during the stay (0 before, 1 from the join
    date). ``left_region`` = 1 in the last row of stays that ended with a move out of
    the region (destinations 2–4); moves within the region, deaths and the extract date
    censor. Stays of length 0 (move-in on the extract date) are left out. Derived
    covariates: ``altersgruppe`` (age at move-in from ``geburtsjahr``; categories
    :data:`AGE_GROUPS`, reference 18–29), ``kinder_im_haushalt`` (a household member
    under 18 at move-in), and ``herkunft``/``fachkraft`` as categories. With
    ``reference_persons=True`` only the first row of each household (the reference
    person: the extract lists members in order) is kept, after the household
    covariates have been derived from all members.

    Examples
    --------
    >>> reg = pd.DataFrame({
    ...     "ags": ["A", "B"], "haushalt_id": ["h1", "h2"],
    ...     "einzug": pd.to_datetime(["2015-01-01", "2015-01-01"]),
    ...     "auszug": pd.to_datetime(["2017-01-01", None]), "wegzug_ziel": [3, None],
    ...     "geburtsjahr": [1990, 1950], "herkunft": [2, 4], "fachkraft": [1, 0]})
    >>> part = pd.DataFrame({"ags": ["A", "B"], "joined": pd.to_datetime(["2016-01-01", None])})
    >>> pp = person_periods(reg, part, extract_date="2018-01-01")
    >>> pp[["start", "stop", "participating", "left_region"]].round(3)
       start   stop  participating  left_region
    0  0.000  0.999              0            0
    1  0.999  2.001              1            1
    2  0.000  3.001              0            0
    """
    extract = _timestamp(extract_date, "extract_date")
    move_in, end, destination = _register_parts(register, extract, unit)
    _check_columns(register, [household], "register")
    joined = _join_dates(participation, unit)
    ags = register[unit].astype(str)
    unknown = sorted(set(ags) - set(joined.index))
    if unknown:
        raise ValueError(
            f"municipalities {unknown[:5]} of the register are not in the participation record"
        )
    stop = (end - move_in).dt.days.to_numpy(dtype=float) / _DAYS_PER_YEAR
    join_at = (
        (pd.DatetimeIndex(joined.reindex(ags).to_numpy()) - pd.DatetimeIndex(move_in)).days
    ).to_numpy(dtype=float) / _DAYS_PER_YEAR
    event = destination.isin(LEAVES_REGION).to_numpy().astype(int)
    base = pd.DataFrame(
        {
            "row": np.arange(len(register)),
            unit: ags.to_numpy(),
            household: register[household].to_numpy(),
            "stop": stop,
            "event": event,
            "join_at": join_at,
        }
    )
    if "geburtsjahr" in register:
        age = move_in.dt.year - pd.to_numeric(register["geburtsjahr"], errors="coerce")
        base["altersgruppe"] = _age_group(age.reset_index(drop=True))
        minor = (age < 18).to_numpy()
        base["kinder_im_haushalt"] = (
            pd.Series(minor).groupby(base[household].to_numpy()).transform("any").to_numpy()
        ).astype(int)
    for column in ("herkunft", "fachkraft"):
        if column in register:
            values = pd.to_numeric(register[column], errors="coerce").astype("Int64")
            base[column] = pd.Categorical(values.to_numpy(dtype=object, na_value=None))
    if reference_persons:
        base = base[~base[household].duplicated()]
    base = base[base["stop"] > 0]
    never = ~(base["join_at"] < base["stop"]).to_numpy()  # NaN (never) or after the stay
    from_start = (base["join_at"] <= 0).to_numpy()
    split = ~never & ~from_start
    whole = base[~split].assign(start=0.0, participating=from_start[~split].astype(int))
    whole["left_region"] = whole["event"]
    before = base[split].assign(start=0.0, participating=0, left_region=0)
    before["stop"] = before["join_at"]
    after = base[split].assign(participating=1)
    after["start"] = after["join_at"]
    after["left_region"] = after["event"]
    periods = pd.concat([whole, before, after]).sort_values(["row", "start"], kind="stable")
    keep = ["row", unit, household, "start", "stop", "participating", "left_region"]
    extra = [
        c for c in ("altersgruppe", "herkunft", "fachkraft", "kinder_im_haushalt") if c in base
    ]
    periods = periods[keep + extra].reset_index(drop=True)
    if "altersgruppe" in periods:  # reference category: 18–29 (the largest group)
        labels = [label for _, label in AGE_GROUPS]
        periods["altersgruppe"] = periods["altersgruppe"].cat.reorder_categories(
            [labels[1], labels[0], *labels[2:]]
        )
    return periods


def individual_cox_effect(
    register: pd.DataFrame,
    participation: pd.DataFrame,
    *,
    extract_date: dt.date | str | pd.Timestamp,
    covariates: Sequence[str] = COX_COVARIATES,
    unit: str = "ags",
    household: str = "haushalt_id",
    reference_persons: bool = False,
    conf_level: float = 0.95,
) -> CoxResult:
    r"""Individual-level check: Cox model of leaving the region, participation time-varying.

    Cause-specific hazard of moving out of the region (destinations 2–4) since the
    move-in, with a time-varying indicator "municipality participates" in
    counting-process form (:func:`person_periods`: each stay split at the join date)
    and the adjustment ``covariates``,

    .. math:: \lambda_i(t) = \lambda_0(t) \exp\bigl(\beta\, \text{participating}_i(t)
              + \gamma^\top x_i\bigr),

    fitted with :func:`welcome_eval.survival.retention.cox` (``entry=``, Efron ties) and robust
    standard errors clustered by household (members move together). Moves within the
    region, deaths and the extract date censor. :math:`e^\beta` (term
    ``participating``) is the hazard ratio of leaving the region while the
    municipality participates; the synthetic register plants 0.8.

    Parameters
    ----------
    register, participation : pandas.DataFrame
        As in :func:`arrival_cohorts`; ``register`` also needs ``haushalt_id`` and the
        columns behind ``covariates``.
    extract_date : date
        The extract date (censors everyone still registered).
    covariates : sequence of str
        Adjustment: any of ``altersgruppe``, ``herkunft``, ``fachkraft``,
        ``kinder_im_haushalt`` (default: all four).
    reference_persons : bool, default False
        Fit on one row per household (its reference person, with the household's
        ``kinder_im_haushalt``) instead of all persons. Households move together, so
        this loses little information, and the fit (whose cost grows with rows times
        event times) is about four times faster.
    conf_level : float
        Level of the hazard-ratio intervals.

    Returns
    -------
    welcome_eval.survival.retention.CoxResult

    Examples
    --------
    >>> from welcome_eval.synth import participation
    >>> from welcome_eval.synth.register import register_extract
    >>> reg = register_extract(scale=0.02)
    >>> fit = individual_cox_effect(reg, participation(2018), extract_date="2025-12-31")
    >>> fit.coefficients["term"].iloc[0]
    'participating'
    """
    periods = person_periods(
        register,
        participation,
        extract_date=extract_date,
        unit=unit,
        household=household,
        reference_persons=reference_persons,
    )
    covariates_ = [covariates] if isinstance(covariates, str) else list(covariates)
    _check_columns(periods, covariates_, "the person periods (derived covariates)")
    return cox(
        periods,
        duration="stop",
        entry="start",
        event="left_region",
        covariates=["participating", *covariates_],
        cluster=household,
        conf_level=conf_level,
    )
