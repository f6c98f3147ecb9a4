"""Codebooks: the single description of a survey instrument.

A codebook is a YAML file under ``surveys/<survey>/codebook.yaml``. It lists
every item with its German wording, type, scale and value labels, missing
codes, reverse keying and construct. Readers, validation, statistics and
reports take all of this from the :class:`Codebook`; no other module names a
survey item.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from welcome_eval._display import Summary, SummaryRepr
from welcome_eval.config import surveys_dir
from welcome_eval.errors import WelcomeEvalError
from welcome_eval.ingest.limits import LimitError, limits, load_yaml
from welcome_eval.ingest.rules import Expression, RuleError, compile_rule

__all__ = ["CODED_TYPES", "ITEM_TYPES", "Codebook", "CodebookError", "Item", "Rule"]

#: Item types a codebook may declare.
ITEM_TYPES = (
    "id",
    "municipality",
    "wave",
    "categorical",
    "likert",
    "rating",
    "number",
    "date",
    "text",
    "multiple",
)
#: Item types whose answers are numeric codes.
CODED_TYPES = ("categorical", "likert", "rating")
#: Items listed when a codebook is shown in a notebook.
_SHOWN_ITEMS = 5


class CodebookError(WelcomeEvalError, ValueError):
    """A codebook file is malformed; the message names file, item and problem."""


@dataclass(frozen=True)
class Item:
    """One question (or technical variable) of a survey."""

    id: str
    type: str
    label: str
    short: str
    values: dict[int, str] = field(default_factory=dict)
    missing_codes: dict[int, str] = field(default_factory=dict)
    minimum: float | dt.date | None = None
    maximum: float | dt.date | None = None
    reverse: bool = False
    construct: str | None = None
    required: bool = False
    aliases: tuple[str, ...] = ()
    scale: str | None = None
    #: An optional item may be absent from a file without a warning.
    optional: bool = False
    #: Multiple choice given as one delimited column: the delimiter between options.
    separator: str = ";"
    #: For identifiers: a regular expression every id must match in full (e.g. ``\d{5}``);
    #: a file whose ids mostly do not is taken for another survey's file.
    pattern: str | None = None
    #: Answer codes as the file writes them (text such as LimeSurvey's ``A1`` or
    #: ``-oth-``) -> the numeric code of :attr:`values` or :attr:`missing_codes`; for
    #: multiple choice the file's option codes (``SQ001``) -> the option's code.
    codes: dict[str, int] = field(default_factory=dict)

    @property
    def columns(self) -> list[str]:
        """Columns of the tidy data: one per option (``<id>_<code>``) for multiple
        choice, else the item id itself."""
        if self.type == "multiple":
            return [f"{self.id}_{code}" for code in self.values]
        return [self.id]

    @property
    def is_coded(self) -> bool:
        """Whether answers are numeric codes (Likert, rating, categorical)."""
        return self.type in CODED_TYPES

    @property
    def valid_codes(self) -> list[int]:
        """Substantive answer codes, in scale order."""
        if self.type == "rating":
            return list(range(int(self.minimum), int(self.maximum) + 1))
        return sorted(self.values)

    def label_for(self, code: float | int | None) -> str | None:
        """German label of an answer or missing code; ``None`` if it has none."""
        if code is None or code != code:  # NaN
            return None
        code = int(code)
        if code in self.missing_codes:
            return self.missing_codes[code]
        return self.values.get(code, str(code) if self.type == "rating" else None)

    def reverse_code(self, code: float) -> float:
        """Mirror a code on the item's scale: ``(min + max) - code``."""
        codes = self.valid_codes
        return (codes[0] + codes[-1]) - code


@dataclass(frozen=True)
class Rule:
    """A row-level consistency rule: ``expression`` must hold where its items are answered.

    The expression is written in the small rule language of
    :mod:`welcome_eval.ingest.rules` (items, literals, comparisons, logic, arithmetic,
    a few helpers) and evaluated on the parsed values without Python's
    ``eval``; ``@fieldwork_start`` and ``@fieldwork_end`` refer to the
    manifest's fieldwork dates.
    """

    id: str
    expression: str
    message: str
    severity: str = "warning"
    #: German name of the rule for reports (default: the id).
    label: str | None = None
    #: Check every row, also where the rule's items are empty (for rules about
    #: what must be given together); by default only rows that answer them all.
    all_rows: bool = False
    #: The checked expression (see :func:`welcome_eval.ingest.rules.compile_rule`).
    compiled: Expression | None = field(default=None, compare=False, repr=False)


