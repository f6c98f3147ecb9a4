"""pingouin behind welcome_eval.stats: the path is taken, and where it is not, why.

The R reference tests (test_comparisons.py, test_reliability.py, test_stats.py)
prove that the pingouin-backed functions give R's values. This file shows

1. that those functions really call pingouin: each test replaces one pingouin
   function by one that raises, and the call must fail with it;
2. that pingouin's global rounding options cannot reach a result, and that
   importing :mod:`welcome_eval.stats` does not import pingouin;
3. that the differences between pingouin and R documented for the parts that
   stay hand-written exist (against the same R reference values).
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pingouin
import pingouin.reliability
import pytest
from _reference import load_reference
from scipy import stats as sps

from welcome_eval import stats

RTOL = 1e-10
ATOL = 1e-14


def close(actual: Any, expected: Any) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=RTOL, atol=ATOL
    )


@pytest.fixture(scope="module")
def reliability() -> dict:
    return load_reference("reliability")


@pytest.fixture(scope="module")
def likert_basics() -> dict:
    return load_reference("likert_basics")


@pytest.fixture(scope="module")
def comparisons() -> dict:
    return load_reference("comparisons")


def _alpha_case(reference: dict, name: str) -> dict:
    return next(case for case in reference["alpha"] if case["name"] == name)


def _keyed(bfi: pd.DataFrame, case: dict) -> pd.DataFrame:
    """The case's items, reverse keyed as psych does ((min + max) - x over all items)."""
    x = bfi[case["items"]].copy()
    ends = float(np.nanmin(x.to_numpy())) + float(np.nanmax(x.to_numpy()))
    for item in case["reverse"]:
        x[item] = ends - x[item]
    return x


def _feldt(alpha: float, n: int, k: int, ci: float = 0.95) -> np.ndarray:
    p = 1 - ci
    df1, df2 = n - 1, (n - 1) * (k - 1)
    return np.array(
        [
            1 - (1 - alpha) * sps.f.ppf(1 - p / 2, df1, df2),
            1 - (1 - alpha) * sps.f.ppf(p / 2, df1, df2),
        ]
    )


# ---------------------------------------------------------------------------
# 1. the pingouin path is taken

GROUPS = pd.DataFrame({"g": list("aabbcc"), "x": [1.0, 2, 3, 5, 4, 6]})
CURRENT = pd.DataFrame({"x": [3.0, 4, 4, 5]})
PREVIOUS = pd.DataFrame({"x": [1.0, 2, 2, 3, 3]})
BEFORE = pd.DataFrame({"k": [1, 2, 3, 4], "x": [1.0, 2, 3, 4]})
AFTER = pd.DataFrame({"k": [1, 2, 3, 4], "x": [2.0, 4, 3.5, 7]})
ITEMS = pd.DataFrame(
    {"a": [1.0, 2, 3, 4, 5, 2], "b": [2.0, 2, 3, 5, 4, 1], "c": [1.0, 3, 3, 4, 4, 2]}
)

PATHS: list[tuple[str, Callable[[], object]]] = [
    ("kruskal", lambda: stats.compare_groups(GROUPS, ["x"], group="g")),
    ("anova", lambda: stats.compare_groups(GROUPS, ["x"], group="g")),
    ("multicomp", lambda: stats.compare_groups(GROUPS, ["x"], group="g")),
    ("multicomp", lambda: stats.p_adjust([0.01, 0.02], "fdr_bh")),
    ("mwu", lambda: stats.compare_independent(CURRENT, PREVIOUS, ["x"])),
    ("wilcoxon", lambda: stats.compare_paired(BEFORE, AFTER, ["x"], on="k")),
    ("ttest", lambda: stats.compare_paired(BEFORE, AFTER, ["x"], on="k")),
    ("ttest", lambda: stats.wave_change(CURRENT, PREVIOUS, ["x"])),
    ("cronbach_alpha", lambda: stats.cronbach_alpha(ITEMS)),
]


class PingouinCalled(Exception):
    pass


@pytest.mark.parametrize(
    "name, call", PATHS, ids=[f"{name}-{i}" for i, (name, _) in enumerate(PATHS)]
)
def test_function_takes_the_pingouin_path(
    monkeypatch: pytest.MonkeyPatch, name: str, call: Callable[[], object]
) -> None:
    call()  # works with the real pingouin

    def called(*args: object, **kwargs: object) -> None:
        raise PingouinCalled(name)

    monkeypatch.setattr(pingouin, name, called)
    with pytest.raises(PingouinCalled, match=name):
        call()


def test_alpha_if_deleted_is_pingouin_alpha_of_the_other_items() -> None:
    result = stats.cronbach_alpha(ITEMS)
    for column, value in zip(ITEMS.columns, result.items["alpha_if_deleted"], strict=True):
        assert value == pingouin.cronbach_alpha(ITEMS.drop(columns=column))[0]
    assert result.alpha == pingouin.cronbach_alpha(ITEMS)[0]


