"""Shared fixtures: small raw exports written by the tests themselves."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
import yaml

from welcome_eval.codebook import Codebook

HEADER = [
    "lfdn", "ags", "rolle", "teilnahme_seit", "zuf_runder_tisch", "zuf_checklisten",
    "zuf_praxisbeispiele", "zuf_material", "zuf_beratung", "zuf_vernetzung", "zuf_gesamt",
    "weiterempfehlung", "ideen",
]  # fmt: skip


@pytest.fixture(scope="session")
def codebook() -> Codebook:
    return Codebook.for_survey("kommunen")


def write_wave(
    directory: Path,
    rows: list[list[object]],
    *,
    header: list[str] | None = None,
    encoding: str = "cp1252",
    delimiter: str = ";",
    name: str = "export.csv",
    fieldwork: tuple[str, str] = ("2021-06-14", "2021-07-16"),
    extra: dict | None = None,
) -> Path:
    """Write a German-Excel CSV export and its manifest; return the manifest path."""
    directory.mkdir(parents=True, exist_ok=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header or HEADER)
    writer.writerows(["" if v is None else v for v in row] for row in rows)
    (directory / name).write_bytes(buffer.getvalue().encode(encoding))
    manifest = {
        "survey": "kommunen",
        "wave": "test",
        "title": "Testwelle",
        "fieldwork": {"start": fieldwork[0], "end": fieldwork[1]},
        "file": name,
        "format": "csv",
        "demo": True,
        **(extra or {}),
    }
    path = directory / "manifest.yaml"
    path.write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    return path


def good_row(lfdn: int, ags: str = "05970040", **changes: object) -> list[object]:
    row = dict(zip(HEADER, [lfdn, ags, 1, "01.02.2018", 5, 4, 4, 3, 4, 4, 4, 9, ""], strict=True))
    row.update(changes)
    return [row[h] for h in HEADER]
