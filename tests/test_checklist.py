"""The self-assessment checklist: codebook, demo waves, scoring rule, position, progress."""

from __future__ import annotations

import math
import re

import numpy as np
import pandas as pd
import pytest

from welcome_eval import read_wave
from welcome_eval.analysis import checklist
from welcome_eval.analysis.checklist import (
    OVERALL,
    ChecklistError,
    checklist_waves,
    district_overview,
    maturity_level,
    most_missing,
    position,
    progress,
    progress_summary,
    score_history,
    scores,
    scoring_rule,
    weakest_dimensions,
)
from welcome_eval.config import demo_data_dir
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.synth import participation
from welcome_eval.synth.checklist import PLANTED_PERSONAL_DATA, WAVES, checklist_wave

CB = Codebook.for_survey("checkliste")
RULE = scoring_rule(CB)
DIMENSIONS = list(RULE.dimensions)


def one_municipality(answers: dict[str, float], ags: str = "05958012") -> pd.DataFrame:
    """A checklist row: every item "vorhanden" (4) unless given."""
    row = {"ags": ags, **{item: 4.0 for item in RULE.all_items}}
    row.update(answers)
    return pd.DataFrame([row])


@pytest.fixture(scope="module")
def demo_waves():
    return checklist_waves(demo_data_dir())


@pytest.fixture(scope="module")
def history(demo_waves):
    return score_history(demo_waves)


# --- the instrument -------------------------------------------------------------------


def test_codebook_has_the_six_dimensions_of_the_issue_and_four_answers():
    assert list(RULE.dimensions.values()) == [
        "Information für Neubürger (online und gedruckt)",
        "Erstkontakt und Begrüßung",
        "Ansprechperson und Service",
        "Veranstaltungen und Kennenlernen",
        "Zusammenarbeit mit Arbeitgebern",
        "Vernetzung in der Region",
    ]
    for item in RULE.all_items:
        assert CB[item].values == {
            1: "nicht vorhanden",
            2: "geplant",
            3: "teilweise vorhanden",
            4: "vorhanden",
        }
        assert CB[f"{item}_notiz"].type == "text"  # the optional note of every item
    assert all(len(RULE.items[d]) >= 4 for d in DIMENSIONS)


def test_documented_scoring_rule_is_what_the_codebook_says():
    # The rule as documented in surveys/checkliste/codebook.yaml and the module docstring.
    assert RULE.points == {1: 0.0, 2: 0.0, 3: 0.5, 4: 1.0}
    assert RULE.min_answered_share == 0.5
    assert [(lv, lo) for lv, lo, _ in RULE.maturity] == [(1, 0), (2, 25), (3, 50), (4, 75)]


# --- scoring rule -------------------------------------------------------------------


def test_dimension_score_is_mean_points_of_answered_items_times_100():
    info = RULE.items["information"]  # five items
    # vorhanden, teilweise, geplant, nicht vorhanden, "weiß nicht" (NaN after read_wave)
    data = one_municipality(dict(zip(info, [4.0, 3.0, 2.0, 1.0, np.nan], strict=True)))
    table = scores(data, CB, assessed=None).set_index("dimension")
    row = table.loc["information"]
    assert row["n_items"] == 5 and row["n_answered"] == 4
    assert (row["n_in_place"], row["n_partly"], row["n_planned"]) == (1, 1, 1)
    assert row["score"] == pytest.approx(100 * (1 + 0.5 + 0 + 0) / 4)  # 37.5
    assert row["level_label"] == "Aufbau"
    assert table.loc["service", "score"] == 100.0


def test_overall_is_unweighted_mean_of_dimensions_whatever_their_size():
    employers = RULE.items["arbeitgeber"]  # four items, the others five
    assert len(employers) == 4
    data = one_municipality({employers[0]: 1.0})  # 3 of 4 in place -> 75
    table = scores(data, CB, assessed=None).set_index("dimension")
    assert table.loc["arbeitgeber", "score"] == 75.0
    # Item-weighted it would be 27/28 * 100 = 96.43; dimension-weighted it is:
    assert table.loc[OVERALL, "score"] == pytest.approx((5 * 100 + 75) / 6)
    assert table.loc[OVERALL, "n_items"] == len(RULE.all_items)


