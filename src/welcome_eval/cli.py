"""Command line: ``welcome-eval build | validate | wave add | ci | synth``."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from welcome_eval.ingest.wave import Wave

__all__ = [
    "EXIT_BUSY",
    "EXIT_INTERNAL",
    "EXIT_OK",
    "EXIT_QUARANTINED",
    "EXIT_UNREADABLE",
    "VALIDATE_FILES",
    "main",
]

EXIT_OK = 0
EXIT_QUARANTINED = 1
EXIT_UNREADABLE = 2
EXIT_INTERNAL = 3
#: Another welcome-eval run is writing the same output folder (try again later).
EXIT_BUSY = 4

_UNCHANGED = "Die zuletzt veröffentlichten Berichte bleiben unverändert."


def _one_line(exc: BaseException) -> str:
    """An exception's message without terminal colour codes."""
    from welcome_eval.build.reports import plain_message

    return plain_message(str(exc))


def _build(args: argparse.Namespace) -> int:
    from welcome_eval.build.outdir import OutputBusy, OutputError
    from welcome_eval.build.reports import BuildError, build

    try:
        result = build(
            args.data,
            args.out,
            progress=not args.quiet,
            jobs=args.jobs,
            min_n=args.min_n,
            only=args.only,
            force=args.force,
            cache=not args.no_cache,
        )
    except OutputBusy as exc:
        print(f"Fehler / error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_BUSY
    except OutputError as exc:
        print(f"Fehler / error: {_one_line(exc)}", file=sys.stderr)
        return EXIT_UNREADABLE
    except BuildError as exc:
        print(f"Fehler / error: {_one_line(exc)}", file=sys.stderr)
        print(_UNCHANGED, file=sys.stderr)
        return EXIT_UNREADABLE
    except Exception as exc:  # an unexpected failure still gets one readable line
        print(
            f"Interner Fehler / internal error: {type(exc).__name__}: {_one_line(exc)}",
            file=sys.stderr,
        )
        print(_UNCHANGED, file=sys.stderr)
        return EXIT_INTERNAL
    if result.restored:
        print(
            "Hinweis: ein abgebrochener Build hatte die veröffentlichten Berichte beiseite "
            "gelegt; sie wurden wiederhergestellt. / note: restored the published reports "
            "left aside by a killed build.",
            file=sys.stderr,
        )
    if result.completed:
        print(
            f"Hinweis: {len(result.completed)} Berichte fehlten in der veröffentlichten Fassung "
            "und wurden mitgebaut (--only veröffentlicht nie eine unvollständige Fassung). / "
            f"note: {len(result.completed)} reports missing from the published set were "
            "built as well.",
            file=sys.stderr,
        )
    built = len(result.reports) - len(result.reused)
    print(
        f"{len(result.reports)} Berichte in {result.seconds:.1f} s: {built} ausgeführt, "
        f"{len(result.reused)} unverändert übernommen."
    )
    print(f"Übersicht: {result.index}")
    print(f"Fassung für die Forschung (mit Code): {result.research_index}")
    return EXIT_OK


#: What ``validate --out`` writes (and what an earlier version left in a folder without marker).
VALIDATE_FILES = frozenset(
    {
        "data.parquet",
        "missing_codes.parquet",
        "quarantine.parquet",
        "validation.parquet",
        "validation.csv",
    }
)


def _validate_output(folder: Path) -> bool:
    """A folder holding only what an earlier ``validate --out`` wrote."""
    from welcome_eval.build.outdir import OS_FILES, files_in

    files = [f for f in files_in(folder) if f not in OS_FILES]
    return bool(files) and set(files) <= VALIDATE_FILES


def _write_wave(wave: Wave, out: Path, source: Path) -> Path:
    """Write the tidy wave into ``out`` without touching anything welcome-eval did
    not write there: the files are written into a temporary folder inside ``out``
    and moved into place one by one; files an earlier run wrote and this one does
    not are removed; the marker lists what is there."""
    import tempfile

    from welcome_eval.build import outdir

    target = outdir.check_target(out, protect=[source])
    with outdir.locked(target):
        ours, foreign = outdir.claim(target, legacy=_validate_output)
        target.mkdir(parents=True, exist_ok=True)
        for leftover in target.glob(outdir.TEMP_PREFIX + "*"):
            shutil.rmtree(leftover, ignore_errors=True)  # left by a killed run
        with tempfile.TemporaryDirectory(prefix=outdir.TEMP_PREFIX, dir=target) as temp:
            produced = Path(wave.write(Path(temp) / "wave"))
            names = outdir.files_in(produced)
            clash = sorted(set(names) & set(foreign))
            if clash:
                raise outdir.OutputError(
                    f"{target} enthält schon {', '.join(clash)}, nicht von welcome-eval "
                    f"geschrieben; nichts wurde überschrieben. / {target} already holds "
                    f"{', '.join(clash)}, not written by welcome-eval; nothing was overwritten."
                )
            # The marker claims the files before they arrive, so a killed run leaves none
            # that a later run would take for foreign.
            outdir.write_marker(target, ours | set(names), command="validate --out")
            for name in names:
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                os.replace(produced / name, target / name)
        for stale in sorted(ours - set(names)):
            path = target / stale
            # Only a plain relative name inside the folder: a marker is a text file anyone
            # can edit, and it must never lead welcome-eval to delete anything else.
            inside = not Path(stale).is_absolute() and ".." not in Path(stale).parts
            if inside and (path.is_file() or path.is_symlink()):
                path.unlink()
        outdir.write_marker(target, names, command="validate --out")
    return target


def _wave_folder(path: str) -> Path:
    """The folder of the wave ``validate`` reads (a manifest's folder, or the folder given)."""
    given = Path(path)
    return given.parent if given.suffix in (".yaml", ".yml") else given


def _print_wave(wave: Wave, limit: int) -> dict[str, int]:
    """The counts of a validated wave and its first problems, as ``validate`` prints them."""
    import pandas as pd

    from welcome_eval.ingest.validation import RULES_DE

    counts = wave.counts
    print(f"{wave.manifest.title} ({wave.provenance['file']}, {wave.provenance['format']})")
    print(
        f"Zeilen gelesen / rows read: {counts['read']} · angenommen / accepted: "
        f"{counts['accepted']} · mit Hinweis / flagged: {counts['accepted_with_flags']} · "
        f"zurückgestellt / quarantined: {counts['quarantined']}"
    )
    issues = wave.issues
    if len(issues):
        print(f"\nErste Probleme / first problems ({len(issues)} in all):")
        for issue in issues.head(limit).itertuples(index=False):
            row = "–" if pd.isna(issue.row) else issue.row
            rule = RULES_DE.get(issue.rule, issue.rule)
            print(
                f"  {issue.file} row {row}, column {issue.column}, value {issue.value!r}: "
                f"[{issue.severity}] {issue.rule} – {rule}: {issue.message}"
            )
    return counts


def _validate(args: argparse.Namespace) -> int:
    from welcome_eval.build.outdir import OutputBusy, OutputError, check_target, claim
    from welcome_eval.ingest.wave import read_wave

    if args.out:  # refuse an unsafe --out before reading anything
        try:
            claim(
                check_target(args.out, protect=[_wave_folder(args.path)]), legacy=_validate_output
            )
        except OutputError as exc:
            print(f"Fehler / error: {_one_line(exc)}", file=sys.stderr)
            return EXIT_UNREADABLE
    try:
        wave = read_wave(Path(args.path))
    except Exception as exc:  # every unreadable input ends here with exit code 2
        print(f"Nicht lesbar / unreadable: {exc}", file=sys.stderr)
        return EXIT_UNREADABLE
    counts = _print_wave(wave, args.limit)
    if args.out:
        try:
            target = _write_wave(wave, args.out, _wave_folder(args.path))
        except OutputBusy as exc:
            print(f"Fehler / error: {_one_line(exc)}", file=sys.stderr)
            return EXIT_BUSY
        except OutputError as exc:
            print(f"Fehler / error: {_one_line(exc)}", file=sys.stderr)
            return EXIT_UNREADABLE
        print(f"\nBereinigte Welle und Prüftabelle / tidy wave and validation table: {target}")
    return EXIT_QUARANTINED if counts["quarantined"] else EXIT_OK


_HOW = {
    "id": "Kennung",
    "tool": "Code/Überschrift des Werkzeugs",
    "text": "Fragetext",
    "similar": "ähnlicher Fragetext – bitte prüfen",
}


def _date_argument(text: str):
    import datetime as dt

    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text[:40]!r} is not a date (YYYY-MM-DD)") from None


