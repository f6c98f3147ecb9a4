"""German number and date formatting for reports: 1.234,5 · 45 % · 31.12.2021."""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd

__all__ = [
    "HIDDEN_MARK",
    "date",
    "integer",
    "interval",
    "number",
    "percent",
    "percentage_points",
    "signed",
]

_NARROW_NBSP = "\u202f"

#: Mark for a hidden cell in tables and figures (Destatis: "Zahlenwert unbekannt oder
#: geheim zu halten"); :mod:`welcome_eval.publish.disclosure` hides with it.
HIDDEN_MARK = "."


def number(value: float | int | None, digits: int = 1, *, missing: str = "–") -> str:
    """Format a number the German way: thousands dot, decimal comma.

    >>> number(1234.5)
    '1.234,5'
    >>> number(-0.25, 2)
    '−0,25'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return missing
    text = f"{abs(value):,.{digits}f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return ("−" if value < 0 and float(text.replace(".", "").replace(",", ".")) != 0 else "") + text


def integer(value: float | int | None, *, missing: str = "–") -> str:
    """Whole number with thousands dot: ``1.375.606``."""
    return number(value, 0, missing=missing)


def percent(share: float | None, digits: int = 0, *, missing: str = "–") -> str:
    """A share (0–1) as German percent with a narrow space: ``45 %``.

    >>> percent(0.4523)
    '45\u202f%'
    """
    if share is None or (isinstance(share, float) and math.isnan(share)) or share is pd.NA:
        return missing
    return f"{number(share * 100, digits)}{_NARROW_NBSP}%"


def signed(value: float | None, digits: int = 1, *, missing: str = "–") -> str:
    """A difference with explicit sign: ``+0,3`` / ``−0,2`` / ``±0,0``."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return missing
    text = number(abs(value), digits)
    if text.strip("0,.") == "":
        return "±" + text
    return ("+" if value > 0 else "−") + text


def interval(
    low: float | None, high: float | None, digits: int = 1, *, as_percent: bool = False
) -> str:
    """A confidence interval as ``[3,1; 3,6]`` (semicolon, because of the decimal comma)."""
    fmt = (lambda v: percent(v, digits)) if as_percent else (lambda v: number(v, digits))
    return f"[{fmt(low)}; {fmt(high)}]"


def date(value: dt.date | dt.datetime | pd.Timestamp | str | None, *, missing: str = "–") -> str:
    """A date as ``31.12.2021``."""
    if value is None or value is pd.NaT or (isinstance(value, float) and math.isnan(value)):
        return missing
    return pd.Timestamp(value).strftime("%d.%m.%Y")


def percentage_points(
    share_difference: float | None, digits: int = 0, *, missing: str = "–"
) -> str:
    """A difference of two shares in percentage points, with sign: ``+12`` / ``−3``.

    >>> percentage_points(0.123)
    '+12'
    """
    if share_difference is None or pd.isna(share_difference):
        return missing
    return signed(share_difference * 100, digits, missing=missing)
