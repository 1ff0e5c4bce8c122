"""What a sentence offers as an answer: numbers, dates, places, quotations and names.

The patterns here say where a sentence holds an answer of some kind: a number phrase
("rund 4 Milliarden US-Dollar"), a date ("im Jahr 1620", "28. Februar"), a place after
"in", "nach", "aus" …, a quotation, a proper name. Both ways of choosing the answer
sentence ask whether a sentence *offers* what the question asks for (:func:`offers`),
and the answer phrase (:mod:`fundstelle.phrase`) picks its words among them.

Names are the hard part in German, which capitalises every noun: :mod:`fundstelle.names`
finds them.
"""

from __future__ import annotations

import re
from functools import lru_cache

from .lexical import STOPWORDS, analyze
from .names import SMALL_NUMBERS_DE, SMALL_NUMBERS_EN, listed_names
from .question import KIND_NOUNS, Question

__all__ = [
    "DATE_PHRASE",
    "NUMBER_PHRASE",
    "PLACE_PHRASE",
    "QUOTED",
    "TYPED_KINDS",
    "YEAR",
    "adds_word",
    "answer_phrases",
    "first_is_stop",
    "is_day",
    "is_money",
    "offers",
    "offers_asked",
]

# ------------------------------------------------------------------ numbers, dates, places, quotations

_MONTHS = (
    "januar|jänner|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember|"
    "january|february|march|april|may|june|july|august|september|october|november|december"
)
# Number words up to twelve (German) and ten (English): they also count things before a
# noun ("drei Spieler"), which the name finder's phrase reading treats like a numeral.
_NUMBER_WORDS = (
    f"{SMALL_NUMBERS_DE}|zwanzig|dreißig|vierzig|fünfzig|hundert|"
    "tausend|dutzend|hunderte|tausende|hälfte|drittel|viertel|"
    f"{SMALL_NUMBERS_EN}|eleven|twelve|twenty|thirty|hundred|thousand|dozen|half"
)
_CURRENCY = r"\$|€|£|US-Dollar|Dollar|Euro|Pfund|GBP|USD"
_UNIT = rf"(?:%|Prozent|percent|°C|°F|°|km²|m²|km|m|kg|t|lb|mph|{_CURRENCY})"
NUMBER_PHRASE = re.compile(
    r"(?:\b(?:rund|etwa|ca\.|circa|über|mehr als|weniger als|fast|knapp|bis zu|mindestens|nur|about|over|"
    r"nearly|almost|more than)\s+)?"
    rf"(?<![\w.,])(?:\d+(?:[.,:]\d+)*|(?i:{_NUMBER_WORDS})(?=\W))"
    r"(?:\s*(?:-|–|bis|und|to|and)\s*\d+(?:[.,]\d+)*)?"
    r"(?:-?mal\b|-fache\w*)?"
    r"(?:\s+(?:Millionen|Million|Milliarden|Milliarde|Billionen|Mio\.|Mrd\.|Tausend|million|billion|thousand))?"
    rf"(?:\s*{_UNIT}(?!\w)|\s+[A-ZÄÖÜ][\wäöüß-]+)?"
)
YEAR = re.compile(r"(?:1\d|20)\d\d")
DATE_PHRASE = re.compile(
    r"(?:\b(?:im|am|seit|bis|ab|vor|um|zwischen|Anfang|Mitte|Ende|Sommer|Winter|Frühjahr|Herbst|"
    r"späten|frühen|in den|in)\s+)?"
    rf"(?:(?:\d{{1,2}}\.\s*)?(?i:{_MONTHS})\s+)?"
    r"(?<!\d)(?:(?:1\d|20)\d\d(?:er(?:\s?-?Jahren?|n)?|s)?|\d0er(?:\s?-?Jahren?|n)?)"
    r"(?:\s*(?:–|-|bis|und)\s*(?:1\d|20)\d\d)?(?![\d.,]\d)"
    r"|\b\d{1,2}\.\s*Jahrhunderts?"
    rf"|\b(?:\d{{1,2}}\.\s*)?(?i:{_MONTHS})\b"
)
# "in Genf", "nach Brasilien", "in der Schweiz" (and, alas, "in der Lage": a weak cue).
PLACE_PHRASE = re.compile(
    r"\b(?:in|im|nach|aus|bei|an|am|auf|durch|entlang|at|from|near)\s+(?:der\s+|dem\s+|den\s+|the\s+)?"
    r"([A-ZÄÖÜ][\w'’-]*\w(?:\s+[A-ZÄÖÜ][\w'’-]*\w)*)")
