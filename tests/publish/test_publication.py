"""Publication files: content, months, log, revisions, atomic replacement under a real reader
process, and a failed or killed publication leaving the last good one in place."""
from __future__ import annotations

import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from marts_fixture import build_marts, simulate, write_warehouse
from orchestration.publish import core, publish, publish_stewards
from orchestration.publish.tables import PUBLISHED_TABLES

HERE = Path(__file__).parent
PROJECT = HERE.parents[1]


def _log(path: Path) -> pd.DataFrame:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute("SELECT * FROM publication_log ORDER BY published_at").df()
    finally:
        con.close()


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_publication_content_and_parquet(warehouse, tmp_path):
    out = tmp_path / "out"
    result = publish(warehouse, out, "2018-06", run_id="run-1")
    assert result.published_file == out / "published.duckdb" and result.parquet_dir == out / "published"
    assert (result.months_from.isoformat(), result.months_to.isoformat()) == ("2017-01-01", "2018-06-01")
    con = duckdb.connect(str(result.published_file), read_only=True)
    try:
        assert con.execute("SELECT max(month) FROM caseload_monthly").fetchone()[0].isoformat() == "2018-06-01"
        assert con.execute("SELECT max(as_of_month) FROM initiative_outcomes").fetchone()[0].isoformat() == "2018-06-01"
        # cohort rows only once December of the cohort year + N is published
        assert con.execute("SELECT count(*) FROM cohort_progress WHERE make_date(cohort_year, 12, 1) "
                           "+ to_months(months_since_permit) > DATE '2018-06-01'").fetchone()[0] == 0
        log = con.execute("SELECT * FROM publication_log").df()
        assert len(log) == 1 and log.run_id[0] == "run-1"
        assert json.loads(log.row_counts[0]) == result.row_counts
        for spec in PUBLISHED_TABLES:
            columns = [r[0] for r in con.execute(f"DESCRIBE {spec.name}").fetchall()]
            assert columns == [c for c, _ in spec.published_columns()]
            db = con.execute(f"SELECT * FROM {spec.name}").fetchall()
            parquet = pq.read_table(out / "published" / f"{spec.name}.parquet").to_pylist()
            assert [tuple(r.values()) for r in parquet] == db, spec.name
        # no person in sight: no identifying column, no pseudonym-like value
        text = " ".join(str(v) for spec in PUBLISHED_TABLES
                        for v in con.execute(f"SELECT * FROM {spec.name}").fetchall())
        assert not re.search(r"\b[0-9a-f]{32}\b", text) and not re.search(r"\b\d{9}\b", text)
    finally:
        con.close()
    assert (out / "published").is_symlink()
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]


def test_publish_with_the_run_s_open_connection(warehouse, tmp_path):
    """Inside a Dagster run the warehouse is open for writing: the run hands its connection."""
    writer = duckdb.connect(str(warehouse))
    try:
        with pytest.raises(duckdb.Error):  # a second process/connection could not open it
            duckdb.connect(str(warehouse), read_only=True).close()
        result = publish(warehouse, tmp_path / "out", None, con=writer)
        writer.execute("SELECT 1").fetchone()  # still usable by the run
    finally:
        writer.close()
    assert result.row_counts["caseload_monthly"] == 24


