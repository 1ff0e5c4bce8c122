"""Building and updating an index from files, in named stages.

    plan changes → load → chunk (sentences split once) → embed → index words → write

Incremental: a document whose text hash is unchanged keeps its chunks and vectors
from the previous version (nothing is embedded again); a changed one is replaced; a
removed one is dropped. Every run writes a complete new version and switches to it
atomically (see :mod:`fundstelle.store`), under the index's write lock.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .backends import ArrayIndex, Bm25Index, FaissIndex, VectorIndex
from .chunk import DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE, check_chunking, chunk_documents
from .embed import DEFAULT_MODEL, Embedder, load_models, split_model_spec
from .errors import BadInputError, IndexMismatchError, IndexNotFoundError, LoadError, NothingToIndexError
from .lexical import analyze
from .load import SUPPORTED_SUFFIXES, Paths, as_paths, discover_files, document_id, load_document
from .manifest import STORES, DocumentEntry, Manifest, Member, Store
from .results import Document, IngestReport, Progress, Skipped
from .snapshot import ChunkRecord, Snapshot
from .store import ingest_lock, live_manifest, read_snapshot, write_snapshot

# BuildSettings, index_words and new_manifest are the build's own pieces, public for benchmarks
# that write an index of synthetic vectors without embedding anything.
__all__ = ["BuildSettings", "index_words", "ingest", "new_manifest"]


# Chunks whose texts are embedded per call (bounds the memory of chunk texts in flight).
_EMBED_SLICE = 4096


@dataclass(frozen=True)
class BuildSettings:
    """What the new version is built with: the old version's settings, or those asked for."""

    model: str
    chunk_size: int
    chunk_overlap: int
    prompts: dict[str, str]
    store: Store


@dataclass
class _Plan:
    """The documents of the new version, and those among them that need chunking and embedding."""

    documents: dict[str, Document]
    changed: list[Document] = field(default_factory=list)
    loaded: int = 0  # documents read from the files given


def ingest(
    paths: Paths = (),
    folder: str | os.PathLike[str] = "index",
    model: str | None = None,
    rebuild: bool = False,
    remove: Paths = (),
    chunk_size: int | None = None,
    chunk_overlap: int | None = None,
    query_prompt: str = "",
    passage_prompt: str = "",
    progress: Progress | None = None,
    documents: Iterable[Document] = (),
    follow_links: bool = False,
    store: str | None = None,
    milvus_uri: str | None = None,
    ray: str | None = None,
    ray_workers: int | None = None,
) -> IngestReport:
    """Add or update the files under ``paths`` in the index in ``folder``; drop ``remove``.

    ``documents`` are added or updated too: texts already in memory (see
    :func:`fundstelle.load.text_document`).

    ``store`` is where a new index keeps its vectors: ``faiss`` (files in the folder, the
    default) or ``milvus`` (:mod:`fundstelle.milvus`; Milvus Lite in the folder, or the
    server at ``milvus_uri``, which implies ``milvus``). ``ray`` chunks and embeds on a
    Ray cluster (:mod:`fundstelle.distributed`): ``"local"`` starts one on this machine
    (``ray_workers`` workers, default one per core), ``"auto"`` or an address joins one;
    the index is the same as without.

    ``model`` defaults to the model the index was built with (a new index:
    ``e5-small-int4+use-m3``); asking for another is an :class:`IndexMismatchError` unless
    ``rebuild`` is set, which starts the index over (keeping the model and chunking
    not asked to change). Chunk and store settings likewise. A single path may be given as a
    string; an empty one is a :class:`ValueError`. Symlinks that lead outside the
    given folders are skipped unless ``follow_links``. Unreadable files are reported
    in ``report.skipped`` and the rest go on; when ``paths`` hold not one readable
    document, :class:`NothingToIndexError` says so and nothing is written (an index
    folder this call created is removed again, as after any failure).
    """
    started = time.perf_counter()
    paths, remove = as_paths(paths), as_paths(remove, "path to remove")
    root = Path(folder)
    report = IngestReport()
    store, milvus_uri = _store_asked(store, milvus_uri)  # refused before the folder is touched
    with ingest_lock(root):
        old = None if rebuild else _live_version(root)
        settings = _settings(old, root, model, chunk_size, chunk_overlap, query_prompt, passage_prompt, rebuild,
                             store, milvus_uri)
        embedders = _load_models(settings, old, root)
        plan = _plan(old, paths, remove, documents, report, progress, follow_links)
        if paths and not plan.loaded:
            raise _nothing_to_index(paths, report.skipped)
        if old is not None and not plan.changed and not report.removed and plan.documents == old.documents:
            # Nothing changed: keep the live version instead of writing a copy.
            report.version, report.documents, report.chunks = old.version, len(plan.documents), len(old.chunks)
        else:
            snapshot, report.chunks_embedded = _build(old, plan, settings, embedders, progress, ray, ray_workers)
            report.version = write_snapshot(root, snapshot)
            report.documents, report.chunks = len(plan.documents), len(snapshot.chunks)
    report.seconds = time.perf_counter() - started
    return report


