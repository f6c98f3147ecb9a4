"""Output folders, the publish step and failed reports (issue 12, points 5, 6 and 11).

The builds here are tiny: the demo data of one survey (three waves) and two
trivial report notebooks in place of the real ones (a quality page per wave
and the programme overview), so every build takes seconds. Kills are real:
a build subprocess sends itself SIGKILL between two steps of the publish, or
its notebook kills the build from inside the kernel.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest
from conftest import SOURCE_DATE_EPOCH

from welcome_eval.build import reports
from welcome_eval.cli import main
from welcome_eval.config import demo_data_dir

#: What the trivial report notebook does, steered by environment variables the
#: kernel inherits from the build.
NOTEBOOK_CODE = """\
import os, time
from IPython.display import Markdown, display
if os.environ.get("WE_TEST_SLEEP"):
    time.sleep(float(os.environ["WE_TEST_SLEEP"]))
if os.environ.get("WE_TEST_KILL_BUILD"):
    os.kill(os.getppid(), 9)
if os.environ.get("WE_TEST_FAIL"):
    raise ValueError("\\x1b[0;31mrot\\x1b[0m " + os.environ["WE_TEST_FAIL"])
display(Markdown("## Ein kleiner Bericht"))
"""

#: Runs the command line with the trivial notebooks; ``mode`` kills the process
#: between two steps of the publish.
DRIVER = """\
import os, signal, sys
from pathlib import Path

import welcome_eval.build.reports as reports

notebooks, mode, args = Path(sys.argv[1]), sys.argv[2], sys.argv[3:]
reports.notebooks_dir = lambda: notebooks


def die():
    os.kill(os.getpid(), signal.SIGKILL)


def no_exchange(first, second):
    return False


if mode == "after-exchange":
    import welcome_eval.build.outdir as outdir

    real_exchange = outdir.exchange

    def exchange(first, second):
        swapped = real_exchange(first, second)
        if swapped:
            die()
        return swapped

    outdir.exchange = exchange
elif mode in ("after-first-rename", "no-exchange"):
    try:
        import welcome_eval.build.outdir as outdir

        outdir.exchange = no_exchange
    except ImportError:
        pass
    if mode == "after-first-rename":
        real_rename = os.rename

        def rename(source, target, *more, **options):
            real_rename(source, target, *more, **options)
            if str(target).endswith(".previous"):
                die()

        os.rename = rename

from welcome_eval.cli import main

sys.exit(main(args))
"""


def _notebook(path: Path) -> None:
    parameters = nbformat.v4.new_code_cell(
        'data_dir = ""\nmanifest = ""\nprevious_manifests = []\nmin_n = 5'
    )
    parameters.metadata["tags"] = ["parameters"]
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [parameters, nbformat.v4.new_code_cell(NOTEBOOK_CODE)]
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "language": "python",
        "display_name": "Python 3",
    }
    for number, cell in enumerate(notebook.cells):
        cell.id = f"cell-{number}"
    nbformat.write(notebook, str(path))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Data (three demo waves), trivial notebooks, and one published build of them."""
    root = tmp_path_factory.mktemp("tiny")
    data = root / "data"
    shutil.copytree(demo_data_dir() / "kommunen", data / "kommunen")
    notebooks = root / "notebooks"
    notebooks.mkdir()
    _notebook(notebooks / reports.QUALITY_NOTEBOOK)
    _notebook(notebooks / reports.PROGRAMME_NOTEBOOK)
    driver = root / "driver.py"
    driver.write_text(DRIVER, encoding="utf-8")
    published = root / "published"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
        patch.setattr(reports, "notebooks_dir", lambda: notebooks)
        result = reports.build(data, published, progress=False)
    assert len(result.reports) == 4  # three quality pages and the programme overview
    return {"data": data, "notebooks": notebooks, "driver": driver, "published": published}


