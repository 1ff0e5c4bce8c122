"""PDF page numbers: every passage knows the page(s) it stands on, and every interface cites them.

The PDFs are made by the tests (:func:`conftest.make_pdf_pages`): one whose third page
holds the answer, one whose pages are labelled i, ii, 1 (``/PageLabels``).
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import pytest
from conftest import make_pdf_pages

from fundstelle import Index, OlderIndexWarning, ingest
from fundstelle.cli import main
from fundstelle.load import load_document
from fundstelle.pages import cite_pages, pages_of

PAGES = [
    "Kapitel eins. Die Zugspitze ist mit 2962 Metern der höchste Berg Deutschlands.",
    "Kapitel zwei. Der Bodensee liegt zwischen Deutschland, Österreich und der Schweiz.",
    "Kapitel drei. Der Königssee ist für sein Echo bekannt, das ein Trompeter vorführt.",
]
QUESTION = "Königssee Echo Trompeter"


@pytest.fixture(scope="module")
def paged(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index (hashing model) of a three-page PDF and a text file; its folder."""
    root = tmp_path_factory.mktemp("paged")
    docs = root / "docs"
    docs.mkdir()
    (docs / "seen.pdf").write_bytes(make_pdf_pages(PAGES))
    (docs / "notiz.txt").write_text("Der Königssee liegt im Berchtesgadener Land.", encoding="utf-8")
    # Small chunks (120 characters, no overlap): a page is a few chunks, and a hit may span two pages.
    ingest([docs], root / "index", model="hashing", chunk_size=120, chunk_overlap=0)
    return root / "index"


def test_a_pdf_knows_where_each_page_starts(tmp_path: Path) -> None:
    path = tmp_path / "seen.pdf"
    path.write_bytes(make_pdf_pages(PAGES))
    doc = load_document(path)
    assert [label for _, label in doc.pages] == ["1", "2", "3"]
    for (start, _), page in zip(doc.pages, PAGES):
        assert doc.text[start:start + len(page)] == page
    third = doc.text.index("Kapitel drei")
    assert pages_of(doc, third, third + 20) == ("3",)
    assert pages_of(doc, 10, third + 5) == ("1", "2", "3")  # a stretch over three pages
    assert cite_pages(("3",)) == "S. 3" and cite_pages(("2", "3"), "p.") == "p. 2–3" and cite_pages(()) == ""


def test_printed_page_labels_are_used_where_the_pdf_defines_them(tmp_path: Path) -> None:
    path = tmp_path / "buch.pdf"
    path.write_bytes(make_pdf_pages(PAGES, labels="0 << /S /r >> 2 << /S /D >>"))
    assert [label for _, label in load_document(path).pages] == ["i", "ii", "1"]


def test_a_hit_on_page_3_says_page_3_in_the_library(paged: Path) -> None:
    index = Index.open(paged)
    hit = next(h for h in index.search(QUESTION, k=3, mode="lexical") if h.source.endswith(".pdf"))
    assert "Trompeter" in hit.text and hit.pages == ("3",)
    assert hit.to_dict()["pages"] == ["3"]
    text_hit = next(h for h in index.search(QUESTION, k=3, mode="lexical") if h.source.endswith(".txt"))
    assert text_hit.pages == ()
    reply = index.ask("Wofür ist der Königssee bekannt?", k=3, mode="lexical")
    pdf_hits = [h for h in reply.hits if h.source.endswith(".pdf") and "Trompeter" in h.text]
    assert pdf_hits and pdf_hits[0].pages == ("3",)


def lindau_pdf(tmp_path: Path) -> Path:
    """An index (hashing model) of a three-page PDF, short enough to be one passage; its folder."""
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "lindau.pdf").write_bytes(make_pdf_pages([
        "Die Stadt Lindau liegt am Bodensee. Der Hafen wurde 1811 angelegt.",
        "Am Hafen steht ein Leuchtturm aus dem Jahr 1856. Der Leuchtturm ist 33 Meter hoch.",
        "Daneben steht ein bayerischer Löwe aus Marmor."]))
    ingest([docs], tmp_path / "index", model="hashing")
    return tmp_path / "index"


def test_an_answer_cites_the_page_of_its_sentence_not_every_page_of_its_passage(tmp_path: Path) -> None:
    reply = Index.open(lindau_pdf(tmp_path)).ask("Wie hoch ist der Leuchtturm?")
    assert reply.hits[0].pages == ("1", "2", "3")  # one passage of the whole short document
    assert reply.answer is not None and reply.answer.text == "Der Leuchtturm ist 33 Meter hoch."
    assert reply.answer.pages == ("2",) and reply.answer.to_dict()["pages"] == ["2"]


