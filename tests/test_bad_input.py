"""Bad files and bad questions: each gets a clear one-line reason, and nothing else is lost.

Issue 6, items 1 and 2. Files are untrusted: every kind of bad file below is skipped
with a reason naming it while the good files beside it are indexed, and the exit
status of ``ingest.py`` says that something failed. Text in another encoding is
decoded correctly (or the mix is reported), never silently mangled.
"""

from __future__ import annotations

import io
import os
import random
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import PDF_TEXT, ROOT, make_pdf

import fundstelle.load.decode
import fundstelle.load.limits
from fundstelle import Index, LoadError, ingest
from fundstelle.index import MAX_QUESTION_CHARS
from fundstelle.load import EncodingWarning_, load_document

GOOD = {"rhein.txt", "brot.md", "mond.html", "zugspitze.pdf"}


def run(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def encrypted_pdf() -> bytes:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf(PDF_TEXT))))
    writer.encrypt(user_password="geheim", algorithm="RC4-128")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def random_bytes(size: int) -> bytes:
    rng = random.Random(6)
    return bytes(rng.randrange(1, 256) for _ in range(size))  # no NUL byte at all


# name, content, what the reason says
BAD_FILES: list[tuple[str, Callable[[], bytes], str]] = [
    ("leer.txt", lambda: b"", "no text"),
    ("nur-leerraum.md", lambda: b" \n\t\n  \n", "no text"),
    ("bild.txt", lambda: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(200), "binary"),
    ("zufall.txt", lambda: random_bytes(4000), "binary file"),
    ("utf16-kaputt.txt", lambda: b"\xff\xfe" + "Hallo".encode("utf-16-le") + b"\x00", "invalid UTF-16"),
    ("scan.pdf", lambda: make_pdf("").replace(b"() Tj T*", b""), "no text layer"),
    ("kaputt.pdf", lambda: b"%PDF-1.7\n" + bytes(range(256)) * 40, "corrupt or unreadable PDF"),
    ("halb.pdf", lambda: make_pdf(PDF_TEXT)[:400], "corrupt or unreadable PDF"),
    ("geheim.pdf", encrypted_pdf, "encrypted"),
    ("nur-skript.html", lambda: b"<html><head><script>" + b"var x = 1;" * 5000 + b"</script></head><body>"
                                b"<script>document.write('Werbung')</script></body></html>", "no text"),
]


def check_reason(reason: str) -> None:
    assert "\n" not in reason and 10 < len(reason) < 250, reason
    assert "Traceback" not in reason


@pytest.mark.parametrize(("name", "content", "reason"), BAD_FILES, ids=[case[0] for case in BAD_FILES])
def test_bad_file_is_skipped_with_a_reason_and_the_rest_indexed(
    corpus: Path, index_dir: Path, name: str, content: Callable[[], bytes], reason: str
) -> None:
    (corpus / name).write_bytes(content())
    report = ingest([corpus], index_dir, model="hashing")
    assert [Path(s.source).name for s in report.skipped] == [name]
    assert reason in report.skipped[0].reason
    check_reason(report.skipped[0].reason)
    assert {Path(p).name for p in report.added} == GOOD
    assert report.failed


def test_symlink_loop_pipe_and_missing_path_are_reported(corpus: Path, index_dir: Path) -> None:
    (corpus / "unter").mkdir()
    (corpus / "unter" / "schleife").symlink_to(corpus, target_is_directory=True)
    (corpus / "sich-selbst.txt").symlink_to(corpus / "sich-selbst.txt")
    os.mkfifo(corpus / "rohr.txt")  # reading a pipe would block forever
    report = ingest([corpus, corpus / "fehlt.txt"], index_dir, model="hashing")
    reasons = {Path(s.source).name: s.reason for s in report.skipped}
    assert set(reasons) == {"schleife", "sich-selbst.txt", "rohr.txt", "fehlt.txt"}
    assert "symlink loop" in reasons["schleife"]
    assert "symlink" in reasons["sich-selbst.txt"]
    assert "not a regular file" in reasons["rohr.txt"]
    assert "no such file" in reasons["fehlt.txt"]
    for reason in reasons.values():
        check_reason(reason)
    assert {Path(p).name for p in report.added} == GOOD


def test_pipe_given_by_name_does_not_hang(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "rohr.txt")
    with pytest.raises(LoadError, match="not a regular file"):
        load_document(tmp_path / "rohr.txt")


def test_deeply_nested_folders_are_walked(tmp_path: Path, index_dir: Path) -> None:
    folder = deepest = tmp_path / "tief"
    folder.mkdir()
    for _ in range(1200):  # deeper than Python's recursion limit
        deepest = deepest / "o"
        deepest.mkdir()
    (deepest / "unten.txt").write_text("Ganz unten im Ordnerbaum liegt ein Text.", encoding="utf-8")
    try:
        report = ingest([folder], index_dir, model="hashing")
        assert [Path(p).name for p in report.added] == ["unten.txt"] and not report.failed
    finally:
        # Remove the tree bottom up: shutil.rmtree (and so pytest's clean-up) recurses too deep for it.
        (deepest / "unten.txt").unlink()
        while deepest != tmp_path:
            deepest.rmdir()
            deepest = deepest.parent


