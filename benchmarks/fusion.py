"""The table behind hybrid search's weights: MRR@10 per language for alternative settings.

    python benchmarks/fusion.py

Runs the real ``Index.search`` on the default ensemble index of XQuAD (240 German
paragraphs; DE, ES, ZH: XQuAD's 1190 questions each, EN: our 48) once per setting of
the fusion weights (a :class:`fundstelle.ranking.Fusion` per row): BM25's weight (scaled
by the question's lexical trust), USE-m3's foreign weight (scaled by one minus that
trust), the minimum weight (below it, USE-m3 is not computed for the question) and the
best-sentence signal's weight, plus the fixed-weight alternatives they replace.
Query embeddings are computed once per question and reused across settings.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from retrieval import evaluate
from xquad import paragraph_ids, questions, xquad_index

from fundstelle.backends import LexicalIndex
from fundstelle.embed import DEFAULT_MODEL
from fundstelle.lexical import Token
from fundstelle.ranking import Fusion, TrustRule


def setting(lexical: float, use_foreign: float, trust: TrustRule | None = None,
            use_fixed: float | None = None, sentences: float = 1.0, min_weight: float = 0.2) -> Fusion:
    """The fusion settings of one row of the table."""
    return Fusion(lexical_weight=lexical, foreign_weight=use_foreign, trust=trust, sentence_weight=sentences,
                  min_dense_weight=min_weight, fixed_weights={} if use_fixed is None else {"use-m3": use_fixed})


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
        embedder.query_cache_size = 10_000
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
        tried = index.replace(fusion=setting(**options))
        cells = [evaluate(tried, sets[lang], ids, "hybrid")["mrr@10"] for lang in langs]
        print(f"{name:44} " + " ".join(f"{cell:6.3f}" for cell in cells), flush=True)


if __name__ == "__main__":
    main()