def test_too_few_answers_give_no_dimension_score_and_no_overall():
    info = RULE.items["information"]
    data = one_municipality({i: np.nan for i in info[:3]})  # 2 of 5 answered < 50 %
    table = scores(data, CB, assessed=None).set_index("dimension")
    assert math.isnan(table.loc["information", "score"])
    assert pd.isna(table.loc["information", "level"])
    assert math.isnan(table.loc[OVERALL, "score"])
    enough = one_municipality({i: np.nan for i in info[:2]})  # 3 of 5 answered
    assert (
        scores(enough, CB, assessed=None).set_index("dimension").loc["information", "score"] == 100
    )


@pytest.mark.parametrize(
    ("score", "expected"),
    [
        (0.0, "Einstieg"),
        (24.999, "Einstieg"),
        (25.0, "Aufbau"),
        (50.0, "Fortgeschritten"),
        (74.9, "Fortgeschritten"),
        (75.0, "Etabliert"),
        (100.0, "Etabliert"),
    ],
)
def test_maturity_level_boundaries(score, expected):
    assert maturity_level(score, RULE)[1] == expected


def test_maturity_level_rejects_impossible_scores():
    assert maturity_level(float("nan"), RULE) is None
    with pytest.raises(ValueError, match="between 0 and 100"):
        maturity_level(101.0, RULE)


def test_a_municipality_twice_in_one_wave_is_refused_with_its_file_rows():
    data = pd.concat([one_municipality({}), one_municipality({})], ignore_index=True)
    data["row"] = [2, 7]
    with pytest.raises(ChecklistError, match=r"05958012.*file rows \[2, 7\].*one checklist"):
        scores(data, CB, assessed=None)


def test_missing_item_columns_are_named():
    with pytest.raises(ChecklistError, match="lack the columns"):
        scores(pd.DataFrame({"ags": ["05958012"]}), CB, assessed=None)


# --- position among peers ---------------------------------------------------------------


def peers_table(values: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "ags": list(values),
            "dimension": OVERALL,
            "dimension_label": "Gesamtwert",
            "level_label": "",
            "score": list(values.values()),
        }
    )


def test_position_uses_quartiles_of_the_others_only():
    table = peers_table({"A": 90.0, "B": 10.0, "C": 20.0, "D": 30.0, "E": 50.0, "F": 60.0})
    row = position(table, "A").iloc[0]
    # R: quantile(c(10, 20, 30, 50, 60), c(.25, .5, .75)) (type 7) -> 20 30 50; A excluded
    assert row["n_peers"] == 5
    assert (row["peer_q1"], row["peer_median"], row["peer_q3"]) == (20.0, 30.0, 50.0)
    assert row["position"] == "im oberen Viertel"
    assert row["difference_to_median"] == 60.0
    assert position(table, "D").iloc[0]["peer_median"] == 50.0  # of 10, 20, 50, 60, 90
    assert position(table, "B").iloc[0]["position"] == "im unteren Viertel"


def test_position_with_an_explicit_peer_group_never_counts_itself():
    table = peers_table({"A": 40.0, "B": 10.0, "C": 20.0, "D": 30.0})
    row = position(table, "A", peers=["A", "B", "C"]).iloc[0]
    assert row["n_peers"] == 2
    assert row["peer_median"] == 15.0


def test_position_of_an_unknown_municipality_is_refused():
    with pytest.raises(ChecklistError, match="no self-assessment"):
        position(peers_table({"A": 1.0}), "Z")


def test_position_on_the_demo_wave_covers_all_dimensions(history):
    current = history[history["wave"] == "2023"]
    ags = current["ags"].iloc[0]
    table = position(current, ags)
    assert table["dimension"].tolist() == [*DIMENSIONS, OVERALL]
    n_assessed = current["ags"].nunique()
    assert (table["n_peers"] <= n_assessed - 1).all() and (table["n_peers"] > 30).all()


# --- progress ---------------------------------------------------------------------------


