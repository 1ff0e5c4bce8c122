"""Chunking and embedding on a Ray cluster: ``ingest(..., ray="local" | "auto" | ADDRESS)``.

The process running the ingest (the driver) reads the files and plans what changed, as
always. The documents to embed then go through Ray Data: chunking as stateless tasks,
embedding in a pool of actors that each load the models once. The workers write
nothing. The driver gathers every passage's vectors, checks that each arrived exactly
once, and writes the version itself, FAISS or Milvus, through the same code as a
plain ingest. So a task that Ray retries after a failure cannot add a chunk twice, and
the index is the one a plain ingest builds (same chunks, same vectors up to float
rounding).

``"local"`` starts a cluster on this machine for the ingest and stops it afterwards.
Its processes stay on the loopback interface: Ray otherwise binds to the machine's
network address and asks a cloud metadata service about itself, which some networks
forbid. That setting only works if this module is the first to import ``ray`` in the
process. ``"auto"`` or an address (``ray://head:10001``) joins a running cluster, whose
workers need Fundstelle installed (``pip install 'fundstelle[ray]'``). If the process
has already connected to Ray (``ray.init``), that cluster is used as it is.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .results import Document, Progress

if TYPE_CHECKING:
    from .snapshot import ChunkRecord

__all__ = ["LOCAL", "Embedded", "chunk_and_embed", "cluster"]

LOCAL = "local"
# Passages per embedding call on a worker: enough to keep a model busy, few enough
# that a retried batch costs little.
_BATCH = 64
# Shared memory of a local cluster's object store; Ray spills to disk beyond it.
_OBJECT_STORE_BYTES = 512 * 2**20
_CHUNK, _SENTENCE = 0, 1
# Set while Ray is imported and started: keep a local cluster on 127.0.0.1 (Ray reads
# the first at import) and send its cloud-metadata probe, made even with usage stats
# off, to a closed local port.
_LOOPBACK_ENV = {
    "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER": "0",
    "RAY_USAGE_STATS_ENABLED": "0",
    "http_proxy": "http://127.0.0.1:9",
    "https_proxy": "http://127.0.0.1:9",
    "no_proxy": "localhost,127.0.0.1",
}
_INSTALL = "ingesting on Ray needs ray[data]: pip install 'fundstelle[ray]'"


@dataclass
class Embedded:
    """The changed documents chunked and embedded: what a plain ingest computes for them.

    ``sentences`` are ``(doc, start, end)``; ``vectors`` holds one array per ensemble
    member with a row per chunk; ``sentence_vectors`` a row per sentence (first member).
    """

    chunks: list[ChunkRecord]
    sentences: list[tuple[str, int, int]]
    vectors: list[np.ndarray]
    sentence_vectors: np.ndarray


@contextlib.contextmanager
def _loopback() -> Iterator[None]:
    """The loopback settings in the environment, then the process's own back (Ray's processes keep them)."""
    saved = {key: os.environ.get(key) for key in _LOOPBACK_ENV}
    os.environ.update(_LOOPBACK_ENV)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _ray() -> Any:
    """The ``ray`` module, imported with the loopback settings."""
    with _loopback():
        try:
            import ray
            import ray.data  # noqa: F401
        except ImportError as error:
            raise ImportError(_INSTALL) from error
    # Ray Data announces every dataset it runs and that its own progress bars are off;
    # the ingest's progress is enough.
    logging.getLogger("ray.data").setLevel(logging.ERROR)
    return ray


@contextlib.contextmanager
def cluster(address: str = LOCAL, workers: int | None = None) -> Iterator[int]:
    """Be connected to Ray while inside; yield how many embedding workers to run.

    ``address`` ``"local"`` starts a cluster of ``workers`` CPUs (default: this
    machine's) and stops it on leaving; another address joins that cluster. If the
    process is already connected, that cluster is used and left running.
    """
    ray = _ray()
    started, temp = False, ""
    if not ray.is_initialized():
        if address == LOCAL:
            # Ray's socket paths must stay short: a fresh folder right in the temp dir.
            temp = tempfile.mkdtemp(prefix="fs-ray-", dir="/tmp" if os.path.isdir("/tmp") else None)
            with _loopback():
                ray.init(num_cpus=workers or os.cpu_count() or 1, include_dashboard=False,
                         logging_level=logging.ERROR, object_store_memory=_OBJECT_STORE_BYTES, _temp_dir=temp)
        else:
            ray.init(address=address, logging_level=logging.ERROR)
        started = True
    try:
        yield workers or max(1, int(ray.cluster_resources().get("CPU", 1)))
    finally:
        if started:
            ray.shutdown()
        if temp:
            shutil.rmtree(temp, ignore_errors=True)


def chunk_and_embed(
    docs: Sequence[Document], model: str, prompts: dict[str, str], dims: Sequence[int], chunk_size: int,
    chunk_overlap: int, first_sentence_row: int, address: str = LOCAL, workers: int | None = None,
    progress: Progress | None = None,
) -> Embedded:
    """Chunk and embed ``docs`` on Ray (see the module's docstring); sentence rows start at ``first_sentence_row``.

    ``model`` and ``prompts`` are loaded on every worker; ``dims`` are the members'
    vector sizes. ``progress`` is told of stages ``chunk`` (characters) and
    ``passages`` (chunks and sentences embedded).
    """
    ray = _ray()
    characters = sum(len(doc.text) for doc in docs)
    with cluster(address, workers) as pool, _data_settings(ray):
        items = [{"doc": i, "id": doc.id, "text": doc.text} for i, doc in enumerate(docs)]
        passages = ray.data.from_items(items, override_num_blocks=min(len(items), 4 * pool)).flat_map(
            functools.partial(_passages, chunk_size=chunk_size, chunk_overlap=chunk_overlap)).materialize()
        total = passages.count()
        if progress:
            progress("chunk", characters, characters)
        columns: dict[str, list[np.ndarray]] = {}
        if total:
            # A block goes to one worker: cut the passages into enough blocks for all of them
            # (a single long document would otherwise be one block). Done before the actors
            # start: they hold every CPU, and the cutting tasks would wait for one forever.
            blocks = min(total, max(pool, min(4 * pool, -(-total // _BATCH))))
            passages = passages.repartition(blocks).materialize()
            embedded = passages.map_batches(_Embed, fn_constructor_kwargs={"model": model, "prompts": prompts},
                                            batch_size=_BATCH, num_cpus=1, batch_format="numpy",
                                            compute=ray.data.ActorPoolStrategy(size=pool))
            done = 0
            for batch in embedded.iter_batches(batch_size=4 * _BATCH, batch_format="numpy"):
                for key, values in batch.items():
                    columns.setdefault(key, []).append(values)
                done += len(batch["doc"])
                if progress:
                    progress("passages", done, total)
    return _assemble(docs, columns, total, dims, first_sentence_row)


@contextlib.contextmanager
def _data_settings(ray: Any) -> Iterator[None]:
    """Ray Data's settings for the ingest while inside, then the process's own back.

    ``DataContext`` is process-wide: a long-lived process (a notebook, a server that
    ingests) keeps its own settings for its own datasets.
    """
    context = ray.data.DataContext.get_current()
    saved = (context.execution_options.preserve_order, context.actor_task_retry_on_errors,
             context.enable_progress_bars)
    context.execution_options.preserve_order = True
    # Retry a batch whose worker raised (Ray's default retries only crashed workers).
    context.actor_task_retry_on_errors = True
    context.enable_progress_bars = False
    try:
        yield
    finally:
        (context.execution_options.preserve_order, context.actor_task_retry_on_errors,
         context.enable_progress_bars) = saved


def _passages(row: dict[str, Any], chunk_size: int, chunk_overlap: int) -> list[dict[str, Any]]:
    """One document's sentences and chunks as passages to embed (a Ray task; the plain ingest's chunker)."""
    from .chunk import chunk_documents

    doc = Document(str(row["id"]), "", "", str(row["text"]), "")
    chunks, sentences = chunk_documents([doc], chunk_size, chunk_overlap, 0, None)
    number = int(row["doc"])
    out = [{"doc": number, "kind": _SENTENCE, "n": n, "text": doc.text[start:end], "record": json.dumps([start, end])}
           for n, (_, start, end) in enumerate(sentences)]
    out += [{"doc": number, "kind": _CHUNK, "n": n, "text": doc.text[c.start:c.end],
             "record": json.dumps([c.start, c.end, c.sentences, c.sentence_rows])}
            for n, c in enumerate(chunks)]
    return out


class _Embed:
    """A Ray actor: loads the models once, then embeds batches of passages.

    Chunks get a vector from every member (``v0``, ``v1``, …); sentences from the
    first member only (the others' columns stay zero for them).
    """

    def __init__(self, model: str, prompts: dict[str, str]) -> None:
        from .embed import load_models

        self._models = load_models(model, prompts)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """The batch's keys and each member's vectors (its text is left behind)."""
        texts = [str(text) for text in batch["text"]]
        chunk = batch["kind"] == _CHUNK
        out = {key: batch[key] for key in ("doc", "kind", "n", "record")}
        for member, model in enumerate(self._models):
            rows = np.ones(len(texts), dtype=bool) if member == 0 else chunk
            vectors = np.zeros((len(texts), model.dim), dtype=np.float32)
            if rows.any():
                vectors[rows] = model.embed_passages([text for text, keep in zip(texts, rows) if keep])
            out[f"v{member}"] = vectors
        return out


def _assemble(docs: Sequence[Document], columns: dict[str, list[np.ndarray]], total: int, dims: Sequence[int],
              first_sentence_row: int) -> Embedded:
    """Put the passages in the plain ingest's order and numbering; refuse a lost or doubled one."""
    from .snapshot import ChunkRecord

    def column(key: str, width: int = 0) -> np.ndarray:
        parts = columns.get(key)
        if not parts:
            return np.zeros((0, width) if width else 0)
        return np.concatenate(parts)

    doc, kind, n = column("doc").astype(np.int64), column("kind").astype(np.int64), column("n").astype(np.int64)
    order = np.lexsort((n, kind, doc))
    keys = np.stack([doc[order], kind[order], n[order]], axis=1)
    if len(keys) != total or (len(keys) > 1 and np.any(np.all(keys[1:] == keys[:-1], axis=1))):
        raise RuntimeError(f"the Ray ingest returned {len(keys)} passages for {total}, or one twice; nothing written")
    records = column("record")[order]
    sentence = keys[:, 1] == _SENTENCE
    counts = np.bincount(keys[sentence, 0], minlength=len(docs))
    offsets = first_sentence_row + np.concatenate([[0], np.cumsum(counts)[:-1]])
    sentences: list[tuple[str, int, int]] = []
    chunks: list[ChunkRecord] = []
    for (number, what, _), record in zip(keys.tolist(), records.tolist()):
        fields = json.loads(record)
        if what == _SENTENCE:
            sentences.append((docs[number].id, fields[0], fields[1]))
        else:
            start, end, spans, rows = fields
            chunks.append(ChunkRecord(docs[number].id, start, end, tuple((a, b) for a, b in spans),
                                      tuple(int(offsets[number]) + r for r in rows)))
    vectors = [column(f"v{m}", dim)[order][~sentence] for m, dim in enumerate(dims)]
    return Embedded(chunks, sentences, vectors, column("v0", dims[0])[order][sentence])
