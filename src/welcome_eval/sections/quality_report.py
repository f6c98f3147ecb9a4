"""Sections of the report "Datenqualität und Methoden" (``notebooks/qualitaet.ipynb``) for a
wave of any survey: the delivered file, the validation, missing answers, response by
district, weighting and the methods. Each function shows one section through a
:class:`~welcome_eval.sections.report.Report`.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import NamedTuple

from welcome_eval.present import german_format as de
from welcome_eval.present import vocabulary
from welcome_eval.present.markup import md_code, md_escape
from welcome_eval.publish.display import show_text
from welcome_eval.sections.report import Report

__all__ = [
    "COUNTS_REASON",
    "Units",
    "districts",
    "intake",
    "introduction",
    "methods",
    "missing",
    "outcomes",
    "reasons",
    "units",
    "waves",
    "weighting",
]

#: Why the validation counts are shown in full (not_personal): counts of records of the
#: whole wave per outcome or rule, without values, identifiers or any breakdown.
COUNTS_REASON = (
    "Zählungen von Datensätzen der ganzen Welle je Prüfergebnis bzw. Prüfregel, ohne Werte, "
    "Kennungen oder Gliederung nach Merkmalen der Personen"
)


class Units(NamedTuple):
    """What one record is, in the report's sentences and the response table."""

    plural: str
    dative: str
    column: str


_UNITS = {
    "register": Units("Personen", "Personen", "Personen im Auszug"),
    "checkliste": Units("Checklisten", "Checklisten", "Checklisten"),
}


def units(survey: str) -> Units:
    """A person in the register extract, a municipality's checklist, else an answer.

    >>> units("register").column, units("kommunen").dative
    ('Personen im Auszug', 'Antwortenden')
    """
    return _UNITS.get(survey, Units("Antwortende", "Antwortenden", "Antwortende"))


def _one(value: object) -> str:
    return de.number(value, 1)  # type: ignore[arg-type]


def _two(value: object) -> str:
    return de.number(value, 2)  # type: ignore[arg-type]


def _signed_whole(value: object) -> str:
    return de.signed(value, 0)  # type: ignore[arg-type]


def introduction(wave: object, *, weighted: bool, min_n: int) -> None:
    """Title and what the report documents (with weighting for a weighted survey, with the
    link to the wave's report where there is one)."""
    from welcome_eval.analysis import quality

    m = wave.manifest  # type: ignore[attr-defined]
    survey = wave.survey  # type: ignore[attr-defined]
    weighting_part = ", wie gewichtet wurde und was die Gewichtung bewirkt" if weighted else ""
    link = (
        " Die Ergebnisse selbst stehen im [Bericht zu dieser Welle](bericht.html)."
        if quality.wave_report_exists(survey)
        else ""
    )
    show_text(
        f"# Datenqualität und Methoden: {md_escape(m.title)}\n\n"
        f"Dieser Bericht dokumentiert für die Welle {m.wave}, welche Daten geliefert wurden, wie "
        "sie geprüft wurden, was übernommen und was zurückgestellt wurde und wie vollständig die "
        f"Angaben sind{weighting_part}. Er nennt die Methoden, mit denen die Ergebnisse "
        f"berechnet werden, mit Literatur.{link}\n\n"
        "Der Bericht enthält keine Einzelangaben: keine Antworten, keine Zeilennummern, keine "
        "Kennungen. Er zeigt Zählungen für die ganze Welle und Werte für Gruppen mit mindestens "
        f"{min_n} {units(survey).dative}."
    )


def intake(report: Report, wave: object) -> None:
    """ "Gelieferte Datei": name, format, size and checksum of the file and how it was read."""
    from welcome_eval.analysis import quality
    from welcome_eval.publish.privacy import not_personal

    checked = (
        "Ihre Prüfsumme (SHA-256) stimmt mit der im Manifest der Welle überein: Ausgewertet wurde "
        "genau die dort verzeichnete Datei."
        if wave.manifest.sha256  # type: ignore[attr-defined]
        else "Das Manifest der Welle nennt keine Prüfsumme; die berechnete steht in der Tabelle, "
        "damit sich spätere Lieferungen vergleichen lassen."
    )
    show_text(
        f"Geliefert wurde die Datei {md_code(wave.provenance['file'])}. "  # type: ignore[attr-defined]
        + checked
        + " Zeichenkodierung, Trennzeichen und Tabellenblatt wurden beim Einlesen erkannt, sofern "
        "das Manifest sie nicht vorgibt."
    )
    report.table(
        not_personal(
            quality.intake_summary(wave)[["label", "value"]],  # type: ignore[arg-type]
            "Angaben zur gelieferten Datei (Name, Format, Größe, Prüfsumme), keine Personen",
        ),
        "Die gelieferte Datei und wie sie gelesen wurde",
        label="Angabe",
        value="Wert",
    )


