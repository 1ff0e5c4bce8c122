"""Loading documents from files and folders: plain text, Markdown, HTML and PDF.

Every loaded :class:`Document` keeps its source path, a stable id (derived from the
absolute path), a title, its full text and a hash of that text. Files that cannot be
loaded become :class:`Skipped` entries with a one-line reason; loading goes on.

Files are untrusted: text is read in blocks and decoded as UTF-8, UTF-16 (with BOM) or,
byte by byte where UTF-8 fails, Windows-1252; control characters are defused; binary
files, pipes, devices, oversized files and PDFs without text are refused with a reason;
symlink loops and folders or HTML nested arbitrarily deep are walked without recursion.
"""

# Longer than most modules (~480 lines): one reader per format (text, Markdown, HTML, PDF)
# plus the checks that keep a hostile file from taking time or memory; they share encoding
# detection and text normalisation.

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
import threading
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import BinaryIO

from .errors import LoadError
from .results import Document, Skipped

__all__ = [
    "BLOCK_CHARS",
    "MAX_FILE_BYTES",
    "SUPPORTED_SUFFIXES",
    "Document",
    "EncodingWarning_",
    "Skipped",
    "discover_files",
    "document_id",
    "load_document",
    "load_documents",
    "text_blocks",
    "text_hash",
]

# The bundled article (German news, July 2025): what an index holds when no file is given.
DEFAULT_CORPUS = Path(__file__).parent / "corpus" / "amazon-anthropic-2025-07.txt"
SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
# A document's text is held in memory while it is chunked and embedded; larger files
# are refused with a reason instead of exhausting the machine.
MAX_FILE_BYTES = 256 * 2**20
# Files are read and decoded in blocks of this many bytes; long texts are chunked in
# blocks of at most BLOCK_CHARS characters (see text_blocks), so no step needs work
# or memory beyond a small multiple of the text itself.
READ_BLOCK_BYTES = 2**20
BLOCK_CHARS = 50_000

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
# Control characters other than tab, line feed, form feed and carriage return: a few
# are replaced by spaces (they could steer a terminal), many mean the file is binary.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
_FALLBACK_ERRORS = "fundstelle-windows-1252"
_fallback_bytes = threading.local()
_ASCII = bytes(range(128))
_LEADING_SPACE = re.compile(r"\s*")
_NOT_SPACE = re.compile(r"\S")
_TITLE_CHARS = 300


class EncodingWarning_(UserWarning):  # noqa: N801 - "EncodingWarning" is a builtin
    """A text file mixed UTF-8 with bytes of another encoding; it was read, but check it."""

def text_hash(text: str) -> str:
    """Return the SHA-256 hex digest of ``text`` encoded as UTF-8."""
    digest = hashlib.sha256()
    for start in range(0, len(text), READ_BLOCK_BYTES):  # no second copy of a long text
        digest.update(text[start:start + READ_BLOCK_BYTES].encode("utf-8"))
    return digest.hexdigest()


