"""Sections of the regional report of the welcome-culture checklist
(``notebooks/checkliste_welle.ipynb``): the municipalities' self-assessment, counted in
municipalities, never persons. Each function shows one section through a
:class:`~welcome_eval.sections.report.Report`.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from welcome_eval.present import german_format as de
from welcome_eval.present.markup import md_code, md_escape
from welcome_eval.publish.display import show_list, show_text
from welcome_eval.sections.report import Report

__all__ = [
    "HEADERS",
    "catalogue_examples",
    "data_basis",
    "most_missing",
    "progress",
    "region",
    "scoring",
]

#: The checklist report's headers: its rows count municipalities, its items are offers.
HEADERS = {
    "n": "Kommunen",
    "item_label": "Angebot",
    "dimension_label": "Bereich",
    "district": "Kreis",
    "group": "Kreis",
}


def _whole(value: object) -> str:
    return de.number(value, 0)  # type: ignore[arg-type]


def _one(value: object) -> str:
    return de.number(value, 1)  # type: ignore[arg-type]


def _signed_one(value: object) -> str:
    return de.signed(value, 1)  # type: ignore[arg-type]


def scoring(report: Report, rule: object, codebook: object) -> None:
    """ "So wird gezählt": points per answer (a table of the rule, no data), how the
    scores and maturity levels follow from them."""
    from welcome_eval.publish.privacy import not_personal

    answer_labels = codebook[rule.all_items[0]].values  # type: ignore[attr-defined,index]
    order = sorted(rule.points, reverse=True)  # type: ignore[attr-defined]
    points = pd.DataFrame(
        {
            "Antwort": [answer_labels[c] for c in order],
            "Punkte": [rule.points[c] for c in order],  # type: ignore[attr-defined]
        }
    )
    maturity = rule.maturity  # type: ignore[attr-defined]
    bounds = [b for _, b, _ in maturity] + [None]
    levels = ", ".join(
        f"{label} ({de.integer(low)} bis unter {de.integer(high)})"
        if high is not None
        else f"{label} (ab {de.integer(low)})"
        for (_, low, label), high in zip(maturity, bounds[1:], strict=True)
    )
    show_text(
        f"Die Checkliste umfasst {len(rule.all_items)} Angebote in "  # type: ignore[attr-defined]
        f"{len(rule.dimensions)} Bereichen. "  # type: ignore[attr-defined]
        f"Jede Antwort bringt Punkte (Tabelle {report.captions.upcoming('Tabelle')}); der "
        "**Punktwert eines Bereichs** ist der "
        "Durchschnitt der Punkte seiner beantworteten Angebote mal 100 (0 bis 100). „Geplant“ "
        "zählt noch nicht: Der Punktwert beschreibt, was Neuzugezogene heute vorfinden. Der "
        "**Gesamtwert** ist der Durchschnitt der Bereiche, jeder Bereich zählt gleich. Aus dem "
        f"Punktwert folgt der **Reifegrad**: {levels}."
    )
    report.table(
        not_personal(points, "Bewertungsregel der Checkliste, keine Daten"),
        "Punkte je Antwort",
        formats={"Punkte": _one},
    )


def region(report: Report, current: pd.DataFrame, rule: object, *, wave: str) -> pd.Series:
    """ "Wo die Region steht": mean scores per district and dimension (heat map and table),
    the most and least advanced dimension, municipalities per maturity level.

    Returns the dimensions' mean scores, weakest first.
    """
    from welcome_eval.analysis import checklist
    from welcome_eval.present.figures import checklist as figures_checklist
    from welcome_eval.publish.privacy import not_personal, protect

    matrix = protect(
        checklist.district_matrix(current), counts="n", min_n=report.min_n, totals=["Südwestfalen"]
    )
    long = matrix.table.melt(
        id_vars=["group", "n"], var_name="dimension_label", value_name="mean_score"
    )
    ax = figures_checklist.heatmap(long, x="group", y="dimension_label", value="mean_score")
    report.figure(
        ax,
        f"Mittlerer Punktwert (0–100) je Bereich der Checkliste und Kreis, "
        f"Welle {wave}. Grau mit Punkt: nicht ausgewiesen.",
        alt="Farbige Tabelle der mittleren Punktwerte: Zeilen sind die Bereiche der Checkliste, "
        "Spalten die Kreise und Südwestfalen insgesamt; dunkle Felder bedeuten wenig, helle viel.",
        data=matrix,
    )
    dimensions = [c for c in matrix.table.columns if c not in ("group", "n")]
    report.table(
        matrix,
        f"Mittlerer Punktwert je Kreis und Bereich, Welle {wave}",
        headers=HEADERS,
        formats=dict.fromkeys(dimensions, _whole),
    )
    weakest = (
        current[current["dimension"] != checklist.OVERALL]
        .groupby("dimension", sort=False)["score"]
        .mean()
        .sort_values()
    )
    names = rule.dimensions  # type: ignore[attr-defined]
    show_text(
        "Am weitesten sind die Kommunen im Bereich "
        f"**{md_escape(names[weakest.index[-1]])}** "
        f"(im Mittel {de.number(weakest.iloc[-1], 0)} Punkte), am wenigsten weit im Bereich "
        f"**{md_escape(names[weakest.index[0]])}** "
        f"({de.number(weakest.iloc[0], 0)} "
        "Punkte)."
    )
    levels = checklist.level_distribution(current, rule)  # type: ignore[arg-type]
    report.table(
        not_personal(levels, "Zahl der Kommunen je Reifegrad, regionsweit und ohne Namen"),
        f"Kommunen je Reifegrad und Bereich, Welle {wave}",
        headers=HEADERS,
        numeric=tuple(c for c in levels.columns if c != "dimension_label"),
    )
    return weakest


def most_missing(report: Report, wave: object, rule: object, *, top: int = 10) -> None:
    """ "Was am häufigsten fehlt": the offers most often missing or only planned, and the
    municipalities' notes on the three most often missing (redacted, without names)."""
    from welcome_eval.analysis import checklist
    from welcome_eval.present.figures import checklist as figures_checklist
    from welcome_eval.publish.privacy import not_personal, redact_answers

    data = wave.data  # type: ignore[attr-defined]
    missing = checklist.most_missing(data, wave.codebook, top=top)  # type: ignore[attr-defined]
    ax = figures_checklist.missing_items_plot(missing)
    report.figure(
        ax,
        "Die zehn Angebote, die am häufigsten nicht vorhanden oder erst geplant "
        f"sind (Anteil der Kommunen mit Antwort), Welle {wave.manifest.wave}.",  # type: ignore[attr-defined]
        alt="Balkendiagramm der zehn am häufigsten fehlenden Angebote; der hellere Teil jedes "
        "Balkens ist der Anteil, der geplant ist.",
        data=not_personal(missing, "Zahl der Kommunen je Angebot, regionsweit; keine Personen"),
    )
    report.table(
        not_personal(missing, "Zahl der Kommunen je Angebot, regionsweit; keine Personen"),
        "Am häufigsten fehlende Angebote",
        headers=HEADERS,
        columns=["item_label", "dimension_label", "n", "share_missing", "share_planned"],
        formats={"share_missing": de.percent, "share_planned": de.percent},
        n="Kommunen mit Antwort",
        share_missing="fehlt",
        share_planned="davon geplant",
    )
    notes = [
        answer
        for item in missing["item"].head(3)
        for answer in redact_answers(
            data[f"{item}_notiz"]
            .where(data[item].isin(rule.missing_answers))  # type: ignore[attr-defined]
            .dropna()
        )
    ]
    if notes:
        show_text(
            "Anmerkungen der Kommunen zu den drei am häufigsten fehlenden Angeboten (ohne "
            "Zuordnung zu Kommunen; Kontaktangaben entfernt):"
        )
        show_list(redact_answers(pd.Series(sorted(set(notes)))), css_class="ideas")


