"""Where a document's text has headings and (in Markdown files) bold, italic, code and links.

The page shows document text as text: nothing in it becomes markup by itself. This module
only finds character ranges: headings, emphasis, code, and the Markdown syntax around them
that is not shown (``**``, ``# ``, ``[…](url)``). :mod:`app.render` wraps those ranges in
elements of its own, exactly as it wraps the highlights, so raw HTML in a document stays
visible text and a link is shown as its words, never followed.

A heading is a Markdown ``#`` line, or in any format a paragraph of one short line that
does not end like a sentence (the rule that makes a text file's first line its title).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

__all__ = ["MARKDOWN_SUFFIXES", "Markup", "find_markup"]

MARKDOWN_SUFFIXES = (".md", ".markdown")
HEADING_CHARS = 100

Ranges = list[tuple[int, int]]

_NUMBERED = re.compile(r"\d+[.)]\s")
_PARAGRAPH = re.compile(r"[^\n]+(?:\n[^\n]+)*")  # lines up to a blank line
_FENCE = re.compile(r"^(```|~~~)[^\n]*\n(.*?)^\1[ \t]*$", re.MULTILINE | re.DOTALL)
_ATX = re.compile(r"^(#{1,6})[ \t]+(.*?)(?:[ \t]+#+)?[ \t]*$", re.MULTILINE)
_CODE = re.compile(r"(`+)(?=\S)(.+?)(?<=\S)\1")
_LINK = re.compile(r"(!?\[)([^\]\n]+)(\]\([^)\s]+(?:[ \t]+\"[^\"\n]*\")?\))")
_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_EMPHASIS = re.compile(r"(?<![*\w])(\*|_)(?=[^\s*_])([^*_\n]+?)(?<=\S)\1(?![*\w])")


@dataclass
class Markup:
    """Character ranges of a text: what to show as heading, bold, italic or code, and what to hide."""

    headings: Ranges = field(default_factory=list)
    strong: Ranges = field(default_factory=list)
    emphasis: Ranges = field(default_factory=list)
    code: Ranges = field(default_factory=list)
    hidden: Ranges = field(default_factory=list)


def _plain_heading(paragraph: str) -> bool:
    """One short line that does not end like a sentence and does not start like a list item."""
    line = paragraph.strip()
    return ("\n" not in line and 0 < len(line) <= HEADING_CHARS and line[-1] not in ".!?:;,"
            and (line[0].isalnum() or line[0] in "„\"'«»") and not _NUMBERED.match(line))


def find_markup(text: str, markdown: bool = False, continues: bool = False) -> Markup:
    """Headings of ``text``, and for Markdown (``markdown``) its emphasis, code, links and hidden syntax.

    A heading needs text after it: the last paragraph is one only if the document
    ``continues`` after ``text`` (``text`` is a passage).
    """
    found = Markup()
    paragraphs = list(_PARAGRAPH.finditer(text))
    for number, paragraph in enumerate(paragraphs):
        body = paragraph.group(0)
        if markdown and body.startswith("#"):
            continue  # an ATX heading, found below
        if (continues or number + 1 < len(paragraphs)) and _plain_heading(body):
            lead = len(body) - len(body.lstrip())
            found.headings.append((paragraph.start() + lead, paragraph.start() + len(body.rstrip())))
    if not markdown:
        return found
    taken: Ranges = []  # code holds no other markup

    def free(start: int, end: int) -> bool:
        return all(end <= a or start >= b for a, b in taken)

    for fence in _FENCE.finditer(text):
        found.code.append(fence.span(2))
        found.hidden += [(fence.start(), fence.start(2)), (fence.end(2), fence.end())]
        taken.append(fence.span())
    for heading in _ATX.finditer(text):
        if free(*heading.span()):
            found.headings.append(heading.span(2))
            found.hidden += [(heading.start(), heading.start(2)), (heading.end(2), heading.end())]
    for match in _CODE.finditer(text):
        if not free(*match.span()):
            continue
        found.code.append(match.span(2))
        found.hidden += [(match.start(), match.start(2)), (match.end(2), match.end())]
        taken.append(match.span())
    for match in _LINK.finditer(text):
        if free(*match.span()):
            found.hidden += [match.span(1), match.span(3)]
    for pattern, ranges in ((_STRONG, found.strong), (_EMPHASIS, found.emphasis)):
        for match in pattern.finditer(text):
            if free(*match.span()):
                ranges.append(match.span(2))
                found.hidden += [(match.start(), match.start(2)), (match.end(2), match.end())]
    for ranges in (found.headings, found.code, found.hidden):
        ranges.sort()
    return found
