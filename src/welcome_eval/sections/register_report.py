"""Sections of the register report (``notebooks/register_welle.ipynb``): how long newcomers
stay, where they go, and whether the programme keeps them. Each function shows one section
through a :class:`~welcome_eval.sections.report.Report`; counts are persons.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from welcome_eval.present import german_format as de
from welcome_eval.present import vocabulary
from welcome_eval.publish.display import show_text
from welcome_eval.sections.report import Report

__all__ = [
    "HEADERS",
    "arrivals",
    "by_group",
    "by_place",
    "cox_sentence",
    "destinations",
    "programme_effect",
    "stays",
    "with_answer_labels",
]

#: The register report's headers: its counts are persons.
HEADERS = {
    "n": "Personen",
    "district": "Kreis",
    "time": "Jahre seit Zuzug",
    "survival": "Anteil",
    "incidence": "Anteil",
}
_FORMATS = {"time": de.integer}
#: Curve values hidden where fewer than ``min_n`` persons are under observation.
CURVE_VALUES = ["survival", "se", "se_log", "ci_low", "ci_high", "n_event", "n_censor"]


def _kaplan_meier(data: pd.DataFrame, *, event: str, by: str | None = None) -> pd.DataFrame:
    """Kaplan–Meier curves of the stay in years as a tidy table
    (:func:`welcome_eval.survival.retention.kaplan_meier`; its result object's ``table``
    should the function return the fitted curves instead)."""
    from welcome_eval.survival import retention

    result = retention.kaplan_meier(data, duration="years", event=event, by=by)
    return result if isinstance(result, pd.DataFrame) else result.table


def with_answer_labels(data: pd.DataFrame, codebook: object, **columns: str) -> pd.DataFrame:
    """``data`` with a categorical column of answer labels for each coded column, named as
    given (``herkunft="Herkunft"``), categories in the codebook's order."""
    data = data.copy()
    for column, label in columns.items():
        codes = codebook[column].values  # type: ignore[index]
        data[label] = pd.Categorical(
            data[column].map(lambda v, codes=codes: codes.get(int(v)) if v == v else None),
            categories=list(codes.values()),
        )
    return data


def arrivals(report: Report, data: pd.DataFrame) -> None:
    """ "Wer ist im Auszug?": persons, households and municipalities, arrivals per year and
    district."""
    from welcome_eval.present.figures import retention as figures_retention
    from welcome_eval.publish.privacy import protect

    min_n = report.min_n
    per_year = (
        data.assign(year=data["einzug"].dt.year)
        .groupby(["year", "district"], observed=True)
        .size()
        .rename("n")
        .reset_index()
    )
    shown = protect(per_year, counts="n", min_n=min_n, values=[])
    show_text(
        f"Der Auszug enthält **{de.integer(len(data))} Personen** in "
        f"{de.integer(data['haushalt_id'].nunique())} Haushalten, die in eine der "
        f"{de.integer(data['ags'].nunique())} Kommunen gezogen sind. Am Stichtag waren "
        f"{de.percent(data['auszug'].isna().mean())} von ihnen noch in ihrer Zuzugskommune "
        "gemeldet."
    )
    ax = figures_retention.arrivals_plot(
        shown.table.dropna(subset=["n"]), x="year", y="n", hue="district"
    )
    report.figure(
        ax,
        "Zugezogene Personen je Jahr des Zuzugs, nach Kreis.",
        alt="Gestapeltes Säulendiagramm der Zuzüge je Jahr, farbig nach Kreis.",
        data=shown,
    )
    by_district = data.groupby("district", observed=True).agg(
        n=("ags", "size"), households=("haushalt_id", "nunique"), municipalities=("ags", "nunique")
    )
    by_district.loc["Südwestfalen"] = [
        len(data),
        data["haushalt_id"].nunique(),
        data["ags"].nunique(),
    ]
    report.table(
        protect(by_district.reset_index(), counts="n", totals=["Südwestfalen"], min_n=min_n),
        "Zugezogene nach Kreis",
        headers=HEADERS,
        formats={"households": de.integer},
        households="Haushalte",
    )


