"""Report notebooks: committed clean, parameterised, gated, runnable as a researcher opens them."""

from __future__ import annotations

import ast
import re

import nbformat
import pytest
from bs4 import BeautifulSoup

from welcome_eval.build.reports import execute_notebook
from welcome_eval.config import demo_data_dir, notebooks_dir
from welcome_eval.ingest.wave import find_manifests

# The tour start_hier.ipynb is no report (tests/test_lab.py checks it); researchers' own
# notebooks live in arbeit/, outside notebooks/.
NOTEBOOKS = sorted(p for p in notebooks_dir().glob("*.ipynb") if p.name != "start_hier.ipynb")
#: The regional reports per wave and the sections each must have.
REGIONAL = {
    "kommunen_welle.ipynb": [
        "Wer hat geantwortet?",
        "Zufriedenheit mit den Bausteinen der Qualitätsoffensive",
        "Ergebnisse nach Kreisen",
        "Kommunen der Startphase und später beigetretene Kommunen",
        "Veränderung gegenüber der Vorwelle",
        "Entwicklung über alle 3 Wellen",
        "Zuverlässigkeit der Skala",
        "Weiterempfehlung",
        "Ideen zur Weiterentwicklung",
        "Datengrundlage und Datenqualität",
    ],
    "neubuerger_welle.ipynb": [
        "Das Wichtigste in Kürze",
        "Wer hat geantwortet?",
        "Ergebnisse nach Kreisen",
        "Neuzugezogene in Kommunen der Startphase",
        "Zuverlässigkeit der Skalen",
        "Veränderung gegenüber der Vorwelle",
        "Entwicklung über alle 2 Wellen",
        "Anmerkungen der Neuzugezogenen",
    ],
}


def _logic(source: str) -> list[str]:
    """The logic in a code cell: loops, def, class, if (statement or expression), lambda,
    and dicts of strings passed to ``rename(...)``, as ``columns=`` or as a table's
    ``labels=``."""
    found = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.For | ast.AsyncFor | ast.While):
            found.add(f"loop (line {node.lineno})")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            found.add(f"def/class {node.name}")
        elif isinstance(node, ast.If | ast.IfExp):
            found.add(f"if (line {node.lineno})")
        elif isinstance(node, ast.Lambda):
            found.add(f"lambda (line {node.lineno})")
        elif isinstance(node, ast.Call):
            renaming = isinstance(node.func, ast.Attribute) and node.func.attr == "rename"
            passed = [*node.args] if renaming else []
            called = getattr(node.func, "id", None) or getattr(node.func, "attr", "")
            shows = called in {"show_table", "table", "table_html"}
            passed += [
                k.value
                for k in node.keywords
                if renaming or k.arg == "columns" or (shows and k.arg == "labels")
            ]
            for value in passed:
                if isinstance(value, ast.Dict) and any(
                    isinstance(v, ast.Constant | ast.JoinedStr) for v in value.values
                ):
                    found.add(f"rename dict (line {value.lineno})")
    return sorted(found)


