"""Readers: raw exports as municipalities and survey tools produce them.

Each reader returns a :class:`RawTable`: the cells as read (text for CSV,
Python objects for XLSX and SPSS), the row number a person would look up in
the file, and what was detected (encoding, delimiter, value labels), which
goes into the wave's provenance. Mapping to the codebook, parsing of values
and validation happen later, in :mod:`welcome_eval.ingest.validation`.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_numeric_dtype

from welcome_eval.errors import WelcomeEvalError
from welcome_eval.ingest.limits import (
    LimitError,
    Limits,
    check_columns,
    check_file_size,
    check_rows,
    check_xlsx_archive,
    human_bytes,
    limits,
)

__all__ = [
    "CSV_DELIMITERS",
    "CSV_ENCODINGS",
    "FORMATS",
    "FORMAT_ALIASES",
    "SPSS_DATETIME_FORMATS",
    "SPSS_DATE_FORMATS",
    "SPSS_ORIGIN",
    "SPSS_TIME_FORMATS",
    "TOOL_PRESETS",
    "FileLimitError",
    "RawTable",
    "ReadError",
    "detect_format",
    "format_name",
    "neutralise_formula",
    "read_csv",
    "read_parquet",
    "read_raw",
    "read_sav",
    "read_xlsx",
    "restore_formula",
    "spss_dates",
]

#: Encodings tried in this order when a CSV file does not declare one.
CSV_ENCODINGS = ("utf-8-sig", "cp1252")
CSV_DELIMITERS = ";,\t|"
FORMATS = ("csv", "xlsx", "sav", "por", "parquet")
#: Other names of the formats, as file suffixes and in manifests.
FORMAT_ALIASES = {"txt": "csv", "tsv": "csv", "xlsm": "xlsx", "zsav": "sav", "pq": "parquet"}


#: What survey tools add to their exports: technical columns to ignore (shell
#: patterns) and the names they give the respondent id and the duration.
TOOL_PRESETS: dict[str, dict[str, Any]] = {
    "sosci": {
        "ignore": [
            "SERIAL", "REF", "QUESTNNR", "MODE", "STARTED", "LASTDATA", "FINISHED",
            "Q_VIEWER", "LASTPAGE", "MAXPAGE", "MISSING", "MISSREL", "TIME_RSI",
            "DEG_TIME", "TIME[0-9][0-9][0-9]", "MAILSENT", "STATUS", "TIME_SUM",
        ],
        "respondent_id": "CASE",
        "duration": "TIME_SUM",
        # SoSci codes multiple-choice options 2 = chosen, 1 = not chosen; its R export
        # declares them logical (TRUE / FALSE).
        "choices": (("2", "TRUE", "T"), ("1", "", "FALSE", "F")),
    },
    "limesurvey": {
        "ignore": [
            "submitdate", "lastpage", "startlanguage", "seed", "startdate", "datestamp",
            "refurl", "ipaddr", "*Time", "groupTime*", "token", "quota_exit", "interviewtime",
            # Participant list fields (personal data) are never read.
            "firstname", "lastname", "email", "attribute_*",
        ],
        "respondent_id": "id",
        "duration": "interviewtime",
    },
}  # fmt: skip


class ReadError(WelcomeEvalError, ValueError):
    """A file cannot be read at all; the message names the file and the reason.

    Messages never quote the file's content (a manifest may point at any
    file); they give line numbers, sizes and counts instead.
    """


class FileLimitError(ReadError, LimitError):
    """A raw file exceeds a limit (size, line, cell, columns, workbook expansion)."""


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
    #: What the reader repaired and the validation table reports: (rule, message).
    notes: list[tuple[str, str]] = field(default_factory=list)
    #: User-missing values the file declares (SPSS), per column, as closed ranges
    #: ``(low, high)``; a discrete missing value v is ``(v, v)``.
    missing_ranges: dict[str, list[tuple[float, float]]] = field(default_factory=dict)
    #: User-missing values of string variables (SPSS), per column. Their cells are read
    #: as missing already (a text cannot be kept as a numeric missing code).
    missing_texts: dict[str, list[str]] = field(default_factory=dict)
    #: Variable labels (question texts) the file or its syntax gives, per column:
    #: SPSS variable labels, a syntax file's labels, SoSci's label row.
    column_labels: dict[str, str] = field(default_factory=dict)


def format_name(name: str) -> str | None:
    """The format a suffix or manifest value names (``zsav`` is ``sav``), or None."""
    name = name.lower().lstrip(".")
    name = FORMAT_ALIASES.get(name, name)
    return name if name in FORMATS else None


def detect_format(path: Path) -> str:
    fmt = format_name(path.suffix)
    if fmt is None:
        raise ReadError(
            f"{path.name}: unknown file type {path.suffix[:20]!r}; expected one of .csv, .xlsx, "
            ".sav, .zsav, .por, .parquet"
        )
    return fmt


def read_raw(path: str | Path, format: str | None = None, **options: Any) -> RawTable:
    """Read a raw export in CSV, XLSX or SPSS format.

    ``options`` override detection: ``encoding`` and ``delimiter`` for CSV,
    ``sheet`` for XLSX.
    """
    path = Path(path)
    if not path.is_file():
        raise ReadError(f"{path.name}: file not found")
    if path.stat().st_size == 0:
        raise ReadError(f"{path.name}: the file is empty (0 bytes)")
    format = (format_name(format) or format) if format else detect_format(path)
    limit = limits()
    try:
        check_file_size(path, format, limit)
    except LimitError as exc:
        raise FileLimitError(str(exc)) from None
    if format == "csv":
        table = read_csv(path, encoding=options.get("encoding"), delimiter=options.get("delimiter"))
        if options.get("decimal"):
            table.detected["decimal"] = options["decimal"]
        return table
    if format == "xlsx":
        return read_xlsx(path, sheet=options.get("sheet"), header_row=options.get("header_row"))
    if format == "sav":
        return read_sav(path, encoding=options.get("encoding"))
    if format == "por":
        return read_sav(path, portable=True)
    if format == "parquet":
        return read_parquet(path)
    raise ReadError(
        f"{path.name}: unsupported format {format!r}; expected one of {', '.join(FORMATS)}"
    )


#: A UTF-8 encoded non-ASCII character (two to four bytes).
_UTF8_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|[\xe0-\xef][\x80-\xbf]{2}|[\xf0-\xf4][\x80-\xbf]{3}"
)
#: Control bytes that no text export contains (tab, line feed, form feed, carriage return excepted).
_CONTROL_BYTES = bytes([*range(0, 9), 11, *range(14, 32), 127])
#: Signatures of files that are not CSV text, and what they are.
_SIGNATURES = (
    (b"PK\x03\x04", "a zip archive (an Excel .xlsx workbook?)"),
    (b"$FL2", "an SPSS .sav file"),
    (b"$FL3", "an SPSS .zsav file"),
    (b"PAR1", "a Parquet file"),
    (b"\xd0\xcf\x11\xe0", "an old Excel .xls or Word file"),
    (b"%PDF", "a PDF document"),
    (b"\x1f\x8b", "a gzip archive"),
)


def _line_of(data: bytes, position: int) -> int:
    """Physical line (from 1) of a byte position."""
    return data.count(b"\n", 0, position) + 1


def _check_binary(path: Path, data: bytes) -> None:
    """Refuse files that are not text: known signatures, all-NUL files, control bytes."""
    for signature, what in _SIGNATURES:
        if data.startswith(signature):
            raise ReadError(f"{path.name}: this is {what}, not a CSV text file; check 'format'")
    if not data.strip(b"\x00"):
        raise ReadError(
            f"{path.name}: the file holds only NUL bytes (0x00, {len(data)} of them) and no "
            "text at all: a damaged or unfinished copy?"
        )
    head = data[: 1 << 16]
    if len(head) >= 8 and head[1::2].count(0) > 0.9 * (len(head) // 2):
        raise ReadError(
            f"{path.name}: looks like UTF-16 text without a byte-order mark; set "
            "'encoding: utf-16-le' in the manifest (or save the file as UTF-8)"
        )
    control = sum(head.count(bytes([b])) for b in _CONTROL_BYTES)
    if control > max(8, len(head) // 100):
        raise ReadError(
            f"{path.name}: not a text file ({control} control bytes in the first "
            f"{human_bytes(len(head))}); a CSV export holds text only"
        )


def _strip_nul(path: Path, data: bytes) -> tuple[bytes, list[tuple[str, str]]]:
    """Remove NUL bytes (0x00) from a text file, with a note naming the lines."""
    if b"\x00" not in data:
        return data, []
    positions = [m.start() for m in re.finditer(b"\x00+", data[: 1 << 26])]
    lines = sorted({_line_of(data, p) for p in positions[:20]})
    count = data.count(b"\x00")
    listed = ", ".join(map(str, lines[:10])) + (", ..." if len(lines) > 10 else "")
    note = (
        "nul_bytes",
        f"{count} NUL byte(s) (0x00) removed, on line(s) {listed}; the file may be damaged",
    )
    return data.replace(b"\x00", b""), [note]


def _check_lines(path: Path, limit: Limits, block_size: int = 8 << 20) -> None:
    """Refuse a physical line longer than ``max_line_bytes`` before the file is read.

    The file is scanned in blocks, so a 200 MB line is refused with the memory
    of one block.
    """
    if path.stat().st_size <= limit.max_line_bytes:
        return
    line, current = 1, 0
    with open(path, "rb") as handle:
        while block := handle.read(block_size):
            codes = np.frombuffer(block, dtype=np.uint8)
            breaks = np.flatnonzero((codes == 10) | (codes == 13))
            if len(breaks) == 0:
                current += len(block)
            else:
                first = current + int(breaks[0])
                inner = np.diff(breaks) - 1
                longest = max(first, int(inner.max()) if len(inner) else 0)
                if longest > limit.max_line_bytes:
                    position = 0 if first == longest else int(breaks[int(inner.argmax())]) + 1
                    at = line + int(np.count_nonzero(codes[:position] == 10))
                    _line_too_long(path, at, longest, limit)
                line += int(np.count_nonzero(codes == 10))
                current = len(block) - int(breaks[-1]) - 1
            if current > limit.max_line_bytes:
                _line_too_long(path, line, current, limit, at_least=True)


def _line_too_long(
    path: Path, line: int, length: int, limit: Limits, *, at_least: bool = False
) -> None:
    size = ("more than " if at_least else "") + human_bytes(length)
    raise FileLimitError(
        f"{path.name}: line {line} has {size}, more than the limit "
        f"max_line_bytes = {human_bytes(limit.max_line_bytes)}"
    )


def _check_mixed(path: Path, data: bytes, encoding: str) -> None:
    """Refuse a file whose lines are partly UTF-8 and partly another encoding.

    Read as one encoding, the other lines come out garbled ("GrÃ¶ÃŸere") and
    would be published so.
    """
    utf8 = _UTF8_MULTIBYTE.search(data)
    if utf8 is None:
        return
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ReadError(
            f"{path.name}: mixed encodings: line {_line_of(data, utf8.start())} is written in "
            f"UTF-8 but line {_line_of(data, exc.start)} is not (Windows cp1252?); read as one "
            "encoding, the other lines would be garbled. Save the file again in one encoding "
            "(UTF-8)"
        ) from None
    raise ReadError(
        f"{path.name}: the manifest says encoding {encoding} but the file is UTF-8 "
        f"(e.g. line {_line_of(data, utf8.start())}); read as {encoding} its umlauts would "
        "be garbled. Set 'encoding: utf-8' in the manifest"
    )


_SINGLE_BYTE = ("cp1252", "windows-1252", "latin-1", "latin1", "iso-8859-1", "iso-8859-15")


def _decode(path: Path, data: bytes, encoding: str | None) -> tuple[str, str]:
    if encoding:
        if encoding.lower().replace("_", "-") in _SINGLE_BYTE:
            _check_mixed(path, data, encoding)
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError as exc:
            raise ReadError(
                f"{path.name}: line {_line_of(data, exc.start)} cannot be decoded as "
                f"{encoding} ({exc.reason}, byte 0x{data[exc.start]:02x})"
            ) from None
        except LookupError:
            raise ReadError(f"{path.name}: unknown encoding {encoding!r}") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        # UTF-16 with byte-order mark, as some survey tools' "Excel" exports are.
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError as exc:
            raise ReadError(f"{path.name}: cannot decode as UTF-16 ({exc.reason})") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    else:
        return text, "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    _check_mixed(path, data, "cp1252")
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError as exc:
        raise ReadError(
            f"{path.name}: line {_line_of(data, exc.start)} cannot be decoded as UTF-8 or "
            f"cp1252 (byte 0x{data[exc.start]:02x}); is it a text file?"
        ) from None


def read_csv(
    path: str | Path, *, encoding: str | None = None, delimiter: str | None = None
) -> RawTable:
    """Read a CSV export (German Excel or tool export); every cell stays text.

    Before parsing, the file is checked against the limits (size, longest
    line), for binary content and for mixed encodings; NUL bytes are removed
    with a note. Quotes are checked so that an unclosed quote cannot merge
    the rest of the file into one cell.
    """
    path = Path(path)
    limit = limits()
    try:
        check_file_size(path, "csv", limit)
    except LimitError as exc:
        raise FileLimitError(str(exc)) from None
    _check_lines(path, limit)
    data = path.read_bytes()
    notes: list[tuple[str, str]] = []
    wide = (encoding or "").lower().replace("_", "-").startswith(("utf-16", "utf-32"))
    if not wide and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        _check_binary(path, data)
        data, notes = _strip_nul(path, data)
    text, used_encoding = _decode(path, data, encoding)
    if not text.strip():
        raise ReadError(f"{path.name}: the file is empty (only blank lines)")
    if delimiter is None:
        sample = text[:20000]
        try:
            delimiter = csv.Sniffer().sniff(sample, delimiters=CSV_DELIMITERS).delimiter
        except csv.Error:
            header = sample.splitlines()[0]
            delimiter = max(CSV_DELIMITERS, key=header.count)
    header = next(csv.reader(io.StringIO(text[:65536]), delimiter=delimiter), [])
    try:
        check_columns(path.name, len(header), limit)
    except LimitError as exc:
        raise FileLimitError(str(exc)) from None
    _check_duplicate_names(path, header)
    if '"' in text:
        _check_quotes(path, text, delimiter, len(header))
    frame = _clean_columns(_parse_csv_text(path, text, delimiter))
    _check_cells(path, frame, limit, header_rows=1)
    frame = _unescape_formulas(frame)
    if header and header[0] == "":
        frame, notes = _drop_row_names(frame, notes)
    # Spreadsheet row of each record: header is row 1. Records with embedded
    # line breaks still count as one row, as Excel shows them.
    rows = pd.Series(range(2, len(frame) + 2), index=frame.index, name="row")
    return RawTable(
        frame=frame,
        source_rows=rows,
        path=path,
        format="csv",
        detected={"encoding": used_encoding, "delimiter": delimiter},
        notes=notes,
    )


def _drop_row_names(
    frame: pd.DataFrame, notes: list[tuple[str, str]]
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """R's ``write.csv`` writes the row names as a first column with an empty heading;
    when it holds 1, 2, 3, ... it is not data."""
    first = frame.columns[0]
    numbers = [str(n) for n in range(1, len(frame) + 1)]
    if frame[first].astype("string").str.strip().tolist() != numbers:
        return frame, notes
    note = (
        "row_names",
        "the first column has no heading and numbers the rows 1, 2, 3, … (R's write.csv "
        "row names); it was not read",
    )
    return frame.drop(columns=first), [*notes, note]


def _check_quotes(path: Path, text: str, delimiter: str, columns: int) -> None:
    """Every quote closed, no quoted cell swallowing records.

    Raises :class:`ReadError` naming the line where the offending record (and
    its quote) begins.
    """
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, strict=True)
    start = 1
    # A line inside a quoted cell holding this many delimiters is a record swallowed by it.
    swallowed = max(3, columns - 1)
    try:
        for record in reader:
            end = reader.line_num
            if end > start:
                for cell in record:
                    if "\n" not in cell and "\r" not in cell:
                        continue
                    inner = cell.splitlines()[1:]
                    records = sum(1 for line in inner if line.count(delimiter) >= swallowed)
                    if records:
                        raise ReadError(
                            f'{path.name}: line {start}: a quote (") opened in this record runs '
                            f"to line {end} and swallows {records} line(s) that look like "
                            "records of their own; a quote is probably not closed. Those rows "
                            "would be lost, so the file is not read"
                        )
            start = end + 1
    except csv.Error as exc:
        if "end of data" in str(exc) or "EOF" in str(exc):
            last = text.count("\n") + (0 if text.endswith("\n") else 1)
            raise ReadError(
                f'{path.name}: line {start}: a quote (") opened in the record starting here is '
                f"never closed; it would swallow the rest of the file (lines {start}-{last}) "
                "into one cell"
            ) from None
        if reader.line_num > start:
            raise ReadError(
                f'{path.name}: line {start}: a quote (") opened in the record starting here is '
                f"not closed where it should be; the record runs on to line {reader.line_num}, "
                f"where the quoting breaks ({exc}). Those lines would be merged into one row"
            ) from None
        raise ReadError(f"{path.name}: line {start}: malformed quoting ({exc})") from None


def _check_cells(path: Path, frame: pd.DataFrame, limit: Limits, header_rows: int) -> None:
    """No cell longer than ``max_cell_chars``; names row and column, never the content."""
    try:
        check_columns(path.name, frame.shape[1], limit)
        check_rows(path.name, frame.shape[0], limit)
    except LimitError as exc:
        raise FileLimitError(str(exc)) from None
    for column in frame.columns:
        cells = frame[column]
        if not (cells.dtype == object or isinstance(cells.dtype, pd.StringDtype)):
            continue
        lengths = cells.astype("string").str.len()
        longest = lengths.max(skipna=True) if len(lengths) else None
        if longest is not None and pd.notna(longest) and longest > limit.max_cell_chars:
            position = int(lengths.to_numpy(dtype="float64", na_value=0).argmax())
            raise FileLimitError(
                f"{path.name}: row {position + header_rows + 1}, column {_column_name(column)}: "
                f"the cell has {int(lengths.iloc[position])} characters, more than the limit "
                f"max_cell_chars = {limit.max_cell_chars}"
            )


def _strip_nul_cells(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Remove NUL characters from text cells (typed files), with a note naming the rows."""
    rows: set[int] = set()
    count = 0
    for column in frame.columns:
        cells = frame[column]
        if not (cells.dtype == object or isinstance(cells.dtype, pd.StringDtype)):
            continue
        text = cells.astype("string")
        has = text.str.contains("\x00", regex=False).fillna(False).astype(bool)
        if has.any():
            count += int(text[has].str.count("\x00").sum())
            rows |= {int(i) + 1 for i in np.flatnonzero(has.to_numpy())}
            frame[column] = cells.where(~has, text.str.replace("\x00", "", regex=False))
    if not count:
        return frame, []
    listed = ", ".join(map(str, sorted(rows)[:10])) + (", ..." if len(rows) > 10 else "")
    return frame, [("nul_bytes", f"{count} NUL character(s) removed, in row(s) {listed}")]


