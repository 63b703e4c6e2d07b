"""The Dagster instance on PostgreSQL (dagster-postgres), as docs/orchestration.md tells a
long-lived deployment to configure it: a real `statmon run` keeps its run history in the
PostgreSQL server of .ci/run, nothing in SQLite files. Runs when STATMON_PG_* is set; skipped
only outside CI: in CI (CI=true) a missing server is a failure."""
from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path

import pytest

from orchestration.publish import pg_dsn_from_env

DSN = pg_dsn_from_env()
if DSN is None and not os.environ.get("CI"):
    pytest.skip("no PostgreSQL configured (STATMON_PG_* unset) and not in CI", allow_module_level=True)

REPO = Path(__file__).resolve().parents[2]

# The block of docs/orchestration.md (with the CI server's port and database), plus a schema of
# its own for this test (search_path).
STORAGE_BLOCK = """
storage:
  postgres:
    postgres_db:
      hostname: {env: DAGSTER_PG_HOST}
      port: {env: DAGSTER_PG_PORT}
      username: {env: DAGSTER_PG_USER}
      password: {env: DAGSTER_PG_PASSWORD}
      db_name: {env: DAGSTER_PG_DB}
      scheme: postgresql+psycopg2
      params: {options: "-c search_path=%s"}
"""


def _pg(sql: str) -> list[tuple] | None:
    """Run one statement on the CI server; its rows, if it returns any."""
    import psycopg2

    con = psycopg2.connect(DSN)
    con.autocommit = True
    try:
        with con.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall() if cur.description else None
    finally:
        con.close()


@pytest.fixture
def pg_schema():
    assert DSN, "CI=true but STATMON_PG_* are not set: .ci/run must start PostgreSQL"
    schema = f"dagster_test_{uuid.uuid4().hex[:8]}"
    _pg(f'CREATE SCHEMA "{schema}"')
    yield schema
    _pg(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_statmon_run_keeps_its_run_history_in_postgresql(pipeline_run, statmon, tmp_path, pg_schema):
    schema = pg_schema
    home = tmp_path / "dagster_home"
    home.mkdir()
    (home / "dagster.yaml").write_text((REPO / "orchestration" / "dagster.yaml").read_text() + STORAGE_BLOCK % schema)
    warehouse = tmp_path / "warehouse" / "monitor.duckdb"
    shutil.copytree(pipeline_run["warehouse"].parent, warehouse.parent)
    env = {**pipeline_run["env"], "DAGSTER_HOME": str(home), "STATMON_REPORTS_DIR": str(tmp_path / "reports"),
           "DAGSTER_PG_HOST": os.environ.get("STATMON_PG_HOST", "localhost"),
           "DAGSTER_PG_PORT": os.environ.get("STATMON_PG_PORT", "5432"),
           "DAGSTER_PG_USER": os.environ.get("STATMON_PG_USER", "statmon"),
           "DAGSTER_PG_PASSWORD": os.environ.get("STATMON_PG_PASSWORD", ""),
           "DAGSTER_PG_DB": os.environ.get("STATMON_PG_DBNAME", "statmon")}

    result = statmon("run", "--raw-dir", str(pipeline_run["raw"]), "--warehouse", str(warehouse), "--month", "2018-02",
                     env=env)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "storage:" in (home / "dagster.yaml").read_text()  # an edited dagster.yaml is kept
    assert not (home / "history").exists()  # no SQLite run storage
    assert _pg(f'SELECT status FROM "{schema}".runs') == [("SUCCESS",)]
    assert _pg(f"SELECT count(*) FROM \"{schema}\".event_logs WHERE dagster_event_type = 'ASSET_MATERIALIZATION'")[0][0] >= 5
