"""`statmon retention`: old month folders and everything derived from them go, logged; nothing
else does; only when called, and not while a run holds the warehouse."""
from __future__ import annotations

import fcntl
import re

import duckdb
import pytest

from reliability_helpers import MONTHS, query

OLDEST = MONTHS[0]          # 2017-12: older than 8 years on 2026-01-15
TODAY, KEEP_YEARS = "2026-01-15", "8"


def _month_counts(warehouse) -> dict[str, dict[str, int]]:
    """Rows per month of every landing table with delivery_month (ingestion writes nowhere else:
    there is no second copy of the delivered rows to forget)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert not con.execute("SELECT * FROM information_schema.schemata WHERE schema_name = 'parsed'").fetchall()
        tables = [r[0] for r in con.execute(
            """SELECT table_schema || '.' || table_name FROM information_schema.columns
               WHERE column_name = 'delivery_month' AND table_schema = 'landing' ORDER BY 1""").fetchall()]
        return {t: dict(con.execute(f"SELECT strftime(delivery_month, '%Y-%m'), count(*) FROM {t} GROUP BY 1").fetchall())
                for t in tables}
    finally:
        con.close()


@pytest.fixture(scope="module")
def retained(good_run, tmp_path_factory):
    ws = good_run.ws.copy(tmp_path_factory.mktemp("retention"))
    before = _month_counts(ws.warehouse)
    dry = ws.statmon("retention", "--keep-years", KEEP_YEARS, "--today", TODAY, "--dry-run")
    after_dry = _month_counts(ws.warehouse)
    folders_after_dry = sorted(p.name for p in ws.raw.iterdir())
    result = ws.statmon("retention", "--keep-years", KEEP_YEARS, "--today", TODAY)
    again = ws.statmon("retention", "--keep-years", KEEP_YEARS, "--today", TODAY)
    return ws, before, dry, after_dry, folders_after_dry, result, again


def test_dry_run_lists_and_changes_nothing(retained):
    ws, before, dry, after_dry, folders_after_dry, *_ = retained
    assert dry.rc == 0, dry.describe()
    assert after_dry == before
    assert OLDEST in folders_after_dry
    assert f"everything before {MONTHS[1]} (dry run)" in dry.stdout
    assert re.search(rf"^would remove folder {OLDEST}/: \d+ files, \d+ bytes$", dry.stdout, re.M)
    assert f"would remove {before['landing.uitkeringen'][OLDEST]} rows from landing.uitkeringen" in dry.stdout


def test_old_months_and_everything_derived_from_them_are_removed_and_logged(retained):
    ws, before, _, _, _, result, again = retained
    assert result.rc == 0, result.describe()
    # raw/: only the old month folder went
    assert sorted(p.name for p in ws.raw.iterdir() if not p.name.startswith(".")) == list(MONTHS[1:])
    assert (ws.raw / ".statmon-demo").exists()
    after = _month_counts(ws.warehouse)
    for table, months in before.items():
        expected = {m: n for m, n in months.items() if m > OLDEST}
        assert after.get(table, {}) == expected, table
    # a line per folder and per table, to stdout and to landing.retention_log, with counts
    assert re.search(rf"^removed folder {OLDEST}/: \d+ files, \d+ bytes$", result.stdout, re.M), result.stdout
    log = query(ws.warehouse, "SELECT object_kind, object_name, files_removed, rows_removed, strftime(cutoff_month, '%Y-%m'), "
                              "retention_id FROM landing.retention_log ORDER BY object_kind, object_name")
    assert len({r[5] for r in log}) == 1, "one call removed something, the second found nothing to log"
    assert {r[4] for r in log} == {MONTHS[1]}
    folder_rows = [r for r in log if r[0] == "folder"]
    assert [r[1] for r in folder_rows] == [f"raw/{OLDEST}/"] and folder_rows[0][2] > 5
    table_rows = {r[1]: r[3] for r in log if r[0] == "table"}
    assert table_rows == {t: months.get(OLDEST, 0) for t, months in before.items()}
    for table, rows in table_rows.items():
        assert f"removed {rows} rows from {table}" in result.stdout
    assert table_rows["landing.uitkeringen"] > 100 and table_rows["landing.deliveries"] > 5
    # the models were rebuilt in full: no per-person row of the removed month is left in them
    assert not query(ws.warehouse, "SELECT * FROM intermediate.int_person_months WHERE strftime(month, '%Y-%m') = ?", [OLDEST])
    assert not query(ws.warehouse, "SELECT * FROM intermediate.int_trajectories_as_of_month "
                                   "WHERE strftime(as_of_month, '%Y-%m') = ?", [OLDEST])
    # and republished: the stewards' file holds no quarantined row of the removed month
    stewards = ws.published_dir / "stewards.duckdb"
    assert not query(stewards, "SELECT * FROM quarantine WHERE strftime(delivery_month, '%Y-%m') = ?", [OLDEST])
    assert query(stewards, "SELECT count(*) FROM publication_log WHERE run_id = 'retention'") == [(1,)]
    assert query(ws.published_dir / "published.duckdb",
                 "SELECT count(*) FROM publication_log WHERE run_id = 'retention'") == [(1,)]
    # a second call finds nothing more to remove
    assert again.rc == 0, again.describe()
    assert "nothing older than the retention period: nothing removed" in again.stdout


def test_retention_refuses_while_a_run_holds_the_warehouse(good_run, tmp_path):
    ws = good_run.ws.copy(tmp_path / "locked")
    lock = ws.warehouse.parent / f".{ws.warehouse.name}.run.lock"
    with open(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        result = ws.statmon("retention", "--keep-years", "1", "--no-rebuild")
    assert result.rc == 2
    assert f"statmon retention: another run is writing {ws.warehouse.resolve()}; try again when it has finished" in result.stderr
    assert sorted(p.name for p in ws.raw.iterdir() if not p.name.startswith(".")) == list(MONTHS)
    assert ws.statmon("retention", "--keep-years", "0").rc == 2
