"""Filters: search only some documents, chosen by id, source path, title or any metadata key.

``where`` maps keys to conditions, and a document is kept when it meets all of them:

- ``{"source": "berichte/*.pdf"}``: a glob on the source path (:func:`fnmatch.fnmatchcase`:
  ``*`` also matches ``/``; case counts);
- ``{"doc_id": ["a1b2", "c3d4"]}``, ``{"lang": "de"}``, ``{"author": "Eva Muster"}``: equal
  to the value, or to any value of a list;
- ``{"date": {"gte": "2025-01-01", "lt": "2026-01-01"}}``, ``{"pages": {"gt": 10}}``: a
  range, with ``gt``, ``gte``, ``lt``, ``lte``. Numbers compare as numbers, anything else
  as strings (ISO dates as written: ``"2025-07"`` sorts before ``"2025-07-01"``).

Keys are ``doc_id``, ``source``, ``title`` and whatever the documents' metadata holds
(``type``, ``size``, ``modified``, ``lang``, ``date``, ``author``, ``pages`` and a caller's
own, see :class:`fundstelle.results.Document`); a key no document has is an
:class:`UnknownFilterKeyError` naming the keys the index holds. A document without the key
is not kept. On the command line and in ``GET /search`` a condition is one string,
``key=value`` or ``key>=value`` (also ``>``, ``<``, ``<=``), see :func:`parse_where`; a key
given twice with ``=`` takes either value.

Filtering comes before ranking: :func:`restrict` narrows every signal to the allowed
chunk rows, renumbered ``0..m-1`` (:mod:`fundstelle.subsets` says how each signal searches
them), and ranking runs on those as if the index held only them. A filter that keeps one
document therefore ranks within it, however far down an unfiltered search would place its
passages.
"""

from __future__ import annotations

import fnmatch
import json
import math
import operator
import re
import threading
import weakref
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from .backends import LexicalIndex, Searchable
from .errors import BadInputError
from .results import Document, MetaValue
from .snapshot import Snapshot
from .subsets import LexicalSubset, VectorSubset

__all__ = ["DOCUMENT_KEYS", "RANGE_OPERATORS", "WHERE_HELP", "Condition", "UnknownFilterKeyError", "Where",
           "Selection", "WhereJson", "allowed_rows", "check_where", "filter_keys", "kept_documents",
           "milvus_expression", "parse_where", "restrict", "select"]

# Keys that name a document's own fields; every other key looks into its metadata.
DOCUMENT_KEYS = ("doc_id", "source", "title")
RANGE_OPERATORS = ("gt", "gte", "lt", "lte")
Operator = Literal["gt", "gte", "lt", "lte"]
# A filter as JSON gives it (``POST /search``'s body, LangChain's ``where``): a value, a
# list of values (any of them) or a range per key.
WhereJson = dict[str, MetaValue | list[MetaValue] | dict[Operator, MetaValue]]
# What ``where=`` takes: such a mapping (values: a value, a list, a range mapping, or a
# :class:`Condition` from :func:`check_where`), checked at run time.
Where = Mapping[str, object]
WHERE_HELP = ('keep only the documents that match every key: {"source": "docs/*.pdf"} (a glob), '
              '{"lang": "de"} or {"doc_id": ["id1", "id2"]} (equal to one of the values), '
              '{"date": {"gte": "2025-01-01"}} (a range: gt, gte, lt, lte); keys are doc_id, source, title '
              "and the documents' metadata (type, size, modified, lang, date, author, pages, your own)")
# key=value, key>=value, …: the command line's and GET /search's form of one condition.
_PAIR = re.compile(r"\s*([^=<>]+?)\s*(>=|<=|=|>|<)\s*(.*)", re.DOTALL)
_OPERATOR_OF = {">=": "gte", "<=": "lte", ">": "gt", "<": "lt"}
_COMPARE = {"gt": operator.gt, "gte": operator.ge, "lt": operator.lt, "lte": operator.le}


class UnknownFilterKeyError(BadInputError):
    """A filter names a key no document of the index has; ``known`` lists the keys it has."""

    def __init__(self, key: str, known: Sequence[str]) -> None:
        super().__init__(f"cannot filter by {key!r}: no document of the index has it; "
                         f"the index's documents have {', '.join(known)}")
        self.key = key
        self.known = tuple(known)


