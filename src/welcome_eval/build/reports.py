"""The report engine: execute report notebooks for every wave, render German HTML.

``build`` finds every wave manifest in the data directory, reads and validates
each wave first (an invalid wave stops the build before anything is written),
executes the survey's report notebook with the wave as parameter, renders a
self-contained HTML page without code, and writes an index. Everything is
built in a fresh directory that replaces the published one only when all
reports succeeded, so a failed build leaves the last good reports in place.
The replacement is one atomic swap where the system allows it, and a build
killed at any instant is repaired by the next (:func:`_recover`); the output
folder is checked, marked and locked by :mod:`welcome_eval.build.outdir`.
"""

from __future__ import annotations

import copy
import datetime as dt
import fnmatch
import hashlib
import html
import json
import os
import re
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty, Queue
from typing import Any

import jinja2
import nbformat
from tqdm.auto import tqdm

from welcome_eval._version import __version__
from welcome_eval.build import outdir
from welcome_eval.config import data_dir as default_data_dir
from welcome_eval.config import notebooks_dir, surveys_dir, templates_dir
from welcome_eval.errors import WelcomeEvalError
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.ingest.wave import Manifest, Wave, find_manifests, read_wave
from welcome_eval.present import markup
from welcome_eval.present.german_format import date as german_date
from welcome_eval.present.german_format import integer as german_integer

TEMPLATES = templates_dir()
#: Regional report per wave of a survey: ``notebooks/<survey>_welle.ipynb``.
NOTEBOOK_PATTERN = "{survey}_welle.ipynb"
#: Data-quality and methods report for every wave of every survey.
QUALITY_NOTEBOOK = "qualitaet.ipynb"
#: Benchmark report per participating municipality and wave of this survey.
MUNICIPAL_NOTEBOOK = "gemeinde.ipynb"
MUNICIPAL_SURVEY = "neubuerger"
#: The programme overview (participation, round tables, costs), once per build.
PROGRAMME_NOTEBOOK = "programm.ipynb"
#: Where the researcher edition (same reports, code folded) is published.
RESEARCH_DIR = "forschung"
#: Minimum number of respondents behind every value shown (issue: default 5).
DEFAULT_MIN_N = 5


class BuildError(WelcomeEvalError, RuntimeError):
    """A report could not be built; the message says which wave and why."""


class ReportFailed(BuildError):
    """A cell of a report notebook raised: the exception's type and message,
    without the traceback (kept in :attr:`traceback` and written to the build
    log with the executed notebook)."""

    def __init__(self, ename: str, evalue: str, traceback: str, notebook: Any) -> None:
        self.ename = ename
        self.evalue = _plain(evalue)
        self.traceback = _plain(traceback)
        self.notebook = notebook
        super().__init__(f"{self.ename}: {self.evalue}")


_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]")


def _plain(text: str) -> str:
    """``text`` without terminal colour codes."""
    return _ANSI.sub("", str(text))


def _short(text: str, limit: int = 400) -> str:
    """The first lines of an exception message, at most ``limit`` characters."""
    lines = [line.rstrip() for line in _plain(text).strip().splitlines() if line.strip()]
    short = " / ".join(lines[:3])
    return short if len(short) <= limit else short[: limit - 1] + "…"


@dataclass
class ReportJob:
    """One report to build: which notebook, with which parameters, written where.

    ``kind`` is ``"welle"`` (regional report of a wave), ``"qualitaet"``
    (data quality and methods of a wave), ``"gemeinde"`` (benchmark report of
    one municipality for one wave) or ``"programm"`` (programme overview).
    """

    kind: str
    notebook: Path
    relative_path: Path
    title: str
    parameters: dict[str, Any]
    inputs: list[tuple[str, str]]
    demo: bool
    manifest: Manifest | None = None
    wave: Wave | None = None
    previous: list[Manifest] = field(default_factory=list)
    municipality: dict[str, str] | None = None


