"""The checks and marts.dq_issues must name the same finding the same way: a steward copies a
failed expectation's record_key from the worklist into the waivers file, and both the mart
(status `waived`) and the blocking checks must honour it. Runs the real dbt models."""
import os

import pytest

from orchestration.config import DBT_PROJECT_DIR
from orchestration.quality.blocking import blocking_months
from orchestration.quality.file_rules import run_file_rules

from quality_helpers import NEXT_YEAR, add_benefits, add_waiver


def dbt(args, warehouse, work):
    from dbt.cli.main import dbtRunner

    previous = os.environ.get("STATMON_WAREHOUSE")
    os.environ["STATMON_WAREHOUSE"] = str(warehouse)
    try:
        result = dbtRunner().invoke([*args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
                                     "--target-path", str(work / "target"), "--log-path", str(work / "logs"), "--quiet"])
    finally:
        if previous is None:
            os.environ.pop("STATMON_WAREHOUSE", None)
        else:
            os.environ["STATMON_WAREHOUSE"] = previous
    if result.exception is not None:
        raise result.exception
    assert result.success, f"dbt {' '.join(args)} failed"


@pytest.mark.skipif(not (DBT_PROJECT_DIR / "models" / "marts" / "dq_issues.sql").exists(), reason="dq_issues model not there")
def test_failed_expectation_key_and_waiver_agree_with_dq_issues(con, tmp_path):
    add_benefits(con, "2018-01", range(100))
    add_benefits(con, "2018-02", range(10))  # row count below half: an error
    outcome = next(o for o in run_file_rules(con, "uitkeringen", ["2018-01", "2018-02"])
                   if o.rule == "row_count_vs_previous_month" and o.month == "2018-02")
    add_waiver(con, "row_count_vs_previous_month", outcome.metadata["issue_key"], NEXT_YEAR)
    assert blocking_months(con) == []
    warehouse = con.execute("SELECT path FROM duckdb_databases() WHERE database_name = current_database()").fetchone()[0]
    con.execute("CHECKPOINT")
    con.close()
    dbt(["build", "--select", "+dq_issues", "--exclude", "resource_type:test", "resource_type:unit_test"], warehouse, tmp_path)
    import duckdb

    check = duckdb.connect(warehouse)  # dbt-duckdb keeps its in-process connection: same (default) config
    rows = check.execute(
        "SELECT record_key, severity, status FROM marts.dq_issues WHERE rule_id = 'row_count_vs_previous_month'"
    ).fetchall()
    check.close()
    assert rows == [(outcome.metadata["issue_key"], "error", "waived")]
