"""Stage 7, the build: plan the reports, parameterise and execute the notebooks, render
German HTML, publish into the output folder atomically.

One module per step: ``plan`` → ``kernel`` (parameterise, execute) → ``render`` →
``index`` → ``publish``, with ``cache`` (content keys) and ``outdir`` (the output
folder checked, marked, locked); ``reports`` runs them in order (``build``).
"""

from __future__ import annotations

from welcome_eval._lazy import attach

_SUBMODULES = (
    "cache",
    "catalogue_page",
    "index",
    "kernel",
    "outdir",
    "plan",
    "publish",
    "render",
    "reports",
)

__all__ = list(_SUBMODULES)

__getattr__, __dir__ = attach(__name__, _SUBMODULES)
