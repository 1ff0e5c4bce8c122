"""Writing a version's vectors to Milvus: two collections per version, and dropping those of versions gone."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..backends import EXACT_SEARCH_LIMIT, HNSW_EF_CONSTRUCTION, HNSW_NEIGHBOURS
from ..manifest import Manifest, Store
from ..snapshot import Snapshot
from .connect import client_for, is_open, lite_target, load_pymilvus, on_server, release
from .vectors import BATCH

if TYPE_CHECKING:
    from pymilvus import MilvusClient

__all__ = ["drop_version", "write_vectors"]

# Milvus VARCHAR fields hold at most this many bytes.
_MAX_TEXT = 65535
_SENTENCE_FIELD = "vector"


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
    lite = lite_target(store.uri, staging)
    # A reader in this process may have a shared Milvus Lite store open: it stays open for it.
    opened_here = lite is not None and not is_open(lite)
    client = client_for(store.uri, staging, create=True)
    try:
        kind = _write_chunks(client, store, snapshot)
        _write_sentences(client, store, snapshot)
        if store.uri:
            _drop_stale(client, store, keep={version, snapshot.version})
    finally:
        if lite is not None and opened_here:
            release(str(lite))
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
    kind = "HNSW" if on_server(store.uri) and rows > EXACT_SEARCH_LIMIT else "FLAT"
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
    pymilvus = load_pymilvus()
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
    for start in range(0, len(snapshot.chunks), BATCH):
        rows = np.arange(start, min(start + BATCH, len(snapshot.chunks)), dtype=np.int64)
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
    for start in range(0, count, BATCH):
        rows = np.arange(start, min(start + BATCH, count), dtype=np.int64)
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
    lite = lite_target(store.uri, folder)
    if lite is not None and not lite.is_dir():
        return  # nothing to drop, and nothing to create
    opened_here = lite is not None and not is_open(lite)
    client = client_for(store.uri, folder)
    try:
        for name in (store.chunks, store.sentences):
            if client.has_collection(name):
                client.drop_collection(name)
    finally:
        if lite is not None and opened_here:
            release(str(lite))


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
