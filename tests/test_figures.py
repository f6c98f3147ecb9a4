"""welcome_eval.present.figures: structure of the drawn artists, German labels, input checks."""

from __future__ import annotations

import re
import subprocess
import sys

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from matplotlib.axes import Axes

from welcome_eval import stats
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.present import figures

GERMAN_PERCENT = re.compile(r"^\d{1,3}\u202f%$")
SIX_POINT = {
    1: "trifft gar nicht zu",
    2: "trifft nicht zu",
    3: "trifft eher nicht zu",
    4: "trifft eher zu",
    5: "trifft zu",
    6: "trifft voll zu",
}


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def kommunen() -> Codebook:
    return Codebook.for_survey("kommunen")


@pytest.fixture
def five_point(kommunen) -> pd.DataFrame:
    """Distribution of three 5-point items with known top-2 order and zero counts."""
    data = pd.DataFrame(
        {
            # top-2 share 0.3
            "zuf_checklisten": [1, 1, 2, 2, 3, 3, 3, 4, 5, 5],
            # top-2 share 0.8, no code 1 or 2
            "zuf_gesamt": [3, 3, 4, 4, 4, 4, 5, 5, 5, 5],
            # top-2 share 0.5
            "zuf_beratung": [1, 2, 3, 3, 3, 4, 4, 5, 5, 5],
        },
        dtype=float,
    )
    return stats.likert_distribution(data, list(data.columns), codebook=kommunen)


@pytest.fixture
def six_point() -> pd.DataFrame:
    codebook = Codebook.from_dict(
        {
            "survey": "demo6",
            "respondent_id": "id",
            "scales": {"agree6": {"type": "likert", "values": SIX_POINT}},
            "items": [{"id": "id", "type": "id"}]
            + [
                {"id": item, "type": "likert", "scale": "agree6", "short": f"Aussage {item}"}
                for item in ("a", "b")
            ],
        }
    )
    data = pd.DataFrame({"a": [1, 2, 3, 4, 5, 6, 6, 6], "b": [1, 1, 1, 2, 3, 4, 5, 6]}, dtype=float)
    return stats.likert_distribution(data, ["a", "b"], codebook=codebook)


def _segments_by_item(ax: Axes) -> dict[str, list[tuple[float, float]]]:
    """(left, width) of each bar segment, keyed by the y tick label of its bar."""
    names = {
        round(tick): label.get_text().replace("\n", " ")
        for tick, label in zip(ax.get_yticks(), ax.get_yticklabels(), strict=True)
    }
    segments: dict[str, list[tuple[float, float]]] = {}
    for container in ax.containers:
        for patch in container.patches:
            center = patch.get_y() + patch.get_height() / 2
            segments.setdefault(names[round(center)], []).append((patch.get_x(), patch.get_width()))
    return segments


def _tick_texts(ax: Axes) -> list[str]:
    """Texts of the x tick labels inside the visible range."""
    ax.figure.canvas.draw()
    low, high = sorted(ax.get_xlim())
    return [
        label.get_text()
        for tick, label in zip(ax.get_xticks(), ax.get_xticklabels(), strict=True)
        if low <= tick <= high and label.get_text()
    ]


# ---------------------------------------------------------------------------
# likert_diverging


def test_likert_diverging_five_point_structure(five_point, kommunen):
    ax = figures.likert_diverging(five_point)
    assert isinstance(ax, Axes)
    # one container per code, one segment per item in each
    assert len(ax.containers) == 5
    assert sum(len(c.patches) for c in ax.containers) == 3 * 5
    # items ordered by top-2 share, best on top
    labels = [label.get_text().replace("\n", " ") for label in ax.get_yticklabels()]
    assert labels == [
        "Gesamtzufriedenheit",
        "Beratung durch die Agentur",
        "Checklisten und Analyseinstrumente",
    ]
    ymin, ymax = ax.get_ylim()
    assert ymin > ymax  # inverted: first item on top
    # legend = codebook labels in scale order
    legend = [text.get_text() for text in ax.get_legend().get_texts()]
    assert legend == [kommunen["zuf_gesamt"].label_for(code) for code in range(1, 6)]


