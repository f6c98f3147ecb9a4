"""Waves: a manifest, its raw file, and the validated tidy data read from it.

A wave manifest is a small YAML file (survey, wave id, fieldwork dates, raw
file, format, sha256). :func:`read_wave` reads the raw file in its format,
maps it to the survey's codebook, validates it row by row, pseudonymises the
respondent ids and returns a :class:`Wave`.

A manifest is input from outside, so it is read defensively: without YAML
anchors or aliases, within :mod:`welcome_eval.ingest.limits`, every field checked for
its type (errors name the field), and ``file`` must name a file inside the
manifest's own folder (no absolute path, no ``..``, no symbolic link leading
out). Errors never quote the content of the raw file.
"""

from __future__ import annotations

import codecs
import datetime as dt
import hashlib
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

from welcome_eval._display import Summary, SummaryRepr, date
from welcome_eval._version import __version__
from welcome_eval.errors import WelcomeEvalError
from welcome_eval.ingest.codebook import Codebook
from welcome_eval.ingest.limits import LimitError, check_file_size, limits, load_yaml
from welcome_eval.ingest.pseudonym import pseudonym_key, pseudonymise
from welcome_eval.ingest.readers import (
    FORMATS,
    TOOL_PRESETS,
    FileLimitError,
    format_name,
    read_raw,
)
from welcome_eval.ingest.validation import (
    STATUS_FLAGGED,
    STATUS_QUARANTINED,
    ValidationResult,
    validate,
)

__all__ = [
    "MANIFEST_FIELDS",
    "Manifest",
    "ManifestError",
    "Wave",
    "find_manifests",
    "read_wave",
    "sha256_of",
]


class ManifestError(WelcomeEvalError, ValueError):
    """A wave manifest is malformed or does not match its file."""


