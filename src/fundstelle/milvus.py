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
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import threading
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .backends import EXACT_SEARCH_LIMIT, HNSW_EF_CONSTRUCTION, HNSW_EF_SEARCH, HNSW_NEIGHBOURS, VectorIndex
from .errors import IndexFolderError, IndexLockedError
from .manifest import MILVUS_URI_FORMS, Manifest, Store, is_lite_path, is_milvus_uri

if TYPE_CHECKING:
    from pymilvus import MilvusClient

    from .store import Snapshot

__all__ = ["LITE_FOLDER", "MilvusIndex", "drop_version", "new_store", "open_vectors", "release_lite", "store_uri",
           "write_vectors"]

# Milvus Lite's data folder inside a version folder (pymilvus takes a path ending in .db
# as a local store).
LITE_FOLDER = "milvus.db"
# Rows per insert and ids per get: larger batches gain nothing and make single requests large.
_BATCH = 1000
# Milvus VARCHAR fields hold at most this many bytes.
_MAX_TEXT = 65535
_SENTENCE_FIELD = "vector"
_INSTALL = "the Milvus store needs pymilvus and milvus-lite: pip install 'fundstelle[milvus]'"


def store_uri(uri: str | None) -> str:
    """``uri`` as a store entry holds it: "" (Lite in the index folder), a server's address, or a Milvus Lite path.

    A Milvus Lite path is made absolute here (against the working directory, as pymilvus
    would take it), so the index names the same store whichever folder it is read from.
    Raises ValueError for anything else, naming the forms accepted, before anything is written.
    """
    if not uri:
        return ""
    if is_lite_path(uri):
        path = Path(uri).expanduser().absolute()
        if not path.parent.is_dir():
            raise ValueError(f"the folder of the Milvus Lite store {uri} ({path.parent}) does not exist")
        uri = os.path.normpath(path)
    if not is_milvus_uri(uri):
        raise ValueError(f"{uri!r} is not a Milvus store; --milvus-uri takes {MILVUS_URI_FORMS}")
    return uri


def new_store(uri: str | None) -> Store:
    """The store entry of a new Milvus-backed index at ``uri`` (see :func:`store_uri`) with a fresh prefix."""
    uri = store_uri(uri)
    _pymilvus()  # say what to install before any work is done
    if not _on_server(uri):
        _lite()
    # A random prefix: several indexes may share one server.
    return Store("milvus", uri, f"fs_{secrets.token_hex(6)}")


