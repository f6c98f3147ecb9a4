"""Codebook-driven, row-level validation of a raw export.

The raw cells are mapped to the codebook's items, parsed into typed values
(missing codes set apart), and checked with a pandera schema generated from
the codebook. Every problem becomes one row of the validation table with the
file, the row a person finds in the file, the column, the value, the rule and
its severity. Rows with an ``error`` are quarantined, rows with only a
``warning`` are accepted with a flag; nothing is dropped silently.

File-level problems that make the whole file untrustworthy (a required column
missing, no data rows) raise :class:`FileValidationError` instead.
"""

from __future__ import annotations

import datetime as dt
import fnmatch
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
import pyarrow as pa_arrow
import pyarrow.compute as pc
from pandas.api.types import is_bool_dtype, is_datetime64_any_dtype, is_numeric_dtype
from pandera.errors import SchemaErrors

from welcome_eval.errors import WelcomeEvalError
from welcome_eval.ingest.codebook import Codebook, CodebookError, Item
from welcome_eval.ingest.readers import RawTable
from welcome_eval.ingest.rules import RuleError, compile_rule
from welcome_eval.municipalities import municipalities

__all__ = [
    "CHOSEN",
    "ISSUE_COLUMNS",
    "MAX_UNKNOWN_COLUMN_SHARE",
    "MISSING_VALUES",
    "NOT_CHOSEN",
    "RULES_DE",
    "STATUS_ACCEPTED",
    "STATUS_FLAGGED",
    "STATUS_QUARANTINED",
    "TEXT",
    "FileValidationError",
    "ValidationResult",
    "ignored_column",
    "issue_summary",
    "map_columns",
    "validate",
]

ISSUE_COLUMNS = ["file", "row", "column", "value", "rule", "severity", "message"]

#: German names of the rules, for reports and the command line.
RULES_DE = {
    "type": "Wert hat nicht den erwarteten Typ",
    "allowed_codes": "Code ist im Codebuch nicht vorgesehen",
    "range": "Wert außerhalb des zulässigen Bereichs",
    "required": "Pflichtangabe fehlt",
    "municipality_known": "Unbekannter Gemeindeschlüssel",
    "duplicate_id": "Fragebogennummer mehrfach vergeben",
    "date_range": "Datum unplausibel",
    "unknown_column": "Spalte nicht im Codebuch",
    "missing_column": "Spalte fehlt in der Datei",
    "value_label": "Wertelabel weicht vom Codebuch ab",
    "duplicate_row": "Zeile doppelt geliefert",
    "straightlining": "Gleiche Antwort auf alle Fragen eines Blocks",
    "speeder": "Auffällig kurze Bearbeitungsdauer",
    "participation_before_fieldwork": "Teilnahme seit einem Datum nach der Feldzeit",
    "rule_skipped": "Regel nicht prüfbar (Feldzeit fehlt im Manifest)",
    "nul_bytes": "NUL-Zeichen in der Datei entfernt",
    "id_pattern": "Kennung passt nicht zum Schema der Befragung",
    "mojibake": "Text falsch kodiert (z. B. „Ã¶“ statt „ö“)",
    "label_row": "Zeile mit Variablenbeschriftungen übersprungen",
    "row_names": "Spalte mit Zeilennummern (R write.csv) übersprungen",
}

#: More than this share of a file's columns unknown to the codebook: another survey's file.
MAX_UNKNOWN_COLUMN_SHARE = 0.5

STATUS_ACCEPTED = "accepted"
STATUS_FLAGGED = "accepted_with_flags"
STATUS_QUARANTINED = "quarantined"


class FileValidationError(WelcomeEvalError, ValueError):
    """The file as a whole cannot be accepted; nothing is written."""


@dataclass
class ValidationResult:
    """Parsed values, missing codes, problems and the status of every row read."""

    #: Parsed values, one row per row read, one column per codebook item;
    #: missing codes are NaN here and kept in :attr:`missing_codes`.
    values: pd.DataFrame
    #: The missing code of each coded answer that had one (NaN elsewhere).
    missing_codes: pd.DataFrame
    #: One row per problem: file, row, column, value, rule, severity, message.
    issues: pd.DataFrame
    #: ``accepted``, ``accepted_with_flags`` or ``quarantined`` per row read.
    status: pd.Series
    #: Row number in the file for each row read.
    source_rows: pd.Series
    #: Codebook item id -> column name in the file.
    column_map: dict[str, str]

    @property
    def counts(self) -> dict[str, int]:
        counts = self.status.value_counts()
        return {
            "read": len(self.status),
            STATUS_ACCEPTED: int(counts.get(STATUS_ACCEPTED, 0)),
            STATUS_FLAGGED: int(counts.get(STATUS_FLAGGED, 0)),
            STATUS_QUARANTINED: int(counts.get(STATUS_QUARANTINED, 0)),
        }


def _normalise_name(name: str) -> str:
    return re.sub(r"[\s_\-]+", "_", str(name).strip().lower())


