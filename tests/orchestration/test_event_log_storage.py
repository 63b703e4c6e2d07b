"""The pooled SQLite event log (orchestration/event_log_storage.py) and the Dagster home that
uses it: same files as Dagster's own storage, the UI's live watcher still sees every event,
the webserver reads the runs `statmon run` wrote, and old homes are upgraded only when unedited."""
import hashlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from dagster._core.events import DagsterEvent, DagsterEventType, EngineEventData
from dagster._core.events.log import EventLogEntry
from dagster._core.storage.event_log import SqliteEventLogStorage

from orchestration.event_log_storage import PooledSqliteEventLogStorage

REPO = Path(__file__).resolve().parents[2]

# orchestration/dagster.yaml as shipped in commit 54fb035, the version before the pooled event log.
DAGSTER_YAML_54FB035 = """\
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
"""


def _event(run_id: str, message: str) -> EventLogEntry:
    return EventLogEntry(
        error_info=None, level=20, user_message=message, run_id=run_id, timestamp=time.time(),
        step_key=None, job_name="monthly_refresh",
        dagster_event=DagsterEvent(DagsterEventType.ENGINE_EVENT.value, "monthly_refresh",
                                   event_specific_data=EngineEventData()),
    )


def _messages(storage, run_id: str) -> list[str]:
    return [r.event_log_entry.user_message for r in storage.get_records_for_run(run_id).records]


def test_history_written_by_dagsters_storage_stays_readable_and_vice_versa(tmp_path):
    old = SqliteEventLogStorage(str(tmp_path))
    for i in range(3):
        old.store_event(_event("run-a", f"old {i}"))
    pooled = PooledSqliteEventLogStorage(str(tmp_path))
    assert _messages(pooled, "run-a") == ["old 0", "old 1", "old 2"]
    for i in range(3):
        pooled.store_event(_event("run-b", f"new {i}"))
    pooled.dispose()
    assert _messages(SqliteEventLogStorage(str(tmp_path)), "run-b") == ["new 0", "new 1", "new 2"]


def test_connections_run_with_synchronous_normal_and_one_engine_per_shard(tmp_path):
    storage = PooledSqliteEventLogStorage(str(tmp_path))
    for i in range(5):
        storage.store_event(_event("run-a", f"e{i}"))
    with storage.run_connection("run-a") as conn:
        # 1 = NORMAL (SQLite's default is 2 = FULL: an fsync per commit)
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 1
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    assert set(storage._engines) <= {"run-a", "index"} and "run-a" in storage._engines
    storage.dispose()
    assert storage._engines == {}


def test_threads_store_events_concurrently_without_loss(tmp_path):
    storage = PooledSqliteEventLogStorage(str(tmp_path))

    def write(thread: int):
        for i in range(25):
            storage.store_event(_event("run-a", f"{thread}-{i}"))

    threads = [threading.Thread(target=write, args=(t,)) for t in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(_messages(storage, "run-a")) == 100
    storage.dispose()


def test_watcher_in_another_storage_sees_every_event_of_a_pooled_writer(tmp_path):
    """The UI watches a run while another process writes it. A pooled writer keeps its connection
    open, so its commits stay in the -wal file: Dagster's own watcher (on <run>.db only) sees none."""
    writer = PooledSqliteEventLogStorage(str(tmp_path))
    writer.store_event(_event("run-a", "m0"))
    watcher = PooledSqliteEventLogStorage(str(tmp_path))
    seen: list[str] = []
    watcher.watch("run-a", None, lambda entry, cursor: seen.append(entry.user_message))
    try:
        time.sleep(0.3)  # the observer thread is watching
        for i in range(1, 11):
            writer.store_event(_event("run-a", f"m{i}"))
            time.sleep(0.02)
        deadline = time.monotonic() + 10
        while len(seen) < 11 and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        watcher.dispose()
        writer.dispose()
    assert seen == [f"m{i}" for i in range(11)]


def test_shipped_dagster_yaml_uses_the_pooled_storage_where_the_default_kept_the_log(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "dagster.yaml").write_bytes((REPO / "orchestration" / "dagster.yaml").read_bytes())
    code = ("import dagster as dg; i = dg.DagsterInstance.get(); s = i.event_log_storage; "
            "print(type(s).__name__, s._base_dir)")
    out = subprocess.run([sys.executable, "-c", code], env={**os.environ, "DAGSTER_HOME": str(home)},
                         capture_output=True, text=True, check=True).stdout.split()
    assert out == ["PooledSqliteEventLogStorage", str(home / "history" / "runs")]


def test_an_unedited_old_dagster_yaml_is_upgraded_an_edited_one_kept(tmp_path):
    from orchestration.dagster_home import PREVIOUS_SHIPPED_DIGESTS, prepare_home

    shipped = (REPO / "orchestration" / "dagster.yaml").read_bytes()
    assert hashlib.sha256(DAGSTER_YAML_54FB035.encode()).hexdigest() in PREVIOUS_SHIPPED_DIGESTS
    assert hashlib.sha256(shipped).hexdigest() not in PREVIOUS_SHIPPED_DIGESTS

    new = tmp_path / "new"
    assert prepare_home(new) is None and (new / "dagster.yaml").read_bytes() == shipped

    old = tmp_path / "old"
    old.mkdir()
    (old / "dagster.yaml").write_text(DAGSTER_YAML_54FB035)
    assert "upgraded" in prepare_home(old)
    assert (old / "dagster.yaml").read_bytes() == shipped
    assert prepare_home(old) is None  # already current

    edited = tmp_path / "edited"
    edited.mkdir()
    (edited / "dagster.yaml").write_text(DAGSTER_YAML_54FB035 + "run_monitoring:\n  enabled: true\n")
    assert prepare_home(edited) is None
    assert (edited / "dagster.yaml").read_text().endswith("enabled: true\n")


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


def test_statmon_run_exit_closes_the_event_log(pipeline_run):
    """`statmon run` leaves without the interpreter's teardown, but its exit handlers run: the
    event log's connections are closed, which checkpoints each shard's WAL into its .db file."""
    runs_dir = Path(pipeline_run["env"]["DAGSTER_HOME"]) / "history" / "runs"
    assert pipeline_run["result"].returncode == 0
    assert list(runs_dir.glob("*.db")), "no event log written"
    assert not [p.name for p in runs_dir.glob("*.db-wal") if p.stat().st_size > 0]
