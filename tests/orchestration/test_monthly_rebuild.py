"""What a monthly run rebuilds, on real runs of `statmon run` on one warehouse path:
- nothing, when no file, waiver or model changed since the last build and publication (the dbt
  build, the publication and the report are skipped, the run exits 0 and says so);
- everything, after a changed waiver or a re-delivered file (a changed model: the fingerprint test);
- and dbt starts from this warehouse's own parse state, even after a dbt run on another warehouse."""
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration import config, dbt_state

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
        return con.execute(f"select run_id, status from {dbt_state.BUILDS_TABLE} order by recorded_at").fetchall()
    finally:
        con.close()


def _run_id_prefix(stdout: str) -> str:
    line = next(line for line in stdout.splitlines() if line.startswith("run "))
    return line.split()[1].rstrip(":")


def _dbt_log_of_run(run_id_prefix: str) -> str:
    logs = list((config.DBT_PROJECT_DIR / "target").glob(f"statmon_dbt_models-{run_id_prefix[:7]}-*/dbt.log"))
    assert len(logs) == 1, logs
    return logs[0].read_text()


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
    result = _refresh(chain, statmon)
    assert NO_NEW_DATA in result.stdout.splitlines(), result.stdout
    assert _publications(warehouse) == published
    assert _builds(warehouse)[-1][1] == "skipped"
    assert "Skipping step publication" in result.stderr and "Skipping step council_report" in result.stderr

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
    result = _refresh(chain, statmon)
    assert NO_NEW_DATA not in result.stdout
    assert _builds(warehouse)[-1][1] == "built"
    assert _publications(warehouse) == published + 2
    # When the build parsed (plain dbt; a prewarmed dbt server parses before the run), it parsed
    # partially: from this warehouse's state, not from the other warehouse's shared file.
    dbt_log = _dbt_log_of_run(_run_id_prefix(result.stdout))
    assert "UnableToPartialParse" not in dbt_log
    # And the warehouse's state is one dbt accepts for this warehouse's profile.
    target = chain["root"] / "parse_check"
    assert dbt_state.seed_target(warehouse, target)
    from orchestration.assets.dbt import DBT_TARGET

    subprocess.run([DBT, "parse", "--project-dir", str(config.DBT_PROJECT_DIR), "--profiles-dir",
                    str(config.DBT_PROJECT_DIR), "--target", DBT_TARGET,  # the target is part of the profile too
                    "--target-path", str(target), "--log-path", str(target)],
                   env={**os.environ, "STATMON_WAREHOUSE": str(warehouse)}, cwd=config.DBT_PROJECT_DIR,
                   check=True, capture_output=True)
    parse_log = (target / "dbt.log").read_text()
    assert "Unable to do partial parsing" not in parse_log
    assert "Partial parsing enabled" in parse_log or "skipping parsing" in parse_log

    # 4. A build that never finished (a crash, a kill or a model in error leaves only `started`):
    # the incremental models may hold half of its months, so the next run builds every month,
    # not only its own, and that full build counts as the last build.
    import datetime as dt

    con = duckdb.connect(str(warehouse))
    con.execute(f"insert into {dbt_state.BUILDS_TABLE} values ('crashed-run-0000', 'x', 'started', ?)",
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


def test_fingerprint_follows_the_dbt_project_and_the_months(pipeline_run, tmp_path):
    """A changed model (its checksum in the manifest) or other months make another fingerprint."""
    from orchestration.assets.dbt import build_inputs_fingerprint, dbt_project
    from orchestration.resources import WarehouseResource

    warehouse = WarehouseResource(warehouse_path=str(pipeline_run["warehouse"]), raw_dir=str(pipeline_run["raw"]))
    manifest = json.loads(dbt_project.manifest_path.read_text())
    base = build_inputs_fingerprint(warehouse, ["2018-02"], dbt_project.manifest_path)
    assert build_inputs_fingerprint(warehouse, ["2018-02"], dbt_project.manifest_path) == base
    assert build_inputs_fingerprint(warehouse, ["2018-01"], dbt_project.manifest_path) != base

    model = next(uid for uid in manifest["nodes"] if uid.endswith(".caseload_monthly"))
    manifest["nodes"][model]["checksum"]["checksum"] = "0" * 64
    changed = tmp_path / "manifest.json"
    changed.write_text(json.dumps(manifest))
    assert build_inputs_fingerprint(warehouse, ["2018-02"], changed) != base
