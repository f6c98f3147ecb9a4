"""The ingestion corpus: malformed and awkward exports, each with its exact outcome.

Every case writes a small file (and manifest) and states what must happen:
the exit code of ``welcome-eval validate`` and either the problems found
(row in the file, column, rule) or the message of a file-level refusal.
No case may end in a traceback.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
import yaml
from conftest import HEADER, fast_sample, good_row

from welcome_eval.cli import main
from welcome_eval.ingest import wave as wave_module
from welcome_eval.ingest.wave import read_wave, sha256_of

FIELDWORK = {"start": "2021-06-14", "end": "2021-07-16"}


def manifest(directory: Path, name: str, fmt: str, **extra) -> Path:
    path = directory / "manifest.yaml"
    content = {
        "survey": "kommunen",
        "wave": "2021",
        "title": "Korpus",
        "file": name,
        "format": fmt,
        "demo": True,
        "fieldwork": FIELDWORK,
        **extra,
    }
    path.write_text(yaml.safe_dump(content, allow_unicode=True), encoding="utf-8")
    return path


def csv_text(rows, header=None, delimiter=";") -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header or HEADER)
    writer.writerows(rows)
    return buffer.getvalue()


def csv_case(rows, *, header=None, delimiter=";", encoding="cp1252", **extra):
    def make(directory: Path) -> Path:
        (directory / "export.csv").write_bytes(csv_text(rows, header, delimiter).encode(encoding))
        return manifest(directory, "export.csv", "csv", **extra)

    return make


def raw_case(content: bytes, name: str = "export.csv", fmt: str = "csv", **extra):
    def make(directory: Path) -> Path:
        (directory / name).write_bytes(content)
        return manifest(directory, name, fmt, **extra)

    return make


def xlsx_case(build: Callable, **extra):
    def make(directory: Path) -> Path:
        from openpyxl import Workbook

        workbook = Workbook()
        build(workbook)
        workbook.save(directory / "export.xlsx")
        return manifest(directory, "export.xlsx", "xlsx", **extra)

    return make


def sheet_with(rows, *, title_rows=(), header=None, as_text=False, name=None, empty_cols=0):
    def build(workbook):
        sheet = workbook.active
        if name:
            workbook.create_sheet("Hinweise", 0).append(["Bitte Blatt 'Daten' verwenden"])
            sheet.title = name
        for line in title_rows:
            sheet.append(line)
        sheet.append([*([None] * empty_cols), *(header or HEADER)])
        for row in rows:
            cells = [None if v == "" else v for v in row]
            if not as_text:
                cells = [
                    int(v)
                    if isinstance(v, str) and v.lstrip("-").isdigit() and not v.startswith("0")
                    else v
                    for v in cells
                ]
            sheet.append([*([None] * empty_cols), *cells])
        for _ in range(3):
            sheet.append([])

    return build


def sav_case(frame: pd.DataFrame, **kwargs):
    def make(directory: Path) -> Path:
        pyreadstat.write_sav(frame, str(directory / "export.sav"), **kwargs)
        return manifest(directory, "export.sav", "sav")

    return make


def coded_frame(rows) -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=HEADER).replace("", None)
    for column in HEADER:
        if column not in ("ags", "teilnahme_seit", "ideen"):
            frame[column] = pd.to_numeric(frame[column]).astype("float64")
    return frame


def with_file_edit(base: Callable, edit: Callable[[Path], None]):
    def make(directory: Path) -> Path:
        path = base(directory)
        edit(directory)
        return path

    return make


@dataclass
class Case:
    name: str
    make: Callable[[Path], Path]
    exit: int
    #: (row in file, column, rule) of every row-level problem, for exit 0 and 1.
    problems: set[tuple[int | None, str | None, str]] = field(default_factory=set)
    #: Substring of the refusal message, for exit 2.
    message: str = ""
    #: Extra check on the Wave read (for exit 0 and 1).
    check: Callable | None = None


def _value(column, expected, row=0):
    def check(wave):
        assert wave.data.loc[row, column] == expected, wave.data.loc[row, column]

    return check


SOSCI_HEADER = [
    "CASE",
    "SERIAL",
    "QUESTNNR",
    "STARTED",
    *HEADER[1:],
    "TIME001",
    "TIME_SUM",
    "FINISHED",
]

CASES = [
    Case("clean German Excel CSV", csv_case([good_row(1), good_row(2)]), 0),
    Case(
        "UTF-8 with BOM, comma-separated, umlauts",
        csv_case(
            [good_row(1, ideen="Öfter Treffen in Lüdenscheid, bitte")],
            delimiter=",",
            encoding="utf-8-sig",
        ),
        0,
        check=_value("ideen", "Öfter Treffen in Lüdenscheid, bitte"),
    ),
    Case(
        "tab-separated latin-1",
        csv_case([good_row(1, ideen="Größere Schrift")], delimiter="\t", encoding="latin-1"),
        0,
        check=_value("ideen", "Größere Schrift"),
    ),
    Case(
        "UTF-16 tab-separated (tool 'Excel' export)",
        csv_case(
            [good_row(1, ideen="Straßenfest für Neubürger")], delimiter="\t", encoding="utf-16"
        ),
        0,
        check=_value("ideen", "Straßenfest für Neubürger"),
    ),
    Case(
        "quoted open answer with a line break and semicolons",
        csv_case([good_row(1, ideen="Erstens: mehr Austausch;\nzweitens: Newsletter")]),
        0,
        check=_value("ideen", "Erstens: mehr Austausch;\nzweitens: Newsletter"),
    ),
    Case(
        "German and ISO dates mixed",
        csv_case(
            [good_row(1, teilnahme_seit="01.02.2018"), good_row(2, teilnahme_seit="2018-02-01")]
        ),
        0,
        check=lambda w: w.data["teilnahme_seit"].nunique() == 1 or pytest.fail("dates"),
    ),
    Case(
        "decimal comma and thousands dot in a duration",
        csv_case([[*good_row(1), "1.234,5"], [*good_row(2), "612"]], header=[*HEADER, "dauer"]),
        0,
        check=_value("dauer", 1234.5),
    ),
    Case(
        "Excel dropped the leading zero of the key",
        csv_case([good_row(1, ags="5970040")]),
        0,
        check=_value("ags", "05970040"),
    ),
    Case(
        "codes with spaces around them",
        csv_case([good_row(1, zuf_gesamt=" 4 ")]),
        0,
        check=_value("zuf_gesamt", 4.0),
    ),
    Case(
        "answer labels instead of codes",
        csv_case(
            [good_row(1, zuf_gesamt="sehr zufrieden", zuf_material="weiß nicht / nicht genutzt")]
        ),
        0,
        check=lambda w: (
            (w.data.loc[0, "zuf_gesamt"] == 5.0 and w.missing_codes.loc[0, "zuf_material"] == -9)
            or pytest.fail()
        ),
    ),
    Case(
        "an extra column the codebook does not know",
        csv_case([[*good_row(1), "intern"]], header=[*HEADER, "bemerkung"]),
        0,
        problems={(None, "bemerkung", "unknown_column")},
    ),
    Case("empty file", raw_case(b""), 2, message="the file is empty"),
    Case("only blanks", raw_case(b"\r\n  \r\n"), 2, message="the file is empty"),
    Case(
        "header only",
        raw_case(";".join(HEADER).encode() + b"\r\n"),
        2,
        message="header but no data rows",
    ),
    Case(
        "required column missing",
        csv_case([["1", "3"]], header=["lfdn", "rolle"]),
        2,
        message="required column(s) ags not found",
    ),
    Case(
        "ragged row with an extra field",
        raw_case(csv_text([good_row(1)]).encode() + b"2;05970040;1;x;y;z;1;2;3;4;5;6;7;8;9\r\n"),
        2,
        message="not a readable CSV file",
    ),
    Case("binary garbage", raw_case(bytes(range(256)) * 4), 2, message="export.csv"),
    Case(
        "wrong municipality key",
        csv_case([good_row(1), good_row(2, ags="05999999")]),
        1,
        problems={(3, "ags", "municipality_known")},
    ),
    Case(
        "likert answer out of range",
        csv_case([good_row(1, zuf_beratung=7)]),
        1,
        problems={(2, "zuf_beratung", "allowed_codes")},
    ),
    Case(
        "recommendation above 10",
        csv_case([good_row(1, weiterempfehlung=11)]),
        1,
        problems={(2, "weiterempfehlung", "range")},
    ),
    Case(
        "text in a coded item",
        csv_case([good_row(1, zuf_gesamt="gut")]),
        1,
        problems={(2, "zuf_gesamt", "type")},
    ),
    Case(
        "decimal in a coded item",
        csv_case([good_row(1, zuf_gesamt="3,5")]),
        1,
        problems={(2, "zuf_gesamt", "type")},
    ),
    Case(
        "unparseable date",
        csv_case([good_row(1, teilnahme_seit="Frühjahr 2018")]),
        1,
        problems={(2, "teilnahme_seit", "type")},
    ),
    Case(
        "missing code unknown for this item",
        csv_case([good_row(1, rolle=-9)]),
        1,
        problems={(2, "rolle", "allowed_codes")},
    ),
    Case(
        "required key empty",
        csv_case([good_row(1), good_row(2, ags="")]),
        1,
        problems={(3, "ags", "required")},
    ),
    Case(
        "same respondent id, different answers",
        csv_case([good_row(7), good_row(7, zuf_gesamt=2), good_row(8)]),
        1,
        problems={(2, "lfdn", "duplicate_id"), (3, "lfdn", "duplicate_id")},
    ),
    Case(
        "a row delivered twice",
        csv_case([good_row(1), good_row(2), good_row(1)]),
        1,
        problems={(4, None, "duplicate_row")},
    ),
    Case(
        "participation since after fieldwork (flag)",
        csv_case([good_row(1, teilnahme_seit="01.09.2021")]),
        0,
        problems={(2, "teilnahme_seit", "participation_before_fieldwork")},
    ),
    Case(
        "a date in the future (flag)",
        csv_case([good_row(1, teilnahme_seit="01.01.2099")]),
        0,
        problems={
            (2, "teilnahme_seit", "date_range"),
            (2, "teilnahme_seit", "participation_before_fieldwork"),
        },
    ),
    Case(
        "straight-lining (flag)",
        csv_case(
            [
                good_row(
                    1,
                    zuf_runder_tisch=4,
                    zuf_checklisten=4,
                    zuf_praxisbeispiele=4,
                    zuf_material=4,
                    zuf_beratung=4,
                    zuf_vernetzung=4,
                )
            ]
        ),
        0,
        problems={(2, "bausteine", "straightlining")},
    ),
    Case(
        "speeder (flag)",
        csv_case(
            [[*good_row(i), str(d)] for i, d in enumerate([600, 640, 580, 120], 1)],
            header=[*HEADER, "dauer"],
        ),
        0,
        problems={(5, "dauer", "speeder")},
    ),
    Case(
        "file holds another wave",
        csv_case([[*good_row(1), "2019"]], header=[*HEADER, "welle"]),
        2,
        message="says wave '2019'",
    ),
    Case(
        "file changed after the manifest (sha256)",
        csv_case([good_row(1)], sha256="0" * 64),
        2,
        message="does not match the manifest",
    ),
    Case(
        "manifest points at a missing file",
        lambda d: manifest(d, "nowhere.csv", "csv"),
        2,
        message="not found",
    ),
    Case(
        "manifest is not YAML",
        lambda d: (d / "manifest.yaml").write_text("survey: [kommunen\n") and d / "manifest.yaml",
        2,
        message="cannot read manifest",
    ),
    Case(
        "manifest names an unknown format",
        lambda d: manifest(d, "export.ods", "ods"),
        2,
        message="format 'ods'",
    ),
    Case(
        "manifest names an unknown survey",
        with_file_edit(
            csv_case([good_row(1)]),
            lambda d: (d / "manifest.yaml").write_text(
                (d / "manifest.yaml").read_text().replace("kommunen", "umfrage")
            ),
        ),
        2,
        message="No codebook for survey 'umfrage'",
    ),
    Case(
        "XLSX with title lines above the table",
        xlsx_case(
            sheet_with(
                [good_row(1), good_row(2, ags="05958004")],
                title_rows=[["Kommunenbefragung 2021"], ["Stand: Juli"], []],
            )
        ),
        0,
        check=lambda w: list(w.data["row"]) == [5, 6] or pytest.fail(str(w.data["row"])),
    ),
    Case(
        "XLSX numbers stored as text, empty columns and rows around",
        xlsx_case(sheet_with([good_row(1)], as_text=True, empty_cols=2)),
        0,
        check=_value("zuf_gesamt", 4.0),
    ),
    Case(
        "XLSX data on a named sheet",
        xlsx_case(sheet_with([good_row(1, zuf_beratung=9)], name="Daten"), sheet="Daten"),
        1,
        problems={(2, "zuf_beratung", "allowed_codes")},
    ),
    Case(
        "XLSX that is not a workbook",
        raw_case(b"PK\x03\x04broken", "export.xlsx", "xlsx"),
        2,
        message="not a readable Excel workbook",
    ),
    Case(
        "SPSS with a value label that disagrees with the codebook",
        sav_case(
            coded_frame([good_row(1)]),
            variable_value_labels={"zuf_gesamt": {5.0: "super", 4.0: "eher zufrieden"}},
        ),
        0,
        problems={(None, "zuf_gesamt", "value_label")},
    ),
    Case(
        # The file's own declaration counts (issue 14): missing, with a note, not an error.
        "SPSS with a user-missing code the codebook does not know",
        sav_case(coded_frame([good_row(1, zuf_gesamt=-8)]), missing_ranges={"zuf_gesamt": [-8.0]}),
        0,
        problems={(None, "zuf_gesamt", "user_missing")},
    ),
    Case(
        "SPSS file that is not one",
        raw_case(b"$FL2 nothing", "export.sav", "sav"),
        2,
        message="not a readable SPSS file",
    ),
    Case(
        "SoSci Survey export with its own variable names",
        csv_case(
            [
                [
                    str(10 + i),
                    "ab",
                    "base",
                    "2021-06-20 10:00:00",
                    *good_row(i)[1:],
                    "30",
                    str(t),
                    "1",
                ]
                for i, t in enumerate([600, 650, 700], 1)
            ],
            header=SOSCI_HEADER,
            delimiter="\t",
            encoding="utf-16",
            tool="sosci",
        ),
        0,
        check=lambda w: (
            (len(w.data) == 3 and w.data["dauer"].tolist() == [600, 650, 700]) or pytest.fail()
        ),
    ),
    Case(
        "LimeSurvey export mapped by the manifest",
        csv_case(
            [[str(i), "2021-06-20", *good_row(i)[1:]] for i in (1, 2)],
            header=["id", "submitdate", "G01Q01", *HEADER[2:]],
            delimiter=",",
            encoding="utf-8",
            tool="limesurvey",
            columns={"G01Q01": "ags"},
        ),
        0,
    ),
]


def test_corpus_is_large_enough():
    assert len(CASES) >= 30


# Every third case in the fast tier, all of them in `make test`.
@pytest.mark.parametrize("case", fast_sample(CASES, ids=lambda c: c.name))
def test_corpus_case(case, tmp_path, capsys, monkeypatch):
    path = case.make(tmp_path)
    # Keep the wave `validate` read, instead of reading the file a second time.
    read, real_read_wave = [], wave_module.read_wave
    monkeypatch.setattr(
        wave_module, "read_wave", lambda *a, **k: read.append(real_read_wave(*a, **k)) or read[-1]
    )
    code = main(["validate", str(path)])
    monkeypatch.undo()
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    assert code == case.exit, out + err
    if case.exit == 2:
        assert case.message in err, err
        return
    wave = read[0] if read else read_wave(path)
    found = {
        (None if pd.isna(r) else int(r), c, rule)
        for r, c, rule in zip(
            wave.issues["row"], wave.issues["column"], wave.issues["rule"], strict=True
        )
    }
    assert found == case.problems
    counts = wave.counts
    assert counts["read"] == len(wave.data) + len(wave.quarantine)
    quarantined_rows = {r for r, _, rule in case.problems if r is not None and rule in QUARANTINING}
    assert set(wave.quarantine["row"]) == quarantined_rows
    if case.check:
        case.check(wave)


QUARANTINING = {
    "municipality_known",
    "allowed_codes",
    "range",
    "type",
    "required",
    "duplicate_id",
    "duplicate_row",
}


def test_hard_errors_write_nothing(tmp_path):
    path = CASES[[c.name for c in CASES].index("header only")].make(tmp_path)
    assert main(["validate", str(path), "--out", str(tmp_path / "out")]) == 2
    assert not (tmp_path / "out").exists()


def test_validation_table_is_written_next_to_the_tidy_wave(tmp_path):
    path = csv_case([good_row(1), good_row(2, zuf_beratung=7)])(tmp_path)
    assert main(["validate", str(path), "--out", str(tmp_path / "out")]) == 1
    table = pd.read_csv(tmp_path / "out" / "validation.csv", sep=";", encoding="utf-8-sig")
    assert list(table.columns) == ["file", "row", "column", "value", "rule", "severity", "message"]
    assert table[["row", "column", "rule"]].values.tolist() == [
        [3, "zuf_beratung", "allowed_codes"]
    ]
    data = pd.read_parquet(tmp_path / "out" / "data.parquet")
    quarantine = pd.read_parquet(tmp_path / "out" / "quarantine.parquet")
    assert len(data) == 1 and len(quarantine) == 1
    assert sha256_of(path.parent / "export.csv")  # the raw file is untouched


def test_parquet_extract_reads_like_the_csv(tmp_path):
    for name in ("csv", "pq", "bad"):
        (tmp_path / name).mkdir()
    rows = [good_row(1), good_row(2, ags="05958004", zuf_gesamt=-9), good_row(3, zuf_beratung=7)]
    csv_path = csv_case(rows)(tmp_path / "csv")
    coded_frame(rows).astype({"lfdn": "int64"}).to_parquet(
        tmp_path / "pq" / "export.parquet", index=False
    )
    pq_path = manifest(tmp_path / "pq", "export.parquet", "parquet")
    from_csv, from_parquet = read_wave(csv_path), read_wave(pq_path)
    assert from_parquet.counts == from_csv.counts == {
        "read": 3, "accepted": 2, "accepted_with_flags": 0, "quarantined": 1
    }  # fmt: skip
    pd.testing.assert_frame_equal(
        from_csv.data.drop(columns="row"), from_parquet.data.drop(columns="row"), check_dtype=False
    )
    assert from_parquet.quarantine["row"].tolist() == [3]
    broken = raw_case(b"PAR1 nothing", "export.parquet", "parquet")(tmp_path / "bad")
    assert main(["validate", str(broken)]) == 2
