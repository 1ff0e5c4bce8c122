"""Word (.docx) and OpenDocument (.odt) files: read in order, titled, and refused when hostile.

The files are written by the tests (python-docx, odfpy); the hostile ones are those
files taken apart and put together again with :mod:`zipfile`.
"""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest
from conftest import make_docx, make_odt, make_pdf

import fundstelle.load.limits
from fundstelle import Index, LoadError, ingest
from fundstelle.load import SUPPORTED_SUFFIXES, load_document, load_documents
from fundstelle.results import Skipped

BLOCKS: list[str | list[list[str]]] = [
    "# Die Zugspitze",
    "Die Zugspitze ist mit 2962 Metern der höchste Berg Deutschlands.",
    [["Berg", "Höhe"], ["Zugspitze", "2962 m"], ["Watzmann", "2713 m"]],
    "Der Watzmann steht im Berchtesgadener Land.",
]
WRITERS = {".docx": make_docx, ".odt": make_odt}


@pytest.fixture(params=sorted(WRITERS))
def suffix(request: pytest.FixtureRequest) -> str:
    return request.param


def test_the_new_formats_are_supported() -> None:
    assert {".docx", ".odt"} <= set(SUPPORTED_SUFFIXES)


def test_paragraphs_headings_and_tables_come_in_reading_order(tmp_path: Path, suffix: str) -> None:
    doc = load_document(WRITERS[suffix](tmp_path / f"berge{suffix}", BLOCKS))
    assert doc.text == ("Die Zugspitze\n\n"
                        "Die Zugspitze ist mit 2962 Metern der höchste Berg Deutschlands.\n\n"
                        "Berg | Höhe\nZugspitze | 2962 m\nWatzmann | 2713 m\n\n"
                        "Der Watzmann steht im Berchtesgadener Land.")
    assert doc.title == "Die Zugspitze"  # the first heading, when the file states no title


def test_the_title_the_file_states_comes_first(tmp_path: Path, suffix: str) -> None:
    path = WRITERS[suffix](tmp_path / f"berge{suffix}", BLOCKS, title="Deutsche Berge")
    assert load_document(path).title == "Deutsche Berge"
    untitled = WRITERS[suffix](tmp_path / f"notizen_zu_bergen{suffix}", ["Nur ein Absatz ohne Überschrift."])
    assert load_document(untitled).title == "notizen zu bergen"


def test_an_index_finds_passages_in_word_and_opendocument_files(tmp_path: Path, index_dir: Path) -> None:
    folder = tmp_path / "dokumente"
    folder.mkdir()
    make_docx(folder / "berge.docx", BLOCKS)
    make_odt(folder / "fluesse.odt", ["# Flüsse", "Der Rhein mündet bei Rotterdam in die Nordsee."])
    report = ingest([folder], index_dir, model="hashing")
    assert sorted(Path(p).name for p in report.added) == ["berge.docx", "fluesse.odt"] and not report.skipped
    hits = Index.open(index_dir).search("Wo mündet der Rhein?", k=1, mode="lexical")
    assert hits[0].title == "Flüsse" and "Rotterdam" in hits[0].text
    hits = Index.open(index_dir).search("Watzmann Höhe", k=1, mode="lexical")
    assert hits[0].title == "Die Zugspitze" and "Watzmann | 2713 m" in hits[0].text


# --- hostile files ---------------------------------------------------------------------------


def rewrite(path: Path, replace: dict[str, bytes]) -> Path:
    """The archive at ``path`` with some members replaced or added."""
    with zipfile.ZipFile(path) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}
    members.update(replace)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for name, data in members.items():
            target.writestr(name, data)
    return path


def test_a_zip_bomb_is_refused_before_it_is_inflated(tmp_path: Path, suffix: str) -> None:
    path = rewrite(WRITERS[suffix](tmp_path / f"bombe{suffix}", BLOCKS), {"media/zeros.xml": b"\0" * (50 * 2**20)})
    assert path.stat().st_size < 200_000  # 50 MB of zeros deflate to ~50 KB
    with pytest.raises(LoadError, match=r"'media/zeros.xml' inflates \d+ times .*zip bomb"):
        load_document(path)


