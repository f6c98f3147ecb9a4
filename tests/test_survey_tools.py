"""LimeSurvey and SoSci Survey exports as the tools write them (issue 14).

The files under ``tests/data/limesurvey`` and ``tests/data/sosci`` follow the tools'
own export code and import scripts byte for byte (see the SOURCES.md there): one tiny
survey, exported in every heading style and answer form, and as syntax + data pairs.
Each export must give the same tidy wave.
"""

from __future__ import annotations

import hashlib
import math
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
import yaml

import welcome_eval.ingest.codebook as codebook_module
from welcome_eval.cli import main
from welcome_eval.ingest.codebook import Codebook, CodebookError
from welcome_eval.ingest.readers import ReadError
from welcome_eval.ingest.tools import HeadingMatcher, bracket_key, heading_code, read_with_syntax
from welcome_eval.ingest.validation import FileValidationError
from welcome_eval.ingest.wave import ManifestError, read_wave

DATA = Path(__file__).parent / "data"
LIME = DATA / "limesurvey"
SOSCI = DATA / "sosci"

#: Question codes of the LimeSurvey survey -> codebook columns (a manifest's 'columns:').
LIME_COLUMNS = {
    "G01Q01": "quelle",
    "G01Q01[other]": "quelle_sonst",
    "G01Q02": "zufriedenheit",
    "G01Q03[SQ001]": "angebote_1",
    "G01Q03[SQ002]": "angebote_2",
    "G01Q03[SQ003]": "angebote_3",
    "G01Q04": "verbesserung",
}
SOSCI_COLUMNS = {
    "ZU01": "zufriedenheit",
    "AN01_01": "angebote_1",
    "AN01_02": "angebote_2",
    "AN01_03": "angebote_3",
    "AN02_01": "wunsch",
}
NAN = math.nan


@pytest.fixture
def surveys(tmp_path, monkeypatch):
    """The two test codebooks as surveys 'lstest' and 'sotest'."""
    root = tmp_path / "surveys"
    for name, source in (("lstest", LIME), ("sotest", SOSCI)):
        (root / name).mkdir(parents=True)
        shutil.copy(source / "codebook.yaml", root / name / "codebook.yaml")
    monkeypatch.setattr(codebook_module, "surveys_dir", lambda: root)
    return root


def _wave(tmp_path: Path, source: Path, files: list[str], **manifest) -> Path:
    folder = tmp_path / "data" / manifest["survey"] / "2025"
    folder.mkdir(parents=True)
    for name in files:
        shutil.copy(source / name, folder / name)
    content = {"wave": "2025", "file": files[0], "demo": True, **manifest}
    (folder / "manifest.yaml").write_text(
        yaml.safe_dump(content, allow_unicode=True), encoding="utf-8"
    )
    return folder / "manifest.yaml"


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _same(actual: list, expected: list) -> bool:
    return len(actual) == len(expected) and all(
        _missing(a) if _missing(e) else (not _missing(a) and a == e)
        for a, e in zip(actual, expected, strict=True)
    )


