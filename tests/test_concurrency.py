"""Concurrent use: searching while another process ingests, and many threads on one Index.

Issue 6, items 5 and 7. An open :class:`Index` keeps answering while ingest processes
add and remove documents in the same folder, and switches to each new version without
a restart: every answer it gives is exactly the answer of one complete version, and
versions only move forward. Eight threads sharing one ``Index`` for 30 seconds get
exactly the answers a single thread gets.
"""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from conftest import DOCS, PDF_TEXT, ROOT, make_pdf

from fundstelle import Index, ingest

QUESTIONS = ["Rhein Nordsee", "Brücke Nummer 17", "Wann landete Apollo 11?", "Hafen Nummer 123 liegt"]
LOAD_SECONDS = 30
THREADS = 8


def write_corpus(root: Path) -> tuple[Path, Path]:
    """The small corpus ("alt") and 300 generated documents ("neu")."""
    old = root / "alt"
    old.mkdir()
    for name, text in DOCS.items():
        (old / name).write_text(text, encoding="utf-8")
    (old / "zugspitze.pdf").write_bytes(make_pdf(PDF_TEXT))
    new = root / "neu"
    new.mkdir()
    words = "Stadt Fluss Brücke Rathaus Markt Hafen Kirche Schule Straße Bahnhof Turm Museum Park Ufer Insel".split()
    for n in range(300):
        rng = random.Random(n)
        text = " ".join(f"{rng.choice(words)} Nummer {n} liegt {rng.choice(words).lower()}wärts." for _ in range(40))
        (new / f"neu{n:04d}.txt").write_text(f"Dokument {n}\n\n{text}", encoding="utf-8")
    return old, new


def answers(index: Index) -> list[list[tuple[str, int, int, float]]]:
    return [[(h.doc_id, h.start, h.end, round(h.score, 5)) for h in index.search(q, k=5)] for q in QUESTIONS]


def run_ingest(*args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, str(ROOT / "ingest.py"), *args, "--quiet"],
                            capture_output=True, text=True, env=env, timeout=300)
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_searches_keep_working_while_another_process_ingests(tmp_path: Path) -> None:
    old, new = write_corpus(tmp_path)
    removed = [str(new / f"neu{n:04d}.txt") for n in range(0, 300, 3)]
    steps: list[list[str]] = [[str(new)], ["--remove", removed[0], *[a for r in removed[1:] for a in ("--remove", r)]],
                              [str(old / "rhein.txt")]]
    # The answers of every version, from a reference run of the same steps.
    reference = tmp_path / "reference"
    ingest([old], reference, model="hashing")
    expected = [answers(Index.open(reference))]
    for step in steps:
        paths = [a for a in step if a != "--remove" and a not in removed]
        ingest(paths, reference, remove=[a for a in step if a in removed])
        expected.append(answers(Index.open(reference)))
    (old / "rhein.txt").write_text(DOCS["rhein.txt"] + "\n\nNachtrag: Der Rhein führt Hochwasser.", encoding="utf-8")
    ingest([old / "rhein.txt"], reference)
    expected[-1] = answers(Index.open(reference))
    (old / "rhein.txt").write_text(DOCS["rhein.txt"], encoding="utf-8")
    assert len({str(e) for e in expected}) == len(expected), "every step must change the answers"

    live = tmp_path / "index"
    ingest([old], live, model="hashing")
    index = Index.open(live)
    seen: list[list[set[int]]] = [[], []]  # per thread: the versions each answer belongs to
    errors: list[BaseException] = []
    stop = threading.Event()

    def search_in_a_loop(thread: int) -> None:
        try:
            number = thread
            while not stop.is_set():
                question = number % len(QUESTIONS)
                hits = index.search(QUESTIONS[question], k=5)
                got = [(h.doc_id, h.start, h.end, round(h.score, 5)) for h in hits]
                versions = {v for v, version in enumerate(expected) if version[question] == got}
                assert versions, f"{QUESTIONS[question]!r}: an answer that belongs to no complete version"
                seen[thread].append(versions)
                number += 1
        except BaseException as error:  # noqa: BLE001 - reported by the test thread
            errors.append(error)

    searchers = [threading.Thread(target=search_in_a_loop, args=(n,)) for n in range(2)]
    for thread in searchers:
        thread.start()
    try:
        time.sleep(0.3)
        for number, step in enumerate(steps):
            if number == len(steps) - 1:  # the last step changes a file
                (old / "rhein.txt").write_text(DOCS["rhein.txt"] + "\n\nNachtrag: Der Rhein führt Hochwasser.",
                                               encoding="utf-8")
            run_ingest(*step, "--index", str(live))
            time.sleep(0.3)
    finally:
        stop.set()
        for thread in searchers:
            thread.join()
    assert not errors, errors
    # Within each thread versions only move forward: the answers fit a non-decreasing
    # sequence of versions (greedy: always the oldest version that still fits).
    for answers_of_thread in seen:
        current, visited = 0, set()
        for versions in answers_of_thread:
            later = [v for v in versions if v >= current]
            assert later, "a search went back to an older version"
            current = min(later)
            visited.add(current)
        assert visited == set(range(len(expected))), visited  # every version was searched
    # The open Index ends on the newest version without being reopened.
    assert answers(index) == expected[-1]


@pytest.fixture(scope="module")
def load_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("load")
    old, new = write_corpus(root)
    ingest([old, new], root / "index", model="hashing")
    return root / "index"


@pytest.mark.slow
def test_eight_threads_for_30_seconds_match_single_threaded_results(load_index: Path) -> None:
    index = Index.open(load_index)
    questions = [*QUESTIONS, "Wie hoch ist die Zugspitze?", "Sauerteig Roggenbrot backen", "Who walked on the moon?",
                 "Museum Nummer 250", "Größe Straße Ufer"]
    cases = [(q, mode) for q in questions for mode in ("hybrid", "dense", "lexical")]
    expected = {case: [h.to_dict() for h in index.search(case[0], k=5, mode=case[1])] for case in cases}
    counts = [0] * THREADS
    errors: list[str] = []
    deadline = time.monotonic() + LOAD_SECONDS

    def work(number: int) -> None:
        position = number
        try:
            while time.monotonic() < deadline:
                question, mode = case = cases[position % len(cases)]
                got = [h.to_dict() for h in index.search(question, k=5, mode=mode)]
                if got != expected[case]:
                    errors.append(f"thread {number}: {case} differs from the single-threaded result")
                counts[number] += 1
                position += THREADS
        except Exception as error:  # noqa: BLE001 - reported by the test thread
            errors.append(f"thread {number}: {type(error).__name__}: {error}")

    threads = [threading.Thread(target=work, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert min(counts) > 10, counts  # every thread did real work
    print(f"{sum(counts)} searches by {THREADS} threads in {LOAD_SECONDS} s, all identical to single-threaded ones")
