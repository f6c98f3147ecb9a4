"""The demo programme's participation record: when each of the 59 municipalities joined.

Every other generator builds on it, so it sits below them all.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from welcome_eval.municipalities import municipalities

__all__ = ["participation", "write_participation_record"]

# Participation history: (number joined so far, first day, last day) per cohort.
_COHORTS = (
    (30, dt.date(2017, 10, 1), dt.date(2018, 3, 31)),
    (38, dt.date(2018, 7, 1), dt.date(2019, 10, 31)),
    (44, dt.date(2019, 12, 1), dt.date(2021, 5, 31)),
)

# Stream tag for numpy's SeedSequence: (seed, tag) gives independent streams.
_STREAM_PARTICIPATION = 1


def participation(seed: int = 2018) -> pd.DataFrame:
    """The programme's participation record for all 59 municipalities.

    Thirty municipalities joined between 1 October 2017 and 31 March 2018
    (within four months of the launch), 38 had joined by 30 November 2019 and
    44 by 30 June 2021; the remaining 15 never joined. Larger towns are somewhat
    more likely to join early (sampling weight ``log(population / 2000)``).

    Parameters
    ----------
    seed : int, default 2018
        Seed of the random generator; the same seed gives the same record.

    Returns
    -------
    pandas.DataFrame
        One row per municipality in the order of
        :func:`welcome_eval.municipalities.municipalities`, columns ``ags``
        (8-digit string), ``name``, ``district`` and ``joined``
        (``datetime64``; ``NaT`` if the municipality never joined).

    Examples
    --------
    >>> p = participation()
    >>> int((p["joined"] <= "2018-06-30").sum()), int(p["joined"].notna().sum())
    (30, 44)
    """
    frame = municipalities()[["ags", "name", "district", "population"]].reset_index(drop=True)
    rng = np.random.default_rng([seed, _STREAM_PARTICIPATION])
    weights = np.log(frame["population"].to_numpy(dtype=float) / 2000.0)
    # Weighted sampling without replacement (Efraimidis-Spirakis): larger key first.
    keys = np.log(rng.random(len(frame))) / weights
    order = np.argsort(-keys, kind="stable")
    joined: list[pd.Timestamp] = [pd.NaT] * len(frame)
    start_rank = 0
    for total, first_day, last_day in _COHORTS:
        span = (last_day - first_day).days
        offsets = np.sort(rng.integers(0, span + 1, size=total - start_rank))
        for rank, offset in zip(range(start_rank, total), offsets, strict=True):
            joined[order[rank]] = pd.Timestamp(first_day + dt.timedelta(days=int(offset)))
        start_rank = total
    frame["joined"] = pd.to_datetime(pd.Series(joined, dtype="datetime64[ns]"))
    return frame[["ags", "name", "district", "joined"]]


def write_participation_record(out_dir: str | Path, seed: int = 2018) -> Path:
    """Write the demo participation record ``<out_dir>/programme/teilnahme.csv``.

    Columns ``ags``, ``name``, ``joined`` (ISO date, empty if never) and ``left``
    (empty: no municipality has left the offensive so far).
    """
    record = participation(seed)
    path = Path(out_dir) / "programme" / "teilnahme.csv"
    path.parent.mkdir(parents=True, exist_ok=True)
    table = pd.DataFrame(
        {
            "ags": record["ags"],
            "name": record["name"],
            "joined": record["joined"].dt.strftime("%Y-%m-%d").fillna(""),
            "left": "",
        }
    )
    path.write_bytes(table.to_csv(index=False, lineterminator="\n").encode("utf-8"))
    return path
