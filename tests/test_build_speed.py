"""What makes the build fast must not change what it builds: the caches are keyed on
content (sha256), the kernel warm-up leaves nothing behind, started kernels are handed
out and shut down."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import nbformat
import pytest

from welcome_eval.analysis import checklist
from welcome_eval.build import kernel as build_kernel
from welcome_eval.config import surveys_dir
from welcome_eval.ingest import codebook as codebook_module


def _same_size_same_time(path: Path, old: str, new: str) -> None:
    """Replace ``old`` by ``new`` (same length) and restore the modification time."""
    assert len(old) == len(new)
    stat = path.stat()
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_default_scoring_rule_is_cached_by_content_not_by_time(tmp_path, monkeypatch):
    surveys = tmp_path / "surveys"
    shutil.copytree(surveys_dir() / "checkliste", surveys / "checkliste")
    monkeypatch.setattr(checklist, "surveys_dir", lambda: surveys)
    monkeypatch.setattr(codebook_module, "surveys_dir", lambda: surveys)
    first = checklist.scoring_rule()
    assert first.dimensions["erstkontakt"] == "Erstkontakt und Begrüßung"
    first.dimensions["erstkontakt"] = "changed by a caller"  # a caller's copy only
    assert checklist.scoring_rule().dimensions["erstkontakt"] == "Erstkontakt und Begrüßung"
    codebook = surveys / "checkliste" / "codebook.yaml"
    _same_size_same_time(codebook, "Erstkontakt und Begrüßung", "Erstkontakt und Empfang!!")
    assert checklist.scoring_rule().dimensions["erstkontakt"] == "Erstkontakt und Empfang!!"


def test_notebook_is_read_again_when_its_content_changes(tmp_path):
    path = tmp_path / "report.ipynb"
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.cells.append(nbformat.v4.new_code_cell("x = 1", metadata={"tags": ["parameters"]}))
    notebook.cells.append(nbformat.v4.new_code_cell("print(x)"))
    nbformat.write(notebook, str(path))
    first = build_kernel._parameterized(path, {"x": 2})
    assert [c.source for c in first.cells][-1] == "print(x)"
    first.cells[-1].source = "changed in the executed copy"
    again = build_kernel._parameterized(path, {"x": 3})
    assert again.cells[-1].source == "print(x)"
    assert "x = 3" in again.cells[1].source
    _same_size_same_time(path, "print(x)", "print(y)")
    assert build_kernel._parameterized(path, {"x": 2}).cells[-1].source == "print(y)"


def _notebook(tmp_path: Path, name: str, cells: list[str]) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    notebook.metadata["language_info"] = {"name": "python"}
    notebook.cells.append(nbformat.v4.new_code_cell("", metadata={"tags": ["parameters"]}))
    notebook.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    path = tmp_path / name
    nbformat.write(notebook, str(path))
    return path


@pytest.mark.slow
def test_warm_kernel_shows_a_report_the_same_state_as_a_fresh_one(tmp_path):
    # What a report can see of the kernel: its names, open figures, matplotlib settings,
    # warnings filters and working directory.
    probe = _notebook(
        tmp_path,
        "probe.ipynb",
        [
            "import os, sys, warnings, matplotlib, matplotlib.pyplot as plt\n"
            "names = sorted(n for n in dir() if not n.startswith('_'))\n"
            "print(names)\n"
            "print(plt.get_fignums(), len(warnings.filters), os.getcwd())\n"
            "print(sorted((k, str(v)) for k, v in matplotlib.rcParams.items()))"
        ],
    )

    def seen(kernel: build_kernel.ReportKernel) -> str:
        notebook = kernel.execute(probe, {}, cwd=tmp_path)
        return "".join(o.get("text", "") for o in notebook.cells[-1].outputs)

    with build_kernel.ReportKernel() as cold:
        fresh = seen(cold)
    with build_kernel.ReportKernel(warm=True) as warm:
        assert warm.warm
        assert seen(warm) == fresh
        assert seen(warm) == fresh


@pytest.mark.slow
def test_kernel_starter_hands_out_started_kernels_and_shuts_down_the_rest(tmp_path):
    path = _notebook(tmp_path, "pid.ipynb", ["import os\nprint(os.getpid())"])
    with build_kernel.KernelStarter(2) as starter:
        taken = starter.take()
        pending = list(starter._starting)
        assert len(pending) == 1
        notebook = taken.execute(path, {}, cwd=tmp_path)
        assert notebook.cells[-1].outputs[0]["text"].strip().isdigit()
        assert taken.warm
    left = pending[0].result()
    assert not left.km.is_alive()  # closed with the starter
    assert taken.km.is_alive()  # the one taken belongs to its taker
    taken.shutdown()


@pytest.mark.slow
def test_a_failing_reset_is_reported_as_a_failed_report(tmp_path):
    path = _notebook(tmp_path, "ok.ipynb", ["x = 1"])
    with build_kernel.ReportKernel() as kernel:
        with pytest.raises(build_kernel.ReportFailed, match="FileNotFoundError"):
            kernel.execute(path, {}, cwd=tmp_path / "missing")
        assert kernel.execute(path, {}, cwd=tmp_path).cells[-1].execution_count == 2


def _same_size_same_time_bytes(path: Path, old: bytes, new: bytes) -> None:
    assert len(old) == len(new)
    stat = path.stat()
    data = path.read_bytes()
    assert data.count(old) == 1
    path.write_bytes(data.replace(old, new))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))


def test_wave_shares_and_suppression_plans_are_cached_by_content_not_by_time(tmp_path):
    """A corrected export of the same size and time is read again, not served from the cache."""
    import hashlib

    from welcome_eval.analysis import benchmark
    from welcome_eval.config import demo_data_dir
    from welcome_eval.publish import disclosure_plan

    data = tmp_path / "data"
    shutil.copytree(demo_data_dir() / "neubuerger" / "2021", data / "neubuerger" / "2021")
    shutil.copytree(demo_data_dir() / "programme", data / "programme")
    manifest = data / "neubuerger" / "2021" / "manifest.yaml"
    raw = data / "neubuerger" / "2021" / "neubuerger_2021.csv"

    def wohnen(shares):
        rows = shares[(shares["ags"].astype(str) == "05958036") & (shares["item"] == "zuf_wohnen")]
        return rows.drop(columns=[c for c in rows.columns if rows[c].dtype == object]).to_numpy()

    before = wohnen(benchmark.wave_shares(manifest))
    plan_before = disclosure_plan.suppression_plan(manifest, data_dir=data)
    old_sha = hashlib.sha256(raw.read_bytes()).hexdigest()
    # Respondent 1 of 05958036: zuf_wohnen 3 -> 5 (same length, same time).
    _same_size_same_time_bytes(raw, b"-9;3;-8;4;4;2;5;4;;6,50625", b"-9;5;-8;4;4;2;5;4;;6,50625")
    new_sha = hashlib.sha256(raw.read_bytes()).hexdigest()
    _same_size_same_time_bytes(manifest, old_sha.encode(), new_sha.encode())
    after = wohnen(benchmark.wave_shares(manifest))
    assert before.shape == after.shape and (before != after).any()
    # The plan is computed again from the new content (and is equal or not: it is not stale).
    plan_after = disclosure_plan.suppression_plan(manifest, data_dir=data)
    assert plan_after is not plan_before


@pytest.mark.slow
def test_settings_a_report_changed_are_back_for_the_next_report(tmp_path):
    # The reset re-applies only the settings that differ from the kernel's start.
    changer = _notebook(
        tmp_path,
        "changer.ipynb",
        [
            "import matplotlib, cycler\n"
            "matplotlib.rcParams['font.size'] = 31.0\n"
            "matplotlib.rcParams['axes.prop_cycle'] = cycler.cycler(color=['#123456'])\n"
            "matplotlib.rcParams['lines.dashed_pattern'] = [9.0, 9.0]\n"
            "matplotlib.rcParams['image.cmap'] = 'magma'"
        ],
    )
    probe = _notebook(
        tmp_path,
        "probe.ipynb",
        ["import matplotlib\nprint(sorted((k, str(v)) for k, v in matplotlib.rcParams.items()))"],
    )

    def seen(kernel: build_kernel.ReportKernel, path: Path) -> str:
        notebook = kernel.execute(path, {}, cwd=tmp_path)
        return "".join(o.get("text", "") for o in notebook.cells[-1].outputs)

    with build_kernel.ReportKernel(warm=True) as kernel:
        before = seen(kernel, probe)
        kernel.execute(changer, {}, cwd=tmp_path)
        after = seen(kernel, probe)
    assert "31.0" not in before and "#123456" not in before
    assert after == before


def test_the_build_processes_skip_unused_optional_imports_and_a_library_user_keeps_them():
    import subprocess
    import sys

    check = (
        "import sys\n"
        "{before}\n"
        "import nbformat, jsonschema\n"
        "nbformat.validate(nbformat.v4.new_notebook())\n"
        "print(sorted(n for n in {names!r} if sys.modules.get(n) is not None))\n"
    )
    from welcome_eval.config import UNUSED_OPTIONAL_IMPORTS as names

    blocked = "from welcome_eval.config import skip_unused_optional_imports\n"
    blocked += "skip_unused_optional_imports()"
    library = "import welcome_eval, welcome_eval.present.markup, welcome_eval.build.kernel"
    seen = {}
    for name, before in (("blocked", blocked), ("library", library)):
        done = subprocess.run(
            [sys.executable, "-c", check.format(before=before, names=names)],
            capture_output=True,
            text=True,
            check=True,
        )
        seen[name] = done.stdout.strip()
    assert seen["blocked"] == "[]"
    assert seen["library"] == str(sorted(names))  # installed (jupyterlab brings it), loaded


@pytest.mark.slow
def test_the_kernel_warm_up_blocks_them_too(tmp_path):
    probe = _notebook(
        tmp_path,
        "probe.ipynb",
        [
            "import sys\n"
            "print([n for n in ('rfc3987_syntax',) if n in sys.modules and sys.modules[n] is None])"
        ],
    )
    with build_kernel.ReportKernel(warm=True) as kernel:
        notebook = kernel.execute(probe, {}, cwd=tmp_path)
    shown = "".join(o.get("text", "") for o in notebook.cells[-1].outputs)
    assert "rfc3987_syntax" in shown  # blocked: None in sys.modules, not the module
    assert "nbconvert.filters.markdown_mistune" in build_kernel._WARM_UP


def test_an_explicit_checklist_codebook_is_read_again_when_its_content_changes(tmp_path):
    from welcome_eval.ingest.codebook import Codebook

    copy = tmp_path / "codebook.yaml"
    shutil.copy(surveys_dir() / "checkliste" / "codebook.yaml", copy)
    first = checklist.scoring_rule(Codebook.load(copy))
    assert first.dimensions["erstkontakt"] == "Erstkontakt und Begrüßung"
    _same_size_same_time(copy, "Erstkontakt und Begrüßung", "Erstkontakt und Empfang!!")
    again = checklist.scoring_rule(Codebook.load(copy))
    assert again.dimensions["erstkontakt"] == "Erstkontakt und Empfang!!"
