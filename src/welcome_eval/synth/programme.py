"""Seeded synthetic programme records: round tables, their attendance, regional funding.

The participation record itself (``programme/teilnahme.csv``) is written by
:func:`welcome_eval.synth.write_participation_record`; this module adds the records that
build on it, all under ``<data_dir>/programme/`` (schemas in ``surveys/programme/``):

* ``runde_tische.csv`` -- the round tables (:data:`ROUND_TABLES`): number, date, format
  (``vor_ort``, ``digital``, ``hybrid``), host municipality (empty when digital), topic,
  and participants by role. The 12th took place in Meinerzhagen on 14 November 2019 with
  about 40 people from city marketing, economic development and administration; from the
  15th (3 December 2020) the pandemic moved the meetings online.
* ``runde_tische_teilnahme.csv`` -- which municipality sent how many people to which round
  table. A municipality can attend only while it takes part. It attends with probability
  ``logistic(0.5 + 1.2 * engagement - 0.012 * distance_km + DIGITAL + MEETING)`` where
  ``engagement ~ N(0, 1)`` is its own (fixed) interest, ``distance_km`` the distance to
  the host (0 for digital meetings, whose ``DIGITAL`` = +0.4 reflects the saved journey)
  and the kick-off and the 12th meeting (the exchange of experience) drew more
  (``MEETING`` = +2.0 and +1.2; 0 otherwise). It sends one person
  (55 %), two (35 %) or three (10 %), each in one of the three municipal roles.
* ``foerderung.csv`` -- the regional funding per year (:data:`REGIONAL_FUNDING`). **Demo
  assumption**: the real grant is not public in this form; the figures are of a plausible
  order (the agency's project staff and material) so that the cost arithmetic can be
  shown. Replace the file with the real figures.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from welcome_eval.municipalities import municipalities

__all__ = [
    "FUNDER",
    "REGIONAL_FUNDING",
    "ROLE_COLUMNS",
    "ROUND_TABLES",
    "funding_record",
    "round_table_records",
    "write_programme_demo",
]

#: The round tables: (number, date, format, host municipality name or None, topic).
ROUND_TABLES: tuple[tuple[int, dt.date, str, str | None, str], ...] = (
    (1, dt.date(2017, 12, 1), "vor_ort", "Olsberg", "Auftakt der Qualitätsoffensive"),
    (2, dt.date(2018, 2, 22), "vor_ort", "Werl", "Checklisten und Selbsteinschätzung"),
    (3, dt.date(2018, 4, 26), "vor_ort", "Netphen", "Neubürgerbroschüre Südwestfalen"),
    (4, dt.date(2018, 6, 21), "vor_ort", "Lüdenscheid", "Willkommenstaschen"),
    (5, dt.date(2018, 9, 13), "vor_ort", "Brilon", "Willkommensvideos"),
    (6, dt.date(2018, 11, 22), "vor_ort", "Lippstadt", "Zusammenarbeit mit Arbeitgebern"),
    (7, dt.date(2019, 1, 31), "vor_ort", "Hilchenbach", "Neubürgerabende und Stadtführungen"),
    (8, dt.date(2019, 3, 28), "vor_ort", "Iserlohn", "Partnerinnen und Partner von Fachkräften"),
    (9, dt.date(2019, 5, 23), "vor_ort", "Soest", "Ergebnisse der Checklisten 2019"),
    (10, dt.date(2019, 7, 4), "vor_ort", "Kreuztal", "Wohnen für Zuziehende"),
    (11, dt.date(2019, 9, 19), "vor_ort", "Winterberg", "Rückkehrerinnen und Rückkehrer"),
    (12, dt.date(2019, 11, 14), "vor_ort", "Meinerzhagen", "Erfahrungsaustausch: was wirkt"),
    (13, dt.date(2020, 2, 13), "vor_ort", "Siegen", "Soziale Medien"),
    (14, dt.date(2020, 9, 24), "vor_ort", "Schmallenberg", "Willkommen unter Corona-Regeln"),
    (15, dt.date(2020, 12, 3), "digital", None, "Digitale Neubürgerangebote"),
    (16, dt.date(2021, 3, 18), "digital", None, "Ergebnisse der Checklisten 2021"),
    (17, dt.date(2021, 6, 17), "digital", None, "Service für Bewerber und Partner"),
    (18, dt.date(2021, 10, 14), "vor_ort", "Attendorn", "Neustart der Neubürgerempfänge"),
    (19, dt.date(2022, 2, 17), "digital", None, "Fachkräfte aus dem Ausland"),
    (20, dt.date(2022, 5, 19), "vor_ort", "Menden (Sauerland)", "Vereine und Ehrenamt"),
    (21, dt.date(2022, 9, 22), "vor_ort", "Bad Berleburg", "Gescheiterte Ideen, offen besprochen"),
    (22, dt.date(2022, 11, 24), "hybrid", "Arnsberg", "Willkommensvideos, zweite Runde"),
    (23, dt.date(2023, 5, 11), "vor_ort", "Olpe", "Ergebnisse der Checklisten 2023"),
    (24, dt.date(2023, 11, 16), "vor_ort", "Geseke", "Fünf Jahre Qualitätsoffensive"),
)

#: Regional funding per year in euro (DEMO ASSUMPTION, see the module docstring).
REGIONAL_FUNDING: dict[int, int] = {
    2017: 25_000,
    2018: 110_000,
    2019: 110_000,
    2020: 110_000,
    2021: 110_000,
    2022: 110_000,
    2023: 110_000,
}
#: Funder written into ``foerderung.csv``.
FUNDER = "EFRE und Land NRW über die Südwestfalen Agentur (Demo-Annahme)"

#: Column of each municipal role in ``runde_tische.csv``, in order.
ROLE_COLUMNS = ("city_marketing", "economic_development", "administration")

_STREAM_ENGAGEMENT = 81
_STREAM_ATTENDANCE = 82
_DIGITAL_BONUS = 0.4
#: Meetings that drew more people: the kick-off and the exchange of experience.
_MEETING_BONUS = {1: 2.0, 12: 1.2}
_PERSONS = (1, 2, 3)
_P_PERSONS = (0.55, 0.35, 0.10)
_P_ROLES = (0.35, 0.35, 0.30)


def _distance_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance (haversine, earth radius 6371 km)."""
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dphi, dlmb = p2 - p1, np.radians(np.asarray(lon2) - np.asarray(lon1))
    a = np.sin(dphi / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dlmb / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(a))


