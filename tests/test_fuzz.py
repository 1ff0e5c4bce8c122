"""Fuzzing the loaders: mutated documents and mutated index files, with a fixed seed and a time budget.

Issue 18. Real documents (text, Markdown, HTML with entities and a declared charset,
PDFs plain and compressed) and the files of a real index are mutated at random: bits
flipped, bytes overwritten, slices cut, repeated or spliced in from another file, and
tokens that parsers trip over inserted (``<div>`` runs, ``&#27;``, NUL, byte order
marks, PDF keywords). Loading a mutated document must give a document whose text and
title hold no control characters, or a one-line :class:`LoadError`; opening a mutated
index must give search results or a one-line :class:`IndexFolderError`. Anything
else fails the test with the seed and case number that reproduce it. Nothing may be
written outside the test's folders, and memory stays bounded.

Each test runs for ``FUNDSTELLE_FUZZ_SECONDS`` (default 10) with the seed
``FUNDSTELLE_FUZZ_SEED`` (default 18); for a longer run, e.g.
``FUNDSTELLE_FUZZ_SECONDS=600 python -m pytest tests/test_fuzz.py``.
"""

from __future__ import annotations

import os
import random
import resource
import shutil
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import DOCS, PDF_TEXT, make_pdf

from fundstelle import Index, IndexFolderError, LoadError, ingest
from fundstelle.load import SUPPORTED_SUFFIXES, load_document

SEED = int(os.environ.get("FUNDSTELLE_FUZZ_SEED", "18"))
SECONDS = float(os.environ.get("FUNDSTELLE_FUZZ_SECONDS", "10"))
MIN_CASES = 30
TOKENS = [b"<div>" * 50, b"&#27;[2J", b"&#x9b;", b"&#0;", b"\x00", b"\xff\xfe", b"\xef\xbb\xbf", b"\x1b]0;x\x07",
          b"<meta charset=shift_jis>", b"<meta charset=utf-16>", b"<p " + b"a=1 " * 200 + b">", b"\r", b"\xe2\x80\xae",
          b"stream\n", b"endstream", b"endobj", b"/FlateDecode", b"/Length 999999999", b"xref\n0 1\n", b"%%EOF",
          b"trailer << /Root 1 0 R /Encrypt 9 0 R >>", b"<< /Type /Page /Contents 99 0 R >>", b"\xc3", b"\xed\xa0\x80"]


def compressed_pdf() -> bytes:
    """A PDF whose text stream is compressed (FlateDecode), so mutations hit the decompressor."""
    plain = make_pdf(PDF_TEXT)
    start = plain.index(b"stream\n") + 7
    end = plain.index(b"\nendstream")
    packed = zlib.compress(plain[start:end])
    head = plain[:start].replace(b"<< /Length " + str(end - start).encode() + b" >>",
                                 b"<< /Length " + str(len(packed)).encode() + b" /Filter /FlateDecode >>")
    return head + packed + plain[end:]  # offsets in the xref are off now: pypdf repairs that, or fails


SEEDS: list[tuple[str, bytes]] = [
    *[(Path(name).suffix, text.encode()) for name, text in DOCS.items()],
    (".pdf", make_pdf(PDF_TEXT)),
    (".pdf", compressed_pdf()),
    (".html", "<html><head><meta charset=windows-1251><title>Заголовок</title></head><body><p>Москва &amp; "
              "Köln &#8364; &#x1F600;</p></body></html>".encode("cp1251", errors="xmlcharrefreplace")),
    (".txt", "Größe\r\n\r\nA\u0308rger – „Zitat“ – 5 €.\n".encode("utf-16")),
]


