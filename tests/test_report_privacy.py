"""Scan every rendered report: nothing in it identifies a person.

Builds all demo reports once (``built_reports``) and checks the HTML itself,
not the code that wrote it: no planted canary (e-mail addresses, phone
numbers, street addresses, names, raw and pseudonymised ids) appears; every
table and figure passed the disclosure gate; no number is shown for a group
with fewer than the minimum number of respondents; and an attacker who knows
the published totals cannot recover a suppressed cell.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
from bs4 import BeautifulSoup
from conftest import BuiltPage

from welcome_eval import synth
from welcome_eval.config import demo_data_dir
from welcome_eval.ingest.wave import find_manifests, read_wave
from welcome_eval.publish.disclosure import feasibility_intervals
from welcome_eval.publish.display import table_html
from welcome_eval.publish.privacy import protect
from welcome_eval.synth import checklist as synth_checklist
from welcome_eval.synth import newcomers as synth_newcomers


def _pages(built_pages: dict[str, BuiltPage]) -> dict[str, str]:
    """Every page's text without its embedded images."""
    return {name: page.text for name, page in built_pages.items()}


def _report_pages(built_pages: dict[str, BuiltPage]) -> dict[str, BeautifulSoup]:
    """Pages made from notebooks (not the index or the catalogue), parsed once per session."""
    return {
        name: page.soup for name, page in built_pages.items() if not name.endswith("index.html")
    }


def _canaries() -> list[str]:
    planted = [
        *synth.PLANTED_PERSONAL_DATA,
        *synth_newcomers.PLANTED_PERSONAL_DATA,
        *synth_checklist.PLANTED_PERSONAL_DATA,
    ]
    ids: list[str] = []
    for manifest in find_manifests(demo_data_dir()):
        wave = read_wave(manifest)
        ids += wave.data["respondent"].astype(str).tolist()  # pseudonyms
    register = next((demo_data_dir() / "register").glob("*/register_*.csv"))
    raw = pd.read_csv(register, sep=";", dtype=str, usecols=["person_id", "haushalt_id"])
    ids += raw["person_id"].tolist() + raw["haushalt_id"].tolist()
    return planted + sorted(set(ids))


def _number(text: str) -> float | None:
    """A German-formatted cell as a number ("1.234" → 1234, "45 %" → 0.45)."""
    cleaned = text.replace("\u202f", " ").replace("\xa0", " ").strip()
    percent = cleaned.endswith("%")
    cleaned = cleaned.rstrip("% ").replace(".", "").replace(",", ".").replace("−", "-")
    try:
        value = float(cleaned)
    except ValueError:
        return None
    return value / 100 if percent else value


def test_the_build_produced_every_kind_of_report(built_pages) -> None:
    names = set(built_pages)
    assert "index.html" in names and "forschung/index.html" in names
    assert any(n.startswith("gemeinden/") for n in names)
    assert {"kommunen/2021/bericht.html", "neubuerger/2023/bericht.html"} <= names
    assert any(n.endswith("qualitaet.html") for n in names)


#: The characters of the register ids and pseudonyms: an occurrence of such a
#: canary lies inside a maximal run of them, so its windows find every one.
ID_RUN = re.compile(r"[A-Za-z0-9_-]+")


def find_canaries(text: str, canaries: list[str]) -> list[str]:
    """The canaries that occur in ``text`` as substrings.

    Same result as ``[c for c in canaries if c in text]``, but instead of 40,000
    substring searches per page, the id-like canaries are looked up in the set of
    all windows of their lengths inside the page's runs of id characters.
    """
    ids = {c for c in canaries if ID_RUN.fullmatch(c)}
    found = [c for c in canaries if c not in ids and c in text]
    lengths = sorted({len(c) for c in ids})
    windows: set[str] = set()
    for run in ID_RUN.findall(text):
        for length in lengths:
            if length > len(run):
                break
            windows.update(run[i : i + length] for i in range(len(run) - length + 1))
    return found + sorted(ids & windows)


def test_the_fast_canary_scan_finds_what_substring_search_finds() -> None:
    canaries = ["a1b2c3d4e5f6a7b8", "P0000012345", "max@example.de", "Bahnhofstraße 12", "xy"]
    text = (
        "<td>Xa1b2c3d4e5f6a7b8Y</td> P0000012345. Bahnhofstraße 12 "
        "<a href='mailto:max@example.de'>x</a> a1b2c3d4e5f6a7b"
    )
    assert sorted(find_canaries(text, canaries)) == sorted(c for c in canaries if c in text)
    assert find_canaries("nothing here", canaries) == []
    assert find_canaries("P000001234", canaries) == []


def test_no_planted_canary_appears_in_any_page(built_pages) -> None:
    canaries = _canaries()
    assert len(canaries) > 1000  # the scan really looks for the ids
    pages = _pages(built_pages)
    for name, text in pages.items():
        found = find_canaries(text, canaries)
        assert not found, (name, found[:5])


def test_every_table_and_figure_passed_the_gate(built_pages) -> None:
    checked_tables = checked_figures = 0
    for name, page in _report_pages(built_pages).items():
        for table in page.find_all("table"):
            classes = table.get("class") or []
            assert {"gate-protected", "gate-not-personal"} & set(classes), (name, str(table)[:200])
            checked_tables += 1
        for figure in page.find_all("figure"):
            assert figure.get("data-gate") in {"protected", "not-personal"}, name
            checked_figures += 1
        assert not page.find("table", class_="dataframe"), name  # no raw DataFrame display
    assert checked_tables > 100 and checked_figures > 100


