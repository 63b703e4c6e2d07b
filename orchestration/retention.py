"""Retention (bewaartermijn): remove deliveries older than a number of years from raw/ and
everything derived from them, and log what was removed.

`statmon retention --keep-years N [--today YYYY-MM-DD] [--dry-run] [--no-rebuild]` is the only
command that deletes from raw/, and it does so only when called explicitly. A month folder
`raw/YYYY-MM/` is removed when the whole month ended more than N years before today, i.e. when
the month is earlier than the cutoff month = the month of (today - N years).

What is removed, in this order (each step is idempotent, so an interrupted retention is completed
by running it again):
1. the month folders before the cutoff month (folders that are not `YYYY-MM` are never touched);
2. in one transaction, the rows with `delivery_month` before the cutoff month of every table of
   the schema `landing` that has that column (landing.<kind>, quarantine, row_issues, deliveries,
   expectation_results, check_results), together with one `landing.retention_log` row per folder
   and per table (nothing is logged when there is nothing to remove);
3. unless --no-rebuild: `dbt run --full-refresh` (the incremental panels would otherwise keep rows
   of removed months), then the publication and the stewards' file are written again from the
   rebuilt marts, so no derived row of a removed month stays in a published file either.
With --no-rebuild, run `statmon run` afterwards and know that the dbt models and the published
files keep the removed months until a full refresh (`dbt run --full-refresh`).

DuckDB does not overwrite freed blocks at once: deleted rows may stay in unused parts of the
warehouse file until they are reused. Where that matters, rebuild the warehouse from raw/
(`rm warehouse/monitor.duckdb && statmon run`): the warehouse can always be rebuilt from raw/.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import subprocess
import sys
import uuid
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.db import ensure_landing_schema, transaction

MONTH_FOLDER = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
@dataclass
class RetentionPlan:
    cutoff_month: dt.date
    folders: list[tuple[Path, int, int]] = field(default_factory=list)   # (folder, files, bytes)
    tables: list[tuple[str, int]] = field(default_factory=list)          # (schema.table, rows)


def cutoff_month(today: dt.date, keep_years: int) -> dt.date:
    """First month that is kept: the month of (today - keep_years years)."""
    return dt.date(today.year - keep_years, today.month, 1)


def _folder_size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def _tables_with_delivery_month(con) -> list[str]:
    rows = con.execute(
        """SELECT t.table_schema || '.' || t.table_name
           FROM information_schema.tables t JOIN information_schema.columns c
             ON c.table_schema = t.table_schema AND c.table_name = t.table_name
           WHERE t.table_type = 'BASE TABLE' AND c.column_name = 'delivery_month'
             AND t.table_catalog = current_database() AND t.table_schema = 'landing'
           ORDER BY 1"""
    ).fetchall()
    return [r[0] for r in rows]


def plan_retention(con, raw_dir: Path, cutoff: dt.date) -> RetentionPlan:
    plan = RetentionPlan(cutoff)
    if raw_dir.is_dir():
        for entry in sorted(raw_dir.iterdir()):
            match = MONTH_FOLDER.match(entry.name)
            if entry.is_dir() and not entry.is_symlink() and match:
                if dt.date(int(match.group(1)), int(match.group(2)), 1) < cutoff:
                    plan.folders.append((entry, *_folder_size(entry)))
    for table in _tables_with_delivery_month(con):
        rows = con.execute(f"SELECT count(*) FROM {table} WHERE delivery_month < ?", [cutoff]).fetchone()[0]
        plan.tables.append((table, rows))
    return plan


def _rebuild(warehouse: Path, out) -> bool:
    """Full refresh of the dbt models, then publication and stewards' file from the new marts."""
    from orchestration import config

    dbt = str(Path(sys.executable).with_name("dbt"))
    env = {**os.environ, "STATMON_WAREHOUSE": str(warehouse)}
    print("rebuilding the dbt models in full (dbt run --full-refresh) ...", file=out, flush=True)
    done = subprocess.run(
        [dbt, "run", "--full-refresh", "--quiet", "--project-dir", str(config.DBT_PROJECT_DIR),
         "--profiles-dir", str(config.DBT_PROJECT_DIR), "--target-path", str(config.dbt_target_path(warehouse))],
        env=env, cwd=config.DBT_PROJECT_DIR,
    )
    if done.returncode != 0:
        print("statmon retention: the deliveries were removed, but `dbt run --full-refresh` failed (see above); "
              "fix it and run `statmon run`: until then the dbt models and published files hold the removed months",
              file=sys.stderr)
        return False
    import duckdb

    from orchestration.publish import publish, publish_stewards
    from orchestration.quality.blocking import publishable_through

    out_dir = config.published_dir(warehouse)
    con = duckdb.connect(str(warehouse))
    try:
        through = publishable_through(con)
        if through is not None:
            publish(warehouse, out_dir, through, con=con, run_id="retention")
        publish_stewards(warehouse, out_dir, con=con, run_id="retention")
    finally:
        con.close()
    print(f"republished through {through or 'nothing'} in {out_dir}", file=out)
    return True


