"""Ranking chunks for a question: dense, lexical, and their fusion.

Hybrid search fuses *scores*, not ranks. Each signal (every dense embedder of the
index; the first embedder's sentence vectors, which score a chunk by its best
sentence; and BM25) scores a shared candidate set; each signal's scores are turned into
z-scores against that signal's own top-``CANDIDATES`` scores for this question, so
"how far above the crowd" is comparable across signals. The fused score is a
weighted sum of the z-scores. BM25's weight is scaled by how much the question
speaks the corpus's language: the squared share of its words, stop words included,
that occur in the corpus at all. A German question over German text scores near 1;
the same question in English keeps only its names and shares no function words
("how", "the", "did"), so its BM25 scores, mostly noise, get little say; in Chinese
none at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .backends import LexicalIndex, VectorIndex
from .lexical import Token
from .results import MODES

__all__ = [
    "CANDIDATES",
    "LEXICAL_WEIGHT",
    "MIN_DENSE_WEIGHT",
    "SENTENCES_SUFFIX",
    "Ranking",
    "dense_weight",
    "language_share",
    "lexical_trust",
    "rank",
    "wanted_models",
]

CANDIDATES = 100
# Set on XQuAD-de with benchmarks/retrieval.py; see README, "How hybrid search weighs".
LEXICAL_WEIGHT = 0.5
# USE-m3 is the weaker encoder on German questions but the more robust one across
# languages; it gets this weight on a question that shares no words with the corpus
# and none on one fully in the corpus's language (see dense_weight).
USE_FOREIGN_WEIGHT = 0.8
# A dense signal whose weight for a question falls below this is left out, query
# embedding and all: on a question nearly all in the corpus's words, USE-m3's small
# weight changes almost nothing and its embedding costs a tenth of the query time.
# Set with benchmarks/fusion.py (README, "How hybrid search weighs").
MIN_DENSE_WEIGHT = 0.2


# A model's second signal: its sentence vectors, a chunk scoring as its best sentence.
SENTENCES_SUFFIX = " sentences"


def dense_weight(spec: str, trust: float, ensemble: bool) -> float:
    """Weight of a dense signal in fusion, given the question's :func:`lexical_trust`.

    In an ensemble, ``use-m3`` counts ``USE_FOREIGN_WEIGHT * (1 - trust)``: it speaks
    up as the question moves away from the corpus's language. Every other model,
    and ``use-m3`` alone, counts 1.
    """
    if spec == "use-m3" and ensemble:
        return USE_FOREIGN_WEIGHT * (1.0 - trust)
    return 1.0


def wanted_models(specs: Sequence[str], trust: float) -> list[bool]:
    """Which models of an index to embed a question with, given its :func:`lexical_trust`.

    A model whose :func:`dense_weight` is below ``MIN_DENSE_WEIGHT`` is skipped; the
    first model always counts (its vector also serves the sentence signal).
    """
    ensemble = len(set(specs)) > 1
    return [i == 0 or dense_weight(spec, trust, ensemble) >= MIN_DENSE_WEIGHT for i, spec in enumerate(specs)]

@dataclass(frozen=True)
class Ranking:
    """Rows ranked for one question, best first, with fused and per-signal scores."""

    rows: np.ndarray
    scores: np.ndarray
    signals: dict[str, np.ndarray]


def _zscores(values: np.ndarray, reference: np.ndarray) -> np.ndarray:
    if len(reference) < 2:
        return np.zeros_like(values)
    spread = float(reference.std())
    if spread < 1e-9:
        return np.zeros_like(values)
    return (values - float(reference.mean())) / spread


def rank(
    query_vectors: Sequence[np.ndarray | None],
    dense: Sequence[VectorIndex],
    dense_specs: Sequence[str],
    question_tokens: Sequence[Token],
    lexical: LexicalIndex,
    k: int,
    mode: str = "hybrid",
    trust: float | None = None,
) -> Ranking:
    """Rank chunk rows for one question.

    ``query_vectors[i]`` is the question embedded by the embedder behind
    ``dense[i]`` (``None``: leave that signal out, see :func:`wanted_models`);
    ``question_tokens`` the analysed question, stop words included
    (``analyze(question, keep_stopwords=True)``). ``mode`` is
    ``hybrid`` (all signals), ``dense`` (embedders only) or ``lexical`` (BM25 only).
    ``trust`` is the question's :func:`lexical_trust`, computed here if not given.
    """
    if mode not in MODES:
        raise ValueError(f"unknown search mode {mode!r}; choose one of {', '.join(MODES)}")
    num_rows = len(lexical)
    if num_rows == 0 or k <= 0:
        empty = np.zeros(0)
        return Ranking(empty.astype(np.int64), empty, {})
    pool = max(CANDIDATES, k)
    use_dense = mode in ("hybrid", "dense")
    use_lexical = mode in ("hybrid", "lexical")
    query_stems = [token.stem for token in question_tokens if not token.stop]

    dense_top: list[np.ndarray | None] = []
    candidates: set[int] = set()
    if use_dense:
        for vector, index in zip(query_vectors, dense):
            if vector is None:
                dense_top.append(None)
                continue
            rows, scores = index.search(vector, pool)
            dense_top.append(scores)
            candidates.update(rows.tolist())
    bm25 = lexical.scores(query_stems) if use_lexical else np.zeros(num_rows)
    if use_lexical:
        top = np.argpartition(-bm25, min(pool, num_rows) - 1)[:pool] if num_rows > pool else np.arange(num_rows)
        candidates.update(top[bm25[top] > 0].tolist())
        if not candidates:  # nothing matched at all: lexical mode returns nothing
            empty = np.zeros(0)
            return Ranking(empty.astype(np.int64), empty, {})
    rows = np.fromiter(candidates, dtype=np.int64, count=len(candidates))

    fused = np.zeros(len(rows))
    signals: dict[str, np.ndarray] = {}
    if trust is None:
        trust = lexical_trust(question_tokens, lexical)
    ensemble = len({spec.removesuffix(SENTENCES_SUFFIX) for spec in dense_specs}) > 1
    if use_dense:
        for spec, vector, index, top_scores in zip(dense_specs, query_vectors, dense, dense_top):
            if vector is None or top_scores is None:
                continue
            scores = index.scores(vector, rows)
            signals[spec] = scores
            fused += dense_weight(spec, trust, ensemble) * _zscores(scores, top_scores)
    if use_lexical:
        signals["bm25"] = bm25[rows]
        reference = np.sort(bm25)[-pool:] if num_rows > pool else bm25
        weight = 1.0 if mode == "lexical" else LEXICAL_WEIGHT * trust
        fused += weight * _zscores(bm25[rows], reference)
    order = np.lexsort((rows, -fused))[:k]
    return Ranking(rows[order], fused[order], {name: values[order] for name, values in signals.items()})


def language_share(question_tokens: Sequence[Token], lexical: LexicalIndex) -> float:
    """Share of the question's stop words that the corpus holds: 1 for a question in its language.

    Stop words tell the language: a German question's "wie", "der", "wurde" occur in any
    German text, however small, while its content words may not; an English or Spanish
    question's function words do not. A question without stop words scores 0.
    """
    stop = [token.stem for token in question_tokens if token.stop]
    return sum(lexical.known(stop)) / len(stop) if stop else 0.0


def lexical_trust(question_tokens: Sequence[Token], lexical: LexicalIndex) -> float:
    """How far to trust BM25 for this question: squared share of its words found in the corpus.

    Stop words count: they show whether the question is in the corpus's language.
    Squaring keeps a half-foreign question (names shared, function words not)
    at a quarter of the weight.
    """
    if not question_tokens:
        return 0.0
    known = lexical.known([token.stem for token in question_tokens])
    return (sum(known) / len(known)) ** 2
