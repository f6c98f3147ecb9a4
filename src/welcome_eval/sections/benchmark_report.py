"""Sections of the benchmark report of one municipality (``notebooks/gemeinde.ipynb``).

Each function shows one section through a :class:`~welcome_eval.sections.report.Report`
(numbered captions, German headers from :mod:`welcome_eval.present.vocabulary`); what may
be shown is decided by the wave's suppression plan
(:func:`welcome_eval.publish.disclosure_plan.suppression_plan`) and the disclosure gate.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from welcome_eval.present import german_format as de
from welcome_eval.present import vocabulary
from welcome_eval.present.markup import md_escape
from welcome_eval.publish.display import show_text
from welcome_eval.sections.report import Report

__all__ = [
    "choose_municipality",
    "district_context",
    "examples_from_catalogue",
    "municipal_survey_note",
    "own_change",
    "own_respondents",
    "peer_comparison",
    "self_check",
    "summary",
]

#: Headers of the benchmark tables (:data:`welcome_eval.present.vocabulary.GEMEINDE`).
HEADERS = vocabulary.GEMEINDE


def _whole(value: object) -> str:
    return de.number(value, 0)  # type: ignore[arg-type]


def _signed_whole(value: object) -> str:
    return de.signed(value, 0)  # type: ignore[arg-type]


def choose_municipality(ags: str | None, record: pd.DataFrame, on: object) -> str:
    """``ags``, or run interactively (``None``) the first municipality taking part on ``on``."""
    from welcome_eval.analysis.programme import participating_on

    if ags is not None:
        return ags
    return str(record[participating_on(record, on)]["ags"].iloc[0])


def own_respondents(shares: pd.DataFrame, ags: str) -> int:
    """The most answers any item has from the municipality ``ags`` (0 without answers)."""
    own = shares.loc[shares["ags"] == ags, "n"]
    return int(own.max()) if len(own) else 0


def summary(
    position: pd.DataFrame,
    shown_items: Sequence[bool],
    *,
    name: str,
    own_n: int,
    min_n: int,
    regional_report: str,
) -> None:
    """ "Das Wichtigste in Kürze": where the municipality is in the upper or lower quarter,
    or, with fewer than ``min_n`` answers, why nothing of its own is shown."""
    if own_n < min_n:
        show_text(
            f"Aus {name} liegen in dieser Welle **weniger als {min_n} Antworten** vor. Damit "
            f"niemand erkennbar wird, weist dieser Bericht keine Ergebnisse Ihrer Kommune aus; die "
            f"regionalen Ergebnisse finden Sie im "
            f"[Regionalbericht]({regional_report})."
        )
        return
    shown = position[list(shown_items)]
    top = shown.loc[shown["position"] == "oberes Viertel", "label"].tolist()
    bottom = shown.loc[shown["position"] == "unteres Viertel", "label"].tolist()
    show_text(
        f"Aus {name} haben bis zu **{de.integer(own_n)} Neuzugezogene** geantwortet.\n\n"
        f"- Im oberen Viertel der Kommunen liegt Ihre Kommune bei: "
        f"{', '.join(top) if top else 'keinem der Merkmale'}.\n"
        f"- Im unteren Viertel liegt sie bei: "
        f"{', '.join(bottom) if bottom else 'keinem der Merkmale'}.\n"
        f"- Die Intervalle Ihrer Werte sind bei kleinen Fallzahlen breit: ein Platz im oberen oder "
        f"unteren Viertel ist ein Hinweis, kein Beweis."
    )


def peer_comparison(
    report: Report,
    position: pd.DataFrame,
    shown_items: Sequence[bool],
    *,
    name: str,
    wave: str,
) -> None:
    """The municipality's shares against the anonymous spread of the others, as a figure
    and a table; values the plan does not show for it are hidden, and so is their place."""
    from welcome_eval.present.figures import benchmark as figures_benchmark
    from welcome_eval.publish.privacy import protect

    columns = ["label", "n", "value", "ci_low", "ci_high", "peers", "q1", "median", "q3"]
    table = protect(
        position[[*columns, "position"]],
        counts="n",
        min_n=report.min_n,
        values=["value", "ci_low", "ci_high"],
        force=pd.DataFrame({"n": [not s for s in shown_items]}, index=position.index),
    )
    visible = table.table.assign(
        position=[
            p if not hidden else "–"
            for p, hidden in zip(position["position"], table.suppressed["value"], strict=True)
        ]
    )
    report.figure(
        figures_benchmark.peer_comparison(visible, own_name=name),
        f"Anteil zufriedener bzw. zustimmender Antworten in {name} (Punkt mit 95-%-Intervall) "
        "und bei den übrigen Kommunen (graues Band: mittlere Hälfte, Strich: Median), "
        f"Neubürgerbefragung {wave}.",
        alt=(
            f"Punktdiagramm: für jedes Angebot und jeden Lebensbereich der Anteil zufriedener "
            f"Neuzugezogener in {name} im Vergleich zur mittleren Hälfte der anderen Kommunen."
        ),
        data=table,
    )
    report.table(
        table,
        f"{name} im Vergleich zu den übrigen Kommunen",
        headers=HEADERS,
        formats={
            **dict.fromkeys(("value", "ci_low", "ci_high", "q1", "median", "q3"), de.percent),
            "peers": de.integer,
        },
    )


def own_change(
    report: Report,
    shares: pd.DataFrame,
    previous_manifests: Sequence[str | Path],
    *,
    ags: str,
    name: str,
    wave: str,
    plan: object,
    data_dir: str | Path,
) -> None:
    """ "Veränderung seit der letzten Welle": the municipality's shares in the last and
    this wave (items both waves' plans show for it), and the clear changes in words."""
    from welcome_eval.analysis import benchmark
    from welcome_eval.ingest.wave import Manifest
    from welcome_eval.publish import disclosure_plan
    from welcome_eval.publish.privacy import protect

    if not previous_manifests:
        show_text(
            "Dies ist die erste Welle der Neubürgerbefragung; ein Vergleich ist noch nicht möglich."
        )
        return
    min_n = report.min_n
    last = Manifest.load(previous_manifests[-1])
    change = benchmark.own_change(
        shares, benchmark.wave_shares(previous_manifests[-1]), ags=ags, min_n=min_n
    )
    before = disclosure_plan.suppression_plan(
        previous_manifests[-1], data_dir=data_dir, min_n=min_n
    )
    both = change["item"].map(
        lambda i: plan.shows_own(ags, i) and before.shows_own(ags, i)  # type: ignore[attr-defined]
    )
    change = change[both.astype(bool)].reset_index(drop=True)
    if change.empty:
        show_text(
            f"Für einen Vergleich mit {last.wave} braucht es in beiden Wellen mindestens {min_n} "
            f"Antworten aus {name} zum selben Merkmal; das ist hier nicht der Fall."
        )
        return
    columns = ["label", "n_previous", "previous", "n_current", "current", "difference"]
    report.table(
        protect(change, counts="n", min_n=min_n),
        f"{name} {last.wave} und {wave} im Vergleich",
        headers=HEADERS,
        columns=[*columns, "ci_low", "ci_high"],
        formats={
            "previous": de.percent,
            "current": de.percent,
            "difference": de.percentage_points,
            "ci_low": de.percentage_points,
            "ci_high": de.percentage_points,
            "n_previous": de.integer,
            "n_current": de.integer,
        },
        n_previous=f"Antworten {last.wave}",
        n_current=f"Antworten {wave}",
        previous=last.wave,
        current=wave,
        difference="Veränderung (Prozentpunkte)",
    )
    clear = change[(change["ci_low"] > 0) | (change["ci_high"] < 0)]
    if clear.empty:
        show_text(
            f"Bei keinem Merkmal hat sich der Anteil seit {last.wave} belastbar verändert: "
            f"alle Intervalle schließen null ein. Bei den Fallzahlen einer Kommune sind "
            f"nur größere Veränderungen sicher zu erkennen."
        )
        return
    show_text("\n".join(f"- {benchmark.describe_own_change(r)}" for _, r in clear.iterrows()))


def district_context(report: Report, manifest: str | Path, plan: object, *, district: str) -> None:
    """Welcome and intention to stay in the municipality's district and the region, as far
    as the wave's plan shows them."""
    from welcome_eval.analysis import benchmark
    from welcome_eval.publish import disclosure_plan
    from welcome_eval.publish.privacy import protect

    shares = benchmark.district_shares(manifest, list(disclosure_plan.CONTEXT_ITEMS))
    context = shares[shares["Kreis"].isin([district, disclosure_plan.REGION])].reset_index(
        drop=True
    )
    hidden = [
        not plan.shows_district(k, i)  # type: ignore[attr-defined]
        for k, i in zip(context["Kreis"], context["item"], strict=True)
    ]
    report.table(
        protect(
            context[["Kreis", "label", "n", "share", "ci_low", "ci_high"]],
            counts="n",
            min_n=report.min_n,
            force=pd.DataFrame({"n": hidden}),
        ),
        f"Willkommensgefühl und Bleibeabsicht im {district} und in Südwestfalen",
        headers=HEADERS,
        share="Anteil (eher) zutreffend",
    )


def self_check(
    report: Report, data_dir: str | Path, ags: str, *, name: str, until: object
) -> pd.DataFrame | None:
    """ "Selbstcheck": the municipality's latest checklist until ``until`` against the
    others of that checklist wave, and its progress since its previous checklist.

    Returns the weakest fields of action (``None`` without a checklist).
    """
    from welcome_eval.analysis import benchmark, checklist
    from welcome_eval.present.figures import checklist as figures_checklist
    from welcome_eval.publish.privacy import not_personal, protect

    history = benchmark.checklist_history(data_dir)
    own = history[history["ags"] == ags] if len(history) else history
    own = own[own["assessed"] <= pd.Timestamp(until)] if len(own) else own
    if own.empty:
        show_text(
            f"Für {md_escape(name)} liegt bis zum Ende dieser Befragungswelle kein "
            "ausgefüllter Selbstcheck "
            f"vor. Die Checkliste hilft, den Stand der Willkommenskultur festzuhalten; die "
            f"Regionalagentur stellt sie allen teilnehmenden Kommunen zur Verfügung."
        )
        return None
    result = checklist.for_municipality(history, ags, on=until, k=2)
    placed = protect(
        result.position.reset_index(drop=True),
        counts="n_peers",
        min_n=report.min_n,
        values=["peer_q1", "peer_median", "peer_q3", "difference_to_median"],
        hide_counts=False,
    )
    show_text(
        f"Selbsteinschätzung von {md_escape(name)} aus der Checklisten-Welle {result.wave} "
        f"(0 = nichts vorhanden, 100 = alles vorhanden), verglichen mit den anderen Kommunen, "
        f"die die Checkliste in derselben Welle ausgefüllt haben."
    )
    report.figure(
        figures_checklist.position_plot(placed.table, own_label=name),
        f"Punktwerte von {name} je Handlungsfeld (Punkt) und mittlere Hälfte der anderen "
        f"Kommunen (Balken, Strich: Median), Selbstcheck {result.wave}.",
        alt=(
            f"Punktdiagramm: für sechs Handlungsfelder und den Gesamtwert die Punktzahl von "
            f"{name} im Vergleich zur mittleren Hälfte der anderen Kommunen."
        ),
        data=placed,
    )
    report.table(
        placed,
        f"Selbstcheck {result.wave} im Vergleich",
        headers=HEADERS,
        columns=[
            "dimension_label",
            "score",
            "level_label",
            "peer_q1",
            "peer_median",
            "peer_q3",
            "position",
        ],
        formats=dict.fromkeys(("score", "peer_q1", "peer_median", "peer_q3"), _whole),
        score="Ihr Punktwert",
    )
    changes = result.progress.dropna(subset=["previous_score"])
    if len(changes):
        report.table(
            not_personal(
                changes.reset_index(drop=True), "Selbsteinschätzung einer Kommune, keine Personen"
            ),
            f"Fortschritt seit dem letzten Selbstcheck ({changes['previous_wave'].iloc[0]})",
            headers=HEADERS,
            columns=["dimension_label", "previous_score", "score", "change", "level_label"],
            formats={"previous_score": _whole, "score": _whole, "change": _signed_whole},
            previous_score="vorher",
            score="jetzt",
            change="Veränderung",
            level_label="Stufe jetzt",
        )
    return result.weakest


def examples_from_catalogue(
    weakest: pd.DataFrame | None, *, ags: str, name: str, catalogue_page: str
) -> None:
    """Examples from the catalogue for the municipality's weakest fields of action (from
    other municipalities, failures included), or the link to the catalogue."""
    from welcome_eval.analysis import benchmark, catalogue

    if weakest is None or weakest.empty:
        show_text(
            f"Beispiele guter – und gescheiterter – Praxis aus der Region finden Sie im "
            f"[Beispielkatalog]({catalogue_page})."
        )
        return
    examples = catalogue.matching_examples(
        benchmark.catalogue_entries(), weakest["dimension"], exclude_ags=ags, limit=2
    )
    lines = [
        f"- [{md_escape(e.title)}]({catalogue_page}#{e.anchor}) – "
        f"{md_escape(e.name)}, {e.year}; "
        f"{md_escape(e.category_label)}; Ergebnis: {md_escape(e.outcome_label)}"
        for e in examples.itertuples()
    ]
    show_text(
        f"Die schwächsten Handlungsfelder im Selbstcheck von {md_escape(name)} sind "
        f"„{'“ und „'.join(md_escape(d) for d in weakest['dimension_label'])}“. Dazu aus dem "
        f"[Beispielkatalog]({catalogue_page}), auch mit dem, was nicht "
        f"funktioniert hat:\n\n"
        + ("\n".join(lines) if lines else "- (noch keine passenden Beispiele im Katalog)")
    )


def municipal_survey_note(data_dir: str | Path, wave: str, *, up: str) -> None:
    """Where the municipal survey's results are (never per municipality: one to three
    respondents each), for its latest wave up to ``wave``; nothing without one."""
    from welcome_eval.ingest.wave import Manifest, find_manifests

    latest = [p for p in find_manifests(data_dir, "kommunen") if Manifest.load(p).wave <= wave]
    if not latest:
        return
    k = Manifest.load(latest[-1])
    show_text(
        f"Die Antworten aus Ihrer Verwaltung zur Befragung der Kommunen ({k.wave}) werden hier "
        f"nicht einzeln ausgewiesen: mit ein bis drei Antwortenden je Kommune wären sie einzelnen "
        f"Personen zuzuordnen. Die Ergebnisse für die Region stehen im "
        f"[Regionalbericht der Kommunenbefragung {k.wave}]({up}kommunen/{k.wave}/bericht.html)."
    )
