"""Index.ask: one answer (or none) chosen among the sentences of the top passages."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import ROOT

import fundstelle
from fundstelle import Index, ingest
from fundstelle.answer import (
    CONFIDENCE_INPUTS,
    FEATURES,
    UNMET_CEILING,
    Candidate,
    Sentence,
    choose,
    features,
    load_model,
)
from fundstelle.offers import offers_asked
from fundstelle.question import Question

LONG_DOC = (
    "Die Stadt Lindau liegt am Bodensee. Sie hat rund 25.000 Einwohner. Der Hafen wurde 1811 angelegt. "
    "Am Hafen steht ein Leuchtturm aus dem Jahr 1856. Der Leuchtturm ist 33 Meter hoch. Daneben steht "
    "ein bayerischer Löwe aus Marmor. Die Insel ist durch eine Brücke und einen Bahndamm mit dem Festland "
    "verbunden. Der Bahndamm wurde 1853 gebaut. Heute halten dort Züge aus München und Zürich."
)


@pytest.fixture
def overlapping_index(tmp_path: Path) -> Index:
    """One document in small chunks that overlap by half: sentences stand in two chunks."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "lindau.txt").write_text(LONG_DOC, encoding="utf-8")
    ingest([folder], tmp_path / "index", model="hashing", chunk_size=160, chunk_overlap=80)
    return Index.open(tmp_path / "index")


def test_hits_point_into_the_document(overlapping_index: Index) -> None:
    reply = overlapping_index.ask("Wie hoch ist der Leuchtturm?", k=3)
    assert reply.answer is not None and reply.answer.text == "Der Leuchtturm ist 33 Meter hoch."
    assert reply.answer.phrase is not None and reply.answer.phrase.text == "33 Meter"
    assert reply.hits[0].answer.text == reply.answer.text  # the first hit shows where the answer stands
    text = overlapping_index.document(reply.hits[0].doc_id).text
    for hit in reply.hits:
        assert text[hit.start:hit.end] == hit.text
        assert hit.text[hit.answer.start:hit.answer.end] == hit.answer.text


def test_no_two_hits_show_the_same_stretch_of_text(overlapping_index: Index) -> None:
    # Chunks of 160 characters overlapping by 80: neighbouring chunks are one hit (their union).
    for question in ("Wie hoch ist der Leuchtturm?", "Wann wurde der Bahndamm gebaut?", "Lindau Hafen Löwe"):
        for hits in (overlapping_index.search(question, k=5), overlapping_index.ask(question, k=5).hits):
            spans = sorted((hit.start, hit.end) for hit in hits)
            assert all(end <= start for (_, end), (start, _) in zip(spans, spans[1:])), spans


def test_a_who_question_whose_passages_name_no_one_gets_no_answer(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "bruecke.txt").write_text(
        "Die Brücke über den Fluss wurde 1904 eröffnet. Sie ist 300 Meter lang und aus Stein. "
        "Der Bau dauerte vier Jahre und kostete viel Geld.", encoding="utf-8")
    ingest([folder], tmp_path / "index", model="hashing")
    reply = Index.open(tmp_path / "index").ask("Wer hat die Brücke über den Fluss gebaut?")
    assert reply.hits
    assert reply.answer is None


def _sentence(row: int, text: str, heading: bool = False) -> Sentence:
    return Sentence(row=row, doc_id="d", start=10 * row, end=10 * row + len(text), text=text, previous=None,
                    following=None, context=(), heading=heading, window_cosine=0.5,
                    document_cosine=0.5, passage=0, passage_lead=0.0)


def test_what_is_asked_is_a_constraint_not_a_hint() -> None:
    question = Question.of("Wie viele Einwohner hat Lindenau?")
    rows = [_sentence(0, "Lindenau", heading=True), _sentence(1, "Lindenau ist eine Stadt mit vielen Einwohnern."),
            _sentence(2, "Sie zählt heute 48.000 Menschen.")]
    candidates = [Candidate(s, np.zeros(len(FEATURES)), offers_asked(s.text, question)) for s in rows]
    # The heading scores best but is never the answer; the sentence that restates the
    # question lacks a number, so its neighbour that offers one is the answer.
    assert choose(candidates, np.array([5.0, 3.0, 1.0]), question) == 2
    # A question of no typed kind takes the best sentence that is not a heading.
    assert choose(candidates, np.array([5.0, 3.0, 1.0]), Question.of("Was ist Lindenau?")) == 1


