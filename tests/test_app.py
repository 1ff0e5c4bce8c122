"""The Streamlit page, run in-process with AppTest, and its parts (confidence words, HTML, uploads).

The page tests use the real default model on a small index of the bundled article: the
answer model was fitted on that model's features.
"""

from __future__ import annotations

import html
import re
import shutil
import string
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.confidence import level
from app.render import Layer, answer_html, document_html, layered_html, passage_html, position
from app.texts import EXAMPLES, TEXTS
from app.uploads import UploadError, safe_name
from fundstelle import DEFAULT_CORPUS, AnswerSpan, Hit, Index, Span

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app" / "streamlit_app.py")
PAYLOAD = '<img src=x onerror="window.__xss=1"> und <script>window.__xss=1</script>'


# --- the parts -----------------------------------------------------------------------


def make_hit(text: str = "Der Rhein fließt nach Rotterdam. Er ist lang.", cosines: dict[str, float] | None = None,
             terms: tuple[tuple[int, int], ...] = ((4, 9),), answer: tuple[int, int] | None = (0, 32),
             phrase: tuple[int, int] | None = None, rank: int = 1) -> Hit:
    spans = [Span(a, b, text[a:b]) for a, b in terms]
    found = None
    if answer is not None:
        found = AnswerSpan(answer[0], answer[1], text[answer[0]:answer[1]], 1.0,
                       None if phrase is None else Span(phrase[0], phrase[1], text[phrase[0]:phrase[1]]))
    return Hit(rank=rank, score=1.0, text=text, source="rhein.txt", title="Der Rhein", doc_id="d1", start=100,
               end=100 + len(text), answer=found, terms=spans, signals=dict(cosines or {}))


