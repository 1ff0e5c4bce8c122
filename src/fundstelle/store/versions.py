"""Which version of an index is live: the ``CURRENT`` pointer and the names of version folders.

``CURRENT`` holds the name of the live version (``v000003``); an ingest replaces it in
one ``os.replace``. Version folders are ``v`` and six digits; ``.vNNNNNN.partial`` and
``.CURRENT.partial`` are what an ingest writes before it switches, and what one that
crashed leaves behind.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from ..errors import BadInputError, BadTypeError, IndexFolderError
from ..files import DamagedFile, LinkError, read_capped
from ..manifest import Manifest
from .validate import read_json

__all__ = ["LEFTOVER", "VERSION_DIR", "current_version", "index_folder", "live_manifest",
           "live_or_none"]

VERSION_DIR = re.compile(r"v(\d{6})")
# What a crashed ingest leaves: a version folder or a pointer it had not yet renamed.
LEFTOVER = re.compile(r"\.v\d{6}\.partial|\.CURRENT\.partial")


def current_version(root: str | os.PathLike[str]) -> str | None:
    """Name of the live version of the index at ``root`` (as ``CURRENT`` holds it), or None if there is none.

    Raises :class:`IndexFolderError` when ``CURRENT`` is damaged or cannot be read.
    """
    root = Path(root)
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
    if not VERSION_DIR.fullmatch(name):
        raise IndexFolderError(f"{root / 'CURRENT'} is damaged (holds {name[:40]!r})", str(root))
    return name


def live_manifest(root: str | os.PathLike[str]) -> Manifest | None:
    """The checked manifest of the live version at ``root``; None when there is none or it is damaged."""
    root = Path(root)
    try:
        name = current_version(root)
        if name is None:
            return None
        return Manifest.from_json(read_json(root / name / "manifest.json"), str(root / name))
    except (IndexFolderError, DamagedFile, OSError):
        return None


def index_folder(root: object) -> Path:
    """``root`` as the path of an index folder; :class:`BadTypeError` or :class:`BadInputError` if it is none."""
    if not isinstance(root, (str, os.PathLike)):
        raise BadTypeError(f"the index folder must be a path (str or os.PathLike), not {type(root).__name__}; "
                           "give a folder name such as 'index'")
    if not os.fspath(root).strip():
        raise BadInputError("the index folder was given as an empty name; give a folder name such as 'index'")
    return Path(root)


def live_or_none(root: Path) -> str | None:
    """The live version's name, or None when ``CURRENT`` is missing or damaged."""
    try:
        return current_version(root)
    except IndexFolderError:
        return None
