"""``welcome-eval wave add``: one command puts a raw export into the data folder (issue 14).

It detects format, encoding, delimiter and the survey tool, computes the sha256,
matches the file's columns to the codebook (ids, tool codes, German question text),
writes ``manifest.yaml`` and validates. A failed ``wave add`` writes nothing, and an
existing wave is never touched.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pyreadstat
import pytest
import yaml
from test_survey_tools import LIME_COLUMNS

import welcome_eval.ingest.codebook as codebook_module
from welcome_eval.build.plan import plan
from welcome_eval.cli import main
from welcome_eval.config import demo_data_dir
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.ingest.intake import (
    WaveAddError,
    add_wave,
    detect_tool,
    find_syntax,
    propose_wave,
)
from welcome_eval.ingest.readers import read_raw
from welcome_eval.ingest.tools import read_with_syntax
from welcome_eval.ingest.wave import Manifest, read_wave

DATA = Path(__file__).parent / "data"
LIME = DATA / "limesurvey"
SOSCI = DATA / "sosci"
DEMO_SAV = demo_data_dir() / "kommunen" / "2021" / "kommunen_2021.sav"

#: Question codes of the LimeSurvey test survey -> codebook columns (as tests/test_survey_tools).
LIME_ITEMS = {"quelle", "quelle_sonst", "zufriedenheit", "angebote_1", "angebote_2",
              "angebote_3", "verbesserung"}  # fmt: skip


@pytest.fixture(autouse=True)
def pseudonym_key(monkeypatch):
    monkeypatch.setenv("WELCOME_EVAL_PSEUDONYM_KEY", "test-key-wave-add")


@pytest.fixture
def surveys(tmp_path, monkeypatch):
    """The shipped codebooks plus the two tool test codebooks as 'lstest' and 'sotest'."""
    root = tmp_path / "surveys"
    shutil.copytree(codebook_module.surveys_dir(), root)
    for name, source in (("lstest", LIME), ("sotest", SOSCI)):
        (root / name).mkdir()
        shutil.copy(source / "codebook.yaml", root / name / "codebook.yaml")
    monkeypatch.setattr(codebook_module, "surveys_dir", lambda: root)
    return root


def _files(folder: Path) -> dict[str, str]:
    """Every file under a folder with the sha256 of its bytes."""
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _tidy(wave) -> pd.DataFrame:
    """The tidy data without the row numbers (a header-less file counts rows from 1)."""
    return wave.data.drop(columns="row").reset_index(drop=True)


# --- detection --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("columns", "tool"),
    [
        (["CASE", "SERIAL", "REF", "QUESTNNR", "ZU01"], "sosci"),
        (["id", "submitdate", "lastpage", "G01Q01"], "limesurvey"),
        (["Response ID", "Date submitted", "G01Q01"], "limesurvey"),
        (["Antwort ID", "Datum abgeschickt", "Frage"], "limesurvey"),
        (["id. Response ID", "submitdate. Date submitted", "G01Q01. Frage"], "limesurvey"),
        (["lfdn", "ags", "id"], None),
    ],
)
def test_the_survey_tool_is_told_by_its_own_columns(columns, tool):
    assert detect_tool(columns) == tool


def test_syntax_exports_are_paired_from_either_file():
    pairs = [
        ("survey_123456_SPSS_data_file.dat", "survey_123456_SPSS_syntax_file.sps"),
        ("survey_123456_R_data_file.csv", "survey_123456_R_syntax_file.R"),
    ]
    for data, syntax in pairs:
        assert find_syntax(LIME / data) == (LIME / data, LIME / syntax)
        assert find_syntax(LIME / syntax) == (LIME / data, LIME / syntax)
    script = SOSCI / "import_willkommen_2025-06-20_09-30.r"
    rdata = SOSCI / "rdata_willkommen_2025-06-20_09-30.csv"
    assert find_syntax(rdata) == (rdata, script)
    assert find_syntax(LIME / "results-survey123456_code.csv") == (
        LIME / "results-survey123456_code.csv",
        None,
    )


def test_a_data_file_without_its_syntax_is_refused_with_the_name_it_needs(tmp_path):
    lonely = tmp_path / "survey_9_SPSS_data_file.dat"
    shutil.copy(LIME / "survey_123456_SPSS_data_file.dat", lonely)
    with pytest.raises(WaveAddError, match=r"survey_9_SPSS_syntax_file\.sps"):
        find_syntax(lonely)


# --- the proposal on the tools' own exports -----------------------------------------------

#: LimeSurvey exports that carry question text (heading, syntax label): all columns map.
LIME_WITH_TEXT = [
    "results-survey123456_full.csv",
    "results-survey123456_codetext.csv",
    "survey_123456_SPSS_data_file.dat",
    "survey_123456_SPSS_syntax_file.sps",
    "survey_123456_R_data_file.csv",
    "survey_123456_R_syntax_file.R",
]


@pytest.mark.parametrize("name", LIME_WITH_TEXT)
def test_limesurvey_exports_with_question_text_map_every_column(name, surveys):
    proposal = propose_wave(LIME / name, "lstest", "2025")
    assert proposal.tool == "limesurvey"
    assert {m.item for m in proposal.matches} == LIME_ITEMS | {"lfdn"}
    assert proposal.unmapped == [] and proposal.missing == []
    assert all(m.how != "similar" for m in proposal.matches)
    # The responses were started on 12 June and the last submitted on 15 June 2025
    # (the SPSS export writes these stamps day first).
    assert proposal.fieldwork == (dt.date(2025, 6, 12), dt.date(2025, 6, 15))


@pytest.mark.parametrize("name", ["results-survey123456_code.csv", "results-survey123456.xlsx"])
def test_code_only_limesurvey_exports_list_the_codes_they_cannot_map(name, surveys):
    proposal = propose_wave(LIME / name, "lstest", "2025")
    assert proposal.tool == "limesurvey"
    assert set(proposal.unmapped) == set(LIME_COLUMNS)
    assert {column for column, _ in proposal.missing} == LIME_ITEMS


@pytest.mark.parametrize(
    "name",
    [
        "rdata_willkommen_2025-06-20_09-30.csv",
        "import_willkommen_2025-06-20_09-30.r",
        "sosci_willkommen_2025-06-20_09-30.sps",
    ],
)
def test_sosci_exports_map_by_their_variable_labels(name, surveys):
    proposal = propose_wave(SOSCI / name, "sotest", "2025")
    assert proposal.tool == "sosci"
    mapped = {m.file_column: m.item for m in proposal.matches}
    assert mapped == {
        "CASE": "fallnr",
        "ZU01": "zufriedenheit",
        "AN01_01": "angebote_1",
        "AN01_02": "angebote_2",
        "AN01_03": "angebote_3",
        "AN02_01": "wunsch",
    }
    # AN01 is SoSci's count of the options chosen: no item of the codebook.
    assert proposal.unmapped == ["AN01"]
    assert proposal.fieldwork[0] is not None and proposal.fieldwork[1] is not None


def test_the_proposal_records_what_the_reader_detected(surveys):
    proposal = propose_wave(LIME / "results-survey123456_codetext.csv", "lstest", "2025")
    manifest = proposal.manifest("x.csv")
    assert manifest["delimiter"] == ";" and manifest["encoding"] == "utf-8-sig"
    assert manifest["tool"] == "limesurvey"
    assert (
        manifest["sha256"]
        == hashlib.sha256((LIME / "results-survey123456_codetext.csv").read_bytes()).hexdigest()
    )
    # Code-and-text headings whose codes the codebook does not know map by text and are
    # written out, so that a person can check them.
    assert set(manifest["columns"].values()) == LIME_ITEMS


def test_similar_question_text_is_proposed_but_marked(tmp_path, surveys):
    frame = pd.DataFrame(
        {"Antwort-ID": ["1", "2"], "Wie zufrieden sind Sie insgesamt ?!": ["4", "5"]}
    )
    path = tmp_path / "export.csv"
    frame.to_csv(path, index=False, sep=";")
    proposal = propose_wave(path, "lstest", "2025", tool=None)
    found = {m.item: m.how for m in proposal.matches}
    assert found["zufriedenheit"] in ("text", "similar")
    assert found["lfdn"] == "text"  # the id's label


# --- add_wave: the same wave as a hand-written manifest ----------------------------------


@pytest.mark.parametrize("name", LIME_WITH_TEXT)
def test_an_added_limesurvey_wave_equals_the_hand_written_manifest(name, tmp_path, surveys):
    data = tmp_path / "data"
    data.mkdir()
    added = add_wave(LIME / name, "lstest", "2025", data_dir=data)
    folder = data / "lstest" / "2025"
    assert added.folder == folder and (folder / "manifest.yaml").is_file()
    written = Manifest.load(folder / "manifest.yaml")
    assert written.sha256 == hashlib.sha256(written.file.read_bytes()).hexdigest()
    data_file, syntax = find_syntax(LIME / name)
    by_hand = tmp_path / "by_hand" / "lstest" / "2025"
    by_hand.mkdir(parents=True)
    for source in {data_file, syntax} - {None}:
        shutil.copy(source, by_hand / source.name)
    content = {"survey": "lstest", "wave": "2025", "file": data_file.name, "tool": "limesurvey",
               "columns": LIME_COLUMNS, **({"syntax": syntax.name} if syntax else {})}  # fmt: skip
    (by_hand / "manifest.yaml").write_text(yaml.safe_dump(content), encoding="utf-8")
    expected = read_wave(by_hand)
    pd.testing.assert_frame_equal(_tidy(added.wave), _tidy(expected))
    assert added.wave.counts == expected.counts
    # Read again from the folder: the manifest alone gives the same wave.
    pd.testing.assert_frame_equal(_tidy(read_wave(folder)), _tidy(expected))


def test_an_added_spss_wave_reads_as_pyreadstat_reads_the_file(tmp_path, surveys):
    data = tmp_path / "data"
    data.mkdir()
    added = add_wave(
        DEMO_SAV, "kommunen", "2023", data_dir=data,
        fieldwork=(dt.date(2023, 6, 12), dt.date(2023, 7, 14)),
    )  # fmt: skip
    frame, meta = pyreadstat.read_sav(str(DEMO_SAV))
    wave = added.wave
    assert wave.counts["read"] == len(frame)
    assert wave.manifest.fieldwork_start == dt.date(2023, 6, 12)
    assert wave.manifest.title == "Kommunenbefragung 2023"
    accepted = frame.iloc[wave.data["row"].to_numpy() - 1].reset_index(drop=True)
    for column in ("zuf_gesamt", "weiterempfehlung", "rolle"):
        expected = accepted[column].where(accepted[column] >= 0)  # negative = missing code
        assert wave.data[column].tolist() == pytest.approx(expected.tolist(), nan_ok=True)
    assert set(meta.column_names) == set(wave.provenance["column_map"].values())


def test_the_file_lands_beside_its_manifest_and_keeps_its_bytes(tmp_path, surveys):
    data = tmp_path / "data"
    data.mkdir()
    add_wave(LIME / "survey_123456_SPSS_syntax_file.sps", "lstest", "2025", data_dir=data)
    folder = data / "lstest" / "2025"
    assert sorted(p.name for p in folder.iterdir()) == [
        "manifest.yaml",
        "survey_123456_SPSS_data_file.dat",
        "survey_123456_SPSS_syntax_file.sps",
    ]
    for name in ("survey_123456_SPSS_data_file.dat", "survey_123456_SPSS_syntax_file.sps"):
        assert (folder / name).read_bytes() == (LIME / name).read_bytes()
    manifest = yaml.safe_load((folder / "manifest.yaml").read_text(encoding="utf-8"))
    assert manifest["syntax"] == "survey_123456_SPSS_syntax_file.sps"
    assert manifest["demo"] is False


# --- nothing written on failure, nothing overwritten --------------------------------------


def test_an_unreadable_file_writes_nothing(tmp_path, surveys, capsys):
    data = tmp_path / "data"
    (data / "lstest").mkdir(parents=True)
    broken = tmp_path / "export.csv"
    broken.write_bytes(b'"id","G01Q01"\n"1","unclosed\n')
    before = _files(data)
    code = main(["wave", "add", str(broken), "--survey", "lstest", "--wave", "2025",
                 "--data", str(data)])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2
    assert "export.csv" in err and "Nothing was written" in err
    assert "Traceback" not in err and len(err.splitlines()) <= 4
    assert _files(data) == before
    assert [p.name for p in (data / "lstest").iterdir()] == []


def test_a_wave_that_exists_is_never_overwritten(tmp_path, surveys, capsys):
    data = tmp_path / "data"
    data.mkdir()
    add_wave(LIME / "results-survey123456_full.csv", "lstest", "2025", data_dir=data)
    before = _files(data)
    code = main(["wave", "add", str(LIME / "results-survey123456_codetext.csv"),
                 "--survey", "lstest", "--wave", "2025", "--data", str(data)])  # fmt: skip
    assert code == 2
    assert "exists already" in capsys.readouterr().err
    assert _files(data) == before


def test_a_raw_file_put_into_the_wave_folder_by_hand_gets_its_manifest(tmp_path, surveys):
    folder = tmp_path / "data" / "lstest" / "2025"
    folder.mkdir(parents=True)
    shutil.copy(LIME / "results-survey123456_full.csv", folder)
    add_wave(folder / "results-survey123456_full.csv", "lstest", "2025", data_dir=tmp_path / "data")
    assert sorted(p.name for p in folder.iterdir()) == [
        "manifest.yaml",
        "results-survey123456_full.csv",
    ]
    assert read_wave(folder).counts["read"] == 4


def test_a_different_file_of_the_same_name_in_the_folder_is_left_alone(tmp_path, surveys):
    folder = tmp_path / "data" / "lstest" / "2025"
    folder.mkdir(parents=True)
    (folder / "results-survey123456_full.csv").write_text("somebody's notes", encoding="utf-8")
    before = _files(tmp_path / "data")
    with pytest.raises(WaveAddError, match="another file named"):
        add_wave(
            LIME / "results-survey123456_full.csv", "lstest", "2025", data_dir=tmp_path / "data"
        )
    assert _files(tmp_path / "data") == before
    assert not list((tmp_path / "data" / "lstest").glob(".wave-add-*"))


@pytest.mark.parametrize("wave", ["../2025", "2025/../../x", "", "a" * 80])
def test_a_wave_name_cannot_leave_the_data_folder(wave, tmp_path, surveys):
    with pytest.raises(WaveAddError, match="not a wave name"):
        add_wave(LIME / "results-survey123456_full.csv", "lstest", wave, data_dir=tmp_path)
    assert [p.name for p in tmp_path.iterdir()] == ["surveys"]


def test_an_odd_file_name_is_replaced_by_a_plain_one(tmp_path, surveys):
    odd = tmp_path / "Export Neubürger (final) $(rm -rf).csv"
    shutil.copy(LIME / "results-survey123456_full.csv", odd)
    data = tmp_path / "data"
    data.mkdir()
    added = add_wave(odd, "lstest", "2025", data_dir=data)
    assert added.wave.manifest.file.name == "lstest_2025.csv"
    assert added.wave.counts["read"] == 4


def test_real_data_need_the_pseudonym_key_before_anything_is_written(
    tmp_path, surveys, monkeypatch, capsys
):
    monkeypatch.delenv("WELCOME_EVAL_PSEUDONYM_KEY")
    data = tmp_path / "data"
    data.mkdir()
    code = main(["wave", "add", str(LIME / "results-survey123456_full.csv"),
                 "--survey", "lstest", "--wave", "2025", "--data", str(data)])  # fmt: skip
    assert code == 2
    assert "WELCOME_EVAL_PSEUDONYM_KEY" in capsys.readouterr().err
    assert list(data.iterdir()) == []


def test_dry_run_prints_the_manifest_and_writes_nothing(tmp_path, surveys, capsys):
    data = tmp_path / "data"
    data.mkdir()
    export = SOSCI / "rdata_willkommen_2025-06-20_09-30.csv"
    code = main(["wave", "add", str(export), "--survey", "sotest", "--wave", "2025",
                 "--data", str(data), "--dry-run"])  # fmt: skip
    out = capsys.readouterr().out
    assert code == 0
    assert "AN02_01" in out and "wunsch" in out and "tool: sosci" in out
    assert "Nicht zugeordnet" in out and "AN01" in out
    assert list(data.iterdir()) == []


# --- R's write.csv ------------------------------------------------------------------------


def test_r_write_csv_row_names_are_not_a_column(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text('"","lfdn","ags"\n"1",7,"05958004"\n"2",8,NA\n', encoding="utf-8")
    raw = read_raw(path)
    assert list(raw.frame.columns) == ["lfdn", "ags"]
    assert [rule for rule, _ in raw.notes] == ["row_names"]
    # A first column without heading that holds data is kept.
    path.write_text('"","lfdn"\n"a",7\n"b",8\n', encoding="utf-8")
    assert list(read_raw(path).frame.columns) == ["Unnamed: 0", "lfdn"]


def test_syntax_files_give_the_variable_labels():
    table = read_with_syntax(
        LIME / "survey_123456_SPSS_data_file.dat", LIME / "survey_123456_SPSS_syntax_file.sps"
    )
    assert table.column_labels["G01Q02"] == "Wie zufrieden sind Sie insgesamt?"
    assert table.column_labels["G01Q01_other"].startswith("[Other] ")
    table = read_with_syntax(
        SOSCI / "rdata_willkommen_2025-06-20_09-30.csv",
        SOSCI / "import_willkommen_2025-06-20_09-30.r",
    )
    assert table.column_labels["ZU01"] == "Zufriedenheit"


def test_spss_variable_labels_come_from_the_file(tmp_path):
    frame = pd.DataFrame({"a": [1.0, 2.0]})
    path = tmp_path / "x.sav"
    pyreadstat.write_sav(frame, str(path), column_labels={"a": "Wie zufrieden <sind> Sie?"})
    assert read_raw(path).column_labels == {"a": "Wie zufrieden <sind> Sie?"}


# --- end to end: the command line, then the build plans the new wave ----------------------


def _limesurvey_export(path: Path) -> None:
    """The demo kommunen wave as LimeSurvey's default export writes it: full question
    text headings, full answers, its own fields first, UTF-8 with BOM, all quoted."""
    frame, _ = pyreadstat.read_sav(str(DEMO_SAV))
    codebook = Codebook.for_survey("kommunen")
    out = pd.DataFrame(
        {
            "Response ID": frame["lfdn"].astype(int).astype(str),
            "Date submitted": "2023-06-20 10:00:00",
            "Last page": "3",
            "Start language": "de",
            "Date started": "2023-06-13 09:00:00",
        }
    )
    for item in codebook:
        if item.id == "lfdn" or item.id not in frame.columns:
            continue
        column = frame[item.id]
        labels = {**item.values, **item.missing_codes}
        if labels:
            column = column.map(
                lambda v, labels=labels: "" if v != v else labels.get(int(v), str(int(v)))
            )
        elif item.type == "date":
            column = column.map(lambda v: "" if v is None or v != v else v.isoformat())
        elif item.type == "text":
            column = column.fillna("")
        else:
            column = column.map(lambda v: "" if v != v else v if isinstance(v, str) else f"{v:g}")
        out[item.label] = column
    out.to_csv(path, index=False, encoding="utf-8-sig", quoting=1)


def test_wave_add_end_to_end_then_the_build_plans_the_wave(tmp_path, capsys):
    data = tmp_path / "data"
    shutil.copytree(demo_data_dir(), data)
    export = tmp_path / "results-survey654321.csv"
    _limesurvey_export(export)
    code = main(["wave", "add", str(export), "--survey", "kommunen", "--wave", "2023",
                 "--data", str(data)])  # fmt: skip
    out = capsys.readouterr().out
    assert code in (0, 1), out
    assert "Werkzeug / tool: limesurvey" in out
    assert "Feldzeit / fieldwork: 2023-06-13 bis 2023-06-20" in out
    manifest = yaml.safe_load((data / "kommunen" / "2023" / "manifest.yaml").read_text("utf-8"))
    assert manifest["tool"] == "limesurvey" and "columns" not in manifest
    assert main(["validate", str(data / "kommunen" / "2023")]) == code
    added = read_wave(data / "kommunen" / "2023")
    earlier = read_wave(demo_data_dir() / "kommunen" / "2021")
    # The answers arrive as the SPSS file holds them (same rows, same values).
    columns = ["respondent", "ags", "rolle", "zuf_gesamt", "weiterempfehlung", "ideen"]
    pd.testing.assert_frame_equal(added.data[columns], earlier.data[columns], check_dtype=False)
    # And SPSS: the demo's .sav as kommunen 2024.
    code = main(["wave", "add", str(DEMO_SAV), "--survey", "kommunen", "--wave", "2024",
                 "--data", str(data), "--fieldwork", "2024-06-10", "2024-07-12"])  # fmt: skip
    assert code == 0, capsys.readouterr()
    jobs = plan(data)
    planned = {job.relative_path.as_posix() for job in jobs}
    for wave in ("2023", "2024"):
        assert any(p.startswith(f"kommunen/{wave}/") for p in planned), sorted(planned)
    job = next(j for j in jobs if j.relative_path.as_posix().startswith("kommunen/2024/"))
    assert [m.wave for m in job.previous] == ["2018", "2019", "2021", "2023"]


@pytest.mark.slow
def test_the_report_of_an_added_wave_executes(tmp_path, report_kernel):
    """The regional report of a wave added by the command runs in the build's engine."""
    from welcome_eval.build.kernel import execute_notebook

    data = tmp_path / "data"
    shutil.copytree(demo_data_dir(), data)
    export = tmp_path / "results-survey654321.csv"
    _limesurvey_export(export)
    assert main(["wave", "add", str(export), "--survey", "kommunen", "--wave", "2023",
                 "--data", str(data), "--demo"]) in (0, 1)  # fmt: skip
    job = next(j for j in plan(data) if j.relative_path.as_posix() == "kommunen/2023/bericht.html")
    notebook = execute_notebook(job.notebook, job.parameters, cwd=tmp_path, kernel=report_kernel)
    errors = [o for c in notebook.cells for o in c.get("outputs", []) if o.output_type == "error"]
    assert errors == []
    text = "".join(
        str(o.get("data", {}).get("text/markdown", "")) + str(o.get("text", ""))
        for c in notebook.cells
        for o in c.get("outputs", [])
    )
    assert "2023" in text


