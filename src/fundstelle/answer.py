"""Choosing the answer: every sentence of the top passages, judged with what it refers back to.

Retrieval brings the passages; the answer is the sentence among all of theirs that holds
what the question asks. Real text names its subject once and then by pronoun or
paraphrase ("Sie zählt heute 48.000 Einwohner", "Der Konzern setzte damit …"), so a
candidate is judged *together with its context* — up to two sentences before it in its
paragraph, the paragraph's first and the document's first sentence: the question's words
count where the sentence or its context holds them (:data:`CONTEXT_WEIGHT` for the
context), similarity is that of the sentence joined with the one before, and what is
asked for must stand in the sentence itself. Its *features* (:data:`FEATURES`): how much
of the question the sentence and its context cover, which of the question's words not in
its context it holds itself, how similar the two are, whether it offers what the question
word asks for (a number for "wie viele", a year for "wann", a name for "wer") that the
question does not already hold, whether the sentence before restates the question without
answering it, whether it opens with a pronoun or demonstrative after a sentence that names the
question's words (it goes on about them: "Es öffnete 2001"), how well its passage ranked.

What is asked is a constraint, not a hint (:meth:`AnswerModel.choose`): headings are never
answers; when the best sentence lacks the asked kind and a neighbour offers it, the answer
is the neighbour; an answer whose sentence lacks the asked kind is not given, and its
confidence stays below 0.5.

A linear scorer, fitted by ``benchmarks/answers.py`` as a conditional logit (which of a
question's candidates holds the answer) on the within-document questions of XQuAD and
GermanQuAD (German; XQuAD's Spanish and Chinese for the other profile), cross-validated by
article, turns the features into a score; a small logistic regression turns the chosen
candidate's share of the probability, its lead and how close the question comes to anything
at all (:data:`CONFIDENCE_INPUTS`) into ``confidence``, a calibrated probability that the
chosen sentence holds the answer, fitted on answerable and unanswerable questions alike
(paragraphs and answer sentences deleted). Questions in the documents' language and the
others get a pair of models each (:data:`NATIVE_SHARE`). Below the model's ``threshold`` the
reply has no answer. ``answer_model.json`` beside this file holds the fitted numbers, the
command, data and date that produced them.

The per-sentence facts (coverage with rarity weights, spelling, offers) come from
:mod:`fundstelle.matching` and :mod:`fundstelle.offers`; why ``search()`` does not use
this model is said in :mod:`fundstelle.highlight`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .matching import IdfLookup, grams, holds, rarity_weights, sentence_facts
from .offers import TYPED_KINDS, offers, offers_asked
from .question import Question

__all__ = [
    "CONFIDENCE_INPUTS",
    "CONTEXT_WEIGHT",
    "FEATURES",
    "MAX_ANSWER_CHARS",
    "MODEL_FILE",
    "AnswerModel",
    "Candidate",
    "Choice",
    "Logistic",
    "NATIVE_SHARE",
    "Profile",
    "Sentence",
    "confidence_inputs",
    "features",
    "is_native",
    "load_model",
]

MODEL_FILE = Path(__file__).with_name("answer_model.json")

# A question word that the context holds counts this much for the sentence.
CONTEXT_WEIGHT = 0.8
# An answer may take in the sentence before it when it continues that one ("Sie wurde
# 1904 eröffnet."), as long as both together stay this short.
MAX_ANSWER_CHARS = 320

# Words that open a sentence going on about what the one before named (German and English).
ANAPHORS = frozenset("""er sie es ihr ihm ihn ihre ihren ihrem ihrer sein seine seinen seinem seiner dies diese
dieser dieses diesen diesem dort dabei damit daher dadurch dafür dagegen danach darauf daraus darin darüber dazu
deshalb deswegen hier hierbei he she it they its their his her this these there thus""".split())

# The kinds of answer whose offer gets a weight of its own.
OFFER_KINDS = ("number", "date", "person", "place", "other")

FEATURES = (
    "coverage",          # weighted share of the question's words in the sentence or (CONTEXT_WEIGHT) its context
    "coverage_lead",     # coverage minus the best coverage among the candidates
    "coverage_first",    # 1 for the candidate with the best coverage
    "spelling",          # share of the question's character 4-grams in the sentence and its context
    "own",               # of the question's words its context lacks, the weighted share the sentence holds
    "window_cosine",     # question's cosine with the sentence joined with the one before (stored vectors)
    "window_lead",       # window cosine minus the best among the candidates
    "document_cosine",   # … with the sentence joined with its paragraph's and document's first sentences
    "after_restating",   # the sentence before holds the question's words but not what is asked
    "previous_coverage",  # weighted share of the question's words the sentence just before holds itself
    "refers_back",       # the sentence opens with a pronoun or demonstrative ("Sie", "Dort", "Damit")
    "continues",         # refers_back times previous_coverage: it goes on about what the question names
    "next_offers",       # the sentence after offers what is asked
    "passage_lead",      # fused retrieval score of its best passage minus the first passage's
    "first_passage",     # 1 when it stands in the first passage
    "novelty",           # share of the sentence's words that are not the question's
    "length",            # log of the sentence's word count
    "trust",             # how much the question speaks the corpus's language (ranking.lexical_trust)
    "language",          # share of its stop words the corpus holds (ranking.language_share)
    *(f"offer_{kind}" for kind in OFFER_KINDS),
)


@dataclass(frozen=True)
class Sentence:
    """A candidate sentence, what surrounds it in its document, and how close it is to the question.

    ``row`` is its row in the index's sentence vectors, ``start``/``end`` its offsets in
    document ``doc_id``'s text; ``previous``/``following`` the sentences next to it in
    that document (None at an edge); ``context`` what it may refer back to (up to two
    sentences before it in its paragraph, the paragraph's and the document's first);
    ``heading`` a line of its own without a sentence's end. ``window_cosine`` is the
    question's cosine with its stored vector plus the previous sentence's (same paragraph),
    ``document_cosine`` with its vector plus the mean of its paragraph's and document's
    first sentences'. ``passage`` is the best rank (0-based)
    among the retrieved passages that hold it, ``passage_lead`` that passage's fused score
    minus the first passage's.
    """

    row: int
    doc_id: str
    start: int
    end: int
    text: str
    previous: str | None
    following: str | None
    context: tuple[str, ...]
    heading: bool
    window_cosine: float
    document_cosine: float
    passage: int
    passage_lead: float


@dataclass(frozen=True)
class Candidate:
    """A candidate :class:`Sentence` with its features and whether it offers what is asked."""

    sentence: Sentence
    features: np.ndarray
    offers: bool

    @property
    def row(self) -> int:
        """The sentence's row in the index's sentence vectors."""
        return self.sentence.row

    @property
    def text(self) -> str:
        """The sentence."""
        return self.sentence.text

    @property
    def passage(self) -> int:
        """The best rank (0-based) among the retrieved passages that hold the sentence."""
        return self.sentence.passage

# ------------------------------------------------------------------ features

# One long function on purpose: each block computes one group of FEATURES in their order,
# and reading them top to bottom is how the feature table is checked.
def features(question: Question, sentences: Sequence[Sentence], idf: IdfLookup | None, trust: float,
             language: float) -> list[Candidate]:
    """The candidates: each sentence with its row of :data:`FEATURES` and whether it offers what is asked.

    ``idf`` maps stems to their rarity in the collection (all 1 if None); ``trust`` and
    ``language`` say how much the question speaks the corpus's language
    (:func:`fundstelle.ranking.lexical_trust`, :func:`fundstelle.ranking.language_share`).
    """
    kind = question.kind
    stems = list(question.stems)
    rarity = list(idf(stems)) if idf is not None and stems else [1.0] * len(stems)
    facts = [sentence_facts(s.text) for s in sentences]
    found = [[holds(stem, fact) for stem in stems] for fact in facts]
    weights = rarity_weights(stems, rarity, found)  # the same weights as the highlighter's
    total = sum(weights.values()) or 1.0
    question_grams = grams(question.text)
    question_stems = set(stems)
    offer_kind = kind if kind in OFFER_KINDS else "other"
    typed = kind in TYPED_KINDS
    # Neighbours and contexts are mostly candidates too: each text is read once.
    offered_of: dict[str, bool] = {}
    held_of: dict[str, list[float]] = {s.text: row for s, row in zip(sentences, found)}

    def offer(text: str) -> bool:
        if text not in offered_of:
            offered_of[text] = offers_asked(text, question)
        return offered_of[text]

    def held_in(text: str) -> list[float]:
        if text not in held_of:
            fact = sentence_facts(text)
            held_of[text] = [holds(stem, fact) for stem in stems]
        return held_of[text]

    def own_coverage(held: list[float]) -> float:
        return sum(weights[stem] * value for stem, value in zip(stems, held)) / total

    def spelled_in(text: str) -> frozenset[str]:  # the question's 4-grams a text holds
        if text not in spelled_of:
            spelled_of[text] = question_grams & sentence_facts(text).grams
        return spelled_of[text]

    spelled_of: dict[str, frozenset[str]] = {}
    offered = [offer(s.text) for s in sentences]
    rows = []
    for i, (sentence, fact) in enumerate(zip(sentences, facts)):
        context_held = [held_in(text) for text in sentence.context]
        in_context = [max(values) for values in zip(*context_held)] if context_held else [0.0] * len(stems)
        held = own_held = own_total = 0.0
        for j, stem in enumerate(stems):
            if in_context[j] < 0.6:  # a word the context does not give: the sentence must
                own_total += weights[stem]
                own_held += weights[stem] * found[i][j]
            held += weights[stem] * max(found[i][j], CONTEXT_WEIGHT * in_context[j])
        seen_grams = spelled_in(sentence.text).union(*(spelled_in(text) for text in sentence.context))
        words = [token.stem for token in fact.tokens]
        new_words = sum(1 for word in words if word not in question_stems)
        following = sentence.following
        first_word = sentence.text.lstrip(" \t\"„“‚'(").split(" ", 1)[0].rstrip(",.;:").lower()
        rows.append({
            "refers_back": float(first_word in ANAPHORS),
            "coverage": held / total,
            "spelling": len(seen_grams) / len(question_grams) if question_grams else 0.0,
            "own": own_held / own_total if own_total else 0.0,
            "window_cosine": sentence.window_cosine,
            "document_cosine": sentence.document_cosine,
            "next_offers": float(typed and following is not None and offer(following)),
            "passage_lead": sentence.passage_lead,
            "first_passage": float(sentence.passage == 0),
            "novelty": new_words / len(words) if words else 0.0,
            "length": math.log1p(len(words)),
            "trust": trust,
            "language": language,
            **{f"offer_{k}": float(k == offer_kind and (offered[i] if typed else bool(offers(sentence.text, question))))
               for k in OFFER_KINDS},
            # own coverage when the sentence lacks what is asked: it restates the question
            "restates": float(typed and not offered[i]) * own_coverage(found[i]),
        })
    if rows:
        top_coverage = max(range(len(rows)), key=lambda i: rows[i]["coverage"])
        top_window = max(row["window_cosine"] for row in rows)
    position = {s.row: i for i, s in enumerate(sentences)}
    for i, row in enumerate(rows):
        row["coverage_lead"] = row["coverage"] - rows[top_coverage]["coverage"]
        row["coverage_first"] = float(i == top_coverage)
        row["window_lead"] = row["window_cosine"] - top_window
        before = position.get(sentences[i].row - 1)
        row["after_restating"] = rows[before]["restates"] if before is not None and sentences[i].previous else 0.0
        previous = sentences[i].previous
        row["previous_coverage"] = own_coverage(held_in(previous)) if previous else 0.0
        row["continues"] = row["refers_back"] * row["previous_coverage"]
    matrix = np.array([[row[name] for name in FEATURES] for row in rows], dtype=np.float64).reshape(-1, len(FEATURES))
    return [Candidate(s, vector, o) for s, vector, o in zip(sentences, matrix, offered)]


# ------------------------------------------------------------------ the choice and the confidence

@dataclass(frozen=True)
class Choice:
    """The chosen candidate (its position among the candidates) and how sure the model is of it."""

    index: int
    confidence: float
    offers: bool  # it offers what is asked (always True for questions of no typed kind)


def choose(candidates: Sequence[Candidate], scores: np.ndarray, question: Question) -> int:
    """Position of the answer among ``candidates`` by their ``scores``, what is asked taken as a constraint.

    Headings are never chosen (unless nothing else is there). When the best sentence
    lacks the asked kind and the sentence after it (or else before it) among the
    candidates offers it, the answer is that neighbour.
    """
    allowed = np.asarray([not c.sentence.heading for c in candidates])
    ranked = np.where(allowed, scores, scores - 1e6) if allowed.any() else scores
    best = int(np.argmax(ranked))
    if question.kind in TYPED_KINDS and not candidates[best].offers:
        position = {c.row: i for i, c in enumerate(candidates)}
        for row in (candidates[best].row + 1, candidates[best].row - 1):
            near = position.get(row)
            if near is not None and candidates[near].offers and candidates[near].sentence.doc_id == \
                    candidates[best].sentence.doc_id and allowed[near]:
                return near
    return best


# What the confidence is computed from, per question: the chosen candidate's share of the
# probability among all candidates and its lead over the best other, how close the
# question comes to anything in the candidates at all (best window cosine, best
# coverage: these tell an unanswerable question from an answerable one), how much of the
# question the chosen one covers itself, how much the question speaks the documents'
# language, and whether what is asked is offered (or nothing typed is asked).
CONFIDENCE_INPUTS = ("probability", "lead", "best_cosine", "best_coverage", "chosen_own", "trust",
                     "offers", "untyped")
_MAX_LEAD = 4.0


def confidence_inputs(scores: np.ndarray, candidates: Sequence[Candidate], chosen: int,
                      question: Question) -> np.ndarray:
    """The values of :data:`CONFIDENCE_INPUTS` for one question's candidates, ``chosen`` being the answer."""
    scores = np.asarray(scores, dtype=np.float64)
    shares = np.exp(scores - scores.max())
    shares /= shares.sum()
    others = np.delete(scores, chosen)
    lead = min(float(scores[chosen] - others.max()), _MAX_LEAD) if len(others) else _MAX_LEAD
    matrix = np.stack([c.features for c in candidates])
    typed = question.kind in TYPED_KINDS
    return np.array([
        shares[chosen], max(lead, -_MAX_LEAD), matrix[:, FEATURES.index("window_cosine")].max(),
        matrix[:, FEATURES.index("coverage")].max(), matrix[chosen, FEATURES.index("own")],
        matrix[chosen, FEATURES.index("trust")], float(typed and candidates[chosen].offers), float(not typed),
    ])


