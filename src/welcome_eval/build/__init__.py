"""Stage 6, the build: plan the reports, parameterise and execute the notebooks, render
German HTML, publish into the output folder atomically (``reports``, ``outdir``).
"""

from __future__ import annotations

import importlib
from types import ModuleType

_SUBMODULES = ("catalogue_page", "outdir", "reports")

__all__ = [
    "catalogue_page",
    "outdir",
    "reports",
]


def __getattr__(name: str) -> ModuleType:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES})
