"""The folder tree reads as the pipeline (issue 13, point 1): static checks with ``ast``.

Over every module of ``src/welcome_eval`` (imports inside functions, under
``TYPE_CHECKING`` and ``importlib.import_module("welcome_eval....")`` calls
count as imports too):

- no module uses a private name of another module: an underscore name
  (``from welcome_eval.x import _y``, ``x._y`` on an imported welcome_eval
  module, ``from welcome_eval.stats._common import ...`` from outside ``stats``).
  A private name belongs to the module or package that defines it; modules
  inside that package may use it (``stats.likert`` uses ``stats._common``, every
  module may use the top-level ``_checks``). Dunder names are public.
- data flow one way: ingest → stats → survival → analysis → present → publish →
  build, a sub-package imports only those before it; ``synth`` imports ingest and
  the constants of analysis; the base modules (``errors``, ``config``, ``_checks``,
  ``municipalities``, ``_version``, ``_aliases``) are imported from anywhere and
  import no sub-package; ``cli`` and the package facade ``welcome_eval/__init__``
  sit on top.
- every public module (no underscore in its dotted name) defines ``__all__``.

The known exceptions are listed below, each with its reason. The lists only
shrink: a new violation fails, and so does an entry that no longer occurs.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "welcome_eval"

#: The pipeline, in the order data flow through it.
PIPELINE = ("ingest", "stats", "survival", "analysis", "present", "publish", "sections", "build")
#: Top-level modules every module may import; they import no sub-package.
BASE = {
    "errors",
    "config",
    "_checks",
    "municipalities",
    "_version",
    "_aliases",
    "_lazy",
    "_display",
}
#: Modules on top of everything: the command line and the package facade.
TOP = {"cli", "__init__"}
#: What ``synth`` may import besides the base modules: ingest, and constants of analysis.
SYNTH_MAY_IMPORT = {"ingest": "anything", "analysis": "constants"}

# ---------------------------------------------------------------------------
# The known exceptions. Remove an entry when its edge goes; never add one
# without a reason (and better: move the code instead).

#: (importing module, private name it uses) -> why it is still there.
PRIVATE_NAME_ALLOWED: dict[tuple[str, str], str] = {}

# Reasons shared by several backward edges.
_GERMAN_FORMAT = "tables computed here carry German-formatted numbers; format them in present"

#: (importing module, imported module) -> why the backward edge is still there.
BACKWARD_EDGES_ALLOWED: dict[tuple[str, str], str] = {
    ("welcome_eval.analysis.benchmark", "welcome_eval.present.german_format"): _GERMAN_FORMAT,
    ("welcome_eval.analysis.quality", "welcome_eval.present.german_format"): _GERMAN_FORMAT,
    ("welcome_eval.analysis.regional", "welcome_eval.present.german_format"): _GERMAN_FORMAT,
    ("welcome_eval.survival.programme_effect", "welcome_eval.present.german_format"): (
        _GERMAN_FORMAT
    ),
    ("welcome_eval.analysis.catalogue", "welcome_eval.present.markup"): (
        "safe_href checks the catalogue's links when it is read; a check for ingest or base"
    ),
    ("welcome_eval.synth.checklist", "welcome_eval.analysis.checklist"): (
        "scoring_rule, a function not a constant: the demo checklist is scored as analysis does"
    ),
}

#: Public modules without ``__all__`` -> why (none left; every public module defines one).
NO_ALL_ALLOWED: dict[str, str] = {}


# ---------------------------------------------------------------------------
# Reading the source


@dataclass(frozen=True)
class Import:
    """One import of a welcome_eval module by a welcome_eval module."""

    importer: str  # dotted name of the importing module
    path: Path
    line: int
    module: str  # the imported module (the deepest dotted prefix that is a module)
    names: tuple[str, ...]  # the dotted names used, e.g. ("welcome_eval.stats._common.pool",)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@functools.cache
def sources() -> dict[str, tuple[Path, ast.Module]]:
    found = {}
    for path in sorted((SRC / PACKAGE).rglob("*.py")):
        found[module_name(path)] = (path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return found


@functools.cache
def is_package(name: str) -> bool:
    return (SRC / Path(*name.split(".")) / "__init__.py").is_file()


@functools.cache
def is_module(name: str) -> bool:
    return is_package(name) or (SRC / Path(*name.split("."))).with_suffix(".py").is_file()


@functools.cache
def deepest_module(dotted: str) -> str:
    """The longest prefix of ``dotted`` that is a welcome_eval module."""
    parts = dotted.split(".")
    for end in range(len(parts), 0, -1):
        if is_module(".".join(parts[:end])):
            return ".".join(parts[:end])
    return PACKAGE


def _resolve_relative(importer: str, node: ast.ImportFrom) -> str:
    package = importer if is_package(importer) else importer.rpartition(".")[0]
    base = package.split(".")
    if node.level > 1:
        base = base[: -(node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def _dotted(node: ast.expr) -> list[str] | None:
    """``a.b.c`` as ["a", "b", "c"]; None for anything but names and attributes."""
    attrs = []
    while isinstance(node, ast.Attribute):
        attrs.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(attrs)]
    return None


def imports(name: str) -> list[Import]:
    """Every import of a welcome_eval module in module ``name``, with the names it uses."""
    return imports_in(name, *sources()[name])


def imports_in(name: str, path: Path, tree: ast.Module) -> list[Import]:
    found: list[Import] = []
    bound: dict[str, str] = {}  # local name -> welcome_eval module it is bound to

    def add(line: int, dotted: str) -> None:
        found.append(Import(name, path, line, deepest_module(dotted), (dotted,)))

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != PACKAGE:
                    continue
                add(node.lineno, alias.name)
                if alias.asname:
                    bound[alias.asname] = alias.name
                else:
                    bound[PACKAGE] = PACKAGE
        elif isinstance(node, ast.ImportFrom):
            source = _resolve_relative(name, node) if node.level else (node.module or "")
            if source.split(".")[0] != PACKAGE or source == "__future__":
                continue
            for alias in node.names:
                dotted = f"{source}.{alias.name}" if alias.name != "*" else source
                add(node.lineno, dotted)
                if is_module(dotted):
                    bound[alias.asname or alias.name] = dotted
        elif (
            isinstance(node, ast.Call)
            and _dotted(node.func) in (["importlib", "import_module"], ["import_module"])
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and node.args[0].value.split(".")[0] == PACKAGE
        ):
            add(node.lineno, node.args[0].value)
    # Attribute use on a name bound to a welcome_eval module: ``stats._core.x``
    # (whole chains: ``welcome_eval.stats._core`` after ``import welcome_eval.stats``).
    inner = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Attribute) or id(node) in inner:
            continue
        chain = _dotted(node)
        if chain and chain[0] in bound:
            dotted = ".".join([bound[chain[0]], *chain[1:]])
            found.append(Import(name, path, node.lineno, deepest_module(dotted), (dotted,)))
    return found


def layer(module: str) -> str:
    """The part of the pipeline a module belongs to: a sub-package, "base" or "top"."""
    parts = module.split(".")
    if len(parts) == 1:
        return "top"  # the package facade welcome_eval/__init__
    if parts[1] in BASE:
        return "base"
    if parts[1] in TOP:
        return "top"
    return parts[1]


def private_uses(use: Import) -> list[str]:
    """The private names ``use`` reaches that do not belong to its importer."""
    bad = []
    for dotted in use.names:
        parts = dotted.split(".")
        for index, part in enumerate(parts[1:], start=1):
            if not part.startswith("_") or (part.startswith("__") and part.endswith("__")):
                continue
            owner = ".".join(parts[:index])  # the module or package that defines the name
            if not (use.importer == owner or use.importer.startswith(owner + ".")):
                bad.append(".".join(parts[: index + 1]))
                break
    return bad


def edge_allowed(importer: str, imported: str, use: Import) -> bool:
    """Whether ``importer`` may import ``imported`` (``use``: the names it takes)."""
    source, target = layer(importer), layer(imported)
    if target == "base" or source == "top" or source == target:
        return True
    if source == "base":
        return False
    if source == "synth":
        if SYNTH_MAY_IMPORT.get(target) == "constants":  # UPPER_CASE names, not the module
            return all(n.rpartition(".")[2].isupper() for n in use.names if n != imported)
        return SYNTH_MAY_IMPORT.get(target) == "anything"
    if source in PIPELINE and target in PIPELINE:
        return PIPELINE.index(target) < PIPELINE.index(source)
    return False


# ---------------------------------------------------------------------------
# The checks


@functools.cache
def all_imports() -> list[Import]:
    return [use for name in sources() for use in imports(name)]


def where(use: Import) -> str:
    return f"{use.path.relative_to(SRC.parent)}:{use.line}"


def test_the_source_is_found() -> None:
    assert len(sources()) > 50 and "welcome_eval.stats" in sources()


def test_no_module_uses_a_private_name_of_another() -> None:
    found: dict[tuple[str, str], list[str]] = {}
    for use in all_imports():
        for name in private_uses(use):
            found.setdefault((use.importer, name), []).append(where(use))
    new = {key: places for key, places in found.items() if key not in PRIVATE_NAME_ALLOWED}
    assert not new, "private names of other modules used:\n" + "\n".join(
        f"  {places[0]}: {importer} uses {name}" for (importer, name), places in sorted(new.items())
    )
    gone = sorted(set(PRIVATE_NAME_ALLOWED) - set(found))
    assert not gone, f"no longer used, remove from PRIVATE_NAME_ALLOWED: {gone}"


def test_sub_packages_depend_one_way() -> None:
    found: dict[tuple[str, str], list[str]] = {}
    for use in all_imports():
        if not edge_allowed(use.importer, use.module, use):
            found.setdefault((use.importer, use.module), []).append(where(use))
    new = {key: places for key, places in found.items() if key not in BACKWARD_EDGES_ALLOWED}
    assert not new, "imports against the pipeline's direction:\n" + "\n".join(
        f"  {places[0]}: {importer} ({layer(importer)}) imports {module} ({layer(module)})"
        for (importer, module), places in sorted(new.items())
    )
    gone = sorted(set(BACKWARD_EDGES_ALLOWED) - set(found))
    assert not gone, f"no longer imported, remove from BACKWARD_EDGES_ALLOWED: {gone}"


def defines_all(tree: ast.Module) -> bool:
    for node in tree.body:
        targets = (
            node.targets
            if isinstance(node, ast.Assign)
            else [node.target]
            if isinstance(node, ast.AnnAssign | ast.AugAssign)
            else []
        )
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return True
    return False


def test_every_public_module_defines_all() -> None:
    missing = {
        name: path
        for name, (path, tree) in sources().items()
        if not any(part.startswith("_") for part in name.split(".")) and not defines_all(tree)
    }
    new = {name: path for name, path in missing.items() if name not in NO_ALL_ALLOWED}
    assert not new, "public modules without __all__:\n" + "\n".join(
        f"  {path.relative_to(SRC.parent)}:1: {name}" for name, path in sorted(new.items())
    )
    gone = sorted(set(NO_ALL_ALLOWED) - set(missing))
    assert not gone, f"these define __all__ now, remove from NO_ALL_ALLOWED: {gone}"


@pytest.mark.parametrize(
    ("importer", "imported", "allowed"),
    [
        ("welcome_eval.stats.likert", "welcome_eval.ingest.codebook", True),
        ("welcome_eval.ingest.wave", "welcome_eval.stats.likert", False),
        ("welcome_eval.build.reports", "welcome_eval.publish.display", True),
        ("welcome_eval.publish.display", "welcome_eval.build.reports", False),
        ("welcome_eval.config", "welcome_eval.ingest.wave", False),
        ("welcome_eval.analysis.quality", "welcome_eval._checks", True),
        ("welcome_eval.cli", "welcome_eval.synth.demo", True),
        ("welcome_eval.build.reports", "welcome_eval.synth.demo", False),
        ("welcome_eval.synth.kommunen", "welcome_eval.ingest.wave", True),
        ("welcome_eval.synth.kommunen", "welcome_eval.stats.likert", False),
    ],
)
def test_the_direction_rule(importer: str, imported: str, allowed: bool) -> None:
    use = Import(importer, Path(), 1, imported, (imported,))
    assert edge_allowed(importer, imported, use) is allowed


W = PACKAGE


@pytest.mark.parametrize(
    ("importer", "dotted", "bad"),
    [
        (f"{W}.stats.likert", f"{W}.stats._common.pool", []),
        (f"{W}.analysis.quality", f"{W}.stats._common.pool", [f"{W}.stats._common"]),
        (f"{W}.stats.likert", f"{W}.stats.trends._helper", [f"{W}.stats.trends._helper"]),
        (f"{W}.stats.trends", f"{W}.stats.trends._helper", []),
        (f"{W}.analysis.quality", f"{W}._checks.check_columns", []),
        (f"{W}.analysis.quality", f"{W}.ingest.wave.__all__", []),
    ],
)
def test_the_private_name_rule(importer: str, dotted: str, bad: list[str]) -> None:
    assert private_uses(Import(importer, Path(), 1, deepest_module(dotted), (dotted,))) == bad


def test_imports_are_found_in_functions_attributes_and_import_module() -> None:
    code = """
import importlib
import welcome_eval.stats
from welcome_eval.ingest import wave as w


def f():
    from welcome_eval.publish.display import show_table

    importlib.import_module("welcome_eval.build.reports")
    return welcome_eval.stats._common.x, w._private, show_table
"""
    uses = imports_in(f"{W}.analysis.example", Path("example.py"), ast.parse(code))
    assert {use.module for use in uses} >= {
        f"{W}.stats",
        f"{W}.stats._common",
        f"{W}.ingest.wave",
        f"{W}.publish.display",
        f"{W}.build.reports",
    }
    private = {name for use in uses for name in private_uses(use)}
    assert private == {f"{W}.stats._common", f"{W}.ingest.wave._private"}
    backward = {use.module for use in uses if not edge_allowed(use.importer, use.module, use)}
    assert backward == {f"{W}.publish.display", f"{W}.build.reports"}
