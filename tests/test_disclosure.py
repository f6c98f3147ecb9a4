"""Statistical disclosure control: thresholds, secondary suppression, audit, waves, guards."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from welcome_eval.publish.disclosure import (
    DEFAULT_MARK,
    FOOTNOTE_DE,
    DisclosureError,
    ForbiddenCrossTabulation,
    audit,
    check_forbidden,
    consistent_across,
    feasibility_intervals,
    footnote_de,
    suppress,
)


def with_totals(inner: pd.DataFrame, label: str = "Gesamt") -> pd.DataFrame:
    table = inner.copy()
    table[label] = table.sum(axis=1)
    table.loc[label] = table.sum(axis=0)
    return table


@pytest.fixture
def districts() -> pd.DataFrame:
    """Districts × answers; Olpe has a single small cell that its totals give away."""
    inner = pd.DataFrame(
        {"zufrieden": [40, 25, 3, 30], "teils": [12, 9, 8, 11], "unzufrieden": [6, 7, 9, 8]},
        index=pd.Index(["Siegen-Wittgenstein", "Hochsauerland", "Olpe", "Soest"], name="district"),
    )
    inner.columns.name = "answer"
    return with_totals(inner)


# ---------------------------------------------------------------------------
# primary suppression


def test_tidy_threshold_four_hidden_five_shown() -> None:
    t = pd.DataFrame({"n": [4, 5], "share": [0.25, 0.4], "mean": [3.0, 2.5]}, index=["A", "B"])
    s = suppress(t, counts="n", min_n=5)
    assert s.suppressed.loc["A"].all()
    assert not s.suppressed.loc["B"].any()
    assert math.isnan(s.table.loc["A", "share"]) and math.isnan(s.table.loc["A", "mean"])
    assert s.table.loc["B", "share"] == 0.4
    assert set(s.reason.loc["A"]) == {"primary"}
    assert s.kind == "tidy"


def test_two_way_threshold_four_hidden_five_shown() -> None:
    inner = pd.DataFrame({"a": [4, 5, 20], "b": [20, 20, 20]}, index=["x", "y", "z"])
    s = suppress(inner, min_n=5)
    assert s.reason.loc["x", "a"] == "primary"
    assert s.reason.loc["y", "a"] != "primary"
    assert audit(s).empty


def test_tidy_keeps_key_columns_and_can_show_counts() -> None:
    t = pd.DataFrame(
        {"district": ["Olpe", "Soest"], "n": [2, 30], "share": [0.5, 0.3]},
    )
    s = suppress(t, counts="n", hide_counts=False)
    assert s.table.loc[0, "district"] == "Olpe"
    assert s.table.loc[0, "n"] == 2
    assert not s.suppressed.loc[0, "n"] and s.suppressed.loc[0, "share"]
    shown = s.display()
    assert shown.loc[0, "share"] == DEFAULT_MARK
    assert shown.loc[0, "n"] == 2
    assert shown.loc[1, "share"] == 0.3


def test_tidy_values_selection_and_count_mapping() -> None:
    t = pd.DataFrame(
        {"n_q1": [3, 40], "q1": [0.3, 0.6], "n_q2": [10, 40], "q2": [2.1, 2.4]},
        index=["A", "B"],
    )
    s = suppress(t, counts={"q1": "n_q1", "q2": "n_q2"})
    assert s.suppressed.loc["A", "q1"] and s.suppressed.loc["A", "n_q1"]
    assert not s.suppressed.loc["A", "q2"] and not s.suppressed.loc["A", "n_q2"]
    only_q1 = suppress(t, counts="n_q1", values=["q1"])
    assert not only_q1.suppressed.loc["A", "q2"]


def test_tidy_total_row_gets_secondary_group() -> None:
    # mean of the hidden group = (N·total − Σ n·mean) / n would be recoverable
    t = pd.DataFrame(
        {"n": [3, 20, 12, 35], "mean": [1.0, 2.0, 3.0, 2.2]},
        index=["Olpe", "Soest", "Siegen", "Gesamt"],
    )
    s = suppress(t, counts="n", totals=["Gesamt"])
    assert s.reason.loc["Olpe", "mean"] == "primary"
    assert s.reason.loc["Siegen", "mean"] == "secondary"  # the smallest n besides Olpe
    assert not s.suppressed.loc["Gesamt"].any()
    assert not s.suppressed.loc["Soest"].any()


def test_tidy_total_row_in_key_column() -> None:
    t = pd.DataFrame({"district": ["Olpe", "Soest", "Gesamt"], "n": [3, 20, 23], "x": [1, 2, 3]})
    s = suppress(t, counts="n", totals=["Gesamt"])
    assert s.reason["x"].tolist() == ["primary", "secondary", ""]
    with pytest.raises(DisclosureError, match="drop the total row"):
        suppress(t.iloc[[0, 2]].assign(n=[3, 3]), counts="n", totals=["Gesamt"])


def test_zeros_shown_except_in_small_rows() -> None:
    inner = pd.DataFrame(
        {"a": [0, 3, 20, 15], "b": [30, 0, 20, 15], "c": [25, 0, 20, 15]},
        index=["big", "small", "p", "q"],
    )
    s = suppress(inner)
    assert not s.suppressed.loc["big", "a"]  # a zero in a large row is not disclosive
    # row total 3 < 5: all of its cells, zeros included, are primary
    assert (s.reason.loc["small"] == "primary").all()
    assert audit(s).empty


# ---------------------------------------------------------------------------
# secondary suppression and the audit


def test_single_small_cell_is_recoverable_without_secondary(districts: pd.DataFrame) -> None:
    naive = districts.astype(float)
    naive.loc["Olpe", "zufrieden"] = np.nan  # primary suppression only
    found = audit(naive, totals=["Gesamt"])
    assert found.to_dict("records") == [
        {"row": "Olpe", "column": "zufrieden", "value": 3.0, "method": "subtraction"}
    ]


def test_secondary_suppression_defeats_subtraction_and_lp(districts: pd.DataFrame) -> None:
    s = suppress(districts, totals=["Gesamt"])
    assert s.reason.loc["Olpe", "zufrieden"] == "primary"
    assert (s.reason == "secondary").to_numpy().sum() >= 3
    inner_mask = s.suppressed.drop(index="Gesamt", columns="Gesamt")
    assert (inner_mask.sum(axis=0).isin([0]) | (inner_mask.sum(axis=0) >= 2)).all()
    assert (inner_mask.sum(axis=1).isin([0]) | (inner_mask.sum(axis=1) >= 2)).all()
    assert not s.suppressed.loc["Gesamt"].any() and not s.suppressed["Gesamt"].any()
    assert audit(s).empty
    # the attacker's view: the published table alone, totals included
    assert audit(s.table, totals=["Gesamt"]).empty
    bounds = feasibility_intervals(s.table, totals=["Gesamt"])
    assert ((bounds["upper"] - bounds["lower"]) >= 2 - 1e-9).all()
    olpe = bounds.set_index(["row", "column"]).loc[("Olpe", "zufrieden")]
    assert olpe["lower"] <= 3 <= olpe["upper"]


def test_protection_range_beyond_exact_recovery() -> None:
    # Hiding the 2×2 block leaves each cell in [0, 1]: not pinned, but narrower than
    # the required width 2, so suppress() hides more.
    tight = pd.DataFrame([[1, 0, 10], [0, 1, 10], [10, 10, 4]], dtype=float)
    pub = with_totals(tight).astype(float)
    for cell in [(0, 0), (0, 1), (1, 0), (1, 1)]:
        pub.loc[cell] = np.nan
    intervals = feasibility_intervals(pub, totals=["Gesamt"])
    assert np.allclose(intervals["upper"] - intervals["lower"], 1)
    assert audit(pub, totals=["Gesamt"]).empty
    s = suppress(tight)
    widths = feasibility_intervals(s)
    assert ((widths["upper"] - widths["lower"]) >= 2 - 1e-9).all()
    assert s.suppressed.to_numpy().sum() > 2


def test_lp_pins_cell_when_partner_is_zero() -> None:
    # Two hidden cells in every row and column, but the partners in column 1 are
    # zeros: x ≥ 0 forces them to 0 and the 3 is recovered (no simple subtraction).
    inner = pd.DataFrame([[3, 0, 9], [5, 0, 9], [9, 9, 9]], dtype=float)
    pub = with_totals(inner).astype(float)
    pub.loc[0, 0] = pub.loc[0, 1] = pub.loc[1, 0] = pub.loc[1, 1] = np.nan
    found = audit(pub, totals=["Gesamt"])
    assert (0, 0, 3.0) in set(zip(found["row"], found["column"], found["value"], strict=True))
    assert set(found["method"]) == {"linear programme"}
    assert audit(suppress(inner)).empty


#: Small count tables: 2–5 rows, 2–4 columns, counts 0–14.
TABLES = st.integers(2, 5).flatmap(
    lambda rows: st.integers(2, 4).flatmap(
        lambda cols: st.lists(
            st.lists(st.integers(0, 14), min_size=cols, max_size=cols),
            min_size=rows,
            max_size=rows,
        )
    )
)
#: Examples per run: a few in the fast tier, the full number in the slow one.
FAST_EXAMPLES, FULL_EXAMPLES = 10, 60
_PROPERTY = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


@settings(_PROPERTY, max_examples=FAST_EXAMPLES)
@given(TABLES)
def test_property_audit_recovers_nothing(cells: list[list[int]]) -> None:
    check_audit_recovers_nothing(cells)


@pytest.mark.slow
@settings(_PROPERTY, max_examples=FULL_EXAMPLES)
@given(TABLES)
def test_property_audit_recovers_nothing_many_tables(cells: list[list[int]]) -> None:
    check_audit_recovers_nothing(cells)


def check_audit_recovers_nothing(cells: list[list[int]]) -> None:
    """Suppression of ``cells`` hides every small cell from the audit's attacks."""
    inner = pd.DataFrame(cells)
    try:
        s = suppress(inner)
    except DisclosureError:
        # only when some small cell is determined by the totals whatever is hidden
        r, c = inner.sum(axis=1).to_numpy(), inner.sum(axis=0).to_numpy()
        n = inner.to_numpy().sum()
        frechet = np.minimum(r[:, None], c[None, :]) - np.maximum(0, r[:, None] + c[None, :] - n)
        small = ((inner.to_numpy() > 0) & (inner.to_numpy() < 5)) | (
            ((r > 0) & (r < 5))[:, None] & (c[None, :] > 0)
        )
        assert (small & (frechet < 1)).any()
        return
    values = inner.to_numpy()
    primary = (values > 0) & (values < 5)
    assert s.suppressed.to_numpy()[primary].all()
    assert audit(s).empty
    published = with_totals(inner).astype(float)
    published.loc[inner.index, inner.columns] = s.table
    assert audit(published, totals=["Gesamt"]).empty
    # the hidden values themselves lie inside the attacker's bounds
    bounds = feasibility_intervals(s)
    truth = [values[i, j] for i, j in zip(bounds["row"], bounds["column"], strict=True)]
    assert ((bounds["lower"] - 1e-9 <= truth) & (np.asarray(truth) <= bounds["upper"] + 1e-9)).all()


