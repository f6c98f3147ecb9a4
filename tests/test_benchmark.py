"""Municipal benchmarks: own values against the anonymous distribution of peers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from welcome_eval.analysis import benchmark
from welcome_eval.config import demo_data_dir
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.publish.privacy import protect
from welcome_eval.stats import proportion_ci


@pytest.fixture(scope="module")
def codebook() -> Codebook:
    return Codebook.for_survey("neubuerger")


def _shares(hits: int, n: int, ags: str = "A", item: str = "x") -> dict:
    low, high = proportion_ci(hits, n)
    return {"ags": ags, "item": item, "label": item, "n": n, "share": hits / n,
            "ci_low": low, "ci_high": high}  # fmt: skip


def test_municipal_shares_counts_top_two_of_valid_answers(codebook) -> None:
    data = pd.DataFrame(
        {
            "ags": ["A"] * 6 + ["B"] * 3,
            "willkommen": [5, 4, 3, 1, np.nan, 2, 5, 4, 4],
        }
    )
    out = benchmark.municipal_shares(data, ["willkommen"], codebook=codebook)
    a = out[out["ags"] == "A"].iloc[0]
    assert a["n"] == 5 and a["share"] == pytest.approx(2 / 5)
    low, high = proportion_ci(2, 5)
    assert (a["ci_low"], a["ci_high"]) == pytest.approx((low, high))
    assert out[out["ags"] == "B"].iloc[0]["share"] == 1.0


def test_peer_quartiles_exclude_the_municipality_and_small_peers() -> None:
    values = pd.DataFrame(
        [_shares(9, 10, "A")]
        + [_shares(h, 10, a) for h, a in zip([1, 2, 3, 4, 5], "BCDEF", strict=True)]
        + [_shares(0, 3, "G")]  # too small to count as a peer
    )
    row = benchmark.peer_position(values, ags="A", min_n=5).iloc[0]
    peers = np.array([0.1, 0.2, 0.3, 0.4, 0.5])
    assert row["peers"] == 5
    assert (row["q1"], row["median"], row["q3"]) == pytest.approx(
        tuple(np.quantile(peers, [0.25, 0.5, 0.75]))
    )
    assert row["position"] == "oberes Viertel"


def test_too_few_peers_give_no_quartiles() -> None:
    values = pd.DataFrame([_shares(5, 10, "A"), _shares(3, 10, "B"), _shares(4, 10, "C")])
    row = benchmark.peer_position(values, ags="A", min_n=5).iloc[0]
    assert row["peers"] == 2 and np.isnan(row["median"]) and row["position"] == "–"


def test_own_value_below_minimum_is_hidden_by_the_gate() -> None:
    values = pd.DataFrame(
        [_shares(2, 3, "A")] + [_shares(h, 10, a) for h, a in zip(range(5), "BCDEF", strict=True)]
    )
    position = benchmark.peer_position(values, ags="A", min_n=5)
    assert position.iloc[0]["position"] == "–"
    gated = protect(position, counts="n", values=["value", "ci_low", "ci_high"])
    assert gated.suppressed.loc[0, "value"] and not gated.suppressed.loc[0, "median"]


@pytest.mark.parametrize(
    ("own", "expected"),
    [(0.9, "oberes Viertel"), (0.55, "über dem Median"), (0.5, "im Median"),
     (0.45, "unter dem Median"), (0.1, "unteres Viertel")],
)  # fmt: skip
def test_position_labels(own, expected) -> None:
    assert benchmark.position_label(own, 0.4, 0.5, 0.6) == expected


@pytest.mark.parametrize(
    ("x1", "n1", "x0", "n0", "low", "high"),
    [(56, 70, 48, 80, 0.0524, 0.3339), (9, 10, 3, 10, 0.1705, 0.8090),
     (6, 7, 2, 7, 0.0582, 0.8062), (5, 56, 0, 29, -0.0381, 0.1926)],
)  # fmt: skip
def test_change_interval_is_newcombes_hybrid_score_interval(x1, n1, x0, n0, low, high) -> None:
    # Newcombe (1998), Statistics in Medicine 17, 873-890, Table II, method 10.
    now = pd.DataFrame([_shares(x1, n1)])
    before = pd.DataFrame([_shares(x0, n0)])
    row = benchmark.own_change(now, before, ags="A", min_n=5).iloc[0]
    assert row["difference"] == pytest.approx(x1 / n1 - x0 / n0)
    assert (row["ci_low"], row["ci_high"]) == pytest.approx((low, high), abs=5e-5)


def test_change_leaves_out_items_with_too_few_answers() -> None:
    now = pd.DataFrame([_shares(3, 4), _shares(8, 10, item="y")])
    before = pd.DataFrame([_shares(2, 10), _shares(4, 10, item="y")])
    change = benchmark.own_change(now, before, ags="A", min_n=5)
    assert change["item"].tolist() == ["y"]
    assert "belastbar" in benchmark.describe_own_change(change.iloc[0])


def test_wave_shares_is_cached_and_returns_copies() -> None:
    manifest = demo_data_dir() / "neubuerger" / "2023" / "manifest.yaml"
    first = benchmark.wave_shares(manifest)
    first.loc[:, "share"] = -1.0
    second = benchmark.wave_shares(manifest)
    assert (second["share"] >= 0).all()
    assert set(second["item"]) == set(Codebook.for_survey("neubuerger").likert_items)


def test_district_shares_have_every_district_and_the_region() -> None:
    manifest = demo_data_dir() / "neubuerger" / "2023" / "manifest.yaml"
    out = benchmark.district_shares(manifest, ["willkommen"])
    assert len(out) == 6 and "Südwestfalen" in set(out["Kreis"])
    region = out[out["Kreis"] == "Südwestfalen"].iloc[0]
    assert region["n"] == out[out["Kreis"] != "Südwestfalen"]["n"].sum()


def test_peer_quartiles_use_only_the_given_published_values() -> None:
    # Peers outside the published set (e.g. municipalities outside the programme)
    # must not shape the quartiles every report shows.
    hits = [2, 4, 6, 8, 10, 12, 14, 20]
    rows = [_shares(h, 20, ags=a) for a, h in zip("ABCDEFGH", hits, strict=True)]
    values = pd.DataFrame(rows)
    everyone = benchmark.peer_position(values, ags="A").iloc[0]
    published = {(a, "x") for a in "ABCDEFG"}  # H is not published anywhere
    limited = benchmark.peer_position(values, ags="A", peers=published).iloc[0]
    assert everyone["peers"] == 7 and limited["peers"] == 6
    assert limited["q3"] == pytest.approx(np.quantile([0.2, 0.3, 0.4, 0.5, 0.6, 0.7], 0.75))
    assert limited["q3"] < everyone["q3"]
