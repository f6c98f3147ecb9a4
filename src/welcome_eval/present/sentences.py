"""Plain-German sentences for statistical results: a change between waves and a comparison.

:func:`describe_change` words one row of :func:`welcome_eval.stats.wave_change`,
:func:`describe_comparison` one row of :func:`welcome_eval.stats.compare_groups`,
:func:`~welcome_eval.stats.compare_independent` or
:func:`~welcome_eval.stats.compare_paired`; :func:`format_p` writes a p-value
without rounding it across the significance level. Numbers are German
(:mod:`welcome_eval.present.german_format`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

from welcome_eval._checks import check_conf_level
from welcome_eval.present import german_format
from welcome_eval.stats.comparisons import ETA_SQ_THRESHOLDS, R_THRESHOLDS, check_correction

__all__ = ["describe_change", "describe_comparison", "format_p"]

_EFFECT_WORDS = ("vernachlässigbarer Effekt", "kleiner Effekt", "mittlerer Effekt", "großer Effekt")
_CORRECTION_WORDS = {
    "holm": " nach Holm-Korrektur",
    "fdr_bh": " nach Benjamini-Hochberg-Korrektur",
    "none": "",
}
_COMPARISON_KINDS = ("groups", "independent", "paired")


def format_p(p: float, alpha: float) -> str:
    """``p = 0,03`` / ``p = 0,004`` / ``p < 0,001``, never rounding onto the other side of alpha."""
    if p < 0.001:
        return "p < " + german_format.number(0.001, 3)
    digits = 2 if p >= 0.01 else 3
    while digits < 4 and (round(p, digits) >= alpha) != (p >= alpha):
        digits += 1
    return "p = " + german_format.number(p, digits)


def describe_change(
    row: Mapping[str, object] | pd.Series,
    *,
    item_label: str | None = None,
    subject: str = "Die Zufriedenheit mit „{item_label}“",
    unit: str = "Punkte",
    digits: int = 1,
    conf_level: float = 0.95,
    alpha: float = 0.05,
) -> str:
    """One plain-German sentence describing one row of :func:`~welcome_eval.stats.wave_change`.

    The direction follows the difference rounded to ``digits``: a difference
    that rounds to zero reads "hat sich kaum verändert". The difference is
    called "statistisch auffällig" if ``p_value < alpha``.

    Parameters
    ----------
    row : pandas.Series or mapping
        One row of :func:`~welcome_eval.stats.wave_change` (``difference``, ``ci_low``, ``ci_high``,
        ``p_value``).
    item_label : str, optional
        German label of the item; defaults to ``row["item_label"]`` if present,
        else ``row["item"]``.
    subject : str
        Subject of the sentence; ``{item_label}`` is replaced by the label.
    unit : str, default "Punkte"
        Unit of the difference (scale points).
    digits : int, default 1
        Decimal places of difference and interval.
    conf_level : float, default 0.95
        Confidence level used in :func:`~welcome_eval.stats.wave_change` (only for the wording).
    alpha : float, default 0.05
        Significance level.

    Returns
    -------
    str

    References
    ----------
    Wasserstein, R. L. & Lazar, N. A. (2016). The ASA statement on p-values.
    *The American Statistician* 70(2), 129–133.

    Examples
    --------
    >>> row = pd.Series({"difference": 0.31, "ci_low": 0.12, "ci_high": 0.5, "p_value": 0.012})
    >>> describe_change(row, item_label="Runder Tisch und Erfahrungsaustausch")
    'Die Zufriedenheit mit „Runder Tisch und Erfahrungsaustausch“ ist gegenüber der Vorwelle \
um 0,3 Punkte gestiegen (95-%-KI: 0,1 bis 0,5); der Unterschied ist statistisch auffällig \
(p = 0,01).'
    """
    for key in ("difference", "ci_low", "ci_high", "p_value"):
        if key not in row:
            raise KeyError(f"row has no {key!r}; pass one row of wave_change()")
    if item_label is None:
        item_label = str(row["item_label"] if "item_label" in row else row.get("item", ""))
    check_conf_level(conf_level)
    diff = float(row["difference"])  # type: ignore[arg-type]
    low, high = float(row["ci_low"]), float(row["ci_high"])  # type: ignore[arg-type]
    p_value = float(row["p_value"])  # type: ignore[arg-type]
    head = subject.format(item_label=item_label)
    level = german_format.number(conf_level * 100, 0 if (conf_level * 100).is_integer() else 1)
    ci = (
        f"{level}-%-KI: {german_format.number(low, digits)} bis "
        f"{german_format.number(high, digits)}"
    )
    if math.isnan(diff):
        return f"{head} lässt sich nicht mit der Vorwelle vergleichen (zu wenige Antworten)."
    if round(abs(diff), digits) == 0:
        sentence = (
            f"{head} hat sich gegenüber der Vorwelle kaum verändert "
            f"(Differenz: {german_format.signed(diff, digits)} {unit}; {ci})"
        )
    else:
        verb = "gestiegen" if diff > 0 else "gesunken"
        sentence = (
            f"{head} ist gegenüber der Vorwelle um {german_format.number(abs(diff), digits)} "
            f"{unit} {verb} ({ci})"
        )
    if math.isnan(p_value):
        return sentence + "; ein Test auf einen Unterschied ist nicht möglich."
    if p_value < alpha:
        verdict = f"statistisch auffällig ({format_p(p_value, alpha)})"
        return f"{sentence}; der Unterschied ist {verdict}."
    return sentence + "; der Unterschied ist statistisch nicht auffällig."


def _effect_phrase(symbol: str, value: float, thresholds: tuple[float, ...]) -> str:
    """``ε² = 0,08, mittlerer Effekt``; digits grow so rounding never crosses a threshold."""
    if math.isnan(value):
        return f"{symbol} nicht bestimmbar"
    size = abs(value)
    level = sum(size >= t for t in thresholds)
    digits = 2
    while digits < 4 and any((round(size, digits) >= t) != (size >= t) for t in thresholds):
        digits += 1
    return f"{symbol} = {german_format.number(value, digits)}, {_EFFECT_WORDS[level]}"


def describe_comparison(
    row: Mapping[str, object] | pd.Series,
    *,
    item_label: str | None = None,
    kind: str = "groups",
    alpha: float = 0.05,
    correction: str = "holm",
    test: str = "kruskal",
    between: str = "den Kreisen",
    subject: str = "Die Bewertung von „{item_label}“",
) -> str:
    """One plain-German sentence describing one row of a comparison.

    ``kind`` names the function that produced the row:

    * ``"groups"`` – :func:`~welcome_eval.stats.compare_groups`: the Kruskal–Wallis test with
      ε² (``test="kruskal"``, default) or the one-way ANOVA with η²
      (``test="anova"``), between ``between`` (e.g. "den Größenklassen");
    * ``"independent"`` – :func:`~welcome_eval.stats.compare_independent` (``current`` is the
      current wave, ``previous`` the previous one): Mann–Whitney U with the
      rank-biserial correlation *r*; the direction follows the sign of *r*;
    * ``"paired"`` – :func:`~welcome_eval.stats.compare_paired` (the same municipalities in both
      waves): Wilcoxon signed-rank test with the matched-pairs rank-biserial *r*.

    A result is called "statistisch auffällig" if the *adjusted* p-value
    (``p_kw_adj``, ``p_anova_adj`` or ``p_adj``) is below ``alpha``; the
    sentence names the adjustment, so pass the ``correction`` used for the
    table. p-values are never rounded across ``alpha``.

    Effect sizes are worded with Cohen's (1988) thresholds: η² and ε² 0.01 /
    0.06 / 0.14 (ε² is read on the η² scale; Tomczak & Tomczak 2014), |r| 0.1 /
    0.3 / 0.5 for the rank-biserial correlation: below the first threshold
    "vernachlässigbarer", then "kleiner", "mittlerer", "großer Effekt".
    Values are shown with two decimals, more if two decimals would round
    across a threshold.

    Parameters
    ----------
    row : pandas.Series or mapping
        One row of :func:`~welcome_eval.stats.compare_groups`,
        :func:`~welcome_eval.stats.compare_independent` or
        :func:`~welcome_eval.stats.compare_paired`.
    item_label : str, optional
        German label of the item; defaults to ``row["item_label"]`` if present,
        else ``row["item"]``.
    kind : {"groups", "independent", "paired"}
        Which comparison the row comes from.
    alpha : float, default 0.05
        Significance level for the adjusted p-value.
    correction : {"holm", "fdr_bh", "none"}
        The adjustment used for the table (only for the wording).
    test : {"kruskal", "anova"}
        Which test of a ``"groups"`` row to report.
    between : str, default "den Kreisen"
        The groups in the dative, for ``kind="groups"``.
    subject : str
        Subject of the sentence; ``{item_label}`` is replaced by the label.

    Returns
    -------
    str

    References
    ----------
    Cohen, J. (1988). *Statistical Power Analysis for the Behavioral Sciences*
    (2nd ed.), §§ 3.2, 8.2. Erlbaum. — Tomczak, M. & Tomczak, E. (2014).
    *Trends in Sport Sciences* 21(1), 19–25.

    Examples
    --------
    >>> row = pd.Series({"p_kw_adj": 0.012, "epsilon_sq": 0.08})
    >>> describe_comparison(row, item_label="Beratung durch die Agentur")
    'Die Bewertung von „Beratung durch die Agentur“ unterscheidet sich zwischen den Kreisen \
statistisch auffällig (Kruskal-Wallis-Test, p = 0,01 nach Holm-Korrektur; ε² = 0,08, \
mittlerer Effekt).'
    """
    if kind not in _COMPARISON_KINDS:
        raise ValueError(
            f"kind must be one of {', '.join(map(repr, _COMPARISON_KINDS))}, got {kind!r}"
        )
    check_correction(correction)
    if not (isinstance(alpha, int | float) and 0 < alpha < 1):
        raise ValueError(f"alpha must be between 0 and 1 (e.g. 0.05), got {alpha!r}")
    if kind == "groups":
        if test not in ("kruskal", "anova"):
            raise ValueError(f"test must be 'kruskal' or 'anova', got {test!r}")
        kruskal = test == "kruskal"
        p_key = "p_kw_adj" if kruskal else "p_anova_adj"
        effect_key = "epsilon_sq" if kruskal else "eta_sq"
        source = "compare_groups()"
    else:
        p_key, effect_key = "p_adj", "rank_biserial"
        source = f"compare_{kind}()"
    for key in (p_key, effect_key):
        if key not in row:
            raise KeyError(f"row has no {key!r}; pass one row of {source} (kind={kind!r})")
    if item_label is None:
        item_label = str(row["item_label"] if "item_label" in row else row.get("item", ""))
    head = subject.format(item_label=item_label)
    p_value = float(row[p_key])  # type: ignore[arg-type]
    effect = float(row[effect_key])  # type: ignore[arg-type]

    if kind == "groups":
        name = "Kruskal-Wallis-Test" if test == "kruskal" else "einfaktorielle Varianzanalyse"
        effect_text = _effect_phrase("ε²" if test == "kruskal" else "η²", effect, ETA_SQ_THRESHOLDS)
    else:
        name = "Mann-Whitney-U-Test" if kind == "independent" else "Wilcoxon-Vorzeichen-Rang-Test"
        effect_text = _effect_phrase("r", effect, R_THRESHOLDS)
    if math.isnan(p_value):
        if kind == "groups":
            return f"{head} lässt sich zwischen {between} nicht vergleichen (zu wenige Antworten)."
        if kind == "independent":
            return f"{head} lässt sich nicht mit der Vorwelle vergleichen (zu wenige Antworten)."
        return (
            f"{head} lässt sich bei denselben Kommunen nicht mit der Vorwelle vergleichen "
            "(zu wenige Paare mit einer Veränderung)."
        )
    details = f"({name}, {format_p(p_value, alpha)}{_CORRECTION_WORDS[correction]}; {effect_text})"
    significant = p_value < alpha
    verdict = "statistisch auffällig" if significant else "statistisch nicht auffällig"
    if kind == "groups":
        return f"{head} unterscheidet sich zwischen {between} {verdict} {details}."
    same = " bei denselben Kommunen" if kind == "paired" else ""
    if significant and effect != 0 and not math.isnan(effect):
        direction = "höher" if effect > 0 else "niedriger"
        return (
            f"{head} fällt{same} in der aktuellen Welle statistisch auffällig {direction} aus "
            f"als in der Vorwelle {details}."
        )
    return (
        f"{head} unterscheidet sich{same} zwischen aktueller Welle und Vorwelle {verdict} "
        f"{details}."
    )
