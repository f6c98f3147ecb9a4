"""The command line: exit codes and messages people see."""

from __future__ import annotations

import subprocess
import sys

import pytest
from conftest import good_row, write_wave

from welcome_eval.cli import main
from welcome_eval.config import demo_data_dir


def test_validate_clean_wave_exits_0(capsys):
    assert main(["validate", str(demo_data_dir() / "kommunen" / "2021")]) == 0
    out = capsys.readouterr().out
    assert "Zeilen gelesen / rows read" in out


def test_validate_quarantine_exits_1_and_names_row_column_rule(tmp_path, capsys):
    manifest = write_wave(tmp_path, [good_row(1), good_row(2, zuf_beratung=9)])
    assert main(["validate", str(manifest)]) == 1
    out = capsys.readouterr().out
    assert "export.csv row 3, column zuf_beratung, value '9'" in out
    assert "allowed_codes" in out
    assert "zurückgestellt / quarantined: 1" in out


def test_validate_unreadable_exits_2(tmp_path, capsys):
    manifest = write_wave(tmp_path, [good_row(1)])
    (tmp_path / "export.csv").write_bytes(b"")
    assert main(["validate", str(manifest)]) == 2
    assert "export.csv: the file is empty" in capsys.readouterr().err
    assert main(["validate", str(tmp_path / "nowhere")]) == 2


@pytest.mark.slow  # starts a Python process
def test_console_script_runs_without_traceback(tmp_path):
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "welcome_eval.cli",
            "build",
            "--data",
            str(tmp_path),
            "--quiet",
            "--out",
            str(tmp_path / "out"),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 2
    assert "No wave manifests found" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
