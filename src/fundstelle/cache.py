"""A small cache of finished results, so a repeated question costs a dictionary look-up.

The page's example buttons and a user pressing Enter twice ask the same question
again; :class:`fundstelle.Index` keeps its last results here, keyed by what decides
them (the cleaned question, ``k``, mode, filter, highlighting) and valid for one index
version and one fusion setting only: the first result of a newer version, or of
another fusion, empties it.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

__all__ = ["ResultCache"]


class ResultCache:
    """Least recently used results of one index version, shared by threads.

    ``size`` results are kept (0: none). ``stamp`` is what the results are valid for
    (the snapshot's version and the fusion setting); :meth:`get` misses on any other
    stamp, and :meth:`put` under a new stamp starts the cache over.
    """

    def __init__(self, size: int) -> None:
        self.size = size
        self._lock = threading.Lock()
        self._stamp: tuple[Any, ...] | None = None
        self._results: OrderedDict[Hashable, Any] = OrderedDict()

    def get(self, stamp: tuple[Any, ...], key: Hashable) -> Any | None:
        """The result stored for ``key`` under ``stamp``, or None."""
        with self._lock:
            if self._stamp != stamp or key not in self._results:
                return None
            self._results.move_to_end(key)
            return self._results[key]

    def put(self, stamp: tuple[Any, ...], key: Hashable, result: Any) -> None:
        """Keep ``result`` for ``key`` under ``stamp``, dropping the least recently used beyond ``size``."""
        if self.size <= 0:
            return
        with self._lock:
            if self._stamp != stamp:
                self._results.clear()
                self._stamp = stamp
            self._results[key] = result
            self._results.move_to_end(key)
            while len(self._results) > self.size:
                self._results.popitem(last=False)

    def clear(self) -> None:
        """Forget every result."""
        with self._lock:
            self._results.clear()
            self._stamp = None

    def __len__(self) -> int:
        return len(self._results)
