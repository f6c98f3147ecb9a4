"""Peak memory and time of the retention counting on a 10-million-row Parquet extract.

Issue 5 asks that the counting behind Kaplan–Meier and the municipal arrival-cohort
outcomes work on a register extract of all of North Rhine-Westphalia (about ten million
rows) within 2 GB of memory. This script

1. writes a synthetic extract of ``--rows`` rows (default 10,000,000) to Parquet in
   chunks with :class:`pyarrow.parquet.ParquetWriter` -- never more than one chunk of
   about 330,000 rows in pandas. Each chunk is a full synthetic register of Südwestfalen
   (:func:`welcome_eval.synth.register.register_extract` with seed ``--seed + k``, all
   codebook columns); the chunks are spread over seven regions the size of Südwestfalen
   (the third digit of the municipality key becomes the region number 0–6: 413
   municipalities, about as many as North Rhine-Westphalia's 396), and the join dates of
   each region are those of its first chunk's seed;
2. runs, each in its own subprocess, (a) the DuckDB path: ``register_stays`` on the
   Parquet path, ``fit_kaplan_meier(..., by="ags")`` on the resulting relation and
   ``arrival_cohorts`` on the path (``retention_duckdb.MEMORY_LIMIT`` and ``THREADS``,
   or ``--memory-limit``/``--threads``), and (b) the pandas path: ``pandas.read_parquet``
   of the four columns the analysis needs, then the same functions on the DataFrame;
3. prints for each the wall time and the peak resident memory of the subprocess
   (``ru_maxrss`` of ``os.wait4``, i.e. ``resource.getrusage(RUSAGE_CHILDREN)`` of that
   child alone, started by a small launcher process), their ratios, and whether both
   paths gave the same numbers (the Kaplan–Meier table and the cohort table, compared
   exactly).

Usage::

    .venv/bin/python bench/retention_parquet.py [--rows 10000000] [--path FILE.parquet]
        [--keep] [--memory-limit 1GB] [--threads 2]

Without ``--path`` the extract goes to a temporary directory that is removed at the end
(``--keep`` keeps it); an existing ``--path`` with the right number of rows is reused.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from welcome_eval.survival import retention, retention_duckdb
from welcome_eval.survival.programme_effect import arrival_cohorts
from welcome_eval.synth import participation
from welcome_eval.synth.register import EXTRACT_DATE, register_extract

REGIONS = 7
NEEDED = ["ags", "einzug", "auszug", "wegzug_ziel"]
HORIZON = 2


def regional_key(ags: pd.Series, region: int) -> pd.Series:
    """The municipality key moved to region ``region`` (third digit; all keys of
    Südwestfalen have a 9 there, so the regions do not collide)."""
    return ags.str.slice(0, 2) + str(region) + ags.str.slice(3)


def participation_record(seed: int) -> pd.DataFrame:
    """Join dates of the 413 municipalities: region r takes those of seed + r."""
    parts = []
    for region in range(REGIONS):
        record = participation(seed + region)[["ags", "joined"]]
        parts.append(record.assign(ags=regional_key(record["ags"], region)))
    return pd.concat(parts, ignore_index=True)


def write_extract(path: Path, rows: int, seed: int) -> None:
    """``rows`` synthetic register rows, chunk by chunk (module docstring)."""
    writer = None
    written = 0
    chunk = 0
    try:
        while written < rows:
            frame = register_extract(seed + chunk, scale=1.0)
            frame["ags"] = regional_key(frame["ags"], chunk % REGIONS)
            frame = frame.iloc[: rows - written]
            table = pa.Table.from_pandas(frame, preserve_index=False)
            if writer is None:
                writer = pq.ParquetWriter(path, table.schema, compression="zstd")
            writer.write_table(table.cast(writer.schema))
            written += len(frame)
            chunk += 1
            print(f"  chunk {chunk}: {written:,} rows", end="\r", flush=True)
    finally:
        if writer is not None:
            writer.close()
    print()


def run(mode: str, path: Path, out_dir: Path, seed: int) -> None:
    """One measurement (in a subprocess): results to ``out_dir``, seconds on stdout."""
    record = participation_record(seed)
    started = time.perf_counter()
    if mode == "duckdb":
        stays = retention.register_stays(path, extract_date=EXTRACT_DATE)
        source = path
    else:
        data = pd.read_parquet(path, columns=NEEDED)
        stays = retention.register_stays(data, extract_date=EXTRACT_DATE)
        source = data
    km = retention.fit_kaplan_meier(stays, duration="years", event="left_region", by="ags")
    cohorts = arrival_cohorts(source, record, horizon_years=HORIZON, extract_date=EXTRACT_DATE)
    seconds = time.perf_counter() - started
    km.table.to_parquet(out_dir / f"km-{mode}.parquet")
    cohorts.to_parquet(out_dir / f"cohorts-{mode}.parquet")
    print(
        json.dumps(
            {
                "seconds": seconds,
                "rows": km.n,
                "groups": len(km.groups),
                "km_rows": len(km.table),
                "cohort_rows": len(cohorts),
            }
        )
    )


# Runs the command in argv[1:] and prints its stdout's last line and its ru_maxrss (KiB).
# Linux records the peak RSS of the memory a process had before exec in its ru_maxrss
# (and with vfork that is the parent's memory), so the measured child must be started by
# a small process: this launcher, not the benchmark's own interpreter.
LAUNCHER = """
import json, os, subprocess, sys
child = subprocess.Popen(sys.argv[1:], stdout=subprocess.PIPE, text=True)
output = child.stdout.read()
_, status, usage = os.wait4(child.pid, 0)
child.returncode = os.waitstatus_to_exitcode(status)
print(json.dumps({"code": child.returncode, "output": output, "maxrss": usage.ru_maxrss}))
"""


def measure(mode: str, args: argparse.Namespace, path: Path, out_dir: Path) -> dict:
    """Run one mode in a fresh interpreter; its peak RSS from wait4 (that child alone)."""
    command = [sys.executable, __file__, "--run", mode, "--path", str(path)]
    command += ["--out-dir", str(out_dir), "--seed", str(args.seed)]
    command += ["--memory-limit", args.memory_limit, "--threads", str(args.threads)]
    started = time.perf_counter()
    launched = subprocess.run(
        [sys.executable, "-c", LAUNCHER, *command], capture_output=True, text=True, check=True
    )
    wall = time.perf_counter() - started
    report = json.loads(launched.stdout.strip().splitlines()[-1])
    if report["code"] != 0:
        raise SystemExit(f"{mode} run failed (exit code {report['code']}):\n{launched.stderr}")
    result = json.loads(report["output"].strip().splitlines()[-1])
    result.update(wall=wall, peak_mib=report["maxrss"] / 1024)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--seed", type=int, default=100)
    parser.add_argument("--path", type=Path, help="Parquet file (default: a temporary one)")
    parser.add_argument("--keep", action="store_true", help="keep the generated Parquet file")
    parser.add_argument("--memory-limit", default=retention_duckdb.MEMORY_LIMIT)
    parser.add_argument("--threads", type=int, default=retention_duckdb.THREADS)
    parser.add_argument("--run", choices=["duckdb", "pandas"], help=argparse.SUPPRESS)
    parser.add_argument("--write", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out-dir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    # the settings of the connections retention_duckdb opens for a path
    retention_duckdb.MEMORY_LIMIT = args.memory_limit
    retention_duckdb.THREADS = args.threads
    if args.run:
        run(args.run, args.path, args.out_dir, args.seed)
        return
    if args.write:
        write_extract(args.path, args.rows, args.seed)
        return

    with tempfile.TemporaryDirectory(prefix="retention-parquet-") as tmp:
        path = args.path or Path(tmp) / "register.parquet"
        if path.exists() and pq.ParquetFile(path).metadata.num_rows == args.rows:
            print(f"reusing {path} ({args.rows:,} rows)")
        else:
            print(f"writing {args.rows:,} rows to {path} ...")
            started = time.perf_counter()
            # in a subprocess: Linux records the peak RSS of the parent's memory in a
            # child's ru_maxrss when the child execs (vfork), so the parent stays small
            command = [sys.executable, __file__, "--write", "--path", str(path)]
            command += ["--rows", str(args.rows), "--seed", str(args.seed)]
            subprocess.run(command, check=True)
            print(f"  written in {time.perf_counter() - started:.0f} s")
        size = path.stat().st_size / 2**20
        print(f"Parquet file: {size:,.0f} MiB, {pq.ParquetFile(path).metadata.num_rows:,} rows")
        print(f"DuckDB: memory_limit {args.memory_limit}, threads {args.threads}")
        out_dir = Path(tmp)
        results = {mode: measure(mode, args, path, out_dir) for mode in ("duckdb", "pandas")}
        lazy, eager = results["duckdb"], results["pandas"]
        print(
            f"groups (municipalities): {lazy['groups']}, Kaplan–Meier rows: {lazy['km_rows']:,}, "
            f"cohort rows: {lazy['cohort_rows']:,}"
        )
        for mode, label in (("duckdb", "(a) DuckDB over Parquet"), ("pandas", "(b) pandas")):
            r = results[mode]
            print(
                f"{label:<26} KM by ags + cohorts: {r['seconds']:7.1f} s "
                f"(process {r['wall']:5.1f} s), peak RSS {r['peak_mib']:8,.0f} MiB"
            )
        print(
            f"ratio pandas / DuckDB: time {eager['seconds'] / lazy['seconds']:.2f}x, "
            f"peak memory {eager['peak_mib'] / lazy['peak_mib']:.2f}x"
        )
        same = []
        for name in ("km", "cohorts"):
            a = pd.read_parquet(out_dir / f"{name}-duckdb.parquet")
            b = pd.read_parquet(out_dir / f"{name}-pandas.parquet")
            try:
                pd.testing.assert_frame_equal(a, b, check_dtype=False, rtol=0, atol=0)
                same.append(True)
            except AssertionError as error:
                print(f"{name}: results differ: {error}")
                same.append(False)
        print(f"same numbers both ways: {'yes' if all(same) else 'NO'}")
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"(peak RSS of this process, which only starts and compares: {own:,.0f} MiB)")
        if args.keep and args.path is None:
            kept = Path(tempfile.gettempdir()) / "retention-parquet-register.parquet"
            path.replace(kept)
            print(f"kept the extract as {kept}")
        if not all(same):
            raise SystemExit(1)


if __name__ == "__main__":
    main()
