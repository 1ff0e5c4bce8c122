"""Scale-out: the Milvus store and Ray Data ingest against the single-machine defaults, in one run.

    python benchmarks/scale_out.py                          # all parts; writes benchmarks/results/scale_out.json
    python benchmarks/scale_out.py --parts search --sizes 10000 --queries 50
    python benchmarks/scale_out.py --parts quality --limit 200

Needs ``pip install -e '.[bench,milvus,ray]'``. Parts:

- **search**: synthetic chunk vectors (``benchmarks/scale.py``'s, 384 dimensions, the
  e5 member) at each of ``--sizes``, in a FAISS ``IndexFlatIP`` and in a Milvus Lite
  collection (FLAT, inner product: what the Milvus store writes on Milvus Lite), in the
  same process. Per query: ``search(q, k=100)`` (what :func:`fundstelle.ranking.rank`
  asks each dense index for) and ``scores(q, rows)`` for 150 given rows (what fusion
  asks next), p50/p95 over ``--queries`` queries; the two stores take turns query by
  query. Also Milvus Lite's insert rate and whether both return the same top 10.
- **ingest**: a fresh index of XQuAD-de's 240 paragraphs with the default model, plain
  and on a local Ray cluster of 1 and of 2 workers (``ingest(..., ray="local",
  ray_workers=N)``), taking turns for ``--rounds`` rounds; chars/s and chunks/s over
  the whole ingest, cluster start included, and the start and stop of an idle cluster
  measured alone. Each Ray index is compared with the plain one: the same chunks, and
  the largest difference of any vector.
- **quality**: XQuAD-de paragraph retrieval (hit@1, hit@5, MRR@10 of hybrid search,
  as ``benchmarks/quality.py``) and within-document answers (answer@1 of ``Index.ask``
  on the 48-article index, as ``benchmarks/answers.py`` but with the shipped answer
  model, not held-out folds), through the FAISS store and the Milvus store. The Milvus
  index holds the FAISS index's vectors, written by the Milvus store's own writer
  (``fundstelle.store.write_snapshot``); the ingest into Milvus itself is compared in
  ``tests/test_milvus.py``. Also the share of questions whose top-10 passages (and
  answers) are the same in both, and p50 of a warm ``search``/``ask`` per store.
- **layout** (whenever the ingest part's plain index exists): the bytes one chunk takes
  in each file of the version folder and in Milvus Lite, the vector sizes and sentences
  per chunk: the inputs of the sizing plan in BENCHMARKS.md.

The figures go into BENCHMARKS.md ("Scale-out") through ``python benchmarks/run.py --render``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import TypeVar

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from measure import folder_size, stats  # noqa: E402
from quality import metrics, paragraph_of  # noqa: E402
from run import machine  # noqa: E402
from scale import synthetic_queries, synthetic_vectors  # noqa: E402
from xquad import CACHE, article_folder, articles_index, corpus_folder, questions  # noqa: E402

from fundstelle import Index, ingest  # noqa: E402
from fundstelle.backends import FaissIndex  # noqa: E402
from fundstelle.embed import DEFAULT_MODEL  # noqa: E402
from fundstelle.ingestion import index_words  # noqa: E402
from fundstelle.milvus import MilvusIndex, new_store  # noqa: E402
from fundstelle.ranking import CANDIDATES  # noqa: E402
from fundstelle.snapshot import Snapshot  # noqa: E402
from fundstelle.store import read_snapshot, write_snapshot  # noqa: E402

RESULTS = HERE / "results"
SCALE_OUT_PACKAGES = ("pymilvus", "milvus-lite", "ray")
WORK = CACHE / "scale-out"
SIZES = (10_000, 100_000)
DIM = 384
GIVEN_ROWS = 150  # rows scored per query after the search: about what fusion asks of each index
K = 10
T = TypeVar("T")


def _timed(call: Callable[..., T], *args: object) -> tuple[T, float]:
    """``call(*args)`` and the milliseconds it took."""
    started = time.perf_counter()
    value = call(*args)
    return value, (time.perf_counter() - started) * 1000


# ------------------------------------------------------------------ search

def search_part(sizes: tuple[int, ...], queries: int) -> dict:
    """FAISS flat against Milvus Lite FLAT on synthetic vectors; both in this process, taking turns."""
    from pymilvus import DataType, MilvusClient

    out = []
    for n in sizes:
        vectors = synthetic_vectors(n, DIM)
        faiss_index = FaissIndex.build(vectors, exact_limit=n)  # flat, like Milvus Lite's
        folder = Path(tempfile.mkdtemp(prefix="scale-out-", dir=WORK))
        client = MilvusClient(str(folder / "milvus.db"))
        schema = MilvusClient.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("row", DataType.INT64, is_primary=True)
        schema.add_field("dense_0", DataType.FLOAT_VECTOR, dim=DIM)
        params = client.prepare_index_params()
        params.add_index(field_name="dense_0", index_type="FLAT", metric_type="IP")
        client.create_collection("bench", schema=schema, index_params=params)
        started = time.perf_counter()
        for start in range(0, n, 1000):
            client.insert("bench", [{"row": start + i, "dense_0": row.tolist()}
                                    for i, row in enumerate(vectors[start:start + 1000])])
        inserted = time.perf_counter() - started
        client.flush("bench")
        client.load_collection("bench")
        sealed = time.perf_counter() - started - inserted
        milvus_index = MilvusIndex(client, "bench", "dense_0", DIM, n, "FLAT")
        rng = np.random.default_rng(n)
        qs = synthetic_queries(queries + 5, DIM)
        times: dict[str, list[float]] = {"faiss search": [], "milvus search": [], "faiss scores": [],
                                         "milvus scores": []}
        same_top = 0
        for number, q in enumerate(qs):
            given = rng.choice(n, GIVEN_ROWS, replace=False)
            order = [("faiss", faiss_index), ("milvus", milvus_index)]
            if number % 2:
                order.reverse()
            found = {}
            for name, index in order:
                found[name], search_ms = _timed(index.search, q, CANDIDATES)
                _, scores_ms = _timed(index.scores, q, given)
                if number >= 5:  # the first five warm up
                    times[f"{name} search"].append(search_ms)
                    times[f"{name} scores"].append(scores_ms)
            if number >= 5:
                same_top += found["faiss"][0][:K].tolist() == found["milvus"][0][:K].tolist()
        np.testing.assert_allclose(milvus_index.scores(qs[0], np.arange(20)), faiss_index.scores(qs[0], np.arange(20)),
                                   atol=1e-5)
        row = {"rows": n, "dim": DIM, "queries": queries, "insert_rows_per_s": n / inserted, "flush_load_s": sealed,
               "same_top10": same_top / queries, "lite_bytes": folder_size(folder / "milvus.db"),
               **{name: stats(values) for name, values in times.items()}}
        out.append(row)
        print(f"  {n:>7} rows: search p50 FAISS {row['faiss search']['p50']:.2f} ms, Milvus Lite "
              f"{row['milvus search']['p50']:.2f} ms; 150 given rows {row['faiss scores']['p50']:.2f} / "
              f"{row['milvus scores']['p50']:.2f} ms; insert {row['insert_rows_per_s']:.0f} rows/s; "
              f"same top 10: {row['same_top10']:.0%}", file=sys.stderr, flush=True)
        client.close()
        from milvus_lite.server_manager import server_manager_instance

        server_manager_instance.release_server(str(folder / "milvus.db"))
        shutil.rmtree(folder, ignore_errors=True)
    return {"k": CANDIDATES, "given_rows": GIVEN_ROWS, "sizes": out}


# ------------------------------------------------------------------ ingest

def ingest_part(rounds: int) -> dict:
    """Fresh ingests of the XQuAD-de paragraphs: plain, Ray with 1 and with 2 workers, taking turns."""
    from fundstelle.distributed import cluster

    folder = corpus_folder()
    characters = sum(len(path.read_text(encoding="utf-8")) for path in folder.glob("*.txt"))
    runs = {"plain": None, "Ray, 1 worker": 1, "Ray, 2 workers": 2}
    samples: dict[str, list[dict]] = {name: [] for name in runs}
    parity: dict[str, dict] = {}
    for round_ in range(rounds):
        for name, workers in runs.items():
            target = WORK / f"ingest-{name.replace(' ', '').replace(',', '-')}"
            shutil.rmtree(target, ignore_errors=True)
            load = os.getloadavg()[0]
            started = time.perf_counter()
            report = ingest([folder], target, model=DEFAULT_MODEL,
                            ray=None if workers is None else "local", ray_workers=workers)
            seconds = time.perf_counter() - started
            samples[name].append({"seconds": seconds, "chunks": report.chunks, "load": load})
            print(f"  round {round_ + 1} {name:15} {seconds:6.1f} s, {characters / seconds:6.0f} chars/s, "
                  f"{report.chunks / seconds:5.1f} chunks/s (load {load:.1f})", file=sys.stderr, flush=True)
    plain = read_snapshot(WORK / "ingest-plain")
    for name in list(runs)[1:]:
        other = read_snapshot(WORK / f"ingest-{name.replace(' ', '').replace(',', '-')}")
        parity[name] = {
            "same_chunks": plain.chunks == other.chunks,
            "max_vector_diff": max(float(np.abs(a.vectors() - b.vectors()).max())
                                   for a, b in zip([*plain.dense, plain.sentence_vectors],
                                                   [*other.dense, other.sentence_vectors])),
        }
    startup = {}
    for workers in (1, 2):
        started = time.perf_counter()
        with cluster("local", workers):
            pass
        startup[str(workers)] = time.perf_counter() - started
    out = {"paragraphs": len(list(folder.glob("*.txt"))), "characters": characters, "model": DEFAULT_MODEL,
           "rounds": rounds, "cluster_start_stop_s": startup, "parity": parity,
           "bm25_bytes_per_chunk": folder_size(WORK / "ingest-plain" / plain.version / "bm25") / len(plain.chunks),
           "systems": {}}
    for name, rows in samples.items():
        out["systems"][name] = {
            "seconds": stats([r["seconds"] for r in rows]),
            "chars_per_s": stats([characters / r["seconds"] for r in rows]),
            "chunks_per_s": stats([r["chunks"] / r["seconds"] for r in rows]),
            "chunks": rows[0]["chunks"], "load": [r["load"] for r in rows],
        }
    return out


# ------------------------------------------------------------------ quality

def milvus_copy(source: Path, target: Path) -> Index:
    """The index at ``source`` (FAISS) written again through the Milvus store (Milvus Lite), opened.

    The vectors are the source's; BM25 is built again from its chunks as the ingest builds it
    (a BM25 index read from disk is only read, never written again).
    """
    shutil.rmtree(target, ignore_errors=True)
    snapshot = read_snapshot(source)
    manifest = dataclasses.replace(snapshot.manifest, store=new_store(None))
    lexical = index_words(snapshot.chunks, snapshot.documents)
    write_snapshot(target, Snapshot(manifest, snapshot.documents, snapshot.chunks, snapshot.dense, lexical,
                                    snapshot.sentence_vectors))
    return Index.open(target)


def quality_part(limit: int, paragraphs_index: Path | None) -> dict:
    """Paragraph retrieval and within-document answers, FAISS store against Milvus store."""
    qs = questions("de")[: limit or None]
    if paragraphs_index is None:
        from quality import our_index

        paragraphs_index = our_index(DEFAULT_MODEL).folder
    faiss = Index.open(paragraphs_index)
    milvus = milvus_copy(paragraphs_index, WORK / "quality-milvus")
    ranked: dict[str, list[list[int]]] = {"faiss": [], "milvus": []}
    times: dict[str, list[float]] = {"faiss search": [], "milvus search": [], "faiss ask": [], "milvus ask": []}
    same = 0
    for number, q in enumerate(qs):
        found = {}
        for name, index in (("faiss", faiss), ("milvus", milvus))[:: 1 if number % 2 else -1]:
            found[name], ms = _timed(index.search, q.text, K)
            times[f"{name} search"].append(ms)
            ranked[name].append([paragraph_of(hit.source) for hit in found[name]])
        same += [(h.doc_id, h.start) for h in found["faiss"]] == [(h.doc_id, h.start) for h in found["milvus"]]
    paragraphs = {name: metrics(rows, qs) for name, rows in ranked.items()}
    paragraphs["same_top10"] = same / len(qs)
    print(f"  paragraphs MRR@10: FAISS {paragraphs['faiss']['mrr@10']:.4f}, "
          f"Milvus {paragraphs['milvus']['mrr@10']:.4f}; same top 10 for {paragraphs['same_top10']:.1%}",
          file=sys.stderr, flush=True)

    articles = articles_index(DEFAULT_MODEL, progress=False)
    article_milvus = milvus_copy(articles.folder, WORK / "articles-milvus")
    right = {"faiss": 0, "milvus": 0}
    same_answer = 0
    for number, q in enumerate(qs):
        replies = {}
        for name, index in (("faiss", articles), ("milvus", article_milvus))[:: 1 if number % 2 else -1]:
            replies[name], ms = _timed(index.ask, q.text)
            times[f"{name} ask"].append(ms)
            answer = replies[name].answer
            right[name] += answer is not None and any(gold in answer.text for gold in q.answers)
        a, b = replies["faiss"].answer, replies["milvus"].answer
        same_answer += (a is None and b is None) or (a is not None and b is not None and
                                                     (a.doc_id, a.start, a.end) == (b.doc_id, b.start, b.end))
    within = {name: right[name] / len(qs) for name in right}
    within["same_answer"] = same_answer / len(qs)
    print(f"  within-document answer@1: FAISS {within['faiss']:.4f}, Milvus {within['milvus']:.4f}; same answer for "
          f"{within['same_answer']:.1%}", file=sys.stderr, flush=True)
    return {"questions": len(qs), "model": DEFAULT_MODEL, "paragraph_chunks": faiss.info.chunks,
            "article_chunks": articles.info.chunks, "articles": len(list(article_folder().glob("*.txt"))),
            "paragraphs": paragraphs, "within_document": within,
            "latency": {name: stats(values) for name, values in times.items()}}


def layout_part() -> dict:
    """What one chunk costs in the version folder and in Milvus Lite (from the indexes the other parts built)."""
    plain = read_snapshot(WORK / "ingest-plain")
    chunks = len(plain.chunks)
    folder = WORK / "ingest-plain" / plain.version
    out = {"chunks": chunks, "dims": [member.dim for member in plain.manifest.members],
           "sentences_per_chunk": len(plain.sentence_vectors) / chunks,
           "text_bytes_per_chunk": sum(len(plain.documents[c.doc].text[c.start:c.end].encode("utf-8"))
                                       for c in plain.chunks) / chunks,
           "bytes_per_chunk": {name: (path.stat().st_size if path.is_file() else folder_size(path)) / chunks
                               for name, path in (("chunks.jsonl", folder / "chunks.jsonl"),
                                                  ("documents.jsonl", folder / "documents.jsonl"),
                                                  ("bm25/", folder / "bm25"))}}
    milvus = WORK / "quality-milvus"
    if (milvus / "CURRENT").exists():
        version = milvus / (milvus / "CURRENT").read_text().strip()
        out["bytes_per_chunk"]["milvus.db/ (Milvus Lite)"] = folder_size(version / "milvus.db") / chunks
    return out


def main() -> None:
    """Run the parts asked for and write their figures to benchmarks/results/scale_out.json."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--parts", default="search,ingest,quality", help="comma-separated: search, ingest, quality")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)), help="synthetic sizes for the search part")
    parser.add_argument("--queries", type=int, default=200, help="queries per size in the search part")
    parser.add_argument("--rounds", type=int, default=1, help="ingests per system in the ingest part")
    parser.add_argument("--limit", type=int, default=0, help="only the first N German questions (quality part)")
    parser.add_argument("--json", default=str(RESULTS / "scale_out.json"), metavar="FILE")
    args = parser.parse_args()
    parts = args.parts.split(",")
    WORK.mkdir(parents=True, exist_ok=True)
    path = Path(args.json)
    result = json.loads(path.read_text()) if path.exists() else {}  # parts not run keep their last figures
    stamp = {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
             "command": " ".join(["python benchmarks/scale_out.py", *sys.argv[1:]]), "cores": os.cpu_count(),
             "machine": machine()}
    stamp["machine"]["versions"].update({name: metadata.version(name) for name in SCALE_OUT_PACKAGES})
    path.parent.mkdir(parents=True, exist_ok=True)

    def save(part: str, figures: dict, load: float) -> None:  # after each part: a later failure keeps it
        result[part] = {**stamp, **figures, "load": [load, os.getloadavg()[0]]}
        path.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {part} to {path}", file=sys.stderr)

    if "search" in parts:
        print("search: FAISS against Milvus Lite …", file=sys.stderr, flush=True)
        load = os.getloadavg()[0]
        save("search", search_part(tuple(int(s) for s in args.sizes.split(",")), args.queries), load)
    if "ingest" in parts:
        print("ingest: plain against Ray …", file=sys.stderr, flush=True)
        load = os.getloadavg()[0]
        save("ingest", ingest_part(args.rounds), load)
    if "quality" in parts:
        print("quality: FAISS store against Milvus store …", file=sys.stderr, flush=True)
        plain = WORK / "ingest-plain" if (WORK / "ingest-plain" / "CURRENT").exists() else None
        load = os.getloadavg()[0]
        save("quality", quality_part(args.limit, plain), load)
    if (WORK / "ingest-plain" / "CURRENT").exists():
        save("layout", layout_part(), os.getloadavg()[0])


if __name__ == "__main__":
    sys.exit(main())
