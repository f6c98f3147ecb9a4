"""The catalogue of good and failed examples: validation, matching, the offline page."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import yaml
from conftest import fast_sample

from welcome_eval.analysis.catalogue import (
    OUTCOMES,
    CatalogueError,
    matching_examples,
    read_catalogue,
)
from welcome_eval.analysis.checklist import scoring_rule
from welcome_eval.build.catalogue_page import render_page
from welcome_eval.config import surveys_dir
from welcome_eval.municipalities import municipalities

SHIPPED = surveys_dir() / "beispiele"


@pytest.fixture(scope="module")
def entries():
    return read_catalogue()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the shipped entries to break."""
    target = tmp_path / "beispiele"
    shutil.copytree(SHIPPED, target)
    return target


def edit(path: Path, **changes) -> None:
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            raw.pop(key, None)
        else:
            raw[key] = value
    path.write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")


# --- the shipped entries ------------------------------------------------------------------


def test_shipped_catalogue_is_valid_and_includes_failures(entries):
    assert len(entries) == len(list(SHIPPED.glob("*.yaml")))
    assert set(entries["category"]) == set(scoring_rule().dimensions)  # every dimension
    assert set(entries["ags"]) <= set(municipalities()["ags"])
    failed = entries[entries["outcome"] == "did_not_work"]
    assert len(failed) >= 3
    assert failed["lessons"].str.len().min() > 100  # says why
    assert entries["id"].is_unique
    assert all(re.fullmatch(r"[a-z][a-z0-9-]*", i) for i in entries["id"])
    titles = " ".join(entries["title"]).lower()
    for kind in ("video", "tasche", "freitag", "broschüre", "partner"):
        assert kind in titles  # the kinds of offers the issue names


def test_entries_carry_name_district_and_german_labels(entries):
    row = entries.set_index("id").loc["willkommensvideo-brilon"]
    assert (row["name"], row["district"]) == ("Brilon", "Hochsauerlandkreis")
    assert row["category_label"] == "Erstkontakt und Begrüßung"
    assert row["outcome_label"] == OUTCOMES["worked"]
    assert row["cost_eur"] == 4500.0
    assert row["links"] == [
        {"title": "Drehbuch und Fragenkatalog für den Dreh (bei der Agentur erhältlich)"}
    ]


# --- validation ---------------------------------------------------------------------------


def test_unknown_municipality_is_rejected_naming_file_field_and_rule(folder):
    path = folder / "willkommensvideo-brilon.yaml"
    edit(path, ags="05999999")
    with pytest.raises(CatalogueError) as caught:
        read_catalogue(folder)
    message = str(caught.value)
    assert str(path) in message
    assert "field 'ags'" in message and "'05999999'" in message
    assert "(rule municipality_known)" in message


def test_unknown_dimension_is_rejected_naming_file_field_and_rule(folder):
    path = folder / "willkommenstasche-lippstadt.yaml"
    edit(path, category="marketing")
    with pytest.raises(CatalogueError) as caught:
        read_catalogue(folder)
    message = str(caught.value)
    assert str(path) in message
    assert "field 'category'" in message and "'marketing'" in message
    assert "(rule dimension_known)" in message
    assert "erstkontakt" in message  # says what is allowed


@pytest.mark.parametrize(
    ("changes", "field", "rule"),
    [
        ({"ags": 5958012}, "ags", "municipality_known"),  # unquoted: leading zero lost
        ({"lesson": "typo"}, "lesson", "known_field"),
        ({"lessons": None}, "lessons", "required"),
        ({"outcome": "great"}, "outcome", "allowed_values"),
        ({"year": 1999}, "year", "year_plausible"),
        ({"cost_eur": -5}, "cost_eur", "cost_number"),
        ({"links": [{"title": "x", "href": "javascript:alert(1)"}]}, "links", "link_href"),
        ({"links": [{"href": "a.pdf"}]}, "links", "link_title"),
    ],
)
def test_every_rule_names_file_field_and_rule(folder, changes, field, rule):
    path = folder / "neubuerger-app-luedenscheid.yaml"
    edit(path, **changes)
    with pytest.raises(CatalogueError) as caught:
        read_catalogue(folder)
    message = str(caught.value)
    assert message.count("(rule ") == 1
    assert f"{path}: field '{field}'" in message and f"(rule {rule})" in message


def test_file_name_must_be_a_usable_anchor(folder):
    (folder / "willkommensvideo-brilon.yaml").rename(folder / "Willkommen Video.yaml")
    with pytest.raises(CatalogueError, match="rule id_format"):
        read_catalogue(folder)


def test_all_problems_are_reported_at_once(folder):
    edit(folder / "willkommensvideo-brilon.yaml", ags="1")
    edit(folder / "willkommenstasche-lippstadt.yaml", category="x")
    with pytest.raises(CatalogueError, match=r"^2 problem\(s\)"):
        read_catalogue(folder)


# --- matching examples ----------------------------------------------------------------------


