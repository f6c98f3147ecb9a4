"""Cronbach's alpha and proportion intervals against psych / base-R reference values.

The reference values come from ``tests/reference/reliability.R`` (run it with
``Rscript tests/reference/reliability.R`` from the repository root); R is not
needed to run these tests. Alpha and its parts are closed-form, so they are
required to agree to 1e-10 (the brief's minimum is 1e-6 on estimates and 1e-4
on standard errors; the achieved agreement is about 1e-14).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from _reference import load_reference

from welcome_eval import stats
from welcome_eval.ingest.codebook import Codebook

RTOL = 1e-10
ATOL = 1e-14

METHODS = {
    "wilson": "wilson",
    "clopper-pearson": "clopper_pearson",
    "agresti-coull": "agresti_coull",
    "wald": "wald",
}


@pytest.fixture(scope="module")
def reference() -> dict:
    return load_reference("reliability")


@pytest.fixture(scope="module")
def bfi(bfi_data: pd.DataFrame) -> pd.DataFrame:
    return bfi_data


def close(actual, expected, rtol: float = RTOL) -> None:
    np.testing.assert_allclose(
        np.asarray(actual, dtype=float), np.asarray(expected, dtype=float), rtol=rtol, atol=ATOL
    )


def _case(reference: dict, name: str) -> dict:
    return next(case for case in reference["alpha"] if case["name"] == name)


# ---------------------------------------------------------------------------
# agreement with psych::alpha


@pytest.mark.parametrize(
    "name", ["agree", "agree_raw", "consc", "agree_listwise", "consc_listwise"]
)
def test_cronbach_alpha_matches_psych(reference, bfi, name):
    case = _case(reference, name)
    policy = "listwise" if case["listwise"] else "pairwise"
    result = stats.cronbach_alpha(bfi[case["items"]], reverse=case["reverse"], nan_policy=policy)
    assert (result.n, result.n_items) == (case["n"], case["n_items"])
    assert result.nan_policy == policy and result.ci == 0.95
    close(
        [result.alpha, result.std_alpha, result.ci_low, result.ci_high, result.mean, result.sd],
        [
            case["raw_alpha"],
            case["std_alpha"],
            case["feldt_low"],
            case["feldt_high"],
            case["mean"],
            case["sd"],
        ],
    )
    close(result.ase, case["ase"])
    items = result.items
    assert list(items.columns) == [
        "item",
        "reversed",
        "n",
        "mean",
        "r_drop",
        "alpha_if_deleted",
        "std_alpha_if_deleted",
    ]
    assert items["item"].tolist() == case["items"]
    assert items.loc[items["reversed"], "item"].tolist() == case["reverse"]
    assert items["n"].tolist() == case["item_n"]
    close(items["r_drop"], case["r_drop"])
    close(items["alpha_if_deleted"], case["alpha_if_deleted"])
    close(items["std_alpha_if_deleted"], case["std_alpha_if_deleted"])
    close(items["mean"], case["item_mean"])


@pytest.mark.parametrize("name", ["agree", "consc_listwise"])
def test_cronbach_alpha_ci_level_matches_psych_alpha_ci(reference, bfi, name):
    case = _case(reference, name)
    policy = "listwise" if case["listwise"] else "pairwise"
    result = stats.cronbach_alpha(
        bfi[case["items"]], reverse=case["reverse"], nan_policy=policy, conf_level=0.90
    )
    close([result.ci_low, result.ci_high], [case["feldt90_low"], case["feldt90_high"]])
    assert result.ci_low < result.alpha < result.ci_high


def test_listwise_uses_row_count_after_dropping(reference, bfi):
    case = _case(reference, "agree_listwise")
    result = stats.cronbach_alpha(bfi[case["items"]], reverse=["A1"], nan_policy="listwise")
    complete = int(bfi[case["items"]].notna().all(axis=1).sum())
    assert result.n == complete == case["n"] < len(bfi)
    assert (result.items["n"] == complete).all()


def test_alpha_for_construct_takes_reverse_keys_from_codebook(reference, bfi):
    scale = {"type": "likert", "values": {code: str(code) for code in range(1, 7)}}
    codebook = Codebook.from_dict(
        {
            "survey": "bfi",
            "respondent_id": "id",
            "scales": {"agree6": scale},
            "items": [{"id": "id", "type": "id"}]
            + [
                {
                    "id": f"A{i}",
                    "type": "likert",
                    "scale": "agree6",
                    "construct": "agreeableness",
                    "reverse": i == 1,
                }
                for i in range(1, 6)
            ]
            + [{"id": "C1", "type": "likert", "scale": "agree6", "construct": "single"}],
        }
    )
    case = _case(reference, "agree")
    result = stats.alpha_for_construct(bfi, "agreeableness", codebook=codebook)
    assert result.items["item"].tolist() == case["items"]
    assert result.items["reversed"].tolist() == [True, False, False, False, False]
    close(
        [result.alpha, result.std_alpha, result.mean],
        [case["raw_alpha"], case["std_alpha"], case["mean"]],
    )
    listwise = stats.alpha_for_construct(
        bfi, "agreeableness", codebook=codebook, nan_policy="listwise"
    )
    close(listwise.alpha, _case(reference, "agree_listwise")["raw_alpha"])
    with pytest.raises(ValueError, match=r"'single'.*1 item"):
        stats.alpha_for_construct(bfi, "single", codebook=codebook)
    with pytest.raises(TypeError, match="reverse"):
        stats.alpha_for_construct(bfi, "agreeableness", codebook=codebook, reverse=["A2"])
    with pytest.raises(ValueError, match=r"'A3'.*-9"):
        stats.alpha_for_construct(
            bfi.assign(A3=bfi["A3"].fillna(-9.0)), "agreeableness", codebook=codebook
        )


# ---------------------------------------------------------------------------
# behaviour


def test_reverse_keys_change_alpha_as_expected(bfi):
    items = bfi[[f"A{i}" for i in range(1, 6)]]
    keyed = stats.cronbach_alpha(items, reverse=["A1"])
    raw = stats.cronbach_alpha(items)
    # A1 correlates negatively with A2-A5: keying it raises alpha and makes its r_drop positive
    assert keyed.alpha > raw.alpha + 0.2
    assert raw.items.loc[0, "r_drop"] < 0 < keyed.items.loc[0, "r_drop"]
    assert keyed.items.loc[0, "r_drop"] == pytest.approx(-raw.items.loc[0, "r_drop"], rel=0.5)
    # reversing every item is a sign change of all covariances: alpha is unchanged
    everything = stats.cronbach_alpha(items, reverse=list(items.columns))
    assert everything.alpha == pytest.approx(raw.alpha, rel=1e-12)
    # the reversed item mean mirrors the original on the 1-6 scale
    assert keyed.items.loc[0, "mean"] == pytest.approx(7 - items["A1"].mean(), rel=1e-12)


def test_scale_sets_the_reverse_keying_ends():
    data = pd.DataFrame({"a": [2.0, 3, 4, 3], "b": [4.0, 3, 2, 3]})  # a 1-5 scale, 1 and 5 unused
    observed = stats.cronbach_alpha(data, reverse=["b"])  # ends from the data: 2 and 4
    scaled = stats.cronbach_alpha(data, reverse=["b"], scale=(1, 5))
    assert observed.alpha == pytest.approx(scaled.alpha, rel=1e-12) == 1.0
    assert observed.items.loc[1, "mean"] == 3.0 and scaled.items.loc[1, "mean"] == 3.0
    shifted = pd.DataFrame({"a": [2.0, 3, 4, 4], "b": [4.0, 3, 2, 2]})
    assert stats.cronbach_alpha(shifted, reverse=["b"]).items.loc[1, "mean"] == 3.25  # 6 - b
    assert stats.cronbach_alpha(shifted, reverse=["b"], scale=(1, 5)).items.loc[1, "mean"] == 3.25
    assert stats.cronbach_alpha(shifted, reverse=["b"], scale=(1, 7)).items.loc[1, "mean"] == 5.25
    with pytest.raises(ValueError, match="outside scale"):
        stats.cronbach_alpha(shifted, reverse=["b"], scale=(3, 5))


def test_pairwise_ignores_rows_without_any_answer():
    data = pd.DataFrame({"a": [1.0, 2, 3, 4, np.nan], "b": [2.0, 1, 4, 3, np.nan]})
    result = stats.cronbach_alpha(data)
    assert result.n == 4
    assert result.alpha == stats.cronbach_alpha(data.dropna()).alpha


def test_two_items_alpha_if_deleted_is_nan():
    data = pd.DataFrame({"a": [1.0, 2, 3, 4, 5], "b": [2.0, 1, 4, 3, 5]})
    result = stats.cronbach_alpha(data)
    assert result.items["alpha_if_deleted"].isna().all()
    r = np.corrcoef(data["a"], data["b"])[0, 1]
    close(result.items["r_drop"], [r, r])
    frame = result.to_frame()
    assert frame.shape == (1, 11) and frame.loc[0, "alpha"] == result.alpha


def test_cronbach_alpha_input_checks():
    data = pd.DataFrame({"a": [1.0, 2, 3], "b": [2.0, 3, 3], "c": [1.0, 1, 2]})
    with pytest.raises(KeyError, match="'nicht_da'"):
        stats.cronbach_alpha(data, reverse=["nicht_da"])
    with pytest.raises(ValueError, match="at least 2 items"):
        stats.cronbach_alpha(data[["a"]])
    with pytest.raises(ValueError, match=r"'b'.*expected numeric"):
        stats.cronbach_alpha(data.assign(b=["gut", "mittel", "gut"]))
    with pytest.raises(ValueError, match=r"'c'.*no variance"):
        stats.cronbach_alpha(data.assign(c=2.0))
    with pytest.raises(ValueError, match="never answered together"):
        stats.cronbach_alpha(
            pd.DataFrame({"a": [1.0, 2, np.nan, np.nan], "b": [np.nan, np.nan, 1.0, 3]})
        )
    with pytest.raises(ValueError, match="nan_policy"):
        stats.cronbach_alpha(data, nan_policy="drop")
    with pytest.raises(ValueError, match="conf_level must"):
        stats.cronbach_alpha(data, conf_level=95)
    with pytest.raises(ValueError, match="scale must"):
        stats.cronbach_alpha(data, scale=(5, 1))
    with pytest.raises(ValueError, match="at least 2 respondents"):
        stats.cronbach_alpha(data.iloc[:1])
    with pytest.raises(TypeError, match="DataFrame"):
        stats.cronbach_alpha(data.to_numpy())


# ---------------------------------------------------------------------------
# proportion intervals


@pytest.mark.parametrize("method", list(METHODS))
def test_proportion_ci_matches_r(reference, method):
    assert len(reference["proportion"]) >= 6
    for case in reference["proportion"]:
        low, high = stats.proportion_ci(
            case["x"], case["n"], method=method, conf_level=case["conf_level"]
        )
        close([low, high], case[METHODS[method]])
        assert 0 <= low <= case["x"] / case["n"] <= high <= 1


def test_proportion_ci_edge_cases():
    assert stats.proportion_ci(0, 10, method="clopper-pearson")[0] == 0.0
    assert stats.proportion_ci(10, 10, method="clopper-pearson")[1] == 1.0
    assert stats.proportion_ci(0, 10, method="wald") == (0.0, 0.0)
    assert stats.proportion_ci(np.int64(3), np.int64(10)) == stats.proportion_ci(3, 10)
    with pytest.raises(ValueError, match="n must be at least 1"):
        stats.proportion_ci(0, 0)
    with pytest.raises(ValueError, match="between 0 and n=5"):
        stats.proportion_ci(6, 5)
    with pytest.raises(ValueError, match="whole number"):
        stats.proportion_ci(2.5, 5)
    with pytest.raises(ValueError, match="method"):
        stats.proportion_ci(2, 5, method="jeffreys")
    with pytest.raises(ValueError, match="level"):
        stats.proportion_ci(2, 5, conf_level=95)


def test_top_box_agrees_with_proportion_ci(bfi):
    # top_box keeps its own statsmodels call (so its results stay bit-identical); away from
    # x = 0 and x = n both give the same interval.
    codebook = Codebook.from_dict(
        {
            "survey": "bfi",
            "respondent_id": "id",
            "scales": {"s6": {"type": "likert", "values": {c: str(c) for c in range(1, 7)}}},
            "items": [{"id": "id", "type": "id"}, {"id": "A2", "type": "likert", "scale": "s6"}],
        }
    )
    for method in ("wilson", "clopper-pearson"):
        row = stats.top_box(bfi, ["A2"], codebook=codebook, method=method).iloc[0]
        assert (row.ci_low, row.ci_high) == stats.proportion_ci(
            int(row["count"]), int(row["n"]), method=method
        )