def test_progress_compares_with_the_last_earlier_self_assessment_even_across_a_gap():
    history = pd.DataFrame(
        {
            "ags": ["A", "A", "B", "B", "C"],
            "name": list("AABBC"),
            "district": "K",
            "dimension": OVERALL,
            "dimension_label": "Gesamtwert",
            "level_label": "",
            "wave": ["2019", "2023", "2019", "2021", "2023"],
            "assessed": pd.to_datetime(
                ["2019-04-02", "2023-03-20", "2019-05-02", "2021-03-05", "2023-04-01"]
            ),
            "score": [20.0, 45.0, 50.0, 40.0, 70.0],
        }
    )
    table = progress(history).set_index("ags")  # latest wave: 2023
    assert table.loc["A", "previous_wave"] == "2019"  # A skipped 2021
    assert table.loc["A", "change"] == 25.0
    assert math.isnan(table.loc["C", "change"])  # first self-assessment
    assert "B" not in table.index  # not assessed in 2023
    b = progress(history, wave="2021", ags="B").iloc[0]
    assert (b["previous_score"], b["change"]) == (50.0, -10.0)
    summary = progress_summary(progress(history))
    assert summary.iloc[0][["n", "mean_change", "improved"]].tolist() == [1, 25.0, 1.0]


def test_demo_generator_earlier_joiners_have_more_and_everybody_improves(history):
    joined = participation().set_index("ags")["joined"]
    overall = history[history["dimension"] == OVERALL].copy()
    overall["early"] = overall["ags"].map(joined) < pd.Timestamp("2018-06-30")
    means = overall.groupby(["wave", "early"])["score"].mean().unstack()
    assert (means[True] > means[False] + 5).all(), means  # earlier joiners have more in place
    by_wave = overall.groupby("wave")["score"].mean()
    assert by_wave.is_monotonic_increasing and by_wave.iloc[-1] - by_wave.iloc[0] > 10
    changes = progress(history)
    overall_change = changes.loc[changes["dimension"] == OVERALL, "change"].dropna()
    assert (overall_change > 0).mean() > 0.7


# --- demo waves through read_wave ---------------------------------------------------------


def test_demo_waves_are_read_like_every_other_survey(demo_waves):
    assert [w.wave for w in demo_waves] == list(WAVES)
    joined = participation()
    for wave in demo_waves:
        counts = wave.counts
        assert (
            counts["read"]
            == counts["accepted"] + counts["accepted_with_flags"] + counts["quarantined"]
        )
        assert counts["quarantined"] == 0
        assert wave.data["ags"].is_unique
        start = pd.Timestamp(wave.manifest.fieldwork_start)
        taking_part = set(joined.loc[joined["joined"] <= start, "ags"])
        assert set(wave.data["ags"]) <= taking_part  # only participating municipalities
        assert len(wave.data) >= 0.8 * len(taking_part)
        notes = wave.data[[c for c in wave.data if c.endswith("_notiz")]].stack().dropna()
        assert 0.05 < len(notes) / (len(wave.data) * len(RULE.all_items)) < 0.25


def test_demo_waves_are_reproducible_from_the_seed():
    first, _ = checklist_wave("2021")
    second, _ = checklist_wave("2021")
    pd.testing.assert_frame_equal(first, second)
    texts = " ".join(first.filter(like="_notiz").stack().dropna())
    assert any(planted in texts for planted in PLANTED_PERSONAL_DATA)


def test_a_checklist_outside_its_fieldwork_is_flagged(tmp_path):
    from welcome_eval.ingest.writers import write_export
    from welcome_eval.synth.checklist import _WAVES

    frame, meta = checklist_wave("2019")
    frame.loc[0, "ausgefuellt_am"] = pd.Timestamp("2019-08-01").date()
    spec = _WAVES["2019"]
    manifest = write_export(
        frame,
        CB,
        tmp_path / "checkliste" / "2019",
        wave="2019",
        title=meta["title"],
        fieldwork=(spec.fieldwork_start, spec.fieldwork_end),
        fmt="csv",
    )
    issues = read_wave(manifest).issues
    hit = issues[issues["rule"] == "assessed_during_fieldwork"]
    assert hit["row"].tolist() == [2] and hit["column"].notna().all()


# --- regional tables ---------------------------------------------------------------------


def test_most_missing_counts_not_in_place_and_planned(demo_waves):
    data = demo_waves[-1].data
    table = most_missing(data, CB)
    assert table["share_missing"].is_monotonic_decreasing
    item = table.iloc[0]["item"]
    answers = data[item]
    assert table.iloc[0]["n"] == answers.notna().sum()
    assert table.iloc[0]["n_missing"] == answers.isin([1, 2]).sum()
    assert table.iloc[0]["n_planned"] == (answers == 2).sum()
    assert len(most_missing(data, CB, top=5)) == 5