def test_a_sentence_going_on_about_the_questions_subject_is_weighed_so() -> None:
    # "Es öffnete im Mai 2001" names the museum only by pronoun; the sentence before names
    # it with the question's words (and a year of its own). The features say that the third
    # sentence goes on about what the second named, and the shipped model prefers it.
    question = Question.of("Wann öffnete das Hafenmuseum in Kellbach?")
    first = "Das Hafenmuseum in Kellbach zeigt Schiffsmodelle."
    restating = "Über das Hafenmuseum in Kellbach stritt der Stadtrat ab 1990 jahrelang."
    going_on = "Es öffnete im Mai 2001 seine Türen."
    rows = [
        dataclasses.replace(_sentence(0, first), following=restating),
        dataclasses.replace(_sentence(1, restating), previous=first, following=going_on, context=(first,)),
        dataclasses.replace(_sentence(2, going_on), previous=restating, context=(restating, first)),
    ]
    candidates = features(question, rows, None, 1.0, 1.0)
    column = {name: FEATURES.index(name) for name in ("refers_back", "previous_coverage", "continues")}
    assert [c.features[column["refers_back"]] for c in candidates] == [0.0, 0.0, 1.0]
    assert candidates[2].features[column["continues"]] == candidates[2].features[column["previous_coverage"]] > 0.5
    model = load_model()
    assert int(np.argmax(model.score(np.stack([c.features for c in candidates])))) == 2


def test_an_answer_lacking_the_asked_kind_is_never_given() -> None:
    model = load_model()
    question = Question.of("Wer hat die Brücke gebaut?")
    rows = [_sentence(0, "Die Brücke wurde 1904 eröffnet."), _sentence(1, "Sie ist 300 Meter lang.")]
    matrix = np.ones((2, len(FEATURES)))
    candidates = [Candidate(s, vector, offers_asked(s.text, question)) for s, vector in zip(rows, matrix)]
    choice = model.choose(candidates, question)
    assert choice is not None and not choice.offers
    assert choice.confidence <= UNMET_CEILING < 0.5
    assert not model.answers(choice)


def test_overlapping_hits_never_repeat_an_answer_sentence(overlapping_index: Index) -> None:
    for question in ("Wie hoch ist der Leuchtturm?", "Wann wurde der Bahndamm gebaut?", "Lindau Hafen Löwe"):
        reply = overlapping_index.ask(question, k=5)
        assert len(reply.hits) >= 2
        shown = [(hit.doc_id, hit.start + hit.answer.start, hit.start + hit.answer.end) for hit in reply.hits]
        sentences = [overlapping_index.document(doc).text[a:b] for doc, a, b in shown]
        assert len(set(sentences)) == len(sentences), sentences


def test_hits_are_ordered_by_their_best_answer(overlapping_index: Index) -> None:
    reply = overlapping_index.ask("Wann wurde der Bahndamm gebaut?", k=4)
    scores = [hit.answer.score for hit in reply.hits]
    assert scores == sorted(scores, reverse=True)
    assert [hit.rank for hit in reply.hits] == list(range(1, len(reply.hits) + 1))


def test_module_level_ask_and_bad_input(overlapping_index: Index) -> None:
    reply = fundstelle.ask("Wann wurde der Hafen angelegt?", folder=overlapping_index.folder, k=1)
    assert reply.to_dict() == overlapping_index.ask("Wann wurde der Hafen angelegt?", k=1).to_dict()
    assert len(reply.hits) == 1 and reply.hits[0].answer.text == "Der Hafen wurde 1811 angelegt."
    with pytest.raises(ValueError, match="empty"):
        overlapping_index.ask("   ")
    with pytest.raises(ValueError, match="mode"):
        overlapping_index.ask("Hafen", mode="fuzzy")


