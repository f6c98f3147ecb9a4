"""Real SPSS files, written by SPSS 19 to 27 and by ReadStat (R haven, jamovi), read as
pyreadstat and pandas read them (issue 14, points 1 and 2).

The files come unchanged from the public test folders of pyreadstat and R haven; see
``tests/data/real/SOURCES.md`` for repository, path, commit and licence of each. Every
file is read with :func:`read_raw` and compared with pyreadstat reading it directly:
cells, dtypes, dates, value labels, user-missing values and ranges, encoding. Where the
reader must differ from pyreadstat (a DATETIME beyond the year 9999, which makes
pyreadstat refuse the whole file; a user-missing value of a string variable) the tests
say what it does instead. End-to-end tests run the files through :func:`read_wave`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest
import yaml

from welcome_eval.ingest.readers import SPSS_ORIGIN, ReadError, read_raw, spss_dates
from welcome_eval.ingest.wave import read_wave

REAL = Path(__file__).parent / "data" / "real"
FILES = sorted(p.name for p in REAL.iterdir() if p.suffix in (".sav", ".zsav", ".por"))
#: pyreadstat raises OverflowError for this file (a DATETIME far beyond the year 9999).
OVERFLOW = "haven_datetime.sav"

#: What each file's header declares, as pyreadstat names it (.por files declare none).
ENCODINGS = {
    "haven_datetime.sav": "windows-1252",
    "haven_iris.sav": "UTF-8",
    "haven_labelled-num-na.sav": "UTF-8",
    "haven_labelled-num.sav": "UTF-8",
    "haven_labelled-str.sav": "UTF-8",
    "haven_umlauts.sav": "UTF-8",
    "haven_variable-label.sav": "UTF-8",
    "pyreadstat_hebrews.sav": "UTF-8",
    "pyreadstat_missing_char.sav": "windows-1252",
    "pyreadstat_missing_test.sav": "windows-1252",
    "pyreadstat_ordered_category.sav": "UTF-8",
    "pyreadstat_sample.por": None,
    "pyreadstat_sample.sav": "windows-1252",
    "pyreadstat_sample.zsav": "windows-1252",
    "pyreadstat_sample_missing.sav": "windows-1252",
    "pyreadstat_simple_alltypes.sav": "windows-1252",
    "pyreadstat_tegulu.sav": "UTF-8",
    "pyreadstat_test_width.sav": "UTF-8",
}


def _pyreadstat(name: str, **options) -> tuple[pd.DataFrame, object]:
    path = str(REAL / name)
    if name.endswith(".por"):
        return pyreadstat.read_por(path, **options)
    return pyreadstat.read_sav(path, user_missing=True, **options)


def _ranges(meta) -> dict[str, list[tuple[object, object]]]:
    return {
        column: [(r["lo"], r["hi"]) for r in ranges]
        for column, ranges in (meta.missing_ranges or {}).items()
    }


# --- the corpus itself ----------------------------------------------------------------


def _sources() -> dict[str, dict[str, str]]:
    rows = {}
    text = (REAL / "SOURCES.md").read_text(encoding="utf-8")
    header = None
    for line in text.splitlines():
        if not line.startswith("| "):
            continue
        cells = [c.strip().strip("`") for c in line.strip().strip("|").split("|")]
        if header is None:
            header = cells
        elif not set(cells[0]) <= {"-"}:
            rows[cells[0]] = dict(zip(header, cells, strict=True))
    return rows


def test_every_file_is_listed_in_sources_with_commit_licence_and_checksum():
    sources = _sources()
    assert sorted(sources) == FILES
    for name, row in sources.items():
        assert row["Repository"] in ("Roche/pyreadstat", "tidyverse/haven")
        assert row["Licence"] == {"Roche/pyreadstat": "Apache-2.0"}.get(row["Repository"], "MIT")
        assert re.fullmatch(r"[0-9a-f]{40}", row["Commit"])
        assert Path(row["Path in the repository"]).name in name
        assert hashlib.sha256((REAL / name).read_bytes()).hexdigest() == row["sha256"], name
    total = sum((REAL / name).stat().st_size for name in FILES)
    assert total < 1_000_000


# --- read_raw against pyreadstat --------------------------------------------------------


@pytest.mark.parametrize("name", [f for f in FILES if f != OVERFLOW])
def test_read_raw_gives_what_pyreadstat_gives(name):
    raw = read_raw(REAL / name)
    expected, meta = _pyreadstat(name)
    # A string variable's user-missing value is read as missing, as pyreadstat does
    # without user_missing; every other cell as pyreadstat gives it with user_missing.
    if raw.missing_texts:
        plain, _ = pyreadstat.read_sav(str(REAL / name))
        for column in raw.missing_texts:
            expected[column] = plain[column]
    pd.testing.assert_frame_equal(raw.frame, expected, check_dtype=True)
    assert raw.value_labels == meta.variable_value_labels
    declared = {
        **raw.missing_ranges,
        **{c: [(t, t) for t in v] for c, v in raw.missing_texts.items()},
    }
    assert declared == _ranges(meta)
    assert raw.detected["encoding"] == meta.file_encoding == ENCODINGS[name]
    assert raw.format == ("por" if name.endswith(".por") else "sav")
    assert raw.source_rows.tolist() == list(range(1, len(expected) + 1))


@pytest.mark.parametrize(
    "name", [f for f in FILES if f.endswith((".sav", ".zsav")) and f != OVERFLOW]
)
def test_read_raw_gives_what_pandas_gives_once_user_missing_values_are_masked(name):
    raw = read_raw(REAL / name)
    frame = raw.frame.copy()
    for column, ranges in raw.missing_ranges.items():
        numbers = frame[column]
        hit = np.zeros(len(numbers), dtype=bool)
        for low, high in ranges:
            hit |= numbers.between(low, high).to_numpy()
        frame[column] = numbers.mask(hit)
    expected = pd.read_spss(REAL / name, convert_categoricals=False)
    pd.testing.assert_frame_equal(frame, expected, check_dtype=True)


def test_the_three_export_formats_hold_the_same_data():
    sav = read_raw(REAL / "pyreadstat_sample.sav")
    zsav = read_raw(REAL / "pyreadstat_sample.zsav")
    por = read_raw(REAL / "pyreadstat_sample.por")
    pd.testing.assert_frame_equal(zsav.frame, sav.frame)
    # SPSS writes the names of a portable file in capitals.
    assert list(por.frame.columns) == [c.upper() for c in sav.frame.columns]
    pd.testing.assert_frame_equal(por.frame.set_axis(list(sav.frame.columns), axis=1), sav.frame)
    assert por.value_labels == {k.upper(): v for k, v in sav.value_labels.items()}


def test_dates_times_and_datetimes_before_the_nanosecond_range_are_kept():
    frame = read_raw(REAL / "pyreadstat_sample.sav").frame
    assert frame["mydate"].tolist()[:4] == [
        dt.date(2018, 5, 6),
        dt.date(1880, 5, 6),
        dt.date(1960, 1, 1),
        dt.date(1583, 1, 1),
    ]
    assert pd.isna(frame["mydate"].iloc[4])
    assert frame["dtime"].dtype == "datetime64[us]"
    assert frame["dtime"].iloc[3] == pd.Timestamp("1583-01-01 00:00:00")
    assert frame["mytime"].iloc[1] == dt.time(23, 10, 10)
    alltypes = read_raw(REAL / "pyreadstat_simple_alltypes.sav").frame
    assert alltypes["y"].iloc[3] == dt.date(1776, 7, 4)  # ADATE10
    assert alltypes["date"].iloc[0] == dt.date(2014, 11, 1)  # SDATE10
    assert alltypes["quarter"].dtype == "float64"  # QYR8 is no date to pyreadstat either


def test_user_missing_values_and_ranges_declared_by_spss():
    sample = read_raw(REAL / "pyreadstat_sample_missing.sav")
    assert sample.missing_ranges == {
        "mynum": [(2000.0, 3000.0), (-1.0, -1.0)],
        "mylabl": [(-1.0, -1.0)],
        "myord": [(-1.0, -1.0), (-2.0, -2.0), (-3.0, -3.0)],
    }
    # The cells keep their codes; validation turns them into missing codes.
    assert sample.frame["mynum"].iloc[5:].tolist() == [-1.0, 2500.0]
    assert sample.frame["myord"].iloc[5:].tolist() == [-1.0, -3.0]
    alltypes = read_raw(REAL / "pyreadstat_simple_alltypes.sav")
    assert alltypes.missing_ranges["z"] == [(-999.0, 0.0), (999.0, 999.0)]
    assert alltypes.missing_ranges["x"] == [(7.0, 7.0), (8.0, 8.0), (99.0, 99.0)]
    haven = read_raw(REAL / "haven_labelled-num-na.sav")
    assert haven.missing_ranges == {"VAR00002": [(9.0, 9.0)]}
    assert haven.frame["VAR00002"].tolist() == [1.0, 9.0]


def test_a_string_user_missing_value_is_read_as_missing_with_a_note():
    raw = read_raw(REAL / "pyreadstat_missing_char.sav")
    assert raw.missing_texts == {"mychar": ["Z"]}
    assert raw.missing_ranges == {}
    assert pd.isna(raw.frame["mychar"].iloc[0]) and raw.frame["mychar"].iloc[1] == "a"
    assert [rule for rule, _ in raw.notes] == ["user_missing"]
    assert "'Z'" in raw.notes[0][1] and "1 cell(s)" in raw.notes[0][1]
    assert raw.value_labels == {"mychar": {"a": "labeled"}}


def test_labels_and_texts_in_other_scripts_and_encodings():
    umlauts = read_raw(REAL / "haven_umlauts.sav")
    assert umlauts.value_labels["var1"][1.0] == "the ä umlaut"
    assert read_raw(REAL / "haven_labelled-str.sav").value_labels == {
        "gender": {"F": "Female", "M": "Male"}
    }
    assert list(read_raw(REAL / "pyreadstat_hebrews.sav").frame.columns) == ["ותק_ב"]
    telugu = read_raw(REAL / "pyreadstat_tegulu.sav").frame["Q16br9oe_Q24br9oe"].iloc[0]
    # The file holds this text and then half a character (SPSS cut it at a byte limit);
    # pyreadstat's own test expects the same.
    assert telugu == "నేను గతంలో వాడిన బ"


def test_an_encoding_in_the_manifest_overrides_the_files():
    raw = read_raw(REAL / "haven_umlauts.sav", encoding="latin1")
    assert raw.detected["encoding"] == "latin1"
    assert raw.value_labels["var1"][1.0] == "the Ã¤ umlaut"


def test_a_text_not_in_the_declared_encoding_names_the_manifest_setting(tmp_path):
    """haven's UTF-8 file with one label saved as cp1252 (ä as the single byte 0xE4)."""
    data = bytearray((REAL / "haven_umlauts.sav").read_bytes())
    at = data.find("the ä umlaut".encode())
    data[at + 4 : at + 6] = b"\xe4 "
    path = tmp_path / "mixed.sav"
    path.write_bytes(bytes(data))
    with pytest.raises(ReadError, match="encoding") as error:
        read_raw(path)
    assert "'encoding: cp1252'" in str(error.value) and "umlaut" not in str(error.value)
    labels = read_raw(path, encoding="cp1252").value_labels["var1"]
    assert labels[1.0] == "the ä  umlaut"


