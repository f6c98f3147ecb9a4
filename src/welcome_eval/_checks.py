"""Checks and helpers shared by the public functions of several modules."""

from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

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
