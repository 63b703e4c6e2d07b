"""Landing assets: one per source kind, monthly partitioned. Each reads a month's files with the
source registry, applies the row rules, pseudonymises the BSN and writes schema `landing`
(orchestration/ingest.py does the work; this module only wires it into Dagster).

A run over many months is one run (single-run backfill policy): every month is ingested in
order, and the dbt models are built once afterwards."""

import warnings

import dagster as dg

from orchestration.partitions import monthly_partitions, months_of_run
from orchestration.resources import WarehouseResource

SOURCE_KINDS = ("uitkeringen", "brp", "klantbeeld", "formatie", "trajecten")

DESCRIPTIONS = {
    "uitkeringen": "Benefits administration (BUS layout): one row per person per benefit running in the month.",
    "brp": "BRP extract for the persons on benefit: gender, nationality, residence title, settlement date.",
    "klantbeeld": "Case system: assessment, plan van aanpak, advice route and last contact per client.",
    "formatie": "Staffing: FTE per caseworker and team in the month.",
    "trajecten": "Partner deliveries: a full snapshot of each partner's trajectories, all partners in one table.",
}


def _landing_asset(kind: str) -> dg.AssetsDefinition:
    @dg.asset(
        name=kind,
        key_prefix=["landing"],
        group_name="landing",
        partitions_def=monthly_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        description=DESCRIPTIONS[kind],
        kinds={"duckdb", "python"},
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        from orchestration.ingest import ensure_landing_schema, ingest_month

        key, mode = warehouse.pseudonym_key()
        if mode == "demo":
            context.log.warning("No STATMON_PSEUDONYM_KEY: demo data, pseudonymised with a local demo key.")
        totals = {"rows_in": 0, "rows_loaded": 0, "rows_quarantined": 0, "files_failed": 0}
        lines = []
        with warehouse.connect() as con:
            ensure_landing_schema(con)
            for month in context.partition_keys:
                for result in ingest_month(con, warehouse.raw, month, kind, key):
                    if result.status == "failed":
                        totals["files_failed"] += 1
                        context.log.error(f"{month} {result.source_file}: {result.message}")
                    elif result.status == "loaded":
                        totals["rows_in"] += result.rows_in or 0
                        totals["rows_loaded"] += result.rows_loaded or 0
                        totals["rows_quarantined"] += result.rows_quarantined or 0
                    lines.append(
                        f"| {month} | {result.source} | {result.status} | {result.rows_in or 0} | "
                        f"{result.rows_loaded or 0} | {result.rows_quarantined or 0} |"
                    )
            # The row_rules check validates these rows with GX: start that now, in the GX worker,
            # so it runs while the next sources are landed; the check collects the result.
            # A head start only: if it cannot start, the check validates by itself.
            from orchestration.quality.gx_runner import start_parsed_batch_validation

            try:
                start_parsed_batch_validation(con, kind, months_of_run(context.run.tags))
            except Exception as exc:  # noqa: BLE001 (the landed rows are in; never fail the landing for this)
                context.log.warning(f"GX validation not started at landing ({exc}); the row_rules check will run it")
        table = "| month | source | status | rows in | loaded | quarantined |\n|---|---|---|---|---|---|\n"
        return dg.MaterializeResult(
            metadata={
                **{k: dg.MetadataValue.int(v) for k, v in totals.items()},
                "deliveries": dg.MetadataValue.md(table + "\n".join(lines)),
            }
        )

    return _asset


@dg.asset(
    name="dq_waivers",
    key_prefix=["landing"],
    group_name="landing",
    kinds={"duckdb", "csv"},
    description="Stewards' waivers (config/dq_waivers.csv or $STATMON_WAIVERS), loaded at every run: "
    "a waived issue stays visible as waived and stops failing checks until valid_until.",
)
def dq_waivers(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from orchestration.quality.waivers import load_waivers, waivers_path

    path = waivers_path()
    with warehouse.connect() as con:
        loaded = load_waivers(con, path)
    context.log.info(f"{loaded} waiver(s) loaded from {path}")
    return dg.MaterializeResult(metadata={"waivers": dg.MetadataValue.int(loaded), "file": dg.MetadataValue.path(str(path))})


with warnings.catch_warnings():
    # The single-run backfill policy is what makes a backfill one run; Dagster marks it beta.
    warnings.simplefilter("ignore", dg.BetaWarning)
    landing_assets = [_landing_asset(kind) for kind in SOURCE_KINDS]
