"""Fundstelle in the browser: ask a question, see the answering passages highlighted, manage documents.

    streamlit run app/streamlit_app.py

The index folder is ``$FUNDSTELLE_INDEX``, else ``index/`` at the repository root; when
it holds no index yet, the page builds one from the bundled article first. The index
(and with it the model) is opened once per process and shared by all sessions.
"""

from __future__ import annotations

import html
import os
import re
import sys
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run` puts only app/ on the path
    sys.path.insert(0, str(ROOT))

try:
    import streamlit as st
except ImportError as error:  # pragma: no cover - depends on the installation
    raise SystemExit("the app needs Streamlit: pip install -e '.[app]'") from error

from app.confidence import HIGHLIGHT_FROM, level  # noqa: E402
from app.render import CSS, TARGET_ID, Position, answer_html, document_html, passage_html, position  # noqa: E402
from app.texts import EXAMPLES, LANGUAGES, text  # noqa: E402
from app.uploads import ALLOWED_SUFFIXES, Outcome, add_uploads, remove_document  # noqa: E402
from fundstelle import (  # noqa: E402
    DEFAULT_CORPUS,  # noqa: E402
    MODES,
    FundstelleError,
    Hit,
    Index,
    IndexLockedError,
    IndexNotFoundError,
    Mode,
)

MAX_HITS = 10
BUILD_WAIT_SECONDS = 600

# Scrolls the document view to the passage; the only script on the page, and it carries no
# document text. Runs again for each passage because the marker comment differs.
_SCROLL_SCRIPT = """<script>/* {marker} */
(function () {{
  var tries = 0;
  function go() {{
    var target = document.getElementById("{target}");
    var box = target && target.closest(".fs-doc");
    if (!box) {{ if (tries++ < 50) setTimeout(go, 100); return; }}
    box.scrollTop += target.getBoundingClientRect().top - box.getBoundingClientRect().top - box.clientHeight / 4;
  }}
  go();
}})();
</script>"""


def index_dir() -> Path:
    """Return the index folder: ``$FUNDSTELLE_INDEX`` or ``index/`` at the repository root."""
    return Path(os.environ.get("FUNDSTELLE_INDEX") or ROOT / "index")


@st.cache_resource(show_spinner=False)
def open_index(path: str) -> Index:
    """Open the index at ``path`` once per process (the model loads with it), and warm it up."""
    index = Index.open(path)
    index.search("Wer hat das geschrieben?", k=1)  # the first query of a process is the slowest
    return index


def build_default_index(path: str, lang: str) -> None:
    """Index the bundled article into ``path``, or wait while another process does it."""
    deadline = time.monotonic() + BUILD_WAIT_SECONDS
    with st.spinner(text(lang, "building")):
        while True:
            try:
                Index.open(path)
                return
            except IndexNotFoundError:
                pass
            try:
                Index.build([DEFAULT_CORPUS], path)
                return
            except IndexLockedError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(1)


def load_index(lang: str) -> Index | None:
    """Return the shared index, built first if missing; None (with a message) if it cannot be opened."""
    path = str(index_dir())
    try:
        try:
            return open_index(path)
        except IndexNotFoundError:
            build_default_index(path, lang)
            return open_index(path)
    except FundstelleError as error:
        st.error(text(lang, "index_error", path=_md(path), error=_md(str(error))))
        return None


def _md(value: str) -> str:
    """Escape Markdown's special characters in ``value``, for messages that quote names."""
    return re.sub(r"([\\`*_{}\[\]()#!|<>~$:])", r"\\\1", value)


def _flash(kind: str, message: str) -> None:
    """Keep a message to show after the next rerun."""
    st.session_state.setdefault("flash", []).append((kind, message))


def _show_flash() -> None:
    """Show the messages kept by :func:`_flash`."""
    for kind, message in st.session_state.pop("flash", []):
        getattr(st, kind)(message)


def _ask(question: str) -> None:
    """Put an example question into the question box (callback of the example buttons)."""
    st.session_state["question"] = question


def sidebar(lang: str) -> tuple[int, Mode]:
    """Show the number of hits and the search mode, with short explanations; return both."""
    st.sidebar.header(text(lang, "search_settings"))
    k = st.sidebar.slider(text(lang, "hits"), 1, MAX_HITS, 5, key="k")
    mode = st.sidebar.radio(
        text(lang, "mode"), MODES, key="mode",
        format_func=lambda m: text(lang, f"mode_{m}"),
        captions=[text(lang, f"mode_{m}_help") for m in MODES],
    )
    return k, mode


