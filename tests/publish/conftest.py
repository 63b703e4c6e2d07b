"""Fixtures for publication tests: a warehouse whose `marts` schema follows the mart contract,
aggregated from a simulated panel (see marts_fixture.py)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from marts_fixture import build_marts, simulate, write_warehouse  # noqa: E402


@pytest.fixture(scope="session")
def panel_marts():
    return build_marts(simulate(seed=7))


@pytest.fixture
def warehouse(tmp_path, panel_marts) -> Path:
    return write_warehouse(tmp_path / "warehouse" / "monitor.duckdb", panel_marts)
