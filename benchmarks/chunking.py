"""How chunk size and overlap change retrieval on XQuAD-de (the measurement behind the default).

    python benchmarks/chunking.py --sizes 400,600,800,1000,1500 --overlaps 0,100,200

For each setting it builds the XQuAD-de index (cached in benchmarks/.cache) and prints
hit@1 and MRR@10 of hybrid, dense and lexical search, the number of chunks, and the
median characters a hit shows the reader. Takes about a minute per setting.
"""

from __future__ import annotations

import argparse
import statistics

from retrieval import evaluate
from xquad import paragraph_ids, questions, xquad_index


def main() -> None:
    """Print one row per (size, overlap)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="e5-small-int4")
    parser.add_argument("--sizes", default="400,600,800,1000,1500")
    parser.add_argument("--overlaps", default="200")
    args = parser.parse_args()
    qs = questions("de")
    ids = paragraph_ids()
    print(f"{'size':>5} {'overlap':>7} {'chunks':>6} {'chars/hit':>9} "
          f"{'hyb h@1':>7} {'hyb MRR':>7} {'den MRR':>7} {'lex MRR':>7}")
    for size in (int(s) for s in args.sizes.split(",")):
        for overlap in (int(o) for o in args.overlaps.split(",")):
            if overlap >= size:
                continue
            index = xquad_index(args.model, size, overlap, progress=False)
            rows = {mode: evaluate(index, qs, ids, mode) for mode in ("hybrid", "dense", "lexical")}
            lengths = [len(index.document(d.id).text) for d in index.documents()]
            chars = statistics.median(min(size, n) for n in lengths)
            print(f"{size:5d} {overlap:7d} {index.info.chunks:6d} {chars:9.0f} "
                  f"{rows['hybrid']['hit@1']:7.3f} {rows['hybrid']['mrr@10']:7.3f} "
                  f"{rows['dense']['mrr@10']:7.3f} {rows['lexical']['mrr@10']:7.3f}", flush=True)


if __name__ == "__main__":
    main()