def test_matching_examples_follow_the_order_of_the_dimensions(entries):
    found = matching_examples(entries, ["arbeitgeber", "service"], limit=None)
    categories = found["category"].tolist()
    n_employers = (entries["category"] == "arbeitgeber").sum()
    assert categories == ["arbeitgeber"] * n_employers + ["service"] * (len(found) - n_employers)
    for _, part in found.groupby("category", sort=False):
        ranks = part["outcome"].map(list(OUTCOMES).index).tolist()
        assert ranks == sorted(ranks)  # worked, partly, then failed
    assert (found["anchor"] == found["id"]).all()


def test_matching_examples_limit_and_own_examples_left_out(entries):
    own = entries.set_index("id").loc["partnerservice-iserlohn", "ags"]
    found = matching_examples(entries, ["service"], exclude_ags=own, limit=2)
    assert len(found) == 2 and own not in set(found["ags"])
    with pytest.raises(ValueError, match="unknown checklist dimensions"):
        matching_examples(entries, ["marketing"])


# --- the page -----------------------------------------------------------------------------


def page(entries, demo=True) -> str:
    return render_page(entries, build_date="01.03.2026", demo=demo, index_href="../index.html")


def test_page_is_self_contained_with_an_anchor_per_entry(entries):
    html = page(entries)
    for entry_id in entries["id"]:
        assert html.count(f'id="{entry_id}"') == 1
    assert "http://" not in html and "https://" not in html
    assert not re.search(r"<(script|link|img)[^>]+(src|href)=", html)  # nothing loaded
    assert "--accent" in html  # the report style is inlined
    assert 'href="../index.html"' in html
    assert "Demodaten" in html and "Demodaten" not in page(entries, demo=False)
    assert html.count('<option value="">') == 3  # "alle …" of each filter
    assert html.count('<option value="') - 3 == (
        entries["category"].nunique() + entries["district"].nunique() + len(OUTCOMES)
    )
    assert entries["district"].nunique() == 5


def test_page_escapes_entry_text(folder):
    edit(folder / "willkommensvideo-brilon.yaml", title="<script>alert(1)</script> & Co")
    html = page(read_catalogue(folder))
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; Co" in html


@pytest.mark.slow
def test_page_filters_in_a_browser_offline_without_errors(entries, tmp_path, browser):
    target = tmp_path / "beispiele" / "index.html"
    target.parent.mkdir()
    target.write_text(page(entries), encoding="utf-8")
    problems: list[str] = []
    requests: list[str] = []
    context = browser.new_context(offline=True)
    try:
        tab = context.new_page()
        tab.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        tab.on("pageerror", lambda e: problems.append(str(e)))
        tab.on("request", lambda r: requests.append(r.url))
        tab.goto(target.as_uri())

        def shown() -> int:
            return tab.locator("article.beispiel:visible").count()

        assert tab.is_visible("#filter")
        assert shown() == len(entries)
        tab.select_option("#ergebnis", "did_not_work")
        assert shown() == (entries["outcome"] == "did_not_work").sum()
        tab.select_option("#kreis", "Märkischer Kreis")
        expected = (
            (entries["outcome"] == "did_not_work") & (entries["district"] == "Märkischer Kreis")
        ).sum()
        assert shown() == expected
        assert tab.inner_text("#treffer") == f"{expected} von {len(entries)} Beispielen"
        tab.click("#zuruecksetzen")
        tab.select_option("#bereich", "service")
        assert shown() == (entries["category"] == "service").sum()
        tab.fill("#suche", "nichts-passt-hierzu")
        assert shown() == 0 and tab.is_visible("#keine")
        tab.click("#zuruecksetzen")
        tab.fill("#suche", "Bürgermeister Video")
        assert shown() >= 1
        tab.goto(target.as_uri() + "#willkommensvideo-brilon")
        assert tab.evaluate("document.querySelector(':target').id") == "willkommensvideo-brilon"
    finally:
        context.close()
    assert problems == []
    assert {url.split(":", 1)[0] for url in requests} == {"file"}


# --- no markup, no way out, no person (issue 12) --------------------------------------------


# Every third link in the fast tier, all of them in `make test`.
@pytest.mark.parametrize(
    "href",
    fast_sample(
        [
            "/\\host/x",
            "\\\\host\\x",
            "//host/x",
            "\\/host/x",
            "https:/\\host/x",
            "java\tscript:alert(1)",
            "JAVASCRIPT:alert(1)",
            "javascript%3Aalert(1)",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
            "http://example.org/",
            "/etc/passwd",
            "%2F%2Fhost/x",
            "../../outside.html",
            "material\\plan.pdf",
        ]
    ),
)
def test_links_leaving_the_reports_are_refused(folder, href):
    path = folder / "neubuerger-app-luedenscheid.yaml"
    edit(path, links=[{"title": "Material", "href": href}])
    with pytest.raises(CatalogueError) as caught:
        read_catalogue(folder)
    message = str(caught.value)
    assert f"{path}: field 'links'" in message and "(rule link_href)" in message


