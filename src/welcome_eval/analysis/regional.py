r"""Building blocks of the regional report per survey wave.

The regional report (``notebooks/kommunen_welle.ipynb``,
``notebooks/neubuerger_welle.ipynb``) shows results by district, trends over
all waves, the reliability of the scales and comparisons with effect sizes.
Everything it computes lives here, as tidy tables ready for
:func:`welcome_eval.publish.privacy.protect`; the notebooks only choose, gate and
format.

* Grouping: :func:`with_region` adds the district and the joining phase
  (:func:`joiner_groups`) of each respondent's municipality.
* Results: :func:`results_by_district` (top-2 share and mean per item and
  district, with n) and :func:`secondary_cells` (the cells to hide besides the
  small groups, so that no hidden district can be recovered from the region's
  total), :func:`trend_by_wave` (all waves), :func:`reliability_table`
  (Cronbach's alpha with its interval per construct and wave).
* Comparisons: :func:`compare_districts`, :func:`compare_two_groups`,
  :func:`compare_waves` and :func:`compare_weighted_shares` return the tests of
  :mod:`welcome_eval.stats` (or of the design-based shares) with adjusted
  p-values, an effect size and one result phrase in the common vocabulary of
  :func:`describe_difference`, e.g. "deutlich höher (Effektstärke r = 0,45;
  statistisch bedeutsam)" or "kein belastbarer Unterschied (…)".
* Open answers: :func:`answers_in_random_order` prepares them for
  :func:`welcome_eval.publish.privacy.redact_answers`.

The vocabulary: a result is *statistisch bedeutsam* when its p-value, adjusted
for the number of items tested (Holm 1979), is below 5 %. Only then is a
direction named; the strength word follows Cohen's (1988) thresholds of the
effect size — "geringfügig" (below small), "etwas" (small), "deutlich"
(medium), "erheblich" (large). Anything else is "kein belastbarer
Unterschied": the data do not show a difference that could not be chance.

References
----------
Cohen, J. (1988). *Statistical Power Analysis for the Behavioral Sciences*
(2nd ed.). Erlbaum. — Holm, S. (1979). A simple sequentially rejective
multiple test procedure. *Scandinavian Journal of Statistics* 6, 65–70. —
George, D. & Mallery, P. (2003). *SPSS for Windows Step by Step* (4th ed.),
p. 231. Allyn & Bacon. — Feldt, L. S., Woodruff, D. J. & Salih, F. A. (1987).
Statistical inference for coefficient alpha. *Applied Psychological
Measurement* 11, 93–103.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from welcome_eval import stats
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.municipalities import DISTRICTS, municipalities
from welcome_eval.present import german_format

__all__ = [
    "ALPHA",
    "COHEN_H_THRESHOLDS",
    "DISTRICT",
    "EARLY",
    "JOINED",
    "LATE",
    "NOT_JOINED",
    "REGION",
    "alpha_rating",
    "answers_in_random_order",
    "by_wave_wide",
    "cohens_h",
    "compare_districts",
    "compare_two_groups",
    "compare_waves",
    "compare_weighted_shares",
    "describe_difference",
    "districts_to_hide",
    "joiner_groups",
    "reliability_table",
    "results_by_district",
    "secondary_cells",
    "significant_results",
    "trend_by_wave",
    "with_region",
]

#: Name of the region, used for the total row of district tables.
REGION = "Südwestfalen"
#: Column :func:`with_region` adds: the district of the respondent's municipality.
DISTRICT = "district"
#: Column :func:`with_region` adds: when the respondent's municipality joined.
JOINED = "joined_phase"
#: Joining phases of :func:`joiner_groups`.
EARLY = "in der Startphase beigetreten"
LATE = "später beigetreten"
NOT_JOINED = "nicht beteiligt"
#: Months after the first municipality joined that count as the launch phase.
LAUNCH_MONTHS = 6
#: Significance level for the adjusted p-values.
ALPHA = 0.05
#: Cohen's (1988) thresholds for small, medium and large |h| (difference of two shares).
COHEN_H_THRESHOLDS = (0.2, 0.5, 0.8)
#: Strength words (negligible, small, medium, large) for directed differences …
_STRENGTH_ADVERBS = ("geringfügig", "etwas", "deutlich", "erheblich")
#: … and as adjectives for differences between several groups.
_STRENGTH_ADJECTIVES = ("geringfügige", "kleine", "deutliche", "erhebliche")
#: George & Mallery's (2003) labels for alpha, from the lowest threshold up.
_ALPHA_RATINGS = (
    (0.9, "exzellent"),
    (0.8, "gut"),
    (0.7, "akzeptabel"),
    (0.6, "fragwürdig"),
    (0.5, "schwach"),
)


# ---------------------------------------------------------------------------
# the common vocabulary


def _effect_number(value: float, thresholds: Sequence[float]) -> str:
    """Two decimals, more when two would round across a threshold (as in stats)."""
    size = abs(value)
    digits = 2
    while digits < 4 and any((round(size, digits) >= t) != (size >= t) for t in thresholds):
        digits += 1
    return german_format.number(value, digits)


def describe_difference(
    effect: float,
    p_adjusted: float,
    *,
    symbol: str = "r",
    thresholds: Sequence[float] = stats.R_THRESHOLDS,
    directed: bool = True,
    alpha: float = ALPHA,
) -> str:
    """The result of one comparison in the reports' common German vocabulary.

    * adjusted p-value below ``alpha`` and a directed effect:
      ``"<Stärke> höher"`` or ``"<Stärke> niedriger"`` — the direction is the
      sign of ``effect`` (positive: the first group / the current wave is
      higher);
    * adjusted p-value below ``alpha``, several groups (``directed=False``):
      ``"<Stärke> Unterschiede"``;
    * otherwise ``"kein belastbarer Unterschied"``;

    each followed by ``(Effektstärke <symbol> = <value>; statistisch
    bedeutsam | statistisch nicht bedeutsam)``. The strength follows the
    thresholds (small, medium, large): below the first "geringfügig", then
    "etwas", "deutlich", "erheblich" (as adjectives for several groups:
    "geringfügige", "kleine", "deutliche", "erhebliche"). A missing p-value
    reads "nicht prüfbar (zu wenige Antworten)".

    Parameters
    ----------
    effect : float
        Effect size: rank-biserial *r*, ε², η², Cohen's *h* …
    p_adjusted : float
        The p-value after the multiplicity correction of the table.
    symbol : str, default "r"
        Symbol of the effect size in the text.
    thresholds : sequence of three floats
        Small, medium and large effect (default Cohen's for correlations,
        0.1 / 0.3 / 0.5; ε² and η² use 0.01 / 0.06 / 0.14, *h* and *d*
        0.2 / 0.5 / 0.8).
    directed : bool, default True
        Whether the effect has a direction (two groups) or not (several groups).
    alpha : float, default 0.05
        Significance level for the adjusted p-value.

    Returns
    -------
    str

    References
    ----------
    Cohen, J. (1988). *Statistical Power Analysis for the Behavioral Sciences*
    (2nd ed.), §§ 2.2, 3.2, 6.2, 8.2. Erlbaum.

    Examples
    --------
    >>> describe_difference(0.45, 0.003)
    'deutlich höher (Effektstärke r = 0,45; statistisch bedeutsam)'
    >>> describe_difference(-0.12, 0.30)
    'kein belastbarer Unterschied (Effektstärke r = −0,12; statistisch nicht bedeutsam)'
    >>> describe_difference(0.08, 0.01, symbol="ε²", thresholds=(0.01, 0.06, 0.14), directed=False)
    'deutliche Unterschiede (Effektstärke ε² = 0,08; statistisch bedeutsam)'
    """
    if len(thresholds) != 3 or list(thresholds) != sorted(thresholds):
        raise ValueError(
            f"thresholds must be three increasing numbers (small, medium, large), got {thresholds}"
        )
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise ValueError(f"alpha must be between 0 and 1 (e.g. 0.05), got {alpha!r}")
    effect, p_adjusted = float(effect), float(p_adjusted)
    if math.isnan(p_adjusted):
        return "nicht prüfbar (zu wenige Antworten)"
    size = (
        f"Effektstärke {symbol} nicht bestimmbar"
        if math.isnan(effect)
        else f"Effektstärke {symbol} = {_effect_number(effect, thresholds)}"
    )
    if p_adjusted >= alpha or math.isnan(effect) or (directed and effect == 0):
        return f"kein belastbarer Unterschied ({size}; statistisch nicht bedeutsam)"
    level = sum(abs(effect) >= t for t in thresholds)
    if directed:
        word = f"{_STRENGTH_ADVERBS[level]} {'höher' if effect > 0 else 'niedriger'}"
    else:
        word = f"{_STRENGTH_ADJECTIVES[level]} Unterschiede"
    return f"{word} ({size}; statistisch bedeutsam)"


def significant_results(
    table: pd.DataFrame, *, label: str, result: str = "result", none: str = "keines der Ergebnisse"
) -> str:
    """``"A (deutlich höher …); B (…)"`` for the rows whose result is statistisch bedeutsam.

    ``none`` is returned when no row is (e.g. "keiner der Bausteine").

    Examples
    --------
    >>> t = pd.DataFrame({"item_label": ["A", "B"],
    ...                   "result": ["etwas höher (Effektstärke r = 0,20; statistisch bedeutsam)",
    ...                              "kein belastbarer Unterschied (…)"]})
    >>> significant_results(t, label="item_label")
    'A: etwas höher (Effektstärke r = 0,20; statistisch bedeutsam)'
    """
    for column in (label, result):
        if column not in table.columns:
            raise KeyError(f"column {column!r} not in table; columns: {list(table.columns)}")
    hits = table[table[result].str.endswith("statistisch bedeutsam)")]
    if hits.empty:
        return none
    return "; ".join(f"{row[label]}: {row[result]}" for _, row in hits.iterrows())


def alpha_rating(alpha: float) -> str:
    """German label of a reliability coefficient after George & Mallery (2003).

    ≥ 0,9 exzellent, ≥ 0,8 gut, ≥ 0,7 akzeptabel, ≥ 0,6 fragwürdig, ≥ 0,5
    schwach, below that "unzureichend"; ``NaN`` gives "nicht bestimmbar".

    Examples
    --------
    >>> alpha_rating(0.84), alpha_rating(0.55), alpha_rating(0.2)
    ('gut', 'schwach', 'unzureichend')
    """
    if alpha is None or math.isnan(float(alpha)):
        return "nicht bestimmbar"
    for threshold, word in _ALPHA_RATINGS:
        if alpha >= threshold:
            return word
    return "unzureichend"


# ---------------------------------------------------------------------------
# who belongs where


def joiner_groups(record: pd.DataFrame, *, launch_months: int = LAUNCH_MONTHS) -> pd.Series:
    """Joining phase of every municipality: launch phase, later, or not (yet) joined.

    The launch phase runs ``launch_months`` months from the day the first
    municipality joined (in the programme's history: thirty municipalities in
    the first six months, the rest over the following years).

    Parameters
    ----------
    record : pandas.DataFrame
        The participation record (:func:`welcome_eval.analysis.programme.participation_record`),
        columns ``ags`` and ``joined``.
    launch_months : int, default 6

    Returns
    -------
    pandas.Series
        Indexed by ``ags``: :data:`EARLY`, :data:`LATE` or :data:`NOT_JOINED`.

    Examples
    --------
    >>> rec = pd.DataFrame({"ags": ["1", "2", "3"],
    ...                     "joined": pd.to_datetime(["2017-10-01", "2019-05-01", None])})
    >>> joiner_groups(rec).tolist()
    ['in der Startphase beigetreten', 'später beigetreten', 'nicht beteiligt']
    """
    for column in ("ags", "joined"):
        if column not in record.columns:
            raise KeyError(f"participation record has no column {column!r}")
    if not isinstance(launch_months, int) or launch_months < 1:
        raise ValueError(f"launch_months must be a positive whole number, got {launch_months!r}")
    joined = pd.to_datetime(record["joined"])
    if joined.notna().sum() == 0:
        raise ValueError("no municipality in the participation record has joined")
    end = joined.min() + pd.DateOffset(months=launch_months)
    phase = np.where(joined.isna(), NOT_JOINED, np.where(joined < end, EARLY, LATE))
    return pd.Series(phase, index=record["ags"].astype(str).to_numpy(), name=JOINED)


def with_region(
    data: pd.DataFrame,
    record: pd.DataFrame,
    *,
    municipality: str = "ags",
    launch_months: int = LAUNCH_MONTHS,
) -> pd.DataFrame:
    """A copy of a wave's data with the district and joining phase of each respondent.

    Adds :data:`DISTRICT` (ordered categorical of the five districts) and
    :data:`JOINED` (:func:`joiner_groups`). A municipality key that is not one
    of the 59 raises, naming the rows.

    Examples
    --------
    >>> rec = pd.DataFrame({"ags": ["05966008"], "joined": pd.to_datetime(["2017-10-01"])})
    >>> out = with_region(pd.DataFrame({"ags": ["05966008"]}), rec)
    >>> out[["district", "joined_phase"]].iloc[0].tolist()
    ['Kreis Olpe', 'in der Startphase beigetreten']
    """
    if municipality not in data.columns:
        raise KeyError(f"column {municipality!r} (municipality key) not in data")
    keys = data[municipality].astype("string")
    district = municipalities().set_index("ags")["district"]
    unknown = keys.notna() & ~keys.isin(district.index)
    if unknown.any():
        rows = list(data.index[unknown.to_numpy()][:5])
        raise ValueError(
            f"column {municipality!r}: {int(unknown.sum())} value(s) are not keys of the 59 "
            f"municipalities (rows {rows}); check the municipality keys"
        )
    out = data.copy()
    out[DISTRICT] = pd.Categorical(
        keys.map(district.astype(str)).astype(object), categories=DISTRICTS, ordered=True
    )
    out[JOINED] = keys.map(joiner_groups(record, launch_months=launch_months)).astype(object)
    return out


# ---------------------------------------------------------------------------
# results by district, over waves, reliability


def _top2_and_mean(
    data: pd.DataFrame, items: list[str], codebook: Codebook, weights: str | None
) -> pd.DataFrame:
    top = stats.top_box(data, items, codebook=codebook, weights=weights)
    means = stats.mean_ci(data, items, weights=weights)
    table = top[["item", "share", "ci_low", "ci_high"]].merge(
        means[["item", "mean", "ci_low", "ci_high"]], on="item", suffixes=("", "_mean")
    )
    # n is the number of respondents behind the values (with weights, top_box's n is a sum
    # of weights): the group size that disclosure control needs.
    table.insert(1, "n", [int(data[item].notna().sum()) for item in items])
    return table


def results_by_district(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    codebook: Codebook,
    district: str = DISTRICT,
    weights: str | None = None,
    total: str = REGION,
) -> pd.DataFrame:
    """Top-2 share and mean of each item per district, with the region as total row.

    For every item and district with at least one valid answer: ``n`` (valid
    answers, unweighted also with ``weights``), ``share`` (share of the two highest codes, from
    :func:`welcome_eval.stats.top_box`) and ``mean`` (from
    :func:`welcome_eval.stats.mean_ci`), weighted with ``weights`` if given
    (descriptive weighted estimates). After the districts of an item comes a
    row ``district == total`` over all respondents. Districts without a valid
    answer are left out (there is nothing to hide). Pass the table through
    :func:`welcome_eval.publish.privacy.protect` with ``counts="n"``,
    ``totals=(total,)`` and ``force=secondary_cells(table, min_n=...)``.

    Returns
    -------
    pandas.DataFrame
        Columns ``item``, ``item_label``, ``district``, ``n``, ``share``,
        ``mean``; items in the given order, districts in the region's order.

    Examples
    --------
    >>> cb = Codebook.for_survey("kommunen")
    >>> df = pd.DataFrame({"district": ["Kreis Olpe"] * 3 + ["Kreis Soest"] * 2,
    ...                    "zuf_gesamt": [5.0, 4.0, 2.0, 3.0, 5.0]})
    >>> t = results_by_district(df, ["zuf_gesamt"], codebook=cb)
    >>> t[["district", "n", "share", "mean"]].to_dict("list")  # doctest: +NORMALIZE_WHITESPACE
    {'district': ['Kreis Olpe', 'Kreis Soest', 'Südwestfalen'], 'n': [3, 2, 5],
     'share': [0.6666666666666666, 0.5, 0.6], 'mean': [3.6666666666666665, 4.0, 3.8]}
    """
    items = list(items)
    if district not in data.columns:
        raise KeyError(f"column {district!r} not in data; add it with with_region()")
    groups = data[district]
    present = [g for g in (groups.cat.categories if hasattr(groups, "cat") else [])]
    present += [g for g in pd.unique(groups.dropna()) if g not in present]
    frames = []
    for name in present:
        part = data[(groups == name).to_numpy()]
        if part.empty:
            continue
        frames.append(_top2_and_mean(part, items, codebook, weights).assign(district=str(name)))
    frames.append(_top2_and_mean(data, items, codebook, weights).assign(district=total))
    table = pd.concat(frames, ignore_index=True)
    table = table[table["n"] > 0]
    order = {item: i for i, item in enumerate(items)}
    table = table.assign(_order=table["item"].map(order)).sort_values("_order", kind="stable")
    table["item_label"] = [codebook[i].short for i in table["item"]]
    table["n"] = table["n"].astype(int)
    return table[["item", "item_label", "district", "n", "share", "mean"]].reset_index(drop=True)


def districts_to_hide(data: pd.DataFrame, *, min_n: int, district: str = DISTRICT) -> list[str]:
    """Districts to hide in every table by district of a wave, the same in all of them.

    A district with fewer than ``min_n`` respondents (but at least one) is
    hidden; if it is the only one, the district with the next fewest
    respondents is hidden too, since the region's total would otherwise give
    it away. Hiding the *same* districts in every table (respondents by
    district, results by district, comparisons) keeps one table from
    revealing what another hides: a count shown for an item in one table
    must not undo the secondary suppression of the respondent count in
    another.

    Examples
    --------
    >>> df = pd.DataFrame({"district": ["A"] * 2 + ["B"] * 9 + ["C"] * 12})
    >>> districts_to_hide(df, min_n=5)
    ['A', 'B']
    """
    if district not in data.columns:
        raise KeyError(f"column {district!r} not in data; add it with with_region()")
    if not isinstance(min_n, int) or min_n < 1:
        raise ValueError(f"min_n must be a positive whole number, got {min_n!r}")
    sizes = data[district].astype(object).value_counts()
    small = sizes[(sizes > 0) & (sizes < min_n)]
    hidden = [str(d) for d in sorted(small.index, key=str)]
    if len(hidden) == 1:
        rest = sizes[sizes >= min_n].sort_index(key=lambda i: i.astype(str))
        if len(rest):
            hidden.append(str(rest.sort_values(kind="stable").index[0]))
    return hidden


def secondary_cells(
    table: pd.DataFrame,
    *,
    min_n: int,
    within: str | None = "item",
    group: str = DISTRICT,
    counts: str = "n",
    total: str = REGION,
    always: Sequence[str] = (),
) -> pd.DataFrame:
    """Cells to hide besides the small groups, so that the total cannot give them away.

    A table by district publishes, per item, the region's total (here or in
    another table). If exactly one district of an item has fewer than
    ``min_n`` answers (but more than none), its share and mean follow from the
    total and the other districts: :math:`n_\\text{hidden}\\,\\bar x_\\text{hidden}
    = n\\,\\bar x - \\sum_g n_g \\bar x_g`. So the district with the next
    smallest n of that item is hidden as well (secondary suppression, applied
    within every block of ``within``; ``None``: the whole table is one block).
    Groups in ``always`` (e.g. :func:`districts_to_hide`) are hidden in every
    block and count as hidden for the rule. Pass the result as
    ``protect(table, ..., force=secondary_cells(table, min_n=min_n))``; the
    primary cells are hidden by :func:`welcome_eval.publish.privacy.protect` itself.

    Returns
    -------
    pandas.DataFrame
        Boolean mask with the index and columns of ``table``: ``True`` in every
        column of the rows to hide additionally.

    Examples
    --------
    >>> t = pd.DataFrame({"item": ["x"] * 4, "district": ["A", "B", "C", "Südwestfalen"],
    ...                   "n": [3, 9, 12, 24], "share": [0.3, 0.5, 0.6, 0.5]})
    >>> secondary_cells(t, min_n=5)["share"].tolist()
    [False, True, False, False]
    """
    for column in (within, group, counts):
        if column is not None and column not in table.columns:
            raise KeyError(f"column {column!r} not in table; columns: {list(table.columns)}")
    if not isinstance(min_n, int) or min_n < 1:
        raise ValueError(f"min_n must be a positive whole number, got {min_n!r}")
    forced = table[group].astype(str).isin([str(g) for g in always]) & (table[group] != total)
    hide = forced.copy()
    blocks = [table] if within is None else [b for _, b in table.groupby(within, sort=False)]
    for block in blocks:
        inner = block[block[group] != total]
        n = inner[counts]
        small = ((n > 0) & (n < min_n)) | (forced[inner.index] & (n > 0))
        if int(small.sum()) != 1:
            continue  # none hidden, or two or more hiding each other
        candidates = n[(n >= min_n) & ~small]
        if candidates.empty:
            continue  # the total itself equals the only hidden group: protect() refuses it
        hide[candidates.idxmin()] = True
    return pd.DataFrame(
        np.repeat(hide.to_numpy()[:, None], table.shape[1], axis=1),
        index=table.index,
        columns=table.columns,
    )


def trend_by_wave(
    waves: Mapping[str, pd.DataFrame],
    items: Sequence[str],
    *,
    codebook: Codebook,
    weights: str | None = None,
) -> pd.DataFrame:
    """Top-2 share (Wilson interval) and mean (t interval) of each item in every wave.

    Parameters
    ----------
    waves : mapping of str to pandas.DataFrame
        Wave id to its tidy data, oldest first (all previous waves and the
        current one).
    items : sequence of str
        Items asked in every wave.
    codebook : Codebook
    weights : str, optional
        Weight column present in every wave (descriptive weighted estimates
        with Kish's effective n, see :func:`welcome_eval.stats.top_box`).

    Returns
    -------
    pandas.DataFrame
        One row per wave × item: ``wave``, ``item``, ``item_label``, ``n``,
        ``share``, ``ci_low``, ``ci_high``, ``mean``, ``ci_low_mean``,
        ``ci_high_mean``.

    Examples
    --------
    >>> cb = Codebook.for_survey("kommunen")
    >>> a, b = pd.DataFrame({"zuf_gesamt": [3.0, 4, 5]}), pd.DataFrame({"zuf_gesamt": [4.0, 5]})
    >>> trend_by_wave({"2019": a, "2021": b}, ["zuf_gesamt"], codebook=cb)[["wave", "n"]].values
    array([['2019', 3],
           ['2021', 2]], dtype=object)
    """
    if not waves:
        raise ValueError("trend_by_wave needs at least one wave")
    items = list(items)
    frames = [
        _top2_and_mean(data, items, codebook, weights).assign(wave=str(wave))
        for wave, data in waves.items()
    ]
    table = pd.concat(frames, ignore_index=True)
    table["item_label"] = [codebook[i].short for i in table["item"]]
    table["n"] = table["n"].astype(int)
    columns = ["wave", "item", "item_label", "n", "share", "ci_low", "ci_high", "mean"]
    return table[[*columns, "ci_low_mean", "ci_high_mean"]]


def by_wave_wide(
    trend: pd.DataFrame,
    *,
    value: str = "share",
    label: str = "item_label",
    value_name: str = "Top-2",
    count_name: str = "n",
) -> tuple[pd.DataFrame, dict[str, str]]:
    """A :func:`trend_by_wave` table with one row per item and a count and value column per wave.

    Returns the wide table (``label``, then ``"<count_name> <wave>"`` and
    ``"<value_name> <wave>"`` per wave, oldest first) and the mapping value
    column → count column for ``protect(table, counts=mapping)``, so that
    every wave's value is hidden by its own n.

    Examples
    --------
    >>> t = pd.DataFrame({"wave": ["2019", "2021"], "item_label": ["A", "A"], "n": [40, 3],
    ...                   "share": [0.5, 0.7]})
    >>> wide, counts = by_wave_wide(t)
    >>> list(wide.columns), counts["Top-2 2021"]
    (['item_label', 'n 2019', 'Top-2 2019', 'n 2021', 'Top-2 2021'], 'n 2021')
    """
    for column in ("wave", label, "n", value):
        if column not in trend.columns:
            raise KeyError(f"column {column!r} not in trend; columns: {list(trend.columns)}")
    waves = list(dict.fromkeys(trend["wave"]))
    labels = list(dict.fromkeys(trend[label]))
    wide = pd.DataFrame({label: labels})
    counts: dict[str, str] = {}
    for wave in waves:
        rows = trend[trend["wave"] == wave].set_index(label)
        n_col, v_col = f"{count_name} {wave}", f"{value_name} {wave}"
        wide[n_col] = wide[label].map(rows["n"]).fillna(0).astype(int)
        wide[v_col] = wide[label].map(rows[value]).astype(float)
        counts[v_col] = n_col
    return wide, counts


def reliability_table(
    waves: Mapping[str, pd.DataFrame],
    *,
    codebook: Codebook,
    constructs: Sequence[str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Cronbach's alpha with the Feldt interval of every multi-item scale, per wave.

    Uses :func:`welcome_eval.stats.alpha_for_construct` (reverse keying from
    the codebook, pairwise deletion as psych's ``alpha``). By default every
    construct with at least two Likert or rating items is included.

    Parameters
    ----------
    waves : mapping of str to pandas.DataFrame
        Wave id to its tidy data, oldest first.
    codebook : Codebook
    constructs : sequence of str, optional
        Constructs to report (default: all with ≥ 2 Likert/rating items).
    labels : mapping, optional
        German name per construct (default: the construct id).

    Returns
    -------
    pandas.DataFrame
        One row per construct × wave: ``construct``, ``label``, ``wave``,
        ``n_items``, ``n`` (respondents used), ``alpha``, ``ci_low``,
        ``ci_high`` (95 %), ``rating`` (:func:`alpha_rating`).

    Examples
    --------
    >>> cb = Codebook.for_survey("kommunen")
    >>> df = pd.DataFrame({i: [5.0, 4, 4, 2, 3] for i in cb.items_of(construct="bausteine")})
    >>> t = reliability_table({"2021": df.assign(zuf_beratung=[4.0, 4, 3, 2, 2])}, codebook=cb)
    >>> t[["construct", "n_items", "n", "rating"]].values.tolist()
    [['bausteine', 6, 5, 'exzellent']]
    """
    if not waves:
        raise ValueError("reliability_table needs at least one wave")
    if constructs is None:
        constructs = [
            c
            for c in codebook.constructs
            if sum(codebook[i].type in ("likert", "rating") for i in codebook.items_of(construct=c))
            >= 2
        ]
    rows = []
    for construct in constructs:
        for wave, data in waves.items():
            result = stats.alpha_for_construct(data, construct, codebook=codebook)
            rows.append(
                {
                    "construct": construct,
                    "label": (labels or {}).get(construct, construct),
                    "wave": str(wave),
                    "n_items": result.n_items,
                    "n": result.n,
                    "alpha": result.alpha,
                    "ci_low": result.ci_low,
                    "ci_high": result.ci_high,
                    "rating": alpha_rating(result.alpha),
                }
            )
    columns = ["construct", "label", "wave", "n_items", "n", "alpha", "ci_low", "ci_high"]
    return pd.DataFrame(rows, columns=[*columns, "rating"])


# ---------------------------------------------------------------------------
# comparisons with effect sizes


def _drop_small_groups(
    data: pd.DataFrame, items: list[str], group: str, min_n: int
) -> pd.DataFrame:
    """Answers of groups with fewer than ``min_n`` answers to an item become NaN for that item."""
    out = data[data[group].notna().to_numpy()].copy()
    for item in items:
        counts = out.groupby(group, observed=True)[item].transform("count")
        out.loc[(counts < min_n).to_numpy(), item] = np.nan
    return out


def compare_districts(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    codebook: Codebook,
    group: str = DISTRICT,
    min_n: int = 5,
    leave_out: Sequence[str] = (),
    correction: str = "holm",
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """Do the districts differ? Kruskal–Wallis per item with ε², p adjusted across items.

    Districts with fewer than ``min_n`` answers to an item are left out of
    that item's test (at least 2, because a group of one says nothing about
    the spread and lets one respondent decide), and so are the districts in
    ``leave_out`` (:func:`districts_to_hide`: a test over the others must not
    reveal their numbers). Items with answers from fewer
    than two remaining districts get no test (``NaN``).

    Returns
    -------
    pandas.DataFrame
        One row per item: ``item``, ``item_label``, ``n``, ``k`` (districts
        compared), ``n_min`` (smallest district compared), ``epsilon_sq``,
        ``p_kw``, ``p_adj`` and ``result`` (:func:`describe_difference`,
        undirected, ε² thresholds of :data:`welcome_eval.stats.ETA_SQ_THRESHOLDS`).

    Examples
    --------
    >>> cb = Codebook.for_survey("kommunen")
    >>> df = pd.DataFrame({"district": ["A"] * 6 + ["B"] * 6 + ["C"] * 2,
    ...                    "zuf_gesamt": [1.0, 2, 2, 1, 2, 1, 5, 4, 5, 5, 4, 5, 3, 3]})
    >>> t = compare_districts(df, ["zuf_gesamt"], codebook=cb)
    >>> int(t["k"].iloc[0]), int(t["n_min"].iloc[0]), t["result"].iloc[0][:21]
    (2, 6, 'erhebliche Unterschie')
    """
    items = list(items)
    limit = max(int(min_n), 2)
    kept = ~data[group].astype(object).astype(str).isin([str(d) for d in leave_out])
    usable = _drop_small_groups(data[kept.to_numpy()], items, group, limit)
    rows = []
    tested = []
    for item in items:
        answered = usable[usable[item].notna().to_numpy()]
        sizes = answered.groupby(group, observed=True).size()
        sizes = sizes[sizes > 0]
        row = {"item": item, "item_label": codebook[item].short, "n": int(sizes.sum())}
        row.update({"k": len(sizes), "n_min": int(sizes.min()) if len(sizes) else 0})
        rows.append(row)
        if len(sizes) >= 2:
            tested.append(item)
    table = pd.DataFrame(rows)
    table["epsilon_sq"] = np.nan
    table["p_kw"] = np.nan
    if tested:
        frame = usable.copy()
        frame[group] = frame[group].astype(object)
        result = stats.compare_groups(
            frame, tested, group=group, codebook=codebook, correction="none"
        ).set_index("item")
        table["epsilon_sq"] = table["item"].map(result["epsilon_sq"]).astype(float)
        table["p_kw"] = table["item"].map(result["p_kw"]).astype(float)
    table["p_adj"] = stats.p_adjust(table["p_kw"], correction)
    table["result"] = [
        describe_difference(
            e, p, symbol="ε²", thresholds=stats.ETA_SQ_THRESHOLDS, directed=False, alpha=alpha
        )
        for e, p in zip(table["epsilon_sq"], table["p_adj"], strict=True)
    ]
    return table


def compare_two_groups(
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    group: str,
    first: str,
    second: str,
    codebook: Codebook,
    min_n: int = 5,
    correction: str = "holm",
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """Are the answers of group ``first`` higher than those of ``second``? Mann–Whitney U.

    :func:`welcome_eval.stats.compare_independent` with ``first`` as the
    current and ``second`` as the previous sample: the rank-biserial *r* is
    positive when ``first`` answers higher. An item where either group has
    fewer than ``min_n`` answers is not tested (``NaN``). p-values are
    adjusted across the tested items.

    Returns
    -------
    pandas.DataFrame
        One row per item: ``item``, ``item_label``, ``n_first``, ``n_second``,
        ``n_min``, ``mean_first``, ``mean_second``, ``rank_biserial``,
        ``p_value``, ``p_adj`` and ``result`` (:func:`describe_difference`).

    Examples
    --------
    >>> cb = Codebook.for_survey("kommunen")
    >>> df = pd.DataFrame({"g": ["früh"] * 6 + ["spät"] * 6,
    ...                    "zuf_gesamt": [5.0, 5, 4, 5, 4, 5, 2, 3, 2, 3, 1, 2]})
    >>> t = compare_two_groups(df, ["zuf_gesamt"], group="g", first="früh", second="spät",
    ...                        codebook=cb)
    >>> float(t["rank_biserial"].iloc[0]), t["result"].iloc[0][:17]
    (1.0, 'erheblich höher (')
    """
    items = list(items)
    if group not in data.columns:
        raise KeyError(f"column {group!r} not in data")
    one = data[(data[group] == first).to_numpy()]
    two = data[(data[group] == second).to_numpy()]
    result = stats.compare_independent(one, two, items, correction="none")
    table = pd.DataFrame(
        {
            "item": result["item"],
            "item_label": [codebook[i].short for i in result["item"]],
            "n_first": result["n_current"].astype(int),
            "n_second": result["n_previous"].astype(int),
        }
    )
    table["n_min"] = table[["n_first", "n_second"]].min(axis=1)
    table["mean_first"] = [float(one[i].mean()) for i in items]
    table["mean_second"] = [float(two[i].mean()) for i in items]
    enough = (table["n_min"] >= max(int(min_n), 2)).to_numpy()
    table["rank_biserial"] = result["rank_biserial"].where(enough)
    table["p_value"] = result["p_value"].where(enough)
    table["p_adj"] = stats.p_adjust(table["p_value"], correction)
    table["result"] = [
        describe_difference(r, p, alpha=alpha)
        for r, p in zip(table["rank_biserial"], table["p_adj"], strict=True)
    ]
    return table


def compare_waves(
    current: pd.DataFrame,
    previous: pd.DataFrame,
    items: Sequence[str],
    *,
    codebook: Codebook,
    min_n: int = 5,
    correction: str = "holm",
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """Change of every item since an earlier wave: means, Welch interval, Mann–Whitney and r.

    Combines :func:`welcome_eval.stats.wave_change` (difference of the means
    with the Welch interval) and :func:`welcome_eval.stats.compare_independent`
    (Mann–Whitney U with the rank-biserial *r*, positive when the current wave
    answers higher, p adjusted across items). The waves are independent
    samples. An item with fewer than ``min_n`` answers in either wave is not
    tested (``NaN``, "nicht prüfbar").

    Returns
    -------
    pandas.DataFrame
        One row per item: ``item``, ``item_label``, ``n_previous``,
        ``n_current``, ``n_min``, ``mean_previous``, ``mean_current``,
        ``difference``, ``ci_low``, ``ci_high``, ``rank_biserial``,
        ``p_value`` (Mann–Whitney), ``p_adj`` and ``result``.

    Examples
    --------
    >>> cb = Codebook.for_survey("kommunen")
    >>> prev = pd.DataFrame({"zuf_gesamt": [3.0, 4, 3, 2, 3, 4]})
    >>> cur = pd.DataFrame({"zuf_gesamt": [4.0, 5, 4, 3, 4, 5]})
    >>> t = compare_waves(cur, prev, ["zuf_gesamt"], codebook=cb)
    >>> round(float(t["difference"].iloc[0]), 6), t["result"].iloc[0][:28]
    (1.0, 'kein belastbarer Unterschied')
    """
    items = list(items)
    change = stats.wave_change(current, previous, items)
    ranks = stats.compare_independent(current, previous, items, correction="none")
    enough = (ranks[["n_previous", "n_current"]].min(axis=1) >= max(int(min_n), 2)).to_numpy()
    ranks["rank_biserial"] = ranks["rank_biserial"].where(enough)
    ranks["p_value"] = ranks["p_value"].where(enough)
    ranks["p_adj"] = stats.p_adjust(ranks["p_value"], correction)
    table = change.merge(
        ranks[["item", "rank_biserial", "p_value", "p_adj"]], on="item", suffixes=("_welch", "")
    )
    table.insert(1, "item_label", [codebook[i].short for i in table["item"]])
    table.insert(4, "n_min", table[["n_previous", "n_current"]].min(axis=1).astype(int))
    table["result"] = [
        describe_difference(r, p, alpha=alpha)
        for r, p in zip(table["rank_biserial"], table["p_adj"], strict=True)
    ]
    return table.drop(columns="p_value_welch")


def cohens_h(p_first: float | np.ndarray, p_second: float | np.ndarray) -> float | np.ndarray:
    r"""Cohen's *h*, the effect size of a difference between two shares.

    .. math:: h = 2 \arcsin\sqrt{p_1} - 2 \arcsin\sqrt{p_2}

    Positive when the first share is larger; 0.2 / 0.5 / 0.8 are small /
    medium / large (Cohen 1988, § 6.2). Same as R's ``pwr::ES.h(p1, p2)``.

    Examples
    --------
    >>> round(float(cohens_h(0.65, 0.45)), 6)
    0.40486
    """
    p1, p2 = np.asarray(p_first, dtype=float), np.asarray(p_second, dtype=float)
    if np.any((p1 < 0) | (p1 > 1) | (p2 < 0) | (p2 > 1)):
        raise ValueError("shares must lie between 0 and 1")
    h = 2 * np.arcsin(np.sqrt(p1)) - 2 * np.arcsin(np.sqrt(p2))
    return float(h) if h.ndim == 0 else h


def compare_weighted_shares(
    comparison: pd.DataFrame,
    *,
    correction: str = "holm",
    alpha: float = ALPHA,
) -> pd.DataFrame:
    """Adjusted p-values, Cohen's *h* and the result phrase for a comparison of weighted shares.

    ``comparison`` is a table with ``previous``, ``current`` (shares) and
    ``p_value`` per row, e.g. :func:`welcome_eval.analysis.newcomers.compare_shares`
    (design-based difference of raked shares). Adds ``h``
    (:func:`cohens_h` of current vs previous), ``p_adj`` (adjusted across the
    rows) and ``result`` (:func:`describe_difference` with *h*).

    Examples
    --------
    >>> t = pd.DataFrame({"previous": [0.45, 0.5], "current": [0.65, 0.51],
    ...                   "p_value": [0.0001, 0.7]})
    >>> compare_weighted_shares(t)["result"].tolist()  # doctest: +NORMALIZE_WHITESPACE
    ['etwas höher (Effektstärke h = 0,40; statistisch bedeutsam)',
     'kein belastbarer Unterschied (Effektstärke h = 0,02; statistisch nicht bedeutsam)']
    """
    for column in ("previous", "current", "p_value"):
        if column not in comparison.columns:
            raise KeyError(f"comparison has no column {column!r}; pass compare_shares() output")
    table = comparison.copy()
    table["h"] = cohens_h(table["current"].to_numpy(float), table["previous"].to_numpy(float))
    table["p_adj"] = stats.p_adjust(table["p_value"], correction)
    table["result"] = [
        describe_difference(h, p, symbol="h", thresholds=COHEN_H_THRESHOLDS, alpha=alpha)
        for h, p in zip(table["h"], table["p_adj"], strict=True)
    ]
    return table


# ---------------------------------------------------------------------------
# open answers


def answers_in_random_order(
    data: pd.DataFrame,
    column: str,
    *,
    groups: str,
    unique: bool = False,
    seed: int = 0,
) -> pd.DataFrame:
    """The open answers of a wave and the group of each, shuffled, for ``redact_answers``.

    Returns a table with the columns ``answer`` and ``group``, one row per
    respondent.

    All rows are kept (an empty answer stays ``NaN``), so that
    :func:`welcome_eval.publish.privacy.redact_answers` counts the size of each group
    (e.g. municipality) over all its respondents, not only over those who wrote
    something. The order is random with a fixed ``seed``: it tells nothing
    about who wrote an answer, and every build gives the same order. With
    ``unique=True`` word-for-word repetitions are blanked (the row stays).

    Use as ``a = answers_in_random_order(data, "ideen", groups="ags")`` and
    ``redact_answers(a["answer"], groups=a["group"], min_n=min_n,
    names=codebook.privacy_names)``.

    Examples
    --------
    >>> from welcome_eval.publish.privacy import redact_answers
    >>> df = pd.DataFrame({"ags": ["A"] * 5 + ["B"],
    ...                    "txt": ["x@y.de", None, "gut", "", None, "B!"]})
    >>> a = answers_in_random_order(df, "txt", groups="ags")
    >>> sorted(redact_answers(a["answer"], groups=a["group"], min_n=5))
    ['[entfernt]', 'gut']
    """
    for name in (column, groups):
        if name not in data.columns:
            raise KeyError(f"column {name!r} not in data; columns: {list(data.columns)}")
    texts = data[column].astype(object).where(data[column].notna(), None)
    if unique:
        texts = texts.where(~(texts.notna() & texts.duplicated()), None)
    order = np.random.default_rng(seed).permutation(len(data))
    return pd.DataFrame(
        {
            "answer": texts.iloc[order].to_numpy(dtype=object),
            "group": data[groups].iloc[order].to_numpy(dtype=object),
        }
    )
