"""Stage 5, the gate before publication: disclosure control (``disclosure``), one
suppression plan across all reports of a build (``disclosure_plan``), redaction of open
answers (``redaction``, ``privacy``) and the only way to show data in a report (``display``).
"""

from __future__ import annotations

from welcome_eval._lazy import attach
from welcome_eval.publish.display import (
    show_figure,
    show_list,
    show_table,
    show_text,
)
from welcome_eval.publish.privacy import (
    not_personal,
    protect,
    redact_answers,
)

_SUBMODULES = ("disclosure", "disclosure_plan", "display", "privacy", "redaction")

__all__ = [
    "disclosure",
    "disclosure_plan",
    "display",
    "not_personal",
    "privacy",
    "protect",
    "redact_answers",
    "redaction",
    "show_figure",
    "show_list",
    "show_table",
    "show_text",
]

__getattr__, __dir__ = attach(__name__, _SUBMODULES)