class _Balance(HTMLParser):
    """Checks that every element opened is closed, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes {self.stack}"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.text += data


def balanced_text(markup: str) -> str:
    parser = _Balance()
    parser.feed(markup)
    parser.close()
    assert parser.stack == []
    return parser.text


def test_layers_nest_and_escape():
    text = "a <b>fett</b> & 'x' Satz <script>alert(1)</script> Ende"
    layers = [Layer("outer", [(2, 40)]), Layer("inner", [(10, 30), (28, 45)]), Layer("word", [(0, 4), (38, 50)])]
    markup = layered_html(text, layers)
    assert balanced_text(markup) == text  # nothing lost, nothing added
    assert re.sub(r'</?mark( class="\w+")?>', "", markup) == html.escape(text)  # the only tags are ours


def test_spans_outside_the_text_are_clamped_or_dropped():
    markup = layered_html("kurz", [Layer("a", [(-5, 2), (3, 99), (7, 9), (2, 2)])])
    assert markup == '<mark class="a">ku</mark>r<mark class="a">z</mark>'


def test_passage_marks_answer_phrase_and_terms_inside_each_other():
    hit = make_hit(terms=((4, 9), (22, 31), (38, 42)), phrase=(22, 31))
    markup = document_html("x" * 100 + hit.text, hit, "springen")
    assert balanced_text(markup).endswith(hit.text)
    assert '<span class="fs-passage" id="fs-target">' in markup
    # The phrase "Rotterdam" is inside the answer and holds a question word.
    assert '<mark class="fs-phrase"><mark class="fs-term">Rotterdam</mark></mark>' in markup
    card = answer_html(hit, "Antwort", "Der Rhein · Absatz 1", 3, "sehr sicher (91 %)", "Hilfe")
    # The phrase large on top, then the sentence with the phrase and question words marked.
    assert balanced_text(card).startswith("Antwort ●●● sehr sicher (91 %)RotterdamDer Rhein fließt nach Rotterdam.")
    assert '<div class="fs-phrase-big">Rotterdam</div>' in card


def test_long_documents_are_shown_around_the_passage():
    hit = make_hit(terms=((4, 9),), phrase=(22, 31))
    document = "a" * 5000 + "x" * 95 + hit.text + "b" * 5000
    hit = Hit(1, 1.0, hit.text, "r.txt", "R", "d", 5095, 5095 + len(hit.text), hit.answer, hit.terms, {})
    shown = balanced_text(document_html(document, hit, "springen", limit=1000))
    assert shown.startswith("R · springen… aaa") and shown.endswith("bbb …")
    assert len(shown) < 1100 and hit.text in shown
    markup = document_html(document, hit, "springen", limit=1000)
    assert '<span class="fs-passage" id="fs-target"><mark class="fs-answer">Der <mark class="fs-term">Rhein</mark>' \
        in markup  # offsets moved with the window


def test_untrusted_title_and_text_are_escaped_in_the_answer_line():
    text = f"{PAYLOAD} steht hier."
    hit = Hit(1, 1.0, text, "x.txt", "<b>Titel</b>", "d", 0, len(text), AnswerSpan(0, len(text), text, 1.0),
              [], {})
    line = answer_html(hit, "Antwort", hit.title, 2, "wahrscheinlich", "Hilfe")
    assert "<script>" not in line and "<img" not in line and "<b>" not in line
    assert html.escape(PAYLOAD) in line


def test_position_counts_paragraphs():
    text = "Titel\n\nErster Absatz.\n\nZweiter Absatz, lang.\n"
    where = position(text, text.index("Zweiter"), len(text))
    assert (where.paragraph, where.paragraphs, where.length) == (3, 3, len(text.rstrip()))
    assert position(text, text.index("Erster") - 2, text.index("Erster") + 6).paragraph == 2


def test_confidence_words_follow_the_probability():
    assert [level(p) for p in (0.95, 0.8, 0.79, 0.5, 0.49, 0.0)] == [3, 3, 2, 2, 1, 1]


def test_a_hit_can_leave_its_answer_sentence_unmarked():
    hit = make_hit(phrase=(22, 31))
    where = position(hit.text, 0, len(hit.text))
    labels = {"rank": "Treffer 1", "paragraph": "Absatz 1 von 1", "characters": "Zeichen 1–45", "level_help": ""}
    marked = passage_html(hit, where, labels, 0, "", answer=True)
    plain = passage_html(hit, where, labels, 0, "", answer=False)
    assert 'class="fs-answer"' in marked and 'class="fs-phrase"' in marked
    assert 'class="fs-answer"' not in plain and 'class="fs-phrase"' not in plain
    assert '<mark class="fs-term">Rhein</mark>' in plain  # question words stay underlined


@pytest.mark.parametrize("name, expected", [
    ("Bericht 2024 (final).pdf", "Bericht 2024 (final).pdf"),
    ("Übersicht_Straße.md", "Übersicht_Straße.md"),
    ("ordner/unter/notizen.txt", "notizen.txt"),
    ("C:\\Users\\anna\\seite.HTML", "seite.HTML"),
])
def test_safe_names(name, expected):
    assert safe_name(name) == expected


@pytest.mark.parametrize("name, code", [
    ("../../etc/passwd.txt", "traversal"),
    ("..", "traversal"),
    ("a..b.txt", "traversal"),
    (".versteckt.txt", "name"),
    ("", "name"),
    ("ordner/", "name"),
    ("<script>.txt", "name"),
    ("a\x00.txt", "traversal"),
    ("x" * 200 + ".txt", "name"),
    ("programm.exe", "suffix"),
    ("ohne_endung", "suffix"),
])
def test_unsafe_names_are_refused(name, code):
    with pytest.raises(UploadError) as caught:
        safe_name(name)
    assert caught.value.code == code


def test_both_languages_have_the_same_texts_and_placeholders():
    assert TEXTS["de"].keys() == TEXTS["en"].keys()
    fields = {lang: {key: sorted(f for _, f, _, _ in string.Formatter().parse(value) if f)
                     for key, value in table.items()} for lang, table in TEXTS.items()}
    assert fields["de"] == fields["en"]
    assert EXAMPLES["de"] and len(EXAMPLES["de"]) == len(EXAMPLES["en"])


# --- the page --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def built_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index of the bundled article with the default model, built once for this file."""
    path = tmp_path_factory.mktemp("article") / "index"
    Index.build([DEFAULT_CORPUS], path)
    return path


@pytest.fixture
def index_dir(built_index: Path, tmp_path: Path) -> Path:
    """A copy of the article index that a test may change."""
    path = tmp_path / "index"
    shutil.copytree(built_index, path)
    return path


def start(monkeypatch: pytest.MonkeyPatch, index_dir: Path):  # type: ignore[no-untyped-def]
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("FUNDSTELLE_INDEX", str(index_dir))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, at.exception
    return at


