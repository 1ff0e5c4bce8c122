"""What Fundstelle hands back: documents, hits, answers, replies, reports.

Every type a caller of :class:`fundstelle.Index` meets lives here, as a small frozen
dataclass with plain fields; the modules that compute them import them from here.
What search and ask return is deeply immutable (tuples, read-only mappings): the index
hands a repeated question's result out again from its cache, so a caller that could
edit one would edit every later answer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal, get_args

__all__ = [
    "EMPTY_INDEX",
    "MODES",
    "Answer",
    "AnswerSpan",
    "Document",
    "DocumentInfo",
    "Hit",
    "IndexInfo",
    "IngestReport",
    "MetaValue",
    "Mode",
    "Progress",
    "Reply",
    "Skipped",
    "Span",
]

# Why a question over an index without documents has no answer (Reply.note; the command
# line, the page and HTTP say it too).
EMPTY_INDEX = "the index holds no documents"

# How passages are found: meaning and words fused (hybrid), meaning only (dense), or
# words only (lexical: BM25 with German stemming).
Mode = Literal["hybrid", "dense", "lexical"]
MODES: tuple[Mode, ...] = get_args(Mode)
# A document's metadata value: a JSON scalar (filters compare strings and numbers).
MetaValue = str | int | float | bool

# progress(stage, done, total): stage is "load" (files), "chunk" (characters), "embed"
# (chunks, over all models), "sentences" (sentences), "passages" (chunks and sentences,
# on Ray) or "index" (chunks into BM25); called as work advances.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True, slots=True)
class Document:
    """One document: loaded from a file, or as stored in the index.

    ``text`` is the full text every chunk offset refers to; ``hash`` is the SHA-256 of
    that text, used to notice changed files; ``meta`` what is known about it (``type``,
    ``size``, ``modified``, ``lang``, and where stated ``date``, ``author``, ``pages``) and
    a caller's own keys;
    ``pages`` (PDFs) the offset in ``text`` where each page with text starts, and its label.
    """

    id: str
    source: str
    title: str
    text: str
    hash: str
    meta: dict[str, MetaValue] = field(default_factory=dict)
    pages: tuple[tuple[int, str], ...] = ()


@dataclass(frozen=True)
class Skipped:
    """A file that was not loaded, and the reason in one line."""

    source: str
    reason: str


@dataclass(frozen=True)
class Span:
    """A stretch of a text: ``text[start:end]`` of the text it points into."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class AnswerSpan:
    """The part of a hit that answers the question.

    ``start``/``end``/``text`` delimit the answering sentence in the hit's text;
    ``phrase``, when set, is the narrower span inside it that holds the answer
    itself (for example the number for "wie viele"); ``score`` is the sentence's
    answer score: from :meth:`fundstelle.Index.ask`, the probability that it holds the
    answer; from :meth:`fundstelle.Index.search`, the highlighter's score (higher is
    better, comparable within one hit).
    """

    start: int
    end: int
    text: str
    score: float
    phrase: Span | None = None


@dataclass(frozen=True)
class Hit:
    """One passage that answers a question.

    ``text`` is the chunk; ``start``/``end`` its offsets in the document's text;
    ``answer`` the span of ``text`` that best answers the question (offsets into
    ``text``); ``terms`` the question's words found in ``text`` (a tuple); ``score`` the
    fused relevance (higher is better; comparable within one result list); ``signals``
    the per-signal scores it was fused from (cosine per embedder, BM25; read-only);
    ``pages`` the labels of the PDF pages the passage stands on (empty for other documents).
    """

    rank: int
    score: float
    text: str
    source: str
    title: str
    doc_id: str
    start: int
    end: int
    answer: AnswerSpan
    terms: Sequence[Span] = ()
    signals: Mapping[str, float] = field(default_factory=dict)
    pages: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "terms", tuple(self.terms))
        object.__setattr__(self, "signals", MappingProxyType(dict(self.signals)))
        object.__setattr__(self, "pages", tuple(self.pages))

    def to_dict(self) -> dict[str, object]:
        """The hit as plain JSON-ready data (the CLI's ``--json`` output)."""
        answer = {
            "start": self.answer.start, "end": self.answer.end, "text": self.answer.text,
            "score": self.answer.score,
            "phrase": None if self.answer.phrase is None else vars(self.answer.phrase),
        }
        return {
            "rank": self.rank, "score": round(self.score, 4), "title": self.title,
            "source": self.source, "doc_id": self.doc_id, "start": self.start, "end": self.end,
            "text": self.text, "answer": answer, "terms": [vars(t) for t in self.terms],
            "signals": {name: round(value, 4) for name, value in self.signals.items()},
            "pages": list(self.pages),
        }