def index_facts(index: Index, lang: str) -> None:
    """Show documents, chunks, model and last update of the index in the sidebar."""
    info = index.info
    try:
        stamp = datetime.fromisoformat(info.updated)
        updated = stamp.strftime("%d.%m.%Y, %H:%M %Z" if lang == "de" else "%Y-%m-%d %H:%M %Z")
    except ValueError:
        updated = info.updated
    st.sidebar.header(text(lang, "index"))
    documents = text(lang, "documents_1") if info.documents == 1 else text(lang, "documents_n", n=info.documents)
    st.sidebar.markdown(text(lang, "facts", documents=documents, chunks=info.chunks, model=info.model,
                             updated=_md(updated)), help=text(lang, "index_help", path=info.folder))


def _where(index: Index, hit: Hit) -> Position:
    try:
        return position(index.document(hit.doc_id).text, hit.start, hit.end)
    except KeyError:  # removed by another process since the search
        return Position(0, 0, hit.start, hit.end, hit.end)


def _number(value: int, lang: str) -> str:
    """Format 12345 as 12.345 (German) or 12,345 (English)."""
    return f"{value:,}".replace(",", ".") if lang == "de" else f"{value:,}"


def _location(where: Position, lang: str) -> tuple[str, str]:
    def number(value: int) -> str:
        return _number(value, lang)

    paragraph = text(lang, "paragraph", n=where.paragraph, total=where.paragraphs) if where.paragraph else ""
    characters = text(lang, "characters", start=number(where.start), end=number(where.end),
                      total=number(where.length))
    return paragraph, characters


def show_hits(index: Index, hits: list[Hit], lang: str, keywords: bool = False, answered: bool = True) -> None:
    """Show each hit with its highlighted passage and a button that opens the whole document.

    A hit's answer sentence is marked only when the question has an answer (``answered``)
    and the model gives that sentence at least even odds of holding it. For a keyword
    search (``keywords``) nothing is marked but the search words, and the header counts them.
    """
    for hit in hits:
        where = _where(index, hit)
        paragraph, characters = _location(where, lang)
        marked = answered and not keywords and hit.answer is not None and hit.answer.score >= HIGHLIGHT_FROM
        if keywords:
            words = len({term.text.casefold() for term in hit.terms})
            characters += " · " + (text(lang, "words_1") if words == 1 else text(lang, "words_n", n=words))
        labels = {"rank": text(lang, "rank", rank=hit.rank), "paragraph": paragraph, "characters": characters,
                  "level_help": text(lang, "level_help")}
        with st.container(border=True, gap=None):
            st.html(passage_html(hit, where, labels, 0, "", answer=marked))
            if st.button(text(lang, "show_in_document"), key=f"document-{hit.rank}", icon=":material/article:",
                         type="tertiary"):
                show_document(index, hit, lang)


def show_document(index: Index, hit: Hit, lang: str) -> None:
    """Open the whole document in a dialog, scrolled to the passage, highlights in place."""

    @st.dialog(text(lang, "document_dialog"), width="large")
    def dialog() -> None:
        try:
            document = index.document(hit.doc_id)
        except KeyError:
            st.warning(text(lang, "document_gone"))
            return
        st.html(document_html(document.text, hit, text(lang, "jump")))
        marker = f"{hit.doc_id}:{hit.start}:{time.monotonic_ns()}"
        st.html(_SCROLL_SCRIPT.format(marker=marker, target=TARGET_ID), unsafe_allow_javascript=True)

    dialog()


