"""The answer phrase: the few words of an answering sentence that answer the question.

Given a question and one sentence that answers it, :func:`answer_phrase` names the span
a reader would underline ("vier Milliarden US-Dollar"), or None when no rule is sure.
The rules follow the question word (``fundstelle.question.Question.kind``):

- *Numbers* ("wie viele", "wie viel", "wie hoch", "wie alt", "wie lange", "wie oft",
  "welcher Prozentsatz"): the number phrases of the sentence that the question does not
  already hold (not years, days or ordinals). Preferred, in order: a number counting
  what the question counts ("24 Interceptions" for "Wie viele Interceptions"), one of the
  asked sort (an amount with currency, magnitude or unit for "wie viel"; a percentage
  for "Prozentsatz"; a time for "wie alt" and "wie lange"), the one nearest the
  question's words. For "wie viele" the counted noun is left out ("308", not "308
  Punkte"), units of measure stay ("5.500.000 Quadratkilometer").
- *Dates* ("wann", "in welchem Jahr"): the date phrase nearest the question's words
  that the question does not hold, only the year for "in welchem Jahr"; none when a
  second date stands nearly as near (``DATE_MARGIN``).
- *Persons* ("wer", "wem", "welcher Dichter"): a run of capitalised words not named in
  the question and not shaped like German common nouns; a role word before it is left
  out ("der Dichter Theodor Fontane"), a long run keeps its last two names, a lone word
  counts only after a role word. Where the sentence is passive and the question is not
  ("Wer entwickelte …?" over "… wurde von Charles Richard entwickelt"), the agent after
  "von"/"durch" is the answer. Names listed with "und" are one answer.
- *Names* ("wie heißt", "wie lautet"): what the sentence names ("… wird Gemeinde
  genannt", "mit dem Namen Abilene"), a quotation, else a name as above; a score
  ("20-18") for "wie lautete der Endstand".
- *"Welche X"* and *places* ("wo", "welche Stadt"): X of the sentence with what the
  question lacks: a name right after it ("der Fluss Tyne"), capitalised adjectives
  before it ("Welches Meer" → "Japanischen Meer") or a compound ending in it ("Welcher
  Wald" → "Laubwald"); for places also a name after "in", "nach", "aus" ….

Other questions ("was", "warum", "wie") get no phrase: no rule here picks their answer
reliably. "Nearest" weighs each question word found near a phrase by 1 / words between,
and by its idf when the caller gives one. ``benchmarks/phrases.py`` measures the rules on
XQuAD-de's answering sentences.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, replace

from .lexical import Token, analyze
from .matching import IdfLookup, sentence_facts, word_match
from .names import LISTED_PARTICLES, Name, capital, join_listed, names, word_tokens
from .offers import DATE_PHRASE, NUMBER_PHRASE, PLACE_PHRASE, QUOTED, YEAR, first_is_stop, is_day, is_money
from .question import SORT_NOUNS, Question
from .results import AnswerSpan, Span

__all__ = ["ALL_KINDS", "SHOWN_KINDS", "answer_phrase", "with_phrase"]

# The kinds of question the rules below narrow, and those whose phrases are shown: on
# sentences that hold the answer, XQuAD-de's held-out half gets exact matches of about
# 0.6 for numbers and 0.75 for dates, but under 0.45 for persons, names, places and
# "welche X" (python benchmarks/phrases.py), so those keep the whole sentence — except a
# naming question whose sentence holds one quoted title it does not ("Wie heißt das
# Projekt?" over „Project Rainier“): that title is shown (exact in 1 of 4 on the dev half,
# 7 of 9 held out).
ALL_KINDS = ("number", "date", "person", "name", "place", "other")
SHOWN_KINDS = ("number", "date")

_AMOUNT = re.compile(r"\b(?:wie ?viel|wie hoch|wie teuer|how much)\b", re.IGNORECASE)
_COUNTED = re.compile(r"\b(?i:wie ?viele|how many)\s+(?:[a-zäöüß][\w-]*\s+){0,2}([A-ZÄÖÜ][\w-]*)")
_PERCENT_QUESTION = re.compile(r"prozent|anteil|percent", re.IGNORECASE)
_AGE_QUESTION = re.compile(r"\bwie alt\b|\bhow old\b", re.IGNORECASE)
_DURATION_QUESTION = re.compile(r"\bwie lange\b|\bhow long\b", re.IGNORECASE)
_FREQUENCY_QUESTION = re.compile(r"\bwie oft\b|\bhow often\b", re.IGNORECASE)
_YEAR_ONLY = re.compile(r"\b(?:welche[mns]?|which|what)\s+jahr\b|\bwhat year\b", re.IGNORECASE)
_MAGNITUDE = re.compile(r"%|Prozent|percent|Millionen|Million|Milliarden|Milliarde|Billionen|Mio\.|Mrd\.|"
                        r"Dollar|Euro|Pfund|GBP|USD|EUR|\$|€|£", re.IGNORECASE)
_PERCENT = re.compile(r"%|Prozent|percent", re.IGNORECASE)
_TIME_UNIT = re.compile(r"\b(?:Jahre?n?|Monate?n?|Wochen?|Tage?n?|Stunden?|Minuten?|Sekunden?|"
                        r"years?|months?|weeks?|days?|hours?|minutes?|seconds?)$")
# Words that measure rather than count: kept after the number even when the question names them.
_MEASURE = re.compile(r"(?:meter|meilen|tonnen|gramm|liter|watt|grad|hektar|fuß|zoll|prozent|dollar|euro|pfund|"
                      r"yards?|miles?|tons?)$", re.IGNORECASE)


@dataclass(frozen=True)
class _Reading:
    """The sentence's words, and how strongly each stands for a word of the question."""

    sentence: str
    tokens: tuple[Token, ...]
    stems: tuple[str, ...]
    strength: tuple[tuple[float, ...], ...]  # per sentence token, per question stem: weight × match

    def asks_about(self, start: int, end: int, only: bool = False) -> bool:
        """Tell whether the stretch holds a word of the question (``only``: nothing but such words)."""
        inside = [max(row, default=0.0) > 0 for t, row in zip(self.tokens, self.strength, strict=True)
                  if start <= t.start < end]
        return bool(inside) and (all(inside) if only else any(inside))

    def closeness(self, start: int, end: int) -> float:
        """How near the question's words stand to the stretch: each word counts 1 / (1 + words between)."""
        left = sum(1 for t in self.tokens if t.end <= start)
        right = sum(1 for t in self.tokens if t.start < end)
        total = 0.0
        for q in range(len(self.stems)):
            best = 0.0
            for i, row in enumerate(self.strength):
                if row[q] and not left <= i < right:
                    gap = left - i if i < left else i - right + 1
                    best = max(best, row[q] / gap)
            total += best
        return total


