r"""The self-assessment checklist: scores, maturity levels, peer position, progress, gaps.

Every participating municipality fills in the checklist "Checkliste Willkommenskultur"
(``surveys/checkliste/codebook.yaml``) about itself once per wave. A wave is read like
every other survey with :func:`welcome_eval.read_wave`; this module turns the accepted
rows (``wave.data``: one row per municipality) into tidy tables.

Scoring rule (the numbers live in the codebook's ``scoring`` and ``maturity`` sections)
    Each answer earns points :math:`p`: *vorhanden* 1, *teilweise vorhanden* 0.5,
    *geplant* 0, *nicht vorhanden* 0. "Geplant" earns nothing because the score describes
    what a newcomer finds today; the share of items in preparation is reported beside it
    (``n_planned``), so announcing plans cannot raise a score.

    The score of municipality *m* in dimension *d* with answered items :math:`A_{md}`
    (answers "weiß nicht" and "keine Angabe" are not answers) out of :math:`I_d` items is

    .. math::

        S_{md} = 100 \cdot \frac{1}{|A_{md}|} \sum_{i \in A_{md}} p_{mi}
        \quad\text{if } |A_{md}| \ge a \cdot I_d, \text{ else undefined,}

    with :math:`a` = ``min_answered_share`` (0.5). The overall score is the unweighted
    mean of the six dimension scores, :math:`S_m = \frac{1}{6} \sum_d S_{md}`, undefined
    when any dimension score is; every dimension counts the same however many items it
    has. The maturity level of a score is the highest level whose lower bound it reaches:
    Einstieg (0), Aufbau (25), Fortgeschritten (50), Etabliert (75).

Peers and anonymity
    :func:`position` compares one municipality with the *other* municipalities of the
    same table through their quartiles only (never single values), and reports how many
    peers stand behind them (``n_peers``) so that a report can pass the table through
    :func:`welcome_eval.publish.privacy.protect` with ``counts="n_peers"``.

References
----------
Quartiles are the linear-interpolation sample quantiles (Hyndman & Fan 1996, type 7; R's
``quantile`` default). — Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical
packages. *The American Statistician* 50, 361–365.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from welcome_eval.config import surveys_dir
from welcome_eval.errors import WelcomeEvalError
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.ingest.limits import safe_load_text
from welcome_eval.municipalities import municipalities

__all__ = [
    "OVERALL",
    "SURVEY",
    "ChecklistError",
    "MunicipalityChecklist",
    "ScoringRule",
    "checklist_waves",
    "district_matrix",
    "district_overview",
    "for_municipality",
    "item_answers",
    "level_distribution",
    "maturity_level",
    "most_missing",
    "position",
    "progress",
    "progress_summary",
    "score_history",
    "scores",
    "scoring_rule",
    "wave_trend",
    "weakest_dimensions",
]

#: Survey id of the checklist (``surveys/checkliste``).
SURVEY = "checkliste"
#: Dimension id of the overall score.
OVERALL = "gesamt"
#: German label of the overall score.
OVERALL_LABEL = "Gesamtwert"


class ChecklistError(WelcomeEvalError, ValueError):
    """Checklist data or its codebook cannot be scored; the message says what to fix."""


@dataclass(frozen=True)
class ScoringRule:
    """The documented scoring rule of a checklist codebook.

    Attributes
    ----------
    points
        Answer code -> points (0–1).
    min_answered_share
        Share of a dimension's items that must be answered for a dimension score.
    missing_answers
        Codes that count as "not in place" for :func:`most_missing`.
    planned_answers
        Codes that count as "in preparation".
    maturity
        ``(level, lower bound, German label)``, ascending.
    dimensions
        Dimension id -> German label, in codebook order.
    items
        Dimension id -> its item ids, in codebook order.
    """

    points: dict[int, float]
    min_answered_share: float
    missing_answers: tuple[int, ...]
    planned_answers: tuple[int, ...]
    maturity: tuple[tuple[int, float, str], ...]
    dimensions: dict[str, str]
    items: dict[str, list[str]]

    @property
    def all_items(self) -> list[str]:
        """Every scored item, dimension by dimension."""
        return [i for d in self.dimensions for i in self.items[d]]

    def dimension_of(self, item: str) -> str:
        """The dimension an item belongs to."""
        for dimension, items in self.items.items():
            if item in items:
                return dimension
        raise KeyError(f"item {item!r} belongs to no checklist dimension")


def scoring_rule(codebook: Codebook | None = None) -> ScoringRule:
    """Read the scoring rule (points, maturity levels, dimensions) from the codebook.

    Parameters
    ----------
    codebook
        The checklist codebook (default: ``surveys/checkliste/codebook.yaml``). Its
        YAML file must have ``scoring``, ``maturity`` and ``dimensions`` sections.

    Examples
    --------
    >>> rule = scoring_rule()
    >>> rule.points
    {1: 0.0, 2: 0.0, 3: 0.5, 4: 1.0}
    >>> [label for _, _, label in rule.maturity]
    ['Einstieg', 'Aufbau', 'Fortgeschritten', 'Etabliert']
    """
    # Every municipal report asks for the rule, once per checklist wave; parsing the YAML
    # took 60-110 ms each time. A rule is kept per codebook file and content (sha256).
    path = surveys_dir() / SURVEY / "codebook.yaml" if codebook is None else codebook.path
    if path is None or not Path(path).is_file():
        return _read_rule(codebook or Codebook.for_survey(SURVEY))
    key = (str(path), hashlib.sha256(Path(path).read_bytes()).hexdigest())
    if key not in _RULES:
        if len(_RULES) >= 8:
            _RULES.clear()
        _RULES[key] = _read_rule(codebook or Codebook.for_survey(SURVEY))
    return copy.deepcopy(_RULES[key])


#: Scoring rules read, by codebook file and the sha256 of its content.
_RULES: dict[tuple[str, str], ScoringRule] = {}


def _read_rule(codebook: Codebook) -> ScoringRule:
    if codebook.path is None:
        raise ChecklistError("the checklist codebook must be loaded from its YAML file")
    where = str(codebook.path)
    raw = safe_load_text(Path(codebook.path).read_text(encoding="utf-8"))
    for key in ("scoring", "maturity", "dimensions"):
        if not raw.get(key):
            raise ChecklistError(f"{where}: section {key!r} is missing (rule: scoring_rule)")
    scoring = raw["scoring"]
    try:
        points = {int(code): float(p) for code, p in scoring["points"].items()}
    except (KeyError, TypeError, ValueError) as exc:
        raise ChecklistError(f"{where}: scoring.points must map answer codes to points") from exc
    if not all(0.0 <= p <= 1.0 for p in points.values()):
        raise ChecklistError(f"{where}: scoring.points must lie between 0 and 1")
    share = float(scoring.get("min_answered_share", 0.5))
    if not 0.0 < share <= 1.0:
        raise ChecklistError(f"{where}: scoring.min_answered_share must be in (0, 1]")
    levels = sorted(
        (int(spec["level"]), float(spec["from"]), str(spec["label"])) for spec in raw["maturity"]
    )
    bounds = [b for _, b, _ in levels]
    if bounds[0] != 0 or bounds != sorted(bounds):
        raise ChecklistError(f"{where}: maturity levels must start at 0 and rise with the level")
    dimensions = {str(k): str(v) for k, v in raw["dimensions"].items()}
    items: dict[str, list[str]] = {}
    for dimension in dimensions:
        found = codebook.items_of(construct=dimension)
        if not found:
            raise ChecklistError(f"{where}: dimension {dimension!r} has no items")
        items[dimension] = found
    for item_id in (i for d in items.values() for i in d):
        missing = set(codebook[item_id].valid_codes) - set(points)
        if missing:
            raise ChecklistError(f"{where}: item {item_id}: no points for codes {sorted(missing)}")
    return ScoringRule(
        points=points,
        min_answered_share=share,
        missing_answers=tuple(int(c) for c in scoring.get("missing_answers", ())),
        planned_answers=tuple(int(c) for c in scoring.get("planned_answers", ())),
        maturity=tuple(levels),
        dimensions=dimensions,
        items=items,
    )


def maturity_level(score: float, rule: ScoringRule | None = None) -> tuple[int, str] | None:
    """Maturity level and German label of a score (0–100); ``None`` for a missing score.

    Examples
    --------
    >>> maturity_level(74.9), maturity_level(75.0), maturity_level(float("nan"))
    ((3, 'Fortgeschritten'), (4, 'Etabliert'), None)
    """
    rule = rule or scoring_rule()
    if score is None or score != score:
        return None
    if not 0.0 <= float(score) <= 100.0:
        raise ValueError(f"a checklist score lies between 0 and 100, got {score!r}")
    found = rule.maturity[0]
    for level in rule.maturity:
        if score >= level[1]:
            found = level
    return found[0], found[2]


def _check_data(data: pd.DataFrame, rule: ScoringRule, codebook: Codebook) -> None:
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"data must be a wave's tidy DataFrame, got {type(data).__name__}")
    needed = [codebook.municipality, *rule.all_items]
    missing = [c for c in needed if c not in data]
    if missing:
        raise ChecklistError(
            f"checklist data lack the columns {missing[:5]}; pass read_wave(...).data of a "
            "checklist wave"
        )
    key = codebook.municipality
    twice = data[key][data[key].duplicated(keep=False)]
    if len(twice):
        rows = data.loc[twice.index, "row"].tolist() if "row" in data else list(twice.index)
        raise ChecklistError(
            f"municipality {twice.iloc[0]} filled in the checklist more than once in one wave "
            f"(file rows {rows}); rule: one checklist per municipality and wave — keep the "
            "latest and remove the others"
        )


def item_answers(data: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """One row per municipality and item: the answer code and its points.

    Parameters
    ----------
    data
        A checklist wave's tidy data (``read_wave(...).data``).
    codebook
        The checklist codebook (default: the shipped one).

    Returns
    -------
    pandas.DataFrame
        ``ags``, ``dimension``, ``item``, ``item_label`` (short German label),
        ``code`` (answer code; NaN when not answered or "weiß nicht"), ``answer``
        (German label), ``points`` (NaN when not answered).

    Examples
    --------
    >>> cb = Codebook.for_survey("checkliste")
    >>> rule = scoring_rule(cb)
    >>> row = {"ags": "05958012", **{i: 4.0 for i in rule.all_items}}
    >>> long = item_answers(pd.DataFrame([row]), cb)
    >>> len(long), float(long["points"].sum())
    (28, 28.0)
    """
    codebook = codebook or Codebook.for_survey(SURVEY)
    rule = scoring_rule(codebook)
    _check_data(data, rule, codebook)
    key = codebook.municipality
    long = data.melt(id_vars=[key], value_vars=rule.all_items, var_name="item", value_name="code")
    long = long.rename(columns={key: "ags"})
    long["code"] = pd.to_numeric(long["code"], errors="coerce").astype("float64")
    long["dimension"] = long["item"].map({i: rule.dimension_of(i) for i in rule.all_items})
    long["item_label"] = long["item"].map({i: codebook[i].short for i in rule.all_items})
    long["answer"] = [
        codebook[i].label_for(c) for i, c in zip(long["item"], long["code"], strict=True)
    ]
    long["points"] = long["code"].map(rule.points).astype("float64")
    return long[["ags", "dimension", "item", "item_label", "code", "answer", "points"]]


def scores(
    data: pd.DataFrame,
    codebook: Codebook | None = None,
    *,
    wave: str | None = None,
    assessed: str | None = "ausgefuellt_am",
) -> pd.DataFrame:
    """Score per municipality and dimension, the overall score, and the maturity levels.

    The scoring rule is in the module docstring (points 1 / 0.5 / 0 / 0; dimension score
    = 100 × mean points of the answered items; overall = mean of the dimension scores).

    Parameters
    ----------
    data
        A checklist wave's tidy data, one row per municipality.
    codebook
        The checklist codebook (default: the shipped one).
    wave
        Wave id written into a ``wave`` column (for :func:`score_history`).
    assessed
        Date column of the self-assessment, copied as ``assessed`` (None: no date).

    Returns
    -------
    pandas.DataFrame
        One row per municipality and dimension (the six dimensions in codebook order,
        then ``gesamt``): ``ags``, ``name``, ``district``, [``wave``], [``assessed``],
        ``dimension``, ``dimension_label``, ``n_items``, ``n_answered``, ``n_in_place``
        (points 1), ``n_partly`` (0 < points < 1), ``n_planned``, ``score`` (0–100,
        NaN if too few answers), ``level`` (1–4) and ``level_label``. The ``gesamt``
        rows carry the counts summed over the dimensions.

    Examples
    --------
    >>> cb = Codebook.for_survey("checkliste")
    >>> rule = scoring_rule(cb)
    >>> answers = {i: 4.0 for i in rule.items["information"]}            # all in place
    >>> answers |= {i: 3.0 for i in rule.items["erstkontakt"]}           # all partly
    >>> answers |= {i: 1.0 for d in list(rule.dimensions)[2:] for i in rule.items[d]}
    >>> s = scores(pd.DataFrame([{"ags": "05958012", **answers}]), cb, assessed=None)
    >>> s[["dimension", "score", "level_label"]].head(3)
         dimension  score      level_label
    0  information  100.0        Etabliert
    1  erstkontakt   50.0  Fortgeschritten
    2      service    0.0         Einstieg
    >>> float(s.loc[s["dimension"] == "gesamt", "score"].iloc[0])  # (100 + 50 + 0 * 4) / 6
    25.0
    """
    codebook = codebook or Codebook.for_survey(SURVEY)
    rule = scoring_rule(codebook)
    long = item_answers(data, codebook)
    planned = list(rule.planned_answers)
    long = long.assign(
        answered=long["points"].notna(),
        in_place=long["points"] == 1.0,
        partly=(long["points"] > 0) & (long["points"] < 1),
        planned=long["code"].isin(planned),
    )
    table = (
        long.groupby(["ags", "dimension"], sort=False)
        .agg(
            n_items=("item", "size"),
            n_answered=("answered", "sum"),
            n_in_place=("in_place", "sum"),
            n_partly=("partly", "sum"),
            n_planned=("planned", "sum"),
            points=("points", "sum"),
        )
        .reset_index()
    )
    enough = table["n_answered"] >= rule.min_answered_share * table["n_items"]
    table["score"] = (100.0 * table["points"] / table["n_answered"].where(enough)).astype("float64")
    counts = ["n_items", "n_answered", "n_in_place", "n_partly", "n_planned"]
    overall = table.groupby("ags", sort=False).agg(
        {**{c: "sum" for c in counts}, "score": lambda s: s.mean() if s.notna().all() else np.nan}
    )
    overall = overall.reset_index().assign(dimension=OVERALL)
    table = pd.concat([table.drop(columns="points"), overall], ignore_index=True)
    order = {d: k for k, d in enumerate([*rule.dimensions, OVERALL])}
    keys = {a: k for k, a in enumerate(pd.unique(data[codebook.municipality]))}
    table = table.sort_values(
        ["ags", "dimension"], key=lambda s: s.map(keys if s.name == "ags" else order)
    ).reset_index(drop=True)
    table["dimension_label"] = table["dimension"].map({**rule.dimensions, OVERALL: OVERALL_LABEL})
    levels = [maturity_level(s, rule) for s in table["score"]]
    table["level"] = pd.array([lv[0] if lv else None for lv in levels], dtype="Int64")
    table["level_label"] = [lv[1] if lv else None for lv in levels]
    for column in counts:
        table[column] = table[column].astype("int64")
    places = municipalities()[["ags", "name", "district"]]
    table = table.merge(places, on="ags", how="left")
    front = ["ags", "name", "district"]
    if wave is not None:
        table["wave"] = str(wave)
        front.append("wave")
    if assessed is not None:
        if assessed not in data:
            raise ChecklistError(f"date column {assessed!r} not in the checklist data")
        dates = pd.to_datetime(data.set_index(codebook.municipality)[assessed])
        table["assessed"] = table["ags"].map(dates)
        front.append("assessed")
    rest = ["dimension", "dimension_label", *counts, "score", "level", "level_label"]
    return table[front + rest]


def checklist_waves(data_dir: str | Path | None = None) -> list:
    """Every checklist wave in a data directory, read and validated, oldest first.

    Returns a list of :class:`welcome_eval.ingest.wave.Wave` (``<data_dir>/checkliste/<wave>``).
    """
    from welcome_eval.config import data_dir as default_data_dir
    from welcome_eval.ingest.wave import find_manifests, read_wave

    directory = Path(data_dir or default_data_dir())
    manifests = find_manifests(directory, SURVEY)
    if not manifests:
        raise ChecklistError(f"no checklist waves under {directory / SURVEY}")
    waves = [read_wave(path) for path in manifests]
    return sorted(waves, key=lambda w: (w.manifest.fieldwork_start or pd.Timestamp.min, w.wave))


def score_history(waves: Iterable) -> pd.DataFrame:
    """The scores of several checklist waves in one table (with ``wave`` and ``assessed``).

    ``waves`` are :class:`welcome_eval.ingest.wave.Wave` objects of the checklist, e.g. from
    :func:`checklist_waves`; the input for :func:`progress`.
    """
    frames = [scores(w.data, w.codebook, wave=w.wave) for w in waves]
    if not frames:
        raise ChecklistError("score_history needs at least one checklist wave")
    return pd.concat(frames, ignore_index=True)


def _dimension_order(table: pd.DataFrame) -> dict[str, int]:
    return {d: k for k, d in enumerate(pd.unique(table["dimension"]))}


def _check_scores(table: pd.DataFrame, what: str, extra: Sequence[str] = ()) -> None:
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"{what} must be a DataFrame from checklist.scores(), got {type(table)}")
    needed = ["ags", "dimension", "dimension_label", "score", *extra]
    missing = [c for c in needed if c not in table]
    if missing:
        raise ChecklistError(f"{what} lacks columns {missing}; pass the result of scores()")


def _quartile_position(score: float, q1: float, median: float, q3: float) -> str | None:
    if score != score or median != median:
        return None
    if score > q3:
        return "im oberen Viertel"
    if score > median:
        return "über dem Median"
    if score == median:
        return "im Median"
    if score >= q1:
        return "unter dem Median"
    return "im unteren Viertel"


def position(
    table: pd.DataFrame,
    ags: str,
    *,
    peers: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Where one municipality stands among its peers, per dimension and overall.

    The peers are the *other* municipalities of ``table`` (or the given ``peers``, never
    including ``ags`` itself) that have a score in the dimension. They are described by
    their quartiles only (Hyndman–Fan type 7), so no single peer can be read off.

    Parameters
    ----------
    table
        :func:`scores` of one wave (one row per municipality and dimension).
    ags
        The municipality's key.
    peers
        Keys of the comparison group (default: every other municipality in ``table``).

    Returns
    -------
    pandas.DataFrame
        One row per dimension (``gesamt`` last): ``dimension``, ``dimension_label``,
        ``score``, ``level_label``, ``n_peers``, ``peer_q1``, ``peer_median``,
        ``peer_q3``, ``difference_to_median`` (score − peer median) and ``position``
        (German: "im oberen Viertel", "über dem Median", "im Median", "unter dem
        Median", "im unteren Viertel"). Pass it through
        ``protect(..., counts="n_peers")`` before showing it.

    Examples
    --------
    >>> t = pd.DataFrame({"ags": list("ABCDEF"), "dimension": "gesamt",
    ...                   "dimension_label": "Gesamtwert", "level_label": "Aufbau",
    ...                   "score": [40.0, 10.0, 20.0, 30.0, 50.0, 60.0]})
    >>> position(t, "A")[["score", "n_peers", "peer_q1", "peer_median", "peer_q3", "position"]]
       score  n_peers  peer_q1  peer_median  peer_q3         position
    0   40.0        5     20.0         30.0     50.0  über dem Median
    """
    _check_scores(table, "table")
    ags = str(ags)
    if ags not in set(table["ags"]):
        raise ChecklistError(
            f"municipality {ags} has no self-assessment in this table; "
            "use position() only for municipalities that filled in the checklist"
        )
    own = table[table["ags"] == ags]
    if own["dimension"].duplicated().any():
        raise ChecklistError(
            f"municipality {ags} appears more than once per dimension: pass the scores of one "
            "wave only"
        )
    others = table[table["ags"] != ags]
    if peers is not None:
        others = others[others["ags"].isin({str(p) for p in peers} - {ags})]
    rows = []
    for _, row in own.iterrows():
        values = others.loc[others["dimension"] == row["dimension"], "score"].dropna()
        values = values.to_numpy(dtype=float)
        if len(values):
            q1, median, q3 = np.quantile(values, [0.25, 0.5, 0.75])
        else:
            q1 = median = q3 = np.nan
        score = float(row["score"])
        rows.append(
            {
                "dimension": row["dimension"],
                "dimension_label": row["dimension_label"],
                "score": score,
                "level_label": row.get("level_label"),
                "n_peers": len(values),
                "peer_q1": float(q1),
                "peer_median": float(median),
                "peer_q3": float(q3),
                "difference_to_median": score - float(median),
                "position": _quartile_position(score, q1, median, q3),
            }
        )
    return pd.DataFrame(rows)


