"""Opening files that may be hostile: never through a symlink, never blocking, never past a cap.

An index folder may come from an archive and a document folder from anyone: a file
Fundstelle writes could be a symlink to somewhere else, a file it reads could be a
pipe, a device, or sparse and claim gigabytes it does not hold. These helpers open
files so that none of that reaches further than a one-line error.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = [
    "DamagedFile",
    "LinkError",
    "check_regular",
    "create_new",
    "first_line",
    "link_error",
    "open_no_follow",
    "read_capped",
    "read_text",
    "text_lines",
]

_NO_FOLLOW = getattr(os, "O_NOFOLLOW", 0)
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
# JSON lines are read in pieces of this many characters; a line is never held longer
# than the caller's limit.
_PIECE_CHARS = 2**20


class DamagedFile(Exception):
    """A file of an index is unusable; the message says which and why (its reader words the rest)."""


def first_line(error: BaseException) -> str:
    """A short, one-line description of an error from a library (FAISS errors span C++ frames)."""
    text = " ".join(str(error).split()) or type(error).__name__
    if "Error: " in text:  # FAISS: "Error in <function> at <file>: Error: '<check>' failed: <why>"
        text = text.rsplit("Error: ", 1)[1]
    return text[:160]


class LinkError(OSError):
    """A path that Fundstelle would write or read is a symlink or not a regular file."""


def link_error(path: Path) -> LinkError:
    """The error for a symlink where Fundstelle reads or writes a file of its own."""
    return LinkError(errno.ELOOP, f"{path} is a symbolic link; Fundstelle neither writes nor reads "
                                  "through links; remove it")


def open_no_follow(path: Path, flags: int, mode: int = 0o644) -> int:
    """``os.open`` that refuses a symlink (or a pipe or device) at ``path``; returns the descriptor.

    Raises :class:`LinkError` naming the path when it is a symlink or not a regular file.
    """
    try:
        fd = os.open(path, flags | _NO_FOLLOW | _CLOEXEC | os.O_NONBLOCK, mode)
    except OSError as error:
        # ELOOP: O_NOFOLLOW met a link; EEXIST: O_EXCL met one (or another file).
        if error.errno == errno.ELOOP or (error.errno == errno.EEXIST and os.path.islink(path)):
            raise link_error(path) from None
        raise
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise LinkError(errno.EINVAL, f"{path} is not a regular file")
        os.set_blocking(fd, True)
    except BaseException:
        os.close(fd)
        raise
    return fd


def create_new(path: Path) -> IO[str]:
    """Create ``path`` for writing text; it must not exist yet (so no link or other file is written through)."""
    fd = open_no_follow(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    return os.fdopen(fd, "w", encoding="utf-8")


def read_capped(path: Path, limit: int) -> bytes:
    """Read at most ``limit`` bytes of the regular file ``path`` (no link followed).

    Raises :class:`ValueError` when the file holds more.
    """
    with os.fdopen(open_no_follow(path, os.O_RDONLY), "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise ValueError(f"{path.name} is larger than {limit} bytes")
    return data


def check_regular(path: Path) -> None:
    """Raise :class:`LinkError` unless ``path`` is a regular file (not a symlink); before a library opens it."""
    info = os.lstat(path)
    if stat.S_ISLNK(info.st_mode):
        raise link_error(path)
    if not stat.S_ISREG(info.st_mode):
        raise LinkError(errno.EINVAL, f"{path} is not a regular file")


def read_text(path: Path, limit: int) -> str:
    """The UTF-8 text file ``path`` (no link followed), read in blocks; at most ``limit`` bytes.

    Raises :class:`ValueError` at the first NUL byte (a sparse or binary file) or when
    the file holds more than ``limit`` bytes, before reading further.
    """
    blocks = []
    size = 0
    with os.fdopen(open_no_follow(path, os.O_RDONLY), "rb") as handle:
        while block := handle.read(_PIECE_CHARS):
            if b"\x00" in block:
                raise ValueError(f"{path.name} holds NUL bytes (a sparse or binary file)")
            size += len(block)
            if size > limit:
                raise ValueError(f"{path.name} is larger than {limit} bytes")
            blocks.append(block)
    return b"".join(blocks).decode("utf-8")


def text_lines(path: Path, limit: int) -> Iterator[str]:
    """The lines of the UTF-8 text file ``path``, each read in pieces and at most ``limit`` characters.

    A NUL character (a sparse or binary file: JSON never holds one) or a longer line
    raises :class:`ValueError` before the rest is read.
    """
    with os.fdopen(open_no_follow(path, os.O_RDONLY), encoding="utf-8") as handle:
        pieces: list[str] = []
        length = 0
        while True:
            piece = handle.readline(_PIECE_CHARS)
            if "\x00" in piece:
                raise ValueError(f"{path.name} holds NUL bytes (a sparse or binary file)")
            pieces.append(piece)
            length += len(piece)
            if length > limit:
                raise ValueError(f"{path.name} has a line longer than {limit} characters")
            if not piece or piece.endswith("\n"):
                line = "".join(pieces)
                if line:
                    yield line
                if not piece:
                    return
                pieces, length = [], 0
