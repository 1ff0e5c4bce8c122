"""Filters on metadata (issue 24, item 4): any stored key, equality, any-of, ranges, language.

The same filters give the same hits, exactly, on FAISS flat vectors, on an HNSW graph and
in Milvus Lite (where the filter runs as Milvus's own expression).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from fundstelle import Index, ingest
from fundstelle.filters import UnknownFilterKeyError

# Six notes: a date, an author and a language each, stated in Markdown front matter.
NOTES = {
    "rhein.md": ("2024-03-01", "Eva", "Der Rhein fließt von den Alpen bis zur Nordsee, und er ist ein wichtiger "
                                      "Weg für die Schiffe, die dort fahren."),
    "elbe.md": ("2024-11-15", "Jan", "Die Elbe fließt durch Dresden und Hamburg, und sie mündet bei Cuxhaven in "
                                     "die Nordsee, wo die Schiffe ins Meer fahren."),
    "donau.md": ("2025-02-10", "Eva", "Die Donau fließt nach Osten durch Wien und Budapest, und sie mündet in das "
                                      "Schwarze Meer, das die Schiffe erreichen."),
    "main.md": ("2025-06-30", "Ana", "Der Main fließt durch Frankfurt, und er mündet bei Mainz in den Rhein, auf dem "
                                     "die Schiffe weiter fahren."),
    "thames.md": ("2025-08-01", "Ana", "The Thames flows through London, and it reaches the North Sea at its estuary, "
                                      "where the ships go out to sea."),
    "seine.md": ("2026-01-05", "Jan", "The Seine flows through Paris, and it reaches the English Channel at Le Havre, "
                                      "where the ships go out to sea."),
}
SIZES = sorted(len(f"---\ndate: {d}\nauthor: {a}\n---\n{t}".encode()) for d, a, t in NOTES.values())
QUESTIONS = ("Welcher Fluss mündet in die Nordsee?", "Which river flows through a capital?", "Schiffe Meer")
FILTERS = [
    {"date": {"gte": "2025-01-01"}},
    {"date": {"gte": "2024-06-01", "lt": "2025-07-01"}},
    {"lang": "en"},
    {"author": ["Eva", "Jan"]},
    {"author": "Ana", "lang": "de"},
    {"size": {"lt": SIZES[3]}},
]


def expected_names(where: dict) -> set[str]:
    """Which notes a filter keeps, worked out here from NOTES alone."""
    kept = set()
    for name, (date, author, text) in NOTES.items():
        lang = "en" if text.startswith("The") else "de"
        size = len(f"---\ndate: {date}\nauthor: {author}\n---\n{text}".encode())
        facts = {"date": date, "author": author, "lang": lang, "size": size}
        ok = True
        for key, condition in where.items():
            value = facts[key]
            if isinstance(condition, dict):
                ok &= all({"gte": value >= bound, "gt": value > bound, "lt": value < bound,
                           "lte": value <= bound}[op] for op, bound in condition.items())
            else:
                ok &= value in (condition if isinstance(condition, list) else [condition])
        if ok:
            kept.add(name)
    return kept


@pytest.fixture(scope="module")
def notes(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("notes") / "docs"
    folder.mkdir()
    for name, (date, author, text) in NOTES.items():
        (folder / name).write_text(f"---\ndate: {date}\nauthor: {author}\n---\n{text}", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def flat(notes: Path, tmp_path_factory: pytest.TempPathFactory) -> Index:
    return Index.build([notes], tmp_path_factory.mktemp("flat") / "index", model="hashing", chunk_size=60,
                       chunk_overlap=0)


def test_the_filters_keep_what_the_metadata_says(flat: Index) -> None:
    for where in FILTERS:
        names = {Path(hit.source).name for hit in flat.search("Fluss Schiffe", k=20, where=where, mode="dense")}
        assert names == expected_names(where), where
        assert expected_names(where) and expected_names(where) != set(NOTES)  # each filter keeps some, not all


def test_an_unknown_key_names_the_keys_the_index_holds(flat: Index) -> None:
    with pytest.raises(UnknownFilterKeyError, match="cannot filter by 'autor'") as info:
        flat.search("Fluss", where={"autor": "Eva"})
    assert info.value.known == ("author", "date", "doc_id", "lang", "modified", "size", "source", "title", "type")


def test_a_range_compares_numbers_as_numbers(flat: Index) -> None:
    sizes = sorted(flat.document(d.id).meta["size"] for d in flat.documents())  # type: ignore[type-var]
    middle = sizes[len(sizes) // 2]
    kept = {h.doc_id for h in flat.search("Fluss", k=20, mode="dense", where={"size": {"gte": middle}})}
    assert kept == {d.id for d in flat.documents() if flat.document(d.id).meta["size"] >= middle}  # type: ignore[operator]
    # The command line's strings: "size>=N" is the same range.
    from fundstelle.filters import parse_where

    assert {h.doc_id for h in flat.search("Fluss", k=20, mode="dense", where=parse_where([f"size>={middle}"]))} == kept


def test_hnsw_and_milvus_give_the_flat_answers(notes: Path, flat: Index, tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from fundstelle import backends

    indexes = {"flat": flat}
    with monkeypatch.context() as patch:
        patch.setattr(backends, "EXACT_SEARCH_LIMIT", 2)
        indexes["hnsw"] = Index.build([notes], tmp_path / "hnsw", model="hashing", chunk_size=60, chunk_overlap=0)
    assert indexes["hnsw"].snapshot.dense[0].kind == "IndexHNSWFlat"
    try:
        import milvus_lite  # noqa: F401
        import pymilvus  # noqa: F401
    except ImportError:
        pass
    else:
        import fundstelle.milvus

        indexes["milvus"] = Index.build([notes], tmp_path / "milvus", model="hashing", chunk_size=60,
                                        chunk_overlap=0, store="milvus")
        expressions: list[str] = []
        original = fundstelle.milvus.MilvusIndex.filtered_search

        def spy(self: fundstelle.milvus.MilvusIndex, query: object, k: int, expression: str):  # type: ignore[no-untyped-def]
            expressions.append(expression)
            return original(self, query, k, expression)  # type: ignore[arg-type]

        monkeypatch.setattr(fundstelle.milvus.MilvusIndex, "filtered_search", spy)
    for where in FILTERS:
        for question in QUESTIONS:
            expected = [(h.doc_id, h.start, round(h.score, 4)) for h in flat.search(question, k=4, mode="dense",
                                                                                     where=where)]
            for name, index in indexes.items():
                got = [(h.doc_id, h.start, round(h.score, 4)) for h in index.search(question, k=4, mode="dense",
                                                                                     where=where)]
                assert got == expected, (name, where, question)
    if "milvus" in indexes:
        assert expressions and all(e.startswith("doc in [") for e in expressions)


def test_where_in_http_and_langchain(flat: Index) -> None:
    pytest.importorskip("fastapi")
    pytest.importorskip("langchain_core")
    from fastapi.testclient import TestClient

    from fundstelle.integrations.langchain import FundstelleRetriever
    from fundstelle.server import create_app

    client = TestClient(create_app(flat))
    wanted = expected_names({"date": {"gte": "2025-01-01"}})
    got = client.get("/search", params={"q": "Fluss", "k": 20, "mode": "dense", "where": ["date>=2025-01-01"]})
    assert {Path(h["source"]).name for h in got.json()["hits"]} == wanted
    got = client.post("/search", json={"question": "Fluss", "k": 20, "mode": "dense",
                                       "where": {"date": {"gte": "2025-01-01"}}})
    assert {Path(h["source"]).name for h in got.json()["hits"]} == wanted
    bad = client.post("/search", json={"question": "Fluss", "where": {"date": {"nach": "2025"}}})
    assert bad.status_code == 422 and "'gt', 'gte', 'lt' or 'lte'" in bad.text
    unknown = client.get("/search", params={"q": "Fluss", "where": ["autor=Eva"]})
    assert unknown.status_code == 422 and "the index's documents have author" in unknown.text
    for retriever in (FundstelleRetriever(index=flat, k=20, mode="dense", where={"lang": "en"}),
                      FundstelleRetriever(index=flat, search_kwargs={"k": 20, "mode": "dense",
                                                                     "filter": {"lang": "en"}})):
        assert {Path(d.metadata["source"]).name for d in retriever.invoke("river")} == expected_names({"lang": "en"})


def test_ingest_then_filter_by_modification_time(tmp_path: Path) -> None:
    import os

    docs = tmp_path / "docs"
    docs.mkdir()
    for name, stamp in (("alt.txt", 1_600_000_000), ("neu.txt", 1_750_000_000)):
        (docs / name).write_text("Ein kurzer Text über den Rhein und die Schiffe.", encoding="utf-8")
        os.utime(docs / name, (stamp, stamp))
    ingest([docs], tmp_path / "index", model="hashing")
    hits = Index.open(tmp_path / "index").search("Rhein", where={"modified": {"gte": "2025-01-01"}})
    assert {Path(h.source).name for h in hits} == {"neu.txt"}


def test_the_page_filters_by_document_and_date_and_lists_what_each_document_is(
    notes: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("streamlit")
    import datetime
    import shutil

    from conftest import make_pdf_pages
    from test_app import document_list, hit_htmls, start

    docs = tmp_path / "docs"
    shutil.copytree(notes, docs)
    (docs / "seen.pdf").write_bytes(make_pdf_pages(["Der Bodensee und seine Schiffe.", "Seite zwei.", "Seite drei."]))
    index = Index.build([docs], tmp_path / "index", model="hashing", chunk_size=60, chunk_overlap=0)
    at = start(monkeypatch, tmp_path / "index")
    listed = document_list(at)
    kilobytes = f"{(docs / 'seen.pdf').stat().st_size / 1000:.1f}".replace(".", ",")
    assert re.search(rf"seen\.pdf · 1 Abschnitt · \d+ Zeichen · PDF · 3 Seiten · {kilobytes} KB<", listed), listed
    donau_size = (docs / "donau.md").stat().st_size
    assert re.search(rf"donau\.md · \d+ Abschnitte? · \d+ Zeichen · MD · 10\.2\.2025 · {donau_size} Bytes<", listed)

    def titles() -> set[str]:
        return {re.search(r'class="fs-title">([^<]*)<', hit).group(1) for hit in hit_htmls(at)}  # type: ignore[union-attr]

    at.radio(key="mode-de").set_value("lexical").run()  # passages only, every one that holds a word
    at.slider(key="k").set_value(10).run()
    at.text_input(key="question").input("Schiffe").run()
    assert titles() == {"rhein", "elbe", "donau", "main", "seen"}
    donau = next(d.id for d in index.documents() if d.source.endswith("donau.md"))
    at.multiselect(key="filter-documents").set_value([donau]).run()
    assert titles() == {"donau"}
    at.multiselect(key="filter-documents").set_value([]).run()
    at.date_input(key="filter-dates").set_value((datetime.date(2025, 1, 1), datetime.date(2025, 12, 31))).run()
    assert titles() == {"donau", "main"}  # the German notes of 2025; the PDF states no date


def test_columns_of_one_type_and_mixed_ones_filter_alike(tmp_path: Path) -> None:
    """Columns of one type (only strings or only numbers: filtered as a whole) and mixed ones keep what is asked."""
    from fundstelle import filters

    index = Index.build([], tmp_path / "index", model="hashing")
    texts = [f"Notiz Nummer {n} über den Rhein und die Schiffe." for n in range(6)]
    metadata: list[dict] = [{"jahr": 2024, "kat": "a", "wert": 3}, {"jahr": "2025", "kat": "b", "wert": 1.5},
                            {"jahr": 2026, "wert": 10}, {"kat": "a", "wert": True}, {"kat": "c"}, {}]
    index.add_texts(texts, ids=[f"n{n}" for n in range(6)], metadata=metadata)
    expected: list[tuple[dict, list[str]]] = [
        ({"jahr": {"gte": 2025}}, ["n1", "n2"]),  # "2025" spells a number
        ({"jahr": "2024"}, ["n0"]),
        ({"jahr": ["2025", 2026]}, ["n1", "n2"]),
        ({"kat": ["a", "c"]}, ["n0", "n3", "n4"]),
        ({"kat": {"lt": "b"}}, ["n0", "n3"]),
        ({"wert": {"gt": 2}}, ["n0", "n2"]),  # numbers as numbers; True is no number
        ({"wert": "3"}, ["n0"]),
        ({"wert": "true"}, ["n3"]),
        ({"type": "text"}, ["n0", "n1", "n2", "n3", "n4", "n5"]),
    ]
    for where, kept in expected:
        assert filters.kept_documents(index.snapshot, where) == kept, where