QUOTED = re.compile(r"[„“\"»«‚]([^„“\"»«”]{2,80})[“”\"«»‘]")
# Words that show a sentence gives a reason, purpose, way or name, where no phrase is
# recognised reliably.
_KIND_CUES = {
    "reason": re.compile(r"\b(weil|da|denn|daher|deshalb|deswegen|darum|aufgrund|wegen|grund|gründen|ursache|"
                         r"führte|führten|verursacht\w*|sodass|because|due|since|caused?)\b", re.IGNORECASE),
    "purpose": re.compile(r"\b(um|damit|zweck|ziel|dien\w+|für|zum|zur|to|for)\b", re.IGNORECASE),
    "manner": re.compile(r"\b(durch|indem|mittels|dadurch|mit|mithilfe|by|through|using)\b", re.IGNORECASE),
    "name": re.compile(r"\b(genannt|nennt|nannte|bezeichnet|bezeichnung|namens|heißt|hieß|bekannt als|"
                       r"called|named|known as)\b|[„“\"»«]", re.IGNORECASE),
}


def first_is_stop(phrase: str) -> bool:
    """Does the phrase start with a stop word ("Die …", "Der …")?"""
    words = re.findall(r"\w+", phrase.lower())
    return not words or words[0] in STOPWORDS


def is_day(sentence: str, end: int) -> bool:
    """Is the number ending at ``end`` the day of a date ("am 28. Februar")?"""
    return bool(re.match(rf"\.\s*(?i:{_MONTHS})\b", sentence[end:end + 15]))


@lru_cache(maxsize=8192)  # a few spans each: the sentences of recent hits, for search and ask alike
def answer_phrases(sentence: str, kind: str) -> tuple[tuple[int, int], ...]:
    """Spans of ``sentence`` that could answer a question of ``kind`` (may overlap).

    Cached: the patterns try their words at every position of the sentence, and the
    sentences of a passage come back in later questions.
    """
    if kind == "number":
        return tuple(m.span() for m in NUMBER_PHRASE.finditer(sentence)
                     if not (YEAR.fullmatch(m.group(0)) or is_day(sentence, m.end())))
    if kind == "date":
        return tuple(m.span() for m in DATE_PHRASE.finditer(sentence))
    if kind == "person":
        return tuple(listed_names(sentence))
    if kind == "place":
        return tuple(m.span(1) for m in PLACE_PHRASE.finditer(sentence)
                     if not first_is_stop(m.group(1)) and not re.match(rf"(?i:{_MONTHS})\b", m.group(1)))
    if kind == "name":
        return tuple(m.span(1) for m in QUOTED.finditer(sentence)) + tuple(listed_names(sentence))
    return ()


# A currency next to a number: the number is an amount of money.
_MONEY_WORD = rf"(?<![^\W\d_])(?:{_CURRENCY}|EUR|CHF|Franken|Yen|Cent|D-Mark|Mark|dollars?|euros?|pounds?|cents?)(?!\w)"
_MONEY_IN = re.compile(_MONEY_WORD)
_MONEY_AFTER = re.compile(rf"\s*{_MONEY_WORD}")
_MONEY_BEFORE = re.compile(rf"(?:{_CURRENCY}|EUR|CHF)\s*$")
# What answers "Was kostet …?" without a number.
_FREE = re.compile(r"\b(?:kostenlos|kostenfrei|gratis|umsonst|unentgeltlich|free of charge|for free)\b", re.IGNORECASE)
# A word of an answer phrase: hyphenated compounds and numbers with their separators are one ("US-Bundesstaat", "2,2").
_PHRASE_WORD = re.compile(r"\w+(?:[-.,:]\w+)*")
_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*")
_KIND_STEMS = frozenset(token.stem for noun in KIND_NOUNS for token in analyze(noun))


