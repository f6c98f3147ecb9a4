"""Stage 3, the evaluation's questions, one module per report family.

``regional`` (municipal survey by district and wave), ``newcomers`` (weighted newcomer
survey), ``benchmark`` (peers), ``checklist`` (self-assessment), ``programme``
(participation record, meetings, costs), ``catalogue`` (good examples), ``quality``
(intake, missing data, weights).
"""

from __future__ import annotations

from welcome_eval._lazy import attach

_SUBMODULES = (
    "benchmark",
    "catalogue",
    "checklist",
    "newcomers",
    "programme",
    "quality",
    "regional",
)

__all__ = list(_SUBMODULES)

__getattr__, __dir__ = attach(__name__, _SUBMODULES)
