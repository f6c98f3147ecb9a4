"""JupyterLab as a researcher uses it (issue 15): what `make lab` sets up, the researcher's
own folder ``arbeit/``, the tour ``notebooks/start_hier.ipynb`` and Lab itself in Chromium.

- ``notebooks/`` holds only the report notebooks the build executes and the tour; any other
  notebook there (an ``Untitled.ipynb`` from the launcher) fails with a message saying where
  it belongs.
- ``arbeit/`` is git-ignored except its README and outside everything the tests, the build and
  the package read, so a notebook saved there with outputs fails nothing.
- The tour is committed clean, never published, and runs top to bottom without an error.
- ``make lab-kernel`` registers the named kernel ``welcome-eval`` once; ``make lab-filter``
  configures nbstripout so that a notebook saved after Run All is committed exactly as before.
- In a real browser (Debian's Chromium through Playwright), a JupyterLab started here runs
  every cell of a report notebook and of the tour with the named kernel, without an error.
"""

from __future__ import annotations

import ast
import json
import os
import shutil
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from _chromium import SCREENSHOTS

from welcome_eval.build import plan as build_plan
from welcome_eval.config import demo_data_dir, notebooks_dir, surveys_dir

REPO = Path(__file__).resolve().parents[1]
NOTEBOOKS = REPO / "notebooks"
TOUR = "start_hier.ipynb"
#: The researcher's own folder (git-ignored but for its README).
OWN = "arbeit"
KERNEL = "welcome-eval"
KERNEL_DISPLAY = "Python (welcome-eval)"
#: The report notebook opened in Lab next to the tour.
REPORT = "gemeinde.ipynb"
#: Generous: the demo data are read and a report is executed on a shared 2-core machine.
LAB_START_TIMEOUT = 180
RUN_ALL_TIMEOUT = 600


def _report_notebook_names() -> set[str]:
    """The notebook names :func:`welcome_eval.build.plan.plan` builds reports from."""
    surveys = [p.name for p in surveys_dir().iterdir() if p.is_dir()]
    return {
        build_plan.QUALITY_NOTEBOOK,
        build_plan.MUNICIPAL_NOTEBOOK,
        build_plan.PROGRAMME_NOTEBOOK,
        *(build_plan.NOTEBOOK_PATTERN.format(survey=s) for s in surveys),
    }


def stray_notebooks(folder: Path) -> list[str]:
    """Notebooks in ``folder`` that are neither a report notebook nor the tour."""
    known = _report_notebook_names() | {TOUR}
    return sorted(p.name for p in folder.glob("*.ipynb") if p.name not in known)


def test_notebooks_holds_only_report_notebooks_and_the_tour():
    stray = stray_notebooks(NOTEBOOKS)
    assert not stray, (
        f"notebooks/ holds {', '.join(stray)}, which is not a report notebook: notebooks/ is "
        f"only for the notebooks `welcome-eval build` executes and {TOUR}. Move your own "
        f"notebooks to {OWN}/ (git-ignored, never tested or built), e.g. "
        f"`mv notebooks/{stray[0]} {OWN}/`."
    )


def test_stray_notebook_check_names_an_untitled_notebook(tmp_path):
    for name in [TOUR, "gemeinde.ipynb", "kommunen_welle.ipynb", "Untitled.ipynb", "x.ipynb"]:
        (tmp_path / name).write_text("{}", encoding="utf-8")
    assert stray_notebooks(tmp_path) == ["Untitled.ipynb", "x.ipynb"]


def _logic(source: str) -> list[str]:
    """Loops, definitions, conditions and lambdas: what belongs in the library."""
    kinds = (ast.For, ast.While, ast.FunctionDef, ast.ClassDef, ast.If, ast.IfExp, ast.Lambda)
    return [
        f"{type(node).__name__} (line {node.lineno})"
        for node in ast.walk(ast.parse(source))
        if isinstance(node, kinds)
    ]