def _check_duplicate_names(path: Path, header: list[str]) -> None:
    """Two columns with the same name: which one holds the answers is anybody's guess."""
    seen: dict[str, int] = {}
    for number, name in enumerate(header, start=1):
        key = str(name).strip()
        if not key:
            continue
        if key in seen:
            raise ReadError(
                f"{path.name}: column {_column_name(key)} appears twice in the header (columns "
                f"{seen[key]} and {number}); rename or remove one"
            )
        seen[key] = number


def _clean_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Column names as one line of printable text (no terminal escapes, no line breaks)."""
    names = [str(c).strip() for c in frame.columns]
    frame.columns = ["".join(ch if ch.isprintable() else "?" for ch in n) for n in names]
    return frame


def _column_name(name: object) -> str:
    text = "".join(c if c.isprintable() else "?" for c in str(name))
    return repr(text if len(text) <= 40 else text[:37] + "...")


#: A cell the project's CSV writers prefixed with ' so Excel does not run it as a formula.
_ESCAPED = re.compile(r"'+[=+\-@\t\r]")
_TRIGGER = re.compile(r"'*[=+\-@\t\r]")
_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def neutralise_formula(text: str) -> str:
    """OWASP: a text cell that Excel would read as a formula gets a leading ``'``.

    Cells beginning with ``= + - @``, tab or carriage return are prefixed;
    plain numbers such as ``-9`` are left alone. Cells already beginning with
    quotes before such a character get one more, so that
    :func:`restore_formula` undoes exactly this.

    >>> neutralise_formula("=cmd|' /C calc'!A0"), neutralise_formula("-9")
    ("'=cmd|' /C calc'!A0", '-9')
    """
    if _TRIGGER.match(text) and not _NUMBER.fullmatch(text.lstrip("'")):
        return "'" + text
    return text


def restore_formula(text: str) -> str:
    """Undo :func:`neutralise_formula` (drop the ``'`` it added)."""
    if _ESCAPED.match(text) and not _NUMBER.fullmatch(text.lstrip("'")):
        return text[1:]
    return text


def _unescape_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """Read back cells that the project's writers neutralised (``'=...`` -> ``=...``)."""
    for column in frame.columns:
        cells = frame[column]
        if not (cells.dtype == object or isinstance(cells.dtype, pd.StringDtype)):
            continue
        starts = cells.astype("string").str.startswith("'").fillna(False)
        if starts.any():
            frame[column] = cells.astype(object)
            frame.loc[starts, column] = [restore_formula(str(v)) for v in cells[starts]]
            frame[column] = frame[column].astype(cells.dtype)
    return frame


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
        # pandas' messages name line and field counts, never cell content.
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        raise ReadError(f"{path.name}: not a readable CSV file ({reason[:200]})") from None


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
    limit = limits()
    try:
        check_file_size(path, "xlsx", limit)
        check_xlsx_archive(path, limit)
    except LimitError as exc:
        raise FileLimitError(str(exc)) from None
    try:
        grid = pd.read_excel(
            path,
            sheet_name=sheet if sheet is not None else 0,
            dtype=object,
            header=None,
            engine="openpyxl",
            # "NA", "null", "n/a" are answers here, not missing values.
            keep_default_na=False,
            na_values=[""],
        )
    except (ValueError, KeyError, OSError) as exc:
        raise ReadError(f"{path.name}: not a readable Excel workbook ({_reason(exc)})") from None
    except Exception as exc:  # openpyxl raises zipfile/XML errors of many kinds
        raise ReadError(
            f"{path.name}: not a readable Excel workbook ({type(exc).__name__}: {_reason(exc)})"
        ) from None
    grid = grid.dropna(how="all", axis=1)
    if grid.dropna(how="all").empty:
        raise ReadError(f"{path.name}: the sheet is empty")
    _check_cells(path, grid, limit, header_rows=0)
    position = header_row - 1 if header_row else _header_row(grid)
    header = [
        f"Spalte {number}" if value is None or value != value else str(value).strip()
        for number, value in enumerate(grid.iloc[position], start=1)
    ]
    _check_duplicate_names(path, header)
    frame = grid.iloc[position + 1 :].copy()
    frame.columns = header
    frame = _clean_columns(frame)
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


def _reason(exc: BaseException) -> str:
    """A library's error message, first line only and shortened (no file content)."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def read_parquet(path: str | Path) -> RawTable:
    """Read a Parquet file (large register extracts); typed columns are kept as they are."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    path = Path(path)
    limit = limits()
    try:
        check_file_size(path, "parquet", limit)
        meta = pq.ParquetFile(path).metadata
        check_columns(path.name, meta.num_columns, limit)
        check_rows(path.name, meta.num_rows, limit)
    except LimitError as exc:
        raise FileLimitError(str(exc)) from None
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise ReadError(f"{path.name}: not a readable Parquet file ({_reason(exc)})") from None
    try:
        frame = pd.read_parquet(path)
    except (OSError, ValueError, pa.ArrowException) as exc:
        raise ReadError(f"{path.name}: not a readable Parquet file ({_reason(exc)})") from None
    frame = _clean_columns(frame.reset_index(drop=True))
    _check_cells(path, frame, limit, header_rows=0)
    frame, notes = _strip_nul_cells(frame)
    # Parquet has no header line: the row is the record number, counted from 1.
    rows = pd.Series(range(1, len(frame) + 1), index=frame.index, name="row")
    return RawTable(frame=frame, source_rows=rows, path=path, format="parquet", notes=notes)


def read_sav(path: str | Path, *, portable: bool = False, encoding: str | None = None) -> RawTable:
    """Read an SPSS file (``.sav``, ``.zsav``, or ``.por`` with ``portable=True``) keeping
    value labels and the user-missing values and ranges it declares.

    Cells come as pyreadstat gives them (dates as ``datetime.date``, datetimes as
    ``datetime64``, times as ``datetime.time``), with two exceptions that would
    otherwise lose or fail the whole file:

    * a date or datetime beyond what Python holds (after the year 9999, as a typo
      or a damaged cell gives) makes pyreadstat refuse the file; such a cell is read
      as a text saying so, which fails its own row only (:func:`spss_dates`);
    * a user-missing value of a string variable cannot be kept as a missing code,
      so the cell is read as missing (as pyreadstat does without ``user_missing``)
      and the value goes to :attr:`RawTable.missing_texts`, with a note.

    ``encoding`` overrides the one the file declares (old SPSS files declare none).
    """
    import pyreadstat

    path = Path(path)
    limit = limits()
    read = _por_reader() if portable else pyreadstat.read_sav
    options: dict[str, Any] = {"user_missing": True}
    if encoding and not portable:
        options["encoding"] = encoding
    try:
        check_file_size(path, "sav", limit)
        _, head = read(str(path), metadataonly=True, **options)
        check_columns(path.name, head.number_columns or 0, limit)
        check_rows(path.name, head.number_rows or 0, limit)
    except LimitError as exc:
        raise FileLimitError(str(exc)) from None
    except Exception as exc:  # pyreadstat raises its own ReadstatError and others
        raise _sav_error(path, exc, encoding) from None
    notes: list[tuple[str, str]] = []
    try:
        try:
            frame, meta = read(str(path), **options)
        except OverflowError:
            # A date beyond datetime.max (or before datetime.min): pyreadstat gives up
            # on the whole file. Read the numbers and convert them cell by cell.
            frame, meta = read(str(path), disable_datetime_conversion=True, **options)
            frame, notes = spss_dates(frame, meta.original_variable_types)
    except Exception as exc:  # pyreadstat raises its own ReadstatError and others
        raise _sav_error(path, exc, encoding) from None
    _check_cells(path, frame, limit, header_rows=0)
    frame, nul_notes = _strip_nul_cells(frame)
    missing_ranges: dict[str, list[tuple[float, float]]] = {}
    missing_texts: dict[str, list[str]] = {}
    for column, ranges in (meta.missing_ranges or {}).items():
        if all(isinstance(r.get("lo"), int | float) for r in ranges):
            missing_ranges[column] = [(float(r["lo"]), float(r["hi"])) for r in ranges]
        elif column in frame.columns:
            texts = [str(r["lo"]) for r in ranges if r.get("lo") is not None]
            missing_texts[column] = texts
            notes += _blank_missing_texts(frame, column, texts)
    rows = pd.Series(range(1, len(frame) + 1), index=frame.index, name="row")
    return RawTable(
        frame=frame,
        source_rows=rows,
        path=path,
        format="por" if portable else "sav",
        notes=[*nul_notes, *notes],
        detected={"encoding": meta.file_encoding, "file_label": meta.file_label},
        value_labels={k: dict(v) for k, v in meta.variable_value_labels.items()},
        missing_ranges=missing_ranges,
        missing_texts=missing_texts,
        column_labels={str(k): str(v) for k, v in (meta.column_names_to_labels or {}).items() if v},
    )


def _por_reader() -> Any:
    """pyreadstat's reader of portable files with ``user_missing``.

    ``pyreadstat.read_por`` takes no ``user_missing``: it turns the user-missing values a
    .por file declares into NaN and does not report them, so missing codes (-9 "weiß
    nicht", -99 "keine Angabe") could not be told apart. Its parser can keep them.
    """
    import pyreadstat

    entry = getattr(getattr(pyreadstat, "pyreadstat", None), "parser_entry_point", None)
    if entry is None:  # an older pyreadstat: user-missing values are lost as NaN

        def read(path: str, user_missing: bool = True, **options: Any) -> Any:
            return pyreadstat.read_por(path, **options)

        return read
    return functools.partial(entry, parser_format="por")


def _sav_error(path: Path, exc: Exception, encoding: str | None) -> ReadError:
    """pyreadstat's reason; for text not in the file's encoding, what to do about it."""
    message = f"{path.name}: not a readable SPSS file ({type(exc).__name__}: {_reason(exc)})"
    if "encoding" in str(exc) and not encoding:
        message += (
            "; its texts are not all in the encoding the file declares (a file converted "
            "badly?). If they are in one other encoding, set it in the manifest "
            "('encoding: cp1252'), or save the file again in SPSS"
        )
    return ReadError(message)


def _blank_missing_texts(
    frame: pd.DataFrame, column: str, texts: list[str]
) -> list[tuple[str, str]]:
    """Cells of a string variable holding one of its user-missing values become missing."""
    cells = frame[column]
    # SPSS pads strings with blanks; pyreadstat strips them, but be safe.
    hit = cells.astype("string").str.rstrip().isin([t.rstrip() for t in texts]).fillna(False)
    hit = hit.astype(bool)
    if not hit.any():
        return []
    frame[column] = cells.mask(hit)
    listed = ", ".join(repr(t) for t in texts)
    return [
        (
            "user_missing",
            f"column {_column_name(column)}: {int(hit.sum())} cell(s) hold a value the file "
            f"declares as missing ({listed}); they are read as missing",
        )
    ]


#: SPSS's date, datetime and time formats, as pyreadstat converts them.
SPSS_DATE_FORMATS = ("DATE", "ADATE", "EDATE", "JDATE", "SDATE")
SPSS_DATETIME_FORMATS = ("DATETIME", "YMDHMS")
SPSS_TIME_FORMATS = ("TIME", "DTIME")
#: Day 0 of SPSS's calendar: dates and times are seconds since then.
SPSS_ORIGIN = dt.datetime(1582, 10, 14)
_SPSS_FORMAT = re.compile(r"^([A-Z][A-Z0-9]+[A-Z])(\d+)?(?(2)(?:\.\d+)?$|$)")


def _spss_kind(spss_format: str | None) -> str | None:
    match = _SPSS_FORMAT.match(spss_format or "")
    name = match.group(1) if match else None
    if name in SPSS_DATE_FORMATS:
        return "date"
    if name in SPSS_DATETIME_FORMATS:
        return "datetime"
    if name in SPSS_TIME_FORMATS:
        return "time"
    return None


def _spss_value(kind: str, seconds: float) -> dt.date | dt.datetime | dt.time:
    """One SPSS date/datetime/time value as pyreadstat converts it (OverflowError if
    Python cannot hold it)."""
    days = math.floor(seconds / 86400)
    if kind == "date":
        return (SPSS_ORIGIN + dt.timedelta(days, int(seconds % 86400))).date()
    moment = SPSS_ORIGIN + dt.timedelta(days, int(seconds % 86400), round(seconds % 1 * 1e6))
    return moment.time() if kind == "time" else moment


def spss_dates(
    frame: pd.DataFrame, formats: dict[str, str]
) -> tuple[pd.DataFrame, list[tuple[str, str]]]:
    """Convert SPSS date, datetime and time columns (seconds since 14.10.1582) as pyreadstat
    does, but cell by cell: a value Python cannot hold (beyond the year 9999) becomes a text
    saying so, which no date parser reads, so validation quarantines that row only.

    ``formats`` are the SPSS formats per column (``meta.original_variable_types``).
    Returns the frame and notes naming the columns and rows of such values.
    """
    notes: list[tuple[str, str]] = []
    frame = frame.copy()
    for column in frame.columns:
        kind = _spss_kind(formats.get(column))
        if kind is None or not is_numeric_dtype(frame[column]):
            continue
        values: list[Any] = []
        bad: list[int] = []
        for position, seconds in enumerate(frame[column].to_numpy(dtype="float64")):
            if np.isnan(seconds):
                values.append(np.nan)
                continue
            try:
                values.append(_spss_value(kind, float(seconds)))
            except (OverflowError, ValueError):
                bad.append(position + 1)
                values.append(
                    f"{kind} out of range ({seconds:.0f} seconds after 14.10.1582, "
                    "beyond the year 9999)"
                )
        frame[column] = pd.Series(values, index=frame.index, dtype=None if not bad else object)
        if bad:
            listed = ", ".join(map(str, bad[:10])) + (", ..." if len(bad) > 10 else "")
            notes.append(
                (
                    "date_range",
                    f"column {_column_name(column)}: {len(bad)} value(s) lie beyond the "
                    f"dates Python can hold (year 9999), in row(s) {listed}; they are not "
                    "read as dates",
                )
            )
    return frame, notes
