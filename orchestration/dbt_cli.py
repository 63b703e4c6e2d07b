"""The dbt executable dagster-dbt starts (definitions.py: `DbtCliResource(dbt_executable=...)`):
dbt's own command, except that `--version` is answered from the installed package's metadata.

Why: before every invocation dagster-dbt runs `<dbt_executable> --version` to learn which dbt it
drives (dbt Core or Fusion). dbt's own command imports dbt to print it: 2.6 s on the critical
path of every monthly run (docs/performance.md). The answer is the same fact, the version of the
dbt-core package that `dbt` runs, read without importing dbt. Every other command is dbt itself:
this process becomes `dbt` (exec) with the same arguments and environment, so dbt's output and
exit status reach dagster-dbt unchanged."""
from __future__ import annotations

import os
import sys
from importlib.metadata import version
from pathlib import Path


def main() -> None:
    args = sys.argv[1:]
    if args == ["--version"]:
        print(f"Core:\n  - installed: {version('dbt-core')}")
        return
    dbt = Path(sys.executable).with_name("dbt")
    os.execv(dbt, [str(dbt), *args])
