"""A LangChain retriever over a Fundstelle index: ``FundstelleRetriever``.

>>> from fundstelle.integrations.langchain import FundstelleRetriever  # doctest: +SKIP
>>> retriever = FundstelleRetriever(index="index", k=3)                # doctest: +SKIP
>>> retriever.invoke("Wie viel hat Amazon investiert?")[0].metadata["phrase"]  # doctest: +SKIP
'vier Milliarden US-Dollar'

Each passage becomes a ``Document`` whose ``page_content`` is the passage and whose
``metadata`` says where it stands and what answers: ``source``, ``title``, ``doc_id``,
``start``/``end`` (offsets in the document's text), ``score``, ``rank``, ``answer`` (the
sentence of the passage that best answers the question, or None) and ``phrase`` (the
narrow answer in it, where one is sure, else None); for a PDF, ``page`` (the label of the
first page the passage stands on, else None) and ``pages`` (all of them). Needs ``pip install 'fundstelle[langchain]'``.
"""

from __future__ import annotations

import os
from typing import Any, Literal

try:
    from langchain_core.callbacks import AsyncCallbackManagerForRetrieverRun, CallbackManagerForRetrieverRun
    from langchain_core.documents import Document
    from langchain_core.retrievers import BaseRetriever
    from langchain_core.runnables.config import run_in_executor
except ImportError as missing:  # pragma: no cover - depends on the installation
    raise ImportError(
        f"FundstelleRetriever needs LangChain ({missing.name} is missing): pip install 'fundstelle[langchain]'"
    ) from None
from pydantic import Field, field_validator, model_validator

from ..filters import Condition, Where, WhereJson, check_where, kept_documents
from ..index import Index
from ..results import Hit, Mode

__all__ = ["FundstelleRetriever", "to_document"]


class FundstelleRetriever(BaseRetriever):
    """Retrieves the passages of a Fundstelle index that best answer a question.

    ``index`` is an open :class:`fundstelle.Index` or an index folder (opened here);
    ``k`` the number of passages; ``mode`` ``hybrid``, ``dense`` or ``lexical``
    (see :meth:`fundstelle.Index.search`); ``where`` keeps only some documents, e.g.
    ``{"source": "berichte/*.pdf"}`` or ``{"date": {"gte": "2025-01-01"}}`` (any stored
    key, :mod:`fundstelle.filters`); ``search_kwargs={"where": ...}`` sets it too. ``k``,
    ``mode`` and ``where`` given to ``invoke``/``ainvoke`` (``retriever.invoke(q, k=1)``)
    hold for that call (LangChain's standard retriever tests ask for ``k``). ``ainvoke``
    runs the search in a worker thread; an ``Index`` may serve many threads.
    """

    index: Index
    k: int = Field(5, ge=1)
    mode: Literal["hybrid", "dense", "lexical"] = "hybrid"
    where: WhereJson | None = None
    # As LangChain's vector store retrievers take them: "k", "mode" and "where" (or its
    # LangChain name "filter") override the fields above.
    search_kwargs: dict[str, Any] = Field(default_factory=dict)

    @field_validator("index", mode="before")
    @classmethod
    def _open(cls, index: Any) -> Index:
        if isinstance(index, (str, os.PathLike)):
            return Index.open(index)
        return index

    @field_validator("where")
    @classmethod
    def _check_where(cls, where: WhereJson | None) -> dict[str, Condition] | None:
        return check_where(where) or None

    @field_validator("search_kwargs")
    @classmethod
    def _check_search_kwargs(cls, given: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(given) - {"k", "mode", "where", "filter"})
        if unknown:
            raise ValueError(f"search_kwargs takes k, mode and where (or filter), not {', '.join(unknown)}")
        if "where" in given and "filter" in given:
            raise ValueError("search_kwargs: give where or filter, not both")
        checked = dict(given)
        if "filter" in checked:
            checked["where"] = checked.pop("filter")
        if "where" in checked:
            checked["where"] = check_where(checked["where"]) or None
        return checked

    @model_validator(mode="after")
    def _check_keys(self) -> FundstelleRetriever:
        # Keys the index does not hold are refused now, not at the first question.
        for where in (self.where, self.search_kwargs.get("where")):
            kept_documents(self.index.snapshot, where)
        return self

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None, mode: Mode | None = None,
                                where: Where | None = None) -> list[Document]:
        return self._search(query, k, mode, where)

    async def _aget_relevant_documents(self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun,
                                       k: int | None = None, mode: Mode | None = None,
                                       where: Where | None = None) -> list[Document]:
        # LangChain's default runs _get_relevant_documents in a thread too, but drops these arguments.
        return await run_in_executor(None, self._search, query, k, mode, where)

    def _search(self, query: str, k: int | None, mode: Mode | None, where: Where | None) -> list[Document]:
        """The passages as documents; ``k``, ``mode``, ``where`` (None: the retriever's own) for this call."""
        if k is not None and (type(k) is not int or k < 1):
            raise ValueError(f"k must be a whole number of at least 1, not {k!r}")
        settings = {"k": self.k, "mode": self.mode, "where": self.where, **self.search_kwargs}
        if k is not None:
            settings["k"] = k
        if mode is not None:
            settings["mode"] = mode
        if where is not None:
            settings["where"] = check_where(where) or None
        return [to_document(hit) for hit in self.index.search(query, **settings)]


def to_document(hit: Hit) -> Document:
    """A hit as a LangChain ``Document`` (passage as content; where it stands and what answers as metadata)."""
    answer = hit.answer
    return Document(
        page_content=hit.text,
        id=f"{hit.doc_id}:{hit.start}-{hit.end}",
        metadata={
            "source": hit.source, "title": hit.title, "doc_id": hit.doc_id, "start": hit.start, "end": hit.end,
            "score": hit.score, "rank": hit.rank,
            "answer": None if answer is None else answer.text,
            "phrase": None if answer is None or answer.phrase is None else answer.phrase.text,
            # A PDF passage's first page (its printed label), as LangChain's PDF loaders name it; all of them.
            "page": hit.pages[0] if hit.pages else None, "pages": list(hit.pages),
        },
    )
