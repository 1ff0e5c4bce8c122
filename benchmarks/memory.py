"""Memory of a serving process: the article's index against a 100k-chunk index, and bytes per chunk.

    python benchmarks/memory.py                  # article and 100,000 chunks
    python benchmarks/memory.py --chunks 20000   # a smaller synthetic index

A new process opens an index of the default model (``e5-small-int4+use-m3``), loads both
models (as a server holds them) and answers five questions with ``Index.search``; its
resident set after that (VmRSS) and its peak (VmHWM) are read from ``/proc``. The
indexes:

- **article**: the bundled article, ingested for real (``benchmarks/relevance.py``'s cached index);
- **synthetic**: ``--chunks`` chunks written through the product's own store
  (``write_snapshot``), built like a real ingest's output: documents of 200 XQuAD-de
  sentences each, chunks of three sentences starting every two (so about 400 characters
  and 2 sentence vectors per chunk, as XQuAD-de's 400/200 chunking gives 1.53), BM25 over
  the chunks' stems, and synthetic unit vectors of the default model's sizes
  (``benchmarks/scale.py``'s clustered ones: 384 e5 and 512 USE-m3 per chunk, 384 e5 per
  sentence) in the FAISS indexes the ingest would make at that size (HNSW above
  ``EXACT_SEARCH_LIMIT`` rows). Built once under ``benchmarks/.cache/memory/``.

Bytes per chunk in memory: the difference of the two resident sets over the difference
of their chunk counts; on disk: the live version folder over its chunks.
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from measure import emit, folder_size  # noqa: E402

CACHE = HERE / ".cache" / "memory"
SENTENCES_PER_DOCUMENT = 200
SEED = 20261206

_CHILD = """
import json, sys
sys.path.insert(0, sys.argv[3])
from measure import uncached
from fundstelle import Index
index = uncached(Index.open(sys.argv[1]), question_vectors=False)
for embedder in index.embedders:  # every model loaded, whether or not a question below wants it
    embedder.embed_queries(["Aufwärmen"])
for question in json.loads(sys.argv[2]):
    index.search(question, k=5)
status = dict(line.split(":", 1) for line in open("/proc/self/status"))
print(json.dumps({"rss": int(status["VmRSS"].split()[0]) * 1024, "peak": int(status["VmHWM"].split()[0]) * 1024,
                  "chunks": index.info.chunks}))
"""
QUESTIONS = ["Wie viel hat Amazon in Anthropic investiert?", "Wann wurde die Universität gegründet?",
             "Welche Farbe hat das Trikot?", "Wer leitete die Expedition?", "Wie hoch ist der Turm?"]


def synthetic_index(chunks: int) -> Path:
    """Write (once) a default-model index of ``chunks`` synthetic chunks; return its folder."""
    from scale import MEMBERS, synthetic_vectors, xquad_sentences

    from fundstelle.backends import Bm25Index, FaissIndex
    from fundstelle.embed import DEFAULT_MODEL, load_models
    from fundstelle.ingestion import BuildSettings, index_words, new_manifest  # the ingest's own pieces
    from fundstelle.manifest import Store
    from fundstelle.results import Document
    from fundstelle.snapshot import ChunkRecord, Snapshot
    from fundstelle.store import write_snapshot

    folder = CACHE / f"index-{chunks}"
    if (folder / "CURRENT").exists():
        return folder
    pool = xquad_sentences()
    rng = random.Random(SEED)
    documents: dict[str, Document] = {}
    records: list[ChunkRecord] = []
    sentence_rows = 0
    while len(records) < chunks:
        picked = [pool[rng.randrange(len(pool))] for _ in range(SENTENCES_PER_DOCUMENT)]
        spans, text = [], ""
        for sentence in picked:
            spans.append((len(text), len(text) + len(sentence)))
            text += sentence + " "
        doc_id = f"doc{len(documents):06d}"
        documents[doc_id] = Document(doc_id, f"{doc_id}.txt", doc_id, text, doc_id)
        for first in range(0, len(spans) - 2, 2):
            if len(records) == chunks:
                break
            held = spans[first:first + 3]
            start, end = held[0][0], held[-1][1]
            records.append(ChunkRecord(doc_id, start, end, tuple((a - start, b - start) for a, b in held),
                                       tuple(sentence_rows + first + i for i in range(3))))
        sentence_rows += len(spans)
    used_sentences = max(r for c in records for r in c.sentence_rows) + 1
    dims = {name: dim for name, dim, _, _ in MEMBERS}
    dense = [FaissIndex.build(synthetic_vectors(chunks, dims[name], stream)) for name, _, _, stream in MEMBERS[:2]]
    sentence_vectors = FaissIndex.build(synthetic_vectors(used_sentences, MEMBERS[2][1], MEMBERS[2][3]))
    lexical: Bm25Index = index_words(records, documents, None)
    settings = BuildSettings(DEFAULT_MODEL, 400, 200, {}, Store())
    manifest = new_manifest(settings, load_models(DEFAULT_MODEL), dense, documents, records, used_sentences)
    write_snapshot(folder, Snapshot(manifest.stamped(), documents, records, dense, lexical, sentence_vectors))
    return folder


def serving(folder: Path) -> dict:
    """Resident set and peak of a new process that opened ``folder`` and answered the questions."""
    result = subprocess.run([sys.executable, "-c", _CHILD, str(folder), json.dumps(QUESTIONS), str(HERE)], check=True,
                            capture_output=True, text=True, cwd=str(HERE.parent))
    row = json.loads(result.stdout.strip().splitlines()[-1])
    live = folder / (folder / "CURRENT").read_text().strip()
    row["disk"] = folder_size(live)
    return row


def run(chunks: int) -> dict:
    """Both indexes' figures and the bytes per chunk."""
    from relevance import article_index

    from fundstelle.embed import DEFAULT_MODEL

    article = serving(article_index(DEFAULT_MODEL).folder)
    large = serving(synthetic_index(chunks))
    extra = large["chunks"] - article["chunks"]
    out = {"article": article, "synthetic": large,
           "memory_per_chunk": (large["rss"] - article["rss"]) / extra,
           "disk_per_chunk": large["disk"] / large["chunks"]}
    for name in ("article", "synthetic"):
        row = out[name]
        print(f"{name:10} {row['chunks']:>8,} chunks  RSS {row['rss'] / 2**20:7.1f} MiB  peak "
              f"{row['peak'] / 2**20:7.1f} MiB  on disk {row['disk'] / 2**20:7.1f} MiB", file=sys.stderr)
    print(f"per chunk: {out['memory_per_chunk']:,.0f} bytes in memory, {out['disk_per_chunk']:,.0f} bytes on disk",
          file=sys.stderr)
    return out


def main() -> None:
    """Print (or write) the memory figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    emit(run(args.chunks), args.json)


if __name__ == "__main__":
    sys.exit(main())
