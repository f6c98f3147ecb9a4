"""Result objects read well in a notebook (issue 15, part 3).

Each result class has a short ``__repr__`` (at most 12 lines and 800 characters, numbers
rounded for display only) and a small German ``_repr_html_`` whose every text is escaped;
showing an object changes none of its numbers. ``fit_kaplan_meier(..., by=...)`` and the
retention figure name coded groups by the codebook's labels, and ``dir()`` of the package,
its sub-packages and the public stats modules lists the public names only.
"""

from __future__ import annotations

import copy
import importlib
from html.parser import HTMLParser

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from conftest import good_row, write_wave

import welcome_eval
from welcome_eval import _display, read_wave
from welcome_eval.analysis.newcomers import RAKED_WEIGHT, Weighting
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.present.figures.retention import retention_curves
from welcome_eval.stats import cronbach_alpha
from welcome_eval.stats.drivers import ordinal_drivers
from welcome_eval.stats.survey import Design, Estimate
from welcome_eval.survival import programme_effect as pe
from welcome_eval.survival import retention

HOSTILE = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
VOID_TAGS = {"br", "hr", "img", "meta", "input", "col", "wbr"}


class _TagChecker(HTMLParser):
    """Collects the tags of an HTML fragment and the errors in their nesting."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.tags: list[str] = []
        self.errors: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.tags.append(tag)
        if tag not in VOID_TAGS:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(f"unexpected </{tag}>")

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def parse_html(fragment: str) -> _TagChecker:
    checker = _TagChecker()
    checker.feed(fragment)
    checker.close()
    assert not checker.errors, checker.errors
    assert not checker.stack, f"unclosed tags: {checker.stack}"
    return checker


# ---------------------------------------------------------------------------
# small real instances


def _register(n: int = 400, seed: int = 7) -> pd.DataFrame:
    """Stays of a small register: years under observation, moves, coded groups."""
    rng = np.random.default_rng(seed)
    fachkraft = rng.choice([0.0, 1.0, 2.0], size=n, p=[0.6, 0.3, 0.1])
    herkunft = rng.choice([1.0, 2.0, 3.0], size=n)
    hazard = 0.15 * np.exp(0.4 * (fachkraft == 1.0) - 0.2 * (herkunft == 3.0))
    years = rng.exponential(1 / hazard)
    censor = rng.uniform(0.5, 12, size=n)
    return pd.DataFrame(
        {
            "years": np.minimum(years, censor),
            "left_region": (years <= censor).astype(int),
            "fachkraft": fachkraft,
            "herkunft": herkunft,
            "alter": rng.normal(35, 10, size=n),
        }
    )


@pytest.fixture(scope="module")
def register_codebook() -> Codebook:
    return Codebook.for_survey("register")


@pytest.fixture(scope="module")
def stays() -> pd.DataFrame:
    return _register()


@pytest.fixture(scope="module")
def wave(tmp_path_factory):
    directory = tmp_path_factory.mktemp("wave")
    rows = [good_row(i) for i in range(1, 9)] + [good_row(9, zuf_gesamt=7)]
    manifest = write_wave(directory, rows, extra={"title": f"Testwelle {HOSTILE}"})
    return read_wave(manifest)


@pytest.fixture(scope="module")
def design() -> Design:
    frame = pd.DataFrame(
        {
            "schicht": ["a"] * 4 + ["b"] * 4,
            "gewicht": [10.0, 10.0, 10.0, 10.0, 20.0, 20.0, 20.0, 20.0],
            "y": [1.0, 2.0, 3.0, 4.0, 4.0, 5.0, 6.0, 8.0],
            "g": ["x", "y"] * 4,
        }
    )
    return Design(frame, weights="gewicht", strata="schicht")


@pytest.fixture(scope="module")
def weighting(design: Design, codebook: Codebook) -> Weighting:
    raked = design.rake({"g": {"x": 70.0, "y": 50.0}})
    data = design.data.assign(**{RAKED_WEIGHT: raked.weights})
    margins = pd.DataFrame({"margin": ["g", "g"], "code": ["x", "y"], "population": [70, 50]})
    return Weighting(data, design, raked, margins, codebook, "gewicht", "schicht")


@pytest.fixture(scope="module")
def objects(wave, design, weighting, stays, register_codebook, bfi_data) -> dict:
    """One real instance of every class with a notebook display."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=300)
    y = np.digitize(x + rng.logistic(size=300), [-1.0, 0.0, 1.0]) + 1.0
    panel = pd.DataFrame(
        [
            (u, t, g, 0.5 + 0.01 * t + (0.1 if g == g and t >= g else 0.0))
            for u, g in enumerate([3, 3, 4, np.nan, np.nan, np.nan, np.nan, np.nan])
            for t in range(1, 6)
        ],
        columns=["ags", "cohort_year", "join_year", "retained"],
    )
    return {
        "Wave": wave,
        "Manifest": wave.manifest,
        "Codebook": register_codebook,
        "Design": design,
        "Estimate": design.mean("y"),
        "Weighting": weighting,
        "AlphaResult": cronbach_alpha(bfi_data[["A2", "A3", "A4", "A5"]]),
        "DriverResult": ordinal_drivers(
            pd.DataFrame({"y": y, "x": x}), outcome="y", predictors=["x"]
        ),
        "KaplanMeier": retention.fit_kaplan_meier(
            stays, duration="years", event="left_region", by="fachkraft", codebook=register_codebook
        ),
        "LogRank": retention.logrank(
            stays, duration="years", event="left_region", group="herkunft"
        ),
        "CoxResult": retention.cox(
            stays, duration="years", event="left_region", covariates=["alter", "fachkraft"]
        ),
        "GroupTimeEffects": pe.group_time_effects(panel, weights=None, n_boot=49),
    }


