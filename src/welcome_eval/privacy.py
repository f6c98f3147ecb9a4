"""Privacy at ingest and before publication.

* Identifiers are pseudonymised with a keyed hash (HMAC-SHA-256), so the same
  person gets the same pseudonym across waves without the key ever being in
  the repository.
* Free-text answers are redacted before anything can reach a report: e-mail
  addresses, telephone numbers, web addresses and street addresses.
* Every table and figure a report shows passes :func:`protect` (disclosure
  control) or is declared :func:`not_personal`; :mod:`welcome_eval.display`
  refuses anything else, so the gate cannot be forgotten.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from welcome_eval.config import PSEUDONYM_KEY_ENV
from welcome_eval.disclosure import SuppressedTable, suppress

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
# A capitalised word (or double name) after a salutation or title is a name:
# "Frau Oberbeck-Lindemann", "Herrn Dr. Peters", "Bürgermeisterin Schulte".
_SALUTED_NAME = re.compile(
    r"\b(?P<title>(?:Frau|Herrn?|Fr\.|Hr\.|Dr\.|Prof\.|Bürgermeister(?:in)?)"
    r"(?:\s+(?:Dr\.|Prof\.))*)\s+(?P<name>[A-ZÄÖÜ][a-zäöüß]+(?:-[A-ZÄÖÜ][a-zäöüß]+)?)\b"
)


def _looks_like_phone(match: re.Match[str]) -> bool:
    digits = re.sub(r"\D", "", match.group(0))
    # Years, dates and small counts are not telephone numbers.
    return len(digits) >= 6 and not re.fullmatch(r"\d{1,2}\.\d{1,2}\.\d{2,4}", match.group(0))


def redact_text(text: str | None) -> str | None:
    """Remove e-mail addresses, web addresses, phone numbers, street addresses
    and names after a salutation or title ("Frau Schulte", "Herrn Dr. Peters").

    Each is replaced by ``[entfernt]``. ``None`` and missing values pass through.
    Names without salutation are removed by :func:`redact_answers` from a list
    (the codebook's ``privacy: names:``).

    Examples
    --------
    >>> redact_text("Bitte an max@example.org oder 02761 / 94 12-0 melden")
    'Bitte an [entfernt] oder [entfernt] melden'
    >>> redact_text("Frau Oberbeck-Lindemann hat geholfen; meine Frau sucht Arbeit.")
    'Frau [entfernt] hat geholfen; meine Frau sucht Arbeit.'
    """
    if text is None or (isinstance(text, float) and text != text) or text is pd.NA:
        return text
    text = _EMAIL.sub(REDACTED, str(text))
    text = _URL.sub(REDACTED, text)
    text = _STREET.sub(REDACTED, text)
    text = _PHONE.sub(lambda m: REDACTED if _looks_like_phone(m) else m.group(0), text)
    text = _SALUTED_NAME.sub(lambda m: f"{m.group('title')} {REDACTED}", text)
    return text


def redact_series(values: pd.Series) -> pd.Series:
    """:func:`redact_text` over a Series of free-text answers."""
    return values.map(redact_text)


# ---------------------------------------------------------------------------
# the gate before publication

#: Default minimum number of respondents behind every value a report shows.
DEFAULT_MIN_N = 5


@dataclass(frozen=True)
class NotPersonal:
    """A table declared free of person-level groups (e.g. one row per municipality
    from the participation record), with the reason why, so a report can show it."""

    table: pd.DataFrame
    reason: str


def protect(
    table: pd.DataFrame,
    *,
    counts: str | Mapping[str, str] | None = "n",
    min_n: int = DEFAULT_MIN_N,
    unit: str = "Antwortende",
    **kwargs: Any,
) -> SuppressedTable:
    """Pass a table about people through disclosure control before it is shown.

    The one gate of every report: :func:`welcome_eval.display.show_table` and
    :func:`welcome_eval.display.show_figure` accept only what came through
    here (or through :func:`not_personal`). Tidy tables name their count
    column in ``counts`` (groups with fewer than ``min_n`` respondents lose
    their values, with secondary suppression when a total row is published);
    two-way frequency tables pass ``counts=None``. Further keywords go to
    :func:`welcome_eval.disclosure.suppress` (``totals``, ``values``,
    ``force`` …); municipality × respondent role is refused there. ``unit``
    names what the counts count in the footnote ("Kommunen" for tables of
    municipalities' self-assessments, "Personen" for register data).

    Examples
    --------
    >>> t = pd.DataFrame({"district": ["Olpe", "Soest"], "n": [3, 40], "mean": [4.0, 3.5]})
    >>> protect(t, counts="n").display()
      district   n mean
    0     Olpe   .    .
    1    Soest  40  3.5
    """
    result = suppress(table, counts=counts, min_n=min_n, **kwargs)
    return dataclasses.replace(result, unit=unit) if unit != result.unit else result


def not_personal(table: pd.DataFrame, reason: str) -> NotPersonal:
    """Declare that ``table`` shows no groups of people (say why, in German).

    For tables whose rows are municipalities, dates or methods — not
    respondents or register persons. The reason is kept with the table so a
    reviewer can check the claim.

    Examples
    --------
    >>> not_personal(pd.DataFrame({"Gemeinde": ["Olpe"]}), "Teilnahme der Gemeinden").reason
    'Teilnahme der Gemeinden'
    """
    if not isinstance(table, pd.DataFrame):
        raise TypeError(f"not_personal expects a DataFrame, got {type(table).__name__}")
    if not str(reason).strip():
        raise ValueError("not_personal needs a reason why the table shows no persons")
    return NotPersonal(table, str(reason))


class RedactedAnswers(list):
    """Open answers that passed :func:`redact_answers` (the only kind a report lists)."""


def redact_answers(
    texts: pd.Series,
    *,
    groups: pd.Series | None = None,
    min_n: int = DEFAULT_MIN_N,
    names: Iterable[str] = (),
) -> RedactedAnswers:
    """Open answers ready for a report: redacted, and only from large enough groups.

    E-mail addresses, web addresses, telephone numbers, street addresses
    (:func:`redact_text`) and the given ``names`` (whole words, e.g. from the
    codebook's ``privacy: names:`` list) become ``[entfernt]``. When
    ``groups`` (aligned with ``texts``, e.g. the municipality of each
    respondent) is given, answers from groups with fewer than ``min_n``
    respondents are left out: a remark from a group of two is recognisable
    by content alone. Empty answers are dropped; the order is kept.

    Examples
    --------
    >>> redact_answers(pd.Series(["Danke, Frau Kowalski!", "mail: a@b.de"]), names=["Kowalski"])
    ['Danke, Frau [entfernt]!', 'mail: [entfernt]']
    """
    if groups is not None:
        if len(groups) != len(texts):
            raise ValueError("groups must have one entry per answer")
        sizes = groups.map(groups.value_counts())
        texts = texts[(sizes >= min_n).to_numpy()]
    words = sorted({str(n).strip() for n in names if str(n).strip()}, key=len, reverse=True)
    pattern = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\b") if words else None
    out = RedactedAnswers()
    for text in texts.dropna():
        cleaned = redact_text(str(text))
        if pattern is not None:
            cleaned = pattern.sub(REDACTED, cleaned)
        if cleaned and cleaned.strip():
            out.append(cleaned)
    return out
