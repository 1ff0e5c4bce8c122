"""The index on disk: versioned, atomic, pickle-free.

Layout of an index directory::

    index/
      CURRENT                the name of the live version, e.g. "v000003" (replaced atomically)
      ingest.lock            held by the one ingest that may write
      v000003/
        manifest.json        format version, embedders, chunking, documents with hash and chunk count
        documents.jsonl      one document per line: id, source, title, hash, meta, PDF page starts, text
        chunks.jsonl         one chunk per line, in row order: doc, start, end, sentence spans,
                             and each sentence's row in sentences.faiss
        dense-0.faiss        the FAISS index of embedder 0 (one file per ensemble member)
        sentences.faiss      one vector per sentence of the documents, by the first embedder
        bm25/                the bm25s index (numpy arrays and JSON)

An index built with ``store="milvus"`` keeps the vectors (the ``.faiss`` files) in two
Milvus collections instead, which its manifest names; with Milvus Lite their data is
the folder ``milvus.db/`` of the version (see :mod:`fundstelle.milvus`).

An ingest writes a complete new version folder next to the live one and then
replaces ``CURRENT`` in one ``os.replace``. A crash at any point leaves ``CURRENT``
naming a complete version: readers see the old content or the new, never a mix.
Loading reads JSON, numpy arrays (``allow_pickle=False``) and FAISS's binary format:
nothing in an index can run code.
"""

# Longer than most modules (~470 lines): every file of a version is checked before it is used
# (the _read_* functions), which is half of it; reading and writing share the layout and stay
# in one place.

from __future__ import annotations

import contextlib
import errno
import fcntl
import json
import os
import re
import shutil
import stat
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from .backends import Bm25Index, FaissIndex, LexicalIndex, SentenceMaxIndex, VectorIndex, faiss_file_problem
from .errors import BadInputError, BadTypeError, IndexFolderError, IndexLockedError, IndexNotFoundError, IndexWriteError
from .files import LinkError, check_regular, create_new, link_error, open_no_follow, read_capped, read_text, text_lines
from .load import MAX_FILE_BYTES
from .manifest import Manifest, is_int
from .milvus import LITE_FOLDER, drop_version, open_vectors, release_lite, write_vectors
from .results import Document

__all__ = [
    "ChunkRecord",
    "SentenceSpans",
    "Snapshot",
    "ingest_lock",
    "live_manifest",
    "read_snapshot",
    "write_snapshot",
]

_VERSION_DIR = re.compile(r"v(\d{6})")

@dataclass(frozen=True, slots=True)
class ChunkRecord:
    """A chunk row: which document, where in it, and its sentences.

    ``sentences`` are spans relative to the chunk; ``sentence_rows`` give, for each,
    the row of that (whole) sentence's vector in the sentence index.
    """

    doc: str
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...]
    sentence_rows: tuple[int, ...]


@dataclass
class Snapshot:
    """One complete version of an index, as read from or written to disk."""

    manifest: Manifest
    documents: dict[str, Document]
    chunks: list[ChunkRecord]
    dense: list[VectorIndex]
    lexical: LexicalIndex
    sentence_vectors: VectorIndex
    version: str = ""

    @property
    def sentence_index(self) -> SentenceMaxIndex:
        """The chunks scored by their best sentence (built on first use)."""
        if self._sentence_index is None:
            self._sentence_index = SentenceMaxIndex(self.sentence_vectors, [c.sentence_rows for c in self.chunks])
        return self._sentence_index

    @property
    def sentence_spans(self) -> SentenceSpans:
        """Where each sentence row stands: its document and offsets (built on first use)."""
        if self._sentence_spans is None:
            self._sentence_spans = SentenceSpans.of(self.chunks, len(self.sentence_vectors))
        return self._sentence_spans

    _sentence_index: SentenceMaxIndex | None = field(default=None, repr=False, compare=False)
    _sentence_spans: SentenceSpans | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class SentenceSpans:
    """For each sentence row: the document it belongs to and its offsets in that document's text."""

    docs: list[str]
    starts: np.ndarray
    ends: np.ndarray

    @classmethod
    def of(cls, chunks: list[ChunkRecord], count: int) -> SentenceSpans:
        """Join the pieces of each sentence that the chunks hold (chunks cover every sentence whole)."""
        docs = [""] * count
        starts = [2**62] * count
        ends = [0] * count
        for chunk in chunks:
            for (start, end), row in zip(chunk.sentences, chunk.sentence_rows):
                docs[row] = chunk.doc
                starts[row] = min(starts[row], chunk.start + start)
                ends[row] = max(ends[row], chunk.start + end)
        return cls(docs, np.asarray(starts, dtype=np.int64), np.asarray(ends, dtype=np.int64))


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_file(path: Path, write: Any) -> None:
    """Create the new file ``path``, write it through ``write(handle)`` and flush it to disk.

    The file must not exist: nothing is ever written through a link or into a file
    the index did not just create.
    """
    with create_new(path) as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())