def map_columns(
    columns: list[str],
    codebook: Codebook,
    extra: Mapping[str, str] | None = None,
    *,
    tool: str | None = None,
) -> tuple[dict[str, str], list[str]]:
    """Match file columns to codebook items by id or alias (case and spacing ignored).

    ``extra`` maps further file column names (a survey tool's variable names,
    from the manifest) to item ids and takes precedence. With ``tool="limesurvey"``
    LimeSurvey's heading styles are recognised too (``G01Q05[SQ001]`` or
    ``G01Q05_SQ001``, "code. text", full and abbreviated question text; see
    :class:`welcome_eval.ingest.tools.HeadingMatcher`). Returns
    ``{item_id: file_column}`` and the file columns that matched nothing.
    """
    lookup: dict[str, str] = {}
    for name, item_id in (extra or {}).items():
        if item_id not in codebook.column_items():
            raise CodebookError(f"column mapping: {name!r} -> {item_id!r} is not a codebook item")
        lookup[_normalise_name(name)] = item_id
    for item in codebook:
        for name in (item.id, *item.aliases):
            lookup.setdefault(_normalise_name(name), item.id)
        if item.type == "multiple":
            for code in item.values:
                for name in (f"{item.id}_{code}", f"{item.id}[{code}]"):
                    lookup.setdefault(_normalise_name(name), f"{item.id}_{code}")
    matcher = _heading_matcher(codebook, extra or {}) if tool == "limesurvey" else None
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    for column in columns:
        item_id = lookup.get(_normalise_name(column))
        if item_id is None and matcher is not None:
            item_id = matcher.match(column)
        if item_id is None or item_id in mapping:
            unknown.append(column)
        else:
            mapping[item_id] = column
    return mapping, unknown


def _heading_matcher(codebook: Codebook, extra: Mapping[str, str]):
    """LimeSurvey headings: codes in bracket or underscore form, labels as full text."""
    from welcome_eval.ingest.tools import HeadingMatcher, bracket_key, fold_heading

    names: dict[str, str] = {}
    texts: dict[str, str] = {}
    for name, item_id in extra.items():
        names[bracket_key(name)] = item_id
    for item in codebook:
        for name in (item.id, *item.aliases):
            names.setdefault(bracket_key(name), item.id)
        if item.type == "multiple":
            for code, label in item.values.items():
                names.setdefault(bracket_key(f"{item.id}_{code}"), f"{item.id}_{code}")
                texts.setdefault(fold_heading(f"{item.label} [{label}]"), f"{item.id}_{code}")
            # The file's option codes: G01Q03[SQ001] with alias G01Q03 and codes {SQ001: 1}.
            for key, code in item.codes.items():
                for name in (item.id, *item.aliases):
                    names.setdefault(bracket_key(f"{name}[{key}]"), f"{item.id}_{code}")
        else:
            texts.setdefault(fold_heading(item.label), item.id)
    return HeadingMatcher(names, texts)


class _Issues:
    """Collects problems as small frames (vectorised: one frame per rule and column)."""

    def __init__(self, file: str, frame: pd.DataFrame, source_rows: pd.Series) -> None:
        self.file = file
        self.frame = frame
        self.source_rows = source_rows
        self.parts: list[pd.DataFrame] = []

    def add_file(
        self, column: str | None, value: Any, rule: str, message: str, severity: str = "warning"
    ) -> None:
        """A problem of the file as a whole (no row)."""
        self.parts.append(
            pd.DataFrame(
                {
                    "_index": [None],
                    "column": [column],
                    "value": [None if _is_missing(value) else str(value)],
                    "rule": [rule],
                    "severity": [severity],
                    "message": [message],
                }
            )
        )

    def add_rows(
        self,
        mask: pd.Series,
        column: str | None,
        rule: str,
        message: str | pd.Series,
        severity: str = "error",
        values: pd.Series | None = None,
    ) -> None:
        """One problem per row where ``mask`` is true; values default to the file's cells."""
        if not mask.any():
            return
        index = mask.index[mask.to_numpy()]
        if values is None:
            if column in self.frame.columns:
                values = self.frame.loc[index, column]
            else:
                values = pd.Series(None, index=index, dtype=object)
        values = values.loc[index]
        text = values.astype("string").where(values.notna())
        if isinstance(message, pd.Series):
            message = message.loc[index].to_numpy()
        self.parts.append(
            pd.DataFrame(
                {
                    "_index": index,
                    "column": column,
                    "value": text.to_numpy(dtype=object),
                    "rule": rule,
                    "severity": severity,
                    "message": message,
                }
            )
        )

    def table(self) -> pd.DataFrame:
        if not self.parts:
            return pd.DataFrame(columns=[*ISSUE_COLUMNS, "_index"])
        table = pd.concat(self.parts, ignore_index=True)
        rows = table["_index"].map(self.source_rows)
        table.insert(0, "row", rows.astype("Int64"))
        table.insert(0, "file", self.file)
        table["value"] = table["value"].astype(object).where(table["value"].notna(), None)
        return table[[*ISSUE_COLUMNS, "_index"]]


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


# --- vectorised parsing ---------------------------------------------------------


#: Arrow-backed strings: vectorised string operations and casts run in C++.
TEXT = pd.StringDtype("pyarrow")


def _as_text(cells: pd.Series) -> pd.Series:
    """Cells as stripped strings; whole numbers (as Excel and SPSS store them) without '.0'."""
    if is_numeric_dtype(cells) and not is_bool_dtype(cells):
        numbers = cells.astype("float64")
        whole = numbers.notna() & (numbers == np.round(numbers))
        text = numbers.astype(TEXT)
        text[whole] = numbers[whole].astype("int64").astype(TEXT)
        return text.where(numbers.notna())
    if cells.dtype == object:
        is_float = cells.map(lambda v: isinstance(v, float | np.floating) and float(v).is_integer())
        if is_float.any():
            cells = cells.copy()
            cells[is_float] = cells[is_float].map(lambda v: str(int(v)))
    return cells.astype(TEXT).str.strip()


#: Cell texts read as "no answer" besides an empty cell: R's ``write.csv`` writes ``NA``,
#: LimeSurvey ``N/A`` for options not chosen. A manifest can replace them (``missing_values``).
MISSING_VALUES: tuple[str, ...] = ("NA", "N/A")


def _blank(text: pd.Series, missing_values: Sequence[str] = ()) -> pd.Series:
    blank = text.isna() | text.eq("").fillna(True)
    if missing_values:
        blank |= text.isin(list(missing_values)).fillna(False)
    return blank


