"""Seeded synthetic register extract for the retention analysis ("Melderegisterauszug").

The retention analysis asks whether newcomers stay in Südwestfalen longer once their
municipality has joined the welcome programme. Its data are a pseudonymised extract of
the population registers; the real one cannot be shipped, so this module generates a
stand-in with a known, planted programme effect:

* :func:`register_extract` -- the coded extract (one row per person, columns = the
  items of ``surveys/register/codebook.yaml``),
* :func:`write_register_demo` -- a sample of it as a raw CSV export with a manifest,
  byte for byte reproducible.

Population and time frame
    Households move into all 59 municipalities from 1 January 2010 (:data:`WINDOW_START`)
    to the extract date (:data:`EXTRACT_DATE`, 31 December 2025), uniformly over time,
    in numbers proportional to the population: :data:`ARRIVAL_RATE` (1.5 %) of the
    inhabitants per year, about 330,000 persons in 165,000 households in all. The
    manifest's ``fieldwork`` holds the window: ``start`` its first day, ``end`` the
    extract date, which censors everyone still registered.

Households
    The reference person's age at move-in (18-29: 38 %, 30-44: 32 %, 45-64: 20 %,
    65+: 10 %) sets the household type (single, couple, couple with one to four
    children, single parent with one to three children). Members share the municipality,
    the move-in date, the origin and -- as a household -- the move-out date and
    destination; only death ends a single member's row early. The hazards below use the
    reference person's characteristics; in the extract a household's rows are in member
    order, so its first row is the reference person.

Hazards (per household; time = years since move-in; no calendar-time trend and no
municipal effect on the baseline)
    Leaving the region (destinations 2-4):
    ``0.085 * AGE[g] * ORIGIN[o] * SKILLED[s] * CHILDREN[c] * DURATION(t) * HR(t)`` with,
    for the reference person's age group at move-in ``g`` (18-29, 30-44, 45-64, 65+),
    ``AGE = (1.6, 1.0, 0.6, 0.35)``; origin ``o`` (codes 1-5)
    ``ORIGIN = (0.55, 1.0, 1.3, 1.8, 1.5)``; the reference person's true skilled-worker
    status ``SKILLED = 1.3`` if yes (the recorded ``fachkraft`` is "unbekannt" for a
    random 20 % of adults, independently of everything else); ``CHILDREN = 0.8`` for
    households with children; the piecewise-constant duration factor ``DURATION`` =
    1.0, 1.15, 0.75, 0.45 in years [0, 1), [1, 2), [2, 5), [5, inf) since move-in.
    The destination among 2 (NRW), 3 (Germany), 4 (abroad) is then drawn with
    probabilities that depend on the origin only.

    Moving to another municipality of the region (destination 1), a competing end of the
    row: ``0.035 * (1.4, 1.1, 0.7, 0.5)[g] * (1.6, 1.0, 0.8, 0.7, 0.8)[o] * DURATION(t)``;
    the programme does not change it.

    Death (destination 5), per person: Gompertz in attained age,
    ``1.8e-5 * exp(0.095 * age)`` per year, times 1.6 for men.

Planted programme effect
    ``HR(t) = effect`` (default :data:`PLANTED_HAZARD_RATIO` = 0.8) for all person-time
    on or after the day the household's municipality joined the programme (join dates:
    :func:`welcome_eval.synth.participation_record` with the same seed, the demo's
    ``programme/teilnahme.csv``), whenever the household moved in; ``HR(t) = 1`` before
    the join date and in the 15 municipalities that never joined. The effect is a
    time-varying proportional effect on the cause-specific hazard of leaving the region
    (destinations 2, 3 and 4 alike); moves within the region and deaths are unaffected.
    A cause-specific Cox model for leaving the region with a time-varying indicator
    "municipality participating" (rows censored at a move within the region, at death
    and at the extract date), adjusted for the reference person's age group, origin,
    skilled-worker status and children, should recover the hazard ratio. ``effect=1.0``
    gives the placebo: everything else, every random draw included, is identical
    (common random numbers), so only rows whose move-out from the region fell into
    exposed person-time change.

Confounding (on purpose)
    Larger towns join the programme earlier and attract more newcomers from abroad
    (odds of origin 4 and 5 times ``(population / 20000) ** 0.25``), who leave more
    often: comparisons between participating and other municipalities that ignore the
    origin understate the effect.

Welcome-offer contacts (``angebot``) are recorded only for households that moved into a
municipality on or after its join date (Willkommenstasche: 60 % of households;
Neubürgerabend: 15 % of adults; Arbeitgeberservice: 40 % of skilled adults). They carry
no effect of their own: the effect acts through the municipality's participation.

Sampling
    ``scale`` keeps a random share of the households (whole households) of the full
    register. All random numbers are drawn for the full register first, so the extract
    at ``scale=0.05`` is exactly a 5 % household sample of the one at ``scale=1.0``
    (same ids, dates and destinations).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from welcome_eval.ingest.codebook import Codebook
from welcome_eval.ingest.writers import write_export
from welcome_eval.municipalities import municipalities
from welcome_eval.synth.participation_record import participation

__all__ = [
    "ARRIVAL_RATE",
    "DEMO_SCALE",
    "EXTRACT_DATE",
    "PLANTED_HAZARD_RATIO",
    "SURVEY",
    "WAVE",
    "WINDOW_START",
    "register_extract",
    "write_register_demo",
]

SURVEY = "register"
WAVE = "2025"

#: The planted programme effect: hazard ratio of leaving the region for person-time on or
#: after the join date of the household's municipality.
PLANTED_HAZARD_RATIO = 0.8
#: First day of the observation window (earliest move-in in the extract).
WINDOW_START = dt.date(2010, 1, 1)
#: Default extract date (Stichtag): censors everyone still registered.
EXTRACT_DATE = dt.date(2025, 12, 31)
#: Persons moving in per inhabitant and year.
ARRIVAL_RATE = 0.015
#: Share of the households in the shipped demo extract.
DEMO_SCALE = 0.05

_DAYS_PER_YEAR = 365.25
_STREAM_REGISTER = 31
# Pseudonyms: an odd multiplier mod 2**40 is a bijection, so ids are unique by construction.
_ID_MASK = (1 << 40) - 1
_PERSON_MULTIPLIER = 0x9E3779B97F4A7C15
_HOUSEHOLD_MULTIPLIER = 0xC2B2AE3D27D4EB4F
_MAX_MEMBERS = 6
_MEMBER_SLOTS = 8  # person number = household number * 8 + member

# --- households ---------------------------------------------------------------------------
# Reference person's age group at move-in: 18-29, 30-44, 45-64, 65+.
_AGE_GROUP_P = np.array([0.38, 0.32, 0.20, 0.10])
_AGE_GROUP_LOW = np.array([18.0, 30.0, 45.0, 65.0])
_AGE_GROUP_WIDTH = np.array([12.0, 15.0, 20.0, 0.0])
_OLD_AGE_MEAN_EXCESS = 7.0  # 65+ : 65 + exponential with this mean, at most 98
# Household type per age group: single, couple, couple with children, single parent.
_SINGLE, _COUPLE, _FAMILY, _SINGLE_PARENT = 0, 1, 2, 3
_TYPE_P = np.array(
    [
        [0.58, 0.24, 0.14, 0.04],
        [0.30, 0.20, 0.42, 0.08],
        [0.36, 0.40, 0.19, 0.05],
        [0.45, 0.55, 0.00, 0.00],
    ]
)
_FAMILY_CHILDREN_P = np.array([0.40, 0.40, 0.15, 0.05])  # 1..4 children
_SINGLE_PARENT_CHILDREN_P = np.array([0.60, 0.30, 0.10, 0.00])  # 1..3 children
# Origin (1 same district ... 5 outside the EU) per age group.
_ORIGIN_P = np.array(
    [
        [0.26, 0.24, 0.18, 0.15, 0.17],
        [0.32, 0.26, 0.16, 0.13, 0.13],
        [0.42, 0.26, 0.14, 0.10, 0.08],
        [0.56, 0.25, 0.12, 0.05, 0.02],
    ]
)
_ABROAD_TILT_POPULATION = 20000.0
_ABROAD_TILT_POWER = 0.25
# Citizenship (deutsch, EU, Drittstaat) per origin.
_CITIZENSHIP_P = np.array(
    [
        [0.90, 0.05, 0.05],
        [0.88, 0.06, 0.06],
        [0.86, 0.07, 0.07],
        [0.25, 0.70, 0.05],
        [0.15, 0.05, 0.80],
    ]
)
_P_SAME_CITIZENSHIP = 0.85  # another member shares the reference person's citizenship
_P_MALE = 0.52
_P_PARTNER_OPPOSITE_SEX = 0.96
_P_CHILD_MALE = 0.51
_P_DIVERSE, _P_NO_SEX = 0.0003, 0.0002
_PARTNER_AGE_SD = 3.0
# Skilled workers among adults per age group, times a factor per origin.
_P_SKILLED_AGE = np.array([0.35, 0.45, 0.30, 0.02])
_SKILLED_ORIGIN = np.array([0.4, 1.0, 1.1, 1.3, 1.2])
_P_SKILLED_UNKNOWN = 0.20

# --- hazards (per year) --------------------------------------------------------------------
_DURATION_BREAKS = np.array([0.0, 1.0, 2.0, 5.0])
_DURATION_FACTOR = np.array([1.0, 1.15, 0.75, 0.45])
_REGION_BASE = 0.085
_REGION_AGE = np.array([1.6, 1.0, 0.6, 0.35])
_REGION_ORIGIN = np.array([0.55, 1.0, 1.3, 1.8, 1.5])
_REGION_SKILLED = 1.3
_REGION_CHILDREN = 0.8
_WITHIN_BASE = 0.035
_WITHIN_AGE = np.array([1.4, 1.1, 0.7, 0.5])
_WITHIN_ORIGIN = np.array([1.6, 1.0, 0.8, 0.7, 0.8])
# Destination 2 (NRW), 3 (Germany), 4 (abroad) of those leaving the region, per origin.
_DESTINATION_P = np.array(
    [
        [0.60, 0.33, 0.07],
        [0.60, 0.33, 0.07],
        [0.30, 0.58, 0.12],
        [0.15, 0.22, 0.63],
        [0.22, 0.30, 0.48],
    ]
)
_GOMPERTZ_A = 1.8e-5
_GOMPERTZ_B = 0.095
_GOMPERTZ_MALE = 1.6

# --- welcome offers (only after the municipality joined) -----------------------------------
_P_BAG = 0.60  # Willkommenstasche, per household
_P_EVENING = 0.15  # Neubürgerabend, per adult
_P_EMPLOYER = 0.40  # Arbeitgeberservice, per skilled adult

# Codes (checked against the codebook in register_extract).
_DEST_WITHIN, _DEST_NRW, _DEST_DEATH = 1, 2, 5
_SEX_MALE, _SEX_FEMALE, _SEX_DIVERSE, _SEX_NONE = 1, 2, 3, 4
_SKILLED_NO, _SKILLED_YES, _SKILLED_UNKNOWN = 0, 1, 2


def _draw(u: np.ndarray, probabilities: np.ndarray) -> np.ndarray:
    """Categories 0..k-1 from uniforms ``u`` and a probability row per draw."""
    cumulative = np.cumsum(probabilities, axis=-1)
    cumulative /= cumulative[..., -1:]
    return np.minimum((u[..., None] >= cumulative).sum(axis=-1), probabilities.shape[-1] - 1)


def _mean_household_size() -> float:
    children_family = float(np.arange(1, 5) @ _FAMILY_CHILDREN_P)
    children_single = float(np.arange(1, 5) @ _SINGLE_PARENT_CHILDREN_P)
    size = np.array([1.0, 2.0, 2.0 + children_family, 1.0 + children_single])
    return float(_AGE_GROUP_P @ (_TYPE_P @ size))


def _event_times(
    rate: np.ndarray, exposed_from: np.ndarray, hazard_ratio: float, draws: np.ndarray
) -> np.ndarray:
    """Years until the cumulative hazard reaches ``draws`` (unit exponentials).

    The hazard is ``rate * DURATION(t)``, times ``hazard_ratio`` from ``exposed_from``
    (years since move-in; ``inf``: never) on: piecewise constant, inverted exactly.
    """
    n = len(rate)
    starts = np.sort(
        np.column_stack(
            [np.broadcast_to(_DURATION_BREAKS, (n, len(_DURATION_BREAKS))), exposed_from]
        ),
        axis=1,
    )
    ends = np.column_stack([starts[:, 1:], np.full(n, np.inf)])
    band = np.searchsorted(_DURATION_BREAKS, starts, side="right") - 1
    segment_rate = rate[:, None] * _DURATION_FACTOR[np.clip(band, 0, None)]
    segment_rate = np.where(
        starts >= exposed_from[:, None], segment_rate * hazard_ratio, segment_rate
    )
    with np.errstate(invalid="ignore"):
        length = ends - starts
        increment = np.where(np.isfinite(length), segment_rate * length, np.inf)
    before = np.column_stack([np.zeros(n), np.cumsum(increment[:, :-1], axis=1)])
    segment = (before <= draws[:, None]).sum(axis=1) - 1
    rows = np.arange(n)
    return starts[rows, segment] + (draws - before[rows, segment]) / segment_rate[rows, segment]


def _pseudonyms(numbers: np.ndarray, multiplier: int, seed: int, prefix: str) -> np.ndarray:
    """Unique, random-looking ids: ``prefix`` + 10 hex digits of a bijection of ``numbers``."""
    offset = np.uint64((seed * 0x2545F4914F6CDD1D) & _ID_MASK)
    with np.errstate(over="ignore"):
        mixed = (numbers.astype(np.uint64) * np.uint64(multiplier) + offset) & np.uint64(_ID_MASK)
    return np.array([f"{prefix}{value:010X}" for value in mixed.tolist()], dtype=object)


def _days(years: np.ndarray) -> np.ndarray:
    """Whole days after move-in at which an event ``years`` after move-in is registered."""
    return np.maximum(1, np.ceil(np.minimum(years, 200.0) * _DAYS_PER_YEAR)).astype(np.int64)


def _check_codes(codebook: Codebook) -> None:
    """The codes this generator writes must still mean what it assumes."""
    expected = {
        "wegzug_ziel": {
            _DEST_WITHIN: "Südwestfalen",
            _DEST_NRW: "Nordrhein",
            _DEST_DEATH: "verstorben",
        },
        "geschlecht": {_SEX_MALE: "männlich", _SEX_FEMALE: "weiblich"},
        "fachkraft": {_SKILLED_NO: "nein", _SKILLED_YES: "ja", _SKILLED_UNKNOWN: "unbekannt"},
        "herkunft": {1: "gleichen Kreis", 4: "EU-Ausland", 5: "außerhalb der EU"},
        "staatsangehoerigkeit": {1: "deutsch", 2: "EU", 3: "Drittstaat"},
        "angebot": {1: "Willkommenstasche", 2: "Neubürgerabend", 3: "Arbeitgeberservice"},
    }
    for item_id, codes in expected.items():
        item = codebook[item_id]
        for code, fragment in codes.items():
            if fragment not in item.values.get(code, ""):
                raise KeyError(
                    f"synth_register: code {code} of {item_id!r} should mean {fragment!r}; "
                    f"the codebook says {item.values.get(code)!r}"
                )


def register_extract(
    seed: int = 2018,
    *,
    scale: float = 1.0,
    effect: float = PLANTED_HAZARD_RATIO,
    extract_date: dt.date = EXTRACT_DATE,
) -> pd.DataFrame:
    """Synthetic coded register extract (model and planted effect: module docstring).

    Parameters
    ----------
    seed : int, default 2018
        Seed; also the seed of the participation record
        (:func:`welcome_eval.synth.participation_record`) whose join dates carry the effect.
    scale : float, default 1.0
        Share of households kept (whole households); ``0.05`` gives a 5 % sample of
        exactly the register that ``1.0`` gives.
    effect : float, default :data:`PLANTED_HAZARD_RATIO`
        Hazard ratio of leaving the region for person-time on or after the join date
        of the municipality; ``1.0`` is the placebo (all random draws unchanged).
    extract_date : datetime.date, default :data:`EXTRACT_DATE`
        Last possible move-in and move-out date; later events are censored.

    Returns
    -------
    pandas.DataFrame
        One row per person, sorted by municipality, move-in date and household; columns
        = the codebook's columns without optional items: ``person_id`` and
        ``haushalt_id`` (``object`` str, ``P``/``H`` + 10 hex digits), ``ags`` (8-digit
        str), ``einzug`` and ``auszug`` (``datetime64[ns]``; ``auszug`` NaT while still
        registered), ``wegzug_ziel`` (``Int64``, ``<NA>`` while still registered),
        ``geburtsjahr``, ``geschlecht``, ``staatsangehoerigkeit``, ``herkunft``,
        ``fachkraft`` (``Int64``) and ``angebot_1``..``angebot_3`` (``Int64`` 0/1).

    Examples
    --------
    >>> frame = register_extract(scale=0.01)
    >>> bool(frame["person_id"].is_unique), bool((frame["auszug"] < frame["einzug"]).any())
    (True, False)
    """
    if not 0.0 < scale <= 1.0:
        raise ValueError(f"scale must be in (0, 1], got {scale!r}")
    if effect <= 0:
        raise ValueError(f"effect (a hazard ratio) must be positive, got {effect!r}")
    if extract_date <= WINDOW_START:
        raise ValueError(f"extract_date must be after {WINDOW_START}, got {extract_date}")
    codebook = Codebook.for_survey(SURVEY)
    _check_codes(codebook)
    rng = np.random.default_rng([seed, _STREAM_REGISTER])

    # --- arrivals of households, proportional to population --------------------------------
    places = municipalities()[["ags", "population"]].reset_index(drop=True)
    record = participation(seed).set_index("ags")["joined"]
    n_days = (extract_date - WINDOW_START).days + 1
    population = places["population"].to_numpy(dtype=float)
    expected = ARRIVAL_RATE * population * (n_days / _DAYS_PER_YEAR) / _mean_household_size()
    counts = rng.poisson(expected)
    place = np.repeat(np.arange(len(places)), counts)
    n = len(place)
    day = rng.integers(0, n_days, n)  # move-in, days after WINDOW_START

    # --- household-level draws (fixed shapes: independent of scale and effect) --------------
    u_group, u_age, old_excess = rng.random(n), rng.random(n), rng.exponential(1.0, n)
    u_type, u_children, u_origin, u_citizenship = (rng.random(n) for _ in range(4))
    e_region, e_within, u_destination = (
        rng.exponential(1.0, n),
        rng.exponential(1.0, n),
        rng.random(n),
    )
    u_bag, u_keep = rng.random(n), rng.random(n)
    shape = (n, _MAX_MEMBERS)
    m_age, m_sex, m_same, m_citizenship = (rng.random(shape) for _ in range(4))
    m_skilled, m_unknown, m_evening, m_employer = (rng.random(shape) for _ in range(4))
    m_partner = rng.normal(0.0, _PARTNER_AGE_SD, shape)
    m_death = rng.exponential(1.0, shape)
    m_rare = rng.random(shape)

    group = _draw(u_group, np.broadcast_to(_AGE_GROUP_P, (n, 4)))
    age_ref = _AGE_GROUP_LOW[group] + u_age * _AGE_GROUP_WIDTH[group]
    age_ref = np.where(
        group == 3, np.minimum(65.0 + _OLD_AGE_MEAN_EXCESS * old_excess, 98.0), age_ref
    )
    kind = _draw(u_type, _TYPE_P[group])
    children = np.where(
        kind == _FAMILY,
        _draw(u_children, np.broadcast_to(_FAMILY_CHILDREN_P, (n, 4))) + 1,
        np.where(
            kind == _SINGLE_PARENT,
            _draw(u_children, np.broadcast_to(_SINGLE_PARENT_CHILDREN_P, (n, 4))) + 1,
            0,
        ),
    )
    adults = np.where((kind == _COUPLE) | (kind == _FAMILY), 2, 1)
    size = adults + children

    tilt = (population[place] / _ABROAD_TILT_POPULATION) ** _ABROAD_TILT_POWER
    origin_p = _ORIGIN_P[group].copy()
    origin_p[:, 3:] *= tilt[:, None]
    origin = _draw(u_origin, origin_p) + 1
    citizenship_ref = _draw(u_citizenship, _CITIZENSHIP_P[origin - 1]) + 1

    # --- hazards: leaving the region (with the planted effect), within the region -----------
    p_skilled = np.minimum(
        _P_SKILLED_AGE[group][:, None] * _SKILLED_ORIGIN[origin - 1][:, None], 0.9
    )
    member = np.arange(_MAX_MEMBERS)[None, :]
    is_adult = member < adults[:, None]
    skilled = is_adult & (m_skilled < p_skilled)
    region_rate = (
        _REGION_BASE
        * _REGION_AGE[group]
        * _REGION_ORIGIN[origin - 1]
        * np.where(skilled[:, 0], _REGION_SKILLED, 1.0)
        * np.where(children > 0, _REGION_CHILDREN, 1.0)
    )
    within_rate = _WITHIN_BASE * _WITHIN_AGE[group] * _WITHIN_ORIGIN[origin - 1]
    joined = record.reindex(places["ags"]).to_numpy(dtype="datetime64[D]")[place]
    # Days from WINDOW_START to the join date; NaN where the municipality never joined
    # (NaT must be masked explicitly: as a number it is a huge negative value).
    join_day = np.where(
        np.isnat(joined),
        np.nan,
        (joined - np.datetime64(WINDOW_START, "D")).astype("timedelta64[D]").astype(np.int64),
    )
    exposed_from = np.where(
        np.isnan(join_day), np.inf, np.maximum(join_day - day, 0.0) / _DAYS_PER_YEAR
    )
    t_region = _event_times(region_rate, exposed_from, effect, e_region)
    t_within = _event_times(within_rate, np.full(n, np.inf), 1.0, e_within)
    leaves_region = t_region < t_within
    move_days = _days(np.minimum(t_region, t_within))
    destination = np.where(
        leaves_region, _draw(u_destination, _DESTINATION_P[origin - 1]) + _DEST_NRW, _DEST_WITHIN
    )
    participating_at_move_in = ~np.isnan(join_day) & (join_day <= day)

    # --- keep a sample of whole households, then expand to persons --------------------------
    kept = np.flatnonzero(u_keep < scale)
    in_household = member < size[kept][:, None]
    rows, slot = np.nonzero(in_household)
    h = kept[rows]

    def pick(matrix: np.ndarray) -> np.ndarray:
        return matrix[h, slot]

    role_ref, role_partner = slot == 0, (slot == 1) & (adults[h] == 2)
    adult = role_ref | role_partner
    age_in = np.where(
        role_ref,
        age_ref[h],
        np.where(
            role_partner,
            np.clip(age_ref[h] + pick(m_partner), 18.0, 99.0),
            pick(m_age) * np.clip(age_ref[h] - 18.0, 0.0, 17.999),
        ),
    )
    u_sex = pick(m_sex)
    male_p = np.where(role_ref, _P_MALE, _P_CHILD_MALE)
    sex = np.where(u_sex < male_p, _SEX_MALE, _SEX_FEMALE)
    ref_male = m_sex[h, 0] < _P_MALE
    opposite = np.where(ref_male, _SEX_FEMALE, _SEX_MALE)
    same = np.where(ref_male, _SEX_MALE, _SEX_FEMALE)
    sex = np.where(role_partner, np.where(u_sex < _P_PARTNER_OPPOSITE_SEX, opposite, same), sex)
    rare = pick(m_rare)
    sex = np.where(adult & (rare < _P_DIVERSE), _SEX_DIVERSE, sex)
    sex = np.where(adult & (rare >= _P_DIVERSE) & (rare < _P_DIVERSE + _P_NO_SEX), _SEX_NONE, sex)
    citizenship = np.where(
        role_ref | (pick(m_same) < _P_SAME_CITIZENSHIP),
        citizenship_ref[h],
        _draw(pick(m_citizenship), _CITIZENSHIP_P[origin[h] - 1]) + 1,
    )
    skilled_person = pick(skilled)
    recorded_skilled = np.where(
        adult & (pick(m_unknown) < _P_SKILLED_UNKNOWN),
        _SKILLED_UNKNOWN,
        np.where(skilled_person, _SKILLED_YES, _SKILLED_NO),
    )

    # Death per person (Gompertz in attained age), competing with the household's move.
    frailty = _GOMPERTZ_A * np.where(sex == _SEX_MALE, _GOMPERTZ_MALE, 1.0)
    t_death = (
        np.log1p(pick(m_death) * _GOMPERTZ_B / (frailty * np.exp(_GOMPERTZ_B * age_in)))
        / _GOMPERTZ_B
    )
    death_days = _days(t_death)
    dies = death_days <= move_days[h]
    end_day = day[h] + np.where(dies, death_days, move_days[h])
    ended = end_day <= n_days - 1
    end_code = np.where(dies, _DEST_DEATH, destination[h])

    start = np.datetime64(WINDOW_START, "D")
    move_in = start + day[h].astype("timedelta64[D]")
    move_out = np.where(ended, start + end_day.astype("timedelta64[D]"), np.datetime64("NaT"))
    birth = move_in - np.floor(age_in * _DAYS_PER_YEAR).astype("timedelta64[D]")
    birth_year = birth.astype("datetime64[Y]").astype(np.int64) + 1970

    offers = participating_at_move_in[h]
    bag = offers & (u_bag[h] < _P_BAG)
    evening = offers & adult & (pick(m_evening) < _P_EVENING)
    employer = offers & skilled_person & (pick(m_employer) < _P_EMPLOYER)

    order = np.lexsort((slot, h, day[h], place[h]))
    columns: dict[str, Any] = {
        "person_id": _pseudonyms(h * _MEMBER_SLOTS + slot, _PERSON_MULTIPLIER, seed, "P"),
        "haushalt_id": _pseudonyms(h, _HOUSEHOLD_MULTIPLIER, seed, "H"),
        "ags": places["ags"].to_numpy(dtype=object)[place[h]],
        "einzug": move_in.astype("datetime64[ns]"),
        "auszug": move_out.astype("datetime64[ns]"),
        "wegzug_ziel": pd.Series(end_code, dtype="Int64").where(ended),
        "geburtsjahr": pd.array(birth_year, dtype="Int64"),
        "geschlecht": pd.array(sex, dtype="Int64"),
        "staatsangehoerigkeit": pd.array(citizenship, dtype="Int64"),
        "herkunft": pd.array(origin[h], dtype="Int64"),
        "fachkraft": pd.array(recorded_skilled, dtype="Int64"),
        "angebot_1": pd.array(bag.astype(int), dtype="Int64"),
        "angebot_2": pd.array(evening.astype(int), dtype="Int64"),
        "angebot_3": pd.array(employer.astype(int), dtype="Int64"),
    }
    frame = pd.DataFrame(columns)
    frame = frame.iloc[order].reset_index(drop=True)
    expected_columns = [
        column for column, (item, _) in codebook.column_items().items() if not item.optional
    ]
    if list(frame.columns) != expected_columns:
        raise KeyError(
            f"synth_register: columns {list(frame.columns)} do not match the codebook's "
            f"{expected_columns}"
        )
    return frame


def write_register_demo(
    out_dir: str | Path, seed: int = 2018, *, scale: float = DEMO_SCALE
) -> Path:
    """Write the demo register extract and its manifest (byte for byte reproducible).

    Layout: ``<out_dir>/register/2025/manifest.yaml`` and ``register_2025.csv`` beside
    it (semicolons, UTF-8, CRLF, dates dd.mm.yyyy, empty cells for "still registered").
    The manifest's ``fieldwork`` is the observation window: ``start`` =
    :data:`WINDOW_START`, ``end`` = the extract date :data:`EXTRACT_DATE`.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Root of the data directory (e.g. ``data/demo``).
    seed : int, default 2018
        Seed passed to :func:`register_extract`.
    scale : float, default :data:`DEMO_SCALE`
        Share of households written (5 %: 16,460 persons, 1.2 MB).

    Returns
    -------
    pathlib.Path
        The manifest path.
    """
    codebook = Codebook.for_survey(SURVEY)
    frame = register_extract(seed, scale=scale)
    return write_export(
        frame,
        codebook,
        Path(out_dir) / SURVEY / WAVE,
        wave=WAVE,
        title=(
            f"Melderegisterauszug {WAVE} (Zuzüge seit {WINDOW_START:%d.%m.%Y}, "
            f"Stichtag {EXTRACT_DATE:%d.%m.%Y})"
        ),
        fieldwork=(WINDOW_START, EXTRACT_DATE),
        fmt="csv",
        encoding="utf-8",
        generator={
            "seed": seed,
            "module": __name__,
            "scale": scale,
            "effect": PLANTED_HAZARD_RATIO,
        },
    )
