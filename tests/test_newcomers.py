"""The newcomer survey end to end: codebook, synthetic data, weighting, drivers, report notebook."""

from __future__ import annotations

import dataclasses
import json
import math
import re
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import fast_sample

from welcome_eval import read_wave
from welcome_eval.analysis import newcomers
from welcome_eval.config import demo_data_dir, notebooks_dir
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.ingest.wave import sha256_of
from welcome_eval.present.figures.drivers import importance_performance_plot, odds_ratio_plot
from welcome_eval.publish.privacy import redact_text
from welcome_eval.stats import drivers
from welcome_eval.stats.survey import Design
from welcome_eval.synth.newcomers import (
    PLANTED_PERSONAL_DATA,
    TRUTH_FILE,
    WAVES,
    newcomer_population,
    newcomer_wave,
    write_newcomer_demo,
)

CB = Codebook.for_survey("neubuerger")
DEMO = demo_data_dir() / "neubuerger"
DRIVER_RATINGS = ["willkommen", "zuf_wohnen", "zuf_arbeit", "zuf_freizeit", "zuf_mobilitaet"]


@pytest.fixture(scope="module")
def truth() -> dict:
    return json.loads((DEMO / TRUTH_FILE).read_text(encoding="utf-8"))


# The tests on a demo wave run on the first wave in the fast tier, on every wave in `make test`.
@pytest.fixture(scope="module", params=fast_sample(WAVES, every=2))
def demo_wave(request):
    wave = read_wave(DEMO / request.param)
    margins = newcomers.read_population_margins(demo_data_dir(), request.param)
    return wave, margins


# ---------------------------------------------------------------------------
# codebook


def test_codebook_loads_with_items_and_constructs():
    assert CB.survey == "neubuerger"
    assert CB.respondent_id == "lfdn" and CB.municipality == "ags"
    assert CB["ags"].type == "municipality" and CB["ags"].required
    assert CB.constructs == ["quelle", "angebote", "lebensbereiche", "willkommen", "bleibeabsicht"]
    assert len(CB.items_of(construct="quelle")) == 5
    assert all(CB[i].values == {0: "nein", 1: "ja"} for i in CB.items_of(construct="quelle"))
    offers = CB.items_of(construct="angebote")
    assert len(offers) == 6
    assert all(CB[i].missing_codes[-9] == "nicht genutzt / nicht bekannt" for i in offers)
    assert all(CB[i].valid_codes == [1, 2, 3, 4, 5] for i in CB.likert_items)
    assert len(CB.items_of(construct="lebensbereiche")) == 5
    assert CB["bleibeabsicht"].label_for(1) == "sicher nicht mehr hier"
    assert CB["bleibeabsicht"].label_for(5) == "sicher noch hier"
    assert CB["willkommen"].construct == "willkommen"
    assert CB["altersgruppe"].valid_codes == [1, 2, 3, 4]
    assert CB["herkunft"].label_for(5) == "außerhalb der EU"
    assert CB["arbeitgeber_hinweis"].missing_codes[-8] == "trifft nicht zu"
    assert CB["gewicht"].type == "number" and CB["gewicht"].optional
    assert CB["schicht"].optional
    assert CB["anmerkungen"].type == "text"


# ---------------------------------------------------------------------------
# generator


@pytest.mark.slow  # writes every newcomer demo wave
def test_generator_writes_the_shipped_demo_data_byte_for_byte(tmp_path: Path):
    written = write_newcomer_demo(tmp_path)
    root = tmp_path / "neubuerger"
    files = sorted(p.relative_to(root) for p in root.rglob("*") if p.is_file())
    shipped = sorted(p.relative_to(DEMO) for p in DEMO.rglob("*") if p.is_file())
    assert files == shipped
    for relative in files:
        assert (root / relative).read_bytes() == (DEMO / relative).read_bytes(), (
            f"{relative} differs: rewrite the demo data with write_newcomer_demo('data/demo')"
        )
    manifests = [p for p in written if p.name == "manifest.yaml"]
    assert [p.parent.name for p in manifests] == list(WAVES)
    kommunen = yaml.safe_load((demo_data_dir() / "kommunen/2021/manifest.yaml").read_text())
    for path in manifests:
        manifest = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert set(kommunen) <= set(manifest)
        assert manifest["demo"] is True and manifest["survey"] == "neubuerger"
        assert manifest["sha256"] == sha256_of(path.parent / manifest["file"])


