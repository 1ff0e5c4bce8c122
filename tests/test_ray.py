"""Ray Data ingest (issue 16): on a local cluster of two workers, the index a plain ingest builds."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import DOCS

from fundstelle import DEFAULT_CORPUS, Index, ingest
from fundstelle.cli import main
from fundstelle.snapshot import Snapshot
from fundstelle.store import read_snapshot

# Not importorskip: Ray must first be imported by fundstelle.distributed, with its loopback settings.
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(importlib.util.find_spec("ray") is None, reason="needs the ray extra")]

MODEL = "hashing+hashing-64"
OPTIONS = {"model": MODEL, "chunk_size": 160, "chunk_overlap": 80}


@pytest.fixture(scope="module")
def ray_cluster() -> Iterator[None]:
    """One local cluster of two workers for the module (starting one takes seconds); ingests use it."""
    from fundstelle.distributed import cluster

    with cluster("local", workers=2) as workers:
        assert workers == 2
        yield


def assert_same_snapshot(plain: Snapshot, distributed: Snapshot, atol: float = 0.0) -> None:
    """Same documents, chunks (offsets, sentences, sentence rows), vectors and manifest."""
    assert plain.documents == distributed.documents
    assert plain.chunks == distributed.chunks
    for a, b in zip(plain.dense, distributed.dense, strict=True):
        np.testing.assert_allclose(a.vectors(), b.vectors(), rtol=0, atol=atol)
    np.testing.assert_allclose(plain.sentence_vectors.vectors(), distributed.sentence_vectors.vectors(), rtol=0,
                               atol=atol)
    # Where the vectors are (file or field names, format version) may differ; the rest not.
    same = ("model", "chunking", "lexical", "counts", "documents")
    assert {k: plain.manifest.to_json()[k] for k in same} == {k: distributed.manifest.to_json()[k] for k in same}


def test_the_local_cluster_stays_on_loopback(ray_cluster: None) -> None:
    import ray

    assert {node["NodeManagerAddress"] for node in ray.nodes()} == {"127.0.0.1"}
    assert ray.cluster_resources()["CPU"] == 2


def test_ray_ingest_builds_the_plain_index(ray_cluster: None, tmp_path: Path, corpus: Path) -> None:
    for name in range(12):  # a few more documents than workers and blocks
        (corpus / f"fluss{name}.txt").write_text(f"Fluss {name}. " + DOCS["rhein.txt"][name * 20:], encoding="utf-8")
    plain = ingest([corpus], tmp_path / "plain", **OPTIONS)
    distributed = ingest([corpus], tmp_path / "ray", ray="local", **OPTIONS)
    assert (distributed.documents, distributed.chunks, distributed.chunks_embedded) == \
        (plain.documents, plain.chunks, plain.chunks_embedded)
    assert_same_snapshot(read_snapshot(tmp_path / "plain"), read_snapshot(tmp_path / "ray"))
    # Incremental: one changed, one new, one removed document; kept rows carried over.
    (corpus / "brot.md").write_text(DOCS["brot.md"] + "\n\nDinkelbrot braucht weniger Wasser.", encoding="utf-8")
    (corpus / "neu.txt").write_text("Die Elbe mündet bei Cuxhaven in die Nordsee.", encoding="utf-8")
    (corpus / "fluss3.txt").unlink()
    for folder, ray in (("plain", None), ("ray", "local")):
        report = ingest([corpus], tmp_path / folder, ray=ray, remove=[str(corpus / "fluss3.txt")])
        assert (len(report.added), len(report.updated), len(report.removed)) == (1, 1, 1)
    assert_same_snapshot(read_snapshot(tmp_path / "plain"), read_snapshot(tmp_path / "ray"))


def test_ray_ingest_into_milvus_and_from_the_command_line(ray_cluster: None, tmp_path: Path, corpus: Path,
                                                         capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("pymilvus")
    assert main(["ingest", str(corpus), "--index", str(tmp_path / "ray"), "--model", MODEL, "--ray",
                 "--store", "milvus", "--quiet"]) == 0
    assert "4 documents" in capsys.readouterr().out
    ingest([corpus], tmp_path / "plain", model=MODEL)
    plain, distributed = Index.open(tmp_path / "plain"), Index.open(tmp_path / "ray")
    assert json.loads((tmp_path / "ray" / "v000001" / "manifest.json").read_text())["store"]["kind"] == "milvus"
    assert_same_snapshot(plain.snapshot, distributed.snapshot, atol=1e-6)
    for question in ("Wie lang ist der Rhein?", "Wann landete Apollo 11?"):
        assert [h.to_dict() for h in plain.search(question)] == [h.to_dict() for h in distributed.search(question)]


@pytest.mark.model
def test_ray_ingest_with_the_default_models_matches_to_float_tolerance(ray_cluster: None, tmp_path: Path) -> None:
    ingest([DEFAULT_CORPUS], tmp_path / "plain")
    ingest([DEFAULT_CORPUS], tmp_path / "ray", ray="local")
    # The workers embed other batches than the plain loop; the models pad per batch.
    assert_same_snapshot(read_snapshot(tmp_path / "plain"), read_snapshot(tmp_path / "ray"), atol=1e-5)


def test_ray_data_settings_are_the_process_own_after_an_ingest(ray_cluster: None, tmp_path: Path,
                                                               corpus: Path) -> None:
    """Ray Data's DataContext is process-wide: a long-lived process keeps its own settings after an ingest."""
    import ray.data

    context = ray.data.DataContext.get_current()

    def settings() -> tuple[bool, bool, bool]:
        return (context.execution_options.preserve_order, context.actor_task_retry_on_errors,
                context.enable_progress_bars)

    for own in ((False, False, True), (True, True, False)):
        (context.execution_options.preserve_order, context.actor_task_retry_on_errors,
         context.enable_progress_bars) = own
        ingest([corpus], tmp_path / f"ray-{own[0]}", ray="local", **OPTIONS)
        assert settings() == own


