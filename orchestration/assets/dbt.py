"""The dbt project as Dagster assets: every model a Dagster asset, every dbt test an asset
check (dagster-dbt). The manifest is prepared once (`dbt parse`, only when a file of the dbt
project changed since the last parse) and read from dbt_project/target/manifest.json.

Each build starts from the warehouse's own dbt parse state (orchestration/dbt_state.py). A run
whose build would read exactly what the last published build read (build_inputs_fingerprint)
builds nothing: the dbt step yields no model, so Dagster skips the publication and the report, and
`statmon run` ends with `no new data since the last publication: nothing rebuilt`
(STATMON_REBUILD=1, or the run tag statmon/rebuild=true, builds anyway)."""

import os
import subprocess
import sys
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from orchestration import config, dbt_state
from orchestration.partitions import months_of_run
from orchestration.resources import WarehouseResource

DBT_TARGET = config.DBT_TARGET
# The dbt of this environment, also when .venv/bin is not on PATH (statmon started by full path).
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))

dbt_project = DbtProject(project_dir=config.DBT_PROJECT_DIR, profiles_dir=config.DBT_PROJECT_DIR, target=DBT_TARGET)


def _newest_source_mtime(project_dir: Path) -> float:
    newest = 0.0
    for sub in ("models", "macros", "seeds", "tests", "snapshots", "analyses"):
        for path in (project_dir / sub).rglob("*"):
            if path.is_file():
                newest = max(newest, path.stat().st_mtime)
    for name in ("dbt_project.yml", "profiles.yml"):
        path = project_dir / name
        if path.exists():
            newest = max(newest, path.stat().st_mtime)
    return newest


def ensure_manifest(project: DbtProject = dbt_project) -> Path:
    """Parse the dbt project when its manifest is missing or older than any project file.
    A cheap mtime scan on every start; `dbt parse` (~3 s) only after a change."""
    manifest = project.manifest_path
    if manifest.exists() and manifest.stat().st_mtime >= _newest_source_mtime(project.project_dir):
        return manifest
    env = {**os.environ, "STATMON_WAREHOUSE": str(config.warehouse_path().resolve())}
    subprocess.run(
        [DBT_EXECUTABLE, "parse", "--quiet", "--project-dir", str(project.project_dir),
         "--profiles-dir", str(project.profiles_dir), "--target", DBT_TARGET],
        check=True, env=env, cwd=project.project_dir,
    )
    return manifest



class StatmonDbtCliResource(DbtCliResource):
    """dagster-dbt's resource without two fixed costs of every `dbt build` that this code location
    does not need (bench/results.md has the before/after):
    - `dbt --version` in a subprocess (~2 s: a Python start and a dbt import) to learn the dbt
      version: the dbt we run is DBT_EXECUTABLE, the dbt-core installed in this environment;
    - an in-process dbt adapter (~1.5 s), which dagster-dbt uses only to fetch row counts and
      column metadata (we fetch neither) and which, for DuckDB, makes it hold back every dbt event
      until dbt has exited; without it the events are recorded while dbt still runs."""

    @cached_property
    def _cli_version(self):
        from importlib.metadata import version as installed_version

        from packaging import version

        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):
        return None


