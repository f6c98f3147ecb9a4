"""Privacy at ingest and before publication.

* Identifiers are pseudonymised with a keyed hash (HMAC-SHA-256), so the same
  person gets the same pseudonym across waves without the key ever being in
  the repository.
* Free-text answers are redacted before anything can reach a report: e-mail
  addresses, telephone numbers, web addresses and street addresses.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re

import pandas as pd

from welcome_eval.config import PSEUDONYM_KEY_ENV

#: Key used for the synthetic demo data only; real waves need their own key.
DEMO_KEY = "welcome-eval-demo-data"


class PseudonymKeyMissing(RuntimeError):
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


_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
# Telephone numbers as Germans write them: +49 / 0049 / 0 prefix, groups
# separated by spaces, slashes, dashes or dots, at least 6 digits in all.
_PHONE = re.compile(
    r"(?<!\w)(?<!\d\.)(?:\+|00)?\d[\d\s/().-]{4,}\d(?!\w)(?!\.\d)",
)
_STREET = re.compile(
    r"\b[A-ZÄÖÜ][\wäöüß.-]*(?:straße|strasse|str\.|weg|gasse|platz|allee|ring|damm|ufer)"
    r"\s+\d+(?:\s?[a-z]\b)?",
    re.UNICODE,
)

REDACTED = "[entfernt]"


def _looks_like_phone(match: re.Match[str]) -> bool:
    digits = re.sub(r"\D", "", match.group(0))
    # Years, dates and small counts are not telephone numbers.
    return len(digits) >= 6 and not re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{2,4}", match.group(0))


def redact_text(text: str | None) -> str | None:
    """Remove e-mail addresses, web addresses, phone numbers and street addresses.

    Each is replaced by ``[entfernt]``. ``None`` and missing values pass through.

    Examples
    --------
    >>> redact_text("Bitte an max@example.org oder 02761 / 94 12-0 melden")
    'Bitte an [entfernt] oder [entfernt] melden'
    """
    if text is None or (isinstance(text, float) and text != text) or text is pd.NA:
        return text
    text = _EMAIL.sub(REDACTED, str(text))
    text = _URL.sub(REDACTED, text)
    text = _STREET.sub(REDACTED, text)
    text = _PHONE.sub(lambda m: REDACTED if _looks_like_phone(m) else m.group(0), text)
    return text


def redact_series(values: pd.Series) -> pd.Series:
    """:func:`redact_text` over a Series of free-text answers."""
    return values.map(redact_text)
