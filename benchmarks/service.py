"""Fundstelle inside other code: the HTTP service's overhead, throughput and use of the cores, batches, filters.

    python benchmarks/service.py                 # everything; writes benchmarks/results/service.json
    python benchmarks/service.py --rounds 1 --seconds 10   # shorter
    python benchmarks/service.py --only cores    # the service on every core alone; writes .../service-cores.json

- **HTTP overhead**: ``GET /search?q=…&k=5`` on ``python -m fundstelle serve`` (a separate
  process, started as README says) against ``Index.search(q, k=5)`` in this process, on
  the bundled article (default model) and its German questions. The two take turns
  question by question, in rotating order, so both see the same load; the client keeps
  one connection open, as a service calling it would. Overhead = p50 over HTTP − p50 in
  process, and the median of the per-question differences.
- **Throughput**: 8 client threads, each with its own keep-alive connection, send the
  questions for ``--seconds``; requests per second and latency p50/p95. For reference the
  same with 8 threads sharing one ``Index`` in this process.
- **Batch**: ``search_many(questions, k=5)`` against a loop of ``search``, ms per question.
- **Filter**: on XQuAD-de (every 6th German question), ``search(q, k=5, where={"doc_id":
  <its paragraph>})`` against the unfiltered search, taking turns.
- **Cores**: ``python -m fundstelle serve --workers 1`` and ``--workers N`` (N: the default,
  one per core) on a copy of the article's index, each loaded by 1, 4 and 16 clients for
  ``--seconds``. The clients are threads of another process (this script run as
  ``load``), each with its own keep-alive connection, and every request asks a question
  not asked before in that run (XQuAD-de's German questions, in turn). Answers per second,
  latency p50/p99, errors, the cores the service kept busy (its CPU seconds over the
  run's), and each worker's memory (RSS and USS, the part that is its own). Then 16
  clients once more while an ingest adds a document to the index; the document must be
  found afterwards over fresh connections, whichever worker answers.

The figures are only worth keeping from an otherwise idle machine; the load average at
start and end is recorded with them.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TQDM_DISABLE", "1")

from measure import emit, stats, uncached  # noqa: E402
from speed import ARTICLE_GERMAN, XQUAD_STRIDE, article_index, interleaved  # noqa: E402

from fundstelle import Index  # noqa: E402
from fundstelle.embed import DEFAULT_MODEL  # noqa: E402

__all__ = ["Client", "Refused", "Server", "batch", "cores", "drive", "filters", "http_overhead", "in_process", "load",
           "over_http", "run", "throughput"]

CLIENTS = 8
K = 5


class Refused(RuntimeError):
    """A request the service answered with another status than 200, or lost on the way."""


class Client:
    """``GET /search`` and ``POST /ask`` over one keep-alive HTTP connection."""

    def __init__(self, url: str) -> None:
        parsed = urllib.parse.urlsplit(url)
        self._connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=120)

    def search(self, question: str, k: int = K) -> dict:
        """The decoded answer of ``GET /search``; raises :class:`Refused` on any status but 200."""
        return json.loads(self.send("search", question, k))

    def send(self, path: str, question: str, k: int = K) -> bytes:
        """The body ``GET /search?q=…`` (``path`` search) or ``POST /ask`` (ask) answers with.

        Raises :class:`Refused` for any status but 200, and for a connection lost or refused
        (closed then: the next request opens a new one).
        """
        try:
            if path == "ask":
                self._connection.request("POST", "/ask", json.dumps({"question": question, "k": k}),
                                         {"Content-Type": "application/json"})
            else:
                self._connection.request("GET", "/search?" + urllib.parse.urlencode({"q": question, "k": k}))
            response = self._connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            self._connection.close()
            raise Refused(f"{type(error).__name__}: {error}") from error
        if response.status != 200:
            raise Refused(f"{response.status} for {question!r}: {body[:200]!r}")
        return body

    def close(self) -> None:
        """Close the connection."""
        self._connection.close()


class Server:
    """``python -m fundstelle serve --index FOLDER`` on a free port, for a ``with`` block; ``.url`` once healthy."""

    def __init__(self, folder: Path, workers: int = 1) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        self._log = tempfile.TemporaryFile()
        self._process = subprocess.Popen(
            [sys.executable, "-m", "fundstelle", "serve", "--index", str(folder), "--port", str(port),
             "--workers", str(workers),
             "--result-cache", "0"],  # questions repeat across rounds: time the searches, not the cache
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=self._log, stderr=subprocess.STDOUT,
        )

    @property
    def pid(self) -> int:
        """The server's process (with several workers: their parent)."""
        return self._process.pid

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self._process.poll() is None:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", int(self.url.rsplit(":", 1)[1]), timeout=5)
                connection.request("GET", "/healthz")
                if connection.getresponse().status == 200:
                    return self
            except OSError:
                time.sleep(0.3)
        self._log.seek(0)
        printed = self._log.read().decode(errors="replace")
        self.__exit__()
        raise RuntimeError(f"the server did not start:\n{printed}")

    def __exit__(self, *exc: object) -> None:
        self._process.terminate()
        self._process.wait(timeout=30)
        self._log.close()


