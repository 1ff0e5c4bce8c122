"""The question, read once: its cleaned text, words, stems and what it asks for.

Every stage after retrieval needs the same facts of the question: the highlighter
(:mod:`fundstelle.highlight`), the answer model's features (:mod:`fundstelle.answer`) and
the answer phrase (:mod:`fundstelle.phrase`). The query path cleans each question
(:func:`clean_question`), reads it once (:meth:`Question.of`) and hands it on in its
``Retrieval``.

*What is asked* follows the question word (and the noun after "welche"): a date ("wann",
"in welchem Jahr"), a number ("wie viele", "welcher Prozentsatz"; "was kostet", "wie
teuer": an amount of money), a person ("wer", "welcher Präsident"), a place ("wo",
"welche Stadt"), a name ("wie heißt"), a reason ("warum"), a purpose ("wozu"), a way
("wodurch", "wie"), or something else.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass

from .errors import BadInputError, BadTypeError
from .lexical import Token, analyze

__all__ = ["HEAD_NOUNS", "KIND_NOUNS", "MAX_QUESTION_CHARS", "SORT_NOUNS", "Question", "clean_question",
           "question_type"]

MAX_QUESTION_CHARS = 2000


def clean_question(question: str, stacklevel: int = 4) -> str:
    """Validate and tidy a question: control characters out, length capped.

    Raises :class:`BadInputError` (a ValueError) for a question that is empty or only
    white space, :class:`BadTypeError` for one that is not a string. A question
    longer than ``MAX_QUESTION_CHARS`` is cut there, with a warning (``stacklevel``
    as in :func:`warnings.warn`, counted from this function).
    """
    if not isinstance(question, str):
        raise BadTypeError(f"question must be a string, not {type(question).__name__}; "
                           "pass the question as text, e.g. 'Wie viel investiert Amazon?'")
    cleaned = "".join(c if c.isprintable() else " " for c in question)
    cleaned = " ".join(cleaned.split())
    if not cleaned:
        raise BadInputError("the question is empty; ask something, e.g. 'Wie viel investiert Amazon?'")
    if len(cleaned) > MAX_QUESTION_CHARS:
        warnings.warn(
            f"question of {len(cleaned)} characters cut to its first {MAX_QUESTION_CHARS}",
            stacklevel=stacklevel,
        )
        cleaned = cleaned[:MAX_QUESTION_CHARS]
    return cleaned


# ------------------------------------------------------------------ what is asked

_EN = r"^(?:(?:in|on|at|by|for|from|to|with|of|during)\s+)?"
_NAMING_QUESTION = re.compile(
    r"\b(wie (?:heißt|hieß|heißen|hießen|lautet|lautete|lauten|nennt|nannte|nennen)|welchen namen|"
    r"was ist der name)\b|" + _EN + r"(what is the name|what was the name)\b", re.IGNORECASE)
_QUESTION_WORDS = (
    ("date", re.compile(r"\b(wann|seit wann|bis wann)\b|" + _EN + r"(when|what year|which year)\b", re.IGNORECASE)),
    ("number", re.compile(
        r"\b(wie viele|wie viel|wieviel|wieviele|wie hoch|wie lange|wie alt|wie groß|wie weit|wie schwer|"
        r"wie oft|wie stark|wie schnell|wie breit|wie tief|wievielte|wievielfache|"
        r"was (?:kostet|kosten|kostete|kosteten)|wie teuer)\b|"
        + _EN + r"(how (?:many|much|long|old|high|far|often|big|large|expensive))\b|"
        r"\bwhat (?:does|do|did|will|would)\b.*\bcost\b", re.IGNORECASE)),
    ("person", re.compile(r"\b(wer|wem|wen|wessen)\b|" + _EN + r"(who|whom|whose)\b", re.IGNORECASE)),
    ("place", re.compile(r"\b(wo|wohin|woher)\b|" + _EN + r"(where)\b", re.IGNORECASE)),
)
_ASKING_WORDS = (  # weaker kinds, tried after "welche …"
    ("reason", re.compile(r"\b(warum|weshalb|wieso|weswegen|aus welchem grund)\b|" + _EN + r"(why)\b",
                          re.IGNORECASE)),
    ("purpose", re.compile(r"\b(wozu|wofür|zu welchem zweck)\b", re.IGNORECASE)),
    ("manner", re.compile(r"\b(wodurch|womit|auf welche weise|wie)\b|" + _EN + r"(how)\b", re.IGNORECASE)),
)
# "welche" + lower-case adjectives + the head noun: "Welcher kolumbianische Präsident".
_WHICH_NOUN = re.compile(
    r"\b(?:[Ww]elche[rsnm]?|[Ww]hich|[Ww]hat)\s+(?:[a-zäöüß][\w-]*\s+){0,2}([A-ZÄÖÜ][\w-]*)")
_HEAD_WORDS = {
    "date": "jahr jahrhundert jahrzehnt datum zeitpunkt monat tag epoche year century decade date month",
    "number": "prozentsatz anteil anzahl zahl menge betrag summe höhe länge breite größe temperatur "
              "geschwindigkeit wert preis kosten dauer alter gewicht fläche leistung kapazität umsatz entfernung "
              "distanz einwohnerzahl bevölkerungszahl budget percentage number amount",
    "person": "spieler schauspieler schauspielerin präsident präsidentin forscher chemiker physiker mathematiker "
              "wissenschaftler künstler anführer autor autorin komponist politiker könig königin kaiser papst "
              "trainer quarterback person mann frau sänger sängerin erfinder philosoph gründer direktor ceo "
              "architekt ingenieur verteidiger gouverneur general offizier minister kanzler bischof theologe "
              "dichter schriftsteller maler musiker herrscher führer reformator arzt ökonom historiker astronaut "
              "kapitän kommandant prinz herzog sohn tochter vater mutter bruder nachfolger vorgänger nachkomme "
              "entdecker regisseur produzent journalist lehrer professor richter bürgermeister senator alumni",
    "place": "stadt land ort region staat insel kontinent fluss gebirge berg gebiet provinz bezirk viertel "
             "stadtteil hauptstadt gemeinde kolonie straße hafen flughafen küste bundesstaat city country river",
}
# The head nouns of "welche X" that tell the kind of answer ("Welcher *Präsident*": a person).
HEAD_NOUNS = {kind: frozenset(words.split()) for kind, words in _HEAD_WORDS.items()}
# Head nouns that say only what sort of thing is asked ("Welche *Art* von …"): they tell no kind.
SORT_NOUNS = frozenset("art arten sorte form kind type".split())
# Head nouns that only say what kind of answer is wanted ("In welchem *Jahr*"); they are
# not matched against sentences.
_TYPE_NOUNS = SORT_NOUNS | frozenset("""
    jahr jahrhundert jahrzehnt monat datum zeitpunkt name namen begriff
    bezeichnung prozentsatz anzahl zahl year century decade
    """.split())
# Nouns that name what kind of thing an answer is ("Stadt", "Bundesstaat", "Jahr", "Präsident"):
# before a name they only say what it is ("im US-Bundesstaat Indiana"), which offers no answer
# (fundstelle.offers).
KIND_NOUNS = frozenset().union(*HEAD_NOUNS.values()) | _TYPE_NOUNS
# A number asked for that is an amount of money: what something costs, its price, how much money.
_MONEY_QUESTION = re.compile(
    r"\b(?:kostet|kosten|kostete|kosteten|gekostet|teuer|teurer|geld|zu welchem preis|für welchen preis|"
    r"cost|costs|costed|expensive|money|at what price|for what price)\b", re.IGNORECASE)


def question_type(question: str) -> str:
    """Classify what a question asks for.

    One of ``date``, ``number``, ``person``, ``place``, ``name``, ``reason``,
    ``purpose``, ``manner`` or ``other``.
    """
    if _NAMING_QUESTION.search(question):
        return "name"
    for kind, pattern in _QUESTION_WORDS:
        if pattern.search(question):
            return kind
    match = _WHICH_NOUN.search(question)
    if match:
        head = match.group(1).lower()
        last = head.rsplit("-", 1)[-1]
        if head not in SORT_NOUNS:
            for kind, nouns in HEAD_NOUNS.items():
                if head in nouns or last in nouns or (kind == "date" and last.startswith("jahr")):
                    return kind
    for kind, pattern in _ASKING_WORDS:
        if pattern.search(question):
            return kind
    return "other"


def _type_stems(question: str) -> frozenset[str]:
    """Stems of the words that only name the kind of answer wanted."""
    stems: set[str] = set()
    for match in _WHICH_NOUN.finditer(question):
        if match.group(1).lower() in _TYPE_NOUNS:
            stems.update(token.stem for token in analyze(match.group(1)))
    return frozenset(stems)


@dataclass(frozen=True)
class Question:
    """A question as every stage after retrieval reads it; build it with :meth:`of`.

    ``asked`` is the text as the caller gave it, ``text`` the text all rules read (the
    query path's is cleaned by :func:`clean_question`); ``tokens`` its words with stop words (``stop=True``),
    ``content`` without them; ``stems`` the content words' stems, sorted, without
    ``type_stems`` (those of head nouns that only name the kind of answer, "In welchem
    *Jahr*"): what sentences are matched against. ``kind`` is what is asked
    (:func:`question_type`); ``head_noun`` the noun after "welche" as written ("" if none);
    ``money`` tells that the number asked for is an amount of money ("Was kostet …", "Wie
    teuer …", "Wie viel Geld …").
    """

    asked: str
    text: str
    tokens: tuple[Token, ...]
    content: tuple[Token, ...]
    stems: tuple[str, ...]
    kind: str
    type_stems: frozenset[str]
    head_noun: str
    money: bool = False

    @classmethod
    def of(cls, text: str, asked: str | None = None) -> Question:
        """Read ``text`` as it stands; ``asked``, if given, is what the caller asked before cleaning.

        ``Question.of(clean_question(asked), asked)`` is what search and ask read.
        """
        tokens = tuple(analyze(text, keep_stopwords=True))
        content = tuple(token for token in tokens if not token.stop)
        type_stems = _type_stems(text)
        which = _WHICH_NOUN.search(text)
        kind = question_type(text)
        return cls(
            asked=text if asked is None else asked, text=text, tokens=tokens, content=content,
            stems=tuple(sorted({token.stem for token in content} - type_stems)),
            kind=kind, type_stems=type_stems, head_noun=which.group(1) if which else "",
            money=kind == "number" and bool(_MONEY_QUESTION.search(text)),
        )