def _read(question: Question, sentence: str, idf: IdfLookup | None) -> _Reading:
    stems = question.stems
    weights = list(idf(list(stems))) if idf and stems else [1.0] * len(stems)
    tokens = sentence_facts(sentence).tokens  # cached: the sentence was mostly read before, to choose it
    strength = tuple(tuple(weight * _strength(token.stem, stem) for stem, weight in zip(stems, weights, strict=True))
                     for token in tokens)
    return _Reading(sentence, tokens, stems, strength)


def _strength(word: str, stem: str) -> float:
    """How well a sentence word stands for a question word (compound parts count less)."""
    if stem not in word and word not in stem:
        return 0.0  # no match possible (word_match); skipped for speed
    match = word_match(word, stem)
    return match if match >= (0.6 if len(word) >= 5 else 0.8) else 0.0


def _word_end(sentence: str, end: int) -> int:
    """Return where the word going on at ``end`` ends (word tokens cut "MPEG-4" and "Astra 2A")."""
    while end < len(sentence) and re.match(r"[^\s,;:()\"„“”»«]", sentence[end]) \
            and not re.match(r"\.(?:\s|$)", sentence[end:end + 2]):
        end += 1
    return end


def _trim(sentence: str, start: int, end: int) -> Span | None:
    """Return the stretch as a span, without a leading preposition and trailing punctuation."""
    text = sentence[start:end]
    stripped = re.sub(r"^(?:nur|only|in den|in|im|am|ab|um)\s+", "", text).strip(" ,;:()")
    if stripped.endswith(".") and not re.search(r"(?:\b\w|\b[IVX]+)\.$", stripped):
        stripped = stripped[:-1]
    if not stripped:
        return None
    start += text.index(stripped)
    return Span(start, start + len(stripped), stripped)


