"""The whole synthetic demo data directory, byte for byte reproducible."""

from __future__ import annotations

from pathlib import Path

from welcome_eval.synth.checklist import write_checklist_demo
from welcome_eval.synth.kommunen import write_kommunen_demo
from welcome_eval.synth.newcomers import write_newcomer_demo
from welcome_eval.synth.participation_record import write_participation_record
from welcome_eval.synth.programme import write_programme_demo
from welcome_eval.synth.register import write_register_demo

__all__ = ["write_demo"]


def write_demo(out_dir: str | Path, seed: int = 2018) -> list[Path]:
    """Write the whole demo data directory: participation record, every survey wave and
    the register extract."""
    return [
        write_participation_record(out_dir, seed),
        *write_programme_demo(out_dir, seed),
        *write_kommunen_demo(out_dir, seed),
        *write_newcomer_demo(out_dir, seed),
        write_register_demo(out_dir, seed),
        *write_checklist_demo(out_dir, seed),
    ]
