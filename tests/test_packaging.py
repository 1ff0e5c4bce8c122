"""The package as users meet it: installed, typed, importable from anywhere."""

from __future__ import annotations

import builtins
import subprocess
import sys
from pathlib import Path

import fundstelle


def test_a_script_beside_a_clone_named_fundstelle_imports_the_package(tmp_path: Path) -> None:
    # A clone folder named like the package (without an __init__.py at its top) must not
    # shadow the installed package as an empty namespace package.
    (tmp_path / "fundstelle").mkdir()
    (tmp_path / "fundstelle" / "README.md").write_text("a clone\n")
    script = tmp_path / "use.py"
    script.write_text("from fundstelle import Index\nimport fundstelle\nprint(fundstelle.__file__)\n")
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().endswith("__init__.py")


def test_the_package_is_typed_and_star_import_shadows_no_builtin() -> None:
    assert (Path(fundstelle.__file__).parent / "py.typed").exists()
    names: dict[str, object] = {}
    exec("from fundstelle import *", names)
    assert names.keys() - {"__builtins__"} and not (names.keys() - {"__builtins__"}) & set(dir(builtins))
