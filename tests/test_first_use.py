"""What a new user meets first: nothing to do is said and nothing written; output that agrees with itself."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT, write_corpus

import fundstelle
from fundstelle import EMPTY_INDEX, Index, NothingToIndexError
from fundstelle.cli import main
from fundstelle.results import Answer
from fundstelle.terminal import format_answer


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


# Nothing to do is said, and nothing is written.

def test_an_ingest_with_no_readable_document_says_so_in_one_line_and_writes_nothing(tmp_path: Path) -> None:
    (tmp_path / "leer").mkdir()
    (tmp_path / "bild.txt").write_bytes(b"\x89PNG\x00\x00\x00binary")
    result = run(str(ROOT / "ingest.py"), "leer", "bild.txt", "tippfehler.txt", "--index", "neu/index", "--quiet",
                 cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()
    assert line.startswith("error: nothing to index: no readable document in leer, bild.txt, tippfehler.txt")
    assert "bild.txt: binary data" in line and "tippfehler.txt: no such file or folder" in line
    assert not (tmp_path / "neu").exists()  # neither the index folder nor the parent made for it


def test_an_empty_folder_alone_is_nothing_to_index(tmp_path: Path) -> None:
    (tmp_path / "leer").mkdir()
    result = run(str(ROOT / "ingest.py"), "leer", "--index", "index", "--quiet", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.strip() == ("error: nothing to index: leer holds no "
                                     f"{', '.join(fundstelle.SUPPORTED_SUFFIXES)} file")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leer"]


def test_nothing_to_index_from_python_names_what_was_skipped_and_keeps_an_index_as_it_was(tmp_path: Path) -> None:
    index = Index.build([write_corpus(tmp_path / "docs")], tmp_path / "index", model="hashing")
    before = sorted(p.name for p in (tmp_path / "index").iterdir())
    (tmp_path / "kaputt.pdf").write_bytes(b"%PDF-1.4 kaputt")
    with pytest.raises(NothingToIndexError, match="nothing to index") as refused:
        index.add([tmp_path / "kaputt.pdf"])
    assert [Path(s.source).name for s in refused.value.skipped] == ["kaputt.pdf"]
    assert sorted(p.name for p in (tmp_path / "index").iterdir()) == before
    assert len(index.documents()) == 4
    with pytest.raises(NothingToIndexError):
        fundstelle.ingest([tmp_path / "kaputt.pdf"], tmp_path / "new")
    assert not (tmp_path / "new").exists()


def test_an_empty_index_is_created_on_purpose_only(tmp_path: Path) -> None:
    Index.build([], tmp_path / "notes", model="hashing")  # README's start for add_texts
    assert (tmp_path / "notes" / "CURRENT").is_file()


@pytest.fixture
def empty_index(tmp_path: Path) -> Path:
    Index.build([], tmp_path / "empty", model="hashing")
    return tmp_path / "empty"


def test_asking_an_empty_index_says_it_holds_no_documents(empty_index: Path) -> None:
    reply = Index.open(empty_index).ask("Wie hoch ist die Zugspitze?")
    assert reply.answer is None and reply.hits == () and reply.note == EMPTY_INDEX == "the index holds no documents"
    assert reply.to_dict()["note"] == EMPTY_INDEX
    asked = run("-m", "fundstelle", "ask", "Wie hoch ist die Zugspitze?", "--index", str(empty_index))
    assert asked.returncode == 0 and asked.stdout.strip() == "No answer: the index holds no documents."
    searched = run("-m", "fundstelle", "search", "Zugspitze", "--index", str(empty_index))
    assert searched.returncode == 0 and searched.stdout.strip() == "No passage found: the index holds no documents."
    # A question over documents that hold no answer still says that, not this.
    assert "No sure answer" not in asked.stdout


def test_the_http_service_says_an_empty_index_holds_no_documents(empty_index: Path) -> None:
    pytest.importorskip("fastapi")
    from fastapi.testclient import TestClient

    from fundstelle.server import create_app

    with TestClient(create_app(str(empty_index))) as client:
        reply = client.post("/ask", json={"question": "Wie hoch ist die Zugspitze?"}).json()
    assert reply["answer"] is None and reply["hits"] == [] and reply["note"] == EMPTY_INDEX


def test_the_page_says_an_empty_index_holds_no_documents(monkeypatch: pytest.MonkeyPatch, empty_index: Path) -> None:
    pytest.importorskip("streamlit")
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("FUNDSTELLE_INDEX", str(empty_index))
    at = AppTest.from_file(str(ROOT / "app" / "streamlit_app.py"), default_timeout=120)
    at.run()
    at.text_input(key="question").input("Wie hoch ist die Zugspitze?").run()
    assert not at.exception, at.exception
    shown = " ".join(element.value for element in at.get("html"))
    assert "Der Index enthält keine Dokumente." in shown and "Keine sichere Antwort" not in shown


def test_the_bundled_corpus_folder_holds_the_article_alone() -> None:
    """Indexing the corpus folder (as README's example once did) indexes the article and nothing else."""
    from fundstelle.load import discover_files

    assert discover_files([fundstelle.DEFAULT_CORPUS.parent]) == ([fundstelle.DEFAULT_CORPUS], [])


# Output agrees with itself.

def _answer(phrase: bool) -> Answer:
    sentence = "Die Zugspitze ist 2962 Meter hoch."
    return Answer(text=sentence, phrase=fundstelle.Span(18, 28, "2962 Meter") if phrase else None, confidence=0.95,
                  doc_id="z", source=str(Path("/docs/zugspitze.txt")), title="Zugspitze", start=0, end=len(sentence))


def test_the_answer_line_always_shows_the_answer() -> None:
    without = format_answer(_answer(phrase=False)).splitlines()
    assert without[0] == "Answer: Die Zugspitze ist 2962 Meter hoch.  (confidence 95%)"
    assert not any("»" in line for line in without)  # the sentence is the answer: not shown twice
    with_phrase = format_answer(_answer(phrase=True)).splitlines()
    assert with_phrase[0] == "Answer: 2962 Meter  (confidence 95%)"
    assert with_phrase[1] == "   »Die Zugspitze ist **2962 Meter** hoch.«"


def test_progress_counts_the_chunks_the_summary_counts(tmp_path: Path) -> None:
    seen: dict[str, tuple[int, int]] = {}

    def progress(stage: str, done: int, total: int) -> None:
        assert 0 <= done <= total
        assert done >= seen.get(stage, (0, 0))[0], "a bar never goes back"
        seen[stage] = (done, total)

    report = fundstelle.ingest([write_corpus(tmp_path / "docs")], tmp_path / "index", model="hashing+hashing-64",
                               progress=progress)
    assert seen["embed"] == (report.chunks_embedded, report.chunks_embedded) == (report.chunks, report.chunks)


def test_a_hits_source_opens_from_any_folder(tmp_path: Path) -> None:
    write_corpus(tmp_path / "docs")
    built = run(str(ROOT / "ingest.py"), "docs", "--index", "index", "--model", "hashing", "--quiet", cwd=tmp_path)
    assert built.returncode == 0, built.stderr
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    hits = Index.open(tmp_path / "index").search("Wie hoch ist die Zugspitze?", k=4)
    assert hits and all(Path(hit.source).is_absolute() and Path(hit.source).is_file() for hit in hits)
    found = run("-m", "fundstelle", "search", "Zugspitze", "--index", str(tmp_path / "index"), "--json",
                cwd=elsewhere)
    assert all(Path(elsewhere, hit["source"]).is_file() for hit in json.loads(found.stdout))
    # People read the path relative to where they are, when the document lies below it.
    shown = run("-m", "fundstelle", "search", "Zugspitze", "--index", "index", "--k", "1", cwd=tmp_path)
    assert f"—  {os.path.join('docs', 'zugspitze.pdf')}, S. 1, characters" in shown.stdout
    # Relative patterns still filter, matching the end of the path.
    assert {Path(h.source).name for h in Index.open(tmp_path / "index").search(
        "Zugspitze", where={"source": "docs/*.pdf"})} == {"zugspitze.pdf"}


@pytest.mark.model
def test_ask_lists_each_passage_with_the_figure_it_is_ranked_by(tmp_path: Path,
                                                                capsys: pytest.CaptureFixture[str]) -> None:
    built = run(str(ROOT / "ingest.py"), "--index", str(tmp_path / "index"), "--quiet")
    assert built.returncode == 0, built.stderr
    for question in ("Wie viel hat Amazon in Anthropic investiert?", "Wer hat Anthropic gegründet?",
                     "Wie viele Mitarbeiter hat Anthropic?"):
        # The command line in this process: the model loads once, not once for each of six commands.
        args = ["ask", question, "--index", str(tmp_path / "index"), "--k", "5"]
        assert main(args) == 0
        printed = capsys.readouterr().out
        figures = [float(f) for f in re.findall(r"^\d+\. .*, answer score (\d\.\d\d)$", printed, re.MULTILINE)]
        assert main([*args, "--json"]) == 0
        scores = [hit["answer"]["score"] for hit in json.loads(capsys.readouterr().out)["hits"]]
        assert len(figures) == len(scores) == 5, printed
        assert figures == [round(score, 2) for score in scores], question
        assert scores == sorted(scores, reverse=True), question
