"""Hostile files and hostile folders: no code runs, nothing outside is touched, nothing is lost.

Issue 18. Each test stands for one numbered item of the issue, and each failed on the
main branch before the fix: a model folder named by an index ran its own module (1);
an ingest wrote through symlinks in the index folder (2) and followed symlinks out of
the folder it was given (3); terminal escapes reached the terminal (4); a string or an
empty path meant every document (5); an ordinary folder given as the index lost files
(6); ``--rebuild`` forgot the model and the previous version (7); a PDF or a page could
hold the ingest for hours (8); tiny sentences cost a vector each (9); a growing file
was read without end (10); index files that lie about their size took gigabytes (11);
a file name that is not UTF-8 stopped the ingest (12); a full disk left a traceback
and its leftovers (13); ``search | head`` ended in a traceback (14); and a page in
windows-1251 or Shift_JIS came out garbled (15).
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time
import types
import zlib
from pathlib import Path

import numpy as np
import pytest
from conftest import DOCS, PDF_TEXT, ROOT, make_pdf, pdf_file

import fundstelle.load.decode
import fundstelle.load.limits
import fundstelle.store
from fundstelle import Index, IndexFolderError, IndexMismatchError, LoadError, ingest
from fundstelle.cli import main
from fundstelle.load import load_document
from fundstelle.model_check import check_model_folder
from fundstelle.sentences import CHARS_PER_SENTENCE_VECTOR

GOOD = {"rhein.txt", "brot.md", "mond.html", "zugspitze.pdf"}


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
                          errors="surrogateescape")


def version_of(index: Path) -> Path:
    return index / (index / "CURRENT").read_text().strip()


def one_line(message: str) -> None:
    assert "\n" not in message.strip() and "Traceback" not in message, message


# --- 1. loading an index never runs code ------------------------------------------------------

EVIL_MODULE = """
from pathlib import Path
Path(__file__).with_name("RAN").write_text("the model folder's own code ran")

class Evil:
    pass
