"""Answer phrases on XQuAD-de: given the sentence that answers, how often is the narrow phrase right.

    python benchmarks/phrases.py                    # the tables: dev and held-out halves (saved to
                                                    # benchmarks/results/phrases.json for BENCHMARKS.md)
    python benchmarks/phrases.py --failures person  # wrong or missing person phrases (dev half only)

For each question the *oracle* sentence is taken: the gold paragraph is split with
``fundstelle.sentences.split_sentences`` and the first sentence holding a gold answer
verbatim is kept (questions without one are skipped). ``fundstelle.phrase.answer_phrase``
then names the phrase, or declines. Reported: the share of questions with a phrase
shown, and exact match and token F1 (SQuAD normalisation, against the best gold answer)
of the phrases shown, overall and per question kind (``fundstelle.question.question_type``).

The rules were developed looking only at the first 24 articles (dev); the last 24 are
held out. Two tables: the kinds whose phrases the library shows (``SHOWN_KINDS``), and
every kind the rules know (``ALL_KINDS``), to see when another kind is good enough to show.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from highlight import normalise, token_f1
from xquad import DATA, HERE, Question, paragraphs, questions

from fundstelle.phrase import ALL_KINDS, SHOWN_KINDS, answer_phrase
from fundstelle.question import Question as ReadQuestion
from fundstelle.question import question_type
from fundstelle.sentences import split_sentences

DEV_ARTICLES = 24
RESULTS = HERE / "results"
KINDS = ("number", "date", "person", "place", "name", "other", "manner", "reason", "purpose")

Phraser = Callable[[str, str], str | None]


@dataclass(frozen=True)
class Case:
    """A question, its oracle sentence, and the number of its article."""

    question: Question
    sentence: str
    article: int


def cases() -> list[Case]:
    """Every question whose gold paragraph has a sentence holding a gold answer verbatim."""
    data = json.loads((DATA / "xquad.de.json").read_text(encoding="utf-8"))
    article_of = [number for number, article in enumerate(data["data"]) for _ in article["paragraphs"]]
    texts = paragraphs()
    found = []
    for question in questions("de"):
        text = texts[question.paragraph]
        for start, end in split_sentences(text):
            sentence = text[start:end]
            if any(answer.strip() and answer.strip() in sentence for answer in question.answers):
                found.append(Case(question, sentence, article_of[question.paragraph]))
                break
    return found


def phraser(kinds: Sequence[str]) -> Phraser:
    """``fundstelle.phrase.answer_phrase`` for questions of ``kinds``, as text."""
    def phrase(question: str, sentence: str) -> str | None:
        span = answer_phrase(ReadQuestion.of(question), sentence, kinds=kinds)
        if span is not None and sentence[span.start:span.end] != span.text:
            raise AssertionError(f"span does not match its text: {span}")
        return span.text if span else None

    return phrase


def scores(phrase: str, answers: Sequence[str]) -> tuple[float, float]:
    """Exact match and token F1 against the best gold answer."""
    exact = max(float(normalise(phrase) == normalise(answer)) for answer in answers)
    return exact, max(token_f1(phrase, answer) for answer in answers)


def measured(phrases: Sequence[str | None], chosen: Sequence[Case]) -> dict[str, float | int | None]:
    """Questions, the share with a phrase shown, and exact match and F1 of the phrases shown."""
    judged = [scores(p, c.question.answers) for p, c in zip(phrases, chosen, strict=True) if p is not None]
    return {"questions": len(chosen), "shown": len(judged) / len(chosen) if chosen else 0.0,
            "em": statistics.mean(e for e, _ in judged) if judged else None,
            "f1": statistics.mean(f for _, f in judged) if judged else None}


def figures(phrases: Sequence[str | None], chosen: Sequence[Case]) -> str:
    """``shown EM F1`` for the phrases of the chosen cases."""
    row = measured(phrases, chosen)
    if row["em"] is None or row["f1"] is None:
        return f"{0.0:6.3f} {'-':>5} {'-':>5}"
    return f"{row['shown']:6.3f} {row['em']:5.2f} {row['f1']:5.2f}"


def table(name: str, phraser: Phraser, halves: dict[str, list[Case]]) -> None:
    """Print one block: overall and per kind, for each half."""
    results = {half: [phraser(c.question.text, c.sentence) for c in chosen] for half, chosen in halves.items()}
    print(f"\n{name}")
    print(f"{'kind':10} " + "  ".join(f"{half + ' (n)':>11} {'shown':>6} {'EM':>5} {'F1':>5}" for half in halves))
    for kind in ("all", *KINDS):
        cells = []
        for half, chosen in halves.items():
            keep = [i for i, c in enumerate(chosen) if kind == "all" or question_type(c.question.text) == kind]
            picked = [chosen[i] for i in keep]
            cells.append(f"{len(picked):11d} " + figures([results[half][i] for i in keep], picked))
        print(f"{kind:10} " + "  ".join(cells))


def failures(kind: str, dev: Sequence[Case]) -> None:
    """Print the dev questions of ``kind`` whose phrase is missing or not an exact match."""
    for case in dev:
        if kind != "all" and question_type(case.question.text) != kind:
            continue
        phrase = phraser(ALL_KINDS)(case.question.text, case.sentence)
        if phrase is not None and scores(phrase, case.question.answers)[0] == 1.0:
            continue
        print(f"Q: {case.question.text}\n   gold: {' | '.join(case.question.answers)}\n   got:  {phrase}\n"
              f"   S: {case.sentence}")


def run(halves: dict[str, list[Case]]) -> dict[str, dict[str, dict[str, float | int | None]]]:
    """The shown kinds' figures, overall and per kind, for each half (what BENCHMARKS.md renders)."""
    phrase = phraser(SHOWN_KINDS)
    out: dict[str, dict[str, dict[str, float | int | None]]] = {}
    for half, chosen in halves.items():
        found = [phrase(c.question.text, c.sentence) for c in chosen]
        out[half] = {}
        for kind in ("all", *SHOWN_KINDS):
            keep = [i for i, c in enumerate(chosen) if kind == "all" or question_type(c.question.text) == kind]
            out[half][kind] = measured([found[i] for i in keep], [chosen[i] for i in keep])
    return out


def main() -> None:
    """Print the tables (and save the shown kinds' figures), or the dev failures of one kind."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--failures", metavar="KIND", help="print the dev failures of this kind (or 'all')")
    args = parser.parse_args()
    every = cases()
    halves = {"dev": [c for c in every if c.article < DEV_ARTICLES],
              "held-out": [c for c in every if c.article >= DEV_ARTICLES]}
    if args.failures:
        failures(args.failures, halves["dev"])
        return
    print(f"XQuAD-de oracle sentences: {len(every)} questions "
          f"(dev: articles 1-{DEV_ARTICLES}, held-out: the rest)")
    table(f"answer_phrase as shown ({', '.join(SHOWN_KINDS)})", phraser(SHOWN_KINDS), halves)
    table("answer_phrase, every kind the rules know", phraser(ALL_KINDS), halves)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "phrases.json").write_text(json.dumps({"shown_kinds": list(SHOWN_KINDS), **run(halves)}, indent=1)
                                          + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
