"""Command line: ``python ingest.py …`` and ``python -m fundstelle ask|search|ingest|serve|app …``.

The commands' arguments, what they run and the advice they give for an error; what
they print is worded in :mod:`fundstelle.terminal`.
"""

from __future__ import annotations

import argparse
import functools
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from .embed import DEFAULT_MODEL
from .errors import FundstelleError, IndexFolderError, IndexMismatchError, NothingToIndexError
from .filters import parse_where
from .load import DEFAULT_CORPUS
from .manifest import STORES
from .results import EMPTY_INDEX, MODES
from .terminal import display_path, format_answer, format_hit, notices, print_json, print_report, progress_bar, shown

if TYPE_CHECKING:  # the write path is imported by the ingest command only: a question does not wait for it
    from .index import Index

__all__ = ["advice", "app_command", "app_main", "ask_main", "ingest_main", "ingest_parser", "main", "search_main",
           "serve_main"]

T = TypeVar("T")


def _quiet_broken_pipe(command: Callable[[Sequence[str] | None], int]) -> Callable[[Sequence[str] | None], int]:
    """Let a command's output be cut short (``… | head``) without a traceback."""

    @functools.wraps(command)
    def run(argv: Sequence[str] | None = None) -> int:
        try:
            status = command(argv)
            sys.stdout.flush()
        except BrokenPipeError:
            # Python flushes stdout once more at exit; point it at /dev/null so that fails quietly too.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            return 1
        return status

    return run


