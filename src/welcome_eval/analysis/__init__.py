"""Stage 3, the evaluation's questions, one module per report family.

``regional`` (municipal survey by district and wave), ``newcomers`` (weighted newcomer
survey), ``benchmark`` (peers), ``checklist`` (self-assessment), ``programme``
(participation record, meetings, costs), ``catalogue`` (good examples), ``quality``
(intake, missing data, weights).
"""

from __future__ import annotations

import importlib
from types import ModuleType

_SUBMODULES = (
    "benchmark",
    "catalogue",
    "checklist",
    "newcomers",
    "programme",
    "quality",
    "regional",
)

__all__ = [
    "benchmark",
    "catalogue",
    "checklist",
    "newcomers",
    "programme",
    "quality",
    "regional",
]


def __getattr__(name: str) -> ModuleType:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES})