def _expected(name: str, obj: object) -> list[str]:
    """Texts the display of ``obj`` must contain (counts and rounded numbers)."""
    de = _display
    if name == "Wave":
        return ["Zeilen gelesen: 9", "angenommen", "in Quarantäne: 1", "Testwelle"]
    if name == "Manifest":
        return ["Feldzeit: 14.06.2021 bis 16.07.2021", "Datei: export.csv", "Format: csv"]
    if name == "Codebook":
        return [f"Items: {len(obj.items)}", "Version 1", "categorical", "Kurztext"]
    if name == "Design":
        return ["Design(n=8", "strata='schicht' (2)"]
    if name == "Estimate":
        return ["Mittelwert von y", f"Schätzwert: {de.significant(obj.estimate, 4)}", "Fälle: 8"]
    if name == "Weighting":
        return ["Befragte: 8", "Schichten: schicht (2)", "Designeffekt", RAKED_WEIGHT]
    if name == "AlphaResult":
        return [f"Alpha: {de.number(obj.alpha, 3)}", "Befragte: 2.800", "A2", "95-%-KI (Feldt)"]
    if name == "DriverResult":
        return ["Fälle: 300", "Stufen: 4 (1 < 2 < 3 < 4)", "Odds Ratio", "konvergiert: ja"]
    if name == "KaplanMeier":
        table_rows = de.integer(len(obj.table))
        return [f"Tabelle: {table_rows} Zeilen", "Personen: 400", "nein", "ja", "unbekannt"]
    if name == "LogRank":
        return [f"χ²: {de.number(obj.chi2, 2)}", f"Freiheitsgrade: {obj.df}", "Personen: 400"]
    if name == "CoxResult":
        hr = de.number(obj.coefficients["hazard_ratio"].iloc[0], 3)
        return ["Ereignisse", "alter", "fachkraft", hr]
    if name == "GroupTimeEffects":
        return ["Beitrittsjahrgänge: 2", "Bootstrap: 49 Replikationen", "ATT"]
    raise AssertionError(name)


