"""LangChain's own standard retriever tests (langchain-tests) against FundstelleRetriever.

Plus what they do not cover: ``mode`` and ``where`` given to ``invoke`` and ``ainvoke``.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("langchain_core")
pytest.importorskip("langchain_tests")

from langchain_core.retrievers import BaseRetriever  # noqa: E402
from langchain_tests.integration_tests import RetrieversIntegrationTests  # noqa: E402

from fundstelle import Index, ingest  # noqa: E402
from fundstelle.integrations.langchain import FundstelleRetriever  # noqa: E402

MOON = "Wann landete Apollo 11 auf dem Mond?"


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> Index:
    from conftest import write_corpus

    root = tmp_path_factory.mktemp("standard")
    ingest([write_corpus(root / "docs")], root / "index", model="hashing", chunk_size=160, chunk_overlap=80)
    index = Index.open(root / "index")
    assert len(index.snapshot.chunks) >= 5  # enough passages for k=3 and the default k=5
    return index


class TestFundstelleRetrieverStandard(RetrieversIntegrationTests):
    """LangChain's suite: k in the constructor and at invoke time, invoke and ainvoke return Documents."""

    index: Index

    @pytest.fixture(autouse=True)
    def _index(self, small: Index) -> None:
        type(self).index = small

    @property
    def retriever_constructor(self) -> type[BaseRetriever]:
        return FundstelleRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"index": self.index}

    @property
    def retriever_query_example(self) -> str:
        return MOON


def test_mode_and_where_at_invoke_time_hold_for_that_call(small: Index) -> None:
    retriever = FundstelleRetriever(index=small, k=2)
    for mode in ("lexical", "dense"):
        expected = [hit.text for hit in small.search(MOON, k=2, mode=mode)]
        assert [d.page_content for d in retriever.invoke(MOON, mode=mode)] == expected
        assert [d.page_content for d in asyncio.run(retriever.ainvoke(MOON, mode=mode))] == expected
    only_rhein = {"source": "*rhein*"}
    for documents in (retriever.invoke(MOON, where=only_rhein), asyncio.run(retriever.ainvoke(MOON, where=only_rhein)),
                      retriever.invoke(MOON, k=1, where=only_rhein)):
        assert documents and {Path(d.metadata["source"]).name for d in documents} == {"rhein.txt"}
    assert len(asyncio.run(retriever.ainvoke(MOON, k=1))) == 1
    # The retriever's own settings are untouched by a call's.
    assert [d.page_content for d in retriever.invoke(MOON)] == [hit.text for hit in small.search(MOON, k=2)]
    filtered = FundstelleRetriever(index=small, k=2, where=only_rhein)
    assert {Path(d.metadata["source"]).name for d in filtered.invoke(MOON, where={})} != {"rhein.txt"}
    for bad in ({"k": 0}, {"k": "3"}, {"mode": "fuzzy"}, {"where": {"colour": "red"}}):
        with pytest.raises(ValueError):
            retriever.invoke(MOON, **bad)
