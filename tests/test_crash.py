"""Crash safety: an ingest killed with SIGKILL at any point leaves the old index or the new one.

Issue 6, item 4. Each round copies an index of the small corpus ("old"), starts an
ingest that adds 300 documents in a separate process, kills it with ``kill -9`` at
one point of its run, and then checks that the index opens and is entirely the old
or entirely the new content (documents and search results), never a mix, and that
the next ingest succeeds and leaves no ``.partial`` leftovers. Fifteen kill points
are spread over the ingest's measured duration (loading, chunking, embedding, BM25,
writing); five more are hit exactly, the child holding still there: while reading
files, while embedding, with the new version written all but its manifest, with it
complete but not yet live, and just after the switch to it.

A lock stops a second ingest into the same index while one runs, with a clear message.
"""

from __future__ import annotations

import errno
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import DOCS, ROOT

from fundstelle import Index, IndexLockedError, ingest
from fundstelle.store import ingest_lock

QUESTIONS = ["Rhein Nordsee", "Brücke Nummer 17", "Wann landete Apollo 11?"]
TIMED_ROUNDS = 15

CHILD = """
import os
import sys
from fundstelle import ingest

stage, pause = sys.argv[3], sys.argv[4] == "pause"
reached = []

def hold():  # say where we are; wait (holding the lock) until told to go on
    print("STAGE", flush=True)
    if pause:
        sys.stdin.readline()

def progress(name, done, total):
    if name == stage and not reached:
        reached.append(name)
        hold()

# Moments inside the writing of a version, for the kills that must hit them exactly, found by
# what the writing promises: a version's manifest is its last file; its folder is renamed from
# .vNNNNNN.partial into place; then CURRENT is replaced in one os.replace.
real_open, real_rename, real_replace = os.open, os.rename, os.replace

def open_hooked(path, flags, *args, **kwargs):
    if stage == "staging" and os.path.basename(path) == "manifest.json" and flags & os.O_CREAT:
        hold()
    return real_open(path, flags, *args, **kwargs)

def rename_hooked(source, target, *args, **kwargs):
    real_rename(source, target, *args, **kwargs)
    if stage == "renamed" and os.path.basename(source).endswith(".partial"):
        hold()

def replace_hooked(source, target, *args, **kwargs):
    real_replace(source, target, *args, **kwargs)
    if stage == "switched" and os.path.basename(target) == "CURRENT":
        hold()

os.open, os.rename, os.replace = open_hooked, rename_hooked, replace_hooked

print("READY", flush=True)
sys.stdin.readline()
ingest([sys.argv[1]], sys.argv[2], progress=progress)
print("DONE", flush=True)
"""


def new_documents(folder: Path, count: int = 300) -> Path:
    folder.mkdir()
    words = "Stadt Fluss Brücke Rathaus Markt Hafen Kirche Schule Straße Bahnhof Turm Museum Park Ufer Insel".split()
    for n in range(count):
        rng = random.Random(n)
        text = " ".join(f"{rng.choice(words)} Nummer {n} liegt {rng.choice(words).lower()}wärts." for _ in range(40))
        (folder / f"neu{n:04d}.txt").write_text(f"Dokument {n}\n\n{text}", encoding="utf-8")
    return folder


@dataclass
class State:
    """What an index holds: its documents and the answers to QUESTIONS."""

    documents: frozenset[str]
    results: list[list[tuple[str, int, int, float]]]


def state_of(index_dir: Path) -> State:
    index = Index.open(index_dir)
    return State(
        frozenset(d.source for d in index.documents()),
        [[(h.doc_id, h.start, h.end, round(h.score, 5)) for h in index.search(q, k=5)] for q in QUESTIONS],
    )


def leftovers(index_dir: Path) -> list[str]:
    return sorted(p.name for p in index_dir.iterdir() if p.name.endswith(".partial"))


class Child:
    """An ingest in its own process, imported and waiting for the signal to start."""

    def __init__(self, new: Path, index_dir: Path, stage: str = "", pause: bool = False) -> None:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(new), str(index_dir), stage or "none", "pause" if pause else "run"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )
        self.ready = False

    def readline(self) -> str:
        assert self.process.stdout is not None
        return self.process.stdout.readline().strip()

    def go(self) -> float:
        if not self.ready:
            assert self.readline() == "READY"
            self.ready = True
        assert self.process.stdin is not None
        self.process.stdin.write("\n")
        self.process.stdin.flush()
        return time.monotonic()

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


