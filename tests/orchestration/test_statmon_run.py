"""`statmon run` end to end: one Dagster run of the whole graph over real demo deliveries, with
a summary per month, the warehouse, the publication and the Dagster event log to show for it."""
import os
import sys

import dagster as dg
import duckdb


def test_run_loads_every_month_builds_marts_and_publishes(pipeline_run):
    result = pipeline_run["result"]
    assert result.returncode == 0, result.stdout + result.stderr
    summary = result.stdout
    for month in ("2017-12", "2018-01", "2018-02"):
        assert any(line.startswith(month) for line in summary.splitlines()), summary
    assert "3 month(s)" in summary and ": ok" in summary

    con = duckdb.connect(str(pipeline_run["warehouse"]), read_only=True)
    try:
        months = [r[0] for r in con.execute(
            "select distinct strftime(delivery_month, '%Y-%m') from landing.uitkeringen order by 1").fetchall()]
        assert months == ["2017-12", "2018-01", "2018-02"]
        caseload = con.execute("select count(*), min(statushouders_on_benefit) from marts.caseload_monthly").fetchone()
        assert caseload[0] == 3 and caseload[1] > 0
        # the summary's loaded rows are the landing tables' rows of that month
        loaded = con.execute("select sum(rows_loaded) from landing.deliveries where status = 'loaded' "
                             "and delivery_month = date '2018-01-01'").fetchone()[0]
        line = next(line for line in summary.splitlines() if line.startswith("2018-01"))
        assert int(line.split()[1]) == loaded
    finally:
        con.close()
    published = pipeline_run["warehouse"].parent / "published.duckdb"
    assert published.exists()


def test_run_is_one_dagster_run_with_every_partition_materialized(pipeline_run):
    os.environ["DAGSTER_HOME"] = pipeline_run["env"]["DAGSTER_HOME"]
    instance = dg.DagsterInstance.get()
    records = instance.get_run_records()
    assert len(records) >= 1
    first_run = records[-1].dagster_run
    materialized = instance.fetch_materializations(dg.AssetKey(["landing", "uitkeringen"]), limit=100).records
    partitions = {r.event_log_entry.dagster_event.partition for r in materialized if r.run_id == first_run.run_id}
    assert partitions == {"2017-12", "2018-01", "2018-02"}


def test_identical_rerun_of_one_month_changes_nothing(pipeline_run, statmon):
    env, warehouse = pipeline_run["env"], pipeline_run["warehouse"]
    con = duckdb.connect(str(warehouse), read_only=True)
    before = con.execute("select * from marts.caseload_monthly order by month").fetchall()
    con.close()
    result = statmon("run", "--raw-dir", str(pipeline_run["raw"]), "--warehouse", str(warehouse), "--month", "2018-01", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("select * from marts.caseload_monthly order by month").fetchall() == before
        statuses = {r[0] for r in con.execute(
            "select status from landing.deliveries where delivery_month = date '2018-01-01' "
            "and loaded_at = (select max(loaded_at) from landing.deliveries)").fetchall()}
        assert statuses == {"unchanged"}
    finally:
        con.close()


def test_refuses_real_data_without_pseudonym_key(demo_raw, tmp_path, statmon, statmon_env):
    raw = tmp_path / "raw"
    (raw / "2018-01").mkdir(parents=True)
    (raw / "2018-01" / "uitkeringen.csv").write_bytes((demo_raw / "2018-01" / "uitkeringen.csv").read_bytes())
    result = statmon("run", "--raw-dir", str(raw), "--warehouse", str(tmp_path / "w.duckdb"), env=statmon_env(tmp_path))
    assert result.returncode == 2
    assert "STATMON_PSEUDONYM_KEY" in result.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_month_option_and_empty_raw_dir(tmp_path, statmon, statmon_env):
    env = statmon_env(tmp_path)
    bad = statmon("run", "--raw-dir", str(tmp_path), "--month", "2018-13", env=env)
    assert bad.returncode == 2 and "not a month" in bad.stderr
    empty = statmon("run", "--raw-dir", str(tmp_path), "--warehouse", str(tmp_path / "w.duckdb"), env=env)
    assert empty.returncode == 2 and "has no month folder (YYYY-MM) to process" in empty.stderr


def test_second_run_is_refused_while_one_is_writing(pipeline_run, tmp_path):
    from orchestration.run import run_pipeline, single_run_lock

    with single_run_lock(pipeline_run["warehouse"]):
        status = run_pipeline(pipeline_run["raw"], pipeline_run["warehouse"], "2018-01")
    assert status == 2


def test_run_records_invariants_loads_waivers_and_builds_data_docs(pipeline_run):
    warehouse = pipeline_run["warehouse"]
    assert (warehouse.parent / "data_docs" / "2018-02" / "index.html").exists()
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        invariants = con.execute(
            "select count(*), count(*) filter (where not passed) from landing.check_results where origin = 'mart_invariant'"
        ).fetchone()
        assert invariants[0] > 0 and invariants[1] == 0
        # the run loaded the stewards' waivers file it was given
        assert con.execute("select rule_id, record_key, waived_by from landing.dq_waivers").fetchall() == [
            ("unknown_code", "uitkeringen 2018-01", "steward")]
        checked = con.execute("select count(distinct source) from landing.expectation_results").fetchone()[0]
        assert checked >= 5
    finally:
        con.close()


def test_no_process_of_the_run_outlives_it(pipeline_run, tmp_path):
    """Everything a run starts (dbt's parse and build, Dagster's log capture) has ended when
    `statmon run` has: nothing of its session is left (a build forced with STATMON_REBUILD=1)."""
    import shutil
    import subprocess
    from pathlib import Path

    warehouse = tmp_path / "warehouse" / "monitor.duckdb"
    shutil.copytree(pipeline_run["warehouse"].parent, warehouse.parent)
    env = {**pipeline_run["env"], "DAGSTER_HOME": str(tmp_path / "dagster_home"), "STATMON_REBUILD": "1",
           "STATMON_REPORTS_DIR": str(tmp_path / "reports")}
    statmon = str(Path(sys.executable).with_name("statmon"))
    process = subprocess.Popen([statmon, "run", "--raw-dir", str(pipeline_run["raw"]), "--warehouse", str(warehouse),
                                "--month", "2018-02"], env=env, start_new_session=True,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output, _ = process.communicate(timeout=900)
    assert process.returncode == 0, output[-3000:]
    assert "OK created sql" in output  # dbt built
    assert _session_processes_after(process.pid, grace_seconds=10) == []


def _session_processes_after(session: int, grace_seconds: float) -> list[str]:
    """The processes of a session still running after a grace period (a child that is just
    exiting when its parent has, such as multiprocessing's resource tracker, is not left over)."""
    import time
    from pathlib import Path

    deadline = time.monotonic() + grace_seconds
    while True:
        left = []
        for entry in Path("/proc").iterdir():
            try:
                if not entry.name.isdigit() or os.getsid(int(entry.name)) != session:
                    continue
                name, state = (entry / "stat").read_text().rsplit(")", 1)
                if state.split()[0] != "Z":  # a zombie has ended; it only waits to be reaped
                    command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
                    left.append(f"{name.split('(', 1)[1]}: {command}")
            except (ProcessLookupError, PermissionError, FileNotFoundError):
                pass
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.5)