def _live_version(root: Path) -> Snapshot | None:
    """The index's live version, or None when there is none yet."""
    try:
        return read_snapshot(root)
    except IndexNotFoundError:
        return None


def _store_asked(store: str | None, milvus_uri: str | None) -> tuple[str | None, str | None]:
    """The store and Milvus URI asked for, checked; a Milvus Lite path made absolute (see :func:`~.milvus.store_uri`).

    Raises BadInputError (a ValueError) naming what is accepted.
    """
    if milvus_uri and store is None:
        store = "milvus"
    if store is not None and store not in STORES:
        raise BadInputError(f"unknown store {store!r}; choose one of {', '.join(STORES)}")
    if milvus_uri and store != "milvus":
        raise BadInputError("a Milvus URI needs store='milvus'; leave out store or set it to 'milvus'")
    if milvus_uri:
        from .milvus import store_uri

        milvus_uri = store_uri(milvus_uri)
    return store, milvus_uri


def _settings(old: Snapshot | None, root: Path, model: str | None, chunk_size: int | None,
              chunk_overlap: int | None, query_prompt: str, passage_prompt: str, rebuild: bool,
              store: str | None, milvus_uri: str | None) -> BuildSettings:
    """The settings of the new version.

    Updating: the old version's, checked against what is asked. Rebuilding: what is
    asked, and the live version's model (with its prompts), chunking and Milvus store where
    nothing else is asked. A new index: what is asked, or the defaults.
    """
    if old is not None:
        old.manifest.check_compatible(str(root), model, chunk_size, chunk_overlap, store=store,
                                      milvus_uri=milvus_uri or None)
        return BuildSettings(old.manifest.model, old.manifest.chunk_size, old.manifest.chunk_overlap,
                             old.manifest.settings, old.manifest.store)
    prompts = {"query_prompt": query_prompt, "passage_prompt": passage_prompt}
    live = live_manifest(root) if rebuild else None
    if live is not None:  # --rebuild keeps what it is not asked to change
        if model is None or split_model_spec(model) == split_model_spec(live.model):
            prompts = prompts if any(prompts.values()) else (live.settings or prompts)
            model = live.model
        chunk_size = chunk_size or live.chunk_size
        chunk_overlap = live.chunk_overlap if chunk_overlap is None else chunk_overlap
        if store is None and live.store.kind == "milvus":  # the same Milvus store ("" is Lite in the version)
            store, milvus_uri = "milvus", live.store.uri or None
    size = chunk_size or DEFAULT_CHUNK_SIZE
    overlap = DEFAULT_CHUNK_OVERLAP if chunk_overlap is None else chunk_overlap
    check_chunking(size, overlap)  # before anything is written, also for an index begun without documents
    if store == "milvus":
        from .milvus import new_store

        where = new_store(milvus_uri)
    else:
        where = Store()
    return BuildSettings(model or DEFAULT_MODEL, size, overlap, prompts, where)


def _load_models(settings: BuildSettings, old: Snapshot | None, root: Path) -> list[Embedder]:
    """The embedders of the new version; an index whose model cannot load here is a mismatch."""
    try:
        embedders = load_models(settings.model, settings.prompts)
    except ValueError as error:
        if old is None:
            raise
        raise IndexMismatchError(
            f"index {root}/ was built with model {settings.model!r}, which cannot be loaded here ({error})",
            str(root), "model", settings.model,
        ) from None
    if old is not None:
        old.manifest.check_compatible(str(root), embedders=embedders)
    return embedders


def _matches_removal(document: Document, target: str) -> bool:
    """Does ``--remove target`` name this document (by path, folder, source or id)?"""
    if document.id == target or document.source == target or document.id == document_id(target):
        return True
    folder = os.path.abspath(target).rstrip(os.sep) + os.sep
    return os.path.abspath(document.source).startswith(folder)


