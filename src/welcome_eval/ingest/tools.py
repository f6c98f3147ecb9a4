"""Survey tools' own export formats: LimeSurvey's headings and syntax exports, SoSci's R export.

LimeSurvey writes its CSV and Excel exports with one of four heading styles
(``application/helpers/admin/export/Writer.php``): the question code
(``G01Q05[SQ001]``), the full question text (``Wie zufrieden ... [Beratung]``),
the abbreviated text (cut after 15 characters with ``.. ``) or code and text
joined by a separator (default ``". "``: ``G01Q05[SQ001]. Wie zufrieden ...``).
:func:`heading_code` and :class:`HeadingMatcher` map such headings to codebook
columns.

LimeSurvey's SPSS export is a syntax file (``.sps``) and a data file without
a header (``.dat``: comma-separated, text quoted with ``'``); its R export a
syntax file (``.R``) and a CSV data file. SoSci Survey's R export is an import
script (``.r``) and a tab-separated data file. :func:`read_with_syntax` takes
the variable names and value labels from the syntax file with tight regular
expressions (the syntax is never run) and reads the data with them.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import pandas as pd

from welcome_eval.ingest.limits import (
    LimitError,
    check_columns,
    check_file_size,
    check_rows,
    limits,
)
from welcome_eval.ingest.readers import (
    FileLimitError,
    RawTable,
    ReadError,
    read_csv,
)

__all__ = [
    "LIMESURVEY_FIELD_TEXTS",
    "MAX_SYNTAX_BYTES",
    "HeadingMatcher",
    "bracket_key",
    "drop_label_row",
    "fold_heading",
    "heading_code",
    "parse_r_syntax",
    "parse_sosci_spss",
    "parse_spss_syntax",
    "read_with_syntax",
    "shorten",
    "spss_variable_labels",
]

#: Syntax files are small; anything larger is not a syntax file.
MAX_SYNTAX_BYTES = 4 << 20

#: A LimeSurvey field code at the start of a heading: ``G01Q05``, ``G01Q05[SQ001]``,
#: ``G01Q05_SQ001`` (ExpressionScript style), ``id``, ``submitdate``.
_CODE = re.compile(r"([A-Za-z_][A-Za-z0-9_#]*(?:\[[^\]\s]{1,40}\])*)(?=$|[^A-Za-z0-9_#\[])")

#: Full-text headings of LimeSurvey's own fields (``createFieldMap``) -> field name.
LIMESURVEY_FIELD_TEXTS = {
    "response id": "id",
    "date submitted": "submitdate",
    "last page": "lastpage",
    "start language": "startlanguage",
    "seed": "seed",
    "date started": "startdate",
    "date last action": "datestamp",
    "ip address": "ipaddr",
    "referrer url": "refurl",
    "total time": "interviewtime",
    "access code": "token",
    "token": "token",
    # German, as German-language surveys write them (seen in users' published code).
    "antwort id": "id",
    "datum abgeschickt": "submitdate",
    "letzte seite": "lastpage",
    "start-sprache": "startlanguage",
    "zufallsstartwert": "seed",
    "zufallsgeneratorstartwert": "seed",
    "datum gestartet": "startdate",
    "datum letzte aktivität": "datestamp",
}


def fold_heading(text: str) -> str:
    """Text for comparing headings: spaces and underscores collapsed, case folded."""
    return re.sub(r"[\s_]+", " ", str(text)).strip().casefold()


def bracket_key(name: str) -> str:
    """``G01Q05[SQ001]`` and ``G01Q05_SQ001`` (and spacing, case) compare equal."""
    name = re.sub(r"\[([^\]]*)\]", r"_\1", str(name))
    return re.sub(r"[\s_\-]+", "_", name.strip().lower())


def heading_code(heading: str) -> str | None:
    """The code part of a LimeSurvey heading (``"G01Q05[SQ001]. Wie ..."`` -> ``G01Q05[SQ001]``)."""
    match = _CODE.match(str(heading).strip())
    return match.group(1) if match else None


def shorten(text: str, limit: int = 40) -> str:
    """A heading for a message: one printable line, at most ``limit`` characters."""
    text = " ".join("".join(c if c.isprintable() else " " for c in str(text)).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class HeadingMatcher:
    """Maps LimeSurvey headings of every style to names a codebook lookup knows.

    ``names`` maps :func:`bracket_key` forms of file column names (ids, aliases,
    manifest ``columns:``) to codebook columns; ``texts`` maps folded item
    labels (``label`` or ``label [option]`` for multiple choice) to codebook columns.
    """

    def __init__(self, names: dict[str, str], texts: dict[str, str]) -> None:
        self.names = names
        self.texts = texts

    def match(self, heading: str) -> str | None:
        """The codebook column a heading names, or None."""
        heading = str(heading).strip()
        found = self.names.get(bracket_key(heading))
        if found:
            return found
        folded = fold_heading(heading)
        if folded in LIMESURVEY_FIELD_TEXTS:
            return self.names.get(bracket_key(LIMESURVEY_FIELD_TEXTS[folded]))
        if folded in self.texts:
            return self.texts[folded]
        code = heading_code(heading)
        if code and code != heading:
            found = self.names.get(bracket_key(code))
            if found:
                return found
        return self._abbreviated(heading)

    def _abbreviated(self, heading: str) -> str | None:
        """Abbreviated headings end in '..' (LimeSurvey cuts the text and adds '.. ')."""
        parts = re.split(r"\.\.\.?\s*", heading)
        if len(parts) < 2 or not parts[0].strip():
            return None
        question = fold_heading(parts[0])
        option = fold_heading(" ".join(p for p in parts[1:] if p.strip()).strip("[] "))
        hits = {
            column
            for text, column in self.texts.items()
            if text.startswith(question)
            and (not option or option.strip("[]") in text.split("[", 1)[-1] or "[" not in text)
        }
        return hits.pop() if len(hits) == 1 else None


# --- syntax files ----------------------------------------------------------------


def _syntax_text(path: Path) -> str:
    if not path.is_file():
        raise ReadError(f"{path.name}: syntax file not found")
    size = path.stat().st_size
    if size > MAX_SYNTAX_BYTES:
        # Only a syntax that holds the data (SoSci's SPSS download) may be larger, within
        # the limit for text data files.
        try:
            check_file_size(path, "csv", limits())
        except LimitError as exc:
            raise FileLimitError(str(exc)) from None
    data = path.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
    if size > MAX_SYNTAX_BYTES and "\nBEGIN DATA" not in text:
        raise FileLimitError(
            f"{path.name}: the syntax file has {size} bytes, more than {MAX_SYNTAX_BYTES}, "
            "and holds no data"
        )
    return text


_SPSS_VARIABLES = re.compile(r"/VARIABLES\s*=\s*(.*?)\.\s*$", re.S | re.M | re.I)
_SPSS_VARIABLE = re.compile(r"^\s*([A-Za-z@#$][\w.@#$]{0,63})\s+([A-Z]+[0-9.]*)\s*$")
_SPSS_RENAME = re.compile(
    r"^RENAME VARIABLES\s*\(\s*([\w.@#$]+)\s*=\s*([\w.@#$]+)\s*\)\s*\.\s*$", re.M | re.I
)
_SPSS_OPTION = re.compile(r"^\s*/(DELIMITERS|QUALIFIER|FIRSTCASE)\s*=\s*(\S+)\s*$", re.M | re.I)
_SPSS_LABELS = re.compile(r"^VALUE LABELS\s+([\w.@#$]+)\s*\n(.*?)\.\s*$", re.M | re.S | re.I)
#: ``VARIABLE LABELS V8 "text".`` (LimeSurvey, one per line) and the block form
#: ``VARIABLE LABELS`` / `` NAME 'text'`` ... ``.`` (SoSci).
_SPSS_VARIABLE_LABEL = re.compile(
    r"^VARIABLE LABELS\s+([\w.@#$]+)\s+\"((?:[^\"\n]|\"\")*)\"\s*\.?\s*$", re.M | re.I
)
_SPSS_VARIABLE_LABEL_BLOCK = re.compile(
    r"^VARIABLE LABELS\s*\n(.*?)\n\s*\.\s*$", re.M | re.S | re.I
)
_SPSS_BLOCK_LABEL = re.compile(r"^\s*/?([\w.@#$]+)\s+'((?:[^'\n]|'')*)'\s*$")
_R_VARIABLE_LABEL = re.compile(
    r'^attributes\(data\)\$variable\.labels\[(\d{1,5})\] <- "((?:[^"\\\n]|\\.){0,2000})"\s*$',
    re.M,
)
_SOSCI_COMMENT = re.compile(
    r'^comment\(ds\$([\w.]{1,64})\)\s*=\s*"((?:[^"\\\n]|\\.){0,2000})"\s*$', re.M
)
_SPSS_LABEL = re.compile(r"^\s*(-?\d+(?:\.\d+)?|\"[^\"\n]*\")\s+\"((?:[^\"\n]|\"\")*)\"\s*$")


def parse_spss_syntax(text: str, name: str) -> dict:
    """Variables, names, data options and value labels of an SPSS ``GET DATA`` syntax."""
    block = _SPSS_VARIABLES.search(text)
    if block is None:
        raise ReadError(f"{name}: no GET DATA /VARIABLES= list found; is it an SPSS syntax file?")
    variables = []
    for line in block.group(1).splitlines():
        if not line.strip():
            continue
        match = _SPSS_VARIABLE.match(line)
        if match is None:
            raise ReadError(
                f"{name}: line {shorten(line, 40)!r} of the /VARIABLES= list is not "
                "'<name> <format>'"
            )
        variables.append(match.group(1))
    renamed = dict(_SPSS_RENAME.findall(text))
    options = {key.upper(): value for key, value in _SPSS_OPTION.findall(text)}
    delimiter = _quoted(options.get("DELIMITERS", '","'), name, "DELIMITERS")
    qualifier = _quoted(options.get("QUALIFIER", '"\'"'), name, "QUALIFIER")
    first = options.get("FIRSTCASE", "1")
    if not first.isdigit() or not 1 <= int(first) <= 2:
        raise ReadError(f"{name}: /FIRSTCASE={shorten(first, 10)} is not 1 or 2")
    labels: dict[str, dict[float, str]] = {}
    for variable, body in _SPSS_LABELS.findall(text):
        pairs: dict[float, str] = {}
        for line in body.splitlines():
            match = _SPSS_LABEL.match(line)
            if match and not match.group(1).startswith('"'):
                pairs[float(match.group(1))] = match.group(2).replace('""', '"')
        labels[renamed.get(variable, variable)] = pairs
    names = [renamed.get(v, v) for v in variables]
    return {
        "names": names,
        "delimiter": delimiter.replace("\\t", "\t"),
        "quote": qualifier,
        "skip": int(first) - 1,
        "labels": labels,
        "variable_labels": {
            renamed.get(v, v): label for v, label in spss_variable_labels(text).items()
        },
    }


def spss_variable_labels(text: str) -> dict[str, str]:
    """Variable labels of an SPSS syntax, in LimeSurvey's one-per-line or SoSci's block form."""
    found = {v: t.replace('""', '"') for v, t in _SPSS_VARIABLE_LABEL.findall(text)}
    for body in _SPSS_VARIABLE_LABEL_BLOCK.findall(text):
        for line in body.splitlines():
            match = _SPSS_BLOCK_LABEL.match(line)
            if match:
                found.setdefault(match.group(1), match.group(2).replace("''", "'"))
    return found


def _quoted(value: str, name: str, option: str) -> str:
    match = re.fullmatch(r"[\"']([^\"']{1,2})[\"']|\"(')\"|'(\")'", value)
    if match is None:
        raise ReadError(f"{name}: /{option}={shorten(value, 10)} is not a quoted character")
    found = next(g for g in match.groups() if g)
    if found not in (",", ";", "\\t", "\t", "|", "'", '"'):
        raise ReadError(f"{name}: /{option}: {found!r} is not a delimiter or quote this reads")
    return found


#: ``names(data)[3] <- "G01Q01"`` (LimeSurvey's R syntax).
_R_NAME = re.compile(r'^names\(data\)\[(\d{1,5})\] <- "([^"\\\n]{1,128})"\s*$', re.M)
#: ``data[, 3] <- factor(data[, 3], levels=c(1,2,3),labels=c("a", "b", "c"))``.
_R_FACTOR = re.compile(
    r"^data\[, (\d{1,5})\] <- factor\(data\[, \1\], levels=c\(([^)]*)\),labels=c\((.*)\)"
    r"(?:, ordered=TRUE)?\)\s*$",
    re.M,
)
#: SoSci's ``col.names = c("CASE","SERIAL", ...)`` inside ``read.delim(...)``.
_SOSCI_NAMES = re.compile(r"col\.names\s*=\s*c\(([^)]*)\)", re.S)
_SOSCI_FACTOR = re.compile(
    r"^ds\$([\w.]{1,64}) = factor\(ds\$\1, levels=c\(([^)]*)\), labels=c\((.*)\), "
    r"ordered=(?:FALSE|TRUE)\)\s*$",
    re.M,
)
_R_STRING = re.compile(r'"((?:[^"\\\n]|\\.)*)"')


def _r_strings(text: str) -> list[str]:
    return [re.sub(r"\\(.)", r"\1", s) for s in _R_STRING.findall(text)]


def _levels(levels: str, labels: str) -> dict[float, str]:
    codes = [c.strip().strip('"') for c in levels.split(",")]
    names = _r_strings(labels)
    result: dict[float, str] = {}
    if len(codes) != len(names):
        return result
    for code, label in zip(codes, names, strict=True):
        if re.fullmatch(r"-?\d+(\.\d+)?", code):
            result[float(code)] = label
    return result


def parse_r_syntax(text: str, name: str) -> dict:
    """Names and value labels of LimeSurvey's R syntax or SoSci's R import script."""
    sosci = _SOSCI_NAMES.search(text)
    if sosci is not None:
        names = _r_strings(sosci.group(1))
        # SoSci marks the labels of its missing codes with "[NA] " (-9 "[NA] nicht beantwortet").
        labels = {
            var: {code: label.removeprefix("[NA] ") for code, label in _levels(lv, lb).items()}
            for var, lv, lb in _SOSCI_FACTOR.findall(text)
        }
        variable_labels = {v: t.replace('\\"', '"') for v, t in _SOSCI_COMMENT.findall(text)}
        return {
            "names": names,
            "labels": labels,
            "header": "skip = 1" in text,
            "variable_labels": variable_labels,
        }
    positions = {int(i): n for i, n in _R_NAME.findall(text)}
    if not positions:
        raise ReadError(
            f"{name}: no 'names(data)[i] <- \"...\"' lines and no col.names = c(...); is it "
            "an R syntax file of LimeSurvey or SoSci Survey?"
        )
    if sorted(positions) != list(range(1, len(positions) + 1)):
        raise ReadError(f"{name}: the names(data)[i] lines do not number the columns 1..n")
    names = [positions[i] for i in range(1, len(positions) + 1)]
    variable_labels = {
        positions[int(i)]: label.replace('\\"', '"')
        for i, label in _R_VARIABLE_LABEL.findall(text)
        if int(i) in positions
    }
    labels = {
        positions[int(i)]: _levels(lv, lb)
        for i, lv, lb in _R_FACTOR.findall(text)
        if int(i) in positions
    }
    return {"names": names, "labels": labels, "header": True, "variable_labels": variable_labels}


#: SoSci's SPSS download: ``DATA LIST FREE(TAB)`` with ``/NAME (FORMAT)`` lines, then the data.
_SOSCI_DATA_LIST = re.compile(r"^DATA LIST FREE\(TAB\)\s*\n(.*?)\.\s*\nBEGIN DATA\n", re.M | re.S)
_SOSCI_VARIABLE = re.compile(r"^\s*/?([A-Za-z][\w.]{0,63})\s+\(([A-Z]+[0-9.]*)\)\s*$")
_SOSCI_VALUE_LABELS = re.compile(r"^VALUE LABELS\s*\n(.*?)\n\.\s*$", re.M | re.S)
_SOSCI_MISSING = re.compile(r"^MISSING VALUES\s*\n(.*?)\n\.\s*$", re.M | re.S)
_SOSCI_PAIR = re.compile(r"(-?\d+(?:\.\d+)?)\s+'((?:[^'\n]|'')*)'")


def parse_sosci_spss(text: str, name: str) -> dict:
    """SoSci Survey's SPSS download: one syntax file holding names, data and labels.

    The data between ``BEGIN DATA`` and ``END DATA.`` is free format: every value is
    followed by a tab, and SoSci breaks long lines after a tab, so a case may run over
    several lines; the values are read in order, as many per case as there are variables.
    """
    block = _SOSCI_DATA_LIST.search(text)
    if block is None:
        raise ReadError(f"{name}: no 'DATA LIST FREE(TAB)' ... 'BEGIN DATA' found")
    names = []
    for line in block.group(1).splitlines():
        match = _SOSCI_VARIABLE.match(line)
        if match is None:
            raise ReadError(
                f"{name}: line {shorten(line, 40)!r} of DATA LIST is not '/NAME (FORMAT)'"
            )
        names.append(match.group(1))
    end = text.find("\nEND DATA.", block.end() - 1)
    if end < 0:
        raise ReadError(f"{name}: BEGIN DATA without END DATA.")
    data = text[block.end() : end + 1].replace("\r\n", "\n").replace("\t\n", "\t")
    values = data.split("\t")
    if values and values[-1].strip() == "":
        values = values[:-1]
    if len(values) % len(names):
        raise ReadError(
            f"{name}: the data hold {len(values)} values, not a multiple of the "
            f"{len(names)} variables of DATA LIST; is the file complete?"
        )
    if any("\n" in v for v in values):
        raise ReadError(f"{name}: a line of the data does not end after a tab")
    rows = [values[i : i + len(names)] for i in range(0, len(values), len(names))]
    labels: dict[str, dict[float, str]] = {}
    for body in _SOSCI_VALUE_LABELS.findall(text[end:]):
        for part in re.split(r"(?:^|\n)\s*/", body):
            pairs = {float(c): t.replace("''", "'") for c, t in _SOSCI_PAIR.findall(part)}
            head = _SOSCI_PAIR.split(part)[0] if pairs else part
            for variable in head.split():
                labels[variable] = pairs
    missing: dict[str, list[tuple[float, float]]] = {}
    for body in _SOSCI_MISSING.findall(text[end:]):
        for variables, codes in re.findall(r"([^()]*)\(([^()]*)\)", body):
            spans = [
                (float(c), float(c)) for c in codes.split(",") if re.fullmatch(r"\s*-?\d+\s*", c)
            ]
            for variable in variables.split():
                missing[variable] = spans
    return {"names": names, "rows": rows, "labels": labels, "missing": missing}


def _read_sosci_spss(path: Path, text: str) -> RawTable:
    spec = parse_sosci_spss(text, path.name)
    try:
        check_columns(path.name, len(spec["names"]), limits())
        check_rows(path.name, len(spec["rows"]), limits())
    except LimitError as exc:
        raise FileLimitError(str(exc)) from None
    if not spec["rows"]:
        raise ReadError(f"{path.name}: the data hold no cases")
    frame = pd.DataFrame(spec["rows"], columns=spec["names"], dtype=object).astype(
        pd.StringDtype("pyarrow")
    )
    return RawTable(
        frame=frame,
        # Cases may span lines: the row is the case number, as for .sav files.
        source_rows=pd.Series(range(1, len(frame) + 1), name="row"),
        path=path,
        format="csv",
        detected={"syntax": path.name, "data": "embedded (BEGIN DATA)"},
        value_labels={k: v for k, v in spec["labels"].items() if v},
        missing_ranges={k: v for k, v in spec["missing"].items() if v},
        column_labels=spss_variable_labels(text.rpartition("\nEND DATA.")[2]),
    )


def read_with_syntax(data: str | Path, syntax: str | Path, **options) -> RawTable:
    """Read a data file with the variable names (and value labels) of its syntax file.

    ``.sps``: SPSS ``GET DATA`` syntax (LimeSurvey: header-less ``.dat``, comma, ``'``);
    ``.r``/``.R``: LimeSurvey's R syntax (CSV with a header of its own) or SoSci's
    import script (tab-separated, one header line).
    """
    data, syntax = Path(data), Path(syntax)
    text = _syntax_text(syntax)
    if syntax.suffix.lower() == ".sps" and "\nBEGIN DATA\n" in text.replace("\r\n", "\n"):
        return _read_sosci_spss(syntax, text.replace("\r\n", "\n"))
    if syntax.suffix.lower() == ".sps":
        spec = parse_spss_syntax(text, syntax.name)
        table = _read_headerless(data, spec, options.get("encoding"))
    elif syntax.suffix.lower() == ".r":
        spec = parse_r_syntax(text, syntax.name)
        if not spec["header"]:
            # SoSci's import script without 'skip = 1': the data file has no header line.
            headerless = {**spec, "delimiter": "\t", "quote": '"', "skip": 0}
            table = _read_headerless(data, headerless, options.get("encoding"))
            table.value_labels = {k: v for k, v in spec["labels"].items() if v}
            table.column_labels = dict(spec["variable_labels"])
            table.detected["syntax"] = syntax.name
            return table
        table = read_csv(data, encoding=options.get("encoding"), delimiter=options.get("delimiter"))
        if table.frame.shape[1] != len(spec["names"]):
            raise ReadError(
                f"{data.name}: {table.frame.shape[1]} columns, but the syntax file "
                f"{syntax.name} names {len(spec['names'])}; do the two files belong together?"
            )
        table.frame.columns = spec["names"]
    else:
        raise ReadError(
            f"{syntax.name}: unknown syntax file type {syntax.suffix[:10]!r}; expected .sps or .R"
        )
    table.value_labels = {k: v for k, v in spec["labels"].items() if v}
    table.column_labels = dict(spec.get("variable_labels", {}))
    table.detected["syntax"] = syntax.name
    return table


def _read_headerless(path: Path, spec: dict, encoding: str | None) -> RawTable:
    """A delimited data file without a header, named by the syntax (SPSS ``.dat``)."""
    names = spec["names"]
    try:
        check_file_size(path, "csv", limits())
    except LimitError as exc:
        raise FileLimitError(str(exc)) from None
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    body = raw[3:] if bom else raw
    text = body.decode(encoding or "utf-8") if encoding or _is_utf8(body) else body.decode("cp1252")
    lines = text.split("\n")
    text = "\n".join(lines[spec["skip"] :])
    quote = spec["quote"]
    rows = list(
        csv.reader(io.StringIO(text), delimiter=spec["delimiter"], quotechar=quote, strict=True)
        if quote
        else csv.reader(io.StringIO(text), delimiter=spec["delimiter"])
    )
    rows = [r for r in rows if r]
    wrong = [n for n, r in enumerate(rows, start=1) if len(r) != len(names)]
    if wrong:
        raise ReadError(
            f"{path.name}: line {wrong[0] + spec['skip']} has {len(rows[wrong[0] - 1])} values "
            f"but the syntax file names {len(names)} variables ({len(wrong)} such line(s))"
        )
    if not rows:
        raise ReadError(f"{path.name}: the data file holds no cases")
    try:
        check_columns(path.name, len(names), limits())
        check_rows(path.name, len(rows), limits())
    except LimitError as exc:
        raise FileLimitError(str(exc)) from None
    frame = pd.DataFrame(rows, columns=names, dtype=object).astype(pd.StringDtype("pyarrow"))
    return RawTable(
        frame=frame,
        source_rows=pd.Series(range(1 + spec["skip"], len(frame) + 1 + spec["skip"]), name="row"),
        path=path,
        format="csv",
        detected={
            "encoding": "utf-8-sig" if bom else (encoding or "utf-8"),
            "delimiter": spec["delimiter"],
            "quote": quote,
        },
    )


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def drop_label_row(raw: RawTable, id_column: str = "CASE") -> RawTable:
    """SoSci's CSV and Excel downloads can carry the variable labels as a second header
    line ("Interview-Nummer (fortlaufend)" under ``CASE``); that line is not a case.

    Dropped (with a note) when the first row's case number is text and the others are numbers.
    """
    frame = raw.frame
    column = next((c for c in frame.columns if str(c).strip().upper() == id_column), None)
    if column is None or len(frame) < 1:
        return raw
    cases = frame[column].astype("string").str.strip()
    first = cases.iloc[0]
    rest = cases.iloc[1:].dropna()
    if first is pd.NA or not first or first.isdigit():
        return raw
    if len(rest) and not rest.str.fullmatch(r"\d+").fillna(False).all():
        return raw
    label_row = int(raw.source_rows.iloc[0])
    for name, label in frame.iloc[0].items():
        if isinstance(label, str) and label.strip():
            raw.column_labels.setdefault(str(name), label.strip())
    raw.frame = frame.iloc[1:].reset_index(drop=True)
    raw.source_rows = raw.source_rows.iloc[1:].reset_index(drop=True)
    raw.notes.append(
        (
            "label_row",
            f"row {label_row} holds the variable labels (a second header line), not a case; "
            "it was not read as one",
        )
    )
    return raw
