"""Proper names in German and English sentences: runs of capitalised words that read as names.

German capitalises every noun, so a name is a run of capitalised words that does not stand
where a noun stands (after an article, maybe with adjectives between: "den ersten Rekord").
:func:`names` reads such runs in two ways, for two purposes (see there for why they differ);
:func:`join_listed` joins names listed together. The one name finder of the library:
:mod:`fundstelle.offers` asks it whether a sentence offers a name, :mod:`fundstelle.phrase`
which words name the answer.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from .lexical import STOPWORDS
from .question import HEAD_NOUNS

__all__ = [
    "LISTED_PARTICLES",
    "SMALL_NUMBERS_DE",
    "SMALL_NUMBERS_EN",
    "Name",
    "NameReading",
    "capital",
    "join_listed",
    "listed_names",
    "names",
    "word_tokens",
]

# Number words (a run that starts with one counts things, it names nothing: "zwei Kinder").
SMALL_NUMBERS_DE = "zwei|drei|vier|fünf|sechs|sieben|acht|neun|zehn|elf|zwölf"
SMALL_NUMBERS_EN = "two|three|four|five|six|seven|eight|nine|ten"

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
_NUMERAL = re.compile(rf"\d+(?:[.,]\d+)*|(?i:{SMALL_NUMBERS_DE}|{SMALL_NUMBERS_EN})")
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

    - ``"sentence"`` (whether a sentence offers a name at all, :func:`fundstelle.offers.offers`; measured by
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


def listed_names(sentence: str) -> list[tuple[int, int]]:
    """The names of ``sentence`` in the sentence reading, names listed together joined."""
    return join_listed(sentence, [(name.start, name.end) for name in names(sentence)])
