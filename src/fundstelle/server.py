"""The HTTP service: search, ask and the document list as JSON, for code in any language.

``python -m fundstelle serve [--index DIR] [--host H] [--port P]`` (FastAPI on uvicorn;
``pip install 'fundstelle[http]'``). One :class:`fundstelle.Index` is opened at start and
shared by all requests; like any ``Index`` it moves to a new version before the next
search when an ingest has written one. It listens on 127.0.0.1 unless told otherwise:
anyone who can reach it can read the documents.

- ``GET /search?q=…&k=5&mode=hybrid&where=source=docs/*.pdf`` and ``POST /search``
  (``{"question": …, "k": …, "mode": …, "where": {…}}``): ``{"question", "hits"}``,
  each hit as :meth:`fundstelle.Hit.to_dict`.
- ``POST /ask`` (the same body): :meth:`fundstelle.Reply.to_dict`, the answer or null,
  its confidence, and the hits.
- ``GET /documents``: the index's facts and its documents. ``GET /healthz``: ``ok``
  and the live version, or 503 when the index cannot be read.
- ``/docs``: the OpenAPI page.

Bad input (an empty or over-long question, ``k`` outside ``1..CANDIDATES``, an unknown
mode or filter key) gets 422 with FastAPI's ``{"detail": [{"loc", "msg", "type"}]}``.
An error of the index folder gets 503 with its message; anything else 500 without a
traceback (the server's log has it).
"""

from __future__ import annotations

import os
from dataclasses import asdict
from typing import Annotated, Literal

try:
    import uvicorn
    from fastapi import FastAPI, Query, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator
except ImportError as missing:  # pragma: no cover - depends on the installation
    raise ImportError(
        f"the HTTP service needs FastAPI and uvicorn ({missing.name} is missing): pip install 'fundstelle[http]'"
    ) from None

from . import __version__
from .errors import FundstelleError
from .filters import WHERE_HELP, Condition, UnknownFilterKeyError, WhereJson, check_where, parse_where
from .index import Index
from .query import MAX_QUESTION_CHARS, clean_question
from .ranking import CANDIDATES

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "Question", "create_app", "serve"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000

Mode = Literal["hybrid", "dense", "lexical"]
_QUESTION_HELP = f"the question, at most {MAX_QUESTION_CHARS} characters"
_K_HELP = f"number of passages, 1 to {CANDIDATES}"


class Question(BaseModel):
    """The body of ``POST /search`` and ``POST /ask``."""

    model_config = ConfigDict(extra="forbid")

    question: str = Field(validation_alias=AliasChoices("question", "q"), max_length=MAX_QUESTION_CHARS,
                          description=_QUESTION_HELP + ' ("q" works too)')
    k: int = Field(5, ge=1, le=CANDIDATES, description=_K_HELP)
    mode: Mode = Field("hybrid", description="hybrid (meaning and words), dense (meaning) or lexical (words)")
    where: WhereJson | None = Field(None, description=WHERE_HELP)

    @field_validator("question")
    @classmethod
    def _clean(cls, question: str) -> str:
        return clean_question(question)

    @field_validator("where")
    @classmethod
    def _check_where(cls, where: WhereJson | None) -> dict[str, Condition]:
        return check_where(where)


def create_app(index: Index | str | os.PathLike[str]) -> FastAPI:
    """The FastAPI app serving ``index`` (an open :class:`Index`, or a folder opened now)."""
    if not isinstance(index, Index):
        index = Index.open(index)
    served = index
    app = FastAPI(
        title="Fundstelle",
        summary="Ask questions in plain language (German first); get the passages of your documents that answer them.",
        version=__version__,
    )

    @app.exception_handler(FundstelleError)
    async def index_error(request: Request, error: FundstelleError) -> JSONResponse:
        return JSONResponse({"detail": str(error)}, status_code=503)

    @app.exception_handler(UnknownFilterKeyError)
    async def unknown_key(request: Request, error: UnknownFilterKeyError) -> JSONResponse:
        # The question is at fault, not the index: 422, as for any other bad filter.
        place = "query" if request.method == "GET" else "body"
        return JSONResponse({"detail": [{"loc": [place, "where"], "msg": str(error), "type": "value_error"}]},
                            status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # Starlette calls this, sends the response, and re-raises: uvicorn logs the traceback.
        return JSONResponse({"detail": "internal error; the server's log has the details"}, status_code=500)

    @app.get("/search")
    def search_get(
        q: Annotated[str, Query(max_length=MAX_QUESTION_CHARS, description=_QUESTION_HELP)],
        k: Annotated[int, Query(ge=1, le=CANDIDATES, description=_K_HELP)] = 5,
        mode: Annotated[Mode, Query(description="hybrid, dense or lexical")] = "hybrid",
        where: Annotated[list[str] | None, Query(description="a filter as key=value or key>=value (also >, <, "
                                                             "<=), e.g. source=docs/*.pdf or date>=2025-01-01; "
                                                             "repeat for more")] = None,
    ) -> dict[str, object]:
        """The passages that best answer ``q``, best first."""
        try:
            question = clean_question(q)
        except ValueError as error:
            raise _invalid("q", error) from None
        try:
            filters = parse_where(where or [])
        except ValueError as error:
            raise _invalid("where", error) from None
        hits = served.search(question, k=k, mode=mode, where=filters)
        return {"question": question, "hits": [hit.to_dict() for hit in hits]}

    @app.post("/search")
    def search_post(body: Question) -> dict[str, object]:
        """The passages that best answer the question, best first."""
        hits = served.search(body.question, k=body.k, mode=body.mode, where=body.where)
        return {"question": body.question, "hits": [hit.to_dict() for hit in hits]}

    @app.post("/ask")
    def ask(body: Question) -> dict[str, object]:
        """The answer (null when the documents hold none the model trusts), its confidence, and the passages."""
        return served.ask(body.question, k=body.k, mode=body.mode, where=body.where).to_dict()

    @app.get("/documents")
    def documents() -> dict[str, object]:
        """The index's facts (size, model, last update) and its documents."""
        served.refresh()
        return {"index": asdict(served.info), "documents": [asdict(d) for d in served.documents()]}

    @app.get("/healthz")
    def healthz() -> dict[str, object]:
        """``ok`` and the live version; 503 when the index cannot be read."""
        served.refresh()
        info = served.info
        return {"status": "ok", "version": info.version, "documents": info.documents, "chunks": info.chunks}

    return app


def serve(index: Index | str | os.PathLike[str] = "index", host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> None:
    """Serve ``index`` (an open :class:`Index` or a folder) until interrupted: uvicorn, one process."""
    uvicorn.run(create_app(index), host=host, port=port)


def _invalid(parameter: str, error: ValueError) -> RequestValidationError:
    """A 422 for a query parameter, in FastAPI's shape."""
    return RequestValidationError([{"type": "value_error", "loc": ("query", parameter), "msg": str(error)}])