# --- real-tool exports round-trip through to_excel() and to_sav() -------------------------

TOOL_EXPORTS = [
    *((LIME / n, "lstest") for n in LIME_WITH_TEXT[::2]),
    (SOSCI / "rdata_willkommen_2025-06-20_09-30.csv", "sotest"),
    (SOSCI / "sosci_willkommen_2025-06-20_09-30.sps", "sotest"),
]


@pytest.mark.parametrize(("export", "survey"), TOOL_EXPORTS, ids=[e.name for e, _ in TOOL_EXPORTS])
@pytest.mark.parametrize("writer", ["to_excel", "to_sav"])
def test_tool_exports_round_trip_through_the_staff_exports(
    export, survey, writer, tmp_path, surveys
):
    first = add_wave(export, survey, "2025", data_dir=_data(tmp_path / "a")).wave
    assert first.counts["quarantined"] == 0
    suffix = ".xlsx" if writer == "to_excel" else ".sav"
    written = getattr(first, writer)(tmp_path / f"staff{suffix}")
    again = add_wave(written, survey, "2025", data_dir=_data(tmp_path / "b"), tool=None).wave
    assert again.counts == first.counts
    # Ids were pseudonymised once more; everything else, multiple choice included, is equal.
    columns = [c for c in first.data.columns if c not in ("respondent", "row")]
    assert any(c.startswith("angebote_") for c in columns)
    pd.testing.assert_frame_equal(
        again.data[columns].reset_index(drop=True),
        first.data[columns].reset_index(drop=True),
        check_dtype=False,
    )


def _data(folder: Path) -> Path:
    folder.mkdir(parents=True)
    return folder
