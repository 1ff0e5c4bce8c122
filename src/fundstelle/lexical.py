"""Text analysis for lexical search: words, German stems, stop words.

The same analyser feeds BM25 (bm25s) at index time, the question at search time and
the highlighter, so "which question words occur in this passage" has one answer.
Stems come from the Snowball German stemmer (PyStemmer), which also folds umlauts
and ß ("Häuser" and "Haus" share a stem).
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from ._bm25s_stopwords import STOPWORDS_EN, STOPWORDS_GERMAN

__all__ = ["STOPWORDS", "Token", "analyze", "language_of", "stems"]

# German and English stop words: questions come in both, and neither set carries
# meaning for retrieval. Question words are stop words here; the highlighter reads
# them separately.
STOPWORDS = frozenset(STOPWORDS_GERMAN) | frozenset(STOPWORDS_EN) | frozenset(
    """
    wer wen wem wessen was wann wo wohin woher wie wieviel wieviele welche welcher welches
    welchen welchem warum weshalb wieso wodurch womit wofür gibt gab viele viel
    who whom whose what when where which why how many much does did do
    """.split()
)

_WORD = re.compile(r"\w+", re.UNICODE)
# Stop words of one language only ("die", "und" / "the", "and"), which tell a text's language.
_ONLY_GERMAN = frozenset(STOPWORDS_GERMAN) - frozenset(STOPWORDS_EN)
_ONLY_ENGLISH = frozenset(STOPWORDS_EN) - frozenset(STOPWORDS_GERMAN)
# A text's language is judged on its head: enough words, and no work on a long text.
_LANGUAGE_CHARS = 20_000
_LANGUAGE_MIN_STOPWORDS = 5
_local = threading.local()


@dataclass(frozen=True)
class Token:
    """A word of a text: its stem, where it stands (``text[start:end]``), stop word or not."""

    stem: str
    start: int
    end: int
    stop: bool = False


def _stemmer() -> Stemmer.Stemmer:
    # PyStemmer objects are not safe to share between threads.
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("german")
    return stemmer


@lru_cache(maxsize=200_000)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


def analyze(text: str, keep_stopwords: bool = False) -> list[Token]:
    """Split ``text`` into lower-cased, stemmed word tokens with their offsets.

    Single letters are dropped, numbers kept. Stop words are dropped unless
    ``keep_stopwords`` is true; then they come with ``stop=True`` and their
    lower-cased form as stem.
    """
    tokens: list[Token] = []
    for match in _WORD.finditer(text):
        word = match.group(0).lower()
        if len(word) == 1 and not word.isdigit():
            continue
        if word in STOPWORDS:
            if keep_stopwords:
                tokens.append(Token(word, match.start(), match.end(), stop=True))
            continue
        tokens.append(Token(_stem(word), match.start(), match.end()))
    return tokens


def stems(text: str) -> list[str]:
    """Return the stems of the content words of ``text``, in order (with repeats)."""
    return [token.stem for token in analyze(text)]


def language_of(text: str) -> str | None:
    """``"de"`` or ``"en"``: the language whose own stop words the text's head holds more of.

    The stop words are those lexical search already uses (German and English, see
    :data:`STOPWORDS`); None when the head holds fewer than a handful of either, or as
    many of one as of the other.
    """
    words = [word.lower() for word in _WORD.findall(text[:_LANGUAGE_CHARS])]
    german = sum(word in _ONLY_GERMAN for word in words)
    english = sum(word in _ONLY_ENGLISH for word in words)
    if max(german, english) < _LANGUAGE_MIN_STOPWORDS or german == english:
        return None
    return "de" if german > english else "en"
