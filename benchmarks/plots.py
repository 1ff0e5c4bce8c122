"""PNG charts of the benchmark results (matplotlib, no display needed)."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

__all__ = ["latency_chart", "quality_chart", "scale_chart"]

OURS = "#1f6f8b"
PEER = "#c8553d"


def _label(row: dict) -> str:
    return f"{row['system']} {row['mode']}\n{row['model']}, {row['chunking']}"


def quality_chart(quality: dict, path: Path) -> Path:
    """Horizontal bars of MRR@10 and hit@1 per system and mode on XQuAD-de."""
    rows = quality["rows"]
    fig, ax = plt.subplots(figsize=(8, 0.55 * len(rows) + 1.4))
    y = range(len(rows))
    colors = [OURS if row["system"] == "Fundstelle" else PEER for row in rows]
    ax.barh([i + 0.2 for i in y], [row["mrr@10"] for row in rows], height=0.4, color=colors, label="MRR@10")
    ax.barh([i - 0.2 for i in y], [row["hit@1"] for row in rows], height=0.4, color=colors, alpha=0.45,
            label="hit@1")
    for i, row in enumerate(rows):
        ax.text(row["mrr@10"] + 0.005, i + 0.2, f"{row['mrr@10']:.3f}", va="center", fontsize=8)
    ax.set_yticks(list(y), [_label(row) for row in rows], fontsize=7)
    ax.invert_yaxis()
    low = min(row["hit@1"] for row in rows)
    ax.set_xlim(max(0.0, low - 0.1), 1.0)
    ax.set_xlabel(f"XQuAD-de, {quality['questions']} questions, {quality['paragraphs']} paragraphs "
                  "(dark: MRR@10, light: hit@1)")
    ax.set_title("Retrieval quality: Fundstelle (blue), peers (red)", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def latency_chart(speed: dict, path: Path) -> Path:
    """Warm k=5 query latency (median, bar to p95) per system, one panel per corpus."""
    corpora = speed["warm"]
    fig, axes = plt.subplots(1, len(corpora), figsize=(11, 3.8), sharey=False)
    for ax, (corpus, block) in zip(axes, corpora.items(), strict=True):
        names = list(block["systems"])
        p50 = [block["systems"][n]["p50"] for n in names]
        p95 = [block["systems"][n]["p95"] for n in names]
        colors = [PEER if n.startswith("LangChain") else ("#999999" if n.startswith("query") else OURS)
                  for n in names]
        spread = [b - a for a, b in zip(p50, p95, strict=True)]
        ax.barh(range(len(names)), p50, color=colors, xerr=[[0] * len(names), spread], capsize=3)
        ax.set_yticks(range(len(names)), [n.replace(" (", "\n(") for n in names], fontsize=7)
        ax.invert_yaxis()
        ax.set_xlabel("ms per question (bar: median, whisker: p95)")
        ax.set_title(f"{corpus}: {block['chunks']} chunks", fontsize=9)
    fig.suptitle("Warm query latency at k=5, same run, systems taking turns", fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


def scale_chart(scale: dict, path: Path) -> Path:
    """Search latency and HNSW recall@10 against the number of chunks (log scale)."""
    sizes = scale["sizes"]
    n = [row["n"] for row in sizes]
    e5 = [row["dense"]["e5-small-int4"] for row in sizes]
    hnsw = [row_e5["hnsw"][0] if row_e5["hnsw"] else None for row_e5 in e5]
    fig, (left, right) = plt.subplots(1, 2, figsize=(11, 4))
    left.plot(n, [r["exact"]["p50_ms"] for r in e5], "o-", color=PEER, label="exact (IndexFlatIP), 384 dims")
    pts = [(x, h["product"]["p50_ms"]) for x, h in zip(n, hnsw, strict=True) if h]
    settings = scale["sizes"][-1]["hnsw"]
    left.plot([x for x, _ in pts], [y for _, y in pts], "s-", color="#e09f3e",
              label=f"HNSW (M={settings['M']}, efSearch={settings['efSearch']}), 384 dims")
    left.plot(n, [row["fused"]["hybrid"]["p50_ms"] for row in sizes], "D-", color=OURS,
              label="rank(): hybrid, both dense members + BM25 (product index)")
    left.plot(n, [row["bm25"]["p50_ms"] for row in sizes], "^-", color="#6a994e", label="Bm25Index.scores")
    left.axhline(50, color="grey", linestyle=":", linewidth=1)
    left.axvline(sizes[-1]["exact_limit"], color="grey", linestyle="--", linewidth=1)
    left.text(sizes[-1]["exact_limit"], 50, " EXACT_SEARCH_LIMIT", fontsize=7, va="bottom")
    left.set_xscale("log")
    left.set_yscale("log")
    left.set_xlabel("chunks in the index")
    left.set_ylabel("median ms per query (no query embedding)")
    left.legend(fontsize=7)
    left.set_title("Search latency as the index grows", fontsize=9)
    pts = [(x, h["product"]["recall@10"]) for x, h in zip(n, hnsw, strict=True) if h]
    right.plot([x for x, _ in pts], [y for _, y in pts], "s-", color="#e09f3e", label="HNSW as the product uses it")
    right.axhline(0.95, color="grey", linestyle=":", linewidth=1)
    right.set_xscale("log")
    right.set_ylim(min([0.9] + [y for _, y in pts]) - 0.01, 1.005)
    right.set_xlabel("chunks in the index")
    right.set_ylabel("recall@10 against exact search")
    right.set_title("HNSW recall@10 (384 dims)", fontsize=9)
    right.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path


