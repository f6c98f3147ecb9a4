"""Stage 4 of the build: render an executed notebook as German HTML, in both
editions.

The agency edition shows no code, the researcher edition (published under
:data:`~welcome_eval.build.plan.RESEARCH_DIR`) shows each cell's code folded.
The pages come from the nbconvert template ``bericht`` in :data:`TEMPLATES`
(footer with version, build date and input files; no script, only safe links).
"""

from __future__ import annotations

import copy
import datetime as dt
import functools
import html
import os
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import nbformat

from welcome_eval._version import __version__
from welcome_eval.build.plan import RESEARCH_DIR, ReportJob
from welcome_eval.config import templates_dir
from welcome_eval.present import markup
from welcome_eval.present.german_format import date as german_date

__all__ = ["TEMPLATES", "build_date", "render_editions", "render_html"]

TEMPLATES = templates_dir()


def build_date() -> dt.date:
    """Today, or the date in ``SOURCE_DATE_EPOCH`` for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.date.today()


def _strip_noise(notebook: nbformat.NotebookNode) -> None:
    """Drop stderr streams (warnings, paths) so they never reach a report."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.outputs
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]


def _for_publication(notebook: nbformat.NotebookNode) -> None:
    """Leave out what the notebook shows the researcher only, and restore the links
    between reports.

    The introduction cell tagged ``lab-only`` keeps its place and id with no text (the
    page stays as it was with the old comment cell); outputs marked
    :data:`~welcome_eval.sections.parameters.LAB_ONLY` go. ``show_text`` renders links to
    other reports as text in the kernel, since in JupyterLab they would lead nowhere;
    the published page renders its Markdown again, with them.
    """
    from welcome_eval.sections.parameters import LAB_ONLY_TAG, is_lab_only

    for cell in notebook.cells:
        tags = cell.metadata.get("tags", [])
        if LAB_ONLY_TAG in tags:
            cell.source = ""
            cell.metadata["tags"] = [t for t in tags if t != LAB_ONLY_TAG]
            if not cell.metadata["tags"]:
                del cell.metadata["tags"]
        if cell.cell_type != "code":
            continue
        cell.outputs = [o for o in cell.outputs if not is_lab_only(o)]
        for output in cell.outputs:
            data = output.get("data", {})
            if "text/markdown" in data and "text/html" in data:
                data["text/html"] = markup.markdown_html(data["text/markdown"])


_exporters = threading.local()


def _plain_code(source: str, language: str | None = None, metadata: Any = None) -> str:
    # Plain <pre> instead of Pygments: a fifth of the rendering time, and the
    # researcher edition needs readable, not coloured, code.
    return f'<div class="highlight"><pre>{html.escape(source)}</pre></div>'


@functools.cache
def _exporter_class() -> type:
    from nbconvert import HTMLExporter
    from nbconvert.exporters.templateexporter import TemplateExporter
    from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter

    class Exporter(HTMLExporter):  # type: ignore[misc]
        def _validate_preprocessor(self, nbc: Any, preprocessor: Any) -> None:
            # nbconvert validates the whole notebook against the schema after each of its
            # dozen preprocessors, a sixth of the rendering time; the notebook comes
            # straight from the kernel and the preprocessors only drop and rename parts.
            return None

        def from_notebook_node(
            self, nb: nbformat.NotebookNode, resources: Any = None, **kw: Any
        ) -> tuple[str, Any]:
            # HTMLExporter's own version then parses the page with BeautifulSoup to add alt
            # texts and tab stops to JupyterLab's cell classes and writes it out again: 60 %
            # of the rendering time, for nothing here (the template has none of those
            # classes; every figure has its German alt text, checked in show_figure).
            resources = self._init_resources(resources)
            self.register_filter(
                "filter_data_type",
                WidgetsDataTypeFilter(
                    notebook_metadata=self._nb_metadata, parent=self, resources=resources
                ),
            )
            return TemplateExporter.from_notebook_node(self, nb, resources, **kw)

    return Exporter


