"""Connections to Milvus: one client per store and process, and Milvus Lite's one-process rule.

A store is a server's address (``http://host:19530``), the path of a Milvus Lite store
(``….db``), or "" for the Milvus Lite store in a version folder (``vNNNNNN/milvus.db/``).
This process keeps one client per store; a Milvus Lite store serves one process at a time,
so the one in a version folder is let go of when its writing is done and before its folder
is removed.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import secrets
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import IndexFolderError, IndexLockedError
from ..manifest import MILVUS_URI_FORMS, Store, is_lite_path, is_milvus_uri

if TYPE_CHECKING:
    from pymilvus import MilvusClient

__all__ = ["LITE_FOLDER", "client_for", "is_open", "lite_target", "load_pymilvus", "new_store", "on_server",
           "release", "release_lite", "store_uri"]

# Milvus Lite's data folder inside a version folder (pymilvus takes a path ending in .db
# as a local store).
LITE_FOLDER = "milvus.db"
_INSTALL = "the Milvus store needs pymilvus and milvus-lite: pip install 'fundstelle[milvus]'"


def store_uri(uri: str | None) -> str:
    """``uri`` as a store entry holds it: "" (Lite in the index folder), a server's address, or a Milvus Lite path.

    A Milvus Lite path is made absolute here (against the working directory, as pymilvus
    would take it), so the index names the same store whichever folder it is read from.
    Raises ValueError for anything else, naming the forms accepted, before anything is written.
    """
    if not uri:
        return ""
    if is_lite_path(uri):
        path = Path(uri).expanduser().absolute()
        if not path.parent.is_dir():
            raise ValueError(f"the folder of the Milvus Lite store {uri} ({path.parent}) does not exist")
        uri = os.path.normpath(path)
    if not is_milvus_uri(uri):
        raise ValueError(f"{uri!r} is not a Milvus store; --milvus-uri takes {MILVUS_URI_FORMS}")
    return uri


def new_store(uri: str | None) -> Store:
    """The store entry of a new Milvus-backed index at ``uri`` (see :func:`store_uri`) with a fresh prefix."""
    uri = store_uri(uri)
    load_pymilvus()  # say what to install before any work is done
    if not on_server(uri):
        _lite()
    # A random prefix: several indexes may share one server.
    return Store("milvus", uri, f"fs_{secrets.token_hex(6)}")


_CLIENTS: dict[str, MilvusClient] = {}
# pymilvus pings its server every 10 s, even when idle; Milvus Lite's server keeps gRPC's
# default (a ping every 5 minutes at most) and, in a benchmark run, answered with GOAWAY
# "too_many_pings", which gRPC prints to stderr. The store is in this process: no pings needed.
_LITE_GRPC = {"grpc.keepalive_time_ms": 300_000, "grpc.keepalive_permit_without_calls": False}
_CLIENTS_LOCK = threading.Lock()


def load_pymilvus() -> Any:
    """The pymilvus module; ImportError saying what to install when it is missing."""
    try:
        import pymilvus
    except ImportError as error:
        raise ImportError(_INSTALL) from error
    return pymilvus


def _lite() -> None:
    """Raise ImportError saying what to install unless milvus-lite (which pymilvus uses for a local store) is."""
    try:
        import milvus_lite  # noqa: F401
    except ImportError as error:
        raise ImportError(_INSTALL) from error


def on_server(uri: str) -> bool:
    """Does a store ``uri`` name a Milvus server (not Milvus Lite, in the version folder or at a path)?"""
    return bool(uri) and not is_lite_path(uri)


def lite_target(uri: str, folder: Path) -> Path | None:
    """The Milvus Lite store (absolute) a store ``uri`` of the version ``folder`` names; None for a server.

    Absolute, as this process's clients are kept by it: a process may change its folder.
    """
    if not uri:
        return Path(os.path.abspath(folder / LITE_FOLDER))
    return Path(uri) if is_lite_path(uri) else None


def client_for(uri: str, folder: Path, create: bool = False) -> MilvusClient:
    """The process's client for ``uri`` (a server or a Milvus Lite path), or for the Milvus Lite store of ``folder``.

    A Milvus Lite store that is not there is a FileNotFoundError unless ``create`` is set.
    """
    pymilvus = load_pymilvus()
    lite = lite_target(uri, folder)
    target = str(lite) if lite is not None else uri
    if lite is not None and not create and not lite.is_dir():
        raise FileNotFoundError(errno.ENOENT, "no Milvus Lite store", target)
    with _CLIENTS_LOCK:
        client = _CLIENTS.get(target)
        if client is not None:
            return client
        if lite is None:
            try:
                client = pymilvus.MilvusClient(uri=uri, token=os.environ.get("MILVUS_TOKEN", ""))
            except pymilvus.MilvusException as error:
                raise IndexFolderError(f"cannot reach the Milvus server at {uri} ({error.message})",
                                       str(folder.parent), "server") from None
        else:
            _lite()
            # Asked first: pymilvus would log a traceback before failing.
            if _held_elsewhere(lite):
                raise IndexLockedError(
                    f"another process has the Milvus Lite store {target} open (Milvus Lite serves one process "
                    f"at a time; to search and ingest from several, build the index on a Milvus server with "
                    f"--milvus-uri)", str(folder.parent), "another process (Milvus Lite)")
            client = pymilvus.MilvusClient(target, grpc_options=_LITE_GRPC)
        _CLIENTS[target] = client
        return client


def _held_elsewhere(lite: Path) -> bool:
    """Does another process hold the lock of the Milvus Lite store at ``lite``?"""
    try:
        handle = open(lite / "LOCK", "rb")
    except OSError:
        return False
    with handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        fcntl.flock(handle.fileno(), fcntl.LOCK_UN)
        return False


def is_open(lite: Path) -> bool:
    """Has this process a client for the Milvus Lite store at ``lite`` (absolute, as :func:`lite_target` gives it)?"""
    with _CLIENTS_LOCK:
        return str(lite) in _CLIENTS


def release_lite(folder: Path) -> None:
    """Close this process's Milvus Lite store in the version ``folder`` (if open), releasing its lock.

    Called before a version folder is removed, and when its writing is done.
    """
    release(os.path.abspath(folder / LITE_FOLDER))


def release(target: str) -> None:
    """Close this process's Milvus Lite store at ``target`` (if open), releasing its lock."""
    with _CLIENTS_LOCK:
        client = _CLIENTS.pop(target, None)
    if client is not None:
        client.close()
    with contextlib.suppress(ImportError):
        from milvus_lite.server_manager import server_manager_instance

        # pymilvus keeps the embedded server (and its lock) after close(), for the process's life.
        server_manager_instance.release_server(target)

