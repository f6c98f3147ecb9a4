"""welcome_eval.survival.retention against R's survival package, and its input checks.

The reference values come from ``tests/reference/survival.R`` (run it with
``Rscript tests/reference/survival.R`` from the repository root) on the
survival package's ``lung``, ``veteran``, ``mgus2`` and ``rats`` data in
``tests/reference/survival_*.csv``; R is not needed to run these tests.
Definitions shared with the R script are listed in its header.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _reference import load_reference
from conftest import REFERENCE
from statsmodels.duration.survfunc import SurvfuncRight, survdiff

from welcome_eval.survival.retention import (
    CoxResult,
    KaplanMeier,
    LogRank,
    cox,
    cumulative_incidence,
    fit_kaplan_meier,
    kaplan_meier,
    logrank,
    median_stay,
    register_stays,
    retention_at,
)

#: Closed-form estimators (Kaplan-Meier, log-rank, Aalen-Johansen) and their
#: standard errors: the JSON holds 15 significant digits; the largest relative
#: difference seen is 1.5e-14.
RTOL_EXACT = 1e-12
#: Cox models. R's coxph stops Newton-Raphson when the log likelihood changes
#: by less than 1e-9 (relative); for lung that leaves R's coefficients 3.3e-9
#: (relative) from the maximum, its p-values 1e-8 (welcome_eval iterates to
#: machine precision and agrees with R's fully converged fit to 1e-13, case
#: "lung_efron_converged"). The other fits converged further in R: <= 3.1e-11.
RTOL_COX = {"lung_efron": 1e-7, "lung_breslow": 1e-7}
RTOL_COX_DEFAULT = 1e-9
#: Fully converged R fit.
RTOL_COX_CONVERGED = 1e-11


# ---------------------------------------------------------------------------
# data


def read_reference() -> dict:
    return load_reference("survival")


def read_lung() -> pd.DataFrame:
    data = pd.read_csv(REFERENCE / "survival_lung.csv")
    data["event"] = data["status"] - 1
    grp3 = np.where((data["status"] == 1) & (data["ph.ecog"] == 0), "none", data["sex"].astype(str))
    data["grp3"] = pd.Series(grp3, index=data.index).where(data["ph.ecog"].notna())
    return data


def read_veteran(reference: dict) -> pd.DataFrame:
    data = pd.read_csv(REFERENCE / "survival_veteran.csv")
    levels = reference["inputs"]["veteran_celltype_levels"]
    data["celltype"] = pd.Categorical(data["celltype"], categories=levels)
    data["id"] = np.arange(1, len(data) + 1)
    return data


def survsplit(data: pd.DataFrame, cuts: list[float]) -> pd.DataFrame:
    """R's ``survSplit(Surv(time, status) ~ ., cut = cuts, episode = "tgroup")``."""
    bounds = [0.0, *cuts, math.inf]
    parts = []
    for k in range(len(bounds) - 1):
        part = data[data["time"] > bounds[k]].copy()
        part["tstart"] = bounds[k]
        part["tgroup"] = k + 1
        ends_here = part["time"] <= bounds[k + 1]
        part["status"] = np.where(ends_here, part["status"], 0)
        part["time"] = np.minimum(part["time"], bounds[k + 1])
        parts.append(part)
    return pd.concat(parts).sort_values(["id", "tstart"], kind="stable").reset_index(drop=True)


def make_vet2(veteran: pd.DataFrame, reference: dict) -> pd.DataFrame:
    data = survsplit(veteran, [90, 180])
    for k in (1, 2, 3):
        data[f"karno{k}"] = data["karno"] * (data["tgroup"] == k)
    if len(data) != reference["inputs"]["vet2_rows"]:
        raise RuntimeError(f"vet2 has {len(data)} rows, R's {reference['inputs']['vet2_rows']}")
    return data


def read_frames(reference: dict) -> dict[str, pd.DataFrame]:
    """The reference data sets as the R script reads them (also for subprocesses)."""
    veteran = read_veteran(reference)
    rats = pd.read_csv(REFERENCE / "survival_rats.csv")
    return {
        "lung": read_lung(),
        "veteran": veteran,
        "vet2": make_vet2(veteran, reference),
        "rats": rats,
        "rats_f": rats[rats["sex"] == "f"],
        "mgus2": pd.read_csv(REFERENCE / "survival_mgus2.csv"),
    }


@pytest.fixture(scope="module")
def reference() -> dict:
    return read_reference()


@pytest.fixture(scope="module")
def frames(reference: dict) -> dict[str, pd.DataFrame]:
    return read_frames(reference)


@pytest.fixture(scope="module")
def lung(frames: dict) -> pd.DataFrame:
    return frames["lung"]


@pytest.fixture(scope="module")
def veteran(frames: dict) -> pd.DataFrame:
    return frames["veteran"]


@pytest.fixture(scope="module")
def vet2(frames: dict) -> pd.DataFrame:
    return frames["vet2"]


@pytest.fixture(scope="module")
def rats(frames: dict) -> pd.DataFrame:
    return frames["rats"]


@pytest.fixture(scope="module")
def mgus2(frames: dict) -> pd.DataFrame:
    return frames["mgus2"]


def values(x: object) -> np.ndarray:
    """A reference value as a float array (jsonlite writes NA as "NA", NaN as "NaN")."""
    if isinstance(x, list):
        return np.asarray([values(v) for v in x], dtype=float)
    return np.asarray(math.nan if x in (None, "NA", "NaN") else x, dtype=float)


def relative_difference(ours: object, theirs: object) -> float:
    """Largest relative difference (0 where both are equal or both NaN)."""
    a = np.atleast_1d(np.asarray(ours, dtype=float))
    b = np.atleast_1d(values(theirs))
    assert a.shape == b.shape, (a.shape, b.shape)
    assert np.array_equal(np.isnan(a), np.isnan(b)), "NaN in different places"
    same = (a == b) | (np.isnan(a) & np.isnan(b))
    with np.errstate(invalid="ignore", divide="ignore"):
        difference = np.abs(a - b) / np.abs(b)
    return float(np.max(np.where(same, 0.0, difference), initial=0.0))


def assert_close(ours: object, theirs: object, rtol: float, what: str) -> None:
    difference = relative_difference(ours, theirs)
    assert difference <= rtol, f"{what}: relative difference {difference:.3g} > {rtol:g}"


def labels(x: object) -> list[str]:
    return [str(v) for v in np.atleast_1d(x)]


# ---------------------------------------------------------------------------
# Kaplan-Meier

KM_CASES = {
    "lung_overall": ("lung", "event", None),
    "lung_sex": ("lung", "event", "sex"),
    "lung_sex_90": ("lung", "event", "sex"),
    "veteran_trt": ("veteran", "status", "trt"),
    "lung_grp3": ("lung", "event", "grp3"),
}


