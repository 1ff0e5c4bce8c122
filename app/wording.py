"""How the page words facts: counts, what the questions are about, what became of each upload.

The tables of words are in :mod:`app.texts`; this module picks among them. The library
gives its reasons for a file it could not read in one English line; :func:`loader_reason`
turns the common ones into the page's plain words.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from app.texts import text
from app.uploads import ALLOWED_SUFFIXES, Outcome

__all__ = ["counted", "file_size", "loader_reason", "md_escape", "number", "shown_date", "subject",
           "upload_summary"]

SUBJECT_TITLES = 3  # titles named in "Fragen zu: …" before "und N weiteren Dokumenten"

# Beginnings of the reasons fundstelle.load gives, and the page's words for them.
_LOADER_REASONS = (
    ("corrupt or unreadable PDF", "reason_pdf_broken"),
    ("PDF is encrypted", "reason_pdf_locked"),
    ("PDF has no text layer", "reason_pdf_scan"),
    ("binary data", "reason_binary"),
    ("neither UTF-8 nor Latin-1", "reason_binary"),
    ("invalid UTF-16", "reason_binary"),
    ("no text in file", "reason_no_text"),
    ("not a valid Word", "reason_wrong_format"),
    ("not a valid OpenDocument", "reason_wrong_format"),
    ("not a Word document", "reason_wrong_format"),
    ("not an OpenDocument text", "reason_wrong_format"),
    ("corrupt or unreadable Word", "reason_wrong_format"),
    ("corrupt or unreadable OpenDocument", "reason_wrong_format"),
)


def md_escape(value: str) -> str:
    """Escape Markdown's special characters in ``value``, for messages that quote names."""
    return re.sub(r"([\\`*_{}\[\]()#!|<>~$:&])", r"\\\1", value)


def number(value: int, lang: str) -> str:
    """Format 12345 as 12.345 (German) or 12,345 (English)."""
    return f"{value:,}".replace(",", ".") if lang == "de" else f"{value:,}"


def counted(lang: str, n: int, key: str) -> str:
    """``n`` things in words: ``key + "_1"`` for one ("1 Abschnitt"), ``key + "_n"`` for more."""
    return text(lang, f"{key}_1") if n == 1 else text(lang, f"{key}_n", n=number(n, lang))


def file_size(size: int, lang: str) -> str:
    """A file's size for people: "850 Bytes", "12 KB", "1,4 MB" (German decimal comma)."""
    if size < 1000:
        return f"{size} Bytes" if lang == "de" else f"{size} bytes"
    value, unit = (size / 1000, "KB") if size < 1_000_000 else (size / 1_000_000, "MB")
    shown = f"{value:.0f}" if value >= 10 else f"{value:.1f}"
    return f"{shown.replace('.', ',') if lang == 'de' else shown} {unit}"


def shown_date(iso: str, lang: str) -> str:
    """An ISO date as people of ``lang`` write it: 2025-07-01 → 1.7.2025 (German); other forms as given."""
    parts = iso.split("-")
    if lang == "de" and len(parts) == 3 and all(part.isdigit() for part in parts):
        return f"{int(parts[2])}.{int(parts[1])}.{parts[0]}"
    return iso


def subject(titles: Sequence[str], lang: str) -> str:
    """What the questions are about: "Fragen zu: A", "… A und B", "… A, B, C und 2 weiteren Dokumenten"."""
    if not titles:
        return text(lang, "no_subject")
    named = list(titles[:SUBJECT_TITLES])
    rest = len(titles) - len(named)
    if rest:
        named.append(counted(lang, rest, "more"))
    what = named[0] if len(named) == 1 else ", ".join(named[:-1]) + f" {text(lang, 'and')} {named[-1]}"
    return text(lang, "subject", what=what)


def loader_reason(reason: str) -> str:
    """The texts key that words the library's ``reason`` for not reading a file."""
    if "zip bomb" in reason:  # said by every check of a .docx/.odt container's sizes
        return "reason_zip_bomb"
    return next((key for start, key in _LOADER_REASONS if reason.startswith(start)), "reason_loader")


def _line(outcome: Outcome, lang: str) -> str:
    """One upload's fate in Markdown, its names escaped."""
    name = md_escape(outcome.name)
    if outcome.status != "rejected":
        line = text(lang, outcome.status, name=name)
        if outcome.saved_as and outcome.saved_as != outcome.name:
            line += " " + text(lang, "saved_as", saved=md_escape(outcome.saved_as))
        return line
    if outcome.code == "loader":
        reason = text(lang, loader_reason(outcome.details.get("reason", "")))
    else:
        details = dict(outcome.details)
        if outcome.code == "suffix":
            details["allowed"] = ", ".join(ALLOWED_SUFFIXES)
        reason = text(lang, f"reason_{outcome.code}", **{k: md_escape(v) for k, v in details.items()})
    return text(lang, "rejected", name=name, reason=reason)


def upload_summary(outcomes: Sequence[Outcome], lang: str) -> tuple[str, str]:
    """One message for one batch of uploads: its kind (``success``, ``info``, ``warning``, ``error``) and Markdown.

    One file gets one sentence; more get a line each under "3 Dateien:".
    """
    rejected = sum(outcome.status == "rejected" for outcome in outcomes)
    if rejected == len(outcomes):
        kind = "error"
    elif rejected:
        kind = "warning"
    elif all(outcome.status == "unchanged" for outcome in outcomes):
        kind = "info"
    else:
        kind = "success"
    lines = [_line(outcome, lang) for outcome in outcomes]
    if len(lines) == 1:
        return kind, lines[0]
    return kind, text(lang, "files_n", n=len(lines)) + "\n" + "\n".join(f"- {line}" for line in lines)