TEXT_1 = 'Die "Willkommenstasche" war toll, danke!'
# name, files, manifest fields, first row in the file, options chosen by respondent 3,
# the two-line answer as the export keeps it
LIME_CASES = [
    (
        "CSV, question codes, answer codes",
        ["results-survey123456_code.csv"],
        {"columns": LIME_COLUMNS},
        2,
        NAN,
        "Ein 'Stammtisch' für Neue;\nÖffnungszeiten am Samstag",
    ),
    (
        "CSV, full question text, full answers (LimeSurvey's defaults)",
        ["results-survey123456_full.csv"],
        {},
        2,
        0.0,
        "Ein 'Stammtisch' für Neue;\nÖffnungszeiten am Samstag",
    ),
    (
        "CSV, code. text headings, semicolons",
        ["results-survey123456_codetext.csv"],
        {"columns": LIME_COLUMNS},
        2,
        NAN,
        "Ein 'Stammtisch' für Neue;\nÖffnungszeiten am Samstag",
    ),
    (
        "Excel, question codes",
        ["results-survey123456.xlsx"],
        {"columns": LIME_COLUMNS},
        2,
        NAN,
        "Ein 'Stammtisch' für Neue;\nÖffnungszeiten am Samstag",  # XML reads CR LF as LF
    ),
    (
        "SPSS syntax + header-less data",
        ["survey_123456_SPSS_data_file.dat", "survey_123456_SPSS_syntax_file.sps"],
        {"columns": LIME_COLUMNS, "syntax": "survey_123456_SPSS_syntax_file.sps"},
        1,
        0.0,
        "Ein 'Stammtisch' für Neue; Öffnungszeiten am Samstag",
    ),
    (
        "R syntax + data",
        ["survey_123456_R_data_file.csv", "survey_123456_R_syntax_file.R"],
        {"columns": LIME_COLUMNS, "syntax": "survey_123456_R_syntax_file.R"},
        2,
        0.0,
        "Ein 'Stammtisch' für Neue;\nÖffnungszeiten am Samstag",
    ),
]


@pytest.mark.parametrize("case", LIME_CASES, ids=[c[0] for c in LIME_CASES])
def test_every_limesurvey_export_gives_the_same_wave(case, tmp_path, surveys):
    _, files, fields, first_row, none_chosen, two_lines = case
    path = _wave(tmp_path, LIME, files, survey="lstest", tool="limesurvey", **fields)
    wave = read_wave(path)
    assert wave.counts["read"] == 4 and wave.counts["quarantined"] == 0
    assert wave.issues.empty, wave.issues[["column", "rule"]].values.tolist()
    data = wave.data
    assert data["row"].tolist() == list(range(first_row, first_row + 4))
    # A2 -> 2, -oth- (or its full answer "Other") -> 7, A1 -> 1, not reached.
    assert _same(data["quelle"].tolist(), [2.0, 7.0, 1.0, NAN])
    assert _same(data["zufriedenheit"].tolist(), [4.0, 5.0, 2.0, NAN])
    assert _same(data["angebote_1"].tolist(), [1.0, 0.0, none_chosen, NAN])
    assert _same(data["angebote_2"].tolist(), [0.0, 1.0, none_chosen, NAN])
    assert _same(data["angebote_3"].tolist(), [1.0, 0.0, none_chosen, NAN])
    assert _same(data["quelle_sonst"].tolist(), [NAN, "Aushang im Rathaus", NAN, NAN])
    assert _same(data["verbesserung"].tolist(), [TEXT_1, NAN, two_lines, NAN])
    assert data["respondent"].nunique() == 4


def test_limesurvey_answer_codes_without_codes_quarantine_every_answered_row(tmp_path, surveys):
    path = surveys / "lstest" / "codebook.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for item in raw["items"]:
        item.pop("codes", None)
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    manifest = _wave(
        tmp_path,
        LIME,
        ["results-survey123456_code.csv"],
        survey="lstest",
        tool="limesurvey",
        columns=LIME_COLUMNS,
    )
    wave = read_wave(manifest)
    assert sorted(wave.quarantine["row"]) == [2, 3, 4]
    assert set(wave.issues["rule"]) == {"type"}


def test_a_codebook_that_knows_the_question_codes_needs_no_column_mapping(tmp_path, surveys):
    """Aliases = LimeSurvey's question codes, and for multiple choice the subquestion codes."""
    path = surveys / "lstest" / "codebook.yaml"
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    aliases = {"quelle": "G01Q01", "quelle_sonst": "G01Q01[other]", "zufriedenheit": "G01Q02",
               "angebote": "G01Q03", "verbesserung": "G01Q04"}  # fmt: skip
    for item in raw["items"]:
        if item["id"] in aliases:
            item["aliases"] = [aliases[item["id"]]]
        if item["id"] == "angebote":
            item["codes"] = {"SQ001": 1, "SQ002": 2, "SQ003": 3}
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    for name, syntax in (
        ("results-survey123456_code.csv", None),
        ("survey_123456_SPSS_data_file.dat", "survey_123456_SPSS_syntax_file.sps"),
    ):
        files = [name, *([syntax] if syntax else [])]
        fields = {"syntax": syntax} if syntax else {}
        manifest = _wave(tmp_path / name, LIME, files, survey="lstest", tool="limesurvey", **fields)
        wave = read_wave(manifest)
        assert wave.issues.empty, wave.issues[["column", "rule"]].values.tolist()
        assert _same(wave.data["angebote_2"].tolist()[:2], [0.0, 1.0])
        assert _same(wave.data["quelle"].tolist(), [2.0, 7.0, 1.0, NAN])


