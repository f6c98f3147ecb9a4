"""Stage 4, presentation: German number formats and sentences (``present.sentences``),
Markdown and HTML escaping, and the figures (``present.figures``). Nothing here decides
what may be shown; that is :mod:`welcome_eval.publish`.
"""

from __future__ import annotations

import importlib
from types import ModuleType

_SUBMODULES = ("figures", "german_format", "markup", "sentences")

__all__ = [
    "figures",
    "german_format",
    "markup",
    "sentences",
]


def __getattr__(name: str) -> ModuleType:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES})
