"""Pseudonymisation at ingest.

Identifiers are replaced by a keyed hash (HMAC-SHA-256), so the same person gets
the same pseudonym across waves without the key ever being in the repository.
"""

from __future__ import annotations

import hashlib
import hmac
import os

import pandas as pd

from welcome_eval.config import PSEUDONYM_KEY_ENV
from welcome_eval.errors import WelcomeEvalError

__all__ = ["DEMO_KEY", "PseudonymKeyMissing", "pseudonym_key", "pseudonymise"]

#: Key used for the synthetic demo data only; real waves need their own key.
DEMO_KEY = "welcome-eval-demo-data"


class PseudonymKeyMissing(WelcomeEvalError, RuntimeError):
    """Real data cannot be pseudonymised because no key is configured."""


def pseudonym_key(*, demo: bool) -> bytes:
    """The pseudonymisation key from the environment (or the demo key for demo data)."""
    key = os.environ.get(PSEUDONYM_KEY_ENV)
    if key:
        return key.encode("utf-8")
    if demo:
        return DEMO_KEY.encode("utf-8")
    raise PseudonymKeyMissing(
        f"Set the environment variable {PSEUDONYM_KEY_ENV} to the project's secret key "
        "before reading real survey or register data (identifiers are pseudonymised "
        "with it; the key must never be committed)."
    )


def pseudonymise(values: pd.Series, key: bytes, *, length: int = 16) -> pd.Series:
    """Replace identifiers by keyed hashes: ``HMAC-SHA-256(key, value)``, hex, truncated.

    Missing values stay missing. The same value and key always give the same
    pseudonym; without the key the mapping cannot be recomputed.

    Examples
    --------
    >>> pseudonymise(pd.Series(["17", "18"]), b"k").str.len().tolist()
    [16, 16]
    """

    def digest(value: object) -> object:
        if value is None or (isinstance(value, float) and value != value):
            return pd.NA
        text = str(value).strip()
        return hmac.new(key, text.encode("utf-8"), hashlib.sha256).hexdigest()[:length]

    return values.map(digest).astype("string")
