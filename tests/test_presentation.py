"""The presentation layer: one German vocabulary applied at display, captions numbered by
the report, and the sections several reports share (present.vocabulary, present.report)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from welcome_eval import read_wave
from welcome_eval.analysis import regional
from welcome_eval.analysis.programme import participation_record
from welcome_eval.config import demo_data_dir
from welcome_eval.present import german_format as de
from welcome_eval.present import vocabulary
from welcome_eval.publish.disclosure import SuppressedTable
from welcome_eval.publish.privacy import protect
from welcome_eval.sections import report


@pytest.fixture
def shown(monkeypatch) -> list[tuple[str, object, dict]]:
    """What the report showed, in order: ("table" | "figure" | "text", data, keywords)."""
    calls: list[tuple[str, object, dict]] = []
    monkeypatch.setattr(report, "show_table", lambda t, **kw: calls.append(("table", t, kw)))
    monkeypatch.setattr(report, "show_text", lambda text: calls.append(("text", text, {})))

    def figure(fig, **kw):
        import matplotlib.pyplot as plt

        plt.close(fig.figure if hasattr(fig, "figure") else fig)
        calls.append(("figure", kw.get("data"), kw))

    monkeypatch.setattr(report, "show_figure", figure)
    return calls


# vocabulary ------------------------------------------------------------------------------


def test_one_german_header_per_column_everywhere():
    assert vocabulary.headers(["n", "ci_low", "ci_high"]) == {
        "n": "Antwortende",
        "ci_low": "KI unten",
        "ci_high": "KI oben",
    }
    # the German headers of the vocabulary are distinct where the columns differ in meaning
    assert vocabulary.HEADERS["n_valid"] != vocabulary.HEADERS["n"]


def test_overrides_apply_in_order_and_unknown_columns_keep_their_name():
    labels = vocabulary.headers(
        ["item_label", "share", "Anzahl"], vocabulary.KOMMUNEN, {"share": "Anteil"}
    )
    assert labels == {"item_label": "Baustein", "share": "Anteil", "Anzahl": "Anzahl"}


def test_interval_bounds_take_the_format_of_their_estimate():
    as_share = vocabulary.formats(["share", "ci_low", "ci_high"])
    as_alpha = vocabulary.formats(["alpha", "ci_low", "ci_high"])
    assert as_share["ci_low"](0.456) == de.percent(0.456)
    assert as_alpha["ci_high"](0.456) == "0,46"
    assert vocabulary.formats(["ci_low"], {"ci_low": vocabulary.points_one})["ci_low"](0.031) == (
        "+3,1"
    )
    assert "wave" not in vocabulary.formats(["wave", "n"])  # 2021, not "2.021"


# captions --------------------------------------------------------------------------------


def test_captions_are_numbered_per_kind_in_order():
    captions = report.Captions()
    assert [
        captions.table("A"),
        captions.figure("B"),
        captions.table("C"),
        captions.map("D"),
        captions.figure("E"),
    ] == ["Tabelle 1: A", "Abbildung 1: B", "Tabelle 2: C", "Karte 1: D", "Abbildung 2: E"]


def test_report_table_numbers_caption_and_applies_vocabulary_at_display(shown):
    bericht = report.Report(min_n=5, headers=vocabulary.KOMMUNEN)
    table = protect(
        pd.DataFrame({"item_label": ["A", "B"], "n": [10, 3], "share": [0.5, 0.7]}), min_n=5
    )
    bericht.table(table, "Erste")
    bericht.table(table, "Zweite", share="Anteil")
    (_, first, kw1), (_, _, kw2) = shown
    assert first is table  # the gated table itself goes to the gate, English names kept
    assert kw1["caption"] == "Tabelle 1: Erste" and kw2["caption"] == "Tabelle 2: Zweite"
    assert kw1["labels"] == {
        "item_label": "Baustein",
        "n": "Antwortende",
        "share": "zufrieden (Top-2)",
    }
    assert kw2["labels"]["share"] == "Anteil"
    assert kw1["formats"]["share"](0.5) == de.percent(0.5)


def test_a_section_left_out_leaves_no_gap_in_the_numbers(shown):
    bericht = report.Report(min_n=5)
    table = protect(pd.DataFrame({"item_label": ["A"], "n": [10], "mean": [3.2]}), min_n=5)
    bericht.table(table, "vorher")
    report.mean_change(bericht, object(), [], ["x"], none="keiner")  # first wave: no table
    bericht.table(table, "nachher")
    captions = [kw["caption"] for kind, _, kw in shown if kind == "table"]
    assert captions == ["Tabelle 1: vorher", "Tabelle 2: nachher"]
    assert any("erste Welle" in text for kind, text, _ in shown if kind == "text")


# sections --------------------------------------------------------------------------------


def test_locate_manifests_takes_the_newest_wave_when_run_interactively(tmp_path: Path):
    for wave in ("2019", "2021", "2018"):
        (tmp_path / "kommunen" / wave).mkdir(parents=True)
        (tmp_path / "kommunen" / wave / "manifest.yaml").write_text("{}")
    newest, earlier = report.locate_manifests("kommunen", None, [], tmp_path)
    assert newest == tmp_path / "kommunen" / "2021" / "manifest.yaml"
    assert [p.parent.name for p in earlier] == ["2018", "2019"]
    # given by the build: passed through unchanged
    assert report.locate_manifests("kommunen", "x.yaml", ["w.yaml"], tmp_path) == (
        "x.yaml",
        ["w.yaml"],
    )
    with pytest.raises(FileNotFoundError, match="neubuerger"):
        report.locate_manifests("neubuerger", None, [], tmp_path)


@pytest.fixture(scope="module")
def kommunen_2021():
    wave = read_wave(demo_data_dir() / "kommunen" / "2021" / "manifest.yaml")
    record = participation_record(wave.manifest.data_dir)
    data = regional.with_region(wave.data, record, municipality=wave.codebook.municipality)
    return wave, data


def test_results_by_district_gates_the_test_by_its_respondents(shown, kommunen_2021):
    wave, data = kommunen_2021
    items = wave.codebook.items_of(type="likert")
    bericht = report.Report(min_n=5, headers=vocabulary.KOMMUNEN)
    report.results_by_district(
        bericht,
        data,
        items,
        codebook=wave.codebook,
        hidden=["Kreis Olpe"],
        figure_caption="Karte der Kreise",
        figure_alt="Alt-Text",
        table_caption="Je Kreis",
        test_caption="Test",
        none="bei keinem Baustein",
    )
    kinds = [kind for kind, _, _ in shown]
    assert kinds == ["figure", "table", "table", "text"]
    figure, by_district, test = shown[0][2], shown[1], shown[2]
    assert figure["caption"] == "Abbildung 1: Karte der Kreise"
    assert by_district[2]["caption"] == "Tabelle 1: Je Kreis"
    assert test[2]["caption"] == "Tabelle 2: Test (ohne Kreis Olpe: nicht ausgewiesen)"
    gated = test[1]
    assert isinstance(gated, SuppressedTable)
    assert list(gated.count_columns) == ["n"]  # all respondents behind the test, not n_min
    assert test[2]["labels"]["result"] == "Unterschied zwischen den Kreisen"
    assert "Kreis Olpe" not in set(
        by_district[1].table.loc[~by_district[1].suppressed["share"], "district"]
    )
    assert shown[3][1].startswith("Statistisch bedeutsame Unterschiede zwischen den Kreisen: ")


def test_data_basis_puts_missing_codes_between_valid_and_no_answer(shown, kommunen_2021):
    wave, _ = kommunen_2021
    report.data_basis(report.Report(min_n=5), wave, codebook=wave.codebook)
    missing = next(t for kind, t, kw in shown if kind == "table" and "fehlende" in kw["caption"])
    columns = list(missing.table.columns)
    assert columns[:2] == ["item_label", "valid"] and columns[-2:] == ["ohne Angabe", "n"]
    assert len(columns) > 4
    assert shown[0][1].startswith("Aus der Datei ")


def test_open_answers_say_why_none_are_shown(shown):
    report.open_answers([], written=3, none="keine", none_shown="{n} genannt, keine gezeigt")
    report.open_answers([], none="keine")
    assert [text for _, text, _ in shown] == ["3 genannt, keine gezeigt", "keine"]


def test_odds_ratio_wording_follows_the_interval():
    words = {"higher": "höher", "lower": "niedriger", "unclear": "unklar"}
    assert report.odds_ratio_wording({"or_low": 0.5, "or_high": 0.9}, **words) == "niedriger"
    assert report.odds_ratio_wording({"or_low": 0.8, "or_high": 1.3}, **words) == "unklar"


def test_report_table_labels_only_the_columns_it_shows(shown):
    table = protect(pd.DataFrame({"label": ["A"], "n": [10], "share": [0.4]}), min_n=5)
    report.Report(min_n=5).table(table, "Auswahl", columns=["label", "share"], label="Merkmal")
    kw = shown[0][2]
    assert kw["columns"] == ["label", "share"]
    assert kw["labels"] == {"label": "Merkmal", "share": "Anteil"}


def test_demo_note_only_for_demo_data():
    class Demo:
        demo = True

    assert report.demo_note(Demo()) == " *Demodaten: synthetisch erzeugt.*"
    assert report.demo_note(False) == "" and report.demo_note(object()) == ""


def test_own_respondents_and_the_municipality_shown_interactively():
    from welcome_eval.sections import benchmark_report

    shares = pd.DataFrame({"ags": ["1", "1", "2"], "n": [4, 9, 30]})
    assert benchmark_report.own_respondents(shares, "1") == 9
    assert benchmark_report.own_respondents(shares, "3") == 0
    record = participation_record(demo_data_dir())
    chosen = benchmark_report.choose_municipality(None, record, "2023-01-01")
    assert (
        chosen in set(record["ags"])
        and benchmark_report.choose_municipality("05958004", record, "2023-01-01") == "05958004"
    )


@pytest.mark.parametrize(
    ("low", "high", "says"),
    [(0.5, 0.9, "bleiben länger"), (0.8, 1.2, "nicht gesichert"), (1.1, 1.5, "schneller weg")],
)
def test_cox_sentence_follows_the_interval(low, high, says):
    from types import SimpleNamespace

    from welcome_eval.sections import register_report

    fit = SimpleNamespace(
        coefficients=pd.DataFrame(
            {"term": ["participating"], "hazard_ratio": [0.9], "hr_low": [low], "hr_high": [high]}
        ),
        n_events=120,
    )
    assert says in register_report.cox_sentence(fit)
