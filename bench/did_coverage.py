r"""Coverage study of the programme-effect intervals (Callaway & Sant'Anna, overall ATT).

For each seed ``s`` the synthetic register (:func:`welcome_eval.synth.register.register_extract`)
is generated twice with common random numbers: planted (``effect=0.8``, hazard ratio of
leaving the region for person-time after the join date) and placebo (``effect=1.0``).
Both use the join dates of :func:`welcome_eval.synth.participation_record` with the same seed,
so the participation pattern -- and with it the estimand -- changes from seed to seed.
Each register goes through the notebook pipeline: :func:`arrival_cohorts` (horizon 2
years, extract date 31.12.2025), :func:`group_time_effects` (``control="notyet"``,
``anticipation=horizon_years + 1 = 3``, weights ``n``, ``--boot`` multiplier-bootstrap
draws with bootstrap seed ``s``) and :func:`aggregate_effects` (``kind="overall"``), and
the study records whether the 95 % interval ``att ± 1.96·se`` contains the true value.

The true value (per seed)
    The estimand is the overall ATT of the estimator, θ = Σ_(g,t) v_gt ATT(g, t) with
    v_gt = p_g / (number of post cells of group g), normalised, over the post cells
    (t ≥ g) that have an estimate; ATT(g, t) is the effect on the share of an arrival
    cohort still in the region two years after its move-in, in percentage points.
    Because the generator draws identical random numbers for ``effect=0.8`` and
    ``effect=1.0``, the placebo register is the *counterfactual* of the planted one: the
    same persons, dates and destinations, except that moves out of the region that fell
    into exposed person-time happen later (or not within the horizon). So for
    municipality i and cohort year t the unit-level effect is known exactly:

    .. math:: \tau_{it} = \text{retained}_{it}(0.8) - \text{retained}_{it}(1.0),

    and the true value is the *sample* ATT on the treated, aggregated exactly like the
    estimator aggregates ATT(g, t):

    .. math:: \theta_s = \sum_{(g,t)\ \text{post}} v_{gt}
              \frac{\sum_{i \in G_g} w_i \tau_{it}}{\sum_{i \in G_g} w_i},

    with the estimator's unit weights w_i (mean cohort size ``n`` of the municipality
    over its cohorts, taken from the *planted* data -- the sizes differ between the
    two runs only through the rare deaths that a later move lets into the horizon),
    group weights p_g = Σ_{i∈G_g} w_i, and the same cells and the same treated units
    per cell as the estimator. It is computed by running :func:`group_time_effects` and
    :func:`aggregate_effects` on the panel with outcome τ (and the planted ``n``): the
    estimator is linear in the outcome, the base cohort g − 4 is unexposed (τ = 0) and
    so are the never- and not-yet-treated controls (τ = 0; the script checks that τ is
    exactly 0 on every unexposed cohort, i.e. that the random numbers are common), so
    the control term vanishes and what remains is θ_s above. The placebo's true value is 0.

    θ_s is a conditional (sample) estimand: it includes the realised persons of seed s.
    The bootstrap resamples municipalities and targets the variability of the estimate
    around the population ATT; the difference between the two is the person-level noise
    of τ, which is small next to the municipal heterogeneity of the cohort shares. The
    table therefore shows the spread of θ_s (sd truth) beside the empirical SE.

Bootstrap draws
    ``--boot`` defaults to 199 (the package default is 999) to keep the study fast. The
    bootstrap SE from 199 draws has a relative Monte-Carlo error of about
    1/sqrt(2·198) ≈ 5 %, which widens the spread of the interval widths and pulls the
    coverage slightly (a few tenths of a percentage point) below the value with many draws;
    coverage with fewer draws is thus slightly noisier, not biased in a way that matters
    at 200 seeds (whose own binomial error is ±1.5 percentage points).

Output
    Seeds, scale, mean estimate vs mean truth (bias), empirical SE (sd of the estimate
    and of estimate − truth) vs mean bootstrap SE, coverage of the 95 % intervals for
    the planted and the placebo data with a Wilson 95 % interval for the coverage, whether
    the planted coverage lies in the project's acceptance band [0.92, 0.98], and the share
    of seeds with unreliable cells (``n_unreliable_cells > 0`` or ``reliable`` False).

Usage: ``.venv/bin/python bench/did_coverage.py [--seeds 200] [--scale 0.5] [--boot 199]
[--csv seeds.csv]`` (2 worker processes; ``--csv`` keeps the per-seed results).
``--scale`` is the share of households kept (0.5: about 165,000 persons per register).
One seed -- both registers, three estimations -- takes about 2.5 s per worker at 0.5 and
about 5 s at 1.0 (the generator draws the random numbers of the full register whatever
the scale), so 200 seeds take about 4 minutes on 2 cores.
"""

from __future__ import annotations

import argparse
import math
import time
from multiprocessing import Pool

import numpy as np
import pandas as pd

from welcome_eval.survival import programme_effect as pe
from welcome_eval.synth import participation
from welcome_eval.synth import register as sr

HORIZON = 2
ANTICIPATION = HORIZON + 1
Z95 = 1.959963984540054
BAND = (0.92, 0.98)
FIRST_SEED = 1


def _overall(cohorts: pd.DataFrame, *, n_boot: int, seed: int) -> pd.Series:
    effects = pe.group_time_effects(cohorts, anticipation=ANTICIPATION, n_boot=n_boot, seed=seed)
    return pe.aggregate_effects(effects, kind="overall").iloc[0]