def _median_text(row: Mapping[str, object], curve: str) -> str:
    if row["median"] != row["median"]:
        return (
            f"Mehr als die Hälfte ist bis zum Ende der Beobachtung in der {curve} "
            "geblieben; die mittlere Verweildauer lässt sich noch nicht angeben."
        )
    return (
        f"Die Hälfte hat die {curve} nach **{de.number(row['median'], 1)} Jahren** "  # type: ignore[arg-type]
        f"verlassen (95-%-KI {de.interval(row['ci_low'], row['ci_high'], 1)} Jahre)."  # type: ignore[arg-type]
    )


def stays(
    report: Report,
    data: pd.DataFrame,
    curves: Mapping[str, str],
    *,
    times: Sequence[float],
    median_of: Mapping[str, str],
) -> None:
    """ "Wie lange bleiben …": Kaplan–Meier curves of the ``curves`` (label → event
    column), the share still there after ``times`` years, and the median stay of each
    curve named in ``median_of`` (label → the place left, "Region")."""
    from welcome_eval.present.figures import retention as figures_retention
    from welcome_eval.publish.privacy import protect
    from welcome_eval.survival import retention

    min_n = report.min_n
    table = pd.concat(
        [_kaplan_meier(data, event=event).assign(group=label) for label, event in curves.items()],
        ignore_index=True,
    )
    shown = protect(table, counts="n_risk", min_n=min_n, values=CURVE_VALUES)
    ax = figures_retention.retention_curves(
        shown.table.dropna(subset=["survival"]),
        hue="group",
        low="ci_low",
        high="ci_high",
        ylabel="Anteil noch gemeldet",
    )
    report.figure(
        ax,
        "Anteil der Neubürgerinnen und Neubürger, die noch in der Region "
        "bzw. noch in ihrer Zuzugskommune wohnen, nach Jahren seit dem Zuzug (Kaplan–Meier, "
        f"95-%-Konfidenzband; die Kurven enden, wo weniger als {min_n} Personen beobachtet "
        "werden).",
        alt="Zwei fallende Treppenkurven; die Kurve für die Region liegt über der für die Kommune.",
        data=shown,
    )
    at = pd.concat(
        [
            retention.retention_at(data, duration="years", event=event, time=t).assign(curve=label)
            for label, event in curves.items()
            for t in times
        ],
        ignore_index=True,
    )[["curve", "time", "n", "survival", "ci_low", "ci_high"]]
    report.table(
        protect(at, counts="n", min_n=min_n, values=["survival", "ci_low", "ci_high"]),
        "Verbleib nach 1, 2, 3 und 5 Jahren (Kaplan–Meier, 95-%-KI)",
        headers=HEADERS,
        formats=_FORMATS,
        curve="Verbleib",
    )
    medians = [
        _median_text(
            retention.median_stay(data, duration="years", event=curves[label]).iloc[0], place
        )
        for label, place in median_of.items()
    ]
    show_text(" ".join(medians))


