"""HTML pages: the main text (see :mod:`fundstelle.html_text`), the page's title."""

from __future__ import annotations

from pathlib import Path

from ..errors import LoadError
from ..html_text import HtmlBudgetError, extract
from . import limits
from .decode import normalise, read_text, short_title, title_from_name
from .loaded import Loaded


def load_html(path: Path) -> Loaded:
    """Title, main text and extras (a legacy ``encoding``) of an HTML page."""
    html, encoding = read_text(path, html=True)
    try:
        title, text = extract(html, limits.PARSE_SECONDS)
    except HtmlBudgetError as error:
        raise LoadError(str(error)) from None
    # Character references (&#27;) become characters only now: clean them again.
    text = normalise(text)
    meta = {} if encoding in ("utf-8", "utf-16") else {"encoding": encoding}
    return Loaded(short_title(title) or title_from_name(path), text, meta)