CLASSES = [
    "Wave",
    "Manifest",
    "Codebook",
    "Design",
    "Estimate",
    "Weighting",
    "AlphaResult",
    "DriverResult",
    "KaplanMeier",
    "LogRank",
    "CoxResult",
    "GroupTimeEffects",
]


@pytest.mark.parametrize("name", CLASSES)
def test_the_repr_is_short_and_says_what_matters(objects: dict, name: str) -> None:
    obj = objects[name]
    text = repr(obj)
    assert len(text) <= _display.MAX_REPR_CHARS
    assert len(text.splitlines()) <= _display.MAX_REPR_LINES
    assert text.startswith(name)
    for expected in _expected(name, obj):
        assert expected in text, f"{expected!r} not in\n{text}"


@pytest.mark.parametrize("name", CLASSES)
def test_the_html_is_a_small_german_table(objects: dict, name: str) -> None:
    obj = objects[name]
    page = obj._repr_html_()
    parsed = parse_html(page)
    assert "table" in parsed.tags
    assert len(page) < 6000
    shown = "".join(parsed.text)
    assert name in shown
    # the design keeps its one-line repr (as before); its HTML is a table like the others
    wanted = ["Fälle", "Schichten", "schicht (2)"] if name == "Design" else _expected(name, obj)
    for expected in wanted:
        label = expected.split(": ")[0]
        assert label in shown, f"{label!r} not in the HTML of {name}"


def test_showing_an_object_changes_none_of_its_numbers(objects: dict) -> None:
    def numbers(obj: object) -> dict:
        return {
            key: copy.deepcopy(value)
            for key, value in vars(obj).items()
            if isinstance(value, pd.DataFrame | pd.Series | np.ndarray | float | int | str)
        }

    before = {name: numbers(obj) for name, obj in objects.items()}
    weights = objects["Design"].weights.copy()
    for obj in objects.values():
        repr(obj)
        obj._repr_html_()
    for name, fields in before.items():
        assert fields, name
        for key, value in fields.items():
            now = vars(objects[name])[key]
            if isinstance(value, pd.DataFrame | pd.Series):
                assert value.equals(now), f"{name}.{key} changed by showing it"
            elif isinstance(value, np.ndarray):
                assert np.array_equal(value, now, equal_nan=True), f"{name}.{key}"
            else:
                assert value == now or (value != value and now != now), f"{name}.{key}"
    pd.testing.assert_series_equal(objects["Design"].weights, weights)
    # full precision stays: the shown values are rounded, the stored ones are not
    km = objects["KaplanMeier"]
    assert km.table["survival"].round(2).ne(km.table["survival"]).any()
    assert objects["Estimate"].estimate == objects["Design"].mean("y").estimate


def test_the_estimate_shows_rounded_numbers_but_keeps_them_exact() -> None:
    est = Estimate(
        "zufriedenheit", "proportion", 0.123456789, 0.0123456, 0.1, 0.15, 1.23456, 812, 0.9
    )
    text = repr(est)
    assert "Schätzwert: 0,1235" in text and "0.123456789" not in text
    assert "90-%-KI: [0,1000; 0,1500]" in text
    assert "Designeffekt: 1,23" in text and "Fälle: 812" in text
    assert est.estimate == 0.123456789 and est.to_frame()["estimate"].item() == 0.123456789


