"""Choosing the answer: every sentence of the top passages, scored by a fitted model.

Retrieval brings the passages; the answer is the sentence among all of theirs that most
likely holds what the question asks. Each candidate sentence is described by a few
*features*: how similar it is to the question (the stored sentence vectors), how many of
the question's rarer words it holds (stemmed, compounds and split verbs included), whether
it offers what the question word asks for (a number for "wie viele", a year for "wann")
that the question does not already hold, what its neighbours hold (the answer often sits
in the sentence after the one that repeats the question), how well its passage ranked.

A logistic regression, fitted by ``benchmarks/answers.py`` on XQuAD (German articles;
German, Spanish and Chinese questions) with cross-validation grouped by article, turns
the features into a score; a second, small one turns the best candidate's score, its
lead over the runner-up and how close the question comes to anything at all
(:data:`CONFIDENCE_INPUTS`) into ``confidence``, a calibrated probability that the chosen
sentence holds the answer. Questions in the documents' language and the others get a
pair of models each (:data:`NATIVE_SHARE`). Below the model's ``threshold`` the reply
has no answer: the documents hold none that the model trusts. The fitted numbers live in
``answer_model.json`` beside this file, with the command, data and date that produced them.

The per-sentence facts (coverage with rarity weights, closeness, spelling, offers) are
those the highlighter sums for ``search()``, from :mod:`fundstelle.matching` and
:mod:`fundstelle.offers`; why ``search()`` does not use this model is said in
:mod:`fundstelle.highlight`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np

from .matching import IdfLookup, closeness, grams, holds, rarity_weights, sentence_facts
from .offers import answer_phrases, offers
from .question import Question

__all__ = [
    "CONFIDENCE_INPUTS",
    "FEATURES",
    "MODEL_FILE",
    "AnswerModel",
    "Candidate",
    "Logistic",
    "NATIVE_SHARE",
    "Profile",
    "confidence_inputs",
    "features",
    "is_native",
    "lacks_count",
    "load_model",
]

MODEL_FILE = Path(__file__).with_name("answer_model.json")

# The kinds of answer whose offer gets a weight of its own.
OFFER_KINDS = ("number", "date", "person", "place", "other")

FEATURES = (
    "cosine",            # question–sentence cosine (the index's first model)
    "cosine_lead",       # cosine minus the best cosine among the candidates
    "previous_cosine",   # cosine of the sentence before (0 at a document's start)
    "coverage",          # weighted share of the question's words the sentence holds
    "coverage_lead",     # coverage minus the best coverage among the candidates
    "previous_coverage",
    "next_coverage",
    "closeness",         # the same share within a window of a few words
    "spelling",          # share of the question's character 4-grams
    "novelty",           # share of the sentence's words that are not the question's
    "length",            # log of the sentence's word count
    "cosine_first",      # 1 for the candidate with the best cosine
    "coverage_first",    # 1 for the candidate with the best coverage
    "after_first",       # 1 when the sentence before is the best by cosine or by coverage
    "before_first",      # 1 when the sentence after is
    "continues",         # opens with a pronoun or demonstrative ("Dies", "Er"): continues the one before
    "carried",           # continues times the coverage of the sentence before
    "offered_coverage",  # coverage when the sentence offers what is asked, else 0
    "passage_lead",      # fused retrieval score of its best passage minus the first passage's
    "first_passage",     # 1 when it stands in the first passage
    "trust",             # how much the question speaks the corpus's language (ranking.lexical_trust)
    "language",          # share of its stop words the corpus holds (ranking.language_share)
    *(f"offer_{kind}" for kind in OFFER_KINDS),
)


@dataclass(frozen=True)
class Candidate:
    """A sentence that may answer the question, where it stands, and what describes it.

    ``row`` is the sentence's row in the index's sentence vectors; ``start``/``end``
    its offsets in document ``doc_id``'s text; ``passage`` the best rank (0-based)
    among the retrieved passages that hold it.
    """

    row: int
    doc_id: str
    start: int
    end: int
    text: str
    passage: int
    features: np.ndarray

# ------------------------------------------------------------------ features

# One long function on purpose: each block computes one group of FEATURES in their order,
# and reading them top to bottom is how the feature table is checked.
def features(
    question: Question,
    sentences: Sequence[str],
    neighbours: Sequence[tuple[str | None, str | None]],
    cosines: np.ndarray,
    previous_cosines: np.ndarray,
    passage_leads: np.ndarray,
    passages: np.ndarray,
    idf: IdfLookup | None,
    trust: float,
    language: float,
) -> np.ndarray:
    """The feature matrix (one row per candidate sentence, columns as :data:`FEATURES`).

    ``question`` is read once (:class:`fundstelle.question.Question`); ``neighbours[i]`` the
    sentences before and after sentence ``i`` in its document (None at an edge);
    ``cosines``/``previous_cosines`` question–sentence cosines of each sentence and of
    the one before it; ``passage_leads`` the fused score of each sentence's best
    passage minus the first passage's; ``passages`` that passage's rank (0-based);
    ``idf`` maps stems to their rarity in the collection (all 1 if None); ``trust``
    and ``language`` say how much the question speaks the corpus's language
    (:func:`fundstelle.ranking.lexical_trust`, :func:`fundstelle.ranking.language_share`).
    """
    kind = question.kind
    stems = list(question.stems)
    rarity = list(idf(stems)) if idf is not None and stems else [1.0] * len(stems)
    facts = [sentence_facts(text) for text in sentences]
    found = [[holds(stem, fact) for stem in stems] for fact in facts]
    weights = rarity_weights(stems, rarity, found)  # the same weights as the highlighter's
    total = sum(weights.values()) or 1.0

    def coverage(text: str | None) -> float:
        if not text or not stems:
            return 0.0
        fact = sentence_facts(text)
        return sum(weights[stem] * holds(stem, fact) for stem in stems) / total

    question_grams = grams(question.text)
    question_stems = set(stems)
    offer_kind = kind if kind in OFFER_KINDS else "other"
    rows = []
    for i, (text, fact) in enumerate(zip(sentences, facts)):
        held = sum(weights[stem] * value for stem, value in zip(stems, found[i])) / total
        words = [token.stem for token in fact.tokens]
        new_words = sum(1 for word in words if word not in question_stems)
        offered = bool(offers(text, question)) if kind != "other" else False
        row = {
            "cosine": float(cosines[i]),
            "previous_cosine": float(previous_cosines[i]),
            "coverage": held,
            "previous_coverage": coverage(neighbours[i][0]),
            "next_coverage": coverage(neighbours[i][1]),
            "continues": float(fact.continues),
            "closeness": closeness(fact, weights, total) if stems else 0.0,
            "spelling": len(question_grams & fact.grams) / len(question_grams) if question_grams else 0.0,
            "novelty": new_words / len(words) if words else 0.0,
            "length": math.log1p(len(words)),
            "passage_lead": float(passage_leads[i]),
            "first_passage": float(passages[i] == 0),
            "trust": trust,
            "language": language,
            **{f"offer_{k}": float(offered and k == offer_kind) for k in OFFER_KINDS},
        }
        row["carried"] = row["continues"] * row["previous_coverage"]
        row["offered_coverage"] = held * offered
        rows.append(row)
    if rows:
        top_cosine = max(range(len(rows)), key=lambda i: rows[i]["cosine"])
        top_coverage = max(range(len(rows)), key=lambda i: rows[i]["coverage"])
        tops = {sentences[top_cosine], sentences[top_coverage]}
    for i, row in enumerate(rows):
        row["cosine_lead"] = row["cosine"] - rows[top_cosine]["cosine"]
        row["coverage_lead"] = row["coverage"] - rows[top_coverage]["coverage"]
        row["cosine_first"] = float(i == top_cosine)
        row["coverage_first"] = float(i == top_coverage)
        row["after_first"] = float(neighbours[i][0] in tops)
        row["before_first"] = float(neighbours[i][1] in tops)
    return np.array([[row[name] for name in FEATURES] for row in rows], dtype=np.float64).reshape(-1, len(FEATURES))


# ------------------------------------------------------------------ the fitted model

# What the confidence is computed from, per question: how sure the sentence model is of
# its best candidate (its score and lead over the runner-up), how close the question
# comes to anything in the candidates at all (best cosine, best coverage: these tell an
# unanswerable question from an answerable one), and how much it speaks the documents'
# language (lexical trust). A question that asks for a number, date, person or place
# whose best candidate offers none of it ("unmet_number", …) is often not answered by
# the documents at all; numbers and dates are recognised more reliably than names,
# hence one input per kind.
_TYPED_KINDS = ("number", "date", "person", "place")
CONFIDENCE_INPUTS = ("best_score", "lead", "best_cosine", "best_coverage", "trust",
                     *(f"unmet_{k}" for k in _TYPED_KINDS))
_COUNT_QUESTION = re.compile(r"\b(?:wie ?viele|how many)\b", re.IGNORECASE)


def lacks_count(question: Question, sentence: str) -> bool:
    """Does a question that counts ("Wie viele …?") get a sentence without any number?

    Such a sentence is no answer, however well it matches: on XQuAD-de, 2 of the 19
    count questions whose best sentence held no number had it right (none of those
    about the missing paragraphs), so :meth:`fundstelle.Index.ask` answers none.
    """
    return bool(_COUNT_QUESTION.search(question.text)) and not answer_phrases(sentence, "number")
_MAX_LEAD = 4.0


def confidence_inputs(scores: np.ndarray, matrix: np.ndarray, question: Question) -> np.ndarray:
    """The values of :data:`CONFIDENCE_INPUTS` for one question's candidates (scores and features)."""
    ordered = np.sort(np.asarray(scores, dtype=np.float64))[::-1]
    lead = min(float(ordered[0] - ordered[1]), _MAX_LEAD) if len(ordered) > 1 else _MAX_LEAD
    best = matrix[int(np.argmax(scores))]
    kind = question.kind
    unmet = [float(kind == k and not best[FEATURES.index(f"offer_{k}")]) for k in _TYPED_KINDS]
    return np.array([ordered[0], lead, matrix[:, FEATURES.index("cosine")].max(),
                     matrix[:, FEATURES.index("coverage")].max(), best[FEATURES.index("trust")], *unmet])


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
        """Scores (log-odds) of candidate sentences; higher means more likely the answer."""
        return self.profile(matrix).sentences.logit(matrix)

    def sure(self, scores: np.ndarray, matrix: np.ndarray, question: Question) -> float:
        """Calibrated probability that the best-scoring candidate holds the answer to ``question``."""
        if len(scores) == 0:
            return 0.0
        return float(self.profile(matrix).confidence.probability(confidence_inputs(scores, matrix, question)))

    def answers(self, confidence: float, question: Question, sentence: str) -> bool:
        """Is ``sentence``, the best candidate with this confidence, given as the answer?"""
        return confidence >= self.threshold and not lacks_count(question, sentence)

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
