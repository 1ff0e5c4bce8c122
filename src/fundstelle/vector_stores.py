"""Where a version keeps its vectors: the :class:`VectorStore` protocol, and the store of each kind.

A version folder holds its documents, chunk table, BM25 postings and manifest itself
(:mod:`fundstelle.store`); its vectors (a dense index per ensemble member and the
sentence vectors) go to the store its manifest names (:attr:`fundstelle.manifest.Store.kind`):
``faiss``, files in the folder (:mod:`fundstelle.faiss_files`), or ``milvus``, collections
in Milvus (:mod:`fundstelle.milvus`, imported only for an index that uses it: it needs the
``milvus`` extra). The folder's reader and writer ask :func:`vector_store` and know no store by name.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

from .backends import VectorIndex
from .faiss_files import FAISS_FILES
from .manifest import STORES, Manifest
from .snapshot import Snapshot

__all__ = ["VectorStore", "vector_store"]


class VectorStore(Protocol):
    """The vectors of an index's versions, opened, written, let go of and dropped by version folder."""

    def open(self, folder: Path, manifest: Manifest) -> tuple[list[VectorIndex], VectorIndex]:
        """The dense indexes (one per member) and the sentence vectors of the version in ``folder``.

        Raises :class:`~fundstelle.errors.IndexFolderError` when they do not fit the manifest, or
        :class:`~fundstelle.files.DamagedFile` / ``FileNotFoundError`` for a file of the folder
        (its reader names the index).
        """
        ...

    def write(self, staging: Path, version: str, snapshot: Snapshot) -> Manifest:
        """Write the vectors of ``snapshot`` for the new ``version``, whose folder ``staging`` is being written.

        Returns the manifest to write into that folder (naming where the vectors went);
        they are on disk or in the store when it returns.
        """
        ...

    def release(self, folder: Path) -> None:
        """Let go of what this process holds open of the version in ``folder``, before the folder is removed."""
        ...

    def drop(self, folder: Path, manifest: Manifest) -> None:
        """Remove the vectors the version in ``folder`` keeps outside it, before the folder is removed.

        Raises what the store raises when it cannot now (a server that is away): the
        folder then stays, and the next ingest tries again.
        """
        ...


def vector_store(kind: str) -> VectorStore:
    """The store of ``kind``, one of :data:`fundstelle.manifest.STORES` (as a checked manifest holds it)."""
    if kind == "milvus":
        from .milvus import MILVUS

        return MILVUS
    if kind != "faiss":
        raise ValueError(f"unknown store {kind!r}; one of {', '.join(STORES)}")
    return FAISS_FILES