def outcomes(report: Report, wave: object) -> None:
    """Records read, accepted, flagged and set aside (sentence, table, figure). Counts of
    the whole wave, shown in full (see :data:`COUNTS_REASON`)."""
    from welcome_eval.analysis import quality
    from welcome_eval.present.figures import quality as figures_quality
    from welcome_eval.publish.privacy import not_personal

    result = quality.outcome_counts(wave)  # type: ignore[arg-type]
    read = result.set_index("status")["records"]
    show_text(
        f"Gelesen wurden **{de.integer(read['read'])} Datensätze**: "
        f"{de.integer(read['accepted'])} ohne Beanstandung übernommen, "
        f"{de.integer(read['accepted_with_flags'])} mit Hinweis übernommen und "
        f"{de.integer(read['quarantined'])} zurückgestellt. Ausgewertet werden damit "
        f"{de.integer(read['accepted'] + read['accepted_with_flags'])} Datensätze."
    )
    report.table(
        not_personal(result[["label", "records", "share"]], COUNTS_REASON),
        "Datensätze nach Ergebnis der Prüfung",
        formats={"records": de.integer, "share": vocabulary.percent_one},
        label="Ergebnis der Prüfung",
        records="Datensätze",
    )
    bars = result[result["status"] != "read"]
    report.figure(
        figures_quality.outcome_bars(bars),
        "Datensätze ohne Beanstandung, mit Hinweis und zurückgestellt (Anzahl).",
        alt=(
            "Balkendiagramm: "
            + "; ".join(f"{r.label} {de.integer(r.records)}" for r in bars.itertuples())
            + "."
        ),
        data=not_personal(bars, COUNTS_REASON),
    )


def reasons(report: Report, wave: object) -> None:
    """Why records were set aside or flagged (each record once), and the findings per
    validation rule."""
    from welcome_eval.analysis import quality
    from welcome_eval.publish.privacy import not_personal

    why = quality.reasons_by_outcome(wave)  # type: ignore[arg-type]
    rules = quality.rule_counts(wave)  # type: ignore[arg-type]
    if why.empty:
        show_text("Kein Datensatz wurde zurückgestellt oder mit einem Hinweis versehen.")
    else:
        show_text(
            "Warum Datensätze zurückgestellt oder markiert wurden (jeder Datensatz zählt einmal; "
            f"wer gegen mehrere Regeln verstößt, steht unter „{quality.SEVERAL_RULES_DE}“). Die "
            "betroffenen Datensätze stehen mit Zeile, Spalte, Wert und Regel in der Prüfliste "
            "(`validation.csv`), die an die Stelle zurückgeht, die die Daten geliefert hat; dieser "
            "Bericht nennt nur ihre Zahl."
        )
        report.table(
            not_personal(why[["outcome", "reason", "records"]], COUNTS_REASON),
            "Zurückgestellte und markierte Datensätze nach Grund",
            formats={"records": de.integer},
            outcome="Ergebnis",
            reason="Grund",
            records="Datensätze",
        )
    if rules.empty:
        return
    consequence = {"error": "zurückgestellt", "warning": "Hinweis"}
    table = rules.assign(
        consequence=[
            "betrifft die Datei" if s == "file" else consequence[v]
            for s, v in zip(rules["scope"], rules["severity"], strict=True)
        ]
    )[["label", "consequence", "problems", "records"]]
    report.table(
        not_personal(table, COUNTS_REASON),
        "Befunde je Prüfregel (ein Datensatz kann gegen mehrere Regeln verstoßen und eine "
        "Regel in mehreren Spalten verletzen)",
        formats={"problems": de.integer, "records": de.integer},
        label="Prüfregel",
        consequence="Folge",
        problems="Befunde",
        records="betroffene Datensätze",
    )


