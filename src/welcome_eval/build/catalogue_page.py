"""The searchable German catalogue page of good examples (``beispiele/index.html``): one
self-contained HTML file, working offline from ``file://``; each entry has its id as anchor
so other reports can link to ``beispiele/index.html#<id>``.
"""

from __future__ import annotations

import jinja2
import pandas as pd

from welcome_eval.analysis.catalogue import OUTCOMES, checklist_dimensions
from welcome_eval.config import templates_dir
from welcome_eval.municipalities import DISTRICTS
from welcome_eval.present.german_format import integer
from welcome_eval.present.markup import content_security_policy

__all__ = ["render_page"]

TEMPLATES = templates_dir()


def _euro(value: float) -> str | None:
    if value != value:
        return None
    return "keine Kosten" if value == 0 else f"{integer(value)} €"


def render_page(
    entries: pd.DataFrame,
    *,
    build_date: str,
    demo: bool,
    index_href: str,
) -> str:
    """The searchable German catalogue page as one self-contained HTML document.

    The report style (``templates/style.css``) and a small script are inlined; nothing
    is loaded from elsewhere, so the page works offline from ``file://``. A search field
    and filters for dimension, district and outcome show and hide entries (without a
    script every entry is visible and the filters stay hidden). Every entry is an
    ``<article id="<id>">``, the target of ``beispiele/index.html#<id>``.

    Parameters
    ----------
    entries
        :func:`read_catalogue`.
    build_date
        Date of the build, already formatted (e.g. ``"01.03.2026"``).
    demo
        Show the demo-data notice.
    index_href
        Link back to the report index (e.g. ``"../index.html"``).

    Examples
    --------
    >>> from welcome_eval.analysis.catalogue import read_catalogue
    >>> page = render_page(read_catalogue(), build_date="01.03.2026", demo=True,
    ...                    index_href="../index.html")
    >>> 'id="willkommensvideo-brilon"' in page, "http://" in page
    (True, False)
    """
    if not isinstance(entries, pd.DataFrame) or "id" not in entries:
        raise TypeError("entries must be the DataFrame from read_catalogue()")
    dimensions = checklist_dimensions()
    items = []
    for row in entries.to_dict("records"):
        items.append(
            {
                **row,
                "cost_text": _euro(row["cost_eur"]),
                "search": " ".join(
                    str(row[k] or "")
                    for k in (
                        "title",
                        "name",
                        "district",
                        "category_label",
                        "description",
                        "reach",
                        "lessons",
                        "contact_role",
                        "cost_note",
                        "outcome_label",
                        "year",
                    )
                ).lower(),
            }
        )
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, keep_trailing_newline=True
    )
    env.globals["content_security_policy"] = content_security_policy
    counts = entries["outcome"].value_counts()
    return env.get_template("beispiele.html.j2").render(
        entries=items,
        dimensions=[(d, label) for d, label in dimensions.items() if d in set(entries["category"])],
        districts=[d for d in DISTRICTS if d in set(entries["district"])],
        outcomes=list(OUTCOMES.items()),
        outcome_counts={o: int(counts.get(o, 0)) for o in OUTCOMES},
        total=len(entries),
        demo=demo,
        build_date=build_date,
        index_href=index_href,
        css=(TEMPLATES / "style.css").read_text(encoding="utf-8"),
    )