def _current_name(root: Path) -> str | None:
    try:
        raw = read_capped(root / "CURRENT", 64)  # a version name and a line end: a few bytes
    except FileNotFoundError:
        return None
    except NotADirectoryError:
        raise IndexFolderError(f"{root} is a file, not an index folder", str(root), "folder") from None
    except LinkError as error:
        raise IndexFolderError(error.strerror or str(error), str(root)) from None
    except ValueError:
        raise IndexFolderError(f"{root / 'CURRENT'} is damaged (far too long for a version name)", str(root)) from None
    except OSError as error:
        raise IndexFolderError(f"cannot read {root / 'CURRENT'} ({error.strerror or error})", str(root),
                               "permissions") from None
    name = raw.decode("utf-8", errors="replace").strip()
    if not _VERSION_DIR.fullmatch(name):
        raise IndexFolderError(f"{root / 'CURRENT'} is damaged (holds {name[:40]!r})", str(root))
    return name


def live_manifest(root: str | os.PathLike[str]) -> Manifest | None:
    """The checked manifest of the live version at ``root``; None when there is none or it is damaged."""
    root = Path(root)
    try:
        name = _current_name(root)
        if name is None:
            return None
        return Manifest.from_json(_read_json(root / name / "manifest.json"), str(root / name))
    except (IndexFolderError, _Damaged, OSError):
        return None


def current_version(root: str | os.PathLike[str]) -> str | None:
    """Name of the live version of the index at ``root``, or None if there is none."""
    return _current_name(Path(root))


class _VersionGone(Exception):
    """The version folder vanished while it was read (an ingest replaced and removed it)."""


def index_folder(root: object) -> Path:
    """``root`` as the path of an index folder; :class:`BadTypeError` or :class:`BadInputError` if it is none."""
    if not isinstance(root, (str, os.PathLike)):
        raise BadTypeError(f"the index folder must be a path (str or os.PathLike), not {type(root).__name__}; "
                           "give a folder name such as 'index'")
    if not os.fspath(root).strip():
        raise BadInputError("the index folder was given as an empty name; give a folder name such as 'index'")
    return Path(root)


def read_snapshot(root: str | os.PathLike[str]) -> Snapshot:
    """Read the live version of the index at ``root``.

    Raises :class:`IndexNotFoundError` when there is no index and :class:`IndexFolderError`
    naming the problem and the fix when it is damaged, foreign or of a newer format.
    Every file is checked before use; nothing in the folder can run code.
    """
    root = index_folder(root)
    for _attempt in range(5):
        name = _current_name(root)
        if name is None:
            raise IndexNotFoundError(f"no index at {root}/", str(root))
        try:
            return _read_version(root / name, name)
        except _VersionGone:
            # An ingest may have replaced and cleaned up this version while we read it.
            if _current_name(root) == name:
                break
            time.sleep(0.05)
    raise IndexFolderError(f"{root / 'CURRENT'} names version {name}, but that folder is missing or incomplete",
                           str(root))


# The longest line a .jsonl or .json file of the index may hold: a document of the
# largest file allowed, every character escaped. Longer means damage, and the reading
# stops there instead of holding a file that lies about its size.
_MAX_LINE_CHARS = 2 * MAX_FILE_BYTES + 2**20
# The first four bytes of the FAISS index kinds Fundstelle writes (FAISS's own format
# tags). Other kinds are refused before FAISS reads them: some refer to further files.
_FAISS_TAGS = {b"IxFI": "IndexFlatIP", b"IHNf": "IndexHNSWFlat"}
_BM25_PARAMS: dict[str, type | tuple[type, ...]] = {
    "k1": (int, float), "b": (int, float), "delta": (int, float), "method": str, "idf_method": str,
    "dtype": str, "int_dtype": str, "num_docs": int, "version": str, "backend": str,
    "csc_backend": str, "auto_compile": bool,
}


