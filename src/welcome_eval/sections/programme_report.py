"""Sections of the programme overview (``notebooks/programm.ipynb``): participation, round
tables, costs and the cost per additionally retained newcomer. Each function shows one
section through a :class:`~welcome_eval.sections.report.Report`; the data are municipalities,
meetings and amounts, no persons (except the register estimate, gated by its count).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from welcome_eval.present import german_format as de
from welcome_eval.publish.display import show_text
from welcome_eval.sections.report import Report

__all__ = [
    "MUNICIPALITIES",
    "cost_per_retained",
    "costs",
    "coverage",
    "participation",
    "participation_map",
    "round_tables",
]

#: What the programme's tables count.
MUNICIPALITIES = "Kommunen, keine Personen"


def participation(
    report: Report, record: pd.DataFrame, *, end: pd.Timestamp
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Participating municipalities per month with the agency's reported milestones
    (figure, sentence, table). Returns the monthly counts and the milestones."""
    from welcome_eval.analysis import programme
    from welcome_eval.present.figures import programme as figures_programme
    from welcome_eval.publish.privacy import not_personal

    over_time = programme.participation_over_time(record, end=end)
    milestones = programme.participation_milestones(record)
    ax = figures_programme.participation_line(over_time, milestones=milestones)
    report.figure(
        ax,
        "Zahl der teilnehmenden Kommunen am Ende jedes Monats (von 59 Kommunen "
        "in Südwestfalen); markiert sind die Stände, die die Agentur berichtet hat.",
        alt="Stufenlinie der teilnehmenden Kommunen: steiler Anstieg bis Frühjahr 2018 auf 30, "
        "danach langsamer Zuwachs auf 44.",
        data=not_personal(over_time, MUNICIPALITIES),
    )
    first, second = milestones.iloc[0], milestones.iloc[1]
    now = int(programme.participating_on(record, over_time["date"].iloc[-1]).sum())
    warning = (
        ""
        if milestones["matches"].all()
        else " **Achtung:** Das Teilnahmeverzeichnis weicht von den berichteten Zahlen ab."
    )
    show_text(
        f"Vier Monate nach dem Start nahmen **{first['in_record']} der "
        f"{first['municipalities']}** Kommunen teil (Stand {de.date(first['date'])}), bis "
        f"{de.date(second['date'])} **{second['in_record']}**; heute sind es **{now}**." + warning
    )
    report.table(
        not_personal(milestones, MUNICIPALITIES),
        "Berichtete Teilnahme und Teilnahmeverzeichnis",
        columns=["label", "date", "documented", "in_record", "municipalities"],
        formats={"date": de.date},
        numeric=("documented", "in_record", "municipalities"),
        label="Zeitpunkt",
        date="Stichtag",
        documented="berichtet",
        in_record="laut Verzeichnis",
        municipalities="Kommunen insgesamt",
    )
    return over_time, milestones


def participation_map(
    report: Report, record: pd.DataFrame, over_time: pd.DataFrame, milestones: pd.DataFrame
) -> None:
    """The 59 municipalities coloured by joining in the start phase, later, left again or
    never."""
    from welcome_eval.present.figures.map import region_map
    from welcome_eval.publish.privacy import not_personal

    launch_end = milestones.iloc[0]["date"]
    now_date = over_time["date"].iloc[-1]
    early = f"in der Startphase (bis {de.date(launch_end)})"
    later = f"später beigetreten (bis {de.date(now_date)})"
    phase = pd.Series("nicht beigetreten", index=record.index)
    phase[record["joined"].notna()] = later
    phase[record["joined"] <= launch_end] = early
    phase[record["left"].notna() & (record["left"] <= now_date)] = "wieder ausgetreten"
    joined_map = record[["ags", "name", "district"]].assign(Teilnahme=phase)
    present = set(phase)
    order = [
        p
        for p in dict.fromkeys([early, later, "wieder ausgetreten", "nicht beigetreten"])
        if p in present
    ]
    report.map(
        region_map(joined_map, value="Teilnahme", order=order, legend_title="Teilnahme"),
        "Die 59 Kommunen Südwestfalens nach ihrer Teilnahme an der Qualitätsoffensive; "
        "dicke Linien: Kreisgrenzen.",
        alt=(
            "Karte Südwestfalens mit den 59 Kommunen, eingefärbt nach Beitritt in der Startphase, "
            "späterem Beitritt oder keiner Teilnahme."
        ),
        data=not_personal(joined_map, MUNICIPALITIES),
    )