def by_group(report: Report, data: pd.DataFrame, column: str) -> None:
    """Retention in the region by ``column`` (a labelled group column): curves with the
    log-rank test, and the share still in the region after 2 and 5 years."""
    from welcome_eval.present.figures import retention as figures_retention
    from welcome_eval.publish.privacy import protect
    from welcome_eval.survival import retention

    min_n = report.min_n
    km = _kaplan_meier(data, event="left_region", by=column)
    test = retention.logrank(data, duration="years", event="left_region", group=column)
    p_text = "< 0,001" if test.p_value < 0.001 else "= " + de.number(test.p_value, 3)
    curves = protect(km, counts="n_risk", min_n=min_n, values=CURVE_VALUES)
    ax = figures_retention.retention_curves(
        curves.table.dropna(subset=["survival"]), hue="group", ylabel="Anteil noch in der Region"
    )
    report.figure(
        ax,
        f"Anteil noch in der Region nach {column} "
        f"(Kaplan–Meier). Log-Rank-Test: χ² = {de.number(test.chi2, 1)}, "
        f"df = {test.df}, p {p_text}.",
        alt=f"Treppenkurven des Verbleibs in der Region, eine je {column}-Gruppe.",
        data=curves,
    )
    at = pd.concat(
        [
            retention.retention_at(data, duration="years", event="left_region", time=t, by=column)
            for t in (2, 5)
        ],
        ignore_index=True,
    )
    table = at.pivot(index="group", columns="time", values="survival").reindex(
        pd.unique(at["group"])
    )
    table.columns = ["after_2", "after_5"]
    table.insert(0, "n", at.groupby("group", observed=True)["n"].first())
    report.table(
        protect(
            table.rename_axis(column).reset_index(),
            counts="n",
            min_n=min_n,
            values=["after_2", "after_5"],
        ),
        f"Anteil noch in der Region nach {column}",
        headers=HEADERS,
        formats=dict.fromkeys(("after_2", "after_5"), vocabulary.percent_one),
        after_2="nach 2 Jahren",
        after_5="nach 5 Jahren",
    )


def by_place(report: Report, data: pd.DataFrame, places: pd.DataFrame, *, horizon: int) -> None:
    """Retention in the region ``horizon`` years after arrival by district (curves) and by
    municipality (table and figure); a second municipality of a district is hidden where
    one hidden would follow from the district total."""
    from welcome_eval.analysis import regional
    from welcome_eval.present.figures import retention as figures_retention
    from welcome_eval.publish.privacy import protect
    from welcome_eval.survival import retention

    min_n = report.min_n
    km = _kaplan_meier(data, event="left_region", by="district")
    curves = protect(km, counts="n_risk", min_n=min_n, values=CURVE_VALUES)
    ax = figures_retention.retention_curves(
        curves.table.dropna(subset=["survival"]),
        hue="group",
        ylabel="Anteil noch in der Region",
        max_time=10,
    )
    report.figure(
        ax,
        "Anteil noch in der Region nach Jahren seit dem Zuzug, nach Kreis "
        "des Zuzugs (Kaplan–Meier, die ersten zehn Jahre).",
        alt="Fünf fallende Treppenkurven, eine je Kreis, die nahe beieinander liegen.",
        data=curves,
    )
    region = retention.retention_at(data, duration="years", event="left_region", time=horizon)
    table = (
        retention.retention_at(data, duration="years", event="left_region", time=horizon, by="ags")
        .merge(places.rename(columns={"ags": "group"}), on="group", how="left")
        .sort_values(["district", "name"], ignore_index=True)
    )[["district", "name", "n", "survival", "ci_low", "ci_high"]]
    # Persons per district are published (Tabelle 1): a single hidden municipality in a
    # district could be recalculated from its district total, so a second one is hidden too.
    shown = protect(
        table,
        counts="n",
        min_n=min_n,
        values=["survival", "ci_low", "ci_high"],
        force=regional.secondary_cells(
            table, min_n=min_n, within="district", group="name", counts="n"
        ),
    )
    report.table(
        shown,
        f"Anteil der Zugezogenen, die {horizon} Jahre nach dem Zuzug noch in "
        "Südwestfalen wohnen, nach Zuzugskommune (Kaplan–Meier, 95-%-KI)",
        headers=HEADERS,
        name="Kommune",
        n="Zugezogene",
    )
    ax = figures_retention.retention_by_area_plot(
        shown.table,
        y="name",
        estimate="survival",
        low="ci_low",
        high="ci_high",
        hue="district",
        reference=float(region["survival"].iloc[0]),
        xlabel=f"Anteil noch in der Region nach {horizon} Jahren",
    )
    report.figure(
        ax,
        f"Anteil der Zugezogenen, die {horizon} Jahre nach dem Zuzug noch in "
        "Südwestfalen wohnen, je Zuzugskommune mit 95-%-Konfidenzintervall; gestrichelt: "
        f"Südwestfalen insgesamt ({de.percent(region['survival'].iloc[0], 1)}). Kommunen mit "
        f"weniger als {min_n} Zugezogenen sind nicht dargestellt.",
        alt="Punkte mit waagerechten Fehlerbalken je Kommune, nach Kreis gruppiert und gefärbt; "
        "die meisten Intervalle schließen den Wert für die Region ein.",
        data=shown,
    )


