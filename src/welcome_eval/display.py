"""Output helpers for report notebooks: German tables, figures with captions.

Figures are embedded as PNG ``<figure>`` elements with German alt text and
caption, so a report needs nothing from outside the HTML file.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Mapping

import matplotlib.pyplot as plt
import pandas as pd
from IPython.display import HTML, Markdown, display
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def figure_html(fig: Figure | Axes, *, caption: str, alt: str, dpi: int = 110) -> str:
    """A matplotlib figure as a self-contained ``<figure>`` with alt text and caption."""
    figure = fig.figure if isinstance(fig, Axes) else fig
    buffer = io.BytesIO()
    # No "Software" metadata: the same figure gives the same bytes.
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight", metadata={"Software": None})
    plt.close(figure)
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return (
        f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(alt)}">'
        f"<figcaption>{html.escape(caption)}</figcaption></figure>"
    )


def show_figure(fig: Figure | Axes, *, caption: str, alt: str) -> None:
    """Display a figure with German caption and alt text in the report."""
    display(HTML(figure_html(fig, caption=caption, alt=alt)))


def table_html(
    frame: pd.DataFrame,
    *,
    caption: str | None = None,
    formats: Mapping[str, Callable[[object], str]] | None = None,
    numeric: tuple[str, ...] = (),
) -> str:
    """A small DataFrame as an HTML table with German column names and formatted cells.

    ``formats`` maps a column to a function turning its values into text
    (e.g. :func:`welcome_eval.german_format.percent`); ``numeric`` columns are
    right-aligned.
    """
    formats = dict(formats or {})
    head = "".join(
        f"<th{' class=num' if c in numeric or c in formats else ''}>{html.escape(str(c))}</th>"
        for c in frame.columns
    )
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for column in frame.columns:
            value = row[column]
            text = (
                formats[column](value)
                if column in formats
                else (
                    ""
                    if value is None or (isinstance(value, float) and value != value)
                    else str(value)
                )
            )
            css = " class=num" if column in numeric or column in formats else ""
            cells.append(f"<td{css}>{html.escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


def show_table(frame: pd.DataFrame, **kwargs: object) -> None:
    """Display :func:`table_html` in the report."""
    display(HTML(table_html(frame, **kwargs)))


def show_text(markdown: str) -> None:
    """Display Markdown text (headings, paragraphs) computed in the notebook."""
    display(Markdown(markdown))


def show_list(items: list[str], *, css_class: str = "") -> None:
    """Display a bulleted list of (already redacted) texts."""
    cls = f' class="{css_class}"' if css_class else ""
    body = "".join(f"<li>{html.escape(str(i))}</li>" for i in items)
    display(HTML(f"<ul{cls}>{body}</ul>"))
