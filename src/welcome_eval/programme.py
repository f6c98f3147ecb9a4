"""The participation record: which municipality joined the offensive when."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from welcome_eval.config import data_dir as default_data_dir
from welcome_eval.municipalities import municipalities

RECORD_FILE = Path("programme") / "teilnahme.csv"


class ParticipationRecordError(ValueError):
    """The participation record is missing or inconsistent."""


def participation_record(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Join (and leave) dates of all 59 municipalities.

    Reads ``<data_dir>/programme/teilnahme.csv`` (columns ``ags``, ``joined``,
    ``left``; dates ISO, empty if never) and adds name and district.
    """
    path = Path(data_dir or default_data_dir()) / RECORD_FILE
    if not path.is_file():
        raise ParticipationRecordError(f"{path}: participation record not found")
    record = pd.read_csv(path, dtype={"ags": str}, parse_dates=["joined", "left"])
    unknown = set(record["ags"]) - set(municipalities()["ags"])
    if unknown:
        raise ParticipationRecordError(f"{path}: unknown municipality keys {sorted(unknown)}")
    if record["ags"].duplicated().any():
        raise ParticipationRecordError(f"{path}: a municipality is listed twice")
    reference = municipalities()[["ags", "name", "district", "population"]]
    return reference.merge(record[["ags", "joined", "left"]], on="ags", how="left")


def participating_on(record: pd.DataFrame, date: dt.date | str | pd.Timestamp) -> pd.Series:
    """Boolean mask: which municipalities took part on ``date``."""
    when = pd.Timestamp(date)
    joined = record["joined"].notna() & (record["joined"] <= when)
    still_in = record["left"].isna() | (record["left"] > when)
    return joined & still_in


def response_by_district(
    data: pd.DataFrame,
    record: pd.DataFrame,
    on: dt.date | str | pd.Timestamp,
    *,
    municipality: str = "ags",
) -> pd.DataFrame:
    """Participating municipalities, responding municipalities and respondents per district.

    ``data`` is a wave's tidy data (one row per respondent, a municipality key
    column); ``record`` the participation record; ``on`` the reference date
    (usually the first day of fieldwork). Returns one row per district plus a
    total row ``Südwestfalen``: ``district``, ``municipalities``,
    ``participating``, ``responding``, ``response_rate`` (responding among
    participating), ``respondents``.
    """
    if municipality not in data:
        raise KeyError(f"column {municipality!r} not in data")
    participating = record.loc[participating_on(record, on), "ags"]
    respondents = data.groupby(municipality).size()
    frame = record[["ags", "district"]].assign(
        participating=record["ags"].isin(participating),
        responding=record["ags"].isin(respondents.index) & record["ags"].isin(participating),
        respondents=record["ags"].map(respondents).fillna(0).astype(int),
    )
    table = frame.groupby("district", observed=False).agg(
        municipalities=("ags", "size"),
        participating=("participating", "sum"),
        responding=("responding", "sum"),
        respondents=("respondents", "sum"),
    )
    table.loc["Südwestfalen"] = table.sum()
    table = table.astype(int).reset_index().rename(columns={"index": "district"})
    table["district"] = table["district"].astype(str)
    table["response_rate"] = table["responding"] / table["participating"].where(
        table["participating"] > 0
    )
    return table[
        [
            "district",
            "municipalities",
            "participating",
            "responding",
            "response_rate",
            "respondents",
        ]
    ]