def destinations(report: Report, data: pd.DataFrame) -> None:
    """ "Wohin ziehen sie?": cumulative incidence of moving within the region, leaving it
    and death (competing events), as curves and after 2 and 5 years."""
    from welcome_eval.present.figures import retention as figures_retention
    from welcome_eval.publish.privacy import protect
    from welcome_eval.survival import retention

    min_n = report.min_n
    causes = {code: label for code, label in retention.END_TYPES.items() if code > 0}
    ci = retention.cumulative_incidence(data, duration="years", event="end_type", causes=causes)
    incidence = protect(
        ci, counts="n_risk", min_n=min_n, values=["incidence", "se", "ci_low", "ci_high", "n_event"]
    )
    ax = figures_retention.retention_curves(
        incidence.table.dropna(subset=["incidence"]),
        hue="cause",
        y="incidence",
        low="ci_low",
        high="ci_high",
        ylabel="Anteil (kumulativ)",
    )
    report.figure(
        ax,
        "Kumulative Inzidenz von Umzug innerhalb der Region, Wegzug aus der "
        "Region und Tod nach Jahren seit dem Zuzug (Aalen–Johansen, 95-%-Konfidenzband).",
        alt="Drei steigende Treppenkurven; Wegzug aus der Region liegt am höchsten, "
        "Tod am niedrigsten.",
        data=incidence,
    )
    at = retention.cumulative_incidence(
        data, duration="years", event="end_type", causes=causes, times=[2, 5]
    )
    table = at.assign(n=len(data))[["cause", "time", "n", "incidence", "ci_low", "ci_high"]]
    report.table(
        protect(table, counts="n", min_n=min_n, values=["incidence", "ci_low", "ci_high"]),
        "Kumulative Inzidenz nach 2 und 5 Jahren (Aalen–Johansen, 95-%-KI)",
        headers=HEADERS,
        formats=_FORMATS,
        cause="Ereignis",
    )


