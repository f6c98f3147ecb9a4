"""Stage 4, presentation: German number formats (``german_format``) and sentences
(``sentences``), the column vocabulary (``vocabulary``), numbered captions and the sections
reports share (``report``, and one ``*_report`` module of sections per report family),
Markdown and HTML escaping (``markup``) and the figures (``figures``). Nothing here decides
what may be shown; that is :mod:`welcome_eval.publish`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

_SUBMODULES = (
    "benchmark_report",
    "checklist_report",
    "figures",
    "german_format",
    "markup",
    "programme_report",
    "quality_report",
    "register_report",
    "report",
    "sentences",
    "vocabulary",
)

__all__ = [
    "benchmark_report",
    "checklist_report",
    "figures",
    "german_format",
    "markup",
    "programme_report",
    "quality_report",
    "register_report",
    "report",
    "sentences",
    "vocabulary",
]


def __getattr__(name: str) -> ModuleType:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES})
