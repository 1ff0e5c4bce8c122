"""The index on disk: versioned, atomic, pickle-free.

Layout of an index directory::

    index/
      CURRENT                the name of the live version, e.g. "v000003" (replaced atomically)
      ingest.lock            held by the one ingest that may write
      v000003/
        manifest.json        format version, embedders, chunking, documents with hash and chunk count
        documents.jsonl      one document per line: id, source, title, hash, meta, text
        chunks.jsonl         one chunk per line, in row order: doc, start, end, sentence spans
        dense-0.faiss        the FAISS index of embedder 0 (one file per ensemble member)
        bm25/                the bm25s index (numpy arrays and JSON)

An ingest writes a complete new version folder next to the live one and then
replaces ``CURRENT`` in one ``os.replace``. A crash at any point leaves ``CURRENT``
naming a complete version: readers see the old content or the new, never a mix.
Loading reads JSON, numpy arrays (``allow_pickle=False``) and FAISS's binary format:
nothing in an index can run code.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .backends import Bm25Index, FaissIndex

__all__ = [
    "FORMAT_VERSION",
    "ChunkRecord",
    "DocumentRecord",
    "IndexError_",
    "IndexLockedError",
    "IndexNotFoundError",
    "Snapshot",
    "ingest_lock",
    "read_snapshot",
    "write_snapshot",
]

FORMAT_VERSION = 1
FORMAT_NAME = "fundstelle-index"
_VERSION_DIR = re.compile(r"v(\d{6})")


class IndexError_(Exception):  # noqa: N801 - "IndexError" is a builtin
    """The index directory is missing, damaged, or does not fit the request."""


class IndexNotFoundError(IndexError_):
    """There is no index at the given path."""


class IndexLockedError(IndexError_):
    """Another ingest holds the index's write lock."""


@dataclass(frozen=True)
class DocumentRecord:
    """A document as stored in the index."""

    id: str
    source: str
    title: str
    hash: str
    text: str
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ChunkRecord:
    """A chunk row: which document, where in it, and its sentence spans (chunk-relative)."""

    doc: str
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...]


@dataclass
class Snapshot:
    """One complete version of an index, as read from or written to disk."""

    manifest: dict[str, Any]
    documents: dict[str, DocumentRecord]
    chunks: list[ChunkRecord]
    dense: list[FaissIndex]
    lexical: Bm25Index
    version: str = ""


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, write: Any) -> None:
    """Write a file through ``write(handle)`` and flush it to disk."""
    with open(path, "w", encoding="utf-8") as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())


def _current_name(root: Path) -> str | None:
    try:
        name = (root / "CURRENT").read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    if not _VERSION_DIR.fullmatch(name):
        raise IndexError_(f"{root / 'CURRENT'} is damaged (holds {name[:40]!r}); "
                          f"rebuild the index with --rebuild")
    return name


def current_version(root: str | os.PathLike[str]) -> str | None:
    """Name of the live version of the index at ``root``, or None if there is none."""
    return _current_name(Path(root))


def read_snapshot(root: str | os.PathLike[str]) -> Snapshot:
    """Read the live version of the index at ``root``.

    Raises :class:`IndexNotFoundError` when there is no index and :class:`IndexError_`
    naming the problem and the fix when it is damaged or of a newer format.
    """
    root = Path(root)
    for attempt in range(5):
        name = _current_name(root)
        if name is None:
            raise IndexNotFoundError(
                f"no index at {root}/; build one with: python ingest.py [FILES ...] --index {root}"
            )
        try:
            return _read_version(root / name, name)
        except FileNotFoundError:
            # An ingest may have replaced and cleaned up this version while we read it.
            if _current_name(root) == name or attempt == 4:
                raise
            time.sleep(0.05)
    raise AssertionError("unreachable")


