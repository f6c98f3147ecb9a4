"""Output folders that are safe to write: ``build --out`` and ``validate --out``.

welcome-eval writes only into a folder it created itself or one that holds its
marker file (:data:`MARKER`, a short explanation and the list of files
welcome-eval wrote there). It refuses a path that is a file, the working
directory, the home folder, the filesystem root and any folder that contains
the working directory, the project or the data; and a folder with content but
without the marker. It deletes only files it wrote itself. A lock file next to
the output folder (``.<name>.lock``, removed when the writer finishes) keeps
two processes from writing the same output at once.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import os
import shutil
import sys
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from welcome_eval.errors import WelcomeEvalError

try:  # POSIX
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "MARKER",
    "OS_FILES",
    "TEMP_PREFIX",
    "OutputBusy",
    "OutputError",
    "check_target",
    "claim",
    "exchange",
    "files_in",
    "is_ours",
    "locked",
    "marker_text",
    "recorded_files",
    "remove_own",
    "write_marker",
]

#: Name of the marker file in every folder welcome-eval writes.
MARKER = ".welcome-eval-output"
#: Files an operating system drops into folders people look at; never "foreign".
OS_FILES = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
#: Prefix of welcome-eval's temporary folders inside an output folder.
TEMP_PREFIX = ".welcome-eval-tmp-"
_FILES_HEADER = "Von welcome-eval geschriebene Dateien / files written by welcome-eval:"
_EXPLANATION = """\
Ausgabeordner von welcome-eval / output folder of welcome-eval

Dieser Ordner wird von `welcome-eval {command}` geschrieben. welcome-eval ersetzt
und löscht hier nur die unten aufgeführten Dateien, die es selbst geschrieben hat;
liegen andere Dateien hier, bricht `welcome-eval build` ab, statt sie zu löschen.
Bitte diese Datei nicht löschen: ohne sie schreibt welcome-eval nicht mehr in einen
Ordner mit Inhalt.

This folder is written by `welcome-eval {command}`. welcome-eval replaces and deletes
here only the files listed below, which it wrote itself; if other files are here,
`welcome-eval build` stops instead of deleting them. Please keep this file: without
it welcome-eval does not write into a folder that has content.

"""


class OutputError(WelcomeEvalError, RuntimeError):
    """The output folder is not safe to write; the message names it and says why."""


class OutputBusy(OutputError):
    """Another welcome-eval process is writing the same output folder."""


def marker_text(files: Iterable[str], command: str = "build") -> str:
    """The marker file's content: the explanation and the files welcome-eval wrote."""
    listed = "\n".join(sorted(set(files)))
    return _EXPLANATION.format(command=command) + _FILES_HEADER + "\n" + listed + "\n"


def write_marker(folder: Path, files: Iterable[str], command: str = "build") -> None:
    """Write (atomically) the marker of ``folder`` listing ``files`` (relative, POSIX)."""
    path = folder / MARKER
    partial = folder / (MARKER + ".writing")
    partial.write_text(marker_text(files, command), encoding="utf-8")
    os.replace(partial, path)


def recorded_files(folder: Path) -> set[str] | None:
    """The files the marker of ``folder`` says welcome-eval wrote; ``None`` without marker."""
    path = folder / MARKER
    if not path.is_file():
        return None
    lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    if _FILES_HEADER not in lines:
        return set()
    return {line for line in lines[lines.index(_FILES_HEADER) + 1 :] if line.strip()}


def files_in(folder: Path) -> list[str]:
    """Every file (and symbolic link) below ``folder``, relative and in POSIX form."""
    found = []
    for root, dirs, names in os.walk(folder):
        base = Path(root)
        for name in names + [d for d in dirs if (base / d).is_symlink()]:
            found.append((base / name).relative_to(folder).as_posix())
    return sorted(found)


def is_ours(folder: Path) -> bool:
    """``folder`` carries the marker, or holds no file at all (nothing to lose)."""
    return (folder / MARKER).is_file() or (folder.is_dir() and not files_in(folder))


def claim(
    folder: Path, *, legacy: Callable[[Path], bool] | None = None
) -> tuple[set[str], list[str]]:
    """What welcome-eval may replace in ``folder``, and what it must leave alone.

    Returns the files welcome-eval wrote there (from the marker; every file for
    an output written by an earlier version, recognised by ``legacy``) and the
    other ("foreign") files. Raises :class:`OutputError` when the folder has
    content but neither the marker nor the look of an earlier output.
    """
    if not folder.exists():
        return set(), []
    present = [
        f
        for f in files_in(folder)
        if f != MARKER and Path(f).name not in OS_FILES and not f.startswith(TEMP_PREFIX)
    ]
    recorded = recorded_files(folder)
    if recorded is None:
        if not files_in(folder):
            return set(), []
        if legacy is not None and legacy(folder):
            return set(present), []
        raise OutputError(
            f"{folder} enthält Dateien, die nicht von welcome-eval stammen "
            f"(z. B. {', '.join(present[:3]) or 'leere Ordner'}), und keine Markierungsdatei "
            f"{MARKER}; welcome-eval schreibt dort nicht, um nichts zu löschen. Bitte einen "
            f"neuen oder leeren Ordner angeben. / {folder} holds files welcome-eval did not "
            f"write and no {MARKER} marker; refusing to write there (choose a new or empty "
            "folder)."
        )
    return recorded, [f for f in present if f not in recorded]