class MilvusIndex:
    """One vector field of a Milvus collection, searched by inner product: a read-only :class:`VectorIndex`.

    Rows are the collection's primary keys ``0..n-1``. :meth:`scores` fetches the rows'
    vectors and takes the dot product here: exact whatever the index type, and one
    request however many rows.
    """

    def __init__(self, client: MilvusClient, collection: str, field: str, dim: int, count: int, kind: str) -> None:
        self._client = client
        self._collection = collection
        self._field = field
        self._dim = dim
        self._count = count
        self._kind = kind

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return self._dim

    @property
    def kind(self) -> str:
        """The Milvus index type (``FLAT`` or ``HNSW``)."""
        return self._kind

    def __len__(self) -> int:
        return self._count

    def add(self, vectors: np.ndarray) -> None:
        """Refuse: a version's collections are written whole, by :func:`write_vectors`."""
        raise NotImplementedError("a MilvusIndex is read-only; an ingest writes a new version's collections")

    def save(self, path: Path) -> None:
        """Refuse: the vectors are in Milvus, not in a file (see :func:`write_vectors`)."""
        raise NotImplementedError("a MilvusIndex lives in Milvus; write_vectors writes a version's collections")

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Return ``(rows, scores)`` of the ``k`` nearest rows, best first."""
        return self.filtered_search(query, k, "")

    def filtered_search(self, query: np.ndarray, k: int, expression: str) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`search` among the rows that meet a Milvus filter ``expression`` ("": all rows).

        Milvus applies the filter before it ranks (see :func:`fundstelle.filters.milvus_expression`).
        """
        # Milvus answers at most 16,384 rows per search.
        k = min(k, len(self), 16_384)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        params: dict[str, Any] = {"metric_type": "IP"}
        if self._kind == "HNSW":
            params["params"] = {"ef": max(HNSW_EF_SEARCH, k)}
        found = self._client.search(self._collection, data=[np.asarray(query, dtype=np.float32).tolist()],
                                    anns_field=self._field, limit=k, search_params=params, output_fields=[],
                                    filter=expression)[0]
        rows = np.fromiter((hit.id for hit in found), dtype=np.int64, count=len(found))
        scores = np.fromiter((hit.distance for hit in found), dtype=np.float32, count=len(found))
        return rows, scores

    def scores(self, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """Exact inner products of ``query`` with the given rows."""
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float32)
        return self.vectors(rows) @ np.asarray(query, dtype=np.float32)

    def vectors(self, rows: np.ndarray | None = None) -> np.ndarray:
        """The vectors of ``rows`` (all if None), in that order."""
        wanted = np.arange(self._count, dtype=np.int64) if rows is None else np.asarray(rows, dtype=np.int64)
        out = np.zeros((len(wanted), self._dim), dtype=np.float32)
        unique, where = np.unique(wanted, return_inverse=True)
        for start in range(0, len(unique), _BATCH):
            ids = unique[start:start + _BATCH]
            got = self._client.get(self._collection, ids=ids.tolist(), output_fields=[self._field])
            if len(got) != len(ids):
                raise IndexFolderError(f"Milvus collection {self._collection} lacks rows the index names "
                                       f"({len(ids) - len(got)} of {len(ids)} asked)")
            by_row = {int(row["row"]): row[self._field] for row in got}
            block = np.asarray([by_row[int(row)] for row in ids], dtype=np.float32)
            positions = np.flatnonzero((where >= start) & (where < start + len(ids)))
            out[positions] = block[where[positions] - start]
        return out


# ------------------------------------------------------------------ connections

_CLIENTS: dict[str, MilvusClient] = {}
# pymilvus pings its server every 10 s, even when idle; Milvus Lite's server keeps gRPC's
# default (a ping every 5 minutes at most) and, in a benchmark run, answered with GOAWAY
# "too_many_pings", which gRPC prints to stderr. The store is in this process: no pings needed.
_LITE_GRPC = {"grpc.keepalive_time_ms": 300_000, "grpc.keepalive_permit_without_calls": False}
_CLIENTS_LOCK = threading.Lock()


def _pymilvus() -> Any:
    try:
        import pymilvus
    except ImportError as error:
        raise ImportError(_INSTALL) from error
    return pymilvus


def _lite() -> None:
    """Raise ImportError saying what to install unless milvus-lite (which pymilvus uses for a local store) is."""
    try:
        import milvus_lite  # noqa: F401
    except ImportError as error:
        raise ImportError(_INSTALL) from error


def _on_server(uri: str) -> bool:
    """Does a store ``uri`` name a Milvus server (not Milvus Lite, in the version folder or at a path)?"""
    return bool(uri) and not is_lite_path(uri)


def _lite_target(uri: str, folder: Path) -> Path | None:
    """The Milvus Lite store (absolute) a store ``uri`` of the version ``folder`` names; None for a server.

    Absolute, as this process's clients are kept by it: a process may change its folder.
    """
    if not uri:
        return Path(os.path.abspath(folder / LITE_FOLDER))
    return Path(uri) if is_lite_path(uri) else None


def _client(uri: str, folder: Path, create: bool = False) -> MilvusClient:
    """The process's client for ``uri`` (a server or a Milvus Lite path), or for the Milvus Lite store of ``folder``.

    A Milvus Lite store that is not there is a FileNotFoundError unless ``create`` is set.
    """
    pymilvus = _pymilvus()
    lite = _lite_target(uri, folder)
    target = str(lite) if lite is not None else uri
    if lite is not None and not create and not lite.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no Milvus Lite store", target)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(target)
        if client is not None:
            return client
        if lite is None:
            try:
                client = pymilvus.MilvusClient(uri=uri, token=os.environ.get("MILVUS_TOKEN", ""))
            except pymilvus.MilvusException as error:
                raise IndexFolderError(f"cannot reach the Milvus server at {uri} ({error.message})",
                                       str(folder.parent), "server") from None
        else:
            _lite()
            # Asked first: pymilvus would log a traceback before failing.
            if _held_elsewhere(lite):
                raise IndexLockedError(
                    f"another process has the Milvus Lite store {target} open (Milvus Lite serves one process "
                    f"at a time; to search and ingest from several, build the index on a Milvus server with "
                    f"--milvus-uri)", str(folder.parent), "another process (Milvus Lite)")
            client = pymilvus.MilvusClient(target, grpc_options=_LITE_GRPC)
        _CLIENTS[target] = client
        return client


