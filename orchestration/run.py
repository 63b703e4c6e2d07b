"""`statmon run`: one Dagster run of the monthly graph over the months found in raw/ (or one
month), in this process (`execute_in_process`), with the Dagster instance of the warehouse's
Dagster home (orchestration/dagster_home.py), so the UI shows the same runs. dbt runs as
dagster-dbt starts it: a `dbt build` subprocess of the dbt step (orchestration/assets/dbt.py).
Prints a summary per month (its state as the publication gate sees it: published, waiting for its
benefits delivery, blocked by an error; what a steward must act on) and returns the exit status:
0 = done (months waiting for their benefits delivery and warnings included); 1 = a month is
blocked by an `error` or a step failed; 2 = nothing could start (no months, no pseudonym key,
another run in progress, a Dagster home it cannot use, a dbt project dbt cannot parse)."""
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
            result = _execute(raw_dir, warehouse, months)
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


def _execute(raw_dir: Path, warehouse: Path, months: list[str]):
    """One Dagster run of the monthly job over `months`, in this process; None when dbt could not
    parse the project (its messages are on stderr)."""
    # dbt parses the project into this warehouse's target path (only what changed since its last
    # parse there) on the other core while this process prepares what the run needs anyway:
    # Dagster, dagster-dbt and the Dagster instance, and GX (~2 s to import) when a delivery is
    # new, since the file-level suites will validate it (orchestration/quality/gx.py). Without that
    # the ~2.5 s parse would be waited out. The definitions read the manifest the parse writes.
    from orchestration import dbt_manifest
    from orchestration.sources.ingest import unseen_files

    parse = dbt_manifest.start_parse(warehouse)
    import dagster as dg
    import dagster_dbt  # noqa: F401  (the definitions use it)

    instance = dg.DagsterInstance.get()
    if unseen_files(raw_dir, warehouse, months):
        import great_expectations  # noqa: F401
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
        instance=instance,
        tags=run_tags_for_months([months[0], months[-1]] if len(months) > 1 else months),
        run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
        raise_on_error=False,
    )


def _report(result, warehouse: Path, months: list[str], seconds: float, out) -> int:
    """Print the run's summary and return its exit status. The month lines are read from the state
    the publication gate reads (orchestration/quality/month_state.py, blocking.py) and from the
    publication BI readers see, so what is printed, the exit status, the checks and the publication
    agree: 1 when a step failed or a month is blocked by an `error` (it and later months are not
    published); a month waiting for its benefits delivery, or a warning (a corrupt re-delivery whose
    earlier version stays in force, a late partner), is not a failure."""
    import dagster as dg

    failed_checks = []
    for event in result.all_events:
        if event.event_type == dg.DagsterEventType.ASSET_CHECK_EVALUATION:
            evaluation = event.event_specific_data
            if not evaluation.passed:
                failed_checks.append((evaluation.asset_key.to_user_string(), evaluation.check_name, evaluation.severity.value))
    failed_steps = [e.step_key for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]

    from orchestration.partitions import monthly_partitions

    # every month of the run's range (its partitions): a month inside it without a folder is looked at too
    months = monthly_partitions.get_partition_keys_in_range(dg.PartitionKeyRange(months[0], months[-1]))
    published = _published_through(warehouse)
    reports, gate = [], published
    con = _open_when_free(warehouse)
    if con is None:
        print(f"(no per-month summary: {warehouse} is still locked by another process)", file=out)
    else:
        try:
            from orchestration.quality.blocking import blocking_reasons, publishable_through, waiting_months
            from orchestration.quality.month_state import month_reports

            gate = publishable_through(con)
            # the months outside the run that hold the publication back
            held = {*blocking_reasons(con), *waiting_months(con)} - set(months)
            reports = month_reports(con, sorted({*months, *held}), published)
        finally:
            con.close()

    print(f"{'month':<8} {'rows in force':>13} {'quarantined':>12}  state", file=out)
    for r in reports:
        if r.month in months:
            print(f"{r.month:<8} {r.rows_loaded:>13} {r.rows_quarantined:>12}  {_month_state(r)}", file=out)
    for r in reports:
        where = r.month if r.month in months else f"{r.month} (not in this run)"
        for reason in r.blocked:
            print(f"{where}: blocked [error]: {reason}", file=out)
        if r.waiting_for:
            print(f"{where}: waiting for {', '.join(r.waiting_for)}: not published until the benefits delivery arrives",
                  file=out)
        if r.missing:
            print(f"{where}: no delivery yet from {', '.join(r.missing)}", file=out)
        consequence = f"{r.month} stays published" if r.published else f"{r.month} is not published"
        for message in r.failed:
            print(f"{where}: {message.rstrip('.')}; {consequence}", file=out)
        if len(r.gone) == 1:
            print(f"{where}: {next(iter(r.gone.values())).rstrip('.')}; {consequence}", file=out)
        elif r.gone:
            print(f"{where}: the files loaded for {', '.join(r.gone)} are no longer in raw/{r.month}/: the versions "
                  f"loaded earlier stay in force; put them back (a rebuild from raw/ would lose them); {consequence}",
                  file=out)
    for asset, check, severity in failed_checks:
        print(f"check failed [{severity.lower()}]: {asset} {check}", file=out)
    for step in failed_steps:
        print(f"step failed: {step}", file=out)
    if gate == published:
        behind = ""
    elif gate is None:
        behind = " (no month can be published now: the last publication stays)"
    else:
        behind = f" (the gate allows {gate}: the publication did not run to the end)"
    print(f"published through {published or 'nothing'}{behind}", file=out)

    blocked = [r.month for r in reports if r.blocked]
    errors = [c for c in failed_checks if c[2] == "ERROR"]
    status = 1 if (errors or failed_steps or blocked or not result.success) else 0
    if status == 0:
        waiting = [r.month for r in reports if r.waiting_for]
        verdict = "ok" + (f" ({', '.join(waiting)} waiting for the benefits delivery)" if waiting else "")
    else:
        why = [f"{', '.join(blocked)} blocked by an error"] if blocked else []
        why += ["a blocking check failed"] if errors and not blocked else []
        why += ["a step failed"] if failed_steps or not result.success else []
        verdict = f"FAILED ({'; '.join(why)})"
    print(f"run {result.run_id[:8]}: {len(months)} month(s) in {seconds:.1f} s: {verdict}", file=out)
    return status


def _month_state(report) -> str:
    if report.blocked:
        return "blocked (error): not published"
    if report.waiting_for:
        return f"waiting for {', '.join(report.waiting_for)}: not published"
    if not report.published:
        return "not published (an earlier month is held back)"
    warnings = len(report.failed) + len(report.gone) + len(report.missing)
    return "published" + (f", {warnings} warning(s)" if warnings else "")


def _published_through(warehouse: Path) -> str | None:
    """The last month of the publication BI readers see now (its publication_log); None: none."""
    import duckdb

    from orchestration.db import latest_publication

    try:
        latest = latest_publication(config.published_dir(warehouse) / "published.duckdb")
    except duckdb.Error:
        return None
    return latest[2].strftime("%Y-%m") if latest and latest[2] else None


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
