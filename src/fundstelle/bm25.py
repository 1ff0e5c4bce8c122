"""BM25 over the chunks' stemmed words: bm25s builds it, and a saved index is read without bm25s.

:class:`Bm25Index` is the :class:`fundstelle.backends.LexicalIndex` an index folder
holds: numpy arrays and JSON, never a pickle. Searching reads them directly
(``_SavedBm25``), so a process that only asks questions does not import bm25s (and the
scipy, tqdm and requests it brings).
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:  # bm25s is needed to build, not to search
    import bm25s

__all__ = ["Bm25Index"]


class _SavedBm25:
    """A saved bm25s index, read without importing bm25s: what searching needs of ``bm25s.BM25``.

    bm25s stores every (word, row) BM25 score in a column-compressed matrix; a query's
    scores are the sums of its words' columns, added in the order bm25s adds them
    (``BM25._compute_relevance_from_scores``), so the scores are the same to the bit.
    """

    def __init__(self, folder: Path) -> None:
        params = json.loads((folder / "params.index.json").read_text(encoding="utf-8"))
        self.vocab_dict: dict[str, int] = json.loads((folder / "vocab.index.json").read_text(encoding="utf-8"))
        self.scores: dict[str, Any] = {name: np.load(folder / f"{name}.csc.index.npy", allow_pickle=False)
                                       for name in ("data", "indices", "indptr")}
        self.scores["num_docs"] = int(params["num_docs"])
        self._dtype = np.dtype(params.get("dtype", "float32"))
        self._int_dtype = np.dtype(params.get("int_dtype", "int32"))

    def get_tokens_ids(self, tokens: list[str]) -> list[int]:
        return [self.vocab_dict[token] for token in tokens if token in self.vocab_dict]

    def get_scores_from_ids(self, ids: list[int]) -> np.ndarray:
        data, indices, indptr = self.scores["data"], self.scores["indices"], self.scores["indptr"]
        token_ids = np.asarray(ids, dtype=self._int_dtype)
        if int(token_ids.max(initial=0)) >= len(indptr) - 1:
            raise ValueError("a query token id lies past the index's score columns")
        scores = np.zeros(self.scores["num_docs"], dtype=self._dtype)
        for start, end in zip(indptr[token_ids], indptr[token_ids + 1]):
            np.add.at(scores, indices[start:end], data[start:end])
        return scores


class Bm25Index:
    """BM25 over stemmed chunk words (bm25s, Lucene variant), saved without pickle."""

    def __init__(self, retriever: bm25s.BM25 | _SavedBm25, num_rows: int, stopwords_seen: frozenset[str]) -> None:
        self._retriever = retriever
        self._rows = num_rows
        self._stopwords_seen = stopwords_seen

    @classmethod
    def build(cls, corpus_stems: list[list[str]], stopwords_seen: set[str] | frozenset[str] = frozenset()) -> Bm25Index:
        """Index one list of stems per chunk row.

        ``stopwords_seen`` are the stop words that occur in the corpus: not indexed,
        but they tell which language the corpus speaks (see :meth:`known`).
        """
        import bm25s

        retriever = bm25s.BM25()
        # bm25s cannot index an empty corpus or an empty vocabulary; a placeholder
        # token that no query can produce keeps the shapes right.
        safe = [stems or ["\x00"] for stems in corpus_stems] or [["\x00"]]
        retriever.index(safe, show_progress=False)
        return cls(retriever, len(corpus_stems), frozenset(stopwords_seen))

    @classmethod
    def load(cls, folder: Path) -> Bm25Index:
        """Read an index written by :meth:`save` (numpy arrays and JSON only)."""
        retriever = _SavedBm25(folder)
        meta = json.loads((folder / "fundstelle.json").read_text(encoding="utf-8"))
        return cls(retriever, int(meta["rows"]), frozenset(meta["stopwords_seen"]))

    def save(self, folder: Path) -> None:
        """Write the index into ``folder`` (one built by :meth:`build`; a loaded one is on disk already)."""
        if isinstance(self._retriever, _SavedBm25):
            raise TypeError("a BM25 index read from disk is saved already")
        self._retriever.save(str(folder), allow_pickle=False, show_progress=False)
        meta = {"rows": self._rows, "stopwords_seen": sorted(self._stopwords_seen)}
        (folder / "fundstelle.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")

    def __len__(self) -> int:
        return self._rows

    def known(self, stems: list[str]) -> list[bool]:
        """Tell for each stem (or stop word) whether it occurs anywhere in the corpus."""
        vocab = self._retriever.vocab_dict
        return [stem in vocab or stem in self._stopwords_seen for stem in stems]

    def idf(self, stems: list[str]) -> list[float]:
        """BM25's inverse document frequency of each stem; unknown stems count as rarest."""
        vocab = self._retriever.vocab_dict
        indptr = self._retriever.scores["indptr"]
        n = max(self._rows, 1)
        out = []
        for stem in stems:
            token = vocab.get(stem)
            df = 0 if token is None else int(indptr[token + 1] - indptr[token])
            out.append(math.log(1 + (n - df + 0.5) / (df + 0.5)))
        return out

    def scores(self, stems: list[str]) -> np.ndarray:
        """BM25 score of every row for the query ``stems`` (zeros if none is known)."""
        ids = self._retriever.get_tokens_ids([stem for stem in stems if stem != "\x00"])
        if not ids or self._rows == 0:
            return np.zeros(self._rows, dtype=np.float32)
        return np.asarray(self._retriever.get_scores_from_ids(ids), dtype=np.float32)[: self._rows]