def mutate(rng: random.Random, data: bytes) -> bytes:
    """One to four random mutations of ``data``."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        at = rng.randrange(len(out) + 1)
        kind = rng.randrange(7)
        if kind == 0 and out:  # flip bits
            for _ in range(rng.randint(1, 8)):
                out[rng.randrange(len(out))] ^= 1 << rng.randrange(8)
        elif kind == 1:  # overwrite with random bytes
            out[at:at + rng.randint(1, 16)] = bytes(rng.randrange(256) for _ in range(rng.randint(1, 16)))
        elif kind == 2:  # cut a slice
            del out[at:at + rng.randint(1, max(1, len(out) // 4))]
        elif kind == 3 and out:  # repeat a slice
            start = rng.randrange(len(out))
            piece = out[start:start + rng.randint(1, 200)]
            out[at:at] = piece * rng.randint(2, 200)
        elif kind == 4:  # splice in part of another seed
            other = rng.choice(SEEDS)[1]
            start = rng.randrange(len(other))
            out[at:at] = other[start:start + rng.randint(1, 400)]
        elif kind == 5:
            out[at:at] = rng.choice(TOKENS) * rng.randint(1, 3)
        else:  # truncate
            del out[at:]
    return bytes(out)


def check_clean(text: str, what: str) -> None:
    bad = [c for c in text if (ord(c) < 32 and c not in "\t\n\x0c") or 0x7F <= ord(c) <= 0x9F
           or 0xD800 <= ord(c) <= 0xDFFF]
    assert not bad, f"{what} holds {bad[:5]!r}"


def fuzz(body: Callable[[random.Random, int], None]) -> int:
    """Run ``body(rng, case)`` until the time budget is spent (at least MIN_CASES times); return the case count."""
    rng = random.Random(SEED)
    deadline = time.monotonic() + SECONDS
    case = 0
    while case < MIN_CASES or time.monotonic() < deadline:
        try:
            body(rng, case)
        except AssertionError as error:
            raise AssertionError(f"seed {SEED}, case {case}: {error}") from None
        case += 1
    return case


@pytest.mark.filterwarnings("ignore::fundstelle.load.EncodingWarning_")
def test_mutated_documents_load_or_are_skipped_with_a_reason(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    work = tmp_path / "arbeit"
    work.mkdir()
    monkeypatch.chdir(work)  # a loader that writes a file by a relative name would leave it here
    peak_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    def case(rng: random.Random, number: int) -> None:
        suffix, data = rng.choice(SEEDS)
        if rng.random() < 0.1:
            suffix = rng.choice(SUPPORTED_SUFFIXES)  # a PDF named .html, and so on
        path = tmp_path / f"fall{number}{suffix}"
        path.write_bytes(mutate(rng, data))
        try:
            doc = load_document(path)
        except LoadError as error:
            reason = str(error)
            assert reason and "\n" not in reason and len(reason) < 400, reason
        else:
            check_clean(doc.text, "text")
            check_clean(doc.title, "title")
            assert "\n" not in doc.title and doc.text.strip()
        finally:
            path.unlink()

    cases = fuzz(case)
    assert list(work.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["arbeit"]
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak_before) / 1024
    assert grown_mb < 500, f"{cases} cases grew the peak memory by {grown_mb:.0f} MB"


@pytest.mark.filterwarnings("ignore:overflow:RuntimeWarning")  # mutated vectors hold huge floats
def test_mutated_index_files_open_or_give_a_one_line_error(corpus: Path, tmp_path: Path) -> None:
    built = tmp_path / "index"
    ingest([corpus], built, model="hashing")
    version = (built / "CURRENT").read_text().strip()
    files = sorted(p.relative_to(built) for p in built.rglob("*") if p.is_file() and p.name != "ingest.lock")
    outside = sorted(p.name for p in tmp_path.iterdir())

    def case(rng: random.Random, number: int) -> None:
        copy = tmp_path / "kopie"
        shutil.copytree(built, copy)
        try:
            for name in rng.sample(files, rng.randint(1, 2)):
                path = copy / name
                path.write_bytes(mutate(rng, path.read_bytes()))
            try:
                hits = Index.open(copy).search(rng.choice(["Rhein", "Wer landete auf dem Mond?", "Brot"]), k=3)
            except IndexFolderError as error:
                message = str(error)
                assert "\n" not in message and "Traceback" not in message, message
            else:
                assert len(hits) <= 3
        finally:
            shutil.rmtree(copy)

    fuzz(case)
    assert sorted(p.name for p in tmp_path.iterdir()) == outside
    assert (built / "CURRENT").read_text().strip() == version  # the original was never touched