def ingest_parser() -> argparse.ArgumentParser:
    """Arguments of ``ingest.py`` / ``python -m fundstelle ingest``."""
    parser = argparse.ArgumentParser(
        prog="ingest.py",
        description="Build or update a Fundstelle index from files and folders "
                    "(.txt, .md, .html, .pdf, .docx, .odt). Unchanged files are not embedded again.",
    )
    parser.add_argument("paths", nargs="*", metavar="PATH",
                        help="files or folders to add (default: the bundled German article)")
    parser.add_argument("--index", default=None, metavar="DIR", help="index folder (default: index)")
    parser.add_argument("--model", default=None, metavar="ID",
                        help=f"embedding model for a new index (default {DEFAULT_MODEL}); "
                             "e.g. 'e5-small-int4+use-m3' or 'sentence-transformers:PATH'")
    parser.add_argument("--rebuild", action="store_true", help="start the index over")
    parser.add_argument("--remove", action="append", default=[], metavar="PATH",
                        help="drop a document (path, folder or id); may be repeated")
    parser.add_argument("--chunk-size", type=int, default=None, metavar="N",
                        help="largest chunk in characters (new or rebuilt index)")
    parser.add_argument("--chunk-overlap", type=int, default=None, metavar="N",
                        help="characters shared by neighbouring chunks (new or rebuilt index)")
    parser.add_argument("--query-prompt", default="", help="prefix for questions (sentence-transformers models)")
    parser.add_argument("--passage-prompt", default="", help="prefix for passages (sentence-transformers models)")
    parser.add_argument("--follow-links", action="store_true",
                        help="also follow symlinks that lead outside the given folders (skipped by default)")
    parser.add_argument("--store", choices=STORES, default=None,
                        help="where a new index keeps its vectors: faiss files (default) or milvus "
                             "(Milvus Lite in the index folder, or the store of --milvus-uri)")
    parser.add_argument("--milvus-uri", default=None, metavar="URI",
                        help="Milvus store for a new index (implies --store milvus): a server, e.g. "
                             "http://localhost:19530 (a token is read from MILVUS_TOKEN), or a Milvus Lite "
                             "file path ending in .db, e.g. ./milvus.db (the index records it absolute)")
    parser.add_argument("--ray", nargs="?", const="local", default=None, metavar="ADDRESS",
                        help="chunk and embed on a Ray cluster: 'auto' or an address joins one; "
                             "without ADDRESS a local cluster is started")
    parser.add_argument("--ray-workers", type=int, default=None, metavar="N",
                        help="embedding workers on the Ray cluster (default: one per CPU)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    return parser


@_quiet_broken_pipe
def ingest_main(argv: Sequence[str] | None = None) -> int:
    """Run the ingest command; returns the exit status (0 ok, 1 some files failed, 2 error)."""
    from .ingestion import ingest

    args = ingest_parser().parse_args(argv)
    index_given, args.index = args.index is not None, "index" if args.index is None else args.index
    paths = args.paths
    if not paths and not args.remove:
        paths = [display_path(DEFAULT_CORPUS)]
    try:
        with notices():
            report = ingest(
                paths, args.index, model=args.model, rebuild=args.rebuild, remove=args.remove,
                chunk_size=args.chunk_size, chunk_overlap=args.chunk_overlap,
                query_prompt=args.query_prompt, passage_prompt=args.passage_prompt,
                progress=None if args.quiet else progress_bar(), follow_links=args.follow_links,
                store=args.store, milvus_uri=args.milvus_uri, ray=args.ray, ray_workers=args.ray_workers,
            )
    except NothingToIndexError as error:  # one line: what was given, what was skipped and why
        print(f"error: {shown(advice(error))}", file=sys.stderr)
        return 1
    except (FundstelleError, ValueError, ImportError, OSError) as error:
        print(f"error: {shown(advice(error, index_given, writing=True))}", file=sys.stderr)
        return 2
    print_report(report, args.index)
    return 1 if report.failed else 0


def advice(error: BaseException, index_given: bool = False, writing: bool = False) -> str:
    """The error on one line, with what to do about it on the command line.

    ``index_given`` says whether the command was given ``--index`` (then the advice for
    a folder that is no index does not ask for it again); ``writing`` whether it is an
    ingest (which needs a new or empty folder, not an index to read).
    """
    message = " ".join(str(error).split())
    if not isinstance(error, IndexFolderError):
        return message
    folder = error.folder or "index"
    if writing:
        other_folder = "name a new or empty folder for the index instead" if index_given else \
            "give a new or empty folder with --index"
    else:
        other_folder = "check the folder named by --index" if index_given else "give the index folder with --index"
    rebuild = f"rebuild it with: python ingest.py [FILES ...] --index {folder} --rebuild"
    fixes = {
        "rebuild": rebuild,
        "build": f"build one with: python ingest.py [FILES ...] --index {folder}",
        "wait": "wait for it to finish and try again",
        "permissions": f"check the permissions, or {rebuild}",
        "upgrade": f"upgrade fundstelle, or {rebuild}",
        "folder": other_folder,
        "server": "start the Milvus server, or check its address and MILVUS_TOKEN",
    }
    if error.remedy == "none":
        return message
    fix = fixes[error.remedy]
    if isinstance(error, IndexMismatchError) and error.setting == "model" and error.requested:
        fix = f"rebuild it with --rebuild --model {error.requested} (or leave out --model)"
    elif isinstance(error, IndexMismatchError) and error.setting in ("chunk_size", "chunk_overlap"):
        fix = "use --rebuild to re-chunk everything"
    elif isinstance(error, IndexMismatchError) and error.setting in ("store", "milvus_uri"):
        fix = "use --rebuild to move it (every document is embedded again), or leave out --store and --milvus-uri"
    return f"{message}; {fix}"


@_quiet_broken_pipe
def search_main(argv: Sequence[str] | None = None) -> int:
    """Run the search command; returns the exit status."""
    args = _question_args("search", "Ask a question; print the passages that answer it.", argv)
    found = _on_index(args.index, lambda index: (index.search(args.question, k=args.k, mode=args.mode,
                                                              where=parse_where(args.where)), index.info.documents),
                      args.index_given)
    if found is None:
        return 2
    hits, documents = found
    if args.json:
        print_json([hit.to_dict() for hit in hits])
    elif not documents:
        print(f"No passage found: {EMPTY_INDEX}.")
    elif not hits:
        print("No passage found.")
    else:
        color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
        print("\n\n".join(format_hit(hit, color) for hit in hits))
    return 0


def _on_index(folder: str, call: Callable[[Index], T], index_given: bool = False) -> T | None:
    """Open the index in ``folder`` and return ``call(index)``; on an error, print it on one line and return None."""
    from .index import Index

    try:
        with notices():
            return call(Index.open(folder))
    except (FundstelleError, ValueError, ImportError, OSError) as error:
        print(f"error: {shown(advice(error, index_given))}", file=sys.stderr)
        return None


def _question_parser(command: str, description: str) -> argparse.ArgumentParser:
    """The arguments ``search`` and ``ask`` share."""
    parser = argparse.ArgumentParser(prog=f"python -m fundstelle {command}", description=description)
    parser.add_argument("question")
    parser.add_argument("--index", default=None, metavar="DIR", help="index folder (default: index)")
    parser.add_argument("--k", type=int, default=5, metavar="N", help="number of passages (default 5)")
    parser.add_argument("--mode", choices=MODES, default="hybrid", help="search mode (default hybrid)")
    parser.add_argument("--where", action="append", default=[], metavar="KEY=VALUE",
                        help="search only some documents: KEY=VALUE for doc_id, source (a glob, e.g. "
                             "'source=docs/*.pdf'), title or any metadata key (lang=de, author=…), or a range "
                             "with >=, >, <=, < (e.g. 'date>=2025-01-01'); repeatable: a key given twice with = "
                             "takes either value, different keys must all hold")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def _question_args(command: str, description: str, argv: Sequence[str] | None) -> argparse.Namespace:
    """The parsed arguments of ``search`` or ``ask``; ``index_given`` says whether ``--index`` was."""
    args = _question_parser(command, description).parse_args(argv)
    args.index_given, args.index = args.index is not None, "index" if args.index is None else args.index
    return args


@_quiet_broken_pipe
def ask_main(argv: Sequence[str] | None = None) -> int:
    """Run the ask command: the answer (or none) and the passages around it; returns the exit status."""
    args = _question_args("ask", "Ask a question; print its answer and the passages around it.", argv)
    reply = _on_index(args.index, lambda index: index.ask(args.question, k=args.k, mode=args.mode,
                                                          where=parse_where(args.where)), args.index_given)
    if reply is None:
        return 2
    if args.json:
        print_json(reply.to_dict())
        return 0
    color = sys.stdout.isatty() and not os.environ.get("NO_COLOR")
    print(format_answer(reply.answer, color, reply.note))
    if reply.hits:
        print("\n" + "\n\n".join(format_hit(hit, color, by_answer=True) for hit in reply.hits))
    return 0


def serve_main(argv: Sequence[str] | None = None) -> int:
    """Run the HTTP service until interrupted; returns the exit status (2 when it cannot start)."""
    from .index import Index

    try:
        from . import server
    except ImportError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    parser = argparse.ArgumentParser(prog="python -m fundstelle serve",
                                     description="Serve search and answers over HTTP (JSON; docs at /docs).")
    parser.add_argument("--index", default="index", metavar="DIR", help="index folder (default: index)")
    parser.add_argument("--host", default=server.DEFAULT_HOST, metavar="ADDRESS",
                        help=f"address to listen on (default {server.DEFAULT_HOST}: this machine only; "
                             "0.0.0.0 for every network)")
    parser.add_argument("--port", type=int, default=server.DEFAULT_PORT, help=f"port (default {server.DEFAULT_PORT})")
    parser.add_argument("--result-cache", type=int, default=Index.result_cache_size, metavar="N",
                        help=f"answers kept for repeated questions (default {Index.result_cache_size}; 0: none)")
    parser.add_argument("--workers", type=int, default=server.default_workers(), metavar="N",
                        help="processes answering at once, each with its own copy of the model "
                             f"(default {server.default_workers()}: one per core)")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be 1 or more")
    opened = _on_index(args.index, lambda index: index)  # refuses a missing or damaged index before serving
    if opened is None:
        return 2
    if args.workers > 1:
        folder, opened = opened.folder, None  # each worker opens its own: free this one's model first
        server.serve(folder, host=args.host, port=args.port, workers=args.workers, result_cache=args.result_cache)
    else:
        server.serve(opened, host=args.host, port=args.port, result_cache=args.result_cache)
    return 0


# The page and its server settings live in the repository beside src/ (an editable install).
_CHECKOUT = Path(__file__).resolve().parents[2]
APP_SCRIPT = _CHECKOUT / "app" / "streamlit_app.py"
APP_CONFIG = _CHECKOUT / ".streamlit" / "config.toml"


def app_command(extra: Sequence[str] = ()) -> list[str]:
    """The command that starts the page with the settings of ``.streamlit/config.toml`` given as flags.

    Streamlit reads that file from the working directory only; given as flags, its
    settings (this machine only, no usage statistics, no developer menu) hold wherever
    the page is started. ``extra`` Streamlit flags come last and win
    (``--server.address 0.0.0.0`` shares the page on purpose). Raises FileNotFoundError
    when the page's files are not beside this installation (not an editable install).
    """
    try:
        import tomllib
    except ImportError:  # Python 3.10
        import tomli as tomllib  # type: ignore[no-redef]

    for needed in (APP_SCRIPT, APP_CONFIG):
        if not needed.is_file():
            raise FileNotFoundError(
                f"the page's files are not beside this installation of fundstelle ({needed} is missing); the page "
                f"runs from a checkout of the repository: pip install -e '.[app]' there, then fundstelle app")
    flags = []
    for section, settings in tomllib.loads(APP_CONFIG.read_text(encoding="utf-8")).items():
        for key, value in settings.items():
            shown_value = str(value).lower() if isinstance(value, bool) else str(value)
            flags.append(f"--{section}.{key}={shown_value}")
    return [sys.executable, "-m", "streamlit", "run", str(APP_SCRIPT), *flags, *extra]


def app_main(argv: Sequence[str] | None = None) -> int:
    """Start the page (Streamlit) with the project's safe settings, from any folder; returns 2 when it cannot."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] in (["-h"], ["--help"]):
        print("usage: fundstelle app [STREAMLIT FLAGS ...]\n\n"
              "Start the page at http://127.0.0.1:8501 with the settings of .streamlit/config.toml (this machine\n"
              "only, no usage statistics, no developer menu), whatever folder it is started from. Streamlit flags\n"
              "go last and win, e.g. --server.port 8502, or --server.address 0.0.0.0 to share the page on a\n"
              "network on purpose. The index is $FUNDSTELLE_INDEX, else index/ in the repository.")
        return 0
    try:
        import streamlit  # noqa: F401
    except ImportError:
        print("error: the page needs streamlit: pip install -e '.[app]'", file=sys.stderr)
        return 2
    try:
        command = app_command(args)
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {shown(error)}", file=sys.stderr)
        return 2
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)  # Streamlit takes over this process (and its signals)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m fundstelle {ask,search,ingest,serve,app} …``."""
    argv = list(sys.argv[1:] if argv is None else argv)
    commands = {"ask": ask_main, "search": search_main, "ingest": ingest_main, "serve": serve_main, "app": app_main}
    usage = ("usage: python -m fundstelle ask QUESTION [--index DIR] [--k N] [--mode M] [--where K=V] [--json]\n"
             "       python -m fundstelle search QUESTION [--index DIR] [--k N] [--mode M] [--where K=V] [--json]\n"
             "       python -m fundstelle ingest [PATH ...] [--index DIR] [--model ID] [--rebuild] [--remove PATH]\n"
             "                                   [--store milvus] [--milvus-uri URI] [--ray [ADDRESS]]\n"
             "       python -m fundstelle serve [--index DIR] [--host ADDRESS] [--port N] [--workers N]\n"
             "       python -m fundstelle app [STREAMLIT FLAGS ...]\n"
             "\ncommands:\n"
             "  ask      answer a question from the index: the answer sentence (or none) and passages\n"
             "  search   the passages that best answer a question, without choosing an answer\n"
             "  ingest   build or update an index from files (the same as python ingest.py)\n"
             "  serve    answer search and ask over HTTP (JSON; OpenAPI docs at /docs)\n"
             "  app      start the page (Streamlit) on this machine only, from any folder\n"
             "\neach command has --help of its own; 'fundstelle' is the same as 'python -m fundstelle'")
    if argv[:1] in (["-h"], ["--help"]):
        print(usage)
        return 0
    if not argv or argv[0] not in commands:
        print(usage, file=sys.stderr)
        return 2
    return commands[argv[0]](argv[1:])
