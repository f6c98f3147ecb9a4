r"""Data quality and methods of one wave: what was received, kept, missing and weighted.

The pure functions behind the report "Datenqualität und Methoden"
(``notebooks/qualitaet.ipynb``), one per section. Each takes a validated
:class:`~welcome_eval.ingest.wave.Wave` (or weights) and returns a tidy DataFrame with
English column names; the report puts German column names on them and passes
every table through :mod:`welcome_eval.publish.privacy` before showing it.

* :func:`intake_summary` — the file as received: name, format, SHA-256, size,
  records and columns read, and what the reader detected (encoding,
  delimiter, sheet, survey tool).
* :func:`outcome_counts` and :func:`reasons_by_outcome` — records accepted,
  accepted with a flag and quarantined, and why; the counts always add up to
  the records read (checked, else :class:`QualityError`).
* :func:`rule_counts` — problems and affected records per validation rule,
  with the German rule names of :data:`welcome_eval.ingest.validation.RULES_DE` and the
  codebook. Never a value, a row number or an identifier.
* :func:`missing_by_item` — valid answers, each missing code and empty cells per item.
* :func:`response_by_district` — participating and responding municipalities and
  respondents per district (:func:`welcome_eval.analysis.programme.response_by_district`).
* :func:`weighting_of`, :func:`design_effect`, :func:`effective_sample_size`,
  :func:`weight_summary`, :func:`weight_histogram` and :func:`weighting_effect` —
  for weighted surveys (the newcomer survey): the distribution of the design and
  calibrated weights, Kish's design effect and effective sample size, and
  unweighted, design-weighted and calibrated estimates side by side.
* :func:`wave_counts` — the counts of every wave of the survey, for comparison.
* :func:`methods_overview` and :func:`methods_references` — the methods the
  survey's reports use, with references.

References
----------
Kish, L. (1965). *Survey Sampling*, § 11.7. Wiley. — Kish, L. (1992).
Weighting for unequal Pi. *Journal of Official Statistics* 8, 183–200. —
Lumley, T. (2010). *Complex Surveys: A Guide to Analysis Using R*, ch. 7. Wiley.
— Hundepool, A. et al. (2012). *Statistical Disclosure Control*. Wiley.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib import ticker as mticker

from welcome_eval.analysis import newcomers, programme
from welcome_eval.config import notebooks_dir
from welcome_eval.errors import WelcomeEvalError
from welcome_eval.ingest.validation import (
    RULES_DE,
    STATUS_ACCEPTED,
    STATUS_FLAGGED,
    STATUS_QUARANTINED,
)
from welcome_eval.ingest.wave import Wave
from welcome_eval.present import german_format as de

__all__ = [
    "MISSING_FIXED_COLUMNS",
    "OUTCOME_LABELS_DE",
    "QualityError",
    "design_effect",
    "effective_sample_size",
    "intake_summary",
    "methods_overview",
    "methods_references",
    "missing_by_item",
    "missing_categories",
    "outcome_counts",
    "participation_reference_date",
    "reasons_by_outcome",
    "response_by_district",
    "rule_counts",
    "wave_counts",
    "wave_report_exists",
    "weight_edges",
    "weight_histogram",
    "weight_summary",
    "weighting_effect",
    "weighting_of",
]

#: German labels of the three outcomes of a record and of the total.
OUTCOME_LABELS_DE = {
    STATUS_ACCEPTED: "ohne Beanstandung übernommen",
    STATUS_FLAGGED: "mit Hinweis übernommen",
    STATUS_QUARANTINED: "zurückgestellt (Quarantäne)",
    "read": "gelesen insgesamt",
}
#: Reason of a record that broke more than one rule (it is counted once).
SEVERAL_RULES_DE = "mehrere Prüfregeln verletzt"

FORMAT_NAMES_DE = {
    "csv": "CSV (Text mit Trennzeichen)",
    "xlsx": "Excel-Arbeitsmappe (XLSX)",
    "sav": "SPSS-Datei (SAV)",
    "parquet": "Parquet",
}
DELIMITER_NAMES_DE = {
    ";": "Semikolon (;)",
    ",": "Komma (,)",
    "\t": "Tabulator",
    "|": "senkrechter Strich (|)",
}
TOOL_NAMES_DE = {"sosci": "SoSci Survey", "limesurvey": "LimeSurvey"}

#: Columns of :func:`missing_by_item` besides the one column per missing code.
MISSING_FIXED_COLUMNS = (
    "item",
    "item_label",
    "n",
    "valid",
    "no_answer",
    "missing",
    "missing_share",
)
#: German name of an empty cell (no answer and no missing code) in :func:`missing_by_item`.
NO_ANSWER_DE = "ohne Angabe"

#: Characters of the SHA-256 shown in reports: enough to tell files apart.
SHA_SHOWN = 12
#: The wave report notebook of a survey, as :data:`welcome_eval.build.reports.NOTEBOOK_PATTERN`
#: (not imported from there: the report engine pulls in tqdm and nbconvert, which a
#: report notebook does not need).
WAVE_NOTEBOOK_PATTERN = "{survey}_welle.ipynb"


class QualityError(WelcomeEvalError, ValueError):
    """The counts of a wave do not add up (a bug in reading or validation, never in the data)."""


def _check_wave(wave: object) -> Wave:
    if not isinstance(wave, Wave):
        raise TypeError(
            f"expected a Wave from welcome_eval.read_wave(manifest), got {type(wave).__name__}"
        )
    return wave


# ---------------------------------------------------------------------------
# what was received


def _file_size_de(size: int) -> str:
    if size < 1000:
        return f"{de.integer(size)} Byte"
    if size < 1_000_000:
        return f"{de.number(size / 1000, 1)} kB"
    return f"{de.number(size / 1_000_000, 1)} MB"


def _file_columns(wave: Wave) -> int:
    """Columns of the raw file: the quarantine keeps the file's columns plus ``row`` and
    ``reasons`` (it has them even when no record was quarantined)."""
    return len([c for c in wave.quarantine.columns if c not in ("row", "reasons")])


def intake_summary(wave: Wave) -> pd.DataFrame:
    """The raw file as it was received and read, one fact per row.

    Parameters
    ----------
    wave : Wave
        A wave from :func:`welcome_eval.read_wave`.

    Returns
    -------
    pandas.DataFrame
        Columns ``key`` (English name of the fact), ``label`` (German) and
        ``value`` (German text): ``file``, ``format``, ``sha256`` (first
        :data:`SHA_SHOWN` hex digits), ``size``, ``records`` (records read),
        ``columns`` (columns in the file), ``mapped`` (of them matched to the
        codebook), then what the reader detected (``encoding``, ``delimiter``,
        ``decimal``, ``sheet``, ``header_row``, ``file_label``) and the
        survey ``tool`` where the manifest names one, ``period`` (fieldwork
        or observation period), ``codebook`` and ``data`` (demo or real data).
        Describes the file, never a record.

    Examples
    --------
    >>> from welcome_eval import read_wave
    >>> from welcome_eval.config import demo_data_dir
    >>> table = intake_summary(read_wave(demo_data_dir() / "kommunen" / "2018"))
    >>> table.set_index("key").loc[["format", "encoding", "delimiter"], "value"].tolist()
    ['CSV (Text mit Trennzeichen)', 'cp1252', 'Semikolon (;)']
    """
    wave = _check_wave(wave)
    provenance, manifest = wave.provenance, wave.manifest
    detected = provenance.get("detected", {}) or {}
    size = manifest.file.stat().st_size if manifest.file.is_file() else None
    rows: list[tuple[str, str, str]] = [
        ("file", "Datei", str(provenance["file"])),
        ("format", "Format", FORMAT_NAMES_DE.get(provenance["format"], provenance["format"])),
        (
            "sha256",
            f"Prüfsumme SHA-256 (erste {SHA_SHOWN} Zeichen)",
            str(provenance["sha256"])[:SHA_SHOWN],
        ),
        ("size", "Dateigröße", _file_size_de(size) if size is not None else "–"),
        ("records", "Gelesene Datensätze", de.integer(provenance["counts"]["read"])),
        ("columns", "Spalten in der Datei", de.integer(_file_columns(wave))),
        ("mapped", "davon dem Codebuch zugeordnet", de.integer(len(provenance["column_map"]))),
    ]
    if detected.get("encoding"):
        rows.append(("encoding", "Zeichenkodierung", str(detected["encoding"])))
    if detected.get("delimiter"):
        delimiter = str(detected["delimiter"])
        rows.append(("delimiter", "Trennzeichen", DELIMITER_NAMES_DE.get(delimiter, delimiter)))
    if detected.get("decimal"):
        rows.append(
            ("decimal", "Dezimalzeichen", "Komma" if detected["decimal"] == "," else "Punkt")
        )
    if "sheet" in detected:
        sheet = detected["sheet"]
        text = f"{int(sheet) + 1}. Tabellenblatt" if isinstance(sheet, int) else f"„{sheet}“"
        rows.append(("sheet", "Tabellenblatt", text))
    if detected.get("header_row"):
        rows.append(("header_row", "Kopfzeile in Zeile", de.integer(detected["header_row"])))
    if detected.get("file_label"):
        rows.append(("file_label", "Dateibeschriftung", str(detected["file_label"])))
    if manifest.tool:
        rows.append(("tool", "Befragungswerkzeug", TOOL_NAMES_DE.get(manifest.tool, manifest.tool)))
    if manifest.fieldwork_start or manifest.fieldwork_end:
        period = f"{de.date(manifest.fieldwork_start)} bis {de.date(manifest.fieldwork_end)}"
        rows.append(("period", "Feldzeit bzw. Zeitraum (laut Manifest)", period))
    rows.append(("codebook", "Codebuch", f"{wave.codebook.title}, Version {wave.codebook.version}"))
    rows.append(
        (
            "data",
            "Art der Daten",
            "synthetische Demodaten" if manifest.demo else "Echtdaten (pseudonymisiert)",
        )
    )
    return pd.DataFrame(rows, columns=["key", "label", "value"])


# ---------------------------------------------------------------------------
# what was kept


def outcome_counts(wave: Wave) -> pd.DataFrame:
    """Records accepted, accepted with a flag and quarantined, and the total read.

    Parameters
    ----------
    wave : Wave

    Returns
    -------
    pandas.DataFrame
        Four rows (``accepted``, ``accepted_with_flags``, ``quarantined``,
        ``read``) with columns ``status``, ``label`` (German, from
        :data:`OUTCOME_LABELS_DE`), ``records`` and ``share`` (of the records
        read). The first three add up to the last.

    Raises
    ------
    QualityError
        If the counts do not add up, or disagree with the rows of
        ``wave.data`` and ``wave.quarantine`` (nothing may be dropped silently).

    Examples
    --------
    >>> from welcome_eval import read_wave
    >>> from welcome_eval.config import demo_data_dir
    >>> table = outcome_counts(read_wave(demo_data_dir() / "kommunen" / "2018"))
    >>> table[["status", "records"]].values.tolist()
    [['accepted', 51], ['accepted_with_flags', 1], ['quarantined', 0], ['read', 52]]
    """
    wave = _check_wave(wave)
    counts = wave.counts
    parts = [STATUS_ACCEPTED, STATUS_FLAGGED, STATUS_QUARANTINED]
    kept = int(wave.data["flagged"].sum()), int((~wave.data["flagged"]).sum())
    problems = []
    if sum(counts[p] for p in parts) != counts["read"]:
        problems.append(
            f"accepted + flagged + quarantined = {sum(counts[p] for p in parts)}, "
            f"read = {counts['read']}"
        )
    if (counts[STATUS_FLAGGED], counts[STATUS_ACCEPTED]) != kept:
        problems.append(
            f"flagged/accepted {counts[STATUS_FLAGGED]}/{counts[STATUS_ACCEPTED]}, "
            f"rows in wave.data {kept[0]}/{kept[1]}"
        )
    if counts[STATUS_QUARANTINED] != len(wave.quarantine):
        problems.append(
            f"quarantined = {counts[STATUS_QUARANTINED]}, rows in quarantine = "
            f"{len(wave.quarantine)}"
        )
    if problems:
        raise QualityError(
            f"{wave.provenance['file']}: the record counts do not add up ({'; '.join(problems)})"
        )
    read = counts["read"]
    return pd.DataFrame(
        {
            "status": [*parts, "read"],
            "label": [OUTCOME_LABELS_DE[s] for s in [*parts, "read"]],
            "records": [counts[s] for s in [*parts, "read"]],
            "share": [counts[s] / read if read else math.nan for s in [*parts, "read"]],
        }
    )


def _rule_names(wave: Wave) -> dict[str, str]:
    names = dict(RULES_DE)
    names.update({rule.id: rule.label for rule in wave.codebook.rules if rule.label})
    return names


def _row_status(wave: Wave) -> pd.Series:
    """Outcome of every record read, by its row number in the file."""
    status = pd.concat(
        [
            pd.Series(
                np.where(wave.data["flagged"], STATUS_FLAGGED, STATUS_ACCEPTED),
                index=wave.data["row"].astype("int64"),
            ),
            pd.Series(STATUS_QUARANTINED, index=wave.quarantine["row"].astype("int64")),
        ]
    )
    return status


def rule_counts(wave: Wave) -> pd.DataFrame:
    """Problems and affected records per validation rule (no values, rows or ids).

    Parameters
    ----------
    wave : Wave

    Returns
    -------
    pandas.DataFrame
        One row per rule and severity: ``rule`` (id), ``label`` (German name
        from :data:`welcome_eval.ingest.validation.RULES_DE` or the codebook),
        ``severity`` (``error`` quarantines the record, ``warning`` flags it),
        ``scope`` (``record``, or ``file`` for problems of the file as a whole,
        e.g. an unknown column), ``problems`` (number of findings: a record can
        break a rule in several columns) and ``records`` (distinct records
        affected; 0 for the file). Record errors first, then warnings, then
        the file; within each, most records first. Empty (with these columns)
        when nothing was found. The findings per rule and severity add up to
        :func:`welcome_eval.ingest.validation.issue_summary`'s ``Anzahl``.

    Examples
    --------
    >>> from welcome_eval import read_wave
    >>> from welcome_eval.config import demo_data_dir
    >>> table = rule_counts(read_wave(demo_data_dir() / "kommunen" / "2021"))
    >>> table[["label", "severity", "records"]].values.tolist()
    [['Gleiche Antwort auf alle Fragen eines Blocks', 'warning', 2]]
    """
    wave = _check_wave(wave)
    columns = ["rule", "label", "severity", "scope", "problems", "records"]
    issues = wave.issues
    if issues.empty:
        return pd.DataFrame(columns=columns)
    names = _rule_names(wave)
    frame = pd.DataFrame(
        {
            "rule": issues["rule"].astype(str).to_numpy(),
            "severity": issues["severity"].astype(str).to_numpy(),
            "scope": np.where(issues["row"].isna(), "file", "record"),
            "row": issues["row"].to_numpy(),
        }
    )
    table = (
        frame.groupby(["rule", "severity", "scope"], sort=False)
        .agg(problems=("rule", "size"), records=("row", "nunique"))
        .reset_index()
    )
    table["label"] = table["rule"].map(lambda r: names.get(r, r))
    order = table["scope"].eq("file") * 2 + table["severity"].ne("error")
    table = (
        table.assign(_order=order)
        .sort_values(
            ["_order", "records", "problems", "label"], ascending=[True, False, False, True]
        )
        .reset_index(drop=True)
    )
    table["problems"] = table["problems"].astype("int64")
    table["records"] = table["records"].astype("int64")
    return table[columns]


def reasons_by_outcome(wave: Wave) -> pd.DataFrame:
    """Why records were quarantined or flagged, each record counted once.

    A quarantined record's reason is the error rule it broke (its warnings do
    not matter); a flagged record's reason is its warning rule. A record that
    broke several rules of the kind counts once, as :data:`SEVERAL_RULES_DE`,
    so the counts add up to :func:`outcome_counts` per outcome.

    Parameters
    ----------
    wave : Wave

    Returns
    -------
    pandas.DataFrame
        Columns ``status`` (``quarantined`` or ``accepted_with_flags``),
        ``outcome`` (German), ``reason`` (German rule name) and ``records``;
        quarantined first, most records first. Empty when every record was
        accepted without a flag.

    Raises
    ------
    QualityError
        If the reasons do not add up to the outcome counts.

    Examples
    --------
    >>> from welcome_eval import read_wave
    >>> from welcome_eval.config import demo_data_dir
    >>> reasons_by_outcome(read_wave(demo_data_dir() / "kommunen" / "2018"))[
    ...     ["status", "records"]].values.tolist()
    [['accepted_with_flags', 1]]
    """
    wave = _check_wave(wave)
    columns = ["status", "outcome", "reason", "records"]
    names = _rule_names(wave)
    status = _row_status(wave)
    issues = wave.issues[wave.issues["row"].notna()]
    counts = wave.counts
    parts = []
    for outcome, severity in ((STATUS_QUARANTINED, "error"), (STATUS_FLAGGED, "warning")):
        rows = status.index[status.to_numpy() == outcome]
        if len(rows) == 0:
            continue
        found = issues[(issues["severity"] == severity) & issues["row"].isin(rows)]
        rules = found.groupby(found["row"].astype("int64"))["rule"].agg(lambda r: sorted(set(r)))
        reason = pd.Series(
            [
                names.get(r[0], r[0]) if len(r) == 1 else SEVERAL_RULES_DE
                for r in rules.reindex(rows).map(lambda r: r if isinstance(r, list) else [])
                if len(r)
            ],
            dtype=object,
        )
        unexplained = len(rows) - len(reason)
        if unexplained:
            raise QualityError(
                f"{wave.provenance['file']}: {unexplained} {outcome} record(s) without a "
                f"{severity} in the validation table"
            )
        tally = reason.value_counts(sort=False).rename_axis("reason").reset_index(name="records")
        tally = tally.sort_values(["records", "reason"], ascending=[False, True])
        tally.insert(0, "outcome", OUTCOME_LABELS_DE[outcome])
        tally.insert(0, "status", outcome)
        if int(tally["records"].sum()) != counts[outcome]:
            raise QualityError(
                f"{wave.provenance['file']}: reasons of {outcome} records add up to "
                f"{int(tally['records'].sum())}, not {counts[outcome]}"
            )
        parts.append(tally)
    if not parts:
        return pd.DataFrame(columns=columns)
    table = pd.concat(parts, ignore_index=True)
    table["records"] = table["records"].astype("int64")
    return table[columns]


# ---------------------------------------------------------------------------
# missing answers


def missing_by_item(wave: Wave, *, drop_unused: bool = True) -> pd.DataFrame:
    """Valid answers, each missing code and empty cells per coded item.

    Parameters
    ----------
    wave : Wave
    drop_unused : bool, default True
        Leave out missing codes that no item of the wave received.

    Returns
    -------
    pandas.DataFrame
        One row per coded item (Likert, rating, categorical) in codebook
        order: ``item``, ``item_label``, ``n`` (accepted records), ``valid``,
        one column per missing code named by its German label (e.g.
        ``weiß nicht / nicht genutzt``), ``no_answer`` (empty cell),
        ``missing`` (all but valid) and ``missing_share`` (``missing / n``).
        ``valid + missing = n`` in every row. :func:`missing_categories`
        names the missing-code columns.

    Examples
    --------
    >>> from welcome_eval import read_wave
    >>> from welcome_eval.config import demo_data_dir
    >>> table = missing_by_item(read_wave(demo_data_dir() / "kommunen" / "2018"))
    >>> bool(((table["valid"] + table["missing"]) == table["n"]).all())
    True
    """
    wave = _check_wave(wave)
    summary = wave.missing_summary()
    if summary.empty:
        return pd.DataFrame(columns=list(MISSING_FIXED_COLUMNS))
    codes = [
        c for c in summary.columns if c not in ("item", "item_label", "valid", NO_ANSWER_DE, "n")
    ]
    table = summary.rename(columns={NO_ANSWER_DE: "no_answer"})
    for column in ["n", "valid", *codes, "no_answer"]:
        table[column] = table[column].astype("int64")
    if drop_unused:
        codes = [c for c in codes if table[c].any()]
    table["missing"] = table[[*codes, "no_answer"]].sum(axis=1).astype("int64")
    if not (table["valid"] + table["missing"]).eq(table["n"]).all():
        raise QualityError(f"{wave.provenance['file']}: valid + missing answers differ from n")
    table["missing_share"] = table["missing"] / table["n"].where(table["n"] > 0)
    return table[
        ["item", "item_label", "n", "valid", *codes, "no_answer", "missing", "missing_share"]
    ]


def missing_categories(table: pd.DataFrame) -> list[str]:
    """The missing-code columns of a :func:`missing_by_item` table, then ``no_answer``.

    Examples
    --------
    >>> t = pd.DataFrame(columns=[*MISSING_FIXED_COLUMNS[:4], "weiß nicht",
    ...                           *MISSING_FIXED_COLUMNS[4:]])
    >>> missing_categories(t)
    ['weiß nicht', 'no_answer']
    """
    codes = [c for c in table.columns if c not in MISSING_FIXED_COLUMNS]
    return [*codes, "no_answer"]


# ---------------------------------------------------------------------------
# response by district


def participation_reference_date(wave: Wave) -> dt.date:
    """The date on which participation in the programme is counted for this wave.

    Surveys: the first day of fieldwork. The register extract: its extract
    date (``fieldwork.end``), since its "fieldwork" is the observation window
    that starts years before the programme.

    Raises
    ------
    ValueError
        If the manifest has no fieldwork dates.

    Examples
    --------
    >>> from welcome_eval import read_wave
    >>> from welcome_eval.config import demo_data_dir
    >>> participation_reference_date(read_wave(demo_data_dir() / "kommunen" / "2018"))
    datetime.date(2018, 6, 11)
    """
    wave = _check_wave(wave)
    manifest = wave.manifest
    date = manifest.fieldwork_end if wave.survey == "register" else manifest.fieldwork_start
    date = date or manifest.fieldwork_start or manifest.fieldwork_end
    if date is None:
        raise ValueError(
            f"{manifest.path}: no fieldwork dates; add fieldwork: start/end to the manifest "
            "to count the participating municipalities"
        )
    return date


def response_by_district(
    wave: Wave, record: pd.DataFrame, *, on: dt.date | None = None
) -> pd.DataFrame:
    """Participating and responding municipalities and records per district.

    :func:`welcome_eval.analysis.programme.response_by_district` on the wave's
    accepted records, counted on ``on`` (default
    :func:`participation_reference_date`).

    Parameters
    ----------
    wave : Wave
        A wave whose codebook has a municipality column.
    record : pandas.DataFrame
        The participation record (:func:`welcome_eval.analysis.programme.participation_record`).
    on : datetime.date, optional

    Returns
    -------
    pandas.DataFrame
        ``district``, ``municipalities``, ``participating``, ``responding``,
        ``response_rate`` (responding among participating municipalities) and
        ``respondents`` (accepted records), one row per district and the total
        ``Südwestfalen`` last.

    Raises
    ------
    ValueError
        If the survey has no municipality column.

    Examples
    --------
    >>> from welcome_eval import read_wave
    >>> from welcome_eval.config import demo_data_dir
    >>> wave = read_wave(demo_data_dir() / "kommunen" / "2018")
    >>> table = response_by_district(wave, programme.participation_record(demo_data_dir()))
    >>> int(table.iloc[-1]["respondents"]) == len(wave.data)
    True
    """
    wave = _check_wave(wave)
    municipality = wave.codebook.municipality
    if not municipality:
        raise ValueError(
            f"survey {wave.survey!r} has no municipality column in its codebook; "
            "response by district needs one"
        )
    return programme.response_by_district(
        wave.data,
        record,
        on or participation_reference_date(wave),
        municipality=municipality,
    )


# ---------------------------------------------------------------------------
# weighting


def weighting_of(wave: Wave, data_dir: str | Path | None = None) -> newcomers.Weighting | None:
    """The design and calibrated weights of a weighted survey wave, or ``None``.

    A wave is weighted when its codebook has the design-weight item
    ``gewicht`` and the data directory holds population margins for its
    survey (``<data_dir>/<survey>/population_margins.csv``, see
    :func:`welcome_eval.analysis.newcomers.read_population_margins`); the weights are
    then those of :func:`welcome_eval.analysis.newcomers.weighting` (stratified design,
    raked to the margins), exactly as in the survey's report.

    Parameters
    ----------
    wave : Wave
    data_dir : str or pathlib.Path, optional
        Default: the data directory of the wave's manifest.

    Raises
    ------
    welcome_eval.analysis.newcomers.MarginsError
        If the margins file exists but has no rows for the wave, or is inconsistent.

    Examples
    --------
    >>> from welcome_eval import read_wave
    >>> from welcome_eval.config import demo_data_dir
    >>> weighting_of(read_wave(demo_data_dir() / "kommunen" / "2018")) is None
    True
    """
    wave = _check_wave(wave)
    directory = Path(data_dir) if data_dir else wave.manifest.data_dir
    if "gewicht" not in wave.codebook or directory is None:
        return None
    if not (directory / wave.survey / newcomers.MARGINS_FILE).is_file():
        return None
    margins = newcomers.read_population_margins(directory, wave.wave, survey=wave.survey)
    return newcomers.weighting(wave, margins)


def _weights_array(weights: object, what: str = "weights") -> np.ndarray:
    values = np.asarray(weights, dtype=float)
    if values.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional (one weight per record)")
    if values.size == 0:
        raise ValueError(f"{what} are empty; pass one weight per record")
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        raise ValueError(
            f"{what} must be finite and non-negative; {int(bad.sum())} of {values.size} are not "
            "(missing, infinite or negative weights)"
        )
    if values.sum() <= 0:
        raise ValueError(f"{what} are all zero; at least one must be positive")
    return values


def design_effect(weights: Sequence[float] | np.ndarray | pd.Series) -> float:
    r"""Kish's design effect due to unequal weights.

    .. math::

        \mathrm{deff}_w = \frac{n \sum_i w_i^2}{\bigl(\sum_i w_i\bigr)^2} = 1 + \mathrm{cv}^2

    with cv the coefficient of variation of the weights (standard deviation
    with divisor *n*). It is the factor by which unequal weights alone inflate
    the variance of a mean compared with an unweighted sample of the same size,
    if the weights are unrelated to the answers (Kish 1965, § 11.7; 1992).
    Variances from the survey design itself (strata, calibration) are in the
    standard errors of :mod:`welcome_eval.stats.survey`, not here.

    Parameters
    ----------
    weights : array-like
        One weight per record: finite, non-negative, not all zero.

    Returns
    -------
    float
        At least 1; exactly 1 for equal weights.

    Raises
    ------
    ValueError
        For empty, non-finite, negative or all-zero weights.

    References
    ----------
    Kish, L. (1965). *Survey Sampling*, § 11.7. Wiley. — Kish, L. (1992).
    Weighting for unequal Pi. *Journal of Official Statistics* 8, 183–200.

    Examples
    --------
    >>> design_effect([1.0, 1.0, 1.0, 1.0])
    1.0
    >>> design_effect([1.0, 1.0, 2.0, 4.0])
    1.375
    """
    w = _weights_array(weights)
    return float(w.size * np.sum(w**2) / np.sum(w) ** 2)


def effective_sample_size(weights: Sequence[float] | np.ndarray | pd.Series) -> float:
    r"""Kish's effective sample size :math:`n_\mathrm{eff} = (\sum w_i)^2 / \sum w_i^2`.

    The number of equally weighted records that would give the same precision
    as the weighted ones (:math:`n / \mathrm{deff}_w`, see :func:`design_effect`).

    Examples
    --------
    >>> effective_sample_size([1.0, 1.0, 2.0, 4.0])
    2.909090909090909
    """
    w = _weights_array(weights)
    return float(np.sum(w) ** 2 / np.sum(w**2))


#: Quantiles of :func:`weight_summary` (column name, probability).
WEIGHT_QUANTILES = (("p05", 0.05), ("p25", 0.25), ("median", 0.5), ("p75", 0.75), ("p95", 0.95))


def weight_summary(weights: Mapping[str, Sequence[float] | np.ndarray | pd.Series]) -> pd.DataFrame:
    """Distribution of one or more sets of weights, with Kish's design effect.

    The smallest and largest weight are left out on purpose: each may belong
    to a single record. The 5 % and 95 % quantiles and their ratio describe
    the spread instead.

    Parameters
    ----------
    weights : mapping of str to array-like
        Label (e.g. ``"Designgewicht"``) → one weight per record.

    Returns
    -------
    pandas.DataFrame
        One row per label: ``weights`` (the label), ``n``, ``total`` (sum of
        weights: the population the records stand for), ``mean``, ``p05``,
        ``p25``, ``median``, ``p75``, ``p95`` (quantiles with linear
        interpolation, R's ``type = 7``), ``ratio_p95_p05``, ``cv``
        (coefficient of variation, divisor *n*), ``deff`` (:func:`design_effect`)
        and ``n_eff`` (:func:`effective_sample_size`).

    Examples
    --------
    >>> t = weight_summary({"w": [1.0, 1.0, 2.0, 4.0]})
    >>> t[["n", "total", "median", "deff"]].values.tolist()
    [[4.0, 8.0, 1.5, 1.375]]
    """
    if not isinstance(weights, Mapping) or not weights:
        raise TypeError("weights must be a non-empty mapping {label: weights}")
    rows = []
    for label, values in weights.items():
        w = _weights_array(values, f"weights {label!r}")
        mean = float(w.mean())
        row: dict[str, object] = {
            "weights": str(label),
            "n": int(w.size),
            "total": float(w.sum()),
            "mean": mean,
        }
        for name, probability in WEIGHT_QUANTILES:
            row[name] = float(np.quantile(w, probability))
        row["ratio_p95_p05"] = row["p95"] / row["p05"] if row["p05"] > 0 else math.nan
        row["cv"] = float(w.std(ddof=0) / mean)
        row["deff"] = design_effect(w)
        row["n_eff"] = effective_sample_size(w)
        rows.append(row)
    return pd.DataFrame(rows)


#: Share of records in the open top class of :func:`weight_edges` (at most).
TOP_CODED_SHARE = 0.05


def weight_edges(
    weights: Sequence[Sequence[float] | np.ndarray | pd.Series], *, bins: int = 10
) -> np.ndarray:
    """Round class limits from 0 for :func:`weight_histogram`, top-coded.

    The limits are round numbers (matplotlib's ``MaxNLocator``) from 0 up to
    the first limit at or above the largest 95 % quantile of the given sets of
    weights; the last limit opens the top class ("… und mehr"), which holds at
    most 5 % of the records of each set. Limits derived from the largest
    weight would tell where the one or two most heavily weighted records lie.

    Parameters
    ----------
    weights : sequence of array-like
        One or more sets of weights that are to share the classes.
    bins : int, default 10
        About this many closed classes below the top class.

    Examples
    --------
    >>> weight_edges([[1.0] * 19 + [100.0], [2.0] * 10 + [37.0] * 10], bins=4).tolist()
    [0.0, 10.0, 20.0, 30.0, 40.0]
    """
    if not isinstance(bins, int) or isinstance(bins, bool) or bins < 1:
        raise ValueError(f"bins must be a positive whole number, got {bins!r}")
    upper = max(float(np.quantile(_weights_array(w), 1 - TOP_CODED_SHARE)) for w in weights)
    limits = mticker.MaxNLocator(nbins=bins, steps=[1, 2, 2.5, 5, 10]).tick_values(0, upper)
    limits = np.asarray(limits[limits >= 0], dtype=float)
    if limits[-1] < upper:
        limits = np.append(limits, limits[-1] + (limits[1] - limits[0]))
    return limits


def weight_histogram(
    weights: Mapping[str, Sequence[float] | np.ndarray | pd.Series],
    *,
    edges: Sequence[float] | None = None,
    bins: int = 10,
) -> pd.DataFrame:
    """Records per weight class for one or more sets of weights, as a two-way count table.

    Classes are left-closed; the last limit opens the top class ("… und
    mehr"), so the largest weights are top-coded (see :func:`weight_edges`).
    The table is ready for ``protect(table, counts=None, min_n=min_n)``
    (:func:`welcome_eval.publish.privacy.protect`): classes with 1 to ``min_n - 1``
    records are hidden, with further cells so that none can be recovered from
    the number of records; empty classes stay visible (a zero says nothing
    about anyone).

    Parameters
    ----------
    weights : mapping of str to array-like
        Label (e.g. ``"Designgewicht"``) → one weight per record.
    edges : sequence of float, optional
        Class limits, increasing, the first at or below the smallest weight;
        default :func:`weight_edges` of all sets, so they share the classes.
    bins : int, default 10
        Passed to :func:`weight_edges` when ``edges`` is not given.

    Returns
    -------
    pandas.DataFrame
        One row per class (index ``weight_class``: German label such as
        ``"10 bis unter 20"`` or ``"60 und mehr"``), one column per set of
        weights (column axis ``weights``), counts as ``int64``.

    Examples
    --------
    >>> t = weight_histogram({"w": [1.0, 1.5, 2.5, 3.0, 7.0]}, edges=[0, 2, 4])
    >>> t["w"].to_dict()
    {'0 bis unter 2': 2, '2 bis unter 4': 2, '4 und mehr': 1}
    """
    if not isinstance(weights, Mapping) or not weights:
        raise TypeError("weights must be a non-empty mapping {label: weights}")
    sets = {str(k): _weights_array(v, f"weights {k!r}") for k, v in weights.items()}
    limits = np.asarray(
        weight_edges(list(sets.values()), bins=bins) if edges is None else edges, dtype=float
    )
    if limits.ndim != 1 or limits.size < 2 or np.any(np.diff(limits) <= 0):
        raise ValueError("edges must be at least two increasing class limits")
    smallest = min(float(w.min()) for w in sets.values())
    if smallest < limits[0]:
        raise ValueError(
            f"the smallest weight lies below the first class limit {limits[0]}; start lower"
        )
    bounds = np.append(limits, np.inf)
    digits = 0 if np.allclose(limits, np.round(limits)) else 1
    labels = [
        f"{de.number(low, digits)} bis unter {de.number(high, digits)}"
        for low, high in itertools.pairwise(limits)
    ] + [f"{de.number(limits[-1], digits)} und mehr"]
    table = pd.DataFrame(
        {label: np.histogram(w, bins=bounds)[0].astype("int64") for label, w in sets.items()},
        index=pd.Index(labels, name="weight_class"),
    )
    table.columns.name = "weights"
    return table


def weighting_effect(
    weighting: newcomers.Weighting,
    columns: Sequence[str] | None = None,
    *,
    labels: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Unweighted, design-weighted and calibrated shares side by side.

    :func:`welcome_eval.analysis.newcomers.weighted_shares` for the key results: by
    default every "offer used" column (:func:`welcome_eval.analysis.newcomers.used_column`)
    and every top-two column (:func:`welcome_eval.analysis.newcomers.top2_column`) of
    ``weighting.data``, in codebook order, labelled "genutzt: …" and
    "Top-2: …".

    Returns
    -------
    pandas.DataFrame
        ``column``, ``item``, ``item_label``, ``n`` (valid answers),
        ``unweighted``, ``design_weighted``, ``raked`` (shares 0–1),
        ``ci_low``, ``ci_high`` (logit interval of the calibrated share),
        ``deff`` (design effect of the calibrated estimate, as R's
        ``svymean(..., deff = TRUE)``) and ``difference`` (calibrated minus
        unweighted).

    Examples
    --------
    >>> from welcome_eval import read_wave
    >>> from welcome_eval.config import demo_data_dir
    >>> w = weighting_of(read_wave(demo_data_dir() / "neubuerger" / "2021"))
    >>> table = weighting_effect(w, [newcomers.top2_column("bleibeabsicht")])
    >>> table["item_label"].tolist()
    ['Top-2: Bleibeabsicht (in fünf Jahren)']
    """
    data, cb = weighting.data, weighting.codebook
    if columns is None:
        columns = []
        for item in cb.items_of(type="likert"):
            for column in (newcomers.used_column(item), newcomers.top2_column(item)):
                if column in data:
                    columns.append(column)
    missing = [c for c in columns if c not in data]
    if missing:
        raise KeyError(f"column(s) {missing} are not in the weighted data")
    names = {}
    for column in columns:
        item, _, kind = column.partition("__")
        short = cb[item].short if item in cb else item
        names[column] = {"genutzt": f"genutzt: {short}", "top2": f"Top-2: {short}"}.get(kind, short)
    names.update(labels or {})
    table = newcomers.weighted_shares(weighting, list(columns), labels=names)
    return table[
        [
            "column",
            "item",
            "item_label",
            "n",
            "unweighted",
            "design_weighted",
            "raked",
            "ci_low",
            "ci_high",
            "deff",
            "difference",
        ]
    ]


# ---------------------------------------------------------------------------
# waves compared


def wave_counts(waves: Sequence[Wave]) -> pd.DataFrame:
    """The record counts of several waves of a survey, oldest first.

    Parameters
    ----------
    waves : sequence of Wave
        Waves of the same survey in the order to show (e.g. the earlier waves,
        then the reported one).

    Returns
    -------
    pandas.DataFrame
        One row per wave: ``wave``, ``file``, ``read``, ``accepted``,
        ``flagged``, ``quarantined``, ``kept`` (accepted + flagged),
        ``kept_change`` (change of ``kept`` from the wave before; missing
        for the first), ``municipalities`` (distinct municipalities among the
        kept records; missing for surveys without a municipality column) and
        ``problems`` (validation findings).

    Raises
    ------
    ValueError
        For an empty sequence or waves of different surveys.

    Examples
    --------
    >>> from welcome_eval import read_wave
    >>> from welcome_eval.config import demo_data_dir
    >>> waves = [read_wave(demo_data_dir() / "kommunen" / w) for w in ("2018", "2019")]
    >>> wave_counts(waves)[["wave", "read", "kept_change"]].values.tolist()
    [['2018', 52, <NA>], ['2019', 55, 3]]
    """
    waves = [_check_wave(w) for w in waves]
    if not waves:
        raise ValueError("pass at least one wave")
    surveys = {w.survey for w in waves}
    if len(surveys) > 1:
        raise ValueError(f"waves of different surveys cannot be compared: {sorted(surveys)}")
    rows = []
    for wave in waves:
        counts = wave.counts
        municipality = wave.codebook.municipality
        rows.append(
            {
                "wave": wave.wave,
                "file": wave.provenance["file"],
                "read": counts["read"],
                "accepted": counts[STATUS_ACCEPTED],
                "flagged": counts[STATUS_FLAGGED],
                "quarantined": counts[STATUS_QUARANTINED],
                "kept": counts[STATUS_ACCEPTED] + counts[STATUS_FLAGGED],
                "municipalities": wave.data[municipality].nunique()
                if municipality and municipality in wave.data
                else pd.NA,
                "problems": len(wave.issues),
            }
        )
    table = pd.DataFrame(rows)
    table["kept_change"] = table["kept"].diff().astype("Int64")
    table["municipalities"] = table["municipalities"].astype("Int64")
    return table[
        [
            "wave",
            "file",
            "read",
            "accepted",
            "flagged",
            "quarantined",
            "kept",
            "kept_change",
            "municipalities",
            "problems",
        ]
    ]


def wave_report_exists(survey: str) -> bool:
    """Whether the report build writes a report of the survey's waves (``bericht.html``).

    True when the survey has a wave notebook (:data:`WAVE_NOTEBOOK_PATTERN`),
    so the data-quality report beside it can link to it.

    Examples
    --------
    >>> wave_report_exists("kommunen"), wave_report_exists("keine_befragung")
    (True, False)
    """
    return (notebooks_dir() / WAVE_NOTEBOOK_PATTERN.format(survey=survey)).is_file()


# ---------------------------------------------------------------------------
# methods


@dataclass(frozen=True)
class _Method:
    name: str
    use: str
    references: tuple[str, ...]


#: Short and full citation of every reference, by key.
REFERENCES: dict[str, tuple[str, str]] = {
    "aalen_johansen": (
        "Aalen & Johansen (1978)",
        "Aalen, O. O. & Johansen, S. (1978). An empirical transition matrix for non-homogeneous "
        "Markov chains based on censored observations. Scandinavian Journal of Statistics 5, "
        "141–150.",
    ),
    "binder": (
        "Binder (1983)",
        "Binder, D. A. (1983). On the variances of asymptotically normal estimators from complex "
        "surveys. International Statistical Review 51, 279–292.",
    ),
    "callaway": (
        "Callaway & Sant'Anna (2021)",
        "Callaway, B. & Sant'Anna, P. H. C. (2021). Difference-in-differences with multiple time "
        "periods. Journal of Econometrics 225, 200–230.",
    ),
    "cox": (
        "Cox (1972)",
        "Cox, D. R. (1972). Regression models and life-tables. Journal of the Royal Statistical "
        "Society B 34, 187–220.",
    ),
    "cronbach": (
        "Cronbach (1951)",
        "Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests. "
        "Psychometrika 16, 297–334.",
    ),
    "deming_stephan": (
        "Deming & Stephan (1940)",
        "Deming, W. E. & Stephan, F. F. (1940). On a least squares adjustment of a sampled "
        "frequency table when the expected marginal totals are known. Annals of Mathematical "
        "Statistics 11, 427–444.",
    ),
    "feldt": (
        "Feldt, Woodruff & Salih (1987)",
        "Feldt, L. S., Woodruff, D. J. & Salih, F. A. (1987). Statistical inference for "
        "coefficient alpha. Applied Psychological Measurement 11, 93–103.",
    ),
    "hyndman_fan": (
        "Hyndman & Fan (1996)",
        "Hyndman, R. J. & Fan, Y. (1996). Sample quantiles in statistical packages. The "
        "American Statistician 50, 361–365.",
    ),
    "holm": (
        "Holm (1979)",
        "Holm, S. (1979). A simple sequentially rejective multiple test procedure. Scandinavian "
        "Journal of Statistics 6, 65–70.",
    ),
    "hundepool": (
        "Hundepool u. a. (2012)",
        "Hundepool, A., Domingo-Ferrer, J., Franconi, L., Giessing, S., Schulte Nordholt, E., "
        "Spicer, K. & de Wolf, P.-P. (2012). Statistical Disclosure Control. Wiley.",
    ),
    "kaplan_meier": (
        "Kaplan & Meier (1958)",
        "Kaplan, E. L. & Meier, P. (1958). Nonparametric estimation from incomplete "
        "observations. Journal of the American Statistical Association 53, 457–481.",
    ),
    "kish": (
        "Kish (1965; 1992)",
        "Kish, L. (1965). Survey Sampling, § 11.7. Wiley; Kish, L. (1992). Weighting for "
        "unequal Pi. Journal of Official Statistics 8, 183–200.",
    ),
    "krawczyk": (
        "RFC 2104 (1997)",
        "Krawczyk, H., Bellare, M. & Canetti, R. (1997). HMAC: Keyed-hashing for message "
        "authentication. RFC 2104.",
    ),
    "lumley": (
        "Lumley (2010)",
        "Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R. Wiley; R-Paket "
        "survey (Lumley, T., 2004, Journal of Statistical Software 9(8)).",
    ),
    "mantel": (
        "Mantel (1966)",
        "Mantel, N. (1966). Evaluation of survival data and two new rank order statistics "
        "arising in its consideration. Cancer Chemotherapy Reports 50, 163–170.",
    ),
    "martilla_james": (
        "Martilla & James (1977)",
        "Martilla, J. A. & James, J. C. (1977). Importance-performance analysis. Journal of "
        "Marketing 41(1), 77–79.",
    ),
    "mccullagh": (
        "McCullagh (1980)",
        "McCullagh, P. (1980). Regression models for ordinal data. Journal of the Royal "
        "Statistical Society B 42, 109–142.",
    ),
    "reichheld": (
        "Reichheld (2003)",
        "Reichheld, F. F. (2003). The one number you need to grow. Harvard Business Review "
        "81(12), 46–54.",
    ),
    "student": (
        "Student (1908)",
        "Student (1908). The probable error of a mean. Biometrika 6, 1–25.",
    ),
    "therneau": (
        "Therneau & Grambsch (2000)",
        "Therneau, T. M. & Grambsch, P. M. (2000). Modeling Survival Data: Extending the Cox "
        "Model. Springer; R-Paket survival (Therneau, T. M.).",
    ),
    "welch": (
        "Welch (1947)",
        "Welch, B. L. (1947). The generalization of “Student's” problem when several different "
        "population variances are involved. Biometrika 34, 28–35.",
    ),
    "wilson": (
        "Wilson (1927)",
        "Wilson, E. B. (1927). Probable inference, the law of succession, and statistical "
        "inference. Journal of the American Statistical Association 22, 209–212.",
    ),
}

_METHODS: dict[str, _Method] = {
    "validation": _Method(
        "Prüfung gegen das Codebuch",
        "Jeder Datensatz wird gegen Typ, Wertebereich, Pflichtangaben und die Regeln des "
        "Codebuchs geprüft: übernommen, mit Hinweis übernommen oder zurückgestellt.",
        (),
    ),
    "pseudonyms": _Method(
        "Pseudonymisierung",
        "Kennungen von Personen und Haushalten werden beim Einlesen durch einen Schlüssel-"
        "Hash (HMAC-SHA-256) ersetzt.",
        ("krawczyk",),
    ),
    "disclosure": _Method(
        "Geheimhaltung (Zellsperrung)",
        "Werte für Gruppen mit weniger als der Mindestzahl an Antwortenden werden gesperrt, "
        "weitere Zellen sekundär, damit sich gesperrte Werte nicht zurückrechnen lassen.",
        ("hundepool",),
    ),
    "wilson": _Method(
        "Wilson-Intervall",
        "Konfidenzintervall für Anteile (z. B. Anteil „eher“ oder „sehr zufrieden“).",
        ("wilson",),
    ),
    "t_interval": _Method(
        "t-Intervall", "Konfidenzintervall für Mittelwerte von Bewertungen.", ("student",)
    ),
    "welch": _Method(
        "Welch-Test",
        "Vergleich von Mittelwerten zweier Wellen oder Gruppen ohne Annahme gleicher Varianzen.",
        ("welch",),
    ),
    "holm": _Method(
        "Holm-Korrektur",
        "Anpassung der p-Werte, wenn viele Vergleiche auf einmal angestellt werden.",
        ("holm",),
    ),
    "cronbach": _Method(
        "Cronbachs Alpha mit Feldt-Intervall",
        "Zuverlässigkeit (interne Konsistenz) einer Skala aus mehreren Fragen.",
        ("cronbach", "feldt"),
    ),
    "nps": _Method(
        "Net Promoter Score", "Weiterempfehlungsbereitschaft auf der Skala 0–10.", ("reichheld",)
    ),
    "design": _Method(
        "Designbasierte Schätzung",
        "Hochgerechnete Anteile und Mittelwerte mit Standardfehlern aus Taylor-Linearisierung "
        "für die geschichtete Stichprobe (wie das R-Paket survey).",
        ("binder", "lumley"),
    ),
    "raking": _Method(
        "Kalibrierung (Raking)",
        "Anpassung der Designgewichte an bekannte Verteilungen im Melderegister "
        "(iterative proportionale Anpassung).",
        ("deming_stephan", "lumley"),
    ),
    "logit_ci": _Method(
        "Logit-Intervall",
        "Konfidenzintervall für hochgerechnete Anteile auf der Logit-Skala (wie svyciprop im "
        "R-Paket survey).",
        ("lumley",),
    ),
    "quartiles": _Method(
        "Median und Quartile",
        "Einordnung einer Kommune in die Verteilung der anderen, ohne deren Einzelwerte "
        "(Stichprobenquantile Typ 7, wie in R).",
        ("hyndman_fan",),
    ),
    "scoring": _Method(
        "Punktwerte und Reifegrade",
        "Punktwert je Dimension der Checkliste (0–100) und Reifegrad nach der Bewertungsregel "
        "des Codebuchs.",
        (),
    ),
    "kish": _Method(
        "Designeffekt und effektive Fallzahl nach Kish",
        "Wie stark ungleiche Gewichte die Genauigkeit verringern.",
        ("kish",),
    ),
    "polr": _Method(
        "Proportional-Odds-Modell",
        "Zusammenhang der Bleibeabsicht mit Bewertungen und Merkmalen (ordinale Regression).",
        ("mccullagh",),
    ),
    "ipa": _Method(
        "Importance-Performance-Analyse",
        "Gegenüberstellung von Zufriedenheit und Bedeutung für die Bleibeabsicht.",
        ("martilla_james",),
    ),
    "kaplan_meier": _Method(
        "Kaplan–Meier-Schätzer",
        "Anteil der Zugezogenen, die nach einer bestimmten Zeit noch am Ort wohnen.",
        ("kaplan_meier", "therneau"),
    ),
    "logrank": _Method(
        "Log-Rank-Test", "Vergleich der Verbleibkurven zweier Gruppen.", ("mantel",)
    ),
    "cox": _Method(
        "Cox-Regression",
        "Wegzugsrisiko in Abhängigkeit von Merkmalen und der Teilnahme der Kommune "
        "(robuste Standardfehler je Haushalt).",
        ("cox", "therneau"),
    ),
    "aalen_johansen": _Method(
        "Aalen–Johansen-Schätzer",
        "Kumulierte Anteile der Wegzüge nach Ziel (konkurrierende Ereignisse).",
        ("aalen_johansen",),
    ),
    "callaway": _Method(
        "Differenz-von-Differenzen nach Callaway & Sant'Anna",
        "Wirkung der Teilnahme an der Qualitätsoffensive bei gestaffeltem Beitritt der Kommunen.",
        ("callaway",),
    ),
}

#: Methods of each survey's reports, in the order the methods section lists them.
SURVEY_METHODS: dict[str, tuple[str, ...]] = {
    "kommunen": ("wilson", "t_interval", "welch", "holm", "cronbach", "nps", "quartiles"),
    "neubuerger": ("design", "raking", "kish", "logit_ci", "polr", "ipa"),
    "register": ("kaplan_meier", "logrank", "cox", "aalen_johansen", "callaway"),
    "checkliste": ("scoring", "quartiles"),
}
#: Methods every survey's reports use.
COMMON_METHODS = ("validation", "pseudonyms", "disclosure")


def _methods_of(survey: str) -> list[_Method]:
    if not isinstance(survey, str) or not survey.strip():
        raise ValueError(f"survey must be a survey id such as 'kommunen', got {survey!r}")
    keys = [*COMMON_METHODS, *SURVEY_METHODS.get(survey, ("wilson",))]
    return [_METHODS[k] for k in dict.fromkeys(keys)]


def methods_overview(survey: str) -> pd.DataFrame:
    """The methods a survey's reports use, in German, with short citations.

    Parameters
    ----------
    survey : str
        Survey id (``kommunen``, ``neubuerger``, ``register``, ``checkliste``;
        others get the common methods and the Wilson interval).

    Returns
    -------
    pandas.DataFrame
        ``method``, ``use`` (what it is used for) and ``references`` (short
        citations such as ``"Wilson (1927)"``; empty where the method is the
        project's own procedure). The data checks, pseudonymisation and
        disclosure control come first: every report uses them.

    Examples
    --------
    >>> methods_overview("kommunen").set_index("method").loc["Wilson-Intervall", "references"]
    'Wilson (1927)'
    """
    rows = [
        {
            "method": method.name,
            "use": method.use,
            "references": "; ".join(REFERENCES[k][0] for k in method.references),
        }
        for method in _methods_of(survey)
    ]
    return pd.DataFrame(rows, columns=["method", "use", "references"])


def methods_references(survey: str) -> list[str]:
    """Full citations of the methods of a survey's reports, alphabetical.

    Examples
    --------
    >>> [r.split(",")[0] for r in methods_references("register")][:3]
    ['Aalen', 'Callaway', 'Cox']
    """
    keys = dict.fromkeys(k for m in _methods_of(survey) for k in m.references)
    return sorted((REFERENCES[k][1] for k in keys), key=str.casefold)
