"""The reports' German vocabulary: one header and one number format per English column name.

The library returns tidy English column names (``n``, ``share``, ``ci_low``, ...); the
German headers and formats are applied only when a table is shown
(:meth:`welcome_eval.sections.report.Report.table`). One column name has one German
header in every report; where a table must say something else (``label`` is the answer
of a question in one table and a scale in another), the table passes an override, and
overrides that recur are named sets here (:data:`EARLY_LATE`, :data:`RELIABILITY`, ...).

Bounds of a confidence interval (``ci_low``, ``ci_high``) take the format of the estimate
they belong to (a share in percent, a mean or alpha with two decimals).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from types import MappingProxyType

from welcome_eval.present import german_format as de

__all__ = [
    "DISTRICT_TEST",
    "EARLY_LATE",
    "EARLY_LATE_FORMATS",
    "ESTIMATES",
    "FORMATS",
    "GEMEINDE",
    "HEADERS",
    "KOMMUNEN",
    "MISSING",
    "NEUBUERGER",
    "RELIABILITY",
    "RESULTS",
    "SATISFIED",
    "Format",
    "formats",
    "headers",
    "p_value",
    "percent_one",
    "points_one",
    "signed_two",
    "two",
]

Format = Callable[[object], str]


def two(value: object) -> str:
    """A number with two decimals: ``3,45``."""
    return de.number(value, 2)  # type: ignore[arg-type]


def signed_two(value: object) -> str:
    """A difference with sign and two decimals: ``+0,25``."""
    return de.signed(value, 2)  # type: ignore[arg-type]


def p_value(value: object) -> str:
    """A p-value with three decimals, below 0.001 as ``< 0,001``."""
    return "< 0,001" if value < 0.001 else de.number(value, 3)  # type: ignore[operator,arg-type]


def percent_one(value: object) -> str:
    """A share in percent with one decimal: ``12,5 %``."""
    return de.percent(value, 1)  # type: ignore[arg-type]


def points_one(value: object) -> str:
    """A difference of shares in percentage points with sign and one decimal: ``+3,2``."""
    return de.signed(value * 100, 1)  # type: ignore[operator]


#: German header of each English column name, the same in every report.
HEADERS: Mapping[str, str] = MappingProxyType(
    {
        # what a row is about
        "item_label": "Frage",
        "label": "Antwort",
        "district": "Kreis",
        "wave": "Welle",
        # how many stand behind a value
        "n": "Antwortende",
        "n_valid": "gültige Antworten",
        "n_min": "Antworten (kleinere Welle)",
        "respondents": "Antwortende",
        "valid": "gültig",
        "k": "verglichene Kreise",
        "n_items": "Fragen",
        # participation
        "municipalities": "Kommunen",
        "participating": "teilnehmend",
        "responding": "mit Antwort",
        "response_rate": "Rücklauf",
        # sample of the newcomer survey
        "population": "Neuzugezogene",
        "sampled": "Stichprobe",
        "selection_probability": "Auswahlquote",
        "population_share": "Anteil Neuzugezogene",
        "respondent_share": "Anteil Antworten",
        # weighted estimates
        "unweighted": "ungewichtet",
        "design_weighted": "designgewichtet",
        "raked": "kalibriert",
        "raked_mean": "Mittelwert, kalibriert",
        "raked_used": "genutzt",
        # models
        "odds_ratio": "Odds Ratio",
        "or_low": "KI unten",
        "or_high": "KI oben",
        "p_value": "p-Wert",
        "performance": "Mittelwert (1–5)",
        "importance": "Wichtigkeit",
        "quadrant": "Feld",
        # estimates and their intervals
        "share": "Anteil",
        "mean": "Mittelwert (1–5)",
        "ci_low": "KI unten",
        "ci_high": "KI oben",
        "ci_low_mean": "Mittelwert: KI unten",
        "ci_high_mean": "Mittelwert: KI oben",
        "survival": "Anteil",
        "incidence": "Anteil (kumulativ)",
        "households": "Haushalte",
        "alpha": "Cronbachs Alpha",
        "rating": "Bewertung",
        "difference": "Veränderung",
        "result": "Ergebnis",
    }
)

#: Number format of each English column name (columns not named here are shown as text).
FORMATS: Mapping[str, Format] = MappingProxyType(
    {
        "n": de.integer,
        "n_valid": de.integer,
        "n_min": de.integer,
        "respondents": de.integer,
        "valid": de.integer,
        "k": de.integer,
        "n_items": de.integer,
        "municipalities": de.integer,
        "participating": de.integer,
        "responding": de.integer,
        "response_rate": de.percent,
        "population": de.integer,
        "sampled": de.integer,
        "selection_probability": percent_one,
        "population_share": de.percent,
        "respondent_share": de.percent,
        "unweighted": de.percent,
        "design_weighted": de.percent,
        "raked": de.percent,
        "raked_mean": two,
        "raked_used": de.percent,
        "odds_ratio": two,
        "or_low": two,
        "or_high": two,
        "p_value": p_value,
        "performance": two,
        "importance": two,
        "share": de.percent,
        "survival": percent_one,
        "incidence": percent_one,
        "households": de.integer,
        "mean": two,
        "ci_low_mean": two,
        "ci_high_mean": two,
        "alpha": two,
        "difference": signed_two,
    }
)

#: Estimates whose interval bounds ``ci_low``/``ci_high`` take their format, first match wins.
ESTIMATES: tuple[str, ...] = ("share", "raked", "survival", "incidence", "alpha", "mean")

# Overrides that recur -------------------------------------------------------------------

#: Kommunenbefragung: the items are the programme's building blocks, the share is Top-2.
KOMMUNEN: Mapping[str, str] = MappingProxyType(
    {"item_label": "Baustein", "share": "zufrieden (Top-2)", "response_rate": "Rücklauf (Kommunen)"}
)
#: Municipal report (benchmark tables): the vocabulary with these overrides. The audit of
#: the published set (:func:`welcome_eval.publish.disclosure_plan.published_from_reports`)
#: finds the own values, the district values and the change table by their headers
#: ("Merkmal, Antworten, Ihre Kommune, KI von, KI bis"; "Antworten <Welle>"): these stay as
#: the audit reads them, not the vocabulary's "Antwortende" and "KI unten"/"KI oben".
GEMEINDE: Mapping[str, str] = MappingProxyType(
    {
        "n": "Antworten",
        "ci_low": "KI von",
        "ci_high": "KI bis",
        "label": "Merkmal",
        "value": "Ihre Kommune",
        "peers": "Vergleichskommunen",
        "q1": "unteres Quartil",
        "median": "Median",
        "q3": "oberes Quartil",
        "position": "Einordnung",
        "dimension_label": "Handlungsfeld",
        "level_label": "Stufe",
        "peer_q1": "unteres Quartil",
        "peer_median": "Median",
        "peer_q3": "oberes Quartil",
    }
)
#: Neubürgerbefragung: calibrated (raked) Top-2 shares.
NEUBUERGER: Mapping[str, str] = MappingProxyType({"share": "Top-2 (kalibriert)"})

#: Results of the newcomer survey (a share of one answer or offer) as rows.
RESULTS: Mapping[str, str] = MappingProxyType({"item_label": "Ergebnis"})

#: Satisfied among those who used an offer or rated an area, unweighted and calibrated.
SATISFIED: Mapping[str, str] = MappingProxyType(
    {"unweighted": "zufrieden, ungewichtet", "raked": "zufrieden, kalibriert"}
)

#: Municipalities that joined in the start phase against those that joined later
#: (:func:`welcome_eval.analysis.regional.compare_two_groups` with ``JOINED``).
EARLY_LATE: Mapping[str, str] = MappingProxyType(
    {
        "n_first": "Antworten Startphase",
        "mean_first": "Mittelwert Startphase",
        "n_second": "Antworten später",
        "mean_second": "Mittelwert später",
        "result": "Startphase im Vergleich",
    }
)
EARLY_LATE_FORMATS: Mapping[str, Format] = MappingProxyType(
    {"n_first": de.integer, "mean_first": two, "n_second": de.integer, "mean_second": two}
)

#: Cronbach's alpha per scale and wave (:func:`welcome_eval.analysis.regional.reliability_table`).
RELIABILITY: Mapping[str, str] = MappingProxyType({"label": "Skala"})

#: Districts compared (:func:`welcome_eval.analysis.regional.compare_districts`).
DISTRICT_TEST: Mapping[str, str] = MappingProxyType({"result": "Unterschied zwischen den Kreisen"})

#: Answers per question (:meth:`welcome_eval.ingest.wave.Wave.missing_summary`).
MISSING: Mapping[str, str] = MappingProxyType({"item_label": "Frage"})


def headers(
    columns: list[str] | tuple[str, ...] | object,
    *overrides: Mapping[str, str] | None,
) -> dict[str, str]:
    """German header of each column: the vocabulary, then each override in turn.

    A column the vocabulary does not know keeps its name (tables built in German,
    e.g. :func:`welcome_eval.ingest.validation.issue_summary`).

    >>> headers(["item_label", "n", "Anzahl"], {"item_label": "Baustein"})
    {'item_label': 'Baustein', 'n': 'Antwortende', 'Anzahl': 'Anzahl'}
    """
    merged: dict[str, str] = dict(HEADERS)
    for override in overrides:
        merged.update(override or {})
    return {str(c): merged.get(str(c), str(c)) for c in columns}  # type: ignore[attr-defined]


def formats(
    columns: list[str] | tuple[str, ...] | object,
    *overrides: Mapping[str, Format] | None,
) -> dict[str, Format]:
    """Number format of each column that has one: the vocabulary, interval bounds after
    their estimate, then each override in turn.

    >>> sorted(formats(["share", "ci_low", "Frage"]))
    ['ci_low', 'share']
    >>> formats(["alpha", "ci_low"])["ci_low"](0.812)
    '0,81'
    """
    names = [str(c) for c in columns]  # type: ignore[attr-defined]
    merged: dict[str, Format] = dict(FORMATS)
    estimate = next((e for e in ESTIMATES if e in names), None)
    if estimate is not None:
        merged["ci_low"] = merged["ci_high"] = FORMATS[estimate]
    for override in overrides:
        merged.update(override or {})
    return {c: merged[c] for c in names if c in merged}
