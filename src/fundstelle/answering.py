"""Ask's reply: the answer among all sentences of the retrieved passages, and the passages around it.

:func:`fundstelle.query.retrieve_checked` brings the passages (at least
:data:`ANSWER_PASSAGES`); :func:`candidates` gathers every sentence of them once, with
what it may refer back to (the sentences before it in its paragraph, the paragraph's and
the document's first) and its features for the fitted model (:mod:`fundstelle.answer`);
:func:`reply` lets the model choose and be sure or not, widens the answer to the sentence
before when it continues that one (:func:`answer_start`), and orders the passages by the
answer sentence each shows. :class:`fundstelle.Index` calls these for ``ask``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .answer import MAX_ANSWER_CHARS, Candidate, Sentence, features, load_model
from .matching import find_terms, sentence_facts
from .pages import pages_of
from .phrase import answer_phrase, with_phrase
from .query import Retrieval, passage_hit, passage_sentences
from .results import EMPTY_INDEX, Answer, AnswerSpan, Hit, Reply, Span
from .snapshot import Snapshot

__all__ = ["ANSWER_PASSAGES", "answer_start", "candidates", "reply"]

# ask() chooses its answer among the sentences of this many passages (more when k is larger).
ANSWER_PASSAGES = 6


def reply(found: Retrieval, k: int) -> Reply:
    """The answer among all sentences of the retrieved passages (or None), and ``k`` passages around it."""
    if not found.snapshot.documents:
        return Reply(found.question.text, None, [], note=EMPTY_INDEX)
    shown = [passage_sentences(found.snapshot, passage) for passage in found.passages]
    chosen_among = _candidates(found, shown)
    if not chosen_among:
        return Reply(found.question.text, None, [])
    model = load_model()
    choice = model.choose(chosen_among, found.question)
    assert choice is not None  # there are candidates
    snapshot = found.snapshot
    best = chosen_among[choice.index].sentence
    answer = None
    if model.answers(choice):
        document = snapshot.documents[best.doc_id]
        start = answer_start(found, best)
        text = document.text[start:best.end]
        phrase = answer_phrase(found.question, best.text, snapshot.lexical.idf)
        answer = Answer(
            text=text, confidence=choice.confidence, doc_id=best.doc_id, source=document.source,
            title=document.title, start=start, end=best.end,
            phrase=None if phrase is None else Span(best.start + phrase.start, best.start + phrase.end,
                                                    phrase.text),
            pages=pages_of(document, best.start, best.end),
        )
    # Each sentence's chance of holding the answer: the chosen one's is the confidence, the
    # others' follow the sentence model's odds against it (the chosen one stays first).
    scores = model.score(np.stack([c.features for c in chosen_among]))
    top = int(np.argmax(scores))
    scores[[top, choice.index]] = scores[[choice.index, top]]
    chances = choice.confidence * np.exp(scores - scores[choice.index])
    score_of = {c.row: float(p) for c, p in zip(chosen_among, chances)}
    return Reply(found.question.text, answer, _hits_by_answer(snapshot, found, shown, score_of, k))


def answer_start(found: Retrieval, best: Sentence) -> int:
    """Where the answer starts: at its sentence, or at the one before when it continues that one.

    "Sie wurde 1904 eröffnet." alone does not say what was opened; with the sentence
    before it does, if both together stay within :data:`fundstelle.answer.MAX_ANSWER_CHARS`
    and stand in one paragraph.
    """
    if best.previous is None or not sentence_facts(best.text).continues:
        return best.start
    spans = found.snapshot.sentence_spans
    start = int(spans.starts[best.row - 1])
    between = found.snapshot.documents[best.doc_id].text[int(spans.ends[best.row - 1]):best.start]
    if "\n\n" in between or best.end - start > MAX_ANSWER_CHARS:
        return best.start
    return start


def candidates(found: Retrieval) -> list[Candidate]:
    """Every sentence of the retrieved passages, once, with what surrounds it and the answer model's features."""
    return _candidates(found, [passage_sentences(found.snapshot, passage) for passage in found.passages])


