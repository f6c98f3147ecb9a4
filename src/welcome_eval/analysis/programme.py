r"""The programme record: participation, round tables, costs, cost per retained newcomer.

The records are data files in ``<data_dir>/programme/`` (the real agency's lists, or the
synthetic demo); their schemas — columns, types, allowed values, rules — are in
``surveys/programme/*.yaml`` (see its README). Every reader here checks the file against
its schema and refuses it with :class:`RecordError` (naming file, row, column, value and
rule of every problem) rather than computing programme figures from a wrong record.

* Participation: :func:`participation_record`, :func:`participating_on`,
  :func:`participation_over_time`, :func:`participation_milestones` (the counts the
  agency reported, from ``teilnahme.yaml``), :func:`join_cohort`, :func:`coverage` (by
  district or by size class, :func:`size_class`), :func:`response_by_district`.
* Round tables: :func:`round_tables`, :func:`round_table_attendance`,
  :func:`participants_by_role`, :func:`attendance_by_meeting`,
  :func:`attendance_by_municipality`.
* Costs: :func:`fee_rule`, :func:`municipal_contributions`, :func:`regional_funding`,
  :func:`programme_costs`, :func:`additional_retained` (with
  :func:`extract_sampling_fraction` for a sampled register extract) and
  :func:`cost_per_retained_newcomer`.

Cost per additionally retained newcomer
    With total programme cost :math:`C` (an accounting figure, taken as known) and the
    estimated number of additionally retained newcomers :math:`\hat R` with confidence
    interval :math:`[R_l, R_u]`, the cost per additionally retained newcomer is
    :math:`C / \hat R`. Because :math:`r \mapsto C / r` is strictly decreasing for
    :math:`r > 0`, the interval carries over exactly: :math:`[C / R_u, C / R_l]` has the
    same coverage as :math:`[R_l, R_u]` (a confidence interval is equivariant under
    monotone transformations). If the interval includes zero (:math:`R_l \le 0 < R_u`),
    the data are compatible with no additional newcomer at all: the cost per retained
    newcomer has no upper bound (:math:`[C / R_u, \infty)`). If :math:`R_u \le 0` there
    is no evidence of any additional newcomer and the ratio is not defined.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from welcome_eval.config import data_dir as default_data_dir
from welcome_eval.config import surveys_dir
from welcome_eval.errors import WelcomeEvalError
from welcome_eval.ingest.limits import safe_load_text
from welcome_eval.municipalities import DISTRICTS, municipalities

#: File of the participation record inside the data directory.
RECORD_FILE = Path("programme") / "teilnahme.csv"
#: German labels of the three municipal roles at the round tables (columns of the record).
ROLES: dict[str, str] = {
    "city_marketing": "Stadtmarketing",
    "economic_development": "Wirtschaftsförderung",
    "administration": "Verwaltung",
}
#: Size classes by inhabitants: (lower bound, German label).
SIZE_CLASSES: tuple[tuple[int, str], ...] = (
    (0, "unter 10.000 Einw."),
    (10_000, "10.000 bis unter 20.000 Einw."),
    (20_000, "20.000 bis unter 50.000 Einw."),
    (50_000, "50.000 Einw. und mehr"),
)
#: Label of the total row in tables by district or size class.
TOTAL = "Südwestfalen"

__all__ = [
    "RECORD_FILE",
    "ROLES",
    "SIZE_CLASSES",
    "ParticipationRecordError",
    "RecordError",
    "additional_retained",
    "attendance_by_meeting",
    "attendance_by_municipality",
    "cost_per_retained_newcomer",
    "coverage",
    "extract_sampling_fraction",
    "fee_rule",
    "join_cohort",
    "municipal_contributions",
    "participants_by_role",
    "participating_on",
    "participation_milestones",
    "participation_over_time",
    "participation_record",
    "programme_costs",
    "programme_start",
    "regional_funding",
    "response_by_district",
    "round_table_attendance",
    "round_tables",
    "size_class",
]


class RecordError(WelcomeEvalError, ValueError):
    """A programme record is missing or breaks its schema.

    ``issues`` holds every problem: ``file``, ``row`` (line in the file, header = 1),
    ``column``, ``value``, ``rule``, ``message``.
    """

    def __init__(self, message: str, issues: pd.DataFrame | None = None) -> None:
        super().__init__(message)
        self.issues = (
            issues
            if issues is not None
            else pd.DataFrame(columns=["file", "row", "column", "value", "rule", "message"])
        )


class ParticipationRecordError(RecordError):
    """The participation record is missing or inconsistent."""


# ---------------------------------------------------------------------------
# schemas and the generic check


@cache
def _schema_file(name: str) -> dict[str, Any]:
    path = surveys_dir() / "programme" / f"{name}.yaml"
    if not path.is_file():
        raise RecordError(f"{path}: schema not found")
    return safe_load_text(path.read_text(encoding="utf-8"))


def _schema(name: str) -> dict[str, Any]:
    if name == "foerderung":
        return _schema_file("kosten")["funding"]
    return _schema_file(name)


def programme_start() -> dt.date:
    """The official start of the offensive (``surveys/programme/teilnahme.yaml``).

    >>> programme_start()
    datetime.date(2017, 12, 1)
    """
    value = _schema("teilnahme")["programme_start"]
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


_DATE_FORMATS = ("%Y-%m-%d", "%d.%m.%Y")


def _parse_date(text: str) -> pd.Timestamp | None:
    for fmt in _DATE_FORMATS:
        try:
            return pd.Timestamp(dt.datetime.strptime(text, fmt))
        except ValueError:
            continue
    return None


class _Issues:
    def __init__(self, file: str) -> None:
        self.file = file
        self.rows: list[dict[str, Any]] = []

    def add(self, row: int | None, column: str | None, value: Any, rule: str, message: str):
        self.rows.append(
            {
                "file": self.file,
                "row": row,
                "column": column,
                "value": None if value is None else str(value),
                "rule": rule,
                "message": message,
            }
        )

    def raise_if_any(self, error: type[RecordError], title: str) -> None:
        if not self.rows:
            return
        issues = pd.DataFrame(self.rows)
        lines = [
            f"{r['file']}, row {r['row'] if r['row'] is not None else '–'}, column "
            f"{r['column'] or '–'}, value {r['value']!r}: {r['message']} (rule {r['rule']})"
            for r in self.rows[:12]
        ]
        more = f"\n… and {len(self.rows) - 12} more" if len(self.rows) > 12 else ""
        raise error(
            f"{self.file}: the {title} breaks {len(self.rows)} rule(s) of its schema:\n"
            + "\n".join(lines)
            + more,
            issues,
        )


def _line(index: int) -> int:
    """Line in the CSV file of a data row (header = line 1)."""
    return int(index) + 2


def _read_checked(
    name: str,
    data_dir: str | Path | None,
    error: type[RecordError] = RecordError,
) -> tuple[pd.DataFrame, _Issues, Path, dict[str, Any]]:
    """Read a record file as text, check every column against the schema, parse it."""
    schema = _schema(name)
    path = Path(data_dir or default_data_dir()) / schema["file"]
    if not path.is_file():
        raise error(f"{path}: {schema['title']} not found (expected {schema['file']})")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise error(f"{path}: cannot read the {schema['title']}: {exc}") from exc
    issues = _Issues(str(path))
    specs = schema["columns"]
    known_keys = set(municipalities()["ags"])
    for spec in specs:
        if spec["name"] not in raw and spec.get("required"):
            issues.add(None, spec["name"], None, "column_present", "required column is missing")
    issues.raise_if_any(error, schema["title"])
    parsed = pd.DataFrame(index=raw.index)
    for spec in specs:
        column, kind = spec["name"], spec["type"]
        if column not in raw:
            parsed[column] = pd.NA
            continue
        text = raw[column].str.strip()
        blank = text == ""
        for index in raw.index[blank & bool(spec.get("required"))]:
            issues.add(_line(index), column, "", "required", "a value is required")
        values: list[Any] = []
        for index, cell in zip(raw.index, text, strict=True):
            if cell == "":
                values.append(None)
                continue
            value: Any = cell
            if kind == "municipality":
                value = cell.zfill(8) if cell.isdigit() and len(cell) == 7 else cell
                if value not in known_keys:
                    issues.add(
                        _line(index),
                        column,
                        cell,
                        "municipality_known",
                        "not one of the 59 municipality keys of Südwestfalen",
                    )
            elif kind == "date":
                value = _parse_date(cell)
                if value is None:
                    issues.add(
                        _line(index), column, cell, "date", "not a date (YYYY-MM-DD or DD.MM.YYYY)"
                    )
            elif kind in ("integer", "number"):
                try:
                    value = float(cell.replace(",", ".")) if kind == "number" else int(cell)
                except ValueError:
                    issues.add(_line(index), column, cell, kind, f"not a {kind}")
                    value = None
            elif kind == "choice" and cell not in spec["values"]:
                allowed = ", ".join(spec["values"])
                issues.add(_line(index), column, cell, "allowed_values", f"allowed: {allowed}")
            if value is not None and ("min" in spec or "max" in spec):
                low, high = spec.get("min"), spec.get("max")
                if kind == "date":
                    low = pd.Timestamp(low) if low is not None else None
                    high = pd.Timestamp(high) if high is not None else None
                if low is not None and value < low:
                    issues.add(_line(index), column, cell, "min", f"must not be before/below {low}")
                if high is not None and value > high:
                    issues.add(_line(index), column, cell, "max", f"must not be after/above {high}")
            values.append(value)
        series = pd.Series(values, index=raw.index, dtype=object)
        if spec.get("unique"):
            repeated = series.notna() & series.duplicated(keep=False)
            for index in raw.index[repeated]:
                issues.add(_line(index), column, text[index], "unique", "appears more than once")
        if kind == "date":
            series = pd.to_datetime(series)
        elif kind == "integer":
            series = pd.array(series, dtype="Int64")
        elif kind == "number":
            series = series.astype("float64")
        parsed[column] = series
    implemented = _RULES.get(name, set())
    for rule in schema.get("rules") or []:
        if rule["id"] not in implemented:
            issues.add(None, None, rule["id"], "schema", f"rule {rule['id']!r} is not implemented")
    return parsed, issues, path, schema


_RULES: dict[str, set[str]] = {
    "teilnahme": {
        "every_municipality_once",
        "name_matches_key",
        "left_after_joined",
        "not_in_future",
    },
    "runde_tische": {
        "numbers_consecutive",
        "host_given_unless_digital",
        "host_participating",
        "not_in_future",
    },
    "runde_tische_teilnahme": {
        "meeting_known",
        "once_per_meeting",
        "attendee_participating",
        "persons_match_roles",
    },
    "foerderung": set(),
}


def _as_of(as_of: dt.date | str | pd.Timestamp | None) -> pd.Timestamp:
    return pd.Timestamp(as_of) if as_of is not None else pd.Timestamp(dt.date.today())


def _check_not_in_future(
    frame: pd.DataFrame, columns: Sequence[str], issues: _Issues, as_of: pd.Timestamp
) -> None:
    for column in columns:
        late = frame[column].notna() & (frame[column] > as_of)
        for index in frame.index[late]:
            issues.add(
                _line(index),
                column,
                frame.at[index, column].date(),
                "not_in_future",
                f"date lies after the day of the check ({as_of.date()})",
            )


# ---------------------------------------------------------------------------
# participation


def participation_record(
    data_dir: str | Path | None = None, *, as_of: dt.date | str | None = None
) -> pd.DataFrame:
    """Join (and leave) dates of all 59 municipalities, checked against the schema.

    Reads ``<data_dir>/programme/teilnahme.csv`` (columns ``ags``, ``name``, ``joined``,
    ``left``; ISO dates, empty if never) and checks it against
    ``surveys/programme/teilnahme.yaml``: known keys, each of the 59 exactly once, the
    name matching the key, plausible dates (not before 1 October 2017, not after
    ``as_of``, leaving after joining).

    Parameters
    ----------
    data_dir
        The data directory (default: ``$WELCOME_EVAL_DATA`` or the demo data).
    as_of
        Day of the check: later dates are errors (default: today).

    Returns
    -------
    pandas.DataFrame
        One row per municipality in the reference order: ``ags``, ``name``,
        ``district`` (ordered categorical), ``population``, ``joined``, ``left``
        (``datetime64``; NaT: never / not left).

    Raises
    ------
    ParticipationRecordError
        File missing, or any rule broken; ``.issues`` lists every problem.

    Examples
    --------
    >>> record = participation_record()
    >>> len(record), int(record["joined"].notna().sum())
    (59, 44)
    """
    frame, issues, _, _ = _read_checked("teilnahme", data_dir, ParticipationRecordError)
    reference = municipalities()[["ags", "name", "district", "population"]]
    names = reference.set_index("ags")["name"]
    present = set(frame["ags"].dropna())
    for key in sorted(set(names.index) - present):
        issues.add(
            None,
            "ags",
            key,
            "every_municipality_once",
            f"municipality {key} ({names[key]}) is missing from the record",
        )
    for index, key, name in zip(frame.index, frame["ags"], frame["name"], strict=True):
        if key in names.index and name is not None and str(name).strip() != names[key]:
            issues.add(
                _line(index),
                "name",
                name,
                "name_matches_key",
                f"key {key} is {names[key]}, not {name}",
            )
    left_early = frame["left"].notna() & (
        frame["joined"].isna() | (frame["left"] <= frame["joined"])
    )
    for index in frame.index[left_early]:
        issues.add(
            _line(index),
            "left",
            frame.at[index, "left"].date(),
            "left_after_joined",
            "a municipality can only leave after it joined",
        )
    _check_not_in_future(frame, ["joined", "left"], issues, _as_of(as_of))
    issues.raise_if_any(ParticipationRecordError, "participation record")
    return reference.merge(frame[["ags", "joined", "left"]], on="ags", how="left")


def participating_on(record: pd.DataFrame, date: dt.date | str | pd.Timestamp) -> pd.Series:
    """Boolean mask: which municipalities took part on ``date``.

    A municipality takes part from its join date (inclusive) until its leave date
    (exclusive).

    Examples
    --------
    >>> r = pd.DataFrame({"joined": pd.to_datetime(["2018-01-01", None, "2018-01-01"]),
    ...                   "left": pd.to_datetime([None, None, "2019-01-01"])})
    >>> participating_on(r, "2019-01-01").tolist()
    [True, False, False]
    """
    when = pd.Timestamp(date)
    joined = record["joined"].notna() & (record["joined"] <= when)
    still_in = record["left"].isna() | (record["left"] > when)
    return joined & still_in


def participation_over_time(
    record: pd.DataFrame,
    *,
    start: dt.date | str | None = None,
    end: dt.date | str | None = None,
) -> pd.DataFrame:
    """Participating municipalities at the end of every month.

    Parameters
    ----------
    record
        :func:`participation_record`.
    start, end
        First and last month (default: the month of the first join date, and December
        of the year of the last join or leave date).

    Returns
    -------
    pandas.DataFrame
        ``date`` (month end), ``participating``, ``municipalities`` (all in the record,
        59), ``share``.

    Examples
    --------
    >>> t = participation_over_time(participation_record(), end="2018-03-31")
    >>> t[["date", "participating"]].tail(1).to_string(index=False)
    '      date  participating\\n2018-03-31             30'
    """
    events = pd.concat([record["joined"], record["left"]]).dropna()
    if events.empty:
        raise ValueError("the record has no join date; nothing to show over time")
    first = pd.Timestamp(start) if start is not None else events.min()
    last = pd.Timestamp(end) if end is not None else pd.Timestamp(events.max().year, 12, 31)
    if last < first:
        raise ValueError(f"end {last.date()} lies before start {first.date()}")
    dates = pd.date_range(first.to_period("M").to_timestamp("M"), last, freq="ME")
    counts = [int(participating_on(record, d).sum()) for d in dates]
    table = pd.DataFrame({"date": dates, "participating": counts})
    table["municipalities"] = len(record)
    table["share"] = table["participating"] / table["municipalities"]
    return table


def participation_milestones(record: pd.DataFrame) -> pd.DataFrame:
    """The participation the agency reported, next to what the record gives.

    The documented dates and counts are in ``surveys/programme/teilnahme.yaml``
    (``milestones``): 30 of 59 municipalities four months after the start
    (31 March 2018) and 38 by the end of November 2019.

    Returns
    -------
    pandas.DataFrame
        ``date``, ``label``, ``documented``, ``in_record``, ``municipalities``,
        ``matches``.

    Examples
    --------
    >>> m = participation_milestones(participation_record())
    >>> m[["documented", "in_record"]].values.tolist()
    [[30, 30], [38, 38]]
    """
    rows = []
    for milestone in _schema("teilnahme").get("milestones") or []:
        date = pd.Timestamp(milestone["date"])
        count = int(participating_on(record, date).sum())
        rows.append(
            {
                "date": date,
                "label": str(milestone["label"]),
                "documented": int(milestone["participating"]),
                "in_record": count,
                "municipalities": len(record),
                "matches": count == int(milestone["participating"]),
            }
        )
    return pd.DataFrame(rows)


def join_cohort(joined: pd.Series) -> pd.Categorical:
    """When a municipality joined, in the periods of the documented milestones.

    With the milestones of ``surveys/programme/teilnahme.yaml`` (31.03.2018, 30.11.2019):
    "Beitritt bis 31.03.2018", "Beitritt bis 30.11.2019", "Beitritt danach" and
    "nicht beigetreten" (NaT).

    Examples
    --------
    >>> list(join_cohort(pd.to_datetime(pd.Series(["2018-01-05", "2019-02-01", None]))))
    ['Beitritt bis 31.03.2018', 'Beitritt bis 30.11.2019', 'nicht beigetreten']
    """
    dates = [pd.Timestamp(m["date"]) for m in _schema("teilnahme").get("milestones") or []]
    labels = [f"Beitritt bis {d:%d.%m.%Y}" for d in dates] + ["Beitritt danach"]
    values = pd.to_datetime(pd.Series(joined))
    result = []
    for value in values:
        if pd.isna(value):
            result.append("nicht beigetreten")
            continue
        result.append(
            next((lab for d, lab in zip(dates, labels, strict=False) if value <= d), labels[-1])
        )
    return pd.Categorical(result, categories=[*labels, "nicht beigetreten"], ordered=True)


def size_class(population: pd.Series | Sequence[float]) -> pd.Categorical:
    """Size class of municipalities by inhabitants (:data:`SIZE_CLASSES`).

    Examples
    --------
    >>> list(size_class([9_999, 10_000, 52_000]))
    ['unter 10.000 Einw.', '10.000 bis unter 20.000 Einw.', '50.000 Einw. und mehr']
    """
    values = pd.to_numeric(pd.Series(population), errors="coerce")
    if values.isna().any() or (values < 0).any():
        raise ValueError("population must be a non-negative number for every municipality")
    bounds = [b for b, _ in SIZE_CLASSES] + [math.inf]
    labels = [label for _, label in SIZE_CLASSES]
    return pd.cut(values, bounds, right=False, labels=labels).array


def coverage(
    record: pd.DataFrame,
    on: dt.date | str | pd.Timestamp,
    *,
    by: str = "district",
) -> pd.DataFrame:
    """How many municipalities (and inhabitants) take part, by district or size class.

    Parameters
    ----------
    record
        :func:`participation_record` (with ``district`` and ``population``).
    on
        The reference date.
    by
        ``"district"`` or ``"size_class"`` (:data:`SIZE_CLASSES`).

    Returns
    -------
    pandas.DataFrame
        One row per group plus ``Südwestfalen``: ``group``, ``municipalities``,
        ``participating``, ``share``, ``population``, ``population_participating``,
        ``population_share``. Rows are municipalities, not persons.

    Examples
    --------
    >>> c = coverage(participation_record(), "2019-11-30")
    >>> row = c.iloc[-1]
    >>> row["group"], int(row["municipalities"]), int(row["participating"])
    ('Südwestfalen', 59, 38)
    """
    if by not in ("district", "size_class"):
        raise ValueError(f'by must be "district" or "size_class", got {by!r}')
    frame = record.assign(taking_part=participating_on(record, on).to_numpy())
    if by == "size_class":
        frame["group"] = pd.Categorical(
            size_class(frame["population"]), categories=[label for _, label in SIZE_CLASSES]
        )
    else:
        frame["group"] = pd.Categorical(frame["district"], categories=list(DISTRICTS))
    frame["pop_in"] = frame["population"].where(frame["taking_part"], 0)
    table = frame.groupby("group", observed=False).agg(
        municipalities=("ags", "size"),
        participating=("taking_part", "sum"),
        population=("population", "sum"),
        population_participating=("pop_in", "sum"),
    )
    table.loc[TOTAL] = table.sum()
    table = table.astype("int64").reset_index(names="group")
    table["group"] = table["group"].astype(str)
    table["share"] = table["participating"] / table["municipalities"].where(
        table["municipalities"] > 0
    )
    table["population_share"] = table["population_participating"] / table["population"].where(
        table["population"] > 0
    )
    return table[
        [
            "group",
            "municipalities",
            "participating",
            "share",
            "population",
            "population_participating",
            "population_share",
        ]
    ]


def response_by_district(
    data: pd.DataFrame,
    record: pd.DataFrame,
    on: dt.date | str | pd.Timestamp,
    *,
    municipality: str = "ags",
) -> pd.DataFrame:
    """Participating municipalities, responding municipalities and respondents per district.

    ``data`` is a wave's tidy data (one row per respondent, a municipality key
    column); ``record`` the participation record; ``on`` the reference date
    (usually the first day of fieldwork). Returns one row per district plus a
    total row ``Südwestfalen``: ``district``, ``municipalities``,
    ``participating``, ``responding``, ``response_rate`` (responding among
    participating), ``respondents``.
    """
    if municipality not in data:
        raise KeyError(f"column {municipality!r} not in data")
    participating = record.loc[participating_on(record, on), "ags"]
    respondents = data.groupby(municipality).size()
    frame = record[["ags", "district"]].assign(
        participating=record["ags"].isin(participating),
        responding=record["ags"].isin(respondents.index) & record["ags"].isin(participating),
        respondents=record["ags"].map(respondents).fillna(0).astype(int),
    )
    table = frame.groupby("district", observed=False).agg(
        municipalities=("ags", "size"),
        participating=("participating", "sum"),
        responding=("responding", "sum"),
        respondents=("respondents", "sum"),
    )
    table.loc[TOTAL] = table.sum()
    table = table.astype(int).reset_index().rename(columns={"index": "district"})
    table["district"] = table["district"].astype(str)
    table["response_rate"] = table["responding"] / table["participating"].where(
        table["participating"] > 0
    )
    return table[
        [
            "district",
            "municipalities",
            "participating",
            "responding",
            "response_rate",
            "respondents",
        ]
    ]


# ---------------------------------------------------------------------------
# round tables


def round_tables(
    data_dir: str | Path | None = None,
    *,
    record: pd.DataFrame | None = None,
    as_of: dt.date | str | None = None,
) -> pd.DataFrame:
    """The round tables, checked against ``surveys/programme/runde_tische.yaml``.

    Parameters
    ----------
    data_dir
        The data directory.
    record
        The participation record (default: read from ``data_dir``), to check that the
        host takes part on the day.
    as_of
        Day of the check (default: today): later dates are errors.

    Returns
    -------
    pandas.DataFrame
        One row per meeting: ``number``, ``date``, ``format``, ``format_label``,
        ``host_ags``, ``host`` (name, or "digital"), ``topic``, the role columns of
        :data:`ROLES`, ``agency_and_guests``, ``municipal_participants`` (sum of the
        roles) and ``participants`` (all).

    Examples
    --------
    >>> t = round_tables()
    >>> row = t.loc[t["number"] == 12].iloc[0]
    >>> row["host"], int(row["municipal_participants"])
    ('Meinerzhagen', 39)
    """
    frame, issues, _, schema = _read_checked("runde_tische", data_dir)
    record = record if record is not None else participation_record(data_dir, as_of=as_of)
    ordered = frame.dropna(subset=["number"]).sort_values("number")
    expected = list(range(1, len(ordered) + 1))
    if ordered["number"].astype(int).tolist() != expected:
        issues.add(
            None,
            "number",
            ", ".join(map(str, ordered["number"].astype(int))),
            "numbers_consecutive",
            f"meetings must be numbered 1 to {len(ordered)} without gaps",
        )
    dates = ordered["date"]
    for index in ordered.index[(dates.diff() <= pd.Timedelta(0)).to_numpy()]:
        issues.add(
            _line(index),
            "date",
            frame.at[index, "date"],
            "numbers_consecutive",
            "a meeting must take place after the one numbered before it",
        )
    needs_host = frame["format"].isin(["vor_ort", "hybrid"])
    for index in frame.index[needs_host & frame["host_ags"].isna()]:
        issues.add(
            _line(index),
            "host_ags",
            "",
            "host_given_unless_digital",
            "a meeting on site or hybrid needs a host municipality",
        )
    for index in frame.index[(frame["format"] == "digital") & frame["host_ags"].notna()]:
        issues.add(
            _line(index),
            "host_ags",
            frame.at[index, "host_ags"],
            "host_given_unless_digital",
            "a digital meeting has no host municipality",
        )
    joined = record.set_index("ags")
    for index, host, date in zip(frame.index, frame["host_ags"], frame["date"], strict=True):
        if host is None or host != host or host not in joined.index or pd.isna(date):
            continue
        if not bool(participating_on(joined.loc[[host]], date).iloc[0]):
            issues.add(
                _line(index),
                "host_ags",
                host,
                "host_participating",
                f"{joined.at[host, 'name']} does not take part on {date.date()}",
            )
    _check_not_in_future(frame, ["date"], issues, _as_of(as_of))
    issues.raise_if_any(RecordError, schema["title"])
    formats = next(c for c in schema["columns"] if c["name"] == "format")["values"]
    names = municipalities().set_index("ags")["name"]
    frame["format_label"] = frame["format"].map(formats)
    frame["host"] = [names[h] if isinstance(h, str) else "digital" for h in frame["host_ags"]]
    for column in [*ROLES, "agency_and_guests", "number"]:
        frame[column] = frame[column].astype("int64")
    frame["municipal_participants"] = frame[list(ROLES)].sum(axis=1)
    frame["participants"] = frame["municipal_participants"] + frame["agency_and_guests"]
    columns = [
        "number",
        "date",
        "format",
        "format_label",
        "host_ags",
        "host",
        "topic",
        *ROLES,
        "agency_and_guests",
        "municipal_participants",
        "participants",
    ]
    return frame[columns].sort_values("number").reset_index(drop=True)


def round_table_attendance(
    data_dir: str | Path | None = None,
    *,
    tables: pd.DataFrame | None = None,
    record: pd.DataFrame | None = None,
    as_of: dt.date | str | None = None,
) -> pd.DataFrame:
    """Which municipality sent how many people to which round table, checked.

    Checked against ``surveys/programme/runde_tische_teilnahme.yaml``: the meeting is
    known, a municipality appears once per meeting, it takes part in the offensive on the
    day, and the people per meeting add up to the meeting's municipal roles.

    Returns
    -------
    pandas.DataFrame
        ``number``, ``date``, ``ags``, ``name``, ``district``, ``persons``.

    Examples
    --------
    >>> a = round_table_attendance()
    >>> int(a.loc[a["number"] == 12, "persons"].sum())
    39
    """
    frame, issues, _, schema = _read_checked("runde_tische_teilnahme", data_dir)
    record = record if record is not None else participation_record(data_dir, as_of=as_of)
    tables = tables if tables is not None else round_tables(data_dir, record=record, as_of=as_of)
    meetings = tables.set_index("number")
    known = frame["number"].isin(meetings.index).fillna(False).astype(bool)
    for index in frame.index[~known & frame["number"].notna()]:
        issues.add(
            _line(index),
            "number",
            frame.at[index, "number"],
            "meeting_known",
            "no round table with this number",
        )
    twice = frame.duplicated(["number", "ags"], keep=False) & frame["ags"].notna()
    for index in frame.index[twice]:
        issues.add(
            _line(index),
            "ags",
            frame.at[index, "ags"],
            "once_per_meeting",
            f"listed more than once for round table {frame.at[index, 'number']}",
        )
    by_ags = record.set_index("ags")
    for index, number, key in zip(frame.index, frame["number"], frame["ags"], strict=True):
        if pd.isna(number) or number not in meetings.index or key not in by_ags.index:
            continue
        date = meetings.at[int(number), "date"]
        if not bool(participating_on(by_ags.loc[[key]], date).iloc[0]):
            issues.add(
                _line(index),
                "ags",
                key,
                "attendee_participating",
                f"{by_ags.at[key, 'name']} does not take part in the offensive on "
                f"{date.date()} (round table {int(number)})",
            )
    sums = frame[known].groupby("number")["persons"].sum()
    for number, row in meetings.iterrows():
        listed = int(sums.get(number, 0))
        if listed != int(row["municipal_participants"]):
            issues.add(
                None,
                "persons",
                listed,
                "persons_match_roles",
                f"round table {number}: {listed} people listed, but the roles in "
                f"runde_tische.csv add up to {int(row['municipal_participants'])}",
            )
    issues.raise_if_any(RecordError, schema["title"])
    frame["number"] = frame["number"].astype("int64")
    frame["persons"] = frame["persons"].astype("int64")
    frame["date"] = frame["number"].map(meetings["date"])
    frame = frame.merge(by_ags[["name", "district"]], left_on="ags", right_index=True)
    columns = ["number", "date", "ags", "name", "district", "persons"]
    return frame[columns].sort_values(["number", "ags"]).reset_index(drop=True)


def participants_by_role(tables: pd.DataFrame) -> pd.DataFrame:
    """Participants per round table and role, long format (for stacked bars).

    Returns ``number``, ``date``, ``role`` (German: the three municipal roles and
    "Agentur und Gäste") and ``persons``.

    Examples
    --------
    >>> t = pd.DataFrame({"number": [1], "date": pd.to_datetime(["2018-01-01"]),
    ...     "city_marketing": [3], "economic_development": [2], "administration": [1],
    ...     "agency_and_guests": [4]})
    >>> participants_by_role(t)["persons"].tolist()
    [3, 2, 1, 4]
    """
    labels = {**ROLES, "agency_and_guests": "Agentur und Gäste"}
    missing = [c for c in ["number", "date", *labels] if c not in tables]
    if missing:
        raise KeyError(f"tables lacks columns {missing}; pass round_tables()")
    long = tables.melt(
        id_vars=["number", "date"], value_vars=list(labels), var_name="role", value_name="persons"
    )
    long["role"] = pd.Categorical(
        long["role"].map(labels), categories=list(labels.values()), ordered=True
    )
    long["persons"] = long["persons"].astype("int64")
    return long.sort_values(["number", "role"]).reset_index(drop=True)


def attendance_by_meeting(
    attendance: pd.DataFrame, tables: pd.DataFrame, record: pd.DataFrame
) -> pd.DataFrame:
    """Per round table: municipalities taking part that day, how many came, the share.

    Returns ``number``, ``date``, ``format_label``, ``host``, ``participating``,
    ``attending``, ``share``, ``municipal_participants``, ``participants``.
    """
    rows = []
    attending = attendance.groupby("number")["ags"].nunique()
    for _, meeting in tables.iterrows():
        taking_part = int(participating_on(record, meeting["date"]).sum())
        came = int(attending.get(meeting["number"], 0))
        rows.append(
            {
                "number": int(meeting["number"]),
                "date": meeting["date"],
                "format_label": meeting["format_label"],
                "host": meeting["host"],
                "participating": taking_part,
                "attending": came,
                "share": came / taking_part if taking_part else math.nan,
                "municipal_participants": int(meeting["municipal_participants"]),
                "participants": int(meeting["participants"]),
            }
        )
    return pd.DataFrame(rows)


def attendance_by_municipality(
    attendance: pd.DataFrame, tables: pd.DataFrame, record: pd.DataFrame
) -> pd.DataFrame:
    """Per municipality and year: round tables held while it took part, and attended.

    Returns
    -------
    pandas.DataFrame
        One row per municipality (that ever took part) and calendar year with at least
        one meeting held while it took part: ``ags``, ``name``, ``district``, ``year``,
        ``held``, ``attended``, ``share`` (attended / held).

    Examples
    --------
    >>> r = pd.DataFrame({"ags": ["A"], "name": ["a"], "district": ["K"],
    ...     "joined": pd.to_datetime(["2018-01-01"]), "left": pd.to_datetime([None])})
    >>> t = pd.DataFrame({"number": [1, 2], "date": pd.to_datetime(["2018-03-01", "2018-09-01"])})
    >>> a = pd.DataFrame({"number": [2], "ags": ["A"]})
    >>> attendance_by_municipality(a, t, r)[["year", "held", "attended", "share"]]
       year  held  attended  share
    0  2018     2         1    0.5
    """
    came = set(zip(attendance["number"], attendance["ags"], strict=True))
    rows = []
    for _, municipality in record.iterrows():
        if pd.isna(municipality["joined"]):
            continue
        one = record.loc[[_]]
        for _, meeting in tables.iterrows():
            if not bool(participating_on(one, meeting["date"]).iloc[0]):
                continue
            rows.append(
                {
                    "ags": municipality["ags"],
                    "name": municipality["name"],
                    "district": municipality["district"],
                    "year": int(meeting["date"].year),
                    "attended": (meeting["number"], municipality["ags"]) in came,
                }
            )
    frame = pd.DataFrame(rows, columns=["ags", "name", "district", "year", "attended"])
    table = (
        frame.groupby(["ags", "name", "district", "year"], sort=False, observed=True)
        .agg(held=("attended", "size"), attended=("attended", "sum"))
        .reset_index()
    )
    table["held"] = table["held"].astype("int64")
    table["attended"] = table["attended"].astype("int64")
    table["share"] = table["attended"] / table["held"]
    return table


# ---------------------------------------------------------------------------
# costs


def fee_rule() -> dict[str, Any]:
    """The municipalities' fees (``surveys/programme/kosten.yaml``).

    Examples
    --------
    >>> fee_rule()
    {'start_fee_eur': 1500.0, 'annual_fee_eur': 1500.0, 'annual_fee_first_due': 'on_joining'}
    """
    raw = _schema_file("kosten")
    first_due = str(raw.get("annual_fee_first_due", "on_joining"))
    if first_due not in ("on_joining", "first_anniversary"):
        raise RecordError(
            "surveys/programme/kosten.yaml: annual_fee_first_due must be on_joining or "
            f"first_anniversary, got {first_due!r}"
        )
    return {
        "start_fee_eur": float(raw["start_fee_eur"]),
        "annual_fee_eur": float(raw["annual_fee_eur"]),
        "annual_fee_first_due": first_due,
    }


def municipal_contributions(
    record: pd.DataFrame,
    *,
    until: dt.date | str | pd.Timestamp,
    fees: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """What each municipality paid per calendar year up to ``until`` (inclusive).

    The start fee is due on the join date; the annual fee on the join date (or, with
    ``annual_fee_first_due: first_anniversary``, from the first anniversary) and on every
    anniversary while the municipality takes part (:func:`fee_rule`).

    Returns
    -------
    pandas.DataFrame
        One row per paying municipality and year: ``ags``, ``name``, ``year``,
        ``start_fee``, ``annual_fees``, ``total`` (euro).

    Examples
    --------
    >>> r = pd.DataFrame({"ags": ["A"], "name": ["a"],
    ...     "joined": pd.to_datetime(["2018-03-01"]), "left": pd.to_datetime([None])})
    >>> municipal_contributions(r, until="2019-12-31")[["year", "start_fee", "annual_fees"]]
       year  start_fee  annual_fees
    0  2018     1500.0       1500.0
    1  2019        0.0       1500.0
    """
    fees = dict(fees or fee_rule())
    end = pd.Timestamp(until)
    offset = 0 if fees["annual_fee_first_due"] == "on_joining" else 1
    rows = []
    for _, row in record.iterrows():
        joined, left = row["joined"], row["left"]
        if pd.isna(joined) or joined > end:
            continue
        rows.append(
            {
                "ags": row["ags"],
                "name": row["name"],
                "year": joined.year,
                "start_fee": fees["start_fee_eur"],
                "annual_fees": 0.0,
            }
        )
        k = offset
        while True:
            due = joined + pd.DateOffset(years=k)
            if due > end or (pd.notna(left) and due >= left):
                break
            rows.append(
                {
                    "ags": row["ags"],
                    "name": row["name"],
                    "year": due.year,
                    "start_fee": 0.0,
                    "annual_fees": fees["annual_fee_eur"],
                }
            )
            k += 1
    frame = pd.DataFrame(rows, columns=["ags", "name", "year", "start_fee", "annual_fees"])
    table = frame.groupby(["ags", "name", "year"], sort=False).sum().reset_index()
    table["year"] = table["year"].astype("int64")
    table["total"] = table["start_fee"] + table["annual_fees"]
    return table


def regional_funding(data_dir: str | Path | None = None) -> pd.DataFrame:
    """Regional funding per year (``<data_dir>/programme/foerderung.csv``), checked.

    In the demo data the amounts are an assumption (see ``surveys/programme/kosten.yaml``).

    Returns ``year``, ``amount_eur``, ``funder``.

    Examples
    --------
    >>> regional_funding()["amount_eur"].iloc[:2].tolist()
    [25000.0, 110000.0]
    """
    frame, issues, _, schema = _read_checked("foerderung", data_dir)
    issues.raise_if_any(RecordError, schema["title"])
    frame["year"] = frame["year"].astype("int64")
    return frame.sort_values("year").reset_index(drop=True)


def programme_costs(
    record: pd.DataFrame,
    funding: pd.DataFrame,
    *,
    until: dt.date | str | pd.Timestamp,
    fees: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    r"""The programme's costs per year up to ``until``: contributions and regional funding.

    The funding of the year that contains ``until`` is counted pro rata by days:
    :math:`F_y \cdot d / D_y` with :math:`d` the days from 1 January to ``until``
    (inclusive) and :math:`D_y` the days of the year.

    Returns
    -------
    pandas.DataFrame
        One row per year and a last row ``year = "gesamt"``: ``year``, ``start_fees``,
        ``annual_fees``, ``municipal`` (their sum), ``regional_funding``, ``total``.

    Examples
    --------
    >>> r = pd.DataFrame({"ags": ["A"], "name": ["a"],
    ...     "joined": pd.to_datetime(["2018-03-01"]), "left": pd.to_datetime([None])})
    >>> f = pd.DataFrame({"year": [2018, 2019], "amount_eur": [10000.0, 10000.0]})
    >>> programme_costs(r, f, until="2019-12-31")["total"].tolist()
    [13000.0, 11500.0, 24500.0]
    """
    end = pd.Timestamp(until)
    paid = municipal_contributions(record, until=end, fees=fees)
    per_year = paid.groupby("year")[["start_fee", "annual_fees"]].sum()
    per_year.columns = ["start_fees", "annual_fees"]
    for column in ("year", "amount_eur"):
        if column not in funding:
            raise KeyError(f"funding lacks column {column!r}; pass regional_funding()")
    grant = {}
    for year, amount in zip(funding["year"], funding["amount_eur"], strict=True):
        year = int(year)
        if year > end.year:
            continue
        if year == end.year:
            days = (end - pd.Timestamp(year, 1, 1)).days + 1
            amount = float(amount) * days / (366 if pd.Timestamp(year, 1, 1).is_leap_year else 365)
        grant[year] = float(amount)
    years = sorted(set(per_year.index) | set(grant))
    table = per_year.reindex(years, fill_value=0.0)
    table["municipal"] = table["start_fees"] + table["annual_fees"]
    table["regional_funding"] = [grant.get(y, 0.0) for y in years]
    table["total"] = table["municipal"] + table["regional_funding"]
    table = table.reset_index(names="year").astype({"year": object})
    total = table.drop(columns="year").sum()
    table.loc[len(table)] = {"year": "gesamt", **total.to_dict()}
    return table


def extract_sampling_fraction(manifest: str | Path) -> float:
    """Share of households a register extract contains (1.0: the complete registers).

    A real extract covers everybody. The demo extract is a household sample; its manifest
    records the share as ``generator.scale`` (a real extract that is a sample states
    ``sampling_fraction``). Counts of newcomers from such an extract are scaled up by
    ``1 / fraction`` (see :func:`additional_retained`).

    Examples
    --------
    >>> from welcome_eval.config import demo_data_dir
    >>> extract_sampling_fraction(demo_data_dir() / "register" / "2025" / "manifest.yaml")
    0.05
    """
    path = Path(manifest)
    path = path / "manifest.yaml" if path.is_dir() else path
    raw = safe_load_text(path.read_text(encoding="utf-8")) or {}
    fraction = raw.get("sampling_fraction", (raw.get("generator") or {}).get("scale", 1.0))
    fraction = float(fraction)
    if not 0.0 < fraction <= 1.0:
        raise ValueError(f"{path}: the sampling fraction must lie in (0, 1], got {fraction}")
    return fraction


def additional_retained(
    effects: Any, cohorts: pd.DataFrame, *, sampling_fraction: float = 1.0
) -> pd.DataFrame:
    r"""Newcomers additionally retained in the region thanks to the offensive.

    From the group-time effects of
    :func:`welcome_eval.survival.programme_effect.group_time_effects` (share-point effects on
    the share retained) and the arrival cohorts they were estimated from:

    .. math::

        \hat R = \sum_{(g, t)\ \text{post}} \widehat{ATT}(g, t) \cdot N_{g,t}

    with :math:`N_{g,t}` the newcomers of arrival year t in the municipalities of join
    group g (the cohorts' ``n``), divided by ``sampling_fraction`` when the extract is a
    household sample (:func:`extract_sampling_fraction`). The interval uses the same
    bootstrap replicates (:math:`\hat R^{*b} = \sum ATT^{*b}(g,t) N_{g,t}`):
    :math:`\hat R \pm z \cdot \mathrm{sd}(\hat R^*)`, as the effects' own intervals.
    Cells flagged unreliable enter as well (their noise is in the interval).

    Returns
    -------
    pandas.DataFrame
        One row: ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``conf_level``,
        ``exposed_newcomers`` (:math:`\sum N_{g,t}` over the post cells, scaled up),
        ``cells``, ``first_cohort``, ``last_cohort`` (arrival years counted),
        ``sampling_fraction``.
    """
    if not 0.0 < float(sampling_fraction) <= 1.0:
        raise ValueError(f"sampling_fraction must lie in (0, 1], got {sampling_fraction!r}")
    table = getattr(effects, "table", None)
    replicates = getattr(effects, "replicates", None)
    if table is None or replicates is None:
        raise TypeError("effects must be the result of programme_effect.group_time_effects()")
    for column in ("ags", "cohort_year", "join_year", "n"):
        if column not in cohorts:
            raise KeyError(
                f"cohorts lacks column {column!r}; pass programme_effect.arrival_cohorts()"
            )
    sizes = cohorts.dropna(subset=["join_year"]).groupby(["join_year", "cohort_year"])["n"].sum()
    post = (table["phase"] == "post").to_numpy() & table["att"].notna().to_numpy()
    if not post.any():
        raise ValueError("no post-treatment cell with an estimate: nothing to count")
    cells = np.flatnonzero(post)
    n = np.array(
        [
            float(sizes.get((float(g), float(t)), 0.0))
            for g, t in zip(
                table["group"].to_numpy()[cells], table["time"].to_numpy()[cells], strict=True
            )
        ]
    ) / float(sampling_fraction)
    estimate = float(table["att"].to_numpy()[cells] @ n)
    boot = replicates[:, cells] @ n
    boot = boot[np.isfinite(boot)]
    se = float(np.std(boot, ddof=1))
    level = float(getattr(effects, "conf_level", 0.95))
    from scipy import stats as _sps

    z = float(_sps.norm.ppf(0.5 + level / 2))
    times = table["time"].to_numpy()[cells]
    return pd.DataFrame(
        [
            {
                "estimate": estimate,
                "se": se,
                "ci_low": estimate - z * se,
                "ci_high": estimate + z * se,
                "conf_level": level,
                "exposed_newcomers": float(n.sum()),
                "cells": len(cells),
                "first_cohort": int(times.min()),
                "last_cohort": int(times.max()),
                "sampling_fraction": float(sampling_fraction),
            }
        ]
    )


def _effect_values(effect: Any) -> tuple[float, float, float]:
    if isinstance(effect, pd.DataFrame):
        if len(effect) != 1:
            raise ValueError(f"effect must have exactly one row, got {len(effect)}")
        effect = effect.iloc[0]
    try:
        values = tuple(float(effect[k]) for k in ("estimate", "ci_low", "ci_high"))
    except (KeyError, TypeError, ValueError) as exc:
        raise KeyError(
            "effect needs numbers 'estimate', 'ci_low' and 'ci_high' (additionally retained "
            "newcomers and their interval), e.g. from additional_retained()"
        ) from exc
    estimate, low, high = values
    if any(math.isnan(v) for v in values):
        raise ValueError("the effect and both interval limits must be numbers, not NaN")
    if not low <= estimate <= high:
        raise ValueError(f"the interval [{low}, {high}] must contain the estimate {estimate}")
    return values


def cost_per_retained_newcomer(effect: Any, cost: float) -> pd.DataFrame:
    r"""Programme cost per additionally retained newcomer, with its interval.

    :math:`C / \hat R` with interval :math:`[C / R_u, C / R_l]` (module docstring: exact
    transformation of the effect's interval, the cost taken as known).

    Parameters
    ----------
    effect
        Additionally retained newcomers: a mapping, Series or one-row DataFrame with
        ``estimate``, ``ci_low``, ``ci_high`` (e.g. :func:`additional_retained`).
    cost
        Total programme cost in euro over the same period (e.g. the ``gesamt`` row of
        :func:`programme_costs`); positive.

    Returns
    -------
    pandas.DataFrame
        One row: ``cost``, ``retained``, ``retained_low``, ``retained_high``,
        ``cost_per_retained``, ``ci_low``, ``ci_high``, ``status``:

        * ``"positive"`` — the whole interval lies above zero: a finite interval;
        * ``"includes_zero"`` — :math:`R_l \le 0 < R_u`: ``ci_high`` is infinite (the
          data are compatible with no additional newcomer); the point value is shown
          only if :math:`\hat R > 0`;
        * ``"not_positive"`` — :math:`R_u \le 0`: no additional newcomer is supported
          by the data; all three values are NaN.

    Examples
    --------
    >>> cost_per_retained_newcomer({"estimate": 400, "ci_low": 200, "ci_high": 800}, 1e6)[
    ...     ["cost_per_retained", "ci_low", "ci_high", "status"]]
       cost_per_retained  ci_low  ci_high    status
    0             2500.0  1250.0   5000.0  positive
    >>> cost_per_retained_newcomer({"estimate": 100, "ci_low": -50, "ci_high": 250}, 1e6)[
    ...     ["cost_per_retained", "ci_low", "ci_high", "status"]]
       cost_per_retained  ci_low  ci_high         status
    0            10000.0  4000.0      inf  includes_zero
    """
    estimate, low, high = _effect_values(effect)
    cost = float(cost)
    if not math.isfinite(cost) or cost <= 0:
        raise ValueError(f"cost must be a positive amount in euro, got {cost!r}")
    if low > 0:
        status, point, lower, upper = "positive", cost / estimate, cost / high, cost / low
    elif high > 0:
        status = "includes_zero"
        point = cost / estimate if estimate > 0 else math.nan
        lower, upper = cost / high, math.inf
    else:
        status, point, lower, upper = "not_positive", math.nan, math.nan, math.nan
    return pd.DataFrame(
        [
            {
                "cost": cost,
                "retained": estimate,
                "retained_low": low,
                "retained_high": high,
                "cost_per_retained": point,
                "ci_low": lower,
                "ci_high": upper,
                "status": status,
            }
        ]
    )
