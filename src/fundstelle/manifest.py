"""The manifest of an index version: what it was built with and what it holds.

``manifest.json`` is written last into each version folder (a version without one was
never finished). :class:`Manifest` is its typed form; :meth:`Manifest.check_compatible`
is the one place that decides whether an index fits a requested model, chunking, or the
models loaded to search it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from typing import Any, TypeGuard

from .embed import Embedder, split_model_spec
from .errors import IndexFolderError, IndexMismatchError

__all__ = ["FORMAT_NAME", "FORMAT_VERSION", "MILVUS_URI_FORMS", "STORES", "DocumentEntry", "Manifest", "Member",
           "Store", "is_lite_path", "is_milvus_uri"]

# The newest format this code reads and the one it writes. Version 1 keeps every vector
# in FAISS files in the version folder; version 2 may keep them in Milvus (a "store"
# entry); version 3 stores where each PDF page starts (citations by page) and the
# documents' metadata. An older Fundstelle refuses a version 3 index by name; this one
# reads older ones, and :meth:`Manifest.upgrade_note` says what they lack.
FORMAT_VERSION = 3
PAGES_SINCE = 3
FORMAT_NAME = "fundstelle-index"
SPLITTER = "sentences-v1"
ANALYZER = "german-snowball+stopwords-v1"
LEXICAL_METHOD = "bm25s-lucene"
# File and folder names a manifest may point to: plain names inside the version folder.
_PLAIN_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
# Where the vectors of a version live: FAISS files beside the manifest, or Milvus collections.
STORES = ("faiss", "milvus")
# Milvus collection and field names (its own rule).
_MILVUS_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,254}")
# Where a Milvus store is, as pymilvus takes it: a server's address, or the folder of a Milvus
# Lite store (a path ending in .db; a manifest holds it absolute, so it means the same store
# whichever folder a reader runs in).
_MILVUS_SERVER = re.compile(r"(https?|tcp|unix)://\S{1,500}")
_LITE_PATH = re.compile(r"/[^\x00-\x1f\x7f]{0,1000}\.db")
MILVUS_URI_FORMS = "a server's address (http://HOST:19530, https://…, tcp://…, unix://…) or a Milvus Lite file path " \
                   "ending in .db (./milvus.db)"


@dataclass(frozen=True)
class Member:
    """One model of the ensemble: its spec, vector size, settings, and the FAISS file of its vectors."""

    spec: str
    dim: int
    settings: dict[str, str]
    file: str
    faiss: str = ""


@dataclass(frozen=True)
class Store:
    """Where a version's vectors live (``kind``, one of :data:`STORES`).

    For ``milvus``: ``uri`` is the server's address, the absolute path of a Milvus Lite
    store outside the index folder (ending in ``.db``), or "" for Milvus Lite in the version
    folder (see :func:`is_milvus_uri`); ``prefix`` starts the names of this index's
    collections (the same in every version); ``chunks`` and ``sentences`` are this
    version's two collections. In that case :attr:`Member.file` and
    :attr:`Manifest.sentences_file` name vector fields.
    """

    kind: str = "faiss"
    uri: str = ""
    prefix: str = ""
    chunks: str = ""
    sentences: str = ""


@dataclass(frozen=True)
class DocumentEntry:
    """A document as the manifest lists it: id, source, title, text hash, chunk count."""

    id: str
    source: str
    title: str
    hash: str
    chunks: int


@dataclass(frozen=True)
class Manifest:
    """What one index version was built with and holds (``manifest.json``, typed)."""

    model: str
    members: tuple[Member, ...]
    chunk_size: int
    chunk_overlap: int
    documents: tuple[DocumentEntry, ...]
    chunks: int
    sentence_count: int
    created: str
    updated: str
    format_version: int = FORMAT_VERSION
    sentences_file: str = "sentences.faiss"
    sentence_member: int = 0
    lexical_folder: str = "bm25"
    splitter: str = SPLITTER
    analyzer: str = ANALYZER
    lexical_method: str = LEXICAL_METHOD
    store: Store = Store()

    @property
    def settings(self) -> dict[str, str]:
        """The first model's settings (prompts), which every member was loaded with."""
        return self.members[0].settings

    def stamped(self, created: str = "") -> Manifest:
        """The manifest with ``updated`` set to now, and ``created`` kept (or now for a new index)."""
        now = datetime.now(timezone.utc).isoformat(timespec="seconds")
        return replace(self, created=created or now, updated=now)

    def to_json(self) -> dict[str, Any]:
        """The manifest as written to ``manifest.json``."""
        data = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "created": self.created,
            "updated": self.updated,
            "model": self.model,
            "embedders": [
                {"spec": m.spec, "dim": m.dim, "settings": m.settings, "file": m.file, "faiss": m.faiss}
                for m in self.members
            ],
            "sentences": {"file": self.sentences_file, "embedder": self.sentence_member,
                          "count": self.sentence_count},
            "chunking": {"chunk_size": self.chunk_size, "chunk_overlap": self.chunk_overlap,
                         "splitter": self.splitter},
            "lexical": {"folder": self.lexical_folder, "analyzer": self.analyzer, "method": self.lexical_method},
            "counts": {"documents": len(self.documents), "chunks": self.chunks},
            "documents": [
                {"id": d.id, "source": d.source, "title": d.title, "hash": d.hash, "chunks": d.chunks}
                for d in self.documents
            ],
        }
        if self.store.kind != "faiss":
            store = self.store
            data["store"] = {"kind": store.kind, "uri": store.uri, "prefix": store.prefix, "chunks": store.chunks,
                             "sentences": store.sentences}
        return data

    @classmethod
    def from_json(cls, data: Any, folder: str) -> Manifest:
        """Check the fields that reading and searching rely on, and type them.

        Raises :class:`IndexFolderError` naming what is off.
        """
        _check(data, folder)
        chunking, sentences, lexical = data["chunking"], data["sentences"], data["lexical"]
        store = data.get("store", {"kind": "faiss"})
        return cls(
            model=data["model"],
            members=tuple(Member(m["spec"], m["dim"], dict(m.get("settings", {})), m["file"], m.get("faiss", ""))
                          for m in data["embedders"]),
            chunk_size=chunking["chunk_size"],
            chunk_overlap=chunking["chunk_overlap"],
            documents=tuple(DocumentEntry(d["id"], d.get("source", ""), d.get("title", ""), d.get("hash", ""),
                                          d["chunks"]) for d in data["documents"]),
            chunks=data["counts"]["chunks"],
            sentence_count=sentences["count"],
            created=data.get("created", ""),
            updated=data["updated"],
            format_version=data["format_version"],
            sentences_file=sentences["file"],
            sentence_member=sentences["embedder"],
            lexical_folder=lexical["folder"],
            splitter=chunking.get("splitter", SPLITTER),
            analyzer=lexical.get("analyzer", ANALYZER),
            lexical_method=lexical.get("method", LEXICAL_METHOD),
            store=Store(store["kind"], store.get("uri", ""), store.get("prefix", ""), store.get("chunks", ""),
                        store.get("sentences", "")),
        )

    def upgrade_note(self, folder: str) -> str | None:
        """What an index written by an older Fundstelle lacks and how to add it; None for a current one."""
        if self.format_version >= PAGES_SINCE:
            return None
        return (f"index {folder}/ was written by an older Fundstelle (format {self.format_version}): its PDF "
                "passages carry no page numbers and its documents no metadata to filter by; ingest the same "
                "files again to add them (nothing is embedded again)")

    def _where(self) -> str:
        """Where the vectors are, in words: ``FAISS files``, ``Milvus Lite`` or ``Milvus at URI``."""
        if self.store.kind == "faiss":
            return "FAISS files"
        return f"Milvus at {self.store.uri}" if self.store.uri else "Milvus Lite"

    def check_compatible(
        self, folder: str, model: str | None = None, chunk_size: int | None = None,
        chunk_overlap: int | None = None, embedders: Sequence[Embedder] = (), store: str | None = None,
        milvus_uri: str | None = None,
    ) -> None:
        """Raise :class:`IndexMismatchError` unless the index fits what is asked of it.

        ``model``, ``chunk_size``, ``chunk_overlap``, ``store``, ``milvus_uri``: settings a
        caller asks for (None: whatever the index has). ``embedders``: the models loaded
        for this index, whose vectors must still have the dimensions the index holds.
        """
        for setting, has, asked in (("store", self.store.kind, store),
                                    ("milvus_uri", self.store.uri or None, milvus_uri)):
            if asked is not None and asked != has:
                raise IndexMismatchError(f"index {folder}/ keeps its vectors in {self._where()}, not {asked!r}",
                                         folder, setting, has, asked)
        if model is not None and split_model_spec(model) != split_model_spec(self.model):
            raise IndexMismatchError(f"index {folder}/ was built with model {self.model!r}, not {model!r}",
                                     folder, "model", self.model, model)
        for name, built, wanted in (("chunk_size", self.chunk_size, chunk_size),
                                    ("chunk_overlap", self.chunk_overlap, chunk_overlap)):
            if wanted is not None and wanted != built:
                raise IndexMismatchError(f"index {folder}/ was built with {name}={built}, not {wanted}",
                                         folder, name, built, wanted)
        for embedder, member in zip(embedders, self.members):
            if embedder.dim != member.dim:  # the same model name now gives other vectors
                raise IndexMismatchError(
                    f"model {member.spec!r} now gives {embedder.dim}-dimensional vectors but the index at "
                    f"{folder}/ holds {member.dim}-dimensional ones (the model changed)",
                    folder, "dim", member.dim, embedder.dim,
                )