def test_a_hostile_label_is_escaped_everywhere(wave, stays) -> None:
    for obj in (wave, wave.manifest):
        page = obj._repr_html_()
        assert HOSTILE not in page and ESCAPED in page
        parse_html(page)
    codebook = Codebook.from_dict(
        {
            "survey": "feindlich",
            "title": HOSTILE,
            "respondent_id": "id",
            "items": [
                {"id": "id", "type": "id"},
                {"id": "q", "type": "categorical", "short": HOSTILE, "values": {1: "a"}},
            ],
        }
    )
    km = retention.fit_kaplan_meier(
        stays,
        duration="years",
        event="left_region",
        by="fachkraft",
        labels={0.0: HOSTILE, 1.0: "ja", 2.0: "unbekannt"},
    )
    summary = _display.Summary(HOSTILE, HOSTILE, [(HOSTILE, HOSTILE)], [HOSTILE], [[HOSTILE]])
    for page in (codebook._repr_html_(), km._repr_html_(), summary.html()):
        assert "<script" not in page and ESCAPED in page
        parse_html(page)


def test_the_summary_keeps_its_bounds_with_long_texts_and_many_rows() -> None:
    summary = _display.Summary(
        "Lang",
        "x" * 500,
        [(f"Angabe {i}", "y" * 300) for i in range(4)],
        ["Spalte " * 10, "Wert"],
        [[f"Zeile {i} " * 20, i * 1234.5678] for i in range(40)],
    )
    text = summary.text()
    assert len(text) <= _display.MAX_REPR_CHARS
    assert len(text.splitlines()) <= _display.MAX_REPR_LINES
    assert "weitere Zeilen" in text
    page = summary.html()
    # the four facts, the table's header and its first rows
    assert page.count("<tr>") == 4 + 1 + _display.MAX_HTML_ROWS
    assert "30 weitere Zeilen" in page
    assert "1.234,568" not in page and "1.235" in page


@pytest.mark.parametrize(
    ("function", "value", "text"),
    [
        (_display.number, -1234.5678, "−1.234,57"),
        (_display.number, -0.001, "0,00"),
        (_display.number, float("nan"), "–"),
        (_display.integer, 7114, "7.114"),
        (_display.significant, 0.0123456, "0,0123"),
        (_display.significant, 123456.7, "123.457"),
        (_display.percent, 0.4523, "45,2\u202f%"),
        (_display.p_value, 0.0004, "< 0,001"),
        (_display.p_value, 0.0496, "0,050"),
        (_display.ci_label, 0.95, "95-%-KI"),
        (_display.ci_label, 0.975, "97,5-%-KI"),
    ],
)
def test_the_german_display_numbers(function, value, text) -> None:
    assert function(value) == text


# ---------------------------------------------------------------------------
# codebook labels for coded groups


def test_kaplan_meier_names_coded_groups_by_the_codebook(stays, register_codebook) -> None:
    plain = retention.fit_kaplan_meier(stays, duration="years", event="left_region", by="fachkraft")
    named = retention.fit_kaplan_meier(
        stays, duration="years", event="left_region", by="fachkraft", codebook=register_codebook
    )
    assert plain.groups == [0.0, 1.0, 2.0]
    assert named.groups == ["nein", "ja", "unbekannt"]
    assert named.group == "fachkraft"
    pd.testing.assert_frame_equal(
        plain.table.drop(columns="group"), named.table.drop(columns="group")
    )
    assert named.median()["group"].tolist() == ["nein", "ja", "unbekannt"]
    # a column the codebook does not know keeps its values
    other = retention.fit_kaplan_meier(
        stays.assign(gruppe=stays["fachkraft"]),
        duration="years",
        event="left_region",
        by="gruppe",
        codebook=register_codebook,
    )
    assert other.groups == [0.0, 1.0, 2.0]
    table = retention.kaplan_meier(
        stays, duration="years", event="left_region", by="herkunft", codebook=register_codebook
    )
    assert list(pd.unique(table["group"])) == [
        register_codebook["herkunft"].values[code] for code in (1, 2, 3)
    ]