def is_money(sentence: str, start: int, end: int) -> bool:
    """Is the number phrase at ``start:end`` an amount of money ("4 Milliarden US-Dollar", "$5 million")?"""
    return bool(_MONEY_IN.search(sentence, start, end) or _MONEY_AFTER.match(sentence, end)
                or _MONEY_BEFORE.search(sentence[max(0, start - 5):start]))


def _names_kind(word: str) -> bool:
    """Does the word's head (its last part) only name a kind of answer ("Stadt", "US-Bundesstaat", "Präsident")?"""
    parts = analyze(word)
    return bool(parts) and parts[-1].stem in _KIND_STEMS


@lru_cache(maxsize=8192)
def _phrase_words(text: str) -> tuple[tuple[str, ...], ...]:
    """The words of an answer phrase that may be news, each as what compares with the question's words.

    A number is itself; a word its stems (a compound's parts, stop words left out). A word
    naming a kind of answer before another word is left out: it only says what the next
    one is ("US-Bundesstaat Indiana", "Stadt Jacksonville", "Präsident Obama").
    """
    found = [match.group(0) for match in _PHRASE_WORD.finditer(text)]
    words: list[tuple[str, ...]] = []
    for i, word in enumerate(found):
        if _NUMBER.fullmatch(word):
            words.append((word,))
        elif not (i + 1 < len(found) and _names_kind(word)):
            stems = tuple(part.stem for part in analyze(word, keep_stopwords=word.isupper()))  # "WHO", "US"
            if stems:
                words.append(stems)
    return tuple(words)


def _question_words(question: Question) -> frozenset[str]:
    """What the question holds, as :func:`_phrase_words` compares: its words' stems and its numbers."""
    return frozenset(token.stem for token in question.tokens) | frozenset(_NUMBER.findall(question.text))


def adds_word(text: str, question: Question, held: frozenset[str] | None = None) -> bool:
    """Does ``text`` hold a word ``question`` does not (compared by stems; see :func:`_phrase_words`)?

    "US-Bundesstaat Indiana" adds nothing to "In welcher Stadt in Indiana …?": the one word
    not in the question only says what kind of place Indiana is. ``held``: the question's
    :func:`_question_words`, when already at hand.
    """
    held = _question_words(question) if held is None else held
    return any(any(stem not in held for stem in word) for word in _phrase_words(text))


def offers(sentence: str, question: Question) -> list[tuple[int, int]]:
    """Answer phrases of the kind ``question`` asks for that add a word to it (:func:`adds_word`).

    For reasons, purposes and ways: the words that give one ("weil", "um", "durch"). For a
    naming question whose sentence names something in words no pattern finds, ``[(0, 0)]``.
    For a question asking for an amount of money (``Question.money``), only numbers with a
    currency.
    """
    kind = question.kind
    if kind in _KIND_CUES and kind != "name":
        return [m.span() for m in _KIND_CUES[kind].finditer(sentence)]
    held = _question_words(question)
    spans = [(s, e) for s, e in answer_phrases(sentence, kind) if adds_word(sentence[s:e], question, held)]
    if question.money:
        spans = [(s, e) for s, e in spans if is_money(sentence, s, e)]
    if kind == "name" and not spans and _KIND_CUES["name"].search(sentence):
        spans = [(0, 0)]  # "… wird als X bezeichnet": names something, phrase unknown
    return spans