def fit_km(case_id: str, reference: dict, frames: dict) -> KaplanMeier:
    frame, event, group = KM_CASES[case_id]
    conf_level = reference["km"][case_id]["conf_level"]
    return fit_kaplan_meier(
        frames[frame], duration="time", event=event, by=group, conf_level=conf_level
    )


@pytest.mark.parametrize("case_id", list(KM_CASES))
def test_kaplan_meier_curve_matches_r(case_id: str, reference: dict, frames: dict) -> None:
    km = fit_km(case_id, reference, frames)
    curve = reference["km"][case_id]["curve"]
    table = km.table
    assert labels(table["group"]) == labels(curve["group"])
    for ours, theirs in (
        ("time", "time"),
        ("n_risk", "n_risk"),
        ("n_event", "n_event"),
        ("n_censor", "n_censor"),
    ):
        np.testing.assert_array_equal(table[ours].to_numpy(float), values(curve[theirs]))
    assert_close(table["survival"], curve["surv"], RTOL_EXACT, "survival")
    assert_close(table["se_log"], curve["std_err"], RTOL_EXACT, "se_log = R's fit$std.err")
    assert_close(table["ci_low"], curve["lower"], RTOL_EXACT, "lower")
    assert_close(table["ci_high"], curve["upper"], RTOL_EXACT, "upper")


@pytest.mark.parametrize("case_id", list(KM_CASES))
def test_kaplan_meier_summary_times_matches_r(case_id: str, reference: dict, frames) -> None:
    km = fit_km(case_id, reference, frames)
    summary = reference["km"][case_id]["summary"]
    at = km.survival_at(summary["times"])
    assert labels(at["group"]) == labels(summary["group"])
    for name in ("time", "n_risk", "n_event", "n_censor"):
        np.testing.assert_array_equal(at[name].to_numpy(float), values(summary[name]), name)
    assert_close(at["survival"], summary["surv"], RTOL_EXACT, "survival")
    assert_close(at["se"], summary["std_err"], RTOL_EXACT, "se = R's summary std.err")
    assert_close(at["ci_low"], summary["lower"], RTOL_EXACT, "lower")
    assert_close(at["ci_high"], summary["upper"], RTOL_EXACT, "upper")


@pytest.mark.parametrize("case_id", list(KM_CASES))
def test_kaplan_meier_quantiles_and_median_match_r(case_id: str, reference, frames) -> None:
    km = fit_km(case_id, reference, frames)
    expected = reference["km"][case_id]["quantile"]
    q = km.quantile(expected["probs"])
    assert labels(q["group"]) == labels(expected["group"])
    assert_close(q["prob"], expected["prob"], 0, "prob")
    assert_close(q["time"], expected["quantile"], 0, "quantile")
    assert_close(q["ci_low"], expected["lower"], 0, "lower")
    assert_close(q["ci_high"], expected["upper"], 0, "upper")
    printed = reference["km"][case_id]["print"]
    median = km.median()
    assert labels(median["group"]) == labels(printed["group"])
    for ours, theirs in (
        ("median", "median"),
        ("ci_low", "lcl"),
        ("ci_high", "ucl"),
        ("n", "n"),
        ("n_events", "events"),
    ):
        assert_close(median[ours], printed[theirs], 0, ours)


def test_kaplan_meier_matches_statsmodels(lung: pd.DataFrame) -> None:
    km = fit_kaplan_meier(lung, duration="time", event="event")
    sf = SurvfuncRight(lung["time"].to_numpy(float), lung["event"].to_numpy())
    at_events = km.table[km.table["n_event"] > 0]
    np.testing.assert_allclose(at_events["survival"], sf.surv_prob, rtol=1e-13)
    np.testing.assert_allclose(at_events["se"], sf.surv_prob_se, rtol=1e-12)


def test_kaplan_meier_group_without_events(lung: pd.DataFrame) -> None:
    km = fit_kaplan_meier(lung, duration="time", event="event", by="grp3")
    none = km.table[km.table["group"] == "none"]
    assert (none["survival"] == 1).all() and (none["se"] == 0).all()
    median = km.median().set_index("group")
    assert math.isnan(median.loc["none", "median"]) and median.loc["none", "n_events"] == 0
    assert km.n_missing == 1 and km.n == 227


def test_kaplan_meier_result_object(lung: pd.DataFrame) -> None:
    km = fit_kaplan_meier(lung, duration="time", event="event", by="sex", times=[180, 365])
    assert km.groups == [1, 2]
    assert list(km.survival_at()["time"]) == [180.0, 365.0, 180.0, 365.0]
    frame = km.to_frame()
    assert list(frame.columns) == [
        "group", "n", "n_events", "median", "ci_low", "ci_high", "conf_level",
    ]  # fmt: skip
    assert frame["n"].tolist() == [138, 90]
    with pytest.raises(ValueError, match="no times given"):
        fit_kaplan_meier(lung, duration="time", event="event").survival_at()
    # a curve that ends at 0: se and the limits are NaN, as in R
    tiny = pd.DataFrame({"t": [1.0, 2.0], "e": [1, 1]})
    last = fit_kaplan_meier(tiny, duration="t", event="e").table.iloc[-1]
    assert last["survival"] == 0 and math.isinf(last["se_log"]) and math.isnan(last["ci_low"])


# ---------------------------------------------------------------------------
# log-rank

LOGRANK_CASES = {
    "lung_sex": ("lung", "event", "sex", None),
    "lung_sex_strata_ecog": ("lung", "event", "sex", "ph.ecog"),
    "veteran_celltype": ("veteran", "status", "celltype", None),
    "lung_grp3": ("lung", "event", "grp3", None),
}


def fit_logrank(case_id: str, frames: dict) -> LogRank:
    frame, event, group, strata = LOGRANK_CASES[case_id]
    return logrank(frames[frame], duration="time", event=event, group=group, strata=strata)


@pytest.mark.parametrize("case_id", list(LOGRANK_CASES))
def test_logrank_matches_r(case_id: str, reference: dict, frames: dict) -> None:
    expected = reference["logrank"][case_id]
    result = fit_logrank(case_id, frames)
    table = result.table
    assert labels(table["group"]) == labels(expected["group"])
    np.testing.assert_array_equal(table["n"], values(expected["n"]))
    np.testing.assert_array_equal(table["observed"], values(expected["observed"]))
    assert_close(table["expected"], expected["expected"], RTOL_EXACT, "expected")
    assert_close(table["(O-E)^2/E"], expected["oe2_e"], RTOL_EXACT, "(O-E)^2/E")
    assert_close(table["(O-E)^2/V"], expected["oe2_v"], RTOL_EXACT, "(O-E)^2/V")
    assert_close(result.variance.to_numpy(), expected["var"], RTOL_EXACT, "var")
    assert_close(result.chi2, expected["chisq"], RTOL_EXACT, "chisq")
    assert result.df == expected["df"]
    assert_close(result.p_value, expected["p"], RTOL_EXACT, "p")


