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


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Er kam am 3. Oktober 1990 an. Dann ging er.", ["Er kam am 3. Oktober 1990 an.", "Dann ging er."]),
        ("Das war im 3. Jh. v. Chr. wichtig. Danach nicht.", ["Das war im 3. Jh. v. Chr. wichtig.", "Danach nicht."]),
        ("Das geschah u. a. in Berlin. Danach in Bonn.", ["Das geschah u. a. in Berlin.", "Danach in Bonn."]),
        ("Prof. Dr. Meier sprach. Alle hörten zu.", ["Prof. Dr. Meier sprach.", "Alle hörten zu."]),
        ("Die Rate lag bei 3,5 %. Sie fiel.", ["Die Rate lag bei 3,5 %.", "Sie fiel."]),
        ("Er kam um 14.30 Uhr. Sie ging.", ["Er kam um 14.30 Uhr.", "Sie ging."]),
        ("Er wurde am 12.03.2020 entlassen. Gut.", ["Er wurde am 12.03.2020 entlassen.", "Gut."]),
        ("Ludwig XIV. regierte lange. Er starb 1715.", ["Ludwig XIV. regierte lange.", "Er starb 1715."]),
        ("Er wohnt in der Hauptstr. 5. Sie nicht.", ["Er wohnt in der Hauptstr. 5.", "Sie nicht."]),
        ("Das steht in Art. 5 Abs. 3 GG. Es gilt.", ["Das steht in Art. 5 Abs. 3 GG.", "Es gilt."]),
        ("Sie kamen aus den USA. Dort blieben sie.", ["Sie kamen aus den USA.", "Dort blieben sie."]),
        ("Sie wollten es erzählen.Politische Fragen folgten.",
         ["Sie wollten es erzählen.", "Politische Fragen folgten."]),
        ("Er nutzte z.B. Äpfel. Gut.", ["Er nutzte z.B. Äpfel.", "Gut."]),
        ("Mehr unter www.example.com. Danke.", ["Mehr unter www.example.com.", "Danke."]),
        ("Was ist das? Ein Test! Ja… Genau.", ["Was ist das?", "Ein Test!", "Ja…", "Genau."]),
        ("The U.S. Army won in 1945. The war ended.", ["The U.S. Army won in 1945.", "The war ended."]),
        ("It cost $2.5 million, i.e. a lot. Then it stopped.",
         ["It cost $2.5 million, i.e. a lot.", "Then it stopped."]),
    ],
)
def test_more_german_and_english_cases(text: str, expected: list[str]) -> None:
    assert sentences(text) == expected
