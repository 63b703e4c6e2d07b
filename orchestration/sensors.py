"""A sensor that starts the monthly refresh for a month when files in raw/<month>/ are new or
changed. The cursor holds a fingerprint (names, sizes, modification times) per month folder, so
an unchanged folder never starts a run and a re-delivery does."""

import hashlib
import json
from pathlib import Path

import dagster as dg

from orchestration.jobs import monthly_refresh_job
from orchestration.partitions import monthly_partitions
from orchestration.resources import WarehouseResource


def folder_fingerprint(folder: Path) -> str:
    entries = sorted(
        (p.name, p.stat().st_size, p.stat().st_mtime_ns) for p in folder.iterdir() if p.is_file()
    )
    return hashlib.sha256(json.dumps(entries).encode()).hexdigest()[:16]


def changed_months(raw_dir: Path, cursor: dict[str, str]) -> tuple[dict[str, str], list[str]]:
    """Fingerprints of all valid month folders and the months whose fingerprint changed."""
    from orchestration.sources.ingest import find_months

    months, _skipped = find_months(raw_dir)
    valid = set(monthly_partitions.get_partition_keys())
    current = {m: folder_fingerprint(raw_dir / m) for m in months if m in valid}
    changed = [m for m, fp in current.items() if cursor.get(m) != fp]
    return current, changed


@dg.sensor(
    job=monthly_refresh_job,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts the monthly refresh for a month when files in raw/<month>/ are new or changed.",
)
def raw_delivery_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    cursor = json.loads(context.cursor) if context.cursor else {}
    current, changed = changed_months(warehouse.raw, cursor)
    for month in sorted(changed):
        yield dg.RunRequest(run_key=f"{month}:{current[month]}", partition_key=month)
    context.update_cursor(json.dumps(current))
