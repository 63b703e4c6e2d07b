"""The Dagster code location of the monitor: its table of contents.

    landing/<kind>   (monthly)   orchestration/assets/landing.py   -> orchestration/sources/ingest.py
    landing/expectation_results  orchestration/assets/landing.py   -> orchestration/quality/file_rules.py
    dbt models                   orchestration/assets/dbt.py       -> dbt_project/, build_record.py
    publication, council_report  orchestration/assets/publication.py
    checks                       orchestration/checks.py           -> orchestration/quality/
    job, schedule, sensor        orchestration/jobs.py, schedules.py, sensors.py
"""
import sys
from pathlib import Path

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.assets.dbt import dbt_project, statmon_dbt_models
from orchestration.assets.landing import dq_waivers, expectation_results, landing_assets
from orchestration.assets.publication import council_report, data_docs, publication
from orchestration.checks import landing_checks
from orchestration.jobs import monthly_refresh_job
from orchestration.resources import warehouse_resource_from_env
from orchestration.schedules import monthly_refresh_schedule
from orchestration.sensors import raw_delivery_sensor

defs = dg.Definitions(
    assets=[*landing_assets, dq_waivers, expectation_results, statmon_dbt_models, data_docs, publication, council_report],
    asset_checks=landing_checks,
    jobs=[monthly_refresh_job],
    schedules=[monthly_refresh_schedule],
    sensors=[raw_delivery_sensor],
    resources={
        "warehouse": warehouse_resource_from_env(),
        # the dbt of this environment, also when its bin/ is not on PATH (statmon started by full
        # path), through statmon-dbt-cli: dbt itself, with `--version` answered without importing
        # dbt (orchestration/dbt_cli.py)
        "dbt": DbtCliResource(project_dir=dbt_project,
                              dbt_executable=str(Path(sys.executable).with_name("statmon-dbt-cli"))),
    },
)
