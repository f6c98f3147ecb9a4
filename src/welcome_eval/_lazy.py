"""Sub-modules loaded on first use, so that importing a sub-package stays light (PEP 562)."""

from __future__ import annotations

import importlib
import warnings
from collections.abc import Callable, Iterable, Mapping
from types import ModuleType
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
    with a DeprecationWarning. ``__dir__`` lists the package's ``__all__``, its
    sub-modules and ``attributes`` (not the moved names). Use as
    ``__getattr__, __dir__ = attach(__name__, _SUBMODULES)``.
    """
    names = tuple(submodules)
    elsewhere = dict(attributes or {})
    old = dict(moved or {})

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
        return sorted({*public_names(package), *names, *elsewhere})

    return __getattr__, __dir__


def public_names(package: str) -> list[str]:
    """A package's ``__all__`` and its public sub-modules loaded so far: what tab
    completion offers, not the modules imported to build it (``np``, ``annotations``)."""
    namespace = importlib.import_module(package).__dict__
    listed = namespace.get("__all__", [n for n in namespace if not n.startswith("_")])
    loaded = [
        name
        for name, value in namespace.items()
        if isinstance(value, ModuleType)
        and value.__name__ == f"{package}.{name}"
        and not name.startswith("_")
    ]
    return sorted({*listed, *loaded})


def public_dir(names: Iterable[str]) -> Callable[[], list[str]]:
    """``__dir__`` for a module: its public names, so that tab completion in a notebook
    offers those and not ``np``, ``pd`` or ``dataclass``. Use as
    ``__dir__ = public_dir(__all__)``."""
    listed = sorted(set(names))

    def __dir__() -> list[str]:
        return list(listed)

    return __dir__