def test_revisions_list_changed_figures(tmp_path, panel_marts):
    wh = write_warehouse(tmp_path / "wh" / "monitor.duckdb", panel_marts)
    out = tmp_path / "out"
    first = publish(wh, out, "2018-06")
    assert first.revisions == 0
    # a re-delivery repairs registrations backwards: 2017-05 gets 12 more statushouders
    revised = {k: v.copy() for k, v in panel_marts.items()}
    c = revised["caseload_monthly"]
    row = c.index[c.month.astype(str) == "2017-05-01"][0]
    c.loc[row, ["statushouders_on_benefit", "family_households"]] += 12
    c.loc[row, "clients_per_caseworker"] = c.loc[row, "statushouders_on_benefit"] / c.loc[row, "caseworker_fte"]
    write_warehouse(wh, revised)
    second = publish(wh, out, None)
    con = duckdb.connect(str(second.published_file), read_only=True)
    try:
        rev = con.execute("SELECT * FROM revisions WHERE publication_id = ?", [second.publication_id]).df()
        log = con.execute("SELECT * FROM publication_log ORDER BY published_at").df()
    finally:
        con.close()
    assert second.revisions == len(rev) > 0
    changed = rev[(rev.table_name == "caseload_monthly") & (rev.row_key == "month=2017-05-01")]
    total = changed[changed.column_name == "statushouders_on_benefit"].iloc[0]
    old, new = int(c.loc[row, "statushouders_on_benefit"]) - 12, int(c.loc[row, "statushouders_on_benefit"])
    assert (total.old_value, total.new_value) == (str(old), str(new))
    # months the first publication did not cover are new, not revised
    assert not (rev.row_key.str.contains("2018-0[7-9]|2018-1[0-2]")).any()
    assert list(log.publication_id) == [first.publication_id, second.publication_id]
    assert [str(d)[:10] for d in log.months_to] == ["2018-06-01", "2018-12-01"]


def test_reader_process_is_never_blocked_and_never_sees_half(warehouse, tmp_path):
    out = tmp_path / "out"
    first = publish(warehouse, out, "2017-06")
    stop = tmp_path / "stop"
    readers = {mode: (subprocess.Popen([sys.executable, str(HERE / "reader_loop.py"), str(out), str(stop),
                                        str(tmp_path / f"{mode}.json"), mode], cwd=PROJECT),
                      tmp_path / f"{mode}.json") for mode in ("hold", "loop")}
    try:
        deadline = time.time() + 60
        for process, result in readers.values():
            while not Path(str(result) + ".ready").exists():
                assert process.poll() is None and time.time() < deadline, "reader did not start"
                time.sleep(0.05)
        durations, ids = [], []
        for through in ["2017-09", "2018-03", None, "2017-12", "2018-06"]:
            started = time.monotonic()
            ids.append(publish(warehouse, out, through).publication_id)
            durations.append(time.monotonic() - started)
            time.sleep(0.2)  # let the reader catch this one
        stop.write_text("stop")
        for process, _ in readers.values():
            assert process.wait(timeout=60) == 0
    finally:
        for process, _ in readers.values():
            if process.poll() is None:
                process.kill()
    hold = json.loads(readers["hold"][1].read_text())
    loop = json.loads(readers["loop"][1].read_text())
    assert hold["problems"] == [] and loop["problems"] == []
    assert hold["seen"] == [first.publication_id]  # the held connection kept its publication, whole
    assert loop["duckdb_reads"] > 10 and loop["parquet_reads"] > 10
    assert len(set(loop["seen"]) & set(ids)) >= 3, "the reader saw too few of the publications"
    assert max(durations) < 30  # never waited on the readers' open connections


def test_failed_publication_leaves_the_last_good_one(warehouse, tmp_path, monkeypatch):
    out = tmp_path / "out"
    good = publish(warehouse, out, "2018-06")
    before = _digest(out / "published.duckdb"), os.readlink(out / "published")

    def broken(*args, **kwargs):
        raise OSError("disk full while writing Parquet")

    monkeypatch.setattr(core, "_write_parquet", broken)
    with pytest.raises(OSError, match="disk full"):
        publish(warehouse, out, None)
    assert (_digest(out / "published.duckdb"), os.readlink(out / "published")) == before
    assert list(_log(out / "published.duckdb").publication_id) == [good.publication_id]
    monkeypatch.undo()
    assert [p for p in out.iterdir() if ".tmp-" in p.name]  # the failed attempt's temp file...
    publish(warehouse, out, None)
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]  # ...is cleared by the next one


