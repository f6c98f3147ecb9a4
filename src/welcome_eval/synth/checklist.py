"""Seeded synthetic self-assessment checklists ("Checkliste Willkommenskultur").

Three waves (2019, 2021, 2023). In each wave every municipality that takes part in the
offensive at the start of fieldwork (:func:`welcome_eval.synth.participation_record`, the demo's
``programme/teilnahme.csv``) fills in the checklist with probability
:data:`P_RESPOND`, on a day drawn uniformly within the fieldwork period.

Answer model (one latent value per municipality, item and wave, cut into the four answers)
    ``z = BASE + u_m + SIZE * log(population / 17,000) + EXPERIENCE * sqrt(years)
    - LATER_JOINER * years_after_first_join - DIFFICULTY[item] + e_mi + w_mit`` with
    ``u_m ~ N(0, 0.4)`` (the municipality's own engagement), ``years`` = years of
    participation at the day of the self-assessment, ``years_after_first_join`` = how
    much later than the first municipality (1 October 2017) it joined (early joiners were
    the more engaged ones),
    ``e_mi ~ N(0, 0.6)`` fixed across waves (what a municipality has, it mostly keeps) and
    ``w_mit ~ N(0, 0.3)`` per wave. ``z`` is cut at :data:`THRESHOLDS` into
    nicht vorhanden / geplant / teilweise vorhanden / vorhanden. Municipalities that joined
    earlier therefore have more in place, larger towns somewhat more, and everybody
    improves from wave to wave (``sqrt(years)`` grows), most in the first years.
    Hard items (help with the partner's job search, information in other languages,
    vacancies for partners) are rarely in place; easy ones (a web page, taking part in the
    round table, the regional material) mostly are.

Missing answers: 2 % "weiß nicht", 1 % "keine Angabe", 1 % left blank. About 12 % of
answers carry a short German note fitting the item and the answer; two notes contain
contact data (:data:`PLANTED_PERSONAL_DATA`) that must never reach a report.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from welcome_eval.analysis.checklist import SURVEY, scoring_rule
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.ingest.writers import write_export
from welcome_eval.municipalities import municipalities

__all__ = [
    "BASE",
    "DIFFICULTY",
    "EXPERIENCE",
    "LATER_JOINER",
    "PLANTED_PERSONAL_DATA",
    "P_BLANK",
    "P_DONT_KNOW",
    "P_NOTE",
    "P_NO_ANSWER",
    "P_RESPOND",
    "SD_ITEM",
    "SD_MUNICIPALITY",
    "SD_WAVE",
    "SIZE",
    "THRESHOLDS",
    "WAVES",
    "checklist_wave",
    "write_checklist_demo",
]

#: Share of participating municipalities that fill in the checklist in a wave.
P_RESPOND = 0.92
#: Cut points of the latent value: below the first "nicht vorhanden", then "geplant",
#: "teilweise vorhanden", and above the last "vorhanden".
THRESHOLDS = (-0.55, 0.0, 0.85)
BASE = -0.45
SIZE = 0.30
EXPERIENCE = 0.5
#: Municipalities that joined later were less engaged to begin with (per year later).
LATER_JOINER = 0.20
_FIRST_JOIN = pd.Timestamp("2017-10-01")
SD_MUNICIPALITY = 0.40
SD_ITEM = 0.60
SD_WAVE = 0.30
P_DONT_KNOW = 0.02
P_NO_ANSWER = 0.01
P_BLANK = 0.01
P_NOTE = 0.12

#: Contact data planted in notes; none of it may appear in a report.
PLANTED_PERSONAL_DATA: tuple[str, ...] = (
    "willkommen@rathaus-beispiel.de",
    "02721 6930-15",
)
_PLANTED_NOTES = (
    "Ansprechpartnerin im Rathaus: willkommen@rathaus-beispiel.de",
    "Rückfragen an das Bürgerbüro unter 02721 6930-15",
)

#: Item difficulty (higher: rarer in place); items not listed have 0.
DIFFICULTY: dict[str, float] = {
    "info_webseite": -1.0,
    "info_broschuere": -0.3,
    "info_region": -0.6,
    "info_sprachen": 0.9,
    "info_aktuell": 0.3,
    "begr_brief": -0.7,
    "begr_tasche": 0.0,
    "begr_empfang": 0.1,
    "begr_video": 0.8,
    "begr_buergerbuero": -0.2,
    "serv_ansprechperson": -0.4,
    "serv_wohnen": 0.6,
    "serv_kinderbetreuung": 0.4,
    "serv_partner": 1.2,
    "serv_bewerber": 0.9,
    "kenn_fuehrung": 0.1,
    "kenn_treffen": 0.5,
    "kenn_vereine": 0.0,
    "kenn_paten": 0.8,
    "kenn_kalender": -0.5,
    "arb_austausch": 0.0,
    "arb_material": 0.3,
    "arb_veranstaltung": 0.7,
    "arb_stellen": 1.1,
    "netz_runder_tisch": -1.1,
    "netz_nachbarn": 0.2,
    "netz_kampagnen": -0.8,
    "netz_kreis": -0.1,
}

# Notes per answer code (4 vorhanden, 3 teilweise, 2 geplant, 1 nicht vorhanden); item-
# specific notes first, generic ones as fallback. All cp1252-encodable.
_NOTES_GENERIC: dict[int, tuple[str, ...]] = {
    4: (
        "Seit Jahren fest etabliert.",
        "Läuft gut, wird regelmäßig genutzt.",
        "Im letzten Jahr überarbeitet.",
    ),
    3: (
        "Nur in Teilen umgesetzt, personell schwierig.",
        "Gibt es, aber kaum bekannt.",
        "Nur auf Nachfrage, nicht aktiv beworben.",
    ),
    2: (
        "Für das kommende Jahr geplant.",
        "Haushaltsmittel sind beantragt.",
        "Abstimmung mit der Verwaltungsspitze läuft.",
    ),
    1: (
        "Derzeit personell nicht leistbar.",
        "Bisher kein Bedarf gesehen.",
        "Kein Budget vorhanden.",
    ),
}
_NOTES_ITEM: dict[str, dict[int, tuple[str, ...]]] = {
    "begr_brief": {
        4: ("Brief der Bürgermeisterin liegt der Meldebestätigung bei.",),
        3: ("Nur für Familien mit Kindern.",),
    },
    "begr_tasche": {
        4: ("Tasche mit Gutscheinen örtlicher Händler, Ausgabe im Bürgerbüro.",),
        3: ("Tasche nur beim Neubürgerempfang.",),
        2: ("Gemeinsame Beschaffung mit Nachbarkommunen geplant.",),
    },
    "begr_empfang": {
        4: ("Zweimal im Jahr, freitags am frühen Abend.",),
        3: ("Seit Corona nur noch einmal im Jahr.",),
        1: ("Früher angeboten, wegen geringer Resonanz eingestellt.",),
    },
    "begr_video": {
        4: ("Video mit dem Bürgermeister auf der Website und in sozialen Medien.",),
        2: ("Dreharbeiten mit dem Stadtmarketing im Herbst.",),
    },
    "info_sprachen": {
        3: ("Website teilweise auf Englisch.",),
        1: ("Übersetzung zu teuer.",),
    },
    "serv_ansprechperson": {
        4: ("Ansprechperson in der Wirtschaftsförderung, auf der Website genannt.",),
        3: ("Zuständigkeit geklärt, aber noch nicht veröffentlicht.",),
    },
    "serv_partner": {
        1: ("Fehlt uns, Kontakte zur Arbeitsagentur wären nötig.",),
        2: ("Gespräche mit der Arbeitsagentur laufen.",),
        3: ("Einzelfallhilfe über die Wirtschaftsförderung.",),
    },
    "serv_bewerber": {
        4: ("Arbeitgeber melden Bewerber, wir zeigen Paaren die Stadt.",),
        3: ("Zwei Unternehmen nutzen das Angebot regelmäßig.",),
    },
    "kenn_fuehrung": {
        4: ("Neubürger-Freitag mit Stadtführung, sehr beliebt.",),
        3: ("Führung nur im Sommer.",),
    },
    "kenn_paten": {
        2: ("Aufbau mit den Vereinen und dem Ehrenamtsbüro geplant.",),
        1: ("Ehrenamtliche fehlen.",),
    },
    "arb_austausch": {
        4: ("Unternehmerfrühstück viermal im Jahr.",),
        3: ("Nur mit den großen Arbeitgebern.",),
    },
    "netz_runder_tisch": {
        4: ("Wir sind bei jedem Runden Tisch dabei.",),
        3: ("Teilnahme je nach Thema.",),
    },
    "netz_nachbarn": {
        4: ("Gemeinsamer Neubürgerempfang mit den Nachbargemeinden.",),
        2: ("Gemeinsame Broschüre mit der Nachbarstadt in Planung.",),
    },
}

# Stream tags for numpy's SeedSequence: (seed, tag) gives independent streams.
_STREAM_MUNICIPALITY = 71
_STREAM_ITEM = 72
_STREAM_WAVE = 73


@dataclass(frozen=True)
class _WaveSpec:
    fieldwork_start: dt.date
    fieldwork_end: dt.date
    first_id: int
    file_format: str
    encoding: str = "cp1252"


_WAVES: dict[str, _WaveSpec] = {
    "2019": _WaveSpec(dt.date(2019, 4, 1), dt.date(2019, 5, 31), 19001, "csv"),
    "2021": _WaveSpec(dt.date(2021, 3, 1), dt.date(2021, 4, 30), 21001, "xlsx"),
    "2023": _WaveSpec(dt.date(2023, 3, 1), dt.date(2023, 4, 28), 23001, "csv", "utf-8-sig"),
}
#: The checklist waves this module generates, in time order.
WAVES: tuple[str, ...] = tuple(_WAVES)


def _spec(wave: str) -> _WaveSpec:
    try:
        return _WAVES[str(wave)]
    except KeyError:
        known = ", ".join(_WAVES)
        raise ValueError(f"Unknown checklist wave {wave!r}; known waves: {known}") from None


def _note(item: str, code: int, rng: np.random.Generator) -> str:
    specific = _NOTES_ITEM.get(item, {}).get(code, ())
    pool = specific if specific and rng.random() < 0.7 else _NOTES_GENERIC[code]
    return pool[int(rng.integers(0, len(pool)))]


def checklist_wave(wave: str, seed: int = 2018) -> tuple[pd.DataFrame, dict[str, Any]]:
    """Synthetic coded checklists of one wave (one row per responding municipality).

    Parameters
    ----------
    wave : {"2019", "2021", "2023"}
        The checklist wave.
    seed : int, default 2018
        Seed; the municipality and item effects depend on ``seed`` only (the same in
        every wave), the wave's own draws on ``(seed, wave)``. The participation record
        is :func:`welcome_eval.synth.participation_record` with the same seed.

    Returns
    -------
    frame : pandas.DataFrame
        Columns in codebook order: ``bogen_id`` (int), ``ags`` (8-digit string),
        ``ausgefuellt_am`` (:class:`datetime.date`), per item its code (``Int64``, with
        missing codes ``-9`` / ``-99`` and ``<NA>`` for blanks) and its note
        (``object``: ``str`` or ``None``).
    meta : dict
        ``survey``, ``wave``, ``title``, ``fieldwork_start``, ``fieldwork_end``,
        ``seed``, ``n_participating`` and ``n_municipalities`` (responding).

    Examples
    --------
    >>> frame, meta = checklist_wave("2019")
    >>> meta["n_participating"], int(frame["bogen_id"].iloc[0])
    (37, 19001)
    """
    from welcome_eval.synth.participation_record import participation

    spec = _spec(wave)
    wave = str(wave)
    codebook = Codebook.for_survey(SURVEY)
    rule = scoring_rule(codebook)
    items = rule.all_items
    unknown = set(items) - set(DIFFICULTY)
    if unknown:
        raise KeyError(f"synth_checklist: no difficulty for checklist items {sorted(unknown)}")

    places = municipalities()[["ags", "population"]]
    record = participation(seed).merge(places, on="ags")
    municipal_rng = np.random.default_rng([seed, _STREAM_MUNICIPALITY])
    record["engagement"] = municipal_rng.normal(0.0, SD_MUNICIPALITY, len(record))
    item_rng = np.random.default_rng([seed, _STREAM_ITEM])
    persistent = item_rng.normal(0.0, SD_ITEM, (len(record), len(items)))

    rng = np.random.default_rng([seed, _STREAM_WAVE, int(wave)])
    start = pd.Timestamp(spec.fieldwork_start)
    eligible = np.flatnonzero((record["joined"] <= start).to_numpy())
    responding = eligible[rng.random(len(eligible)) < P_RESPOND]
    span = (spec.fieldwork_end - spec.fieldwork_start).days
    days = rng.integers(0, span + 1, len(responding))
    order = np.argsort(days, kind="stable")  # checklists arrive in date order
    responding, days = responding[order], days[order]
    n = len(responding)
    rows = record.iloc[responding].reset_index(drop=True)
    assessed = [spec.fieldwork_start + dt.timedelta(days=int(d)) for d in days]
    years = np.array(
        [(pd.Timestamp(a) - j).days / 365.25 for a, j in zip(assessed, rows["joined"], strict=True)]
    )
    level = (
        BASE
        + rows["engagement"].to_numpy()
        + SIZE * np.log(rows["population"].to_numpy(dtype=float) / 17000.0)
        + EXPERIENCE * np.sqrt(years)
        - LATER_JOINER * (rows["joined"] - _FIRST_JOIN).dt.days.to_numpy() / 365.25
    )
    latent = (
        level[:, None]
        - np.array([DIFFICULTY[i] for i in items])[None, :]
        + persistent[responding]
        + rng.normal(0.0, SD_WAVE, (n, len(items)))
    )
    codes = np.digitize(latent, THRESHOLDS) + 1  # 1 nicht vorhanden … 4 vorhanden

    columns: dict[str, pd.Series] = {
        "bogen_id": pd.Series(np.arange(n, dtype="int64") + spec.first_id),
        "ags": rows["ags"].astype(str),
        "ausgefuellt_am": pd.Series(assessed, dtype=object),
    }
    for k, item in enumerate(items):
        draw = rng.random(n)
        values = pd.array(codes[:, k], dtype="Int64")
        values[draw < P_DONT_KNOW] = -9
        values[(draw >= P_DONT_KNOW) & (draw < P_DONT_KNOW + P_NO_ANSWER)] = -99
        blank = (draw >= P_DONT_KNOW + P_NO_ANSWER) & (draw < P_DONT_KNOW + P_NO_ANSWER + P_BLANK)
        values[blank] = pd.NA
        noted = rng.random(n) < P_NOTE
        notes: list[str | None] = []
        for row in range(n):
            code = values[row]
            if noted[row] and code is not pd.NA and int(code) > 0:
                notes.append(_note(item, int(code), rng))
            else:
                notes.append(None)
        columns[item] = pd.Series(values, dtype="Int64")
        columns[f"{item}_notiz"] = pd.Series(notes, dtype=object)
    frame = pd.DataFrame(columns)
    # Two notes carry contact data, in fixed items (redaction must catch them).
    for text, item in zip(_PLANTED_NOTES, ("serv_ansprechperson", "begr_tasche"), strict=True):
        frame.loc[int(rng.integers(0, n)), f"{item}_notiz"] = text
    frame = frame[[c for c in codebook.column_items() if c in frame]]
    meta: dict[str, Any] = {
        "survey": SURVEY,
        "wave": wave,
        "title": f"Checkliste Willkommenskultur {wave}",
        "fieldwork_start": spec.fieldwork_start,
        "fieldwork_end": spec.fieldwork_end,
        "seed": seed,
        "n_participating": len(eligible),
        "n_municipalities": n,
    }
    return frame, meta


def write_checklist_demo(out_dir: str | Path, seed: int = 2018) -> list[Path]:
    """Write all checklist waves as raw exports with manifests (byte for byte reproducible).

    Layout: ``<out_dir>/checkliste/<wave>/manifest.yaml`` beside ``checkliste_2019.csv``
    (German Excel CSV, cp1252), ``checkliste_2021.xlsx`` and ``checkliste_2023.csv``
    (UTF-8 with BOM, as newer Excel versions save it). Returns the manifest paths.
    """
    codebook = Codebook.for_survey(SURVEY)
    manifests = []
    for wave in WAVES:
        frame, meta = checklist_wave(wave, seed)
        spec = _WAVES[wave]
        manifests.append(
            write_export(
                frame,
                codebook,
                Path(out_dir) / SURVEY / wave,
                wave=wave,
                title=meta["title"],
                fieldwork=(spec.fieldwork_start, spec.fieldwork_end),
                fmt=spec.file_format,
                encoding=spec.encoding,
                generator={"seed": seed, "module": __name__},
            )
        )
    return manifests