def text_blocks(text: str, limit: int = BLOCK_CHARS) -> Iterator[tuple[int, str]]:
    """Cut ``text`` into consecutive ``(offset, block)`` pieces of at most ``limit`` characters.

    Cuts fall after a blank line where one lies in the second half of the block,
    else after a line break, a sentence end or a space. A text up to ``limit``
    characters is one block. Joining the blocks gives ``text`` back.
    """
    start = 0
    while len(text) - start > limit:
        end = start + limit
        cut = end
        for separator in ("\n\n", "\n", ". ", " "):
            found = text.rfind(separator, start + limit // 2, end)
            if found >= 0:
                cut = found + len(separator)
                break
        yield start, text[start:cut]
        start = cut
    yield start, text[start:]


def document_id(path: str | os.PathLike[str]) -> str:
    """Return the stable id of the document at ``path``: a hash of its absolute path."""
    absolute = os.path.abspath(os.fspath(path))
    return hashlib.sha256(absolute.encode("utf-8")).hexdigest()[:16]


def discover_files(paths: Iterable[str | os.PathLike[str]]) -> tuple[list[Path], list[Skipped]]:
    """Expand files and folders (recursively) into the files to load.

    Returns the supported files in a stable order and the skipped ones: unsupported
    suffixes, missing paths, pipes and devices, and symlink loops, each with its reason.
    """
    found: list[Path] = []
    skipped: list[Skipped] = []
    # Files and folders are known by device and inode: the same one reached through a
    # symlink is seen once, and a symlink back up the tree is a loop.
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()

    def identity(path: Path) -> tuple[int, int]:
        info = path.stat()
        return info.st_dev, info.st_ino

    def add_file(path: Path) -> None:
        if path.suffix.lower() not in SUPPORTED_SUFFIXES:
            skipped.append(Skipped(str(path), f"unsupported file type {path.suffix or '(none)'!r}; "
                                               f"supported: {', '.join(SUPPORTED_SUFFIXES)}"))
            return
        try:
            key = identity(path)
        except OSError:  # gone since it was listed: loading it will say so
            key = (-1, len(found))
        if key not in seen_files:
            seen_files.add(key)
            found.append(path)

    def entries_of(folder: Path) -> Iterator[Path] | None:
        try:
            key = identity(folder)
        except OSError as error:
            skipped.append(Skipped(str(folder), f"cannot open folder: {error.strerror or error}"))
            return None
        if key in seen_dirs:
            skipped.append(Skipped(str(folder), "symlink loop or folder seen twice; not followed again"))
            return None
        seen_dirs.add(key)
        try:
            return iter(sorted(folder.iterdir(), key=lambda p: p.name))
        except OSError as error:
            skipped.append(Skipped(str(folder), f"cannot list folder: {error.strerror or error}"))
            return None

    def walk(folder: Path) -> None:
        # Depth first with an explicit stack: folders nested deeper than Python's
        # recursion limit are walked too.
        first = entries_of(folder)
        stack = [first] if first is not None else []
        while stack:
            entry = next(stack[-1], None)
            if entry is None:
                stack.pop()
            elif entry.name.startswith("."):
                continue
            elif entry.is_dir():
                entries = entries_of(entry)
                if entries is not None:
                    stack.append(entries)
            elif entry.is_file():
                add_file(entry)
            elif entry.is_symlink():
                skipped.append(Skipped(str(entry), "broken symlink (or a symlink loop)"))
            elif entry.exists():
                skipped.append(Skipped(str(entry), "not a regular file (a pipe, socket or device)"))

    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            walk(path)
        elif path.is_file():
            add_file(path)
        elif path.exists():
            skipped.append(Skipped(str(path), "not a regular file (a pipe, socket or device)"))
        else:
            skipped.append(Skipped(str(path), "no such file or folder"))
    return found, skipped


def _windows_1252(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read bytes that are not UTF-8 as Windows-1252 (else Latin-1)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start:error.end]
    _fallback_bytes.count = getattr(_fallback_bytes, "count", 0) + len(bad)
    # Windows-1252 leaves five byte values undefined; Latin-1 maps them to control characters.
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in bad), error.end


codecs.register_error(_FALLBACK_ERRORS, _windows_1252)


