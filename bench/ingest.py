"""Benchmark: read + validate a large wave against plain ``pandas.read_csv``.

Builds a German-Excel CSV (semicolon, cp1252) with N rows and 40 Likert items
(missing codes, blanks, a few invalid values), then times, in one process:

* plain: ``pandas.read_csv(path, sep=";", encoding="cp1252")`` (no checks);
* welcome_eval: ``read_raw`` + ``validate`` (codebook mapping, parsing, missing
  codes, pandera checks, row-level validation table).

Usage: ``.venv/bin/python bench/ingest.py [--rows 1000000]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from welcome_eval.ingest.codebook import Codebook
from welcome_eval.ingest.readers import read_raw
from welcome_eval.ingest.validation import validate
from welcome_eval.municipalities import municipalities

N_ITEMS = 40


def bench_codebook() -> Codebook:
    items = [
        {"id": "lfdn", "type": "id", "required": True},
        {"id": "ags", "type": "municipality", "required": True},
        {"id": "datum", "type": "date"},
    ]
    items += [
        {"id": f"q{i:02d}", "type": "likert", "scale": "five", "construct": f"c{i // 8}"}
        for i in range(N_ITEMS)
    ]
    return Codebook.from_dict(
        {
            "survey": "bench",
            "respondent_id": "lfdn",
            "municipality": "ags",
            "missing_codes": {-9: "weiß nicht", -99: "keine Angabe"},
            "scales": {"five": {"type": "likert", "values": {i: str(i) for i in range(1, 6)}}},
            "items": items,
        }
    )


def write_wave(path: Path, rows: int, seed: int = 1) -> None:
    rng = np.random.default_rng(seed)
    keys = municipalities()["ags"].to_numpy()
    answers = rng.integers(1, 6, size=(rows, N_ITEMS)).astype(object)
    answers[rng.random((rows, N_ITEMS)) < 0.05] = -9
    answers[rng.random((rows, N_ITEMS)) < 0.03] = ""
    answers[rng.random((rows, N_ITEMS)) < 0.0001] = 7  # invalid: quarantined
    frame = pd.DataFrame(answers, columns=[f"q{i:02d}" for i in range(N_ITEMS)])
    frame.insert(0, "datum", "14.06.2021")
    frame.insert(0, "ags", rng.choice(keys, size=rows))
    frame.insert(0, "lfdn", np.arange(1, rows + 1))
    frame.to_csv(path, sep=";", index=False, encoding="cp1252")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    codebook = bench_codebook()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "wave.csv"
        write_wave(path, args.rows)
        size = path.stat().st_size / 1e6

        started = time.perf_counter()
        plain = pd.read_csv(path, sep=";", encoding="cp1252")
        plain_s = time.perf_counter() - started

        started = time.perf_counter()
        raw = read_raw(path)
        read_s = time.perf_counter() - started
        result = validate(raw, codebook)
        total_s = time.perf_counter() - started

    counts = result.counts
    print(
        f"wave: {args.rows:,} rows x {N_ITEMS} items ({size:.0f} MB CSV); "
        f"quarantined {counts['quarantined']:,}, issues {len(result.issues):,}"
    )
    print(f"plain pandas.read_csv:      {plain_s:6.2f} s  {args.rows / plain_s:12,.0f} rows/s")
    print(f"welcome_eval read:          {read_s:6.2f} s")
    print(f"welcome_eval read+validate: {total_s:6.2f} s  {args.rows / total_s:12,.0f} rows/s")
    print(f"ratio read+validate / plain read_csv: {total_s / plain_s:.1f}x")
    del plain


if __name__ == "__main__":
    main()
