"""lifelines side of ``bench/retention.py`` (runs in a separate venv: lifelines needs pandas < 3).

Usage: ``/tmp/lifelines-venv/bin/python bench/retention_lifelines.py DATA.parquet OUT.json``

Reads the data written by ``bench/retention.py``, times lifelines' KaplanMeierFitter (one
fit per municipality) and CoxPHFitter (Efron ties; lifelines' default precision and
1e-12), and writes the timings, the Cox coefficients and the Kaplan–Meier survival at the
curves' own times to JSON.
"""

from __future__ import annotations

import json
import sys
import time

import lifelines
import pandas as pd
from lifelines import CoxPHFitter, KaplanMeierFitter

COVARIATES = [f"x{j}" for j in range(8)]


def main(data_path: str, out_path: str) -> None:
    data = pd.read_parquet(data_path)
    result: dict = {"lifelines": lifelines.__version__, "pandas": pd.__version__}

    t0 = time.perf_counter()
    curves = {}
    for ags, part in data.groupby("ags", sort=True):
        km = KaplanMeierFitter().fit(part["time"], part["event"])
        sf = km.survival_function_
        curves[str(ags)] = {
            "time": sf.index.to_numpy(dtype=float).tolist(),
            "survival": sf.iloc[:, 0].to_numpy(dtype=float).tolist(),
        }
    result["km_seconds"] = time.perf_counter() - t0
    result["km"] = curves

    frame = data[["time", "event", *COVARIATES]]
    for label, options in (("default", None), ("precision_1e-12", {"precision": 1e-12})):
        t0 = time.perf_counter()
        cph = CoxPHFitter()
        cph.fit(frame, duration_col="time", event_col="event", fit_options=options)
        seconds = time.perf_counter() - t0
        result[f"cox_{label}"] = {
            "seconds": seconds,
            "coef": cph.params_.reindex(COVARIATES).to_numpy(dtype=float).tolist(),
            "se": cph.standard_errors_.reindex(COVARIATES).to_numpy(dtype=float).tolist(),
            "loglik": float(cph.log_likelihood_),
        }
    with open(out_path, "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    print(f"lifelines done: KM {result['km_seconds']:.2f} s", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
