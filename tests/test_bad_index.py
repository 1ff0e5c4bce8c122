"""Bad, foreign or crafted index folders: a clear error naming the problem and the fix.

Issue 6, items 3 and 6. Every damage below gives a one-line :class:`fundstelle.IndexFolderError`
that names what is wrong and says how to fix it (``--rebuild``, or how to build an
index when there is none), through the Python API and the command line alike, never
a traceback from deep inside. Loading an index never unpickles anything: a pickle
payload placed in any of its files does not run.
"""

from __future__ import annotations

import json
import pickle
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import faiss
import numpy as np
import pytest

import fundstelle
from fundstelle import Index, IndexMismatchError, IndexNotFoundError, ingest
from fundstelle.cli import advice, main

FIX = "--rebuild"


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """One index of the small corpus (hashing embedder) to copy and damage; and the corpus."""
    from conftest import DOCS

    root = tmp_path_factory.mktemp("built")
    folder = root / "docs"
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    ingest([folder], root / "index", model="hashing")
    return root / "index", folder


@pytest.fixture
def index_copy(built: tuple[Path, Path], tmp_path: Path) -> Path:
    copy = tmp_path / "index"
    shutil.copytree(built[0], copy)
    return copy


def version_of(index: Path) -> Path:
    return index / (index / "CURRENT").read_text().strip()


