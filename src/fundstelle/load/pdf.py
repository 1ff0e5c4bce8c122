"""PDF files: the text layer page by page, within budgets of inflated bytes and time."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ..errors import LoadError
from ..results import MetaValue
from . import limits
from .decode import heading, normalise, open_regular, read_block, short_title, title_from_name
from .loaded import Loaded
from .metadata import clean_value, iso_date

_LABEL_CHARS = 24  # a page label is a number or a short code ("iv", "A-3"); longer ones are cut


class _PdfBudget:
    """What parsing one PDF may still spend: page content bytes and time."""

    def __init__(self) -> None:
        self.deadline = time.monotonic() + limits.PARSE_SECONDS
        self.bytes_left = limits.PDF_FILE_BYTES
        self.operators = 0

    def spend(self, page: Any) -> None:
        """Count the page's content (its streams and forms, inflated); refuse it when over a budget."""
        size = _page_content_bytes(page)
        if size > limits.PDF_PAGE_BYTES:
            raise LoadError(f"PDF page {page.page_number + 1} inflates to {size / 2**20:.0f} MB of content "
                            f"(the limit is {limits.PDF_PAGE_BYTES // 2**20} MB a page); a compression bomb?")
        self.bytes_left -= size
        if self.bytes_left < 0:
            raise LoadError(f"PDF pages inflate to more than {limits.PDF_FILE_BYTES // 2**20} MB of content "
                            "together (the limit); split the PDF into smaller files")
        self.check_time()

    def check_time(self, *_: Any) -> None:
        """Refuse the PDF once it has taken limits.PARSE_SECONDS; also called for every operator pypdf reads."""
        self.operators += 1
        if self.operators % 256 == 1 and time.monotonic() > self.deadline:
            raise LoadError(f"PDF took longer than {limits.PARSE_SECONDS:.0f} s to read; parsing stopped")


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


def load_pdf(path: Path) -> Loaded:
    """Title, text, extras (``pages``: the page count; ``date`` and ``author`` from its info) and page starts of a PDF.

    LoadError for one without text or over a budget.
    """
    import io
    import logging

    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, WrongPasswordError

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    with open_regular(path) as handle:
        data = bytearray()
        while block := read_block(handle, len(data)):  # in memory: a file that grows stops at the limit
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
        info: Any = reader.metadata or {}
        info_title = info.get("/Title") or ""
        stated = {"date": iso_date(str(info.get("/CreationDate") or "")), "author": clean_value(info.get("/Author"))}
        labels = _page_labels(reader, len(pages))
    except LoadError:
        raise
    except (FileNotDecryptedError, WrongPasswordError, DependencyError) as error:
        raise LoadError(f"PDF is encrypted and cannot be opened ({error})") from None
    except MemoryError:
        raise LoadError("PDF needs more memory to read than there is") from None
    except Exception as error:  # noqa: BLE001 - a parser of untrusted files raises anything
        detail = " ".join(str(error).split())[:200]
        raise LoadError(f"corrupt or unreadable PDF ({type(error).__name__}: {detail})") from None
    # Each page's text normalised apart (as joined: normalising never reaches across the
    # blank line between pages), so where each page starts is known in the final text.
    parts: list[str] = []
    starts: list[tuple[int, str]] = []
    offset = 0
    for label, page_text in zip(labels, pages):
        if page_text.strip():
            part = normalise(page_text.strip())
            starts.append((offset, label))
            parts.append(part)
            offset += len(part) + 2
    text = "\n\n".join(parts)
    if not text.strip():
        raise LoadError("PDF has no text layer (scanned image?); run OCR on it first")
    # Without a title in the PDF's info, a heading-like first line (followed by more text) is the title.
    first_line, _, rest = text.lstrip().partition("\n")
    title = short_title(str(info_title)) or (heading(first_line) if rest.strip() else "")
    meta: dict[str, MetaValue] = {"pages": len(pages), **{key: value for key, value in stated.items() if value}}
    return Loaded(title or title_from_name(path), text, meta, tuple(starts))


def _page_labels(reader: Any, count: int) -> list[str]:
    """Each page's label: the printed number the PDF defines (``/PageLabels``: "iv", "A-3"), else 1, 2, 3 and on."""
    numbers = [str(number) for number in range(1, count + 1)]
    try:
        labels = list(reader.page_labels)
    except Exception:  # noqa: BLE001 - a damaged label tree: plain numbers will do
        return numbers
    if len(labels) != count:
        return numbers
    cleaned = [" ".join(normalise(str(label)).split())[:_LABEL_CHARS] for label in labels]
    return [label or number for label, number in zip(cleaned, numbers)]
