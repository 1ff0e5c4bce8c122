"""The answer highlighter: question kinds, sentence choice, answer phrases."""

from __future__ import annotations

import pytest

from fundstelle.highlight import pick_answer
from fundstelle.lexical import analyze
from fundstelle.matching import find_terms
from fundstelle.phrase import with_phrase
from fundstelle.question import Question, question_type
from fundstelle.results import AnswerSpan
from fundstelle.sentences import split_sentences

RAINIER = (
    "Genau hier setzt Amazon an. Mit „Project Rainier“ errichtet der Konzern im US-Bundesstaat Indiana "
    "einen Rechenzentrumskomplex von enormen Ausmaßen. Nach seiner Fertigstellung soll dieser eine "
    "Leistung von 2,2 Gigawatt aufbringen und ist speziell auf die Bedürfnisse von Anthropic zugeschnitten. "
    "In diesen Zentren kommen Amazons hauseigene Trainium-2-Beschleunigerchips zum Einsatz."
)
PANTHERS = (
    "Die Verteidigung der Panthers gab in der Saison nur 308 Punkte ab. "
    "Sie belegte damit den sechsten Platz in der Liga. "
    "Die Panthers spielten ihre Heimspiele in Charlotte."
)


def answer(question: str, text: str, similarity: list[float] | None = None) -> AnswerSpan:
    asked = Question.of(question)
    result = pick_answer(asked, text, split_sentences(text), None, similarity)
    assert result is not None
    result = with_phrase(result, asked)  # as Index.search shows it
    assert text[result.start:result.end] == result.text
    if result.phrase is not None:
        assert result.start <= result.phrase.start < result.phrase.end <= result.end
        assert text[result.phrase.start:result.phrase.end] == result.phrase.text
    return result


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("Wann wurde der Rhein begradigt?", "date"),
        ("In welchem Jahr starb Tesla?", "date"),
        ("In welchem Jahrhundert entstand die Quantenmechanik?", "date"),
        ("Wie viele Punkte gab die Verteidigung ab?", "number"),
        ("Welcher Prozentsatz stimmte dafür?", "number"),
        ("Welche Leistung soll Project Rainier haben?", "number"),
        ("Wer hat Anthropic gegründet?", "person"),
        ("Welcher kolumbianische Präsident studierte in Harvard?", "person"),
        ("Wo entspringt der Rhein?", "place"),
        ("Welche Stadt liegt am Rhein?", "place"),
        ("Wie heißt der Fluss durch Bonn?", "name"),
        ("Warum wurde der Fluss begradigt?", "reason"),
        ("Wozu dient der Sauerteig?", "purpose"),
        ("Wodurch wird die Kruste knusprig?", "manner"),
        ("Welche Art von Stadt ist Warschau?", "other"),
        ("Was ist Project Rainier?", "other"),
        ("When was the Rhine straightened?", "date"),
        ("How many points did the defence allow?", "number"),
        ("Who founded Anthropic?", "person"),
        ("Where does the Rhine rise?", "place"),
        ("In welchem Jahr sagte Doctor Who das?", "date"),  # "Who" inside a German question is a name
        ("Was kostet der Bau?", "number"),  # an amount of money
        ("Wie teuer ist das Ticket?", "number"),
        ("What does the ticket cost?", "number"),
    ],
)
def test_question_kinds(question: str, kind: str) -> None:
    assert question_type(question) == kind


def test_sentence_that_continues_the_one_naming_the_subject_is_found() -> None:
    # "dieser" refers back to Project Rainier, named in the sentence before.
    result = answer("Welche Leistung soll Project Rainier haben?", RAINIER)
    assert result.text.startswith("Nach seiner Fertigstellung soll dieser")
    assert result.phrase is not None and result.phrase.text == "2,2 Gigawatt"


def test_number_phrase_leaves_out_the_unit_the_question_names() -> None:
    result = answer("Wie viele Punkte gab die Verteidigung der Panthers ab?", PANTHERS)
    assert "308 Punkte" in result.text
    assert result.phrase is not None and result.phrase.text == "308"


def test_year_question_gets_the_year_alone() -> None:
    text = "Tesla lebte zuletzt in New York. Er starb dort am 7. Januar 1943 in einem Hotelzimmer."
    result = answer("In welchem Jahr starb Tesla?", text)
    assert result.text.startswith("Er starb")
    assert result.phrase is not None and result.phrase.text == "1943"


def test_a_pronoun_sentence_counts_the_words_of_the_sentence_before() -> None:
    text = ("Die erste Börse der Stadt wurde 1817 gegründet und bestand bis zum Krieg. "
            "Sie wurde im April 1991 wieder zum Leben erweckt.")
    result = answer("Wann wurde die Börse der Stadt wieder zum Leben erweckt?", text)
    assert result.text.startswith("Sie wurde im April 1991")
    assert result.phrase is not None and result.phrase.text == "April 1991"


def test_split_verbs_and_participles_match_the_question() -> None:
    text = "Die Spanier eroberten das Fort im Jahr 1565. Die Spanier benannten das Fort in San Mateo um."
    assert answer("Zu was wurde das Fort von den Spaniern umbenannt?", text).text.startswith("Die Spanier benannten")
    text = "Die Stadt liegt am Fluss. Ein Händler aus Lübeck gründete die Stadt."
    assert answer("Wer hat die Stadt gegründet?", text).text == "Ein Händler aus Lübeck gründete die Stadt."


def test_person_question_prefers_the_sentence_with_a_new_name() -> None:
    text = ("Mit 39 Jahren ist er der älteste Quarterback, der je in einem Super Bowl spielte. "
            "Vor ihm hielt John Elway den Rekord als ältester Quarterback in einem Super Bowl.")
    result = answer("Wer hielt zuvor den Rekord als ältester Quarterback in einem Super Bowl?", text)
    assert "John Elway" in result.text
    assert result.phrase is None  # names are used to choose, not shown as the answer phrase


def test_similarity_decides_when_the_words_do_not() -> None:
    text = "Sie töteten viele der Kanadier. Danach zogen sie weiter nach Süden."
    question = "Wer waren die Opfer in der Schlacht?"
    assert answer(question, text, [0.8, 0.7]).text == "Sie töteten viele der Kanadier."
    assert answer(question, text, [0.7, 0.8]).text == "Danach zogen sie weiter nach Süden."


def test_similarity_must_have_one_value_per_sentence() -> None:
    with pytest.raises(ValueError, match="2 values for 3 sentences"):
        pick_answer(Question.of("Wo?"), PANTHERS, split_sentences(PANTHERS), None, [0.1, 0.2])


def test_empty_text_has_no_answer_and_text_without_sentences_is_one() -> None:
    assert pick_answer(Question.of("Wer?"), "   ", []) is None
    result = pick_answer(Question.of("Wer kam?"), "Anna kam spät", [])
    assert result is not None and result.text == "Anna kam spät"


def test_answer_stays_inside_a_chunk_cut_mid_sentence() -> None:
    chunk = "gab in der Saison nur 308 Punkte ab. Sie belegte damit den sechsten Platz"
    result = answer("Wie viele Punkte gab die Verteidigung ab?", chunk)
    assert result.end <= len(chunk) and result.phrase is not None and result.phrase.text == "308"


def test_find_terms_matches_compounds_and_word_forms() -> None:
    text = "Der Rechenzentrumskomplex in Indiana wächst; Rechenzentren entstehen überall."
    terms = [span.text for span in find_terms(text, analyze("Wo baut Amazon das Rechenzentrum?"))]
    assert terms == ["Rechenzentrumskomplex", "Rechenzentren"]