@dataclass(frozen=True)
class Condition:
    """What one key must meet: equal to one of ``any_of`` (a glob for ``source``), or within ``bounds``."""

    key: str
    any_of: tuple[MetaValue, ...] | None = None
    bounds: tuple[tuple[str, MetaValue], ...] = ()

    def holds(self, value: MetaValue | None) -> bool:
        """Does a document whose value for the key is ``value`` (None: it has none) meet the condition?"""
        if value is None:
            return False
        if self.any_of is not None:
            if self.key == "source":
                met = any(_source_matches(str(value), str(pattern)) for pattern in self.any_of)
            else:
                met = any(_equal(value, wanted) for wanted in self.any_of)
            if not met:
                return False
        return all(_compare(value, relation, bound) for relation, bound in self.bounds)

    def mask(self, column: _Column) -> np.ndarray:
        """:meth:`holds` for every document at once (``column``: the key's values in index order).

        Vectorised where the column holds only strings, or only numbers, as dates, languages
        and sizes do; other columns are checked value by value.
        """
        if self.any_of is not None and self.bounds:  # both ways at once: value by value
            return np.fromiter((self.holds(value) for value in column.values), dtype=bool, count=len(column.values))
        given = list(self.any_of) if self.any_of is not None else [bound for _, bound in self.bounds]
        values: np.ndarray
        limits: list[Any]  # strings or numbers, as the column
        if self.key == "source":
            values, limits = np.zeros(0), []
        elif column.texts is not None and all(isinstance(v, str) for v in given):
            values, limits = column.texts, [str(v) for v in given]
        elif column.numbers is not None and all(not isinstance(v, bool) and _number(v) is not None for v in given):
            values, limits = column.numbers, [float(_number(v) or 0.0) for v in given]
        else:
            values, limits = np.zeros(0), []
        if len(values) != len(column.values):  # no array of this kind: value by value
            return np.fromiter((self.holds(value) for value in column.values), dtype=bool, count=len(column.values))
        if self.any_of is not None:
            kept = np.isin(values, np.asarray(limits, dtype=values.dtype))
        else:
            kept = np.ones(len(values), dtype=bool)
            for (relation, _), limit in zip(self.bounds, limits):
                kept &= _COMPARE[relation](values, limit)
        return kept & column.present


def _number(value: MetaValue) -> float | None:
    """``value`` as a number where it is one (or a string that spells one); bools are not numbers."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        number = float(value)
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _equal(stored: MetaValue, wanted: MetaValue) -> bool:
    """Equality across the command line's strings: "3" equals 3, "true" equals True."""
    if isinstance(stored, bool) or isinstance(wanted, bool):
        as_text = {True: "true", False: "false"}
        return (as_text[stored] if isinstance(stored, bool) else str(stored).lower()) == \
               (as_text[wanted] if isinstance(wanted, bool) else str(wanted).lower())
    if isinstance(stored, int | float) or isinstance(wanted, int | float):
        a, b = _number(stored), _number(wanted)
        return a is not None and a == b
    return stored == wanted


def _compare(stored: MetaValue, relation: str, bound: MetaValue) -> bool:
    """``stored <relation> bound``: numerically where the stored value is a number, else as strings."""
    if isinstance(stored, bool):
        return False
    if isinstance(stored, int | float):
        number = _number(bound)
        if number is None:
            return False
        a: float | str = float(stored)
        b: float | str = number
    else:
        a, b = str(stored), str(bound)
    return bool(_COMPARE[relation](a, b))


def _source_matches(source: str, pattern: str) -> bool:
    """Does ``source`` match the glob ``pattern``: whole, or (a relative pattern) from a folder boundary on?

    Sources are absolute paths, so ``berichte/*.pdf`` keeps ``/home/a/berichte/q3.pdf``.
    """
    return fnmatch.fnmatchcase(source, pattern) or (
        not pattern.startswith("/") and fnmatch.fnmatchcase(source, f"*/{pattern}"))


def _scalar(value: object) -> bool:
    return isinstance(value, str | int | float | bool) and not (isinstance(value, float) and not math.isfinite(value))


