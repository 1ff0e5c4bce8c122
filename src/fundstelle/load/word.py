"""Word files (.docx): paragraphs, headings and tables as text, in reading order.

The archive is checked first (:mod:`fundstelle.load.zipped`); a document that declares a
DOCTYPE (entities) is refused, and python-docx parses the other parts with entities left
unresolved, so a file cannot pull in other files or inflate itself through entity
definitions. A table becomes one block, a line per row, its cells joined by
`` | ``; headers, footers, comments and text boxes are left out.
"""

from __future__ import annotations

import io
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from ..errors import LoadError
from . import limits
from .decode import normalise, short_title, title_from_name
from .loaded import Loaded
from .metadata import clean_value, iso_date
from .zipped import read_zip

_CELL_SEPARATOR = " | "
# Style names of headings (Word stores the English name whatever the language of its menus,
# but files from other writers may carry a translated one).
_HEADING_STYLES = ("heading", "title", "überschrift", "titel")


def load_word(path: Path) -> Loaded:
    """Title, text and extras of a .docx file; LoadError for one that is not one, or over a budget."""
    import docx

    data, archive = read_zip(path, "Word")
    if "word/document.xml" not in archive.namelist():
        raise LoadError("not a Word document (its ZIP container holds no word/document.xml); "
                        "is it another format under the wrong suffix?")
    if b"<!DOCTYPE" in archive.read("word/document.xml"):
        # Word never writes one; python-docx would leave its entities unresolved and lose text around them.
        raise LoadError("Word file declares XML entities or external references (a DOCTYPE); refused")
    deadline = time.monotonic() + limits.PARSE_SECONDS
    try:
        document = docx.Document(io.BytesIO(data))
        blocks: list[str] = []
        first_heading = ""
        for block in document.iter_inner_content():
            if time.monotonic() > deadline:
                raise LoadError(f"Word file took longer than {limits.PARSE_SECONDS:.0f} s to read; parsing stopped")
            if hasattr(block, "rows"):
                rows = "\n".join(_table_rows(block))
                if rows:
                    blocks.append(rows)
                continue
            text = block.text.strip()
            if text:
                blocks.append(text)
                if not first_heading and _is_heading(block):
                    first_heading = text
        properties = document.core_properties
        properties_title = properties.title or ""
        # (No page count: Word's saved one is stale in files other programs write; pages are a PDF's.)
        stated = {"date": iso_date(properties.created), "author": clean_value(properties.author)}
    except LoadError:
        raise
    except MemoryError:
        raise LoadError("Word file needs more memory to read than there is") from None
    except Exception as error:  # noqa: BLE001 - a parser of untrusted files raises anything
        detail = " ".join(str(error).split())[:200]
        raise LoadError(f"corrupt or unreadable Word file ({type(error).__name__}: {detail})") from None
    text = normalise("\n\n".join(blocks))
    title = short_title(properties_title) or short_title(first_heading) or title_from_name(path)
    return Loaded(title, text, {key: value for key, value in stated.items() if value})


def _is_heading(paragraph: Any) -> bool:
    """Does the paragraph carry a heading or title style?"""
    style = paragraph.style
    return style is not None and (style.name or "").lower().startswith(_HEADING_STYLES)


def _table_rows(table: Any) -> Iterator[str]:
    """Each row of a table as one line; a merged cell (python-docx repeats it) is given once."""
    for row in table.rows:
        cells: list[str] = []
        previous = None
        for cell in row.cells:
            if cell._tc is previous:  # noqa: SLF001 - the one way to see a merged cell
                continue
            previous = cell._tc  # noqa: SLF001
            cells.append(" ".join(cell.text.split()))
        line = _CELL_SEPARATOR.join(cells).strip(" |")
        if line:
            yield line
