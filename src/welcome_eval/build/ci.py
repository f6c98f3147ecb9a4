"""The entry point for a data repository's CI: ``welcome-eval ci``.

When a new wave lands, the pipeline runs one command. It

1. validates every wave of the data directory (all of them, so that the summary
   names every bad wave, not only the first);
2. stops with exit code 2 if a wave cannot be read: nothing is built, the last
   published reports stay as they are, byte for byte;
3. builds what changed (:func:`welcome_eval.build.reports.build`: reports whose
   content key is unchanged are reused) and publishes atomically;
4. writes a short Markdown summary — new or changed waves, rows accepted /
   flagged / quarantined per wave with the rules, reports rebuilt and reused,
   time — to standard output and to a file a CI system shows (GitHub's
   ``$GITHUB_STEP_SUMMARY``, or ``ci-summary.md`` beside the reports as a
   GitLab artifact).

Exit codes: 0 built; 1 built, but rows were quarantined and ``strict`` was asked
for; 2 a bad wave or a failed report: nothing published.

Which waves are new or changed is told by a small state file beside the output
folder (``<out>.ci-state.json``: survey, wave and sha256 of each raw file at the
last published build).
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from welcome_eval.build.plan import BuildError
from welcome_eval.config import data_dir as default_data_dir
from welcome_eval.ingest.wave import find_manifests, read_wave
from welcome_eval.present.markup import md_escape

__all__ = [
    "CI_BAD_WAVE",
    "CI_BUILT",
    "CI_QUARANTINED",
    "CiResult",
    "WaveCheck",
    "run_ci",
    "state_path",
    "summary_markdown",
]

CI_BUILT = 0
CI_QUARANTINED = 1
CI_BAD_WAVE = 2

#: Reports listed by name in the summary before "… and N more".
SHOWN_REPORTS = 15


@dataclass
class WaveCheck:
    """One wave as the CI run found it."""

    survey: str
    wave: str
    manifest: str
    #: ``neu``, ``geändert`` or ``unverändert`` (against the last published build).
    change: str
    sha256: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    #: Rule -> rows it quarantined (errors) or flagged (warnings).
    quarantined_by: dict[str, int] = field(default_factory=dict)
    flagged_by: dict[str, int] = field(default_factory=dict)
    #: Why the wave cannot be read (then nothing is built).
    error: str | None = None


@dataclass
class CiResult:
    """What ``welcome-eval ci`` did; :attr:`exit_code` is what the pipeline acts on."""

    exit_code: int
    waves: list[WaveCheck]
    rebuilt: list[str] = field(default_factory=list)
    reused: list[str] = field(default_factory=list)
    seconds: float = 0.0
    out_dir: Path | None = None
    message: str | None = None
    strict: bool = False

    @property
    def summary(self) -> str:
        """The Markdown summary."""
        return summary_markdown(self)


def state_path(out_dir: str | Path) -> Path:
    """Where the CI keeps the waves of the last published build (beside the output)."""
    out = Path(out_dir).resolve()
    return out.with_name(out.name + ".ci-state.json")


def _read_state(path: Path) -> dict[str, str]:
    try:
        state = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # no or a damaged state: every wave counts as new
    waves = state.get("waves", {}) if isinstance(state, dict) else {}
    return {str(k): str(v) for k, v in waves.items()} if isinstance(waves, dict) else {}


def _write_state(path: Path, waves: Sequence[WaveCheck]) -> None:
    content = {"waves": {f"{w.survey}/{w.wave}": w.sha256 for w in waves if w.sha256}}
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(json.dumps(content, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def _check_wave(manifest: Path, previous: dict[str, str]) -> WaveCheck:
    survey, wave = manifest.parent.parent.name, manifest.parent.name
    try:
        checked = read_wave(manifest)
    except Exception as exc:  # every reason a wave cannot be read ends the run with exit 2
        return WaveCheck(survey, wave, str(manifest), "—", error=_first_lines(str(exc)))
    key = f"{checked.survey}/{checked.wave}"
    sha256 = checked.provenance["sha256"]
    change = (
        "neu" if key not in previous else "unverändert" if previous[key] == sha256 else "geändert"
    )
    issues = checked.issues
    by_row = issues.dropna(subset=["row"]) if "row" in issues else issues
    errors = by_row[by_row["severity"] == "error"].drop_duplicates(["row", "rule"])
    warnings = by_row[by_row["severity"] == "warning"].drop_duplicates(["row", "rule"])
    return WaveCheck(
        survey=checked.survey,
        wave=checked.wave,
        manifest=str(manifest),
        change=change,
        sha256=sha256,
        counts=dict(checked.counts),
        quarantined_by={str(k): int(v) for k, v in errors["rule"].value_counts().items()},
        flagged_by={str(k): int(v) for k, v in warnings["rule"].value_counts().items()},
    )


def _first_lines(text: str, lines: int = 3, limit: int = 400) -> str:
    short = " / ".join(line.strip() for line in text.strip().splitlines()[:lines] if line.strip())
    return short if len(short) <= limit else short[: limit - 1] + "…"


def run_ci(
    data_dir: str | Path | None = None,
    out_dir: str | Path = "reports",
    *,
    strict: bool = False,
    jobs: int | None = None,
    min_n: int | None = None,
    progress: bool = False,
) -> CiResult:
    """Validate every wave, build what changed, publish atomically; see the module docstring.

    Parameters
    ----------
    data_dir
        The data directory (default: ``WELCOME_EVAL_DATA``, else the demo data).
    out_dir
        The published reports; replaced atomically, untouched when the run fails.
    strict
        Exit code 1 when any wave has quarantined rows (the reports are built all the same).
    jobs, min_n, progress
        Passed to :func:`welcome_eval.build.reports.build`.
    """
    from welcome_eval.build.reports import build

    started = time.perf_counter()
    data_path = Path(data_dir or default_data_dir()).resolve()
    out_path = Path(out_dir)
    state = state_path(out_path)
    previous = _read_state(state)
    manifests = find_manifests(data_path)
    if not manifests:
        return CiResult(
            CI_BAD_WAVE,
            [],
            seconds=time.perf_counter() - started,
            out_dir=out_path,
            message=f"Keine Wellen gefunden / no waves found under {data_path}",
            strict=strict,
        )
    waves = [_check_wave(m, previous) for m in manifests]
    if any(w.error for w in waves):
        return CiResult(
            CI_BAD_WAVE,
            waves,
            seconds=time.perf_counter() - started,
            out_dir=out_path,
            message="Nicht veröffentlicht: eine Welle ist nicht lesbar; die zuletzt "
            "veröffentlichten Berichte bleiben unverändert.",
            strict=strict,
        )
    options: dict[str, Any] = {"progress": progress, "jobs": jobs}
    if min_n is not None:
        options["min_n"] = min_n
    try:
        built = build(data_path, out_path, **options)
    except BuildError as exc:  # a failed report: the build published nothing
        return CiResult(
            CI_BAD_WAVE,
            waves,
            seconds=time.perf_counter() - started,
            out_dir=out_path,
            message="Nicht veröffentlicht / not published: "
            + _first_lines(str(exc))
            + " Die zuletzt veröffentlichten Berichte bleiben unverändert.",
            strict=strict,
        )
    _write_state(state, waves)
    root = built.out_dir
    reused = {_relative(p, root) for p in built.reused}
    reports = [_relative(p, root) for p in built.reports]
    quarantined = any(w.counts.get("quarantined", 0) for w in waves)
    return CiResult(
        CI_QUARANTINED if strict and quarantined else CI_BUILT,
        waves,
        rebuilt=[r for r in reports if r not in reused],
        reused=sorted(reused),
        seconds=time.perf_counter() - started,
        out_dir=root,
        strict=strict,
    )


def _relative(path: Path, root: Path) -> str:
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return Path(path).as_posix()


def _rules(counts: dict[str, int]) -> str:
    from welcome_eval.ingest.validation import RULES_DE

    return ", ".join(
        f"{md_escape(RULES_DE.get(rule, rule))} ({n})" for rule, n in sorted(counts.items())
    )


def summary_markdown(result: CiResult) -> str:
    """The run as Markdown: waves, reports rebuilt and reused, time (every value escaped)."""
    status = {
        CI_BUILT: "✅ Berichte gebaut und veröffentlicht",
        CI_QUARANTINED: "⚠️ Berichte gebaut; zurückgestellte Zeilen (strenger Modus)",
        CI_BAD_WAVE: "❌ Nichts veröffentlicht",
    }[result.exit_code]
    lines = [f"## welcome-eval ci: {status}", ""]
    if result.message:
        lines += [md_escape(result.message), ""]
    bad = [w for w in result.waves if w.error]
    for wave in bad:
        lines.append(
            f"- **{md_escape(wave.survey)} {md_escape(wave.wave)}** nicht lesbar / unreadable: "
            f"{md_escape(wave.error)}"
        )
    if bad:
        lines.append("")
    changed = [w for w in result.waves if w.change in ("neu", "geändert")]
    if result.waves:
        lines.append(
            f"**Wellen:** {len(result.waves)}, davon neu oder geändert: "
            + (", ".join(f"{md_escape(w.survey)} {md_escape(w.wave)} ({w.change})" for w in changed)
               or "keine")
        )  # fmt: skip
        lines += [
            "",
            "| Befragung | Welle | Stand | gelesen | angenommen | mit Hinweis | zurückgestellt "
            "| Regeln (zurückgestellt) | Regeln (Hinweis) |",
            "|---|---|---|---:|---:|---:|---:|---|---|",
        ]
        for w in result.waves:
            if w.error:
                lines.append(
                    f"| {md_escape(w.survey)} | {md_escape(w.wave)} | nicht lesbar "
                    "| – | – | – | – | – | – |"
                )
                continue
            c = w.counts
            lines.append(
                f"| {md_escape(w.survey)} | {md_escape(w.wave)} | {w.change} | {c['read']} "
                f"| {c['accepted']} | {c['accepted_with_flags']} | {c['quarantined']} "
                f"| {_rules(w.quarantined_by) or '–'} | {_rules(w.flagged_by) or '–'} |"
            )
        lines.append("")
    if result.exit_code != CI_BAD_WAVE:
        lines.append(
            f"**Berichte:** {len(result.rebuilt) + len(result.reused)}, davon neu gebaut "
            f"{len(result.rebuilt)}, unverändert übernommen {len(result.reused)}; "
            "die Übersicht (index.html) wird jedes Mal neu geschrieben."
        )
        if result.rebuilt:
            shown = result.rebuilt[:SHOWN_REPORTS]
            more = len(result.rebuilt) - len(shown)
            lines.append("")
            lines += [f"- {md_escape(r)}" for r in shown]
            if more:
                lines.append(f"- … und {more} weitere")
        lines.append("")
    lines.append(f"Dauer: {result.seconds:.1f} s")
    return "\n".join(lines) + "\n"