@dataclass
class BuildResult:
    out_dir: Path
    index: Path
    reports: list[Path] = field(default_factory=list)
    research_index: Path | None = None
    seconds: float = 0.0
    #: Wall time per report (execution and rendering), by relative path.
    timings: dict[str, float] = field(default_factory=dict)
    #: Reports copied from the published build because nothing they depend on changed.
    reused: list[Path] = field(default_factory=list)
    #: Reports outside ``only`` built as well because the published build lacked them.
    completed: list[Path] = field(default_factory=list)
    #: The published reports had been left aside by a killed build and were restored.
    restored: bool = False


def build_date() -> dt.date:
    """Today, or the date in ``SOURCE_DATE_EPOCH`` for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.date.today()


def _inputs(manifests: Iterable[Manifest], waves: Mapping[Path, Wave]) -> list[tuple[str, str]]:
    return [(m.file.name, waves[m.path].provenance["sha256"]) for m in manifests]


def plan(data_dir: str | Path | None = None, *, min_n: int = DEFAULT_MIN_N) -> list[ReportJob]:
    """Read and validate every wave; return the reports to build.

    Regional and data-quality reports per wave (oldest first), then one
    benchmark report per participating municipality and wave of the
    newcomer survey, then the programme overview — each only if its
    notebook exists. Raises :class:`BuildError` naming the manifest if any
    wave cannot be read.
    """
    directory = Path(data_dir or default_data_dir()).resolve()
    manifests = find_manifests(directory)
    if not manifests:
        raise BuildError(
            f"No wave manifests found under {directory} (expected <survey>/<wave>/manifest.yaml)"
        )
    if not isinstance(min_n, int) or min_n < 1:
        raise BuildError(f"min_n must be a positive whole number (e.g. 5), got {min_n!r}")
    waves: dict[Path, Wave] = {}
    for path in manifests:
        try:
            waves[path] = read_wave(path)
        except Exception as exc:  # every reader/validation error becomes one clear message
            raise BuildError(f"Wave {path.parent.name} ({path}) is invalid: {exc}") from exc
    common = {"data_dir": str(directory), "min_n": min_n}
    jobs: list[ReportJob] = []
    by_survey: dict[str, list[Manifest]] = {}
    quality = notebooks_dir() / QUALITY_NOTEBOOK
    for wave in waves.values():
        m = wave.manifest
        earlier = by_survey.setdefault(m.survey, [])
        parameters = {
            "manifest": str(m.path),
            "previous_manifests": [str(p.path) for p in earlier],
            **common,
        }
        inputs = _inputs([*earlier, m], waves)
        notebook = notebooks_dir() / NOTEBOOK_PATTERN.format(survey=m.survey)
        if notebook.is_file():
            jobs.append(
                ReportJob(
                    "welle",
                    notebook,
                    Path(m.survey) / m.wave / "bericht.html",
                    m.title,
                    parameters,
                    inputs,
                    m.demo,
                    m,
                    wave,
                    list(earlier),
                )
            )
        if quality.is_file():
            jobs.append(
                ReportJob(
                    "qualitaet",
                    quality,
                    Path(m.survey) / m.wave / "qualitaet.html",
                    f"Datenqualität und Methoden: {m.title}",
                    parameters,
                    [(m.file.name, wave.provenance["sha256"])],
                    m.demo,
                    m,
                    wave,
                    list(earlier),
                )
            )
        earlier.append(m)
    jobs += _municipal_jobs(directory, waves, common)
    programme = notebooks_dir() / PROGRAMME_NOTEBOOK
    if programme.is_file():
        jobs.append(
            ReportJob(
                "programm",
                programme,
                Path("programm") / "bericht.html",
                "Die Qualitätsoffensive im Überblick",
                dict(common),
                _inputs([w.manifest for w in waves.values()], waves),
                any(w.manifest.demo for w in waves.values()),
            )
        )
    return jobs


def _municipal_jobs(
    directory: Path, waves: Mapping[Path, Wave], common: dict[str, Any]
) -> list[ReportJob]:
    notebook = notebooks_dir() / MUNICIPAL_NOTEBOOK
    if not notebook.is_file():
        return []
    from welcome_eval.analysis.programme import participating_on, participation_record

    try:
        record = participation_record(directory)
    except Exception as exc:
        raise BuildError(f"Municipal reports need the participation record: {exc}") from exc
    jobs = []
    earlier: list[Manifest] = []
    others = [w.manifest for w in waves.values() if w.manifest.survey != MUNICIPAL_SURVEY]
    for wave in waves.values():
        m = wave.manifest
        if m.survey != MUNICIPAL_SURVEY:
            continue
        on = m.fieldwork_start or dt.date(int(m.wave), 1, 1)
        members = record[participating_on(record, on)]
        for row in members.itertuples(index=False):
            jobs.append(
                ReportJob(
                    "gemeinde",
                    notebook,
                    Path("gemeinden") / row.ags / f"{m.wave}.html",
                    f"{row.name}: Bericht {m.wave}",
                    {
                        "manifest": str(m.path),
                        "previous_manifests": [str(p.path) for p in earlier],
                        "ags": row.ags,
                        **common,
                    },
                    _inputs([*earlier, m, *others], waves),
                    m.demo,
                    m,
                    wave,
                    list(earlier),
                    {"ags": row.ags, "name": row.name, "district": row.district},
                )
            )
        earlier.append(m)
    return jobs


def _parameterized(path: Path, parameters: dict[str, Any]) -> nbformat.NotebookNode:
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    notebook = parameterize_notebook(load_notebook_node(str(path)), parameters)
    for cell in notebook.cells:
        # papermill gives the injected cell a random id; a fixed one keeps builds byte-identical.
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"
    return notebook


def _run_cells(notebook: nbformat.NotebookNode, client: Any, path: Path, parameters: Any) -> None:
    from nbclient.exceptions import CellExecutionError

    try:
        client.execute()
    except CellExecutionError as exc:
        raise ReportFailed(exc.ename, exc.evalue, exc.traceback, notebook) from None
    # A reused kernel keeps counting; number the cells as a fresh kernel would.
    count = 0
    for cell in notebook.cells:
        if cell.cell_type == "code" and cell.get("execution_count") is not None:
            count += 1
            cell.execution_count = count
            for output in cell.outputs:
                if "execution_count" in output:
                    output["execution_count"] = count


def execute_notebook(
    path: Path,
    parameters: dict[str, Any],
    *,
    cwd: Path,
    kernel: ReportKernel | None = None,
) -> nbformat.NotebookNode:
    """Execute a notebook top to bottom with ``parameters`` injected after its
    cell tagged ``parameters`` (papermill's convention): in ``kernel`` (a
    :class:`ReportKernel`, reset first) or else in a fresh kernel."""
    if kernel is not None:
        return kernel.execute(path, parameters, cwd=cwd)
    with ReportKernel() as fresh:
        return fresh.execute(path, parameters, cwd=cwd)


#: Run before every report in a reused kernel: an empty namespace, no open
#: figures, the plotting and pandas settings the kernel started with.
_RESET = """\
def _welcome_eval_reset(ip=get_ipython()):
    # What %reset -f does, without its garbage collection (0.2 s per report).
    for name in [n for n in ip.user_ns if n not in ip.user_ns_hidden]:
        del ip.user_ns[name]
    ip.user_ns["_oh"].clear()
    import os, sys, warnings
    import matplotlib, matplotlib.pyplot, pandas
    matplotlib.pyplot.close("all")
    if not hasattr(sys, "_welcome_eval_rc"):
        sys._welcome_eval_rc = matplotlib.rcParams.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        matplotlib.rcParams.update(sys._welcome_eval_rc)
        pandas.reset_option("all")
    warnings.resetwarnings()
    os.chdir({cwd!r})