"""


def fake_sentence_transformers(calls: list[dict]) -> types.ModuleType:
    """A stand-in for sentence-transformers before 6.0: it imports the module a local folder's modules.json names.

    (sentence-transformers 5.1.2, allowed by the project's old ``>=3.0``, did exactly
    that whatever ``trust_remote_code`` said.) It records how it was called.
    """
    import importlib.util

    class SentenceTransformer:
        def __init__(self, name: str, **kwargs: object) -> None:
            calls.append(kwargs)
            for module in json.loads((Path(name) / "modules.json").read_text()):
                module_name = module["type"].rpartition(".")[0]
                file = Path(name) / f"{module_name}.py"
                if file.exists():
                    spec = importlib.util.spec_from_file_location(module_name, file)
                    assert spec is not None and spec.loader is not None
                    spec.loader.exec_module(importlib.util.module_from_spec(spec))

        def get_sentence_embedding_dimension(self) -> int:
            return 256

        def encode(self, texts: list[str], **kwargs: object) -> np.ndarray:
            return np.ones((len(texts), 256), dtype=np.float32)

    module = types.ModuleType("sentence_transformers")
    module.SentenceTransformer = SentenceTransformer  # type: ignore[attr-defined]
    return module


def model_folder(folder: Path, modules: list[dict], files: dict[str, str] | None = None) -> Path:
    folder.mkdir(parents=True)
    (folder / "modules.json").write_text(json.dumps(modules))
    (folder / "model.safetensors").write_bytes(b"{}")
    for name, text in (files or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


PLAIN = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
         {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}]


def test_an_index_naming_a_model_folder_with_its_own_code_never_runs_it(
    corpus: Path, index_dir: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    ingest([corpus], index_dir, model="hashing")
    # The model folder sits inside the index itself; the manifest names it.
    evil = model_folder(index_dir / "modell", [{"idx": 0, "name": "0", "path": "", "type": "evil.Evil"}],
                        {"evil.py": EVIL_MODULE})
    spec = f"sentence-transformers:{evil}"
    manifest_path = version_of(index_dir) / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest["model"] = manifest["embedders"][0]["spec"] = spec
    manifest_path.write_text(json.dumps(manifest))
    calls: list[dict] = []
    monkeypatch.setitem(sys.modules, "sentence_transformers", fake_sentence_transformers(calls))

    with pytest.raises(IndexMismatchError, match="names the module class 'evil.Evil'.*could run code") as info:
        Index.open(index_dir).search("Rhein")
    one_line(str(info.value))
    assert not (evil / "RAN").exists(), "loading the index ran code from the model folder"
    assert calls == []  # refused before the library saw the folder

    # A plain model folder is handed over, and with trust_remote_code=False.
    plain = model_folder(index_dir / "plain", PLAIN, {"1_Pooling/config.json": '{"pooling_mode_mean_tokens": true}'})
    manifest["model"] = manifest["embedders"][0]["spec"] = f"sentence-transformers:{plain}"
    manifest_path.write_text(json.dumps(manifest))
    Index.open(index_dir).search("Rhein")
    assert calls and calls[0]["trust_remote_code"] is False


@pytest.mark.parametrize(("modules", "files", "expected"), [
    ([{"path": "", "type": "custom_code.MyModule"}], {}, "names the module class 'custom_code.MyModule'"),
    ([{"path": "", "type": "sentence_transformers.models.Router"}], {}, "not one of sentence-transformers' own"),
    ([{"path": "", "type": "sentence_transformers.models.WordEmbeddings"}], {}, "not one of"),
    ([{"path": "../../elsewhere", "type": "sentence_transformers.models.Pooling"}], {}, "points outside"),
    (PLAIN, {"config.json": '{"auto_map": {"AutoModel": "modeling.Model"}}'}, "auto_map"),
    (PLAIN, {"sentence_bert_config.json": '{"model_args": {"trust_remote_code": true}}'}, "trust_remote_code"),
    (PLAIN, {"2_Dense/config.json": '{"activation_function": "antigravity.fly"}'}, "not in torch.nn"),
    (PLAIN, {"2_Dense/pytorch_model.bin": "pickle"}, "pickled weights"),
], ids=["custom module", "router", "word embeddings", "path outside", "auto_map", "trust_remote_code",
        "foreign activation", "pickle weights only"])
def test_a_model_folder_that_could_run_code_is_refused(
    tmp_path: Path, modules: list[dict], files: dict[str, str], expected: str,
) -> None:
    folder = model_folder(tmp_path / "modell", modules, files)
    with pytest.raises(ValueError, match=expected):
        check_model_folder(folder)


def test_a_plain_model_folder_passes_the_check(tmp_path: Path) -> None:
    folder = model_folder(tmp_path / "modell", [
        *PLAIN, {"path": "2_Dense", "type": "sentence_transformers.base.modules.dense.Dense"},
        {"path": "3_Normalize", "type": "sentence_transformers.models.Normalize"},
    ], {"2_Dense/config.json": '{"activation_function": "torch.nn.modules.activation.Tanh"}',
        "2_Dense/pytorch_model.bin": "pickle", "2_Dense/model.safetensors": "{}"})
    check_model_folder(folder)  # pickles beside safetensors are never read: the safetensors are


# --- 2. nothing is written through a link in the index folder ---------------------------------

@pytest.mark.parametrize("name", ["ingest.lock", ".CURRENT.partial", "CURRENT"])
def test_a_symlink_in_the_index_folder_is_never_written_through(
    corpus: Path, index_dir: Path, tmp_path: Path, name: str,
) -> None:
    ingest([corpus], index_dir, model="hashing")
    victim = tmp_path / "wertvoll.txt"
    victim.write_text("Meine Daten.")
    (index_dir / name).unlink(missing_ok=True)
    (index_dir / name).symlink_to(victim)
    (corpus / "neu.txt").write_text("Ein neuer Text über die Nordsee.")
    with pytest.raises(IndexFolderError, match=f"{name} is a symbolic link") as info:
        ingest([corpus], index_dir)
    one_line(str(info.value))
    assert victim.read_text() == "Meine Daten."
    assert (index_dir / name).is_symlink()  # not deleted either: the index did not create it
    assert main(["ingest", str(corpus), "--index", str(index_dir), "--quiet"]) == 2
    assert victim.read_text() == "Meine Daten."


def test_a_hard_linked_lock_file_is_not_written(corpus: Path, index_dir: Path, tmp_path: Path) -> None:
    ingest([corpus], index_dir, model="hashing")
    victim = tmp_path / "wertvoll.txt"
    victim.write_text("Meine Daten.")
    (index_dir / "ingest.lock").unlink()
    os.link(victim, index_dir / "ingest.lock")
    with pytest.raises(IndexFolderError, match="hard links"):
        ingest([corpus], index_dir)
    assert victim.read_text() == "Meine Daten."


def test_a_symlinked_leftover_folder_is_neither_followed_nor_deleted(
    corpus: Path, index_dir: Path, tmp_path: Path,
) -> None:
    ingest([corpus], index_dir, model="hashing")
    outside = tmp_path / "draussen"
    outside.mkdir()
    (outside / "wichtig.txt").write_text("Bleibt.")
    (index_dir / ".v000002.partial").symlink_to(outside, target_is_directory=True)
    (corpus / "neu.txt").write_text("Ein neuer Text über die Nordsee.")
    with pytest.raises(IndexFolderError, match="symbolic link"):
        ingest([corpus], index_dir)
    assert (outside / "wichtig.txt").read_text() == "Bleibt."
    assert Index.open(index_dir).info.documents == 4


# --- 3. an ingest stays inside the folders it was given ----------------------------------------

def test_symlinks_out_of_an_ingested_folder_are_skipped_and_named(corpus: Path, index_dir: Path,
                                                                  tmp_path: Path) -> None:
    outside = tmp_path / "draussen"
    outside.mkdir()
    (outside / "geheim.txt").write_text("Das Passwort lautet Schwertfisch.")
    (corpus / "passwort.txt").symlink_to(outside / "geheim.txt")
    (corpus / "etc").symlink_to(outside, target_is_directory=True)
    (corpus / "status.txt").symlink_to("/proc/self/status")
    (corpus / "unter").mkdir()
    (corpus / "unter" / "auch-rhein.txt").symlink_to(corpus / "rhein.txt")  # inside: followed (and seen once)
    report = ingest([corpus], index_dir, model="hashing")
    reasons = {Path(s.source).name: s.reason for s in report.skipped}
    assert set(reasons) == {"passwort.txt", "etc", "status.txt"}
    for reason in reasons.values():
        assert "symlink leads outside the given folders" in reason
    assert "(to /proc/" in reasons["status.txt"] and str(outside) in reasons["etc"]
    assert {Path(p).name for p in report.added} == GOOD
    assert Index.open(index_dir).search("Schwertfisch Passwort", mode="lexical") == []


@pytest.mark.timeout(60)
def test_following_links_on_request_still_reads_no_system_file(corpus: Path, index_dir: Path,
                                                               tmp_path: Path) -> None:
    outside = tmp_path / "draussen"
    outside.mkdir()
    (outside / "geheim.txt").write_text("Das Passwort lautet Schwertfisch.")
    (corpus / "passwort.txt").symlink_to(outside / "geheim.txt")
    (corpus / "status.txt").symlink_to("/proc/self/status")
    (corpus / "kmsg.txt").symlink_to("/proc/kmsg")  # reading it blocks until the kernel logs something
    report = ingest([corpus], index_dir, model="hashing", follow_links=True)
    reasons = {Path(s.source).name: s.reason for s in report.skipped}
    assert set(reasons) == {"status.txt", "kmsg.txt"}
    assert all("a file of the system" in reason for reason in reasons.values())
    assert {Path(p).name for p in report.added} == GOOD | {"passwort.txt"}


# --- 4. no terminal escape reaches the terminal -----------------------------------------------

def test_html_character_references_cannot_smuggle_control_characters(tmp_path: Path) -> None:
    path = tmp_path / "seite.html"
    path.write_text("<html><head><title>Titel&#27;]0;gehackt&#7;</title></head><body>"
                    "<p>Vorher&#27;[2J nachher&#0;&#x1b;[31m rot&#x85;&#127;.</p></body></html>", encoding="utf-8")
    doc = load_document(path)
    for text in (doc.text, doc.title):
        assert not any(ord(c) < 32 and c not in "\t\n" or 0x7F <= ord(c) <= 0x9F for c in text), repr(text)
    assert doc.text.startswith("Vorher [2J nachher") and doc.title.startswith("Titel ]0;gehackt")


def test_the_command_line_prints_file_names_escaped(corpus: Path, index_dir: Path) -> None:
    (corpus / "bös\x1b[2J\nartig.txt").write_text("Der Bodensee liegt zwischen drei Ländern.", encoding="utf-8")
    (corpus / "leer\x1b]0;Titel\x07.txt").write_text("")
    result = run(str(ROOT / "ingest.py"), str(corpus), "--index", str(index_dir), "--model", "hashing", "--quiet")
    assert result.returncode == 1, result.stderr
    assert "\x1b" not in result.stderr + result.stdout and "\x07" not in result.stderr
    skipped = [line for line in result.stderr.splitlines() if line.startswith("skipped ")]
    assert skipped == [f"skipped {corpus}/leer\\x1b]0;Titel\\x07.txt: no text in file (empty, or only markup)"]
    found = run("-m", "fundstelle", "search", "Bodensee Ländern", "--index", str(index_dir), "--k", "1")
    assert found.returncode == 0, found.stderr
    assert "\x1b" not in found.stdout and "bös\\x1b[2J\\x0aartig.txt" in found.stdout


# --- 5. one path is one path; an empty one is refused -----------------------------------------

def test_a_single_path_is_one_path(corpus: Path, index_dir: Path, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    (corpus / "sub").mkdir()
    (corpus / "sub" / "drei.txt").write_text("Drei Dinge sind gewiss.", encoding="utf-8")
    index = Index.build(str(corpus), index_dir, model="hashing")  # a string, not a list
    assert index.info.documents == 5
    report = index.remove(str(corpus / "sub" / "drei.txt"))
    assert [Path(p).name for p in report.removed] == ["drei.txt"] and index.info.documents == 4
    work = tmp_path / "arbeit"
    work.mkdir()
    for name in ("eins.txt", "zwei.txt"):
        (work / name).write_text(f"Die Datei {name} liegt im Arbeitsordner.", encoding="utf-8")
    monkeypatch.chdir(work)
    report = index.add("eins.txt")
    assert [Path(p).name for p in report.added] == ["eins.txt"] and index.info.documents == 5


def test_empty_paths_are_refused_and_nothing_is_removed(corpus: Path, index_dir: Path,
                                                        capsys: pytest.CaptureFixture[str]) -> None:
    index = Index.build([corpus], index_dir, model="hashing")
    for call in (lambda: index.remove(""), lambda: index.remove([" "]), lambda: index.add(""),
                 lambda: ingest([corpus, ""], index_dir), lambda: ingest((), index_dir, remove=[""])):
        with pytest.raises(ValueError, match="empty"):
            call()
    assert main(["ingest", "--remove", "", "--index", str(index_dir), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: an empty path to remove was given") and err.count("\n") == 1
    assert Index.open(index_dir).info.documents == 4


# --- 6. an ordinary folder is not taken for an index ------------------------------------------

def test_an_ordinary_folder_given_as_the_index_is_refused_untouched(corpus: Path, tmp_path: Path,
                                                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "projekt"
    (folder / "v000001").mkdir(parents=True)
    (folder / "v000001" / "entwurf.txt").write_text("Erster Entwurf.")
    (folder / "download.partial").write_text("halb geladen")
    (folder / ".v000007.partial").mkdir()
    (folder / "notizen.txt").write_text("Wichtig.")
    before = sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))
    with pytest.raises(IndexFolderError, match="not empty and holds no Fundstelle index") as info:
        ingest([corpus], folder, model="hashing", rebuild=True)
    one_line(str(info.value))
    assert main(["ingest", str(corpus), "--index", str(folder), "--model", "hashing", "--quiet"]) == 2
    assert "holds no Fundstelle index" in capsys.readouterr().err
    assert sorted(str(p.relative_to(folder)) for p in folder.rglob("*")) == before


def test_an_index_deletes_only_what_it_created(corpus: Path, index_dir: Path, tmp_path: Path) -> None:
    ingest([corpus], index_dir, model="hashing")
    outside = tmp_path / "draussen"
    outside.mkdir()
    (index_dir / "notizen.partial").write_text("meins")
    (index_dir / "v000009").symlink_to(outside, target_is_directory=True)
    (corpus / "neu.txt").write_text("Ein neuer Text über die Nordsee.")
    for _ in range(3):
        (corpus / "neu.txt").write_text((corpus / "neu.txt").read_text() + " Noch ein Satz.")
        ingest([corpus], index_dir)
    assert (index_dir / "notizen.partial").read_text() == "meins"
    assert (index_dir / "v000009").is_symlink() and outside.is_dir()


def test_a_folder_holding_only_hidden_files_counts_as_empty(corpus: Path, tmp_path: Path) -> None:
    folder = tmp_path / "index"  # like the repository's index/, which holds its .gitignore
    folder.mkdir()
    (folder / ".gitignore").write_text("*\n!.gitignore\n")
    assert ingest([corpus], folder, model="hashing").documents == 4
    assert (folder / ".gitignore").read_text() == "*\n!.gitignore\n"


def test_an_index_from_before_the_marker_is_still_updated(corpus: Path, index_dir: Path) -> None:
    ingest([corpus], index_dir, model="hashing")
    (index_dir / fundstelle.store.MARKER).unlink()
    (corpus / "neu.txt").write_text("Ein neuer Text über die Nordsee.")
    assert [Path(p).name for p in ingest([corpus], index_dir).added] == ["neu.txt"]
    assert (index_dir / fundstelle.store.MARKER).is_file()


# --- 7. --rebuild keeps the model and the previous version ------------------------------------

def test_rebuild_without_a_model_keeps_the_model_chunking_and_previous_version(corpus: Path, index_dir: Path) -> None:
    ingest([corpus], index_dir, model="hashing-64", chunk_size=300, chunk_overlap=100)
    first = (index_dir / "CURRENT").read_text().strip()
    assert main(["ingest", str(corpus), "--index", str(index_dir), "--rebuild", "--quiet"]) == 0
    info = Index.open(index_dir).info
    assert (info.model, info.chunk_size, info.chunk_overlap) == ("hashing-64", 300, 100)
    assert info.version != first and (index_dir / first / "manifest.json").is_file()
    # Asked for, another model and chunking are taken.
    ingest([corpus], index_dir, model="hashing", chunk_size=500, rebuild=True)
    info = Index.open(index_dir).info
    assert (info.model, info.chunk_size, info.chunk_overlap) == ("hashing", 500, 100)


# --- 8. parsing one file has a budget ---------------------------------------------------------

def bomb_pdf(pages: int, inflated: int) -> bytes:
    """A PDF whose pages share one content stream of drawing commands that inflates to ``inflated`` bytes."""
    content = (b"0 0 m 100 100 l S\n" * (inflated // 18 + 1))[:inflated]
    stream = zlib.compress(content, 9)
    kids = " ".join(f"{4 + i} 0 R" for i in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        f"<< /Type /Pages /Kids [{kids}] /Count {pages} >>".encode(),
        b"<< /Length " + str(len(stream)).encode() + b" /Filter /FlateDecode >>\nstream\n" + stream
        + b"\nendstream",
        *[b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 3 0 R >>"] * pages,
    ]
    return pdf_file(objects)


def test_a_pdf_compression_bomb_is_skipped_at_once(corpus: Path, index_dir: Path) -> None:
    (corpus / "bombe.pdf").write_bytes(bomb_pdf(pages=10, inflated=24 * 2**20))
    assert (corpus / "bombe.pdf").stat().st_size < 100_000
    started = time.monotonic()
    report = ingest([corpus], index_dir, model="hashing")
    assert time.monotonic() - started < 20  # before: a minute, and ten times that at 70 MB a page
    [(name, reason)] = [(Path(s.source).name, s.reason) for s in report.skipped]
    assert name == "bombe.pdf" and "PDF page 1 inflates to 24 MB of content (the limit is 16 MB a page)" in reason
    assert {Path(p).name for p in report.added} == GOOD


def test_a_pdf_over_its_file_or_time_budget_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "viele.pdf"
    path.write_bytes(bomb_pdf(pages=20, inflated=2**20))
    monkeypatch.setattr(fundstelle.load.limits, "PDF_FILE_BYTES", 8 * 2**20)
    with pytest.raises(LoadError, match="PDF pages inflate to more than 8 MB of content together"):
        load_document(path)
    monkeypatch.setattr(fundstelle.load.limits, "PDF_FILE_BYTES", 256 * 2**20)
    monkeypatch.setattr(fundstelle.load.limits, "PARSE_SECONDS", 0.0)
    with pytest.raises(LoadError, match="PDF took longer than 0 s to read"):
        load_document(path)


@pytest.mark.parametrize("page", [
    "<div>" * 60_000 + "Ganz tief.",                                                    # 11 s at 40,000
    "<p " + " ".join(f"a{i}=x" for i in range(80_000)) + ">Viele Attribute.</p>",       # 33 s
], ids=["nested 60,000 deep", "80,000 attributes"])
def test_html_that_takes_too_long_to_parse_is_skipped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                      page: str) -> None:
    monkeypatch.setattr(fundstelle.load.limits, "PARSE_SECONDS", 1.0)
    path = tmp_path / "feindlich.html"
    path.write_text(f"<html><body>{page}</body></html>", encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(LoadError, match=r"HTML took longer than 1 s to parse; parsing stopped"):
        load_document(path)
    assert time.monotonic() - started < 10
    # The next page is parsed as usual (by a fresh helper process).
    good = tmp_path / "gut.html"
    good.write_text("<html><body><main><p>" + "Ein ganz normaler Satz. " * 3000 + "</p></main></body></html>")
    assert load_document(good).text.startswith("Ein ganz normaler Satz.")


# --- 9. tiny sentences do not cost a vector each ----------------------------------------------

def test_a_text_of_tiny_sentences_gets_a_bounded_number_of_sentence_vectors(tmp_path: Path, index_dir: Path) -> None:
    folder = tmp_path / "ja"
    folder.mkdir()
    text = "Ja. " * 16_384  # 64 KB
    (folder / "ja.txt").write_text(text)
    prose = DOCS["rhein.txt"]
    (folder / "rhein.txt").write_text(prose, encoding="utf-8")
    ingest([folder], index_dir, model="hashing")
    index = Index.open(index_dir)
    rows_of: dict[str, set[int]] = {}
    for chunk in index.snapshot.chunks:
        rows_of.setdefault(Path(index.document(chunk.doc).source).name, set()).update(chunk.sentence_rows)
    assert len(rows_of["ja.txt"]) <= len(text) // CHARS_PER_SENTENCE_VECTOR + 2  # before: 16,384
    assert len(rows_of["rhein.txt"]) == 6  # prose keeps a vector per sentence
    hit = index.search("Ja", k=1)[0]
    assert hit.source.endswith("ja.txt") and hit.answer is not None and hit.answer.text.startswith("Ja.")


# --- 10. a file that grows while it is read ---------------------------------------------------

@pytest.mark.parametrize("name", ["wachsend.txt", "wachsend.pdf"])
def test_a_file_that_grows_while_read_stops_at_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         name: str) -> None:
    path = tmp_path / name
    path.write_bytes(make_pdf(PDF_TEXT) if name.endswith(".pdf") else b"Ein Satz, der wachsen wird.\n" * 100)
    monkeypatch.setattr(fundstelle.load.limits, "MAX_FILE_BYTES", 100_000)
    monkeypatch.setattr(fundstelle.load.limits, "READ_BLOCK_BYTES", 4096)
    real_fstat = os.fstat

    def fstat_then_grow(fd: int) -> os.stat_result:
        info = real_fstat(fd)
        with open(path, "ab") as handle:  # someone appends right after the size was checked
            handle.write(b"\nNoch mehr Text." * 20_000)
        return info

    monkeypatch.setattr(fundstelle.load.decode, "os", types.SimpleNamespace(**{**vars(os), "fstat": fstat_then_grow}))
    with pytest.raises(LoadError, match="file too large .it grew past the limit of 0 MB while it was read"):
        load_document(path)


# --- 11. index files that lie about their size ------------------------------------------------

PEAK_CHILD = """
import resource, sys
from fundstelle import Index, IndexFolderError
from fundstelle.cli import advice
base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
try:
    Index.open(sys.argv[1])
    print("OPENED")
