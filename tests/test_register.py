"""Register extract for the retention analysis: codebook, generator, demo data, validation."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from welcome_eval.config import demo_data_dir
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.ingest.wave import read_wave, sha256_of
from welcome_eval.synth import participation
from welcome_eval.synth.register import (
    EXTRACT_DATE,
    PLANTED_HAZARD_RATIO,
    WINDOW_START,
    register_extract,
    write_register_demo,
)

SEED = 2018
LEFT_REGION = (2, 3, 4)
DEATH = 5
ERROR_RULES = {
    "move_out_before_move_in",
    "move_out_after_extract",
    "move_in_after_extract",
    "destination_iff_move_out",
}


@pytest.fixture(scope="module")
def codebook() -> Codebook:
    return Codebook.for_survey("register")


@pytest.fixture(scope="module")
def demo_frame() -> pd.DataFrame:
    return register_extract(SEED, scale=0.05)


def demo_manifest() -> Path:
    return demo_data_dir() / "register" / "2025" / "manifest.yaml"


# --- codebook ---------------------------------------------------------------------------------


def test_codebook_loads(codebook: Codebook) -> None:
    assert codebook.respondent_id == "person_id"
    assert codebook.municipality == "ags"
    required = {item.id for item in codebook if item.required}
    assert required == {"person_id", "haushalt_id", "ags", "einzug"}
    assert codebook["einzug"].type == codebook["auszug"].type == "date"
    assert codebook["wegzug_ziel"].values[5] == "verstorben"
    assert sorted(codebook["wegzug_ziel"].values) == [1, 2, 3, 4, 5]
    assert codebook["angebot"].type == "multiple"
    assert codebook["angebot"].columns == ["angebot_1", "angebot_2", "angebot_3"]
    severities = {rule.id: rule.severity for rule in codebook.rules}
    assert set(severities) >= ERROR_RULES
    assert all(severities[rule] == "error" for rule in ERROR_RULES)


def test_generator_columns_are_the_codebook_items(
    codebook: Codebook, demo_frame: pd.DataFrame
) -> None:
    columns = [c for c, (item, _) in codebook.column_items().items() if not item.optional]
    assert list(demo_frame.columns) == columns
    assert demo_frame["person_id"].is_unique


# --- demo data --------------------------------------------------------------------------------


@pytest.mark.slow  # writes the demo register twice
def test_demo_write_is_deterministic_and_matches_the_shipped_extract(tmp_path: Path) -> None:
    first = write_register_demo(tmp_path / "a", SEED)
    second = write_register_demo(tmp_path / "b", SEED)
    hashes = []
    for manifest_path in (first, second):
        manifest = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
        raw = manifest_path.parent / manifest["file"]
        assert manifest["sha256"] == sha256_of(raw)
        assert manifest["fieldwork"] == {"start": WINDOW_START, "end": EXTRACT_DATE}
        assert manifest["demo"] is True
        hashes.append(manifest["sha256"])
    assert hashes[0] == hashes[1]
    assert first.read_bytes() == second.read_bytes()
    shipped = demo_manifest()
    assert shipped.read_bytes() == first.read_bytes(), (
        "data/demo/register differs from the generator: rewrite it with write_register_demo"
    )
    raw = shipped.parent / "register_2025.csv"
    assert raw.stat().st_size < 5_000_000


def test_demo_extract_reads_without_quarantine(demo_frame: pd.DataFrame) -> None:
    wave = read_wave(demo_manifest())
    assert wave.counts["quarantined"] == 0
    assert wave.counts["accepted_with_flags"] == 0
    assert wave.counts["read"] == len(demo_frame)
    assert wave.manifest.fieldwork_end == EXTRACT_DATE
    # The tidy data carry what was generated (person ids are pseudonymised at ingest).
    assert (wave.data["einzug"].to_numpy() == demo_frame["einzug"].to_numpy()).all()
    still_registered = wave.data["auszug"].isna()
    assert (still_registered == demo_frame["auszug"].isna().to_numpy()).all()
    assert wave.data.loc[still_registered, "wegzug_ziel"].isna().all()
    assert wave.data.loc[~still_registered, "wegzug_ziel"].notna().all()


@pytest.mark.slow  # generates a register four times the demo's
def test_scale_gives_a_household_sample_of_the_full_register(demo_frame: pd.DataFrame) -> None:
    larger = register_extract(SEED, scale=0.2).set_index("person_id")
    assert 3.5 < len(larger) / len(demo_frame) < 4.5
    assert demo_frame["person_id"].isin(larger.index).all()
    same = larger.loc[demo_frame["person_id"]].reset_index()
    pd.testing.assert_frame_equal(same, demo_frame)


# --- validation of malformed extracts ---------------------------------------------------------

HEADER = [
    "person_id", "haushalt_id", "ags", "einzug", "auszug", "wegzug_ziel", "geburtsjahr",
    "geschlecht", "staatsangehoerigkeit", "herkunft", "fachkraft", "angebot_1", "angebot_2",
    "angebot_3", "stichtag",
]  # fmt: skip


def row(person: str, **changes: object) -> list[object]:
    values = dict(
        zip(
            HEADER,
            [
                person,
                "H1",
                "05970040",
                "01.03.2015",
                "",
                "",
                1985,
                2,
                1,
                2,
                1,
                1,
                0,
                0,
                "31.12.2025",
            ],
            strict=True,
        )
    )
    values.update(changes)
    return [values[h] for h in HEADER]


def write_extract(directory: Path, rows: list[list[object]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(HEADER)
    writer.writerows(rows)
    (directory / "register.csv").write_bytes(buffer.getvalue().encode("utf-8"))
    manifest = {
        "survey": "register",
        "wave": "2025",
        "title": "Testauszug",
        "fieldwork": {"start": "2010-01-01", "end": "2025-12-31"},
        "file": "register.csv",
        "format": "csv",
        "demo": True,
    }
    path = directory / "manifest.yaml"
    path.write_text(yaml.safe_dump(manifest), encoding="utf-8")
    return path


def error_rules_by_row(manifest: Path) -> tuple[dict[int, set[str]], pd.Series]:
    wave = read_wave(manifest)
    errors = wave.issues[wave.issues["severity"] == "error"]
    by_row = {int(r): set(group["rule"]) for r, group in errors.groupby("row")}
    return by_row, wave.quarantine["row"]


def test_malformed_rows_are_quarantined_with_the_codebook_rule(tmp_path: Path) -> None:
    rows = [
        row("P01"),  # file row 2: fine
        row("P02", auszug="01.02.2015", wegzug_ziel=2),  # 3: moved out before moving in
        row("P03", auszug="15.01.2026", wegzug_ziel=3),  # 4: moved out after the extract date
        row("P04", einzug="02.01.2026"),  # 5: moved in after the extract date
        row("P05", ags="05999999"),  # 6: not a municipality of Südwestfalen
        row("P06", geburtsjahr=1990),  # 7 and 8: one person id on two different rows
        row("P06", geburtsjahr=1991),
        row("P08", stichtag="30.06.2025"),  # 9: another extract date than the manifest's
        row("P09", auszug="01.03.2015", wegzug_ziel=1),  # 10: fine (moved out the same day)
        row("P10", auszug="31.12.2025", wegzug_ziel=5),  # 11: fine (died on the extract date)
    ]
    by_row, quarantined = error_rules_by_row(write_extract(tmp_path / "bad", rows))
    assert by_row == {
        3: {"move_out_before_move_in"},
        4: {"move_out_after_extract"},
        5: {"move_in_after_extract"},
        6: {"municipality_known"},
        7: {"duplicate_id"},
        8: {"duplicate_id"},
        9: {"extract_date_matches_manifest"},
    }
    assert sorted(quarantined) == [3, 4, 5, 6, 7, 8, 9]


def test_destination_without_move_out_is_quarantined(tmp_path: Path) -> None:
    rows = [
        row("P01"),
        row("P02", wegzug_ziel=4),  # file row 3: destination, but no move-out date
        row("P03", auszug="01.06.2020"),  # 4: move-out date, but no destination
    ]
    by_row, _ = error_rules_by_row(write_extract(tmp_path / "iff", rows))
    assert by_row == {3: {"destination_iff_move_out"}, 4: {"destination_iff_move_out"}}


# --- the generator's model --------------------------------------------------------------------


def test_households_move_together(demo_frame: pd.DataFrame) -> None:
    households = demo_frame.groupby("haushalt_id")
    assert (households["einzug"].nunique() == 1).all()
    assert (households["ags"].nunique() == 1).all()
    assert (households["herkunft"].nunique() == 1).all()
    assert (households.size() > 1).mean() > 0.3
    # Apart from members who died first, a household leaves on one day to one destination.
    alive = demo_frame[demo_frame["wegzug_ziel"].ne(DEATH).fillna(True)]
    ends = alive.groupby("haushalt_id")[["auszug", "wegzug_ziel"]].nunique(dropna=False)
    assert (ends <= 1).all().all()
    # A household's first row is an adult (the reference person).
    first = demo_frame.drop_duplicates("haushalt_id")
    assert ((first["einzug"].dt.year - first["geburtsjahr"]) >= 17).all()


def test_dates_destinations_and_deaths_are_consistent(demo_frame: pd.DataFrame) -> None:
    frame = demo_frame
    moved = frame["auszug"].notna()
    assert (moved == frame["wegzug_ziel"].notna()).all()
    assert (frame.loc[moved, "auszug"] > frame.loc[moved, "einzug"]).all()
    assert frame["einzug"].between(pd.Timestamp(WINDOW_START), pd.Timestamp(EXTRACT_DATE)).all()
    assert (frame.loc[moved, "auszug"] <= pd.Timestamp(EXTRACT_DATE)).all()
    died = frame["wegzug_ziel"].eq(DEATH).fillna(False)
    age_at_death = frame.loc[died, "auszug"].dt.year - frame.loc[died, "geburtsjahr"]
    assert age_at_death.median() > 65
    # Welcome offers exist only where the municipality had joined by the move-in.
    joined = frame["ags"].map(participation(SEED).set_index("ags")["joined"])
    contact = frame[["angebot_1", "angebot_2", "angebot_3"]].eq(1).any(axis=1)
    assert (frame.loc[contact, "einzug"] >= joined[contact]).all()


def _two_year_comparison(frame: pd.DataFrame) -> dict[str, float]:
    """Households in municipalities that joined: moved in at least two years before the
    join date (unexposed) vs on or after it (exposed); share still in the region two
    years after the move-in, and the rate ratio of leaving the region in those years."""
    first = frame.drop_duplicates("haushalt_id")  # the reference person stands for the household
    joined = first["ags"].map(participation(SEED).set_index("ags")["joined"])
    two_years = pd.DateOffset(years=2)
    horizon = first["einzug"] + two_years
    groups = {
        "before": joined.notna() & (horizon <= joined),
        "after": joined.notna()
        & (first["einzug"] >= joined)
        & (horizon <= pd.Timestamp(EXTRACT_DATE)),
    }
    left = first["wegzug_ziel"].isin(LEFT_REGION) & (first["auszug"] < horizon)
    end = first["auszug"].fillna(pd.Timestamp(EXTRACT_DATE))
    years = (np.minimum(end, horizon) - first["einzug"]).dt.days / 365.25
    stats: dict[str, float] = {}
    for name, members in groups.items():
        stats[f"n_{name}"] = float(members.sum())
        stats[f"stay_{name}"] = 1.0 - float(left[members].mean())
        stats[f"rate_{name}"] = float(left[members].sum() / years[members].sum())
    stats["difference"] = stats["stay_after"] - stats["stay_before"]
    stats["se"] = float(
        np.sqrt(
            sum(
                stats[f"stay_{g}"] * (1 - stats[f"stay_{g}"]) / stats[f"n_{g}"]
                for g in ("before", "after")
            )
        )
    )
    stats["rate_ratio"] = stats["rate_after"] / stats["rate_before"]
    return stats


@pytest.mark.slow  # generates two registers of half the region
def test_planted_effect_is_visible_in_crude_form_and_absent_in_the_placebo() -> None:
    effect = _two_year_comparison(register_extract(SEED, scale=0.5))
    placebo = _two_year_comparison(register_extract(SEED, scale=0.5, effect=1.0))
    assert min(effect["n_before"], effect["n_after"]) > 10_000
    # More newcomers are still in the region two years on after their municipality joined ...
    assert effect["difference"] > 4 * effect["se"]
    # ... and the crude rate ratio of leaving is close to the planted hazard ratio,
    assert abs(effect["rate_ratio"] - PLANTED_HAZARD_RATIO) < 0.05
    # while the placebo shows no difference beyond sampling noise.
    assert abs(placebo["difference"]) < 3 * placebo["se"]
    assert abs(placebo["rate_ratio"] - 1.0) < 0.05
    # Common random numbers: the unexposed households are identical in both.
    assert effect["stay_before"] == placebo["stay_before"]