def test_unprotectable_cell_raises() -> None:
    # all answers in one column: each cell equals its row total
    inner = pd.DataFrame({"ja": [3, 20], "nein": [0, 0]})
    with pytest.raises(DisclosureError, match="determined by them"):
        suppress(inner)
    with pytest.raises(DisclosureError, match="single row or column"):
        suppress(pd.DataFrame({"n": [3, 20]}))


# ---------------------------------------------------------------------------
# display


def test_display_marks_and_footnote(districts: pd.DataFrame) -> None:
    s = suppress(districts, totals=["Gesamt"])
    shown = s.display()
    hidden = s.suppressed.to_numpy()
    assert (shown.to_numpy()[hidden] == DEFAULT_MARK).all()
    assert shown.loc["Gesamt", "Gesamt"] == int(districts.loc["Gesamt", "Gesamt"])
    assert isinstance(shown.loc["Soest", "teils"], int | str)
    assert s.any_suppressed
    assert s.footnote == FOOTNOTE_DE
    assert "weniger als 5 Antwortende" in FOOTNOTE_DE
    assert "zurückrechnen" in FOOTNOTE_DE
    assert "weniger als 10" in footnote_de(10)
    # one mark for primary and secondary alike; custom mark and formatter
    custom = s.display(mark="×", formatter=lambda v: f"{v:.0f}")
    assert set(custom.to_numpy()[hidden]) == {"×"}
    assert custom.loc["Soest", "teils"] == "11"
    # the original table is untouched
    assert districts.loc["Olpe", "zufrieden"] == 3


