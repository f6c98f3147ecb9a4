"""DuckDB backend for large register extracts: counting in SQL, statistics in numpy.

A register extract of all of North Rhine-Westphalia over many years has about ten million
rows; read into pandas with its ids and dates it needs several gigabytes. The
Kaplan–Meier estimate, however, depends on the data only through the number of rows per
group, distinct time and event status, and the municipal arrival-cohort outcomes only
through counts per municipality and arrival year. So for a Parquet file (or a
:class:`duckdb.DuckDBPyRelation`) the functions of :mod:`welcome_eval.survival.retention` and
:func:`welcome_eval.survival.programme_effect.arrival_cohorts` let DuckDB compute these counts
over the file -- streaming, within :data:`MEMORY_LIMIT` -- and pull only the aggregated
table into pandas; the statistics are then computed from the counts by the same numpy
code as for a DataFrame, so both ways give the same numbers.

This module holds the SQL; users call the public functions of
:mod:`~welcome_eval.survival.retention`
with a path or a relation as ``data``:

>>> import pandas as pd, tempfile, pathlib
>>> from welcome_eval.survival import retention
>>> df = pd.DataFrame({"years": [1.0, 2, 2, 3, 4, 5], "left": [1, 1, 0, 1, 0, 1]})
>>> path = pathlib.Path(tempfile.mkdtemp()) / "stays.parquet"
>>> df.to_parquet(path)
>>> lazy = retention.kaplan_meier(path, duration="years", event="left")
>>> bool(lazy.equals(retention.kaplan_meier(df, duration="years", event="left")))
True

Settings
    A Parquet path is opened in a new in-memory DuckDB connection with
    ``memory_limit`` = :data:`MEMORY_LIMIT` and ``threads`` = :data:`THREADS`; a relation
    passed in keeps the settings of its own connection. A directory is read as all the
    ``*.parquet`` files in it (one extract written in parts).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Sequence
from pathlib import Path

import duckdb
import pandas as pd

__all__ = ["MEMORY_LIMIT", "THREADS", "connect", "is_lazy", "relation"]

#: Memory DuckDB may use for one query (it spills to disk beyond that); with Python's own
#: share this keeps a 10-million-row extract well within 2 GB.
MEMORY_LIMIT = "1GB"
#: Worker threads per connection: the machine's cores, at most 4 (the queries are scans
#: that gain little beyond that, and reports run several kernels side by side).
THREADS = max(1, min(4, os.cpu_count() or 1))

#: Types of ``data`` handled here instead of by pandas.
LAZY_TYPES = (str, os.PathLike, duckdb.DuckDBPyRelation)


def is_lazy(data: object) -> bool:
    """Whether ``data`` is a Parquet path or a DuckDB relation (not a DataFrame).

    Examples
    --------
    >>> is_lazy("extract.parquet"), is_lazy(pd.DataFrame())
    (True, False)
    """
    return isinstance(data, LAZY_TYPES)


def connect(
    *, memory_limit: str = MEMORY_LIMIT, threads: int = THREADS
) -> duckdb.DuckDBPyConnection:
    """A new in-memory DuckDB connection with a memory limit and a number of threads.

    Examples
    --------
    >>> con = connect(memory_limit="512MB", threads=1)
    >>> con.sql("select current_setting('threads')").fetchall()[0][0]
    1
    """
    return duckdb.connect(config={"memory_limit": memory_limit, "threads": int(threads)})


def relation(data: str | os.PathLike | duckdb.DuckDBPyRelation) -> duckdb.DuckDBPyRelation:
    """The DuckDB relation behind ``data``: a relation as it is, a Parquet file or a
    directory of Parquet files opened with :func:`connect`.

    Examples
    --------
    >>> relation("no/such/file.parquet")
    Traceback (most recent call last):
    ...
    FileNotFoundError: Parquet file no/such/file.parquet not found
    """
    if isinstance(data, duckdb.DuckDBPyRelation):
        return data
    if not isinstance(data, str | os.PathLike):
        raise TypeError(
            "data must be a pandas DataFrame, a Parquet path or a duckdb relation, "
            f"got {type(data).__name__}"
        )
    path = Path(data)
    if path.is_dir():
        files = sorted(path.glob("*.parquet"))
        if not files:
            raise FileNotFoundError(f"directory {path} holds no *.parquet files")
        return connect().read_parquet([str(file) for file in files])
    if not path.exists():
        raise FileNotFoundError(f"Parquet file {path} not found")
    if path.suffix.lower() != ".parquet":
        raise ValueError(
            f"{path}: only Parquet files (*.parquet) are read lazily; read a CSV export "
            "with welcome_eval.read_wave, or convert it to Parquet first"
        )
    return connect().read_parquet(str(path))


def quote(name: str) -> str:
    """``name`` as a quoted SQL identifier."""
    return '"' + str(name).replace('"', '""') + '"'


def _literal_date(value: pd.Timestamp | dt.date) -> str:
    return f"DATE '{pd.Timestamp(value):%Y-%m-%d}'"


def check_columns(rel: duckdb.DuckDBPyRelation, columns: Sequence[str], what: str) -> None:
    """Raise KeyError naming the columns of ``columns`` that ``rel`` lacks."""
    present = list(rel.columns)
    missing = [c for c in dict.fromkeys(columns) if c not in present]
    if missing:
        known = ", ".join(present[:25]) + (", …" if len(present) > 25 else "")
        raise KeyError(
            f"column(s) {', '.join(map(repr, missing))} not found in {what}; "
            f"available columns: {known}"
        )


def _query(rel: duckdb.DuckDBPyRelation, sql: str) -> pd.DataFrame:
    """Run ``sql`` with the relation as table ``data``; the (small) result as pandas."""
    return rel.query("data", sql).df()


# ---------------------------------------------------------------------------
# Kaplan-Meier


def survival_counts(
    rel: duckdb.DuckDBPyRelation, *, duration: str, event: str, by: str | None
) -> pd.DataFrame:
    """Rows per (group,) time and event value, NULLs included (for the missing count).

    Columns ``group`` (with ``by``), ``time``, ``event``, ``n``; sorted.
    """
    columns = [c for c in (by, duration, event) if c is not None]
    check_columns(rel, columns, "data")
    group = f'{quote(by)} AS "group", ' if by is not None else ""
    sql = (
        f'SELECT {group}{quote(duration)} AS "time", {quote(event)} AS "event", '
        "count(*) AS n FROM data GROUP BY ALL ORDER BY ALL NULLS LAST"
    )
    return _query(rel, sql)


# ---------------------------------------------------------------------------
# register dates


def register_checks(
    rel: duckdb.DuckDBPyRelation,
    *,
    extract_date: pd.Timestamp,
    move_in: str,
    move_out: str,
    destination: str,
) -> dict[str, int]:
    """Counts of rows breaking the rules of the register dates (one scan)."""
    check_columns(rel, [move_in, move_out, destination], "register")
    mi, mo = f"CAST({quote(move_in)} AS DATE)", f"CAST({quote(move_out)} AS DATE)"
    dest = f"TRY_CAST({quote(destination)} AS DOUBLE)"
    extract = _literal_date(extract_date)
    sql = f"""
        SELECT
            count(*) AS n_rows,
            count(*) FILTER (WHERE {mi} IS NULL) AS no_move_in,
            count(*) FILTER (WHERE {mi} > {extract} OR {mo} > {extract}) AS after_extract,
            count(*) FILTER (WHERE {mo} < {mi}) AS out_before_in,
            count(*) FILTER (WHERE ({dest} IS NULL) <> ({mo} IS NULL)) AS unpaired,
            count(*) FILTER (WHERE {dest} NOT IN (1, 2, 3, 4, 5)) AS unknown_destination
        FROM data
    """
    row = _query(rel, sql).iloc[0]
    return {key: int(value) for key, value in row.items()}


def register_stays(
    rel: duckdb.DuckDBPyRelation,
    *,
    extract_date: pd.Timestamp,
    move_in: str,
    move_out: str,
    destination: str,
    leaves_region: Sequence[int],
    within_region: int,
    death: int,
    days_per_year: float,
    outputs: Sequence[str],
) -> duckdb.DuckDBPyRelation:
    """``rel`` with the columns of :func:`welcome_eval.survival.retention.register_stays` added
    (computed lazily, in SQL, by the same rules as the pandas path)."""
    mi, mo = f"CAST({quote(move_in)} AS DATE)", f"CAST({quote(move_out)} AS DATE)"
    dest = f"TRY_CAST({quote(destination)} AS DOUBLE)"
    leave = ", ".join(str(int(code)) for code in leaves_region)
    replaced = [c for c in outputs if c in rel.columns]
    keep = f"* EXCLUDE ({', '.join(map(quote, replaced))})" if replaced else "*"
    days, years, left_region, left_municipality, end_type = (quote(c) for c in outputs)
    sql = f"""
        SELECT {keep},
            date_diff('day', {mi}, coalesce({mo}, {_literal_date(extract_date)})) AS {days},
            CAST({days} AS DOUBLE) / CAST({float(days_per_year)!r} AS DOUBLE) AS {years},
            CAST(coalesce({dest} IN ({leave}), false) AS BIGINT) AS {left_region},
            CAST(coalesce({dest} <> {int(death)}, false) AS BIGINT) AS {left_municipality},
            CASE WHEN {dest} IS NULL THEN 0
                 WHEN {dest} = {int(within_region)} THEN 1
                 WHEN {dest} IN ({leave}) THEN 2
                 WHEN {dest} = {int(death)} THEN 3 END::BIGINT AS {end_type}
        FROM data
    """
    return rel.query("data", sql)


def cohort_counts(
    rel: duckdb.DuckDBPyRelation,
    *,
    extract_date: pd.Timestamp,
    horizon_years: int,
    last_cohort: int,
    unit: str,
    leaves_region: Sequence[int],
    death: int,
) -> tuple[pd.DataFrame, list[str]]:
    """Per municipality and arrival year (up to ``last_cohort``): persons not dead within
    the horizon (``n``), moved out of the region within it, died within it; and every
    municipality key of the extract (for the check against the participation record)."""
    check_columns(rel, [unit, "einzug", "auszug", "wegzug_ziel"], "register")
    mi = "CAST(einzug AS DATE)"
    end = f"coalesce(CAST(auszug AS DATE), {_literal_date(extract_date)})"
    dest = "TRY_CAST(wegzug_ziel AS DOUBLE)"
    leave = ", ".join(str(int(code)) for code in leaves_region)
    sql = f"""
        WITH stays AS (
            SELECT CAST({quote(unit)} AS VARCHAR) AS unit, year({mi}) AS cohort_year,
                   {end} <= {mi} + INTERVAL {int(horizon_years)} YEAR AS ended,
                   coalesce(ended AND {dest} IN ({leave}), false) AS moved_away,
                   coalesce(ended AND {dest} = {int(death)}, false) AS died
            FROM data
        )
        SELECT unit, cohort_year,
               count(*) FILTER (WHERE NOT died) AS n,
               count(*) FILTER (WHERE moved_away) AS n_left_region,
               count(*) FILTER (WHERE died) AS n_died
        FROM stays
        GROUP BY ALL
        ORDER BY ALL
    """
    table = _query(rel, sql)
    units = sorted(str(u) for u in table["unit"].dropna().unique())
    table = table[table["cohort_year"] <= last_cohort].rename(columns={"unit": unit})
    return table.reset_index(drop=True), units
