"""Ingest under attack and misuse (issue 12, points 4, 7, 8, 9, 10 and 11 for ``validate``).

Every malformed input goes through ``welcome-eval validate`` as a user runs it
and must end in exit 2 (1 where rows are quarantined) with one readable
message that names the file or the manifest field, never a traceback and
never the content of a file the manifest should not have reached.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import os
import shutil
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from conftest import HEADER, fast_sample, good_row, write_wave

from welcome_eval.cli import main
from welcome_eval.config import demo_data_dir, surveys_dir
from welcome_eval.ingest.codebook import Codebook, CodebookError
from welcome_eval.ingest.readers import ReadError, neutralise_formula, restore_formula
from welcome_eval.ingest.rules import RuleError, compile_rule
from welcome_eval.ingest.wave import Manifest, ManifestError, read_wave
from welcome_eval.ingest.writers import csv_bytes

PAYLOADS = ("=cmd|' /C calc'!A0", "@SUM(1)", '+HYPERLINK("x")', "-2+3", "\tTAB", "\rCR")


# --- helpers -------------------------------------------------------------------


def demo_wave(tmp_path: Path, survey: str = "kommunen", wave: str = "2018") -> Path:
    """A copy of a demo wave folder under ``tmp_path/data``; returns its manifest."""
    target = tmp_path / "data" / survey / wave
    shutil.copytree(demo_data_dir() / survey / wave, target)
    return target / "manifest.yaml"


def edit_manifest(manifest: Path, **changes: object) -> Path:
    """Change manifest fields (``None`` removes one); the sha256 goes unless given."""
    raw = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    raw.pop("sha256", None)
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    manifest.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return manifest


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def replace_data(manifest: Path, content: bytes, name: str | None = None) -> Path:
    raw = yaml.safe_load(manifest.read_text(encoding="utf-8"))
    name = name or raw["file"]
    (manifest.parent / name).write_bytes(content)
    return edit_manifest(manifest, file=name)


def demo_csv_lines(manifest: Path) -> list[bytes]:
    return (manifest.parent / "kommunen_2018.csv").read_bytes().split(b"\r\n")


def run_validate(path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(["validate", str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def zip_bomb(path: Path, expanded: int) -> Path:
    """A workbook-shaped zip whose sheet part expands to ``expanded`` bytes."""
    path.write_bytes(_zip_bomb_bytes(expanded))
    return path


@functools.cache
def _zip_bomb_bytes(expanded: int) -> bytes:
    """Compressing 300 MB takes a second: each size is compressed once per session."""
    block = b"<row><c><v>0</v></c></row>" * 40_000
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            written = 0
            while written < expanded:
                part.write(block)
                written += len(block)
    return buffer.getvalue()


# --- the sweep -------------------------------------------------------------------


@dataclass
class Case:
    name: str
    #: Builds the input under tmp_path and returns what ``validate`` is given.
    make: Callable[[Path], Path]
    #: Text the message must contain (the file, the field or the limit).
    expect: tuple[str, ...]
    code: int = 2
    #: Text that must not appear (content of a file outside the wave folder).
    forbidden: tuple[str, ...] = ()


def _outside_secret(tmp_path: Path) -> Path:
    secret = tmp_path / "secret.csv"
    secret.write_text("geheim_kennwort;ags\n1;05970040\n", encoding="utf-8")
    return secret


def _symlink_out(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path)
    secret = _outside_secret(tmp_path)
    (manifest.parent / "link.csv").symlink_to(secret)
    return edit_manifest(manifest, file="link.csv")


def _traversal(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path)
    _outside_secret(tmp_path)
    return edit_manifest(manifest, file="../../../secret.csv")


def _absolute(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path)
    return edit_manifest(manifest, file=str(_outside_secret(tmp_path)))


def _other_survey_csv(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path)
    source = demo_data_dir() / "neubuerger" / "2021" / "neubuerger_2021.csv"
    shutil.copy(source, manifest.parent / "neu.csv")
    return edit_manifest(
        manifest, file="neu.csv", encoding="utf-8-sig", sha256=sha256(manifest.parent / "neu.csv")
    )


def _other_survey_csv_wrong_encoding(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path)
    source = demo_data_dir() / "neubuerger" / "2021" / "neubuerger_2021.csv"
    shutil.copy(source, manifest.parent / "neu.csv")
    return edit_manifest(manifest, file="neu.csv", sha256=sha256(manifest.parent / "neu.csv"))


def _other_survey_sav(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path, "kommunen", "2021")
    source = demo_data_dir() / "neubuerger" / "2023" / "neubuerger_2023.sav"
    shutil.copy(source, manifest.parent / "neu.sav")
    return edit_manifest(manifest, file="neu.sav", sha256=sha256(manifest.parent / "neu.sav"))


def _kommunen_file_as_newcomers(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path, "neubuerger", "2021")
    source = demo_data_dir() / "kommunen" / "2018" / "kommunen_2018.csv"
    shutil.copy(source, manifest.parent / "k.csv")
    return edit_manifest(manifest, file="k.csv", encoding="cp1252")


def _alias_bomb(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path)
    text = manifest.read_text(encoding="utf-8").replace("title: Kommunenbefragung 2018\n", "")
    bomb = ["a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        refs = ", ".join([f"*a{level - 1}"] * 9)
        bomb.append(f"a{level}: &a{level} [{refs}]")
    bomb.append("title: *a9")
    manifest.write_text(text + "\n".join(bomb) + "\n", encoding="utf-8")
    return manifest


def _huge_manifest(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path)
    with open(manifest, "a", encoding="utf-8") as handle:
        handle.write("generator:\n  notes: '" + "x" * 400_000 + "'\n")
    return manifest


def _huge_line(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path)
    lines = demo_csv_lines(manifest)
    lines[5] = lines[5] + b"x" * (5 * 1024 * 1024)
    return replace_data(manifest, b"\r\n".join(lines))


def _big_cell(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path)
    lines = demo_csv_lines(manifest)
    lines[3] = lines[3] + b"y" * 40_000
    return replace_data(manifest, b"\r\n".join(lines))


def _many_columns(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path)
    header = ";".join([*HEADER, *(f"extra{i}" for i in range(5000))]).encode()
    return replace_data(manifest, header + b"\r\n1;05970040\r\n")


def _zip_bomb(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path, "kommunen", "2019")
    zip_bomb(manifest.parent / "bomb.xlsx", 300 * 1024 * 1024)
    return edit_manifest(manifest, file="bomb.xlsx")


def _mixed_encoding(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path)
    lines = demo_csv_lines(manifest)
    lines[2] = lines[2] + "Größere Willkommensmappe".encode()
    lines[6] = lines[6] + "Größere Broschüre".encode("cp1252")
    return replace_data(manifest, b"\r\n".join(lines))


def _mixed_encoding_undeclared(tmp_path: Path) -> Path:
    manifest = _mixed_encoding(tmp_path)
    return edit_manifest(manifest, encoding=None)


def _utf8_declared_cp1252(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path)
    text = (manifest.parent / "kommunen_2018.csv").read_bytes().decode("cp1252")
    text = text.replace("\r\n18003;", "\r\n18003;", 1)
    lines = text.split("\r\n")
    lines[4] = lines[4] + "Größere Mappe"
    return replace_data(manifest, "\r\n".join(lines).encode("utf-8"))


def _unclosed_quote(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path)
    lines = demo_csv_lines(manifest)
    lines[12] = lines[12] + b'"Mehr Austausch'
    return replace_data(manifest, b"\r\n".join(lines))


def _unclosed_quote_to_the_end(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path)
    lines = demo_csv_lines(manifest)
    lines[48] = lines[48] + b'"Mehr Austausch'
    return replace_data(manifest, b"\r\n".join(lines))


def _swallowing_quote(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path)
    lines = demo_csv_lines(manifest)
    lines[12] = lines[12] + b'"Mehr Austausch'
    lines[30] = lines[30] + b'Ende"'
    return replace_data(manifest, b"\r\n".join(lines))


def _nul_file(tmp_path: Path) -> Path:
    return replace_data(demo_wave(tmp_path), b"\x00" * 4096)


def _binary(tmp_path: Path) -> Path:
    return replace_data(demo_wave(tmp_path), bytes(range(256)) * 64)


def _xlsx_as_csv(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path)
    xlsx = demo_data_dir() / "kommunen" / "2019" / "kommunen_2019.xlsx"
    return replace_data(manifest, xlsx.read_bytes())


def _not_a_zip(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path, "kommunen", "2019")
    (manifest.parent / "fake.xlsx").write_bytes(b"lfdn;ags\r\n1;05970040\r\n")
    return edit_manifest(manifest, file="fake.xlsx")


def _garbage_sav(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path, "kommunen", "2021")
    (manifest.parent / "bad.sav").write_bytes(b"$FL2" + os.urandom(2000))
    return edit_manifest(manifest, file="bad.sav")


def _garbage_parquet(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path)
    (manifest.parent / "bad.parquet").write_bytes(b"PAR1" + b"\x01" * 100 + b"PAR1")
    return edit_manifest(manifest, file="bad.parquet", format="parquet", encoding=None)


def _with_csv(content: bytes) -> Callable[[Path], Path]:
    return lambda tmp_path: replace_data(demo_wave(tmp_path), content)


def _with_manifest(**changes: object) -> Callable[[Path], Path]:
    return lambda tmp_path: edit_manifest(demo_wave(tmp_path), **changes)


def _manifest_text(text: str | bytes) -> Callable[[Path], Path]:
    def make(tmp_path: Path) -> Path:
        manifest = demo_wave(tmp_path)
        if isinstance(text, bytes):
            manifest.write_bytes(text)
        else:
            manifest.write_text(text, encoding="utf-8")
        return manifest

    return make


def _wrong_sha(tmp_path: Path) -> Path:
    return edit_manifest(demo_wave(tmp_path), sha256="0" * 64)


def _ragged(tmp_path: Path) -> Path:
    manifest = demo_wave(tmp_path)
    lines = demo_csv_lines(manifest)
    lines[4] = lines[4] + b";x;y;z"
    return replace_data(manifest, b"\r\n".join(lines))


def _quarantined_formulas(tmp_path: Path) -> Path:
    rows = [good_row(1), good_row(2, zuf_gesamt=PAYLOADS[0]), good_row(3, rolle=PAYLOADS[1])]
    return write_wave(tmp_path / "data" / "kommunen" / "t", rows)


def _utf16(*, bom: bool) -> Callable[[Path], Path]:
    def make(tmp_path: Path) -> Path:
        manifest = demo_wave(tmp_path)
        text = (manifest.parent / "kommunen_2018.csv").read_bytes().decode("cp1252")
        replace_data(manifest, text.encode("utf-16" if bom else "utf-16-le"))
        return edit_manifest(manifest, encoding=None)

    return make


HEADER_LINE = ";".join(HEADER).encode()

CASES = [
    Case("empty file", _with_csv(b""), ("kommunen_2018.csv", "empty")),
    Case("blank lines only", _with_csv(b"\r\n  \r\n\r\n"), ("kommunen_2018.csv", "empty")),
    Case("header only", _with_csv(HEADER_LINE + b"\r\n"), ("kommunen_2018.csv", "no data rows")),
    Case("NUL bytes only", _nul_file, ("kommunen_2018.csv", "only NUL bytes")),
    Case("binary garbage", _binary, ("kommunen_2018.csv", "not a text file")),
    Case("xlsx under format csv", _xlsx_as_csv, ("kommunen_2018.csv", "zip archive")),
    Case("wrong sha256", _wrong_sha, ("kommunen_2018.csv", "sha256", "does not match")),
    Case("missing field file", _with_manifest(file=None), ("manifest.yaml", "file")),
    Case("missing field survey", _with_manifest(survey=None), ("manifest.yaml", "survey")),
    Case(
        "list instead of text (sha256)",
        _with_manifest(sha256=["a", "b"]),
        ("field 'sha256' must be text", "a list"),
    ),
    Case(
        "list instead of text (format)",
        _with_manifest(format=["csv"]),
        ("field 'format' must be text",),
    ),
    Case(
        "text instead of mapping (fieldwork)",
        _with_manifest(fieldwork="2018"),
        ("field 'fieldwork' must be a mapping",),
    ),
    Case(
        "bad date",
        _manifest_text(
            "survey: kommunen\nwave: '2018'\nfile: kommunen_2018.csv\n"
            "fieldwork:\n  start: 2018-13-01\n  end: 2018-07-13\n"
        ),
        ("field 'fieldwork.start'", "YYYY-MM-DD"),
    ),
    Case(
        "end before start",
        _with_manifest(fieldwork={"start": "2018-07-13", "end": "2018-06-01"}),
        ("fieldwork.end",),
    ),
    Case(
        "path traversal",
        _traversal,
        ("field 'file'", "'..' is not allowed"),
        forbidden=("geheim",),
    ),
    Case(
        "etc/passwd",
        _with_manifest(file="../../../../../../../../etc/passwd"),
        ("field 'file'",),
        forbidden=("root:",),
    ),
    Case("absolute path", _absolute, ("field 'file'", "absolute"), forbidden=("geheim",)),
    Case("symlink out", _symlink_out, ("field 'file'", "outside"), forbidden=("geheim",)),
    Case("other survey's CSV", _other_survey_csv, ("neu.csv", "another survey", "neubuerger")),
    Case(
        "other survey's CSV, manifest encoding kept",
        _other_survey_csv_wrong_encoding,
        ("neu.csv", "UTF-8"),
    ),
    Case("other survey's SPSS file", _other_survey_sav, ("neu.sav", "another survey")),
    Case(
        "kommunen file under a newcomer manifest",
        _kommunen_file_as_newcomers,
        ("k.csv", "required column", "kommunen"),
    ),
    Case("alias bomb in title", _alias_bomb, ("manifest.yaml", "alias")),
    Case("huge manifest", _huge_manifest, ("manifest.yaml", "max_manifest_bytes")),
    Case("5 MB single line", _huge_line, ("kommunen_2018.csv", "line 6", "max_line_bytes")),
    Case("40,000-character cell", _big_cell, ("kommunen_2018.csv", "max_cell_chars")),
    Case("5,013 columns", _many_columns, ("kommunen_2018.csv", "max_columns")),
    Case("XLSX zip bomb", _zip_bomb, ("bomb.xlsx", "max_xlsx_ratio")),
    Case("XLSX that is no zip", _not_a_zip, ("fake.xlsx", "not a readable Excel workbook")),
    Case("SPSS garbage", _garbage_sav, ("bad.sav", "not a readable SPSS file")),
    Case("Parquet garbage", _garbage_parquet, ("bad.parquet", "not a readable Parquet file")),
    Case(
        "mixed cp1252/UTF-8 (declared cp1252)",
        _mixed_encoding,
        ("kommunen_2018.csv", "mixed encodings", "line 3", "line 7"),
    ),
    Case(
        "mixed cp1252/UTF-8 (no encoding declared)",
        _mixed_encoding_undeclared,
        ("kommunen_2018.csv", "mixed encodings", "line 3", "line 7"),
    ),
    Case(
        "UTF-8 file declared cp1252",
        _utf8_declared_cp1252,
        ("kommunen_2018.csv", "encoding cp1252", "UTF-8"),
    ),
    Case(
        "unclosed quote",
        _unclosed_quote,
        ("kommunen_2018.csv", "line 13", "not closed", "merged"),
    ),
    Case(
        "unclosed quote swallowing the rest",
        _unclosed_quote_to_the_end,
        ("kommunen_2018.csv", "line 49", "never closed", "lines 49-53"),
    ),
    Case(
        "quote swallowing 18 records",
        _swallowing_quote,
        ("kommunen_2018.csv", "line 13", "swallows"),
    ),
    Case("ragged row", _ragged, ("kommunen_2018.csv", "line 5")),
    Case(
        "required column missing",
        _with_csv(b"lfdn;rolle\r\n1;2\r\n"),
        ("kommunen_2018.csv", "required column", "ags"),
    ),
    Case("unknown format", _with_manifest(format="exe"), ("field 'format'",)),
    Case("unknown survey", _with_manifest(survey="nosuch"), ("nosuch", "known surveys")),
    Case("survey path traversal", _with_manifest(survey="../../etc"), ("field 'survey'",)),
    Case("unknown encoding", _with_manifest(encoding="klingon"), ("field 'encoding'",)),
    Case("two-character delimiter", _with_manifest(delimiter=";;"), ("field 'delimiter'",)),
    Case("header_row as text", _with_manifest(header_row="zwei"), ("field 'header_row'",)),
    Case("columns as a list", _with_manifest(columns=["a"]), ("field 'columns'",)),
    Case("unknown tool", _with_manifest(tool="excel"), ("field 'tool'",)),
    Case("demo as text", _with_manifest(demo="ja"), ("field 'demo'",)),
    Case("title of 10,000 characters", _with_manifest(title="T" * 10_000), ("field 'title'",)),
    Case("manifest a list", _manifest_text("- survey\n- wave\n"), ("manifest.yaml", "mapping")),
    Case("invalid YAML", _manifest_text("survey: [kommunen\n"), ("manifest.yaml", "invalid YAML")),
    Case(
        "python tag",
        _manifest_text("survey: !!python/object/apply:os.system ['id']\n"),
        ("manifest.yaml", "invalid YAML"),
    ),
    Case("manifest not UTF-8", _manifest_text(b"\xff\xfe\x00s\x00"), ("manifest.yaml", "UTF-8")),
    Case("manifest not found", lambda tmp_path: tmp_path / "nowhere", ("nowhere", "not found")),
    Case("rows with formulas", _quarantined_formulas, ("export.csv row 4",), code=1),
    Case("empty file field", _with_manifest(file=""), ("field 'file'",)),
    Case("file names the folder", _with_manifest(file="."), ("field 'file'", "not found")),
    Case("sha256 not hex", _with_manifest(sha256="abc"), ("field 'sha256'",)),
    Case("wave id with a path", _with_manifest(wave="../x"), ("field 'wave'",)),
    Case(
        "Windows absolute path",
        _with_manifest(file="C:\\data\\x.csv"),
        ("field 'file'", "absolute"),
    ),
    Case("UNC path", _with_manifest(file="\\\\server\\x.csv"), ("field 'file'", "absolute")),
    Case("file as a number", _with_manifest(file=17), ("field 'file' must be text",)),
    Case("fieldwork as a list", _with_manifest(fieldwork=["2018"]), ("field 'fieldwork'",)),
    Case(
        "fieldwork start as a number",
        _with_manifest(fieldwork={"start": 20180611, "end": "2018-07-13"}),
        ("field 'fieldwork.start'",),
    ),
    Case("ignore_columns as text", _with_manifest(ignore_columns="TIME*"), ("ignore_columns",)),
    Case(
        "columns mapped to no item",
        _with_manifest(columns={"x": "nosuch"}),
        ("field 'columns'", "nosuch"),
    ),
    Case("sheet as a list", _with_manifest(sheet=[1]), ("field 'sheet'",)),
    Case(
        "a column twice",
        _with_csv(b"lfdn;lfdn;ags\r\n1;2;05970040\r\n"),
        ("kommunen_2018.csv", "'lfdn' appears twice", "columns 1 and 2"),
    ),
    Case("UTF-16 without byte-order mark", _utf16(bom=False), ("kommunen_2018.csv", "UTF-16")),
    Case("UTF-16 with byte-order mark", _utf16(bom=True), ("rows read: 52",), code=0),
]


# Every second input in the fast tier, all of them in `make test`.
@pytest.mark.parametrize("case", fast_sample(CASES, every=2, ids=lambda case: case.name))
def test_malformed_input_ends_in_one_clear_message(
    case: Case, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = case.make(tmp_path)
    code, out, err = run_validate(path, capsys)
    message = err if code == 2 else out
    assert code == case.code, f"{case.name}: exit {code}\n{out}\n{err}"
    assert "Traceback" not in out + err
    assert "object has no attribute" not in err
    for text in case.expect:
        assert text in message, f"{case.name}: {text!r} not in {message!r}"
    for text in case.forbidden:
        assert text not in out + err, f"{case.name}: {text!r} echoed"
    if code == 2:
        # One message, of reasonable length.
        assert len(err) < 1000, err


def test_sweep_counts_over_fifty_inputs() -> None:
    assert len(CASES) >= 50


# --- point 4: rules without Python ----------------------------------------------------


def _codebook_with_rule(expression: str) -> dict:
    return {
        "survey": "t",
        "respondent_id": "id",
        "items": [
            {"id": "id", "type": "id"},
            {"id": "von", "type": "date"},
            {"id": "bis", "type": "date"},
            {"id": "n", "type": "number", "min": 0, "max": 100},
        ],
        "rules": [{"id": "r1", "expression": expression}],
    }


@pytest.mark.parametrize(
    ("expression", "construct"),
    [
        ("@pd.io.common.os.system('id') == 0", "'@' may only precede"),
        ("__import__('os').system('id') == 0", "__import__"),
        ("n.__class__ == 1", "__class__"),
        ("von.to_pydatetime() > 0", "Call"),
        ("open('/etc/passwd') == 1", "Call"),
        ("n[0] > 1", "Subscript"),
        ("(lambda: 1)() == 1", "lambda"),
        ("(lambda: 1) == 1", "Lambda"),
        ("n ** 99999999 > 1", "BinOp"),
        ("[x for x in n] == 1", "ListComp"),
        ("n if n else bis", "IfExp"),
        ("os == 1", "unknown name 'os'"),
        ("n @ n", "'@n'"),
        ("n > 1; import os", "single expression"),
        ("f'{n}' == 1", "JoinedStr"),
        ("n == {'a': 1}", "Dict"),
        ("isna", "isna is a function"),
        ("notna(n, n)", "takes 1 argument"),
        ("'a' * 999999999 == n", "no arithmetic with text"),
        ("id * 1000000000 == id", "no arithmetic with text"),
        ("-'a' == n", "no arithmetic with text"),
        ("von < date('2021-13-45')", "not a date"),
    ],
)
def test_rule_with_forbidden_construct_is_refused_at_load(
    tmp_path: Path, expression: str, construct: str
) -> None:
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(_codebook_with_rule(expression)), encoding="utf-8")
    with pytest.raises(CodebookError) as error:
        Codebook.load(path)
    message = str(error.value)
    assert str(path) in message and "rule r1" in message
    assert construct in message


def test_rule_language_evaluates_like_pandas() -> None:
    frame = pd.DataFrame(
        {
            "von": pd.to_datetime(["2020-01-01", "2021-01-01", None, "2022-05-01"]),
            "bis": pd.to_datetime(["2020-06-01", "2020-06-01", "2020-01-01", None]),
            "n": [1.0, 5.0, None, 40.0],
        }
    )
    context = {
        "fieldwork_start": pd.Timestamp("2020-01-01"),
        "fieldwork_end": pd.Timestamp("2021-12-31"),
    }
    checks = {
        "bis >= von": [True, False, False, False],
        "(von >= @fieldwork_start) & (von <= @fieldwork_end)": [True, True, False, False],
        "(bis == bis) == (von == von)": [True, True, False, False],
        "n * 2 + 1 > 3 and not n > 10": [False, True, False, False],
        "n in [1, 40] or isna(n)": [True, False, True, True],
        "n not in (1, 5)": [False, False, True, True],
        "1 <= n < 10": [True, True, False, False],
        "von.dt.year <= 2021": [True, True, False, False],
        "year(von) == 2022": [False, False, False, True],
        "von < date('2021-06-01')": [True, True, False, False],
        "notna(bis) | ~(n > 2)": [True, True, True, False],
        "abs(-n) % 2 == 1": [True, True, False, False],
    }
    names = {"von", "bis", "n"}
    for expression, expected in checks.items():
        got = compile_rule(expression, names).evaluate(frame, context).tolist()
        assert got == expected, expression
        if "@" not in expression and "year" not in expression and "date(" not in expression:
            python = expression.replace("isna(n)", "n != n").replace("notna(bis)", "bis == bis")
            python = python.replace("abs(-n)", "(-n).abs()")
            pandas = frame.eval(python, engine="python").fillna(False).astype(bool).tolist()
            assert got == pandas, expression


def test_every_shipped_codebook_rule_compiles() -> None:
    rules = 0
    for path in sorted(surveys_dir().glob("*/codebook.yaml")):
        codebook = Codebook.load(path)
        for rule in codebook.rules:
            assert rule.compiled is not None
            rules += 1
    assert rules >= 10


def test_rule_payload_does_not_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    surveys = tmp_path / "surveys"
    shutil.copytree(surveys_dir() / "kommunen", surveys / "kommunen")
    marker = tmp_path / "ran"
    codebook = surveys / "kommunen" / "codebook.yaml"
    text = codebook.read_text(encoding="utf-8").replace(
        "expression: teilnahme_seit <= @fieldwork_end",
        f"expression: \"@pd.io.common.os.system('touch {marker}') == 0\"",
    )
    assert "os.system" in text
    codebook.write_text(text, encoding="utf-8")
    monkeypatch.setattr("welcome_eval.ingest.codebook.surveys_dir", lambda: surveys)
    code, _, err = run_validate(demo_wave(tmp_path), capsys)
    assert code == 2
    assert "codebook.yaml" in err and "participation_before_fieldwork" in err
    assert "'@' may only precede" in err
    assert not marker.exists()


def test_codebook_alias_bomb_is_refused(tmp_path: Path) -> None:
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    for level in range(1, 10):
        lines.append(f"a{level}: &a{level} [{', '.join([f'*a{level - 1}'] * 9)}]")
    path = tmp_path / "codebook.yaml"
    path.write_text("\n".join([*lines, "survey: t", "respondent_id: id", "items: []"]))
    with pytest.raises(CodebookError, match=r"max_yaml_nodes|alias"):
        Codebook.load(path)


# --- points 7 and 8: manifests and limits ----------------------------------------------


def test_manifest_alias_bomb_fails_fast(tmp_path: Path) -> None:
    manifest = _alias_bomb(tmp_path)
    with pytest.raises(ManifestError, match="alias"):
        Manifest.load(manifest)


def test_zip_bomb_refused_before_decompression(tmp_path: Path) -> None:
    # 300 MB behind a few hundred kilobytes: refused from the zip directory alone, at once.
    manifest = _zip_bomb(tmp_path)
    with pytest.raises(ReadError, match="max_xlsx_ratio"):
        read_wave(manifest)


def test_limits_are_configurable(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = demo_wave(tmp_path)
    monkeypatch.setenv("WELCOME_EVAL_MAX_CSV_BYTES", "1000")
    with pytest.raises(ReadError, match="max_csv_bytes"):
        read_wave(manifest)
    monkeypatch.setenv("WELCOME_EVAL_MAX_CSV_BYTES", "100000")
    assert read_wave(manifest).counts["read"] == 52


def test_symlink_inside_the_wave_folder_is_fine(tmp_path: Path) -> None:
    manifest = demo_wave(tmp_path)
    (manifest.parent / "aktuell.csv").symlink_to(manifest.parent / "kommunen_2018.csv")
    edit_manifest(manifest, file="aktuell.csv")
    assert read_wave(manifest).counts["read"] == 52


def test_file_outside_is_never_opened(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    manifest = _traversal(tmp_path)
    opened: list[str] = []
    real_open = Path.read_bytes

    def spy(self: Path) -> bytes:
        opened.append(self.name)
        return real_open(self)

    monkeypatch.setattr(Path, "read_bytes", spy)
    with pytest.raises(ManifestError, match="field 'file'"):
        read_wave(manifest)
    assert "secret.csv" not in opened


# --- point 9: every row accounted for ---------------------------------------------------


def test_nul_bytes_in_a_cell_are_removed_with_a_note(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = demo_wave(tmp_path)
    lines = demo_csv_lines(manifest)
    lines[4] = lines[4] + b"Mehr\x00 Austausch"
    replace_data(manifest, b"\r\n".join(lines))
    wave = read_wave(manifest)
    assert wave.counts["read"] == 52
    assert not wave.data["ideen"].dropna().str.contains("\x00").any()
    assert "Mehr Austausch" in set(wave.data["ideen"].dropna())
    note = wave.issues[wave.issues["rule"] == "nul_bytes"]
    assert len(note) == 1 and "line(s) 5" in note["message"].item()
    code, out, _ = run_validate(manifest, capsys)
    assert code == 0 and "nul_bytes" in out


def test_quoted_line_breaks_are_still_read(tmp_path: Path) -> None:
    rows = [good_row(1, ideen="Zeile eins\nZeile zwei; mit Semikolon"), good_row(2)]
    wave = read_wave(write_wave(tmp_path, rows))
    assert wave.counts["read"] == 2
    assert wave.data.loc[0, "ideen"] == "Zeile eins\nZeile zwei; mit Semikolon"


# --- point 10: formula injection ------------------------------------------------------


def test_validation_csv_neutralises_formulas(tmp_path: Path) -> None:
    header = [*HEADER, '=HYPERLINK("http://x")']
    rows = [
        [*good_row(1, zuf_gesamt=PAYLOADS[0]), "a"],
        [*good_row(2, rolle=PAYLOADS[1]), "b"],
        [*good_row(3, zuf_material=PAYLOADS[2]), "c"],
        [*good_row(4, zuf_beratung=-9), "d"],
    ]
    wave = read_wave(write_wave(tmp_path / "w", rows, header=header))
    target = wave.write(tmp_path / "out")
    text = (target / "validation.csv").read_text(encoding="utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]
    for payload in PAYLOADS[:3]:
        assert payload not in cells
        assert "'" + payload in cells
    assert '\'=HYPERLINK("http://x")' in cells
    assert not any(cell[:1] in ("=", "+", "@", "\t", "\r") for cell in cells)
    # The parquet copy keeps the values as they were.
    assert PAYLOADS[0] in set(pd.read_parquet(target / "validation.parquet")["value"])


def test_csv_bytes_neutralises_text_but_not_numbers() -> None:
    codebook = Codebook.for_survey("kommunen")
    frame = pd.DataFrame(
        [good_row(i) for i in range(1, len(PAYLOADS) + 1)], columns=HEADER
    ).replace("", None)
    for column in HEADER:
        if column not in ("ags", "teilnahme_seit", "ideen"):
            frame[column] = pd.to_numeric(frame[column])
    frame["teilnahme_seit"] = pd.Timestamp("2018-02-01")
    frame["ideen"] = list(PAYLOADS)
    frame.loc[0, "zuf_gesamt"] = -9
    content = csv_bytes(frame, codebook).decode("cp1252")
    rows = list(csv.reader(io.StringIO(content, newline=""), delimiter=";"))
    ideas = [row[HEADER.index("ideen")] for row in rows[1:]]
    assert ideas == ["'" + p for p in PAYLOADS]
    assert rows[1][HEADER.index("zuf_gesamt")] == "-9"
    assert not any(cell[:1] in ("=", "+", "@", "\t", "\r") for row in rows for cell in row)


@pytest.mark.parametrize(
    "text", ["=1", "'=1", "''@x", "-", "-9", "'-9", "+49 271 1234", "1-2", "Ende =", "\tx"]
)
def test_neutralise_and_restore_are_inverse(text: str) -> None:
    escaped = neutralise_formula(text)
    assert restore_formula(escaped) == text
    if text[:1] in "=+@\t" or (text.startswith("-") and text != "-9"):
        assert escaped.startswith("'")
    assert neutralise_formula("-9") == "-9" and neutralise_formula("-2,5") == "-2,5"


def test_rule_error_type_is_a_value_error() -> None:
    with pytest.raises(RuleError):
        compile_rule("x.y", {"x"})
    with pytest.raises(ValueError):
        compile_rule("", {"x"})


# --- point 7: the file's survey -------------------------------------------------------


@pytest.fixture
def kommunen_with_id_pattern(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the surveys folder whose kommunen codebook gives lfdn a pattern."""
    surveys = tmp_path / "surveys"
    shutil.copytree(surveys_dir(), surveys)
    codebook = surveys / "kommunen" / "codebook.yaml"
    text = codebook.read_text(encoding="utf-8")
    text = text.replace(
        "  - id: lfdn\n    type: id\n", "  - id: lfdn\n    type: id\n    pattern: '\\d{5}'\n"
    )
    assert "pattern:" in text
    codebook.write_text(text, encoding="utf-8")
    monkeypatch.setattr("welcome_eval.ingest.codebook.surveys_dir", lambda: surveys)
    return surveys