def _plan(old: Snapshot | None, paths: list[str | os.PathLike[str]], remove: list[str | os.PathLike[str]],
          given: Iterable[Document],
          report: IngestReport, progress: Progress | None, follow_links: bool) -> _Plan:
    """Drop the documents ``remove`` names, load the files under ``paths``, add ``given``; note what changed."""
    plan = _Plan(dict(old.documents) if old else {})
    for target in remove:
        hits = [d.id for d in plan.documents.values() if _matches_removal(d, os.fspath(target))]
        if not hits:
            report.skipped.append(Skipped(os.fspath(target), "not in the index; nothing removed"))
        for doc_id in hits:
            report.removed.append(plan.documents.pop(doc_id).source)

    files, skipped = discover_files(paths, follow_links)
    report.skipped.extend(skipped)
    for done, path in enumerate(files, start=1):
        try:
            doc = load_document(path)
        except LoadError as error:
            report.skipped.append(Skipped(str(path), str(error)))
            continue
        finally:
            if progress:
                progress("load", done, len(files))
        plan.loaded += 1
        _take(plan, report, doc)
    for doc in given:
        _take(plan, report, doc)
    return plan


# Skipped inputs named in the one line that says there was nothing to index.
_SKIPPED_NAMED = 10


def _nothing_to_index(paths: list[str | os.PathLike[str]], skipped: list[Skipped]) -> NothingToIndexError:
    """The error for files and folders that held not one readable document, naming what was skipped and why."""
    given = ", ".join(os.fspath(path) for path in paths)
    if not skipped:
        hold = "hold" if len(paths) > 1 else "holds"
        return NothingToIndexError(f"nothing to index: {given} {hold} no {', '.join(SUPPORTED_SUFFIXES)} file")
    named = "; ".join(f"{s.source}: {s.reason}" for s in skipped[:_SKIPPED_NAMED])
    more = f"; and {len(skipped) - _SKIPPED_NAMED} more" if len(skipped) > _SKIPPED_NAMED else ""
    return NothingToIndexError(f"nothing to index: no readable document in {given} (skipped {named}{more})", skipped)


def _take(plan: _Plan, report: IngestReport, doc: Document) -> None:
    """Put ``doc`` into the plan: added, updated, or unchanged (same text hash)."""
    previous = plan.documents.get(doc.id)
    # Stored even when unchanged: the title may differ without a text change.
    plan.documents[doc.id] = doc
    if previous is not None and previous.hash == doc.hash:
        report.unchanged.append(doc.source)
        return
    (report.updated if previous is not None else report.added).append(doc.source)
    plan.changed.append(doc)


def _build(old: Snapshot | None, plan: _Plan, settings: BuildSettings, embedders: list[Embedder],
           progress: Progress | None, ray: str | None = None, ray_workers: int | None = None) -> tuple[Snapshot, int]:
    """The new version and how many chunks were embedded for it.

    Rows of unchanged documents are carried over with their vectors; changed documents
    are chunked and embedded (here, or on the Ray cluster ``ray``); all chunks' words
    are indexed.
    """
    changed = {doc.id for doc in plan.changed}
    kept_rows = np.asarray([] if old is None else [
        row for row, chunk in enumerate(old.chunks) if chunk.doc in plan.documents and chunk.doc not in changed
    ], dtype=np.int64)
    chunks, kept_sentences = _carry_over(old, kept_rows)
    computed = None
    if ray is not None and plan.changed:
        from .distributed import chunk_and_embed

        computed = chunk_and_embed(plan.changed, settings.model, settings.prompts, [e.dim for e in embedders],
                                   settings.chunk_size, settings.chunk_overlap, len(kept_sentences), ray, ray_workers,
                                   progress)
        new_chunks, new_sentences = computed.chunks, computed.sentences
    else:
        new_chunks, new_sentences = chunk_documents(plan.changed, settings.chunk_size, settings.chunk_overlap,
                                                    len(kept_sentences), progress)
    chunks.extend(new_chunks)
    documents = plan.documents

    def chunk_texts(start: int, stop: int) -> list[str]:
        return [documents[c.doc].text[c.start:c.end] for c in new_chunks[start:stop]]

    def sentence_texts(start: int, stop: int) -> list[str]:
        return [documents[doc].text[a:b] for doc, a, b in new_sentences[start:stop]]

    def empty(dim: int, rows: int) -> VectorIndex:
        # Vectors bound for Milvus are only held until written: no FAISS graph for them.
        return FaissIndex.empty(dim, rows) if settings.store.kind == "faiss" else ArrayIndex(dim)

    dense: list[VectorIndex] = []
    for member, embedder in enumerate(embedders):
        vectors = empty(embedder.dim, len(chunks))
        if old is not None:
            vectors.add(old.dense[member].vectors(kept_rows))
        if computed is not None:
            vectors.add(computed.vectors[member])
        else:
            _embed(embedder, chunk_texts, len(new_chunks), vectors, "embed", member, len(embedders), progress)
        dense.append(vectors)
    # The first model also embeds every sentence once: chunks are scored by their best
    # sentence too, and the highlighter weighs sentences by their similarity.
    sentence_vectors = empty(embedders[0].dim, len(kept_sentences) + len(new_sentences))
    if old is not None:
        sentence_vectors.add(old.sentence_vectors.vectors(kept_sentences))
    if computed is not None:
        sentence_vectors.add(computed.sentence_vectors)
    else:
        _embed(embedders[0], sentence_texts, len(new_sentences), sentence_vectors, "sentences", 0, 1, progress)

    lexical = index_words(chunks, documents, progress)
    manifest = new_manifest(settings, embedders, dense, documents, chunks, len(sentence_vectors))
    snapshot = Snapshot(manifest.stamped(old.manifest.created if old else ""), documents, chunks, dense, lexical,
                        sentence_vectors, version=old.version if old else "")
    return snapshot, len(new_chunks)


