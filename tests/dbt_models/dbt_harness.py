"""Helpers of the dbt tests: a fresh DuckDB warehouse with the landing schema, and the real dbt run
in-process (dbtRunner) against it with this project's profiles."""
from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import dbt_landing_fixture

REPO = Path(__file__).resolve().parents[2]
DBT_PROJECT_DIR = REPO / "dbt_project"
LANDING_DDL = REPO / "orchestration" / "sources" / "landing.sql"
AS_OF_DATE = "2018-07-15"


@dataclass
class DbtRun:
    success: bool
    results: list  # dbt's per-node results
    seconds: float

    def statuses(self) -> dict[str, str]:
        return {r.node.unique_id: str(r.status) for r in self.results}


def run_dbt(warehouse: Path, args: list[str], work_dir: Path) -> DbtRun:
    """Run a dbt command in-process against `warehouse` with this project's profiles."""
    from dbt.cli.main import dbtRunner

    previous = os.environ.get("STATMON_WAREHOUSE")
    os.environ["STATMON_WAREHOUSE"] = str(warehouse)
    try:
        started = time.perf_counter()
        res = dbtRunner().invoke([
            *args,
            "--project-dir", str(DBT_PROJECT_DIR),
            "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target-path", str(work_dir / "target"),
            "--log-path", str(work_dir / "logs"),
            "--quiet",
        ])
        seconds = time.perf_counter() - started
    finally:
        if previous is None:
            os.environ.pop("STATMON_WAREHOUSE", None)
        else:
            os.environ["STATMON_WAREHOUSE"] = previous
    if res.exception is not None:
        raise res.exception
    results = list(res.result.results) if res.result is not None and hasattr(res.result, "results") else []
    return DbtRun(success=res.success, results=results, seconds=seconds)


def new_landing_warehouse(path: Path, load_rows=dbt_landing_fixture.load) -> Path:
    con = duckdb.connect(str(path))
    try:
        con.execute(LANDING_DDL.read_text())
        load_rows(con)
    finally:
        con.close()
    return path
