"""welcome_eval: evaluation of the regional welcome programme "Willkommen in Südwestfalen".

Public API: :func:`read_wave`, :class:`Wave`, :class:`Codebook`,
:func:`municipalities`, and the modules ``stats`` (Likert summaries, reliability,
comparisons), ``survey`` (design-based estimation, raking), ``drivers``
(ordinal driver models), ``figures`` and ``reports``.
"""

__version__ = "0.1.0"

from welcome_eval.codebook import Codebook
from welcome_eval.errors import WelcomeEvalError
from welcome_eval.municipalities import municipalities
from welcome_eval.wave import Manifest, Wave, read_wave

__all__ = [
    "Codebook",
    "Manifest",
    "Wave",
    "WelcomeEvalError",
    "__version__",
    "municipalities",
    "read_wave",
]
