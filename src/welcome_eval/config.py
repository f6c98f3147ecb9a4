"""Where the project's instruments, demo data and notebooks live.

In a clone (editable install) they sit at the repository root; in a wheel they
are packed into the package. Environment variables override both, so a
research server can point at real data without touching the code.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

__all__ = [
    "DATA_ENV",
    "PSEUDONYM_KEY_ENV",
    "UNUSED_OPTIONAL_IMPORTS",
    "data_dir",
    "demo_data_dir",
    "notebooks_dir",
    "package_data_dir",
    "skip_unused_optional_imports",
    "surveys_dir",
    "templates_dir",
]

_PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_DIR = _PACKAGE_DIR.parent.parent

#: Environment variable naming the directory with real (non-demo) wave data.
DATA_ENV = "WELCOME_EVAL_DATA"
#: Environment variable holding the key for pseudonymising identifiers.
PSEUDONYM_KEY_ENV = "WELCOME_EVAL_PSEUDONYM_KEY"


def _first_existing(*candidates: Path) -> Path:
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[-1]


def package_data_dir() -> Path:
    """Directory with reference data shipped inside the package."""
    return _PACKAGE_DIR / "data"


def surveys_dir() -> Path:
    """Directory holding one sub-directory per survey with its codebook."""
    return _first_existing(_REPO_DIR / "surveys", _PACKAGE_DIR / "surveys")


def demo_data_dir() -> Path:
    """The shipped synthetic demo waves."""
    return _first_existing(_REPO_DIR / "data" / "demo", _PACKAGE_DIR / "demo")


def data_dir() -> Path:
    """Directory with wave data: ``$WELCOME_EVAL_DATA`` or the demo data."""
    configured = os.environ.get(DATA_ENV)
    return Path(configured) if configured else demo_data_dir()


def notebooks_dir() -> Path:
    """Directory with the report notebooks."""
    return _first_existing(_REPO_DIR / "notebooks", _PACKAGE_DIR / "notebooks")


def templates_dir() -> Path:
    """Templates and style sheet of the rendered reports."""
    return _PACKAGE_DIR / "build" / "templates"


#: Optional imports nothing in the build uses and that cost seconds in each process that
#: imports nbconvert or nbformat: jsonschema imports ``rfc3987_syntax`` when it is installed
#: (jupyterlab brings it) and that compiles 39 lark grammars for IRI format checks, 4 s on
#: this machine. Blocked (``sys.modules[name] = None`` makes ``import`` raise ImportError,
#: which jsonschema expects) only in the processes the build owns: its kernels and the
#: ``welcome-eval`` command; a researcher's kernel importing the library keeps them.
UNUSED_OPTIONAL_IMPORTS = ("rfc3987_syntax",)


def skip_unused_optional_imports() -> None:
    """Block :data:`UNUSED_OPTIONAL_IMPORTS` in this process (if not imported already)."""
    for name in UNUSED_OPTIONAL_IMPORTS:
        sys.modules.setdefault(name, None)
