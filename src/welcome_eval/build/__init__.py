"""Stage 6, the build: plan the reports, parameterise and execute the notebooks, render
German HTML, publish into the output folder atomically (``reports``, ``outdir``).
"""

from __future__ import annotations

from welcome_eval._lazy import attach

_SUBMODULES = ("catalogue_page", "outdir", "reports")

__all__ = list(_SUBMODULES)

__getattr__, __dir__ = attach(__name__, _SUBMODULES)
