"""The last assets of a run: publication of the months without an `error` for BI tools and
stewards, then the council report built from the published file only."""

from pathlib import Path

import dagster as dg

from orchestration import config
from orchestration.assets.landing import EXPECTATION_RESULTS
from orchestration.partitions import months_of_run
from orchestration.resources import WarehouseResource

# The marts of the mart contract and the effect contract: publication waits for all of them.
MARTS = (
    "caseload_monthly",
    "outflow_monthly",
    "initiative_outcomes",
    "initiative_flows",
    "cohort_progress",
    "cohort_progress_settlement",
    "participation_by_gender",
    "initiative_effect",
    "initiative_effect_curve",
    "dq_issues",
)


# National reference figures (a dbt seed) published beside the marts.
REFERENCE_SEEDS = ("cbs_cohort_reference",)


@dg.asset(
    group_name="publication",
    deps=[dg.AssetKey(["marts", name]) for name in MARTS]
    + [dg.AssetKey(["reference", name]) for name in REFERENCE_SEEDS],
    kinds={"duckdb", "parquet"},
    description="The aggregate marts, suppressed, for BI tools (published.duckdb + Parquet) and the "
    "stewards' file (dq_issues + quarantine), replaced atomically, months up to the last without an error.",
)
def publication(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from orchestration.publish import pg_dsn_from_env, publish, publish_postgres, publish_stewards
    from orchestration.quality.blocking import publishable_through

    out_dir = config.published_dir(warehouse.warehouse)
    with warehouse.connect() as con:
        through = publishable_through(con)
        if through is None:
            context.log.error("No month can be published: the first month already has an error.")
            return dg.MaterializeResult(metadata={"published_through": dg.MetadataValue.text("nothing")})
        result = publish(warehouse.warehouse, out_dir, through, con=con, run_id=context.run_id)
        publish_stewards(warehouse.warehouse, out_dir, con=con, run_id=context.run_id)
    metadata = {
        "published_through": dg.MetadataValue.text(through),
        "published_file": dg.MetadataValue.path(str(result.published_file)),
        "suppressed_cells": dg.MetadataValue.int(result.suppressed_total),
        "revisions": dg.MetadataValue.int(result.revisions),
    }
    if pg_dsn_from_env():  # the municipality's PostgreSQL warehouse, when configured
        rows = publish_postgres(result.published_file)
        metadata["postgres_rows"] = dg.MetadataValue.int(sum(rows.values()))
    return dg.MaterializeResult(metadata=metadata)


@dg.asset(
    group_name="quality",
    deps=[EXPECTATION_RESULTS],
    kinds={"html"},
    description="GX Data Docs (HTML) of the last month of the run: every delivery's results of its row rules and "
    "file rules (landing.expectation_results), in warehouse/data_docs/<YYYY-MM>/index.html; rebuilt only when they changed.",
)
def data_docs(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from orchestration.quality.data_docs import build_data_docs

    months = months_of_run(context.run.tags)
    if not months:
        return dg.MaterializeResult(metadata={"data_docs": dg.MetadataValue.text("no month in this run")})
    out_dir = config.published_dir(warehouse.warehouse) / "data_docs" / months[-1]
    with warehouse.connect(read_only=True) as con:
        index = build_data_docs(con, months[-1], out_dir)
    return dg.MaterializeResult(metadata={"data_docs": dg.MetadataValue.path(str(index))})


@dg.asset(
    group_name="publication",
    deps=[publication],
    kinds={"html", "pdf"},
    description="The council report (raadsrapportage, Dutch HTML; also PDF when STATMON_REPORT_PDF=1) of the "
    "last published month, in the reports folder beside the warehouse (or STATMON_REPORTS_DIR).",
)
def council_report(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from orchestration.report import build_report

    published = config.published_dir(warehouse.warehouse) / "published.duckdb"
    if not published.exists():
        context.log.warning("Nothing published yet: no report.")
        return dg.MaterializeResult(metadata={"report": dg.MetadataValue.text("none")})
    path = build_report(published, None, config.reports_dir(warehouse.warehouse))
    metadata = {"report": dg.MetadataValue.path(str(path))}
    if config.report_pdf_wanted():
        from orchestration.report.pdf import write_pdf

        pdf = write_pdf(path)
        metadata["pdf"] = dg.MetadataValue.path(str(pdf.path))
        metadata["pdf_seconds"] = dg.MetadataValue.float(round(pdf.seconds, 1))
    return dg.MaterializeResult(metadata=metadata)
