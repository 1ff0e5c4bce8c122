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


def call(url: str, path: str, body: Any = None, raw: bytes | None = None, method: str | None = None,
         content_type: str = "application/json") -> tuple[int, Any]:
    """``GET`` (no body) or ``POST`` (a JSON body, or ``raw`` bytes); the status and the decoded answer."""
    data = raw if raw is not None else None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url + path, data=data, headers={"Content-Type": content_type}, method=method)
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
    # two worker processes, each with its own Index: every test here goes to either
    process, url = start_server(["--index", str(root / "index"), "--workers", "2"], ROOT, root / "server.log")
    try:
        yield url, root / "index"
    finally:
        stop(process)


def test_search_over_http_gives_what_search_gives(served: tuple[str, Path]) -> None:
    url, folder = served
    expected = [hit.to_dict() for hit in Index.open(folder).search(MOON, k=3)]
    status, found = get(url, "/search", q=MOON, k=3)
    assert status == 200 and found == {"question": MOON, "hits": expected}
    assert call(url, "/search", {"question": MOON, "k": 3}) == (200, found)
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


@pytest.mark.parametrize(("raw", "content_type", "message"), [
    (b"{question: Mond", "application/json",
     "the body is not JSON (Expecting property name enclosed in double quotes)"),
    ('{"question": "Mond"}'.encode("latin-1") + b"\xff", "application/json", "the body is not JSON (not UTF-8)"),
    (b'{"question": "Mond"}', "application/x-www-form-urlencoded",
     "the body is not JSON: send it with Content-Type: application/json"),
])
def test_a_body_that_is_not_json_is_a_400(served: tuple[str, Path], raw: bytes, content_type: str,
                                          message: str) -> None:
    url, _ = served
    status, answer = call(url, "/ask", raw=raw, content_type=content_type)
    assert (status, answer) == (400, {"detail": [{"loc": ["body"], "msg": message, "type": "json_invalid"}]})


def test_a_question_of_invisible_characters_finds_nothing(served: tuple[str, Path]) -> None:
    url, _ = served
    invisible = "\u200b\ue000\U000e0001"  # a zero-width space, a private-use and a tag character
    assert call(url, "/ask", {"question": invisible}) == (200, {"question": "", "answer": None, "hits": []})
    assert get(url, "/search", q=invisible) == (200, {"question": "", "hits": []})


def test_the_question_pattern_refuses_only_what_the_library_finds_empty() -> None:
    """Every character the schema's pattern calls blank is blank to the library too (else a 422 would be wrong)."""
    import re

    from fundstelle.query import clean_question
    from fundstelle.server import QUESTION_PATTERN

    blank = [chr(c) for c in range(sys.maxunicode + 1) if re.search(QUESTION_PATTERN, chr(c)) is None]
    assert {" ", "\t", "\n", "\x00", "\x85", "\xa0", "\u3000"} <= set(blank)
    for character in blank:
        with pytest.raises(ValueError, match="the question is empty"):
            clean_question(f"{character} {character}")
    assert clean_question("\xa0Mond\u3000") == "Mond"


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
        assert status == 503 and len(answer["detail"]) == 1 and "v999999" in answer["detail"][0]["msg"]
        assert answer["detail"][0]["type"] == "index_unavailable"
        assert get(url, "/healthz")[0] == 503
    finally:
        current.write_text(live)
    assert get(url, "/healthz")[0] == 200


def test_modes_are_the_librarys() -> None:
    from typing import get_args

    from fundstelle.server import Question

    assert get_args(Question.model_fields["mode"].annotation) == MODES


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
    assert response.json() == {"detail": [{"loc": [], "msg": "internal error; the server's log has the details",
                                           "type": "internal"}]}


def test_serve_runs_the_workers_asked_for(served: tuple[str, Path]) -> None:
    psutil = pytest.importorskip("psutil")
    url, folder = served
    (server,) = [p for p in psutil.process_iter(["cmdline"]) if str(folder) in (p.info["cmdline"] or [])]
    # uvicorn's workers, each a process of their own (multiprocessing may add a helper that is no worker)
    workers = [c for c in server.children() if "spawn_main" in " ".join(c.cmdline())]
    assert len(workers) == 2
    # each opened the index: a question over new connections is answered alike by whichever worker takes it
    answers = {json.dumps(get(url, "/search", q=MOON, k=2)) for _ in range(12)}
    assert len(answers) == 1


