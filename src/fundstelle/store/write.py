"""Writing a new version of an index: every file into a staging folder, then one switch of ``CURRENT``.

An ingest writes a complete new version folder next to the live one and then
replaces ``CURRENT`` in one ``os.replace``. A crash at any point leaves ``CURRENT``
naming a complete version: readers see the old content or the new, never a mix.
Every file is created new (never written through a link or into a file the index
did not just create) and flushed to disk before the switch.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import stat
from pathlib import Path
from typing import Any

from ..errors import IndexFolderError, IndexWriteError
from ..files import DamagedFile, LinkError, create_new, first_line, link_error
from ..manifest import Manifest
from ..snapshot import Snapshot
from ..vector_stores import vector_store
from .validate import read_json
from .versions import LEFTOVER, VERSION_DIR, current_version, live_or_none

__all__ = ["write_file", "write_snapshot"]


def _fsync_dir(path: Path) -> None:
    """Flush the folder ``path`` (its entries: files created, renamed or removed) to disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_file(path: Path, write: Any) -> None:
    """Create the new file ``path``, write it through ``write(handle)`` and flush it to disk.

    The file must not exist: nothing is ever written through a link or into a file
    the index did not just create.
    """
    with create_new(path) as handle:
        write(handle)
        handle.flush()
        os.fsync(handle.fileno())


def write_snapshot(root: str | os.PathLike[str], snapshot: Snapshot) -> str:
    """Write ``snapshot`` as the new live version of the index at ``root``.

    The caller must hold :func:`~fundstelle.store.lock.ingest_lock`. Returns the new version's name. Until
    the final ``os.replace`` of ``CURRENT`` the previous version stays live; it is
    kept afterwards too, for readers still opening it. When writing fails (a full
    disk), what this call wrote is removed and :class:`IndexWriteError` says why.
    """
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    try:
        previous = current_version(root)
    except IndexFolderError:  # a damaged pointer, being replaced by this write
        previous = None
    numbers = [int(m.group(1)) for p in root.iterdir() if (m := VERSION_DIR.fullmatch(p.name))]
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
        write_file(pointer, lambda h: h.write(name + "\n"))
        os.replace(pointer, root / "CURRENT")
    except BaseException as error:
        live = live_or_none(root)
        for path in (staging, pointer, *([] if live == name else [root / name])):
            _remove_own(path, missing_ok=True)
        if isinstance(error, (OSError, RuntimeError)) and live != name:
            reason = error.strerror if isinstance(error, OSError) and error.strerror else first_line(error)
            raise IndexWriteError(f"could not write a new version of the index {root}/ ({reason}); "
                                  f"nothing changed, the previous version is still live", str(root)) from None
        raise
    _fsync_dir(root)
    _remove_old_versions(root, keep={name, *([previous] if previous else [])})
    return name


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

    write_file(staging / "documents.jsonl", documents)
    write_file(staging / "chunks.jsonl", chunks)
    # The vectors go to the manifest's store, which may name where they went in the manifest it returns.
    manifest = vector_store(snapshot.manifest.store.kind).write(staging, name, snapshot)
    lexical_folder = staging / snapshot.manifest.lexical_folder
    snapshot.lexical.save(lexical_folder)
    for path in lexical_folder.iterdir():
        with open(path, "rb+") as handle:
            os.fsync(handle.fileno())
    _fsync_dir(lexical_folder)
    # The manifest is written last: a version folder without one was never finished.
    data = manifest.to_json()
    write_file(staging / "manifest.json", lambda h: json.dump(data, h, indent=1, ensure_ascii=False))
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
    version whose vectors its store keeps outside the folder (a Milvus server or Milvus
    Lite path) takes them with it, whichever prefix they had (a rebuild starts a new
    one); when the store cannot drop them now, the folder stays and the next ingest
    tries again.
    """
    for path in root.iterdir():
        stale_version = VERSION_DIR.fullmatch(path.name) and path.name not in keep
        crashed = LEFTOVER.fullmatch(path.name)
        if (stale_version or crashed) and not path.is_symlink():
            manifest = _manifest_or_none(path)  # an unfinished or damaged version names no store
            if manifest is not None:
                store = vector_store(manifest.store.kind)
                if stale_version:
                    try:
                        store.drop(path, manifest)
                    except Exception:  # the server is away or the store is busy: keep the folder that names them
                        continue
                store.release(path)  # what this process may still have open in the folder
            _remove_own(path)


def _manifest_or_none(folder: Path) -> Manifest | None:
    """The checked manifest of the version ``folder``; None when it has none or a damaged one."""
    try:
        return Manifest.from_json(read_json(folder / "manifest.json"), str(folder))
    except (IndexFolderError, DamagedFile, OSError):
        return None