def sha256_of(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True, repr=False)
class Manifest(SummaryRepr):
    """What a wave is and where its raw export lies."""

    survey: str
    wave: str
    file: Path
    format: str
    sha256: str | None
    fieldwork_start: dt.date | None
    fieldwork_end: dt.date | None
    title: str
    demo: bool
    path: Path | None
    reader_options: dict[str, Any] = field(default_factory=dict)
    #: File column name -> item id, for survey tools' own variable names.
    columns: dict[str, str] = field(default_factory=dict)
    #: The survey tool that wrote the export (``sosci`` or ``limesurvey``), if any.
    tool: str | None = None
    #: File columns (shell patterns) that are read past without a warning.
    ignore_columns: tuple[str, ...] = ()
    #: Cell texts meaning "no answer" besides an empty cell (``None``: the default
    #: :data:`welcome_eval.ingest.validation.MISSING_VALUES`).
    missing_values: tuple[str, ...] | None = None
    #: A syntax file naming the data file's variables (LimeSurvey's SPSS ``.sps`` or
    #: R ``.R`` export, SoSci's R import script); it lies in the wave folder too.
    syntax: Path | None = None

    def _summary(self) -> Summary:
        period = (
            f"{date(self.fieldwork_start)} bis {date(self.fieldwork_end)}"
            if self.fieldwork_start or self.fieldwork_end
            else "–"
        )
        return Summary(
            "Manifest",
            f"{self.survey} {self.wave}: {self.title}",
            [
                ("Datei", self.file.name),
                ("Format", self.format if self.tool is None else f"{self.format} ({self.tool})"),
                ("Feldzeit", period),
                ("SHA-256", f"{self.sha256[:12]}…" if self.sha256 else "–"),
                ("Demodaten", "ja" if self.demo else "nein"),
            ],
        )

    @property
    def data_dir(self) -> Path | None:
        """The data directory holding ``<survey>/<wave>/manifest.yaml``."""
        return self.path.parent.parent.parent if self.path else None

    @classmethod
    def load(cls, path: str | Path) -> Manifest:
        """Read and check a manifest; :class:`ManifestError` names the file and the field."""
        path = Path(path)
        limit = limits()
        try:
            raw = load_yaml(
                path, what="manifest", max_bytes=limit.max_manifest_bytes, aliases=False
            )
        except LimitError as exc:
            raise ManifestError(str(exc)) from None
        except UnicodeDecodeError:
            raise ManifestError(f"{path}: cannot read manifest: it is not UTF-8 text") from None
        except (OSError, yaml.YAMLError) as exc:
            raise ManifestError(f"{path}: cannot read manifest: {_yaml_reason(exc)}") from None
        if not isinstance(raw, dict):
            raise ManifestError(f"{path}: a manifest must be a YAML mapping (key: value lines)")
        missing = [k for k in ("survey", "wave", "file") if k not in raw]
        if missing:
            raise ManifestError(f"{path}: missing field(s) {', '.join(missing)}")
        field_of = _Fields(path, raw)
        survey = field_of.text("survey", pattern=r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
        wave = field_of.text("wave", numbers=True, pattern=r"\w[\w .-]{0,63}")
        file = _wave_file(path, field_of.text("file"))
        syntax_name = field_of.text("syntax", required=False)
        syntax = _wave_file(path, syntax_name, "syntax") if syntax_name is not None else None
        if syntax is None and file.suffix.lower() == ".sps":
            syntax = file  # SoSci's SPSS download: the syntax holds the data (BEGIN DATA)
        fmt = field_of.text("format", required=False) or file.suffix
        if syntax is not None and format_name(fmt) is None:
            fmt = "csv"  # LimeSurvey's SPSS data file (.dat) is delimited text
        fmt = format_name(fmt) or fmt
        if fmt not in FORMATS:
            raise ManifestError(
                f"{path}: field 'format': format {_short(fmt)} is not one of {', '.join(FORMATS)}"
            )
        sha256 = field_of.text("sha256", required=False, pattern=r"[0-9A-Fa-f]{64}")
        fieldwork = field_of.mapping("fieldwork", keys=("start", "end"))
        options: dict[str, Any] = {}
        encoding = field_of.text("encoding", required=False)
        if encoding is not None:
            try:
                codecs.lookup(encoding)
            except LookupError:
                raise ManifestError(
                    f"{path}: field 'encoding': {_short(encoding)} is not a known encoding "
                    "(e.g. utf-8, cp1252)"
                ) from None
            options["encoding"] = encoding
        # A tab is a delimiter (SoSci's and R's exports), not a control character here.
        delimiter = (
            "\t" if raw.get("delimiter") == "\t" else field_of.text("delimiter", required=False)
        )
        if delimiter is not None:
            if len(delimiter) != 1 or delimiter in '"\r\n':
                raise ManifestError(
                    f"{path}: field 'delimiter' must be one character such as ; or , "
                    f"got {_short(delimiter)}"
                )
            options["delimiter"] = delimiter
        decimal = field_of.text("decimal", required=False)
        if decimal is not None:
            if decimal not in (",", "."):
                raise ManifestError(f"{path}: field 'decimal' must be ',' or '.'")
            options["decimal"] = decimal
        if "sheet" in raw and raw["sheet"] is not None:
            sheet = raw["sheet"]
            if isinstance(sheet, bool) or not isinstance(sheet, str | int):
                raise ManifestError(
                    f"{path}: field 'sheet' must be a sheet name or number, got {_kind(sheet)}"
                )
            options["sheet"] = sheet
        header_row = field_of.integer("header_row", minimum=1, maximum=1000)
        if header_row is not None:
            options["header_row"] = header_row
        columns = field_of.mapping("columns")
        bad = [
            k for k, v in columns.items() if not isinstance(k, str | int) or not isinstance(v, str)
        ]
        if bad:
            raise ManifestError(
                f"{path}: field 'columns' must map file column names to item ids (text)"
            )
        tool = field_of.text("tool", required=False)
        if tool is not None and tool not in TOOL_PRESETS:
            raise ManifestError(
                f"{path}: field 'tool': {_short(tool)} unknown; known tools: "
                f"{', '.join(TOOL_PRESETS)}"
            )
        ignore = field_of.text_list("ignore_columns")
        missing_values = (
            tuple(field_of.text_list("missing_values")) if "missing_values" in raw else None
        )
        title = field_of.text("title", required=False, numbers=True)
        if title is not None and len(title) > limit.max_title_chars:
            raise ManifestError(
                f"{path}: field 'title' has {len(title)} characters, more than the limit "
                f"max_title_chars = {limit.max_title_chars}"
            )
        demo = raw.get("demo", False)
        if not isinstance(demo, bool):
            raise ManifestError(f"{path}: field 'demo' must be true or false, got {_kind(demo)}")
        field_of.integer("codebook_version", minimum=1, maximum=10_000)
        field_of.mapping("generator")
        start = _as_date(fieldwork.get("start"), path, "fieldwork.start")
        end = _as_date(fieldwork.get("end"), path, "fieldwork.end")
        if start and end and end < start:
            raise ManifestError(
                f"{path}: field 'fieldwork.end' ({end}) lies before 'fieldwork.start' ({start})"
            )
        return cls(
            survey=survey,
            wave=wave,
            file=file,
            format=fmt,
            sha256=sha256,
            fieldwork_start=start,
            fieldwork_end=end,
            title=title if title is not None else f"{survey} {wave}",
            demo=demo,
            path=path,
            reader_options=options,
            columns={str(k): str(v) for k, v in columns.items()},
            tool=tool,
            ignore_columns=tuple(ignore),
            missing_values=missing_values,
            syntax=syntax,
        )


#: Fields a manifest may hold (others are ignored).
MANIFEST_FIELDS = (
    "survey",
    "wave",
    "title",
    "fieldwork",
    "file",
    "format",
    "encoding",
    "delimiter",
    "decimal",
    "sheet",
    "header_row",
    "columns",
    "tool",
    "ignore_columns",
    "missing_values",
    "syntax",
    "sha256",
    "demo",
    "codebook_version",
    "generator",
)


def _kind(value: Any) -> str:
    """What a YAML value is, in words, without echoing it in full."""
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, int | float):
        return "a number"
    return f"a {type(value).__name__}"


