"""The dbt project as Dagster assets: every model a Dagster asset, every dbt test an asset
check (dagster-dbt). The manifest is prepared once (`dbt parse`, only when a file of the dbt
project changed since the last parse) and read from dbt_project/target/manifest.json."""

import os
import subprocess
import sys
from functools import cached_property
from pathlib import Path
from typing import Any, Mapping

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from orchestration import config
from orchestration.partitions import months_of_run
from orchestration.resources import WarehouseResource

DBT_TARGET = os.environ.get("STATMON_DBT_TARGET", "duckdb")
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
    _write_run_months(warehouse, months)
    # Unit tests test the SQL, not the data: they run in `make test` (tests/dbt_models), not every month.
    invocation = dbt.cli(["build", "--exclude", "test_type:unit"], context=context, raise_on_error=False)
    invariants = []
    for event in invocation.stream():
        if isinstance(event, dg.AssetCheckResult) and event.severity == dg.AssetCheckSeverity.ERROR:
            invariants.append(event)
        yield event
    _keep_partial_parse(invocation.target_path)
    _record_invariants(warehouse, invariants, months)
    if not invocation.is_successful():
        # A failing test is reported above as an asset check (and an `error` one blocks
        # publication); a model that errors or a dbt that crashes fails the step.
        problem = dbt_build_failure(_run_results(invocation))
        if problem:
            raise dg.Failure(description=f"dbt build failed: {problem}")


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



def _keep_partial_parse(invocation_target: Path) -> None:
    """dagster-dbt gives every dbt invocation its own target directory and seeds it with
    target/partial_parse.msgpack, which only `dbt parse` (ensure_manifest) writes. dbt refuses a
    partial parse made for another profile, and the profile includes the warehouse path: a
    manifest parsed for another warehouse (tests, docs) meant a full parse (~3 s) in every run
    until the project changed. Keeping this build's parse state makes the next run of the same
    warehouse parse only what changed. Best effort: a missing file costs one full parse."""
    import shutil

    parsed = Path(invocation_target) / "partial_parse.msgpack"
    if parsed.exists():
        destination = Path(config.DBT_PROJECT_DIR) / "target" / "partial_parse.msgpack"
        temporary = destination.with_suffix(f".msgpack.{os.getpid()}")
        shutil.copyfile(parsed, temporary)
        os.replace(temporary, destination)  # atomic: a concurrent dbt never reads half a file


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
