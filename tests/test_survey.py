"""welcome_eval.stats.survey against R's survey package, and its input checks.

The reference values come from ``tests/reference/survey_design.R`` (run it with
``Rscript tests/reference/survey_design.R`` from the repository root) on the
``api`` samples in ``tests/reference/survey_api.csv``; R is not needed to run
these tests. Definitions shared with the R script are listed in its header.
"""

from __future__ import annotations

import inspect
import math

import numpy as np
import pandas as pd
import pytest
from _reference import load_reference
from conftest import REFERENCE

from welcome_eval.stats.survey import Design, Estimate, rake

#: Relative tolerance on point estimates. The largest differences come from R's
#: svyciprop (its logit estimate stops at glm's IRLS tolerance: 5e-10) and from
#: R's rake() convergence (epsilon = 1e-10 on the weighted table: 1e-10).
RTOL_ESTIMATE = 1e-9
#: Relative tolerance on standard errors, interval limits and design effects.
RTOL_SE = 1e-9


@pytest.fixture(scope="module")
def reference() -> dict:
    return load_reference("survey_design")


@pytest.fixture(scope="module")
def api() -> pd.DataFrame:
    data = pd.read_csv(REFERENCE / "survey_api.csv")
    data["api99na"] = data["api99"].where(data["api00"] <= 700)
    return data


@pytest.fixture(scope="module")
def samples(api: pd.DataFrame) -> dict[str, pd.DataFrame]:
    strat = api[api["sample"] == "apistrat"].reset_index(drop=True)
    strat["fpc_fraction"] = strat.groupby("stype")["fpc"].transform("size") / strat["fpc"]
    strat["w_equal"] = 0.1
    clus1 = api[api["sample"] == "apiclus1"].reset_index(drop=True)
    first_h = strat.index[strat["stype"] == "H"][0]
    lonely = strat[(strat["stype"] != "H") | (strat.index == first_h)].reset_index(drop=True)
    assert (len(strat), len(clus1), len(lonely)) == (200, 183, 151)
    return {"strat": strat, "clus1": clus1, "lonely": lonely}


@pytest.fixture(scope="module")
def designs(samples: dict[str, pd.DataFrame], reference: dict) -> dict[str, Design]:
    strat, clus1, lonely = samples["strat"], samples["clus1"], samples["lonely"]
    clus1_design = Design(clus1, weights="pw", cluster="dnum", fpc="fpc")
    margins = {
        "stype": reference["inputs"]["pop_stype"],
        "sch.wide": reference["inputs"]["pop_schwide"],
    }
    result = {
        "strat": Design(strat, weights="pw", strata="stype", fpc="fpc"),
        "strat_fraction": Design(strat, weights="pw", strata="stype", fpc="fpc_fraction"),
        "strat_nofpc": Design(strat, weights="pw", strata="stype"),
        "equal": Design(strat, weights="w_equal"),
        "strat_clus": Design(strat, weights="pw", strata="stype", cluster="dnum", nest=True),
        "clus1": clus1_design,
        "clus1_raked": clus1_design.rake(margins),
    }
    for option in ("certainty", "remove", "adjust", "average"):
        result[f"lonely/{option}"] = Design(
            lonely, weights="pw", strata="stype", fpc="fpc", lonely_psu=option
        )
    return result


def python_values(case: dict, designs: dict[str, Design]) -> dict[str, np.ndarray]:
    """The Python counterpart of one R reference case."""
    key = case["design"]
    if key == "lonely":
        key = f"lonely/{case['lonely_psu']}"
    design = designs[key]
    statistic = case["statistic"]
    level = case["conf_level"]
    if statistic.startswith("by_"):
        frame = design.by(case["variable"], case["group"], statistic[3:], conf_level=level)
        assert frame["group"].tolist() == case["groups"]
        return {column: frame[column].to_numpy(float) for column in frame.columns[1:]}
    if statistic in ("mean", "total"):
        est = getattr(design, statistic)(case["variable"], conf_level=level)
    elif statistic == "proportion":
        df = None if case["df"] == "degf" else (math.inf if case["method"] == "logit" else None)
        est = design.proportion(
            case["variable"], case["level"], conf_level=level, method=case["method"], df=df
        )
    elif statistic == "quantile":
        df = None if case["df"] == "degf" else math.inf
        est = design.quantile(case["variable"], case["q"], conf_level=level, df=df)
    else:  # pragma: no cover - a new kind of case in the JSON
        raise AssertionError(f"unknown statistic {statistic!r}")
    assert isinstance(est, Estimate)
    values = {
        "estimate": est.estimate,
        "se": est.se,
        "ci_low": est.ci_low,
        "ci_high": est.ci_high,
        "n": est.n,
    }
    if "deff" in case:
        values["deff"] = est.deff
    return {name: np.atleast_1d(np.asarray(value, float)) for name, value in values.items()}


