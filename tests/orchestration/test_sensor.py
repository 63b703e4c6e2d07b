"""The sensor knows what has landed: after a real `statmon run`, its first tick with an empty
cursor (a new UI, a new Dagster home, a lost cursor) starts nothing; a changed or a new delivery
file starts a run for exactly its month. Evaluated through Dagster's public API (direct
invocation with `build_sensor_context` and the real warehouse resource)."""
import json
import os
import shutil
import subprocess
import sys

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.resources import WarehouseResource
from orchestration.sensors import raw_delivery_sensor


@pytest.fixture
def landed(pipeline_run, tmp_path):
    """A copy of the raw deliveries and of the warehouse `statmon run` loaded them into."""
    assert pipeline_run["result"].returncode == 0, pipeline_run["result"].stderr[-3000:]
    raw = tmp_path / "raw"
    shutil.copytree(pipeline_run["raw"], raw)
    warehouse = tmp_path / "warehouse" / "monitor.duckdb"
    warehouse.parent.mkdir()
    shutil.copyfile(pipeline_run["warehouse"], warehouse)
    return raw, warehouse


def _tick(raw, warehouse, cursor=None):
    """One evaluation: (the months it requests runs for, its run keys, the cursor it leaves)."""
    resource = WarehouseResource(warehouse_path=str(warehouse), raw_dir=str(raw))
    with dg.build_sensor_context(cursor=cursor, resources={"warehouse": resource}, definitions=defs) as context:
        result = raw_delivery_sensor(context)
        requests = [] if isinstance(result, dg.SkipReason) else list(result)
        return [r.partition_key for r in requests], [r.run_key for r in requests], context.cursor


def test_first_tick_after_statmon_run_starts_nothing(landed):
    raw, warehouse = landed
    months, _keys, cursor = _tick(raw, warehouse)
    assert months == []
    # the cursor knows every delivery file (size, mtime, sha256); the demo marker is no delivery
    files = json.loads(cursor)
    assert len(files) > 10 and all(path[:7] in ("2017-12", "2018-01", "2018-02") for path in files)
    assert _tick(raw, warehouse, cursor)[0] == []


def test_a_changed_or_new_file_starts_exactly_its_month(landed):
    raw, warehouse = landed
    _months, _keys, cursor = _tick(raw, warehouse)

    # a partner re-delivers its 2018-01 snapshot, changed
    delivered = raw / "2018-01" / "trajecten_timnit.csv"
    delivered.write_bytes(delivered.read_bytes() + b"\n")
    months, keys, cursor = _tick(raw, warehouse, cursor)
    assert months == ["2018-01"]
    # the next tick (the run not finished yet) asks for the same run: Dagster starts it once
    assert _tick(raw, warehouse, cursor)[:2] == (months, keys)
    # and so does a lost cursor
    assert _tick(raw, warehouse)[:2] == (months, keys)

    # a new month arrives; a file no source of the registry reads starts nothing
    shutil.copytree(raw / "2017-12", raw / "2018-03")
    (raw / "2018-02" / "notes from the supplier.txt").write_text("not a delivery")
    assert _tick(raw, warehouse, cursor)[0] == ["2018-01", "2018-03"]


def test_the_cursor_spares_unchanged_files_the_hash(landed):
    """Size and modification time unchanged: the cursor's sha256 is trusted (no re-read);
    without a cursor the file is read and its content decides."""
    raw, warehouse = landed
    _months, _keys, cursor = _tick(raw, warehouse)
    path = raw / "2017-12" / "uitkeringen.csv"
    stat = path.stat()
    content = bytearray(path.read_bytes())
    content[-2] = ord("0") if content[-2] != ord("0") else ord("1")  # same size, other bytes
    path.write_bytes(bytes(content))
    os.utime(path, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert _tick(raw, warehouse, cursor)[0] == []
    assert _tick(raw, warehouse)[0] == ["2017-12"]


def test_a_tick_while_a_run_writes_the_warehouse_waits(landed):
    raw, warehouse = landed
    (raw / "2018-02" / "uitkeringen.csv").write_bytes(b"changed")
    # another process holds DuckDB's one writer lock, as a run does
    writer = subprocess.Popen([sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); "
                               "print('open', flush=True); sys.stdin.read()", str(warehouse)],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout.readline().strip() == "open"
        months, _keys, cursor = _tick(raw, warehouse)
    finally:
        writer.communicate("")
    assert months == [] and json.loads(cursor)  # skipped; the hashes are kept
    assert _tick(raw, warehouse, cursor)[0] == ["2018-02"]
