"""The pipeline definitions a data repository copies (pipelines/): GitHub Actions and GitLab CI.

Checked without the CI systems: the YAML against the structure each system documents
(GitHub: workflow syntax; GitLab: ``.gitlab-ci.yml`` keyword reference), every shell
block with ``bash -n``, where data and key come from, and a dry run of the
``welcome-eval ci`` command each pipeline runs.
"""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml

import welcome_eval.build.reports as reports_module
from welcome_eval.build.reports import BuildResult
from welcome_eval.cli import main
from welcome_eval.config import demo_data_dir

PIPELINES = Path(__file__).resolve().parents[1] / "pipelines"
GITHUB = PIPELINES / "github-actions.yml"
GITLAB = PIPELINES / "gitlab-ci.yml"

#: GitHub workflow syntax (docs.github.com, "Workflow syntax for GitHub Actions"): the
#: keys these files use, with their types; unknown keys are refused.
GITHUB_SCHEMA = {
    "type": "object",
    "required": ["name", "on", "jobs"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string"},
        "on": {"type": "object"},
        "permissions": {"type": "object", "additionalProperties": {"enum": ["read", "write"]}},
        "concurrency": {"type": "object", "required": ["group"]},
        "jobs": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "object",
                "required": ["runs-on", "steps"],
                "additionalProperties": False,
                "properties": {
                    "runs-on": {"anyOf": [{"type": "string"}, {"type": "array"}]},
                    "needs": {"anyOf": [{"type": "string"}, {"type": "array"}]},
                    "timeout-minutes": {"type": "integer"},
                    "env": {"type": "object", "additionalProperties": {"type": "string"}},
                    "environment": {"type": "object", "required": ["name"]},
                    "steps": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "additionalProperties": False,
                            "oneOf": [{"required": ["uses"]}, {"required": ["run"]}],
                            "properties": {
                                "id": {"type": "string"},
                                "name": {"type": "string"},
                                "if": {"type": "string"},
                                "uses": {"type": "string", "pattern": r"^[\w.-]+/[\w./-]+@v\d+$"},
                                "with": {"type": "object"},
                                "run": {"type": "string"},
                                "env": {"type": "object"},
                            },
                        },
                    },
                },
            },
        },
    },
}

#: GitLab CI keywords (docs.gitlab.com, "CI/CD YAML syntax reference") used by these files.
GITLAB_JOB = {
    "type": "object",
    "required": ["stage", "script"],
    "additionalProperties": False,
    "properties": {
        "stage": {"type": "string"},
        "image": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "needs": {"type": "array", "items": {"type": "string"}},
        "rules": {"type": "array", "items": {"type": "object", "required": ["if"]}},
        "resource_group": {"type": "string"},
        "cache": {
            "type": "object",
            "required": ["key", "paths"],
            "properties": {"paths": {"type": "array", "items": {"type": "string"}}},
        },
        "script": {"type": "array", "minItems": 1, "items": {"type": "string"}},
        "artifacts": {
            "type": "object",
            "required": ["paths"],
            "additionalProperties": False,
            "properties": {
                "when": {"enum": ["on_success", "on_failure", "always"]},
                "expire_in": {"type": "string"},
                "expose_as": {"type": "string"},
                "paths": {"type": "array", "items": {"type": "string"}},
            },
        },
    },
}
GITLAB_SCHEMA = {
    "type": "object",
    "required": ["stages"],
    "properties": {
        "stages": {"type": "array", "items": {"type": "string"}},
        "variables": {"type": "object", "additionalProperties": {"type": "string"}},
    },
    "additionalProperties": GITLAB_JOB,
}


def _load(path: Path) -> dict:
    # PyYAML reads GitHub's `on:` as the boolean True (YAML 1.1); the key is the string "on".
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    return {("on" if key is True else key): value for key, value in raw.items()}


def _github_runs() -> list[str]:
    return [s["run"] for job in _load(GITHUB)["jobs"].values() for s in job["steps"] if "run" in s]


