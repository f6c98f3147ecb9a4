"""Benchmark of the report build against the naive papermill + nbconvert pipeline.

In one run, on the same data and machine:

(a) the naive pipeline on a sample of reports, the way a user of those tools would write
    it: ``papermill.execute_notebook`` with the parameters the build's plan gives (a fresh
    kernel per report), then ``jupyter nbconvert --to html --no-input`` as a subprocess;
    seconds per report;
(b) the full ``welcome-eval build --force`` as a subprocess into a temporary directory:
    total seconds, seconds per report and the CPU seconds of the build and its kernels;
(c) the ratio of (a) to (b) per report;
(d) with ``--incremental``: on a copy of the tree and of the demo data without the
    kommunen wave 2021, a full build, then the same command with nothing changed
    (median of 3), with the kommunen wave 2021 added, and with a change to
    ``survival/retention.py``: seconds and the reports each run executed;
(e) with ``--profile``: one long-lived :class:`~welcome_eval.build.kernel.ReportKernel`
    in this process, the split between its start, its first municipal report (imports,
    reading the wave, the suppression plan) and the following ones (steady state).

``--src SRC`` runs (b) with ``PYTHONPATH=SRC`` instead of the installed package;
``--compare SRC`` runs (b) also with ``PYTHONPATH=SRC`` (e.g. the ``src`` of a git
worktree of an older commit) and prints both, alternating the order over ``--repeat``
runs, so that a before/after comparison shares the machine's load. The machine may be
shared: wall seconds are noisy, CPU seconds less so; both are printed.

Usage::

    .venv/bin/python bench/build.py [--municipal 3] [--regional 2] [--engine-only]
        [--naive-only] [--profile] [--incremental] [--compare /tmp/base/src] [--repeat 1]
        [--jobs N]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
#: Fixed build date, so that runs are comparable byte for byte (``diff -r`` of two outputs).
EPOCH = "1780000000"


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def sample_jobs(data: Path, municipal: int, regional: int) -> list:
    """Municipal reports spread over the waves, and regional reports of the newcomer survey
    and the municipal survey (the kinds that dominate a build)."""
    from welcome_eval.build.plan import plan

    jobs = plan(data)
    towns = [j for j in jobs if j.kind == "gemeinde"]
    step = max(1, len(towns) // max(municipal, 1))
    regions = [j for j in jobs if j.kind == "welle"]
    regions.sort(key=lambda j: (j.relative_path.parts[0] != "neubuerger", str(j.relative_path)))
    return towns[::step][:municipal] + regions[:regional]


def naive(jobs: list, work: Path) -> list[tuple[str, float]]:
    """papermill then ``jupyter nbconvert --no-input`` per report; seconds per report."""
    import papermill

    times = []
    for number, job in enumerate(jobs):
        executed = work / f"report{number}.ipynb"
        began = time.perf_counter()
        papermill.execute_notebook(
            str(job.notebook),
            str(executed),
            parameters=job.parameters,
            kernel_name="python3",
            progress_bar=False,
            cwd=str(work),
        )
        subprocess.run(
            [str(BIN / "jupyter"), "nbconvert", "--to", "html", "--no-input", str(executed)],
            check=True,
            capture_output=True,
        )
        times.append((job.relative_path.as_posix(), time.perf_counter() - began))
    return times


def engine(
    data: Path, out: Path, *, pythonpath: str | None, jobs: int | None, reports: int
) -> dict:
    """``welcome-eval build --force`` as a subprocess: wall and CPU seconds, report count."""
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    else:
        env.pop("PYTHONPATH", None)
    command = [str(BIN / "welcome-eval"), "build", "--data", str(data), "--out", str(out)]
    command += ["--force", "--quiet"] + (["--jobs", str(jobs)] if jobs else [])
    cpu = _children_cpu()
    began = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"build failed ({pythonpath or 'this tree'}):\n{done.stderr[-2000:]}")
    return {"wall": wall, "cpu": _children_cpu() - cpu, "reports": reports}


#: Run in a subprocess with the copied tree on PYTHONPATH: one build, then what it executed.
_BUILD_AND_LIST = """\
import json, sys, time
from pathlib import Path
import welcome_eval
from welcome_eval.build.reports import build
if not welcome_eval.__file__.startswith(sys.argv[1]):
    sys.exit(f"welcome_eval imported from {welcome_eval.__file__}, not from {sys.argv[1]}")
