"""The flat module names of release 0.1 (``welcome_eval.retention``, ``welcome_eval.figures_map``,
…) as aliases of the modules in the pipeline's sub-packages, kept for one release.

An alias is the same module object, not a copy: ``welcome_eval.retention is
welcome_eval.survival.retention``. Importing one by its old path warns once.
"""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import warnings
from types import ModuleType

#: Old flat module name -> its module in the new layout.
MOVED_MODULES: dict[str, str] = {
    "benchmark": "welcome_eval.analysis.benchmark",
    "catalogue": "welcome_eval.analysis.catalogue",
    "checklist": "welcome_eval.analysis.checklist",
    "codebook": "welcome_eval.ingest.codebook",
    "disclosure": "welcome_eval.publish.disclosure",
    "disclosure_plan": "welcome_eval.publish.disclosure_plan",
    "display": "welcome_eval.publish.display",
    "drivers": "welcome_eval.stats.drivers",
    "figures": "welcome_eval.present.figures",
    "figures_benchmark": "welcome_eval.present.figures.benchmark",
    "figures_checklist": "welcome_eval.present.figures.checklist",
    "figures_drivers": "welcome_eval.present.figures.drivers",
    "figures_map": "welcome_eval.present.figures.map",
    "figures_programme": "welcome_eval.present.figures.programme",
    "figures_quality": "welcome_eval.present.figures.quality",
    "figures_retention": "welcome_eval.present.figures.retention",
    "german_format": "welcome_eval.present.german_format",
    "limits": "welcome_eval.ingest.limits",
    "markup": "welcome_eval.present.markup",
    "newcomers": "welcome_eval.analysis.newcomers",
    "outdir": "welcome_eval.build.outdir",
    "privacy": "welcome_eval.publish.privacy",
    "programme": "welcome_eval.analysis.programme",
    "programme_effect": "welcome_eval.survival.programme_effect",
    "quality": "welcome_eval.analysis.quality",
    "readers": "welcome_eval.ingest.readers",
    "redaction": "welcome_eval.publish.redaction",
    "regional": "welcome_eval.analysis.regional",
    "reports": "welcome_eval.build.reports",
    "retention": "welcome_eval.survival.retention",
    "retention_duckdb": "welcome_eval.survival.retention_duckdb",
    "rules": "welcome_eval.ingest.rules",
    "survey": "welcome_eval.stats.survey",
    "synth_checklist": "welcome_eval.synth.checklist",
    "synth_newcomers": "welcome_eval.synth.newcomers",
    "synth_programme": "welcome_eval.synth.programme",
    "synth_register": "welcome_eval.synth.register",
    "validation": "welcome_eval.ingest.validation",
    "wave": "welcome_eval.ingest.wave",
    "writers": "welcome_eval.ingest.writers",
}

_PREFIX = "welcome_eval."


class _AliasImporter(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Resolves ``welcome_eval.<old name>`` to the moved module itself."""

    def find_spec(self, fullname: str, path: object = None, target: object = None):
        if fullname.startswith(_PREFIX) and fullname[len(_PREFIX) :] in MOVED_MODULES:
            return importlib.machinery.ModuleSpec(fullname, self)
        return None

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType:
        target = MOVED_MODULES[spec.name[len(_PREFIX) :]]
        warnings.warn(
            f"{spec.name} has moved to {target}; the old name goes in the next release.",
            DeprecationWarning,
            stacklevel=3,
        )
        return importlib.import_module(target)

    def exec_module(self, module: ModuleType) -> None:
        """Nothing to run: the module was executed under its new name."""


def install() -> None:
    """Make the old module paths importable (once per interpreter)."""
    if not any(isinstance(finder, _AliasImporter) for finder in sys.meta_path):
        sys.meta_path.append(_AliasImporter())