def test_multiple_choice_codes_name_existing_options():
    raw = _codebook()
    raw["items"].append(
        {"id": "m", "type": "multiple", "values": {1: "a", 2: "b"}, "codes": {"SQ003": 3}}
    )
    with pytest.raises(CodebookError, match="3 is neither a value"):
        Codebook.from_dict(raw)


def test_code_headings_in_bracket_and_underscore_form_are_one_name(tmp_path, surveys):
    """The R and SPSS exports rename G01Q03[SQ001] to G01Q03_SQ001; one mapping serves both."""
    assert bracket_key("G01Q03[SQ001]") == bracket_key("G01Q03_SQ001") == "g01q03_sq001"
    assert heading_code("G01Q03[SQ001]. Welche Angebote? [Tasche]") == "G01Q03[SQ001]"
    assert heading_code("G01Q01 - Wie haben Sie") == "G01Q01"
    assert heading_code("Wie zufrieden sind Sie?") == "Wie"


def test_heading_matcher_styles():
    matcher = HeadingMatcher(
        {bracket_key("G01Q02"): "zufriedenheit", bracket_key("id"): "lfdn"},
        {
            "wie zufrieden sind sie insgesamt?": "zufriedenheit",
            "welche angebote haben sie genutzt? [willkommenstasche]": "angebote_1",
            "welche angebote haben sie genutzt? [stadtführung]": "angebote_3",
        },
    )
    assert matcher.match("G01Q02 - Wie zufrieden sind Sie insgesamt?") == "zufriedenheit"
    assert matcher.match("G01Q02: anything") == "zufriedenheit"
    assert matcher.match("Wie_zufrieden_sind_Sie_insgesamt?") == "zufriedenheit"
    assert matcher.match("Response ID") == "lfdn"
    assert matcher.match("Wie zufrieden s.. ") == "zufriedenheit"
    assert matcher.match("Welche Angebote.. [Stadtführung]") == "angebote_3"
    # Ambiguous (two options) or unknown: no match rather than a guess.
    assert matcher.match("Welche Angebote.. ") is None
    assert matcher.match("Wo wohnen Sie?") is None


def test_german_full_text_headings_of_limesurvey_fields(tmp_path, surveys):
    """A German-language survey writes its own fields' headings in German."""
    german = [
        "Antwort ID", "Datum Abgeschickt", "Letzte Seite", "Start-Sprache",
        "Zufallsstartwert", "Datum gestartet", "Datum letzte Aktivität",
    ]  # fmt: skip
    data = (LIME / "results-survey123456_full.csv").read_bytes().decode("utf-8-sig")
    header, rest = data.split("\r\n", 1)
    english = header.split(",")[:7]
    assert english[0] == '"Response ID"'
    header = ",".join([*(f'"{g}"' for g in german), *header.split(",")[7:]])
    folder = tmp_path / "data" / "lstest" / "2025"
    folder.mkdir(parents=True)
    (folder / "export.csv").write_bytes(("\ufeff" + header + "\r\n" + rest).encode("utf-8"))
    fields = {"survey": "lstest", "wave": "2025", "file": "export.csv", "demo": True,
              "tool": "limesurvey"}  # fmt: skip
    (folder / "manifest.yaml").write_text(yaml.safe_dump(fields), encoding="utf-8")
    wave = read_wave(folder / "manifest.yaml")
    assert wave.issues.empty, wave.issues[["column", "rule"]].values.tolist()
    assert wave.provenance["column_map"]["lfdn"] == "Antwort ID"