def test_tour_is_committed_clean_and_only_calls_the_library():
    notebook = nbformat.read(NOTEBOOKS / TOUR, as_version=4)
    nbformat.validate(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert code and all(not c.outputs and c.execution_count is None for c in code)
    assert notebook.metadata["kernelspec"]["name"] == KERNEL
    logic = {n: _logic(c.source) for n, c in enumerate(code) if _logic(c.source)}
    assert not logic, f"code cells of {TOUR} with logic (move it into welcome_eval): {logic}"
    markdown = [c.source for c in notebook.cells if c.cell_type == "markdown"]
    assert markdown[0].startswith("# Start hier")
    assert len(markdown) >= len(code) // 2  # narrated, not a script
    # the walk-through reaches each stage the researcher is told about
    everything = "\n".join(c.source for c in code)
    for call in [
        "read_wave(",
        "likert.top_box(",
        "survey.Design(",
        "reliability.alpha_for_construct(",
        "retention.fit_kaplan_meier(",
        "retention.cox(",
        "figures.",
        "protect(",
    ]:
        assert call in everything, call


def test_logic_check_finds_logic():
    assert _logic("wave = read_wave(path)\nwave") == []
    assert _logic("for x in y:\n    pass") == ["For (line 1)"]
    assert _logic("f = lambda v: v") == ["Lambda (line 1)"]


def _git(*args: str, cwd: Path = REPO, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["git", *args], cwd=cwd, capture_output=True, text=True, env=env, timeout=60
    )


def test_own_folder_is_git_ignored_except_its_readme():
    if _git("rev-parse", "--git-dir").returncode != 0:
        pytest.fail(f"{REPO} is not a git checkout: the test reads .gitignore through git")
    for path in [f"{OWN}/Untitled.ipynb", f"{OWN}/auswertung/tabelle.csv"]:
        assert _git("check-ignore", "-q", path).returncode == 0, path
    assert _git("check-ignore", "-q", f"{OWN}/README.md").returncode == 1
    assert _git("check-ignore", "-q", f"notebooks/{TOUR}").returncode == 1
    assert (REPO / OWN / "README.md").is_file()


def test_own_folder_is_outside_tests_build_and_package():
    settings = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    testpaths = settings["tool"]["pytest"]["ini_options"]["testpaths"]
    assert not any(Path(p).parts[0] == OWN for p in testpaths)
    packaged = settings["tool"]["hatch"]["build"]["targets"]["wheel"]["force-include"]
    assert not any(Path(p).parts[0] == OWN for p in packaged)
    assert settings["tool"]["ruff"].get("respect-gitignore", True)  # ruff skips arbeit/
    # the report notebooks (and test_notebooks.py) are read from notebooks/ alone, not below it
    assert not (REPO / OWN).resolve().is_relative_to(notebooks_dir().resolve())


@pytest.mark.slow  # reads every demo wave
def test_build_never_publishes_the_tour():
    jobs = build_plan.plan(demo_data_dir())
    assert jobs
    assert {job.notebook.name for job in jobs} <= _report_notebook_names()
    assert TOUR not in {job.notebook.name for job in jobs}


def _errors(notebook) -> list[str]:
    """Error outputs and stderr text of an executed notebook."""
    found = []
    for number, cell in enumerate(notebook.cells):
        for output in cell.get("outputs", []):
            if output.get("output_type") == "error":
                found.append(f"cell {number}: {output['ename']}: {output['evalue']}")
            elif output.get("output_type") == "stream" and output.get("name") == "stderr":
                found.append(f"cell {number} wrote to stderr: {output['text'][:500]}")
    return found


@pytest.mark.slow  # starts a kernel and reads three demo waves
def test_tour_runs_top_to_bottom(tmp_path):
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    notebook = nbformat.read(NOTEBOOKS / TOUR, as_version=4)
    # python3 is this environment's own kernel: the test needs no registered kernel
    client = NotebookClient(
        notebook,
        kernel_name="python3",
        timeout=600,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    try:
        client.execute()
    except CellExecutionError as exc:
        pytest.fail(f"{TOUR} stops with an error: {str(exc)[-3000:]}")
    assert not _errors(notebook), _errors(notebook)
    code = [c for c in notebook.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code)
    shown = "\n".join(str(o.get("data", {}).get("text/html", "")) for c in code for o in c.outputs)
    assert 'class="gate-protected' in shown and 'data-n="."' in shown  # a value was hidden
    assert any("image/png" in o.get("data", {}) for c in code for o in c.outputs)


def test_start_notebook_shows_errors():
    cell = nbformat.v4.new_code_cell("1/0")
    cell.outputs = [
        nbformat.v4.new_output("error", ename="ZeroDivisionError", evalue="x", traceback=[]),
        nbformat.v4.new_output("stream", name="stderr", text="Warnung"),
        nbformat.v4.new_output("stream", name="stdout", text="fine"),
    ]
    assert len(_errors(nbformat.v4.new_notebook(cells=[cell]))) == 2


# ---------------------------------------------------------------------------
# make lab's pieces


def _make(target: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    if shutil.which("make") is None:
        pytest.fail("`make` is missing: the Makefile is the project's entry point")
    bin_dir = Path(sys.executable).parent
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(REPO), target, f"BIN={bin_dir}"],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
    )


@pytest.mark.slow  # runs make and ipykernel in subprocesses
def test_make_lab_kernel_registers_the_named_kernel_once(tmp_path):
    env = {"JUPYTER_DATA_DIR": str(tmp_path / "jupyter")}
    spec = tmp_path / "jupyter" / "kernels" / KERNEL / "kernel.json"
    first = _make("lab-kernel", env)
    assert first.returncode == 0, first.stderr
    kernel = json.loads(spec.read_text(encoding="utf-8"))
    assert kernel["argv"][0] == kernel_python()
    assert kernel["display_name"] == KERNEL_DISPLAY
    written = spec.stat().st_mtime_ns
    again = _make("lab-kernel", env)
    assert again.returncode == 0 and again.stdout == "", again.stdout + again.stderr
    assert spec.stat().st_mtime_ns == written  # not registered again
    # a kernel left by another clone of the project is replaced
    kernel["argv"][0] = "/elsewhere/.venv/bin/python"
    spec.write_text(json.dumps(kernel), encoding="utf-8")
    assert _make("lab-kernel", env).returncode == 0
    assert json.loads(spec.read_text(encoding="utf-8"))["argv"][0] == kernel_python()


def kernel_python() -> str:
    return str(Path(sys.executable).parent / "python")


@pytest.mark.slow  # runs make, git and nbstripout in subprocesses
def test_nbstripout_filter_commits_a_run_notebook_as_it_was(tmp_path):
    """Run All in Lab adds outputs, execution counts and language metadata; the filter takes
    them out again on `git add`, keeping cell ids, the parameters tag and the kernelspec."""
    repo = tmp_path / "repo"
    repo.mkdir()
    assert _git("init", "-q", cwd=repo).returncode == 0
    shutil.copy2(REPO / ".gitattributes", repo / ".gitattributes")
    configured = _make("lab-filter", {"GIT_DIR": str(repo / ".git")})
    assert configured.returncode == 0, configured.stderr
    committed = (NOTEBOOKS / REPORT).read_bytes()
    notebook = nbformat.reads(committed.decode("utf-8"), as_version=4)
    for number, cell in enumerate(c for c in notebook.cells if c.cell_type == "code"):
        cell.execution_count = number + 1
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="Ausgabe\n")]
    notebook.metadata["language_info"].update(
        {"version": "3.11.2", "mimetype": "text/x-python", "file_extension": ".py"}
    )
    nbformat.write(notebook, repo / REPORT)
    assert (repo / REPORT).read_bytes() != committed
    assert _git("add", REPORT, cwd=repo).returncode == 0
    staged = _git("show", f":{REPORT}", cwd=repo)
    assert staged.stdout.encode("utf-8") == committed
    tags = [c.metadata.get("tags", []) for c in nbformat.reads(staged.stdout, as_version=4).cells]
    assert ["parameters"] in tags


