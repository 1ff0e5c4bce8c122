"""The HTTP service's contract: what a request may hold and what each answer holds, as pydantic models.

:mod:`fundstelle.server` serves these; FastAPI writes them into ``/openapi.json``, so
that clients generated from it, or validated against it, agree with the service. The
answers' models are derived from the dataclasses of :mod:`fundstelle.results` (their
field names and types; :func:`from_result`): a field added there is in the schema too.
This module adds what only the contract says: a description per field, bounds, and the
German examples.
"""

from __future__ import annotations

import dataclasses
import re
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, create_model, field_validator
from pydantic_core import PydanticCustomError

from . import results
from .filters import DOCUMENT_KEYS, WHERE_HELP, Condition, Operator, check_where
from .query import MAX_QUESTION_CHARS
from .ranking import CANDIDATES
from .results import MetaValue, Mode

__all__ = [
    "EXAMPLE_QUESTION",
    "FOUND_EXAMPLE",
    "K_HELP",
    "MODE_HELP",
    "QUESTION_HELP",
    "QUESTION_PATTERN",
    "REPLIED_EXAMPLE",
    "WHERE_PAIR_HELP",
    "WHERE_PATTERN",
    "Answer",
    "AnswerSpan",
    "DocumentInfo",
    "ErrorReply",
    "Found",
    "Health",
    "Hit",
    "IndexInfo",
    "Listing",
    "Problem",
    "Question",
    "Replied",
    "Span",
    "check_question",
    "from_result",
    "responses",
    "with_filter_keys",
]

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

QUESTION_HELP = (f"the question: 1 to {MAX_QUESTION_CHARS} characters, at least one of them neither white space "
                 "nor a control character")
