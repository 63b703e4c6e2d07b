"""dbt acceptance fixtures: a fresh DuckDB warehouse per test session, the landing schema filled
with the hand-written rows of dbt_landing_fixture.py, and the real `dbt build` run in-process."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from dbt_harness import AS_OF_DATE, DbtRun, new_landing_warehouse, run_dbt


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory) -> tuple[Path, DbtRun]:
    work = tmp_path_factory.mktemp("dbt_acceptance")
    warehouse = new_landing_warehouse(work / "monitor.duckdb")
    run = run_dbt(warehouse, ["build", "--vars", f"{{as_of_date: '{AS_OF_DATE}'}}"], work)
    return warehouse, run


@pytest.fixture(scope="session")
def marts(built_warehouse):
    """Query the built warehouse: marts(sql) -> list of tuples."""
    warehouse, _ = built_warehouse
    # dbt-duckdb keeps its in-process connection open: connect with the same (default) config
    con = duckdb.connect(str(warehouse))
    yield lambda sql: con.execute(sql).fetchall()
    con.close()
