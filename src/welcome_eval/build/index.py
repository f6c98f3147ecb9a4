"""The index pages of a build (agency and researcher edition) and the page of
worked examples (``beispiele/``): every survey with its waves, every
municipality with its reports, the programme overview.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jinja2

from welcome_eval._version import __version__
from welcome_eval.build.plan import ReportJob
from welcome_eval.build.render import TEMPLATES, build_date
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.present import markup
from welcome_eval.present.german_format import date as german_date
from welcome_eval.present.german_format import integer as german_integer

__all__ = ["render_index", "write_catalogue"]


def _index_context(jobs: list[ReportJob]) -> dict[str, Any]:
    surveys: dict[str, dict[str, Any]] = {}
    waves: dict[Path, dict[str, Any]] = {}
    for job in jobs:
        if job.kind not in ("welle", "qualitaet") or job.manifest is None:
            continue
        m = job.manifest
        survey = surveys.setdefault(
            m.survey, {"title": Codebook.for_survey(m.survey).title, "reports": []}
        )
        entry = waves.get(job.relative_path.parent)
        if entry is None:
            entry = waves[job.relative_path.parent] = {
                "wave": m.wave,
                "title": m.title,
                "href": None,
                "quality_href": None,
                "fieldwork": f"{german_date(m.fieldwork_start)} – {german_date(m.fieldwork_end)}"
                if m.fieldwork_start
                else "–",
                "respondents": german_integer(m.respondents),
                "municipalities": "–" if m.municipalities is None else m.municipalities,
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


def render_index(jobs: list[ReportJob], *, research: bool = False, catalogue: bool = False) -> str:
    """The index page of a build (``research``: of the researcher edition)."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True, keep_trailing_newline=True
    )
    env.globals["content_security_policy"] = markup.content_security_policy
    context = _index_context(jobs)
    return env.get_template("index.html.j2").render(
        **context, research=research, catalogue=catalogue
    )


def write_catalogue(staging: Path, demo: bool) -> bool:
    """Write the page of worked examples under ``staging``; whether there is one."""
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
