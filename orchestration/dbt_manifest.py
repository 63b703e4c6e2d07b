"""The dbt manifest the Dagster definitions are built from: `dbt parse` into the warehouse's dbt
target path (config.dbt_target_path), where dbt keeps its partial-parse state for that warehouse
and so re-parses only the files that changed since its last parse there. dbt decides what
changed; nothing here compares files.

`statmon run` starts the parse before it imports Dagster (the two overlap on two cores);
anything else that loads the definitions (tests, the benchmark) parses when the warehouse has no
manifest yet; `dagster dev` re-parses at every load (DbtProject.prepare_if_dev,
orchestration/assets/dbt.py). No Dagster or dbt import here."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from orchestration import config


class DbtParseError(RuntimeError):
    """dbt could not parse the project (the message holds dbt's own)."""


def start_parse(warehouse: Path) -> subprocess.Popen:
    """Start `dbt parse` for `warehouse`, with the dbt of this environment (also when its bin/
    is not on PATH)."""
    target_path = config.dbt_target_path(warehouse)
    project = str(config.DBT_PROJECT_DIR)
    return subprocess.Popen(
        [str(Path(sys.executable).with_name("dbt")), "parse", "--quiet", "--project-dir", project,
         "--profiles-dir", project, "--target", config.DBT_TARGET, "--target-path", str(target_path),
         "--log-path", str(target_path)],
        cwd=project, env={**os.environ, "STATMON_WAREHOUSE": str(warehouse)},  # the profile reads it
        stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )


def finish_parse(parse: subprocess.Popen) -> None:
    """Wait for the parse; DbtParseError with dbt's messages when it failed."""
    output, _ = parse.communicate()
    if parse.returncode != 0:
        raise DbtParseError(f"{output.decode(errors='replace').rstrip()}\n"
                            f"dbt could not parse {config.DBT_PROJECT_DIR} (exit {parse.returncode})")


def parse(warehouse: Path) -> None:
    finish_parse(start_parse(warehouse))