@dataclass(frozen=True, repr=False)
class Codebook(SummaryRepr):
    """A survey instrument loaded from YAML.

    Examples
    --------
    >>> cb = Codebook.for_survey("kommunen")
    >>> cb.items_of(construct="bausteine")[:2]
    ['zuf_runder_tisch', 'zuf_checklisten']
    >>> cb["zuf_gesamt"].label_for(5)
    'sehr zufrieden'
    """

    survey: str
    title: str
    version: int
    respondent_id: str
    municipality: str | None
    items: dict[str, Item]
    path: Path | None = None
    #: Consistency rules checked on every row.
    rules: tuple[Rule, ...] = ()
    #: Constructs whose items are checked for straight-lining (same answer on all).
    straightlining: tuple[str, ...] = ()
    #: Minimum number of answered items in a construct before straight-lining is flagged.
    straightlining_min_items: int = 4
    #: Item holding the interview duration in seconds (speeders are flagged).
    duration: str | None = None
    #: A duration below this share of the median duration flags a speeder.
    speeder_share_of_median: float = 1 / 3
    #: Names removed from open answers wherever they appear (``privacy: names:``),
    #: e.g. staff of the programme whom respondents mention without "Frau"/"Herr".
    privacy_names: tuple[str, ...] = ()

    def _summary(self) -> Summary:
        types: dict[str, int] = {}
        for item in self.items.values():
            types[item.type] = types.get(item.type, 0) + 1
        first = list(self.items.values())[:_SHOWN_ITEMS]
        return Summary(
            "Codebook",
            f"{self.survey} (Version {self.version}): {self.title}",
            [
                ("Items", len(self.items)),
                ("nach Typ", ", ".join(f"{kind} {n}" for kind, n in types.items())),
                ("Konstrukte", ", ".join(self.constructs) or "–"),
                ("Prüfregeln", len(self.rules)),
            ],
            columns=["Item", "Typ", "Kurztext"],
            rows=[[item.id, item.type, item.short] for item in first],
            total_rows=len(self.items),
        )

    def __getitem__(self, item_id: str) -> Item:
        try:
            return self.items[item_id]
        except KeyError:
            raise KeyError(
                f"Codebook {self.survey!r} has no item {item_id!r}; "
                f"known items: {', '.join(self.items)}"
            ) from None

    def __contains__(self, item_id: object) -> bool:
        return item_id in self.items

    def __iter__(self):
        return iter(self.items.values())

    def items_of(
        self, *, type: str | Iterable[str] | None = None, construct: str | None = None
    ) -> list[str]:
        """Item ids filtered by type and/or construct, in codebook order."""
        types = (type,) if isinstance(type, str) else tuple(type) if type else None
        return [
            item.id
            for item in self.items.values()
            if (types is None or item.type in types)
            and (construct is None or item.construct == construct)
        ]

    def column_items(self) -> dict[str, tuple[Item, int | None]]:
        """Every tidy-data column: its item and, for a multiple-choice option, the option code."""
        result: dict[str, tuple[Item, int | None]] = {}
        for item in self.items.values():
            if item.type == "multiple":
                for code in item.values:
                    result[f"{item.id}_{code}"] = (item, code)
            else:
                result[item.id] = (item, None)
        return result

    @property
    def likert_items(self) -> list[str]:
        """All Likert items in codebook order."""
        return self.items_of(type="likert")

    @property
    def constructs(self) -> list[str]:
        """Constructs in order of first appearance."""
        seen: dict[str, None] = {}
        for item in self.items.values():
            if item.construct:
                seen.setdefault(item.construct)
        return list(seen)

    @classmethod
    def for_survey(cls, survey: str) -> Codebook:
        """Load ``surveys/<survey>/codebook.yaml``."""
        if not isinstance(survey, str) or not re.fullmatch(
            r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", survey
        ):
            raise CodebookError(
                f"survey {str(survey)[:80]!r} is not a survey name (letters, digits, _ and -)"
            )
        path = surveys_dir() / survey / "codebook.yaml"
        if not path.is_file():
            known = sorted(p.parent.name for p in surveys_dir().glob("*/codebook.yaml"))
            raise CodebookError(
                f"No codebook for survey {survey!r} at {path}; known surveys: {', '.join(known)}"
            )
        return cls.load(path)

    @classmethod
    def load(cls, path: str | Path) -> Codebook:
        """Load a codebook from a YAML file, checking its structure."""
        path = Path(path)
        limit = limits()
        try:
            raw = load_yaml(
                path,
                what="codebook",
                max_bytes=limit.max_codebook_bytes,
                aliases=True,
                max_nodes=limit.max_yaml_nodes,
            )
        except LimitError as exc:
            raise CodebookError(str(exc)) from None
        except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError) as exc:
            raise CodebookError(f"{path}: cannot read codebook: {exc}") from None
        return cls.from_dict(raw, path=path)

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any], *, path: Path | None = None) -> Codebook:
        where = str(path) if path else "codebook"
        try:
            return cls._from_dict(raw, path=path, where=where)
        except CodebookError:
            raise
        except (AttributeError, TypeError, ValueError, KeyError) as exc:
            # A section of the wrong kind (text where a mapping belongs, ...).
            raise CodebookError(
                f"{where}: malformed codebook ({type(exc).__name__}: {str(exc)[:200]})"
            ) from None

    @classmethod
    def _from_dict(cls, raw: Mapping[str, Any], *, path: Path | None, where: str) -> Codebook:
        if not isinstance(raw, Mapping):
            raise CodebookError(f"{where}: expected a mapping at top level")
        for key in ("survey", "respondent_id", "items"):
            if key not in raw:
                raise CodebookError(f"{where}: missing top-level key {key!r}")
        for section in ("missing_codes", "scales", "quality", "privacy"):
            if not isinstance(raw.get(section) or {}, Mapping):
                raise CodebookError(f"{where}: {section} must be a mapping")
        if not isinstance(raw["items"], list | tuple):
            raise CodebookError(f"{where}: items must be a list of items")
        default_missing = _int_keys(raw.get("missing_codes", {}), where, "missing_codes")
        scales = raw.get("scales", {}) or {}
        items: dict[str, Item] = {}
        for number, spec in enumerate(raw["items"], start=1):
            item = _parse_item(spec, scales, default_missing, f"{where}, item {number}")
            if item.id in items:
                raise CodebookError(f"{where}: item id {item.id!r} appears twice")
            items[item.id] = item
        respondent_id = raw["respondent_id"]
        municipality = raw.get("municipality")
        for key, value in (("respondent_id", respondent_id), ("municipality", municipality)):
            if value is not None and value not in items:
                raise CodebookError(f"{where}: {key} {value!r} is not an item")
        columns = {name for item in items.values() for name in (item.id, *item.columns)}
        rule_specs = raw.get("rules", ()) or ()
        if not isinstance(rule_specs, list | tuple):
            raise CodebookError(f"{where}: rules must be a list of rules")
        text_columns = {
            item.id
            for item in items.values()
            if item.type in ("id", "municipality", "wave", "text")
        }
        rules = tuple(_parse_rule(spec, where, columns, text_columns) for spec in rule_specs)
        quality = raw.get("quality", {}) or {}
        straightlining = quality.get("straightlining", {}) or {}
        speeders = quality.get("speeders", {}) or {}
        if not isinstance(straightlining, Mapping) or not isinstance(speeders, Mapping):
            raise CodebookError(
                f"{where}: quality.straightlining and quality.speeders are mappings"
            )
        constructs = tuple(straightlining.get("constructs", ()))
        unknown = [c for c in constructs if not any(i.construct == c for i in items.values())]
        if unknown:
            raise CodebookError(f"{where}: straight-lining constructs {unknown} have no items")
        duration = speeders.get("item")
        if duration is not None and duration not in items:
            raise CodebookError(f"{where}: speeders item {duration!r} is not an item")
        privacy = raw.get("privacy", {}) or {}
        names = privacy.get("names", ()) or ()
        if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
            raise CodebookError(f"{where}: privacy.names must be a list of names (text)")
        return cls(
            privacy_names=tuple(names),
            rules=rules,
            straightlining=constructs,
            straightlining_min_items=int(straightlining.get("min_items", 4)),
            duration=duration,
            speeder_share_of_median=float(speeders.get("below_share_of_median", 1 / 3)),
            survey=str(raw["survey"]),
            title=str(raw.get("title", raw["survey"])),
            version=int(raw.get("version", 1)),
            respondent_id=respondent_id,
            municipality=municipality,
            items=items,
            path=path,
        )


