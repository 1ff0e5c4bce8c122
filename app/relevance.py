"""Is anything relevant enough to show? The nothing-found rule and the cue shown with each hit.

Both rest on the cosine of a dense model the rule was measured for (``e5-small-int4``,
also when it is one member of an ensemble such as ``e5-small-int4+use-m3``): unlike the
fused score, a cosine means the same on an index of one article and of a thousand
documents. ``benchmarks/relevance.py`` measures the constants below; README, "The app",
gives the figures.

*The question* is answered when the best cosine among the top :data:`POOL` hits, plus
:data:`GAP_WEIGHT` times how far it stands above the mean of the others, reaches the
model's ``gate``. The second term lets a passage that clearly stands out pass with a
slightly lower cosine (English questions on German text score lower throughout).

*Each hit* gets a level from its own cosine: 3 (``strong``), 2 (``good``) or 1.

Without a measured cosine (keyword mode, where no embedding is computed, or a model
nobody measured) the rule falls back on words: a question is answered when a hit contains
a word of it, and the level is the number of distinct question words in the hit (1–3).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from fundstelle import Hit

__all__ = ["CALIBRATIONS", "GAP_WEIGHT", "POOL", "Calibration", "Verdict", "gate_score", "hit_level", "judge"]


@dataclass(frozen=True)
class Calibration:
    """Cosine thresholds of one dense model.

    ``gate``: a question counts as answered from this gate score on (see :func:`gate_score`);
    ``good`` / ``strong``: a hit's cosine from which it is shown as level 2 / level 3.
    """

    gate: float
    good: float
    strong: float


# Measured with benchmarks/relevance.py on the bundled article and XQuAD (chunks of 400
# characters, overlap 200): the gate is the highest that keeps 99 % of the German XQuAD
# questions; it rejects 97 % of the German XQuAD questions asked of the article. Of the
# XQuAD-de hits at level 3, 90 % come from the question's own paragraph; level 2: 62 %;
# level 1: 22 %. README, "When the page says nothing found", has the whole table.
CALIBRATIONS: dict[str, Calibration] = {
    "e5-small-int4": Calibration(gate=0.830, good=0.850, strong=0.880),
}
# Weight of "how far the best hit stands above the others" in the gate score.
GAP_WEIGHT = 0.5
# The gate looks at this many hits; the app always asks the index for at least as many.
POOL = 5


@dataclass(frozen=True)
class Verdict:
    """Whether a result list answers the question.

    ``signal`` is the dense model whose cosine decided (None: decided by words found);
    ``score`` the gate score (None when decided by words).
    """

    found: bool
    signal: str | None
    score: float | None


def calibrated_signal(hits: Sequence[Hit]) -> str | None:
    """Return the first measured model whose cosine the hits carry, or None."""
    if not hits:
        return None
    return next((name for name in CALIBRATIONS if name in hits[0].signals), None)


def gate_score(cosines: Sequence[float]) -> float:
    """Best cosine plus ``GAP_WEIGHT`` times its lead over the mean of the other cosines."""
    if not cosines:
        raise ValueError("no cosines to judge")
    best = max(cosines)
    others = list(cosines)
    others.remove(best)
    lead = best - sum(others) / len(others) if others else 0.0
    return best + GAP_WEIGHT * lead


def judge(hits: Sequence[Hit]) -> Verdict:
    """Decide from the top :data:`POOL` hits whether anything answers the question."""
    top = list(hits[:POOL])
    if not top:
        return Verdict(False, None, None)
    signal = calibrated_signal(top)
    if signal is None:
        return Verdict(any(hit.terms for hit in top), None, None)
    score = gate_score([hit.signals[signal] for hit in top])
    return Verdict(score >= CALIBRATIONS[signal].gate, signal, score)


def hit_level(hit: Hit, signal: str | None) -> int:
    """How well one hit fits: 3, 2 or 1 (by cosine), or by question words found (0–3)."""
    if signal is None or signal not in hit.signals:
        return min(3, len({term.text.casefold() for term in hit.terms}))
    cosine = hit.signals[signal]
    calibration = CALIBRATIONS[signal]
    return 3 if cosine >= calibration.strong else 2 if cosine >= calibration.good else 1
