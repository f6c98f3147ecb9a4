"""Readers: raw exports as municipalities and survey tools produce them.

Each reader returns a :class:`RawTable`: the cells as read (text for CSV,
Python objects for XLSX and SPSS), the row number a person would look up in
the file, and what was detected (encoding, delimiter, value labels), which
goes into the wave's provenance. Mapping to the codebook, parsing of values
and validation happen later, in :mod:`welcome_eval.validation`.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

#: Encodings tried in this order when a CSV file does not declare one.
CSV_ENCODINGS = ("utf-8-sig", "cp1252")
CSV_DELIMITERS = ";,\t|"
FORMATS = ("csv", "xlsx", "sav", "parquet")


#: What survey tools add to their exports: technical columns to ignore (shell
#: patterns) and the names they give the respondent id and the duration.
TOOL_PRESETS: dict[str, dict[str, Any]] = {
    "sosci": {
        "ignore": [
            "SERIAL", "REF", "QUESTNNR", "MODE", "STARTED", "LASTDATA", "FINISHED",
            "Q_VIEWER", "LASTPAGE", "MAXPAGE", "MISSING", "MISSREL", "TIME_RSI",
            "DEG_TIME", "TIME[0-9][0-9][0-9]",
        ],
        "respondent_id": "CASE",
        "duration": "TIME_SUM",
        # SoSci codes multiple-choice options 2 = chosen, 1 = not chosen.
        "choices": (("2",), ("1", "")),
    },
    "limesurvey": {
        "ignore": [
            "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp",
            "refurl", "ipaddr", "*Time", "groupTime*",
        ],
        "respondent_id": "id",
        "duration": "interviewtime",
    },
}  # fmt: skip


class ReadError(ValueError):
    """A file cannot be read at all; the message names the file and the reason."""


@dataclass
class RawTable:
    """Cells of one raw export before mapping to a codebook."""

    frame: pd.DataFrame
    #: Row number as a person finds it in the file: the spreadsheet/CSV row
    #: (header = row 1) or, for SPSS, the case number.
    source_rows: pd.Series
    path: Path
    format: str
    detected: dict[str, Any] = field(default_factory=dict)
    #: Value labels found in the file (SPSS), per column.
    value_labels: dict[str, dict[float, str]] = field(default_factory=dict)


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("csv", "txt", "tsv"):
        return "csv"
    if suffix in ("xlsx", "xlsm"):
        return "xlsx"
    if suffix in ("sav", "zsav"):
        return "sav"
    if suffix in ("parquet", "pq"):
        return "parquet"
    raise ReadError(
        f"{path}: unknown file type {path.suffix!r}; expected one of .csv, .xlsx, .sav, .parquet"
    )


def read_raw(path: str | Path, format: str | None = None, **options: Any) -> RawTable:
    """Read a raw export in CSV, XLSX or SPSS format.

    ``options`` override detection: ``encoding`` and ``delimiter`` for CSV,
    ``sheet`` for XLSX.
    """
    path = Path(path)
    if not path.is_file():
        raise ReadError(f"{path}: file not found")
    if path.stat().st_size == 0:
        raise ReadError(f"{path}: the file is empty")
    format = format or detect_format(path)
    if format == "csv":
        table = read_csv(path, encoding=options.get("encoding"), delimiter=options.get("delimiter"))
        if options.get("decimal"):
            table.detected["decimal"] = options["decimal"]
        return table
    if format == "xlsx":
        return read_xlsx(path, sheet=options.get("sheet"), header_row=options.get("header_row"))
    if format == "sav":
        return read_sav(path)
    if format == "parquet":
        return read_parquet(path)
    raise ReadError(f"{path}: unsupported format {format!r}; expected one of {', '.join(FORMATS)}")


def _decode(path: Path, data: bytes, encoding: str | None) -> tuple[str, str]:
    if encoding:
        try:
            return data.decode(encoding), encoding
        except (UnicodeDecodeError, LookupError) as exc:
            raise ReadError(f"{path}: cannot decode as {encoding}: {exc}") from exc
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 with byte-order mark, as some survey tools' "Excel" exports are.
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise ReadError(f"{path}: cannot decode as UTF-16: {exc}") from exc
    for candidate in CSV_ENCODINGS:
        try:
            text = data.decode(candidate)
        except UnicodeDecodeError:
            continue
        if candidate == "utf-8-sig":
            return text, "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
        return text, candidate
    raise ReadError(f"{path}: cannot decode as UTF-8 or cp1252")  # pragma: no cover


def read_csv(
    path: str | Path, *, encoding: str | None = None, delimiter: str | None = None
) -> RawTable:
    """Read a CSV export (German Excel or tool export); every cell stays text."""
    path = Path(path)
    text, used_encoding = _decode(path, path.read_bytes(), encoding)
    if not text.strip():
        raise ReadError(f"{path}: the file is empty")
    if delimiter is None:
        sample = text[:20000]
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
        except csv.Error:
            header = sample.splitlines()[0]
            delimiter = max(CSV_DELIMITERS, key=header.count)
    frame = _parse_csv_text(path, text, delimiter)
    frame.columns = [str(c).strip() for c in frame.columns]
    # Spreadsheet row of each record: header is row 1. Records with embedded
    # line breaks still count as one row, as Excel shows them.
    rows = pd.Series(range(2, len(frame) + 2), index=frame.index, name="row")
    return RawTable(
        frame=frame,
        source_rows=rows,
        path=path,
        format="csv",
        detected={"encoding": used_encoding, "delimiter": delimiter},
    )


def _parse_csv_text(path: Path, text: str, delimiter: str) -> pd.DataFrame:
    """Every cell as text. Arrow's multi-threaded parser; pandas for what it rejects."""
    import pyarrow as pa
    import pyarrow.csv as pa_csv

    header = next(csv.reader(io.StringIO(text[:65536]), delimiter=delimiter), [])
    if len(set(header)) == len(header) and all(header):
        try:
            table = pa_csv.read_csv(
                io.BytesIO(text.encode("utf-8")),
                parse_options=pa_csv.ParseOptions(delimiter=delimiter, newlines_in_values=True),
                convert_options=pa_csv.ConvertOptions(
                    column_types=dict.fromkeys(header, pa.string()),
                    strings_can_be_null=False,
                    quoted_strings_can_be_null=False,
                ),
            )
            return table.to_pandas(types_mapper={pa.string(): pd.StringDtype("pyarrow")}.get)
        except pa.ArrowInvalid:
            pass  # pandas gives the clearer message (or copes with ragged rows)
    try:
        return pd.read_csv(
            io.StringIO(text),
            sep=delimiter,
            dtype=str,
            keep_default_na=False,
            skip_blank_lines=True,
        )
    except (pd.errors.ParserError, ValueError) as exc:
        raise ReadError(f"{path}: not a readable CSV file ({exc})") from exc


