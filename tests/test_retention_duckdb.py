"""Large register extracts: the DuckDB path gives the same numbers as the pandas path.

Kaplan–Meier (:func:`kaplan_meier`, :func:`median_stay`, :func:`retention_at`), the stays
derived from the register dates (:func:`register_stays`) and the municipal arrival-cohort
outcomes (:func:`arrival_cohorts`) are computed once from a DataFrame and once from the
same rows written to Parquet (a path, a directory of parts, a DuckDB relation). The
DataFrame path itself is checked against R in ``tests/test_retention.py``.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from welcome_eval.analysis.programme import participation_record
from welcome_eval.config import demo_data_dir
from welcome_eval.ingest.wave import read_wave
from welcome_eval.survival import retention, retention_duckdb
from welcome_eval.survival.programme_effect import arrival_cohorts
from welcome_eval.synth import participation
from welcome_eval.synth.register import EXTRACT_DATE, register_extract


@pytest.fixture(scope="module")
def demo() -> tuple[pd.DataFrame, pd.Timestamp, pd.DataFrame]:
    """The shipped demo register extract, as read_wave gives it."""
    wave = read_wave(sorted(demo_data_dir().glob("register/*/manifest.yaml"))[-1])
    record = participation_record(wave.manifest.data_dir)
    return wave.data, pd.Timestamp(wave.manifest.fieldwork_end), record


@pytest.fixture(scope="module")
def generated() -> pd.DataFrame:
    """A generated extract (another seed) with the municipalities' districts."""
    return register_extract(7, scale=0.02)


def write_parquet(frame: pd.DataFrame, path: Path) -> Path:
    frame.to_parquet(path, index=False)
    return path


def assert_same(lazy: pd.DataFrame, eager: pd.DataFrame) -> None:
    """Same columns, same values (exactly: the counts are equal, the arithmetic shared)."""
    assert list(lazy.columns) == list(eager.columns)
    pd.testing.assert_frame_equal(
        lazy.reset_index(drop=True), eager.reset_index(drop=True), check_dtype=False, rtol=0, atol=0
    )


@pytest.mark.slow  # the whole demo register, both ways
def test_demo_extract_same_numbers_both_ways(demo, tmp_path: Path) -> None:
    data, extract, record = demo
    path = write_parquet(data, tmp_path / "demo.parquet")
    stays = retention.register_stays(data, extract_date=extract)
    lazy_stays = retention.register_stays(path, extract_date=extract)
    assert isinstance(lazy_stays, duckdb.DuckDBPyRelation)
    derived = list(retention.STAY_COLUMNS)
    pulled = lazy_stays.df()
    assert_same(pulled[derived], stays[derived])
    for by in (None, "ags"):
        eager = retention.kaplan_meier(stays, duration="years", event="left_region", by=by)
        lazy = retention.kaplan_meier(lazy_stays, duration="years", event="left_region", by=by)
        assert len(eager) > 100
        assert_same(lazy, eager)
    times = [1, 2, 3, 5]
    assert_same(
        retention.kaplan_meier(
            lazy_stays, duration="years", event="left_municipality", by="ags", times=times
        ),
        retention.kaplan_meier(
            stays, duration="years", event="left_municipality", by="ags", times=times
        ),
    )
    assert_same(
        retention.median_stay(lazy_stays, duration="years", event="left_region", by="ags"),
        retention.median_stay(stays, duration="years", event="left_region", by="ags"),
    )
    eager_at = retention.retention_at(
        stays, duration="years", event="left_region", time=2, by="ags"
    )
    assert_same(
        retention.retention_at(lazy_stays, duration="years", event="left_region", time=2, by="ags"),
        eager_at,
    )
    assert eager_at["n"].sum() == len(data)
    cohorts = arrival_cohorts(data, record, extract_date=extract)
    assert len(cohorts) > 500
    assert_same(arrival_cohorts(path, record, extract_date=extract), cohorts)
    assert_same(
        arrival_cohorts(path, record, extract_date=extract, horizon_years=5),
        arrival_cohorts(data, record, extract_date=extract, horizon_years=5),
    )


