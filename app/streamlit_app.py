"""Fundstelle in the browser: ask a question, see the answering passages highlighted, manage documents.

    fundstelle app          (Streamlit with the settings of .streamlit/config.toml, from any folder)

The index folder is ``$FUNDSTELLE_INDEX``, else ``index/`` at the repository root; when
it holds no index yet, the page builds one from the bundled article first. The index
(and with it the model) is opened once per process and shared by all sessions. With
``FUNDSTELLE_READ_ONLY=1`` the page offers no upload and no removal, for a page that
others share.
"""

from __future__ import annotations

import html
import os
import sys
import time
from collections.abc import Sequence
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # `streamlit run` puts only app/ on the path
    sys.path.insert(0, str(ROOT))

try:
    import streamlit as st
except ImportError as error:  # pragma: no cover - depends on the installation
    raise SystemExit("the app needs Streamlit: pip install -e '.[app]'") from error

from app.confidence import HIGHLIGHT_FROM, LEVELS, level  # noqa: E402
from app.render import (  # noqa: E402
    CSS,
    TARGET_ID,
    Position,
    answer_html,
    document_html,
    focus_offset,
    passage_html,
    position,
    status_html,
)
from app.scripts import page_script, scroll_script  # noqa: E402
from app.texts import EXAMPLES, LANGUAGES, text  # noqa: E402
from app.uploads import ALLOWED_SUFFIXES, add_uploads, remove_document  # noqa: E402
from app.wording import counted, file_size, md_escape, number, shown_date, subject, upload_summary  # noqa: E402
from fundstelle import (  # noqa: E402
    DEFAULT_CORPUS,
    MODES,
    DocumentInfo,
    FundstelleError,
    Hit,
    Index,
    IndexLockedError,
    IndexNotFoundError,
    Mode,
)
from fundstelle.lexical import stems  # noqa: E402
from fundstelle.pages import cite_pages  # noqa: E402

TABS = ("ask", "documents")
MAX_HITS = 10
BUILD_WAIT_SECONDS = 600
READ_ONLY_VARIABLE = "FUNDSTELLE_READ_ONLY"


def index_dir() -> Path:
    """Return the index folder: ``$FUNDSTELLE_INDEX`` or ``index/`` at the repository root."""
    return Path(os.environ.get("FUNDSTELLE_INDEX") or ROOT / "index")


def read_only() -> bool:
    """Whether ``$FUNDSTELLE_READ_ONLY`` asks for a page that only shows documents (1, true, yes, on)."""
    return os.environ.get(READ_ONLY_VARIABLE, "").strip().lower() in ("1", "true", "yes", "on")


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
        # Shown after half a second, so only when the model is not loaded yet.
        with st.spinner(text(lang, "loading")):
            try:
                return open_index(path)
            except IndexNotFoundError:
                build_default_index(path, lang)
                return open_index(path)
    except FundstelleError as error:
        st.error(text(lang, "index_error", path=md_escape(path), error=md_escape(str(error))))
        return None


# --- settings that survive a language switch ------------------------------------------
# A widget whose labels change with the language is a new widget to Streamlit's browser
# side, which then shows its default. So each such widget has a key per language, and its
# value is kept under a key of its own, from which the next language's widget starts.


def _keep(name: str, widget_key: str, by_label: dict[str, str] | None = None) -> None:
    """Copy a widget's value into ``st.session_state[name]`` (through ``by_label``, if given)."""
    value = st.session_state[widget_key]
    st.session_state[name] = by_label[value] if by_label else value


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
    st.session_state.setdefault("mode", MODES[0])
    st.sidebar.header(text(lang, "search_settings"), anchor=False)
    k = st.sidebar.slider(text(lang, "hits"), 1, MAX_HITS, 5, key="k")
    mode = st.sidebar.radio(
        text(lang, "mode"), MODES, index=MODES.index(st.session_state["mode"]), key=f"mode-{lang}",
        format_func=lambda m: text(lang, f"mode_{m}"), captions=[text(lang, f"mode_{m}_help") for m in MODES],
        on_change=_keep, args=("mode", f"mode-{lang}"),
    )
    return k, mode or MODES[0]


def index_facts(index: Index, lang: str) -> None:
    """Show how many documents the index holds, with chunks, model, last update and folder folded away."""
    info = index.info
    try:
        stamp = datetime.fromisoformat(info.updated).astimezone()
        updated = stamp.strftime("%d.%m.%Y, %H:%M" if lang == "de" else "%Y-%m-%d %H:%M")
    except ValueError:
        updated = info.updated
    details = text(lang, "index_details", chunks=counted(lang, info.chunks, "chunks"), model=info.model,
                   updated=updated, path=info.folder)
    st.sidebar.header(text(lang, "index"), anchor=False)
    documents = counted(lang, info.documents, "documents")
    st.sidebar.html(f'<details class="fs-details fs-index"><summary>{html.escape(documents)}</summary>'
                    f"<p>{html.escape(details)}</p></details>")


