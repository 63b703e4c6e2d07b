"""The whole pipeline on the calibrated demo data (scale 1, seed 42, 2014-01..2020-06): the data
the README's figure table comes from. One real `statmon run` shared by the tests here."""
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

BIN = Path(sys.executable).parent


@pytest.fixture(scope="session")
def memo_warehouse(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("memo")
    env = {k: v for k, v in os.environ.items() if k != "STATMON_PSEUDONYM_KEY"}
    env.update(DAGSTER_HOME=str(tmp / "dagster_home"), STATMON_REPORTS_DIR=str(tmp / "reports"))
    raw, warehouse = tmp / "raw", tmp / "warehouse" / "monitor.duckdb"
    subprocess.run([str(BIN / "statmon"), "demo-data", "--out", str(raw), "--scale", "1", "--seed", "42"],
                   env=env, check=True, capture_output=True, timeout=600)
    run = subprocess.run([str(BIN / "statmon"), "run", "--raw-dir", str(raw), "--warehouse", str(warehouse)],
                         env=env, capture_output=True, text=True, timeout=1800)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return warehouse


@pytest.fixture(scope="session")
def memo_con(memo_warehouse):
    con = duckdb.connect(str(memo_warehouse), read_only=True)
    yield con
    con.close()