def http_overhead(index: Index, url: str, texts: list[str]) -> dict:
    """Per-question ms in process and over HTTP, taking turns; the overhead at the median."""
    client = Client(url)
    try:
        times = interleaved({"in process": lambda t: index.search(t, k=K), "HTTP": client.search}, texts)
    finally:
        client.close()
    differences = sorted(h - i for h, i in zip(times["HTTP"], times["in process"]))
    out = {name: stats(ms) for name, ms in times.items()}
    out["overhead_p50_ms"] = out["HTTP"]["p50"] - out["in process"]["p50"]
    out["paired_difference_p50_ms"] = stats(differences)["p50"]
    return out


# What each thread of drive() asks with: a call taking a question, and what closes it.
Caller = tuple[Callable[[str], object], Callable[[], None]]


def drive(connect: Callable[[], Caller], questions: list[str], clients: int, seconds: float,
          each_once: bool = False) -> tuple[float, list[float], list[str]]:
    """``clients`` threads ask questions for ``seconds``, each with the caller ``connect()`` gives it.

    Thread ``n`` asks questions ``n``, ``n + clients``, … (round and round); with ``each_once``
    every call asks the next question no thread has asked yet (none left: an error, and
    the thread stops). A :class:`Refused` request is counted as an error and the thread
    goes on; any other exception is raised once every thread has stopped. Returns the
    seconds the run took, the latency of each answered call in ms, and the errors.
    """
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[str] = []
    failures: list[BaseException] = []
    unasked = iter(range(len(questions)))
    lock = threading.Lock()
    start = threading.Barrier(clients + 1)
    stop_at = [0.0]

    def client(number: int) -> None:
        call, close = connect()
        start.wait()
        turn: int | None = number
        try:
            while time.perf_counter() < stop_at[0]:
                if each_once:
                    with lock:
                        turn = next(unasked, None)
                    if turn is None:
                        errors.append("ran out of unasked questions: fewer seconds or more questions")
                        break
                assert turn is not None
                began = time.perf_counter()
                try:
                    call(questions[turn % len(questions)])
                except Refused as refused:
                    errors.append(str(refused))
                    continue
                finally:
                    turn += clients
                latencies[number].append(1000 * (time.perf_counter() - began))
        except BaseException as error:  # noqa: BLE001 - raised below
            failures.append(error)
        finally:
            close()

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for thread in threads:
        thread.start()
    stop_at[0] = time.perf_counter() + seconds
    began = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - began
    if failures:
        raise failures[0]
    return elapsed, [ms for per_client in latencies for ms in per_client], errors


def in_process(call: Callable[[str], object]) -> Callable[[], Caller]:
    """A :func:`drive` caller for every thread: ``call`` itself, nothing to close."""
    return lambda: (call, lambda: None)


def over_http(url: str, path: str = "search") -> Callable[[], Caller]:
    """A :func:`drive` caller per thread: a keep-alive :class:`Client` of its own, asking ``path``."""

    def connect() -> Caller:
        client = Client(url)
        return (lambda text: client.send(path, text)), client.close

    return connect


