"""The package's shape: modules share only public names, and no modules import each other in a circle."""

from __future__ import annotations

import ast
from pathlib import Path

from conftest import ROOT

PACKAGE = ROOT / "src" / "fundstelle"


def module_name(path: Path) -> str:
    """``fundstelle.integrations.langchain`` → ``integrations.langchain``."""
    parts = path.relative_to(PACKAGE).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> list[tuple[int, str, list[str]]]:
    """Each package-internal import of a module (anywhere in it): line, module imported from, names taken.

    ``from . import query`` gives the package (``""``) and the name ``query``, a module.
    """
    package = list(path.relative_to(PACKAGE).parts[:-1])
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - (node.level - 1)]
            elif node.module and (node.module == "fundstelle" or node.module.startswith("fundstelle.")):
                base = []
                node.module = node.module.removeprefix("fundstelle").strip(".") or None
            else:
                continue
            found.append((node.lineno, ".".join([*base, *([node.module] if node.module else [])]),
                          [alias.name for alias in node.names]))
        elif isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name.removeprefix("fundstelle."), [])
                         for alias in node.names if alias.name.startswith("fundstelle."))
    return found


def modules() -> dict[str, Path]:
    return {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def test_modules_import_no_private_name_of_another() -> None:
    known = modules()
    private = [
        f"{path.relative_to(ROOT)}:{line}: from .{target} import {name}"
        for module, path in known.items()
        for line, target, names in imports(path)
        for name in names
        if target != module and name.startswith("_") and not name.startswith("__")
        and f"{target}.{name}".strip(".") not in known  # a private module is no private name
    ]
    assert not private, "private names imported across modules:\n" + "\n".join(private)


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan), each sorted by first appearance."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                groups.append(sorted(group))
        return None

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def import_graph() -> dict[str, set[str]]:
    """Which package modules each module imports (at the top, inside functions or for type checking)."""
    known = modules()
    graph: dict[str, set[str]] = {}
    for module, path in known.items():
        targets = set()
        for _, target, names in imports(path):
            for name in names or [""]:
                # "from . import query" names a module; "from .x import y" a name of x (x runs first).
                candidate = f"{target}.{name}".strip(".")
                targets.add(candidate if candidate in known else target)
        graph[module] = {t for t in targets if t in known and t != module}
    return graph


def test_the_circle_finder_finds_a_circle() -> None:
    assert circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert circles({"a": {"b"}, "b": set()}) == []


def test_no_modules_import_each_other() -> None:
    found = circles(import_graph())
    assert not found, "modules that import each other, directly or through others: " + "; ".join(
        " ↔ ".join(group) for group in found)


# What uses the package from outside: the page, the benchmarks, the ingest script and the tests.
USERS = [ROOT / "ingest.py", *sorted((ROOT / "app").rglob("*.py")), *sorted((ROOT / "benchmarks").glob("*.py")),
         *sorted((ROOT / "tests").glob("*.py"))]


def private_uses(path: Path, known: set[str]) -> list[str]:
    """Places in ``path`` that take a private name of a package module: imported, or read as ``module._name``."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    aliases: dict[str, str] = {}  # a local name -> the package module it stands for ("" the package)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "fundstelle":
            base = node.module.removeprefix("fundstelle").strip(".")
            for alias in node.names:
                module = f"{base}.{alias.name}".strip(".")
                if module in known:
                    aliases[alias.asname or alias.name] = module
                elif alias.name.startswith("_") and not alias.name.startswith("__"):
                    found.append(f"{shown}:{node.lineno}: from {node.module} import {alias.name}")
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "fundstelle":
                    aliases[alias.asname or "fundstelle"] = (alias.name.removeprefix("fundstelle").strip(".")
                                                             if alias.asname else "")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr.startswith("_") and not node.attr.startswith("__"):
            chain, value = [], node.value
            while isinstance(value, ast.Attribute):
                chain.insert(0, value.attr)
                value = value.value
            if isinstance(value, ast.Name) and value.id in aliases:
                module = ".".join([aliases[value.id], *chain]).strip(".")
                if module in known or module == "":
                    found.append(f"{shown}:{node.lineno}: {ast.unparse(node)}")
    return found


def test_the_private_use_finder_finds_one(tmp_path: Path) -> None:
    user = tmp_path / "user.py"
    user.write_text("from fundstelle import ingestion\nfrom fundstelle.query import _x\ningestion._build\n",
                    encoding="utf-8")
    assert len(private_uses(user, set(modules()))) == 2


# Where a test must reach a private name, and why.
MUST_REACH = {"fundstelle.distributed._Embed": "test_ray injects a failing batch into Ray's workers through it"}


def test_code_outside_the_package_uses_only_its_public_names() -> None:
    known = set(modules())
    found = [place for path in USERS for place in private_uses(path, known)
             if place.split(": ", 1)[1] not in MUST_REACH]
    assert not found, "private names of the package used from outside it:\n" + "\n".join(found)


# A module a newcomer reads in one sitting; one that must be longer says why in its docstring.
MAX_MODULE_LINES = 450
LONGER_BECAUSE = "must be longer"


def test_every_module_reads_in_one_sitting() -> None:
    too_long = []
    for path in sorted(PACKAGE.rglob("*.py")):
        text = path.read_text(encoding="utf-8")
        docstring = ast.get_docstring(ast.parse(text)) or ""
        if len(text.splitlines()) > MAX_MODULE_LINES and LONGER_BECAUSE not in docstring:
            too_long.append(f"{module_name(path)} ({len(text.splitlines())} lines)")
    assert not too_long, f"over {MAX_MODULE_LINES} lines without the reason in the docstring: {', '.join(too_long)}"