def test_district_overview_counts_municipalities_per_cell(history):
    current = history[history["wave"] == "2023"]
    table = district_overview(current)
    overall = table[table["dimension"] == OVERALL].set_index("district")
    counts = current[current["dimension"] == OVERALL].dropna(subset=["score"])
    assert overall["n"].sum() == len(counts)
    olpe = counts[counts["district"] == "Kreis Olpe"]
    assert overall.loc["Kreis Olpe", "n"] == len(olpe)
    assert overall.loc["Kreis Olpe", "mean_score"] == pytest.approx(olpe["score"].mean())


def test_weakest_dimensions_lowest_first_ties_in_codebook_order():
    data = one_municipality({i: 1.0 for i in RULE.items["arbeitgeber"] + RULE.items["service"]})
    table = scores(data, CB, assessed=None)
    weakest = weakest_dimensions(table, "05958012", k=3)
    assert weakest["dimension"].tolist() == ["service", "arbeitgeber", "information"]
    with pytest.raises(ValueError, match="k must be"):
        weakest_dimensions(table, "05958012", k=0)


def test_regional_report_notebook_hides_small_districts_and_contact_data(tmp_path, report_kernel):
    from welcome_eval.build.reports import execute_notebook
    from welcome_eval.config import notebooks_dir
    from welcome_eval.ingest.wave import find_manifests

    *earlier, latest = find_manifests(demo_data_dir(), "checkliste")
    notebook = execute_notebook(
        notebooks_dir() / "checkliste_welle.ipynb",
        {
            "manifest": str(latest),
            "previous_manifests": [str(p) for p in earlier],
            "data_dir": str(demo_data_dir()),
            "min_n": 5,
        },
        cwd=tmp_path,
        kernel=report_kernel,
    )
    from conftest import notebook_text

    text = notebook_text(notebook)
    assert "# Checkliste Willkommenskultur 2023" in text
    for section in ("haben die Checkliste ausgefüllt", "Am häufigsten fehlende", "Tabelle 6"):
        assert section in text
    # Kreis Olpe: only three municipalities filled in the checklist -> its row is hidden.
    olpe = re.search(r"<tr[^>]*><td>Kreis Olpe</td>(.*?)</tr>", text.split("Tabelle 3")[1])
    assert olpe and set(re.findall(r"<td[^>]*>([^<]*)</td>", olpe.group(1))) == {"."}
    assert "beispiele/index.html#" in text  # links into the catalogue
    for planted in PLANTED_PERSONAL_DATA:
        assert planted not in text


def test_for_municipality_gives_what_the_benchmark_report_needs(history):
    from welcome_eval.analysis.catalogue import matching_examples, read_catalogue

    filled = history.groupby("ags")["wave"].nunique()
    ags = filled[filled == 3].index[0]  # filled in all three waves
    result = checklist.for_municipality(history, ags, on="2022-01-01")
    assert result.wave == "2021"
    assert result.position["dimension"].tolist() == [*DIMENSIONS, OVERALL]
    assert result.progress["previous_wave"].eq("2019").all()
    own = history[(history["ags"] == ags) & (history["wave"] == "2021")].set_index("dimension")
    assert result.progress.set_index("dimension")["score"].equals(own["score"])
    weakest = result.weakest["dimension"].tolist()
    assert len(weakest) == 2 and OVERALL not in weakest
    examples = matching_examples(read_catalogue(), weakest, exclude_ags=ags, limit=2)
    assert set(examples["category"]) <= set(weakest) and ags not in set(examples["ags"])
    assert checklist.for_municipality(history, ags, on="2019-01-01").wave is None


@pytest.mark.parametrize("case", ["five", "four", "seven", "two"])
def test_peer_quartiles_agree_with_r(case, reference):
    expected = reference("checklist_quartiles")[case]
    values = expected["values"]
    table = peers_table({"own": 50.0, **{f"p{k}": v for k, v in enumerate(values)}})
    row = position(table, "own").iloc[0]
    assert row["n_peers"] == len(values)
    assert [row["peer_q1"], row["peer_median"], row["peer_q3"]] == pytest.approx(expected["q"])
