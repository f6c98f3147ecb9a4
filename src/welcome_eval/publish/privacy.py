"""Privacy before publication (pseudonymisation at ingest is
:mod:`welcome_eval.ingest.pseudonym`).

* Free-text answers are redacted before anything can reach a report: names,
  e-mail addresses, telephone numbers, web addresses, IBANs and account
  numbers, street addresses (:mod:`welcome_eval.publish.redaction`).
* Every table and figure a report shows passes :func:`protect` (disclosure
  control) or is declared :func:`not_personal`; :mod:`welcome_eval.publish.display`
  refuses anything else, so the gate cannot be forgotten.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd

from welcome_eval.publish import redaction
from welcome_eval.publish.disclosure import SuppressedTable, suppress

__all__ = [
    "DEFAULT_MIN_N",
    "REDACTED",
    "NotPersonal",
    "RedactedAnswers",
    "RedactionScores",
    "not_personal",
    "protect",
    "read_redaction_corpus",
    "redact_answers",
    "redact_series",
    "redact_text",
    "redaction_scores",
]

REDACTED = redaction.REDACTED
#: Quality of the redaction on a labelled corpus (see :mod:`welcome_eval.publish.redaction`).
redaction_scores = redaction.redaction_scores
read_redaction_corpus = redaction.read_redaction_corpus
RedactionScores = redaction.RedactionScores


def redact_text(text: str | None, *, names: Sequence[str] = ()) -> str | None:
    """Remove personal data from a free-text answer (:mod:`welcome_eval.publish.redaction`).

    The text is repaired first (mojibake, NUL bytes); then names (after a
    salutation or title, with particles and title chains, "Familie …", full
    names and first names from the shipped list, and the given ``names``),
    e-mail addresses (also obfuscated), web addresses and domains, IBANs and
    account numbers, telephone numbers, street addresses, dates of birth and
    licence plates each become ``[entfernt]``. ``None`` and missing values pass through.

    Examples
    --------
    >>> redact_text("Bitte an max@example.org oder 02761 / 94 12-0 melden")
    'Bitte an [entfernt] oder [entfernt] melden'
    >>> redact_text("Frau Oberbeck-Lindemann hat geholfen; meine Frau sucht Arbeit.")
    'Frau [entfernt] hat geholfen; meine Frau sucht Arbeit.'
    >>> redact_text("Herr Dr. med. Schulz und FRAU MÃœLLER, Siegener Straße 45")
    'Herr Dr. med. [entfernt] und FRAU [entfernt], [entfernt]'
    """
    if text is None or (isinstance(text, float) and text != text) or text is pd.NA:
        return text
    return redaction.redact(str(text), names=names)


def redact_series(values: pd.Series, *, names: Sequence[str] = ()) -> pd.Series:
    """:func:`redact_text` over a Series of free-text answers."""
    return values.map(lambda value: redact_text(value, names=names))


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

    The one gate of every report: :func:`welcome_eval.publish.display.show_table` and
    :func:`welcome_eval.publish.display.show_figure` accept only what came through
    here (or through :func:`not_personal`). Tidy tables name their count
    column in ``counts`` (groups with fewer than ``min_n`` respondents lose
    their values, with secondary suppression when a total row is published);
    two-way frequency tables pass ``counts=None``. Further keywords go to
    :func:`welcome_eval.publish.disclosure.suppress` (``totals``, ``values``,
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

    Personal data (:func:`redact_text`) and the given ``names`` (whole words,
    any case, also in the genitive, e.g. from the codebook's ``privacy:
    names:`` list) become ``[entfernt]``. When
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
    listed = tuple(names)
    out = RedactedAnswers()
    for text in texts.dropna():
        cleaned = redact_text(str(text), names=listed)
        if cleaned and cleaned.strip():
            out.append(cleaned)
    return out
