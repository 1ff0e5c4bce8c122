"""Filters (``where=``): only the documents a filter keeps are ranked, exactly, also on HNSW graphs."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from fundstelle import Index, ingest
from fundstelle.backends import FaissIndex, SentenceMaxIndex
from fundstelle.cli import main
from fundstelle.filters import Condition, check_where, parse_where, restrict

MOON = "Wer betrat als erster Mensch den Mond?"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Index:
    from conftest import write_corpus

    root = tmp_path_factory.mktemp("small")
    folder = write_corpus(root / "docs")
    ingest([folder], root / "index", model="hashing", chunk_size=80, chunk_overlap=30)
    return Index.open(root / "index")


def doc_id(index: Index, name: str) -> str:
    return next(d.id for d in index.documents() if d.source.endswith(name))


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_a_filter_to_one_document_ranks_within_it(small: Index, mode: str) -> None:
    unfiltered = small.search(MOON, k=3, mode=mode)
    assert unfiltered[0].source.endswith("mond.html")
    rhein = doc_id(small, "rhein.txt")
    hits = small.search(MOON, k=3, mode=mode, where={"doc_id": rhein})
    if mode == "lexical":  # no word of the question stands in the Rhein text: nothing to rank
        assert all(hit.doc_id == rhein for hit in hits)
    else:
        assert len(hits) == 3 and {hit.doc_id for hit in hits} == {rhein}
        assert [hit.rank for hit in hits] == [1, 2, 3]


def test_filtered_search_equals_an_index_of_those_documents_alone(small: Index, tmp_path: Path) -> None:
    """Dense ranking with a filter is the ranking of an index that holds only the kept documents."""
    rhein = small.document(doc_id(small, "rhein.txt"))
    alone = tmp_path / "rhein.txt"
    alone.write_text(rhein.text, encoding="utf-8")
    only = Index.build([alone], tmp_path / "index", model="hashing", chunk_size=80, chunk_overlap=30)
    for question in ("Wo mündet der Rhein?", MOON, "Wann begannen die Arbeiten?"):
        filtered = small.search(question, k=4, mode="dense", where={"doc_id": [rhein.id]})
        assert [(h.start, h.end, round(h.score, 4)) for h in filtered] == \
               [(h.start, h.end, round(h.score, 4)) for h in only.search(question, k=4, mode="dense")]


def test_source_globs_and_ids_combine(small: Index) -> None:
    assert {h.source for h in small.search(MOON, k=5, where={"source": "*.pdf"})} == \
           {d.source for d in small.documents() if d.source.endswith(".pdf")}
    either = small.search(MOON, k=10, where={"source": ["*.md", "*rhein*"]})
    assert {Path(h.source).name for h in either} == {"brot.md", "rhein.txt"}
    # doc_id and source must both hold: the Rhein's id with a PDF pattern keeps nothing.
    assert small.search(MOON, where={"doc_id": doc_id(small, "rhein.txt"), "source": "*.pdf"}) == []


def test_a_filter_that_keeps_nothing_finds_nothing(small: Index) -> None:
    assert small.search(MOON, where={"source": "nowhere/*"}) == []
    reply = small.ask(MOON, where={"doc_id": []})
    assert reply.answer is None and reply.hits == ()


def test_ask_answers_from_the_kept_documents(small: Index) -> None:
    question = "Wann landete Apollo 11 auf dem Mond?"
    anywhere = small.ask(question, k=2)
    assert anywhere.answer is not None and anywhere.answer.source.endswith("mond.html")
    assert anywhere.answer.phrase is not None and anywhere.answer.phrase.text == "20. Juli 1969"
    kept = small.ask(question, k=2, where={"source": ["*.pdf", "*.html"]})
    assert kept.answer is not None and kept.answer.to_dict() == anywhere.answer.to_dict()
    # The PDF names no date: with the HTML page filtered out there is nothing to answer with.
    pdf = small.ask(question, k=2, where={"source": "*.pdf"})
    assert pdf.hits and all(h.source.endswith(".pdf") for h in pdf.hits)
    assert pdf.answer is None


@pytest.mark.parametrize(("where", "message"), [
    ({"datum": "2020"}, "cannot filter by 'datum': no document of the index has it; the index's documents have "
                        "doc_id, lang, modified, pages, size, source, title, type"),
    ({"date": {"after": "2020"}}, r"where\['date'\] as a range takes gt, gte, lt, lte"),
    ({"doc_id": 5}, r"where\['doc_id'\] must be a string or a list of strings, not 5"),
    ({"source": ["*.pdf", None]}, r"where\['source'\] must be a string, number or bool, a list of them"),
    ("source=*.pdf", "where must be a mapping"),
])
def test_a_bad_filter_is_a_clear_error(small: Index, where: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        small.search(MOON, where=where)  # type: ignore[arg-type]


def test_key_value_filters_as_the_command_line_writes_them() -> None:
    assert parse_where(["doc_id=a", "doc_id=b", "source = docs/*.pdf", "date>=2025-01", "date<2026"]) == {
        "doc_id": Condition("doc_id", any_of=("a", "b")), "source": Condition("source", any_of=("docs/*.pdf",)),
        "date": Condition("date", bounds=(("gte", "2025-01"), ("lt", "2026"))),
    }
    assert check_where({"source": "x"}) == {"source": Condition("source", any_of=("x",))} and check_where(None) == {}
    # Both ways at once: one of the values, within the range.
    both = parse_where(["date=2025", "date=2023", "date>=2024"])["date"]
    assert both == Condition("date", any_of=("2025", "2023"), bounds=(("gte", "2024"),))
    assert both.holds("2025") and not both.holds("2023") and not both.holds("2026")
    with pytest.raises(ValueError, match="a filter is written key=value"):
        parse_where(["rhein.txt"])


def test_command_line_where(small: Index, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", MOON, "--index", str(small.folder), "--where", "source=*.pdf", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert hits and all(hit["source"].endswith(".pdf") for hit in hits)
    assert main(["ask", MOON, "--index", str(small.folder), "--where", "datum=2020"]) == 2
    assert capsys.readouterr().err.strip().startswith("error: cannot filter by 'datum': no document of the index "
                                                      "has it; the index's documents have doc_id, lang,")


def test_filters_on_an_hnsw_index_find_what_exact_search_finds(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from fundstelle import backends

    exact = Index.build([corpus], tmp_path / "exact", model="hashing", chunk_size=80, chunk_overlap=30)
    monkeypatch.setattr(backends, "EXACT_SEARCH_LIMIT", 5)
    graph = Index.build([corpus], tmp_path / "graph", model="hashing", chunk_size=80, chunk_overlap=30)
    assert graph.snapshot.dense[0].kind == graph.snapshot.sentence_vectors.kind == "IndexHNSWFlat"
    for document in exact.documents():
        for question in (MOON, "Wie backt man Brot?", "Wo mündet der Rhein?"):
            where = {"doc_id": document.id}
            expected = [(h.doc_id, h.start) for h in exact.search(question, k=3, mode="dense", where=where)]
            assert [(h.doc_id, h.start) for h in graph.search(question, k=3, mode="dense", where=where)] == expected
            assert {doc for doc, _ in expected} == {document.id}


def unit_rows(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


@pytest.fixture(scope="module")
def synthetic() -> tuple[np.ndarray, FaissIndex]:
    """6,000 random unit vectors in an HNSW graph (a size where approximate search misses some neighbours)."""
    vectors = unit_rows(np.random.default_rng(7).normal(size=(6000, 48)))
    graph = FaissIndex.build(vectors, exact_limit=0)
    assert graph.kind == "IndexHNSWFlat"
    return vectors, graph


def brute_force(vectors: np.ndarray, rows: np.ndarray, query: np.ndarray, k: int) -> list[int]:
    scores = vectors[rows] @ query
    return np.lexsort((np.arange(len(rows)), -scores))[:k].tolist()


def test_a_narrow_filter_on_hnsw_vectors_is_exact(synthetic: tuple[np.ndarray, FaissIndex]) -> None:
    vectors, graph = synthetic
    rng = np.random.default_rng(1)
    for size in (1, 40, 700):
        rows = np.sort(rng.choice(len(vectors), size, replace=False))
        (view,), _ = restrict([graph], _NoLexical(), rows)
        for query in unit_rows(rng.normal(size=(5, 48))):
            found, scores = view.search(query, 100)
            assert found.tolist() == brute_force(vectors, rows, query, 100)
            assert np.allclose(scores, vectors[rows[found]] @ query, atol=1e-5)


def test_a_broad_filter_scores_every_row_when_the_graph_finds_too_few(
    synthetic: tuple[np.ndarray, FaissIndex],
) -> None:
    """Half the rows are allowed, all of them far from the question: the graph's nearest rows hold none."""
    vectors, graph = synthetic
    query = vectors[0]
    far = np.flatnonzero(vectors @ query < np.median(vectors @ query))
    (view,), _ = restrict([graph], _NoLexical(), far)
    found, _ = view.search(query, 50)
    assert found.tolist() == brute_force(vectors, far, query, 50)