except IndexFolderError as error:
    print("ERROR", advice(error))
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - base) // 1024)
"""


def sparse(path: Path, size: int) -> None:
    path.unlink()
    with open(path, "wb") as handle:
        handle.truncate(size)


def faiss_claiming(index: Path, size: int) -> None:
    """dense-0.faiss claims ``size`` bytes of vectors in its header; it holds a few kilobytes."""
    path = version_of(index) / "dense-0.faiss"
    data = bytearray(path.read_bytes())
    count = size // (256 * 4)
    data[8:16] = count.to_bytes(8, "little")  # ntotal, after the kind and the dimension
    data[37:45] = (count * 256).to_bytes(8, "little")  # the vector array's length, after the 37-byte header
    path.write_bytes(data)


def sparse_npy(path: Path, size: int) -> None:
    """A numpy file whose header claims ``size`` bytes of float32; the file is sparse (holes read as zeros)."""
    with open(path, "wb") as handle:
        np.lib.format.write_array_header_1_0(handle, {"descr": "<f4", "fortran_order": False, "shape": (size // 4,)})
        handle.truncate(handle.tell() + size)


@pytest.mark.parametrize(("damage", "expected"), [
    (lambda i: sparse(version_of(i) / "documents.jsonl", 2**30), "documents.jsonl line 1 is not a document record"),
    (lambda i: sparse_npy(version_of(i) / "bm25" / "data.csc.index.npy", 2**30),
     "bm25/ score arrays are larger than the chunks and the vocabulary allow"),
    (lambda i: faiss_claiming(i, 2**30), "dense-0.faiss is truncated or damaged (the vector array claims"),
    (lambda i: sparse(i / "CURRENT", 2**30), "CURRENT is damaged (far too long for a version name)"),
], ids=["sparse documents.jsonl", "sparse BM25 scores", "FAISS header claiming 1 GB", "sparse CURRENT"])
def test_index_files_that_lie_about_their_size_take_no_memory(corpus: Path, index_dir: Path, damage: object,
                                                              expected: str) -> None:
    ingest([corpus], index_dir, model="hashing")
    damage(index_dir)  # type: ignore[operator]
    result = run("-c", PEAK_CHILD, str(index_dir))
    assert result.returncode == 0, result.stderr[-2000:]
    status, grown_mb = result.stdout.splitlines()
    assert status.startswith("ERROR") and expected in status and "--rebuild" in status, status
    assert int(grown_mb) < 100  # before: at least the gigabyte claimed


# --- 12. a file name that is not UTF-8 --------------------------------------------------------

def test_a_file_name_that_is_not_utf8_is_skipped_and_named(corpus: Path, index_dir: Path) -> None:
    name = os.fsencode(corpus) + b"/gr\xfc\xdfe.txt"  # "grüße.txt" in Latin-1
    with open(name, "wb") as handle:
        handle.write("Grüße aus dem Süden.".encode())
    report = ingest([corpus], index_dir, model="hashing")
    [skipped] = report.skipped
    assert skipped.source.endswith("gr\udcfc\udcdfe.txt") and "file name is not valid UTF-8" in skipped.reason
    assert {Path(p).name for p in report.added} == GOOD
    result = run(str(ROOT / "ingest.py"), str(corpus), "--index", str(index_dir), "--quiet")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert f"skipped {corpus}/gr\\udcfc\\udcdfe.txt: file name is not valid UTF-8" in result.stderr


# --- 13. a full disk --------------------------------------------------------------------------

def test_a_full_disk_in_faiss_leaves_the_old_index_and_no_leftovers(
    corpus: Path, index_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    ingest([corpus], index_dir, model="hashing")
    before = sorted(p.name for p in index_dir.iterdir())

    def full(self: object, path: Path) -> None:
        path.write_bytes(b"IxFI" + bytes(100))  # a part written, then the disk is full
        raise RuntimeError("Error in void faiss::write_index(const Index*, IOWriter*) at /project/faiss/faiss/impl/"
                           "index_write.cpp:822: Error: 'ret == (n)' failed: write error in dense-0.faiss: 0 != 1 "
                           "(No space left on device)")

    monkeypatch.setattr(fundstelle.backends.FaissIndex, "save", full)
    (corpus / "neu.txt").write_text("Ein neuer Text über die Nordsee.")
    with pytest.raises(fundstelle.IndexWriteError, match=r"could not write a new version of the index .*No space "
                                                         r"left on device.*previous version is still live") as info:
        ingest([corpus], index_dir)
    one_line(str(info.value))
    assert sorted(p.name for p in index_dir.iterdir()) == before  # no .partial folder holding the disk
    assert main(["ingest", str(corpus), "--index", str(index_dir), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: could not write a new version") and err.count("\n") == 1
    assert Index.open(index_dir).info.documents == 4


# --- 14. output cut short ---------------------------------------------------------------------

@pytest.mark.parametrize("command", ["search", "ask"])
def test_output_cut_short_by_a_closed_pipe_ends_quietly(corpus: Path, index_dir: Path, command: str) -> None:
    ingest([corpus], index_dir, model="hashing")
    process = subprocess.Popen(
        [sys.executable, "-m", "fundstelle", command, "Wo mündet der Rhein?", "--index", str(index_dir)],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stderr is not None
    process.stdout.close()  # like `| head` that has read all it wants
    err = process.stderr.read().decode()
    assert process.wait(timeout=120) == 1
    assert err == ""


# --- 15. a declared charset -------------------------------------------------------------------

@pytest.mark.parametrize(("declaration", "encoding", "title", "text"), [
    ("<meta charset=windows-1251>", "cp1251", "Москва", "Москва — столица России."),
    ('<meta http-equiv="Content-Type" content="text/html; charset=Shift_JIS">', "shift_jis", "東京",
     "東京は日本の首都です。"),
    ('<meta charset="iso-8859-1">', "latin-1", "Köln", "Grüße aus Köln."),
    ('<meta charset="iso-8859-1">', "utf-8", "Köln", "Grüße aus Köln, als UTF-8 gespeichert."),  # a stale declaration
], ids=["windows-1251", "Shift_JIS", "Latin-1", "UTF-8 declared Latin-1"])
def test_html_in_its_declared_charset_is_decoded(tmp_path: Path, declaration: str, encoding: str, title: str,
                                                 text: str) -> None:
    path = tmp_path / "seite.html"
    path.write_bytes(f"<html><head>{declaration}<title>{title}</title></head><body><p>{text}</p></body></html>"
                     .encode(encoding))
    doc = load_document(path)
    assert (doc.title, doc.text) == (title, text)
    expected = {"cp1251": "windows-1251", "shift_jis": "shift_jis", "latin-1": "windows-1252"}.get(encoding)
    assert doc.meta.get("encoding") == expected


def test_crafted_pdf_helpers_are_sane() -> None:
    """The bomb PDF is a valid PDF with pages (the tests above would pass for a broken one too)."""
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(bomb_pdf(pages=2, inflated=1000)))
    assert len(reader.pages) == 2 and reader.pages[0].get_contents().get_data().startswith(b"0 0 m")


def test_a_copied_index_with_links_is_refused_by_copy_too(corpus: Path, index_dir: Path, tmp_path: Path) -> None:
    """An index unpacked with a symlinked CURRENT: searching refuses it too, in one line."""
    ingest([corpus], index_dir, model="hashing")
    version = (index_dir / "CURRENT").read_text()
    (tmp_path / "anderswo").write_text(version)
    (index_dir / "CURRENT").unlink()
    (index_dir / "CURRENT").symlink_to(tmp_path / "anderswo")
    with pytest.raises(IndexFolderError, match="CURRENT is a symbolic link") as info:
        Index.open(index_dir)
    one_line(str(info.value))