def run_retention(raw_dir: Path, warehouse: Path, keep_years: int, today: dt.date | None = None,
                  dry_run: bool = False, rebuild: bool = True, out=sys.stdout) -> int:
    """Apply the retention period. Returns an exit status: 0 done (or nothing to do), 1 removed but
    the rebuild failed, 2 refused (bad arguments, no warehouse, a run in progress)."""
    import duckdb

    from orchestration.run import RunInProgress, single_run_lock

    if keep_years < 1:
        print(f"statmon retention: --keep-years must be at least 1, not {keep_years}", file=sys.stderr)
        return 2
    raw_dir, warehouse = Path(raw_dir).resolve(), Path(warehouse).resolve()
    if not warehouse.exists():
        print(f"statmon retention: warehouse {warehouse} does not exist", file=sys.stderr)
        return 2
    today = today or dt.date.today()
    cutoff = cutoff_month(today, keep_years)
    prefix = "would remove" if dry_run else "removed"
    try:
        with single_run_lock(warehouse):
            con = duckdb.connect(str(warehouse), read_only=dry_run)
            try:
                ensure_landing_schema(con)  # also removes what older versions kept (schema parsed)
                plan = plan_retention(con, raw_dir, cutoff)
                print(f"retention: keep {keep_years} year(s) as of {today.isoformat()}: "
                      f"everything before {cutoff:%Y-%m}{' (dry run)' if dry_run else ''}", file=out)
                if dry_run:
                    for folder, files, size in plan.folders:
                        print(f"{prefix} folder {folder.name}/: {files} files, {size} bytes", file=out)
                    for table, rows in plan.tables:
                        if rows:
                            print(f"{prefix} {rows} rows from {table}", file=out)
                    return 0
                # Folders first: once they are gone nothing can bring the rows back, and a retention
                # interrupted after this step deletes the rows when it is run again.
                for folder, files, size in plan.folders:
                    shutil.rmtree(folder)
                    print(f"{prefix} folder {folder.name}/: {files} files, {size} bytes", file=out, flush=True)
                if not plan.folders and not any(rows for _, rows in plan.tables):
                    print("nothing older than the retention period: nothing removed", file=out)
                    return 0
                retention_id, now = uuid.uuid4().hex[:12], dt.datetime.now()
                with transaction(con):
                    log_rows = [(retention_id, now, keep_years, cutoff, "folder", f"raw/{folder.name}/", files, size, None)
                                for folder, files, size in plan.folders]
                    for table, rows in plan.tables:
                        con.execute(f"DELETE FROM {table} WHERE delivery_month < ?", [cutoff])
                        log_rows.append((retention_id, now, keep_years, cutoff, "table", table, None, None, rows))
                    if log_rows:
                        con.executemany("INSERT INTO landing.retention_log VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", log_rows)
                for table, rows in plan.tables:
                    print(f"{prefix} {rows} rows from {table}", file=out)
                con.execute("CHECKPOINT")
            finally:
                con.close()
            if rebuild:
                if not _rebuild(warehouse, out):
                    return 1
            else:
                print("the dbt models and published files still hold the removed months: run "
                      "`dbt run --full-refresh` (dbt_project/) and then `statmon run`", file=out)
    except RunInProgress as exc:
        print(f"statmon retention: {exc}", file=sys.stderr)
        return 2
    return 0