def progress(
    history: pd.DataFrame,
    *,
    wave: str | None = None,
    ags: str | None = None,
) -> pd.DataFrame:
    """Change of each municipality's scores since its previous self-assessment.

    For every municipality assessed in ``wave`` (default: the latest wave of
    ``history``, by date of assessment) the scores are compared with its most recent
    *earlier* self-assessment, whichever wave that was: change = score − previous score
    (points on the 0–100 scale).

    Parameters
    ----------
    history
        :func:`score_history` (columns ``wave`` and ``assessed`` needed).
    wave
        The wave whose assessments are compared with the ones before.
    ags
        Only this municipality.

    Returns
    -------
    pandas.DataFrame
        One row per municipality and dimension: ``ags``, ``name``, ``district``,
        ``dimension``, ``dimension_label``, ``wave``, ``assessed``, ``score``,
        ``level_label``, ``previous_wave``, ``previous_assessed``, ``previous_score``,
        ``previous_level_label``, ``change``. A first self-assessment has NaN in the
        ``previous_*`` columns and in ``change``.

    Examples
    --------
    >>> h = pd.DataFrame({"ags": ["A", "A", "B"], "name": ["a", "a", "b"],
    ...     "district": "K", "dimension": "gesamt", "dimension_label": "Gesamtwert",
    ...     "level_label": ["Aufbau", "Fortgeschritten", "Aufbau"],
    ...     "wave": ["2019", "2021", "2021"], "score": [40.0, 55.0, 30.0],
    ...     "assessed": pd.to_datetime(["2019-05-01", "2021-05-03", "2021-05-10"])})
    >>> progress(h)[["ags", "score", "previous_wave", "previous_score", "change"]]
      ags  score previous_wave  previous_score  change
    0   A   55.0          2019            40.0    15.0
    1   B   30.0           NaN             NaN     NaN
    """
    _check_scores(history, "history", extra=("wave", "assessed"))
    history = history.copy()
    history["assessed"] = pd.to_datetime(history["assessed"])
    if wave is None:
        wave = str(history.groupby("wave")["assessed"].max().sort_values().index[-1])
    wave = str(wave)
    if wave not in set(history["wave"].astype(str)):
        raise ChecklistError(
            f"wave {wave!r} is not in the history; waves: {sorted(set(history['wave']))}"
        )
    current = history[history["wave"].astype(str) == wave]
    if ags is not None:
        current = current[current["ags"] == str(ags)]
        if current.empty:
            raise ChecklistError(f"municipality {ags} has no self-assessment in wave {wave}")
    first_date = current.groupby("ags")["assessed"].min()
    earlier = history[history["assessed"] < history["ags"].map(first_date)]
    latest_earlier = earlier[
        earlier["assessed"] == earlier.groupby("ags")["assessed"].transform("max")
    ]
    previous = latest_earlier[["ags", "dimension", "wave", "assessed", "score", "level_label"]]
    previous = previous.rename(
        columns={
            "wave": "previous_wave",
            "assessed": "previous_assessed",
            "score": "previous_score",
            "level_label": "previous_level_label",
        }
    )
    keep = [
        c
        for c in ["ags", "name", "district", "dimension", "dimension_label", "wave", "assessed"]
        if c in current
    ]
    result = current[[*keep, "score", "level_label"]].merge(
        previous, on=["ags", "dimension"], how="left", validate="1:1"
    )
    result["change"] = result["score"] - result["previous_score"]
    return result.reset_index(drop=True)


