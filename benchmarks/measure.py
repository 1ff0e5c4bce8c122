"""Small helpers the benchmark scripts share: percentiles, folder sizes, JSON output, caches off."""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fundstelle import Index

__all__ = ["emit", "folder_size", "stats", "uncached"]


def stats(values: list[float]) -> dict[str, float]:
    """Median, 95th percentile (nearest rank) and count."""
    ordered = sorted(values)
    return {"p50": statistics.median(ordered), "p95": ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))],
            "n": len(ordered)}


def folder_size(folder: Path) -> int:
    """Bytes of every file below ``folder``."""
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def emit(result: object, path: str | None) -> None:
    """Write ``result`` as indented JSON to ``path``, or print it when no path is given."""
    text = json.dumps(result, indent=1)
    if path:
        Path(path).write_text(text)
    else:
        print(text)


def uncached(index: Index, question_vectors: bool = True) -> Index:
    """``index`` set to compute every result anew, for timing; returns it.

    An ``Index`` hands a repeated question its last result again (``Index.result_cache_size``),
    and each model its last question vectors (``Embedder.query_cache_size``): a benchmark
    that repeats questions (warm-up, rounds, systems taking turns) would time look-ups.
    This turns the result cache off, and with ``question_vectors`` the models' vector
    caches too; those models are shared by every ``Index`` of the process, so their caches
    go off for all of them. Both knobs are the library's public ones; this helper lives
    here, not in the library, because only timing code wants them off.
    """
    index.result_cache_size = 0
    if question_vectors:
        for embedder in index.embedders:
            embedder.query_cache_size = 0
    return index