def test_file_that_disappears_mid_ingest(corpus: Path, index_dir: Path) -> None:
    vanishing = corpus / "verschwindet.txt"
    vanishing.write_text("Diese Datei wird gelöscht, bevor sie gelesen wird.", encoding="utf-8")

    def progress(stage: str, done: int, total: int) -> None:
        if stage == "load" and done == 1:  # files load in name order: brot.md first, this one last
            vanishing.unlink()

    report = ingest([corpus], index_dir, model="hashing", progress=progress)
    assert [(Path(s.source).name, s.reason) for s in report.skipped] == [
        ("verschwindet.txt", "file disappeared before it could be read")
    ]
    assert {Path(p).name for p in report.added} == GOOD


def test_too_large_file_is_refused_with_the_limit(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fundstelle.load.limits, "MAX_FILE_BYTES", 1000)
    path = tmp_path / "riesig.txt"
    path.write_text("Wort " * 1000, encoding="utf-8")
    with pytest.raises(LoadError, match="file too large .* limit"):
        load_document(path)


# --- encodings: decoded correctly, or the mix reported -------------------------------------

GERMAN = "Größere Flüsse fließen „gemächlich“ – über 1233 km – in die Nordsee. Preis: 5 €."


@pytest.mark.parametrize("encoding", ["cp1252", "latin-1", "utf-8", "utf-8-sig", "utf-16"])
def test_text_is_decoded_correctly_in_common_encodings(tmp_path: Path, encoding: str) -> None:
    text = GERMAN if encoding != "latin-1" else GERMAN.replace("„", '"').replace("“", '"').replace(
        "–", "-").replace("€", "EUR")
    path = tmp_path / "alt.txt"
    path.write_bytes(text.encode(encoding))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean file gives no warning
        doc = load_document(path)
    assert doc.text == text
    expected = None if encoding.startswith("utf") else "windows-1252"
    assert doc.meta.get("encoding") == expected


def test_utf8_file_with_latin1_lines_is_decoded_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "gemischt.txt"
    path.write_bytes("Größe in UTF-8.\n".encode() + "Größe in Latin-1.\n".encode("latin-1"))
    with pytest.warns(EncodingWarning_, match=r"gemischt.txt: not valid UTF-8; 2 byte\(s\)"):
        doc = load_document(path)
    assert doc.text == "Größe in UTF-8.\nGröße in Latin-1.\n"
    assert doc.meta["encoding"] == "utf-8 with 2 byte(s) read as windows-1252"


def test_line_ends_decomposed_umlauts_and_control_characters_are_normalised(tmp_path: Path) -> None:
    path = tmp_path / "roh.txt"
    path.write_bytes("Titel\r\n\r\nGro\u0308\u00dfe Stra\u00dfe.\rZwei \x1b[31mrot\x1b[0m.\n".encode())
    doc = load_document(path)
    # NFC, one kind of line end, and the terminal escape defused (offsets stay put).
    assert doc.text == "Titel\n\nGröße Straße.\nZwei  [31mrot [0m.\n"
    assert doc.title == "Titel"


def test_block_reading_keeps_characters_across_block_edges(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fundstelle.load.limits, "READ_BLOCK_BYTES", 7)  # cuts through multi-byte characters
    text = "Grüße\r\naus Köln – „Dom“.\r\nA\u0308rger\n" * 20
    path = tmp_path / "bloecke.txt"
    path.write_bytes(text.encode())
    expected = text.replace("\r\n", "\n").replace("A\u0308", "Ä")
    assert load_document(path).text == expected


