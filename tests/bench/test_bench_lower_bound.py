"""The benchmark's lower bound (bench/lower_bound.py) computes the same marts as the pipeline: the
real `statmon run` (Dagster, ingestion, GX, dbt) and the lower bound's plain DuckDB SQL over the same
demo deliveries give equal rows in every mart the lower bound covers. If this fails, one side is
wrong: bench/compare.py prints the differing rows."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from bench_smoke import PSEUDONYM_KEY, REPO

from bench.compare import MARTS, compare_marts


def _env(scratch) -> dict:
    return {**os.environ, "STATMON_PSEUDONYM_KEY": PSEUDONYM_KEY,
            "DAGSTER_HOME": str(scratch / "dagster_home"), "STATMON_REPORTS_DIR": str(scratch / "reports")}


def test_lower_bound_marts_equal_the_pipelines(scratch, small_raw):
    env = _env(scratch)
    (scratch / "dagster_home").mkdir(exist_ok=True)
    warehouse = scratch / "pipeline" / "monitor.duckdb"
    statmon = REPO / ".venv" / "bin" / "statmon"
    run = subprocess.run([str(statmon), "run", "--raw-dir", str(small_raw), "--warehouse", str(warehouse)],
                         env=env, capture_output=True, text=True, cwd=REPO)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-3000:]

    lower_bound_db = scratch / "lower_bound.duckdb"
    lb = subprocess.run([sys.executable, str(REPO / "bench" / "lower_bound.py"), "--raw-dir", str(small_raw),
                         "--db", str(lower_bound_db)], env=env, capture_output=True, text=True, cwd=REPO)
    assert lb.returncode == 0, lb.stderr[-3000:]
    summary = json.loads(lb.stdout)
    assert summary["months"] == 3 and summary["files_loaded"] > 3 * 4

    result = compare_marts(warehouse, lower_bound_db)
    assert set(result) == set(MARTS)
    for table, r in result.items():
        assert r["rows_pipeline"] > 0, f"{table}: the pipeline's mart is empty, the comparison proves nothing"
        assert (r["only_pipeline"], r["only_lower_bound"]) == (0, 0), (
            f"{table}: rows differ; pipeline only {r['examples_pipeline']}, lower bound only {r['examples_lower_bound']}")


def test_unchanged_month_is_skipped(scratch, small_raw):
    """A second run of an already loaded month finds every file unchanged (sha256) and builds nothing:
    the lower bound of the fixed overhead of a run without new data."""
    env = _env(scratch)
    db = scratch / "lower_bound_rerun.duckdb"
    cmd = [sys.executable, str(REPO / "bench" / "lower_bound.py"), "--raw-dir", str(small_raw), "--db", str(db)]
    first = json.loads(subprocess.run(cmd + ["--month", "2018-01"], env=env, capture_output=True, text=True,
                                      check=True).stdout)
    again = json.loads(subprocess.run(cmd + ["--month", "2018-01"], env=env, capture_output=True, text=True,
                                      check=True).stdout)
    assert first["files_loaded"] > 0 and first["files_unchanged"] == 0
    assert again["files_loaded"] == 0 and again["files_unchanged"] == first["files_loaded"]