def missing(report: Report, wave: object) -> None:
    """Valid and missing answers per question (table; the three with most missing answers
    and a figure where any are missing). Every row covers all accepted records of the wave,
    the group of the wave report's answer distributions: cells are shown when n >= min_n."""
    from welcome_eval.analysis import quality
    from welcome_eval.present.figures import quality as figures_quality
    from welcome_eval.publish.privacy import protect

    table = quality.missing_by_item(wave)  # type: ignore[arg-type]
    codes = quality.missing_categories(table)
    gated = protect(table.drop(columns="item"), counts="n", min_n=report.min_n)
    report.table(
        gated,
        "Gültige und fehlende Angaben je Frage (Anzahl Datensätze)",
        formats={
            **dict.fromkeys(["n", "valid", *codes, "missing"], de.integer),
            "missing_share": vocabulary.percent_one,
        },
        item_label="Frage",
        n="Datensätze",
        no_answer="leer",
        missing="fehlend",
        missing_share="Anteil fehlend",
    )
    # only items whose counts are shown (a hidden row compares as False)
    with_gaps = gated.table[gated.table["missing"] > 0]
    if wave.survey == "register":  # type: ignore[attr-defined]
        show_text(
            "Im Registerauszug ist das Ziel des Wegzugs bei allen leer, die am Stichtag noch in "
            "ihrer Kommune gemeldet sind; das ist keine Lücke in den Daten."
        )
    if not len(with_gaps):
        if not gated.any_suppressed:
            show_text("Bei keiner Frage fehlen Angaben.")
        return
    most = with_gaps.sort_values("missing_share", ascending=False).head(3)
    show_text(
        "Die meisten fehlenden Angaben haben: "
        + "; ".join(
            f"{md_escape(r['item_label'])} ({de.percent(r['missing_share'], 1)})"
            for _, r in most.iterrows()
        )
        + "."
    )
    ax = figures_quality.missing_bars(
        with_gaps, y="item_label", n="n", categories=codes, labels={"no_answer": "leer"}
    )
    report.figure(
        ax,
        "Anteil fehlender Angaben je Frage, nach Art (Code für fehlende Werte oder leere "
        "Zelle); Fragen ohne fehlende Angaben sind nicht dargestellt.",
        alt="Gestapeltes Balkendiagramm: Anteil fehlender Angaben je Frage, aufgeteilt nach "
        "Art der fehlenden Angabe.",
        data=gated,
    )


def districts(report: Report, wave: object, data_dir: str | Path) -> None:
    """Participating municipalities and records by district (surveys with a municipality
    column only); without the participation record, why not."""
    from welcome_eval.analysis import quality
    from welcome_eval.analysis.programme import ParticipationRecordError, participation_record
    from welcome_eval.publish.privacy import protect

    municipality = wave.codebook.municipality  # type: ignore[attr-defined]
    if not municipality:
        return
    register = wave.survey == "register"  # type: ignore[attr-defined]
    unit = units(wave.survey)  # type: ignore[attr-defined]
    show_text("## " + ("Datensätze nach Kreis" if register else "Rücklauf nach Kreis"))
    try:
        record = participation_record(data_dir)
    except ParticipationRecordError as exc:
        show_text(
            f"Der Teilnahmenachweis der Kommunen fehlt ({exc}); der Rücklauf nach Kreis "
            "kann nicht berechnet werden."
        )
        return
    on = quality.participation_reference_date(wave)  # type: ignore[arg-type]
    table = quality.response_by_district(wave, record, on=on)  # type: ignore[arg-type]
    total = table.iloc[-1]
    reference = "Stichtag des Auszugs" if register else "Beginn der Feldzeit"
    with_data = wave.data[municipality].nunique()  # type: ignore[attr-defined]
    covered = (
        f"der Auszug enthält Personen aus {de.integer(with_data)} Kommunen."
        if register
        else f"aus {de.integer(total['responding'])} von ihnen "
        f"({de.percent(total['response_rate'])}) liegt mindestens ein Datensatz vor."
    )
    show_text(
        f"Am {de.date(on)} ({reference}) "
        f"nahmen {de.integer(total['participating'])} der "
        f"{de.integer(total['municipalities'])} Kommunen Südwestfalens an der "
        "Qualitätsoffensive teil; "
        + covered
        + f" Kreise mit weniger als {report.min_n} {unit.dative} werden nicht einzeln ausgewiesen."
    )
    report.table(
        protect(
            table,
            counts="respondents",
            # municipality counts describe municipalities, not persons: only the persons
            # are suppressed (with a second district when the total would reveal them)
            values=[],
            totals=("Südwestfalen",),
            min_n=report.min_n,
        ),
        f"Teilnehmende Kommunen und {unit.plural} nach Kreis",
        responding="teilnehmend mit Datensätzen",
        response_rate="Anteil mit Datensätzen",
        respondents=unit.column,
    )


