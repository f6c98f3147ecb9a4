"""No markup from data: Markdown rendering, escaping, link policy and the page's
Content-Security-Policy.

Every text that reaches a report comes from somewhere the build does not control —
a manifest title, a raw file name, a codebook label, a checklist dimension, a
catalogue entry. None of it may become markup:

* :func:`markdown_html` renders Markdown with raw HTML escaped (an HTML comment block
  of an authored notebook cell is dropped), Mermaid and code blocks as plain text,
  links only to :func:`safe_href` targets (others lose their link, the text stays)
  and images only as embedded ``data:image/…`` pictures.
* :func:`md_escape` and :func:`md_code` make a value literal text inside Markdown;
  :func:`welcome_eval.publish.display.show_text` applies :func:`md_escape` to every value
  passed as a keyword (``show_text("# {title}", title=m.title)``).
* :func:`safe_href` allows ``https://`` addresses and relative paths that stay inside
  the report tree; ``javascript:``, ``data:``, ``file:``, ``//host``, ``/\\host``,
  ``\\\\host``, backslashes, control characters and percent-encoded tricks are refused.
* :func:`content_security_policy` is the policy every page carries in a ``<meta>``
  tag: nothing loads from anywhere, images only as ``data:`` URIs, inline styles,
  and only the page's own scripts, each allowed by its SHA-256 hash.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import html
import re
from typing import Any
from urllib.parse import unquote, urlsplit

__all__ = [
    "MarkdownText",
    "content_security_policy",
    "markdown_html",
    "md_code",
    "md_escape",
    "neutralise_links",
    "safe_href",
    "script_hash",
]


class MarkdownText(str):
    """Markdown that is already safe to interpolate (from :func:`md_escape` or
    :func:`md_code`): :func:`md_escape` leaves it as it is."""


# C0/C1 control characters and the Unicode line and paragraph separators: never
# part of a label, and able to end a Markdown line or hide a URL scheme.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029]")
_SPACE = re.compile(r"\s+")
# Characters with a meaning anywhere in a Markdown line (CommonMark lets every
# ASCII punctuation character be escaped with a backslash). A bare web address may
# still become a link: the renderer's link policy decides whether it stays one.
_INLINE = re.compile(r"([\\`*_\[\]{}<>&!~$|])")
# Characters with a meaning at the start of a line: headings, lists, quotes,
# setext underlines, ordered lists ("1." / "1)").
_LINE_START = re.compile(r"^([#+\-=>])")
_ORDERED = re.compile(r"^(\d+)([.)])")


def md_escape(value: object) -> MarkdownText:
    """``value`` as literal text inside Markdown: no emphasis, link, HTML, code,
    heading or list can come out of it, and it stays on one line.

    Examples
    --------
    >>> print(md_escape("<script>alert(1)</script>"))
    \\<script\\>alert(1)\\</script\\>
    >>> from welcome_eval.present.markup import markdown_html
    >>> markdown_html("Titel: " + md_escape("[x](javascript:alert(1)) *fett*"))
    '<p>Titel: [x](javascript:alert(1)) *fett*</p>\\n'
    """
    if isinstance(value, MarkdownText):
        return value
    text = _SPACE.sub(" ", _CONTROL.sub(" ", str(value))).strip()
    text = _INLINE.sub(r"\\\1", text)
    text = _LINE_START.sub(r"\\\1", text)
    text = _ORDERED.sub(r"\1\\\2", text)
    return MarkdownText(text)


def md_code(value: object) -> MarkdownText:
    """``value`` as a Markdown code span, whatever backticks it contains (e.g. a
    raw file name): the fence is one backtick longer than the longest run inside.

    Examples
    --------
    >>> md_code("a`b.csv"), md_code("export.csv"), md_code("`x")
    ('``a`b.csv``', '`export.csv`', '`` `x ``')
    """
    text = _SPACE.sub(" ", _CONTROL.sub(" ", str(value))).strip()
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    # A space on both sides is dropped again by the renderer; it keeps a backtick at
    # either end from joining the fence.
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return MarkdownText(f"{fence}{pad}{text}{pad}{fence}")


_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:")


def _decoded(href: str) -> str:
    """``href`` percent-decoded until nothing changes (at most five rounds)."""
    for _ in range(5):
        decoded = unquote(href)
        if decoded == href:
            break
        href = decoded
    return href


def safe_href(href: object, *, depth: int | None = None) -> bool:
    """Whether a link target may appear in a report: an ``https://`` address or a
    relative path inside the report tree.

    ``depth`` is how many folders below the root of the report tree the page
    lies (``beispiele/index.html``: 1); with it a relative path may not climb
    above the root. Refused: any other scheme (``javascript:``, ``data:``,
    ``file:``, ``http:`` …), addresses starting with ``/`` or ``\\`` (``//host``,
    ``/\\host``, ``\\\\host``), backslashes, whitespace and control characters
    anywhere (browsers drop or reinterpret them), user names in an address, and
    the same tricks percent-encoded.

    Examples
    --------
    >>> [safe_href(h) for h in ["https://www.soest.de/x", "../index.html", "#top"]]
    [True, True, True]
    >>> bad = ["javascript:alert(1)", "/\\\\host/x", "\\\\\\\\host\\\\x", "//host/x",
    ...        "data:text/html,x", "file:///etc/passwd", "java\\tscript:x", "%2F%2Fhost"]
    >>> [safe_href(h) for h in bad]
    [False, False, False, False, False, False, False, False]
    >>> safe_href("../../x.html", depth=1), safe_href("../x.html", depth=1)
    (False, True)
    """
    if not isinstance(href, str):
        return False
    if href.startswith("#"):  # a place on the same page, whatever the heading's text
        return not _CONTROL.search(href)
    for form in {href, _decoded(href)}:
        if "\\" in form or _CONTROL.search(form) or _SPACE.search(form):
            return False
        if form.startswith("/"):
            return False
        if _SCHEME.match(form):
            if not form.lower().startswith("https://"):
                return False
            parts = urlsplit(form)
            if not parts.hostname or "@" in parts.netloc or parts.netloc.startswith("."):
                return False
            continue
        if ":" in form.split("/", 1)[0].split("?", 1)[0].split("#", 1)[0]:
            return False
        if depth is not None:
            level = 0
            for segment in form.split("?", 1)[0].split("#", 1)[0].split("/"):
                if segment in ("..", ".%2e", "%2e.", "%2e%2e"):
                    level -= 1
                    if level < -depth:
                        return False
                elif segment not in ("", "."):
                    level += 1
    return True


_HREF = re.compile(
    r"""(?P<attr>\s(?:href|src|action|formaction|xlink:href)=)(?P<q>["'])(?P<url>.*?)(?P=q)""",
    re.IGNORECASE | re.DOTALL,
)
_IMAGE_DATA = re.compile(r"data:image/(?:png|jpeg|gif|webp);base64,[A-Za-z0-9+/=]+")


def neutralise_links(page: str, *, depth: int | None = None) -> str:
    """Every ``href``/``src`` of ``page`` that :func:`safe_href` refuses (for a page
    ``depth`` folders below the root, if given) is replaced by ``#``; embedded
    images (``data:image/png;base64,…``) stay.

    Examples
    --------
    >>> neutralise_links('<a href="javascript:alert(1)">x</a> <a href="../a.html">a</a>')
    '<a href="#">x</a> <a href="../a.html">a</a>'
    """

    def check(match: re.Match[str]) -> str:
        url = html.unescape(match.group("url"))
        if match.group("attr").strip().lower().startswith("src") and _IMAGE_DATA.fullmatch(url):
            return match.group(0)
        if safe_href(url, depth=depth):
            return match.group(0)
        return f"{match.group('attr')}{match.group('q')}#{match.group('q')}"

    return _HREF.sub(check, page)


_CHARACTER_REFERENCE = re.compile(r"&#([0-9]{1,7});")
_COMMENT = re.compile(r"<!--(?:(?!-->).)*-->", re.DOTALL)


def _renderer_class() -> type:
    from mistune.renderers.html import HTMLRenderer
    from nbconvert.filters.markdown_mistune import IPythonRenderer

    class SafeRenderer(IPythonRenderer):
        """nbconvert's renderer (heading anchors as before) with raw HTML escaped."""

        def __init__(self, depth: int | None = None) -> None:
            super().__init__(escape=True, allow_harmful_protocols=False)
            self.depth = depth

        def sanitize_url(self, url: str) -> str:
            return url if safe_href(url, depth=self.depth) else "#"

        def heading(self, text: str, level: int, **attrs: Any) -> str:
            # nbconvert adds the anchor through ElementTree in ASCII: "&#228;" for "ä".
            # Only characters beyond ASCII come back, never one that is markup.
            return _CHARACTER_REFERENCE.sub(
                lambda m: chr(int(m[1])) if 127 < int(m[1]) <= 0x10FFFF else m[0],
                super().heading(text, level, **attrs),
            )

        def link(self, text: str, url: str, title: str | None = None) -> str:
            if not safe_href(url, depth=self.depth):
                return text  # the words stay, the link goes
            return super().link(text, url, title)

        def image(self, text: str, url: str, title: str | None = None) -> str:
            if not _IMAGE_DATA.fullmatch(url):
                return html.escape(text)
            return HTMLRenderer.image(self, text, url, title)

        def block_html(self, markup: str) -> str:
            # An authored notebook's comment cell (``<!-- … -->`` alone) shows nothing.
            if _COMMENT.fullmatch(markup.strip()):
                return ""
            return super().block_html(markup)

        def block_code(self, code: str, info: str | None = None) -> str:
            # No Mermaid passthrough, no Pygments: the code as text.
            return HTMLRenderer.block_code(self, code, None)

    return SafeRenderer


_RENDERER: list[type] = []


def markdown_html(markdown: str, *, depth: int | None = None) -> str:
    """Markdown as HTML with no markup from the text itself (see the module).

    Examples
    --------
    >>> markdown_html("<img src=x onerror=alert(1)> [x](javascript:alert(1))")
    '<p>&lt;img src=x onerror=alert(1)&gt; x</p>\\n'
    """
    return _markdown_html(str(markdown), depth)


# Reports of one kind share most of their Markdown (headings, notes); a page renders it
# twice (both editions).
@functools.lru_cache(maxsize=4096)
def _markdown_html(markdown: str, depth: int | None) -> str:
    from nbconvert.filters.markdown_mistune import MarkdownWithMath

    if not _RENDERER:
        _RENDERER.append(_renderer_class())
    return MarkdownWithMath(renderer=_RENDERER[0](depth)).render(markdown)


def script_hash(script: str) -> str:
    """The CSP source allowing exactly this inline script: ``'sha256-…'``."""
    digest = hashlib.sha256(str(script).encode("utf-8")).digest()
    return "'sha256-" + base64.b64encode(digest).decode("ascii") + "'"


def content_security_policy(*scripts: Any) -> str:
    """The page's Content-Security-Policy: nothing from elsewhere, images as
    ``data:`` URIs only, inline styles, and only the given inline ``scripts``
    (allowed by hash; none: no script at all)."""
    sources = " ".join(script_hash(s) for s in scripts) or "'none'"
    return (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src {sources}; base-uri 'none'; form-action 'none'; object-src 'none'"
    )
