"""A 50 MB text file: read, chunked and embedded in bounded memory, with progress.

Issue 6, item 1. The ingest runs in its own process so that its peak memory can be
measured (``ru_maxrss``). "Bounded" here means: the text itself must be held once
(it is stored in the index and every chunk offset refers to it), and so must the
chunk table, the vectors and the BM25 postings; nothing else grows with the file.
Reading decodes 1 MB blocks, chunking works on blocks of at most 50,000 characters,
chunk and sentence texts are cut from the document one slice of 4,096 at a time for
embedding, their vectors go straight into FAISS indexes sized up front, and the
document is written to disk in slices. The measured peak above the process's size
after its imports stays below twelve times the file's size plus 1.2 times the vectors
the index holds (one per chunk and one per sentence). Measured: 1.23 GB for the
50 MB file, of which 0.61 GB are the vectors; the rest, about 12 times the file, is
the text (2 bytes a character, twice while it is decoded), the chunk and sentence
tables, the HNSW graph over the 540,000 sentence vectors, and BM25's stems and build.

The chunks here are 1,000 characters with 100 of overlap (about 53,500 chunks), so
the chunk vectors stay in an exact FAISS index (the sentence vectors get an HNSW
graph): with the default 400/200 the same file gives about 240,000 chunks, and
building HNSW graphs for them takes minutes on two cores, which measures FAISS rather
than Fundstelle's memory. Marked ``slow``: about 100 seconds on two shared cores.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT

from fundstelle import Index

pytestmark = pytest.mark.slow

SIZE = 50 * 10**6
LAST_WORDS = "Quastenflosser Zebrastreifen Schlussakkord"

CHILD = """
import json, resource, sys, time
from fundstelle import ingest

base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.monotonic()

def progress(stage, done, total):
    print(json.dumps({"stage": stage, "done": done, "total": total}), flush=True)

report = ingest([sys.argv[1]], sys.argv[2], model="hashing", chunk_size=1000, chunk_overlap=100,
                progress=progress)
print(json.dumps({"base_kb": base, "peak_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                  "chunks": report.chunks, "seconds": time.monotonic() - started,
                  "skipped": [s.reason for s in report.skipped]}), flush=True)
"""


def write_big_text(path: Path, size: int) -> None:
    """German-like text with umlauts, ß and „quotes“ (so Python holds it at 2 bytes a character)."""
    words = ("der die das und in den von zu mit sich des auf für ist im dem nicht ein eine als auch "
             "Rhein fließt durch Europa mündet Nordsee Stadt liegt Ufer Flusses Schifffahrt Brücke Häuser "
             "Straßenbahn Bürgermeister Größe Wasser Fischer Handel Zölle Jahrhundert Kaufleute Kathedrale "
             "Weinberge Loreley Mittelrhein Hochwasser Deiche Güterverkehr Köln Düsseldorf Mainz").split()
    rng = random.Random(50)
    paragraphs = []
    for _ in range(2000):
        sentences = []
        for _ in range(rng.randint(2, 6)):
            sentence = " ".join(rng.choice(words) for _ in range(rng.randint(6, 18)))
            if rng.random() < 0.2:
                sentence += ", sagte er, „" + rng.choice(words) + "“"
            sentences.append(sentence[0].upper() + sentence[1:] + ".")
        paragraphs.append(" ".join(sentences))
    written = 0
    number = 0
    with open(path, "w", encoding="utf-8") as handle:
        while written < size - 200:
            block = "".join(f"Absatz {number + i}: {p}\n\n" for i, p in enumerate(paragraphs))
            block = block[: size - 200 - written]
            handle.write(block)
            written += len(block.encode("utf-8"))
            number += len(paragraphs)
        handle.write(f"\n\nZum Schluss: {LAST_WORDS}.\n")


def test_50_mb_text_file_streams_in_bounded_memory_with_progress(tmp_path: Path) -> None:
    path = tmp_path / "riesig.txt"
    write_big_text(path, SIZE)
    size = path.stat().st_size
    assert size >= SIZE
    index_dir = tmp_path / "index"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-c", CHILD, str(path), str(index_dir)],
                            capture_output=True, text=True, env=env, timeout=900)
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    summary = lines.pop()
    assert summary["skipped"] == []
    assert summary["chunks"] > 40_000

    # Progress: every stage reports, long stages in many steps, each up to its total.
    steps: dict[str, list[tuple[int, int]]] = {}
    for event in lines:
        steps.setdefault(event["stage"], []).append((event["done"], event["total"]))
    assert list(steps) == ["load", "chunk", "embed", "sentences", "index"]
    assert len(steps["chunk"]) >= 500 and len(steps["embed"]) >= 50 and len(steps["index"]) >= 20
    assert len(steps["sentences"]) >= 50
    for events in steps.values():
        assert [done for done, _ in events] == sorted(done for done, _ in events)
        assert events[-1][0] == events[-1][1]

    # Memory: the peak above the size after imports, against what the index must hold:
    # the text and the vectors (one per chunk and one per sentence, float32).
    manifest = json.loads(next(index_dir.glob("v*/manifest.json")).read_text())
    vector_bytes = (summary["chunks"] + manifest["sentences"]["count"]) * 256 * 4
    grown = (summary["peak_kb"] - summary["base_kb"]) * 1024
    print(f"{size / 1e6:.0f} MB file, {summary['chunks']} chunks in {summary['seconds']:.0f} s; "
          f"peak memory {summary['peak_kb'] / 1024:.0f} MB, {grown / 1e6:.0f} MB above the start "
          f"({grown / size:.1f} x the file; vectors {vector_bytes / 1e6:.0f} MB)")
    assert grown < 12 * size + 1.2 * vector_bytes

    # The index holds the whole text: the last sentence is found, offsets intact.
    index = Index.open(index_dir)
    hit = index.search(LAST_WORDS, k=1, mode="lexical")[0]
    assert LAST_WORDS in hit.text
    assert index.document(hit.doc_id).text[hit.start:hit.end] == hit.text
    assert index.info.documents == 1