def throughput(connect: Callable[[], Caller], texts: list[str], seconds: float, clients: int = CLIENTS) -> dict:
    """Requests per second and latency with ``clients`` threads asking for ``seconds`` (:func:`drive`).

    Any failed request fails the run.
    """
    elapsed, every, errors = drive(connect, texts, clients, seconds)
    if errors:
        raise Refused(errors[0])
    return {"clients": clients, "seconds": elapsed, "requests": len(every), "requests_per_s": len(every) / elapsed,
            "latency_ms": stats(every)}


def batch(index: Index, texts: list[str], rounds: int) -> dict:
    """Milliseconds per question: ``search_many`` against a loop of ``search``, taking turns ``rounds`` times.

    Both embed every question: what ``search_many`` saves is embedding them in one call per
    model, and the loop would otherwise be handed the vectors of its last round (the models'
    question-vector caches are off meanwhile, then set back).
    """
    sizes = [embedder.query_cache_size for embedder in index.embedders]
    uncached(index)
    try:
        index.search_many(texts[:3], k=K)
        samples: dict[str, list[float]] = {"loop of search": [], "search_many": []}
        for round_ in range(rounds):
            order = ["loop of search", "search_many"][:: 1 if round_ % 2 == 0 else -1]
            for name in order:
                began = time.perf_counter()
                if name == "search_many":
                    index.search_many(texts, k=K)
                else:
                    for text in texts:
                        index.search(text, k=K)
                samples[name].append(1000 * (time.perf_counter() - began) / len(texts))
    finally:
        for embedder, size in zip(index.embedders, sizes):
            embedder.query_cache_size = size
    return {"questions": len(texts), "rounds": rounds, "ms_per_question": {n: stats(v) for n, v in samples.items()}}


def filters(rounds: int) -> dict:
    """Search XQuAD-de filtered to each question's own paragraph against unfiltered, taking turns."""
    from quality import our_index
    from xquad import paragraph_ids, questions

    index = uncached(our_index(DEFAULT_MODEL), question_vectors=False)  # rounds repeat the questions: time the searches
    ids = paragraph_ids()
    asked = questions("de")[::XQUAD_STRIDE] * rounds
    paragraph_of = {q.text: ids[q.paragraph] for q in asked}
    times = interleaved({
        "unfiltered": lambda t: index.search(t, k=K),
        "one document": lambda t: index.search(t, k=K, where={"doc_id": paragraph_of[t]}),
    }, [q.text for q in asked])
    out = {name: stats(ms) for name, ms in times.items()}
    out["chunks"] = index.info.chunks
    out["documents"] = index.info.documents
    return out


def load(url: str, questions: list[str], clients: int, seconds: float, path: str = "search") -> dict:
    """``clients`` threads, each with a keep-alive connection, ask the next unasked question for ``seconds``.

    ``path`` is ``search`` (``GET /search?q=…&k=5``) or ``ask`` (``POST /ask``). Returns answers per
    second, latency p50/p99 in ms, and the errors (status or exception, first few) besides.
    """
    elapsed, latencies, errors = drive(over_http(url, path), questions, clients, seconds, each_once=True)
    ordered = sorted(latencies)
    return {"clients": clients, "path": path, "seconds": elapsed, "answers": len(ordered),
            "answers_per_s": len(ordered) / elapsed,
            "latency_ms": {"p50": ordered[len(ordered) // 2] if ordered else None,
                           "p99": ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))] if ordered else None},
            "errors": len(errors), "first_errors": errors[:5]}


def load_elsewhere(url: str, first: int, clients: int, seconds: float, path: str) -> dict:
    """:func:`load` in another process (``service.py load …``), on XQuAD-de's questions from number ``first``."""
    done = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "load", "--url", url, "--first", str(first), "--clients",
         str(clients), "--seconds", str(seconds), "--path", path],
        cwd=ROOT, capture_output=True, text=True, check=True, timeout=seconds + 300,
    )
    return json.loads(done.stdout)


def unasked_questions(first: int = 0) -> list[str]:
    """XQuAD-de's German questions, each once, starting at number ``first`` (and wrapping around)."""
    from xquad import questions

    texts = list(dict.fromkeys(q.text for q in questions("de")))
    first %= len(texts)
    return texts[first:] + texts[:first]