# A date is shown only if the runner-up date stands clearly farther from the question's
# words: closeness at least 10 % lower (fitted on the dev half of XQuAD-de).
DATE_MARGIN = 0.1


def _nearest(reading: _Reading, offers: list[tuple[int, int]], margin: float = 0.0) -> tuple[int, int] | None:
    """Pick the offer nearest to the question's words; None if the runner-up is within ``margin``."""
    ranked = sorted(offers, key=lambda span: (reading.closeness(*span), -span[0]), reverse=True)
    if len(ranked) > 1:
        first, second = reading.closeness(*ranked[0]), reading.closeness(*ranked[1])
        if first - second < margin * first:
            return None
    return ranked[0]


# ------------------------------------------------------------------ numbers and dates

def _nearest_whole(reading: _Reading, offers: list[tuple[int, int]]) -> Span | None:
    """The offer nearest the question's words, to the end of its last word, trimmed; None without offers."""
    chosen = _nearest(reading, offers) if offers else None
    if chosen is None:
        return None
    return _trim(reading.sentence, chosen[0], _word_end(reading.sentence, chosen[1]))


def _in_question(text: str, question: str) -> bool:
    """Tell whether the question holds this number or word group as a whole."""
    return bool(re.search(rf"(?<![\w.,]){re.escape(text)}(?![\w]|[.,]\d)", question, re.IGNORECASE))


def _number_phrase(question: Question, reading: _Reading) -> Span | None:
    sentence, asked = reading.sentence, question.text
    counted = _COUNTED.search(asked)
    offers = []
    for match in NUMBER_PHRASE.finditer(sentence):
        start, end = match.span()
        if YEAR.fullmatch(match.group(0)) or re.fullmatch(r"(?:1\d|20)\d\d\s?[-–]\s?\d\d", match.group(0)) \
                or is_day(sentence, end) or re.match(r"\.\s", sentence[end:end + 2]):
            continue  # a year ("1620-21"), a day or an ordinal ("19. Jahrhundert")
        number = re.search(r"\d+(?:[.,:]\d+)*|\w+", match.group(0))
        if number and _in_question(number.group(0), asked):
            continue
        words = match.group(0).split()
        if counted and len(words) > 1 and words[-1][:1].isupper() and not _MAGNITUDE.fullmatch(words[-1]) \
                and not _MEASURE.search(words[-1]):
            end = start + len(match.group(0).rsplit(None, 1)[0])  # "308 Punkte": the thing counted is asked
            noun = words[-1]
        else:
            noun = words[-1] if len(words) > 1 else ""
        offers.append((start, end, noun))
    if not offers:
        return None

    def preference(offer: tuple[int, int, str]) -> tuple[bool, bool, float]:
        start, end, noun = offer
        text = sentence[start:end]
        counts = bool(counted and noun and _strength(_stem(noun), _stem(counted.group(1))))
        if _PERCENT_QUESTION.search(asked):
            fits = bool(_PERCENT.search(text))
        elif question.money:
            fits = is_money(sentence, start, end)
        elif _AMOUNT.search(asked):
            fits = bool(_MAGNITUDE.search(text) or _MEASURE.search(text))
        elif _AGE_QUESTION.search(asked) or _DURATION_QUESTION.search(asked):
            fits = bool(_TIME_UNIT.search(text) or _TIME_UNIT.search(noun))
        else:
            fits = True
        return counts, fits, reading.closeness(start, end)

    start, end, _ = max(offers, key=preference)
    text = sentence[start:end]
    if _AGE_QUESTION.search(asked) and re.fullmatch(r"\S+\s+Jahre?n?", text):
        end = start + len(text.split()[0])
    if _FREQUENCY_QUESTION.search(asked) and sentence[max(0, start - 5):start] == "alle ":
        start -= 5
    return _trim(sentence, start, end)


def _stem(word: str) -> str:
    tokens = analyze(word)
    return tokens[-1].stem if tokens else word.lower()


def _date_phrase(question: Question, reading: _Reading) -> Span | None:
    sentence, asked = reading.sentence, question.text
    offers = [m.span() for m in DATE_PHRASE.finditer(sentence) if not _in_question(m.group(0).strip(), asked)]
    offers = [(s, e) for s, e in offers if not _in_question(sentence[s:e].split()[-1], asked)]
    if not offers:
        return None
    chosen = _nearest(reading, offers, DATE_MARGIN)
    if chosen is None:
        return None
    start, end = chosen
    if _YEAR_ONLY.search(asked):
        year = re.compile(r"(?:1\d|20)\d\d(?!er|s\b)").search(sentence, start, end)
        if year:
            start, end = year.span()
    return _trim(sentence, start, end)