def test_display_without_suppression_is_unchanged() -> None:
    t = pd.DataFrame({"n": [10, 12], "share": [0.3, 0.5]})
    s = suppress(t, counts="n")
    assert not s.any_suppressed
    assert s.display()["share"].tolist() == [0.3, 0.5]


# ---------------------------------------------------------------------------
# across waves


def test_consistent_across_waves_hides_same_positions() -> None:
    idx = ["Olpe", "Soest", "Siegen", "Brilon"]
    w1 = pd.DataFrame({"ja": [3, 20, 15, 11], "nein": [9, 14, 12, 10]}, index=idx)
    w2 = pd.DataFrame({"ja": [14, 18, 2, 13], "nein": [8, 10, 11, 12]}, index=idx)
    tables = {"2025": w1, "2026": w2, "kumuliert": w1 + w2}

    # separately, the cumulative table shows Olpe/ja = 17 and wave 2 shows 14:
    alone = {name: suppress(t) for name, t in tables.items()}
    assert alone["2025"].suppressed.loc["Olpe", "ja"]
    assert not alone["kumuliert"].suppressed.loc["Olpe", "ja"]
    assert not alone["2026"].suppressed.loc["Olpe", "ja"]  # 17 − 14 = 3 recovered

    linked = consistent_across(tables)
    masks = [s.suppressed for s in linked.values()]
    for m in masks[1:]:
        pd.testing.assert_frame_equal(m, masks[0])
    assert masks[0].loc["Olpe", "ja"] and masks[0].loc["Siegen", "ja"]
    assert "linked" in set(linked["kumuliert"].reason.to_numpy().ravel())
    for s in linked.values():
        assert audit(s).empty
    # no hidden cell of a wave can be recovered as cumulative − other wave
    cum, a, b = (linked[k].table for k in ("kumuliert", "2025", "2026"))
    recovered = cum - b  # NaN wherever any of the two is hidden
    assert recovered[masks[0]].isna().all().all()
    assert recovered.where(~masks[0]).equals(a.where(~masks[0]))