class _Damaged(Exception):
    """A file of the version folder is unusable; the message says which and why."""


def _read_json(path: Path) -> Any:
    try:
        return json.loads(read_text(path, _MAX_LINE_CHARS))
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise _Damaged(f"{path.name} is not valid JSON ({_first_line(error)})") from None


def _first_line(error: BaseException) -> str:
    """A short, one-line description of an error from a library (FAISS errors span C++ frames)."""
    text = " ".join(str(error).split()) or type(error).__name__
    if "Error: " in text:  # FAISS: "Error in <function> at <file>: Error: '<check>' failed: <why>"
        text = text.rsplit("Error: ", 1)[1]
    return text[:160]


def _json_lines(path: Path, record: str) -> Iterator[tuple[int, Any]]:
    """``(line number, parsed line)`` of a .jsonl file of the index; a line that is not JSON is damage."""
    number = 1
    lines = text_lines(path, _MAX_LINE_CHARS)
    while True:
        try:
            line = next(lines, None)
            if line is None:
                return
            row = json.loads(line)
        except UnicodeDecodeError:
            raise
        except (ValueError, RecursionError):
            raise _Damaged(f"{path.name} line {number} is not a {record} record") from None
        yield number, row
        number += 1


def _read_documents(path: Path) -> dict[str, Document]:
    documents = {}
    for number, row in _json_lines(path, "document"):
        try:
            fields = (row["id"], row["source"], row["title"], row["hash"], row["text"])
            meta = row.get("meta", {})
        except (KeyError, TypeError, AttributeError):
            raise _Damaged(f"documents.jsonl line {number} is not a document record") from None
        if not all(isinstance(value, str) for value in fields) or not isinstance(meta, dict):
            raise _Damaged(f"documents.jsonl line {number} has a field of the wrong type")
        pages = _page_starts(row.get("pages", []), len(fields[4]))
        if pages is None:
            raise _Damaged(f"documents.jsonl line {number} has page starts that do not fit its text")
        documents[row["id"]] = Document(id=fields[0], source=fields[1], title=fields[2], hash=fields[3],
                                         text=fields[4], meta=meta, pages=pages)
    return documents


def _page_starts(raw: Any, length: int) -> tuple[tuple[int, str], ...] | None:
    """A document's ``[[offset, label], ...]`` as stored, checked (ascending offsets inside the text); None if off."""
    if not isinstance(raw, list):
        return None
    pages = []
    previous = -1
    for item in raw:
        if not (isinstance(item, list) and len(item) == 2 and is_int(item[0]) and isinstance(item[1], str)
                and previous < item[0] <= length):
            return None
        previous = item[0]
        pages.append((item[0], item[1]))
    return tuple(pages)


def _read_chunks(path: Path, documents: dict[str, Document], sentence_count: int) -> list[ChunkRecord]:
    chunks = []
    for number, row in _json_lines(path, "chunk"):
        try:
            doc, start, end = row["doc"], row["start"], row["end"]
            sentences = tuple((s, e) for s, e in row["sentences"])
            sentence_rows = tuple(row["sentence_rows"])
        except (ValueError, KeyError, TypeError, AttributeError):
            raise _Damaged(f"chunks.jsonl line {number} is not a chunk record") from None
        text = documents[doc].text if isinstance(doc, str) and doc in documents else None
        if (
            text is None or not (is_int(start) and is_int(end) and 0 <= start <= end <= len(text))
            or not all(is_int(s) and is_int(e) and 0 <= s <= e <= end - start for s, e in sentences)
        ):
            raise _Damaged(f"chunks.jsonl line {number} points outside its document's text")
        if len(sentence_rows) != len(sentences) or not sentences or not all(
            is_int(r) and 0 <= r < sentence_count for r in sentence_rows
        ):
            raise _Damaged(f"chunks.jsonl line {number} has sentence rows that do not fit its sentences")
        chunks.append(ChunkRecord(doc, start, end, sentences, sentence_rows))
    return chunks


