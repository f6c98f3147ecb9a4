"""The region map: 59 polygons, colours that follow the values, hatched gaps, attribution."""

from __future__ import annotations

import io
import json
import math

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
import seaborn as sns
from matplotlib import colormaps
from matplotlib import colors as mcolors

from welcome_eval.config import package_data_dir
from welcome_eval.municipalities import DISTRICTS, municipalities
from welcome_eval.present.figures.map import map_attribution, municipality_patches, region_map
from welcome_eval.publish.privacy import protect

#: The source note SOURCES.md prescribes for every map (dl-de/by-2-0), verbatim.
REQUIRED_ATTRIBUTION = (
    "Gemeindegrenzen: © GeoBasis-DE / BKG 2013 (Daten verändert), dl-de/by-2-0; "
    "vereinfacht über OpenDataLab"
)
MISSING = "keine Angabe / unterdrückt"
SIEGEN, OLPE, ARNSBERG, SOEST = "05970040", "05966024", "05958004", "05974040"


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def towns() -> pd.DataFrame:
    return municipalities()[["ags", "name", "district", "population"]]


def legend_texts(ax) -> list[str]:
    legend = ax.get_legend()
    return [t.get_text() for t in legend.get_texts()] if legend else []


def face(patch) -> tuple[float, ...]:
    return tuple(np.round(patch.get_facecolor(), 6))


def rgba(color) -> tuple[float, ...]:
    return tuple(np.round(mcolors.to_rgba(color), 6))


# ---------------------------------------------------------------------------
# what is drawn


def test_package_boundaries_are_the_reference_file():
    collection = json.loads(
        (package_data_dir() / "suedwestfalen_gemeinden.geojson").read_text(encoding="utf-8")
    )
    assert len(collection["features"]) == 59
    assert {f["properties"]["ags"] for f in collection["features"]} == set(municipalities()["ags"])
    assert collection["attribution"] == "© GeoBasis-DE / BKG 2013 (Daten verändert)"


def test_base_map_draws_the_59_municipalities_by_district(towns):
    ax = region_map()
    patches = municipality_patches(ax)
    assert len(patches) == 59
    assert set(patches) == set(towns["ags"])
    assert patches[SIEGEN].get_label() == "Siegen"
    assert legend_texts(ax) == list(DISTRICTS)
    # one colour per district, five in all
    district_of = dict(zip(towns["ags"], towns["district"], strict=True))
    colours = {}
    for key, patch in patches.items():
        colours.setdefault(district_of[key], set()).add(face(patch))
    assert all(len(c) == 1 for c in colours.values())
    assert len(set().union(*colours.values())) == 5


def test_map_has_equal_aspect_projection_and_no_ticks():
    ax = region_map()
    assert ax.get_aspect() == 1.0
    assert not ax.axison
    # x is longitude scaled by cos(latitude): the region (1.55° lon × 1.04° lat at 51.2° N)
    # is about as wide as it is high, not 1.5 times wider
    x0, x1 = ax.get_xlim()
    y0, y1 = ax.get_ylim()
    width_over_height = (x1 - x0) / (y1 - y0)
    expected = (8.971 - 7.418) * math.cos(math.radians(51.207)) / (51.729 - 50.685)
    assert width_over_height == pytest.approx(expected, rel=0.03)


def test_categorical_colours_follow_the_values(towns):
    data = towns[["ags"]].assign(
        seit=np.where(
            towns["population"] > 30_000, 2019, np.where(towns["population"] > 15_000, 2021, 2023)
        )
    )
    ax = region_map(data, value="seit", legend_title="Teilnahme seit")
    expected = dict(zip([2019, 2021, 2023], sns.color_palette("colorblind"), strict=False))
    patches = municipality_patches(ax)
    for key, year in zip(data["ags"], data["seit"], strict=True):
        assert face(patches[key]) == rgba(expected[year]), key
        assert patches[key].get_hatch() is None
    assert legend_texts(ax) == ["2019", "2021", "2023"]
    assert ax.get_legend().get_title().get_text() == "Teilnahme seit"


def test_explicit_palette_labels_and_order():
    data = pd.DataFrame({"ags": [SIEGEN, OLPE, ARNSBERG], "stand": ["neu", "alt", "neu"]})
    ax = region_map(
        data,
        value="stand",
        palette={"alt": "#009e73", "neu": "#cc79a7"},
        labels={"alt": "seit 2019", "neu": "seit 2023"},
        order=["neu", "alt"],
    )
    patches = municipality_patches(ax)
    assert face(patches[SIEGEN]) == rgba("#cc79a7")
    assert face(patches[OLPE]) == rgba("#009e73")
    assert legend_texts(ax) == ["seit 2023", "seit 2019", MISSING]


