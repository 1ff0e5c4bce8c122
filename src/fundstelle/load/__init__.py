"""Loading documents from files and folders: plain text, Markdown, HTML, PDF, Word (.docx) and OpenDocument (.odt).

Every loaded :class:`Document` keeps its source path, a stable id (derived from the
absolute path), a title, its full text and a hash of that text. Files that cannot be
loaded become :class:`Skipped` entries with a one-line reason; loading goes on.

Files are untrusted: text is read in blocks and decoded as UTF-8, UTF-16 (with BOM), the
charset an HTML page declares or, byte by byte where UTF-8 fails, Windows-1252; control
characters are defused after every decoding step; binary files, pipes, devices, files of
the system (``/proc``), oversized or growing files, PDFs without text and pages or PDFs
that would take too long to parse, Word and OpenDocument files that inflate too far (zip
bombs) or are not what their suffix says are refused with a reason; symlinks that lead out of
the given folders are not followed; symlink loops and folders nested arbitrarily deep
are walked without recursion.
"""

# One module per concern: discover (which files), decode (bytes to text), limits (the
# budgets), loaded (what every reader returns), zipped (the checks on .docx/.odt
# containers), and a reader per format (text, html_page, pdf, word, opendocument).

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from ..errors import BadInputError, BadTypeError, LoadError
from ..lexical import language_of
from ..results import Document, MetaValue, Skipped
from .decode import EncodingWarning_, normalise, short_title, text_hash
from .discover import SUPPORTED_SUFFIXES, Paths, as_paths, discover_files, document_id
from .html_page import load_html
from .limits import MAX_FILE_BYTES, PARSE_SECONDS, PDF_FILE_BYTES, PDF_PAGE_BYTES
from .metadata import check_meta, file_facts
from .opendocument import load_opendocument
from .pdf import load_pdf
from .text import load_text
from .word import load_word

__all__ = [
    "MAX_FILE_BYTES",
    "PARSE_SECONDS",
    "PDF_FILE_BYTES",
    "PDF_PAGE_BYTES",
    "SUPPORTED_SUFFIXES",
    "Document",
    "EncodingWarning_",
    "Paths",
    "Skipped",
    "as_paths",
    "discover_files",
    "document_id",
    "load_document",
    "load_documents",
    "text_hash",
]

# The bundled article (German news, July 2025, on Amazon's planned further investment in
# Anthropic): what an index holds when no file is given, and what the page's example questions
# ask about. Its first line's `date 2025-07` marker is read as the document's date, not text;
# the headline on the line after it becomes the title. It is alone in its folder, so that
# indexing the folder indexes the article and nothing else.
DEFAULT_CORPUS = Path(__file__).parent.parent / "corpus" / "amazon-anthropic-2025-07.txt"
_NOT_SPACE = re.compile(r"\S")


def load_document(path: str | os.PathLike[str]) -> Document:
    """Load one file into a :class:`Document`.

    Raises :class:`LoadError` with a one-line reason when the file is unsupported,
    unreadable, binary, too large, or has no text. Text that is not valid UTF-8 is
    read as Windows-1252 and the encoding noted in ``meta["encoding"]``; a file that
    mixes both also gets an :class:`EncodingWarning_`.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".txt", ".md", ".markdown"):
            loaded = load_text(path)
        elif suffix in (".html", ".htm"):
            loaded = load_html(path)
        elif suffix == ".pdf":
            loaded = load_pdf(path)
        elif suffix == ".docx":
            loaded = load_word(path)
        elif suffix == ".odt":
            loaded = load_opendocument(path)
        else:
            raise LoadError(f"unsupported file type {suffix or '(none)'!r}; "
                            f"supported: {', '.join(SUPPORTED_SUFFIXES)}")
    except FileNotFoundError:
        raise LoadError("file disappeared before it could be read") from None
    except OSError as error:
        raise LoadError(f"cannot read file: {error.strerror or error}") from None
    if not _NOT_SPACE.search(loaded.text):
        raise LoadError("no text in file (empty, or only markup)")
    # What the file says of itself, then what the file system knows; the language where none is stated.
    meta = {**loaded.meta, **file_facts(path)}
    language = meta.get("lang") or language_of(loaded.text)
    if language:
        meta["lang"] = language
    return Document(
        id=document_id(path),
        source=os.path.abspath(path),  # opens from any folder, as the id already names the absolute path
        title=loaded.title,
        text=loaded.text,
        hash=text_hash(loaded.text),
        meta=meta,
        pages=loaded.pages,
    )


def load_documents(paths: Paths) -> Iterator[Document | Skipped]:
    """Load every supported file under ``paths``; yield documents and skipped files.

    Unsupported, unreadable or empty files are yielded as :class:`Skipped`; the rest go on.
    """
    files, skipped = discover_files(paths)
    yield from skipped
    for path in files:
        try:
            yield load_document(path)
        except LoadError as error:
            yield Skipped(str(path), str(error))


def text_document(text: str, doc_id: str | None = None, title: str = "",
                  meta: Mapping[str, MetaValue] | None = None) -> Document:
    """A :class:`Document` for text already in memory (see :meth:`fundstelle.Index.add_texts`).

    ``doc_id`` names it (default: the start of the text's hash); its ``source`` is
    ``text:<doc_id>``. The title defaults to the text's first line where that line stands
    alone as a heading, else the id. ``meta`` (JSON scalars) is kept over what is computed
    (``type`` "text", ``size``, ``lang``). Raises :class:`LoadError` for a text with nothing
    but white space, :class:`BadInputError` for an empty id or metadata that is not JSON
    scalars, :class:`BadTypeError` for a text that is not a string.
    """
    if not isinstance(text, str):
        raise BadTypeError(f"text {doc_id!r} must be a string, not {type(text).__name__}; give the text itself")
    if doc_id is None:
        doc_id = text_hash(text)[:16]
    if not doc_id.strip():
        raise BadInputError("a text's id must not be empty; give each text a name, or no ids at all")
    text = normalise(text)
    if not _NOT_SPACE.search(text):
        raise LoadError(f"text {doc_id!r} has no text (empty, or only white space)")
    if not title:
        first_line, _, rest = text.lstrip()[:1000].partition("\n")
        standalone = rest.startswith("\n") and 0 < len(first_line.strip()) <= 100
        title = first_line.strip() if standalone and first_line.rstrip()[-1] not in ".!?:" else doc_id
    language = language_of(text)
    facts: dict[str, MetaValue] = {"type": "text", "size": len(text.encode("utf-8")),
                                   **({"lang": language} if language else {})}
    return Document(id=doc_id, source=f"text:{doc_id}", title=short_title(title), text=text, hash=text_hash(text),
                    meta={**facts, **check_meta(meta or {}, doc_id)})