def test_ask_on_the_command_line_as_json(overlapping_index: Index) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run(
        [sys.executable, "-m", "fundstelle", "ask", "Wie hoch ist der Leuchtturm?", "--index",
         str(overlapping_index.folder), "--k", "2", "--json"],
        env=env, capture_output=True, text=True, timeout=300,
    )
    assert done.returncode == 0, done.stderr
    reply = json.loads(done.stdout)
    assert set(reply) == {"question", "answer", "hits"}
    assert set(reply["answer"]) == {"text", "phrase", "confidence", "doc_id", "source", "title", "start", "end",
                                    "pages"}
    assert reply["answer"]["text"] == "Der Leuchtturm ist 33 Meter hoch."
    assert reply["answer"]["phrase"]["text"] == "33 Meter"
    # The same reply as the library's, down to offsets and scores.
    assert reply == overlapping_index.ask("Wie hoch ist der Leuchtturm?", k=2).to_dict()


def test_what_a_sentence_offers_for_the_asked_kind() -> None:
    count = Question.of("Wie viele Mitarbeiter hat die Firma?")
    assert not offers_asked("Die Firma wurde 2021 gegründet.", count)  # a year counts nothing
    assert offers_asked("Sie hat 120 Mitarbeiter.", count)
    assert offers_asked("Sie hat keine Mitarbeiter.", count)
    when = Question.of("Wann entstand das Gebirge?")
    assert offers_asked("Es entstand vor 66 Millionen Jahren.", when)
    assert not offers_asked("Es ist sehr hoch.", when)
    who = Question.of("Wer leitet die Behörde?")
    assert offers_asked("Geleitet wird sie von Maria Huber.", who)
    assert offers_asked("Die Aufsicht liegt bei der FTC.", who)  # an acronym names an organisation
    assert not offers_asked("Die Aktie legte um vier Prozent zu.", who)  # "Prozent" names no one


def test_an_offer_must_add_a_word_the_question_does_not_hold() -> None:
    city = Question.of("In welcher Stadt in Ohio steht das Rechenzentrum?")
    # "US-Bundesstaat" only says what Ohio is; Ohio the question holds; "US" qualifies "Bundesstaat".
    assert not offers_asked("Das Rechenzentrum steht im US-Bundesstaat Ohio.", city)
    assert not offers_asked("Das Rechenzentrum steht in Ohio.", city)
    assert offers_asked("Das Rechenzentrum steht in Columbus im US-Bundesstaat Ohio.", city)
    state = Question.of("In welchem Bundesstaat steht das Rechenzentrum?")
    assert offers_asked("Das Rechenzentrum steht im US-Bundesstaat Ohio.", state)
    when = Question.of("Was geschah im Jahr 1969 in welchem Monat?")
    assert not offers_asked("Im Jahr 1969 geschah viel.", when)
    assert offers_asked("Im Juli 1969 landeten sie auf dem Mond.", when)
    who = Question.of("Wem ist der FBI-Direktor unterstellt?")
    assert offers_asked("Der FBI-Direktor wird vom US-Präsidenten ernannt.", who)  # a role may be the answer
    assert not offers_asked("Der FBI-Direktor wird vom FBI-Direktor ernannt.", who)


def test_a_cost_question_asks_for_an_amount_of_money() -> None:
    for asked in ("Was kostet der Bau des Rechenzentrums?", "Wie teuer ist das Projekt?",
                  "How much does the data centre cost?", "Wie viel Geld hat Helion investiert?"):
        question = Question.of(asked)
        assert question.kind == "number" and question.money, asked
        assert not offers_asked("Das Rechenzentrum soll eine Leistung von 1,5 Gigawatt haben.", question)
        assert offers_asked("Der Bau soll rund 11 Milliarden US-Dollar kosten.", question)
        assert offers_asked("The site cost $11bn to build.", question)
    assert offers_asked("Der Eintritt ist kostenlos.", Question.of("Was kostet der Eintritt?"))
    prizes = Question.of("Wie viele Preise hat der Film gewonnen?")  # a count, not money
    assert not prizes.money and offers_asked("Der Film gewann drei Preise.", prizes)


def test_the_shipped_model_fits_this_version() -> None:
    model = load_model()
    for profile in (model.native, model.foreign):
        assert len(profile.sentences.weights) == len(FEATURES)
        assert len(profile.confidence.weights) == len(CONFIDENCE_INPUTS)
    assert 0.0 < model.threshold < 1.0
    assert model.provenance["command"].startswith("python benchmarks/answers.py --fit")
    # Probabilities stay probabilities whatever the candidates look like, in either profile.
    matrix = np.random.default_rng(0).normal(size=(7, len(FEATURES)))
    question = Question.of("Was baute er?")
    for language in (0.0, 1.0):
        matrix[:, FEATURES.index("language")] = language
        assert model.profile(matrix) is (model.native if language else model.foreign)
        candidates = [Candidate(_sentence(i, "Er baute eine Brücke."), row, False) for i, row in enumerate(matrix)]
        choice = model.choose(candidates, question)
        assert choice is not None and 0.0 <= choice.confidence <= 1.0