def coverage(
    report: Report, record: pd.DataFrame, on: pd.Timestamp, *, by: str, title: str
) -> None:
    """Share of municipalities (and residents) taking part on ``on`` by ``by``, titled
    ``title`` (figure and table)."""
    from welcome_eval.analysis import programme
    from welcome_eval.present.figures import programme as figures_programme
    from welcome_eval.publish.privacy import not_personal

    cover = programme.coverage(record, on, by=by)
    ax = figures_programme.coverage_bars(cover)
    report.figure(
        ax,
        f"Anteil der teilnehmenden Kommunen nach {title}, Stand {de.date(on)}.",
        alt=f"Balkendiagramm der Teilnahmequote je {title}; die Zahlen nennen teilnehmende von "
        "allen Kommunen.",
        data=not_personal(cover, MUNICIPALITIES),
    )
    report.table(
        not_personal(cover, MUNICIPALITIES),
        f"Teilnahme nach {title}, Stand {de.date(on)}",
        columns=[
            "group",
            "municipalities",
            "participating",
            "share",
            "population",
            "population_share",
        ],
        numeric=("municipalities", "participating"),
        group=title,
        population="Einwohner",
        population_share="Anteil der Einwohner",
    )


def round_tables(
    report: Report, tables: pd.DataFrame, attendance: pd.DataFrame, record: pd.DataFrame
) -> None:
    """The round tables: participants per meeting by role, how many came from how many
    municipalities, and the list of meetings."""
    from welcome_eval.analysis import programme
    from welcome_eval.present.figures import programme as figures_programme
    from welcome_eval.publish.privacy import not_personal

    by_meeting = programme.attendance_by_meeting(attendance, tables, record)
    marks = tables.set_index("number")["format"].map({"digital": "digital", "hybrid": "hybrid"})
    ax = figures_programme.round_tables_plot(programme.participants_by_role(tables), marks=marks)
    report.figure(
        ax,
        "Teilnehmende je Runder Tisch nach Funktion (Stadtmarketing, "
        "Wirtschaftsförderung, Verwaltung der Kommunen sowie Agentur und Gäste).",
        alt="Gestapelte Säulen der Teilnehmenden je Sitzung; digitale Sitzungen sind beschriftet.",
        data=not_personal(
            tables,
            "Zahl der Teilnehmenden je Sitzung und Dienstfunktion; keine Angaben zu einzelnen "
            "Personen und keine Funktion je Kommune",
        ),
    )
    text = (
        f"Bisher gab es **{len(tables)} Runde Tische**, im Mittel mit "
        f"{de.number(tables['participants'].mean(), 0)} Teilnehmenden aus durchschnittlich "
        f"{de.number(by_meeting['attending'].mean(), 0)} Kommunen."
    )
    if 12 in set(tables["number"]):
        twelfth = tables.set_index("number").loc[12]
        text += (
            f" Zum 12. Runden Tisch in {twelfth['host']} am {de.date(twelfth['date'])} kamen "
            f"{twelfth['municipal_participants']} Personen aus Stadtmarketing, "
            "Wirtschaftsförderung und Verwaltung der Kommunen."
        )
    digital = tables[tables["format"] == "digital"]
    if len(digital):
        text += (
            f" Ab dem {digital['number'].min()}. Runden Tisch ({de.date(digital['date'].min())}) "
            "wurde auch digital getagt."
        )
    show_text(text)
    report.table(
        not_personal(
            by_meeting.merge(tables[["number", "topic"]], on="number"),
            "Sitzungen mit Zahl der Kommunen und Teilnehmenden; keine Personen",
        ),
        "Die Runden Tische",
        columns=[
            "number",
            "date",
            "host",
            "topic",
            "attending",
            "participating",
            "share",
            "participants",
        ],
        formats={"date": de.date},
        numeric=("number", "attending", "participating", "participants"),
        number="Nr.",
        date="Datum",
        host="Ort",
        topic="Thema",
        attending="Kommunen da",
        participating="Kommunen teilnehmend",
        participants="Personen",
    )


