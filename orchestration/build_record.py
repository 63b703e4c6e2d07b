"""The record of the dbt builds of the monthly graph, and what a run decides from it before dbt
starts (orchestration/assets/dbt.py asks, dagster-dbt builds).

- `landing.dbt_builds` holds one row per decision: `started`, then `built` when the build
  completed, or `skipped` when nothing changed (declared in orchestration/sources/landing.sql).
- No new data: a run builds nothing when the last build that started also completed, was the
  one the last publication published, and read exactly the inputs this run would read
  (`build_inputs_fingerprint`). Dagster then skips the publication and the report, and
  `statmon run` ends with NO_NEW_DATA. STATMON_REBUILD=1 or the run tag statmon/rebuild=true
  builds anyway.
- After a build that started and never reached `built` (a crash, a kill, a model in error) the
  incremental models may hold half of its months: the next build rebuilds every month.
- The run's months reach dbt through `landing.run_months` (dbt source `landing.run_months`;
  empty = every month), a table rather than --vars so that dbt's partial parse stays valid.
- After the build: the `error` dbt tests (mart invariants) are recorded for the publication
  gate, and a model in error fails the step.

No Dagster or dbt import here."""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from orchestration import config

BUILDS_TABLE = "landing.dbt_builds"
RUN_MONTHS_TABLE = "landing.run_months"
# The line `statmon run` prints (and the dbt step logs) when a run skips the build.
NO_NEW_DATA = "no new data since the last publication: nothing rebuilt"
REBUILD_TAG = "statmon/rebuild"   # run tag "true": build even when nothing changed
REBUILD_ENV = "STATMON_REBUILD"   # the same for `statmon run` (STATMON_REBUILD=1)


@dataclass(frozen=True)
class BuildPlan:
    """What the dbt step of a run does."""
    skip_reason: str | None       # why nothing is built, or None: build
    months: list[str]             # the months the incremental models rebuild ([] = every month)
    fingerprint: str | None       # recorded as `built` when the build completes (None: not recorded)
    unfinished_run: str | None    # the earlier build that never finished, if any


def plan_build(con, warehouse: Path, run_id: str, months: list[str], run_tags: Mapping[str, str],
               manifest: Mapping[str, Any], is_subset: bool) -> BuildPlan:
    """Decide whether this run builds and which months, record the decision and write the run's
    months for dbt. A chosen subset (a selection in the UI) is always built, and not recorded."""
    from orchestration.sources.ingest import ensure_landing_schema

    ensure_landing_schema(con)
    if is_subset:
        _write_run_months(con, months)
        return BuildPlan(None, months, None, None)
    fingerprint = build_inputs_fingerprint(con, months, manifest)
    reason = _unchanged_since_publication(con, warehouse, fingerprint, run_tags)
    if reason:
        _record(con, run_id, fingerprint, "skipped")
        return BuildPlan(reason, months, fingerprint, None)
    unfinished = _unfinished_earlier_build(con, run_id)
    _record(con, run_id, fingerprint, "started")
    if unfinished:
        months = []  # build everything once rather than only this run's months
    _write_run_months(con, months)
    return BuildPlan(None, months, fingerprint, unfinished)


def record_built(con, run_id: str, plan: BuildPlan) -> None:
    if plan.fingerprint:
        _record(con, run_id, plan.fingerprint, "built")


def build_inputs_fingerprint(con, months: list[str], manifest: Mapping[str, Any]) -> str:
    """sha256 of everything a `dbt build` of this run reads that can change between runs:
    - the deliveries (every file loaded, failed or superseded, with its sha256; a file delivered
      again byte for byte adds an `unchanged` row only, which is left out),
    - the stewards' waivers, each with whether it is still valid today (dq_issues compares
      valid_until with the current date: an expired waiver changes the marts),
    - the GX results the dq models read (expectation_results, without their timestamps),
    - the file-level outcomes (check_results of origin file_rule, without their timestamps),
    - the dbt project: each node's checksum and config and each macro's SQL, from the manifest,
    - the code of the publication, its gate and the report (the steps skipped with the build),
    - the run's months (which the incremental models rebuild)."""
    tables = {r[0] for r in con.execute(
        "select table_name from information_schema.tables where table_schema = 'landing'").fetchall()}
    queries = {
        "deliveries": "select distinct delivery_month, source, source_file, file_hash, file_size, status "
                      "from landing.deliveries where status <> 'unchanged'",
        "dq_waivers": "select rule_id, record_key, reason, waived_by, valid_until, valid_until >= current_date "
                      "from landing.dq_waivers",
        "expectation_results": "select distinct delivery_month, source, suite_name, expectation_type, column_name, "
                               "rule, severity, success, element_count, unexpected_count, detail "
                               "from landing.expectation_results",
        # the file-level outcomes dq_issues lists and the gate reads: the delivery rules change
        # with raw/ (a file removed, a folder renamed) when no delivery row does
        "check_results": "select delivery_month, source, rule, severity, passed, record_key, description "
                         "from landing.check_results where origin = 'file_rule'",
    }
    digest = hashlib.sha256()
    for table, query in queries.items():
        rows = con.execute(f"select coalesce(sha256(string_agg(row_text, chr(10) order by row_text)), '') "
                           f"from (select cast(t as varchar) as row_text from ({query}) t)").fetchone()[0] \
            if table in tables else "absent"
        digest.update(f"{table}:{rows}\n".encode())
    project = {
        "nodes": {uid: [n.get("checksum"), n.get("config"), n.get("depends_on")] for uid, n in manifest["nodes"].items()},
        "sources": {uid: n.get("config") for uid, n in manifest.get("sources", {}).items()},
        "macros": {uid: m.get("macro_sql") for uid, m in manifest.get("macros", {}).items()
                   if m.get("package_name") == manifest["metadata"].get("project_name")},
    }
    digest.update(json.dumps(project, sort_keys=True, default=str).encode())
    # The code of the skipped steps: a corrected publication or report is applied at once.
    package = Path(__file__).resolve().parent
    for path in sorted([*(package / "publish").rglob("*.py"), *(package / "report").rglob("*"),
                        package / "quality" / "blocking.py"]):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(f"{path.relative_to(package)}:".encode() + hashlib.sha256(path.read_bytes()).digest())
    digest.update(json.dumps(sorted(months)).encode())
    return digest.hexdigest()


