"""Matching the question's words in sentences: stems, word forms, compounds, closeness.

Both ways of choosing an answer sentence (the highlighter's for ``search()``,
:mod:`fundstelle.highlight`, and the fitted model's for ``ask()``, :mod:`fundstelle.answer`)
and the answer phrase (:mod:`fundstelle.phrase`) read sentences through these rules:

- a question stem is held by a sentence when a word of it has that stem, another form of
  it ("gegründet" as "gründete", "umbenannt" as "benannten … um") or holds it as part of
  a compound ("Rechenzentrumskomplex" holds "Rechenzentrum");
- each question stem weighs by its rarity in the collection (idf) and among the
  sentences compared (:func:`rarity_weights`): a word found in every sentence names the
  topic, a word found in one sentence points at the answer;
- :func:`closeness`: the weighted share of the question's words inside the best window
  of ``WINDOW`` words;
- spelling: character 4-grams (:func:`grams`) catch word forms the stemmer misses.

A sentence's analysis (:class:`SentenceFacts`) is cached per text, so a passage seen
before costs little.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .lexical import Token, analyze
from .results import Span

__all__ = [
    "WINDOW",
    "IdfLookup",
    "SentenceFacts",
    "closeness",
    "find_terms",
    "grams",
    "holds",
    "rarity_weights",
    "sentence_facts",
    "stem_matches",
    "word_match",
]

IdfLookup = Callable[[list[str]], Sequence[float]]

WINDOW = 8

_ANAPHORS = frozenset("""
    dieser diese dieses diesem diesen dies er sie es ihr ihre ihren ihrem ihrer ihres sein seine seinen
    seinem seiner seines dort damals dabei daher deshalb dadurch hierbei danach dazu davon darunter
    deren dessen derselbe dieselbe letzterer letztere jener jene solche
    this these those they he she it its their there then
    """.split())
_SPLIT_PARTICLES = ("zurück", "zusammen", "heraus", "hervor", "voran", "weiter", "wieder", "statt", "teil",
                    "fest", "fort", "nach", "ein", "aus", "auf", "ab", "an", "um", "zu", "vor", "mit", "bei",
                    "weg", "her", "hin")


@dataclass(frozen=True)
class SentenceFacts:
    """What matching needs to know of one sentence; computed once per text (:func:`sentence_facts`)."""

    tokens: tuple[Token, ...]
    stems: frozenset[str]
    words: frozenset[str]
    grams: frozenset[str]
    continues: bool  # opens with a pronoun or demonstrative: continues the sentence before


def grams(text: str) -> frozenset[str]:
    """Character 4-grams of the words of ``text`` (lower case)."""
    found: set[str] = set()
    for word in re.findall(r"\w{4,}", text.lower()):
        found.update(word[i:i + 4] for i in range(len(word) - 3))
    return frozenset(found)


@lru_cache(maxsize=4096)  # some 15 kB each (60 MB at most): the sentences of recent hits
def sentence_facts(text: str) -> SentenceFacts:
    """Analyse one sentence (cached: passages come back in later searches)."""
    tokens = tuple(analyze(text))
    words = re.findall(r"\w+", text.lower())
    return SentenceFacts(tokens, frozenset(t.stem for t in tokens), frozenset(words), grams(text),
                         any(word in _ANAPHORS for word in words[:4]))


@lru_cache(maxsize=20_000)
def _other_forms(stem: str) -> tuple[tuple[str, str], ...]:
    """Forms a question word takes in a sentence, with the particle that must stand there too.

    "gegründet" appears as "gründete"; "umbenannt" as "benannten … um"; "ausgewählt" as
    "wählte … aus".
    """
    forms = []
    if stem.startswith("ge") and len(stem) >= 6:
        forms.append((stem[2:], ""))
    for particle in _SPLIT_PARTICLES:
        rest = stem[len(particle):]
        if stem.startswith(particle) and len(rest) >= 4:
            forms.append((rest, particle))
            if rest.startswith("ge") and len(rest) >= 6:
                forms.append((rest[2:], particle))
            break
    return tuple(forms)


def word_match(word: str, stem: str) -> float:
    """How well a sentence stem matches a question stem: 1 the same, less for compound parts."""
    if word == stem:
        return 1.0
    if len(stem) >= 5 and (word.startswith(stem) or word.endswith(stem)):
        return 0.8  # "Rechenzentrumskomplex" holds "Rechenzentrum"
    if len(word) >= 4 and (stem.startswith(word) or stem.endswith(word)):
        return 0.6  # "Pest" is part of "Pestausbrüche"
    return 0.0


def holds(stem: str, sentence: SentenceFacts) -> float:
    """How well a sentence holds a question stem (best over its words and their other forms)."""
    if stem in sentence.stems:
        return 1.0
    for form, particle in _other_forms(stem):
        if form in sentence.stems and (not particle or particle in sentence.words):
            return 0.9
    # Only a word that holds the stem, or is held by it, can match (word_match): the
    # substring test, in C, spares a Python call for every other word.
    return max((word_match(word, stem) for word in sentence.stems if stem in word or word in stem), default=0.0)


def stem_matches(stem: str, question_stems: set[str]) -> bool:
    """Does a word of the text (``stem``) match one of the question's stems?"""
    return stem in question_stems or any(
        word_match(stem, q) >= (0.6 if len(stem) >= 5 else 0.8) for q in question_stems if q in stem or stem in q)