def check_where(where: Where | None) -> dict[str, Condition]:
    """The filter as ``{key: Condition}`` (empty: no filter); ValueError names what is wrong.

    Checks the form only; which keys an index holds, :func:`allowed_rows` checks.
    """
    if where is None:
        return {}
    if not isinstance(where, Mapping):
        raise BadInputError(f"where must be a mapping such as {{'source': 'docs/*.pdf'}}, not {type(where).__name__}")
    checked: dict[str, Condition] = {}
    for key, value in where.items():
        if not isinstance(key, str) or not key:
            raise BadInputError(f"a filter key must be a non-empty string, not {key!r}")
        if isinstance(value, Condition):
            checked[key] = value
        elif isinstance(value, Mapping):
            unknown = [relation for relation in value if relation not in RANGE_OPERATORS]
            if unknown or not value or not all(_scalar(bound) for bound in value.values()):
                raise BadInputError(f"where[{key!r}] as a range takes {', '.join(RANGE_OPERATORS)} with a string or "
                                 f"number each, not {dict(value)!r}")
            checked[key] = Condition(key, bounds=tuple(sorted(value.items())))
        else:
            values: list[MetaValue] = [value] if isinstance(value, str | int | float | bool) else \
                list(value) if isinstance(value, Sequence) else []
            if not (_scalar(value) or isinstance(value, Sequence)) or not all(_scalar(v) for v in values):
                raise BadInputError(f"where[{key!r}] must be a string, number or bool, a list of them, or a range "
                                 f"such as {{'gte': '2025-01-01'}}, not {value!r}")
            if key in DOCUMENT_KEYS and not all(isinstance(v, str) for v in values):
                raise BadInputError(f"where[{key!r}] must be a string or a list of strings, not {value!r}")
            checked[key] = Condition(key, any_of=tuple(values))
    return checked


def parse_where(pairs: Sequence[str]) -> dict[str, Condition]:
    """A filter from ``key=value`` / ``key>=value`` strings (the command line's and ``GET /search``'s form).

    A key given twice with ``=`` takes either value: ``["doc_id=a", "doc_id=b"]`` keeps both
    documents; ``["date>=2025-01-01", "date<2026-01-01"]`` is one range; a key given both ways
    must meet both (one of the values, within the range).
    """
    equal: dict[str, list[MetaValue]] = {}
    ranges: dict[str, dict[str, MetaValue]] = {}
    for pair in pairs:
        match = _PAIR.fullmatch(pair)
        if not match or not match.group(1).strip():
            raise BadInputError(f"a filter is written key=value or key>=value (e.g. source=docs/*.pdf, "
                             f"date>=2025-01-01), not {pair!r}")
        key, operator, value = match.group(1).strip(), match.group(2), match.group(3).strip()
        if operator == "=":
            equal.setdefault(key, []).append(value)
        else:
            ranges.setdefault(key, {})[_OPERATOR_OF[operator]] = value
    checked = check_where({**equal, **ranges})
    for key in set(equal) & set(ranges):
        checked[key] = Condition(key, any_of=check_where({key: equal[key]})[key].any_of, bounds=checked[key].bounds)
    return checked


def filter_keys(snapshot: Snapshot) -> list[str]:
    """Every key a filter may name on ``snapshot``: the document fields and each metadata key a document has."""
    return sorted(_table(snapshot).keys)


def _value_of(doc: Document, key: str) -> MetaValue | None:
    if key == "doc_id":
        return doc.id
    if key in ("source", "title"):
        return str(getattr(doc, key))
    return doc.meta.get(key)


@dataclass(frozen=True)
class _Column:
    """One key's value for every document, in index order; as a numpy array where all are strings or numbers."""

    values: list[MetaValue | None]
    present: np.ndarray
    texts: np.ndarray | None
    numbers: np.ndarray | None

    @classmethod
    def of(cls, values: list[MetaValue | None]) -> _Column:
        present = np.fromiter((value is not None for value in values), dtype=bool, count=len(values))
        given = [value for value in values if value is not None]
        texts = numbers = None
        if all(isinstance(value, str) for value in given):
            texts = np.asarray([value if isinstance(value, str) else "" for value in values], dtype=str)
        elif all(isinstance(value, int | float) and not isinstance(value, bool) for value in given):
            numbers = np.asarray([value if value is not None else np.nan for value in values], dtype=np.float64)
        return cls(values, present, texts, numbers)


