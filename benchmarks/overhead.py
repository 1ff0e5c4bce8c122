"""A warm search's time beyond the question's e5 embedding, and where it goes.

    python benchmarks/overhead.py                    # XQuAD-de (every 6th German question) and the article
    python benchmarks/overhead.py --json benchmarks/results/overhead.json

Per question, in one process with the indexes open and the models warm:

- **whole**: ``Index.search(q, k=5)`` and ``Index.ask(q, k=5)`` with no cached question
  vector and no cached result, and the e5 question embedding alone (what the recipe pays
  too), taking turns question by question; *overhead* is the p50 of search (or ask) minus
  the p50 of the embedding alone, *ask beyond search* the p50 of ask minus that of search
  (and, *paired*, the median over the questions of ask's time minus search's on the same one).
- **parts** (the question vectors kept from the first pass, so no model runs): reading
  the question (clean, analyse), the USE-m3 question vector (only for the questions whose
  trust in BM25 leaves USE-m3 a weight that counts, ``fundstelle.ranking.wanted_models``;
  its p50 over those and how many they are), retrieval (trust, dense searches, BM25,
  fusion, dropping repeats), highlighting the five hits (answer sentences, phrases,
  matched words and result objects); for ``ask``: its retrieval (``ANSWER_PASSAGES``
  passages), its candidates (every sentence of them with context and features,
  ``answering.candidates``) and its whole answer part (``answering.reply``: the
  candidates, the model's choice, the hits ordered by answer).

Medians over the questions; the load average is printed beside them. Search and ask read
the same sentences, and what one learns of a sentence (its words, its number, date and name
spans) is kept for the other; ``--cold`` forgets it before every call of *whole*, so that
each pays for its own reading, as for a question on passages no one asked about before.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from measure import emit, stats, uncached  # noqa: E402
from speed import ARTICLE_GERMAN, XQUAD_STRIDE, article_index, interleaved  # noqa: E402
from xquad import questions, xquad_index  # noqa: E402

from fundstelle import Index, answering, query  # noqa: E402
from fundstelle.embed import DEFAULT_MODEL  # noqa: E402
from fundstelle.matching import sentence_facts  # noqa: E402
from fundstelle.offers import answer_phrases  # noqa: E402
from fundstelle.ranking import wanted_models  # noqa: E402


class _Clock:
    """Milliseconds since it was made: ``clock = _Clock(); work(); ms = clock.ms()``."""

    def __init__(self) -> None:
        self.started = time.perf_counter()

    def ms(self) -> float:
        return 1000 * (time.perf_counter() - self.started)


def forget_sentences() -> None:
    """Forget what was read of sentences (their words, their answer spans)."""
    sentence_facts.cache_clear()
    answer_phrases.cache_clear()


def whole(index: Index, texts: list[str], cold: bool = False) -> dict:
    """Search, ask and the e5 question embedding alone, taking turns; p50s and the overheads.

    ``cold``: before each call, forget what was read of sentences (:func:`forget_sentences`).
    """
    first = uncached(index).embedders[0]
    systems = {"search": lambda t: index.search(t, k=5), "ask": lambda t: index.ask(t, k=5),
               "e5 question embedding": lambda t: first.embed_queries([t])}
    if cold:
        systems = {name: (lambda t, call=call: (forget_sentences(), call(t))) for name, call in systems.items()}
    times = interleaved(systems, texts)
    out = {name: stats(ms) for name, ms in times.items()}
    for name in ("search", "ask"):
        out[name]["overhead"] = out[name]["p50"] - out["e5 question embedding"]["p50"]
    out["ask"]["beyond search"] = out["ask"]["p50"] - out["search"]["p50"]
    # The same question's two calls ran moments apart: their difference shakes less with the load.
    out["ask"]["beyond search, paired"] = statistics.median(a - s for a, s in zip(times["ask"], times["search"]))
    return out


def parts(index: Index, texts: list[str]) -> dict:
    """Each part of a warm search (and ask's answer part), the question vectors cached."""
    snapshot, embedders = index.snapshot, index.embedders
    models = [(e.spec, e.foreign_weight) for e in embedders]
    times: dict[str, list[float]] = {"read the question": [], "USE-m3 question vector (where wanted)": [],
                                     "retrieval (trust, dense, BM25, fusion)": [], "highlight and hits": [],
                                     "ask's retrieval": [], "ask's candidates (answering.candidates)": [],
                                     "ask's answer part (answering.reply)": []}
    for embedder in embedders:
        embedder.query_cache_size = 0
    use_wanted = 0
    for text in texts:
        (asked,), checked = query.check_call([text], 5, "hybrid", None)
        trust = index.fusion.trust_of(list(asked.tokens), snapshot.lexical)
        if len(embedders) > 1 and wanted_models(models, trust, index.fusion)[1]:
            use_wanted += 1
            clock = _Clock()
            embedders[1].embed_queries([text])
            times["USE-m3 question vector (where wanted)"].append(clock.ms())
    for embedder in embedders:
        embedder.query_cache_size = 10_000
    for text in texts:  # fill the question-vector caches
        index.search(text, k=5)
    for text in texts:
        clock = _Clock()
        (asked,), checked = query.check_call([text], 5, "hybrid", None)
        times["read the question"].append(clock.ms())
        clock = _Clock()
        found = query.retrieve_checked(snapshot, embedders, [asked], 5, "hybrid", index.fusion, checked)[0]
        times["retrieval (trust, dense, BM25, fusion)"].append(clock.ms())
        clock = _Clock()
        query.highlighted_hits(found)
        times["highlight and hits"].append(clock.ms())
        clock = _Clock()
        answer_found = query.retrieve_checked(snapshot, embedders, [asked], answering.ANSWER_PASSAGES, "hybrid",
                                              index.fusion, checked)[0]
        times["ask's retrieval"].append(clock.ms())
        clock = _Clock()
        answering.candidates(answer_found)
        times["ask's candidates (answering.candidates)"].append(clock.ms())
        clock = _Clock()
        answering.reply(answer_found, 5)
        times["ask's answer part (answering.reply)"].append(clock.ms())
    out = {name: stats(ms) for name, ms in times.items() if ms}
    out["use_wanted_share"] = use_wanted / len(texts)
    return out


def run(stride: int = XQUAD_STRIDE, cold: bool = False) -> dict:
    """Both corpora's figures; every ``stride``-th German XQuAD question (``cold``: see :func:`whole`)."""
    from relevance import ARTICLE_QUESTIONS

    corpora = {"XQuAD-de": (xquad_index(DEFAULT_MODEL, progress=False),
                            [q.text for q in questions("de")[::stride]]),
               "article": (article_index(DEFAULT_MODEL), list(ARTICLE_QUESTIONS[:ARTICLE_GERMAN]) * 4)}
    out: dict = {"cold": cold, "load": [os.getloadavg()[0]]}
    for corpus, (index, texts) in corpora.items():
        out[corpus] = {"questions": len(texts), "chunks": index.info.chunks, "whole": whole(index, texts, cold),
                       "parts": parts(index, texts)}
        out["load"].append(os.getloadavg()[0])
        block = out[corpus]
        print(f"{corpus}: {block['questions']} questions, {block['chunks']} chunks, load {out['load'][-1]:.1f}",
              file=sys.stderr)
        for name, row in block["whole"].items():
            extra = f"  overhead {row['overhead']:.1f} ms" if "overhead" in row else ""
            if "beyond search" in row:
                extra += (f"  beyond search {row['beyond search']:.1f} ms"
                          f" (paired {row['beyond search, paired']:.1f} ms)")
            print(f"  {name:40} p50 {row['p50']:6.1f} ms{extra}", file=sys.stderr)
        for name, row in block["parts"].items():
            if isinstance(row, dict):
                print(f"  {name:40} p50 {row['p50']:6.2f} ms (n={row['n']})", file=sys.stderr)
        print(f"  USE-m3 embedded for {block['parts']['use_wanted_share']:.0%} of the questions", file=sys.stderr,
              flush=True)
    out["load_median"] = statistics.median(out["load"])
    return out


def main() -> None:
    """Print (or write) the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stride", type=int, default=XQUAD_STRIDE, help="every N-th German XQuAD question")
    parser.add_argument("--cold", action="store_true", help="forget what was read of sentences before every call")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    emit(run(args.stride, args.cold), args.json)


if __name__ == "__main__":
    sys.exit(main())
