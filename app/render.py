"""Hits as HTML: the passage with its answer and the question's words highlighted in place.

Document text is untrusted. Every piece of it goes through :func:`html.escape` here and
nowhere is it pasted into markup unescaped; the only markup is the ``<mark>``/``<span>``
elements this module opens and closes around character ranges. Highlights nest: the
answer sentence holds the answer phrase, and both may hold question words, so the
renderer keeps a stack of open elements and closes and reopens them in order wherever
the ranges cross.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from fundstelle import Hit

__all__ = [
    "CSS",
    "DOCUMENT_VIEW_CHARS",
    "TARGET_ID",
    "Layer",
    "Position",
    "answer_html",
    "document_html",
    "layered_html",
    "passage_html",
    "position",
]

# The element the document view scrolls to.
TARGET_ID = "fs-target"
# The document view shows at most this many characters, centred on the passage.
DOCUMENT_VIEW_CHARS = 200_000

CSS = """
<style>
.fs-head { display: flex; flex-wrap: wrap; gap: .35rem .9rem; align-items: baseline; font-size: .9rem;
           margin-bottom: .35rem; }
.fs-rank { font-weight: 700; }
.fs-title { font-weight: 600; }
.fs-where { opacity: .75; }
.fs-cue { white-space: nowrap; }
.fs-dots { letter-spacing: .1em; color: #1a7f37; }
.fs-cue-1 .fs-dots, .fs-cue-0 .fs-dots { color: #9a6700; }
.fs-bar { position: relative; height: 4px; background: rgba(128,128,128,.2); border-radius: 2px;
          margin: 0 0 .5rem 0; }
.fs-bar > span { position: absolute; top: 0; bottom: 0; min-width: 3px; background: #d4a72c; border-radius: 2px; }
.fs-text { white-space: pre-wrap; line-height: 1.6; overflow-wrap: anywhere; }
mark.fs-answer { background: #fff1a8; color: inherit; padding: .05em 0; border-radius: 2px; }
mark.fs-phrase { background: #ffd33d; color: inherit; font-weight: 600; }
mark.fs-term { background: transparent; color: inherit; text-decoration: underline 2px #d4a72c;
               text-underline-offset: 3px; }
mark.fs-answer mark.fs-term { background: transparent; }
.fs-best { border-left: 4px solid #d4a72c; padding: .45rem .8rem; margin: .3rem 0 .8rem 0; font-size: 1.05rem;
           line-height: 1.55; }
.fs-best mark.fs-answer { background: transparent; }
.fs-best .fs-source { display: block; font-size: .85rem; opacity: .75; margin-top: .2rem; }
.fs-best-head { display: flex; gap: .6rem; align-items: baseline; font-size: .95rem; }
.fs-phrase-big { font-size: 1.6rem; font-weight: 700; line-height: 1.3; margin: .15rem 0 .25rem 0; }
.fs-doc { max-height: 65vh; overflow-y: auto; white-space: pre-wrap; line-height: 1.6; overflow-wrap: anywhere;
          padding: .5rem .8rem; border: 1px solid rgba(128,128,128,.35); border-radius: .5rem; }
.fs-doc .fs-passage { background: rgba(212,167,44,.2); box-shadow: 0 0 0 2px rgba(212,167,44,.2);
                      border-radius: 2px; }
.fs-muted { opacity: .65; }
</style>
"""


@dataclass(frozen=True)
class Layer:
    """One kind of highlight: character ranges wrapped in ``<tag class="css_class">``.

    Layers nest in the order given, the first outermost. ``anchor``, if set, becomes
    the ``id`` of the first element of this layer.
    """

    css_class: str
    spans: Sequence[tuple[int, int]]
    tag: str = "mark"
    anchor: str = ""


def _merged(spans: Sequence[tuple[int, int]], length: int) -> list[tuple[int, int]]:
    """Ranges clamped to the text, empty ones dropped, overlapping or touching ones joined."""
    clean = sorted((max(0, start), min(length, end)) for start, end in spans if min(length, end) > max(0, start))
    out: list[tuple[int, int]] = []
    for start, end in clean:
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def layered_html(text: str, layers: Sequence[Layer]) -> str:
    """``text`` escaped, with each layer's ranges wrapped in properly nested elements."""
    ranges = [_merged(layer.spans, len(text)) for layer in layers]
    cuts = sorted({0, len(text), *(point for spans in ranges for span in spans for point in span)})
    out: list[str] = []
    open_layers: list[int] = []
    anchored: set[int] = set()
    for start, end in zip(cuts, cuts[1:], strict=False):
        wanted = [i for i, spans in enumerate(ranges) if any(a <= start < b for a, b in spans)]
        keep = 0
        while keep < min(len(open_layers), len(wanted)) and open_layers[keep] == wanted[keep]:
            keep += 1
        out.extend(f"</{layers[i].tag}>" for i in reversed(open_layers[keep:]))
        for i in wanted[keep:]:
            layer = layers[i]
            anchor = ""
            if layer.anchor and i not in anchored:
                anchor = f' id="{html.escape(layer.anchor)}"'
                anchored.add(i)
            out.append(f'<{layer.tag} class="{html.escape(layer.css_class)}"{anchor}>')
        open_layers = wanted
        out.append(html.escape(text[start:end]))
    out.extend(f"</{layers[i].tag}>" for i in reversed(open_layers))
    return "".join(out)


def _hit_layers(hit: Hit, shift: int = 0, answer: bool = True) -> list[Layer]:
    """Return layers for the answer sentence, answer phrase and question words of ``hit``, moved by ``shift``.

    ``answer`` false leaves the answer sentence and phrase unmarked (question words stay).
    """
    layers = []
    if answer and hit.answer is not None:
        layers.append(Layer("fs-answer", [(hit.answer.start + shift, hit.answer.end + shift)]))
        if hit.answer.phrase is not None:
            phrase = hit.answer.phrase
            layers.append(Layer("fs-phrase", [(phrase.start + shift, phrase.end + shift)]))
    layers.append(Layer("fs-term", [(term.start + shift, term.end + shift) for term in hit.terms]))
    return layers


@dataclass(frozen=True)
class Position:
    """Where a passage sits in its document: paragraph number and character range."""

    paragraph: int
    paragraphs: int
    start: int
    end: int
    length: int


_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


def position(document_text: str, start: int, end: int) -> Position:
    """Paragraph (1-based, paragraphs split at blank lines) holding the first word of ``start``."""
    breaks = [match.end() for match in _PARAGRAPH_BREAK.finditer(document_text.rstrip())]
    first_word = start + len(document_text[start:end]) - len(document_text[start:end].lstrip())
    paragraph = 1 + sum(1 for point in breaks if point <= first_word)
    return Position(paragraph, len(breaks) + 1, start, end, len(document_text.rstrip()))


def _cue_html(level: int, cue: str, help_text: str) -> str:
    """The level as dots and words, e.g. ●●○ wahrscheinlich; ``help_text`` as its tooltip."""
    dots = "●" * level + "○" * (3 - level)
    return (f'<span class="fs-cue fs-cue-{level}" title="{html.escape(help_text)}">'
            f'<span class="fs-dots">{dots}</span> {html.escape(cue)}</span>')


def passage_html(hit: Hit, where: Position, labels: dict[str, str], level: int, cue: str,
                 answer: bool = True) -> str:
    """Render one hit: rank, title, position and cue, then the highlighted passage.

    ``labels`` holds the already translated ``rank``, ``paragraph``, ``characters`` and
    ``level_help`` texts; ``cue`` the words of the cue shown beside ``level``'s dots
    (``level`` 0: no cue); ``answer`` false leaves the answer sentence unmarked.
    """
    left = 100 * where.start / max(where.length, 1)
    width = 100 * (where.end - where.start) / max(where.length, 1)
    before = "… " if where.start > 0 else ""
    after = " …" if where.end < where.length else ""
    return (
        f'<div class="fs-hit" data-rank="{hit.rank}">'
        f'<div class="fs-head"><span class="fs-rank">{html.escape(labels["rank"])}</span>'
        f'<span class="fs-title">{html.escape(hit.title)}</span>'
        f'<span class="fs-where">{html.escape(labels["paragraph"])} · {html.escape(labels["characters"])}</span>'
        + (_cue_html(level, cue, labels["level_help"]) if level else "") + "</div>"
        f'<div class="fs-bar" title="{html.escape(labels["characters"])}">'
        f'<span style="left:{left:.1f}%;width:{width:.1f}%"></span></div>'
        f'<div class="fs-text">{before}{layered_html(hit.text, _hit_layers(hit, answer=answer))}{after}</div>'
        "</div>"
    )


def answer_html(hit: Hit, heading: str, source: str, level: int, cue: str, help_text: str) -> str:
    """Render the answer card from the hit that shows it: the phrase large (if any), the sentence under it.

    ``level``, ``cue`` and ``help_text`` word the answer's confidence. Empty when the
    hit has no answer.
    """
    if hit.answer is None:
        return ""
    answer = hit.answer
    sentence = hit.text[answer.start:answer.end].strip()
    offset = answer.start + len(hit.text[answer.start:answer.end]) - len(hit.text[answer.start:answer.end].lstrip())
    layers = [layer for layer in _hit_layers(hit, shift=-offset) if layer.css_class != "fs-answer"]
    phrase = f'<div class="fs-phrase-big">{html.escape(answer.phrase.text)}</div>' if answer.phrase else ""
    return (
        f'<div class="fs-best"><div class="fs-best-head"><strong>{html.escape(heading)}</strong> '
        f"{_cue_html(level, cue, help_text)}</div>{phrase}"
        f'<div class="fs-sentence">{layered_html(sentence, layers)}</div>'
        f'<span class="fs-source">{html.escape(source)}</span></div>'
    )


def document_html(document_text: str, hit: Hit, jump: str, limit: int = DOCUMENT_VIEW_CHARS) -> str:
    """Render the whole document, the hit's passage marked in place (id :data:`TARGET_ID`) with its highlights.

    ``jump`` is the text of a link to the passage, for when no script scrolls there. Of a
    document longer than ``limit`` characters only that many around the passage are shown.
    """
    first = max(0, min(hit.start - limit // 2, len(document_text) - limit))
    shown = document_text[first:first + limit]
    shift = hit.start - first
    layers = [Layer("fs-passage", [(shift, hit.end - first)], tag="span", anchor=TARGET_ID), *_hit_layers(hit, shift)]
    before = "… " if first > 0 else ""
    after = " …" if first + limit < len(document_text) else ""
    return (
        f'<p><strong>{html.escape(hit.title)}</strong> · <a href="#{TARGET_ID}">{html.escape(jump)}</a></p>'
        # Focusable, so that PageDown, the arrow keys and Space scroll it.
        f'<div class="fs-doc" tabindex="0" role="region" aria-label="{html.escape(hit.title)}">'
        f"{before}{layered_html(shown, layers)}{after}</div>"
    )