def _wave_add(args: argparse.Namespace) -> int:
    from welcome_eval.config import data_dir as default_data_dir
    from welcome_eval.ingest.intake import add_wave, propose_wave
    from welcome_eval.ingest.tools import shorten

    options = {
        "title": args.title,
        "fieldwork": tuple(args.fieldwork) if args.fieldwork else None,
        "tool": None if args.tool == "none" else args.tool,
        "syntax": args.syntax,
    }
    data = Path(args.data or default_data_dir())
    try:
        if args.dry_run:
            proposal = propose_wave(args.file, args.survey, args.wave, **options)
        else:
            added = add_wave(
                args.file, args.survey, args.wave, data_dir=data, demo=args.demo, **options
            )
            proposal = added.proposal
    except Exception as exc:  # every unreadable input ends here with exit code 2
        print(f"Nicht hinzugefügt / not added: {_one_line(exc)}", file=sys.stderr)
        print("Es wurde nichts geschrieben. / Nothing was written.", file=sys.stderr)
        return EXIT_UNREADABLE
    detected = ", ".join(f"{k} {v!r}" for k, v in proposal.detected.items())
    print(
        f"Datei / file: {proposal.source.name} · Format {proposal.format}"
        + (f" ({detected})" if detected else "")
        + (f" · Syntax {proposal.syntax.name}" if proposal.syntax else "")
        + f" · Werkzeug / tool: {proposal.tool or '–'}"
    )
    print(f"sha256: {proposal.sha256}")
    start, end = proposal.fieldwork
    if start or end:
        origin = {"given": "angegeben", "stamps": "aus den Zeitstempeln"}.get(
            proposal.fieldwork_origin or "", "teils angegeben, teils aus den Zeitstempeln"
        )
        print(f"Feldzeit / fieldwork: {start or '?'} bis {end or '?'} ({origin})")
    print(f"\nSpaltenzuordnung / column mapping ({len(proposal.matches)} Spalten):")
    for match in proposal.matches:
        print(f"  {shorten(match.file_column, 50):<50} -> {match.item}  [{_HOW[match.how]}]")
    if proposal.unmapped:
        print(f"\nNicht zugeordnet / not mapped ({len(proposal.unmapped)} Spalten der Datei):")
        for column in proposal.unmapped[: args.limit]:
            print(f"  {shorten(column, 60)}")
        if len(proposal.unmapped) > args.limit:
            print(f"  … und {len(proposal.unmapped) - args.limit} weitere")
        if proposal.tool == "limesurvey":
            print(
                "  Tipp: LimeSurvey-Export mit Überschriften „Fragecode & Fragetext“ oder die "
                "Zuordnung unter 'columns:' im Manifest ergänzen."
            )
    absent = [column for column, _ in proposal.missing]
    if absent:
        required = [column for column, needed in proposal.missing if needed]
        print(
            f"\nIm Codebuch, aber nicht in der Datei / in the codebook, not in the file: "
            f"{len(absent)} ({', '.join(absent[:8])}{' …' if len(absent) > 8 else ''})"
            + (f"; Pflicht / required: {', '.join(required)}" if required else "")
        )
    for note in proposal.notes:
        print(f"\nHinweis / note: {note}")
    if args.dry_run:
        print("\nProbelauf / dry run: nichts geschrieben. Manifest:\n")
        import yaml

        print(
            yaml.safe_dump(
                proposal.manifest(proposal.source.name), allow_unicode=True, sort_keys=False
            )
        )
        return EXIT_OK
    print(f"\nWelle angelegt / wave added: {added.folder / 'manifest.yaml'}\n")
    counts = _print_wave(added.wave, args.limit)
    print(
        "\nNächster Schritt / next: welcome-eval build" + (f" --data {data}" if args.data else "")
    )
    return EXIT_QUARANTINED if counts["quarantined"] else EXIT_OK