def test_the_command_line_cites_the_page(paged: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["search", QUESTION, "--index", str(paged), "--mode", "lexical", "--k", "3"]) == 0
    out = capsys.readouterr().out
    heading = next(line for line in out.splitlines() if "seen.pdf" in line)
    assert "seen.pdf, S. 3, characters" in heading
    assert main(["search", QUESTION, "--index", str(paged), "--mode", "lexical", "--k", "3", "--json"]) == 0
    hits = json.loads(capsys.readouterr().out)
    assert next(h for h in hits if h["source"].endswith(".pdf"))["pages"] == ["3"]
    assert next(h for h in hits if h["source"].endswith(".txt"))["pages"] == []


def test_http_and_langchain_carry_the_page(paged: Path) -> None:
    pytest.importorskip("fastapi")
    pytest.importorskip("langchain_core")
    from fastapi.testclient import TestClient

    from fundstelle.integrations.langchain import FundstelleRetriever
    from fundstelle.server import create_app

    index = Index.open(paged)
    answer = TestClient(create_app(index)).get("/search", params={"q": QUESTION, "k": 3, "mode": "lexical"})
    assert answer.status_code == 200
    assert next(h for h in answer.json()["hits"] if h["source"].endswith(".pdf"))["pages"] == ["3"]
    documents = FundstelleRetriever(index=index, k=3, mode="lexical").invoke(QUESTION)
    pdf = next(d for d in documents if d.metadata["source"].endswith(".pdf"))
    assert pdf.metadata["page"] == "3" and pdf.metadata["pages"] == ["3"]
    assert next(d for d in documents if d.metadata["source"].endswith(".txt")).metadata["page"] is None


def test_the_page_shows_the_page_in_the_hit_header(paged: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("streamlit")
    from test_app import hit_htmls, start

    at = start(monkeypatch, paged)
    at.radio(key="mode-de").set_value("lexical").run()
    at.text_input(key="question").input(QUESTION).run()
    pdf_hit = next(h for h in hit_htmls(at) if "Trompeter" in h)
    assert '<p class="fs-where">S. 3 · ' in pdf_hit
    rank = int(pdf_hit.split('data-rank="')[1].split('"')[0])
    at.button(key=f"document-{rank}").click().run()
    dialog = next(value for value in (e.value for e in at.get("html")) if 'class="fs-doc-head"' in value)
    assert "Zur Fundstelle springen · S. 3" in dialog and 'id="fs-target"' in dialog


def test_the_answer_card_cites_the_page_of_the_answer_and_the_hit_header_its_passages(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("streamlit")
    from test_app import best_html, hit_htmls, start

    at = start(monkeypatch, lindau_pdf(tmp_path))
    at.text_input(key="question").input("Wie hoch ist der Leuchtturm?").run()
    [hit] = hit_htmls(at)
    assert '<p class="fs-where">S. 1–3 · Absätze 1–3 von 3</p>' in hit
    assert '<span class="fs-source">lindau · S. 2 · Absatz 2 von 3</span>' in (best_html(at) or "")


def test_an_older_index_says_what_it_lacks_until_ingested_again(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "seen.pdf").write_bytes(make_pdf_pages(PAGES))
    index_dir = tmp_path / "index"
    ingest([docs], index_dir, model="hashing", chunk_size=120, chunk_overlap=0)
    version = index_dir / (index_dir / "CURRENT").read_text().strip()
    # What an older Fundstelle wrote: format 1, no page starts.
    manifest = json.loads((version / "manifest.json").read_text())
    manifest["format_version"] = 1
    (version / "manifest.json").write_text(json.dumps(manifest))
    lines = [json.loads(line) for line in (version / "documents.jsonl").read_text().splitlines()]
    (version / "documents.jsonl").write_text("".join(
        json.dumps({k: v for k, v in line.items() if k != "pages"}) + "\n" for line in lines))

    with pytest.warns(OlderIndexWarning, match="no page numbers .*ingest the same files again"):
        old = Index.open(index_dir)
    assert old.search("Trompeter", k=1, mode="lexical")[0].pages == ()
    report = ingest([docs], index_dir)
    assert report.chunks_embedded == 0  # nothing embedded again
    with warnings.catch_warnings():
        warnings.simplefilter("error", OlderIndexWarning)
        assert Index.open(index_dir).search("Trompeter", k=1, mode="lexical")[0].pages == ("3",)
