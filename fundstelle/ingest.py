"""Building and updating an index from files: load → chunk → embed → store.

Incremental: a document whose text hash is unchanged keeps its chunks and vectors
from the previous version (nothing is embedded again); a changed one is replaced; a
removed one is dropped. Every run writes a complete new version and switches to it
atomically (see :mod:`fundstelle.store`), under the index's write lock.
"""

from __future__ import annotations

import bisect
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from .backends import Bm25Index, FaissIndex
from .chunk import DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE, chunk_text
from .embed import DEFAULT_MODEL, Embedder, split_model_spec
from .errors import IndexMismatchError, IndexNotFoundError, LoadError
from .lexical import analyze
from .load import Document, Paths, Skipped, as_paths, discover_files, document_id, load_document, text_blocks
from .sentences import embedding_spans, split_sentences
from .store import (
    FORMAT_NAME,
    FORMAT_VERSION,
    ChunkRecord,
    DocumentRecord,
    Snapshot,
    ingest_lock,
    live_manifest,
    read_snapshot,
    write_snapshot,
)

__all__ = ["IngestReport", "Progress", "get_embedders", "ingest"]

# progress(stage, done, total): stage is "load" (files), "chunk" (characters), "embed"
# (chunks, over all models), "sentences" (sentences) or "index" (chunks into BM25);
# called as work advances.
Progress = Callable[[str, int, int], None]


# Chunks whose texts are embedded per call (bounds the memory of chunk texts in flight).
_EMBED_SLICE = 4096


