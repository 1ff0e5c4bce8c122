"""The :class:`Index`: open an index folder, ask it questions, keep it up to date."""

from __future__ import annotations

import os
import threading
import warnings
from collections.abc import Hashable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import answering, query
from .answer import Candidate
from .answering import ANSWER_PASSAGES
from .cache import ResultCache
from .embed import Embedder, load_models
from .errors import BadInputError, BadTypeError, IndexMismatchError, InputNotFoundError, OlderIndexWarning
from .filters import Condition, Where
from .query import MAX_QUESTION_CHARS, clean_question
from .question import Question
from .ranking import DEFAULT_FUSION, Fusion
from .results import Document, DocumentInfo, Hit, IndexInfo, IngestReport, MetaValue, Mode, Progress, Reply
from .snapshot import Snapshot
from .store import current_version, index_folder, read_snapshot

if TYPE_CHECKING:  # the write path is imported when an ingest runs, not to search
    from .load import Paths

__all__ = ["ANSWER_PASSAGES", "MAX_QUESTION_CHARS", "Index", "ask", "ask_many", "clean_question", "search",
           "search_many"]


class Index:
    """A searchable index folder.

    >>> index = Index.open("index")                      # doctest: +SKIP
    >>> hits = index.search("Wie viel hat Amazon investiert?", k=3)  # doctest: +SKIP

    An ``Index`` may be shared by many threads. It notices when an ingest has
    written a new version and switches to it before the next search. ``fusion``
    holds how hybrid search weighs its signals (the measured defaults).

    The last ``result_cache_size`` results of :meth:`search` and :meth:`ask` are
    kept: a repeated question (an example button, Enter pressed twice) is answered
    from them until a new version or another ``fusion`` is searched. Set it to 0
    (on the class or on one index) to compute every result, as timing benchmarks do.
    """

    result_cache_size: int = 128

    def __init__(self, folder: str | os.PathLike[str], snapshot: Snapshot, fusion: Fusion = DEFAULT_FUSION) -> None:
        self.folder = Path(folder)
        self.fusion = fusion
        self._snapshot = snapshot
        self._embedders = self._models_for(snapshot)
        self._reload_lock = threading.Lock()
        self._results = ResultCache(self.result_cache_size)

    @classmethod
    def open(cls, folder: str | os.PathLike[str] = "index", model: str | None = None,
             fusion: Fusion = DEFAULT_FUSION) -> Index:
        """Open the index in ``folder``.

        ``model``, if given, must be the model the index was built with; otherwise
        :class:`IndexMismatchError` says which it was built with. An index written by an
        older Fundstelle is opened with an :class:`OlderIndexWarning` saying what it lacks.
        """
        snapshot = read_snapshot(folder)
        snapshot.manifest.check_compatible(os.fspath(folder), model)
        note = snapshot.manifest.upgrade_note(os.fspath(folder))
        if note:
            warnings.warn(note, OlderIndexWarning, stacklevel=2)
        return cls(folder, snapshot, fusion)

    @classmethod
    def build(
        cls,
        paths: Paths,
        folder: str | os.PathLike[str] = "index",
        model: str | None = None,
        rebuild: bool = False,
        chunk_size: int | None = None,
        chunk_overlap: int | None = None,
        progress: Progress | None = None,
        store: str | None = None,
        milvus_uri: str | None = None,
    ) -> Index:
        """Ingest ``paths`` into the index in ``folder`` (created if missing) and open it.

        See :func:`fundstelle.ingest` for the options (``store="milvus"``, ``milvus_uri``:
        where the vectors live) and incremental behaviour.
        Raises :class:`InputNotFoundError` (a FileNotFoundError), before anything is written, when a path does not exist
        (a typo would otherwise build an index without the documents meant).
        """
        from .ingestion import ingest
        from .load import as_paths

        paths = as_paths(paths)
        missing = [os.fspath(p) for p in paths if not os.path.exists(p)]
        if missing:
            raise InputNotFoundError(f"no such file or folder: {', '.join(missing)}; check the path")
        ingest(paths, folder, model=model, rebuild=rebuild, chunk_size=chunk_size,
               chunk_overlap=chunk_overlap, progress=progress, store=store, milvus_uri=milvus_uri)
        return cls.open(folder)

    def replace(self, *, fusion: Fusion | None = None, snapshot: Snapshot | None = None) -> Index:
        """A new ``Index`` on the same folder, with another ``fusion`` or ``snapshot`` (default: this one's).

        For trying settings on the same data without reading it again: other fusion weights
        (``benchmarks/fusion.py``), or the live version with some vectors swapped, e.g.
        ``dataclasses.replace(index.snapshot, dense=...)`` (``benchmarks/chunk_vectors.py``).
        The models are shared; the result cache is the new index's own, of this one's size.
        Like any ``Index`` it moves to a newer version when an ingest writes one, so a
        snapshot of an older version is left at the next search. This index is unchanged.
        """
        replaced = type(self)(self.folder, self._snapshot if snapshot is None else snapshot,
                              self.fusion if fusion is None else fusion)
        replaced.result_cache_size = self.result_cache_size
        return replaced

    def __repr__(self) -> str:
        info = self.info
        return (f"Index({os.fspath(self.folder)!r}, documents={info.documents}, chunks={info.chunks}, "
                f"model={info.model!r})")

    def _models_for(self, snapshot: Snapshot) -> list[Embedder]:
        """The loaded models of ``snapshot``, checked against the vectors it holds."""
        manifest = snapshot.manifest
        try:
            embedders = load_models(manifest.model, manifest.settings)
        except ValueError as error:  # a model this installation does not know or cannot load
            raise IndexMismatchError(
                f"index {self.folder}/ was built with model {manifest.model!r}, which cannot be loaded here ({error})",
                str(self.folder), "model", manifest.model,
            ) from None
        manifest.check_compatible(str(self.folder), embedders=embedders)
        return embedders

    @property
    def snapshot(self) -> Snapshot:
        """The version searched now (for tools and benchmarks that look inside)."""
        return self._snapshot

    @property
    def embedders(self) -> list[Embedder]:
        """The loaded models of the version searched now."""
        return self._embedders

    def refresh(self) -> bool:
        """Switch to the newest version on disk if an ingest wrote one; True if it did."""
        live = current_version(self.folder)
        if live is None or live == self._snapshot.version:
            return False
        with self._reload_lock:
            if current_version(self.folder) != self._snapshot.version:
                snapshot = read_snapshot(self.folder)
                self._embedders = self._models_for(snapshot)
                self._snapshot = snapshot
        return True

    def add(self, paths: Paths, progress: Progress | None = None) -> IngestReport:
        """Add or update files in this index, then switch to the new version."""
        from .ingestion import ingest

        report = ingest(paths, self.folder, progress=progress)
        self.refresh()
        return report

    def add_texts(self, texts: Sequence[str], ids: Sequence[str] | None = None,
                  metadata: Sequence[Mapping[str, MetaValue]] | None = None, titles: Sequence[str] | None = None,
                  progress: Progress | None = None) -> IngestReport:
        """Add or update texts already in memory, then switch to the new version.

        ``ids`` name the texts (default: a hash of each text); a text given again under
        the same id replaces the old one, and ``index.remove([id])`` drops it. A hit's
        ``source`` is ``text:<id>``. ``metadata`` holds one mapping of extras per text
        (strings, numbers, bools; kept in the document's ``meta`` and filtered by with
        ``where``); ``titles`` one title per text.
        """
        from .ingestion import ingest
        from .load import text_document

        if isinstance(texts, str):
            texts = [texts]
        for name, given in (("ids", ids), ("metadata", metadata), ("titles", titles)):
            if given is not None and len(given) != len(texts):
                raise BadInputError(f"{name} has {len(given)} entries for {len(texts)} texts; give one per text")
        documents = [
            text_document(text, ids[i] if ids else None, titles[i] if titles else "",
                          metadata[i] if metadata else None)
            for i, text in enumerate(texts)
        ]
        if len({d.id for d in documents}) != len(documents):
            raise BadInputError("two texts have the same id; give each text an id of its own")
        report = ingest((), self.folder, documents=documents, progress=progress)
        self.refresh()
        return report

    def remove(self, sources: Paths) -> IngestReport:
        """Drop documents (by source path, folder or id), then switch to the new version."""
        from .ingestion import ingest

        report = ingest((), self.folder, remove=sources)
        self.refresh()
        return report

    @property
    def info(self) -> IndexInfo:
        """Facts about the index: size, model, chunking, last update."""
        manifest = self._snapshot.manifest
        return IndexInfo(
            folder=str(self.folder),
            documents=len(manifest.documents),
            chunks=manifest.chunks,
            model=manifest.model,
            chunk_size=manifest.chunk_size,
            chunk_overlap=manifest.chunk_overlap,
            updated=manifest.updated,
            version=self._snapshot.version,
        )

    def documents(self) -> list[DocumentInfo]:
        """The indexed documents, in the order they were added."""
        counts = {d.id: d.chunks for d in self._snapshot.manifest.documents}
        return [
            DocumentInfo(d.id, d.source, d.title, counts.get(d.id, 0), len(d.text), dict(d.meta))
            for d in self._snapshot.documents.values()
        ]

    def document(self, doc_id: str) -> Document:
        """The stored document with id ``doc_id`` (full text included)."""
        try:
            return self._snapshot.documents[doc_id]
        except KeyError:
            raise KeyError(f"no document with id {doc_id!r} in {self.folder}/") from None

    def search(self, question: str, k: int = 5, mode: Mode = "hybrid", where: Where | None = None,
               highlight: bool = True) -> list[Hit]:
        """Return the ``k`` passages that best answer ``question``, best first.

        ``mode``: ``hybrid`` (default: dense and BM25 fused), ``dense`` (meaning only)
        or ``lexical`` (BM25 with German stemming only). Each hit carries the answer
        span and the question's words found in it; ``highlight=False`` skips that work
        for code that only wants the passages (the answer is then the sentence most
        similar to the question, without phrase, and no terms are marked). ``where``
        searches only some documents, e.g. ``{"source": "berichte/*.pdf"}``,
        ``{"lang": "de"}`` or ``{"date": {"gte": "2025-01-01"}}`` (any stored key, see
        :mod:`fundstelle.filters`); it applies before ranking.
        """
        (asked,), checked = query.check_call([question], k, mode, where)
        key = self._cache_key("search", asked, k, mode, checked, highlight)
        cached = self._cached(key)
        if cached is not None:
            return list(cached)
        found = self._retrieve([asked], k, mode, checked)[0]
        hits = query.highlighted_hits(found) if highlight else query.plain_hits(found)
        self._keep(key, found, hits)
        return list(hits)

    def ask(self, question: str, k: int = 5, mode: Mode = "hybrid", where: Where | None = None) -> Reply:
        """Answer ``question``: the best answer sentence (or None) and the ``k`` passages around it.

        The answer is chosen among all sentences of the top passages by the fitted
        answer model (:mod:`fundstelle.answer`); ``reply.answer`` is None when its
        confidence is below the model's threshold: the documents hold no answer it
        trusts. ``reply.hits`` are ordered by their best answer sentence, and no two
        show the same one. ``mode`` and ``where`` choose the retrieval, as in :meth:`search`.
        """
        (asked,), checked = query.check_call([question], k, mode, where)
        key = self._cache_key("ask", asked, k, mode, checked)
        cached = self._cached(key)
        if cached is not None:
            return cached
        found = self._retrieve([asked], max(k, ANSWER_PASSAGES), mode, checked)[0]
        answer = answering.reply(found, k)
        self._keep(key, found, answer)
        return answer

    def search_many(self, questions: Sequence[str], k: int = 5, mode: Mode = "hybrid",
                    where: Where | None = None) -> list[list[Hit]]:
        """:meth:`search` for each of ``questions``; each model embeds all of them in one call."""
        asked, checked = self._check_many(questions, k, mode, where)
        return [query.highlighted_hits(found) for found in self._retrieve(asked, k, mode, checked)]

    def ask_many(self, questions: Sequence[str], k: int = 5, mode: Mode = "hybrid",
                 where: Where | None = None) -> list[Reply]:
        """:meth:`ask` for each of ``questions``; each model embeds all of them in one call."""
        asked, checked = self._check_many(questions, k, mode, where)
        found = self._retrieve(asked, max(k, ANSWER_PASSAGES), mode, checked)
        return [answering.reply(each, k) for each in found]

    def answer_candidates(self, question: str, mode: Mode = "hybrid",
                          passages: int = ANSWER_PASSAGES) -> list[Candidate]:
        """The sentences :meth:`ask` chooses its answer among (those of the top ``passages``), with their features.

        For fitting and inspecting the answer model (``benchmarks/answers.py``).
        """
        asked, checked = query.check_call([question], passages, mode, None)
        return answering.candidates(self._retrieve(asked, passages, mode, checked)[0])

    @staticmethod
    def _check_many(questions: Sequence[str], k: int, mode: Mode,
                    where: Where | None) -> tuple[list[Question], dict[str, Condition]]:
        """:func:`query.check_call` for the ``*_many`` methods, which take a list, not one string."""
        if isinstance(questions, str):
            raise BadTypeError("questions must be a list of strings; for one question use search() or ask()")
        return query.check_call(list(questions), k, mode, where, stacklevel=4)

    def _cache_key(self, kind: str, question: Question, k: int, mode: Mode, checked: dict[str, Condition],
                   highlight: bool = True) -> Hashable | None:
        """What decides a result besides the index version; None when the call should not be cached.

        A question longer than ``MAX_QUESTION_CHARS`` is left to the normal path, to warn as always.
        """
        if self.result_cache_size <= 0 or len(question.asked) > MAX_QUESTION_CHARS:
            return None
        filters = tuple(sorted(checked.items()))
        return (kind, question.text, k, mode, filters, highlight)

    def _cached(self, key: Hashable | None) -> Any:
        """The result kept for ``key`` on the newest version, or None."""
        if key is None:
            return None
        self.refresh()
        return self._results.get((self._snapshot.version, self.fusion), key)

    def _keep(self, key: Hashable | None, found: query.Retrieval, result: object) -> None:
        """Keep a result computed on the version searched now (not on one an ingest just replaced)."""
        if key is not None and found.snapshot is self._snapshot:
            self._results.size = self.result_cache_size
            self._results.put((found.snapshot.version, self.fusion), key, result)

    def _retrieve(self, questions: list[Question], k: int, mode: Mode,
                  checked: dict[str, Condition]) -> list[query.Retrieval]:
        """Retrieve on the newest version, with one consistent snapshot and models throughout.

        ``questions``, ``k``, ``mode`` and ``checked`` come from :func:`query.check_call`.
        """
        self.refresh()
        snapshot, embedders = self._snapshot, self._embedders
        return query.retrieve_checked(snapshot, embedders, questions, k, mode, self.fusion, checked)


