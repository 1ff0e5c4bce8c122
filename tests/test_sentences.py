"""The German-aware sentence splitter."""

from __future__ import annotations

import pytest

from fundstelle.sentences import split_sentences


def sentences(text: str) -> list[str]:
    return [text[start:end] for start, end in split_sentences(text)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Das kostet z. B. 2,2 Mio. Euro. Danach nicht.", ["Das kostet z. B. 2,2 Mio. Euro.", "Danach nicht."]),
        ("Das heißt, d. h. nichts. Gut.", ["Das heißt, d. h. nichts.", "Gut."]),
        ("Er wohnt in Nr. 5 bei Dr. Müller. Sie nicht.", ["Er wohnt in Nr. 5 bei Dr. Müller.", "Sie nicht."]),
        ("Im 19. Jahrhundert wuchs die Stadt. Dann schrumpfte sie.",
         ["Im 19. Jahrhundert wuchs die Stadt.", "Dann schrumpfte sie."]),
        ("Am 1. Mai 2020 begann es. Es endete bald.", ["Am 1. Mai 2020 begann es.", "Es endete bald."]),
        ("Der 2. Weltkrieg endete 1945. Danach kam die Teilung.",
         ["Der 2. Weltkrieg endete 1945.", "Danach kam die Teilung."]),
        ("Die Leistung beträgt 2,2 Gigawatt. Das ist viel.", ["Die Leistung beträgt 2,2 Gigawatt.", "Das ist viel."]),
        ("Er sagte: „Wo ist das?“ Dann ging er.", ["Er sagte: „Wo ist das?“", "Dann ging er."]),
        ("„Wo?“, fragte sie. Er schwieg.", ["„Wo?“, fragte sie.", "Er schwieg."]),
        ("Mr. Smith met John F. Kennedy in Washington. It was fun!",
         ["Mr. Smith met John F. Kennedy in Washington.", "It was fun!"]),
        ("We use e.g. numbers. Then we stop.", ["We use e.g. numbers.", "Then we stop."]),
        ("Überschrift\n\nDer erste Absatz. Der zweite Satz.", ["Überschrift", "Der erste Absatz.", "Der zweite Satz."]),
        ("Kurzer Titel\nDer Text beginnt hier.", ["Kurzer Titel", "Der Text beginnt hier."]),
        ("Im Jahr 2020. Danach nicht.", ["Im Jahr 2020.", "Danach nicht."]),
    ],
)
def test_german_and_english_cases(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected


def test_wrapped_lines_stay_one_sentence() -> None:
    text = ("Dieser lange Satz ist über mehrere Zeilen umbrochen, wie es in alten Textdateien oft\n"
            "vorkommt, und er endet erst hier.")
    assert sentences(text) == [text]


def test_spans_cover_all_text_without_overlap() -> None:
    text = "  Erster Satz.  Zweiter Satz!\n\nDritter?  "
    spans = split_sentences(text)
    assert [text[s:e] for s, e in spans] == ["Erster Satz.", "Zweiter Satz!", "Dritter?"]
    assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))


def test_empty_text_has_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences(" \n\n ") == []
