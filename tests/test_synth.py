"""Tests for the synthetic Kommunenbefragung generator (welcome_eval.synth)."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml

from welcome_eval.ingest.codebook import Codebook
from welcome_eval.synth import (
    PLANTED_PERSONAL_DATA,
    WAVES,
    kommunen_wave,
    participation,
    write_kommunen_demo,
)

CB = Codebook.for_survey("kommunen")
BAUSTEINE = CB.items_of(construct="bausteine")
CODED = [item.id for item in CB if item.is_coded]
FIELDWORK = {
    "2018": (dt.date(2018, 6, 11), dt.date(2018, 7, 13)),
    "2019": (dt.date(2019, 11, 18), dt.date(2019, 12, 20)),
    "2021": (dt.date(2021, 6, 14), dt.date(2021, 7, 16)),
}
FILES = {"2018": "kommunen_2018.csv", "2019": "kommunen_2019.xlsx", "2021": "kommunen_2021.sav"}


def _runder_tisch() -> str:
    found = [i for i in BAUSTEINE if "runder_tisch" in i]
    assert len(found) == 1
    return found[0]


def _substantive(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """Answer codes only: missing codes and nonresponse become NaN."""
    out = {}
    for column in columns:
        values = frame[column].astype("Float64").astype(float)
        out[column] = values.where(values.isin(CB[column].valid_codes))
    return pd.DataFrame(out)


def _cronbach_alpha(items: pd.DataFrame) -> float:
    complete = items.dropna()
    k = complete.shape[1]
    return k / (k - 1) * (1 - complete.var(ddof=1).sum() / complete.sum(axis=1).var(ddof=1))


def _expected_codes(frame: pd.DataFrame, column: str) -> list[float]:
    return [np.nan if pd.isna(v) else float(v) for v in frame[column]]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def waves() -> dict[str, tuple[pd.DataFrame, dict]]:
    return {wave: kommunen_wave(wave) for wave in WAVES}


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The kommunen demo waves, written once."""
    first = tmp_path_factory.mktemp("demo_a")
    write_kommunen_demo(first)
    return first