def catalogue_examples(dimensions: Sequence[str], *, catalogue_page: str) -> None:
    """Examples from the catalogue for the region's weakest dimensions (nothing if none)."""
    from welcome_eval.analysis.catalogue import matching_examples, read_catalogue

    examples = matching_examples(read_catalogue(), list(dimensions), limit=3)
    if not len(examples):
        return
    lines = [
        f"- [{md_escape(row['title'])}]({catalogue_page}#{row['anchor']}) – "
        f"{md_escape(row['name'])}, "
        f"{row['year']}, {md_escape(row['category_label'])}: *{md_escape(row['outcome_label'])}*"
        for _, row in examples.iterrows()
    ]
    show_text(
        "Beispiele aus dem [Katalog guter – und gescheiterter – Beispiele]"
        f"({catalogue_page}) zu den beiden schwächsten Bereichen der Region:\n\n" + "\n".join(lines)
    )


def progress(
    report: Report,
    history: pd.DataFrame,
    current: pd.DataFrame,
    record: pd.DataFrame,
    *,
    wave: str,
    previous: Sequence[object],
) -> None:
    """ "Fortschritt seit der letzten Selbsteinschätzung": each municipality against its own
    last checklist, the region's mean per wave, the overall score by time of joining."""
    from welcome_eval.analysis import checklist
    from welcome_eval.analysis.programme import join_cohort
    from welcome_eval.present.figures import checklist as figures_checklist
    from welcome_eval.publish.privacy import protect

    if not previous:
        show_text("Dies ist die erste Welle der Checkliste; ein Vergleich ist noch nicht möglich.")
        return
    min_n = report.min_n
    changes = checklist.progress(history, wave=wave)
    summary = protect(checklist.progress_summary(changes), counts="n", min_n=min_n)
    with_earlier = int(
        changes.loc[changes["dimension"] == checklist.OVERALL, "change"].notna().sum()
    )
    show_text(
        f"{de.integer(with_earlier)} der {de.integer(current['ags'].nunique())} Kommunen hatten "
        "die Checkliste schon früher ausgefüllt. Verglichen wird jede Kommune mit ihrer eigenen "
        "letzten Selbsteinschätzung (Veränderung in Punkten auf der Skala 0–100)."
    )
    report.table(
        summary,
        "Veränderung seit der letzten Selbsteinschätzung",
        headers=HEADERS,
        columns=["dimension_label", "n", "mean_change", "median_change", "improved", "worse"],
        formats={
            "mean_change": _signed_one,
            "median_change": _signed_one,
            "improved": de.percent,
            "worse": de.percent,
        },
        mean_change="mittlere Veränderung",
        median_change="Median der Veränderung",
        improved="verbessert",
        worse="verschlechtert",
    )
    trend = protect(checklist.wave_trend(history), counts="n", min_n=min_n)
    ax = figures_checklist.progress_plot(trend.table)
    report.figure(
        ax,
        "Mittlerer Punktwert je Bereich in allen bisherigen Wellen der "
        "Checkliste (alle Kommunen, die in der jeweiligen Welle teilgenommen haben).",
        alt="Liniendiagramm: je Bereich eine Linie der mittleren Punktwerte über die Wellen.",
        data=trend,
    )
    cohorts = current.assign(
        cohort=join_cohort(current["ags"].map(record.set_index("ags")["joined"]))
    )
    by_cohort = protect(
        checklist.district_overview(
            cohorts[cohorts["dimension"] == checklist.OVERALL], by="cohort"
        ),
        counts="n",
        min_n=min_n,
    )
    report.table(
        by_cohort,
        f"Gesamtwert nach Zeitpunkt des Beitritts, Welle {wave}",
        headers=HEADERS,
        columns=["cohort", "n", "mean_score", "median_score"],
        formats={"mean_score": _whole, "median_score": _whole},
        cohort="Beitritt",
        mean_score="mittlerer Gesamtwert",
        median_score="Median",
    )


def data_basis(report: Report, wave: object) -> None:
    """ "Datengrundlage": checklists read, accepted and set aside, and the validation
    results by rule (counts of checklists, no persons)."""
    from welcome_eval.ingest.validation import issue_summary
    from welcome_eval.publish.privacy import not_personal

    counts = wave.counts  # type: ignore[attr-defined]
    show_text(
        f"Aus der Datei {md_code(wave.provenance['file'])} wurden "  # type: ignore[attr-defined]
        f"{de.integer(counts['read'])} Checklisten "
        f"gelesen: {de.integer(counts['accepted'])} ohne Beanstandung übernommen, "
        f"{de.integer(counts['accepted_with_flags'])} mit Hinweis übernommen und "
        f"{de.integer(counts['quarantined'])} wegen fehlerhafter Angaben zurückgestellt."
    )
    problems = issue_summary(wave.issues, wave.codebook)  # type: ignore[attr-defined]
    if len(problems):
        report.table(
            not_personal(problems, "Prüfergebnisse nach Regel, keine Personen"),
            "Prüfergebnisse nach Regel",
            formats={"Anzahl": de.integer},
        )