def _read_version(folder: Path, name: str) -> Snapshot:
    fix = "rebuild it with: python ingest.py [FILES ...] --rebuild"
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        if not folder.exists():
            raise
        raise IndexError_(f"index version {folder} has no manifest.json; {fix}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise IndexError_(f"{folder / 'manifest.json'} is damaged ({error}); {fix}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT_NAME:
        raise IndexError_(f"{folder} is not a Fundstelle index (manifest has no format "
                          f"{FORMAT_NAME!r}); {fix}")
    version = manifest.get("format_version")
    if not isinstance(version, int) or version > FORMAT_VERSION:
        raise IndexError_(
            f"index {folder} has format version {version}, newer than this Fundstelle "
            f"understands ({FORMAT_VERSION}); upgrade fundstelle, or {fix}"
        )
    try:
        documents = {}
        with open(folder / "documents.jsonl", encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                documents[row["id"]] = DocumentRecord(
                    id=row["id"], source=row["source"], title=row["title"], hash=row["hash"],
                    text=row["text"], meta=row.get("meta", {}),
                )
        chunks = []
        with open(folder / "chunks.jsonl", encoding="utf-8") as handle:
            for line in handle:
                row = json.loads(line)
                chunks.append(ChunkRecord(
                    doc=row["doc"], start=row["start"], end=row["end"],
                    sentences=tuple((s, e) for s, e in row["sentences"]),
                ))
        dense = [FaissIndex.load(folder / member["file"]) for member in manifest["embedders"]]
        lexical = Bm25Index.load(folder / manifest["lexical"]["folder"])
    except FileNotFoundError as error:
        if not folder.exists():
            raise
        raise IndexError_(f"index {folder} is missing {Path(error.filename).name}; {fix}") from None
    except (json.JSONDecodeError, KeyError, TypeError, ValueError, RuntimeError) as error:
        # FAISS reports a truncated file as RuntimeError; JSON damage as the others.
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise IndexError_(f"index {folder} is damaged ({first_line[:200]}); {fix}") from None
    problems = [
        f"{len(index)} vectors in {member['file']}"
        for index, member in zip(dense, manifest["embedders"])
        if len(index) != len(chunks)
    ]
    if len(lexical) != len(chunks):
        problems.append(f"{len(lexical)} BM25 rows")
    if problems or any(chunk.doc not in documents for chunk in chunks):
        raise IndexError_(
            f"index {folder} is inconsistent ({len(chunks)} chunks but "
            f"{', '.join(problems) or 'chunks of unknown documents'}); {fix}"
        )
    return Snapshot(manifest, documents, chunks, dense, lexical, version=name)


def write_snapshot(root: str | os.PathLike[str], snapshot: Snapshot) -> str:
    """Write ``snapshot`` as the new live version of the index at ``root``.

    The caller must hold :func:`ingest_lock`. Returns the new version's name. Until
    the final ``os.replace`` of ``CURRENT`` the previous version stays live.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    numbers = [int(m.group(1)) for p in root.iterdir() if (m := _VERSION_DIR.fullmatch(p.name))]
    name = f"v{max(numbers, default=0) + 1:06d}"
    staging = root / f".{name}.partial"
    if staging.exists():
        shutil.rmtree(staging)
    staging.mkdir()

    def documents(handle: Any) -> None:
        for doc in snapshot.documents.values():
            handle.write(json.dumps({
                "id": doc.id, "source": doc.source, "title": doc.title, "hash": doc.hash,
                "meta": doc.meta, "text": doc.text,
            }, ensure_ascii=False) + "\n")

    def chunks(handle: Any) -> None:
        for chunk in snapshot.chunks:
            handle.write(json.dumps({
                "doc": chunk.doc, "start": chunk.start, "end": chunk.end,
                "sentences": [list(span) for span in chunk.sentences],
            }) + "\n")

    _write_file(staging / "documents.jsonl", documents)
    _write_file(staging / "chunks.jsonl", chunks)
    for member, index in zip(snapshot.manifest["embedders"], snapshot.dense):
        index.save(staging / member["file"])
    lexical_folder = staging / snapshot.manifest["lexical"]["folder"]
    snapshot.lexical.save(lexical_folder)
    for path in [*staging.glob("*.faiss"), *lexical_folder.iterdir()]:
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())
    _fsync_dir(lexical_folder)
    # The manifest is written last: a version folder without one was never finished.
    _write_file(staging / "manifest.json", lambda h: json.dump(snapshot.manifest, h, indent=1, ensure_ascii=False))
    _fsync_dir(staging)
    os.rename(staging, root / name)
    pointer = root / ".CURRENT.partial"
    _write_file(pointer, lambda h: h.write(name + "\n"))
    os.replace(pointer, root / "CURRENT")
    _fsync_dir(root)
    _remove_old_versions(root, keep={name, *( [snapshot.version] if snapshot.version else [])})
    return name


def _remove_old_versions(root: Path, keep: set[str]) -> None:
    """Delete versions older than the previous one, and leftovers of crashed ingests.

    The version just replaced stays, so a reader that read ``CURRENT`` a moment ago
    can still open it.
    """
    for path in root.iterdir():
        stale_version = _VERSION_DIR.fullmatch(path.name) and path.name not in keep
        crashed = path.name.endswith(".partial")
        if stale_version or crashed:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                with contextlib.suppress(FileNotFoundError):
                    path.unlink()


@contextlib.contextmanager
def ingest_lock(root: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the index's write lock, or raise :class:`IndexLockedError` at once.

    The lock is an ``flock`` on ``ingest.lock``; the system releases it when the
    holder exits, even after ``kill -9``.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    handle = open(root / "ingest.lock", "a+", encoding="utf-8")
    try:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise IndexLockedError(
                f"another ingest ({holder}) is writing to {root}/; wait for it to finish and try again"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.close()