def test_yes_no_values_get_german_labels_yes_first():
    data = pd.DataFrame({"ags": [SIEGEN, OLPE], "teilnahme": [False, True]})
    ax = region_map(data, value="teilnahme")
    patches = municipality_patches(ax)
    blue, orange = sns.color_palette("colorblind")[:2]
    assert face(patches[OLPE]) == rgba(blue)
    assert face(patches[SIEGEN]) == rgba(orange)
    assert legend_texts(ax)[:2] == ["ja", "nein"]


def test_continuous_colours_follow_the_colour_map(towns):
    data = towns[["ags", "population"]]
    ax = region_map(data, value="population", legend_title="Einwohner")
    patches = municipality_patches(ax)
    viridis = colormaps["viridis"]
    low, high = data["population"].min(), data["population"].max()
    for key, people in zip(data["ags"], data["population"], strict=True):
        expected = viridis((people - low) / (high - low))
        assert np.allclose(patches[key].get_facecolor(), expected, atol=1 / 255), key
    smallest = data.loc[data["population"].idxmin(), "ags"]
    largest = data.loc[data["population"].idxmax(), "ags"]
    assert np.allclose(patches[smallest].get_facecolor(), viridis(0.0))
    assert np.allclose(patches[largest].get_facecolor(), viridis(1.0))


def test_continuous_percent_colour_bar_is_german():
    data = pd.DataFrame({"ags": [SIEGEN, OLPE, SOEST], "quote": [0.2, 0.45, 0.6]})
    ax = region_map(data, value="quote", kind="continuous", percent=True, legend_title="Rücklauf")
    ax.figure.canvas.draw()
    colour_bar = ax.child_axes[0]
    ticks = [t.get_text() for t in colour_bar.get_yticklabels() if t.get_text()]
    assert ticks and all(t.endswith("\u202f%") for t in ticks)
    assert "50\u202f%" in ticks
    assert colour_bar.get_title(loc="left") == "Rücklauf"
    assert legend_texts(ax) == [MISSING]


def test_missing_and_suppressed_values_are_hatched(towns):
    data = towns[["ags"]].assign(mean=np.linspace(2.0, 4.5, 59))
    data.loc[data["ags"] == SIEGEN, "mean"] = np.nan
    data = data[data["ags"] != OLPE]  # not in the data at all
    ax = region_map(data, value="mean", kind="continuous")
    patches = municipality_patches(ax)
    for key in (SIEGEN, OLPE):
        assert patches[key].get_hatch() == "////"
        assert face(patches[key]) == rgba("#f0f0f0")
    assert patches[ARNSBERG].get_hatch() is None
    assert sum(p.get_hatch() is not None for p in patches.values()) == 2
    assert MISSING in legend_texts(ax)


def test_no_missing_entry_when_every_municipality_has_a_value(towns):
    ax = region_map(towns[["ags", "population"]], value="population")
    assert MISSING not in legend_texts(ax)
    assert all(p.get_hatch() is None for p in municipality_patches(ax).values())


def test_values_hidden_by_disclosure_control_are_hatched():
    table = pd.DataFrame({"ags": [SIEGEN, OLPE, SOEST], "n": [12, 3, 8], "mean": [4.1, 3.0, 3.6]})
    protected = protect(table, counts="n", min_n=5)
    ax = region_map(protected, value="mean", kind="continuous")
    patches = municipality_patches(ax)
    assert patches[OLPE].get_hatch() == "////"
    assert patches[SIEGEN].get_hatch() is None
    assert patches[SOEST].get_hatch() is None