def test_likert_diverging_extents_match_shares(five_point):
    ax = figures.likert_diverging(five_point)
    segments = _segments_by_item(ax)
    for name, group in five_point.groupby("item_label"):
        share = group.set_index("code")["share"]
        left = sum(max(0.0, -min(x, 0) - max(0.0, -(x + w))) for x, w in segments[name])
        right = sum(max(0.0, x + w) - max(0.0, x) for x, w in segments[name])
        assert left == pytest.approx(share[1] + share[2] + share[3] / 2)
        assert right == pytest.approx(share[4] + share[5] + share[3] / 2)
        assert min(x for x, _ in segments[name]) == pytest.approx(
            -(share[1] + share[2] + share[3] / 2)
        )
        widths = [w for _, w in segments[name]]
        assert widths == pytest.approx(share.tolist())  # zero-count codes drawn with width 0


def test_likert_diverging_middle_code_split_at_zero(five_point):
    ax = figures.likert_diverging(five_point)
    middle = ax.containers[2]
    for patch in middle.patches:
        assert patch.get_x() == pytest.approx(-patch.get_width() / 2)


def test_likert_diverging_share_labels_and_ticks(five_point):
    ax = figures.likert_diverging(five_point)
    texts = [text.get_text() for text in ax.texts]
    expected = five_point.loc[five_point["share"] >= 0.08, "share"]
    assert len(texts) == len(expected)
    assert all(GERMAN_PERCENT.match(text) for text in texts)
    assert "40\u202f%" in texts  # Gesamtzufriedenheit, code 4 and 5
    ticks = _tick_texts(ax)
    assert ticks and all(GERMAN_PERCENT.match(text) for text in ticks)
    assert "0\u202f%" in ticks
    assert ticks.count("20\u202f%") == 2  # both sides show positive percentages


def test_likert_diverging_six_point(six_point):
    ax = figures.likert_diverging(six_point)
    assert len(ax.containers) == 6
    segments = _segments_by_item(ax)
    for name, group in six_point.groupby("item_label"):
        share = group.set_index("code")["share"]
        assert min(x for x, _ in segments[name]) == pytest.approx(-(share[1] + share[2] + share[3]))
        x4 = segments[name][3][0]
        assert x4 == pytest.approx(0.0)  # code 4 starts at zero: no middle category
    legend = [text.get_text().replace("\n", " ") for text in ax.get_legend().get_texts()]
    assert legend == list(SIX_POINT.values())
    # "Aussage a" has 3/8 top-2 answers, "Aussage b" 2/8
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Aussage a", "Aussage b"]


def test_likert_diverging_draws_into_given_axes(five_point):
    _fig, ax = plt.subplots()
    before = plt.get_fignums()
    assert figures.likert_diverging(five_point, ax=ax) is ax
    assert plt.get_fignums() == before


def test_likert_diverging_input_checks(five_point):
    with pytest.raises(KeyError, match="anteil"):
        figures.likert_diverging(five_point, share="anteil")
    with pytest.raises(ValueError, match="same answer codes"):
        figures.likert_diverging(five_point[five_point["code"] != 1].iloc[1:])
    with pytest.raises(ValueError, match="several rows"):
        figures.likert_diverging(pd.concat([five_point, five_point]))


# ---------------------------------------------------------------------------
# interval_plot, wave_comparison, nps_bar


@pytest.fixture
def box_table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_label": ["Runder Tisch", "Checklisten", "Beratung"],
            "share": [0.62, 0.45, 0.3],
            "ci_low": [0.5, 0.33, 0.2],
            "ci_high": [0.72, 0.57, 0.42],
        }
    )