_OPEN_INDEXES: dict[str, Index] = {}
_OPEN_LOCK = threading.Lock()


def search(question: str, folder: str | os.PathLike[str] = "index", k: int = 5, mode: Mode = "hybrid",
           where: Where | None = None) -> list[Hit]:
    """Search the index in ``folder`` for ``question``; the index stays open for next time.

    >>> from fundstelle import search                   # doctest: +SKIP
    >>> search("Wer hat Anthropic gegründet?")[0].answer.text  # doctest: +SKIP
    """
    return _open(folder).search(question, k=k, mode=mode, where=where)


def _open(folder: str | os.PathLike[str]) -> Index:
    """The open :class:`Index` for a folder, opened on first use."""
    key = os.path.abspath(index_folder(folder))
    with _OPEN_LOCK:
        if key not in _OPEN_INDEXES:
            _OPEN_INDEXES[key] = Index.open(folder)
        return _OPEN_INDEXES[key]


def ask(question: str, folder: str | os.PathLike[str] = "index", k: int = 5, mode: Mode = "hybrid",
        where: Where | None = None) -> Reply:
    """Answer ``question`` from the index in ``folder`` (see :meth:`Index.ask`); the index stays open.

    >>> from fundstelle import ask                      # doctest: +SKIP
    >>> ask("Wie viel hat Amazon in Anthropic investiert?").answer.phrase.text  # doctest: +SKIP
    """
    return _open(folder).ask(question, k=k, mode=mode, where=where)


def search_many(questions: Sequence[str], folder: str | os.PathLike[str] = "index", k: int = 5,
                mode: Mode = "hybrid", where: Where | None = None) -> list[list[Hit]]:
    """:func:`search` for several questions, embedded in one call per model (see :meth:`Index.search_many`)."""
    return _open(folder).search_many(questions, k=k, mode=mode, where=where)


def ask_many(questions: Sequence[str], folder: str | os.PathLike[str] = "index", k: int = 5,
             mode: Mode = "hybrid", where: Where | None = None) -> list[Reply]:
    """:func:`ask` for several questions, embedded in one call per model (see :meth:`Index.ask_many`)."""
    return _open(folder).ask_many(questions, k=k, mode=mode, where=where)
