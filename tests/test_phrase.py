"""The answer phrase inside one answering sentence."""

from __future__ import annotations

import pytest

from fundstelle.phrase import ALL_KINDS, answer_phrase
from fundstelle.question import Question


def phrase(question: str, sentence: str) -> str | None:
    """The phrase every rule would name (the library shows only SHOWN_KINDS by default)."""
    span = answer_phrase(Question.of(question), sentence, kinds=ALL_KINDS)
    if span is None:
        return None
    assert sentence[span.start:span.end] == span.text
    return span.text


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        # "wie viel" asks for an amount: the sum of money, not the number of tranches.
        ("Wie viel hat Amazon in Anthropic investiert?",
         "Amazon hatte bereits vier Milliarden US-Dollar in zwei Tranchen in Anthropic investiert.",
         "vier Milliarden US-Dollar"),
        # "wie viele" counts what the question names; the answer is the number.
        ("Wie viele Punkte gab die Verteidigung ab?",
         "Die Verteidigung gab nur 308 Punkte ab und stellte 24 Spieler.", "308"),
        ("Wie alt war Goethe, als er starb?", "Goethe starb mit 82 Jahren in Weimar.", "82"),
        ("Welcher Prozentsatz der Stimmen entfiel auf die Liste?",
         "Von 1200 Stimmen entfielen 56,2% auf die Liste.", "56,2%"),
    ],
)
def test_numbers(question: str, sentence: str, expected: str) -> None:
    assert phrase(question, sentence) == expected


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        ("Wann wurde die Brücke eröffnet?",
         "Die Brücke wurde am 8. Februar 1932 eröffnet und 1945 zerstört.", "8. Februar 1932"),
        ("In welchem Jahr wurde die Brücke eröffnet?",
         "Die Brücke wurde am 8. Februar 1932 eröffnet und erst viel später abgerissen.", "1932"),
    ],
)
def test_dates(question: str, sentence: str, expected: str) -> None:
    assert phrase(question, sentence) == expected


def test_date_the_question_names_is_not_the_answer() -> None:
    assert phrase("Wann starb der Architekt, der 1932 die Brücke baute?",
                  "Der Architekt, der 1932 die Brücke baute, starb 1951 in Köln.") == "1951"


@pytest.mark.parametrize(
    ("question", "sentence", "expected"),
    [
        # The person the question names (Anthropic) is not the answer; listed founders are one.
        ("Wer hat Anthropic gegründet?", "Anthropic wurde 2021 von Dario und Daniela Amodei gegründet.",
         "Dario und Daniela Amodei"),
        # A role word before the name is left out.
        ("Wer leitet bei Amazon die Entwicklung eigener Modelle?",
         "Bei Amazon leitet der frühere Adept-Chef David Luan die Entwicklung eigener Modelle.", "David Luan"),
        ("Welcher Dichter stammte von Hugenotten ab?",
         "Von Hugenotten stammten mehrere Berliner ab, darunter der Dichter Theodor Fontane.", "Theodor Fontane"),
    ],
)
def test_persons(question: str, sentence: str, expected: str) -> None:
    assert phrase(question, sentence) == expected


def test_names_and_kinds() -> None:
    assert phrase("Wie heißt der Fluss durch Bonn?", "Der Fluss durch Bonn wird Rhein genannt.") == "Rhein"
    assert phrase("Welches Meer liegt vor Wladiwostok?", "Wladiwostok liegt am Japanischen Meer.") == "Japanischen Meer"
    assert phrase("Über welchen Fluss führt die Brücke?", "Die Brücke führt über den Fluss Tyne.") == "Tyne"
    assert phrase("Wie lautete der Endstand?", "Das Spiel endete nach Verlängerung 20-18, ein Rekord.") == "20-18"


@pytest.mark.parametrize(
    ("question", "sentence"),
    [
        # No name in the sentence: no person to show.
        ("Wer hat Anthropic gegründet?", "Anthropic ist ein Unternehmen für künstliche Intelligenz."),
        # The only name is the one the question asks about.
        ("Wer hat Anthropic gegründet?", "Gegründet wurde Anthropic vor einigen Jahren."),
        # The only number is the one the question already holds.
        ("Wie viele der 308 Punkte fielen im letzten Viertel?", "Die meisten der 308 Punkte fielen spät."),
        # A lone capitalised word is as likely a noun as a name.
        ("Wer fand den Schatz?", "Den Schatz fand schließlich Müller im Garten."),
        # No rule reads reasons, ways or definitions reliably.
        ("Warum wurde der Fluss begradigt?", "Der Fluss wurde begradigt, weil er oft über die Ufer trat."),
        ("Was ist Project Rainier?", "Project Rainier ist ein Rechenzentrum in Indiana."),
    ],
)
def test_no_phrase_when_not_sure(question: str, sentence: str) -> None:
    assert phrase(question, sentence) is None


def test_english_questions() -> None:
    assert phrase("When was Anthropic founded?", "Anthropic was founded in 2021 by Dario Amodei.") == "2021"
    assert phrase("Who founded Anthropic?", "Anthropic was founded in 2021 by Dario Amodei.") == "Dario Amodei"


def test_only_reliable_kinds_are_shown_by_default() -> None:
    sentence = "Anthropic wurde 2021 von Dario und Daniela Amodei gegründet."
    assert answer_phrase(Question.of("Wer hat Anthropic gegründet?"), sentence) is None
    assert answer_phrase(Question.of("Wann wurde Anthropic gegründet?"), sentence).text == "2021"


def test_a_naming_question_shows_the_one_quoted_title_it_does_not_hold() -> None:
    sentence = "Mit „Project Rainier“ errichtet der Konzern einen Rechenzentrumskomplex."
    shown = answer_phrase(Question.of("Wie heißt das Rechenzentrumsprojekt?"), sentence)
    assert shown is not None and shown.text == "Project Rainier" == sentence[shown.start:shown.end]
    # the question already names it, or two titles leave it open: the whole sentence stays
    assert answer_phrase(Question.of("Wie heißt „Project Rainier“ noch?"), sentence) is None
    two = "Aus „Project Rainier“ wurde „Project Olympus“."
    assert answer_phrase(Question.of("Wie heißt das Projekt heute?"), two) is None
