"""FundstelleRetriever: Fundstelle's passages as LangChain Documents, inside an LCEL chain, sync and async."""

from __future__ import annotations

import asyncio
import importlib
import sys
from pathlib import Path

import pytest

pytest.importorskip("langchain_core")

from langchain_core.documents import Document  # noqa: E402
from langchain_core.runnables import RunnableLambda  # noqa: E402
from pydantic import ValidationError  # noqa: E402

from fundstelle import Index, IndexNotFoundError, ingest  # noqa: E402
from fundstelle.integrations.langchain import FundstelleRetriever  # noqa: E402

MOON = "Wann landete Apollo 11 auf dem Mond?"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Index:
    from conftest import write_corpus

    root = tmp_path_factory.mktemp("small")
    folder = write_corpus(root / "docs")
    ingest([folder], root / "index", model="hashing")
    return Index.open(root / "index")


def test_documents_carry_the_passage_and_where_it_stands(small: Index) -> None:
    documents = FundstelleRetriever(index=small.folder, k=3).invoke(MOON)
    hits = small.search(MOON, k=3)
    assert len(documents) == 3 and all(isinstance(d, Document) for d in documents)
    for document, hit in zip(documents, hits):
        assert document.page_content == hit.text
        assert document.metadata == {
            "source": hit.source, "title": hit.title, "doc_id": hit.doc_id, "start": hit.start, "end": hit.end,
            "score": hit.score, "rank": hit.rank, "answer": hit.answer.text if hit.answer else None,
            "phrase": hit.answer.phrase.text if hit.answer and hit.answer.phrase else None,
            "page": hit.pages[0] if hit.pages else None, "pages": list(hit.pages),
        }
    top = documents[0]
    assert top.metadata["title"] == "Die Mondlandung" and "1969" in top.metadata["answer"]
    assert small.document(top.metadata["doc_id"]).text[top.metadata["start"]:top.metadata["end"]] == top.page_content


def test_k_mode_and_where_are_fields(small: Index) -> None:
    retriever = FundstelleRetriever(index=small, k=1, mode="lexical", where={"source": "*.pdf"})
    assert retriever.index is small
    documents = retriever.invoke("Zugspitze Berg")
    assert len(documents) == 1 and documents[0].metadata["source"].endswith("zugspitze.pdf")
    assert retriever.invoke(MOON) == []  # the PDF holds none of the question's words
    retriever.where = None
    retriever.k = 2
    assert [d.metadata["title"] for d in retriever.invoke(MOON)][:1] == ["Die Mondlandung"]


def test_in_a_chain_sync_and_async(small: Index) -> None:
    def cite(documents: list[Document]) -> str:
        return "\n".join(f"[{d.metadata['rank']}] {d.metadata['answer']} ({d.metadata['title']})" for d in documents)

    chain = FundstelleRetriever(index=small, k=2) | RunnableLambda(cite)
    text = chain.invoke(MOON)
    assert text.startswith("[1] Am 20. Juli 1969 landete Apollo 11 auf dem Mond. (Die Mondlandung)")
    assert asyncio.run(chain.ainvoke(MOON)) == text
    assert chain.batch([MOON, "Wie hoch ist die Zugspitze?"])[0] == text


def test_async_calls_run_side_by_side(small: Index) -> None:
    retriever = FundstelleRetriever(index=small, k=2)
    questions = [MOON, "Wie hoch ist die Zugspitze?", "Wie lang ist der Rhein?"]

    async def all_at_once() -> list[list[Document]]:
        return await asyncio.gather(*(retriever.ainvoke(q) for q in questions))

    assert asyncio.run(all_at_once()) == [retriever.invoke(q) for q in questions]


def test_bad_settings_are_refused(small: Index, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="Input should be 'hybrid', 'dense' or 'lexical'"):
        FundstelleRetriever(index=small, mode="semantic")
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        FundstelleRetriever(index=small, k=0)
    with pytest.raises(ValidationError, match="cannot filter by 'date'"):
        FundstelleRetriever(index=small, where={"date": "2024"})
    with pytest.raises(IndexNotFoundError, match="no index at"):
        FundstelleRetriever(index=tmp_path / "nowhere")


def test_without_langchain_the_import_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "langchain_core.retrievers", None)
    monkeypatch.delitem(sys.modules, "fundstelle.integrations.langchain")
    with pytest.raises(ImportError, match=r"pip install 'fundstelle\[langchain\]'"):
        importlib.import_module("fundstelle.integrations.langchain")