def test_links_into_the_reports_and_https_are_kept(folder):
    links = [
        {"title": "Website", "href": "https://www.luedenscheid.de/neubuerger"},
        {"title": "Übersicht", "href": "../index.html"},
        {"title": "Plan", "href": "material/plan.pdf"},
        {"title": "Eintrag", "href": "#willkommensvideo-brilon"},
    ]
    edit(folder / "neubuerger-app-luedenscheid.yaml", links=links)
    entries = read_catalogue(folder)
    assert entries.set_index("id").loc["neubuerger-app-luedenscheid", "links"] == links


# Every third contact in the fast tier, all of them in `make test`.
@pytest.mark.parametrize(
    ("field", "value"),
    fast_sample(
        [
            ("contact_role", "Frau Pfannenstiel"),
            ("contact_role", "Stadtmarketing, Gertrud Pfannenstiel"),
            ("contact_role", "Gertrud Pfannenstiel"),
            ("contact_role", "Herr Dr. Obermüller-Wiese, Wirtschaftsförderung"),
            ("contact_role", "Wirtschaftsförderung, Tel. 02351 551-234"),
            ("contact_role", "Wirtschaftsförderung 02351 551234"),
            ("contact_role", "g.pfannenstiel@luedenscheid.de"),
            ("contact_role", "info@example.com"),
            ("contact_role", "Stadtmarketing, max(at)luedenscheid.de"),
            ("contact_role", "Familie Schneider"),
            ("reach", "Rund 200 Gäste; Anmeldung bei Herrn Zwackelmann"),
            ("reach", "Rund 200 Gäste, Rückfragen unter 0171 2345678"),
            ("reach", "Rund 200 Gäste, Rückfragen an m.mueller@gmx.de"),
            ("reach", "Rund 200 Gäste, Kontakt: info@luedenscheid.de"),
            ("reach", "Rund 200 Gäste, siehe kanarienvogel-profil.de/seite"),
        ]
    ),
)
def test_contact_fields_name_an_office_never_a_person(folder, field, value):
    path = folder / "neubuerger-app-luedenscheid.yaml"
    edit(path, **{field: value})
    with pytest.raises(CatalogueError) as caught:
        read_catalogue(folder)
    message = str(caught.value)
    assert f"{path}: field '{field}'" in message and "(rule no_personal_contact)" in message
    assert message.startswith("1 problem(s)")


@pytest.mark.parametrize(
    "role",
    [
        "Wirtschaftsförderung, Stadt Lüdenscheid",
        "Büro des Bürgermeisters",
        "Bürgerbüro der Stadtverwaltung",
        "Stadtmarketing (willkommen@luedenscheid.de)",
        "info@stadt-luedenscheid.de",
        "Integrationsbeauftragte im Märkischen Kreis",
    ],
)
def test_offices_and_office_mailboxes_are_accepted(folder, role):
    edit(folder / "neubuerger-app-luedenscheid.yaml", contact_role=role)
    entries = read_catalogue(folder)
    assert entries.set_index("id").loc["neubuerger-app-luedenscheid", "contact_role"] == role


def test_page_shows_planted_markup_as_text_under_a_strict_policy(folder):
    import base64
    import hashlib
    from html.parser import HTMLParser

    payload = "<img src=x onerror=alert(1)> <details open ontoggle=alert(2)> [x](javascript:x)"
    edit(
        folder / "neubuerger-app-luedenscheid.yaml",
        title=f"App {payload}",
        contact_role=f"Stadtmarketing {payload}".replace("[x](javascript:x)", ""),
        links=[{"title": f"Material {payload}", "href": "../index.html"}],
    )
    with pytest.raises(CatalogueError, match="no_personal_contact"):
        read_catalogue(folder)  # markup is no office either
    edit(folder / "neubuerger-app-luedenscheid.yaml", contact_role="Stadtmarketing")
    html = page(read_catalogue(folder))

    class Tags(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.tags: list[tuple[str, dict]] = []
            self.script = ""
            self._script = False

        def handle_starttag(self, tag, attrs):
            self.tags.append((tag, dict(attrs)))
            self._script = tag == "script"

        def handle_endtag(self, tag):
            self._script = False

        def handle_data(self, data):
            if self._script:
                self.script += data

    parsed = Tags()
    parsed.feed(html)
    assert not [(t, a) for t, a in parsed.tags if any(n.startswith("on") for n in a)]
    assert not [a for t, a in parsed.tags if t == "img" or (t == "details" and "open" in a)]
    assert "App &lt;img src=x onerror=alert(1)&gt;" in html
    policy = [
        a["content"] for t, a in parsed.tags if a.get("http-equiv") == "Content-Security-Policy"
    ]
    assert len(policy) == 1
    digest = base64.b64encode(hashlib.sha256(parsed.script.encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}';" in policy[0]
    assert "default-src 'none'" in policy[0] and "form-action 'none'" in policy[0]
    assert "onsubmit" not in html and "unsafe" not in policy[0].split("script-src")[1]
