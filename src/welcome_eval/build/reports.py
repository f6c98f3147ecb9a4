"""The report engine: execute report notebooks for every wave, render German HTML.

``build`` runs the pipeline of the build, one module per stage:
:func:`~welcome_eval.build.plan.plan` reads and validates every wave (an invalid
wave stops the build before anything is written) and says which notebook makes
which report; :mod:`~welcome_eval.build.kernel` parameterises and executes each
notebook in a long-lived kernel; :mod:`~welcome_eval.build.render` renders a
self-contained HTML page in two editions (without code, and with code folded);
:mod:`~welcome_eval.build.index` writes the index pages;
:mod:`~welcome_eval.build.cache` keeps content keys so that unchanged reports are
copied instead of executed; :mod:`~welcome_eval.build.publish` puts the result in
place. Everything is built in a fresh directory that replaces the published one
only when all reports succeeded, so a failed build leaves the last good reports in
place. The replacement is one atomic swap where the system allows it, and a build
killed at any instant is repaired by the next
(:func:`~welcome_eval.build.publish.recover`); the output folder is checked, marked
and locked by :mod:`welcome_eval.build.outdir`.

The names other code uses are re-exported here (``from welcome_eval.build.reports
import build, execute_notebook, ...`` keeps working).
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from queue import Queue
from typing import TYPE_CHECKING, Any

from welcome_eval._lazy import attach
from welcome_eval.build import outdir
from welcome_eval.build.cache import (
    CACHE_FILE,
    PACKAGE,
    KeyContext,
    PlanCache,
    Store,
    common_key,
    job_key,
    read_keys,
    reuse,
    write_keys,
)
from welcome_eval.build.plan import (
    DEFAULT_MIN_N,
    MUNICIPAL_NOTEBOOK,
    MUNICIPAL_SURVEY,
    NOTEBOOK_PATTERN,
    PROGRAMME_NOTEBOOK,
    QUALITY_NOTEBOOK,
    RESEARCH_DIR,
    BuildError,
    ReportJob,
    plan,
)
from welcome_eval.build.publish import (
    is_published,
    looks_like_a_build,
    publish,
    recover,
    staging_dir,
)
from welcome_eval.config import data_dir as default_data_dir

# Looked up here by every build (not in build.plan), so that a caller can point
# the build at other notebooks by replacing ``reports.notebooks_dir`` (the tests do).
from welcome_eval.config import notebooks_dir

if TYPE_CHECKING:
    from welcome_eval.build.kernel import KernelStarter, ReportFailed, ReportKernel

# The kernel and rendering stages import nbformat, pandas and matplotlib: loaded
# only when a report is executed, so that a build with nothing changed stays fast.
_LOADED_LATER = {
    "KERNEL_DIR_PREFIX": "welcome_eval.build.kernel",
    "ReportFailed": "welcome_eval.build.kernel",
    "ReportKernel": "welcome_eval.build.kernel",
    "execute_notebook": "welcome_eval.build.kernel",
    "plain_message": "welcome_eval.build.kernel",
    "sweep_kernel_dirs": "welcome_eval.build.kernel",
    "TEMPLATES": "welcome_eval.build.render",
    "build_date": "welcome_eval.build.render",
    "render_html": "welcome_eval.build.render",
}

__all__ = [
    "CACHE_FILE",
    "DEFAULT_MIN_N",
    "FAILED_SUFFIX",
    "MUNICIPAL_NOTEBOOK",
    "MUNICIPAL_SURVEY",
    "NOTEBOOK_PATTERN",
    "PAGES",
    "PROGRAMME_NOTEBOOK",
    "QUALITY_NOTEBOOK",
    "RESEARCH_DIR",
    "BuildError",
    "BuildResult",
    "ReportJob",
    "build",
    "check_parameters",
    "plan",
    *_LOADED_LATER,
]

__getattr__, __dir__ = attach(__name__, (), attributes=_LOADED_LATER)


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


#: Beside the output folder (``reports.failed/``): for each failed report its log
#: (``<report>.log``, full traceback) and executed notebook (``<report>.failed.ipynb``).
FAILED_SUFFIX = ".failed"


def check_parameters(job: ReportJob) -> None:
    """Refuse parameters the notebook's cell tagged ``parameters`` does not define
    (papermill would only warn; the report would silently ignore them)."""
    from papermill.inspection import inspect_notebook

    try:
        defined = set(inspect_notebook(str(job.notebook)))
    except Exception as exc:  # papermill's parser: any failure is the notebook's
        raise BuildError(
            f"{job.notebook.name}: die Parameterzelle ist nicht lesbar / the parameters cell "
            f"cannot be read: {type(exc).__name__}: {exc}"
        ) from None
    unknown = sorted(set(job.parameters) - defined)
    if unknown:
        where = (
            f"definiert nur / defines only {', '.join(sorted(defined))}"
            if defined
            else "hat keine Zelle mit dem Tag „parameters“ / has no cell tagged 'parameters'"
        )
        raise BuildError(
            f"Bericht {job.relative_path.as_posix()}: {job.notebook.name} kennt die Parameter "
            f"{', '.join(unknown)} nicht / does not define the parameters {', '.join(unknown)} "
            f"that the build passes; the notebook {where}. Nothing was executed."
        )


def _failed_cell(notebook: Any) -> str:
    """Which cell failed: its number in the executed notebook and its first line."""
    for number, cell in enumerate(notebook.cells, start=1):
        if cell.cell_type == "code" and any(
            o.get("output_type") == "error" for o in cell.get("outputs", [])
        ):
            lines = [line.strip() for line in cell.source.splitlines() if line.strip()]
            first = lines[0] if lines else ""
            first = first if len(first) <= 80 else first[:79] + "…"
            return f"Zelle / cell {number} ({first!r})"
    return "Zelle unbekannt / cell unknown"


def _log_failure(job: ReportJob, failure: ReportFailed, logs: Path) -> tuple[Path, Path]:
    """Write the full traceback and the failed, executed notebook under ``logs``
    (never inside the published folder); return both paths."""
    import nbformat

    try:
        logs.mkdir(parents=True, exist_ok=True)
        if not outdir.is_ours(logs):
            raise OSError(f"{logs} is not welcome-eval's")
        outdir.write_marker(logs, [], command="build (Fehlerprotokolle / failure logs)")
    except OSError:
        logs = Path(tempfile.mkdtemp(prefix="welcome-eval-failed-"))
    log = logs / (job.relative_path.as_posix() + ".log")
    executed = logs / (job.relative_path.as_posix() + FAILED_SUFFIX + ".ipynb")
    log.parent.mkdir(parents=True, exist_ok=True)
    log.write_text(
        f"Bericht / report: {job.relative_path.as_posix()}\n"
        f"Notebook: {job.notebook.name}\n"
        f"Parameter: {json.dumps(job.parameters, ensure_ascii=False, default=str)}\n"
        f"{_failed_cell(failure.notebook)}\n\n"
        f"{failure.traceback}\n",
        encoding="utf-8",
    )
    nbformat.write(failure.notebook, str(executed))
    return log, executed


def _build_one(job: ReportJob, staging: Path, kernel: ReportKernel, logs: Path) -> None:
    from welcome_eval.build.kernel import ReportFailed, short_message
    from welcome_eval.build.render import render_editions

    target = staging / job.relative_path
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        notebook = kernel.execute(job.notebook, job.parameters, cwd=target.parent)
    except ReportFailed as failure:
        log, executed = _log_failure(job, failure, logs)
        raise BuildError(
            f"Bericht {job.relative_path.as_posix()} ({job.notebook.name}) konnte nicht "
            f"erstellt werden / could not be built: {_failed_cell(failure.notebook)}: "
            f"{failure.ename}: {short_message(failure.evalue)}\n"
            f"Ausgeführtes Notebook / executed notebook: {executed}\n"
            f"Vollständige Meldung / full traceback: {log}"
        ) from None
    render_editions(notebook, job, staging)


#: The pages every build writes besides the reports (index pages, examples).
PAGES = ("index.html", f"{RESEARCH_DIR}/index.html", "beispiele/index.html")


def _pages_key(everything: list[ReportJob], context: KeyContext) -> str:
    """Key of the index pages and the page of examples: the plan as the index shows it,
    the code that renders them, everything :func:`common_key` covers, the build date."""
    graph = context.graph
    code = graph.key(graph.closure([f"{PACKAGE}.build.index"]))
    listing = [
        (
            job.kind,
            job.relative_path.as_posix(),
            job.title,
            job.demo,
            job.manifest.to_json() if job.manifest else None,
            job.municipality,
        )
        for job in everything
    ]
    # The index shows the build date (today unless SOURCE_DATE_EPOCH fixes it).
    day = os.environ.get("SOURCE_DATE_EPOCH") or dt.date.today().isoformat()
    text = json.dumps([context.common, code, listing, day], sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _pages_entry(out_dir: Path) -> str:
    return hashlib.sha256(str(out_dir).encode()).hexdigest()[:32]


def _reuse_pages(store: Store, key: str, out_dir: Path, staging: Path) -> bool:
    """Copy the index pages and the page of examples if their key is unchanged and the
    published files are still the ones written with it."""
    entry = store.get("pages", _pages_entry(out_dir))
    if not isinstance(entry, dict) or entry.get("key") != key:
        return False
    files = entry.get("files")
    if not isinstance(files, dict) or not {"index.html", f"{RESEARCH_DIR}/index.html"} <= set(
        files
    ):
        return False
    try:
        if any(
            name not in PAGES or _digest(out_dir / name) != digest for name, digest in files.items()
        ):
            return False
    except OSError:
        return False
    for name in files:
        (staging / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(out_dir / name, staging / name)
    return True


def _write_pages(everything: list[ReportJob], staging: Path) -> None:
    from welcome_eval.build.index import render_index, write_catalogue

    demo = any(job.demo for job in everything)
    catalogue = write_catalogue(staging, demo)
    (staging / "index.html").write_text(
        render_index(everything, catalogue=catalogue), encoding="utf-8"
    )
    (staging / RESEARCH_DIR).mkdir(exist_ok=True)
    (staging / RESEARCH_DIR / "index.html").write_text(
        render_index(everything, research=True, catalogue=catalogue), encoding="utf-8"
    )


#: Start order by kind: the programme overview and the regional reports take longest.
_EXPECTED_ORDER = {"programm": 0, "welle": 1, "qualitaet": 2, "gemeinde": 3}


def build(
    data_dir: str | Path | None = None,
    out_dir: str | Path = "reports",
    *,
    progress: bool = True,
    jobs: int | None = None,
    min_n: int = DEFAULT_MIN_N,
    only: Sequence[str] | None = None,
    force: bool = False,
    cache: bool = True,
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
    cache
        Keep what the plan learned from the waves, the parsed imports and the keys of
        the index pages in ``.build-cache/`` beside ``out_dir`` and use them when
        nothing they come from changed (``False``: read and validate every wave,
        render the index pages, as before the cache existed; the pages are the same).
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
            cache=cache,
            started=started,
        )


def _build_locked(
    data_path: Path,
    out_dir: Path,
    *,
    progress: bool,
    jobs: int | None,
    min_n: int,
    only: Sequence[str] | None,
    force: bool,
    cache: bool,
    started: float,
) -> BuildResult:
    restored = recover(out_dir)
    _, foreign = outdir.claim(out_dir, legacy=looks_like_a_build)
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
    store = Store(out_dir, enabled=cache)
    starter = None
    if force or not (out_dir / CACHE_FILE).is_file():
        # Every report will execute: start and warm the kernels while the waves are read.
        from welcome_eval.build.kernel import KernelStarter, sweep_kernel_dirs

        sweep_kernel_dirs()
        starter = KernelStarter(max(1, jobs or min(4, os.cpu_count() or 1)))
    try:
        return _plan_and_build(
            data_path,
            out_dir,
            store=store,
            starter=starter,
            progress=progress,
            jobs=jobs,
            min_n=min_n,
            only=only,
            force=force,
            logs=logs,
            restored=restored,
            started=started,
        )
    finally:
        if starter is not None:
            starter.close()


def _plan_and_build(
    data_path: Path,
    out_dir: Path,
    *,
    store: Store,
    starter: KernelStarter | None,
    progress: bool,
    jobs: int | None,
    min_n: int,
    only: Sequence[str] | None,
    force: bool,
    logs: Path,
    restored: bool,
    started: float,
) -> BuildResult:
    parsed = store.imports()
    known_modules = len(parsed)
    context = common_key(data_path, parsed=parsed)
    everything = plan(
        data_path,
        min_n=min_n,
        notebooks=notebooks_dir(),
        cache=PlanCache(store, context) if store.enabled else None,
    )
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
        completed = [j for j in everything if id(j) not in chosen and not is_published(j, out_dir)]
        chosen |= {id(j) for j in completed}
        planned = [j for j in everything if id(j) in chosen]
    workers = max(1, min(jobs or min(4, os.cpu_count() or 1), len(planned) or 1))
    timings: dict[str, float] = {}
    previous = read_keys(out_dir)
    published = {} if force else previous
    keys = {job.relative_path.as_posix(): job_key(job, context) for job in planned}
    if only is not None:  # the reports not rebuilt keep their keys
        keys = {**previous, **keys}
    pages_key = _pages_key(everything, context)
    if len(context.graph.parsed) != known_modules:
        store.remember_imports(context.graph.parsed)
    staging = staging_dir(out_dir)
    staging.mkdir(parents=True)
    outdir.write_marker(staging, [])
    if only is not None and out_dir.is_dir():
        # keep what is not rebuilt
        shutil.copytree(out_dir, staging, symlinks=True, dirs_exist_ok=True)
    reused: list[ReportJob] = []
    try:
        queue: Queue[ReportJob] = Queue()
        # Long reports first, so that no kernel starts one when the others are done.
        for job in sorted(planned, key=lambda j: _EXPECTED_ORDER.get(j.kind, 9)):
            if reuse(job, keys[job.relative_path.as_posix()], out_dir, staging, published):
                reused.append(job)
            else:
                queue.put(job)
        to_run = list(queue.queue)
        checked: set[tuple[Path, tuple[str, ...]]] = set()
        for job in to_run:  # before any kernel starts
            signature = (job.notebook, tuple(sorted(job.parameters)))
            if signature not in checked:
                check_parameters(job)
                checked.add(signature)
        if to_run:
            _run(queue, to_run, workers, len(reused), progress, staging, logs, timings, starter)
        if not _reuse_pages(store, pages_key, out_dir, staging):
            _write_pages(everything, staging)
        write_keys(staging, keys)
        written = [f for f in outdir.files_in(staging) if not f.startswith(outdir.MARKER)]
        outdir.write_marker(staging, written)
        pages = {name: _digest(staging / name) for name in PAGES if (staging / name).is_file()}
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    publish(staging, out_dir)
    store.put("pages", _pages_entry(out_dir), {"key": pages_key, "files": pages})
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


def _run(
    queue: Queue[ReportJob],
    to_run: list[ReportJob],
    workers: int,
    done: int,
    progress: bool,
    staging: Path,
    logs: Path,
    timings: dict[str, float],
    starter: KernelStarter | None = None,
) -> None:
    """Execute and render the queued reports with ``workers`` kernels (from ``starter``
    when they were started before planning)."""
    from tqdm.auto import tqdm

    from welcome_eval.build.kernel import run_pool, sweep_kernel_dirs

    if starter is None:
        sweep_kernel_dirs()
    bar = tqdm(
        total=len(to_run) + done,
        initial=done,
        desc="Berichte",
        unit="Bericht",
        disable=not progress,
        file=sys.stderr,
    )

    def one(job: ReportJob, kernel: ReportKernel) -> None:
        began = time.perf_counter()
        _build_one(job, staging, kernel, logs)
        timings[job.relative_path.as_posix()] = time.perf_counter() - began
        bar.set_postfix_str(job.relative_path.parent.as_posix(), refresh=False)
        bar.update()

    try:
        run_pool(queue, max(1, min(workers, len(to_run))), one, starter=starter)
    finally:
        bar.close()