def ask_page(index: Index, lang: str, k: int, mode: Mode) -> None:
    """Show the question box, example questions, best answer and hits (or a plain nothing-found)."""
    documents = index.documents()
    if any(Path(d.source).name == DEFAULT_CORPUS.name for d in documents):
        st.caption(text(lang, "examples"))
        with st.container(horizontal=True, gap="small"):
            for number, example in enumerate(EXAMPLES[lang]):
                st.button(example, key=f"example-{number}", on_click=_ask, args=(example,))
    question = st.text_input(text(lang, "question"), key="question", placeholder=text(lang, "question_placeholder"),
                             help=text(lang, "question_help"))
    if not question.strip():
        return
    started = time.perf_counter()
    try:
        if mode == "lexical":  # keywords, not a question: passages only
            hits, reply = index.search(question, k=k, mode=mode), None
        else:
            reply = index.ask(question, k=k, mode=mode)
            hits = reply.hits
    except ValueError as error:
        st.warning(text(lang, "search_error", error=_md(str(error))))
        return
    took_ms = 1000 * (time.perf_counter() - started)
    found_nothing = not hits if reply is None else reply.answer is None
    if found_nothing:  # a hit count above "nothing found" would contradict it
        st.info(text(lang, "nothing_found_words" if reply is None else "nothing_found"))
    else:
        st.caption(text(lang, "took", count=len(hits), ms=f"{took_ms:.0f}"))
    if reply is None:
        show_hits(index, hits, lang, keywords=True)
        return
    if reply.answer is None:
        show_hits(index, hits[:2], lang, answered=False)
        return
    best = hits[0]
    paragraph, _ = _location(_where(index, best), lang)
    answer_level = level(reply.answer.confidence)
    cue = text(lang, "confidence", cue=text(lang, f"level_{answer_level}"),
               percent=min(99, round(100 * reply.answer.confidence)))  # a model is never 100 % sure
    st.html(answer_html(best, text(lang, "answer"), " · ".join(part for part in (best.title, paragraph) if part),
                        answer_level, cue, text(lang, "level_help")))
    show_hits(index, hits, lang)


def _outcome_message(outcome: Outcome, lang: str) -> tuple[str, str]:
    name = _md(outcome.name)
    if outcome.status != "rejected":
        return ("success" if outcome.status != "unchanged" else "info"), text(lang, outcome.status, name=name)
    details = {key: _md(value) for key, value in outcome.details.items()}
    if outcome.code == "suffix":
        details["allowed"] = ", ".join(ALLOWED_SUFFIXES)
    reason = text(lang, f"reason_{outcome.code}", **details)
    return "error", text(lang, "rejected", name=name, reason=reason)


def documents_page(index: Index, lang: str) -> None:
    """Upload files into the index (with progress), list the documents, remove one."""
    _show_flash()
    round_ = st.session_state.setdefault("upload_round", 0)
    files = st.file_uploader(text(lang, "upload"), type=[suffix.lstrip(".") for suffix in ALLOWED_SUFFIXES],
                             accept_multiple_files=True, key=f"uploader-{round_}", help=text(lang, "upload_help"))
    if st.button(text(lang, "add"), key="add", type="primary", disabled=not files):
        bar = st.progress(0.0)

        def progress(stage: str, done: int, total: int) -> None:
            key = f"progress_{stage}" if stage in ("load", "chunk", "embed", "index") else "progress_other"
            bar.progress(min(1.0, done / total) if total else 1.0, text=text(lang, key, done=done, total=total))

        try:
            outcomes = add_uploads(index, [(file.name, file.getvalue()) for file in files or []], progress)
        except IndexLockedError:
            _flash("error", text(lang, "busy"))
        else:
            for outcome in outcomes:
                _flash(*_outcome_message(outcome, lang))
        st.session_state["upload_round"] = round_ + 1  # a fresh, empty uploader
        st.rerun()

    st.subheader(text(lang, "documents"))
    documents = index.documents()
    if not documents:
        st.caption(text(lang, "no_documents"))
    for document in documents:
        with st.container(border=True, horizontal=True, vertical_alignment="center"):
            size = text(lang, "size", chunks=document.chunks, characters=_number(document.characters, lang))
            st.html(
                f'<div class="fs-document"><strong>{html.escape(document.title)}</strong><br>'
                f"<small>{html.escape(Path(document.source).name)} · {html.escape(size)}</small></div>",
                width="stretch",
            )
            if st.button(text(lang, "remove"), key=f"remove-{document.id}", icon=":material/delete:"):
                try:
                    if remove_document(index, document):
                        _flash("success", text(lang, "removed", title=_md(document.title)))
                except IndexLockedError:
                    _flash("error", text(lang, "busy"))
                st.rerun()


def main() -> None:
    """Draw the page."""
    st.set_page_config(page_title="Fundstelle", page_icon="🔎")
    st.html(CSS)
    lang = st.sidebar.radio("Sprache / Language", list(LANGUAGES), format_func=LANGUAGES.get, horizontal=True,
                            key="lang")
    k, mode = sidebar(lang)
    st.title(text(lang, "page_title"))
    st.caption(text(lang, "tagline"))
    index = load_index(lang)
    if index is None:
        return
    index.refresh()
    ask_tab, documents_tab = st.tabs([text(lang, "tab_ask"), text(lang, "tab_documents")])
    with ask_tab:
        ask_page(index, lang, k, mode)
    with documents_tab:
        documents_page(index, lang)
    index_facts(index, lang)


main()
