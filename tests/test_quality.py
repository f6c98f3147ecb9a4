"""The data-quality and methods report: its statistics, its tables and its notebook."""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import nbformat
import numpy as np
import pandas as pd
import pytest
from conftest import HEADER, good_row, write_wave

from welcome_eval import read_wave
from welcome_eval.analysis import newcomers, quality
from welcome_eval.analysis.programme import participation_record
from welcome_eval.build.reports import execute_notebook, render_html
from welcome_eval.config import demo_data_dir, notebooks_dir
from welcome_eval.ingest.validation import STATUS_FLAGGED, STATUS_QUARANTINED, issue_summary
from welcome_eval.present.figures import quality as figures_quality
from welcome_eval.publish.disclosure import audit
from welcome_eval.publish.privacy import protect

DEMO = demo_data_dir()
NOTEBOOK = notebooks_dir() / "qualitaet.ipynb"


@pytest.fixture(scope="module")
def r_weights(reference) -> dict:
    """Kish's design effect and weight summaries computed by tests/reference/quality_weights.R."""
    return reference("quality_weights")["weights"]


def bad_rows() -> list[list[object]]:
    """Six records of a municipal survey: two clean, three with errors, one with a warning."""
    return [
        [*good_row(1, ideen="Mehr Abende für Neubürger"), "intern"],  # ü: read as cp1252
        [*good_row(2, ags="05999999"), "intern"],  # not a municipality of Südwestfalen
        [*good_row(3, zuf_beratung=7), "intern"],  # outside the 5-point scale
        [*good_row(4, weiterempfehlung=12, zuf_gesamt="gut"), "intern"],  # two errors
        [*good_row(5, teilnahme_seit="01.09.2021"), "intern"],  # joined after fieldwork: warning
        [*good_row(6, zuf_vernetzung=-9, zuf_material=""), "intern"],  # a missing code, a gap
    ]


@pytest.fixture
def bad_wave_manifest(tmp_path: Path) -> Path:
    """A municipal wave with quarantined and flagged records and an unknown column, in a data
    directory of its own (with the demo participation record)."""
    shutil.copytree(DEMO / "programme", tmp_path / "programme")
    return write_wave(
        tmp_path / "kommunen" / "test", bad_rows(), header=[*HEADER, "bemerkung_intern"]
    )


# ---------------------------------------------------------------------------
# weights, checked against R


@pytest.mark.parametrize("name", ["apistrat_pw", "apiclus1_pw", "by_hand", "equal"])
def test_weight_summary_matches_r(r_weights: dict, name: str) -> None:
    values = np.asarray(r_weights[name]["values"], dtype=float)
    expected = r_weights[name]["summary"]
    row = quality.weight_summary({name: values}).iloc[0]
    for column, value in expected.items():
        assert row[column] == pytest.approx(value, rel=1e-12, abs=1e-12), column
    assert quality.design_effect(values) == pytest.approx(expected["deff"], rel=1e-12)
    assert quality.effective_sample_size(values) == pytest.approx(expected["n_eff"], rel=1e-12)


def test_design_effect_does_not_depend_on_the_scale_of_the_weights() -> None:
    w = np.array([1.0, 2.0, 2.0, 5.0, 0.5])
    assert quality.design_effect(w * 37.5) == pytest.approx(quality.design_effect(w))
    assert quality.design_effect([4.0] * 9) == pytest.approx(1.0)
    assert quality.effective_sample_size([4.0] * 9) == pytest.approx(9.0)


