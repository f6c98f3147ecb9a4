"""``welcome-eval ci``: the data repository's pipeline in one command (issue 16).

Validate every wave, build what changed, publish atomically, say what changed; exit
0 built, 1 quarantined rows under ``--strict``, 2 a bad wave (nothing published).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import mistune
import pytest

import welcome_eval.build.reports as reports_module
from welcome_eval.build.ci import (
    CI_BAD_WAVE,
    CI_BUILT,
    CI_QUARANTINED,
    CiResult,
    WaveCheck,
    run_ci,
    state_path,
    summary_markdown,
)
from welcome_eval.build.reports import BuildResult
from welcome_eval.cli import main
from welcome_eval.config import demo_data_dir


def _files(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _data(tmp_path: Path, waves: tuple[str, ...] = ("2018", "2019")) -> Path:
    """A data directory with some kommunen waves of the demo data and the programme records."""
    data = tmp_path / "data"
    shutil.copytree(demo_data_dir() / "programme", data / "programme")
    for wave in waves:
        shutil.copytree(demo_data_dir() / "kommunen" / wave, data / "kommunen" / wave)
    return data


def _bad_wave(data: Path, wave: str = "2024") -> None:
    folder = data / "kommunen" / wave
    folder.mkdir(parents=True)
    (folder / "kommunen.csv").write_bytes(b'lfdn;ags\n1;"05958004\n')
    (folder / "manifest.yaml").write_text(
        f"survey: kommunen\nwave: '{wave}'\nfile: kommunen.csv\ndemo: true\n", encoding="utf-8"
    )


@pytest.fixture
def fake_build(monkeypatch):
    """build() that records its calls and publishes one page (for the fast tests)."""
    calls = []

    def build(data_dir, out_dir, **options):
        calls.append((Path(data_dir), Path(out_dir), options))
        out = Path(out_dir).resolve()
        out.mkdir(parents=True, exist_ok=True)
        (out / "index.html").write_text("index", encoding="utf-8")
        page = out / "kommunen" / "2018" / "bericht.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text("page", encoding="utf-8")
        return BuildResult(out_dir=out, index=out / "index.html", reports=[page], reused=[])

    monkeypatch.setattr(reports_module, "build", build)
    return calls


def test_a_bad_wave_builds_nothing_and_names_every_bad_wave(tmp_path, fake_build):
    data = _data(tmp_path)
    _bad_wave(data, "2024")
    _bad_wave(data, "2025")
    result = run_ci(data, tmp_path / "reports")
    assert result.exit_code == CI_BAD_WAVE
    assert fake_build == []
    assert [w.wave for w in result.waves if w.error] == ["2024", "2025"]
    summary = result.summary
    assert "Nichts veröffentlicht" in summary
    assert "kommunen 2024" in summary and "kommunen 2025" in summary
    assert "kommunen.csv" in summary  # the reader's message names the file
    assert not state_path(tmp_path / "reports").exists()


def test_no_waves_is_a_bad_data_directory(tmp_path, fake_build):
    (tmp_path / "data").mkdir()
    result = run_ci(tmp_path / "data", tmp_path / "reports")
    assert result.exit_code == CI_BAD_WAVE and fake_build == []
    assert "no waves found" in result.summary


def test_waves_are_new_then_unchanged_then_changed(tmp_path, fake_build):
    data = _data(tmp_path)
    first = run_ci(data, tmp_path / "reports")
    assert first.exit_code == CI_BUILT
    assert [w.change for w in first.waves] == ["neu", "neu"]
    second = run_ci(data, tmp_path / "reports")
    assert [w.change for w in second.waves] == ["unverändert", "unverändert"]
    # A corrected export of 2019 (new file, new sha256 in its manifest).
    folder = data / "kommunen" / "2019"
    manifest = (folder / "manifest.yaml").read_text(encoding="utf-8")
    raw = next(p for p in folder.iterdir() if p.name != "manifest.yaml")
    old = hashlib.sha256(raw.read_bytes()).hexdigest()
    raw.write_bytes(raw.read_bytes() + b"\n")
    new = hashlib.sha256(raw.read_bytes()).hexdigest()
    (folder / "manifest.yaml").write_text(manifest.replace(old, new), encoding="utf-8")
    third = run_ci(data, tmp_path / "reports")
    assert [w.change for w in third.waves] == ["unverändert", "geändert"]
    assert "kommunen 2019 (geändert)" in third.summary


def test_a_damaged_state_file_counts_every_wave_as_new(tmp_path, fake_build):
    data = _data(tmp_path)
    state_path(tmp_path / "reports").write_text("{not json", encoding="utf-8")
    result = run_ci(data, tmp_path / "reports")
    assert result.exit_code == CI_BUILT
    assert {w.change for w in result.waves} == {"neu"}
    assert json.loads(state_path(tmp_path / "reports").read_text())["waves"].keys() == {
        "kommunen/2018",
        "kommunen/2019",
    }


def test_strict_mode_exits_1_on_quarantined_rows(tmp_path, fake_build):
    data = _data(tmp_path, ("2018",))
    csv = data / "kommunen" / "2018" / "kommunen_2018.csv"
    text = csv.read_text(encoding="cp1252").splitlines()
    cells = text[1].split(";")
    cells[2] = "kein Code"  # rolle: a coded item
    text[1] = ";".join(cells)
    csv.write_text("\n".join(text) + "\n", encoding="cp1252")
    manifest = data / "kommunen" / "2018" / "manifest.yaml"
    content = manifest.read_text(encoding="utf-8").splitlines()
    sha = hashlib.sha256(csv.read_bytes()).hexdigest()
    manifest.write_text(
        "\n".join(f"sha256: {sha}" if c.startswith("sha256:") else c for c in content) + "\n",
        encoding="utf-8",
    )
    lenient = run_ci(data, tmp_path / "a")
    assert lenient.exit_code == CI_BUILT
    assert lenient.waves[0].counts["quarantined"] == 1
    assert sum(lenient.waves[0].quarantined_by.values()) >= 1
    strict = run_ci(data, tmp_path / "b", strict=True)
    assert strict.exit_code == CI_QUARANTINED
    assert "strenger Modus" in strict.summary
    assert len(fake_build) == 2  # built both times


def test_the_summary_escapes_what_the_data_say():
    hostile = "<img src=x onerror=alert(1)> *x* [a](javascript:alert(1))"
    result = CiResult(
        CI_BAD_WAVE,
        [WaveCheck("kommunen", hostile, "m", "—", error=hostile)],
        message="x",
    )
    summary = summary_markdown(result)
    # Rendered as a CI system renders Markdown: no element, no link, no emphasis from data.
    html = mistune.html(summary)
    assert "<img" not in html and "<a " not in html and "<em>x</em>" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_cli_writes_the_summary_where_the_ci_shows_it(tmp_path, fake_build, monkeypatch, capsys):
    data = _data(tmp_path, ("2018",))
    step_summary = tmp_path / "step_summary.md"
    step_summary.write_text("earlier step\n", encoding="utf-8")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step_summary))
    code = main(["ci", "--data", str(data), "--out", str(tmp_path / "public")])
    out = capsys.readouterr().out
    assert code == 0 and "welcome-eval ci" in out
    written = step_summary.read_text(encoding="utf-8")
    assert written.startswith("earlier step\n") and written.endswith(out)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY")
    code = main(["ci", "--data", str(data), "--out", str(tmp_path / "public")])
    assert (tmp_path / "ci-summary.md").read_text(encoding="utf-8") == capsys.readouterr().out


def test_cli_exit_code_2_leaves_the_published_reports_alone(tmp_path, fake_build, capsys):
    data = _data(tmp_path, ("2018",))
    assert main(["ci", "--data", str(data), "--out", str(tmp_path / "public")]) == 0
    before = _files(tmp_path / "public")
    _bad_wave(data)
    assert main(["ci", "--data", str(data), "--out", str(tmp_path / "public")]) == 2
    captured = capsys.readouterr()
    assert "unverändert" in captured.err and "Traceback" not in captured.err
    assert _files(tmp_path / "public") == before


@pytest.mark.slow
def test_ci_end_to_end_new_wave_rebuilds_only_what_reads_it(tmp_path):
    """The real build: a new kommunen wave rebuilds its reports and the programme overview
    (which reads every kommunen wave) plus the index; a malformed wave publishes nothing."""
    data = _data(tmp_path, ("2018", "2019"))
    out = tmp_path / "public"
    first = run_ci(data, out)
    assert first.exit_code == CI_BUILT, first.summary
    before = _files(out)
    shutil.copytree(demo_data_dir() / "kommunen" / "2021", data / "kommunen" / "2021")
    second = run_ci(data, out)
    assert second.exit_code == CI_BUILT, second.summary
    assert set(second.rebuilt) == {
        "kommunen/2021/bericht.html",
        "kommunen/2021/qualitaet.html",
        "programm/bericht.html",
    }
    after = _files(out)
    for page in ("kommunen/2018/bericht.html", "kommunen/2019/qualitaet.html"):
        assert after[page] == before[page]
        assert after[f"forschung/{page}"] == before[f"forschung/{page}"]
    assert after["index.html"] != before["index.html"]  # lists the new wave
    _bad_wave(data)
    third = run_ci(data, out)
    assert third.exit_code == CI_BAD_WAVE
    assert _files(out) == after
