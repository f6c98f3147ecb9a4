"""welcome_eval.stats against base-R reference values and on hand-made data.

The reference values come from ``tests/reference/likert_basics.R`` (run it with
``Rscript tests/reference/likert_basics.R`` from the repository root); R is not
needed to run these tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _reference import load_reference

from welcome_eval import stats
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.present import sentences

RTOL = 1e-10
# Limits that are exactly 0 or 1 in R may come out as 1e-17 in Python.
ATOL = 1e-14


@pytest.fixture(scope="module")
def reference() -> dict:
    return load_reference("likert_basics")


@pytest.fixture(scope="module")
def bfi(bfi_data: pd.DataFrame) -> pd.DataFrame:
    return bfi_data


def close(actual, expected) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=RTOL, atol=ATOL
    )


# ---------------------------------------------------------------------------
# agreement with R


@pytest.mark.parametrize("group, bottom", [("top_box", False), ("bottom_box", True)])
@pytest.mark.parametrize("method, prefix", [("wilson", "wilson"), ("clopper-pearson", "cp")])
def test_top_box_matches_r(reference, bfi, bfi_codebook, group, bottom, method, prefix):
    rows = reference[group]
    items = [row["name"] for row in rows]
    result = stats.top_box(bfi, items, codebook=bfi_codebook, bottom=bottom, method=method)
    assert result["item"].tolist() == items
    assert (result["method"] == method).all()
    assert result["n"].tolist() == [row["n"] for row in rows]
    assert result["count"].tolist() == [row["count"] for row in rows]
    close(result["share"], [row["share"] for row in rows])
    close(result["ci_low"], [row[f"{prefix}_low"] for row in rows])
    close(result["ci_high"], [row[f"{prefix}_high"] for row in rows])


@pytest.mark.parametrize("method, prefix", [("wilson", "wilson"), ("clopper-pearson", "cp")])
def test_top_box_conf_level_matches_r(reference, bfi, bfi_codebook, method, prefix):
    for row in reference["top_box_90"]:
        result = stats.top_box(
            bfi, [row["name"]], codebook=bfi_codebook, method=method, conf_level=row["conf_level"]
        ).iloc[0]
        close([result.ci_low, result.ci_high], [row[f"{prefix}_low"], row[f"{prefix}_high"]])


@pytest.mark.parametrize("method, prefix", [("wilson", "wilson"), ("clopper-pearson", "cp")])
def test_top_box_edge_cases_match_r(reference, bfi_codebook, method, prefix):
    names = set()
    for row in reference["top_box_edge"]:
        names.add(row["name"])
        data = pd.DataFrame({"A1": np.asarray(row["values"], dtype=float)})
        result = stats.top_box(data, ["A1"], codebook=bfi_codebook, method=method).iloc[0]
        assert (result["count"], result["n"]) == (row["count"], row["n"])
        close([result.ci_low, result.ci_high], [row[f"{prefix}_low"], row[f"{prefix}_high"]])
        assert 0 <= result.ci_low <= result.share <= result.ci_high <= 1
    assert names == {"none", "all", "single"}


def test_mean_ci_matches_r(reference, bfi):
    for row in reference["mean_ci"]:
        result = stats.mean_ci(bfi, [row["item"]], conf_level=row["conf_level"]).iloc[0]
        assert result["n"] == row["n"]
        close(
            [result["mean"], result.sd, result.se, result.ci_low, result.ci_high],
            [row["mean"], row["sd"], row["se"], row["ci_low"], row["ci_high"]],
        )


def test_wave_change_matches_r_welch(reference, bfi):
    rows = reference["welch"]
    items = [row["item"] for row in rows]
    # R: t.test(x[gender == 2], x[gender == 1]) -> current = gender 2, previous = gender 1
    result = stats.wave_change(bfi[bfi.gender == 2], bfi[bfi.gender == 1], items)
    assert list(result.columns) == [
        "item",
        "n_previous",
        "n_current",
        "mean_previous",
        "mean_current",
        "difference",
        "ci_low",
        "ci_high",
        "p_value",
    ]
    assert result["item"].tolist() == items
    assert result["n_current"].tolist() == [row["n_current"] for row in rows]
    assert result["n_previous"].tolist() == [row["n_previous"] for row in rows]
    for column in ("mean_current", "mean_previous", "difference", "ci_low", "ci_high", "p_value"):
        close(result[column], [row[column] for row in rows])


def test_nps_matches_r(reference, bfi):
    # Same derivation as in likert_basics.R: pmin(10, (A2 - 1) * 2 + (C1 > 3)), NA-propagating.
    c1_high = (bfi.C1 > 3).astype(float).where(bfi.C1.notna())
    values = np.minimum(10, (bfi.A2 - 1) * 2 + c1_high)
    for row in reference["nps"]:
        counts = values.value_counts()
        assert {str(int(code)): int(n) for code, n in counts.items()} == row["counts"]
        result = stats.nps(values, conf_level=row["conf_level"])
        assert len(result) == 1
        result = result.iloc[0]
        assert result["n"] == row["n"]
        keys = ["promoters", "passives", "detractors", "nps", "se", "ci_low", "ci_high"]
        close([result[key] for key in keys], [row[key] for key in keys])


@pytest.mark.parametrize("weighted", [False, True])
def test_likert_distribution_matches_r(reference, bfi, bfi_codebook, weighted):
    expected = pd.DataFrame(reference["distribution"])
    items = list(dict.fromkeys(expected["item"]))
    data = bfi.assign(w=np.where(bfi.gender == 1, 1.25, 0.8))
    result = stats.likert_distribution(
        data, items, codebook=bfi_codebook, weights="w" if weighted else None
    )
    assert result["item"].tolist() == expected["item"].tolist()
    assert result["code"].tolist() == expected["code"].tolist()
    suffix = "_weighted" if weighted else ""
    for column in ("n", "share", "n_valid"):
        close(result[column], expected[column + suffix])
    if not weighted:
        assert result["n"].dtype == np.int64


# ---------------------------------------------------------------------------
# behaviour on hand-made data


@pytest.fixture
def kommunen() -> Codebook:
    return Codebook.for_survey("kommunen")


def test_likert_distribution_tiny_frame(kommunen):
    data = pd.DataFrame(
        {
            "zuf_gesamt": [5.0, 4.0, 4.0, np.nan, 5.0, 1.0],
            "zuf_beratung": [3.0, 3.0, np.nan, np.nan, np.nan, np.nan],
        }
    )
    result = stats.likert_distribution(data, ["zuf_gesamt", "zuf_beratung"], codebook=kommunen)
    assert list(result.columns) == [
        "item",
        "item_label",
        "code",
        "label",
        "n",
        "share",
        "n_valid",
    ]
    assert len(result) == 10  # 2 items x 5 codes, zero counts included
    assert result["code"].tolist() == [1, 2, 3, 4, 5] * 2
    assert result["label"].tolist()[:5] == [
        "sehr unzufrieden",
        "eher unzufrieden",
        "teils, teils",
        "eher zufrieden",
        "sehr zufrieden",
    ]
    assert result["item_label"].tolist()[0] == "Gesamtzufriedenheit"
    gesamt = result[result["item"] == "zuf_gesamt"]
    assert gesamt["n"].tolist() == [1, 0, 0, 2, 2]
    assert (gesamt["n_valid"] == 5).all()
    beratung = result[result["item"] == "zuf_beratung"]
    assert beratung["n"].tolist() == [0, 0, 2, 0, 0]
    for _, shares in result.groupby("item")["share"]:
        assert shares.sum() == pytest.approx(1.0)
    assert (result["share"] >= 0).all()


def test_likert_distribution_without_answers_gives_nan_shares(kommunen):
    data = pd.DataFrame({"zuf_gesamt": [np.nan, np.nan]})
    result = stats.likert_distribution(data, ["zuf_gesamt"], codebook=kommunen)
    assert (result["n"] == 0).all()
    assert result["share"].isna().all()


def test_likert_distribution_weighted_by_position(kommunen):
    # duplicate index labels must not mix up weights and answers
    data = pd.DataFrame(
        {"zuf_gesamt": [5.0, np.nan, 4.0, 4.0], "w": [2.0, 100.0, 1.0, 0.5]}, index=[0, 0, 1, 1]
    )
    result = stats.likert_distribution(data, ["zuf_gesamt"], codebook=kommunen, weights="w")
    assert result["n"].tolist() == [0.0, 0.0, 0.0, 1.5, 2.0]
    assert (result["n_valid"] == 3.5).all()
    assert result["share"].sum() == pytest.approx(1.0)


def test_top_box_hand_computed(kommunen):
    data = pd.DataFrame({"zuf_gesamt": [5.0, 4.0, 4.0, 2.0, 1.0, np.nan]})
    top = stats.top_box(data, ["zuf_gesamt"], codebook=kommunen).iloc[0]
    assert (top["n"], top["count"], top["share"]) == (5, 3, 0.6)
    assert top["item_label"] == "Gesamtzufriedenheit"
    bottom = stats.top_box(data, ["zuf_gesamt"], codebook=kommunen, bottom=True, k=1).iloc[0]
    assert (bottom["count"], bottom["share"]) == (1, 0.2)


def test_nps_hand_computed():
    result = stats.nps(pd.Series([10, 9, 8, 7, 6, 0, np.nan, 10])).iloc[0]
    assert result["n"] == 7
    assert result["promoters"] == pytest.approx(3 / 7)
    assert result["passives"] == pytest.approx(2 / 7)
    assert result["detractors"] == pytest.approx(2 / 7)
    assert result["nps"] == pytest.approx(100 / 7)
    assert result["ci_low"] < result["nps"] < result["ci_high"]


def test_wave_change_too_few_answers_gives_nan():
    result = stats.wave_change(
        pd.DataFrame({"x": [3.0]}), pd.DataFrame({"x": [1.0, 2.0, np.nan]}), ["x"]
    ).iloc[0]
    assert result["difference"] == 1.5
    assert np.isnan(result["ci_low"]) and np.isnan(result["p_value"])


# ---------------------------------------------------------------------------
# input checks


def test_unknown_column_is_named(kommunen):
    data = pd.DataFrame({"zuf_gesamt": [5.0]})
    with pytest.raises(KeyError, match="zuf_checklisten"):
        stats.likert_distribution(data, ["zuf_gesamt", "zuf_checklisten"], codebook=kommunen)
    with pytest.raises(KeyError, match="zuf_checklisten"):
        stats.top_box(data, ["zuf_checklisten"], codebook=kommunen)
    with pytest.raises(KeyError, match="nicht_da"):
        stats.mean_ci(data, ["nicht_da"])
    with pytest.raises(KeyError, match="nicht_da"):
        stats.wave_change(data, data.assign(nicht_da=1.0), ["nicht_da"])
    with pytest.raises(KeyError, match="gewicht"):
        stats.likert_distribution(data, ["zuf_gesamt"], codebook=kommunen, weights="gewicht")


def test_item_missing_from_codebook_is_named(kommunen):
    data = pd.DataFrame({"frage_x": [1.0]})
    with pytest.raises(KeyError, match="frage_x"):
        stats.likert_distribution(data, ["frage_x"], codebook=kommunen)


def test_unconverted_missing_codes_are_rejected(kommunen):
    data = pd.DataFrame({"zuf_gesamt": [5.0, -9.0, -99.0]})
    with pytest.raises(ValueError, match=r"zuf_gesamt.*-99, -9"):
        stats.likert_distribution(data, ["zuf_gesamt"], codebook=kommunen)
    with pytest.raises(ValueError, match="zuf_gesamt"):
        stats.top_box(data, ["zuf_gesamt"], codebook=kommunen)


def test_non_numeric_column_is_rejected():
    data = pd.DataFrame({"x": ["sehr gut", "gut"]})
    with pytest.raises(ValueError, match="'x'"):
        stats.mean_ci(data, ["x"])


@pytest.mark.parametrize("bad", [11, -1, -99, 7.5])
def test_nps_out_of_range(bad):
    values = pd.Series([10.0, 8.0, bad], name="weiterempfehlung")
    with pytest.raises(ValueError, match=r"weiterempfehlung.*0 to 10"):
        stats.nps(values)


def test_bad_options(kommunen):
    data = pd.DataFrame({"zuf_gesamt": [5.0, 4.0]})
    with pytest.raises(ValueError, match="method"):
        stats.top_box(data, ["zuf_gesamt"], codebook=kommunen, method="wald")
    with pytest.raises(ValueError, match="k=6"):
        stats.top_box(data, ["zuf_gesamt"], codebook=kommunen, k=6)
    with pytest.raises(ValueError, match="conf_level"):
        stats.mean_ci(data, ["zuf_gesamt"], conf_level=95)
    with pytest.raises(ValueError, match="items is empty"):
        stats.mean_ci(data, [])
    with pytest.raises(ValueError, match="weights"):
        stats.likert_distribution(
            data.assign(w=[1.0, -1.0]), ["zuf_gesamt"], codebook=kommunen, weights="w"
        )


# ---------------------------------------------------------------------------
# describe_change


def _row(difference, low, high, p_value):
    return pd.Series({"difference": difference, "ci_low": low, "ci_high": high, "p_value": p_value})


def test_describe_change_increase():
    text = sentences.describe_change(
        _row(0.31, 0.12, 0.5, 0.012), item_label="Runder Tisch und Erfahrungsaustausch"
    )
    assert text == (
        "Die Zufriedenheit mit „Runder Tisch und Erfahrungsaustausch“ ist gegenüber der "
        "Vorwelle um 0,3 Punkte gestiegen (95-%-KI: 0,1 bis 0,5); der Unterschied ist "
        "statistisch auffällig (p = 0,01)."
    )


def test_describe_change_decrease_and_no_change():
    down = sentences.describe_change(_row(-0.42, -0.8, -0.12, 0.0004), item_label="Vernetzung")
    assert "um 0,4 Punkte gesunken (95-%-KI: −0,8 bis −0,1)" in down
    assert down.endswith("statistisch auffällig (p < 0,001).")
    flat = sentences.describe_change(_row(0.02, -0.2, 0.24, 0.81), item_label="Vernetzung")
    assert "hat sich gegenüber der Vorwelle kaum verändert" in flat
    assert flat.endswith("; der Unterschied ist statistisch nicht auffällig.")


def test_describe_change_p_value_not_rounded_across_alpha():
    text = sentences.describe_change(_row(0.3, 0.0, 0.6, 0.0496), item_label="X")
    assert text.endswith("statistisch auffällig (p = 0,0496).")
    text = sentences.describe_change(_row(0.3, 0.0, 0.6, 0.0032), item_label="X")
    assert text.endswith("statistisch auffällig (p = 0,003).")


def test_describe_change_takes_label_from_wave_change_row():
    row = stats.wave_change(
        pd.DataFrame({"x": [4.0, 5.0, 4.0, 5.0]}), pd.DataFrame({"x": [3.0, 4.0, 3.0, 4.0]}), ["x"]
    ).iloc[0]
    assert "„x“" in sentences.describe_change(row)
    assert "„Gesamt“" in sentences.describe_change(row, item_label="Gesamt")


def test_trend_table_stacks_mean_ci_per_wave():
    from welcome_eval.stats import trend_table

    a = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [2.0, 2.0, np.nan]})
    b = pd.DataFrame({"x": [4.0, 5.0], "y": [1.0, 3.0]})
    table = trend_table({"2018": a, "2019": b}, ["x", "y"])
    assert table["wave"].tolist() == ["2018", "2018", "2019", "2019"]
    expected = pd.concat(
        [stats.mean_ci(a, ["x", "y"]), stats.mean_ci(b, ["x", "y"])], ignore_index=True
    )
    pd.testing.assert_frame_equal(table.drop(columns="wave"), expected)
    with pytest.raises(ValueError, match="at least one wave"):
        trend_table({}, ["x"])


def test_weighted_nps_equals_nps_of_replicated_answers():
    values = pd.Series([10.0, 9.0, 8.0, 3.0, 6.0, np.nan])
    weighted = stats.nps(values, weights=pd.Series([2.0, 1.0, 1.0, 3.0, 1.0, 5.0]))
    replicated = stats.nps(pd.Series([10.0, 10.0, 9.0, 8.0, 3.0, 3.0, 3.0, 6.0]))
    for column in ("promoters", "passives", "detractors", "nps"):
        assert weighted[column].item() == pytest.approx(replicated[column].item(), rel=1e-12)
    # Kish: n_eff = 8² / 16 = 4 for the five valid answers.
    p_p, p_d = weighted["promoters"].item(), weighted["detractors"].item()
    expected_se = 100 * np.sqrt((p_p + p_d - (p_p - p_d) ** 2) / 4)
    assert weighted["se"].item() == pytest.approx(expected_se, rel=1e-12)
    with pytest.raises(ValueError, match="positive"):
        stats.nps(values, weights=pd.Series([1.0, -1.0, 1.0, 1.0, 1.0, 1.0]))
