"""Stays of a register extract: durations and ends from the move-in and move-out dates.

:func:`register_stays` turns the register's dates (``einzug``, ``auszug``, ``wegzug_ziel``)
into the durations in days and years and the event columns the survival functions use,
censoring at the extract date; :func:`register_dates`, :func:`register_rules` and
:func:`raise_register_problems` are its date checks, shared with
:mod:`welcome_eval.survival.programme_effect`. A Parquet path or DuckDB relation is handled
in SQL (:mod:`welcome_eval.survival.retention_duckdb`) with the same rules and numbers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

import duckdb
import numpy as np
import pandas as pd

from welcome_eval.survival import retention_duckdb
from welcome_eval.survival._common import Data, check_frame, check_unique_columns

__all__ = [
    "DAYS_PER_YEAR",
    "DEATH",
    "END_TYPES",
    "LEAVES_REGION",
    "STAY_COLUMNS",
    "WITHIN_REGION",
    "raise_register_problems",
    "register_dates",
    "register_rules",
    "register_stays",
]

#: Destination codes of the register (``wegzug_ziel``, ``surveys/register/codebook.yaml``):
#: a move to another municipality of Südwestfalen ...
WITHIN_REGION = 1
#: ... moves out of the region (elsewhere in North Rhine-Westphalia, in Germany, abroad) ...
LEAVES_REGION = (2, 3, 4)
#: ... and death, a separate end.
DEATH = 5
#: Days per year: durations in years are days since the move-in / 365.25.
DAYS_PER_YEAR = 365.25
#: Columns added by :func:`register_stays`.
STAY_COLUMNS = ("days", "years", "left_region", "left_municipality", "end_type")
#: Codes of ``end_type`` (:func:`register_stays`), German labels for reports.
END_TYPES = {
    0: "noch gemeldet",
    1: "Umzug innerhalb der Region",
    2: "Wegzug aus der Region",
    3: "verstorben",
}


def _extract_timestamp(value: object) -> pd.Timestamp:
    if value is None:
        raise ValueError("extract_date is required (the manifest's fieldwork end, the Stichtag)")
    try:
        stamp = pd.Timestamp(value)
    except (TypeError, ValueError) as error:
        raise ValueError(f"extract_date must be a date, got {value!r}") from error
    if pd.isna(stamp):
        raise ValueError(f"extract_date must be a date, got {value!r}")
    return stamp.normalize()


def register_rules(
    extract: pd.Timestamp, move_in: str, move_out: str, destination: str
) -> dict[str, str]:
    """The rules on the register dates (keys as in ``retention_duckdb.register_checks``)."""
    return {
        "no_move_in": f"have no move-in date (column {move_in!r} empty)",
        "after_extract": (
            f"have a move-in or move-out date ({move_in!r}, {move_out!r}) after the extract "
            f"date {extract:%d.%m.%Y}; pass the extract's own date (manifest fieldwork end)"
        ),
        "out_before_in": f"have a move-out date ({move_out!r}) before the move-in date",
        "unpaired": (
            f"have a move-out date without destination or a destination without move-out "
            f"date: {destination!r} and {move_out!r} must come together"
        ),
        "unknown_destination": (
            f"have a destination code ({destination!r}) other than 1-5 (codebook: "
            "1 Südwestfalen, 2 NRW, 3 Deutschland, 4 Ausland, 5 verstorben)"
        ),
    }


def raise_register_problems(
    counts: Mapping[str, int], rules: Mapping[str, str], first_rows: Mapping[str, list]
) -> None:
    """ValueError naming each broken rule (:func:`register_rules`) with its number of rows
    (``counts``) and the first row labels (``first_rows``, may be empty); nothing if none."""
    problems = []
    for key, rule in rules.items():
        if counts.get(key, 0):
            rows = first_rows.get(key)
            where = f" (first rows: {', '.join(map(str, rows))})" if rows else ""
            problems.append(f"{counts[key]} row(s) {rule}{where}")
    if problems:
        raise ValueError(
            "register: "
            + "; ".join(problems)
            + ". Validate the extract first (welcome_eval.read_wave quarantines such rows)"
        )


def register_dates(
    data: pd.DataFrame,
    extract: pd.Timestamp,
    *,
    move_in: str = "einzug",
    move_out: str = "auszug",
    destination: str = "wegzug_ziel",
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Move-in (date), end of stay (move-out or extract date) and destination code (float,
    NaN while registered), after the checks of :func:`register_stays`."""
    check_unique_columns(data, [move_in, move_out, destination])
    start = pd.to_datetime(data[move_in]).dt.normalize()
    end = pd.to_datetime(data[move_out]).dt.normalize()
    code = pd.to_numeric(data[destination], errors="coerce").astype(float)
    masks = {
        "no_move_in": start.isna(),
        "after_extract": (start > extract) | (end > extract),
        "out_before_in": end < start,
        "unpaired": code.notna() != end.notna(),
        "unknown_destination": code.notna() & ~code.isin([1, 2, 3, 4, 5]),
    }
    counts = {key: int(mask.sum()) for key, mask in masks.items()}
    first_rows = {key: list(data.index[mask.to_numpy()][:5]) for key, mask in masks.items()}
    raise_register_problems(
        counts, register_rules(extract, move_in, move_out, destination), first_rows
    )
    return start, end.fillna(extract), code