@dataclass(frozen=True)
class Logistic:
    """A logistic regression on standardised inputs: ``sigmoid(((x - mean) / scale) @ weights + bias)``."""

    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def logit(self, inputs: np.ndarray) -> np.ndarray:
        """The log-odds for each row of ``inputs`` (or for one row)."""
        return ((inputs - self.mean) / self.scale) @ self.weights + self.bias

    def probability(self, inputs: np.ndarray) -> np.ndarray:
        """The probability for each row of ``inputs`` (or for one row)."""
        return 1.0 / (1.0 + np.exp(-self.logit(inputs)))

    def to_dict(self) -> dict[str, object]:
        """The coefficients as JSON-ready lists."""
        return {"mean": [round(float(x), 6) for x in self.mean], "scale": [round(float(x), 6) for x in self.scale],
                "weights": [round(float(x), 6) for x in self.weights], "bias": round(float(self.bias), 6)}

    @classmethod
    def from_dict(cls, data: dict[str, object]) -> Logistic:
        """Read coefficients written by :meth:`to_dict`."""
        mean, scale, weights = (np.asarray(data[key], dtype=np.float64) for key in ("mean", "scale", "weights"))
        return cls(mean, scale, weights, float(data["bias"]))  # type: ignore[arg-type]


# A question counts as asked in the documents' language when at least this share of its
# stop words occurs in them (fundstelle.ranking.language_share; on XQuAD, German
# questions score 1, Spanish and Chinese ones near 0). The two populations' features
# mean different things (a Chinese question shares no word with any sentence), so each
# has a model of its own.
NATIVE_SHARE = 0.5


