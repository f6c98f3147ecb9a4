"""The 59 municipalities of Südwestfalen (official reference data)."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING

from welcome_eval.config import package_data_dir

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DISTRICTS", "municipalities"]

#: The five districts in the order the region lists them.
DISTRICTS = (
    "Hochsauerlandkreis",
    "Märkischer Kreis",
    "Kreis Olpe",
    "Kreis Siegen-Wittgenstein",
    "Kreis Soest",
)


@cache
def _load() -> pd.DataFrame:
    import pandas as pd  # on first use: importing the package stays light

    path = package_data_dir() / "suedwestfalen_kommunen.csv"
    frame = pd.read_csv(
        path,
        dtype={"ags": str, "kreis_ags": str, "name": str, "kreis": str, "type": str},
        parse_dates=["population_date"],
        encoding="utf-8",
    )
    frame = frame.rename(columns={"kreis": "district", "kreis_ags": "district_ags"})
    frame["district"] = pd.Categorical(frame["district"], categories=DISTRICTS, ordered=True)
    return frame


def municipalities() -> pd.DataFrame:
    """The 59 municipalities with key, name, district, type, population and coordinates.

    Columns: ``ags`` (official 8-digit municipality key, string), ``name``,
    ``district`` (ordered categorical), ``district_ags``, ``type`` (Stadt or
    Gemeinde), ``population`` (31.12.2024, Zensus 2022 basis),
    ``population_date``, ``area_km2``, ``lat``, ``lon`` (Destatis centre point,
    WGS84) and ``source``. Sources: ``welcome_eval/data/SOURCES.md``.

    Examples
    --------
    >>> m = municipalities()
    >>> len(m), m.loc[m["name"] == "Siegen", "district"].item()
    (59, 'Kreis Siegen-Wittgenstein')
    """
    return _load().copy()
