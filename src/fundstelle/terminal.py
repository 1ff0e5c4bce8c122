"""What the command line prints: text made safe for a terminal, hits and answers as readable text, JSON, progress.

:mod:`fundstelle.cli` parses the commands and runs them; the wording of what they print
lives here, so that every line a person reads passes :func:`shown` first.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path

from .pages import cite_pages
from .results import Answer, Hit, IngestReport, Progress

__all__ = ["display_path", "format_answer", "format_hit", "notices", "print_json", "print_report", "progress_bar",
           "shown"]

# Characters that would steer a terminal or garble a line: controls (ESC starts escape
# sequences; C1 controls such as U+009B do so on some terminals), line and paragraph
# separators, bidirectional overrides (they reorder what is shown), lone surrogates
# (file names that are not UTF-8).
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
# What json.dumps(ensure_ascii=False) leaves unescaped of the above.
_JSON_RAW = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_UNPRINTABLE_IN_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")


def shown(text: object, keep_lines: bool = False) -> str:
    r"""``text`` safe to print on a terminal: each control character or surrogate as ``\xNN`` or ``\uNNNN``.

    File names and titles come from anyone (and an index from anywhere): printed raw,
    a name holding ESC could clear the screen or retitle the window, and a newline
    could forge an output line. ``keep_lines`` keeps line breaks and tabs (for passages).
    """
    return (_UNPRINTABLE_IN_TEXT if keep_lines else _UNPRINTABLE).sub(_escaped, str(text))


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def print_json(data: object) -> None:
    """Print ``data`` as JSON, with the C1 controls and separators JSON leaves raw escaped too."""
    text = json.dumps(data, ensure_ascii=False, indent=1)
    print(_JSON_RAW.sub(lambda m: f"\\u{ord(m.group()):04x}", text))


def display_path(path: Path) -> str:
    """The path relative to the working directory when it lies below it."""
    try:
        return os.path.relpath(path) if not os.path.relpath(path).startswith("..") else str(path)
    except ValueError:
        return str(path)


def _display_source(source: str) -> str:
    """A document's source as a person at this terminal opens it: relative to the working folder when below it."""
    return display_path(Path(source)) if os.path.isabs(source) else source


def progress_bar() -> Progress:
    """A progress callback for :func:`fundstelle.ingest` that draws one tqdm bar per stage."""
    from tqdm import tqdm

    bars: dict[str, tqdm] = {}
    labels = {"load": ("Reading files", " files"), "chunk": ("Chunking text", " chars"),
              "embed": ("Embedding chunks", " chunks"), "sentences": ("Embedding sentences", " sentences"),
              "passages": ("Embedding on Ray", " passages"), "index": ("Indexing words", " chunks")}

    def progress(stage: str, done: int, total: int) -> None:
        bar = bars.get(stage)
        if bar is None:
            label, unit = labels.get(stage, (stage, " items"))
            bar = bars[stage] = tqdm(total=total, desc=label, unit=unit, unit_scale=stage == "chunk",
                                     file=sys.stderr, leave=False, dynamic_ncols=True)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return progress


@contextlib.contextmanager
def notices() -> Iterator[None]:
    """Show the library's warnings (a question cut short, a file in two encodings) as one-line notes."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        try:
            yield
        finally:
            for warning in caught:
                print(f"note: {shown(warning.message)}", file=sys.stderr)


def print_report(report: IngestReport, index: str) -> None:
    """An ingest's outcome: each skipped file on stderr, then the summary line."""
    for skipped in report.skipped:
        print(f"skipped {shown(skipped.source)}: {shown(skipped.reason)}", file=sys.stderr)
    print(f"{shown(index)}/: {report.summary()}")


def format_hit(hit: Hit, color: bool = False, by_answer: bool = False) -> str:
    """A hit as readable text with the answer marked, and the figure it is ranked by.

    On a terminal the answer sentence is yellow and the answer phrase in it bold;
    otherwise the sentence is wrapped in »…« and the phrase in **…**. Hits of a search
    are ranked by their fused ``score``; ``by_answer`` (the hits of ``ask``) shows the
    answer sentence's score instead, by which those are ranked.
    """
    text = hit.text
    answer = hit.answer
    if answer is not None:
        sentence_on, phrase_on, phrase_off, sentence_off = (
            ("\033[33m", "\033[1;4m", "\033[22;24m", "\033[0m") if color else ("»", "**", "**", "«")
        )
        inner = text[answer.start:answer.end]
        if answer.phrase is not None:
            a, b = answer.phrase.start - answer.start, answer.phrase.end - answer.start
            inner = inner[:a] + phrase_on + inner[a:b] + phrase_off + inner[b:]
        text = text[:answer.start] + sentence_on + inner + sentence_off + text[answer.end:]
    body = "\n".join("   " + shown(line, keep_lines=True) for line in text.splitlines())
    figure = f"answer score {hit.answer.score:.2f}" if by_answer else f"score {hit.score:.2f}"
    page = f", {shown(cite_pages(hit.pages))}" if hit.pages else ""
    return (f"{hit.rank}. {shown(hit.title)}  —  {shown(_display_source(hit.source))}{page}, "
            f"characters {hit.start}–{hit.end}, {figure}\n{body}")


def format_answer(answer: Answer | None, color: bool = False, note: str | None = None) -> str:
    """The reply's answer as readable text: the answer, the confidence, the sentence, where it stands.

    The answer line holds the phrase where there is one, else the sentence (then not
    repeated below it). ``note`` (:attr:`Reply.note`) says why there is no answer.
    """
    if answer is None:
        if note is not None:
            return f"No answer: {note}."
        return "No sure answer in the documents; the closest passages:"
    page = f", {shown(cite_pages(answer.pages))}" if answer.pages else ""
    where = (f"   — {shown(answer.title)}, {shown(_display_source(answer.source))}{page}, "
             f"characters {answer.start}–{answer.end}")
    if answer.phrase is None:
        return f"Answer: {shown(answer.text)}  (confidence {answer.confidence:.0%})\n{where}"
    on, off = ("\033[1;4m", "\033[22;24m") if color else ("**", "**")
    a, b = answer.phrase.start - answer.start, answer.phrase.end - answer.start
    sentence = answer.text[:a] + on + answer.text[a:b] + off + answer.text[b:]
    return f"Answer: {shown(answer.phrase.text)}  (confidence {answer.confidence:.0%})\n   »{shown(sentence)}«\n{where}"
