"""A run killed with SIGKILL (the process and its dbt child) during ingestion, during dbt and during
publication (chain `kill` of conftest.py, one kill after the other on the same installation):
the last good publication stays intact and readable, the warehouse opens (DuckDB replays its WAL),
the run lock is free again, and the next run completes (the chain's last run, all months)."""
from __future__ import annotations

import fcntl

import duckdb
import pytest

from reliability_helpers import export_published

PHASES = ("ingestion", "dbt", "publication")


@pytest.mark.parametrize("phase", PHASES)
def test_a_killed_run_leaves_the_last_publication_intact(scenarios, phase):
    chain = scenarios["kill"].wait()
    kill = chain.steps[f"kill_{phase}"]
    assert kill.rc == -9, f"the run was not killed but ended with {kill.rc}"
    if phase == "dbt":
        # the build ran: the `dbt build` subprocess dagster-dbt starts
        assert any("/dbt" in c and " build " in c for c in kill.tree_at_kill), kill.tree_at_kill
    # the published file of the last good run: readable read-only, the same tables and rows
    # (the same bytes, unless the kill fell after the atomic switch of a complete new file)
    assert chain.steps[f"published_after_kill_{phase}"] == kill.published_export_before
    if phase in ("ingestion", "dbt"):
        assert chain.steps[f"published_bytes_same_after_kill_{phase}"]


def test_after_the_kills_the_warehouse_opens_the_lock_is_free_and_the_next_run_completes(scenarios):
    chain = scenarios["kill"].wait()
    ws = chain.ws
    for phase in PHASES:
        assert chain.steps[f"warehouse_after_kill_{phase}"] > 0      # rows counted read-write after the kill
        assert chain.steps[f"lock_free_after_kill_{phase}"] is True
    result = chain.steps["after_kills"]
    assert result.rc == 0, result.describe()
    # the interrupted publication's temporary files were cleaned up by the next publication
    leftovers = [p.name for p in ws.published_dir.iterdir() if ".tmp-" in p.name]
    versions = ws.published_dir / ".published-versions"
    leftovers += [p.name for p in versions.iterdir() if ".tmp-" in p.name]
    assert leftovers == []
    lock = ws.published_dir / f".{ws.warehouse.name}.run.lock"
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    con = duckdb.connect(str(ws.warehouse), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM marts.caseload_monthly").fetchone()[0] > 0
    finally:
        con.close()
    assert export_published(ws.published_dir)
