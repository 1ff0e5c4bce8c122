"""Where the app draws the line between "here is your answer" and "nothing found".

    python benchmarks/relevance.py                      # de,en XQuAD questions, hybrid mode
    python benchmarks/relevance.py --langs de,en,es,zh  # the README figures

Relevant questions: our own questions about the bundled article, asked of an index of the
article, and XQuAD's questions asked of the XQuAD index (240 paragraphs). Irrelevant ones:
XQuAD's questions asked of the article (none is about it: the closest ask about the Amazon
rainforest) and the article questions asked of XQuAD, plus ten everyday questions asked of
both. For each question the app's rule (``app/relevance.py``) says found or nothing found;
the script prints the share of relevant questions kept and irrelevant ones rejected, a sweep
over the gate, and how often hits of each relevance level come from the gold paragraph.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass

from xquad import CACHE, paragraph_ids, questions, xquad_index

from app.relevance import CALIBRATIONS, GAP_WEIGHT, POOL, calibrated_signal, hit_level, judge
from fundstelle import Index, ingest
from fundstelle.cli import DEFAULT_CORPUS

# About the article: German, English, two other languages, and bare keywords.
ARTICLE_QUESTIONS = (
    "Wie viel hat Amazon bisher in Anthropic investiert?",
    "Wer hat Anthropic gegründet?",
    "Wann wurde Anthropic gegründet?",
    "Was ist Project Rainier?",
    "Wo baut Amazon das Rechenzentrum für Anthropic?",
    "Welche Leistung soll das Rechenzentrum in Indiana haben?",
    "Welche Chips nutzt Amazon für Anthropics Modelle?",
    "Auf welcher Plattform bietet Amazon die Claude-Modelle an?",
    "Welche Behörden untersuchen die Investitionen?",
    "Hat Amazon einen Sitz im Verwaltungsrat von Anthropic?",
    "Wie ist Anthropic rechtlich strukturiert?",
    "Wer leitet bei Amazon die Entwicklung eigener KI-Modelle?",
    "Welche Modelle empfiehlt Google seinen Kunden?",
    "Warum investiert Amazon in Anthropic?",
    "Über welche Finanzinstrumente ist Amazon an Anthropic beteiligt?",
    "Wer hat über die geplante Investition berichtet?",
    "Welches Risiko besteht für die Partnerschaft?",
    "How much has Amazon invested in Anthropic so far?",
    "Who founded Anthropic?",
    "What is Project Rainier?",
    "Which regulators are investigating the deals?",
    "Does Amazon have a board seat at Anthropic?",
    "Which chips does Amazon use for Claude?",
    "Who leads Amazon's own AI model work?",
    "What legal form does Anthropic have?",
    "¿Quién fundó Anthropic?",
    "Combien Amazon a-t-il investi dans Anthropic ?",
    "Trainium",
    "David Luan",
    "Wandelanleihen",
    "Claude",
    "Amazon Bedrock",
)
# About nothing in either index.
OFF_TOPIC = (
    "Wie backe ich ein Roggenbrot?",
    "Wer gewann die Fußball-Weltmeisterschaft 2014?",
    "What is the capital of Australia?",
    "Wie wird das Wetter morgen?",
    "Wie lange muss ein Ei kochen?",
    "Welche Farbe hat der Himmel?",
    "Wer schrieb Faust?",
    "How do I reset my password?",
    "Wie hoch ist die Zugspitze?",
    "Was kostet eine Bahncard 50?",
)


@dataclass(frozen=True)
class Outcome:
    """One question asked of one index: the app's verdict and what the rule looked at."""

    found: bool
    cosines: tuple[float, ...]  # of the top POOL hits, in rank order
    gold: tuple[bool, ...]  # per hit: from the question's gold paragraph (XQuAD only)
    levels: tuple[int, ...]


def ask(index: Index, question: str, mode: str, gold_id: str | None = None) -> Outcome:
    """Search as the app does and record the verdict."""
    hits = index.search(question, k=POOL, mode=mode)
    verdict = judge(hits)
    signal = calibrated_signal(hits)
    return Outcome(
        found=verdict.found,
        cosines=tuple(hit.signals[signal] for hit in hits) if signal else (),
        gold=tuple(hit.doc_id == gold_id for hit in hits),
        levels=tuple(hit_level(hit, verdict.signal) for hit in hits),
    )


def article_index(model: str, chunk_size: int | None, chunk_overlap: int | None) -> Index:
    """Index the bundled article alone (once, under benchmarks/.cache/) and open it."""
    from fundstelle.chunk import DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE

    size = chunk_size or DEFAULT_CHUNK_SIZE
    overlap = DEFAULT_CHUNK_OVERLAP if chunk_overlap is None else chunk_overlap
    folder = CACHE / f"article-{model.replace(':', '_').replace('/', '_')}-{size}-{overlap}"
    ingest([DEFAULT_CORPUS], folder, model=model, chunk_size=size, chunk_overlap=overlap)
    return Index.open(folder)