def weighting(report: Report, weights: object) -> None:
    """ "Gewichtung und ihre Wirkung" for a weighted survey (nothing otherwise): design and
    calibrated weights, Kish's design effect, the distribution of the weights and what the
    weighting changes in the key results."""
    from welcome_eval.analysis import quality
    from welcome_eval.analysis.newcomers import RAKED_WEIGHT
    from welcome_eval.present.figures import quality as figures_quality
    from welcome_eval.publish.privacy import protect

    if weights is None:
        return
    min_n = report.min_n
    show_text(
        "## Gewichtung und ihre Wirkung\n\n"
        "Die Befragung ist eine geschichtete Zufallsstichprobe: In kleinen Kreisen wurde ein "
        "größerer Anteil der Neuzugezogenen angeschrieben. Jede Antwort erhält deshalb ein "
        "**Designgewicht**, den Kehrwert ihrer Auswahlwahrscheinlichkeit. Weil nicht alle "
        "Gruppen gleich häufig antworten, werden die Gewichte anschließend **kalibriert** "
        "(Raking): so angepasst, dass die gewichteten Zahlen je Kreis und Altersgruppe und je "
        "Herkunft den Zahlen des Melderegisters entsprechen. Ungleiche Gewichte kosten "
        "Genauigkeit. Der **Designeffekt nach Kish** gibt an, um welchen Faktor die Varianz "
        "eines Mittelwerts allein durch die ungleichen Gewichte steigt; die **effektive "
        "Fallzahl** sagt, wie vielen gleich gewichteten Antworten die Stichprobe entspricht."
    )
    columns = {
        "Designgewicht": weights.data[weights.weights],  # type: ignore[attr-defined]
        "kalibriertes Gewicht": weights.data[RAKED_WEIGHT],  # type: ignore[attr-defined]
    }
    spread = quality.weight_summary(columns)
    raked = spread.iloc[-1]
    show_text(
        f"Die kalibrierten Gewichte haben einen Designeffekt von {de.number(raked['deff'], 2)}: "
        f"Die {de.integer(raked['n'])} Antworten sind so genau wie etwa "
        f"{de.integer(raked['n_eff'])} gleich gewichtete (effektive Fallzahl). Die Designgewichte "
        f"allein hätten einen Designeffekt von {de.number(spread.iloc[0]['deff'], 2)}. Die "
        "kalibrierten Gewichte summieren sich zur Zahl der Neuzugezogenen im Melderegister."
    )
    shown = ["weights", "n", "total", "p05", "median", "p95", "ratio_p95_p05", "deff", "n_eff"]
    report.table(
        protect(spread[shown], counts="n", min_n=min_n),
        "Verteilung der Gewichte (kleinstes und größtes Gewicht werden nicht gezeigt: sie "
        "können zu einzelnen Personen gehören)",
        formats={
            "total": de.integer,
            **dict.fromkeys(("p05", "median", "p95", "ratio_p95_p05"), _one),
            "deff": _two,
            "n_eff": de.integer,
        },
        weights="Gewicht",
        total="Summe der Gewichte",
        p05="5-%-Quantil",
        median="Median",
        p95="95-%-Quantil",
        ratio_p95_p05="Verhältnis 95 % zu 5 %",
        deff="Designeffekt (Kish)",
        n_eff="effektive Fallzahl",
    )
    classes = protect(quality.weight_histogram(columns), counts=None, min_n=min_n)
    report.figure(
        figures_quality.weight_distribution(classes.table),
        "Verteilung der Design- und der kalibrierten Gewichte (Antworten je Gewichtsklasse; "
        "die oberste Klasse ist nach oben offen).",
        alt="Balkendiagramm: Zahl der Antworten je Gewichtsklasse, Designgewichte und "
        "kalibrierte Gewichte nebeneinander; die kalibrierten Gewichte streuen deutlich stärker.",
        data=classes,
    )
    if classes.any_suppressed:
        show_text(f"„.“ in der Abbildung: {classes.footnote}")
    effect = quality.weighting_effect(weights)  # type: ignore[arg-type]
    effect = effect.assign(
        interval=[
            de.interval(lo, hi, 1, as_percent=True)
            for lo, hi in zip(effect["ci_low"], effect["ci_high"], strict=True)
        ]
    )
    shown = [
        "item_label",
        "n",
        "unweighted",
        "design_weighted",
        "raked",
        "interval",
        "deff",
        "difference",
    ]
    report.table(
        protect(effect[shown], counts="n", min_n=min_n),
        "Ungewichtete, designgewichtete und kalibrierte Anteile (genutzt: Anteil, der das "
        "Angebot genutzt hat; Top-2: Anteil der beiden oberen Antwortstufen)",
        headers=vocabulary.RESULTS,
        formats={
            **dict.fromkeys(("unweighted", "design_weighted", "raked"), vocabulary.percent_one),
            "deff": _two,
            "difference": vocabulary.points_one,
        },
        interval="95-%-KI (kalibriert)",
        deff="Designeffekt",
        difference="kalibriert − ungewichtet (Pp.)",
    )
    strongest = effect.loc[effect["difference"].abs().idxmax()]
    show_text(
        "Am stärksten verändert die Gewichtung das Ergebnis "
        f"„{md_escape(strongest['item_label'])}“: "
        f"ungewichtet {de.percent(strongest['unweighted'], 1)}, kalibriert "
        f"{de.percent(strongest['raked'], 1)} ({de.signed(strongest['difference'] * 100, 1)} "
        "Prozentpunkte). Ohne Gewichtung wären solche Ergebnisse verzerrt, weil die Gruppen, "
        "die seltener antworten, anders antworten als die übrigen. Der Designeffekt einer "
        "Schätzung enthält neben den ungleichen Gewichten auch Schichtung und Kalibrierung."
    )


