"""The Dagster home (orchestration/dagster_home.py): a new home gets the shipped dagster.yaml, an
unedited older one is upgraded (also one that named the pooled event log storage this project no
longer has), an edited one is kept, or refused with a clear message when it names that removed
module; the instance uses Dagster's own storage, and the webserver reads what `statmon run` wrote."""
import hashlib
import json
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from orchestration.dagster_home import PREVIOUS_SHIPPED_DIGESTS, DagsterHomeError, prepare_home

REPO = Path(__file__).resolve().parents[2]
SHIPPED = (REPO / "orchestration" / "dagster.yaml").read_bytes()

# orchestration/dagster.yaml as shipped in commit f2529e0 (the last before Dagster's own storage).
DAGSTER_YAML_F2529E0 = """\
# Dagster instance settings for this code location (copied into DAGSTER_HOME when it has none).
# DuckDB allows one writing process: one run at a time, queued runs wait.
run_queue:
  max_concurrent_runs: 1
# No capture of raw stdout/stderr per step: every step's structured events (dbt's included) are
# in the event log already, and the capture starts two `tail` processes per step, a fixed cost
# of every run.
compute_logs:
  module: dagster._core.storage.noop_compute_log_manager
  class: NoOpComputeLogManager
telemetry:
  enabled: false
# Dagster's SQLite event log with one pooled engine per shard and synchronous=NORMAL (WAL):
# Dagster's own opens an engine and fsyncs per event (6 s of a 38 s monthly refresh). A power
# loss may lose the last events of the run log, never the warehouse; see the module docstring.
# base_dir defaults to $DAGSTER_HOME/history/runs, where the default storage keeps it.
event_log_storage:
  module: orchestration.event_log_storage
  class: PooledSqliteEventLogStorage
"""


def test_new_old_and_edited_homes(tmp_path):
    assert hashlib.sha256(DAGSTER_YAML_F2529E0.encode()).hexdigest() in PREVIOUS_SHIPPED_DIGESTS
    assert hashlib.sha256(SHIPPED).hexdigest() not in PREVIOUS_SHIPPED_DIGESTS

    new = tmp_path / "new"
    assert prepare_home(new) is None and (new / "dagster.yaml").read_bytes() == SHIPPED

    old = tmp_path / "old"
    old.mkdir()
    (old / "dagster.yaml").write_text(DAGSTER_YAML_F2529E0)
    assert "upgraded" in prepare_home(old)
    assert (old / "dagster.yaml").read_bytes() == SHIPPED
    assert prepare_home(old) is None  # already current

    edited = tmp_path / "edited"
    edited.mkdir()
    (edited / "dagster.yaml").write_text(SHIPPED.decode() + "run_monitoring:\n  enabled: true\n")
    assert prepare_home(edited) is None
    assert (edited / "dagster.yaml").read_text().endswith("enabled: true\n")


def test_an_edited_home_naming_the_removed_storage_is_refused_with_what_to_change(tmp_path, statmon, statmon_env,
                                                                                  demo_raw):
    home = tmp_path / "dagster_home"
    home.mkdir()
    edited = DAGSTER_YAML_F2529E0.replace("max_concurrent_runs: 1", "max_concurrent_runs: 1\n  # ours")
    (home / "dagster.yaml").write_text(edited)
    with pytest.raises(DagsterHomeError, match="orchestration.event_log_storage.*remove its `event_log_storage:` block"):
        prepare_home(home)
    assert (home / "dagster.yaml").read_text() == edited  # theirs: not touched

    result = statmon("run", "--raw-dir", str(demo_raw), "--warehouse", str(tmp_path / "w.duckdb"),
                     env=statmon_env(tmp_path))
    assert result.returncode == 2
    assert "names orchestration.event_log_storage, which this version no longer has" in result.stderr
    assert not (tmp_path / "w.duckdb").exists()


def test_an_old_home_is_upgraded_by_statmon_run_and_keeps_its_history(pipeline_run, statmon, tmp_path):
    """A home with the shipped f2529e0 dagster.yaml: `statmon run` upgrades it and runs; the runs
    recorded before are still there (the event log is Dagster's SQLite storage either way)."""
    home = tmp_path / "dagster_home"
    shutil.copytree(pipeline_run["env"]["DAGSTER_HOME"], home)
    (home / "dagster.yaml").write_text(DAGSTER_YAML_F2529E0)
    warehouse = tmp_path / "warehouse" / "monitor.duckdb"
    shutil.copytree(pipeline_run["warehouse"].parent, warehouse.parent)
    env = {**pipeline_run["env"], "DAGSTER_HOME": str(home), "STATMON_REPORTS_DIR": str(tmp_path / "reports")}
    result = statmon("run", "--raw-dir", str(pipeline_run["raw"]), "--warehouse", str(warehouse), "--month", "2018-02",
                     env=env)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    assert "upgraded to the current orchestration/dagster.yaml" in result.stderr
    assert (home / "dagster.yaml").read_bytes() == SHIPPED
    code = ("import dagster as dg, json; i = dg.DagsterInstance.get(); "
            "print(json.dumps([type(i.event_log_storage).__name__, len(i.get_run_records())]))")
    storage, runs = json.loads(subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                                              check=True).stdout)
    assert storage == "SqliteEventLogStorage" and runs >= 2


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _graphql(port: int, query: str) -> dict:
    request = urllib.request.Request(f"http://127.0.0.1:{port}/graphql", data=json.dumps({"query": query}).encode(),
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["data"]


@pytest.fixture
def webserver(pipeline_run, tmp_path):
    """dagster-webserver on the Dagster home of `statmon run` (no code location: runs and event
    logs come from the instance's storage alone)."""
    workspace = tmp_path / "workspace.yaml"
    workspace.write_text("load_from: []\n")
    port = _free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("dagster-webserver")), "-w", str(workspace), "-h", "127.0.0.1", "-p", str(port)],
        env={**pipeline_run["env"]}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
    )
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/server_info", timeout=2)
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"dagster-webserver did not start: {process.stderr.read()}") from None
                time.sleep(0.5)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def test_webserver_reads_the_runs_and_event_logs_statmon_run_wrote(pipeline_run, webserver):
    assert pipeline_run["result"].returncode == 0
    runs = _graphql(webserver, "{ runsOrError { ... on Runs { results { runId status jobName } } } }")["runsOrError"]["results"]
    first = runs[-1]
    assert first["jobName"] == "monthly_refresh" and first["status"] == "SUCCESS"
    logs = _graphql(webserver, '{ logsForRun(runId: "%s") { ... on EventConnection { events { __typename } } } }'
                    % first["runId"])["logsForRun"]["events"]
    kinds = [e["__typename"] for e in logs]
    assert kinds.count("MaterializationEvent") >= 5 and "RunSuccessEvent" in kinds
    assets = _graphql(webserver, "{ assetsOrError { ... on AssetConnection { nodes { key { path } } } } }")
    assert ["marts", "caseload_monthly"] in [n["key"]["path"] for n in assets["assetsOrError"]["nodes"]]