def score(cosines: tuple[float, ...], gap_weight: float) -> float:
    """Compute the gate score of app/relevance.py with another gap weight."""
    best = max(cosines)
    others = list(cosines)
    others.remove(best)
    return best + gap_weight * (best - statistics.fmean(others) if others else 0.0)


def main() -> None:
    """Ask every set, print kept/rejected shares, the sweep and level precision."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="e5-small-int4")
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--chunk-overlap", type=int, default=None)
    parser.add_argument("--langs", default="de,en", help="XQuAD question languages: de, en, es, zh")
    parser.add_argument("--mode", default="hybrid", choices=("hybrid", "dense"))
    parser.add_argument("--limit", type=int, default=0, help="only the first N XQuAD questions per language")
    args = parser.parse_args()

    started = time.perf_counter()
    article = article_index(args.model, args.chunk_size, args.chunk_overlap)
    xquad = xquad_index(args.model, args.chunk_size, args.chunk_overlap)
    ids = paragraph_ids()
    info = xquad.info
    print(f"model {info.model}, chunk size {info.chunk_size}, overlap {info.chunk_overlap}, mode {args.mode}; "
          f"article: {article.info.chunks} chunks, XQuAD: {info.chunks} chunks")

    relevant: dict[str, list[Outcome]] = {
        "article questions -> article": [ask(article, q, args.mode) for q in ARTICLE_QUESTIONS],
    }
    irrelevant: dict[str, list[Outcome]] = {
        "everyday questions -> article": [ask(article, q, args.mode) for q in OFF_TOPIC],
        "article+everyday -> XQuAD": [ask(xquad, q, args.mode) for q in ARTICLE_QUESTIONS + OFF_TOPIC],
    }
    for lang in args.langs.split(","):
        qs = questions(lang)[: args.limit or None]
        relevant[f"XQuAD-{lang} -> XQuAD"] = [ask(xquad, q.text, args.mode, ids[q.paragraph]) for q in qs]
        irrelevant[f"XQuAD-{lang} -> article"] = [ask(article, q.text, args.mode) for q in qs]

    signal = next((name for name in CALIBRATIONS if name in info.model.split("+")), None)
    rule = f"gate {CALIBRATIONS[signal].gate:.3f} on {signal}, gap weight {GAP_WEIGHT}" if signal else "words found"
    print(f"\nThe app's rule ({rule}):")
    print(f"  {'question set':34} {'n':>5}  {'kept':>6}  {'rejected':>8}")
    for name, outcomes in relevant.items():
        kept = sum(o.found for o in outcomes) / len(outcomes)
        print(f"  {name:34} {len(outcomes):5}  {kept:6.1%}")
    for name, outcomes in irrelevant.items():
        rejected = 1 - sum(o.found for o in outcomes) / len(outcomes)
        print(f"  {name:34} {len(outcomes):5}  {'':6}  {rejected:8.1%}")
    if signal is None:
        return

    reference_name = "XQuAD-de -> XQuAD" if "XQuAD-de -> XQuAD" in relevant else "article questions -> article"
    print(f"\nChoosing the rule: for each gap weight, the highest gate (steps of 0.0025) that keeps >= 99 % of "
          f"{reference_name.split(' ')[0]}; balanced = mean of (mean kept, mean rejected).")
    names = [name.split(" ")[0] + (" ok" if name in relevant else " no") for name in [*relevant, *irrelevant]]
    print(f"  {'weight':>6} {'gate':>6}  " + " ".join(f"{name[-14:]:>14}" for name in names) + f"  {'balanced':>8}")
    for gap_weight in (0.0, 0.25, 0.5, 0.75, 1.0, 1.5, 2.0):
        gates = [0.78 + 0.0025 * step for step in range(60)]
        gate = max(g for g in gates if statistics.fmean(
            score(o.cosines, gap_weight) >= g for o in relevant[reference_name]) >= 0.99)
        kept = [statistics.fmean(score(o.cosines, gap_weight) >= gate for o in outs) for outs in relevant.values()]
        rejected = [statistics.fmean(score(o.cosines, gap_weight) < gate for o in outs) for outs in irrelevant.values()]
        balanced = (statistics.fmean(kept) + statistics.fmean(rejected)) / 2
        print(f"  {gap_weight:6.2f} {gate:6.4f}  " + " ".join(f"{share:14.1%}" for share in kept + rejected)
              + f"  {balanced:8.1%}" + ("  <- in use" if gap_weight == GAP_WEIGHT else ""))

    print("\nHits from the gold paragraph, by the level the app shows (XQuAD, top 5 hits of found questions):")
    for name, outcomes in relevant.items():
        if not name.startswith("XQuAD"):
            continue
        cells = []
        for level in (3, 2, 1):
            golds = [g for o in outcomes if o.found for g, lv in zip(o.gold, o.levels, strict=True) if lv == level]
            cells.append(f"level {level}: {statistics.fmean(golds) if golds else float('nan'):5.1%} of {len(golds):4}")
        print(f"  {name:20} " + "   ".join(cells))
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
