"""Stage 5 of the build: publish the staging folder in place of the published
reports, atomically, and repair what a killed build left behind.

(The publishing *gate*, which protects every value shown, is the sub-package
:mod:`welcome_eval.publish`; this module only swaps folders. The output folder is
checked, marked and locked by :mod:`welcome_eval.build.outdir`.)
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from welcome_eval.build import outdir
from welcome_eval.build.cache import CACHE_FILE
from welcome_eval.build.plan import RESEARCH_DIR, ReportJob

__all__ = ["is_published", "looks_like_a_build", "publish", "recover", "staging_dir"]


def staging_dir(out_dir: Path) -> Path:
    """Where a build of ``out_dir`` is written before it is published."""
    return out_dir.with_name(out_dir.name + ".building")


def _retired(out_dir: Path) -> Path:
    return out_dir.with_name(out_dir.name + ".previous")


def looks_like_a_build(folder: Path, *, partial: bool = False) -> bool:
    """A folder written by an earlier version (no marker yet): only pages that say
    they were made by welcome_eval (footer or title) and the content keys, and
    (unless ``partial``, a build killed half-way) the index."""
    files = [f for f in outdir.files_in(folder) if Path(f).name not in outdir.OS_FILES]
    pages = [f for f in files if f.endswith(".html")]
    if not pages or any(f not in pages and f != CACHE_FILE for f in files):
        return False
    if not partial and "index.html" not in pages:
        return False
    signatures = ("welcome_eval", "Willkommen in Südwestfalen")  # report footers, catalogue
    return all(
        any(s in (folder / page).read_text(encoding="utf-8", errors="ignore") for s in signatures)
        for page in pages
    )


def recover(out_dir: Path) -> bool:
    """Repair what a killed build left beside ``out_dir``; return whether the
    published reports had to be restored.

    Killed between the two renames of the fallback publish, ``out_dir`` is
    missing and the complete previous build waits under ``<name>.previous``:
    it is moved back. A left-over staging folder or previous build is deleted
    (only if it is welcome-eval's).
    """
    retired = _retired(out_dir)
    restored = False
    if (
        not out_dir.exists()
        and not out_dir.is_symlink()
        and retired.is_dir()
        and (outdir.is_ours(retired) or looks_like_a_build(retired))
        and any(retired.iterdir())
    ):
        os.rename(retired, out_dir)
        restored = True
    for leftover in (staging_dir(out_dir), retired):
        if leftover.is_dir() and looks_like_a_build(leftover, partial=True):
            shutil.rmtree(leftover)  # left by an earlier version
        else:
            outdir.remove_own(leftover)
    return restored


def is_published(job: ReportJob, out_dir: Path) -> bool:
    """Both editions of the report are in the published build."""
    relative = job.relative_path
    return (out_dir / relative).is_file() and (out_dir / RESEARCH_DIR / relative).is_file()


def publish(staging: Path, out_dir: Path) -> None:
    """Put the freshly built directory in place of the published one.

    Where the system can swap two directories atomically (Linux, macOS), the
    name ``out_dir`` never goes missing: the new build and the old one change
    places in one step, then the old one (now under the staging name) is
    deleted. Elsewhere the old build is renamed to ``<name>.previous`` and the
    new one into place; a build killed between the two renames is repaired by
    :func:`recover` at the start of the next build.
    """
    if not out_dir.exists():
        os.rename(staging, out_dir)
        return
    if outdir.exchange(staging, out_dir):
        shutil.rmtree(staging)  # the previous build, now under the staging name
        return
    retired = _retired(out_dir)
    os.rename(out_dir, retired)
    os.rename(staging, out_dir)
    shutil.rmtree(retired)
