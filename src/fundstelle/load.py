"""Loading documents from files and folders: plain text, Markdown, HTML and PDF.

Every loaded :class:`Document` keeps its source as an absolute path (it opens from any
folder), a stable id (derived from that path), a title, its full text and a hash of that text. Files that cannot be
loaded become :class:`Skipped` entries with a one-line reason; loading goes on.

Files are untrusted: text is read in blocks and decoded as UTF-8, UTF-16 (with BOM), the
charset an HTML page declares or, byte by byte where UTF-8 fails, Windows-1252; control
characters are defused after every decoding step; binary files, pipes, devices, files of
the system (``/proc``), oversized or growing files, PDFs without text and pages or PDFs
that would take too long to parse are refused with a reason; symlinks that lead out of
the given folders are not followed; symlink loops and folders nested arbitrarily deep
are walked without recursion.
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
import time
import unicodedata
import warnings
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any, BinaryIO

from .errors import BadInputError, BadTypeError, LoadError
from .html_text import HtmlBudgetError, extract
from .results import Document, Skipped

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
DEFAULT_CORPUS = Path(__file__).parent / "corpus" / "amazon-anthropic-2025-07.txt"
SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".html", ".htm", ".pdf")
# A document's text is held in memory while it is chunked and embedded; larger files
# are refused with a reason instead of exhausting the machine.
MAX_FILE_BYTES = 256 * 2**20
# Files are read and decoded in blocks of this many bytes (long texts are chunked in
# blocks too: fundstelle.chunk.text_blocks), so no step needs work or memory beyond a
# small multiple of the text itself.
READ_BLOCK_BYTES = 2**20
# Budgets for parsing one file: a PDF's pages inflate to at most PDF_PAGE_BYTES each and
# PDF_FILE_BYTES together (pypdf parses about 4 MB of page content a second; a 700 KB
# PDF can inflate to 700 MB), and a PDF or HTML page takes at most PARSE_SECONDS.
# Over a budget, the file is skipped with the reason.
PDF_PAGE_BYTES = 16 * 2**20
PDF_FILE_BYTES = 256 * 2**20
PARSE_SECONDS = 60.0

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
# Files under these folders are the system's, not documents: many read forever
# (/proc/kmsg) or differently each time, and all claim a size of 0.
_SYSTEM_FOLDERS = ("/proc/", "/sys/", "/dev/")
# An HTML page's declared charset: <meta charset="…"> or <meta http-equiv … content="…; charset=…">,
# looked for in its first 1024 bytes, as browsers do.
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.IGNORECASE)
# Labels whose WHATWG meaning differs from Python's codec of that name.
_WHATWG_NAMES = {"cp1252": "windows-1252", "cp1251": "windows-1251", "cp1250": "windows-1250",
                 "cp932": "shift_jis", "cp949": "euc-kr", "cp1254": "windows-1254", "cp874": "windows-874"}
_CHARSET_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252",
                    "us-ascii": "cp1252", "shift_jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
                    "gb2312": "gbk", "euc-kr": "cp949", "iso-8859-9": "cp1254", "tis-620": "cp874"}


# One path, or several: what the functions taking files and folders accept.
Paths = str | os.PathLike[str] | Iterable[str | os.PathLike[str]]


class EncodingWarning_(UserWarning):  # noqa: N801 - "EncodingWarning" is a builtin
    """A text file mixed UTF-8 with bytes of another encoding; it was read, but check it."""

def text_hash(text: str) -> str:
    """Return the SHA-256 hex digest of ``text`` encoded as UTF-8."""
    digest = hashlib.sha256()
    for start in range(0, len(text), READ_BLOCK_BYTES):  # no second copy of a long text
        digest.update(text[start:start + READ_BLOCK_BYTES].encode("utf-8"))
    return digest.hexdigest()


def document_id(path: str | os.PathLike[str]) -> str:
    """Return the stable id of the document at ``path``: a hash of its absolute path."""
    absolute = os.path.abspath(os.fspath(path))
    return hashlib.sha256(absolute.encode("utf-8")).hexdigest()[:16]


def as_paths(paths: Paths, what: str = "path") -> list[str | os.PathLike[str]]:
    """``paths`` as a list: a single string or path is one path, not its characters.

    Raises :class:`BadInputError` (a ValueError) for an empty path (an unset shell variable
    would otherwise mean the working folder, or every document) and :class:`BadTypeError`
    (a TypeError) for something that is not a path.
    """
    if isinstance(paths, (str, os.PathLike)):
        items: list[object] = [paths]
    elif isinstance(paths, Iterable):
        items = list(paths)
    else:
        raise BadTypeError(f"expected a {what} or a list of them, not {type(paths).__name__}; "
                           "give a file or folder name")
    checked: list[str | os.PathLike[str]] = []
    for item in items:
        if not isinstance(item, (str, os.PathLike)):
            raise BadTypeError(f"a {what} must be a string or os.PathLike, not {type(item).__name__}; "
                               "give a file or folder name")
        if not os.fspath(item).strip():
            raise BadInputError(f"an empty {what} was given; name a file or folder (is a variable unset?)")
        checked.append(item)
    return checked


def discover_files(paths: Paths, follow_links: bool = False) -> tuple[list[Path], list[Skipped]]:
    """Expand files and folders (recursively) into the files to load.

    Returns the supported files in a stable order and the skipped ones: unsupported
    suffixes, missing paths, pipes and devices, symlink loops, names that are not
    UTF-8, and symlinks that lead outside the given folders (followed only with
    ``follow_links``), each with its reason. Paths given by name are taken as given.
    """
    paths = as_paths(paths)
    found: list[Path] = []
    skipped: list[Skipped] = []
    # Files and folders are known by device and inode: the same one reached through a
    # symlink is seen once, and a symlink back up the tree is a loop.
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[tuple[int, int]] = set()
    inside = [os.path.join(os.path.realpath(p), "") for p in paths if os.path.isdir(p)]

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

    def refused(entry: Path) -> str | None:
        """Why a folder entry is not walked or loaded, if it is not."""
        if _SURROGATE.search(entry.name):
            return "file name is not valid UTF-8 (or holds lone surrogates); rename it"
        if entry.is_symlink() and not follow_links:
            target = os.path.realpath(entry)
            if not any(os.path.join(target, "").startswith(folder) for folder in inside):
                return f"symlink leads outside the given folders (to {target}); not followed"
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
            elif reason := refused(entry):
                skipped.append(Skipped(str(entry), reason))
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
        try:
            if _SURROGATE.search(str(path)):
                skipped.append(Skipped(str(path), "file name is not valid UTF-8 (or holds lone surrogates); rename it"))
            elif path.is_dir():
                walk(path)
            elif path.is_file():
                add_file(path)
            elif path.exists():
                skipped.append(Skipped(str(path), "not a regular file (a pipe, socket or device)"))
            else:
                skipped.append(Skipped(str(path), "no such file or folder"))
        except OSError as error:  # a name longer than the file system allows, say
            skipped.append(Skipped(str(path), f"cannot open it: {error.strerror or error}; check the path"))
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
    """Open a file for reading, refusing pipes, devices, system files and oversized files without blocking.

    The file stays non-blocking: a "regular" file that would block (some under /proc
    do) fails to read instead of hanging the ingest.
    """
    if os.path.join(os.path.realpath(path), "").startswith(_SYSTEM_FOLDERS):
        raise LoadError("a file of the system (under /proc, /sys or /dev), not a document")
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise LoadError("not a regular file (a pipe, socket or device)")
        if info.st_size > MAX_FILE_BYTES:
            raise LoadError(_too_large(info.st_size))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _too_large(size: int, growing: bool = False) -> str:
    limit = MAX_FILE_BYTES // 2**20
    if growing:
        return f"file too large (it grew past the limit of {limit} MB while it was read); split it into smaller files"
    return f"file too large ({size / 2**20:.0f} MB; the limit is {limit} MB); split it into smaller files"


def _read_block(handle: BinaryIO, read_so_far: int) -> bytes:
    """The next block of a file opened by :func:`_open_regular`; refuses a file that grew past the limit."""
    block = handle.read(min(READ_BLOCK_BYTES, MAX_FILE_BYTES + 1 - read_so_far))
    if block is None:
        raise LoadError("the file cannot be read without waiting (a device or system file?)")
    if read_so_far + len(block) > MAX_FILE_BYTES:
        raise LoadError(_too_large(read_so_far + len(block), growing=True))
    return block


def _declared_charset(head: bytes) -> str | None:
    """The Python codec for the charset an HTML page declares in ``head`` (its first bytes), if any.

    UTF-8 and UTF-16 declarations are ignored (UTF-8 is tried anyway; a UTF-16 page
    has a byte order mark), and so are labels Python does not know.
    """
    match = _META_CHARSET.search(head[:1024])
    if not match:
        return None
    label = match.group(1).decode("ascii").lower()
    name = _CHARSET_ALIASES.get(label, label)
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return None if codec.startswith(("utf-8", "utf-16", "utf-32")) else codec


def _valid_utf8(block: bytes) -> bool:
    """Is ``block`` UTF-8 with non-ASCII characters (but for a character cut at its end)?

    Such text is UTF-8 whatever a page declares: saved pages often keep a stale
    ``<meta charset>``, and legacy text is almost never valid UTF-8 by chance.
    """
    try:
        block.decode("utf-8")
    except UnicodeDecodeError as error:
        if error.start < len(block) - 3 or error.reason != "unexpected end of data":
            return False
    return len(block.translate(None, delete=_ASCII)) > 0


def _read_text(path: Path, html: bool = False) -> tuple[str, str]:
    """Read and decode a text file block by block; return the normalised text and its encoding.

    UTF-8 (with or without BOM) and UTF-16 with BOM are decoded as such; an HTML page
    (``html``) that is not UTF-8 in the charset its ``<meta>`` declares; bytes that are
    not valid UTF-8 are read as Windows-1252 (Latin-1 where it has a gap), which is
    right for Latin-1 and Windows files and for UTF-8 files with pasted-in Latin-1 text.
    NUL bytes or many control characters mean a binary file: :class:`LoadError`. A file
    that grows past ``MAX_FILE_BYTES`` while it is read is refused there.
    """
    pieces: list[str] = []
    pending = ""
    control = length = high_bytes = read = 0
    _fallback_bytes.count = 0
    with _open_regular(path) as handle:
        block = _read_block(handle, read)
        declared = _declared_charset(block) if html and not _valid_utf8(block) else None
        decoder: codecs.IncrementalDecoder
        if block.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding, decoder = "utf-16", codecs.getincrementaldecoder("utf-16")()
        elif declared and not block.startswith(codecs.BOM_UTF8):
            encoding, decoder = declared, codecs.getincrementaldecoder(declared)(errors="replace")
        else:
            encoding, decoder = "utf-8", codecs.getincrementaldecoder("utf-8-sig")(errors=_FALLBACK_ERRORS)
        while True:
            read += len(block)
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
            block = _read_block(handle, read)
    if control > max(length / 100, 4):
        raise LoadError("neither UTF-8 nor Latin-1 text (too many control characters); binary file?")
    fallback = _fallback_bytes.count
    if encoding not in ("utf-8", "utf-16"):
        encoding = _WHATWG_NAMES.get(encoding, encoding)
    elif fallback and fallback == high_bytes:
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
    return _short_title(path.stem.replace("_", " ")) or _short_title(path.name)


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


def _load_html(path: Path) -> tuple[str, str, dict[str, str]]:
    html, encoding = _read_text(path, html=True)
    try:
        title, text = extract(html, PARSE_SECONDS)
    except HtmlBudgetError as error:
        raise LoadError(str(error)) from None
    # Character references (&#27;) become characters only now: clean them again.
    text = _normalise(text)
    meta = {} if encoding in ("utf-8", "utf-16") else {"encoding": encoding}
    return _short_title(title) or _title_from_name(path), text, meta


class _PdfBudget:
    """What parsing one PDF may still spend: page content bytes and time."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + PARSE_SECONDS
        self.bytes_left = PDF_FILE_BYTES
        self.operators = 0

    def spend(self, page: Any) -> None:
        """Count the page's content (its streams and forms, inflated); refuse it when over a budget."""
        size = _page_content_bytes(page)
        if size > PDF_PAGE_BYTES:
            raise LoadError(f"PDF page {page.page_number + 1} inflates to {size / 2**20:.0f} MB of content "
                            f"(the limit is {PDF_PAGE_BYTES // 2**20} MB a page); a compression bomb?")
        self.bytes_left -= size
        if self.bytes_left < 0:
            raise LoadError(f"PDF pages inflate to more than {PDF_FILE_BYTES // 2**20} MB of content "
                            "together (the limit); split the PDF into smaller files")
        self.check_time()

    def check_time(self, *_: Any) -> None:
        """Refuse the PDF once it has taken PARSE_SECONDS; also called for every operator pypdf reads."""
        self.operators += 1
        if self.operators % 256 == 1 and time.monotonic() > self.deadline:
            raise LoadError(f"PDF took longer than {PARSE_SECONDS:.0f} s to read; parsing stopped")


