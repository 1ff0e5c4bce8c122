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

Every answer other than 200 has one shape, :class:`ErrorReply`: ``{"detail": [{"loc",
"msg", "type"}]}``. A body that is not JSON gets 400; input the schema forbids (a question
with no visible character or over ``MAX_QUESTION_CHARS``, ``k`` outside
``1..CANDIDATES``, an unknown mode or filter key) 422; an error of the index folder 503
with its message; anything else 500 without a traceback (the server's log has it). A
method a path does not take gets 405 with ``Allow`` listing the ones it does.
"""

from __future__ import annotations

import os
import re
from dataclasses import asdict
from typing import Annotated, Any, Literal

try:
    import uvicorn
    from fastapi import FastAPI, Query, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator
    from pydantic_core import PydanticCustomError
    from starlette.exceptions import HTTPException
    from starlette.routing import Match
except ImportError as missing:  # pragma: no cover - depends on the installation
    raise ImportError(
        f"the HTTP service needs FastAPI and uvicorn ({missing.name} is missing): pip install 'fundstelle[http]'"
    ) from None

from . import __version__
from .errors import FundstelleError
from .filters import (
    DOCUMENT_KEYS,
    WHERE_HELP,
    Condition,
    Operator,
    UnknownFilterKeyError,
    Where,
    check_where,
    filter_keys,
    parse_where,
)
from .index import Index
from .query import MAX_QUESTION_CHARS, clean_question
from .ranking import CANDIDATES
from .results import MetaValue, Mode

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

# A question must hold a character that is neither white space (every character Python's
# str.isspace() counts) nor a control character. Written with escapes only, so that a
# client's regular expressions (JSON Schema's, Python's, Rust's) read it alike. A question
# whose only other characters are invisible ones (format, private-use, unassigned) holds no
# word: it is accepted and finds nothing.
QUESTION_PATTERN = r"[^\x00-\x20\x7f-\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]"
# A filter of GET /search: key=value with one of the filter keys, nothing before the key.
# A filter pair as filters.parse_where reads it: a key, then =, >=, <=, > or <.
WHERE_PATTERN = "^[^=<>]+(?:=|>=|<=|>|<)"
_EMPTY_QUESTION = "the question is empty; ask something, e.g. 'Wie viel investiert Amazon?'"

_QUESTION_HELP = (f"the question: 1 to {MAX_QUESTION_CHARS} characters, at least one of them neither white space "
                  "nor a control character")
_K_HELP = f"number of passages, 1 to {CANDIDATES}"
_MODE_HELP = "hybrid (meaning and words), dense (meaning) or lexical (words)"
_WHERE_PAIR_HELP = ("a filter as key=value or key>=value (also >, <, <=) on any key the documents hold, "
                    "e.g. source=docs/*.pdf or date>=2025-01-01; repeat for more (the same key twice with =: "
                    "either value)")


# The filter as a body states it (filters.WhereJson): a range names at least one bound.
WhereBody = dict[str, MetaValue | list[MetaValue] | Annotated[dict[Operator, MetaValue], Field(min_length=1)]]


def check_question(text: str) -> str:
    """``text`` if it holds a character that is not blank (:data:`QUESTION_PATTERN`); else ValueError."""
    if re.search(QUESTION_PATTERN, text) is None:
        raise ValueError(_EMPTY_QUESTION)
    return text


def _number(value: object) -> object:
    """``value`` if it is a JSON number (pydantic then makes a whole number of it, or refuses); else a type error."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise PydanticCustomError("int_type", "Input should be a valid integer")
    return value


class Question(BaseModel):
    """The body of ``POST /search`` and ``POST /ask``."""

    # strict: a number is a number, not a string of digits, as the schema says
    model_config = ConfigDict(extra="forbid", strict=True, json_schema_extra={"examples": [
        {"question": "Wie viel hat Amazon in Anthropic investiert?", "k": 3},
        {"question": "Wer hat Anthropic gegründet?", "k": 5, "mode": "hybrid",
         "where": {"source": "src/fundstelle/corpus/*"}},
    ]})

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, description=_QUESTION_HELP,
                          json_schema_extra={"pattern": QUESTION_PATTERN})
    # JSON Schema's integer includes 5.0 (not "5" or true): strict but for whole floats
    k: Annotated[int, BeforeValidator(_number)] = Field(5, ge=1, le=CANDIDATES, strict=False, description=_K_HELP)
    mode: Mode = Field("hybrid", description=_MODE_HELP)
    where: WhereBody | None = Field(None, description=WHERE_HELP)

    @field_validator("question")
    @classmethod
    def _visible(cls, question: str) -> str:
        return check_question(question)

    @field_validator("where")
    @classmethod
    def _check_where(cls, where: WhereBody | None) -> dict[str, Condition]:
        return check_where(where)