def progress_summary(changes: pd.DataFrame) -> pd.DataFrame:
    """Region-wide progress per dimension from :func:`progress`.

    Returns one row per dimension (``gesamt`` last): ``dimension``, ``dimension_label``,
    ``n`` (municipalities with an earlier self-assessment), ``mean_change``,
    ``median_change``, ``improved``, ``unchanged``, ``worse`` (shares of ``n``).

    Examples
    --------
    >>> c = pd.DataFrame({"dimension": "gesamt", "dimension_label": "Gesamtwert",
    ...                   "change": [10.0, -5.0, 0.0, np.nan]})
    >>> progress_summary(c)[["n", "mean_change", "improved", "worse"]]
       n  mean_change  improved     worse
    0  3     1.666667  0.333333  0.333333
    """
    for column in ("dimension", "dimension_label", "change"):
        if column not in changes:
            raise ChecklistError(f"changes lacks column {column!r}; pass the result of progress()")
    known = changes.dropna(subset=["change"])
    order = _dimension_order(changes)
    rows = []
    for dimension, part in known.groupby("dimension", sort=False):
        change = part["change"]
        rows.append(
            {
                "dimension": dimension,
                "dimension_label": part["dimension_label"].iloc[0],
                "n": len(change),
                "mean_change": float(change.mean()),
                "median_change": float(change.median()),
                "improved": float((change > 0).mean()),
                "unchanged": float((change == 0).mean()),
                "worse": float((change < 0).mean()),
            }
        )
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    return table.sort_values("dimension", key=lambda s: s.map(order)).reset_index(drop=True)