@pytest.mark.slow  # generates a wave three times
def test_same_seed_same_wave_other_seed_other_wave():
    first, meta = newcomer_wave("2021", seed=7)
    again, _ = newcomer_wave("2021", seed=7)
    other, _ = newcomer_wave("2021", seed=8)
    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)
    assert list(first.columns) == list(CB.items)
    assert meta["sampled"]["Kreis Olpe"] == meta["sampled"]["Märkischer Kreis"]


def test_csv_export_is_sosci_like_utf8_with_bom_and_semicolons():
    raw = (DEMO / "2021" / "neubuerger_2021.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    header = raw[3:].split(b"\r\n", 1)[0].decode("utf-8")
    assert header.split(";") == list(CB.items)


def test_population_size_and_small_districts_oversampled(truth):
    population = newcomer_population(2018, "2021")
    assert len(population) == truth["waves"]["2021"]["population"]
    # about 2 % of the 1.38 million inhabitants moved in
    assert 0.018 < len(population) / 1_375_606 < 0.022
    sizes = truth["waves"]["2021"]["population_by_district"]
    sampled = truth["waves"]["2021"]["sampled"]
    fraction = {d: sampled[d] / sizes[d] for d in sizes}
    assert max(fraction, key=fraction.get) == "Kreis Olpe"
    assert fraction["Kreis Olpe"] > 2.5 * fraction["Märkischer Kreis"]


def test_margins_file_matches_the_population(truth):
    for wave in WAVES:
        margins = newcomers.read_population_margins(demo_data_dir(), wave)
        totals = margins.groupby("margin")["population"].sum()
        assert set(totals) == {truth["waves"][wave]["population"]}
        sizes = newcomers.stratum_sizes(margins)
        assert sizes.to_dict() == truth["waves"][wave]["population_by_district"]


def test_margins_errors_are_clear(tmp_path: Path):
    with pytest.raises(newcomers.MarginsError, match="not found"):
        newcomers.read_population_margins(tmp_path, "2021")
    (tmp_path / "neubuerger").mkdir()
    path = tmp_path / "neubuerger" / newcomers.MARGINS_FILE
    path.write_text(
        "wave,margin,district,item,code,label,population\n"
        "2021,kreis_altersgruppe,Kreis Olpe,altersgruppe,1,18–29 Jahre,10\n"
        "2021,herkunft,,herkunft,1,im gleichen Kreis,12\n",
        encoding="utf-8",
    )
    with pytest.raises(newcomers.MarginsError, match="different totals"):
        newcomers.read_population_margins(tmp_path, "2021")
    with pytest.raises(newcomers.MarginsError, match="no population margins for wave '2019'"):
        newcomers.read_population_margins(tmp_path, "2019")


def test_planted_personal_data_is_in_the_comments_and_redacted():
    texts = []
    for wave in WAVES:
        frame, _ = newcomer_wave(wave)
        texts += frame["anmerkungen"].dropna().tolist()
    for secret in PLANTED_PERSONAL_DATA:
        carrying = [t for t in texts if secret in t]
        assert carrying, secret
        for text in carrying:
            assert secret not in redact_text(text)


# ---------------------------------------------------------------------------
# reading and weighting


def test_read_wave_accepts_every_row(demo_wave, truth):
    wave, _ = demo_wave
    counts = wave.counts
    assert counts["quarantined"] == 0 and len(wave.quarantine) == 0
    assert (
        counts["read"] == len(wave.data) == sum(truth["waves"][wave.wave]["respondents"].values())
    )
    assert wave.data["gewicht"].notna().all() and wave.data["schicht"].notna().all()


def test_raking_moves_estimates_toward_the_truth(demo_wave, truth):
    wave, margins = demo_wave
    shares = truth["waves"][wave.wave]["shares"]
    data = wave.data.assign(
        fpc=wave.data["schicht"].map(newcomers.stratum_sizes(margins)).astype(float),
        kreis_altersgruppe=[
            f"{district}|{int(age)}"
            for district, age in zip(wave.data["schicht"], wave.data["altersgruppe"], strict=True)
        ],
        bleiben=(wave.data["bleibeabsicht"] >= 4)
        .astype(float)
        .where(wave.data["bleibeabsicht"].notna()),
        jung=(wave.data["altersgruppe"] == 1).astype(float),
    )
    design = Design(data, weights="gewicht", strata="schicht", fpc="fpc")
    raked = design.rake(newcomers.rake_targets(margins))

    true_stay = shares["bleibeabsicht_top2"]
    unweighted = data["bleiben"].mean()
    estimate = raked.proportion("bleiben")
    assert abs(estimate.estimate - true_stay) < abs(unweighted - true_stay)
    assert abs(estimate.estimate - true_stay) < 0.5 * abs(unweighted - true_stay)
    assert estimate.ci_low < true_stay < estimate.ci_high
    # Young newcomers answer less often: unweighted their share is far too low.
    true_young = shares["altersgruppe"]["1"]
    assert true_young - data["jung"].mean() > 0.1
    assert raked.mean("jung").estimate == pytest.approx(true_young, abs=1e-6)
    # Design weights alone correct the oversampling, not the nonresponse.
    assert abs(design.proportion("bleiben").estimate - true_stay) > 0.05


def test_weighting_helpers_agree_with_the_design(demo_wave, truth):
    wave, margins = demo_wave
    w = newcomers.weighting(wave, margins)
    assert w.raked.calibrated and not w.design.calibrated
    assert w.data[newcomers.RAKED_WEIGHT].sum() == pytest.approx(
        truth["waves"][wave.wave]["population"]
    )
    shares = newcomers.weighted_shares(w, [newcomers.top2_column("bleibeabsicht")]).iloc[0]
    assert shares["raked"] == pytest.approx(w.raked.proportion("bleibeabsicht__top2").estimate)
    assert shares["difference"] < -0.03  # weighting lowers the share intending to stay
    composition = newcomers.composition(w, "herkunft")
    assert composition["raked"].to_numpy() == pytest.approx(
        composition["population_share"].to_numpy()
    )
    response = newcomers.response_by_stratum(w)
    assert response["sampled"].iloc[:-1].tolist() == list(
        truth["waves"][wave.wave]["sampled"].values()
    )
    used = newcomers.weighted_shares(
        w, [newcomers.used_column(i) for i in CB.items_of(construct="angebote")]
    )
    true_used = truth["waves"][wave.wave]["used"]
    for row in used.itertuples():
        assert row.ci_low - 0.03 < true_used[row.item] < row.ci_high + 0.03


def test_report_tables_carry_the_respondents_behind_each_value(demo_wave):
    """Weighted tables keep the unweighted number of answers that disclosure control needs."""
    wave, margins = demo_wave
    w = newcomers.weighting(wave, margins)
    items = CB.items_of(construct="lebensbereiche")
    distribution = newcomers.weighted_distribution(w, items)
    for item, rows in distribution.groupby("item", sort=False):
        assert (rows["respondents"] == wave.data[item].notna().sum()).all()
        assert rows["share"].sum() == pytest.approx(1.0)
        assert rows["n_valid"].iloc[0] > rows["respondents"].iloc[0]  # weighted sum
    table = newcomers.composition_table(w, ["altersgruppe", "herkunft"])
    assert table["respondents"].sum() == (
        wave.data["altersgruppe"].notna().sum() + wave.data["herkunft"].notna().sum()
    )
    long = newcomers.composition_long(table)
    assert len(long) == 3 * len(table)
    assert long.equals(newcomers.composition_comparison(w, ["altersgruppe", "herkunft"]))
    stacked = newcomers.shares_over_waves({"a": w, "b": w}, [newcomers.top2_column("willkommen")])
    assert stacked["wave"].tolist() == ["a", "b"]
    assert stacked["raked"].iloc[0] == stacked["raked"].iloc[1]
    model_data = newcomers.driver_data(
        wave,
        outcome="bleibeabsicht",
        ratings=["willkommen"],
        offers=["angebot_partnerjob"],
        controls=["herkunft"],
    )
    model = drivers.ordinal_drivers(
        model_data,
        outcome="bleibeabsicht",
        predictors=["willkommen", "angebot_partnerjob", "herkunft"],
    )
    coefficients = newcomers.driver_table(model, model_data, CB)
    complete = model_data.dropna()
    assert coefficients["n"].iloc[0] == model.n == len(complete)
    eu = coefficients[coefficients["label"].str.startswith("Herkunft: im EU-Ausland")].iloc[0]
    assert eu["n"] == (complete["herkunft"] == "im EU-Ausland").sum()


def test_strata_fall_back_to_the_district_of_the_municipality(demo_wave):
    wave, margins = demo_wave
    without_strata = dataclasses.replace(wave, data=wave.data.drop(columns="schicht"))
    w = newcomers.weighting(without_strata, margins)
    assert (w.data["schicht"] == wave.data["schicht"].astype(str)).all()
    without_weights = dataclasses.replace(wave, data=wave.data.drop(columns="gewicht"))
    with pytest.raises(ValueError, match="design weights"):
        newcomers.weighting(without_weights, margins)


def test_compare_shares_of_two_waves():
    waves = [read_wave(DEMO / w) for w in WAVES]
    tables = [
        newcomers.weighted_shares(
            newcomers.weighting(w, newcomers.read_population_margins(demo_data_dir(), w.wave)),
            [newcomers.top2_column("willkommen")],
        )
        for w in waves
    ]
    change = newcomers.compare_shares(tables[1], tables[0]).iloc[0]
    assert change["difference"] == pytest.approx(tables[1]["raked"][0] - tables[0]["raked"][0])
    assert change["ci_low"] < change["difference"] < change["ci_high"]
    assert 0 <= change["p_value"] <= 1


# ---------------------------------------------------------------------------
# drivers


def test_drivers_recover_the_planted_structure(demo_wave, truth):
    wave, _ = demo_wave
    data = newcomers.driver_data(
        wave,
        outcome="bleibeabsicht",
        ratings=DRIVER_RATINGS,
        offers=["angebot_partnerjob"],
        controls=["altersgruppe", "herkunft"],
    )
    assert list(data["angebot_partnerjob"].cat.categories) == list(newcomers.OFFER_USE_LEVELS)
    result = drivers.ordinal_drivers(
        data,
        outcome="bleibeabsicht",
        predictors=[*DRIVER_RATINGS, "angebot_partnerjob", "altersgruppe", "herkunft"],
    )
    assert result.converged
    table = newcomers.driver_table(result, data, CB).set_index("term")
    odds = table["odds_ratio"]
    assert odds["willkommen"] > odds["zuf_freizeit"]
    assert odds["willkommen"] > odds["zuf_arbeit"] > odds["zuf_freizeit"]
    assert table.loc["willkommen", "or_low"] > 1 and table.loc["zuf_arbeit", "or_low"] > 1
    planted = truth["drivers"]["log_odds_ratio_per_point"]
    for item in ("willkommen", "zuf_arbeit", "zuf_freizeit"):
        low, high = table.loc[item, ["or_low", "or_high"]]
        assert low < math.exp(planted[item]) < high, item
    satisfied = "angebot_partnerjob[genutzt, zufrieden]"
    unsatisfied = "angebot_partnerjob[genutzt, nicht zufrieden]"
    assert odds[satisfied] > 1 > odds[unsatisfied]
    assert table.loc[satisfied, "or_low"] < math.exp(1.0) < table.loc[satisfied, "or_high"]
    assert table.loc["willkommen", "label"] == "Ich fühle mich willkommen (je Skalenpunkt)"
    assert table.loc["altersgruppe[30–44 Jahre]", "label"].endswith("(statt 18–29 Jahre)")


def test_importance_performance_puts_work_into_handlungsbedarf(demo_wave):
    wave, _ = demo_wave
    ipa = drivers.importance_performance(
        wave.data, outcome="bleibeabsicht", items=DRIVER_RATINGS, codebook=CB
    ).set_index("item")
    assert ipa["importance"].idxmax() == "willkommen"
    assert ipa.loc["willkommen", "quadrant"] == "Stärken bewahren"
    assert ipa.loc["zuf_arbeit", "quadrant"] == "Handlungsbedarf"


# ---------------------------------------------------------------------------
# figures


def test_odds_ratio_plot_uses_a_log_axis_with_a_line_at_one():
    table = pd.DataFrame(
        {"label": ["A", "B"], "odds_ratio": [2.0, 0.8], "or_low": [1.5, 0.5], "or_high": [2.6, 1.2]}
    )
    ax = odds_ratio_plot(table)
    assert ax.get_xscale() == "log"
    assert any(np.allclose(line.get_xdata(), 1.0) for line in ax.get_lines())
    assert [t.get_text() for t in ax.get_xticklabels()][:2] == ["0,5", "1"]
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="positive"):
        odds_ratio_plot(table.assign(or_low=[0.0, 0.5], odds_ratio=[0.5, 0.8]))


