"""The Milvus store (issue 16): the same answers as the FAISS store, and the same guarantees.

Milvus Lite (a local store in the version folder) stands in for a server; one test runs a
Milvus Lite *server* process and reaches it by URI, the way a Milvus cluster is reached.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from conftest import DOCS, ROOT

from fundstelle import (
    DEFAULT_CORPUS,
    Hit,
    Index,
    IndexFolderError,
    IndexLockedError,
    IndexMismatchError,
    IndexWriteError,
    Reply,
    ingest,
)
from fundstelle.cli import main
from fundstelle.milvus.connect import client_for, release

pymilvus = pytest.importorskip("pymilvus")
pytest.importorskip("milvus_lite")

MODEL = "hashing+hashing-64"  # an ensemble: every member's vectors go to Milvus
QUESTIONS = ["Wie lang ist der Rhein?", "Wann landete Apollo 11 auf dem Mond?", "Wie heiß wird der Ofen?",
             "Wer leitete die Begradigung?", "Sauerteig Roggenbrot", "höchster Berg Deutschlands"]


def assert_same_hits(faiss_hits: list[Hit], milvus_hits: list[Hit]) -> None:
    """Same passages, scores, answer sentences and marked words, in the same order."""
    assert [(h.doc_id, h.start, h.end) for h in faiss_hits] == [(h.doc_id, h.start, h.end) for h in milvus_hits]
    for a, b in zip(faiss_hits, milvus_hits):
        assert a.score == pytest.approx(b.score, abs=1e-4)
        assert a.signals.keys() == b.signals.keys()
        assert all(a.signals[name] == pytest.approx(b.signals[name], abs=1e-4) for name in a.signals)
        assert (a.answer.start, a.answer.end) == (b.answer.start, b.answer.end)
        assert a.answer.score == pytest.approx(b.answer.score, abs=1e-4)
        assert a.terms == b.terms


def assert_same_reply(a: Reply, b: Reply) -> None:
    """The same answer (or none) with the same confidence, and the same passages around it."""
    assert (a.answer is None) == (b.answer is None)
    if a.answer is not None and b.answer is not None:
        assert (a.answer.doc_id, a.answer.start, a.answer.end, a.answer.text) == \
            (b.answer.doc_id, b.answer.start, b.answer.end, b.answer.text)
        assert a.answer.confidence == pytest.approx(b.answer.confidence, abs=1e-4)
        assert a.answer.phrase == b.answer.phrase
    assert_same_hits(a.hits, b.hits)


def assert_same_index(faiss: Index, milvus: Index, questions: list[str]) -> None:
    for question in questions:
        for mode in ("hybrid", "dense", "lexical"):
            assert_same_hits(faiss.search(question, k=4, mode=mode), milvus.search(question, k=4, mode=mode))
        assert_same_reply(faiss.ask(question), milvus.ask(question))
    assert [d.id for d in faiss.documents()] == [d.id for d in milvus.documents()]
    assert faiss.snapshot.chunks == milvus.snapshot.chunks


def manifest_of(folder: Path) -> dict:
    version = (folder / "CURRENT").read_text().strip()
    return json.loads((folder / version / "manifest.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[Index, Index, Path]:
    """The small corpus indexed twice: FAISS files and Milvus Lite."""
    root = tmp_path_factory.mktemp("pair")
    docs = root / "docs"
    docs.mkdir()
    for name, text in DOCS.items():
        (docs / name).write_text(text, encoding="utf-8")
    ingest([docs], root / "faiss", model=MODEL, chunk_size=160, chunk_overlap=80)
    milvus = Index.build([docs], root / "milvus", model=MODEL, chunk_size=160, chunk_overlap=80, store="milvus")
    return Index.open(root / "faiss"), milvus, root


def test_milvus_store_gives_the_faiss_answers(pair: tuple[Index, Index, Path]) -> None:
    faiss, milvus, _ = pair
    assert len(milvus.snapshot.chunks) > 3  # several chunks per document: ranking has work to do
    assert_same_index(faiss, milvus, QUESTIONS)


def test_milvus_index_folder_names_its_collections(pair: tuple[Index, Index, Path]) -> None:
    faiss, milvus, root = pair
    manifest = manifest_of(root / "milvus")
    store = manifest["store"]
    assert store["kind"] == "milvus" and store["uri"] == ""
    assert store["chunks"].startswith(store["prefix"]) and store["chunks"].endswith("_chunks")
    assert [m["file"] for m in manifest["embedders"]] == ["dense_0", "dense_1"]
    assert manifest["format_version"] == 3 and "store" not in manifest_of(root / "faiss")
    version = root / "milvus" / milvus.info.version
    assert (version / "milvus.db").is_dir() and not list(version.glob("*.faiss"))
    # The vectors in Milvus are the ones FAISS holds.
    for a, b in zip(faiss.snapshot.dense, milvus.snapshot.dense):
        np.testing.assert_allclose(a.vectors(), b.vectors(), atol=1e-6)
    np.testing.assert_allclose(faiss.snapshot.sentence_vectors.vectors(),
                               milvus.snapshot.sentence_vectors.vectors(), atol=1e-6)
    rows = np.asarray([3, 0, 3, 1])  # any order, repeats allowed
    np.testing.assert_allclose(milvus.snapshot.dense[0].vectors(rows), faiss.snapshot.dense[0].vectors(rows),
                               atol=1e-6)


def test_incremental_ingest_and_removal_keep_parity(tmp_path: Path, corpus: Path) -> None:
    faiss = Index.build([corpus], tmp_path / "faiss", model=MODEL)
    milvus = Index.build([corpus], tmp_path / "milvus", model=MODEL, store="milvus")
    reader = Index.open(tmp_path / "milvus")  # opened before the changes; follows them
    (corpus / "brot.md").write_text(DOCS["brot.md"] + "\n\nDinkelbrot braucht weniger Wasser.", encoding="utf-8")
    (corpus / "neu.txt").write_text("Die Elbe mündet bei Cuxhaven in die Nordsee.", encoding="utf-8")
    for index in (faiss, milvus):
        report = index.add([corpus])
        assert (report.added, report.updated, report.chunks_embedded) == ([str(corpus / "neu.txt")],
                                                                           [str(corpus / "brot.md")], 2)
    assert_same_index(faiss, milvus, [*QUESTIONS, "Wo mündet die Elbe?", "Dinkelbrot"])
    assert reader.search("Wo mündet die Elbe?", k=1)[0].source.endswith("neu.txt")
    for index in (faiss, milvus):
        assert index.remove([str(corpus / "mond.html")]).removed == [str(corpus / "mond.html")]
    assert_same_index(faiss, milvus, QUESTIONS)
    # Older versions go, the one just replaced stays for readers that still hold it.
    assert sorted(p.name for p in (tmp_path / "milvus").iterdir() if p.name.startswith("v")) == \
        ["v000002", "v000003"]


def test_a_failed_write_leaves_the_old_version_live(tmp_path: Path, corpus: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    ingest([corpus], tmp_path / "index", model=MODEL, store="milvus")
    before = Index.open(tmp_path / "index").search("Rhein", k=2)
    (corpus / "neu.txt").write_text("Die Elbe mündet bei Cuxhaven in die Nordsee.", encoding="utf-8")

    insert = pymilvus.MilvusClient.insert

    def fail(client: pymilvus.MilvusClient, collection: str, *args: object, **kwargs: object) -> object:
        if collection.endswith("_sentences"):  # the chunks are in; the server goes away before the sentences
            raise RuntimeError("the Milvus server went away")
        return insert(client, collection, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(pymilvus.MilvusClient, "insert", fail)
        with pytest.raises(IndexWriteError, match="went away"):
            ingest([corpus], tmp_path / "index")
    index = Index.open(tmp_path / "index")
    assert index.info.version == "v000001" and len(index.documents()) == 4
    assert [(h.doc_id, h.start) for h in index.search("Rhein", k=2)] == [(h.doc_id, h.start) for h in before]
    report = ingest([corpus], tmp_path / "index")
    assert report.added == [str(corpus / "neu.txt")] and report.version == "v000002"
    assert not list((tmp_path / "index").glob(".*partial"))
    assert Index.open(tmp_path / "index").search("Elbe Cuxhaven", k=1)[0].source.endswith("neu.txt")


def test_an_index_keeps_its_store(tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str]) -> None:
    ingest([corpus], tmp_path / "index", model="hashing", store="milvus")
    with pytest.raises(IndexMismatchError, match="keeps its vectors in Milvus Lite, not 'faiss'"):
        ingest([corpus], tmp_path / "index", store="faiss")
    assert main(["ingest", str(corpus), "--index", str(tmp_path / "index"), "--milvus-uri", "http://127.0.0.1:1",
                 "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "not 'http://127.0.0.1:1'" in err and "--rebuild" in err
    with pytest.raises(ValueError, match="unknown store 'chroma'"):
        ingest([corpus], tmp_path / "other", store="chroma")
    # --rebuild moves it.
    assert ingest([corpus], tmp_path / "index", model="hashing", store="faiss", rebuild=True).chunks_embedded
    assert "store" not in manifest_of(tmp_path / "index")


def edit_manifest(folder: Path, change: Callable[[dict], None]) -> None:
    path = folder / (folder / "CURRENT").read_text().strip() / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    change(manifest)
    path.write_text(json.dumps(manifest), encoding="utf-8")


@pytest.mark.parametrize(("damage", "message"), [
    (lambda folder: shutil.rmtree(next(folder.glob("v*/milvus.db"))), "is missing milvus.db"),
    (lambda folder: edit_manifest(folder, lambda m: m["store"].update(chunks="fs_other_v000001_chunks")),
     "names Milvus collection fs_other_v000001_chunks, which"),
    (lambda folder: edit_manifest(folder, lambda m: m["embedders"][0].update(file="text")),
     "has no field text of 256-dimensional vectors"),
    (lambda folder: edit_manifest(folder, lambda m: m["store"].update(uri="file:///etc/passwd")),
     "damaged (bad or missing store)"),
    (lambda folder: edit_manifest(folder, lambda m: m["store"].update(chunks="x; drop")),
     "damaged (bad or missing store)"),
])
def test_a_damaged_milvus_index_gives_a_clear_error(tmp_path: Path, corpus: Path, damage: Callable[[Path], None],
                                                    message: str) -> None:
    ingest([corpus], tmp_path / "index", model="hashing", store="milvus")
    damage(tmp_path / "index")
    with pytest.raises(IndexFolderError, match=re.escape(message)) as info:
        Index.open(tmp_path / "index")
    assert info.value.folder == str(tmp_path / "index")
    if message == "is missing milvus.db":  # reading never creates a store
        assert not (tmp_path / "index" / "v000001" / "milvus.db").exists()


HOLDER = """
import sys, time
from fundstelle import Index
index = Index.open(sys.argv[1])
index.search("Rhein", k=1)
print("OPEN", flush=True)
sys.stdin.readline()
"""


def test_milvus_lite_serves_one_process_and_says_so(tmp_path: Path, corpus: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    ingest([corpus], tmp_path / "index", model="hashing", store="milvus")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "index")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "OPEN"
        (corpus / "neu.txt").write_text("Die Elbe mündet in die Nordsee.", encoding="utf-8")
        with pytest.raises(IndexLockedError, match="another process has the Milvus Lite store") as info:
            ingest([corpus], tmp_path / "index")
        assert "--milvus-uri" in str(info.value)
    finally:
        holder.communicate("\n", timeout=60)
    # Once it has let go, the ingest goes through.
    assert ingest([corpus], tmp_path / "index").added == [str(corpus / "neu.txt")]


CHILD = """
import sys
import pymilvus
from fundstelle import ingest

