"""README.md and docs/*.md as a reader follows them: every Python block and every server-free command is run.

Blocks run in a folder laid out like a fresh clone after ``python ingest.py`` (an ``index/`` of
the bundled article), with ``python`` and ``fundstelle`` this test's interpreter. A block that
cannot run here (a server, an install, a placeholder path) says why in an HTML comment on the
line above it: ``<!-- not run: reason -->``. A plain block after a Python block that the text
says it "prints" is compared with what the block printed, up to a line ``…``; a plain block
of ``$ command`` lines (a transcript) is run and compared the same way. ``pip install`` lines
are not run: their extras must exist in pyproject.toml, and no command may need a package host
other than the ordinary index.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from fundstelle.query import MAX_QUESTION_CHARS
from fundstelle.ranking import CANDIDATES

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
NOT_RUN = re.compile(r"<!-- not run: (.+?) -->")
README_MOST_LINES = 250

pytestmark = pytest.mark.model


@dataclass(frozen=True)
class Block:
    """A fenced code block of a page, the reason it is not run (or None), and the text before it."""

    page: Path
    line: int
    language: str
    text: str
    not_run: str | None
    before: str  # the text between the previous block and this one

    @property
    def name(self) -> str:
        return f"{self.page.relative_to(ROOT)}:{self.line}"


def blocks_of(page: Path) -> list[Block]:
    """The fenced code blocks of ``page``, in order."""
    found: list[Block] = []
    language: str | None = None  # of the open block
    lines: list[str] = []
    prose: list[str] = []
    start = 0
    for number, line in enumerate(page.read_text(encoding="utf-8").splitlines(), start=1):
        if language is None:
            if line.startswith("```"):
                language, lines, start = line[3:].strip(), [], number
            else:
                prose.append(line)
        elif line.strip() == "```":
            before = "\n".join(prose)
            last = next((text for text in reversed(prose) if text.strip()), "")
            marker = NOT_RUN.search(last)
            found.append(Block(page, start, language, "\n".join(lines) + "\n", marker.group(1) if marker else None,
                               before))
            language, prose = None, []
        else:
            lines.append(line)
    return found


BLOCKS = [block for page in PAGES for block in blocks_of(page)]
PYTHON = [block for block in BLOCKS if block.language == "python" and block.not_run is None]
COMMANDS = [block for block in BLOCKS if block.language in ("bash", "sh") and block.not_run is None]
TRANSCRIPTS = [block for block in BLOCKS if block.language == "" and block.text.startswith("$ ")]


def commands(block: Block) -> list[str]:
    """The block's command lines, continuation lines joined, blank lines dropped."""
    return [line for line in block.text.replace("\\\n", " ").splitlines() if line.strip()]


