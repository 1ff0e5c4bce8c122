"""Adding uploaded files to the index and removing documents, without surprises.

Uploaded files are saved as ``<index folder>/uploads/<name>``. The name comes from the
browser and is untrusted: :func:`safe_name` makes a plain file name of it (no folders, no
``..``, no hidden names, odd characters replaced, a supported suffix), and the final path
is checked to lie in ``uploads/``. A file the index cannot read is deleted again, or, if
it replaced an earlier upload of the same name, the earlier file is put back: a bad file
changes nothing.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from fundstelle import SUPPORTED_SUFFIXES, DocumentInfo, Index, IngestReport, NothingToIndexError, Progress

__all__ = [
    "ALLOWED_SUFFIXES",
    "MAX_UPLOAD_MB",
    "Outcome",
    "UploadError",
    "add_uploads",
    "remove_document",
    "safe_name",
    "uploads_dir",
]

ALLOWED_SUFFIXES = SUPPORTED_SUFFIXES  # what the page takes is what the library reads
MAX_UPLOAD_MB = 50
MAX_NAME_CHARS = 120
# Letters and digits of any script, space, and _ . , & ( ) + - stay; anything else becomes _.
_UNSAFE = re.compile(r"[^\w .,&()+-]")


class UploadError(ValueError):
    """An upload refused before it reached the index; ``code`` names the reason (see texts)."""

    def __init__(self, code: str, **details: str) -> None:
        super().__init__(f"{code}: {details}" if details else code)
        self.code = code
        self.details = details


def safe_name(raw: str) -> str:
    """Return the file name to save an upload under, made from ``raw``; raise :class:`UploadError` if none.

    >>> safe_name("Notizen, Bienen & Co.txt")
    'Notizen, Bienen & Co.txt'
    >>> safe_name("../berichte/<neu>..2024.pdf")
    'neu_.2024.pdf'
    """
    name = unicodedata.normalize("NFC", raw or "")
    name = re.split(r"[/\\]", name)[-1]  # folders dropped, Unix or Windows style
    name = _UNSAFE.sub("_", name)
    name = re.sub(r"\.{2,}", ".", re.sub(r"_{2,}", "_", re.sub(r"\s+", " ", name)))  # never ".."
    stem, suffix = os.path.splitext(name)
    stem = stem.strip(" ._-")  # no hidden names, no stray separators at either end
    if not stem:
        raise UploadError("name")
    if suffix.lower() not in ALLOWED_SUFFIXES:
        raise UploadError("suffix", suffix=suffix or "—")
    return stem[:MAX_NAME_CHARS - len(suffix)].rstrip(" ._-") + suffix


def uploads_dir(index_dir: str | os.PathLike[str]) -> Path:
    """Return where uploads of the index at ``index_dir`` are kept."""
    return Path(index_dir) / "uploads"


def is_upload(source: str, index_dir: str | os.PathLike[str]) -> bool:
    """Tell whether ``source`` (a document's source path) is a file in the index's uploads folder."""
    folder = uploads_dir(index_dir).resolve()
    return Path(source).resolve().parent == folder


@dataclass
class Outcome:
    """What became of one uploaded file: ``added``, ``updated``, ``unchanged`` or ``rejected``.

    ``name`` is the name the browser gave, ``saved_as`` the safe name it was saved under.
    For ``rejected``: ``code`` names the reason (``name``, ``suffix``, ``empty``, ``size``,
    ``twice``, ``loader``) and ``details`` fill in its text (for ``loader``, the
    library's reason).
    """

    name: str
    status: str
    code: str = ""
    details: dict[str, str] = field(default_factory=dict)
    saved_as: str = ""


def _check(files: Sequence[tuple[str, bytes]]) -> tuple[list[Outcome], dict[str, tuple[str, bytes]]]:
    """Refuse what can be refused without the index; return the accepted files by safe name."""
    outcomes: list[Outcome] = []
    accepted: dict[str, tuple[str, bytes]] = {}
    for raw_name, data in files:
        try:
            name = safe_name(raw_name)
            if not data:
                raise UploadError("empty")
            if len(data) > MAX_UPLOAD_MB * 2**20:
                raise UploadError("size", limit=str(MAX_UPLOAD_MB))
            if name in accepted:
                raise UploadError("twice")
        except UploadError as error:
            outcomes.append(Outcome(raw_name, "rejected", error.code, error.details))
            continue
        accepted[name] = (raw_name, data)
    return outcomes, accepted


def add_uploads(index: Index, files: Sequence[tuple[str, bytes]], progress: Progress | None = None) -> list[Outcome]:
    """Save ``files`` (name, content) in the uploads folder and add them to ``index`` in one ingest.

    Raises whatever the ingest raises (e.g. :class:`fundstelle.IndexLockedError`) after
    putting the uploads folder back as it was.
    """
    outcomes, accepted = _check(files)
    if not accepted:
        return outcomes
    folder = uploads_dir(index.folder).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    saved: dict[str, tuple[str, Path, bytes | None]] = {}
    try:
        for name, (raw_name, data) in accepted.items():
            path = folder / name
            if path.resolve().parent != folder:  # a symlink or other trick: refuse
                outcomes.append(Outcome(raw_name, "rejected", "name"))
                continue
            previous = path.read_bytes() if path.is_file() else None
            partial = folder / f".{name}.partial"
            partial.write_bytes(data)
            os.replace(partial, path)
            saved[name] = (raw_name, path, previous)
        try:
            report = index.add([path for _, path, _ in saved.values()], progress=progress)
        except NothingToIndexError as error:  # not one upload could be read: each gets its reason below
            report = IngestReport(skipped=error.skipped)
    except BaseException:
        for _, path, previous in saved.values():
            _restore(path, previous)
        raise
    skipped = {os.path.abspath(s.source): s.reason for s in report.skipped}
    kinds = [("added", report.added), ("updated", report.updated), ("unchanged", report.unchanged)]
    for name, (raw_name, path, previous) in saved.items():
        key = os.path.abspath(path)
        if key in skipped:
            _restore(path, previous)
            outcomes.append(Outcome(raw_name, "rejected", "loader", {"reason": skipped[key]}))
            continue
        status = next((kind for kind, sources in kinds if key in {os.path.abspath(s) for s in sources}), "added")
        outcomes.append(Outcome(raw_name, status, saved_as=name))
    return outcomes


def _restore(path: Path, previous: bytes | None) -> None:
    """Put back the file that was at ``path`` before the upload, or delete the upload."""
    if previous is None:
        path.unlink(missing_ok=True)
    else:
        path.write_bytes(previous)


def remove_document(index: Index, document: DocumentInfo) -> bool:
    """Drop ``document`` from ``index``; delete its file too if it is an upload. True if it was removed."""
    report = index.remove([document.id])
    if not report.removed:
        return False
    if is_upload(document.source, index.folder):
        Path(document.source).unlink(missing_ok=True)
    return True
