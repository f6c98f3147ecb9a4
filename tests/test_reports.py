"""End to end: the demo data through executed notebooks to self-contained HTML."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from welcome_eval.build.reports import BuildError, build
from welcome_eval.config import demo_data_dir, notebooks_dir
from welcome_eval.ingest.wave import find_manifests
from welcome_eval.synth import PLANTED_PERSONAL_DATA
from welcome_eval.synth.newcomers import PLANTED_PERSONAL_DATA as PLANTED_NEWCOMER_DATA

SECTIONS = {
    "kommunen": [
        "Wer hat geantwortet?",
        "Zufriedenheit mit den Bausteinen der Qualitätsoffensive",
        "Veränderung gegenüber der Vorwelle",
        "Weiterempfehlung",
        "Ideen zur Weiterentwicklung",
        "Datengrundlage und Datenqualität",
    ],
    "neubuerger": [
        "Das Wichtigste in Kürze",
        "Wer hat geantwortet?",
        "Gewichtung",
        "Willkommensangebote",
        "Zufriedenheit mit den Lebensbereichen",
        "Willkommensgefühl und Bleibeabsicht",
        "Was die Bleibeabsicht erklärt",
        "Wichtigkeit und Zufriedenheit",
        "Veränderung gegenüber der Vorwelle",
        "Anmerkungen der Neuzugezogenen",
        "Datengrundlage und Datenqualität",
    ],
    "checkliste": [
        "Wer hat die Checkliste ausgefüllt?",
        "Wo die Region steht",
        "Was am häufigsten fehlt",
    ],
    "register": [
        "Wer ist im Auszug?",
        "Wie lange bleiben Neubürgerinnen und Neubürger?",
        "Wohin ziehen sie?",
        "Wirkt die Qualitätsoffensive?",
        "Hazard Ratio",
        "Goodman-Bacon",
    ],
}
TITLES = {
    "kommunen": "Kommunenbefragung",
    "neubuerger": "Neubürgerbefragung",
    "register": "Melderegisterauszug",
    "checkliste": "Checkliste Willkommenskultur",
}
REPORTS = [
    *[("kommunen", w) for w in ("2018", "2019", "2021")],
    *[("neubuerger", w) for w in ("2021", "2023")],
    ("register", "2025"),
    *[("checkliste", w) for w in ("2019", "2021", "2023")],
]


@pytest.fixture(scope="module")
def built(built_reports):
    return built_reports


def _reported() -> list[str]:
    """Every demo wave of a survey that has a report notebook."""
    return [
        f"{p.parent.parent.name}/{p.parent.name}/bericht.html"
        for p in find_manifests(demo_data_dir())
        if (notebooks_dir() / f"{p.parent.parent.name}_welle.ipynb").is_file()
    ]


def test_every_wave_has_a_report_and_the_index_links_them(built):
    for survey in TITLES:
        waves = [p.parent.name for p in find_manifests(demo_data_dir(), survey)]
        assert waves == [w for s, w in REPORTS if s == survey]
    expected = _reported()
    assert {f"{s}/{w}/bericht.html" for s, w in REPORTS} <= set(expected)
    regional = [
        p.relative_to(built.out_dir).as_posix() for p in built.reports if p.name == "bericht.html"
    ]
    assert set(expected) <= set(regional)
    index = built.index.read_text(encoding="utf-8")
    for survey, wave in REPORTS:
        assert f'href="{survey}/{wave}/bericht.html"' in index
    assert "Demodaten" in index
    assert "Neubürgerbefragung „Willkommen in Südwestfalen“" in index


@pytest.mark.parametrize(("survey", "wave"), REPORTS)
def test_report_sections_figures_and_footer(built, survey, wave):
    html = (built.out_dir / survey / wave / "bericht.html").read_text(encoding="utf-8")
    assert '<html lang="de">' in html
    assert f"{TITLES[survey]} {wave}" in html
    for section in SECTIONS[survey]:
        assert section in html, section
    assert "Demodaten" in html
    images = re.findall(r"<img [^>]*>", html)
    assert len(images) >= 3
    for image in images:
        assert re.search(r'src="data:image/png;base64,[A-Za-z0-9+/=]{1000,}"', image), image[:80]
        assert re.search(r'alt="[^"]{10,}"', image), image[:80]
    assert html.count("<figcaption>") == len(images)
    # Footer: version, input hashes, build date.
    assert "welcome_eval 0.1.0" in html and re.search(r"Erstellt am \d\d\.\d\d\.\d{4}", html)
    manifest_sha = re.search(
        r"sha256: (\w+)", (demo_data_dir() / survey / wave / "manifest.yaml").read_text()
    ).group(1)
    assert manifest_sha in html
    # No code, no tracebacks, no Python reprs.
    assert "read_wave(" not in html and "Traceback" not in html and "DataFrame" not in html


def test_first_wave_says_there_is_no_comparison_and_later_ones_compare(built):
    first = (built.out_dir / "kommunen" / "2018" / "bericht.html").read_text(encoding="utf-8")
    later = (built.out_dir / "kommunen" / "2021" / "bericht.html").read_text(encoding="utf-8")
    assert "erste Welle" in first
    assert "Mittelwert 2019" in later and "Mittelwert 2021" in later
    first = (built.out_dir / "neubuerger" / "2021" / "bericht.html").read_text(encoding="utf-8")
    later = (built.out_dir / "neubuerger" / "2023" / "bericht.html").read_text(encoding="utf-8")
    assert "erste Welle" in first
    assert "Kalibrierte Anteile 2021 und 2023 im Vergleich" in later


@pytest.mark.parametrize("report", ["kommunen/2021", "neubuerger/2023"])
def test_german_number_format(built, report):
    html = (built.out_dir / report / "bericht.html").read_text(encoding="utf-8")
    assert re.search(r"\d,\d\d</td>", html)  # decimal comma in tables
    assert re.search(r"\d\u202f%", html)  # "45 %" with a narrow no-break space
    # no decimal points (a point may only separate thousands: 1.193)
    assert not re.search(r"<td class=num>\d+\.(?!\d{3}\b)\d+</td>", html)


def test_no_outside_requests_and_no_personal_data(built):
    for path in built.out_dir.rglob("*"):
        if path.is_file():
            text = path.read_text(encoding="utf-8")
            assert "http://" not in text and "https://" not in text, path
            if path.name != "index.html":  # reports have no scripts; index pages filter
                assert "<script" not in text, path
            for secret in (*PLANTED_PERSONAL_DATA, *PLANTED_NEWCOMER_DATA):
                assert secret not in text, (path, secret)


def test_a_bad_wave_fails_and_keeps_the_published_reports(built, tmp_path):
    data = tmp_path / "data"
    shutil.copytree(demo_data_dir(), data)
    raw = next((data / "kommunen" / "2019").glob("kommunen_2019.*"))
    raw.write_bytes(raw.read_bytes() + b"tampered")
    published = tmp_path / "reports"
    shutil.copytree(built.out_dir, published)
    before = {p: p.read_bytes() for p in published.rglob("*") if p.is_file()}
    with pytest.raises(BuildError, match=r"2019.*sha256"):
        build(data, published, progress=False)
    after = {p: p.read_bytes() for p in published.rglob("*") if p.is_file()}
    assert before == after
    assert not Path(str(published) + ".building").exists()


def test_only_reports_and_index_are_published(built):
    files = sorted(
        p.relative_to(built.out_dir).as_posix() for p in built.out_dir.rglob("*") if not p.is_dir()
    )
    reports = [p.relative_to(built.out_dir).as_posix() for p in built.reports]
    pages = {"index.html", "forschung/index.html", *reports, *(f"forschung/{r}" for r in reports)}
    assert set(files) - pages <= {
        "beispiele/index.html",
        ".build-cache.json",
        ".welcome-eval-output",
    }
    assert pages <= set(files)
    assert {f"{s}/{w}/bericht.html" for s, w in REPORTS} <= set(files)


#: Reports rebuilt for the byte-identical comparison: every kind of report.
REBUILT = [
    "kommunen/2021/*",
    "neubuerger/2023/*",
    "register/2025/*",
    "checkliste/2023/*",
    "programm/*",
    "gemeinden/05958004/*",
    "gemeinden/05970040/*",
]


def test_same_inputs_give_byte_identical_reports(built, tmp_path, monkeypatch):
    # A second build of a sample of every kind of report into a copy of the first
    # build whose copies of these reports were deleted: every page must come out
    # byte for byte as before. Which kernel runs which report after which
    # predecessor differs between the builds, so this also shows that a reused
    # kernel leaves no trace.
    from conftest import SOURCE_DATE_EPOCH

    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    again = tmp_path / "again"
    shutil.copytree(built.out_dir, again)
    # Path.match anchors at the right: the researcher copies under forschung/ match too.
    removed = [
        p for p in again.rglob("*.html") if any(p.relative_to(again).match(r) for r in REBUILT)
    ]
    assert len(removed) >= 2 * 12
    for path in removed:
        path.unlink()
    result = build(demo_data_dir(), again, progress=False, only=REBUILT)
    assert len(result.reports) * 2 == len(removed)
    first_files = sorted(p.relative_to(built.out_dir) for p in built.out_dir.rglob("*.html"))
    assert first_files == sorted(p.relative_to(again) for p in again.rglob("*.html"))
    for relative in first_files:
        first, second = built.out_dir / relative, again / relative
        assert first.read_bytes() == second.read_bytes(), relative


def test_a_second_build_executes_only_what_changed(built, tmp_path, monkeypatch):
    import json

    from conftest import SOURCE_DATE_EPOCH

    from welcome_eval.build.reports import CACHE_FILE

    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    again = tmp_path / "reports"
    shutil.copytree(built.out_dir, again)
    keys = json.loads((again / CACHE_FILE).read_text(encoding="utf-8"))
    assert len(keys) == len(built.reports)
    keys["kommunen/2018/bericht.html"] = "something changed"
    (again / CACHE_FILE).write_text(json.dumps(keys), encoding="utf-8")
    result = build(demo_data_dir(), again, progress=False)
    assert list(result.timings) == ["kommunen/2018/bericht.html"]  # the only one executed
    assert len(result.reused) == len(built.reports) - 1
    for page in built.out_dir.rglob("*.html"):
        assert page.read_bytes() == (again / page.relative_to(built.out_dir)).read_bytes()
    forced = build(demo_data_dir(), again, progress=False, force=True, only=["programm/*"])
    assert list(forced.timings) == ["programm/bericht.html"] and not forced.reused
    assert json.loads((again / CACHE_FILE).read_text(encoding="utf-8")).keys() == keys.keys()


MUNICIPAL_SECTIONS = [
    "Das Wichtigste in Kürze",
    "Ihre Ergebnisse im Vergleich",
    "Ihr Kreis und die Region",
    "Selbstcheck: Wo steht Ihre Kommune?",
    "Beispiele aus anderen Kommunen",
]


def test_every_participating_municipality_gets_a_report_per_wave(built):
    from welcome_eval.analysis.programme import participating_on, participation_record
    from welcome_eval.ingest.wave import Manifest

    record = participation_record(demo_data_dir())
    for manifest in find_manifests(demo_data_dir(), "neubuerger"):
        m = Manifest.load(manifest)
        members = record[participating_on(record, m.fieldwork_start)]
        built_for = {p.parent.name for p in built.out_dir.glob(f"gemeinden/*/{m.wave}.html")}
        assert built_for == set(members["ags"]), m.wave
        outsider = record[~participating_on(record, m.fieldwork_start)]["ags"].iloc[0]
        assert not (built.out_dir / "gemeinden" / outsider / f"{m.wave}.html").exists()


def test_municipal_report_shows_its_own_values_only_against_anonymous_peers(built):
    from welcome_eval.municipalities import municipalities

    names = municipalities().set_index("ags")["name"]
    page = built.out_dir / "gemeinden" / "05958004" / "2023.html"
    html = page.read_text(encoding="utf-8")
    for section in MUNICIPAL_SECTIONS:
        assert section in html, section
    assert "Arnsberg" in html and "anonymen Verteilung" in html
    # Other municipalities are named only as authors of catalogue examples.
    outside_examples = html.split("Beispiele aus anderen Kommunen")[0]
    named = [n for a, n in names.items() if a != "05958004" and f">{n}<" in outside_examples]
    assert named == []
    assert 'href="../../beispiele/index.html#' in html


@pytest.mark.slow
def test_an_unchanged_build_reads_no_raw_file_and_copies_every_page(built, tmp_path, monkeypatch):
    # Issue 16, item 2: the second build into a copy of the published reports finds
    # every wave in the cache beside the output and reads none of them again.
    from conftest import SOURCE_DATE_EPOCH

    import welcome_eval.ingest.readers as readers
    import welcome_eval.ingest.wave as wave

    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    again = tmp_path / "reports"
    shutil.copytree(built.out_dir, again)
    build(demo_data_dir(), again, progress=False)  # fills tmp_path/.build-cache

    def refuse(*args, **kwargs):
        raise AssertionError("a raw wave file was read")

    monkeypatch.setattr(readers, "read_raw", refuse)
    monkeypatch.setattr(wave, "read_raw", refuse)
    monkeypatch.setattr(wave, "read_wave", refuse)
    result = build(demo_data_dir(), again, progress=False)
    assert not result.timings and len(result.reused) == len(built.reports)
    for page in built.out_dir.rglob("*.html"):
        assert page.read_bytes() == (again / page.relative_to(built.out_dir)).read_bytes()
