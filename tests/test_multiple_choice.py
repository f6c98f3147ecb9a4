"""Multiple-choice questions: one column per option, or one delimited column."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from welcome_eval.ingest.codebook import Codebook
from welcome_eval.ingest.readers import read_raw
from welcome_eval.ingest.validation import validate
from welcome_eval.ingest.writers import csv_bytes, sav_bytes, xlsx_bytes

CB = Codebook.from_dict(
    {
        "survey": "mc",
        "respondent_id": "id",
        "items": [
            {"id": "id", "type": "id", "required": True},
            {
                "id": "quelle",
                "type": "multiple",
                "label": "Wie haben Sie von uns erfahren?",
                "values": {1: "Arbeitgeber", 2: "Freunde/Familie", 3: "Internet"},
            },
        ],
    }
)
NAN = np.nan


def _read(tmp_path, text: str, **kwargs):
    path = tmp_path / "mc.csv"
    path.write_text(text, encoding="utf-8")
    return validate(read_raw(path), CB, **kwargs)


def _options(result):
    return result.values[["quelle_1", "quelle_2", "quelle_3"]].to_numpy().tolist()


def test_codebook_expands_options():
    assert CB["quelle"].columns == ["quelle_1", "quelle_2", "quelle_3"]
    assert CB.column_items()["quelle_2"][1] == 2


def test_one_column_per_option(tmp_path):
    result = _read(
        tmp_path, "id;quelle_1;quelle_2;quelle_3\n1;1;;x\n2;;;\n3;ja;nein;0\n4;vielleicht;;\n"
    )
    rows = _options(result)
    assert rows[0] == [1.0, 0.0, 1.0]
    assert all(np.isnan(rows[1]))  # not answered at all
    assert rows[2] == [1.0, 0.0, 0.0]
    issues = result.issues
    assert issues[["row", "column", "rule"]].values.tolist() == [[5, "quelle_1", "type"]]
    assert result.status.tolist()[3] == "quarantined"


def test_one_delimited_column_with_codes_or_labels(tmp_path):
    result = _read(tmp_path, 'id;quelle\n1;"1;3"\n2;"Arbeitgeber; internet"\n3;\n4;7\n')
    rows = _options(result)
    assert rows[0] == [1.0, 0.0, 1.0]
    assert rows[1] == [1.0, 0.0, 1.0]
    assert all(np.isnan(rows[2]))
    assert result.issues[["row", "column", "rule"]].values.tolist() == [[5, "quelle", "type"]]


def test_sosci_codes_two_for_chosen(tmp_path):
    result = _read(
        tmp_path, "id;quelle_1;quelle_2;quelle_3\n1;2;1;1\n", choices=(("2",), ("1", ""))
    )
    assert _options(result)[0] == [1.0, 0.0, 0.0]


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "sav"])
def test_options_survive_every_writer(tmp_path, fmt):
    frame = pd.DataFrame(
        {
            "id": [1, 2, 3],
            "quelle_1": [1.0, 0.0, NAN],
            "quelle_2": [0.0, 0.0, NAN],
            "quelle_3": [1.0, 1.0, NAN],
        }
    )
    content = {
        "csv": lambda: csv_bytes(frame, CB),
        "xlsx": lambda: xlsx_bytes(frame, CB, timestamp=dt.date(2021, 7, 1)),
        "sav": lambda: sav_bytes(frame, CB, title="mc", timestamp=dt.date(2021, 7, 1)),
    }[fmt]()
    path = tmp_path / f"mc.{fmt}"
    path.write_bytes(content)
    result = validate(read_raw(path), CB)
    assert result.issues.empty, result.issues
    np.testing.assert_array_equal(
        result.values[["quelle_1", "quelle_2", "quelle_3"]].to_numpy(),
        frame[["quelle_1", "quelle_2", "quelle_3"]].to_numpy(),
    )