def _where(index: Index, hit: Hit) -> Position:
    """Where ``hit`` stands: the paragraphs it spans, the one of its answer sentence, its characters."""
    try:
        document_text = index.document(hit.doc_id).text
    except KeyError:  # removed by another process since the search
        return Position(0, 0, hit.start, hit.end, hit.end)
    return position(document_text, hit.start, hit.end, focus=focus_offset(hit))


def _paragraph(where: Position, lang: str) -> str:
    """The paragraph the answer sentence stands in, for the answer card ("Absatz 6 von 13")."""
    return text(lang, "paragraph", n=where.paragraph, total=where.paragraphs) if where.paragraph else ""


def _paragraphs(where: Position, lang: str) -> str:
    """The paragraphs a passage spans, for its header ("Absatz 6 von 13", "Absätze 5–6 von 13").

    A passage of merged chunks may start a paragraph before its answer sentence's; the
    header names both, so that it agrees with the answer card and with the text shown.
    """
    if not where.first_paragraph:
        return ""
    if where.first_paragraph == where.last_paragraph:
        return text(lang, "paragraph", n=where.first_paragraph, total=where.paragraphs)
    return text(lang, "paragraph_range", first=where.first_paragraph, last=where.last_paragraph,
                total=where.paragraphs)


def _page(pages: Sequence[str], lang: str) -> str:
    """The PDF page(s) a passage stands on ("S. 12", "p. 12–13"); "" for other documents."""
    return cite_pages(pages, text(lang, "page_word"))


def show_hits(index: Index, hits: list[Hit], lang: str, keywords: bool = False, answered: bool = True) -> None:
    """Show each hit with its highlighted passage and a button that opens the whole document.

    A hit's answer sentence is marked only when the question has an answer (``answered``)
    and it is that answer (the first hit's, which the answer card shows, "Vielleicht:" or not)
    or the model gives that sentence at least even odds of holding it. For a keyword
    search (``keywords``) nothing is marked but the search words, and the header counts them.
    """
    with st.container(key="fs-hits", gap="small"):
        for hit in hits:
            marked = answered and not keywords and hit.answer is not None and (
                hit.rank == 1 or hit.answer.score >= HIGHLIGHT_FROM)
            where = _where(index, hit)
            facts = [_page(hit.pages, lang), _paragraphs(where, lang)]
            if keywords:
                # "Partnerschaft" and "Partnerschaften" are one search word found
                words = {" ".join(stems(term.text)) or term.text.casefold() for term in hit.terms}
                facts.append(counted(lang, len(words), "words"))
            labels = {
                "heading": text(lang, "heading", rank=hit.rank, count=len(hits)),
                "where": " · ".join(fact for fact in facts if fact),
                "details_summary": text(lang, "details"),
                "details": text(lang, "details_text", start=number(where.start, lang), end=number(where.end, lang),
                                total=number(where.length, lang), file=Path(hit.source).name),
            }
            with st.container(border=True, gap=None, key=f"fs-hit-{hit.rank}"):
                st.html(passage_html(hit, where, labels, answer=marked))
                if st.button(text(lang, "show_in_document"), key=f"document-{hit.rank}", icon=":material/article:",
                             type="tertiary"):
                    show_document(index, hit, lang)


def show_document(index: Index, hit: Hit, lang: str) -> None:
    """Open the whole document in a dialog, scrolled to the passage, highlights in place."""

    @st.dialog(text(lang, "document_dialog"), width="medium")
    def dialog() -> None:
        try:
            document = index.document(hit.doc_id)
        except KeyError:
            st.warning(text(lang, "document_gone"))
            return
        jump = " · ".join(part for part in (text(lang, "jump"), _page(hit.pages, lang)) if part)
        st.html(document_html(document.text, hit, jump))
        st.html(scroll_script(TARGET_ID, f"{hit.doc_id}:{hit.start}:{time.monotonic_ns()}"),
                unsafe_allow_javascript=True)

    dialog()


def _examples(lang: str) -> None:
    st.caption(text(lang, "examples"))
    with st.container(horizontal=True, gap="small"):
        for number_, example in enumerate(EXAMPLES[lang]):
            st.button(example, key=f"example-{number_}", on_click=_ask, args=(example,))


