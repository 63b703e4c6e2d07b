"""Fixtures for the benchmark's smoke test: a small demo delivery set (scale 1, 2016-12..2018-01:
the 2017-11 re-delivery, the 2018 switch from legacy to canonical partner headers, and enough
starts in 2017 for effect estimates at 6 and 12 months), generated into a private directory (not
pytest's numbered base directory, which concurrent pytest sessions on this machine rotate away),
and one real `statmon run` of it that every test compares with."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from bench_smoke import PSEUDONYM_KEY, REPO, run_lower_bound

sys.path.insert(0, str(REPO))  # bench/ is not an installed package


@pytest.fixture(scope="session")
def scratch():
    root = Path(tempfile.mkdtemp(prefix="statmon-bench-tests-"))
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def small_raw(scratch) -> Path:
    from orchestration.demo import generate

    raw = scratch / "raw"
    generate(raw, scale=1, seed=42, start="2016-12", end="2018-01")
    return raw


@pytest.fixture(scope="session")
def bench_env(scratch) -> dict:
    (scratch / "dagster_home").mkdir(exist_ok=True)
    return {**os.environ, "STATMON_PSEUDONYM_KEY": PSEUDONYM_KEY,
            "DAGSTER_HOME": str(scratch / "dagster_home"), "STATMON_REPORTS_DIR": str(scratch / "reports")}


@pytest.fixture(scope="session")
def pipeline_warehouse(scratch, small_raw, bench_env) -> Path:
    """The warehouse of one real `statmon run` of every month of small_raw."""
    warehouse = scratch / "pipeline" / "monitor.duckdb"
    statmon = REPO / ".venv" / "bin" / "statmon"
    run = subprocess.run([str(statmon), "run", "--raw-dir", str(small_raw), "--warehouse", str(warehouse)],
                         env=bench_env, capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]
    return warehouse


@pytest.fixture(scope="session")
def lower_bound_db(scratch, small_raw, bench_env) -> tuple[Path, dict]:
    db = scratch / "lower_bound.duckdb"
    return db, run_lower_bound(small_raw, db, bench_env)
