"""Documents as people have them: how fast each format loads, and what a metadata filter costs.

    python benchmarks/documents.py                         # writes benchmarks/results/documents.json
    python benchmarks/documents.py --chunks 10000 --queries 20 --out -   # a quick look, printed

**Formats.** XQuAD-de's 48 articles (paragraphs joined by a blank line) are written once in
each format Fundstelle reads: ``.txt``, ``.md``, ``.html``, ``.pdf`` (one page per paragraph,
Helvetica; characters outside Windows-1252 become ``?``), ``.docx`` (python-docx) and ``.odt``
(odfpy, from the test extra). The figure is :func:`fundstelle.load.load_document` alone (read,
decode or parse, extract the text, metadata), as characters of extracted text per second over
``ROUNDS`` passes; chunking and embedding come after loading and cost the same whatever the
format (see "Ingest throughput" for them).

**Filter latency.** An index of about ``--chunks`` chunks (default 100,000) made of
sentences of the same paragraphs: 1,000 documents, each with a ``date`` one day after the previous one
(``add_texts`` metadata), embedded with the ``hashing`` model (character n-grams, 256
dimensions; a neural model would take hours here and changes only the query's embedding, which
is outside what a filter costs). Its sentences splice two XQuAD sentences, so that no
sentence repeats. Above 55,000 chunks its vectors are an HNSW graph, as the
product builds them. Timed: ``Index.search(question, k=5, mode="hybrid")`` on XQuAD-de
questions, unfiltered and with a date range that keeps 1 % and 50 % of the documents (and so of
the chunks), and the filter step alone (:func:`fundstelle.filters.allowed_rows`). The machine
is shared: the 1-minute load average before and after is recorded.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shlex
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from html import escape
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from measure import emit, stats, uncached  # noqa: E402
from xquad import DATA, questions  # noqa: E402

from fundstelle import Index, ingest  # noqa: E402
from fundstelle.filters import allowed_rows  # noqa: E402
from fundstelle.load import load_document, text_document  # noqa: E402

CACHE = HERE / ".cache" / "documents"
ROUNDS = 3
DOCUMENTS = 1000
FIRST_DAY = dt.date(2020, 1, 1)
FORMATS = (".txt", ".md", ".html", ".pdf", ".docx", ".odt")


def articles() -> list[tuple[str, list[str]]]:
    """XQuAD-de's 48 articles: title and paragraphs."""
    data = json.loads((DATA / "xquad.de.json").read_text(encoding="utf-8"))
    return [(article["title"], [p["context"] for p in article["paragraphs"]]) for article in data["data"]]


def _pdf(pages: list[str]) -> bytes:
    """A PDF with one page of text lines (at most 90 characters) per entry of ``pages``."""
    objects = [b"", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>"]
    kids = []
    for text in pages:
        lines, line = [], ""
        for word in text.split():
            if len(line) + len(word) > 90:
                lines.append(line)
                line = ""
            line = f"{line} {word}".strip()
        lines.append(line)
        body = "BT /F1 10 Tf 50 780 Td 12 TL " + " ".join(
            "(" + ln.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") Tj T*" for ln in lines) + " ET"
        stream = body.encode("cp1252", errors="replace")
        objects.append(b"<< /Length " + str(len(stream)).encode() + b" >>\nstream\n" + stream + b"\nendstream")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {len(objects)} 0 R "
                       "/Resources << /Font << /F1 3 0 R >> >> >>".encode())
        kids.append(f"{len(objects)} 0 R")
    objects[0] = b"<< /Type /Catalog /Pages 2 0 R >>"
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body_bytes in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body_bytes + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{offset:010d} 00000 n \n".encode() for offset in offsets)
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


def write_article(folder: Path, name: str, title: str, paragraphs: list[str], suffix: str) -> Path:
    """Write one article in the format of ``suffix``; return the file."""
    path = folder / f"{name}{suffix}"
    if suffix in (".txt", ".md"):
        head = f"# {title}" if suffix == ".md" else title
        path.write_text("\n\n".join([head, *paragraphs]), encoding="utf-8")
    elif suffix == ".html":
        body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
        path.write_text(f"<!doctype html><html><head><meta charset='utf-8'><title>{escape(title)}</title></head>"
                        f"<body><main><h1>{escape(title)}</h1>{body}</main></body></html>", encoding="utf-8")
    elif suffix == ".pdf":
        path.write_bytes(_pdf(paragraphs))
    elif suffix == ".docx":
        import docx

        document = docx.Document()
        document.add_heading(title, level=1)
        for paragraph in paragraphs:
            document.add_paragraph(paragraph)
        document.save(str(path))
    else:
        from odf import text
        from odf.opendocument import OpenDocumentText

        document = OpenDocumentText()
        document.text.addElement(text.H(outlinelevel=1, text=title))
        for paragraph in paragraphs:
            document.text.addElement(text.P(text=paragraph))
        document.save(str(path))
    return path