def _set_ids(manifest: Path, ids: dict[int, str]) -> Path:
    lines = demo_csv_lines(manifest)
    for number, new in ids.items():
        lines[number] = new.encode() + lines[number][lines[number].index(b";") :]
    return replace_data(manifest, b"\r\n".join(lines))


def test_ids_off_the_pattern_are_quarantined(
    tmp_path: Path, kommunen_with_id_pattern: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = _set_ids(demo_wave(tmp_path), {3: "P-17"})
    code, out, _ = run_validate(manifest, capsys)
    assert code == 1
    assert "row 4, column lfdn" in out and "id_pattern" in out


def test_ids_mostly_off_the_pattern_mean_another_survey(
    tmp_path: Path, kommunen_with_id_pattern: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = _set_ids(demo_wave(tmp_path), {n: str(n) for n in range(1, 40)})
    code, _, err = run_validate(manifest, capsys)
    assert code == 2
    assert "another survey" in err and "id pattern" in err and "kommunen_2018.csv" in err


def test_ignored_tool_columns_do_not_count_as_unknown(tmp_path: Path) -> None:
    extra = [f"TIME{n:03d}" for n in range(1, 40)]
    rows = [[*good_row(1), *["12"] * len(extra)], [*good_row(2), *["9"] * len(extra)]]
    path = write_wave(tmp_path, rows, header=[*HEADER, *extra], extra={"ignore_columns": ["TIME*"]})
    assert read_wave(path).counts["read"] == 2
    write_wave(tmp_path, rows, header=[*HEADER, *extra])
    with pytest.raises(ValueError, match="another survey"):
        read_wave(path)


def test_terminal_escapes_never_reach_the_console(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = edit_manifest(demo_wave(tmp_path), title="Welle \x1b[2J\x1b[31mrot")
    code, _, err = run_validate(manifest, capsys)
    assert code == 2 and "field 'title'" in err and "\x1b" not in err
    header = [*HEADER, "frei\x1b[2Jtext"]
    wave = read_wave(write_wave(tmp_path / "w", [[*good_row(1), "x"]], header=header))
    assert "\x1b" not in "".join(wave.issues["column"].dropna())


def test_nul_characters_in_a_parquet_extract_are_removed_with_a_note(tmp_path: Path) -> None:
    manifest = demo_wave(tmp_path)
    frame = pd.read_csv(
        manifest.parent / "kommunen_2018.csv", sep=";", dtype=str, encoding="cp1252"
    )
    frame.loc[2, "ideen"] = "Mehr\x00 Austausch"
    frame.to_parquet(manifest.parent / "k.parquet", index=False)
    edit_manifest(manifest, file="k.parquet", format="parquet", encoding=None, delimiter=None)
    wave = read_wave(manifest)
    assert "Mehr Austausch" in set(wave.data["ideen"].dropna())
    note = wave.issues[wave.issues["rule"] == "nul_bytes"]["message"].item()
    assert "row(s) 3" in note


def test_text_garbled_before_it_reached_us_is_flagged(tmp_path: Path) -> None:
    rows = [good_row(1, ideen="GrÃ¶ÃŸere Willkommensmappe"), good_row(2, ideen="Größere Mappe")]
    wave = read_wave(write_wave(tmp_path, rows, encoding="utf-8"))
    assert wave.counts["accepted_with_flags"] == 1
    flagged = wave.issues[wave.issues["rule"] == "mojibake"]
    assert flagged["row"].tolist() == [2] and flagged["column"].tolist() == ["ideen"]


@pytest.mark.parametrize(
    ("section", "value"),
    [
        ("quality", "straightlining"),
        ("privacy", ["Name"]),
        ("missing_codes", ["-9"]),
        ("items", "lfdn"),
        ("scales", "fuenf"),
        ("rules", "auszug >= einzug"),
    ],
)
def test_codebook_sections_of_the_wrong_kind_name_the_section(
    tmp_path: Path, section: str, value: object
) -> None:
    raw = _codebook_with_rule("n >= 0")
    raw[section] = value
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    with pytest.raises(CodebookError, match=section):
        Codebook.load(path)


def test_validate_out_writes_a_formula_safe_validation_csv(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    manifest = _quarantined_formulas(tmp_path)
    out = tmp_path / "geprueft"
    assert main(["validate", str(manifest), "--out", str(out)]) == 1
    capsys.readouterr()
    text = (out / "validation.csv").read_text(encoding="utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text), delimiter=";") for cell in row]
    assert "'" + PAYLOADS[0] in cells and "'" + PAYLOADS[1] in cells
    assert not any(cell[:1] in ("=", "+", "@", "\t", "\r") for cell in cells)


def test_the_fast_yaml_loader_is_the_safe_one():
    from welcome_eval.ingest.limits import SAFE_LOADER, safe_load_text

    assert issubclass(SAFE_LOADER, yaml.SafeLoader) or SAFE_LOADER is yaml.CSafeLoader
    text = "a: 1\nb: [x, 2020-01-02]\nc: {d: 'e'}\n"
    assert safe_load_text(text) == yaml.safe_load(text)
    for hostile in (
        "!!python/object/apply:os.system ['echo owned']",
        "!!python/name:os.system",
        "x: !!python/tuple [1, 2]",
    ):
        with pytest.raises(yaml.constructor.ConstructorError):
            safe_load_text(hostile)
