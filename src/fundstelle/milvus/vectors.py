"""Reading a version's vectors from Milvus: :class:`MilvusIndex`, one more :class:`~fundstelle.backends.VectorIndex`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from ..backends import HNSW_EF_SEARCH, VectorIndex
from ..errors import IndexFolderError
from ..manifest import Manifest
from .connect import client_for, lite_target

if TYPE_CHECKING:
    from pymilvus import MilvusClient

__all__ = ["BATCH", "MilvusIndex", "open_vectors"]

# Rows per insert and ids per get: larger batches gain nothing and make single requests large.
BATCH = 1000


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
        for start in range(0, len(unique), BATCH):
            ids = unique[start:start + BATCH]
            got = self._client.get(self._collection, ids=ids.tolist(), output_fields=[self._field])
            if len(got) != len(ids):
                raise IndexFolderError(f"Milvus collection {self._collection} lacks rows the index names "
                                       f"({len(ids) - len(got)} of {len(ids)} asked)")
            by_row = {int(row["row"]): row[self._field] for row in got}
            block = np.asarray([by_row[int(row)] for row in ids], dtype=np.float32)
            positions = np.flatnonzero((where >= start) & (where < start + len(ids)))
            out[positions] = block[where[positions] - start]
        return out


def open_vectors(folder: Path, manifest: Manifest) -> tuple[list[VectorIndex], VectorIndex]:
    """The dense indexes (one per member) and the sentence vectors of the version in ``folder``.

    Raises :class:`IndexFolderError` when a collection is missing or does not fit the manifest.
    """
    store = manifest.store
    try:
        client = client_for(store.uri, folder)
    except FileNotFoundError:
        if not store.uri:
            raise  # the version folder's own store: the reader names the missing file
        raise IndexFolderError(f"index {folder} keeps its vectors in the Milvus Lite store {store.uri}, which is "
                               f"missing", str(folder.parent)) from None
    counts = {}
    for name in (store.chunks, store.sentences):
        if not client.has_collection(name):
            lite = lite_target(store.uri, folder)
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


