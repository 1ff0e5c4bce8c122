"""Filters: search only some documents, chosen by id or by source path.

``where={"doc_id": ["a1b2", "c3d4"], "source": "berichte/*.pdf"}`` keeps the documents
whose id is one of the ids *and* whose source matches one of the glob patterns
(:func:`fnmatch.fnmatchcase`: ``*`` also matches ``/``; case counts). Sources are
absolute paths, so a relative pattern matches the end of one, from a folder boundary on
(``berichte/*.pdf`` keeps ``/home/a/berichte/q3.pdf``). A key may hold one string or a
list; a list means "any of these".

Filtering comes before ranking: :func:`restrict` narrows every signal to the allowed
chunk rows, renumbered ``0..m-1``, and ranking runs on those as if the index held only
them. A filter that keeps one document therefore ranks within it, however far down an
unfiltered search would place its passages. Dense search over few allowed rows scores
each of them: exact, also where the full index is an approximate HNSW graph. Over many
(more than the ``2k / share`` rows the full index would have to return for ``k`` of them to
be allowed) it asks the full index for that many and keeps the allowed ones, as exact as
the full index's own search; when fewer than ``k`` of them are allowed it scores every
allowed row after all. BM25 keeps the whole collection's word rarities, as a search
engine's filter does.
"""

from __future__ import annotations

import fnmatch
import math
import threading
import weakref
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from .backends import LexicalIndex, Searchable
from .errors import BadInputError
from .store import Snapshot

__all__ = ["FILTER_KEYS", "Where", "allowed_rows", "check_where", "parse_where", "restrict"]

FILTER_KEYS = ("doc_id", "source")
Where = Mapping[str, str | Sequence[str]]

# Exact scoring reads the allowed rows' vectors in blocks of this many (a block of
# 384-dimensional vectors is 24 MB), so a broad filter on a large index never copies
# all its vectors at once.
_BLOCK = 16_384


def check_where(where: Where | None) -> dict[str, list[str]]:
    """The filter as ``{key: [values]}`` (empty: no filter); ValueError names what is wrong."""
    if where is None:
        return {}
    if not isinstance(where, Mapping):
        raise BadInputError(f"where must be a mapping such as {{'source': 'docs/*.pdf'}}, not {type(where).__name__}")
    checked: dict[str, list[str]] = {}
    for key, value in where.items():
        if key not in FILTER_KEYS:
            raise BadInputError(f"cannot filter by {key!r}; filters take {' and '.join(FILTER_KEYS)}")
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, Sequence) or not all(isinstance(v, str) for v in values):
            raise BadInputError(f"where[{key!r}] must be a string or a list of strings, not {value!r}")
        checked[key] = list(values)
    return checked


def parse_where(pairs: Sequence[str]) -> dict[str, list[str]]:
    """A filter from ``key=value`` strings (the command line's and ``GET /search``'s form).

    A key given twice takes either value: ``["doc_id=a", "doc_id=b"]`` keeps both documents.
    """
    where: dict[str, list[str]] = {}
    for pair in pairs:
        key, equals, value = pair.partition("=")
        if not equals:
            raise BadInputError(f"a filter is written key=value (e.g. source=docs/*.pdf), not {pair!r}")
        where.setdefault(key.strip(), []).append(value.strip())
    return check_where(where)


def allowed_rows(snapshot: Snapshot, checked: dict[str, list[str]]) -> np.ndarray | None:
    """The chunk rows of the documents a filter keeps, ascending; None when it keeps every row.

    ``checked`` is the filter as :func:`check_where` returns it (each call checks it once).
    """
    if not checked:
        return None
    ids = set(checked.get("doc_id", snapshot.documents))
    patterns = checked.get("source")
    keep = [doc.id for doc in snapshot.documents.values()
            if doc.id in ids and (patterns is None or any(_source_matches(doc.source, p) for p in patterns))]
    rows_of = _rows_by_document(snapshot)
    parts = [rows_of[doc_id] for doc_id in keep if doc_id in rows_of]
    return np.sort(np.concatenate(parts)) if parts else np.zeros(0, dtype=np.int64)


def _source_matches(source: str, pattern: str) -> bool:
    """Does ``source`` match the glob ``pattern``: whole, or (a relative pattern) from a folder boundary on?"""
    return fnmatch.fnmatchcase(source, pattern) or (
        not pattern.startswith("/") and fnmatch.fnmatchcase(source, f"*/{pattern}"))


def restrict(
    dense: Sequence[Searchable], lexical: LexicalIndex, rows: np.ndarray,
) -> tuple[list[Searchable], LexicalIndex]:
    """The signals narrowed to ``rows`` (ascending), renumbered ``0..len(rows)-1``; map back with ``rows[i]``."""
    return [_VectorSubset(index, rows) for index in dense], _LexicalSubset(lexical, rows)


class _VectorSubset:
    """Some rows of a dense signal, as a signal of their own."""

    def __init__(self, inner: Searchable, rows: np.ndarray) -> None:
        self._inner = inner
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(rows, scores)`` of the ``k`` best allowed rows (local numbers), best first."""
        k = min(k, len(self._rows))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        # The full index would have to return about 2k/share rows for k of them to be
        # allowed; when the allowed rows are fewer than that, scoring each is cheaper.
        total = len(self._inner)
        wanted = min(total, math.ceil(2 * k * total / len(self._rows)))
        if len(self._rows) > wanted:
            found, scores = self._inner.search(query, wanted)
            local = np.searchsorted(self._rows, found).clip(max=len(self._rows) - 1)
            allowed = self._rows[local] == found
            if allowed.sum() >= k:
                return local[allowed][:k], scores[allowed][:k]
        scores = np.concatenate([
            self._inner.scores(query, self._rows[start:start + _BLOCK]) for start in range(0, len(self._rows), _BLOCK)
        ])
        top = np.argpartition(-scores, k - 1)[:k] if k < len(scores) else np.arange(len(scores))
        top = top[np.lexsort((top, -scores[top]))]
        return top.astype(np.int64), scores[top]

    def scores(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact scores of ``query`` against the given local rows."""
        return self._inner.scores(query, self._rows[np.asarray(rows, dtype=np.int64)])



class _LexicalSubset:
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


# Chunk rows per document, built once per snapshot (an open Index keeps one snapshot
# until an ingest writes a new version). Keyed by identity: a Snapshot is not hashable.
_ROWS_CACHE: dict[int, tuple[weakref.ref[Snapshot], dict[str, np.ndarray]]] = {}
_ROWS_LOCK = threading.Lock()


def _rows_by_document(snapshot: Snapshot) -> dict[str, np.ndarray]:
    """Each document's chunk rows, ascending."""
    with _ROWS_LOCK:
        cached = _ROWS_CACHE.get(id(snapshot))
        if cached is not None and cached[0]() is snapshot:
            return cached[1]
    lists: dict[str, list[int]] = {}
    for row, chunk in enumerate(snapshot.chunks):
        lists.setdefault(chunk.doc, []).append(row)
    rows = {doc: np.asarray(found, dtype=np.int64) for doc, found in lists.items()}
    with _ROWS_LOCK:
        for key in [key for key, (ref, _) in _ROWS_CACHE.items() if ref() is None]:
            del _ROWS_CACHE[key]
        _ROWS_CACHE[id(snapshot)] = (weakref.ref(snapshot), rows)
    return rows
