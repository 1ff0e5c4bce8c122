"""ZIP containers (Word's .docx, OpenDocument's .odt): read whole, checked before any parser sees them.

A file that is not a ZIP archive, or not of the kind its suffix says, is refused with
what it is instead; a directory that promises more inflated bytes, members or a higher
compression ratio than :mod:`fundstelle.load.limits` allows is refused as a zip bomb.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from ..errors import LoadError
from . import limits
from .decode import open_regular, read_block

# What a file that is not a ZIP archive starts with, for a reason that names it.
_MAGIC = {b"%PDF": "a PDF", b"\xd0\xcf\x11\xe0": "an old binary Office file (.doc); save it as .docx",
          b"{\\rtf": "an RTF file", b"<": "an HTML or XML file"}


def read_zip(path: Path, kind: str) -> tuple[bytes, zipfile.ZipFile]:
    """The bytes of the ZIP archive at ``path`` and the archive over them, after the bomb checks.

    ``kind`` names the format in reasons ('Word', 'OpenDocument').
    """
    with open_regular(path) as handle:
        data = bytearray()
        while block := read_block(handle, len(data)):  # in memory: a file that grows stops at the limit
            data += block
    if not data.startswith(b"PK\x03\x04"):
        found = next((name for magic, name in _MAGIC.items() if data.lstrip()[:8].startswith(magic)), None)
        raise LoadError(f"not a valid {kind} file (no ZIP container){f'; it is {found}' if found else ''}; "
                        "is it another format under the wrong suffix?")
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as error:
        raise LoadError(f"corrupt {kind} file (broken ZIP container: {error})") from None
    if len(members) > limits.ZIP_MEMBERS:
        raise LoadError(f"{kind} file holds {len(members)} parts (the limit is {limits.ZIP_MEMBERS}); a zip bomb?")
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 2**20 and ratio > limits.ZIP_RATIO:
            raise LoadError(f"{kind} part {member.filename!r} inflates {ratio:.0f} times "
                            f"(the limit is {limits.ZIP_RATIO}); a zip bomb?")
    if total > limits.ZIP_FILE_BYTES:
        raise LoadError(f"{kind} file inflates to {total / 2**20:.0f} MB (the limit is "
                        f"{limits.ZIP_FILE_BYTES // 2**20} MB); a zip bomb, or split it into smaller files")
    return bytes(data), archive

