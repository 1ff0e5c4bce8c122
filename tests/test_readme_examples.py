"""README's "Use it with LangChain" and "Use it over HTTP" examples, run as written on the bundled article."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from fundstelle.query import MAX_QUESTION_CHARS
from fundstelle.ranking import CANDIDATES

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

pytestmark = pytest.mark.model


def section(title: str) -> str:
    """The README's text under ``## title``."""
    start = README.index(f"\n## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start:end]


def blocks(text: str, language: str) -> list[str]:
    """The fenced code blocks of ``language`` ('' for those without one) in ``text``, in order."""
    found: list[str] = []
    inside: str | None = None  # the language of the open block
    lines: list[str] = []
    for line in text.splitlines():
        if inside is None:
            if line.startswith("```"):
                inside, lines = line[3:].strip(), []
        elif line.strip() == "```":
            if inside == language:
                found.append("\n".join(lines) + "\n")
            inside = None
        else:
            lines.append(line)
    return found


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder whose ``index/`` is what README's ``python ingest.py`` builds."""
    folder = tmp_path_factory.mktemp("readme")
    subprocess.run([sys.executable, "ingest.py", "--quiet", "--index", str(folder / "index")], cwd=ROOT, check=True,
                   capture_output=True)
    return folder


def environment() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def test_langchain_example(workdir: Path) -> None:
    pytest.importorskip("langchain_core")
    text = section("Use it with LangChain")
    (code,) = blocks(text, "python")
    printed = subprocess.run([sys.executable, "-c", code], cwd=workdir, env=environment(), capture_output=True,
                             text=True, timeout=300, check=True).stdout
    shown = blocks(text, "")[0].splitlines()
    assert shown[-1] == "…"
    assert printed.splitlines()[:len(shown) - 1] == shown[:-1]
    assert len(printed.splitlines()) == 3  # k=3


def test_http_example(workdir: Path) -> None:
    pytest.importorskip("fastapi")
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    from test_http import start_server, stop

    from fundstelle.results import MODES
    from fundstelle.server import QUESTION_PATTERN, WHERE_PATTERN

    text = section("Use it over HTTP")
    # the rules as the schema states them
    assert f"1 to {MAX_QUESTION_CHARS:,} characters" in text and f"1–{CANDIDATES} (default 5)" in text
    assert f"`{QUESTION_PATTERN}`" in text and f"`{WHERE_PATTERN.replace('|', chr(92) + '|')}`" in text
    assert all(f"`{mode}`" in text for mode in MODES)
    install, serve = blocks(text, "bash")[0].strip().splitlines()
    assert install == "pip install -e '.[http]'"
    command = shlex.split(serve)
    assert command[:4] == ["python", "-m", "fundstelle", "serve"]
    process, url = start_server(command[4:], workdir, workdir / "server.log")
    port = url.rsplit(":", 1)[1]
    try:
        calls = blocks(text, "bash")[1].replace("\\\n", " ").strip().splitlines()
        answers = []
        for line in calls:
            assert line.startswith("curl ")
            done = subprocess.run(line.replace("127.0.0.1:8000", f"127.0.0.1:{port}"), shell=True, cwd=workdir,
                                  capture_output=True, text=True, timeout=120, check=True)
            answers.append(json.loads(done.stdout))
        # the generated client: its install, the generator's commands, then the Python example
        pytest.importorskip("datamodel_code_generator")
        install, *generate = blocks(text, "bash")[2].strip().splitlines()
        assert install == "pip install datamodel-code-generator httpx"
        bin_folder = Path(sys.executable).parent
        for line in generate:
            subprocess.run(line.replace("127.0.0.1:8000", f"127.0.0.1:{port}"), shell=True, cwd=workdir,
                           env={**environment(), "PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}"},
                           capture_output=True, text=True, timeout=120, check=True)
        (client,) = blocks(text, "python")
        printed = subprocess.run([sys.executable, "-c", client.replace("127.0.0.1:8000", f"127.0.0.1:{port}")],
                                 cwd=workdir, env=environment(), capture_output=True, text=True, timeout=120,
                                 check=True).stdout
    finally:
        stop(process)
    assert printed == blocks(text, "")[0]
    founders, amount, filtered = answers
    assert founders["question"] == "Wer hat Anthropic gegründet?" and len(founders["hits"]) == 3
    assert amount["answer"]["phrase"]["text"] == "vier Milliarden US-Dollar" and len(amount["hits"]) == 3
    assert [hit["source"] for hit in filtered["hits"]] == ["src/fundstelle/corpus/amazon-anthropic-2025-07.txt"]
