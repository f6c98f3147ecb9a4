"""Output helpers for report notebooks: German tables, figures with captions.

Figures are embedded as PNG ``<figure>`` elements with German alt text and
caption, so a report needs nothing from outside the HTML file.

These functions are the disclosure gate of every report: :func:`show_table`
and :func:`show_figure` accept only data that passed
:func:`welcome_eval.publish.privacy.protect` (or was declared
:func:`welcome_eval.publish.privacy.not_personal`), and :func:`show_list` only answers
from :func:`welcome_eval.publish.privacy.redact_answers`. Anything else raises
:class:`UnprotectedData` and the report build stops.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Mapping, Sequence

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, display
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from welcome_eval.present.markup import markdown_html, md_code, md_escape
from welcome_eval.publish.disclosure import DEFAULT_MARK, DisclosureError, SuppressedTable
from welcome_eval.publish.privacy import NotPersonal, RedactedAnswers

Gated = SuppressedTable | NotPersonal
#: For notebooks: ``from welcome_eval.publish.display import md_code, md_escape``.
__all__ = [
    "UnprotectedData",
    "figure_html",
    "md_code",
    "md_escape",
    "show_figure",
    "show_list",
    "show_table",
    "show_text",
    "table_html",
]


class UnprotectedData(DisclosureError):
    """A report tried to show data that did not pass the disclosure gate."""


def _check_gated(data: object, what: str) -> None:
    items = data if isinstance(data, list | tuple) else [data]
    if not items or not all(isinstance(item, SuppressedTable | NotPersonal) for item in items):
        raise UnprotectedData(
            f"{what} must come from welcome_eval.publish.privacy.protect(...) (groups of people) "
            "or welcome_eval.publish.privacy.not_personal(...) (no persons), "
            f"got {type(data).__name__}"
        )


def figure_html(
    fig: Figure | Axes, *, caption: str, alt: str, dpi: int = 110, gate: str | None = None
) -> str:
    """A matplotlib figure as a self-contained ``<figure>`` with alt text and caption."""
    figure = fig.figure if isinstance(fig, Axes) else fig
    buffer = io.BytesIO()
    # No "Software" metadata: the same figure gives the same bytes.
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    marker = f' data-gate="{html.escape(gate)}"' if gate else ""
    return (
        f'<figure{marker}><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def show_figure(
    fig: Figure | Axes, *, caption: str, alt: str, data: Gated | list[Gated] | tuple[Gated, ...]
) -> None:
    """Display a figure with German caption and alt text in the report.

    ``data`` is what the figure was drawn from, as it came through the
    disclosure gate (one or several tables); a figure of unprotected data is
    refused and closed.
    """
    try:
        _check_gated(data, "the data of a figure")
    except UnprotectedData:
        plt.close(fig.figure if isinstance(fig, Axes) else fig)
        raise
    items = data if isinstance(data, list | tuple) else [data]
    gate = "protected" if any(isinstance(i, SuppressedTable) for i in items) else "not-personal"
    display(HTML(figure_html(fig, caption=caption, alt=alt, gate=gate)))


def _gate_markers(table: SuppressedTable | NotPersonal | pd.DataFrame) -> tuple[str, list[str]]:
    """Table attributes and per-row attributes that let a test audit the gate
    in the rendered HTML: which gate a table passed, its threshold, each
    row's governing n (or "." where it is hidden) and the total rows."""
    if isinstance(table, NotPersonal):
        return ' class="gate-not-personal"', [""] * len(table.table)
    if not isinstance(table, SuppressedTable):
        return "", [""] * len(table)
    attributes = f' class="gate-protected gate-{table.kind}" data-min-n="{table.min_n}"'
    rows = []
    totals = set(table.totals)
    for position, label in enumerate(table.table.index):
        row = table.table.iloc[position]
        marks = []
        if label in totals or any(str(v) in {str(t) for t in totals} for v in row.to_numpy()):
            marks.append(" data-total")
        if table.kind == "tidy" and table.count_columns:
            counts = [table.table.columns.get_loc(c) for c in table.count_columns]
            hidden = table.suppressed.to_numpy(bool)[position, counts]
            if hidden.any():
                marks.append(' data-n="."')
            else:
                n = min(float(row.iloc[c]) for c in counts)
                marks.append(f' data-n="{int(n) if n == int(n) else n}"')
        rows.append("".join(marks))
    return attributes, rows


