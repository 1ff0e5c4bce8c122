"""Splitting documents into overlapping chunks along sentence boundaries.

The merging of sentences into chunks of at most ``chunk_size`` characters, with about
``chunk_overlap`` characters repeated between neighbours, is langchain-text-splitters'
own; the sentences come from :mod:`fundstelle.sentences`, which knows German
abbreviations and ordinals. Every chunk keeps its character offsets, so
``document.text[chunk.start:chunk.end] == chunk.text``.

:func:`chunk_documents` is the ingest's chunker (the plain ingest's and each Ray
worker's): long texts block by block (:func:`text_blocks`), and the documents' sentences
numbered for the sentence vectors.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from langchain_text_splitters import TextSplitter

from .errors import BadInputError
from .results import Document, Progress
from .sentences import embedding_spans, split_sentences

if TYPE_CHECKING:
    from .snapshot import ChunkRecord

__all__ = ["BLOCK_CHARS", "DEFAULT_CHUNK_OVERLAP", "DEFAULT_CHUNK_SIZE", "Chunk", "SentenceSplitter", "check_chunking",
           "chunk_documents", "chunk_text", "text_blocks"]

# Chosen on XQuAD-de by benchmarks/chunking.py: see docs/answers.md, "Chunk size".
DEFAULT_CHUNK_SIZE = 400
DEFAULT_CHUNK_OVERLAP = 200
# Long texts are chunked in blocks of at most this many characters (text_blocks), which
# keeps the chunker's work linear in the length of the text.
BLOCK_CHARS = 50_000


@dataclass(frozen=True)
class Chunk:
    """A passage of a document: ``text == document.text[start:end]``.

    ``sentences`` are the sentence spans inside the chunk, as offsets into ``text``.
    """

    start: int
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...]


class SentenceSplitter(TextSplitter):
    """A langchain ``TextSplitter`` that cuts only between sentences (German-aware).

    Each piece handed to langchain's merger is a sentence plus the white space after
    it, so joining pieces with an empty separator gives back the exact source text;
    sentences longer than ``chunk_size`` are cut between words.
    """

    def split_text(self, text: str) -> list[str]:
        """Split ``text`` into chunks that are exact substrings of it."""
        return self.split_at(text, split_sentences(text))

    def split_at(self, text: str, spans: Sequence[tuple[int, int]]) -> list[str]:
        """Split ``text``, whose sentence spans are ``spans``, into chunks that are exact substrings of it."""
        pieces: list[str] = []
        for index, (start, _end) in enumerate(spans):
            piece_end = spans[index + 1][0] if index + 1 < len(spans) else len(text)
            piece_start = 0 if index == 0 else start
            piece = text[piece_start:piece_end]
            if len(piece) <= self._chunk_size:
                pieces.append(piece)
            else:
                pieces.extend(_cut_between_words(piece, self._chunk_size))
        return self._merge_splits(pieces, "")


def _cut_between_words(piece: str, limit: int) -> list[str]:
    """Cut an over-long sentence into parts of at most ``limit`` characters."""
    parts: list[str] = []
    current = ""
    for word in re.findall(r"\S+\s*|\s+", piece):
        while len(word) > limit:  # a single "word" longer than a chunk, e.g. a URL
            if current:
                parts.append(current)
                current = ""
            parts.append(word[:limit])
            word = word[limit:]
        if len(current) + len(word) > limit:
            parts.append(current)
            current = ""
        current += word
    if current:
        parts.append(current)
    return parts


def check_chunking(chunk_size: int, chunk_overlap: int) -> None:
    """Refuse chunk settings the chunker cannot work with (:class:`BadInputError`, naming what to give)."""
    if chunk_size < 50:
        raise BadInputError(f"chunk_size={chunk_size} is too small; use at least 50 characters")
    if not 0 <= chunk_overlap < chunk_size:
        raise BadInputError(
            f"chunk_overlap={chunk_overlap} must be at least 0 and smaller than chunk_size={chunk_size}"
        )


def chunk_text(
    text: str,
    chunk_size: int = DEFAULT_CHUNK_SIZE,
    chunk_overlap: int = DEFAULT_CHUNK_OVERLAP,
    sentences: Sequence[tuple[int, int]] | None = None,
) -> list[Chunk]:
    """Split ``text`` into :class:`Chunk` objects with offsets and sentence spans.

    ``chunk_size`` is the largest chunk in characters; ``chunk_overlap`` how many
    characters of whole sentences neighbouring chunks may share; ``sentences`` the
    text's sentence spans if the caller has them (else they are split here).
    """
    check_chunking(chunk_size, chunk_overlap)
    splitter = SentenceSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
    sentence_spans = split_sentences(text) if sentences is None else sentences
    chunks: list[Chunk] = []
    search_from = 0
    for piece in splitter.split_at(text, sentence_spans):
        start = text.find(piece, search_from)
        if start < 0:  # cannot happen: pieces are substrings in order
            raise RuntimeError("chunker lost track of offsets; please report this text")
        end = start + len(piece)
        inside = tuple(
            (max(s, start) - start, min(e, end) - start)
            for s, e in sentence_spans
            if s < end and e > start
        )
        chunks.append(Chunk(start=start, end=end, text=piece, sentences=inside))
        search_from = start + 1
    return chunks


def text_blocks(text: str, limit: int = BLOCK_CHARS) -> Iterator[tuple[int, str]]:
    """Cut ``text`` into consecutive ``(offset, block)`` pieces of at most ``limit`` characters.

    Cuts fall after a blank line where one lies in the second half of the block,
    else after a line break, a sentence end or a space. A text up to ``limit``
    characters is one block. Joining the blocks gives ``text`` back.
    """
    start = 0
    while len(text) - start > limit:
        end = start + limit
        cut = end
        for separator in ("\n\n", "\n", ". ", " "):
            found = text.rfind(separator, start + limit // 2, end)
            if found >= 0:
                cut = found + len(separator)
                break
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


def chunk_documents(
    docs: list[Document], chunk_size: int, chunk_overlap: int, first_sentence_row: int, progress: Progress | None,
) -> tuple[list[ChunkRecord], list[tuple[str, int, int]]]:
    """Chunk ``docs``; return the chunks and the documents' sentences ``(doc, start, end)``.

    Sentence rows are numbered from ``first_sentence_row``; each chunk sentence points
    at the whole sentence it is part of (a chunk may hold only part of one).
    """
    # Imported here, not at the top: the store's record type is needed only now, and the
    # store's own imports (FAISS, Milvus) should not load with the chunker.
    from .snapshot import ChunkRecord

    chunks: list[ChunkRecord] = []
    sentences: list[tuple[str, int, int]] = []
    characters, characters_done = sum(len(doc.text) for doc in docs), 0
    for doc in docs:
        # Long texts are chunked block by block (cut at paragraph breaks), which keeps
        # the chunker's work linear in the length of the text.
        for offset, block in text_blocks(doc.text):
            # Once: the chunker and the sentence vectors share them (runs of tiny sentences merged).
            spans = embedding_spans(split_sentences(block), len(block))
            starts = [start for start, _ in spans]
            first = first_sentence_row + len(sentences)
            sentences.extend((doc.id, offset + start, offset + end) for start, end in spans)
            for piece in chunk_text(block, chunk_size, chunk_overlap, spans):
                rows = tuple(first + bisect.bisect_right(starts, piece.start + start) - 1
                             for start, _ in piece.sentences)
                chunks.append(ChunkRecord(doc.id, offset + piece.start, offset + piece.end, piece.sentences, rows))
            characters_done += len(block)
            if progress:
                progress("chunk", characters_done, characters)
    return chunks, sentences