def edit_json(path: Path, change: Callable[[dict], object]) -> None:
    data = json.loads(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(json.dumps(data), encoding="utf-8")


def edit_manifest(change: Callable[[dict], object]) -> Callable[[Path], None]:
    return lambda index: edit_json(version_of(index) / "manifest.json", change)


def edit_line(name: str, number: int, change: Callable[[dict], object]) -> Callable[[Path], None]:
    def edit(index: Path) -> None:
        path = version_of(index) / name
        lines = path.read_text(encoding="utf-8").splitlines()
        row = json.loads(lines[number])
        change(row)
        lines[number] = json.dumps(row)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    return edit


def write_faiss(index: Path, vectors: np.ndarray, kind: type = faiss.IndexFlatIP, name: str = "dense-0.faiss") -> None:
    flat = kind(vectors.shape[1])
    flat.add(np.ascontiguousarray(vectors, dtype=np.float32))
    faiss.write_index(flat, str(version_of(index) / name))


def chunk_count(index: Path) -> int:
    return len((version_of(index) / "chunks.jsonl").read_text().splitlines())


def truncate(path: Callable[[Path], Path], keep: float) -> Callable[[Path], None]:
    def cut(index: Path) -> None:
        data = path(index).read_bytes()
        path(index).write_bytes(data[: int(len(data) * keep)])

    return cut


def remove(relative: str) -> Callable[[Path], None]:
    return lambda index: (version_of(index) / relative).unlink()


def set_bm25_params(**values: object) -> Callable[[Path], None]:
    return lambda index: edit_json(version_of(index) / "bm25" / "params.index.json", lambda p: p.update(values))


def bad_postings(index: Path) -> None:
    path = version_of(index) / "bm25" / "indices.csc.index.npy"
    indices = np.load(path)
    indices[0] = 10**6  # a row far beyond the index
    np.save(path, indices)


def model_changed(index: Path) -> None:
    """The manifest's model now gives 256-dimensional vectors; the index holds 128."""
    write_faiss(index, np.ones((chunk_count(index), 128)))
    sentences = json.loads((version_of(index) / "manifest.json").read_text())["sentences"]["count"]
    write_faiss(index, np.ones((sentences, 128)), name="sentences.faiss")
    edit_manifest(lambda m: m["embedders"][0].update(dim=128))(index)


def unknown_model(index: Path) -> None:
    edit_manifest(lambda m: (m.update(model="bert-base-german"), m["embedders"][0].update(spec="bert-base-german")))(
        index)


# name, damage, the words the error must contain (besides the fix)
DAMAGES: list[tuple[str, Callable[[Path], None], str]] = [
    ("CURRENT garbage", lambda i: (i / "CURRENT").write_text("../../etc\n"), "CURRENT is damaged"),
    ("CURRENT binary", lambda i: (i / "CURRENT").write_bytes(b"\xff\xfe\x00"), "CURRENT is damaged"),
    ("version folder missing", lambda i: shutil.rmtree(version_of(i)),
     "names version v000001, but that folder is missing"),
    ("manifest missing", remove("manifest.json"), "missing manifest.json"),
    ("documents missing", remove("documents.jsonl"), "missing documents.jsonl"),
    ("chunks missing", remove("chunks.jsonl"), "missing chunks.jsonl"),
    ("FAISS file missing", remove("dense-0.faiss"), "missing dense-0.faiss"),
    ("BM25 vocabulary missing", remove("bm25/vocab.index.json"), "missing bm25/vocab.index.json"),
    ("BM25 scores missing", remove("bm25/data.csc.index.npy"), "missing bm25/data.csc.index.npy"),
    ("FAISS file truncated", truncate(lambda i: version_of(i) / "dense-0.faiss", 0.5),
     "dense-0.faiss is truncated or damaged"),
    ("FAISS file cut after its header", truncate(lambda i: version_of(i) / "dense-0.faiss", 0.01),
     "dense-0.faiss is truncated or damaged"),
    ("FAISS file garbage", lambda i: (version_of(i) / "dense-0.faiss").write_bytes(bytes(range(256)) * 64),
     "dense-0.faiss is not a FAISS index"),
    ("FAISS index of another kind", lambda i: write_faiss(i, np.ones((chunk_count(i), 256)), faiss.IndexFlatL2),
     "not a FAISS index of a kind Fundstelle writes"),
    ("FAISS vectors of another dimension", lambda i: write_faiss(i, np.ones((chunk_count(i), 64))),
     "holds 64-dimensional vectors, the manifest says 256"),
    ("FAISS file with too few vectors", lambda i: write_faiss(i, np.ones((2, 256))), "inconsistent"),
    ("manifest from a newer format", edit_manifest(lambda m: m.update(format_version=99)),
     "format version 99, newer than this Fundstelle understands (3)"),
    ("manifest of something else", edit_manifest(lambda m: m.update(format="other-tool")),
     "is not a Fundstelle index"),
    ("manifest not JSON", lambda i: (version_of(i) / "manifest.json").write_text("{\"format\": "),
     "manifest.json is not valid JSON"),
    ("manifest nested 100000 deep", lambda i: (version_of(i) / "manifest.json").write_text("[" * 100_000),
     "manifest.json is not valid JSON"),
    ("manifest format_version as text", edit_manifest(lambda m: m.update(format_version="1")),
     "no valid format_version"),
    ("manifest points outside the folder",
     edit_manifest(lambda m: m["embedders"][0].update(file="../../../../etc/passwd")), "bad or missing embedders"),
    ("manifest with an absolute BM25 folder", edit_manifest(lambda m: m["lexical"].update(folder="/etc")),
     "bad or missing lexical"),
    ("manifest with weird values",
     edit_manifest(lambda m: m.update(counts=None, chunking={"chunk_size": "gross"}, documents=7)),
     "bad or missing chunking, counts, documents"),
    ("manifest with a negative dimension", edit_manifest(lambda m: m["embedders"][0].update(dim=-5)),
     "bad or missing embedders"),
    ("documents line not a record", lambda i: (version_of(i) / "documents.jsonl").open("a").write("[1, 2]\n"),
     "documents.jsonl line 4 is not a document record"),
    ("document field of the wrong type", edit_line("documents.jsonl", 0, lambda r: r.update(title={"x": 1})),
     "documents.jsonl line 1 has a field of the wrong type"),
    ("documents not UTF-8", lambda i: (version_of(i) / "documents.jsonl").write_bytes(b"\xff\xfe{}"),
     "not UTF-8"),
    ("chunk outside its document", edit_line("chunks.jsonl", 0, lambda r: r.update(end=10**9)),
     "chunks.jsonl line 1 points outside its document's text"),
    ("chunk of an unknown document", edit_line("chunks.jsonl", 0, lambda r: r.update(doc="0123456789abcdef")),
     "chunks.jsonl line 1 points outside"),
    ("chunk with bad sentence spans", edit_line("chunks.jsonl", 0, lambda r: r.update(sentences=[[5, 2, 1]])),
     "chunks.jsonl line 1 is not a chunk record"),
    ("chunks file truncated", truncate(lambda i: version_of(i) / "chunks.jsonl", 0.5), "chunks.jsonl line"),
    ("BM25 asks for another backend", set_bm25_params(backend="numba"), "unexpected settings"),
    ("BM25 with unknown parameters", set_bm25_params(corpus=["x"]), "unexpected settings"),
    ("BM25 postings beyond the rows", bad_postings, "bm25/ files do not fit together"),
    ("BM25 scores truncated", truncate(lambda i: version_of(i) / "bm25" / "data.csc.index.npy", 0.6),
     "bm25/data.csc.index.npy is not a plain numeric array"),
    ("index built with a model whose vectors changed", model_changed,
     "now gives 256-dimensional vectors but the index at"),
    ("index built with a model not available here", unknown_model,
     "built with model 'bert-base-german', which cannot be loaded here"),
]


def one_line(message: str) -> None:
    assert "\n" not in message and "Traceback" not in message, message


@pytest.mark.parametrize(("damage", "expected"), [case[1:] for case in DAMAGES], ids=[case[0] for case in DAMAGES])
def test_damaged_index_gives_a_clear_error_with_the_fix(
    index_copy: Path, damage: Callable[[Path], None], expected: str, capsys: pytest.CaptureFixture[str],
    built: tuple[Path, Path],
) -> None:
    damage(index_copy)
    with pytest.raises(fundstelle.IndexFolderError) as info:
        Index.open(index_copy).search("Rhein")
    message = str(info.value)
    one_line(message)
    assert expected in message and FIX in advice(info.value), message

    # The command line says the same in one line, exit status 2.
    assert main(["search", "Rhein", "--index", str(index_copy)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and expected in err and err.count("\n") == 1, err

    # An ingest into it stops with the same advice; --rebuild repairs it.
    with pytest.raises(fundstelle.IndexFolderError) as refused:
        ingest([built[1]], index_copy)
    if "cannot be loaded here" in expected:
        assert "unknown model 'bert-base-german'" in str(refused.value)
    assert FIX in advice(refused.value)
    assert ingest([built[1]], index_copy, model="hashing", rebuild=True).documents == 3
    assert Index.open(index_copy).search("Rhein", k=1)[0].title == "Der Rhein"


def test_a_folder_without_an_index_says_how_to_build_one(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "leer").mkdir()
    (tmp_path / "datei").write_text("kein Index")
    for path in (tmp_path / "leer", tmp_path / "gibt-es-nicht"):
        with pytest.raises(IndexNotFoundError, match=r"no index at ") as info:
            Index.open(path)
        assert "build one with: python ingest.py" in advice(info.value)
    with pytest.raises(fundstelle.IndexFolderError, match="is a file, not an index folder"):
        Index.open(tmp_path / "datei")
    assert main(["search", "Rhein", "--index", str(tmp_path / "leer")]) == 2
    assert capsys.readouterr().err.startswith("error: no index at ")


def test_index_built_with_another_model(index_copy: Path, built: tuple[Path, Path],
                                        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(IndexMismatchError, match=r"built with model 'hashing', not 'e5-small-int4'") as info:
        Index.open(index_copy, model="e5-small-int4")
    assert "--rebuild" in advice(info.value)
    assert main(["ingest", str(built[1]), "--index", str(index_copy), "--model", "hashing-64", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: index ") and "built with model 'hashing', not 'hashing-64'" in err
    assert "--rebuild --model hashing-64" in err and err.count("\n") == 1


# --- no code execution from data --------------------------------------------------------------

class Payload:
    """Unpickling this creates the marker file: proof that code ran."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[object, tuple[str, str]]:
        return open, (str(self.marker), "w")


INDEX_FILES = ["manifest.json", "documents.jsonl", "chunks.jsonl", "dense-0.faiss", "bm25/params.index.json",
               "bm25/vocab.index.json", "bm25/fundstelle.json", "bm25/data.csc.index.npy",
               "bm25/indices.csc.index.npy", "bm25/indptr.csc.index.npy"]


def test_the_payload_would_run_if_unpickled(tmp_path: Path) -> None:
    """The control: the payload used below does run code when something unpickles it."""
    marker = tmp_path / "ran"
    pickle.loads(pickle.dumps(Payload(marker)))
    assert marker.exists()


@pytest.mark.parametrize("name", INDEX_FILES)
def test_a_pickle_in_any_index_file_never_runs(index_copy: Path, tmp_path: Path, name: str) -> None:
    marker = tmp_path / "ran"
    path = version_of(index_copy) / name
    if path.suffix == ".npy":  # a numpy file holding an object array: unpickled by np.load(allow_pickle=True)
        np.save(path, np.array([Payload(marker), 1], dtype=object), allow_pickle=True)
    else:
        path.write_bytes(pickle.dumps(Payload(marker)))
    with pytest.raises(fundstelle.IndexFolderError) as info:
        Index.open(index_copy)
    one_line(str(info.value))
    assert FIX in advice(info.value)
    assert not marker.exists(), "loading the index ran code from it"


def test_the_library_has_no_way_to_unpickle_or_eval() -> None:
    """Nothing in the package can turn data into code: no pickle, eval, exec or allow_pickle=True."""
    forbidden = re.compile(
        r"\bimport (pickle|marshal|shelve|dill|joblib|cloudpickle)\b|\bfrom (pickle|marshal|shelve)\b"
        r"|\beval\(|\bexec\(|allow_pickle\s*=\s*True|torch\.load\(|yaml\.load\(|\bmmap_mode\s*=\s*['\"]r\+"
    )
    package = Path(fundstelle.__file__).parent
    offenders = [f"{path.name}: {match.group(0)}" for path in sorted(package.rglob("*.py"))
                 for match in forbidden.finditer(path.read_text(encoding="utf-8"))]
    assert offenders == []