def _parse_rule(
    spec: Mapping[str, Any], where: str, columns: set[str], text_columns: set[str]
) -> Rule:
    if not isinstance(spec, Mapping) or not {"id", "expression"} <= set(spec):
        raise CodebookError(f"{where}: every rule needs an 'id' and an 'expression'")
    severity = spec.get("severity", "warning")
    if severity not in ("warning", "error"):
        raise CodebookError(f"{where}, rule {spec['id']}: severity must be warning or error")
    expression = spec["expression"]
    if not isinstance(expression, str):
        raise CodebookError(f"{where}, rule {spec['id']}: expression must be text")
    try:
        compiled = compile_rule(expression, columns, text_columns)
    except RuleError as exc:
        raise CodebookError(
            f"{where}, rule {spec['id']}: {exc} in expression {expression[:200]!r}; rules may "
            "use only codebook items, literals, comparisons, and/or/not, arithmetic and the "
            "helpers isna, notna, abs, year, month, day, date"
        ) from None
    return Rule(
        id=str(spec["id"]),
        compiled=compiled,
        expression=expression,
        message=str(spec.get("message", spec["expression"])),
        severity=severity,
        label=spec.get("label"),
        all_rows=bool(spec.get("all_rows", False)),
    )


def _int_keys(mapping: Mapping[Any, str], where: str, what: str) -> dict[int, str]:
    try:
        return {int(code): str(label) for code, label in (mapping or {}).items()}
    except (TypeError, ValueError) as exc:
        raise CodebookError(f"{where}: {what} must map integer codes to labels") from exc