def test_the_schema_states_the_rules(served: tuple[str, Path]) -> None:
    from fundstelle.server import QUESTION_PATTERN

    url, _ = served
    schema = get(url, "/openapi.json")[1]
    parameters = {p["name"]: p["schema"] for p in schema["paths"]["/search"]["get"]["parameters"]}
    body = schema["components"]["schemas"]["Question"]
    for question in (parameters["q"], body["properties"]["question"]):
        assert (question["minLength"], question["maxLength"], question["pattern"]) == (
            1, MAX_QUESTION_CHARS, QUESTION_PATTERN)
    for k in (parameters["k"], body["properties"]["k"]):
        assert (k["type"], k["minimum"], k["maximum"]) == ("integer", 1, CANDIDATES)
    for mode in (parameters["mode"], body["properties"]["mode"]):
        assert mode["enum"] == list(MODES)
    assert parameters["where"]["anyOf"][0]["items"]["pattern"].startswith("^(?:doc_id|")  # the keys the index holds
    assert "source" in body["properties"]["where"]["anyOf"][0]["propertyNames"]["enum"]  # keys the documents hold
    assert body["additionalProperties"] is False and body["examples"]
    error = {"$ref": "#/components/schemas/ErrorReply"}
    reading, with_body = {"200", "503", "500"}, {"200", "400", "422", "503", "500"}
    expected = {("/search", "get"): reading | {"422"}, ("/search", "post"): with_body, ("/ask", "post"): with_body,
                ("/documents", "get"): reading, ("/healthz", "get"): reading}
    assert {(path, method) for path, item in schema["paths"].items() for method in item} == set(expected)
    for (path, method), statuses in expected.items():
        responses = schema["paths"][path][method]["responses"]
        assert set(responses) == statuses
        for status in statuses - {"200"}:
            assert responses[status]["content"]["application/json"]["schema"] == error


def test_the_schemas_examples_are_german_and_valid(served: tuple[str, Path]) -> None:
    from fundstelle.server import Found, Replied

    url, _ = served
    paths = get(url, "/openapi.json")[1]["paths"]
    for path, method, model in (("/search", "get", Found), ("/search", "post", Found), ("/ask", "post", Replied)):
        (example,) = paths[path][method]["responses"]["200"]["content"]["application/json"]["examples"].values()
        answer = model.model_validate(example["value"])
        assert answer.question == "Wie viel hat Amazon in Anthropic investiert?"
        phrase = answer.hits[0].answer.phrase
        assert phrase is not None and phrase.text == "vier Milliarden US-Dollar"


def test_methods_and_allow_agree_on_every_path(served: tuple[str, Path]) -> None:
    url, _ = served
    paths = get(url, "/openapi.json")[1]["paths"]
    for path, item in paths.items():
        documented = {method.upper() for method in item}
        for method in ("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE"):
            if method in documented:
                continue
            request = urllib.request.Request(url + path, method=method)
            with pytest.raises(urllib.error.HTTPError) as refused:
                urllib.request.urlopen(request, timeout=10)
            assert refused.value.code == 405, (method, path)
            assert set(refused.value.headers["Allow"].split(", ")) == documented, (method, path)
            assert json.loads(refused.value.read())["detail"][0]["msg"] == "Method Not Allowed"


@pytest.fixture(scope="module")
def article_and_empty(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """The bundled article indexed (hashing model), and an empty index, each served; their URLs."""
    root = tmp_path_factory.mktemp("contract")
    ingest([ROOT / "src" / "fundstelle" / "corpus" / "amazon-anthropic-2025-07.txt"], root / "article", model="hashing")
    ingest([], root / "empty", model="hashing")
    started = [start_server(["--index", str(root / name), "--workers", "1"], ROOT, root / f"{name}.log")
               for name in ("article", "empty")]
    try:
        yield {name: url for name, (_, url) in zip(("article", "empty"), started)}
    finally:
        for process, _ in started:
            stop(process)


CONTRACT_SEED = 29


@pytest.mark.parametrize("index", ["article", "empty"])
@pytest.mark.parametrize("seed", [CONTRACT_SEED, pytest.param(None, marks=pytest.mark.slow)],
                         ids=["fixed seed", "random seed"])
def test_a_contract_tester_finds_no_fault(article_and_empty: dict[str, str], index: str, seed: int | None,
                                          tmp_path: Path) -> None:
    """schemathesis, every check, on the real service: the schema and the answers agree, and no server error."""
    pytest.importorskip("schemathesis")
    seed = seed if seed is not None else int.from_bytes(os.urandom(4), "big")
    command = [sys.executable, "-m", "schemathesis.cli", "run", f"{article_and_empty[index]}/openapi.json",
               "--checks", "all", "--seed", str(seed), "--max-examples", "40", "--workers", "1"]
    done = subprocess.run(command, cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, f"seed {seed}:\n{done.stdout[-6000:]}\n{done.stderr[-2000:]}"
    assert "No issues found" in done.stdout
