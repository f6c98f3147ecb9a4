r"""Analysis helpers for the newcomer survey ("Neubürgerbefragung").

The newcomer survey is a stratified sample (stratum = district, unequal
selection probabilities) with nonresponse, so its shares need weights and
design-based intervals. This module prepares a validated wave for
:class:`welcome_eval.stats.survey.Design`:

* :func:`read_population_margins` reads the known population margins
  (``<data_dir>/neubuerger/population_margins.csv``), :func:`rake_targets`
  turns them into the margins of :meth:`Design.rake <welcome_eval.stats.survey.Design.rake>`
  and :func:`stratum_sizes` into the finite population corrections;
* :func:`weighting` builds the design (design weights ``gewicht``, strata
  ``schicht``, ``fpc`` = newcomers per district) and its version raked to the
  margins (district × age group and origin), with 0/1 indicator columns for
  top-two answers and for the use of the welcome offers;
* :func:`weighted_shares`, :func:`weighted_means`, :func:`shares_by`,
  :func:`composition` and :func:`response_by_stratum` give tidy tables that
  put unweighted, design-weighted and raked estimates side by side;
  :func:`compare_shares` compares two waves;
* :func:`driver_data` and :func:`driver_table` prepare and label the
  proportional-odds model of the intention to stay
  (:func:`welcome_eval.stats.drivers.ordinal_drivers`).

Population margins file (UTF-8 CSV with header; one row per wave × margin ×
category): ``wave``; ``margin`` (``kreis_altersgruppe`` = district × age
group, or ``herkunft`` = origin); ``district`` (district name for a margin
crossed with the district, else empty); ``item`` (codebook item of the
category); ``code`` (its answer code); ``label`` (German value label);
``population`` (newcomers in the population). Every margin of a wave adds up
to the same population size.

Weighting (Lumley 2010, ch. 7; Kalton & Flores-Cervantes 2003): the design
weight :math:`d_i = N_h / n_h` of a sampled person in district *h* is the
inverse of the selection probability. Nonresponse makes the respondents'
design weights sum to less than the population and over-represents the groups
who answer more readily (older newcomers, newcomers from Germany). Raking
multiplies the design weights by factors that make the weighted counts of
every district × age group cell and of every origin equal to the population
counts (iterative proportional fitting). Raked estimates are unbiased where
response depends only on the raking variables.

References
----------
Kalton, G. & Flores-Cervantes, I. (2003). Weighting methods. *Journal of
Official Statistics* 19, 81–97. — Lumley, T. (2010). *Complex Surveys: A
Guide to Analysis Using R*, ch. 2 and 7. Wiley. — Deville, J.-C. & Särndal,
C.-E. (1992). Calibration estimators in survey sampling. *JASA* 87, 376–382.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats as _sps

from welcome_eval._display import Summary, SummaryRepr, integer, number
from welcome_eval.errors import WelcomeEvalError
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.ingest.wave import Wave
from welcome_eval.municipalities import DISTRICTS, municipalities
from welcome_eval.stats.drivers import DriverResult
from welcome_eval.stats.survey import Design

__all__ = [
    "MARGINS_FILE",
    "OFFER_USE_LEVELS",
    "Weighting",
    "compare_shares",
    "composition",
    "composition_comparison",
    "composition_long",
    "composition_table",
    "driver_data",
    "driver_table",
    "offer_use",
    "rake_targets",
    "read_population_margins",
    "response_by_stratum",
    "shares_by",
    "shares_over_waves",
    "stratum_sizes",
    "top2_column",
    "used_column",
    "weighted_distribution",
    "weighted_means",
    "weighted_shares",
    "weighting",
]

SURVEY = "neubuerger"
#: Population margins, relative to ``<data_dir>/<survey>/``.
MARGINS_FILE = "population_margins.csv"
#: Columns of the margins file, in order.
MARGIN_COLUMNS = ("wave", "margin", "district", "item", "code", "label", "population")
#: Column added by :func:`weighting`: the finite population correction (newcomers per stratum).
FPC = "fpc"
#: Column added by :func:`weighting`: the raked weights.
RAKED_WEIGHT = "gewicht_kalibriert"
#: Categories of :func:`offer_use`, reference first.
OFFER_USE_LEVELS = ("nicht genutzt", "genutzt, nicht zufrieden", "genutzt, zufrieden")
#: Missing codes whose label starts with this mean "offer not used".
_NOT_USED_LABEL = "nicht genutzt"


class MarginsError(WelcomeEvalError, ValueError):
    """The population margins file is missing or inconsistent."""


def top2_column(item: str) -> str:
    """Name of the 0/1 column "answer in the top two codes" that :func:`weighting` adds."""
    return f"{item}__top2"


def used_column(item: str) -> str:
    """Name of the 0/1 column "offer used" that :func:`weighting` adds."""
    return f"{item}__genutzt"


# ---------------------------------------------------------------------------
# margins


def read_population_margins(
    data_dir: str | Path, wave: str, *, survey: str = SURVEY
) -> pd.DataFrame:
    """The known population margins of one wave from ``<data_dir>/<survey>/population_margins.csv``.

    Parameters
    ----------
    data_dir : str or pathlib.Path
        The data directory (e.g. ``wave.manifest.data_dir``).
    wave : str
        Wave id; only its rows are returned.
    survey : str, default "neubuerger"

    Returns
    -------
    pandas.DataFrame
        The wave's rows with the columns of :data:`MARGIN_COLUMNS`: ``code``
        and ``population`` as ``int64``, ``district`` as ``str`` (``""`` where
        the margin is not crossed with the district).

    Raises
    ------
    MarginsError
        If the file is missing, lacks columns, has no rows for the wave,
        negative counts, or margins with different totals.

    Examples
    --------
    >>> from welcome_eval.config import demo_data_dir
    >>> margins = read_population_margins(demo_data_dir(), "2021")
    >>> sorted(margins["margin"].unique())
    ['herkunft', 'kreis_altersgruppe']
    """
    path = Path(data_dir) / survey / MARGINS_FILE
    if not path.is_file():
        raise MarginsError(
            f"{path}: population margins not found; the newcomer survey needs the number of "
            "newcomers per district × age group and per origin for weighting"
        )
    table = pd.read_csv(
        path, dtype={"wave": str, "district": str}, keep_default_na=False, encoding="utf-8"
    )
    missing = [c for c in MARGIN_COLUMNS if c not in table.columns]
    if missing:
        raise MarginsError(f"{path}: missing column(s) {', '.join(missing)}")
    table = table.loc[table["wave"] == str(wave), list(MARGIN_COLUMNS)].reset_index(drop=True)
    if table.empty:
        raise MarginsError(f"{path}: no population margins for wave {wave!r}")
    try:
        table["code"] = table["code"].astype("int64")
        table["population"] = table["population"].astype("int64")
    except (TypeError, ValueError) as exc:
        raise MarginsError(f"{path}: code and population must be whole numbers ({exc})") from exc
    if (table["population"] < 0).any():
        raise MarginsError(f"{path}: negative population counts for wave {wave!r}")
    totals = table.groupby("margin", sort=False)["population"].sum()
    if totals.nunique() != 1:
        raise MarginsError(
            f"{path}: the margins of wave {wave!r} add up to different totals "
            f"({', '.join(f'{m}: {t}' for m, t in totals.items())})"
        )
    return table


def stratum_sizes(margins: pd.DataFrame) -> pd.Series:
    """Newcomers per district (the stratum sizes :math:`N_h`), from a margin crossed with it.

    Examples
    --------
    >>> m = pd.DataFrame({"margin": ["ka"] * 2 + ["o"] * 2, "district": ["A", "B", "", ""],
    ...                   "item": ["a", "a", "o", "o"], "code": [1, 1, 1, 2],
    ...                   "population": [10, 30, 25, 15]})
    >>> stratum_sizes(m).to_dict()
    {'A': 10, 'B': 30}
    """
    crossed = margins[margins["district"] != ""]
    if crossed.empty:
        raise MarginsError("no margin is crossed with the district; stratum sizes are unknown")
    first = crossed["margin"].iloc[0]
    sizes = crossed[crossed["margin"] == first].groupby("district", sort=False)["population"]
    return sizes.sum().rename("population")


def _cell(district: object, code: object) -> str:
    return f"{district}|{int(code)}"


def rake_targets(margins: pd.DataFrame) -> dict[str, dict]:
    """Margins for :meth:`welcome_eval.stats.survey.Design.rake` from a margins table.

    A margin crossed with the district becomes the column named like the
    margin (e.g. ``kreis_altersgruppe``) with keys ``"<district>|<code>"``
    (the column :func:`weighting` adds); any other margin is keyed by the float
    answer code of its item (the column of the tidy data). Categories with no
    newcomers are left out.

    Examples
    --------
    >>> m = pd.DataFrame({"margin": ["ka"] * 2 + ["herkunft"] * 2, "district": ["A", "B", "", ""],
    ...                   "item": ["alter", "alter", "herkunft", "herkunft"], "code": [1, 1, 1, 2],
    ...                   "population": [10, 30, 25, 15]})
    >>> rake_targets(m)
    {'ka': {'A|1': 10, 'B|1': 30}, 'herkunft': {1.0: 25, 2.0: 15}}
    """
    targets: dict[str, dict] = {}
    for margin, rows in margins.groupby("margin", sort=False):
        rows = rows[rows["population"] > 0]
        if (rows["district"] != "").all():
            targets[str(margin)] = {
                _cell(d, c): int(n)
                for d, c, n in zip(rows["district"], rows["code"], rows["population"], strict=True)
            }
        else:
            item = rows["item"].iloc[0]
            targets[str(item)] = {
                float(c): int(n) for c, n in zip(rows["code"], rows["population"], strict=True)
            }
    return targets


# ---------------------------------------------------------------------------
# design


@dataclass(frozen=True, eq=False, repr=False)
class Weighting(SummaryRepr):
    """A newcomer wave prepared for design-based estimation (see :func:`weighting`).

    Attributes
    ----------
    data : pandas.DataFrame
        The wave's tidy data plus the derived columns: the margin cells (e.g.
        ``kreis_altersgruppe``), :data:`FPC`, :data:`RAKED_WEIGHT`, a 0/1
        column :func:`top2_column` per Likert item and :func:`used_column` per
        welcome offer.
    design : welcome_eval.stats.survey.Design
        Stratified design with the design weights and finite population correction.
    raked : welcome_eval.stats.survey.Design
        The design raked to the population margins.
    margins : pandas.DataFrame
        The population margins used.
    codebook : Codebook
    weights, strata : str
        Columns of the design weights and the strata.
    """

    data: pd.DataFrame
    design: Design
    raked: Design
    margins: pd.DataFrame
    codebook: Codebook
    weights: str
    strata: str

    def _summary(self) -> Summary:
        def kish(weights: pd.Series) -> str:
            # Kish's effective sample size and design effect of unequal weights
            w = weights.to_numpy(dtype=float)
            n_eff = w.sum() ** 2 / (w**2).sum()
            return f"effektive Fallzahl {integer(n_eff)}, Designeffekt {number(len(w) / n_eff, 2)}"

        return Summary(
            "Weighting",
            f"Gewichtung der Befragung {self.codebook.survey}",
            [
                ("Befragte", integer(len(self.data))),
                ("Schichten", f"{self.strata} ({self.data[self.strata].nunique()})"),
                ("Designgewichte", f"{self.weights}: {kish(self.design.weights)}"),
                ("geraket auf", ", ".join(map(str, pd.unique(self.margins["margin"])))),
                ("Raking-Gewichte", f"{RAKED_WEIGHT}: {kish(self.raked.weights)}"),
            ],
        )


def _indicators(wave: Wave) -> dict[str, pd.Series]:
    """0/1 columns: top-two answer of each Likert item; use of each offer with a "not used" code."""
    cb, data = wave.codebook, wave.data
    columns: dict[str, pd.Series] = {}
    for item_id in cb.items_of(type="likert"):
        if item_id not in data:
            continue
        values = data[item_id]
        top = [float(c) for c in cb[item_id].valid_codes[-2:]]
        columns[top2_column(item_id)] = values.isin(top).astype(float).where(values.notna())
        not_used = [
            code
            for code, label in cb[item_id].missing_codes.items()
            if label.lower().startswith(_NOT_USED_LABEL)
        ]
        if not_used and item_id in wave.missing_codes:
            codes = wave.missing_codes[item_id]
            used = pd.Series(np.nan, index=data.index)
            used[values.notna()] = 1.0
            used[codes.isin([float(c) for c in not_used])] = 0.0
            columns[used_column(item_id)] = used
    return columns


def weighting(
    wave: Wave,
    margins: pd.DataFrame,
    *,
    weights: str = "gewicht",
    strata: str = "schicht",
) -> Weighting:
    """The stratified design of a newcomer wave and its version raked to the population margins.

    The design is ``Design(data, weights=weights, strata=strata, fpc="fpc")``
    with ``fpc`` the number of newcomers in the row's district
    (:func:`stratum_sizes`), as R's ``svydesign(ids = ~1, strata = ~schicht,
    weights = ~gewicht, fpc = ~fpc)``; the raked design is
    ``design.rake(rake_targets(margins))``, as R's ``rake()``. Where the strata
    column is empty, the district of the row's municipality is used.

    Parameters
    ----------
    wave : Wave
        A validated newcomer wave (:func:`welcome_eval.read_wave`).
    margins : pandas.DataFrame
        Its population margins (:func:`read_population_margins`).
    weights, strata : str
        Columns with the design weights and the strata (districts).

    Returns
    -------
    Weighting

    Raises
    ------
    ValueError
        If the design weights are missing, a stratum has no population size,
        or a margin category has no respondents (raking cannot reach it).
    """
    cb = wave.codebook
    frame = wave.data.copy()
    if weights not in frame or frame[weights].isna().any():
        raise ValueError(
            f"the wave has no (or incomplete) design weights in column {weights!r}; the "
            "newcomer survey is a sample and cannot be estimated without them"
        )
    if strata not in frame:
        frame[strata] = pd.Series(pd.NA, index=frame.index, dtype=object)
    if frame[strata].isna().any() and cb.municipality:
        district = municipalities().set_index("ags")["district"].astype(str)
        frame[strata] = frame[strata].astype(object).fillna(frame[cb.municipality].map(district))
    frame[strata] = frame[strata].astype(str)
    sizes = stratum_sizes(margins)
    unknown = sorted(set(frame[strata]) - set(sizes.index))
    if unknown:
        raise ValueError(f"strata {unknown} have no population size in the margins")
    frame[FPC] = frame[strata].map(sizes).astype(float)
    for margin, rows in margins.groupby("margin", sort=False):
        if (rows["district"] != "").all():
            item = rows["item"].iloc[0]
            frame[str(margin)] = [
                _cell(d, c) if c == c else None
                for d, c in zip(frame[strata], frame[item], strict=True)
            ]
    frame = pd.concat([frame, pd.DataFrame(_indicators(wave), index=frame.index)], axis=1)
    design = Design(frame, weights=weights, strata=strata, fpc=FPC)
    raked = design.rake(rake_targets(margins))
    frame[RAKED_WEIGHT] = raked.weights.to_numpy()
    return Weighting(frame, design, raked, margins, cb, weights, strata)


# ---------------------------------------------------------------------------
# estimates


def weighted_shares(
    weighting: Weighting,
    columns: Sequence[str],
    *,
    labels: Mapping[str, str] | None = None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """Shares of 0/1 columns: unweighted, design-weighted and raked with a logit interval.

    Rows where the column is missing are left out (domain estimation: e.g.
    the top-two share of an offer among those who used it). The interval is
    that of :meth:`Design.proportion <welcome_eval.stats.survey.Design.proportion>`
    on the raked design (R's ``svyciprop(..., method = "logit")``).

    Parameters
    ----------
    weighting : Weighting
    columns : sequence of str
        0/1 columns of ``weighting.data`` (e.g. :func:`top2_column` names).
    labels : mapping, optional
        Display label per column (default: the codebook's short label of the item).
    conf_level : float, default 0.95

    Returns
    -------
    pandas.DataFrame
        One row per column: ``column``, ``item``, ``item_label``, ``n`` (rows with a
        value), ``unweighted``, ``design_weighted``, ``raked``, ``ci_low``,
        ``ci_high``, ``se`` and ``deff`` (of the raked estimate), and
        ``difference`` (raked minus unweighted).
    """
    rows = []
    for column in columns:
        item = column.split("__")[0]
        values = weighting.data[column]
        n = int(values.notna().sum())
        label = (labels or {}).get(column) or (
            weighting.codebook[item].short if item in weighting.codebook else column
        )
        if n == 0 or values.dropna().nunique() == 0:
            rows.append({"column": column, "item": item, "item_label": label, "n": n})
            continue
        raked = weighting.raked.proportion(column, conf_level=conf_level)
        design = weighting.design.proportion(column, conf_level=conf_level)
        unweighted = float(values.mean())
        rows.append(
            {
                "column": column,
                "item": item,
                "item_label": label,
                "n": n,
                "unweighted": unweighted,
                "design_weighted": design.estimate,
                "raked": raked.estimate,
                "ci_low": raked.ci_low,
                "ci_high": raked.ci_high,
                "se": raked.se,
                "deff": raked.deff,
                "difference": raked.estimate - unweighted,
            }
        )
    columns_out = ["column", "item", "item_label", "n", "unweighted", "design_weighted", "raked"]
    columns_out += ["ci_low", "ci_high", "se", "deff", "difference"]
    return pd.DataFrame(rows, columns=columns_out)


def weighted_means(
    weighting: Weighting, items: Sequence[str], *, conf_level: float = 0.95
) -> pd.DataFrame:
    """Means of rating items: unweighted and raked with a normal interval (R's ``svymean``).

    Returns one row per item: ``item``, ``item_label``, ``n``, ``unweighted``,
    ``raked``, ``ci_low``, ``ci_high``, ``se``.
    """
    rows = []
    for item in items:
        values = weighting.data[item]
        estimate = weighting.raked.mean(item, conf_level=conf_level)
        rows.append(
            {
                "item": item,
                "item_label": weighting.codebook[item].short,
                "n": int(values.notna().sum()),
                "unweighted": float(values.mean()),
                "raked": estimate.estimate,
                "ci_low": estimate.ci_low,
                "ci_high": estimate.ci_high,
                "se": estimate.se,
            }
        )
    return pd.DataFrame(
        rows, columns=["item", "item_label", "n", "unweighted", "raked", "ci_low", "ci_high", "se"]
    )


def shares_by(
    weighting: Weighting, column: str, group: str, *, conf_level: float = 0.95
) -> pd.DataFrame:
    """Raked share of a 0/1 column per category of a coded item, as R's ``svyby``.

    Returns one row per category present: ``code``, ``label`` (value label),
    ``n``, ``unweighted``, ``raked``, ``ci_low``, ``ci_high`` (normal
    interval clipped to [0, 1]).
    """
    table = weighting.raked.by(column, group, conf_level=conf_level)
    data = weighting.data
    item = weighting.codebook[group]
    unweighted = data.groupby(group)[column].mean()
    counts = data.groupby(group)[column].count()
    return pd.DataFrame(
        {
            "code": table["group"].astype(int),
            "label": [item.label_for(code) for code in table["group"]],
            "n": [int(counts[g]) for g in table["group"]],
            "unweighted": [float(unweighted[g]) for g in table["group"]],
            "raked": table["estimate"],
            "ci_low": table["ci_low"].clip(lower=0.0),
            "ci_high": table["ci_high"].clip(upper=1.0),
        }
    )


def composition(weighting: Weighting, item: str) -> pd.DataFrame:
    """Who answered, against the population: the categories of a margin item.

    Returns one row per category: ``code``, ``label``, ``population`` (newcomers),
    ``population_share``, ``respondents``, ``unweighted`` (share of the
    respondents), ``design_weighted`` and ``raked`` (weighted shares; the raked
    shares equal the population shares by construction).
    """
    margins = weighting.margins[weighting.margins["item"] == item]
    if margins.empty:
        raise KeyError(f"item {item!r} has no population margin")
    first = margins["margin"].iloc[0]
    population = margins[margins["margin"] == first].groupby("code")["population"].sum()
    data = weighting.data
    values = data[item]
    design_w = data[weighting.weights]
    raked_w = data[RAKED_WEIGHT]
    rows = []
    for code in weighting.codebook[item].valid_codes:
        hit = values == float(code)
        rows.append(
            {
                "code": code,
                "label": weighting.codebook[item].label_for(code),
                "population": int(population.get(code, 0)),
                "population_share": float(population.get(code, 0) / population.sum()),
                "respondents": int(hit.sum()),
                "unweighted": float(hit.sum() / values.notna().sum()),
                "design_weighted": float(design_w[hit].sum() / design_w[values.notna()].sum()),
                "raked": float(raked_w[hit].sum() / raked_w[values.notna()].sum()),
            }
        )
    return pd.DataFrame(rows)


#: German names of the shares :func:`composition_comparison` puts side by side.
COMPOSITION_SOURCES = {
    "population_share": "alle Neuzugezogenen (Melderegister)",
    "unweighted": "Antwortende, ungewichtet",
    "design_weighted": "Antwortende, designgewichtet",
}


def composition_table(weighting: Weighting, items: Sequence[str]) -> pd.DataFrame:
    """:func:`composition` of several margin items stacked, one row per category.

    Returns the columns of :func:`composition` plus ``category``
    (``"<short label of the item>: <value label>"``, first), ready for
    :func:`welcome_eval.publish.privacy.protect` with ``counts="respondents"``.
    """
    frames = []
    for item in items:
        table = composition(weighting, item)
        short = weighting.codebook[item].short
        frames.append(table.assign(category=[f"{short}: {label}" for label in table["label"]]))
    table = pd.concat(frames, ignore_index=True)
    return table[["category", *[c for c in table.columns if c != "category"]]]


def composition_long(table: pd.DataFrame) -> pd.DataFrame:
    """A :func:`composition_table` (possibly after disclosure control) as a long table for a plot.

    Returns one row per category × source: ``category``, ``source`` (German,
    see :data:`COMPOSITION_SOURCES`) and ``share``; hidden shares stay ``NaN``.

    Examples
    --------
    >>> t = pd.DataFrame({"category": ["Alter: 18–29"], "population_share": [0.3],
    ...                   "unweighted": [0.2], "design_weighted": [0.25]})
    >>> composition_long(t)["share"].tolist()
    [0.3, 0.2, 0.25]
    """
    missing = [c for c in ["category", *COMPOSITION_SOURCES] if c not in table.columns]
    if missing:
        raise KeyError(f"column(s) {missing} not in table; pass composition_table() output")
    rows = [
        {"category": row["category"], "source": source, "share": row[column]}
        for _, row in table.iterrows()
        for column, source in COMPOSITION_SOURCES.items()
    ]
    return pd.DataFrame(rows, columns=["category", "source", "share"])


def composition_comparison(weighting: Weighting, items: Sequence[str]) -> pd.DataFrame:
    """:func:`composition` of several margin items as one long table for a dot plot.

    Returns one row per item × category × source: ``category`` (``"<short
    label of the item>: <value label>"``), ``source`` (German, see
    :data:`COMPOSITION_SOURCES`) and ``share``; categories in codebook order.
    """
    return composition_long(composition_table(weighting, items))


def weighted_distribution(weighting: Weighting, items: Sequence[str]) -> pd.DataFrame:
    """Raked answer distribution of Likert items, with the unweighted number of answers.

    :func:`welcome_eval.stats.likert_distribution` with the raked weights
    (its ``n`` and ``n_valid`` are then weighted sums), plus ``respondents``:
    the unweighted number of valid answers to the item, the group size that
    disclosure control needs (``protect(..., counts="respondents")``).
    """
    from welcome_eval import stats

    table = stats.likert_distribution(
        weighting.data, list(items), codebook=weighting.codebook, weights=RAKED_WEIGHT
    )
    valid = {item: int(weighting.data[item].notna().sum()) for item in items}
    return table.assign(respondents=table["item"].map(valid).astype(int))


def response_by_stratum(weighting: Weighting) -> pd.DataFrame:
    """Population, gross sample, respondents and response per district.

    The gross sample size of a district follows from its design weight,
    :math:`n_h = N_h / d_h`. Returns one row per district (region's order) and
    a total row ``Südwestfalen``: ``district``, ``population`` (:math:`N_h`),
    ``sampled`` (:math:`n_h`), ``selection_probability`` (:math:`n_h / N_h`),
    ``respondents``, ``response_rate`` (respondents / sampled),
    ``population_share`` and ``respondent_share``.
    """
    data = weighting.data
    sizes = stratum_sizes(weighting.margins)
    weights = data.groupby(weighting.strata)[weighting.weights].mean()
    respondents = data.groupby(weighting.strata).size()
    order = [d for d in DISTRICTS if d in sizes.index] + [
        d for d in sizes.index if d not in DISTRICTS
    ]
    rows = []
    for district in order:
        population = int(sizes[district])
        answered = int(respondents.get(district, 0))
        sampled = round(population / weights[district]) if district in weights else 0
        rows.append(
            {
                "district": district,
                "population": population,
                "sampled": sampled,
                "selection_probability": sampled / population if population else math.nan,
                "respondents": answered,
                "response_rate": answered / sampled if sampled else math.nan,
            }
        )
    table = pd.DataFrame(rows)
    total = {
        "district": "Südwestfalen",
        "population": int(table["population"].sum()),
        "sampled": int(table["sampled"].sum()),
        "respondents": int(table["respondents"].sum()),
    }
    total["selection_probability"] = total["sampled"] / total["population"]
    total["response_rate"] = total["respondents"] / total["sampled"]
    table = pd.concat([table, pd.DataFrame([total])], ignore_index=True)
    table["population_share"] = table["population"] / total["population"]
    table["respondent_share"] = table["respondents"] / total["respondents"]
    return table


def shares_over_waves(
    weightings: Mapping[str, Weighting],
    columns: Sequence[str],
    *,
    labels: Mapping[str, str] | None = None,
    conf_level: float = 0.95,
) -> pd.DataFrame:
    """:func:`weighted_shares` of the same columns in several waves, stacked.

    ``weightings`` maps the wave id to its :class:`Weighting`, oldest first.
    Returns the columns of :func:`weighted_shares` plus ``wave`` (first).
    """
    if not weightings:
        raise ValueError("shares_over_waves needs at least one wave")
    frames = [
        weighted_shares(w, columns, labels=labels, conf_level=conf_level).assign(wave=str(wave))
        for wave, w in weightings.items()
    ]
    table = pd.concat(frames, ignore_index=True)
    return table[["wave", *[c for c in table.columns if c != "wave"]]]


def compare_shares(
    current: pd.DataFrame, previous: pd.DataFrame, *, conf_level: float = 0.95
) -> pd.DataFrame:
    r"""Change of raked shares between two waves (independent samples).

    For two :func:`weighted_shares` tables, the difference of the raked
    estimates with the normal interval and two-sided Wald test

    .. math::

        \hat p_2 - \hat p_1 \pm z \sqrt{\text{SE}_1^2 + \text{SE}_2^2},

    valid because every wave draws a new sample of a new cohort of newcomers
    (Lumley 2010, § 2.3; the two designs are independent).

    Returns one row per column present in both: ``column``, ``item_label``,
    ``previous``, ``current``, ``difference``, ``ci_low``, ``ci_high``,
    ``p_value``.

    Examples
    --------
    >>> a = pd.DataFrame({"column": ["x"], "item_label": ["X"], "raked": [0.5], "se": [0.03]})
    >>> b = pd.DataFrame({"column": ["x"], "item_label": ["X"], "raked": [0.6], "se": [0.04]})
    >>> round(float(compare_shares(b, a)["ci_low"].iloc[0]), 4)
    0.002
    """
    merged = previous[["column", "raked", "se"]].merge(
        current[["column", "item_label", "raked", "se"]],
        on="column",
        suffixes=("_previous", "_current"),
    )
    z = _sps.norm.ppf((1 + conf_level) / 2)
    difference = merged["raked_current"] - merged["raked_previous"]
    se = np.sqrt(merged["se_previous"] ** 2 + merged["se_current"] ** 2)
    return pd.DataFrame(
        {
            "column": merged["column"],
            "item_label": merged["item_label"],
            "previous": merged["raked_previous"],
            "current": merged["raked_current"],
            "difference": difference,
            "ci_low": difference - z * se,
            "ci_high": difference + z * se,
            "p_value": 2 * _sps.norm.sf(np.abs(difference / se)),
        }
    )


# ---------------------------------------------------------------------------
# drivers


def offer_use(wave: Wave, item: str, *, satisfied_from: int = 4) -> pd.Categorical:
    """Use of a welcome offer as a categorical predictor.

    Categories (:data:`OFFER_USE_LEVELS`, reference first): ``"nicht
    genutzt"`` (the item's "nicht genutzt" missing code), ``"genutzt, nicht
    zufrieden"`` (a rating below ``satisfied_from``) and ``"genutzt,
    zufrieden"``; other missing answers are missing.
    """
    values = wave.data[item]
    not_used_codes = [
        float(code)
        for code, label in wave.codebook[item].missing_codes.items()
        if label.lower().startswith(_NOT_USED_LABEL)
    ]
    if not not_used_codes:
        raise ValueError(f"item {item!r} has no missing code for 'nicht genutzt'")
    not_used = wave.missing_codes[item].isin(not_used_codes)
    labels = np.where(
        not_used,
        OFFER_USE_LEVELS[0],
        np.where(values >= satisfied_from, OFFER_USE_LEVELS[2], OFFER_USE_LEVELS[1]),
    )
    labels = np.where(not_used | values.notna(), labels, None)
    return pd.Categorical(labels, categories=list(OFFER_USE_LEVELS))


def driver_data(
    wave: Wave,
    *,
    outcome: str,
    ratings: Sequence[str],
    offers: Sequence[str] = (),
    controls: Sequence[str] = (),
) -> pd.DataFrame:
    """Model data for :func:`welcome_eval.stats.drivers.ordinal_drivers`.

    ``outcome`` and ``ratings`` stay numeric answer codes (one term per scale
    point), each of ``offers`` becomes :func:`offer_use`, each of
    ``controls`` (categorical items) a pandas ``Categorical`` of its value
    labels with the first code as reference.
    """
    data = wave.data
    frame = pd.DataFrame({outcome: data[outcome]}, index=data.index)
    for item in ratings:
        frame[item] = data[item]
    for item in offers:
        frame[item] = offer_use(wave, item)
    for item in controls:
        meta = wave.codebook[item]
        frame[item] = pd.Categorical(
            data[item].map(lambda v, m=meta: m.label_for(v)),
            categories=[meta.label_for(c) for c in meta.valid_codes],
        )
    return frame


def driver_table(result: DriverResult, data: pd.DataFrame, codebook: Codebook) -> pd.DataFrame:
    """The coefficients of a driver model with German labels, for tables and figures.

    Adds ``item``, ``kind`` (``"rating"``: per scale point; ``"category"``:
    against the reference category), ``label`` (e.g. ``"Ich fühle mich
    willkommen (je Skalenpunkt)"`` or ``"Altersgruppe: 30–44 Jahre (statt
    18–29 Jahre)"``) and ``n`` to ``result.coefficients``: the respondents
    with complete data behind the term (all of them for a rating, those in the
    category for a category), the group size for disclosure control.
    """
    table = result.coefficients.copy()
    complete = data.dropna()
    items, kinds, labels, counts = [], [], [], []
    for term in table["term"]:
        if "[" in term and term.endswith("]"):
            item, level = term[:-1].split("[", 1)
            reference = data[item].cat.categories[0]
            short = codebook[item].short if item in codebook else item
            items.append(item)
            kinds.append("category")
            labels.append(f"{short}: {level} (statt {reference})")
            counts.append(int((complete[item].astype(object) == level).sum()))
        else:
            short = codebook[term].short if term in codebook else term
            items.append(term)
            kinds.append("rating")
            labels.append(f"{short} (je Skalenpunkt)")
            counts.append(len(complete))
    table.insert(1, "item", items)
    table.insert(2, "kind", kinds)
    table.insert(3, "label", labels)
    table["n"] = counts
    return table