def _parse_item(
    spec: Mapping[str, Any],
    scales: Mapping[str, Mapping[str, Any]],
    default_missing: dict[int, str],
    where: str,
) -> Item:
    if not isinstance(spec, Mapping) or "id" not in spec:
        raise CodebookError(f"{where}: every item needs an 'id'")
    where = f"{where} ({spec['id']})"
    merged: dict[str, Any] = {}
    if "scale" in spec:
        if spec["scale"] not in scales:
            raise CodebookError(f"{where}: unknown scale {spec['scale']!r}")
        merged.update(scales[spec["scale"]])
    merged.update(spec)
    item_type = merged.get("type")
    if item_type not in ITEM_TYPES:
        raise CodebookError(f"{where}: type must be one of {', '.join(ITEM_TYPES)}")
    values = _int_keys(merged.get("values", {}), where, "values")
    if item_type in ("categorical", "likert", "multiple") and not values:
        raise CodebookError(f"{where}: a {item_type} item needs value labels")
    if item_type in ("rating",) and ("min" not in merged or "max" not in merged):
        raise CodebookError(f"{where}: a rating item needs min and max")
    if "missing_codes" in spec:
        missing = _int_keys(spec["missing_codes"], where, "missing_codes")
    elif item_type in CODED_TYPES:
        missing = dict(default_missing)
    else:
        missing = {}
    overlap = set(missing) & set(values)
    if overlap:
        raise CodebookError(f"{where}: codes {sorted(overlap)} are both answers and missing")
    label = str(merged.get("label", spec["id"])).strip()
    pattern = merged.get("pattern")
    if pattern is not None:
        if item_type != "id" or not isinstance(pattern, str) or len(pattern) > 200:
            raise CodebookError(f"{where}: pattern (text, for id items only) is malformed")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise CodebookError(f"{where}: pattern is not a regular expression ({exc})") from None
    codes = _file_codes(merged.get("codes"), item_type, values, missing, where)
    return Item(
        codes=codes,
        id=str(spec["id"]),
        type=item_type,
        label=label,
        short=str(merged.get("short", label)),
        values=values,
        missing_codes=missing,
        minimum=merged.get("min"),
        maximum=merged.get("max"),
        reverse=bool(merged.get("reverse", False)),
        construct=merged.get("construct"),
        required=bool(merged.get("required", False)),
        aliases=tuple(str(a) for a in merged.get("aliases", ()) or ()),
        scale=spec.get("scale"),
        optional=bool(merged.get("optional", False)),
        separator=str(merged.get("separator", ";")),
        pattern=pattern,
    )


def _file_codes(
    raw: Any, item_type: str, values: dict[int, str], missing: dict[int, str], where: str
) -> dict[str, int]:
    """``codes:``: the file's own answer codes (text) -> numeric codes of the item."""
    if raw is None:
        return {}
    if not isinstance(raw, Mapping) or not raw:
        raise CodebookError(
            f"{where}: codes must map the file's answer codes to numeric codes, "
            "e.g. codes: {{A1: 1, A2: 2, -oth-: 7}}"
        )
    if item_type not in (*CODED_TYPES, "multiple"):
        raise CodebookError(
            f"{where}: codes are for coded items ({', '.join(CODED_TYPES)}) and multiple "
            f"choice (the options' codes in the file), not {item_type}"
        )
    # A rating's answers are its numbers (checked against min and max later); a multiple
    # choice item's codes name its options (LimeSurvey's subquestion codes SQ001, ...).
    known = set(values) if item_type == "multiple" else {*values, *missing}
    result: dict[str, int] = {}
    for key, code in raw.items():
        text = str(key).strip() if isinstance(key, str | int) and not isinstance(key, bool) else ""
        if not text or len(text) > 50 or not text.isprintable():
            raise CodebookError(
                f"{where}: codes: {str(key)[:60]!r} is not an answer code (one line of text, "
                "at most 50 characters)"
            )
        if isinstance(code, bool) or not isinstance(code, int):
            raise CodebookError(f"{where}: codes: {text!r} must map to a whole number")
        if item_type != "rating" and code not in known:
            raise CodebookError(
                f"{where}: codes: {text!r} -> {code}, but {code} is neither a value nor a "
                f"missing code of the item (values {sorted(values)}, missing {sorted(missing)})"
            )
        if text in result:
            raise CodebookError(f"{where}: codes: {text!r} appears twice")
        result[text] = code
    return result