def _ci(args: argparse.Namespace) -> int:
    from welcome_eval.build.ci import CI_BAD_WAVE, run_ci

    try:
        result = run_ci(
            args.data,
            args.out,
            strict=args.strict,
            jobs=args.jobs,
            min_n=args.min_n,
            progress=False,
        )
    except Exception as exc:  # an unexpected failure still gets one readable line
        print(
            f"Interner Fehler / internal error: {type(exc).__name__}: {_one_line(exc)}",
            file=sys.stderr,
        )
        print(_UNCHANGED, file=sys.stderr)
        return EXIT_INTERNAL
    summary = result.summary
    print(summary, end="")
    target = args.summary or os.environ.get("GITHUB_STEP_SUMMARY")
    if target is None and result.out_dir is not None:
        out = Path(result.out_dir).resolve()
        target = str(out.with_name("ci-summary.md"))
    if target:
        try:
            # GitHub's step summary is shared by the job's steps: append, never replace.
            mode = "a" if target == os.environ.get("GITHUB_STEP_SUMMARY") else "w"
            with open(target, mode, encoding="utf-8") as handle:
                handle.write(summary)
        except OSError as exc:
            print(f"Hinweis / note: summary not written to {target}: {exc}", file=sys.stderr)
    if result.exit_code == CI_BAD_WAVE:
        print(_UNCHANGED, file=sys.stderr)
    return result.exit_code