def test_importance_performance_plot_keeps_labels_inside_the_axes():
    table = pd.DataFrame(
        {
            "item_label": ["Ich fühle mich willkommen", "Arbeit und Beruf", "Mobilität"],
            "performance": [4.0, 3.1, 2.5],
            "importance": [0.9, 0.4, 0.0],
        }
    )
    ax = importance_performance_plot(table)
    figure = ax.figure
    figure.canvas.draw()
    box = ax.get_window_extent()
    for text in ax.texts:
        extent = text.get_window_extent()
        assert box.x0 - 1 <= extent.x0 and extent.x1 <= box.x1 + 1, text.get_text()
    quadrant_names = {t.get_text() for t in ax.texts}
    assert {"Handlungsbedarf", "Stärken bewahren"} <= quadrant_names
    plt.close(figure)


# ---------------------------------------------------------------------------
# report notebook


def test_notebook_runs_with_default_parameters(tmp_path: Path, report_kernel):
    from welcome_eval.build.reports import execute_notebook

    notebook = execute_notebook(
        notebooks_dir() / "neubuerger_welle.ipynb", {}, cwd=tmp_path, kernel=report_kernel
    )
    outputs = [
        output for cell in notebook.cells if cell.cell_type == "code" for output in cell.outputs
    ]
    markdown = "\n".join(str(o.get("data", {}).get("text/markdown", "")) for o in outputs)
    html = "\n".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert "# Neubürgerbefragung 2023" in markdown
    assert "Verglichen wird mit der Welle 2021" in markdown
    assert html.count("<figure") == 12  # 11 figures and the map
    assert re.search(r"Tabelle \d+: Kalibrierte Anteile 2021 und 2023 im Vergleich", html)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    for secret in PLANTED_PERSONAL_DATA:
        assert secret not in html + markdown