def test_interval_plot_percent(box_table):
    ax = figures.interval_plot(
        box_table,
        y="item_label",
        estimate="share",
        low="ci_low",
        high="ci_high",
        as_percent=True,
        xlabel="Anteil zufrieden",
    )
    assert isinstance(ax, Axes)
    assert [t.get_text() for t in ax.get_yticklabels()] == box_table["item_label"].tolist()
    ticks = _tick_texts(ax)
    assert ticks and all(GERMAN_PERCENT.match(text) for text in ticks)
    assert ax.get_xlabel() == "Anteil zufrieden"
    points = ax.lines[0].get_xdata()
    np.testing.assert_allclose(points, box_table["share"])
    # whisker ends = interval limits
    segments = ax.collections[0].get_segments()
    np.testing.assert_allclose([s[0][0] for s in segments], box_table["ci_low"])
    np.testing.assert_allclose([s[1][0] for s in segments], box_table["ci_high"])


def test_interval_plot_means_use_decimal_comma():
    table = pd.DataFrame(
        {"item": ["A1", "A2"], "mean": [2.41, 4.8], "ci_low": [2.36, 4.76], "ci_high": [2.47, 4.85]}
    )
    ax = figures.interval_plot(table, y="item", estimate="mean", low="ci_low", high="ci_high")
    ticks = _tick_texts(ax)
    assert any("," in text for text in ticks)
    assert not any("." in text for text in ticks)
    formatter = ax.xaxis.get_major_formatter()
    assert formatter.format_ticks([2.5, 3.0, 3.5]) == ["2,5", "3,0", "3,5"]
    assert formatter.format_ticks([-1.0, 0.0]) == ["−1", "0"]


def test_interval_plot_input_checks(box_table):
    with pytest.raises(KeyError, match="ci_upper"):
        figures.interval_plot(
            box_table, y="item_label", estimate="share", low="ci_low", high="ci_upper"
        )
    bad = box_table.assign(ci_low=[0.7, 0.33, 0.2])
    with pytest.raises(ValueError, match="ci_low"):
        figures.interval_plot(bad, y="item_label", estimate="share", low="ci_low", high="ci_high")


@pytest.fixture
def waves() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "item_label": ["Runder Tisch", "Beratung", "Runder Tisch", "Beratung"],
            "welle": ["2023", "2023", "2024", "2024"],
            "mean": [3.8, 3.1, 4.1, 3.0],
            "ci_low": [3.5, 2.8, 3.9, 2.7],
            "ci_high": [4.1, 3.4, 4.3, 3.3],
        }
    )


def test_wave_comparison(waves):
    ax = figures.wave_comparison(
        waves, y="item_label", x="mean", hue="welle", low="ci_low", high="ci_high"
    )
    assert isinstance(ax, Axes)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Runder Tisch", "Beratung"]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["2023", "2024"]
    points = [line for line in ax.lines if line.get_marker() == "o"]
    assert len(points) == 2
    np.testing.assert_allclose(points[0].get_xdata(), [3.8, 3.1])
    np.testing.assert_allclose(points[1].get_xdata(), [4.1, 3.0])
    # waves are dodged: 2023 above 2024 within each item
    assert all(points[0].get_ydata() < points[1].get_ydata())
    assert all("," in text for text in _tick_texts(ax))


def test_wave_comparison_without_whiskers_and_checks(waves):
    ax = figures.wave_comparison(waves, y="item_label", x="mean", hue="welle")
    assert isinstance(ax, Axes)
    assert not ax.collections  # no error bars
    with pytest.raises(ValueError, match="both low and high"):
        figures.wave_comparison(waves, y="item_label", x="mean", hue="welle", low="ci_low")
    with pytest.raises(KeyError, match="wave"):
        figures.wave_comparison(waves, y="item_label", x="mean", hue="wave")


