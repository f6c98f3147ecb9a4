"""Reading waves: formats, missing codes, quarantine rules, file-level errors."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml
from conftest import HEADER, good_row, write_wave

from welcome_eval import read_wave
from welcome_eval.ingest.readers import ReadError
from welcome_eval.ingest.validation import FileValidationError
from welcome_eval.ingest.wave import ManifestError, sha256_of

ROWS = [
    good_row(1, ideen="Digitale Vernetzungsplattform für Südwestfalen"),
    good_row(2, ags="05958004", zuf_runder_tisch=-9, zuf_material="", weiterempfehlung=-99),
    good_row(3, ags="05966024", rolle=3, zuf_checklisten=-99, ideen="Mehr Austausch; öfter"),
]


def _coded_frame() -> pd.DataFrame:
    frame = pd.DataFrame(ROWS, columns=HEADER).replace("", np.nan)
    for column in HEADER:
        if column not in ("ags", "teilnahme_seit", "ideen"):
            frame[column] = pd.to_numeric(frame[column])
    frame["teilnahme_seit"] = [dt.date(2018, 2, 1)] * len(frame)
    return frame


def _manifest(directory, name, fmt):
    path = directory / "manifest.yaml"
    path.write_text(
        yaml.safe_dump(
            {
                "survey": "kommunen",
                "wave": "t",
                "file": name,
                "format": fmt,
                "demo": True,
                "fieldwork": {"start": "2021-06-14", "end": "2021-07-16"},
            }
        )
    )
    return path


def test_csv_missing_codes_and_long_form(tmp_path):
    wave = read_wave(write_wave(tmp_path, ROWS))
    assert wave.counts == {"read": 3, "accepted": 3, "accepted_with_flags": 0, "quarantined": 0}
    second = wave.data.iloc[1]
    assert np.isnan(second["zuf_runder_tisch"])
    assert wave.missing_codes.loc[1, "zuf_runder_tisch"] == -9
    assert np.isnan(second["zuf_material"]) and np.isnan(wave.missing_codes.loc[1, "zuf_material"])
    assert wave.missing_codes.loc[1, "weiterempfehlung"] == -99
    assert wave.data.loc[2, "ideen"] == "Mehr Austausch; öfter"
    long = wave.long
    answer = long[
        (long["respondent"] == second["respondent"]) & (long["item"] == "zuf_runder_tisch")
    ]
    assert answer["label"].item() == "weiß nicht / nicht genutzt"
    assert answer["missing_code"].item() == -9
    summary = wave.missing_summary().set_index("item")
    assert summary.loc["zuf_runder_tisch", "weiß nicht / nicht genutzt"] == 1
    assert summary.loc["zuf_material", "ohne Angabe"] == 1
    assert summary.loc["zuf_checklisten", "keine Angabe"] == 1
    assert summary.loc["zuf_gesamt", "valid"] == 3


def test_three_formats_read_the_same_answers(tmp_path):
    frame = _coded_frame()
    csv_wave = read_wave(write_wave(tmp_path / "csv", ROWS))

    (tmp_path / "xlsx").mkdir()
    frame.to_excel(tmp_path / "xlsx" / "export.xlsx", index=False)
    xlsx_wave = read_wave(_manifest(tmp_path / "xlsx", "export.xlsx", "xlsx"))

    (tmp_path / "sav").mkdir()
    pyreadstat.write_sav(
        frame,
        str(tmp_path / "sav" / "export.sav"),
        variable_value_labels={
            "zuf_gesamt": {4.0: "eher zufrieden", -9.0: "weiß nicht / nicht genutzt"}
        },
        missing_ranges={c: [-9.0, -99.0] for c in HEADER[4:12]},
    )
    sav_wave = read_wave(_manifest(tmp_path / "sav", "export.sav", "sav"))

    for other in (xlsx_wave, sav_wave):
        assert other.counts["quarantined"] == 0, other.issues
        pd.testing.assert_frame_equal(
            csv_wave.data.drop(columns="row"), other.data.drop(columns="row"), check_dtype=False
        )
        pd.testing.assert_frame_equal(csv_wave.missing_codes, other.missing_codes)
    assert sav_wave.provenance["format"] == "sav"
    assert csv_wave.provenance["detected"]["delimiter"] == ";"


def test_wrong_municipality_and_out_of_range_are_quarantined(tmp_path):
    rows = [
        good_row(1),
        good_row(2, ags="05999999"),  # not a municipality of Südwestfalen
        good_row(3, zuf_beratung=7),  # outside the 5-point scale
        good_row(4, weiterempfehlung=12),  # outside 0-10
        good_row(5, zuf_gesamt="gut"),  # not a code at all
        good_row(6, zuf_vernetzung=-9),  # a missing code is fine
    ]
    wave = read_wave(write_wave(tmp_path, rows))
    assert wave.counts == {"read": 6, "accepted": 2, "accepted_with_flags": 0, "quarantined": 4}
    errors = wave.issues[wave.issues["severity"] == "error"]
    got = sorted(zip(errors["row"], errors["column"], errors["value"], errors["rule"], strict=True))
    assert got == [
        (3, "ags", "05999999", "municipality_known"),
        (4, "zuf_beratung", "7", "allowed_codes"),
        (5, "weiterempfehlung", "12", "range"),
        (6, "zuf_gesamt", "gut", "type"),
    ]
    assert (errors["file"] == "export.csv").all()
    assert sorted(wave.quarantine["row"]) == [3, 4, 5, 6]
    assert wave.quarantine.set_index("row").loc[3, "reasons"] == "municipality_known (ags)"
    assert len(wave.data) + len(wave.quarantine) == wave.counts["read"]


def test_duplicate_ids_and_missing_required(tmp_path):
    rows = [good_row(1), good_row(1, ags="05958004"), good_row(2, ags=""), good_row(3)]
    wave = read_wave(write_wave(tmp_path, rows))
    rules = wave.issues.groupby("rule")["row"].apply(sorted).to_dict()
    assert rules == {"duplicate_id": [2, 3], "required": [4]}
    assert wave.counts["quarantined"] == 3
    # The quarantine keeps the row for correction, but never the raw respondent id.
    assert "1" not in set(wave.quarantine["lfdn"])


def test_flags_keep_the_row(tmp_path):
    rows = [good_row(1, teilnahme_seit="01.09.2021"), good_row(2, teilnahme_seit="2019-03-01")]
    header = [*HEADER, "bemerkung_intern"]
    wave = read_wave(write_wave(tmp_path, [[*r, "x"] for r in rows], header=header))
    assert wave.counts == {"read": 2, "accepted": 1, "accepted_with_flags": 1, "quarantined": 0}
    assert wave.data["flagged"].tolist() == [True, False]
    assert wave.data.loc[1, "teilnahme_seit"] == pd.Timestamp(2019, 3, 1)
    rules = set(wave.issues["rule"])
    assert rules == {"participation_before_fieldwork", "unknown_column"}


def test_encodings_delimiters_and_dropped_leading_zero(tmp_path):
    rows = [good_row(1, ags="5970040", ideen="Willkommensmappe für Neubürger, größer")]
    for encoding, delimiter in (("utf-8-sig", ","), ("cp1252", "\t"), ("utf-8", ";")):
        directory = tmp_path / f"{encoding}{ord(delimiter)}"
        wave = read_wave(write_wave(directory, rows, encoding=encoding, delimiter=delimiter))
        assert wave.data.loc[0, "ideen"] == "Willkommensmappe für Neubürger, größer"
        assert wave.data.loc[0, "ags"] == "05970040"
        assert wave.provenance["detected"]["delimiter"] == delimiter


@pytest.mark.parametrize(
    ("content", "error", "message"),
    [
        (b"", ReadError, "empty"),
        (";".join(HEADER).encode() + b"\r\n", FileValidationError, "no data rows"),
        (b"lfdn;rolle\r\n1;2\r\n", FileValidationError, "required column.*ags"),
    ],
)
def test_unusable_files_raise_one_clear_error(tmp_path, content, error, message):
    write_wave(tmp_path, [good_row(1)])
    (tmp_path / "export.csv").write_bytes(content)
    with pytest.raises(error, match=message):
        read_wave(tmp_path / "manifest.yaml")


def test_sha256_mismatch_is_refused(tmp_path):
    path = write_wave(tmp_path, [good_row(1)], extra={"sha256": "0" * 64})
    with pytest.raises(ManifestError, match="does not match"):
        read_wave(path)
    manifest = yaml.safe_load(path.read_text())
    manifest["sha256"] = sha256_of(tmp_path / "export.csv")
    path.write_text(yaml.safe_dump(manifest))
    assert read_wave(path).counts["accepted"] == 1


def test_real_data_without_key_is_refused(tmp_path, monkeypatch):
    monkeypatch.delenv("WELCOME_EVAL_PSEUDONYM_KEY", raising=False)
    path = write_wave(tmp_path, [good_row(1)], extra={"demo": False})
    with pytest.raises(RuntimeError, match="WELCOME_EVAL_PSEUDONYM_KEY"):
        read_wave(path)
