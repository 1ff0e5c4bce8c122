"""Loading documents from files and folders: plain text, Markdown, HTML and PDF.

Every loaded :class:`Document` keeps its source path, a stable id (derived from the
absolute path), a title, its full text and a hash of that text. Files that cannot be
loaded become :class:`Skipped` entries with a one-line reason; loading goes on.
"""

from __future__ import annotations

import hashlib
import os
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "SUPPORTED_SUFFIXES",
    "Document",
    "LoadError",
    "Skipped",
    "discover_files",
    "document_id",
    "load_document",
    "load_documents",
    "text_hash",
]

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")

# HTML elements whose text is never part of the main text.
_HTML_NOISE = (
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object",
    "nav", "header", "footer", "aside", "form", "button", "select", "menu", "dialog",
)
_HTML_BLOCKS = frozenset(
    "p div section article main li ul ol h1 h2 h3 h4 h5 h6 table tr td th br blockquote "
    "pre dt dd figcaption address hr".split()
)
_DATE_MARKER = re.compile(r"\A\s*date (\d{4}-\d{2}(?:-\d{2})?)\s+")


class LoadError(Exception):
    """A file could not be turned into a document; the message says why."""


@dataclass(frozen=True)
class Document:
    """One loaded document.

    ``text`` is the full text every chunk offset refers to; ``hash`` is the SHA-256 of
    that text, used to notice changed files; ``meta`` holds extras such as a date.
    """

    id: str
    source: str
    title: str
    text: str
    hash: str
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Skipped:
    """A file that was not loaded, and the reason in one line."""

    source: str
    reason: str


def text_hash(text: str) -> str:
    """Return the SHA-256 hex digest of ``text`` encoded as UTF-8."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def document_id(path: str | os.PathLike[str]) -> str:
    """Return the stable id of the document at ``path``: a hash of its absolute path."""
    absolute = os.path.abspath(os.fspath(path))
    return hashlib.sha256(absolute.encode("utf-8")).hexdigest()[:16]


def discover_files(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Skipped]]:
    """Expand files and folders (recursively) into the files to load.

    Returns the supported files in a stable order and the skipped ones: unsupported
    suffixes, missing paths and symlink loops, each with its reason.
    """
    found: list[Path] = []
    skipped: list[Skipped] = []
    seen_dirs: set[str] = set()
    seen_files: set[str] = set()

    def add_file(path: Path) -> None:
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append(Skipped(str(path), f"unsupported file type {path.suffix or '(none)'!r}; "
                                               f"supported: {', '.join(SUPPORTED_SUFFIXES)}"))
            return
        real = os.path.realpath(path)
        if real not in seen_files:
            seen_files.add(real)
            found.append(path)

    def walk(folder: Path) -> None:
        real = os.path.realpath(folder)
        if real in seen_dirs:
            skipped.append(Skipped(str(folder), "symlink loop or folder seen twice; not followed again"))
            return
        seen_dirs.add(real)
        try:
            entries = sorted(folder.iterdir(), key=lambda p: p.name)
        except OSError as error:
            skipped.append(Skipped(str(folder), f"cannot list folder: {error.strerror or error}"))
            return
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                walk(entry)
            elif entry.is_file():
                add_file(entry)
            elif entry.is_symlink():
                skipped.append(Skipped(str(entry), "broken symlink"))

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            walk(path)
        elif path.is_file():
            add_file(path)
        else:
            skipped.append(Skipped(str(path), "no such file or folder"))
    return found, skipped


def _decode(data: bytes, name: str) -> str:
    """Decode bytes as UTF-8 (with or without BOM), else as Windows-1252 / Latin-1."""
    if b"\x00" in data[:8192]:
        raise LoadError("binary data (NUL bytes), not a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    text = data.decode("cp1252", errors="replace")
    # cp1252 leaves five byte values undefined; text that has them is not Latin text.
    if "\ufffd" in text:
        text = data.decode("latin-1")
    control = sum(1 for c in text if unicodedata.category(c) == "Cc" and c not in "\n\r\t\f")
    if control > len(text) / 100:
        raise LoadError("neither UTF-8 nor Latin-1 text (too many control characters)")
    return text


def _normalise(text: str) -> str:
    """Unify line ends and Unicode composition so offsets and matching are stable."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text)