def index_words(chunks: list[ChunkRecord], documents: dict[str, Document],
                progress: Progress | None = None) -> Bm25Index:
    """BM25 over the chunks' stems; the stop words seen tell later which language the corpus speaks."""
    chunk_stems: list[list[str]] = []
    stopwords_seen: set[str] = set()
    for row, c in enumerate(chunks, start=1):
        tokens = analyze(documents[c.doc].text[c.start:c.end], keep_stopwords=True)
        chunk_stems.append([t.stem for t in tokens if not t.stop])
        stopwords_seen.update(t.stem for t in tokens if t.stop)
        if progress and (row % 2000 == 0 or row == len(chunks)):
            progress("index", row, len(chunks))
    return Bm25Index.build(chunk_stems, stopwords_seen)


def new_manifest(settings: BuildSettings, embedders: list[Embedder], dense: list[VectorIndex],
              documents: dict[str, Document], chunks: list[ChunkRecord], sentence_count: int) -> Manifest:
    """The new version's manifest (timestamps are set by :meth:`Manifest.stamped`)."""
    counts: dict[str, int] = {}
    for chunk in chunks:
        counts[chunk.doc] = counts.get(chunk.doc, 0) + 1
    return Manifest(
        model="+".join(e.spec for e in embedders),
        members=tuple(Member(e.spec, e.dim, e.settings(), f"dense-{i}.faiss", index.kind)
                      for i, (e, index) in enumerate(zip(embedders, dense))),
        chunk_size=settings.chunk_size,
        chunk_overlap=settings.chunk_overlap,
        documents=tuple(DocumentEntry(d.id, d.source, d.title, d.hash, counts.get(d.id, 0))
                        for d in documents.values()),
        chunks=len(chunks),
        sentence_count=sentence_count,
        created="",
        updated="",
        store=settings.store,
    )


def _carry_over(old: Snapshot | None, kept_rows: np.ndarray) -> tuple[list[ChunkRecord], np.ndarray]:
    """The kept chunks, their sentence rows renumbered, and the old sentence rows they keep."""
    if old is None or not len(kept_rows):
        return [], np.zeros(0, dtype=np.int64)
    kept = [old.chunks[row] for row in kept_rows.tolist()]
    kept_sentences = np.unique(np.fromiter((r for c in kept for r in c.sentence_rows), dtype=np.int64))
    renumber = {int(old_row): new_row for new_row, old_row in enumerate(kept_sentences)}
    chunks = [
        ChunkRecord(c.doc, c.start, c.end, c.sentences, tuple(renumber[r] for r in c.sentence_rows)) for c in kept
    ]
    return chunks, kept_sentences


def _embed(
    embedder: Embedder, texts: Callable[[int, int], list[str]], count: int, into: VectorIndex, stage: str,
    member: int, members: int, progress: Progress | None,
) -> None:
    """Embed ``count`` passages, fetched by ``texts(start, stop)`` one slice at a time, into ``into``.

    Slicing keeps memory bounded: passage texts are cut from their documents only
    while their slice is embedded, and each slice's vectors go straight into the
    FAISS index (no second copy of all vectors). ``progress(stage, done, count)``
    counts passages, as the ingest's report does: with several members each passage
    is one unit of the bar, shared among them.
    """
    done = [member * count]

    def step(n: int) -> None:
        done[0] += n
        if progress:
            progress(stage, done[0] // members, count)

    for at in range(0, count, _EMBED_SLICE):
        batch = texts(at, min(at + _EMBED_SLICE, count))
        into.add(embedder.embed_passages(batch, progress=step))