def _read_faiss(path: Path, dim: int) -> FaissIndex:
    with os.fdopen(open_no_follow(path, os.O_RDONLY), "rb") as handle:
        tag = handle.read(4)
    if tag not in _FAISS_TAGS:
        raise _Damaged(f"{path.name} is not a FAISS index of a kind Fundstelle writes (starts with {tag!r})")
    # FAISS allocates what a file's header claims before it reads the vectors.
    problem = faiss_file_problem(path)
    if problem:
        raise _Damaged(f"{path.name} is truncated or damaged ({problem})")
    try:
        index = FaissIndex.load(path)
    except (RuntimeError, MemoryError) as error:
        raise _Damaged(f"{path.name} is truncated or damaged ({_first_line(error)})") from None
    if index.kind != _FAISS_TAGS[tag] or index.dim != dim:
        raise _Damaged(f"{path.name} holds {index.dim}-dimensional vectors, the manifest says {dim}")
    return index


def _read_bm25(folder: Path, chunk_characters: int) -> Bm25Index:
    """Check the bm25s files (parameters, vocabulary, score arrays), then load them.

    ``chunk_characters``, about the length of all chunks together, bounds the postings:
    each is a word of a chunk. Loading allocates the arrays their headers claim.
    """
    params = _read_json(folder / "params.index.json")
    if not isinstance(params, dict) or any(
        key not in _BM25_PARAMS or not isinstance(value, _BM25_PARAMS[key]) for key, value in params.items()
    ) or params.get("backend", "numpy") != "numpy" or not is_int(params.get("num_docs")):
        raise _Damaged("bm25/params.index.json has unexpected settings")
    if params.get("dtype", "float32") not in ("float32", "float64") or \
            params.get("int_dtype", "int32") not in ("int32", "int64"):
        raise _Damaged("bm25/params.index.json has unexpected number types")
    vocab = _read_json(folder / "vocab.index.json")
    meta = _read_json(folder / "fundstelle.json")
    arrays = {}
    for name in ("data", "indices", "indptr"):
        try:
            check_regular(folder / f"{name}.csc.index.npy")
            # mmap: checking costs no copy; allow_pickle=False: an object array is refused, never unpickled.
            arrays[name] = np.load(folder / f"{name}.csc.index.npy", allow_pickle=False, mmap_mode="r")
        except Exception as error:  # numpy parses the header with Python's tokenizer: SyntaxError, TokenError, …
            if isinstance(error, FileNotFoundError):
                raise
            raise _Damaged(f"bm25/{name}.csc.index.npy is not a plain numeric array ({_first_line(error)})") from None
    data, indices, indptr = arrays["data"], arrays["indices"], arrays["indptr"]
    if len(data) > chunk_characters or len(indices) > chunk_characters or \
            (isinstance(vocab, dict) and len(indptr) > len(vocab) + 1):
        raise _Damaged("bm25/ score arrays are larger than the chunks and the vocabulary allow")
    rows = meta.get("rows") if isinstance(meta, dict) else None
    if (
        not isinstance(vocab, dict) or not all(isinstance(k, str) and is_int(v) for k, v in vocab.items())
        or not is_int(rows) or not isinstance(meta.get("stopwords_seen"), list)
        or not all(isinstance(word, str) for word in meta["stopwords_seen"])
        or any(a.ndim != 1 or a.dtype.kind not in "iuf" for a in (data, indices, indptr))
        or indptr.dtype.kind == "f" or indices.dtype.kind == "f"
        or len(indptr) < 1 or len(data) != len(indices) or indptr[0] != 0 or indptr[-1] != len(data)
        or (len(indptr) > 1 and np.any(np.diff(indptr) < 0))
        or (len(indices) and (indices.min() < 0 or indices.max() >= params["num_docs"]))
        # bm25s gives the empty token an id past the score columns; no query has it.
        or any(v < 0 or v >= len(indptr) - (k != "") for k, v in vocab.items())
        or rows > params["num_docs"]
    ):
        raise _Damaged("bm25/ files do not fit together (vocabulary, score arrays and row count)")
    del data, indices, indptr, arrays
    try:
        return Bm25Index.load(folder)
    except (ValueError, KeyError, TypeError, OSError, MemoryError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise _Damaged(f"bm25/ cannot be loaded ({_first_line(error)})") from None


def _read_version(folder: Path, name: str) -> Snapshot:
    root = str(folder.parent)
    if not folder.is_dir():
        raise _VersionGone(name)
    try:
        manifest = Manifest.from_json(_read_json(folder / "manifest.json"), str(folder))
        documents = _read_documents(folder / "documents.jsonl")
        dense: list[VectorIndex]
        if manifest.store.kind == "milvus":
            dense, sentence_vectors = open_vectors(folder, manifest)
        else:
            sentence_vectors = _read_faiss(folder / manifest.sentences_file,
                                           manifest.members[manifest.sentence_member].dim)
            dense = [_read_faiss(folder / member.file, member.dim) for member in manifest.members]
        if len(sentence_vectors) != manifest.sentence_count:
            raise _Damaged(f"{manifest.sentences_file} holds {len(sentence_vectors)} vectors, the manifest says "
                           f"{manifest.sentence_count}")
        chunks = _read_chunks(folder / "chunks.jsonl", documents, manifest.sentence_count)
        lexical = _read_bm25(folder / manifest.lexical_folder, 1 + sum(c.end - c.start + 1 for c in chunks))
    except IndexLockedError:  # a Milvus Lite store open in another process
        raise
    except IndexFolderError as error:  # the manifest's own check; name the index, not the version
        raise IndexFolderError(str(error), root, error.remedy) from None
    except FileNotFoundError as error:
        if not folder.exists():
            raise _VersionGone(name) from None
        missing = os.path.relpath(error.filename, folder) if error.filename else "a file"
        raise IndexFolderError(f"index {folder} is missing {missing}", root) from None
    except _Damaged as error:
        raise IndexFolderError(f"index {folder} is damaged: {error}", root) from None
    except UnicodeDecodeError:
        raise IndexFolderError(f"index {folder} is damaged: a .jsonl file is not UTF-8 text", root) from None
    except MemoryError:
        raise IndexFolderError(f"index {folder} is damaged or too large to load into memory", root) from None
    except LinkError as error:
        raise IndexFolderError(f"index {folder} is damaged: {error.strerror}", root) from None
    except OSError as error:
        raise IndexFolderError(f"cannot read index {folder} ({error.strerror or error})", root,
                               "permissions") from None
    problems = [
        f"{len(index)} vectors in {member.file}"
        for index, member in zip(dense, manifest.members)
        if len(index) != len(chunks)
    ]
    if len(lexical) != len(chunks):
        problems.append(f"{len(lexical)} BM25 rows")
    if problems:
        raise IndexFolderError(
            f"index {folder} is inconsistent ({len(chunks)} chunks but {', '.join(problems)})", root
        )
    return Snapshot(manifest, documents, chunks, dense, lexical, sentence_vectors, version=name)


def write_snapshot(root: str | os.PathLike[str], snapshot: Snapshot) -> str:
    """Write ``snapshot`` as the new live version of the index at ``root``.

    The caller must hold :func:`ingest_lock`. Returns the new version's name. Until
    the final ``os.replace`` of ``CURRENT`` the previous version stays live; it is
    kept afterwards too, for readers still opening it. When writing fails (a full
    disk), what this call wrote is removed and :class:`IndexWriteError` says why.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    try:
        previous = _current_name(root)
    except IndexFolderError:  # a damaged pointer, being replaced by this write
        previous = None
    numbers = [int(m.group(1)) for p in root.iterdir() if (m := _VERSION_DIR.fullmatch(p.name))]
    name = f"v{max(numbers, default=0) + 1:06d}"
    staging = root / f".{name}.partial"
    pointer = root / ".CURRENT.partial"
    try:
        for leftover in (staging, pointer):  # of an ingest that crashed
            _remove_own(leftover)
    except LinkError as error:
        raise IndexFolderError(error.strerror or str(error), str(root)) from None
    try:
        staging.mkdir()
        _write_version(staging, snapshot, name)
        os.rename(staging, root / name)
        _write_file(pointer, lambda h: h.write(name + "\n"))
        os.replace(pointer, root / "CURRENT")
    except BaseException as error:
        live = _live_or_none(root)
        for path in (staging, pointer, *([] if live == name else [root / name])):
            _remove_own(path, missing_ok=True)
        if isinstance(error, (OSError, RuntimeError)) and live != name:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else _first_line(error)
            raise IndexWriteError(f"could not write a new version of the index {root}/ ({reason}); "
                                  f"nothing changed, the previous version is still live", str(root)) from None
        raise
    _fsync_dir(root)
    _remove_old_versions(root, keep={name, *([previous] if previous else [])})
    return name


def _live_or_none(root: Path) -> str | None:
    """The live version's name, or None when ``CURRENT`` is missing or damaged."""
    try:
        return _current_name(root)
    except IndexFolderError:
        return None


def _write_version(staging: Path, snapshot: Snapshot, name: str) -> None:
    """Write every file of ``snapshot`` into the new, empty folder ``staging`` (version ``name``), the manifest last."""

    def documents(handle: Any) -> None:
        for doc in snapshot.documents.values():
            head = json.dumps({
                "id": doc.id, "source": doc.source, "title": doc.title, "hash": doc.hash, "meta": doc.meta,
                **({"pages": [list(page) for page in doc.pages]} if doc.pages else {}),
            }, ensure_ascii=False)
            handle.write(head[:-1] + ', "text": "')
            # The text goes out in slices: a long document is never copied whole. JSON
            # escapes character by character, so the slices join into one valid string.
            for start in range(0, len(doc.text), 2**20):
                handle.write(json.dumps(doc.text[start:start + 2**20], ensure_ascii=False)[1:-1])
            handle.write('"}\n')

    def chunks(handle: Any) -> None:
        for chunk in snapshot.chunks:
            handle.write(json.dumps({
                "doc": chunk.doc, "start": chunk.start, "end": chunk.end,
                "sentences": [list(span) for span in chunk.sentences],
                "sentence_rows": list(chunk.sentence_rows),
            }) + "\n")

    _write_file(staging / "documents.jsonl", documents)
    _write_file(staging / "chunks.jsonl", chunks)
    manifest = snapshot.manifest
    if manifest.store.kind == "milvus":
        manifest = write_vectors(staging, name, snapshot)  # the manifest then names the version's collections
    else:
        for member, index in zip(manifest.members, snapshot.dense):
            index.save(staging / member.file)
        snapshot.sentence_vectors.save(staging / manifest.sentences_file)
    lexical_folder = staging / snapshot.manifest.lexical_folder
    snapshot.lexical.save(lexical_folder)
    for path in [*staging.glob("*.faiss"), *lexical_folder.iterdir()]:
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())
    _fsync_dir(lexical_folder)
    # The manifest is written last: a version folder without one was never finished.
    data = manifest.to_json()
    _write_file(staging / "manifest.json", lambda h: json.dump(data, h, indent=1, ensure_ascii=False))
    _fsync_dir(staging)