class _Table:
    """A snapshot's documents as filters see them: ids, each chunk row's document, a column per key."""

    def __init__(self, snapshot: Snapshot) -> None:
        self._documents = list(snapshot.documents.values())
        self.ids = [doc.id for doc in self._documents]
        ordinal = {doc_id: number for number, doc_id in enumerate(self.ids)}
        self.doc_of_row = np.fromiter((ordinal[chunk.doc] for chunk in snapshot.chunks), dtype=np.int64,
                                      count=len(snapshot.chunks))
        self.keys = {key for doc in self._documents for key in doc.meta} | set(DOCUMENT_KEYS)
        self._columns: dict[str, _Column] = {}
        self._lock = threading.Lock()

    def column(self, key: str) -> _Column:
        with self._lock:
            if key not in self._columns:
                self._columns[key] = _Column.of([_value_of(doc, key) for doc in self._documents])
            return self._columns[key]


def kept_documents(snapshot: Snapshot, where: Where | None) -> list[str] | None:
    """The ids of the documents ``where`` keeps, in index order; None when it keeps every document.

    Raises :class:`UnknownFilterKeyError` for a key no document has.
    """
    selection = select(snapshot, where)
    return None if selection is None else selection.documents


def milvus_expression(doc_ids: Sequence[str]) -> str:
    """A Milvus filter expression on a chunks collection that keeps the chunks of ``doc_ids``."""
    return "doc in [" + ", ".join(json.dumps(doc_id, ensure_ascii=False) for doc_id in doc_ids) + "]"


@dataclass(frozen=True)
class Selection:
    """What a filter keeps: the documents' ids (index order) and their chunk rows (ascending)."""

    documents: list[str]
    rows: np.ndarray


def select(snapshot: Snapshot, where: Where | None) -> Selection | None:
    """The documents and chunk rows ``where`` keeps; None when it keeps everything.

    Raises :class:`UnknownFilterKeyError` for a key no document has.
    """
    checked = check_where(where)
    if not checked:
        return None
    table = _table(snapshot)
    for key in checked:
        if key not in table.keys:
            raise UnknownFilterKeyError(key, sorted(table.keys))
    keep = np.ones(len(table.ids), dtype=bool)
    for condition in checked.values():
        keep &= condition.mask(table.column(condition.key))
    return Selection([table.ids[i] for i in np.flatnonzero(keep)], np.flatnonzero(keep[table.doc_of_row]))


def allowed_rows(snapshot: Snapshot, where: Where | None) -> np.ndarray | None:
    """The chunk rows of the documents ``where`` keeps, ascending; None when it keeps every row."""
    selection = select(snapshot, where)
    return None if selection is None else selection.rows


def restrict(
    dense: Sequence[Searchable], lexical: LexicalIndex, rows: np.ndarray, documents: Sequence[str] | None = None,
) -> tuple[list[Searchable], LexicalIndex]:
    """The signals narrowed to ``rows`` (ascending), renumbered ``0..len(rows)-1``; map back with ``rows[i]``.

    ``documents``, the ids of the kept documents (whose chunks ``rows`` are), let a signal in
    Milvus filter by its own expression.
    """
    # Written only for a signal that filters by itself: 500 ids take milliseconds to write.
    filtering = documents is not None and any(hasattr(index, "filtered_search") for index in dense)
    expression = milvus_expression(documents) if filtering and documents is not None else ""
    return [VectorSubset(index, rows, expression) for index in dense], LexicalSubset(lexical, rows)


# The filter table of each snapshot, built once (an open Index keeps one snapshot until an
# ingest writes a new version). Keyed by identity: a Snapshot is not hashable.
_TABLES: dict[int, tuple[weakref.ref[Snapshot], _Table]] = {}
_TABLES_LOCK = threading.Lock()


def _table(snapshot: Snapshot) -> _Table:
    """The snapshot's :class:`_Table`."""
    with _TABLES_LOCK:
        cached = _TABLES.get(id(snapshot))
        if cached is not None and cached[0]() is snapshot:
            return cached[1]
    table = _Table(snapshot)
    with _TABLES_LOCK:
        for key in [key for key, (ref, _) in _TABLES.items() if ref() is None]:
            del _TABLES[key]
        _TABLES[id(snapshot)] = (weakref.ref(snapshot), table)
    return table
