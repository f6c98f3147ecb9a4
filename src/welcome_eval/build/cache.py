"""Content keys of the reports, the build cache file beside the index, and the
cache folder beside the output.

A report's key covers what the report really depends on: its notebook and
parameters, its input files and their manifests (every file of the wave
folders it reads), the library modules the notebook imports *transitively*
(found statically with :mod:`ast`, see :class:`CodeGraph`), the modules that
execute and render it (``build.kernel``, ``build.render`` and what they
import), every non-Python file of the package (templates, package data), the
instruments (``surveys/``), the records of the data directory (every file that
is not part of a wave: which family reads which record is not visible
statically, so every key holds all of them), the installed versions of the
packages that shape the output and Python's version. A report whose key is
unchanged since the published build is copied instead of executed.

Keys of published reports are kept in :data:`CACHE_FILE` beside the index. What
the plan learns from reading the waves (:class:`Store`, ``validation/``), the
municipalities taking part on a date (``members/``), the parsed imports of
each module (``imports.json``) and the keys of the index pages (``pages-*.json``)
are kept in :data:`CACHE_DIR` beside the output folder, so that a build with
nothing changed reads no raw file and imports neither pandas nor a kernel.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import json
import os
import shutil
import sys
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from welcome_eval._version import __version__
from welcome_eval.build.plan import RESEARCH_DIR, ReportJob
from welcome_eval.config import surveys_dir

__all__ = [
    "CACHE_DIR",
    "CACHE_FILE",
    "OUTPUT_PACKAGES",
    "PACKAGE",
    "CodeGraph",
    "KeyContext",
    "PlanCache",
    "Store",
    "common_key",
    "data_records",
    "file_digest",
    "installed_version",
    "job_key",
    "notebook_modules",
    "package_versions",
    "read_keys",
    "reuse",
    "write_keys",
]

#: Content keys of the published reports, written beside the index.
CACHE_FILE = ".build-cache.json"
#: Folder beside the output folder with what a build may reuse (never published).
CACHE_DIR = ".build-cache"
#: The library's import name.
PACKAGE = "welcome_eval"
#: Distributions whose version can change what a page shows (numbers, figures, HTML).
OUTPUT_PACKAGES = (
    "duckdb",
    "ipykernel",
    "jinja2",
    "matplotlib",
    "mistune",
    "nbclient",
    "nbconvert",
    "nbformat",
    "numpy",
    "openpyxl",
    "pandas",
    "pandera",
    "papermill",
    "pingouin",
    "pyarrow",
    "pyreadstat",
    "pyyaml",
    "scipy",
    "seaborn",
    "statsmodels",
)
#: Modules that run and render every report (their imports count too).
_RUNNERS = (f"{PACKAGE}.build.kernel", f"{PACKAGE}.build.render")


def file_digest(path: Path) -> str:
    """Hex SHA-256 of a file's bytes (the one place keys read files: tests replace it)."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _digest_files(paths: Iterable[Path], root: Path | None = None) -> str:
    digest = hashlib.sha256()
    for path in sorted(paths):
        name = path.relative_to(root).as_posix() if root else path.name
        digest.update(name.encode() + b"\0" + file_digest(path).encode() + b"\0")
    return digest.hexdigest()


def _hash(*parts: object) -> str:
    return hashlib.sha256(
        json.dumps(parts, sort_keys=True, default=str, ensure_ascii=False).encode()
    ).hexdigest()


def installed_version(distribution: str) -> str:
    """The installed version of ``distribution`` (``"-"`` if it is not installed)."""
    from importlib import metadata

    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "-"


def package_versions() -> dict[str, str]:
    """Python's version and the versions of :data:`OUTPUT_PACKAGES`."""
    return {
        "python": sys.version.split()[0],
        **{name: installed_version(name) for name in OUTPUT_PACKAGES},
    }


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts]


def data_records(data_dir: Path) -> list[Path]:
    """The files of the data directory that belong to no wave (programme records,
    population margins, …)."""
    wave_dirs = {m.parent for m in data_dir.glob("*/*/manifest.yaml")}
    return [p for p in _files(data_dir) if not any(d in p.parents for d in wave_dirs)]


# ---------------------------------------------------------------------------
# The import graph of the package, found statically.


def _alias_map(tree: ast.Module) -> dict[str, str]:
    """Module-level dict literals mapping names to modules of the package (the lazy
    attributes of ``_lazy.attach``, ``_aliases.MOVED_MODULES``)."""
    found: dict[str, str] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Dict):
            pairs = list(zip(node.keys, node.values, strict=True))
            if pairs and all(
                isinstance(k, ast.Constant)
                and isinstance(k.value, str)
                and isinstance(v, ast.Constant)
                and isinstance(v.value, str)
                and v.value.startswith(PACKAGE)
                for k, v in pairs
            ):
                found.update({k.value: v.value for k, v in pairs})  # type: ignore[union-attr]
    return found


