"""The index on disk: versioned, atomic, pickle-free.

Layout of an index directory::

    index/
      CURRENT                the name of the live version, e.g. "v000003" (replaced atomically)
      ingest.lock            held by the one ingest that may write
      .fundstelle-index      marks the folder as an index folder
      v000003/
        manifest.json        format version, embedders, chunking, documents with hash and chunk count
        documents.jsonl      one document per line: id, source, title, hash, meta, PDF page starts, text
        chunks.jsonl         one chunk per line, in row order: doc, start, end, sentence spans,
                             and each sentence's row in sentences.faiss
        dense-0.faiss        the FAISS index of embedder 0 (one file per ensemble member)
        sentences.faiss      one vector per sentence of the documents, by the first embedder
        bm25/                the bm25s index (numpy arrays and JSON)

The vectors (the ``.faiss`` files) go to the store the manifest names
(:mod:`fundstelle.vector_stores`): an index built with ``store="milvus"`` keeps them in
two Milvus collections instead; with Milvus Lite their data is the folder ``milvus.db/``
of the version (see :mod:`fundstelle.milvus`).

One module per concern: :mod:`.versions` (the ``CURRENT`` pointer and version names),
:mod:`.validate` (checked reads of each file), :mod:`.read` (a version into a
:class:`~fundstelle.snapshot.Snapshot`), :mod:`.write` (a new version and the switch to
it), :mod:`.lock` (the write lock and the folder's mark).
"""

from .lock import MARKER, ingest_lock
from .read import read_snapshot
from .versions import current_version, index_folder, live_manifest
from .write import write_snapshot

__all__ = ["MARKER", "current_version", "index_folder", "ingest_lock", "live_manifest", "read_snapshot",
           "write_snapshot"]
