"""What a monthly run rebuilds, on real runs of `statmon run` on one warehouse path:
- nothing, when no file, waiver or model changed since the last build and publication (the dbt
  build, the publication and the report are skipped, the run exits 0 and says so);
- everything, after a changed waiver or a re-delivered file (a changed model: the fingerprint test);
- and dbt parses from this warehouse's own parse state (its target path), even after a dbt run on
  another warehouse."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import pytest

from orchestration import build_record, config

NO_NEW_DATA = "no new data since the last publication: nothing rebuilt"
DBT = str(Path(sys.executable).with_name("dbt"))


def _publications(warehouse: Path) -> int:
    con = duckdb.connect(str(warehouse.parent / "published.duckdb"), read_only=True)
    try:
        return con.execute("select count(*) from publication_log").fetchone()[0]
    finally:
        con.close()


def _builds(warehouse: Path) -> list[tuple[str, str]]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute(f"select run_id, status from {build_record.BUILDS_TABLE} order by recorded_at").fetchall()
    finally:
        con.close()


def _dbt_log_size(warehouse: Path) -> int:
    log = config.dbt_target_path(warehouse) / "dbt.log"
    return log.stat().st_size if log.exists() else 0


def _dbt_log_since(warehouse: Path, offset: int) -> str:
    """What dbt logged for this warehouse (its parse and its build) after `offset`. dbt rotates
    dbt.log at 10 MB (to dbt.log.1, ...): when the log is now shorter than `offset`, what was
    written after it is the rest of dbt.log.1 and all of dbt.log."""
    log = config.dbt_target_path(warehouse) / "dbt.log"
    if log.stat().st_size >= offset:
        with open(log, encoding="utf-8") as fh:
            fh.seek(offset)
            return fh.read()
    with open(log.with_name("dbt.log.1"), encoding="utf-8") as rotated:
        rotated.seek(offset)
        return rotated.read() + log.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def chain(pipeline_run, tmp_path_factory):
    """A copy of the pipeline run's warehouse, Dagster home and raw deliveries (built and
    published), refreshed below month after month at one path."""
    root = tmp_path_factory.mktemp("chain")
    shutil.copytree(pipeline_run["warehouse"].parent, root / "warehouse")
    shutil.copytree(Path(pipeline_run["env"]["DAGSTER_HOME"]), root / "dagster_home")
    shutil.copytree(pipeline_run["raw"], root / "raw")
    waivers = root / "dq_waivers.csv"
    shutil.copyfile(pipeline_run["env"]["STATMON_WAIVERS"], waivers)
    env = {**pipeline_run["env"], "DAGSTER_HOME": str(root / "dagster_home"), "STATMON_REPORTS_DIR": str(root / "reports"),
           "STATMON_WAIVERS": str(waivers)}
    return {"root": root, "warehouse": root / "warehouse" / "monitor.duckdb", "raw": root / "raw", "env": env,
            "waivers": waivers}


def _report_files(chain) -> dict[str, tuple[int, int]]:
    """The council report's files: name -> (size, modification time in ns)."""
    return {p.name: (p.stat().st_size, p.stat().st_mtime_ns) for p in (chain["root"] / "reports").iterdir()}


def _skipped_steps(chain, result) -> set[str]:
    """The steps Dagster's event log records as skipped in the run `statmon run` just printed."""
    run_prefix = next(line.split()[1].rstrip(":") for line in result.stdout.splitlines() if line.startswith("run "))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DAGSTER_HOME", chain["env"]["DAGSTER_HOME"])
        instance = dg.DagsterInstance.get()
    try:
        run = next(r.dagster_run for r in instance.get_run_records(limit=5) if r.dagster_run.run_id.startswith(run_prefix))
        return {e.step_key for e in instance.all_logs(run.run_id, of_type=dg.DagsterEventType.STEP_SKIPPED)}
    finally:
        instance.dispose()