def _remove_own(path: Path, missing_ok: bool = True) -> None:
    """Delete ``path``, a file or folder this index writes; never a symlink (refused) or what it points to."""
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        if missing_ok:
            return
        raise
    if stat.S_ISLNK(info.st_mode):
        raise link_error(path)
    if stat.S_ISDIR(info.st_mode):
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _remove_old_versions(root: Path, keep: set[str]) -> None:
    """Delete versions older than the previous one, and leftovers of crashed ingests.

    The version just replaced stays, so a reader that read ``CURRENT`` a moment ago
    can still open it. Only names this index writes are deleted, and no symlink. A
    version whose vectors are in a shared Milvus store (a server, a Milvus Lite path)
    takes its collections with it, whichever prefix it had (a rebuild starts a new one);
    when the store cannot drop them now, the folder stays and the next ingest tries again.
    """
    for path in root.iterdir():
        stale_version = _VERSION_DIR.fullmatch(path.name) and path.name not in keep
        crashed = _LEFTOVER.fullmatch(path.name)
        if (stale_version or crashed) and not path.is_symlink():
            if stale_version and not _dropped_collections(path):
                continue
            if (path / LITE_FOLDER).is_dir():  # a Milvus Lite store this process may have open
                release_lite(path)
            _remove_own(path)


