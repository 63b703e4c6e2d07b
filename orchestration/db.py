"""Small helpers for the DuckDB warehouse shared by every writer."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator


@contextmanager
def transaction(con) -> Iterator[None]:
    """One DuckDB transaction: committed when the block ends, rolled back on any exception
    (a killed process never commits an open transaction either)."""
    con.execute("BEGIN TRANSACTION")
    try:
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")


def ensure_landing_schema(con) -> None:
    """Create or bring up to date the landing schema (orchestration/sources/landing.sql, the one
    declaration of its tables). Every statement there is idempotent; they run only when a declared
    table or column is missing or an obsolete schema is still there (one catalog query otherwise),
    and never on a read-only connection (a reader copes with what is there)."""
    declared_tables, declared_columns, dropped_tables, dropped_schemas = _landing_declarations()
    ((read_only,),) = con.execute(
        "SELECT readonly FROM duckdb_databases() WHERE database_name = current_database()").fetchall()
    if read_only:
        return
    present = set(con.execute(
        "SELECT table_name, column_name FROM information_schema.columns "
        "WHERE table_catalog = current_database() AND table_schema = 'landing'").fetchall())
    tables = {table for table, _column in present}
    schemas = {name for (name,) in con.execute(
        "SELECT schema_name FROM information_schema.schemata WHERE catalog_name = current_database()").fetchall()}
    if (declared_tables <= tables and declared_columns <= present and not dropped_tables & tables
            and not dropped_schemas & schemas):
        return
    con.execute(_landing_ddl())


def _landing_ddl() -> str:
    from orchestration.config import LANDING_DDL_FILE

    return LANDING_DDL_FILE.read_text(encoding="utf-8")


def _landing_declarations() -> tuple[set[str], set[tuple[str, str]], set[str], set[str]]:
    """The tables landing.sql creates, the columns it adds to existing tables, and the tables and
    schemas it drops (read from the file: a table added there is checked without a change here)."""
    import re

    ddl = _landing_ddl()
    tables = set(re.findall(r"CREATE TABLE IF NOT EXISTS landing\.(\w+)", ddl))
    columns = set(re.findall(r"ALTER TABLE landing\.(\w+) ADD COLUMN IF NOT EXISTS (\w+)", ddl))
    dropped_tables = set(re.findall(r"DROP TABLE IF EXISTS landing\.(\w+)", ddl))
    dropped_schemas = set(re.findall(r"DROP SCHEMA IF EXISTS (\w+)", ddl))
    return tables, columns, dropped_tables, dropped_schemas


def table_exists(con, schema: str, table: str) -> bool:
    return bool(con.execute(
        "SELECT count(*) FROM information_schema.tables WHERE table_catalog = current_database() "
        "AND table_schema = ? AND table_name = ?", [schema, table]).fetchall()[0][0])


def latest_publication(published_file: Path) -> tuple | None:
    """The latest row of a published file's publication_log: (run_id, published_at, months_to),
    or None when there is no file, no log (a publication from before it existed) or no row.
    The file is opened read-only; an error opening it is the caller's to handle."""
    import duckdb

    if not Path(published_file).exists():
        return None
    con = duckdb.connect(str(published_file), read_only=True)
    try:
        return con.execute("SELECT run_id, published_at, months_to FROM publication_log "
                           "ORDER BY published_at DESC LIMIT 1").fetchone()
    except duckdb.Error:  # no publication_log, or one from before it had these columns
        return None
    finally:
        con.close()
