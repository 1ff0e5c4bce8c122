"""The storage interfaces are real: search runs the same on a second vector backend.

The index folder holds FAISS files; :class:`fundstelle.backends.ArrayIndex` keeps the
same vectors in a numpy array. Built into a snapshot instead of FAISS, it must give the
same hits, answers and scores, because search only talks to the interface.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fundstelle import Index, answering, ingest, query
from fundstelle.backends import ArrayIndex, FaissIndex, VectorIndex
from fundstelle.snapshot import Snapshot

QUESTIONS = ["Wie lang ist der Rhein?", "Wann landete Apollo 11 auf dem Mond?", "Wie heiß wird das Brot gebacken?",
             "Loreley", "Sauerteig Mehl"]


def in_memory(vectors: VectorIndex) -> ArrayIndex:
    copy = ArrayIndex(vectors.dim)
    copy.add(vectors.vectors())
    return copy


def test_array_index_answers_like_faiss() -> None:
    rng = np.random.default_rng(7)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    faiss_index, array_index = FaissIndex.build(vectors), ArrayIndex(16)
    array_index.add(vectors[:100])
    array_index.add(vectors[100:])  # appended in two slices, as ingest does
    query_vector = vectors[5]
    assert len(array_index) == 300 and array_index.kind == "ArrayIndex"
    assert np.array_equal(faiss_index.search(query_vector, 10)[0], array_index.search(query_vector, 10)[0])
    rows = np.array([3, 250, 7])
    assert np.allclose(faiss_index.scores(query_vector, rows), array_index.scores(query_vector, rows), atol=1e-6)
    assert np.array_equal(array_index.vectors(rows), vectors[rows])
    with pytest.raises(NotImplementedError):
        array_index.save(Path("nowhere"))


def test_search_and_ask_run_the_same_on_the_in_memory_backend(corpus: Path, index_dir: Path) -> None:
    ingest([corpus], index_dir, model="hashing")
    index = Index.open(index_dir)
    on_disk = index.snapshot
    in_ram = Snapshot(on_disk.manifest, on_disk.documents, on_disk.chunks,
                      [in_memory(member) for member in on_disk.dense], on_disk.lexical,
                      in_memory(on_disk.sentence_vectors), version=on_disk.version)
    for question in QUESTIONS:
        for mode in ("hybrid", "dense", "lexical"):
            expected = query.highlighted_hits(query.retrieve(on_disk, index.embedders, question, 3, mode))
            got = query.highlighted_hits(query.retrieve(in_ram, index.embedders, question, 3, mode))
            assert [(h.doc_id, h.start, h.answer.text) for h in got] == \
                   [(h.doc_id, h.start, h.answer.text) for h in expected], (question, mode)
            assert [h.score for h in got] == pytest.approx([h.score for h in expected], abs=1e-5)
        expected_reply = answering.reply(query.retrieve(on_disk, index.embedders, question, 6, "hybrid"), 3)
        got_reply = answering.reply(query.retrieve(in_ram, index.embedders, question, 6, "hybrid"), 3)
        assert (got_reply.answer is None) == (expected_reply.answer is None)
        assert [h.answer.text for h in got_reply.hits] == [h.answer.text for h in expected_reply.hits]
