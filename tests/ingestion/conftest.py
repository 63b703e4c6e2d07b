"""Fixtures of the ingestion tests: a copy of the fixture deliveries and a fresh DuckDB warehouse."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from ingestion_helpers import FIXTURES, write_partner_xlsx
from orchestration.db import ensure_landing_schema


@pytest.fixture
def raw_dir(tmp_path: Path) -> Path:
    """A copy of the fixture deliveries (raw/ of the tests), xlsx files added."""
    target = tmp_path / "raw"
    shutil.copytree(FIXTURES / "raw", target)
    write_partner_xlsx(target)
    return target


@pytest.fixture
def con(tmp_path: Path):
    (tmp_path / "warehouse").mkdir()
    connection = duckdb.connect(str(tmp_path / "warehouse" / "monitor.duckdb"))
    ensure_landing_schema(connection)
    yield connection
    connection.close()