def _synth(args: argparse.Namespace) -> int:
    from welcome_eval.synth import write_demo

    paths = write_demo(args.out, seed=args.seed)
    for path in paths:
        print(path)
    return EXIT_OK


def main(argv: list[str] | None = None) -> int:
    from welcome_eval.config import skip_unused_optional_imports

    skip_unused_optional_imports()
    parser = argparse.ArgumentParser(
        prog="welcome-eval",
        description="Evaluation of 'Willkommen in Südwestfalen': validate waves, build reports.",
    )
    commands = parser.add_subparsers(dest="command", required=True)

    build = commands.add_parser("build", help="build every report and reports/index.html")
    build.add_argument(
        "--data",
        type=Path,
        default=None,
        help="data directory (default: $WELCOME_EVAL_DATA or the demo data)",
    )
    build.add_argument(
        "--out",
        type=Path,
        default=Path("reports"),
        help="output directory: new, empty, or written by welcome-eval (marker "
        ".welcome-eval-output); never the working directory, home or the project",
    )
    build.add_argument("--quiet", action="store_true", help="no progress bar")
    build.add_argument(
        "--jobs", type=int, default=None, help="reports built at once (default: CPU cores)"
    )
    build.add_argument(
        "--min-n",
        type=int,
        default=5,
        help="minimum number of respondents behind every value shown (default: 5)",
    )
    build.add_argument(
        "--only",
        action="append",
        metavar="PATTERN",
        default=None,
        help="rebuild only reports whose path matches (e.g. 'gemeinden/05958004/*'); "
        "repeatable; the other published reports are kept",
    )
    build.add_argument(
        "--force",
        action="store_true",
        help="execute every report, also those whose inputs, code and notebook are unchanged",
    )
    build.add_argument(
        "--no-cache",
        action="store_true",
        help="read and validate every wave again instead of using .build-cache/ beside --out "
        "(the pages come out the same)",
    )
    build.set_defaults(run=_build)

    validate = commands.add_parser(
        "validate",
        help="validate one wave; exit 0 clean, 1 quarantined rows, 2 unreadable",
    )
    validate.add_argument("path", help="wave manifest (or the directory holding manifest.yaml)")
    validate.add_argument("--limit", type=int, default=20, help="problems to list")
    validate.add_argument(
        "--out",
        type=Path,
        default=None,
        help="write the tidy wave (Parquet) and the validation table here (a new folder, "
        "or one welcome-eval wrote: other files there are left alone)",
    )
    validate.set_defaults(run=_validate)

    wave = commands.add_parser("wave", help="add a survey wave (wave add FILE --survey S --wave W)")
    wave_commands = wave.add_subparsers(dest="wave_command", required=True)
    add = wave_commands.add_parser(
        "add",
        help="put a raw export into the data directory with its manifest, then validate it; "
        "exit 0 clean, 1 quarantined rows, 2 not added (nothing written)",
        description="Detects format, encoding, delimiter and survey tool, computes the "
        "sha256, matches the file's columns to the codebook (ids, tool codes, German "
        "question text), writes <data>/<survey>/<wave>/manifest.yaml and validates the wave.",
    )
    add.add_argument(
        "file",
        type=Path,
        help="raw export (CSV, XLSX, SAV/ZSAV/POR, or a tool's "
        "syntax export: .sps + .dat, .R + .csv)",
    )
    add.add_argument(
        "--survey", required=True, help="survey (its codebook): kommunen, neubuerger, …"
    )
    add.add_argument("--wave", required=True, help="wave name, e.g. 2023")
    add.add_argument(
        "--data",
        type=Path,
        default=None,
        help="data directory (default: $WELCOME_EVAL_DATA or the demo data)",
    )
    add.add_argument("--title", default=None, help="title (default: e.g. 'Kommunenbefragung 2023')")
    add.add_argument(
        "--fieldwork",
        nargs=2,
        type=_date_argument,
        metavar=("START", "END"),
        default=None,
        help="first and last day of the fieldwork (default: from the tool's time stamps)",
    )
    add.add_argument(
        "--tool",
        choices=["auto", "none", "limesurvey", "sosci"],
        default="auto",
        help="survey tool that wrote the file (default: detected)",
    )
    add.add_argument(
        "--syntax",
        type=Path,
        default=None,
        help="syntax file of a data file without header, if not named as the tool names it",
    )
    add.add_argument(
        "--dry-run", action="store_true", help="show what would be written; write nothing"
    )
    add.add_argument("--demo", action="store_true", help="synthetic data (demo pseudonym key)")
    add.add_argument("--limit", type=int, default=20, help="problems and columns to list")
    add.set_defaults(run=_wave_add)

    ci = commands.add_parser(
        "ci",
        help="for a data repository's pipeline: validate every wave, build what changed, "
        "publish atomically, write a Markdown summary; exit 0 built, 1 quarantined rows "
        "(--strict), 2 bad wave or failed report (nothing published)",
    )
    ci.add_argument(
        "--data",
        type=Path,
        default=None,
        help="data directory (default: $WELCOME_EVAL_DATA; never a folder in git)",
    )
    ci.add_argument("--out", type=Path, default=Path("reports"), help="published reports")
    ci.add_argument(
        "--summary",
        default=None,
        help="Markdown summary file (default: $GITHUB_STEP_SUMMARY, else ci-summary.md "
        "beside the output folder)",
    )
    ci.add_argument("--strict", action="store_true", help="exit 1 when rows were quarantined")
    ci.add_argument("--jobs", type=int, default=None, help="reports built at once")
    ci.add_argument("--min-n", type=int, default=None, help="minimum number behind every value")
    ci.set_defaults(run=_ci)

    synth = commands.add_parser("synth", help="write the synthetic demo data")
    synth.add_argument("--out", type=Path, default=Path("data/demo"))
    synth.add_argument("--seed", type=int, default=2018)
    synth.set_defaults(run=_synth)

    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    raise SystemExit(main())
