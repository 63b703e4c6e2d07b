"""Rendement tests: a fresh DuckDB warehouse with the hand-written landing rows of
effect_fixture.py, built by the real dbt."""
from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import effect_fixture
from effect_harness import build_effect_marts, new_landing_warehouse


@pytest.fixture(scope="session")
def effect_warehouse(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("effect_fixture")
    warehouse = new_landing_warehouse(work / "monitor.duckdb", effect_fixture.load)
    build_effect_marts(warehouse, work)
    return warehouse


@pytest.fixture(scope="session")
def query(effect_warehouse):
    """query(sql) -> list of tuples, on the built fixture warehouse."""
    # dbt-duckdb keeps its in-process connection open: connect with the same (default) config
    con = duckdb.connect(str(effect_warehouse))
    yield lambda sql: con.execute(sql).fetchall()
    con.close()
