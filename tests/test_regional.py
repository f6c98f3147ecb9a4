"""welcome_eval.analysis.regional: the building blocks of the regional report per wave."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from welcome_eval import stats
from welcome_eval.analysis import regional
from welcome_eval.analysis.programme import participation_record
from welcome_eval.config import demo_data_dir
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.ingest.wave import read_wave
from welcome_eval.publish.privacy import protect, redact_answers


@pytest.fixture(scope="module")
def kommunen() -> Codebook:
    return Codebook.for_survey("kommunen")


@pytest.fixture(scope="module")
def wave_2021():
    return read_wave(demo_data_dir() / "kommunen" / "2021" / "manifest.yaml")


@pytest.fixture(scope="module")
def data_2021(wave_2021) -> pd.DataFrame:
    return regional.with_region(wave_2021.data, participation_record(demo_data_dir()))


# ---------------------------------------------------------------------------
# vocabulary


@pytest.mark.parametrize(
    ("effect", "p", "expected"),
    [
        (0.45, 0.003, "deutlich höher (Effektstärke r = 0,45; statistisch bedeutsam)"),
        (-0.62, 0.0001, "erheblich niedriger (Effektstärke r = −0,62; statistisch bedeutsam)"),
        (0.15, 0.04, "etwas höher (Effektstärke r = 0,15; statistisch bedeutsam)"),
        (0.05, 0.01, "geringfügig höher (Effektstärke r = 0,05; statistisch bedeutsam)"),
        (
            0.45,
            0.05,
            "kein belastbarer Unterschied (Effektstärke r = 0,45; statistisch nicht bedeutsam)",
        ),
        (0.2, float("nan"), "nicht prüfbar (zu wenige Antworten)"),
    ],
)
def test_describe_difference_vocabulary(effect, p, expected):
    assert regional.describe_difference(effect, p) == expected


def test_describe_difference_never_rounds_across_a_threshold():
    # 0.2996 would print as 0,30 ("deutlich") although it is below the medium threshold.
    text = regional.describe_difference(0.2996, 0.001)
    assert text.startswith("etwas höher") and "0,2996" in text


def test_describe_difference_for_several_groups_and_other_scales():
    text = regional.describe_difference(
        0.15, 0.001, symbol="ε²", thresholds=stats.ETA_SQ_THRESHOLDS, directed=False
    )
    assert text == "erhebliche Unterschiede (Effektstärke ε² = 0,15; statistisch bedeutsam)"
    h = regional.describe_difference(-0.3, 0.01, symbol="h", thresholds=regional.COHEN_H_THRESHOLDS)
    assert h.startswith("etwas niedriger (Effektstärke h = −0,30")
    with pytest.raises(ValueError, match="three increasing"):
        regional.describe_difference(0.1, 0.1, thresholds=(0.5, 0.3, 0.1))


def test_significant_results_lists_only_the_significant_rows():
    table = pd.DataFrame(
        {
            "item_label": ["A", "B", "C"],
            "result": [
                regional.describe_difference(0.4, 0.01),
                regional.describe_difference(0.4, 0.2),
                regional.describe_difference(-0.2, 0.01),
            ],
        }
    )
    text = regional.significant_results(table, label="item_label")
    assert text.startswith("A: deutlich höher") and "; C: etwas niedriger" in text
    assert "B" not in text
    assert regional.significant_results(table.iloc[[1]], label="item_label", none="x") == "x"


def test_alpha_rating():
    assert [regional.alpha_rating(a) for a in (0.95, 0.8, 0.75, 0.61, 0.5, 0.1)] == [
        "exzellent",
        "gut",
        "akzeptabel",
        "fragwürdig",
        "schwach",
        "unzureichend",
    ]
    assert regional.alpha_rating(float("nan")) == "nicht bestimmbar"


# ---------------------------------------------------------------------------
# effect sizes and comparisons against R


def test_cohens_h_matches_r(reference):
    expected = reference("regional")["cohens_h"]
    h = regional.cohens_h(np.array(expected["p1"]), np.array(expected["p2"]))
    np.testing.assert_allclose(h, expected["h"], rtol=1e-12, atol=1e-15)
    with pytest.raises(ValueError, match="between 0 and 1"):
        regional.cohens_h(1.2, 0.5)


def test_compare_two_groups_matches_r_with_holm(kommunen, reference):
    expected = reference("regional")["two_groups"]
    items = ["zuf_gesamt", "zuf_beratung"]
    rows = []
    for group in ("early", "late"):
        for position in range(len(expected[group]["a"])):
            rows.append(
                {
                    "phase": group,
                    "zuf_gesamt": float(expected[group]["a"][position]),
                    "zuf_beratung": float(expected[group]["b"][position]),
                }
            )
    data = pd.DataFrame(rows)
    table = regional.compare_two_groups(
        data, items, group="phase", first="early", second="late", codebook=kommunen
    )
    np.testing.assert_allclose(table["p_value"], expected["p_value"], rtol=1e-10)
    np.testing.assert_allclose(table["p_adj"], expected["p_holm"], rtol=1e-10)
    np.testing.assert_allclose(table["rank_biserial"], expected["rank_biserial"], rtol=1e-10)
    assert table["result"].iloc[0].startswith("erheblich höher (Effektstärke r = 0,88")
    assert table["result"].iloc[1].startswith("kein belastbarer Unterschied")
    assert table["n_first"].tolist() == [8, 8] and table["n_second"].tolist() == [7, 7]


def test_compare_two_groups_does_not_test_small_groups(kommunen):
    data = pd.DataFrame({"g": ["a"] * 6 + ["b"] * 3, "zuf_gesamt": [5.0] * 6 + [1.0] * 3})
    table = regional.compare_two_groups(
        data, ["zuf_gesamt"], group="g", first="a", second="b", codebook=kommunen, min_n=5
    )
    assert np.isnan(table["p_adj"].iloc[0])
    assert table["result"].iloc[0] == "nicht prüfbar (zu wenige Antworten)"


def test_compare_districts_leaves_out_small_and_hidden_districts(data_2021, kommunen):
    items = kommunen.items_of(construct="bausteine")
    hidden = regional.districts_to_hide(data_2021, min_n=5)
    table = regional.compare_districts(
        data_2021, items, codebook=kommunen, min_n=5, leave_out=hidden
    )
    kept = data_2021[~data_2021["district"].astype(str).isin(hidden)].copy()
    kept["district"] = kept["district"].astype(str)
    expected = stats.compare_groups(kept, items, group="district", correction="holm")
    np.testing.assert_allclose(table["p_kw"], expected["p_kw"], rtol=1e-12)
    np.testing.assert_allclose(table["p_adj"], expected["p_kw_adj"], rtol=1e-12)
    np.testing.assert_allclose(table["epsilon_sq"], expected["epsilon_sq"], rtol=1e-12)
    assert (table["k"] == 5 - len(hidden)).all()
    assert (table["n_min"] >= 5).all()


def test_compare_waves_combines_welch_and_mann_whitney(kommunen):
    previous = pd.DataFrame({"zuf_gesamt": [3.0, 4, 3, 2, 3, 4, 2, 3], "zuf_beratung": [4.0] * 8})
    current = pd.DataFrame({"zuf_gesamt": [4.0, 5, 4, 5, 4, 5, 5, 4], "zuf_beratung": [4.0, 5] * 4})
    table = regional.compare_waves(
        current, previous, ["zuf_gesamt", "zuf_beratung"], codebook=kommunen
    )
    change = stats.wave_change(current, previous, ["zuf_gesamt", "zuf_beratung"])
    ranks = stats.compare_independent(current, previous, ["zuf_gesamt", "zuf_beratung"])
    np.testing.assert_allclose(table["difference"], change["difference"])
    np.testing.assert_allclose(table["ci_low"], change["ci_low"])
    np.testing.assert_allclose(table["p_adj"], ranks["p_adj"])
    assert table["result"].iloc[0].startswith("erheblich höher")
    small = regional.compare_waves(
        current.iloc[:3], previous, ["zuf_gesamt"], codebook=kommunen, min_n=5
    )
    assert small["result"].iloc[0] == "nicht prüfbar (zu wenige Antworten)"


def test_compare_weighted_shares_adjusts_and_words():
    table = pd.DataFrame(
        {"previous": [0.45, 0.5, 0.3], "current": [0.65, 0.51, 0.2], "p_value": [0.001, 0.6, 0.03]}
    )
    out = regional.compare_weighted_shares(table)
    np.testing.assert_allclose(out["p_adj"], [0.003, 0.6, 0.06])
    np.testing.assert_allclose(out["h"], regional.cohens_h(table["current"], table["previous"]))
    assert out["result"].iloc[0].startswith("etwas höher (Effektstärke h = 0,40")
    assert out["result"].iloc[2].startswith("kein belastbarer Unterschied")


# ---------------------------------------------------------------------------
# results by district and their disclosure control


def test_results_by_district_against_a_direct_computation(data_2021, kommunen):
    items = ["zuf_gesamt", "zuf_beratung"]
    table = regional.results_by_district(data_2021, items, codebook=kommunen)
    for (item, district), row in table.set_index(["item", "district"]).iterrows():
        part = (
            data_2021
            if district == regional.REGION
            else data_2021[data_2021["district"] == district]
        )
        answers = part[item].dropna()
        assert row["n"] == len(answers)
        assert row["share"] == pytest.approx((answers >= 4).mean())
        assert row["mean"] == pytest.approx(answers.mean())
    assert table["district"].iloc[-1] == regional.REGION
    assert table["item"].unique().tolist() == items


def test_results_by_district_counts_respondents_not_weights(kommunen):
    data = pd.DataFrame(
        {
            "district": ["Kreis Olpe"] * 4 + ["Kreis Soest"] * 6,
            "zuf_gesamt": [5.0, 4, 2, 1, 5, 5, 4, 3, 2, 1],
            "w": [10.0, 10, 1, 1, 2, 2, 2, 2, 2, 2],
        }
    )
    table = regional.results_by_district(data, ["zuf_gesamt"], codebook=kommunen, weights="w")
    assert table["n"].tolist() == [4, 6, 10]
    assert table["share"].iloc[0] == pytest.approx(20 / 22)


def test_districts_to_hide():
    frame = pd.DataFrame({"district": ["A"] * 2 + ["B"] * 9 + ["C"] * 12 + ["D"] * 7})
    assert regional.districts_to_hide(frame, min_n=5) == ["A", "D"]
    two_small = pd.DataFrame({"district": ["A"] * 2 + ["B"] * 3 + ["C"] * 12})
    assert regional.districts_to_hide(two_small, min_n=5) == ["A", "B"]
    assert regional.districts_to_hide(frame, min_n=2) == []


def test_secondary_suppression_stops_recovery_from_the_region_total():
    table = pd.DataFrame(
        {
            "item": ["x"] * 4 + ["y"] * 4,
            "district": ["A", "B", "C", regional.REGION] * 2,
            "n": [3, 9, 12, 24, 6, 9, 12, 27],
            "mean": [2.0, 3.0, 4.0, 3.25, 2.0, 3.0, 4.0, 3.222],
        }
    )
    shown = protect(
        table,
        counts="n",
        totals=(regional.REGION,),
        force=regional.secondary_cells(table, min_n=5),
    ).table
    # Item x: A is too small, B is hidden with it; item y: nothing is hidden.
    assert shown["mean"].isna().tolist() == [True, True, False, False] + [False] * 4
    # Without the secondary cell the attacker would get A back exactly.
    visible = shown.iloc[:3].dropna()
    assert len(visible) == 1
    # Forced districts are hidden in every block and protected there too: in item x, A and
    # B hide each other; in item y, B alone would follow from the total, so A (next
    # smallest) goes too.
    forced = regional.secondary_cells(table, min_n=5, always=["B"])
    assert forced["mean"].tolist() == [False, True, False, False, True, True, False, False]


def test_trend_and_reliability_tables(data_2021, kommunen):
    previous = read_wave(demo_data_dir() / "kommunen" / "2019" / "manifest.yaml").data
    waves = {"2019": previous, "2021": data_2021}
    items = kommunen.items_of(construct="bausteine")
    trend = regional.trend_by_wave(waves, items, codebook=kommunen)
    means = stats.trend_table(waves, items)
    np.testing.assert_allclose(trend["mean"], means["mean"])
    np.testing.assert_allclose(trend["ci_low_mean"], means["ci_low"])
    wide, counts = regional.by_wave_wide(trend)
    assert len(wide) == len(items) and counts == {"Top-2 2019": "n 2019", "Top-2 2021": "n 2021"}
    reliability = regional.reliability_table(waves, codebook=kommunen)
    assert reliability["construct"].unique().tolist() == ["bausteine"]
    for _, row in reliability.iterrows():
        expected = stats.alpha_for_construct(waves[row["wave"]], "bausteine", codebook=kommunen)
        assert row["alpha"] == pytest.approx(expected.alpha)
        assert (row["ci_low"], row["ci_high"]) == pytest.approx((expected.ci_low, expected.ci_high))
        assert row["rating"] == regional.alpha_rating(expected.alpha)


# ---------------------------------------------------------------------------
# grouping and open answers


def test_joiner_groups_follow_the_launch_phase():
    record = participation_record(demo_data_dir())
    phases = regional.joiner_groups(record)
    # The programme's history: 30 municipalities in the launch phase, 15 never joined.
    assert (phases == regional.EARLY).sum() == 30
    assert (phases == regional.NOT_JOINED).sum() == record["joined"].isna().sum()
    with pytest.raises(ValueError, match="launch_months"):
        regional.joiner_groups(record, launch_months=0)


def test_with_region_names_unknown_municipalities():
    record = participation_record(demo_data_dir())
    with pytest.raises(ValueError, match="not keys of the 59"):
        regional.with_region(pd.DataFrame({"ags": ["05966008", "99999999"]}), record)


def test_answers_keep_group_sizes_over_all_respondents_and_a_fixed_order():
    data = pd.DataFrame(
        {
            "ags": ["A"] * 6 + ["B"] * 2,
            "text": ["gut", None, None, "Mail: a@b.de", None, "gut", "klein", None],
        }
    )
    answers = regional.answers_in_random_order(data, "text", groups="ags", unique=True)
    assert len(answers) == len(data)  # rows without an answer count for the group size
    shown = redact_answers(answers["answer"], groups=answers["group"], min_n=5)
    assert sorted(shown) == ["Mail: [entfernt]", "gut"]
    again = regional.answers_in_random_order(data, "text", groups="ags", unique=True)
    assert answers.equals(again)