# ---------------------------------------------------------------------------
# 2. no rounding, no import cost


def test_pingouin_rounding_options_do_not_reach_the_results(
    monkeypatch: pytest.MonkeyPatch, likert_basics: dict, comparisons: dict, bfi_data: pd.DataFrame
) -> None:
    monkeypatch.setitem(pingouin.options, "round", 2)
    monkeypatch.setitem(pingouin.options, "round.column.CI95", 1)
    options = dict(pingouin.options)
    rows = likert_basics["welch"]
    items = [row["item"] for row in rows]
    welch = stats.wave_change(bfi_data[bfi_data.gender == 2], bfi_data[bfi_data.gender == 1], items)
    for column in ("ci_low", "ci_high", "p_value"):
        close(welch[column], [row[column] for row in rows])
    case = next(c for c in comparisons["groups"] if c["name"] == "education_first300")
    groups = stats.compare_groups(
        bfi_data.iloc[:300], [row["item"] for row in case["rows"]], group="education"
    )
    for column, key in (("H", "H"), ("p_kw", "p_kw"), ("p_kw_adj", "p_kw_holm"), ("F", "F")):
        close(groups[column], [row[key] for row in case["rows"]])
    # the user's options are back, and pingouin itself still rounds with them
    assert pingouin.options == options
    t_value = sps.ttest_ind([1.0, 2.0, 4.0], [2.5, 3.5, 6.0]).statistic
    assert t_value != round(t_value, 2)
    assert pingouin.ttest([1.0, 2.0, 4.0], [2.5, 3.5, 6.0])["T"].iloc[0] == round(t_value, 2)


@pytest.mark.slow  # starts a Python process
def test_importing_stats_does_not_import_pingouin() -> None:
    code = "import sys, welcome_eval.stats; print('pingouin' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "False"


# ---------------------------------------------------------------------------
# 3. the documented differences of the hand-written parts


@pytest.mark.parametrize("name", ["agree_raw", "consc"])
def test_pingouin_alpha_interval_is_rounded_so_feldt_stays_ours(
    reliability: dict, bfi_data: pd.DataFrame, name: str
) -> None:
    case = _alpha_case(reliability, name)
    x = _keyed(bfi_data, case)
    alpha, interval = pingouin.cronbach_alpha(x)
    close(alpha, case["raw_alpha"])  # the estimate is psych's: used
    psych = np.array([case["feldt_low"], case["feldt_high"]])
    np.testing.assert_array_equal(interval, np.round(interval, 3))
    # documented: up to 4.7e-4 (agree_raw lower 4.67e-4, consc upper 4.19e-4)
    assert 4e-4 < np.max(np.abs(interval - psych)) < 5e-4
    ours = stats.cronbach_alpha(bfi_data[case["items"]], reverse=case["reverse"])
    close([ours.ci_low, ours.ci_high], psych)


def test_pingouin_listwise_interval_counts_rows_before_dropping(
    monkeypatch: pytest.MonkeyPatch, reliability: dict, bfi_data: pd.DataFrame
) -> None:
    case = _alpha_case(reliability, "agree_listwise")
    x = _keyed(bfi_data, case)
    seen: list[int] = []

    class SpyF:
        def isf(self, q: float, df1: int, df2: int) -> float:
            seen.append(df1)
            return float(sps.f.isf(q, df1, df2))

    monkeypatch.setattr(pingouin.reliability, "f", SpyF())
    alpha, _ = pingouin.cronbach_alpha(x, nan_policy="listwise")
    close(alpha, case["raw_alpha"])
    assert set(seen) == {len(x) - 1} and len(x) == 2800 and case["n"] == 2709
    # with pingouin's n the unrounded limits are +3.0e-4 and -2.8e-4 off psych's
    shift = _feldt(alpha, len(x), len(case["items"])) - [case["feldt_low"], case["feldt_high"]]
    assert 2.9e-4 < shift[0] < 3.1e-4 and -2.9e-4 < shift[1] < -2.7e-4
    ours = stats.cronbach_alpha(
        bfi_data[case["items"]], reverse=case["reverse"], nan_policy="listwise"
    )
    close([ours.ci_low, ours.ci_high], [case["feldt_low"], case["feldt_high"]])


def test_pingouin_has_no_standardised_alpha_ase_or_item_statistics(
    reliability: dict, bfi_data: pd.DataFrame
) -> None:
    case = _alpha_case(reliability, "agree")
    result = pingouin.cronbach_alpha(_keyed(bfi_data, case))
    assert len(result) == 2  # (alpha, interval): nothing else to take
    ours = stats.cronbach_alpha(bfi_data[case["items"]], reverse=case["reverse"])
    close([ours.std_alpha, ours.ase], [case["std_alpha"], case["ase"]])
    assert abs(ours.std_alpha - result[0]) > 1e-3  # another quantity than raw alpha