# ------------------------------------------------------------------ names

# A capitalised adjective opens a noun phrase, not a person's name: "Vereinigten Staaten".
_ADJECTIVE = re.compile(r"(?:sch|lich|ig|t)(?:e|en|er|es|em)$")
# "Welche Art von …": the noun names only the kind of answer.
_TYPE_WORDS = SORT_NOUNS | frozenset("typ name namen begriff bezeichnung".split())


def _head(question: Question) -> str:
    return re.split(r"[-–]", question.head_noun.lower())[-1] if question.head_noun else ""


def _person(sentence: str, name: Name) -> tuple[int, int] | None:
    """Return the person a name run stands for: its last two names ("… Defensive Tackle Kawann Short").

    None if the run opens with a capitalised adjective ("Deutschen Demokratischen Republik"), or
    is one word in no role ("Sauerstoff" is as likely as "Miller").
    """
    words = word_tokens(sentence[name.start:name.end])
    if _ADJECTIVE.search(words[0][2]) or (name.words == 1 and not name.apposed):
        return None
    capitals = [i for i, w in enumerate(words) if capital(w[2]) and not re.fullmatch(r"[A-ZÄÖÜ]\.", w[2])]
    if len(capitals) <= 2 or name.article or any(w[2].lower() in LISTED_PARTICLES for w in words):
        return name.start, name.end
    return name.start + words[capitals[-2]][0], name.end


_PASSIVE = re.compile(r"\b(?:wurde|wurden|worden|wird|werden)\b", re.IGNORECASE)


def _name_phrase(question: Question, reading: _Reading, kind: str) -> Span | None:
    sentence, asked = reading.sentence, question.text
    runs = [n for n in names(sentence, "phrase", _head(question)) if not reading.asks_about(n.start, n.end)]
    if kind == "person":
        offers = join_listed(sentence, [span for n in runs if (span := _person(sentence, n)) is not None], "phrase")
        if _PASSIVE.search(sentence) and not _PASSIVE.search(asked):
            # "Wer entwickelte …?" over "… wurde von Charles Richard entwickelt": the agent after "von".
            agents = [span for span in join_listed(sentence, [(n.start, n.end) for n in runs], "phrase")
                      if re.search(r"\b(?:von|durch)\s+$", sentence[:span[0]])]
            offers = agents or offers
    else:
        offers = join_listed(sentence, [(n.start, n.end) for n in runs], "phrase")
    if kind == "name":
        if _SCORE_QUESTION.search(asked):
            offers = [m.span() for m in _SCORE.finditer(sentence)]
        else:
            # A name may hold a word of the question ("Southwest Fresno" for the West Side of Fresno).
            named = [span for span in _named(sentence) if not reading.asks_about(*span, only=True)]
            offers = (named or offers) + [m.span(1) for m in QUOTED.finditer(sentence)
                                          if not reading.asks_about(*m.span(1), only=True)]
    return _nearest_whole(reading, offers)


# "Wie lautete der Endstand?" asks for a score: "20-18", "3:1".
_SCORE_QUESTION = re.compile(r"(?:end|spiel)?(?:stand|ergebnis|resultat)\b|\bscore\b", re.IGNORECASE)
_SCORE = re.compile(r"(?<![\w.,])\d{1,3}\s?[-:–]\s?\d{1,3}(?!\w|[.,]\d)")
# "… wird Gemeinde genannt", "mit dem Namen Abilene", "auch „Southwest Fresno“ genannt".
_NAMING = (
    re.compile(r"(?:namens|Namen|genannt|bezeichnet als|bekannt als|called|named)\s+[„\"»]?"
               r"([A-ZÄÖÜ][\w'’-]*(?:\s+[A-ZÄÖÜ][\w'’-]*)*)"),
    re.compile(r"(?:als|wird|werden|auch)\s+(?:oft\s+|meist\s+|häufig\s+)?[„\"»]?"
               r"([A-ZÄÖÜ][\w'’-]*(?:\s+[A-ZÄÖÜ][\w'’-]*)*)[“\"«]?(?:\s+\([^)]*\))?\s+(?:genannt|bezeichnet)"),
)