def _held_elsewhere(lite: Path) -> bool:
    """Does another process hold the lock of the Milvus Lite store at ``lite``?"""
    try:
        handle = open(lite / "LOCK", "rb")
    except OSError:
        return False
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


def release_lite(folder: Path) -> None:
    """Close this process's Milvus Lite store in the version ``folder`` (if open), releasing its lock.

    Called before a version folder is removed, and when its writing is done.
    """
    _release(os.path.abspath(folder / LITE_FOLDER))


def _release(target: str) -> None:
    """Close this process's Milvus Lite store at ``target`` (if open), releasing its lock."""
    with _CLIENTS_LOCK:
        client = _CLIENTS.pop(target, None)
    if client is not None:
        client.close()
    with contextlib.suppress(ImportError):
        from milvus_lite.server_manager import server_manager_instance

        # pymilvus keeps the embedded server (and its lock) after close(), for the process's life.
        server_manager_instance.release_server(target)


# ------------------------------------------------------------------ reading

def open_vectors(folder: Path, manifest: Manifest) -> tuple[list[VectorIndex], VectorIndex]:
    """The dense indexes (one per member) and the sentence vectors of the version in ``folder``.

    Raises :class:`IndexFolderError` when a collection is missing or does not fit the manifest.
    """
    store = manifest.store
    try:
        client = _client(store.uri, folder)
    except FileNotFoundError:
        if not store.uri:
            raise  # the version folder's own store: the reader names the missing file
        raise IndexFolderError(f"index {folder} keeps its vectors in the Milvus Lite store {store.uri}, which is "
                               f"missing", str(folder.parent)) from None
    counts = {}
    for name in (store.chunks, store.sentences):
        if not client.has_collection(name):
            lite = _lite_target(store.uri, folder)
            where = f"the Milvus server at {store.uri}" if lite is None else f"the Milvus Lite store {lite}"
            raise IndexFolderError(f"index {folder} names Milvus collection {name}, which {where} does not hold",
                                   str(folder.parent))
        client.load_collection(name)
        counts[name] = _count(client, name)
    fields = [(store.chunks, member.file, member.dim) for member in manifest.members]
    fields.append((store.sentences, manifest.sentences_file, manifest.members[manifest.sentence_member].dim))
    indexes = [MilvusIndex(client, collection, field, dim, counts[collection], _vector_field(client, collection,
                                                                                               field, dim, folder))
               for collection, field, dim in fields]
    return list(indexes[:-1]), indexes[-1]


def _count(client: MilvusClient, collection: str) -> int:
    return int(client.query(collection, filter="", output_fields=["count(*)"])[0]["count(*)"])


def _vector_field(client: MilvusClient, collection: str, field: str, dim: int, folder: Path) -> str:
    """Check that ``field`` of ``collection`` holds ``dim``-dimensional vectors indexed for inner product.

    Returns the index type; raises :class:`IndexFolderError` naming what does not fit.
    """
    dims = {f["name"]: f.get("params", {}).get("dim") for f in client.describe_collection(collection)["fields"]}
    indexes = {}
    for name in client.list_indexes(collection):
        described = client.describe_index(collection, name)
        indexes[described.get("field_name", name)] = described
    index = indexes.get(field, {})
    if str(dims.get(field)) != str(dim) or index.get("metric_type") != "IP":
        raise IndexFolderError(f"index {folder}: Milvus collection {collection} has no field {field} of {dim}-"
                               f"dimensional vectors searched by inner product, which the manifest names",
                               str(folder.parent))
    return str(index.get("index_type", "FLAT"))