def weakest_dimensions(table: pd.DataFrame, ags: str, *, k: int = 2) -> pd.DataFrame:
    """The ``k`` dimensions in which a municipality scores lowest (overall score excluded).

    Ties keep the codebook order. Dimensions without a score are left out.

    Returns
    -------
    pandas.DataFrame
        ``dimension``, ``dimension_label``, ``score``, ``level_label``, lowest first;
        the ``dimension`` column is what :func:`welcome_eval.analysis.catalogue.matching_examples`
        takes.

    Examples
    --------
    >>> t = pd.DataFrame({"ags": "A", "dimension": ["x", "y", "z", "gesamt"],
    ...                   "dimension_label": ["X", "Y", "Z", "G"], "level_label": "",
    ...                   "score": [50.0, 20.0, 20.0, 30.0]})
    >>> weakest_dimensions(t, "A")["dimension"].tolist()
    ['y', 'z']
    """
    _check_scores(table, "table")
    if not isinstance(k, int | np.integer) or k < 1:
        raise ValueError(f"k must be a whole number >= 1, got {k!r}")
    own = table[(table["ags"] == str(ags)) & (table["dimension"] != OVERALL)]
    if own.empty:
        raise ChecklistError(f"municipality {ags} has no self-assessment in this table")
    if own["dimension"].duplicated().any():
        raise ChecklistError("pass the scores of one wave only (a dimension appears twice)")
    own = own.dropna(subset=["score"]).reset_index(drop=True)
    own = own.assign(_order=range(len(own))).sort_values(["score", "_order"], kind="stable")
    columns = ["dimension", "dimension_label", "score"]
    if "level_label" in own:
        columns.append("level_label")
    return own[columns].head(int(k)).reset_index(drop=True)


