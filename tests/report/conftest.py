"""Fixtures for the council report: a published file made by the real publication from a
warehouse whose marts follow the mart contract (the publication tests' fixture builder)."""
from __future__ import annotations

import sys
from datetime import date
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parents[1] / "publish"))

from marts_fixture import build_marts, simulate, write_warehouse  # noqa: E402

REPORT_MONTH = date(2018, 5, 1)


@pytest.fixture(scope="session")
def published_file(tmp_path_factory) -> Path:
    from orchestration.publish import publish

    root = tmp_path_factory.mktemp("report")
    # published through 2018-05 (as if the later months had an error): the rendement is estimated as of it
    warehouse = write_warehouse(root / "warehouse" / "monitor.duckdb",
                                build_marts(simulate(seed=3, n_persons=900, n_months=24), effect_as_of=REPORT_MONTH))
    result = publish(warehouse, root / "warehouse", "2018-05")
    warehouse.unlink()  # the report must need nothing but the published file
    return result.published_file


@pytest.fixture(scope="session")
def report(published_file, tmp_path_factory) -> Path:
    from orchestration.report import build_report

    return build_report(published_file, None, tmp_path_factory.mktemp("reports"))
