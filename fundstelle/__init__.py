"""Fundstelle: ask questions in plain language, get the passages of your documents that answer them.

>>> from fundstelle import Index                      # doctest: +SKIP
>>> index = Index.build(["data/article"], "index")    # doctest: +SKIP
>>> hit = index.search("Wie viel hat Amazon investiert?")[0]  # doctest: +SKIP
>>> hit.answer.text                                    # doctest: +SKIP
"""

from .highlight import Answer, Span
from .index import DocumentInfo, Index, IndexInfo, search
from .ingest import IndexMismatchError, IngestReport, ingest
from .load import Document, Skipped
from .search import Hit
from .store import IndexError_ as IndexError  # noqa: A001 - the package's own error type
from .store import IndexLockedError, IndexNotFoundError

__all__ = [
    "Answer",
    "Document",
    "DocumentInfo",
    "Hit",
    "Index",
    "IndexError",
    "IndexInfo",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IngestReport",
    "Skipped",
    "Span",
    "ingest",
    "search",
]
__version__ = "0.1.0"
