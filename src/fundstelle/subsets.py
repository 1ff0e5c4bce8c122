"""Some chunk rows of an index's signals, searched as signals of their own: how a filter narrows a search.

:func:`fundstelle.filters.restrict` wraps each signal in one of these, renumbering the
allowed rows ``0..m-1``. Dense search over few allowed rows scores each of them: exact,
also where the full index is an approximate HNSW graph. Over many (more than the
``2k / share`` rows the full index would have to return for ``k`` of them to be allowed) it
asks the full index for that many and keeps the allowed ones, as exact as the full
index's own search; when fewer than ``k`` of them are allowed it asks for four times as
many, and scores every allowed row once that would cost less. Vectors in Milvus are
searched with the filter as Milvus's own filter expression (the kept documents' ids), so
Milvus ranks only allowed rows. BM25 keeps the whole collection's word rarities, as a
search engine's filter does.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from .backends import LexicalIndex, Searchable

__all__ = ["BLOCK_ROWS", "LexicalSubset", "VectorSubset"]

# Exact scoring reads the allowed rows' vectors in blocks of this many (a block of
# 384-dimensional vectors is 24 MB), so a broad filter on a large index never copies
# all its vectors at once.
BLOCK_ROWS = 16_384


class VectorSubset:
    """Some rows of a dense signal, as a signal of their own."""

    def __init__(self, inner: Searchable, rows: np.ndarray, expression: str = "") -> None:
        self._inner = inner
        self._rows = rows
        # A signal that filters by itself (a Milvus collection: filtered_search) gets the expression.
        self._filtered_search = getattr(inner, "filtered_search", None) if expression else None
        self._expression = expression

    def __len__(self) -> int:
        return len(self._rows)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(rows, scores)`` of the ``k`` best allowed rows (local numbers), best first."""
        k = min(k, len(self._rows))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        if self._filtered_search is not None:
            found, scores = self._filtered_search(query, k, self._expression)
            local = np.searchsorted(self._rows, found).clip(max=len(self._rows) - 1)
            allowed = self._rows[local] == found  # (always, unless the collection and the index disagree)
            return local[allowed], scores[allowed]
        # The full index would have to return about 2k/share rows for k of them to be
        # allowed; when the allowed rows are fewer than that, scoring each is cheaper.
        total = len(self._inner)
        wanted = min(total, math.ceil(2 * k * total / len(self._rows)))
        # While asking the full index costs less than scoring every allowed row; four times
        # as many when too few came back (a sentence index returns fewer chunks than asked).
        while len(self._rows) > wanted:
            found, scores = self._inner.search(query, wanted)
            local = np.searchsorted(self._rows, found).clip(max=len(self._rows) - 1)
            allowed = self._rows[local] == found
            if allowed.sum() >= k:
                return local[allowed][:k], scores[allowed][:k]
            if wanted >= total:
                break
            wanted = min(total, 4 * wanted)
        scores = np.concatenate([self._inner.scores(query, self._rows[start:start + BLOCK_ROWS])
                                 for start in range(0, len(self._rows), BLOCK_ROWS)])
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.lexsort((top, -scores[top]))]
        return top.astype(np.int64), scores[top]

    def scores(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact scores of ``query`` against the given local rows."""
        return self._inner.scores(query, self._rows[np.asarray(rows, dtype=np.int64)])


class LexicalSubset:
    """Some rows of a :class:`LexicalIndex`; word rarities stay those of the whole collection."""

    def __init__(self, inner: LexicalIndex, rows: np.ndarray) -> None:
        self._inner = inner
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def scores(self, stems: list[str]) -> np.ndarray:
        """BM25 score of each allowed row (local numbering)."""
        return self._inner.scores(stems)[self._rows]

    def known(self, stems: list[str]) -> list[bool]:
        """Whether each stem occurs anywhere in the collection."""
        return self._inner.known(stems)

    def idf(self, stems: list[str]) -> list[float]:
        """Each stem's rarity in the whole collection."""
        return self._inner.idf(stems)

    def save(self, folder: Path) -> None:
        """Refuse: a filtered view is never saved."""
        raise NotImplementedError("a filtered view of an index is never saved")
