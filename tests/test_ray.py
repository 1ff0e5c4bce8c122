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
from fundstelle.store import Snapshot, read_snapshot

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