def _open_regular(path: Path) -> BinaryIO:
    """Open a file for reading, refusing pipes, devices and oversized files without blocking."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise LoadError("not a regular file (a pipe, socket or device)")
        if info.st_size > MAX_FILE_BYTES:
            raise LoadError(f"file too large ({info.st_size / 2**20:.0f} MB; the limit is "
                            f"{MAX_FILE_BYTES // 2**20} MB); split it into smaller files")
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _read_text(path: Path) -> tuple[str, str]:
    """Read and decode a text file block by block; return the normalised text and its encoding.

    UTF-8 (with or without BOM) and UTF-16 with BOM are decoded as such; bytes that are
    not valid UTF-8 are read as Windows-1252 (Latin-1 where it has a gap), which is
    right for Latin-1 and Windows files and for UTF-8 files with pasted-in Latin-1 text.
    NUL bytes or many control characters mean a binary file: :class:`LoadError`.
    """
    pieces: list[str] = []
    pending = ""
    control = length = high_bytes = 0
    _fallback_bytes.count = 0
    with _open_regular(path) as handle:
        block = handle.read(READ_BLOCK_BYTES)
        if block.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding, decoder = "utf-16", codecs.getincrementaldecoder("utf-16")()
        else:
            encoding, decoder = "utf-8", codecs.getincrementaldecoder("utf-8-sig")(errors=_FALLBACK_ERRORS)
        while True:
            final = not block
            if encoding != "utf-16":
                if b"\x00" in block:
                    raise LoadError("binary data (NUL bytes), not a text file")
                high_bytes += len(block.translate(None, delete=_ASCII))
            try:
                text = pending + decoder.decode(block, final=final)
            except UnicodeDecodeError as error:
                raise LoadError(f"invalid UTF-16 text ({error.reason} at byte {error.start})") from None
            cut = len(text) if final else _safe_cut(text)
            pending = text[cut:]
            if cut:
                control += len(_CONTROL.findall(text, 0, cut))
                length += cut
                pieces.append(_normalise(text[:cut]))
            if final:
                break
            block = handle.read(READ_BLOCK_BYTES)
    if control > max(length / 100, 4):
        raise LoadError("neither UTF-8 nor Latin-1 text (too many control characters); binary file?")
    fallback = _fallback_bytes.count
    if fallback and fallback == high_bytes:
        encoding = "windows-1252"  # no valid UTF-8 sequence at all: a Latin-1 / Windows file
    elif fallback:
        encoding = f"utf-8 with {fallback} byte(s) read as windows-1252"
        warnings.warn(f"{path.name}: not valid UTF-8; {fallback} byte(s) were read as Windows-1252",
                      EncodingWarning_, stacklevel=4)
    return "".join(pieces), encoding


def _safe_cut(text: str) -> int:
    r"""Where decoded text may be cut so that normalising the parts apart changes nothing.

    After the last line break; in a text without one, before the last character that
    starts a new letter (no mark that composes with what precedes it, no "\r\n" split).
    """
    cut = text.rfind("\n") + 1
    if cut:
        return cut
    for position in range(len(text) - 1, max(0, len(text) - 1000), -1):
        char = text[position]
        if char != "\r" and text[position - 1] != "\r" and unicodedata.category(char)[0] != "M" \
                and not "\u1100" <= char <= "\u11ff":  # Hangul jamo compose as starters
            return position
    return 0


def _normalise(text: str) -> str:
    """Unify line ends and Unicode composition so offsets and matching are stable.

    Stray control characters become spaces, lone surrogates U+FFFD: both would
    otherwise reach terminals, JSON and UTF-8 files.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub(" ", text)
    text = _SURROGATE.sub("\ufffd", text)
    return unicodedata.normalize("NFC", text)


def _title_from_name(path: Path) -> str:
    return path.stem.replace("_", " ").strip() or path.name


def _short_title(title: str) -> str:
    """A title on one line, at most ``_TITLE_CHARS`` characters."""
    title = " ".join(_normalise(title).split())
    return title if len(title) <= _TITLE_CHARS else title[:_TITLE_CHARS - 1].rstrip() + "…"


def _heading(line: str) -> str:
    """``line`` stripped if it reads as a heading (short, not ending like a sentence), else ""."""
    line = line.strip()
    return line if 0 < len(line) <= 100 and line[-1] not in ".!?:" else ""


def _load_text(path: Path) -> tuple[str, str, dict[str, str]]:
    text, encoding = _read_text(path)
    meta: dict[str, str] = {} if encoding in ("utf-8", "utf-16") else {"encoding": encoding}
    marker = _DATE_MARKER.match(text)
    if marker:
        meta["date"] = marker.group(1)
        text = text[marker.end():]
    title = _title_from_name(path)
    # Only the head of the text decides the title: no copies of a long text.
    head = text[len(_LEADING_SPACE.match(text).group(0)):][:1000]  # type: ignore[union-attr]
    first_line, _, rest = head.partition("\n")
    if path.suffix.lower() in (".md", ".markdown"):
        heading = re.search(r"^#\s+(.+)$", text, flags=re.MULTILINE)
        if heading:
            title = _short_title(heading.group(1))
    elif rest.startswith("\n") and rest.strip() and _heading(first_line):
        title = _heading(first_line)
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
    # Depth first with an explicit stack: pages nest elements far deeper than Python's
    # recursion limit allows (and crafted ones do so on purpose).
    stack: list[tuple[Iterator[object], bool]] = [(iter(root.iter(include_text=True)), False)]
    while stack:
        children, block = stack[-1]
        child = next(children, None)
        if child is None:
            stack.pop()
            if block:
                parts.append("\n\n")
        elif child.tag == "-text":  # type: ignore[attr-defined]
            parts.append(child.text_content or "")  # type: ignore[attr-defined]
        elif child.tag != "-comment":  # type: ignore[attr-defined]
            block = child.tag in _HTML_BLOCKS  # type: ignore[attr-defined]
            if block:
                parts.append("\n\n")
            stack.append((iter(child.iter(include_text=True)), block))  # type: ignore[attr-defined]
    text = "".join(parts)
    text = re.sub(r"[ \t\u00a0]+", " ", text)
    text = re.sub(r" *\n[\n ]*\n *", "\n\n", text)
    return _short_title(title), text.strip()


