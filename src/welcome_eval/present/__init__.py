"""Stage 4, presentation: German number formats (``german_format``) and sentences
(``sentences``), the column vocabulary (``vocabulary``), numbered captions and the sections
reports share (``report``, and one ``*_report`` module of sections per report family),
Markdown and HTML escaping (``markup``) and the figures (``figures``). Nothing here decides
what may be shown; that is :mod:`welcome_eval.publish`.
"""

from __future__ import annotations

from welcome_eval._lazy import attach

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

__all__ = list(_SUBMODULES)

__getattr__, __dir__ = attach(__name__, _SUBMODULES)
