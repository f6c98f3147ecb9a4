"""Adding a wave with one command: ``welcome-eval wave add FILE --survey S --wave W``.

:func:`propose_wave` looks at a raw export as it came from the survey tool: the
format (from the suffix, or the syntax file that names a header-less data file),
the encoding and delimiter (as the readers detect them), the survey tool
(LimeSurvey's and SoSci's own columns), the fieldwork (from the tool's time
stamps) and the sha256. It matches the file's columns against the survey's
codebook — by item id and alias, by the tool's question codes and heading styles,
and by German question text (the heading itself, the SPSS variable label or
SoSci's label row) — and lists what it could not match.

:func:`add_wave` then writes the file and ``manifest.yaml`` into
``<data>/<survey>/<wave>/`` and validates the wave there. Everything is first
written into a staging folder beside the target and moved into place only when
the wave is readable, so a failed ``wave add`` leaves nothing behind, and an
existing wave is never overwritten.
"""

from __future__ import annotations

import datetime as dt
import difflib
import os
import re
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import yaml

from welcome_eval.errors import WelcomeEvalError
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.ingest.limits import LimitError, check_file_size
from welcome_eval.ingest.readers import (
    TOOL_PRESETS,
    FileLimitError,
    RawTable,
    format_name,
    read_raw,
)

__all__ = [
    "SURVEY_TITLES",
    "AddedWave",
    "ColumnMatch",
    "WaveAddError",
    "WaveProposal",
    "add_wave",
    "detect_tool",
    "find_syntax",
    "propose_wave",
]

#: The short German name of each survey, for the default title ("Kommunenbefragung 2023").
SURVEY_TITLES = {
    "kommunen": "Kommunenbefragung",
    "neubuerger": "Neubürgerbefragung",
    "checkliste": "Checkliste Willkommenskultur",
    "register": "Melderegisterauszug",
}

#: Columns only a survey tool writes (at least two of them name the tool).
_TOOL_SIGNATURES = {
    "sosci": {"case", "serial", "ref", "questnnr", "mode", "started", "lastdata", "time_sum"},
    "limesurvey": {
        "id",
        "submitdate",
        "lastpage",
        "startlanguage",
        "seed",
        "startdate",
        "datestamp",
        "interviewtime",
    },
}
#: The tools' own time stamps of a response, from which the fieldwork is read.
_TIMESTAMP_COLUMNS = {
    "sosci": ("STARTED", "LASTDATA"),
    "limesurvey": ("startdate", "submitdate", "datestamp"),
}
#: Syntax file <-> data file names of the tools' syntax exports.
_SYNTAX_PAIRS = (
    # LimeSurvey: survey_123456_SPSS_syntax_file.sps + survey_123456_SPSS_data_file.dat
    (re.compile(r"(.*)_SPSS_data_file\.dat$", re.I), r"\1_SPSS_syntax_file.sps"),
    # LimeSurvey: survey_123456_R_syntax_file.R + survey_123456_R_data_file.csv
    (re.compile(r"(.*)_R_data_file\.csv$", re.I), r"\1_R_syntax_file.R"),
    # SoSci Survey: import_<project>_<date>.r + rdata_<project>_<date>.csv
    (re.compile(r"rdata_(.*)\.csv$", re.I), r"import_\1.r"),
)
_DATA_OF_SYNTAX = (
    (re.compile(r"(.*)_SPSS_syntax_file\.sps$", re.I), r"\1_SPSS_data_file.dat"),
    (re.compile(r"(.*)_R_syntax_file\.R$", re.I), r"\1_R_data_file.csv"),
    (re.compile(r"import_(.*)\.r$", re.I), r"rdata_\1.csv"),
)
#: A question text this similar (difflib ratio) to a codebook label is proposed, marked for review.
SIMILAR_TEXT_CUTOFF = 0.85
#: What the readers detect that the manifest records.
_MANIFEST_OPTIONS = ("encoding", "delimiter", "sheet", "header_row")
#: A wave id as a manifest accepts it.
_WAVE_PATTERN = re.compile(r"\w[\w .-]{0,63}")
#: File names kept as they are when copied into the wave folder.
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.+-]{0,150}")