def test_unmatched_headings_give_a_short_message(tmp_path, surveys):
    """60 long questions the codebook does not know: exit 2, a few names, the count of the rest."""
    questions = [
        f"Frage {n}: Wie beurteilen Sie die Angebote der Stadt für neu zugezogene "
        f"Bürgerinnen und Bürger im Bereich {n}?"
        for n in range(60)
    ]
    header = ",".join(f'"{q}"' for q in ["Response ID", *questions])
    rows = [",".join(f'"{v}"' for v in [str(i), *["1"] * 60]) for i in (1, 2)]
    folder = tmp_path / "data" / "lstest" / "2025"
    folder.mkdir(parents=True)
    (folder / "export.csv").write_bytes(
        ("\ufeff" + "\r\n".join([header, *rows]) + "\r\n").encode("utf-8")
    )
    manifest = folder / "manifest.yaml"
    manifest.write_text(
        yaml.safe_dump(
            {
                "survey": "lstest",
                "wave": "2025",
                "file": "export.csv",
                "demo": True,
                "tool": "limesurvey",
            }
        ),
        encoding="utf-8",
    )
    with pytest.raises(FileValidationError) as error:
        read_wave(manifest)
    message = str(error.value)
    assert "unmatched headings: 'Frage 0: Wie beurteilen Sie d…', 'Frage 1: " in message
    assert "and 57 more" in message
    assert "Frage 59" not in message and len(message) < 700
    assert main(["validate", str(manifest)]) == 2


def test_limesurvey_spss_syntax_gives_names_and_value_labels():
    table = read_with_syntax(
        LIME / "survey_123456_SPSS_data_file.dat", LIME / "survey_123456_SPSS_syntax_file.sps"
    )
    assert list(table.frame.columns[:3]) == ["id", "submitdate", "lastpage"]
    assert "G01Q01_other" in table.frame.columns and "G01Q03_SQ002" in table.frame.columns
    assert table.value_labels["G01Q03_SQ001"] == {1.0: "Yes", 0.0: "Not Selected"}
    assert "G01Q01" not in table.value_labels  # text codes (A1 ...) are not numeric labels
    assert table.frame["submitdate"].tolist()[3] == ""
    assert table.frame["G01Q01"].tolist() == ["A2", "-oth-", "A1", ""]
    assert table.detected["encoding"] == "utf-8-sig"


def test_limesurvey_r_syntax_gives_names_and_factor_labels():
    table = read_with_syntax(
        LIME / "survey_123456_R_data_file.csv", LIME / "survey_123456_R_syntax_file.R"
    )
    assert list(table.frame.columns)[-5:] == [
        "G01Q02",
        "G01Q03_SQ001",
        "G01Q03_SQ002",
        "G01Q03_SQ003",
        "G01Q04",
    ]
    assert table.value_labels["G01Q03_SQ003"] == {1.0: "Yes", 0.0: "Not Selected"}


def test_a_data_line_that_does_not_fit_the_syntax_is_refused(tmp_path):
    data = (LIME / "survey_123456_SPSS_data_file.dat").read_bytes()
    lines = data.split(b"\n")
    lines[2] = lines[2] + b",'extra'"
    (tmp_path / "d.dat").write_bytes(b"\n".join(lines))
    with pytest.raises(ReadError, match=r"line 3 has 15 values but the syntax file names 14"):
        read_with_syntax(tmp_path / "d.dat", LIME / "survey_123456_SPSS_syntax_file.sps")


def test_a_syntax_file_without_variables_is_refused(tmp_path):
    (tmp_path / "s.sps").write_text("GET DATA /TYPE=TXT.\nEXECUTE.\n", encoding="utf-8")
    with pytest.raises(ReadError, match="no GET DATA /VARIABLES= list"):
        read_with_syntax(LIME / "survey_123456_SPSS_data_file.dat", tmp_path / "s.sps")
    (tmp_path / "s.R").write_text('data <- read.csv("x.csv")\n', encoding="utf-8")
    with pytest.raises(ReadError, match="no 'names"):
        read_with_syntax(LIME / "survey_123456_R_data_file.csv", tmp_path / "s.R")