def costs(
    report: Report,
    record: pd.DataFrame,
    funding: pd.DataFrame,
    fees: dict,
    *,
    until_year: int,
    demo: bool,
) -> None:
    """Costs per year: municipal fees and regional funding (figure, sentence, table)."""
    from welcome_eval.analysis import programme
    from welcome_eval.present.figures import programme as figures_programme
    from welcome_eval.publish.privacy import not_personal

    table = programme.programme_costs(record, funding, until=pd.Timestamp(until_year, 12, 31))
    ax = figures_programme.costs_plot(table)
    report.figure(
        ax,
        "Kosten der Qualitätsoffensive je Jahr: Beiträge der Kommunen und "
        "regionale Förderung (in Tausend Euro).",
        alt="Gestapelte Säulen je Jahr aus kommunalen Beiträgen und regionaler Förderung.",
        data=not_personal(table, "Beträge je Jahr, keine Personen"),
    )
    total = table.set_index("year").loc["gesamt"]
    assumption = (
        " *Die Förderbeträge der Demodaten sind eine Annahme (siehe "
        "`surveys/programme/kosten.yaml`), nicht die tatsächliche Förderung.*"
    )
    show_text(
        f"Jede Kommune zahlt {de.integer(fees['start_fee_eur'])} € zum Start und "
        f"{de.integer(fees['annual_fee_eur'])} € im Jahr. Bis Ende {until_year} kamen so "
        f"**{de.integer(total['municipal'])} €** von den Kommunen und "
        f"**{de.integer(total['regional_funding'])} €** aus der regionalen Förderung zusammen, "
        f"insgesamt {de.integer(total['total'])} €." + (assumption if demo else "")
    )
    report.table(
        not_personal(table, "Beträge je Jahr, keine Personen"),
        "Kosten je Jahr in Euro",
        formats={c: de.integer for c in table.columns if c != "year"},
        year="Jahr",
        start_fees="Startbeiträge",
        annual_fees="Jahresbeiträge",
        municipal="Kommunen zusammen",
        regional_funding="Regionale Förderung",
        total="Insgesamt",
    )


def _verdict(ratio: pd.Series) -> str:
    if ratio["status"] == "positive":
        return (
            f"Je zusätzlich gehaltenem Neubürger hat die Offensive rund "
            f"**{de.integer(ratio['cost_per_retained'])} €** gekostet (95-%-Intervall "
            f"{de.integer(ratio['ci_low'])} bis {de.integer(ratio['ci_high'])} €)."
        )
    if ratio["status"] == "includes_zero":
        point = ratio["cost_per_retained"]
        return (
            "Das Intervall der zusätzlich gehaltenen Neubürger schließt **null ein**: Die Daten "
            "sind auch damit vereinbar, dass die Offensive niemanden zusätzlich gehalten hat. "
            "Die Kosten je gehaltenem Neubürger haben deshalb **keine obere Grenze**; sicher ist "
            f"nur, dass sie mindestens {de.integer(ratio['ci_low'])} € betragen"
            + (f" (Punktschätzung {de.integer(point)} €)." if point == point else ".")
        )
    return (
        "Die Daten zeigen keine zusätzlich gehaltenen Neubürger; Kosten je gehaltenem "
        "Neubürger lassen sich nicht angeben."
    )


