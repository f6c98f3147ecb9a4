"""Stage 1, ingest: read a raw export, map it to its codebook, validate it row by row,
pseudonymise identifiers and hand on a tidy :class:`Wave`.

Modules: ``codebook`` (instruments), ``readers`` (CSV, XLSX, SPSS), ``rules`` (the codebook's
rule language), ``limits`` (sizes checked before parsing), ``validation``, ``pseudonym``,
``wave`` (the pipeline) and ``writers`` (exports back to CSV, XLSX, SPSS).
"""

from __future__ import annotations

from welcome_eval._lazy import attach
from welcome_eval.ingest.codebook import (
    Codebook,
    CodebookError,
    Item,
)
from welcome_eval.ingest.pseudonym import (
    pseudonymise,
)
from welcome_eval.ingest.wave import (
    Manifest,
    Wave,
    find_manifests,
    read_wave,
)

_SUBMODULES = (
    "codebook",
    "limits",
    "pseudonym",
    "readers",
    "rules",
    "validation",
    "wave",
    "writers",
)

__all__ = [
    "Codebook",
    "CodebookError",
    "Item",
    "Manifest",
    "Wave",
    "codebook",
    "find_manifests",
    "limits",
    "pseudonym",
    "pseudonymise",
    "read_wave",
    "readers",
    "rules",
    "validation",
    "wave",
    "writers",
]

__getattr__, __dir__ = attach(__name__, _SUBMODULES)