def ask_page(index: Index, lang: str, k: int, mode: Mode, where: dict[str, object] | None = None) -> None:
    """Show what is indexed, the question box, the best answer and hits (or a plain nothing-found), examples.

    ``where`` (the sidebar's filter) narrows the search to some documents.
    """
    documents = index.documents()
    st.html(f'<h2 class="fs-section">{html.escape(subject([d.title for d in documents], lang))}</h2>')
    question = st.text_input(text(lang, "question"), key="question", placeholder=text(lang, "question_placeholder"))
    status = st.empty()  # always there, so that screen readers announce what it says after a search
    status.html(status_html(""))
    with_examples = any(Path(d.source).name == DEFAULT_CORPUS.name for d in documents)
    if not question.strip():
        if with_examples:
            _examples(lang)
        return
    if not documents:  # Index.ask's reply would only say so (Reply.note); say it in the page's words
        status.html(status_html(text(lang, "empty_index"), nothing_found=True))
        return
    started = time.perf_counter()
    try:
        if mode == "lexical":  # keywords, not a question: passages only
            hits, reply = index.search(question, k=k, mode=mode, where=where), None
        else:
            reply = index.ask(question, k=k, mode=mode, where=where)
            hits = list(reply.hits)
    except ValueError as error:
        st.warning(text(lang, "search_error", error=md_escape(str(error))))
        return
    took_ms = 1000 * (time.perf_counter() - started)
    if reply is None and not hits:
        status.html(status_html(text(lang, "nothing_found_words"), nothing_found=True))
    elif reply is not None and reply.answer is None:  # a hit count above "nothing found" would contradict it
        status.html(status_html(text(lang, "nothing_found"), nothing_found=True))
        hits = hits[:2]
    else:
        status.html(status_html(text(lang, "took", count=len(hits), ms=f"{took_ms:.0f}")))
    if reply is not None and reply.answer is not None:
        best = hits[0]
        answer_level = level(reply.answer.confidence)
        cue = text(lang, "confidence", cue=text(lang, f"level_{answer_level}"),
                   percent=min(99, round(100 * reply.answer.confidence)))  # a model is never 100 % sure
        stands = _where(index, best)
        # The answer sentence's page and paragraph; the hit's header names all its passage spans.
        source = " · ".join(part for part in (best.title, _page(reply.answer.pages, lang), _paragraph(stands, lang))
                            if part)
        # Below an even chance the page still shows the answer, worded as a guess.
        heading = text(lang, "answer") if reply.answer.confidence >= LEVELS[1] else text(lang, "maybe")
        st.html(answer_html(best, heading, source, answer_level, cue, text(lang, "level_help")))
    show_hits(index, hits, lang, keywords=reply is None, answered=reply is not None and reply.answer is not None)
    if with_examples:
        _examples(lang)


def _add_files(index: Index, files: list, lang: str) -> None:  # type: ignore[type-arg]
    """Add the uploaded ``files`` with a progress bar; keep one message on what became of them."""
    bar = st.progress(0.0)

    def progress(stage: str, done: int, total: int) -> None:
        key = f"progress_{stage}" if stage in ("load", "chunk", "embed", "index") else "progress_other"
        bar.progress(min(1.0, done / total) if total else 1.0, text=text(lang, key, done=done, total=total))

    try:
        outcomes = add_uploads(index, [(file.name, file.getvalue()) for file in files], progress)
    except IndexLockedError:
        _flash("error", text(lang, "busy"))
    else:
        _flash(*upload_summary(outcomes, lang))


def _document_facts(document: DocumentInfo, lang: str) -> list[str]:
    """What the list says of a document besides its name and chunks: type, pages, date, file size."""
    meta = document.meta
    facts = [str(meta["type"]).upper()] if meta.get("type") else []
    if isinstance(meta.get("pages"), int) and not isinstance(meta.get("pages"), bool):
        facts.append(counted(lang, int(meta["pages"]), "pages"))
    if isinstance(meta.get("date"), str) and meta["date"]:
        facts.append(shown_date(str(meta["date"]), lang))
    if isinstance(meta.get("size"), int) and not isinstance(meta.get("size"), bool):
        facts.append(file_size(int(meta["size"]), lang))
    return facts


def search_filter(index: Index, lang: str) -> dict[str, object] | None:
    """The sidebar's document and date filter, when the index holds more than one document; the ``where`` it sets.

    The date range only filters once it is narrower than all the documents' stated dates,
    so that documents without a date are not dropped by default.
    """
    documents = index.documents()
    if len(documents) < 2:
        return None
    st.sidebar.header(text(lang, "filter_heading"), anchor=False)
    titles = {d.id: d.title for d in documents}
    chosen = st.sidebar.multiselect(text(lang, "filter_documents"), list(titles),
                                    format_func=lambda doc_id: titles[doc_id], key="filter-documents",
                                    help=text(lang, "filter_documents_help"))
    where: dict[str, object] = {"doc_id": list(chosen)} if chosen else {}
    stated = sorted({day for d in documents if (day := _as_day(d.meta.get("date")))})
    if len(stated) >= 2:
        picked = st.sidebar.date_input(text(lang, "filter_dates"), value=(stated[0], stated[-1]),
                                       min_value=stated[0], max_value=stated[-1], key="filter-dates",
                                       format="DD.MM.YYYY" if lang == "de" else "YYYY-MM-DD",
                                       help=text(lang, "filter_dates_help"))
        if isinstance(picked, tuple) and len(picked) == 2 and (picked[0], picked[1]) != (stated[0], stated[-1]):
            where["date"] = {"gte": picked[0].isoformat(), "lte": picked[1].isoformat()}
    return where or None