# ---------------------------------------------------------------------------
# JupyterLab in a real browser (issue 15, part 5)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Lab:
    url: str
    token: str
    root: Path
    log: Path


def _settings(directory: Path) -> None:
    """Lab's user settings for the test: no autosave (nothing is written back), every cell
    kept in the page (the test reads all prompts), no news fetched."""
    settings = {
        "docmanager-extension/plugin": {"autosave": False},
        "notebook-extension/tracker": {"windowingMode": "none"},
        "apputils-extension/notification": {"fetchNews": "false", "checkForUpdates": False},
    }
    for name, values in settings.items():
        path = directory / "@jupyterlab" / f"{name}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")


@pytest.fixture(scope="module")
def lab(tmp_path_factory) -> Iterator[Lab]:
    """JupyterLab on a free localhost port, rooted at a copy of the notebooks (nothing in
    the repository can be saved over), with the kernel `welcome-eval` registered into a
    temporary Jupyter data directory and pointing at this Python."""
    home = tmp_path_factory.mktemp("lab")
    root = home / "root"
    (root / "notebooks").mkdir(parents=True)
    (root / OWN).mkdir()
    for name in [REPORT, TOUR]:
        shutil.copy2(NOTEBOOKS / name, root / "notebooks" / name)
    kernel_dir = home / "data" / "kernels" / KERNEL
    kernel_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": KERNEL_DISPLAY,
        "language": "python",
    }
    (kernel_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
    _settings(home / "settings")
    token = os.urandom(16).hex()
    port = _free_port()
    env = {
        **os.environ,
        "JUPYTER_DATA_DIR": str(home / "data"),
        "JUPYTER_CONFIG_DIR": str(home / "config"),
        "JUPYTER_RUNTIME_DIR": str(home / "runtime"),
        "JUPYTERLAB_SETTINGS_DIR": str(home / "settings"),
        "JUPYTERLAB_WORKSPACES_DIR": str(home / "workspaces"),
        "IPYTHONDIR": str(home / "ipython"),
    }
    command = [
        sys.executable,
        "-m",
        "jupyterlab",
        "--no-browser",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        f"--FileContentsManager.preferred_dir={OWN}",
    ]
    if os.geteuid() == 0:  # CI and containers run as root; Jupyter refuses without it
        command.append("--allow-root")
    log = home / "lab.log"
    with log.open("wb") as output:
        server = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + LAB_START_TIMEOUT
        while True:
            if server.poll() is not None:
                pytest.fail(
                    f"JupyterLab exited with {server.returncode} before it answered:\n"
                    f"{log.read_text(errors='replace')[-3000:]}"
                )
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5):
                    break
            except (urllib.error.URLError, OSError):
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"JupyterLab did not answer on {url} within {LAB_START_TIMEOUT} s:\n"
                        f"{log.read_text(errors='replace')[-3000:]}"
                    )
                time.sleep(0.5)
        yield Lab(url, token, root, log)
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=30)


