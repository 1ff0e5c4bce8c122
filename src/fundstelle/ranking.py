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

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from .backends import LexicalIndex, Searchable
from .errors import BadInputError
from .lexical import Token
from .results import MODES, Mode

__all__ = [
    "CANDIDATES",
    "LEXICAL_WEIGHT",
    "MIN_DENSE_WEIGHT",
    "SENTENCES_SUFFIX",
    "DEFAULT_FUSION",
    "Fusion",
    "Ranking",
    "Signal",
    "model_weight",
    "language_share",
    "lexical_trust",
    "rank",
    "wanted_models",
]

CANDIDATES = 100
# Set on XQuAD-de with benchmarks/retrieval.py; see docs/answers.md, "How hybrid search weighs".
LEXICAL_WEIGHT = 0.5
# A dense signal whose weight for a question falls below this is left out, query
# embedding and all: on a question nearly all in the corpus's words, USE-m3's small
# weight changes almost nothing and its embedding costs a tenth of the query time.
# Set with benchmarks/fusion.py (docs/answers.md, "How hybrid search weighs").
MIN_DENSE_WEIGHT = 0.2


# A model's second signal: its sentence vectors, a chunk scoring as its best sentence.
SENTENCES_SUFFIX = " sentences"

TrustRule = Callable[[Sequence[Token], LexicalIndex], float]


@dataclass(frozen=True)
class Fusion:
    """How hybrid search weighs its signals; the defaults are the measured ones.

    ``lexical_weight`` scales BM25 (times the question's trust); ``min_dense_weight``
    is the weight below which a model is left out for a question; ``sentence_weight``
    weighs the best-sentence signal; ``candidates`` is how many rows each signal
    offers. ``foreign_weight`` (None: each model's own, see
    :attr:`fundstelle.embed.Embedder.foreign_weight`), ``fixed_weights`` (model spec →
    weight whatever the trust) and ``trust`` (None: :func:`lexical_trust`) let
    benchmarks try other rules.
    """

    lexical_weight: float = LEXICAL_WEIGHT
    min_dense_weight: float = MIN_DENSE_WEIGHT
    sentence_weight: float = 1.0
    candidates: int = CANDIDATES
    foreign_weight: float | None = None
    fixed_weights: Mapping[str, float] = field(default_factory=dict)
    trust: TrustRule | None = None

    def trust_of(self, question_tokens: Sequence[Token], lexical: LexicalIndex) -> float:
        """The question's trust in BM25 under this setting's rule."""
        return (self.trust or lexical_trust)(question_tokens, lexical)


DEFAULT_FUSION = Fusion()


@dataclass(frozen=True)
class Signal:
    """A dense signal: the model it comes from, its vectors, and how it is weighed.

    ``name`` labels its scores in ``hit.signals``; ``sentences`` marks the
    best-sentence signal (a model's sentence vectors, a chunk scoring as its best
    sentence); ``foreign_weight`` is the model's (see :class:`Fusion`).
    """

    model: str
    index: Searchable
    foreign_weight: float | None = None
    sentences: bool = False

    @property
    def name(self) -> str:
        """The signal's label: the model spec, with ``SENTENCES_SUFFIX`` for the sentence signal."""
        return self.model + SENTENCES_SUFFIX if self.sentences else self.model


def model_weight(model: str, foreign_weight: float | None, trust: float, ensemble: bool,
                 fusion: Fusion = DEFAULT_FUSION) -> float:
    """Weight of a model's dense signal in fusion, given the question's :func:`lexical_trust`.

    In an ensemble, a model with a foreign weight (USE-m3) counts
    ``foreign_weight * (1 - trust)``: it speaks up as the question moves away from the
    corpus's language. Every other model, and any model alone, counts 1.
    """
    if model in fusion.fixed_weights:
        return fusion.fixed_weights[model]
    if foreign_weight is not None and ensemble:
        return (foreign_weight if fusion.foreign_weight is None else fusion.foreign_weight) * (1.0 - trust)
    return 1.0


def wanted_models(models: Sequence[tuple[str, float | None]], trust: float,
                  fusion: Fusion = DEFAULT_FUSION) -> list[bool]:
    """Which models of an index to embed a question with, given its trust in BM25.

    ``models`` are ``(spec, foreign_weight)`` pairs. A model whose :func:`model_weight`
    is below ``fusion.min_dense_weight`` is skipped; the first model always counts (its
    vector also serves the sentence signal).
    """
    ensemble = len({spec for spec, _ in models}) > 1
    return [i == 0 or model_weight(spec, foreign, trust, ensemble, fusion) >= fusion.min_dense_weight
            for i, (spec, foreign) in enumerate(models)]


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


# Kept whole: the candidate set, the reference scores and the fusion share the pool
# and the rows, and the steps read best in order.
def rank(
    query_vectors: Sequence[np.ndarray | None],
    signals: Sequence[Signal],
    question_tokens: Sequence[Token],
    lexical: LexicalIndex,
    k: int,
    mode: Mode = "hybrid",
    trust: float | None = None,
    fusion: Fusion = DEFAULT_FUSION,
) -> Ranking:
    """Rank chunk rows for one question.

    ``query_vectors[i]`` is the question embedded by the model behind ``signals[i]``
    (``None``: leave that signal out, see :func:`wanted_models`); ``question_tokens``
    the analysed question, stop words included (``analyze(question,
    keep_stopwords=True)``). ``mode`` is ``hybrid`` (all signals), ``dense`` (embedders
    only) or ``lexical`` (BM25 only). ``trust`` is the question's trust in BM25
    (``fusion.trust_of``), computed here if not given.
    """
    if mode not in MODES:
        raise BadInputError(f"unknown search mode {mode!r}; choose one of {', '.join(MODES)}")
    num_rows = len(lexical)
    if num_rows == 0 or k <= 0:
        empty = np.zeros(0)
        return Ranking(empty.astype(np.int64), empty, {})
    pool = max(fusion.candidates, k)
    use_dense = mode in ("hybrid", "dense")
    use_lexical = mode in ("hybrid", "lexical")
    query_stems = [token.stem for token in question_tokens if not token.stop]

    dense_top: list[np.ndarray | None] = []
    candidates: set[int] = set()
    if use_dense:
        for vector, signal in zip(query_vectors, signals):
            if vector is None:
                dense_top.append(None)
                continue
            rows, scores = signal.index.search(vector, pool)
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
    scored: dict[str, np.ndarray] = {}
    if trust is None:
        trust = fusion.trust_of(question_tokens, lexical)
    ensemble = len({signal.model for signal in signals}) > 1
    if use_dense:
        for signal, vector, top_scores in zip(signals, query_vectors, dense_top):
            if vector is None or top_scores is None:
                continue
            scores = signal.index.scores(vector, rows)
            scored[signal.name] = scores
            weight = (fusion.sentence_weight if signal.sentences
                      else model_weight(signal.model, signal.foreign_weight, trust, ensemble, fusion))
            fused += weight * _zscores(scores, top_scores)
    if use_lexical:
        scored["bm25"] = bm25[rows]
        reference = np.sort(bm25)[-pool:] if num_rows > pool else bm25
        weight = 1.0 if mode == "lexical" else fusion.lexical_weight * trust
        fused += weight * _zscores(bm25[rows], reference)
    order = np.lexsort((rows, -fused))[:k]
    return Ranking(rows[order], fused[order], {name: values[order] for name, values in scored.items()})


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
