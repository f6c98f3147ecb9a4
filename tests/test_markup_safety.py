"""No markup from data (issue 12, point 3): script payloads planted in every text that
reaches a page — a manifest title, a raw file name, codebook item labels, checklist
dimension labels, catalogue entries — come out as text, never as markup, and every
page carries a strict Content-Security-Policy.

The payloads go into a copy of the repository's instruments, notebooks and demo data
in ``tmp_path`` (the instruments are found beside the package, so the copy runs with
its own copy of the package on ``PYTHONPATH``); ``data/demo`` and ``surveys`` stay as
they are. A few affected reports are built (``only=``) into a copy of the demo build,
every page is parsed, and the planted pages and a sample of the others are opened in
headless Chromium (the Debian package, as in ``test_browser.py``): no dialog, no console
error.
"""

from __future__ import annotations

import base64
import hashlib
import os
import re
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

import pytest
import yaml
from conftest import SOURCE_DATE_EPOCH
from test_browser import VIEWPORT

from welcome_eval.present.markup import markdown_html, md_code, md_escape, safe_href

REPO = Path(__file__).resolve().parents[1]

#: What an attacker (or a careless export) puts into a text field.
PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "<details open ontoggle=alert(3)>",
    "`",
    "[x](javascript:alert(4))",
    "[x](/\\host/x)",
    "[x](\\\\host\\x)",
)
PAYLOAD = " ".join(PAYLOADS)
#: A raw file name cannot hold "/": the payloads that fit in one.
FILE_NAME = "checkliste_2023 `<img src=x onerror=alert(5)>` <details open ontoggle=alert(6)>.csv"
#: The municipality whose 2023 report lists catalogue examples for its weakest dimensions.
MUNICIPALITY = "05966024"  # Olpe
ONLY = ["checkliste/2023/*", "kommunen/2021/bericht.html", f"gemeinden/{MUNICIPALITY}/2023.html"]
#: What each planted field must show as text on these pages (proof that it got there).
SHOWN = {
    "checkliste/2023/bericht.html": ["manifest title", "file name", "dimension", "item", "entry"],
    "checkliste/2023/qualitaet.html": ["manifest title", "file name"],
    "kommunen/2021/bericht.html": ["item"],
    f"gemeinden/{MUNICIPALITY}/2023.html": ["dimension", "entry"],
    "beispiele/index.html": ["dimension", "entry"],
    "index.html": ["manifest title"],
}
MARKS = {
    "manifest title": "Checkliste 2023 mit Nutzlast",
    "file name": "checkliste_2023 `<img src=x onerror=alert(5)>`",
    "dimension": "Bereich mit Nutzlast",
    "item": "Frage mit Nutzlast",
    "entry": "Beispiel mit Nutzlast",
}


def _load(path: Path) -> object:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _dump(path: Path, content: object) -> None:
    path.write_text(yaml.safe_dump(content, allow_unicode=True, sort_keys=False), "utf-8")


