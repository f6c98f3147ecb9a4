"""welcome_eval.stats.drivers against MASS::polr and on data with a planted structure.

The reference values come from ``tests/reference/ordinal.R`` (run it with
``Rscript tests/reference/ordinal.R`` from the repository root); R is not
needed to run these tests. The model is fitted iteratively and its standard
errors come from numerical Hessians (in R and in statsmodels), so estimates are
required to agree to 1e-6 and standard errors to 1e-4 (relative).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _reference import load_reference
from conftest import REFERENCE

from welcome_eval.ingest.codebook import Codebook
from welcome_eval.stats import drivers

RTOL_ESTIMATE = 1e-6
RTOL_SE = 1e-4

#: R's treatment-contrast term names and ours.
R_TERMS = {
    "InflMedium": "Infl[Medium]",
    "InflHigh": "Infl[High]",
    "TypeApartment": "Type[Apartment]",
    "TypeAtrium": "Type[Atrium]",
    "TypeTerrace": "Type[Terrace]",
    "ContHigh": "Cont[High]",
}


@pytest.fixture(scope="module")
def reference() -> dict:
    return load_reference("ordinal")


@pytest.fixture(scope="module")
def housing(reference) -> pd.DataFrame:
    data = pd.read_csv(REFERENCE / "housing.csv")
    assert data.shape == (72, 5)
    for column, levels in reference["levels"].items():
        data[column] = pd.Categorical(data[column], categories=levels, ordered=column == "Sat")
    return data


@pytest.fixture(scope="module")
def housing_fit(housing) -> drivers.DriverResult:
    return drivers.ordinal_drivers(
        housing, outcome="Sat", predictors=["Infl", "Type", "Cont"], weights="Freq"
    )


def _fit(reference: dict, name: str) -> dict:
    return next(fit for fit in reference["fits"] if fit["name"] == name)


# ---------------------------------------------------------------------------
# agreement with MASS::polr


def test_housing_coefficients_match_polr(reference, housing_fit):
    expected = pd.DataFrame(_fit(reference, "tight")["coefficients"])
    result = housing_fit.coefficients
    assert list(result.columns) == [
        "term",
        "coef",
        "se",
        "z",
        "p_value",
        "odds_ratio",
        "or_low",
        "or_high",
    ]
    assert result["term"].tolist() == [R_TERMS[term] for term in expected["term"]]
    np.testing.assert_allclose(result["coef"], expected["estimate"], rtol=RTOL_ESTIMATE)
    np.testing.assert_allclose(result["se"], expected["se"], rtol=RTOL_SE)
    np.testing.assert_allclose(result["z"], result["coef"] / result["se"], rtol=1e-12)
    np.testing.assert_allclose(result["odds_ratio"], np.exp(expected["estimate"]), rtol=1e-6)
    assert (result["or_low"] < result["odds_ratio"]).all()
    assert (result["odds_ratio"] < result["or_high"]).all()


def test_housing_thresholds_match_polr_zeta(reference, housing_fit):
    fit = _fit(reference, "tight")
    expected = pd.DataFrame(fit["zeta"])
    result = housing_fit.thresholds
    assert result["threshold"].tolist() == expected["threshold"].tolist()
    assert result["lower_level"].tolist() == ["Low", "Medium"]
    assert result["upper_level"].tolist() == ["Medium", "High"]
    np.testing.assert_allclose(result["estimate"], expected["estimate"], rtol=RTOL_ESTIMATE)
    np.testing.assert_allclose(result["se"], expected["se"], rtol=RTOL_SE)
    assert housing_fit.log_likelihood == pytest.approx(fit["logLik"], rel=RTOL_ESTIMATE)
    assert housing_fit.n == fit["nobs"] == 1681
    assert housing_fit.converged
    assert housing_fit.levels == ("Low", "Medium", "High")


def test_frequency_weights_equal_repeated_rows(housing, housing_fit):
    expanded = housing.loc[housing.index.repeat(housing["Freq"])].drop(columns="Freq")
    result = drivers.ordinal_drivers(
        expanded.sample(frac=1.0, random_state=3),
        outcome="Sat",
        predictors=["Infl", "Type", "Cont"],
    )
    assert result.n == housing_fit.n
    np.testing.assert_allclose(
        result.coefficients["coef"], housing_fit.coefficients["coef"], rtol=1e-6
    )
    np.testing.assert_allclose(result.coefficients["se"], housing_fit.coefficients["se"], rtol=1e-4)


def test_summary_is_readable(housing_fit):
    text = housing_fit.summary()
    assert text.startswith("Proportional-odds (cumulative logit) model of 'Sat'")
    assert "Low < Medium < High" in text and "n = 1681" in text and "converged: yes" in text
    assert "Infl[High]" in text and "OR 3.63 (2.83 to 4.66), p < 0.001" in text


# ---------------------------------------------------------------------------
# planted structure


def _planted(n: int = 2000, seed: int = 20240611) -> pd.DataFrame:
    """Item "a" drives the 5-point outcome strongly, "b" not at all.

    "a" is rated low on average and "b" high, so the quadrants are known too.
    """
    rng = np.random.default_rng(seed)
    a = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.2, 0.3, 0.25, 0.15, 0.1]).astype(float)
    b = rng.choice([1, 2, 3, 4, 5], size=n, p=[0.05, 0.1, 0.2, 0.35, 0.3]).astype(float)
    latent = 1.2 * (a - 3) + rng.logistic(size=n)
    outcome = np.digitize(latent, [-2.5, -0.8, 0.8, 2.5]) + 1.0
    data = pd.DataFrame({"bleiben": outcome, "a": a, "b": b})
    data.loc[rng.choice(n, size=40, replace=False), "b"] = np.nan  # some item non-response
    return data


def test_planted_driver_is_found():
    data = _planted()
    result = drivers.ordinal_drivers(data, outcome="bleiben", predictors=["a", "b"])
    assert result.converged and result.n == 1960
    coefficients = result.coefficients.set_index("term")
    assert coefficients.loc["a", "coef"] == pytest.approx(1.2, abs=0.1)
    assert coefficients.loc["a", "p_value"] < 1e-10
    assert abs(coefficients.loc["b", "coef"]) < 0.1
    assert coefficients.loc["b", "or_low"] < 1 < coefficients.loc["b", "or_high"]
    assert result.thresholds["threshold"].tolist() == ["1|2", "2|3", "3|4", "4|5"]
    assert result.thresholds["estimate"].is_monotonic_increasing


def test_importance_performance_planted():
    data = _planted()
    table = drivers.importance_performance(data, outcome="bleiben", items=["a", "b"])
    assert list(table.columns[:5]) == [
        "item",
        "importance",
        "performance",
        "top2_share",
        "quadrant",
    ]
    assert table["item"].tolist() == ["a", "b"]
    a, b = table.iloc[0], table.iloc[1]
    assert a["importance"] > b["importance"]
    assert a["odds_ratio"] > 1 and a["p_value"] < 1e-10
    # importance is per standard deviation of the item in the model sample
    sd_a = data.dropna()["a"].std(ddof=1)
    slope = drivers.ordinal_drivers(data, outcome="bleiben", predictors=["a", "b"])
    per_unit = slope.coefficients.set_index("term").loc["a", "coef"]
    assert a["importance"] == pytest.approx(per_unit * sd_a, rel=1e-5)
    assert a["performance"] == data["a"].mean()
    assert b["performance"] == data["b"].mean()  # over all valid answers of b
    assert a["top2_share"] == (data["a"] >= 4).mean()
    assert b["top2_share"] == (data["b"].dropna() >= 4).mean()
    assert (a["quadrant"], b["quadrant"]) == ("Handlungsbedarf", "Mögliche Überversorgung")
    assert (a["n_valid"], b["n_valid"], a["n_model"]) == (2000, 1960, 1960)


def test_importance_performance_with_codebook():
    codebook = Codebook.for_survey("kommunen")
    rng = np.random.default_rng(5)
    n = 600
    runder_tisch = rng.integers(1, 6, size=n).astype(float)
    beratung = rng.integers(2, 5, size=n).astype(float)  # codes 1 and 5 never used
    gesamt = np.clip(np.round(runder_tisch + rng.normal(scale=0.7, size=n)), 1, 5)
    data = pd.DataFrame(
        {"zuf_gesamt": gesamt, "zuf_runder_tisch": runder_tisch, "zuf_beratung": beratung}
    )
    table = drivers.importance_performance(
        data, outcome="zuf_gesamt", items=["zuf_runder_tisch", "zuf_beratung"], codebook=codebook
    )
    assert table["item_label"].tolist() == [
        codebook["zuf_runder_tisch"].short,
        codebook["zuf_beratung"].short,
    ]
    # top-2 box from the codebook's scale (codes 4 and 5), not from the observed maximum
    assert table["top2_share"].tolist() == [(runder_tisch >= 4).mean(), (beratung >= 4).mean()]
    assert table["quadrant"].iloc[0] in {"Stärken bewahren", "Handlungsbedarf"}
    with pytest.raises(ValueError, match=r"zuf_beratung.*-9"):
        drivers.importance_performance(
            data.assign(zuf_beratung=np.where(beratung == 2, -9.0, beratung)),
            outcome="zuf_gesamt",
            items=["zuf_runder_tisch", "zuf_beratung"],
            codebook=codebook,
        )


def test_numeric_and_categorical_outcome_agree():
    data = _planted(n=800, seed=1).dropna()
    numeric = drivers.ordinal_drivers(data, outcome="bleiben", predictors=["a", "b"])
    labels = ["sicher nicht", "eher nicht", "vielleicht", "eher ja", "sicher", "(unbenutzt)"]
    categorical = data.assign(
        bleiben=pd.Categorical.from_codes(
            data["bleiben"].astype(int) - 1, categories=labels, ordered=True
        )
    )
    result = drivers.ordinal_drivers(categorical, outcome="bleiben", predictors=["a", "b"])
    assert result.levels == tuple(labels[:5])  # unused category dropped
    np.testing.assert_allclose(
        result.coefficients["coef"], numeric.coefficients["coef"], rtol=1e-10
    )
    assert result.thresholds["threshold"].iloc[0] == "sicher nicht|eher nicht"


# ---------------------------------------------------------------------------
# input checks


def test_input_checks():
    data = _planted(n=300, seed=2)
    with pytest.raises(KeyError, match="'nicht_da'"):
        drivers.ordinal_drivers(data, outcome="bleiben", predictors=["a", "nicht_da"])
    with pytest.raises(KeyError, match="'nicht_da'"):
        drivers.importance_performance(data, outcome="nicht_da", items=["a", "b"])
    with pytest.raises(ValueError, match="at least 2 items"):
        drivers.importance_performance(data, outcome="bleiben", items=["a"])
    with pytest.raises(ValueError, match=r"predictor 'c'.*dtype"):
        drivers.ordinal_drivers(data.assign(c="gut"), outcome="bleiben", predictors=["a", "c"])
    with pytest.raises(ValueError, match=r"outcome 'bleiben'.*dtype"):
        drivers.ordinal_drivers(
            data.assign(bleiben=data["bleiben"].astype(str)), outcome="bleiben", predictors=["a"]
        )
    with pytest.raises(ValueError, match=r"\bc\b.*do not vary"):
        drivers.ordinal_drivers(data.assign(c=1.0), outcome="bleiben", predictors=["a", "c"])
    with pytest.raises(ValueError, match="also listed as a predictor"):
        drivers.ordinal_drivers(data, outcome="bleiben", predictors=["a", "bleiben"])
    with pytest.raises(ValueError, match="at least 2"):
        drivers.ordinal_drivers(data.assign(bleiben=3.0), outcome="bleiben", predictors=["a"])
    with pytest.raises(ValueError, match="conf_level"):
        drivers.ordinal_drivers(data, outcome="bleiben", predictors=["a"], conf_level=95)
    with pytest.raises(ValueError, match="items is empty"):
        drivers.ordinal_drivers(data, outcome="bleiben", predictors=[])


def test_weights_checks():
    data = _planted(n=300, seed=3).dropna()
    with pytest.raises(NotImplementedError, match="integer frequency weights"):
        drivers.ordinal_drivers(
            data.assign(w=1.5), outcome="bleiben", predictors=["a", "b"], weights="w"
        )
    with pytest.raises(ValueError, match="non-negative"):
        drivers.ordinal_drivers(
            data.assign(w=-1.0), outcome="bleiben", predictors=["a", "b"], weights="w"
        )
    doubled = drivers.ordinal_drivers(
        data.assign(w=2.0), outcome="bleiben", predictors=["a", "b"], weights="w"
    )
    single = drivers.ordinal_drivers(data, outcome="bleiben", predictors=["a", "b"])
    assert doubled.n == 2 * single.n
    np.testing.assert_allclose(doubled.coefficients["coef"], single.coefficients["coef"], rtol=1e-5)
    np.testing.assert_allclose(
        doubled.coefficients["se"] * np.sqrt(2), single.coefficients["se"], rtol=1e-4
    )


def test_separation_is_flagged():
    rng = np.random.default_rng(0)
    x = np.repeat([1.0, 2.0, 3.0], 30)
    data = pd.DataFrame({"y": x, "x": x, "z": rng.normal(size=90)})
    with pytest.warns(RuntimeWarning, match=r"\bx\b.*separates"):
        drivers.ordinal_drivers(data, outcome="y", predictors=["x", "z"])