def one_seed(task: tuple[int, float, int]) -> dict:
    """Planted and placebo estimate, interval and true value for one seed."""
    seed, scale, n_boot = task
    record = participation(seed)
    cohorts = {}
    for name, effect in (("planted", sr.PLANTED_HAZARD_RATIO), ("placebo", 1.0)):
        register = sr.register_extract(seed, scale=scale, effect=effect)
        cohorts[name] = pe.arrival_cohorts(
            register, record, horizon_years=HORIZON, extract_date=sr.EXTRACT_DATE
        )
    planted, placebo = cohorts["planted"], cohorts["placebo"]
    keys = ["ags", "cohort_year"]
    merged = planted.merge(placebo[[*keys, "retained"]], on=keys, how="outer", suffixes=("", "_0"))
    if len(merged) != len(planted) or len(merged) != len(placebo):
        raise RuntimeError(f"seed {seed}: planted and placebo cohorts differ in their rows")
    tau = merged["retained"] - merged["retained_0"]
    unexposed = merged["join_year"].isna() | (
        merged["cohort_year"] < merged["join_year"] - ANTICIPATION
    )
    if (tau[unexposed].abs() > 0).any():
        raise RuntimeError(f"seed {seed}: unexposed cohorts differ (no common random numbers)")
    truth_panel = merged[[*keys, "join_year", "n"]].assign(retained=tau)
    truth = _overall(truth_panel, n_boot=2, seed=seed)
    row: dict = {"seed": seed, "truth": float(truth["att"])}
    for name, frame in cohorts.items():
        overall = _overall(frame, n_boot=n_boot, seed=seed)
        row[f"{name}_att"] = float(overall["att"])
        row[f"{name}_se"] = float(overall["se"])
        row[f"{name}_cells"] = int(overall["n_cells"])
        row[f"{name}_unreliable"] = int(overall["n_unreliable_cells"]) > 0 or not bool(
            overall["reliable"]
        )
    if row["planted_cells"] != int(truth["n_cells"]):
        raise RuntimeError(f"seed {seed}: truth and estimate aggregate different cells")
    return row


def wilson(hits: int, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion."""
    p = hits / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=200)
    parser.add_argument("--scale", type=float, default=0.5)
    parser.add_argument("--boot", type=int, default=199)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--csv", help="also write the per-seed results to this CSV file")
    args = parser.parse_args()
    tasks = [(s, args.scale, args.boot) for s in range(FIRST_SEED, FIRST_SEED + args.seeds)]
    started = time.perf_counter()
    with Pool(args.workers) as pool:
        rows = pool.map(one_seed, tasks, chunksize=1)
    elapsed = time.perf_counter() - started
    res = pd.DataFrame(rows)
    if args.csv:
        res.to_csv(args.csv, index=False)
    n = len(res)

    print(
        f"seeds: {n} ({FIRST_SEED}-{FIRST_SEED + n - 1}), scale {args.scale:g}, "
        f"bootstrap draws {args.boot}, workers {args.workers}, {elapsed:.0f} s "
        f"({elapsed * args.workers / n:.1f} s per seed and worker)"
    )
    print("overall ATT, percentage points (horizon 2 years, anticipation 3, not-yet controls)")
    header = (
        f"{'data':8} {'mean est':>9} {'mean truth':>11} {'bias':>7} {'sd truth':>9} "
        f"{'emp SE':>7} {'sd(est-truth)':>14} {'boot SE':>8} {'coverage':>9} {'Wilson 95 %':>16}"
    )
    print(header)
    coverage = {}
    for name in ("planted", "placebo"):
        att, se = res[f"{name}_att"].to_numpy(), res[f"{name}_se"].to_numpy()
        truth = res["truth"].to_numpy() if name == "planted" else np.zeros(n)
        error = att - truth
        hits = int((np.abs(error) <= Z95 * se).sum())
        low, high = wilson(hits, n)
        coverage[name] = hits / n
        print(
            f"{name:8} {att.mean() * 100:9.3f} {truth.mean() * 100:11.3f} "
            f"{error.mean() * 100:+7.3f} {truth.std(ddof=1) * 100:9.3f} "
            f"{att.std(ddof=1) * 100:7.3f} {error.std(ddof=1) * 100:14.3f} "
            f"{se.mean() * 100:8.3f} {hits / n:9.3f} {f'[{low:.3f}, {high:.3f}]':>16}"
        )
    inside = BAND[0] <= coverage["planted"] <= BAND[1]
    print(
        f"planted coverage {coverage['planted']:.3f} in acceptance band "
        f"[{BAND[0]:.2f}, {BAND[1]:.2f}]: {'yes' if inside else 'NO'}"
    )
    planted_err = res["planted_att"] - res["truth"]
    print(
        "diagnostics: mean bias / mean boot SE "
        f"{planted_err.mean() / res['planted_se'].mean():+.2f}; "
        f"boot SE / sd(est-truth) {res['planted_se'].mean() / planted_err.std(ddof=1):.2f} "
        f"(planted), {res['placebo_se'].mean() / res['placebo_att'].std(ddof=1):.2f} (placebo)"
    )
    print(
        "seeds with unreliable cells: "
        f"planted {res['planted_unreliable'].mean():.3f}, "
        f"placebo {res['placebo_unreliable'].mean():.3f}"
    )


if __name__ == "__main__":
    main()