def plant(root: Path) -> None:
    """Copy package, instruments, notebooks and demo data to ``root`` and plant the
    payloads in every field that reaches a page."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints")
    for part in ("src", "surveys", "notebooks"):
        shutil.copytree(REPO / part, root / part, ignore=ignore)
    shutil.copytree(REPO / "data" / "demo", root / "data" / "demo", ignore=ignore)
    wave = root / "data" / "demo" / "checkliste" / "2023"
    # Manifest title and raw file name.
    manifest = _load(wave / "manifest.yaml")
    (wave / manifest["file"]).rename(wave / FILE_NAME)
    manifest["file"] = FILE_NAME
    manifest["title"] = f"{MARKS['manifest title']} {PAYLOAD}"
    _dump(wave / "manifest.yaml", manifest)
    # Checklist dimension labels and item labels; item labels of the municipal survey.
    codebook_path = root / "surveys" / "checkliste" / "codebook.yaml"
    codebook = _load(codebook_path)
    codebook["dimensions"] = {
        key: f"{label} {MARKS['dimension']} {PAYLOADS[n % len(PAYLOADS)]}"
        for n, (key, label) in enumerate(codebook["dimensions"].items())
    }
    for item in codebook["items"]:
        if item.get("type") == "likert":
            item["label"] = f"{item['label']} {MARKS['item']} {PAYLOAD}"
            item["short"] = f"{item.get('short', item['id'])} {MARKS['item']} {PAYLOAD}"
    _dump(codebook_path, codebook)
    codebook_path = root / "surveys" / "kommunen" / "codebook.yaml"
    codebook = _load(codebook_path)
    for item in codebook["items"]:
        if item["id"].startswith("zuf_") or item["id"] == "weiterempfehlung":
            item["label"] = f"{item['label']} {MARKS['item']} {PAYLOAD}"
            if "short" in item:
                item["short"] = f"{item['short']} {MARKS['item']} {PAYLOAD}"
    _dump(codebook_path, codebook)
    # Every catalogue entry: title, a material link's title.
    for number, path in enumerate(sorted((root / "surveys" / "beispiele").glob("*.yaml"))):
        entry = _load(path)
        entry["title"] = f"{entry['title']} {MARKS['entry']} {PAYLOAD}"
        entry["lessons"] = f"{entry['lessons']} {PAYLOADS[number % len(PAYLOADS)]}"
        entry["links"] = [
            *(entry.get("links") or []),
            {"title": f"Material {PAYLOAD}", "href": "../index.html"},
        ]
        _dump(path, entry)


@pytest.fixture(scope="module")
def site(tmp_path_factory, built_reports) -> Path:
    """The affected reports (both editions), index and catalogue built from the copy into
    a copy of the session's demo build (an ``only=`` build into an empty folder builds
    every report: it never publishes a partial set)."""
    root = tmp_path_factory.mktemp("planted")
    plant(root)
    out = root / "site" / "reports"
    shutil.copytree(built_reports.out_dir, out, symlinks=True)
    script = (
        "import sys\n"
        "import welcome_eval\n"
        "from welcome_eval.build.reports import build\n"
        "assert welcome_eval.__file__.startswith(sys.argv[1]), welcome_eval.__file__\n"
        "build(sys.argv[2], sys.argv[3], progress=False, jobs=2, only=sys.argv[4:])\n"
    )
    environment = {
        **os.environ,
        "PYTHONPATH": str(root / "src"),
        "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH,
        "WELCOME_EVAL_DATA": str(root / "data" / "demo"),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            script,
            str(root / "src"),
            str(root / "data" / "demo"),
            str(out),
            *ONLY,
        ],
        cwd=root,
        env=environment,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    assert done.returncode == 0, f"the build failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return out


def pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


class Page(HTMLParser):
    """Elements, attributes, script texts, CSP and visible text of one page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.scripts: list[str] = []
        self.text: list[str] = []
        self.policies: list[str] = []
        self._in_script: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if tag == "script":
            self._in_script = []
        if tag == "meta" and (attributes.get("http-equiv") or "").lower() == (
            "content-security-policy"
        ):
            self.policies.append(attributes.get("content") or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "script" and self._in_script is not None:
            self.scripts.append("".join(self._in_script))
            self._in_script = None

    def handle_data(self, data: str) -> None:
        if self._in_script is not None:
            self._in_script.append(data)
        else:
            self.text.append(data)


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text(encoding="utf-8"))
    page.close()
    return page


def directives(policy: str) -> dict[str, list[str]]:
    parts = [p.strip().split() for p in policy.split(";") if p.strip()]
    return {p[0]: p[1:] for p in parts}


def sha256_source(script: str) -> str:
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def leaves_the_report_set(href: str) -> bool:
    """An independent check of a built page's link: another scheme than https, an
    address from the root or another host, a backslash or control character (a link to
    a place on the same page never leaves it)."""
    if href.startswith("#"):
        return False  # a place on the same page
    decoded = href
    for _ in range(3):
        decoded = unquote(decoded)
    for form in (href, decoded):
        if re.search(r"[\\\x00-\x20\x7f]", form) or form.startswith("/"):
            return True
        scheme = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", form)
        if scheme and scheme.group(1).lower() != "https":
            return True
    return False


def markup_problems(page: Page) -> list[str]:
    """Every trace of a payload that became markup, and every missing protection."""
    problems = []
    if len(page.policies) != 1:
        problems.append(f"{len(page.policies)} Content-Security-Policy meta tags, expected 1")
    policy = directives(page.policies[0]) if page.policies else {}
    if policy.get("default-src") != ["'none'"]:
        problems.append(f"default-src is {policy.get('default-src')}")
    for directive, expected in {
        "base-uri": ["'none'"],
        "form-action": ["'none'"],
        "img-src": ["data:"],
    }.items():
        if policy.get(directive) != expected:
            problems.append(f"{directive} is {policy.get(directive)}, expected {expected}")
    allowed = policy.get("script-src", [])
    if not allowed or any(
        source != "'none'" and not source.startswith("'sha256-") for source in allowed
    ):
        problems.append(f"script-src {allowed} is not 'none' or hashes only")
    for script in page.scripts:
        if sha256_source(script) not in allowed:
            problems.append(f"a script the policy does not allow: {script[:80]!r}")
    for tag, attributes in page.tags:
        for name, value in attributes.items():
            if name.startswith("on"):
                problems.append(f"<{tag} {name}={value!r}>")
            if name in ("href", "src", "action", "formaction") and value is not None:
                image = tag == "img" and name == "src" and value.startswith("data:image/png;")
                if not image and leaves_the_report_set(value):
                    problems.append(f"<{tag} {name}={value[:60]!r}>")
        if tag == "script" and "src" in attributes:
            problems.append(f"<script src={attributes['src']!r}>")
        if tag in ("iframe", "object", "embed", "svg", "base", "math"):
            problems.append(f"<{tag}>")
        if tag == "img" and attributes.get("src") == "x":
            problems.append("<img src=x>")
        if tag == "details" and "open" in attributes:
            problems.append("<details open>")
    return problems


