"""The build's content keys and caches (issue 16, items 2 and 4): a report's key says
what it really depends on, an unchanged build reads no raw file, a failed report
leaves its executed notebook beside the output, unknown parameters are refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import nbformat
import pytest

import welcome_eval
import welcome_eval.build.reports as reports
from welcome_eval.build import cache
from welcome_eval.build.cache import CodeGraph, PlanCache, Store, common_key, job_key
from welcome_eval.build.plan import BuildError, ReportJob, plan
from welcome_eval.config import demo_data_dir, notebooks_dir

PACKAGE_ROOT = Path(welcome_eval.__file__).resolve().parent


@pytest.fixture
def package_copy(tmp_path: Path) -> Path:
    """A copy of the package's source tree that a test may edit."""
    copy = tmp_path / "src" / "welcome_eval"
    shutil.copytree(PACKAGE_ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


def _jobs() -> dict[str, ReportJob]:
    """One report of each notebook, with the parameters the plan passes (no wave is read)."""
    data = demo_data_dir()
    manifest = data / "neubuerger" / "2023" / "manifest.yaml"
    common = {"data_dir": str(data), "min_n": 5}
    wave = {"manifest": str(manifest), "previous_manifests": [], **common}
    notebooks = notebooks_dir()

    def job(kind: str, notebook: str, relative: str, parameters: dict, manifests: list[Path]):
        return ReportJob(
            kind,
            notebooks / notebook,
            Path(relative),
            relative,
            parameters,
            [],
            True,
            sources=manifests,
        )

    register = data / "register" / "2025" / "manifest.yaml"
    return {
        "register": job(
            "welle",
            "register_welle.ipynb",
            "register/2025/bericht.html",
            {**wave, "manifest": str(register)},
            [register],
        ),
        "gemeinde": job(
            "gemeinde",
            "gemeinde.ipynb",
            "gemeinden/05958004/2023.html",
            {**wave, "ags": "05958004"},
            [manifest],
        ),
        "gemeinde2": job(
            "gemeinde",
            "gemeinde.ipynb",
            "gemeinden/05970040/2023.html",
            {**wave, "ags": "05970040"},
            [manifest],
        ),
        "neubuerger": job(
            "welle", "neubuerger_welle.ipynb", "neubuerger/2023/bericht.html", wave, [manifest]
        ),
        "kommunen": job(
            "welle",
            "kommunen_welle.ipynb",
            "kommunen/2021/bericht.html",
            {**wave, "manifest": str(data / "kommunen" / "2021" / "manifest.yaml")},
            [data / "kommunen" / "2021" / "manifest.yaml"],
        ),
        "qualitaet": job(
            "qualitaet", "qualitaet.ipynb", "neubuerger/2023/qualitaet.html", wave, [manifest]
        ),
        "programm": job("programm", "programm.ipynb", "programm/bericht.html", common, [manifest]),
    }


def _keys(root: Path) -> dict[str, str]:
    context = common_key(demo_data_dir(), root=root)
    return {name: job_key(job, context) for name, job in _jobs().items()}


def _append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + text, encoding="utf-8")


def test_retention_code_changes_the_register_report_and_not_the_municipal_ones(
    package_copy: Path,
) -> None:
    before = _keys(package_copy)
    assert len(set(before.values())) == len(before)
    _append(package_copy / "survival" / "retention.py", "\nRETENTION_CHANGED = 1\n")
    after = _keys(package_copy)
    assert after["register"] != before["register"]
    for name in ("gemeinde", "gemeinde2", "kommunen", "qualitaet"):
        assert after[name] == before[name], name


def test_a_docstring_edit_in_synth_changes_no_key(package_copy: Path) -> None:
    module = package_copy / "synth" / "kommunen.py"
    text = module.read_text(encoding="utf-8")
    before = _keys(package_copy)
    module.write_text(text.replace('"""', '"""Geändert. ', 1), encoding="utf-8")
    assert module.read_text(encoding="utf-8") != text
    assert _keys(package_copy) == before
    # ... while the same edit in a module every report imports changes every key.
    _append(package_copy / "config.py", "\n# changed\n")
    changed = _keys(package_copy)
    assert all(changed[name] != before[name] for name in before)


