"""Small helpers the benchmark scripts share: percentiles, folder sizes, JSON output."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

__all__ = ["emit", "folder_size", "stats"]


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
