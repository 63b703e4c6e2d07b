"""The sensor starts a run for a month when its files are new or changed, and never for an
unchanged folder or a folder that is not a month."""
import json
import os
import shutil

import dagster as dg

from orchestration.definitions import defs
from orchestration.resources import WarehouseResource


def _evaluate(raw, tmp_path, cursor=None):
    sensor = defs.resolve_sensor_def("raw_delivery_sensor")
    warehouse = WarehouseResource(warehouse_path=str(tmp_path / "w.duckdb"), raw_dir=str(raw))
    with dg.build_sensor_context(cursor=cursor, resources={"warehouse": warehouse}, definitions=defs) as context:
        result = sensor.evaluate_tick(context)
        return result.run_requests, result.cursor


def test_new_changed_and_unchanged_month_folders(demo_raw, tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    shutil.copy(demo_raw / ".statmon-demo", raw)
    for month in ("2017-12", "2018-01"):
        shutil.copytree(demo_raw / month, raw / month)
    (raw / "not-a-month").mkdir()

    requests, cursor = _evaluate(raw, tmp_path)
    assert sorted(r.partition_key for r in requests) == ["2017-12", "2018-01"]
    assert set(json.loads(cursor)) == {"2017-12", "2018-01"}

    requests, cursor = _evaluate(raw, tmp_path, cursor)
    assert requests == []

    # a re-delivered partner file (changed content, newer time) starts a run for that month only
    delivered = raw / "2018-01" / "trajecten_timnit.csv"
    delivered.write_bytes(delivered.read_bytes() + b"\n")
    os.utime(delivered, ns=(delivered.stat().st_atime_ns, delivered.stat().st_mtime_ns + 10**9))
    requests, cursor = _evaluate(raw, tmp_path, cursor)
    assert [r.partition_key for r in requests] == ["2018-01"]

    # a new month arrives
    shutil.copytree(demo_raw / "2018-02", raw / "2018-02")
    requests, _ = _evaluate(raw, tmp_path, cursor)
    assert [r.partition_key for r in requests] == ["2018-02"]
