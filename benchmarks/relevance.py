"""Where the library draws the line between "here is your answer" and "no sure answer".

    python benchmarks/relevance.py                      # German and English XQuAD questions
    python benchmarks/relevance.py --langs de,en,es,zh

``Index.ask`` answers None when the answer model is not sure enough (the rule app, CLI and
API share; ``benchmarks/answers.py`` fits it on XQuAD within-document questions). This
script checks it on questions that model never saw, asked of an index of the bundled
article: our own questions about the article (answered share), ten everyday questions and
XQuAD's questions (none is about the article: rejected share).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

from xquad import CACHE, questions

from fundstelle import DEFAULT_CORPUS, Index, IndexFolderError, ingest

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


def article_index(model: str | None = None, chunk_size: int | None = None, chunk_overlap: int | None = None) -> Index:
    """Index the bundled article alone (once, under benchmarks/.cache/) and open it."""
    from fundstelle.chunk import DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE
    from fundstelle.embed import DEFAULT_MODEL

    model = model or DEFAULT_MODEL
    size = chunk_size or DEFAULT_CHUNK_SIZE
    overlap = DEFAULT_CHUNK_OVERLAP if chunk_overlap is None else chunk_overlap
    folder = CACHE / f"article-{model.replace(':', '_').replace('/', '_')}-{size}-{overlap}"
    options = dict(model=model, chunk_size=size, chunk_overlap=overlap)
    try:
        ingest([DEFAULT_CORPUS], folder, **options)
    except IndexFolderError:  # written by an older version of Fundstelle
        ingest([DEFAULT_CORPUS], folder, rebuild=True, **options)
    index = Index.open(folder)
    if len(index.documents()) != 1:  # the article moved (another path is another document): start over
        ingest([DEFAULT_CORPUS], folder, rebuild=True, **options)
        index = Index.open(folder)
    return index


def main() -> None:
    """Ask every set of the article index; print answered and rejected shares."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=None)
    parser.add_argument("--chunk-size", type=int, default=None)
    parser.add_argument("--chunk-overlap", type=int, default=None)
    parser.add_argument("--langs", default="de,en", help="XQuAD question languages: de, en, es, zh")
    parser.add_argument("--limit", type=int, default=0, help="only the first N XQuAD questions per language")
    args = parser.parse_args()

    started = time.perf_counter()
    article = article_index(args.model, args.chunk_size, args.chunk_overlap)
    print(f"model {article.info.model}, {article.info.chunks} chunks")

    def answered(question: str) -> bool:
        return article.ask(question).answer is not None

    relevant = {"article questions": ARTICLE_QUESTIONS}
    irrelevant = {"everyday questions": OFF_TOPIC}
    for lang in args.langs.split(","):
        irrelevant[f"XQuAD-{lang}"] = tuple(q.text for q in questions(lang)[: args.limit or None])
    print(f"\n  {'questions asked of the article':32} {'n':>5}  {'answered':>8}  {'rejected':>8}")
    for name, asked in relevant.items():
        print(f"  {name:32} {len(asked):5}  {statistics.fmean(map(answered, asked)):8.1%}")
    for name, asked in irrelevant.items():
        rejected = 1 - statistics.fmean(map(answered, asked))
        print(f"  {name:32} {len(asked):5}  {'':8}  {rejected:8.1%}")
    unanswered = [q for q in ARTICLE_QUESTIONS if not answered(q)]
    print("\nArticle questions without an answer: " + "; ".join(unanswered))
    print(f"\n{time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    sys.exit(main())
