"""How sure the page says it is: dots and words from a calibrated probability.

Whether there is an answer at all is the library's rule (``Index.ask`` returns
``answer=None``); the page only words it. The answer card shows the reply's
``confidence``, each hit the probability that its own answer sentence holds the answer
(``hit.answer.score``). Both are probabilities from the fitted answer model
(``benchmarks/answers.py``), so "sehr sicher" means right about 8 or 9 times in 10.
"""

from __future__ import annotations

__all__ = ["HIGHLIGHT_FROM", "LEVELS", "level"]

# Lower bounds of levels 3 and 2; below them, level 1.
LEVELS = (0.8, 0.5)
# A hit's answer sentence is highlighted (yellow) from this probability on: below it the
# sentence is as likely wrong as right, and a highlight would point at it anyway.
HIGHLIGHT_FROM = 0.5


def level(probability: float) -> int:
    """3 (very likely), 2 (likely) or 1 (unsure) for a probability that an answer is right."""
    strong, good = LEVELS
    return 3 if probability >= strong else 2 if probability >= good else 1
