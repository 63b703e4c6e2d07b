"""Landing assets: one per source kind, monthly partitioned, and `landing/expectation_results`.

Each landing asset reads a month's files with the source registry, applies the row rules,
pseudonymises the BSN and writes schema `landing` with each rule's result
(orchestration/sources/ingest.py does the work; this module only wires it into Dagster). Its
`row_rules` check reports those recorded results; it runs in the same step, so it cannot be
evaluated before them.

`landing/expectation_results` (the dbt source of that name) completes the run's results: after
every landing asset it runs the file-level rules (orchestration/quality/file_rules.py). dbt's dq
models read it, so the dbt build, and through it the publication gate, wait for it; so do Data
Docs and the `delivery` checks (orchestration/checks.py).

A run over many months is one run (single-run backfill policy): every month is ingested in
order, and the dbt models are built once afterwards."""

import warnings

import dagster as dg

from orchestration.partitions import monthly_partitions, months_of_run
from orchestration.resources import WarehouseResource

SOURCE_KINDS = ("uitkeringen", "brp", "klantbeeld", "formatie", "trajecten")
EXPECTATION_RESULTS = dg.AssetKey(["landing", "expectation_results"])

DESCRIPTIONS = {
    "uitkeringen": "Benefits administration (BUS layout): one row per person per benefit running in the month.",
    "brp": "BRP extract for the persons on benefit: gender, nationality, residence title, settlement date.",
    "klantbeeld": "Case system: assessment, plan van aanpak, advice route and last contact per client.",
    "formatie": "Staffing: FTE per caseworker and team in the month.",
    "trajecten": "Partner deliveries: a full snapshot of each partner's trajectories, all partners in one table.",
}


def check_result(outcomes) -> dg.AssetCheckResult:
    """An asset check result from quality outcomes (ExpectationOutcome or CheckOutcome): failed
    when any failed, severity ERROR when a failed one has severity `error`."""
    failed = [o for o in outcomes if not o.passed]
    errors = [o for o in failed if o.severity == "error"]
    lines = [f"- {o.month} {o.source} `{o.rule}`: {o.detail}" for o in failed[:50]]
    return dg.AssetCheckResult(
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR if errors else dg.AssetCheckSeverity.WARN,
        metadata={
            "checked": dg.MetadataValue.int(len(outcomes)),
            "failed": dg.MetadataValue.int(len(failed)),
            "failed_error": dg.MetadataValue.int(len(errors)),
            "failures": dg.MetadataValue.md("\n".join(lines) or "none"),
        },
    )


def _landing_asset(kind: str) -> dg.AssetsDefinition:
    key = dg.AssetKey(["landing", kind])

    @dg.asset(
        key=key,
        group_name="landing",
        partitions_def=monthly_partitions,
        backfill_policy=dg.BackfillPolicy.single_run(),
        description=DESCRIPTIONS[kind],
        kinds={"duckdb", "python"},
        check_specs=[dg.AssetCheckSpec("row_rules", asset=key,
                                       description=f"The row rules expectations/{kind}.json, as ingestion recorded them")],
    )
    def _asset(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
        from orchestration.db import ensure_landing_schema
        from orchestration.quality import suites
        from orchestration.quality.expectation_results import recorded_outcomes
        from orchestration.quality.file_rules import sources_of_kind_sql
        from orchestration.sources.ingest import ingest_month

        key_bytes, mode = warehouse.pseudonym_key()
        if mode == "demo":
            context.log.warning("No STATMON_PSEUDONYM_KEY: demo data, pseudonymised with a local demo key.")
        totals = {"rows_in": 0, "rows_loaded": 0, "rows_quarantined": 0, "files_failed": 0}
        lines = []
        with warehouse.connect() as con:
            ensure_landing_schema(con)  # once, not for each month
            for month in context.partition_keys:
                for result in ingest_month(con, warehouse.raw, month, kind, key_bytes, ensure_schema=False):
                    if result.status == "failed":
                        totals["files_failed"] += 1
                        log = context.log.error if result.severity == "error" else context.log.warning
                        log(f"{month} {result.source_file}: {result.message}")
                    elif result.status == "missing" and result.severity == "warn":
                        context.log.warning(f"{month} {result.source}: {result.message}")
                    elif result.status == "loaded":
                        totals["rows_in"] += result.rows_in or 0
                        totals["rows_loaded"] += result.rows_loaded or 0
                        totals["rows_quarantined"] += result.rows_quarantined or 0
                    lines.append(
                        f"| {month} | {result.source} | {result.status} | {result.rows_in or 0} | "
                        f"{result.rows_loaded or 0} | {result.rows_quarantined or 0} |"
                    )
            suite_name = suites.load_suite(suites.row_rules_path(kind))["name"]
            outcomes = recorded_outcomes(con, suite_name, list(context.partition_keys), sources_of_kind_sql(kind))
        table = "| month | source | status | rows in | loaded | quarantined |\n|---|---|---|---|---|---|\n"
        return dg.MaterializeResult(
            metadata={
                **{k: dg.MetadataValue.int(v) for k, v in totals.items()},
                "deliveries": dg.MetadataValue.md(table + "\n".join(lines)),
            },
            check_results=[check_result(outcomes)],
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


@dg.asset(
    key=EXPECTATION_RESULTS,
    group_name="landing",
    deps=[*(dg.AssetKey(["landing", kind]) for kind in SOURCE_KINDS), dq_waivers],
    kinds={"duckdb", "python"},
    description="The result of every expectation per source and delivery month: the row rules as ingestion "
    "recorded them, and the file-level rules (expectations/file_rules/ by GX on the landed rows, a delivery "
    "validated once per version; partner persons known; the delivery rules: each expected delivery "
    "in raw/ and readable, docs/stewards.md), also in "
    "landing.check_results for the publication gate.",
)
def expectation_results(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    from orchestration.quality.file_rules import run_file_rules
    from orchestration.quality.month_state import record_vanished_folders

    months = months_of_run(context.run.tags)
    metadata = {}
    with warehouse.connect() as con:
        for month in record_vanished_folders(con, warehouse.raw, months):
            context.log.warning(f"raw/{month}/ no longer exists: what was loaded from it stays in force")
        for kind in SOURCE_KINDS:
            outcomes = run_file_rules(con, kind, months)
            metadata[f"{kind}_failed"] = dg.MetadataValue.int(sum(not o.passed for o in outcomes))
        ((recorded, failed),) = con.execute(
            """SELECT count(*), count(*) FILTER (WHERE NOT success) FROM landing.expectation_results
               WHERE strftime(delivery_month, '%Y-%m') IN (SELECT unnest(?::VARCHAR[]))""", [months]).fetchall()
    return dg.MaterializeResult(metadata={"months": dg.MetadataValue.int(len(months)),
                                          "results": dg.MetadataValue.int(recorded),
                                          "failed_expectations": dg.MetadataValue.int(failed), **metadata})


with warnings.catch_warnings():
    # The single-run backfill policy is what makes a backfill one run; Dagster marks it beta.
    warnings.simplefilter("ignore", dg.BetaWarning)
    landing_assets = [_landing_asset(kind) for kind in SOURCE_KINDS]
