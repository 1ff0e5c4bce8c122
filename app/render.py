"""Hits as HTML: the passage with its answer and the question's words highlighted in place.

Document text is untrusted. Every piece of it goes through :func:`html.escape` here and
nowhere is it pasted into markup unescaped; the only markup is the elements this module
opens and closes around character ranges (highlights, and the headings and emphasis
:mod:`app.markup` finds). Ranges nest: the answer sentence holds the answer phrase, and
both may hold question words, so the renderer keeps a stack of open elements and closes
and reopens them in order wherever the ranges cross.

Each highlight differs from the others by more than colour: the answer sentence has a
bar under it, the answer phrase is bold, question words have a dotted underline, and the
passage in the document view a bar at the left of each of its lines.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from app.markup import MARKDOWN_SUFFIXES, Markup, find_markup
from fundstelle import Hit

__all__ = [
    "CSS",
    "DOCUMENT_VIEW_CHARS",
    "TARGET_ID",
    "Layer",
    "Position",
    "answer_html",
    "document_html",
    "focus_offset",
    "layered_html",
    "passage_html",
    "position",
    "status_html",
]

# The element the document view scrolls to.
TARGET_ID = "fs-target"
# The document view shows at most this many characters, centred on the passage.
DOCUMENT_VIEW_CHARS = 200_000

# Colours checked against WCAG AA: text at least 4.5:1 on its background, the bars and
# underlines that mark something at least 3:1 against what surrounds them.
CSS = """
<style>
.block-container, [data-testid="stMainBlockContainer"] { padding-top: 2.5rem; }
div[data-testid="stCaptionContainer"] { color: #55575f; opacity: 1; }
[data-testid="InputInstructions"] { display: none; }
.fs-sr { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.fs-section { font-size: 1.1rem; font-weight: 600; margin: 0; padding: 0; line-height: 1.4; }
.fs-status { margin: 0; font-size: .875rem; color: #55575f; min-height: 0; }
.fs-status.fs-nothing { color: #1d3b63; background: #e8f1fc; padding: .7rem 1rem; border-radius: .5rem;
                        font-size: 1rem; }
.fs-hit h3 { display: flex; flex-wrap: wrap; gap: .1rem .6rem; align-items: baseline; font-size: 1rem;
             font-weight: 600; margin: 0 0 .1rem 0; padding: 0; line-height: 1.4; }
.fs-rank { font-weight: 700; }
.fs-where, .fs-details, .fs-best .fs-source { font-size: .875rem; color: #55575f; }
.fs-where { margin: 0 0 .4rem 0; }
.fs-details { margin-top: .4rem; }
.fs-details summary { cursor: pointer; width: fit-content; }
.fs-details p { margin: .2rem 0 0 0; }
.fs-cue { white-space: nowrap; }
.fs-dots { letter-spacing: .1em; color: #1a7f37; }
.fs-cue-1 .fs-dots { color: #8a5a00; }
.fs-text { white-space: pre-wrap; line-height: 1.65; overflow-wrap: anywhere; }
mark.fs-answer { background: #fff3b0; color: inherit; padding: .05em 0 .12em 0; box-shadow: inset 0 -2px 0 #8a5a00;
                 -webkit-box-decoration-break: clone; box-decoration-break: clone; }
mark.fs-phrase { background: #ffd84d; color: inherit; font-weight: 700; }
mark.fs-term { background: transparent; color: inherit; text-decoration: underline dotted 2px #55575f;
               text-underline-offset: 3px; }
.fs-h { font-weight: 700; }
.fs-text .fs-h { display: inline; }
.fs-best { border-left: 4px solid #8a5a00; padding: .3rem .9rem; margin: .2rem 0 .6rem 0; font-size: 1.05rem;
           line-height: 1.55; }
.fs-best mark.fs-answer { background: transparent; box-shadow: none; padding: 0; }
.fs-best-head { display: flex; flex-wrap: wrap; gap: .2rem .6rem; align-items: baseline; font-size: .95rem; }
.fs-best-head h3 { font-size: 1rem; font-weight: 700; margin: 0; padding: 0; }
.fs-best .fs-source { display: block; margin-top: .25rem; }
.fs-phrase-big { font-size: 1.6rem; font-weight: 700; line-height: 1.3; margin: .1rem 0 .2rem 0; }
.fs-doc-head { margin: 0 0 .5rem 0; }
.fs-doc-head h3 { font-size: 1.15rem; font-weight: 700; margin: 0; padding: 0; }
.fs-doc { max-height: 65vh; overflow-y: auto; white-space: pre-wrap; line-height: 1.65; overflow-wrap: anywhere;
          max-width: 66ch; padding: .6rem 1rem .6rem 1.1rem; border: 1px solid #8d8f96; border-radius: .5rem; }
.fs-doc:focus-visible { outline: 2px solid #0b5cad; outline-offset: 2px; }
.fs-doc h4.fs-h { display: inline; font-size: 1.1rem; font-weight: 700; margin: 0; padding: 0; line-height: 1.9; }
.fs-doc code, .fs-text code { font-size: .9em; background: #f0f0f0; padding: 0 .2em; border-radius: 3px; }
.fs-doc .fs-passage { background: #e6f0fb; box-shadow: -5px 0 0 #0b5cad; -webkit-box-decoration-break: clone;
                      box-decoration-break: clone; }
.fs-document small { color: #55575f; }
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


def _covers(spans: list[tuple[int, int]], point: int, at: list[int], layer: int) -> bool:
    """Whether ``point`` lies in one of ``spans`` (sorted); ``at[layer]`` remembers where to look next."""
    while at[layer] < len(spans) and spans[at[layer]][1] <= point:
        at[layer] += 1
    return at[layer] < len(spans) and spans[at[layer]][0] <= point


def layered_html(text: str, layers: Sequence[Layer], hidden: Sequence[tuple[int, int]] = ()) -> str:
    """``text`` escaped, with each layer's ranges wrapped in properly nested elements.

    The characters in ``hidden`` (Markdown syntax such as ``**``) are left out.
    """
    ranges = [_merged(layer.spans, len(text)) for layer in layers]
    skipped = _merged(hidden, len(text))
    cuts = sorted({0, len(text), *(point for spans in [*ranges, skipped] for span in spans for point in span)})
    out: list[str] = []
    open_layers: list[int] = []
    anchored: set[int] = set()
    at = [0] * (len(layers) + 1)
    for start, end in zip(cuts, cuts[1:], strict=False):
        if _covers(skipped, start, at, len(layers)):
            continue
        wanted = [i for i, spans in enumerate(ranges) if _covers(spans, start, at, i)]
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


def _markup(text: str, source: str, continues: bool = False) -> Markup:
    return find_markup(text, markdown=Path(source).suffix.lower() in MARKDOWN_SUFFIXES, continues=continues)


def _markup_layers(markup: Markup, heading_tag: str) -> tuple[list[Layer], list[Layer]]:
    """Layers for headings (to wrap outside the highlights) and for emphasis and code (inside them)."""
    outer = [Layer("fs-h", markup.headings, tag=heading_tag)]
    inner = [Layer("fs-b", markup.strong, tag="strong"), Layer("fs-i", markup.emphasis, tag="em"),
             Layer("fs-c", markup.code, tag="code")]
    return outer, inner


@dataclass(frozen=True)
class Position:
    """Where a passage sits in its document: the paragraphs it spans, the one it points at, its characters.

    Paragraphs are counted from 1 of ``paragraphs``; ``first_paragraph``–``last_paragraph``
    hold the passage's first and last words (a passage of merged chunks may span several),
    ``paragraph`` the place it points at (its answer sentence), one of them.
    """

    paragraph: int
    paragraphs: int
    start: int
    end: int
    length: int
    first_paragraph: int = 0
    last_paragraph: int = 0


_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n\s*")


def position(document_text: str, start: int, end: int, focus: int | None = None) -> Position:
    """Where ``start``–``end`` stands; its ``paragraph`` holds ``focus``, else the passage's first word.

    Paragraphs are split at blank lines.
    """
    breaks = [match.end() for match in _PARAGRAPH_BREAK.finditer(document_text.rstrip())]

    def paragraph_of(offset: int) -> int:
        return 1 + sum(1 for point in breaks if point <= offset)

    passage = document_text[start:end]
    first = paragraph_of(start + len(passage) - len(passage.lstrip()))
    last = paragraph_of(start + max(0, len(passage.rstrip()) - 1))
    paragraph = first if focus is None else paragraph_of(focus)
    return Position(paragraph, len(breaks) + 1, start, end, len(document_text.rstrip()), first, max(first, last))


def focus_offset(hit: Hit) -> int:
    """Where in its document a hit points: its answer sentence's first word, else the passage's."""
    if hit.answer is not None:
        sentence = hit.text[hit.answer.start:hit.answer.end]
        return hit.start + hit.answer.start + len(sentence) - len(sentence.lstrip())
    return hit.start + len(hit.text) - len(hit.text.lstrip())


def _cue_html(level: int, cue: str, help_text: str) -> str:
    """The level as dots and words, e.g. ●●○ wahrscheinlich; ``help_text`` as its tooltip.

    The dots repeat the words, so screen readers skip them.
    """
    dots = "●" * level + "○" * (3 - level)
    return (f'<span class="fs-cue fs-cue-{level}" title="{html.escape(help_text)}">'
            f'<span class="fs-dots" aria-hidden="true">{dots}</span> {html.escape(cue)}</span>')


def passage_html(hit: Hit, where: Position, labels: Mapping[str, str], answer: bool = True) -> str:
    """Render one hit: a heading with rank and title, where it stands, the highlighted passage, details folded.

    ``labels`` holds the already translated ``heading`` ("Treffer 1 von 5"), ``where``
    ("Absatz 3 von 12"), ``details_summary`` and ``details`` texts; ``answer`` false
    leaves the answer sentence unmarked.
    """
    before = "… " if where.start > 0 else ""
    after = " …" if where.end < where.length else ""
    markup = _markup(hit.text, hit.source, continues=bool(after))
    outer, inner = _markup_layers(markup, "strong")
    passage = layered_html(hit.text, [*outer, *_hit_layers(hit, answer=answer), *inner], markup.hidden)
    return (
        f'<article class="fs-hit" data-rank="{hit.rank}">'
        f'<h3><span class="fs-rank">{html.escape(labels["heading"])}</span>'
        f'<span class="fs-title">{html.escape(hit.title)}</span></h3>'
        f'<p class="fs-where">{html.escape(labels["where"])}</p>'
        f'<div class="fs-text">{before}{passage}{after}</div>'
        f'<details class="fs-details"><summary>{html.escape(labels["details_summary"])}</summary>'
        f'<p>{html.escape(labels["details"])}</p></details>'
        "</article>"
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
    markup = _markup(sentence, hit.source)
    phrase = f'<p class="fs-phrase-big">{html.escape(answer.phrase.text)}</p>' if answer.phrase else ""
    return (
        f'<section class="fs-best"><div class="fs-best-head"><h3>{html.escape(heading)}</h3>'
        f"{_cue_html(level, cue, help_text)}</div>{phrase}"
        f'<div class="fs-sentence">{layered_html(sentence, layers, markup.hidden)}</div>'
        f'<span class="fs-source">{html.escape(source)}</span></section>'
    )


def status_html(message: str, nothing_found: bool = False) -> str:
    """The line under the question box that screen readers announce: the hit count, or that nothing was found."""
    kind = " fs-nothing" if nothing_found else ""
    return f'<p class="fs-status{kind}" role="status">{html.escape(message)}</p>'


def document_html(document_text: str, hit: Hit, jump: str, limit: int = DOCUMENT_VIEW_CHARS) -> str:
    """Render the whole document, the hit's passage marked in place (id :data:`TARGET_ID`) with its highlights.

    Headings and (in Markdown files) emphasis show as such, their syntax hidden. ``jump``
    is the text of a link to the passage, for when no script scrolls there. Of a
    document longer than ``limit`` characters only that many around the passage are shown.
    """
    first = max(0, min(hit.start - limit // 2, len(document_text) - limit))
    shown = document_text[first:first + limit]
    shift = hit.start - first
    markup = _markup(shown, hit.source, continues=first + limit < len(document_text))
    outer, inner = _markup_layers(markup, "h4")
    layers = [*outer, Layer("fs-passage", [(shift, hit.end - first)], tag="span", anchor=TARGET_ID),
              *_hit_layers(hit, shift), *inner]
    before = "… " if first > 0 else ""
    after = " …" if first + limit < len(document_text) else ""
    return (
        f'<div class="fs-doc-head"><h3>{html.escape(hit.title)}</h3><a href="#{TARGET_ID}">{html.escape(jump)}</a>'
        "</div>"
        # Focusable, so that PageDown, the arrow keys and Space scroll it.
        f'<div class="fs-doc" tabindex="0" role="region" aria-label="{html.escape(hit.title)}">'
        f"{before}{layered_html(shown, layers, markup.hidden)}{after}</div>"
    )
