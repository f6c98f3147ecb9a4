"""Report notebooks: committed clean, parameterised, runnable as a researcher opens them."""

from __future__ import annotations

import nbformat
import pytest

from welcome_eval.config import notebooks_dir
from welcome_eval.reports import execute_notebook

NOTEBOOKS = sorted(notebooks_dir().glob("*.ipynb"))


def test_there_are_report_notebooks():
    names = [p.name for p in NOTEBOOKS]
    assert {"kommunen_welle.ipynb", "neubuerger_welle.ipynb"} <= set(names)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs_and_with_one_parameters_cell(path):
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1


def test_runs_with_default_parameters_as_in_jupyterlab(tmp_path):
    notebook = execute_notebook(notebooks_dir() / "kommunen_welle.ipynb", {}, cwd=tmp_path)
    text = "\n".join(
        str(output.get("data", {}).get("text/markdown", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert "# Kommunenbefragung 2021" in text
    assert "Verglichen wird mit der Welle 2019" in text
