"""Asset checks on the landing assets, run in the same run after ingestion:
- `row_rules`: the source's Great Expectations suite (expectations/<kind>.json) run by GX Core
  on the parsed batch of the run's months (the rows before quarantine), `warn`;
- `delivery`: the file-level rules on the landed data (row count against the previous month,
  key uniqueness, partner persons known, benefits delivery readable); an `error` here blocks
  publication of that month and later ones.
The rules themselves live in expectations/ and orchestration/quality/; this module wires them."""

import dagster as dg

from orchestration.assets.landing import SOURCE_KINDS
from orchestration.partitions import months_of_run
from orchestration.resources import WarehouseResource


def _passed(outcome) -> bool:
    return bool(getattr(outcome, "success", getattr(outcome, "passed", False)))


def _result(outcomes, kind: str) -> dg.AssetCheckResult:
    failed = [o for o in outcomes if not _passed(o)]
    errors = [o for o in failed if o.severity == "error"]
    lines = [
        f"- {o.month} {o.source} `{o.rule}`: {getattr(o, 'detail', None) or getattr(o, 'description', '')}"
        for o in failed[:50]
    ]
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


def _checks_for(kind: str) -> list[dg.AssetChecksDefinition]:
    asset_key = dg.AssetKey(["landing", kind])

    @dg.asset_check(asset=asset_key, name="row_rules", description=f"GX suite expectations/{kind}.json on the parsed rows")
    def row_rules(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        from orchestration.quality.gx_runner import validate_parsed_batch

        months = months_of_run(context.run.tags)
        with warehouse.connect() as con:
            outcomes = validate_parsed_batch(con, kind, months)
        return _result(outcomes, kind)

    @dg.asset_check(asset=asset_key, name="delivery", description="File-level rules on the landed delivery")
    def delivery(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        from orchestration.quality.file_rules import run_file_rules

        months = months_of_run(context.run.tags)
        with warehouse.connect() as con:
            outcomes = run_file_rules(con, kind, months)
        return _result(outcomes, kind)

    return [row_rules, delivery]


landing_checks = [check for kind in SOURCE_KINDS for check in _checks_for(kind)]
