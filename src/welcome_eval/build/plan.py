"""Stage 1 of the build, the plan: which reports to build, from which notebook,
with which parameters, written where.

:func:`plan` reads and validates every wave of the data directory (an invalid
wave stops the build before anything is written) and returns one
:class:`ReportJob` per report. The survey-specific constants say which
notebook makes which report. What the plan needs of a wave is a
:class:`PlannedWave`; with a :class:`~welcome_eval.build.cache.PlanCache` a wave
whose manifest, raw file, instruments and ingest code are unchanged is not read
again (nor is the participation record), so planning an unchanged build imports
neither pandas nor the readers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from welcome_eval.config import data_dir as default_data_dir
from welcome_eval.config import notebooks_dir
from welcome_eval.errors import WelcomeEvalError

if TYPE_CHECKING:
    from welcome_eval.build.cache import PlanCache
    from welcome_eval.ingest.wave import Wave

__all__ = [
    "DEFAULT_MIN_N",
    "MUNICIPAL_NOTEBOOK",
    "MUNICIPAL_SURVEY",
    "NOTEBOOK_PATTERN",
    "PROGRAMME_NOTEBOOK",
    "QUALITY_NOTEBOOK",
    "RESEARCH_DIR",
    "BuildError",
    "PlannedWave",
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


@dataclass(frozen=True)
class PlannedWave:
    """What the plan and the index need of a validated wave (read from the wave or
    from the build cache): the manifest's fields and the validation outcome."""

    survey: str
    wave: str
    title: str
    #: The manifest (``<data>/<survey>/<wave>/manifest.yaml``) and the raw file.
    path: Path
    file: Path
    sha256: str
    demo: bool
    fieldwork_start: dt.date | None
    fieldwork_end: dt.date | None
    #: Rows read, accepted, accepted with flags, quarantined (as ``Wave.counts``).
    counts: dict[str, int]
    #: Accepted respondents, and the municipalities they answered for (if the survey has one).
    respondents: int
    municipalities: int | None

    @classmethod
    def of(cls, wave: Wave) -> PlannedWave:
        """The summary of a wave just read."""
        m = wave.manifest
        column = wave.codebook.municipality
        return cls(
            survey=m.survey,
            wave=m.wave,
            title=m.title,
            path=Path(m.path) if m.path else m.file.parent / "manifest.yaml",
            file=m.file,
            sha256=wave.provenance["sha256"],
            demo=m.demo,
            fieldwork_start=m.fieldwork_start,
            fieldwork_end=m.fieldwork_end,
            counts={k: int(v) for k, v in wave.counts.items()},
            respondents=len(wave.data),
            municipalities=int(wave.data[column].nunique()) if column else None,
        )

    def to_json(self) -> dict[str, Any]:
        """The summary without its location (the cache is found by content)."""
        found = asdict(self)
        found["file"] = self.file.name
        del found["path"]
        for key in ("fieldwork_start", "fieldwork_end"):
            found[key] = found[key].isoformat() if found[key] else None
        return found

    @classmethod
    def from_json(cls, data: dict[str, Any], manifest: Path) -> PlannedWave:
        """The summary kept by :meth:`to_json` for the wave of ``manifest``."""
        values = dict(data)
        values["path"] = manifest
        values["file"] = manifest.parent / values["file"]
        for key in ("fieldwork_start", "fieldwork_end"):
            values[key] = dt.date.fromisoformat(values[key]) if values[key] else None
        return cls(**values)


@dataclass
class ReportJob:
    """One report to build: which notebook, with which parameters, written where.

    ``kind`` is ``"welle"`` (regional report of a wave), ``"qualitaet"``
    (data quality and methods of a wave), ``"gemeinde"`` (benchmark report of
    one municipality for one wave) or ``"programm"`` (programme overview).
    ``manifest`` is the report's wave, ``sources`` the manifests of every wave
    it reads.
    """

    kind: str
    notebook: Path
    relative_path: Path
    title: str
    parameters: dict[str, Any]
    inputs: list[tuple[str, str]]
    demo: bool
    manifest: PlannedWave | None = None
    previous: list[PlannedWave] = field(default_factory=list)
    municipality: dict[str, str] | None = None
    sources: list[Path] = field(default_factory=list)


def _inputs(waves: Iterable[PlannedWave]) -> list[tuple[str, str]]:
    return [(w.file.name, w.sha256) for w in waves]


def _read(path: Path, cache: PlanCache | None) -> PlannedWave:
    if cache is not None:
        known = cache.wave(path)
        if known is not None:
            try:
                return PlannedWave.from_json(known, path)
            except (TypeError, ValueError, KeyError):
                pass  # an entry of another layout: read the wave
    from welcome_eval.ingest.wave import read_wave

    try:
        wave = read_wave(path)
    except Exception as exc:  # every reader/validation error becomes one clear message
        raise BuildError(f"Wave {path.parent.name} ({path}) is invalid: {exc}") from exc
    planned = PlannedWave.of(wave)
    if cache is not None:
        files = [wave.manifest.file]
        if wave.manifest.syntax is not None and wave.manifest.syntax != wave.manifest.file:
            files.append(wave.manifest.syntax)
        cache.remember_wave(path, files, planned.to_json())
    return planned


