"""The warehouse resource: where the DuckDB file and the landing zone are, and a connection
that is opened per step and closed after it (DuckDB has one writing process, and the dbt
subprocess of the same run must be able to open the file after ingestion)."""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import dagster as dg

from orchestration import config


class WarehouseResource(dg.ConfigurableResource):
    """The embedded DuckDB warehouse and the raw landing zone it is built from."""

    warehouse_path: str
    raw_dir: str

    @property
    def warehouse(self) -> Path:
        return Path(self.warehouse_path)

    @property
    def raw(self) -> Path:
        return Path(self.raw_dir)

    @contextmanager
    def connect(self, read_only: bool = False) -> Iterator["duckdb.DuckDBPyConnection"]:  # noqa: F821
        import duckdb

        self.warehouse.parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(self.warehouse), read_only=read_only)
        try:
            yield con
        finally:
            con.close()

    def pseudonym_key(self) -> tuple[bytes, str]:
        from orchestration.pseudonym import resolve_key

        return resolve_key(self.raw, self.warehouse)


def warehouse_resource_from_env() -> WarehouseResource:
    return WarehouseResource(
        warehouse_path=str(config.warehouse_path().resolve()),
        raw_dir=str(config.raw_dir().resolve()),
    )