def waves(report: Report, wave: object, previous: Sequence[object]) -> None:
    """Records per wave compared with the earlier waves (or why not)."""
    from welcome_eval.analysis import quality
    from welcome_eval.publish.privacy import not_personal

    if not previous:
        show_text(
            "Für diese Befragung liegt keine frühere Welle vor; ein Vergleich ist noch nicht "
            "möglich."
        )
        return
    table = quality.wave_counts([*previous, wave])  # type: ignore[list-item]
    before, now = table.iloc[-2], table.iloc[-1]
    show_text(
        f"In der Welle {before['wave']} wurden {de.integer(before['kept'])} Datensätze "
        f"ausgewertet, in dieser Welle {de.integer(now['kept'])} "
        f"({de.signed(now['kept_change'], 0)}). Zurückgestellt wurden "
        f"{de.integer(before['quarantined'])} bzw. {de.integer(now['quarantined'])} Datensätze."
    )
    if not wave.codebook.municipality:  # type: ignore[attr-defined]
        table = table.drop(columns="municipalities")
    counts = ("read", "accepted", "flagged", "quarantined", "kept", "municipalities", "problems")
    report.table(
        not_personal(
            table,
            "Zählungen von Datensätzen und Kommunen je Welle, ohne Gliederung nach Merkmalen "
            "der Personen",
        ),
        "Datensätze je Welle",
        formats={**dict.fromkeys(counts, de.integer), "kept_change": _signed_whole},
        file="Datei",
        read="gelesen",
        accepted="ohne Beanstandung",
        flagged="mit Hinweis",
        quarantined="zurückgestellt",
        kept="ausgewertet",
        kept_change="Veränderung",
        problems="Befunde",
    )


def methods(report: Report, wave: object) -> None:
    """How the reports are made, the methods of this survey's reports and the literature."""
    from welcome_eval.analysis import quality
    from welcome_eval.publish.privacy import not_personal

    survey = wave.survey  # type: ignore[attr-defined]
    show_text(
        "Alle Auswertungen laufen mit dem Programm welcome_eval "
        f"(Version {wave.provenance['welcome_eval_version']}) aus der geprüften Welle; "  # type: ignore[attr-defined]
        "Tabellen und "
        "Abbildungen entstehen bei jedem Bau der Berichte neu aus den gelieferten Dateien. Die "
        "statistischen Verfahren sind gegen die Ergebnisse der R-Pakete survey, survival und psych "
        "geprüft. Kennungen von Personen werden beim Einlesen pseudonymisiert. Jede Tabelle und "
        f"jede Abbildung läuft vor der Ausgabe durch die Geheimhaltung: Werte für weniger als "
        f"{report.min_n} {units(survey).plural} werden gesperrt („.“), dazu weitere Zellen, damit "
        "sich gesperrte Werte nicht aus Summen zurückrechnen lassen. Die Zählungen der "
        "Prüfergebnisse gelten für die ganze Welle und werden vollständig ausgewiesen. Die "
        "folgende Übersicht nennt die Verfahren der Berichte zu dieser Befragung."
    )
    report.table(
        not_personal(quality.methods_overview(survey), "Beschreibung der Verfahren, keine Daten"),
        "Verwendete Verfahren",
        method="Verfahren",
        use="Wofür",
        references="Literatur",
    )
    show_text(
        "### Literatur\n\n"
        + "\n".join(f"- {entry}" for entry in quality.methods_references(survey))
    )