class WaveAddError(WelcomeEvalError, ValueError):
    """A wave cannot be added; nothing was written."""


@dataclass(frozen=True)
class ColumnMatch:
    """How one file column was matched to a codebook column."""

    file_column: str
    item: str
    #: ``id`` (item id or alias), ``tool`` (the tool's code or heading),
    #: ``text`` (question text), ``similar`` (similar question text: check it).
    how: str
    #: The text that matched (a heading, variable label or label-row cell).
    text: str | None = None


@dataclass
class WaveProposal:
    """What ``wave add`` found in a file and the manifest it would write."""

    survey: str
    wave: str
    source: Path
    format: str
    syntax: Path | None
    tool: str | None
    sha256: str
    detected: dict[str, Any]
    title: str
    fieldwork: tuple[dt.date | None, dt.date | None]
    #: Where the fieldwork came from (``given``, the tool's time stamps, or None).
    fieldwork_origin: str | None
    matches: list[ColumnMatch]
    #: File columns that match no codebook column (the tool's technical columns excluded).
    unmapped: list[str]
    #: Codebook columns no file column matched: (column, required).
    missing: list[tuple[str, bool]]
    notes: list[str] = field(default_factory=list)

    @property
    def columns(self) -> dict[str, str]:
        """The manifest's ``columns:`` — only the matches the readers do not find alone."""
        return {m.file_column: m.item for m in self.matches if m.how in ("text", "similar")}

    def manifest(self, file_name: str, syntax_name: str | None = None) -> dict[str, Any]:
        """The manifest as a mapping (written as ``manifest.yaml``)."""
        content: dict[str, Any] = {
            "survey": self.survey,
            "wave": self.wave,
            "title": self.title,
        }
        start, end = self.fieldwork
        if start or end:
            content["fieldwork"] = {k: v for k, v in (("start", start), ("end", end)) if v}
        content["file"] = file_name
        if syntax_name:
            content["syntax"] = syntax_name
        content["format"] = self.format
        for key in ("encoding", "delimiter", "sheet", "header_row"):
            if key in self.detected and self.detected[key] is not None:
                if key == "encoding" and self.format in ("sav", "por"):
                    continue  # the file declares its own encoding
                content[key] = self.detected[key]
        if self.tool:
            content["tool"] = self.tool
        if self.columns:
            content["columns"] = dict(self.columns)
        content["sha256"] = self.sha256
        content["demo"] = False
        return content


@dataclass
class AddedWave:
    """A wave ``wave add`` wrote: its proposal, folder and the validated wave."""

    proposal: WaveProposal
    folder: Path
    wave: Any  # welcome_eval.ingest.wave.Wave (imported lazily: wave imports this module's stage)


def detect_tool(columns: Sequence[str]) -> str | None:
    """``sosci`` or ``limesurvey`` when at least two of the tool's own columns are there.

    >>> detect_tool(["CASE", "SERIAL", "QUESTNNR", "ZU01"])
    'sosci'
    >>> detect_tool(["Response ID", "Date submitted", "Last page", "Q1"])
    'limesurvey'
    >>> detect_tool(["lfdn", "ags"]) is None
    True
    """
    from welcome_eval.ingest.tools import LIMESURVEY_FIELD_TEXTS, fold_heading, heading_code

    names = {str(c).strip().casefold() for c in columns}
    names |= {(heading_code(c) or "").casefold() for c in columns}
    names |= {
        LIMESURVEY_FIELD_TEXTS[fold_heading(c)]
        for c in columns
        if fold_heading(c) in LIMESURVEY_FIELD_TEXTS
    }
    hits = {tool: len(names & signature) for tool, signature in _TOOL_SIGNATURES.items()}
    tool, count = max(hits.items(), key=lambda pair: pair[1])
    return tool if count >= 2 else None


