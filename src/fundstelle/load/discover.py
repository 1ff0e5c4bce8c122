"""Finding the files to load: files and folders expanded, the unsupported and unsafe ones named.

Folders are walked without recursion (folders nested arbitrarily deep are fine); symlink
loops are noticed; symlinks that lead out of the given folders are not followed; names
that are not UTF-8, pipes and devices are skipped with a reason.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from ..errors import BadInputError, BadTypeError
from ..results import Skipped
from .decode import SURROGATE

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".docx", ".odt")

# One path, or several: what the functions taking files and folders accept.
Paths = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


def document_id(path: str | os.PathLike[str]) -> str:
    """Return the stable id of the document at ``path``: a hash of its absolute path."""
    absolute = os.path.abspath(os.fspath(path))
    return hashlib.sha256(absolute.encode("utf-8")).hexdigest()[:16]


def as_paths(paths: Paths, what: str = "path") -> list[str | os.PathLike[str]]:
    """``paths`` as a list: a single string or path is one path, not its characters.

    Raises :class:`BadInputError` (a ValueError) for an empty path (an unset shell variable
    would otherwise mean the working folder, or every document) and :class:`BadTypeError`
    (a TypeError) for something that is not a path.
    """
    if isinstance(paths, (str, os.PathLike)):
        items: list[object] = [paths]
    elif isinstance(paths, Iterable):
        items = list(paths)
    else:
        raise BadTypeError(f"expected a {what} or a list of them, not {type(paths).__name__}; "
                           "give a file or folder name")
    checked: list[str | os.PathLike[str]] = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise BadTypeError(f"a {what} must be a string or os.PathLike, not {type(item).__name__}; "
                               "give a file or folder name")
        if not os.fspath(item).strip():
            raise BadInputError(f"an empty {what} was given; name a file or folder (is a variable unset?)")
        checked.append(item)
    return checked


def discover_files(paths: Paths, follow_links: bool = False) -> tuple[list[Path], list[Skipped]]:
    """Expand files and folders (recursively) into the files to load.

    Returns the supported files in a stable order and the skipped ones: unsupported
    suffixes, missing paths, pipes and devices, symlink loops, names that are not
    UTF-8, and symlinks that lead outside the given folders (followed only with
    ``follow_links``), each with its reason. Paths given by name are taken as given.
    """
    paths = as_paths(paths)
    found: list[Path] = []
    skipped: list[Skipped] = []
    # Files and folders are known by device and inode: the same one reached through a
    # symlink is seen once, and a symlink back up the tree is a loop.
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()
    inside = [os.path.join(os.path.realpath(p), "") for p in paths if os.path.isdir(p)]

    def identity(path: Path) -> tuple[int, int]:
        info = path.stat()
        return info.st_dev, info.st_ino

    def add_file(path: Path) -> None:
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append(Skipped(str(path), f"unsupported file type {path.suffix or '(none)'!r}; "
                                               f"supported: {', '.join(SUPPORTED_SUFFIXES)}"))
            return
        try:
            key = identity(path)
        except OSError:  # gone since it was listed: loading it will say so
            key = (-1, len(found))
        if key not in seen_files:
            seen_files.add(key)
            found.append(path)

    def entries_of(folder: Path) -> Iterator[Path] | None:
        try:
            key = identity(folder)
        except OSError as error:
            skipped.append(Skipped(str(folder), f"cannot open folder: {error.strerror or error}"))
            return None
        if key in seen_dirs:
            skipped.append(Skipped(str(folder), "symlink loop or folder seen twice; not followed again"))
            return None
        seen_dirs.add(key)
        try:
            return iter(sorted(folder.iterdir(), key=lambda p: p.name))
        except OSError as error:
            skipped.append(Skipped(str(folder), f"cannot list folder: {error.strerror or error}"))
            return None

    def refused(entry: Path) -> str | None:
        """Why a folder entry is not walked or loaded, if it is not."""
        if SURROGATE.search(entry.name):
            return "file name is not valid UTF-8 (or holds lone surrogates); rename it"
        if entry.is_symlink() and not follow_links:
            target = os.path.realpath(entry)
            if not any(os.path.join(target, "").startswith(folder) for folder in inside):
                return f"symlink leads outside the given folders (to {target}); not followed"
        return None

    def walk(folder: Path) -> None:
        # Depth first with an explicit stack: folders nested deeper than Python's
        # recursion limit are walked too.
        first = entries_of(folder)
        stack = [first] if first is not None else []
        while stack:
            entry = next(stack[-1], None)
            if entry is None:
                stack.pop()
            elif entry.name.startswith("."):
                continue
            elif reason := refused(entry):
                skipped.append(Skipped(str(entry), reason))
            elif entry.is_dir():
                entries = entries_of(entry)
                if entries is not None:
                    stack.append(entries)
            elif entry.is_file():
                add_file(entry)
            elif entry.is_symlink():
                skipped.append(Skipped(str(entry), "broken symlink (or a symlink loop)"))
            elif entry.exists():
                skipped.append(Skipped(str(entry), "not a regular file (a pipe, socket or device)"))

    for raw in paths:
        path = Path(raw)
        try:
            if SURROGATE.search(str(path)):
                skipped.append(Skipped(str(path), "file name is not valid UTF-8 (or holds lone surrogates); rename it"))
            elif path.is_dir():
                walk(path)
            elif path.is_file():
                add_file(path)
            elif path.exists():
                skipped.append(Skipped(str(path), "not a regular file (a pipe, socket or device)"))
            else:
                skipped.append(Skipped(str(path), "no such file or folder"))
        except OSError as error:  # a name longer than the file system allows, say
            skipped.append(Skipped(str(path), f"cannot open it: {error.strerror or error}; check the path"))
    return found, skipped