def round_table_records(seed: int = 2018) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The round tables and their attendance (coded, as written to the CSV files).

    Parameters
    ----------
    seed : int, default 2018
        Seed; also the seed of the participation record
        (:func:`welcome_eval.synth.participation_record`).

    Returns
    -------
    tables : pandas.DataFrame
        ``number``, ``date`` (ISO text), ``format``, ``host_ags`` (empty if digital),
        ``topic``, ``city_marketing``, ``economic_development``, ``administration``
        (persons from the municipalities by role), ``agency_and_guests``.
    attendance : pandas.DataFrame
        ``number``, ``ags``, ``persons``: one row per round table and attending
        municipality.

    Examples
    --------
    >>> tables, attendance = round_table_records()
    >>> row = tables.loc[tables["number"] == 12].iloc[0]
    >>> row["date"], int(row[list(ROLE_COLUMNS)].sum())
    ('2019-11-14', 39)
    """
    from welcome_eval.synth.participation_record import participation

    places = municipalities()[["ags", "name", "lat", "lon"]]
    record = participation(seed).merge(places[["ags", "lat", "lon"]], on="ags")
    by_name = places.set_index("name")["ags"]
    engagement = np.random.default_rng([seed, _STREAM_ENGAGEMENT]).normal(0.0, 1.0, len(record))
    rng = np.random.default_rng([seed, _STREAM_ATTENDANCE])
    table_rows, attendance_rows = [], []
    for number, date, kind, host, topic in ROUND_TABLES:
        when = pd.Timestamp(date)
        taking_part = (record["joined"] <= when).to_numpy()
        host_ags = ""
        distance = np.zeros(len(record))
        if host is not None:
            host_ags = str(by_name[host])
            if not taking_part[record.index[record["ags"] == host_ags][0]]:
                raise ValueError(f"round table {number}: host {host} does not take part then")
            at = record.loc[record["ags"] == host_ags].iloc[0]
            distance = _distance_km(at["lat"], at["lon"], record["lat"], record["lon"])
        bonus = (_DIGITAL_BONUS if kind == "digital" else 0.0) + _MEETING_BONUS.get(number, 0.0)
        logit = 0.5 + 1.2 * engagement - (0.0 if kind == "digital" else 0.012) * distance + bonus
        attend = taking_part & (rng.random(len(record)) < 1 / (1 + np.exp(-logit)))
        if host_ags:
            attend[record.index[record["ags"] == host_ags][0]] = True  # the host is there
        roles = np.zeros(len(ROLE_COLUMNS), dtype=int)
        for position in np.flatnonzero(attend):
            persons = int(rng.choice(_PERSONS, p=_P_PERSONS))
            for role in rng.choice(len(ROLE_COLUMNS), size=persons, p=_P_ROLES):
                roles[role] += 1
            attendance_rows.append(
                {"number": number, "ags": record["ags"].iloc[position], "persons": persons}
            )
        table_rows.append(
            {
                "number": number,
                "date": date.isoformat(),
                "format": kind,
                "host_ags": host_ags,
                "topic": topic,
                **dict(zip(ROLE_COLUMNS, roles.tolist(), strict=True)),
                "agency_and_guests": int(rng.integers(3, 9)),
            }
        )
    attendance = pd.DataFrame(attendance_rows).sort_values(["number", "ags"], kind="stable")
    return pd.DataFrame(table_rows), attendance.reset_index(drop=True)


def funding_record() -> pd.DataFrame:
    """Regional funding per year (demo assumption): ``year``, ``amount_eur``, ``funder``.

    Examples
    --------
    >>> int(funding_record()["amount_eur"].sum())
    685000
    """
    return pd.DataFrame(
        {
            "year": list(REGIONAL_FUNDING),
            "amount_eur": list(REGIONAL_FUNDING.values()),
            "funder": FUNDER,
        }
    )


def _write_csv(frame: pd.DataFrame, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(frame.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return path


def write_programme_demo(out_dir: str | Path, seed: int = 2018) -> list[Path]:
    """Write ``runde_tische.csv``, ``runde_tische_teilnahme.csv`` and ``foerderung.csv``
    into ``<out_dir>/programme/`` (UTF-8, comma-separated, byte for byte reproducible)."""
    directory = Path(out_dir) / "programme"
    tables, attendance = round_table_records(seed)
    return [
        _write_csv(tables, directory / "runde_tische.csv"),
        _write_csv(attendance, directory / "runde_tische_teilnahme.csv"),
        _write_csv(funding_record(), directory / "foerderung.csv"),
    ]