class StatmonDbtTranslator(DagsterDbtTranslator):
    """dbt sources `landing.<table>` are the landing assets `landing/<table>`; models keep
    their names, grouped by layer (staging, intermediate, marts)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "model":
            fqn = dbt_resource_props.get("fqn", [])
            return fqn[1] if len(fqn) > 2 else "marts"
        return super().get_group_name(dbt_resource_props)


ensure_manifest()


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=StatmonDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
)
def statmon_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """`dbt build` of the selected models once per run; the months the run ingested are passed
    as the var `months` so incremental models rebuild only those. Afterwards every `error`
    dbt test (a mart invariant) is recorded for the publication gate: a failure blocks the
    months of this run and later ones (orchestration/quality/blocking.py)."""
    months = months_of_run(context.run.tags)
    fingerprint = None
    if not context.is_subset:  # a chosen subset (the UI) is always built
        fingerprint = build_inputs_fingerprint(warehouse, months)
        reason = _unchanged_since_publication(warehouse, fingerprint, context.run.tags)
        if reason:
            # Nothing yielded: the models are not materialized in this run, and Dagster skips
            # every step downstream of them (publication, council report); the run succeeds.
            context.log.info(f"{dbt_state.NO_NEW_DATA}: {reason}")
            _record_build(warehouse, context.run_id, fingerprint, "skipped")
            return
        unfinished = _unfinished_earlier_build(warehouse, context.run_id)
        _record_build(warehouse, context.run_id, fingerprint, "started")
        if unfinished and months:
            # The incremental models hold only what that build finished: its months may be half
            # staged. Build everything once rather than only this run's months.
            context.log.warning(f"the dbt build of run {unfinished[:8]} did not finish: building all months")
            months = []
    _write_run_months(warehouse, months)
    _import_publication_meanwhile()
    # dbt starts from this warehouse's parse state (orchestration/dbt_state.py); dagster-dbt only
    # copies the project's shared target/partial_parse.msgpack into a target that has none.
    target_path = _invocation_target(context)
    dbt_state.seed_target(warehouse.warehouse, target_path)
    # Unit tests test the SQL, not the data: they run in `make test` (tests/dbt_models), not every month.
    invocation = dbt.cli(["build", "--exclude", "test_type:unit"], context=context, raise_on_error=False,
                         target_path=target_path)
    invariants = []
    for event in invocation.stream():
        if isinstance(event, dg.AssetCheckResult) and event.severity == dg.AssetCheckSeverity.ERROR:
            invariants.append(event)
        yield event
    dbt_state.keep_from_target(warehouse.warehouse, invocation.target_path)
    _wait_until_dbt_let_go(warehouse)
    _record_invariants(warehouse, invariants, months)
    if not invocation.is_successful():
        # A failing test is reported above as an asset check (and an `error` one blocks
        # publication); a model that errors or a dbt that crashes fails the step.
        problem = dbt_build_failure(_run_results(invocation))
        if problem:
            raise dg.Failure(description=f"dbt build failed: {problem}")
    if fingerprint:
        _record_build(warehouse, context.run_id, fingerprint, "built")


def _wait_until_dbt_let_go(warehouse: WarehouseResource, seconds: float = 30.0) -> None:
    """DuckDB has one writing process: the process that ran dbt may still hold the warehouse
    for a moment after its output ended (it closes the file as it exits). Wait for it rather
    than fail the step; after `seconds` the write below raises the lock error itself."""
    import time

    import duckdb

    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            duckdb.connect(str(warehouse.warehouse)).close()
            return
        except duckdb.IOException:
            time.sleep(0.2)


def _import_publication_meanwhile() -> None:
    """The publication comes next and its first import (pandas) takes ~1.2 s of a ~20 s monthly
    run. This step mostly waits for dbt's output, which leaves the interpreter free: import it
    meanwhile on a thread. An import error is left for the publication step to report."""
    import threading

    def _import() -> None:
        try:
            import orchestration.publish  # noqa: F401
        except Exception:  # noqa: BLE001
            pass

    threading.Thread(target=_import, name="statmon-import-publication", daemon=True).start()


def _run_results(invocation) -> dict | None:
    try:
        return invocation.get_artifact("run_results.json")
    except Exception:  # no run_results.json: dbt stopped before it ran a node
        return None


def dbt_build_failure(run_results: dict | None) -> str | None:
    """Why a non-zero `dbt build` is a failure of the run, or None when it only had failing
    tests (those are checks, not failures). Missing results mean dbt itself crashed."""
    if run_results is None:
        return "dbt stopped before it wrote run_results.json (see the dbt output above)"
    errors = [r["unique_id"] for r in run_results.get("results", []) if r.get("status") == "error"]
    return f"{len(errors)} node(s) in error: {', '.join(errors[:5])}" if errors else None



def _invocation_target(context: dg.AssetExecutionContext) -> Path:
    """A target directory of its own for this dbt invocation, named as dagster-dbt names them
    (<op>-<run id>-<random>: the benchmark finds run_results.json by the run id)."""
    import uuid

    name = f"{context.op_execution_context.op.name}-{context.run.run_id[:7]}-{uuid.uuid4().hex[:7]}"
    return Path(config.DBT_PROJECT_DIR) / "target" / name


def _write_run_months(warehouse: WarehouseResource, months: list[str]) -> None:
    """The months of this run for the incremental models (macro run_months); empty = all months.
    A table rather than --vars, so dbt's partial parse survives from run to run."""
    with warehouse.connect() as con:
        con.execute("create schema if not exists landing")
        con.execute("create or replace table landing.run_months (month varchar not null)")
        if months:
            con.executemany("insert into landing.run_months values (?)", [[m] for m in months])


def _record_invariants(warehouse: WarehouseResource, results: list[dg.AssetCheckResult], months: list[str]) -> None:
    from orchestration.quality.blocking import record_check_results
    from orchestration.quality.outcomes import CheckOutcome

    with warehouse.connect() as con:
        if not months:  # a run without partitions: the invariants speak for the latest month
            latest = con.execute("select max(delivery_month) from landing.deliveries").fetchone()[0]
            months = [latest.strftime("%Y-%m")] if latest else []
        if not months:
            return
        outcomes = [
            CheckOutcome(
                rule=f"dbt:{result.check_name}",
                severity="error",
                passed=result.passed,
                month=months[0],
                source="marts",
                description=f"dbt test {result.check_name} on {result.asset_key.to_user_string()}"
                + (" passed" if result.passed else " failed: a mart invariant is broken"),
            )
            for result in results
        ]
        record_check_results(con, outcomes, "mart_invariant", replace_all=True)


