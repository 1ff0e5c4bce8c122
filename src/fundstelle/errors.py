"""Every error Fundstelle raises on purpose, under one root: :class:`FundstelleError`.

Messages carry the facts (which folder, which file, which model); the fields carry them
for code. What to do about an error is worded by whoever shows it (the command line, the
page), from :attr:`IndexFolderError.remedy`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from .results import Skipped

__all__ = [
    "BadInputError",
    "BadTypeError",
    "FundstelleError",
    "IndexFolderError",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexWriteError",
    "InputNotFoundError",
    "LoadError",
    "NothingToIndexError",
    "OlderIndexWarning",
    "Remedy",
]

# What fixes an index folder error: rebuild the index, build one where there is none,
# wait for the ingest holding the lock, fix the folder's permissions, upgrade
# Fundstelle, give an index folder (the path is something else), reach the Milvus server the
# index keeps its vectors on, or nothing to do (the message says what happened, e.g. a full
# disk left the previous version live).
Remedy = Literal["rebuild", "build", "wait", "permissions", "upgrade", "folder", "server", "none"]


class FundstelleError(Exception):
    """The root of Fundstelle's own errors."""


class BadInputError(FundstelleError, ValueError):
    """A value given to Fundstelle cannot be used (an empty question, ``k=0``, an unknown mode or filter key).

    The message names the value and what to give instead. Also a :class:`ValueError`,
    which is what such a value is.
    """


class BadTypeError(FundstelleError, TypeError):
    """An argument has the wrong type (a number for a question, a string for a list of paths).

    The message names the type wanted. Also a :class:`TypeError`.
    """


class InputNotFoundError(FundstelleError, FileNotFoundError):
    """A file or folder given as input does not exist (checked before anything is written)."""


class IndexFolderError(FundstelleError):
    """The index folder is missing, damaged, busy, or does not fit the request.

    ``folder`` is the index folder; ``remedy`` says what fixes it (see :data:`Remedy`).
    """

    def __init__(self, message: str, folder: str = "", remedy: Remedy = "rebuild") -> None:
        super().__init__(message)
        self.folder = folder
        self.remedy: Remedy = remedy


class IndexNotFoundError(IndexFolderError):
    """There is no index at the given path."""

    def __init__(self, message: str, folder: str = "") -> None:
        super().__init__(message, folder, "build")


class IndexLockedError(IndexFolderError):
    """Another ingest holds the index's write lock; ``holder`` names it."""

    def __init__(self, message: str, folder: str = "", holder: str = "") -> None:
        super().__init__(message, folder, "wait")
        self.holder = holder


class IndexMismatchError(IndexFolderError):
    """The index was built with other settings than requested, or its model changed.

    ``setting`` is what differs (``model``, ``chunk_size``, ``chunk_overlap`` or
    ``dim``), ``built_with`` the index's value and ``requested`` the other.
    """

    def __init__(self, message: str, folder: str = "", setting: str = "", built_with: object = None,
                 requested: object = None) -> None:
        super().__init__(message, folder, "rebuild")
        self.setting = setting
        self.built_with = built_with
        self.requested = requested


class IndexWriteError(IndexFolderError, OSError):
    """A new version could not be written (a full disk, say); the previous version is still live.

    Also an :class:`OSError`, as the failure it reports was one.
    """

    def __init__(self, message: str, folder: str = "") -> None:
        super().__init__(message, folder, "none")


class LoadError(FundstelleError):
    """A file could not be turned into a document; the message says why."""


class NothingToIndexError(FundstelleError):
    """An ingest was given files or folders, but not one readable document was among them.

    Nothing is written. ``skipped`` lists each input that was passed over, with the reason
    (:class:`fundstelle.Skipped`).
    """

    def __init__(self, message: str, skipped: Sequence[Skipped] = ()) -> None:
        super().__init__(message)
        self.skipped = list(skipped)


class OlderIndexWarning(UserWarning):
    """An index written by an older Fundstelle: it is searched, but lacks what newer ones store (PDF pages)."""