def test_no_number_is_shown_for_a_group_below_the_minimum(built_pages) -> None:
    rows_checked = 0
    for name, page in _report_pages(built_pages).items():
        for table in page.find_all("table", class_="gate-tidy"):
            min_n = int(table["data-min-n"])
            for row in table.find("tbody").find_all("tr"):
                n = row.get("data-n")
                if n is None:
                    continue
                cells = [td.get_text() for td in row.find_all("td")]
                if n == ".":
                    assert "." in cells, (name, cells)
                else:
                    assert float(n) >= min_n, (name, cells)
                rows_checked += 1
        for table in page.find_all("table", class_="gate-two-way"):
            min_n = int(table["data-min-n"])
            for row in table.find("tbody").find_all("tr"):
                if row.has_attr("data-total"):
                    continue
                for td in row.find_all("td")[1:]:
                    value = _number(td.get_text())
                    assert value is None or value == 0 or value >= min_n, (name, td)
    assert rows_checked > 500


def _attack_tidy(table) -> list[float]:
    """Recover hidden group sizes as total minus the visible groups (works
    whenever exactly one group is hidden)."""
    rows = table.find("tbody").find_all("tr")
    total = [r for r in rows if r.has_attr("data-total") and r.get("data-n") not in (None, ".")]
    groups = [r for r in rows if not r.has_attr("data-total")]
    hidden = [r for r in groups if r.get("data-n") == "."]
    if len(total) != 1 or len(hidden) != 1:
        return []
    visible = sum(float(r["data-n"]) for r in groups if r.get("data-n") not in (None, "."))
    return [float(total[0]["data-n"]) - visible]


TOTAL_COLUMNS = {"Gesamt", "Insgesamt", "Summe", "zusammen"}


def _two_way_frame(table) -> tuple[pd.DataFrame, list[str]]:
    """A published two-way table as the attacker sees it: hidden cells NaN."""
    header = [th.get_text() for th in table.find("thead").find_all("th")]
    rows, labels, totals = [], [], []
    for row in table.find("tbody").find_all("tr"):
        cells = [td.get_text() for td in row.find_all("td")]
        labels.append(cells[0])
        if row.has_attr("data-total"):
            totals.append(cells[0])
        rows.append([np.nan if c.strip() == "." else _number(c) for c in cells[1:]])
    frame = pd.DataFrame(rows, index=labels, columns=header[1:], dtype=float)
    totals += [c for c in frame.columns if c in TOTAL_COLUMNS]
    return frame, totals


def test_the_attack_recovers_a_cell_without_secondary_suppression() -> None:
    # Negative control: primary suppression alone (one hidden group next to a
    # published total) is undone by the attack used on the reports below.
    html = (
        '<table class="gate-protected gate-tidy" data-min-n="5"><tbody>'
        '<tr data-n="."><td>A</td><td>.</td></tr><tr data-n="40"><td>B</td><td>40</td></tr>'
        '<tr data-n="22"><td>C</td><td>22</td></tr>'
        '<tr data-total data-n="65"><td>Summe</td><td>65</td></tr></tbody></table>'
    )
    assert _attack_tidy(BeautifulSoup(html, "html.parser").find("table")) == [3.0]
    # And the same table through the gate hides a second group, so the attack fails.
    frame = pd.DataFrame({"Kreis": ["A", "B", "C", "Summe"], "n": [3, 40, 22, 65]})
    gated = BeautifulSoup(table_html(protect(frame, counts="n", totals=["Summe"])), "html.parser")
    assert _attack_tidy(gated.find("table")) == []


def test_suppressed_cells_cannot_be_recovered_from_published_totals(built_pages) -> None:
    attacked = 0
    for name, page in _report_pages(built_pages).items():
        for table in page.find_all("table", class_="gate-tidy"):
            if table.find("tr", attrs={"data-total": True}) and table.find(
                "tr", attrs={"data-n": "."}
            ):
                attacked += 1
                assert _attack_tidy(table) == [], name
        for table in page.find_all("table", class_="gate-two-way"):
            frame, totals = _two_way_frame(table)
            if frame.isna().any().any() and totals:
                attacked += 1
                intervals = feasibility_intervals(frame, totals=totals)
                assert ((intervals["upper"] - intervals["lower"]) >= 1).all(), name
    # The demo reports publish totals next to hidden groups (e.g. respondents by
    # district), so the attack is really tried.
    assert attacked >= 1


def test_agency_edition_has_no_code_and_research_edition_folds_it(built_pages) -> None:
    agency = built_pages["kommunen/2021/bericht.html"].html
    research = built_pages["forschung/kommunen/2021/bericht.html"].html
    assert "<details" not in agency and "read_wave" not in agency
    assert '<details class="code">' in research and "read_wave" in research
    assert 'href="../../forschung/kommunen/2021/bericht.html"' in agency
    assert 'href="../../../kommunen/2021/bericht.html"' in research


def test_index_links_every_report_and_is_searchable(built_reports, built_pages) -> None:
    index = built_pages["index.html"].html
    for report in built_reports.reports:
        relative = report.relative_to(built_reports.out_dir).as_posix()
        assert f'href="{relative}"' in index, relative
        assert Path(report).is_file()
    assert 'id="suche"' in index and "data-search=" in index
    assert "http://" not in index and "https://" not in index
