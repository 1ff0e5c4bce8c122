"""The HTTP contract's answer models are derived from the library's results: one owner for each field."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

pytest.importorskip("pydantic")

from pydantic import Field  # noqa: E402

from fundstelle import Index, ingest, results  # noqa: E402
from fundstelle.http_schema import Answer, Hit, Replied, Span, from_result  # noqa: E402


@dataclass(frozen=True)
class Shape:
    count: int
    spans: Sequence[results.Span] = ()
    note: str | None = None


def test_a_results_field_is_in_the_schema_required_unless_the_contract_gives_a_default() -> None:
    model = from_result(Shape, "A shape.", {results.Span: Span}, count=Field(ge=1, description="how many"),
                        note=Field(None))
    schema = model.model_json_schema()
    assert schema["description"] == "A shape."
    assert schema["required"] == ["count", "spans"]  # a result's own default does not make a field optional
    assert schema["additionalProperties"] is False
    assert schema["properties"]["count"] == {"description": "how many", "minimum": 1, "title": "Count",
                                             "type": "integer"}
    assert schema["properties"]["spans"]["items"] == {"$ref": "#/$defs/Span"}
    with pytest.raises(TypeError, match="no field colour"):
        from_result(Shape, "A shape.", colour=Field())


def test_the_models_hold_exactly_what_the_results_write(corpus: Path, index_dir: Path) -> None:
    ingest([corpus], index_dir, model="hashing")
    hits = Index.open(index_dir).search("Wie hoch ist die Zugspitze?", k=2)
    answer = results.Answer("Die Zugspitze ist 2962 Meter hoch.", results.Span(18, 29, "2962 Meter"), 0.9,
                            hits[0].doc_id, hits[0].source, hits[0].title, 0, 34, ("12",))
    reply = results.Reply("Wie hoch ist die Zugspitze?", answer, hits)
    assert hits[0].answer.phrase is not None and hits[0].terms  # every nested shape filled
    written = reply.to_dict()
    assert Replied.model_validate(written).model_dump(exclude_unset=True) == written
    assert set(Hit.model_fields) == set(hits[0].to_dict())
    assert set(Answer.model_fields) == set(answer.to_dict())
