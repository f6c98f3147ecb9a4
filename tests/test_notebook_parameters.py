"""Report notebooks whose parameters guard themselves (issue 15, part 4): a researcher's
values in JupyterLab or papermill are checked and resolved before anything is computed,
``papermill --help-notebook`` lists every parameter with type and meaning, no caption
number is typed, and what only the researcher should see stays out of the published page.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import nbformat
import pytest

from welcome_eval.config import demo_data_dir, notebooks_dir
from welcome_eval.errors import WelcomeEvalError
from welcome_eval.sections.parameters import (
    LAB_ONLY,
    LAB_ONLY_TAG,
    ParameterError,
    check_parameters,
    is_lab_only,
    lab_notice,
)

REPORT_NOTEBOOKS = [
    "checkliste_welle.ipynb",
    "gemeinde.ipynb",
    "kommunen_welle.ipynb",
    "neubuerger_welle.ipynb",
    "programm.ipynb",
    "qualitaet.ipynb",
    "register_welle.ipynb",
]
KERNELSPEC = {"name": "welcome-eval", "display_name": "Python (welcome-eval)", "language": "python"}
DEMO = demo_data_dir()


def _wave(survey: str, wave: str) -> Path:
    return (DEMO / survey / wave / "manifest.yaml").resolve()


# Waves and earlier waves -------------------------------------------------------------


def test_only_the_manifest_given_finds_the_earlier_waves():
    checked = check_parameters("kommunen", manifest=str(_wave("kommunen", "2019")))
    assert checked.manifest == _wave("kommunen", "2019")
    assert checked.previous_manifests == [_wave("kommunen", "2018")]
    assert (checked.wave, checked.previous_waves) == ("2019", ["2018"])
    first = check_parameters("kommunen", manifest=str(_wave("kommunen", "2018")))
    assert first.previous_manifests == []


def test_earlier_waves_passed_explicitly_are_kept():
    checked = check_parameters(
        "kommunen",
        manifest=_wave("kommunen", "2021"),
        previous_manifests=[str(_wave("kommunen", "2019"))],
    )
    assert checked.previous_manifests == [_wave("kommunen", "2019")]


@pytest.mark.slow
def test_found_earlier_waves_are_those_the_build_passes():
    from welcome_eval.build.plan import plan

    jobs = [j for j in plan(DEMO) if "manifest" in j.parameters]
    assert len(jobs) > 9
    for job in jobs:
        found = check_parameters(
            None, manifest=job.parameters["manifest"], data_dir=job.parameters["data_dir"]
        )
        assert found.previous_manifests == [
            Path(p).resolve() for p in job.parameters["previous_manifests"]
        ], job.relative_path


@pytest.mark.parametrize("wave", [2019, "2019", "kommunen/2019"])
def test_a_wave_is_named_by_its_id_as_number_or_text_or_by_its_folder(wave):
    value = DEMO / wave if wave == "kommunen/2019" else wave
    checked = check_parameters("kommunen", manifest=value, data_dir=DEMO)
    assert checked.manifest == _wave("kommunen", "2019")
    assert checked.previous_waves == ["2018"]


def test_without_a_manifest_the_newest_wave_against_all_earlier():
    checked = check_parameters("kommunen", data_dir=str(DEMO))
    assert (checked.wave, checked.previous_waves) == ("2021", ["2018", "2019"])
    assert checked.demo and checked.data_dir == DEMO


def test_a_wave_that_does_not_exist_is_named_with_the_waves_that_do():
    with pytest.raises(ParameterError) as error:
        check_parameters("kommunen", manifest=2020, data_dir=DEMO)
    message = str(error.value)
    assert "manifest = 2020" in message and "2018, 2019, 2021" in message


def test_an_empty_data_folder_says_which_survey_it_lacks(tmp_path):
    with pytest.raises(ParameterError, match="keine Welle der Befragung 'neubuerger'"):
        check_parameters("neubuerger", data_dir=tmp_path, municipal=True)
    with pytest.raises(ParameterError, match="diese Welle der Befragung 'kommunen' gibt es"):
        check_parameters("kommunen", manifest="2019", data_dir=tmp_path)
    with pytest.raises(ParameterError, match=r"programme/teilnahme\.csv"):
        check_parameters(None, data_dir=tmp_path, wave_report=False)


def test_a_data_folder_that_does_not_exist(tmp_path):
    with pytest.raises(ParameterError, match=r"data_dir = .*diesen Ordner gibt es nicht"):
        check_parameters("kommunen", data_dir=tmp_path / "fehlt")


def test_a_wave_of_another_survey_is_refused():
    with pytest.raises(ParameterError, match=r"Befragung 'neubuerger'.*berichtet über 'kommunen'"):
        check_parameters("kommunen", manifest=_wave("neubuerger", "2023"))
    with pytest.raises(ParameterError, match=r"previous_manifests.*'checkliste'"):
        check_parameters(
            "kommunen",
            manifest=_wave("kommunen", "2021"),
            previous_manifests=[_wave("checkliste", "2019")],
        )


def test_the_quality_report_takes_the_survey_of_its_manifest():
    checked = check_parameters(None, manifest=_wave("neubuerger", "2023"))
    assert (checked.survey, checked.previous_waves) == ("neubuerger", ["2021"])


def test_a_manifest_elsewhere_brings_its_own_data_folder(tmp_path):
    for survey in ("kommunen", "programme"):
        shutil.copytree(DEMO / survey, tmp_path / survey)
    checked = check_parameters("kommunen", manifest=tmp_path / "kommunen" / "2019")
    assert checked.data_dir == tmp_path.resolve()
    assert checked.previous_manifests == [(tmp_path / "kommunen/2018/manifest.yaml").resolve()]


@pytest.mark.parametrize("value", [0, -1, "fünf", True, 2.5])
def test_min_n_must_be_a_whole_number_of_at_least_one(value):
    with pytest.raises(ParameterError, match="min_n"):
        check_parameters("kommunen", min_n=value)


def test_min_n_from_papermill_raw_text_is_a_number():
    assert check_parameters("kommunen", min_n="10").min_n == 10


def test_the_errors_are_the_library_s_errors_for_users():
    assert issubclass(ParameterError, WelcomeEvalError) and issubclass(ParameterError, ValueError)


# Municipalities ------------------------------------------------------------------------


@pytest.mark.parametrize("ags", [5958012, "5958012", "05958012", " 05958012 ", "Brilon"])
def test_a_municipality_by_key_as_number_or_text_or_by_name(ags):
    checked = check_parameters("neubuerger", ags=ags, municipal=True)
    assert (checked.ags, checked.name) == ("05958012", "Brilon")


def test_without_a_municipality_the_first_taking_part():
    checked = check_parameters("neubuerger", manifest=2021, municipal=True)
    assert checked.ags is not None and len(checked.ags) == 8 and checked.ags.isdigit()


@pytest.mark.parametrize("ags", ["05958999", 5958999, "Atlantis", 12.5, "0595801234"])
def test_an_unknown_municipality_is_named_with_what_is_valid(ags):
    with pytest.raises(ParameterError) as error:
        check_parameters("neubuerger", ags=ags, municipal=True)
    message = str(error.value)
    assert f"ags = {ags!r} ist keine der 59 Kommunen in Südwestfalen" in message
    assert "8-digit" in message and "KeyError" not in message


def test_a_municipality_that_never_joined_gets_no_report():
    from welcome_eval.analysis.programme import participation_record

    record = participation_record(DEMO)
    never = record[record["joined"].isna()].iloc[0]
    with pytest.raises(ParameterError) as error:
        check_parameters("neubuerger", ags=never["ags"], municipal=True)
    assert (
        f"Kommune {never['name']} ({never['ags']}) ist nicht Teilnehmerin des Programms "
        "(laut programme/teilnahme.csv)"
    ) in str(error.value)


def test_a_municipality_that_joined_after_or_left_before_the_wave_started(tmp_path):
    for folder in ("neubuerger", "programme"):
        shutil.copytree(DEMO / folder, tmp_path / folder)
    record = tmp_path / "programme" / "teilnahme.csv"
    text = record.read_text(encoding="utf-8")
    # Fieldwork of the 2021 wave starts on 3 May 2021.
    text = text.replace("05958004,Arnsberg,2021-01-07,", "05958004,Arnsberg,2021-06-01,")
    text = text.replace("05958008,Bestwig,2018-10-31,", "05958008,Bestwig,2018-10-31,2020-12-31")
    record.write_text(text, encoding="utf-8")
    wave = tmp_path / "neubuerger" / "2021"
    with pytest.raises(ParameterError, match=r"Welle 2021 \(03\.05\.2021\).*erst am 01\.06"):
        check_parameters("neubuerger", manifest=wave, ags="05958004", municipal=True)
    with pytest.raises(ParameterError, match=r"Bestwig.*ausgetreten"):
        check_parameters("neubuerger", manifest=wave, ags="05958008", municipal=True)
    assert check_parameters("neubuerger", manifest=wave, ags="05958012", municipal=True).ags


# What the researcher sees ---------------------------------------------------------------


def test_lab_notice_says_demo_data_and_what_is_reported():
    checked = check_parameters("neubuerger", ags=5958012, municipal=True)
    notice = lab_notice(checked)
    assert notice.startswith("**Demodaten:**")
    assert "Welle 2023 der Neubürgerbefragung" in notice and "2021" in notice
    assert "Brilon (05958012)" in notice
    assert is_lab_only({"metadata": LAB_ONLY}) and not is_lab_only({"metadata": {}})


def _notebook(*cells: nbformat.NotebookNode) -> nbformat.NotebookNode:
    notebook = nbformat.v4.new_notebook(cells=list(cells))
    for number, cell in enumerate(notebook.cells):
        cell.id = f"c{number}"
    return notebook


def _page(notebook: nbformat.NotebookNode) -> str:
    from welcome_eval.build.render import render_html

    return render_html(notebook, title="T", demo=False, inputs=[])


def _shown(markdown: str, *, metadata: dict | None = None) -> nbformat.NotebookNode:
    from welcome_eval.present.markup import markdown_html

    cell = nbformat.v4.new_code_cell("show_text(...)")
    cell.outputs = [
        nbformat.v4.new_output(
            "display_data",
            data={"text/markdown": markdown, "text/html": markdown_html(markdown, depth=0)},
            metadata=metadata or {},
        )
    ]
    return cell


def test_published_page_leaves_out_the_lab_introduction_and_notice():
    intro = nbformat.v4.new_markdown_cell("# Nur für die Forschung\n\nEinführung")
    intro.metadata["tags"] = [LAB_ONLY_TAG]
    lab = _notebook(intro, _shown("Demodaten im Notebook", metadata=LAB_ONLY), _shown("Bericht"))
    page = _page(lab)
    assert "Nur für die Forschung" not in page and "Demodaten im Notebook" not in page
    assert "Bericht" in page
    # The page is the one the old invisible comment cell gave, byte for byte.
    before = _notebook(
        nbformat.v4.new_markdown_cell("<!-- Einführung -->"), _shown("x"), _shown("Bericht")
    )
    before.cells[1].outputs = []
    assert page == _page(before)


def test_links_to_other_reports_are_text_in_the_notebook_and_links_on_the_page():
    markdown = "Mehr im [Beispielkatalog](../../beispiele/index.html#a) und [Web](https://x.de)."
    cell = _shown(markdown)
    in_lab = cell.outputs[0]["data"]["text/html"]
    assert "href" not in in_lab.replace('href="https://x.de"', "") and "Beispielkatalog" in in_lab
    page = _page(_notebook(cell))
    assert 'href="../../beispiele/index.html#a"' in page and 'href="https://x.de"' in page


# The notebooks ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", REPORT_NOTEBOOKS)
def test_help_notebook_gives_type_and_meaning_of_every_parameter(name):
    import papermill

    path = notebooks_dir() / name
    inspected = papermill.inspect_notebook(str(path))
    notebook = nbformat.read(path, as_version=4)
    cell = next(c for c in notebook.cells if "parameters" in c.metadata.get("tags", []))
    body = ast.parse(cell.source).body
    assigned = [node.target.id for node in body if isinstance(node, ast.AnnAssign)]
    assert len(assigned) == len(body)  # every parameter annotated with its type
    assert list(inspected) == assigned and {"min_n", "data_dir"} <= set(inspected)
    for parameter in inspected.values():
        assert parameter["inferred_type_name"] in {"str", "int", "list"}, parameter
        assert len(parameter["help"]) >= 20, parameter


@pytest.mark.parametrize("name", REPORT_NOTEBOOKS)
def test_notebook_checks_its_parameters_first(name):
    notebook = nbformat.read(notebooks_dir() / name, as_version=4)
    index = next(
        i for i, c in enumerate(notebook.cells) if "parameters" in c.metadata.get("tags", [])
    )
    following = notebook.cells[index + 1]
    assert "check_parameters(" in following.source and "show_lab_notice(" in following.source


@pytest.mark.parametrize("name", REPORT_NOTEBOOKS)
def test_notebook_opens_with_a_visible_introduction_and_its_kernel(name):
    notebook = nbformat.read(notebooks_dir() / name, as_version=4)
    first = notebook.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith("# ")
    assert "<!--" not in first.source and LAB_ONLY_TAG in first.metadata.get("tags", [])
    assert f"papermill --help-notebook notebooks/{name}" in " ".join(first.source.split())
    assert dict(notebook.metadata["kernelspec"]) == KERNELSPEC


_TYPED_NUMBER = re.compile(r"\b(Tabelle|Abbildung|Karte)\s+\d")


def _strings(source: str) -> list[str]:
    """The string literals of Python code, without docstrings (whose examples may show
    a caption)."""
    tree = ast.parse(source)
    docstrings = {
        id(node.body[0].value)
        for node in ast.walk(tree)
        if isinstance(node, ast.Module | ast.FunctionDef | ast.ClassDef)
        and node.body
        and isinstance(node.body[0], ast.Expr)
        and isinstance(node.body[0].value, ast.Constant)
    }
    return [
        node.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Constant) and isinstance(node.value, str)
        if id(node) not in docstrings
    ]


def test_typed_number_check_finds_one():
    assert _TYPED_NUMBER.search("siehe Tabelle 6") and not _TYPED_NUMBER.search("Tabelle zur")
    assert _strings('"""Tabelle 1"""\nx = "Abbildung 8"') == ["Abbildung 8"]


@pytest.mark.parametrize("name", REPORT_NOTEBOOKS)
def test_notebook_types_no_table_or_figure_number(name):
    notebook = nbformat.read(notebooks_dir() / name, as_version=4)
    typed = [
        match.group(0)
        for cell in notebook.cells
        for text in ([cell.source] if cell.cell_type == "markdown" else _strings(cell.source))
        for match in _TYPED_NUMBER.finditer(text)
    ]
    assert typed == []


def test_sections_type_no_table_or_figure_number():
    folder = Path(__import__("welcome_eval.sections").sections.__file__).parent
    typed = {
        path.name: hits
        for path in sorted(folder.glob("*.py"))
        if (hits := [s for s in _strings(path.read_text("utf-8")) if _TYPED_NUMBER.search(s)])
    }
    assert typed == {}


# Executed as a researcher would, with papermill (slow: a kernel per notebook) ------------


def _outputs(notebook: nbformat.NotebookNode) -> list:
    return [o for c in notebook.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def _captions(notebook: nbformat.NotebookNode) -> dict[str, list[int]]:
    html = "".join(str(o.get("data", {}).get("text/html", "")) for o in _outputs(notebook))
    numbers: dict[str, list[int]] = {}
    for kind, number in re.findall(r"<(?:fig)?caption>(Tabelle|Abbildung|Karte) (\d+):", html):
        numbers.setdefault(kind, []).append(int(number))
    return numbers


@pytest.mark.slow
def test_papermill_runs_the_municipal_report_with_the_key_as_a_number(tmp_path):
    import papermill

    out = tmp_path / "out.ipynb"
    notebook = papermill.execute_notebook(
        str(notebooks_dir() / "gemeinde.ipynb"),
        str(out),
        parameters={"ags": 5958012},
        kernel_name="python3",
        cwd=str(tmp_path),
        progress_bar=False,
    )
    outputs = _outputs(notebook)
    assert not [o for o in outputs if o.get("output_type") == "error"]
    markdown = "\n".join(str(o.get("data", {}).get("text/markdown", "")) for o in outputs)
    assert "# Brilon: Neubürgerbefragung 2023 im Vergleich" in markdown
    notices = [o for o in outputs if is_lab_only(o)]
    assert len(notices) == 1 and "Demodaten" in notices[0]["data"]["text/markdown"]
    # Links to other reports: Markdown kept for the build, text in what Lab shows.
    assert "](../../" in markdown
    assert not [o for o in outputs if 'href="../' in str(o.get("data", {}).get("text/html", ""))]
    numbers = _captions(notebook)
    assert numbers and all(n == list(range(1, len(n) + 1)) for n in numbers.values()), numbers


@pytest.mark.slow
def test_an_unknown_municipality_stops_the_notebook_with_a_clear_message(tmp_path, report_kernel):
    from welcome_eval.build.kernel import ReportFailed

    with pytest.raises(ReportFailed) as error:
        report_kernel.execute(notebooks_dir() / "gemeinde.ipynb", {"ags": "05958999"}, cwd=tmp_path)
    assert error.value.ename == "ParameterError"
    assert "ags = '05958999' ist keine der 59 Kommunen in Südwestfalen" in error.value.evalue
    assert "KeyError" not in error.value.traceback


@pytest.mark.slow
def test_with_only_the_wave_the_notebook_compares_with_the_earlier_one(tmp_path, report_kernel):
    # The build's kernel injects parameters as papermill does (its parameterize step).
    notebook = report_kernel.execute(
        notebooks_dir() / "kommunen_welle.ipynb", {"manifest": 2019}, cwd=tmp_path
    )
    text = "\n".join(str(o.get("data", {}).get("text/markdown", "")) for o in _outputs(notebook))
    assert "Verglichen wird mit der Welle 2018" in text
    assert "Dies ist die erste Welle" not in text
    numbers = _captions(notebook)
    assert numbers["Tabelle"] == list(range(1, len(numbers["Tabelle"]) + 1)), numbers
    assert numbers["Abbildung"] == list(range(1, len(numbers["Abbildung"]) + 1)), numbers
