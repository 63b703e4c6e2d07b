"""The one job: the whole monthly graph (landing -> dbt -> publication -> report). `statmon run`,
the schedule and the sensor all start this job."""
import dagster as dg


monthly_refresh_job = dg.define_asset_job(
    name="monthly_refresh",
    selection=dg.AssetSelection.all(),
    executor_def=dg.in_process_executor,
    description="Ingest the month(s) of the run, build and test the dbt models once, publish, report.",
)
