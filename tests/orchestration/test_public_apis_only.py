"""Public APIs only: no code or configuration of the project reaches into the internals of
Dagster, dagster-dbt, dbt, Great Expectations or DuckDB, or of the interpreter's exit.

Python files are read with `ast` (so a name in a string or a comment is not a use); what counts:
- importing a `_`-prefixed module or name of those libraries (`from dagster._core.x import Y`,
  `import dbt._x`, `from duckdb import _y`);
- a `_`-prefixed attribute of anything imported from them (`dg._check`, `DuckDBConnectionManager._ENV`)
  or of `atexit` / `threading` (`atexit._run_exitfuncs`, `threading._register_atexit`);
- a `_`-prefixed attribute of any other object when the project defines no such private name
  itself (`storage._engines`, `resource._cli_version`: someone else's internals);
- a class built on one of their classes that defines `_`-prefixed members (an override of
  internals, like a subclass of DbtCliResource with its own `_cli_version`);
- `os._exit` in production code (a custom interpreter exit);
and in configuration (dagster.yaml, pyproject.toml, the Makefile, dbt's yml, CI) any dotted
`_`-prefixed path of those libraries (`module: dagster._core.storage...`)."""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
LIBRARIES = ("dagster", "dagster_dbt", "dagster_shared", "dagster_webserver", "dagster_graphql", "dagster_postgres",
             "dbt", "great_expectations", "duckdb")
STDLIB_INTERNALS = ("atexit", "threading")
CODE_DIRS = ("orchestration", "bench", "tests")
PRODUCTION_DIRS = ("orchestration", "bench")
CONFIG_GLOBS = ("orchestration/**/*.yaml", "orchestration/**/*.yml", "pyproject.toml", "Makefile", ".ci/*",
                "dbt_project/**/*.yml", "config/*")
CONFIG_PRIVATE_PATH = re.compile(r"\b(?:%s)(?:\.\w+)*\._[A-Za-z]\w*" % "|".join(LIBRARIES))

# Files allowed a private use, each with the reason and until when. None: keep it that way.
KNOWN_EXCEPTIONS: set[str] = set()


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _is_library(module: str | None) -> bool:
    return bool(module) and module.split(".")[0] in LIBRARIES


def _root_name(node: ast.expr) -> str | None:
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else None


def project_private_names(files: list[Path]) -> set[str]:
    """Every `_`-prefixed name the project defines: functions, classes, module and class
    variables, instance attributes (`self._x = ...`), dataclass fields, keyword parameters."""
    names = set()
    for path in files:
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(node.name)
            elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
                names.add(node.id)
            elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Store):
                names.add(node.attr)
            elif isinstance(node, ast.arg):
                names.add(node.arg)
    return {n for n in names if _is_private(n)}


def violations_in_source(source: str, filename: str, own_private: set[str], production: bool) -> list[str]:
    tree = ast.parse(source, filename)
    found = []
    library_names = set(STDLIB_INTERNALS)  # names bound to a library module or to something imported from one
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if _is_library(alias.name):
                    library_names.add((alias.asname or alias.name).split(".")[0])
                    if any(_is_private(part) for part in alias.name.split(".")):
                        found.append(f"{filename}:{node.lineno}: import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and _is_library(node.module):
            if any(_is_private(part) for part in node.module.split(".")):
                found.append(f"{filename}:{node.lineno}: from {node.module} import ...")
            for alias in node.names:
                library_names.add(alias.asname or alias.name)
                if _is_private(alias.name):
                    found.append(f"{filename}:{node.lineno}: from {node.module} import {alias.name}")
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _is_private(node.attr):
            root = _root_name(node.value)
            if root in library_names:
                found.append(f"{filename}:{node.lineno}: {root}...{node.attr}")
            elif root == "os" and node.attr == "_exit":  # documented; a test may crash a process with it
                if production:
                    found.append(f"{filename}:{node.lineno}: os._exit")
            elif root not in ("self", "cls") and node.attr not in own_private:
                found.append(f"{filename}:{node.lineno}: .{node.attr} (a private attribute the project does not define)")
        elif isinstance(node, ast.ClassDef) and any(_root_name(b) in library_names for b in node.bases):
            for member in node.body:
                name = getattr(member, "name", None) or next(
                    (t.id for t in getattr(member, "targets", []) if isinstance(t, ast.Name)), None)
                if name and _is_private(name):
                    found.append(f"{filename}:{member.lineno}: {node.name}.{name} overrides a library internal")
    return found


def scan(root: Path) -> list[str]:
    """Every use of a private API under `root` (a checkout of this project)."""
    files = sorted(p for d in CODE_DIRS for p in (root / d).rglob("*.py") if ".venv" not in p.parts
                   and "data" not in p.relative_to(root).parts[:2])
    own_private = project_private_names(files)
    found = []
    for path in files:
        relative = path.relative_to(root).as_posix()
        if relative in KNOWN_EXCEPTIONS:
            continue
        found += violations_in_source(path.read_text(), relative, own_private,
                                      production=relative.startswith(PRODUCTION_DIRS))
    for pattern in CONFIG_GLOBS:
        for path in sorted(root.glob(pattern)):
            if path.is_file() and "target" not in path.relative_to(root).parts:
                for lineno, line in enumerate(path.read_text(errors="replace").splitlines(), 1):
                    if CONFIG_PRIVATE_PATH.search(line):
                        found.append(f"{path.relative_to(root).as_posix()}:{lineno}: {line.strip()}")
    return found


def test_the_project_uses_public_apis_only():
    assert scan(REPO) == []


@pytest.mark.parametrize("code", [
    "from dagster._core.events import DagsterEvent",
    "import dagster._check as check",
    "from dagster_dbt.core.resource import _get_dbt_target_path",
    "from great_expectations import _private",
    "import dagster as dg\ndg._utils.x()",
    "from dbt.adapters.duckdb.connections import DuckDBConnectionManager\nDuckDBConnectionManager._ENV",
    "import atexit\natexit._run_exitfuncs()",
    "import threading\nthreading._register_atexit(print)",
    "def f(instance):\n    return instance._event_storage",
    "from dagster_dbt import DbtCliResource\nclass R(DbtCliResource):\n    def _cli_version(self):\n        pass",
    "import os\nos._exit(0)",
])
def test_the_scan_finds_each_kind_of_private_use(code):
    assert violations_in_source(code, "example.py", own_private=set(), production=True)


def test_the_scan_leaves_public_and_own_code_alone():
    code = ("import dagster as dg\nfrom orchestration.quality import gx_runner\n"
            "class A:\n    def _own(self):\n        return self._x\n"
            "gx_runner._STARTED\ntext = 'from dagster._core import x'\n")
    assert violations_in_source(code, "example.py", own_private={"_STARTED"}, production=True) == []
    assert CONFIG_PRIVATE_PATH.search("  module: dagster._core.storage.noop_compute_log_manager")
    assert not CONFIG_PRIVATE_PATH.search("  module: dagster_postgres.event_log")
