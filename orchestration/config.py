"""Paths and settings, in one place. Every default can be overridden by an environment variable
(and the CLI options override those)."""
from __future__ import annotations

import os
from pathlib import Path

PROJECT_DIR = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_DIR / "dbt_project"
# the dbt target (dbt_project/profiles.yml) the pipeline builds: duckdb, or postgres
DBT_TARGET = os.environ.get("STATMON_DBT_TARGET", "duckdb")
EXPECTATIONS_DIR = PROJECT_DIR / "expectations"
SEEDS_DIR = DBT_PROJECT_DIR / "seeds"
REGISTRY_FILE = Path(__file__).resolve().parent / "sources" / "registry.yaml"
LANDING_DDL_FILE = Path(__file__).resolve().parent / "sources" / "landing.sql"

# The marker `statmon demo-data` writes into a raw directory it generated.
DEMO_MARKER = ".statmon-demo"
PSEUDONYM_KEY_ENV = "STATMON_PSEUDONYM_KEY"


def raw_dir() -> Path:
    return Path(os.environ.get("STATMON_RAW_DIR", PROJECT_DIR / "raw"))


def warehouse_path() -> Path:
    return Path(os.environ.get("STATMON_WAREHOUSE", PROJECT_DIR / "warehouse" / "monitor.duckdb"))


def dbt_target_path(warehouse: Path) -> Path:
    """dbt's target path of a warehouse (`--target-path`): manifest, run results, dbt.log and the
    partial-parse state, which dbt only reuses for the same profile (the warehouse path is part
    of it), so each warehouse keeps its own: `<warehouse stem>.dbt_target/` beside it."""
    warehouse = Path(warehouse)
    return warehouse.parent / f"{warehouse.stem}.dbt_target"


def published_dir(warehouse: Path | None = None) -> Path:
    """Published files live beside the warehouse: published.duckdb, published/<table>.parquet."""
    return (warehouse or warehouse_path()).parent

# The first reporting month the monitor knows (the 2014 permit cohort is the first it follows).
FIRST_MONTH = "2014-01"


def reports_dir(warehouse: Path | None = None) -> Path:
    """The council reports belong to their warehouse: ``reports/`` beside it (like the published
    files and Data Docs), unless STATMON_REPORTS_DIR says otherwise (and `--out` overrides both)."""
    if os.environ.get("STATMON_REPORTS_DIR"):
        return Path(os.environ["STATMON_REPORTS_DIR"])
    return published_dir(warehouse) / "reports"


def report_pdf_wanted() -> bool:
    """STATMON_REPORT_PDF=1: the monthly run also prints the council report to PDF (needs Chromium)."""
    return os.environ.get("STATMON_REPORT_PDF", "").strip().lower() in ("1", "true", "yes", "ja")