def register_stays(
    data: Data,
    *,
    extract_date: dt.date | str | pd.Timestamp,
    move_in: str = "einzug",
    move_out: str = "auszug",
    destination: str = "wegzug_ziel",
) -> pd.DataFrame | duckdb.DuckDBPyRelation:
    """Durations and ends of the stays of a register extract, from its dates.

    Each row is a stay from the move-in to the move-out, or to the extract date
    (Stichtag) while the person is still registered (censored). Added columns:

    * ``days``: whole days from the move-in to the end of the stay (dates; a time of
      day is ignored),
    * ``years``: ``days / 365.25`` (:data:`DAYS_PER_YEAR`), the duration the reports use,
    * ``left_region``: 1 if the stay ended with a move out of Südwestfalen
      (destinations :data:`LEAVES_REGION`), else 0 -- a move to another municipality
      of the region, death and the extract date censor,
    * ``left_municipality``: 1 if it ended with any move (destinations 1-4), else 0,
    * ``end_type``: 0 still registered, 1 moved within the region, 2 left the region,
      3 died (:data:`END_TYPES`; the causes of :func:`cumulative_incidence`).

    The rows must follow the register's rules (as :func:`welcome_eval.read_wave`
    enforces): a move-in date, no date after the extract date, move-out not before
    move-in, a destination exactly when there is a move-out date, destinations 1-5;
    otherwise ValueError names the rule, the number of rows and the first row labels.

    For a Parquet path or a DuckDB relation the result is a DuckDB relation computing
    the same columns in SQL (same rules, same numbers: the days are integers and the
    division the same IEEE operation), to pass on to :func:`kaplan_meier`,
    :func:`retention_at` or :func:`median_stay` without reading the extract into memory;
    the checks run as one aggregate query.

    Parameters
    ----------
    data : pandas.DataFrame, path or duckdb.DuckDBPyRelation
        The register extract (one row per person and stay).
    extract_date : date
        The extract date (manifest ``fieldwork.end``); censors everyone still registered.
    move_in, move_out, destination : str
        Columns of the move-in date, move-out date (empty while registered) and
        destination code (``wegzug_ziel``).

    Returns
    -------
    pandas.DataFrame or duckdb.DuckDBPyRelation
        A copy of ``data`` with the five columns (replacing columns of those names).

    Examples
    --------
    >>> reg = pd.DataFrame({
    ...     "einzug": pd.to_datetime(["2015-03-01", "2016-06-01", "2020-01-01"]),
    ...     "auszug": pd.to_datetime(["2016-03-01", None, "2021-01-01"]),
    ...     "wegzug_ziel": [2, None, 1]})
    >>> register_stays(reg, extract_date="2021-12-31")[
    ...     ["days", "years", "left_region", "left_municipality", "end_type"]]
       days     years  left_region  left_municipality  end_type
    0   366  1.002053            1                  1         2
    1  2039  5.582478            0                  0         0
    2   366  1.002053            0                  1         1
    """
    extract = _extract_timestamp(extract_date)
    if retention_duckdb.is_lazy(data):
        rel = retention_duckdb.relation(data)
        counts = retention_duckdb.register_checks(
            rel, extract_date=extract, move_in=move_in, move_out=move_out, destination=destination
        )
        raise_register_problems(counts, register_rules(extract, move_in, move_out, destination), {})
        return retention_duckdb.register_stays(
            rel,
            extract_date=extract,
            move_in=move_in,
            move_out=move_out,
            destination=destination,
            leaves_region=LEAVES_REGION,
            within_region=WITHIN_REGION,
            death=DEATH,
            days_per_year=DAYS_PER_YEAR,
            outputs=STAY_COLUMNS,
        )
    data = check_frame(data)
    start, end, code = register_dates(
        data, extract, move_in=move_in, move_out=move_out, destination=destination
    )
    days = (end - start).dt.days.to_numpy(dtype=np.int64)
    leaves = code.isin(LEAVES_REGION).to_numpy()
    end_type = np.select(
        [code.isna().to_numpy(), (code == WITHIN_REGION).to_numpy(), leaves],
        [0, 1, 2],
        default=3,
    ).astype(np.int64)
    out = data.copy()
    out["days"] = days
    out["years"] = days / DAYS_PER_YEAR
    out["left_region"] = leaves.astype(np.int64)
    out["left_municipality"] = (code.notna() & (code != DEATH)).to_numpy().astype(np.int64)
    out["end_type"] = end_type
    return out