def test_logrank_matches_statsmodels(lung: pd.DataFrame, veteran: pd.DataFrame) -> None:
    chi2, p = survdiff(lung["time"], lung["event"], lung["sex"])
    result = logrank(lung, duration="time", event="event", group="sex")
    assert result.chi2 == pytest.approx(chi2, rel=1e-12)
    assert result.p_value == pytest.approx(p, rel=1e-12)
    complete = lung.dropna(subset=["ph.ecog"])
    chi2, _ = survdiff(
        complete["time"], complete["event"], complete["sex"], strata=complete["ph.ecog"]
    )
    stratified = logrank(lung, duration="time", event="event", group="sex", strata="ph.ecog")
    assert stratified.chi2 == pytest.approx(chi2, rel=1e-12)
    assert stratified.n == 227 and stratified.n_missing == 1


def test_logrank_group_without_events(frames: dict) -> None:
    result = fit_logrank("lung_grp3", frames)
    row = result.table.set_index("group").loc["none"]
    assert row["observed"] == 0 and row["expected"] > 0  # stays in the test, as in R
    assert result.df == 2
    frame = result.to_frame()
    assert frame.loc[0, "n_events"] == 164 and frame.loc[0, "df"] == 2


# ---------------------------------------------------------------------------
# Cox models

LUNG = {"duration": "time", "event": "event", "covariates": ["age", "sex", "ph.ecog"]}
VET = {"duration": "time", "event": "status"}
VET2 = {"duration": "time", "event": "status", "start": "tstart"}
TIMEVARYING = ["trt", "karno1", "karno2", "karno3"]
COX_CASES = {
    "lung_efron": ("lung", LUNG),
    "lung_breslow": ("lung", {**LUNG, "ties": "breslow"}),
    "lung_efron_converged": ("lung", LUNG),
    "veteran_celltype": ("veteran", {**VET, "covariates": ["trt", "celltype", "karno"]}),
    "veteran_strata": ("veteran", {**VET, "covariates": ["trt", "karno"], "strata": "celltype"}),
    "rats_f_cluster": ("rats_f", {**VET, "covariates": ["rx"], "cluster": "litter"}),
    "rats_f_cluster_breslow": (
        "rats_f",
        {**VET, "covariates": ["rx"], "cluster": "litter", "ties": "breslow"},
    ),
    "rats_all_cluster": ("rats", {**VET, "covariates": ["rx", "sex"], "cluster": "litter"}),
    "vet2_timevarying": ("vet2", {**VET2, "covariates": TIMEVARYING}),
    "vet2_constant": ("vet2", {**VET2, "covariates": ["trt", "karno"]}),
    "vet2_timevarying_breslow": ("vet2", {**VET2, "covariates": TIMEVARYING, "ties": "breslow"}),
    "vet2_cluster_id": ("vet2", {**VET2, "covariates": TIMEVARYING, "cluster": "id"}),
}


def fit_cox(case_id: str, frames: dict) -> CoxResult:
    frame, kwargs = COX_CASES[case_id]
    return cox(frames[frame], **kwargs)


def cox_tolerance(case_id: str) -> float:
    if case_id == "lung_efron_converged":
        return RTOL_COX_CONVERGED
    return RTOL_COX.get(case_id, RTOL_COX_DEFAULT)


@pytest.mark.parametrize("case_id", list(COX_CASES))
def test_cox_matches_r(case_id: str, reference: dict, frames: dict) -> None:
    expected = reference["cox"][case_id]
    fit = fit_cox(case_id, frames)
    rtol = cox_tolerance(case_id)
    co = fit.coefficients
    assert co["term"].tolist() == labels(expected["terms"])
    assert fit.ties == expected["ties"]
    assert (fit.n, fit.n_events) == (expected["n"], expected["nevent"])
    for ours, theirs in (
        ("coef", "coef"),
        ("se", "se"),
        ("z", "z"),
        ("p_value", "p"),
        ("hazard_ratio", "hazard_ratio"),
        ("hr_low", "hr_low"),
        ("hr_high", "hr_high"),
    ):
        assert_close(co[ours], expected[theirs], rtol, ours)
    if "robust_se" in expected:
        assert_close(co["robust_se"], expected["robust_se"], rtol, "robust_se")
    else:
        assert "robust_se" not in co.columns
    assert_close([fit.loglik_null, fit.loglik], expected["loglik"], RTOL_EXACT, "loglik")
    assert_close(fit.concordance, expected["concordance"], RTOL_EXACT, "concordance")
    assert_close(fit.concordance_se, expected["concordance_se"], rtol, "se(C)")
    # pairs: concordant, discordant, tied on the linear predictor — exactly R's
    assert list(fit.concordance_counts.values()) == expected["concordance_counts"][:3]


def perturbed(frame: pd.DataFrame, kwargs: dict, how: str) -> tuple[pd.DataFrame, dict]:
    """The same model on data that makes a BLAS round differently (issue 11).

    ``reversed``: rows in reverse order (identical rows land in other SIMD
    blocks); ``columns``: covariates in reverse order (another summation order);
    ``scaled``: numeric covariates times 2 (exact; β halves, x β is unchanged).
    """
    kwargs = dict(kwargs)
    if how == "reversed":
        return frame.iloc[::-1].reset_index(drop=True), kwargs
    if how == "columns":
        kwargs["covariates"] = list(reversed(kwargs["covariates"]))
        return frame, kwargs
    frame = frame.copy()
    for name in kwargs["covariates"]:
        if pd.api.types.is_numeric_dtype(frame[name]):
            frame[name] = frame[name] * 2.0
    return frame, kwargs


@pytest.mark.parametrize("how", ["reversed", "columns", "scaled"])
@pytest.mark.parametrize("case_id", list(COX_CASES))
def test_cox_concordance_does_not_depend_on_rounding(
    case_id: str, how: str, reference: dict, frames: dict
) -> None:
    frame, kwargs = COX_CASES[case_id]
    data, changed = perturbed(frames[frame], kwargs, how)
    fit = cox(data, **changed)
    expected = reference["cox"][case_id]
    assert list(fit.concordance_counts.values()) == expected["concordance_counts"][:3]
    assert_close(fit.concordance, expected["concordance"], RTOL_EXACT, "concordance")
    assert_close(fit.concordance_se, expected["concordance_se"], cox_tolerance(case_id), "se")