def test_a_batch_that_fails_once_is_retried_and_the_index_is_the_plain_one(
        ray_cluster: None, tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A worker's batch raises once (an injected failure); Ray runs it again and nothing is lost or doubled."""
    import os

    import fundstelle.distributed

    failed = tmp_path / "failed-once"

    class FailsOnce(fundstelle.distributed._Embed):  # defined here: Ray ships it to the workers by value
        def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
            try:  # the first batch on any worker creates the flag and fails; every later one goes on
                os.close(os.open(failed, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
            except FileExistsError:
                return super().__call__(batch)
            raise RuntimeError("injected failure of an embedding batch")

    monkeypatch.setattr(fundstelle.distributed, "_Embed", FailsOnce)
    for name in range(6):  # several batches, so the failed one is one of many
        (corpus / f"fluss{name}.txt").write_text(f"Fluss {name}. " + DOCS["rhein.txt"][name * 20:], encoding="utf-8")
    distributed = ingest([corpus], tmp_path / "ray", ray="local", **OPTIONS)
    assert failed.exists()  # the failure happened, and the ingest still went through
    plain = ingest([corpus], tmp_path / "plain", **OPTIONS)
    assert (distributed.documents, distributed.chunks) == (plain.documents, plain.chunks)
    assert_same_snapshot(read_snapshot(tmp_path / "plain"), read_snapshot(tmp_path / "ray"))


def test_ray_ingest_into_a_milvus_lite_path_is_read_from_another_folder(
        ray_cluster: None, tmp_path: Path, corpus: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """Issue 23: --milvus-uri ./m.db with --ray wrote an index no reader could open."""
    pytest.importorskip("pymilvus")
    (tmp_path / "writer").mkdir()
    (tmp_path / "reader").mkdir()
    monkeypatch.chdir(tmp_path / "writer")
    assert main(["ingest", str(corpus), "--index", "idx", "--model", MODEL, "--ray", "--milvus-uri", "./m.db",
                 "--quiet"]) == 0
    monkeypatch.chdir(tmp_path / "reader")
    capsys.readouterr()
    assert main(["search", "Wie lang ist der Rhein?", "--index", "../writer/idx", "--json", "--k", "1"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["source"].endswith("rhein.txt")