@pytest.fixture(scope="module")
def setting(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """The old index, the folder of new documents, and the states before and after."""
    root = tmp_path_factory.mktemp("crash")
    old_docs = root / "alt"
    old_docs.mkdir()
    for name, text in DOCS.items():
        (old_docs / name).write_text(text, encoding="utf-8")
    base = root / "base"
    ingest([old_docs], base, model="hashing")
    new = new_documents(root / "neu")
    # An uninterrupted run in a child process: its duration places the kill points,
    # its result is the "new" state.
    reference = root / "reference"
    shutil.copytree(base, reference)
    child = Child(new, reference)
    started = child.go()
    assert child.readline() == "DONE"
    duration = time.monotonic() - started
    child.process.wait()
    yield {"root": root, "base": base, "new": new, "duration": duration,
           "old": state_of(base), "after": state_of(reference)}


def check_after_crash(setting: dict, index_dir: Path) -> str:
    """The index is wholly old or wholly new; the next ingest completes and cleans up."""
    state = state_of(index_dir)
    if state == setting["old"]:
        outcome = "old"
    else:
        assert state == setting["after"], "the index is neither the old nor the new content"
        outcome = "new"
    report = ingest([setting["new"]], index_dir)
    assert report.documents == len(setting["after"].documents)
    assert leftovers(index_dir) == []
    versions = [p.name for p in index_dir.iterdir() if re.fullmatch(r"v\d{6}", p.name)]
    assert len(versions) <= 2, versions  # the live one and the one before; orphans are gone
    assert state_of(index_dir) == setting["after"]
    return outcome


@pytest.mark.slow
def test_kill_at_many_points_leaves_old_or_new_never_a_mix(setting: dict) -> None:
    duration = setting["duration"]
    rng = random.Random(4)
    delays = [duration * (n + rng.uniform(0.1, 0.9)) / TIMED_ROUNDS for n in range(TIMED_ROUNDS)]
    outcomes = []
    children: list[tuple[Child, Path]] = []

    def prepare(number: int) -> tuple[Child, Path]:
        index_dir = setting["root"] / f"round{number:02d}"
        shutil.copytree(setting["base"], index_dir)
        return Child(setting["new"], index_dir), index_dir

    children.append(prepare(0))
    try:
        for number, delay in enumerate(delays):
            child, index_dir = children.pop()
            started = child.go()
            time.sleep(max(0.0, delay - (time.monotonic() - started)))
            child.kill()
            # Start the next child now: its imports overlap this round's checks.
            if number + 1 < len(delays):
                children.append(prepare(number + 1))
            outcomes.append(check_after_crash(setting, index_dir))
    finally:
        for child, _ in children:
            child.kill()
    print(f"{len(outcomes)} kills over {duration:.2f} s: {outcomes.count('old')} left the old index, "
          f"{outcomes.count('new')} the new one")
    assert "old" in outcomes, outcomes


# The moment, and what the index must hold after a kill there.
MOMENTS = {
    "load": "old",      # reading files
    "embed": "old",     # embedding chunks
    "staging": "old",   # the new version's folder is written, all but its manifest
    "renamed": "old",   # the new version is complete under its final name, CURRENT not yet switched
    "switched": "new",  # CURRENT names the new version; the old one is not yet cleaned up
}


@pytest.mark.parametrize("moment", list(MOMENTS))
def test_kill_at_a_chosen_moment(setting: dict, moment: str) -> None:
    index_dir = setting["root"] / f"moment-{moment}"
    shutil.copytree(setting["base"], index_dir)
    child = Child(setting["new"], index_dir, stage=moment, pause=True)
    child.go()
    assert child.readline() == "STAGE"
    child.kill()
    assert check_after_crash(setting, index_dir) == MOMENTS[moment]


# --- the ingest lock ----------------------------------------------------------------------------

def test_a_second_ingest_is_refused_while_one_writes(setting: dict, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(setting["base"], index_dir)
    with ingest_lock(index_dir):
        with pytest.raises(IndexLockedError, match=rf"another ingest \(pid {os.getpid()}\) is writing to ") as info:
            ingest([setting["new"]], index_dir)
        assert info.value.holder == f"pid {os.getpid()}" and info.value.remedy == "wait"
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        cli = subprocess.run([sys.executable, str(ROOT / "ingest.py"), str(setting["new"]), "--index",
                              str(index_dir), "--quiet"], capture_output=True, text=True, env=env, timeout=120)
        assert cli.returncode == 2
        assert cli.stderr.startswith(f"error: another ingest (pid {os.getpid()}) is writing to ")
        assert "wait for it to finish and try again" in cli.stderr
        assert "Traceback" not in cli.stderr
    # Searching is never locked out, and the lock's end lets the next ingest through.
    assert state_of(index_dir) == setting["old"]
    assert ingest([setting["new"]], index_dir).documents == len(setting["after"].documents)


def test_two_ingest_processes_at_once(setting: dict, tmp_path: Path) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(setting["base"], index_dir)
    first = Child(setting["new"], index_dir, stage="load", pause=True)
    first.go()
    assert first.readline() == "STAGE"  # it holds the lock and waits, reading files
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    second = subprocess.run([sys.executable, str(ROOT / "ingest.py"), str(setting["new"]), "--index",
                             str(index_dir), "--quiet"], capture_output=True, text=True, env=env, timeout=120)
    assert second.returncode == 2
    assert f"another ingest (pid {first.process.pid}) is writing to" in second.stderr
    first.go()  # let the first one finish
    while first.readline() != "DONE":
        pass
    first.process.wait()
    assert state_of(index_dir) == setting["after"]


def test_disk_full_while_writing_keeps_the_old_index(setting: dict, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    index_dir = tmp_path / "index"
    shutil.copytree(setting["base"], index_dir)
    real_open = os.open

    def full(path: str | os.PathLike[str], flags: int, *args: int) -> int:
        if os.path.basename(path) == "manifest.json" and flags & os.O_CREAT:  # a version's last file
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), os.fspath(path))
        return real_open(path, flags, *args)

    monkeypatch.setattr(os, "open", full)
    with pytest.raises(OSError, match="No space left"):
        ingest([setting["new"]], index_dir)
    assert state_of(index_dir) == setting["old"]
    monkeypatch.setattr(os, "open", real_open)
    assert check_after_crash(setting, index_dir) == "old"
