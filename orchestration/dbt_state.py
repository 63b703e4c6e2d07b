"""dbt's state per warehouse: its parse state and the record of its builds.

Parse state:  dbt keeps what it parsed in `partial_parse.msgpack` and parses
only the files that changed since, but refuses the file when it was made for another profile,
and the profile holds the warehouse path: one shared file (dbt_project/target/) was remade by
every dbt run on any warehouse (tests, `make docs`, the benchmark), and the next monthly run
parsed the whole project again (~3 s instead of ~1.3 s). Each warehouse keeps its own file
beside it; every dbt invocation on it starts from that file. A missing or stale file only costs
one full parse.

Builds: `landing.dbt_builds` records every build of the monthly graph (started, built, or skipped
because nothing changed since the last publication: orchestration/assets/dbt.py).

No Dagster or dbt import here: `statmon run` uses this before and after its run."""
from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

PARTIAL_PARSE_FILE = "partial_parse.msgpack"
BUILDS_TABLE = "landing.dbt_builds"
# The line `statmon run` prints (and the dbt step logs) when a run skips the build.
NO_NEW_DATA = "no new data since the last publication: nothing rebuilt"


def partial_parse_path(warehouse: Path) -> Path:
    """`.<warehouse file name>.dbt_partial_parse.msgpack` beside the warehouse."""
    warehouse = Path(warehouse)
    return warehouse.parent / f".{warehouse.name}.dbt_{PARTIAL_PARSE_FILE}"


def seed_target(warehouse: Path, target_path: Path) -> bool:
    """Put the warehouse's parse state into a dbt invocation's target directory (before dbt
    starts). False when the warehouse has none yet."""
    state = partial_parse_path(warehouse)
    if not state.exists():
        return False
    Path(target_path).mkdir(parents=True, exist_ok=True)
    shutil.copyfile(state, Path(target_path) / PARTIAL_PARSE_FILE)
    return True


def keep_from_target(warehouse: Path, target_path: Path) -> bool:
    """Keep the parse state a dbt invocation on this warehouse left in its target directory.
    Best effort: False when dbt wrote none."""
    parsed = Path(target_path) / PARTIAL_PARSE_FILE
    if not parsed.exists():
        return False
    destination = partial_parse_path(warehouse)
    destination.parent.mkdir(parents=True, exist_ok=True)
    temporary = destination.with_name(f"{destination.name}.{os.getpid()}")
    shutil.copyfile(parsed, temporary)
    os.replace(temporary, destination)  # atomic: a concurrent reader never sees half a file
    return True


def record_build(con, run_id: str, fingerprint: str, status: str) -> None:
    """started / built / skipped. A build that started and never reached `built` (a crash, a
    model in error) leaves marts that may differ from any publication: the next run builds."""
    con.execute("create schema if not exists landing")
    con.execute(f"create table if not exists {BUILDS_TABLE} (run_id varchar not null, fingerprint varchar not null, "
                "status varchar not null, recorded_at timestamp not null)")
    recorded_at = dt.datetime.now(dt.timezone.utc).replace(tzinfo=None)  # naive UTC
    con.execute(f"insert into {BUILDS_TABLE} values (?, ?, ?, ?)", [run_id, fingerprint, status, recorded_at])


def skipped_build_since(warehouse: Path, since_utc: dt.datetime) -> bool:
    """Whether a run recorded after `since_utc` (naive UTC) skipped the dbt build because nothing
    changed (for `statmon run`'s closing line)."""
    import duckdb

    try:
        con = duckdb.connect(str(warehouse), read_only=True)
    except duckdb.Error:
        return False
    try:
        row = con.execute(f"select status from {BUILDS_TABLE} where recorded_at >= ? "
                          "order by recorded_at desc limit 1", [since_utc]).fetchone()
    except duckdb.Error:  # no build recorded yet
        return False
    finally:
        con.close()
    return bool(row) and row[0] == "skipped"