def test_kaplan_meier_labels_given_explicitly(stays, tmp_path) -> None:
    labels = {0.0: "keine Fachkraft", 1.0: "Fachkraft", 2.0: "unklar"}
    km = retention.fit_kaplan_meier(
        stays, duration="years", event="left_region", by="fachkraft", labels=labels
    )
    assert km.groups == ["keine Fachkraft", "Fachkraft", "unklar"]
    path = tmp_path / "stays.parquet"
    stays.to_parquet(path)
    counted = retention.fit_kaplan_meier(
        path, duration="years", event="left_region", by="fachkraft", labels=labels
    )
    assert counted.groups == km.groups
    with pytest.raises(ValueError, match=r"no label for the value\(s\) 2\.0 of column 'fachkraft'"):
        retention.fit_kaplan_meier(
            stays, duration="years", event="left_region", by="fachkraft", labels={0: "a", 1: "b"}
        )
    with pytest.raises(ValueError, match="the same label"):
        retention.fit_kaplan_meier(
            stays,
            duration="years",
            event="left_region",
            by="fachkraft",
            labels={0: "a", 1: "a", 2: "b"},
        )
    with pytest.raises(TypeError, match="labels must map each value"):
        retention.fit_kaplan_meier(
            stays, duration="years", event="left_region", by="fachkraft", labels=["a", "b"]
        )


def test_the_figure_legend_shows_the_labels(stays, register_codebook) -> None:
    table = retention.kaplan_meier(stays, duration="years", event="left_region", by="fachkraft")
    ax = retention_curves(table, labels=register_codebook["fachkraft"].values)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["nein", "ja", "unbekannt"]
    plt.close(ax.figure)
    ax = retention_curves(table)  # without labels: the values, as before
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["0.0", "1.0", "2.0"]
    plt.close(ax.figure)
    named = retention.kaplan_meier(
        stays, duration="years", event="left_region", by="fachkraft", codebook=register_codebook
    )
    ax = retention_curves(named)
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["nein", "ja", "unbekannt"]
    plt.close(ax.figure)


# ---------------------------------------------------------------------------
# tab completion

SUBPACKAGES = [
    "analysis",
    "build",
    "ingest",
    "present",
    "publish",
    "sections",
    "stats",
    "survival",
    "synth",
]
IMPORT_HELPERS = {
    "annotations",
    "attach",
    "importlib",
    "ModuleType",
    "np",
    "pd",
    "math",
    "dataclass",
}


def test_dir_of_the_package_lists_its_api_and_no_helpers() -> None:
    listed = dir(welcome_eval)
    assert set(welcome_eval.__all__) <= set(listed)
    assert {"stats", "survey", "retention", "read_wave", "Wave"} <= set(listed)
    assert not IMPORT_HELPERS & set(listed)
    assert not [name for name in listed if name.startswith("_") and name != "__version__"]


@pytest.mark.parametrize("name", SUBPACKAGES)
def test_dir_of_each_sub_package_lists_its_api_and_no_helpers(name: str) -> None:
    package = importlib.import_module(f"welcome_eval.{name}")
    listed = set(dir(package))
    assert set(package.__all__) <= listed
    assert not IMPORT_HELPERS & listed
    assert not [n for n in listed if n.startswith("_")], sorted(listed)


def test_dir_of_stats_lists_the_lazy_and_loaded_modules() -> None:
    from welcome_eval import stats

    listed = dir(stats)
    assert {"drivers", "survey", "likert", "cronbach_alpha", "AlphaResult"} <= set(listed)
    assert "_common" not in listed and "describe_change" not in listed


@pytest.mark.parametrize(
    "module",
    [
        "welcome_eval.stats.comparisons",
        "welcome_eval.stats.drivers",
        "welcome_eval.stats.likert",
        "welcome_eval.stats.proportions",
        "welcome_eval.stats.reliability",
        "welcome_eval.stats.survey",
        "welcome_eval.stats.trends",
        "welcome_eval.survival.retention",
    ],
)
def test_dir_of_a_public_module_is_its_all(module: str) -> None:
    loaded = importlib.import_module(module)
    assert dir(loaded) == sorted(loaded.__all__)
    assert not IMPORT_HELPERS & set(dir(loaded))
