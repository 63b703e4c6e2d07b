"""Fixtures for the orchestration tests: small real demo deliveries and a real pipeline run
through the `statmon` command (Dagster in process, real DuckDB, real dbt)."""
import os
import subprocess
import sys
from pathlib import Path

import pytest

STATMON = str(Path(sys.executable).with_name("statmon"))


@pytest.fixture(scope="session")
def demo_raw(tmp_path_factory) -> Path:
    from orchestration.demo import generate

    raw = tmp_path_factory.mktemp("demo") / "raw"
    generate(raw, scale=0.1, seed=7, start="2017-12", end="2018-02")
    return raw


def _statmon_env(tmp: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "STATMON_PSEUDONYM_KEY"}
    env.update(DAGSTER_HOME=str(tmp / "dagster_home"), STATMON_REPORTS_DIR=str(tmp / "reports"))
    return env


def _statmon(*args: str, env: dict[str, str], timeout: int = 900) -> subprocess.CompletedProcess:
    return subprocess.run([STATMON, *args], env=env, capture_output=True, text=True, timeout=timeout)


@pytest.fixture(scope="session")
def statmon():
    """Run the real `statmon` command: statmon(*args, env=...) -> CompletedProcess."""
    return _statmon


@pytest.fixture(scope="session")
def statmon_env():
    """An environment for `statmon` with its Dagster home and reports in a temp dir, no key."""
    return _statmon_env


@pytest.fixture(scope="session")
def pipeline_run(demo_raw, tmp_path_factory):
    """One real `statmon run` over every month of the demo deliveries."""
    tmp = tmp_path_factory.mktemp("run")
    env = _statmon_env(tmp)
    waivers = tmp / "dq_waivers.csv"
    waivers.write_text("rule_id,record_key,reason,waived_by,valid_until\n"
                       "unknown_code,uitkeringen 2018-01,known export fault,steward,2099-12-31\n")
    env["STATMON_WAIVERS"] = str(waivers)
    warehouse = tmp / "warehouse" / "monitor.duckdb"
    result = _statmon("run", "--raw-dir", str(demo_raw), "--warehouse", str(warehouse), env=env)
    return {"result": result, "warehouse": warehouse, "env": env, "tmp": tmp, "raw": demo_raw}