@pytest.mark.parametrize(
    ("weights", "message"),
    [
        ([], "empty"),
        ([1.0, -2.0], "non-negative"),
        ([1.0, float("nan")], "non-negative"),
        ([0.0, 0.0], "all zero"),
        ([[1.0, 2.0]], "one-dimensional"),
    ],
)
def test_bad_weights_are_refused_with_a_reason(weights: list, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        quality.design_effect(weights)


# ---------------------------------------------------------------------------
# what was received and kept


def test_intake_summary_describes_the_file_as_received(bad_wave_manifest: Path) -> None:
    wave = read_wave(bad_wave_manifest)
    facts = quality.intake_summary(wave).set_index("key")["value"]
    raw = bad_wave_manifest.parent / "export.csv"
    assert facts["file"] == "export.csv"
    assert facts["sha256"] == hashlib.sha256(raw.read_bytes()).hexdigest()[:12]
    assert facts["size"] == f"{raw.stat().st_size} Byte"
    assert facts["records"] == "6"
    assert facts["columns"] == str(len(HEADER) + 1)
    assert facts["mapped"] == str(len(HEADER))
    assert facts["encoding"] == "cp1252"
    assert facts["delimiter"] == "Semikolon (;)"
    assert facts["period"] == "14.06.2021 bis 16.07.2021"


@pytest.mark.parametrize(
    ("wave", "key", "value"),
    [
        ("kommunen/2019", "format", "Excel-Arbeitsmappe (XLSX)"),
        ("kommunen/2019", "sheet", "1. Tabellenblatt"),
        ("neubuerger/2023", "format", "SPSS-Datei (SAV)"),
        ("neubuerger/2023", "file_label", "Neubürgerbefragung 2023"),
    ],
)
def test_intake_summary_names_what_the_reader_detected(wave: str, key: str, value: str) -> None:
    facts = quality.intake_summary(read_wave(DEMO / wave)).set_index("key")["value"]
    assert facts[key] == value


def test_outcomes_and_reasons_add_up(bad_wave_manifest: Path) -> None:
    wave = read_wave(bad_wave_manifest)
    outcomes = quality.outcome_counts(wave).set_index("status")["records"].to_dict()
    assert outcomes == {"accepted": 2, STATUS_FLAGGED: 1, STATUS_QUARANTINED: 3, "read": 6}
    reasons = quality.reasons_by_outcome(wave)
    got = {(s, r): n for s, r, n in reasons[["status", "reason", "records"]].values}
    assert got == {
        (STATUS_QUARANTINED, "Unbekannter Gemeindeschlüssel"): 1,
        (STATUS_QUARANTINED, "Code ist im Codebuch nicht vorgesehen"): 1,
        (STATUS_QUARANTINED, quality.SEVERAL_RULES_DE): 1,
        (STATUS_FLAGGED, "Teilnahme seit einem Datum nach der Feldzeit"): 1,
    }
    for status, count in reasons.groupby("status")["records"].sum().items():
        assert count == outcomes[status]


def test_rule_counts_show_counts_but_no_values_rows_or_ids(bad_wave_manifest: Path) -> None:
    wave = read_wave(bad_wave_manifest)
    rules = quality.rule_counts(wave)
    assert list(rules.columns) == ["rule", "label", "severity", "scope", "problems", "records"]
    by_rule = rules.set_index("rule")
    assert by_rule.loc["type", ["severity", "records"]].tolist() == ["error", 1]
    assert by_rule.loc["range", ["severity", "records"]].tolist() == ["error", 1]
    assert by_rule.loc["unknown_column", ["scope", "problems", "records"]].tolist() == [
        "file",
        1,
        0,
    ]
    # record errors come first, the file last
    assert rules["scope"].tolist()[-1] == "file"
    assert rules["severity"].tolist()[0] == "error"
    # the same findings as the validation summary of the command line
    summary = issue_summary(wave.issues, wave.codebook)
    assert sorted(rules["problems"]) == sorted(summary["Anzahl"])
    text = rules.to_csv()
    for secret in ("05999999", "gut", "bemerkung_intern", *wave.data["respondent"]):
        assert secret not in text


def test_rule_counts_are_empty_for_a_clean_wave() -> None:
    wave = read_wave(DEMO / "neubuerger" / "2021")
    if not wave.issues.empty:
        pytest.fail("the demo newcomer wave 2021 is expected to be clean")
    assert quality.rule_counts(wave).empty
    assert quality.reasons_by_outcome(wave).empty


def test_counts_that_do_not_add_up_are_an_error(bad_wave_manifest: Path) -> None:
    wave = read_wave(bad_wave_manifest)
    wave.quarantine = wave.quarantine.iloc[1:]  # a record lost on the way
    with pytest.raises(quality.QualityError, match="do not add up"):
        quality.outcome_counts(wave)


def test_missing_by_item_counts_codes_and_gaps(bad_wave_manifest: Path) -> None:
    wave = read_wave(bad_wave_manifest)
    table = quality.missing_by_item(wave).set_index("item")
    code_label = wave.codebook["zuf_vernetzung"].missing_codes[-9]
    assert table.loc["zuf_vernetzung", [code_label, "no_answer", "missing"]].tolist() == [1, 0, 1]
    assert table.loc["zuf_material", [code_label, "no_answer", "missing"]].tolist() == [0, 1, 1]
    assert (table["n"] == 3).all()  # accepted records: 2 clean + 1 flagged
    assert (table["valid"] + table["missing"] == table["n"]).all()
    assert table.loc["zuf_material", "missing_share"] == pytest.approx(1 / 3)
    assert quality.missing_categories(table.reset_index()) == [code_label, "no_answer"]
    unused = quality.missing_by_item(wave, drop_unused=False)
    assert len(quality.missing_categories(unused)) > 2


# ---------------------------------------------------------------------------
# response, weighting, waves


def test_response_by_district_counts_every_accepted_record() -> None:
    wave = read_wave(DEMO / "kommunen" / "2019")
    record = participation_record(DEMO)
    table = quality.response_by_district(wave, record)
    total = table.iloc[-1]
    assert total["district"] == "Südwestfalen"
    assert total["respondents"] == len(wave.data)
    assert table.iloc[:-1]["respondents"].sum() == len(wave.data)
    joined = record["joined"].notna() & (record["joined"] <= pd.Timestamp(2019, 11, 18))
    left = record["left"].notna() & (record["left"] <= pd.Timestamp(2019, 11, 18))
    assert total["participating"] == int((joined & ~left).sum())


def test_participation_is_counted_on_the_extract_date_for_the_register() -> None:
    register = read_wave(DEMO / "register" / "2025")
    kommunen = read_wave(DEMO / "kommunen" / "2018")
    assert quality.participation_reference_date(register) == register.manifest.fieldwork_end
    assert quality.participation_reference_date(kommunen) == kommunen.manifest.fieldwork_start


def test_response_by_district_needs_a_municipality_column() -> None:
    wave = read_wave(DEMO / "kommunen" / "2018")
    wave.codebook = dataclasses.replace(wave.codebook, municipality=None)
    with pytest.raises(ValueError, match="no municipality column"):
        quality.response_by_district(wave, participation_record(DEMO))


@pytest.fixture(scope="module")
def newcomer_weighting() -> newcomers.Weighting:
    weighting = quality.weighting_of(read_wave(DEMO / "neubuerger" / "2021"))
    if weighting is None:
        pytest.fail("the demo newcomer wave must be weighted (margins file missing?)")
    return weighting


def test_only_surveys_with_weights_and_margins_are_weighted(newcomer_weighting) -> None:
    assert quality.weighting_of(read_wave(DEMO / "kommunen" / "2018")) is None
    margins = pd.read_csv(DEMO / "neubuerger" / "population_margins.csv", dtype={"wave": str})
    population = margins[(margins["wave"] == "2021") & (margins["margin"] == "herkunft")]
    raked = newcomer_weighting.data[newcomers.RAKED_WEIGHT]
    assert raked.sum() == pytest.approx(population["population"].sum(), rel=1e-9)


def test_weighting_effect_puts_unweighted_and_calibrated_side_by_side(newcomer_weighting) -> None:
    table = quality.weighting_effect(newcomer_weighting)
    assert table["item_label"].str.match(r"^(genutzt|Top-2): ").all()
    row = table.set_index("item").loc["bleibeabsicht"]
    answers = newcomer_weighting.data["bleibeabsicht"].dropna()
    top_two = newcomer_weighting.codebook["bleibeabsicht"].valid_codes[-2:]
    assert row["n"] == len(answers)
    assert row["unweighted"] == pytest.approx(answers.isin(top_two).mean())
    assert row["difference"] == pytest.approx(row["raked"] - row["unweighted"])
    assert row["ci_low"] < row["raked"] < row["ci_high"]
    with pytest.raises(KeyError, match="not in the weighted data"):
        quality.weighting_effect(newcomer_weighting, ["nonsense__top2"])


def test_weight_classes_are_round_and_top_coded(newcomer_weighting) -> None:
    raked = newcomer_weighting.data[newcomers.RAKED_WEIGHT].to_numpy()
    edges = quality.weight_edges([raked])
    assert edges[0] == 0 and np.allclose(np.diff(edges), np.diff(edges)[0])
    assert np.allclose(edges, np.round(edges))
    # the open top class holds at most 5 % of the records; its limit is not the largest weight
    assert (raked >= edges[-1]).mean() <= quality.TOP_CODED_SHARE
    assert edges[-1] < raked.max()
    table = quality.weight_histogram({"kalibriert": raked})
    assert table["kalibriert"].sum() == len(raked)
    assert table.index[-1].endswith("und mehr")


def test_weight_histogram_by_hand_and_protected() -> None:
    table = quality.weight_histogram(
        {"a": [0.5, 1.0, 1.5, 2.0, 10.0], "b": [1.0, 1.0, 1.0, 1.0, 1.0]}, edges=[0, 1, 2]
    )
    assert table.to_dict() == {
        "a": {"0 bis unter 1": 1, "1 bis unter 2": 2, "2 und mehr": 2},
        "b": {"0 bis unter 1": 0, "1 bis unter 2": 5, "2 und mehr": 0},
    }
    many = quality.weight_histogram(
        {"a": [1.0] * 20 + [5.0] * 3 + [9.0] * 30, "b": [1.0] * 24 + [5.0] * 10},
        edges=[0, 4, 8],
    )
    shown = protect(many, counts=None, min_n=5)
    # three records in a class are hidden, with further cells so that they cannot be
    # recovered from the number of records; an empty class stays visible
    assert np.isnan(shown.table.loc["4 bis unter 8", "a"])
    assert shown.table.loc["8 und mehr", "b"] == 0
    assert audit(shown).empty


def test_wave_counts_compare_waves_of_one_survey() -> None:
    waves = [read_wave(DEMO / "kommunen" / w) for w in ("2018", "2019", "2021")]
    table = quality.wave_counts(waves)
    assert table["wave"].tolist() == ["2018", "2019", "2021"]
    assert table["read"].tolist() == [w.counts["read"] for w in waves]
    assert table["kept"].tolist() == [len(w.data) for w in waves]
    assert pd.isna(table["kept_change"].iloc[0])
    assert table["kept_change"].iloc[2] == len(waves[2].data) - len(waves[1].data)
    assert table["municipalities"].tolist() == [w.data["ags"].nunique() for w in waves]
    with pytest.raises(ValueError, match="different surveys"):
        quality.wave_counts([waves[0], read_wave(DEMO / "neubuerger" / "2021")])


# ---------------------------------------------------------------------------
# methods


@pytest.mark.parametrize(
    ("survey", "authors"),
    [
        ("kommunen", ["Wilson", "Welch", "Cronbach", "Feldt", "Holm", "Hundepool"]),
        ("neubuerger", ["Lumley", "Deming", "Kish", "McCullagh", "Hundepool"]),
        ("register", ["Kaplan", "Therneau", "Cox", "Aalen", "Callaway", "Hundepool"]),
        ("checkliste", ["Hyndman", "Hundepool"]),
        ("eine_neue_befragung", ["Wilson", "Hundepool", "Krawczyk"]),
    ],
)
def test_methods_name_their_references(survey: str, authors: list[str]) -> None:
    references = quality.methods_references(survey)
    assert references == sorted(references, key=str.casefold)
    assert len(set(references)) == len(references)
    for author in authors:
        assert any(r.startswith(author) for r in references), author
    overview = quality.methods_overview(survey)
    assert list(overview.columns) == ["method", "use", "references"]
    assert overview["method"].iloc[:3].tolist() == [
        "Prüfung gegen das Codebuch",
        "Pseudonymisierung",
        "Geheimhaltung (Zellsperrung)",
    ]
    # every short citation belongs to a full reference in the list
    for short in filter(None, "; ".join(overview["references"]).split("; ")):
        first = short.split(" ")[0].rstrip(",")
        assert any(first in r for r in references), short


def test_methods_need_a_survey_id() -> None:
    with pytest.raises(ValueError, match="survey id"):
        quality.methods_overview(" ")


# ---------------------------------------------------------------------------
# figures


def test_outcome_bars_leave_hidden_counts_out() -> None:
    table = pd.DataFrame({"label": ["a", "b", "c"], "records": [40.0, np.nan, 3.0]})
    ax = figures_quality.outcome_bars(table)
    assert [p.get_width() for p in ax.patches] == [40.0, 3.0]
    assert "." in [t.get_text() for t in ax.texts]
    plt.close(ax.figure)


def test_missing_bars_draw_shares_of_n() -> None:
    table = pd.DataFrame(
        {"item_label": ["A", "B"], "n": [40, 40], "weiß nicht": [4, 10], "no_answer": [2, 0]}
    )
    ax = figures_quality.missing_bars(table, categories=["weiß nicht", "no_answer"])
    widths = [round(float(p.get_width()), 6) for p in ax.patches]
    assert widths == [0.1, 0.25, 0.05, 0.0]
    assert ax.get_legend() is not None
    plt.close(ax.figure)


def test_weight_distribution_marks_hidden_classes() -> None:
    table = pd.DataFrame(
        {"Design": [30.0, 10.0, 0.0], "kalibriert": [12.0, np.nan, 20.0]},
        index=["0 bis unter 5", "5 bis unter 10", "10 und mehr"],
    )
    ax = figures_quality.weight_distribution(table)
    assert len(ax.patches) == 6
    assert [t.get_text() for t in ax.texts] == ["."]
    assert [t.get_text() for t in ax.get_xticklabels()] == list(table.index)
    plt.close(ax.figure)


# ---------------------------------------------------------------------------
# the notebook


def _outputs(notebook: nbformat.NotebookNode) -> str:
    parts = []
    for cell in notebook.cells:
        if cell.cell_type != "code":
            continue
        for output in cell.outputs:
            if output.get("output_type") == "error":
                parts.append("ERROR " + output.get("ename", ""))
            data = output.get("data", {})
            parts.append(str(data.get("text/markdown", "")) + str(data.get("text/html", "")))
            parts.append(str(output.get("text", "")))
    return "\n".join(parts)


def test_wave_notebook_pattern_is_the_report_engines() -> None:
    from welcome_eval.build.reports import NOTEBOOK_PATTERN

    assert quality.WAVE_NOTEBOOK_PATTERN == NOTEBOOK_PATTERN


def test_notebook_is_committed_clean_with_its_parameters() -> None:
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1
    # Typed and documented for papermill --help-notebook: `name: type = default  # meaning`.
    for name, default in (
        ("manifest", "None"),
        ("previous_manifests", "[]"),
        ("data_dir", "None"),
        ("min_n", "5"),
    ):
        pattern = rf"(?m)^{name}(\s*:[^=\n]+)?\s*=\s*{re.escape(default)}\s*(#.*)?$"
        assert re.search(pattern, tagged[0].source), name


def test_report_of_a_wave_with_quarantined_records(
    bad_wave_manifest: Path, tmp_path: Path, report_kernel
):
    wave = read_wave(bad_wave_manifest)
    parameters = {
        "manifest": str(bad_wave_manifest),
        "previous_manifests": [],
        "data_dir": str(bad_wave_manifest.parent.parent.parent),
        "min_n": 5,
    }
    notebook = execute_notebook(NOTEBOOK, parameters, cwd=tmp_path, kernel=report_kernel)
    html = render_html(notebook, title="Datenqualität", demo=True, inputs=[])
    text = _outputs(notebook)
    assert "ERROR" not in text
    assert "# Datenqualität und Methoden: Testwelle" in text
    assert "Gelesen wurden **6 Datensätze**" in text
    assert "[Bericht zu dieser Welle](bericht.html)" in text
    assert quality.SEVERAL_RULES_DE in html
    assert "Unbekannter Gemeindeschlüssel" in html
    # no value of a quarantined record, no pseudonym, no extra column's content
    for secret in ("05999999", ">gut<", "intern<", "Abende", *wave.data["respondent"]):
        assert secret not in html
    # every figure has German alt text and a caption
    assert html.count("<figure") == html.count('alt="') > 0
    assert html.count("<figcaption>Abbildung") == html.count("<figure")


@pytest.mark.parametrize(
    ("survey", "wave", "previous", "expected"),
    [
        ("neubuerger", "2023", ["2021"], ["Designeffekt", "effektive Fallzahl", "Raking"]),
        ("register", "2025", [], ["Stichtag des Auszugs", "Datensätze nach Kreis"]),
        ("checkliste", "2021", ["2019"], ["Datensätze je Welle", "Checklisten"]),
    ],
)
def test_report_runs_for_every_survey(
    tmp_path: Path,
    survey: str,
    wave: str,
    previous: list[str],
    expected: list[str],
    report_kernel,
) -> None:
    parameters = {
        "manifest": str(DEMO / survey / wave / "manifest.yaml"),
        "previous_manifests": [str(DEMO / survey / p / "manifest.yaml") for p in previous],
        "data_dir": None,
        "min_n": 5,
    }
    notebook = execute_notebook(NOTEBOOK, parameters, cwd=tmp_path, kernel=report_kernel)
    text = _outputs(notebook)
    assert "ERROR" not in text
    title = read_wave(DEMO / survey / wave).manifest.title
    assert f"# Datenqualität und Methoden: {title}" in text
    for phrase in expected:
        assert phrase in text, phrase
    # the link to the wave's own report only where the build writes one
    assert ("(bericht.html)" in text) == quality.wave_report_exists(survey)
    assert "### Literatur" in text and "Hundepool" in text