def test_the_syntax_file_must_lie_in_the_wave_folder(tmp_path, surveys):
    manifest = _wave(
        tmp_path,
        LIME,
        ["survey_123456_SPSS_data_file.dat"],
        survey="lstest",
        tool="limesurvey",
        syntax="../survey_123456_SPSS_syntax_file.sps",
    )
    with pytest.raises(ManifestError, match=r"field 'syntax'.*'\.\.' is not allowed"):
        read_wave(manifest)


@pytest.mark.parametrize("with_script", [True, False], ids=["with import script", "data only"])
def test_sosci_r_export(with_script, tmp_path, surveys):
    data, script = "rdata_willkommen_2025-06-20_09-30.csv", "import_willkommen_2025-06-20_09-30.r"
    fields = {"syntax": script} if with_script else {}
    manifest = _wave(
        tmp_path,
        SOSCI,
        [data, script],
        survey="sotest",
        tool="sosci",
        columns=SOSCI_COLUMNS,
        ignore_columns=["AN01"],
        **fields,
    )
    wave = read_wave(manifest)
    assert wave.issues.empty, wave.issues[["column", "rule", "message"]].values.tolist()
    assert wave.data["row"].tolist() == [2, 3, 4]
    # -9 is SoSci's "[NA] nicht beantwortet"; options TRUE/FALSE; case 32 broke off.
    assert _same(wave.data["zufriedenheit"].tolist(), [4.0, NAN, 5.0])
    assert wave.missing_codes["zufriedenheit"].tolist()[1] == -9
    assert _same(wave.data["angebote_1"].tolist(), [1.0, 0.0, NAN])
    assert _same(wave.data["angebote_3"].tolist(), [1.0, 0.0, NAN])
    assert _same(wave.data["wunsch"].tolist(), ["Mehr Termine am Abend", NAN, NAN])


def test_sosci_spss_download_holds_its_data(tmp_path, surveys):
    """One .sps file: DATA LIST FREE(TAB), the data (a long case runs over two lines), labels."""
    name = "sosci_willkommen_2025-06-20_09-30.sps"
    text = (SOSCI / name).read_text(encoding="utf-8")
    assert "\t\n1\t0\t2\t2\t0\t0\t\t\n" in text  # case 27 broken after a tab
    manifest = _wave(
        tmp_path,
        SOSCI,
        [name],
        survey="sotest",
        tool="sosci",
        columns=SOSCI_COLUMNS,
        ignore_columns=["AN01"],
    )
    wave = read_wave(manifest)
    assert wave.issues.empty, wave.issues[["column", "rule", "message"]].values.tolist()
    assert wave.data["row"].tolist() == [1, 2, 3]  # case numbers: a case may span lines
    assert _same(wave.data["zufriedenheit"].tolist(), [4.0, NAN, 5.0])
    assert wave.missing_codes["zufriedenheit"].tolist()[1] == -9
    assert _same(wave.data["angebote_1"].tolist(), [1.0, 0.0, NAN])
    assert _same(wave.data["angebote_2"].tolist(), [0.0, 0.0, NAN])
    assert wave.data["wunsch"].tolist()[0].endswith("auf der Website der Stadt")
    table = read_with_syntax(SOSCI / name, SOSCI / name)
    assert table.value_labels["AN01_02"] == {1.0: "nicht gewählt", 2.0: "ausgewählt"}
    assert table.value_labels["ZU01"][-9.0] == "nicht beantwortet"
    assert table.missing_ranges == {"ZU01": [(-9.0, -9.0)]}