_welcome_eval_reset()
"""


#: Prefix of a kernel's socket folder in the temporary directory (then the build's pid).
KERNEL_DIR_PREFIX = "welcome-eval-kernel-"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # someone else's process
        return True
    return True


def sweep_kernel_dirs(temp: Path | None = None) -> list[Path]:
    """Remove kernel socket folders left in the temporary directory by builds
    that were killed (their process no longer exists); return them."""
    removed = []
    for folder in Path(temp or tempfile.gettempdir()).glob(KERNEL_DIR_PREFIX + "*"):
        pid = folder.name[len(KERNEL_DIR_PREFIX) :].split("-", 1)[0]
        if not folder.is_dir() or folder.is_symlink():
            continue
        if pid.isdigit() and _alive(int(pid)):
            continue
        if not pid.isdigit() and any(folder.iterdir()):
            continue  # an older version's folder with content: leave it
        shutil.rmtree(folder, ignore_errors=True)
        removed.append(folder)
    return removed


class ReportKernel:
    """One long-lived kernel that executes report after report.

    Starting a kernel and importing pandas, matplotlib and the library costs
    seconds per report; a worker keeps its kernel and clears the namespace,
    open figures and settings between reports, so a report comes out the
    same as from a fresh kernel (tested: the build does not depend on
    ``jobs``). Kernels talk over local IPC sockets: nothing listens on the
    network during a build.
    """

    def __init__(self) -> None:
        from jupyter_client.manager import KernelManager

        sweep_kernel_dirs()
        # The sockets and the connection file live in one folder named after this
        # process, so that a killed build's folder can be recognised and removed.
        self._sockets = tempfile.TemporaryDirectory(prefix=f"{KERNEL_DIR_PREFIX}{os.getpid()}-")
        folder = Path(self._sockets.name)
        self.km = KernelManager(
            kernel_name="python3",
            transport="ipc",
            ip=str(folder / "kernel"),
            connection_file=str(folder / "connection.json"),
        )
        # No input history: it would write every report's code to an SQLite file.
        self.km.start_kernel(extra_arguments=["--HistoryManager.enabled=False"])
        self.kc = self.km.client()
        self.kc.start_channels()
        self.kc.wait_for_ready(timeout=120)

    def __enter__(self) -> ReportKernel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    def _client(self, notebook: nbformat.NotebookNode) -> Any:
        from nbclient import NotebookClient

        client = NotebookClient(notebook, km=self.km, timeout=600, kernel_name="python3")
        client.kc = self.kc  # nbclient ignores a kc passed to the constructor
        return client

    def execute(
        self, path: Path, parameters: dict[str, Any], *, cwd: Path
    ) -> nbformat.NotebookNode:
        """Execute the notebook at ``path`` with ``parameters`` in this kernel."""
        reset = nbformat.v4.new_notebook()
        reset.cells.append(nbformat.v4.new_code_cell(_RESET.format(cwd=str(cwd))))
        _run_cells(reset, self._client(reset), path, "(reset)")
        notebook = _parameterized(path, parameters)
        _run_cells(notebook, self._client(notebook), path, parameters)
        return notebook

    def shutdown(self) -> None:
        try:
            self.kc.stop_channels()
            if self.km.has_kernel:
                self.km.shutdown_kernel(now=True)
        finally:
            self._sockets.cleanup()


def _strip_noise(notebook: nbformat.NotebookNode) -> None:
    """Drop stderr streams (warnings, paths) so they never reach a report."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.outputs
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]


