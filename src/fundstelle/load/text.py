"""Plain text and Markdown files: the text as it is, a title from its first heading.

Markdown front matter (``---`` lines around ``title:``, ``date:``, ``author:`` …) becomes
metadata and leaves the text; a plain text may start with a ``date YYYY-MM[-DD]`` marker.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..results import MetaValue
from .decode import heading, read_text, short_title, title_from_name
from .loaded import Loaded
from .metadata import front_matter

_DATE_MARKER = re.compile(r"\A\s*date (\d{4}-\d{2}(?:-\d{2})?)\s+")
_LEADING_SPACE = re.compile(r"\s*")


def load_text(path: Path) -> Loaded:
    """Title, text and extras (``date`` and the rest of front matter or a date marker) of a text file."""
    text, encoding = read_text(path)
    meta: dict[str, MetaValue] = {} if encoding in ("utf-8", "utf-16") else {"encoding": encoding}
    markdown = path.suffix.lower() in (".md", ".markdown")
    stated, body_start = front_matter(text) if markdown else ({}, 0)
    if body_start:
        text = text[body_start:]
    stated_title = stated.pop("title", "")
    meta.update(stated)
    marker = _DATE_MARKER.match(text)
    if marker:
        meta["date"] = marker.group(1)
        text = text[marker.end():]
    title = title_from_name(path)
    # Only the head of the text decides the title: no copies of a long text.
    head = text[len(_LEADING_SPACE.match(text).group(0)):][:1000]  # type: ignore[union-attr]
    first_line, _, rest = head.partition("\n")
    if stated_title:
        title = short_title(stated_title)
    elif markdown:
        first_heading = re.search(r"^#\s+(.+)$", text, flags=re.MULTILINE)
        if first_heading:
            title = short_title(first_heading.group(1))
    elif rest.startswith("\n") and rest.strip() and heading(first_line):
        title = heading(first_line)
    return Loaded(title, text, meta)
