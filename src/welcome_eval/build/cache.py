"""Content keys of the reports and the build cache file beside the index.

A report's key covers its notebook, parameters and input files, the library
code and templates, the instruments and the programme records; a report whose
key is unchanged since the published build is copied instead of executed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from welcome_eval._version import __version__
from welcome_eval.build.plan import RESEARCH_DIR, ReportJob
from welcome_eval.config import surveys_dir
from welcome_eval.ingest.wave import find_manifests

__all__ = ["CACHE_FILE", "common_key", "job_key", "read_keys", "reuse", "write_keys"]

#: Content keys of the published reports, written beside the index.
CACHE_FILE = ".build-cache.json"


def _digest_files(paths: Iterable[Path], root: Path | None = None) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        name = path.relative_to(root).as_posix() if root else path.name
        digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def common_key(data_dir: Path) -> str:
    """Everything every report depends on besides its own waves: the library
    code and templates, the instruments, the programme records and other files
    of the data directory that are not wave files."""
    package = Path(__file__).resolve().parent.parent
    code = [p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts]
    instruments = [p for p in surveys_dir().rglob("*") if p.is_file()]
    wave_dirs = {m.parent for m in find_manifests(data_dir)}
    records = [p for p in data_dir.rglob("*") if p.is_file() and p.parent not in wave_dirs]
    parts = [
        __version__,
        _digest_files(code, package),
        _digest_files(instruments, surveys_dir()),
        _digest_files(records, data_dir),
        # A fixed build date is part of the page; today's date is not a reason to rebuild.
        os.environ.get("SOURCE_DATE_EPOCH", ""),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def job_key(job: ReportJob, common: str) -> str:
    """Content key of one report: the notebook, its parameters, its input files
    (manifests and raw files) and :func:`common_key`."""
    manifests = [job.parameters.get("manifest"), *job.parameters.get("previous_manifests", [])]
    parts = [
        common,
        job.kind,
        job.title,
        hashlib.sha256(job.notebook.read_bytes()).hexdigest(),
        json.dumps(job.parameters, sort_keys=True, default=str),
        json.dumps(job.inputs),
        *(hashlib.sha256(Path(m).read_bytes()).hexdigest() for m in manifests if m),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


def read_keys(out_dir: Path) -> dict[str, str]:
    """The content keys of the published build in ``out_dir`` (none if it has no
    cache file or a damaged one)."""
    cache_path = out_dir / CACHE_FILE
    previous: dict[str, str] = {}
    if cache_path.is_file():
        try:
            previous = json.loads(cache_path.read_text(encoding="utf-8"))
        except ValueError:
            previous = {}  # a damaged cache only costs a full build
    return previous


def write_keys(folder: Path, keys: Mapping[str, str]) -> None:
    """Write the content keys of a build into ``folder`` (beside its index)."""
    (folder / CACHE_FILE).write_text(
        json.dumps(keys, indent=1, sort_keys=True) + "\n", encoding="utf-8"
    )


def reuse(job: ReportJob, key: str, out_dir: Path, staging: Path, keys: Mapping) -> bool:
    """Copy a published report (both editions) whose content key is unchanged."""
    relative = job.relative_path
    sources = [out_dir / relative, out_dir / RESEARCH_DIR / relative]
    if keys.get(relative.as_posix()) != key or not all(p.is_file() for p in sources):
        return False
    for source, target in zip(
        sources, [staging / relative, staging / RESEARCH_DIR / relative], strict=True
    ):
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
    return True
