"""The Milvus store: a version's vectors in Milvus collections instead of FAISS files.

Chosen when an index is built (``ingest(..., store="milvus", milvus_uri=...)``) and
recorded in the manifest (:class:`fundstelle.manifest.Store`). Each version gets two
collections, named in its manifest:

- ``<prefix>_<version>_chunks``: one row per chunk (primary key = the chunk's row),
  with the vectors of every ensemble member (fields ``dense_0``, ``dense_1``, …), the
  chunk's text and offsets, and its document's id, source, title and metadata;
- ``<prefix>_<version>_sentences``: one row per sentence, with its vector (``vector``),
  document and offsets.

Everything else stays in the version folder as with FAISS: documents, chunk table,
manifest and the bm25s postings (Milvus's own BM25 was measured against them and does
not match: see docs/scaling.md). Fusion, answer ranking and highlighting are
unchanged; they see a :class:`MilvusIndex`, one more :class:`~fundstelle.backends.VectorIndex`.
The folder's reader and writer reach this store through :data:`MILVUS`, a
:class:`~fundstelle.vector_stores.VectorStore`.

``milvus_uri`` None or "" means Milvus Lite, a local store in the version folder
(``vNNNNNN/milvus.db/``), which one process at a time may open. A path ending in
``.db`` (``./milvus.db``, as pymilvus takes it) is a Milvus Lite store there, which the
index's versions share as they would a server; the manifest holds it absolute, so a
reader started in any folder opens the same store. A URI (``http://host:19530``)
reaches a Milvus server or cluster, which any number of processes may share; its
token, if it needs one, comes from ``MILVUS_TOKEN`` and is never written to the index.
The version switch is the folder's own: the collections are complete before the
manifest naming them is written, and ``CURRENT`` then names that version, so a reader
never sees half an ingest. A shared store's collections go with their version folder.

Modules: :mod:`.connect` (clients, Milvus Lite's one-process rule), :mod:`.vectors`
(:class:`MilvusIndex`, opening a version's collections), :mod:`.write` (writing and
dropping them).
"""

from __future__ import annotations

from pathlib import Path

from ..backends import VectorIndex
from ..manifest import Manifest
from ..snapshot import Snapshot
from .connect import LITE_FOLDER, new_store, release_lite, store_uri
from .vectors import MilvusIndex, open_vectors
from .write import drop_version, write_vectors

__all__ = ["MILVUS", "MilvusIndex", "MilvusStore", "new_store", "store_uri"]


class MilvusStore:
    """A version's vectors in Milvus collections (a :class:`~fundstelle.vector_stores.VectorStore`)."""

    def open(self, folder: Path, manifest: Manifest) -> tuple[list[VectorIndex], VectorIndex]:
        """The collections the manifest names, checked against it (see :func:`~.vectors.open_vectors`)."""
        return open_vectors(folder, manifest)

    def write(self, staging: Path, version: str, snapshot: Snapshot) -> Manifest:
        """Write the version's two collections whole; the manifest returned names them (:func:`~.write_vectors`)."""
        return write_vectors(staging, version, snapshot)

    def release(self, folder: Path) -> None:
        """Close this process's Milvus Lite store in ``folder``, if it has one open (its lock goes with it)."""
        if (folder / LITE_FOLDER).is_dir():
            release_lite(folder)

    def drop(self, folder: Path, manifest: Manifest) -> None:
        """Drop the version's collections from a shared store (a server, a Lite path): :func:`~.write.drop_version`."""
        drop_version(folder, manifest)


MILVUS = MilvusStore()