@pytest.fixture(scope="module")
def clone(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder like a fresh clone after ``python ingest.py``: ``ingest.py`` and an ``index/`` of the article."""
    folder = tmp_path_factory.mktemp("clone")
    shutil.copy(ROOT / "ingest.py", folder)
    subprocess.run([sys.executable, "ingest.py", "--quiet"], cwd=folder, env=environment(folder), check=True,
                   capture_output=True)
    return folder


def environment(folder: Path) -> dict[str, str]:
    """This interpreter as ``python`` and ``fundstelle`` on the PATH, as in an activated virtual environment."""
    bin_dir = folder.parent / f"{folder.name}-bin"
    if not bin_dir.exists():
        bin_dir.mkdir()
        for name, command in (("python", f'exec "{sys.executable}" "$@"'),
                              ("fundstelle", f'exec "{sys.executable}" -m fundstelle "$@"')):
            (bin_dir / name).write_text(f"#!/bin/sh\n{command}\n")
            (bin_dir / name).chmod(0o755)
    return {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT),
            "HF_HUB_OFFLINE": "1"}


def shown_lines(printed: str) -> list[str]:
    """Printed output as the pages show it: paths as seen from the repository's folder."""
    return printed.replace(f"{ROOT}{os.sep}", "").splitlines()


def assert_shows(expected: str, printed: str, what: str) -> None:
    """``printed`` begins with ``expected``'s lines, which end with ``…`` where the page cuts it short."""
    wanted = expected.splitlines()
    cut = wanted[-1] == "…"
    if cut:
        wanted = wanted[:-1]
    got = shown_lines(printed)
    assert (got[:len(wanted)] if cut else got) == wanted, what


def test_the_readme_fits_a_first_visit_and_links_every_page() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert len(readme.splitlines()) <= README_MOST_LINES
    linked = set(re.findall(r"\]\((docs/[\w.-]+\.md)\)", readme))
    assert linked == {f"docs/{page.name}" for page in PAGES[1:]}
    for page in PAGES:
        for target in re.findall(r"\]\(([\w./-]+?)(?:#[\w-]+)?\)", page.read_text(encoding="utf-8")):
            assert (page.parent / target).exists(), (page.name, target)


def test_blocks_that_are_not_run_say_why_and_nothing_needs_another_package_host() -> None:
    for block in BLOCKS:
        if block.not_run is not None:
            assert len(block.not_run) > 10, block.name
    tomllib = pytest.importorskip("tomllib")
    extras = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"])
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        assert "--index-url" not in text and "download.pytorch.org" not in text, page.name
        for named in re.findall(r"pip install -e '\.\[([\w,-]+)\]'", text):
            assert set(named.split(",")) <= extras, (page.name, named)
        for package in re.findall(r"pip install (?!-)([^\s`]+)", text):
            assert re.fullmatch(r"[\w-]+==[\w.]+", package), (page.name, package)  # pinned, by name


@pytest.mark.parametrize("block", PYTHON, ids=[block.name for block in PYTHON])
def test_python_block(clone: Path, block: Block) -> None:
    done = subprocess.run([sys.executable, "-c", block.text], cwd=clone, env=environment(clone), capture_output=True,
                          text=True, timeout=300)
    missing = re.search(r"No module named '(langchain_core|fastapi)'", done.stderr)
    if missing:
        pytest.skip(f"{missing.group(1)} is not installed")
    assert done.returncode == 0, done.stderr
    following = BLOCKS[BLOCKS.index(block) + 1] if block is not BLOCKS[-1] else None
    if following is not None and following.language == "" and "prints" in following.before:
        assert_shows(following.text, done.stdout, block.name)


@pytest.mark.parametrize("block", COMMANDS, ids=[block.name for block in COMMANDS])
def test_commands(clone: Path, block: Block) -> None:
    for line in commands(block):
        words = shlex.split(line, comments=True)
        if words[:2] == ["pip", "install"]:
            continue  # checked by test_blocks_that_are_not_run_say_why_and_nothing_needs_another_package_host
        assert words[0] in ("python", "fundstelle"), f"{block.name}: {line!r} is not a command this test runs"
        done = subprocess.run(line, shell=True, cwd=clone, env=environment(clone), capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, (block.name, line, done.stderr)
        assert "Traceback" not in done.stderr


@pytest.mark.parametrize("block", TRANSCRIPTS, ids=[block.name for block in TRANSCRIPTS])
def test_transcript(clone: Path, block: Block) -> None:
    shown: list[tuple[str, list[str]]] = []
    for line in block.text.splitlines():
        if line.startswith("$ "):
            shown.append((line[2:], []))
        else:
            shown[-1][1].append(line)
    for command, output in shown:
        done = subprocess.run(command, shell=True, cwd=clone, env=environment(clone), capture_output=True, text=True,
                              timeout=300)
        assert done.returncode == 0, done.stderr
        assert_shows("\n".join(output), done.stdout, f"{block.name}: {command}")


def test_the_readmes_python_never_touches_the_users_index(tmp_path: Path) -> None:
    """The first example builds its own folder from the article file: an ``index/`` of yours stays as it was."""
    (tmp_path / "meine").mkdir()
    (tmp_path / "meine" / "notiz.txt").write_text("Meine Notiz über den Garten.", encoding="utf-8")
    subprocess.run([sys.executable, str(ROOT / "ingest.py"), "meine", "--quiet", "--model", "hashing"], cwd=tmp_path,
                   check=True, capture_output=True)

    def contents() -> dict[str, str]:
        return {str(path.relative_to(tmp_path / "index")): hashlib.sha256(path.read_bytes()).hexdigest()
                for path in sorted((tmp_path / "index").rglob("*")) if path.is_file() and path.name != "ingest.lock"}

    before = contents()
    readme = next(block for block in PYTHON if block.page.name == "README.md")
    code = readme.text + "\nimport json; print(json.dumps([hit.source for hit in reply.hits]))"
    done = subprocess.run([sys.executable, "-c", code],
                          cwd=tmp_path, env=environment(tmp_path), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert contents() == before
    assert done.stdout.splitlines()[0] == "vier Milliarden US-Dollar"
    sources = json.loads(done.stdout.splitlines()[-1])
    assert sources and all(source.endswith("amazon-anthropic-2025-07.txt") for source in sources)


def page_text(name: str) -> str:
    return (ROOT / "docs" / name).read_text(encoding="utf-8")


def test_langchain_example(clone: Path) -> None:
    pytest.importorskip("langchain_core")
    (code,) = [block for block in PYTHON if block.page.name == "langchain.md"]
    printed = subprocess.run([sys.executable, "-c", code.text], cwd=clone, env=environment(clone),
                             capture_output=True, text=True, timeout=300, check=True).stdout
    assert len(printed.splitlines()) == 3  # k=3; the lines shown are compared by test_python_block


def test_http_example(clone: Path) -> None:
    pytest.importorskip("fastapi")
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    from test_http import start_server, stop

    from fundstelle.results import MODES
    from fundstelle.server import QUESTION_PATTERN, WHERE_PATTERN

    text = page_text("http.md")
    # the rules as the schema states them
    assert f"1 to {MAX_QUESTION_CHARS:,} characters" in text and f"1–{CANDIDATES} (default 5)" in text
    assert f"`{QUESTION_PATTERN}`" in text and f"`{WHERE_PATTERN.replace('|', chr(92) + '|')}`" in text
    assert all(f"`{mode}`" in text for mode in MODES)
    page = blocks_of(ROOT / "docs" / "http.md")
    served, calls, generator = [block for block in page if block.language == "bash"]
    (client,) = [block for block in page if block.language == "python"]
    (expected,) = [block for block in page if block.language == ""]
    install, serve = served.text.strip().splitlines()
    assert install == "pip install -e '.[http]'"
    command = shlex.split(serve)
    assert command[:4] == ["python", "-m", "fundstelle", "serve"]
    process, url = start_server(command[4:], clone, clone / "server.log")
    port = url.rsplit(":", 1)[1]
    workdir = clone / "http-client"
    workdir.mkdir(exist_ok=True)
    try:
        answers = []
        for line in commands(calls):
            assert line.startswith("curl ")
            done = subprocess.run(line.replace("127.0.0.1:8000", f"127.0.0.1:{port}"), shell=True, cwd=clone,
                                  capture_output=True, text=True, timeout=120, check=True)
            answers.append(json.loads(done.stdout))
        # the generated client: its install, the generator's commands, then the Python example
        pytest.importorskip("datamodel_code_generator")
        install, *generate = commands(generator)
        assert install == "pip install datamodel-code-generator==0.97.0 httpx==0.29.0"
        env = environment(clone)
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env['PATH']}"
        for line in generate:
            subprocess.run(line.replace("127.0.0.1:8000", f"127.0.0.1:{port}"), shell=True, cwd=workdir, env=env,
                           capture_output=True, text=True, timeout=120, check=True)
        printed = subprocess.run([sys.executable, "-c", client.text.replace("127.0.0.1:8000", f"127.0.0.1:{port}")],
                                 cwd=workdir, env=environment(clone), capture_output=True, text=True, timeout=120,
                                 check=True).stdout
    finally:
        stop(process)
    assert printed == expected.text
    founders, amount, filtered = answers
    assert founders["question"] == "Wer hat Anthropic gegründet?" and len(founders["hits"]) == 3
    assert amount["answer"]["phrase"]["text"] == "vier Milliarden US-Dollar" and len(amount["hits"]) == 3
    (hit,) = filtered["hits"]
    assert hit["source"] == str(ROOT / "src" / "fundstelle" / "corpus" / "amazon-anthropic-2025-07.txt")


def test_the_start_script_is_there_and_parses() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for script in re.findall(r"^bash (scripts/\w+)", readme, re.MULTILINE):
        if not (ROOT / script).exists() and script == "scripts/test":
            continue  # comes with the test command's own change
        subprocess.run(["bash", "-n", str(ROOT / script)], check=True)
