"""The :class:`Index`: open an index folder, ask it questions, keep it up to date."""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass
from pathlib import Path

from . import query
from .answer import Candidate, Reply
from .embed import split_model_spec
from .errors import IndexMismatchError
from .ingest import IngestReport, Progress, get_embedders, ingest
from .load import Paths, as_paths
from .query import ANSWER_PASSAGES, MAX_QUESTION_CHARS, clean_question
from .ranking import Hit
from .store import DocumentRecord, Snapshot, current_version, read_snapshot

__all__ = ["ANSWER_PASSAGES", "MAX_QUESTION_CHARS", "DocumentInfo", "Index", "IndexInfo", "ask", "search"]


@dataclass(frozen=True)
class DocumentInfo:
    """A document in the index: id, source path, title, chunk count, text size."""

    id: str
    source: str
    title: str
    chunks: int
    characters: int


@dataclass(frozen=True)
class IndexInfo:
    """Facts about an index: where, how big, which model, when last updated."""

    path: str
    documents: int
    chunks: int
    model: str
    chunk_size: int
    chunk_overlap: int
    updated: str
    version: str


class Index:
    """A searchable index folder.

    >>> index = Index.open("index")                      # doctest: +SKIP
    >>> hits = index.search("Wie viel hat Amazon investiert?", k=3)  # doctest: +SKIP

    An ``Index`` may be shared by many threads. It notices when an ingest has
    written a new version and switches to it before the next search.
    """

    def __init__(self, path: str | os.PathLike[str], snapshot: Snapshot) -> None:
        self.path = Path(path)
        self._snapshot = snapshot
        try:
            self._embedders = get_embedders(snapshot.manifest["model"],
                                            snapshot.manifest["embedders"][0].get("settings"))
        except ValueError as error:  # a model this installation does not know or cannot load
            raise IndexMismatchError(
                f"index {path}/ was built with model {snapshot.manifest['model']!r}, which cannot be "
                f"loaded here ({error}); rebuild it with --rebuild [--model ID]"
            ) from None
        self._check_dimensions(snapshot)
        self._reload_lock = threading.Lock()

    @classmethod
    def open(cls, path: str | os.PathLike[str] = "index", model: str | None = None) -> Index:
        """Open the index at ``path``.

        ``model``, if given, must be the model the index was built with; otherwise
        :class:`IndexMismatchError` says which it was built with and how to rebuild.
        """
        snapshot = read_snapshot(path)
        built_with = snapshot.manifest["model"]
        if model is not None and split_model_spec(model) != split_model_spec(built_with):
            raise IndexMismatchError(
                f"index {path}/ was built with model {built_with!r}, not {model!r}; open it "
                f"without a model, or rebuild it: python ingest.py [FILES ...] --index {path} "
                f"--model {model} --rebuild"
            )
        return cls(path, snapshot)

    @classmethod
    def build(
        cls,
        paths: Paths,
        path: str | os.PathLike[str] = "index",
        model: str | None = None,
        rebuild: bool = False,
        chunk_size: int | None = None,
        chunk_overlap: int | None = None,
        progress: Progress | None = None,
    ) -> Index:
        """Ingest ``paths`` into the index at ``path`` (created if missing) and open it.

        See :func:`fundstelle.ingest.ingest` for the options and incremental behaviour.
        Raises FileNotFoundError, before anything is written, when a path does not exist
        (a typo would otherwise build an index without the documents meant).
        """
        paths = as_paths(paths)
        missing = [os.fspath(p) for p in paths if not os.path.exists(p)]
        if missing:
            raise FileNotFoundError(f"no such file or folder: {', '.join(missing)}")
        ingest(paths, path, model=model, rebuild=rebuild, chunk_size=chunk_size,
               chunk_overlap=chunk_overlap, progress=progress)
        return cls.open(path)

    def __repr__(self) -> str:
        info = self.info
        return (f"Index({os.fspath(self.path)!r}, documents={info.documents}, chunks={info.chunks}, "
                f"model={info.model!r})")

    def _check_dimensions(self, snapshot: Snapshot) -> None:
        for embedder, member in zip(self._embedders, snapshot.manifest["embedders"]):
            if embedder.dim != member["dim"]:
                raise IndexMismatchError(
                    f"model {member['spec']!r} now gives {embedder.dim}-dimensional vectors but the "
                    f"index at {self.path}/ holds {member['dim']}-dimensional ones (the model changed); "
                    "rebuild it with --rebuild"
                )

    def refresh(self) -> bool:
        """Switch to the newest version on disk if an ingest wrote one; True if it did."""
        live = current_version(self.path)
        if live is None or live == self._snapshot.version:
            return False
        with self._reload_lock:
            if current_version(self.path) != self._snapshot.version:
                snapshot = read_snapshot(self.path)
                if snapshot.manifest["model"] != self._snapshot.manifest["model"]:
                    self._embedders = get_embedders(snapshot.manifest["model"],
                                                    snapshot.manifest["embedders"][0].get("settings"))
                self._check_dimensions(snapshot)
                self._snapshot = snapshot
        return True

    def add(self, paths: Paths, progress: Progress | None = None) -> IngestReport:
        """Add or update files in this index, then switch to the new version."""
        report = ingest(paths, self.path, progress=progress)
        self.refresh()
        return report

    def remove(self, sources: Paths) -> IngestReport:
        """Drop documents (by source path, folder or id), then switch to the new version."""
        report = ingest((), self.path, remove=sources)
        self.refresh()
        return report

    @property
    def info(self) -> IndexInfo:
        """Facts about the index: size, model, chunking, last update."""
        manifest = self._snapshot.manifest
        return IndexInfo(
            path=str(self.path),
            documents=manifest["counts"]["documents"],
            chunks=manifest["counts"]["chunks"],
            model=manifest["model"],
            chunk_size=manifest["chunking"]["chunk_size"],
            chunk_overlap=manifest["chunking"]["chunk_overlap"],
            updated=manifest["updated"],
            version=self._snapshot.version,
        )

    def documents(self) -> list[DocumentInfo]:
        """The indexed documents, in the order they were added."""
        counts = {d["id"]: d["chunks"] for d in self._snapshot.manifest["documents"]}
        return [
            DocumentInfo(d.id, d.source, d.title, counts.get(d.id, 0), len(d.text))
            for d in self._snapshot.documents.values()
        ]

    def document(self, doc_id: str) -> DocumentRecord:
        """The stored document with id ``doc_id`` (full text included)."""
        try:
            return self._snapshot.documents[doc_id]
        except KeyError:
            raise KeyError(f"no document with id {doc_id!r} in {self.path}/") from None

    def search(self, question: str, k: int = 5, mode: str = "hybrid") -> list[Hit]:
        """Return the ``k`` passages that best answer ``question``, best first.

        ``mode``: ``hybrid`` (default: dense and BM25 fused), ``dense`` (meaning only)
        or ``lexical`` (BM25 with German stemming only). Each hit carries the answer
        span and the question's words found in it.
        """
        return query.highlighted_hits(self._retrieve(question, k, mode))

    def ask(self, question: str, k: int = 5, mode: str = "hybrid") -> Reply:
        """Answer ``question``: the best answer sentence (or None) and the ``k`` passages around it.

        The answer is chosen among all sentences of the top passages by the fitted
        answer model (:mod:`fundstelle.answer`); ``reply.answer`` is None when its
        confidence is below the model's threshold: the documents hold no answer it
        trusts. ``reply.hits`` are ordered by their best answer sentence, and no two
        show the same one. ``mode`` chooses the retrieval, as in :meth:`search`.
        """
        return query.reply(self._retrieve(question, max(k, ANSWER_PASSAGES), mode), k)

    def answer_candidates(self, question: str, mode: str = "hybrid",
                          passages: int = ANSWER_PASSAGES) -> list[Candidate]:
        """The sentences :meth:`ask` chooses its answer among (those of the top ``passages``), with their features.

        For fitting and inspecting the answer model (``benchmarks/answers.py``).
        """
        return query.candidates(self._retrieve(question, passages, mode))

    def _retrieve(self, question: str, k: int, mode: str) -> query.Retrieval:
        """Retrieve on the newest version, with one consistent snapshot and models throughout."""
        self.refresh()
        return query.retrieve(self._snapshot, self._embedders, question, k, mode)


