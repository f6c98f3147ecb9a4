"""Stage 4, presentation: German number formats (``german_format``) and sentences
(``sentences``), the column vocabulary (``vocabulary``), Markdown and HTML escaping
(``markup``) and the figures (``figures``). Nothing here decides what may be shown; that is
:mod:`welcome_eval.publish`, and the report sections that put both together are
:mod:`welcome_eval.sections`.
"""

from __future__ import annotations

from welcome_eval._lazy import attach

_SUBMODULES = (
    "figures",
    "german_format",
    "markup",
    "sentences",
    "vocabulary",
)

__all__ = list(_SUBMODULES)

__getattr__, __dir__ = attach(__name__, _SUBMODULES)
