"""The answer's dev sets: documents, the questions asked of them, and the answers they hold.

Each set is a folder of documents (indexed through the real ingest, cached under
``benchmarks/.cache/``) and questions with gold answer strings; a question is
*answerable* when the documents of that set hold one of its answers. ``group`` is
what cross-validation keeps together (an article: no article's questions are both
fitted and measured).

- ``xquad-full``: XQuAD-de's 48 articles, each one document (paragraphs joined by a
  blank line); all 1,190 questions answerable.
- ``xquad-even``: only each article's paragraphs 0, 2, 4, …; questions of the odd
  ones are on topic but unanswerable.
- ``xquad-deleted-a`` / ``-b``: the deleted-sentence negatives. An article's questions
  are dealt alternately into halves 0 and 1; variant A deletes the sentence holding
  the gold answer (by ``answer_start``) of each half-0 question, variant B of each
  half-1 question. A deleted question is unanswerable there unless its gold text still
  stands elsewhere in the article (then it is left out); a question of the other half
  whose sentence survived is answerable.
- ``gq-full``, ``gq-even``, ``gq-deleted-a`` / ``-b``: the same on GermanQuAD's
  passages (questions written natively in German; each title one document).
- ``article``: the bundled news article and the questions written for it before any
  tuning (``data/article_questions.json``); never fitted on.
- ``pronoun``: short documents written for Fundstelle whose facts stand in sentences
  that name their subject by pronoun or paraphrase, and documents with a sentence that
  restates the question before the one that answers (``data/pronoun_docs.json``,
  ``data/restating_docs.json``); never fitted on.

    python benchmarks/answer_sets.py            # build every set's index, print the counts
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from fundstelle import FundstelleError, Index, IndexFolderError, ingest  # noqa: E402
from fundstelle.embed import DEFAULT_MODEL  # noqa: E402
from fundstelle.load import load_document  # noqa: E402
from fundstelle.sentences import split_sentences  # noqa: E402

DATA = HERE / "data"
CACHE = HERE / ".cache"
GERMANQUAD = DATA / "germanquad" / "germanquad.dev.json"
ARTICLE = HERE.parent / "src" / "fundstelle" / "corpus" / "amazon-anthropic-2025-07.txt"


@dataclass(frozen=True)
class SetQuestion:
    """A question of a dev set: its text, gold answers, whether the set's documents hold one."""

    id: str
    text: str
    answers: tuple[str, ...]
    answerable: bool
    group: str
    lang: str = "de"


@dataclass(frozen=True)
class DevSet:
    """Documents (file name → text) and the questions asked of them."""

    name: str
    documents: dict[str, str]
    questions: list[SetQuestion]
    fit: bool  # may the answer model be fitted on it?

    def folder(self) -> Path:
        """Write the documents into the cache (once) and return the folder."""
        folder = CACHE / f"set-{self.name}"
        folder.mkdir(parents=True, exist_ok=True)
        for name, text in self.documents.items():
            path = folder / name
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.write_text(text, encoding="utf-8")
        for path in folder.iterdir():
            if path.name not in self.documents:
                path.unlink()
        return folder

    def index(self, model: str = DEFAULT_MODEL) -> Index:
        """Build (or reuse) the index of the set's documents; return it open."""
        folder = CACHE / f"index-set-{self.name}-{model.replace(':', '_').replace('/', '_')}"
        built = self.built(folder)
        if built is not None:
            return built
        try:
            report = ingest([self.folder()], folder, model=model)
        except IndexFolderError as error:
            print(f"rebuilding {folder.name}: {error}", file=sys.stderr)
            report = ingest([self.folder()], folder, model=model, rebuild=True)
        if report.chunks_embedded:
            print(f"built {folder.name}: {report.summary()}", file=sys.stderr)
        return Index.open(folder)

    def built(self, folder: Path) -> Index | None:
        """The index at ``folder`` if it holds exactly this set's texts, else None.

        A document's id names its absolute path, so an index built in another checkout
        would take every document in again under its new path; comparing texts reuses it.
        """
        try:
            index = Index.open(folder)
        except FundstelleError:
            return None
        held = sorted(document.hash for document in index.snapshot.documents.values())
        wanted = sorted(load_document(path).hash for path in self.folder().iterdir())
        return index if held == wanted else None


# ------------------------------------------------------------------ SQuAD-shaped sources

@dataclass(frozen=True)
class _Qa:
    id: str
    text: str
    answers: tuple[tuple[str, int], ...]  # (text, start in its paragraph)


def _squad(path: Path) -> list[list[tuple[str, list[_Qa]]]]:
    """Articles → paragraphs → (context, questions), answers stripped of surrounding spaces."""
    data = json.loads(path.read_text(encoding="utf-8"))
    articles = []
    for article in data["data"]:
        paragraphs = []
        for p in article["paragraphs"]:
            qas = []
            for qa in p["qas"]:
                answers = []
                for a in qa["answers"]:
                    text = a["text"]
                    start = a["answer_start"] + len(text) - len(text.lstrip())
                    if text.strip():
                        answers.append((text.strip(), start))
                if answers:
                    qas.append(_Qa(str(qa["id"]), qa["question"].strip(), tuple(answers)))
            paragraphs.append((p["context"], qas))
        articles.append(paragraphs)
    return articles


def _whole(prefix: str, articles: list[list[tuple[str, list[_Qa]]]], even_only: bool) -> DevSet:
    documents, questions = {}, []
    for number, article in enumerate(articles):
        kept = article[::2] if even_only else article
        documents[f"a{number:03d}.txt"] = "\n\n".join(context for context, _ in kept)
        for position, (_, qas) in enumerate(article):
            for qa in qas:
                questions.append(SetQuestion(qa.id, qa.text, tuple(dict.fromkeys(t for t, _ in qa.answers)),
                                             not even_only or position % 2 == 0, f"{prefix}{number}"))
    return DevSet(f"{prefix}-{'even' if even_only else 'full'}", documents, questions, fit=True)


