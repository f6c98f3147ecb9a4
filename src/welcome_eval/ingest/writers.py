"""Writers: waves as the files staff and survey tools exchange.

German-Excel CSV (semicolon, cp1252, dd.mm.yyyy), Excel workbooks and SPSS
files with German variable and value labels and user-defined missing values.
All writers take a *coded* frame: one column per codebook item, answers as
codes with missing codes as they were given (see :func:`coded_frame`), and
produce the same bytes for the same input (timestamps are fixed).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import tempfile
import zipfile
from pathlib import Path

import pandas as pd

from welcome_eval.ingest.codebook import Codebook, Item
from welcome_eval.ingest.readers import neutralise_formula

__all__ = ["csv_bytes", "excel_safe_csv", "sav_bytes", "write_export", "xlsx_bytes"]

_ZIP_DATE = (1980, 1, 1, 0, 0, 0)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _is_missing(value: object) -> bool:
    return (
        value is None
        or value is pd.NA
        or value is pd.NaT
        or (isinstance(value, float) and value != value)
    )


def _items(frame: pd.DataFrame, codebook: Codebook) -> list[Item]:
    """The item behind each column; a multiple-choice option becomes a 0/1 item of its own."""
    columns = codebook.column_items()
    unknown = [c for c in frame.columns if c not in columns]
    if unknown:
        raise KeyError(f"columns {unknown} are not items of codebook {codebook.survey!r}")
    items = []
    for column in frame.columns:
        item, code = columns[column]
        if code is not None:
            item = Item(
                id=column,
                type="categorical",
                label=f"{item.label} – {item.values[code]}",
                short=item.values[code],
                values={0: "nicht genannt", 1: "genannt"},
            )
        items.append(item)
    return items


def _plain_number(value: float) -> str:
    """German decimal without thousands separator, as Excel writes it into CSV."""
    if float(value).is_integer():
        return str(int(value))
    return f"{float(value):.6f}".rstrip("0").replace(".", ",")


def csv_bytes(
    frame: pd.DataFrame, codebook: Codebook, *, encoding: str = "cp1252", delimiter: str = ";"
) -> bytes:
    """German Excel CSV: semicolons, cp1252, CRLF, dd.mm.yyyy, empty cell = no answer.

    Text cells that Excel would run as a formula (beginning with ``= + - @``,
    tab or carriage return) are written with a leading ``'`` (OWASP); the
    readers remove it again, so a wave reads back as it was written. Numbers,
    also negative missing codes, are written as they are.
    """
    items = _items(frame, codebook)
    buffer = io.StringIO(newline="")
    writer = csv.writer(
        buffer, delimiter=delimiter, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n"
    )
    writer.writerow([neutralise_formula(str(c)) for c in frame.columns])
    for record in frame.itertuples(index=False, name=None):
        cells = []
        for item, value in zip(items, record, strict=True):
            if _is_missing(value):
                cells.append("")
            elif item.type == "date":
                cells.append(pd.Timestamp(value).strftime("%d.%m.%Y"))
            elif item.is_coded or item.type == "number":
                cells.append(_plain_number(value))
            else:
                cells.append(neutralise_formula(str(value)))
        writer.writerow(cells)
    return buffer.getvalue().encode(encoding)


def excel_safe_csv(frame: pd.DataFrame, path: str | Path, *, encoding: str = "utf-8-sig") -> Path:
    """Write any table as a CSV for Excel (semicolons), every text cell formula-safe.

    Used for tables that carry text from the data, e.g. the validation table
    with the file's values: a cell ``=cmd|' /C calc'!A0`` is written as
    ``'=cmd|' /C calc'!A0``. Numeric columns are written as they are.
    """
    path = Path(path)
    safe = frame.copy()
    for column in safe.columns:
        if pd.api.types.is_numeric_dtype(safe[column]) or pd.api.types.is_bool_dtype(safe[column]):
            continue
        safe[column] = [v if _is_missing(v) else neutralise_formula(str(v)) for v in safe[column]]
    safe.columns = [neutralise_formula(str(c)) for c in safe.columns]
    safe.to_csv(path, sep=";", index=False, encoding=encoding)
    return path


def xlsx_bytes(
    frame: pd.DataFrame, codebook: Codebook, *, timestamp: dt.date, labels: bool = False
) -> bytes:
    """An Excel workbook: sheet "Daten" and a sheet "Codebuch" with the German wording.

    With ``labels=True`` coded answers are written as their German labels
    (what staff want to read); otherwise as codes.
    """
    from openpyxl import Workbook
    from openpyxl.xml.functions import tostring

    items = _items(frame, codebook)
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Daten"
    sheet.append(list(frame.columns))
    for row_number, record in enumerate(frame.itertuples(index=False, name=None), start=2):
        for col_number, (item, value) in enumerate(zip(items, record, strict=True), start=1):
            if _is_missing(value):
                continue
            cell = sheet.cell(row=row_number, column=col_number)
            if item.type == "date":
                cell.value = pd.Timestamp(value).to_pydatetime()
                cell.number_format = "DD.MM.YYYY"
            elif item.is_coded:
                cell.value = item.label_for(value) if labels else int(value)
            elif item.type == "id" and isinstance(value, int | float) and float(value).is_integer():
                cell.value = int(value)
            elif item.type == "number":
                cell.value = int(value) if float(value).is_integer() else float(value)
            else:
                cell.value = str(value)
                if cell.value.startswith("="):
                    cell.data_type = "s"  # an answer, never a formula
                if item.type in ("id", "municipality"):
                    cell.number_format = "@"  # text, so leading zeros survive
    guide = workbook.create_sheet("Codebuch")
    guide.append(["Variable", "Frage", "Code", "Bedeutung"])
    for item in items:
        guide.append([item.id, item.label, None, None])
        for code, label in {**item.values, **item.missing_codes}.items():
            guide.append([None, None, code, label])
    stamp = dt.datetime.combine(timestamp, dt.time())
    workbook.properties.created = stamp
    workbook.properties.modified = stamp
    workbook.properties.creator = "welcome_eval"
    workbook.properties.lastModifiedBy = None
    raw = io.BytesIO()
    workbook.save(raw)
    # openpyxl stamps "modified" with the current time while saving: write it again.
    workbook.properties.modified = stamp
    core = tostring(workbook.properties.to_tree())
    return _normalise_zip(raw.getvalue(), {"docProps/core.xml": core})


def _normalise_zip(data: bytes, replace: dict[str, bytes] | None = None) -> bytes:
    """Rewrite a zip archive with fixed entry timestamps, keeping order and compression."""
    replace = replace or {}
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as source,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=_ZIP_DATE)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.create_system = 0
            entry.external_attr = 0o600 << 16
            content = replace.get(info.filename)
            target.writestr(entry, source.read(info.filename) if content is None else content)
    return out.getvalue()


def sav_bytes(frame: pd.DataFrame, codebook: Codebook, *, title: str, timestamp: dt.date) -> bytes:
    """SPSS file with German variable and value labels and user-missing values."""
    import pyreadstat

    items = _items(frame, codebook)
    data: dict[str, pd.Series] = {}
    variable_labels: dict[str, str] = {}
    value_labels: dict[str, dict[float, str]] = {}
    missing: dict[str, list[float]] = {}
    measure: dict[str, str] = {}
    formats: dict[str, str] = {}
    for item in items:
        column = frame[item.id]
        variable_labels[item.id] = item.label
        if item.type == "id" and pd.api.types.is_numeric_dtype(column):
            data[item.id] = column.astype("float64")
            formats[item.id] = "F8.0"
            measure[item.id] = "nominal"
        elif item.type in ("id", "municipality", "text", "wave"):
            data[item.id] = pd.Series(
                ["" if _is_missing(v) else str(v) for v in column], dtype=object
            )
            measure[item.id] = "nominal"
        elif item.type == "date" and column.map(_is_missing).all():
            # No date at all: pyreadstat would write an empty object column as a string.
            data[item.id] = pd.Series(float("nan"), index=range(len(column)), dtype="float64")
            formats[item.id] = "EDATE10"
            measure[item.id] = "scale"
        elif item.type == "date":
            data[item.id] = pd.Series(
                [None if _is_missing(v) else pd.Timestamp(v).date() for v in column], dtype=object
            )
            formats[item.id] = "EDATE10"  # dd.mm.yyyy
            measure[item.id] = "scale"
        elif item.type == "number":
            data[item.id] = pd.to_numeric(column).astype("float64")
            measure[item.id] = "scale"
            if item.missing_codes:
                codes = item.missing_codes
                value_labels[item.id] = {float(code): codes[code] for code in sorted(codes)}
                answers = set(data[item.id].dropna()) - {float(c) for c in codes}
                missing[item.id] = _missing_spec(sorted(codes), sorted(answers))
        else:
            data[item.id] = pd.to_numeric(column).astype("float64")
            codes = {**item.values, **item.missing_codes}
            value_labels[item.id] = {float(code): codes[code] for code in sorted(codes)}
            # Codes that are no answer of the item are missing codes: the codebook's and
            # those the raw file declared (SPSS user-missing values the codebook lacks).
            valid = set(item.valid_codes)
            present = {float(v) for v in data[item.id].dropna() if float(v) not in valid}
            codes_missing = sorted({float(c) for c in item.missing_codes} | present)
            if codes_missing:
                missing[item.id] = _missing_spec(codes_missing, sorted(valid))
            formats[item.id] = "F3.0"
            measure[item.id] = {"categorical": "nominal", "likert": "ordinal"}.get(
                item.type, "scale"
            )
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "export.sav"
        pyreadstat.write_sav(
            pd.DataFrame(data),
            path,
            file_label=title,
            column_labels=variable_labels,
            variable_value_labels=value_labels,
            missing_ranges=missing,
            variable_measure=measure,
            variable_format=formats,
        )
        raw = bytearray(path.read_bytes())
    # The header carries the writing time (9 bytes date at 92, 8 bytes time at 101).
    header = bytes(raw[92:109])
    if not re.fullmatch(rb"[ \d]\d \w{3} \d\d\d\d:\d\d:\d\d", header):
        raise RuntimeError(f"Unexpected SPSS header timestamp {header!r}; pyreadstat changed?")
    date = f"{timestamp.day:02d} {_MONTHS[timestamp.month - 1]} {timestamp:%y}"
    raw[92:109] = (date + "00:00:00").encode("ascii")
    return bytes(raw)


def _missing_spec(codes: list[float], valid: list[int]) -> list[float | dict[str, float]]:
    """User-missing values as SPSS holds them: up to three discrete values, or one range
    and one discrete value (the range must not cover a valid code)."""
    codes = [float(c) for c in codes]
    if len(codes) <= 3:
        return codes
    for span, single in ((codes[:-1], [codes[-1]]), (codes[1:], [codes[0]]), (codes, [])):
        if not any(span[0] <= v <= span[-1] for v in valid):
            return [{"lo": span[0], "hi": span[-1]}, *single]
    raise ValueError(
        f"missing codes {codes} cannot be declared in an SPSS file (at most three values, "
        "or one range without valid codes and one value)"
    )


def write_export(
    frame: pd.DataFrame,
    codebook: Codebook,
    directory: str | Path,
    *,
    wave: str,
    title: str,
    fieldwork: tuple[dt.date, dt.date],
    fmt: str,
    encoding: str = "cp1252",
    delimiter: str = ";",
    generator: dict | None = None,
) -> Path:
    """Write a wave as a raw export (``<survey>_<wave>.<fmt>``) plus its ``manifest.yaml``.

    The manifest records survey, wave, title, fieldwork, file, format (and for
    CSV encoding and delimiter), the file's sha256, ``demo: true``, the codebook
    version and ``generator`` (what made the file). Returns the manifest path.
    """
    import yaml

    from welcome_eval.ingest.wave import sha256_of

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{codebook.survey}_{wave}.{fmt}"
    if fmt == "csv":
        content = csv_bytes(frame, codebook, encoding=encoding, delimiter=delimiter)
    elif fmt == "xlsx":
        content = xlsx_bytes(frame, codebook, timestamp=fieldwork[1])
    elif fmt == "sav":
        content = sav_bytes(frame, codebook, title=title, timestamp=fieldwork[1])
    else:
        raise ValueError(f"format {fmt!r} is not one of csv, xlsx, sav")
    path.write_bytes(content)
    manifest: dict = {
        "survey": codebook.survey,
        "wave": wave,
        "title": title,
        "fieldwork": {"start": fieldwork[0], "end": fieldwork[1]},
        "file": path.name,
        "format": fmt,
    }
    if fmt == "csv":
        manifest.update({"encoding": encoding, "delimiter": delimiter})
    manifest.update(
        {
            "sha256": sha256_of(path),
            "demo": True,
            "codebook_version": codebook.version,
            "generator": generator or {},
        }
    )
    manifest_path = directory / "manifest.yaml"
    text = yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True)
    manifest_path.write_bytes(text.encode("utf-8"))
    return manifest_path
