"""Stage 6, the reports' sections: what a notebook cell calls to show one part of a report.

Each section takes the analysis' tidy results, passes them through the gate
(:mod:`welcome_eval.publish`) and shows them with German headers and numbered captions
(:mod:`welcome_eval.present`). ``report`` holds the :class:`~welcome_eval.sections.report.Report`
(captions numbered by the report) and the sections several reports share (results by
district, data basis, the interactive manifest discovery); one ``*_report`` module per
report family holds the rest.
"""

from __future__ import annotations

from welcome_eval._lazy import attach

_SUBMODULES = (
    "benchmark_report",
    "checklist_report",
    "parameters",
    "programme_report",
    "quality_report",
    "register_report",
    "report",
)

__all__ = list(_SUBMODULES)

__getattr__, __dir__ = attach(__name__, _SUBMODULES)
