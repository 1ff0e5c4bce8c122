"""OpenDocument text files (.odt): headings, paragraphs, lists and tables as text, in reading order.

The archive is checked first (:mod:`fundstelle.load.zipped`), then its ``content.xml`` and
``meta.xml`` are parsed with defusedxml, which refuses entity definitions and external
references. The walk over the body is iterative (no recursion limit on deep nesting) and
runs of spaces (``<text:s text:c="…">``) are capped, so a small file cannot ask for much
memory. A table becomes one block, a line per row, its cells joined by `` | ``.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..errors import LoadError
from ..results import MetaValue
from . import limits
from .decode import normalise, short_title, title_from_name
from .loaded import Loaded
from .metadata import clean_value, iso_date
from .zipped import read_zip

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
_MIMETYPE = "application/vnd.oasis.opendocument.text"
_CELL_SEPARATOR = " | "
_MAX_SPACES = 100
_ROW_GROUPS = {f"{_TABLE}table-header-rows", f"{_TABLE}table-rows", f"{_TABLE}table-row-group"}
# Elements whose text is not the document's: tracked deletions, a note's number, form fields.
_LEFT_OUT = {f"{_TEXT}tracked-changes", f"{_TEXT}note-citation", f"{_OFFICE}forms", f"{_TEXT}sequence-decls"}


def load_opendocument(path: Path) -> Loaded:
    """Title, text and extras of an .odt file; LoadError for one that is not one, or over a budget."""
    from defusedxml import DefusedXmlException, ElementTree

    _, archive = read_zip(path, "OpenDocument")
    names = set(archive.namelist())
    mimetype = archive.read("mimetype").decode("ascii", "replace").strip() if "mimetype" in names else ""
    if mimetype != _MIMETYPE or "content.xml" not in names:
        found = f"it is {mimetype!r}" if mimetype else "its ZIP container holds no OpenDocument mimetype"
        raise LoadError(f"not an OpenDocument text ({found}); is it another format under the wrong suffix?")
    deadline = time.monotonic() + limits.PARSE_SECONDS
    try:
        body = ElementTree.fromstring(archive.read("content.xml")).find(f"{_OFFICE}body/{_OFFICE}text")
        meta = ElementTree.fromstring(archive.read("meta.xml")) if "meta.xml" in names else None
        blocks, first_heading = _blocks(body, deadline) if body is not None else ([], "")
    except LoadError:
        raise
    except DefusedXmlException as error:
        raise LoadError(f"OpenDocument file declares XML entities or external references ({error}); refused") \
            from None
    except MemoryError:
        raise LoadError("OpenDocument file needs more memory to read than there is") from None
    except Exception as error:  # noqa: BLE001 - a parser of untrusted files raises anything
        detail = " ".join(str(error).split())[:200]
        raise LoadError(f"corrupt or unreadable OpenDocument file ({type(error).__name__}: {detail})") from None
    facts = meta.find(f"{_OFFICE}meta") if meta is not None else None
    stated_title = facts.findtext(f"{_DC}title", "") if facts is not None else ""
    title = short_title(stated_title) or short_title(first_heading) or title_from_name(path)
    return Loaded(title, normalise("\n\n".join(blocks)), _stated(facts))


def _stated(facts: Any) -> dict[str, MetaValue]:
    """Date and author from ``meta.xml``'s ``office:meta`` (no page count: a saved one is often stale)."""
    if facts is None:
        return {}
    stated: dict[str, MetaValue | None] = {
        "date": iso_date(facts.findtext(f"{_META}creation-date", "") or facts.findtext(f"{_DC}date", "")),
        "author": clean_value(facts.findtext(f"{_META}initial-creator", "") or facts.findtext(f"{_DC}creator", "")),
    }
    return {key: value for key, value in stated.items() if value}


def _blocks(body: Any, deadline: float) -> tuple[list[str], str]:
    """The body's headings, paragraphs and table rows as text blocks, and the first heading."""
    blocks: list[str] = []
    first_heading = ""
    stack = [iter(body)]
    steps = 0
    while stack:
        element = next(stack[-1], None)
        if element is None:
            stack.pop()
            continue
        steps += 1
        if steps % 256 == 0 and time.monotonic() > deadline:
            raise LoadError(f"OpenDocument file took longer than {limits.PARSE_SECONDS:.0f} s to read; "
                            "parsing stopped")
        if element.tag in (f"{_TEXT}p", f"{_TEXT}h"):
            text = _inline_text(element).strip()
            if text:
                blocks.append(text)
                if element.tag == f"{_TEXT}h" and not first_heading:
                    first_heading = text
        elif element.tag == f"{_TABLE}table":
            rows = "\n".join(_table_rows(element))
            if rows:
                blocks.append(rows)
        elif element.tag not in _LEFT_OUT:
            stack.append(iter(element))  # lists, sections, frames: walk into them
    return blocks, first_heading


def _inline_text(paragraph: Any) -> str:
    """The text of a paragraph or heading: spans, links, spaces, tabs and line breaks resolved."""
    parts: list[str] = []
    stack: list[Any] = [paragraph]
    while stack:
        item = stack.pop()
        if isinstance(item, str):  # the text after a closed child element
            parts.append(item)
            continue
        tag = item.tag
        if tag == f"{_TEXT}s":
            count = item.get(f"{_TEXT}c", "1")
            parts.append(" " * min(int(count) if count.isdigit() else 1, _MAX_SPACES))
        elif tag == f"{_TEXT}tab":
            parts.append("\t")
        elif tag == f"{_TEXT}line-break":
            parts.append("\n")
        elif tag not in _LEFT_OUT:
            if item is not paragraph and tag in (f"{_TEXT}p", f"{_TEXT}h"):
                parts.append(" ")  # paragraphs inside a cell or a note stay apart
            parts.append(item.text or "")
            # Children in order, each followed by the text after it (pushed in reverse).
            for child in reversed(list(item)):
                stack.append(child.tail or "")
                stack.append(child)
    return "".join(parts)


def _table_rows(table: Any) -> list[str]:
    """Each row of a table (nested tables included in their cell) as one line."""
    rows = []
    groups = [table, *(child for child in table if child.tag in _ROW_GROUPS)]
    for row in (row for group in groups for row in group.findall(f"{_TABLE}table-row")):
        cells = [" ".join(_inline_text(cell).split()) for cell in row.findall(f"{_TABLE}table-cell")]
        line = _CELL_SEPARATOR.join(cells).strip(" |")
        if line:
            rows.append(line)
    return rows
