"""Page numbers of PDF passages: which pages a stretch of a document's text stands on, and how to cite them.

A PDF's :class:`~fundstelle.results.Document` keeps where each page with text starts in
its text and the page's label (the printed number where the PDF defines labels, else
1, 2, 3 …); every hit and answer gets the labels of the pages its offsets cover.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from .results import Document

__all__ = ["cite_pages", "pages_of"]


def pages_of(document: Document, start: int, end: int) -> tuple[str, ...]:
    """The labels of the pages ``document.text[start:end]`` stands on, in order; () for a document without pages."""
    if not document.pages:
        return ()
    starts = [offset for offset, _ in document.pages]
    first = max(0, bisect.bisect_right(starts, start) - 1)
    last = max(first, bisect.bisect_left(starts, max(end, start + 1)) - 1)
    return tuple(label for _, label in document.pages[first:last + 1])


def cite_pages(pages: Sequence[str], word: str = "S.") -> str:
    """``S. 12`` for one page, ``S. 12–13`` for several (first to last); "" for none. ``word``: "p." in English."""
    if not pages:
        return ""
    return f"{word} {pages[0]}" if len(pages) == 1 else f"{word} {pages[0]}–{pages[-1]}"