def programme_effect(
    report: Report, wave: object, record: pd.DataFrame, *, horizon: int, extract_date: object
) -> None:
    """ "Wirkt die Qualitätsoffensive?": group-time effects (Callaway and Sant'Anna) by
    cohort relative to joining, the overall effect beside the two-way fixed effects
    regression, and which comparisons rest on too few municipalities."""
    from welcome_eval.present.figures import retention as figures_retention
    from welcome_eval.publish.privacy import not_personal
    from welcome_eval.survival import programme_effect as effect

    cohorts = effect.arrival_cohorts(
        wave.data,  # type: ignore[attr-defined]
        record,
        horizon_years=horizon,
        extract_date=extract_date,
    )
    gt = effect.group_time_effects(cohorts, anticipation=horizon + 1)
    event = effect.aggregate_effects(gt, kind="event")
    overall = effect.aggregate_effects(gt, kind="overall")
    twfe = effect.twfe_effect(cohorts)
    ax = figures_retention.event_study_plot(event)
    report.figure(
        ax,
        "Wirkung des Beitritts auf den Anteil der Neubürger, die zwei Jahre "
        "nach dem Zuzug noch in der Region wohnen, nach Zuzugsjahrgang relativ zum ersten vollen "
        "Teilnahmejahr (0), in Prozentpunkten, mit 95-%-Konfidenzintervall (Bootstrap über "
        f"Kommunen, {de.integer(gt.n_boot)} Wiederholungen). Werte links der gestrichelten Linie "
        "prüfen, ob sich die Kommunen vor dem Beitritt gleich entwickelt haben (sie sollten nahe "
        "null liegen). Hohle Punkte: zu wenige Vergleichs- oder Beitrittskommunen.",
        alt="Punkte mit Fehlerbalken je Jahrgang relativ zum Beitritt; vor dem Beitritt um null.",
        data=not_personal(
            event,
            "Wirkungsschätzungen je Jahrgang relativ zum Beitritt, gemittelt über alle "
            "beitretenden Kommunen und Vergleichskommunen; keine Personengruppen",
        ),
    )
    row, t = overall.iloc[0], twfe.iloc[0]
    report.table(
        not_personal(
            pd.DataFrame(
                [
                    {
                        "Schätzer": "Callaway und Sant'Anna (Hauptergebnis)",
                        "Effekt (Prozentpunkte)": row["att"] * 100,
                        "95-%-KI": de.interval(row["ci_low"] * 100, row["ci_high"] * 100),
                        "Kommunen-Jahrgänge": len(cohorts),
                    },
                    {
                        "Schätzer": "Zwei-Wege-Fixed-Effects-Regression (nur zum Vergleich)",
                        "Effekt (Prozentpunkte)": t["estimate"] * 100,
                        "95-%-KI": de.interval(t["ci_low"] * 100, t["ci_high"] * 100),
                        "Kommunen-Jahrgänge": t["n_obs"],
                    },
                ]
            ),
            "Zeilen sind Schätzverfahren über alle Kommunen und Zuzugsjahrgänge",
        ),
        "Gesamteffekt des Beitritts auf den Verbleib in der Region nach zwei Jahren",
        formats={
            "Effekt (Prozentpunkte)": lambda v: de.signed(v, 1),  # type: ignore[arg-type]
            "Kommunen-Jahrgänge": de.integer,
        },
    )
    show_text(effect.describe_programme_effect(overall, twfe))
    unsure = gt.table[~gt.table["reliable"]]
    if not len(unsure):
        show_text("Alle Vergleiche beruhen auf genügend Vergleichskommunen.")
        return
    groups = sorted({int(g) for g in unsure["group"]})
    figure = report.captions.last("Abbildung")
    show_text(
        f"**Nicht belastbar:** {de.integer(len(unsure))} der {de.integer(len(gt.table))} "
        "Vergleiche einzelner Beitrittsgruppen und Jahrgänge beruhen auf nur einer beitretenden "
        f"Kommune oder weniger als {gt.min_control_units} Vergleichskommunen (Beitrittsgruppen "
        f"{', '.join(map(str, groups))}). Sie sind in Abbildung {figure} hohl dargestellt und "
        "werden nicht einzeln gedeutet."
    )


def cox_sentence(fit: object) -> str:
    """The hazard ratio of participation (Cox model) in words, with its interval."""
    hr = fit.coefficients.set_index("term").loc["participating"]  # type: ignore[attr-defined]
    if hr["hr_high"] < 1:
        meaning = "Ein Wert unter 1 bedeutet: Sie bleiben länger; das Intervall schließt 1 aus."
    elif hr["hr_low"] <= 1:
        meaning = "Das Intervall schließt 1 ein: Ein Unterschied ist nicht gesichert."
    else:
        meaning = (
            "Ein Wert über 1 bedeutet: Sie ziehen schneller weg; das Intervall schließt 1 aus."
        )
    return (
        f"Während ihre Kommune teilnimmt, ziehen Neubürgerinnen und Neubürger mit dem "
        f"**{de.number(hr['hazard_ratio'], 2)}-fachen** Tempo aus der Region weg wie ohne "
        f"Teilnahme (Hazard Ratio, 95-%-KI {de.interval(hr['hr_low'], hr['hr_high'], 2)}; "
        f"{de.integer(fit.n_events)} Wegzüge). " + meaning  # type: ignore[attr-defined]
    )