def test_logic_check_finds_each_kind_of_logic():
    assert _logic("show_text('a')\nx = [i for i in y if i]") == []
    assert _logic("for i in y:\n    pass") == ["loop (line 1)"]
    assert _logic("def f():\n    pass") == ["def/class f"]
    assert _logic("x = 1 if y else 2") == ["if (line 1)"]
    assert _logic("t.rename(columns={'n': 'Anzahl'})") == ["rename dict (line 1)"]
    assert _logic("show_table(t, labels={'n': 'Anzahl'})") == ["rename dict (line 1)"]
    assert _logic("reliability_table(w, labels={'skala': 'Skala'})") == []
    assert _logic("f = lambda v: v") == ["lambda (line 1)"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_report_notebook_holds_no_logic(path):
    """A cell is a choice of what to show plus its German narration (issue 13, point 2):
    loops, functions, conditions and German renames belong in welcome_eval.present."""
    notebook = nbformat.read(path, as_version=4)
    logic = {
        number: _logic(cell.source)
        for number, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and _logic(cell.source)
    }
    assert not logic, logic


def test_there_are_report_notebooks():
    names = [p.name for p in NOTEBOOKS]
    assert set(REGIONAL) <= set(names)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_committed_without_outputs_and_with_one_parameters_cell(path):
    notebook = nbformat.read(path, as_version=4)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(not c.outputs and c.execution_count is None for c in code)
    tagged = [c for c in code if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1


def _parameters(path) -> dict:
    notebook = nbformat.read(path, as_version=4)
    cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    values: dict = {}
    exec(cell.source, {}, values)
    # The annotations give papermill the types (tests/test_notebook_parameters.py).
    return {k: v for k, v in values.items() if not k.startswith("__")}


@pytest.mark.parametrize("name", sorted(REGIONAL))
def test_regional_parameters_include_data_dir_and_min_n(name):
    assert _parameters(notebooks_dir() / name) == {
        "manifest": None,
        "previous_manifests": [],
        "data_dir": None,
        "min_n": 5,
    }


@pytest.mark.parametrize("name", sorted(REGIONAL))
def test_no_cell_ends_in_a_bare_expression(name):
    """A bare expression at the end of a cell would display its value (e.g. a raw DataFrame)."""
    notebook = nbformat.read(notebooks_dir() / name, as_version=4)
    for cell in notebook.cells:
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        last = ast.parse(cell.source).body[-1]
        if isinstance(last, ast.Expr):
            assert isinstance(last.value, ast.Call), cell.source[-200:]
            called = last.value.func
            # show_*(...), or the report's own display (bericht.table, report.data_basis, ...)
            shows = isinstance(called, ast.Name) and called.id.startswith("show_")
            reports = isinstance(called, ast.Attribute) and isinstance(called.value, ast.Name)
            reports = reports and called.value.id in {"bericht", "report"}
            assert shows or reports, cell.source[-200:]


def _outputs(notebook) -> list:
    return [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.outputs]


@pytest.fixture(scope="module", params=sorted(REGIONAL))
def executed(request, tmp_path_factory, report_kernel):
    """The newest demo wave of each regional report with the parameters `welcome-eval build`
    passes (all earlier waves, data directory), and a threshold of 10 instead of 5 (the
    parameter must reach every table)."""
    survey = request.param.removesuffix("_welle.ipynb")
    *earlier, newest = find_manifests(demo_data_dir(), survey)
    parameters = {
        "manifest": str(newest),
        "previous_manifests": [str(p) for p in earlier],
        "data_dir": str(demo_data_dir()),
        "min_n": 10,
    }
    notebook = execute_notebook(
        notebooks_dir() / request.param,
        parameters,
        cwd=tmp_path_factory.mktemp("nb"),
        kernel=report_kernel,
    )
    return request.param, notebook


def test_regional_report_executes_with_all_sections(executed):
    name, notebook = executed
    outputs = _outputs(notebook)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    text = "\n".join(
        str(o.get("data", {}).get("text/markdown", ""))
        + str(o.get("data", {}).get("text/html", ""))
        for o in outputs
    )
    for cell in notebook.cells:
        if cell.cell_type == "markdown":
            text += "\n" + cell.source
    for section in REGIONAL[name]:
        assert section in text, section
    # The common vocabulary of comparisons appears in the report.
    assert re.search(r"Effektstärke (r|ε²|h) = ", text)
    assert "statistisch bedeutsam" in text or "kein belastbarer Unterschied" in text


def test_regional_report_shows_no_raw_table_and_gates_everything(executed):
    name, notebook = executed
    outputs = _outputs(notebook)
    # show_* return nothing: an execute_result would be a value the notebook displayed raw.
    assert not [o for o in outputs if o.get("output_type") == "execute_result"], name
    html = "\n".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    page = BeautifulSoup(html, "html.parser")
    tables, figures = page.find_all("table"), page.find_all("figure")
    assert len(tables) >= 8 and len(figures) >= 5
    assert not page.find("table", class_="dataframe")
    for table in tables:
        assert {"gate-protected", "gate-not-personal"} & set(table.get("class") or []), table
        if "gate-protected" in table.get("class"):
            assert table["data-min-n"] == "10"  # the parameter reached the gate
    for figure in figures:
        assert figure.get("data-gate") in {"protected", "not-personal"}
        assert len(figure.find("img").get("alt", "")) >= 10 and figure.find("figcaption")
    for row in page.select("table.gate-tidy tbody tr[data-n]"):
        assert row["data-n"] == "." or float(row["data-n"]) >= 10, row
    if name == "kommunen_welle.ipynb":  # 1–3 respondents per municipality, few in Kreis Olpe
        assert "weniger als 10 Antwortende" in html  # small groups were hidden and explained


def test_kommunen_runs_with_default_parameters_as_in_jupyterlab(tmp_path, report_kernel):
    notebook = execute_notebook(
        notebooks_dir() / "kommunen_welle.ipynb", {}, cwd=tmp_path, kernel=report_kernel
    )
    text = "\n".join(
        str(output.get("data", {}).get("text/markdown", ""))
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.outputs
    )
    assert "# Kommunenbefragung 2021" in text
    assert "Verglichen wird mit der Welle 2019" in text
