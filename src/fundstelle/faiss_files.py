"""The FAISS store: a version's vectors as ``.faiss`` files in its own folder.

One file per ensemble member (``dense-0.faiss``, …) and one of the sentence vectors
(``sentences.faiss``), named by the manifest. Each file is checked before FAISS reads
it: only the index kinds Fundstelle writes, a header that fits the file's size, the
manifest's dimension. FAISS's binary format runs no code.
"""

from __future__ import annotations

import os
from pathlib import Path

from .backends import FaissIndex, VectorIndex, faiss_file_problem
from .files import DamagedFile, first_line, open_no_follow
from .manifest import Manifest
from .snapshot import Snapshot

__all__ = ["FAISS_FILES", "FaissFiles", "read_faiss"]

# The first four bytes of the FAISS index kinds Fundstelle writes (FAISS's own format
# tags). Other kinds are refused before FAISS reads them: some refer to further files.
_FAISS_TAGS = {b"IxFI": "IndexFlatIP", b"IHNf": "IndexHNSWFlat"}


def read_faiss(path: Path, dim: int) -> FaissIndex:
    """The FAISS index in ``path``, of a kind Fundstelle writes and of ``dim``-dimensional vectors."""
    with os.fdopen(open_no_follow(path, os.O_RDONLY), "rb") as handle:
        tag = handle.read(4)
    if tag not in _FAISS_TAGS:
        raise DamagedFile(f"{path.name} is not a FAISS index of a kind Fundstelle writes (starts with {tag!r})")
    # FAISS allocates what a file's header claims before it reads the vectors.
    problem = faiss_file_problem(path)
    if problem:
        raise DamagedFile(f"{path.name} is truncated or damaged ({problem})")
    try:
        index = FaissIndex.load(path)
    except (RuntimeError, MemoryError) as error:
        raise DamagedFile(f"{path.name} is truncated or damaged ({first_line(error)})") from None
    if index.kind != _FAISS_TAGS[tag] or index.dim != dim:
        raise DamagedFile(f"{path.name} holds {index.dim}-dimensional vectors, the manifest says {dim}")
    return index


class FaissFiles:
    """The vectors as FAISS files in the version folder (a :class:`~fundstelle.vector_stores.VectorStore`)."""

    def open(self, folder: Path, manifest: Manifest) -> tuple[list[VectorIndex], VectorIndex]:
        """The checked FAISS files the manifest names (see :func:`read_faiss`): the members', the sentences'."""
        sentence_vectors = read_faiss(folder / manifest.sentences_file, manifest.members[manifest.sentence_member].dim)
        dense: list[VectorIndex] = [read_faiss(folder / member.file, member.dim) for member in manifest.members]
        return dense, sentence_vectors

    def write(self, staging: Path, version: str, snapshot: Snapshot) -> Manifest:
        """Save each index under the file name the manifest gives it, flushed to disk; the manifest stays as it is."""
        manifest = snapshot.manifest
        for member, index in zip(manifest.members, snapshot.dense):
            index.save(staging / member.file)
        snapshot.sentence_vectors.save(staging / manifest.sentences_file)
        for path in staging.glob("*.faiss"):
            with open(path, "rb+") as handle:
                os.fsync(handle.fileno())
        return manifest

    def release(self, folder: Path) -> None:
        """Nothing to let go of: a FAISS file is read whole, not kept open."""

    def drop(self, folder: Path, manifest: Manifest) -> None:
        """Nothing to drop: the files go with their folder."""


FAISS_FILES = FaissFiles()