def _dropped_collections(folder: Path) -> bool:
    """Drop the shared Milvus collections the version ``folder`` names, if any; False when the store refused."""
    try:
        manifest = Manifest.from_json(_read_json(folder / "manifest.json"), str(folder))
    except (IndexFolderError, _Damaged, OSError):
        return True  # an unfinished or damaged version names nothing to drop
    if manifest.store.kind != "milvus":
        return True
    try:
        drop_version(folder, manifest)
    except Exception:  # the server is away or the store is busy: keep the folder that names them
        return False
    return True


# What a folder needs to be taken for an index: this file, which every ingest writes
# first, or (an index written before it existed) a CURRENT file and a version folder.
MARKER = ".fundstelle-index"
_MARKER_TEXT = ("This folder is a Fundstelle index. Ingests write and delete here only CURRENT, ingest.lock, "
                "version folders v000001/ ... and their .partial leftovers.\n")
_LEFTOVER = re.compile(r"\.v\d{6}\.partial|\.CURRENT\.partial")


def _claim_folder(root: Path) -> None:
    """Make sure ``root`` is an index folder or empty (then mark it as one); refuse anything else.

    An ingest deletes old versions and leftovers in its folder; pointed at an ordinary
    folder by mistake, it must not touch a thing there.
    """
    for name in ("CURRENT", ".CURRENT.partial", "ingest.lock", MARKER):
        if (root / name).is_symlink():
            raise IndexFolderError(link_error(root / name).strerror or str(root / name), str(root))
    if (root / MARKER).is_file():
        return
    # Hidden files (a .gitignore, .DS_Store) do not count, but for leftovers an index would delete.
    names = {path.name for path in root.iterdir() if not path.name.startswith(".") or _LEFTOVER.fullmatch(path.name)}
    earlier_index = "CURRENT" in names and any(
        _VERSION_DIR.fullmatch(name) and (root / name / "manifest.json").is_file() for name in names
    )
    if names and not earlier_index:
        raise IndexFolderError(
            f"{root}/ is not empty and holds no Fundstelle index (no {MARKER} file); an ingest deletes old "
            "versions in its index folder, so it needs a new or empty one", str(root), "folder",
        )
    try:
        _write_file(root / MARKER, lambda h: h.write(_MARKER_TEXT))
    except FileExistsError:  # another ingest marked it a moment ago
        pass