def most_missing(
    data: pd.DataFrame, codebook: Codebook | None = None, *, top: int | None = None
) -> pd.DataFrame:
    """Items most often not in place region-wide (answers "nicht vorhanden" or "geplant").

    Parameters
    ----------
    data
        A checklist wave's tidy data.
    top
        Keep only the ``top`` items (default: all).

    Returns
    -------
    pandas.DataFrame
        One row per item, most often missing first (ties: codebook order): ``item``,
        ``item_label``, ``dimension``, ``dimension_label``, ``n`` (municipalities that
        answered), ``n_missing``, ``share_missing``, ``n_planned``, ``share_planned``
        (shares of ``n``).

    Examples
    --------
    >>> cb = Codebook.for_survey("checkliste")
    >>> rule = scoring_rule(cb)
    >>> rows = [{"ags": a, **{i: 4.0 for i in rule.all_items}} for a in ("05958012", "05974052")]
    >>> rows[0]["serv_partner"] = 1.0
    >>> rows[1]["serv_partner"] = 2.0
    >>> most_missing(pd.DataFrame(rows), cb, top=1)[["item", "n", "n_missing", "n_planned"]]
               item  n  n_missing  n_planned
    0  serv_partner  2          2          1
    """
    codebook = codebook or Codebook.for_survey(SURVEY)
    rule = scoring_rule(codebook)
    long = item_answers(data, codebook)
    long = long.assign(
        answered=long["code"].notna(),
        missing=long["code"].isin(list(rule.missing_answers)),
        planned=long["code"].isin(list(rule.planned_answers)),
    )
    order = {i: k for k, i in enumerate(rule.all_items)}
    table = (
        long.groupby("item", sort=False)
        .agg(
            item_label=("item_label", "first"),
            dimension=("dimension", "first"),
            n=("answered", "sum"),
            n_missing=("missing", "sum"),
            n_planned=("planned", "sum"),
        )
        .reset_index()
    )
    for column in ("n", "n_missing", "n_planned"):
        table[column] = table[column].astype("int64")
    denominator = table["n"].where(table["n"] > 0)
    table["share_missing"] = table["n_missing"] / denominator
    table["share_planned"] = table["n_planned"] / denominator
    table["dimension_label"] = table["dimension"].map(rule.dimensions)
    table["_order"] = table["item"].map(order)
    table = table.sort_values(["share_missing", "_order"], ascending=[False, True], kind="stable")
    table = table[
        [
            "item",
            "item_label",
            "dimension",
            "dimension_label",
            "n",
            "n_missing",
            "share_missing",
            "n_planned",
            "share_planned",
        ]
    ].reset_index(drop=True)
    return table.head(int(top)) if top is not None else table


