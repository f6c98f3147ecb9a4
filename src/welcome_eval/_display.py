"""How result objects show themselves in a notebook: German numbers, escaped HTML.

The result classes of ingest, stats, survival and analysis (``Wave``, ``Codebook``,
``Estimate``, ``KaplanMeier``, …) describe themselves as a :class:`Summary` -- a title,
a few labelled facts and at most a few table rows -- which gives both their short
plain-text ``__repr__`` and the small HTML table Jupyter shows (``_repr_html_``), with
German labels. Numbers are rounded here, for display only: the objects keep their
full-precision values. Every text that reaches the HTML is escaped.

A top-level module, so that every stage may import it (the number formats follow
:mod:`welcome_eval.present.german_format`, which ingest, stats and survival may not
import).
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from numbers import Integral, Real

__all__ = [
    "MAX_HTML_ROWS",
    "MAX_REPR_CHARS",
    "MAX_REPR_LINES",
    "Summary",
    "SummaryRepr",
    "ci_label",
    "date",
    "integer",
    "interval",
    "number",
    "p_value",
    "percent",
    "shorten",
    "significant",
    "significant_interval",
]

#: A ``__repr__`` is at most this many lines ...
MAX_REPR_LINES = 12
#: ... and this many characters: the table rows are cut until it fits.
MAX_REPR_CHARS = 800
#: Table rows in the HTML summary (the rest is counted, not shown).
MAX_HTML_ROWS = 10
#: Longest text of one cell or fact before it is shortened with "…".
MAX_CELL_CHARS = 40
_MISSING = "–"
#: A cell that shows a number (also a formatted one: ``−0,31``, ``< 0,001``, ``[1,2; 3,4]``).
_NUMBER_LIKE = re.compile(r"[\d−+<\[–∞]")
_NARROW_NBSP = "\u202f"


def _is_missing(value: object) -> bool:
    if value is None:
        return True
    try:
        return math.isnan(value)  # type: ignore[arg-type]
    except TypeError:
        return str(value) in {"<NA>", "NaT"}


def number(value: object, digits: int = 2) -> str:
    """A number the German way, rounded to ``digits`` decimals: ``1.234,57``; ``–`` if missing.

    >>> number(-1234.5678)
    '−1.234,57'
    """
    if _is_missing(value):
        return _MISSING
    x = float(value)  # type: ignore[arg-type]
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    text = f"{abs(x):,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")
    negative = x < 0 and text.strip("0,.") != ""
    return ("−" if negative else "") + text


def integer(value: object) -> str:
    """A count with thousands dots: ``7.114``."""
    return number(value, 0)


def significant(value: object, digits: int = 3) -> str:
    """A number with ``digits`` significant digits, the German way: ``0,0123``, ``1.235``."""
    if _is_missing(value):
        return _MISSING
    x = float(value)  # type: ignore[arg-type]
    if x == 0 or math.isinf(x):
        return number(x, 0)
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(x))))
    return number(x, min(decimals, 12))


def date(value: object) -> str:
    """A date as ``31.12.2021``; ``–`` if missing."""
    if _is_missing(value) or not hasattr(value, "strftime"):
        return _MISSING
    return value.strftime("%d.%m.%Y")  # type: ignore[union-attr]


def percent(share: object, digits: int = 1) -> str:
    """A share (0–1) in percent: ``45,2 %``."""
    if _is_missing(share):
        return _MISSING
    return f"{number(float(share) * 100, digits)}{_NARROW_NBSP}%"  # type: ignore[arg-type]


def interval(low: object, high: object, digits: int = 2) -> str:
    """An interval as ``[0,12; 0,34]`` (semicolon, because of the decimal comma)."""
    return f"[{number(low, digits)}; {number(high, digits)}]"


def ci_label(conf_level: float) -> str:
    """The interval's German name: ``95-%-KI`` for 0.95."""
    return f"{number(conf_level * 100, 1).removesuffix(',0')}-%-KI"


def significant_interval(low: object, high: object, digits: int = 4) -> str:
    """An interval with ``digits`` significant digits per limit: ``[0,1234; 12,35]``."""
    return f"[{significant(low, digits)}; {significant(high, digits)}]"


def p_value(p: object) -> str:
    """A p-value: ``< 0,001`` below 0.001, otherwise three decimals."""
    if _is_missing(p):
        return _MISSING
    return "< 0,001" if float(p) < 0.001 else number(p, 3)  # type: ignore[arg-type]