def _dotted(node: ast.expr) -> list[str] | None:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        return [node.id, *reversed(parts)]
    return None


def _references(tree: ast.Module, module: str, is_package: bool) -> list[tuple[str, ...]]:
    """What a module's code refers to in the package: dotted chains, each as long as
    the code spells it (``("welcome_eval", "stats", "survey", "design")``); the
    graph decides which prefix is a module."""
    here = module.split(".") if is_package else module.split(".")[:-1]
    bound: dict[str, tuple[str, ...]] = {}
    chains: list[tuple[str, ...]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] != PACKAGE:
                    continue
                chains.append(tuple(alias.name.split(".")))
                name = alias.asname or alias.name.split(".")[0]
                bound[name] = tuple(alias.name.split(".") if alias.asname else [PACKAGE])
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here[: len(here) - node.level + 1] if node.level > 1 else here
                source = [*base, *(node.module.split(".") if node.module else [])]
            else:
                source = (node.module or "").split(".")
            if source[0] != PACKAGE:
                continue
            chains.append(tuple(source))
            for alias in node.names:
                if alias.name == "*":
                    chains.append((*source, "*"))
                    continue
                chains.append((*source, alias.name))
                bound[alias.asname or alias.name] = (*source, alias.name)
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and node.args[0].value.startswith(PACKAGE + ".")
        ):
            chains.append(tuple(node.args[0].value.split(".")))  # import_module("welcome_eval.x")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute):
            dotted = _dotted(node)
            if dotted and dotted[0] in bound:
                chains.append((*bound[dotted[0]], *dotted[1:]))
    return chains


@dataclass
class CodeGraph:
    """The modules of the package at ``root`` and what each imports, found with
    :mod:`ast` (imports anywhere in a module, relative imports, ``import_module``
    with a constant name, lazily loaded sub-modules and attributes, the old module
    names of ``_aliases``, attribute chains such as ``we.stats.survey.design``).

    ``parsed`` may hold earlier results by file digest (see :meth:`Store.imports`),
    so that unchanged modules are not parsed again. When in doubt a module counts
    as imported: the keys may say too much, never too little.
    """

    root: Path
    parsed: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = Path(self.root)
        self.files: dict[str, Path] = {}
        for path in sorted(self.root.rglob("*.py")):
            if "__pycache__" in path.parts:
                continue
            parts = path.relative_to(self.root).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            self.files[".".join((PACKAGE, *parts))] = path
        self.digests = {name: file_digest(path) for name, path in self.files.items()}
        self._info: dict[str, dict[str, Any]] = {}

    def _parse(self, module: str) -> dict[str, Any]:
        if module in self._info:
            return self._info[module]
        digest = self.digests[module]
        info = self.parsed.get(digest)
        if info is None:
            path = self.files[module]
            try:
                tree = ast.parse(path.read_bytes(), filename=str(path))
            except (SyntaxError, ValueError):
                # Unreadable: it may import anything.
                info = {"chains": [[PACKAGE, "*"]], "aliases": {}}
            else:
                is_package = path.name == "__init__.py"
                info = {
                    "chains": [list(c) for c in sorted(set(_references(tree, module, is_package)))],
                    "aliases": _alias_map(tree),
                }
            self.parsed[digest] = info
        self._info[module] = info
        return info

    def _aliases_of(self, package: str) -> dict[str, str]:
        aliases = dict(self._parse(package)["aliases"]) if package in self.files else {}
        if package == PACKAGE and f"{PACKAGE}._aliases" in self.files:
            aliases.update(self._parse(f"{PACKAGE}._aliases")["aliases"])
        return aliases

    def resolve(self, chain: Iterable[str]) -> set[str]:
        """The modules a dotted chain of names reaches (with every package on the way)."""
        parts = list(chain)
        if not parts or parts[0] != PACKAGE:
            return set()
        found = {PACKAGE} if PACKAGE in self.files else set()
        current = PACKAGE
        for name in parts[1:]:
            if name == "*":
                found |= {m for m in self.files if m.startswith(current + ".")}
                break
            candidate = f"{current}.{name}"
            if candidate in self.files:
                current = candidate
            else:
                target = self._aliases_of(current).get(name)
                if target is None:
                    break  # an attribute of the module: it is in already
                found |= self.resolve(target.split("."))
                current = target
                if current not in self.files:
                    break
            found.add(current)
        found |= {".".join(current.split(".")[:i]) for i in range(1, current.count(".") + 1)}
        return {m for m in found if m in self.files}

    def closure(self, modules: Iterable[str]) -> set[str]:
        """``modules`` and every module of the package they import, transitively."""
        todo = [m for m in modules if m in self.files]
        seen: set[str] = set()
        while todo:
            module = todo.pop()
            if module in seen:
                continue
            seen.add(module)
            parents = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
            todo += [p for p in parents if p in self.files and p not in seen]
            for chain in self._parse(module)["chains"]:
                todo += [m for m in self.resolve(chain) if m not in seen]
        return seen

    def key(self, modules: Iterable[str]) -> str:
        """Digest of the source of ``modules`` (module names and file digests)."""
        return _hash(sorted((m, self.digests[m]) for m in modules if m in self.digests))


