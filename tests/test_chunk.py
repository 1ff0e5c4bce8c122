"""Chunking: exact offsets, sizes, overlap, sentence boundaries."""

from __future__ import annotations

import random

import pytest
from conftest import DOCS

import fundstelle
from fundstelle.chunk import chunk_text
from fundstelle.sentences import split_sentences

ARTICLE = fundstelle.DEFAULT_CORPUS.read_text(encoding="utf-8")


@pytest.mark.parametrize("text", [*DOCS.values(), ARTICLE])
@pytest.mark.parametrize(("size", "overlap"), [(100, 0), (200, 50), (400, 100), (1000, 200)])
def test_offsets_point_at_the_chunk_text(text: str, size: int, overlap: int) -> None:
    chunks = chunk_text(text, size, overlap)
    assert chunks
    for chunk in chunks:
        assert text[chunk.start:chunk.end] == chunk.text
        assert len(chunk.text) <= size
        assert chunk.text == chunk.text.strip()
        for start, end in chunk.sentences:
            assert 0 <= start < end <= len(chunk.text)


def test_chunks_cover_the_whole_text_in_order() -> None:
    chunks = chunk_text(ARTICLE, 300, 60)
    starts = [c.start for c in chunks]
    assert starts == sorted(starts)
    covered = set()
    for chunk in chunks:
        covered.update(range(chunk.start, chunk.end))
    assert all(i in covered for i, ch in enumerate(ARTICLE) if not ch.isspace())


def test_chunks_end_at_sentence_ends() -> None:
    ends = {end for _, end in split_sentences(ARTICLE)}
    for chunk in chunk_text(ARTICLE, 400, 100):
        assert chunk.end in ends


def test_neighbours_overlap_by_whole_sentences() -> None:
    chunks = chunk_text(ARTICLE, 400, 150)
    overlapping = [a for a, b in zip(chunks, chunks[1:]) if b.start < a.end]
    assert overlapping, "with overlap set, some neighbours share sentences"


def test_random_texts_keep_offsets() -> None:
    rng = random.Random(7)
    words = ["Der", "Fluss", "z. B.", "Nr.", "1.", "Mai", "2,2", "Mrd.", "Euro.",
             "Haus!", "Wo?", "\n\n", "„Zitat“", "ß"]
    for _ in range(200):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(1, 300)))
        for chunk in chunk_text(text, rng.choice([60, 120, 500]), 20):
            assert text[chunk.start:chunk.end] == chunk.text


def test_overlong_sentence_is_cut_between_words() -> None:
    text = "Wort " * 200 + "Ende."
    chunks = chunk_text(text, 100, 0)
    assert all(len(c.text) <= 100 for c in chunks)
    assert all(text[c.start:c.end] == c.text for c in chunks)


def test_bad_settings_are_explained() -> None:
    with pytest.raises(ValueError, match="chunk_overlap=500"):
        chunk_text("Text.", 400, 500)
    with pytest.raises(ValueError, match="chunk_size=10"):
        chunk_text("Text.", 10, 0)