def _contains(outer: Path, inner: Path) -> bool:
    return inner == outer or outer in inner.parents


def _home() -> Path:
    try:
        return Path.home().resolve()
    except (RuntimeError, KeyError):  # no home directory known: the root stands in
        return Path("/")


def check_target(path: str | Path, *, protect: Iterable[str | Path] = ()) -> Path:
    """Resolve an ``--out`` path and refuse the ones welcome-eval must never write.

    Refused (:class:`OutputError`, the message names the folder): a path that
    exists and is not a folder; the filesystem root, the home folder, the
    working directory or any folder containing it; any folder containing the
    project (package, notebooks, instruments, demo data), the data directory or
    one of ``protect``.
    """
    from welcome_eval import config

    given = Path(path)
    resolved = given.expanduser().resolve()
    if resolved.exists() and not resolved.is_dir():
        raise OutputError(
            f"--out {given}: das ist eine Datei, kein Ordner; sie bleibt unverändert. / "
            "this is a file, not a folder; it is left unchanged."
        )
    reasons = [
        (Path.cwd().resolve(), "das Arbeitsverzeichnis / the working directory"),
        (_home(), "den Home-Ordner / the home folder"),
        (Path(__file__).resolve().parent.parent, "das Projekt / the project"),
        (config.notebooks_dir().resolve(), "das Projekt / the project"),
        (config.surveys_dir().resolve(), "das Projekt / the project"),
        (config.demo_data_dir().resolve(), "die Daten / the data"),
        (config.data_dir().resolve(), "die Daten / the data"),
        *((Path(p).resolve(), "die Daten / the data") for p in protect),
    ]
    if resolved == Path(resolved.anchor):
        raise OutputError(f"--out {given}: das Wurzelverzeichnis / the filesystem root: refused")
    for inner, what in reasons:
        if _contains(resolved, inner):
            raise OutputError(
                f"--out {given} ({resolved}) ist oder enthält {what}; welcome-eval schreibt "
                "Berichte nur in einen eigenen Ordner (z. B. reports). / is or contains "
                f"{what.split(' / ')[1]}: refused."
            )
    return resolved


@contextlib.contextmanager
def locked(target: Path) -> Iterator[Path]:
    """Hold the lock of output folder ``target`` (``.<name>.lock`` beside it).

    Raises :class:`OutputBusy` at once if another process holds it. The lock is
    the operating system's (``flock``), so a killed process leaves no stale
    lock; the file is removed when the holder finishes.
    """
    path = target.with_name(f".{target.name}.lock")
    while True:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise OutputError(
                f"--out {target}: kann nicht angelegt werden / cannot be created "
                f"({exc.strerror or exc})"
            ) from exc
        try:
            _lock(fd)
        except OSError as exc:
            holder = os.read(fd, 64).decode(errors="replace").strip() or "?"
            os.close(fd)
            raise OutputBusy(
                f"Ein anderer welcome-eval-Lauf (Prozess {holder}) schreibt gerade nach "
                f"{target}; bitte warten, bis er fertig ist. / Another welcome-eval run "
                f"(process {holder}) is writing to {target}; try again when it has finished."
            ) from exc
        try:  # the previous holder may have removed the file between open and lock
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)
    try:
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield path
    finally:
        with contextlib.suppress(OSError):
            path.unlink()
        os.close(fd)


def _lock(fd: int) -> None:
    if fcntl is not None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    else:  # pragma: no cover - Windows
        import msvcrt

        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)


def exchange(first: Path, second: Path) -> bool:
    """Swap two directories in one atomic step (Linux ``renameat2(RENAME_EXCHANGE)``,
    macOS ``renamex_np(RENAME_SWAP)``): at no instant is either name missing.

    Returns ``False`` where the system or filesystem cannot, so the caller can
    fall back to two renames.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        if sys.platform.startswith("linux"):
            function = libc.renameat2
            at_fdcwd, rename_exchange = -100, 2
            result = function(
                at_fdcwd, os.fsencode(first), at_fdcwd, os.fsencode(second), rename_exchange
            )
        elif sys.platform == "darwin":
            function = libc.renamex_np
            result = function(os.fsencode(first), os.fsencode(second), 2)  # RENAME_SWAP
        else:
            return False
    except (AttributeError, OSError):
        return False
    if result == 0:
        return True
    error = ctypes.get_errno()
    unsupported = {errno.EINVAL, errno.ENOSYS, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV}
    if error in unsupported:
        return False
    raise OSError(error, os.strerror(error), str(first), None, str(second))


def remove_own(folder: Path) -> None:
    """Delete ``folder`` if it is welcome-eval's (marker, or empty); else refuse."""
    if not folder.exists() and not folder.is_symlink():
        return
    if folder.is_symlink() or not folder.is_dir() or not is_ours(folder):
        raise OutputError(
            f"{folder} ist nicht von welcome-eval (keine Markierungsdatei {MARKER}) und wird "
            f"nicht gelöscht; bitte umbenennen. / {folder} is not welcome-eval's (no {MARKER}); "
            "not deleting it, please rename it."
        )
    shutil.rmtree(folder)
