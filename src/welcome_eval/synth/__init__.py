"""Seeded synthetic demo data, byte for byte reproducible: the participation record,
the municipal survey (``kommunen``), the newcomer survey, the register extract, the
checklists and the programme records; :func:`write_demo` writes them all.
"""

from __future__ import annotations

import importlib
from types import ModuleType

from welcome_eval.synth.demo import (
    write_demo,
)
from welcome_eval.synth.kommunen import (
    PLANTED_PERSONAL_DATA,
    WAVES,
    kommunen_wave,
    write_kommunen_demo,
)
from welcome_eval.synth.participation_record import (
    participation,
    write_participation_record,
)

_SUBMODULES = (
    "checklist",
    "demo",
    "kommunen",
    "newcomers",
    "participation_record",
    "programme",
    "register",
)

__all__ = [
    "PLANTED_PERSONAL_DATA",
    "WAVES",
    "checklist",
    "demo",
    "kommunen",
    "kommunen_wave",
    "newcomers",
    "participation",
    "programme",
    "register",
    "write_demo",
    "write_kommunen_demo",
    "write_participation_record",
]


def __getattr__(name: str) -> ModuleType:
    if name in _SUBMODULES:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted({*globals(), *_SUBMODULES})