@dataclass
class IngestReport:
    """What an ingest did: documents per outcome, chunks, time, the new version."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    chunks: int = 0
    chunks_embedded: int = 0
    documents: int = 0
    seconds: float = 0.0
    version: str = ""

    @property
    def failed(self) -> bool:
        """True when any file could not be ingested or removed."""
        return bool(self.skipped)

    def summary(self) -> str:
        """One line for people: counts per outcome, chunks and seconds."""
        return (
            f"{len(self.added)} added, {len(self.updated)} updated, {len(self.unchanged)} unchanged, "
            f"{len(self.removed)} removed, {len(self.skipped)} skipped; "
            f"{self.documents} documents, {self.chunks} chunks ({self.chunks_embedded} embedded) "
            f"in {self.seconds:.1f} s"
        )


_EMBEDDER_CACHE: dict[tuple[str, tuple[tuple[str, str], ...]], Embedder] = {}


def get_embedders(model: str, settings: dict[str, str] | None = None) -> list[Embedder]:
    """Return the embedders of a model spec, loading each model once per process."""
    from .embed import load_embedder

    settings = settings or {}
    members = []
    for spec in split_model_spec(model):
        key = (spec, tuple(sorted(settings.items())) if spec.startswith("sentence-transformers:") else ())
        if key not in _EMBEDDER_CACHE:
            _EMBEDDER_CACHE[key] = load_embedder(spec, **dict(key[1]))
        members.append(_EMBEDDER_CACHE[key])
    return members


def _manifest(
    embedders: list[Embedder],
    chunk_size: int,
    chunk_overlap: int,
    documents: dict[str, DocumentRecord],
    chunk_counts: dict[str, int],
    dense: list[FaissIndex],
    sentence_count: int,
    created: str,
) -> dict[str, Any]:
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    return {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "created": created or now,
        "updated": now,
        "model": "+".join(e.spec for e in embedders),
        "embedders": [
            {"spec": e.spec, "dim": e.dim, "settings": e.settings(), "file": f"dense-{i}.faiss",
             "faiss": index.kind}
            for i, (e, index) in enumerate(zip(embedders, dense))
        ],
        "sentences": {"file": "sentences.faiss", "embedder": 0, "count": sentence_count},
        "chunking": {"chunk_size": chunk_size, "chunk_overlap": chunk_overlap, "splitter": "sentences-v1"},
        "lexical": {"folder": "bm25", "analyzer": "german-snowball+stopwords-v1", "method": "bm25s-lucene"},
        "counts": {"documents": len(documents), "chunks": sum(chunk_counts.values())},
        "documents": [
            {"id": d.id, "source": d.source, "title": d.title, "hash": d.hash, "chunks": chunk_counts.get(d.id, 0)}
            for d in documents.values()
        ],
    }


def _check_settings(old: Snapshot, model: str | None, chunk_size: int | None,
                    chunk_overlap: int | None, root: Path) -> None:
    built_with = old.manifest["model"]
    if model is not None and split_model_spec(model) != split_model_spec(built_with):
        raise IndexMismatchError(
            f"index {root}/ was built with model {built_with!r}, not {model!r}; "
            f"rebuild it with --rebuild --model {model} (or leave out --model)"
        )
    chunking = old.manifest["chunking"]
    for name, wanted in (("chunk_size", chunk_size), ("chunk_overlap", chunk_overlap)):
        if wanted is not None and wanted != chunking[name]:
            raise IndexMismatchError(
                f"index {root}/ was built with {name}={chunking[name]}, not {wanted}; "
                f"use --rebuild to re-chunk everything"
            )


def _kept_on_rebuild(
    root: Path, model: str | None, chunk_size: int | None, chunk_overlap: int | None, settings: dict[str, str],
) -> tuple[str | None, int | None, int | None, dict[str, str]]:
    """What ``--rebuild`` keeps of the live version: the model (and its prompts) and chunking not asked to change."""
    manifest = live_manifest(root)
    if manifest is None:  # no index yet, or one too damaged to tell
        return model, chunk_size, chunk_overlap, settings
    if model is None or split_model_spec(model) == split_model_spec(manifest["model"]):
        if not any(settings.values()):
            settings = manifest["embedders"][0].get("settings") or settings
        model = manifest["model"]
    chunking = manifest["chunking"]
    return (model, chunk_size or chunking["chunk_size"],
            chunking["chunk_overlap"] if chunk_overlap is None else chunk_overlap, settings)


def _matches_removal(record: DocumentRecord, target: str) -> bool:
    """Does ``--remove target`` name this document (by path, folder, source or id)?"""
    if record.id == target or record.source == target or record.id == document_id(target):
        return True
    folder = os.path.abspath(target).rstrip(os.sep) + os.sep
    return os.path.abspath(record.source).startswith(folder)


def ingest(
    paths: Paths = (),
    index: str | os.PathLike[str] = "index",
    model: str | None = None,
    rebuild: bool = False,
    remove: Paths = (),
    chunk_size: int | None = None,
    chunk_overlap: int | None = None,
    query_prompt: str = "",
    passage_prompt: str = "",
    progress: Progress | None = None,
    follow_links: bool = False,
) -> IngestReport:
    """Add or update the files under ``paths`` in the index at ``index``; drop ``remove``.

    ``model`` defaults to the model the index was built with (a new index:
    ``e5-small-int4``); asking for another is an :class:`IndexMismatchError` unless
    ``rebuild`` is set, which starts the index over (keeping the model and chunking
    not asked to change). Chunk settings likewise. A single path may be given as a
    string; an empty one is a :class:`ValueError`. Symlinks that lead outside the
    given folders are skipped unless ``follow_links``. Unreadable files are reported
    in ``report.skipped`` and the rest go on.
    """
    started = time.perf_counter()
    paths, remove = as_paths(paths), as_paths(remove, "path to remove")
    root = Path(index)
    report = IngestReport()
    with ingest_lock(root):
        old: Snapshot | None = None
        if not rebuild:
            try:
                old = read_snapshot(root)
            except IndexNotFoundError:
                old = None
        if old is not None:
            _check_settings(old, model, chunk_size, chunk_overlap, root)
            model = old.manifest["model"]
            chunk_size = old.manifest["chunking"]["chunk_size"]
            chunk_overlap = old.manifest["chunking"]["chunk_overlap"]
            settings = old.manifest["embedders"][0].get("settings", {})
        else:
            settings = {"query_prompt": query_prompt, "passage_prompt": passage_prompt}
            if rebuild:
                model, chunk_size, chunk_overlap, settings = _kept_on_rebuild(root, model, chunk_size,
                                                                              chunk_overlap, settings)
        model = model or DEFAULT_MODEL
        chunk_size = chunk_size or DEFAULT_CHUNK_SIZE
        chunk_overlap = DEFAULT_CHUNK_OVERLAP if chunk_overlap is None else chunk_overlap
        try:
            embedders = get_embedders(model, settings)
        except ValueError as error:
            if old is None:
                raise
            raise IndexMismatchError(
                f"index {root}/ was built with model {model!r}, which cannot be loaded here ({error}); "
                "rebuild it with --rebuild [--model ID]"
            ) from None
        for embedder, member in zip(embedders, old.manifest["embedders"] if old else []):
            if embedder.dim != member["dim"]:  # the same model name now gives other vectors
                raise IndexMismatchError(
                    f"model {member['spec']!r} now gives {embedder.dim}-dimensional vectors but the index at "
                    f"{root}/ holds {member['dim']}-dimensional ones; rebuild it with --rebuild"
                )

        documents: dict[str, DocumentRecord] = dict(old.documents) if old else {}
        for target in remove:
            hits = [d.id for d in documents.values() if _matches_removal(d, os.fspath(target))]
            if not hits:
                report.skipped.append(Skipped(os.fspath(target), "not in the index; nothing removed"))
            for doc_id in hits:
                report.removed.append(documents.pop(doc_id).source)

        files, skipped = discover_files(paths, follow_links)
        report.skipped.extend(skipped)
        new_docs: list[Document] = []
        for done, path in enumerate(files, start=1):
            try:
                doc = load_document(path)
            except LoadError as error:
                report.skipped.append(Skipped(str(path), str(error)))
                continue
            finally:
                if progress:
                    progress("load", done, len(files))
            previous = documents.get(doc.id)
            # Stored even when unchanged: the title may differ without a text change.
            documents[doc.id] = DocumentRecord(doc.id, doc.source, doc.title, doc.hash, doc.text, doc.meta)
            if previous is not None and previous.hash == doc.hash:
                report.unchanged.append(doc.source)
                continue
            (report.updated if previous is not None else report.added).append(doc.source)
            new_docs.append(doc)

        if old is not None and not new_docs and not report.removed and documents == old.documents:
            # Nothing changed: keep the live version instead of writing a copy.
            report.version, report.documents, report.chunks = old.version, len(documents), len(old.chunks)
            report.seconds = time.perf_counter() - started
            return report

        # Reuse the rows (and sentence vectors) of unchanged documents; chunk and embed the rest.
        changed = {doc.id for doc in new_docs}
        kept_rows = np.asarray([] if old is None else [
            row for row, chunk in enumerate(old.chunks) if chunk.doc in documents and chunk.doc not in changed
        ], dtype=np.int64)
        chunks, kept_sentences = _carry_over(old, kept_rows)
        new_chunks, new_sentences = _chunk_documents(new_docs, chunk_size, chunk_overlap, len(kept_sentences), progress)
        chunks.extend(new_chunks)

        def chunk_texts(start: int, stop: int) -> list[str]:
            return [documents[c.doc].text[c.start:c.end] for c in new_chunks[start:stop]]

        def sentence_texts(start: int, stop: int) -> list[str]:
            return [documents[doc].text[a:b] for doc, a, b in new_sentences[start:stop]]

        dense = []
        for member, embedder in enumerate(embedders):
            vectors = FaissIndex.empty(embedder.dim, len(chunks))
            if old is not None:
                vectors.add(old.dense[member].vectors(kept_rows))
            _embed(embedder, chunk_texts, len(new_chunks), vectors, "embed", member, len(embedders), progress)
            dense.append(vectors)
        # The first model also embeds every sentence once: chunks are scored by their best
        # sentence too, and the highlighter weighs sentences by their similarity.
        sentence_vectors = FaissIndex.empty(embedders[0].dim, len(kept_sentences) + len(new_sentences))
        if old is not None:
            sentence_vectors.add(old.sentence_vectors.vectors(kept_sentences))
        _embed(embedders[0], sentence_texts, len(new_sentences), sentence_vectors, "sentences", 0, 1, progress)
        report.chunks_embedded = len(new_chunks)

        chunk_stems: list[list[str]] = []
        stopwords_seen: set[str] = set()
        for row, c in enumerate(chunks, start=1):
            tokens = analyze(documents[c.doc].text[c.start:c.end], keep_stopwords=True)
            chunk_stems.append([t.stem for t in tokens if not t.stop])
            stopwords_seen.update(t.stem for t in tokens if t.stop)
            if progress and (row % 2000 == 0 or row == len(chunks)):
                progress("index", row, len(chunks))
        lexical = Bm25Index.build(chunk_stems, stopwords_seen)
        counts: dict[str, int] = {}
        for chunk in chunks:
            counts[chunk.doc] = counts.get(chunk.doc, 0) + 1
        manifest = _manifest(embedders, chunk_size, chunk_overlap, documents, counts, dense, len(sentence_vectors),
                             created=old.manifest.get("created", "") if old else "")
        snapshot = Snapshot(manifest, documents, chunks, dense, lexical, sentence_vectors,
                            version=old.version if old else "")
        report.version = write_snapshot(root, snapshot)
        report.documents = len(documents)
        report.chunks = len(chunks)
    report.seconds = time.perf_counter() - started
    return report


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


def _chunk_documents(
    docs: list[Document], chunk_size: int, chunk_overlap: int, first_sentence_row: int, progress: Progress | None,
) -> tuple[list[ChunkRecord], list[tuple[str, int, int]]]:
    """Chunk ``docs``; return the chunks and the documents' sentences ``(doc, start, end)``.

    Sentence rows are numbered from ``first_sentence_row``; each chunk sentence points
    at the whole sentence it is part of (a chunk may hold only part of one).
    """
    chunks: list[ChunkRecord] = []
    sentences: list[tuple[str, int, int]] = []
    characters, characters_done = sum(len(doc.text) for doc in docs), 0
    for doc in docs:
        # Long texts are chunked block by block (cut at paragraph breaks), which keeps
        # the chunker's work linear in the length of the text.
        for offset, block in text_blocks(doc.text):
            spans = embedding_spans(split_sentences(block), len(block))
            starts = [start for start, _ in spans]
            first = first_sentence_row + len(sentences)
            sentences.extend((doc.id, offset + start, offset + end) for start, end in spans)
            for piece in chunk_text(block, chunk_size, chunk_overlap):
                rows = tuple(first + bisect.bisect_right(starts, piece.start + start) - 1
                             for start, _ in piece.sentences)
                chunks.append(ChunkRecord(doc.id, offset + piece.start, offset + piece.end, piece.sentences, rows))
            characters_done += len(block)
            if progress:
                progress("chunk", characters_done, characters)
    return chunks, sentences


def _embed(
    embedder: Embedder, texts: Callable[[int, int], list[str]], count: int, into: FaissIndex, stage: str,
    member: int, members: int, progress: Progress | None,
) -> None:
    """Embed ``count`` passages, fetched by ``texts(start, stop)`` one slice at a time, into ``into``.

    Slicing keeps memory bounded: passage texts are cut from their documents only
    while their slice is embedded, and each slice's vectors go straight into the
    FAISS index (no second copy of all vectors). ``progress(stage, …)`` counts over
    all members.
    """
    done = [member * count]

    def step(n: int) -> None:
        done[0] += n
        if progress:
            progress(stage, done[0], members * count)

    for at in range(0, count, _EMBED_SLICE):
        batch = texts(at, min(at + _EMBED_SLICE, count))
        into.add(embedder.embed_passages(batch, progress=step))