# ------------------------------------------------------------------ writing

def write_vectors(staging: Path, version: str, snapshot: Snapshot) -> Manifest:
    """Write the vectors of ``snapshot`` as the collections of ``version``; return its manifest naming them.

    ``staging`` is the version's folder being written (Milvus Lite's store goes into
    it). Collections this index keeps for no version but ``version`` and the one it
    replaces (``snapshot.version``) are dropped: left over from older versions, or
    from an ingest that stopped half-way.
    """
    manifest = snapshot.manifest
    store = replace(manifest.store, chunks=f"{manifest.store.prefix}_{version}_chunks",
                    sentences=f"{manifest.store.prefix}_{version}_sentences")
    lite = _lite_target(store.uri, staging)
    # A reader in this process may have a shared Milvus Lite store open: it stays open for it.
    opened_here = lite is not None and str(lite) not in _CLIENTS
    client = _client(store.uri, staging, create=True)
    try:
        kind = _write_chunks(client, store, snapshot)
        _write_sentences(client, store, snapshot)
        if store.uri:
            _drop_stale(client, store, keep={version, snapshot.version})
    finally:
        if lite is not None and opened_here:
            _release(str(lite))
    if lite is not None:
        _fsync_tree(lite)
    members = tuple(replace(member, file=f"dense_{i}", faiss=kind) for i, member in enumerate(manifest.members))
    return replace(manifest, store=store, members=members, sentences_file=_SENTENCE_FIELD)


def _index_params(client: MilvusClient, store: Store, fields: list[str], rows: int) -> tuple[Any, str]:
    """Exact search (FLAT) up to ``EXACT_SEARCH_LIMIT`` rows and always on Milvus Lite; HNSW above, on a server.

    HNSW's settings are FAISS's (``fundstelle.backends``), so both stores trade recall
    for speed alike. Milvus Lite builds HNSW in a background thread that keeps the
    process alive until done, and searched no faster in our measurements.
    """
    kind = "HNSW" if _on_server(store.uri) and rows > EXACT_SEARCH_LIMIT else "FLAT"
    params = client.prepare_index_params()
    for field in fields:
        if kind == "HNSW":
            params.add_index(field_name=field, index_type="HNSW", metric_type="IP",
                             params={"M": HNSW_NEIGHBOURS, "efConstruction": HNSW_EF_CONSTRUCTION})
        else:
            params.add_index(field_name=field, index_type="FLAT", metric_type="IP")
    return params, kind


def _create(client: MilvusClient, name: str, fields: list[tuple[str, Any, dict[str, Any]]], vectors: dict[str, int],
            store: Store, rows: int) -> str:
    """Create the collection ``name`` (dropping a leftover of that name); return its index kind."""
    pymilvus = _pymilvus()
    schema = pymilvus.MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("row", pymilvus.DataType.INT64, is_primary=True)
    for field, kind, options in fields:
        schema.add_field(field, getattr(pymilvus.DataType, kind), **options)
    for field, dim in vectors.items():
        schema.add_field(field, pymilvus.DataType.FLOAT_VECTOR, dim=dim)
    if client.has_collection(name):
        client.drop_collection(name)
    params, kind = _index_params(client, store, list(vectors), rows)
    client.create_collection(name, schema=schema, index_params=params)
    return kind


def _text(value: str, what: str) -> str:
    if len(value) > _MAX_TEXT // 4 and len(value.encode("utf-8")) > _MAX_TEXT:
        raise ValueError(f"{what} has {len(value.encode('utf-8'))} bytes; a Milvus text field holds {_MAX_TEXT} "
                         f"(use a smaller --chunk-size)")
    return value