def plan(
    data_dir: str | Path | None = None,
    *,
    min_n: int = DEFAULT_MIN_N,
    notebooks: str | Path | None = None,
    cache: PlanCache | None = None,
) -> list[ReportJob]:
    """Read and validate every wave; return the reports to build.

    Regional and data-quality reports per wave (oldest first), then one
    benchmark report per participating municipality and wave of the
    newcomer survey, then the programme overview — each only if its
    notebook exists in ``notebooks`` (default: the shipped notebooks).
    With ``cache``, waves and the participation record that did not change
    since they were last read successfully are not read again.
    Raises :class:`BuildError` naming the manifest if any wave cannot be read.
    """
    notebooks = Path(notebooks) if notebooks is not None else notebooks_dir()
    directory = Path(data_dir or default_data_dir()).resolve()
    # The layout find_manifests reads, without importing the readers.
    manifests = sorted(directory.glob("*/*/manifest.yaml"))
    if not manifests:
        raise BuildError(
            f"No wave manifests found under {directory} (expected <survey>/<wave>/manifest.yaml)"
        )
    if not isinstance(min_n, int) or min_n < 1:
        raise BuildError(f"min_n must be a positive whole number (e.g. 5), got {min_n!r}")
    waves = [_read(path, cache) for path in manifests]
    common = {"data_dir": str(directory), "min_n": min_n}
    jobs: list[ReportJob] = []
    by_survey: dict[str, list[PlannedWave]] = {}
    quality = notebooks / QUALITY_NOTEBOOK
    for m in waves:
        earlier = by_survey.setdefault(m.survey, [])
        parameters = {
            "manifest": str(m.path),
            "previous_manifests": [str(p.path) for p in earlier],
            **common,
        }
        sources = [p.path for p in [*earlier, m]]
        notebook = notebooks / NOTEBOOK_PATTERN.format(survey=m.survey)
        if notebook.is_file():
            jobs.append(
                ReportJob(
                    "welle",
                    notebook,
                    Path(m.survey) / m.wave / "bericht.html",
                    m.title,
                    parameters,
                    _inputs([*earlier, m]),
                    m.demo,
                    m,
                    list(earlier),
                    sources=sources,
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
                    _inputs([m]),
                    m.demo,
                    m,
                    list(earlier),
                    sources=sources,
                )
            )
        earlier.append(m)
    jobs += _municipal_jobs(directory, waves, common, notebooks, cache)
    programme = notebooks / PROGRAMME_NOTEBOOK
    if programme.is_file():
        jobs.append(
            ReportJob(
                "programm",
                programme,
                Path("programm") / "bericht.html",
                "Die Qualitätsoffensive im Überblick",
                dict(common),
                _inputs(waves),
                any(w.demo for w in waves),
                sources=[w.path for w in waves],
            )
        )
    return jobs


def _members(
    directory: Path, dates: list[dt.date], cache: PlanCache | None
) -> dict[str, list[list[str]]]:
    """The municipalities (AGS, name, district) taking part on each date (ISO)."""
    wanted = sorted({d.isoformat() for d in dates})
    if cache is not None:
        known = cache.members(wanted)
        if known is not None and sorted(known) == wanted:
            return known
    from welcome_eval.analysis.programme import participating_on, participation_record

    try:
        record = participation_record(directory)
    except Exception as exc:
        raise BuildError(f"Municipal reports need the participation record: {exc}") from exc
    members = {}
    for day in wanted:
        rows = record[participating_on(record, dt.date.fromisoformat(day))]
        members[day] = [
            [str(r.ags), str(r.name), str(r.district)] for r in rows.itertuples(index=False)
        ]
    if cache is not None:
        cache.remember_members(members)
    return members


def _municipal_jobs(
    directory: Path,
    waves: list[PlannedWave],
    common: dict[str, Any],
    notebooks: Path,
    cache: PlanCache | None,
) -> list[ReportJob]:
    notebook = notebooks / MUNICIPAL_NOTEBOOK
    if not notebook.is_file():
        return []
    surveyed = [m for m in waves if m.survey == MUNICIPAL_SURVEY]
    if not surveyed:
        return []
    days = {m.path: m.fieldwork_start or dt.date(int(m.wave), 1, 1) for m in surveyed}
    members = _members(directory, list(days.values()), cache)
    jobs = []
    earlier: list[PlannedWave] = []
    others = [m for m in waves if m.survey != MUNICIPAL_SURVEY]
    for m in surveyed:
        # A municipal report reads the other surveys' waves, the municipal survey only up
        # to its own wave (sections.benchmark_report.municipal_survey_note): a later
        # kommunen wave does not change it.
        read = [o for o in others if o.survey != "kommunen" or o.wave <= m.wave]
        for ags, name, district in members[days[m.path].isoformat()]:
            jobs.append(
                ReportJob(
                    "gemeinde",
                    notebook,
                    Path("gemeinden") / ags / f"{m.wave}.html",
                    f"{name}: Bericht {m.wave}",
                    {
                        "manifest": str(m.path),
                        "previous_manifests": [str(p.path) for p in earlier],
                        "ags": ags,
                        **common,
                    },
                    _inputs([*earlier, m, *read]),
                    m.demo,
                    m,
                    list(earlier),
                    {"ags": ags, "name": name, "district": district},
                    sources=[p.path for p in [*earlier, m, *read]],
                )
            )
        earlier.append(m)
    return jobs