insert = pymilvus.MilvusClient.insert

def hold(client, collection, *args, **kwargs):  # the chunks are in; wait before the sentences go
    if collection.endswith("_sentences"):
        print("WRITING", flush=True)
        sys.stdin.readline()
    return insert(client, collection, *args, **kwargs)

pymilvus.MilvusClient.insert = hold
ingest([sys.argv[1]], sys.argv[2])
"""


def test_an_ingest_killed_while_writing_to_milvus_leaves_the_old_version(tmp_path: Path, corpus: Path) -> None:
    ingest([corpus], tmp_path / "index", model="hashing", store="milvus")
    (corpus / "neu.txt").write_text("Die Elbe mündet in die Nordsee.", encoding="utf-8")
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(corpus), str(tmp_path / "index")],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                             env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
    assert child.stdout is not None and child.stdout.readline().strip() == "WRITING"
    assert list((tmp_path / "index").glob(".v000002.partial/milvus.db"))  # half written
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=60)
    index = Index.open(tmp_path / "index")
    assert index.info.version == "v000001" and len(index.documents()) == 4
    report = ingest([corpus], tmp_path / "index")
    assert report.added == [str(corpus / "neu.txt")] and not list((tmp_path / "index").glob(".*partial"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def milvus_server(tmp_path: Path) -> Iterator[str]:
    """A Milvus Lite server process on loopback: reached by URI, like a Milvus cluster."""
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "milvus_lite", "server", "--data-dir", str(tmp_path / "server"),
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.terminate()
        server.wait(timeout=60)


@pytest.mark.slow
def test_a_milvus_server_by_uri_serves_several_processes(tmp_path: Path, corpus: Path, milvus_server: str) -> None:
    from pymilvus import MilvusClient

    built = main(["ingest", str(corpus), "--index", str(tmp_path / "index"), "--model", MODEL,
                  "--milvus-uri", milvus_server, "--quiet"])
    assert built == 0
    store = manifest_of(tmp_path / "index")["store"]
    assert store["uri"] == milvus_server and not list((tmp_path / "index").glob("v*/milvus.db"))
    reader = Index.open(tmp_path / "index")
    faiss = Index.build([corpus], tmp_path / "faiss", model=MODEL)
    assert_same_index(faiss, reader, QUESTIONS[:3])
    # Another process searches the same index at the same time (Milvus Lite could not).
    other = subprocess.run(
        [sys.executable, "-m", "fundstelle", "search", "Wie lang ist der Rhein?", "--index", str(tmp_path / "index"),
         "--json", "--k", "1"],
        capture_output=True, text=True, timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT / "src")},
    )
    assert other.returncode == 0, other.stderr
    assert json.loads(other.stdout)[0]["doc_id"] == reader.search("Wie lang ist der Rhein?", k=1)[0].doc_id
    # Incremental ingests: each version's collections are new; the server keeps only the
    # live version's and the one before.
    for text in ("Die Elbe mündet bei Cuxhaven.", "Die Elbe ist 1094 Kilometer lang."):
        (corpus / "neu.txt").write_text(text, encoding="utf-8")
        ingest([corpus], tmp_path / "index")
    client = MilvusClient(uri=milvus_server)
    names = sorted(name for name in client.list_collections() if name.startswith(store["prefix"]))
    client.close()
    assert names == sorted(f"{store['prefix']}_{v}_{part}" for v in ("v000002", "v000003")
                           for part in ("chunks", "sentences"))
    assert reader.search("Wie lang ist die Elbe?", k=1)[0].text == "Die Elbe ist 1094 Kilometer lang."


@pytest.mark.model
@pytest.mark.slow
def test_the_article_answers_the_same_through_milvus(tmp_path: Path) -> None:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from relevance import ARTICLE_QUESTIONS

    faiss = Index.build([DEFAULT_CORPUS], tmp_path / "faiss")
    milvus = Index.build([DEFAULT_CORPUS], tmp_path / "milvus", store="milvus")
    for question in ARTICLE_QUESTIONS:
        assert_same_hits(faiss.search(question, k=5), milvus.search(question, k=5))
        assert_same_reply(faiss.ask(question), milvus.ask(question))


# Every --store / --milvus-uri form README and --help name, ingested in one folder and read
# from another (issue 23: a Milvus Lite path wrote an index no reader could open).
STORE_FORMS = {
    "faiss (default)": [],
    "--store faiss": ["--store", "faiss"],
    "--store milvus (Lite in the index folder)": ["--store", "milvus"],
    "--milvus-uri ./m.db (Lite at a relative path)": ["--milvus-uri", "./m.db"],
    "--store milvus --milvus-uri m.db": ["--store", "milvus", "--milvus-uri", "m.db"],
    "--milvus-uri ../stores/m.db": ["--milvus-uri", "../stores/m.db"],
}


def search_from(folder: Path, index: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                command: str = "search") -> tuple[int, str, str]:
    monkeypatch.chdir(folder)
    capsys.readouterr()
    status = main([command, "Wie lang ist der Rhein?", "--index", index, "--k", "1", "--json"])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize("form", STORE_FORMS.values(), ids=STORE_FORMS.keys())
def test_every_store_form_writes_an_index_readers_open_from_any_folder(
        tmp_path: Path, corpus: Path, form: list[str], capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    round_trip(tmp_path, corpus, form, capsys, monkeypatch)


@pytest.mark.slow
def test_the_milvus_server_form_round_trips_too(tmp_path: Path, corpus: Path, milvus_server: str,
                                                capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    round_trip(tmp_path, corpus, ["--milvus-uri", milvus_server], capsys, monkeypatch)


def round_trip(tmp_path: Path, corpus: Path, form: list[str], capsys: pytest.CaptureFixture[str],
               monkeypatch: pytest.MonkeyPatch) -> None:
    """Ingest with ``form`` in one folder; search and ask from another; update; search again."""
    writer, reader = tmp_path / "writer", tmp_path / "reader"
    for folder in (writer, reader, tmp_path / "stores"):
        folder.mkdir()
    monkeypatch.chdir(writer)
    assert main(["ingest", str(corpus), "--index", "idx", "--model", "hashing", "--quiet", *form]) == 0
    for command in ("search", "ask"):
        status, out, err = search_from(reader, "../writer/idx", capsys, monkeypatch, command)
        assert status == 0, err
        hits = json.loads(out) if command == "search" else json.loads(out)["hits"]
        assert hits[0]["source"].endswith("rhein.txt")
    if "--milvus-uri" in form and not form[-1].startswith("http"):
        # The store is where the writer's folder put it, and the manifest says so absolutely.
        path = (writer / form[form.index("--milvus-uri") + 1]).resolve()
        assert path.is_dir() and manifest_of(writer / "idx")["store"]["uri"] == str(path)
    # An update from the reader's folder, naming the store the same way from there, is the same index.
    (corpus / "neu.txt").write_text("Die Elbe mündet bei Cuxhaven in die Nordsee.", encoding="utf-8")
    monkeypatch.chdir(writer)
    assert main(["ingest", str(corpus), "--index", "idx", "--quiet", *form]) == 0
    status, out, err = search_from(reader, "../writer/idx", capsys, monkeypatch)
    assert status == 0 and json.loads(out)[0]["source"].endswith("rhein.txt"), err


def test_a_milvus_lite_path_is_read_by_another_process_in_another_folder(tmp_path: Path, corpus: Path) -> None:
    """The issue's own steps, as separate commands: ingest with --milvus-uri ./m.db, then search elsewhere."""
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    (tmp_path / "elsewhere").mkdir()

    def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "fundstelle", *args], cwd=cwd, env=env, capture_output=True,
                              text=True, timeout=300)

    built = run("ingest", str(corpus), "--index", "idx", "--model", "hashing", "--milvus-uri", "./m.db", "--quiet",
                cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    found = run("search", "Wie lang ist der Rhein?", "--index", str(tmp_path / "idx"), "--json", "--k", "1",
                cwd=tmp_path / "elsewhere")
    assert found.returncode == 0, found.stderr
    assert json.loads(found.stdout)[0]["source"].endswith("rhein.txt")


@pytest.mark.parametrize("uri", ["foo", "ftp://host/x", "milvus.sqlite", "./no/such/folder/m.db"])
def test_a_milvus_uri_that_names_no_store_is_refused_before_anything_is_written(
        tmp_path: Path, corpus: Path, uri: str, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["ingest", str(corpus), "--index", "idx", "--model", "hashing", "--milvus-uri", uri, "--quiet"]) == 2
    err = capsys.readouterr().err
    if "folder" in uri:
        assert "the folder of the Milvus Lite store ./no/such/folder/m.db" in err and "does not exist" in err
    else:
        assert f"'{uri}' is not a Milvus store; --milvus-uri takes a server's address (http://HOST:19530" in err
        assert "a Milvus Lite file path ending in .db" in err
    assert "--rebuild" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["docs"]  # no index folder, no store


def test_a_missing_milvus_lite_store_says_so_and_the_rebuild_it_suggests_works(
        tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["ingest", str(corpus), "--index", "idx", "--model", "hashing", "--milvus-uri", "m.db",
                 "--quiet"]) == 0
    shutil.rmtree(tmp_path / "m.db")
    capsys.readouterr()
    assert main(["search", "Rhein", "--index", "idx"]) == 2
    err = capsys.readouterr().err
    assert f"keeps its vectors in the Milvus Lite store {(tmp_path / 'm.db').resolve()}, which is missing" in err
    assert "rebuild it with: python ingest.py [FILES ...] --index idx --rebuild" in err
    assert not (tmp_path / "m.db").exists()  # reading never creates a store
    # The remedy named works.
    assert main(["ingest", str(corpus), "--index", "idx", "--rebuild", "--milvus-uri", "m.db", "--quiet"]) == 0
    assert main(["search", "Rhein", "--index", "idx"]) == 0


def test_a_rebuild_keeps_the_milvus_store_it_is_not_asked_to_leave(tmp_path: Path, corpus: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for flags in (["--milvus-uri", "m.db"], ["--store", "milvus"]):  # a Lite file of its own; Lite in the version
        index = f"idx{len(flags[1])}"
        assert main(["ingest", str(corpus), "--index", index, "--model", "hashing", *flags, "--quiet"]) == 0
        before = manifest_of(tmp_path / index)["store"]
        assert main(["ingest", str(corpus), "--index", index, "--rebuild", "--quiet"]) == 0
        after = manifest_of(tmp_path / index)["store"]
        assert (after["kind"], after["uri"]) == (before["kind"], before["uri"]) and before["kind"] == "milvus"
        assert main(["search", "Rhein", "--index", index]) == 0


def collections_in(store: Path) -> list[str]:
    """The collections the Milvus Lite store at ``store`` holds, through this process's own connection to it."""
    client = client_for(str(store), store.parent)
    try:
        return sorted(client.list_collections())
    finally:
        release(str(store))  # Milvus Lite serves one process; the next ingest here opens it again


def test_collections_go_with_their_versions_after_a_rebuild(tmp_path: Path, corpus: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """A shared store (here Milvus Lite by path, as a server would be) keeps no collections of versions gone."""
    monkeypatch.chdir(tmp_path)
    store = tmp_path / "m.db"
    assert main(["ingest", str(corpus), "--index", "idx", "--model", "hashing", "--milvus-uri", "m.db",
                 "--quiet"]) == 0
    first = manifest_of(tmp_path / "idx")["store"]["prefix"]
    assert main(["ingest", str(corpus), "--index", "idx", "--rebuild", "--milvus-uri", "m.db", "--quiet"]) == 0
    second = manifest_of(tmp_path / "idx")["store"]["prefix"]
    assert second != first
    # The version just replaced stays for readers that opened it a moment ago ...
    assert collections_in(store) == sorted(f"{prefix}_{version}_{part}" for prefix, version in
                                           ((first, "v000001"), (second, "v000002"))
                                           for part in ("chunks", "sentences"))
    (corpus / "neu.txt").write_text("Die Elbe mündet bei Cuxhaven in die Nordsee.", encoding="utf-8")
    assert main(["ingest", str(corpus), "--index", "idx", "--quiet"]) == 0
    # ... and goes, with its collections of the old prefix, when the next version comes.
    assert collections_in(store) == sorted(f"{second}_{version}_{part}" for version in ("v000002", "v000003")
                                           for part in ("chunks", "sentences"))
    assert sorted(p.name for p in (tmp_path / "idx").glob("v*")) == ["v000002", "v000003"]
    # Moving the index to FAISS files empties the store once the Milvus versions are gone.
    assert main(["ingest", str(corpus), "--index", "idx", "--rebuild", "--store", "faiss", "--quiet"]) == 0
    assert main(["ingest", str(corpus / "neu.txt"), "--index", "idx", "--remove", str(corpus / "brot.md"),
                 "--quiet"]) == 0
    assert collections_in(store) == []
    assert Index.open(tmp_path / "idx").search("Wo mündet die Elbe?", k=1)[0].source.endswith("neu.txt")


def test_an_index_main_wrote_with_a_relative_lite_path_is_fixed_by_the_rebuild_the_error_names(
        tmp_path: Path, corpus: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Before issue 23 the manifest held './m.db' as given, and the suggested --rebuild wrote the same again."""
    monkeypatch.chdir(tmp_path)
    assert main(["ingest", str(corpus), "--index", "idx", "--model", "hashing", "--milvus-uri", "./m.db",
                 "--quiet"]) == 0
    edit_manifest(tmp_path / "idx", lambda m: m["store"].update(uri="./m.db"))  # what the earlier ingest wrote
    capsys.readouterr()
    assert main(["search", "Rhein", "--index", "idx"]) == 2
    err = capsys.readouterr().err
    assert "manifest.json is damaged (bad or missing store)" in err and "--rebuild" in err
    assert main(["ingest", str(corpus), "--index", "idx", "--rebuild", "--milvus-uri", "./m.db", "--quiet"]) == 0
    assert main(["search", "Rhein", "--index", "idx"]) == 0
    assert Path(manifest_of(tmp_path / "idx")["store"]["uri"]) == (tmp_path / "m.db").resolve()
