"""Round trips: any valid wave written as CSV, XLSX and SPSS reads back identically."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from welcome_eval import Codebook, municipalities, read_wave
from welcome_eval.ingest.writers import csv_bytes, sav_bytes, xlsx_bytes

CB = Codebook.for_survey("kommunen")
ITEMS = [i for i in CB if not i.optional]
KEYS = sorted(municipalities()["ags"])
FIELDWORK = (dt.date(2021, 6, 14), dt.date(2021, 7, 16))
TEXT = (
    st.text(
        alphabet=st.sampled_from(
            list("abcdefghijklmnopqrstuvwxyzäöüßÄÖÜ ABCXYZ0123456789;,.\"'!?-=\n")
        ),
        min_size=1,
        max_size=40,
    )
    .map(str.strip)
    .filter(bool)
)


def _answer(item):
    if item.type == "id":
        raise AssertionError("ids are drawn separately")
    if item.type == "municipality":
        return st.sampled_from(KEYS)
    if item.type == "date":
        return st.one_of(st.none(), st.dates(dt.date(2017, 1, 1), dt.date(2021, 6, 1)))
    if item.type == "text":
        return st.one_of(st.none(), TEXT)
    codes = item.valid_codes + sorted(item.missing_codes)
    return st.one_of(st.none(), st.sampled_from(codes))


@st.composite
def waves(draw):
    n = draw(st.integers(min_value=1, max_value=12))
    ids = draw(st.lists(st.integers(1, 10**6), min_size=n, max_size=n, unique=True))
    rows = []
    for lfdn in ids:
        row = {"lfdn": lfdn}
        for item in ITEMS[1:]:
            row[item.id] = draw(_answer(item))
        rows.append(row)
    frame = pd.DataFrame(rows, columns=[i.id for i in ITEMS])
    for item in ITEMS:
        if item.is_coded:
            frame[item.id] = pd.to_numeric(frame[item.id]).astype("float64")
    return frame


def _read(directory, name, fmt, content):
    directory.mkdir(parents=True, exist_ok=True)
    (directory / name).write_bytes(content)
    (directory / "manifest.yaml").write_text(
        yaml.safe_dump(
            {
                "survey": "kommunen",
                "wave": "rt",
                "file": name,
                "format": fmt,
                "demo": True,
                "title": "Rundreise",
                "fieldwork": {"start": FIELDWORK[0].isoformat(), "end": FIELDWORK[1].isoformat()},
            }
        )
    )
    return read_wave(directory)


#: Examples per run: a few in the fast tier, the full number in the slow one.
FAST_EXAMPLES, FULL_EXAMPLES = 2, 25
_ROUND_TRIP = settings(deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@settings(_ROUND_TRIP, max_examples=FAST_EXAMPLES)
@given(frame=waves())
def test_csv_xlsx_and_sav_read_back_identically(tmp_path_factory, frame):
    check_round_trip(tmp_path_factory.mktemp("rt"), frame)


@pytest.mark.slow
@settings(_ROUND_TRIP, max_examples=FULL_EXAMPLES)
@given(frame=waves())
def test_csv_xlsx_and_sav_read_back_identically_many_waves(tmp_path_factory, frame):
    check_round_trip(tmp_path_factory.mktemp("rt"), frame)


def check_round_trip(base, frame):
    """Write ``frame`` in the three formats, read each back and compare."""
    read = {
        "csv": _read(base / "csv", "w.csv", "csv", csv_bytes(frame, CB)),
        "xlsx": _read(
            base / "xlsx", "w.xlsx", "xlsx", xlsx_bytes(frame, CB, timestamp=FIELDWORK[1])
        ),
        "xlsx-labels": _read(
            base / "xl",
            "w.xlsx",
            "xlsx",
            xlsx_bytes(frame, CB, timestamp=FIELDWORK[1], labels=True),
        ),
        "sav": _read(
            base / "sav",
            "w.sav",
            "sav",
            sav_bytes(frame, CB, title="Rundreise", timestamp=FIELDWORK[1]),
        ),
    }
    csv_wave = read["csv"]
    assert csv_wave.counts["quarantined"] == 0, csv_wave.issues
    assert len(csv_wave.data) == len(frame)
    # What was written is what was read: values, missing codes and text.
    for item in ITEMS:
        if item.is_coded:
            written = frame[item.id].to_numpy()
            is_code = np.isin(written, list(item.missing_codes))
            expected_values = np.where(is_code, np.nan, written)
            np.testing.assert_array_equal(csv_wave.data[item.id].to_numpy(), expected_values)
            np.testing.assert_array_equal(
                csv_wave.missing_codes[item.id].to_numpy(), np.where(is_code, written, np.nan)
            )
        elif item.type == "text":
            got = [None if pd.isna(v) else v for v in csv_wave.data[item.id]]
            assert got == [None if pd.isna(v) else v for v in frame[item.id]]
        elif item.type == "date":
            got = [None if pd.isna(v) else v.date() for v in csv_wave.data[item.id]]
            assert got == frame[item.id].tolist()
    labels = csv_wave.long.dropna(subset=["label"])
    for item_id, code, label in zip(
        labels["item"], labels["value"].fillna(labels["missing_code"]), labels["label"], strict=True
    ):
        assert CB[item_id].label_for(code) == label
    for name, other in read.items():
        assert other.counts == csv_wave.counts, name
        pd.testing.assert_frame_equal(
            csv_wave.data.drop(columns="row"),
            other.data.drop(columns="row"),
            check_dtype=False,
            obj=name,
        )
        pd.testing.assert_frame_equal(csv_wave.missing_codes, other.missing_codes, obj=name)
        assert other.issues["rule"].isin(["straightlining", "participation_before_fieldwork"]).all()


def test_wave_exports_for_staff_carry_german_labels(tmp_path):
    wave = read_wave(pytest_demo_wave())
    sav = wave.to_sav(tmp_path / "k.sav")
    back, meta = pyreadstat.read_sav(str(sav), user_missing=True)
    assert meta.column_names_to_labels["zuf_gesamt"] == CB["zuf_gesamt"].label
    assert meta.variable_value_labels["zuf_gesamt"][5.0] == "sehr zufrieden"
    assert meta.variable_value_labels["zuf_gesamt"][-9.0] == "weiß nicht / nicht genutzt"
    assert {r["lo"] for r in meta.missing_ranges["zuf_gesamt"]} == {-9.0, -99.0}
    assert len(back) == len(wave.data)
    xlsx = wave.to_excel(tmp_path / "k.xlsx")
    sheets = pd.read_excel(xlsx, sheet_name=None, dtype=object)
    assert list(sheets) == ["Daten", "Codebuch"]
    answers = set(sheets["Daten"]["zuf_gesamt"].dropna())
    assert answers <= set(CB["zuf_gesamt"].values.values()) | set(
        CB["zuf_gesamt"].missing_codes.values()
    )
    assert "Wie zufrieden sind Sie insgesamt mit der Qualitätsoffensive?" in set(
        sheets["Codebuch"]["Frage"].dropna()
    )
    # The respondent column holds pseudonyms only.
    assert set(sheets["Daten"]["lfdn"]) == set(wave.data["respondent"])


def pytest_demo_wave():
    from welcome_eval.config import demo_data_dir

    return demo_data_dir() / "kommunen" / "2021"
