"""The main text and title of an HTML page, parsed by lexbor, within a time and memory budget.

Parsing is C code, and some pages make it slow beyond reason: lexbor's time grows with
the square of an element's depth (40,000 nested ``<div>``: 11 s) and of one tag's
distinct attributes (80,000: 33 s), and no Python code can interrupt it. So pages up to
``IN_PROCESS_CHARS`` are parsed here (at most a fraction of a second, whatever they
hold) and larger ones in a helper process, this file run as a script, which is stopped
after the caller's time budget and may allocate only so much memory. Its one job is
to parse: it reads a page from stdin and writes the title and text to stdout.

This module imports nothing from Fundstelle, so the helper starts in a fraction of a
second; :mod:`fundstelle.load` cleans the text it returns.
"""

from __future__ import annotations

import atexit
import json
import os
import re
import select
import struct
import subprocess
import sys
import threading
import time
from collections.abc import Iterator

__all__ = ["IN_PROCESS_CHARS", "HtmlBudgetError", "extract", "html_text"]

# Pages up to this many characters are parsed in this process: the slowest page of
# that size known takes lexbor about 0.2 s.
IN_PROCESS_CHARS = 32_768
# The helper may use this much memory, plus this many bytes for each byte of the page.
_BASE_MEMORY = 2**30
_MEMORY_PER_BYTE = 16

# HTML elements whose text is never part of the main text.
_HTML_NOISE = (
    "script", "style", "noscript", "template", "svg", "canvas", "iframe", "object",
    "nav", "header", "footer", "aside", "form", "button", "select", "menu", "dialog",
)
_HTML_BLOCKS = frozenset(
    "p div section article main li ul ol h1 h2 h3 h4 h5 h6 table tr td th br blockquote "
    "pre dt dd figcaption address hr".split()
)
_REQUEST = struct.Struct("<QQ")  # page bytes, memory limit
_REPLY = struct.Struct("<Q")  # reply bytes


class HtmlBudgetError(Exception):
    """A page took longer or more memory to parse than allowed, or its parser failed."""


def html_text(html: str) -> tuple[str, str]:
    """The page's title and main text (scripts, navigation, header and footer left out), parsed here."""
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
    return title, text.strip()


def extract(html: str, seconds: float) -> tuple[str, str]:
    """The page's title and main text; a page above ``IN_PROCESS_CHARS`` is parsed by the helper.

    Raises :class:`HtmlBudgetError` when the helper needs more than ``seconds`` (it is
    then stopped) or more memory than allowed, or fails.
    """
    if len(html) <= IN_PROCESS_CHARS:
        return html_text(html)
    return _HELPER.run(html.encode("utf-8", errors="replace"), seconds)


class _Helper:
    """The helper process, started on first use and kept for the next page; one page at a time."""

    def __init__(self) -> None:
        self._process: subprocess.Popen[bytes] | None = None
        self._lock = threading.Lock()
        atexit.register(self.stop)

    def run(self, page: bytes, seconds: float) -> tuple[str, str]:
        with self._lock:
            deadline = time.monotonic() + seconds
            try:
                process = self._started()
            except OSError:  # no interpreter to start (an embedded Python): parse here
                return html_text(page.decode("utf-8"))
            assert process.stdin is not None and process.stdout is not None
            try:
                process.stdin.write(_REQUEST.pack(len(page), _BASE_MEMORY + _MEMORY_PER_BYTE * len(page)) + page)
                process.stdin.flush()
                (size,) = _REPLY.unpack(_read(process.stdout.fileno(), _REPLY.size, deadline))
                reply = json.loads(_read(process.stdout.fileno(), size, deadline))
            except TimeoutError:
                self.stop()
                raise HtmlBudgetError(f"HTML took longer than {seconds:.0f} s to parse; "
                                      "parsing stopped (hostile or broken markup?)") from None
            except (OSError, EOFError, ValueError):
                self.stop()
                raise HtmlBudgetError("the HTML parser failed on this page (broken or hostile markup?)") from None
            if "error" in reply:
                self.stop()  # after running out of memory the helper is better replaced
                raise HtmlBudgetError(reply["error"])
            return reply["title"], reply["text"]

    def _started(self) -> subprocess.Popen[bytes]:
        if self._process is None or self._process.poll() is not None:
            # "-c" puts the working folder first on sys.path; the helper drops it, so no
            # file there can stand in for a module it imports.
            boot = "import sys; del sys.path[0]; import runpy; runpy.run_path(sys.argv[1], run_name='__main__')"
            self._process = subprocess.Popen(
                [sys.executable, "-c", boot, os.path.abspath(__file__)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
            )
        return self._process

    def stop(self) -> None:
        """End the helper process (it is started again when needed)."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()
        if process is not None:
            for stream in (process.stdin, process.stdout):
                if stream is not None:
                    stream.close()


def _read(fd: int, size: int, deadline: float) -> bytes:
    """Read exactly ``size`` bytes from the pipe ``fd`` by ``deadline``; TimeoutError, or EOFError if it closes."""
    parts: list[bytes] = []
    while size:
        remaining = deadline - time.monotonic()
        if remaining <= 0 or not select.select([fd], [], [], remaining)[0]:
            raise TimeoutError
        data = os.read(fd, min(size, 2**20))
        if not data:
            raise EOFError
        parts.append(data)
        size -= len(data)
    return b"".join(parts)


_HELPER = _Helper()


def _serve() -> None:
    """The helper's loop: a page from stdin, its title and text to stdout, until stdin closes."""
    import resource

    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    while len(head := stdin.read(_REQUEST.size)) == _REQUEST.size:
        size, memory = _REQUEST.unpack(head)
        page = stdin.read(size)
        try:
            limit = memory if hard == resource.RLIM_INFINITY else min(memory, hard)
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
            title, text = html_text(page.decode("utf-8", errors="replace"))
            reply = {"title": title, "text": text}
        except MemoryError:
            reply = {"error": f"HTML needs more than {memory // 2**20} MB to parse; parsing stopped"}
        finally:
            resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
        data = json.dumps(reply, ensure_ascii=False).encode("utf-8", errors="replace")
        stdout.write(_REPLY.pack(len(data)) + data)
        stdout.flush()


if __name__ == "__main__":
    _serve()
