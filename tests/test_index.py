"""Building, updating and searching an index through the public API (hashing embedder)."""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path

import numpy as np
import pytest

import fundstelle
from fundstelle import Hit, Index, IndexMismatchError, IndexNotFoundError, ingest
from fundstelle.cli import advice

MODEL = "hashing"


def build(corpus: Path, index_dir: Path, **options: object) -> fundstelle.IngestReport:
    return ingest([corpus], index_dir, model=options.pop("model", MODEL), **options)  # type: ignore[arg-type]


def test_build_reports_what_it_did(corpus: Path, index_dir: Path) -> None:
    report = build(corpus, index_dir)
    assert len(report.added) == 4 and not report.skipped
    assert report.documents == 4
    assert report.chunks == report.chunks_embedded > 0
    assert "4 added" in report.summary()


def test_search_returns_hits_with_every_field(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    index = Index.open(index_dir)
    hits = index.search("Wann landete Apollo 11 auf dem Mond?", k=3)
    assert [h.rank for h in hits] == [1, 2, 3]
    assert hits[0].title == "Die Mondlandung"
    assert hits[0].source.endswith("mond.html")
    assert hits[0].score >= hits[1].score >= hits[2].score
    top = hits[0]
    document = index.document(top.doc_id)
    assert document.text[top.start:top.end] == top.text
    assert top.answer is not None
    assert top.text[top.answer.start:top.answer.end] == top.answer.text
    assert "1969" in top.answer.text
    assert {t.text for t in top.terms} >= {"Apollo", "Mond"}
    assert all(top.text[t.start:t.end] == t.text for t in top.terms)


@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_every_mode_finds_the_obvious_passage(corpus: Path, index_dir: Path, mode: str) -> None:
    build(corpus, index_dir)
    hits = Index.open(index_dir).search("Wie hoch ist die Zugspitze?", k=2, mode=mode)
    assert hits[0].source.endswith("zugspitze.pdf")
    assert "2962" in hits[0].answer.text


def test_lexical_search_uses_german_stemming(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    # "Flüssen" and "Fluss"/"Flüsse" share a stem; "gebacken" matches nothing in the Rhein text.
    hits = Index.open(index_dir).search("Flüssen", k=1, mode="lexical")
    assert hits and hits[0].source.endswith("rhein.txt")


def test_lexical_mode_returns_nothing_without_shared_words(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    assert Index.open(index_dir).search("Quantenchromodynamik", mode="lexical") == []


def test_module_level_search(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    hits = fundstelle.search("Sauerteig Roggenbrot", folder=index_dir, k=1)
    assert hits[0].title == "Brotbacken"


def test_second_ingest_embeds_nothing(corpus: Path, index_dir: Path) -> None:
    first = build(corpus, index_dir)
    before = Index.open(index_dir).search("Rhein Nordsee", k=3)
    second = build(corpus, index_dir)
    assert second.chunks_embedded == 0
    assert len(second.unchanged) == 4 and not second.added and not second.updated
    assert second.chunks == first.chunks
    after = Index.open(index_dir).search("Rhein Nordsee", k=3)
    assert [(h.doc_id, h.start, h.score) for h in after] == [(h.doc_id, h.start, h.score) for h in before]


def test_changed_file_is_replaced_others_kept(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    (corpus / "brot.md").write_text("# Brotbacken\n\nWeißbrot braucht Hefe statt Sauerteig.", encoding="utf-8")
    report = build(corpus, index_dir)
    assert [Path(p).name for p in report.updated] == ["brot.md"]
    assert len(report.unchanged) == 3
    assert report.chunks_embedded == 1
    index = Index.open(index_dir)
    texts = " ".join(index.document(d.id).text for d in index.documents())
    assert "Hefe" in texts and "Roggenbrot" not in texts


def test_remove_and_rebuild(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    report = ingest([], index_dir, remove=[corpus / "mond.html"])
    assert [Path(p).name for p in report.removed] == ["mond.html"]
    index = Index.open(index_dir)
    assert {Path(d.source).name for d in index.documents()} == {"rhein.txt", "brot.md", "zugspitze.pdf"}
    assert all(h.title != "Die Mondlandung" for h in index.search("Apollo Mond", k=5))
    missing = ingest([], index_dir, remove=[corpus / "gibt-es-nicht.txt"])
    assert missing.failed and "not in the index" in missing.skipped[0].reason
    rebuilt = ingest([corpus / "rhein.txt"], index_dir, model=MODEL, rebuild=True)
    assert rebuilt.documents == 1 and rebuilt.chunks_embedded == rebuilt.chunks


def test_other_model_is_a_clear_error(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    with pytest.raises(IndexMismatchError, match=r"built with model 'hashing', not 'hashing-64'") as opened:
        Index.open(index_dir, model="hashing-64")
    assert (opened.value.setting, opened.value.built_with, opened.value.requested) == ("model", "hashing", "hashing-64")
    with pytest.raises(IndexMismatchError) as ingested:
        ingest([corpus], index_dir, model="hashing-64")
    assert ingested.value.remedy == "rebuild" and "--rebuild --model hashing-64" in advice(ingested.value)
    with pytest.raises(IndexMismatchError, match="chunk_size"):
        ingest([corpus], index_dir, chunk_size=123)
    assert build(corpus, index_dir, model="hashing-64", rebuild=True).chunks_embedded > 0
    assert Index.open(index_dir).info.model == "hashing-64"


def test_missing_index_says_how_to_build_one(tmp_path: Path) -> None:
    with pytest.raises(IndexNotFoundError, match="no index at") as info:
        Index.open(tmp_path / "nichts")
    assert info.value.remedy == "build" and "python ingest.py" in advice(info.value)


def test_bad_arguments_are_explained(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    index = Index.open(index_dir)
    with pytest.raises(ValueError, match="empty"):
        index.search("   ")
    with pytest.raises(ValueError, match="mode 'fuzzy'"):
        index.search("Rhein", mode="fuzzy")
    with pytest.raises(ValueError, match="k must be"):
        index.search("Rhein", k=0)
    with pytest.raises(ValueError, match="unknown model 'bert'"):
        ingest([corpus], index_dir.parent / "other", model="bert")


def test_manifest_and_files_on_disk(corpus: Path, index_dir: Path) -> None:
    build(corpus, index_dir)
    version = (index_dir / "CURRENT").read_text().strip()
    folder = index_dir / version
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["format_version"] == 3
    assert manifest["embedders"] == [{"spec": "hashing", "dim": 256, "settings": {}, "file": "dense-0.faiss",
                                      "faiss": "IndexFlatIP"}]
    assert manifest["chunking"]["chunk_size"] == fundstelle.chunk.DEFAULT_CHUNK_SIZE
    assert {d["hash"] for d in manifest["documents"]} == {
        fundstelle.load.load_document(p).hash for p in corpus.iterdir()
    }
    assert sum(d["chunks"] for d in manifest["documents"]) == manifest["counts"]["chunks"]
    # Nothing pickled: every .npy loads with allow_pickle=False, the rest is JSON or FAISS.
    for path in folder.rglob("*"):
        if path.suffix == ".npy":
            np.load(path, allow_pickle=False)
        elif path.suffix in (".json", ".jsonl"):
            for line in (path.read_text(encoding="utf-8").splitlines() if path.suffix == ".jsonl"
                         else [path.read_text()]):
                json.loads(line)
        elif path.is_file():
            assert path.suffix == ".faiss", path


def test_index_picks_up_a_new_version(corpus: Path, index_dir: Path) -> None:
    ingest([corpus / "rhein.txt"], index_dir, model=MODEL)
    index = Index.open(index_dir)
    assert index.info.documents == 1
    ingest([corpus / "brot.md"], index_dir)
    assert index.search("Sauerteig", k=1)[0].title == "Brotbacken"
    assert index.info.documents == 2


def test_index_folder_can_move(corpus: Path, index_dir: Path, tmp_path: Path) -> None:
    build(corpus, index_dir)
    moved = tmp_path / "woanders"
    shutil.move(str(index_dir), moved)
    assert Index.open(moved).search("Zugspitze", k=1)[0].title


def test_hybrid_matches_a_brute_force_reference(corpus: Path, index_dir: Path) -> None:
    """Fusion on the small corpus equals a plain numpy computation of the same formula:
    z-scored chunk cosine + z-scored best-sentence cosine + trust-weighted z-scored BM25."""
    from fundstelle.lexical import analyze
    from fundstelle.ranking import LEXICAL_WEIGHT, lexical_trust

    build(corpus, index_dir, chunk_size=120, chunk_overlap=0)
    index = Index.open(index_dir)
    snapshot = index.snapshot
    question = "Wer betrat als erster Mensch den Mond?"
    vectors = snapshot.dense[0].vectors()
    query = index.embedders[0].embed_queries([question])[0]
    dense = vectors @ query
    tokens = analyze(question, keep_stopwords=True)
    bm25 = snapshot.lexical.scores([t.stem for t in tokens if not t.stop])

    def z(values: np.ndarray) -> np.ndarray:
        return (values - values.mean()) / values.std()

    # The sentence signal: each chunk scores as its best sentence.
    sentence_scores = snapshot.sentence_vectors.vectors() @ query
    best_sentence = np.array([max(sentence_scores[r] for r in chunk.sentence_rows) for chunk in snapshot.chunks])
    # With fewer rows than the candidate pool, every row is a candidate and the
    # z-score reference is all rows.
    expected = z(dense) + z(best_sentence) + LEXICAL_WEIGHT * lexical_trust(tokens, snapshot.lexical) * z(bm25)
    order = np.argsort(-expected, kind="stable")[:5]
    hits = index.search(question, k=5)
    assert [(snapshot.chunks[r].doc, snapshot.chunks[r].start) for r in order] == [(h.doc_id, h.start) for h in hits]
    assert np.allclose(sorted(expected, reverse=True)[:5], [h.score for h in hits], atol=1e-4)


def test_replace_searches_other_weights_or_other_vectors_and_leaves_the_index_alone(
        corpus: Path, index_dir: Path) -> None:
    import dataclasses

    from fundstelle.backends import ArrayIndex
    from fundstelle.ranking import Fusion

    build(corpus, index_dir)
    index = Index.open(index_dir)
    index.result_cache_size = 0
    question = "Wer betrat als erster Mensch den Mond?"
    before = index.search(question, k=3)
    words_only = index.replace(fusion=Fusion(lexical_weight=0.0))
    assert words_only.snapshot is index.snapshot and words_only.result_cache_size == 0
    assert [h.score for h in words_only.search(question, k=3)] != [h.score for h in before]
    # Every chunk vector turned around: each chunk's cosine to the question changes sign.
    flipped = ArrayIndex(index.snapshot.dense[0].dim)
    flipped.add(-index.snapshot.dense[0].vectors())
    turned = index.replace(snapshot=dataclasses.replace(index.snapshot, dense=[flipped]))
    cosines = {(h.doc_id, h.start): h.signals["hashing"] for h in turned.search(question, k=10)}
    for hit in before:
        assert cosines[(hit.doc_id, hit.start)] == pytest.approx(-hit.signals["hashing"], abs=1e-4)
    assert index.fusion == Fusion() and [h.score for h in index.search(question, k=3)] == [h.score for h in before]


def test_every_chunk_sentence_points_at_its_whole_sentences_vector(corpus: Path, index_dir: Path) -> None:
    """Sentence rows stay right through incremental updates and sentences cut at chunk edges."""
    from fundstelle.embed import load_embedder
    from fundstelle.sentences import split_sentences

    build(corpus, index_dir, chunk_size=80, chunk_overlap=30)
    (corpus / "brot.md").write_text("# Brot\n\nWeißbrot braucht Hefe. Es backt bei 220 Grad recht schnell.",
                                    encoding="utf-8")
    ingest([corpus], index_dir, remove=[corpus / "rhein.txt"])
    index = Index.open(index_dir)
    snapshot = index.snapshot
    vectors = snapshot.sentence_vectors.vectors()
    embedder = load_embedder(MODEL)
    assert len(vectors) == len({row for chunk in snapshot.chunks for row in chunk.sentence_rows})
    for chunk in snapshot.chunks:
        text = snapshot.documents[chunk.doc].text
        whole = split_sentences(text)
        for (start, end), row in zip(chunk.sentences, chunk.sentence_rows):
            s, e = next(span for span in whole if span[0] <= chunk.start + start < span[1])
            assert s <= chunk.start + start and chunk.start + end <= e
            assert np.allclose(vectors[row], embedder.embed_passages([text[s:e]])[0], atol=1e-6)


def test_above_the_exact_limit_an_hnsw_graph_answers_the_same(
    corpus: Path, index_dir: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An index larger than EXACT_SEARCH_LIMIT uses HNSW; on a small corpus it finds what exact search finds,
    survives saving and reopening, and an incremental ingest rebuilds the graph with every vector."""
    from fundstelle import backends

    build(corpus, tmp_path / "exact", chunk_size=80, chunk_overlap=30)
    monkeypatch.setattr(backends, "EXACT_SEARCH_LIMIT", 5)
    build(corpus, index_dir, chunk_size=80, chunk_overlap=30)
    exact, approximate = Index.open(tmp_path / "exact"), Index.open(index_dir)
    snapshot = approximate.snapshot
    assert exact.snapshot.dense[0].kind == "IndexFlatIP"
    assert snapshot.dense[0].kind == snapshot.sentence_vectors.kind == "IndexHNSWFlat"
    for question in ("Wer betrat als erster Mensch den Mond?", "Wo mündet der Rhein?", "Wie backt man Brot?"):
        assert [(h.doc_id, h.start) for h in approximate.search(question, k=3)] == \
               [(h.doc_id, h.start) for h in exact.search(question, k=3)]

    (corpus / "brot.md").write_text("# Brot\n\nWeißbrot braucht Hefe. Es backt bei 220 Grad.", encoding="utf-8")
    report = ingest([corpus], index_dir)
    assert report.updated and report.chunks_embedded < report.chunks
    snapshot = Index.open(index_dir).snapshot
    assert snapshot.dense[0].kind == "IndexHNSWFlat" and len(snapshot.dense[0]) == len(snapshot.chunks)
    hit = Index.open(index_dir).search("Bei wie viel Grad backt Weißbrot?", k=1)[0]
    assert "220 Grad" in hit.text


def test_build_refuses_a_path_that_does_not_exist(corpus: Path, index_dir: Path) -> None:
    with pytest.raises(FileNotFoundError, match="nicht-da.txt"):
        Index.build([corpus / "rhein.txt", corpus / "nicht-da.txt"], index_dir, model="hashing")
    assert not index_dir.exists()  # nothing was written


def test_an_index_says_what_it_holds(corpus: Path, index_dir: Path) -> None:
    index = Index.build([corpus], index_dir, model="hashing")
    assert repr(index) == f"Index({str(index_dir)!r}, documents=4, chunks={index.info.chunks}, model='hashing')"


def test_add_texts_indexes_text_from_memory(corpus: Path, index_dir: Path) -> None:
    index = Index.build([corpus], index_dir, model=MODEL)
    report = index.add_texts(
        ["Die Zugspitze ist mit 2962 Metern der höchste Berg Deutschlands.", "Der Bodensee liegt am Alpenrand."],
        ids=["zugspitze", "bodensee"], metadata=[{"quelle": "Notiz"}, {}],
    )
    assert len(report.added) == 2 and report.chunks_embedded == 2
    top = index.search("Wie hoch ist die Zugspitze?", k=1)[0]
    assert (top.doc_id, top.source) == ("zugspitze", "text:zugspitze")
    assert index.document("zugspitze").meta["quelle"] == "Notiz"  # beside what is computed (type, size)
    # The same id again replaces the text; unchanged texts embed nothing; remove() takes the id.
    assert index.add_texts(["Der Bodensee liegt am Alpenrand."], ids=["bodensee"]).unchanged == ["text:bodensee"]
    assert index.add_texts(["Die Zugspitze misst 2962 Meter."], ids=["zugspitze"]).updated == ["text:zugspitze"]
    assert index.remove(["zugspitze"]).removed == ["text:zugspitze"]
    assert "zugspitze" not in {d.id for d in index.documents()}
    with pytest.raises(ValueError, match="ids has 1 entries for 2 texts"):
        index.add_texts(["a", "b"], ids=["a"])
    with pytest.raises(fundstelle.LoadError, match="no text"):
        index.add_texts(["   "], ids=["leer"])


def test_search_without_highlighting_returns_the_same_passages(corpus: Path, index_dir: Path) -> None:
    index = Index.build([corpus], index_dir, model=MODEL)
    for mode in ("hybrid", "dense", "lexical"):
        full = index.search("Wann wurde der Rhein begradigt?", k=3, mode=mode)
        plain = index.search("Wann wurde der Rhein begradigt?", k=3, mode=mode, highlight=False)
        where = [(h.doc_id, h.start, h.end, h.score) for h in full]
        assert [(h.doc_id, h.start, h.end, h.score) for h in plain] == where
        assert all(not h.terms and h.answer.phrase is None and h.answer.text in h.text for h in plain)


def test_a_repeated_question_is_answered_from_the_cache_until_an_ingest(corpus: Path, index_dir: Path) -> None:
    # A result from the cache is the very hits handed out before; a new retrieval builds new ones.
    def handed_out_again(hits: list[Hit], before: list[Hit]) -> bool:
        return len(hits) == len(before) and all(hit is earlier for hit, earlier in zip(hits, before))

    build(corpus, index_dir)
    index = Index.open(index_dir)
    first = index.search("Wann landete Apollo 11?", k=2)
    again = index.search("  Wann landete   Apollo 11?\n", k=2)  # the same question once cleaned
    assert handed_out_again(again, first) and again is not first  # the list is the caller's own
    timings = []
    for _ in range(5):
        started = time.perf_counter()
        assert handed_out_again(index.search("Wann landete Apollo 11?", k=2), first)
        timings.append(time.perf_counter() - started)
    assert min(timings) < 0.002
    # Another k, mode, highlighting or filter is another result, then kept in its turn.
    for options in ({"k": 3}, {"mode": "lexical"}, {"highlight": False}, {"where": {"source": "*.html"}}):
        other = index.search("Wann landete Apollo 11?", **{"k": 2, **options})  # type: ignore[arg-type]
        assert not any(hit is first[0] for hit in other), options
        assert handed_out_again(index.search("Wann landete Apollo 11?", **{"k": 2, **options}), other), options
    reply = index.ask("Wann landete Apollo 11?")
    assert index.ask("Wann landete Apollo 11?") is reply

    index.add_texts(["Apollo 11 landete am 20. Juli 1969 im Meer der Ruhe."], ids=["meer"])
    after = index.search("Wann landete Apollo 11?", k=2)  # the new version is searched, not the cache
    assert not any(hit is first[0] for hit in after) and "meer" in [hit.doc_id for hit in after]
    assert index.ask("Wann landete Apollo 11?") is not reply

    index.result_cache_size = 0
    uncached = index.search("Wann landete Apollo 11?", k=2)
    assert not handed_out_again(index.search("Wann landete Apollo 11?", k=2), uncached)


def test_a_caller_cannot_change_what_the_cache_hands_out_again(corpus: Path, index_dir: Path) -> None:
    """Issue 23: a repeated question returned the same hits, whose terms and signals a caller could edit."""
    build(corpus, index_dir)
    index = Index.open(index_dir)
    question = "Wann landete Apollo 11 auf dem Mond?"
    hits, reply = index.search(question, k=2), index.ask(question, k=2)
    expected = ([hit.to_dict() for hit in hits], reply.to_dict())
    assert hits[0].terms and reply.hits[0].terms and reply.answer is not None
    for hit in (hits[0], reply.hits[0]):
        with pytest.raises(AttributeError):
            hit.terms.append(hit.terms[0])  # type: ignore[attr-defined]
        with pytest.raises(TypeError):
            hit.signals["bm25"] = 99.0  # type: ignore[index]
        with pytest.raises(AttributeError):
            hit.score = 99.0  # type: ignore[misc]
    with pytest.raises(AttributeError):
        reply.hits.pop()  # type: ignore[attr-defined]
    hits.clear()  # the list search returns is the caller's own
    assert [hit.to_dict() for hit in index.search(question, k=2)] == expected[0]
    assert index.ask(question, k=2).to_dict() == expected[1]
    # Still plain JSON-ready data, as before.
    assert json.loads(json.dumps(expected[1])) == expected[1]
    assert isinstance(expected[1]["hits"][0]["terms"], list) and isinstance(expected[1]["hits"][0]["signals"], dict)
