"""Retrieval quality on XQuAD-de, ours and the peers', in one run: hit@1, hit@5, MRR@10.

    python benchmarks/quality.py              # all 1190 German questions
    python benchmarks/quality.py --limit 100

Every system answers the same 1190 German questions over the same 240 paragraphs (one
file each). A hit counts when a returned passage comes from the question's gold
paragraph: hit@1 looks at the first passage, hit@5 at the first five, MRR@10 at the
first gold passage among the top ten (as ``benchmarks/retrieval.py``). Rows:

- Fundstelle with its default model (``e5-small-int4+use-m3``) in each mode, and with
  ``e5-small-int4`` alone (the peer's model) in hybrid and dense mode; default chunking.
- The LangChain recipe (``peers.LangChainRecipe``) with ``e5-small-int4``.
- Plain BM25 (``peers.PlainBm25``) over the recipe's chunks and over ours.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from measure import emit
from peers import LANGCHAIN_CHUNK_OVERLAP, LANGCHAIN_CHUNK_SIZE, LangChainRecipe, PlainBm25
from xquad import CACHE, Question, corpus_folder, paragraph_ids, paragraphs, questions, xquad_index

from fundstelle import Index, IndexFolderError, ingest
from fundstelle.chunk import DEFAULT_CHUNK_OVERLAP, DEFAULT_CHUNK_SIZE, chunk_text
from fundstelle.embed import DEFAULT_MODEL

__all__ = ["E5", "metrics", "our_index", "paragraph_files", "recipe", "run"]

E5 = "e5-small-int4"
K = 10


def our_index(model: str) -> Index:
    """Our XQuAD-de index for ``model`` with default chunking (cached; rebuilt if its format is outdated)."""
    try:
        return xquad_index(model, progress=False)
    except IndexFolderError as error:  # written by an older version of Fundstelle
        print(f"rebuilding the cached index: {error}", file=sys.stderr)
        folder = CACHE / f"index-{model}-{DEFAULT_CHUNK_SIZE}-{DEFAULT_CHUNK_OVERLAP}"
        ingest([corpus_folder()], folder, model=model, rebuild=True)
        return Index.open(folder)


def paragraph_files() -> list[Path]:
    """Return the 240 paragraph files, in paragraph order."""
    folder = corpus_folder()
    return [folder / f"p{n:03d}.txt" for n in range(len(paragraphs()))]


def paragraph_of(source: str) -> int:
    """Paragraph number of a file ``…/p123.txt``."""
    return int(Path(source).stem[1:])


def recipe(files: Sequence[Path] | None = None, cache: bool = True) -> LangChainRecipe:
    """Build the LangChain recipe over the XQuAD-de files (its store cached under benchmarks/.cache/)."""
    folder = CACHE / f"langchain-{E5}-{LANGCHAIN_CHUNK_SIZE}-{LANGCHAIN_CHUNK_OVERLAP}"
    if cache and (folder / "index.faiss").exists():
        return LangChainRecipe.load(folder)
    built = LangChainRecipe.build(files or paragraph_files())
    if cache:
        built.save(folder)
    return built


def metrics(ranked: Sequence[Sequence[int]], qs: Sequence[Question]) -> dict[str, float]:
    """hit@1, hit@5 and MRR@10 from each question's ranked paragraph numbers."""
    hit1 = hit5 = reciprocal = 0.0
    for paragraphs_found, question in zip(ranked, qs, strict=True):
        rank = next((r for r, p in enumerate(paragraphs_found[:K], 1) if p == question.paragraph), None)
        if rank is not None:
            hit1 += rank == 1
            hit5 += rank <= 5
            reciprocal += 1.0 / rank
    n = len(qs)
    return {"hit@1": hit1 / n, "hit@5": hit5 / n, "mrr@10": reciprocal / n, "n": n}


def _ours(index: Index, mode: str) -> Callable[[str], list[int]]:
    number = {doc_id: n for n, doc_id in enumerate(paragraph_ids())}
    return lambda text: [number[hit.doc_id] for hit in index.search(text, k=K, mode=mode)]


def _peer(search: Callable[[str, int], list[str]]) -> Callable[[str], list[int]]:
    return lambda text: [paragraph_of(source) for source in search(text, K)]


def systems(limit_to: set[str] | None = None) -> list[dict]:
    """Every row of the quality table: label, model, chunking, and a ``search(text) -> paragraphs``."""
    files = paragraph_files()
    default = our_index(DEFAULT_MODEL)
    e5 = our_index(E5)
    lc = recipe(files)
    recipe_chunks = [(chunk.page_content, chunk.metadata["source"]) for chunk in lc.store.docstore._dict.values()]
    our_chunks = [(c.text, str(path)) for path in files
                  for c in chunk_text(path.read_text(encoding="utf-8"), DEFAULT_CHUNK_SIZE, DEFAULT_CHUNK_OVERLAP)]
    ours_chunking = f"{DEFAULT_CHUNK_SIZE}/{DEFAULT_CHUNK_OVERLAP} sentences"
    recipe_chunking = f"{LANGCHAIN_CHUNK_SIZE}/{LANGCHAIN_CHUNK_OVERLAP} recursive"
    rows = [
        {"system": "Fundstelle", "mode": "hybrid", "model": DEFAULT_MODEL, "search": _ours(default, "hybrid")},
        {"system": "Fundstelle", "mode": "dense", "model": DEFAULT_MODEL, "search": _ours(default, "dense")},
        {"system": "Fundstelle", "mode": "lexical", "model": "BM25, German analysis",
         "search": _ours(default, "lexical")},
        {"system": "Fundstelle", "mode": "hybrid", "model": E5, "search": _ours(e5, "hybrid")},
        {"system": "Fundstelle", "mode": "dense", "model": E5, "search": _ours(e5, "dense")},
    ]
    for row in rows:
        row["chunks"], row["chunking"] = default.info.chunks, ours_chunking
    rows += [
        {"system": "LangChain recipe", "mode": "dense", "model": E5, "search": _peer(lc.search),
         "chunks": len(lc), "chunking": recipe_chunking},
        {"system": "plain BM25 (rank-bm25)", "mode": "lexical", "model": "BM25, no analysis",
         "search": _peer(PlainBm25([t for t, _ in recipe_chunks], [s for _, s in recipe_chunks]).search),
         "chunks": len(recipe_chunks), "chunking": recipe_chunking},
        {"system": "plain BM25 (rank-bm25)", "mode": "lexical", "model": "BM25, no analysis",
         "search": _peer(PlainBm25([t for t, _ in our_chunks], [s for _, s in our_chunks]).search),
         "chunks": len(our_chunks), "chunking": ours_chunking},
    ]
    return rows


def run(limit: int = 0) -> dict:
    """Ask every system every German question; return one row of figures per system."""
    qs = questions("de")
    if limit:
        qs = qs[:limit]
    out = []
    for row in systems():
        search = row.pop("search")
        ranked = [search(q.text) for q in qs]
        row.update(metrics(ranked, qs))
        out.append(row)
        print(f"  {row['system']:24} {row['mode']:8} {row['model']:24} hit@1 {row['hit@1']:.3f} "
              f"hit@5 {row['hit@5']:.3f} MRR@10 {row['mrr@10']:.3f}", file=sys.stderr, flush=True)
    return {"questions": len(qs), "paragraphs": len(paragraphs()), "rows": out}


def main() -> None:
    """Print (or write) the quality table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=0, help="only the first N questions")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    result = run(args.limit)
    emit(result, args.json)


if __name__ == "__main__":
    sys.exit(main())
