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
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pandera.pandas as pa
from pandera.errors import SchemaErrors

from welcome_eval.codebook import Codebook, Item
from welcome_eval.municipalities import municipalities
from welcome_eval.readers import RawTable

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
}

STATUS_ACCEPTED = "accepted"
STATUS_FLAGGED = "accepted_with_flags"
STATUS_QUARANTINED = "quarantined"


class FileValidationError(ValueError):
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


def map_columns(columns: list[str], codebook: Codebook) -> tuple[dict[str, str], list[str]]:
    """Match file columns to codebook items by id or alias (case and spacing ignored).

    Returns ``{item_id: file_column}`` and the file columns that matched nothing.
    """
    lookup: dict[str, str] = {}
    for item in codebook:
        for name in (item.id, *item.aliases):
            lookup.setdefault(_normalise_name(name), item.id)
    mapping: dict[str, str] = {}
    unknown: list[str] = []
    for column in columns:
        item_id = lookup.get(_normalise_name(column))
        if item_id is None or item_id in mapping:
            unknown.append(column)
        else:
            mapping[item_id] = column
    return mapping, unknown


class _Issues:
    def __init__(self, file: str, source_rows: pd.Series) -> None:
        self.file = file
        self.source_rows = source_rows
        self.rows: list[dict[str, Any]] = []

    def add(
        self,
        index: Any,
        column: str | None,
        value: Any,
        rule: str,
        message: str,
        severity: str = "error",
    ) -> None:
        row = None if index is None else int(self.source_rows.loc[index])
        self.rows.append(
            {
                "file": self.file,
                "row": row,
                "column": column,
                "value": None if _is_missing(value) else str(value),
                "rule": rule,
                "severity": severity,
                "message": message,
                "_index": index,
            }
        )