def test_identical_rows_give_bit_identical_linear_predictors() -> None:
    from welcome_eval.survival._cox import _linear_predictor

    rng = np.random.default_rng(11)
    x = rng.normal(size=(1031, 5)) * [1.0, 30.0, 1e-3, 7.0, 1.0]
    x[:, 4] = np.round(x[:, 4])
    x[rng.permutation(1031)[:400]] = x[3]  # one row repeated at every kind of offset
    beta = rng.normal(size=5)
    for nudge in (0, 1, -3):  # a few ulps on β: the model is the same, ties must stay
        b = beta.copy()
        for _ in range(abs(nudge)):
            b = np.nextafter(b, np.inf if nudge > 0 else -np.inf)
        lp = _linear_predictor(x, b, x.mean(axis=0))
        same = (x == x[3]).all(axis=1)
        assert same.sum() >= 400
        assert len(np.unique(lp[same])) == 1
        # the same row alone, summed the way R's reference BLAS sums it
        alone = 0.0
        for j in range(5):
            alone = alone + x[3, j] * b[j]
        means = x.mean(axis=0)
        assert lp[3] == alone - math.fsum(float(b[j] * means[j]) for j in range(5))
        # and wherever the row sits in the matrix
        np.testing.assert_array_equal(_linear_predictor(x[same], b)[0], alone)


def _hexes(values: object) -> list[str]:
    return [float(v).hex() for v in values]


def _fingerprint(fit: CoxResult) -> dict:
    hexes = _hexes
    return {
        "coef": hexes(fit.coefficients["coef"]),
        "se": hexes(fit.coefficients["se"]),
        "robust_se": hexes(fit.coefficients.get("robust_se", [])),
        "loglik": float(fit.loglik).hex(),
        "concordance": fit.concordance.hex(),
        "concordance_se": fit.concordance_se.hex(),
        "counts": list(fit.concordance_counts.values()),
        "zph": hexes(fit.proportional_hazards_test()["chisq"]),
    }


def cox_fingerprint() -> dict[str, dict]:
    """Every reference Cox fit as exact hex floats, for comparing processes (issue 11)."""
    frames = read_frames(read_reference())
    out = {case_id: _fingerprint(cox(frames[f], **kw)) for case_id, (f, kw) in COX_CASES.items()}
    rows = read_register_rows()
    for case_id, (timevarying, ties) in REGISTER_COX_CASES.items():
        fit = cox(
            register_periods(rows, with_joins=timevarying),
            duration="stop",
            event="left_region",
            covariates=(["participating"] if timevarying else []) + REGISTER_COVARIATES,
            ties=ties,
            cluster="haushalt_id",
            entry="start" if timevarying else None,
        )
        out[f"register_{case_id}"] = _fingerprint(fit)
    return out


@pytest.mark.parametrize("case_id", [c for c in COX_CASES if "cluster" not in c])
def test_cox_zph_matches_r(case_id: str, reference: dict, frames: dict) -> None:
    expected = reference["cox"][case_id]["zph"]
    table = fit_cox(case_id, frames).proportional_hazards_test()
    assert table["term"].tolist() == expected["term"]
    np.testing.assert_array_equal(table["df"], values(expected["df"]))
    assert_close(table["chisq"], expected["chisq"], cox_tolerance(case_id), "chisq")
    assert_close(table["p_value"], expected["p"], cox_tolerance(case_id), "p")


def test_cox_split_data_equals_unsplit(veteran: pd.DataFrame, vet2: pd.DataFrame) -> None:
    split = cox(vet2, **VET2, covariates=["trt", "karno"])
    whole = cox(veteran, **VET, covariates=["trt", "karno"])
    for name in ("coef", "se", "p_value"):
        np.testing.assert_allclose(split.coefficients[name], whole.coefficients[name], rtol=1e-10)
    assert split.loglik == pytest.approx(whole.loglik, rel=1e-12)
    assert split.concordance == pytest.approx(whole.concordance, rel=1e-12)
    np.testing.assert_allclose(
        split.proportional_hazards_test()["chisq"],
        whole.proportional_hazards_test()["chisq"],
        rtol=1e-9,
    )


def test_cox_result_object(lung: pd.DataFrame) -> None:
    fit = cox(lung, **LUNG)
    assert fit.n_missing == 1
    assert list(fit.covariance.index) == ["age", "sex", "ph.ecog"]
    frame = fit.to_frame()
    assert frame.shape == (1, 8) and frame.loc[0, "n"] == 227
    for transform in ("rank", "identity", "log"):
        table = fit.proportional_hazards_test(transform)
        assert table["term"].tolist() == ["age", "sex", "ph.ecog", "GLOBAL"]
    with pytest.raises(ValueError, match="transform must be one of"):
        fit.proportional_hazards_test("spline")
    narrow = cox(lung, **LUNG, conf_level=0.9).coefficients
    assert (narrow["hr_low"] > fit.coefficients["hr_low"]).all()


# ---------------------------------------------------------------------------
# competing risks

AJ_CASES = {"mgus2_overall": None, "mgus2_sex": "sex"}


@pytest.mark.parametrize("case_id", list(AJ_CASES))
def test_cumulative_incidence_matches_r(case_id: str, reference: dict, mgus2) -> None:
    expected = reference["aj"][case_id]
    result = cumulative_incidence(
        mgus2,
        duration="etime",
        event="event",
        causes={1: "pcm", 2: "death"},
        group=AJ_CASES[case_id],
    )
    assert list(pd.unique(result["cause"])) == expected["states"]
    for state in expected["states"]:
        part = result[result["cause"] == state]
        assert labels(part["group"]) == labels(expected["group"])
        np.testing.assert_array_equal(part["time"], values(expected["time"]))
        np.testing.assert_array_equal(part["n_risk"], values(expected["n_risk"]))
        reference_state = expected[state]
        np.testing.assert_array_equal(part["n_event"], values(reference_state["n_event"]))
        assert_close(part["incidence"], reference_state["pstate"], RTOL_EXACT, "pstate")
        assert_close(part["se"], reference_state["std_err"], RTOL_EXACT, "std.err")
        assert_close(part["ci_low"], reference_state["lower"], RTOL_EXACT, "lower")
        assert_close(part["ci_high"], reference_state["upper"], RTOL_EXACT, "upper")


def test_cumulative_incidence_single_cause_is_one_minus_km(lung: pd.DataFrame) -> None:
    km = fit_kaplan_meier(lung, duration="time", event="event")
    ci = cumulative_incidence(lung, duration="time", event="event")
    np.testing.assert_allclose(ci["incidence"], 1 - km.table["survival"], rtol=1e-12, atol=1e-15)
    assert ci["cause"].unique().tolist() == ["1"]


# ---------------------------------------------------------------------------
# input checks


@pytest.fixture()
def small() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "t": [5.0, 8, 3, 9, 12, 4, 7, 10, 2, 6],
            "e": [1, 1, 1, 0, 1, 1, 0, 1, 1, 1],
            "x": [1.0, 0, 1, 0, 0, 1, 0, 1, 1, 0],
            "g": list("ababababab"),
        }
    )


