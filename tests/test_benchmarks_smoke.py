"""The benchmark scripts' functions on tiny inputs (seconds, no model): they run and agree with themselves.

The benchmarks themselves are not tests; this only keeps ``benchmarks/`` from rotting.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
sys.path.insert(0, str(BENCH))

pytest.importorskip("psutil")
pytest.importorskip("matplotlib")
pytest.importorskip("rank_bm25")


def test_synthetic_vectors_are_unit_rows_and_nested():
    import scale

    small, large = scale.synthetic_vectors(1000, 64), scale.synthetic_vectors(70_000, 64)
    assert small.dtype == np.float32 and small.shape == (1000, 64)
    np.testing.assert_allclose(np.linalg.norm(small, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(small, large[:1000])  # the 1k set is the start of the 70k set
    assert scale.synthetic_queries(5, 64).shape == (5, 64)


def test_metrics_count_ranks_of_the_gold_paragraph():
    from quality import metrics
    from xquad import Question

    qs = [Question("a", "?", 1, ()), Question("b", "?", 2, ()), Question("c", "?", 3, ())]
    result = metrics([[1, 5], [7, 2], [4] * 10 + [3]], qs)
    assert result["hit@1"] == pytest.approx(1 / 3)
    assert result["hit@5"] == pytest.approx(2 / 3)
    assert result["mrr@10"] == pytest.approx((1 + 1 / 2) / 3)  # rank 11 is outside the top 10


def test_plain_bm25_peer_ranks_the_matching_passage_first():
    from peers import PlainBm25

    bm25 = PlainBm25(["Der Rhein fließt durch Köln.", "Amazon investiert in Anthropic.", "Die Elbe ist lang."],
                     ["rhein", "amazon", "elbe"])
    assert bm25.search("Wie viel investiert Amazon?", 2)[0] == "amazon"


def test_interleaved_timing_gives_every_system_every_question():
    from speed import interleaved, stats

    calls: list[str] = []
    times = interleaved({"a": lambda t: calls.append("a"), "b": lambda t: calls.append("b")}, ["x", "y", "z"],
                        warmup=1)
    assert {name: len(ms) for name, ms in times.items()} == {"a": 3, "b": 3}
    assert calls[2:4] == ["a", "b"] and calls[4:6] == ["b", "a"]  # turns rotate
    assert stats([3.0, 1.0, 2.0]) == {"p50": 2.0, "p95": 3.0, "n": 3}


def test_scale_suite_and_report_on_a_tiny_corpus(tmp_path, monkeypatch):
    import report
    import scale

    monkeypatch.setattr(scale, "CACHE", tmp_path / "cache")
    row = scale.measure_size(3000, queries=5)
    assert row["n"] == 3000 and set(row["fused"]) == {"hybrid", "dense", "lexical", "hybrid-e5"}
    sweep = row["dense"]["e5-small-int4"]["hnsw"][0]["sweep"]
    assert all(0.0 <= point["recall@10"] <= 1.0 for point in sweep)
    results = tmp_path / "results"
    results.mkdir()
    stamp = {"date": "today", "command": "test", "seconds": 1.0, "load": [0.0, 0.0],
             "machine": {"cpu": "cpu", "cores": 2, "memory_gib": 1.0, "os": "os", "python": "3", "versions": {}}}
    scale_result = {**stamp, "scale": {"sizes": [row], "centroids": scale.CENTROIDS, "noise": scale.NOISE,
                                       "sentences_per_chunk": scale.SENTENCES_PER_CHUNK, "threads": 1}}
    (results / "scale.json").write_text(json.dumps(scale_result))
    path = report.render(results, tmp_path)
    text = path.read_text(encoding="utf-8")
    assert "## Scale" in text and "| 3k |" in text
    assert (tmp_path / report.CHARTS / "scale.png").stat().st_size > 1000


def test_the_saved_results_render_with_the_answer_benchmarks_figures(tmp_path):
    import report

    text = report.render(BENCH / "results", tmp_path).read_text(encoding="utf-8")
    saved = json.loads((BENCH / "results" / "answers.json").read_text(encoding="utf-8"))
    german = saved["xquad-full"]
    right = round(german["answer_at_1"] * german["answerable"])  # answers.json keeps four places
    figure = f"{right / german['answerable']:.3f}"
    assert f"| XQuAD-de within one document ({german['questions']:,}) | {figure} |" in text
    assert f"| within-document answer@1, German, ≥ 0.82 | {figure} |" in text
    assert f"Threshold {saved['threshold']:.3f}" in text
    for section in ("## Targets", "## Quality on XQuAD-de", "## Answers within one document", "## Speed",
                    "### A warm ask beyond a warm search", "### Memory of a serving process",
                    "## The HTTP service on every core", "## Documents: formats and metadata filters",
                    "## Scale-out: Milvus store and Ray ingest", "## Scale"):
        assert f"\n{section}\n" in text, section


def test_benchmarks_md_is_what_the_saved_results_render(tmp_path):
    import report

    rendered = report.render(BENCH / "results", tmp_path).read_text(encoding="utf-8")
    committed = (BENCH.parent / "BENCHMARKS.md").read_text(encoding="utf-8")
    assert rendered == committed, "BENCHMARKS.md differs from `python benchmarks/run.py --render`: run it"


def test_answer_shares_are_read_back_as_the_counts_they_stand_for():
    import report

    assert report._share(0.7815, 1190) == "0.782"  # 930 / 1190 = 0.78151…, saved as 0.7815
    assert report._share(0.6325, 1257) == "0.632"  # 795 / 1257 = 0.63246…
    assert report._share(0.0625, 288) == "0.063"  # 18 / 288, a half rounds up
    assert report._share(float("nan"), 0) == report._share(0.5, 0) == "–"


def test_service_benchmark_parts_on_a_tiny_index(tmp_path, corpus):
    pytest.importorskip("fastapi")
    import service

    from fundstelle import Index

    index = Index.build([corpus], tmp_path / "index", model="hashing")
    texts = ["Wie lang ist der Rhein?", "Wer betrat den Mond?", "Wie hoch ist die Zugspitze?"]
    with service.Server(index.folder) as server:
        overhead = service.http_overhead(index, server.url, texts * 2)
        client = service.Client(server.url)
        assert client.search(texts[0])["hits"] == [hit.to_dict() for hit in index.search(texts[0], k=service.K)]
        client.close()
        load = service.throughput(service.over_http(server.url), texts, seconds=0.5, clients=2)
        unasked = service.load(server.url, texts * 2000, clients=2, seconds=0.5, path="ask")
        short = service.load(server.url, texts, clients=2, seconds=2.0)  # three questions cannot last 2 s
        with pytest.raises(service.Refused, match="422"):  # a refused request fails a throughput run
            service.throughput(service.over_http(server.url), [" "], seconds=0.2, clients=1)
    assert unasked["answers"] >= 1 and unasked["errors"] == 0 and unasked["latency_ms"]["p99"] > 0
    assert short["answers"] == 3 and short["first_errors"][0].startswith("ran out of unasked questions")
    assert overhead["HTTP"]["n"] == overhead["in process"]["n"] == 6
    assert load["requests"] >= 1 and load["requests_per_s"] > 0
    local = service.throughput(service.in_process(lambda t: index.search(t, k=service.K)), texts, seconds=0.3,
                               clients=2)
    assert local["clients"] == 2 and local["requests"] >= 2 and local["latency_ms"]["n"] == local["requests"]
    many = service.batch(index, texts, rounds=2)
    assert set(many["ms_per_question"]) == {"search_many", "loop of search"}


def test_scale_out_search_and_report_on_a_tiny_set(tmp_path, monkeypatch):
    pytest.importorskip("pymilvus")
    pytest.importorskip("milvus_lite")
    import report
    import scale_out

    monkeypatch.setattr(scale_out, "WORK", tmp_path)
    figures = scale_out.search_part((500,), queries=3)
    row = figures["sizes"][0]
    assert row["rows"] == 500 and row["milvus search"]["n"] == row["faiss search"]["n"] == 3
    assert row["same_top10"] == 1.0  # both exact
    results = tmp_path / "results"
    results.mkdir()
    stamp = {"date": "today", "command": "test", "load": [0.0, 0.0], "cores": 2}
    (results / "scale_out.json").write_text(json.dumps({"search": {**stamp, **figures}}))
    text = report.render(results, tmp_path).read_text(encoding="utf-8")
    assert "## Scale-out: Milvus store and Ray ingest" in text and "| 500 |" in text


def test_documents_formats_filters_and_report_on_a_tiny_set(tmp_path, monkeypatch):
    import documents
    import report

    few = documents.articles()[:2]
    monkeypatch.setattr(documents, "articles", lambda: few)
    monkeypatch.setattr(documents, "CACHE", tmp_path / "cache")
    monkeypatch.setattr(documents, "ROUNDS", 1)
    monkeypatch.setattr(documents, "DOCUMENTS", 20)
    formats = documents.formats_part()
    assert set(formats) == set(documents.FORMATS)
    # Every format yields the same text, give or take the PDF's line breaks and title line.
    assert all(abs(row["characters"] - formats[".txt"]["characters"]) < 0.05 * formats[".txt"]["characters"]
               for row in formats.values())
    filters = documents.filter_part(chunks=200, queries=3)
    assert filters["documents"] == 20 and filters["search_ms"]["1 %"]["n"] == 3
    assert filters["kept_rows"]["1 %"] < filters["kept_rows"]["50 %"] < filters["chunks"]
    results = tmp_path / "results"
    results.mkdir()
    machine = {"cpu": "test", "cores": 2}
    (results / "documents.json").write_text(json.dumps({"date": "today", "command": "test", "load": [0.0, 0.0, 0.0],
                                                        "machine": machine, "formats": formats, "filters": filters}))
    text = report.render(results, tmp_path).read_text(encoding="utf-8")
    assert "## Documents: formats and metadata filters" in text and "| `.odt` | 2 |" in text


def test_pooled_chunk_vectors_are_the_weighted_unit_mean_of_their_sentences():
    from types import SimpleNamespace

    from chunk_vectors import pooled

    from fundstelle.backends import ArrayIndex

    sentences = ArrayIndex(2)
    sentences.add(np.asarray([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]], dtype=np.float32))
    snapshot = SimpleNamespace(sentence_vectors=sentences, chunks=[SimpleNamespace(sentence_rows=(0, 1)),
                                                                   SimpleNamespace(sentence_rows=(1, 2))])
    even = pooled(snapshot, np.ones(3, dtype=np.float32))
    np.testing.assert_allclose(even, [[0.7071068, 0.7071068]] * 2, rtol=1e-6)
    skewed = pooled(snapshot, np.asarray([3.0, 1.0, 1.0], dtype=np.float32))
    np.testing.assert_allclose(skewed[0], np.asarray([3.0, 1.0]) / np.sqrt(10), rtol=1e-6)


def test_report_renders_the_ingest_stage_and_trade_off_tables():
    import report

    stages = {"articles": 2, "rounds": 1, "chars": 1000, "chunks": 4, "chunk_size": 400, "chunk_overlap": 200,
              "sentences": 6, "load": [1.0, 1.0],
              "seconds": {**{name: 1.0 for name in report.INGEST_STAGES}, "e5 chunk vectors": 4.0, "recipe": 5.5}}
    table = "\n".join(report._ingest_stages(stages))
    assert "| e5 chunk vectors | 4.00 | 36.4% | 0.73 |" in table
    assert "**0.50×**" in table  # the recipe's 5.5 s against 11 s of stages
    variants = {"langs": ["de"], "chunks": 4, "cut_chunks": 1, "rows": [
        {"variant": "embedded (today)", "embedded_share": 1.0, "mrr@10": {"de": 0.97}},
        {"variant": "pooled, mean", "embedded_share": 0.0, "mrr@10": {"de": 0.96}}]}
    trade_off = "\n".join(report._chunk_vectors(variants, stages))
    assert "| embedded (today) | 100% | 0.50 | 0.970 |" in trade_off
    assert "| pooled, mean | 0% | 0.79 | 0.960 |" in trade_off  # 5.5 s against the 7 s left


def test_report_renders_overhead_as_time_beyond_the_embedding():
    import report

    def run(search: float) -> dict:
        row = {"p50": 1.0, "p95": 1.0, "n": 2}
        return {"load": [5.0], "XQuAD-de": {
            "questions": 2, "chunks": 9,
            "whole": {"search": {"p50": search, "overhead": search - 20.0}, "ask": {"p50": 25.0, "overhead": 5.0},
                      "e5 question embedding": {"p50": 20.0}},
            "parts": {"read the question": row, "highlight and hits": row, "use_wanted_share": 0.5}}}

    table = "\n".join(report._overhead({"before": run(30.0), "after": run(22.0)}))
    assert "| before | XQuAD-de (9 chunks, 2 asks) | 30.0 ms | 25.0 ms | 20.0 ms | 10.0 ms (50%) |" in table
    assert "| after | XQuAD-de (9 chunks, 2 asks) | 22.0 ms | 25.0 ms | 20.0 ms | 2.0 ms (10%) |" in table
    assert "| share of questions that embed USE-m3 | 50% | 50% |" in table


def test_report_renders_ask_beyond_search_per_run():
    import report

    def run(code: str, cold: bool, ask: float) -> dict:
        row = {"p50": 1.0, "p95": 1.0, "n": 2}
        whole = {"search": {"p50": 20.0}, "ask": {"p50": ask, "beyond search": ask - 20.0,
                                                  "beyond search, paired": ask - 21.0}}
        parts = {"highlight and hits": row, "ask's answer part (answering.reply)": {"p50": 2.5, "n": 2}}
        return {"code": code, "result": {"cold": cold, "load": [4.0], "article": {
            "questions": 2, "chunks": 9, "whole": whole, "parts": parts}}}

    data = {"before_commit": "abc1234", "summary": ["Said after the table."],
            "runs": [run("before", False, 26.0), run("after", True, 22.0)]}
    table = "\n".join(report._ask_beyond_search(data))
    assert "commit abc1234" in table
    assert "| before | warm | article | 4.0 | 20.0 ms | 26.0 ms | 6.0 ms | 5.0 ms | 1.00 ms | – | 2.50 ms |" in table
    assert "| after | cold | article | 4.0 | 20.0 ms | 22.0 ms | 2.0 ms | 1.0 ms | 1.00 ms | – | 2.50 ms |" in table
    assert table.endswith("Said after the table.")


def test_the_cores_report_says_whether_16_clients_gain_enough():
    import report

    def run(workers, clients, per_s):
        return {"workers": workers, "clients": clients, "answers_per_s": per_s, "errors": 0, "load": [1.0, 1.0, 1.0],
                "latency_ms": {"p50": 30.0, "p99": 90.0}, "cores_used": 0.9 * workers,
                "memory": [{"uss_mb": 180.0, "rss_mb": 240.0}] * workers}

    result = {"command": "service.py --only cores", "date": "2026-12-06", "cores": 2, "path": "search",
              "seconds_per_run": 12, "load_start": [1.0], "load_end": [1.2],
              "runs": [run(1, 1, 30.0), run(1, 16, 33.0), run(2, 1, 30.0), run(2, 16, 50.0)],
              "speedup_16_clients_over_1": {"1 worker": 1.1, "2 workers": 50 / 30}}
    text = "\n".join(report._service_cores(result))
    assert "| 2 | 16 | 50.0 | 30 | 90 | 0 | 1.80 | 1.0 | 180 / 240 MB, 180 / 240 MB |" in text
    assert "x1.67 with 2 (target: at least x1.5 on two cores: met)" in text
    result["speedup_16_clients_over_1"]["2 workers"] = 1.2
    assert "MISSED" in "\n".join(report._service_cores(result))


def test_uncached_computes_a_repeated_question_anew(tmp_path, corpus):
    from measure import uncached

    from fundstelle import Index

    index = Index.build([corpus], tmp_path / "index", model="hashing")
    question = "Wie hoch ist die Zugspitze?"
    first = index.search(question, k=1)[0]
    assert index.search(question, k=1)[0] is first  # served from the result cache
    assert uncached(index, question_vectors=False) is index
    again = index.search(question, k=1)[0]
    assert again == first and again is not first
    assert all(embedder.query_cache_size > 0 for embedder in index.embedders)
    uncached(index)
    assert all(embedder.query_cache_size == 0 for embedder in index.embedders)
    for embedder in index.embedders:  # the models are shared by the process: back to their default
        del embedder.query_cache_size



def test_the_highlight_benchmark_highlights_the_passage_behind_each_hit(tmp_path):
    import highlight

    from fundstelle import Index, query
    from fundstelle.question import Question

    index = Index.build([], tmp_path / "index", model="hashing", chunk_size=120, chunk_overlap=60)
    text = " ".join(f"Der Fluss Nummer {n} fließt durch das Tal und mündet in den See." for n in range(12))
    index.add_texts([text], ids=["fluesse"])
    behind = highlight.hit_passages(index.snapshot)
    asked = "Wohin mündet der Fluss?"
    hits = index.search(asked, k=3)
    assert hits
    for hit in hits:
        passage = behind(hit)
        assert (passage.doc, passage.start, passage.end) == (hit.doc_id, hit.start, hit.end)
        answer, _ = query.highlight_hit(index.snapshot, passage, Question.of(asked), None)
        assert answer.text == hit.answer.text  # what search marked, without sentence vectors here


def test_a_cached_index_from_another_checkout_keeps_only_this_checkouts_files(tmp_path):
    from xquad import only_from

    from fundstelle import Index, ingest
    from fundstelle.load import document_id

    other, here = tmp_path / "other" / "paragraphs", tmp_path / "here" / "paragraphs"
    for folder in (other, here):
        folder.mkdir(parents=True)
        (folder / "p000.txt").write_text("Der Rhein fließt durch Köln.", encoding="utf-8")
        (folder / "p001.txt").write_text("Die Zugspitze ist 2962 Meter hoch.", encoding="utf-8")
    ingest([other], tmp_path / "index", model="hashing")  # the cache as another checkout built it
    ingest([here], tmp_path / "index", model="hashing")  # ids hash absolute paths: every text taken in again
    assert Index.open(tmp_path / "index").info.documents == 4
    index = only_from(Index.open(tmp_path / "index"), here)
    assert sorted(d.id for d in index.documents()) == sorted(document_id(p) for p in here.glob("*.txt"))
    assert [hit.doc_id for hit in index.search("Wie hoch ist die Zugspitze?", k=2)][0] == document_id(
        here / "p001.txt")


@pytest.fixture
def two_documents(tmp_path):
    """A ``hashing`` index of two short documents, ids ``rhein`` and ``zugspitze``, and a question on each."""
    from xquad import Question

    from fundstelle import Index

    index = Index.build([], tmp_path / "index", model="hashing")
    index.add_texts(["Der Rhein fließt durch Köln. Er ist 1233 Kilometer lang und mündet in die Nordsee.",
                     "Die Zugspitze ist 2962 Meter hoch. Auf ihrem Gipfel steht ein Kreuz."],
                    ids=["rhein", "zugspitze"])
    qs = [Question("r", "Wie lang ist der Rhein?", 0, ("1233 Kilometer",)),
          Question("z", "Wie hoch ist die Zugspitze?", 1, ("2962 Meter",))]
    yield index, qs, ["rhein", "zugspitze"]
    for embedder in index.embedders:  # the scripts set the shared models' caches: back to their default
        embedder.__dict__.pop("query_cache_size", None)


def test_overhead_times_each_part_of_search_and_ask(two_documents):
    import overhead

    index, qs, _ = two_documents
    texts = [q.text for q in qs] * 3
    whole = overhead.whole(index, texts, cold=True)
    assert {name: row["n"] for name, row in whole.items() if "n" in row} == {
        "search": 6, "ask": 6, "e5 question embedding": 6}
    parts = overhead.parts(index, texts)
    for name in ("read the question", "retrieval (trust, dense, BM25, fusion)", "highlight and hits",
                 "ask's retrieval", "ask's candidates (answering.candidates)", "ask's answer part (answering.reply)"):
        assert parts[name]["n"] == len(texts), name
    assert parts["use_wanted_share"] == 0.0  # one model: no USE-m3 to embed


def test_each_signal_alone_and_each_fusion_setting_find_the_gold_document(two_documents):
    import fusion
    import languages
    from retrieval import evaluate

    from fundstelle.ranking import SENTENCES_SUFFIX

    index, qs, ids = two_documents
    spec = index.embedders[0].spec
    for signal in ("bm25", spec, spec + SENTENCES_SUFFIX):
        assert languages.signal_ranks(index, qs, ids, signal) == {"mrr@10": 1.0, "hit@1": 1.0}, signal
    for setting in (fusion.setting(0.5, 0.8), fusion.setting(0.5, 0.8, trust=fusion.plain_share, use_fixed=0.5)):
        row = evaluate(index.replace(fusion=setting), qs, ids, "hybrid")
        assert (row["hit@1"], row["ranks"]) == (1.0, [1, 1])


def test_scale_out_copies_an_index_into_the_milvus_store_with_the_same_hits(tmp_path, corpus):
    pytest.importorskip("pymilvus")
    pytest.importorskip("milvus_lite")
    import scale_out

    from fundstelle import Index

    index = Index.build([corpus], tmp_path / "faiss", model="hashing")
    copy = scale_out.milvus_copy(index.folder, tmp_path / "milvus")
    assert copy.snapshot.manifest.store.kind != index.snapshot.manifest.store.kind
    question = "Wie hoch ist die Zugspitze?"
    assert [(h.doc_id, h.start, h.end) for h in copy.search(question)] == [
        (h.doc_id, h.start, h.end) for h in index.search(question)]


def test_the_batch_benchmark_embeds_every_question_in_both_systems(tmp_path, corpus, monkeypatch):
    import service

    from fundstelle import Index

    index = Index.build([corpus], tmp_path / "index", model="hashing")
    embedder = index.embedders[0]
    default = embedder.query_cache_size
    cache_sizes: list[int] = []
    embed = embedder.embed_queries
    monkeypatch.setattr(embedder, "embed_queries",
                        lambda texts: (cache_sizes.append(embedder.query_cache_size), embed(texts))[1])
    figures = service.batch(index, ["Wie lang ist der Rhein?", "Wer betrat den Mond?"], rounds=2)
    assert figures["ms_per_question"]["loop of search"]["n"] == figures["ms_per_question"]["search_many"]["n"] == 2
    assert cache_sizes and set(cache_sizes) == {0}  # the loop is not handed the vectors of its last round
    assert embedder.query_cache_size == default