def test_a_file_that_inflates_past_the_total_limit_is_refused(
    tmp_path: Path, suffix: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    path = WRITERS[suffix](tmp_path / f"gross{suffix}", BLOCKS)
    monkeypatch.setattr(fundstelle.load.limits, "ZIP_FILE_BYTES", 1_000)
    with pytest.raises(LoadError, match="inflates to .* MB .*limit"):
        load_document(path)
    monkeypatch.setattr(fundstelle.load.limits, "ZIP_FILE_BYTES", 256 * 2**20)
    monkeypatch.setattr(fundstelle.load.limits, "ZIP_MEMBERS", 3)
    with pytest.raises(LoadError, match="holds \\d+ parts"):
        load_document(path)


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("bericht.docx", make_pdf("Ein PDF, umbenannt."), "not a valid Word file .*it is a PDF.*wrong suffix"),
    ("bericht.odt", make_pdf("Ein PDF, umbenannt."), "not a valid OpenDocument file .*it is a PDF"),
    ("alt.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "old binary Office file"),
    ("text.odt", b"Nur Text, kein Archiv.", "not a valid OpenDocument file"),
])
def test_a_file_that_is_not_what_its_suffix_says_is_skipped_and_named(
    tmp_path: Path, name: str, content: bytes, reason: str,
) -> None:
    (tmp_path / name).write_bytes(content)
    (skipped,) = list(load_documents([tmp_path]))
    assert isinstance(skipped, Skipped) and skipped.source == str(tmp_path / name)
    assert re.search(reason, skipped.reason), skipped.reason


def test_an_archive_of_the_other_kind_is_named(tmp_path: Path) -> None:
    odt = make_odt(tmp_path / "echt.odt", BLOCKS)
    (tmp_path / "falsch.docx").write_bytes(odt.read_bytes())
    with pytest.raises(LoadError, match="not a Word document .*no word/document.xml"):
        load_document(tmp_path / "falsch.docx")
    spreadsheet = rewrite(make_odt(tmp_path / "tabelle.odt", BLOCKS),
                          {"mimetype": b"application/vnd.oasis.opendocument.spreadsheet"})
    with pytest.raises(LoadError, match="not an OpenDocument text .*spreadsheet"):
        load_document(spreadsheet)


def entity_xml(xml: bytes, secret: Path, root: bytes) -> bytes:
    """``xml`` with a DOCTYPE that defines an external entity (``secret``) and uses it in the first paragraph."""
    declaration, _, rest = xml.partition(b"?>")
    doctype = b'<!DOCTYPE ' + root + b' [<!ENTITY geheim SYSTEM "file://' + str(secret).encode() + b'">]>'
    return declaration + b"?>" + doctype + rest.replace(b"Die Zugspitze ist", b"&geheim; Die Zugspitze ist", 1)


def test_no_external_entity_is_read(tmp_path: Path) -> None:
    secret = tmp_path / "geheim.txt"
    secret.write_text("PASSWORT-4711")
    for path, part, root in ((make_docx(tmp_path / "xxe.docx", BLOCKS), "word/document.xml", b"w:document"),
                             (make_odt(tmp_path / "xxe.odt", BLOCKS), "content.xml", b"office:document-content")):
        with zipfile.ZipFile(path) as archive:
            xml = archive.read(part)
        rewrite(path, {part: entity_xml(xml, secret, root)})
        with pytest.raises(LoadError, match="declares XML entities or external references") as info:
            load_document(path)
        assert "PASSWORT" not in str(info.value)


def test_many_spaces_in_an_odt_ask_for_little_memory(tmp_path: Path) -> None:
    path = make_odt(tmp_path / "leer.odt", ["Vorher", "Nachher"])
    with zipfile.ZipFile(path) as archive:
        xml = archive.read("content.xml")
    spaces = b'<text:p>Vorher<text:s text:c="999999999999"/>Nachher</text:p>'
    rewrite(path, {"content.xml": xml.replace(b"<text:p>Vorher</text:p>", spaces)})
    assert load_document(path).text.startswith("Vorher" + " " * 100 + "Nachher")


def test_a_corrupt_word_file_is_skipped_with_a_reason(tmp_path: Path) -> None:
    path = rewrite(make_docx(tmp_path / "kaputt.docx", BLOCKS), {"word/document.xml": b"<w:document><kaputt"})
    with pytest.raises(LoadError, match="corrupt or unreadable Word file") as info:
        load_document(path)
    assert "\n" not in str(info.value)