def test_unknown_column(small: pd.DataFrame) -> None:
    with pytest.raises(KeyError, match=r"'years' not found in data; available columns: t, e"):
        fit_kaplan_meier(small, duration="years", event="e")
    with pytest.raises(KeyError, match="'grp'"):
        logrank(small, duration="t", event="e", group="grp")
    with pytest.raises(KeyError, match="'z'"):
        cox(small, duration="t", event="e", covariates=["x", "z"])
    with pytest.raises(KeyError, match="'hh'"):
        cox(small, duration="t", event="e", covariates="x", cluster="hh")
    with pytest.raises(KeyError, match="'cause'"):
        cumulative_incidence(small, duration="t", event="cause")


def test_negative_durations(small: pd.DataFrame) -> None:
    bad = small.assign(t=small["t"].where(small.index != 3, -1.0))
    for call in (
        lambda: fit_kaplan_meier(bad, duration="t", event="e"),
        lambda: logrank(bad, duration="t", event="e", group="g"),
        lambda: cox(bad, duration="t", event="e", covariates=["x"]),
        lambda: cumulative_incidence(bad, duration="t", event="e"),
    ):
        with pytest.raises(ValueError, match=r"1 negative value\(s\) \(smallest -1\)"):
            call()
    with pytest.raises(ValueError, match="expected numeric times"):
        fit_kaplan_meier(small.assign(t=small["t"].astype(str)), duration="t", event="e")


def test_event_must_be_zero_one(small: pd.DataFrame, lung: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match=r"coded 1 = event, 0 = censored; found 2\. Recode"):
        fit_kaplan_meier(lung, duration="time", event="status")
    with pytest.raises(ValueError, match="found 2"):
        cox(lung, duration="time", event="status", covariates=["age"])
    with pytest.raises(ValueError, match="found 2"):
        logrank(lung, duration="time", event="status", group="sex")
    with pytest.raises(ValueError, match="expected 1 = event"):
        fit_kaplan_meier(small.assign(e=list("yynyyynyyy")), duration="t", event="e")
    # bool events are fine
    as_bool = fit_kaplan_meier(small.assign(e=small["e"].astype(bool)), duration="t", event="e")
    pd.testing.assert_frame_equal(
        as_bool.table, fit_kaplan_meier(small, duration="t", event="e").table
    )


def test_competing_event_codes(small: pd.DataFrame) -> None:
    data = small.assign(e=[1, 2, 0, 1, 2, 0, 1, 1, 2, 0])
    with pytest.raises(ValueError, match=r"code\(s\) \[2\] that are not in causes"):
        cumulative_incidence(data, duration="t", event="e", causes={1: "moved"})
    with pytest.raises(ValueError, match="0 = censored and 1, 2"):
        cumulative_incidence(data.assign(e=data["e"] + 0.5), duration="t", event="e")
    with pytest.raises(ValueError, match="map event codes 1, 2"):
        cumulative_incidence(data, duration="t", event="e", causes={0: "none", 1: "a", 2: "b"})
    result = cumulative_incidence(data, duration="t", event="e", causes={1: "moved", 2: "left"})
    last = result.groupby("cause")["incidence"].last()
    km = fit_kaplan_meier(data.assign(any=data["e"] > 0), duration="t", event="any")
    assert last.sum() == pytest.approx(1 - km.table["survival"].iloc[-1], rel=1e-12)


def test_cox_input_checks(small: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="ties must be one of efron, breslow"):
        cox(small, duration="t", event="e", covariates=["x"], ties="exact")
    with pytest.raises(ValueError, match="collinear"):
        cox(small.assign(x2=2 * small["x"]), duration="t", event="e", covariates=["x", "x2"])
    with pytest.raises(ValueError, match="single level"):
        cox(small.assign(c="a"), duration="t", event="e", covariates=["x", "c"])
    with pytest.raises(ValueError, match="carry no information"):
        within = small.assign(s=small["x"])  # x is constant within each stratum
        cox(within, duration="t", event="e", covariates=["x"], strata="s")
    separated = pd.DataFrame({"t": [1.0, 2, 3, 4, 5, 6], "e": 1, "x": [1.0, 1, 1, 0, 0, 0]})
    with pytest.raises(ValueError, match="coefficient runs off to infinity"):
        cox(separated, duration="t", event="e", covariates=["x"])
    with pytest.raises(ValueError, match="no events"):
        cox(small.assign(e=0), duration="t", event="e", covariates=["x"])
    with pytest.raises(ValueError, match=r"start >= stop"):
        cox(small.assign(s=small["t"]), duration="t", event="e", covariates=["x"], start="s")
    with pytest.raises(ValueError, match="covariates is empty"):
        cox(small, duration="t", event="e", covariates=[])
    with pytest.raises(ValueError, match="conf_level"):
        cox(small, duration="t", event="e", covariates=["x"], conf_level=95)
    with pytest.raises(TypeError, match="DataFrame"):
        cox(small.to_dict(), duration="t", event="e", covariates=["x"])


def test_logrank_needs_two_groups(small: pd.DataFrame) -> None:
    with pytest.raises(ValueError, match="at least two"):
        logrank(small.assign(g="a"), duration="t", event="e", group="g")


def test_missing_values_are_left_out(small: pd.DataFrame) -> None:
    gappy = small.astype({"x": float}).copy()
    gappy.loc[0, "x"] = np.nan
    fit = cox(gappy, duration="t", event="e", covariates=["x"])
    again = cox(small.iloc[1:], duration="t", event="e", covariates=["x"])
    assert fit.n == 9 and fit.n_missing == 1
    np.testing.assert_allclose(fit.coefficients["coef"], again.coefficients["coef"], rtol=1e-12)


# --- the signature contract of issue 5 ------------------------------------------

CONTRACT = load_reference("survival_contract")


@pytest.mark.parametrize("conf_type", ["log", "log-log", "plain"])
def test_kaplan_meier_table_and_every_conf_type_match_r(lung: pd.DataFrame, conf_type) -> None:
    table = kaplan_meier(lung, duration="time", event="event", conf_type=conf_type)
    assert "group" not in table
    for column in ("time", "n_risk", "n_event", "survival", "se", "ci_low", "ci_high"):
        assert column in table
    ref = CONTRACT["km"][conf_type]
    np.testing.assert_allclose(table["time"], ref["time"], rtol=1e-12)
    np.testing.assert_allclose(table["survival"], ref["surv"], rtol=1e-12)
    low = np.array([np.nan if v in (None, "NA") else v for v in ref["lower"]], dtype=float)
    high = np.array([np.nan if v in (None, "NA") else v for v in ref["upper"]], dtype=float)
    np.testing.assert_allclose(table["ci_low"], low, rtol=1e-10, equal_nan=True)
    np.testing.assert_allclose(table["ci_high"], high, rtol=1e-10, equal_nan=True)