def find_terms(text: str, question_tokens: Sequence[Token]) -> list[Span]:
    """Return the spans of ``text`` whose stems match the question's words."""
    question_stems = {token.stem for token in question_tokens}
    if not question_stems:
        return []
    matches: dict[str, bool] = {}  # a passage repeats its words: each is matched once
    spans = []
    for token in _passage_tokens(text):
        matched = matches.get(token.stem)
        if matched is None:
            matched = matches[token.stem] = stem_matches(token.stem, question_stems)
        if matched:
            spans.append(Span(token.start, token.end, text[token.start:token.end]))
    return spans


@lru_cache(maxsize=1024)  # a passage's words, a few kB: hits come back in later searches
def _passage_tokens(text: str) -> tuple[Token, ...]:
    return tuple(analyze(text))


def rarity_weights(stems: Sequence[str], idf: Sequence[float],
                   found: Sequence[Sequence[float]]) -> dict[str, float]:
    """Each question stem's weight among the sentences compared.

    ``idf`` holds each stem's rarity in the collection, ``found[i][j]`` how well sentence
    ``i`` holds stem ``j`` (:func:`holds`). A word every sentence holds names the topic; a
    word few hold points at the answer: the weight is ``idf × log(1 + n / (0.5 + holders))``.
    """
    return {
        stem: idf[j] * math.log(1 + len(found) / (0.5 + sum(1 for row in found if row[j] > 0)))
        for j, stem in enumerate(stems)
    }


def closeness(sentence: SentenceFacts, weights: dict[str, float], total: float) -> float:
    """Best weighted share of the question's words inside a window of ``WINDOW`` words."""
    hits = []
    for position, token in enumerate(sentence.tokens):
        best, score = None, 0.0
        for stem in weights:
            if stem not in token.stem and token.stem not in stem:
                continue  # no match possible (word_match); skipped for speed
            value = word_match(token.stem, stem)
            if value > score:
                best, score = stem, value
        if best is not None:
            hits.append((position, best, score))
    top = 0.0
    for i, (start, _, _) in enumerate(hits):
        seen: dict[str, float] = {}
        for position, stem, score in hits[i:]:
            if position - start >= WINDOW:
                break
            seen[stem] = max(seen.get(stem, 0.0), score)
        top = max(top, sum(weights[stem] * score for stem, score in seen.items()) / total)
    return top
