"""HTML pages: the main text (see :mod:`fundstelle.html_text`), the page's title, date and author.

The date is the first the page states in a ``<meta>`` (``date``, ``dc.date``,
``article:published_time``, ``datePublished`` …) or, failing that, its first
``<time datetime>``; the author its ``<meta name="author">``. Both are looked for in the
page's first 64 KB, with a pattern, not a parser: no budget is spent twice.
"""

from __future__ import annotations

import re
from pathlib import Path

from ..errors import LoadError
from ..html_text import HtmlBudgetError, extract
from ..results import MetaValue
from . import limits
from .decode import normalise, read_text, short_title, title_from_name
from .loaded import Loaded
from .metadata import clean_value, iso_date

_HEAD_CHARS = 65_536
_TAG = re.compile(r"<(meta|time)\b([^<>]{0,2000})>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([\w:.-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)""")
_DATE_NAMES = ("date", "dc.date", "dcterms.date", "dc.date.issued", "dcterms.created", "dcterms.issued",
               "article:published_time", "og:published_time", "datepublished", "publish-date", "pubdate")


def load_html(path: Path) -> Loaded:
    """Title, main text and extras (a legacy ``encoding``) of an HTML page."""
    html, encoding = read_text(path, html=True)
    try:
        title, text = extract(html, limits.PARSE_SECONDS)
    except HtmlBudgetError as error:
        raise LoadError(str(error)) from None
    # Character references (&#27;) become characters only now: clean them again.
    text = normalise(text)
    meta: dict[str, MetaValue] = {} if encoding in ("utf-8", "utf-16") else {"encoding": encoding}
    meta.update(_stated(html[:_HEAD_CHARS]))
    return Loaded(short_title(title) or title_from_name(path), text, meta)


def _stated(head: str) -> dict[str, MetaValue]:
    """The date and author the page's head states (see the module's docstring)."""
    meta_date = time_date = author = None
    for tag in _TAG.finditer(head):
        attributes = {name.lower(): value.strip("\"'") for name, value in _ATTRIBUTE.findall(tag.group(2))}
        if tag.group(1).lower() == "time":
            time_date = time_date or iso_date(attributes.get("datetime", ""))
            continue
        name = (attributes.get("name") or attributes.get("property") or attributes.get("itemprop") or "").lower()
        content = attributes.get("content", "")
        if name in _DATE_NAMES:
            meta_date = meta_date or iso_date(content)
        elif name in ("author", "dc.creator", "dcterms.creator", "article:author") and not author:
            author = clean_value(content) or None
    found: dict[str, MetaValue] = {}
    if meta_date or time_date:
        found["date"] = meta_date or time_date or ""
    if author:
        found["author"] = author
    return found