def test_pingouin_kruskal_has_no_epsilon_squared() -> None:
    table = pingouin.kruskal(GROUPS, dv="x", between="g")
    assert list(table.columns) == ["Source", "ddof1", "H", "p_unc"]
    row = stats.compare_groups(GROUPS, ["x"], group="g").iloc[0]
    assert row["H"] == table["H"].iloc[0]
    assert row["epsilon_sq"] == pytest.approx(row["H"] / (len(GROUPS) - 1), rel=1e-15)


def test_mann_whitney_all_equal_answers_give_nan_as_r_not_pingouins_one() -> None:
    current, previous = np.array([3.0, 3.0]), np.array([3.0, 3.0, 3.0])
    assert pingouin.mwu(current, previous, method="asymptotic")["p_val"].iloc[0] == 1.0
    # R's wilcox.test(exact = FALSE, correct = TRUE): z = (W - n1 n2 / 2 - 0) / SIGMA = 0 / 0
    row = stats.compare_independent(
        pd.DataFrame({"x": current}), pd.DataFrame({"x": previous}), ["x"]
    ).iloc[0]
    assert np.isnan(row["p_value"]) and row["W"] == 3.0 and row["rank_biserial"] == 0.0


def test_pingouin_default_would_be_exact_so_the_normal_method_is_asked_for() -> None:
    # no ties, small samples: pingouin's (scipy's) default "auto" is exact, R's exact = FALSE not
    current, previous = [1.5, 2.5, 3.5, 4.5, 6.5], [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    exact = pingouin.mwu(current, previous)["p_val"].iloc[0]
    normal = pingouin.mwu(current, previous, method="asymptotic")["p_val"].iloc[0]
    assert abs(exact - normal) > 1e-3
    row = stats.compare_independent(
        pd.DataFrame({"x": current}), pd.DataFrame({"x": previous}), ["x"]
    ).iloc[0]
    assert row["p_value"] == normal
    before, after = np.array([1.0, 2, 3, 4, 5, 6]), np.array([2.5, 2.1, 5, 3, 9, 6.7])
    exact = pingouin.wilcoxon(after, before)["p_val"].iloc[0]
    normal = pingouin.wilcoxon(after, before, method="approx")["p_val"].iloc[0]
    assert abs(exact - normal) > 1e-3
    keys = np.arange(6)
    row = stats.compare_paired(
        pd.DataFrame({"k": keys, "x": before}), pd.DataFrame({"k": keys, "x": after}), ["x"], on="k"
    ).iloc[0]
    assert row["p_wilcoxon"] == normal


def test_pingouin_t_intervals_are_rounded_by_default(
    likert_basics: dict, bfi_data: pd.DataFrame
) -> None:
    rows = likert_basics["welch"]
    current, previous = bfi_data[bfi_data.gender == 2], bfi_data[bfi_data.gender == 1]
    worst = 0.0
    for row in rows:
        table = pingouin.ttest(
            current[row["item"]].dropna(), previous[row["item"]].dropna(), correction=True
        )
        interval = np.asarray(table["CI95"].iloc[0], dtype=float)
        np.testing.assert_array_equal(interval, np.round(interval, 2))
        worst = max(worst, float(np.max(np.abs(interval - [row["ci_low"], row["ci_high"]]))))
    assert 4e-3 < worst < 5e-3  # documented: 4.5e-3


def test_mean_ci_equals_pingouins_unrounded_one_sample_interval_but_stays_ours(
    monkeypatch: pytest.MonkeyPatch, likert_basics: dict, bfi_data: pd.DataFrame
) -> None:
    monkeypatch.setitem(pingouin.options, "round.column.CI95", None)
    for row in likert_basics["mean_ci"]:
        values = bfi_data[row["item"]].dropna()
        table = pingouin.ttest(values, 0, confidence=row["conf_level"])
        interval = table.filter(regex=r"^CI\d+$").iloc[0, 0]
        close(interval, [row["ci_low"], row["ci_high"]])
        ours = stats.mean_ci(bfi_data, [row["item"]], conf_level=row["conf_level"]).iloc[0]
        close([ours.ci_low, ours.ci_high], [row["ci_low"], row["ci_high"]])
    # all answers equal: pingouin warns and gives no interval, mean_ci gives [mean, mean]
    with pytest.warns(RuntimeWarning):
        table = pingouin.ttest([3.0, 3.0, 3.0], 0)
    assert np.isnan(np.asarray(table["CI95"].iloc[0], dtype=float)).all()
    same = stats.mean_ci(pd.DataFrame({"x": [3.0, 3.0, 3.0]}), ["x"]).iloc[0]
    assert (same.ci_low, same.ci_high) == (3.0, 3.0)