def test_nps_bar():
    table = stats.nps(pd.Series([10, 10, 9, 9, 8, 7, 6, 3, 10, 9, 5, 8, 8, 10, 9, 9, 0]))
    ax = figures.nps_bar(table)
    assert isinstance(ax, Axes)
    row = table.iloc[0]
    assert ax.get_title(loc="left") == f"NPS: +{round(row['nps'])}"
    widths = [patch.get_width() for patch in ax.patches]
    assert widths == pytest.approx([row["detractors"], row["passives"], row["promoters"]])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "Kritiker (0–6)",
        "Passive (7–8)",
        "Promotoren (9–10)",
    ]
    assert ax.get_title(loc="right") == "n = 17"
    assert all(GERMAN_PERCENT.match(text) for text in _tick_texts(ax))


def test_nps_bar_negative_and_checks():
    table = pd.DataFrame([{"promoters": 0.1, "passives": 0.3, "detractors": 0.6, "nps": -50.0}])
    assert figures.nps_bar(table).get_title(loc="left") == "NPS: −50"
    with pytest.raises(ValueError, match="one NPS"):
        figures.nps_bar(pd.concat([table, table]))
    with pytest.raises(KeyError, match="promoters"):
        figures.nps_bar(table.drop(columns="promoters"))


# ---------------------------------------------------------------------------
# theme


def test_set_theme_is_idempotent():
    with matplotlib.rc_context():
        figures.set_theme()
        first = {key: str(value) for key, value in matplotlib.rcParams.items()}
        figures.set_theme()
        second = {key: str(value) for key, value in matplotlib.rcParams.items()}
    assert first == second
    assert first["axes.grid"] == "True"


@pytest.mark.slow  # starts a Python process
def test_import_does_not_change_rcparams():
    code = (
        "import matplotlib as mpl\n"
        "before = {k: str(v) for k, v in mpl.rcParams.items()}\n"
        "import welcome_eval.present.figures\n"
        "after = {k: str(v) for k, v in mpl.rcParams.items()}\n"
        "changed = [k for k in before if before[k] != after[k]]\n"
        "assert not changed, changed\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


def test_heatmap_marks_hidden_cells_and_sets_the_total_apart():
    table = pd.DataFrame(
        {
            "Kreis": ["Kreis Olpe", "Kreis Soest", "Südwestfalen"] * 2,
            "Baustein": ["A"] * 3 + ["B"] * 3,
            "share": [np.nan, 0.7, 0.65, 0.5, np.nan, 0.45],
        }
    )
    ax = figures.heatmap(
        table, x="Kreis", y="Baustein", value="share", as_percent=True, total="Südwestfalen"
    )
    texts = [t.get_text() for t in ax.texts]
    assert texts[:6] == [".", "70\u202f%", "65\u202f%", "50\u202f%", ".", "45\u202f%"]
    assert texts[-1] == ". = nicht ausgewiesen"
    assert all(GERMAN_PERCENT.match(t) for t in texts if "%" in t)
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert ticks == ["Kreis Olpe", "Kreis Soest", "Südwestfalen"]
    positions = list(ax.get_xticks())
    assert positions[2] - positions[1] > positions[1] - positions[0]  # gap before the total
    hidden = [p for p in ax.patches if p.get_facecolor()[:3] == (0.9333333333333333,) * 3]
    assert len(hidden) == 2
    colours = {p.get_facecolor() for p in ax.patches} - {hidden[0].get_facecolor()}
    assert len(colours) == 4  # every shown value gets its own shade


def test_heatmap_input_checks():
    table = pd.DataFrame({"x": ["a", "a"], "y": ["b", "b"], "v": [1.0, 2.0]})
    with pytest.raises(ValueError, match="several rows"):
        figures.heatmap(table, x="x", y="y", value="v")
    with pytest.raises(KeyError, match="'w'"):
        figures.heatmap(table, x="x", y="y", value="w")
