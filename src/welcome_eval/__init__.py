"""welcome_eval: evaluation of the regional welcome programme "Willkommen in Südwestfalen".

The sub-packages follow the pipeline, and data flow one way through them:

- ``ingest``: raw exports → validated, pseudonymised tidy waves (:func:`read_wave`)
- ``stats``: Likert summaries, proportions, reliability, comparisons, survey designs
  (``stats.survey``), ordinal drivers (``stats.drivers``)
- ``survival``: register stays, Kaplan–Meier, log-rank, Cox, programme effect
- ``analysis``: the evaluation's questions per report family
- ``present``: German formats, sentences and figures
- ``publish``: disclosure control, redaction and the display gate
- ``sections``: the reports' sections, shown through the gate with numbered captions
- ``build``: plan, execute, render and publish the reports
- ``synth``: the synthetic demo data

Sub-packages load on first use, so ``import welcome_eval`` stays light; the modules most
used in notebooks are reachable directly as well (``we.survey``, ``we.retention``,
``we.figures``, …).
"""

from __future__ import annotations

import importlib

from welcome_eval import _aliases
from welcome_eval._lazy import public_names
from welcome_eval._version import __version__
from welcome_eval.errors import WelcomeEvalError
from welcome_eval.municipalities import municipalities

#: Loaded on first use: the readers import pandas, which a build with nothing
#: changed (and the command line's start) does not need.
_ATTRIBUTES = {
    "Codebook": "welcome_eval.ingest.codebook",
    "Manifest": "welcome_eval.ingest.wave",
    "Wave": "welcome_eval.ingest.wave",
    "read_wave": "welcome_eval.ingest.wave",
}

_aliases.install()

_SUBPACKAGES = (
    "analysis",
    "build",
    "ingest",
    "present",
    "publish",
    "sections",
    "stats",
    "survival",
    "synth",
)

__all__ = [
    "Codebook",
    "Manifest",
    "Wave",
    "WelcomeEvalError",
    "__version__",
    "municipalities",
    "read_wave",
    *_SUBPACKAGES,
]


def __getattr__(name: str) -> object:
    if name in _ATTRIBUTES:
        return getattr(importlib.import_module(_ATTRIBUTES[name]), name)
    if name in _SUBPACKAGES:
        return importlib.import_module(f"welcome_eval.{name}")
    if name in _aliases.MOVED_MODULES:
        return importlib.import_module(_aliases.MOVED_MODULES[name])
    raise AttributeError(f"module 'welcome_eval' has no attribute {name!r}")


def __dir__() -> list[str]:
    # the public API and the modules reachable by their short names (``we.retention``),
    # not the helpers imported to build them
    return sorted({*public_names(__name__), *_aliases.MOVED_MODULES})