def expected(case: dict, name: str) -> np.ndarray:
    """A reference value as a float array (jsonlite writes NaN as the string "NaN")."""
    return np.atleast_1d(np.asarray(case[name], float))


def relative_differences(case: dict, designs: dict[str, Design]) -> dict[str, float]:
    """Largest relative difference per quantity between Python and R for one case
    (0 where both are equal or both NaN)."""
    ours = python_values(case, designs)
    result = {}
    for name, value in ours.items():
        reference = expected(case, name)
        assert value.shape == reference.shape, name
        same = (value == reference) | (np.isnan(value) & np.isnan(reference))
        with np.errstate(invalid="ignore", divide="ignore"):
            difference = np.abs(value - reference) / np.abs(reference)
        result[name] = float(np.max(np.where(same, 0.0, difference)))
    return result


def case_ids() -> list[str]:
    return [case["id"] for case in load_reference("survey_design")["cases"]]


@pytest.mark.parametrize("case_id", case_ids())
def test_matches_r(case_id: str, reference: dict, designs: dict[str, Design]) -> None:
    case = next(case for case in reference["cases"] if case["id"] == case_id)
    ours = python_values(case, designs)
    np.testing.assert_array_equal(ours["n"], expected(case, "n"))
    np.testing.assert_allclose(ours["estimate"], expected(case, "estimate"), rtol=RTOL_ESTIMATE)
    for name in ("se", "ci_low", "ci_high", "deff"):
        if name in ours:
            np.testing.assert_allclose(ours[name], expected(case, name), rtol=RTOL_SE, err_msg=name)


def test_reference_covers_all_designs(reference: dict) -> None:
    designs = {case["design"] for case in reference["cases"]}
    assert designs == {
        "strat", "strat_fraction", "strat_nofpc", "strat_clus", "equal", "clus1", "clus1_raked",
        "lonely",
    }  # fmt: skip
    assert reference["survey_version"].startswith("4.")


def test_raked_weights_match_r(
    samples: dict[str, pd.DataFrame], designs: dict[str, Design], reference: dict
) -> None:
    expected = np.asarray(reference["inputs"]["raked_weights"])
    margins = {
        "stype": reference["inputs"]["pop_stype"],
        "sch.wide": reference["inputs"]["pop_schwide"],
    }
    weights = rake(samples["clus1"], weights="pw", margins=margins)
    assert weights.index.equals(samples["clus1"].index)
    assert weights.name == "pw"
    np.testing.assert_allclose(weights.to_numpy(), expected, rtol=1e-9)
    np.testing.assert_allclose(designs["clus1_raked"].weights.to_numpy(), expected, rtol=1e-9)
    # the margins are met
    clus1 = samples["clus1"].assign(w=weights)
    for column, population in margins.items():
        totals = clus1.groupby(column)["w"].sum()
        np.testing.assert_allclose(totals.to_numpy(), pd.Series(population)[totals.index])


def test_lonely_psu_fail_like_r(samples: dict[str, pd.DataFrame], reference: dict) -> None:
    assert reference["inputs"]["lonely_error"] == "Stratum (H) has only one PSU at stage 1"
    design = Design(samples["lonely"], weights="pw", strata="stype", fpc="fpc")
    with pytest.raises(ValueError, match=r"stratum 'H' has only one PSU .* at stage 1"):
        design.mean("api00")
    with pytest.raises(ValueError, match=r"stratum 'H'"):
        design.quantile("api00", 0.5)


def test_fraction_fpc_equals_population_size(designs: dict[str, Design]) -> None:
    a = designs["strat"].mean("api00")
    b = designs["strat_fraction"].mean("api00")
    assert a.se == pytest.approx(b.se, rel=1e-12)


def test_to_frame_and_fields(designs: dict[str, Design]) -> None:
    est = designs["strat"].mean("api00", conf_level=0.9)
    frame = est.to_frame()
    assert frame.shape[0] == 1
    assert {"estimate", "se", "ci_low", "ci_high", "deff", "n", "conf_level", "variable"} <= set(
        frame.columns
    )
    assert frame.loc[0, "variable"] == "api00"
    assert frame.loc[0, "conf_level"] == 0.9
    assert est.n == 200