# The kinds whose answer a sentence must offer (:func:`offers_asked`): a number, a date,
# a person or organisation, a place, a name.
TYPED_KINDS = ("number", "date", "person", "place", "name")
# What the patterns above miss but still answers such a question: "keine", "nie" for a
# count; "Zweidrittelmehrheit"; "vor 66 Millionen Jahren", "mit 14 Jahren", "im
# neunzehnten Jahrhundert" for a time; acronyms and inner capitals ("FTC", "OpenAI") for a
# name, person or place.
_NONE = re.compile(r"\b(?:kein(?:e[rnms]?)?|nie|niemals|none|never|no)\b", re.IGNORECASE)
_NUMBER_COMPOUND = re.compile(r"\b(?:zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf|hundert|tausend|"
                              r"doppel|halb|dritt|viert)\w{3,}", re.IGNORECASE)
_RELATIVE_DATE = re.compile(
    r"\b(?:vor|mit|nach|seit|im Alter von)\s+(?:etwa\s+|rund\s+|über\s+|fast\s+|knapp\s+|~)?\d[\d.,]*"
    r"(?:\s+(?:Millionen|Milliarden|Tausend|Mio\.|Mrd\.))?\s+(?:Jahren|Jahrhunderten|Monaten|Wochen|Tagen)\b",
    re.IGNORECASE)
_CENTURY_WORD = re.compile(r"\b\w+(?:ten|sten)\s+Jahrhunderts?\b")
_ACRONYM = re.compile(r"\b[A-ZÄÖÜ]{2,}\b|\b[A-Z][a-z]+[A-Z]\w*")
# The rest of a hyphenated word after an acronym ("US-Bundesstaat"), and a capitalised word after it.
_COMPOUND_REST = re.compile(r"-[^\W\d_][\w-]*")
_NAME_AFTER = re.compile(r"\s+[A-ZÄÖÜ]")
# Capitalised words the sentence reading of names takes for names but that name no one.
_NO_PERSON = re.compile(rf"(?i:{_MONTHS}|prozent|euro|dollar|us-dollar|meter|metern|kilometer|millionen|milliarden|"
                        r"jahre|jahren)$")


def offers_asked(sentence: str, question: Question) -> bool:
    """Does ``sentence`` offer an answer of the kind ``question`` asks for, one the question does not hold?

    Only for the typed kinds (:data:`TYPED_KINDS`; others: always False). Wider than
    :func:`offers`, which the highlighter weighs: a sentence without any such offer is
    no answer, so misses cost more here than false offers.
    """
    kind = question.kind
    if kind not in TYPED_KINDS:
        return False
    spans = offers(sentence, question)
    if kind == "person":
        spans = [(s, e) for s, e in spans if not _NO_PERSON.search(sentence[s:e])]
    if spans:
        return True
    held = _question_words(question)
    if kind == "number" and question.money:
        return bool(_FREE.search(sentence))
    if kind == "number":
        return bool(_NONE.search(sentence)) or any(
            adds_word(m.group(0), question, held) for m in _NUMBER_COMPOUND.finditer(sentence))
    if kind == "date":
        return bool(_RELATIVE_DATE.search(sentence) or _CENTURY_WORD.search(sentence))
    return any(adds_word(m.group(0), question, held) and not _qualifies_kind(sentence, m.end())
               for m in _ACRONYM.finditer(sentence))


def _qualifies_kind(sentence: str, end: int) -> bool:
    """Does the acronym ending at ``end`` only say what kind of thing a name after it is ("US-Bundesstaat Indiana")?

    As in :func:`_phrase_words`: a noun naming a kind before another capitalised word; the
    acronym is part of that noun. Alone, such a noun may be the answer ("vom US-Präsidenten ernannt").
    """
    rest = _COMPOUND_REST.match(sentence, end)
    return rest is not None and _names_kind(rest.group(0)) and bool(_NAME_AFTER.match(sentence, rest.end()))
