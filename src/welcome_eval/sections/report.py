"""One report notebook's presentation: numbered captions, German headers at display, and
the sections several reports share.

A notebook creates one :class:`Report` and shows every table and figure through it::

    report = Report(min_n=min_n, headers=vocabulary.KOMMUNEN)
    report.table(protect(summary, min_n=min_n), "Anteil zufriedener Antworten")
    # -> "Tabelle 1: Anteil zufriedener Antworten", German headers and number formats

Captions are numbered by the report in the order they are shown, per kind (Tabelle,
Abbildung, Karte), so no number is typed and none is skipped when a section is left out.
Tables keep the library's English column names up to the display; the German headers and
formats come from :mod:`welcome_eval.present.vocabulary`.

Everything shown still goes through the disclosure gate of
:mod:`welcome_eval.publish.display` (:func:`show_table`, :func:`show_figure`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from pathlib import Path

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from welcome_eval.present import german_format as de
from welcome_eval.present import vocabulary
from welcome_eval.publish.display import Gated, show_figure, show_list, show_table, show_text

__all__ = [
    "Captions",
    "Report",
    "bold_list",
    "data_basis",
    "demo_note",
    "locate_manifests",
    "mean_change",
    "mean_trend",
    "odds_ratio_wording",
    "open_answers",
    "reliability",
    "results_by_district",
    "share_change",
    "share_trend",
    "share_with_interval",
    "weighting_effect",
]


def locate_manifests(
    survey: str,
    manifest: str | Path | None,
    previous_manifests: Sequence[str | Path] = (),
    data_dir: str | Path | None = None,
) -> tuple[str | Path, list[str | Path]]:
    """The manifest a report is about and those of the earlier waves.

    ``welcome-eval build`` passes both; run interactively (``manifest`` is ``None``) the
    report takes the newest wave of ``survey`` in ``data_dir`` (default: the configured
    data directory, else the demo data) and all earlier ones, oldest first.
    """
    if manifest is not None:
        return manifest, list(previous_manifests)
    from welcome_eval.config import data_dir as configured_data_dir
    from welcome_eval.ingest.wave import find_manifests

    base = Path(data_dir) if data_dir else configured_data_dir()
    found = find_manifests(base, survey)
    if not found:
        raise FileNotFoundError(f"no wave of the survey {survey!r} under {base}")
    *previous, newest = found
    return newest, list(previous)


class Captions:
    """Numbers captions per kind in the order they are asked for.

    >>> captions = Captions()
    >>> captions.table("Rücklauf"), captions.figure("Verteilung"), captions.table("Kreise")
    ('Tabelle 1: Rücklauf', 'Abbildung 1: Verteilung', 'Tabelle 2: Kreise')
    """

    def __init__(self) -> None:
        self._counts: Counter[str] = Counter()

    def _next(self, kind: str, text: str) -> str:
        self._counts[kind] += 1
        return f"{kind} {self._counts[kind]}: {text}"

    def table(self, text: str) -> str:
        """``"Tabelle <n>: <text>"`` with the next table number."""
        return self._next("Tabelle", text)

    def figure(self, text: str) -> str:
        """``"Abbildung <n>: <text>"`` with the next figure number."""
        return self._next("Abbildung", text)

    def map(self, text: str) -> str:
        """``"Karte <n>: <text>"`` with the next map number."""
        return self._next("Karte", text)

    def upcoming(self, kind: str = "Tabelle") -> int:
        """The number the next caption of ``kind`` will get, for prose that refers to a
        table shown right after it ("Punkte je Antwort (Tabelle 1)").

        >>> captions = Captions()
        >>> captions.upcoming("Tabelle"), captions.table("Punkte"), captions.upcoming()
        (1, 'Tabelle 1: Punkte', 2)
        """
        return self._counts[kind] + 1

    def last(self, kind: str = "Abbildung") -> int:
        """The number of the last caption of ``kind`` (0 before the first), for prose that
        refers to it ("in Abbildung 8")."""
        return self._counts[kind]


class Report:
    """One report: its captions, its minimum group size and its header overrides.

    ``headers`` are the report's own overrides of the vocabulary (a named set such as
    :data:`welcome_eval.present.vocabulary.KOMMUNEN`).
    """

    def __init__(self, *, min_n: int, headers: Mapping[str, str] | None = None) -> None:
        self.min_n = int(min_n)
        self.captions = Captions()
        self.headers = dict(headers or {})

    def table(
        self,
        data: Gated,
        caption: str,
        *,
        headers: Mapping[str, str] | None = None,
        formats: Mapping[str, vocabulary.Format] | None = None,
        numeric: Sequence[str] = (),
        columns: Sequence[str] | None = None,
        **header_overrides: str,
    ) -> None:
        """Show a gated table with the next table number, German headers and formats.

        ``headers`` (a named set of the vocabulary) and keyword overrides
        (``label="Funktion"``) change headers for this table only; ``formats`` the
        number formats; ``columns`` picks and orders the columns shown.
        """
        shown = list(data.table.columns if columns is None else columns)
        show_table(
            data,
            caption=self.captions.table(caption),
            labels=vocabulary.headers(shown, self.headers, headers, header_overrides),
            formats=vocabulary.formats(shown, formats),
            numeric=tuple(numeric),
            columns=None if columns is None else list(columns),
        )

    def figure(
        self, figure: Figure | Axes, caption: str, *, alt: str, data: Gated | list[Gated]
    ) -> None:
        """Show a figure of gated data with the next figure number."""
        show_figure(figure, caption=self.captions.figure(caption), alt=alt, data=data)

    def map(self, figure: Figure | Axes, caption: str, *, alt: str, data: Gated) -> None:
        """Show a map of gated data with the next map number."""
        show_figure(figure, caption=self.captions.map(caption), alt=alt, data=data)


# Sections several reports share ---------------------------------------------------------


def results_by_district(
    report: Report,
    data: pd.DataFrame,
    items: Sequence[str],
    *,
    codebook: object,
    hidden: Sequence[str],
    figure_caption: str,
    figure_alt: str,
    table_caption: str,
    test_caption: str,
    none: str,
    weights: str | None = None,
) -> None:
    """The section "Ergebnisse nach Kreisen": Top-2 share per item and district as a heat
    map and a table, and the Kruskal–Wallis test whether the districts differ.

    ``hidden`` are the districts hidden in every table by district
    (:func:`~welcome_eval.analysis.regional.districts_to_hide`); they are left out of the
    test as well, and its caption says so. The test table is gated by the number of
    respondents behind each test (``n``). ``none`` completes the sentence on the
    significant differences when there is none (``"bei keinem Baustein"``).
    """
    from welcome_eval.analysis import regional
    from welcome_eval.present import figures
    from welcome_eval.publish.privacy import protect

    min_n = report.min_n
    table = regional.results_by_district(data, items, codebook=codebook, weights=weights).drop(
        columns="item"
    )
    table = protect(
        table,
        counts="n",
        totals=(regional.REGION,),
        force=regional.secondary_cells(
            table,
            min_n=min_n,
            within="item_label",
            group="district",
            counts="n",
            always=hidden,
        ),
        min_n=min_n,
    )
    ax = figures.heatmap(
        table.table,
        x="district",
        y="item_label",
        value="share",
        as_percent=True,
        vmin=0,
        vmax=1,
        total=regional.REGION,
    )
    report.figure(ax, figure_caption, alt=figure_alt, data=table)
    report.table(table, table_caption)
    tests = regional.compare_districts(
        data, items, codebook=codebook, min_n=min_n, leave_out=hidden
    )
    left_out = f" (ohne {' und '.join(sorted(hidden))}: nicht ausgewiesen)" if hidden else ""
    report.table(
        protect(tests[["item_label", "k", "n", "result"]], counts="n", min_n=min_n),
        test_caption + left_out,
        headers=vocabulary.DISTRICT_TEST,
    )
    show_text(
        "Statistisch bedeutsame Unterschiede zwischen den Kreisen: "
        + regional.significant_results(tests, label="item_label", none=none)
        + "."
    )


def mean_change(
    report: Report,
    current: object,
    previous: Sequence[object],
    items: Sequence[str],
    *,
    data: pd.DataFrame | None = None,
    none: str,
) -> None:
    """The section "Veränderung gegenüber der Vorwelle" for means of independent samples:
    Welch interval of the difference and Mann–Whitney U test against the last wave.

    ``current`` and ``previous`` are :class:`~welcome_eval.ingest.wave.Wave` objects
    (``data`` replaces the current wave's data, e.g. with the region added); without an
    earlier wave the section says that no comparison is possible yet.
    """
    from welcome_eval.analysis import regional
    from welcome_eval.publish.privacy import protect

    if not previous:
        show_text("Dies ist die erste Welle der Befragung; ein Vergleich ist noch nicht möglich.")
        return
    last = previous[-1]
    now = current.wave  # type: ignore[attr-defined]
    codebook = current.codebook  # type: ignore[attr-defined]
    frame = current.data if data is None else data  # type: ignore[attr-defined]
    change = regional.compare_waves(frame, last.data, items, codebook=codebook, min_n=report.min_n)
    show_text(
        f"Verglichen wird mit der Welle {last.wave} ({de.integer(len(last.data))} Antwortende). "
        "Die Stichproben sind unabhängig: Der Unterschied der Mittelwerte wird mit dem "
        "Welch-Intervall geschätzt, geprüft wird mit dem Mann-Whitney-U-Test (p-Werte nach Holm "
        "für die Zahl der Bausteine korrigiert)."
    )
    columns = ["item_label", "n_min", "mean_previous", "mean_current", "difference", "result"]
    report.table(
        protect(change[columns], counts="n_min", min_n=report.min_n),
        f"Mittelwerte {last.wave} und {now} im Vergleich",
        formats={"mean_previous": vocabulary.two, "mean_current": vocabulary.two},
        mean_previous=f"Mittelwert {last.wave}",
        mean_current=f"Mittelwert {now}",
        result=f"{now} im Vergleich",
    )
    shown = change[change["n_min"] >= report.min_n]
    show_text(
        "Statistisch bedeutsam verändert: "
        + regional.significant_results(change, label="item_label", none=none)
        + ". Die 95-%-Konfidenzintervalle der Veränderung der Mittelwerte (Welch):\n\n"
        + "\n".join(
            f"- {r['item_label']}: {de.signed(r['difference'], 2)} "
            f"{de.interval(r['ci_low'], r['ci_high'], 2)}"
            for _, r in shown.iterrows()
        )
    )


def mean_trend(
    report: Report,
    waves: Mapping[str, pd.DataFrame],
    items: Sequence[str],
    *,
    codebook: object,
    figure_caption: str,
    figure_alt: str,
    table_caption: str,
) -> None:
    """The sub-section "Entwicklung über alle Wellen": means per item and wave as a figure,
    Top-2 shares per item and wave as a table. Shown only when there is more than one wave.
    """
    from welcome_eval.analysis import regional
    from welcome_eval.present import figures
    from welcome_eval.publish.privacy import protect

    if len(waves) < 2:
        return
    show_text(f"### Entwicklung über alle {len(waves)} Wellen")
    trend = protect(
        regional.trend_by_wave(dict(waves), items, codebook=codebook),
        counts="n",
        min_n=report.min_n,
    )
    ax = figures.wave_comparison(
        trend.table.dropna(subset=["mean"]),
        y="item_label",
        x="mean",
        hue="wave",
        low="ci_low_mean",
        high="ci_high_mean",
    )
    report.figure(ax, figure_caption, alt=figure_alt, data=trend)
    wide, wide_counts = regional.by_wave_wide(trend.table, count_name="Antworten")
    report.table(
        protect(wide, counts=wide_counts, min_n=report.min_n),
        table_caption,
        formats={
            c: (de.percent if c.startswith("Top-2") else de.integer)
            for c in wide.columns
            if c != "item_label"
        },
    )


def reliability(
    report: Report, table: pd.DataFrame, caption: str, *, headers: Mapping[str, str] | None = None
) -> None:
    """The table of Cronbach's alpha per scale and wave
    (:func:`~welcome_eval.analysis.regional.reliability_table`)."""
    from welcome_eval.publish.privacy import protect

    columns = ["label", "wave", "n_items", "n", "alpha", "ci_low", "ci_high", "rating"]
    report.table(
        protect(table[columns], counts="n", min_n=report.min_n),
        caption,
        headers={**vocabulary.RELIABILITY, **(headers or {})},
    )


def open_answers(answers: object, *, none: str, written: int = 0, none_shown: str = "") -> None:
    """Open answers as a list (from :func:`~welcome_eval.publish.privacy.redact_answers`).

    Without answers to show, one sentence: ``none`` when nobody wrote one,
    ``none_shown`` (with ``{n}`` for the number written) when none may be shown.
    """
    if answers:
        show_list(answers, css_class="ideas")  # type: ignore[arg-type]
    elif written:
        show_text(none_shown.format(n=de.integer(written)))
    else:
        show_text(none)


def data_basis(
    report: Report,
    wave: object,
    *,
    codebook: object | None = None,
    note: str = "",
) -> None:
    """The section "Datengrundlage und Datenqualität": rows read, accepted and set aside,
    the validation results by rule and the valid and missing answers per question.

    ``note`` is a further sentence after the counts; ``codebook`` names the survey's own
    rules. The missing codes stand between ``valid`` and ``ohne Angabe``.
    """
    from welcome_eval.ingest.validation import issue_summary
    from welcome_eval.present.markup import md_code
    from welcome_eval.publish.privacy import protect

    counts = wave.counts  # type: ignore[attr-defined]
    show_text(
        f"Aus der Datei {md_code(wave.provenance['file'])} wurden "  # type: ignore[attr-defined]
        f"{de.integer(counts['read'])} Zeilen gelesen: {de.integer(counts['accepted'])} ohne "
        f"Beanstandung übernommen, {de.integer(counts['accepted_with_flags'])} mit Hinweis "
        f"übernommen und {de.integer(counts['quarantined'])} wegen fehlerhafter Angaben "
        "zurückgestellt." + (f" {note}" if note else "")
    )
    problems = issue_summary(wave.issues, codebook)  # type: ignore[attr-defined,arg-type]
    if len(problems):
        report.table(
            protect(
                problems.assign(**{"geprüfte Zeilen": counts["read"]}),
                counts="geprüfte Zeilen",
                values=["Anzahl"],
                min_n=report.min_n,
            ),
            "Prüfergebnisse nach Regel (alle Zeilen der Datei)",
            formats={"Anzahl": de.integer, "geprüfte Zeilen": de.integer},
        )
    missing = wave.missing_summary().drop(columns="item")  # type: ignore[attr-defined]
    codes = [c for c in missing.columns if c not in ("item_label", "valid", "ohne Angabe", "n")]
    missing = missing[["item_label", "valid", *codes, "ohne Angabe", "n"]]
    report.table(
        protect(missing, counts="n", min_n=report.min_n),
        "Gültige Antworten und fehlende Werte je Frage",
        headers=vocabulary.MISSING,
        formats={c: de.integer for c in missing.columns if c != "item_label"},
    )


# Sentences and sections of the weighted (newcomer) reports --------------------------------


def share_with_interval(row: Mapping[str, object], estimate: str = "raked") -> str:
    """A share with its 95 % interval: ``"45 % (95-%-KI [40 %; 50 %])"``.

    >>> share_with_interval({"raked": 0.45, "ci_low": 0.4, "ci_high": 0.5})
    '45\u202f% (95-%-KI [40\u202f%; 50\u202f%])'
    """
    interval = de.interval(row["ci_low"], row["ci_high"], 0, as_percent=True)  # type: ignore[arg-type]
    return f"{de.percent(row[estimate])} (95-%-KI {interval})"  # type: ignore[arg-type]


def bold_list(labels: Sequence[str], *, none: str) -> str:
    """Labels in bold, comma-separated, or ``none`` when there are none.

    >>> bold_list(["Wohnen", "Arbeit"], none="keiner"), bold_list([], none="keiner")
    ('**Wohnen**, **Arbeit**', 'keiner')
    """
    from welcome_eval.present.markup import md_escape

    return ", ".join(f"**{md_escape(label)}**" for label in labels) if len(labels) else none


def odds_ratio_wording(row: Mapping[str, object], *, higher: str, lower: str, unclear: str) -> str:
    """``higher`` when the interval of an odds ratio lies above 1, ``lower`` when below,
    ``unclear`` when it contains 1.

    >>> odds_ratio_wording({"or_low": 1.2, "or_high": 2.0}, higher="a", lower="b", unclear="c")
    'a'
    """
    if row["or_low"] > 1:  # type: ignore[operator]
        return higher
    if row["or_high"] < 1:  # type: ignore[operator]
        return lower
    return unclear


def weighting_effect(report: Report, shares: pd.DataFrame, caption: str) -> None:
    """Unweighted, design-weighted and calibrated shares
    (:func:`~welcome_eval.analysis.newcomers.weighted_shares`) as a table, and a sentence
    on each result the weighting moves by three percentage points or more."""
    from welcome_eval.present.markup import md_escape
    from welcome_eval.publish.privacy import protect

    columns = ["item_label", "n", "unweighted", "design_weighted", "raked", "ci_low", "ci_high"]
    table = protect(shares[[*columns, "difference"]], counts="n", min_n=report.min_n)
    report.table(
        table,
        caption,
        headers=vocabulary.RESULTS,
        formats={
            **dict.fromkeys(columns[2:], vocabulary.percent_one),
            "difference": vocabulary.points_one,
        },
        difference="kalibriert − ungewichtet (Pp.)",
    )
    marked = table.table[table.table["difference"].abs() >= 0.03]
    if not len(marked):
        show_text("Die Gewichtung verändert die Ergebnisse um weniger als drei Prozentpunkte.")
        return
    show_text(
        "\n".join(
            f"- {md_escape(row['item_label'])}: ungewichtet {de.percent(row['unweighted'], 1)}, "
            f"kalibriert {de.percent(row['raked'], 1)} "
            f"({de.signed(row['difference'] * 100, 1)} Prozentpunkte)."
            for _, row in marked.iterrows()
        )
        + "\n\nOhne Gewichtung wären diese Ergebnisse verzerrt: Die Gruppen, die seltener "
        "antworten, antworten anders als die übrigen."
    )


def share_change(
    report: Report, shares: pd.DataFrame, current: object, previous: Sequence[object]
) -> None:
    """The section "Veränderung gegenüber der Vorwelle" for calibrated shares: the
    difference to the last wave with its interval and the Wald test
    (:func:`~welcome_eval.analysis.newcomers.compare_shares`).

    ``shares`` is :func:`~welcome_eval.analysis.newcomers.shares_over_waves` of all waves;
    ``current`` and ``previous`` are the waves (:class:`~welcome_eval.ingest.wave.Wave`).
    """
    from welcome_eval.analysis import newcomers, regional
    from welcome_eval.publish.privacy import protect

    if not previous:
        show_text("Dies ist die erste Welle der Befragung; ein Vergleich ist noch nicht möglich.")
        return
    last = previous[-1]
    now_wave = current.wave  # type: ignore[attr-defined]
    now = shares[shares["wave"] == now_wave]
    before = shares[shares["wave"] == last.wave]  # type: ignore[attr-defined]
    change = regional.compare_weighted_shares(newcomers.compare_shares(now, before))
    change["n_min"] = change["column"].map(
        now.set_index("column")["n"].combine(before.set_index("column")["n"], min)
    )
    show_text(
        f"Verglichen wird mit der Welle {last.wave} "  # type: ignore[attr-defined]
        f"({de.integer(len(last.data))} "  # type: ignore[attr-defined]
        "Antwortende). Jede Welle ist eine neue Stichprobe eines neuen Jahrgangs von "
        "Neuzugezogenen; beide sind kalibriert, das Intervall der Differenz verbindet die "
        "Standardfehler beider Wellen. Geprüft wird mit dem Wald-Test; die p-Werte sind nach Holm "
        "für die Zahl der Ergebnisse korrigiert, die Effektstärke ist Cohens h."
    )
    columns = ["item_label", "n_min", "previous", "current", "difference", "ci_low", "ci_high"]
    report.table(
        protect(change[[*columns, "result"]], counts="n_min", min_n=report.min_n),
        f"Kalibrierte Anteile {last.wave} und {now_wave} im "  # type: ignore[attr-defined]
        "Vergleich (Veränderung in Prozentpunkten mit 95-%-Konfidenzintervall)",
        headers=vocabulary.RESULTS,
        formats={
            "previous": de.percent,
            "current": de.percent,
            **dict.fromkeys(columns[4:], vocabulary.points_one),
        },
        previous=f"Welle {last.wave}",  # type: ignore[attr-defined]
        current=f"Welle {now_wave}",
        difference="Veränderung (Pp.)",
        ci_low="KI unten (Pp.)",
        ci_high="KI oben (Pp.)",
        result=f"{now_wave} im Vergleich",
    )
    show_text(
        "Statistisch bedeutsam verändert: "
        + regional.significant_results(change, label="item_label")
        + "."
    )


def share_trend(
    report: Report,
    shares: pd.DataFrame,
    *,
    figure_columns: Sequence[str],
    figure_caption: str,
    figure_alt: str,
    table_caption: str,
) -> None:
    """The sub-section "Entwicklung über alle Wellen" for calibrated shares: the shares of
    ``figure_columns`` per wave as a figure, all shares per wave as a table. Shown only
    when ``shares`` (:func:`~welcome_eval.analysis.newcomers.shares_over_waves`) holds
    more than one wave."""
    from welcome_eval.analysis import regional
    from welcome_eval.present import figures
    from welcome_eval.publish.privacy import protect

    waves = shares["wave"].nunique()
    if waves < 2:
        return
    show_text(f"### Entwicklung über alle {waves} Wellen")
    trend = protect(
        shares[["wave", "item_label", "n", "raked", "ci_low", "ci_high"]], min_n=report.min_n
    )
    shown = shares.loc[shares["column"].isin(list(figure_columns)), "item_label"]
    ax = figures.wave_comparison(
        trend.table[trend.table["item_label"].isin(shown)].dropna(subset=["raked"]),
        y="item_label",
        x="raked",
        hue="wave",
        low="ci_low",
        high="ci_high",
        as_percent=True,
    )
    report.figure(ax, figure_caption, alt=figure_alt, data=trend)
    wide, wide_counts = regional.by_wave_wide(
        trend.table, value="raked", value_name="Anteil", count_name="Antworten"
    )
    report.table(
        protect(wide, counts=wide_counts, min_n=report.min_n),
        table_caption,
        headers=vocabulary.RESULTS,
        formats={
            c: (de.percent if c.startswith("Anteil") else de.integer)
            for c in wide.columns
            if c != "item_label"
        },
    )


def demo_note(manifest: object, detail: str = "") -> str:
    """``" *Demodaten: synthetisch erzeugt.*"`` for a demo wave (a manifest, or ``True``;
    ``detail`` after a comma), else nothing: to append to a report's introduction.

    >>> class M:
    ...     demo = True
    >>> demo_note(M(), "mit eingepflanztem Effekt")
    ' *Demodaten: synthetisch erzeugt, mit eingepflanztem Effekt.*'
    """
    demo = manifest if isinstance(manifest, bool) else getattr(manifest, "demo", False)
    if not demo:
        return ""
    return f" *Demodaten: synthetisch erzeugt{', ' + detail if detail else ''}.*"
