"""Seeded synthetic demo data, byte for byte reproducible: the participation record,
the municipal survey (``kommunen``), the newcomer survey, the register extract, the
checklists and the programme records; :func:`write_demo` writes them all.
"""

from __future__ import annotations

from welcome_eval._lazy import attach
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

__getattr__, __dir__ = attach(__name__, _SUBMODULES)
