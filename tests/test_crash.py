"""An ingest killed with SIGKILL leaves the previous index intact and loadable."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import ROOT

from fundstelle import Index, ingest

SLOW_INGEST = """
import sys
from fundstelle import ingest

def progress(stage, done, total):
    if stage == "embed":
        print("EMBEDDING", flush=True)

ingest([sys.argv[1]], sys.argv[2], progress=progress)
print("DONE", flush=True)
"""


def big_folder(tmp_path: Path, docs: int = 1500) -> Path:
    folder = tmp_path / "viele"
    folder.mkdir()
    for n in range(docs):
        (folder / f"d{n:04d}.txt").write_text(
            f"Dokument {n} handelt von der Stadt Nummer {n}. " * 20, encoding="utf-8")
    return folder


def start_ingest(folder: Path, index_dir: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen([sys.executable, "-c", SLOW_INGEST, str(folder), str(index_dir)],
                            stdout=subprocess.PIPE, text=True, env=env)


def snapshot_of(index_dir: Path, question: str) -> list[tuple[str, int, float]]:
    return [(h.doc_id, h.start, h.score) for h in Index.open(index_dir).search(question, k=5)]


@pytest.fixture
def old_index(corpus: Path, index_dir: Path) -> list[tuple[str, int, float]]:
    ingest([corpus], index_dir, model="hashing")
    return snapshot_of(index_dir, "Rhein Nordsee")


def test_kill_during_embedding_keeps_the_old_index(old_index, tmp_path: Path, index_dir: Path) -> None:  # type: ignore[no-untyped-def]
    process = start_ingest(big_folder(tmp_path), index_dir)
    assert process.stdout is not None
    assert process.stdout.readline().strip() == "EMBEDDING"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert snapshot_of(index_dir, "Rhein Nordsee") == old_index
    assert Index.open(index_dir).info.documents == 4


def test_kill_while_writing_keeps_old_or_new_never_a_mix(old_index, tmp_path: Path, index_dir: Path) -> None:  # type: ignore[no-untyped-def]
    process = start_ingest(big_folder(tmp_path, 600), index_dir)
    deadline = time.monotonic() + 120
    while not any(p.name.endswith(".partial") for p in index_dir.iterdir()):
        assert process.poll() is None, "ingest finished before it was caught writing"
        assert time.monotonic() < deadline
        time.sleep(0.001)
    process.send_signal(signal.SIGKILL)
    process.wait()
    documents = Index.open(index_dir).info.documents
    assert documents in (4, 604)
    if documents == 4:
        assert snapshot_of(index_dir, "Rhein Nordsee") == old_index
    # The next ingest cleans up after the crash and succeeds.
    report = ingest([tmp_path / "viele"], index_dir)
    assert report.documents == 604
    assert not any(p.name.endswith(".partial") for p in index_dir.iterdir())