def _por_with_missing_values(tmp_path: Path) -> Path:
    """pyreadstat's SPSS 25 portable file with one record added: MYLABL declares -1 and 2
    user-missing (tag 8, numbers in base 30), as SPSS writes ``MISSING VALUES``."""
    data = (REAL / "pyreadstat_sample.por").read_bytes()
    old = b"MYLABL5/8/2/5/8/2/C7/labeled"
    assert data.count(old) == 1
    path = tmp_path / "missing.por"
    path.write_bytes(data.replace(old, b"MYLABL5/8/2/5/8/2/8-1/82/C7/labeled"))
    return path


def test_user_missing_values_of_a_portable_file_are_kept_and_declared(tmp_path):
    path = _por_with_missing_values(tmp_path)
    raw = read_raw(path)
    assert raw.missing_ranges == {"MYLABL": [(-1.0, -1.0), (2.0, 2.0)]}
    assert raw.frame["MYLABL"].tolist() == [1.0, 2.0, 1.0, 2.0, 1.0]
    # pyreadstat.read_por has no user_missing: it gives NaN and no trace of the codes.
    plain, meta = pyreadstat.read_por(str(path))
    assert meta.missing_ranges == {}
    assert plain["MYLABL"].isna().tolist() == [False, True, False, True, False]
    expected = plain.assign(MYLABL=raw.frame["MYLABL"])
    pd.testing.assert_frame_equal(raw.frame, expected, check_dtype=True)


