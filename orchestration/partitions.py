"""The monthly partitions every per-month asset shares: one partition per reporting month.
The monitor starts with the 2014 permit cohort; the last partition is the last complete month
(a folder for the current or a later month is refused as a month in the future)."""
import dagster as dg

from orchestration.config import FIRST_MONTH

monthly_partitions = dg.MonthlyPartitionsDefinition(start_date=FIRST_MONTH, fmt="%Y-%m", end_offset=0)

PARTITION_TAG = "dagster/partition"
RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def months_of_run(run_tags: dict[str, str]) -> list[str]:
    """The months (`YYYY-MM`) a run covers, from its partition tag or partition-range tags.
    Unpartitioned steps (dbt, checks, publication) use this to know what the run ingested."""
    if PARTITION_TAG in run_tags:
        return [run_tags[PARTITION_TAG]]
    if RANGE_START_TAG in run_tags and RANGE_END_TAG in run_tags:
        return monthly_partitions.get_partition_keys_in_range(
            dg.PartitionKeyRange(run_tags[RANGE_START_TAG], run_tags[RANGE_END_TAG])
        )
    return []


def run_tags_for_months(months: list[str]) -> dict[str, str]:
    """Tags that make one run cover `months` (a contiguous range, oldest first)."""
    if len(months) == 1:
        return {PARTITION_TAG: months[0]}
    return {RANGE_START_TAG: months[0], RANGE_END_TAG: months[-1]}