def test_block_edges_never_change_the_text(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Reading in 7-byte blocks gives what normalising the whole text at once gives."""
    import unicodedata

    monkeypatch.setattr(fundstelle.load.limits, "READ_BLOCK_BYTES", 7)
    pieces = ["a", "b", " ", "e\u0301", "A\u0308", "\r\n", "\r", "ö", "„", "中", "\u1100\u1161\u11a8",
              "\u0b47\u0b3e"]  # combining accents, Hangul jamo and Oriya vowels compose across characters
    rng = random.Random(7)
    path = tmp_path / "zufall.txt"
    for _ in range(200):
        text = "x" + "".join(rng.choice(pieces) for _ in range(rng.randint(0, 60)))
        path.write_bytes(text.encode())
        whole = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
        assert load_document(path).text == whole, repr(text)


def test_html_that_is_mostly_script_keeps_only_its_text(tmp_path: Path) -> None:
    path = tmp_path / "seite.html"
    path.write_text("<html><head><script>" + "var werbung = 1;\n" * 20000 + "</script></head><body>"
                    "<p>Der einzige Satz der Seite.</p><script>alert('x')</script></body></html>", encoding="utf-8")
    doc = load_document(path)
    assert doc.text == "Der einzige Satz der Seite."


def test_deeply_nested_html_loads(tmp_path: Path) -> None:
    path = tmp_path / "tief.html"
    path.write_text("<html><body>" + "<div>" * 20000 + "Ganz tief steht ein Satz." + "</div>" * 20000
                    + "</body></html>", encoding="utf-8")
    assert load_document(path).text == "Ganz tief steht ein Satz."


# --- the command line: one line per bad file, exit status 1 ---------------------------------

def test_command_line_names_every_bad_file_and_indexes_the_rest(corpus: Path, index_dir: Path) -> None:
    for name, content, _ in BAD_FILES:
        (corpus / name).write_bytes(content())
    (corpus / "schleife").symlink_to(corpus, target_is_directory=True)
    (corpus / "gemischt.txt").write_bytes("Größe.\n".encode() + "Größe.\n".encode("latin-1"))
    result = run(str(ROOT / "ingest.py"), str(corpus), "--index", str(index_dir), "--model", "hashing", "--quiet")
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    for name, _, reason in [*BAD_FILES, ("schleife", None, "loop")]:
        mine = [line for line in lines if line.startswith(f"skipped {corpus / name}: ")]
        assert len(mine) == 1 and reason in mine[0], (name, lines)
    assert "note: gemischt.txt: not valid UTF-8" in result.stderr
    assert "5 added" in result.stdout and f"{len(BAD_FILES) + 1} skipped" in result.stdout
    found = run("-m", "fundstelle", "search", "Wie hoch ist die Zugspitze?", "--index", str(index_dir), "--k", "1")
    assert found.returncode == 0 and "zugspitze.pdf" in found.stdout


# --- bad questions ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def small_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from conftest import DOCS

    folder = tmp_path_factory.mktemp("docs")
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    index = folder.parent / "index"
    ingest([folder], index, model="hashing")
    return index


@pytest.mark.parametrize("question", ["", "   ", "\t\n\r ", "\x00\x01\x1b", "\u200b\u202e"])
def test_empty_question_is_a_clear_error(small_index: Path, question: str) -> None:
    with pytest.raises(ValueError, match="the question is empty"):
        Index.open(small_index).search(question)


def test_question_must_be_text(small_index: Path) -> None:
    with pytest.raises(TypeError, match="question must be a string"):
        Index.open(small_index).search(b"Rhein")  # type: ignore[arg-type]


def test_100_kb_question_is_cut_with_a_notice(small_index: Path) -> None:
    question = "Wie lang ist der Rhein? " * 4200  # about 100 kB
    assert len(question) > 100_000
    with pytest.warns(UserWarning, match=f"question of {len(question.strip())} characters cut to its first "
                                         f"{MAX_QUESTION_CHARS}"):
        hits = Index.open(small_index).search(question, k=1)
    assert hits[0].source.endswith("rhein.txt")


@pytest.mark.parametrize("question", [
    "?!?...,;:-–—„“»«()[]{}",                                 # only punctuation
    "Wer hat 安思睿 gegründet? Кто основал Anthropic? ¿Quién?",  # mixed scripts
    "Rhein\x00\x07\x1b[2J Nordsee\u202e\ud800",                # control characters, bidi override, lone surrogate
    "🦀🌊 " * 50,                                              # emoji only
])
@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_odd_questions_never_crash(small_index: Path, question: str, mode: str) -> None:
    hits = Index.open(small_index).search(question, k=3, mode=mode)
    assert len(hits) <= 3
    for hit in hits:
        assert hit.text and hit.to_dict()["text"] == hit.text


def test_control_characters_in_a_question_are_ignored(small_index: Path) -> None:
    index = Index.open(small_index)
    plain = index.search("Rhein Nordsee", k=2)
    noisy = index.search("\x1b[0mRhein\x00\t Nordsee\x07", k=2)
    assert [(h.doc_id, h.start) for h in noisy][:1] == [(h.doc_id, h.start) for h in plain][:1]


def test_command_line_questions(small_index: Path) -> None:
    long = run("-m", "fundstelle", "search", "Wie lang ist der Rhein? " * 4100, "--index", str(small_index), "--k", "1")
    assert long.returncode == 0, long.stderr
    assert long.stderr.startswith("note: question of ") and "cut to its first 2000" in long.stderr
    assert "rhein.txt" in long.stdout
    odd = run("-m", "fundstelle", "search", "?!?…", "--index", str(small_index), "--mode", "lexical")
    assert odd.returncode == 0 and odd.stdout.strip() == "No passage found."
    empty = run("-m", "fundstelle", "search", " \t ", "--index", str(small_index))
    assert empty.returncode == 2 and empty.stderr.startswith("error: the question is empty")
    for result in (long, odd, empty):
        assert "Traceback" not in result.stderr
