"""The HTTP service, started as a real server process (``python -m fundstelle serve``) and called over HTTP."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("fastapi")
pytest.importorskip("uvicorn")

from fundstelle import Index, ingest  # noqa: E402
from fundstelle.query import MAX_QUESTION_CHARS  # noqa: E402
from fundstelle.ranking import CANDIDATES, MODES  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
MOON = "Wann landete Apollo 11 auf dem Mond?"
START_SECONDS = 60


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(args: list[str], cwd: Path, log: Path) -> tuple[subprocess.Popen[bytes], str]:
    """Start ``python -m fundstelle serve ARGS --port <free>``; return it and its URL once /healthz answers."""
    port = free_port()
    with open(log, "wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "fundstelle", "serve", *args, "--port", str(port)], cwd=cwd,
            env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=out, stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + START_SECONDS
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return process, url
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the server did not start:\n{log.read_text(errors='replace')}")
        time.sleep(0.2)


def stop(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()


def call(url: str, path: str, body: Any = None, raw: bytes | None = None) -> tuple[int, Any]:
    """``GET`` (no body) or ``POST`` (a JSON body, or ``raw`` bytes as JSON); the status and the decoded answer."""
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        text = error.read().decode()
        assert "Traceback" not in text
        return error.code, json.loads(text)


def get(url: str, path: str, **params: Any) -> tuple[int, Any]:
    return call(url, f"{path}?{urllib.parse.urlencode(params, doseq=True)}" if params else path)


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The small corpus indexed (hashing model) and served; the URL and the index folder."""
    from conftest import write_corpus

    root = tmp_path_factory.mktemp("served")
    folder = write_corpus(root / "docs")
    ingest([folder], root / "index", model="hashing")
    process, url = start_server(["--index", str(root / "index")], ROOT, root / "server.log")
    try:
        yield url, root / "index"
    finally:
        stop(process)


def test_search_over_http_gives_what_search_gives(served: tuple[str, Path]) -> None:
    url, folder = served
    expected = [hit.to_dict() for hit in Index.open(folder).search(MOON, k=3)]
    status, found = get(url, "/search", q=MOON, k=3)
    assert status == 200 and found == {"question": MOON, "hits": expected}
    for body in ({"question": MOON, "k": 3}, {"q": MOON, "k": 3}):
        assert call(url, "/search", body) == (200, found)
    status, lexical = get(url, "/search", q=MOON, k=2, mode="lexical")
    assert lexical["hits"] == [hit.to_dict() for hit in Index.open(folder).search(MOON, k=2, mode="lexical")]


def test_ask_over_http(served: tuple[str, Path]) -> None:
    url, folder = served
    status, reply = call(url, "/ask", {"question": MOON, "k": 2})
    assert status == 200 and reply == Index.open(folder).ask(MOON, k=2).to_dict()
    assert set(reply) == {"question", "answer", "hits"} and len(reply["hits"]) == 2


def test_filters_over_http(served: tuple[str, Path]) -> None:
    url, _ = served
    status, found = get(url, "/search", q=MOON, where=["source=*.pdf"])
    assert status == 200 and found["hits"] and all(h["source"].endswith(".pdf") for h in found["hits"])
    status, found = call(url, "/search", {"question": MOON, "where": {"source": ["*.md", "*.pdf"]}})
    assert status == 200 and {Path(h["source"]).suffix for h in found["hits"]} == {".md", ".pdf"}
    status, reply = call(url, "/ask", {"question": MOON, "where": {"doc_id": []}})
    assert status == 200 and reply["answer"] is None and reply["hits"] == []


def test_documents_and_health(served: tuple[str, Path]) -> None:
    url, folder = served
    status, listing = get(url, "/documents")
    index = Index.open(folder)
    assert status == 200 and listing["index"]["documents"] == 4 and listing["index"]["model"] == "hashing"
    assert [d["source"] for d in listing["documents"]] == [d.source for d in index.documents()]
    assert get(url, "/healthz") == (200, {"status": "ok", "version": index.info.version, "documents": 4,
                                          "chunks": index.info.chunks})


def test_openapi_docs(served: tuple[str, Path]) -> None:
    url, _ = served
    with urllib.request.urlopen(f"{url}/docs", timeout=10) as response:
        assert response.status == 200 and b"swagger" in response.read().lower()
    status, schema = get(url, "/openapi.json")
    assert {"/search", "/ask", "/documents", "/healthz"} <= set(schema["paths"])
    assert set(schema["paths"]["/search"]) == {"get", "post"}


def errors(answer: dict[str, Any]) -> dict[str, str]:
    """FastAPI's 422 detail as ``{"where.it.is": "message"}``."""
    return {".".join(str(part) for part in error["loc"]): error["msg"] for error in answer["detail"]}