def test_a_model_fitted_on_other_features_is_refused(tmp_path: Path) -> None:
    data = json.loads(Path(fundstelle.answer.MODEL_FILE).read_text(encoding="utf-8"))
    data["features"] = data["features"][:-1]
    stale = tmp_path / "model.json"
    stale.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(ValueError, match="refit"):
        load_model(stale)


@pytest.fixture(scope="module")
def article_index(article_folder: Path) -> Index:
    return Index.open(article_folder)


@pytest.mark.model
def test_headline_question_gets_the_amount(article_index: Index) -> None:
    reply = article_index.ask("Wie viel hat Amazon in Anthropic investiert?")
    assert reply.answer is not None
    assert reply.answer.phrase is not None and reply.answer.phrase.text == "vier Milliarden US-Dollar"
    document = article_index.document(reply.answer.doc_id).text
    assert document[reply.answer.phrase.start:reply.answer.phrase.end] == "vier Milliarden US-Dollar"
    assert reply.answer.confidence > 0.5


@pytest.mark.model
def test_the_data_centre_project_is_named(article_index: Index) -> None:
    reply = article_index.ask("Wie heißt das Rechenzentrumsprojekt von Amazon?")
    assert reply.answer is not None
    assert "Project Rainier" in reply.answer.text
    assert reply.answer.phrase is not None and reply.answer.phrase.text == "Project Rainier"  # marked in the card
    assert "Project Rainier" in reply.hits[0].answer.text  # the first hit shows where the answer stands


@pytest.mark.model
def test_a_fact_named_by_pronoun_is_found(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "lindenau.txt").write_text(
        "Lindenau ist eine Kleinstadt im Landkreis Oberhagen. Die Stadt wurde im 12. Jahrhundert erstmals erwähnt. "
        "Sie zählt heute rund 48.000 Einwohner. Wirtschaftlich ist die Gemeinde vom Maschinenbau geprägt.",
        encoding="utf-8")
    ingest([folder], tmp_path / "index")
    reply = Index.open(tmp_path / "index").ask("Wie viele Einwohner hat Lindenau?")
    assert reply.answer is not None and "48.000" in reply.answer.text


DATA_CENTRE = (
    "Nordlicht-Rechenzentrum\n\n"
    "Der Konzern Helion baut ein neues Rechenzentrum für künstliche Intelligenz. Das Rechenzentrum steht im "
    "US-Bundesstaat Ohio und soll Ende des Jahres fertig sein. Nach seiner Fertigstellung soll es eine Leistung "
    "von 1,5 Gigawatt haben. Dort sollen Hunderttausende Chips laufen.\n\n"
    "Helion will mit dem Projekt unabhängiger von anderen Anbietern werden. Die Chips entwickelt der Konzern selbst."
)


@pytest.mark.model
def test_questions_a_document_holds_only_the_words_of_get_no_answer(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "nordlicht.txt").write_text(DATA_CENTRE, encoding="utf-8")
    ingest([folder], tmp_path / "index")
    index = Index.open(tmp_path / "index")
    reply = index.ask("In welchem Bundesstaat steht das Rechenzentrum?")
    assert reply.answer is not None and "Ohio" in reply.answer.text
    # The document names the state, no city; and a power, no price.
    for question in ("In welcher Stadt in Ohio steht das Rechenzentrum?", "Was kostet der Bau des Rechenzentrums?"):
        reply = index.ask(question)
        assert reply.answer is None, (question, reply.answer)
        assert reply.hits  # the passages are still there to read


@pytest.mark.model
def test_question_the_article_cannot_answer_gets_none(article_index: Index) -> None:
    reply = article_index.ask("Wie viele Mitarbeiter hat Anthropic?")
    assert reply.answer is None
    assert len(reply.hits) == 5  # the closest passages are still there to read