def _gitlab_scripts() -> list[str]:
    config = _load(GITLAB)
    return [
        "\n".join(job["script"])
        for name, job in config.items()
        if name not in ("stages", "variables")
    ]


def test_the_github_workflow_follows_the_workflow_syntax():
    config = _load(GITHUB)
    jsonschema.validate(config, GITHUB_SCHEMA)
    reports = config["jobs"]["reports"]
    assert any(
        s.get("uses", "").startswith("actions/upload-pages-artifact@") for s in reports["steps"]
    )
    pages = config["jobs"]["pages"]
    assert pages["needs"] == "reports"
    assert any(s.get("uses", "").startswith("actions/deploy-pages@") for s in pages["steps"])


def test_the_gitlab_pipeline_follows_the_keyword_reference():
    config = _load(GITLAB)
    jsonschema.validate(config, GITLAB_SCHEMA)
    jobs = {k: v for k, v in config.items() if k not in ("stages", "variables")}
    assert {job["stage"] for job in jobs.values()} <= set(config["stages"])
    # GitLab Pages publishes the artifact folder public/ of the job named pages.
    assert "public/" in jobs["pages"]["artifacts"]["paths"]
    assert "public/" in jobs["reports"]["artifacts"]["paths"]
    assert jobs["reports"]["artifacts"]["when"] == "always"  # the summary also when it fails


@pytest.mark.parametrize("script", [*_github_runs(), *_gitlab_scripts()])
def test_every_shell_block_is_valid_bash(script, tmp_path):
    path = tmp_path / "step.sh"
    path.write_text(script, encoding="utf-8")
    checked = subprocess.run(["bash", "-n", str(path)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stderr


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_data_and_key_never_come_from_the_repository(path):
    text = path.read_text(encoding="utf-8")
    lines = [line for line in text.splitlines() if not line.lstrip().startswith("#")]
    body = "\n".join(lines)
    # The data directory is the protected location the CI names, never a path in git.
    assert '--data "$WELCOME_EVAL_DATA"' in body
    assert not re.search(r"--data\s+(?![\"']?\$)", body)
    # The key is never written into the file or echoed.
    assert "WELCOME_EVAL_PSEUDONYM_KEY:" not in body or (
        "${{ secrets.WELCOME_EVAL_PSEUDONYM_KEY }}" in body
    )
    assert not re.search(r"echo[^\n]*PSEUDONYM_KEY", body)


@pytest.mark.parametrize("path", [GITHUB, GITLAB], ids=["github", "gitlab"])
def test_dry_run_of_the_ci_command_each_pipeline_runs(path, tmp_path, monkeypatch, capsys):
    """The `welcome-eval ci` line, with the CI's variables set, is what the CLI accepts."""
    data = tmp_path / "protected"
    shutil.copytree(demo_data_dir() / "kommunen" / "2018", data / "kommunen" / "2018")
    shutil.copytree(demo_data_dir() / "programme", data / "programme")
    monkeypatch.chdir(tmp_path)
    built = []

    def build(data_dir, out_dir, **options):
        out = Path(out_dir).resolve()
        out.mkdir(parents=True, exist_ok=True)
        (out / "index.html").write_text("index", encoding="utf-8")
        built.append(Path(data_dir))
        return BuildResult(out_dir=out, index=out / "index.html")

    monkeypatch.setattr(reports_module, "build", build)
    text = path.read_text(encoding="utf-8")
    line = next(
        re.sub(r"^\s*-?\s*", "", line)
        for line in text.splitlines()
        if "welcome-eval ci " in line and not line.lstrip().startswith("#")
    )
    words = shlex.split(line.replace("$WELCOME_EVAL_DATA", str(data)))
    assert Path(words[0]).name == "welcome-eval"
    assert main(words[1:]) == 0
    assert built == [data.resolve()]
    assert (tmp_path / "public" / "index.html").is_file()
    assert "welcome-eval ci" in capsys.readouterr().out