_exporters = threading.local()


def _plain_code(source: str, language: str | None = None, metadata: Any = None) -> str:
    # Plain <pre> instead of Pygments: a fifth of the rendering time, and the
    # researcher edition needs readable, not coloured, code.
    return f'<div class="highlight"><pre>{html.escape(source)}</pre></div>'


def _exporter(code: bool) -> Any:
    """One HTML exporter per thread and edition (building one loads the templates)."""
    from nbconvert import HTMLExporter

    cache = _exporters.__dict__
    if code not in cache:
        exporter = HTMLExporter(
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


def _index_context(jobs: list[ReportJob]) -> dict[str, Any]:
    surveys: dict[str, dict[str, Any]] = {}
    waves: dict[Path, dict[str, Any]] = {}
    for job in jobs:
        if job.kind not in ("welle", "qualitaet") or job.manifest is None or job.wave is None:
            continue
        m = job.manifest
        survey = surveys.setdefault(
            m.survey, {"title": Codebook.for_survey(m.survey).title, "reports": []}
        )
        entry = waves.get(job.relative_path.parent)
        if entry is None:
            municipality = job.wave.codebook.municipality
            entry = waves[job.relative_path.parent] = {
                "wave": m.wave,
                "title": m.title,
                "href": None,
                "quality_href": None,
                "fieldwork": f"{german_date(m.fieldwork_start)} – {german_date(m.fieldwork_end)}"
                if m.fieldwork_start
                else "–",
                "respondents": german_integer(len(job.wave.data)),
                "municipalities": job.wave.data[municipality].nunique() if municipality else "–",
            }
            survey["reports"].append(entry)
        entry["href" if job.kind == "welle" else "quality_href"] = job.relative_path.as_posix()
    municipalities: dict[str, dict[str, Any]] = {}
    for job in jobs:
        if job.kind == "gemeinde" and job.municipality and job.manifest:
            entry = municipalities.setdefault(
                job.municipality["ags"], {**job.municipality, "reports": []}
            )
            entry["reports"].append(
                {"wave": job.manifest.wave, "href": job.relative_path.as_posix()}
            )
    others = [
        {"title": job.title, "href": job.relative_path.as_posix()}
        for job in jobs
        if job.kind == "programm"
    ]
    return {
        "surveys": list(surveys.values()),
        "municipalities": sorted(municipalities.values(), key=lambda e: e["name"]),
        "others": others,
        "demo": any(job.demo for job in jobs),
        "build_date": german_date(build_date()),
        "version": __version__,
        "css": (TEMPLATES / "style.css").read_text(encoding="utf-8"),
    }


def _render_index(jobs: list[ReportJob], *, research: bool = False, catalogue: bool = False) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, keep_trailing_newline=True
    )
    env.globals["content_security_policy"] = markup.content_security_policy
    context = _index_context(jobs)
    return env.get_template("index.html.j2").render(
        **context, research=research, catalogue=catalogue
    )


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


