"""`statmon run`: one Dagster run of the monthly graph over the months found in raw/ (or one
month), in this process (`execute_in_process`), with the Dagster instance of the warehouse's
Dagster home (orchestration/dagster_home.py), so the UI shows the same runs. dbt runs as
dagster-dbt starts it: a `dbt build` subprocess of the dbt step (orchestration/assets/dbt.py).
Prints a summary per month and returns the exit status:
0 = done; 1 = a blocking (`error`) check failed or a step failed; 2 = nothing could start
(no months, no pseudonym key, another run in progress, a Dagster home it cannot use, a dbt
project dbt cannot parse)."""
from __future__ import annotations

import datetime as dt
import fcntl
import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from orchestration import config


class RunInProgress(RuntimeError):
    pass


@contextmanager
def single_run_lock(warehouse: Path):
    """DuckDB has one writing process: a second run waits for nothing, it refuses to start."""
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    lock_path = warehouse.parent / f".{warehouse.name}.run.lock"
    with open(lock_path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise RunInProgress(f"another run is writing {warehouse}; try again when it has finished") from None
        handle.write(str(os.getpid()))
        handle.flush()
        yield


def select_months(raw_dir: Path, month: str | None) -> tuple[list[str], list[str]]:
    """The months of this run (oldest first) and messages about folders that were skipped."""
    from orchestration.sources.ingest import find_months

    months, messages = find_months(raw_dir)
    messages = list(messages)
    too_early = [m for m in months if m < config.FIRST_MONTH]
    messages += [f"{raw_dir / m}: before {config.FIRST_MONTH}, the first month the monitor follows; skipped" for m in too_early]
    months = [m for m in months if m >= config.FIRST_MONTH]
    if month:
        months = [m for m in months if m == month]
    # Files no registry source picks up are never read: say so, a steward may have misspelt one.
    from orchestration.sources.ingest import unmatched_files

    for m in months:
        messages += unmatched_files(raw_dir, m)
    return months, messages


def run_pipeline(raw_dir: Path, warehouse: Path, month: str | None = None, out=sys.stdout) -> int:
    started = time.perf_counter()
    raw_dir, warehouse = raw_dir.resolve(), warehouse.resolve()
    os.environ["STATMON_RAW_DIR"], os.environ["STATMON_WAREHOUSE"] = str(raw_dir), str(warehouse)
    if not raw_dir.is_dir():
        print(f"statmon run: {raw_dir} is not a directory", file=sys.stderr)
        return 2
    months, messages = select_months(raw_dir, month)
    for message in messages:
        print(f"skipped: {message}", file=sys.stderr)
    if not months:
        wanted = f"folder for month {month}" if month else "month folder (YYYY-MM)"
        print(f"statmon run: {raw_dir} has no {wanted} to process", file=sys.stderr)
        return 2

    from orchestration.pseudonym import PseudonymKeyMissing, resolve_key

    try:
        _key, mode = resolve_key(raw_dir, warehouse)
    except PseudonymKeyMissing as exc:
        print(f"statmon run: {exc}", file=sys.stderr)
        return 2
    if mode == "demo":
        print("demo data: no STATMON_PSEUDONYM_KEY set, using the local demo key beside the warehouse", file=sys.stderr)

    from orchestration.dagster_home import DagsterHomeError, use_home

    try:
        use_home(warehouse)
    except DagsterHomeError as exc:
        print(f"statmon run: {exc}", file=sys.stderr)
        return 2
    run_started_utc = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)
    try:
        with single_run_lock(warehouse):
            result = _execute(warehouse, months)
    except RunInProgress as exc:
        print(f"statmon run: {exc}", file=sys.stderr)
        return 2
    if result is None:
        return 2
    status = _report(result, warehouse, months, time.perf_counter() - started, out)
    from orchestration import build_record

    if status == 0 and build_record.skipped_build_since(warehouse, run_started_utc):
        print(build_record.NO_NEW_DATA, file=out)
    return status