def cost_per_retained(
    report: Report,
    data_dir: str | Path,
    record: pd.DataFrame,
    funding: pd.DataFrame,
    *,
    start: pd.Timestamp,
    horizon: int = 2,
) -> None:
    """Newcomers additionally retained (the register report's estimate, scaled to all
    households) and the cost per retained newcomer; without a register extract, a note."""
    from welcome_eval.analysis import programme
    from welcome_eval.ingest.wave import find_manifests, read_wave
    from welcome_eval.publish.privacy import protect
    from welcome_eval.survival import programme_effect

    registers = find_manifests(data_dir, "register")
    if not registers:
        show_text(
            "Im Datenverzeichnis liegt kein Melderegisterauszug; die Kosten je gehaltenem "
            "Neubürger lassen sich noch nicht schätzen."
        )
        return
    extract = read_wave(registers[-1])
    stichtag = pd.Timestamp(extract.manifest.fieldwork_end)
    cohorts = programme_effect.arrival_cohorts(
        extract.data, record, horizon_years=horizon, extract_date=stichtag
    )
    effects = programme_effect.group_time_effects(cohorts, anticipation=horizon + 1)
    fraction = programme.extract_sampling_fraction(registers[-1])
    retained = programme.additional_retained(effects, cohorts, sampling_fraction=fraction)
    row = retained.iloc[0]
    until = pd.Timestamp(int(row["last_cohort"]), 12, 31)
    spent = programme.programme_costs(record, funding, until=until).set_index("year")
    ratio = programme.cost_per_retained_newcomer(retained, spent.loc["gesamt", "total"]).iloc[0]
    upper = "unbegrenzt" if ratio["ci_high"] == float("inf") else de.integer(ratio["ci_high"])
    summary = pd.DataFrame(
        [
            {
                "what": "Zusätzlich gehaltene Neubürger (Personen)",
                "n": row["exposed_newcomers"],
                "estimate": de.integer(row["estimate"]),
                "interval": f"[{de.integer(row['ci_low'])}; {de.integer(row['ci_high'])}]",
            },
            {
                "what": f"Kosten {de.date(start)} bis {de.date(until)} (Euro)",
                "n": row["exposed_newcomers"],
                "estimate": de.integer(ratio["cost"]),
                "interval": "–",
            },
            {
                "what": "Kosten je zusätzlich gehaltenem Neubürger (Euro)",
                "n": row["exposed_newcomers"],
                "estimate": de.integer(ratio["cost_per_retained"]),
                "interval": f"[{de.integer(ratio['ci_low'])}; {upper}]",
            },
        ]
    )
    report.table(
        protect(summary, counts="n", min_n=report.min_n),
        "Zusätzlich gehaltene Neubürger (Zuzugsjahrgänge "
        f"{int(row['first_cohort'])}–{int(row['last_cohort'])}) und Kosten je Person, "
        "mit 95-%-Konfidenzintervall",
        columns=["what", "estimate", "interval"],
        what="",
        estimate="Schätzung",
        interval="95-%-Intervall",
    )
    sample_note = (
        (
            f" Der Auszug enthält {de.percent(fraction)} der Haushalte; die Zahlen sind auf alle "
            "Haushalte hochgerechnet."
        )
        if fraction < 1
        else ""
    )
    show_text(
        f"Nach dem Beitritt ihrer Kommune zogen rund {de.integer(row['exposed_newcomers'])} "
        f"Neubürgerinnen und Neubürger zu (Jahrgänge {int(row['first_cohort'])} bis "
        f"{int(row['last_cohort'])}). Davon sind schätzungsweise "
        f"**{de.integer(row['estimate'])}** zusätzlich in der Region geblieben (95-%-Intervall "
        f"{de.integer(row['ci_low'])} bis {de.integer(row['ci_high'])}).{sample_note} "
        + _verdict(ratio)
    )