#: Beside the output folder: the executed notebook and the full traceback of a failed report.
FAILED_SUFFIX = ".failed"


def _log_failure(job: ReportJob, failure: ReportFailed, logs: Path) -> Path:
    """Write the failed, executed notebook and the full traceback under ``logs``;
    return the log file's path."""
    try:
        logs.mkdir(parents=True, exist_ok=True)
        if not outdir.is_ours(logs):
            raise OSError(f"{logs} is not welcome-eval's")
        outdir.write_marker(logs, [], command="build (Fehlerprotokolle / failure logs)")
    except OSError:
        logs = Path(tempfile.mkdtemp(prefix="welcome-eval-failed-"))
    log = logs / (job.relative_path.as_posix() + ".log")
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(
        f"Bericht / report: {job.relative_path.as_posix()}\n"
        f"Notebook: {job.notebook.name}\n"
        f"Parameter: {json.dumps(job.parameters, ensure_ascii=False, default=str)}\n\n"
        f"{failure.traceback}\n",
        encoding="utf-8",
    )
    nbformat.write(failure.notebook, str(log.with_suffix(".ipynb")))
    return log


def _build_one(job: ReportJob, staging: Path, kernel: ReportKernel, logs: Path) -> None:
    target = staging / job.relative_path
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        notebook = kernel.execute(job.notebook, job.parameters, cwd=target.parent)
    except ReportFailed as failure:
        log = _log_failure(job, failure, logs)
        raise BuildError(
            f"Bericht {job.relative_path.as_posix()} ({job.notebook.name}) konnte nicht "
            f"erstellt werden / could not be built: {failure.ename}: {_short(failure.evalue)}\n"
            f"Vollständige Meldung und ausgeführtes Notebook / full traceback and executed "
            f"notebook: {log}"
        ) from None
    depth = len(job.relative_path.parts) - 1
    up = "../" * depth
    for code in (False, True):
        # Rendering changes the notebook (noise stripped): give each edition a copy.
        edition = copy.deepcopy(notebook)
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


#: Content keys of the published reports, written beside the index.
CACHE_FILE = ".build-cache.json"