def _candidates(found: Retrieval, shown: list[list[tuple[int, int, int]]]) -> list[Candidate]:
    """:func:`candidates`, given each passage's :func:`fundstelle.query.passage_sentences` (``shown``)."""
    snapshot = found.snapshot
    spans = snapshot.sentence_spans
    rows: list[int] = []
    passage_of: dict[int, int] = {}
    for position, passage_rows in enumerate(shown):
        for row, _, _ in passage_rows:
            if row not in passage_of:
                passage_of[row] = position
                rows.append(row)
    if not rows:
        return []
    query = found.vectors[0] if found.vectors else None
    if query is None:  # lexical retrieval: the answer model still weighs meaning
        query = found.embedders[0].embed_queries([found.question.text])[0]

    def text(row: int) -> str:
        return snapshot.documents[spans.docs[row]].text[int(spans.starts[row]):int(spans.ends[row])]

    def same_paragraph(row: int) -> bool:  # does sentence row - 1 stand in the same paragraph?
        document = snapshot.documents[spans.docs[row]].text
        return spans.docs[row - 1] == spans.docs[row] and "\n\n" not in document[int(spans.ends[row - 1]):
                                                                                    int(spans.starts[row])]

    paragraphs = _Runs(same_paragraph)
    documents = _Runs(lambda row: spans.docs[row - 1] == spans.docs[row])
    context_of = {row: _context_rows(row, paragraphs, documents) for row in rows}
    wanted = sorted({r for row in rows for r in (row, *context_of[row][0], *context_of[row][1])})
    vector_of = dict(zip(wanted, snapshot.sentence_vectors.vectors(np.asarray(wanted, dtype=np.int64))))
    first_score = found.passages[0].score
    sentences = []
    for row in rows:
        before, firsts = context_of[row]
        own = vector_of[row]
        window = own + vector_of[before[0]] if before else own
        whole = own + np.mean([vector_of[r] for r in firsts], axis=0) if firsts else own
        following = row + 1 if row + 1 < len(spans.docs) and spans.docs[row + 1] == spans.docs[row] else -1
        position = passage_of[row]
        sentences.append(Sentence(
            row=row, doc_id=spans.docs[row], start=int(spans.starts[row]), end=int(spans.ends[row]), text=text(row),
            previous=text(row - 1) if row > 0 and spans.docs[row - 1] == spans.docs[row] else None,
            following=text(following) if following >= 0 else None,
            context=tuple(text(r) for r in (*before, *firsts)), heading=_is_heading(snapshot, row),
            window_cosine=float(query @ window / (np.linalg.norm(window) or 1.0)),
            document_cosine=float(query @ whole / (np.linalg.norm(whole) or 1.0)),
            passage=position, passage_lead=found.passages[position].score - first_score,
        ))
    return features(found.question, sentences, snapshot.lexical.idf, found.trust, found.language)


def _context_rows(row: int, paragraphs: _Runs, documents: _Runs) -> tuple[list[int], list[int]]:
    """What sentence ``row`` may refer back to, as (sentences before, first sentences).

    Up to two sentences before it in its paragraph; then the first sentences of its
    paragraph and of its document, where those are not among the two.
    """
    before: list[int] = []
    while len(before) < 2 and row - len(before) > 0 and paragraphs.joined(row - len(before)):
        before.append(row - len(before) - 1)
    firsts = [r for r in dict.fromkeys((paragraphs.first(row), documents.first(row))) if r != row and r not in before]
    return before, firsts


class _Runs:
    """Runs of neighbouring sentence rows (a paragraph, a document): the first row of a row's run.

    ``joined(row)`` says whether row - 1 belongs to the run of ``row``. Each row walked
    over on the way back keeps its answer, so the candidates of one long paragraph or
    document walk back over it once, not once each.
    """

    def __init__(self, joined: Callable[[int], bool]) -> None:
        self.joined = joined
        self._first_of: dict[int, int] = {}

    def first(self, row: int) -> int:
        """The first row of ``row``'s run."""
        walked = []
        first = row
        while first > 0 and first not in self._first_of and self.joined(first):
            walked.append(first)
            first -= 1
        first = self._first_of.get(first, first)
        self._first_of.update(dict.fromkeys(walked, first))
        return first


def _is_heading(snapshot: Snapshot, row: int) -> bool:
    """Is sentence ``row`` a line of its own without a sentence's end (a title or section heading)?"""
    spans = snapshot.sentence_spans
    text = snapshot.documents[spans.docs[row]].text
    start, end = int(spans.starts[row]), int(spans.ends[row])
    line_start = text.rfind("\n", 0, start) + 1
    line_end = text.find("\n", end)
    line_end = len(text) if line_end < 0 else line_end
    sentence = text[start:end].strip()
    return (not text[line_start:start].strip() and not text[end:line_end].strip() and len(sentence.split()) <= 12
            and not sentence.endswith((".", "!", "?", ":", "…")))


def _hits_by_answer(snapshot: Snapshot, found: Retrieval, shown: list[list[tuple[int, int, int]]],
                    score_of: dict[int, float], k: int) -> list[Hit]:
    """The passages ordered by the score of the answer sentence each shows; each shows one no earlier hit shows.

    ``shown`` holds each passage's sentences (:func:`fundstelle.query.passage_sentences`);
    ``score_of`` maps sentence rows to the probability that they hold the answer; it
    becomes the hit's ``answer.score``. Each step takes the passage whose best sentence
    not yet shown scores highest (the earlier retrieved on a tie), so the hits'
    ``answer.score`` never rises down the list.
    """
    sentences = {passage.row: passage_shown for passage, passage_shown in zip(found.passages, shown)}
    hits: list[Hit] = []
    used: set[int] = set()
    waiting = list(found.passages)
    while waiting and len(hits) < k:
        best: tuple[float, int, int] | None = None  # (score, -position in waiting, sentence index)
        for position, passage in enumerate(waiting):
            for i, (row, _, _) in enumerate(sentences[passage.row]):
                choice = (score_of.get(row, -np.inf), -position, i)
                if row not in used and (best is None or choice > best):
                    best = choice
        if best is None:
            break  # every sentence left is shown by a better hit
        score, position, i = best
        passage = waiting.pop(-position)
        row, start, end = sentences[passage.row][i]
        used.add(row)
        text = snapshot.documents[passage.doc].text[passage.start:passage.end]
        answer = with_phrase(AnswerSpan(start, end, text[start:end], round(score, 4)), found.question,
                             snapshot.lexical.idf)
        hits.append(passage_hit(snapshot, passage, len(hits) + 1, answer, find_terms(text, found.question.content)))
    return hits