def find_syntax(path: Path) -> tuple[Path, Path | None]:
    """The data file and its syntax file, as the tools name them.

    Given either file of LimeSurvey's SPSS (``.sps`` + ``.dat``) or R export
    (``.R`` + ``.csv``) or of SoSci's R export (``import_*.r`` + ``rdata_*.csv``),
    returns ``(data, syntax)``; a SoSci SPSS download (one ``.sps`` holding the
    data) is its own data file. Other files have no syntax (``(path, None)``).
    """
    for pattern, replacement in _DATA_OF_SYNTAX:
        if pattern.fullmatch(path.name):
            data = path.with_name(pattern.sub(replacement, path.name))
            if not data.is_file():
                raise WaveAddError(
                    f"{path.name}: a syntax file; its data file {data.name} is not beside it"
                )
            return data, path
    if path.suffix.lower() == ".sps":
        return path, path  # SoSci's SPSS download: syntax with BEGIN DATA
    for pattern, replacement in _SYNTAX_PAIRS:
        if pattern.fullmatch(path.name):
            syntax = path.with_name(pattern.sub(replacement, path.name))
            if syntax.is_file():
                return path, syntax
            if path.suffix.lower() == ".dat":
                raise WaveAddError(
                    f"{path.name}: a data file without a header; its syntax file "
                    f"{syntax.name} is not beside it"
                )
    if path.suffix.lower() == ".dat":
        raise WaveAddError(
            f"{path.name}: a .dat file has no header; give its SPSS syntax file with --syntax"
        )
    return path, None


def propose_wave(
    path: str | Path,
    survey: str,
    wave: str,
    *,
    title: str | None = None,
    fieldwork: tuple[dt.date | None, dt.date | None] | None = None,
    tool: str | None = "auto",
    syntax: str | Path | None = None,
    codebook: Codebook | None = None,
) -> WaveProposal:
    """Read a raw export and propose its manifest (nothing is written).

    Parameters
    ----------
    path
        The raw export (or, for a syntax export, the data or the syntax file).
    survey, wave
        Which survey (its codebook) and which wave the file is.
    title
        Default: the survey's short German name and the wave ("Kommunenbefragung 2023").
    fieldwork
        First and last day of the fieldwork; default: from the tool's time stamps.
    tool
        ``auto`` (detect), ``limesurvey``, ``sosci`` or None (a plain export).
    syntax
        The syntax file of a header-less data file, if it is not named as the tool names it.
    codebook
        Default: the survey's codebook (``surveys/<survey>/codebook.yaml``).
    """
    from welcome_eval.ingest.wave import sha256_of

    path = Path(path)
    wave = _wave_id(wave)
    codebook = codebook or Codebook.for_survey(survey)
    if not path.is_file():
        raise WaveAddError(f"{path}: file not found")
    if syntax is not None:
        data, syntax_path = path, Path(syntax)
        if not syntax_path.is_file():
            raise WaveAddError(f"{syntax_path}: syntax file not found")
    else:
        data, syntax_path = find_syntax(path)
    fmt = "csv" if syntax_path is not None else format_name(data.suffix)
    if fmt is None:
        raise WaveAddError(
            f"{data.name}: unknown file type {data.suffix[:20]!r}; expected .csv, .txt, .tsv, "
            ".xlsx, .sav, .zsav, .por, .parquet, or a tool's syntax export (.sps, .R + data)"
        )
    try:
        check_file_size(data, fmt)
    except LimitError as exc:
        raise FileLimitError(str(exc)) from None
    raw = _read(data, fmt, syntax_path)
    columns = [str(c) for c in raw.frame.columns]
    if tool == "auto":
        tool = detect_tool(columns)
    elif tool is not None and tool not in TOOL_PRESETS:
        raise WaveAddError(f"tool {tool!r} unknown; known tools: {', '.join(TOOL_PRESETS)}")
    if tool == "sosci":
        from welcome_eval.ingest.tools import drop_label_row

        raw = drop_label_row(raw)
    matches, unmapped = _match_columns(raw, codebook, tool)
    found = {m.item for m in matches}
    missing = [
        (column, item.required)
        for item in codebook
        for column in item.columns
        if column not in found and not item.optional and column != codebook.respondent_id
    ]
    notes: list[str] = []
    if codebook.respondent_id not in found:
        notes.append(
            f"Keine Spalte für die Kennung {codebook.respondent_id!r}: die Zeilen bekommen "
            "eine Zeilenkennung (row-<Zeile>) / no id column: rows get row ids"
        )
    origin = "given" if fieldwork else None
    if not fieldwork or not all(fieldwork):
        stamped = _fieldwork_from_stamps(raw, tool)
        if stamped is not None:
            given = fieldwork or (None, None)
            fieldwork = (given[0] or stamped[0], given[1] or stamped[1])
            origin = "stamps" if origin is None else "given+stamps"
    if not fieldwork or not all(fieldwork):
        notes.append(
            "Feldzeit nicht erkannt: bitte mit --fieldwork START ENDE angeben, sonst werden "
            "Datumsregeln nicht geprüft / fieldwork not found: give --fieldwork START END"
        )
    return WaveProposal(
        survey=survey,
        wave=wave,
        source=path,
        format=fmt,
        syntax=syntax_path if syntax_path not in (None, data) else None,
        tool=tool,
        sha256=sha256_of(data),
        detected={k: v for k, v in raw.detected.items() if k in _MANIFEST_OPTIONS},
        title=title or f"{SURVEY_TITLES.get(survey, codebook.title)} {wave}",
        fieldwork=tuple(fieldwork) if fieldwork else (None, None),
        fieldwork_origin=origin,
        matches=matches,
        unmapped=unmapped,
        missing=missing,
        notes=notes,
    )