def server_cpu_seconds(server: Server) -> float:
    """CPU seconds (user and system) the server's processes have used so far."""
    import psutil

    parent = psutil.Process(server.pid)
    return sum(sum(p.cpu_times()[:2]) for p in [parent, *parent.children(recursive=True)])


def worker_memory(server: Server) -> list[dict]:
    """Each worker process's resident memory and the part of it that is its own (USS), in MB."""
    import psutil

    parent = psutil.Process(server.pid)
    workers = [child for child in parent.children() if "spawn_main" in " ".join(child.cmdline())] or [parent]
    out = []
    for worker in workers:
        info = worker.memory_full_info()
        out.append({"pid": worker.pid, "rss_mb": round(info.rss / 2**20, 1), "uss_mb": round(info.uss / 2**20, 1)})
    return out


def cores(seconds: float = 12.0, path: str = "search", clients: tuple[int, ...] = (1, 4, 16)) -> dict:
    """The service with one worker and with one per core, loaded by ``clients`` from another process."""
    import shutil

    from fundstelle.server import default_workers

    many = default_workers()
    out: dict = {"cores": many, "path": path, "seconds_per_run": seconds, "load_start": os.getloadavg()[:3],
                 "questions": "XQuAD-de, German, each asked once per run", "runs": []}
    first = 0
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch) / "index"
        shutil.copytree(article_index(DEFAULT_MODEL).folder, folder)
        for workers in dict.fromkeys((1, many)):
            with Server(folder, workers=workers) as server:
                load_elsewhere(server.url, 10_000, max(clients), 3, path)  # every worker past its first question
                for count in clients:
                    cpu = server_cpu_seconds(server)
                    row = load_elsewhere(server.url, first, count, seconds, path)
                    # cores the service kept busy: its CPU seconds over the run's (the load's start-up included)
                    row["cores_used"] = (server_cpu_seconds(server) - cpu) / row["seconds"]
                    first += row["answers"] + row["errors"] + count
                    row.update(workers=workers, load=os.getloadavg()[:3], memory=worker_memory(server))
                    out["runs"].append(row)
                    print(f"  {workers} worker(s), {count:2d} clients: {row['answers_per_s']:.1f} answers/s, p50 "
                          f"{row['latency_ms']['p50']:.0f} ms, p99 {row['latency_ms']['p99']:.0f} ms, "
                          f"{row['cores_used']:.2f} cores busy, {row['errors']} errors", file=sys.stderr, flush=True)
                if workers == many:
                    out["document_added_during_load"] = added_during_load(server, folder, first, max(clients),
                                                                          seconds, path)
    out["load_end"] = os.getloadavg()[:3]
    single = {r["clients"]: r["answers_per_s"] for r in out["runs"] if r["workers"] == 1}
    spread = {r["clients"]: r["answers_per_s"] for r in out["runs"] if r["workers"] == many}
    out["speedup_16_clients_over_1"] = {"1 worker": single[max(clients)] / single[1],
                                        f"{many} workers": spread[max(clients)] / spread[1]}
    return out


def added_during_load(server: Server, folder: Path, first: int, clients: int, seconds: float, path: str) -> dict:
    """Load the server while an ingest adds a document; then whether every answer finds it."""
    import concurrent.futures

    new = Path(folder).parent / "bodensee.txt"
    new.write_text("Der Bodensee ist mit 536 Quadratkilometern der größte See Deutschlands. Er liegt zwischen "
                   "Deutschland, Österreich und der Schweiz.", encoding="utf-8")
    with concurrent.futures.ThreadPoolExecutor(1) as background:
        loaded = background.submit(load_elsewhere, server.url, first, clients, seconds, path)
        time.sleep(seconds / 3)
        report = Index.open(folder).add([new])
        row = loaded.result()
    found = []
    for _ in range(20):  # a new connection each: the workers take turns accepting them
        client = Client(server.url)
        try:
            found.append(client.search("Wie groß ist der Bodensee?", k=1)["hits"][0]["source"].endswith(new.name))
        finally:
            client.close()
    return {"load": row, "added": report.summary(), "found_by_new_connections": f"{sum(found)} of {len(found)}"}


