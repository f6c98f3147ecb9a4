"""The report engine: execute report notebooks for every wave, render German HTML.

``build`` finds every wave manifest in the data directory, reads and validates
each wave first (an invalid wave stops the build before anything is written),
executes the survey's report notebook with the wave as parameter, renders a
self-contained HTML page without code, and writes an index. Everything is
built in a fresh directory that replaces the published one only when all
reports succeeded, so a failed build leaves the last good reports in place.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import jinja2
import nbformat
from tqdm.auto import tqdm

from welcome_eval import __version__
from welcome_eval.codebook import Codebook
from welcome_eval.config import data_dir as default_data_dir
from welcome_eval.config import notebooks_dir
from welcome_eval.german_format import date as german_date
from welcome_eval.german_format import integer as german_integer
from welcome_eval.wave import Manifest, Wave, find_manifests, read_wave

TEMPLATES = Path(__file__).resolve().parent / "templates"
#: Report notebook per survey: ``notebooks/<survey>_welle.ipynb``.
NOTEBOOK_PATTERN = "{survey}_welle.ipynb"


class BuildError(RuntimeError):
    """A report could not be built; the message says which wave and why."""


@dataclass
class ReportJob:
    """One report to build: a wave, the earlier waves for trends, the notebook."""

    manifest: Manifest
    previous: list[Manifest]
    notebook: Path
    wave: Wave

    @property
    def relative_path(self) -> Path:
        return Path(self.manifest.survey) / self.manifest.wave / "bericht.html"


@dataclass
class BuildResult:
    out_dir: Path
    index: Path
    reports: list[Path] = field(default_factory=list)
    seconds: float = 0.0


def build_date() -> dt.date:
    """Today, or the date in ``SOURCE_DATE_EPOCH`` for reproducible builds."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), tz=dt.UTC).date()
    return dt.date.today()


def plan(data_dir: str | Path | None = None) -> list[ReportJob]:
    """Read and validate every wave; return the reports to build, oldest wave first.

    Raises :class:`BuildError` naming the manifest if any wave cannot be read.
    """
    directory = Path(data_dir or default_data_dir())
    manifests = find_manifests(directory)
    if not manifests:
        raise BuildError(
            f"No wave manifests found under {directory} (expected <survey>/<wave>/manifest.yaml)"
        )
    jobs: list[ReportJob] = []
    by_survey: dict[str, list[Manifest]] = {}
    for path in manifests:
        try:
            wave = read_wave(path)
        except Exception as exc:  # every reader/validation error becomes one clear message
            raise BuildError(f"Wave {path.parent.name} ({path}) is invalid: {exc}") from exc
        manifest = wave.manifest
        notebook = notebooks_dir() / NOTEBOOK_PATTERN.format(survey=manifest.survey)
        if not notebook.is_file():
            continue  # validated, but this survey has no wave report (e.g. register extracts)
        earlier = by_survey.setdefault(manifest.survey, [])
        jobs.append(ReportJob(manifest, list(earlier), notebook, wave))
        earlier.append(manifest)
    return jobs


def execute_notebook(path: Path, parameters: dict[str, Any], *, cwd: Path) -> nbformat.NotebookNode:
    """Execute a notebook top to bottom with ``parameters`` injected after its
    cell tagged ``parameters`` (papermill's convention)."""
    from jupyter_client.manager import KernelManager
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError
    from papermill.iorw import load_notebook_node
    from papermill.parameterize import parameterize_notebook

    notebook = parameterize_notebook(load_notebook_node(str(path)), parameters)
    for cell in notebook.cells:
        # papermill gives the injected cell a random id; a fixed one keeps builds byte-identical.
        if "injected-parameters" in cell.metadata.get("tags", []):
            cell.id = "injected-parameters"
    # Local sockets instead of TCP: nothing listens on the network during a build.
    with tempfile.TemporaryDirectory(prefix="welcome-eval-kernel-") as sockets:
        kernel = KernelManager(
            kernel_name="python3", transport="ipc", ip=str(Path(sockets) / "kernel")
        )
        client = NotebookClient(
            notebook,
            km=kernel,
            timeout=600,
            kernel_name="python3",
            resources={"metadata": {"path": str(cwd)}},
        )
        try:
            client.execute()
        except CellExecutionError as exc:
            raise BuildError(f"{path.name} failed with parameters {parameters}:\n{exc}") from exc
        finally:
            if kernel.has_kernel:
                kernel.shutdown_kernel(now=True)
    return notebook


def _strip_noise(notebook: nbformat.NotebookNode) -> None:
    """Drop stderr streams (warnings, paths) so they never reach a report."""
    for cell in notebook.cells:
        if cell.cell_type == "code":
            cell.outputs = [
                o
                for o in cell.outputs
                if not (o.get("output_type") == "stream" and o.get("name") == "stderr")
            ]


