"""A sensor that starts the monthly refresh for a month when raw/<month>/ holds a delivery file
the warehouse has not seen: a file is seen when `landing.deliveries` records its path with its
sha256, whatever became of it (loaded, unchanged, failed or superseded). What has landed is
read from the warehouse, not from the cursor, so a new UI, a new Dagster home or a lost cursor
starts runs only for files that really are new or changed (not for what `statmon run` loaded).

The cursor only saves work: it keeps each file's size, modification time and sha256, so a tick
reads only the files that are new or whose size or time changed (a first tick hashes every
file once). Files that no source of the registry matches are never read by ingestion and never
start a run. A run requested but not yet finished is not requested again: its run key is the
month and the hashes of its unseen files."""
from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg

from orchestration.jobs import monthly_refresh_job
from orchestration.partitions import monthly_partitions
from orchestration.resources import WarehouseResource

# relative path (as in landing.deliveries.source_file) -> [size, mtime_ns, sha256]
FileStates = dict[str, list]


def delivery_files(raw_dir: Path) -> dict[str, Path]:
    """Every file in a month folder of raw_dir that a source of the registry picks up, by its
    path relative to raw_dir."""
    from orchestration.sources import ingest

    valid = set(monthly_partitions.get_partition_keys())
    months, _skipped = ingest.find_months(raw_dir)
    return ingest.delivery_files(raw_dir, [m for m in months if m in valid])


def file_states(raw_dir: Path, known: FileStates) -> FileStates:
    """Size, modification time and sha256 of every delivery file; the sha256 is taken from
    `known` when size and modification time are unchanged, else computed."""
    states = {}
    for relative, path in delivery_files(raw_dir).items():
        stat = path.stat()
        previous = known.get(relative)
        if previous and previous[0] == stat.st_size and previous[1] == stat.st_mtime_ns:
            states[relative] = previous
            continue
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        states[relative] = [stat.st_size, stat.st_mtime_ns, digest.hexdigest()]
    return states


def unseen_by_month(states: FileStates, seen: set[tuple[str, str]]) -> dict[str, list[str]]:
    """The delivery files not in landing.deliveries with the same sha256, per month."""
    months: dict[str, list[str]] = {}
    for relative, (_size, _mtime, sha256) in sorted(states.items()):
        if (relative, sha256) not in seen:
            months.setdefault(relative.split("/", 1)[0], []).append(relative)
    return months


@dg.sensor(
    job=monthly_refresh_job,
    minimum_interval_seconds=300,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Starts the monthly refresh for a month when raw/<month>/ holds a delivery file that "
    "landing.deliveries does not record with the same sha256 (new or changed).",
)
def raw_delivery_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    states = file_states(warehouse.raw, json.loads(context.cursor) if context.cursor else {})
    context.update_cursor(json.dumps(states))
    from orchestration.sources import ingest

    seen = ingest.recorded_files(warehouse.warehouse, "file_hash")
    if seen is None:
        return dg.SkipReason(f"{warehouse.warehouse} is being written (a run is in progress); looking again next tick")
    requests = []
    for month, files in unseen_by_month(states, seen).items():
        key = hashlib.sha256(json.dumps([[f, states[f][2]] for f in files]).encode()).hexdigest()[:16]
        context.log.info(f"{month}: not seen yet: {', '.join(f.split('/', 1)[1] for f in files)}")
        requests.append(dg.RunRequest(run_key=f"{month}:{key}", partition_key=month))
    return requests or dg.SkipReason("every delivery file in raw/ is recorded in landing.deliveries")