def run(rounds: int = 2, seconds: float = 20.0) -> dict:
    """Every figure of this script."""
    from relevance import ARTICLE_QUESTIONS

    texts = list(ARTICLE_QUESTIONS[:ARTICLE_GERMAN])
    index = uncached(article_index(DEFAULT_MODEL), question_vectors=False)  # questions repeat across rounds
    out: dict = {"load_start": os.getloadavg()[:2], "model": DEFAULT_MODEL, "k": K,
                 "article_chunks": index.info.chunks}
    with Server(index.folder) as server:
        out["http"] = http_overhead(index, server.url, texts * (4 * rounds))
        print(f"  /search p50 {out['http']['HTTP']['p50']:.1f} ms over HTTP, {out['http']['in process']['p50']:.1f} "
              f"ms in process: overhead {out['http']['overhead_p50_ms']:.1f} ms", file=sys.stderr, flush=True)
        warm = Client(server.url)
        warm.search(texts[0])
        warm.close()
        out["throughput_http"] = throughput(over_http(server.url), texts, seconds)
    out["throughput_in_process"] = throughput(in_process(lambda t: index.search(t, k=K)), texts, seconds)
    for name in ("throughput_http", "throughput_in_process"):
        row = out[name]
        print(f"  {name}: {row['requests_per_s']:.1f} requests/s with {row['clients']} clients, latency p50 "
              f"{row['latency_ms']['p50']:.0f} ms p95 {row['latency_ms']['p95']:.0f} ms", file=sys.stderr, flush=True)
    out["batch"] = batch(index, texts * 2, 4 * rounds)
    per = out["batch"]["ms_per_question"]
    print(f"  batch: search_many {per['search_many']['p50']:.1f} ms/question, loop {per['loop of search']['p50']:.1f}",
          file=sys.stderr, flush=True)
    out["filter"] = filters(rounds)
    print(f"  filter to one document of XQuAD-de: p50 {out['filter']['one document']['p50']:.1f} ms, unfiltered "
          f"{out['filter']['unfiltered']['p50']:.1f} ms", file=sys.stderr, flush=True)
    out["load_end"] = os.getloadavg()[:2]
    out["cores"] = cores(min(seconds, 12.0))  # at most ~90 answers/s x 12 s: every question unasked in its run
    return out


def main() -> None:
    """Command line."""
    if sys.argv[1:2] == ["load"]:  # the load generator, run by load_elsewhere
        options = argparse.ArgumentParser(prog="service.py load")
        options.add_argument("--url", required=True)
        options.add_argument("--first", type=int, default=0)
        options.add_argument("--clients", type=int, default=1)
        options.add_argument("--seconds", type=float, default=10.0)
        options.add_argument("--path", choices=("search", "ask"), default="search")
        given = options.parse_args(sys.argv[2:])
        print(json.dumps(load(given.url, unasked_questions(given.first), given.clients, given.seconds, given.path)))
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", choices=("cores",), help="run one part alone (cores: writes service-cores.json)")
    parser.add_argument("--path", choices=("search", "ask"), default="search",
                        help="what the cores part asks: GET /search or POST /ask (default search)")
    parser.add_argument("--rounds", type=int, default=2, help="repetitions of the question lists (default 2)")
    parser.add_argument("--seconds", type=float, default=None,
                        help="length of each throughput run (default 20; 12 for the cores part, whose questions "
                             "must last a run)")
    parser.add_argument("--out", default=str(HERE / "results" / "service.json"), help="where to write the figures")
    args = parser.parse_args()
    started = time.time()
    if args.only == "cores":
        if args.out == parser.get_default("out"):
            args.out = str(HERE / "results" / "service-cores.json")
        result = cores(args.seconds or 12.0, args.path)
    else:
        result = run(args.rounds, args.seconds or 20.0)
    result["command"] = " ".join(["python benchmarks/service.py", *sys.argv[1:]])
    result["date"] = time.strftime("%Y-%m-%d")
    result["wall_s"] = time.time() - started
    emit(result, args.out)
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