def test_na_rm_is_domain_estimation(designs: dict[str, Design], samples: dict) -> None:
    """Missing values keep the design: the mean of api99na is the domain mean of api99."""
    strat = designs["strat"]
    est = strat.mean("api99na")
    data = samples["strat"].assign(low=lambda d: d["api00"] <= 700)
    by = Design(data, weights="pw", strata="stype", fpc="fpc").by("api99", "low")
    row = by[by["group"]].iloc[0]
    assert est.estimate == pytest.approx(row["estimate"], rel=1e-12)
    assert est.se == pytest.approx(row["se"], rel=1e-12)


def test_raking_margin_has_no_sampling_error(designs: dict[str, Design], reference: dict) -> None:
    """The share of a raking margin is fixed by the raking, and the SE knows it."""
    raked = designs["clus1_raked"]
    population = reference["inputs"]["pop_schwide"]
    share = raked.proportion("sch.wide", "Yes")
    assert share.estimate == pytest.approx(population["Yes"] / sum(population.values()), rel=1e-12)
    assert share.se < 1e-10
    # the same weights without the raking information give a sizeable SE
    data = raked.data.assign(raked_w=raked.weights.to_numpy())
    naive = Design(data, weights="raked_w", cluster="dnum", fpc="fpc")
    assert naive.proportion("sch.wide", "Yes").se > 0.01


# ---------------------------------------------------------------------------
# input checks


@pytest.fixture
def small() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "h": ["a", "a", "b", "b", "c"],
            "w": [1.0, 2.0, 3.0, 4.0, 5.0],
            "y": [1.0, 2.0, 3.0, 4.0, 5.0],
            "cat": ["x", "y", "x", "y", "x"],
            "fpc": [10, 10, 20, 20, 5],
        }
    )


def test_missing_column(small: pd.DataFrame) -> None:
    with pytest.raises(KeyError, match="weights column 'weight' not found"):
        Design(small, weights="weight")
    with pytest.raises(KeyError, match="strata column 'stratum' not found"):
        Design(small, weights="w", strata="stratum")
    with pytest.raises(KeyError, match="variable column 'z' not found"):
        Design(small, weights="w").mean("z")


@pytest.mark.parametrize("bad", [0.0, -1.0, np.nan, np.inf])
def test_non_positive_weight(small: pd.DataFrame, bad: float) -> None:
    small.loc[3, "w"] = bad
    with pytest.raises(ValueError, match="weights column 'w' must be positive and finite"):
        Design(small, weights="w")
    with pytest.raises(ValueError, match="position 3"):
        rake(small, weights="w", margins={"cat": {"x": 5, "y": 5}})


def test_lonely_psu_fail_names_stratum(small: pd.DataFrame) -> None:
    design = Design(small, weights="w", strata="h")
    with pytest.raises(ValueError, match=r"stratum 'c' has only one PSU"):
        design.mean("y")
    # an estimate on rows outside the lonely stratum is fine, as in R
    outside = Design(small.assign(y=small["y"].where(small["h"] != "c")), weights="w", strata="h")
    assert math.isfinite(outside.mean("y").se)
    assert math.isfinite(
        Design(small, weights="w", strata="h", lonely_psu="certainty").mean("y").se
    )


def test_lonely_psu_option_checked(small: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="lonely_psu must be one of"):
        Design(small, weights="w", strata="h", lonely_psu="skip")


def test_fpc_checks(small: pd.DataFrame) -> None:
    varying = small.assign(fpc=[10, 11, 20, 20, 5])
    with pytest.raises(ValueError, match="varies within stratum 'a'"):
        Design(varying, weights="w", strata="h", fpc="fpc")
    too_small = small.assign(fpc=[1.5, 1.5, 20, 20, 5])
    with pytest.raises(ValueError, match="more than 100% sampling in stratum 'a'"):
        Design(too_small, weights="w", strata="h", fpc="fpc")
    mixed = small.assign(fpc=[0.5, 0.5, 20, 20, 5])
    with pytest.raises(ValueError, match="mixes population sizes"):
        Design(mixed, weights="w", strata="h", fpc="fpc")