def test_a_changed_version_of_pandas_changes_every_key(monkeypatch: pytest.MonkeyPatch) -> None:
    before = _keys(PACKAGE_ROOT)
    real = cache.installed_version
    monkeypatch.setattr(
        cache, "installed_version", lambda name: "99.0" if name == "pandas" else real(name)
    )
    after = _keys(PACKAGE_ROOT)
    assert all(after[name] != before[name] for name in before)


def test_the_notebook_and_a_records_file_are_in_the_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = cache.file_digest
    before = _keys(PACKAGE_ROOT)
    register = notebooks_dir() / "register_welle.ipynb"
    monkeypatch.setattr(
        cache, "file_digest", lambda path: "edited" if Path(path) == register else real(path)
    )
    after = _keys(PACKAGE_ROOT)
    assert after["register"] != before["register"]
    assert after["gemeinde"] == before["gemeinde"]
    record = demo_data_dir() / "programme" / "teilnahme.csv"
    monkeypatch.setattr(
        cache, "file_digest", lambda path: "edited" if Path(path) == record else real(path)
    )
    assert all(v != before[k] for k, v in _keys(PACKAGE_ROOT).items())


def _tree(root: Path, files: dict[str, str]) -> Path:
    package = root / "welcome_eval"
    for name, text in files.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    return package


def test_the_import_graph_follows_relative_lazy_and_aliased_imports(tmp_path: Path) -> None:
    package = _tree(
        tmp_path,
        {
            "__init__.py": '_ATTRIBUTES = {"reader": "welcome_eval.ingest.wave"}\n',
            "_aliases.py": 'MOVED_MODULES = {"old": "welcome_eval.stats.new"}\n',
            "config.py": "",
            "ingest/__init__.py": "",
            "ingest/wave.py": "from .readers import read\n",
            "ingest/readers.py": "def read():\n    from welcome_eval.ingest import csvs\n",
            "ingest/csvs.py": "",
            "stats/__init__.py": "",
            "stats/new.py": "import welcome_eval.config\n",
            "stats/unused.py": "",
            "present/__init__.py": "",
            "present/lazy.py": (
                'import importlib\nimportlib.import_module("welcome_eval.stats.new")\n'
            ),
        },
    )
    graph = CodeGraph(package)
    we = "welcome_eval"
    assert graph.closure([f"{we}.ingest.wave"]) == {
        we,
        f"{we}.ingest",
        f"{we}.ingest.wave",
        f"{we}.ingest.readers",
        f"{we}.ingest.csvs",
    }
    notebook = tmp_path / "n.ipynb"
    cells = [
        nbformat.v4.new_code_cell("%matplotlib inline\nimport welcome_eval as we"),
        nbformat.v4.new_code_cell("we.reader(1)\nwe.old.thing()"),
    ]
    nbformat.write(nbformat.v4.new_notebook(cells=cells), str(notebook))
    found = cache.notebook_modules(notebook, graph)
    assert {f"{we}.ingest.csvs", f"{we}.stats.new", f"{we}.config"} <= found
    assert f"{we}.stats.unused" not in found and f"{we}.present.lazy" not in found
    assert f"{we}.stats.new" in graph.closure([f"{we}.present.lazy"])


def test_the_real_package_graph_finds_what_the_notebooks_use() -> None:
    graph = CodeGraph(PACKAGE_ROOT)
    register = cache.notebook_modules(notebooks_dir() / "register_welle.ipynb", graph)
    municipal = cache.notebook_modules(notebooks_dir() / "gemeinde.ipynb", graph)
    assert "welcome_eval.survival.retention" in register
    assert "welcome_eval.sections.benchmark_report" in municipal
    assert "welcome_eval.ingest.wave" in register  # through ``from welcome_eval import read_wave``
    for modules in (register, municipal):
        assert not any(m.startswith("welcome_eval.synth") for m in modules)


# --- the validation cache -------------------------------------------------------------