def _named(sentence: str) -> list[tuple[int, int]]:
    return [m.span(1) for pattern in _NAMING for m in pattern.finditer(sentence)]


def _place_phrase(question: Question, reading: _Reading) -> Span | None:
    sentence = reading.sentence
    runs = names(sentence, "phrase")
    offers = [m.span(1) for m in PLACE_PHRASE.finditer(sentence)
              if not first_is_stop(m.group(1)) and not reading.asks_about(*m.span(1))
              and any(n.start == m.start(1) for n in runs)]
    return _nearest_whole(reading, offers)


# A capitalised adjective: "Japanischen", "Amerikanische", "Europäischen".
_PROPER_ADJECTIVE = re.compile(r"[A-ZÄÖÜ][\w-]*(?:isch|ländisch|er)(?:e|en|er|es|em)?")


def _which_phrase(question: Question, reading: _Reading) -> Span | None:
    """Answer "welche X" with the X of the sentence and what the question lacks.

    A name right after X ("der Fluss Tyne", "Satellit Astra 2A") is the answer; else X
    with the capitalised adjectives before it that the question lacks ("Welches Meer" →
    "Japanischen Meer"), or a compound that ends in X ("Welcher Wald" → "Laubwald").
    """
    if not question.head_noun or question.head_noun.lower() in _TYPE_WORDS:
        return None
    head = _stem(re.split(r"[-–]", question.head_noun)[-1])
    sentence = reading.sentence
    words = word_tokens(sentence)
    lowered = question.text.lower()
    for i, (_, end, word) in enumerate(words):
        stem = _stem(word)
        if not (stem == head or (stem.endswith(head) and len(head) >= 4)):
            continue
        last = i
        while last + 1 < len(words) and (capital(words[last + 1][2]) or words[last + 1][2].isdigit()):
            last += 1
        if last > i and not reading.asks_about(words[i + 1][0], words[last][1]):
            return _trim(sentence, words[i + 1][0], _word_end(sentence, words[last][1]))
        first = i
        while first > 0 and _PROPER_ADJECTIVE.fullmatch(words[first - 1][2]) \
                and words[first - 1][2].lower() not in lowered:
            first -= 1
        if first < i or (stem != head and word.lower() not in lowered and len(stem) > len(head) + 2):
            return _trim(sentence, words[first][0], end)
    return None


def answer_phrase(question: Question, sentence: str, idf: IdfLookup | None = None,
                  kinds: Collection[str] = SHOWN_KINDS) -> Span | None:
    """Return the phrase of ``sentence`` that answers ``question``, or None when not sure.

    ``question`` is read once (:meth:`fundstelle.question.Question.of`); ``sentence`` is one
    sentence that answers it; ``idf`` maps stems to
    inverse document frequencies (all 1 if not given) and weighs the question's words
    when the phrase nearest to them is chosen. Only questions of the ``kinds`` given
    (see :data:`SHOWN_KINDS`) get a phrase.
    """
    kind = question.kind
    if kind not in kinds:
        return _quoted_title(question, sentence) if kind == "name" else None
    reading = _read(question, sentence, idf)
    if kind == "number":
        return _number_phrase(question, reading)
    if kind == "date":
        return _date_phrase(question, reading)
    if kind in ("person", "name"):
        return _name_phrase(question, reading, kind)
    if kind == "place":
        return _which_phrase(question, reading) or _place_phrase(question, reading)
    if kind == "other":
        return _which_phrase(question, reading)
    return None


def _quoted_title(question: Question, sentence: str) -> Span | None:
    """The one quoted title of ``sentence`` that ``question`` does not hold ("Project Rainier"), or None."""
    lowered = question.text.lower()
    titles = [m.span(1) for m in QUOTED.finditer(sentence) if m.group(1).lower() not in lowered]
    if len(titles) != 1:
        return None
    start, end = titles[0]
    return Span(start, end, sentence[start:end])


def with_phrase(answer: AnswerSpan, question: Question, idf: IdfLookup | None = None) -> AnswerSpan:
    """``answer`` (a sentence of a hit) with its :func:`answer_phrase` set, offsets in the hit's text."""
    phrase = answer_phrase(question, answer.text, idf)
    if phrase is None:
        return answer
    return replace(answer, phrase=Span(answer.start + phrase.start, answer.start + phrase.end, phrase.text))