@dataclass(frozen=True)
class Answer:
    """The answer to a question: the sentence that holds it, and where.

    ``text`` is the sentence, ``start``/``end`` its offsets in the document's text;
    ``phrase`` the narrow answer inside it where one is sure (offsets in the
    document's text too), else None; ``confidence`` the calibrated probability
    that the sentence holds the answer; ``pages`` the labels of the PDF pages it stands on.
    """

    text: str
    phrase: Span | None
    confidence: float
    doc_id: str
    source: str
    title: str
    start: int
    end: int
    pages: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, object]:
        """The answer as plain JSON-ready data."""
        return {
            "text": self.text, "phrase": None if self.phrase is None else vars(self.phrase),
            "confidence": round(self.confidence, 4), "doc_id": self.doc_id, "source": self.source,
            "title": self.title, "start": self.start, "end": self.end, "pages": list(self.pages),
        }


@dataclass(frozen=True)
class Reply:
    """What :meth:`fundstelle.Index.ask` returns.

    ``answer`` is the best answer, or None when the documents hold none the model
    trusts; ``hits`` the passages (a tuple), ordered by their answer sentence's score
    (``hit.answer.score``), none showing an answer sentence an earlier hit shows;
    ``note`` says why there cannot be an answer when the reason is not the documents'
    content (:data:`EMPTY_INDEX`: the index holds no documents), else None.
    """

    question: str
    answer: Answer | None
    hits: Sequence[Hit] = ()
    note: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "hits", tuple(self.hits))

    def to_dict(self) -> dict[str, object]:
        """The reply as plain JSON-ready data (the CLI's ``ask --json`` output); ``note`` only where there is one."""
        data: dict[str, object] = {"question": self.question,
                                   "answer": None if self.answer is None else self.answer.to_dict(),
                                   "hits": [hit.to_dict() for hit in self.hits]}
        if self.note is not None:
            data["note"] = self.note
        return data


@dataclass(frozen=True)
class DocumentInfo:
    """A document in the index: id, source path, title, chunk count, text size, and its metadata."""

    id: str
    source: str
    title: str
    chunks: int
    characters: int
    meta: dict[str, MetaValue] = field(default_factory=dict)


@dataclass(frozen=True)
class IndexInfo:
    """Facts about an index: its folder, how big, which model, when last updated."""

    folder: str
    documents: int
    chunks: int
    model: str
    chunk_size: int
    chunk_overlap: int
    updated: str
    version: str


@dataclass
class IngestReport:
    """What an ingest did: documents per outcome, chunks, time, the new version."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks: int = 0
    chunks_embedded: int = 0
    documents: int = 0
    seconds: float = 0.0
    version: str = ""

    @property
    def failed(self) -> bool:
        """True when any file could not be ingested or removed."""
        return bool(self.skipped)

    def summary(self) -> str:
        """One line for people: counts per outcome, chunks and seconds."""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed, {len(self.skipped)} skipped; "
            f"{self.documents} documents, {self.chunks} chunks ({self.chunks_embedded} embedded) "
            f"in {self.seconds:.1f} s"
        )