def _unchanged_since_publication(con, warehouse: Path, fingerprint: str, run_tags: Mapping[str, str]) -> str | None:
    """Why this run need not build (a message), or None when it must."""
    from orchestration.db import latest_publication

    if run_tags.get(REBUILD_TAG) == "true" or os.environ.get(REBUILD_ENV, "") not in ("", "0"):
        return None
    last = con.execute(f"select run_id, fingerprint, status from {BUILDS_TABLE} where status in ('started', 'built') "
                       "order by recorded_at desc limit 1").fetchone()
    if not last or last[2] != "built" or last[1] != fingerprint:
        return None
    row = latest_publication(config.published_dir(warehouse) / "published.duckdb")
    if not row or row[0] != last[0]:
        return None
    return (f"deliveries, waivers, GX results, dbt project and months are those of run {last[0][:8]}, "
            f"published at {row[1]:%Y-%m-%d %H:%M}; set {REBUILD_ENV}=1 to build anyway")


def _unfinished_earlier_build(con, run_id: str) -> str | None:
    """The run id of the latest earlier build when it started and never reached `built`."""
    rows = con.execute(
        f"select run_id, bool_or(status = 'built') from {BUILDS_TABLE} where run_id <> ? "
        "and status <> 'skipped' group by run_id order by max(recorded_at) desc limit 1", [run_id]).fetchall()
    return rows[0][0] if rows and not rows[0][1] else None


def _record(con, run_id: str, fingerprint: str, status: str) -> None:
    recorded_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)  # naive UTC
    con.execute(f"insert into {BUILDS_TABLE} values (?, ?, ?, ?)", [run_id, fingerprint, status, recorded_at])


def _write_run_months(con, months: list[str]) -> None:
    con.execute("begin transaction")
    con.execute(f"delete from {RUN_MONTHS_TABLE}")
    if months:
        con.executemany(f"insert into {RUN_MONTHS_TABLE} values (?)", [[m] for m in months])
    con.execute("commit")


def skipped_build_since(warehouse: Path, since_utc: dt.datetime) -> bool:
    """Whether a run recorded after `since_utc` (naive UTC) skipped the dbt build because nothing
    changed (for `statmon run`'s closing line)."""
    import duckdb

    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return False
    try:
        row = con.execute(f"select status from {BUILDS_TABLE} where recorded_at >= ? "
                          "order by recorded_at desc limit 1", [since_utc]).fetchone()
    except duckdb.Error:  # no build recorded yet
        return False
    finally:
        con.close()
    return bool(row) and row[0] == "skipped"


# ------------------------------------------------------------------------------ after the build


def record_invariants(con, results: list[tuple[str, str, bool]], months: list[str]) -> None:
    """Record every `error` dbt test of the build, as (check name, asset, passed), for the
    publication gate: a failure blocks the months of this run and later ones
    (orchestration/quality/blocking.py)."""
    from orchestration.quality.blocking import record_check_results
    from orchestration.quality.outcomes import CheckOutcome

    if not months:  # a build of every month: the invariants speak for the latest month
        latest = con.execute("select max(delivery_month) from landing.deliveries").fetchone()[0]
        months = [latest.strftime("%Y-%m")] if latest else []
    if not months:
        return
    outcomes = [
        CheckOutcome(rule=f"dbt:{check}", severity="error", passed=passed, month=months[0], source="marts",
                     description=f"dbt test {check} on {asset}"
                     + (" passed" if passed else " failed: a mart invariant is broken"))
        for check, asset, passed in results
    ]
    record_check_results(con, outcomes, "mart_invariant", replace_all=True)


def build_failure(run_results: dict | None) -> str | None:
    """Why a non-zero `dbt build` is a failure of the run, or None when it only had failing
    tests (those are checks, not failures). Missing results mean dbt itself crashed."""
    if run_results is None:
        return "dbt stopped before it wrote run_results.json (see the dbt output above)"
    errors = [r["unique_id"] for r in run_results.get("results", []) if r.get("status") == "error"]
    return f"{len(errors)} node(s) in error: {', '.join(errors[:5])}" if errors else None
