"""Seeded synthetic data for the newcomer survey ("Neubürgerbefragung").

The newcomer survey asks people who moved into a municipality of Südwestfalen
how they experienced their welcome and whether they intend to stay. It is a
*sample*, so weights and design-based errors matter. The real answers cannot be
shipped, so this module generates a stand-in with known truth:

* :func:`newcomer_population` -- every newcomer of one wave's reference year
  (about 2 % of the inhabitants of each of the 59 municipalities), with the
  answers each of them *would* give;
* :func:`newcomer_wave` -- a stratified sample of that population (stratum =
  district, the same gross sample size in every district, so small districts
  such as Kreis Olpe are oversampled), nonresponse that depends on age group
  and origin (the young and people from abroad answer less often), item
  nonresponse, and the design weight ``gewicht`` = inverse selection
  probability;
* :func:`write_newcomer_demo` -- the waves as raw exports with manifests, the
  known population margins and the true population values, byte for byte
  reproducible.

Demo data layout (under ``<out_dir>/neubuerger/``):

``2021/neubuerger_2021.csv``
    SoSci-Survey-like CSV export: UTF-8 with byte order mark, semicolons, CRLF,
    ``dd.mm.yyyy`` dates, decimal comma, missing codes as written, empty cell
    for no answer; ``2021/manifest.yaml`` beside it.
``2023/neubuerger_2023.sav``
    SPSS file with German variable and value labels and user-missing values;
    ``2023/manifest.yaml`` beside it.
``population_margins.csv``
    The known population margins used for raking (UTF-8, comma, one header
    row). Columns: ``wave`` (wave id), ``margin`` (``kreis_altersgruppe``:
    district × age group, or ``herkunft``: origin), ``district`` (district
    name for ``kreis_altersgruppe``, empty for ``herkunft``), ``item``
    (codebook item of the category: ``altersgruppe`` or ``herkunft``),
    ``code`` (answer code of that item), ``label`` (its German value label)
    and ``population`` (number of newcomers in the population, i.e. people
    aged 18 or over who moved in during the twelve months before the register
    date). Both margins of a wave add up to the same population size; the sum
    of ``kreis_altersgruppe`` over a district is the stratum size (``fpc``).
    :func:`welcome_eval.analysis.newcomers.read_population_margins` reads it.
``truth.json``
    The true population values of every wave (shares of age groups and origins,
    the share intending to stay "eher" or "sicher noch hier", the share feeling
    welcome, means), the planted model coefficients and the sampling numbers.
    Only the demo data have it; tests use it to check that the analysis
    recovers what was planted.

The planted structure. Every newcomer has a general satisfaction *g*
(standard normal). The ratings of the life domains and of the welcome offers
are *g* plus item and district effects plus noise, cut into the 1–5 scale.
Feeling welcome rises with *g*, with having used and liked a welcome offer and
with living in a municipality that takes part in the quality offensive, and is
lower for people from abroad. The intention to stay follows a proportional-odds
(cumulative logit) model with logistic noise,

.. math::

    Y^* = \\sum_j \\beta_j (x_j - 3) + \\gamma_{\\text{partner}} + \\alpha_{\\text{age}}
    + \\delta_{\\text{origin}} + \\varepsilon, \\qquad Y = 1 + \\#\\{k : Y^* > \\zeta_k\\},

where :math:`x_j` are the answer codes of feeling welcome (:math:`\\beta = 0.9`),
work and career (0.45), housing (0.15), mobility (0.1) and leisure (0), and
:math:`\\gamma` is +1.0 for newcomers whose partner used the job-search support
and were (very) satisfied with it, −0.3 if they used it and were not (reference:
not used). The codes answered are exactly the predictors an analysis sees, so
:func:`welcome_eval.stats.drivers.ordinal_drivers` with these terms is correctly
specified and recovers :math:`\\beta` and :math:`\\gamma` (``truth.json``).
Young newcomers and newcomers from abroad intend to stay less *and* answer less
often, so unweighted shares are biased upwards; raking to the margins removes
the bias because response depends only on district, age group and origin.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from welcome_eval.analysis.newcomers import MARGIN_COLUMNS, MARGINS_FILE
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.ingest.writers import write_export
from welcome_eval.municipalities import DISTRICTS, municipalities

__all__ = [
    "COMMENTS",
    "PARTNER_EFFECTS",
    "PLANTED_PERSONAL_DATA",
    "RESPONSE_AGE",
    "RESPONSE_ORIGIN",
    "SAMPLE_PER_DISTRICT",
    "STAY_AGE",
    "STAY_COEFFICIENTS",
    "STAY_CUTS",
    "STAY_ORIGIN",
    "SURVEY",
    "TRUTH_FILE",
    "WAVES",
    "newcomer_population",
    "newcomer_wave",
    "population_margins",
    "population_truth",
    "write_newcomer_demo",
]

SURVEY = "neubuerger"
#: File with the true population values of the demo data, relative to ``<data_dir>/neubuerger``.
TRUTH_FILE = "truth.json"

#: Personal data planted in a few open comments; none of it may appear in a report.
PLANTED_PERSONAL_DATA: tuple[str, ...] = (
    "a.yilmaz@mail-beispiel.de",
    "k.nowak@beispiel-mail.de",
    "0151 23456789",
    "+49 2931 987654",
    "Bahnhofstraße 12",
    "Dombrowski",
)

# Open comments carrying the planted personal data, per wave.
_PLANTED_TEXTS: dict[str, tuple[str, ...]] = {
    "2021": (
        "Beim nächsten Neubürgerabend helfe ich gern mit: a.yilmaz@mail-beispiel.de",
        "Wir wohnen jetzt in der Bahnhofstraße 12, warten aber seit Monaten auf einen Kita-Platz.",
        "Bitte rufen Sie mich wegen der Wohnungssuche zurück: 0151 23456789",
    ),
    "2023": (
        "Für Rückfragen erreichen Sie mich unter k.nowak@beispiel-mail.de",
        "Meine Frau sucht noch eine Stelle als Ingenieurin, Kontakt: +49 2931 987654",
        "Herr Dombrowski aus dem Rathaus hat uns bei der Anmeldung super geholfen.",
        "Wir wohnen jetzt in der Bahnhofstraße 12, warten aber seit Monaten auf einen Kita-Platz.",
    ),
}

#: Realistic (harmless) open comments.
COMMENTS: tuple[str, ...] = (
    "Die Willkommenstasche war eine schöne Überraschung, vielen Dank!",
    "Ohne Auto ist man hier aufgeschmissen, der Bus fährt abends gar nicht mehr.",
    "Die Suche nach einer bezahlbaren Wohnung hat fast ein halbes Jahr gedauert.",
    "Der Neubürgerabend war toll, wir haben dort gleich andere Zugezogene kennengelernt.",
    "Einen Kita-Platz zu finden war sehr schwierig.",
    "Die Landschaft ist wunderschön, wir sind jedes Wochenende wandern.",
    "Mehr Informationen auf Englisch wären hilfreich.",
    "Im Bürgerbüro wurde ich sehr freundlich empfangen.",
    "Mein Partner sucht seit Monaten eine passende Stelle – hier bräuchte es mehr Unterstützung.",
    "Die Vereine haben uns sofort aufgenommen, das hat das Ankommen leicht gemacht.",
    "Das Internet ist in unserem Ortsteil leider sehr langsam.",
    "Ich hätte mir eine Übersicht über Ärztinnen und Ärzte gewünscht, die neue Patienten nehmen.",
    "Die Broschüre war informativ, aber teilweise veraltet.",
    "Mein Arbeitgeber hat mir sehr geholfen, auch bei der Wohnungssuche.",
    "Es gibt zu wenige Freizeitangebote für junge Leute.",
    "Die Zugverbindung ins Ruhrgebiet ist gut, nach Siegen dagegen umständlich.",
    "Wir fühlen uns sehr wohl und wollen bleiben.",
    "Als Zugezogene wird man am Anfang eher skeptisch beäugt.",
    "Das Willkommensvideo habe ich erst nach dem Umzug gefunden, vorher wäre es nützlicher.",
    "Die Anmeldung beim Einwohnermeldeamt hat lange gedauert, Termine gab es erst nach Wochen.",
    "Sprachkurse am Abend wären für Berufstätige wichtig.",
    "Great region, but it is hard to make friends without speaking German.",
    "Die Radwege zwischen den Ortsteilen sollten ausgebaut werden.",
    "Schön wäre ein Stammtisch für Neubürgerinnen und Neubürger.",
    "Für meine Kinder war der Schulwechsel unkompliziert, die Schule hat sich viel Mühe gegeben.",
    "Kurz gesagt: Arbeit gut, Wohnen teuer, Bus schlecht.",
    "Bölgeyi çok sevdik, ama Almanca kursları daha fazla olmalı.",
    "Die Stadt sollte Zugezogene aktiver ansprechen, ich habe von den Angeboten nur zufällig "
    "erfahren.",
)


@dataclass(frozen=True)
class _Wave:
    #: Reference date of the register extract: newcomers of the twelve months before.
    register_date: dt.date
    fieldwork_start: dt.date
    fieldwork_end: dt.date
    file_format: str
    #: Share of the inhabitants who moved in during the reference year.
    move_in_rate: float
    #: Improvement of the welcome in participating municipalities since the first wave.
    programme_gain: float


_WAVES: dict[str, _Wave] = {
    "2021": _Wave(
        dt.date(2021, 3, 31), dt.date(2021, 5, 3), dt.date(2021, 6, 25), "csv", 0.020, 0.0
    ),
    "2023": _Wave(
        dt.date(2023, 3, 31), dt.date(2023, 5, 8), dt.date(2023, 6, 30), "sav", 0.021, 0.3
    ),
}
#: The waves this module generates, in time order.
WAVES: tuple[str, ...] = tuple(_WAVES)

#: Gross sample size drawn in every district (stratum): equal allocation.
SAMPLE_PER_DISTRICT = 800

# Stream tags for numpy's SeedSequence: (seed, tag, wave) gives independent streams.
_STREAM_POPULATION = 11
_STREAM_SAMPLE = 12
_STREAM_ANSWERS = 13

# --- population composition ---------------------------------------------------------------
# Age groups 18–29, 30–44, 45–64, 65+ of newcomers, per district (university town Siegen
# younger, Hochsauerland with more retirees).
_AGE_DEFAULT = (0.38, 0.32, 0.20, 0.10)
_AGE_BY_DISTRICT: dict[str, tuple[float, ...]] = {
    "Hochsauerlandkreis": (0.33, 0.31, 0.22, 0.14),
    "Kreis Siegen-Wittgenstein": (0.47, 0.28, 0.17, 0.08),
}
# Origin (1 same district … 5 outside the EU) per age group.
_ORIGIN_BY_AGE: dict[int, tuple[float, ...]] = {
    1: (0.26, 0.24, 0.18, 0.15, 0.17),
    2: (0.32, 0.26, 0.16, 0.13, 0.13),
    3: (0.42, 0.26, 0.14, 0.10, 0.08),
    4: (0.56, 0.25, 0.12, 0.05, 0.02),
}
# Household (alone, couple, family with children, other) per age group.
_HOUSEHOLD_BY_AGE: dict[int, tuple[float, ...]] = {
    1: (0.55, 0.25, 0.12, 0.08),
    2: (0.25, 0.22, 0.48, 0.05),
    3: (0.30, 0.40, 0.25, 0.05),
    4: (0.40, 0.52, 0.02, 0.06),
}
_P_SKILLED_BY_AGE = {1: 0.35, 2: 0.45, 3: 0.30, 4: 0.02}
_SKILLED_ORIGIN_FACTOR = {1: 0.4, 2: 1.0, 3: 1.1, 4: 1.3, 5: 1.2}

# --- welcome offers: (fragment of the item id, usage probability, mean rating) ----------------
_OFFERS = (
    ("tasche", 0.32, 4.0),
    ("broschuere", 0.38, 3.7),
    ("abend", 0.14, 4.1),
    ("video", 0.22, 3.4),
    ("auskunft", 0.08, 3.8),
    ("partnerjob", 0.0, 3.4),  # usage: see the partner branch below
)
#: Offers are products of the quality offensive: far fewer use them elsewhere.
_NON_PARTICIPANT_USAGE = 0.35

# --- life domains: (fragment, mean, {district: effect}) ---------------------------------------
_DOMAINS = (
    ("wohnen", 3.3, {"Kreis Siegen-Wittgenstein": -0.3, "Kreis Soest": 0.1}),
    ("kinderbetreuung", 3.0, {}),
    ("arbeit", 3.1, {"Kreis Olpe": 0.35, "Kreis Siegen-Wittgenstein": 0.1,
                     "Märkischer Kreis": -0.15}),
    ("freizeit", 3.7, {}),
    ("mobilitaet", 2.6, {"Hochsauerlandkreis": -0.45, "Kreis Olpe": -0.25, "Kreis Soest": 0.3,
                         "Kreis Siegen-Wittgenstein": -0.1}),
)  # fmt: skip

# --- feeling welcome ---------------------------------------------------------------------------
_WELCOME_BASE = 3.45
_WELCOME_G = 0.45
_WELCOME_ORIGIN = {1: 0.3, 2: 0.1, 3: 0.0, 4: -0.45, 5: -0.7}
_WELCOME_LIKED_OFFER = 0.35
_WELCOME_PARTICIPATING = 0.15

# --- intention to stay: proportional-odds model (log odds ratios) -----------------------------
#: Planted coefficients per scale point, keyed by the fragment of the item id.
STAY_COEFFICIENTS: dict[str, float] = {
    "willkommen": 0.90,
    "arbeit": 0.45,
    "wohnen": 0.15,
    "mobilitaet": 0.10,
    "freizeit": 0.0,
}
#: Partner job-search support: used and (very) satisfied / used and not, vs. not used.
PARTNER_EFFECTS: dict[str, float] = {"genutzt, zufrieden": 1.0, "genutzt, nicht zufrieden": -0.3}
STAY_AGE = {1: -1.0, 2: 0.0, 3: 0.5, 4: 0.9}
STAY_ORIGIN = {1: 0.5, 2: 0.2, 3: 0.0, 4: -0.5, 5: -0.4}
#: Cut points of the latent intention to stay (logistic noise with scale 1).
STAY_CUTS = (-2.3, -1.1, 0.0, 1.6)

# --- response ----------------------------------------------------------------------------------
_RESPONSE_BASE = -0.55
RESPONSE_AGE = {1: -1.0, 2: -0.15, 3: 0.3, 4: 0.45}
RESPONSE_ORIGIN = {1: 0.2, 2: 0.1, 3: 0.0, 4: -0.8, 5: -1.0}

# --- item nonresponse among respondents --------------------------------------------------------
_P_EMPTY = 0.006
_P_NO_ANSWER = 0.01
_P_CANNOT_JUDGE = 0.015
_P_COMMENT = 0.06


# ---------------------------------------------------------------------------
# helpers


def _wave_spec(wave: str) -> _Wave:
    try:
        return _WAVES[str(wave)]
    except KeyError:
        raise ValueError(f"Unknown wave {wave!r}; known waves: {', '.join(_WAVES)}") from None


def _item(codebook: Codebook, construct: str | None, fragment: str) -> str:
    """The single item (of ``construct``) whose id contains ``fragment``."""
    candidates = codebook.items_of(construct=construct) if construct else list(codebook.items)
    found = [i for i in candidates if fragment in i]
    if len(found) != 1:
        raise KeyError(
            f"synth_newcomers: expected exactly one item of construct {construct!r} containing "
            f"{fragment!r} in codebook {codebook.survey!r}, found {found or 'none'}"
        )
    return found[0]


def _draw(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One code 1..k per row from a (n, k) matrix of category probabilities."""
    cumulative = np.cumsum(probabilities, axis=1)
    cumulative /= cumulative[:, -1:]
    u = rng.random(len(probabilities))
    return np.minimum((u[:, None] > cumulative).sum(axis=1), probabilities.shape[1] - 1) + 1