def test_killed_publication_leaves_the_last_good_one(warehouse, tmp_path):
    out = tmp_path / "out"
    good = publish(warehouse, out, "2018-06")
    before = _digest(out / "published.duckdb"), os.readlink(out / "published")
    marker = tmp_path / "marker"
    child = subprocess.Popen([sys.executable, str(HERE / "killed_publisher.py"), str(warehouse), str(out),
                              str(marker)], cwd=PROJECT)
    try:
        deadline = time.time() + 60
        while not marker.exists():
            assert child.poll() is None and time.time() < deadline, "publisher ended before the switch"
            time.sleep(0.05)
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=30) == -signal.SIGKILL
    finally:
        if child.poll() is None:
            child.kill()
    # the new publication was complete on disk but never switched in
    assert [p for p in out.iterdir() if ".tmp-" in p.name]
    assert (_digest(out / "published.duckdb"), os.readlink(out / "published")) == before
    assert list(_log(out / "published.duckdb").publication_id) == [good.publication_id]
    con = duckdb.connect(str(out / "published.duckdb"), read_only=True)
    assert con.execute("SELECT max(month) FROM caseload_monthly").fetchone()[0].isoformat() == "2018-06-01"
    con.close()
    # the lock died with the process: the next publication proceeds and cleans up
    nxt = publish(warehouse, out, None)
    assert list(_log(out / "published.duckdb").publication_id) == [good.publication_id, nxt.publication_id]
    assert not [p for p in out.rglob("*") if ".tmp-" in p.name]


def test_old_parquet_versions_are_pruned(warehouse, tmp_path):
    out = tmp_path / "out"
    ids = [publish(warehouse, out, m).publication_id for m in ("2017-06", "2017-09", "2017-12", "2018-03")]
    kept = sorted(p.name for p in (out / ".published-versions").iterdir())
    assert kept == ids[-core.KEEP_PARQUET_VERSIONS:]
    assert os.readlink(out / "published").endswith(ids[-1])


def test_stewards_file(warehouse, tmp_path):
    out = tmp_path / "out"
    result = publish_stewards(warehouse, out, run_id="run-9")
    assert result.published_file == out / "stewards.duckdb"
    assert result.row_counts == {"dq_issues": 3, "quarantine": 2}
    con = duckdb.connect(str(result.published_file), read_only=True)
    try:
        issues = con.execute("SELECT * FROM dq_issues").df()
        quarantine = con.execute("SELECT * FROM quarantine").df()
        log = con.execute("SELECT * FROM publication_log").df()
    finally:
        con.close()
    assert list(issues.columns) == ["rule_id", "severity", "source", "record_key", "first_seen_month",
                                    "last_seen_month", "status", "detail"]
    # the fixture's unmasked BSN in the quarantine is masked; no 9-digit number anywhere
    assert sorted(quarantine.value) == ["******782", "******789"]
    text = issues.to_string() + quarantine.to_string()
    assert not re.search(r"(?<!\d)\d{9}(?!\d)", text)
    assert log.run_id.tolist() == ["run-9"]
    again = publish_stewards(warehouse, out)
    assert len(_log(again.published_file)) == 2


def test_published_tables_and_columns_carry_the_dbt_descriptions(warehouse, tmp_path):
    """Every published table and every column of a mart has its dbt description as a comment
    (COMMENT ON), read from the dbt project's yml; flags and the period totals are described too."""
    from orchestration.publish.descriptions import dbt_descriptions
    from orchestration.publish.tables import PUBLISHED_TABLES

    result = publish(warehouse, tmp_path / "out", None)
    dbt = dbt_descriptions()
    con = duckdb.connect(str(result.published_file), read_only=True)
    try:
        tables = dict(con.execute("SELECT table_name, comment FROM duckdb_tables()").fetchall())
        columns = {(t, c): text for t, c, text in con.execute(
            "SELECT table_name, column_name, comment FROM duckdb_columns()").fetchall()}
    finally:
        con.close()
    for spec in PUBLISHED_TABLES:
        assert tables[spec.name], f"{spec.name} has no comment"
        for name, _ in spec.published_columns():
            assert columns[(spec.name, name)], f"{spec.name}.{name} has no comment"
    assert tables["caseload_monthly"] == dbt["caseload_monthly"][0]
    for column, text in dbt["participation_by_gender"][1].items():
        assert columns[("participation_by_gender", column)] == text
    assert columns[("outflow_quarterly", "benefits_ended")] == dbt["outflow_monthly"][1]["benefits_ended"]
    assert columns[("national_cohort_reference", "source_url")] == dbt["cbs_cohort_reference"][1]["source_url"]
    assert tables["revisions"] and columns[("revisions", "old_value")]
