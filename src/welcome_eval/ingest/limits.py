"""Limits on what ingest reads, checked before any parser sees the bytes.

A wave manifest, a codebook or a raw export is input from outside the
project: a hand-edited YAML file, a municipality's Excel export. Each limit
here is checked *before* the file is parsed, so a YAML alias bomb, a 200 MB
line or a zip bomb dressed as a workbook ends in one clear error naming the
limit, not in gigabytes of memory.

The defaults are generous for real exports. A research server with larger
files raises a limit with an environment variable, e.g.
``WELCOME_EVAL_MAX_CSV_BYTES=4294967296``; a manifest cannot raise them.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

import yaml

from welcome_eval.errors import WelcomeEvalError

__all__ = [
    "ENV_PREFIX",
    "SAFE_LOADER",
    "LimitError",
    "Limits",
    "check_columns",
    "check_file_size",
    "check_rows",
    "check_xlsx_archive",
    "human_bytes",
    "limits",
    "load_yaml",
    "safe_load_text",
]

#: Prefix of the environment variables that override a limit (upper-case field name).
ENV_PREFIX = "WELCOME_EVAL_"


class LimitError(WelcomeEvalError, ValueError):
    """An input exceeds a limit; the message names the file, the limit and its value."""


@dataclass(frozen=True)
class Limits:
    """Upper bounds for one read. Sizes in bytes unless named otherwise."""

    #: A wave manifest is a few hundred bytes.
    max_manifest_bytes: int = 256 * 1024
    #: Codebooks are some ten kilobytes.
    max_codebook_bytes: int = 4 * 1024 * 1024
    #: YAML nodes a codebook may expand to, counting every alias at its full size.
    max_yaml_nodes: int = 200_000
    max_csv_bytes: int = 2 * 1024**3
    max_xlsx_bytes: int = 256 * 1024**2
    max_sav_bytes: int = 2 * 1024**3
    max_parquet_bytes: int = 2 * 1024**3
    #: One physical line of a CSV file (a record with 4,000 columns of 250 characters).
    max_line_bytes: int = 1024 * 1024
    #: Excel holds at most 32,767 characters in a cell; no export has more.
    max_cell_chars: int = 32_767
    max_columns: int = 4_096
    max_rows: int = 10_000_000
    #: What the parts of an XLSX workbook may expand to, in total.
    max_xlsx_uncompressed_bytes: int = 512 * 1024**2
    #: Uncompressed / compressed size of any part of a workbook (zip-bomb ratio).
    max_xlsx_ratio: int = 100
    max_xlsx_entries: int = 10_000
    #: Characters of a manifest's title.
    max_title_chars: int = 500

    @classmethod
    def from_env(cls) -> Limits:
        """The defaults, each overridden by ``WELCOME_EVAL_<NAME>`` when set."""
        values: dict[str, int] = {}
        for spec in fields(cls):
            name = ENV_PREFIX + spec.name.upper()
            text = os.environ.get(name)
            if text is None:
                continue
            try:
                values[spec.name] = int(text.replace("_", ""))
            except ValueError:
                raise LimitError(f"{name} must be a whole number, got {text!r}") from None
            if values[spec.name] <= 0:
                raise LimitError(f"{name} must be positive, got {text!r}")
        return cls(**values)

    def max_bytes(self, format: str) -> int:
        """The size limit of a raw file in ``format`` (csv, xlsx, sav, parquet)."""
        return int(getattr(self, f"max_{format}_bytes", self.max_csv_bytes))


def limits() -> Limits:
    """The limits in force: defaults and environment overrides."""
    return Limits.from_env()


def human_bytes(size: float) -> str:
    """``2147483648`` -> ``2.0 GiB``."""
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if size < 1024 or unit == "GiB":
            return f"{size:.0f} {unit}" if unit == "bytes" else f"{size:.1f} {unit}"
        size /= 1024
    raise AssertionError("unreachable")  # pragma: no cover


def check_file_size(path: Path, format: str, limit: Limits | None = None) -> int:
    """The file's size; :class:`LimitError` if it exceeds the limit for its format."""
    limit = limit or limits()
    size = path.stat().st_size
    maximum = limit.max_bytes(format)
    if size > maximum:
        raise LimitError(
            f"{path.name}: the file has {human_bytes(size)}, more than the limit "
            f"max_{format}_bytes = {human_bytes(maximum)} "
            f"(raise it with {ENV_PREFIX}MAX_{format.upper()}_BYTES)"
        )
    return size