def _exporter(code: bool) -> Any:
    """One HTML exporter per thread and edition (building one loads the templates)."""
    cache = _exporters.__dict__
    if code not in cache:
        exporter = _exporter_class()(
            template_name="bericht",
            extra_template_basedirs=[str(TEMPLATES)],
            exclude_input=not code,
            exclude_input_prompt=True,
            exclude_output_prompt=True,
            # Markdown cells and Markdown outputs: raw HTML escaped, only safe links.
            filters={"highlight_code": _plain_code, "markdown2html": markup.markdown_html},
        )
        cache[code] = exporter
    return cache[code]


def render_html(
    notebook: nbformat.NotebookNode,
    *,
    title: str,
    demo: bool,
    inputs: Iterable[tuple[str, str]],
    index_href: str | None = None,
    code: bool = False,
    edition_href: str | None = None,
) -> str:
    """Render an executed notebook as a self-contained German HTML page.

    The agency edition (``code=False``) shows no code; the researcher edition
    (``code=True``) shows each cell's code folded in a ``<details>`` element
    above its output. ``edition_href`` links to the same report in the other
    edition.
    """
    exporter = _exporter(code)
    _strip_noise(notebook)
    _for_publication(notebook)
    # Only the output types a report makes (HTML, Markdown, text, PNG): no
    # application/javascript, widget or inline SVG output reaches the page.
    shown = {"text/html", "text/markdown", "text/plain", "image/png", "image/jpeg"}
    for cell in notebook.cells:
        for output in cell.get("outputs", []):
            for mimetype in [m for m in output.get("data", {}) if m not in shown]:
                del output["data"][mimetype]
    resources = {
        "welcome": {
            "title": title,
            "demo": demo,
            "version": __version__,
            "build_date": german_date(build_date()),
            "inputs": list(inputs),
            "index_href": index_href,
            "code": code,
            "edition_href": edition_href,
            "css": (TEMPLATES / "style.css").read_text(encoding="utf-8"),
            "csp": markup.content_security_policy(),  # a report runs no script at all
        }
    }
    body, _ = exporter.from_notebook_node(notebook, resources=resources)
    # No link out of the report set or to another scheme than https, whatever produced it.
    return markup.neutralise_links(body)


def _relative_to_data(value: Any, data_dir: Path) -> Any:
    """A parameter as the researcher edition shows it: paths relative to the data
    directory (``.``), any other absolute path as its file name."""
    if isinstance(value, list):
        return [_relative_to_data(v, data_dir) for v in value]
    if isinstance(value, str) and os.path.isabs(value):
        path = Path(value)
        if path == data_dir:
            return "."
        if data_dir in path.parents:
            return path.relative_to(data_dir).as_posix()
        return path.name
    return value


def _without_absolute_paths(notebook: nbformat.NotebookNode, parameters: dict[str, Any]) -> None:
    """Rewrite the injected parameter cell so that the researcher edition shows no
    absolute paths of the build machine (run from the data directory, the cell
    shown reads the same files)."""
    from papermill.translators import translate_parameters

    data_dir = Path(parameters.get("data_dir", "/"))
    shown = {k: _relative_to_data(v, data_dir) for k, v in parameters.items()}
    for cell in notebook.cells:
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.source = translate_parameters(
                "python3", "python", shown, "Parameter (Pfade relativ zum Datenverzeichnis)"
            )
    notebook.metadata.get("papermill", {}).pop("parameters", None)


def render_editions(notebook: nbformat.NotebookNode, job: ReportJob, staging: Path) -> None:
    """Write both editions of an executed report under ``staging``: the agency
    edition at the report's path, the researcher edition under :data:`RESEARCH_DIR`."""
    target = staging / job.relative_path
    depth = len(job.relative_path.parts) - 1
    up = "../" * depth
    # Rendering changes the notebook (noise stripped, the same for both editions): one
    # copy, the agency edition first, then the researcher edition with its own parameters.
    edition = copy.deepcopy(notebook)
    for code in (False, True):
        if code:
            _without_absolute_paths(edition, job.parameters)
        html = render_html(
            edition,
            title=job.title,
            demo=job.demo,
            inputs=job.inputs,
            index_href=up + "index.html",
            code=code,
            edition_href=("../" + up + job.relative_path.as_posix())
            if code
            else (up + RESEARCH_DIR + "/" + job.relative_path.as_posix()),
        )
        path = staging / RESEARCH_DIR / job.relative_path if code else target
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(html, encoding="utf-8")
