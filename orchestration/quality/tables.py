"""Tables the quality package writes besides those of orchestration/sources/landing.sql.

`landing.check_results` holds the outcome of every file-level rule and every mart invariant
(recorded by the pipeline through `blocking.record_check_results`); `blocking_months` reads it.
`landing.gx_validation_results` keeps each GX validation result as GX's own JSON, so Data Docs
can be built for a month later without re-running the suites."""
from __future__ import annotations

from orchestration.config import LANDING_DDL_FILE

QUALITY_DDL = """
CREATE SCHEMA IF NOT EXISTS landing;

CREATE TABLE IF NOT EXISTS landing.check_results (
    delivery_month DATE NOT NULL,      -- the month the check is about
    source         VARCHAR NOT NULL,   -- source (uitkeringen, trajecten_agros, ...) or 'marts'
    rule           VARCHAR NOT NULL,   -- stable id, e.g. row_count_vs_previous_month
    severity       VARCHAR NOT NULL,   -- error or warn
    passed         BOOLEAN NOT NULL,   -- before waivers (waivers apply when read)
    record_key     VARCHAR NOT NULL,   -- what a waiver names, e.g. 'uitkeringen 2018-05'
    issue_key      VARCHAR,            -- the same finding's record_key in marts.dq_issues, if it has one
    origin         VARCHAR NOT NULL,   -- file_rule, mart_invariant, ...
    description    VARCHAR,
    metadata       VARCHAR,            -- JSON
    checked_at     TIMESTAMP NOT NULL
);

CREATE TABLE IF NOT EXISTS landing.gx_validation_results (
    delivery_month DATE NOT NULL,
    source         VARCHAR NOT NULL,
    suite_name     VARCHAR NOT NULL,
    result_json    VARCHAR NOT NULL,   -- ExpectationSuiteValidationResult.to_json_dict()
    validated_at   TIMESTAMP NOT NULL
);
"""


REQUIRED_TABLES = ("deliveries", "dq_waivers", "expectation_results", "check_results", "gx_validation_results")


def ensure_quality_tables(con) -> None:
    """Create the landing schema (idempotent DDL of landing.sql) and the quality tables, unless
    they exist (then nothing is executed, so read-only connections work too)."""
    present = {row[0] for row in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'landing'").fetchall()}
    if all(table in present for table in REQUIRED_TABLES):
        return
    con.execute(LANDING_DDL_FILE.read_text())
    con.execute(QUALITY_DDL)


def table_exists(con, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = ? AND table_name = ?",
            [schema, table],
        ).fetchall()[0][0]
    )