def test_sosci_spss_data_that_do_not_fill_the_cases_are_refused(tmp_path):
    text = (SOSCI / "sosci_willkommen_2025-06-20_09-30.sps").read_text(encoding="utf-8")
    broken = text.replace("\t17\t", "\t", 1)  # one value of case 32 lost
    (tmp_path / "x.sps").write_text(broken, encoding="utf-8")
    with pytest.raises(ReadError, match="not a multiple of the 24 variables"):
        read_with_syntax(tmp_path / "x.sps", tmp_path / "x.sps")


def test_a_sosci_label_row_under_the_header_is_not_a_case(tmp_path, surveys):
    """SoSci downloads can carry the variable labels as a second header line
    ("Interview-Nummer (fortlaufend)" under CASE); seen in users' scripts that filter it out."""
    lines = (SOSCI / "rdata_willkommen_2025-06-20_09-30.csv").read_text(encoding="utf-8")
    header, *cases = lines.splitlines()
    labels = ["Interview-Nummer (fortlaufend)", *[f'"Beschriftung {n}"' for n in range(23)]]
    text = "\n".join([header, "\t".join(labels), *cases]) + "\n"
    folder = tmp_path / "data" / "sotest" / "2025"
    folder.mkdir(parents=True)
    (folder / "data.csv").write_text(text, encoding="utf-8")
    manifest = folder / "manifest.yaml"
    fields = {"survey": "sotest", "wave": "2025", "file": "data.csv", "demo": True,
              "tool": "sosci", "columns": SOSCI_COLUMNS, "ignore_columns": ["AN01"]}  # fmt: skip
    manifest.write_text(yaml.safe_dump(fields, allow_unicode=True), encoding="utf-8")
    wave = read_wave(manifest)
    assert wave.counts["read"] == 3 and wave.counts["quarantined"] == 0
    assert wave.data["row"].tolist() == [3, 4, 5]
    assert wave.issues["rule"].tolist() == ["label_row"] and wave.issues["row"].isna().all()
    assert "row 2 holds the variable labels" in wave.issues["message"].iloc[0]


def test_a_large_syntax_file_must_hold_its_data(tmp_path, monkeypatch):
    import welcome_eval.ingest.tools as tools

    monkeypatch.setattr(tools, "MAX_SYNTAX_BYTES", 100)
    sosci = SOSCI / "sosci_willkommen_2025-06-20_09-30.sps"
    assert len(read_with_syntax(sosci, sosci).frame) == 3  # larger, but holds its data
    with pytest.raises(ReadError, match="more than 100, and holds no data"):
        read_with_syntax(
            LIME / "survey_123456_SPSS_data_file.dat", LIME / "survey_123456_SPSS_syntax_file.sps"
        )


def test_sosci_import_script_gives_names_and_labels():
    table = read_with_syntax(
        SOSCI / "rdata_willkommen_2025-06-20_09-30.csv",
        SOSCI / "import_willkommen_2025-06-20_09-30.r",
    )
    assert list(table.frame.columns[:7]) == [
        "CASE", "SERIAL", "REF", "QUESTNNR", "MODE", "STARTED", "ZU01",
    ]  # fmt: skip
    assert table.value_labels["ZU01"][-9.0] == "nicht beantwortet"
    assert table.value_labels["ZU01"][4.0] == "eher zufrieden"


# --- codebook: answer codes as text ------------------------------------------------


def _codebook(**item) -> dict:
    return {
        "survey": "t",
        "respondent_id": "id",
        "items": [
            {"id": "id", "type": "id"},
            {"id": "q", "type": "categorical", "values": {1: "ja", 2: "nein"}, **item},
        ],
    }


def test_codes_map_text_answer_codes():
    item = Codebook.from_dict(_codebook(codes={"A1": 1, "A2": 2, "-oth-": 2}))["q"]
    assert item.codes == {"A1": 1, "A2": 2, "-oth-": 2}
    assert Codebook.from_dict(_codebook())["q"].codes == {}


