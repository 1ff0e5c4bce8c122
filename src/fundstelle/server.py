"""The HTTP service: search, ask and the document list as JSON, for code in any language.

``python -m fundstelle serve [--index DIR] [--host H] [--port P] [--workers N]`` (FastAPI
on uvicorn; ``pip install 'fundstelle[http]'``). Each worker process opens the index
read-only and shares it among its requests; like any ``Index`` it moves to a new version
before the next search when an ingest has written one. Several workers (default: one per
core) answer questions at the same time: one process embeds and scores one question at a
time. It listens on 127.0.0.1 unless told otherwise: anyone who can reach it can read the
documents.

- ``GET /search?q=…&k=5&mode=hybrid&where=source=docs/*.pdf`` and ``POST /search``
  (``{"question": …, "k": …, "mode": …, "where": {…}}``): ``{"question", "hits"}``,
  each hit as :meth:`fundstelle.Hit.to_dict`.
- ``POST /ask`` (the same body): :meth:`fundstelle.Reply.to_dict`, the answer or null,
  its confidence, and the hits.
- ``GET /documents``: the index's facts and its documents. ``GET /healthz``: ``ok``
  and the live version, or 503 when the index cannot be read.
- ``/docs``: the OpenAPI page; ``/openapi.json``: the contract, which states every rule
  below, so that clients generated from it, or validated against it, agree with the service.

What a request may hold and each answer's shape are :mod:`fundstelle.http_schema`'s;
this module serves them. Every answer other than 200 has one shape, :class:`ErrorReply`:
``{"detail": [{"loc", "msg", "type"}]}``. A body that is not JSON gets 400; input the
schema forbids (a question with no visible character or over ``MAX_QUESTION_CHARS``,
``k`` outside ``1..CANDIDATES``, an unknown mode or filter key) 422; an error of the index
folder 503 with its message; anything else 500 without a traceback (the server's log has
it). A method a path does not take gets 405 with ``Allow`` listing the ones it does.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict
from typing import Annotated, Any

try:
    import uvicorn
    from fastapi import FastAPI, Query, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from pydantic import Field
    from starlette.exceptions import HTTPException
    from starlette.routing import Match
except ImportError as missing:  # pragma: no cover - depends on the installation
    raise ImportError(
        f"the HTTP service needs FastAPI and uvicorn ({missing.name} is missing): pip install 'fundstelle[http]'"
    ) from None

from . import __version__
from .errors import FundstelleError
from .filters import UnknownFilterKeyError, Where, filter_keys, parse_where
from .http_schema import (
    EXAMPLE_QUESTION,
    FOUND_EXAMPLE,
    K_HELP,
    MODE_HELP,
    QUESTION_HELP,
    QUESTION_PATTERN,
    REPLIED_EXAMPLE,
    WHERE_PAIR_HELP,
    WHERE_PATTERN,
    ErrorReply,
    Found,
    Health,
    Listing,
    Problem,
    Question,
    Replied,
    check_question,
    responses,
    with_filter_keys,
)
from .index import Index
from .query import MAX_QUESTION_CHARS, clean_question
from .ranking import CANDIDATES
from .results import Mode

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "INDEX_VARIABLE",
    "QUESTION_PATTERN",
    "RESULT_CACHE_VARIABLE",
    "WHERE_PATTERN",
    "ErrorReply",
    "Found",
    "Question",
    "Replied",
    "app_from_environment",
    "create_app",
    "default_workers",
    "serve",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8000
# How `serve --workers N` tells each worker process what to open (uvicorn starts them by import string).
INDEX_VARIABLE = "FUNDSTELLE_INDEX"
RESULT_CACHE_VARIABLE = "FUNDSTELLE_RESULT_CACHE"


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

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, error: RequestValidationError) -> JSONResponse:
        problems = error.errors()
        for problem in problems:
            if problem["type"] == "json_invalid":
                reason = (problem.get("ctx") or {}).get("error", "")
                return _error(400, {}, f"the body is not JSON ({reason})", "json_invalid", loc=["body"])
            if isinstance(problem.get("input"), bytes):  # FastAPI reads JSON only when the Content-Type says JSON
                return _error(400, {}, "the body is not JSON: send it with Content-Type: application/json",
                              "json_invalid", loc=["body"])
        return JSONResponse(ErrorReply(detail=[
            Problem(loc=list(p["loc"]), msg=p["msg"], type=p["type"]) for p in problems
        ]).model_dump(), status_code=422)

    @app.exception_handler(HTTPException)
    async def refused(request: Request, error: HTTPException) -> JSONResponse:
        headers = dict(error.headers or {})
        if error.status_code == 405:
            headers["Allow"] = ", ".join(_methods_at(app, request))
        if error.status_code == 400:  # Starlette could not read the body (e.g. not UTF-8)
            return _error(400, headers, "the body is not JSON (not UTF-8)", "json_invalid", loc=["body"])
        return _error(error.status_code, headers, str(error.detail), "http_error")

    @app.exception_handler(FundstelleError)
    async def index_error(request: Request, error: FundstelleError) -> JSONResponse:
        return _error(503, {}, str(error), "index_unavailable")

    @app.exception_handler(UnknownFilterKeyError)
    async def unknown_key(request: Request, error: UnknownFilterKeyError) -> JSONResponse:
        # The question is at fault, not the index: 422, as for any other bad filter.
        place = "query" if request.method == "GET" else "body"
        return JSONResponse({"detail": [{"loc": [place, "where"], "msg": str(error), "type": "value_error"}]},
                            status_code=422)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        # Starlette calls this, sends the response, and re-raises: uvicorn logs the traceback.
        return _error(500, {}, "internal error; the server's log has the details", "internal")

    @app.get("/search", operation_id="search", summary="Search (question in the query)", response_model=Found,
             responses=responses(422, 503, 500, example=FOUND_EXAMPLE))
    def search_get(
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUESTION_CHARS, description=QUESTION_HELP,
                                json_schema_extra={"pattern": QUESTION_PATTERN},
                                examples=[EXAMPLE_QUESTION])],
        k: Annotated[int, Query(ge=1, le=CANDIDATES, description=K_HELP)] = 5,
        mode: Annotated[Mode, Query(description=MODE_HELP)] = "hybrid",
        where: Annotated[list[Annotated[str, Field(json_schema_extra={"pattern": WHERE_PATTERN})]] | None,
                         Query(description=WHERE_PAIR_HELP, examples=[["source=src/fundstelle/corpus/*"]])] = None,
    ) -> JSONResponse:
        """The passages that best answer ``q``, best first."""
        try:
            check_question(q)
        except ValueError as error:
            raise _invalid("q", error) from None
        try:
            filters = parse_where(where or [])
            for pair in where or []:
                if re.match(WHERE_PATTERN, pair) is None:
                    raise ValueError(f"a filter is written key=value with nothing before the key, not {pair!r}")
        except ValueError as error:
            raise _invalid("where", error) from None
        return _found(served, q, k, mode, filters)

    @app.post("/search", operation_id="search_post", summary="Search (question in a JSON body)",
              response_model=Found, responses=responses(400, 422, 503, 500, example=FOUND_EXAMPLE))
    def search_post(body: Question) -> JSONResponse:
        """The passages that best answer the question, best first."""
        return _found(served, body.question, body.k, body.mode, body.where)

    @app.post("/ask", operation_id="ask", summary="Ask: the answer and the passages", response_model=Replied,
              responses=responses(400, 422, 503, 500, example=REPLIED_EXAMPLE))
    def ask(body: Question) -> JSONResponse:
        """The answer (null when the documents hold none the model trusts), its confidence, and the passages."""
        try:
            question = clean_question(body.question)
        except ValueError:  # only invisible characters: nothing to search
            return JSONResponse({"question": "", "answer": None, "hits": []})
        return JSONResponse(served.ask(question, k=body.k, mode=body.mode, where=body.where).to_dict())

    @app.get("/documents", operation_id="documents", summary="The index and its documents", response_model=Listing,
             responses=responses(503, 500))
    def documents() -> JSONResponse:
        """The index's facts (size, model, last update) and its documents."""
        served.refresh()
        return JSONResponse({"index": asdict(served.info), "documents": [asdict(d) for d in served.documents()]})

    @app.get("/healthz", operation_id="health", summary="Health and live version", response_model=Health,
             responses=responses(503, 500))
    def healthz() -> JSONResponse:
        """``ok`` and the live version; 503 when the index cannot be read."""
        served.refresh()
        info = served.info
        return JSONResponse({"status": "ok", "version": info.version, "documents": info.documents,
                             "chunks": info.chunks})

    plain_openapi = app.openapi
    stated: dict[str, Any] = {}

    def keyed_openapi() -> dict[str, Any]:
        """The schema, its filter keys those the index's documents hold now (a new version may add some)."""
        try:
            served.refresh()
            version, keys = served.info.version, filter_keys(served.snapshot)
        except FundstelleError:  # unreadable now: the keys of the last schema
            return stated.get("schema") or plain_openapi()
        if stated.get("version") != version:
            app.openapi_schema = None
            stated.update(version=version, schema=with_filter_keys(plain_openapi(), keys))
        return stated["schema"]

    app.openapi = keyed_openapi  # type: ignore[method-assign]
    return app


