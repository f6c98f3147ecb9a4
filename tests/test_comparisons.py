"""Comparisons, weighted and median summaries of welcome_eval.stats against base R.

The reference values come from ``tests/reference/comparisons.R`` (run it with
``Rscript tests/reference/comparisons.R`` from the repository root; the shared
definitions are in its header and in ``tests/reference/SOURCES_comparisons.md``).
R is not needed to run these tests.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _reference import load_reference
from conftest import BFI_ITEMS

from welcome_eval import stats
from welcome_eval.present import sentences

RTOL = 1e-10
# Interval limits that are exactly 0 or 1 in R may come out as 1e-17 in Python.
ATOL = 1e-14

ITEMS = BFI_ITEMS


@pytest.fixture(scope="module")
def reference() -> dict:
    return load_reference("comparisons")


@pytest.fixture(scope="module")
def bfi(bfi_data: pd.DataFrame) -> pd.DataFrame:
    # the weight of comparisons.R
    education = np.where(bfi_data.education.isna(), 1.0, 0.6 + 0.2 * bfi_data.education)
    return bfi_data.assign(w=np.where(bfi_data.gender == 1, 1.25, 0.8) * education)


def close(actual, expected, *, atol: float = ATOL) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float),
        np.asarray(expected, dtype=float),
        rtol=RTOL,
        atol=atol,
        equal_nan=True,
    )


def column(rows: list[dict], key: str) -> list[float]:
    return [np.nan if row[key] is None else row[key] for row in rows]


def rows_of(data: pd.DataFrame, case: dict) -> pd.DataFrame:
    """Rows first_row..last_row (1-based, inclusive, as in R)."""
    return data.iloc[case["first_row"] - 1 : case["last_row"]]


# ---------------------------------------------------------------------------
# weighted top box and mean


@pytest.mark.parametrize("method, prefix", [("wilson", "wilson"), ("clopper-pearson", "cp")])
def test_weighted_top_box_matches_r(reference, bfi, bfi_codebook, method, prefix):
    for row in reference["top_box_weighted"]:
        result = stats.top_box(
            bfi,
            [row["item"]],
            codebook=bfi_codebook,
            method=method,
            conf_level=row["conf_level"],
            weights="w",
        ).iloc[0]
        keys = ["n", "count", "n_eff", "share"]
        close([result[key] for key in keys], [row[key] for key in keys])
        close([result.ci_low, result.ci_high], [row[f"{prefix}_low"], row[f"{prefix}_high"]])


def test_weighted_mean_matches_r(reference, bfi):
    for row in reference["mean_weighted"]:
        result = stats.mean_ci(bfi, [row["item"]], conf_level=row["conf_level"], weights="w")
        assert list(result.columns) == [
            "item",
            "n",
            "n_eff",
            "mean",
            "sd",
            "se",
            "ci_low",
            "ci_high",
        ]
        result = result.iloc[0]
        assert result["n"] == row["n"]
        keys = ["n_eff", "mean", "sd", "se", "ci_low", "ci_high"]
        close([result[key] for key in keys], [row[key] for key in keys])


@pytest.mark.parametrize("method", ["wilson", "clopper-pearson"])
def test_unit_weights_reproduce_unweighted_results(bfi, bfi_codebook, method):
    data = bfi.assign(one=1.0)
    items = ["A1", "A2", "C5"]
    plain = stats.top_box(data, items, codebook=bfi_codebook, method=method)
    weighted = stats.top_box(data, items, codebook=bfi_codebook, method=method, weights="one")
    for key in ("n", "count", "share", "ci_low", "ci_high"):
        close(weighted[key], plain[key])
    close(weighted["n_eff"], plain["n"])
    plain = stats.mean_ci(data, items)
    weighted = stats.mean_ci(data, items, weights="one")
    for key in ("n", "mean", "sd", "se", "ci_low", "ci_high"):
        close(weighted[key], plain[key])


def test_unweighted_tables_keep_their_columns(bfi, bfi_codebook):
    assert list(stats.top_box(bfi, ["A1"], codebook=bfi_codebook).columns) == [
        "item",
        "item_label",
        "n",
        "count",
        "share",
        "ci_low",
        "ci_high",
        "method",
    ]
    assert list(stats.mean_ci(bfi, ["A1"]).columns) == [
        "item",
        "n",
        "mean",
        "sd",
        "se",
        "ci_low",
        "ci_high",
    ]
    weighted = stats.top_box(bfi, ["A1"], codebook=bfi_codebook, weights="w")
    assert list(weighted.columns)[2:5] == ["n", "count", "n_eff"]


def test_weighted_top_box_edges(bfi_codebook):
    data = pd.DataFrame({"A1": [6.0, 5.0, 6.0, np.nan], "w": [1.0, 2.0, 0.5, 3.0]})
    for method in ("wilson", "clopper-pearson"):
        row = stats.top_box(data, ["A1"], codebook=bfi_codebook, method=method, weights="w")
        row = row.iloc[0]
        assert row["share"] == 1.0 and row["ci_high"] == 1.0 and 0 < row["ci_low"] < 1
        assert row["n"] == 3.5
        assert row["n_eff"] == pytest.approx(3.5**2 / 5.25)
    zero = stats.top_box(data.assign(w=0.0), ["A1"], codebook=bfi_codebook, weights="w").iloc[0]
    assert np.isnan(zero["share"]) and np.isnan(zero["ci_low"]) and np.isnan(zero["n_eff"])


# ---------------------------------------------------------------------------
# medians


def test_median_ci_matches_r(reference, bfi):
    for row in reference["median_ci"]:
        if "values" in row:
            data = pd.DataFrame({"v": np.asarray(row["values"], dtype=float)})
            item = "v"
        else:
            data, item = bfi, row["name"]
        result = stats.median_ci(data, [item], conf_level=row["conf_level"]).iloc[0]
        assert result["n"] == row["n"]
        close(
            [result["median"], result.ci_low, result.ci_high],
            column([row], "median") + column([row], "ci_low") + column([row], "ci_high"),
        )
        assert (row["k"] == 0) == np.isnan(result.ci_low)


def test_median_ci_order_statistic_is_qbinom(reference):
    # The interval of 1, 2, ..., n is [k, n - k + 1], so it shows R's qbinom() directly.
    for conf_level in (0.90, 0.95, 0.99):
        rows = [row for row in reference["qbinom_k"] if row["conf_level"] == conf_level]
        assert len(rows) == 124
        data = pd.DataFrame(
            {f"n{row['n']}": pd.Series(np.arange(1.0, row["n"] + 1)) for row in rows}
        )
        result = stats.median_ci(data, list(data.columns), conf_level=conf_level)
        expected_low = [row["k"] if row["k"] >= 1 else np.nan for row in rows]
        expected_high = [row["n"] - row["k"] + 1 if row["k"] >= 1 else np.nan for row in rows]
        np.testing.assert_array_equal(result["ci_low"], expected_low)
        np.testing.assert_array_equal(result["ci_high"], expected_high)


def test_weighted_median_matches_r(reference, bfi):
    for row in reference["median_weighted"]:
        if "values" in row:
            data = pd.DataFrame({"v": row["values"], "w": row["weights"]})
            item = "v"
        else:
            data, item = bfi, row["name"]
        result = stats.median_ci(data, [item], weights="w").iloc[0]
        assert result["n"] == row["n"]
        assert result["median"] == row["median"]
        assert np.isnan(result["ci_low"]) and np.isnan(result["ci_high"])


def test_median_ci_small_and_empty():
    data = pd.DataFrame({"x": [3.0, 1.0, 2.0, np.nan], "y": [np.nan] * 4, "w": [1.0, 1, 1, 1]})
    result = stats.median_ci(data, ["x", "y"])
    assert result["n"].tolist() == [3, 0]
    assert result["median"].iloc[0] == 2.0
    assert result[["ci_low", "ci_high"]].isna().all().all()  # n = 3 cannot reach 95 %
    assert np.isnan(result["median"].iloc[1])
    weighted = stats.median_ci(data, ["x", "y"], weights="w")
    assert weighted["median"].iloc[0] == 2.0 and np.isnan(weighted["median"].iloc[1])


def test_weighted_median_reaches_half_exactly():
    # F(2) = 0.5 exactly: the median is 2, not 3
    data = pd.DataFrame({"x": [1.0, 2.0, 3.0, 4.0], "w": [1.0, 1.0, 1.0, 1.0]})
    assert stats.median_ci(data, ["x"], weights="w")["median"].iloc[0] == 2.0


# ---------------------------------------------------------------------------
# groups


@pytest.mark.parametrize("correction, suffix", [("holm", "holm"), ("fdr_bh", "bh")])
def test_compare_groups_matches_r(reference, bfi, correction, suffix):
    for case in reference["groups"]:
        data = rows_of(bfi, case)
        result = stats.compare_groups(data, ITEMS, group=case["group"], correction=correction)
        rows = case["rows"]
        assert list(result.columns) == [
            "item",
            "n",
            "k",
            "H",
            "df",
            "p_kw",
            "epsilon_sq",
            "F",
            "df1",
            "df2",
            "p_anova",
            "eta_sq",
            "p_kw_adj",
            "p_anova_adj",
        ]
        assert result["item"].tolist() == [row["item"] for row in rows]
        for key in ("n", "k", "df", "df1", "df2"):
            assert result[key].tolist() == column(rows, key), key
        for key in ("H", "epsilon_sq", "F", "eta_sq"):
            close(result[key], column(rows, key))
        close(result["F"], column(rows, "F_aov"))
        for key in ("p_kw", "p_anova"):
            close(result[key], column(rows, key), atol=0)
            close(result[f"{key}_adj"], column(rows, f"{key}_{suffix}"), atol=0)
        close(result["p_anova"], column(rows, "p_aov"), atol=0)


def test_compare_groups_without_correction_and_with_labels(bfi, bfi_codebook):
    data = bfi.iloc[:300]
    result = stats.compare_groups(
        data, ["A1", "C1"], group="education", codebook=bfi_codebook, correction="none"
    )
    assert result.columns[:2].tolist() == ["item", "item_label"]
    assert result["item_label"].tolist() == ["Item A1", "Item C1"]
    pd.testing.assert_series_equal(result["p_kw_adj"], result["p_kw"], check_names=False)
    pd.testing.assert_series_equal(result["p_anova_adj"], result["p_anova"], check_names=False)


def test_compare_groups_hand_computed():
    data = pd.DataFrame({"g": ["a", "a", "b", "b", "c", "c"], "x": [1.0, 2, 3, 4, 5, 6]})
    row = stats.compare_groups(data, ["x"], group="g").iloc[0]
    # ranks = values; H = 12/(6*7) * (9/2 + 49/2 + 121/2) - 21 = 4.571428...
    assert row["H"] == pytest.approx(12 / 42 * (9 + 49 + 121) / 2 - 21)
    assert row["epsilon_sq"] == pytest.approx(row["H"] / 5)
    # SS_b = 2 * (2^2 + 0 + 2^2) = 16, SS_w = 3 * 0.5 = 1.5 -> F = 8 / 0.5 = 16
    assert row["F"] == pytest.approx(16.0)
    assert row["eta_sq"] == pytest.approx(16 / 17.5)
    assert (row["df1"], row["df2"]) == (2, 3)


def test_compare_groups_degenerate_items_give_nan():
    data = pd.DataFrame({"g": [1, 1, 2, 2], "same": [3.0] * 4, "split": [1.0, 1, 2, 2]})
    result = stats.compare_groups(data, ["same", "split"], group="g").set_index("item")
    assert result.loc["same", ["H", "p_kw", "F", "p_anova", "eta_sq"]].isna().all()
    assert np.isnan(result.loc["same", "p_kw_adj"])
    # no variance within the groups but between them: F = inf, p = 0, as R
    assert result.loc["split", "F"] == np.inf and result.loc["split", "p_anova"] == 0.0
    assert result.loc["split", "eta_sq"] == 1.0


def test_compare_groups_rejects_tiny_groups():
    data = pd.DataFrame({"g": ["a", "a", "a", "b", "c", "c"], "x": [1.0, 2, 3, 4, 5, np.nan]})
    with pytest.raises(ValueError, match=r"'b', 'c'.*only one answer to item 'x'"):
        stats.compare_groups(data, ["x"], group="g")
    with pytest.raises(ValueError, match=r"'x' has answers in 1 group"):
        stats.compare_groups(data[data.g == "a"], ["x"], group="g")
    # rows without group are left out
    fine = data.assign(g=["a", "a", "b", "b", None, None])
    assert stats.compare_groups(fine, ["x"], group="g")["n"].iloc[0] == 4


def test_compare_groups_input_checks(bfi, bfi_codebook):
    with pytest.raises(KeyError, match="kreis"):
        stats.compare_groups(bfi, ["A1"], group="kreis")
    with pytest.raises(KeyError, match="nicht_da"):
        stats.compare_groups(bfi, ["nicht_da"], group="education")
    with pytest.raises(ValueError, match="correction"):
        stats.compare_groups(bfi, ["A1"], group="education", correction="bonferroni")
    with pytest.raises(ValueError, match="both an item and the group"):
        stats.compare_groups(bfi, ["A1", "education"], group="education")
    with pytest.raises(ValueError, match=r"'A1'.*-9"):
        stats.compare_groups(
            bfi.assign(A1=bfi.A1.fillna(-9.0)), ["A1"], group="education", codebook=bfi_codebook
        )


# ---------------------------------------------------------------------------
# two independent samples


@pytest.mark.parametrize("correction, suffix", [("holm", "holm"), ("fdr_bh", "bh")])
def test_compare_independent_matches_r(reference, bfi, correction, suffix):
    for case in reference["independent"]:
        data = rows_of(bfi, case)
        result = stats.compare_independent(
            data[data.gender == 2], data[data.gender == 1], ITEMS, correction=correction
        )
        rows = case["rows"]
        assert list(result.columns) == [
            "item",
            "n_previous",
            "n_current",
            "W",
            "p_value",
            "rank_biserial",
            "p_adj",
        ]
        assert result["n_current"].tolist() == column(rows, "n_current")
        assert result["n_previous"].tolist() == column(rows, "n_previous")
        close(result["W"], column(rows, "W"))
        close(result["rank_biserial"], column(rows, "rank_biserial"))
        close(result["p_value"], column(rows, "p_value"), atol=0)
        close(result["p_adj"], column(rows, f"p_{suffix}"), atol=0)


def test_compare_independent_edges():
    cur = pd.DataFrame({"x": [3.0, 3.0], "y": [np.nan, np.nan]})
    prev = pd.DataFrame({"x": [3.0, 3.0, 3.0], "y": [1.0, 2.0, 3.0]})
    result = stats.compare_independent(cur, prev, ["x", "y"]).set_index("item")
    assert result.loc["x", "W"] == 3.0 and result.loc["x", "rank_biserial"] == 0.0
    assert np.isnan(result.loc["x", "p_value"])  # all answers equal
    assert result.loc["y", "n_current"] == 0
    assert result.loc["y", ["W", "p_value", "rank_biserial", "p_adj"]].isna().all()
    with pytest.raises(KeyError, match="current"):
        stats.compare_independent(pd.DataFrame({"z": [1.0]}), prev, ["x"])


# ---------------------------------------------------------------------------
# the same municipalities in two waves


def paired_frames(bfi: pd.DataFrame, case: dict) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    if case["name"] == "within_row":
        key = np.arange(1, len(bfi) + 1)
        before = pd.DataFrame({"kommune": key, "x": bfi.A2.to_numpy(), "y": bfi.C1.to_numpy()})
        after = pd.DataFrame({"kommune": key, "x": bfi.A3.to_numpy(), "y": bfi.C2.to_numpy()})
        return before, after, ["x", "y"]
    before = bfi.iloc[case["before_first"] - 1 : case["before_last"]].copy()
    after = bfi.iloc[case["after_first"] - 1 : case["after_last"]].copy()
    before["kommune"] = np.arange(len(before)) // 2 + 1
    after["kommune"] = np.arange(len(after)) % case["modulus"] + 1
    # shuffle the rows: matching must not depend on the order
    return before.sample(frac=1, random_state=1), after.iloc[::-1], ITEMS


@pytest.mark.parametrize("correction, suffix", [("holm", "holm"), ("fdr_bh", "bh")])
def test_compare_paired_matches_r(reference, bfi, correction, suffix):
    names = set()
    for case in reference["paired"]:
        names.add(case["name"])
        before, after, items = paired_frames(bfi, case)
        result = stats.compare_paired(before, after, items, on="kommune", correction=correction)
        rows = case["rows"]
        assert list(result.columns) == [
            "item",
            "n_pairs",
            "mean_difference",
            "ci_low",
            "ci_high",
            "p_t",
            "V",
            "p_wilcoxon",
            "rank_biserial",
            "p_adj",
        ]
        assert result["item"].tolist() == items
        assert result["n_pairs"].tolist() == column(rows, "n_pairs")
        for key in ("mean_difference", "ci_low", "ci_high", "V", "rank_biserial"):
            close(result[key], column(rows, key))
        close(result["p_t"], column(rows, "p_t"), atol=0)
        close(result["p_wilcoxon"], column(rows, "p_wilcoxon"), atol=0)
        close(result["p_adj"], column(rows, f"p_{suffix}"), atol=0)
    assert names == {"averaged", "averaged_small", "within_row"}


def test_compare_paired_averages_respondents_per_municipality():
    before = pd.DataFrame({"ags": ["a", "a", "b", "c", "d"], "x": [1.0, 3.0, 2.0, 4.0, 1.0]})
    after = pd.DataFrame({"ags": ["a", "b", "b", "c", None], "x": [4.0, 2.0, np.nan, 5.0, 5.0]})
    row = stats.compare_paired(before, after, ["x"], on="ags").iloc[0]
    # a: 2 -> 4, b: 2 -> 2 (zero, dropped for Wilcoxon), c: 4 -> 5; d and the keyless row unmatched
    assert row["n_pairs"] == 3
    assert row["mean_difference"] == pytest.approx(1.0)
    assert row["V"] == 3.0 and row["rank_biserial"] == 1.0


def test_compare_paired_edges_give_nan():
    before = pd.DataFrame({"ags": [1, 2, 3], "x": [2.0, 3.0, 4.0], "y": [1.0, np.nan, np.nan]})
    after = pd.DataFrame({"ags": [1, 2, 3], "x": [2.0, 3.0, 4.0], "y": [2.0, 2.0, np.nan]})
    result = stats.compare_paired(before, after, ["x", "y"], on="ags").set_index("item")
    assert result.loc["x", "mean_difference"] == 0.0 and result.loc["x", "V"] == 0.0
    assert result.loc["x", ["ci_low", "p_t", "p_wilcoxon", "rank_biserial", "p_adj"]].isna().all()
    assert result.loc["y", "n_pairs"] == 1 and np.isnan(result.loc["y", "p_t"])


def test_compare_paired_input_checks():
    before = pd.DataFrame({"ags": [1, 2], "x": [1.0, 2.0]})
    after = pd.DataFrame({"gemeinde": [1, 2], "x": [1.0, 2.0]})
    with pytest.raises(KeyError, match=r"'ags'.*after"):
        stats.compare_paired(before, after, ["x"], on="ags")
    with pytest.raises(KeyError, match=r"'gemeinde'.*before"):
        stats.compare_paired(before, after, ["x"], on="gemeinde")
    with pytest.raises(KeyError, match="nicht_da"):
        stats.compare_paired(before, before, ["nicht_da"], on="ags")
    with pytest.raises(ValueError, match="no value of key column 'ags'"):
        stats.compare_paired(before, before.assign(ags=["1", "2"]), ["x"], on="ags")
    with pytest.raises(ValueError, match="both an item and the key"):
        stats.compare_paired(before, before, ["x", "ags"], on="ags")


def test_weights_and_correction_input_checks(bfi, bfi_codebook):
    with pytest.raises(KeyError, match="gewicht"):
        stats.mean_ci(bfi, ["A1"], weights="gewicht")
    with pytest.raises(KeyError, match="gewicht"):
        stats.median_ci(bfi, ["A1"], weights="gewicht")
    with pytest.raises(ValueError, match="weights column 'w'"):
        stats.top_box(bfi.assign(w=-1.0), ["A1"], codebook=bfi_codebook, weights="w")
    with pytest.raises(ValueError, match="weights column 'w'"):
        stats.mean_ci(bfi.assign(w=np.nan), ["A1"], weights="w")
    with pytest.raises(ValueError, match="correction"):
        stats.compare_independent(bfi, bfi, ["A1"], correction="BH")
    with pytest.raises(ValueError, match="conf_level"):
        stats.median_ci(bfi, ["A1"], conf_level=95)


# ---------------------------------------------------------------------------
# p_adjust: R's p.adjust on R's own p-values


@pytest.mark.parametrize("correction, suffix", [("holm", "holm"), ("fdr_bh", "bh")])
def test_p_adjust_matches_r_p_adjust(reference, correction, suffix):
    cases = [(case["rows"], "p_kw", "p_kw") for case in reference["groups"]]
    cases += [(case["rows"], "p_anova", "p_anova") for case in reference["groups"]]
    cases += [(case["rows"], "p_value", "p") for case in reference["independent"]]
    cases += [(case["rows"], "p_wilcoxon", "p") for case in reference["paired"]]
    assert len(cases) == 11
    for rows, key, prefix in cases:
        adjusted = stats.p_adjust(column(rows, key), correction)
        close(adjusted, column(rows, f"{prefix}_{suffix}"), atol=0)


def test_p_adjust_keeps_nan_out_and_checks_the_correction():
    p = [0.01, np.nan, 0.04, 0.03]
    np.testing.assert_allclose(stats.p_adjust(p), [0.03, np.nan, 0.06, 0.06], equal_nan=True)
    np.testing.assert_array_equal(stats.p_adjust(p, "none"), p)
    assert stats.p_adjust([], "holm").size == 0
    with pytest.raises(ValueError, match="correction must be one of"):
        stats.p_adjust(p, "bonferroni")


# ---------------------------------------------------------------------------
# German sentences


def test_describe_groups_significant():
    row = pd.Series({"p_kw_adj": 0.012, "epsilon_sq": 0.08, "p_anova_adj": 0.2, "eta_sq": 0.005})
    text = sentences.describe_comparison(row, item_label="Beratung durch die Agentur")
    assert text == (
        "Die Bewertung von „Beratung durch die Agentur“ unterscheidet sich zwischen den Kreisen "
        "statistisch auffällig (Kruskal-Wallis-Test, p = 0,01 nach Holm-Korrektur; "
        "ε² = 0,08, mittlerer Effekt)."
    )
    anova = sentences.describe_comparison(
        row, item_label="Vernetzung", test="anova", between="den Größenklassen"
    )
    assert anova == (
        "Die Bewertung von „Vernetzung“ unterscheidet sich zwischen den Größenklassen "
        "statistisch nicht auffällig (einfaktorielle Varianzanalyse, p = 0,20 nach "
        "Holm-Korrektur; η² = 0,005, vernachlässigbarer Effekt)."
    )


def test_describe_effect_digits_never_round_across_a_threshold():
    row = pd.Series({"p_kw_adj": 0.3, "epsilon_sq": 0.0599})
    assert "ε² = 0,0599, kleiner Effekt" in sentences.describe_comparison(row, item_label="X")
    row = pd.Series({"p_kw_adj": 0.3, "epsilon_sq": 0.151})
    assert "ε² = 0,15, großer Effekt" in sentences.describe_comparison(row, item_label="X")


def test_describe_corrections_and_alpha():
    row = pd.Series({"p_adj": 0.0004, "rank_biserial": 0.21})
    fdr = sentences.describe_comparison(
        row, item_label="X", kind="independent", correction="fdr_bh"
    )
    assert "p < 0,001 nach Benjamini-Hochberg-Korrektur" in fdr
    plain = sentences.describe_comparison(
        row, item_label="X", kind="independent", correction="none"
    )
    assert "(Mann-Whitney-U-Test, p < 0,001; r = 0,21, kleiner Effekt)" in plain
    strict = pd.Series({"p_adj": 0.0496, "rank_biserial": 0.35})
    text = sentences.describe_comparison(strict, item_label="X", kind="independent", alpha=0.01)
    assert "statistisch nicht auffällig (Mann-Whitney-U-Test, p = 0,05" in text


def test_describe_independent_directions():
    up = pd.Series({"p_adj": 0.003, "rank_biserial": 0.34, "item_label": "Checklisten"})
    assert sentences.describe_comparison(up, kind="independent") == (
        "Die Bewertung von „Checklisten“ fällt in der aktuellen Welle statistisch auffällig "
        "höher aus als in der Vorwelle (Mann-Whitney-U-Test, p = 0,003 nach Holm-Korrektur; "
        "r = 0,34, mittlerer Effekt)."
    )
    down = pd.Series({"p_adj": 0.02, "rank_biserial": -0.55, "item": "zuf_x"})
    text = sentences.describe_comparison(down, kind="independent")
    assert "„zuf_x“ fällt in der aktuellen Welle statistisch auffällig niedriger aus" in text
    assert text.endswith("r = −0,55, großer Effekt).")
    flat = pd.Series({"p_adj": 0.41, "rank_biserial": 0.03})
    assert sentences.describe_comparison(flat, item_label="X", kind="independent") == (
        "Die Bewertung von „X“ unterscheidet sich zwischen aktueller Welle und Vorwelle "
        "statistisch nicht auffällig (Mann-Whitney-U-Test, p = 0,41 nach Holm-Korrektur; "
        "r = 0,03, vernachlässigbarer Effekt)."
    )


def test_describe_paired():
    row = pd.Series({"p_adj": 0.0123, "rank_biserial": 0.12})
    assert sentences.describe_comparison(row, item_label="Runder Tisch", kind="paired") == (
        "Die Bewertung von „Runder Tisch“ fällt bei denselben Kommunen in der aktuellen Welle "
        "statistisch auffällig höher aus als in der Vorwelle (Wilcoxon-Vorzeichen-Rang-Test, "
        "p = 0,01 nach Holm-Korrektur; r = 0,12, kleiner Effekt)."
    )
    flat = pd.Series({"p_adj": 0.7, "rank_biserial": -0.05})
    assert "unterscheidet sich bei denselben Kommunen zwischen aktueller Welle und Vorwelle " in (
        sentences.describe_comparison(flat, item_label="X", kind="paired")
    )


def test_describe_untestable_rows():
    groups = pd.Series({"p_kw_adj": np.nan, "epsilon_sq": np.nan})
    assert sentences.describe_comparison(groups, item_label="X") == (
        "Die Bewertung von „X“ lässt sich zwischen den Kreisen nicht vergleichen "
        "(zu wenige Antworten)."
    )
    paired = pd.Series({"p_adj": np.nan, "rank_biserial": np.nan})
    assert "nicht mit der Vorwelle vergleichen" in sentences.describe_comparison(
        paired, item_label="X", kind="paired"
    )


def test_describe_rows_from_the_functions(bfi):
    data = bfi.iloc[:300]
    groups = stats.compare_groups(data, ["A1"], group="education").iloc[0]
    assert sentences.describe_comparison(groups).startswith("Die Bewertung von „A1“ unterscheidet")
    independent = stats.compare_independent(
        data[data.gender == 2], data[data.gender == 1], ["A1", "C1"]
    ).iloc[0]
    # women (gender 2) answer A1 lower: r < 0
    text = sentences.describe_comparison(independent, kind="independent", item_label="A1")
    assert "niedriger" in text


def test_describe_input_checks():
    row = pd.Series({"p_adj": 0.01, "rank_biserial": 0.2})
    with pytest.raises(KeyError, match=r"'p_kw_adj'.*compare_groups"):
        sentences.describe_comparison(row, item_label="X")
    with pytest.raises(ValueError, match="kind"):
        sentences.describe_comparison(row, item_label="X", kind="waves")
    with pytest.raises(ValueError, match="correction"):
        sentences.describe_comparison(row, item_label="X", kind="paired", correction="BH")
    with pytest.raises(ValueError, match="test"):
        sentences.describe_comparison(
            pd.Series({"p_kw_adj": 0.1, "epsilon_sq": 0.1}), item_label="X", test="welch"
        )