def _header_row(grid: pd.DataFrame, scan: int = 30) -> int:
    """Position of the header row: the first row that is (nearly) as wide as the widest
    of the first rows and holds only text. Title lines above a table are skipped."""
    head = grid.head(scan)
    filled = head.notna().sum(axis=1)
    if filled.empty or filled.max() == 0:
        return 0
    for position, (count, (_, row)) in enumerate(zip(filled, head.iterrows(), strict=True)):
        cells = row.dropna()
        if count >= max(2, 0.8 * filled.max()) and all(isinstance(c, str) for c in cells):
            return position
    return 0


def read_xlsx(
    path: str | Path, *, sheet: str | int | None = None, header_row: int | None = None
) -> RawTable:
    """Read the first (or a named) sheet of an Excel workbook.

    The header row is found automatically when title lines stand above the
    table (or given as ``header_row``, counted from 1 as Excel does); empty
    rows and columns around the table are dropped.
    """
    path = Path(path)
    try:
        grid = pd.read_excel(
            path,
            sheet_name=sheet if sheet is not None else 0,
            dtype=object,
            header=None,
            engine="openpyxl",
        )
    except (ValueError, KeyError, OSError) as exc:
        raise ReadError(f"{path}: not a readable Excel workbook ({exc})") from exc
    except Exception as exc:  # openpyxl raises zipfile/XML errors of many kinds
        raise ReadError(
            f"{path}: not a readable Excel workbook ({type(exc).__name__}: {exc})"
        ) from exc
    grid = grid.dropna(how="all", axis=1)
    if grid.dropna(how="all").empty:
        raise ReadError(f"{path}: the sheet is empty")
    position = header_row - 1 if header_row else _header_row(grid)
    header = [
        f"Spalte {number}" if value is None or value != value else str(value).strip()
        for number, value in enumerate(grid.iloc[position], start=1)
    ]
    frame = grid.iloc[position + 1 :].copy()
    frame.columns = header
    frame = frame.dropna(how="all")
    # Excel rows count from 1; pandas positions from 0.
    rows = pd.Series(frame.index + 1, index=frame.index, name="row")
    frame = frame.reset_index(drop=True)
    rows.index = frame.index
    return RawTable(
        frame=frame,
        source_rows=rows,
        path=path,
        format="xlsx",
        detected={"sheet": sheet if sheet is not None else 0, "header_row": position + 1},
    )


def read_parquet(path: str | Path) -> RawTable:
    """Read a Parquet file (large register extracts); typed columns are kept as they are."""
    import pyarrow as pa

    path = Path(path)
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise ReadError(f"{path}: not a readable Parquet file ({exc})") from exc
    frame = frame.reset_index(drop=True)
    frame.columns = [str(c).strip() for c in frame.columns]
    # Parquet has no header line: the row is the record number, counted from 1.
    rows = pd.Series(range(1, len(frame) + 1), index=frame.index, name="row")
    return RawTable(frame=frame, source_rows=rows, path=path, format="parquet")


def read_sav(path: str | Path) -> RawTable:
    """Read an SPSS file keeping user-defined missing values and value labels."""
    import pyreadstat

    path = Path(path)
    try:
        frame, meta = pyreadstat.read_sav(str(path), user_missing=True)
    except Exception as exc:  # pyreadstat raises its own ReadstatError and others
        raise ReadError(f"{path}: not a readable SPSS file ({type(exc).__name__}: {exc})") from exc
    rows = pd.Series(range(1, len(frame) + 1), index=frame.index, name="row")
    return RawTable(
        frame=frame,
        source_rows=rows,
        path=path,
        format="sav",
        detected={"encoding": meta.file_encoding, "file_label": meta.file_label},
        value_labels={k: dict(v) for k, v in meta.variable_value_labels.items()},
    )