def _write_chunks(client: MilvusClient, store: Store, snapshot: Snapshot) -> str:
    """The chunks collection: every member's vectors, text, offsets and document facts per chunk row.

    Returns the index type of its vector fields.
    """
    varchar = {"max_length": _MAX_TEXT}
    fields = [("doc", "VARCHAR", varchar), ("source", "VARCHAR", varchar), ("title", "VARCHAR", varchar),
              ("meta", "JSON", {}), ("start", "INT64", {}), ("end", "INT64", {}), ("text", "VARCHAR", varchar)]
    dims = {f"dense_{i}": index.dim for i, index in enumerate(snapshot.dense)}
    kind = _create(client, store.chunks, fields, dims, store, len(snapshot.chunks))
    documents = snapshot.documents
    for start in range(0, len(snapshot.chunks), _BATCH):
        rows = np.arange(start, min(start + _BATCH, len(snapshot.chunks)), dtype=np.int64)
        vectors = [index.vectors(rows) for index in snapshot.dense]
        batch = []
        for i, row in enumerate(rows.tolist()):
            chunk = snapshot.chunks[row]
            doc = documents[chunk.doc]
            batch.append({
                "row": row, "doc": _text(doc.id, "a document id"), "source": _text(doc.source, "a source"),
                "title": _text(doc.title, "a title"), "meta": doc.meta, "start": chunk.start, "end": chunk.end,
                "text": _text(doc.text[chunk.start:chunk.end], f"chunk {row}"),
                **{field: block[i].tolist() for field, block in zip(dims, vectors)},
            })
        client.insert(store.chunks, batch)
    _seal(client, store.chunks)
    return kind


def _write_sentences(client: MilvusClient, store: Store, snapshot: Snapshot) -> None:
    """The sentences collection: each sentence row's vector, document and offsets."""
    spans = snapshot.sentence_spans
    count = len(snapshot.sentence_vectors)
    fields = [("doc", "VARCHAR", {"max_length": _MAX_TEXT}), ("start", "INT64", {}), ("end", "INT64", {})]
    _create(client, store.sentences, fields, {_SENTENCE_FIELD: snapshot.sentence_vectors.dim}, store, count)
    for start in range(0, count, _BATCH):
        rows = np.arange(start, min(start + _BATCH, count), dtype=np.int64)
        block = snapshot.sentence_vectors.vectors(rows)
        client.insert(store.sentences, [
            {"row": row, "doc": spans.docs[row], "start": int(spans.starts[row]), "end": int(spans.ends[row]),
             _SENTENCE_FIELD: block[i].tolist()}
            for i, row in enumerate(rows.tolist())
        ])
    _seal(client, store.sentences)


def _seal(client: MilvusClient, collection: str) -> None:
    """Flush (searches then see every row, indexed) and load the collection."""
    client.flush(collection)
    client.load_collection(collection)


def _drop_stale(client: MilvusClient, store: Store, keep: set[str]) -> None:
    """Drop this index's collections of versions other than those in ``keep``."""
    mine = f"{store.prefix}_"
    wanted = {f"{mine}{version}_{part}" for version in keep if version for part in ("chunks", "sentences")}
    for name in client.list_collections():
        if name.startswith(mine) and name not in wanted:
            client.drop_collection(name)


def drop_version(folder: Path, manifest: Manifest) -> None:
    """Drop the collections of the version in ``folder`` from a shared store (a server, a Milvus Lite path).

    Called before the version folder is removed; the Milvus Lite store inside a version
    folder goes with the folder. Raises what the store raises (a server that is away).
    """
    store = manifest.store
    if not store.uri:
        return
    lite = _lite_target(store.uri, folder)
    if lite is not None and not lite.is_dir():
        return  # nothing to drop, and nothing to create
    opened_here = lite is not None and str(lite) not in _CLIENTS
    client = _client(store.uri, folder)
    try:
        for name in (store.chunks, store.sentences):
            if client.has_collection(name):
                client.drop_collection(name)
    finally:
        if lite is not None and opened_here:
            _release(str(lite))


def _fsync_tree(folder: Path) -> None:
    """Flush every file and folder below ``folder`` to disk (before the version is switched to)."""
    for path in _walk(folder):
        flags = os.O_RDONLY | (os.O_DIRECTORY if path.is_dir() else 0)
        fd = os.open(path, flags)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _walk(folder: Path) -> Iterator[Path]:
    for root, dirs, files in os.walk(folder):
        for name in files + dirs:
            yield Path(root) / name
    yield folder