def _is_missing(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and np.isnan(value):
        return True
    return isinstance(value, str) and value.strip() == ""


def _parse_number(value: Any) -> float:
    if isinstance(value, bool):
        raise ValueError
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    text = str(value).strip().replace("\u2212", "-")
    if re.fullmatch(r"-?\d{1,3}(\.\d{3})+(,\d+)?", text):
        text = text.replace(".", "")
    return float(text.replace(",", "."))


_DATE_FORMATS = ("%d.%m.%Y", "%Y-%m-%d", "%d.%m.%y", "%Y-%m-%d %H:%M:%S", "%d.%m.%Y %H:%M")


def _parse_date(value: Any) -> dt.date:
    if isinstance(value, pd.Timestamp | dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError


def _parse_municipality(value: Any) -> str:
    if isinstance(value, int | float | np.integer | np.floating):
        if float(value) != int(value):
            raise ValueError
        text = str(int(value))
    else:
        text = str(value).strip()
    if not text.isdigit() or not 7 <= len(text) <= 8:
        raise ValueError
    # Excel drops the leading zero of NRW keys (05...): put it back.
    return text.zfill(8)


def _parse_text(value: Any) -> str:
    return str(value).strip()


def _parse_id(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


_EXPECTED = {
    "id": "an identifier",
    "municipality": "an 8-digit municipality key",
    "categorical": "an integer code",
    "likert": "an integer code",
    "rating": "a whole number",
    "date": "a date (DD.MM.YYYY or YYYY-MM-DD)",
    "text": "text",
}


def _parser(item: Item) -> Callable[[Any], Any]:
    if item.type == "id":
        return _parse_id
    if item.type == "municipality":
        return _parse_municipality
    if item.type == "date":
        return _parse_date
    if item.type == "text":
        return _parse_text

    def parse_code(value: Any) -> float:
        number = _parse_number(value)
        if not float(number).is_integer():
            raise ValueError
        return number

    return parse_code


def _schema(codebook: Codebook) -> pa.DataFrameSchema:
    known_keys = set(municipalities()["ags"])
    columns: dict[str, pa.Column] = {}
    for item in codebook:
        checks: list[pa.Check] = []
        if item.type in ("likert", "categorical"):
            checks.append(
                pa.Check.isin(item.valid_codes, name="allowed_codes", error="allowed_codes")
            )
        elif item.type == "rating":
            checks.append(
                pa.Check.in_range(item.minimum, item.maximum, name="range", error="range")
            )
        elif item.type == "municipality":
            checks.append(
                pa.Check.isin(known_keys, name="municipality_known", error="municipality_known")
            )
        columns[item.id] = pa.Column(
            nullable=not item.required,
            unique=item.id == codebook.respondent_id,
            required=False,
            checks=checks,
        )
    return pa.DataFrameSchema(columns, strict=False)


def _check_rule(check: str) -> str:
    if check == "not_nullable":
        return "required"
    if check == "field_uniqueness":
        return "duplicate_id"
    return check.split("(")[0]


def validate(
    raw: RawTable,
    codebook: Codebook,
    *,
    fieldwork: tuple[dt.date, dt.date] | None = None,
) -> ValidationResult:
    """Map, parse and check a raw export against its codebook.

    Parameters
    ----------
    raw
        The cells as read by :func:`welcome_eval.readers.read_raw`.
    codebook
        The survey's codebook.
    fieldwork
        First and last day of fieldwork; dates after the last day are flagged.

    Raises
    ------
    FileValidationError
        The file has no data rows or lacks a required column.
    """
    file = raw.path.name
    frame = raw.frame
    if frame.empty:
        raise FileValidationError(f"{file}: the file has a header but no data rows")
    mapping, unknown = map_columns(list(frame.columns), codebook)
    missing_required = [i.id for i in codebook if i.required and i.id not in mapping]
    if missing_required:
        raise FileValidationError(
            f"{file}: required column(s) {', '.join(missing_required)} not found; the file has "
            f"columns {', '.join(map(str, frame.columns))}"
        )
    issues = _Issues(file, raw.source_rows)
    for column in unknown:
        issues.add(
            None,
            column,
            None,
            "unknown_column",
            "column is not in the codebook and was not read",
            "warning",
        )
    for item in codebook:
        if item.id not in mapping:
            issues.add(
                None,
                item.id,
                None,
                "missing_column",
                "codebook item not in the file; treated as not asked",
                "warning",
            )

    values = pd.DataFrame(index=frame.index)
    missing_codes = pd.DataFrame(index=frame.index)
    for item in codebook:
        column = mapping.get(item.id)
        cells = frame[column] if column else pd.Series(None, index=frame.index, dtype=object)
        parse = _parser(item)
        parsed: list[Any] = []
        codes: list[float] = []
        for index, cell in cells.items():
            code = np.nan
            value: Any = None
            if not _is_missing(cell):
                try:
                    value = parse(cell)
                except (ValueError, TypeError, OverflowError):
                    issues.add(index, column, cell, "type", f"expected {_EXPECTED[item.type]}")
                    value = None
                if item.is_coded and value is not None and int(value) in item.missing_codes:
                    code, value = value, None
            parsed.append(value)
            codes.append(code)
        if item.is_coded:
            values[item.id] = pd.Series(parsed, index=frame.index, dtype="float64")
            missing_codes[item.id] = pd.Series(codes, index=frame.index, dtype="float64")
        elif item.type in ("id", "municipality", "text"):
            values[item.id] = pd.Series(parsed, index=frame.index, dtype="string")
        else:
            values[item.id] = pd.Series(parsed, index=frame.index, dtype=object)

    typed_failures = {(i["_index"], i["column"]) for i in issues.rows if i["rule"] == "type"}
    try:
        _schema(codebook).validate(values, lazy=True)
    except SchemaErrors as errors:
        cases = errors.failure_cases
        cases = cases[cases["index"].notna()]
        for case in cases.itertuples(index=False):
            item_id = case.column
            column = mapping.get(item_id, item_id)
            if (case.index, column) in typed_failures:
                continue
            rule = _check_rule(str(case.check))
            original = frame.loc[case.index, column] if column in frame.columns else None
            message = {
                "required": "required answer is empty",
                "duplicate_id": "the same respondent id occurs in more than one row",
            }.get(rule, f"{codebook[item_id].short}: {_schema_error(codebook[item_id])}")
            issues.add(case.index, column, original, rule, message)

    for item in codebook.items_of(type="date"):
        if item not in mapping:
            continue
        low = codebook[item].minimum
        for index, value in values[item].items():
            if value is None:
                continue
            if low is not None and value < low:
                issues.add(
                    index,
                    mapping[item],
                    frame.loc[index, mapping[item]],
                    "date_range",
                    f"date before {low:%d.%m.%Y}",
                    "warning",
                )
            elif fieldwork and value > fieldwork[1]:
                issues.add(
                    index,
                    mapping[item],
                    frame.loc[index, mapping[item]],
                    "date_range",
                    f"date after the end of fieldwork ({fieldwork[1]:%d.%m.%Y})",
                    "warning",
                )

    _compare_value_labels(raw, codebook, mapping, issues)

    table = pd.DataFrame(issues.rows, columns=[*ISSUE_COLUMNS, "_index"])
    rows_with = lambda severity: set(table.loc[table["severity"] == severity, "_index"].dropna())  # noqa: E731
    errors_at, warnings_at = rows_with("error"), rows_with("warning")
    status = pd.Series(STATUS_ACCEPTED, index=frame.index, name="status")
    status[status.index.isin(warnings_at)] = STATUS_FLAGGED
    status[status.index.isin(errors_at)] = STATUS_QUARANTINED
    table = table.drop(columns="_index").astype({"row": "Int64"})
    return ValidationResult(
        values=values,
        missing_codes=missing_codes,
        issues=table.reset_index(drop=True),
        status=status,
        source_rows=raw.source_rows,
        column_map=mapping,
    )


def _schema_error(item: Item) -> str:
    if item.type == "rating":
        return (
            f"allowed are {int(item.minimum)}–{int(item.maximum)} or missing codes "
            f"{sorted(item.missing_codes)}"
        )
    if item.type == "municipality":
        return "not one of the 59 municipalities of Südwestfalen"
    return f"allowed codes are {item.valid_codes} and missing codes {sorted(item.missing_codes)}"


def _compare_value_labels(
    raw: RawTable, codebook: Codebook, mapping: dict[str, str], issues: _Issues
) -> None:
    for item_id, column in mapping.items():
        labels = raw.value_labels.get(column)
        if not labels:
            continue
        item = codebook[item_id]
        for code, label in labels.items():
            expected = item.label_for(code)
            if expected is not None and expected.strip() != str(label).strip():
                issues.add(
                    None,
                    column,
                    f"{code:g}={label}",
                    "value_label",
                    f"codebook says {code:g} = {expected!r}",
                    "warning",
                )


def issue_summary(issues: pd.DataFrame) -> pd.DataFrame:
    """Count problems by rule and severity, with the German rule name, for reports.

    Returns columns ``Regel``, ``Schwere`` (``Fehler`` quarantines the row,
    ``Hinweis`` flags it), ``Anzahl``; no values, rows or identifiers.
    """
    if issues.empty:
        return pd.DataFrame(columns=["Regel", "Schwere", "Anzahl"])
    counts = issues.groupby(["rule", "severity"]).size().reset_index(name="Anzahl")
    counts["Regel"] = counts["rule"].map(lambda r: RULES_DE.get(r, r))
    counts["Schwere"] = counts["severity"].map({"error": "Fehler", "warning": "Hinweis"})
    return counts.sort_values("Anzahl", ascending=False)[["Regel", "Schwere", "Anzahl"]]
