"""Shared fixtures: a tiny German corpus in several formats, and index helpers.

Fast tests use the ``hashing`` embedder (character n-grams, no model); tests marked
``model`` use the real default model.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
# The sentence-transformers tests load a model folder; never reach for the hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(ROOT))

DOCS = {
    "rhein.txt": (
        "Der Rhein\n\n"
        "Der Rhein ist mit 1233 Kilometern einer der längsten Flüsse Europas. Er entspringt in den "
        "Schweizer Alpen und mündet bei Rotterdam in die Nordsee. Zwischen Bingen und Bonn heißt er "
        "Mittelrhein; dort liegt z. B. die Loreley.\n\n"
        "Im 19. Jahrhundert wurde der Fluss begradigt. Die Arbeiten begannen am 1. Mai 1817 unter "
        "der Leitung von Johann Gottfried Tulla."
    ),
    "brot.md": (
        "# Brotbacken\n\n"
        "Für ein Roggenbrot braucht man Sauerteig, Mehl, Wasser und Salz. Der Teig muss etwa "
        "zwölf Stunden gehen.\n\n"
        "Gebacken wird es bei 250 Grad, danach bei 200 Grad weitere 50 Minuten. Die Kruste wird "
        "besonders knusprig, wenn man Wasser in den Ofen sprüht."
    ),
    "mond.html": (
        "<html><head><title>Die Mondlandung</title><style>p { color: red }</style>"
        "<script>window.evil = 1; document.write('Werbung');</script></head>"
        "<body><nav>Startseite | Kontakt | Impressum</nav><main><h1>Die Mondlandung</h1>"
        "<p>Am 20. Juli 1969 landete Apollo 11 auf dem Mond.</p>"
        "<p>Neil Armstrong betrat als erster Mensch die Mondoberfläche; Buzz Aldrin folgte ihm.</p>"
        "</main><footer>© Zeitung</footer></body></html>"
    ),
}


def make_pdf(text: str) -> bytes:
    """A one-page PDF with ``text`` in its text layer (Helvetica, WinAnsi encoding)."""
    return make_pdf_pages([text])


def make_pdf_pages(pages: list[str], labels: str = "") -> bytes:
    """A PDF with one page per text of ``pages``; ``labels`` is a /PageLabels number tree's /Nums, if any."""
    count = len(pages)
    first_page = 4  # objects: catalog, pages, font, then page and content per page
    kids = " ".join(f"{first_page + 2 * i} 0 R" for i in range(count))
    catalog = "<< /Type /Catalog /Pages 2 0 R" + (f" /PageLabels << /Nums [{labels}] >>" if labels else "") + " >>"
    objects = [
        catalog.encode(),
        f"<< /Type /Pages /Kids [{kids}] /Count {count} >>".encode(),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    ]
    for i, text in enumerate(pages):
        content = "BT /F1 12 Tf 72 720 Td 14 TL " + " ".join(
            "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj T*"
            for line in text.split("\n")
        ) + " ET"
        stream = content.encode("cp1252")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {first_page + 2 * i + 1} 0 R "
                       "/Resources << /Font << /F1 3 0 R >> >> >>".encode())
        objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream")
    return pdf_file(objects)


def pdf_file(objects: list[bytes]) -> bytes:
    """A PDF file of ``objects`` (object 1 the catalogue), with its cross-reference table and trailer."""
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


PDF_TEXT = "Die Zugspitze ist mit 2962 Metern der höchste Berg Deutschlands.\nSie liegt im Wettersteingebirge."


def write_corpus(folder: Path) -> Path:
    """Create ``folder`` with a .txt, .md, .html and .pdf document (German, umlauts and ß); return it."""
    folder.mkdir()
    for name, text in DOCS.items():
        (folder / name).write_text(text, encoding="utf-8")
    (folder / "zugspitze.pdf").write_bytes(make_pdf(PDF_TEXT))
    return folder


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A folder with a .txt, .md, .html and .pdf document (German, umlauts and ß)."""
    return write_corpus(tmp_path / "docs")


@pytest.fixture
def index_dir(tmp_path: Path) -> Path:
    """Where a test's index goes."""
    return tmp_path / "index"


@pytest.fixture(scope="session")
def article_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the bundled article with the default model, built once per run (half a minute on a busy machine).

    Tests read it and never change it; one that adds or removes documents works on a copy.
    """
    from fundstelle import DEFAULT_CORPUS, Index

    path = tmp_path_factory.mktemp("article") / "index"
    Index.build([DEFAULT_CORPUS], path)
    return path


def make_docx(path: Path, blocks: list[str | list[list[str]]], title: str = "", author: str = "",
              created: str = "") -> Path:
    """Write a Word file: ``# text`` is a heading, a list of rows a table, anything else a paragraph."""
    import datetime

    import docx

    document = docx.Document()
    for block in blocks:
        if isinstance(block, list):
            table = document.add_table(rows=len(block), cols=len(block[0]))
            for row, cells in zip(table.rows, block):
                for cell, value in zip(row.cells, cells):
                    cell.text = value
        elif block.startswith("# "):
            document.add_heading(block[2:], level=1)
        else:
            document.add_paragraph(block)
    document.core_properties.title = title
    document.core_properties.author = author
    if created:
        document.core_properties.created = datetime.datetime.fromisoformat(created)
    document.save(str(path))
    return path


def make_odt(path: Path, blocks: list[str | list[list[str]]], title: str = "", author: str = "",
             created: str = "") -> Path:
    """Write an OpenDocument text, blocks as in :func:`make_docx`."""
    from odf import dc, meta, table, text
    from odf.opendocument import OpenDocumentText

    document = OpenDocumentText()
    for block in blocks:
        if isinstance(block, list):
            grid = table.Table(name="Tabelle")
            grid.addElement(table.TableColumn(numbercolumnsrepeated=len(block[0])))
            for cells in block:
                row = table.TableRow()
                for value in cells:
                    cell = table.TableCell()
                    cell.addElement(text.P(text=value))
                    row.addElement(cell)
                grid.addElement(row)
            document.text.addElement(grid)
        elif block.startswith("# "):
            document.text.addElement(text.H(outlinelevel=1, text=block[2:]))
        else:
            document.text.addElement(text.P(text=block))
    if title:
        document.meta.addElement(dc.Title(text=title))
    if author:
        document.meta.addElement(meta.InitialCreator(text=author))
    if created:
        document.meta.addElement(meta.CreationDate(text=created))
    document.save(str(path))
    return path