def district_overview(table: pd.DataFrame, *, by: str = "district") -> pd.DataFrame:
    """Mean and median score per group (default: district) and dimension.

    Returns
    -------
    pandas.DataFrame
        One row per group and dimension (``gesamt`` included): ``by``, ``dimension``,
        ``dimension_label``, ``n`` (municipalities with a score — the count to pass to
        ``protect(counts="n")``), ``mean_score``, ``median_score``.

    Examples
    --------
    >>> t = pd.DataFrame({"ags": list("ABC"), "district": ["K1", "K1", "K2"],
    ...                   "dimension": "gesamt", "dimension_label": "Gesamtwert",
    ...                   "score": [40.0, 60.0, 30.0]})
    >>> district_overview(t)
      district dimension dimension_label  n  mean_score  median_score
    0       K1    gesamt      Gesamtwert  2        50.0          50.0
    1       K2    gesamt      Gesamtwert  1        30.0          30.0
    """
    _check_scores(table, "table", extra=(by,))
    order = _dimension_order(table)
    known = table.dropna(subset=["score"])
    grouped = known.groupby([by, "dimension"], observed=True, sort=False)
    result = grouped.agg(
        dimension_label=("dimension_label", "first"),
        n=("ags", "nunique"),
        mean_score=("score", "mean"),
        median_score=("score", "median"),
    ).reset_index()
    result[by] = result[by].astype(str)
    groups = list(
        pd.unique(table[by].astype(str))
        if not hasattr(table[by], "cat")
        else table[by].cat.categories
    )
    group_order = {g: k for k, g in enumerate(map(str, groups))}
    result = result.sort_values(
        [by, "dimension"], key=lambda s: s.map(group_order if s.name == by else order)
    )
    result["n"] = result["n"].astype("int64")
    return result.reset_index(drop=True)


