"""The common base of every error welcome_eval raises on purpose.

``except WelcomeEvalError`` catches any problem the library reports with a message a
user can act on (bad input, a refused output folder, a disclosure rule), and lets
programming errors through. Each concrete class also derives from the built-in
exception it always was (``ValueError``, ``RuntimeError``), so existing handlers
keep working.
"""

from __future__ import annotations

__all__ = ["WelcomeEvalError"]


class WelcomeEvalError(Exception):
    """Base class of the errors welcome_eval raises with a message for the user."""
