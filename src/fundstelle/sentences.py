"""Sentence splitting for German (and English) text, as character spans.

A rule-based splitter: a sentence ends at ``.``, ``!``, ``?`` or ``…`` followed by
white space, unless the dot belongs to an abbreviation ("z. B.", "Nr.", "Dr.",
"e.g."), an initial ("John F. Kennedy"), an ordinal ("19. Jahrhundert", "am 1. Mai")
or the next word starts in lower case. Blank lines and short heading lines end a
sentence too. Spans are ``(start, end)`` offsets into the text, without surrounding
white space, so ``text[start:end]`` is the sentence.
"""

from __future__ import annotations

import re

__all__ = ["CHARS_PER_SENTENCE_VECTOR", "embedding_spans", "split_sentences"]

# A text gets at most one sentence vector per this many characters, or up to
# SHORT_TEXT_VECTORS in all. Prose stays well below (a sentence is about 100
# characters), but 64 KB of "Ja. " would otherwise get 16,384 vectors (25 MB with e5,
# 380 bytes per character of text) and take six times as long to embed as prose.
CHARS_PER_SENTENCE_VECTOR = 50
SHORT_TEXT_VECTORS = 32

# Lower-cased abbreviations without their final dot. Multi-part ones ("z. B.") are
# matched part by part: "z" and "b" are single letters, which never end a sentence.
ABBREVIATIONS = frozenset(
    """
    abb abs abschn abt adr allg anm art aufl bd bde bearb bes bhf bspw bzgl bzw ca chr
    co corp dgl dipl dr dt ebd ehem eig engl erw ev evtl exkl fa ff fr frl gebr gegr
    gem ges gg ggf hbf hg hr hrn hrsg inc inkl insb jh jhd jr kap kath kfm lt ltd max
    mio mind mrd nachf nr nrn od orig pkt prof rd rel s sen sog spez st std str stud
    tab tel th tsd urspr usf verh vgl vs wg zb zt zzgl
    approx cf dept est fig gen gov jan feb mar apr jun jul aug sep sept oct okt nov dez dec
    mr mrs ms mt no vol pp
    """.split()
)

# Words after an ordinal number ("am 1. Mai", "im 19. Jahrhundert"): the dot is not a
# sentence end even though the next word is capitalised.
ORDINAL_NOUNS = frozenset(
    """
    januar jänner februar märz april mai juni juli august september oktober november
    dezember jahrhundert jahrtausend jh jhd jahrestag geburtstag platz rang stock
    stockwerk etage klasse liga runde spieltag auflage ausgabe mal weltkrieg
    """.split()
)

# Words before an ordinal ("der 2. Weltkrieg", "vom 3. bis"): then a small number
# followed by a dot is an ordinal, not a sentence end.
ORDINAL_LEADS = frozenset(
    """
    der die das den dem des am im vom zum zur bis ab seit vor nach ein eine einer einem
    eines jeder jede jedes jeden jedem dieser diese dieses diesem diesen
    """.split()
)

_BLANK_LINE_AHEAD = re.compile(r"[^\S\n]*\n")
_TERMINATOR = re.compile(r"[.!?…]+[\"'»«“”‘’)\]]*")
_WORD_BEFORE = re.compile(r"([\w.\-]*\w)\.+$")
_OPENERS = "\"'»«„“‘([-–—*•"
# A sentence end whose space was lost: a lower-case word, a dot, a capitalised word.
_MISSING_SPACE = re.compile(r"[a-zäöüß]{3}\.[A-ZÄÖÜ][a-zäöüß]{2}")


def _next_word(text: str, pos: int) -> str:
    """Return the word starting at ``pos``, skipping opening quotes and brackets."""
    while pos < len(text) and text[pos] in _OPENERS:
        pos += 1
    match = re.match(r"\w+", text[pos:pos + 40])
    return match.group(0) if match else text[pos:pos + 1]