def district_matrix(
    table: pd.DataFrame, *, by: str = "district", total: str | None = "Südwestfalen"
) -> pd.DataFrame:
    """Mean scores as a matrix: one row per group (and the region), one column per dimension.

    The shape for disclosure control: ``protect(matrix, counts="n", totals=[total])``
    hides groups with fewer than ``min_n`` municipalities *and* a second group, so that
    a hidden group cannot be recovered from the region's mean.

    Returns
    -------
    pandas.DataFrame
        ``group``, ``n`` (municipalities with a self-assessment), then one column per
        dimension label (``Gesamtwert`` last) holding the mean score; the last row is
        the region (``total``) unless ``total`` is None.

    Examples
    --------
    >>> t = pd.DataFrame({"ags": list("ABC"), "district": ["K1", "K1", "K2"],
    ...                   "dimension": "gesamt", "dimension_label": "Gesamtwert",
    ...                   "score": [40.0, 60.0, 30.0]})
    >>> district_matrix(t)
              group  n  Gesamtwert
    0            K1  2   50.000000
    1            K2  1   30.000000
    2  Südwestfalen  3   43.333333
    """
    _check_scores(table, "table", extra=(by,))
    frames = [table]
    if total is not None:
        frames.append(table.assign(**{by: total}))
    both = pd.concat(frames, ignore_index=True)
    labels = list(pd.unique(table["dimension_label"]))
    means = both.pivot_table(
        index=by, columns="dimension_label", values="score", aggfunc="mean", observed=True
    )
    counts = both.groupby(by, observed=True)["ags"].nunique()
    if isinstance(table[by].dtype, pd.CategoricalDtype):
        order = [str(g) for g in table[by].cat.categories if g in set(table[by])]
    else:
        order = [str(g) for g in pd.unique(table[by])]
    if total is not None:
        order.append(total)
    means.index = means.index.astype(str)
    counts.index = counts.index.astype(str)
    matrix = means.reindex(index=order, columns=labels)
    matrix.insert(0, "n", counts.reindex(order).astype("int64"))
    matrix.columns.name = None
    return matrix.reset_index(names="group")


