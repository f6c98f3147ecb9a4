"""Sub-modules loaded on first use, so that importing a sub-package stays light (PEP 562)."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Iterable, Mapping
from typing import Any


def attach(
    package: str,
    submodules: Iterable[str],
    *,
    attributes: Mapping[str, str] | None = None,
    moved: Mapping[str, str] | None = None,
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for a package whose sub-modules load on first use.

    ``attributes`` maps further names to the module that defines them (loaded on first
    use as well); ``moved`` does the same for names kept one release after they moved,
    with a DeprecationWarning. Use as ``__getattr__, __dir__ = attach(__name__, _SUBMODULES)``.
    """
    names = tuple(submodules)
    elsewhere = dict(attributes or {})
    old = dict(moved or {})
    namespace = importlib.import_module(package).__dict__

    def __getattr__(name: str) -> Any:
        if name in names:
            return importlib.import_module(f"{package}.{name}")
        if name in elsewhere:
            return getattr(importlib.import_module(elsewhere[name]), name)
        if name in old:
            warnings.warn(
                f"{package}.{name} has moved to {old[name]}.{name}; the old name goes in "
                "the next release.",
                DeprecationWarning,
                stacklevel=2,
            )
            return getattr(importlib.import_module(old[name]), name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__() -> list[str]:
        return sorted({*namespace, *names, *elsewhere})

    return __getattr__, __dir__