def _short(value: Any, limit: int = 60) -> str:
    """A value for an error message: printable, quoted, at most ``limit`` characters."""
    text = "".join(c if c.isprintable() else "?" for c in str(value))
    return repr(text if len(text) <= limit else text[: limit - 3] + "...")


def _yaml_reason(exc: BaseException) -> str:
    """A YAML error without the snippet of the file PyYAML quotes."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None)
    if problem:
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        return f"invalid YAML: {problem}{where}"
    return f"invalid YAML: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"


class _Fields:
    """Typed access to a manifest's fields; every error names the field."""

    def __init__(self, path: Path, raw: dict[str, Any]) -> None:
        self.path = path
        self.raw = raw

    def text(
        self, key: str, *, required: bool = True, numbers: bool = False, pattern: str | None = None
    ) -> Any:
        value = self.raw.get(key)
        if value is None:
            if required:
                raise ManifestError(f"{self.path}: field {key!r} is empty")
            return None
        if numbers and isinstance(value, int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ManifestError(f"{self.path}: field {key!r} must be text, got {_kind(value)}")
        if any(not c.isprintable() for c in value):
            raise ManifestError(
                f"{self.path}: field {key!r} holds control characters (line breaks, tabs, "
                "terminal escapes); it must be one line of plain text"
            )
        if pattern is not None and not re.fullmatch(pattern, value):
            raise ManifestError(f"{self.path}: field {key!r}: {_short(value)} is not valid here")
        return value

    def integer(self, key: str, *, minimum: int, maximum: int) -> int | None:
        value = self.raw.get(key)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise ManifestError(
                f"{self.path}: field {key!r} must be a whole number from {minimum} to {maximum}, "
                f"got {_kind(value) if not isinstance(value, int) else value}"
            )
        return value

    def mapping(self, key: str, *, keys: tuple[str, ...] | None = None) -> dict[Any, Any]:
        value = self.raw.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise ManifestError(
                f"{self.path}: field {key!r} must be a mapping"
                + (f" with {' and '.join(keys)}" if keys else "")
                + f", got {_kind(value)}"
            )
        if keys is not None:
            unknown = [k for k in value if k not in keys]
            if unknown:
                raise ManifestError(
                    f"{self.path}: field {key!r} has unknown key(s) "
                    f"{', '.join(_short(k) for k in unknown[:5])}; expected {', '.join(keys)}"
                )
        return value

    def text_list(self, key: str) -> list[str]:
        value = self.raw.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ManifestError(f"{self.path}: field {key!r} must be a list of text")
        return value


def _wave_file(manifest: Path, name: str, key: str = "file") -> Path:
    """The raw file a manifest names; it must lie inside the manifest's folder."""
    folder = manifest.parent.resolve()
    if "\x00" in name or not name.strip():
        raise ManifestError(f"{manifest}: field {key!r} must name a file in the wave folder")
    given = Path(name)
    if given.is_absolute() or name.startswith(("/", "\\")) or re.match(r"[A-Za-z]:", name):
        raise ManifestError(
            f"{manifest}: field {key!r} must be a file name inside the wave folder "
            f"{folder.name}/, not an absolute path"
        )
    if ".." in re.split(r"[/\\]", name):
        raise ManifestError(
            f"{manifest}: field {key!r} must be a file inside the wave folder {folder.name}/; "
            "'..' is not allowed"
        )
    resolved = (folder / given).resolve()
    if not resolved.is_relative_to(folder):
        raise ManifestError(
            f"{manifest}: field {key!r} ({_short(name)}) leads outside the wave folder "
            f"{folder.name}/ (a symbolic link?); copy the file into the folder"
        )
    return resolved


def _as_date(value: Any, path: Path, key: str) -> dt.date | None:
    if value is None or (isinstance(value, dt.date) and not isinstance(value, dt.datetime)):
        return value
    if isinstance(value, dt.datetime):
        return value.date()
    if not isinstance(value, str):
        raise ManifestError(
            f"{path}: field {key!r} must be a date (YYYY-MM-DD), got {_kind(value)}"
        )
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError as exc:
        raise ManifestError(
            f"{path}: field {key!r} must be a date (YYYY-MM-DD), got {_short(value)} ({exc})"
        ) from None


def find_manifests(data_dir: str | Path, survey: str | None = None) -> list[Path]:
    """All wave manifests under ``<data_dir>/<survey>/<wave>/manifest.yaml``, sorted.

    Hidden folders (``.wave-add-*``, where ``wave add`` puts a wave together) are no waves.
    """
    pattern = f"{survey or '*'}/*/manifest.yaml"
    return sorted(p for p in Path(data_dir).glob(pattern) if not p.parent.name.startswith("."))


@dataclass(repr=False)
class Wave(SummaryRepr):
    """One validated wave of a survey.

    Attributes
    ----------
    data
        Accepted rows (including those accepted with a flag), one per
        respondent: ``respondent`` (pseudonym), ``row`` (row in the raw file),
        ``flagged``, then one column per codebook item. Coded answers are
        floats with missing codes turned into NaN.
    missing_codes
        Same rows and coded items as ``data``: the missing code (e.g. -9)
        where the answer was one, NaN elsewhere.
    quarantine
        Rejected rows as they were in the file, with ``row`` and ``reasons``.
    issues
        The validation table: file, row, column, value, rule, severity, message.
    """

    manifest: Manifest
    codebook: Codebook
    data: pd.DataFrame
    missing_codes: pd.DataFrame
    quarantine: pd.DataFrame
    issues: pd.DataFrame
    provenance: dict[str, Any]

    def _summary(self) -> Summary:
        counts = self.provenance.get("counts", {})
        manifest = self.manifest
        return Summary(
            "Wave",
            f"{manifest.survey} {manifest.wave}: {manifest.title}",
            [
                ("Datei", f"{manifest.file.name} ({manifest.format})"),
                (
                    "Feldzeit",
                    f"{date(manifest.fieldwork_start)} bis {date(manifest.fieldwork_end)}",
                ),
                ("Zeilen gelesen", counts.get("read", len(self.data) + len(self.quarantine))),
                ("angenommen", counts.get("accepted", "–")),
                ("angenommen mit Hinweis", counts.get("accepted_with_flags", "–")),
                ("in Quarantäne", counts.get("quarantined", len(self.quarantine))),
                ("Items", f"{len(self.codebook.items)} (Codebuch Version {self.codebook.version})"),
            ],
        )

    @property
    def survey(self) -> str:
        return self.manifest.survey

    @property
    def wave(self) -> str:
        return self.manifest.wave

    @property
    def counts(self) -> dict[str, int]:
        return dict(self.provenance["counts"])

    @property
    def long(self) -> pd.DataFrame:
        """One row per answer to a coded item: respondent, item, value, label, missing code."""
        items = [
            i
            for i in self.codebook.items_of(type=("likert", "rating", "categorical"))
            if i in self.data
        ]
        values = self.data.melt(
            id_vars="respondent", value_vars=items, var_name="item", value_name="value"
        )
        codes = self.missing_codes.assign(respondent=self.data["respondent"]).melt(
            id_vars="respondent", value_vars=items, var_name="item", value_name="missing_code"
        )
        long = values.merge(codes, on=["respondent", "item"], how="left", validate="1:1")
        long["label"] = [
            self.codebook[item].label_for(v if v == v else c)
            for item, v, c in zip(long["item"], long["value"], long["missing_code"], strict=True)
        ]
        return long

    def missing_summary(self) -> pd.DataFrame:
        """Per coded item: valid answers, each missing code, and no answer at all.

        Columns: ``item``, ``item_label``, ``valid``, one column per missing-code
        label (e.g. ``weiß nicht / nicht genutzt``), ``ohne Angabe`` (empty cell),
        ``n`` (accepted respondents).
        """
        rows = []
        for item_id in self.codebook.items_of(type=("likert", "rating", "categorical")):
            item = self.codebook[item_id]
            values = self.data[item_id]
            codes = self.missing_codes[item_id]
            row: dict[str, object] = {
                "item": item_id,
                "item_label": item.short,
                "valid": int(values.notna().sum()),
            }
            for code, label in item.missing_codes.items():
                row[label] = int((codes == code).sum())
            row["ohne Angabe"] = int((values.isna() & codes.isna()).sum())
            row["n"] = len(values)
            rows.append(row)
        return pd.DataFrame(rows).fillna(0)

    def coded(self) -> pd.DataFrame:
        """The accepted answers as codes again, missing codes restored, in codebook order.

        The respondent id column holds the pseudonyms (raw ids never leave ingest).
        """
        frame = self.data.drop(columns=["row", "flagged"]).rename(
            columns={"respondent": self.codebook.respondent_id}
        )
        for item_id in self.missing_codes:
            frame[item_id] = frame[item_id].fillna(self.missing_codes[item_id])
        return frame[[c for c in self.codebook.column_items() if c in frame]]

    def to_excel(self, path: str | Path, *, labels: bool = True) -> Path:
        """Write the accepted answers as an Excel workbook for staff.

        Sheet "Daten" holds one row per respondent with the German answer labels
        (or the codes with ``labels=False``); sheet "Codebuch" the questions and
        value labels. :func:`read_wave` reads such a workbook back.
        """
        from welcome_eval.ingest.writers import xlsx_bytes

        path = Path(path)
        stamp = self.manifest.fieldwork_end or dt.date(2000, 1, 1)
        path.write_bytes(xlsx_bytes(self.coded(), self.codebook, timestamp=stamp, labels=labels))
        return path

    def to_sav(self, path: str | Path) -> Path:
        """Write the accepted answers as an SPSS file with German variable and value labels
        and the codebook's missing codes as user-defined missing values."""
        from welcome_eval.ingest.writers import sav_bytes

        path = Path(path)
        stamp = self.manifest.fieldwork_end or dt.date(2000, 1, 1)
        path.write_bytes(
            sav_bytes(self.coded(), self.codebook, title=self.manifest.title, timestamp=stamp)
        )
        return path

    def write(self, directory: str | Path) -> Path:
        """Write the tidy wave and its validation table into ``directory``, atomically.

        Files: ``data.parquet`` (accepted rows), ``missing_codes.parquet``,
        ``quarantine.parquet`` (rejected rows with reasons), ``validation.parquet``
        and ``validation.csv`` (file, row, column, value, rule, severity, message;
        UTF-8 with BOM and semicolons so Excel opens it, text cells beginning
        with ``= + - @`` neutralised with a leading ``'``). The directory is
        replaced only when everything was written.
        """
        from welcome_eval.ingest.writers import excel_safe_csv

        directory = Path(directory)
        staging = directory.with_name(directory.name + ".writing")
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)
        try:
            self.data.to_parquet(staging / "data.parquet", index=False)
            self.missing_codes.to_parquet(staging / "missing_codes.parquet", index=False)
            self.quarantine.astype("string").to_parquet(staging / "quarantine.parquet", index=False)
            self.issues.to_parquet(staging / "validation.parquet", index=False)
            # For Excel: text from the file (values, column names) cannot become a formula.
            excel_safe_csv(self.issues, staging / "validation.csv")
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        if directory.exists():
            shutil.rmtree(directory)
        staging.rename(directory)
        return directory