_OPEN_INDEXES: dict[str, Index] = {}
_OPEN_LOCK = threading.Lock()


def search(question: str, index: str | os.PathLike[str] = "index", k: int = 5, mode: str = "hybrid") -> list[Hit]:
    """Search the index folder ``index`` for ``question``; the index stays open for next time.

    >>> from fundstelle import search                   # doctest: +SKIP
    >>> search("Wer hat Anthropic gegründet?")[0].answer.text  # doctest: +SKIP
    """
    return _open(index).search(question, k=k, mode=mode)


def _open(index: str | os.PathLike[str]) -> Index:
    """The open :class:`Index` for a folder, opened on first use."""
    key = os.path.abspath(os.fspath(index))
    with _OPEN_LOCK:
        if key not in _OPEN_INDEXES:
            _OPEN_INDEXES[key] = Index.open(index)
        return _OPEN_INDEXES[key]


def ask(question: str, index: str | os.PathLike[str] = "index", k: int = 5, mode: str = "hybrid") -> Reply:
    """Answer ``question`` from the index folder ``index`` (see :meth:`Index.ask`); the index stays open.

    >>> from fundstelle import ask                      # doctest: +SKIP
    >>> ask("Wie viel hat Amazon in Anthropic investiert?").answer.phrase.text  # doctest: +SKIP
    """
    return _open(index).ask(question, k=k, mode=mode)


__all__ += ["clean_question"]