def _digest_files(paths: Iterable[Path], root: Path | None = None) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        name = path.relative_to(root).as_posix() if root else path.name
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _common_key(data_dir: Path) -> str:
    """Everything every report depends on besides its own waves: the library
    code and templates, the instruments, the programme records and other files
    of the data directory that are not wave files."""
    package = Path(__file__).resolve().parent.parent
    code = [p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    instruments = [p for p in surveys_dir().rglob("*") if p.is_file()]
    wave_dirs = {m.parent for m in find_manifests(data_dir)}
    records = [p for p in data_dir.rglob("*") if p.is_file() and p.parent not in wave_dirs]
    parts = [
        __version__,
        _digest_files(code, package),
        _digest_files(instruments, surveys_dir()),
        _digest_files(records, data_dir),
        # A fixed build date is part of the page; today's date is not a reason to rebuild.
        os.environ.get("SOURCE_DATE_EPOCH", ""),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _job_key(job: ReportJob, common: str) -> str:
    """Content key of one report: the notebook, its parameters, its input files
    (manifests and raw files) and :func:`_common_key`."""
    manifests = [job.parameters.get("manifest"), *job.parameters.get("previous_manifests", [])]
    parts = [
        common,
        job.kind,
        job.title,
        hashlib.sha256(job.notebook.read_bytes()).hexdigest(),
        json.dumps(job.parameters, sort_keys=True, default=str),
        json.dumps(job.inputs),
        *(hashlib.sha256(Path(m).read_bytes()).hexdigest() for m in manifests if m),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def _reuse(job: ReportJob, key: str, out_dir: Path, staging: Path, keys: Mapping) -> bool:
    """Copy a published report (both editions) whose content key is unchanged."""
    relative = job.relative_path
    sources = [out_dir / relative, out_dir / RESEARCH_DIR / relative]
    if keys.get(relative.as_posix()) != key or not all(p.is_file() for p in sources):
        return False
    for source, target in zip(
        sources, [staging / relative, staging / RESEARCH_DIR / relative], strict=True
    ):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return True


#: Start order by kind: the programme overview and the regional reports take longest.
_EXPECTED_ORDER = {"programm": 0, "welle": 1, "qualitaet": 2, "gemeinde": 3}


def _write_catalogue(staging: Path, demo: bool) -> bool:
    try:
        from welcome_eval.analysis import catalogue
        from welcome_eval.build import catalogue_page
    except ImportError:
        return False
    page = catalogue_page.render_page(
        catalogue.read_catalogue(),
        build_date=german_date(build_date()),
        demo=demo,
        index_href="../index.html",
    )
    target = staging / "beispiele" / "index.html"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(page, encoding="utf-8")
    return True


def build(
    data_dir: str | Path | None = None,
    out_dir: str | Path = "reports",
    *,
    progress: bool = True,
    jobs: int | None = None,
    min_n: int = DEFAULT_MIN_N,
    only: Sequence[str] | None = None,
    force: bool = False,
) -> BuildResult:
    """Build every report and the index into ``out_dir``, replacing it atomically.

    Parameters
    ----------
    data_dir
        Directory with ``<survey>/<wave>/manifest.yaml`` (default: the
        ``WELCOME_EVAL_DATA`` setting, else the shipped demo data).
    out_dir
        Where the published reports live; built next to it and swapped in.
        The agency edition (no code) is at the top, the researcher edition
        (code folded) under ``forschung/``.
    progress
        Show a progress bar on standard error.
    jobs
        Kernels executing reports at the same time (default: the number of
        CPU cores, at most 4). The output does not depend on it.
    min_n
        Minimum number of respondents behind every value a report shows.
    only
        Rebuild only the reports whose path matches one of these patterns
        (``fnmatch``, e.g. ``"gemeinden/05958004/*"``); the other published
        reports are kept as they are. Every wave is still validated, and the
        index is written for the whole plan.
    force
        Execute every report even if its content key (notebook, parameters,
        input files, library code, instruments and records) is unchanged since
        the published build; by default such reports are copied over.
    """
    started = time.perf_counter()
    data_path = Path(data_dir or default_data_dir()).resolve()
    out_dir = outdir.check_target(out_dir, protect=[data_path])
    with outdir.locked(out_dir):
        return _build_locked(
            data_path,
            out_dir,
            progress=progress,
            jobs=jobs,
            min_n=min_n,
            only=only,
            force=force,
            started=started,
        )


def _staging(out_dir: Path) -> Path:
    return out_dir.with_name(out_dir.name + ".building")


def _retired(out_dir: Path) -> Path:
    return out_dir.with_name(out_dir.name + ".previous")


def _looks_like_a_build(folder: Path, *, partial: bool = False) -> bool:
    """A folder written by an earlier version (no marker yet): only pages that say
    they were made by welcome_eval (footer or title) and the content keys, and
    (unless ``partial``, a build killed half-way) the index."""
    files = [f for f in outdir.files_in(folder) if Path(f).name not in outdir.OS_FILES]
    pages = [f for f in files if f.endswith(".html")]
    if not pages or any(f not in pages and f != CACHE_FILE for f in files):
        return False
    if not partial and "index.html" not in pages:
        return False
    signatures = ("welcome_eval", "Willkommen in Südwestfalen")  # report footers, catalogue
    return all(
        any(s in (folder / page).read_text(encoding="utf-8", errors="ignore") for s in signatures)
        for page in pages
    )


def _recover(out_dir: Path) -> bool:
    """Repair what a killed build left beside ``out_dir``; return whether the
    published reports had to be restored.

    Killed between the two renames of the fallback publish, ``out_dir`` is
    missing and the complete previous build waits under ``<name>.previous``:
    it is moved back. A left-over staging folder or previous build is deleted
    (only if it is welcome-eval's).
    """
    retired = _retired(out_dir)
    restored = False
    if (
        not out_dir.exists()
        and not out_dir.is_symlink()
        and retired.is_dir()
        and (outdir.is_ours(retired) or _looks_like_a_build(retired))
        and any(retired.iterdir())
    ):
        os.rename(retired, out_dir)
        restored = True
    for leftover in (_staging(out_dir), retired):
        if leftover.is_dir() and _looks_like_a_build(leftover, partial=True):
            shutil.rmtree(leftover)  # left by an earlier version
        else:
            outdir.remove_own(leftover)
    return restored


def _published(job: ReportJob, out_dir: Path) -> bool:
    """Both editions of the report are in the published build."""
    relative = job.relative_path
    return (out_dir / relative).is_file() and (out_dir / RESEARCH_DIR / relative).is_file()


def _build_locked(
    data_path: Path,
    out_dir: Path,
    *,
    progress: bool,
    jobs: int | None,
    min_n: int,
    only: Sequence[str] | None,
    force: bool,
    started: float,
) -> BuildResult:
    restored = _recover(out_dir)
    sweep_kernel_dirs()
    _, foreign = outdir.claim(out_dir, legacy=_looks_like_a_build)
    if foreign:
        raise outdir.OutputError(
            f"{out_dir} enthält Dateien, die welcome-eval nicht geschrieben hat "
            f"({', '.join(foreign[:5])}{' …' if len(foreign) > 5 else ''}); ein Build würde sie "
            f"löschen. Bitte verschieben oder einen anderen Ordner angeben. / {out_dir} holds "
            "files welcome-eval did not write; a build would delete them: move them or "
            "choose another --out."
        )
    logs = out_dir.with_name(out_dir.name + FAILED_SUFFIX)
    if logs.is_dir() and outdir.is_ours(logs):
        shutil.rmtree(logs)  # the logs of the previous failed build
    everything = plan(data_path, min_n=min_n)
    planned = everything
    completed: list[ReportJob] = []
    if only is not None:
        patterns = list(only)
        matched = [
            job
            for job in everything
            if any(fnmatch.fnmatch(job.relative_path.as_posix(), p) for p in patterns)
        ]
        if not matched:
            raise BuildError(f"No report matches {patterns}")
        # Never publish a partial set: reports missing from the published build
        # (none published yet, new waves or municipalities) are built as well.
        chosen = {id(j) for j in matched}
        completed = [j for j in everything if id(j) not in chosen and not _published(j, out_dir)]
        chosen |= {id(j) for j in completed}
        planned = [j for j in everything if id(j) in chosen]
    workers = max(1, min(jobs or min(4, os.cpu_count() or 1), len(planned) or 1))
    staging = _staging(out_dir)
    staging.mkdir(parents=True)
    outdir.write_marker(staging, [])
    if only is not None and out_dir.is_dir():
        # keep what is not rebuilt
        shutil.copytree(out_dir, staging, symlinks=True, dirs_exist_ok=True)
    kernels: list[ReportKernel] = []
    timings: dict[str, float] = {}
    cache_path = out_dir / CACHE_FILE
    previous: dict[str, str] = {}
    if cache_path.is_file():
        try:
            previous = json.loads(cache_path.read_text(encoding="utf-8"))
        except ValueError:
            previous = {}  # a damaged cache only costs a full build
    published = {} if force else previous
    common = _common_key(data_path)
    keys = {job.relative_path.as_posix(): _job_key(job, common) for job in planned}
    if only is not None:  # the reports not rebuilt keep their keys
        keys = {**previous, **keys}
    reused: list[ReportJob] = []
    try:
        bar = tqdm(
            total=len(planned),
            desc="Berichte",
            unit="Bericht",
            disable=not progress,
            file=sys.stderr,
        )
        queue: Queue[ReportJob] = Queue()
        # Long reports first, so that no kernel starts one when the others are done.
        for job in sorted(planned, key=lambda j: _EXPECTED_ORDER.get(j.kind, 9)):
            if _reuse(job, keys[job.relative_path.as_posix()], out_dir, staging, published):
                reused.append(job)
                bar.update()
            else:
                queue.put(job)
        workers = max(1, min(workers, queue.qsize()))

        def work() -> None:
            kernel = ReportKernel()
            kernels.append(kernel)
            while True:
                try:
                    job = queue.get_nowait()
                except Empty:
                    return
                began = time.perf_counter()
                _build_one(job, staging, kernel, logs)
                timings[job.relative_path.as_posix()] = time.perf_counter() - began
                bar.set_postfix_str(job.relative_path.parent.as_posix(), refresh=False)
                bar.update()

        # Kernels are separate processes: the threads only wait for them and render.
        with ThreadPoolExecutor(max_workers=workers) as pool:
            futures = [pool.submit(work) for _ in range(workers if queue.qsize() else 0)]
            for future in as_completed(futures):
                if future.exception() is not None:
                    while not queue.empty():  # stop the other workers early
                        queue.get_nowait()
                    future.result()
        bar.close()
        demo = any(job.demo for job in everything)
        catalogue = _write_catalogue(staging, demo)
        (staging / "index.html").write_text(
            _render_index(everything, catalogue=catalogue), encoding="utf-8"
        )
        (staging / RESEARCH_DIR).mkdir(exist_ok=True)
        (staging / CACHE_FILE).write_text(
            json.dumps(keys, indent=1, sort_keys=True) + "\n", encoding="utf-8"
        )
        (staging / RESEARCH_DIR / "index.html").write_text(
            _render_index(everything, research=True, catalogue=catalogue), encoding="utf-8"
        )
        written = [f for f in outdir.files_in(staging) if not f.startswith(outdir.MARKER)]
        outdir.write_marker(staging, written)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    finally:
        for kernel in kernels:
            kernel.shutdown()
    _publish(staging, out_dir)
    return BuildResult(
        out_dir=out_dir,
        index=out_dir / "index.html",
        reports=[out_dir / job.relative_path for job in planned],
        research_index=out_dir / RESEARCH_DIR / "index.html",
        seconds=time.perf_counter() - started,
        timings=dict(sorted(timings.items())),
        reused=[out_dir / job.relative_path for job in reused],
        completed=[out_dir / job.relative_path for job in completed],
        restored=restored,
    )


def _publish(staging: Path, out_dir: Path) -> None:
    """Put the freshly built directory in place of the published one.

    Where the system can swap two directories atomically (Linux, macOS), the
    name ``out_dir`` never goes missing: the new build and the old one change
    places in one step, then the old one (now under the staging name) is
    deleted. Elsewhere the old build is renamed to ``<name>.previous`` and the
    new one into place; a build killed between the two renames is repaired by
    :func:`_recover` at the start of the next build.
    """
    if not out_dir.exists():
        os.rename(staging, out_dir)
        return
    if outdir.exchange(staging, out_dir):
        shutil.rmtree(staging)  # the previous build, now under the staging name
        return
    retired = _retired(out_dir)
    os.rename(out_dir, retired)
    os.rename(staging, out_dir)
    shutil.rmtree(retired)