def add_wave(
    path: str | Path,
    survey: str,
    wave: str,
    *,
    data_dir: str | Path,
    title: str | None = None,
    fieldwork: tuple[dt.date | None, dt.date | None] | None = None,
    tool: str | None = "auto",
    syntax: str | Path | None = None,
    codebook: Codebook | None = None,
    demo: bool = False,
) -> AddedWave:
    """Copy a raw export into ``<data_dir>/<survey>/<wave>/``, write its manifest and validate it.

    The folder is put together beside its final place and moved there only when
    the wave reads (quarantined rows do not stop it; an unreadable file does).
    Raises :class:`WaveAddError` when the wave exists already or the file cannot
    be read; then nothing is written. ``demo=True`` marks synthetic data (read
    with the demo pseudonym key); real data need ``WELCOME_EVAL_PSEUDONYM_KEY``.

    Examples
    --------
    >>> import tempfile
    >>> from welcome_eval.config import demo_data_dir
    >>> source = demo_data_dir() / "kommunen" / "2018" / "kommunen_2018.csv"
    >>> with tempfile.TemporaryDirectory() as data:
    ...     added = add_wave(source, "kommunen", "2023", data_dir=data,
    ...                      fieldwork=(dt.date(2023, 6, 1), dt.date(2023, 7, 1)), demo=True)
    ...     added.folder.relative_to(data).as_posix(), added.wave.counts["read"] > 0
    ('kommunen/2023', True)
    """
    from welcome_eval.ingest.pseudonym import pseudonym_key
    from welcome_eval.ingest.wave import Manifest, read_wave

    pseudonym_key(demo=demo)  # before anything is read or written
    proposal = propose_wave(
        path,
        survey,
        wave,
        title=title,
        fieldwork=fieldwork,
        tool=tool,
        syntax=syntax,
        codebook=codebook,
    )
    data_dir = Path(data_dir).resolve()
    if not data_dir.is_dir():
        raise WaveAddError(f"{data_dir}: data directory not found")
    target = data_dir / proposal.survey / proposal.wave
    if (target / "manifest.yaml").exists():
        raise WaveAddError(
            f"{target / 'manifest.yaml'}: wave {proposal.wave} of survey {proposal.survey} "
            "exists already; nothing was changed (remove that folder first to replace it)"
        )
    data_file, syntax_file = (
        find_syntax(proposal.source) if syntax is None else (proposal.source, Path(syntax))
    )
    sources = [data_file] + ([syntax_file] if syntax_file and syntax_file != data_file else [])
    names = [_safe_name(p, proposal, i) for i, p in enumerate(sources)]
    content = proposal.manifest(names[0], names[1] if len(names) > 1 else None)
    content["demo"] = demo
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".wave-add-", dir=target.parent))
    try:
        for source, name in zip(sources, names, strict=True):
            shutil.copyfile(source, staging / name)
        (staging / "manifest.yaml").write_text(_manifest_yaml(content), encoding="utf-8")
        validated = read_wave(Manifest.load(staging / "manifest.yaml"))
        if target.exists():
            # A folder without a manifest: the raw file was put there by hand. Only the
            # manifest and files that are not there yet go in; nothing there is replaced.
            clashes = [
                item.name
                for item in staging.iterdir()
                if (target / item.name).exists() and not _same_bytes(item, target / item.name)
            ]
            if clashes:
                raise WaveAddError(
                    f"{target}: holds another file named {clashes[0]}; nothing was changed"
                )
            for item in sorted(staging.iterdir()):
                if not (target / item.name).exists():
                    os.replace(item, target / item.name)
            shutil.rmtree(staging)
        else:
            os.rename(staging, target)
    except BaseException:
        if staging.exists():
            shutil.rmtree(staging)
        raise
    folder = target
    validated = replace(validated, manifest=Manifest.load(target / "manifest.yaml"))
    return AddedWave(proposal=proposal, folder=folder, wave=validated)