def is_lite_path(uri: str) -> bool:
    """True for a Milvus Lite store given by its path (anything ending in ``.db`` that is not a server's address)."""
    return uri.endswith(".db") and not _MILVUS_SERVER.match(uri)


def is_milvus_uri(uri: str) -> bool:
    """True for a store entry's ``uri`` that a manifest may hold: "", a server address, an absolute ``.db`` path."""
    return uri == "" or bool(_MILVUS_SERVER.fullmatch(uri)) or bool(_LITE_PATH.fullmatch(uri))


def _faiss_file(name: str) -> bool:
    """A FAISS file a manifest may name: a plain name in the version folder, ending in ``.faiss``."""
    return bool(_PLAIN_NAME.fullmatch(name)) and name.endswith(".faiss")


def is_int(value: Any) -> TypeGuard[int]:
    """True for an int proper (not a bool, not a float)."""
    return type(value) is int


def _check(manifest: Any, folder: str) -> None:
    """Raise :class:`IndexFolderError` if a field that reading and searching rely on is off."""
    path = f"{folder}/manifest.json"
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise IndexFolderError(f"{folder} is not a Fundstelle index (manifest has no format {FORMAT_NAME!r})",
                               folder)
    version = manifest.get("format_version")
    if not is_int(version) or version < 1:
        raise IndexFolderError(f"{path} has no valid format_version ({version!r})", folder)
    if version > FORMAT_VERSION:
        raise IndexFolderError(
            f"index {folder} has format version {version}, newer than this Fundstelle "
            f"understands ({FORMAT_VERSION})", folder, "upgrade",
        )
    store = manifest.get("store", {"kind": "faiss"})
    milvus = isinstance(store, dict) and store.get("kind") == "milvus"
    # Vector files in the version folder, or vector fields of Milvus collections.
    vectors_at = _MILVUS_NAME.fullmatch if milvus else _faiss_file
    embedders = manifest.get("embedders")
    lexical = manifest.get("lexical")
    chunking = manifest.get("chunking")
    counts = manifest.get("counts")
    documents = manifest.get("documents")
    sentences = manifest.get("sentences")
    checks = {
        "model": isinstance(manifest.get("model"), str) and bool(manifest["model"]),
        "updated": isinstance(manifest.get("updated"), str),
        "embedders": isinstance(embedders, list) and bool(embedders) and all(
            isinstance(m, dict) and isinstance(m.get("spec"), str) and is_int(m.get("dim"))
            and 0 < m["dim"] <= 65536 and isinstance(m.get("file"), str) and vectors_at(m["file"])
            and isinstance(m.get("settings", {}), dict)
            for m in embedders
        ) and len({m["file"] for m in embedders}) == len(embedders),
        "sentences": isinstance(sentences, dict) and isinstance(sentences.get("file"), str)
        and bool(vectors_at(sentences["file"]))
        and is_int(sentences.get("count")) and sentences["count"] >= 0
        and is_int(sentences.get("embedder")) and isinstance(embedders, list)
        and 0 <= sentences["embedder"] < len(embedders),
        "lexical": isinstance(lexical, dict) and isinstance(lexical.get("folder"), str)
        and bool(_PLAIN_NAME.fullmatch(lexical["folder"])),
        "chunking": isinstance(chunking, dict) and is_int(chunking.get("chunk_size"))
        and is_int(chunking.get("chunk_overlap")),
        "counts": isinstance(counts, dict) and is_int(counts.get("documents")) and is_int(counts.get("chunks")),
        "documents": isinstance(documents, list) and all(
            isinstance(d, dict) and isinstance(d.get("id"), str) and is_int(d.get("chunks")) for d in documents
        ),
        "store": isinstance(store, dict) and store.get("kind") in STORES and (not milvus or (
            isinstance(store.get("uri"), str) and is_milvus_uri(store["uri"])
            and all(isinstance(store.get(key), str) and _MILVUS_NAME.fullmatch(store[key])
                    for key in ("prefix", "chunks", "sentences"))
        )),
    }
    bad = [name for name, ok in checks.items() if not ok]
    if bad:
        raise IndexFolderError(f"{path} is damaged (bad or missing {', '.join(bad)})", folder)