_PLAIN_NUMBER = r"^[+-]?(\d+\.?\d*|\.\d+)$"
_THOUSANDS = r"-?\d{1,3}(\.\d{3})+(,\d+)?"


def _cast_plain_numbers(text: pd.Series) -> pd.Series:
    """Cast strings like ``3`` or ``-9`` or ``2.5`` to float in Arrow; others become NaN."""
    strings = pa_arrow.array(text.astype(TEXT).array)
    plain = pc.fill_null(pc.match_substring_regex(strings, _PLAIN_NUMBER), False)
    numbers = pc.cast(
        pc.if_else(plain, strings, pa_arrow.scalar(None, pa_arrow.string())), pa_arrow.float64()
    )
    return pd.Series(numbers.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")


def _cast_all(text: pd.Series) -> pd.Series | None:
    """Fast path: cast a whole column in Arrow; ``None`` if any cell is not a plain number."""
    strings = pa_arrow.array(text.astype(TEXT).array)
    strings = pc.if_else(pc.equal(strings, ""), pa_arrow.scalar(None, pa_arrow.string()), strings)
    try:
        numbers = pc.cast(strings, pa_arrow.float64())
    except (pa_arrow.ArrowInvalid, pa_arrow.ArrowNotImplementedError):
        return None
    return pd.Series(numbers.to_numpy(zero_copy_only=False), index=text.index, dtype="float64")


def _to_number(cells: pd.Series, text: pd.Series, decimal: str) -> pd.Series:
    """Numbers from numeric cells or from text with decimal comma or point."""
    if is_numeric_dtype(cells) and not is_bool_dtype(cells):
        return cells.astype("float64")
    if decimal != ",":
        numbers = _cast_all(text)
        if numbers is not None:
            return numbers
    candidates = text.str.replace("\u2212", "-", regex=False)
    if decimal == ",":
        # With decimal commas a point can only separate thousands (1.234,5).
        has_point = candidates.str.contains(".", regex=False).fillna(False)
        if has_point.any():
            candidates = candidates.where(~has_point, candidates.str.replace(".", "", regex=False))
        candidates = candidates.str.replace(",", ".", regex=False)
    numbers = _cast_plain_numbers(candidates)
    retry = numbers.isna() & candidates.str.contains(",", regex=False).fillna(False)
    if retry.any():
        german = candidates[retry]
        thousands = german.str.fullmatch(_THOUSANDS).fillna(False)
        german = german.where(~thousands, german.str.replace(".", "", regex=False))
        numbers[retry] = _cast_plain_numbers(german.str.replace(",", ".", regex=False))
    return numbers


_DATE_FORMATS = (
    "%d.%m.%Y",
    "%Y-%m-%d",
    "%d.%m.%y",
    "%Y-%m-%d %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%Y-%m-%dT%H:%M:%S",
)


def _in_nanosecond_range(dates: pd.Series) -> pd.Series:
    """Dates as ``datetime64[ns]``; those outside its range (years 1677-2262) become NaT."""
    if dates.dt.unit != "ns":
        dates = dates.where((dates >= pd.Timestamp.min) & (dates <= pd.Timestamp.max))
    return dates.astype("datetime64[ns]")


def _parse_dates(text: pd.Series, fmt: str) -> pd.Series:
    """Dates in one format; a cell that is no date or lies outside the range a
    nanosecond timestamp holds (e.g. the typo ``01.06.0218``, or SPSS's ``1583-01-01``)
    becomes NaT, so it fails its own row, never the whole wave."""
    return _in_nanosecond_range(pd.to_datetime(text, format=fmt, errors="coerce"))


def _to_date(cells: pd.Series, text: pd.Series) -> pd.Series:
    if is_datetime64_any_dtype(cells):
        naive = cells.dt.tz_localize(None) if cells.dt.tz else cells
        return _in_nanosecond_range(naive.dt.normalize())
    dates = pd.Series(pd.NaT, index=cells.index, dtype="datetime64[ns]")
    todo = text.notna()
    for fmt in _DATE_FORMATS:
        if not todo.any():
            break
        dates[todo] = _parse_dates(text[todo], fmt)
        todo &= dates.isna()
    return dates.dt.normalize()


_EXPECTED = {
    "id": "an identifier",
    "municipality": "an 8-digit municipality key",
    "wave": "a wave id",
    "categorical": "an integer code",
    "likert": "an integer code",
    "rating": "a whole number",
    "number": "a number",
    "date": "a date between 1678 and 2261 (DD.MM.YYYY or YYYY-MM-DD)",
    "text": "text",
}


def _parse_item(
    item: Item,
    cells: pd.Series,
    decimal: str,
    missing_values: Sequence[str] = (),
    declared_missing: Sequence[tuple[float, float]] = (),
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """Parse one column: (values, missing codes, mask of cells that failed to parse).

    ``declared_missing`` are the user-missing values and ranges the file itself declares
    (SPSS), as closed ranges; they count as missing codes like the codebook's.
    """
    text = _as_text(cells)
    blank = _blank(text, missing_values)
    text = text.mask(blank)
    if item.codes:
        # The file's own answer codes (LimeSurvey's A1, -oth-, ...) -> numeric codes.
        codes = {key: str(code) for key, code in item.codes.items()}
        mapped = [codes.get(v) if isinstance(v, str) else None for v in text.tolist()]
        if any(m is not None for m in mapped):
            text = pd.Series(
                [m if m is not None else v for m, v in zip(mapped, text.tolist(), strict=True)],
                index=text.index,
                dtype=TEXT,
            )
            cells = text
    no_codes = pd.Series(np.nan, index=cells.index, dtype="float64")
    if item.is_coded or item.type == "number":
        numbers = _to_number(cells, text, decimal)
        failed = numbers.isna() & ~blank
        if item.is_coded:
            failed |= numbers.notna() & (numbers != np.round(numbers))
            if failed.any():
                # Tools and staff sometimes export the answer text instead of the code.
                by_label = {
                    label.casefold(): float(code)
                    for code, label in {**item.values, **item.missing_codes}.items()
                }
                from_label = text[failed].str.casefold().map(by_label).astype("float64")
                numbers[from_label.index] = from_label
                failed[from_label.index] = from_label.isna().to_numpy()
        if failed.any():
            numbers = numbers.mask(failed)
        if item.missing_codes or declared_missing:
            plain = numbers.to_numpy()
            is_code = np.zeros(len(numbers), dtype=bool)
            for code in item.missing_codes:
                is_code |= plain == code
            for low, high in declared_missing:
                is_code |= (plain >= low) & (plain <= high)
            if not is_code.any():
                return numbers, no_codes, failed
            return numbers.mask(is_code), numbers.where(is_code), failed
        return numbers, no_codes, failed
    if item.type == "date":
        dates = _to_date(cells, text)
        return dates, no_codes, dates.isna() & ~blank
    values = text.mask(blank)
    if item.type == "municipality":
        ok = values.str.fullmatch(r"\d{7,8}").fillna(False)
        failed = ~ok & ~blank
        # Excel drops the leading zero of NRW keys (05...): put it back.
        return values.where(ok).str.zfill(8), no_codes, failed
    return values, no_codes, pd.Series(False, index=cells.index)


def _note_declared_missing(
    issues: _Issues,
    item: Item,
    column: str,
    cells: pd.Series,
    parsed: pd.Series,
    declared: Sequence[tuple[float, float]],
) -> None:
    """Say which user-missing values of the file, unknown to the codebook, were set aside."""
    unknown = [
        (low, high)
        for low, high in declared
        if not any(low <= code <= high for code in item.missing_codes)
    ]
    if not unknown:
        return
    hit = pd.to_numeric(cells, errors="coerce").where(parsed.isna())
    count = int(sum(hit.between(low, high).sum() for low, high in unknown))
    if count:
        spans = ", ".join(
            _plain_number(low) if low == high else f"{_plain_number(low)} to {_plain_number(high)}"
            for low, high in unknown
        )
        issues.add_file(
            column,
            None,
            "user_missing",
            f"{count} cell(s) hold values the file declares as missing ({spans}) but the "
            "codebook does not; they are read as missing",
        )


def _plain_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


# "genannt" / "nicht genannt" is how Wave.to_excel labels options, so its workbooks read back.
CHOSEN = ("1", "ja", "j", "y", "yes", "x", "true", "wahr", "genannt")
NOT_CHOSEN = ("0", "nein", "n", "no", "false", "falsch", "", "nicht genannt")


def _parse_multiple(
    item: Item,
    frame: pd.DataFrame,
    mapping: dict[str, str],
    choices: tuple[Sequence[str], Sequence[str]] | None,
    missing_values: Sequence[str] = (),
) -> tuple[dict[str, pd.Series], dict[str, pd.Series]]:
    """Multiple choice from one column per option or one delimited column.

    Returns one 1/0 column per option (NaN where the question was not answered:
    every option cell empty) and the cells that could not be read, per file column.
    """
    chosen, not_chosen = choices or (CHOSEN, NOT_CHOSEN)
    chosen = {str(v).casefold() for v in chosen}
    not_chosen = {str(v).casefold() for v in not_chosen}
    options: dict[str, pd.Series] = {}
    failures: dict[str, pd.Series] = {}
    if item.id in mapping:
        column = mapping[item.id]
        text = _as_text(frame[column])
        blank = _blank(text, missing_values)
        tokens = text.fillna("").str.split(item.separator, regex=False)
        tokens = tokens.map(lambda parts: {p.strip().casefold() for p in parts if p.strip()})
        known: set[str] = set()
        for code, label in item.values.items():
            names = {str(code), label.casefold()}
            names |= {key.casefold() for key, option in item.codes.items() if option == code}
            known |= names
            picked = tokens.map(lambda found, names=names: bool(found & names))
            options[f"{item.id}_{code}"] = picked.astype("float64").mask(blank)
        failures[column] = tokens.map(lambda found: bool(found - known)) & ~blank
        return options, failures
    found = {code: mapping.get(f"{item.id}_{code}") for code in item.values}
    texts = {
        code: _as_text(frame[column]).str.casefold()
        if column
        else pd.Series(pd.NA, index=frame.index, dtype=TEXT)
        for code, column in found.items()
    }
    missing_folded = [value.casefold() for value in missing_values]
    unanswered = pd.concat([_blank(t, missing_folded) for t in texts.values()], axis=1).all(axis=1)
    for code, text in texts.items():
        is_chosen = text.isin(chosen).fillna(False)
        is_not = text.isin(not_chosen).fillna(False) | _blank(text, missing_folded)
        options[f"{item.id}_{code}"] = is_chosen.astype("float64").mask(unanswered)
        if found[code]:
            failures[found[code]] = ~is_chosen & ~is_not
    return options, failures


def _schema(codebook: Codebook, present: set[str]) -> pa.DataFrameSchema:
    known_keys = set(municipalities()["ags"])
    columns: dict[str, pa.Column] = {}
    for item in codebook:
        if item.id not in present:
            continue
        checks: list[pa.Check] = []
        if item.type in ("likert", "categorical"):
            codes = item.valid_codes
            if codes == list(range(codes[0], codes[-1] + 1)):
                # Whole numbers are already ensured, so a range check is an isin check.
                checks.append(pa.Check.in_range(codes[0], codes[-1], error="allowed_codes"))
            else:
                checks.append(pa.Check.isin(codes, error="allowed_codes"))
        elif item.type in ("rating", "number") and (
            item.minimum is not None or item.maximum is not None
        ):
            low = -np.inf if item.minimum is None else item.minimum
            high = np.inf if item.maximum is None else item.maximum
            checks.append(pa.Check.in_range(low, high, error="range"))
        elif item.type == "municipality":
            checks.append(pa.Check.isin(known_keys, error="municipality_known"))
        columns[item.id] = pa.Column(nullable=not item.required, required=False, checks=checks)
    return pa.DataFrameSchema(columns, strict=False)


def _range_message(item: Item) -> str:
    codes = sorted(item.missing_codes)
    if item.type == "rating":
        return f"{item.short}: allowed are {item.minimum}–{item.maximum} or missing codes {codes}"
    if item.type == "number":
        return f"{item.short}: allowed are {item.minimum}–{item.maximum}"
    if item.type == "municipality":
        return f"{item.short}: not one of the 59 municipalities of Südwestfalen"
    return f"{item.short}: allowed codes are {item.valid_codes} and missing codes {codes}"


def _detect_decimal(frame: pd.DataFrame) -> str:
    """',' when the text cells hold German decimals (3,5) rather than points (3.5)."""
    comma = point = 0
    for column in frame.columns[:60]:
        cells = frame[column]
        if cells.dtype == object or isinstance(cells.dtype, pd.StringDtype) or cells.dtype == "str":
            sample = cells.dropna().astype("string").head(200)
            comma += int(sample.str.fullmatch(r"-?\d+,\d+").sum())
            point += int(sample.str.fullmatch(r"-?\d+\.\d+").sum())
    return "," if comma > point else "."


def validate(
    raw: RawTable,
    codebook: Codebook,
    *,
    fieldwork: tuple[dt.date, dt.date] | None = None,
    wave: str | None = None,
    columns: Mapping[str, str] | None = None,
    ignore_columns: Sequence[str] = (),
    choices: tuple[Sequence[str], Sequence[str]] | None = None,
    today: dt.date | None = None,
    missing_values: Sequence[str] = MISSING_VALUES,
    tool: str | None = None,
) -> ValidationResult:
    """Map, parse and check a raw export against its codebook.

    Parameters
    ----------
    raw
        The cells as read by :func:`welcome_eval.ingest.readers.read_raw`.
    codebook
        The survey's codebook.
    fieldwork
        First and last day of fieldwork, for the codebook's consistency rules.
    wave
        The wave id the manifest declares; a wave column in the file must match it.
    columns
        Extra mapping from file column names (e.g. a survey tool's variable
        names) to item ids, taking precedence over the codebook's aliases.
    ignore_columns
        File columns (shell patterns such as ``TIME*``) that are technical and
        skipped without a warning.
    choices
        Cell values meaning "option chosen" and "not chosen" in multiple-choice
        columns (default: 1/ja/Y/x and 0/nein/N/empty; SoSci Survey writes 2 and 1).
    today
        Dates after this day are implausible (default: the current date).
    missing_values
        Cell texts that mean "no answer" besides an empty cell (default
        :data:`MISSING_VALUES`: ``NA`` as R writes it, ``N/A`` as LimeSurvey does).
    tool
        The survey tool that wrote the file; ``limesurvey`` recognises its heading
        styles (see :func:`map_columns`).

    Raises
    ------
    FileValidationError
        The file has no data rows, lacks a required column, or holds another wave.
    """
    file = raw.path.name
    frame = raw.frame
    if frame.empty:
        raise FileValidationError(f"{file}: the file has a header but no data rows")
    mapping, unknown = map_columns(list(frame.columns), codebook, columns, tool=tool)
    unknown = [c for c in unknown if not ignored_column(c, ignore_columns, tool)]
    # Many real exports carry no respondent id; the line in the file stands in for it.
    numbered_rows = codebook.respondent_id not in mapping
    missing_required = [
        i.id
        for i in codebook
        if i.required
        and i.id not in mapping
        and not (numbered_rows and i.id == codebook.respondent_id)
    ]
    present = set(mapping) | {
        item.id for name, (item, _) in codebook.column_items().items() if name in mapping
    }
    _check_survey(file, codebook, mapping, unknown, missing_required, tool=tool)
    issues = _Issues(file, frame, raw.source_rows)
    for rule, message in raw.notes:
        issues.add_file(None, None, rule, message)
    if numbered_rows:
        issues.add_file(
            None,
            None,
            "no_id_column",
            f"the file has no respondent id column ({codebook.respondent_id}); each row is "
            "identified by its line in the file (row-<line>), so the same person cannot be "
            "linked across waves",
        )
    for column in unknown:
        issues.add_file(
            column, None, "unknown_column", "column is not in the codebook and was not read"
        )
    for item in codebook:
        if numbered_rows and item.id == codebook.respondent_id:
            continue
        if item.id not in present and not item.optional:
            issues.add_file(
                item.id,
                None,
                "missing_column",
                "codebook item not in the file; treated as not asked",
            )

    decimal = raw.detected.get("decimal") or _detect_decimal(frame)
    parsed_values: dict[str, pd.Series] = {}
    parsed_codes: dict[str, pd.Series] = {}
    type_failed: dict[str, pd.Series] = {}
    for item in codebook:
        if item.type == "multiple":
            options, failures = _parse_multiple(item, frame, mapping, choices, missing_values)
            parsed_values.update(options)
            for column, failed in failures.items():
                issues.add_rows(failed, column, "type", f"expected one of the options of {item.id}")
            continue
        column = mapping.get(item.id)
        if column is None:
            cells = pd.Series(None, index=frame.index, dtype=object)
        else:
            cells = frame[column]
        declared = raw.missing_ranges.get(column, []) if column is not None else []
        parsed, codes, failed = _parse_item(item, cells, decimal, missing_values, declared)
        if declared and item.type in ("likert", "rating", "categorical", "number"):
            _note_declared_missing(issues, item, column, cells, parsed, declared)
        parsed_values[item.id] = parsed
        if item.is_coded:
            parsed_codes[item.id] = codes
        elif item.type == "number" and item.missing_codes:
            # A number's missing codes (-9 = keine Angabe) are kept as a coded item's are;
            # values only the file declares missing (2000 to 3000) are no codes to label.
            parsed_codes[item.id] = codes.where(codes.isin(list(item.missing_codes)))
        if column is not None:
            issues.add_rows(failed, column, "type", f"expected {_EXPECTED[item.type]}")
            type_failed[item.id] = failed

    if numbered_rows:
        lines = raw.source_rows.reindex(frame.index).astype("int64").astype(str)
        parsed_values[codebook.respondent_id] = ("row-" + lines).astype(TEXT)
    values = pd.DataFrame(parsed_values, index=frame.index)
    missing_codes = pd.DataFrame(parsed_codes, index=frame.index)
    _check_wave(values, codebook, mapping, wave, file)
    _check_id_patterns(frame, codebook, mapping, issues, file)
    duplicate_rows = _check_duplicates(values, codebook, mapping, issues)
    _check_schema(values, codebook, mapping, issues, type_failed, duplicate_rows)
    _check_dates(values, codebook, mapping, issues, today or dt.date.today())
    _check_rules(values, codebook, mapping, issues, fieldwork)
    _check_straightlining(values, codebook, issues)
    _check_speeders(values, codebook, mapping, issues)
    _check_mojibake(frame, codebook, mapping, issues)
    _compare_value_labels(raw, codebook, mapping, issues)

    table = issues.table()
    errors_at = table.loc[table["severity"] == "error", "_index"].dropna()
    warnings_at = table.loc[table["severity"] == "warning", "_index"].dropna()
    status = pd.Series(STATUS_ACCEPTED, index=frame.index, name="status")
    status[status.index.isin(warnings_at)] = STATUS_FLAGGED
    status[status.index.isin(errors_at)] = STATUS_QUARANTINED
    table = table.drop(columns="_index").sort_values("row", kind="stable", na_position="first")
    return ValidationResult(
        values=values,
        missing_codes=missing_codes,
        issues=table.reset_index(drop=True),
        status=status,
        source_rows=raw.source_rows,
        column_map=mapping,
    )


def ignored_column(column: str, patterns: Sequence[str], tool: str | None) -> bool:
    """A technical column to read past; LimeSurvey's are also known by their code part
    ("submitdate. Date submitted") or their English full text ("Date submitted")."""
    names = [str(column)]
    if tool == "limesurvey":
        from welcome_eval.ingest.tools import LIMESURVEY_FIELD_TEXTS, fold_heading, heading_code

        code = heading_code(column)
        if code:
            names.append(code)
        folded = fold_heading(column)
        if folded in LIMESURVEY_FIELD_TEXTS:
            names.append(LIMESURVEY_FIELD_TEXTS[folded])
        if folded.startswith(("group time:", "question time:")):
            return True
    return any(fnmatch.fnmatchcase(name, p) for name in names for p in patterns)


def _unmatched_hint(unknown: list[str], tool: str | None) -> str:
    """The first few unmatched headings, shortened, and how many more (survey tools only)."""
    if tool is None or not unknown:
        return ""
    from welcome_eval.ingest.tools import shorten

    shown = ", ".join(repr(shorten(c, 30)) for c in unknown[:3])
    more = f" and {len(unknown) - 3} more" if len(unknown) > 3 else ""
    return (
        f"; unmatched headings: {shown}{more}. Map them under 'columns:' in the manifest "
        "(or give the items these labels in the codebook)"
    )


def _check_survey(
    file: str,
    codebook: Codebook,
    mapping: dict[str, str],
    unknown: list[str],
    missing_required: list[str],
    *,
    tool: str | None = None,
) -> None:
    """The file must be an export of the codebook's survey, not of another one.

    Refused (:class:`FileValidationError`) when a required column is missing
    or more than :data:`MAX_UNKNOWN_COLUMN_SHARE` of the file's columns are
    not in the codebook. The message names counts and codebook items, not the
    file's own column names (a manifest may point at any file) - except for a survey
    tool's export (``tool``), where it names the first three unmatched headings,
    shortened to 30 characters, and counts the rest, so the mapping can be fixed.
    """
    total = len(mapping) + len(unknown)
    share = len(unknown) / total if total else 1.0
    if not missing_required and share <= MAX_UNKNOWN_COLUMN_SHARE:
        return
    other = _best_other_survey(codebook, [*mapping.values(), *unknown])
    hint = (
        f"; its columns match the codebook of survey {other!r} - is it that survey's file?"
        if other
        else ""
    )
    if missing_required:
        raise FileValidationError(
            f"{file}: required column(s) {', '.join(missing_required)} not found; "
            f"{len(mapping)} of the file's {total} columns are items of the codebook of "
            f"survey {codebook.survey!r}{hint}{_unmatched_hint(unknown, tool)}"
        )
    raise FileValidationError(
        f"{file}: looks like another survey's file: {len(unknown)} of its {total} columns "
        f"({share:.0%}) are not in the codebook of survey {codebook.survey!r} (at most "
        f"{MAX_UNKNOWN_COLUMN_SHARE:.0%} may be)"
        + (
            hint
            or _unmatched_hint(unknown, tool)
            or "; if the extra columns belong to the export, list them under "
            "'ignore_columns' in the manifest"
        )
    )


def _best_other_survey(codebook: Codebook, columns: list[str]) -> str | None:
    """The other survey whose codebook knows the most of ``columns`` (most of them, at least)."""
    from welcome_eval.config import surveys_dir

    best, best_known = None, 0
    for path in sorted(surveys_dir().glob("*/codebook.yaml")):
        survey = path.parent.name
        if survey == codebook.survey:
            continue
        try:
            other = Codebook.for_survey(survey)
        except (CodebookError, OSError):
            continue
        mapping, _ = map_columns(columns, other)
        if len(mapping) > best_known:
            best, best_known = survey, len(mapping)
    return best if best_known > len(columns) / 2 else None


def _check_id_patterns(
    frame: pd.DataFrame, codebook: Codebook, mapping: dict[str, str], issues: _Issues, file: str
) -> None:
    """Ids must match their item's ``pattern``; mostly not matching means another survey."""
    for item_id in codebook.items_of(type="id"):
        item = codebook[item_id]
        if item.pattern is None or item_id not in mapping:
            continue
        column = mapping[item_id]
        ids = _as_text(frame[column])
        given = ids.notna() & (ids != "")
        wrong = given & ~ids.str.fullmatch(item.pattern).fillna(False).astype(bool)
        if given.sum() and wrong.sum() > given.sum() / 2:
            raise FileValidationError(
                f"{file}: looks like another survey's file: {int(wrong.sum())} of "
                f"{int(given.sum())} ids in column {item_id} do not match the id pattern of "
                f"survey {codebook.survey!r}"
            )
        issues.add_rows(wrong, column, "id_pattern", f"{item.short}: not an id of this survey")


def _check_wave(
    values: pd.DataFrame, codebook: Codebook, mapping: dict[str, str], wave: str | None, file: str
) -> None:
    if wave is None:
        return
    for item_id in codebook.items_of(type="wave"):
        if item_id not in mapping:
            continue
        found = values[item_id].dropna()
        wrong = found[found != str(wave)]
        if len(wrong):
            raise FileValidationError(
                f"{file}: column {mapping[item_id]} says wave {wrong.iloc[0]!r} "
                f"({len(wrong)} rows) but the manifest is for wave {wave!r}"
            )


def _check_duplicates(
    values: pd.DataFrame, codebook: Codebook, mapping: dict[str, str], issues: _Issues
) -> pd.Series:
    """Exact copies of an earlier row are quarantined (flagged only in a file without ids);
    the same id on different rows too."""
    options = {c for c, (_, code) in codebook.column_items().items() if code is not None}
    mapped = [c for c in values.columns if c in mapping or c in options]
    # Hash rows first; compare in full only the few rows whose hashes collide.
    hashes = pd.util.hash_pandas_object(values[mapped], index=False)
    candidates = hashes.duplicated(keep=False)
    copies = pd.Series(False, index=values.index)
    if candidates.any():
        copies[candidates] = values.loc[candidates, mapped].duplicated(keep="first")
    numbered = codebook.respondent_id not in mapping
    if copies.any():
        group = values[mapped].groupby(mapped, dropna=False, sort=False).ngroup()
        first_index = pd.Series(values.index, index=values.index).groupby(group).transform("first")
        issues.add_rows(
            copies,
            None,
            "duplicate_row",
            # Without an id, two people who answered alike give identical rows: flag, keep.
            "same answers as an earlier row (value: its number in the file); without an id "
            "column a copy cannot be told from two people answering alike"
            if numbered
            else "exact copy of an earlier row (value: that row's number in the file)",
            severity="warning" if numbered else "error",
            values=first_index.map(issues.source_rows),
        )
    if numbered:
        return pd.Series(False, index=values.index)  # ids numbered by line are unique
    ids = values[codebook.respondent_id]
    repeated = ids.notna() & ~copies & ids.where(~copies).duplicated(keep=False)
    issues.add_rows(
        repeated,
        mapping[codebook.respondent_id],
        "duplicate_id",
        "the same respondent id occurs in more than one row",
    )
    return copies


def _check_schema(
    values: pd.DataFrame,
    codebook: Codebook,
    mapping: dict[str, str],
    issues: _Issues,
    type_failed: dict[str, pd.Series],
    duplicate_rows: pd.Series,
) -> None:
    present = set(mapping)
    try:
        _schema(codebook, present).validate(values[[i for i in values if i in present]], lazy=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        cases = cases[cases["index"].notna()]
        for (item_id, check), group in cases.groupby(["column", "check"], sort=False):
            item = codebook[item_id]
            rule = _check_rule(str(check))
            mask = pd.Series(False, index=values.index)
            mask[group["index"].astype(values.index.dtype).to_numpy()] = True
            mask &= ~type_failed.get(item_id, False) & ~duplicate_rows
            message = "required answer is empty" if rule == "required" else _range_message(item)
            issues.add_rows(mask, mapping[item_id], rule, message)


def _check_rule(check: str) -> str:
    if check == "not_nullable":
        return "required"
    return check.split("(")[0]


def _check_dates(
    values: pd.DataFrame,
    codebook: Codebook,
    mapping: dict[str, str],
    issues: _Issues,
    today: dt.date,
) -> None:
    for item_id in codebook.items_of(type="date"):
        if item_id not in mapping:
            continue
        item, dates = codebook[item_id], values[item_id]
        if item.minimum is not None:
            low = pd.Timestamp(item.minimum)
            issues.add_rows(
                dates < low,
                mapping[item_id],
                "date_range",
                f"date before {low:%d.%m.%Y}",
                "warning",
            )
        issues.add_rows(
            dates > pd.Timestamp(today),
            mapping[item_id],
            "date_range",
            "date in the future",
            "warning",
        )


def _check_rules(
    values: pd.DataFrame,
    codebook: Codebook,
    mapping: dict[str, str],
    issues: _Issues,
    fieldwork: tuple[dt.date, dt.date] | None,
) -> None:
    """Evaluate the codebook's rules in the restricted rule language (no Python ``eval``)."""
    context = {
        "fieldwork_start": pd.Timestamp(fieldwork[0]) if fieldwork else pd.NaT,
        "fieldwork_end": pd.Timestamp(fieldwork[1]) if fieldwork else pd.NaT,
    }
    where = str(codebook.path) if codebook.path else f"codebook {codebook.survey}"
    for rule in codebook.rules:
        expression = rule.compiled
        if expression is None:
            try:
                expression = compile_rule(rule.expression, codebook.column_items())
            except RuleError as exc:
                raise CodebookError(f"{where}, rule {rule.id}: {exc}") from None
        names = set(expression.names)
        if not names <= set(mapping):
            continue
        if expression.context and not fieldwork:
            issues.add_file(
                None,
                None,
                "rule_skipped",
                f"rule {rule.id!r} needs the manifest's fieldwork dates, which are missing",
            )
            continue
        try:
            holds = expression.evaluate(values, context)
        except Exception as exc:  # a rule that cannot be evaluated is a codebook bug
            raise CodebookError(
                f"{where}, rule {rule.id}: cannot be evaluated on the data "
                f"({type(exc).__name__}: {exc})"
            ) from None
        broken = ~holds
        if not rule.all_rows and names:
            broken &= values[sorted(names)].notna().all(axis=1)
        first = mapping[sorted(names)[0]] if names else None
        issues.add_rows(broken, first, rule.id, rule.message, rule.severity)


#: UTF-8 read as cp1252: "Ã¶" for "ö", "ÃŸ" for "ß", "â€ž" for "„".
_MOJIBAKE = re.compile(
    "Ã[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u2013-\u203a\u20ac\u2122]|â€"
)


def _check_mojibake(
    frame: pd.DataFrame, codebook: Codebook, mapping: dict[str, str], issues: _Issues
) -> None:
    """Flag open answers that were garbled by a wrong encoding before they reached us."""
    for item_id in codebook.items_of(type="text"):
        if item_id not in mapping:
            continue
        column = mapping[item_id]
        text = _as_text(frame[column])
        garbled = text.str.contains(_MOJIBAKE).fillna(False).astype(bool)
        issues.add_rows(
            garbled,
            column,
            "mojibake",
            "the text looks mis-encoded (UTF-8 read as cp1252, e.g. 'Ã¶' for 'ö'); "
            "check the export's encoding",
            "warning",
        )


def _check_straightlining(values: pd.DataFrame, codebook: Codebook, issues: _Issues) -> None:
    for construct in codebook.straightlining:
        items = [i for i in codebook.items_of(construct=construct) if i in values]
        block = values[items]
        answered = block.notna().sum(axis=1)
        same = block.nunique(axis=1) == 1
        flagged = (answered >= codebook.straightlining_min_items) & same
        issues.add_rows(
            flagged,
            construct,
            "straightlining",
            f"the same answer on all {len(items)} items of '{construct}'",
            "warning",
            values=block.bfill(axis=1).iloc[:, 0],
        )


def _check_speeders(
    values: pd.DataFrame, codebook: Codebook, mapping: dict[str, str], issues: _Issues
) -> None:
    if codebook.duration is None or codebook.duration not in mapping:
        return
    # A duration of 0 means "not recorded" (LimeSurvey's interviewtime of an incomplete
    # response), not a record-fast respondent.
    seconds = values[codebook.duration].where(lambda s: s > 0)
    median = seconds.median()
    if not median or np.isnan(median):
        return
    limit = codebook.speeder_share_of_median * median
    issues.add_rows(
        seconds < limit,
        mapping[codebook.duration],
        "speeder",
        f"completed in under {codebook.speeder_share_of_median:.0%} of the median "
        f"duration ({median:.0f} s)",
        "warning",
    )


def _compare_value_labels(
    raw: RawTable, codebook: Codebook, mapping: dict[str, str], issues: _Issues
) -> None:
    columns = codebook.column_items()
    for name, column in mapping.items():
        labels = raw.value_labels.get(column)
        item, option = columns.get(name, (None, None))
        if not labels or item is None or option is not None:
            continue
        for code, label in labels.items():
            if not isinstance(code, int | float):
                continue  # labels of a text variable: the codebook labels codes only
            expected = item.label_for(code)
            if expected is not None and expected.strip() != str(label).strip():
                issues.add_file(
                    column,
                    f"{code:g}={label}",
                    "value_label",
                    f"codebook says {code:g} = {expected!r}",
                )


def issue_summary(issues: pd.DataFrame, codebook: Codebook | None = None) -> pd.DataFrame:
    """Count problems by rule and severity, with the German rule name, for reports.

    Returns columns ``Regel``, ``Schwere`` (``Fehler`` quarantines the row,
    ``Hinweis`` flags it), ``Anzahl``; no values, rows or identifiers. Rule
    names come from :data:`RULES_DE` and the codebook's own rules (``label``).

    Examples
    --------
    >>> table = pd.DataFrame({"rule": ["type", "type", "speeder"],
    ...                       "severity": ["error", "error", "warning"]})
    >>> for row in issue_summary(table).values.tolist():
    ...     print(row)
    ['Wert hat nicht den erwarteten Typ', 'Fehler', 2]
    ['Auffällig kurze Bearbeitungsdauer', 'Hinweis', 1]
    """
    if issues.empty:
        return pd.DataFrame(columns=["Regel", "Schwere", "Anzahl"])
    names = dict(RULES_DE)
    if codebook is not None:
        names.update({r.id: r.label for r in codebook.rules if r.label})
    counts = issues.groupby(["rule", "severity"]).size().reset_index(name="Anzahl")
    counts["Regel"] = counts["rule"].map(lambda r: names.get(r, r))
    counts["Schwere"] = counts["severity"].map({"error": "Fehler", "warning": "Hinweis"})
    return counts.sort_values("Anzahl", ascending=False, kind="stable")[
        ["Regel", "Schwere", "Anzahl"]
    ]
