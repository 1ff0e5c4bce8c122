"""Where vectors and postings live: two small interfaces, FAISS and bm25s behind them.

Ingest, search and highlighting only talk to :class:`VectorIndex` and
:class:`LexicalIndex`; the store saves and loads them. :class:`FaissIndex` and
:class:`Bm25Index` (:mod:`fundstelle.bm25`, named here beside the interface it
implements) are what an index folder holds; :class:`ArrayIndex`, exact search
over a numpy array in memory, is a second vector backend (for tests and small
in-memory corpora). Rows are numbered ``0..n-1`` in the order of the index's chunk table.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

import faiss
import numpy as np

from .bm25 import Bm25Index

__all__ = [
    "EXACT_SEARCH_LIMIT",
    "ArrayIndex",
    "Bm25Index",
    "FaissIndex",
    "LexicalIndex",
    "Searchable",
    "SentenceMaxIndex",
    "VectorIndex",
    "faiss_file_problem",
]

# Up to this many vectors an exact (flat) FAISS index answers fast enough; above it an
# HNSW graph takes over. Chosen by measurement (benchmarks/scale.py; BENCHMARKS.md,
# "Scale"): exact search costs about 0.15-0.18 ms per 1,000 vectors on 2 cores, so at
# this limit one index's exact search stays under 10 ms. HNSW's recall@10 is lowest on
# mid-sized sets (0.91 at 20k synthetic vectors with these settings, 0.98 at 50k, 0.99
# and above from 100k), another reason not to switch earlier.
EXACT_SEARCH_LIMIT = 55_000
# M=32 keeps recall@10 at 0.993 on 1M vectors where M=16 reaches 0.964. efSearch 100
# would do for the chunk vectors above the limit (recall@10 >= 0.98); 128 keeps the
# sentence vectors (1.5 per chunk) at 0.976 on 1.53M. rank() asks for CANDIDATES rows,
# and FAISS searches with max(efSearch, k).
HNSW_NEIGHBOURS = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


class Searchable(Protocol):
    """Rows scored against a question vector: what fusion needs of a dense signal."""

    def __len__(self) -> int:
        """Number of rows."""

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(rows, scores)`` of the ``k`` best rows, best first."""

    def scores(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Return the score of ``query`` against each row in ``rows``."""


class VectorIndex(Searchable, Protocol):
    """Dense unit vectors, one per row, searched by inner product (cosine on unit vectors)."""

    @property
    def dim(self) -> int:
        """Vector dimension."""

    @property
    def kind(self) -> str:
        """The implementation, as the manifest records it (e.g. ``IndexFlatIP``)."""

    def __len__(self) -> int:
        """Number of vectors (one per row)."""

    def add(self, vectors: np.ndarray) -> None:
        """Append ``vectors`` (unit rows) after the rows already held."""

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(rows, scores)`` of the ``k`` nearest rows, best first."""

    def scores(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Return the exact score of ``query`` against each row in ``rows``."""

    def vectors(self, rows: np.ndarray | None = None) -> np.ndarray:
        """Return the vectors of ``rows`` (all if None) as an ``(n, dim)`` array, e.g. to carry them over."""

    def save(self, path: Path) -> None:
        """Write the vectors to ``path``."""


class LexicalIndex(Protocol):
    """Postings of the chunks' stemmed words, scored by BM25."""

    def __len__(self) -> int:
        """Number of chunk rows indexed."""

    def scores(self, stems: list[str]) -> np.ndarray:
        """Return the BM25 score of every row for the query ``stems``."""

    def known(self, stems: list[str]) -> list[bool]:
        """Tell for each stem (or stop word) whether it occurs anywhere in the corpus."""

    def idf(self, stems: list[str]) -> list[float]:
        """Inverse document frequency of each stem (rare words weigh more)."""

    def save(self, folder: Path) -> None:
        """Write the postings into ``folder``."""


class FaissIndex:
    """A FAISS inner-product index: exact (flat) when small, HNSW when large."""

    def __init__(self, index: faiss.Index) -> None:
        self._index = index
        if isinstance(index, faiss.IndexHNSW):
            index.hnsw.efSearch = HNSW_EF_SEARCH

    @classmethod
    def empty(cls, dim: int, rows: int, exact_limit: int | None = None) -> FaissIndex:
        """An index for ``rows`` vectors of ``dim``: flat up to ``exact_limit`` rows, HNSW above.

        ``exact_limit`` defaults to ``EXACT_SEARCH_LIMIT``.
        """
        if rows <= (EXACT_SEARCH_LIMIT if exact_limit is None else exact_limit):
            index: faiss.Index = faiss.IndexFlatIP(dim)
            storage = index
        else:
            index = faiss.IndexHNSWFlat(dim, HNSW_NEIGHBOURS, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            storage = faiss.downcast_index(index.storage)
        # Both kinds keep their vectors in an IndexFlatCodes (an HNSWFlat's storage is an
        # IndexFlat); faiss's stubs type downcast_index as returning the base Index.
        assert isinstance(storage, faiss.IndexFlatCodes), type(storage).__name__
        # Reserve room for all rows up front: growing the vector storage slice by slice
        # doubles its capacity, and the copy briefly holds both, nearly twice the vectors'
        # size at peak. Shrinking a std::vector keeps its capacity, so this is a reserve.
        storage.codes.resize(rows * dim * 4)
        storage.codes.resize(0)
        return cls(index)

    @classmethod
    def build(cls, vectors: np.ndarray, exact_limit: int | None = None) -> FaissIndex:
        """Index ``vectors`` (unit rows); flat below ``exact_limit`` rows, HNSW above."""
        index = cls.empty(vectors.shape[1], len(vectors), exact_limit)
        index.add(vectors)
        return index

    def add(self, vectors: np.ndarray) -> None:
        """Append ``vectors`` (unit rows) after the rows already held."""
        if len(vectors):
            self._index.add(np.ascontiguousarray(vectors, dtype=np.float32))

    @classmethod
    def load(cls, path: Path) -> FaissIndex:
        """Read an index written by :meth:`save` (FAISS's own binary format)."""
        return cls(faiss.read_index(str(path)))

    def save(self, path: Path) -> None:
        """Write the index to ``path``."""
        faiss.write_index(self._index, str(path))

    @property
    def kind(self) -> str:
        """The FAISS index class, e.g. ``IndexFlatIP``."""
        return type(self._index).__name__

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return int(self._index.d)

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(rows, scores)`` of the ``k`` nearest rows, best first."""
        k = min(k, len(self))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        # For one question FAISS's second OpenMP thread only adds wake-ups: a flat search
        # of 30k vectors is faster with one thread, and several times faster when other
        # work keeps the cores busy (benchmarks/threads.py). The thread count is per
        # calling thread in OpenMP, so other threads (an ingest building an HNSW graph)
        # keep theirs.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, rows = self._index.search(np.asarray(query, dtype=np.float32).reshape(1, -1), k)
        finally:
            faiss.omp_set_num_threads(threads)
        keep = rows[0] >= 0
        return rows[0][keep], scores[0][keep]

    def scores(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact inner products of ``query`` with the given rows."""
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float32)
        return self.vectors(rows) @ np.asarray(query, dtype=np.float32)

    def vectors(self, rows: np.ndarray | None = None) -> np.ndarray:
        """All vectors in row order, or only those of ``rows`` (without copying the rest)."""
        if rows is not None:
            if len(rows) == 0:
                return np.zeros((0, self.dim), dtype=np.float32)
            return self._index.reconstruct_batch(np.asarray(rows, dtype=np.int64))
        if len(self) == 0:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._index.reconstruct_n(0, len(self))


class ArrayIndex:
    """Exact inner-product search over vectors held in a numpy array (in memory only)."""

    def __init__(self, dim: int) -> None:
        self._dim = dim
        self._parts: list[np.ndarray] = []
        self._matrix = np.zeros((0, dim), dtype=np.float32)

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return self._dim

    @property
    def kind(self) -> str:
        """``ArrayIndex``: not a FAISS kind, so an index folder never holds one."""
        return "ArrayIndex"

    def _all(self) -> np.ndarray:
        if self._parts:  # appended slices are joined on first use
            self._matrix = np.concatenate([self._matrix, *self._parts])
            self._parts = []
        return self._matrix

    def __len__(self) -> int:
        return len(self._matrix) + sum(len(part) for part in self._parts)

    def add(self, vectors: np.ndarray) -> None:
        """Append ``vectors`` (unit rows) after the rows already held."""
        if len(vectors):
            self._parts.append(np.ascontiguousarray(vectors, dtype=np.float32).reshape(-1, self._dim))

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(rows, scores)`` of the ``k`` nearest rows, best first (ties by row)."""
        scores = self._all() @ np.asarray(query, dtype=np.float32)
        rows = np.lexsort((np.arange(len(scores)), -scores))[:max(k, 0)]
        return rows.astype(np.int64), scores[rows]

    def scores(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact inner products of ``query`` with the given rows."""
        return self.vectors(rows) @ np.asarray(query, dtype=np.float32)

    def vectors(self, rows: np.ndarray | None = None) -> np.ndarray:
        """All vectors in row order, or only those of ``rows``."""
        matrix = self._all()
        return matrix.copy() if rows is None else matrix[np.asarray(rows, dtype=np.int64)]

    def save(self, path: Path) -> None:
        """Refuse: an in-memory index has no file format in an index folder."""
        raise NotImplementedError("an ArrayIndex lives in memory only; index folders hold FAISS files")


# FAISS's index header: four-letter kind, dimension, vector count, two unused counts,
# "is trained" and the metric; then, for the metric kinds above 1, a float argument.
_FAISS_HEADER = struct.Struct("<4siqqq?i")
# The arrays an HNSW graph stores before its flat vector storage, with each element's size.
_HNSW_ARRAYS = (("assign_probas", 8), ("cum_nneighbor_per_level", 4), ("levels", 4), ("offsets", 8),
                ("neighbors", 4))


def faiss_file_problem(path: Path) -> str | None:
    """What is wrong with the layout of a FAISS file of the kinds written here, or None.

    FAISS allocates every array its file declares before reading it, so a 300 KB file
    that claims 3 GB of vectors would take 3 GB. This walks the headers and the length
    of each array of an ``IndexFlatIP`` or ``IndexHNSWFlat`` file without reading the
    arrays, and checks each against the bytes the file holds.
    """
    size = os.path.getsize(path)
    with open(path, "rb") as handle:

        def read(layout: struct.Struct) -> tuple:
            data = handle.read(layout.size)
            if len(data) < layout.size:
                raise _Layout("ends inside a header")
            return layout.unpack(data)

        def skip_array(name: str, item: int, expected: int | None = None) -> None:
            (count,) = read(_U64)
            if count * item > size - handle.tell():
                raise _Layout(f"{name} claims {count * item} bytes, the file holds {size - handle.tell()} more")
            if expected is not None and count != expected:
                raise _Layout(f"{name} holds {count} values, {expected} expected")
            handle.seek(count * item, os.SEEK_CUR)

        def index() -> None:
            kind, dim, count, _, _, _, metric = read(_FAISS_HEADER)
            if metric > 1:
                read(_F32)
            if dim <= 0 or count < 0:
                raise _Layout(f"a header claims {count} vectors of dimension {dim}")
            if kind == b"IxFI":
                skip_array("the vector array", 4, count * dim)
            elif kind == b"IHNf":
                for name, item in _HNSW_ARRAYS:
                    skip_array(name, item)
                read(_HNSW_SETTINGS)
                index()
            else:
                raise _Layout(f"an index of kind {kind!r}")

        try:
            index()
        except _Layout as problem:
            return str(problem)
        if handle.tell() != size:
            return f"{size - handle.tell()} bytes after the index"
    return None


class _Layout(Exception):
    """A FAISS file's layout is not what its headers say."""


_U64 = struct.Struct("<Q")
_F32 = struct.Struct("<f")
# entry point, top level, efConstruction, efSearch and an unused int.
_HNSW_SETTINGS = struct.Struct("<5i")


class SentenceMaxIndex:
    """Chunks scored by their best sentence: a :class:`VectorIndex` over chunk rows.

    The vectors are one per sentence of the documents; a chunk's score is the highest
    score of the sentences it holds. A question usually matches one sentence, and a
    sentence's vector is not diluted by its neighbours the way a chunk's vector is.
    """

    def __init__(self, sentences: VectorIndex, chunk_sentences: Sequence[Sequence[int]]) -> None:
        self._sentences = sentences
        lengths = np.fromiter((len(rows) for rows in chunk_sentences), dtype=np.int64, count=len(chunk_sentences))
        if len(lengths) and lengths.min() < 1:
            raise ValueError("every chunk needs at least one sentence row")
        self._indptr = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        self._members = np.fromiter((r for rows in chunk_sentences for r in rows), dtype=np.int64,
                                    count=int(self._indptr[-1]))
        # The reverse map, sentence → chunks, as CSR over sentences sorted by row.
        order = np.argsort(self._members, kind="stable")
        self._chunk_of = np.repeat(np.arange(len(lengths), dtype=np.int64), lengths)[order]
        self._sentence_starts = np.searchsorted(self._members[order], np.arange(len(sentences) + 1))

    def __len__(self) -> int:
        return len(self._indptr) - 1

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return the ``k`` chunks with the best-scoring sentences, best first."""
        sentence_rows, _ = self._sentences.search(query, 2 * k)
        chunks = np.unique(np.concatenate([
            self._chunk_of[self._sentence_starts[row]:self._sentence_starts[row + 1]] for row in sentence_rows
        ])) if len(sentence_rows) else np.zeros(0, dtype=np.int64)
        scores = self.scores(query, chunks)
        order = np.argsort(-scores, kind="stable")[:k]
        return chunks[order], scores[order]

    def scores(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Score of each chunk row: the best inner product among its sentences."""
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float32)
        starts, ends = self._indptr[rows], self._indptr[rows + 1]
        gathered = np.concatenate([self._members[a:b] for a, b in zip(starts, ends)])
        sentence_scores = self._sentences.scores(query, gathered)
        return np.maximum.reduceat(sentence_scores, np.concatenate([[0], np.cumsum(ends - starts)[:-1]]))

    def sentence_scores(self, query: np.ndarray, row: int) -> np.ndarray:
        """Scores of the sentences of one chunk row, in the chunk's sentence order."""
        return self._sentences.scores(query, self._members[self._indptr[row]:self._indptr[row + 1]])

    def vectors(self) -> np.ndarray:
        """The sentence vectors (one per sentence row, not per chunk)."""
        return self._sentences.vectors()
