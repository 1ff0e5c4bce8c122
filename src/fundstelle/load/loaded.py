"""What a reader of one format hands back: title, text, extras, and (PDFs) where pages start."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..results import MetaValue


@dataclass
class Loaded:
    """A file's title and normalised text; ``meta`` extras such as a date; ``pages`` ``(offset, label)`` per page."""

    title: str
    text: str
    meta: dict[str, MetaValue] = field(default_factory=dict)
    pages: tuple[tuple[int, str], ...] = ()