def app_from_environment() -> FastAPI:
    """The app of one worker of ``serve --workers N``: the index in ``$FUNDSTELLE_INDEX`` (default ``index``)."""
    index = Index.open(os.environ.get(INDEX_VARIABLE, "index"))
    cache = os.environ.get(RESULT_CACHE_VARIABLE)
    if cache is not None:
        index.result_cache_size = int(cache)
    return create_app(index)


def default_workers() -> int:
    """One worker per core this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def serve(index: Index | str | os.PathLike[str] = "index", host: str = DEFAULT_HOST, port: int = DEFAULT_PORT,
          workers: int = 1, result_cache: int | None = None) -> None:
    """Serve ``index`` (an open :class:`Index` or a folder) until interrupted.

    One worker runs in this process; more are processes of their own, each opening the
    folder itself (an open ``Index`` given then only names the folder). ``result_cache``
    sets :attr:`Index.result_cache_size` (None: the default).
    """
    if workers <= 1:
        opened = index if isinstance(index, Index) else Index.open(index)
        if result_cache is not None:
            opened.result_cache_size = result_cache
        uvicorn.run(create_app(opened), host=host, port=port)
        return
    folder = index.folder if isinstance(index, Index) else index
    os.environ[INDEX_VARIABLE] = os.path.abspath(folder)
    if result_cache is not None:
        os.environ[RESULT_CACHE_VARIABLE] = str(result_cache)
    uvicorn.run(f"{__name__}:app_from_environment", factory=True, host=host, port=port, workers=workers)


def _found(served: Index, text: str, k: int, mode: Mode, where: Where | None) -> JSONResponse:
    """``/search``'s answer: the tidied question and its hits (none for a question of invisible characters)."""
    try:
        question = clean_question(text)
    except ValueError:  # only invisible characters: nothing to search
        return JSONResponse({"question": "", "hits": []})
    hits = served.search(question, k=k, mode=mode, where=where)
    return JSONResponse({"question": question, "hits": [hit.to_dict() for hit in hits]})


def _methods_at(app: FastAPI, request: Request) -> list[str]:
    """The methods some route of ``app`` takes at the request's path."""
    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches(request.scope)
        if match != Match.NONE:
            methods |= getattr(route, "methods", None) or set()
    return sorted(methods)


def _error(status: int, headers: dict[str, str], message: str, kind: str, loc: list[str | int] | None = None,
           ) -> JSONResponse:
    """An :class:`ErrorReply` with one problem."""
    body = ErrorReply(detail=[Problem(loc=loc or [], msg=message, type=kind)])
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


def _invalid(parameter: str, error: ValueError) -> RequestValidationError:
    """A 422 for a query parameter, in FastAPI's shape."""
    return RequestValidationError([{"type": "value_error", "loc": ("query", parameter), "msg": str(error)}])
