"""The dbt project as Dagster assets (dagster-dbt): every model an asset, every dbt data test an
asset check, built by one `dbt build` per run through dagster-dbt's DbtCliResource.

dbt works in the warehouse's own target path (config.dbt_target_path, `--target-path`), where
it keeps the manifest and its partial-parse state, valid only for that warehouse's profile;
orchestration/dbt_manifest.py has dbt parse the project there before the definitions load.
Whether a run builds, which months, and what a build leaves behind: orchestration/build_record.py."""
import json
from typing import Any, Mapping

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, DbtProject, dbt_assets

from orchestration import build_record, config, dbt_manifest
from orchestration.partitions import months_of_run
from orchestration.resources import WarehouseResource

dbt_project = DbtProject(
    project_dir=config.DBT_PROJECT_DIR,
    profiles_dir=config.DBT_PROJECT_DIR,
    target=config.DBT_TARGET,
    target_path=config.dbt_target_path(config.warehouse_path().resolve()),
)
dbt_project.prepare_if_dev()  # `dagster dev`: parse the project at every load
if not dbt_project.manifest_path.exists():  # a warehouse dbt never parsed for (tests, a new path)
    dbt_manifest.parse(config.warehouse_path().resolve())
# Read once: the asset definitions and the build's fingerprint use the same manifest.
manifest: Mapping[str, Any] = json.loads(dbt_project.manifest_path.read_bytes())


class StatmonDbtTranslator(DagsterDbtTranslator):
    """dbt sources `landing.<table>` are the landing assets `landing/<table>`; models keep
    their names, grouped by layer (staging, intermediate, marts)."""

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "model":
            fqn = dbt_resource_props.get("fqn", [])
            return fqn[1] if len(fqn) > 2 else "marts"
        return super().get_group_name(dbt_resource_props)


@dbt_assets(
    manifest=manifest,
    project=dbt_project,
    # Unit tests test the SQL, not the data: they run in `make test` (tests/dbt_models).
    exclude="test_type:unit",
    dagster_dbt_translator=StatmonDbtTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)),
)
def statmon_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource):
    """`dbt build` once per run, of the months the run ingested, unless nothing changed since
    the last publication (then no model is yielded, and Dagster skips the publication and the
    report). Every `error` dbt test (a mart invariant) is recorded for the publication gate; a
    model in error fails the step."""
    with warehouse.connect() as con:
        plan = build_record.plan_build(con, warehouse.warehouse, context.run_id, months_of_run(context.run.tags),
                                       context.run.tags, manifest, context.is_subset)
    if plan.skip_reason:
        context.log.info(f"{build_record.NO_NEW_DATA}: {plan.skip_reason}")
        return
    if plan.unfinished_run:
        context.log.warning(f"the dbt build of run {plan.unfinished_run[:8]} did not finish: building all months")

    invocation = dbt.cli(["build"], context=context, raise_on_error=False,
                         target_path=config.dbt_target_path(warehouse.warehouse))
    invariants = []
    for event in invocation.stream():
        if isinstance(event, dg.AssetCheckResult) and event.severity == dg.AssetCheckSeverity.ERROR:
            invariants.append((event.check_name, event.asset_key.to_user_string(), event.passed))
        yield event
    failure = None if invocation.is_successful() else build_record.build_failure(_run_results(invocation))
    with warehouse.connect() as con:
        build_record.record_invariants(con, invariants, plan.months)
        if failure is None:
            build_record.record_built(con, context.run_id, plan)
    if failure:
        # A failing test is an asset check above (an `error` one blocks publication); a model in
        # error or a dbt that crashed fails the step.
        raise dg.Failure(description=f"dbt build failed: {failure}")


def _run_results(invocation) -> dict | None:
    try:
        return invocation.get_artifact("run_results.json")
    except FileNotFoundError:  # dbt stopped before it ran a node
        return None