def _code_cells(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text(encoding="utf-8")).get("cells", [])
    sources = []
    for cell in cells:
        if cell.get("cell_type") == "code":
            source = cell.get("source", "")
            sources.append("".join(source) if isinstance(source, list) else str(source))
    return sources


def notebook_modules(notebook: Path, graph: CodeGraph) -> set[str]:
    """The package's modules a notebook's code cells import, transitively; every
    module if a cell cannot be parsed."""
    lines: list[str] = []
    for source in _code_cells(notebook):
        # IPython magics and shell lines are not Python; they import nothing of ours.
        lines += [
            "" if line.lstrip().startswith(("%", "!")) else line for line in source.split("\n")
        ]
    try:
        # One module: a name bound in one cell is used in later ones.
        tree = ast.parse("\n".join(lines))
    except SyntaxError:
        return set(graph.files)
    chains = _references(tree, "__notebook__", False)
    direct = set().union(*(graph.resolve(c) for c in chains)) if chains else set()
    return graph.closure(direct)


# ---------------------------------------------------------------------------
# Keys.


@functools.cache
def _package_root() -> Path:
    return Path(__file__).resolve().parent.parent


@dataclass
class KeyContext:
    """What every key of one build shares: computed once per build."""

    graph: CodeGraph
    common: str
    #: The digests ``common`` is made of, by name (for the plan's cache).
    parts: dict[str, Any] = field(default_factory=dict)
    notebooks: dict[Path, str] = field(default_factory=dict)
    waves: dict[Path, str] = field(default_factory=dict)

    def notebook_key(self, notebook: Path) -> str:
        if notebook not in self.notebooks:
            modules = notebook_modules(notebook, self.graph) | self.graph.closure(_RUNNERS)
            self.notebooks[notebook] = _hash(file_digest(notebook), self.graph.key(modules))
        return self.notebooks[notebook]

    def wave_key(self, manifest: Path) -> str:
        if manifest not in self.waves:
            self.waves[manifest] = _digest_files(_files(manifest.parent), manifest.parent)
        return self.waves[manifest]


def common_key(
    data_dir: Path,
    *,
    root: Path | None = None,
    parsed: dict[str, dict[str, Any]] | None = None,
) -> KeyContext:
    """What every report depends on besides its notebook and waves: the package's
    non-Python files (templates, package data), the instruments, the records of the
    data directory, the versions of :func:`package_versions`; with the import graph
    of the package at ``root`` (default: this package) for the per-report keys."""
    package = Path(root) if root is not None else _package_root()
    graph = CodeGraph(package, parsed if parsed is not None else {})
    assets = [p for p in _files(package) if p.suffix != ".py"]
    data_dir = Path(data_dir)
    parts = {
        "version": __version__,
        "assets": _digest_files(assets, package),
        "instruments": _digest_files(_files(surveys_dir()), surveys_dir()),
        "records": _digest_files(data_records(data_dir), data_dir),
        "packages": package_versions(),
        # A fixed build date is part of the page; today's date is not a reason to rebuild.
        "date": os.environ.get("SOURCE_DATE_EPOCH", ""),
        # Settings such as the file-size limits decide what a wave reads as.
        "settings": sorted((k, v) for k, v in os.environ.items() if k.startswith("WELCOME_EVAL_")),
    }
    return KeyContext(graph, _hash(parts), parts)


def job_key(job: ReportJob, context: KeyContext) -> str:
    """Content key of one report: :func:`common_key`, the notebook with the modules it
    imports, its parameters and every file of the waves it reads."""
    return _hash(
        context.common,
        job.kind,
        job.title,
        context.notebook_key(job.notebook),
        job.parameters,
        job.inputs,
        [context.wave_key(Path(m)) for m in job.sources],
    )


# ---------------------------------------------------------------------------
# The cache file beside the index.


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
    return previous if isinstance(previous, dict) else {}


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
        try:
            # Published pages are replaced, never changed in place: a link is a safe copy.
            os.link(source, target)
        except OSError:
            shutil.copy2(source, target)
    return True


# ---------------------------------------------------------------------------
# The cache folder beside the output.


