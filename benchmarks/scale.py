"""Scale: search latency, memory and ANN recall as the index grows to a million chunks.

    python benchmarks/scale.py                        # 10k … 1M chunks (run.py --scale calls this)
    python benchmarks/scale.py --sizes 10000 --queries 50

Synthetic data, so that a million chunks take minutes and not days of embedding:

- **vectors**: ``CENTROIDS`` random unit centroids per dimension; each chunk vector is a
  centroid plus Gaussian noise of norm ``NOISE`` (cosine to its centroid about 0.7,
  about 0.5 between two chunks of one cluster, about 0 across clusters), normalised.
  Clustered data like this is what text embeddings look like to an ANN index; uniform
  random vectors at 384 dimensions would be unrealistically hard. Queries are drawn the
  same way with fresh noise. The default model searches three dense indexes (``MEMBERS``):
  e5 chunk vectors (384 dimensions), USE-m3 chunk vectors (512) and e5 sentence vectors
  (384, 1.53 per chunk as in XQuAD-de, each chunk holding two consecutive ones, scored
  through ``SentenceMaxIndex``). The rows are generated block by block from fixed
  seeds, so the first 10k rows of the 1M set are the 10k set.
- **texts**: each chunk is ``SENTENCES_PER_CHUNK`` sentences drawn at random from the
  XQuAD-de paragraphs (about 400 characters, our chunk size), stemmed with the
  product's analyser for BM25. Questions are XQuAD-de's, so their words do occur.

Each size runs in its own process (memory is given back in between). It measures,
query embedding excluded: exact (``IndexFlatIP``) and HNSW search at ``k=CANDIDATES``
(what :func:`fundstelle.ranking.rank` asks each dense index for) and HNSW's recall@10
against exact search, for a sweep of ``efSearch``; ``Bm25Index.scores``; and the
product's fused ``rank()`` over the indexes ``FaissIndex.build`` makes at that size
(flat up to ``EXACT_SEARCH_LIMIT``, HNSW above): all three dense indexes and BM25.
Built HNSW graphs and BM25 indexes are cached under ``benchmarks/.cache/scale/``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import faiss  # noqa: E402
from measure import emit, folder_size, stats  # noqa: E402

from fundstelle import backends  # noqa: E402
from fundstelle.backends import Bm25Index, FaissIndex, Searchable, SentenceMaxIndex  # noqa: E402
from fundstelle.embed import UseM3Embedder  # noqa: E402
from fundstelle.lexical import analyze, stems  # noqa: E402
from fundstelle.ranking import CANDIDATES, SENTENCES_SUFFIX, Signal, rank  # noqa: E402
from fundstelle.sentences import split_sentences  # noqa: E402

CACHE = HERE / ".cache" / "scale"
SIZES = (10_000, 20_000, 50_000, 100_000, 1_000_000)
CENTROIDS = 4096
NOISE = 1.0
SEED = 20250701
BLOCK = 65_536
SENTENCES_PER_CHUNK = 3
# rank() asks each dense index for CANDIDATES rows, and FAISS searches with
# max(efSearch, k): values below CANDIDATES would change nothing.
EF_SWEEP = (100, 128, 192, 256, 384)
SENTENCE_STREAM = 3
# The dense indexes of the default model, as (signal name, dimension, rows per chunk,
# random stream): e5 and USE vectors of the chunks, and e5 vectors of the sentences,
# which score a chunk by its best sentence. XQuAD-de chunked 400/200 has 1.53
# sentences per chunk (1287 sentences, 839 chunks), each chunk holding about two.
MEMBERS = (("e5-small-int4", 384, 1.0, 1), ("use-m3", 512, 1.0, 1),
           ("e5-small-int4" + SENTENCES_SUFFIX, 384, 1.53, SENTENCE_STREAM))
QUERIES = 200
# What "exact search gets slow" means here: one dense index taking longer than this
# per query. A whole warm query costs about 20 ms including the question's embedding;
# beyond this, searching the default model's three indexes would double it.
EXACT_BUDGET_MS = 10.0
# The recall@10 against exact search that HNSW must reach wherever it is used.
MIN_RECALL = 0.98


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def _centroids(dim: int) -> np.ndarray:
    rng = np.random.default_rng([SEED, dim, 0])
    return _unit(rng.standard_normal((CENTROIDS, dim), dtype=np.float32))


def _clustered(rng: np.random.Generator, centroids: np.ndarray, n: int) -> np.ndarray:
    dim = centroids.shape[1]
    labels = rng.integers(0, len(centroids), n)
    noise = rng.standard_normal((n, dim), dtype=np.float32) * np.float32(NOISE / np.sqrt(dim))
    return _unit(centroids[labels] + noise).astype(np.float32)


def synthetic_vectors(n: int, dim: int, stream: int = 1) -> np.ndarray:
    """Return the first ``n`` chunk vectors of the synthetic set of dimension ``dim`` (unit rows)."""
    centroids = _centroids(dim)
    out = np.empty((n, dim), dtype=np.float32)
    for block, start in enumerate(range(0, n, BLOCK)):
        rng = np.random.default_rng([SEED, dim, stream, block])
        rows = _clustered(rng, centroids, BLOCK)
        out[start:start + BLOCK] = rows[: min(BLOCK, n - start)]
    return out


def synthetic_queries(count: int, dim: int) -> np.ndarray:
    """Query vectors drawn like the chunks, with noise of their own."""
    return _clustered(np.random.default_rng([SEED, dim, 2]), _centroids(dim), count)


def synthetic_stems(n: int, sentences: list[str]) -> list[list[str]]:
    """Stems of ``n`` chunks of ``SENTENCES_PER_CHUNK`` random sentences each."""
    stemmed = [stems(sentence) for sentence in sentences]
    rng = random.Random(SEED)
    picks = len(stemmed)
    return [
        [stem for _ in range(SENTENCES_PER_CHUNK) for stem in stemmed[rng.randrange(picks)]]
        for _ in range(n)
    ]


def xquad_sentences() -> list[str]:
    """Every sentence of the 240 XQuAD-de paragraphs."""
    from xquad import paragraphs

    return [text[start:end] for text in paragraphs() for start, end in split_sentences(text)]


def _timed(call: Callable[[int], object], repeat: int) -> list[float]:
    """Milliseconds of ``call(i)`` for ``i`` in ``range(repeat)``, after two warm-up calls."""
    call(0)
    call(1)
    out = []
    for i in range(repeat):
        started = time.perf_counter()
        call(i)
        out.append(1000 * (time.perf_counter() - started))
    return out


def summary(ms: list[float]) -> dict[str, float]:
    """Median and 95th percentile of latencies in milliseconds."""
    row = stats(ms)
    return {"p50_ms": row["p50"], "p95_ms": row["p95"], "n": row["n"]}


def _hnsw(vectors: np.ndarray, neighbours: int, ef_construction: int, stream: int = 1) -> tuple[faiss.Index, float]:
    """Load the cached HNSW graph over ``vectors`` or build it; return it and its build seconds."""
    n, dim = vectors.shape
    name = f"hnsw-d{dim}-n{n}-M{neighbours}-efc{ef_construction}-s{SEED}-c{CENTROIDS}-z{NOISE}"
    path = CACHE / (name + ("" if stream == 1 else f"-r{stream}") + ".faiss")
    meta = path.with_suffix(".json")
    if path.exists() and meta.exists():
        return faiss.read_index(str(path)), float(json.loads(meta.read_text())["build_s"])
    CACHE.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    index = faiss.IndexHNSWFlat(dim, neighbours, faiss.METRIC_INNER_PRODUCT)
    index.hnsw.efConstruction = ef_construction
    index.add(vectors)
    build_s = time.perf_counter() - started
    faiss.write_index(index, str(path) + ".tmp")
    os.replace(str(path) + ".tmp", path)
    meta.write_text(json.dumps({"build_s": build_s, "threads": faiss.omp_get_max_threads()}))
    return index, build_s


def _bm25(n: int) -> tuple[Bm25Index, float]:
    folder = CACHE / f"bm25-n{n}-s{SEED}-k{SENTENCES_PER_CHUNK}"
    meta = folder / "build.json"
    if meta.exists():
        return Bm25Index.load(folder), float(json.loads(meta.read_text())["build_s"])
    corpus = synthetic_stems(n, xquad_sentences())
    started = time.perf_counter()
    index = Bm25Index.build(corpus)
    build_s = time.perf_counter() - started
    del corpus
    folder.mkdir(parents=True, exist_ok=True)
    index.save(folder)
    meta.write_text(json.dumps({"build_s": build_s}))
    return index, build_s


def _recall(found: np.ndarray, exact: np.ndarray) -> float:
    shared = [len(set(a[:10].tolist()) & set(b[:10].tolist())) for a, b in zip(found, exact, strict=True)]
    return float(np.mean(shared)) / 10


def _size_on_disk(index: faiss.Index) -> int:
    with tempfile.NamedTemporaryFile(dir=CACHE, suffix=".faiss") as handle:
        faiss.write_index(index, handle.name)
        return os.path.getsize(handle.name)


def _member(n_rows: int, dim: int, stream: int, qs: np.ndarray, variants: tuple[tuple[int, int], ...],
            sweep: bool) -> tuple[dict, FaissIndex]:
    """Measure one dense index of ``n_rows`` rows; return its figures and the index the product would use."""
    row: dict = {"dim": dim, "rows": n_rows}
    vectors = synthetic_vectors(n_rows, dim, stream)
    flat = FaissIndex(faiss.IndexFlatIP(dim))
    flat._index.add(vectors)
    row["exact"] = summary(_timed(lambda i: flat.search(qs[i], CANDIDATES), len(qs)))
    row["exact"]["bytes"] = n_rows * dim * 4
    exact = np.stack([flat.search(q, 10)[0] for q in qs])
    use_hnsw = n_rows > backends.EXACT_SEARCH_LIMIT
    product_settings = (backends.HNSW_NEIGHBOURS, backends.HNSW_EF_CONSTRUCTION)
    settings = [product_settings, *variants] if sweep else [product_settings] if use_hnsw else []
    if use_hnsw:
        del flat  # only the graph is kept: at 1M rows every copy counts
        gc.collect()
    row["hnsw"] = []
    chosen: FaissIndex | None = None
    for neighbours, ef_construction in settings:
        graph, build_s = _hnsw(vectors, neighbours, ef_construction, stream)
        entry: dict = {"M": neighbours, "efConstruction": ef_construction, "build_s": build_s,
                       "bytes": _size_on_disk(graph), "sweep": []}
        for ef in EF_SWEEP if sweep else ():
            graph.hnsw.efSearch = ef
            found = graph.search(qs, CANDIDATES)[1]
            ms = _timed(lambda i, g=graph: g.search(qs[i][None], CANDIDATES), len(qs))
            entry["sweep"].append({"efSearch": ef, "recall@10": _recall(found, exact), **summary(ms)})
        wrapped = FaissIndex(graph)  # sets the product's efSearch
        found = np.stack([wrapped.search(q, CANDIDATES)[0][:10] for q in qs])
        entry["product"] = {"efSearch": backends.HNSW_EF_SEARCH, "recall@10": _recall(found, exact),
                            **summary(_timed(lambda i, w=wrapped: w.search(qs[i], CANDIDATES), len(qs)))}
        row["hnsw"].append(entry)
        if (neighbours, ef_construction) == product_settings:
            chosen = wrapped
        del graph, wrapped
    row["product_kind"] = "HNSW" if use_hnsw else "flat"
    del vectors
    gc.collect()
    return row, (chosen if use_hnsw else flat)  # type: ignore[return-value]


def _windows(n: int, sentences: int) -> list[range]:
    """Sentence rows of each chunk: two consecutive sentences, sliding as chunks of 400/200 do."""
    step = sentences / n
    return [range(min(int(i * step), sentences - 2), min(int(i * step), sentences - 2) + 2) for i in range(n)]


def measure_size(n: int, queries: int = QUERIES, variants: tuple[tuple[int, int], ...] = ()) -> dict:
    """Every figure for one corpus size (run it in a fresh process: it holds GBs at 1M)."""
    import psutil
    from xquad import questions

    process = psutil.Process()
    out: dict = {"n": n, "queries": queries, "exact_limit": backends.EXACT_SEARCH_LIMIT,
                 "hnsw": {"M": backends.HNSW_NEIGHBOURS, "efConstruction": backends.HNSW_EF_CONSTRUCTION,
                          "efSearch": backends.HNSW_EF_SEARCH}, "dense": {}}
    product: list[Searchable] = []
    query_vectors: list[np.ndarray] = []
    for spec, dim, per_chunk, stream in MEMBERS:
        qs = synthetic_queries(queries, dim)
        rows = int(round(per_chunk * n))
        row, index = _member(rows, dim, stream, qs, variants if stream == 1 and dim == 384 else (),
                             sweep=stream == 1 and dim == 384)
        if stream == SENTENCE_STREAM:
            index = SentenceMaxIndex(index, _windows(n, rows))  # type: ignore[assignment]
        row["spec"] = spec
        product.append(index)
        query_vectors.append(qs)
        out["dense"][spec] = row
        print(f"  n={n:,} {spec} ({rows:,} rows): exact p50 {row['exact']['p50_ms']:.2f} ms" +
              "".join(f"; HNSW M={e['M']} efC={e['efConstruction']} product recall@10 "
                      f"{e['product']['recall@10']:.3f} p50 {e['product']['p50_ms']:.2f} ms, build {e['build_s']:.0f} s"
                      for e in row["hnsw"]), file=sys.stderr, flush=True)

    lexical, bm25_build_s = _bm25(n)
    folder = CACHE / f"bm25-n{n}-s{SEED}-k{SENTENCES_PER_CHUNK}"
    texts = [q.text for q in questions("de")]
    tokens = [analyze(text, keep_stopwords=True) for text in texts]
    query_stems = [[t.stem for t in toks if not t.stop] for toks in tokens]
    out["bm25"] = {"build_s": bm25_build_s, "bytes": folder_size(folder),
                   **summary(_timed(lambda i: lexical.scores(query_stems[i % len(texts)]), queries))}
    gc.collect()
    out["rss_bytes"] = process.memory_info().rss
    signals = [Signal(spec.removesuffix(SENTENCES_SUFFIX), index, UseM3Embedder.foreign_weight if spec == "use-m3"
                      else None, sentences=spec.endswith(SENTENCES_SUFFIX))
               for (spec, *_), index in zip(MEMBERS, product)]
    e5 = [i for i, (spec, *_) in enumerate(MEMBERS) if spec.startswith("e5-small-int4")]
    out["fused"] = {}
    for mode in ("hybrid", "dense", "lexical"):
        out["fused"][mode] = summary(_timed(
            lambda i, mode=mode: rank([qv[i] for qv in query_vectors], signals, tokens[i % len(texts)],
                                      lexical, 15, mode), queries))
    out["fused"]["hybrid-e5"] = summary(_timed(
        lambda i: rank([query_vectors[j][i] for j in e5], [signals[j] for j in e5],
                       tokens[i % len(texts)], lexical, 15, "hybrid"), queries))
    out["index_bytes"] = sum(
        (row["hnsw"][0]["bytes"] if row["product_kind"] == "HNSW" else row["exact"]["bytes"])
        for row in out["dense"].values()) + out["bm25"]["bytes"]
    print(f"  n={n:,}: BM25 p50 {out['bm25']['p50_ms']:.2f} ms; fused hybrid p50 "
          f"{out['fused']['hybrid']['p50_ms']:.2f} p95 {out['fused']['hybrid']['p95_ms']:.2f} ms; "
          f"RSS {out['rss_bytes'] / 2**30:.2f} GiB", file=sys.stderr, flush=True)
    return out


def choose(sizes: list[dict], budget_ms: float = EXACT_BUDGET_MS, min_recall: float = MIN_RECALL) -> dict:
    """Derive the settings these figures argue for.

    ``exact_limit``: exact search costs time in proportion to the rows; fit ms per row
    (least squares through the origin, per dense index) and keep the slowest index's
    exact search under ``budget_ms``, rounded down to 5,000 rows. ``efSearch``: the
    smallest swept value whose recall@10 reaches ``min_recall`` at every size above that
    limit, for the graph in force.
    """
    slopes = {}
    for spec, _dim, *_ in MEMBERS:
        n = np.array([row["dense"][spec]["rows"] for row in sizes], dtype=float)
        ms = np.array([row["dense"][spec]["exact"]["p50_ms"] for row in sizes])
        slopes[spec] = float(n @ ms / (n @ n))
    limit = int(budget_ms / max(slopes.values()) // 5000 * 5000)
    ef = None
    for candidate in EF_SWEEP:
        recalls = [point["recall@10"] for row in sizes if row["n"] > limit
                   for point in row["dense"]["e5-small-int4"]["hnsw"][0]["sweep"] if point["efSearch"] == candidate]
        if recalls and min(recalls) >= min_recall:
            ef = candidate
            break
    return {"exact_limit": limit, "ms_per_1k_rows": {spec: 1000 * s for spec, s in slopes.items()},
            "budget_ms": budget_ms, "efSearch": ef, "min_recall": min_recall}


def run(sizes: tuple[int, ...] = SIZES, queries: int = QUERIES, variants: tuple[tuple[int, int], ...] = ()) -> dict:
    """Measure every size, each in a child process; return the figures."""
    results = []
    for n in sizes:
        started = time.perf_counter()
        with tempfile.NamedTemporaryFile(suffix=".json") as handle:
            command = [sys.executable, str(Path(__file__)), "--one", str(n), "--queries", str(queries),
                       "--json", handle.name]
            for neighbours, ef_construction in variants:
                command += ["--variant", f"{neighbours},{ef_construction}"]
            subprocess.run(command, check=True)
            row = json.loads(Path(handle.name).read_text())
        row["wall_s"] = time.perf_counter() - started
        results.append(row)
    return {"sizes": results, "choice": choose(results), "centroids": CENTROIDS, "noise": NOISE,
            "sentences_per_chunk": SENTENCES_PER_CHUNK, "threads": faiss.omp_get_max_threads()}


def main() -> None:
    """Measure the sizes asked for and print or write the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default=",".join(str(n) for n in SIZES))
    parser.add_argument("--queries", type=int, default=QUERIES)
    parser.add_argument("--variant", action="append", default=[], metavar="M,EFC",
                        help="also measure an HNSW graph with these parameters (384 dimensions)")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    variants = tuple(tuple(int(x) for x in v.split(",")) for v in args.variant)
    if args.one:
        result = measure_size(args.one, args.queries, variants)  # type: ignore[arg-type]
    else:
        result = run(tuple(int(n) for n in args.sizes.split(",")), args.queries, variants)  # type: ignore[arg-type]
    emit(result, args.json)


if __name__ == "__main__":
    sys.exit(main())