def test_kaplan_meier_at_requested_times_by_group_matches_r(lung: pd.DataFrame) -> None:
    table = kaplan_meier(lung, duration="time", event="event", by="sex", times=[100, 365, 730])
    ref = CONTRACT["km_times"]
    assert list(table["group"]) == [1, 1, 1, 2, 2, 2]
    np.testing.assert_allclose(table["survival"], ref["surv"], rtol=1e-12)
    np.testing.assert_allclose(table["se"], ref["std_err"], rtol=1e-10)
    np.testing.assert_allclose(table["ci_low"], ref["lower"], rtol=1e-10)
    beyond = kaplan_meier(lung, duration="time", event="event", times=[365, 5000])
    assert len(beyond) == 2 and np.isnan(beyond["survival"].iloc[1])


def test_median_stay_logrank_statistic_and_cox_lr_test_match_r(lung: pd.DataFrame) -> None:
    medians = median_stay(lung, duration="time", event="event", by="sex")
    assert medians["median"].tolist() == CONTRACT["median"]["median"]
    assert medians["ci_low"].tolist() == CONTRACT["median"]["lower"]
    assert medians["ci_high"].tolist() == CONTRACT["median"]["upper"]
    test = logrank(lung, duration="time", event="event", group="sex")
    assert test.statistic == pytest.approx(CONTRACT["logrank"]["statistic"], rel=1e-10)
    fit = cox(lung, duration="time", event="event", covariates=["age", "sex"])
    assert fit.lr_test["statistic"] == pytest.approx(CONTRACT["cox_lr"]["statistic"], rel=1e-7)
    assert fit.lr_test["df"] == CONTRACT["cox_lr"]["df"]
    assert fit.lr_test["p_value"] == pytest.approx(CONTRACT["cox_lr"]["p"], rel=1e-6)
    params = fit.params
    assert list(params.index) == ["age", "sex"]
    assert list(params.columns) == ["coef", "se", "hr", "ci_low", "ci_high", "p"]
    assert params.loc["sex", "hr"] == pytest.approx(np.exp(params.loc["sex", "coef"]))


def test_cox_entry_is_the_counting_process_keyword(lung: pd.DataFrame) -> None:
    data = lung.dropna(subset=["age"]).assign(begin=0.0)
    by_entry = cox(data, duration="time", event="event", covariates=["age"], entry="begin")
    by_start = cox(data, duration="time", event="event", covariates=["age"], start="begin")
    pd.testing.assert_frame_equal(by_entry.params, by_start.params)
    with pytest.raises(ValueError, match="once"):
        cox(data, duration="time", event="event", covariates=["age"], entry="begin", start="age")
    with pytest.raises(ValueError, match="conf_type"):
        kaplan_meier(lung, duration="time", event="event", conf_type="arcsin")


def test_entry_at_zero_gives_the_right_censored_fit(lung: pd.DataFrame) -> None:
    # Every row at risk from the first event time: the counting-process code path
    # must reproduce the plain fit, standard errors included.
    data = lung.dropna(subset=["age", "ph.ecog"]).assign(begin=0.0)
    covariates = ["age", "sex", "ph.ecog"]
    plain = cox(data, duration="time", event="event", covariates=covariates)
    counting = cox(data, duration="time", event="event", covariates=covariates, entry="begin")
    pd.testing.assert_frame_equal(plain.params, counting.params, rtol=1e-9)
    assert counting.loglik == pytest.approx(plain.loglik, rel=1e-12)


# ---------------------------------------------------------------------------
# an extract of the synthetic register (tests/reference/survival_register.R)

REGISTER_EXTRACT_DATE = "2025-12-31"
#: Issue 5: estimates and coefficients to 1e-6 (relative), standard errors to 1e-4.
#: The closed-form estimators agree much closer (RTOL_EXACT) and are held to that.
RTOL_ESTIMATE = 1e-6
RTOL_SE = 1e-4
REGISTER_CAUSES = {1: "within", 2: "region", 3: "death"}


def read_register_reference() -> dict:
    return load_reference("survival_register")


def read_register_rows() -> pd.DataFrame:
    data = pd.read_csv(
        REFERENCE / "survival_register.csv",
        dtype={"person_id": str, "haushalt_id": str, "ags": str, "kreis": str},
        parse_dates=["einzug", "auszug", "beitritt"],
    )
    for column in ("wegzug_ziel", "geburtsjahr", "herkunft", "fachkraft"):
        data[column] = data[column].astype("Int64")
    return data


@pytest.fixture(scope="module")
def register_reference() -> dict:
    return read_register_reference()


@pytest.fixture(scope="module")
def register_rows() -> pd.DataFrame:
    return read_register_rows()


@pytest.fixture(scope="module")
def register_stays_frame(register_rows: pd.DataFrame) -> pd.DataFrame:
    return register_stays(register_rows, extract_date=REGISTER_EXTRACT_DATE)


def register_periods(register_rows: pd.DataFrame, *, with_joins: bool) -> pd.DataFrame:
    """Cox rows as the R script builds them, by welcome_eval's own person_periods."""
    from welcome_eval.survival.programme_effect import person_periods

    record = register_rows.drop_duplicates("ags")[["ags", "beitritt"]]
    record = record.rename(columns={"beitritt": "joined"})
    if not with_joins:  # one row per person: nobody participates
        record = record.assign(joined=pd.NaT)
    return person_periods(register_rows, record, extract_date=REGISTER_EXTRACT_DATE)


def test_register_stays_reproduce_the_r_durations(
    register_reference: dict, register_stays_frame: pd.DataFrame
) -> None:
    inputs = register_reference["inputs"]
    assert len(register_stays_frame) == inputs["rows"]
    assert register_stays_frame["haushalt_id"].nunique() == inputs["households"]
    assert int(register_stays_frame["days"].sum()) == inputs["days_sum"]


def test_register_kaplan_meier_curve_matches_r(
    register_reference: dict, register_stays_frame: pd.DataFrame
) -> None:
    expected = register_reference["km"]["region"]["curve"]
    table = kaplan_meier(register_stays_frame, duration="years", event="left_region")
    assert_close(table["time"], expected["time"], RTOL_EXACT, "time")
    for column in ("n_risk", "n_event", "n_censor"):
        np.testing.assert_array_equal(table[column], values(expected[column]))
    assert_close(table["survival"], expected["surv"], RTOL_EXACT, "survival")
    assert_close(table["se_log"], expected["std_err"], RTOL_EXACT, "std_err")
    assert_close(table["ci_low"], expected["lower"], RTOL_EXACT, "lower")
    assert_close(table["ci_high"], expected["upper"], RTOL_EXACT, "upper")


REGISTER_KM_CASES = {
    "region": ("left_region", None),
    "kommune": ("left_municipality", None),
    "region_kreis": ("left_region", "kreis"),
}


