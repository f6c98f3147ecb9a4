"""One bad cell fails one row, never a wave; "no answer" as R and LimeSurvey write it (issue 14).

The files are the demo register extract with single cells changed the way real exports
and typing mistakes change them: a year typed with three digits (``01.06.0218``), a date
SPSS accepts but a nanosecond timestamp cannot hold (``1583-01-01``), R's ``NA`` from
``write.csv``, LimeSurvey's ``N/A`` in the columns of a multiple-choice question.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
import yaml

from welcome_eval.config import demo_data_dir
from welcome_eval.ingest.validation import MISSING_VALUES
from welcome_eval.ingest.wave import read_wave

ROWS = 40


def _register_rows() -> pd.DataFrame:
    source = demo_data_dir() / "register" / "2025" / "register_2025.csv"
    return pd.read_csv(source, sep=";", dtype=str, keep_default_na=False, nrows=ROWS)


def _wave(tmp_path: Path, frame: pd.DataFrame, fmt: str = "csv", **fields: object) -> Path:
    folder = tmp_path / "register" / "2025"
    folder.mkdir(parents=True)
    manifest = yaml.safe_load(
        (demo_data_dir() / "register" / "2025" / "manifest.yaml").read_text(encoding="utf-8")
    )
    if fmt == "csv":
        raw = folder / "register_2025.csv"
        raw.write_text(frame.to_csv(sep=";", index=False), encoding="utf-8")
    else:
        raw = folder / "register_2025.sav"
        pyreadstat.write_sav(frame, str(raw))
        manifest.pop("delimiter", None)
        manifest.pop("encoding", None)
    manifest.update(file=raw.name, format=fmt, **fields)
    manifest["sha256"] = hashlib.sha256(raw.read_bytes()).hexdigest()
    path = folder / "manifest.yaml"
    path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    return path


def _issues_of_row(wave, row: int) -> pd.DataFrame:
    return wave.issues[wave.issues["row"] == row]


@pytest.mark.parametrize("typo", ["01.06.0218", "0218-06-01", "31.12.9999", "1583-01-01"])
def test_a_date_out_of_pandas_range_quarantines_its_row_only(tmp_path, typo):
    frame = _register_rows()
    frame.loc[4, "einzug"] = typo
    wave = read_wave(_wave(tmp_path, frame))
    assert wave.counts["read"] == ROWS
    assert wave.counts["quarantined"] == 1
    issue = _issues_of_row(wave, 6)  # header is line 1, frame row 4 is line 6
    assert issue[["column", "value", "rule"]].values.tolist() == [["einzug", typo, "type"]]


def test_an_spss_date_before_1677_quarantines_its_row_only(tmp_path):
    frame = _register_rows()
    for column in ("einzug", "auszug"):
        frame[column] = pd.to_datetime(frame[column], format="%d.%m.%Y").dt.date
    frame["auszug"] = frame["auszug"].astype(object).where(frame["auszug"].notna(), None)
    frame.loc[4, "einzug"] = dt.date(1583, 1, 1)
    wave = read_wave(_wave(tmp_path, frame, fmt="sav"))
    assert wave.counts["read"] == ROWS
    assert wave.counts["quarantined"] == 1
    quarantined = wave.issues[wave.issues["severity"] == "error"]
    assert quarantined["column"].tolist() == ["einzug"]


def test_r_na_is_no_answer_in_coded_number_date_and_multiple_items(tmp_path):
    frame = _register_rows()
    frame.loc[3, "auszug"] = "NA"  # date, optional
    frame.loc[3, "wegzug_ziel"] = "NA"  # coded
    frame.loc[5, "geburtsjahr"] = "NA"  # number
    frame.loc[6, ["angebot_1", "angebot_2", "angebot_3"]] = "NA"  # multiple choice
    frame.loc[7, "angebot_2"] = "N/A"  # LimeSurvey: option shown, not chosen
    wave = read_wave(_wave(tmp_path, frame))
    assert wave.issues[wave.issues["rule"] == "type"].empty
    data = wave.data.reset_index(drop=True)
    assert pd.isna(data.loc[3, "auszug"]) and pd.isna(data.loc[3, "wegzug_ziel"])
    assert pd.isna(data.loc[5, "geburtsjahr"])
    assert data.loc[6, ["angebot_1", "angebot_2", "angebot_3"]].isna().all()
    assert data.loc[7, "angebot_2"] == 0


def test_missing_values_come_from_the_manifest_when_it_names_them(tmp_path):
    frame = _register_rows()
    already_missing = int((frame["geburtsjahr"] == "").sum())
    frame.loc[5, "geburtsjahr"] = "NA"
    frame.loc[6, "geburtsjahr"] = "-"
    wave = read_wave(_wave(tmp_path, frame, missing_values=["-"]))
    type_errors = wave.issues[wave.issues["rule"] == "type"]
    assert type_errors[["row", "value"]].values.tolist() == [[7, "NA"]]
    assert int(wave.data["geburtsjahr"].isna().sum()) == already_missing + 1


def test_default_missing_values_are_those_of_r_and_limesurvey():
    assert set(MISSING_VALUES) == {"NA", "N/A"}


def test_a_file_without_respondent_id_is_read_with_line_numbers_and_a_note(tmp_path):
    frame = _register_rows().drop(columns=["person_id"])
    first = read_wave(_wave(tmp_path / "a", frame))
    again = read_wave(_wave(tmp_path / "b", frame))
    assert first.counts["read"] == ROWS
    note = first.issues[first.issues["rule"] == "no_id_column"]
    assert len(note) == 1 and "person_id" in note["message"].iloc[0]
    assert first.issues[first.issues["rule"].isin(["required", "missing_column"])].empty
    assert first.data["respondent"].is_unique
    assert first.data["respondent"].tolist() == again.data["respondent"].tolist()
    assert not first.data["respondent"].str.startswith("row-").any()  # pseudonymised


def test_alike_rows_of_a_file_without_id_are_flagged_not_quarantined(tmp_path):
    """Two people may answer alike; only an id tells a copy from them."""
    frame = _register_rows().drop(columns=["person_id"])
    frame = pd.concat([frame, frame.iloc[[3]]], ignore_index=True)
    wave = read_wave(_wave(tmp_path / "no_id", frame))
    assert wave.counts["quarantined"] == 0
    alike = wave.issues[wave.issues["rule"] == "duplicate_row"]
    expected_rows = [i + 2 for i in frame.index[frame.duplicated()]]  # header is line 1
    assert ROWS + 2 in expected_rows
    assert alike["row"].tolist() == expected_rows
    assert set(alike["severity"]) == {"warning"}
    with_id = _register_rows()
    with_id = pd.concat([with_id, with_id.iloc[[3]]], ignore_index=True)
    copied = read_wave(_wave(tmp_path / "id", with_id))
    assert copied.counts["quarantined"] == 1
    assert copied.issues[copied.issues["rule"] == "duplicate_row"]["severity"].tolist() == ["error"]


def _sav_frame() -> pd.DataFrame:
    frame = _register_rows()
    for column in ("einzug", "auszug"):
        frame[column] = pd.to_datetime(frame[column], format="%d.%m.%Y").dt.date
    frame["auszug"] = frame["auszug"].astype(object).where(frame["auszug"].notna(), None)
    for column in ("geburtsjahr", "geschlecht", "staatsangehoerigkeit", "herkunft", "fachkraft"):
        frame[column] = pd.to_numeric(frame[column])
    return frame


def _sav_wave(tmp_path: Path, frame: pd.DataFrame, suffix: str, **write_options) -> Path:
    folder = tmp_path / "register" / "2025"
    folder.mkdir(parents=True)
    raw = folder / f"register_2025.{suffix}"
    columns = {}
    if suffix == "por":
        # Portable files hold names of at most 8 characters (and SPSS writes them in
        # capitals); the manifest maps them to the codebook.
        short = {name: f"V{number}" for number, name in enumerate(frame.columns, start=1)}
        pyreadstat.write_por(frame.rename(columns=short), str(raw))
        columns = {v: k for k, v in short.items()}
    else:
        pyreadstat.write_sav(frame, str(raw), compress=suffix == "zsav", **write_options)
    manifest = yaml.safe_load(
        (demo_data_dir() / "register" / "2025" / "manifest.yaml").read_text(encoding="utf-8")
    )
    for field in ("delimiter", "encoding", "format"):
        manifest.pop(field, None)
    manifest.update(file=raw.name, sha256=hashlib.sha256(raw.read_bytes()).hexdigest())
    if columns:
        manifest["columns"] = columns
    path = folder / "manifest.yaml"
    path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    return path


def test_user_missing_values_and_ranges_declared_in_an_spss_file_are_missing(tmp_path):
    frame = _sav_frame()
    frame.loc[2, "geburtsjahr"] = -9  # discrete user-missing value
    frame.loc[3, "geburtsjahr"] = -500  # inside the range -999 thru -100
    frame.loc[4, "geschlecht"] = 99  # coded item, declared missing, not in the codebook
    wave = read_wave(
        _sav_wave(
            tmp_path,
            frame,
            "sav",
            missing_ranges={
                "geburtsjahr": [-9, {"lo": -999, "hi": -100}],
                "geschlecht": [99],
            },
        )
    )
    assert wave.counts["quarantined"] == 0
    data = wave.data.set_index("row")
    assert data.loc[[3, 4], "geburtsjahr"].isna().all()  # SPSS case numbers start at 1
    assert pd.isna(data.loc[5, "geschlecht"])
    notes = wave.issues[wave.issues["rule"] == "user_missing"]
    assert sorted(notes["column"]) == ["geburtsjahr", "geschlecht"]
    assert "-999 to -100" in notes.set_index("column").loc["geburtsjahr", "message"]


def test_without_the_declaration_the_same_values_are_errors(tmp_path):
    frame = _sav_frame()
    frame.loc[4, "geschlecht"] = 99
    wave = read_wave(_sav_wave(tmp_path, frame, "sav"))
    assert wave.counts["quarantined"] == 1


@pytest.mark.parametrize("suffix", ["zsav", "por"])
def test_compressed_and_portable_spss_files_are_read_by_their_suffix(tmp_path, suffix):
    frame = _sav_frame()
    wave = read_wave(_sav_wave(tmp_path, frame, suffix))
    assert wave.counts["read"] == ROWS
    assert wave.manifest.format == ("sav" if suffix == "zsav" else "por")
    reference = read_wave(_sav_wave(tmp_path / "ref", frame, "sav"))
    pd.testing.assert_frame_equal(
        wave.data.drop(columns=["respondent"]).reset_index(drop=True),
        reference.data.drop(columns=["respondent"]).reset_index(drop=True),
        check_dtype=False,
    )


def test_a_workbook_from_to_excel_reads_back_with_its_multiple_choice_options(tmp_path):
    wave = read_wave(_wave(tmp_path / "csv", _register_rows()))
    assert wave.data[["angebot_1", "angebot_2", "angebot_3"]].notna().all().all()
    folder = tmp_path / "xlsx" / "register" / "2025"
    folder.mkdir(parents=True)
    workbook = wave.to_excel(folder / "register_2025.xlsx")
    manifest = yaml.safe_load(
        (demo_data_dir() / "register" / "2025" / "manifest.yaml").read_text(encoding="utf-8")
    )
    for field in ("delimiter", "encoding"):
        manifest.pop(field, None)
    manifest.update(
        file=workbook.name,
        format="xlsx",
        sha256=hashlib.sha256(workbook.read_bytes()).hexdigest(),
        demo=True,
    )
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    again = read_wave(folder / "manifest.yaml")
    assert again.counts["quarantined"] == 0
    options = ["angebot_1", "angebot_2", "angebot_3"]
    pd.testing.assert_frame_equal(
        again.data[options].reset_index(drop=True), wave.data[options].reset_index(drop=True)
    )


def test_a_duration_of_zero_is_not_recorded_rather_than_a_speeder(tmp_path):
    source = demo_data_dir() / "kommunen" / "2018"
    folder = tmp_path / "kommunen" / "2018"
    folder.mkdir(parents=True)
    lines = (source / "kommunen_2018.csv").read_text(encoding="cp1252").splitlines()
    # LimeSurvey's interviewtime: 0 on the 20 incomplete responses, one real speeder.
    text = [lines[0] + ";interviewtime"]
    for line, row in enumerate(lines[1:], start=2):
        seconds = 0 if line <= 21 else 40 if line == 30 else 600 + 7 * line
        text.append(f"{row};{seconds}")
    raw = folder / "kommunen_2018.csv"
    raw.write_text("\n".join(text) + "\n", encoding="cp1252")
    manifest = yaml.safe_load((source / "manifest.yaml").read_text(encoding="utf-8"))
    manifest["sha256"] = hashlib.sha256(raw.read_bytes()).hexdigest()
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    wave = read_wave(folder / "manifest.yaml")
    speeders = wave.issues[wave.issues["rule"] == "speeder"]
    assert speeders["row"].tolist() == [30]