REBUILD_TAG = "statmon/rebuild"   # run tag "true": build even when nothing changed
REBUILD_ENV = "STATMON_REBUILD"   # the same for `statmon run` (STATMON_REBUILD=1)


def build_inputs_fingerprint(warehouse: WarehouseResource, months: list[str],
                             manifest_path: Path | None = None) -> str:
    """sha256 of everything a `dbt build` of this run reads that can change between runs:
    - the deliveries (every file loaded, failed or superseded, with its sha256; a file delivered
      again byte for byte adds an `unchanged` row only, which is left out),
    - the stewards' waivers, each with whether it is still valid today (dq_issues compares
      valid_until with the current date: an expired waiver changes the marts),
    - the GX results the dq models read (expectation_results, without their timestamps),
    - the file-level outcomes (check_results of origin file_rule, without their timestamps),
    - the dbt project: each node's checksum and config and each macro's SQL, from the manifest,
    - the code of the publication, its gate and the report (the steps skipped with the build),
    - the run's months (landing.run_months, which the incremental models rebuild)."""
    import hashlib
    import json

    with warehouse.connect(read_only=True) as con:
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
    manifest = json.loads(Path(manifest_path or dbt_project.manifest_path).read_text())
    project = {
        "nodes": {uid: [n.get("checksum"), n.get("config"), n.get("depends_on")] for uid, n in manifest["nodes"].items()},
        "sources": {uid: n.get("config") for uid, n in manifest.get("sources", {}).items()},
        "macros": {uid: m.get("macro_sql") for uid, m in manifest.get("macros", {}).items()
                   if m.get("package_name") == manifest["metadata"].get("project_name")},
    }
    digest.update(json.dumps(project, sort_keys=True, default=str).encode())
    # The code of the skipped steps: a corrected publication or report is applied at once.
    package = Path(__file__).resolve().parent.parent
    for path in sorted([*(package / "publish").rglob("*.py"), *(package / "report").rglob("*"),
                        package / "quality" / "blocking.py"]):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(f"{path.relative_to(package)}:".encode() + hashlib.sha256(path.read_bytes()).digest())
    digest.update(json.dumps(sorted(months)).encode())
    return digest.hexdigest()


def _unchanged_since_publication(warehouse: WarehouseResource, fingerprint: str, run_tags: Mapping[str, str]) -> str | None:
    """Why this run need not build (a message), or None when it must: it may skip only when the
    last build that started completed, was the build the last publication published, and read
    exactly the inputs this run would read."""
    import duckdb

    if run_tags.get(REBUILD_TAG) == "true" or os.environ.get(REBUILD_ENV, "") not in ("", "0"):
        return None
    published = config.published_dir(warehouse.warehouse) / "published.duckdb"
    if not published.exists():
        return None
    with warehouse.connect(read_only=True) as con:
        if not con.execute("select count(*) from information_schema.tables where table_schema = 'landing' "
                           "and table_name = 'dbt_builds'").fetchone()[0]:
            return None
        last = con.execute(f"select run_id, fingerprint, status from {dbt_state.BUILDS_TABLE} where status in ('started', 'built') "
                           "order by recorded_at desc limit 1").fetchone()
    if not last or last[2] != "built" or last[1] != fingerprint:
        return None
    con = duckdb.connect(str(published), read_only=True)
    try:
        row = con.execute("select run_id, published_at from publication_log order by published_at desc limit 1").fetchone()
    except duckdb.Error:  # a publication from before the log existed
        return None
    finally:
        con.close()
    if not row or row[0] != last[0]:
        return None
    return (f"deliveries, waivers, GX results, dbt project and months are those of run {last[0][:8]}, "
            f"published at {row[1]:%Y-%m-%d %H:%M}; set {REBUILD_ENV}=1 to build anyway")


def _unfinished_earlier_build(warehouse: WarehouseResource, run_id: str) -> str | None:
    """The run id of the latest earlier build when it started and never reached `built` (a model
    in error, a crash, a kill), else None."""
    with warehouse.connect() as con:
        if not con.execute("select count(*) from information_schema.tables where table_schema = 'landing' "
                           "and table_name = 'dbt_builds'").fetchone()[0]:
            return None
        rows = con.execute(
            f"select run_id, bool_or(status = 'built') from {dbt_state.BUILDS_TABLE} where run_id <> ? "
            "and status <> 'skipped' group by run_id order by max(recorded_at) desc limit 1", [run_id]).fetchall()
    return rows[0][0] if rows and not rows[0][1] else None


def _record_build(warehouse: WarehouseResource, run_id: str, fingerprint: str, status: str) -> None:
    with warehouse.connect() as con:
        dbt_state.record_build(con, run_id, fingerprint, status)