def test_generated_parquet_in_parts_and_as_relation(generated, tmp_path: Path) -> None:
    record = participation(7)
    # a directory of two parts reads as one extract
    parts = tmp_path / "parts"
    parts.mkdir()
    half = len(generated) // 2
    write_parquet(generated.iloc[:half], parts / "part-0.parquet")
    write_parquet(generated.iloc[half:], parts / "part-1.parquet")
    stays = retention.register_stays(generated, extract_date=EXTRACT_DATE)
    lazy = retention.register_stays(parts, extract_date=EXTRACT_DATE)
    eager_km = retention.kaplan_meier(stays, duration="days", event="left_region", by="ags")
    assert_same(
        retention.kaplan_meier(lazy, duration="days", event="left_region", by="ags"), eager_km
    )
    assert_same(
        arrival_cohorts(parts, record, extract_date=EXTRACT_DATE),
        arrival_cohorts(generated, record, extract_date=EXTRACT_DATE),
    )
    # a relation of the caller's own connection, here with a filter applied in SQL
    con = retention_duckdb.connect(memory_limit="256MB", threads=1)
    relation = con.read_parquet(str(parts / "*.parquet")).filter("herkunft >= 3")
    mine = retention.register_stays(relation, extract_date=EXTRACT_DATE)
    subset = stays[stays["herkunft"] >= 3]
    assert_same(
        retention.kaplan_meier(mine, duration="years", event="left_region", by="herkunft"),
        retention.kaplan_meier(subset, duration="years", event="left_region", by="herkunft"),
    )


def test_missing_values_and_event_codes_are_handled_alike(tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(
        {
            "t": rng.integers(1, 40, 500).astype(float),
            "e": rng.integers(0, 2, 500).astype(float),
            "g": rng.choice(["a", "b", "c"], 500),
        }
    )
    frame.loc[[3, 50, 70], "t"] = np.nan
    frame.loc[[5, 50], "e"] = np.nan
    frame.loc[[7], "g"] = None
    path = write_parquet(frame, tmp_path / "missing.parquet")
    eager = retention.fit_kaplan_meier(frame, duration="t", event="e", by="g")
    lazy = retention.fit_kaplan_meier(path, duration="t", event="e", by="g")
    assert (lazy.n, lazy.n_missing) == (eager.n, eager.n_missing) == (495, 5)
    assert_same(lazy.table, eager.table)
    bad = write_parquet(frame.assign(e=frame["e"] * 2), tmp_path / "codes.parquet")
    with pytest.raises(ValueError, match="1 = event, 0 = censored"):
        retention.kaplan_meier(bad, duration="t", event="e")
    negative = write_parquet(frame.assign(t=frame["t"] - 10), tmp_path / "negative.parquet")
    with pytest.raises(ValueError, match=r"negative value\(s\)"):
        retention.kaplan_meier(negative, duration="t", event="e")
    with pytest.raises(KeyError, match="'years' not found"):
        retention.kaplan_meier(path, duration="years", event="e")


def test_register_rules_are_checked_in_sql(generated, tmp_path: Path) -> None:
    broken = generated.copy()
    moved = broken.index[broken["auszug"].notna()][:3]
    broken.loc[moved, "auszug"] = broken.loc[moved, "einzug"] - pd.Timedelta(days=1)
    broken.loc[broken.index[0], "wegzug_ziel"] = 9
    broken.loc[broken.index[0], "auszug"] = pd.Timestamp("2020-01-01")
    path = write_parquet(broken, tmp_path / "broken.parquet")
    for source in (broken, path):
        with pytest.raises(ValueError, match="before the move-in date") as error:
            retention.register_stays(source, extract_date=EXTRACT_DATE)
        assert "other than 1-5" in str(error.value)
    with pytest.raises(ValueError, match=r"after the extract date 31\.12\.2019"):
        retention.register_stays(
            write_parquet(generated, tmp_path / "ok.parquet"), extract_date="2019-12-31"
        )
    with pytest.raises(ValueError, match="after the extract date"):
        arrival_cohorts(path, participation(7), extract_date="2019-12-31")
    with pytest.raises(ValueError, match="not in the participation record"):
        arrival_cohorts(
            tmp_path / "ok.parquet", participation(7).iloc[3:], extract_date=EXTRACT_DATE
        )


def test_what_needs_rows_in_memory_says_so(tmp_path: Path) -> None:
    frame = pd.DataFrame({"t": [1.0, 2, 3, 4], "e": [1, 0, 1, 1], "x": [0.1, 0.4, 0.2, 0.9]})
    path = write_parquet(frame, tmp_path / "small.parquet")
    with pytest.raises(TypeError, match="needs the rows in memory"):
        retention.cox(path, duration="t", event="e", covariates=["x"])
    with pytest.raises(TypeError, match="needs the rows in memory"):
        retention.cumulative_incidence(path, duration="t", event="e")
    csv = tmp_path / "small.csv"
    frame.to_csv(csv, index=False)
    with pytest.raises(ValueError, match=r"only Parquet files"):
        retention.kaplan_meier(csv, duration="t", event="e")
    with pytest.raises(FileNotFoundError, match="not found"):
        retention.kaplan_meier(tmp_path / "nothing.parquet", duration="t", event="e")