def test_consistent_across_requires_tables() -> None:
    with pytest.raises(ValueError, match="at least one table"):
        consistent_across({})


# ---------------------------------------------------------------------------
# forbidden cross-tabulations and input checks


def test_forbidden_cross_tab() -> None:
    check_forbidden(["district", "answer"])
    check_forbidden([None, "ags"])
    with pytest.raises(ForbiddenCrossTabulation, match="ags × rolle"):
        check_forbidden(["ags", "rolle"])
    table = pd.DataFrame(
        [[1, 2], [0, 3]],
        index=pd.Index(["05970004", "05970008"], name="ags"),
        columns=pd.Index(["Bürgermeister", "Verwaltung"], name="rolle"),
    )
    with pytest.raises(ForbiddenCrossTabulation, match="must not be published"):
        suppress(table)
    tidy = pd.DataFrame({"municipality": ["A", "A"], "role": ["x", "y"], "n": [2, 3]})
    with pytest.raises(ForbiddenCrossTabulation):
        suppress(tidy, counts="n")
    assert issubclass(ForbiddenCrossTabulation, ValueError)


def test_input_errors(districts: pd.DataFrame) -> None:
    wrong = districts.copy()
    wrong.loc["Olpe", "Gesamt"] += 1
    with pytest.raises(ValueError, match="differs from the row sums"):
        suppress(wrong, totals=["Gesamt"])
    with pytest.raises(ValueError, match="min_n must be a positive integer"):
        suppress(districts, min_n=0)
    with pytest.raises(ValueError, match="whole counts"):
        suppress(pd.DataFrame({"a": [1.5, 2.0], "b": [3.0, 4.0]}))
    with pytest.raises(ValueError, match="counts='n'"):
        suppress(pd.DataFrame({"g": ["x", "y"], "share": [0.1, 0.2]}))
    with pytest.raises(KeyError, match="count column 'n'"):
        suppress(pd.DataFrame({"x": [1]}), counts="n")
    with pytest.raises(TypeError, match="DataFrame"):
        suppress([[1, 2]])  # type: ignore[arg-type]
    inconsistent = districts.astype(float)
    inconsistent.loc["Olpe", "zufrieden"] = np.nan
    inconsistent.loc["Olpe", "teils"] = 999
    with pytest.raises(ValueError, match="contradict the totals"):
        feasibility_intervals(inconsistent, totals=["Gesamt"])


def test_consistent_across_tidy_tables() -> None:
    idx = pd.Index(["Olpe", "Soest", "Siegen"], name="district")
    w1 = pd.DataFrame({"n": [4, 30, 25], "share": [0.5, 0.4, 0.3]}, index=idx)
    w2 = pd.DataFrame({"n": [9, 28, 22], "share": [0.2, 0.5, 0.6]}, index=idx)
    linked = consistent_across({"2025": w1, "2026": w2}, counts="n")
    assert linked["2026"].reason.loc["Olpe", "share"] == "linked"
    assert linked["2026"].suppressed.loc["Olpe", "n"]
    assert not linked["2026"].suppressed.loc["Soest"].any()
