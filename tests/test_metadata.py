"""Metadata at ingest: what each document states about itself and what the file system knows.

Issue 24, item 3: title, source, modification time, the stated date (HTML ``<meta>`` and
``<time>``, PDF/DOCX/ODT properties, Markdown front matter), author, language and page
count are recorded, and a caller's keys for texts in memory are kept.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from conftest import make_docx, make_odt, make_pdf_pages

from fundstelle import Index, ingest
from fundstelle.load import load_document

GERMAN = ("Der Rhein ist einer der längsten Flüsse Europas, und er fließt durch die Schweiz, "
          "durch Deutschland und durch die Niederlande, bevor er in die Nordsee mündet.")
ENGLISH = ("The Rhine is one of the longest rivers of Europe, and it flows through Switzerland, "
           "through Germany and through the Netherlands before it reaches the North Sea.")


def test_every_file_records_type_size_modification_time_and_language(tmp_path: Path) -> None:
    path = tmp_path / "rhein.txt"
    path.write_text(GERMAN, encoding="utf-8")
    os.utime(path, (1751371200, 1751371200))  # 2025-07-01 12:00 UTC
    meta = load_document(path).meta
    assert meta == {"type": "txt", "size": len(GERMAN.encode()), "modified": "2025-07-01T12:00:00Z", "lang": "de"}
    (tmp_path / "rhine.txt").write_text(ENGLISH, encoding="utf-8")
    assert load_document(tmp_path / "rhine.txt").meta["lang"] == "en"
    (tmp_path / "kurz.txt").write_text("Zugspitze 2962 m", encoding="utf-8")
    assert "lang" not in load_document(tmp_path / "kurz.txt").meta  # too few words to tell


def test_markdown_front_matter_gives_title_date_author_and_leaves_the_text(tmp_path: Path) -> None:
    path = tmp_path / "notiz.md"
    path.write_text("---\ntitle: \"Der Rhein\"\ndate: 2025-03-04\nauthor: Eva Muster\nkategorie: Flüsse\n"
                    "tags: [a, b]\n---\n# Überschrift\n\n" + GERMAN, encoding="utf-8")
    doc = load_document(path)
    assert doc.title == "Der Rhein" and doc.text.startswith("# Überschrift")
    assert {key: doc.meta[key] for key in ("date", "author", "kategorie", "lang")} == {
        "date": "2025-03-04", "author": "Eva Muster", "kategorie": "Flüsse", "lang": "de"}
    assert "tags" not in doc.meta


@pytest.mark.parametrize(("head", "date"), [
    ('<meta name="date" content="2024-11-05">', "2024-11-05"),
    ('<meta content="2024-11-05T08:00:00+01:00" property="article:published_time">', "2024-11-05"),
    ('<meta itemprop="datePublished" content="2024-11">', "2024-11"),
    ("", "2023-02-01"),  # no <meta>: the first <time datetime>
])
def test_html_states_its_date_and_author(tmp_path: Path, head: str, date: str) -> None:
    path = tmp_path / "seite.html"
    path.write_text(f'<html><head><title>Rhein</title>{head}<meta name="author" content="Eva  Muster"></head>'
                    f'<body><main><time datetime="2023-02-01">1. Februar</time><p>{GERMAN}</p></main></body></html>',
                    encoding="utf-8")
    meta = load_document(path).meta
    assert meta["date"] == date and meta["author"] == "Eva Muster" and meta["type"] == "html"


def test_pdf_info_gives_date_author_and_page_count(tmp_path: Path) -> None:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf_pages([GERMAN, "Seite zwei.", "Seite drei."]))))
    writer.add_metadata({"/Author": "Eva Muster", "/CreationDate": "D:20240506101500+01'00'", "/Title": "Rhein"})
    path = tmp_path / "rhein.pdf"
    with open(path, "wb") as handle:
        writer.write(handle)
    doc = load_document(path)
    assert doc.title == "Rhein"
    assert {key: doc.meta[key] for key in ("date", "author", "pages", "type", "lang")} == {
        "date": "2024-05-06", "author": "Eva Muster", "pages": 3, "type": "pdf", "lang": "de"}


@pytest.mark.parametrize("writer", [make_docx, make_odt], ids=["docx", "odt"])
def test_word_and_opendocument_properties_give_date_and_author(tmp_path: Path, writer) -> None:  # type: ignore[no-untyped-def]
    suffix = ".docx" if writer is make_docx else ".odt"
    doc = load_document(writer(tmp_path / f"rhein{suffix}", [GERMAN], author="Eva Muster",
                               created="2024-05-06T10:00:00"))
    assert {key: doc.meta[key] for key in ("date", "author", "type", "lang")} == {
        "date": "2024-05-06", "author": "Eva Muster", "type": suffix[1:], "lang": "de"}


def test_the_index_keeps_the_metadata_and_a_callers_keys(tmp_path: Path) -> None:
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "rhein.md").write_text(f"---\ndate: 2025-03-04\n---\n{GERMAN}", encoding="utf-8")
    ingest([docs], tmp_path / "index", model="hashing")
    index = Index.open(tmp_path / "index")
    index.add_texts([ENGLISH], ids=["rhine"], metadata=[{"quelle": "Notiz", "jahr": 2024, "geprüft": True}])
    stored = {doc.id: index.document(doc.id).meta for doc in index.documents()}
    assert stored["rhine"] == {"type": "text", "size": len(ENGLISH), "lang": "en", "quelle": "Notiz", "jahr": 2024,
                               "geprüft": True}
    assert next(meta for key, meta in stored.items() if key != "rhine")["date"] == "2025-03-04"
    with pytest.raises(ValueError, match="'liste' must be a string, number or bool"):
        index.add_texts(["Noch ein Text."], metadata=[{"liste": [1, 2]}])