# --- Markdown rendering and escaping, without a build ---------------------------------------


@pytest.mark.parametrize("payload", [*PAYLOADS, PAYLOAD, FILE_NAME])
def test_markdown_renderer_lets_no_markup_through(payload):
    for markdown in (f"# {payload}", f"Text {payload} Text", f"- {payload}", payload):
        page = Page()
        page.feed(markdown_html(markdown))
        assert {tag for tag, _ in page.tags} <= {"h1", "a", "p", "ul", "li", "code"}, markdown
        for tag, attributes in page.tags:
            assert not any(name.startswith("on") for name in attributes), (tag, attributes)
            if tag == "a":
                assert safe_href(attributes.get("href")), attributes


@pytest.mark.parametrize("payload", [*PAYLOADS, PAYLOAD, FILE_NAME, "1. x", "# x", "- x"])
def test_escaped_values_read_as_the_literal_text(payload):
    html = markdown_html(f"Titel: {md_escape(payload)}; Datei {md_code(payload)}")
    page = Page()
    page.feed(html)
    assert [tag for tag, _ in page.tags] == ["p", "code"], html
    text = "".join(page.text)
    assert text == f"Titel: {payload}; Datei {payload}\n", text


@pytest.mark.parametrize(
    "href",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        " javascript:alert(1)",
        "javascript%3Aalert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "vbscript:msgbox(1)",
        "http://example.org/",
        "//host/x",
        "/\\host/x",
        "\\\\host\\x",
        "\\/host/x",
        "/etc/passwd",
        "%2F%2Fhost/x",
        "https:/\\host/x",
        "https://user@host/x",
        "a\\..\\..\\x.html",
    ],
)
def test_links_outside_the_report_set_are_neutralised(href):
    assert not safe_href(href)
    html = markdown_html(f"[Ziel]({href}) und <{href}>")
    assert "<a" not in html or 'href="' not in html, html


def test_links_into_the_report_set_and_https_stay():
    for href in ("../../index.html", "beispiele/index.html#willkommensvideo-brilon", "#top"):
        assert safe_href(href)
        assert f'href="{href}"' in markdown_html(f"[Ziel]({href})")
    assert 'href="https://www.olpe.de/neubuerger"' in markdown_html(
        "[Olpe](https://www.olpe.de/neubuerger)"
    )
    assert safe_href("../index.html", depth=1) and not safe_href("../../x.html", depth=1)


# --- the built pages ------------------------------------------------------------------------


def test_every_page_has_a_strict_policy_and_no_payload_as_markup(site):
    found = pages(site)
    names = {p.relative_to(site).as_posix() for p in found}
    reports = [p for p in SHOWN if p not in ("index.html", "beispiele/index.html")]
    expected = {*SHOWN, "forschung/index.html", *(f"forschung/{p}" for p in reports)}
    assert expected <= names, f"pages missing from the build: {sorted(expected - names)}"
    problems = {}
    for path in found:
        page = parse(path)
        found_problems = markup_problems(page)
        if found_problems:
            problems[path.relative_to(site).as_posix()] = found_problems
    assert problems == {}, f"{len(problems)} of {len(found)} pages: {problems}"


@pytest.mark.parametrize("relative", sorted(SHOWN))
def test_planted_text_is_shown_as_text(site, relative):
    text = " ".join(" ".join(parse(site / relative).text).split())
    for field in SHOWN[relative]:
        assert MARKS[field] in text, f"{relative}: the planted {field} is not on the page"
    # The payload is there, readable — not dropped, not markup.
    assert "<script>alert(1)</script>" in text or "onerror=alert(" in text, relative