@pytest.mark.parametrize("case_id", list(REGISTER_KM_CASES))
def test_register_kaplan_meier_at_times_and_median_match_r(
    case_id: str, register_reference: dict, register_stays_frame: pd.DataFrame
) -> None:
    event, by = REGISTER_KM_CASES[case_id]
    expected = register_reference["km"][case_id]
    summary = expected["summary"]
    table = kaplan_meier(
        register_stays_frame, duration="years", event=event, by=by, times=summary["times"]
    )
    if by is None:
        table.insert(0, "group", "all")
    table = table[table["survival"].notna()]  # R prints no row after a curve's end
    assert labels(table["group"]) == labels(summary["group"])
    assert_close(table["time"], summary["time"], 0, "time")
    for column in ("n_risk", "n_event", "n_censor"):
        np.testing.assert_array_equal(table[column], values(summary[column]))
    assert_close(table["survival"], summary["surv"], RTOL_EXACT, "survival")
    assert_close(table["se"], summary["std_err"], RTOL_EXACT, "se")
    assert_close(table["ci_low"], summary["lower"], RTOL_EXACT, "lower")
    assert_close(table["ci_high"], summary["upper"], RTOL_EXACT, "upper")
    medians = median_stay(register_stays_frame, duration="years", event=event, by=by)
    printed = expected["print"]
    np.testing.assert_array_equal(medians["n"], values(printed["n"]))
    np.testing.assert_array_equal(medians["n_events"], values(printed["events"]))
    assert_close(medians["median"], printed["median"], RTOL_EXACT, "median")
    assert_close(medians["ci_low"], printed["lcl"], RTOL_EXACT, "median lcl")
    assert_close(medians["ci_high"], printed["ucl"], RTOL_EXACT, "median ucl")


def test_register_retention_at_two_years_by_municipality_matches_r(
    register_reference: dict, register_stays_frame: pd.DataFrame
) -> None:
    summary = register_reference["km"]["region_ags"]["summary"]
    result = retention_at(
        register_stays_frame, duration="years", event="left_region", time=2, by="ags"
    )
    assert list(result.columns) == [
        "group",
        "time",
        "n",
        "n_risk",
        "n_event",
        "survival",
        "se",
        "ci_low",
        "ci_high",
    ]
    assert result["n"].tolist() == register_stays_frame.groupby("ags").size().tolist()
    shown = result[result["survival"].notna()]
    assert labels(shown["group"]) == labels(summary["group"])
    np.testing.assert_array_equal(shown["n_risk"], values(summary["n_risk"]))
    assert_close(shown["survival"], summary["surv"], RTOL_EXACT, "survival")
    assert_close(shown["se"], summary["std_err"], RTOL_EXACT, "se")
    assert_close(shown["ci_low"], summary["lower"], RTOL_EXACT, "lower")
    assert_close(shown["ci_high"], summary["upper"], RTOL_EXACT, "upper")
    # events up to two years, counted directly
    within = register_stays_frame[register_stays_frame["years"] <= 2]
    direct = within.groupby("ags")["left_region"].sum()
    assert (
        result.set_index("group")["n_event"].to_dict()
        == direct.reindex(result["group"], fill_value=0).to_dict()
    )


REGISTER_LOGRANK_CASES = {
    "herkunft": ("herkunft", None),
    "herkunft_strata_kreis": ("herkunft", "kreis"),
    "fachkraft": ("fachkraft", None),
}


@pytest.mark.parametrize("case_id", list(REGISTER_LOGRANK_CASES))
def test_register_logrank_matches_r(
    case_id: str, register_reference: dict, register_stays_frame: pd.DataFrame
) -> None:
    group, strata = REGISTER_LOGRANK_CASES[case_id]
    expected = register_reference["logrank"][case_id]
    result = logrank(
        register_stays_frame, duration="years", event="left_region", group=group, strata=strata
    )
    assert labels(result.table["group"]) == labels(expected["group"])
    np.testing.assert_array_equal(result.table["n"], values(expected["n"]))
    np.testing.assert_array_equal(result.table["observed"], values(expected["observed"]))
    assert_close(result.table["expected"], expected["expected"], RTOL_EXACT, "expected")
    assert_close(result.variance.to_numpy(), expected["var"], RTOL_EXACT, "var")
    assert_close(result.statistic, expected["chisq"], RTOL_EXACT, "chisq")
    assert result.df == expected["df"]
    assert_close(result.p_value, expected["p"], RTOL_EXACT, "p")


REGISTER_COX_CASES = {
    "person_efron": (False, "efron"),
    "person_breslow": (False, "breslow"),
    "timevarying_efron": (True, "efron"),
    "timevarying_breslow": (True, "breslow"),
}
REGISTER_COVARIATES = ["altersgruppe", "herkunft", "fachkraft", "kinder_im_haushalt"]


@pytest.mark.parametrize("case_id", list(REGISTER_COX_CASES))
def test_register_cox_matches_r(
    case_id: str, register_reference: dict, register_rows: pd.DataFrame
) -> None:
    timevarying, ties = REGISTER_COX_CASES[case_id]
    expected = register_reference["cox"][case_id]
    periods = register_periods(register_rows, with_joins=timevarying)
    assert (
        len(periods) == register_reference["inputs"]["period_rows" if timevarying else "cox_rows"]
    )
    covariates = (["participating"] if timevarying else []) + REGISTER_COVARIATES
    assert periods["altersgruppe"].cat.categories.tolist() == labels(
        register_reference["inputs"]["altersgruppe_levels"]
    )
    fit = cox(
        periods,
        duration="stop",
        event="left_region",
        covariates=covariates,
        ties=ties,
        cluster="haushalt_id",
        entry="start" if timevarying else None,
    )
    co = fit.coefficients
    assert co["term"].tolist() == labels(expected["terms"])
    assert (fit.n, fit.n_events) == (expected["n"], expected["nevent"])
    for ours, theirs, rtol in (
        ("coef", "coef", RTOL_ESTIMATE),
        ("hazard_ratio", "hazard_ratio", RTOL_ESTIMATE),
        ("se", "se", RTOL_SE),
        ("robust_se", "robust_se", RTOL_SE),
        ("z", "z", RTOL_SE),
        ("p_value", "p", RTOL_SE),
        ("hr_low", "hr_low", RTOL_SE),
        ("hr_high", "hr_high", RTOL_SE),
    ):
        assert_close(co[ours], expected[theirs], rtol, ours)
    assert_close([fit.loglik_null, fit.loglik], expected["loglik"], RTOL_ESTIMATE, "loglik")
    assert_close(fit.concordance, expected["concordance"], RTOL_ESTIMATE, "concordance")
    assert_close(fit.concordance_se, expected["concordance_se"], RTOL_SE, "concordance se")
    zph = fit.proportional_hazards_test()
    assert zph["term"].tolist() == labels(expected["zph"]["term"])
    np.testing.assert_array_equal(zph["df"], values(expected["zph"]["df"]))
    assert_close(zph["chisq"], expected["zph"]["chisq"], RTOL_ESTIMATE, "zph chisq")
    assert_close(zph["p_value"], expected["zph"]["p"], RTOL_SE, "zph p")


