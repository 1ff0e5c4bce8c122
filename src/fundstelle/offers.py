"""What a sentence offers as an answer: numbers, dates, places, quotations and names.

The patterns here say where a sentence holds an answer of some kind: a number phrase
("rund 4 Milliarden US-Dollar"), a date ("im Jahr 1620", "28. Februar"), a place after
"in", "nach", "aus" …, a quotation, a proper name. Both ways of choosing the answer
sentence ask whether a sentence *offers* what the question asks for (:func:`offers`),
and the answer phrase (:mod:`fundstelle.phrase`) picks its words among them.

Names are the hard part in German, which capitalises every noun: a name is a run of
capitalised words that does not stand where a noun stands (after an article, maybe with
adjectives between: "den ersten Rekord"). :func:`names` reads such runs in two ways,
for two purposes (see there for why they differ).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from .lexical import STOPWORDS, analyze
from .question import HEAD_NOUNS, KIND_NOUNS, Question

__all__ = [
    "DATE_PHRASE",
    "LISTED_PARTICLES",
    "NUMBER_PHRASE",
    "PLACE_PHRASE",
    "QUOTED",
    "TYPED_KINDS",
    "YEAR",
    "Name",
    "NameReading",
    "adds_word",
    "answer_phrases",
    "capital",
    "first_is_stop",
    "is_day",
    "is_money",
    "join_listed",
    "names",
    "offers",
    "offers_asked",
    "word_tokens",
]

# ------------------------------------------------------------------ numbers, dates, places, quotations

_MONTHS = (
    "januar|jänner|februar|märz|april|mai|juni|juli|august|september|oktober|november|dezember|"
    "january|february|march|april|may|june|july|august|september|october|november|december"
)
# Number words up to twelve (German) and ten (English): they also count things before a
# noun ("drei Spieler"), which the name finder's phrase reading treats like a numeral.
_SMALL_NUMBERS_DE = "zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf"
_SMALL_NUMBERS_EN = "two|three|four|five|six|seven|eight|nine|ten"
_NUMBER_WORDS = (
    f"{_SMALL_NUMBERS_DE}|zwanzig|dreißig|vierzig|fünfzig|hundert|"
    "tausend|dutzend|hunderte|tausende|hälfte|drittel|viertel|"
    f"{_SMALL_NUMBERS_EN}|eleven|twelve|twenty|thirty|hundred|thousand|dozen|half"
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
        return tuple(_listed_names(sentence))
    if kind == "place":
        return tuple(m.span(1) for m in PLACE_PHRASE.finditer(sentence)
                     if not first_is_stop(m.group(1)) and not re.match(rf"(?i:{_MONTHS})\b", m.group(1)))
    if kind == "name":
        return tuple(m.span(1) for m in QUOTED.finditer(sentence)) + tuple(_listed_names(sentence))
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


# ------------------------------------------------------------------ names

_DETERMINERS = frozenset("""
    der die das den dem des ein eine einer eines einem einen kein keine keinen keinem keiner dieser diese
    dieses diesem diesen jener jene jenes sein seine seinen seinem seiner seines ihr ihre ihren ihrem ihrer
    ihres unser unsere jeder jede jedes jeden jedem alle allen aller mehrere viele vielen wenige einige
    manche beiden im am beim zum zur vom ins ans the a an
    """.split())
_NAME_PARTICLES = frozenset("von van de du da di del la le al ibn bin of y".split())
# Names listed with "&" or "and" are one answer ("Lane & Vail"): the phrase reading runs on over them.
LISTED_PARTICLES = _NAME_PARTICLES | {"&", "and"}
# Endings only common nouns have: a leading word with one is not part of a name ("Planung Henry Cole").
_NOUN_SUFFIXES = "ung|heit|keit|schaft|tion|ität|ismus|nis|tum|ment"
_NOUN_SUFFIX = re.compile(f"(?:{_NOUN_SUFFIXES})$")
# Endings of German common nouns ("Verteidigung", "Mannschaft", "Spieler"), the suffixes above
# and looser ones: a lone capitalised word with one of them is a noun, not a name.
_NOUN_ENDING = re.compile(f"({_NOUN_SUFFIXES}|ungen|ion|ionen|nisse|ur|ik|ie|ien|ei|chen|ling|er|ern|en|e|te|st)$")
_NUMERAL = re.compile(rf"\d+(?:[.,]\d+)*|(?i:{_SMALL_NUMBERS_DE}|{_SMALL_NUMBERS_EN})")
_ROLES = HEAD_NOUNS["person"] | frozenset("""
    gelehrter gelehrte forscherin chemikerin kardinal fürst kurfürst graf gräfin pfarrer priester abt
    reformator geologe geologen biologe künstlerin ingenieurin astronom pilot kampfpilot
    """.split())
_WORD_TOKEN = re.compile(r"[^\W\d_][\w'’ʿʾ]*(?:-[^\W\d_][\w'’]*)*\.?|\d+|\S")

NameReading = Literal["sentence", "phrase"]


def word_tokens(sentence: str) -> list[tuple[int, int, str]]:
    """The words (and single other characters) of ``sentence`` as (start, end, text)."""
    return [(m.start(), m.end(), m.group(0)) for m in _WORD_TOKEN.finditer(sentence)]


def capital(word: str) -> bool:
    """Is ``word`` capitalised and no stop word ("Der" at a sentence's start is not)?"""
    return word[:1].isupper() and word.rstrip(".").lower() not in STOPWORDS


@dataclass(frozen=True)
class Name:
    """A run of capitalised words read as a name (offsets into the sentence)."""

    start: int
    end: int
    words: int  # capitalised words in it
    article: bool  # follows an article: "die New England Patriots" (phrase reading only)
    apposed: bool  # follows a word naming a role: "der Dichter Theodor Fontane" (phrase reading only)


def names(sentence: str, reading: NameReading = "sentence", head: str = "") -> list[Name]:
    """Find the runs of capitalised words in ``sentence`` that read as names.

    Two readings, for two purposes, each tuned on its own benchmark:

    - ``"sentence"`` (whether a sentence offers a name at all, :func:`offers`; measured by
      ``benchmarks/highlight.py``): a run loses leading words that stand where nouns stand
      ("Rekord von John Elway" gives "John Elway"); a lone word must not look like a common
      noun either.
    - ``"phrase"`` (which words :mod:`fundstelle.phrase` shows; measured by
      ``benchmarks/phrases.py``): short numbers continue a name ("Astra 2A"), names joined
      by "&"/"and" stay one run, and a leading word that names a role ("der Dichter
      Theodor Fontane", ``head`` counts as one) or has the ending of a common noun
      ("Planung Henry Cole") is left out; a lone word after an article, a numeral or at
      the start of the sentence is taken for a noun ("die Verteidigung").

    Making them one reading would change what both benchmarks measure; it is left for a
    change that measures both again.
    """
    words = word_tokens(sentence)
    phrase = reading == "phrase"
    particles = LISTED_PARTICLES if phrase else _NAME_PARTICLES
    runs = []
    i = 0
    while i < len(words):
        if not capital(words[i][2]):
            i += 1
            continue
        last = i
        while True:
            if last + 1 < len(words) and (capital(words[last + 1][2]) or (
                    phrase and words[last + 1][2].isdigit() and len(words[last + 1][2]) < 4)):
                last += 1
            elif last + 2 < len(words) and words[last + 1][2].lower() in particles and capital(words[last + 2][2]):
                last += 2
            else:
                break
        name = _phrase_name(words, i, last, head) if phrase else _sentence_name(words, i, last)
        if name is not None:
            runs.append(name)
        i = last + 1
    return runs


def _after_article(words: list[tuple[int, int, str]], i: int, numerals: bool) -> bool:
    """Does word ``i`` follow an article or a number, maybe with adjectives between ("den ersten Rekord")?

    ``numerals``: count number words ("drei") and "1.000" as numbers, not only digits.
    """
    j = i - 1
    while j >= 0 and words[j][2][:1].islower() and words[j][2].lower() not in _DETERMINERS \
            and re.search(r"(e|en|er|es|em)$", words[j][2]):
        j -= 1  # adjectives between an article and its noun
    if j < 0:
        return False
    word = words[j][2]
    return word.lower() in _DETERMINERS or (bool(_NUMERAL.fullmatch(word)) if numerals else word.isdigit())


def _capitals(words: list[tuple[int, int, str]], first: int, last: int) -> int:
    return sum(1 for w in words[first:last + 1] if capital(w[2]))


def _sentence_name(words: list[tuple[int, int, str]], i: int, last: int) -> Name | None:
    """The name in the run ``i..last`` as the sentence reading sees it (see :func:`names`), or None."""

    def looks_like_noun(k: int) -> bool:
        return _after_article(words, k, numerals=False) or (k == 0 and bool(_NOUN_ENDING.search(words[k][2].lower())))

    first = i
    while first < last and looks_like_noun(first):
        first += 1
        if words[first][2].lower() in _NAME_PARTICLES:
            first += 1
    if first == last:
        word = words[first][2]
        keep = first > 0 and not looks_like_noun(first) and len(word) > 2 \
            and not _NOUN_ENDING.search(word.lower().rstrip("."))
    else:
        keep = not _after_article(words, first, numerals=False)
    if not keep:
        return None
    return Name(words[first][0], words[last][1], _capitals(words, first, last), False, False)


def _described(words: list[tuple[int, int, str]], first: int, last: int) -> bool:
    """Tell whether a run opens with a hyphenated description before a full name ("Adept-Chef David Luan")."""
    return "-" in words[first][2] and sum(1 for w in words[first + 1:last + 1] if capital(w[2])) >= 2


def _role(word: str, head: str) -> bool:
    """Tell whether a noun names a role ("Dichter", "Luftwaffengeneral", "Pro Bowl-Cornerback")."""
    last = re.split(r"[-–]", word.lower())[-1].rstrip(".")
    if head and (last == head or last.endswith(head)):
        return True
    return last in _ROLES or any(last.endswith(role) for role in _ROLES if len(role) >= 6)


def _phrase_name(words: list[tuple[int, int, str]], i: int, last: int, head: str) -> Name | None:
    """The name in the run ``i..last`` as the phrase reading sees it (see :func:`names`), or None."""
    article = _after_article(words, i, numerals=True)
    first = i
    apposed = False
    while first < last and (_role(words[first][2], head) or _NOUN_SUFFIX.search(words[first][2].lower())
                            or words[first][2].lower() in LISTED_PARTICLES or _described(words, first, last)):
        apposed = apposed or _role(words[first][2], head) or _described(words, first, last)
        first += 1
    count = _capitals(words, first, last)
    word = words[first][2].rstrip(".")
    noun = count == 1 and not word.isupper() and (
        len(word) < 2 or bool(_NOUN_ENDING.search(word.lower())) or (article and first == i) or first == 0)
    if noun:
        return None
    return Name(words[first][0], words[last][1], count, article and first == i, apposed)


def join_listed(sentence: str, spans: list[tuple[int, int]],
                reading: NameReading = "sentence") -> list[tuple[int, int]]:
    """Join names listed together into one span: "Dario und Daniela Amodei", "Grissom, White und Chaffee".

    The sentence reading joins any names between which stand only a comma, "und", "and",
    "&" or "sowie"; the phrase reading joins names before "und", "and", "&", "sowie" or
    "oder" and the comma-separated ones before those (not names separated by commas only,
    which more often are different things). See :func:`names` for why two readings.
    """
    joined: list[tuple[int, int]] = []
    for start, end in spans:
        gap = sentence[joined[-1][1]:start] if joined else ""
        if reading == "sentence":
            if joined and re.fullmatch(r"\s*(?:,|und|and|&|sowie)\s*|\s*,\s*(?:und|and)\s*", gap):
                joined[-1] = (joined[-1][0], end)
            else:
                joined.append((start, end))
        elif joined and re.fullmatch(r"\s*(?:und|and|&|sowie|oder)\s*", gap):
            joined[-1] = (joined[-1][0], end)
            while len(joined) > 1 and re.fullmatch(r"\s*,\s*", sentence[joined[-2][1]:joined[-1][0]]):
                joined[-2:] = [(joined[-2][0], joined[-1][1])]
        else:
            joined.append((start, end))
    return joined


def _listed_names(sentence: str) -> list[tuple[int, int]]:
    """The names of ``sentence`` in the sentence reading, names listed together joined."""
    return join_listed(sentence, [(name.start, name.end) for name in names(sentence)])
