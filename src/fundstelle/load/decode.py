"""Bytes to text: reading a file in blocks, decoding it, normalising what came out.

Text is decoded as UTF-8, UTF-16 (with BOM), the charset an HTML page declares or, byte
by byte where UTF-8 fails, Windows-1252; control characters are defused after every
decoding step. Pipes, devices, files of the system (``/proc``), binary, oversized and
growing files are refused with a :class:`LoadError`. Titles are shortened to one line
here too, so every reader words them alike.
"""

from __future__ import annotations

import codecs
import hashlib
import os
import re
import stat
import threading
import unicodedata
import warnings
from pathlib import Path
from typing import BinaryIO

from ..errors import LoadError
from . import limits

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f]")
SURROGATE = re.compile(r"[\ud800-\udfff]")
_FALLBACK_ERRORS = "fundstelle-windows-1252"
_TITLE_CHARS = 300
# Files under these folders are the system's, not documents: many read forever
# (/proc/kmsg) or differently each time, and all claim a size of 0.
_SYSTEM_FOLDERS = ("/proc/", "/sys/", "/dev/")
_fallback_bytes = threading.local()
_ASCII = bytes(range(128))
# An HTML page's declared charset: <meta charset="…"> or <meta http-equiv … content="…; charset=…">,
# looked for in its first 1024 bytes, as browsers do.
_META_CHARSET = re.compile(rb"<meta[^>]*?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})", re.IGNORECASE)
# Labels whose WHATWG meaning differs from Python's codec of that name.
_WHATWG_NAMES = {"cp1252": "windows-1252", "cp1251": "windows-1251", "cp1250": "windows-1250",
                 "cp932": "shift_jis", "cp949": "euc-kr", "cp1254": "windows-1254", "cp874": "windows-874"}
_CHARSET_ALIASES = {"iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252", "ascii": "cp1252",
                    "us-ascii": "cp1252", "shift_jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
                    "gb2312": "gbk", "euc-kr": "cp949", "iso-8859-9": "cp1254", "tis-620": "cp874"}


class EncodingWarning_(UserWarning):  # noqa: N801 - "EncodingWarning" is a builtin
    """A text file mixed UTF-8 with bytes of another encoding; it was read, but check it."""

def text_hash(text: str) -> str:
    """Return the SHA-256 hex digest of ``text`` encoded as UTF-8."""
    digest = hashlib.sha256()
    for start in range(0, len(text), limits.READ_BLOCK_BYTES):  # no second copy of a long text
        digest.update(text[start:start + limits.READ_BLOCK_BYTES].encode("utf-8"))
    return digest.hexdigest()


def _windows_1252(error: UnicodeError) -> tuple[str, int]:
    """Codec error handler: read bytes that are not UTF-8 as Windows-1252 (else Latin-1)."""
    if not isinstance(error, UnicodeDecodeError):
        raise error
    bad = error.object[error.start:error.end]
    _fallback_bytes.count = getattr(_fallback_bytes, "count", 0) + len(bad)
    # Windows-1252 leaves five byte values undefined; Latin-1 maps them to control characters.
    return "".join(bytes([b]).decode("cp1252", errors="ignore") or chr(b) for b in bad), error.end


codecs.register_error(_FALLBACK_ERRORS, _windows_1252)


def open_regular(path: Path) -> BinaryIO:
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
        if info.st_size > limits.MAX_FILE_BYTES:
            raise LoadError(too_large(info.st_size))
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def too_large(size: int, growing: bool = False) -> str:
    """Why a file of ``size`` bytes (or one that kept growing) is refused."""
    limit = limits.MAX_FILE_BYTES // 2**20
    if growing:
        return f"file too large (it grew past the limit of {limit} MB while it was read); split it into smaller files"
    return f"file too large ({size / 2**20:.0f} MB; the limit is {limit} MB); split it into smaller files"


def read_block(handle: BinaryIO, read_so_far: int) -> bytes:
    """The next block of a file opened by :func:`open_regular`; refuses a file that grew past the limit."""
    block = handle.read(min(limits.READ_BLOCK_BYTES, limits.MAX_FILE_BYTES + 1 - read_so_far))
    if block is None:
        raise LoadError("the file cannot be read without waiting (a device or system file?)")
    if read_so_far + len(block) > limits.MAX_FILE_BYTES:
        raise LoadError(too_large(read_so_far + len(block), growing=True))
    return block


def declared_charset(head: bytes) -> str | None:
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


def valid_utf8(block: bytes) -> bool:
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


def read_text(path: Path, html: bool = False) -> tuple[str, str]:
    """Read and decode a text file block by block; return the normalised text and its encoding.

    UTF-8 (with or without BOM) and UTF-16 with BOM are decoded as such; an HTML page
    (``html``) that is not UTF-8 in the charset its ``<meta>`` declares; bytes that are
    not valid UTF-8 are read as Windows-1252 (Latin-1 where it has a gap), which is
    right for Latin-1 and Windows files and for UTF-8 files with pasted-in Latin-1 text.
    NUL bytes or many control characters mean a binary file: :class:`LoadError`. A file
    that grows past ``limits.MAX_FILE_BYTES`` while it is read is refused there.
    """
    pieces: list[str] = []
    pending = ""
    control = length = high_bytes = read = 0
    _fallback_bytes.count = 0
    with open_regular(path) as handle:
        block = read_block(handle, read)
        declared = declared_charset(block) if html and not valid_utf8(block) else None
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
            cut = len(text) if final else safe_cut(text)
            pending = text[cut:]
            if cut:
                control += len(_CONTROL.findall(text, 0, cut))
                length += cut
                pieces.append(normalise(text[:cut]))
            if final:
                break
            block = read_block(handle, read)
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


def safe_cut(text: str) -> int:
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


def normalise(text: str) -> str:
    """Unify line ends and Unicode composition so offsets and matching are stable.

    Stray control characters become spaces, lone surrogates U+FFFD: both would
    otherwise reach terminals, JSON and UTF-8 files.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub(" ", text)
    text = SURROGATE.sub("\ufffd", text)
    return unicodedata.normalize("NFC", text)


def title_from_name(path: Path) -> str:
    """A title made from the file name, for a file that states none."""
    return short_title(path.stem.replace("_", " ")) or short_title(path.name)


def short_title(title: str) -> str:
    """A title on one line, at most ``_TITLE_CHARS`` characters."""
    title = " ".join(normalise(title).split())
    return title if len(title) <= _TITLE_CHARS else title[:_TITLE_CHARS - 1].rstrip() + "…"


def heading(line: str) -> str:
    """``line`` stripped if it reads as a heading (short, not ending like a sentence), else ""."""
    line = line.strip()
    return line if 0 < len(line) <= 100 and line[-1] not in ".!?:" else ""
