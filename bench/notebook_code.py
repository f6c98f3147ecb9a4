"""How much logic the report notebooks hold: code lines, code cells and logic cells.

A *logic cell* is a code cell containing a ``for``/``while`` loop, ``def``, ``class``,
``if`` (statement or expression), ``lambda`` or a rename dict (a dict literal mapping
strings to strings passed to ``rename(...)`` or as ``columns=``). Comprehensions are not
counted. Compares a git revision (default ``5b95c29``, before the presentation layer) with
the working tree::

    .venv/bin/python bench/notebook_code.py [REVISION]
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"


def _is_rename_dict(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Dict)
        and bool(node.keys)
        and all(isinstance(k, ast.Constant) and isinstance(k.value, str) for k in node.keys if k)
        and all(
            isinstance(v, ast.Constant | ast.JoinedStr)
            and (not isinstance(v, ast.Constant) or isinstance(v.value, str))
            for v in node.values
        )
    )


def logic_in(source: str) -> list[str]:
    """The kinds of logic in one code cell (empty: the cell is calls and choices only)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.For | ast.AsyncFor | ast.While):
            found.add("loop")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            found.add("def")
        elif isinstance(node, ast.ClassDef):
            found.add("class")
        elif isinstance(node, ast.If | ast.IfExp):
            found.add("if")
        elif isinstance(node, ast.Lambda):
            found.add("lambda")
        elif isinstance(node, ast.Call):
            named = isinstance(node.func, ast.Attribute) and node.func.attr == "rename"
            candidates = [*node.args] if named else []
            candidates += [k.value for k in node.keywords if k.arg == "columns" or named]
            if any(_is_rename_dict(c) for c in candidates):
                found.add("rename dict")
    return sorted(found)


def kinds(notebook: dict) -> dict[str, int]:
    """Code cells per kind of logic (a cell with several kinds counts under each)."""
    counted: dict[str, int] = {}
    for cell in notebook["cells"]:
        if cell["cell_type"] != "code":
            continue
        source = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        for kind in logic_in(source):
            counted[kind] = counted.get(kind, 0) + 1
    return counted


def measure(notebook: dict) -> dict[str, int]:
    """Code lines (non-empty, not comments), code cells and logic cells of a notebook."""
    cells = [c for c in notebook["cells"] if c["cell_type"] == "code"]
    sources = [
        "".join(c["source"]) if isinstance(c["source"], list) else c["source"] for c in cells
    ]
    lines = sum(
        1
        for s in sources
        for line in s.splitlines()
        if line.strip() and not line.strip().startswith("#")
    )
    return {
        "lines": lines,
        "cells": len(cells),
        "logic": sum(1 for s in sources if logic_in(s)),
    }


def _before(revision: str, name: str) -> dict | None:
    result = subprocess.run(
        ["git", "show", f"{revision}:notebooks/{name}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    return json.loads(result.stdout) if result.returncode == 0 else None


def main(revision: str = "5b95c29") -> None:
    names = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    header = f"{'notebook':<26} {'lines':>13} {'code cells':>13} {'logic cells':>13}"
    print(f"before = {revision}, after = working tree")
    print(header)
    print("-" * len(header))
    totals = {"before": dict.fromkeys(("lines", "cells", "logic"), 0)}
    totals["after"] = dict(totals["before"])
    kinds_before: dict[str, int] = {}
    kinds_after: dict[str, int] = {}
    for name in names:
        old = _before(revision, name)
        for kind, count in (kinds(old) if old else {}).items():
            kinds_before[kind] = kinds_before.get(kind, 0) + count
        new = json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
        for kind, count in kinds(new).items():
            kinds_after[kind] = kinds_after.get(kind, 0) + count
        before = measure(old) if old else {"lines": 0, "cells": 0, "logic": 0}
        after = measure(json.loads((NOTEBOOKS / name).read_text(encoding="utf-8")))
        for key in before:
            totals["before"][key] += before[key]
            totals["after"][key] += after[key]
        print(
            f"{name:<26} "
            + " ".join(f"{before[k]:>6} → {after[k]:<4}" for k in ("lines", "cells", "logic"))
        )
    print("-" * len(header))
    b, a = totals["before"], totals["after"]
    print(
        f"{'total':<26} " + " ".join(f"{b[k]:>6} → {a[k]:<4}" for k in ("lines", "cells", "logic"))
    )

    print()
    print("code cells per kind of logic (before → after):")
    for kind in sorted({*kinds_before, *kinds_after}):
        print(f"  {kind:<12} {kinds_before.get(kind, 0):>4} → {kinds_after.get(kind, 0)}")


if __name__ == "__main__":
    main(*sys.argv[1:2])