K_HELP = f"number of passages, 1 to {CANDIDATES}"
MODE_HELP = "hybrid (meaning and words), dense (meaning) or lexical (words)"
WHERE_PAIR_HELP = ("a filter as key=value or key>=value (also >, <, <=) on any key the documents hold, "
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

    question: str = Field(min_length=1, max_length=MAX_QUESTION_CHARS, description=QUESTION_HELP,
                          json_schema_extra={"pattern": QUESTION_PATTERN})
    # JSON Schema's integer includes 5.0 (not "5" or true): strict but for whole floats
    k: Annotated[int, BeforeValidator(_number)] = Field(5, ge=1, le=CANDIDATES, strict=False, description=K_HELP)
    mode: Mode = Field("hybrid", description=MODE_HELP)
    where: WhereBody | None = Field(None, description=WHERE_HELP)

    @field_validator("question")
    @classmethod
    def _visible(cls, question: str) -> str:
        return check_question(question)

    @field_validator("where")
    @classmethod
    def _check_where(cls, where: WhereBody | None) -> dict[str, Condition]:
        return check_where(where)


class _Answer(BaseModel):
    """What the service answers: no field beyond those stated."""

    model_config = ConfigDict(extra="forbid")


def from_result(shape: type, doc: str, models: Mapping[type, type[BaseModel]] | None = None, name: str = "",
                **fields: Any) -> type[BaseModel]:
    """The schema model of a dataclass of :mod:`fundstelle.results`, as its ``to_dict()`` writes it.

    Names and types come from the dataclass: a nested result becomes its model in
    ``models``, a sequence a list, a mapping an object. ``doc`` describes it in the schema,
    ``fields`` give a field its description and bounds (a pydantic ``Field``). Every field is required (``to_dict``
    writes each one) unless its ``Field`` gives a default. ``name`` names the model in the
    schema (default: the dataclass's name).
    """
    hints = typing.get_type_hints(shape)
    definitions: dict[str, Any] = {
        field.name: (_as_json(hints[field.name], models or {}), fields.pop(field.name, Field()))
        for field in dataclasses.fields(shape)
    }
    if fields:
        raise TypeError(f"{shape.__name__} has no field {', '.join(fields)}")
    return create_model(name or shape.__name__, __base__=_Answer, __doc__=doc, __module__=__name__, **definitions)


def _as_json(annotation: Any, models: Mapping[type, type[BaseModel]]) -> Any:
    """The type a field has in JSON: results' dataclasses as their models, tuples and sequences as lists."""
    if annotation in models:
        return models[annotation]
    origin, arguments = typing.get_origin(annotation), typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return typing.Union[tuple(_as_json(argument, models) for argument in arguments)]  # noqa: UP007
    if origin in (tuple, list, Sequence):
        return types.GenericAlias(list, (_as_json(arguments[0], models),))
    if origin in (dict, Mapping):
        return types.GenericAlias(dict, (arguments[0], _as_json(arguments[1], models)))
    return annotation


Span = from_result(results.Span, "A stretch of a text: ``text[start:end]`` of the text it points into.")
AnswerSpan = from_result(
    results.AnswerSpan, "The sentence of a hit that best answers the question, offsets into the hit's text.",
    {results.Span: Span},
    score=Field(description="from /ask the probability that the sentence holds the answer; from /search "
                            "the highlighter's score (higher is better, comparable within one hit)"),
    phrase=Field(description="the narrow answer inside the sentence (e.g. the number for 'wie viele'), "
                             "when one is sure"),
)
Hit = from_result(
    results.Hit, "A passage that answers the question.", {results.Span: Span, results.AnswerSpan: AnswerSpan},
    rank=Field(ge=1),
    score=Field(description="fused relevance: higher is better, comparable within one answer"),
    source=Field(description="the document's path as it was ingested"),
    start=Field(description="offset of the passage in the document's text"),
    text=Field(description="the passage"),
    terms=Field(description="the question's words found in the passage"),
    signals=Field(description="the scores the relevance was fused from: cosine per model, BM25"),
    pages=Field(description="the labels of the PDF pages the passage stands on; empty for other files"),
)
Answer = from_result(
    results.Answer, "The answer: the sentence that holds it, offsets in the document's text.", {results.Span: Span},
    phrase=Field(description="the narrow answer inside the sentence, offsets in the document's text"),
    confidence=Field(ge=0, le=1, description="the calibrated probability that the sentence holds the answer"),
    pages=Field(description="the labels of the PDF pages the answer stands on; empty for other files"),
)
Replied = from_result(
    results.Reply,
    "What ``/ask`` answers: the answer, or null when the documents hold none the model trusts, and the passages.",
    {results.Answer: Answer, results.Hit: Hit}, name="Replied",
    note=Field(None, description="why there can be no answer when it is not the documents' content, "
                                 "e.g. 'the index holds no documents'; absent otherwise"),
)
DocumentInfo = from_result(
    results.DocumentInfo, "A document in the index.",
    meta=Field(description="what is known of the document: type, size, modified, lang, date, author, pages, …"),
)
IndexInfo = from_result(
    results.IndexInfo,
    "Facts about the index: its folder, size, model, last update (ISO 8601) and live version.",
)


class Found(_Answer):
    """What ``/search`` answers: the question as searched (tidied) and the passages, best first."""

    question: str
    hits: list[Hit]  # type: ignore[valid-type]


class Listing(_Answer):
    """What ``/documents`` answers."""

    index: IndexInfo  # type: ignore[valid-type]
    documents: list[DocumentInfo]  # type: ignore[valid-type]


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


_ERRORS: dict[int, str] = {
    400: "the body is not JSON",
    422: "input the schema forbids; `detail` names each field and the problem",
    503: "the index cannot be read (e.g. removed or damaged); the message says why",
    500: "an unexpected error; the server's log has the details",
}


def responses(*errors: int, example: dict[str, Any] | None = None) -> dict[int | str, dict[str, Any]]:
    """A route's documented answers besides its model: the ``errors`` it may give, and a 200 ``example``."""
    documented: dict[int | str, dict[str, Any]] = {
        status: {"description": _ERRORS[status], "model": ErrorReply} for status in errors}
    if example is not None:
        documented[200] = {"content": {"application/json": {"examples": {
            "amount": {"summary": EXAMPLE_QUESTION, "value": example}}}}}
    return documented


def with_filter_keys(schema: dict[str, Any], keys: list[str]) -> dict[str, Any]:
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


# Answers of the service on the bundled article (default model), as examples in the schema.
# (FastAPI leaves null out of the schema's examples: these hold none.)
EXAMPLE_QUESTION = "Wie viel hat Amazon in Anthropic investiert?"
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
FOUND_EXAMPLE: dict[str, Any] = {"question": EXAMPLE_QUESTION, "hits": [_EXAMPLE_HIT]}
REPLIED_EXAMPLE: dict[str, Any] = {
    "question": EXAMPLE_QUESTION,
    "answer": {
        "text": _EXAMPLE_HIT["answer"]["text"],
        "phrase": {"start": 454, "end": 479, "text": "vier Milliarden US-Dollar"},
        "confidence": 0.9941, "doc_id": "aae32cf2aa78c28c", "source": _EXAMPLE_HIT["source"],
        "title": "Amazon erwägt weitere Milliarden-Investition in Anthropic", "start": 372, "end": 534, "pages": [],
    },
    # ask() scores the answer sentence as the probability that it holds the answer
    "hits": [{**_EXAMPLE_HIT, "answer": {**_EXAMPLE_HIT["answer"], "score": 0.9709}}],
}
