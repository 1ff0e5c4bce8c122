"""Retrieval quality on XQuAD: hit@1, hit@5 and MRR@10 per search mode and language.

    python benchmarks/retrieval.py                   # German and English, default model and chunking
    python benchmarks/retrieval.py --langs de,en,es,zh --model e5-small-int4

A hit counts when a returned chunk belongs to the question's gold paragraph; hit@1
looks at the top chunk, MRR@10 at the first gold chunk among the top ten. Every mode
runs in the same process on the same index. ``--json`` writes the figures to a file.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Sequence

from xquad import Question, paragraph_ids, questions, xquad_index

from fundstelle import Index
from fundstelle.embed import DEFAULT_MODEL


def evaluate(index: Index, qs: Sequence[Question], ids: Sequence[str], mode: str, k: int = 10) -> dict[str, float]:
    """hit@1, hit@5, MRR@10 and median latency of ``mode`` over the questions ``qs``."""
    hit1 = hit5 = reciprocal = 0.0
    ranks: list[int | None] = []
    latencies = []
    for question in qs:
        started = time.perf_counter()
        hits = index.search(question.text, k=k, mode=mode)
        latencies.append(time.perf_counter() - started)
        gold = ids[question.paragraph]
        rank = next((hit.rank for hit in hits if hit.doc_id == gold), None)
        ranks.append(rank)
        if rank is not None:
            hit1 += rank == 1
            hit5 += rank <= 5
            reciprocal += 1.0 / rank
    n = len(qs)
    return {"hit@1": hit1 / n, "hit@5": hit5 / n, "mrr@10": reciprocal / n,
            "p50_ms": 1000 * statistics.median(latencies), "ranks": ranks}


def main() -> None:
    """Run the benchmark and print one table row per language and mode."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--chunk-overlap", type=int, default=None)
    parser.add_argument("--langs", default="de,en", help="comma-separated: de, en, es, zh")
    parser.add_argument("--modes", default="hybrid,dense,lexical")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions per language")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON")
    args = parser.parse_args()

    index = xquad_index(args.model, args.chunk_size, args.chunk_overlap)
    ids = paragraph_ids()
    info = index.info
    print(f"XQuAD: {info.documents} paragraphs as documents, {info.chunks} chunks, model {info.model}, "
          f"chunk size {info.chunk_size}, overlap {info.chunk_overlap}")
    print(f"{'lang':4} {'mode':8} {'n':>5} {'hit@1':>6} {'hit@5':>6} {'MRR@10':>7} {'p50 ms':>7}")
    results: dict[str, dict[str, dict[str, float]]] = {}
    for lang in args.langs.split(","):
        qs = questions(lang)
        if args.limit:
            qs = qs[: args.limit]
        results[lang] = {}
        for mode in args.modes.split(","):
            row = evaluate(index, qs, ids, mode)
            results[lang][mode] = row
            print(f"{lang:4} {mode:8} {len(qs):5d} {row['hit@1']:6.3f} {row['hit@5']:6.3f} "
                  f"{row['mrr@10']:7.3f} {row['p50_ms']:7.1f}", flush=True)
        modes = results[lang]
        if "hybrid" in modes and "dense" in modes:
            worse = sum(
                1 for h, d in zip(modes["hybrid"]["ranks"], modes["dense"]["ranks"])
                if d is not None and (h is None or h > d)
            )
            lost = sum(1 for h, d in zip(modes["hybrid"]["ranks"], modes["dense"]["ranks"])
                       if d is not None and h is None)
            print(f"{lang:4} hybrid ranks the gold paragraph below dense for {worse} of {len(qs)} "
                  f"questions; loses it from the top 10 for {lost}")
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump({"model": info.model, "chunk_size": info.chunk_size, "chunk_overlap": info.chunk_overlap,
                       "results": results}, handle, indent=1)


if __name__ == "__main__":
    sys.exit(main())