def test_a_broad_filter_keeps_only_allowed_rows_best_first(synthetic: tuple[np.ndarray, FaissIndex]) -> None:
    vectors, graph = synthetic
    even = np.arange(0, len(vectors), 2)
    (view,), _ = restrict([graph], _NoLexical(), even)
    for query in unit_rows(np.random.default_rng(2).normal(size=(5, 48))):
        found, scores = view.search(query, 100)
        assert len(found) == 100 and np.all(np.diff(scores) <= 1e-6)
        assert np.allclose(scores, vectors[even[found]] @ query, atol=1e-5)
        recall = len(set(found.tolist()) & set(brute_force(vectors, even, query, 100))) / 100
        assert recall >= 0.8  # as approximate as the graph itself


def test_sentence_scores_are_filtered_by_chunk(synthetic: tuple[np.ndarray, FaissIndex]) -> None:
    """The best-sentence signal of a filtered search scores the kept chunks by their own sentences."""
    vectors, graph = synthetic
    chunks = [(i, i + 1) for i in range(0, len(vectors), 2)]  # two sentences per chunk
    sentences = SentenceMaxIndex(graph, chunks)
    rows = np.arange(100, 130)
    (view,), _ = restrict([sentences], _NoLexical(), rows)
    query = vectors[3]
    found, scores = view.search(query, 10)
    expected = np.maximum(vectors[2 * rows] @ query, vectors[2 * rows + 1] @ query)
    assert found.tolist() == np.argsort(-expected, kind="stable")[:10].tolist()
    assert np.allclose(scores, expected[found], atol=1e-5)


class _NoLexical:
    """A stand-in lexical index for tests of the dense views alone."""

    def __len__(self) -> int:
        return 0

    def scores(self, stems: list[str]) -> np.ndarray:
        return np.zeros(0)

    def known(self, stems: list[str]) -> list[bool]:
        return [False] * len(stems)

    def idf(self, stems: list[str]) -> list[float]:
        return [1.0] * len(stems)