def test_clusters_must_nest(small: pd.DataFrame) -> None:
    data = small.assign(psu=[1, 2, 1, 2, 3])
    with pytest.raises(ValueError, match=r"nested in strata.*nest=True"):
        Design(data, weights="w", strata="h", cluster="psu")
    nested = Design(data, weights="w", strata="h", cluster="psu", nest=True, lonely_psu="remove")
    assert nested.degf() == 2


def test_proportion_checks(small: pd.DataFrame) -> None:
    design = Design(small, weights="w")
    with pytest.raises(ValueError, match="category 'z' does not occur"):
        design.proportion("cat", "z")
    with pytest.raises(ValueError, match="not a 0/1 or boolean"):
        design.proportion("y")
    with pytest.raises(ValueError, match="method must be one of"):
        design.proportion("cat", "x", method="wilson")
    assert design.proportion("cat", "x").estimate == pytest.approx(9 / 15)


def test_proportion_category_and_its_old_name_level(small: pd.DataFrame) -> None:
    design = Design(small, weights="w")
    new = design.proportion("cat", category="y", conf_level=0.9)
    assert new.estimate == pytest.approx(6 / 15)
    assert new.detail.startswith("category='y', ")
    assert design.proportion("cat", "y", conf_level=0.9) == new  # positional, as before
    with pytest.warns(
        DeprecationWarning, match=r"proportion\(level=\.\.\.\) is deprecated: use category="
    ):
        old = design.proportion("cat", level="y", conf_level=0.9)
    assert old == new  # the same estimate, interval and detail
    with pytest.raises(TypeError, match="both level= and category="):
        design.proportion("cat", level="y", category="y")
    assert "level" not in inspect.signature(Design.proportion).parameters


def test_rake_unknown_category(small: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"'y' of margin 'cat' occur in the sample but have no"):
        rake(small, weights="w", margins={"cat": {"x": 10}})
    with pytest.raises(ValueError, match=r"population category 'z' of margin 'cat' has no rows"):
        rake(small, weights="w", margins={"cat": {"x": 10, "y": 10, "z": 5}})
    with pytest.raises(KeyError, match="margin column 'region' not found"):
        rake(small, weights="w", margins={"region": {"x": 10}})
    with pytest.raises(ValueError, match="same total"):
        rake(small, weights="w", margins={"cat": {"x": 10, "y": 10}, "h": {"a": 1, "b": 1, "c": 1}})


def test_rake_non_convergence(small: pd.DataFrame) -> None:
    margins = {"cat": {"x": 60, "y": 40}, "h": {"a": 30, "b": 30, "c": 40}}
    with pytest.raises(ValueError, match=r"did not converge within max_iter=1 cycles.*differ"):
        rake(small, weights="w", margins=margins, max_iter=1)
    weights = rake(small, weights="w", margins=margins)
    assert weights.groupby(small["cat"]).sum().to_dict() == pytest.approx({"x": 60, "y": 40})


def test_rake_trim(small: pd.DataFrame) -> None:
    margins = {"cat": {"x": 60, "y": 40}}
    weights = rake(small, weights="w", margins=margins, trim=(0.5, 2.0))
    mean = weights.mean()
    assert weights.min() >= 0.5 * mean - 1e-9 and weights.max() <= 2.0 * mean + 1e-9
    assert weights.groupby(small["cat"]).sum().to_dict() == pytest.approx({"x": 60, "y": 40})
    with pytest.raises(ValueError, match="trimming bounds may be too tight"):
        rake(small, weights="w", margins={"cat": {"x": 90, "y": 10}}, trim=(0.9, 1.1))
    with pytest.raises(ValueError, match="trim must be a pair"):
        rake(small, weights="w", margins=margins, trim=(2.0, 5.0))


def test_by_keeps_category_order_and_categorical_margins(small: pd.DataFrame) -> None:
    data = small.assign(
        cat=pd.Categorical(small["cat"], categories=["y", "x", "unused"], ordered=True)
    )
    design = Design(data, weights="w")
    by = design.by("y", "cat", "total")
    assert by["group"].tolist() == ["y", "x"]
    assert by["estimate"].tolist() == pytest.approx([2 * 2 + 4 * 4, 1 + 3 * 3 + 5 * 5])
    raked = design.rake({"cat": {"x": 60, "y": 40, "unused": 0}})
    assert raked.total("y").estimate == pytest.approx(60 * (1 + 9 + 25) / 9 + 40 * (4 + 16) / 6)


def test_conf_level_checked(small: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="conf_level must be between 0 and 1"):
        Design(small, weights="w").mean("y", conf_level=95)
