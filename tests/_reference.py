"""The R reference values: ``tests/reference/<name>.json``, written by the R
script of the same name beside it (``Rscript tests/reference/<name>.R``).

One loader for the whole suite: the ``reference`` fixture in ``conftest.py``
hands it to tests, and modules that parametrise over reference cases at import
time call it directly.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

#: The R scripts, the JSON they wrote and the public data they read.
REFERENCE = Path(__file__).parent / "reference"


def load_reference(name: str) -> Any:
    """The parsed ``tests/reference/<name>.json`` (``name`` without ``.json``).

    Read on every call (the files are small), so a test that changes what it
    got cannot change what another test sees.
    """
    path = REFERENCE / f"{name.removesuffix('.json')}.json"
    if not path.is_file():
        present = ", ".join(sorted(p.stem for p in REFERENCE.glob("*.json")))
        raise FileNotFoundError(
            f"no R reference values {path}: run `Rscript tests/reference/{path.stem}.R` "
            f"from the repository root to write them (present: {present})"
        )
    return json.loads(path.read_text(encoding="utf-8"))