def _load_html(path: Path) -> tuple[str, str, dict[str, str]]:
    html, encoding = _read_text(path)
    title, text = _html_text(html)
    meta = {} if encoding in ("utf-8", "utf-16") else {"encoding": encoding}
    return title or _title_from_name(path), text, meta


def _load_pdf(path: Path) -> tuple[str, str, dict[str, str]]:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, WrongPasswordError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    with _open_regular(path) as handle:
        try:
            reader = PdfReader(handle)
            if reader.is_encrypted and not reader.decrypt(""):
                raise LoadError("PDF is encrypted with a password; save an unprotected copy")
            pages = [page.extract_text() or "" for page in reader.pages]
            info_title = (reader.metadata.title if reader.metadata else None) or ""
        except LoadError:
            raise
        except (FileNotDecryptedError, WrongPasswordError, DependencyError) as error:
            raise LoadError(f"PDF is encrypted and cannot be opened ({error})") from None
        except OSError:
            raise
        except Exception as error:  # noqa: BLE001 - a parser of untrusted files raises anything
            detail = " ".join(str(error).split())[:200]
            raise LoadError(f"corrupt or unreadable PDF ({type(error).__name__}: {detail})") from None
    text = _normalise("\n\n".join(page.strip() for page in pages if page.strip()))
    if not text.strip():
        raise LoadError("PDF has no text layer (scanned image?); run OCR on it first")
    # Without a title in the PDF's info, a heading-like first line (followed by more text) is the title.
    first_line, _, rest = text.lstrip().partition("\n")
    title = _short_title(str(info_title)) or (_heading(first_line) if rest.strip() else "")
    return title or _title_from_name(path), text, {"pages": str(len(pages))}


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
            title, text, meta = _load_text(path)
        elif suffix in (".html", ".htm"):
            title, text, meta = _load_html(path)
        elif suffix == ".pdf":
            title, text, meta = _load_pdf(path)
        else:
            raise LoadError(f"unsupported file type {suffix or '(none)'!r}; "
                            f"supported: {', '.join(SUPPORTED_SUFFIXES)}")
    except FileNotFoundError:
        raise LoadError("file disappeared before it could be read") from None
    except OSError as error:
        raise LoadError(f"cannot read file: {error.strerror or error}") from None
    if not _NOT_SPACE.search(text):
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


def text_document(text: str, doc_id: str, title: str = "", meta: Mapping[str, str] | None = None) -> Document:
    """A :class:`Document` for text already in memory (see :meth:`fundstelle.Index.add_texts`).

    ``doc_id`` names it; its ``source`` is ``text:<doc_id>``. The title defaults to the
    text's first line where that line stands alone as a heading, else the id. Raises
    :class:`LoadError` for a text with nothing but white space, ValueError for an empty id.
    """
    if not isinstance(text, str):
        raise TypeError(f"text {doc_id!r} must be a string, not {type(text).__name__}")
    if not doc_id.strip():
        raise ValueError("a text's id must not be empty")
    text = _normalise(text)
    if not _NOT_SPACE.search(text):
        raise LoadError(f"text {doc_id!r} has no text (empty, or only white space)")
    if not title:
        first_line, _, rest = text.lstrip()[:1000].partition("\n")
        standalone = rest.startswith("\n") and 0 < len(first_line.strip()) <= 100
        title = first_line.strip() if standalone and first_line.rstrip()[-1] not in ".!?:" else doc_id
    return Document(id=doc_id, source=f"text:{doc_id}", title=_short_title(title), text=text, hash=text_hash(text),
                    meta=dict(meta or {}))