def read_wave(manifest_or_path: str | Path | Manifest) -> Wave:
    """Read, validate and pseudonymise one wave.

    Parameters
    ----------
    manifest_or_path
        A :class:`Manifest`, the path of a manifest YAML file, or a directory
        holding ``manifest.yaml``.

    Raises
    ------
    ManifestError
        The manifest is malformed or the file's sha256 differs from it.
    welcome_eval.ingest.readers.ReadError
        The raw file cannot be read.
    welcome_eval.ingest.validation.FileValidationError
        The file as a whole is unusable (no rows, a required column missing).

    Examples
    --------
    >>> from welcome_eval.config import demo_data_dir
    >>> wave = read_wave(demo_data_dir() / "kommunen" / "2018")
    >>> wave.counts["read"] == len(wave.data) + len(wave.quarantine)
    True
    """
    manifest = _manifest(manifest_or_path)
    if not manifest.file.is_file():
        raise ManifestError(
            f"{manifest.path}: field 'file': raw file {_short(manifest.file.name)} not found "
            "in the wave folder"
        )
    try:
        # Before hashing: a file beyond the size limit is not read at all.
        check_file_size(manifest.file, manifest.format)
    except LimitError as exc:
        raise FileLimitError(str(exc)) from None
    actual = sha256_of(manifest.file)
    if manifest.sha256 and manifest.sha256.lower() != actual:
        raise ManifestError(
            f"{manifest.file.name}: sha256 {actual} does not match the manifest "
            f"({manifest.sha256}); the file changed after the manifest was written"
        )
    codebook = Codebook.for_survey(manifest.survey)
    known = codebook.column_items()
    for name, item_id in manifest.columns.items():
        if item_id not in known:
            raise ManifestError(
                f"{manifest.path}: field 'columns': {_short(name)} -> {_short(item_id)}: "
                f"{_short(item_id)} is not an item of the codebook of survey {manifest.survey!r}"
            )
    if manifest.syntax is not None:
        from welcome_eval.ingest.tools import read_with_syntax

        raw = read_with_syntax(manifest.file, manifest.syntax, **manifest.reader_options)
    else:
        raw = read_raw(manifest.file, manifest.format, **manifest.reader_options)
    if manifest.tool == "sosci":
        from welcome_eval.ingest.tools import drop_label_row

        raw = drop_label_row(raw)
    fieldwork = (
        (manifest.fieldwork_start, manifest.fieldwork_end)
        if manifest.fieldwork_start and manifest.fieldwork_end
        else None
    )
    columns, ignore = dict(manifest.columns), list(manifest.ignore_columns)
    choices = None
    if manifest.tool:
        preset = TOOL_PRESETS[manifest.tool]
        ignore += preset["ignore"]
        columns.setdefault(preset["respondent_id"], codebook.respondent_id)
        if codebook.duration:
            columns.setdefault(preset["duration"], codebook.duration)
        choices = preset.get("choices")
    result = validate(
        raw,
        codebook,
        fieldwork=fieldwork,
        wave=manifest.wave,
        columns=columns,
        ignore_columns=ignore,
        choices=choices,
        tool=manifest.tool,
        **(
            {"missing_values": manifest.missing_values}
            if manifest.missing_values is not None
            else {}
        ),
    )
    return _assemble(manifest, codebook, raw.frame, result, raw.detected, actual)