#: True once the open notebook has run: no cell queued or running, and either every code
#: cell numbered or an error shown (Run All stops at the first error).
_RUN_FINISHED = """() => {
  const panel = document.querySelector('.jp-NotebookPanel:not(.lm-mod-hidden)');
  if (!panel) return false;
  const prompts = [...panel.querySelectorAll('.jp-CodeCell .jp-InputPrompt')]
    .map(e => e.textContent);
  if (prompts.length === 0 || prompts.some(t => t.includes('*'))) return false;
  const errors = panel.querySelectorAll(
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]').length;
  return prompts.every(t => /\\[\\d+\\]/.test(t)) || errors > 0;
}"""
_KERNEL_IDLE = """() => /\\|\\s*Idle/.test(
  (document.querySelector('#jp-main-statusbar') || document.body).textContent)"""
#: True once Run All has queued or run a cell.
_RUN_STARTED = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell .jp-InputPrompt')]
  .some(e => /\\[(\\*|\\d+)\\]/.test(e.textContent))"""
_ERRORS = """() => [...document.querySelectorAll(
    '.jp-NotebookPanel:not(.lm-mod-hidden) ' +
    '.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')]
  .map(e => e.textContent)
  .filter(t => /Traceback|Error/.test(t))"""


def _run_all_in_lab(browser, lab: Lab, name: str, tmp_path: Path) -> dict:
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    shot = tmp_path / f"lab-{Path(name).stem}.png"
    try:
        page.goto(
            f"{lab.url}/lab/tree/notebooks/{name}?token={lab.token}",
            timeout=LAB_START_TIMEOUT * 1000,
        )
        kernel = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-KernelName")
        try:
            page.locator(
                ".jp-NotebookPanel:not(.lm-mod-hidden) "
                '.jp-Notebook-ExecutionIndicator[data-status="idle"]'
            ).wait_for(timeout=LAB_START_TIMEOUT * 1000)
        except PlaywrightTimeout:
            page.screenshot(path=str(shot))
            pytest.fail(
                f"{name}: the kernel did not become idle in Lab within {LAB_START_TIMEOUT} s "
                f"(screenshot {shot}); server log:\n{lab.log.read_text(errors='replace')[-2000:]}"
            )
        # Lab asks which kernel to use when Run All comes before the session has settled;
        # the preselected one is the notebook's own (welcome-eval for the tour).
        page.wait_for_function(_KERNEL_IDLE, timeout=LAB_START_TIMEOUT * 1000, polling=500)
        page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Cell").first.click()
        page.get_by_role("menuitem", name="Run", exact=True).click()
        page.get_by_role("menuitem", name="Run All Cells", exact=True).click()
        deadline = time.monotonic() + LAB_START_TIMEOUT
        while not page.evaluate(_RUN_STARTED):
            dialog = page.locator(".jp-Dialog")
            if dialog.count() and "Select Kernel" in dialog.first.inner_text():
                dialog.get_by_role("button", name="Select", exact=True).click()
            if time.monotonic() > deadline:
                page.screenshot(path=str(shot))
                pytest.fail(f"{name}: Run All Cells started no cell in Lab (screenshot {shot})")
            page.wait_for_timeout(500)
        kernel_name = kernel.inner_text().strip()
        try:
            page.wait_for_function(_RUN_FINISHED, timeout=RUN_ALL_TIMEOUT * 1000, polling=500)
        except PlaywrightTimeout:
            page.screenshot(path=str(shot))
            pytest.fail(
                f"{name}: Run All Cells had not finished after {RUN_ALL_TIMEOUT} s "
                f"(screenshot {shot})"
            )
        return {
            "kernel": kernel_name,
            "errors": page.evaluate(_ERRORS),
            "cells": page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-CodeCell").count(),
            "outputs": page.locator(
                ".jp-NotebookPanel:not(.lm-mod-hidden) .jp-OutputArea-output"
            ).count(),
            "browser_path": page.locator(".jp-FileBrowser .jp-BreadCrumbs").inner_text(),
        }
    finally:
        shot.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(shot))
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copy2(shot, SCREENSHOTS / shot.name)
        page.close()


@pytest.mark.slow  # JupyterLab, a kernel and Chromium
@pytest.mark.parametrize("name", [REPORT, TOUR])
def test_run_all_cells_in_jupyterlab(browser, lab, name, tmp_path):
    result = _run_all_in_lab(browser, lab, name, tmp_path)
    assert not result["errors"], f"{name} shows an error in JupyterLab:\n" + "\n".join(
        e[-2000:] for e in result["errors"]
    )
    code = [c for c in nbformat.read(NOTEBOOKS / name, as_version=4).cells]
    assert result["cells"] == sum(c.cell_type == "code" for c in code)
    assert result["outputs"] > 0
    if name == TOUR:  # the tour asks for the named kernel, and Lab found it
        assert result["kernel"] == KERNEL_DISPLAY, result["kernel"]
    # nothing was saved over the copy Lab worked on
    assert (lab.root / "notebooks" / name).read_bytes() == (NOTEBOOKS / name).read_bytes()


@pytest.mark.slow  # JupyterLab, a kernel and Chromium
def test_run_all_in_jupyterlab_sees_an_error_output(browser, lab, tmp_path):
    """The check above can fail: a notebook whose cell raises shows its error in Lab."""
    broken = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell("x = 1"),
            nbformat.v4.new_code_cell("raise ValueError('absichtlich kaputt')"),
        ],
        metadata={
            "kernelspec": {"name": KERNEL, "display_name": KERNEL_DISPLAY, "language": "python"}
        },
    )
    nbformat.write(broken, lab.root / "notebooks" / "kaputt.ipynb")
    result = _run_all_in_lab(browser, lab, "kaputt.ipynb", tmp_path)
    assert any("absichtlich kaputt" in error for error in result["errors"]), result["errors"]