@contextlib.contextmanager
def ingest_lock(root: str | os.PathLike[str]) -> Iterator[None]:
    """Hold the index's write lock, or raise :class:`IndexLockedError` at once.

    The lock is an ``flock`` on ``ingest.lock``; the system releases it when the
    holder exits, even after ``kill -9``. A folder that is neither empty nor an index
    is refused with :class:`IndexFolderError` before anything is written in it. When
    the work under the lock fails, folders this call created are removed again if they
    hold nothing but the lock and the index mark: a failed first ingest leaves no folder.
    """
    root = index_folder(root)
    created = [folder for folder in (root, *root.parents) if not os.path.lexists(folder)]
    root.mkdir(parents=True, exist_ok=True)
    try:
        with _locked(root):
            yield
    except BaseException:
        _remove_created(root, created)
        raise


def _remove_created(root: Path, created: list[Path]) -> None:
    """Remove the folders in ``created`` (``root`` and the parents made for it) if only our own files are in them."""
    try:
        if not created or {path.name for path in root.iterdir()} - {MARKER, "ingest.lock"}:
            return
    except OSError:
        return
    for name in (MARKER, "ingest.lock"):
        (root / name).unlink(missing_ok=True)
    for folder in created:  # innermost first
        try:
            folder.rmdir()
        except OSError:  # someone put something there meanwhile: leave it
            return


@contextlib.contextmanager
def _locked(root: Path) -> Iterator[None]:
    """The write lock on the existing folder ``root`` (see :func:`ingest_lock`)."""
    _claim_folder(root)
    try:
        fd = open_no_follow(root / "ingest.lock", os.O_RDWR | os.O_CREAT)
    except LinkError as error:
        raise IndexFolderError(error.strerror or str(error), str(root)) from None
    handle = os.fdopen(fd, "r+", encoding="utf-8")
    try:
        if os.fstat(fd).st_nlink > 1:  # a hard link: writing it would change a file elsewhere
            raise IndexFolderError(f"{root / 'ingest.lock'} has other names (hard links); remove it", str(root))
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as error:
            if error.errno not in (errno.EAGAIN, errno.EACCES):
                raise
            handle.seek(0)
            holder = handle.read(100).strip() or "another process"
            raise IndexLockedError(f"another ingest ({holder}) is writing to {root}/", str(root), holder) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield
    finally:
        handle.close()
