"""The table behind hybrid search's weights: MRR@10 per language for alternative settings.

    python benchmarks/fusion.py

Runs the real ``Index.search`` on the default ensemble index of XQuAD (240 German
paragraphs; DE, ES, ZH: XQuAD's 1190 questions each, EN: our 48) once per setting of
the fusion weights in :mod:`fundstelle.ranking`: ``LEXICAL_WEIGHT`` (BM25, scaled by
the question's lexical trust), ``USE_FOREIGN_WEIGHT`` (USE-m3, scaled by one minus
that trust), ``MIN_DENSE_WEIGHT`` (below it, USE-m3 is not computed for the question)
and the best-sentence signal's weight, plus the fixed-weight alternatives they replace.
Query embeddings are computed once per question and reused across settings.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import numpy as np
from retrieval import evaluate
from xquad import paragraph_ids, questions, xquad_index

import fundstelle.ranking as search
from fundstelle.backends import LexicalIndex
from fundstelle.embed import DEFAULT_MODEL
from fundstelle.lexical import Token


@contextmanager
def setting(lexical: float, use_foreign: float, trust: Callable[..., float] | None = None,
            use_fixed: float | None = None, sentences: float = 1.0, min_weight: float = 0.2) -> Iterator[None]:
    """Temporarily set the fusion weights (and optionally the trust rule) of fundstelle.ranking."""
    saved = (search.LEXICAL_WEIGHT, search.USE_FOREIGN_WEIGHT, search.lexical_trust, search.dense_weight,
             search.MIN_DENSE_WEIGHT)
    search.LEXICAL_WEIGHT, search.USE_FOREIGN_WEIGHT = lexical, use_foreign
    search.MIN_DENSE_WEIGHT = min_weight
    if trust is not None:
        search.lexical_trust = trust
    original_weight = search.dense_weight

    def weight(spec: str, trust: float, ensemble: bool) -> float:
        if spec.endswith(search.SENTENCES_SUFFIX):
            return sentences
        if use_fixed is not None and spec == "use-m3":
            return use_fixed
        return original_weight(spec, trust, ensemble)

    search.dense_weight = weight
    try:
        yield
    finally:
        (search.LEXICAL_WEIGHT, search.USE_FOREIGN_WEIGHT, search.lexical_trust, search.dense_weight,
         search.MIN_DENSE_WEIGHT) = saved


def plain_share(tokens: Sequence[Token], lexical: LexicalIndex) -> float:
    """The trust rule without squaring and without stop words (the naive version)."""
    content = [t.stem for t in tokens if not t.stop]
    return sum(lexical.known(content)) / len(content) if content else 0.0


def main() -> None:
    """Print one row per setting."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--langs", default="de,en,es,zh")
    args = parser.parse_args()
    index = xquad_index(DEFAULT_MODEL)
    ids = paragraph_ids()
    for embedder in index.embedders:  # embed each question once, whatever the setting
        cache: dict[str, np.ndarray] = {}
        original = embedder.embed_queries

        def cached(texts: Sequence[str], original: Callable[[Sequence[str]], np.ndarray] = original,
                   cache: dict[str, np.ndarray] = cache) -> np.ndarray:
            key = texts[0]
            if key not in cache:
                cache[key] = original(texts)
            return cache[key]

        embedder.embed_queries = cached  # type: ignore[method-assign]
    langs = args.langs.split(",")
    rows = [
        ("ours: BM25 0.5·trust, USE 0.8·(1-trust)", dict(lexical=0.5, use_foreign=0.8)),
        ("same, USE embedded for every question", dict(lexical=0.5, use_foreign=0.8, min_weight=0.0)),
        ("same, USE left out below weight 0.4", dict(lexical=0.5, use_foreign=0.8, min_weight=0.4)),
        ("same without the best-sentence signal", dict(lexical=0.5, use_foreign=0.8, sentences=0.0)),
        ("best-sentence signal at 0.5", dict(lexical=0.5, use_foreign=0.8, sentences=0.5)),
        ("BM25 0.5·trust, no USE", dict(lexical=0.5, use_foreign=0.0)),
        ("BM25 0.5·trust, USE fixed 0.5", dict(lexical=0.5, use_foreign=0.8, use_fixed=0.5)),
        ("BM25 0.5·plain share, USE 0.8·(1-share)", dict(lexical=0.5, use_foreign=0.8, trust=plain_share)),
        ("BM25 1.0 always, USE fixed 0.5", dict(lexical=1.0, use_foreign=0.8, use_fixed=0.5,
                                                trust=lambda tokens, lexical: 1.0)),
        ("BM25 0.3·trust, USE 0.8·(1-trust)", dict(lexical=0.3, use_foreign=0.8)),
        ("BM25 0.7·trust, USE 0.8·(1-trust)", dict(lexical=0.7, use_foreign=0.8)),
        ("BM25 0.5·trust, USE 1.0·(1-trust)", dict(lexical=0.5, use_foreign=1.0)),
        ("BM25 0.5·trust, USE 0.6·(1-trust)", dict(lexical=0.5, use_foreign=0.6)),
    ]
    print(f"hybrid search, model {index.info.model}, {index.info.chunks} chunks; MRR@10")
    print(f"{'setting':44} " + " ".join(f"{lang:>6}" for lang in langs))
    sets = {lang: questions(lang) for lang in langs}
    for name, options in rows:
        with setting(**options):
            cells = [evaluate(index, sets[lang], ids, "hybrid")["mrr@10"] for lang in langs]
        print(f"{name:44} " + " ".join(f"{cell:6.3f}" for cell in cells), flush=True)


if __name__ == "__main__":
    main()
