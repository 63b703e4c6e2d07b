"""The results the quality functions return (and Dagster asset checks report)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Severity = Literal["error", "warn"]


@dataclass(frozen=True)
class ExpectationOutcome:
    """One GX expectation validated on one (source, month) batch."""

    rule: str  # the expectation's meta.rule
    column: str | None
    source: str
    month: str  # YYYY-MM
    success: bool
    unexpected_count: int | None
    element_count: int | None
    severity: Severity
    detail: str
    expectation_type: str = ""
    suite_name: str = ""

    @property
    def passed(self) -> bool:
        return self.success


@dataclass(frozen=True)
class CheckOutcome:
    """One file-level rule or mart invariant for one (source, month). `passed` is after waivers:
    a failure whose (rule, record_key) has an active waiver passes, with metadata['waived']."""

    rule: str
    severity: Severity
    passed: bool
    month: str  # YYYY-MM
    source: str
    description: str
    metadata: dict[str, Any] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return self.passed

    @property
    def detail(self) -> str:
        return self.description


def check_record_key(source: str, month: str) -> str:
    """The record key of a check on a whole delivery (file-level rules, failed expectations,
    mart invariants): what a steward writes in the waivers file, e.g. `uitkeringen 2018-05`."""
    return f"{source} {month}"


def expectation_record_key(source: str, suite_name: str, expectation_type: str, column: str | None) -> str:
    """The record key marts.dq_issues gives a failed expectation (int_dq_findings.sql): one issue
    per source and expectation across months. A waiver with this key applies in every month;
    one with `check_record_key` only in its month. Both are honoured by the checks."""
    return f"{source}: suite={suite_name}; expectation={expectation_type}" + (f"; column={column}" if column else "")
