"""Benchmark of :mod:`welcome_eval.survival.retention` against lifelines on register-sized data.

Generates ``--rows`` (default 1,000,000) synthetic register-like rows -- one per person:
municipality (the 59 AGS of the region, drawn in proportion to the population), duration
of stay in whole days (exponential hazard with 8 covariates, censored at the extract date
of a 16-year arrival window and by a random loss to follow-up, so durations tie heavily),
event indicator, 4 numeric and 4 binary covariates ``x0`` … ``x7`` -- and times on the
same data, in the same shell run:

(a) Kaplan–Meier by municipality: ``retention.fit_kaplan_meier(..., by="ags")`` against
    lifelines' ``KaplanMeierFitter`` fitted per municipality;
(b) a Cox model with the 8 covariates and Efron ties: ``retention.cox`` (which also
    computes the concordance and its standard error) against lifelines' ``CoxPHFitter``
    (Efron ties) with its default convergence precision (1e-7) and with 1e-12.

lifelines needs pandas < 3 and this project uses pandas 3, so lifelines runs in its own
venv (default ``/tmp/lifelines-venv``, created here if missing: ``python3 -m venv
/tmp/lifelines-venv && /tmp/lifelines-venv/bin/pip install lifelines pyarrow``) through
``bench/retention_lifelines.py``; data go there as Parquet in a temporary directory,
results come back as JSON. Printed: rows, times and ratios, the largest absolute and
relative coefficient difference of the two Cox fits, the largest Kaplan–Meier survival
difference, and the peak memory (maximum resident set size) of this process.

Usage::

    .venv/bin/python bench/retention.py [--rows 1000000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from welcome_eval.municipalities import municipalities
from welcome_eval.survival import retention

COVARIATES = [f"x{j}" for j in range(8)]
BETA = np.array([0.02, -0.15, 0.1, 0.05, 0.3, -0.25, 0.2, 0.0])
WINDOW_DAYS = 16 * 365
DEFAULT_VENV = Path("/tmp/lifelines-venv")
HERE = Path(__file__).resolve().parent


def register_like(rows: int, seed: int) -> pd.DataFrame:
    """One row per person: ags, time (days, >= 1), event (0/1), x0 … x7."""
    rng = np.random.default_rng(seed)
    munis = municipalities()
    weights = munis["population"].to_numpy(dtype=float)
    ags = rng.choice(munis["ags"].to_numpy(dtype=object), size=rows, p=weights / weights.sum())
    x = np.column_stack(
        [
            rng.uniform(18, 80, rows),  # age at arrival
            rng.normal(0, 1, rows),  # standardised income
            rng.normal(0, 1, rows),  # distance moved (standardised)
            rng.poisson(1.0, rows).astype(float),  # children
            rng.binomial(1, 0.3, rows),  # skilled worker
            rng.binomial(1, 0.5, rows),  # couple
            rng.binomial(1, 0.2, rows),  # foreign origin
            rng.binomial(1, 0.4, rows),  # municipality participating
        ]
    ).astype(float)
    hazard = np.exp(x @ BETA - 0.02 * 45) / (4 * 365)  # per day, ~ 4 years mean stay
    stay = rng.exponential(1 / hazard)
    follow_up = rng.uniform(0, WINDOW_DAYS, rows)  # arrival uniform in the window
    lost = rng.exponential(20 * 365, rows)
    censor = np.minimum(follow_up, lost)
    time_days = np.maximum(np.ceil(np.minimum(stay, censor)), 1.0)
    event = (stay <= censor).astype(int)
    frame = pd.DataFrame({"ags": ags, "time": time_days, "event": event})
    frame[COVARIATES] = x
    return frame


def ensure_venv(venv: Path) -> Path:
    python = venv / "bin" / "python"
    if python.exists():
        return python
    print(f"lifelines venv {venv} missing; creating it:")
    for command in (
        ["python3", "-m", "venv", str(venv)],
        [str(venv / "bin" / "pip"), "install", "-q", "lifelines", "pyarrow"],
    ):
        print("  $", " ".join(command))
        subprocess.run(command, check=True)
    return python


def km_difference(ours: retention.KaplanMeier, theirs: dict) -> float:
    """Largest |S_ours(t) - S_lifelines(t)| over all groups and lifelines' times."""
    largest = 0.0
    table = ours.table
    for label, curve in table.groupby("group", sort=False):
        other = theirs[str(label)]
        t = np.asarray(other["time"])
        s_other = np.asarray(other["survival"])
        # step function of ours at lifelines' times (1 before the first time)
        idx = np.searchsorted(curve["time"].to_numpy(), t, side="right") - 1
        s_ours = np.where(idx >= 0, curve["survival"].to_numpy()[np.maximum(idx, 0)], 1.0)
        largest = max(largest, float(np.max(np.abs(s_ours - s_other))))
    return largest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV, help="lifelines venv")
    parser.add_argument("--no-lifelines", action="store_true", help="time ours only")
    args = parser.parse_args()

    data = register_like(args.rows, args.seed)
    print(
        f"rows: {len(data):,}  events: {int(data['event'].sum()):,}  "
        f"distinct times: {data['time'].nunique():,}  municipalities: {data['ags'].nunique()}"
    )

    t0 = time.perf_counter()
    km = retention.fit_kaplan_meier(data, duration="time", event="event", by="ags")
    km_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    fit = retention.cox(data, duration="time", event="event", covariates=COVARIATES)
    cox_ours = time.perf_counter() - t0
    t0 = time.perf_counter()
    concordance = fit.concordance  # computed on first access, as lifelines' concordance_index_
    concordance_seconds = time.perf_counter() - t0
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"welcome_eval KM by ags:  {km_ours:8.2f} s")
    print(f"welcome_eval cox:        {cox_ours:8.2f} s")
    print(
        f"welcome_eval concordance (first access): {concordance_seconds:.2f} s "
        f"(C = {concordance:.4f}, se {fit.concordance_se:.5f})"
    )
    print(f"peak memory (maxrss) of this process: {peak_mib:,.0f} MiB")
    if args.no_lifelines:
        return

    python = ensure_venv(args.venv)
    with tempfile.TemporaryDirectory(prefix="retention-bench-") as tmp:
        data_path, out_path = Path(tmp) / "data.parquet", Path(tmp) / "lifelines.json"
        data.to_parquet(data_path, index=False)
        subprocess.run(
            [str(python), str(HERE / "retention_lifelines.py"), str(data_path), str(out_path)],
            check=True,
        )
        theirs = json.loads(out_path.read_text(encoding="utf-8"))
    print(f"lifelines {theirs['lifelines']} (pandas {theirs['pandas']}):")
    km_theirs = theirs["km_seconds"]
    print(
        f"lifelines KM by ags:     {km_theirs:8.2f} s   ratio lifelines/ours: "
        f"{km_theirs / km_ours:6.1f}x"
    )
    coef = fit.coefficients.set_index("term").loc[COVARIATES, "coef"].to_numpy()
    for label in ("default", "precision_1e-12"):
        other = theirs[f"cox_{label}"]
        diff = np.abs(coef - np.asarray(other["coef"]))
        print(
            f"lifelines cox ({label:>15}): {other['seconds']:8.2f} s   ratio lifelines/ours: "
            f"{other['seconds'] / cox_ours:6.1f}x   max |coef diff| {diff.max():.2e}, "
            f"max rel {np.max(diff / np.abs(coef)):.2e}"
        )
    print(f"largest KM survival difference: {km_difference(km, theirs['km']):.2e}")
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"peak memory (maxrss) of the lifelines process: {children:,.0f} MiB")


if __name__ == "__main__":
    main()
