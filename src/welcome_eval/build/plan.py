"""Stage 1 of the build, the plan: which reports to build, from which notebook,
with which parameters, written where.

:func:`plan` reads and validates every wave of the data directory (an invalid
wave stops the build before anything is written) and returns one
:class:`ReportJob` per report. The survey-specific constants say which
notebook makes which report.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from welcome_eval.config import data_dir as default_data_dir
from welcome_eval.config import notebooks_dir
from welcome_eval.errors import WelcomeEvalError
from welcome_eval.ingest.wave import Manifest, Wave, find_manifests, read_wave

__all__ = [
    "DEFAULT_MIN_N",
    "MUNICIPAL_NOTEBOOK",
    "MUNICIPAL_SURVEY",
    "NOTEBOOK_PATTERN",
    "PROGRAMME_NOTEBOOK",
    "QUALITY_NOTEBOOK",
    "RESEARCH_DIR",
    "BuildError",
    "ReportJob",
    "plan",
]

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


def _inputs(manifests: Iterable[Manifest], waves: Mapping[Path, Wave]) -> list[tuple[str, str]]:
    return [(m.file.name, waves[m.path].provenance["sha256"]) for m in manifests]


def plan(
    data_dir: str | Path | None = None,
    *,
    min_n: int = DEFAULT_MIN_N,
    notebooks: str | Path | None = None,
) -> list[ReportJob]:
    """Read and validate every wave; return the reports to build.

    Regional and data-quality reports per wave (oldest first), then one
    benchmark report per participating municipality and wave of the
    newcomer survey, then the programme overview — each only if its
    notebook exists in ``notebooks`` (default: the shipped notebooks).
    Raises :class:`BuildError` naming the manifest if any wave cannot be read.
    """
    notebooks = Path(notebooks) if notebooks is not None else notebooks_dir()
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
    quality = notebooks / QUALITY_NOTEBOOK
    for wave in waves.values():
        m = wave.manifest
        earlier = by_survey.setdefault(m.survey, [])
        parameters = {
            "manifest": str(m.path),
            "previous_manifests": [str(p.path) for p in earlier],
            **common,
        }
        inputs = _inputs([*earlier, m], waves)
        notebook = notebooks / NOTEBOOK_PATTERN.format(survey=m.survey)
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
    jobs += _municipal_jobs(directory, waves, common, notebooks)
    programme = notebooks / PROGRAMME_NOTEBOOK
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
    directory: Path, waves: Mapping[Path, Wave], common: dict[str, Any], notebooks: Path
) -> list[ReportJob]:
    notebook = notebooks / MUNICIPAL_NOTEBOOK
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