began = time.perf_counter()
result = build(Path(sys.argv[2]), Path(sys.argv[3]), progress=False)
print(json.dumps({"seconds": time.perf_counter() - began, "executed": sorted(result.timings),
                  "reused": len(result.reused)}))
"""


def _build_listed(tree: Path, data: Path, out: Path) -> dict:
    env = {**os.environ, "SOURCE_DATE_EPOCH": EPOCH, "PYTHONPATH": str(tree / "src")}
    script = [sys.executable, "-c", _BUILD_AND_LIST, str(tree / "src"), str(data), str(out)]
    began = time.perf_counter()
    done = subprocess.run(script, env=env, capture_output=True, text=True, cwd=tree)
    wall = time.perf_counter() - began
    if done.returncode != 0:
        raise SystemExit(f"build failed:\n{done.stderr[-2000:]}")
    return {**json.loads(done.stdout.splitlines()[-1]), "wall": wall}


def _executed(run: dict) -> str:
    """The executed reports, municipal ones counted per wave."""
    towns: dict[str, int] = {}
    others = []
    for path in run["executed"]:
        parts = path.split("/")
        if parts[0] == "gemeinden":
            towns[parts[-1]] = towns.get(parts[-1], 0) + 1
        else:
            others.append(path)
    shown = others + [f"gemeinden/*/{name} ({n})" for name, n in sorted(towns.items())]
    return f"{len(run['executed'])} executed, {run['reused']} reused: " + ", ".join(shown)


def incremental(data: Path, work: Path) -> None:
    """Full build, nothing changed, a new kommunen wave, a change in the register code."""
    tree = work / "tree"
    shutil.copytree(ROOT / "src", tree / "src", ignore=shutil.ignore_patterns("__pycache__"))
    for folder in ("notebooks", "surveys"):
        shutil.copytree(ROOT / folder, tree / folder)
    copy = work / "data"
    shutil.copytree(data, copy)
    new_wave = copy / "kommunen" / "2021"
    shutil.move(new_wave, work / "kommunen-2021")
    out = work / "incremental"
    full = _build_listed(tree, copy, out)
    print(f"incremental: full build {full['wall']:.1f} s ({len(full['executed'])} reports)")
    same = [_build_listed(tree, copy, out) for _ in range(3)]
    print(
        f"incremental: nothing changed {statistics.median(r['wall'] for r in same):.2f} s "
        f"(median of 3 command runs; build() itself "
        f"{statistics.median(r['seconds'] for r in same):.2f} s); {_executed(same[0])}"
    )
    shutil.move(work / "kommunen-2021", new_wave)
    wave = _build_listed(tree, copy, out)
    print(f"incremental: new kommunen wave 2021 {wave['wall']:.1f} s; {_executed(wave)}")
    retention = tree / "src" / "welcome_eval" / "survival" / "retention.py"
    retention.write_text(
        retention.read_text(encoding="utf-8") + "\n\n_BENCH_CHANGE = 1\n", encoding="utf-8"
    )
    changed = _build_listed(tree, copy, out)
    print(
        f"incremental: survival/retention.py changed {changed['wall']:.1f} s; {_executed(changed)}"
    )


def profile(data: Path, work: Path, count: int) -> None:
    """Kernel start, first municipal report and the following ones in one kernel."""
    from welcome_eval.build.kernel import ReportKernel
    from welcome_eval.build.plan import plan

    towns = [j for j in plan(data) if j.kind == "gemeinde"][: count + 1]
    began = time.perf_counter()
    kernel = ReportKernel()
    started = time.perf_counter() - began
    kernel.warm_up()  # returns at once: the first report waits behind it
    times = []
    try:
        for job in towns:
            began = time.perf_counter()
            kernel.execute(job.notebook, job.parameters, cwd=work)
            times.append(time.perf_counter() - began)
    finally:
        kernel.shutdown()
    print(
        f"profile: kernel start {started:.2f} s, warm-up and first municipal report "
        f"{times[0]:.2f} s, "
        f"then {statistics.mean(times[1:]):.2f} s per report (median "
        f"{statistics.median(times[1:]):.2f} s over {len(times) - 1}; execution only)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / "data" / "demo")
    parser.add_argument("--municipal", type=int, default=3, help="naive: municipal reports")
    parser.add_argument("--regional", type=int, default=2, help="naive: regional reports")
    parser.add_argument("--engine-only", action="store_true")
    parser.add_argument("--naive-only", action="store_true")
    parser.add_argument("--profile", action="store_true", help="first vs steady report")
    parser.add_argument(
        "--incremental", action="store_true", help="nothing changed, new wave, code change"
    )
    parser.add_argument("--src", default=None, help="PYTHONPATH of this tree (default: installed)")
    parser.add_argument("--compare", default=None, help="PYTHONPATH of a second tree (before)")
    parser.add_argument("--repeat", type=int, default=1, help="engine runs per tree")
    parser.add_argument("--jobs", type=int, default=None, help="kernels (default: the build's)")
    parser.add_argument("--keep", type=Path, default=None, help="keep the outputs here")
    args = parser.parse_args()
    data = args.data.resolve()
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
    with tempfile.TemporaryDirectory(prefix="welcome-eval-bench-") as tmp:
        work = Path(tmp)
        per_naive = per_town = None
        if not args.engine_only:
            jobs = sample_jobs(data, args.municipal, args.regional)
            times = naive(jobs, work)
            for path, seconds in times:
                print(f"naive  {path:40} {seconds:6.2f} s")
            towns = [s for p, s in times if p.startswith("gemeinden/")]
            per_naive = statistics.mean(s for _, s in times)
            per_town = statistics.mean(towns) if towns else None
            print(
                f"naive: {per_naive:.2f} s per report over {len(times)}"
                + (f" ({statistics.mean(towns):.2f} s per municipal report)" if towns else "")
            )
        if args.profile:
            profile(data, work, 6)
        if args.incremental:
            incremental(data, work)
        if args.naive_only:
            return
        from welcome_eval.build.plan import plan

        count = len(plan(data))
        trees = [("this tree", args.src)] + ([("compare", args.compare)] if args.compare else [])
        results: dict[str, list[dict]] = {name: [] for name, _ in trees}
        for run in range(args.repeat):
            for name, path in trees if run % 2 == 0 else trees[::-1]:
                keep = args.keep / f"{name.replace(' ', '_')}{run}" if args.keep else None
                out = keep or work / f"out-{name.replace(' ', '_')}-{run}"
                result = engine(data, out, pythonpath=path, jobs=args.jobs, reports=count)
                results[name].append(result)
                per = result["wall"] / result["reports"]
                ratio = f", {per_naive / per:.1f}x the naive sample" if per_naive else ""
                if per_town:
                    ratio += f", {per_town / per:.1f}x its municipal reports"
                print(
                    f"engine {name:9} run {run + 1}: {result['reports']} reports in "
                    f"{result['wall']:.1f} s = {per:.2f} s per report{ratio}; "
                    f"CPU {result['cpu']:.1f} s ({result['cpu'] / result['reports']:.2f} s per "
                    f"report); load {os.getloadavg()[0]:.1f}"
                )
                if not keep:
                    subprocess.run(["rm", "-rf", str(out)], check=False)
        if args.compare:
            mine = statistics.mean(r["wall"] for r in results["this tree"])
            other = statistics.mean(r["wall"] for r in results["compare"])
            cpu_mine = statistics.mean(r["cpu"] for r in results["this tree"])
            cpu_other = statistics.mean(r["cpu"] for r in results["compare"])
            print(f"this tree / compare: wall {mine / other:.2f}, CPU {cpu_mine / cpu_other:.2f}")


if __name__ == "__main__":
    main()