def wave_trend(history: pd.DataFrame) -> pd.DataFrame:
    """Region-wide mean score per wave and dimension (for a trend figure).

    Returns ``wave``, ``dimension``, ``dimension_label``, ``n`` (municipalities with a
    score), ``mean_score``; waves in the order of their assessments.

    Examples
    --------
    >>> h = pd.DataFrame({"ags": ["A", "B", "A"], "wave": ["2019", "2019", "2021"],
    ...     "assessed": pd.to_datetime(["2019-04-01", "2019-04-02", "2021-03-01"]),
    ...     "dimension": "gesamt", "dimension_label": "Gesamtwert", "score": [20.0, 40.0, 50.0]})
    >>> wave_trend(h)[["wave", "n", "mean_score"]].values.tolist()
    [['2019', 2, 30.0], ['2021', 1, 50.0]]
    """
    _check_scores(history, "history", extra=("wave", "assessed"))
    order = history.groupby("wave")["assessed"].min().sort_values().index.tolist()
    dimensions = _dimension_order(history)
    known = history.dropna(subset=["score"])
    table = (
        known.groupby(["wave", "dimension"], sort=False)
        .agg(
            dimension_label=("dimension_label", "first"),
            n=("ags", "nunique"),
            mean_score=("score", "mean"),
        )
        .reset_index()
    )
    table["n"] = table["n"].astype("int64")
    rank = {w: k for k, w in enumerate(order)}
    table = table.sort_values(
        ["wave", "dimension"], key=lambda s: s.map(rank if s.name == "wave" else dimensions)
    )
    return table.reset_index(drop=True)


def level_distribution(table: pd.DataFrame, rule: ScoringRule | None = None) -> pd.DataFrame:
    """Municipalities per maturity level and dimension (a two-way count table).

    Returns one row per dimension (``gesamt`` last) with ``dimension_label`` and one
    column per level label, holding the number of municipalities.

    Examples
    --------
    >>> t = pd.DataFrame({"ags": list("AB"), "dimension": "gesamt",
    ...     "dimension_label": "Gesamtwert", "score": [20.0, 80.0],
    ...     "level_label": ["Einstieg", "Etabliert"]})
    >>> level_distribution(t).values.tolist()
    [['Gesamtwert', 1, 0, 0, 1]]
    """
    _check_scores(table, "table", extra=("level_label",))
    rule = rule or scoring_rule()
    labels = [label for _, _, label in rule.maturity]
    counts = pd.crosstab(table["dimension_label"], table["level_label"]).reindex(
        index=list(pd.unique(table["dimension_label"])), columns=labels, fill_value=0
    )
    counts = counts.fillna(0).astype("int64")
    counts.columns.name = None
    return counts.reset_index(names="dimension_label")


@dataclass(frozen=True)
class MunicipalityChecklist:
    """One municipality's checklist results for its benchmark report.

    Attributes
    ----------
    ags
        The municipality.
    wave
        The wave of its latest self-assessment up to the reference date (None: none yet).
    assessed
        Date of that self-assessment.
    position
        :func:`position` among the other municipalities of that wave (pass it through
        ``protect(..., counts="n_peers", values=["peer_q1", "peer_median", "peer_q3"])``).
    progress
        :func:`progress` since its previous self-assessment (NaN change if none).
    weakest
        :func:`weakest_dimensions`: the input of
        :func:`welcome_eval.analysis.catalogue.matching_examples`.
    """

    ags: str
    wave: str | None
    assessed: pd.Timestamp | None
    position: pd.DataFrame
    progress: pd.DataFrame
    weakest: pd.DataFrame


def for_municipality(
    history: pd.DataFrame,
    ags: str,
    *,
    on: dt.date | str | pd.Timestamp | None = None,
    k: int = 2,
) -> MunicipalityChecklist:
    """Position, progress and weakest dimensions of one municipality, ready for its report.

    Takes the municipality's latest self-assessment on or before ``on`` (default: its
    latest) and compares it with the other municipalities of the same wave.

    Parameters
    ----------
    history
        :func:`score_history` of all checklist waves.
    ags
        The municipality's key.
    on
        Reference date, e.g. the start of the survey wave the report is about.
    k
        Number of weakest dimensions.

    Examples
    --------
    >>> h = pd.DataFrame({"ags": ["A", "B", "A", "B"], "wave": ["2019", "2019", "2021", "2021"],
    ...     "assessed": pd.to_datetime(["2019-04-01", "2019-04-02", "2021-03-01", "2021-03-02"]),
    ...     "dimension": ["x"] * 4, "dimension_label": ["X"] * 4, "level_label": [""] * 4,
    ...     "score": [20.0, 40.0, 50.0, 30.0]})
    >>> result = for_municipality(h, "A", on="2020-01-01")
    >>> result.wave, result.position["peer_median"].tolist(), result.weakest["score"].tolist()
    ('2019', [40.0], [20.0])
    >>> for_municipality(h, "A").progress["change"].tolist()
    [30.0]
    """
    _check_scores(history, "history", extra=("wave", "assessed"))
    ags = str(ags)
    own = history[history["ags"] == ags]
    if on is not None:
        own = own[pd.to_datetime(own["assessed"]) <= pd.Timestamp(on)]
    if own.empty:
        empty = pd.DataFrame()
        return MunicipalityChecklist(ags, None, None, empty, empty, empty)
    latest = own.loc[pd.to_datetime(own["assessed"]).idxmax()]
    wave = str(latest["wave"])
    current = history[history["wave"].astype(str) == wave]
    return MunicipalityChecklist(
        ags=ags,
        wave=wave,
        assessed=pd.Timestamp(latest["assessed"]),
        position=position(current, ags),
        progress=progress(history, wave=wave, ags=ags),
        weakest=weakest_dimensions(current, ags, k=k),
    )