def _page_content_bytes(page: Any) -> int:
    """Bytes of a page's content streams and of the forms it may draw, inflated (pypdf caps each stream)."""
    contents = page.get_contents()
    size = len(contents.get_data()) if contents is not None else 0
    resources = page.get("/Resources")
    xobjects = resources.get_object().get("/XObject") if resources is not None else None
    for reference in (xobjects.get_object().values() if xobjects is not None else ()):
        xobject = reference.get_object()
        if xobject.get("/Subtype") == "/Form":
            size += len(xobject.get_data())
    return size


def _load_pdf(path: Path) -> tuple[str, str, dict[str, str]]:
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, WrongPasswordError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    with _open_regular(path) as handle:
        data = bytearray()
        while block := _read_block(handle, len(data)):  # in memory: a file that grows stops at the limit
            data += block
    budget = _PdfBudget()
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise LoadError("PDF is encrypted with a password; save an unprotected copy")
        pages = []
        for page in reader.pages:
            budget.spend(page)
            pages.append(page.extract_text(visitor_operand_before=budget.check_time) or "")
        info_title = (reader.metadata.title if reader.metadata else None) or ""
    except LoadError:
        raise
    except (FileNotDecryptedError, WrongPasswordError, DependencyError) as error:
        raise LoadError(f"PDF is encrypted and cannot be opened ({error})") from None
    except MemoryError:
        raise LoadError("PDF needs more memory to read than there is") from None
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
        source=os.path.abspath(path),  # opens from any folder, as the id already names the absolute path
        title=title,
        text=text,
        hash=text_hash(text),
        meta=meta,
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
                  meta: Mapping[str, str] | None = None) -> Document:
    """A :class:`Document` for text already in memory (see :meth:`fundstelle.Index.add_texts`).

    ``doc_id`` names it (default: the start of the text's hash); its ``source`` is
    ``text:<doc_id>``. The title defaults to the text's first line where that line stands
    alone as a heading, else the id. Raises :class:`LoadError` for a text with nothing but
    white space, :class:`BadInputError` for an empty id, :class:`BadTypeError` for a text
    that is not a string.
    """
    if not isinstance(text, str):
        raise BadTypeError(f"text {doc_id!r} must be a string, not {type(text).__name__}; give the text itself")
    if doc_id is None:
        doc_id = text_hash(text)[:16]
    if not doc_id.strip():
        raise BadInputError("a text's id must not be empty; give each text a name, or no ids at all")
    text = _normalise(text)
    if not _NOT_SPACE.search(text):
        raise LoadError(f"text {doc_id!r} has no text (empty, or only white space)")
    if not title:
        first_line, _, rest = text.lstrip()[:1000].partition("\n")
        standalone = rest.startswith("\n") and 0 < len(first_line.strip()) <= 100
        title = first_line.strip() if standalone and first_line.rstrip()[-1] not in ".!?:" else doc_id
    return Document(id=doc_id, source=f"text:{doc_id}", title=_short_title(title), text=text, hash=text_hash(text),
                    meta=dict(meta or {}))