# What the service answers: the shapes of Hit.to_dict(), Reply.to_dict() and the rest, for
# the schema (the answers themselves are those dicts; tests hold the two together).
class _Answer(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Span(_Answer):
    """A stretch of a text: ``text[start:end]`` of the text it points into."""

    start: int
    end: int
    text: str


class AnswerSpan(_Answer):
    """The sentence of a hit that best answers the question, offsets into the hit's text."""

    start: int
    end: int
    text: str
    score: float = Field(description="from /ask the probability that the sentence holds the answer; from /search "
                                     "the highlighter's score (higher is better, comparable within one hit)")
    phrase: Span | None = Field(description="the narrow answer inside the sentence (e.g. the number for 'wie viele'), "
                                            "when one is sure")


class Hit(_Answer):
    """A passage that answers the question."""

    rank: int = Field(ge=1)
    score: float = Field(description="fused relevance: higher is better, comparable within one answer")
    title: str
    source: str = Field(description="the document's path as it was ingested")
    doc_id: str
    start: int = Field(description="offset of the passage in the document's text")
    end: int
    text: str = Field(description="the passage")
    answer: AnswerSpan
    terms: list[Span] = Field(description="the question's words found in the passage")
    signals: dict[str, float] = Field(description="the scores the relevance was fused from: cosine per model, BM25")
    pages: list[str] = Field(description="the labels of the PDF pages the passage stands on; empty for other files")


class Answer(_Answer):
    """The answer: the sentence that holds it, offsets in the document's text."""

    text: str
    phrase: Span | None = Field(description="the narrow answer inside the sentence, offsets in the document's text")
    confidence: float = Field(ge=0, le=1, description="the calibrated probability that the sentence holds the answer")
    doc_id: str
    source: str
    title: str
    start: int
    end: int
    pages: list[str] = Field(description="the labels of the PDF pages the answer stands on; empty for other files")


class Found(_Answer):
    """What ``/search`` answers: the question as searched (tidied) and the passages, best first."""

    question: str
    hits: list[Hit]


class Replied(_Answer):
    """What ``/ask`` answers: the answer, or null when the documents hold none the model trusts, and the passages."""

    question: str
    answer: Answer | None
    hits: list[Hit]
    note: str | None = Field(None, description="why there can be no answer when it is not the documents' content, "
                                               "e.g. 'the index holds no documents'; absent otherwise")


class DocumentInfo(_Answer):
    """A document in the index."""

    id: str
    source: str
    title: str
    chunks: int
    characters: int
    meta: dict[str, str | int | float | bool] = Field(description="what is known of the document: type, size, "
                                                                   "modified, lang, date, author, pages, …")


class IndexInfo(_Answer):
    """Facts about the index: its folder, size, model, last update (ISO 8601) and live version."""

    folder: str
    documents: int
    chunks: int
    model: str
    chunk_size: int
    chunk_overlap: int
    updated: str
    version: str


class Listing(_Answer):
    """What ``/documents`` answers."""

    index: IndexInfo
    documents: list[DocumentInfo]


class Health(_Answer):
    """What ``/healthz`` answers while the index can be read."""

    status: Literal["ok"]
    version: str
    documents: int
    chunks: int


class Problem(_Answer):
    """One thing wrong with a request, or with the service."""

    loc: list[str | int] = Field(description='where: ["body", "question"], ["query", "k"]; [] for the request as '
                                             "a whole or the service")
    msg: str = Field(description="what is wrong, in a sentence")
    type: str = Field(description="a code: json_invalid, missing, value_error, index_unavailable, …")


class ErrorReply(_Answer):
    """Every answer but 200: what went wrong."""

    detail: list[Problem]


_NOT_JSON = {"description": "the body is not JSON", "model": ErrorReply}
_INVALID = {"description": "input the schema forbids; `detail` names each field and the problem", "model": ErrorReply}
_UNAVAILABLE = {"description": "the index cannot be read (e.g. removed or damaged); the message says why",
                "model": ErrorReply}
_INTERNAL = {"description": "an unexpected error; the server's log has the details", "model": ErrorReply}


def _examples(**named: tuple[str, Any]) -> dict[int | str, dict[str, Any]]:
    """A 200 answer's named examples, for the schema."""
    examples = {name: {"summary": summary, "value": value} for name, (summary, value) in named.items()}
    return {200: {"content": {"application/json": {"examples": examples}}}}


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
             responses={422: _INVALID, 503: _UNAVAILABLE, 500: _INTERNAL,
                        **_examples(amount=(_EXAMPLE_QUESTION, _FOUND))})
    def search_get(
        q: Annotated[str, Query(min_length=1, max_length=MAX_QUESTION_CHARS, description=_QUESTION_HELP,
                                json_schema_extra={"pattern": QUESTION_PATTERN},
                                examples=[_EXAMPLE_QUESTION])],
        k: Annotated[int, Query(ge=1, le=CANDIDATES, description=_K_HELP)] = 5,
        mode: Annotated[Mode, Query(description=_MODE_HELP)] = "hybrid",
        where: Annotated[list[Annotated[str, Field(json_schema_extra={"pattern": WHERE_PATTERN})]] | None,
                         Query(description=_WHERE_PAIR_HELP, examples=[["source=src/fundstelle/corpus/*"]])] = None,
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
              response_model=Found, responses={400: _NOT_JSON, 422: _INVALID, 503: _UNAVAILABLE, 500: _INTERNAL,
                                               **_examples(amount=(_EXAMPLE_QUESTION, _FOUND))})
    def search_post(body: Question) -> JSONResponse:
        """The passages that best answer the question, best first."""
        return _found(served, body.question, body.k, body.mode, body.where)

    @app.post("/ask", operation_id="ask", summary="Ask: the answer and the passages", response_model=Replied,
              responses={400: _NOT_JSON, 422: _INVALID, 503: _UNAVAILABLE, 500: _INTERNAL,
                         **_examples(amount=(_EXAMPLE_QUESTION, _REPLIED))})
    def ask(body: Question) -> JSONResponse:
        """The answer (null when the documents hold none the model trusts), its confidence, and the passages."""
        try:
            question = clean_question(body.question)
        except ValueError:  # only invisible characters: nothing to search
            return JSONResponse({"question": "", "answer": None, "hits": []})
        return JSONResponse(served.ask(question, k=body.k, mode=body.mode, where=body.where).to_dict())

    @app.get("/documents", operation_id="documents", summary="The index and its documents", response_model=Listing,
             responses={503: _UNAVAILABLE, 500: _INTERNAL})
    def documents() -> JSONResponse:
        """The index's facts (size, model, last update) and its documents."""
        served.refresh()
        return JSONResponse({"index": asdict(served.info), "documents": [asdict(d) for d in served.documents()]})

    @app.get("/healthz", operation_id="health", summary="Health and live version", response_model=Health,
             responses={503: _UNAVAILABLE, 500: _INTERNAL})
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
            stated.update(version=version, schema=_with_filter_keys(plain_openapi(), keys))
        return stated["schema"]

    app.openapi = keyed_openapi  # type: ignore[method-assign]
    return app


