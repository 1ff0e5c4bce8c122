"""Reading the live version of an index folder into a :class:`~fundstelle.snapshot.Snapshot`.

Every file is checked before use (:mod:`.validate`; the vectors by their store,
:mod:`fundstelle.vector_stores`); whatever is wrong becomes one :class:`IndexFolderError`
that names the index folder and the fix. A version an ingest replaces and removes while
it is read is read again from the new ``CURRENT``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from ..errors import IndexFolderError, IndexLockedError, IndexNotFoundError
from ..files import DamagedFile, LinkError
from ..manifest import Manifest
from ..snapshot import Snapshot
from ..vector_stores import vector_store
from .validate import read_bm25, read_chunks, read_documents, read_json
from .versions import current_version, index_folder

__all__ = ["read_snapshot"]


class _VersionGone(Exception):
    """The version folder vanished while it was read (an ingest replaced and removed it)."""


def read_snapshot(root: str | os.PathLike[str]) -> Snapshot:
    """Read the live version of the index at ``root``.

    Raises :class:`IndexNotFoundError` when there is no index and :class:`IndexFolderError`
    naming the problem and the fix when it is damaged, foreign or of a newer format.
    Every file is checked before use; nothing in the folder can run code.
    """
    root = index_folder(root)
    for _attempt in range(5):
        name = current_version(root)
        if name is None:
            raise IndexNotFoundError(f"no index at {root}/", str(root))
        try:
            return _read_version(root / name, name)
        except _VersionGone:
            # An ingest may have replaced and cleaned up this version while we read it.
            if current_version(root) == name:
                break
            time.sleep(0.05)
    raise IndexFolderError(f"{root / 'CURRENT'} names version {name}, but that folder is missing or incomplete",
                           str(root))


def _read_version(folder: Path, name: str) -> Snapshot:
    """The version ``name`` in ``folder``, checked whole; :class:`_VersionGone` when the folder vanished."""
    root = str(folder.parent)
    if not folder.is_dir():
        raise _VersionGone(name)
    try:
        manifest = Manifest.from_json(read_json(folder / "manifest.json"), str(folder))
        documents = read_documents(folder / "documents.jsonl")
        dense, sentence_vectors = vector_store(manifest.store.kind).open(folder, manifest)
        if len(sentence_vectors) != manifest.sentence_count:
            raise DamagedFile(f"{manifest.sentences_file} holds {len(sentence_vectors)} vectors, the manifest "
                              f"says {manifest.sentence_count}")
        chunks = read_chunks(folder / "chunks.jsonl", documents, manifest.sentence_count)
        lexical = read_bm25(folder / manifest.lexical_folder, 1 + sum(c.end - c.start + 1 for c in chunks))
    except IndexLockedError:  # a store that another process holds open
        raise
    except IndexFolderError as error:  # the manifest's own check; name the index, not the version
        raise IndexFolderError(str(error), root, error.remedy) from None
    except FileNotFoundError as error:
        if not folder.exists():
            raise _VersionGone(name) from None
        missing = os.path.relpath(error.filename, folder) if error.filename else "a file"
        raise IndexFolderError(f"index {folder} is missing {missing}", root) from None
    except DamagedFile as error:
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