# --- a DATETIME beyond the year 9999 -----------------------------------------------------


def test_pyreadstat_refuses_the_file_with_a_datetime_beyond_python():
    with pytest.raises(OverflowError):
        pyreadstat.read_sav(str(REAL / OVERFLOW))


def test_a_datetime_beyond_python_fails_its_cell_not_the_file():
    raw = read_raw(REAL / OVERFLOW)
    seconds, meta = pyreadstat.read_sav(str(REAL / OVERFLOW), disable_datetime_conversion=True)
    assert meta.original_variable_types == {
        "date": "ADATE10",
        "date.posix": "DATETIME20",
        "time": "TIME11.2",
    }
    frame = raw.frame
    # What R haven's own tests expect of this file.
    assert frame["date"].iloc[0] == dt.date(2014, 9, 22)
    assert frame["date.posix"].iloc[1] == dt.datetime(2014, 9, 23, 15, 59, 20)
    assert frame["time"].iloc[0] == dt.time(12, 11, 10, 90000)  # 43870.09 s
    # The cells are pyreadstat's numbers (seconds since 14.10.1582) as dates.
    for position, value in enumerate(frame["date"]):
        days = (value - SPSS_ORIGIN.date()).days
        assert days == seconds["date"].iloc[position] // 86400
    moment = frame["date.posix"].iloc[1]
    assert (moment - SPSS_ORIGIN).total_seconds() == seconds["date.posix"].iloc[1]
    bad = frame["date.posix"].iloc[0]
    assert isinstance(bad, str) and "out of range" in bad
    assert f"{seconds['date.posix'].iloc[0]:.0f}" in bad
    assert raw.detected["encoding"] == "windows-1252"
    assert [rule for rule, _ in raw.notes] == ["date_range"]
    assert "'date.posix'" in raw.notes[0][1] and "row(s) 1;" in raw.notes[0][1]


