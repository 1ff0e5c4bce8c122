"""Every error Fundstelle raises on purpose, under one root: :class:`FundstelleError`.

Messages carry the facts (which folder, which file, which model); catching code words the
advice for its own users.
"""

from __future__ import annotations

__all__ = [
    "FundstelleError",
    "IndexFolderError",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexWriteError",
    "LoadError",
]


class FundstelleError(Exception):
    """The root of Fundstelle's own errors."""


class IndexFolderError(FundstelleError):
    """The index folder is missing, damaged, busy, or does not fit the request."""


class IndexNotFoundError(IndexFolderError):
    """There is no index at the given path."""


class IndexLockedError(IndexFolderError):
    """Another ingest holds the index's write lock."""


class IndexMismatchError(IndexFolderError):
    """The index was built with other settings (model, chunking) than requested."""


class IndexWriteError(IndexFolderError, OSError):
    """A new version could not be written (a full disk, say); the previous version is still live.

    Also an :class:`OSError`, as the failure it reports was one.
    """


class LoadError(FundstelleError):
    """A file could not be turned into a document; the message says why."""
