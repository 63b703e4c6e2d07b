"""Optional publication to a PostgreSQL schema (the municipality's warehouse, which Power BI
reads natively).

Configured by environment: ``STATMON_PG_DSN`` (a libpq connection string or URI), or
``STATMON_PG_HOST``, ``STATMON_PG_PORT``, ``STATMON_PG_USER``, ``STATMON_PG_PASSWORD``,
``STATMON_PG_DBNAME``. Every table of ``published.duckdb`` is copied into the schema in ONE
transaction: a PostgreSQL reader sees the previous publication until the commit and the new one
after it. A table whose columns are unchanged is refreshed with DELETE + COPY (MVCC: readers are
not blocked and do not block); a table whose columns changed is dropped and recreated (that
takes a short exclusive lock, bounded by ``lock_timeout``). Table and column comments (the dbt
descriptions the published file carries, ``descriptions.py``) are set in the same transaction.
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import duckdb

PG_ENV = ("STATMON_PG_HOST", "STATMON_PG_PORT", "STATMON_PG_USER", "STATMON_PG_PASSWORD", "STATMON_PG_DBNAME")

_PG_TYPES = {
    "INTEGER": "integer", "BIGINT": "bigint", "HUGEINT": "numeric", "DOUBLE": "double precision",
    "FLOAT": "real", "VARCHAR": "text", "DATE": "date", "BOOLEAN": "boolean", "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz", "SMALLINT": "smallint",
}


def pg_dsn_from_env() -> str | None:
    """The DSN from STATMON_PG_DSN or the STATMON_PG_* parts; None when nothing is configured."""
    dsn = os.environ.get("STATMON_PG_DSN")
    if dsn:
        return dsn
    parts = {"host": "STATMON_PG_HOST", "port": "STATMON_PG_PORT", "user": "STATMON_PG_USER",
             "password": "STATMON_PG_PASSWORD", "dbname": "STATMON_PG_DBNAME"}
    given = {k: os.environ[v] for k, v in parts.items() if os.environ.get(v)}
    if not given:
        return None
    return " ".join(f"{k}='{v}'" for k, v in given.items())


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def publish_postgres(published_duckdb: Path, dsn: str | None = None,
                     schema: str = "statmon_published", lock_timeout: str = "30s") -> dict[str, int]:
    """Replace the schema's tables with those of the published file; returns rows per table."""
    import psycopg2  # comes with dbt-postgres

    dsn = dsn or pg_dsn_from_env()
    if not dsn:
        raise RuntimeError("no PostgreSQL configured: set STATMON_PG_DSN or STATMON_PG_HOST/PORT/USER/PASSWORD/DBNAME")
    source = duckdb.connect(str(published_duckdb), read_only=True)
    try:
        tables = [r[0] for r in source.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' ORDER BY 1").fetchall()]
        payload = {}
        for table in tables:
            columns = source.execute(
                "SELECT column_name, data_type FROM information_schema.columns "
                "WHERE table_schema = 'main' AND table_name = ? ORDER BY ordinal_position", [table]).fetchall()
            df = source.execute(f'SELECT * FROM "{table}"').df()
            buffer = io.StringIO()
            df.to_csv(buffer, index=False, header=False, na_rep="\\N", date_format="%Y-%m-%d %H:%M:%S.%f")
            payload[table] = (columns, buffer.getvalue(), len(df))
        # the published file's comments (the dbt descriptions, descriptions.py): one source
        comments = {table: (comment, {}) for table, comment in source.execute(
            "SELECT table_name, comment FROM duckdb_tables() WHERE schema_name = 'main'").fetchall()}
        for table, column, comment in source.execute(
                "SELECT table_name, column_name, comment FROM duckdb_columns() WHERE schema_name = 'main' "
                "AND comment IS NOT NULL").fetchall():
            comments.setdefault(table, (None, {}))[1][column] = comment
    finally:
        source.close()

    counts = {}
    pg = psycopg2.connect(dsn)
    try:
        with pg:  # one transaction: commit on success, rollback on any error
            with pg.cursor() as cur:
                cur.execute(f"SET LOCAL lock_timeout = '{lock_timeout}'")
                cur.execute(f"CREATE SCHEMA IF NOT EXISTS {_quote(schema)}")
                for table, (columns, csv_text, n_rows) in payload.items():
                    cur.execute("SELECT column_name, data_type FROM information_schema.columns "
                                "WHERE table_schema = %s AND table_name = %s ORDER BY ordinal_position",
                                (schema, table))
                    existing = cur.fetchall()
                    wanted = [(name, _PG_TYPES.get(t.upper(), "text")) for name, t in columns]
                    target = f"{_quote(schema)}.{_quote(table)}"
                    if existing == wanted:
                        cur.execute(f"DELETE FROM {target}")
                    else:
                        cur.execute(f"DROP TABLE IF EXISTS {target}")
                        cur.execute(f"CREATE TABLE {target} (" + ", ".join(
                            f"{_quote(n)} {t}" for n, t in wanted) + ")")
                    cur.copy_expert(f"COPY {target} FROM STDIN WITH (FORMAT csv, NULL '\\N')", io.StringIO(csv_text))
                    table_comment, column_comments = comments.get(table, (None, {}))
                    cur.execute(f"COMMENT ON TABLE {target} IS %s", (table_comment,))
                    for column, comment in column_comments.items():
                        cur.execute(f"COMMENT ON COLUMN {target}.{_quote(column)} IS %s", (comment,))
                    counts[table] = n_rows
                stale = [r[0] for r in _tables_in_schema(cur, schema) if r[0] not in payload]
                for table in stale:
                    cur.execute(f"DROP TABLE {_quote(schema)}.{_quote(table)}")
    finally:
        pg.close()
    return counts


def _tables_in_schema(cur, schema: str):
    cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = %s AND table_type = 'BASE TABLE'",
                (schema,))
    return cur.fetchall()