@pytest.mark.parametrize(
    "name",
    [
        "pyreadstat_sample.sav",
        "pyreadstat_sample.por",
        "pyreadstat_sample_missing.sav",
        "pyreadstat_simple_alltypes.sav",
    ],
)
def test_the_cell_by_cell_date_conversion_equals_pyreadstats(name):
    expected, meta = _pyreadstat(name)
    numbers, _ = _pyreadstat(name, disable_datetime_conversion=True)
    converted, notes = spss_dates(numbers, meta.original_variable_types)
    pd.testing.assert_frame_equal(converted, expected, check_dtype=True)
    assert notes == []


# --- through read_wave --------------------------------------------------------------------


def _item(id_: str, type_: str, **more: object) -> dict:
    return {"id": id_, "type": type_, "label": id_, "short": id_, "optional": True, **more}


def _wave(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    name: str,
    items: list[dict],
    columns: dict[str, str] | None = None,
) -> Path:
    """A survey ``real`` with these items (respondents numbered by row) and one wave
    holding the real file unchanged."""
    surveys = tmp_path / "surveys"
    (surveys / "real").mkdir(parents=True)
    codebook = {
        "survey": "real",
        "title": "Echte SPSS-Dateien",
        "version": 1,
        "respondent_id": "nr",
        "missing_codes": {-1: "keine Angabe"},
        "items": [_item("nr", "id"), *items],
    }
    (surveys / "real" / "codebook.yaml").write_text(
        yaml.safe_dump(codebook, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    monkeypatch.setattr("welcome_eval.ingest.codebook.surveys_dir", lambda: surveys)
    folder = tmp_path / "real" / "2024"
    folder.mkdir(parents=True)
    raw = folder / name
    shutil.copyfile(REAL / name, raw)
    manifest = {
        "survey": "real",
        "wave": "2024",
        "title": "Echte SPSS-Datei",
        "fieldwork": {"start": dt.date(2024, 1, 1), "end": dt.date(2024, 12, 31)},
        "file": name,
        "format": raw.suffix.lstrip("."),
        "sha256": hashlib.sha256(raw.read_bytes()).hexdigest(),
        "demo": True,
        "columns": columns or {},
    }
    path = folder / "manifest.yaml"
    path.write_text(yaml.safe_dump(manifest, allow_unicode=True, sort_keys=False), "utf-8")
    return path


SAMPLE_ITEMS = [
    _item("mychar", "text"),
    _item("mynum", "number", missing_codes={-1: "keine Angabe"}),
    _item("mydate", "date"),
    _item("dtime", "date"),
    _item("mylabl", "categorical", values={1: "Male", 2: "Female"}),
    _item("myord", "likert", values={1: "low", 2: "medium", 3: "high"}),
    _item("mytime", "text"),
    _item("leer", "date"),  # in no file: a date item without any date
]


def test_user_missing_values_of_the_file_become_missing_and_1583_quarantines_its_row(
    tmp_path, monkeypatch
):
    wave = read_wave(_wave(tmp_path, monkeypatch, "pyreadstat_sample_missing.sav", SAMPLE_ITEMS))
    assert wave.counts["read"] == 7
    assert wave.counts["quarantined"] == 1
    errors = wave.issues[wave.issues["severity"] == "error"]
    assert errors[["row", "column", "value", "rule"]].values.tolist() == [
        [4, "mydate", "1583-01-01", "type"],
        [4, "dtime", "1583-01-01", "type"],  # the DATETIME of the same case, same rule
    ]
    data = wave.data.set_index("row")
    codes = wave.missing_codes.set_axis(wave.data["row"])
    # Row 6: -1 in mynum, mylabl, myord, declared missing by the file and by the codebook.
    assert data.loc[6, ["mynum", "mylabl", "myord"]].isna().all()
    assert codes.loc[6, ["mynum", "mylabl", "myord"]].tolist() == [-1.0, -1.0, -1.0]
    # Row 7: 2500 lies in the file's range 2000 to 3000; -3 is one of myord's values.
    assert pd.isna(data.loc[7, "mynum"]) and pd.isna(codes.loc[7, "mynum"])
    assert pd.isna(data.loc[7, "myord"]) and codes.loc[7, "myord"] == -3.0
    notes = wave.issues[wave.issues["rule"] == "user_missing"]
    assert sorted(notes["column"]) == ["mynum", "myord"]
    # The other values as SPSS wrote them.
    assert data.loc[1, "mynum"] == 1.1 and data.loc[3, "mydate"] == pd.Timestamp("1960-01-01")
    assert data.loc[2, "mychar"] == "b" and data.loc[1, "mytime"] == "10:10:10"
    coded = wave.coded()
    assert coded["mynum"].iloc[4] == -1.0 and pd.isna(coded["mynum"].iloc[5])
    assert coded["myord"].iloc[5] == -3.0


def test_to_sav_declares_the_missing_codes_of_numbers_and_of_the_file(tmp_path, monkeypatch):
    wave = read_wave(_wave(tmp_path, monkeypatch, "pyreadstat_sample_missing.sav", SAMPLE_ITEMS))
    path = wave.to_sav(tmp_path / "out.sav")
    frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    assert meta.missing_ranges["mynum"] == [{"lo": -1.0, "hi": -1.0}]
    assert meta.variable_value_labels["mynum"] == {-1.0: "keine Angabe"}
    assert meta.missing_ranges["mylabl"] == [{"lo": -1.0, "hi": -1.0}]
    assert meta.missing_ranges["myord"] == [{"lo": -3.0, "hi": -3.0}, {"lo": -1.0, "hi": -1.0}]
    assert frame["mynum"].iloc[4] == -1.0 and frame["myord"].iloc[5] == -3.0
    # A date item without any date stays a date variable.
    assert meta.original_variable_types["leer"] == "EDATE10"
    assert meta.readstat_variable_types["leer"] == "double"
    assert meta.original_variable_types["mydate"] == "EDATE10"
    # Read without user-missing values, SPSS's missing codes are missing.
    plain, _ = pyreadstat.read_sav(str(path))
    assert plain[["mynum", "mylabl", "myord"]].iloc[4:].isna().all().all()


def test_a_datetime_beyond_python_quarantines_only_its_row(tmp_path, monkeypatch):
    columns = {"date": "mydate", "date.posix": "dtime", "time": "mytime"}
    wave = read_wave(_wave(tmp_path, monkeypatch, OVERFLOW, SAMPLE_ITEMS, columns))
    assert wave.counts["read"] == 2
    assert wave.counts["quarantined"] == 1
    errors = wave.issues[wave.issues["severity"] == "error"]
    assert errors[["row", "column", "rule"]].values.tolist() == [[1, "date.posix", "type"]]
    assert wave.data["row"].tolist() == [2]
    assert wave.data["dtime"].tolist() == [pd.Timestamp("2014-09-23")]
    assert wave.data["mydate"].tolist() == [pd.Timestamp("2014-09-23")]
    assert "date_range" in set(wave.issues["rule"])


def test_the_portable_file_reads_as_a_wave(tmp_path, monkeypatch):
    columns = {c.upper(): c for c in ("mychar", "mynum", "mydate", "dtime", "mylabl", "myord")}
    columns["MYTIME"] = "mytime"
    wave = read_wave(_wave(tmp_path, monkeypatch, "pyreadstat_sample.por", SAMPLE_ITEMS, columns))
    assert wave.counts["read"] == 5 and wave.counts["quarantined"] == 1
    assert wave.data["mylabl"].tolist() == [1.0, 2.0, 1.0, 1.0]


def test_user_missing_values_of_a_portable_file_become_missing(tmp_path, monkeypatch):
    columns = {c.upper(): c for c in ("mychar", "mynum", "mydate", "dtime", "mylabl", "myord")}
    columns["MYTIME"] = "mytime"
    manifest_path = _wave(tmp_path, monkeypatch, "pyreadstat_sample.por", SAMPLE_ITEMS, columns)
    raw = manifest_path.parent / "pyreadstat_sample.por"
    shutil.copyfile(_por_with_missing_values(tmp_path), raw)
    manifest = yaml.safe_load(manifest_path.read_text(encoding="utf-8"))
    manifest["sha256"] = hashlib.sha256(raw.read_bytes()).hexdigest()
    manifest_path.write_text(yaml.safe_dump(manifest, sort_keys=False), encoding="utf-8")
    wave = read_wave(manifest_path)
    assert wave.counts["read"] == 5 and wave.counts["quarantined"] == 1  # row 4: 1583
    data = wave.data.set_index("row")["mylabl"]
    codes = wave.missing_codes.set_axis(wave.data["row"])["mylabl"]
    assert data.loc[[1, 3, 5]].tolist() == [1.0, 1.0, 1.0] and pd.isna(data.loc[2])
    assert codes.loc[2] == 2.0
    note = wave.issues[wave.issues["rule"] == "user_missing"]
    assert note["column"].tolist() == ["MYLABL"] and "(2)" in note["message"].iloc[0]


@pytest.mark.parametrize("name", FILES)
def test_every_real_file_reads_as_a_wave(tmp_path, monkeypatch, name):
    """Each column an item of its type (text, date, number); nothing fails the wave."""
    frame, meta = _pyreadstat(name, disable_datetime_conversion=True)
    rows = len(frame)  # a portable file does not say how many rows it has
    items, columns = [], {}
    for number, column in enumerate(meta.column_names, start=1):
        spss_format = meta.original_variable_types[column]
        if meta.readstat_variable_types[column] == "string" or spss_format.startswith("TIME"):
            kind = "text"
        elif re.match(r"(DATE|ADATE|EDATE|JDATE|SDATE|DATETIME|YMDHMS)\d", spss_format):
            kind = "date"
        else:
            kind = "number"
        items.append(_item(f"v{number}", kind))
        columns[column] = f"v{number}"
    wave = read_wave(_wave(tmp_path, monkeypatch, name, items, columns))
    assert wave.counts["read"] == rows
    assert (
        wave.counts["accepted"] + wave.counts["accepted_with_flags"] + wave.counts["quarantined"]
        == meta.number_rows
    )


def test_a_datetime_before_1677_quarantines_its_row_as_a_date_does(tmp_path, monkeypatch):
    items = [
        _item("dtime", "date"),
        _item("mychar", "text"),
        _item("mynum", "number"),
        _item("mylabl", "number"),
    ]
    wave = read_wave(_wave(tmp_path, monkeypatch, "pyreadstat_sample.sav", items))
    errors = wave.issues[wave.issues["severity"] == "error"]
    assert errors[["row", "column", "rule"]].values.tolist() == [[4, "dtime", "type"]]
    assert wave.data["dtime"].dtype == "datetime64[ns]"
