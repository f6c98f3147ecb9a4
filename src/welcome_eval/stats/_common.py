"""Helpers shared by the modules of :mod:`welcome_eval.stats`: the input checks and
pingouin, imported on first use with its rounding switched off.

A private module: its helpers have public names so that the topic modules
(``likert``, ``trends``, ``reliability``, ``comparisons``, ``drivers``) import them
without reaching for another module's underscore names; they are not part of
the package's API and :mod:`welcome_eval.stats` does not re-export them.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import ModuleType

import numpy as np
import pandas as pd

from welcome_eval.ingest.codebook import Codebook

__all__ = [
    "as_item_list",
    "lazy_pingouin",
    "numeric_column",
    "valid_answers",
    "weights_array",
]


# ---------------------------------------------------------------------------
# pingouin


@contextmanager
def lazy_pingouin() -> Iterator[ModuleType]:
    """pingouin, imported on first use, with all of its rounding switched off.

    ``import pingouin`` costs about 0.7 s (it imports scikit-learn and xarray), so
    it happens here and not when :mod:`welcome_eval.stats` is imported. pingouin
    rounds output columns by the global ``pingouin.options`` (by default
    ``round.column.CI95 = 2``: t intervals to two decimals, up to 5e-3 away from
    R). For the call every ``round`` option is cleared; the user's options are
    restored afterwards. Two warnings are silenced: scipy's "Precision loss …
    catastrophic cancellation", which fires on a group whose answers are all
    equal (the variance is exactly 0, nothing is lost), and pandas 3.1's
    deprecation of ``dropna(inplace=True)``, which :func:`pingouin.anova` uses
    (pandas 4 will remove it; the reference tests will then fail loudly).
    """
    import pingouin

    saved = dict(pingouin.options)
    pingouin.options.clear()
    pingouin.options.update({k: v for k, v in saved.items() if not k.startswith("round")})
    pingouin.options["round"] = None
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings(
                "ignore", message="Precision loss occurred in moment calculation"
            )
            warnings.filterwarnings(
                "ignore", message="The inplace keyword", category=DeprecationWarning
            )
            yield pingouin
    finally:
        pingouin.options.clear()
        pingouin.options.update(saved)


# ---------------------------------------------------------------------------
# input checks


def as_item_list(items: Sequence[str] | str) -> list[str]:
    if isinstance(items, str):
        return [items]
    items = list(items)
    if not items:
        raise ValueError("items is empty; pass at least one item id (a column of data)")
    for item in items:
        if not isinstance(item, str):
            raise TypeError(f"item ids must be strings, got {item!r} ({type(item).__name__})")
    return items


def numeric_column(data: pd.DataFrame, column: str, *, what: str = "data") -> pd.Series:
    values = data[column]
    if isinstance(values, pd.DataFrame):
        raise ValueError(f"column {column!r} appears more than once in {what}")
    if pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
        raise ValueError(
            f"column {column!r} in {what} has dtype {values.dtype}; expected numeric answer "
            "codes (float, missing codes as NaN)"
        )
    return values.astype(float)


def weights_array(data: pd.DataFrame, weights: str) -> np.ndarray:
    """The weights column as a float array, checked as in
    :func:`~welcome_eval.stats.likert_distribution` (finite, non-negative, no NaN)."""
    w = numeric_column(data, weights)
    if w.isna().any() or not np.isfinite(w).all() or (w < 0).any():
        raise ValueError(
            f"weights column {weights!r} must be finite and non-negative without NaN; "
            f"found {int(w.isna().sum())} NaN and {int((w < 0).sum())} negative values"
        )
    return w.to_numpy()


def valid_answers(data: pd.DataFrame, item: str, codebook: Codebook) -> pd.Series:
    """Non-missing answers of one item, checked against the item's valid codes."""
    values = numeric_column(data, item)
    codes = codebook[item].valid_codes
    if not codes:
        raise ValueError(
            f"item {item!r} has no valid codes in codebook {codebook.survey!r} "
            f"(type {codebook[item].type!r}); only Likert, rating and categorical items qualify"
        )
    valid = values.dropna()
    unexpected = sorted(set(valid.unique()) - {float(code) for code in codes})
    if unexpected:
        shown = ", ".join(f"{value:g}" for value in unexpected[:10])
        raise ValueError(
            f"column {item!r} contains values that are not valid codes of the item "
            f"({shown}); valid codes are {codes}. Turn missing codes (e.g. -9, -99) "
            "into NaN before computing statistics."
        )
    return valid
