"""Finding the answer inside a passage, and the question's words in it.

For each sentence of a hit the highlighter scores how well it answers the question:
how much of the question's (idf-weighted) stemmed vocabulary it holds, how many of
the question's character 4-grams it shares (catches German compounds), and whether
it offers what the question word asks for (a date for "wann", a number for "wie
viele", a name for "wer"). The best sentence is the answer span.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from .lexical import Token, analyze

__all__ = ["Answer", "Span", "find_terms", "pick_answer", "question_type"]

IdfLookup = Callable[[Sequence[str]], Sequence[float]]


@dataclass(frozen=True)
class Span:
    """A stretch of a hit's text: ``hit.text[start:end] == text``."""

    start: int
    end: int
    text: str


@dataclass(frozen=True)
class Answer:
    """The part of a hit that answers the question.

    ``start``/``end``/``text`` delimit the answering sentence in the hit's text;
    ``phrase``, when set, is the narrower span inside it that holds the answer
    itself (for example the number for "wie viele"); ``score`` is the sentence's
    answer score (higher is better, comparable within one hit).
    """

    start: int
    end: int
    text: str
    score: float
    phrase: Span | None = None


_MONTHS = (
    "januar|jänner|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember|"
    "january|february|march|april|may|june|july|august|september|october|november|december"
)
_CUES: dict[str, re.Pattern[str]] = {
    "date": re.compile(rf"\b(1\d{{3}}|20\d{{2}}|{_MONTHS}|jahrhundert|century)\b", re.IGNORECASE),
    "number": re.compile(r"\d|\b(ein|zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|"
                         r"hundert|tausend|million|millionen|milliarde|milliarden|dutzend|"
                         r"one|two|three|four|five|six|seven|eight|nine|ten|hundred|thousand|"
                         r"million|billion)\w*", re.IGNORECASE),
    "person": re.compile(r"\b[A-ZÄÖÜ][\w'-]+\s+(?:(?:von|van|de|der|la)\s+)?[A-ZÄÖÜ][\w'-]+"),
    "place": re.compile(r"\b(in|im|nach|aus|bei|an|am|auf|at|from|near)\s+[A-ZÄÖÜ]\w+"),
}
_QUESTION_TYPES = (
    ("date", re.compile(r"\b(wann|seit wann|bis wann|in welchem jahr|welches jahr|welchem jahrhundert|"
                        r"when|what year|which year)\b", re.IGNORECASE)),
    ("number", re.compile(r"\b(wie viele|wie viel|wieviel|wieviele|wie hoch|wie lange|wie alt|wie groß|"
                          r"wie weit|wie schwer|wie oft|how many|how much|how long|how old|how high|"
                          r"how far|how often)\b", re.IGNORECASE)),
    ("person", re.compile(r"\b(wer|wem|wen|wessen|who|whom|whose)\b", re.IGNORECASE)),
    ("place", re.compile(r"\b(wo|wohin|woher|where)\b", re.IGNORECASE)),
)


def question_type(question: str) -> str:
    """Classify what a question asks for: ``date``, ``number``, ``person``, ``place`` or ``other``."""
    for kind, pattern in _QUESTION_TYPES:
        if pattern.search(question):
            return kind
    return "other"


def _grams(text: str) -> set[str]:
    grams: set[str] = set()
    for word in re.findall(r"\w{4,}", text.lower()):
        grams.update(word[i:i + 4] for i in range(len(word) - 3))
    return grams


def _stem_matches(stem: str, question_stems: set[str]) -> bool:
    """Does a word of the text (``stem``) match one of the question's stems?"""
    if stem in question_stems:
        return True
    # German compounds: "Rechenzentrumskomplex" answers "Rechenzentrum".
    return any(len(q) >= 5 and stem.startswith(q) for q in question_stems)


def find_terms(text: str, question_tokens: Sequence[Token]) -> list[Span]:
    """Return the spans of ``text`` whose stems match the question's words."""
    question_stems = {token.stem for token in question_tokens}
    if not question_stems:
        return []
    return [
        Span(token.start, token.end, text[token.start:token.end])
        for token in analyze(text)
        if _stem_matches(token.stem, question_stems)
    ]


def pick_answer(
    question: str,
    question_tokens: Sequence[Token],
    text: str,
    sentences: Sequence[tuple[int, int]],
    idf: IdfLookup | None = None,
) -> Answer | None:
    """Pick the sentence of ``text`` that best answers ``question``.

    ``sentences`` are sentence spans into ``text``; ``idf`` maps stems to inverse
    document frequencies (all 1 if not given). Returns None for an empty text.
    """
    if not sentences:
        if not text.strip():
            return None
        sentences = [(0, len(text))]
    stems = sorted({token.stem for token in question_tokens})
    weights = dict(zip(stems, idf(stems) if idf and stems else [1.0] * len(stems)))
    total_weight = sum(weights.values()) or 1.0
    question_grams = _grams(question)
    kind = question_type(question)
    best: Answer | None = None
    for start, end in sentences:
        sentence = text[start:end]
        sentence_stems = {token.stem for token in analyze(sentence)}
        lexical = sum(
            w for stem, w in weights.items()
            if any(_stem_matches(word, {stem}) for word in sentence_stems)
        ) / total_weight
        grams = len(question_grams & _grams(sentence)) / len(question_grams) if question_grams else 0.0
        cue = 0.0
        if kind != "other" and _CUES[kind].search(sentence) and not _CUES[kind].search(question):
            cue = 1.0
        score = lexical + 0.7 * grams + 0.3 * cue - 0.02 * math.log1p(len(sentence) / 200)
        if best is None or score > best.score:
            best = Answer(start=start, end=end, text=sentence, score=round(score, 4))
    return best
