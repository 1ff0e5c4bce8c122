"""What a document says about itself, in one form for every format: dates, author, file facts.

Readers hand their format's facts (a PDF's info, a Word file's core properties, an HTML
page's ``<meta>``, Markdown front matter) through :func:`iso_date` and :func:`clean_value`;
:func:`file_facts` adds what the file system knows. Dates become ISO 8601 (``2025-07-01``,
``2025-07`` or ``2025``), so that ranges compare them as strings.
"""

from __future__ import annotations

import datetime as dt
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path

from ..errors import BadInputError
from ..results import MetaValue
from .decode import normalise

__all__ = ["check_meta", "clean_value", "file_facts", "front_matter", "iso_date"]
_VALUE_CHARS = 300
_ISO = re.compile(r"\s*(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?(?![\d])")
_PDF_DATE = re.compile(r"\s*D:(\d{4})(\d{2})?(\d{2})?")
_GERMAN = re.compile(r"\s*(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4})(?!\d)")
# Front matter: a block between two "---" lines at the very start of a Markdown file.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.{0,20000}?)\n---[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_LINE = re.compile(r"([A-Za-z][\w-]{0,40})\s*:\s*(.*)")
_FRONT_KEYS = 50


def iso_date(value: object) -> str | None:
    """``value`` (a date, a datetime, or text such as ``2025-07-01``, ``D:20250701…``, ``1.7.2025``) as ISO 8601.

    The precision given is kept (``2025-07``); None for anything that is not a plausible date.
    """
    if isinstance(value, dt.datetime | dt.date):
        return value.date().isoformat() if isinstance(value, dt.datetime) else value.isoformat()
    if not isinstance(value, str):
        return None
    parts: tuple[str | None, ...]
    if match := _PDF_DATE.match(value):
        parts = match.groups()
    elif match := _GERMAN.match(value):
        parts = (match.group(3), f"{int(match.group(2)):02d}", f"{int(match.group(1)):02d}")
    elif match := _ISO.match(value):
        parts = match.groups()
    else:
        return None
    year, month, day = parts
    try:
        dt.date(int(year or 0), int(month or 1), int(day or 1))
    except ValueError:
        return None
    if not 1000 <= int(year or 0) <= 9999:
        return None
    return "-".join(part for part in (year, month, day if month else None) if part)


def clean_value(value: object) -> str:
    """A stated text value (an author, a title) on one line and at most a few hundred characters."""
    text = " ".join(normalise(str(value)).split()) if value is not None else ""
    return text[:_VALUE_CHARS]


def file_facts(path: Path) -> dict[str, MetaValue]:
    """What the file system says: ``type`` (the suffix), ``size`` in bytes, ``modified`` (UTC, ISO 8601)."""
    info = os.stat(path)
    modified = dt.datetime.fromtimestamp(info.st_mtime, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {"type": path.suffix.lower().lstrip(".") or "txt", "size": info.st_size, "modified": modified}


def front_matter(text: str) -> tuple[dict[str, str], int]:
    """Markdown front matter's ``key: value`` lines, and where the text after it starts (0: none).

    Only plain one-line values are kept (lists and nested blocks are skipped), keys lower-cased;
    ``date`` is made ISO 8601.
    """
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, 0
    found: dict[str, str] = {}
    for line in match.group(1).split("\n"):
        pair = _FRONT_LINE.fullmatch(line.strip())
        if not pair or len(found) >= _FRONT_KEYS:
            continue
        key, raw = pair.group(1).lower(), pair.group(2).strip().strip("\"'")
        value = iso_date(raw) if key == "date" else clean_value(raw)
        if value and not raw.startswith(("[", "{", "|", ">")):
            found[key] = value
    return found, match.end()


def check_meta(meta: Mapping[str, object], doc_id: str) -> dict[str, MetaValue]:
    """A caller's metadata for the text ``doc_id``, checked: string keys, JSON scalars (finite numbers) as values.

    Raises ValueError naming the key that is not.
    """
    checked: dict[str, MetaValue] = {}
    for key, value in meta.items():
        if not isinstance(key, str) or not key:
            raise BadInputError(f"metadata of text {doc_id!r}: a key must be a non-empty string, not {key!r}")
        if not isinstance(value, str | int | float | bool) or (isinstance(value, float) and not math.isfinite(value)):
            raise BadInputError(f"metadata of text {doc_id!r}: {key!r} must be a string, number or bool, not {value!r}")
        checked[key] = value
    return checked
