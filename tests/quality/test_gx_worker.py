"""The GX worker process (orchestration/quality/gx_worker.py): it gives exactly what GX gives in
this process, on real demo deliveries; a worker that dies gives a clear error, not a hang; and
no worker outlives its parent (normal exit, `statmon run` refusing to start, a killed run)."""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from orchestration.ingest import ensure_landing_schema, ingest_month
from orchestration.quality import data_docs, file_rules, gx_runner, gx_worker
from orchestration.quality.tables import ensure_quality_tables

KINDS = ("uitkeringen", "brp", "klantbeeld", "formatie", "trajecten")
KEY = b"test-key-not-secret"
# What GX writes differently at every build, in-process too: the build time in its logo's URL and
# random UUIDs (context id, ids of collapsible page elements).
BUILD_STAMP = re.compile(r"\?d=\d{8}T\d{6}\.\d+Z|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
STATMON = str(Path(sys.executable).with_name("statmon"))


@pytest.fixture(scope="module")
def demo_warehouse(tmp_path_factory) -> Path:
    """Two months of real demo deliveries, ingested (parsed and landed) the way the pipeline does."""
    from orchestration.demo import generate

    tmp = tmp_path_factory.mktemp("gx_worker")
    raw = tmp / "raw"
    generate(raw, scale=0.1, seed=11, start="2018-01", end="2018-02")
    path = tmp / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    ensure_landing_schema(con)
    ensure_quality_tables(con)
    for month in ("2018-01", "2018-02"):
        for kind in KINDS:
            ingest_month(con, raw, month, kind, KEY)
    con.close()
    return path


@pytest.fixture
def warehouse(demo_warehouse):
    con = duckdb.connect(str(demo_warehouse))
    yield con
    con.close()


def row_rule_jobs(con, kind: str, month: str) -> list[tuple]:
    """The jobs validate_parsed_batch hands the worker, built the same way."""
    suite_dict = gx_runner.load_suite_dict(gx_runner.row_rules_path(kind))
    columns = ", ".join(f'"{c}"' for c in gx_runner.batch_columns(con, f"parsed.{kind}", suite_dict))
    return [
        (suite_dict,
         gx_runner.arrow_of(con, f"SELECT {columns} FROM parsed.{kind} WHERE source = ? AND CAST(delivery_month AS DATE) = ? "
                                 "ORDER BY row_number", [source, gx_runner.month_start(m)]),
         f"parsed_{kind}", gx_runner.suite_parameters(suite_dict, kind, m), source, m)
        for source, m in gx_runner.batches_of(con, f"parsed.{kind}", [month])
    ]


def file_rule_jobs(con, kind: str, month: str) -> list[tuple]:
    suite_dict = gx_runner.load_suite_dict(file_rules.FILE_RULES_DIR / f"{kind}.json")
    columns = ", ".join(f'"{c}"' for c in gx_runner.batch_columns(con, f"landing.{kind}", suite_dict))
    jobs = []
    for source, m in gx_runner.batches_of(con, f"landing.{kind}", [month]):
        bounds = file_rules.row_count_bounds(con, kind, source, m)
        jobs.append((suite_dict,
                     gx_runner.arrow_of(con, f"SELECT {columns} FROM landing.{kind} WHERE source = ? AND delivery_month = ?::DATE",
                                        [source, f"{m}-01"]),
                     f"landing_{kind}", {"row_count_min": bounds["row_count_min"], "row_count_max": bounds["row_count_max"]},
                     source, m))
    return jobs


def comparable(result_json: str) -> dict:
    """GX's result without what differs from one validation to the next (times, run and ids)."""
    result = json.loads(result_json)
    for volatile in ("validation_time", "run_id"):
        result["meta"].pop(volatile, None)
    result["meta"].get("batch_markers", {}).pop("ge_load_time", None)
    for item in result["results"]:
        item["expectation_config"].pop("id", None)
    result.pop("id", None)
    return result


def test_worker_results_equal_in_process_gx_on_real_deliveries(warehouse):
    jobs = [job for kind in KINDS for job in row_rule_jobs(warehouse, kind, "2018-02") + file_rule_jobs(warehouse, kind, "2018-02")]
    assert len(jobs) >= 2 * len(KINDS)  # every kind delivered; trajecten once per partner
    in_process = [gx_runner.validate_arrow_batch(*job) for job in jobs]  # GX in this test's process
    via_worker = list(gx_runner.validate_batches(jobs))
    assert os.getpid() not in gx_worker.worker_pids() and gx_worker.worker_pids()
    assert len(via_worker) == len(in_process)
    for here, there in zip(in_process, via_worker):
        assert (there.source, there.month, there.suite_name, there.rows) == (here.source, here.month, here.suite_name, here.rows)
        assert there.outcomes == here.outcomes
        assert comparable(there.result_json) == comparable(here.result_json)
    # the data is real enough to fail some expectations, and GX counted rows
    outcomes = [o for v in via_worker for o in v.outcomes]
    assert any(not o.success for o in outcomes) and any(o.success for o in outcomes)
    assert all(v.rows > 0 for v in via_worker)


def test_stored_expectation_rows_equal_in_process_results(warehouse):
    stored_columns = "suite_name, expectation_type, column_name, rule, severity, success, element_count, unexpected_count, detail"
    outcomes = gx_runner.validate_parsed_batch(warehouse, "uitkeringen", ["2018-02"])
    file_rules.run_file_rules(warehouse, "uitkeringen", ["2018-02"])
    stored = warehouse.execute(
        f"SELECT {stored_columns} FROM landing.expectation_results WHERE source = 'uitkeringen' AND delivery_month = '2018-02-01' "
        "ORDER BY ALL").fetchall()
    expected = sorted(
        (v.suite_name, o.expectation_type, o.column, o.rule, o.severity, o.success, o.element_count, o.unexpected_count, o.detail)
        for job in row_rule_jobs(warehouse, "uitkeringen", "2018-02") + file_rule_jobs(warehouse, "uitkeringen", "2018-02")
        for v in [gx_runner.validate_arrow_batch(*job)] for o in v.outcomes
    )
    assert stored == expected
    assert len(outcomes) == len([row for row in stored if not row[0].startswith("file_rules.")])


def test_data_docs_written_by_the_worker_equal_the_in_process_ones(warehouse, tmp_path):
    gx_runner.validate_parsed_batch(warehouse, "brp", ["2018-02"])
    file_rules.run_file_rules(warehouse, "brp", ["2018-02"])
    index = data_docs.build_data_docs(warehouse, "2018-02", tmp_path / "worker")
    rows = warehouse.execute(
        "SELECT source, suite_name, result_json, validated_at FROM landing.gx_validation_results "
        "WHERE delivery_month = '2018-02-01' ORDER BY suite_name, source").fetchall()
    data_docs.write_data_docs(rows, "2018-02", tmp_path / "here")  # GX in this process

    def files(root: Path) -> dict[str, str]:
        return {str(p.relative_to(root)): BUILD_STAMP.sub("", p.read_text(encoding="utf-8")) for p in sorted(root.rglob("*.html"))}

    worker_files, here_files = files(tmp_path / "worker"), files(tmp_path / "here")
    assert index == tmp_path / "worker" / "gx" / "uncommitted" / "data_docs" / "local_site" / "index.html"
    assert set(worker_files) == set(here_files) and len(worker_files) >= 4
    differing = [name for name in worker_files if worker_files[name] != here_files[name]]
    assert differing == []


def _raises_within(seconds: float, function, *args):
    """The exception `function(*args)` raises, failing the test if it has not returned in time."""
    outcome: dict = {}

    def target():
        try:
            outcome["value"] = function(*args)
        except BaseException as exc:  # noqa: BLE001 (the test inspects it)
            outcome["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"still waiting after {seconds} s: a dead worker must not hang the caller"
    assert "error" in outcome, f"expected an error, got {outcome.get('value')!r}"
    return outcome["error"]


def test_a_worker_that_dies_mid_task_is_a_clear_error_and_the_next_call_gets_a_new_one(warehouse):
    gx_worker.wait_until_ready()
    (old_pid,) = gx_worker.worker_pids()
    # A validation queued behind a long task; the worker is killed while busy with it.
    busy = gx_worker.submit(time.sleep, 60)
    time.sleep(0.5)
    threading.Timer(1.0, os.kill, (old_pid, signal.SIGKILL)).start()
    error = _raises_within(30, gx_runner.validate_parsed_batch, warehouse, "uitkeringen", ["2018-02"])
    assert isinstance(error, gx_worker.GXWorkerCrashed)
    assert "worker process died (exit code -9) while validating uitkeringen 2018-02 (landing_uitkeringen_rows)" in str(error)
    with pytest.raises(gx_worker.GXWorkerCrashed):
        gx_worker.result(busy, "sleeping")
    # the next use starts a fresh worker and validates as before
    outcomes = gx_runner.validate_parsed_batch(warehouse, "uitkeringen", ["2018-02"])
    assert outcomes and gx_worker.worker_pids() != [old_pid]


def test_a_task_that_kills_its_worker_and_an_error_raised_in_the_worker(warehouse):
    error = _raises_within(30, gx_worker.call, os._exit, 3)
    assert isinstance(error, gx_worker.GXWorkerCrashed) and "exit code 3" in str(error)
    # an ordinary exception in a task is raised as is, and the worker survives it
    gx_worker.wait_until_ready()
    pid = gx_worker.worker_pids()
    with pytest.raises(FileNotFoundError):
        gx_worker.call(gx_runner.load_suite_dict, Path("/nonexistent/suite.json"))
    assert gx_worker.worker_pids() == pid


# ------------------------------------------------------------------------------ no orphans


def children_of(pid: int) -> set[int]:
    """The child processes of `pid`, from /proc."""
    found = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found |= {int(c) for c in (task / "children").read_text().split()}
        except (FileNotFoundError, ProcessLookupError):
            pass
    return found


def is_gx_worker(pid: int) -> bool:
    try:
        return b"multiprocessing.spawn" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except (FileNotFoundError, ProcessLookupError):
        return False


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def wait_gone(pids: set[int], seconds: float) -> set[int]:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and any(alive(p) for p in pids):
        time.sleep(0.1)
    return {p for p in pids if alive(p)}


def watch_workers(process: subprocess.Popen, until=lambda workers: False) -> set[int]:
    """The GX worker pids the process started, seen while it runs (until it exits or `until`)."""
    workers: set[int] = set()
    while process.poll() is None:
        workers |= {c for c in children_of(process.pid) if is_gx_worker(c)}
        if until(workers):
            break
        time.sleep(0.05)
    return workers


def test_worker_ends_with_a_process_that_exits_before_using_it():
    script = ("import time; from orchestration.quality import gx_worker; gx_worker.start(); time.sleep(1); "
              "print(time.monotonic(), flush=True)")
    process = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    workers = watch_workers(process)
    exited = time.monotonic()
    assert workers, "the worker was never seen"
    assert wait_gone(workers, 10) == set()
    # terminated at exit, not waited for while it imports GX (~5-8 s)
    assert exited - float(process.stdout.read()) < 2.5


def test_worker_ends_when_its_parent_is_killed():
    script = "from orchestration.quality import gx_worker; gx_worker.wait_until_ready(); import time; time.sleep(120)"
    process = subprocess.Popen([sys.executable, "-c", script])
    workers = watch_workers(process, until=lambda w: bool(w))
    time.sleep(1)
    process.kill()
    process.wait(10)
    assert workers and wait_gone(workers, 10) == set()


def test_no_worker_left_after_statmon_run(tmp_path):
    """A real `statmon run` of one demo month (GX validations and Data Docs in the worker); a run
    killed with SIGKILL; a run that refuses to start because another holds the warehouse lock."""
    from orchestration.demo import generate

    raw = tmp_path / "raw"
    generate(raw, scale=0.1, seed=5, start="2018-01", end="2018-01")
    warehouse = tmp_path / "warehouse" / "monitor.duckdb"
    env = {k: v for k, v in os.environ.items() if k != "STATMON_PSEUDONYM_KEY"}
    env.update(DAGSTER_HOME=str(tmp_path / "dagster_home"), STATMON_REPORTS_DIR=str(tmp_path / "reports"))
    process = subprocess.Popen([STATMON, "run", "--raw-dir", str(raw), "--warehouse", str(warehouse)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    workers = watch_workers(process)
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, out + err[-3000:]
    assert (warehouse.parent / "data_docs" / "2018-01" / "index.html").exists()
    assert len(workers) == 1, workers  # one worker for the whole run
    assert wait_gone(workers, 5) == set()
    assert not [c for c in children_of(os.getpid()) if is_gx_worker(c) and c not in gx_worker.worker_pids()]

    # A run killed outright (kill -9, the OOM killer): its worker notices and exits.
    process = subprocess.Popen([STATMON, "run", "--raw-dir", str(raw), "--warehouse", str(warehouse)], env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    workers = watch_workers(process, until=lambda w: bool(w))
    time.sleep(2)
    process.kill()
    process.wait(10)
    assert workers and wait_gone(workers, 10) == set()

    # A run that cannot start (the warehouse is locked) ends its worker at once.
    from orchestration.run import single_run_lock

    with single_run_lock(warehouse):
        process = subprocess.Popen([STATMON, "run", "--raw-dir", str(raw), "--warehouse", str(warehouse)], env=env,
                                   stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        workers = watch_workers(process)
        out, err = process.communicate(timeout=120)
    assert process.returncode == 2 and "another run" in err
    assert wait_gone(workers, 5) == set()



# ------------------------------------------------------------- validation started at landing


def stored_rows(con, suite_name: str) -> list[tuple]:
    return con.execute(
        "SELECT source, delivery_month, expectation_type, column_name, rule, success, element_count, unexpected_count, detail "
        "FROM landing.expectation_results WHERE suite_name = ? ORDER BY ALL", [suite_name]).fetchall()


def test_validation_started_at_landing_is_collected_by_the_check_with_the_same_results(warehouse):
    suite_name = gx_runner.load_suite_dict(gx_runner.row_rules_path("trajecten"))["name"]
    expected_outcomes = gx_runner.validate_parsed_batch(warehouse, "trajecten", ["2018-02"])  # validated by the check itself
    expected_rows = stored_rows(warehouse, suite_name)

    assert gx_runner.start_parsed_batch_validation(warehouse, "trajecten", ["2018-02"])  # what the landing step does
    started = next(v for k, v in gx_runner._STARTED.items() if k[1:] == ("trajecten", ("2018-02",)))
    assert len(started[2]) == len(gx_runner.batches_of(warehouse, "parsed.trajecten", ["2018-02"])) >= 2  # one per partner
    assert gx_runner.validate_parsed_batch(warehouse, "trajecten", ["2018-02"]) == expected_outcomes
    assert all(future.done() for future, _ in started[2])  # collected, not validated again
    assert stored_rows(warehouse, suite_name) == expected_rows
    assert not [k for k in gx_runner._STARTED if k[1] == "trajecten"]


def test_a_started_validation_for_other_batches_is_not_used(warehouse, tmp_path):
    """Started for 2018-01 and 2018-02, checked for 2018-02 only: the check validates itself."""
    expected = gx_runner.validate_parsed_batch(warehouse, "brp", ["2018-02"])
    gx_runner.start_parsed_batch_validation(warehouse, "brp", ["2018-01", "2018-02"])
    assert gx_runner.validate_parsed_batch(warehouse, "brp", ["2018-02"]) == expected
    # a validation started on another warehouse is never collected here
    other = duckdb.connect(str(tmp_path / "other.duckdb"))
    ensure_landing_schema(other)
    assert not gx_runner.start_parsed_batch_validation(other, "brp", ["2018-02"])  # nothing parsed there
    other.close()
