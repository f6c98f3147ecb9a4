"""The built reports in a real browser: headless Chromium with the network switched off.

Each page must load from ``file://`` alone — no request to anywhere else, no failed
request, no console or script error, every image decoded, every internal link pointing
to a file that exists — and a full-page screenshot is kept for people to look at: in
the test's ``tmp_path`` and in ``test-output/screenshots/`` at the repository root.

Chromium is the Debian package (``/usr/bin/chromium``), never a browser that
Playwright downloads. If it is missing the test installs it with apt-get (CI runs as
root on Debian); if that is impossible the test fails and says what to do.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import _chromium
import pytest
from _chromium import SCREENSHOTS

REPO = Path(__file__).resolve().parents[1]
VIEWPORT = {"width": 1280, "height": 900}
#: The pages opened: the index, the regional reports, one municipal report, one researcher page.
MUNICIPAL = "gemeinden/<erste Kommune>/<Welle>.html"
PAGES = [
    "index.html",
    "kommunen/2021/bericht.html",
    "neubuerger/2023/bericht.html",
    MUNICIPAL,
    "forschung/kommunen/2021/bericht.html",
]


@pytest.fixture(scope="module")
def site(built_reports) -> Path:
    """Directory of every report of the demo data (built once per session in conftest)."""
    return Path(built_reports.out_dir)


@dataclass
class PageVisit:
    """What happened while a page loaded."""

    url: str
    blocked: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)
    page_errors: list[str] = field(default_factory=list)
    images: list[dict] = field(default_factory=list)
    links: list[str] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    lang: str = ""
    title: str = ""


def visit(browser, page_file: Path, screenshot: Path) -> PageVisit:
    """Open ``page_file`` offline, record every problem, save a full-page screenshot."""
    record = PageVisit(page_file.as_uri())
    # offline=True cuts the network; the route catches (and records) any attempt anyway.
    context = browser.new_context(
        offline=True, viewport=VIEWPORT, service_workers="block", locale="de-DE"
    )

    def only_local_files(route) -> None:
        url = route.request.url
        if url.startswith(("file://", "data:")):
            route.continue_()
        else:
            record.blocked.append(url)
            route.abort("internetdisconnected")

    context.route("**/*", only_local_files)
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            record.console_errors.append(f"{message.text} ({message.location})")
            if message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: record.page_errors.append(str(error)))
    page.on(
        "requestfailed",
        lambda request: record.failed.append(f"{request.url[:120]}: {request.failure}"),
    )
    try:
        page.goto(record.url, wait_until="load", timeout=60_000)
        # Wait until every image is decoded (or has failed), lazy ones included.
        page.evaluate(
            """() => Promise.all(Array.from(document.images).map(
                   img => { img.loading = "eager"; return img.decode().catch(() => null); }))"""
        )
        record.images = page.evaluate(
            """() => Array.from(document.images).map(img => ({
                   src: img.getAttribute("src").slice(0, 60), alt: img.getAttribute("alt"),
                   complete: img.complete, width: img.naturalWidth}))"""
        )
        record.links = page.evaluate(
            """() => Array.from(document.querySelectorAll("[href], [src]"))
                   .map(el => el.getAttribute("href") ?? el.getAttribute("src"))"""
        )
        record.ids = set(
            page.evaluate("() => Array.from(document.querySelectorAll('[id]'), e => e.id)")
        )
        record.lang = page.evaluate("() => document.documentElement.lang")
        record.title = page.title()
        screenshot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(screenshot), full_page=True)
    finally:
        context.close()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copy2(screenshot, SCREENSHOTS / screenshot.name)
    return record


def page_file(built: Path, page: str) -> Path:
    if page == MUNICIPAL:
        municipal = sorted(built.glob("gemeinden/*/*.html"))
        if not municipal:
            pytest.fail(
                f"no municipal report was built: expected gemeinden/<ags>/<wave>.html under {built}"
            )
        return municipal[0]
    path = built / page
    if not path.is_file():
        pytest.fail(f"the build did not write {page} (looked in {built})")
    return path


def broken_links(built: Path, page: Path, links: list[str], ids: set[str]) -> list[str]:
    """Internal links (no scheme) whose target file — or anchor on the page — does not exist."""
    broken = []
    for link in links:
        if not link:
            continue
        parts = urlsplit(link)
        if parts.scheme or parts.netloc:  # data:, https:, mailto: … are not files of the build
            continue
        if not parts.path:
            # HTML matches the fragment as written, then percent-decoded (nbconvert writes
            # heading ids percent-encoded, e.g. "Datenqualit%C3%A4t")
            if parts.fragment and not {parts.fragment, unquote(parts.fragment)} & ids:
                broken.append(f"{link} (no element with this id)")
            continue
        target = (page.parent / unquote(parts.path)).resolve()
        if target.is_dir():
            target = target / "index.html"
        if not target.is_file():
            broken.append(f"{link} -> {target}")
        elif not target.is_relative_to(built.resolve()):
            broken.append(f"{link} -> {target} (outside the built reports)")
    return broken


@pytest.mark.parametrize("page", PAGES)
def test_page_loads_offline_without_errors(browser, site, page, tmp_path):
    path = page_file(site, page)
    relative = path.relative_to(site).as_posix()
    name = re.sub(r"[^A-Za-z0-9]+", "_", relative.removesuffix(".html")) + ".png"
    record = visit(browser, path, tmp_path / name)

    assert record.blocked == [], f"{relative} tried to reach the network"
    assert record.failed == [], f"{relative}: failed requests"
    assert record.console_errors == [], f"{relative}: console errors"
    assert record.page_errors == [], f"{relative}: script errors"
    assert record.lang == "de", f"{relative}: <html lang> is {record.lang!r}, expected 'de'"
    assert record.title.strip(), f"{relative} has no <title>"
    not_loaded = [i for i in record.images if not i["complete"] or i["width"] == 0]
    assert not_loaded == [], f"{relative}: images that did not load"
    without_alt = [i["src"] for i in record.images if not (i["alt"] or "").strip()]
    assert without_alt == [], f"{relative}: images without alt text"
    assert broken_links(site, path, record.links, record.ids) == [], (
        f"{relative}: internal links to missing files"
    )
    shot = tmp_path / name
    assert shot.stat().st_size > 10_000 and (SCREENSHOTS / name).is_file()
    if page != "index.html":
        assert record.images, f"{relative} shows no figure at all"


def test_index_search_filters_by_municipality_name(browser, site):
    context = browser.new_context(offline=True, viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto((site / "index.html").as_uri(), wait_until="load")
        rows = page.locator("table.searchable tbody tr")
        total = rows.count()
        assert total > 5
        page.fill("#suche", "Olpe")
        visible = [
            rows.nth(i).get_attribute("data-search")
            for i in range(total)
            if rows.nth(i).is_visible()
        ]
        assert visible, "searching for Olpe leaves no row"
        assert len(visible) < total
        assert all("olpe" in text.lower() for text in visible)
        assert page.text_content("#treffer") == f"{len(visible)} von {total} Einträgen"
        page.fill("#suche", "")
        assert sum(rows.nth(i).is_visible() for i in range(total)) == total
    finally:
        context.close()


def test_research_edition_shows_code_folded_until_opened(browser, site):
    path = page_file(site, "forschung/kommunen/2021/bericht.html")
    context = browser.new_context(offline=True, viewport=VIEWPORT)
    try:
        page = context.new_page()
        page.goto(path.as_uri(), wait_until="load")
        folded = page.locator("details.code")
        assert folded.count() > 3, "the researcher edition shows no folded code"
        first = folded.first
        assert first.get_attribute("open") is None
        assert not first.locator("pre").first.is_visible()
        first.locator("summary").click()
        assert first.locator("pre").first.is_visible()
    finally:
        context.close()


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [value for name, value in attrs if name == "href" and value]


def test_every_built_page_is_reachable_from_the_index(site):
    """Follow the links from index.html: every HTML page of the build must be reached."""
    root = site.resolve()
    reached: set[Path] = set()
    queue = [root / "index.html"]
    while queue:
        current = queue.pop()
        if current in reached or not current.is_file():
            continue
        reached.add(current)
        parser = _Links()
        parser.feed(current.read_text(encoding="utf-8"))
        for href in parser.hrefs:
            parts = urlsplit(href)
            if parts.scheme or parts.netloc or not parts.path.endswith(".html"):
                continue
            target = (current.parent / unquote(parts.path)).resolve()
            if target.is_relative_to(root):
                queue.append(target)
    orphans = sorted(p.relative_to(root).as_posix() for p in set(root.rglob("*.html")) - reached)
    assert not orphans, f"{len(orphans)} page(s) that no link from index.html leads to: {orphans}"


@pytest.mark.parametrize("situation", ["no apt-get", "not root"])
def test_missing_chromium_fails_and_says_how_to_install(monkeypatch, tmp_path, situation):
    monkeypatch.setattr(_chromium, "CHROMIUM", tmp_path / "chromium")
    if situation == "no apt-get":
        monkeypatch.setattr(_chromium.shutil, "which", lambda name: None)
    else:
        monkeypatch.setattr(_chromium.shutil, "which", lambda name: "/usr/bin/apt-get")
        monkeypatch.setattr(_chromium.os, "geteuid", lambda: 1000)
    with pytest.raises(pytest.fail.Exception, match="apt-get install -y chromium chromium-driver"):
        _chromium.ensure_chromium()