@pytest.fixture
def small_data(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    for wave in ("2018", "2019"):
        shutil.copytree(demo_data_dir() / "kommunen" / wave, data / "kommunen" / wave)
    shutil.copytree(demo_data_dir() / "programme", data / "programme")
    return data


def _plan(data: Path, out: Path, notebooks: Path):
    store = Store(out)
    context = common_key(data)
    return plan(data, notebooks=notebooks, cache=PlanCache(store, context))


def _refuse_reading(monkeypatch: pytest.MonkeyPatch, read: list[Path]) -> None:
    import welcome_eval.ingest.readers as readers
    import welcome_eval.ingest.wave as wave

    def refuse(*args, **kwargs):
        raise AssertionError("a raw file was read")

    real = wave.read_wave

    def counted(path, *args, **kwargs):
        read.append(Path(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(readers, "read_raw", refuse)
    monkeypatch.setattr(wave, "read_raw", refuse)
    monkeypatch.setattr(wave, "read_wave", counted)


def test_unchanged_waves_are_not_read_again_and_a_changed_one_is(
    small_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import yaml

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    (notebooks / "qualitaet.ipynb").write_text("{}", encoding="utf-8")
    out = tmp_path / "reports"
    first = _plan(small_data, out, notebooks)
    assert (tmp_path / cache.CACHE_DIR / "validation").is_dir()
    read: list[Path] = []
    with monkeypatch.context() as patch:
        _refuse_reading(patch, read)
        second = _plan(small_data, out, notebooks)
    assert read == []
    assert [(j.relative_path, j.inputs, j.manifest) for j in second] == [
        (j.relative_path, j.inputs, j.manifest) for j in first
    ]
    assert second[0].manifest.counts["read"] > 0 and second[0].manifest.respondents > 0
    # A new raw file with its new sha256 in the manifest: only that wave is read.
    folder = small_data / "kommunen" / "2018"
    raw = folder / "kommunen_2018.csv"
    raw.write_bytes(raw.read_bytes().replace(b"\r\n", b"\r\n", 1) + b"\r\n")
    manifest = yaml.safe_load((folder / "manifest.yaml").read_text(encoding="utf-8"))
    manifest["sha256"] = cache.file_digest(raw)
    (folder / "manifest.yaml").write_text(yaml.safe_dump(manifest), encoding="utf-8")
    import welcome_eval.ingest.wave as wave

    calls: list[Path] = []
    real = wave.read_wave
    monkeypatch.setattr(wave, "read_wave", lambda p: calls.append(Path(p)) or real(p))
    third = _plan(small_data, out, notebooks)
    assert calls == [folder / "manifest.yaml"]
    assert third[0].inputs != first[0].inputs and third[1].inputs == first[1].inputs


def test_a_tampered_raw_file_is_still_refused_after_it_was_cached(
    small_data: Path, tmp_path: Path
) -> None:
    out = tmp_path / "reports"
    _plan(small_data, out, tmp_path)
    raw = next((small_data / "kommunen" / "2019").glob("kommunen_2019.*"))
    raw.write_bytes(raw.read_bytes() + b"tampered")
    with pytest.raises(BuildError, match=r"2019.*sha256"):
        _plan(small_data, out, tmp_path)


# --- builds with trivial notebooks ----------------------------------------------------


PARAMETERS = 'data_dir = ""\nmanifest = ""\nprevious_manifests = []\nmin_n = 5'


def _notebook(path: Path, code: str, parameters: str = PARAMETERS) -> None:
    cell = nbformat.v4.new_code_cell(parameters)
    cell.metadata["tags"] = ["parameters"]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        cell,
        nbformat.v4.new_code_cell(code),
    ]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "language": "python",
        "display_name": "Python 3",
    }
    nbformat.write(notebook, str(path))


@pytest.fixture
def trivial(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Path]:
    from conftest import SOURCE_DATE_EPOCH

    data = tmp_path / "data"
    shutil.copytree(demo_data_dir() / "kommunen" / "2018", data / "kommunen" / "2018")
    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    code = "from IPython.display import Markdown, display\ndisplay(Markdown('## Bericht'))"
    _notebook(notebooks / reports.QUALITY_NOTEBOOK, code)
    _notebook(notebooks / reports.PROGRAMME_NOTEBOOK, code)
    monkeypatch.setattr(reports, "notebooks_dir", lambda: notebooks)
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    return {"data": data, "notebooks": notebooks, "out": tmp_path / "site" / "reports"}


@pytest.mark.slow
def test_an_unchanged_build_reads_no_raw_file_and_reuses_everything(
    trivial: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = reports.build(trivial["data"], trivial["out"], progress=False)
    assert not first.reused and len(first.timings) == 2
    pages = {p: p.read_bytes() for p in trivial["out"].rglob("*") if p.is_file()}
    read: list[Path] = []
    _refuse_reading(monkeypatch, read)
    import welcome_eval.build.index as index
    import welcome_eval.build.kernel as kernel

    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(kernel, "run_pool", no_kernel)
    monkeypatch.setattr(index, "render_index", no_kernel)
    second = reports.build(trivial["data"], trivial["out"], progress=False)
    assert read == [] and not second.timings
    assert sorted(second.reused) == sorted(first.reports)
    assert {p: p.read_bytes() for p in trivial["out"].rglob("*") if p.is_file()} == pages


def test_unknown_parameters_are_refused_before_anything_runs(
    trivial: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    import welcome_eval.build.kernel as kernel

    _notebook(
        trivial["notebooks"] / reports.PROGRAMME_NOTEBOOK,
        "x = 1",
        parameters='data_dir: str = None  # Datenordner\nmanifest = ""',
    )

    def no_kernel(*args, **kwargs):
        raise AssertionError("a kernel was started")

    monkeypatch.setattr(kernel, "run_pool", no_kernel)
    with pytest.raises(BuildError, match=r"programm.ipynb.*min_n") as raised:
        reports.build(trivial["data"], trivial["out"], progress=False)
    assert "data_dir, manifest" in str(raised.value)
    assert not trivial["out"].exists()


@pytest.mark.slow
def test_a_failed_report_keeps_its_executed_notebook_beside_the_output(
    trivial: dict[str, Path],
) -> None:
    reports.build(trivial["data"], trivial["out"], progress=False)
    before = {p: p.read_bytes() for p in trivial["out"].rglob("*") if p.is_file()}
    _notebook(
        trivial["notebooks"] / reports.PROGRAMME_NOTEBOOK,
        "total = 1\nraise KeyError('Spalte ags fehlt')",
    )
    with pytest.raises(BuildError) as raised:
        reports.build(trivial["data"], trivial["out"], progress=False)
    message = str(raised.value)
    assert "programm/bericht.html" in message
    assert "KeyError" in message and "Spalte ags fehlt" in message
    # The parameters cell, papermill's injected cell, then the failing one.
    assert "Zelle / cell 3 ('total = 1')" in message
    failed = trivial["out"].with_name("reports.failed") / "programm" / "bericht.html.failed.ipynb"
    assert str(failed) in message
    executed = nbformat.read(str(failed), as_version=4)
    errors = [o for o in executed.cells[2].outputs if o.get("output_type") == "error"]
    assert errors and errors[0]["ename"] == "KeyError"
    assert {p: p.read_bytes() for p in trivial["out"].rglob("*") if p.is_file()} == before
    assert not list(trivial["out"].rglob("*.ipynb"))


def test_the_cache_folder_is_left_alone_when_it_is_not_ours(tmp_path: Path) -> None:
    folder = tmp_path / cache.CACHE_DIR
    folder.mkdir()
    (folder / "fremd.txt").write_text("x", encoding="utf-8")
    store = Store(tmp_path / "reports")
    assert not store.enabled
    store.put("validation", "k", {"a": 1})
    assert store.get("validation", "k") is None
    assert sorted(p.name for p in folder.iterdir()) == ["fremd.txt"]
    own = Store(tmp_path / "other" / "reports")
    own.put("validation", "k", {"a": 1})
    assert own.get("validation", "k") == {"a": 1}
    assert json.loads((tmp_path / "other" / cache.CACHE_DIR / "validation" / "k.json").read_text())


def test_a_new_kommunen_wave_is_read_by_the_municipal_reports_of_that_wave_only(
    tmp_path: Path,
) -> None:
    """The municipal report names the latest municipal-survey wave up to its own wave;
    a later one changes the reports of later waves, not those of earlier ones."""
    from welcome_eval.build.plan import plan

    data = tmp_path / "data"
    shutil.copytree(demo_data_dir(), data)
    new = data / "kommunen" / "2023"
    shutil.copytree(data / "kommunen" / "2021", new)
    manifest = new / "manifest.yaml"
    manifest.write_text(
        manifest.read_text(encoding="utf-8").replace("wave: '2021'", "wave: '2023'"),
        encoding="utf-8",
    )
    jobs = {j.relative_path.as_posix(): j for j in plan(data)}
    municipal = [j for j in jobs.values() if j.kind == "gemeinde"]
    assert {j.relative_path.name for j in municipal} == {"2021.html", "2023.html"}
    for job in municipal:
        reads_new = manifest in job.sources
        assert reads_new == (job.relative_path.name == "2023.html"), job.relative_path
        # the earlier kommunen waves are read by every municipal report
        assert data / "kommunen" / "2021" / "manifest.yaml" in job.sources