@pytest.mark.parametrize(("path", "body", "params", "expected"), [
    ("/search", None, {"q": "   "},
     {"query.q": "the question is empty; ask something, e.g. 'Wie viel investiert Amazon?'"}),
    ("/search", None, {"q": "x" * (MAX_QUESTION_CHARS + 1)},
     {"query.q": f"String should have at most {MAX_QUESTION_CHARS} characters"}),
    ("/search", None, {"q": MOON, "k": 0}, {"query.k": "Input should be greater than or equal to 1"}),
    ("/search", None, {"q": MOON, "k": CANDIDATES + 1},
     {"query.k": f"Input should be less than or equal to {CANDIDATES}"}),
    ("/search", None, {"q": MOON, "k": "fünf"},
     {"query.k": "Input should be a valid integer, unable to parse string as an integer"}),
    ("/search", None, {"q": MOON, "mode": "semantic"},
     {"query.mode": "Input should be 'hybrid', 'dense' or 'lexical'"}),
    ("/search", None, {"q": MOON, "where": "date=2024"},
     {"query.where": "cannot filter by 'date': no document of the index has it; the index's documents have doc_id, "
                     "lang, modified, pages, size, source, title, type"}),
    ("/search", None, {"q": MOON, "where": "rhein"},
     {"query.where": "a filter is written key=value or key>=value (e.g. source=docs/*.pdf, date>=2025-01-01), "
                     "not 'rhein'"}),
    ("/search", None, {}, {"query.q": "Field required"}),
    ("/ask", {"question": "\x00\x07"}, None,
     {"body.question": "Value error, the question is empty; ask something, e.g. 'Wie viel investiert Amazon?'"}),
    ("/ask", {"question": MOON, "mdoe": "dense"}, None, {"body.mdoe": "Extra inputs are not permitted"}),
    ("/ask", {"question": MOON, "k": CANDIDATES + 1}, None,
     {"body.k": f"Input should be less than or equal to {CANDIDATES}"}),
    ("/ask", {"question": MOON, "where": {"datum": "2024"}}, None,
     {"body.where": "cannot filter by 'datum': no document of the index has it; the index's documents have doc_id, "
                    "lang, modified, pages, size, source, title, type"}),
    ("/search", {"question": "x" * (MAX_QUESTION_CHARS + 1)}, None,
     {"body.question": f"String should have at most {MAX_QUESTION_CHARS} characters"}),
    ("/search", {}, None, {"body.question": "Field required"}),
])
def test_bad_input_is_a_422_that_says_what_is_wrong(
    served: tuple[str, Path], path: str, body: Any, params: dict[str, Any] | None, expected: dict[str, str],
) -> None:
    url, _ = served
    status, answer = call(url, path, body) if params is None else get(url, path, **params)
    assert status == 422
    assert errors(answer) == expected


def test_a_body_that_is_not_json_is_a_422(served: tuple[str, Path]) -> None:
    url, _ = served
    status, answer = call(url, "/ask", raw=b"{question: Mond")
    assert status == 422 and answer["detail"][0]["msg"] == "JSON decode error"


def test_the_server_picks_up_a_new_version_and_says_when_the_index_breaks(served: tuple[str, Path]) -> None:
    url, folder = served
    before = get(url, "/healthz")[1]["version"]
    extra = folder.parent / "neu.txt"
    extra.write_text("Der Bodensee ist mit 536 Quadratkilometern der größte See Deutschlands.", encoding="utf-8")
    Index.open(folder).add([extra])
    status, found = get(url, "/search", q="Wie groß ist der Bodensee?", k=1)
    assert status == 200 and found["hits"][0]["source"].endswith("neu.txt")
    assert get(url, "/healthz")[1]["version"] != before
    current = folder / "CURRENT"
    live = current.read_text()
    current.write_text("v999999\n")  # a version that is not there: the index cannot be read
    try:
        status, answer = get(url, "/search", q=MOON)
        assert status == 503 and "v999999" in answer["detail"]
        assert get(url, "/healthz")[0] == 503
    finally:
        current.write_text(live)
    assert get(url, "/healthz")[0] == 200


def test_modes_are_the_librarys() -> None:
    from typing import get_args

    from fundstelle.server import Mode

    assert get_args(Mode) == MODES


def test_serve_listens_on_this_machine_only_and_refuses_a_missing_index(
    tmp_path: Path, served: tuple[str, Path],
) -> None:
    psutil = pytest.importorskip("psutil")
    process, _ = start_server(["--index", str(served[1])], ROOT, tmp_path / "server.log")
    try:
        listening = {c.laddr.ip for c in psutil.Process(process.pid).net_connections("inet")
                     if c.status == psutil.CONN_LISTEN}
    finally:
        stop(process)
    assert listening == {"127.0.0.1"}
    missing = subprocess.run([sys.executable, "-m", "fundstelle", "serve", "--index", str(tmp_path / "nowhere")],
                             cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2
    assert missing.stderr.startswith(f"error: no index at {tmp_path / 'nowhere'}/")


def test_without_fastapi_serve_says_what_to_install(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: pytest.CaptureFixture[str]) -> None:
    import fundstelle
    from fundstelle.cli import main

    monkeypatch.setitem(sys.modules, "fastapi", None)
    monkeypatch.delitem(sys.modules, "fundstelle.server", raising=False)
    monkeypatch.delattr(fundstelle, "server", raising=False)
    assert main(["serve"]) == 2
    assert "pip install 'fundstelle[http]'" in capsys.readouterr().err


def test_an_unexpected_error_is_a_500_without_a_traceback(served: tuple[str, Path],
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from fundstelle.server import create_app

    index = Index.open(served[1])

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("disk on fire at /secret/path")

    monkeypatch.setattr(index, "search", broken)
    client = TestClient(create_app(index), raise_server_exceptions=False)
    response = client.get("/search", params={"q": MOON})
    assert response.status_code == 500
    assert response.json() == {"detail": "internal error; the server's log has the details"}