@pytest.mark.parametrize(
    ("codes", "message"),
    [
        ({"A1": 3}, "3 is neither a value nor a missing code"),
        ({"A1": "eins"}, "must map to a whole number"),
        ({"A1": True}, "must map to a whole number"),
        (["A1"], "codes must map the file's answer codes"),
        ({}, "codes must map the file's answer codes"),
        ({"": 1}, "is not an answer code"),
        ({"A\n1": 1}, "is not an answer code"),
        ({"x" * 51: 1}, "is not an answer code"),
    ],
)
def test_malformed_codes_are_refused(codes, message):
    with pytest.raises(CodebookError, match=re.escape(message)):
        Codebook.from_dict(_codebook(codes=codes))


def test_codes_can_come_with_a_scale():
    """LimeSurvey array questions share one answer set (A1..A5): declare its codes once."""
    raw = _codebook()
    raw["scales"] = {
        "ls5": {"type": "likert", "values": {n: str(n) for n in range(1, 6)},
                "codes": {f"A{n}": n for n in range(1, 6)}}
    }  # fmt: skip
    raw["items"] += [{"id": "a1", "scale": "ls5"}, {"id": "a2", "scale": "ls5"}]
    codebook = Codebook.from_dict(raw)
    assert codebook["a2"].codes == {"A1": 1, "A2": 2, "A3": 3, "A4": 4, "A5": 5}


def test_participant_fields_of_limesurvey_are_not_read(tmp_path, surveys):
    text = (LIME / "results-survey123456_code.csv").read_bytes().decode("utf-8-sig")
    lines = text.split("\r\n")
    lines[0] += ',"firstname","email","attribute_1"'
    for n in range(1, 5):
        lines[n] += f',"Vorname{n}","p{n}@example.org","Kreuztal"'
    folder = tmp_path / "data" / "lstest" / "2025"
    folder.mkdir(parents=True)
    (folder / "export.csv").write_bytes("\r\n".join(lines).encode("utf-8-sig"))
    fields = {"survey": "lstest", "wave": "2025", "file": "export.csv", "demo": True,
              "tool": "limesurvey", "columns": LIME_COLUMNS}  # fmt: skip
    (folder / "manifest.yaml").write_text(yaml.safe_dump(fields), encoding="utf-8")
    wave = read_wave(folder / "manifest.yaml")
    assert wave.issues.empty
    assert not {"firstname", "email", "attribute_1"} & set(wave.data.columns)


def test_codes_are_for_coded_items_only():
    raw = _codebook()
    raw["items"].append({"id": "t", "type": "text", "codes": {"A1": 1}})
    with pytest.raises(CodebookError, match=r"codes are for coded items .* not text"):
        Codebook.from_dict(raw)


# --- the fixtures are what SOURCES.md says ----------------------------------------


@pytest.mark.parametrize("folder", [LIME, SOSCI], ids=["limesurvey", "sosci"])
def test_fixtures_match_their_sources_entry(folder):
    """SOURCES.md lists every fixture with its sha256; a changed file must be re-documented."""
    listed = dict(
        re.findall(r"^\| `([^`]+)` \|.*\| `([0-9a-f]{64})` \|$", (folder / "SOURCES.md").read_text(
            encoding="utf-8"), re.M)
    )  # fmt: skip
    files = {p.name for p in folder.iterdir() if p.name != "SOURCES.md"}
    assert set(listed) == files
    for name, digest in listed.items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == digest, name


def test_limesurvey_files_are_written_as_its_exporters_write():
    code = (LIME / "results-survey123456_code.csv").read_bytes()
    assert code.startswith(b'\xef\xbb\xbf"id","submitdate",')  # BOM, every cell quoted
    assert code.count(b"\r\n") == 5 and not code.endswith(b"\r\n\r\n")
    assert b',"A2","","4","Y","","Y",' in code  # short answers: codes, Y / ''
    assert b'"4",,,"en"' in code  # NULL (not reached) is written without quotes
    dat = (LIME / "survey_123456_SPSS_data_file.dat").read_bytes()
    assert dat.startswith(b"\xef\xbb\xbf1,'12-06-2025 10:15:31',1,'en',")  # no header
    assert b"\r" not in dat and b"'Ein ''Stammtisch'' f" in dat
