"""Rendement tests: a fresh DuckDB warehouse with the hand-written landing rows of
effect_fixture.py, built by the real dbt (the dbt acceptance tests' harness, tests/dbt_models)."""
from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "dbt_models"))  # dbt_harness: the real dbt, in-process

import effect_fixture  # noqa: E402
from dbt_harness import new_landing_warehouse, run_dbt  # noqa: E402

# everything the three effect marts need, upstream included, with their data tests
EFFECT_SELECTION = ["--select", "+initiative_effect", "+initiative_effect_curve", "+initiative_effect_population",
                    "--exclude", "test_type:unit", "--indirect-selection", "cautious"]


def build_effect_marts(warehouse: Path, work: Path, extra: list[str] | None = None):
    run = run_dbt(warehouse, ["build", *EFFECT_SELECTION, *(extra or [])], work)
    assert run.success, {k: v for k, v in run.statuses().items() if v not in ("success", "pass")}
    return run


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
