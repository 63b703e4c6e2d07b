"""The `delivery` check of every landing asset: the file-level rules of the run's months
(row count against the previous month, key uniqueness, partner persons known, benefits delivery
readable), as the asset landing/expectation_results recorded them; it depends on that asset, so it
reports this run's results. An `error` here blocks publication of that month and later ones (the
gate, orchestration/quality/blocking.py, reads the same recorded results). The `row_rules` check is
part of each landing asset (orchestration/assets/landing.py)."""

import dagster as dg

from orchestration.assets.landing import EXPECTATION_RESULTS, SOURCE_KINDS, check_result
from orchestration.partitions import months_of_run
from orchestration.resources import WarehouseResource


def _delivery_check(kind: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=dg.AssetKey(["landing", kind]), name="delivery", additional_deps=[EXPECTATION_RESULTS],
                    description="File-level rules on the landed delivery (expectations/file_rules/ and "
                    "orchestration/quality/file_rules.py), as landing/expectation_results recorded them")
    def delivery(context: dg.AssetCheckExecutionContext, warehouse: WarehouseResource) -> dg.AssetCheckResult:
        from orchestration.quality.file_rules import recorded_file_rule_outcomes

        with warehouse.connect(read_only=True) as con:
            return check_result(recorded_file_rule_outcomes(con, kind, months_of_run(context.run.tags)))

    return delivery


landing_checks = [_delivery_check(kind) for kind in SOURCE_KINDS]