def render_html(
    notebook: nbformat.NotebookNode,
    *,
    title: str,
    demo: bool,
    inputs: Iterable[tuple[str, str]],
    index_href: str | None = None,
) -> str:
    """Render an executed notebook as a self-contained German HTML page without code."""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(
        template_name="bericht",
        extra_template_basedirs=[str(TEMPLATES)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
    )
    _strip_noise(notebook)
    resources = {
        "welcome": {
            "title": title,
            "demo": demo,
            "version": __version__,
            "build_date": german_date(build_date()),
            "inputs": list(inputs),
            "index_href": index_href,
            "css": (TEMPLATES / "style.css").read_text(encoding="utf-8"),
        }
    }
    body, _ = exporter.from_notebook_node(notebook, resources=resources)
    return body


def _render_index(jobs: list[ReportJob]) -> str:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False, keep_trailing_newline=True
    )
    surveys: dict[str, dict[str, Any]] = {}
    for job in jobs:
        m = job.manifest
        survey = surveys.setdefault(
            m.survey, {"title": Codebook.for_survey(m.survey).title, "reports": []}
        )
        survey["reports"].append(
            {
                "wave": m.wave,
                "title": m.title,
                "href": job.relative_path.as_posix(),
                "fieldwork": f"{german_date(m.fieldwork_start)} – {german_date(m.fieldwork_end)}",
                "respondents": german_integer(len(job.wave.data)),
                "municipalities": job.wave.data[job.wave.codebook.municipality].nunique()
                if job.wave.codebook.municipality
                else "–",
            }
        )
    return env.get_template("index.html.j2").render(
        surveys=list(surveys.values()),
        demo=any(job.manifest.demo for job in jobs),
        build_date=german_date(build_date()),
        version=__version__,
        css=(TEMPLATES / "style.css").read_text(encoding="utf-8"),
    )


def _build_one(job: ReportJob, staging: Path) -> None:
    parameters = {
        "manifest": str(job.manifest.path),
        "previous_manifests": [str(m.path) for m in job.previous],
    }
    target = staging / job.relative_path
    target.parent.mkdir(parents=True, exist_ok=True)
    notebook = execute_notebook(job.notebook, parameters, cwd=target.parent)
    depth = len(job.relative_path.parts) - 1
    html = render_html(
        notebook,
        title=job.manifest.title,
        demo=job.manifest.demo,
        inputs=[
            (m.file.name, job.wave.provenance["sha256"] if m is job.manifest else _sha(m))
            for m in [*job.previous, job.manifest]
        ],
        index_href="../" * depth + "index.html",
    )
    target.write_text(html, encoding="utf-8")


def build(
    data_dir: str | Path | None = None,
    out_dir: str | Path = "reports",
    *,
    progress: bool = True,
    jobs: int | None = None,
) -> BuildResult:
    """Build every report and the index into ``out_dir``, replacing it atomically.

    Parameters
    ----------
    data_dir
        Directory with ``<survey>/<wave>/manifest.yaml`` (default: the
        ``WELCOME_EVAL_DATA`` setting, else the shipped demo data).
    out_dir
        Where the published reports live; built next to it and swapped in.
    progress
        Show a progress bar on standard error.
    jobs
        Reports executed at the same time, each in its own kernel (default:
        the number of CPU cores, at most 4). The output does not depend on it.
    """
    started = time.perf_counter()
    out_dir = Path(out_dir).resolve()
    planned = plan(data_dir)
    workers = max(1, jobs or min(4, os.cpu_count() or 1))
    staging = out_dir.with_name(out_dir.name + ".building")
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir(parents=True)
    try:
        bar = tqdm(
            total=len(planned),
            desc="Berichte",
            unit="Bericht",
            disable=not progress,
            file=sys.stderr,
        )
        # Kernels are separate processes: threads only wait for them and render.
        with ThreadPoolExecutor(max_workers=workers) as pool:
            running = {pool.submit(_build_one, job, staging): job for job in planned}
            for done in as_completed(running):
                done.result()
                job = running[done]
                bar.set_postfix_str(f"{job.manifest.survey} {job.manifest.wave}")
                bar.update()
        bar.close()
        (staging / "index.html").write_text(_render_index(planned), encoding="utf-8")
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    _publish(staging, out_dir)
    return BuildResult(
        out_dir=out_dir,
        index=out_dir / "index.html",
        reports=[out_dir / job.relative_path for job in planned],
        seconds=time.perf_counter() - started,
    )


def _sha(manifest: Manifest) -> str:
    from welcome_eval.wave import sha256_of

    return sha256_of(manifest.file)


def _publish(staging: Path, out_dir: Path) -> None:
    """Swap the freshly built directory in place of the published one."""
    retired = out_dir.with_name(out_dir.name + ".previous")
    if retired.exists():
        shutil.rmtree(retired)
    if out_dir.exists():
        out_dir.rename(retired)
    staging.rename(out_dir)
    if retired.exists():
        shutil.rmtree(retired)