# --- helpers ---------------------------------------------------------------------------


def _wave_id(wave: object) -> str:
    text = str(wave).strip()
    if not _WAVE_PATTERN.fullmatch(text):
        raise WaveAddError(
            f"wave {text[:40]!r} is not a wave name (letters, digits, space, '.', '_' and '-', "
            "e.g. 2023)"
        )
    return text


def _read(data: Path, fmt: str, syntax: Path | None) -> RawTable:
    if syntax is not None:
        from welcome_eval.ingest.tools import read_with_syntax

        return read_with_syntax(data, syntax)
    return read_raw(data, fmt)


def _fold(text: object) -> str:
    from welcome_eval.ingest.tools import fold_heading

    return fold_heading(str(text)).strip(" :?.")


def _match_columns(
    raw: RawTable, codebook: Codebook, tool: str | None
) -> tuple[list[ColumnMatch], list[str]]:
    """File columns matched by id/alias/tool code, then by question text; the rest."""
    from welcome_eval.ingest.validation import ignored_column, map_columns

    columns = [str(c) for c in raw.frame.columns]
    preset: dict[str, str] = {}
    if tool:
        preset[TOOL_PRESETS[tool]["respondent_id"]] = codebook.respondent_id
        if codebook.duration:
            preset[TOOL_PRESETS[tool]["duration"]] = codebook.duration
    by_name, _ = map_columns(columns, codebook, tool=None)
    by_tool, unknown = map_columns(columns, codebook, preset, tool=tool)
    named = set(by_name.values())
    matches = [
        ColumnMatch(column, item, "id" if column in named else "tool")
        for item, column in by_tool.items()
    ]
    texts = _codebook_texts(codebook, exclude=set(by_tool))
    labels = raw.column_labels
    unmapped: list[str] = []
    taken = set(by_tool)
    for column in unknown:
        if tool and ignored_column(column, TOOL_PRESETS[tool]["ignore"], tool):
            continue
        match = _match_text(column, labels.get(column), texts, taken)
        if match is None:
            unmapped.append(column)
        else:
            matches.append(match)
            taken.add(match.item)
    order = {c: i for i, c in enumerate(columns)}
    matches.sort(key=lambda m: order.get(m.file_column, 0))
    return matches, unmapped


def _codebook_texts(codebook: Codebook, exclude: set[str]) -> dict[str, str]:
    """Folded question texts (label, short label; per option for multiple choice) -> column."""
    texts: dict[str, str] = {}
    for item in codebook:
        if item.type == "multiple":
            for code, option in item.values.items():
                column = f"{item.id}_{code}"
                if column in exclude:
                    continue
                for question in (item.label, item.short):
                    for joined in (f"{question} [{option}]", f"{question}: {option}"):
                        texts.setdefault(_fold(joined), column)
        elif item.id not in exclude:
            for text in (item.label, item.short):
                texts.setdefault(_fold(text), item.id)
    return texts