def _execute(warehouse: Path, months: list[str]):
    """One Dagster run of the monthly job over `months`, in this process; None when dbt could not
    parse the project (its messages are on stderr)."""
    # dbt parses the project into this warehouse's target path (only what changed since its last
    # parse there) on the other core while this process imports Dagster; the definitions read
    # the manifest it writes.
    from orchestration import dbt_manifest

    parse = dbt_manifest.start_parse(warehouse)
    import dagster as dg

    try:
        dbt_manifest.finish_parse(parse)
    except dbt_manifest.DbtParseError as exc:
        print(f"statmon run: {exc}; nothing ran", file=sys.stderr)
        return None
    from orchestration.definitions import defs
    from orchestration.partitions import run_tags_for_months

    job = defs.resolve_job_def("monthly_refresh")
    # The console shows INFO and up (STATMON_LOG_LEVEL=DEBUG for every Dagster event); the event
    # log in DAGSTER_HOME keeps everything whatever the console shows.
    log_level = os.environ.get("STATMON_LOG_LEVEL", "INFO").upper()
    return job.execute_in_process(
        instance=dg.DagsterInstance.get(),
        tags=run_tags_for_months([months[0], months[-1]] if len(months) > 1 else months),
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        raise_on_error=False,
    )


def _report(result, warehouse: Path, months: list[str], seconds: float, out) -> int:
    import dagster as dg

    failed_checks = []
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                failed_checks.append((evaluation.asset_key.to_user_string(), evaluation.check_name, evaluation.severity.value))
    failed_steps = [e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]

    con = _open_when_free(warehouse)
    if con is None:
        print(f"(no per-month summary: {warehouse} is still locked by another process)", file=out)
        rows, issues = [], {}
    else:
        try:
            rows, issues = _monthly_summary(con, months), _failed_expectations_per_month(con, months)
        finally:
            con.close()

    print(f"{'month':<8} {'loaded':>9} {'quarantined':>12} {'failed files':>13} {'failed expectations':>20}", file=out)
    for month, loaded, quarantined, files_failed, failed_sources in rows:
        line = f"{month:<8} {loaded:>9} {quarantined:>12} {files_failed:>13} {issues.get(month, 0):>20}"
        print(line + (f"  ({failed_sources})" if failed_sources else ""), file=out)
    errors = [c for c in failed_checks if c[2] == "ERROR"]
    for asset, check, severity in failed_checks:
        print(f"check failed [{severity.lower()}]: {asset} {check}", file=out)
    for step in failed_steps:
        print(f"step failed: {step}", file=out)
    status = 1 if (errors or failed_steps or not result.success) else 0
    verdict = "ok" if status == 0 else "FAILED (blocking check or step failed)"
    print(f"run {result.run_id[:8]}: {len(months)} month(s) in {seconds:.1f} s: {verdict}", file=out)
    return status


def _monthly_summary(con, months: list[str]) -> list[tuple]:
    """Per month: rows loaded, rows quarantined, files failed and which sources failed."""
    return con.execute(
        """
        select strftime(delivery_month, '%Y-%m') as month,
               coalesce(sum(rows_loaded) filter (where status = 'loaded'), 0),
               coalesce(sum(rows_quarantined) filter (where status = 'loaded'), 0),
               count(*) filter (where status = 'failed'),
               coalesce(string_agg(source, ', ' order by source) filter (where status = 'failed'), '')
        from landing.deliveries
        where strftime(delivery_month, '%Y-%m') between ? and ?
        group by 1 order by 1
        """,
        [months[0], months[-1]],
    ).fetchall()


def _open_when_free(warehouse: Path, seconds: float = 30.0):
    """Open the warehouse read-only once the run's last writer (a dbt subprocess that outlives a
    failed step, for example) has let go of it; None when it does not within `seconds`."""
    import duckdb

    deadline = time.monotonic() + seconds
    while True:
        try:
            return duckdb.connect(str(warehouse), read_only=True)
        except duckdb.IOException:
            if time.monotonic() > deadline:
                return None
            time.sleep(0.5)


def _failed_expectations_per_month(con, months: list[str]) -> dict[str, int]:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_schema = 'landing' and table_name = 'expectation_results'"
    ).fetchone()[0]
    if not exists:
        return {}
    return dict(
        con.execute(
            """select strftime(delivery_month, '%Y-%m'), count(*) filter (where not success)
               from landing.expectation_results where strftime(delivery_month, '%Y-%m') between ? and ?
               group by 1""",
            [months[0], months[-1]],
        ).fetchall()
    )