def formats_part() -> dict:
    """Characters of extracted text per second of ``load_document``, per format."""
    work = Path(tempfile.mkdtemp(prefix="fundstelle-formats-"))
    try:
        out = {}
        for suffix in FORMATS:
            folder = work / suffix.lstrip(".")
            folder.mkdir()
            files = [write_article(folder, f"artikel-{i:02d}", title, paragraphs, suffix)
                     for i, (title, paragraphs) in enumerate(articles())]
            characters, seconds = 0, 0.0
            for _ in range(ROUNDS):
                for path in files:
                    started = time.perf_counter()
                    document = load_document(path)
                    seconds += time.perf_counter() - started
                    characters += len(document.text)
            out[suffix] = {"files": len(files), "bytes": sum(p.stat().st_size for p in files),
                           "characters": characters // ROUNDS, "chars_per_s": characters / seconds}
        return out
    finally:
        shutil.rmtree(work, ignore_errors=True)


def filter_index(chunks: int) -> Path:
    """The dated index of about ``chunks`` chunks (built once, kept under ``benchmarks/.cache/``)."""
    folder = CACHE / f"index-{chunks}"
    if (folder / "CURRENT").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    halves = [s.split() for p in (p for _, ps in articles() for p in ps) for s in p.split(". ") if len(s.split()) > 3]
    rng = random.Random(24)

    def sentence() -> str:
        # The start of one XQuAD sentence and the end of another: texts that repeat no sentence
        # (a vector index of many identical vectors is not what documents give it).
        first, second = rng.choice(halves), rng.choice(halves)
        return " ".join(first[:len(first) // 2] + second[len(second) // 2:]) + "."

    # The chunker (400 characters, 200 overlap, cut at sentence ends) makes about one chunk
    # per 250 characters of such text, plus one.
    per_document = 250 * chunks // DOCUMENTS
    documents = []
    for number in range(DOCUMENTS):
        words: list[str] = []
        length = 0
        while length < per_document:
            words.append(sentence())
            length += len(words[-1]) + 1
        day = (FIRST_DAY + dt.timedelta(days=number)).isoformat()
        documents.append(text_document(" ".join(words), f"doc-{number:04d}", f"Dokument {number}",
                                       {"date": day}))
    ingest((), folder, model="hashing", documents=documents)
    return folder


def filter_part(chunks: int, queries: int) -> dict:
    """Search latency unfiltered and with date ranges keeping 1 % and 50 % of the documents."""
    started = time.perf_counter()
    folder = filter_index(chunks)
    built_s = time.perf_counter() - started
    index = uncached(Index.open(folder), question_vectors=False)  # every search computed; filters share a vector
    asked = [q.text for q in questions()][:queries]
    kept = {"1 %": DOCUMENTS // 100, "50 %": DOCUMENTS // 2}
    wheres: dict[str, dict | None] = {"unfiltered": None}
    for label, days in kept.items():
        first = FIRST_DAY + dt.timedelta(days=DOCUMENTS // 4)
        wheres[label] = {"date": {"gte": first.isoformat(), "lt": (first + dt.timedelta(days=days)).isoformat()}}
    for question in asked[:3]:  # warm up: models, caches, the rows per document
        for where in wheres.values():
            index.search(question, k=5, where=where)
    timings: dict[str, list[float]] = {label: [] for label in wheres}
    filter_only: dict[str, list[float]] = {label: [] for label in wheres if label != "unfiltered"}
    for question in asked:  # filters take turns question by question: all see the same load
        for label, where in wheres.items():
            t = time.perf_counter()
            index.search(question, k=5, where=where)
            timings[label].append(1000 * (time.perf_counter() - t))
            if where is not None:
                t = time.perf_counter()
                allowed_rows(index.snapshot, where)
                filter_only[label].append(1000 * (time.perf_counter() - t))
    rows = {label: int(len(allowed_rows(index.snapshot, where))) for label, where in wheres.items() if where}
    return {
        "chunks": len(index.snapshot.chunks), "documents": len(index.snapshot.documents),
        "dense_kind": index.snapshot.dense[0].kind, "queries": len(asked), "build_s": built_s,
        "kept_rows": rows, "search_ms": {label: stats(values) for label, values in timings.items()},
        "filter_step_ms": {label: stats(values) for label, values in filter_only.items()},
    }


def main() -> None:
    """Run both parts; write the figures with the machine's load around them."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--chunks", type=int, default=100_000, help="chunks of the filter index (default 100,000)")
    parser.add_argument("--queries", type=int, default=200, help="questions timed per filter (default 200)")
    parser.add_argument("--out", default=str(HERE / "results" / "documents.json"), help="JSON file, or - to print")
    args = parser.parse_args()
    from run import machine

    result: dict = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                    "command": "python benchmarks/documents.py" + "".join(f" {shlex.quote(a)}" for a in sys.argv[1:]),
                    "machine": machine(), "load": [os.getloadavg()[0]]}
    steps: list[tuple[str, Callable[[], dict]]] = [
        ("formats", formats_part), ("filters", lambda: filter_part(args.chunks, args.queries))]
    for name, step in steps:
        print(f"{name} …", file=sys.stderr, flush=True)
        result[name] = step()
        result["load"].append(os.getloadavg()[0])
    emit(result, None if args.out == "-" else args.out)


if __name__ == "__main__":
    main()