def _match_text(
    column: str, label: str | None, texts: dict[str, str], taken: set[str]
) -> ColumnMatch | None:
    from welcome_eval.ingest.tools import heading_code

    candidates = [str(t) for t in (column, label) if t and str(t).strip()]
    # LimeSurvey's "code. text" heading with a code the codebook does not know.
    candidates += [
        t[len(code) :].lstrip(" .:-")
        for t in list(candidates)
        if (code := heading_code(t)) and code != t and t[len(code) :].lstrip(" .:-")
    ]
    # SoSci's label of a text input: "Wunsch: [01]".
    candidates += [
        re.sub(r":\s*\[\d{1,3}\]\s*$", "", t)
        for t in candidates
        if re.search(r":\s*\[\d{1,3}\]\s*$", t)
    ]
    # LimeSurvey's syntax labels put the option first: "[Other] Wie haben Sie ...?".
    candidates += [
        f"{m.group(2)} [{m.group(1)}]"
        for t in candidates
        if (m := re.fullmatch(r"\s*\[([^\]]{1,200})\]\s*(.+)", str(t), re.S))
    ]
    for text in candidates:
        item = texts.get(_fold(text))
        if item is not None and item not in taken:
            return ColumnMatch(column, item, "text", str(text))
    for text in candidates:
        close = difflib.get_close_matches(_fold(text), list(texts), n=1, cutoff=SIMILAR_TEXT_CUTOFF)
        if close and texts[close[0]] not in taken:
            return ColumnMatch(column, texts[close[0]], "similar", str(text))
    return None


def _fieldwork_from_stamps(raw: RawTable, tool: str | None) -> tuple[dt.date, dt.date] | None:
    import pandas as pd

    if tool is None:
        return None
    wanted = {c.casefold() for c in _TIMESTAMP_COLUMNS[tool]}
    from welcome_eval.ingest.tools import LIMESURVEY_FIELD_TEXTS, fold_heading, heading_code

    stamps = []
    for column in raw.frame.columns:
        name = str(column).strip()
        keys = {
            LIMESURVEY_FIELD_TEXTS.get(fold_heading(name), name).casefold(),
            (heading_code(name) or "").casefold(),
        }
        if keys & wanted:
            text = raw.frame[column].astype("string").str.strip()
            parsed = pd.to_datetime(text, errors="coerce", format="ISO8601")
            # LimeSurvey's SPSS export writes day first: '12-06-2025 10:15:31'.
            rest = parsed.isna() & text.notna()
            if rest.any():
                parsed[rest] = pd.to_datetime(
                    text[rest], errors="coerce", format="mixed", dayfirst=True
                )
            stamps.append(parsed.dropna())
    if not stamps:
        return None
    values = pd.concat(stamps)
    if values.empty:
        return None
    return values.min().date(), values.max().date()


def _safe_name(path: Path, proposal: WaveProposal, index: int) -> str:
    if _SAFE_NAME.fullmatch(path.name) and ".." not in path.name:
        return path.name
    suffix = re.sub(r"[^A-Za-z0-9.]", "", path.suffix)[:10] or ".dat"
    stem = re.sub(r"[^A-Za-z0-9_-]", "_", f"{proposal.survey}_{proposal.wave}")
    return f"{stem}{'_syntax' if index else ''}{suffix}"


def _manifest_yaml(content: dict[str, Any]) -> str:
    header = (
        "# Geschrieben von `welcome-eval wave add`; Spaltenzuordnung bitte prüfen.\n"
        "# Written by `welcome-eval wave add`; please review the column mapping.\n"
    )
    return header + yaml.safe_dump(content, allow_unicode=True, sort_keys=False)


def _same_bytes(a: Path, b: Path) -> bool:
    return a.stat().st_size == b.stat().st_size and a.read_bytes() == b.read_bytes()
