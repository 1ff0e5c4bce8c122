"""Checked reads of a version folder's files: every file is checked before it is used.

The index is read from disk that anyone may have changed: each reader here checks
its file's size, types and cross-references and raises :class:`~fundstelle.files.DamagedFile`
naming the file and what is wrong, before a library (numpy, bm25s) allocates what the
file claims. JSON and numpy arrays (``allow_pickle=False``) only, and the vectors in
FAISS's binary format (checked by :mod:`fundstelle.faiss_files`): nothing in an index
can run code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from ..backends import Bm25Index
from ..files import DamagedFile, check_regular, first_line, read_text, text_lines
from ..load import MAX_FILE_BYTES
from ..manifest import is_int
from ..results import Document
from ..snapshot import ChunkRecord

__all__ = ["read_bm25", "read_chunks", "read_documents", "read_json"]

# The longest line a .jsonl or .json file of the index may hold: a document of the
# largest file allowed, every character escaped. Longer means damage, and the reading
# stops there instead of holding a file that lies about its size.
_MAX_LINE_CHARS = 2 * MAX_FILE_BYTES + 2**20
_BM25_PARAMS: dict[str, type | tuple[type, ...]] = {
    "k1": (int, float), "b": (int, float), "delta": (int, float), "method": str, "idf_method": str,
    "dtype": str, "int_dtype": str, "num_docs": int, "version": str, "backend": str,
    "csc_backend": str, "auto_compile": bool,
}


def read_json(path: Path) -> Any:
    """The parsed JSON file ``path`` of the index (of bounded size); :class:`DamagedFile` when it is not JSON."""
    try:
        return json.loads(read_text(path, _MAX_LINE_CHARS))
    except (ValueError, RecursionError) as error:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise DamagedFile(f"{path.name} is not valid JSON ({first_line(error)})") from None


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
            raise DamagedFile(f"{path.name} line {number} is not a {record} record") from None
        yield number, row
        number += 1


def read_documents(path: Path) -> dict[str, Document]:
    """The documents of ``documents.jsonl`` by id, each record's fields and page starts checked."""
    documents = {}
    for number, row in _json_lines(path, "document"):
        try:
            fields = (row["id"], row["source"], row["title"], row["hash"], row["text"])
            meta = row.get("meta", {})
        except (KeyError, TypeError, AttributeError):
            raise DamagedFile(f"documents.jsonl line {number} is not a document record") from None
        if not all(isinstance(value, str) for value in fields) or not isinstance(meta, dict):
            raise DamagedFile(f"documents.jsonl line {number} has a field of the wrong type")
        pages = _page_starts(row.get("pages", []), len(fields[4]))
        if pages is None:
            raise DamagedFile(f"documents.jsonl line {number} has page starts that do not fit its text")
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


def read_chunks(path: Path, documents: dict[str, Document], sentence_count: int) -> list[ChunkRecord]:
    """The chunk rows of ``chunks.jsonl``, each inside its document's text and naming sentence rows that exist."""
    chunks = []
    for number, row in _json_lines(path, "chunk"):
        try:
            doc, start, end = row["doc"], row["start"], row["end"]
            sentences = tuple((s, e) for s, e in row["sentences"])
            sentence_rows = tuple(row["sentence_rows"])
        except (ValueError, KeyError, TypeError, AttributeError):
            raise DamagedFile(f"chunks.jsonl line {number} is not a chunk record") from None
        text = documents[doc].text if isinstance(doc, str) and doc in documents else None
        if (
            text is None or not (is_int(start) and is_int(end) and 0 <= start <= end <= len(text))
            or not all(is_int(s) and is_int(e) and 0 <= s <= e <= end - start for s, e in sentences)
        ):
            raise DamagedFile(f"chunks.jsonl line {number} points outside its document's text")
        if len(sentence_rows) != len(sentences) or not sentences or not all(
            is_int(r) and 0 <= r < sentence_count for r in sentence_rows
        ):
            raise DamagedFile(f"chunks.jsonl line {number} has sentence rows that do not fit its sentences")
        chunks.append(ChunkRecord(doc, start, end, sentences, sentence_rows))
    return chunks


def read_bm25(folder: Path, chunk_characters: int) -> Bm25Index:
    """Check the bm25s files (parameters, vocabulary, score arrays), then load them.

    ``chunk_characters``, about the length of all chunks together, bounds the postings:
    each is a word of a chunk. Loading allocates the arrays their headers claim.
    """
    params = read_json(folder / "params.index.json")
    if not isinstance(params, dict) or any(
        key not in _BM25_PARAMS or not isinstance(value, _BM25_PARAMS[key]) for key, value in params.items()
    ) or params.get("backend", "numpy") != "numpy" or not is_int(params.get("num_docs")):
        raise DamagedFile("bm25/params.index.json has unexpected settings")
    if params.get("dtype", "float32") not in ("float32", "float64") or \
            params.get("int_dtype", "int32") not in ("int32", "int64"):
        raise DamagedFile("bm25/params.index.json has unexpected number types")
    vocab = read_json(folder / "vocab.index.json")
    meta = read_json(folder / "fundstelle.json")
    arrays = {}
    for name in ("data", "indices", "indptr"):
        try:
            check_regular(folder / f"{name}.csc.index.npy")
            # mmap: checking costs no copy; allow_pickle=False: an object array is refused, never unpickled.
            arrays[name] = np.load(folder / f"{name}.csc.index.npy", allow_pickle=False, mmap_mode="r")
        except Exception as error:  # numpy parses the header with Python's tokenizer: SyntaxError, TokenError, …
            if isinstance(error, FileNotFoundError):
                raise
            raise DamagedFile(f"bm25/{name}.csc.index.npy is not a plain numeric array ({first_line(error)})") from None
    data, indices, indptr = arrays["data"], arrays["indices"], arrays["indptr"]
    if len(data) > chunk_characters or len(indices) > chunk_characters or \
            (isinstance(vocab, dict) and len(indptr) > len(vocab) + 1):
        raise DamagedFile("bm25/ score arrays are larger than the chunks and the vocabulary allow")
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
        raise DamagedFile("bm25/ files do not fit together (vocabulary, score arrays and row count)")
    del data, indices, indptr, arrays
    try:
        return Bm25Index.load(folder)
    except (ValueError, KeyError, TypeError, OSError, MemoryError) as error:
        if isinstance(error, FileNotFoundError):
            raise
        raise DamagedFile(f"bm25/ cannot be loaded ({first_line(error)})") from None
