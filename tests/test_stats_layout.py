"""Layout of ``welcome_eval.stats`` and of the presentation helpers that use it.

The statistics are split into topic modules that ``stats`` re-exports; their German
sentences live in ``present.sentences``; no module here imports another module's
underscore name, and ``stats`` does not import the presentation layer.
"""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import welcome_eval
from welcome_eval import stats
from welcome_eval.present import sentences

PACKAGE = Path(welcome_eval.__file__).parent
TOPIC_MODULES = ("comparisons", "likert", "proportions", "reliability", "trends")
#: The modules checked for private imports: the stats package and the presentation
#: modules that take its results.
CHECKED = sorted(
    [
        *(PACKAGE / "stats").glob("*.py"),
        PACKAGE / "present" / "sentences.py",
        *(PACKAGE / "present" / "figures").glob("*.py"),
    ]
)


def _module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> list[tuple[str, str]]:
    """(module, name) for every ``from module import name`` in ``path`` (relative resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = _module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else None
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = (package or _module_name(path)).split(".")
                base = base[: len(base) - node.level + 1]
                module = ".".join([*base, module] if module else base)
            found.extend((module, alias.name) for alias in node.names)
        elif isinstance(node, ast.Import):
            found.extend((alias.name, "") for alias in node.names)
    return found


def test_the_checked_modules_exist():
    names = {path.name for path in CHECKED}
    assert {"_common.py", "likert.py", "comparisons.py", "sentences.py", "_base.py"} <= names
    assert not (PACKAGE / "stats" / "_core.py").exists()


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: _module_name(p))
def test_no_underscore_name_is_imported_from_another_module(path: Path):
    private = [
        f"{module}.{name}"
        for module, name in _imports(path)
        if module.startswith("welcome_eval") and name.startswith("_") and name != "__version__"
    ]
    assert private == [], f"{_module_name(path)} imports private names: {private}"


@pytest.mark.parametrize("path", CHECKED, ids=lambda p: _module_name(p))
def test_every_module_has_a_docstring_and_all(path: Path):
    tree = ast.parse(path.read_text(encoding="utf-8"))
    assert ast.get_docstring(tree), f"{_module_name(path)} has no module docstring"
    module = importlib.import_module(_module_name(path))
    assert isinstance(getattr(module, "__all__", None), list), _module_name(path)
    for name in module.__all__:
        assert hasattr(module, name), f"{_module_name(path)}.__all__ names missing {name!r}"


@pytest.mark.parametrize("path", sorted((PACKAGE / "stats").glob("*.py")), ids=lambda p: p.name)
def test_stats_imports_nothing_downstream(path: Path):
    allowed = ("welcome_eval.stats", "welcome_eval.ingest")
    shared = ("errors", "config", "_checks", "municipalities", "_version", "_lazy", "_display")
    downstream = [
        module
        for module, _ in _imports(path)
        if module.startswith("welcome_eval")
        and not module.startswith(allowed)
        and module not in {f"welcome_eval.{name}" for name in shared}
        and module != "welcome_eval"
    ]
    assert downstream == [], f"stats/{path.name} imports downstream modules: {downstream}"


def test_stats_reexports_every_public_name_of_its_topic_modules():
    for topic in TOPIC_MODULES:
        module = importlib.import_module(f"welcome_eval.stats.{topic}")
        for name in module.__all__:
            assert name in stats.__all__, f"stats.__all__ lacks {topic}.{name}"
            assert getattr(stats, name) is getattr(module, name), f"{topic}.{name}"
    exported = {
        name
        for topic in TOPIC_MODULES
        for name in importlib.import_module(f"welcome_eval.stats.{topic}").__all__
    }
    lazy = {"drivers", "survey"}
    assert set(stats.__all__) == exported | lazy
    assert len(stats.__all__) == len(set(stats.__all__))


def test_the_shared_helpers_stay_out_of_the_stats_api():
    for name in (
        "as_item_list",
        "numeric_column",
        "valid_answers",
        "weights_array",
        "lazy_pingouin",
    ):
        assert name not in stats.__all__
        assert not hasattr(stats, name)
    assert "check_correction" not in stats.__all__


@pytest.mark.slow  # starts a Python process
def test_importing_stats_imports_neither_present_nor_pingouin():
    code = (
        "import sys, welcome_eval.stats\n"
        "print(sorted(m for m in sys.modules if m.startswith('welcome_eval.present')"
        " or m == 'pingouin'))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_sentences_old_names_in_stats_warn_and_are_the_same_functions():
    for name in ("describe_change", "describe_comparison"):
        with pytest.warns(DeprecationWarning, match=f"present.sentences.{name}"):
            assert getattr(stats, name) is getattr(sentences, name)
        assert name not in stats.__all__
    with pytest.raises(AttributeError, match="format_p"):
        stats.format_p  # noqa: B018 (only the two sentences of the old API stay in stats)


def test_present_lists_sentences_lazily():
    import welcome_eval.present as present

    assert "sentences" in present.__all__
    assert present.sentences is sentences


def test_format_p_never_rounds_across_alpha():
    assert sentences.format_p(0.0496, 0.05) == "p = 0,0496"
    assert sentences.format_p(0.012, 0.05) == "p = 0,01"
    assert sentences.format_p(0.0004, 0.05) == "p < 0,001"


def test_the_sentences_read_as_before():
    row = pd.Series({"difference": -0.42, "ci_low": -0.8, "ci_high": -0.12, "p_value": 0.0004})
    assert sentences.describe_change(row, item_label="Vernetzung") == (
        "Die Zufriedenheit mit „Vernetzung“ ist gegenüber der Vorwelle um 0,4 Punkte "
        "gesunken (95-%-KI: −0,8 bis −0,1); der Unterschied ist statistisch auffällig "
        "(p < 0,001)."
    )