def check_xlsx_archive(path: Path, limit: Limits | None = None) -> None:
    """Check a workbook's zip directory before any part is decompressed.

    Reads only the central directory: the number of parts, each part's
    uncompressed size and compression ratio, and their total.
    """
    limit = limit or limits()
    try:
        with zipfile.ZipFile(path) as archive:
            entries = archive.infolist()
    except zipfile.BadZipFile:
        raise LimitError(
            f"{path.name}: not a readable Excel workbook (an .xlsx file is a zip archive; "
            "this is not one)"
        ) from None
    if len(entries) > limit.max_xlsx_entries:
        raise LimitError(
            f"{path.name}: the workbook has {len(entries)} parts, more than the limit "
            f"max_xlsx_entries = {limit.max_xlsx_entries}"
        )
    total = 0
    for entry in entries:
        total += entry.file_size
        ratio = entry.file_size / max(entry.compress_size, 1)
        if entry.file_size > 1024 * 1024 and ratio > limit.max_xlsx_ratio:
            raise LimitError(
                f"{path.name}: part {entry.filename} expands {ratio:.0f}-fold "
                f"({human_bytes(entry.compress_size)} to {human_bytes(entry.file_size)}), more "
                f"than the limit max_xlsx_ratio = {limit.max_xlsx_ratio} (a zip bomb?)"
            )
    if total > limit.max_xlsx_uncompressed_bytes:
        raise LimitError(
            f"{path.name}: the workbook expands to {human_bytes(total)}, more than the limit "
            f"max_xlsx_uncompressed_bytes = {human_bytes(limit.max_xlsx_uncompressed_bytes)}"
        )


def check_columns(name: str, count: int, limit: Limits | None = None) -> None:
    limit = limit or limits()
    if count > limit.max_columns:
        raise LimitError(
            f"{name}: the file has {count} columns, more than the limit "
            f"max_columns = {limit.max_columns}"
        )


def check_rows(name: str, count: int, limit: Limits | None = None) -> None:
    limit = limit or limits()
    if count > limit.max_rows:
        raise LimitError(
            f"{name}: the file has {count} rows, more than the limit max_rows = {limit.max_rows}"
        )


# --- YAML --------------------------------------------------------------------


#: libyaml's parser where PyYAML was built with it (the wheels are): the same safe
#: constructor, parsing about ten times faster than the pure-Python one.
SAFE_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def safe_load_text(text: str) -> Any:
    """``yaml.safe_load`` with libyaml's parser when available (:data:`SAFE_LOADER`)."""
    return yaml.load(text, Loader=SAFE_LOADER)


class _NoAliasLoader(yaml.SafeLoader):
    """Safe loader without anchors/aliases and with dates left as text.

    Manifests have no use for aliases (a billion-laughs title expands to
    gigabytes once turned into text), and a date is parsed by the manifest
    code so that an invalid one is reported with its field name.
    """

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise yaml.YAMLError(
                f"aliases (*{event.anchor}) are not allowed here, line {event.start_mark.line + 1}"
            )
        event = self.peek_event()
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            raise yaml.YAMLError(
                f"YAML anchors and aliases (&{anchor}) are not allowed in this file (limit: no "
                f"aliases), line {event.start_mark.line + 1}"
            )
        return super().compose_node(parent, index)


_NoAliasLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _expanded_nodes(node: yaml.Node, memo: dict[int, int], limit: int) -> int:
    """Nodes ``node`` stands for once every alias is expanded (memoised per node)."""
    key = id(node)
    if key in memo:
        return memo[key]
    memo[key] = limit + 1  # a node reached again while counting it is a cycle
    total = 1
    if isinstance(node, yaml.SequenceNode):
        for child in node.value:
            total += _expanded_nodes(child, memo, limit)
            if total > limit:
                break
    elif isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            total += _expanded_nodes(key_node, memo, limit)
            total += _expanded_nodes(value_node, memo, limit)
            if total > limit:
                break
    memo[key] = total
    return total


def load_yaml(
    path: Path,
    *,
    what: str,
    max_bytes: int,
    aliases: bool,
    max_nodes: int = 200_000,
) -> Any:
    """Load a YAML file safely, with its size and its expansion bounded.

    ``what`` names the file kind in errors (``manifest``, ``codebook``). With
    ``aliases=False`` any anchor or alias is refused and dates stay text;
    otherwise aliases are allowed but the document may expand to at most
    ``max_nodes`` nodes. Raises :class:`LimitError` for a limit, ``OSError``
    for an unreadable file and :class:`yaml.YAMLError` for invalid YAML.
    """
    size = path.stat().st_size
    if size > max_bytes:
        raise LimitError(
            f"{path}: the {what} has {human_bytes(size)}, more than the limit "
            f"max_{what}_bytes = {human_bytes(max_bytes)}"
        )
    with open(path, "rb") as handle:
        data = handle.read(max_bytes + 1)
    text = data.decode("utf-8-sig")
    if not aliases:
        return yaml.load(text, Loader=_NoAliasLoader)  # a SafeLoader subclass
    loader = SAFE_LOADER(text)
    try:
        node = loader.get_single_node()
        if node is None:
            return None
        count = _expanded_nodes(node, {}, max_nodes)
        if count > max_nodes:
            raise LimitError(
                f"{path}: the {what} expands to more than {max_nodes} YAML nodes through its "
                f"aliases (limit max_yaml_nodes; an alias bomb?)"
            )
        return loader.construct_document(node)
    finally:
        loader.dispose()