def _rows(table: dict[int, tuple[float, ...]], keys: np.ndarray) -> np.ndarray:
    return np.array([table[int(k)] for k in keys], dtype=float)


def _to_scale(latent: np.ndarray) -> np.ndarray:
    """Cut a latent value on the 1..5 scale into the codes 1..5."""
    return np.digitize(latent, [1.5, 2.5, 3.5, 4.5]) + 1


def _expit(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _participating(seed: int, on: dt.date) -> set[str]:
    from welcome_eval.synth.participation_record import participation

    record = participation(seed)
    return set(record.loc[record["joined"] <= pd.Timestamp(on), "ags"])


# ---------------------------------------------------------------------------
# population


def newcomer_population(seed: int = 2018, wave: str = "2021") -> pd.DataFrame:
    """Every newcomer of one wave's reference year, with the answers they would give.

    Each municipality gets a Poisson number of newcomers with mean 2 % (2023:
    2.1 %) of its inhabitants (31.12.2024). Age group depends on the district,
    origin and household on the age group, moving as a skilled worker on age
    group and origin. The answers follow the model in the module docstring.

    Parameters
    ----------
    seed : int, default 2018
        Seed; the same seed gives the same population. The participation
        record (which municipalities take part) is that of
        :func:`welcome_eval.synth.participation_record` with the same seed.
    wave : {"2021", "2023"}
        The survey wave (reference year of the population).

    Returns
    -------
    pandas.DataFrame
        One row per newcomer: ``person`` (0, 1, …), ``ags``, ``district``
        (str), ``participating`` (bool: municipality takes part at the start
        of fieldwork), ``g`` (general satisfaction), ``partner_support``
        (``"nicht genutzt"``, ``"genutzt, zufrieden"``, ``"genutzt, nicht
        zufrieden"``), ``stay_latent`` (:math:`Y^*`), ``response_probability``
        and one column per coded codebook item with the answer code (``Int64``;
        ``-9`` for an offer not used, ``-8`` where an item does not apply).

    Examples
    --------
    >>> pop = newcomer_population()
    >>> 25_000 < len(pop) < 30_000, sorted(pop["altersgruppe"].unique().tolist())
    (True, [1, 2, 3, 4])
    """
    spec = _wave_spec(wave)
    codebook = Codebook.for_survey(SURVEY)
    rng = np.random.default_rng([seed, _STREAM_POPULATION, int(wave)])
    towns = municipalities()[["ags", "district", "population"]].reset_index(drop=True)
    counts = rng.poisson(spec.move_in_rate * towns["population"].to_numpy(dtype=float))
    frame = towns.loc[towns.index.repeat(counts), ["ags", "district"]].reset_index(drop=True)
    frame["district"] = frame["district"].astype(str)
    n = len(frame)
    frame.insert(0, "person", np.arange(n, dtype="int64"))
    frame["participating"] = frame["ags"].isin(_participating(seed, spec.fieldwork_start))
    participating = frame["participating"].to_numpy()
    district = frame["district"].to_numpy()

    age = _draw(rng, np.array([_AGE_BY_DISTRICT.get(d, _AGE_DEFAULT) for d in district]))
    origin = _draw(rng, _rows(_ORIGIN_BY_AGE, age))
    household = _draw(rng, _rows(_HOUSEHOLD_BY_AGE, age))
    p_skilled = np.vectorize(_P_SKILLED_BY_AGE.get)(age) * np.vectorize(_SKILLED_ORIGIN_FACTOR.get)(
        origin
    )
    skilled = rng.random(n) < np.clip(p_skilled, 0, 0.9)
    # Employer pointed to the town's offers: asked of everyone with a job in the region.
    employed = skilled | ((age < 4) & (rng.random(n) < 0.5))
    hint = np.where(employed, (rng.random(n) < np.where(skilled, 0.30, 0.10)).astype(int), -8)
    g = rng.normal(0.0, 1.0, n)

    items: dict[str, np.ndarray] = {
        _item(codebook, None, "altersgruppe"): age,
        _item(codebook, None, "herkunft"): origin,
        _item(codebook, None, "haushalt"): household,
        _item(codebook, None, "fachkraft"): skilled.astype(int),
        _item(codebook, None, "arbeitgeber_hinweis"): hint,
    }
    # How they came to know the town (one yes/no item per option).
    sources = {
        "arbeitgeber": np.where(skilled, 0.55, 0.06),
        "freunde": np.where(origin == 1, 0.60, 0.40),
        "internet": np.where(age == 1, 0.65, 0.45),
        "verwaltung": np.full(n, 0.18),
        "broschuere": np.where(participating, 0.12, 0.03),
    }
    for fragment, p in sources.items():
        items[_item(codebook, "quelle", fragment)] = (rng.random(n) < p).astype(int)

    # Welcome offers: used or not, and the rating of those who used them.
    usage_factor = np.where(participating, 1.0 + spec.programme_gain / 2, _NON_PARTICIPANT_USAGE)
    liked_any = np.zeros(n, dtype=bool)
    partner_support = np.full(n, "nicht genutzt", dtype=object)
    for fragment, p_use, mean in _OFFERS:
        item_id = _item(codebook, "angebote", fragment)
        if fragment == "partnerjob":
            couple = np.isin(household, (2, 3))
            p = np.where(couple & skilled, np.where(hint == 1, 0.80, 0.60), 0.0)
            p = np.where(couple & ~skilled, 0.10, p) * np.where(participating, 1.0, 0.7)
        elif fragment == "auskunft":
            p = p_use * usage_factor * np.where(skilled, 2.0, 1.0) * np.where(hint == 1, 1.5, 1.0)
        else:
            p = p_use * usage_factor
        used = rng.random(n) < np.clip(p, 0, 0.95)
        rating = _to_scale(mean + 0.35 * g + rng.normal(0.0, 0.8, n))
        items[item_id] = np.where(used, rating, -9)
        liked_any |= used & (rating >= 4)
        if fragment == "partnerjob":
            partner_support = np.where(
                used,
                np.where(rating >= 4, "genutzt, zufrieden", "genutzt, nicht zufrieden"),
                "nicht genutzt",
            )

    # Satisfaction with the areas of life.
    for fragment, mean, by_district in _DOMAINS:
        item_id = _item(codebook, "lebensbereiche", fragment)
        effect = np.array([by_district.get(d, 0.0) for d in district])
        codes = _to_scale(mean + effect + 0.45 * g + rng.normal(0.0, 0.85, n))
        if fragment == "kinderbetreuung":
            codes = np.where(household == 3, codes, -8)
        items[item_id] = codes

    welcome_item = _item(codebook, "willkommen", "willkommen")
    welcome = (
        _WELCOME_BASE
        + _WELCOME_G * g
        + np.vectorize(_WELCOME_ORIGIN.get)(origin)
        + _WELCOME_LIKED_OFFER * liked_any
        + (_WELCOME_PARTICIPATING + spec.programme_gain) * participating
        + rng.normal(0.0, 0.8, n)
    )
    items[welcome_item] = _to_scale(welcome)

    # Intention to stay: the planted proportional-odds model.
    stay_latent = rng.logistic(0.0, 1.0, n)
    for fragment, beta in STAY_COEFFICIENTS.items():
        construct = "willkommen" if fragment == "willkommen" else "lebensbereiche"
        stay_latent += beta * (items[_item(codebook, construct, fragment)] - 3)
    stay_latent += np.array([PARTNER_EFFECTS.get(s, 0.0) for s in partner_support])
    stay_latent += np.vectorize(STAY_AGE.get)(age) + np.vectorize(STAY_ORIGIN.get)(origin)
    items[_item(codebook, "bleibeabsicht", "bleibe")] = np.digitize(stay_latent, STAY_CUTS) + 1

    response = _expit(
        _RESPONSE_BASE
        + np.vectorize(RESPONSE_AGE.get)(age)
        + np.vectorize(RESPONSE_ORIGIN.get)(origin)
    )
    frame["g"] = g
    frame["partner_support"] = partner_support
    frame["stay_latent"] = stay_latent
    frame["response_probability"] = response
    for item in codebook:
        if item.id in items:
            frame[item.id] = pd.array(items[item.id].astype("int64"), dtype="Int64")
    return frame


# ---------------------------------------------------------------------------
# one wave


def _sample(population: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Stratified simple random sample: SAMPLE_PER_DISTRICT per district, design weights."""
    parts = []
    for district in DISTRICTS:
        rows = population.index[population["district"] == district].to_numpy()
        size = min(SAMPLE_PER_DISTRICT, len(rows))
        chosen = np.sort(rng.choice(rows, size=size, replace=False))
        part = population.loc[chosen].copy()
        part["stratum_size"] = len(rows)
        part["gewicht"] = len(rows) / size
        parts.append(part)
    return pd.concat(parts).reset_index(drop=True)


def _with_missing(
    codes: np.ndarray,
    rng: np.random.Generator,
    *,
    p_empty: float = _P_EMPTY,
    p_no_answer: float = _P_NO_ANSWER,
    cannot_judge: int | None = None,
    p_cannot_judge: float = 0.0,
) -> pd.Series:
    """Item nonresponse: empty cells, "keine Angabe" (-99), optionally another missing code."""
    n = len(codes)
    values = pd.array(codes.astype("int64"), dtype="Int64")
    draw = rng.random(n)
    answered = codes >= 0  # filter codes (-8, -9) stay as they are
    if cannot_judge is not None:
        values[answered & (draw < p_cannot_judge)] = cannot_judge
    no_answer = answered & (draw >= p_cannot_judge) & (draw < p_cannot_judge + p_no_answer)
    values[no_answer] = -99
    empty = (draw >= 1 - p_empty) & answered
    values[empty] = pd.NA
    return pd.Series(values, dtype="Int64")


def _comments(wave: str, n: int, rng: np.random.Generator) -> pd.Series:
    filled = rng.random(n) < _P_COMMENT
    picks = rng.integers(0, len(COMMENTS), size=n)
    texts: list[str | None] = [
        COMMENTS[p] if f else None for p, f in zip(picks, filled, strict=True)
    ]
    planted = _PLANTED_TEXTS[wave]
    for row, text in zip(rng.choice(n, size=len(planted), replace=False), planted, strict=True):
        texts[int(row)] = text
    return pd.Series(texts, dtype=object)


def newcomer_wave(wave: str, seed: int = 2018) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Synthetic coded answers of one wave of the newcomer survey.

    From :func:`newcomer_population`, :data:`SAMPLE_PER_DISTRICT` newcomers are
    drawn in each district (simple random sampling within strata), so the
    selection probability is ``n_h / N_h`` and the design weight ``gewicht``
    its inverse. Each sampled person answers with the probability
    ``expit(-0.55 + age effect + origin effect)`` (:data:`RESPONSE_AGE`,
    :data:`RESPONSE_ORIGIN`; about 30 % answer). Among respondents a few
    answers are left empty or "keine Angabe" (-99), a few life domains "kann
    ich nicht beurteilen" (-9); about one in sixteen writes a comment, two or three of
    which carry personal data (:data:`PLANTED_PERSONAL_DATA`).

    Parameters
    ----------
    wave : {"2021", "2023"}
        The survey wave.
    seed : int, default 2018
        Seed of population, sample and answers.

    Returns
    -------
    frame : pandas.DataFrame
        One row per respondent in random order (as questionnaires come in),
        one column per codebook item in codebook order. Dtypes: ``lfdn``
        ``int64`` (case numbers with gaps, as a survey tool leaves them),
        ``ags`` str, ``zuzug`` ``object`` holding :class:`datetime.date` (first
        of the month), coded items pandas ``Int64`` with answer and missing
        codes and ``<NA>`` for an empty cell, ``anmerkungen`` str or ``None``,
        ``gewicht`` ``float64`` and ``schicht`` str (district).
    meta : dict
        ``survey``, ``wave``, ``title``, ``fieldwork_start``, ``fieldwork_end``,
        ``register_date``, ``seed``, ``population`` (N), ``sampled`` and
        ``respondents`` (per district, in district order).

    Examples
    --------
    >>> frame, meta = newcomer_wave("2021")
    >>> meta["sampled"]["Kreis Olpe"], 900 < len(frame) < 1300
    (800, True)
    """
    spec = _wave_spec(wave)
    wave = str(wave)
    codebook = Codebook.for_survey(SURVEY)
    population = newcomer_population(seed, wave)
    rng = np.random.default_rng([seed, _STREAM_SAMPLE, int(wave)])
    sample = _sample(population, rng)
    responds = rng.random(len(sample)) < sample["response_probability"].to_numpy()
    rows = sample.loc[responds].reset_index(drop=True)
    n = len(rows)
    rows = rows.iloc[rng.permutation(n)].reset_index(drop=True)

    answers = np.random.default_rng([seed, _STREAM_ANSWERS, int(wave)])
    months_back = answers.integers(0, 12, size=n)
    first = dt.date(spec.register_date.year, spec.register_date.month, 1)
    month_numbers = first.year * 12 + first.month - 1 - months_back  # months since year 0
    move_in = [dt.date(int(m) // 12, int(m) % 12 + 1, 1) for m in month_numbers]
    case_numbers = np.sort(answers.choice(np.arange(1, int(n * 1.3) + 1), size=n, replace=False))

    no_filter_missing = {"altersgruppe", "herkunft"} | set(codebook.items_of(construct="quelle"))
    columns: dict[str, pd.Series] = {}
    for item in codebook:
        if item.type == "id":
            columns[item.id] = pd.Series(case_numbers.astype("int64"))
        elif item.type == "municipality":
            columns[item.id] = rows["ags"].astype(str)
        elif item.type == "date":
            columns[item.id] = pd.Series(move_in, dtype=object)
        elif item.type == "text" and item.id == "schicht":
            columns[item.id] = rows["district"].astype(str)
        elif item.type == "text":
            columns[item.id] = _comments(wave, n, answers)
        elif item.type == "number":
            columns[item.id] = rows["gewicht"].astype("float64")
        elif item.id in no_filter_missing:  # register variables and check boxes are complete
            columns[item.id] = pd.Series(rows[item.id].to_numpy(), dtype="Int64")
        else:
            codes = rows[item.id].to_numpy(dtype="int64")
            cannot_judge = -9 if item.construct == "lebensbereiche" else None
            columns[item.id] = _with_missing(
                codes, answers, cannot_judge=cannot_judge, p_cannot_judge=_P_CANNOT_JUDGE
            )
    frame = pd.DataFrame(columns)
    meta: dict[str, Any] = {
        "survey": SURVEY,
        "wave": wave,
        "title": f"Neubürgerbefragung {wave}",
        "fieldwork_start": spec.fieldwork_start,
        "fieldwork_end": spec.fieldwork_end,
        "register_date": spec.register_date,
        "seed": seed,
        "population": len(population),
        "sampled": {d: int((sample["district"] == d).sum()) for d in DISTRICTS},
        "respondents": {d: int((rows["district"] == d).sum()) for d in DISTRICTS},
    }
    return frame, meta


# ---------------------------------------------------------------------------
# margins and truth


def population_margins(seed: int = 2018, waves: tuple[str, ...] = WAVES) -> pd.DataFrame:
    """The known population margins of the demo waves (the content of :data:`MARGINS_FILE`).

    Returns one row per wave × margin × category with the columns of
    :data:`MARGIN_COLUMNS` (see the module docstring). Every category is listed,
    also when it has no newcomers.
    """
    codebook = Codebook.for_survey(SURVEY)
    age, origin = codebook["altersgruppe"], codebook["herkunft"]
    rows = []
    for wave in waves:
        population = newcomer_population(seed, wave)
        by_cell = population.groupby(["district", "altersgruppe"]).size()
        for district in DISTRICTS:
            for code in age.valid_codes:
                count = int(by_cell.get((district, code), 0))
                label = age.label_for(code)
                rows.append((wave, "kreis_altersgruppe", district, age.id, code, label, count))
        by_origin = population.groupby("herkunft").size()
        for code in origin.valid_codes:
            count = int(by_origin.get(code, 0))
            rows.append((wave, "herkunft", "", origin.id, code, origin.label_for(code), count))
    return pd.DataFrame(rows, columns=list(MARGIN_COLUMNS))


def _round(value: float) -> float:
    return round(float(value), 6)


def population_truth(seed: int = 2018, waves: tuple[str, ...] = WAVES) -> dict[str, Any]:
    """The true population values of the demo waves (the content of :data:`TRUTH_FILE`).

    Per wave: ``population`` (N) and ``population_by_district``;
    ``sampled`` and ``respondents`` per district; ``shares`` of the population:
    ``bleibeabsicht_top2`` (intends to stay: "eher" or "sicher noch hier"),
    ``willkommen_top2`` ("trifft eher" or "voll und ganz zu"), ``fachkraft``,
    ``altersgruppe`` and ``herkunft`` (share per code); ``means`` of
    ``willkommen`` and ``bleibeabsicht``; ``used`` (share who used each welcome
    offer). Top level: the planted ``drivers`` (log odds ratios per scale point,
    partner support against "nicht genutzt", age and origin effects, cut points)
    and the ``response`` model.
    """
    codebook = Codebook.for_survey(SURVEY)
    waves_truth: dict[str, Any] = {}
    for wave in waves:
        population = newcomer_population(seed, wave)
        _frame, meta = newcomer_wave(wave, seed)
        stay = population["bleibeabsicht"].astype(float)
        welcome = population["willkommen"].astype(float)
        waves_truth[wave] = {
            "population": len(population),
            "population_by_district": {
                d: int((population["district"] == d).sum()) for d in DISTRICTS
            },
            "sampled": meta["sampled"],
            "respondents": meta["respondents"],
            "shares": {
                "bleibeabsicht_top2": _round((stay >= 4).mean()),
                "willkommen_top2": _round((welcome >= 4).mean()),
                "fachkraft": _round((population["fachkraft"] == 1).mean()),
                "altersgruppe": {
                    str(code): _round((population["altersgruppe"] == code).mean())
                    for code in codebook["altersgruppe"].valid_codes
                },
                "herkunft": {
                    str(code): _round((population["herkunft"] == code).mean())
                    for code in codebook["herkunft"].valid_codes
                },
            },
            "means": {
                "bleibeabsicht": _round(stay.mean()),
                "willkommen": _round(welcome.mean()),
            },
            "used": {
                item: _round((population[item] > 0).mean())
                for item in codebook.items_of(construct="angebote")
            },
        }
    return {
        "survey": SURVEY,
        "seed": seed,
        "description": (
            "True population values of the synthetic newcomer survey (demo data only). "
            "Shares are of all newcomers of the wave's reference year; see "
            "welcome_eval.synth.newcomers."
        ),
        "drivers": {
            "outcome": "bleibeabsicht",
            "model": (
                "Y* = sum(beta * (code - 3)) + partner_support + altersgruppe + herkunft + "
                "logistic noise; Y = 1 + number of cut points below Y*"
            ),
            "log_odds_ratio_per_point": {
                _item(codebook, "willkommen" if f == "willkommen" else "lebensbereiche", f): b
                for f, b in STAY_COEFFICIENTS.items()
            },
            "partner_support": {"reference": "nicht genutzt", **PARTNER_EFFECTS},
            "altersgruppe": {str(k): v for k, v in STAY_AGE.items()},
            "herkunft": {str(k): v for k, v in STAY_ORIGIN.items()},
            "cut_points": list(STAY_CUTS),
        },
        "response": {
            "model": "expit(base + age + origin)",
            "base": _RESPONSE_BASE,
            "altersgruppe": {str(k): v for k, v in RESPONSE_AGE.items()},
            "herkunft": {str(k): v for k, v in RESPONSE_ORIGIN.items()},
        },
        "waves": waves_truth,
    }


# ---------------------------------------------------------------------------
# raw exports


def write_newcomer_demo(out_dir: str | Path, seed: int = 2018) -> list[Path]:
    """Write the newcomer demo data (byte for byte reproducible).

    Writes, under ``<out_dir>/neubuerger/``, every wave's raw export with its
    ``manifest.yaml`` (the same keys as the municipal survey's manifests),
    :data:`MARGINS_FILE` and :data:`TRUTH_FILE` (layout and columns: see the
    module docstring). Timestamps that the writers would take from the clock
    are replaced by the fieldwork end.

    Parameters
    ----------
    out_dir : str or pathlib.Path
        Root of the data directory (e.g. ``data/demo``).
    seed : int, default 2018
        Seed passed to :func:`newcomer_wave`.

    Returns
    -------
    list of pathlib.Path
        The margins file, the truth file and the manifests in wave order.
    """
    codebook = Codebook.for_survey(SURVEY)
    root = Path(out_dir) / SURVEY
    root.mkdir(parents=True, exist_ok=True)
    margins_path = root / MARGINS_FILE
    margins = population_margins(seed)
    margins_path.write_bytes(margins.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    truth_path = root / TRUTH_FILE
    text = json.dumps(population_truth(seed), ensure_ascii=False, indent=2) + "\n"
    truth_path.write_bytes(text.encode("utf-8"))
    paths = [margins_path, truth_path]
    for wave in WAVES:
        frame, meta = newcomer_wave(wave, seed)
        spec = _WAVES[wave]
        # SoSci Survey writes UTF-8 with a byte order mark, so that Excel shows umlauts.
        manifest_path = write_export(
            frame,
            codebook,
            root / wave,
            wave=wave,
            title=meta["title"],
            fieldwork=(spec.fieldwork_start, spec.fieldwork_end),
            fmt=spec.file_format,
            encoding="utf-8-sig",
            generator={"seed": seed, "module": __name__},
        )
        paths.append(manifest_path)
    return paths