def shorten(text: object, limit: int = MAX_CELL_CHARS) -> str:
    """``text`` as one line of at most ``limit`` characters (cut with "…")."""
    line = " ".join(str(text).split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "…"


def _is_number(value: object) -> bool:
    return isinstance(value, Real) and not isinstance(value, bool)


def _cell(value: object, limit: int = MAX_CELL_CHARS) -> str:
    if not _is_number(value):
        return shorten(_MISSING if _is_missing(value) else value, limit)
    if isinstance(value, Integral):
        return integer(value)
    text = significant(value, 4)
    return text.rstrip("0").rstrip(",") if "," in text else text


@dataclass(frozen=True)
class Summary:
    """What a result object shows: a title, labelled facts, a few table rows.

    ``kind`` is the class name; ``facts`` are (German label, text) pairs; ``columns``
    and ``rows`` a table (texts, or numbers shown with four significant digits);
    ``total_rows`` the rows the object really has when ``rows`` holds only the first.
    """

    kind: str
    title: str
    facts: Sequence[tuple[str, object]] = ()
    columns: Sequence[str] = ()
    rows: Sequence[Sequence[object]] = ()
    total_rows: int | None = None

    def _hidden(self, shown: int) -> int:
        return (self.total_rows if self.total_rows is not None else len(self.rows)) - shown

    def text(self) -> str:
        """The plain-text form for ``__repr__``: at most :data:`MAX_REPR_LINES` lines and
        :data:`MAX_REPR_CHARS` characters."""
        head = [f"{self.kind}: {shorten(self.title, 70)}"]
        head += [f"  {shorten(label, 30)}: {_cell(value, 72)}" for label, value in self.facts]
        room = max(0, MAX_REPR_LINES - len(head) - 2) if self.columns else 0
        for shown in range(min(room, len(self.rows)), -1, -1):
            lines = head + self._text_table(self.rows[:shown])
            hidden = self._hidden(shown)
            if self.columns and hidden > 0:
                lines.append(f"  … {integer(hidden)} weitere Zeilen")
            text = "\n".join(lines)
            if len(text) <= MAX_REPR_CHARS and len(lines) <= MAX_REPR_LINES:
                return text
        return "\n".join(head)[:MAX_REPR_CHARS]

    def _text_table(self, rows: Sequence[Sequence[object]]) -> list[str]:
        if not self.columns or not rows:
            return []
        header = [shorten(column, 20) for column in self.columns]
        cells = [[_cell(value, 20) for value in row] for row in rows]
        widths = [max(len(row[i]) for row in [header, *cells]) for i in range(len(header))]
        # numbers right-aligned, texts left-aligned, as in a printed table
        right = [all(_NUMBER_LIKE.match(row[i]) for row in cells) for i in range(len(header))]

        def line(row: list[str]) -> str:
            parts = [
                cell.rjust(width) if flush else cell.ljust(width)
                for cell, width, flush in zip(row, widths, right, strict=True)
            ]
            return "  " + "  ".join(parts).rstrip()

        return [line(header)] + [line(row) for row in cells]

    def html(self) -> str:
        """The HTML form for ``_repr_html_``: a caption, a table of the facts and the first
        :data:`MAX_HTML_ROWS` rows of the table, every text escaped."""
        esc = html.escape
        parts = [
            '<div class="welcome-eval-summary">',
            f"<p><strong>{esc(self.kind)}</strong>: {esc(self.title)}</p>",
        ]
        if self.facts:
            parts.append("<table><tbody>")
            parts += [
                f'<tr><th style="text-align:left">{esc(str(label))}</th>'
                f"<td>{esc(_cell(value, 200))}</td></tr>"
                for label, value in self.facts
            ]
            parts.append("</tbody></table>")
        cells = [[_cell(value) for value in row] for row in self.rows[:MAX_HTML_ROWS]]
        if self.columns and cells:
            parts.append("<table><thead><tr>")
            parts += [f"<th>{esc(str(column))}</th>" for column in self.columns]
            parts.append("</tr></thead><tbody>")
            parts += [
                "<tr>" + "".join(f"<td>{esc(value)}</td>" for value in row) + "</tr>"
                for row in cells
            ]
            parts.append("</tbody></table>")
            hidden = self._hidden(len(cells))
            if hidden > 0:
                parts.append(f"<p>… {esc(integer(hidden))} weitere Zeilen</p>")
        parts.append("</div>")
        return "\n".join(parts)


class SummaryRepr:
    """Mixin of the result objects: a short German repr and an escaped HTML repr for
    notebooks, both from the object's ``_summary()`` (a :class:`Summary`). A dataclass
    using it is declared with ``repr=False``, or its generated repr would win."""

    def _summary(self) -> Summary:
        raise NotImplementedError

    def __repr__(self) -> str:
        return self._summary().text()

    def _repr_html_(self) -> str:
        return self._summary().html()
