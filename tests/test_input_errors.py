"""Every error from bad input is a FundstelleError whose message names the remedy: the public API and the CLI.

Walked with empty, blank, too-long and wrong-typed input, as README promises: code that
catches ``FundstelleError`` catches them all.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import ROOT

import fundstelle
from fundstelle import (
    BadInputError,
    BadTypeError,
    FundstelleError,
    Index,
    InputNotFoundError,
    LoadError,
    NothingToIndexError,
)

TOO_LONG_NAME = "a" * 5000  # longer than any file system allows a name


@pytest.fixture(scope="module")
def index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    folder = tmp_path_factory.mktemp("walk") / "index"
    built = Index.build([], folder, model="hashing")
    built.add_texts(["Die Zugspitze ist mit 2962 Metern der höchste Berg Deutschlands."], ids=["zugspitze"])
    return built


# (what, the call, the error class, words of the remedy the message must hold)
Call = Callable[[Index, Path], object]
CASES: list[tuple[str, Call, type[FundstelleError], str]] = [
    ("empty question", lambda i, _: i.search(""), BadInputError, "ask something"),
    ("blank question", lambda i, _: i.ask(" \t\n\x1b "), BadInputError, "ask something"),
    ("question of the wrong type", lambda i, _: i.ask(42), BadTypeError, "pass the question as text"),
    ("question in one call, empty", lambda i, _: fundstelle.ask("", folder=i.folder), BadInputError, "ask something"),
    ("questions not a list", lambda i, _: i.search_many("Frage"), BadTypeError, "for one question use search"),
    ("k of 0", lambda i, _: i.search("Zugspitze", k=0), BadInputError, "give the number of passages"),
    ("k as text", lambda i, _: i.ask("Zugspitze", k="5"), BadInputError, "give the number of passages"),
    ("unknown mode", lambda i, _: i.search("Zugspitze", mode="fuzzy"), BadInputError, "choose one of hybrid"),
    ("mode of the wrong type", lambda i, _: i.search("Zugspitze", mode=3), BadInputError, "choose one of hybrid"),
    ("filter key", lambda i, _: i.search("Zugspitze", where={"date": "2020"}), BadInputError,
     "the index's documents have"),
    ("filter of the wrong type", lambda i, _: i.search("Zugspitze", where=["x"]), BadInputError, "a mapping such as"),
    ("filter value of the wrong type", lambda i, _: i.search("Zugspitze", where={"source": 5}), BadInputError,
     "a string or a list of strings"),
    ("folder of the wrong type", lambda i, _: fundstelle.search("Zugspitze", folder=None), BadTypeError,
     "give a folder name"),
    ("empty folder name", lambda i, _: Index.open(""), BadInputError, "give a folder name"),
    ("index folder missing", lambda i, tmp: Index.open(tmp / "nichts"), fundstelle.IndexNotFoundError, "no index at"),
    ("empty path", lambda i, tmp: Index.build([""], tmp / "x"), BadInputError, "name a file or folder"),
    ("blank path", lambda i, tmp: fundstelle.ingest(["   "], tmp / "x"), BadInputError, "name a file or folder"),
    ("path of the wrong type", lambda i, tmp: Index.build([5], tmp / "x"), BadTypeError, "give a file or folder"),
    ("paths of the wrong type", lambda i, _: i.remove(5), BadTypeError, "give a file or folder"),
    ("missing path", lambda i, tmp: Index.build(["nicht-da.txt"], tmp / "x"), InputNotFoundError, "check the path"),
    ("too-long path", lambda i, tmp: Index.build([TOO_LONG_NAME], tmp / "x"), InputNotFoundError, "check the path"),
    ("too-long path to ingest", lambda i, tmp: fundstelle.ingest([TOO_LONG_NAME], tmp / "x"), NothingToIndexError,
     "check the path"),
    ("empty text", lambda i, _: i.add_texts([""]), LoadError, "has no text"),
    ("text of the wrong type", lambda i, _: i.add_texts([b"bytes"]), BadTypeError, "give the text itself"),
    ("empty id", lambda i, _: i.add_texts(["Text"], ids=[""]), BadInputError, "give each text a name"),
    ("ids that do not fit", lambda i, _: i.add_texts(["a", "b"], ids=["x"]), BadInputError, "give one per text"),
    ("the same id twice", lambda i, _: i.add_texts(["a", "b"], ids=["x", "x"]), BadInputError,
     "an id of its own"),
    ("empty model", lambda i, tmp: Index.build([], tmp / "x", model=" "), BadInputError, "example:"),
    ("too-long model name", lambda i, tmp: Index.build([], tmp / "x", model="m" * 10_000), BadInputError,
     "use 'e5-small-int4'"),
    ("chunk size too small", lambda i, tmp: fundstelle.ingest([], tmp / "x", chunk_size=10), BadInputError,
     "use at least 50"),
    ("unknown store", lambda i, tmp: fundstelle.ingest([], tmp / "x", store="chroma"), BadInputError,
     "choose one of"),
]


@pytest.mark.parametrize(("what", "call", "kind", "remedy"), CASES, ids=[case[0] for case in CASES])
def test_bad_input_to_the_library_is_a_fundstelle_error_naming_the_remedy(
    index: Index, tmp_path: Path, what: str, call: Call, kind: type[FundstelleError], remedy: str,
) -> None:
    with pytest.raises(FundstelleError) as raised:
        call(index, tmp_path)
    assert isinstance(raised.value, kind), (what, type(raised.value))
    assert remedy in str(raised.value), (what, str(raised.value))
    assert not (tmp_path / "x").exists(), "a refused call writes nothing"


def test_bad_values_stay_value_errors_and_bad_types_type_errors(index: Index) -> None:
    with pytest.raises(ValueError):
        index.search("")
    with pytest.raises(TypeError):
        index.search(42)  # type: ignore[arg-type]
    with pytest.raises(FileNotFoundError):
        Index.build(["nicht-da.txt"], "nie-gebaut")


def test_a_too_long_question_is_cut_with_a_notice_not_refused(index: Index) -> None:
    with pytest.warns(UserWarning, match="cut to its first 2000"):
        assert index.search("Wie hoch ist die Zugspitze? " * 4000, k=1)


def run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "fundstelle", *args], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=300)


COMMANDS: list[tuple[str, list[str], int, str]] = [
    ("empty question", ["ask", "", "--index", "{index}"], 2, "error: the question is empty; ask something"),
    ("blank question", ["search", " \t ", "--index", "{index}"], 2, "error: the question is empty; ask something"),
    ("k of 0", ["ask", "Zugspitze", "--index", "{index}", "--k", "0"], 2, "give the number of passages"),
    ("k as text", ["ask", "Zugspitze", "--index", "{index}", "--k", "fünf"], 2, "invalid int value"),
    ("unknown mode", ["search", "Zugspitze", "--index", "{index}", "--mode", "fuzzy"], 2, "choose from"),
    ("filter key", ["search", "Zugspitze", "--index", "{index}", "--where", "date=2020"], 2,
     "the index's documents have"),
    ("filter without =", ["search", "Zugspitze", "--index", "{index}", "--where", "pdf"], 2,
     "a filter is written key=value"),
    ("empty index name", ["ask", "Zugspitze", "--index", ""], 2, "give a folder name"),
    ("empty path", ["ingest", "", "--index", "{tmp}/x"], 2, "name a file or folder"),
    ("too-long path", ["ingest", TOO_LONG_NAME, "--index", "{tmp}/x"], 1, "check the path"),
    ("unknown model", ["ingest", "--index", "{tmp}/x", "--model", "bert"], 2, "use 'e5-small-int4'"),
    ("chunk size too small", ["ingest", "--index", "{tmp}/x", "--chunk-size", "10"], 2, "use at least 50"),
]


@pytest.mark.parametrize(("what", "args", "status", "remedy"), COMMANDS, ids=[case[0] for case in COMMANDS])
def test_bad_input_on_the_command_line_is_one_line_naming_the_remedy(
    index: Index, tmp_path: Path, what: str, args: list[str], status: int, remedy: str,
) -> None:
    result = run(*[arg.format(index=index.folder, tmp=tmp_path) for arg in args])
    assert result.returncode == status, (what, result.stderr)
    assert remedy in result.stderr, (what, result.stderr)
    assert "Traceback" not in result.stderr and result.stdout == ""
    assert not (tmp_path / "x").exists(), "a refused command writes nothing"


def test_an_ordinary_folder_given_with_index_is_not_answered_with_give_the_index_folder(tmp_path: Path) -> None:
    (tmp_path / "notizen").mkdir()
    (tmp_path / "notizen" / "a.txt").write_text("Eine Notiz.", encoding="utf-8")
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "b.txt").write_text("Ein Dokument.", encoding="utf-8")
    given = run("ingest", "docs", "--index", "notizen", "--model", "hashing", cwd=tmp_path)
    assert given.returncode == 2
    assert "give the index folder with --index" not in given.stderr
    assert given.stderr.strip().endswith("name a new or empty folder for the index instead")
    asked = run("ask", "Frage", "--index", "notizen/a.txt", cwd=tmp_path)
    assert "give the index folder with --index" not in asked.stderr
    assert asked.stderr.strip().endswith("check the folder named by --index")
    # Without --index the default folder is meant, and the advice names the option.
    (tmp_path / "index").mkdir()
    (tmp_path / "index" / "c.txt").write_text("Kein Index.", encoding="utf-8")
    default = run("ingest", "docs", "--model", "hashing", cwd=tmp_path)
    assert default.stderr.strip().endswith("give a new or empty folder with --index")