@pytest.fixture
def site(tiny: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the tiny published build at ``tmp_path/reports``; in-process
    builds use the trivial notebooks."""
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    monkeypatch.setattr(reports, "notebooks_dir", lambda: tiny["notebooks"])
    out = tmp_path / "reports"
    shutil.copytree(tiny["published"], out, symlinks=True)
    return out


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file of ``folder`` with its bytes; the content keys only by name (they
    digest the library code, which may change while the tests run)."""
    return {
        p.relative_to(folder).as_posix(): b"" if p.name == reports.CACHE_FILE else p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _run(
    tiny: dict[str, Path], mode: str, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, **(env or {})}
    return subprocess.run(
        [sys.executable, str(tiny["driver"]), str(tiny["notebooks"]), mode, *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=300,
        check=False,
    )


def _build_args(tiny: dict[str, Path], out: Path, *more: str) -> list[str]:
    return ["build", "--data", str(tiny["data"]), "--out", str(out), "--quiet", *more]


# --- point 6: the publish survives a kill at every step -------------------------------


@pytest.mark.slow
def test_killed_between_the_two_renames_the_next_build_restores_the_reports(
    tiny: dict[str, Path], site: Path
) -> None:
    # The case: SIGKILL right after reports -> reports.previous (the fallback
    # publish where directories cannot be swapped atomically), then `--only` of one
    # small report. Before, that published 5 files and deleted both complete copies.
    before = _snapshot(site)
    killed = _run(tiny, "after-first-rename", *_build_args(tiny, site, "--only", "programm/*"))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    retired = site.with_name("reports.previous")
    assert not site.exists() and _snapshot(retired) == before  # whole, only set aside
    again = _run(tiny, "no-exchange", *_build_args(tiny, site, "--only", "programm/*"))
    assert again.returncode == 0, again.stderr
    assert _snapshot(site) == before  # every file back, byte for byte
    assert "wiederhergestellt" in again.stderr
    assert not retired.exists() and not site.with_name("reports.building").exists()


@pytest.mark.slow
def test_killed_right_after_the_atomic_swap_the_reports_are_whole(
    tiny: dict[str, Path], site: Path
) -> None:
    before = _snapshot(site)
    killed = _run(tiny, "after-exchange", *_build_args(tiny, site, "--only", "programm/*"))
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert _snapshot(site) == before  # the new build (same inputs) is in place, complete
    assert site.with_name("reports.building").is_dir()  # the old one, not yet deleted
    again = _run(tiny, "default", *_build_args(tiny, site, "--only", "programm/*"))
    assert again.returncode == 0, again.stderr
    assert _snapshot(site) == before
    assert not site.with_name("reports.building").exists()


@pytest.mark.slow
def test_the_published_name_never_goes_missing_during_the_swap(site: Path) -> None:
    from welcome_eval.build import outdir

    staging = site.with_name("new")
    shutil.copytree(site, staging)
    (staging / "index.html").write_text("neu", encoding="utf-8")
    assert outdir.exchange(staging, site)  # one system call: no instant without `reports`
    assert (site / "index.html").read_text(encoding="utf-8") == "neu"
    assert (staging / "index.html").read_text(encoding="utf-8") != "neu"


@pytest.mark.slow
def test_only_never_publishes_a_partial_set(tiny: dict[str, Path], tmp_path: Path) -> None:
    # No published build yet: `--only` of one report builds the missing others too.
    out = tmp_path / "fresh"
    result = _run(tiny, "default", *_build_args(tiny, out, "--only", "programm/*"))
    assert result.returncode == 0, result.stderr
    assert set(_snapshot(out)) == set(_snapshot(tiny["published"]))
    assert "3 Berichte fehlten" in result.stderr


@pytest.mark.slow
def test_a_build_killed_inside_a_report_leaves_the_reports_and_no_kernel_folders(
    tiny: dict[str, Path], site: Path, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    # A short temporary directory of its own (kernel sockets allow 107 characters).
    temp = Path(tempfile.mkdtemp(prefix="we-", dir="/tmp"))
    request.addfinalizer(lambda: shutil.rmtree(temp, ignore_errors=True))
    runtime = tmp_path / "runtime"
    env = {"TMPDIR": str(temp), "JUPYTER_RUNTIME_DIR": str(runtime)}
    before = _snapshot(site)
    args = _build_args(tiny, site, "--only", "programm/*", "--force")
    killed = _run(tiny, "default", *args, env={**env, "WE_TEST_KILL_BUILD": "1"})
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert _snapshot(site) == before
    assert list(temp.glob("welcome-eval-kernel-*"))  # what a kill leaves behind
    time.sleep(2)  # the orphaned kernel notices its parent is gone and exits
    again = _run(tiny, "default", *args, env=env)
    assert again.returncode == 0, again.stderr
    assert _snapshot(site).keys() == before.keys()
    assert list(temp.iterdir()) == []
    assert not runtime.exists() or list(runtime.glob("kernel-*.json")) == []
    assert not site.with_name("reports.building").exists()


@pytest.mark.slow
def test_two_builds_into_one_output_the_second_stops_with_a_clear_message(
    tiny: dict[str, Path], site: Path
) -> None:
    environment = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH, "WE_TEST_SLEEP": "6"}
    args = _build_args(tiny, site, "--only", "programm/*", "--force")
    first = subprocess.Popen(
        [sys.executable, str(tiny["driver"]), str(tiny["notebooks"]), "default", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=environment,
    )
    try:
        staging = site.with_name("reports.building")
        deadline = time.monotonic() + 120
        while not staging.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert staging.exists()  # the first build is under way
        second = _run(tiny, "default", *_build_args(tiny, site, "--only", "programm/*"))
        _, first_err = first.communicate(timeout=300)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    assert second.returncode == 4, second.stderr
    assert str(site) in second.stderr and "Another welcome-eval run" in second.stderr
    assert "Traceback" not in second.stderr and len(second.stderr) < 1000
    assert first.returncode == 0, first_err
    assert not site.with_name(".reports.lock").exists()  # removed by the holder


# --- point 5: --out writes only into its own folder ----------------------------------


@pytest.mark.slow
def test_build_refuses_a_folder_with_foreign_files(tiny: dict[str, Path], tmp_path: Path) -> None:
    out = tmp_path / "Dokumente"
    out.mkdir()
    (out / "Abschlussbericht.docx").write_bytes(b"wichtig")
    (out / "notizen").mkdir()
    (out / "notizen" / "a.txt").write_text("x", encoding="utf-8")
    before = _snapshot(out)
    result = _run(tiny, "default", *_build_args(tiny, out))
    assert result.returncode == 2, result.stderr
    assert str(out) in result.stderr and ".welcome-eval-output" in result.stderr
    assert _snapshot(out) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["Dokumente"]


@pytest.mark.slow
def test_build_into_its_own_folder_keeps_a_file_the_user_added(
    tiny: dict[str, Path], site: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (site / "meine-notiz.txt").write_text("bitte nicht löschen", encoding="utf-8")
    before = _snapshot(site)
    assert main(_build_args(tiny, site)) == 2
    err = capsys.readouterr().err
    assert "meine-notiz.txt" in err and str(site) in err
    assert _snapshot(site) == before


@pytest.mark.slow
def test_build_refuses_a_file_and_leaves_it_where_it_was(
    tiny: dict[str, Path], tmp_path: Path
) -> None:
    target = tmp_path / "reports"
    target.write_text("kein Ordner", encoding="utf-8")
    result = _run(tiny, "default", *_build_args(tiny, target))
    assert result.returncode == 2, result.stderr
    assert "Datei" in result.stderr and "file" in result.stderr
    assert target.read_text(encoding="utf-8") == "kein Ordner"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reports"]


@pytest.mark.slow
@pytest.mark.parametrize("where", ["cwd", "home", "parent of the data"])
def test_build_refuses_the_working_directory_home_and_the_data(
    tiny: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    where: str,
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", SOURCE_DATE_EPOCH)
    monkeypatch.setattr(reports, "notebooks_dir", lambda: tiny["notebooks"])
    folder = tmp_path / "folder"
    data = folder / "data"
    shutil.copytree(tiny["data"], data)
    (folder / "eigene-datei.txt").write_text("x", encoding="utf-8")
    monkeypatch.chdir(folder if where == "cwd" else tmp_path)
    if where == "home":
        monkeypatch.setenv("HOME", str(folder))
    out = {"cwd": ".", "home": "~", "parent of the data": str(folder)}[where]
    before = _snapshot(folder)
    assert main(["build", "--data", str(data), "--out", out, "--quiet"]) == 2
    assert "refused" in capsys.readouterr().err
    assert _snapshot(folder) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder"]


def test_the_project_and_the_filesystem_root_are_refused() -> None:
    import welcome_eval
    from welcome_eval.build.outdir import OutputError, check_target

    package = Path(welcome_eval.__file__).resolve().parent
    for folder in (package, package.parent, package.parent.parent, Path("/")):
        with pytest.raises(OutputError, match="refused"):
            check_target(folder)


@pytest.mark.slow
def test_an_output_of_an_earlier_version_is_taken_over(site: Path, tiny: dict[str, Path]) -> None:
    (site / ".welcome-eval-output").unlink()  # as written before the marker existed
    before = _snapshot(site)
    reports.build(tiny["data"], site, progress=False, only=["programm/*"])
    after = _snapshot(site)
    assert after.pop(".welcome-eval-output")
    assert after == before


def test_validate_refuses_a_folder_with_foreign_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "Auswertung"
    out.mkdir()
    (out / "Tabelle.xlsx").write_bytes(b"meine Arbeit")
    assert main(["validate", str(demo_data_dir() / "kommunen" / "2021"), "--out", str(out)]) == 2
    assert str(out) in capsys.readouterr().err
    assert [p.name for p in out.iterdir()] == ["Tabelle.xlsx"]
    assert (out / "Tabelle.xlsx").read_bytes() == b"meine Arbeit"


def test_validate_writes_only_its_own_files_and_keeps_the_users(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wave = str(demo_data_dir() / "kommunen" / "2021")
    out = tmp_path / "tidy"
    assert main(["validate", wave, "--out", str(out)]) == 0
    written = {p.name for p in out.iterdir()}
    assert {"data.parquet", "validation.csv", ".welcome-eval-output"} <= written
    marker = (out / ".welcome-eval-output").read_text(encoding="utf-8")
    assert "data.parquet" in marker and "welcome-eval" in marker
    (out / "notizen.txt").write_text("meine Notizen", encoding="utf-8")
    (out / "validation.csv").write_text("alt", encoding="utf-8")
    assert main(["validate", wave, "--out", str(out)]) == 0
    assert (out / "notizen.txt").read_text(encoding="utf-8") == "meine Notizen"
    assert (out / "validation.csv").read_text(encoding="utf-8-sig") != "alt"
    assert {p.name for p in out.iterdir()} == written | {"notizen.txt"}
    capsys.readouterr()


def test_validate_refuses_a_file_and_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wave = str(demo_data_dir() / "kommunen" / "2021")
    target = tmp_path / "out"
    target.write_text("eine Datei", encoding="utf-8")
    (tmp_path / "eigene.txt").write_text("x", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert main(["validate", wave, "--out", str(target)]) == 2
    assert main(["validate", wave, "--out", "."]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and "refused" in err
    assert target.read_text(encoding="utf-8") == "eine Datei"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["eigene.txt", "out"]


# --- point 11: a failed report is a reason, not a traceback ----------------------------


@pytest.mark.slow
def test_a_failing_report_gives_a_short_message_and_a_log(
    tiny: dict[str, Path], site: Path
) -> None:
    before = _snapshot(site)
    result = _run(
        tiny,
        "default",
        *_build_args(tiny, site, "--only", "programm/*", "--force"),
        env={"WE_TEST_FAIL": "Spalte ags fehlt"},
    )
    assert result.returncode == 2
    err = result.stderr
    assert "programm/bericht.html" in err and "ValueError: rot Spalte ags fehlt" in err
    assert "\x1b" not in err and "Traceback" not in err and len(err) < 1200, err
    assert _snapshot(site) == before
    log = site.with_name("reports.failed") / "programm" / "bericht.html.log"
    assert str(log) in err
    assert "Traceback" in log.read_text(encoding="utf-8")
    executed = nbformat.read(str(log.with_name("bericht.html.failed.ipynb")), as_version=4)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.outputs]
    assert any(o.get("output_type") == "error" for o in errors)


@pytest.mark.slow
def test_a_real_report_without_its_population_margins_names_the_cause(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from welcome_eval.config import notebooks_dir

    notebooks = tmp_path / "notebooks"
    notebooks.mkdir()
    shutil.copy2(notebooks_dir() / "neubuerger_welle.ipynb", notebooks)
    data = tmp_path / "data"
    shutil.copytree(demo_data_dir() / "neubuerger" / "2021", data / "neubuerger" / "2021")
    monkeypatch.setattr(reports, "notebooks_dir", lambda: notebooks)
    out = tmp_path / "reports"
    assert main(["build", "--data", str(data), "--out", str(out), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "neubuerger/2021/bericht.html" in err and "population_margins" in err, err
    assert "\x1b" not in err and "Traceback" not in err and len(err) < 1500, err
    assert not out.exists()


@pytest.mark.slow
def test_the_researcher_edition_shows_no_absolute_paths(site: Path, tiny: dict[str, Path]) -> None:
    result = reports.build(tiny["data"], site, progress=False, force=True)
    assert len(result.timings) == 4
    data = str(tiny["data"].resolve())
    for path in site.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert data not in text and str(site.parent) not in text, path
    page = (site / "forschung" / "kommunen" / "2021" / "qualitaet.html").read_text(encoding="utf-8")
    assert "manifest = &quot;kommunen/2021/manifest.yaml&quot;" in page or (
        'manifest = "kommunen/2021/manifest.yaml"' in page
    )
    keys = json.loads((site / reports.CACHE_FILE).read_text(encoding="utf-8"))
    assert len(keys) == 4


def test_validate_into_an_output_another_run_is_writing_exits_4(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from welcome_eval.build.outdir import locked

    out = tmp_path / "tidy"
    with locked(out.resolve()):
        code = main(["validate", str(demo_data_dir() / "kommunen" / "2021"), "--out", str(out)])
    assert code == 4
    err = capsys.readouterr().err
    assert str(out) in err and f"process {os.getpid()}" in err
    assert not out.exists() and list(tmp_path.iterdir()) == []


def test_an_edited_marker_cannot_make_validate_delete_outside_its_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    wave = str(demo_data_dir() / "kommunen" / "2021")
    out = tmp_path / "tidy"
    assert main(["validate", wave, "--out", str(out)]) == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("bleibt", encoding="utf-8")
    marker = out / ".welcome-eval-output"
    marker.write_text(
        marker.read_text(encoding="utf-8") + f"../victim.txt\n{victim}\n", encoding="utf-8"
    )
    assert main(["validate", wave, "--out", str(out)]) == 0
    assert victim.read_text(encoding="utf-8") == "bleibt"
    capsys.readouterr()