def _sentence_at(context: str, offset: int) -> tuple[int, int] | None:
    for start, end in split_sentences(context):
        if start <= offset < end:
            return start, end
    return None


def _deleted(prefix: str, articles: list[list[tuple[str, list[_Qa]]]], variant: int) -> DevSet:
    """Variant 0 (A) deletes the answer sentences of each article's half-0 questions, 1 (B) of half 1."""
    documents, questions = {}, []
    for number, article in enumerate(articles):
        asked = [(position, qa) for position, (_, qas) in enumerate(article) for qa in qas]
        cut: dict[int, set[tuple[int, int]]] = {}
        for i, (position, qa) in enumerate(asked):
            if i % 2 == variant:
                span = _sentence_at(article[position][0], qa.answers[0][1])
                if span:
                    cut.setdefault(position, set()).add(span)
        kept_paragraphs = []
        for position, (context, _) in enumerate(article):
            pieces, last = [], 0
            for start, end in sorted(cut.get(position, ())):
                pieces.append(context[last:start])
                last = end
            pieces.append(context[last:])
            kept_paragraphs.append(" ".join(" ".join(p.split()) for p in pieces if p.strip()))
        text = "\n\n".join(p for p in kept_paragraphs if p)
        documents[f"a{number:03d}.txt"] = text
        for i, (position, qa) in enumerate(asked):
            golds = tuple(dict.fromkeys(t for t, _ in qa.answers))
            still = any(g in text for g in golds)
            if i % 2 == variant:
                if not still:
                    questions.append(SetQuestion(qa.id, qa.text, golds, False, f"{prefix}{number}"))
            elif still:
                span = _sentence_at(article[position][0], qa.answers[0][1])
                if span not in cut.get(position, set()):
                    questions.append(SetQuestion(qa.id, qa.text, golds, True, f"{prefix}{number}"))
    return DevSet(f"{prefix}-deleted-{'ab'[variant]}", documents, questions, fit=True)


def xquad_sets() -> list[DevSet]:
    """XQuAD-de: within-document, even paragraphs, deleted sentences A and B."""
    articles = _squad(DATA / "xquad" / "xquad.de.json")
    return [_whole("xquad", articles, False), _whole("xquad", articles, True),
            _deleted("xquad", articles, 0), _deleted("xquad", articles, 1)]


def germanquad_sets() -> list[DevSet]:
    """GermanQuAD (native German questions): the same four sets; empty where the data is not there."""
    if not GERMANQUAD.exists():
        return []
    articles = _squad(GERMANQUAD)
    return [_whole("gq", articles, False), _whole("gq", articles, True),
            _deleted("gq", articles, 0), _deleted("gq", articles, 1)]


def article_set() -> DevSet:
    """The bundled article and its own questions (German and English, answerable and not)."""
    data = json.loads((DATA / "article_questions.json").read_text(encoding="utf-8"))
    questions = [SetQuestion(q["id"], q["question"], tuple(q["answers"]), bool(q["answerable"]), "article",
                             q["lang"]) for q in data["questions"]]
    return DevSet("article", {ARTICLE.name: ARTICLE.read_text(encoding="utf-8")}, questions, fit=False)


def pronoun_set() -> DevSet:
    """The small documents written for Fundstelle: subjects named by pronoun, restating sentences."""
    documents, questions = {}, []
    for file in ("pronoun_docs.json", "restating_docs.json"):
        path = DATA / file
        if not path.exists():
            continue
        for doc in json.loads(path.read_text(encoding="utf-8"))["documents"]:
            documents[f"{doc['id']}.txt"] = f"{doc['title']}\n\n{doc['text']}"
            for q in doc["questions"]:
                questions.append(SetQuestion(q["id"], q["question"], tuple(q["answers"]), bool(q["answerable"]),
                                             doc["id"], doc.get("lang", "de")))
    return DevSet("pronoun", documents, questions, fit=False)


def all_sets() -> list[DevSet]:
    """Every dev set, fitting sets first."""
    sets = xquad_sets() + germanquad_sets()
    for extra in (article_set, pronoun_set):
        try:
            sets.append(extra())
        except FileNotFoundError:
            pass
    return sets


if __name__ == "__main__":
    for dev in all_sets():
        index = dev.index()
        answerable = sum(q.answerable for q in dev.questions)
        print(f"{dev.name:16} {len(dev.documents):4} documents {len(dev.questions):5} questions "
              f"({answerable} answerable, {len(dev.questions) - answerable} not)  {index.info.chunks} chunks")


def translated(dev: DevSet, language: str) -> DevSet:
    """An XQuAD set with its questions asked in ``language`` (es, zh: XQuAD's; en: our own 48)."""
    if language == "en":
        rows = json.loads((DATA / "questions.en.json").read_text(encoding="utf-8"))["questions"]
        texts = {row["id"]: row["question"].strip() for row in rows}
    else:
        other = json.loads((DATA / "xquad" / f"questions.{language}.json").read_text(encoding="utf-8"))
        texts = {qa["id"]: qa["question"].strip() for a in other["data"] for p in a["paragraphs"] for qa in p["qas"]}
    questions = [SetQuestion(q.id, texts[q.id], q.answers, q.answerable, q.group, language)
                 for q in dev.questions if q.id in texts]
    return DevSet(dev.name, dev.documents, questions, dev.fit)
