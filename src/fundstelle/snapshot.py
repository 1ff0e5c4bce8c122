"""A version of an index as data: its manifest, documents, chunk rows and the indexes over them.

Pure data, shared by everything that reads or writes a version: the version folder
(:mod:`fundstelle.store`), the vector stores (FAISS files there, or Milvus:
:mod:`fundstelle.milvus`), ingestion and the query path. Nothing here touches the disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .backends import LexicalIndex, SentenceMaxIndex, VectorIndex
from .manifest import Manifest
from .results import Document

__all__ = ["ChunkRecord", "SentenceSpans", "Snapshot"]


@dataclass(frozen=True, slots=True)
class ChunkRecord:
    """A chunk row: which document, where in it, and its sentences.

    ``sentences`` are spans relative to the chunk; ``sentence_rows`` give, for each,
    the row of that (whole) sentence's vector in the sentence index.
    """

    doc: str
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...]
    sentence_rows: tuple[int, ...]


@dataclass
class Snapshot:
    """One complete version of an index, as read from or written to disk."""

    manifest: Manifest
    documents: dict[str, Document]
    chunks: list[ChunkRecord]
    dense: list[VectorIndex]
    lexical: LexicalIndex
    sentence_vectors: VectorIndex
    version: str = ""

    @property
    def sentence_index(self) -> SentenceMaxIndex:
        """The chunks scored by their best sentence (built on first use)."""
        if self._sentence_index is None:
            self._sentence_index = SentenceMaxIndex(self.sentence_vectors, [c.sentence_rows for c in self.chunks])
        return self._sentence_index

    @property
    def sentence_spans(self) -> SentenceSpans:
        """Where each sentence row stands: its document and offsets (built on first use)."""
        if self._sentence_spans is None:
            self._sentence_spans = SentenceSpans.of(self.chunks, len(self.sentence_vectors))
        return self._sentence_spans

    _sentence_index: SentenceMaxIndex | None = field(default=None, repr=False, compare=False)
    _sentence_spans: SentenceSpans | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class SentenceSpans:
    """For each sentence row: the document it belongs to and its offsets in that document's text."""

    docs: list[str]
    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def of(cls, chunks: list[ChunkRecord], count: int) -> SentenceSpans:
        """Join the pieces of each sentence that the chunks hold (chunks cover every sentence whole)."""
        docs = [""] * count
        starts = [2**62] * count
        ends = [0] * count
        for chunk in chunks:
            for (start, end), row in zip(chunk.sentences, chunk.sentence_rows):
                docs[row] = chunk.doc
                starts[row] = min(starts[row], chunk.start + start)
                ends[row] = max(ends[row], chunk.start + end)
        return cls(docs, np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64))
