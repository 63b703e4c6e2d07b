"""landing.expectation_results: the result of every expectation per source and delivery month,
recorded once per delivery file version and read by everything that reports on the suites.

Writers: ingestion records the row rules (compiled SQL, in the transaction that lands the
delivery: orchestration/sources/ingest.py); the file rules record what GX found on the landed rows
(orchestration/quality/file_rules.py). Readers: the `row_rules` and `delivery` asset checks, dbt's
dq models (int_dq_findings -> marts.dq_issues), the publication gate (severity `error`), the run's
summary and Data Docs (orchestration/quality/data_docs.py, which renders these rows with GX).

A result keeps GX's shape (`result`: element_count, unexpected_count, unexpected_percent,
partial_unexpected_list, observed_value), so both writers give Data Docs the same material; every
text of 8 or 9 digits in it is masked to its last 3 digits: a steward's table never holds a BSN,
not even a rejected one."""
from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from typing import Any

from orchestration.quality.outcomes import ExpectationOutcome

# How many example values a failed expectation keeps.
EXAMPLE_COUNT = 5
COLUMNS = ("delivery_month", "source", "suite_name", "expectation_type", "column_name", "rule", "severity",
           "success", "element_count", "unexpected_count", "detail", "validated_at", "expectation_index",
           "kwargs", "result", "file_hash", "inputs_hash")


def mask_bsn_like(value: Any) -> Any:
    """The value with every text of 8 or 9 digits (what a BSN looks like) masked to its last 3
    digits, in nested lists and dicts too."""
    if isinstance(value, str):
        return "******" + value[-3:] if value.isdigit() and 8 <= len(value) <= 9 else value
    if isinstance(value, list):
        return [mask_bsn_like(item) for item in value]
    if isinstance(value, dict):
        return {key: mask_bsn_like(item) for key, item in value.items()}
    return value


def column_of(kwargs: dict[str, Any]) -> str | None:
    if "column" in kwargs:
        return kwargs["column"]
    if "column_list" in kwargs:
        return ",".join(kwargs["column_list"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    return None


def _example(value: Any) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "(empty)"
    text = str(mask_bsn_like(str(value)))
    return repr(text) if len(text) <= 40 else repr(text[:37] + "...")


@dataclass(frozen=True)
class ExpectationResult:
    """One expectation validated on one (source, month) delivery."""

    source: str
    month: str                  # YYYY-MM
    suite_name: str
    index: int                  # position in the suite
    expectation: dict           # type, kwargs (resolved), meta
    success: bool
    result: dict = field(default_factory=dict)  # GX's shape; masked by `row`
    exception: str | None = None                # why the expectation could not run
    file_hash: str | None = None
    inputs_hash: str | None = None

    @property
    def type(self) -> str:
        return self.expectation["type"]

    @property
    def meta(self) -> dict:
        return self.expectation.get("meta") or {}

    @property
    def rule(self) -> str:
        return self.meta.get("rule", self.type)

    @property
    def severity(self) -> str:
        return self.meta.get("severity", "warn")

    @property
    def column(self) -> str | None:
        return column_of(self.expectation["kwargs"])

    def detail(self) -> str:
        """The result in plain words, with up to EXAMPLE_COUNT example values."""
        meta, column, result = self.meta, self.column, self.result
        what = meta.get("description") or (f"{self.rule} ({column})" if column else self.rule)
        where = f"{self.source} {self.month}"
        if self.exception:
            return f"{what}: the expectation could not run ({where}): {self.exception}"
        if "unexpected_count" in result and result.get("element_count") is not None:
            count, total = result.get("unexpected_count") or 0, result.get("element_count") or 0
            if self.success:
                return f"{what}: all {total} rows pass ({where})"
            examples = ", ".join(dict.fromkeys(_example(v) for v in result.get("partial_unexpected_list") or []))
            return f"{what}: {count} of {total} rows fail ({where})" + (f"; e.g. {examples}" if examples else "")
        observed = result.get("observed_value")
        status = "passes" if self.success else "fails"
        return f"{what}: {status} ({where})" + (f"; observed {observed}" if observed is not None else "")

    def row(self, validated_at: dt.datetime) -> tuple:
        """The landing.expectation_results row (COLUMNS)."""
        result = mask_bsn_like(self.result)
        return (dt.date.fromisoformat(f"{self.month}-01"), self.source, self.suite_name, self.type, self.column,
                self.rule, self.severity, self.success, result.get("element_count"), result.get("unexpected_count"),
                self.detail(), validated_at, self.index, json.dumps(self.expectation["kwargs"], default=str),
                json.dumps(result, default=str), self.file_hash, self.inputs_hash)

    def outcome(self) -> ExpectationOutcome:
        return ExpectationOutcome(
            rule=self.rule, column=self.column, source=self.source, month=self.month, success=self.success,
            unexpected_count=self.result.get("unexpected_count"), element_count=self.result.get("element_count"),
            severity=self.severity, detail=self.detail(), expectation_type=self.type, suite_name=self.suite_name)


def column_map_result(element_count: int, unexpected_count: int, examples: list) -> dict:
    """GX's SUMMARY result of a column map expectation, from counts and the first failing values."""
    return {
        "element_count": element_count,
        "unexpected_count": unexpected_count,
        "unexpected_percent": 100.0 * unexpected_count / element_count if element_count else None,
        "partial_unexpected_list": list(examples or [])[:EXAMPLE_COUNT],
    }


def delete_results(con, source: str, month: str, suite_name: str) -> None:
    con.execute("DELETE FROM landing.expectation_results WHERE source = ? AND delivery_month = ?::DATE AND suite_name = ?",
                [source, f"{month}-01", suite_name])


def store_results(con, results: list[ExpectationResult]) -> None:
    """Record results, replacing what was recorded for the same (source, month, suite). Runs in
    the caller's transaction, if any."""
    for source, month, suite_name in dict.fromkeys((r.source, r.month, r.suite_name) for r in results):
        delete_results(con, source, month, suite_name)
    now = dt.datetime.now()
    row = "(" + ", ".join("?" for _ in COLUMNS) + ")"
    for start in range(0, len(results), 100):  # one statement per 100 rows: a statement costs more than a row
        chunk = results[start:start + 100]
        con.execute(f"INSERT INTO landing.expectation_results ({', '.join(COLUMNS)}) VALUES {', '.join(row for _ in chunk)}",
                    [value for r in chunk for value in r.row(now)])


def recorded_outcomes(con, suite_name: str, months: list[str], sources_sql: str = "TRUE") -> list[ExpectationOutcome]:
    """The recorded results of a suite in `months` (YYYY-MM), one outcome per expectation and
    delivery, as the asset checks report them. `sources_sql`: a predicate on `source`."""
    if not months:
        return []
    rows = con.execute(
        f"""SELECT rule, column_name, source, strftime(delivery_month, '%Y-%m'), success, unexpected_count,
                   element_count, severity, detail, expectation_type, suite_name
            FROM landing.expectation_results
            WHERE suite_name = ? AND {sources_sql}
              AND strftime(delivery_month, '%Y-%m') IN (SELECT unnest(?::VARCHAR[]))
            ORDER BY delivery_month, source, expectation_index""",
        [suite_name, list(months)],
    ).fetchall()
    return [ExpectationOutcome(rule, column, source, month, success, unexpected, elements, severity, detail,
                               exp_type, suite)
            for rule, column, source, month, success, unexpected, elements, severity, detail, exp_type, suite in rows]