def table_html(
    frame: pd.DataFrame | SuppressedTable | NotPersonal,
    *,
    caption: str | None = None,
    formats: Mapping[str, Callable[[object], str]] | None = None,
    numeric: tuple[str, ...] = (),
    labels: Mapping[str, str] | None = None,
    columns: Sequence[str] | None = None,
) -> str:
    """A small table as HTML with German column names and formatted cells.

    ``formats`` maps a column to a function turning its values into text
    (e.g. :func:`welcome_eval.present.german_format.percent`); ``numeric`` columns are
    right-aligned; ``labels`` gives German headers for column names and
    ``columns`` picks and orders the columns shown. A
    :class:`~welcome_eval.publish.disclosure.SuppressedTable` shows its hidden cells as
    "." and gets the German footnote.
    """
    formats = dict(formats or {})
    footnote = ""
    hidden: pd.DataFrame | None = None
    table_attributes, row_attributes = _gate_markers(frame)
    if isinstance(frame, NotPersonal):
        frame = frame.table
    if isinstance(frame, SuppressedTable):
        if frame.any_suppressed:
            footnote = f"<p class=footnote>{html.escape(frame.footnote)}</p>"
        hidden = frame.suppressed
        frame = frame.table
    if columns is not None:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise KeyError(f"columns {missing} are not in the table ({list(frame.columns)})")
        if hidden is not None:
            hidden = hidden[list(columns)]
        frame = frame[list(columns)]
    labels = dict(labels or {})
    head = "".join(
        f"<th{' class=num' if c in numeric or c in formats else ''}>"
        f"{html.escape(str(labels.get(c, c)))}</th>"
        for c in frame.columns
    )
    rows = []
    hidden_cells = hidden.to_numpy(bool) if hidden is not None else None
    for position, (_, row) in enumerate(frame.iterrows()):
        cells = []
        for column_number, column in enumerate(frame.columns):
            value = row[column]
            if hidden_cells is not None and hidden_cells[position, column_number]:
                css = " class=num" if column in numeric or column in formats else ""
                cells.append(f"<td{css}>{DEFAULT_MARK}</td>")
                continue
            text = (
                formats[column](value)
                if column in formats
                else (
                    ""
                    if value is None or (isinstance(value, float) and value != value)
                    # counts come back as floats from disclosure control
                    else str(int(value))
                    if isinstance(value, float) and value.is_integer()
                    else str(value)
                )
            )
            css = " class=num" if column in numeric or column in formats else ""
            cells.append(f"<td{css}>{html.escape(text)}</td>")
        rows.append(f"<tr{row_attributes[position]}>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return (
        f"<table{table_attributes}>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        + footnote
    )


def show_table(table: Gated, **kwargs: object) -> None:
    """Display a table that passed the disclosure gate (see :func:`table_html`)."""
    _check_gated(table, "a table")
    display(HTML(table_html(table, **kwargs)))


def show_text(markdown: str, /, **values: object) -> None:
    """Display Markdown text (headings, paragraphs) computed in the notebook.

    Text from data — a manifest title, a file name, a codebook or dimension label,
    a catalogue entry — goes in as a keyword: ``show_text("# {title}", title=m.title)``
    fills ``{title}`` with :func:`~welcome_eval.present.markup.md_escape` of the value, so it
    reads as the literal text (a file name in a code span: ``file=md_code(name)``).
    In an f-string, wrap such values in :func:`md_escape` yourself.

    The Markdown is rendered here, with raw HTML escaped and links only to the
    report set and ``https://`` (:func:`~welcome_eval.present.markup.markdown_html`); the
    report shows that HTML, the notebook keeps the Markdown beside it. Links to other
    reports (``../``) stay text here, where they would lead nowhere (JupyterLab); the
    build renders the Markdown again with them (``welcome_eval.build.render``).
    """
    if values:
        markdown = markdown.format_map({k: md_escape(v) for k, v in values.items()})
    rendered = markdown_html(markdown, depth=0)
    display({"text/markdown": markdown, "text/html": rendered}, raw=True)


def show_list(items: RedactedAnswers, *, css_class: str = "") -> None:
    """Display a bulleted list of open answers from
    :func:`welcome_eval.publish.privacy.redact_answers`."""
    if not isinstance(items, RedactedAnswers):
        raise UnprotectedData(
            "open answers must come from welcome_eval.publish.privacy.redact_answers(...), "
            f"got {type(items).__name__}"
        )
    cls = f' class="{html.escape(css_class)}"' if css_class else ""
    body = "".join(f"<li>{html.escape(str(i))}</li>" for i in items)
    display(HTML(f"<ul{cls}>{body}</ul>"))