def _with_filter_keys(schema: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    """``schema`` with the filter keys stated: ``where``'s pairs and objects may name only ``keys``."""
    pattern = f"^(?:{'|'.join(re.escape(key) for key in keys)})(?:=|>=|<=|>|<)" if keys else "^(?!)"
    for parameter in schema["paths"]["/search"]["get"]["parameters"]:
        if parameter["name"] == "where":
            parameter["schema"]["anyOf"][0]["items"]["pattern"] = pattern
    where = schema["components"]["schemas"]["Question"]["properties"]["where"]["anyOf"][0]
    where["propertyNames"] = {"enum": keys}
    text = {"type": "string"}
    where["properties"] = {key: {"anyOf": [text, {"type": "array", "items": text}]}  # a document's own fields
                           for key in DOCUMENT_KEYS if key in keys}
    return schema


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


# Answers of the service on the bundled article (default model), as examples in the schema.
# (FastAPI leaves null out of the schema's examples: these hold none.)
_EXAMPLE_QUESTION = "Wie viel hat Amazon in Anthropic investiert?"
_EXAMPLE_HIT: dict[str, Any] = {
    "rank": 1, "score": 3.7398, "title": "Amazon erwägt weitere Milliarden-Investition in Anthropic",
    "source": "src/fundstelle/corpus/amazon-anthropic-2025-07.txt", "doc_id": "aae32cf2aa78c28c",
    "start": 274, "end": 534,
    "text": "Das KI-Unternehmen aus dem kalifornischen San Francisco würde damit noch enger an Amazon rücken.\n\n"
            "Diese Entwicklung folgt auf eine bereits abgeschlossene Investition von insgesamt vier Milliarden "
            "US-Dollar, die Amazon in zwei Tranchen in Anthropic investierte.",
    "answer": {"start": 98, "end": 260, "score": 3.1439,
               "text": "Diese Entwicklung folgt auf eine bereits abgeschlossene Investition von insgesamt vier "
                       "Milliarden US-Dollar, die Amazon in zwei Tranchen in Anthropic investierte.",
               "phrase": {"start": 180, "end": 205, "text": "vier Milliarden US-Dollar"}},
    "terms": [{"start": 82, "end": 88, "text": "Amazon"}, {"start": 211, "end": 217, "text": "Amazon"},
              {"start": 238, "end": 247, "text": "Anthropic"}, {"start": 248, "end": 259, "text": "investierte"}],
    "signals": {"e5-small-int4": 0.909, "use-m3": 0.4558, "e5-small-int4 sentences": 0.9256, "bm25": 0.8803},
    "pages": [],
}
_FOUND: dict[str, Any] = {"question": _EXAMPLE_QUESTION, "hits": [_EXAMPLE_HIT]}
_REPLIED: dict[str, Any] = {
    "question": _EXAMPLE_QUESTION,
    "answer": {
        "text": _EXAMPLE_HIT["answer"]["text"],
        "phrase": {"start": 454, "end": 479, "text": "vier Milliarden US-Dollar"},
        "confidence": 0.9941, "doc_id": "aae32cf2aa78c28c", "source": _EXAMPLE_HIT["source"],
        "title": "Amazon erwägt weitere Milliarden-Investition in Anthropic", "start": 372, "end": 534, "pages": [],
    },
    # ask() scores the answer sentence as the probability that it holds the answer
    "hits": [{**_EXAMPLE_HIT, "answer": {**_EXAMPLE_HIT["answer"], "score": 0.9709}}],
}