def _manifest(manifest_or_path: str | Path | Manifest) -> Manifest:
    if isinstance(manifest_or_path, Manifest):
        return manifest_or_path
    path = Path(manifest_or_path)
    if path.is_dir():
        path = path / "manifest.yaml"
    if not path.is_file():
        raise ManifestError(f"{path}: manifest not found")
    return Manifest.load(path)


def _assemble(
    manifest: Manifest,
    codebook: Codebook,
    frame: pd.DataFrame,
    result: ValidationResult,
    detected: dict[str, Any],
    sha256: str,
) -> Wave:
    key = pseudonym_key(demo=manifest.demo)
    keep = result.status != STATUS_QUARANTINED
    values = result.values.loc[keep].copy()
    for item_id in codebook.items_of(type="id"):
        if item_id != codebook.respondent_id and item_id in result.column_map:
            # Household and other ids link people; only their pseudonyms go on.
            values[item_id] = pseudonymise(values[item_id], key)
    data = pd.concat(
        [
            pd.DataFrame(
                {
                    "respondent": pseudonymise(values[codebook.respondent_id], key),
                    "row": result.source_rows.loc[keep].astype("int64"),
                    "flagged": result.status.loc[keep] == STATUS_FLAGGED,
                }
            ),
            values.drop(columns=codebook.respondent_id),
        ],
        axis=1,
    ).reset_index(drop=True)
    missing_codes = result.missing_codes.loc[keep].reset_index(drop=True)

    quarantined = result.status == STATUS_QUARANTINED
    reasons = (
        result.issues[result.issues["severity"] == "error"]
        .assign(
            reason=lambda t: t["rule"] + " (" + t["column"].fillna("ganze Zeile").astype(str) + ")"
        )
        .groupby("row")["reason"]
        .agg("; ".join)
    )
    quarantine = frame.loc[quarantined].copy()
    quarantine.insert(0, "row", result.source_rows.loc[quarantined].astype("int64"))
    quarantine["reasons"] = quarantine["row"].map(reasons)
    if codebook.respondent_id in result.column_map:
        # The raw id would identify the respondent; keep only its pseudonym.
        id_column = result.column_map[codebook.respondent_id]
        quarantine[id_column] = pseudonymise(quarantine[id_column], key)
    quarantine = quarantine.reset_index(drop=True)

    counts = result.counts
    provenance = {
        "survey": manifest.survey,
        "wave": manifest.wave,
        "file": manifest.file.name,
        "format": manifest.format,
        "sha256": sha256,
        "detected": detected,
        "column_map": result.column_map,
        "counts": counts,
        "demo": manifest.demo,
        "codebook_version": codebook.version,
        "welcome_eval_version": __version__,
    }
    return Wave(
        manifest=manifest,
        codebook=codebook,
        data=data,
        missing_codes=missing_codes,
        quarantine=quarantine,
        issues=result.issues,
        provenance=provenance,
    )