@dataclass(frozen=True)
class Profile:
    """The answer model for one kind of question: which sentence, and how sure."""

    sentences: Logistic
    confidence: Logistic

    def to_dict(self) -> dict[str, object]:
        """The coefficients as JSON-ready data."""
        return {"sentences": self.sentences.to_dict(), "confidence": self.confidence.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, dict[str, object]]) -> Profile:
        """Read coefficients written by :meth:`to_dict`."""
        return cls(Logistic.from_dict(data["sentences"]), Logistic.from_dict(data["confidence"]))


# The confidence an answer may show whose sentence lacks what the question asks for.
UNMET_CEILING = 0.49


@dataclass(frozen=True)
class AnswerModel:
    """The fitted answer model: which sentence, how sure, and from what confidence on to answer.

    ``native`` serves questions in the documents' language, ``foreign`` the others
    (:data:`NATIVE_SHARE`). Each profile's ``sentences`` scores candidate sentences
    (rows of :data:`FEATURES`; the highest is the answer) and its ``confidence`` turns
    a question's :func:`confidence_inputs` into the probability that its best
    candidate holds the answer; an answer is given from ``threshold`` on.
    """

    native: Profile
    foreign: Profile
    threshold: float
    provenance: dict[str, object]

    def profile(self, matrix: np.ndarray) -> Profile:
        """The profile for a question, from its candidates' features."""
        return self.native if is_native(matrix) else self.foreign

    def score(self, matrix: np.ndarray) -> np.ndarray:
        """Scores of candidate sentences (a conditional logit); higher means more likely the answer."""
        return self.profile(matrix).sentences.logit(matrix)

    def choose(self, candidates: Sequence[Candidate], question: Question) -> Choice | None:
        """The answer among ``candidates`` and how sure the model is of it (None without candidates).

        An answer whose sentence lacks the asked kind gets at most :data:`UNMET_CEILING`.
        """
        if not candidates:
            return None
        matrix = np.stack([c.features for c in candidates])
        scores = self.score(matrix)
        chosen = choose(candidates, scores, question)
        inputs = confidence_inputs(scores, candidates, chosen, question)
        confidence = float(self.profile(matrix).confidence.probability(inputs))
        met = question.kind not in TYPED_KINDS or candidates[chosen].offers
        if not met:
            confidence = min(confidence, UNMET_CEILING)
        return Choice(chosen, confidence, met)

    def answers(self, choice: Choice) -> bool:
        """Is the chosen sentence given as the answer (sure enough, and offering what is asked)?"""
        return choice.offers and choice.confidence >= self.threshold

    def to_dict(self) -> dict[str, object]:
        """The model as JSON-ready data (what ``answer_model.json`` holds)."""
        return {"features": list(FEATURES), "confidence_inputs": list(CONFIDENCE_INPUTS),
                "native_share": NATIVE_SHARE, "native": self.native.to_dict(), "foreign": self.foreign.to_dict(),
                "threshold": round(self.threshold, 4), "provenance": self.provenance}


def is_native(matrix: np.ndarray) -> bool:
    """Is the question behind these candidate features asked in the documents' language?"""
    return len(matrix) > 0 and float(matrix[0, FEATURES.index("language")]) >= NATIVE_SHARE


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_FILE) -> AnswerModel:
    """Read a fitted answer model (JSON) and check it fits this version's features."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if (tuple(data["features"]) != FEATURES or tuple(data["confidence_inputs"]) != CONFIDENCE_INPUTS
            or data.get("native_share") != NATIVE_SHARE):
        raise ValueError(f"answer model {path} was fitted on other features than this version computes; "
                         "refit it: python benchmarks/answers.py --fit")
    return AnswerModel(Profile.from_dict(data["native"]), Profile.from_dict(data["foreign"]),
                       float(data["threshold"]), dict(data.get("provenance", {})))