def _title_from_name(path: Path) -> str:
    return path.stem.replace("_", " ").strip() or path.name


def _load_text(path: Path) -> tuple[str, str, dict[str, str]]:
    text = _normalise(_decode(path.read_bytes(), path.name))
    meta: dict[str, str] = {}
    marker = _DATE_MARKER.match(text)
    if marker:
        meta["date"] = marker.group(1)
        text = text[marker.end():]
    title = _title_from_name(path)
    first_line, _, rest = text.strip().partition("\n")
    if path.suffix.lower() in (".md", ".markdown"):
        heading = re.search(r"^#\s+(.+)$", text, flags=re.MULTILINE)
        if heading:
            title = heading.group(1).strip()
    elif rest.startswith("\n") and 0 < len(first_line) <= 100 and first_line[-1] not in ".!?:":
        title = first_line.strip()
    return title, text, meta


def _html_text(html: str) -> tuple[str, str]:
    from selectolax.lexbor import LexborHTMLParser

    tree = LexborHTMLParser(html)
    title_node = tree.css_first("title") or tree.css_first("h1")
    title = title_node.text(strip=True) if title_node else ""
    for node in tree.css(", ".join(_HTML_NOISE)):
        node.decompose()
    root = tree.css_first("main") or tree.css_first("article") or tree.body or tree.root
    if root is None:
        return title, ""
    parts: list[str] = []

    def visit(node: object) -> None:
        for child in node.iter(include_text=True):  # type: ignore[attr-defined]
            if child.tag == "-text":
                parts.append(child.text_content or "")
            elif child.tag in ("-comment",):
                continue
            else:
                block = child.tag in _HTML_BLOCKS
                if block:
                    parts.append("\n\n")
                visit(child)
                if block:
                    parts.append("\n\n")

    visit(root)
    text = "".join(parts)
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r" *\n[\n ]*\n *", "\n\n", text)
    return title, text.strip()


def _load_html(path: Path) -> tuple[str, str, dict[str, str]]:
    html = _normalise(_decode(path.read_bytes(), path.name))
    title, text = _html_text(html)
    return title or _title_from_name(path), text, {}


def _load_pdf(path: Path) -> tuple[str, str, dict[str, str]]:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(path)
        pages = [page.extract_text() or "" for page in reader.pages]
        info_title = (reader.metadata.title if reader.metadata else None) or ""
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise LoadError(f"corrupt or unreadable PDF ({type(error).__name__}: {error})") from error
    text = _normalise("\n\n".join(page.strip() for page in pages if page.strip()))
    if not text.strip():
        raise LoadError("PDF has no text layer (scanned image?); run OCR on it first")
    return str(info_title).strip() or _title_from_name(path), text, {"pages": str(len(pages))}


def load_document(path: str | os.PathLike[str]) -> Document:
    """Load one file into a :class:`Document`.

    Raises :class:`LoadError` with a one-line reason when the file is unsupported,
    unreadable, binary, or has no text.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".txt", ".md", ".markdown"):
            title, text, meta = _load_text(path)
        elif suffix in (".html", ".htm"):
            title, text, meta = _load_html(path)
        elif suffix == ".pdf":
            title, text, meta = _load_pdf(path)
        else:
            raise LoadError(f"unsupported file type {suffix or '(none)'!r}; "
                            f"supported: {', '.join(SUPPORTED_SUFFIXES)}")
    except OSError as error:
        raise LoadError(f"cannot read file: {error.strerror or error}") from error
    if not text.strip():
        raise LoadError("no text in file (empty, or only markup)")
    return Document(
        id=document_id(path),
        source=str(path),
        title=title,
        text=text,
        hash=text_hash(text),
        meta=meta,
    )


def load_documents(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Document | Skipped]:
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
