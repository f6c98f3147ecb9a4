"""The same numbers on every processor (issue 11).

Every R reference Cox fit is computed in separate processes, each with another
OpenBLAS kernel (``OPENBLAS_CORETYPE``) and thread count. Decisions — ties of
the linear predictor and hence the concordance, its counts and its standard
error — must be bit-identical; estimates that go through BLAS sums may differ
in the last bits only. On one processor the old ``x @ beta`` gave R's counts
under the Haswell kernel and broke a tie under SkylakeX (12545 concordant
pairs instead of R's 12544 on lung).
"""

from __future__ import annotations

import ctypes
import glob
import json
import os
import platform
import subprocess
import sys
from pathlib import Path

import numpy as np

TESTS = Path(__file__).parent

#: Coefficients, SEs, log likelihoods and cox.zph go through BLAS products and
#: LAPACK solves whose kernels sum in another order; the largest relative
#: difference seen between two kernels over all reference fits is 3.6e-12.
RTOL_BLAS = 1e-10

SCRIPT = """
import ctypes, glob, json, os, sys
import numpy
sys.path.insert(0, sys.argv[1])
import test_retention
libs = glob.glob(os.path.join(os.path.dirname(numpy.__file__) + ".libs", "*openblas*.so*"))
core = "unknown"
for path in libs:
    lib = ctypes.CDLL(path)
    for name in ("scipy_openblas_get_corename64_", "openblas_get_corename64_",
                 "openblas_get_corename"):
        if hasattr(lib, name):
            function = getattr(lib, name)
            function.restype = ctypes.c_char_p
            core = function().decode()
print(json.dumps({"core": core, "fits": test_retention.cox_fingerprint()}))
"""


def _cpu_flags() -> set[str]:
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return set()
    for line in text.splitlines():
        if line.startswith("flags"):
            return set(line.split(":", 1)[1].split())
    return set()


def _variants() -> list[dict[str, str]]:
    """Kernel and thread settings this processor can run, the default first."""
    variants = [{}]
    if platform.machine() in ("x86_64", "AMD64"):
        flags = _cpu_flags()
        variants.append({"OPENBLAS_CORETYPE": "Prescott", "OPENBLAS_NUM_THREADS": "1"})
        if {"avx2", "fma"} <= flags:
            variants.append({"OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "2"})
        if "avx512f" in flags:
            variants.append({"OPENBLAS_CORETYPE": "SkylakeX", "OPENBLAS_NUM_THREADS": "1"})
    else:
        variants.append({"OPENBLAS_NUM_THREADS": "1"})
    return variants


def _run(variant: dict[str, str]) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENBLAS_")}
    env.update(variant)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(TESTS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"{variant}: exit {done.returncode}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def _floats(value: object) -> np.ndarray:
    values = value if isinstance(value, list) else [value]
    return np.array([float.fromhex(v) for v in values], dtype=float)


def test_reference_fits_agree_across_blas_kernels_and_threads() -> None:
    runs = [(variant, _run(variant)) for variant in _variants()]
    cores = {run["core"] for _, run in runs}
    if platform.machine() in ("x86_64", "AMD64"):
        # the comparison means something only if two kernels really ran
        assert len(cores) >= 2, f"only one OpenBLAS kernel ran: {cores}"
    (_, first), *others = runs
    assert len(first["fits"]) == 16
    for variant, run in others:
        for case, fit in first["fits"].items():
            theirs = run["fits"][case]
            where = f"{case} under {variant} ({run['core']} vs {first['core']})"
            # decisions: bit for bit
            assert theirs["counts"] == fit["counts"], where
            assert theirs["concordance"] == fit["concordance"], where
            assert theirs["concordance_se"] == fit["concordance_se"], where
            for name in ("coef", "se", "robust_se", "loglik", "zph"):
                np.testing.assert_allclose(
                    _floats(theirs[name]), _floats(fit[name]), rtol=RTOL_BLAS, err_msg=where
                )


def test_the_openblas_probe_finds_the_library() -> None:
    # guards the test above: a renamed library would silently report "unknown"
    import numpy

    libs = glob.glob(os.path.join(os.path.dirname(numpy.__file__) + ".libs", "*openblas*.so*"))
    names = ("scipy_openblas_get_corename64_", "openblas_get_corename64_", "openblas_get_corename")
    found = [name for path in libs for name in names if hasattr(ctypes.CDLL(path), name)]
    assert found, f"no OpenBLAS corename function in {libs}"