def _as_day(value: object) -> date | None:
    """A stated ISO date (``2025-07-01``, ``2025-07``, ``2025``) as the first day it names; None if none."""
    if not isinstance(value, str):
        return None
    parts = value.split("-")
    try:
        return date(int(parts[0]), int(parts[1]) if len(parts) > 1 else 1, int(parts[2]) if len(parts) > 2 else 1)
    except (ValueError, IndexError):
        return None


def _confirm_removal(document_id: str | None) -> None:
    st.session_state["confirm_remove"] = document_id


def documents_page(index: Index, lang: str) -> None:
    """Upload files into the index (with progress), list the documents, remove one after asking."""
    _show_flash()
    writable = not read_only()
    if writable:
        st.html(f'<h2 class="fs-section">{html.escape(text(lang, "add_heading"))}</h2>')
        round_ = st.session_state.setdefault("upload_round", 0)
        files = st.file_uploader(text(lang, "upload", allowed=", ".join(ALLOWED_SUFFIXES)), accept_multiple_files=True,
                                 key=f"uploader-{round_}")
        if st.button(text(lang, "add"), key="add", type="primary", disabled=not files):
            _add_files(index, list(files or []), lang)
            st.session_state["upload_round"] = round_ + 1  # a fresh, empty uploader
            st.rerun()
    else:
        st.info(text(lang, "read_only"))

    st.html(f'<h2 class="fs-section">{html.escape(text(lang, "documents"))}</h2>')
    documents = index.documents()
    if not documents:
        st.caption(text(lang, "no_documents"))
    for document in documents:
        with st.container(border=True, horizontal=True, vertical_alignment="center"):
            size = text(lang, "size", chunks=counted(lang, document.chunks, "chunks"),
                        characters=number(document.characters, lang))
            facts = " · ".join(html.escape(fact) for fact in (Path(document.source).name, size,
                                                              *_document_facts(document, lang)))
            st.html(
                f'<div class="fs-document"><strong>{html.escape(document.title)}</strong><br>'
                f"<small>{facts}</small></div>",
                width="stretch",
            )
            if not writable:
                continue
            if st.session_state.get("confirm_remove") != document.id:
                st.button(text(lang, "remove"), key=f"remove-{document.id}", icon=":material/delete:",
                          on_click=_confirm_removal, args=(document.id,))
                continue
            with st.container(horizontal=True, vertical_alignment="center", width="content"):
                st.markdown(text(lang, "remove_confirm", title=md_escape(document.title)))
                if st.button(text(lang, "remove_yes"), key=f"remove-yes-{document.id}", type="primary"):
                    _confirm_removal(None)
                    try:
                        if remove_document(index, document):
                            _flash("success", text(lang, "removed", title=md_escape(document.title)))
                    except IndexLockedError:
                        _flash("error", text(lang, "busy"))
                    st.rerun()
                st.button(text(lang, "remove_no"), key=f"remove-no-{document.id}", on_click=_confirm_removal,
                          args=(None,))


def main() -> None:
    """Draw the page."""
    st.set_page_config(page_title="Fundstelle", page_icon="🔎", layout="wide")
    st.html(CSS)
    lang = st.sidebar.radio("Sprache / Language", list(LANGUAGES), format_func=LANGUAGES.get, horizontal=True,
                            key="lang") or "de"
    st.html(page_script(lang), unsafe_allow_javascript=True)
    k, mode = sidebar(lang)
    st.title(text(lang, "page_title"), anchor=False)
    st.caption(text(lang, "tagline"))
    index = load_index(lang)
    if index is None:
        return
    index.refresh()
    st.session_state.setdefault("tab", TABS[0])
    labels = {text(lang, f"tab_{tab}"): tab for tab in TABS}
    ask_tab, documents_tab = st.tabs(list(labels), default=text(lang, f"tab_{st.session_state['tab']}"),
                                     key=f"tab-{lang}", on_change=_keep, args=("tab", f"tab-{lang}", labels))
    where = search_filter(index, lang)
    with ask_tab:
        ask_page(index, lang, k, mode, where)
    with documents_tab:
        documents_page(index, lang)
    index_facts(index, lang)


main()
