"""Loading files and folders: formats, titles, and skipping bad files with a reason."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import PDF_TEXT

from fundstelle import LoadError
from fundstelle.load import discover_files, document_id, load_document, load_documents
from fundstelle.results import Skipped


def test_loads_every_supported_format(corpus: Path) -> None:
    loaded = list(load_documents([corpus]))
    assert all(not isinstance(item, Skipped) for item in loaded)
    by_name = {Path(doc.source).name: doc for doc in loaded}
    assert set(by_name) == {"rhein.txt", "brot.md", "mond.html", "zugspitze.pdf"}
    assert by_name["rhein.txt"].title == "Der Rhein"
    assert by_name["brot.md"].title == "Brotbacken"
    assert by_name["mond.html"].title == "Die Mondlandung"
    assert "2962 Metern" in by_name["zugspitze.pdf"].text
    assert "höchste Berg" in by_name["zugspitze.pdf"].text


def test_document_keeps_source_id_and_hash(corpus: Path) -> None:
    doc = load_document(corpus / "rhein.txt")
    assert doc.source == str(corpus / "rhein.txt")
    assert doc.id == document_id(corpus / "rhein.txt") == load_document(corpus / "rhein.txt").id
    assert len(doc.hash) == 64
    (corpus / "rhein.txt").write_text("Ganz anderer Text.", encoding="utf-8")
    assert load_document(corpus / "rhein.txt").hash != doc.hash


def test_html_keeps_main_text_only(corpus: Path) -> None:
    text = load_document(corpus / "mond.html").text
    assert "Neil Armstrong betrat" in text
    assert "Am 20. Juli 1969 landete Apollo 11" in text
    for noise in ("window.evil", "Werbung", "color: red", "Impressum", "© Zeitung"):
        assert noise not in text
    # Paragraphs stay apart, so sentences do not run into each other.
    assert "Mond.\n\nNeil" in text


def test_date_marker_becomes_metadata(tmp_path: Path) -> None:
    path = tmp_path / "artikel.txt"
    path.write_text(" date 2025-07 Amazon investiert in Anthropic.", encoding="utf-8")
    doc = load_document(path)
    assert doc.meta["date"] == "2025-07"
    assert doc.text == "Amazon investiert in Anthropic."


def test_latin1_text_is_decoded_not_mangled(tmp_path: Path) -> None:
    path = tmp_path / "alt.txt"
    path.write_bytes("Größere Flüsse fließen in die Nordsee.".encode("latin-1"))
    assert load_document(path).text == "Größere Flüsse fließen in die Nordsee."


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("leer.txt", b"", "no text"),
        ("bild.txt", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
        ("kaputt.pdf", b"%PDF-1.4 this is not really a pdf", "PDF"),
        ("nur-skript.html", b"<html><script>alert(1)</script></html>", "no text"),
    ],
)
def test_bad_files_raise_a_one_line_reason(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LoadError, match=reason) as info:
        load_document(path)
    assert "\n" not in str(info.value)


def test_pdf_without_text_layer_is_reported(tmp_path: Path) -> None:
    from conftest import make_pdf

    path = tmp_path / "scan.pdf"
    path.write_bytes(make_pdf("").replace(b"() Tj T*", b""))
    with pytest.raises(LoadError, match="no text layer"):
        load_document(path)


def test_pdf_title_is_its_info_title_else_a_heading_on_its_first_line(tmp_path: Path) -> None:
    from conftest import make_pdf

    path = tmp_path / "protokoll.pdf"
    path.write_bytes(make_pdf("Protokoll der Sitzung vom 3. März\nAnwesend waren alle Mitglieder."))
    assert load_document(path).title == "Protokoll der Sitzung vom 3. März"
    # The conftest PDF starts with a sentence: no heading, so the file name is the title.
    path.write_bytes(make_pdf(PDF_TEXT))
    assert load_document(path).title == "protokoll"


def test_folder_walk_skips_unsupported_and_goes_on(corpus: Path) -> None:
    (corpus / "tabelle.xlsx").write_bytes(b"PK\x03\x04")
    (corpus / "leer.txt").write_text("", encoding="utf-8")
    sub = corpus / "unter" / "ordner"
    sub.mkdir(parents=True)
    (sub / "tief.txt").write_text("Ein Text tief im Ordner.", encoding="utf-8")
    (sub / "schleife").symlink_to(corpus, target_is_directory=True)
    items = list(load_documents([corpus, corpus / "fehlt.txt"]))
    skipped = {Path(i.source).name: i.reason for i in items if isinstance(i, Skipped)}
    loaded = {Path(i.source).name for i in items if not isinstance(i, Skipped)}
    assert loaded == {"rhein.txt", "brot.md", "mond.html", "zugspitze.pdf", "tief.txt"}
    assert "unsupported file type '.xlsx'" in skipped["tabelle.xlsx"]
    assert "no text" in skipped["leer.txt"]
    assert "no such file" in skipped["fehlt.txt"]
    assert "loop" in skipped["schleife"]


def test_discover_lists_a_file_once(corpus: Path) -> None:
    files, _ = discover_files([corpus, corpus / "rhein.txt"])
    assert [f.name for f in files].count("rhein.txt") == 1


def test_pdf_fixture_round_trips() -> None:
    assert "Zugspitze" in PDF_TEXT
