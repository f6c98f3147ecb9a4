"""Checks and helpers shared by the public functions of several modules."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pandas as pd

F = TypeVar("F", bound=Callable[..., Any])


def renamed_arguments(**renamed: str) -> Callable[[F], F]:
    """Accept old keyword names for one release, with a ``DeprecationWarning``.

    ``@renamed_arguments(level="conf_level")`` lets ``f(level=0.9)`` still work as
    ``f(conf_level=0.9)``; passing both is an error naming both.
    """

    def decorate(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in renamed.items():
                if old in kwargs:
                    if new in kwargs:
                        raise TypeError(
                            f"{function.__name__}() got both {old}= and {new}=; "
                            f"{old} is the old name of {new}: pass only {new}="
                        )
                    warnings.warn(
                        f"{function.__name__}({old}=...) is deprecated: use {new}=...",
                        DeprecationWarning,
                        stacklevel=2,
                    )
                    kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def check_conf_level(conf_level: float) -> None:
    """A confidence level strictly between 0 and 1 (``0.95``, not ``95`` or ``True``)."""
    if isinstance(conf_level, bool) or not (
        isinstance(conf_level, int | float) and 0 < conf_level < 1
    ):
        raise ValueError(f"conf_level must be between 0 and 1 (e.g. 0.95), got {conf_level!r}")


def check_columns(
    data: object,
    columns: Sequence[str | None],
    what: str = "data",
    *,
    require_rows: bool = False,
    unique: bool = False,
) -> None:
    """``data`` is a DataFrame holding ``columns`` (``None`` entries are skipped).

    The error names the missing columns and the first 20 available ones;
    ``unique`` also refuses a column that appears twice, ``require_rows`` an empty
    table.
    """
    if not isinstance(data, pd.DataFrame):
        raise TypeError(f"{what} must be a pandas DataFrame, got {type(data).__name__}")
    wanted = [c for c in dict.fromkeys(columns) if c is not None]
    missing = [c for c in wanted if c not in data.columns]
    if missing:
        known = ", ".join(map(str, data.columns[:20])) + (", …" if data.shape[1] > 20 else "")
        raise KeyError(
            f"column(s) {', '.join(map(repr, missing))} not found in {what}; "
            f"available columns: {known}"
        )
    if unique:
        for column in wanted:
            if isinstance(data[column], pd.DataFrame):
                raise ValueError(f"column {column!r} appears more than once in {what}")
    if require_rows and data.empty:
        raise ValueError(f"{what} has no rows; nothing to plot")
