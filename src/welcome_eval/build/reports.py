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

import fnmatch
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

import nbformat
from tqdm.auto import tqdm

from welcome_eval.build import outdir
from welcome_eval.build.cache import CACHE_FILE, common_key, job_key, read_keys, reuse, write_keys
from welcome_eval.build.index import render_index, write_catalogue
from welcome_eval.build.kernel import (
    KERNEL_DIR_PREFIX,
    ReportFailed,
    ReportKernel,
    execute_notebook,
    plain_message,
    run_pool,
    short_message,
    sweep_kernel_dirs,
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
from welcome_eval.build.render import TEMPLATES, build_date, render_editions, render_html
from welcome_eval.config import data_dir as default_data_dir

# Looked up here by every build (not in build.plan), so that a caller can point
# the build at other notebooks by replacing ``reports.notebooks_dir`` (the tests do).
from welcome_eval.config import notebooks_dir

__all__ = [
    "CACHE_FILE",
    "DEFAULT_MIN_N",
    "FAILED_SUFFIX",
    "KERNEL_DIR_PREFIX",
    "MUNICIPAL_NOTEBOOK",
    "MUNICIPAL_SURVEY",
    "NOTEBOOK_PATTERN",
    "PROGRAMME_NOTEBOOK",
    "QUALITY_NOTEBOOK",
    "RESEARCH_DIR",
    "TEMPLATES",
    "BuildError",
    "BuildResult",
    "ReportFailed",
    "ReportJob",
    "ReportKernel",
    "build",
    "build_date",
    "execute_notebook",
    "plain_message",
    "plan",
    "render_html",
    "sweep_kernel_dirs",
]


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
            f"erstellt werden / could not be built: {failure.ename}: "
            f"{short_message(failure.evalue)}\n"
            f"Vollständige Meldung und ausgeführtes Notebook / full traceback and executed "
            f"notebook: {log}"
        ) from None
    render_editions(notebook, job, staging)


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
    restored = recover(out_dir)
    sweep_kernel_dirs()
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
    everything = plan(data_path, min_n=min_n, notebooks=notebooks_dir())
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
    staging = staging_dir(out_dir)
    staging.mkdir(parents=True)
    outdir.write_marker(staging, [])
    if only is not None and out_dir.is_dir():
        # keep what is not rebuilt
        shutil.copytree(out_dir, staging, symlinks=True, dirs_exist_ok=True)
    timings: dict[str, float] = {}
    previous = read_keys(out_dir)
    published = {} if force else previous
    common = common_key(data_path)
    keys = {job.relative_path.as_posix(): job_key(job, common) for job in planned}
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
            if reuse(job, keys[job.relative_path.as_posix()], out_dir, staging, published):
                reused.append(job)
                bar.update()
            else:
                queue.put(job)
        workers = max(1, min(workers, queue.qsize()))

        def one(job: ReportJob, kernel: ReportKernel) -> None:
            began = time.perf_counter()
            _build_one(job, staging, kernel, logs)
            timings[job.relative_path.as_posix()] = time.perf_counter() - began
            bar.set_postfix_str(job.relative_path.parent.as_posix(), refresh=False)
            bar.update()

        run_pool(queue, workers, one)
        bar.close()
        demo = any(job.demo for job in everything)
        catalogue = write_catalogue(staging, demo)
        (staging / "index.html").write_text(
            render_index(everything, catalogue=catalogue), encoding="utf-8"
        )
        (staging / RESEARCH_DIR).mkdir(exist_ok=True)
        write_keys(staging, keys)
        (staging / RESEARCH_DIR / "index.html").write_text(
            render_index(everything, research=True, catalogue=catalogue), encoding="utf-8"
        )
        written = [f for f in outdir.files_in(staging) if not f.startswith(outdir.MARKER)]
        outdir.write_marker(staging, written)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    publish(staging, out_dir)
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