def test_register_timevarying_cox_is_the_programme_effect_check(
    register_reference: dict, register_rows: pd.DataFrame
) -> None:
    """individual_cox_effect is the model of case timevarying_efron."""
    from welcome_eval.survival.programme_effect import individual_cox_effect

    record = register_rows.drop_duplicates("ags")[["ags", "beitritt"]]
    fit = individual_cox_effect(
        register_rows,
        record.rename(columns={"beitritt": "joined"}),
        extract_date=REGISTER_EXTRACT_DATE,
    )
    expected = register_reference["cox"]["timevarying_efron"]
    assert_close(fit.coefficients["coef"], expected["coef"], RTOL_ESTIMATE, "coef")
    assert_close(fit.coefficients["robust_se"], expected["robust_se"], RTOL_SE, "robust se")


@pytest.mark.parametrize("case_id", ["overall", pytest.param("kreis", marks=pytest.mark.slow)])
def test_register_cumulative_incidence_matches_r(
    case_id: str, register_reference: dict, register_stays_frame: pd.DataFrame
) -> None:
    expected = register_reference["aj"][case_id]
    by = None if case_id == "overall" else "kreis"
    ci = cumulative_incidence(
        register_stays_frame,
        duration="years",
        event="end_type",
        causes=REGISTER_CAUSES,
        group=by,
    )
    times = values(expected["time"])
    groups = labels(expected["group"])
    for cause in REGISTER_CAUSES.values():
        rows = []
        for group, t in zip(groups, times, strict=True):
            curve = ci[(ci["cause"] == cause) & (ci["group"].astype(str) == group)]
            rows.append(curve[curve["time"] <= t].iloc[-1])  # the step function at t
        found = pd.DataFrame(rows)
        theirs = expected[cause]
        assert_close(found["incidence"], theirs["pstate"], RTOL_EXACT, f"{cause} pstate")
        assert_close(found["se"], theirs["std_err"], RTOL_EXACT, f"{cause} std_err")
        assert_close(found["ci_low"], theirs["lower"], RTOL_EXACT, f"{cause} lower")
        assert_close(found["ci_high"], theirs["upper"], RTOL_EXACT, f"{cause} upper")
    stays = register_stays_frame
    in_group = [
        np.ones(len(stays), bool) if by is None else (stays[by] == g).to_numpy() for g in groups
    ]
    at_risk = [int((stays["years"][m] >= t).sum()) for m, t in zip(in_group, times, strict=True)]
    np.testing.assert_array_equal(at_risk, values(expected["n_risk"]))
    # the same through times= (R's summary(fit, times)): no row after a group's end
    at = cumulative_incidence(
        stays,
        duration="years",
        event="end_type",
        causes=REGISTER_CAUSES,
        group=by,
        times=expected["times"],
    )
    for cause in REGISTER_CAUSES.values():
        mine = at[(at["cause"] == cause) & at["incidence"].notna()]
        assert labels(mine["group"]) == groups
        assert_close(mine["time"], expected["time"], 0, "time")
        assert_close(mine["incidence"], expected[cause]["pstate"], RTOL_EXACT, "pstate")
        assert_close(mine["ci_high"], expected[cause]["upper"], RTOL_EXACT, "upper")
        np.testing.assert_array_equal(mine["n_risk"], values(expected["n_risk"]))


def test_retention_at_checks_and_groups_that_ended_early() -> None:
    df = pd.DataFrame(
        {"t": [1.0, 2, 3, 4, 0.5, 1.5], "e": [1, 0, 1, 0, 1, 0], "g": ["a"] * 4 + ["b"] * 2}
    )
    result = retention_at(df, duration="t", event="e", time=2.5, by="g").set_index("group")
    # group b's last observation (1.5) is before 2.5: no estimate there, as in R
    assert result.loc["b", "n"] == 2 and result.loc["b", "n_risk"] == 0
    assert math.isnan(result.loc["b", "survival"]) and result.loc["b", "n_event"] == 1
    assert result.loc["a", "survival"] == pytest.approx(0.75)  # 1 - 1/4
    assert result.loc["a", "se"] == pytest.approx(0.75 * math.sqrt(1 / (4 * 3)))
    for bad, error in (
        (-1, ValueError),
        (math.inf, ValueError),
        (True, TypeError),
        ("2", TypeError),
    ):
        with pytest.raises(error, match="time must be"):
            retention_at(df, duration="t", event="e", time=bad)


# ---------------------------------------------------------------------------
# the modules by topic behind the front door


TOPIC_MODULES = ("stays", "_kaplan_meier", "_logrank", "_cox", "competing_risks")


def test_front_door_re_exports_the_topic_modules_objects() -> None:
    import ast
    import importlib

    from welcome_eval import survival
    from welcome_eval.survival import retention

    modules = {
        name: importlib.import_module(f"welcome_eval.survival.{name}") for name in TOPIC_MODULES
    }
    common = importlib.import_module("welcome_eval.survival._common")
    defined = {}
    for module in (*modules.values(), common):
        assert module.__doc__ and module.__doc__.strip(), module.__name__
        assert module.__all__, module.__name__
        for name in module.__all__:
            assert name not in defined, f"{name} in {module.__name__} and {defined.get(name)}"
            defined[name] = module.__name__
    # the front door defines nothing itself: each public name is the object of its module
    tree = ast.parse(Path(retention.__file__).read_text(encoding="utf-8"))
    assert not [n for n in tree.body if isinstance(n, ast.FunctionDef | ast.ClassDef)]
    for name in retention.__all__:
        home = importlib.import_module(defined[name])
        assert getattr(retention, name) is getattr(home, name), name
    for name in ("cox", "kaplan_meier", "logrank", "fit_kaplan_meier", "register_stays"):
        assert getattr(survival, name) is getattr(retention, name), name
    assert set(survival.__all__) - set(TOPIC_MODULES) - {
        "programme_effect",
        "retention",
        "retention_duckdb",
    } <= set(retention.__all__)
    # functions and classes live in the module that exports them
    for name, where in defined.items():
        value = getattr(importlib.import_module(where), name)
        if callable(value) and hasattr(value, "__module__") and name != "Data":
            assert value.__module__ == where, (name, value.__module__)


def test_kaplan_meier_table_is_the_table_of_fit_kaplan_meier(small: pd.DataFrame) -> None:
    fit = fit_kaplan_meier(small, duration="t", event="e", by="g")
    pd.testing.assert_frame_equal(kaplan_meier(small, duration="t", event="e", by="g"), fit.table)
    single = fit_kaplan_meier(small, duration="t", event="e")
    pd.testing.assert_frame_equal(
        kaplan_meier(small, duration="t", event="e"), single.table.drop(columns="group")
    )
