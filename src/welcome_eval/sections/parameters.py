"""The report notebooks' parameters, checked and resolved before anything is computed.

``welcome-eval build`` fills each notebook's cell tagged ``parameters`` with complete,
valid values. A researcher sets them by hand in JupyterLab or with papermill
(``papermill kommunen_welle.ipynb out.ipynb -p manifest 2019``), so the first code cell
after the parameters calls :func:`check_parameters`, which

* finds the wave: ``None`` (the newest wave of the survey), a wave id (``2019``, also as
  a number), a wave folder or its ``manifest.yaml``;
* finds the earlier waves when only ``manifest`` is given: the waves of the same survey
  in the same data folder that sort before it, exactly as the build passes them;
* turns a municipality key given as a number (papermill reads ``-p ags 05958012`` as
  ``5958012``) or a name into the 8-digit AGS and checks that the municipality took part
  in the programme when the wave started;
* refuses anything else with a :class:`ParameterError` naming the parameter, the value
  and what is valid, instead of a ``KeyError`` deep inside pandas.

:func:`show_lab_notice` then tells the researcher what the notebook is about to report
(and that it runs on demo data); that output is marked :data:`LAB_ONLY` and left out of
the published reports (:func:`is_lab_only`), whose page header carries the demo notice.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from welcome_eval.errors import WelcomeEvalError

__all__ = [
    "DEMO_NOTICE",
    "LAB_ONLY",
    "LAB_ONLY_TAG",
    "ParameterError",
    "Parameters",
    "check_parameters",
    "is_lab_only",
    "lab_notice",
    "show_lab_notice",
]

#: Output metadata of what only the researcher sees (JupyterLab, papermill), never a
#: published report.
LAB_ONLY: dict[str, Any] = {"welcome_eval": {"lab_only": True}}
#: Tag of a notebook cell written for the researcher only (the introduction on top).
LAB_ONLY_TAG = "lab-only"

#: The participation record the municipal checks read, as the messages name it.
_RECORD = "programme/teilnahme.csv"
_MANIFEST = "manifest.yaml"


class ParameterError(WelcomeEvalError, ValueError):
    """A report notebook's parameter has a value the report cannot use; the message names
    the parameter, the value and what is valid (German / English)."""


@dataclass(frozen=True)
class Parameters:
    """A report notebook's parameters, resolved.

    ``manifest`` is ``None`` only for the programme overview (it reports no single wave);
    ``ags`` only for the municipal report.
    """

    data_dir: Path
    min_n: int
    manifest: Path | None = None
    previous_manifests: list[Path] = field(default_factory=list)
    ags: str | None = None
    survey: str | None = None
    wave: str | None = None
    previous_waves: list[str] = field(default_factory=list)
    name: str | None = None
    demo: bool = False


def _shown(value: object) -> str:
    return repr(value) if not isinstance(value, Path) else repr(str(value))


def _min_n(value: object) -> int:
    number: object = value
    if isinstance(value, str) and value.strip().isdigit():
        number = int(value.strip())
    if isinstance(number, bool) or not isinstance(number, int) or number < 1:
        raise ParameterError(
            f"min_n = {_shown(value)}: die Mindestzahl muss eine ganze Zahl ab 1 sein "
            f"(üblich: 5) / must be a whole number of at least 1 (default 5)"
        )
    return number


def _data_dir(value: object) -> Path:
    from welcome_eval.config import data_dir as configured_data_dir

    if value is None or value == "":
        return configured_data_dir()
    if not isinstance(value, str | Path):
        raise ParameterError(
            f"data_dir = {_shown(value)}: erwartet wird ein Ordnerpfad (Text) / "
            "expected a folder path (text)"
        )
    folder = Path(value).expanduser()
    if not folder.is_dir():
        raise ParameterError(
            f"data_dir = {_shown(value)}: diesen Ordner gibt es nicht / this folder does not "
            "exist (erwartet / expected: the data folder with <Befragung>/<Welle>/manifest.yaml "
            "and programme/teilnahme.csv)"
        )
    return folder


def _waves_of(survey: str, folder: Path) -> list[Path]:
    from welcome_eval.ingest.wave import find_manifests

    return [p for p in find_manifests(folder, survey) if p.is_file()]


def _no_wave(survey: str, folder: Path) -> ParameterError:
    return ParameterError(
        f"data_dir = {_shown(str(folder))}: keine Welle der Befragung {survey!r} gefunden / "
        f"no wave of the survey {survey!r} found (erwartet / expected: "
        f"{survey}/<Welle>/{_MANIFEST} in this folder)"
    )


def _manifest_path(value: object, survey: str | None, folder: Path) -> Path:
    """The manifest ``value`` names: a path to it or to its wave folder, or a wave id."""
    if isinstance(value, bool) or not isinstance(value, str | Path | int):
        raise ParameterError(
            f"manifest = {_shown(value)}: erwartet wird eine Welle (z. B. 2019) oder der Pfad "
            f"zu ihrer {_MANIFEST} / expected a wave id or the path to its {_MANIFEST}"
        )
    path = Path(str(value)).expanduser()
    if path.is_dir():
        path = path / _MANIFEST
    if path.is_file():
        return path.resolve()
    by_id = folder / survey / str(value).strip() / _MANIFEST if survey else None
    if by_id is not None and isinstance(value, str | int) and by_id.is_file():
        return by_id.resolve()
    if survey:
        waves = [p.parent.name for p in _waves_of(survey, folder)]
        known = f"vorhandene Wellen / waves found: {', '.join(waves)}" if waves else ""
        where = f"in {folder}" if waves else f"keine / none in {folder}"
        raise ParameterError(
            f"manifest = {_shown(value)}: diese Welle der Befragung {survey!r} gibt es nicht / "
            f"no such wave of the survey {survey!r} ({known or where}; erwartet / expected: "
            f"a wave id or the path to {survey}/<Welle>/{_MANIFEST})"
        )
    raise ParameterError(
        f"manifest = {_shown(value)}: diese Datei gibt es nicht / this file does not exist "
        f"(erwartet / expected: the path to <Befragung>/<Welle>/{_MANIFEST})"
    )


def _load(path: Path) -> Any:
    from welcome_eval.ingest.wave import Manifest

    return Manifest.load(path)


def _earlier(path: Path, survey: str) -> list[Path]:
    """The waves of ``survey`` beside ``path`` that sort before it, oldest first: what
    ``welcome-eval build`` passes as ``previous_manifests``."""
    folder = path.parent.parent.parent
    return [p.resolve() for p in _waves_of(survey, folder) if p.resolve() < path]


def _previous(values: object, survey: str, folder: Path) -> list[Path]:
    if isinstance(values, str | Path) or not isinstance(values, Sequence):
        raise ParameterError(
            f"previous_manifests = {_shown(values)}: erwartet wird eine Liste von Manifesten "
            "(leer: die früheren Wellen werden gesucht) / expected a list of manifests "
            "(empty: the earlier waves are found)"
        )
    found = []
    for value in values:
        path = _manifest_path(value, survey, folder)
        other = _load(path).survey
        if other != survey:
            raise ParameterError(
                f"previous_manifests: {_shown(value)} ist eine Welle der Befragung {other!r}, "
                f"nicht {survey!r} / is a wave of another survey"
            )
        found.append(path)
    return found


def _ags_text(value: object) -> str | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and 0 < value < 10**8:
        return f"{value:08d}"
    if isinstance(value, str) and value.strip().isdigit() and len(value.strip()) <= 8:
        return value.strip().zfill(8)
    return None


def _municipality(value: object, record: Any) -> str:
    """The 8-digit key of the municipality ``value`` names (key as text or number, or
    name)."""
    places = record.set_index("ags")["name"]
    ags = _ags_text(value)
    if ags is None and isinstance(value, str):
        named = [a for a, n in places.items() if n.casefold() == value.strip().casefold()]
        ags = named[0] if len(named) == 1 else None
    if ags is None or ags not in places.index:
        example = f"{places.index[0]} für {places.iloc[0]}"
        raise ParameterError(
            f"ags = {_shown(value)} ist keine der {len(places)} Kommunen in Südwestfalen / "
            f"is not one of the {len(places)} municipalities of Südwestfalen (erwartet / "
            f"expected: the 8-digit Gemeindeschlüssel, e.g. {example}, or the name)"
        )
    return str(ags)


def _wave_start(manifest: Any) -> dt.date:
    # The build plans the municipal reports from the same day (build.plan).
    return manifest.fieldwork_start or dt.date(int(manifest.wave), 1, 1)


def _taking_part(ags: str, record: Any, manifest: Any) -> None:
    import pandas as pd

    from welcome_eval.analysis.programme import participating_on
    from welcome_eval.present import german_format as de

    row = record.set_index("ags").loc[ags]
    start = _wave_start(manifest)
    if bool(participating_on(record[record["ags"] == ags], start).iloc[0]):
        return
    name = f"Kommune {row['name']} ({ags})"
    if pd.isna(row["joined"]):
        raise ParameterError(
            f"ags = {ags!r}: {name} ist nicht Teilnehmerin des Programms (laut {_RECORD}) / "
            "does not take part in the programme: für sie gibt es keinen Bericht / no report"
        )
    if row["joined"] > pd.Timestamp(start):
        why = f"ist erst am {de.date(row['joined'])} beigetreten / joined later"
    else:
        why = f"ist am {de.date(row['left'])} ausgetreten / left earlier"
    raise ParameterError(
        f"ags = {ags!r}: {name} nahm zu Beginn der Welle {manifest.wave} "
        f"({de.date(start)}) nicht am Programm teil (laut {_RECORD}): sie {why}"
    )


def check_parameters(
    survey: str | None,
    *,
    manifest: object = None,
    previous_manifests: object = (),
    data_dir: object = None,
    min_n: object = 5,
    ags: object = None,
    municipal: bool = False,
    wave_report: bool = True,
) -> Parameters:
    """A report notebook's parameters, checked and resolved (see the module).

    ``survey`` is the survey the notebook reports (``None``: the survey of ``manifest``,
    for the data-quality report; without a manifest then the municipal survey).
    ``municipal`` checks ``ags`` as well (benchmark report); ``wave_report=False`` (the
    programme overview) resolves only ``data_dir`` and ``min_n``.

    Raises :class:`ParameterError` for a value the report cannot use.
    """
    folder = _data_dir(data_dir)
    threshold = _min_n(min_n)
    if not wave_report:
        from welcome_eval.ingest.wave import find_manifests

        if not (folder / _RECORD).is_file():
            raise ParameterError(
                f"data_dir = {_shown(str(folder))}: hier fehlt {_RECORD} / this folder has no "
                f"{_RECORD} (erwartet / expected: the data folder of the programme)"
            )
        demo = any(_load(p).demo for p in find_manifests(folder))
        return Parameters(data_dir=folder, min_n=threshold, demo=demo)
    if manifest is None or manifest == "":
        wanted = survey or "kommunen"
        found = _waves_of(wanted, folder)
        if not found:
            raise _no_wave(wanted, folder)
        path = found[-1].resolve()
    else:
        path = _manifest_path(manifest, survey, folder)
    if data_dir is None or data_dir == "":
        # A manifest outside the configured data folder brings its own records.
        folder = path.parent.parent.parent
    loaded = _load(path)
    if survey is not None and loaded.survey != survey:
        raise ParameterError(
            f"manifest = {_shown(manifest)} ist eine Welle der Befragung {loaded.survey!r}; "
            f"dieses Notebook berichtet über {survey!r} / is a wave of another survey"
        )
    if previous_manifests is None or (
        isinstance(previous_manifests, Sequence)
        and not isinstance(previous_manifests, str)
        and not len(previous_manifests)
    ):
        previous = _earlier(path, loaded.survey)
    else:
        previous = _previous(previous_manifests, loaded.survey, folder)
    resolved = Parameters(
        data_dir=folder,
        min_n=threshold,
        manifest=path,
        previous_manifests=previous,
        survey=loaded.survey,
        wave=loaded.wave,
        previous_waves=[_load(p).wave for p in previous],
        demo=loaded.demo,
    )
    if not municipal:
        return resolved
    from welcome_eval.analysis.programme import participating_on, participation_record

    record = participation_record(folder)
    if ags is None or ags == "":
        members = record[participating_on(record, _wave_start(loaded))]
        if not len(members):
            raise ParameterError(
                f"manifest = {_shown(manifest)}: zu Beginn der Welle {loaded.wave} nahm keine "
                f"Kommune am Programm teil (laut {_RECORD}) / no municipality took part"
            )
        key = str(members["ags"].iloc[0])
    else:
        key = _municipality(ags, record)
        _taking_part(key, record, loaded)
    name = str(record.set_index("ags").loc[key, "name"])
    return replace(resolved, ags=key, name=name)


_SURVEYS = {
    "kommunen": "Kommunenbefragung",
    "neubuerger": "Neubürgerbefragung",
    "register": "Melderegisterauszug",
    "checkliste": "Checkliste Willkommenskultur",
}

#: The demo notice of the published reports' header (build/templates/bericht), for the
#: researcher in JupyterLab.
DEMO_NOTICE = (
    "**Demodaten:** Dieses Notebook zeigt synthetische Beispieldaten, keine echten "
    "Befragungsergebnisse. Es dient nur zur Vorführung und Prüfung der Auswertung."
)


def lab_notice(parameters: Parameters) -> str:
    """What the notebook is about to report, as Markdown for the researcher (see
    :func:`show_lab_notice`).

    >>> lab_notice(Parameters(data_dir=Path("daten"), min_n=5)).split("* ")[1].split(". ")[0]
    'Daten: `daten`; Mindestzahl 5'
    """
    from welcome_eval.present.markup import md_code, md_escape

    parts = ["*Nur im Notebook sichtbar, nicht im veröffentlichten Bericht.*"]
    if parameters.wave is not None:
        survey = _SURVEYS.get(str(parameters.survey), str(parameters.survey))
        earlier = ", ".join(parameters.previous_waves) or "keine"
        parts.append(
            f"Bericht über die Welle {md_escape(parameters.wave)} der {md_escape(survey)}; "
            f"frühere Wellen im Vergleich: {md_escape(earlier)}."
        )
    if parameters.ags is not None:
        parts.append(f"Kommune: {md_escape(str(parameters.name))} ({parameters.ags}).")
    parts.append(f"Daten: {md_code(str(parameters.data_dir))}; Mindestzahl {parameters.min_n}.")
    parts.append(
        "Verweise auf andere Berichte sind hier nur Text: Sie führen erst im Bericht, den "
        "`welcome-eval build` schreibt, zum Ziel."
    )
    text = " ".join(parts)
    return f"{DEMO_NOTICE}\n\n{text}" if parameters.demo else text


def show_lab_notice(parameters: Parameters) -> None:
    """Show :func:`lab_notice` in the notebook, marked :data:`LAB_ONLY` so that the
    published report leaves it out."""
    from IPython.display import display

    from welcome_eval.present.markup import markdown_html

    markdown = lab_notice(parameters)
    display(
        {"text/markdown": markdown, "text/html": markdown_html(markdown)},
        raw=True,
        metadata=LAB_ONLY,
    )


def is_lab_only(output: Mapping[str, Any]) -> bool:
    """Whether a notebook output was shown for the researcher only (:data:`LAB_ONLY`)."""
    metadata = output.get("metadata") or {}
    return bool((metadata.get("welcome_eval") or {}).get("lab_only"))
