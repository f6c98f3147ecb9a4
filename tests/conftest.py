"""Shared fixtures: small raw exports written by the tests themselves."""

from __future__ import annotations

import csv
import functools
import io
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
import yaml
from _reference import REFERENCE, load_reference
from bs4 import BeautifulSoup

from welcome_eval.ingest.codebook import Codebook

HEADER = [
    "lfdn", "ags", "rolle", "teilnahme_seit", "zuf_runder_tisch", "zuf_checklisten",
    "zuf_praxisbeispiele", "zuf_material", "zuf_beratung", "zuf_vernetzung", "zuf_gesamt",
    "weiterempfehlung", "ideen",
]  # fmt: skip


#: The psych::bfi items in tests/reference/bfi_subset.csv.
BFI_ITEMS = [f"{trait}{number}" for trait in "AC" for number in range(1, 6)]


@pytest.fixture(scope="session")
def reference():
    """``reference(name)``: the parsed R reference values ``tests/reference/<name>.json``
    (a clear error naming the R script if the file is missing)."""
    return load_reference


@pytest.fixture(scope="session")
def bfi_data() -> pd.DataFrame:
    """psych::bfi extract (A1–A5, C1–C5, gender, education), read by R and Python alike."""
    data = pd.read_csv(REFERENCE / "bfi_subset.csv").astype(float)
    if data.shape != (2800, 12):
        raise RuntimeError(f"bfi_subset.csv has shape {data.shape}, expected (2800, 12)")
    return data


@pytest.fixture(scope="session")
def bfi_codebook() -> Codebook:
    """A codebook for the bfi items on their 6-point scale."""
    return Codebook.from_dict(
        {
            "survey": "bfi",
            "respondent_id": "id",
            "scales": {
                "agree6": {
                    "type": "likert",
                    "values": {
                        1: "trifft gar nicht zu",
                        2: "trifft nicht zu",
                        3: "trifft eher nicht zu",
                        4: "trifft eher zu",
                        5: "trifft zu",
                        6: "trifft voll zu",
                    },
                }
            },
            "items": [{"id": "id", "type": "id"}]
            + [
                {"id": item, "type": "likert", "scale": "agree6", "short": f"Item {item}"}
                for item in BFI_ITEMS
            ],
        }
    )


@pytest.fixture(scope="session")
def codebook() -> Codebook:
    return Codebook.for_survey("kommunen")


def write_wave(
    directory: Path,
    rows: list[list[object]],
    *,
    header: list[str] | None = None,
    encoding: str = "cp1252",
    delimiter: str = ";",
    name: str = "export.csv",
    fieldwork: tuple[str, str] = ("2021-06-14", "2021-07-16"),
    extra: dict | None = None,
) -> Path:
    """Write a German-Excel CSV export and its manifest; return the manifest path."""
    directory.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header or HEADER)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    (directory / name).write_bytes(buffer.getvalue().encode(encoding))
    manifest = {
        "survey": "kommunen",
        "wave": "test",
        "title": "Testwelle",
        "fieldwork": {"start": fieldwork[0], "end": fieldwork[1]},
        "file": name,
        "format": "csv",
        "demo": True,
        **(extra or {}),
    }
    path = directory / "manifest.yaml"
    path.write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    return path


def good_row(lfdn: int, ags: str = "05970040", **changes: object) -> list[object]:
    row = dict(zip(HEADER, [lfdn, ags, 1, "01.02.2018", 5, 4, 4, 3, 4, 4, 4, 9, ""], strict=True))
    row.update(changes)
    return [row[h] for h in HEADER]


#: Fixed build date of the test builds (20.11.2026), so two builds can be compared byte by byte.
SOURCE_DATE_EPOCH = "1795132800"


@pytest.fixture(scope="session")
def built_reports(tmp_path_factory):
    """Every report of the demo data, built once per test session (agency and
    researcher editions, index, catalogue) with a fixed ``SOURCE_DATE_EPOCH``."""
    import os

    from welcome_eval.build.reports import build
    from welcome_eval.config import demo_data_dir

    before = os.environ.get("SOURCE_DATE_EPOCH")
    os.environ["SOURCE_DATE_EPOCH"] = SOURCE_DATE_EPOCH
    try:
        out = tmp_path_factory.mktemp("site") / "reports"
        return build(demo_data_dir(), out, progress=False)
    finally:
        if before is None:
            os.environ.pop("SOURCE_DATE_EPOCH", None)
        else:
            os.environ["SOURCE_DATE_EPOCH"] = before


