"""XQuAD-de for benchmarks: the 240 paragraphs as documents, the questions with gold answers.

The paragraphs are written as one ``.txt`` file each into a cache folder and indexed
through the real ingest, so benchmarks measure exactly what users run. Indexes are
cached per model and chunking under ``benchmarks/.cache/``; a cached index is only
reused through the normal incremental ingest (which embeds nothing that is unchanged).
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from fundstelle import Index, IndexFolderError, ingest  # noqa: E402
from fundstelle.load import document_id  # noqa: E402
from fundstelle.results import Progress  # noqa: E402

DATA = HERE / "data" / "xquad"
CACHE = HERE / ".cache"


@dataclass(frozen=True)
class Question:
    """A question, the index of its gold paragraph, and the gold answer strings."""

    id: str
    text: str
    paragraph: int
    answers: tuple[str, ...]


def paragraphs() -> list[str]:
    """The 240 German paragraphs, in file order."""
    data = json.loads((DATA / "xquad.de.json").read_text(encoding="utf-8"))
    return [p["context"] for article in data["data"] for p in article["paragraphs"]]


def questions(language: str = "de") -> list[Question]:
    """The questions in ``language`` (de, es, zh from XQuAD; en: our own 48) with gold paragraphs."""
    data = json.loads((DATA / "xquad.de.json").read_text(encoding="utf-8"))
    gold: dict[str, Question] = {}
    number = 0
    for article in data["data"]:
        for paragraph in article["paragraphs"]:
            for qa in paragraph["qas"]:
                gold[qa["id"]] = Question(qa["id"], qa["question"].strip(), number,
                                          tuple(a["text"] for a in qa["answers"]))
            number += 1
    if language == "de":
        return list(gold.values())
    if language == "en":
        rows = json.loads((HERE / "data" / "questions.en.json").read_text(encoding="utf-8"))["questions"]
        pairs = [(row["id"], row["question"]) for row in rows]
    else:
        other = json.loads((DATA / f"questions.{language}.json").read_text(encoding="utf-8"))
        pairs = [(qa["id"], qa["question"]) for a in other["data"] for p in a["paragraphs"] for qa in p["qas"]]
    return [Question(qid, text.strip(), gold[qid].paragraph, gold[qid].answers) for qid, text in pairs]


def corpus_folder() -> Path:
    """Write the paragraphs as ``p000.txt`` … into the cache (once) and return the folder."""
    folder = CACHE / "xquad-de-paragraphs"
    folder.mkdir(parents=True, exist_ok=True)
    for number, text in enumerate(paragraphs()):
        path = folder / f"p{number:03d}.txt"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return folder


def paragraph_ids() -> list[str]:
    """Document id of each paragraph file, by paragraph number."""
    folder = corpus_folder()
    return [document_id(folder / f"p{n:03d}.txt") for n in range(len(paragraphs()))]


def xquad_index(model: str = "e5-small-int4", chunk_size: int | None = None,
                chunk_overlap: int | None = None, progress: bool = True) -> Index:
    """Build (or reuse) the XQuAD-de index for a model and chunking; return it open."""
    from fundstelle.chunk import DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE

    size = chunk_size or DEFAULT_CHUNK_SIZE
    overlap = DEFAULT_CHUNK_OVERLAP if chunk_overlap is None else chunk_overlap
    folder = CACHE / f"index-{model.replace(':', '_').replace('/', '_')}-{size}-{overlap}"
    options = dict(model=model, chunk_size=size, chunk_overlap=overlap, progress=_progress() if progress else None)
    try:
        report = ingest([corpus_folder()], folder, **options)
    except IndexFolderError as error:  # a cache from an older index format: build it again
        print(f"rebuilding {folder.name}: {error}", file=sys.stderr)
        report = ingest([corpus_folder()], folder, rebuild=True, **options)
    if report.chunks_embedded:
        print(f"built {folder.name}: {report.summary()}", file=sys.stderr)
    return only_from(Index.open(folder), corpus_folder())


def only_from(index: Index, corpus: Path) -> Index:
    """``index`` without the documents that are not files of ``corpus`` (removed from it); returns it.

    A document's id hashes its absolute path, so an index copied from another checkout takes
    every file in again under its new path and would hold each text twice: one copy under an
    id that :func:`paragraph_ids` does not give, which would count as a miss.
    """
    here = corpus.resolve()
    stale = [document.id for document in index.documents() if Path(document.source).parent != here]
    if stale:
        print(f"removing {len(stale)} documents of another checkout from {index.folder.name}", file=sys.stderr)
        index.remove(stale)
    return index


def _progress() -> Progress:
    from fundstelle.terminal import progress_bar

    return progress_bar()


# ------------------------------------------------------------------ one document per article

def articles() -> list[list[str]]:
    """The 48 articles, each as its list of paragraphs in file order."""
    data = json.loads((DATA / "xquad.de.json").read_text(encoding="utf-8"))
    return [[p["context"] for p in article["paragraphs"]] for article in data["data"]]


def article_of_paragraph() -> list[int]:
    """For each paragraph number (as in :func:`questions`), the number of its article."""
    return [number for number, article in enumerate(articles()) for _ in article]


def article_folder(even_only: bool = False) -> Path:
    """Write each article as one document ``a00.txt`` … (paragraphs joined by a blank line).

    ``even_only`` keeps only each article's paragraphs 0, 2, 4, …: the questions about
    the odd ones are then on topic but unanswerable (the no-answer set).
    """
    folder = CACHE / ("xquad-de-articles-even" if even_only else "xquad-de-articles")
    folder.mkdir(parents=True, exist_ok=True)
    for number, article in enumerate(articles()):
        kept = article[::2] if even_only else article
        text = "\n\n".join(kept)
        path = folder / f"a{number:02d}.txt"
        if not path.exists() or path.read_text(encoding="utf-8") != text:
            path.write_text(text, encoding="utf-8")
    return folder


def answerable_paragraphs(even_only: bool) -> set[int]:
    """Paragraph numbers whose text is in the article documents of that set."""
    numbers, number = set(), 0
    for article in articles():
        for position in range(len(article)):
            if not even_only or position % 2 == 0:
                numbers.add(number)
            number += 1
    return numbers


def articles_index(model: str = "e5-small-int4+use-m3", even_only: bool = False, progress: bool = True) -> Index:
    """Build (or reuse) the index of the 48 article documents (default chunking); return it open."""
    name = "articles-even" if even_only else "articles"
    folder = CACHE / f"index-{name}-{model.replace(':', '_').replace('/', '_')}"
    options = dict(model=model, progress=_progress() if progress else None)
    try:
        report = ingest([article_folder(even_only)], folder, **options)
    except IndexFolderError as error:
        print(f"rebuilding {folder.name}: {error}", file=sys.stderr)
        report = ingest([article_folder(even_only)], folder, rebuild=True, **options)
    if report.chunks_embedded:
        print(f"built {folder.name}: {report.summary()}", file=sys.stderr)
    return only_from(Index.open(folder), article_folder(even_only))