@pytest.fixture(scope="module")
def demo_dirs(demo_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The demo waves written twice, a second apart."""
    time.sleep(1.1)  # the clock must not leak into the files
    second = tmp_path_factory.mktemp("demo_b")
    write_kommunen_demo(second)
    return demo_dir, second


# --- participation -----------------------------------------------------------


def test_participation_matches_programme_history() -> None:
    p = participation()
    assert list(p.columns) == ["ags", "name", "district", "joined"]
    assert len(p) == 59 and p["ags"].str.fullmatch(r"\d{8}").all()
    assert (p["joined"] <= "2018-06-30").sum() == 30
    assert (p["joined"] <= "2019-11-30").sum() == 38
    assert (p["joined"] <= "2021-06-30").sum() == 44
    assert p["joined"].isna().sum() == 15
    first = p["joined"].dropna().sort_values().iloc[:30]
    assert first.min() >= pd.Timestamp("2017-10-01")
    assert first.max() <= pd.Timestamp("2018-03-31")


def test_participation_is_deterministic_and_favours_larger_towns() -> None:
    pd.testing.assert_frame_equal(participation(7), participation(7))
    assert not participation(7)["joined"].equals(participation(8)["joined"])
    from welcome_eval.municipalities import municipalities

    population = municipalities().set_index("ags")["population"]
    early, never = [], []
    for seed in range(20):
        p = participation(seed).set_index("ags")
        early.append(np.log(population[p["joined"] <= "2018-06-30"]).mean())
        never.append(np.log(population[p["joined"].isna()]).mean())
    assert np.mean(early) > np.mean(never)


# --- one wave ----------------------------------------------------------------


def test_wave_columns_and_dtypes_follow_codebook(waves) -> None:
    for wave, (frame, meta) in waves.items():
        assert list(frame.columns) == [i.id for i in CB if not i.optional]
        assert frame["lfdn"].dtype == "int64"
        assert frame["lfdn"].is_unique and frame["lfdn"].min() == int(wave[2:]) * 1000 + 1
        assert all(str(frame[c].dtype) == "Int64" for c in CODED)
        assert all(isinstance(v, dt.date) for v in frame["teilnahme_seit"])
        assert all(v is None or isinstance(v, str) for v in frame["ideen"])
        assert (meta["fieldwork_start"], meta["fieldwork_end"]) == FIELDWORK[wave]


def test_respondents_come_from_joined_municipalities(waves) -> None:
    p = participation().set_index("ags")
    for frame, meta in waves.values():
        start = pd.Timestamp(meta["fieldwork_start"])
        joined = p.loc[frame["ags"], "joined"]
        assert (joined <= start).all()
        per_municipality = frame.groupby("ags").size()
        assert per_municipality.between(1, 3).all()
        eligible = int((p["joined"] <= start).sum())
        assert 0.8 <= len(per_municipality) / eligible <= 0.95
        months = [dt.date(t.year, t.month, 1) for t in joined]
        assert list(frame["teilnahme_seit"]) == months
        roles = frame[frame["rolle"] > 0].groupby("ags")["rolle"]
        assert (roles.nunique() == roles.size()).mean() > 0.8  # mostly distinct roles


def test_codes_within_codebook(waves) -> None:
    for frame, _ in waves.values():
        for column in CODED:
            item = CB[column]
            allowed = set(item.valid_codes) | set(item.missing_codes)
            present = set(frame[column].dropna().astype(int))
            assert present <= allowed, (column, present - allowed)


def test_missing_codes_present_at_realistic_rates(waves) -> None:
    likert = CB.likert_items
    for frame, _ in waves.values():
        block = frame[likert]
        assert 0.01 <= block.isna().mean().mean() <= 0.07
        assert 0.02 <= (block == -9).mean().mean() <= 0.12
        assert 0.003 <= (block == -99).mean().mean() <= 0.04
        rating = frame["weiterempfehlung"]
        assert not (rating == -9).any()  # the rating item has only "keine Angabe"


def test_runder_tisch_is_best_rated_in_every_wave(waves) -> None:
    best = _runder_tisch()
    for wave, (frame, _) in waves.items():
        means = _substantive(frame, BAUSTEINE).mean()
        assert means.idxmax() == best, (wave, means.round(2).to_dict())


def test_items_correlate_realistically(waves) -> None:
    for frame, _ in waves.values():
        items = _substantive(frame, BAUSTEINE)
        assert 0.72 <= _cronbach_alpha(items) <= 0.93
        overall = _substantive(frame, ["zuf_gesamt", "weiterempfehlung"])
        overall["item_mean"] = items.mean(axis=1)
        corr = overall.corr()
        assert corr.loc["zuf_gesamt", "item_mean"] > 0.5
        assert corr.loc["zuf_gesamt", "weiterempfehlung"] > 0.5


def test_planted_personal_data_in_open_answers(waves) -> None:
    seen: set[str] = set()
    for frame, _ in waves.values():
        ideas = frame["ideen"].dropna()
        planted = [text for text in ideas if any(s in text for s in PLANTED_PERSONAL_DATA)]
        assert 2 <= len(planted) <= 4
        seen |= {s for s in PLANTED_PERSONAL_DATA for text in planted if s in text}
        assert 0.3 <= len(ideas) / len(frame) <= 0.5
    assert seen == set(PLANTED_PERSONAL_DATA)


def test_waves_are_deterministic_and_seeded() -> None:
    a, meta_a = kommunen_wave("2019", seed=5)
    b, meta_b = kommunen_wave("2019", seed=5)
    pd.testing.assert_frame_equal(a, b)
    assert meta_a == meta_b
    c, _ = kommunen_wave("2019", seed=6)
    assert not a.equals(c)
    with pytest.raises(ValueError, match="2020"):
        kommunen_wave("2020")


# --- raw exports ---------------------------------------------------------------


@pytest.mark.slow  # writes the demo waves twice, a second apart
def test_demo_files_are_reproducible_with_matching_manifests(demo_dirs) -> None:
    first, second = demo_dirs
    for wave in WAVES:
        wave_a, wave_b = first / "kommunen" / wave, second / "kommunen" / wave
        for name in ("manifest.yaml", FILES[wave]):
            assert _sha256(wave_a / name) == _sha256(wave_b / name), (wave, name)
        manifest = yaml.safe_load((wave_a / "manifest.yaml").read_text(encoding="utf-8"))
        keys = ["survey", "wave", "title", "fieldwork", "file", "format"]
        keys += ["encoding", "delimiter"] if wave == "2018" else []
        keys += ["sha256", "demo", "codebook_version", "generator"]
        assert list(manifest) == keys
        assert manifest["wave"] == wave and manifest["demo"] is True
        assert manifest["fieldwork"] == dict(zip(["start", "end"], FIELDWORK[wave], strict=True))
        assert manifest["file"] == FILES[wave]
        assert manifest["sha256"] == _sha256(wave_a / manifest["file"])
        assert manifest["codebook_version"] == CB.version
        assert manifest["generator"] == {"seed": 2018, "module": "welcome_eval.synth.kommunen"}


def test_clock_does_not_reach_the_files(demo_dir) -> None:
    first = demo_dir
    sav = (first / "kommunen" / "2021" / FILES["2021"]).read_bytes()
    assert sav[92:109] == b"16 Jul 2100:00:00"
    with zipfile.ZipFile(first / "kommunen" / "2019" / FILES["2019"]) as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode("utf-8")
    assert core.count("2019-12-20T00:00:00Z") == 2


def test_csv_reads_back(demo_dir, waves) -> None:
    path = demo_dir / "kommunen" / "2018" / FILES["2018"]
    raw = path.read_bytes()
    assert raw.count(b"\r\n") == raw.count(b"\n")  # CRLF only
    assert "ü".encode("cp1252") in raw and b"\xc3\xbc" not in raw  # cp1252, not UTF-8
    frame, _ = waves["2018"]
    back = pd.read_csv(path, sep=";", encoding="cp1252", dtype=str)
    assert list(back.columns) == list(frame.columns)
    assert list(back["ags"]) == list(frame["ags"])
    assert list(back["teilnahme_seit"]) == [d.strftime("%d.%m.%Y") for d in frame["teilnahme_seit"]]
    for column in CODED:
        assert back[column].astype(float).tolist() == pytest.approx(
            _expected_codes(frame, column), nan_ok=True
        )
    assert back["ideen"].fillna("").tolist() == frame["ideen"].fillna("").tolist()


def test_xlsx_reads_back(demo_dir, waves) -> None:
    path = demo_dir / "kommunen" / "2019" / FILES["2019"]
    assert pd.ExcelFile(path).sheet_names[0] == "Daten"
    frame, _ = waves["2019"]
    back = pd.read_excel(path, dtype=str)
    assert list(back.columns) == list(frame.columns)
    assert list(back["ags"]) == list(frame["ags"])  # leading zero survives
    assert list(back["lfdn"].astype(int)) == list(frame["lfdn"])
    assert list(pd.to_datetime(back["teilnahme_seit"]).dt.date) == list(frame["teilnahme_seit"])
    for column in CODED:
        assert back[column].astype(float).tolist() == pytest.approx(
            _expected_codes(frame, column), nan_ok=True
        )
    assert back["ideen"].fillna("").tolist() == frame["ideen"].fillna("").tolist()


def test_sav_reads_back_with_labels(demo_dir, waves) -> None:
    path = demo_dir / "kommunen" / "2021" / FILES["2021"]
    frame, _ = waves["2021"]
    back, meta = pyreadstat.read_sav(path, user_missing=True)
    assert list(back.columns) == list(frame.columns)
    assert list(back["ags"]) == list(frame["ags"])
    assert list(back["teilnahme_seit"]) == list(frame["teilnahme_seit"])
    assert back["ideen"].tolist() == frame["ideen"].fillna("").tolist()
    for item in (i for i in CB if not i.optional):
        assert meta.column_names_to_labels[item.id] == item.label
    for column in CODED:
        item = CB[column]
        assert back[column].tolist() == pytest.approx(_expected_codes(frame, column), nan_ok=True)
        labels = meta.variable_value_labels[column]
        for code, label in {**item.values, **item.missing_codes}.items():
            assert labels[float(code)] == label
        missing = {r["lo"] for r in meta.missing_ranges[column]}
        assert missing == {float(code) for code in item.missing_codes}


@pytest.mark.slow  # writes the whole demo data set
def test_shipped_demo_data_is_what_the_generator_writes(tmp_path: Path) -> None:
    from welcome_eval.config import demo_data_dir
    from welcome_eval.synth import write_demo

    write_demo(tmp_path)
    shipped = sorted(
        p.relative_to(demo_data_dir()) for p in demo_data_dir().rglob("*") if p.is_file()
    )
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert shipped == written
    for relative in written:
        assert (tmp_path / relative).read_bytes() == (demo_data_dir() / relative).read_bytes(), (
            f"{relative} differs: run `make demo-data` and commit the result"
        )
