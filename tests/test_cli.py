"""The command line: ingest.py and python -m fundstelle search."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import ROOT


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300)


def test_ingest_then_search_json(corpus: Path, index_dir: Path) -> None:
    built = run(str(ROOT / "ingest.py"), str(corpus), "--index", str(index_dir), "--model", "hashing")
    assert built.returncode == 0, built.stderr
    assert "4 added, 0 updated, 0 unchanged" in built.stdout
    again = run(str(ROOT / "ingest.py"), str(corpus), "--index", str(index_dir))
    assert "0 added, 0 updated, 4 unchanged" in again.stdout and "(0 embedded)" in again.stdout

    found = run("-m", "fundstelle", "search", "Wer betrat als erster Mensch die Mondoberfläche?",
                "--index", str(index_dir), "--k", "2", "--json")
    assert found.returncode == 0, found.stderr
    hits = json.loads(found.stdout)
    assert len(hits) == 2
    top = hits[0]
    assert set(top) >= {"text", "source", "title", "start", "end", "score", "rank", "answer", "terms"}
    assert top["title"] == "Die Mondlandung"
    assert top["text"][top["answer"]["start"]:top["answer"]["end"]] == top["answer"]["text"]
    assert "Armstrong" in top["answer"]["text"]


def test_readable_output_marks_the_answer(corpus: Path, index_dir: Path) -> None:
    run(str(ROOT / "ingest.py"), str(corpus), "--index", str(index_dir), "--model", "hashing")
    shown = run("-m", "fundstelle", "search", "Wie hoch ist die Zugspitze?", "--index", str(index_dir), "--k", "1")
    assert shown.returncode == 0
    assert "1. " in shown.stdout and "zugspitze.pdf" in shown.stdout
    assert "»Die Zugspitze ist mit **2962 Metern** der höchste Berg Deutschlands.«" in shown.stdout


def test_bad_files_are_listed_and_exit_status_says_so(corpus: Path, index_dir: Path) -> None:
    (corpus / "kaputt.pdf").write_bytes(b"%PDF-1.4 kaputt")
    result = run(str(ROOT / "ingest.py"), str(corpus), "--index", str(index_dir), "--model", "hashing")
    assert result.returncode == 1
    assert "kaputt.pdf" in result.stderr and "PDF" in result.stderr
    assert "4 added" in result.stdout


def test_errors_are_one_line_not_a_traceback(corpus: Path, index_dir: Path) -> None:
    missing = run("-m", "fundstelle", "search", "Frage", "--index", str(index_dir))
    assert missing.returncode == 2
    assert "no index at" in missing.stderr and "Traceback" not in missing.stderr
    run(str(ROOT / "ingest.py"), str(corpus), "--index", str(index_dir), "--model", "hashing")
    other = run(str(ROOT / "ingest.py"), str(corpus), "--index", str(index_dir), "--model", "hashing-64")
    assert other.returncode == 2 and "--rebuild" in other.stderr and "Traceback" not in other.stderr
    empty = run("-m", "fundstelle", "search", "  ", "--index", str(index_dir))
    assert empty.returncode == 2 and "empty" in empty.stderr


def test_remove_from_the_command_line(corpus: Path, index_dir: Path) -> None:
    run(str(ROOT / "ingest.py"), str(corpus), "--index", str(index_dir), "--model", "hashing")
    removed = run(str(ROOT / "ingest.py"), "--index", str(index_dir), "--remove", str(corpus / "brot.md"))
    assert removed.returncode == 0 and "1 removed" in removed.stdout


def test_help_lists_every_command(capsys: pytest.CaptureFixture[str]) -> None:
    from fundstelle.cli import main

    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert all(f"\n  {command} " in out for command in ("ask", "search", "ingest"))
    assert main(["frag"]) == 2 and "usage:" in capsys.readouterr().err