def _dot_ends_sentence(text: str, dot_start: int, next_pos: int) -> bool:
    """Decide whether the dot(s) at ``dot_start`` end a sentence."""
    following = _next_word(text, next_pos)
    if not following or following[0].islower():
        return False
    match = _WORD_BEFORE.search(text[max(0, dot_start - 40):dot_start + 1])
    if match is None:
        return True
    word = match.group(1)
    last_part = word.rsplit(".", 1)[-1].lower()
    if len(word) > 1 and word.isalpha() and word.isupper():
        return True  # an acronym ("GG", "USA") takes no abbreviation dot: this one ends the sentence
    if last_part in ABBREVIATIONS or word.lower().replace(".", "") in ABBREVIATIONS:
        return False
    if len(last_part) > 3 and last_part.endswith("str"):
        return False  # "Hauptstr.", "Bahnhofstr."
    if len(last_part) == 1 and last_part.isalpha():
        return False  # an initial or a part of "z. B.", "d. h.", "U.S."
    if last_part.isdigit():
        if len(last_part) <= 2 and following.lower() in ORDINAL_NOUNS:
            return False
        if len(last_part) <= 3:
            before = text[max(0, dot_start - len(word) - 30):dot_start - len(word)].split()
            if before and before[-1].lower() in ORDINAL_LEADS:
                return False
    return True


def _is_heading_line(line: str) -> bool:
    """A short line without closing punctuation reads as a heading or list item."""
    stripped = line.strip()
    return 0 < len(stripped) <= 80 and stripped[-1] not in ",;-–(„\"'"


def _boundaries(text: str) -> list[int]:
    """Offsets where a new sentence may start (before stripping white space)."""
    cuts: list[int] = []
    for match in _TERMINATOR.finditer(text):
        end = match.end()
        if end < len(text) and not text[end].isspace():
            if _MISSING_SPACE.match(text, max(0, match.start() - 3)):
                word = _WORD_BEFORE.search(text[max(0, match.start() - 40):match.start() + 1])
                assert word is not None, "_MISSING_SPACE matched three letters and this dot, so a word ends here"
                if word.group(1).lower() not in ABBREVIATIONS:
                    cuts.append(end)  # "… zu erzählen.Politische Geografen …": a space lost in the source
            continue
        next_pos = end
        while next_pos < len(text) and text[next_pos].isspace():
            next_pos += 1
        if next_pos >= len(text):
            continue
        if "." in match.group(0) and not any(c in "!?…" for c in match.group(0)):
            if not _dot_ends_sentence(text, match.start(), next_pos):
                continue
        elif _next_word(text, next_pos)[:1].islower():
            continue  # „Wo?“, fragte er.
        cuts.append(end)
    # Line structure: blank lines always separate; a single line break separates
    # when the line before is short (a heading) or the next line is a list item.
    line_start = 0
    for match in re.finditer(r"\n", text):
        line = text[line_start:match.start()]
        rest = text[match.end():match.end() + 3]
        if (
            not line.strip()
            or _is_heading_line(line)
            or _BLANK_LINE_AHEAD.match(text, match.end())
            or re.match(r"[-*•]\s|\d+[.)]\s", rest)
        ):
            cuts.append(match.start())
        line_start = match.end()
    return sorted(set(cuts))


def split_sentences(text: str) -> list[tuple[int, int]]:
    """Split ``text`` into sentences; return their ``(start, end)`` character spans.

    Spans are in order, do not overlap, exclude surrounding white space and cover
    every non-space character of ``text``.

    >>> text = "Das kostet z. B. 2,2 Mio. Euro. Am 1. Mai 2020 begann es."
    >>> [text[s:e] for s, e in split_sentences(text)]
    ['Das kostet z. B. 2,2 Mio. Euro.', 'Am 1. Mai 2020 begann es.']
    """
    spans: list[tuple[int, int]] = []
    start = 0
    for cut in [*_boundaries(text), len(text)]:
        piece = text[start:cut]
        left = len(piece) - len(piece.lstrip())
        right = len(piece.rstrip())
        if right > left:
            spans.append((start + left, start + right))
        start = cut
    return spans


def embedding_spans(spans: list[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """The spans of a text of ``length`` characters that get a sentence vector each.

    These are the sentences ``spans`` themselves while there are at most one per
    ``CHARS_PER_SENTENCE_VECTOR`` characters (or ``SHORT_TEXT_VECTORS``). A text of
    more, tinier sentences gets runs of them merged into spans of at least that many
    characters, so it never has more than ``length / CHARS_PER_SENTENCE_VECTOR + 1``.
    """
    if len(spans) <= max(SHORT_TEXT_VECTORS, length // CHARS_PER_SENTENCE_VECTOR):
        return spans
    merged: list[tuple[int, int]] = []
    start: int | None = None
    for sentence_start, sentence_end in spans:
        start = sentence_start if start is None else start
        if sentence_end - start >= CHARS_PER_SENTENCE_VECTOR:
            merged.append((start, sentence_end))
            start = None
    if start is not None:  # a short rest joins the span before it
        merged[-1:] = [(merged[-1][0] if merged else start, spans[-1][1])]
    return merged
