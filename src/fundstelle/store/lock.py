"""The index folder's write lock, and the mark that makes a folder an index folder.

One ingest at a time writes an index: it holds an ``flock`` on ``ingest.lock``, which
the system releases when the holder exits, even after ``kill -9``. An ingest deletes
old versions in its folder, so it first makes sure the folder is an index folder
(``.fundstelle-index``) or empty, and refuses anything else.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from ..errors import IndexFolderError, IndexLockedError
from ..files import LinkError, link_error, open_no_follow
from .versions import LEFTOVER, VERSION_DIR, index_folder
from .write import write_file

__all__ = ["MARKER", "ingest_lock"]

# What a folder needs to be taken for an index: this file, which every ingest writes
# first, or (an index written before it existed) a CURRENT file and a version folder.
MARKER = ".fundstelle-index"
_MARKER_TEXT = ("This folder is a Fundstelle index. Ingests write and delete here only CURRENT, ingest.lock, "
                "version folders v000001/ ... and their .partial leftovers.\n")


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
    names = {path.name for path in root.iterdir() if not path.name.startswith(".") or LEFTOVER.fullmatch(path.name)}
    earlier_index = "CURRENT" in names and any(
        VERSION_DIR.fullmatch(name) and (root / name / "manifest.json").is_file() for name in names
    )
    if names and not earlier_index:
        raise IndexFolderError(
            f"{root}/ is not empty and holds no Fundstelle index (no {MARKER} file); an ingest deletes old "
            "versions in its index folder, so it needs a new or empty one", str(root), "folder",
        )
    try:
        write_file(root / MARKER, lambda h: h.write(_MARKER_TEXT))
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
