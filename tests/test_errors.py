"""One exception base for everything welcome_eval raises on purpose (issue 13, point 3)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import welcome_eval
from welcome_eval import WelcomeEvalError


def _package_exceptions() -> list[type[BaseException]]:
    found = []
    for info in pkgutil.walk_packages(welcome_eval.__path__, prefix="welcome_eval."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__ == module.__name__:
                found.append(obj)
    return found


def test_every_exception_of_the_package_derives_from_the_common_base() -> None:
    classes = _package_exceptions()
    assert len(classes) >= 15  # the scan really finds the package's exceptions
    strays = [
        f"{c.__module__}.{c.__name__}" for c in classes if not issubclass(c, WelcomeEvalError)
    ]
    assert strays == []


def test_the_builtin_bases_are_kept_for_existing_handlers() -> None:
    from welcome_eval.build.reports import BuildError
    from welcome_eval.ingest.readers import ReadError
    from welcome_eval.ingest.wave import ManifestError

    assert issubclass(ReadError, ValueError) and issubclass(ManifestError, ValueError)
    assert issubclass(BuildError, RuntimeError)
    try:
        raise ManifestError("field 'file' must be text")
    except WelcomeEvalError as error:
        assert "field 'file'" in str(error)


def test_old_argument_names_still_work_with_a_deprecation_warning() -> None:
    import pandas as pd
    import pytest

    from welcome_eval import stats
    from welcome_eval.survival.retention import retention_at

    new = stats.proportion_ci(3, 10, conf_level=0.9)
    with pytest.warns(DeprecationWarning, match=r"level=\.\.\.\) is deprecated: use conf_level"):
        old = stats.proportion_ci(3, 10, level=0.9)
    assert old == new
    with pytest.raises(TypeError, match="both level= and conf_level="):
        stats.proportion_ci(3, 10, level=0.9, conf_level=0.9)
    df = pd.DataFrame({"years": [1, 2, 2, 3, 4, 5], "left": [1, 1, 0, 1, 0, 1]})
    with pytest.warns(DeprecationWarning):
        old_table = retention_at(df, duration="years", event="left", time=2, level=0.8)
    pd.testing.assert_frame_equal(
        old_table, retention_at(df, duration="years", event="left", time=2, conf_level=0.8)
    )