#: Images embedded in the pages (base64), left out of the text the scans read.
DATA_URI = re.compile(r"data:image/[a-z+]+;base64,[A-Za-z0-9+/=]+")


@dataclass
class BuiltPage:
    """One HTML page of the demo build, read once per session and parsed at most once.

    Shared by every test that scans the build: read it, never change it (no
    ``decompose()``, no ``extract()`` on :attr:`soup`).
    """

    name: str  #: the path inside the output folder, POSIX ("kommunen/2021/bericht.html")
    path: Path
    html: str  #: the page as written

    @functools.cached_property
    def text(self) -> str:
        """The page without its embedded images (``data:`` URIs)."""
        return DATA_URI.sub("", self.html)

    @functools.cached_property
    def soup(self) -> BeautifulSoup:
        """The parsed page (``html.parser``), parsed on first use."""
        return BeautifulSoup(self.html, "html.parser")


@pytest.fixture(scope="session")
def built_pages(built_reports) -> dict[str, BuiltPage]:
    """Every HTML page of ``built_reports`` by its path inside the output folder, in
    path order: the scans of the full build share one reading and one parse."""
    out = Path(built_reports.out_dir)
    return {
        page.relative_to(out).as_posix(): BuiltPage(
            page.relative_to(out).as_posix(), page, page.read_text(encoding="utf-8")
        )
        for page in sorted(out.rglob("*.html"))
    }


@pytest.fixture(scope="session")
def report_kernel():
    """One long-lived kernel for the tests that execute a notebook (reset
    before each, as in ``welcome-eval build``): saves a kernel start and the
    imports per test."""
    from welcome_eval.build.reports import ReportKernel

    with ReportKernel() as kernel:
        yield kernel


def notebook_text(notebook) -> str:
    """The Markdown and HTML a report notebook displayed, after checking that no
    cell raised."""
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]
    errors = [o for o in outputs if o.get("output_type") == "error"]
    if errors:
        raise AssertionError(f"a cell raised: {errors[0].get('ename')}: {errors[0].get('evalue')}")
    return "\n".join(
        str(o.get("data", {}).get("text/markdown", ""))
        + str(o.get("data", {}).get("text/html", ""))
        for o in outputs
    )


@pytest.fixture(autouse=True)
def _close_figures():
    """Close the figures a test left open (pyplot keeps every one alive)."""
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")


#: Fixtures that build reports, start kernels or open a browser: their tests are slow.
SLOW_FIXTURES = {"built_reports", "built_pages", "report_kernel", "site", "browser", "tiny"}
#: Modules whose every test builds, opens a browser or starts processes.
SLOW_MODULES = {"test_browser", "test_blas_independence", "test_notebooks"}


def fast_sample(values: Iterable, *, every: int = 3, ids=None) -> list:
    """Parameters of a large parametrisation in two tiers: every ``every``-th value
    (the first, the ``every + 1``-th, …) runs in the fast tier, the others carry the
    ``slow`` marker, so ``make test`` still runs them all.

    ``values`` as in ``pytest.mark.parametrize``: a tuple holds the values of
    several argument names, a ``pytest.param(...)`` keeps its id and marks;
    ``ids`` is a list of ids or a function of the value.
    """
    params = []
    for index, value in enumerate(values):
        if isinstance(value, type(pytest.param(None))):
            args, marks, id_ = value.values, list(value.marks), value.id
        else:
            args, marks = (value if isinstance(value, tuple) else (value,)), []
            id_ = ids(value) if callable(ids) else (ids[index] if ids is not None else None)
        if index % every:
            marks.append(pytest.mark.slow)
        params.append(pytest.param(*args, marks=marks, id=id_))
    return params


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        module = getattr(item, "module", None)
        name = module.__name__.rsplit(".", 1)[-1] if module is not None else ""
        if SLOW_FIXTURES & set(getattr(item, "fixturenames", ())) or name in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="module")
def browser():
    """Headless Chromium (the Debian package, see ``_chromium``), one per test module."""
    from _chromium import LAUNCH_ARGS, ensure_chromium
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    executable = ensure_chromium()
    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(
                executable_path=str(executable), headless=True, args=LAUNCH_ARGS
            )
        except PlaywrightError as exc:
            pytest.fail(f"headless Chromium ({executable}) does not start: {exc}")
        yield chromium
        chromium.close()