def htmls(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [element.value for element in at.get("html")]


def hit_htmls(at) -> list[str]:  # type: ignore[no-untyped-def]
    return [value for value in htmls(at) if value.startswith('<div class="fs-hit"')]


def document_list(at) -> str:  # type: ignore[no-untyped-def]
    return "\n".join(value for value in htmls(at) if 'class="fs-document"' in value)


@pytest.mark.model
def test_example_question_shows_the_passage_with_its_answer_highlighted(monkeypatch, index_dir):
    at = start(monkeypatch, index_dir)
    assert [b.label for b in at.button if b.key and b.key.startswith("example-")] == list(EXAMPLES["de"])
    at.button(key="example-1").click().run()  # "Wer hat Anthropic gegründet?"
    assert at.text_input(key="question").value == "Wer hat Anthropic gegründet?"
    assert not at.info
    hits = hit_htmls(at)
    assert len(hits) == 5
    first = hits[0]
    answer = first[first.index('<mark class="fs-answer">'):]
    answer = balanced_text(answer[:answer.index("</mark>", answer.index("Amodei")) + 7])
    assert answer.startswith("Anthropic wurde 2021 von ehemaligen OpenAI-Mitarbeiter:innen gegründet")
    assert '<mark class="fs-term">gegründet</mark>' in first
    assert "Absatz 9 von 12" in first
    best = next(value for value in htmls(at) if value.startswith('<div class="fs-best">'))
    assert "Dario und Daniela Amodei" in best and "●●● sehr sicher" in balanced_text(best)
    assert any(caption.value.startswith("5 Treffer in") for caption in at.caption)
    # "Show in document" opens the whole text with the passage marked for scrolling to.
    at.button(key="document-1").click().run()
    document = next(value for value in htmls(at) if 'class="fs-doc"' in value)
    assert 'id="fs-target"' in document and "Schatten über dem KI-Pakt" in document
    assert "Project Rainier" in document  # the whole document, not the passage alone
    # Further questions, with model and index loaded: well under a second (best of two, as
    # the machine may be busy).
    took = []
    for example in ("example-2", "example-3"):
        at.button(key=example).click().run()
        caption = next(c.value for c in at.caption if c.value.startswith("5 Treffer in"))
        took.append(int(re.search(r"in (\d+) ms", caption).group(1)))
    assert min(took) < 1000, took


@pytest.mark.model
def test_every_example_question_gets_an_answer(built_index):
    index = Index.open(built_index)
    for language, examples in EXAMPLES.items():
        for example in examples:
            assert index.ask(example).answer is not None, (language, example)


@pytest.mark.model
def test_irrelevant_question_says_nothing_found(monkeypatch, index_dir):
    at = start(monkeypatch, index_dir)
    # On the article's topic, but not in it: no answer.
    at.text_input(key="question").input("Wie viele Mitarbeiter hat Anthropic?").run()
    assert at.info and not any(value.startswith('<div class="fs-best">') for value in htmls(at))
    assert len(hit_htmls(at)) == 2 and not any('class="fs-answer"' in hit for hit in hit_htmls(at))
    at.text_input(key="question").input("Wie backe ich ein Roggenbrot?").run()
    assert len(at.info) == 1 and at.info[0].value == "Keine sichere Antwort in den Dokumenten. Die nächsten Stellen:"
    assert not any("Treffer in" in caption.value for caption in at.caption)  # no count above "nothing found"
    assert not any(value.startswith('<div class="fs-best">') for value in htmls(at))
    # The two closest passages are shown, open, with no sentence marked as the answer.
    hits = hit_htmls(at)
    assert len(hits) == 2 and not at.expander
    assert not any('class="fs-answer"' in hit for hit in hits)
    # Keyword search answers nothing: there, nothing found means none of the words occurs.
    at.radio(key="mode").set_value("lexical").run()
    assert at.info[0].value == "Keines Ihrer Suchwörter kommt in den Dokumenten vor."
    assert not at.expander


@pytest.mark.model
def test_english_switch_and_sidebar_controls(monkeypatch, index_dir):
    at = start(monkeypatch, index_dir)
    facts = at.sidebar.markdown[0].value
    assert "**1** Dokument ·" in facts and "e5-small-int4" in facts
    at.radio(key="lang").set_value("en").run()
    assert at.text_input(key="question").label == "Your question"
    at.button(key="example-1").click().run()  # "Who founded Anthropic?"
    first = balanced_text(hit_htmls(at)[0])
    best = balanced_text(next(value for value in htmls(at) if value.startswith('<div class="fs-best">')))
    assert "Anthropic wurde 2021" in first and re.search(r"Answer ●[●○][●○] (very likely|likely|unsure)", best)
    at.slider(key="k").set_value(2).run()
    assert len(hit_htmls(at)) == 2
    at.radio(key="mode").set_value("lexical").run()
    assert "1 search word in the text" in hit_htmls(at)[0]  # only "Anthropic" is in the German text


@pytest.mark.model
def test_upload_and_removal_change_the_document_list(monkeypatch, index_dir):
    at = start(monkeypatch, index_dir)
    assert "amazon-anthropic-2025-07" in document_list(at)
    text = ("Der Rhein\n\nDer Rhein ist mit 1233 Kilometern einer der längsten Flüsse Europas. Er entspringt "
            "in den Schweizer Alpen und mündet bei Rotterdam in die Nordsee.\n").encode()
    at.file_uploader[0].set_value(("rhein.txt", text, "text/plain")).run()
    at.button(key="add").click().run()
    assert [s.value for s in at.success] == ["„rhein.txt“ wurde hinzugefügt."]
    assert (index_dir / "uploads" / "rhein.txt").read_bytes() == text
    assert "rhein.txt" in document_list(at) and "**2** Dokumente" in at.sidebar.markdown[0].value
    assert not at.file_uploader[0].value  # a fresh uploader for the next files

    at.text_input(key="question").input("Wo mündet der Rhein?").run()
    assert "Rotterdam" in hit_htmls(at)[0]

    rhein = next(d for d in Index.open(index_dir).documents() if d.title == "Der Rhein")
    at.button(key=f"remove-{rhein.id}").click().run()
    assert [s.value for s in at.success] == ["„Der Rhein“ wurde aus dem Index entfernt."]
    assert "rhein.txt" not in document_list(at) and "amazon-anthropic-2025-07" in document_list(at)
    assert not (index_dir / "uploads" / "rhein.txt").exists()
    assert [d.title for d in Index.open(index_dir).documents()] == ["amazon-anthropic-2025-07"]


@pytest.mark.model
def test_bad_files_get_a_message_and_change_nothing(monkeypatch, index_dir):
    at = start(monkeypatch, index_dir)
    version = Index.open(index_dir).info.version
    at.file_uploader[0].set_value([
        ("../../../tmp/boese.txt", b"Text", "text/plain"),
        ("kaputt.pdf", b"%PDF-1.4 das ist kein PDF", "application/pdf"),
        ("leer.txt", b"", "text/plain"),
    ]).run()
    at.button(key="add").click().run()
    errors = [e.value for e in at.error]
    assert len(errors) == 3, errors
    assert "„kaputt.pdf“ wurde nicht hinzugefügt: Die Datei ließ sich nicht lesen" in errors[2]
    assert "enthält „..“" in errors[0] and "leer" in errors[1]
    assert list((index_dir / "uploads").iterdir()) == []
    assert Index.open(index_dir).info.version == version
    assert not (index_dir.parent / "tmp").exists()


@pytest.mark.model
def test_a_bad_new_version_keeps_the_good_old_one(monkeypatch, index_dir):
    at = start(monkeypatch, index_dir)
    good = b"Der Rhein\n\nDer Rhein ist ein Fluss in Europa.\n"
    at.file_uploader[0].set_value(("rhein.txt", good, "text/plain")).run()
    at.button(key="add").click().run()
    at.file_uploader[0].set_value(("rhein.txt", b"\x00\x01\x02" * 100, "text/plain")).run()
    at.button(key="add").click().run()
    assert "nicht hinzugefügt" in at.error[0].value
    assert (index_dir / "uploads" / "rhein.txt").read_bytes() == good
    assert "rhein.txt" in document_list(at)


@pytest.mark.model
def test_document_text_with_markup_is_shown_as_text(monkeypatch, index_dir):
    at = start(monkeypatch, index_dir)
    body = f"{PAYLOAD}\n\nSicherheitstest: Quaxelbrumm steht neben dem Markup.\n".encode()
    at.file_uploader[0].set_value(("payload.txt", body, "text/plain")).run()
    at.button(key="add").click().run()
    assert at.success, [e.value for e in at.error]
    at.radio(key="mode").set_value("lexical").run()
    at.text_input(key="question").input("Quaxelbrumm Markup").run()
    for value in htmls(at):
        if 'class="fs-' in value:
            assert "<script>window" not in value and "<img src=x" not in value
    assert html.escape(PAYLOAD) in hit_htmls(at)[0]
    at.button(key="document-1").click().run()
    document = next(value for value in htmls(at) if 'class="fs-doc"' in value)
    assert html.escape(PAYLOAD) in document and "<script>window" not in document


@pytest.mark.model
def test_a_missing_index_is_built_from_the_article(monkeypatch, tmp_path):
    at = start(monkeypatch, tmp_path / "fresh")
    assert "**1** Dokument ·" in at.sidebar.markdown[0].value
    assert [d.title for d in Index.open(tmp_path / "fresh").documents()] == ["amazon-anthropic-2025-07"]


@pytest.mark.model
def test_an_unreadable_index_gets_a_clear_message(monkeypatch, index_dir):
    version = (index_dir / "CURRENT").read_text().strip()
    (index_dir / version / "chunks.jsonl").unlink()
    at = start(monkeypatch, index_dir)
    assert len(at.error) == 1 and "lässt sich nicht öffnen" in at.error[0].value
    assert not at.text_input  # no question box on a broken index
