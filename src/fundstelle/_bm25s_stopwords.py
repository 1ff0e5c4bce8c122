"""bm25s's German and English stop word lists, read without importing bm25s.

``import bm25s.stopwords`` runs ``bm25s/__init__.py`` first, which imports scipy, tqdm
and requests: about 0.15 s that every process asking a question would wait for. The
lists' module imports nothing, so it is loaded here on its own, from bm25s's files.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

__all__ = ["STOPWORDS_EN", "STOPWORDS_GERMAN"]


def _load() -> tuple[tuple[str, ...], tuple[str, ...]]:
    package = importlib.util.find_spec("bm25s")
    if package is None or package.origin is None:
        raise ImportError("bm25s is not installed")
    spec = importlib.util.spec_from_file_location("fundstelle._bm25s_stopword_lists",
                                                  Path(package.origin).parent / "stopwords.py")
    if spec is None or spec.loader is None:
        raise ImportError("bm25s has no stopwords module")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return tuple(module.STOPWORDS_EN), tuple(module.STOPWORDS_GERMAN)


STOPWORDS_EN, STOPWORDS_GERMAN = _load()
