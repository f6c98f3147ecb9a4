"""How long `welcome-eval build` takes when nothing changed (issue 16, item 3).

Builds the demo data once (skipped if ``--out`` already holds a build), then runs
the command line ``--runs`` times with nothing changed, with the build cache and
with ``--no-cache`` (every wave read and validated again, the index rendered: the
behaviour before the cache), and prints the wall times and their ratio.

    .venv/bin/python bench/build_nochange.py [--out /tmp/bench-reports] [--runs 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLI = Path(sys.executable).with_name("welcome-eval")


def _build(out: Path, *more: str) -> tuple[float, str]:
    began = time.perf_counter()
    done = subprocess.run(
        [str(CLI), "build", "--out", str(out), "--quiet", *more],
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"welcome-eval build failed ({done.returncode}):\n{done.stderr[-2000:]}")
    return seconds, done.stdout.splitlines()[0] if done.stdout else ""


def _import_time() -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import welcome_eval.cli"], check=True)
    return time.perf_counter() - began


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: temp)")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    out = args.out or Path(tempfile.mkdtemp(prefix="welcome-eval-bench-")) / "reports"
    if not (out / "index.html").is_file():
        seconds, summary = _build(out)
        print(f"full build: {seconds:.1f} s ({summary})")
    seconds, summary = _build(out)  # fills the cache beside the output if it was empty
    print(f"first unchanged build: {seconds:.2f} s ({summary})")
    cached = [_build(out)[0] for _ in range(args.runs)]
    uncached = [_build(out, "--no-cache")[0] for _ in range(args.runs)]
    imports = [_import_time() for _ in range(args.runs)]
    fast, slow = statistics.median(cached), statistics.median(uncached)
    print(f"unchanged build, cache:      median {fast:.2f} s  (runs: {_runs(cached)})")
    print(f"unchanged build, --no-cache: median {slow:.2f} s  (runs: {_runs(uncached)})")
    print(f"python -c 'import welcome_eval.cli': median {statistics.median(imports):.2f} s")
    print(f"ratio --no-cache / cache: {slow / fast:.1f}x")


def _runs(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main()