class Store:
    """JSON entries in :data:`CACHE_DIR` beside an output folder.

    Each entry is one file named by its key and written atomically, so builds of
    different output folders may share the folder. Anything unreadable is a miss;
    a folder that cannot be written (or is not welcome-eval's) disables the cache.
    """

    def __init__(self, out_dir: Path, *, enabled: bool = True) -> None:
        self.folder = Path(out_dir).parent / CACHE_DIR
        self.enabled = enabled and self._usable()

    def _usable(self) -> bool:
        from welcome_eval.build import outdir

        try:
            if not self.folder.exists():
                self.folder.mkdir(parents=True)
                outdir.write_marker(self.folder, [], command="build (Zwischenspeicher / cache)")
            return outdir.is_ours(self.folder) and os.access(self.folder, os.W_OK)
        except OSError:
            return False

    def _path(self, kind: str, key: str) -> Path:
        return self.folder / kind / f"{key}.json"

    def get(self, kind: str, key: str) -> Any:
        """The entry ``kind/key`` or ``None``."""
        if not self.enabled:
            return None
        try:
            return json.loads(self._path(kind, key).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def put(self, kind: str, key: str, value: Any) -> None:
        """Store ``value`` (JSON) as ``kind/key``; a failure only costs the cache."""
        if not self.enabled:
            return
        path = self._path(kind, key)
        partial = path.with_name(f"{path.name}.{os.getpid()}.writing")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            partial.write_text(json.dumps(value, sort_keys=True, default=str), encoding="utf-8")
            os.replace(partial, path)
        except OSError:
            partial.unlink(missing_ok=True)

    def imports(self) -> dict[str, dict[str, Any]]:
        """The parsed imports of modules, by file digest (see :class:`CodeGraph`)."""
        found = self.get("imports", f"{__version__}-{_LAYOUT}")
        return found if isinstance(found, dict) else {}

    def remember_imports(self, parsed: Mapping[str, dict[str, Any]]) -> None:
        """Keep the parsed imports of modules (by file digest)."""
        self.put("imports", f"{__version__}-{_LAYOUT}", dict(parsed))


#: Version of the layout of the entries below; a new layout ignores old entries.
_LAYOUT = 1


class PlanCache:
    """What :func:`~welcome_eval.build.plan.plan` learned from reading the waves and
    the participation record, kept in a :class:`Store`.

    A wave's entry is found by the digest of its manifest, the ingest code (the
    modules :func:`~welcome_eval.ingest.wave.read_wave` imports, transitively), the
    instruments (codebooks), the settings and the package version; it is used only
    if every file it was read from (raw file, syntax file) still has the digest it
    had. Only waves that were read successfully are kept.
    """

    def __init__(self, store: Store, context: KeyContext) -> None:
        self.store = store
        graph = context.graph
        self._ingest = graph.key(graph.closure([f"{PACKAGE}.ingest.wave"]))
        self._programme = graph.key(graph.closure([f"{PACKAGE}.analysis.programme"]))
        self._parts = context.parts

    def _wave_key(self, manifest: Path) -> str:
        return _hash(
            _LAYOUT,
            self._ingest,
            self._parts.get("version"),
            self._parts.get("instruments"),
            self._parts.get("settings"),
            file_digest(manifest),
        )

    def wave(self, manifest: Path) -> dict[str, Any] | None:
        """The plan's summary of the wave of ``manifest`` if nothing it was read from
        changed, else ``None``."""
        entry = self.store.get("validation", self._wave_key(manifest))
        if not isinstance(entry, dict) or not isinstance(entry.get("files"), dict):
            return None
        try:
            for name, digest in entry["files"].items():
                path = manifest.parent / name
                if Path(name).name != name or not path.is_file() or file_digest(path) != digest:
                    return None
        except OSError:
            return None
        return entry.get("wave")

    def remember_wave(self, manifest: Path, files: Iterable[Path], summary: dict[str, Any]) -> None:
        """Keep the summary of a wave read successfully from ``files``."""
        self.store.put(
            "validation",
            self._wave_key(manifest),
            {"files": {p.name: file_digest(p) for p in files}, "wave": summary},
        )

    def _members_key(self, dates: Iterable[str]) -> str:
        parts = self._parts
        return _hash(
            _LAYOUT,
            self._programme,
            [parts.get(k) for k in ("version", "assets", "instruments", "records", "settings")],
            sorted(dates),
        )

    def members(self, dates: Iterable[str]) -> dict[str, list[list[str]]] | None:
        """The municipalities taking part on each date (ISO), if nothing changed."""
        found = self.store.get("members", self._members_key(list(dates)))
        return found if isinstance(found, dict) else None

    def remember_members(self, members: Mapping[str, list[list[str]]]) -> None:
        """Keep the municipalities taking part on each date."""
        self.store.put("members", self._members_key(list(members)), dict(members))