def test_reports_run_no_script_and_index_scripts_are_hashed(site):
    for path in pages(site):
        page = parse(path)
        allowed = directives(page.policies[0])["script-src"]
        if path.name == "index.html":
            assert len(page.scripts) == 1 and allowed == [sha256_source(page.scripts[0])]
        else:
            assert page.scripts == [] and allowed == ["'none'"], path


def use_page(browser, path: Path) -> tuple[list[str], list[str], list[str]]:
    """Open ``path`` offline and do what a reader does — open folded code, search,
    press Enter; return the dialogs, console and script errors, and the resolved
    link targets that left ``file:``/``https:``."""
    dialogs: list[str] = []
    errors: list[str] = []
    context = browser.new_context(offline=True, viewport=VIEWPORT, locale="de-DE")
    try:
        page = context.new_page()

        def on_dialog(dialog) -> None:
            dialogs.append(f"{dialog.type} {dialog.message!r}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.goto(path.as_uri(), wait_until="load")
        for summary in page.locator("details > summary").all()[:3]:
            summary.click()
        if page.locator("#suche").count():
            page.fill("#suche", "nutzlast")
            page.press("#suche", "Enter")
        # The browser's own reading of every link: only file: pages of the set and https.
        strange = page.evaluate(
            """() => Array.from(document.querySelectorAll("a[href]"), a => a.href)
                   .filter(h => !h.startsWith("https:") && !h.startsWith("file:///"))"""
        )
        page.wait_for_timeout(100)
    finally:
        context.close()
    return dialogs, errors, strange


def test_the_browser_check_sees_a_dialog_when_there_is_one(browser, tmp_path):
    page = tmp_path / "bad.html"
    page.write_text(
        '<!DOCTYPE html><html lang="de"><body><a href="//host/x">x</a>'
        "<details open ontoggle=alert(3)><summary>s</summary></details>"
        "<script>alert(1)</script></body></html>",
        encoding="utf-8",
    )
    dialogs, _, strange = use_page(browser, page)
    assert dialogs, "an alert on the page went unnoticed"
    assert strange == ["file://host/x"]


def test_pages_open_in_chromium_without_dialog_or_console_error(site, browser):
    # Every page with a planted field in both editions, and every tenth of the others
    # (the same templates; each is parsed by the test above): a third of the time.
    planted = {
        name for page in SHOWN for name in (page, f"forschung/{page}") if (site / name).is_file()
    }
    assert set(SHOWN) < planted
    everything = pages(site)
    found = [
        path
        for number, path in enumerate(everything)
        if path.relative_to(site).as_posix() in planted or number % 10 == 0
    ]
    assert planted <= {path.relative_to(site).as_posix() for path in found}
    assert len(found) >= 20
    problems = {}
    for path in found:
        dialogs, errors, strange = use_page(browser, path)
        if dialogs or errors or strange:
            problems[path.relative_to(site).as_posix()] = (dialogs, errors, strange)
    assert problems == {}, f"{len(problems)} of {len(found)} pages: {problems}"


def test_show_text_escapes_keyword_values_and_renders_without_raw_html(monkeypatch):
    from welcome_eval.publish import display

    shown: list[dict] = []
    monkeypatch.setattr(display, "display", lambda data, raw: shown.append(data))
    display.show_text("# {title}\n\nDatei {file}", title=PAYLOAD, file=md_code(FILE_NAME))
    display.show_text(f"Roh: {PAYLOAD}")
    for data in shown:
        assert set(data) == {"text/markdown", "text/html"}
        page = Page()
        page.feed(data["text/html"])
        assert {tag for tag, _ in page.tags} <= {"h1", "a", "p", "code"}, data["text/html"]
        assert not any(n.startswith("on") for _, a in page.tags for n in a)
        assert all(safe_href(a["href"]) for t, a in page.tags if t == "a")
    first = Page()
    first.feed(shown[0]["text/html"])
    assert " ".join("".join(first.text).split()) == f"{PAYLOAD}¶Datei {FILE_NAME}"


def test_headings_keep_their_letters_and_typed_references_stay_text():
    rendered = markdown_html("## Zufriedenheit mit der Qualitätsoffensive &#228; &#60;b&#62; 😀")
    assert "Qualitätsoffensive" in rendered and "&#228;" not in rendered.replace("&amp;#", "")
    assert "&amp;#228;" in rendered and "&amp;#60;b&amp;#62;" in rendered  # as typed, as text
    assert "😀" in rendered and "<b>" not in rendered
    page = Page()
    page.feed(rendered)
    assert "".join(page.text).startswith("Zufriedenheit mit der Qualitätsoffensive &#228; &#60;b")
