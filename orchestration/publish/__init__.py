"""Publication: the suppressed aggregate marts for BI tools (DuckDB file, Parquet, optionally
PostgreSQL) and the stewards' file. See ``core`` for the layout and guarantees and
``suppression`` for the small-number rules."""
from .core import PublicationResult, parse_month, publish, publish_stewards
from .postgres import pg_dsn_from_env, publish_postgres

__all__ = ["PublicationResult", "parse_month", "publish", "publish_stewards", "publish_postgres", "pg_dsn_from_env"]