def _refresh(chain, statmon, month="2018-02"):
    result = statmon("run", "--raw-dir", str(chain["raw"]), "--warehouse", str(chain["warehouse"]), "--month", month,
                     env=chain["env"])
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_runs_rebuild_only_after_a_change(chain, statmon):
    warehouse = chain["warehouse"]

    # 0. The month is refreshed at this path (the copied warehouse's last build was of other months).
    result = _refresh(chain, statmon)
    assert NO_NEW_DATA not in result.stdout and _builds(warehouse)[-1][1] == "built"

    # 1. Nothing new: every file is byte-identical to one loaded, waivers and models unchanged.
    published = _publications(warehouse)
    reports = _report_files(chain)
    assert reports
    result = _refresh(chain, statmon)
    assert NO_NEW_DATA in result.stdout.splitlines(), result.stdout
    assert _publications(warehouse) == published
    assert _builds(warehouse)[-1][1] == "skipped"
    # The publication and the report were skipped: Dagster's event log of the run says so, and
    # the report files were not written again. (Not read from the console: a CI run once lacked
    # the report's "Skipping step" line there.)
    assert _skipped_steps(chain, result) >= {"publication", "council_report"}, result.stderr[-3000:]
    assert _report_files(chain) == reports

    # 2. A steward adds a waiver: dq_issues changes, so the marts are rebuilt and published.
    with open(chain["waivers"], "a") as fh:
        fh.write("unknown_code,uitkeringen 2018-02,known export fault,steward,2099-12-31\n")
    result = _refresh(chain, statmon)
    assert NO_NEW_DATA not in result.stdout
    assert _builds(warehouse)[-1][1] == "built"
    assert _publications(warehouse) == published + 1

    # dbt runs on another warehouse meanwhile (tests, `make docs`) and leaves its parse state in
    # the project's target/: with that one shared file, the next monthly run parsed in full.
    other = chain["root"] / "other"
    subprocess.run([DBT, "parse", "--quiet", "--project-dir", str(config.DBT_PROJECT_DIR),
                    "--profiles-dir", str(config.DBT_PROJECT_DIR), "--target-path", str(other / "target")],
                   env={**os.environ, "STATMON_WAREHOUSE": str(other / "monitor.duckdb")},
                   cwd=config.DBT_PROJECT_DIR, check=True)
    shared = config.DBT_PROJECT_DIR / "target" / "partial_parse.msgpack"
    shutil.copyfile(other / "target" / "partial_parse.msgpack", other / "partial_parse.msgpack")
    os.replace(other / "partial_parse.msgpack", shared)  # as dbt leaves it, in one step

    # 3. The supplier delivers uitkeringen of 2018-02 again, changed: rebuilt and published.
    delivered = chain["raw"] / "2018-02" / "uitkeringen.csv"
    delivered.write_bytes(delivered.read_bytes() + b"\n")
    log_offset = _dbt_log_size(warehouse)
    result = _refresh(chain, statmon)
    assert NO_NEW_DATA not in result.stdout
    assert _builds(warehouse)[-1][1] == "built"
    assert _publications(warehouse) == published + 2
    # dbt parsed (before the run, and again in the build) partially: from this warehouse's state
    # in its own target path, not from the other warehouse's file in the project's target/.
    dbt_log = _dbt_log_since(warehouse, log_offset)
    assert "Unable to do partial parsing" not in dbt_log and "UnableToPartialParse" not in dbt_log
    assert dbt_log.count("Partial parsing enabled") + dbt_log.count("skipping parsing") >= 2, dbt_log[-3000:]

    # 4. A build that never finished (a crash, a kill or a model in error leaves only `started`):
    # the incremental models may hold half of its months, so the next run builds every month,
    # not only its own, and that full build counts as the last build.
    import datetime as dt

    con = duckdb.connect(str(warehouse))
    con.execute(f"insert into {build_record.BUILDS_TABLE} values ('crashed-run-0000', 'x', 'started', ?)",
                [dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)])
    con.close()
    result = _refresh(chain, statmon)
    assert "dbt build of run crashed- did not finish: building all months" in result.stderr, result.stderr[-3000:]
    assert _builds(warehouse)[-1][1] == "built"
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert con.execute("select count(*) from landing.run_months").fetchone()[0] == 0  # empty = all months
    finally:
        con.close()


def test_fingerprint_follows_the_dbt_project_and_the_months(pipeline_run):
    """A changed model (its checksum in the manifest) or other months make another fingerprint."""
    from orchestration.build_record import build_inputs_fingerprint

    manifest = json.loads((config.dbt_target_path(pipeline_run["warehouse"]) / "manifest.json").read_text())
    con = duckdb.connect(str(pipeline_run["warehouse"]), read_only=True)
    try:
        base = build_inputs_fingerprint(con, ["2018-02"], manifest)
        assert build_inputs_fingerprint(con, ["2018-02"], manifest) == base
        assert build_inputs_fingerprint(con, ["2018-01"], manifest) != base
        model = next(uid for uid in manifest["nodes"] if uid.endswith(".caseload_monthly"))
        manifest["nodes"][model]["checksum"]["checksum"] = "0" * 64
        assert build_inputs_fingerprint(con, ["2018-02"], manifest) != base
    finally:
        con.close()