def test_district_borders_run_only_between_districts(towns):
    ax = region_map()
    (borders,) = [c for c in ax.collections if c.get_gid() == "kreisgrenzen"]
    (outline,) = [c for c in ax.collections if c.get_gid() == "regionsgrenze"]
    assert len(borders.get_segments()) >= 4 and len(outline.get_segments()) >= 1
    rings = {key: patch.get_xy() for key, patch in municipality_patches(ax).items()}
    district_of = dict(zip(towns["ags"], towns["district"].astype(str), strict=True))

    def distance(point, ring):
        a, b = ring[:-1], ring[1:]
        d = b - a
        t = np.clip(((point - a) * d).sum(1) / np.maximum((d**2).sum(1), 1e-18), 0, 1)
        return np.sqrt(((a + t[:, None] * d - point) ** 2).sum(1)).min()

    # every vertex of a district border lies near municipalities of two districts
    for line in borders.get_segments():
        for point in line[:: max(1, len(line) // 4)]:
            near = {district_of[k] for k, ring in rings.items() if distance(point, ring) < 0.004}
            assert len(near) >= 2, point


# ---------------------------------------------------------------------------
# attribution


def test_map_attribution_is_the_required_wording():
    assert map_attribution() == REQUIRED_ATTRIBUTION


@pytest.mark.parametrize("kind", ["base", "categorical", "continuous", "given_axes"])
def test_attribution_is_printed_under_every_map(kind):
    data = pd.DataFrame({"ags": [SIEGEN, OLPE], "wert": [1.5, 2.5], "ja": [True, False]})
    if kind == "base":
        ax = region_map()
    elif kind == "categorical":
        ax = region_map(data, value="ja")
    elif kind == "continuous":
        ax = region_map(data, value="wert", kind="continuous")
    else:
        _, (_left, right) = plt.subplots(1, 2, figsize=(12, 5))
        ax = region_map(data, value="wert", ax=right)
    notes = [t for t in ax.texts if t.get_text() == REQUIRED_ATTRIBUTION]
    assert len(notes) == 1
    note = notes[0]
    assert note.get_visible()
    figure = ax.figure
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()
    text_box = note.get_window_extent(renderer)
    map_box = ax.get_window_extent(renderer)
    assert text_box.y1 <= map_box.y0 + 1  # under the map
    # and part of what is saved: inside the tight bounding box of the figure
    saved = figure.get_tightbbox(renderer).transformed(figure.dpi_scale_trans)
    assert saved.x0 <= text_box.x0 + 1 and text_box.x1 <= saved.x1 + 1
    assert saved.y0 <= text_box.y0 + 1


def test_title_is_shown():
    ax = region_map(title="Teilnahme 2021")
    assert ax.get_title(loc="left") == "Teilnahme 2021"


def test_highlight_outlines_and_names_a_municipality():
    ax = region_map(highlight=SIEGEN)
    assert any(p.get_gid() == f"hervorhebung-{SIEGEN}" for p in ax.patches)
    assert "Siegen" in [t.get_text() for t in ax.texts]
    assert len(municipality_patches(ax)) == 59
    with pytest.raises(ValueError, match="05970999"):
        region_map(highlight="05970999")


# ---------------------------------------------------------------------------
# input errors


def test_unknown_keys_are_named():
    data = pd.DataFrame({"ags": [SIEGEN, "05970999", "12345678"], "wert": [1.0, 2.0, 3.0]})
    with pytest.raises(ValueError, match=r"'05970999' \(row 1\).*'12345678' \(row 2\)"):
        region_map(data, value="wert")


def test_duplicate_keys_are_refused():
    data = pd.DataFrame({"ags": [SIEGEN, SIEGEN], "wert": [1.0, 2.0]})
    with pytest.raises(ValueError, match="05970040 more than once"):
        region_map(data, value="wert")


def test_missing_value_column_is_named():
    data = pd.DataFrame({"ags": [SIEGEN], "wert": [1.0]})
    with pytest.raises(KeyError, match=r"'quote' is not a column of data.*wert"):
        region_map(data, value="quote")
    with pytest.raises(ValueError, match="pass value="):
        region_map(data)
    with pytest.raises(KeyError, match="'kennziffer' is not a column"):
        region_map(data, value="wert", ags="kennziffer")


def test_bad_kind_and_non_numeric_continuous_values():
    data = pd.DataFrame({"ags": [SIEGEN, OLPE], "wert": ["hoch", "tief"]})
    with pytest.raises(ValueError, match="kind must be"):
        region_map(data, value="wert", kind="diverging")
    with pytest.raises(ValueError, match="must be numeric for kind='continuous'"):
        region_map(data, value="wert", kind="continuous")
    with pytest.raises(TypeError, match="DataFrame"):
        region_map([1, 2], value="wert")


def test_integer_keys_get_their_leading_zero_back():
    data = pd.DataFrame({"ags": [5970040, 5966024], "wert": [1.0, 2.0]})
    ax = region_map(data, value="wert", kind="continuous")
    patches = municipality_patches(ax)
    assert patches[SIEGEN].get_hatch() is None and patches[OLPE].get_hatch() is None


def test_too_many_categories_for_the_palette(towns):
    data = towns[["ags", "name"]]
    with pytest.raises(ValueError, match="59 categories"):
        region_map(data, value="name")


# ---------------------------------------------------------------------------
# determinism


def _png(data: pd.DataFrame) -> bytes:
    ax = region_map(data, value="wert", kind="continuous", title="Test")
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png", dpi=110, metadata={"Software": None})
    plt.close(ax.figure)
    return buffer.getvalue()


@pytest.mark.slow  # renders the map twice
def test_same_data_gives_the_same_image(towns):
    data = towns[["ags"]].assign(wert=np.arange(59.0))
    assert _png(data) == _png(data)
